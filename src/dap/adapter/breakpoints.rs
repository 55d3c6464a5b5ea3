//! Breakpoints: lines bound to states (or to a Choice rule, a Catch, a Retry), function
//! and exception breakpoints, and where they are after a reload.

use super::*;

impl Adapter {
    pub(super) fn set_breakpoints(&mut self, args: &Value) -> Reply {
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
        for bp in requested(args) {
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

    pub(super) fn set_function_breakpoints(&mut self, args: &Value) -> Reply {
        let old = std::mem::take(&mut self.function_breakpoints);
        let session = self.session.as_mut().expect("checked");
        for id in old {
            session.breakpoints.remove(id);
        }
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for bp in requested(args) {
            let name = bp.get("name").and_then(Value::as_str).unwrap_or("").trim();
            if !session.definition.machine.has_state(name) {
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

    pub(super) fn set_exception_breakpoints(&mut self, args: &Value) -> Reply {
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

    /// States moved in the file: tell the client where its line breakpoints now are.
    pub(super) fn rebind_lines(&mut self) {
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
        let span = doc.spans().get(pointer)?;
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
            best = Some((last - first, st.name.to_string(), st.pointer.to_string()));
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
                    doc.spans()
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
        if *st.name == *b.state && pointer.is_none() {
            pointer = Some(st.pointer.clone());
        }
    });
    let doc = &s.definition.doc;
    let span = doc.spans().get(&format!("{}/{field}/{i}", pointer?))?;
    Some(doc.source.line_col(span.value.start).line as i64)
}

/// A state's line and column (of its name) in the definition.
pub(super) fn state_line(s: &Session, name: &str) -> Option<(i64, i64)> {
    let mut pointer = None;
    s.definition.machine.walk(&mut |st| {
        if &*st.name == name && pointer.is_none() {
            pointer = Some(st.pointer.clone());
        }
    });
    let doc = &s.definition.doc;
    let span = doc.spans().get(&pointer?)?;
    let lc = doc
        .source
        .line_col(span.key.map_or(span.value.start, |k| k.start));
    Some((lc.line as i64, lc.col as i64))
}

/// The breakpoints a set*Breakpoints request asks for.
fn requested(args: &Value) -> Vec<Value> {
    args.get("breakpoints")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}
