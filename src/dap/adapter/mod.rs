//! The adapter: DAP requests in, responses and events out, over the same [`Session`] the
//! TUI drives. It does no I/O itself (the loop in `dap/mod.rs` reads frames, watches the
//! file and writes what this returns), so it is tested message by message.

use super::protocol::{error_response, event, response};
use crate::engine::{Stage, Status};
use crate::json;
use crate::json::{Map, Value};
use crate::session::bounded::{BoundedRun, RunGoal};
use crate::session::breakpoints::{BreakAt, BreakKind};
use crate::session::callback::CallbackServer;
use crate::session::index::ExecutionIndex;
use crate::session::{ReloadOutcome, Session, StopReason};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod breakpoints;
mod run;
mod values;

/// Engine steps per slice of a run (the loop reads requests, such as pause, in between).
pub const SLICE: usize = 64;

/// A value the client can expand (`variablesReference`), and what editing it changes.
#[derive(Debug, Clone)]
struct Handle {
    value: Value,
    edits: Option<Edits>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Edits {
    /// The workflow variables of a thread.
    Variables(usize),
    /// The input the thread's next state gets.
    Input(usize),
}

/// The requests this adapter answers.
const KNOWN: &[&str] = &[
    "initialize",
    "launch",
    "attach",
    "configurationDone",
    "setBreakpoints",
    "setFunctionBreakpoints",
    "setExceptionBreakpoints",
    "threads",
    "stackTrace",
    "scopes",
    "variables",
    "setVariable",
    "evaluate",
    "continue",
    "next",
    "stepIn",
    "stepOut",
    "stepBack",
    "reverseContinue",
    "pause",
    "restart",
    "disconnect",
    "terminate",
    "source",
];

/// The exception breakpoint filters (the TUI's break-on toggles).
const FILTERS: &[(&str, &str, bool)] = &[
    ("all", "All failures (caught or not)", false),
    ("uncaught", "Uncaught failures", true),
    ("caught", "Caught errors", false),
    ("retries", "Retries", false),
    ("pending", "Tasks waiting for an answer", true),
];

#[derive(Default)]
pub struct Adapter {
    initialized: bool,
    session: Option<Session>,
    ix: ExecutionIndex,
    /// The SendTask* endpoint (`listen` in launch).
    pub server: Option<CallbackServer>,
    stop_on_entry: bool,
    configured: bool,
    running: Option<BoundedRun>,
    handles: Vec<Handle>,
    /// Line breakpoints per source file: (session breakpoint id, line asked for).
    line_breakpoints: HashMap<PathBuf, Vec<(u32, i64)>>,
    function_breakpoints: Vec<u32>,
    /// Function calls whose logs were sent.
    logs_sent: usize,
    /// The execution ended and the client was told (a continue then ends the session).
    ended: bool,
    /// The client asked to disconnect or terminate: the loop ends.
    pub quit: bool,
    /// The threads the client was told of (`thread` events).
    threads_told: Vec<u64>,
    out: Vec<Value>,
}

impl Adapter {
    pub fn new() -> Adapter {
        Adapter::default()
    }

    /// What to send, in order.
    pub fn take_output(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.out)
    }

    /// A run is going and can take a slice now (not waiting for a function).
    pub fn busy(&self) -> bool {
        self.running.as_ref().is_some_and(|r| !r.waiting)
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The files whose saves reload the session.
    pub fn watched(&self) -> Vec<PathBuf> {
        self.session.as_ref().map_or_else(Vec::new, |s| {
            s.target
                .open()
                .map_or_else(|_| vec![s.path.clone()], |o| o.watched)
        })
    }

    /// A frame that was not a readable request.
    pub fn bad_frame(&mut self, why: &str) {
        self.out.push(error_response(
            &Value::Null,
            format!("unreadable message: {why}"),
        ));
    }

    /// Handle one message from the client.
    pub fn handle(&mut self, msg: &Value) {
        if msg.get("type").and_then(Value::as_str) != Some("request") {
            // Responses to reverse requests (none are sent) and stray events: nothing to do.
            if msg.get("type").and_then(Value::as_str) == Some("response") {
                return;
            }
            self.out.push(error_response(
                msg,
                "expected a request (\"type\": \"request\")",
            ));
            return;
        }
        let command = msg.get("command").and_then(Value::as_str).unwrap_or("");
        let args = msg.get("arguments").cloned().unwrap_or(json!({}));
        if command != "initialize" && !self.initialized {
            self.out.push(error_response(
                msg,
                "initialize first (the first request must be initialize)",
            ));
            return;
        }
        if !KNOWN.contains(&command) {
            self.out.push(error_response(
                msg,
                format!("stepdbg does not support the '{command}' request"),
            ));
            return;
        }
        let needs_session = !matches!(
            command,
            "initialize"
                | "launch"
                | "attach"
                | "disconnect"
                | "terminate"
                | "source"
                | "setExceptionBreakpoints"
        );
        if needs_session && self.session.is_none() {
            self.out.push(error_response(
                msg,
                format!("'{command}' needs a launched execution: send launch first"),
            ));
            return;
        }
        let result = match command {
            "initialize" => self.initialize(),
            "launch" => self.launch(msg, &args),
            "attach" => Err("stepdbg runs executions itself: use launch".into()),
            "configurationDone" => self.configuration_done(msg),
            "setBreakpoints" => self.set_breakpoints(&args),
            "setFunctionBreakpoints" => self.set_function_breakpoints(&args),
            "setExceptionBreakpoints" => self.set_exception_breakpoints(&args),
            "threads" => Ok(self.threads()),
            "stackTrace" => self.stack_trace(&args),
            "scopes" => self.scopes(&args),
            "variables" => self.variables(&args),
            "setVariable" => self.set_variable(&args),
            "evaluate" => self.evaluate(&args),
            "continue" => self.resume(msg, RunGoal::Continue),
            "next" => self.resume(msg, RunGoal::StepOver),
            "stepOut" => self.resume(msg, RunGoal::StepOut),
            "stepIn" => self.step_in(msg),
            "stepBack" => self.step_back(msg),
            "reverseContinue" => self.reverse_continue(msg),
            "pause" => self.pause(msg),
            "restart" => self.restart(msg),
            "disconnect" | "terminate" => {
                self.quit = true;
                self.running = None;
                if let Some(s) = self.server.take() {
                    s.shutdown();
                }
                self.out.push(response(msg, None));
                if command == "terminate" {
                    self.out.push(event("terminated", None));
                }
                return;
            }
            "source" => self.source(&args),
            other => Err(format!("stepdbg does not support the '{other}' request")),
        };
        match result {
            Ok(Handled::Body(body)) => self.out.push(response(msg, body)),
            Ok(Handled::Done) => {}
            Err(e) => self.out.push(error_response(msg, e)),
        }
    }

    fn session_mut(&mut self) -> &mut Session {
        self.session.as_mut().expect("checked before handling")
    }

    fn initialize(&mut self) -> Reply {
        self.initialized = true;
        let filters: Vec<Value> = FILTERS
            .iter()
            .map(|(id, label, default)| json!({"filter": id, "label": label, "default": default}))
            .collect();
        Ok(Handled::Body(Some(json!({
            "supportsConfigurationDoneRequest": true,
            "supportsFunctionBreakpoints": true,
            "supportsConditionalBreakpoints": true,
            "supportsHitConditionalBreakpoints": true,
            "supportsLogPoints": true,
            "supportsEvaluateForHovers": true,
            "supportsStepBack": true,
            "supportsSetVariable": true,
            "supportsRestartRequest": true,
            "supportsTerminateRequest": true,
            "supportTerminateDebuggee": true,
            "supportsExceptionInfoRequest": false,
            "exceptionBreakpointFilters": filters,
        }))))
    }

    fn launch(&mut self, msg: &Value, args: &Value) -> Reply {
        if self.session.is_some() {
            return Err("already launched: restart runs it again".into());
        }
        let program = args
            .get("program")
            .and_then(Value::as_str)
            .ok_or("launch needs \"program\": the definition or template file")?;
        let tui = launch_args(args)?;
        let path = PathBuf::from(program);
        let (opening, server) = crate::tui::prepare(&tui, &path)
            .map_err(|e| e.strip_prefix("error: ").map_or(e.clone(), str::to_string))?;
        let session = match opening.into_session() {
            Ok((s, _)) => s,
            Err(not_yet) => {
                self.output("important", &not_yet.why);
                return Err(not_yet.why.lines().last().unwrap_or("").to_string());
            }
        };
        for d in &session.live_diagnostics {
            self.output("console", &d.render_plain(&session.definition.doc));
        }
        if let Some(s) = &server {
            self.output(
                "console",
                &format!(
                    "callback endpoint on http://{} (SendTaskSuccess/Failure/Heartbeat)",
                    s.addr
                ),
            );
        }
        self.server = server;
        self.stop_on_entry = args
            .get("stopOnEntry")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        self.session = Some(session);
        self.sync();
        self.out.push(response(msg, None));
        // The client sends its breakpoints now, then configurationDone.
        self.out.push(event("initialized", None));
        Ok(Handled::Done)
    }

    fn configuration_done(&mut self, msg: &Value) -> Reply {
        self.out.push(response(msg, None));
        if self.configured {
            return Ok(Handled::Done);
        }
        self.configured = true;
        self.begin();
        Ok(Handled::Done)
    }

    // ----- breakpoints ------------------------------------------------------------------

    fn source(&mut self, args: &Value) -> Reply {
        let path = source_path(args)
            .or_else(|| {
                self.session
                    .as_ref()
                    .map(|s| s.definition.doc.source.path.clone())
            })
            .ok_or("which source? (source.path)")?;
        let text = crate::shell::read::text(
            &path,
            crate::shell::read::MAX_FILE_BYTES,
            crate::shell::read::Kind::RegularOnly,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Handled::Body(Some(json!({"content": text}))))
    }

    fn sync(&mut self) {
        if let Some(s) = &self.session {
            self.ix.update(s);
        }
    }
}

/// What a request handler did: a body to send in a success response, or it sent its own
/// response (and events in their order).
enum Handled {
    Body(Option<Value>),
    Done,
}

type Reply = Result<Handled, String>;

/// launch's arguments as the debugger's command line.
fn launch_args(a: &Value) -> Result<crate::tui::TuiArgs, String> {
    let text = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
    let mut t = crate::tui::TuiArgs {
        definition: text("program").map(PathBuf::from),
        ..Default::default()
    };
    let l = &mut t.launch;
    l.input = match a.get("input") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.to_string()),
        Some(v) => Some(v.to_string()),
    };
    l.context = a.get("context").filter(|v| !v.is_null()).map(|v| match v {
        Value::String(s) => s.to_string(),
        v => v.to_string(),
    });
    l.mock_config = text("mockConfig").map(PathBuf::from);
    l.state_machine_name = text("stateMachineName");
    l.test_case = text("testCase");
    l.execution_name = text("executionName");
    l.template.state_machine = text("stateMachine");
    l.seed = a.get("seed").and_then(Value::as_u64).unwrap_or(0);
    l.functions = match a.get("functions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(_) => return Err("functions: an object of pattern → backend".into()),
    };
    t.listen.listen = text("listen");
    Ok(t)
}

/// A request's `source.path`.
fn source_path(args: &Value) -> Option<PathBuf> {
    args.pointer("/source/path")
        .and_then(Value::as_str)
        .map(PathBuf::from)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
