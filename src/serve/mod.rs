//! `stepdbg serve`: the Step Functions API on this machine (AWS JSON 1.0 over HTTP, on
//! 127.0.0.1), for test suites written against Step Functions Local or AWS: state machines,
//! executions, histories, callbacks and TestState, answered by the same engine as the
//! debugger. Also `stepdbg test-state`, TestState on the command line.

pub mod api;
pub mod debug;
mod runner;

use crate::cli::exit;
use crate::json::Value;
use crate::shell::http::server::{self, Limits, Request, Response};
use api::{ServeOptions, Service, TimeMode};
use hyper::StatusCode;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (Step Functions Local's default).
    #[arg(long, default_value_t = 8083)]
    pub port: u16,
    /// Listen on this address instead (loopback unless --listen-any).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Allow an address beyond this machine (anything that reaches it can run your state
    /// machines).
    #[arg(long)]
    pub listen_any: bool,
    /// The Step Functions Local mock file; StartExecution on STATE_MACHINE_ARN#TestCase
    /// answers with its test case [default: $SFN_MOCK_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub mock_config: Option<PathBuf>,
    /// Lambda calls without a mock go to this Lambda-compatible endpoint (`sam local
    /// start-lambda`) [default: $LAMBDA_ENDPOINT].
    #[arg(long, value_name = "URL")]
    pub lambda_endpoint: Option<String>,
    /// Wait states and Retry back-offs pass this many times faster than real time.
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub time_scale: f64,
    /// Wait states and back-offs pass at once.
    #[arg(long, conflicts_with = "time_scale")]
    pub virtual_time: bool,
    /// The region and account in ARNs.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    #[arg(long, default_value = "123456789012")]
    pub account: String,
    /// Open the debugger on the server: its state machines and executions, live;
    /// executions pause at the breakpoints set on their state machines.
    #[arg(long)]
    pub tui: bool,
}

impl ServeArgs {
    pub fn options(&self) -> Result<ServeOptions, String> {
        let mock_path = self
            .mock_config
            .clone()
            .or_else(|| std::env::var_os("SFN_MOCK_CONFIG").map(PathBuf::from));
        let mocks = match mock_path {
            Some(p) => {
                Some(crate::integrations::mock::MockConfig::load(&p).map_err(|e| e.to_string())?)
            }
            None => None,
        };
        if !(self.time_scale > 0.0 && self.time_scale.is_finite()) {
            return Err("--time-scale must be a positive number".into());
        }
        Ok(ServeOptions {
            mocks,
            lambda_endpoint: self
                .lambda_endpoint
                .clone()
                .or_else(|| std::env::var("LAMBDA_ENDPOINT").ok()),
            time: if self.virtual_time {
                TimeMode::Virtual
            } else {
                TimeMode::Real {
                    scale: self.time_scale,
                }
            },
            region: self.region.clone(),
            account: self.account.clone(),
            debug: self.tui,
        })
    }
}

/// Serve `service` on `addr`; the server stops when the returned handle is dropped.
pub fn start(
    service: Arc<Service>,
    addr: &str,
    allow_remote: bool,
) -> Result<server::Server, server::BindError> {
    let handler: server::Handler = Arc::new(move |req: Request| {
        let service = service.clone();
        Box::pin(async move {
            // The API's work takes locks and may wait (StartSyncExecution): off the
            // runtime's workers.
            tokio::task::spawn_blocking(move || handle(&service, &req))
                .await
                .unwrap_or_else(|_| {
                    Response::aws_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalFailure",
                        "the request failed inside stepdbg",
                    )
                })
        })
    });
    // Definitions are up to 1 MiB, JSON-escaped in a request.
    let limits = Limits {
        max_body: 4 * 1024 * 1024,
        ..Limits::default()
    };
    server::serve(addr, allow_remote, limits, handler)
}

fn handle(service: &Arc<Service>, req: &Request) -> Response {
    use crate::session::callback;
    if req.method != hyper::Method::POST {
        return Response::aws_error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            "the Step Functions API takes POST requests",
        );
    }
    let target = req.header("x-amz-target").unwrap_or_default();
    let Some(action) = target.strip_prefix("AWSStepFunctions.") else {
        return Response::aws_error(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("expected X-Amz-Target: AWSStepFunctions.<Action>, got '{target}'"),
        );
    };
    if action.starts_with("SendTask") {
        let result = callback::parse(target, &req.body)
            .and_then(|(token, action)| service.callback(&token, &action));
        return match result {
            Ok(()) => Response::new(StatusCode::OK, "application/x-amz-json-1.0", "{}"),
            Err(e) => Response::aws_error(StatusCode::BAD_REQUEST, e.code(), &e.to_string()),
        };
    }
    let body: Value = if req.body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(&req.body) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                return Response::aws_error(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    "the body must be a JSON object",
                );
            }
            Err(e) => {
                return Response::aws_error(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    &format!("the body is not JSON: {e}"),
                );
            }
        }
    };
    match service.call(action, &body) {
        Ok(v) => Response::new(StatusCode::OK, "application/x-amz-json-1.0", v.to_string()),
        Err(e) => Response::aws_error(StatusCode::BAD_REQUEST, e.code, &e.message),
    }
}

pub fn main(args: ServeArgs) -> i32 {
    let rt = crate::shell::runtime::runtime();
    let options = match args.options() {
        Ok(o) => o,
        Err(e) => {
            errln!("error: {e}");
            return exit::USAGE;
        }
    };
    let addr = args
        .listen
        .clone()
        .unwrap_or_else(|| format!("127.0.0.1:{}", args.port));
    let service = Service::new(options);
    let service_for_tui = service.clone();
    let server = match start(service, &addr, args.listen_any) {
        Ok(s) => s,
        Err(e) => {
            errln!("error: {e}");
            return exit::USAGE;
        }
    };
    if args.tui {
        let code = crate::tui::serve_main(service_for_tui, server.addr.to_string());
        crate::shell::runtime::wait(server.shutdown(crate::shell::signals::SHUTDOWN_GRACE));
        return code;
    }
    let mut signals = crate::shell::signals::install(crate::shell::signals::Policy::Notify);
    errln!(
        "stepdbg serve: the Step Functions API on http://{} (aws stepfunctions --endpoint-url http://{} ...); Ctrl-C stops",
        server.addr,
        server.addr
    );
    rt.block_on(async { signals.received().await });
    crate::shell::runtime::wait(server.shutdown(crate::shell::signals::SHUTDOWN_GRACE));
    exit::OK
}

/// `stepdbg test-state`: TestState on the command line.
#[derive(clap::Args, Debug)]
pub struct TestStateArgs {
    /// The definition: a state machine (with --state) or a single state (JSON or YAML).
    pub definition: PathBuf,
    /// The state to test.
    #[arg(long)]
    pub state: Option<String>,
    /// The state's input (JSON, file://PATH or -).
    #[arg(long, default_value = "{}")]
    pub input: String,
    /// INFO, DEBUG or TRACE.
    #[arg(long, default_value = "DEBUG")]
    pub inspection_level: String,
    /// The task's result (JSON), instead of calling anything.
    #[arg(long, value_name = "JSON")]
    pub mock_result: Option<String>,
    /// The task fails with this error (and --mock-cause).
    #[arg(long, value_name = "ERROR", conflicts_with = "mock_result")]
    pub mock_error: Option<String>,
    #[arg(long, value_name = "CAUSE", requires = "mock_error")]
    pub mock_cause: Option<String>,
    /// Workflow variables in scope (a JSON object).
    #[arg(long, value_name = "JSON")]
    pub variables: Option<String>,
    /// Values merged into the context object (JSON).
    #[arg(long, value_name = "JSON")]
    pub context: Option<String>,
    /// Retries its retrier has already made.
    #[arg(long, default_value_t = 0)]
    pub retrier_retry_count: u32,
    /// A mocked Map: how many of its iterations failed (against its tolerated failures).
    #[arg(long, default_value_t = 0)]
    pub map_iteration_failure_count: usize,
    /// A mocked Map or Parallel's error: the state inside it that raised it.
    #[arg(long, value_name = "STATE")]
    pub error_caused_by_state: Option<String>,
    /// What a Distributed Map's ItemReader reads (text, file://PATH or -), as its
    /// ReaderConfig says.
    #[arg(long, value_name = "TEXT")]
    pub map_item_reader_data: Option<String>,
}

pub fn test_state_main(args: TestStateArgs) -> i32 {
    use crate::engine::test_state::{InspectionLevel, TestStateRequest, test_state};
    let usage = |e: String| {
        errln!("error: {e}");
        exit::USAGE
    };
    let doc = match crate::asl::source::load_file(&args.definition) {
        Ok(d) => d,
        Err(e) => return usage(e.to_string()),
    };
    let json = |text: &Option<String>, what: &str| -> Result<Option<Value>, String> {
        text.as_deref()
            .map(|t| crate::session::launch::read_json_arg(t, what).map_err(|e| e.to_string()))
            .transpose()
    };
    let input = match crate::session::launch::read_json_arg(&args.input, "--input") {
        Ok(v) => v,
        Err(e) => return usage(e.to_string()),
    };
    let (variables, context, result) = match (
        json(&args.variables, "--variables"),
        json(&args.context, "--context"),
        json(&args.mock_result, "--mock-result"),
    ) {
        (Ok(v), Ok(c), Ok(r)) => (v, c, r),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return usage(e),
    };
    let map_item_reader_data = match args
        .map_item_reader_data
        .as_deref()
        .map(|a| crate::session::launch::read_text_arg(a, "--map-item-reader-data"))
    {
        None => None,
        Some(Ok((text, _))) => Some(text),
        Some(Err(e)) => return usage(e),
    };
    let Some(level) = InspectionLevel::parse(&args.inspection_level) else {
        return usage("--inspection-level: INFO, DEBUG or TRACE".into());
    };
    let mock = match (result, &args.mock_error) {
        (Some(r), _) => Some(crate::engine::TaskOutcome::Success(r)),
        (None, Some(e)) => Some(crate::engine::TaskOutcome::Failure(
            crate::engine::Failure {
                error: Some(e.clone()),
                cause: args.mock_cause.clone(),
            },
        )),
        _ => None,
    };
    let req = TestStateRequest {
        definition: doc.into_value(),
        state_name: args.state.clone(),
        input,
        inspection_level: level,
        variables: match variables {
            None => Default::default(),
            Some(Value::Object(m)) => m,
            Some(_) => return usage("--variables must be a JSON object".into()),
        },
        context,
        mock,
        retrier_retry_count: args.retrier_retry_count,
        map_iteration_failure_count: args.map_iteration_failure_count,
        error_caused_by_state: args.error_caused_by_state.clone(),
        map_item_reader_data,
    };
    let mut answer =
        crate::integrations::reader::test_state_answers(req.map_item_reader_data.clone());
    match test_state(&req, &mut answer) {
        Ok(v) => {
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            exit::OK
        }
        Err(e) => usage(format!("{}: {e}", e.code())),
    }
}
