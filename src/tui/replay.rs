//! Replay mode: the debugger on an execution recorded on AWS (`stepdbg replay HISTORY`).
//!
//! The session runs the definition with the recording's input, its tasks answered as they
//! were on AWS; this keeps the recording beside it and says, as the run goes, whether it
//! still does what AWS recorded, and where it first did not.

use crate::json::Value;
use crate::session::Session;
use crate::session::replay::answers::SharedLog;
use crate::session::replay::divergence::Divergence;
use crate::session::replay::{self, Recording, recording};
use std::sync::Arc;

pub struct ReplayView {
    pub recording: Arc<Recording>,
    log: SharedLog,
    pub divergence: Option<Divergence>,
    /// What was compared last: (execution generation, history length, finished).
    compared: Option<(u64, usize, bool)>,
}

impl ReplayView {
    pub fn new(recording: Recording, log: SharedLog) -> ReplayView {
        ReplayView {
            recording: Arc::new(recording),
            log,
            divergence: None,
            compared: None,
        }
    }

    /// Compare again when the execution changed; true when it has newly diverged. While
    /// a run goes (`running`) a long history is compared every so many events, not after
    /// every slice: each comparison reads both histories whole.
    pub fn update(&mut self, session: &Session, generation: u64, running: bool) -> bool {
        let exec = session.execution();
        let finished = exec.status().is_done();
        let now = (generation, exec.history().len(), finished);
        if self.compared == Some(now) {
            return false;
        }
        if running
            && let Some((g, len, _)) = self.compared
            && g == generation
            && now.1 < len + len / 16
        {
            return false;
        }
        self.compared = Some(now);
        let tokens = self
            .log
            .lock()
            .map(|l| l.tokens.clone())
            .unwrap_or_default();
        let was = self.divergence.is_some();
        self.divergence = replay::divergence(&self.recording, exec, &tokens, finished);
        !was && self.divergence.is_some()
    }

    /// The status bar's word on it.
    pub fn status(&self) -> (String, String, bool) {
        match &self.divergence {
            None => (
                " ◆ replay: as recorded ".to_string(),
                " ◆ as recorded ".to_string(),
                true,
            ),
            Some(d) => (
                format!(" ◆ diverges at event {} (:divergence) ", d.event_id()),
                format!(" ◆ diverges @{} ", d.event_id()),
                false,
            ),
        }
    }

    /// `:divergence`: both sides of the first difference, whole.
    pub fn divergence_text(&self) -> Option<String> {
        let d = self.divergence.as_ref()?;
        let side = |label: &str, e: &Option<Value>| match e {
            Some(e) => format!(
                "{label} (event {}, {}):\n{}",
                recording::id(e),
                recording::kind(e),
                pretty_details(e)
            ),
            None => format!("{label}: nothing here"),
        };
        Some(format!(
            "diverges at {}\n\n{}\n\n{}",
            d.summary(),
            side("AWS recorded", &d.recorded),
            side("the local run", &d.local)
        ))
    }

    /// `:recorded`: the recording's events, one a line, the divergent one marked.
    pub fn recorded_text(&self) -> String {
        let at = self
            .divergence
            .as_ref()
            .and_then(|d| d.recorded.as_ref())
            .map(recording::id);
        let mut lines: Vec<String> = self
            .recording
            .warnings
            .iter()
            .map(|w| format!("note: {w}"))
            .collect();
        for e in &self.recording.events {
            let id = recording::id(e);
            let d = readable_details(e);
            let name = d.get("name").and_then(Value::as_str).unwrap_or("");
            let mut rest = d.clone();
            if let Some(m) = rest.as_object_mut() {
                m.remove("name");
                m.retain(|k, _| !k.ends_with("Details"));
            }
            let rest = match &rest {
                Value::Object(m) if m.is_empty() => String::new(),
                Value::Null => String::new(),
                v => crate::expr::compact(v),
            };
            let mark = if Some(id) == at { "▶" } else { " " };
            // One line an event: `:divergence` and the History pane show them whole.
            let line = format!("{mark}{id:>4} {:<22} {name:<18} {rest}", recording::kind(e));
            lines.push(super::text::truncate(line.trim_end(), 110));
        }
        lines.join("\n")
    }
}

/// An event's details with its JSON-text fields shown as the JSON they hold.
fn readable_details(e: &Value) -> Value {
    let mut d = recording::details(e).clone();
    if let Some(m) = d.as_object_mut() {
        for f in ["input", "output", "parameters"] {
            if let Some(Value::String(s)) = m.get(f)
                && let Ok(v) = serde_json::from_str::<Value>(s)
            {
                m.insert(f, v);
            }
        }
    }
    d
}

fn pretty_details(e: &Value) -> String {
    serde_json::to_string_pretty(&readable_details(e)).unwrap_or_default()
}
