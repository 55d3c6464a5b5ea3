//! Answering the engine's tasks: the one place the CLI and the debugger session send each
//! [`TaskRequest`] to.
//!
//! Order of answers, as Step Functions Local and Lambda would give them:
//! 1. a state in the mock file's test case is answered by the mock (for `.waitForTaskToken`
//!    tasks the mock's `Return` is the token's result);
//! 2. other services' tasks (SQS, DynamoDB, ...) have no other answer: [`Dispatch::Unhandled`];
//! 3. a Lambda call goes to the first route matching its function ([`Routes`]); without one it
//!    is unhandled, and so is a `manual` route (a person answers).
//!
//! A call is synchronous for the caller and never outlasts its route's timeout (or the task's
//! TimeoutSeconds, when that is sooner). Request ids, trace ids and response dates are
//! derived from the seed, the task id and the task's virtual time, so runs repeat exactly.

use super::backend::{self, CallContext};
use super::lambda::{self, AwsScope, InvocationType, InvokeRequest, ResponseMeta};
use super::mock::MockCase;
use super::routes::{Backend, Routes};
use crate::engine::{Failure, TaskId, TaskOutcome, TaskRequest};
use crate::json;
use crate::json::{Map, Value};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Keeps request ids apart from the engine's own draws (task tokens) for the same seed.
const REQUEST_ID_SALT: u64 = 0x6c61_6d62_6461_6964;

/// Sends each task to whoever answers it.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    mocks: MockCase,
    routes: Routes,
    base_dir: PathBuf,
    seed: u64,
    scope: AwsScope,
    /// Local folders standing for S3 buckets (a Distributed Map's ItemReader).
    buckets: super::reader::Buckets,
    /// State machines that `states:startExecution` tasks run here.
    children: Vec<super::children::Child>,
    /// How deep in child executions the current call is.
    depth: usize,
}

/// What became of one task.
#[derive(Debug, Clone, PartialEq)]
pub enum Dispatch {
    /// The task has its result: give it to [`Execution::resolve_task`](crate::engine::Execution::resolve_task).
    Handled {
        outcome: TaskOutcome,
        invocation: Invocation,
    },
    /// A `.waitForTaskToken` task whose function returned: call
    /// [`Execution::task_started`](crate::engine::Execution::task_started) and wait for
    /// SendTaskSuccess/Failure/Heartbeat with its token.
    CallbackPending { invocation: Invocation },
    /// Nobody here answers: a person must (the debugger asks; `run` stops with the reason).
    Unhandled(Unhandled),
}

/// Why a task was left unanswered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unhandled {
    /// The function's route says `manual`.
    Manual {
        state: String,
        function: String,
        route: String,
    },
    /// The route says `mock`, but the mock file's test case has no entry for the state.
    NotMocked {
        state: String,
        function: String,
        route: String,
    },
    /// No route matches the function (a Lambda call).
    NoRoute { state: String, function: String },
    /// Not a Lambda call, and no mock for the state.
    NoMock { state: String, resource: String },
}

impl fmt::Display for Unhandled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unhandled::Manual {
                state,
                function,
                route,
            } => {
                write!(
                    f,
                    "the Task state '{state}' calls {function}, which {route} leaves to be answered by hand (manual)"
                )
            }
            Unhandled::NotMocked {
                state,
                function,
                route,
            } => write!(
                f,
                "the Task state '{state}' calls {function}, which {route} sends to the mock file, but its test case has no entry for '{state}'"
            ),
            Unhandled::NoRoute { state, function } => write!(
                f,
                "the Task state '{state}' calls {function} and nothing is configured to answer it: give the function a backend with \
                 --function 'PATTERN=BACKEND' or in the [functions] table of stepdbg.toml (handler:PATH:NAME, command:PROGRAM, \
                 endpoint:URL, mock, manual), or mock the state in a mock file"
            ),
            Unhandled::NoMock { state, resource } => write!(
                f,
                "the Task state '{state}' calls {resource}, which only a mock file can answer: add an entry for '{state}' to the test case"
            ),
        }
    }
}

/// One answered call, for the debugger to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub task: TaskId,
    pub state: String,
    /// Who answered: `mock`, or the route's backend as written (`handler:app.py:handler`).
    pub backend: String,
    /// Where that backend was configured (`--function`, `stepdbg.toml:3`); None for mocks.
    pub route: Option<String>,
    /// The qualified ARN of the function called, for Lambda calls.
    pub function: Option<String>,
    pub request_id: Option<String>,
    /// The Invoke request (Lambda calls), or the task's effective input (mocks).
    pub request: Value,
    /// Lambda's response as received (status, headers, payload text), when a backend ran.
    pub response: Option<Value>,
    /// The function's log: its stdout and stderr, or an endpoint's log tail.
    pub log: String,
    pub elapsed: Duration,
}

impl Invocation {
    /// The record of `req` before anything answered it.
    pub fn of(req: &TaskRequest, backend: &str) -> Invocation {
        Invocation {
            task: req.id,
            state: req.state.clone(),
            backend: backend.into(),
            route: None,
            function: None,
            request_id: None,
            request: req.input.clone(),
            response: None,
            log: String::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("task", json!(self.task));
        m.insert("state", json!(self.state));
        m.insert("backend", json!(self.backend));
        if let Some(r) = &self.route {
            m.insert("route", json!(r));
        }
        if let Some(f) = &self.function {
            m.insert("function", json!(f));
        }
        if let Some(id) = &self.request_id {
            m.insert("requestId", json!(id));
        }
        m.insert("request", self.request.clone());
        if let Some(r) = &self.response {
            m.insert("response", r.clone());
        }
        m.insert("log", json!(self.log));
        m.insert("elapsedMs", json!(self.elapsed.as_millis() as u64));
        Value::Object(m)
    }
}

impl Dispatcher {
    /// `mocks` answers first; `routes` choose the backends of Lambda functions; `base_dir`
    /// anchors the relative paths of routes that have no folder of their own (`--function`
    /// routes: the CLI passes the current directory); `seed` fixes request ids.
    pub fn new(
        mocks: MockCase,
        routes: Routes,
        base_dir: impl Into<PathBuf>,
        seed: u64,
    ) -> Dispatcher {
        Dispatcher {
            mocks,
            routes,
            base_dir: base_dir.into(),
            seed,
            scope: AwsScope::default(),
            buckets: super::reader::Buckets::new(),
            children: Vec::new(),
            depth: 0,
        }
    }

    /// Run these state machines when a task starts an execution of one.
    pub fn with_children(mut self, children: Vec<super::children::Child>) -> Dispatcher {
        self.children = children;
        self
    }

    /// The local state machine `req` starts, if it starts one.
    pub fn child(&self, req: &TaskRequest) -> Option<super::children::Child> {
        super::children::child_of(req, &self.children).cloned()
    }

    pub fn children(&self) -> &[super::children::Child] {
        &self.children
    }

    /// This dispatcher for the tasks of a child execution it starts (None: nested too
    /// deep).
    pub fn nested(&self) -> Option<Dispatcher> {
        (self.depth + 1 < super::children::MAX_DEPTH).then(|| Dispatcher {
            depth: self.depth + 1,
            ..self.clone()
        })
    }

    /// Read ItemReader items of these buckets from these folders.
    pub fn with_buckets(mut self, buckets: super::reader::Buckets) -> Dispatcher {
        self.buckets = buckets;
        self
    }

    /// Complete short function names with this region and account (the execution's:
    /// `AwsScope::of(execution.config())`).
    pub fn with_scope(mut self, scope: AwsScope) -> Dispatcher {
        self.scope = scope;
        self
    }

    /// Forget mock call counts (a restart starts from invocation 0).
    pub fn reset(&mut self) {
        self.mocks.reset();
    }

    /// `req` got its answer from a recording (replay): count it as a mock call so later
    /// calls get the responses they got before.
    pub fn replayed(&mut self, req: &TaskRequest) {
        let _ = self.mocks.next(&req.state);
    }

    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    /// Would answering `req` run a function backend (a handler process, a command, an HTTP
    /// call)? Mocks and manual routes answer at once; the debugger runs the others off its
    /// UI thread.
    pub fn runs_backend(&self, req: &TaskRequest) -> bool {
        if self.mocks.has_state(&req.state) {
            return false;
        }
        let Some(Ok(invoke)) = InvokeRequest::from_task(req, &self.scope) else {
            return false;
        };
        self.routes
            .find(&invoke.function)
            .is_some_and(|r| !matches!(r.backend, Backend::Mock | Backend::Manual))
    }

    /// Answer `req`, running its function if a backend is configured (this thread waits
    /// for it; see [`Dispatcher::dispatch_async`] for the form that does not).
    pub fn dispatch(&mut self, req: &TaskRequest) -> Dispatch {
        self.dispatch_within(req, None)
    }

    /// [`Dispatcher::dispatch`], the function stopped after `limit` at most (what is left of
    /// the execution's own timeout, when time is real).
    pub fn dispatch_within(&mut self, req: &TaskRequest, limit: Option<Duration>) -> Dispatch {
        match self.prepare(req) {
            Prepared::Done(d) => d,
            Prepared::Call(mut call) => {
                if let Some(limit) = limit {
                    call.ctx.time_limit = call.ctx.time_limit.min(limit);
                }
                crate::shell::runtime::wait(call.run())
            }
        }
    }

    /// [`Dispatcher::dispatch`] as a future that owns what it needs: mock call counts move
    /// on now, the function runs when the future is polled (on the shell's runtime).
    pub fn dispatch_async(
        &mut self,
        req: &TaskRequest,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Dispatch> + Send>> {
        match self.prepare(req) {
            Prepared::Done(d) => Box::pin(std::future::ready(d)),
            Prepared::Call(call) => Box::pin(call.run()),
        }
    }

    /// Everything about answering `req` that needs no backend.
    fn prepare(&mut self, req: &TaskRequest) -> Prepared {
        if let Some(outcome) = self.mocks.next(&req.state) {
            let invocation = Invocation::of(req, "mock");
            return Prepared::Done(Dispatch::Handled {
                outcome,
                invocation,
            });
        }
        // A Map's ItemReader reads from the folder standing for its bucket; its
        // ResultWriter writes there.
        if req.is_item_reader() {
            return Prepared::Done(Dispatch::Handled {
                outcome: super::reader::read(req, &self.buckets),
                invocation: Invocation::of(req, "item reader"),
            });
        }
        if req.is_result_writer() {
            return Prepared::Done(Dispatch::Handled {
                outcome: super::reader::write(req, &self.buckets),
                invocation: Invocation::of(req, "result writer"),
            });
        }
        // A nested state machine the person has here: it runs as a child execution whose
        // tasks this dispatcher answers too.
        if let Some(child) = super::children::child_of(req, &self.children).cloned() {
            let parent = crate::engine::Config {
                region: self.scope.region.clone(),
                account: self.scope.account.clone(),
                seed: self.seed,
                ..crate::engine::Config::default()
            };
            self.depth += 1;
            let depth = self.depth;
            let outcome = super::children::run(req, &child, &parent, depth, &mut |r| match self
                .dispatch(r)
            {
                Dispatch::Handled { outcome, .. } => Some(outcome),
                _ => None,
            });
            self.depth -= 1;
            return Prepared::Done(Dispatch::Handled {
                outcome,
                invocation: Invocation::of(req, &format!("child execution of {}", child.name)),
            });
        }
        let Some(parsed) = InvokeRequest::from_task(req, &self.scope) else {
            return Prepared::Done(Dispatch::Unhandled(Unhandled::NoMock {
                state: req.state.clone(),
                resource: req.resource.clone(),
            }));
        };
        let meta = self.response_meta(req);
        let mut invocation = Invocation::of(req, "");
        invocation.request_id = Some(meta.request_id.clone());
        let invoke = match parsed {
            Ok(invoke) => invoke,
            // Lambda rejects the request before any backend is involved.
            Err(e) => {
                return Prepared::Done(Dispatch::Handled {
                    outcome: TaskOutcome::Failure(e.to_failure(&meta.request_id)),
                    invocation,
                });
            }
        };
        let function = invoke.function.qualified_arn();
        invocation.function = Some(function.clone());
        invocation.request = invoke.to_json();
        let Some(route) = self.routes.find(&invoke.function) else {
            return Prepared::Done(Dispatch::Unhandled(Unhandled::NoRoute {
                state: req.state.clone(),
                function,
            }));
        };
        invocation.backend = route.spec.clone();
        invocation.route = Some(route.origin.clone());
        let (state, route_origin) = (req.state.clone(), route.origin.clone());
        match route.backend {
            Backend::Manual => {
                return Prepared::Done(Dispatch::Unhandled(Unhandled::Manual {
                    state,
                    function,
                    route: route_origin,
                }));
            }
            Backend::Mock => {
                return Prepared::Done(Dispatch::Unhandled(Unhandled::NotMocked {
                    state,
                    function,
                    route: route_origin,
                }));
            }
            _ => {}
        }
        let task_limit = req.timeout_seconds.map(Duration::from_secs);
        let time_limit = task_limit.map_or(route.options.timeout, |t| t.min(route.options.timeout));
        let ctx = CallContext {
            request_id: meta.request_id.clone(),
            scope: self.scope.clone(),
            base_dir: self.base_dir.clone(),
            time_limit,
        };
        Prepared::Call(Box::new(BackendCall {
            route: route.clone(),
            invoke,
            ctx,
            meta,
            invocation,
            task_limit,
            callback: req.resource.ends_with(".waitForTaskToken"),
        }))
    }

    /// The response identity of `req`: the same for the same seed and task, whatever ran before.
    fn response_meta(&self, req: &TaskRequest) -> ResponseMeta {
        response_meta(self.seed, req)
    }
}

/// What [`Dispatcher::prepare`] found (short-lived: sizes do not matter).
#[allow(clippy::large_enum_variant)]
enum Prepared {
    Done(Dispatch),
    Call(Box<BackendCall>),
}

/// A function call to make, with everything it needs owned.
struct BackendCall {
    route: super::routes::Route,
    invoke: InvokeRequest,
    ctx: CallContext,
    meta: ResponseMeta,
    invocation: Invocation,
    task_limit: Option<Duration>,
    /// A `.waitForTaskToken` task: success means the token is now awaited.
    callback: bool,
}

impl BackendCall {
    async fn run(self: Box<Self>) -> Dispatch {
        let BackendCall {
            route,
            invoke,
            ctx,
            meta,
            mut invocation,
            task_limit,
            callback,
        } = *self;
        let route_timeout = route.options.timeout;
        let Some(answer) = backend::invoke(route, invoke.clone(), ctx).await else {
            unreachable!("prepare() answers mock and manual routes itself")
        };
        let mut outcome = lambda::task_outcome(&invoke, &answer.response, &meta);
        if answer.timed_out
            && invoke.invocation_type == InvocationType::RequestResponse
            && task_limit.is_some_and(|t| t < route_timeout)
        {
            // The task's own TimeoutSeconds ran out before the function's timeout did.
            outcome = TaskOutcome::Failure(Failure::new(
                "States.Timeout",
                "The task did not complete within TimeoutSeconds.",
            ));
        }
        invocation.response = Some(match &answer.response {
            Ok(r) => r.to_json(),
            Err(e) => e.to_json(),
        });
        invocation.log = answer.log;
        if let Some(discarded) = answer.discarded_payload {
            invocation.log.push_str(&format!(
                "stepdbg: the Event invocation answered (Lambda discards it): {discarded}\n"
            ));
        }
        invocation.elapsed = answer.elapsed;
        match outcome {
            TaskOutcome::Success(_) if callback => Dispatch::CallbackPending { invocation },
            outcome => Dispatch::Handled {
                outcome,
                invocation,
            },
        }
    }
}

/// The response identity of `req`: the same for the same seed and task, whatever ran before.
fn response_meta(seed: u64, req: &TaskRequest) -> ResponseMeta {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ REQUEST_ID_SALT);
    rng.set_stream(req.id);
    let (a, b): (u64, u64) = (rng.random(), rng.random());
    // A version-4 UUID, as Lambda's request ids are.
    let a = (a & !0xf000) | 0x4000;
    let b = (b & !(0b11 << 62)) | (0b10 << 62);
    let request_id = format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    );
    let (root, parent): (u128, u64) = (rng.random(), rng.random());
    let seconds = req.scheduled_ms.div_euclid(1000);
    let trace_id = format!(
        "Root=1-{seconds:08x}-{:024x};Parent={parent:016x};Sampled=0",
        root & ((1 << 96) - 1)
    );
    ResponseMeta {
        request_id,
        date_ms: req.scheduled_ms,
        trace_id,
    }
}

/// What a person gave as a task's answer, before Step Functions makes its result of it.
#[derive(Debug, Clone, PartialEq)]
pub enum HandAnswer {
    /// What the function returned (for a Lambda task), or the task's result.
    Return(Value),
    /// The function threw (`errorType`, `errorMessage`), or the task failed (error, cause).
    Error { error: String, cause: String },
}

/// How a hand answer becomes the task's result, for the form to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandShape {
    /// `lambda:invoke`: the function's return value, wrapped in Lambda's invoke envelope.
    InvokeEnvelope,
    /// A function ARN as the Resource: the function's return value as it is.
    FunctionReturn,
    /// Anything else (a task token's SendTaskSuccess output, another service's result).
    AsIs,
}

impl HandShape {
    /// The shape for `req`: callback tokens take the output as it is.
    pub fn of(req: &TaskRequest, scope: &AwsScope) -> HandShape {
        if req.token.is_some() {
            return HandShape::AsIs;
        }
        match InvokeRequest::from_task(req, scope) {
            Some(Ok(i)) if i.style == lambda::CallStyle::FunctionArn => HandShape::FunctionReturn,
            Some(Ok(_)) => HandShape::InvokeEnvelope,
            _ => HandShape::AsIs,
        }
    }
}

/// The task outcome of a hand answer: for a Lambda call, what the function returned (or
/// threw) goes through Lambda's response as a backend's answer does, so ResultSelector
/// sees `$.Payload`, ExecutedVersion and StatusCode, and a function error fails the task
/// with Lambda's error shape. `scope` and `seed` are the execution's.
pub fn hand_outcome(
    req: &TaskRequest,
    answer: HandAnswer,
    scope: &AwsScope,
    seed: u64,
) -> TaskOutcome {
    let shape = HandShape::of(req, scope);
    let (HandShape::InvokeEnvelope | HandShape::FunctionReturn, Some(Ok(invoke))) =
        (shape, InvokeRequest::from_task(req, scope))
    else {
        return match answer {
            HandAnswer::Return(v) => TaskOutcome::Success(v),
            HandAnswer::Error { error, cause } => TaskOutcome::Failure(Failure {
                error: (!error.is_empty()).then_some(error),
                cause: (!cause.is_empty()).then_some(cause),
            }),
        };
    };
    let (payload, function_error) = match answer {
        HandAnswer::Return(v) => (crate::expr::compact(&v), None),
        HandAnswer::Error { error, cause } => (
            crate::expr::compact(&json!({"errorType": error, "errorMessage": cause})),
            Some("Unhandled".to_string()),
        ),
    };
    let response = lambda::InvokeResponse {
        status_code: invoke.invocation_type.success_status(),
        executed_version: Some(invoke.executed_version(None)),
        function_error,
        payload,
        log_result: None,
    };
    lambda::task_outcome(&invoke, &Ok(response), &response_meta(seed, req))
}
