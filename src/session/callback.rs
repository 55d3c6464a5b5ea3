//! The callback endpoint: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat in the
//! AWS JSON 1.0 protocol, so the Lambda that received a task token (or the AWS CLI with
//! `--endpoint-url`, or an SDK) can complete it.
//!
//! A small HTTP/1.1 server on its own thread parses requests and hands each one, with a
//! reply channel, to whoever owns the execution (the session's event loop or `run`).

use crate::engine::{Execution, Failure, TaskOutcome};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One SendTask* call.
#[derive(Debug, Clone, PartialEq)]
pub enum CallbackAction {
    Success {
        output: Value,
    },
    Failure {
        error: Option<String>,
        cause: Option<String>,
    },
    Heartbeat,
}

/// A request for whoever owns the execution. Requests for tokens registered with
/// [`CallbackServer::expect`] were already answered (so a function can complete its own
/// token while the engine still waits for it to return); the others wait for
/// [`CallbackRequest::answer`].
#[derive(Debug)]
pub struct CallbackRequest {
    pub token: String,
    pub action: CallbackAction,
    reply: Option<Sender<Result<(), CallbackError>>>,
}

impl CallbackRequest {
    pub fn answer(self, result: Result<(), CallbackError>) {
        if let Some(r) = self.reply {
            let _ = r.send(result);
        }
    }
}

/// What the endpoint knows of a token without asking the execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenState {
    Pending,
    Completed,
    TimedOut,
}

type Registry = Arc<Mutex<HashMap<String, TokenState>>>;

/// AWS's error shapes for SendTask*.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackError {
    TaskDoesNotExist,
    InvalidToken,
    InvalidOutput(String),
    TaskTimedOut,
    /// Anything else wrong with the request (unknown action, bad JSON body).
    Validation(String),
}

impl CallbackError {
    fn code(&self) -> &'static str {
        match self {
            CallbackError::TaskDoesNotExist => "TaskDoesNotExist",
            CallbackError::InvalidToken => "InvalidToken",
            CallbackError::InvalidOutput(_) => "InvalidOutput",
            CallbackError::TaskTimedOut => "TaskTimedOut",
            CallbackError::Validation(_) => "ValidationException",
        }
    }

    fn message(&self) -> String {
        match self {
            CallbackError::TaskDoesNotExist => "Task does not exist anymore".into(),
            CallbackError::InvalidToken => "Invalid Token: the task token is malformed".into(),
            CallbackError::InvalidOutput(m) => format!("Invalid Output: {m}"),
            CallbackError::TaskTimedOut => "Task Timed Out".into(),
            CallbackError::Validation(m) => m.clone(),
        }
    }
}

/// A running endpoint. Requests arrive on `requests`.
pub struct CallbackServer {
    pub addr: SocketAddr,
    pub requests: Receiver<CallbackRequest>,
    tokens: Registry,
}

impl CallbackServer {
    /// A handle that registers tokens, usable where the server itself is not.
    pub fn tokens(&self) -> Tokens {
        Tokens(self.tokens.clone())
    }
}

/// The tokens the endpoint can answer for by itself.
#[derive(Debug, Clone)]
pub struct Tokens(Registry);

impl Tokens {
    /// A task with this token is pending: SendTask* calls for it are answered at once
    /// (and queued on the server's `requests`), even while the owner is busy running the
    /// very function that calls back.
    pub fn expect(&self, token: &str) {
        if let Ok(mut t) = self.0.lock() {
            t.entry(token.to_string()).or_insert(TokenState::Pending);
        }
    }

    /// The task with this token timed out: later calls get TaskTimedOut.
    pub fn timed_out(&self, token: &str) {
        if let Ok(mut t) = self.0.lock() {
            t.insert(token.to_string(), TokenState::TimedOut);
        }
    }
}

/// A resolver that registers each task token with the endpoint before the task's function
/// runs, so that the function may complete its own token.
pub struct ExpectTokens<R> {
    pub inner: R,
    pub tokens: Tokens,
}

impl<R: super::Resolver> super::Resolver for ExpectTokens<R> {
    fn resolve(&mut self, req: &crate::engine::TaskRequest) -> super::Resolution {
        if let Some(t) = &req.token {
            self.tokens.expect(t);
        }
        self.inner.resolve(req)
    }

    fn reset(&mut self) {
        self.inner.reset();
    }

    fn replayed(&mut self, req: &crate::engine::TaskRequest) {
        self.inner.replayed(req);
    }

    fn resolve_in_background(
        &mut self,
        req: &crate::engine::TaskRequest,
    ) -> Option<std::sync::mpsc::Receiver<super::Resolution>> {
        if let Some(t) = &req.token {
            self.tokens.expect(t);
        }
        self.inner.resolve_in_background(req)
    }
}

/// Serve on `addr` (loopback unless the user asks otherwise).
pub fn serve(addr: &str) -> std::io::Result<CallbackServer> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    let (tx, rx) = channel();
    let tokens: Registry = Arc::default();
    let registry = tokens.clone();
    std::thread::Builder::new()
        .name("callback-endpoint".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let tx = tx.clone();
                let registry = registry.clone();
                std::thread::spawn(move || {
                    let _ = handle_connection(stream, &tx, &registry);
                });
            }
        })?;
    Ok(CallbackServer {
        addr: local,
        requests: rx,
        tokens,
    })
}

/// Answer from the registry when the token is known there; None: ask the owner.
fn answer_from_registry(
    registry: &Registry,
    token: &str,
    action: &CallbackAction,
) -> Option<Result<(), CallbackError>> {
    if !is_well_formed_token(token) {
        return Some(Err(CallbackError::InvalidToken));
    }
    let mut tokens = registry.lock().ok()?;
    let state = tokens.get_mut(token)?;
    Some(match *state {
        TokenState::Completed => Err(CallbackError::TaskDoesNotExist),
        TokenState::TimedOut => Err(CallbackError::TaskTimedOut),
        TokenState::Pending => {
            if !matches!(action, CallbackAction::Heartbeat) {
                *state = TokenState::Completed;
            }
            Ok(())
        }
    })
}

fn handle_connection(
    stream: TcpStream,
    tx: &Sender<CallbackRequest>,
    registry: &Registry,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let request_line = line.trim_end().to_string();
        if request_line.is_empty() {
            continue;
        }
        let mut target = String::new();
        let mut length = 0usize;
        let mut keep_alive = true;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                match k.as_str() {
                    "x-amz-target" => target = v.to_string(),
                    "content-length" => length = v.parse().unwrap_or(0),
                    "connection" => keep_alive = !v.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length.min(1 << 20)];
        reader.read_exact(&mut body)?;
        let result = if !request_line.starts_with("POST ") {
            Err(CallbackError::Validation(
                "only POST requests are served".into(),
            ))
        } else {
            parse(&target, &body).and_then(|(token, action)| {
                if let Some(result) = answer_from_registry(registry, &token, &action) {
                    if result.is_ok() {
                        let _ = tx.send(CallbackRequest {
                            token,
                            action,
                            reply: None,
                        });
                    }
                    return result;
                }
                let (reply_tx, reply_rx) = channel();
                tx.send(CallbackRequest {
                    token,
                    action,
                    reply: Some(reply_tx),
                })
                .map_err(|_| CallbackError::Validation("the execution has ended".into()))?;
                reply_rx
                    .recv_timeout(Duration::from_secs(30))
                    .unwrap_or(Err(CallbackError::Validation(
                        "stepdbg did not answer in time".into(),
                    )))
            })
        };
        let (status, body) = match &result {
            Ok(()) => ("200 OK", "{}".to_string()),
            Err(e) => (
                "400 Bad Request",
                json!({"__type": e.code(), "message": e.message()}).to_string(),
            ),
        };
        let error_header = result
            .as_ref()
            .err()
            .map(|e| format!("x-amzn-ErrorType: {}\r\n", e.code()))
            .unwrap_or_default();
        write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\n{error_header}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        out.flush()?;
        if !keep_alive {
            return Ok(());
        }
    }
}

/// Read `X-Amz-Target` and the JSON body into an action.
fn parse(target: &str, body: &[u8]) -> Result<(String, CallbackAction), CallbackError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| CallbackError::Validation(format!("the body is not JSON: {e}")))?;
    let token = v
        .get("taskToken")
        .and_then(Value::as_str)
        .ok_or_else(|| CallbackError::Validation("taskToken is required".into()))?
        .to_string();
    let action = match target.strip_prefix("AWSStepFunctions.") {
        Some("SendTaskSuccess") => {
            let text = v
                .get("output")
                .and_then(Value::as_str)
                .ok_or_else(|| CallbackError::Validation("output is required".into()))?;
            let output = serde_json::from_str(text)
                .map_err(|e| CallbackError::InvalidOutput(e.to_string()))?;
            CallbackAction::Success { output }
        }
        Some("SendTaskFailure") => CallbackAction::Failure {
            error: v.get("error").and_then(Value::as_str).map(str::to_string),
            cause: v.get("cause").and_then(Value::as_str).map(str::to_string),
        },
        Some("SendTaskHeartbeat") => CallbackAction::Heartbeat,
        _ => {
            return Err(CallbackError::Validation(format!(
                "unknown operation '{target}'"
            )));
        }
    };
    Ok((token, action))
}

/// Our tokens are 32 hex digits; anything else is malformed.
pub fn is_well_formed_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Apply a SendTask* call to an execution. `timed_out` lists tokens whose tasks timed out.
pub fn apply(
    ex: &mut Execution,
    token: &str,
    action: &CallbackAction,
    timed_out: &[String],
) -> Result<(), CallbackError> {
    if !is_well_formed_token(token) {
        return Err(CallbackError::InvalidToken);
    }
    let Some(id) = ex.task_by_token(token).map(|t| t.id) else {
        return Err(if timed_out.iter().any(|t| t == token) {
            CallbackError::TaskTimedOut
        } else {
            CallbackError::TaskDoesNotExist
        });
    };
    match action {
        CallbackAction::Success { output } => {
            ex.resolve_task(id, TaskOutcome::Success(output.clone()));
        }
        CallbackAction::Failure { error, cause } => {
            ex.resolve_task(
                id,
                TaskOutcome::Failure(Failure {
                    error: error.clone(),
                    cause: cause.clone(),
                }),
            );
        }
        CallbackAction::Heartbeat => {
            ex.heartbeat(id);
        }
    }
    Ok(())
}

impl CallbackAction {
    /// The task outcome a person (or a Lambda) sent, when it completes the task.
    pub fn outcome(&self) -> Option<TaskOutcome> {
        match self {
            CallbackAction::Success { output } => Some(TaskOutcome::Success(output.clone())),
            CallbackAction::Failure { error, cause } => Some(TaskOutcome::Failure(Failure {
                error: error.clone(),
                cause: cause.clone(),
            })),
            CallbackAction::Heartbeat => None,
        }
    }
}
