//! What AWS answers for the service integrations a Task state can call, when nobody here
//! does: the documented response shape (with the request's own values where AWS echoes
//! them), the document it follows, and the error names the integration raises. The
//! catalog (`services.json`) was written from AWS's documentation and recordings of real
//! executions; `aws-sdk:SERVICE:ACTION` tasks not in it get an empty object and the error
//! names AWS generates for SDK integrations.

use crate::engine::TaskRequest;
use crate::json::{Map, Value};
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Catalog {
    aws_sdk: AwsSdk,
    integrations: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwsSdk {
    document: String,
    #[serde(default)]
    service_names: Map,
}

#[derive(Debug, Deserialize)]
struct Entry {
    resource: String,
    service: String,
    action: String,
    document: String,
    response: Value,
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    notes: String,
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        serde_json::from_str(include_str!("services.json")).expect("services.json is valid")
    })
}

/// A service's default answer for one task.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceAnswer {
    /// `DynamoDB GetItem`.
    pub call: String,
    /// What AWS returns (request values echoed, ids generated).
    pub output: Value,
    /// The AWS document the shape follows.
    pub document: String,
    /// The error names a Catch sees for this integration.
    pub errors: Vec<String>,
    pub notes: String,
}

/// `arn:aws:states:::dynamodb:getItem` → `dynamodb:getItem` (also the regional
/// `arn:aws:states:REGION:ACCOUNT:aws-sdk:...` form); None for a function ARN or an
/// activity.
pub fn integration_of(resource: &str) -> Option<&str> {
    if let Some((_, rest)) = resource.split_once(":states:::") {
        return Some(rest);
    }
    resource
        .find(":aws-sdk:")
        .filter(|_| resource.starts_with("arn:"))
        .map(|i| &resource[i + 1..])
}

/// The default answer for `req`, or None when its integration is not a service call
/// this knows (a Lambda function, an activity, an unknown optimized integration).
pub fn default_answer(req: &TaskRequest, seed: u64) -> Option<ServiceAnswer> {
    let integration = integration_of(&req.resource)?;
    let cat = catalog();
    let mut ids = Ids::new(seed, req.id);
    if let Some(e) = cat.integrations.iter().find(|e| e.resource == integration) {
        return Some(ServiceAnswer {
            call: format!("{} {}", e.service, e.action),
            output: fill(&e.response, req, &mut ids, ""),
            document: e.document.clone(),
            errors: e.errors.clone(),
            notes: e.notes.clone(),
        });
    }
    // Any other AWS SDK integration: the API's response (unknown here: empty), and the
    // error names Step Functions makes of the service's exceptions.
    let rest = integration.strip_prefix("aws-sdk:")?;
    let (service, action) = rest.split_once(':')?;
    let action = action.split('.').next().unwrap_or(action);
    let name = cat
        .aws_sdk
        .service_names
        .get(service)
        .and_then(Value::as_str)
        .map_or_else(|| pascal(service), str::to_string);
    Some(ServiceAnswer {
        call: format!("{name} {}", pascal(action)),
        output: Value::Object(Map::new()),
        document: cat.aws_sdk.document.clone(),
        errors: vec![
            format!("{name}.{name}Exception"),
            "States.TaskFailed".into(),
            "States.Timeout".into(),
        ],
        notes: format!(
            "the {} API's response, field names in PascalCase; its errors are {name}.<ExceptionName>",
            pascal(action)
        ),
    })
}

fn pascal(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Ids for one answer: the request id repeats wherever AWS repeats it; other ids differ.
/// All come from the seed and the task id, so runs repeat exactly.
struct Ids {
    seed: u64,
    task: u64,
    n: u64,
    request_id: Option<String>,
}

impl Ids {
    fn new(seed: u64, task: u64) -> Ids {
        Ids {
            seed,
            task,
            n: 0,
            request_id: None,
        }
    }

    fn fresh(&mut self) -> String {
        self.n += 1;
        crate::engine::uuid_from(&format!("{}/{}/{}", self.seed, self.task, self.n))
    }

    fn request(&mut self) -> String {
        if self.request_id.is_none() {
            self.request_id = Some(self.fresh());
        }
        self.request_id.clone().unwrap_or_default()
    }
}

/// The template with its markers filled: `{"$request": "Key"}`, `{"$uuid": true}`,
/// `{"$epochMillis": true}`, `{"$iso": true}`, `{"$json": value}`, `{"$md5": "Field"}`.
fn fill(v: &Value, req: &TaskRequest, ids: &mut Ids, key: &str) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next().expect("one member");
            match k.as_str() {
                "$request" => request_value(req, arg.as_str().unwrap_or_default()),
                "$uuid" if key.contains("RequestId") => Value::from(ids.request()),
                "$uuid" => Value::from(ids.fresh()),
                "$epochMillis" => Value::from(req.scheduled_ms),
                "$iso" => Value::from(crate::engine::time::format_millis(req.scheduled_ms)),
                "$json" => Value::from(crate::expr::compact(&fill(arg, req, ids, key))),
                "$md5" => {
                    use md5::Digest;
                    let text = match request_value(req, arg.as_str().unwrap_or_default()) {
                        Value::String(s) => s.into_string(),
                        other => crate::expr::compact(&other),
                    };
                    Value::from(hex::encode(md5::Md5::digest(text.as_bytes())))
                }
                _ => Value::Object(fill_members(m, req, ids)),
            }
        }
        Value::Object(m) => Value::Object(fill_members(m, req, ids)),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill(x, req, ids, key)).collect()),
        other => other.clone(),
    }
}

fn fill_members(m: &Map, req: &TaskRequest, ids: &mut Ids) -> Map {
    m.iter()
        .map(|(k, x)| (k.clone(), fill(x, req, ids, k)))
        .collect()
}

/// A field of the task's effective parameters by dot path (`Entries.0.DetailType`).
fn request_value(req: &TaskRequest, path: &str) -> Value {
    let mut v = &req.input;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        v = match v {
            Value::Array(a) => match part.parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(x) => x,
                None => return Value::Null,
            },
            other => match other.get(part) {
                Some(x) => x,
                None => return Value::Null,
            },
        };
    }
    v.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn req(resource: &str, input: Value) -> TaskRequest {
        TaskRequest::new(7, "S", "/States/S", resource, input, 1_700_000_000_000)
    }

    #[test]
    fn the_catalog_loads_and_echoes_the_request() {
        let r = req(
            "arn:aws:states:::dynamodb:getItem",
            json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}}),
        );
        let a = default_answer(&r, 0).unwrap();
        assert_eq!(a.call, "DynamoDB GetItem");
        assert_eq!(a.output["Item"], json!({"id": {"S": "o-1"}}));
        assert_eq!(a.output["SdkHttpMetadata"]["HttpStatusCode"], 200);
        // The request id is the same in both places AWS gives it.
        assert_eq!(
            a.output["SdkResponseMetadata"]["RequestId"],
            a.output["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"]
        );
        assert!(a.document.contains("docs.aws.amazon.com"));
        assert!(a.errors.iter().any(|e| e.starts_with("DynamoDB.")));
        // The same task gives the same answer.
        assert_eq!(default_answer(&r, 0).unwrap(), a);
        let sqs = default_answer(
            &req(
                "arn:aws:states:::sqs:sendMessage",
                json!({"QueueUrl": "q", "MessageBody": "hello"}),
            ),
            0,
        )
        .unwrap();
        assert_eq!(
            sqs.output["MD5OfMessageBody"],
            "5d41402abc4b2a76b9719d911017c592"
        );
    }

    #[test]
    fn every_catalog_entry_fills_and_sdk_calls_get_generated_error_names() {
        for e in &catalog().integrations {
            let a = default_answer(
                &req(&format!("arn:aws:states:::{}", e.resource), json!({})),
                1,
            )
            .unwrap();
            assert!(!a.document.is_empty(), "{}", e.resource);
            let text = a.output.to_string();
            assert!(
                !text.contains("\"$"),
                "{}: a marker left: {text}",
                e.resource
            );
        }
        let a = default_answer(
            &req("arn:aws:states:::aws-sdk:ec2:describeInstances", json!({})),
            0,
        )
        .unwrap();
        assert_eq!(a.call, "Ec2 DescribeInstances");
        assert_eq!(a.output, json!({}));
        assert!(a.errors.iter().any(|e| e.ends_with("Exception")));
        assert_eq!(
            integration_of("arn:aws:states:us-east-1:776177632559:aws-sdk:s3:getObject"),
            Some("aws-sdk:s3:getObject")
        );
        assert!(
            default_answer(&req("arn:aws:lambda:us-east-1:1:function:f", json!({})), 0).is_none()
        );
    }
}
