//! Running a function on its configured backend and answering as Lambda's Invoke API
//! would: the user's handler file (`handler:`), any executable (`command:`) or a Lambda
//! Invoke endpoint (`endpoint:`). Every call is bounded by the route's timeout; a function
//! still running then is stopped and fails with Lambda's own `Sandbox.Timedout` error.
//! Calls wait for a slot in the shell's invocation pool, and what a function prints or an
//! endpoint sends is capped (Lambda's 6 MB response limit; a bounded log).

use super::lambda::{AwsScope, InvocationType, InvokeRequest, InvokeResponse, LambdaError};
use super::process::{self, Caps, Exit};
use super::routes::{Backend, BackendOptions, Route};
use crate::expr::compact;
use crate::json;
use crate::json::Value;
use crate::shell::http::client as http;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::process::Command;

const PYTHON_RUNNER: &str = include_str!("runners/lambda_runner.py");
const NODE_RUNNER: &str = include_str!("runners/lambda_runner.js");
/// Lambda returns at most the last 4 KB of the log as `LogResult`.
const LOG_TAIL_BYTES: usize = 4096;
/// How much of a crashed command's stderr its error carries.
const STDERR_IN_ERROR_BYTES: usize = 4096;
/// Lambda's limit on a synchronous response payload, as its error message states it.
pub const MAX_RESPONSE_BYTES: usize = 6_291_556;
/// How much of a function's log (its stderr) is kept.
const MAX_LOG_BYTES: usize = 1024 * 1024;
/// A runner prints a status line before the payload.
const CAPS: Caps = Caps {
    stdout: MAX_RESPONSE_BYTES + 64,
    stderr: MAX_LOG_BYTES,
};

/// The language of a handler file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Python,
    Node,
}

impl Runtime {
    /// By the file's extension: `.py`, or `.js`/`.mjs`/`.cjs`.
    pub fn of(path: &Path) -> Option<Runtime> {
        match path.extension()?.to_str()? {
            "py" => Some(Runtime::Python),
            "js" | "mjs" | "cjs" => Some(Runtime::Node),
            _ => None,
        }
    }

    /// The interpreter run from PATH.
    pub fn interpreter(self) -> &'static str {
        match self {
            Runtime::Python => "python3",
            Runtime::Node => "node",
        }
    }
}

/// What a backend needs besides the request.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub request_id: String,
    pub scope: AwsScope,
    /// Where relative paths of routes without their own folder are taken from.
    pub base_dir: PathBuf,
    /// The wall-clock limit: the route's timeout, or the task's TimeoutSeconds if sooner.
    pub time_limit: Duration,
}

/// What a backend answered.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendAnswer {
    /// Lambda's response, or the Invoke API's error.
    pub response: Result<InvokeResponse, LambdaError>,
    /// The function's log (its stdout and stderr, or the endpoint's log tail).
    pub log: String,
    /// For `Event` calls: what the function answered (Lambda discards it).
    pub discarded_payload: Option<String>,
    /// The call ran into its time limit and was stopped.
    pub timed_out: bool,
    pub elapsed: Duration,
}

/// Run `req` on `route`'s backend. None for `mock` and `manual`, which run nothing.
pub async fn invoke(route: Route, req: InvokeRequest, ctx: CallContext) -> Option<BackendAnswer> {
    if matches!(route.backend, Backend::Mock | Backend::Manual) {
        return None;
    }
    let _slot = crate::shell::runtime::invocation_slot().await;
    let started = Instant::now();
    let call = Call {
        req: &req,
        options: &route.options,
        ctx: &ctx,
        base_dir: route.base_dir.as_deref().unwrap_or(&ctx.base_dir),
    };
    let mut answer = match &route.backend {
        Backend::Mock | Backend::Manual => return None,
        Backend::Handler { path, name } => {
            call.run_local(call.run_handler(&call.base_dir.join(path), name))
                .await
        }
        Backend::Command { program, args } => {
            call.run_local(call.run_command(&call.program_path(program), args))
                .await
        }
        Backend::Endpoint { url } => call.call_endpoint(url).await,
    };
    answer.elapsed = started.elapsed();
    Some(answer)
}

/// How a local function run ended, before it is put into Lambda's response.
#[derive(Debug)]
struct LocalRun {
    /// Ok(result JSON text) or Err(error JSON text).
    result: Result<String, String>,
    log: String,
    timed_out: bool,
}

/// One call on one route.
struct Call<'a> {
    req: &'a InvokeRequest,
    options: &'a BackendOptions,
    ctx: &'a CallContext,
    /// The folder relative paths are taken from (and local functions run in).
    base_dir: &'a Path,
}

impl Call<'_> {
    fn executed_version(&self) -> String {
        self.req
            .executed_version(self.options.alias_version.as_deref())
    }

    /// Put a local run into Lambda's response for the call's invocation type.
    async fn run_local(&self, run: impl Future<Output = LocalRun>) -> BackendAnswer {
        let status_code = self.req.invocation_type.success_status();
        let no_body = InvokeResponse {
            status_code,
            executed_version: None,
            function_error: None,
            payload: String::new(),
            log_result: None,
        };
        let answer = |response, log, discarded_payload, timed_out| BackendAnswer {
            response: Ok(response),
            log,
            discarded_payload,
            timed_out,
            elapsed: Duration::ZERO,
        };
        match self.req.invocation_type {
            // DryRun only checks that the call would be allowed: nothing runs.
            InvocationType::DryRun => answer(no_body, String::new(), None, false),
            // Lambda queues the event and answers 202 at once; the function's answer goes nowhere.
            InvocationType::Event => {
                let LocalRun {
                    result,
                    log,
                    timed_out,
                } = run.await;
                let (Ok(discarded) | Err(discarded)) = result;
                answer(no_body, log, Some(discarded), timed_out)
            }
            InvocationType::RequestResponse => {
                let LocalRun {
                    result,
                    log,
                    timed_out,
                } = run.await;
                let version = self.executed_version();
                let log_result = self
                    .req
                    .log_tail
                    .then(|| log_tail(&self.ctx.request_id, &version, &log));
                let (payload, function_error) = match result {
                    Ok(text) if text.len() > MAX_RESPONSE_BYTES => {
                        (self.too_large_error(), Some("Unhandled".to_string()))
                    }
                    Ok(text) => (text, None),
                    Err(text) => (text, Some("Unhandled".to_string())),
                };
                let response = InvokeResponse {
                    status_code,
                    executed_version: Some(version),
                    function_error,
                    payload,
                    log_result,
                };
                answer(response, log, None, timed_out)
            }
        }
    }

    /// The environment Lambda gives a function, plus what the runners need.
    fn lambda_env(&self, cmd: &mut Command) {
        let (req, ctx) = (self.req, self.ctx);
        let version = self.executed_version();
        let name = &req.function.name;
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        cmd.env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", &version)
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.options.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("stepdbg/[{version}]{}", ctx.request_id.replace('-', "")),
            )
            .env("AWS_REGION", &ctx.scope.region)
            .env("AWS_DEFAULT_REGION", &ctx.scope.region)
            .env("STEPDBG_REQUEST_ID", &ctx.request_id)
            .env("STEPDBG_INVOKED_FUNCTION_ARN", req.function.qualified_arn())
            .env(
                "STEPDBG_DEADLINE_MS",
                (now_ms + ctx.time_limit.as_millis()).to_string(),
            );
        // The function's own variables (a template's Environment), as Lambda sets them.
        cmd.envs(self.options.environment.iter().map(|(k, v)| (k, v)));
        let client_context = req
            .client_context
            .as_deref()
            .and_then(|c| BASE64.decode(c).ok())
            .and_then(|b| String::from_utf8(b).ok());
        if let Some(decoded) = client_context {
            cmd.env("STEPDBG_CLIENT_CONTEXT", decoded);
        }
    }

    async fn run_handler(&self, file: &Path, name: &str) -> LocalRun {
        let Some(runtime) = Runtime::of(file) else {
            return self.failed_start(&format!(
                "{} is neither a Python nor a Node file",
                file.display()
            ));
        };
        let module = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if !file.is_file() {
            let error = match runtime {
                Runtime::Python => self.python_error(
                    "Runtime.ImportModuleError",
                    &format!("Unable to import module '{module}': No module named '{module}'"),
                ),
                Runtime::Node => compact(&json!({
                    "errorType": "Runtime.ImportModuleError",
                    "errorMessage": format!("Error: Cannot find module '{}'", file.display()),
                    "trace": [],
                })),
            };
            let log = format!("stepdbg: handler file {} not found\n", file.display());
            return LocalRun {
                result: Err(error),
                log,
                timed_out: false,
            };
        }
        let task_root = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(self.base_dir);
        let mut cmd = Command::new(runtime.interpreter());
        match runtime {
            // -u: unbuffered, so prints and log records keep their order in the log.
            Runtime::Python => cmd.args(["-u", "-c", PYTHON_RUNNER]),
            Runtime::Node => cmd.args(["-e", NODE_RUNNER]),
        };
        cmd.current_dir(task_root)
            .env("STEPDBG_HANDLER_FILE", absolute(file))
            .env("STEPDBG_HANDLER_NAME", name)
            .env("_HANDLER", format!("{module}.{name}"))
            .env("LAMBDA_TASK_ROOT", absolute(task_root));
        self.lambda_env(&mut cmd);
        let input = self.req.payload.as_bytes().to_vec();
        let finished = match process::run(cmd, input, self.ctx.time_limit, CAPS).await {
            Ok(f) => f,
            Err(e) => return self.failed_start(&format!("{}: {e}", runtime.interpreter())),
        };
        let stdout = String::from_utf8_lossy(&finished.stdout.bytes);
        // The runner answers "ok" or "error", a newline, then the JSON text.
        let result = match (finished.exit, stdout.split_once('\n')) {
            (Exit::TimedOut, _) => Err(self.timed_out_error()),
            (_, _) if finished.stdout.dropped > 0 => {
                Ok(String::from_utf8_lossy(&finished.stdout.bytes).into_owned())
            }
            (_, Some(("ok", text))) => Ok(text.to_string()),
            (_, Some(("error", text))) => Err(text.to_string()),
            (exit, _) => Err(self.exit_error(exit, None)),
        };
        let log = finished.stderr.text();
        LocalRun {
            result,
            log,
            timed_out: finished.exit == Exit::TimedOut,
        }
    }

    async fn run_command(&self, program: &Path, args: &[String]) -> LocalRun {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(self.base_dir);
        self.lambda_env(&mut cmd);
        let input = self.req.payload.as_bytes().to_vec();
        let finished = match process::run(cmd, input, self.ctx.time_limit, CAPS).await {
            Ok(f) => f,
            Err(e) => return self.failed_start(&format!("{}: {e}", program.display())),
        };
        let log = finished.stderr.text();
        let stdout = String::from_utf8_lossy(&finished.stdout.bytes)
            .trim_end()
            .to_string();
        let result = match finished.exit {
            Exit::TimedOut => Err(self.timed_out_error()),
            Exit::Code(0) if stdout.is_empty() => Ok("null".into()),
            Exit::Code(0) => Ok(stdout),
            // A program may name its error the way a handler would, by printing Lambda's error shape.
            _ if is_error_document(&stdout) => Err(stdout),
            exit => Err(self.exit_error(exit, Some(&log))),
        };
        LocalRun {
            result,
            log,
            timed_out: finished.exit == Exit::TimedOut,
        }
    }

    /// A program without a `/` is looked up on PATH; with one, it is relative to the base folder.
    fn program_path(&self, program: &str) -> PathBuf {
        if program.contains('/') {
            self.base_dir.join(program)
        } else {
            PathBuf::from(program)
        }
    }

    /// An error as the Python runtime reports it (key order included).
    fn python_error(&self, error_type: &str, message: &str) -> String {
        compact(
            &json!({"errorMessage": message, "errorType": error_type, "requestId": self.ctx.request_id, "stackTrace": []}),
        )
    }

    /// Lambda's error when a function answers more than it may.
    fn too_large_error(&self) -> String {
        compact(&json!({
            "errorMessage": format!("Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."),
            "errorType": "Function.ResponseSizeTooLarge",
        }))
    }

    /// Lambda's own error when a function outlives its timeout.
    fn timed_out_error(&self) -> String {
        compact(&json!({
            "errorType": "Sandbox.Timedout",
            "errorMessage": format!("RequestId: {} Error: Task timed out after {:.2} seconds", self.ctx.request_id, self.ctx.time_limit.as_secs_f64()),
        }))
    }

    /// Lambda's error when the runtime process ends without answering; a command's stderr
    /// rides along so the cause says what went wrong.
    fn exit_error(&self, exit: Exit, stderr: Option<&str>) -> String {
        // Lambda's words: a runtime that ended without error and without an answer gave
        // no reason.
        let how = match exit {
            Exit::Code(0) => "Runtime exited without providing a reason".to_string(),
            Exit::Code(code) => format!("Runtime exited with error: exit status {code}"),
            Exit::Signal(sig) => format!("Runtime exited with error: signal: {}", signal_name(sig)),
            Exit::TimedOut => "Runtime exited with error: signal: killed".into(),
        };
        let mut doc = json!({
            "errorType": "Runtime.ExitError",
            "errorMessage": format!("RequestId: {} Error: {how}", self.ctx.request_id),
        });
        if let Some(stderr) = stderr {
            let start = stderr.len().saturating_sub(STDERR_IN_ERROR_BYTES);
            let start = (start..=stderr.len())
                .find(|&i| stderr.is_char_boundary(i))
                .unwrap_or(stderr.len());
            doc["stderr"] = json!(&stderr[start..]);
        }
        compact(&doc)
    }

    /// The runtime could not be started at all (no interpreter, no program).
    fn failed_start(&self, detail: &str) -> LocalRun {
        let error = compact(&json!({
            "errorType": "Runtime.InvalidEntrypoint",
            "errorMessage": format!("RequestId: {} Error: could not start {detail}", self.ctx.request_id),
        }));
        LocalRun {
            result: Err(error),
            log: format!("stepdbg: could not start {detail}\n"),
            timed_out: false,
        }
    }

    async fn call_endpoint(&self, url: &str) -> BackendAnswer {
        let (req, ctx) = (self.req, self.ctx);
        let done = |response, log: String, timed_out| BackendAnswer {
            response,
            log,
            discarded_payload: None,
            timed_out,
            elapsed: Duration::ZERO,
        };
        let url = match http::Url::parse(url) {
            Ok(u) => u,
            Err(e) => {
                return done(
                    Err(LambdaError::Client { message: e }),
                    String::new(),
                    false,
                );
            }
        };
        let name = self
            .options
            .endpoint_function
            .as_deref()
            .unwrap_or(&req.function.name);
        let mut path = format!(
            "/2015-03-31/functions/{}/invocations",
            http::percent_encode(name)
        );
        if let Some(q) = &req.function.qualifier {
            path.push_str(&format!("?Qualifier={}", http::percent_encode(q)));
        }
        // The log is asked for even when the task did not: the debugger shows it.
        let want_log = req.invocation_type == InvocationType::RequestResponse;
        let mut headers = vec![
            ("Content-Type", "application/json".to_string()),
            (
                "X-Amz-Invocation-Type",
                req.invocation_type.as_str().to_string(),
            ),
            (
                "X-Amz-Log-Type",
                if want_log { "Tail" } else { "None" }.to_string(),
            ),
        ];
        if let Some(c) = &req.client_context {
            headers.push(("X-Amz-Client-Context", c.clone()));
        }
        let body = req.payload.as_bytes().to_vec();
        let sent = http::post(
            &url,
            &path,
            &headers,
            body,
            ctx.time_limit,
            MAX_RESPONSE_BYTES,
        );
        let resp = match sent.await {
            Ok(r) => r,
            Err(http::Error::TooLarge { .. }) => {
                let response = InvokeResponse {
                    status_code: 200,
                    executed_version: Some(self.executed_version()),
                    function_error: Some("Unhandled".into()),
                    payload: self.too_large_error(),
                    log_result: None,
                };
                return done(Ok(response), String::new(), false);
            }
            Err(http::Error::Timeout) => {
                let response = InvokeResponse {
                    status_code: 200,
                    executed_version: Some(self.executed_version()),
                    function_error: Some("Unhandled".into()),
                    payload: self.timed_out_error(),
                    log_result: None,
                };
                return done(Ok(response), String::new(), true);
            }
            Err(http::Error::Io(message)) => {
                return done(Err(LambdaError::Client { message }), String::new(), false);
            }
        };
        let body = String::from_utf8_lossy(&resp.body).into_owned();
        let log_result = resp.header("X-Amz-Log-Result").map(str::to_string);
        let log = log_result
            .as_deref()
            .and_then(|l| BASE64.decode(l).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        if !(200..300).contains(&resp.status) {
            return done(Err(service_error(&resp, &body)), log, false);
        }
        let response = InvokeResponse {
            status_code: resp.status,
            executed_version: resp.header("X-Amz-Executed-Version").map(str::to_string),
            function_error: resp.header("X-Amz-Function-Error").map(str::to_string),
            payload: body,
            log_result: log_result.filter(|_| req.log_tail),
        };
        done(Ok(response), log, false)
    }
}

/// `LogResult`: the end of the log as Lambda frames it, base64.
fn log_tail(request_id: &str, version: &str, log: &str) -> String {
    let mut framed = format!("START RequestId: {request_id} Version: {version}\n{log}");
    if !framed.ends_with('\n') {
        framed.push('\n');
    }
    framed.push_str(&format!("END RequestId: {request_id}\n"));
    let bytes = framed.as_bytes();
    BASE64.encode(&bytes[bytes.len().saturating_sub(LOG_TAIL_BYTES)..])
}

fn is_error_document(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .is_ok_and(|v| v.get("errorType").is_some_and(Value::is_string))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn signal_name(sig: i32) -> String {
    match sig {
        6 => "aborted".into(),
        9 => "killed".into(),
        11 => "segmentation fault".into(),
        15 => "terminated".into(),
        n => format!("signal {n}"),
    }
}

/// A Lambda API error response: the code from `x-amzn-ErrorType` (or the body's `__type` /
/// `Type`), the message from the body.
fn service_error(resp: &http::Response, body: &str) -> LambdaError {
    let doc: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| doc.get(*k).and_then(Value::as_str))
            .map(str::to_string)
    };
    let raw_code = resp
        .header("x-amzn-ErrorType")
        .map(|h| h.split(':').next().unwrap_or(h).to_string())
        .or_else(|| {
            text(&["__type", "code"]).map(|t| t.rsplit('#').next().unwrap_or(&t).to_string())
        })
        .unwrap_or_else(|| {
            if resp.status == 404 {
                "ResourceNotFoundException".into()
            } else {
                "ServiceException".into()
            }
        });
    // sam local says `ResourceNotFound` where AWS says `ResourceNotFoundException`.
    let code = if raw_code.ends_with("Exception") {
        raw_code
    } else {
        format!("{raw_code}Exception")
    };
    let message =
        text(&["message", "Message", "errorMessage"]).unwrap_or_else(|| body.trim().to_string());
    LambdaError::Service {
        status: resp.status,
        code,
        message,
    }
}
