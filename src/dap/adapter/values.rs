//! What the client reads at a stop: threads, stack frames, scopes and variables, evaluate
//! and the Debug Console's commands.

use super::breakpoints::state_line;
use super::*;

impl Adapter {
    pub(super) fn threads(&mut self) -> Handled {
        let s = self.session.as_ref().expect("checked");
        let positions = s.execution().thread_positions();
        let live: Vec<Value> = live_threads(s)
            .iter()
            .map(|p| json!({"id": p.thread + 1, "name": thread_name(s, &positions, p.thread)}))
            .collect();
        Handled::Body(Some(json!({ "threads": live })))
    }

    pub(super) fn stack_trace(&mut self, args: &Value) -> Reply {
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

    pub(super) fn scopes(&mut self, args: &Value) -> Reply {
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
                    flow.insert(stage.as_str().to_string(), (**v).clone());
                }
            }
            if let Some(e) = &r.error {
                flow.insert("error", e.to_error_output());
            }
        }
        if let Some(input) = exec.pending_input(thread) {
            flow.insert("nextInput", input.clone());
        }
        let mut task = Map::new();
        if let Some(t) = exec.pending_tasks().find(|t| t.thread == thread) {
            task.insert(
                "pending",
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
            task.insert("answered", inv.to_json());
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

    pub(super) fn scope(
        &mut self,
        name: &str,
        value: Value,
        edits: Option<Edits>,
        expensive: bool,
    ) -> Value {
        let named = match &value {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        let r = self.handle_of(value, edits);
        json!({"name": name, "variablesReference": r, "namedVariables": named, "expensive": expensive})
    }

    pub(super) fn handle_of(&mut self, value: Value, edits: Option<Edits>) -> usize {
        self.handles.push(Handle { value, edits });
        self.handles.len()
    }

    pub(super) fn variables(&mut self, args: &Value) -> Reply {
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
            Value::Object(m) => m.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
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

    pub(super) fn variable(&mut self, name: &str, v: Value) -> Value {
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

    pub(super) fn set_variable(&mut self, args: &Value) -> Reply {
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

    pub(super) fn evaluate(&mut self, args: &Value) -> Reply {
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
    pub(super) fn repl_command(
        &mut self,
        text: &str,
        thread: usize,
    ) -> Result<Option<String>, String> {
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
}

pub(super) fn state_type(s: &Session, pointer: &str) -> &'static str {
    s.state_at(pointer)
        .map_or("State", |st| st.kind.type_name())
}

/// `iteration 3` or `branch 1`: what thread `t` is within its parent.
pub(super) fn child_label(
    s: &Session,
    positions: &[crate::engine::ThreadPosition],
    t: usize,
) -> String {
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
pub(super) fn thread_name(
    s: &Session,
    positions: &[crate::engine::ThreadPosition],
    t: usize,
) -> String {
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
pub(super) fn frame_id(thread: usize, depth: usize) -> i64 {
    (thread as i64) * 256 + depth as i64 + 1
}

pub(super) fn split_frame(id: i64) -> (usize, usize) {
    let id = (id - 1).max(0) as usize;
    (id / 256, id % 256)
}

/// The thread `depth` levels up from `thread`.
pub(super) fn ancestor(s: &Session, thread: usize, depth: usize) -> usize {
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

pub(super) fn thread_arg(args: &Value) -> Result<usize, String> {
    args.get("threadId")
        .and_then(Value::as_u64)
        .filter(|t| *t >= 1)
        .map(|t| t as usize - 1)
        .ok_or_else(|| "threadId: a thread from the threads request".to_string())
}

/// The threads the client sees: the execution, and the branches and iterations that have
/// not ended.
pub(super) fn live_threads(s: &Session) -> Vec<crate::engine::ThreadPosition> {
    s.execution()
        .thread_positions()
        .into_iter()
        .filter(|p| p.thread == 0 || !p.status.is_finished())
        .collect()
}
