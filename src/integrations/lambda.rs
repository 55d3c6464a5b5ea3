//! Lambda as Step Functions calls it: which function a Task names, in any of the forms AWS
//! accepts (name, partial ARN, full ARN, with a version or alias); the Invoke request a task
//! makes ([`InvokeRequest`]); and what Step Functions makes of Lambda's answer
//! ([`task_outcome`]): the invoke envelope, the function output, or the failure, shaped as
//! AWS records them.

use crate::asl::build::is_lambda_function_arn;
use crate::asl::model::{Machine, StateKind, Task};
use crate::engine::{Config, Failure, TaskOutcome, TaskRequest};
use crate::expr::compact;
use crate::json;
use crate::json::{Map, Value};
use serde::Serialize;

/// The optimized integration's resource prefix.
pub const INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// How a Task reaches Lambda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LambdaCall {
    /// `arn:aws:states:::lambda:invoke[.waitForTaskToken]` with a FunctionName.
    Invoke { function: FunctionRef },
    /// A function ARN directly as the Resource.
    FunctionArn { arn: String },
}

/// A FunctionName: known when written in the definition, dynamic when it comes from a
/// path or an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionRef {
    Static {
        name: String,
        qualifier: Option<String>,
    },
    Dynamic,
}

/// Is `resource` the optimized Lambda integration (any pattern)?
pub fn is_invoke(resource: &str) -> bool {
    resource == INVOKE
        || resource
            .strip_prefix(INVOKE)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// What Lambda call, if any, a Task state makes.
pub fn lambda_call(
    task: &Task,
    parameters: Option<&Value>,
    arguments: Option<&Value>,
) -> Option<LambdaCall> {
    if is_lambda_function_arn(&task.resource) {
        return Some(LambdaCall::FunctionArn {
            arn: task.resource.clone(),
        });
    }
    if !is_invoke(&task.resource) {
        return None;
    }
    let fields = parameters.or(arguments)?;
    let dynamic_str = |v: &Value| {
        v.as_str()
            .is_some_and(|s| crate::expr::jsonata::strip_delimiters(s).is_some())
    };
    let function = match (fields.get("FunctionName"), fields.get("FunctionName.$")) {
        (Some(v), _) if dynamic_str(v) => FunctionRef::Dynamic,
        (Some(Value::String(name)), _) => {
            let qualifier = fields
                .get("Qualifier")
                .and_then(Value::as_str)
                .filter(|q| !q.contains("{%"))
                .map(str::to_string);
            FunctionRef::Static {
                name: name.to_string(),
                qualifier,
            }
        }
        (_, Some(_)) => FunctionRef::Dynamic,
        _ => FunctionRef::Dynamic,
    };
    Some(LambdaCall::Invoke { function })
}

/// The name of the function a task calls (`check-stock`), when it calls one.
pub fn called_function(req: &TaskRequest, scope: &AwsScope) -> Option<String> {
    let text = if is_lambda_function_arn(&req.resource) {
        req.resource.as_str()
    } else if is_invoke(&req.resource) {
        req.input.get("FunctionName")?.as_str()?
    } else {
        return None;
    };
    FunctionId::parse(text, scope).map(|f| f.name)
}

/// The function's ARN, completing names and partial ARNs with the given partition, region
/// and account. A qualifier in the name wins over a separate `Qualifier`.
pub fn function_arn(
    name: &str,
    qualifier: Option<&str>,
    partition: &str,
    region: &str,
    account: &str,
) -> String {
    let parts: Vec<&str> = name.split(':').collect();
    let (base, own_qualifier) = match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", fname, rest @ ..] => {
            let prefix = parts[..6].join(":");
            (
                format!("{prefix}:{fname}"),
                rest.first().map(std::string::ToString::to_string),
            )
        }
        [acct, "function", fname, rest @ ..] => (
            format!("arn:{partition}:lambda:{region}:{acct}:function:{fname}"),
            rest.first().map(std::string::ToString::to_string),
        ),
        [fname, rest @ ..] => (
            format!("arn:{partition}:lambda:{region}:{account}:function:{fname}"),
            rest.first().map(std::string::ToString::to_string),
        ),
        [] => (String::new(), None),
    };
    match own_qualifier.as_deref().or(qualifier) {
        Some(q) if !q.is_empty() => format!("{base}:{q}"),
        _ => base,
    }
}

/// Every Lambda call in the machine, Map and Parallel included, with the state name.
pub fn lambda_calls(machine: &Machine, source: &Value) -> Vec<(String, LambdaCall)> {
    let mut out = Vec::new();
    machine.walk(&mut |s| {
        if let StateKind::Task(task) = &s.kind {
            // Templates are compiled in the model; the raw fields come from the source.
            let node = pointer_get(source, &s.pointer);
            let params = node.and_then(|n| n.get("Parameters"));
            let args = node.and_then(|n| n.get("Arguments"));
            if let Some(call) = lambda_call(task, params, args) {
                out.push((s.name.to_string(), call));
            }
        }
    });
    out
}

fn pointer_get<'a>(v: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        Some(v)
    } else {
        v.pointer(pointer)
    }
}

/// Where short function names live: the partition, region and account that complete them
/// into ARNs (the execution's own, as on AWS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsScope {
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Default for AwsScope {
    fn default() -> Self {
        AwsScope::new("us-east-1", "123456789012")
    }
}

impl AwsScope {
    /// The scope of `region` and `account`, in the partition the region belongs to.
    pub fn new(region: &str, account: &str) -> AwsScope {
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        AwsScope {
            partition: partition.into(),
            region: region.into(),
            account: account.into(),
        }
    }

    /// The scope of an execution (its region and account).
    pub fn of(config: &Config) -> AwsScope {
        AwsScope::new(&config.region, &config.account)
    }
}

/// A function named in any form Lambda accepts, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionId {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
    /// The version or alias, when the name carried one (or a `Qualifier` was given).
    pub qualifier: Option<String>,
}

impl FunctionId {
    /// Parse a name (`fn`, `fn:alias`), a partial ARN (`123456789012:function:fn[:v]`) or a
    /// full ARN; None when it is none of these.
    pub fn parse(text: &str, scope: &AwsScope) -> Option<FunctionId> {
        let parts: Vec<&str> = text.split(':').collect();
        let (partition, region, account, name, qualifier) = match parts.as_slice() {
            [
                "arn",
                partition,
                "lambda",
                region,
                account,
                "function",
                name,
                rest @ ..,
            ] if rest.len() <= 1 => (*partition, *region, *account, *name, rest.first()),
            [account, "function", name, rest @ ..] if rest.len() <= 1 => (
                scope.partition.as_str(),
                scope.region.as_str(),
                *account,
                *name,
                rest.first(),
            ),
            [name, rest @ ..] if rest.len() <= 1 && *name != "arn" => (
                scope.partition.as_str(),
                scope.region.as_str(),
                scope.account.as_str(),
                *name,
                rest.first(),
            ),
            _ => return None,
        };
        if name.is_empty() {
            return None;
        }
        Some(FunctionId {
            partition: partition.into(),
            region: region.into(),
            account: account.into(),
            name: name.into(),
            qualifier: qualifier
                .filter(|q| !q.is_empty())
                .map(std::string::ToString::to_string),
        })
    }

    /// The unqualified ARN.
    pub fn arn(&self) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{}",
            self.partition, self.region, self.account, self.name
        )
    }

    /// The ARN as invoked: with the qualifier when there is one.
    pub fn qualified_arn(&self) -> String {
        match &self.qualifier {
            Some(q) => format!("{}:{q}", self.arn()),
            None => self.arn(),
        }
    }
}

/// Lambda's `InvocationType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvocationType {
    #[default]
    RequestResponse,
    Event,
    DryRun,
}

impl InvocationType {
    pub fn parse(text: &str) -> Option<InvocationType> {
        match text {
            "RequestResponse" => Some(InvocationType::RequestResponse),
            "Event" => Some(InvocationType::Event),
            "DryRun" => Some(InvocationType::DryRun),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InvocationType::RequestResponse => "RequestResponse",
            InvocationType::Event => "Event",
            InvocationType::DryRun => "DryRun",
        }
    }

    /// The HTTP status Lambda answers an accepted call of this type with.
    pub fn success_status(self) -> u16 {
        match self {
            InvocationType::RequestResponse => 200,
            InvocationType::Event => 202,
            InvocationType::DryRun => 204,
        }
    }
}

/// How a Task reached Lambda; it shapes the task result and the failure cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStyle {
    /// `arn:aws:states:::lambda:invoke[.waitForTaskToken]`: the result is the invoke envelope.
    Invoke,
    /// A function ARN as the Resource: the result is the function's output alone.
    FunctionArn,
}

/// One Lambda Invoke call as Step Functions makes it for a task.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeRequest {
    pub function: FunctionId,
    pub invocation_type: InvocationType,
    /// `LogType: Tail`: return the last 4 KB of the log, base64, as `LogResult`.
    pub log_tail: bool,
    /// `ClientContext`, base64 JSON as the API takes it.
    pub client_context: Option<String>,
    /// The event as the bytes the function receives (JSON text).
    pub payload: String,
    pub style: CallStyle,
}

impl InvokeRequest {
    /// The Lambda call a task makes: None when the task is not a Lambda call, Err when the
    /// Lambda API would reject its request (the task then fails with that error).
    pub fn from_task(
        req: &TaskRequest,
        scope: &AwsScope,
    ) -> Option<Result<InvokeRequest, LambdaError>> {
        if is_lambda_function_arn(&req.resource) {
            let function = FunctionId::parse(&req.resource, scope)?;
            return Some(Ok(InvokeRequest {
                function,
                invocation_type: InvocationType::RequestResponse,
                log_tail: false,
                client_context: None,
                payload: compact(&req.input),
                style: CallStyle::FunctionArn,
            }));
        }
        if !is_invoke(&req.resource) {
            return None;
        }
        Some(Self::from_parameters(&req.input, scope))
    }

    fn from_parameters(params: &Value, scope: &AwsScope) -> Result<InvokeRequest, LambdaError> {
        let text_field = |field: &str, api_name: &str| -> Result<Option<&str>, LambdaError> {
            match params.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(other) => Err(validation_error(&format!(
                    "Value '{other}' at '{api_name}' failed to satisfy constraint: Member must be a string"
                ))),
            }
        };
        let name = text_field("FunctionName", "functionName")?
            .ok_or_else(|| validation_error("Value null at 'functionName' failed to satisfy constraint: Member must not be null"))?;
        let mut function = FunctionId::parse(name, scope).ok_or_else(|| {
            validation_error(&format!(
                "Value '{name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern"
            ))
        })?;
        if let Some(q) = text_field("Qualifier", "qualifier")? {
            match &function.qualifier {
                Some(own) if own != q => {
                    return Err(LambdaError::Service {
                        status: 400,
                        code: "InvalidParameterValueException".into(),
                        message: "The derived qualifier from the function name does not match the specified qualifier.".into(),
                    });
                }
                _ => function.qualifier = Some(q.to_string()),
            }
        }
        let invocation_type = match text_field("InvocationType", "invocationType")? {
            None => InvocationType::RequestResponse,
            Some(t) => InvocationType::parse(t).ok_or_else(|| {
                validation_error(&format!(
                    "Value '{t}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
                ))
            })?,
        };
        let log_tail = match text_field("LogType", "logType")? {
            None | Some("None") => false,
            Some("Tail") => true,
            Some(t) => {
                return Err(validation_error(&format!(
                    "Value '{t}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]"
                )));
            }
        };
        let client_context = text_field("ClientContext", "clientContext")?.map(str::to_string);
        // A string Payload is sent as it is (so it must hold JSON text); anything else as JSON.
        let payload = match params.get("Payload") {
            None | Some(Value::Null) => "{}".to_string(),
            Some(Value::String(text)) if serde_json::from_str::<Value>(text).is_err() => {
                return Err(LambdaError::Service {
                    status: 400,
                    code: "InvalidRequestContentException".into(),
                    message:
                        "Could not parse request body into json: Could not parse payload into json"
                            .into(),
                });
            }
            Some(Value::String(text)) => text.to_string(),
            Some(v) => compact(v),
        };
        Ok(InvokeRequest {
            function,
            invocation_type,
            log_tail,
            client_context,
            payload,
            style: CallStyle::Invoke,
        })
    }

    /// The version a local backend reports as executed: a numeric qualifier is itself, an
    /// alias resolves to `alias_version` (unknown locally: `$LATEST` unless configured).
    pub fn executed_version(&self, alias_version: Option<&str>) -> String {
        match self.function.qualifier.as_deref() {
            Some(q) if q.chars().all(|c| c.is_ascii_digit()) => q.to_string(),
            Some("$LATEST") | None => "$LATEST".into(),
            Some(_) => alias_version.unwrap_or("$LATEST").to_string(),
        }
    }

    /// The request as the Invoke API parameters, for displays and records.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("FunctionName", json!(self.function.arn()));
        if let Some(q) = &self.function.qualifier {
            m.insert("Qualifier", json!(q));
        }
        m.insert("InvocationType", json!(self.invocation_type.as_str()));
        if self.log_tail {
            m.insert("LogType", json!("Tail"));
        }
        if let Some(c) = &self.client_context {
            m.insert("ClientContext", json!(c));
        }
        m.insert("Payload", parse_payload(&self.payload));
        Value::Object(m)
    }
}

/// A request the Lambda API rejects before calling anything (an unmodeled error).
fn validation_error(detail: &str) -> LambdaError {
    LambdaError::Service {
        status: 400,
        code: "ValidationException".into(),
        message: format!("1 validation error detected: {detail}"),
    }
}

/// Lambda's answer to an Invoke call (the API response), whichever backend produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeResponse {
    /// 200, 202 (Event) or 204 (DryRun).
    pub status_code: u16,
    /// `X-Amz-Executed-Version` (absent for Event and DryRun).
    pub executed_version: Option<String>,
    /// `X-Amz-Function-Error`: set when the function failed (`Unhandled`).
    pub function_error: Option<String>,
    /// The response body: the function's JSON text, or its error JSON.
    pub payload: String,
    /// `X-Amz-Log-Result`: the base64 log tail, for `LogType: Tail`.
    pub log_result: Option<String>,
}

impl InvokeResponse {
    /// The raw response, for displays and records.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("StatusCode", json!(self.status_code));
        if let Some(v) = &self.executed_version {
            m.insert("ExecutedVersion", json!(v));
        }
        if let Some(e) = &self.function_error {
            m.insert("FunctionError", json!(e));
        }
        if let Some(l) = &self.log_result {
            m.insert("LogResult", json!(l));
        }
        m.insert("Payload", json!(self.payload));
        Value::Object(m)
    }
}

/// The Invoke call itself failed (not the function): a Lambda service error, or the client
/// could not reach the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LambdaError {
    Service {
        status: u16,
        code: String,
        message: String,
    },
    Client {
        message: String,
    },
}

/// The Invoke errors the AWS SDK models as their own exception classes; Step Functions
/// names them `Lambda.<code>` and any other one `Lambda.AWSLambdaException`.
const MODELED_ERRORS: &[&str] = &[
    "CodeArtifactUserPendingException",
    "EC2AccessDeniedException",
    "EC2ThrottledException",
    "EC2UnexpectedException",
    "EFSIOException",
    "EFSMountConnectivityException",
    "EFSMountFailureException",
    "EFSMountTimeoutException",
    "ENILimitReachedException",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "InvalidRuntimeException",
    "InvalidSecurityGroupIDException",
    "InvalidSubnetIDException",
    "InvalidZipFileException",
    "KMSAccessDeniedException",
    "KMSDisabledException",
    "KMSInvalidStateException",
    "KMSNotFoundException",
    "RecursiveInvocationException",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "ResourceNotReadyException",
    "ServiceException",
    "SnapStartException",
    "SnapStartNotReadyException",
    "SnapStartTimeoutException",
    "SubnetIPAddressLimitReachedException",
    "TooManyRequestsException",
    "UnsupportedMediaTypeException",
];

impl LambdaError {
    /// `ResourceNotFoundException` for a function nobody serves, with AWS's message.
    pub fn function_not_found(function: &FunctionId) -> LambdaError {
        let version = function.qualifier.as_deref().unwrap_or("$LATEST");
        LambdaError::Service {
            status: 404,
            code: "ResourceNotFoundException".into(),
            message: format!("Function not found: {}:{version}", function.arn()),
        }
    }

    /// The error as received, for displays and records.
    pub fn to_json(&self) -> Value {
        match self {
            LambdaError::Service {
                status,
                code,
                message,
            } => json!({"StatusCode": status, "ErrorCode": code, "Message": message}),
            LambdaError::Client { message } => json!({"ClientError": message}),
        }
    }

    /// The task failure Step Functions reports for this error.
    pub fn to_failure(&self, request_id: &str) -> Failure {
        match self {
            LambdaError::Service {
                status,
                code,
                message,
            } => {
                let name = if MODELED_ERRORS.contains(&code.as_str()) {
                    code.as_str()
                } else {
                    "AWSLambdaException"
                };
                Failure::new(
                    format!("Lambda.{name}"),
                    format!(
                        "{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; Request ID: {request_id}; Proxy: null)"
                    ),
                )
            }
            LambdaError::Client { message } => Failure::new(
                "Lambda.SdkClientException",
                format!("Unable to execute HTTP request: {message}"),
            ),
        }
    }
}

/// The response's identity, fixed by the caller so that runs are reproducible: the request
/// id, the time the response is dated, and the X-Ray trace id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMeta {
    pub request_id: String,
    pub date_ms: i64,
    pub trace_id: String,
}

/// What Step Functions makes of Lambda's answer: the task result or its failure.
pub fn task_outcome(
    req: &InvokeRequest,
    response: &Result<InvokeResponse, LambdaError>,
    meta: &ResponseMeta,
) -> TaskOutcome {
    let resp = match response {
        Ok(r) => r,
        Err(e) => return TaskOutcome::Failure(e.to_failure(&meta.request_id)),
    };
    if let Some(header) = &resp.function_error {
        return TaskOutcome::Failure(function_failure(&resp.payload, header, req.style));
    }
    match req.style {
        CallStyle::Invoke => TaskOutcome::Success(invoke_envelope(resp, meta)),
        CallStyle::FunctionArn => TaskOutcome::Success(parse_payload(&resp.payload)),
    }
}

/// A function error as a task failure: the error is the function's `errorType` (or the
/// `X-Amz-Function-Error` value when it names none), the cause its error JSON — compact
/// for `lambda:invoke`, with `", "` and `": "` separators for a function ARN resource, as
/// AWS records them.
pub fn function_failure(payload: &str, function_error: &str, style: CallStyle) -> Failure {
    let Ok(doc) = serde_json::from_str::<Value>(payload) else {
        return Failure::new(function_error, payload);
    };
    let error = doc
        .get("errorType")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .unwrap_or(function_error);
    let cause = match style {
        CallStyle::Invoke => compact(&doc),
        CallStyle::FunctionArn => spaced_json(&doc),
    };
    Failure::new(error, cause)
}

/// The `lambda:invoke` task result: Lambda's Invoke response as the AWS SDK for Java shows
/// it, headers and all, in the order and shape AWS records them.
pub fn invoke_envelope(resp: &InvokeResponse, meta: &ResponseMeta) -> Value {
    let date = chrono::DateTime::from_timestamp_millis(meta.date_ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let has_body = resp.status_code == 200;
    // AllHttpHeaders in the order AWS's recordings show; HttpHeaders sorted case-insensitively.
    let mut headers: Vec<(&str, String)> = Vec::new();
    if let Some(log) = &resp.log_result {
        headers.push(("X-Amz-Log-Result", log.clone()));
    }
    if let Some(v) = &resp.executed_version {
        headers.push(("X-Amz-Executed-Version", v.clone()));
    }
    headers.push(("x-amzn-Remapped-Content-Length", "0".into()));
    headers.push(("Connection", "keep-alive".into()));
    headers.push(("x-amzn-RequestId", meta.request_id.clone()));
    headers.push(("Content-Length", resp.payload.len().to_string()));
    headers.push(("Date", date));
    headers.push(("X-Amzn-Trace-Id", meta.trace_id.clone()));
    if has_body {
        headers.push(("Content-Type", "application/json".into()));
    }
    let all: Map = headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!([v])))
        .collect();
    let mut sorted = headers.clone();
    sorted.sort_by_key(|(k, _)| k.to_ascii_lowercase());
    let http: Map = sorted
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();

    let mut m = Map::new();
    if let Some(v) = &resp.executed_version {
        m.insert("ExecutedVersion", json!(v));
    }
    if let Some(log) = &resp.log_result {
        m.insert("LogResult", json!(log));
    }
    let payload = if has_body {
        parse_payload(&resp.payload)
    } else {
        json!("")
    };
    m.insert("Payload", payload);
    m.insert(
        "SdkHttpMetadata",
        json!({"AllHttpHeaders": all, "HttpHeaders": http, "HttpStatusCode": resp.status_code}),
    );
    m.insert("SdkResponseMetadata", json!({"RequestId": meta.request_id}));
    m.insert("StatusCode", json!(resp.status_code));
    Value::Object(m)
}

/// The function's response text as JSON; text that is not JSON stays a string.
pub fn parse_payload(text: &str) -> Value {
    crate::json::parse::value_from_str(text).unwrap_or_else(|_| Value::from(text))
}

/// JSON with `", "` and `": "` separators (Python's `json.dumps` default).
pub fn spaced_json(v: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SpacedFormatter);
    if v.serialize(&mut ser).is_err() {
        return compact(v);
    }
    String::from_utf8(out).unwrap_or_default()
}

struct SpacedFormatter;

impl serde_json::ser::Formatter for SpacedFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn function_names_in_every_form() {
        let arn = |n: &str, q: Option<&str>| function_arn(n, q, "aws", "eu-west-1", "111122223333");
        assert_eq!(
            arn("fn", None),
            "arn:aws:lambda:eu-west-1:111122223333:function:fn"
        );
        assert_eq!(
            arn("fn:live", None),
            "arn:aws:lambda:eu-west-1:111122223333:function:fn:live"
        );
        assert_eq!(
            arn("fn", Some("3")),
            "arn:aws:lambda:eu-west-1:111122223333:function:fn:3"
        );
        assert_eq!(
            arn("444455556666:function:fn", None),
            "arn:aws:lambda:eu-west-1:444455556666:function:fn"
        );
        assert_eq!(
            arn(
                "arn:aws:lambda:us-east-1:123456789012:function:fn:prod",
                None
            ),
            "arn:aws:lambda:us-east-1:123456789012:function:fn:prod"
        );
    }

    fn task(resource: &str, input: Value) -> TaskRequest {
        TaskRequest::new(1, "S", "", resource, input, 0)
    }

    fn request(resource: &str, input: Value) -> Result<InvokeRequest, LambdaError> {
        InvokeRequest::from_task(
            &task(resource, input),
            &AwsScope::new("eu-west-1", "111122223333"),
        )
        .expect("a Lambda call")
    }

    #[test]
    fn function_ids_in_every_form() {
        let scope = AwsScope::new("eu-west-1", "111122223333");
        let id = FunctionId::parse("fn:live", &scope).unwrap();
        assert_eq!(
            (id.name.as_str(), id.qualifier.as_deref()),
            ("fn", Some("live"))
        );
        assert_eq!(
            id.qualified_arn(),
            "arn:aws:lambda:eu-west-1:111122223333:function:fn:live"
        );
        let id = FunctionId::parse("444455556666:function:fn", &scope).unwrap();
        assert_eq!(
            id.arn(),
            "arn:aws:lambda:eu-west-1:444455556666:function:fn"
        );
        let id = FunctionId::parse("arn:aws-cn:lambda:cn-north-1:1:function:fn:7", &scope).unwrap();
        assert_eq!(
            id.qualified_arn(),
            "arn:aws-cn:lambda:cn-north-1:1:function:fn:7"
        );
        assert_eq!(FunctionId::parse("a:b:c", &scope), None);
        assert_eq!(AwsScope::new("us-gov-west-1", "1").partition, "aws-us-gov");
    }

    #[test]
    fn invoke_requests_from_parameters() {
        let r = request(INVOKE, json!({"FunctionName": "fn", "Qualifier": "3", "Payload": {"a": 1}, "InvocationType": "Event", "LogType": "Tail"})).unwrap();
        assert_eq!(
            r.function.qualified_arn(),
            "arn:aws:lambda:eu-west-1:111122223333:function:fn:3"
        );
        assert_eq!(
            (r.invocation_type, r.log_tail, r.payload.as_str()),
            (InvocationType::Event, true, r#"{"a":1}"#)
        );
        // A string Payload is the JSON text itself; no Payload is an empty object.
        assert_eq!(
            request(INVOKE, json!({"FunctionName": "fn", "Payload": "\"hi\""}))
                .unwrap()
                .payload,
            "\"hi\""
        );
        assert_eq!(
            request(INVOKE, json!({"FunctionName": "fn", "Payload": null}))
                .unwrap()
                .payload,
            "{}"
        );
        let bad = |input: Value| {
            request(INVOKE, input)
                .unwrap_err()
                .to_failure("rid")
                .error
                .unwrap()
        };
        assert_eq!(
            bad(json!({"FunctionName": "fn", "Payload": "not json"})),
            "Lambda.InvalidRequestContentException"
        );
        assert_eq!(
            bad(json!({"FunctionName": "fn:1", "Qualifier": "2"})),
            "Lambda.InvalidParameterValueException"
        );
        assert_eq!(
            bad(json!({"FunctionName": "fn", "InvocationType": "Later"})),
            "Lambda.AWSLambdaException"
        );
        assert_eq!(bad(json!({"Payload": {}})), "Lambda.AWSLambdaException");
        // A function ARN as the Resource: the qualifier comes from the ARN, the event is the input.
        let r = request(
            "arn:aws:lambda:us-east-1:1:function:fn:live",
            json!("HelloWorld"),
        )
        .unwrap();
        assert_eq!(
            (r.function.qualifier.as_deref(), r.payload.as_str(), r.style),
            (Some("live"), "\"HelloWorld\"", CallStyle::FunctionArn)
        );
        assert!(
            InvokeRequest::from_task(
                &task("arn:aws:states:::sqs:sendMessage", json!({})),
                &AwsScope::default()
            )
            .is_none()
        );
    }

    #[test]
    fn function_errors_keep_the_cause_format_of_each_style() {
        let payload = r#"{"errorMessage":"m","errorType":"ValueError","stackTrace":["a"]}"#;
        let invoke = function_failure(payload, "Unhandled", CallStyle::Invoke);
        assert_eq!(
            (invoke.error.as_deref(), invoke.cause.as_deref()),
            (Some("ValueError"), Some(payload))
        );
        let direct = function_failure(payload, "Unhandled", CallStyle::FunctionArn);
        assert_eq!(
            direct.cause.as_deref(),
            Some(r#"{"errorMessage": "m", "errorType": "ValueError", "stackTrace": ["a"]}"#)
        );
        assert_eq!(
            function_failure(r#"{"errorMessage":"m"}"#, "Unhandled", CallStyle::Invoke)
                .error
                .as_deref(),
            Some("Unhandled")
        );
        assert_eq!(
            function_failure("crash", "Unhandled", CallStyle::Invoke)
                .cause
                .as_deref(),
            Some("crash")
        );
    }

    #[test]
    fn not_found_and_client_errors_read_as_on_aws() {
        let id = FunctionId::parse("nope", &AwsScope::new("us-east-1", "111111111111")).unwrap();
        let f = LambdaError::function_not_found(&id).to_failure("<request_id>");
        assert_eq!(f.error.as_deref(), Some("Lambda.ResourceNotFoundException"));
        assert_eq!(
            f.cause.as_deref(),
            Some(
                "Function not found: arn:aws:lambda:us-east-1:111111111111:function:nope:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: <request_id>; Proxy: null)"
            )
        );
        let f = LambdaError::Client {
            message: "Connection refused".into(),
        }
        .to_failure("x");
        assert_eq!(f.error.as_deref(), Some("Lambda.SdkClientException"));
    }

    #[test]
    fn event_and_dry_run_envelopes_have_no_payload() {
        let meta = ResponseMeta {
            request_id: "rid".into(),
            date_ms: 1_704_067_200_000,
            trace_id: "t".into(),
        };
        for (status, _) in [(202, "Event"), (204, "DryRun")] {
            let resp = InvokeResponse {
                status_code: status,
                executed_version: None,
                function_error: None,
                payload: String::new(),
                log_result: None,
            };
            let env = invoke_envelope(&resp, &meta);
            assert_eq!(env["StatusCode"], json!(status));
            assert_eq!(env["Payload"], json!(""));
            assert_eq!(env["SdkHttpMetadata"]["HttpStatusCode"], json!(status));
            assert_eq!(
                env["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"],
                json!("0")
            );
            assert_eq!(
                env["SdkHttpMetadata"]["HttpHeaders"]["Date"],
                json!("Mon, 01 Jan 2024 00:00:00 GMT")
            );
            assert!(env.get("ExecutedVersion").is_none());
        }
    }
}
