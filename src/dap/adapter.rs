//! The adapter: DAP requests in, responses and events out, over the same [`Session`] the
//! TUI drives. It does no I/O itself (the loop in `dap/mod.rs` reads frames, watches the
//! file and writes what this returns), so it is tested message by message.

use super::protocol::{error_response, event, response};
use crate::engine::{Stage, Status};
use crate::session::bounded::{BoundedRun, RunGoal};
use crate::session::breakpoints::{BreakAt, BreakKind};
use crate::session::callback::CallbackServer;
use crate::session::index::ExecutionIndex;
use crate::session::{ReloadOutcome, Session, StopReason};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

    fn set_breakpoints(&mut self, args: &Value) -> Reply {
        let path = source_path(args).ok_or("setBreakpoints needs source.path")?;
        let key = canonical(&path);
        let old = self.line_breakpoints.remove(&key).unwrap_or_default();
        let session = self.session.as_mut().expect("checked");
        for (id, _) in &old {
            session.breakpoints.remove(*id);
        }
        let is_definition = canonical(&session.definition.doc.source.path) == key;
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for bp in args
            .get("breakpoints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let line = bp.get("line").and_then(Value::as_i64).unwrap_or(0);
            if !is_definition {
                out.push(json!({"verified": false, "line": line,
                    "message": format!("not the definition being debugged ({})", session.definition.doc.source.path.display())}));
                continue;
            }
            let Some(binding) = bind_line(session, line) else {
                out.push(json!({"verified": false, "line": line,
                    "message": format!("line {line} is not inside a state")}));
                continue;
            };
            match add_breakpoint(session, &binding.state, binding.at, &bp) {
                Ok(id) => {
                    kept.push((id, line));
                    let mut b = json!({"id": id, "verified": true, "line": binding.line,
                        "source": {"path": path.display().to_string()}});
                    if let Some(n) = binding.note {
                        b["message"] = json!(n);
                    }
                    out.push(b);
                }
                Err(e) => out.push(json!({"verified": false, "line": line, "message": e})),
            }
        }
        self.line_breakpoints.insert(key, kept);
        Ok(Handled::Body(Some(json!({ "breakpoints": out }))))
    }

    fn set_function_breakpoints(&mut self, args: &Value) -> Reply {
        let old = std::mem::take(&mut self.function_breakpoints);
        let session = self.session.as_mut().expect("checked");
        for id in old {
            session.breakpoints.remove(id);
        }
        let mut names = Vec::new();
        session
            .definition
            .machine
            .walk(&mut |s| names.push(s.name.clone()));
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for bp in args
            .get("breakpoints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let name = bp.get("name").and_then(Value::as_str).unwrap_or("").trim();
            if !names.iter().any(|n| n == name) {
                out.push(json!({"verified": false, "message": format!("no state named '{name}'")}));
                continue;
            }
            match add_breakpoint(session, name, BreakAt::Entry, &bp) {
                Ok(id) => {
                    kept.push(id);
                    let mut b = json!({"id": id, "verified": true});
                    if let Some((line, _)) = state_line(session, name) {
                        b["line"] = json!(line);
                        b["source"] = json!({"path": session.definition.doc.source.path.display().to_string()});
                    }
                    out.push(b);
                }
                Err(e) => out.push(json!({"verified": false, "message": e})),
            }
        }
        self.function_breakpoints = kept;
        Ok(Handled::Body(Some(json!({ "breakpoints": out }))))
    }

    fn set_exception_breakpoints(&mut self, args: &Value) -> Reply {
        let filters: Vec<String> = args
            .get("filters")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let on = |f: &str| filters.iter().any(|x| x == f);
        if let Some(s) = self.session.as_mut() {
            let b = &mut s.breakpoints;
            b.on_failure = on("all") || on("uncaught");
            b.on_caught = on("all") || on("caught");
            b.on_retry = on("retries");
            b.on_pending = on("pending");
        }
        let n = filters.len();
        Ok(Handled::Body(Some(json!({
            "breakpoints": (0..n).map(|_| json!({"verified": true})).collect::<Vec<_>>()
        }))))
    }

    // ----- threads, frames, values ------------------------------------------------------

    fn threads(&mut self) -> Handled {
        let s = self.session.as_ref().expect("checked");
        let positions = s.execution().thread_positions();
        let live: Vec<Value> = positions
            .iter()
            .filter(|p| {
                p.thread == 0
                    || !matches!(
                        p.status,
                        crate::engine::ThreadState::Succeeded
                            | crate::engine::ThreadState::Failed
                            | crate::engine::ThreadState::Aborted
                    )
            })
            .map(|p| json!({"id": p.thread + 1, "name": thread_name(s, &positions, p.thread)}))
            .collect();
        Handled::Body(Some(json!({ "threads": live })))
    }

    fn stack_trace(&mut self, args: &Value) -> Reply {
        let thread = thread_arg(args)?;
        let s = self.session.as_ref().expect("checked");
        let positions = s.execution().thread_positions();
        let path = s.definition.doc.source.path.display().to_string();
        let mut frames = Vec::new();
        let mut at = Some(thread);
        let mut child = thread;
        let mut depth = 0;
        while let Some(t) = at {
            let Some(p) = positions.iter().find(|p| p.thread == t) else {
                break;
            };
            let (line, column) = state_line(s, &p.state).unwrap_or((1, 1));
            let name = if depth == 0 {
                format!("{} ({})", p.state, state_type(s, &p.state_pointer))
            } else {
                format!(
                    "{} {} ({})",
                    state_type(s, &p.state_pointer),
                    p.state,
                    child_label(s, &positions, child)
                )
            };
            frames.push(json!({"id": frame_id(t, depth), "name": name, "line": line, "column": column,
                "source": {"path": path, "name": s.definition.doc.source.path.file_name().map(|n| n.to_string_lossy().to_string())}}));
            // Then the Map or Parallel this thread is an iteration or branch of.
            child = t;
            at = p.parent;
            depth += 1;
        }
        if frames.is_empty() {
            return Err(format!("no thread {}", thread + 1));
        }
        let total = frames.len();
        Ok(Handled::Body(Some(
            json!({"stackFrames": frames, "totalFrames": total}),
        )))
    }

    fn scopes(&mut self, args: &Value) -> Reply {
        let frame = args.get("frameId").and_then(Value::as_i64).unwrap_or(0);
        let (thread, depth) = split_frame(frame);
        let s = self.session.as_ref().expect("checked");
        // A parent frame is the Map or Parallel: its own thread is the parent's.
        let thread = ancestor(s, thread, depth);
        let exec = s.execution();
        let record = exec
            .open_record(thread)
            .or_else(|| exec.steps().iter().rev().find(|r| r.thread == thread));
        let mut flow = Map::new();
        if let Some(r) = record {
            for (stage, v) in &r.stages {
                if *stage != Stage::VariablesBefore {
                    flow.insert(stage.as_str().to_string(), v.clone());
                }
            }
            if let Some(e) = &r.error {
                flow.insert("error".into(), e.to_error_output());
            }
        }
        if let Some(input) = exec.pending_input(thread) {
            flow.insert("nextInput".into(), input.clone());
        }
        let mut task = Map::new();
        if let Some(t) = exec.pending_tasks().find(|t| t.thread == thread) {
            task.insert(
                "pending".into(),
                json!({"task": t.id, "state": t.state,
                "resource": t.resource, "request": t.input, "attempt": t.attempt,
                "token": t.token}),
            );
        }
        let task_ids: Vec<u64> = record.map_or_else(Vec::new, |r| self.ix.task_ids_of(r, true));
        if let Some(inv) = s
            .invocations
            .iter()
            .rev()
            .find(|i| task_ids.contains(&i.task))
        {
            task.insert("answered".into(), inv.to_json());
        }
        let vars = Value::Object(exec.variables(thread));
        let context = exec.context_object(thread);
        let pending_input = exec.pending_input(thread).is_some();
        let scopes = vec![
            self.scope(
                "Data flow",
                Value::Object(flow),
                pending_input.then_some(Edits::Input(thread)),
                false,
            ),
            self.scope("Task", Value::Object(task), None, false),
            self.scope("Variables", vars, Some(Edits::Variables(thread)), false),
            self.scope("Context ($$)", context, None, true),
        ];
        Ok(Handled::Body(Some(json!({ "scopes": scopes }))))
    }

    fn scope(&mut self, name: &str, value: Value, edits: Option<Edits>, expensive: bool) -> Value {
        let named = match &value {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        let r = self.handle_of(value, edits);
        json!({"name": name, "variablesReference": r, "namedVariables": named, "expensive": expensive})
    }

    fn handle_of(&mut self, value: Value, edits: Option<Edits>) -> usize {
        self.handles.push(Handle { value, edits });
        self.handles.len()
    }

    fn variables(&mut self, args: &Value) -> Reply {
        let r = args
            .get("variablesReference")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let h = self
            .handles
            .get(r.wrapping_sub(1))
            .cloned()
            .ok_or("that value is gone (the execution moved on): ask again")?;
        let children: Vec<(String, Value)> = match &h.value {
            Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone()))
                .collect(),
            _ => Vec::new(),
        };
        let start = args.get("start").and_then(Value::as_u64).unwrap_or(0) as usize;
        let count = args
            .get("count")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |c| c as usize);
        let mut out = Vec::new();
        for (name, v) in children.into_iter().skip(start).take(count) {
            out.push(self.variable(&name, v));
        }
        Ok(Handled::Body(Some(json!({ "variables": out }))))
    }

    fn variable(&mut self, name: &str, v: Value) -> Value {
        let expandable = match &v {
            Value::Object(m) => !m.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => false,
        };
        let shown = crate::tui::text::truncate(&crate::expr::compact(&v), 200);
        let kind = crate::expr::json_type_name(&v)
            .trim_start_matches("a ")
            .trim_start_matches("an ")
            .to_string();
        let r = if expandable {
            self.handle_of(v, None)
        } else {
            0
        };
        json!({"name": name, "value": shown, "type": kind, "variablesReference": r})
    }

    fn set_variable(&mut self, args: &Value) -> Reply {
        let r = args
            .get("variablesReference")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let name = args
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let text = args.get("value").and_then(Value::as_str).unwrap_or("");
        // JSON as typed; anything else is taken as a string.
        let value: Value = serde_json::from_str(text).unwrap_or_else(|_| json!(text));
        let h = self
            .handles
            .get(r.wrapping_sub(1))
            .cloned()
            .ok_or("that value is gone (the execution moved on)")?;
        let s = self.session_mut();
        let ok = match h.edits {
            Some(Edits::Variables(thread)) => s.set_variable(thread, &name, value.clone()),
            Some(Edits::Input(thread)) if name == "nextInput" => s.set_input(thread, value.clone()),
            Some(Edits::Input(thread)) => {
                return Err(format!(
                    "only nextInput (the input thread {} gives its next state) can be edited here",
                    thread + 1
                ));
            }
            None => {
                return Err(
                    "only workflow variables and the next state's input can be edited".into(),
                );
            }
        };
        if !ok {
            return Err(
                "the execution cannot take that now (nothing is about to run there)".into(),
            );
        }
        self.out
            .push(event("invalidated", Some(json!({"areas": ["variables"]}))));
        Ok(Handled::Body(Some(
            json!({"value": crate::expr::compact(&value)}),
        )))
    }

    fn evaluate(&mut self, args: &Value) -> Reply {
        let expr = args
            .get("expression")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        let frame = args.get("frameId").and_then(Value::as_i64);
        let thread = {
            let s = self.session.as_ref().expect("checked");
            match frame {
                Some(f) => {
                    let (t, d) = split_frame(f);
                    ancestor(s, t, d)
                }
                None => self.ix.current_thread(),
            }
        };
        if let Some(result) = self.repl_command(&expr, thread)? {
            return Ok(Handled::Body(Some(
                json!({"result": result, "variablesReference": 0}),
            )));
        }
        let s = self.session.as_ref().expect("checked");
        let value = s
            .execution()
            .evaluate(thread, &expr)
            .map_err(|e| format!("{}: {}", e.error, e.cause))?;
        let shown = crate::expr::compact(&value);
        let expandable = value.as_object().is_some_and(|m| !m.is_empty())
            || value.as_array().is_some_and(|a| !a.is_empty());
        let r = if expandable {
            self.handle_of(value, None)
        } else {
            0
        };
        Ok(Handled::Body(Some(
            json!({"result": shown, "variablesReference": r}),
        )))
    }

    /// The Debug Console's commands: answer a pending task, beat its heart, move time.
    fn repl_command(&mut self, text: &str, thread: usize) -> Result<Option<String>, String> {
        use crate::integrations::dispatch::HandAnswer;
        let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let rest = rest.trim();
        if !matches!(word, "success" | "failure" | "heartbeat" | "advance") {
            return Ok(None);
        }
        if word == "advance" {
            use crate::session::Advance;
            let how = match rest {
                "" | "next" => Advance::NextTimer,
                d => Advance::By(crate::engine::time::parse_duration(d)?.as_millis() as i64),
            };
            let s = self.session_mut();
            let fired = s.advance(how);
            let now = crate::engine::time::format_millis(s.execution().clock());
            self.after_change();
            return Ok(Some(match fired {
                Some(t) => format!("advanced to {now}: {}", t.describe()),
                None => format!("advanced to {now}"),
            }));
        }
        let s = self.session.as_ref().expect("checked");
        let pending = s.pending();
        let task = pending
            .iter()
            .find(|t| t.thread == thread)
            .or(pending.first())
            .map(|t| (t.id, t.state.clone()))
            .ok_or("no task waits for an answer")?;
        let s = self.session_mut();
        match word {
            "heartbeat" => {
                if !s.heartbeat(task.0) {
                    return Err(format!("'{}' is not waiting", task.1));
                }
                Ok(Some(format!("heartbeat sent to '{}'", task.1)))
            }
            "success" => {
                let v: Value = if rest.is_empty() {
                    json!({})
                } else {
                    serde_json::from_str(rest)
                        .map_err(|e| format!("not JSON ({e}): success {{\"ok\": true}}"))?
                };
                s.complete_by_hand(task.0, HandAnswer::Return(v))
                    .map_err(|e| e.to_string())?;
                self.after_change();
                Ok(Some(format!(
                    "sent success to '{}'; continue goes on",
                    task.1
                )))
            }
            _ => {
                let (error, cause) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                s.complete_by_hand(
                    task.0,
                    HandAnswer::Error {
                        error: error.to_string(),
                        cause: cause.trim().to_string(),
                    },
                )
                .map_err(|e| e.to_string())?;
                self.after_change();
                Ok(Some(format!(
                    "sent failure {error} to '{}'; continue goes on",
                    task.1
                )))
            }
        }
    }

    /// A SendTask* call from the callback endpoint (`listen` in launch).
    pub fn callback(
        &mut self,
        token: &str,
        action: &crate::session::callback::CallbackAction,
    ) -> Result<(), crate::session::callback::CallbackError> {
        let Some(s) = self.session.as_mut() else {
            return Err(crate::session::callback::CallbackError::InvalidToken);
        };
        let state = s.execution().task_by_token(token).map(|t| t.state.clone());
        s.callback(token, action)?;
        if let Some(state) = state {
            self.output("console", &format!("a callback answered '{state}'"));
        }
        if self.running.is_none() {
            self.after_change();
        }
        Ok(())
    }

    // ----- running ----------------------------------------------------------------------

    fn resume(&mut self, msg: &Value, goal: RunGoal) -> Reply {
        if self.finish_if_ended(msg) {
            return Ok(Handled::Done);
        }
        let all = matches!(goal, RunGoal::Continue);
        self.out
            .push(response(msg, Some(json!({"allThreadsContinued": all}))));
        self.start(goal);
        Ok(Handled::Done)
    }

    /// A new execution: stopped on entry, or running.
    fn begin(&mut self) {
        if self.stop_on_entry {
            self.stop_event("entry", None, Some(0), Vec::new());
        } else {
            self.start(RunGoal::Continue);
        }
    }

    fn start(&mut self, goal: RunGoal) {
        self.handles.clear();
        let run = self.session_mut().begin_run(goal);
        self.running = Some(run);
    }

    /// After the end was shown, going on ends the session.
    fn finish_if_ended(&mut self, msg: &Value) -> bool {
        if !self.ended {
            return false;
        }
        self.out.push(response(msg, None));
        let code = match self.session.as_ref().map(Session::status) {
            Some(Status::Succeeded { .. }) => 0,
            _ => 1,
        };
        self.out
            .push(event("exited", Some(json!({"exitCode": code}))));
        self.out.push(event("terminated", None));
        true
    }

    fn step_in(&mut self, msg: &Value) -> Reply {
        if self.finish_if_ended(msg) {
            return Ok(Handled::Done);
        }
        self.out.push(response(msg, None));
        self.handles.clear();
        let stop = self.session_mut().step();
        self.stopped(stop);
        Ok(Handled::Done)
    }

    fn step_back(&mut self, msg: &Value) -> Reply {
        self.running = None;
        let back = self
            .session_mut()
            .step_back()
            .ok_or("at the start: nothing to step back")?;
        self.ended = false;
        self.out.push(response(msg, None));
        for (_, state, _) in &back.withdrawn {
            self.output(
                "console",
                &format!("took back the answer given to '{state}'"),
            );
        }
        self.handles.clear();
        self.sync();
        self.stop_event("step", None, Some(self.ix.current_thread()), Vec::new());
        Ok(Handled::Done)
    }

    /// Back until a state with a breakpoint is next (or the start).
    fn reverse_continue(&mut self, msg: &Value) -> Reply {
        self.running = None;
        let s = self.session_mut();
        if s.step_back().is_none() {
            return Err("at the start: nothing to go back to".into());
        }
        let mut reason = "entry";
        let mut hit = Vec::new();
        loop {
            let next = s
                .execution()
                .next_runnable()
                .and_then(|t| s.execution().next_state_of(t))
                .map(|st| st.name.clone());
            if let Some(n) = next
                && s.breakpoints.has(&n)
            {
                reason = "breakpoint";
                hit = s
                    .breakpoints
                    .list()
                    .iter()
                    .filter(|b| b.state == n)
                    .map(|b| b.id)
                    .collect();
                break;
            }
            if s.step_back().is_none() {
                break;
            }
        }
        self.ended = false;
        self.out.push(response(msg, None));
        self.handles.clear();
        self.sync();
        self.stop_event(reason, None, Some(self.ix.current_thread()), hit);
        Ok(Handled::Done)
    }

    fn pause(&mut self, msg: &Value) -> Reply {
        self.out.push(response(msg, None));
        if self.running.take().is_some() {
            self.sync();
            self.stop_event("pause", None, Some(self.ix.current_thread()), Vec::new());
        }
        Ok(Handled::Done)
    }

    fn restart(&mut self, msg: &Value) -> Reply {
        self.running = None;
        self.ended = false;
        self.session_mut().restart(None);
        self.logs_sent = 0;
        self.handles.clear();
        self.out.push(response(msg, None));
        self.sync();
        self.begin();
        Ok(Handled::Done)
    }

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

    /// Take one slice of the run in progress.
    pub fn tick(&mut self) {
        let Some(mut run) = self.running.take() else {
            // Functions that answered while nothing ran.
            if let Some(s) = self.session.as_mut()
                && s.poll_background()
            {
                self.flush_logs();
            }
            return;
        };
        let stop = self.session_mut().run_bounded(&mut run, SLICE);
        match stop {
            Some(stop) => self.stopped(stop),
            None => self.running = Some(run),
        }
    }

    /// A function answered in the background: a waiting run may go on.
    pub fn woken(&mut self) {
        if let Some(r) = self.running.as_mut() {
            r.waiting = false;
        }
        self.tick();
    }

    fn stopped(&mut self, stop: StopReason) {
        self.running = None;
        self.sync();
        let current = self.ix.current_thread();
        match stop {
            StopReason::Stepped | StopReason::Diverged { .. } => {
                self.stop_event("step", None, Some(current), Vec::new());
            }
            StopReason::Breakpoint { state, thread, .. } => {
                let ids = self
                    .session
                    .as_ref()
                    .map(|s| {
                        s.breakpoints
                            .list()
                            .iter()
                            .filter(|b| b.state == state)
                            .map(|b| b.id)
                            .collect()
                    })
                    .unwrap_or_default();
                self.stop_event(
                    "breakpoint",
                    Some(format!("breakpoint at '{state}'")),
                    Some(thread),
                    ids,
                );
            }
            StopReason::Event {
                kind,
                state,
                detail,
            } => {
                let what = match kind {
                    BreakKind::Failure => "failure",
                    BreakKind::CaughtError => "caught error",
                    BreakKind::Retry => "retry",
                    BreakKind::Pending => "pending task",
                };
                self.output("console", &format!("{what} at '{state}': {detail}"));
                self.stop_with_text(
                    "exception",
                    &format!("{what} at '{state}'"),
                    &detail,
                    current,
                );
            }
            StopReason::Pending { task, state } => {
                let thread = self
                    .session
                    .as_ref()
                    .and_then(|s| s.execution().task(task).map(|t| t.thread))
                    .unwrap_or(current);
                let text = format!(
                    "'{state}' waits for an answer: type `success {{json}}`, `failure Error Cause` or `heartbeat` in the Debug Console"
                );
                self.stop_with_text("pending task", &format!("'{state}' waits"), &text, thread);
            }
            StopReason::Blocked => {
                let waiting = self
                    .session
                    .as_ref()
                    .is_some_and(|s| !s.pending().is_empty());
                let reason = if waiting { "pending task" } else { "pause" };
                self.stop_event(
                    reason,
                    Some("nothing can run until a task is answered".into()),
                    Some(current),
                    Vec::new(),
                );
            }
            StopReason::StepLimit => {
                self.stop_event(
                    "pause",
                    Some("stopped after many steps (runaway guard)".into()),
                    Some(current),
                    Vec::new(),
                );
            }
            StopReason::Finished => {
                let status = self.session.as_ref().map(|s| s.status().clone());
                if let Some(st) = status {
                    self.output(
                        "console",
                        &format!("execution {}", crate::expr::compact(&st.to_json())),
                    );
                    self.ended = true;
                    self.stop_event(
                        "end",
                        Some(format!(
                            "execution {}: continue ends the session",
                            st.name()
                        )),
                        Some(0),
                        Vec::new(),
                    );
                }
            }
        }
    }

    fn stop_with_text(&mut self, reason: &str, description: &str, text: &str, thread: usize) {
        self.flush_logs();
        self.thread_events();
        self.out.push(event(
            "stopped",
            Some(
                json!({"reason": reason, "description": description, "text": text,
                "threadId": thread + 1, "allThreadsStopped": true}),
            ),
        ));
    }

    fn stop_event(
        &mut self,
        reason: &str,
        description: Option<String>,
        thread: Option<usize>,
        hits: Vec<u32>,
    ) {
        self.flush_logs();
        self.thread_events();
        let mut body = json!({"reason": reason, "threadId": thread.unwrap_or(0) + 1, "allThreadsStopped": true});
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        if !hits.is_empty() {
            body["hitBreakpointIds"] = json!(hits);
        }
        self.out.push(event("stopped", Some(body)));
    }

    /// `thread` events for the branches and iterations that started or ended since the
    /// last stop.
    fn thread_events(&mut self) {
        let Some(s) = self.session.as_ref() else {
            return;
        };
        let live: Vec<u64> = s
            .execution()
            .thread_positions()
            .iter()
            .filter(|p| {
                p.thread == 0
                    || !matches!(
                        p.status,
                        crate::engine::ThreadState::Succeeded
                            | crate::engine::ThreadState::Failed
                            | crate::engine::ThreadState::Aborted
                    )
            })
            .map(|p| p.thread as u64 + 1)
            .collect();
        for id in live.iter().filter(|t| !self.threads_told.contains(t)) {
            self.out.push(event(
                "thread",
                Some(json!({"reason": "started", "threadId": id})),
            ));
        }
        for id in self.threads_told.iter().filter(|t| !live.contains(t)) {
            self.out.push(event(
                "thread",
                Some(json!({"reason": "exited", "threadId": id})),
            ));
        }
        self.threads_told = live;
    }

    /// Log points' messages and the logs of functions that ran, as output.
    fn flush_logs(&mut self) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        let logged = s.take_logged();
        let calls: Vec<(String, String, String)> = s.invocations
            [self.logs_sent.min(s.invocations.len())..]
            .iter()
            .map(|i| (i.state.clone(), i.backend.clone(), i.log.clone()))
            .collect();
        self.logs_sent = s.invocations.len();
        for l in logged {
            self.output("console", &l);
        }
        for (state, backend, log) in calls {
            if !log.trim().is_empty() {
                self.output(
                    "stdout",
                    &format!("[{state} · {backend}]\n{}", log.trim_end()),
                );
            }
        }
    }

    fn output(&mut self, category: &str, text: &str) {
        self.out.push(event(
            "output",
            Some(json!({"category": category, "output": format!("{text}\n")})),
        ));
    }

    /// Something changed the execution without a run (an answer, time moved).
    fn after_change(&mut self) {
        self.handles.clear();
        self.sync();
        self.out.push(event(
            "invalidated",
            Some(json!({"areas": ["threads", "stacks", "variables"]})),
        ));
    }

    fn sync(&mut self) {
        if let Some(s) = &self.session {
            self.ix.update(s);
        }
    }

    /// The launched file changed on disk: reload and replay to the same point, as the TUI does.
    pub fn file_changed(&mut self) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        let was_running = self.running.take().is_some();
        match s.reload() {
            ReloadOutcome::Unchanged => {
                if was_running {
                    self.start(RunGoal::Continue);
                }
            }
            ReloadOutcome::Invalid { diagnostics } => {
                self.output(
                    "important",
                    &format!(
                        "the saved definition is invalid; the last good one stays:\n{}",
                        diagnostics.join("\n")
                    ),
                );
                if was_running {
                    self.start(RunGoal::Continue);
                }
            }
            ReloadOutcome::Unreadable(e) => {
                self.output("important", &format!("cannot read the definition: {e}"));
            }
            ReloadOutcome::Reloaded {
                removed_breakpoints,
                replayed_steps,
                ..
            } => {
                let mut text =
                    format!("reloaded: {replayed_steps} steps replayed on the saved definition");
                if !removed_breakpoints.is_empty() {
                    text.push_str(&format!(
                        "; breakpoints on states that are gone: {}",
                        removed_breakpoints.join(", ")
                    ));
                }
                self.output("console", &text);
                let warnings: Vec<String> = {
                    let s = self.session.as_ref().expect("checked");
                    s.live_diagnostics
                        .iter()
                        .map(|d| d.render_plain(&s.definition.doc))
                        .collect()
                };
                for w in warnings {
                    self.output("console", &w);
                }
                self.rebind_lines();
                self.handles.clear();
                self.ended = false;
                self.sync();
                self.out
                    .push(event("invalidated", Some(json!({"areas": ["all"]}))));
                self.stop_event(
                    "step",
                    Some("reloaded".into()),
                    Some(self.ix.current_thread()),
                    Vec::new(),
                );
            }
        }
    }

    /// States moved in the file: tell the client where its line breakpoints now are.
    fn rebind_lines(&mut self) {
        let Some(s) = self.session.as_ref() else {
            return;
        };
        let mut events = Vec::new();
        for list in self.line_breakpoints.values() {
            for (id, _) in list {
                let Some(b) = s.breakpoints.list().iter().find(|b| b.id == *id) else {
                    events.push(event("breakpoint", Some(json!({"reason": "removed", "breakpoint": {"id": id, "verified": false}}))));
                    continue;
                };
                if let Some(line) = breakpoint_line(s, b) {
                    events.push(event("breakpoint", Some(json!({"reason": "changed", "breakpoint": {"id": id, "verified": true, "line": line}}))));
                }
            }
        }
        self.out.extend(events);
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
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => Some(v.to_string()),
    };
    l.context = a.get("context").filter(|v| !v.is_null()).map(|v| match v {
        Value::String(s) => s.clone(),
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

/// A breakpoint on `state` with the DAP breakpoint's condition, hit condition and log message.
fn add_breakpoint(s: &mut Session, state: &str, at: BreakAt, bp: &Value) -> Result<u32, String> {
    let condition = bp
        .get("condition")
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty());
    let id = s
        .breakpoints
        .add_at(state, at, condition)
        .map_err(|e| format!("bad condition: {e}"))?;
    if let Some(m) = bp.get("logMessage").and_then(Value::as_str) {
        s.breakpoints.set_log(id, m);
    }
    if let Some(h) = bp
        .get("hitCondition")
        .and_then(Value::as_str)
        .filter(|h| !h.trim().is_empty())
    {
        let n: u64 = h
            .trim()
            .trim_start_matches(">=")
            .trim_start_matches('=')
            .trim()
            .parse()
            .map_err(|_| format!("hit condition '{h}': a number of hits (3, >= 3)"))?;
        s.breakpoints.set_hit_target(id, Some(n));
    }
    Ok(id)
}

/// Where a line binds: the state whose source holds it (the innermost), and within it a
/// Choice rule, a Catch or a Retry when the line is in one (its own line then), else the
/// state's entry; with a note for the breakpoint's message.
struct Binding {
    state: String,
    at: BreakAt,
    line: i64,
    note: Option<String>,
}

fn bind_line(s: &Session, line: i64) -> Option<Binding> {
    let doc = &s.definition.doc;
    let line = usize::try_from(line).ok()?;
    let lines_of = |pointer: &str| {
        let span = doc.spans.get(pointer)?;
        let start = span.key.map_or(span.value.start, |k| k.start);
        Some((
            doc.source.line_of(start),
            doc.source.line_of(span.value.end.saturating_sub(1)),
        ))
    };
    let mut best: Option<(usize, String, String)> = None;
    s.definition.machine.walk(&mut |st| {
        if let Some((first, last)) = lines_of(&st.pointer)
            && (first..=last).contains(&line)
            && best.as_ref().is_none_or(|b| last - first < b.0)
        {
            best = Some((last - first, st.name.clone(), st.pointer.clone()));
        }
    });
    let (_, state, pointer) = best?;
    let (state_line, _) = state_line(s, &state)?;
    // A rule or handler the line is in.
    for (field, make, says) in [
        (
            "Choices",
            BreakAt::ChoiceRule as fn(usize) -> BreakAt,
            "when rule {} chooses",
        ),
        ("Catch", BreakAt::Catch, "when Catch {} catches an error"),
        ("Retry", BreakAt::Retry, "when Retry {} retries"),
    ] {
        let mut i = 0;
        while let Some((a, b)) = lines_of(&format!("{pointer}/{field}/{i}")) {
            if (a..=b).contains(&line) {
                let first = doc.source.line_of(
                    doc.spans
                        .get(&format!("{pointer}/{field}/{i}"))
                        .map_or(0, |sp| sp.value.start),
                );
                return Some(Binding {
                    note: Some(format!(
                        "stops in '{state}' {}",
                        says.replace("{}", &i.to_string())
                    )),
                    state,
                    at: make(i),
                    line: first as i64,
                });
            }
            i += 1;
        }
    }
    let note =
        (state_line as usize != line).then(|| format!("binds to the entry of state '{state}'"));
    Some(Binding {
        state,
        at: BreakAt::Entry,
        line: state_line,
        note,
    })
}

/// Where breakpoint `b` is in the definition now: its state's line, or its rule's or
/// handler's.
fn breakpoint_line(s: &Session, b: &crate::session::breakpoints::Breakpoint) -> Option<i64> {
    let (field, i) = match b.at {
        BreakAt::Entry => return state_line(s, &b.state).map(|(l, _)| l),
        BreakAt::ChoiceRule(i) => ("Choices", i),
        BreakAt::Catch(i) => ("Catch", i),
        BreakAt::Retry(i) => ("Retry", i),
    };
    let mut pointer = None;
    s.definition.machine.walk(&mut |st| {
        if st.name == b.state && pointer.is_none() {
            pointer = Some(st.pointer.clone());
        }
    });
    let doc = &s.definition.doc;
    let span = doc.spans.get(&format!("{}/{field}/{i}", pointer?))?;
    Some(doc.source.line_col(span.value.start).line as i64)
}

/// A state's line and column (of its name) in the definition.
fn state_line(s: &Session, name: &str) -> Option<(i64, i64)> {
    let mut pointer = None;
    s.definition.machine.walk(&mut |st| {
        if st.name == name && pointer.is_none() {
            pointer = Some(st.pointer.clone());
        }
    });
    let doc = &s.definition.doc;
    let span = doc.spans.get(&pointer?)?;
    let lc = doc
        .source
        .line_col(span.key.map_or(span.value.start, |k| k.start));
    Some((lc.line as i64, lc.col as i64))
}

fn state_type(s: &Session, pointer: &str) -> &'static str {
    s.state_at(pointer)
        .map_or("State", |st| st.kind.type_name())
}

/// `iteration 3` or `branch 1`: what thread `t` is within its parent.
fn child_label(s: &Session, positions: &[crate::engine::ThreadPosition], t: usize) -> String {
    let Some(p) = positions.iter().find(|p| p.thread == t) else {
        return String::new();
    };
    let (Some(parent), Some(index)) = (p.parent, p.index) else {
        return "execution".into();
    };
    let parent_type = positions
        .iter()
        .find(|q| q.thread == parent)
        .map_or("", |q| state_type(s, &q.state_pointer));
    if parent_type == "Parallel" {
        format!("branch {index}")
    } else {
        format!("iteration {index}")
    }
}

/// `execution`, `Map 'Process' iteration 3`, `Parallel 'Checks' branch 1`.
fn thread_name(s: &Session, positions: &[crate::engine::ThreadPosition], t: usize) -> String {
    let Some(p) = positions.iter().find(|p| p.thread == t) else {
        return format!("thread {}", t + 1);
    };
    match p
        .parent
        .and_then(|parent| positions.iter().find(|q| q.thread == parent))
    {
        None => "execution".into(),
        Some(q) => format!(
            "{} '{}' {}",
            state_type(s, &q.state_pointer),
            q.state,
            child_label(s, positions, t)
        ),
    }
}

/// Frame ids: the thread and how many levels up from its own state.
fn frame_id(thread: usize, depth: usize) -> i64 {
    (thread as i64) * 256 + depth as i64 + 1
}

fn split_frame(id: i64) -> (usize, usize) {
    let id = (id - 1).max(0) as usize;
    (id / 256, id % 256)
}

/// The thread `depth` levels up from `thread`.
fn ancestor(s: &Session, thread: usize, depth: usize) -> usize {
    let positions = s.execution().thread_positions();
    let mut t = thread;
    for _ in 0..depth {
        match positions
            .iter()
            .find(|p| p.thread == t)
            .and_then(|p| p.parent)
        {
            Some(p) => t = p,
            None => break,
        }
    }
    t
}

fn thread_arg(args: &Value) -> Result<usize, String> {
    args.get("threadId")
        .and_then(Value::as_u64)
        .filter(|t| *t >= 1)
        .map(|t| t as usize - 1)
        .ok_or_else(|| "threadId: a thread from the threads request".to_string())
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
