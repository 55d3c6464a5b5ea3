//! The callback endpoint: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat in the
//! AWS JSON 1.0 protocol, so the Lambda that received a task token (or the AWS CLI with
//! `--endpoint-url`, or an SDK) can complete it.
//!
//! The HTTP side is the shell's hardened server ([`crate::shell::http::server`]: loopback
//! only, no web pages, bounded everything); this module checks requests as AWS does
//! (operation, JSON types, field lengths) and hands each valid one, with a reply channel,
//! to whoever owns the execution (the TUI's loop or `run`).

use crate::engine::{Execution, Failure, TaskOutcome};
use crate::json::Value;
use crate::shell::http::server::{self, BindError, Limits, Request, Response};
use hyper::StatusCode;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long a request waits for the owner of the execution to answer it.
const OWNER_TIMEOUT: Duration = Duration::from_secs(30);
/// AWS's limits on SendTask* fields, in characters.
const MAX_OUTPUT_CHARS: usize = 262_144;
const MAX_ERROR_CHARS: usize = 256;
const MAX_CAUSE_CHARS: usize = 32_768;
const MAX_TOKEN_CHARS: usize = 2048;

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
/// [`Tokens::expect`] were already answered (so a function can complete its own token
/// while the engine still waits for it to return); the others wait for
/// [`CallbackRequest::answer`].
#[derive(Debug)]
pub struct CallbackRequest {
    pub token: String,
    pub action: CallbackAction,
    reply: Option<oneshot::Sender<Result<(), CallbackError>>>,
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("Task does not exist anymore")]
    TaskDoesNotExist,
    #[error("Invalid Token: the task token is malformed")]
    InvalidToken,
    #[error("Invalid Output: {0}")]
    InvalidOutput(String),
    #[error("Task Timed Out")]
    TaskTimedOut,
    /// A field breaks AWS's constraints (missing, too long).
    #[error("{0}")]
    Validation(String),
    /// A field has the wrong JSON type, or the body is not a JSON object.
    #[error("{0}")]
    Serialization(String),
    /// `X-Amz-Target` names no SendTask* operation.
    #[error("{0}")]
    UnknownOperation(String),
    /// The owner of the execution did not answer (it ended, or it is stuck).
    #[error("{0}")]
    Unavailable(String),
}

impl CallbackError {
    pub fn code(&self) -> &'static str {
        match self {
            CallbackError::TaskDoesNotExist => "TaskDoesNotExist",
            CallbackError::InvalidToken => "InvalidToken",
            CallbackError::InvalidOutput(_) => "InvalidOutput",
            CallbackError::TaskTimedOut => "TaskTimedOut",
            CallbackError::Validation(_) => "ValidationException",
            CallbackError::Serialization(_) => "SerializationException",
            CallbackError::UnknownOperation(_) => "UnknownOperationException",
            CallbackError::Unavailable(_) => "ServiceUnavailable",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            CallbackError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// A running endpoint. Requests arrive through [`CallbackServer::recv`].
pub struct CallbackServer {
    pub addr: SocketAddr,
    requests: mpsc::UnboundedReceiver<CallbackRequest>,
    tokens: Registry,
    server: server::Server,
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
    ) -> Option<super::BackgroundAnswer> {
        if let Some(t) = &req.token {
            self.tokens.expect(t);
        }
        self.inner.resolve_in_background(req)
    }

    fn child(
        &self,
        req: &crate::engine::TaskRequest,
    ) -> Option<crate::integrations::children::Child> {
        self.inner.child(req)
    }

    fn children(&self) -> Vec<crate::integrations::children::Child> {
        self.inner.children()
    }

    fn for_child(&self) -> Option<Box<dyn super::Resolver>> {
        // A child's tokens reach the same endpoint.
        Some(Box::new(ExpectTokens {
            inner: self.inner.for_child()?,
            tokens: self.tokens.clone(),
        }))
    }

    fn into_dispatcher(self: Box<Self>) -> Option<crate::integrations::dispatch::Dispatcher> {
        Box::new(self.inner).into_dispatcher()
    }
}

/// Serve on `addr`: loopback only unless `allow_remote` (the user's explicit flag).
pub fn serve(addr: &str, allow_remote: bool) -> Result<CallbackServer, BindError> {
    let (tx, rx) = mpsc::unbounded_channel();
    let tokens: Registry = Arc::default();
    let registry = tokens.clone();
    let handler: server::Handler = Arc::new(move |req: Request| {
        let (tx, registry) = (tx.clone(), registry.clone());
        Box::pin(async move {
            match handle(&req, &tx, &registry).await {
                Ok(()) => Response::new(StatusCode::OK, "application/x-amz-json-1.0", "{}"),
                Err(e) => Response::aws_error(e.status(), e.code(), &e.to_string()),
            }
        })
    });
    let server = server::serve(addr, allow_remote, Limits::default(), handler)?;
    Ok(CallbackServer {
        addr: server.addr,
        requests: rx,
        tokens,
        server,
    })
}

impl CallbackServer {
    /// The next request for the owner.
    pub async fn recv(&mut self) -> Option<CallbackRequest> {
        self.requests.recv().await
    }

    /// A request that has arrived, if any (never waits).
    pub fn try_recv(&mut self) -> Option<CallbackRequest> {
        self.requests.try_recv().ok()
    }

    /// Wait up to `timeout` for a request (synchronous owners: `run`, tests).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<CallbackRequest> {
        let requests = &mut self.requests;
        crate::shell::runtime::runtime()
            .block_on(async { tokio::time::timeout(timeout, requests.recv()).await })
            .ok()
            .flatten()
    }

    /// Stop accepting; every request already accepted gets its response first.
    pub fn shutdown(self) {
        let CallbackServer {
            requests, server, ..
        } = self;
        // Requests still queued for the owner are answered: the execution is over.
        let mut requests = requests;
        requests.close();
        while let Ok(r) = requests.try_recv() {
            r.answer(Err(CallbackError::TaskDoesNotExist));
        }
        crate::shell::runtime::wait(server.shutdown(crate::shell::signals::SHUTDOWN_GRACE));
    }
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

async fn handle(
    req: &Request,
    tx: &mpsc::UnboundedSender<CallbackRequest>,
    registry: &Registry,
) -> Result<(), CallbackError> {
    if req.method != hyper::Method::POST {
        return Err(CallbackError::UnknownOperation(
            "only POST requests are served".into(),
        ));
    }
    let target = req.header("x-amz-target").unwrap_or_default();
    let (token, action) = parse(target, &req.body)?;
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
    let (reply_tx, reply_rx) = oneshot::channel();
    tx.send(CallbackRequest {
        token,
        action,
        reply: Some(reply_tx),
    })
    .map_err(|_| CallbackError::Unavailable("the execution has ended".into()))?;
    match tokio::time::timeout(OWNER_TIMEOUT, reply_rx).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(CallbackError::TaskDoesNotExist),
        Err(_) => Err(CallbackError::Unavailable(
            "stepdbg did not answer in time".into(),
        )),
    }
}

/// Read `X-Amz-Target` and the JSON body into an action, checking the body as AWS does:
/// JSON types first (SerializationException), then required fields and lengths
/// (ValidationException), then the output's JSON (InvalidOutput).
pub fn parse(target: &str, body: &[u8]) -> Result<(String, CallbackAction), CallbackError> {
    let Some(operation @ ("SendTaskSuccess" | "SendTaskFailure" | "SendTaskHeartbeat")) =
        target.strip_prefix("AWSStepFunctions.")
    else {
        return Err(CallbackError::UnknownOperation(format!(
            "unknown operation '{}' (this endpoint serves AWSStepFunctions.SendTaskSuccess, \
                 SendTaskFailure and SendTaskHeartbeat)",
            target.chars().take(100).collect::<String>()
        )));
    };
    let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            CallbackError::Serialization(format!("the body is not a JSON document: {e}"))
        })?
    };
    let Value::Object(fields) = v else {
        return Err(CallbackError::Serialization(
            "the body must be a JSON object".into(),
        ));
    };
    let text = |name: &str| -> Result<Option<&str>, CallbackError> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(CallbackError::Serialization(format!(
                "'{name}' must be a string, not {}",
                crate::expr::json_type_name(other)
            ))),
        }
    };
    let (token, output, error, cause) = (
        text("taskToken")?,
        text("output")?,
        text("error")?,
        text("cause")?,
    );
    let mut problems = Vec::new();
    let mut check = |name: &str, value: Option<&str>, required: bool, max: usize| {
        match value {
        None if required => problems.push(format!(
            "Value null at '{name}' failed to satisfy constraint: Member must not be null"
        )),
        Some(v) if v.chars().count() > max => problems.push(format!(
            "Value at '{name}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        )),
        Some("") if required => problems.push(format!(
            "Value at '{name}' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )),
        _ => {}
    }
    };
    check("taskToken", token, true, MAX_TOKEN_CHARS);
    match operation {
        "SendTaskSuccess" => check("output", output, true, MAX_OUTPUT_CHARS),
        "SendTaskFailure" => {
            check("error", error, false, MAX_ERROR_CHARS);
            check("cause", cause, false, MAX_CAUSE_CHARS);
        }
        _ => {}
    }
    if !problems.is_empty() {
        let n = problems.len();
        return Err(CallbackError::Validation(format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            problems.join("; ")
        )));
    }
    let token = token.unwrap_or_default().to_string();
    let action = match operation {
        "SendTaskSuccess" => {
            let output = crate::json::parse::value_from_str(output.unwrap_or_default())
                .map_err(|e| CallbackError::InvalidOutput(e.to_string()))?;
            CallbackAction::Success { output }
        }
        "SendTaskFailure" => CallbackAction::Failure {
            error: error.map(str::to_string),
            cause: cause.map(str::to_string),
        },
        _ => CallbackAction::Heartbeat,
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
    /// The API operation: `SendTaskSuccess`, `SendTaskFailure` or `SendTaskHeartbeat`.
    pub fn operation(&self) -> &'static str {
        match self {
            CallbackAction::Success { .. } => "SendTaskSuccess",
            CallbackAction::Failure { .. } => "SendTaskFailure",
            CallbackAction::Heartbeat => "SendTaskHeartbeat",
        }
    }

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
