//! Saving a session to a file and replaying it later: the input, the seed and start time,
//! every recorded answer (function results, token completions, clock moves, edited
//! inputs) and the breakpoints. Replay goes through the same journal as step back.

use super::{JournalEntry, Session};
use crate::engine::{Failure, TaskOutcome, history};
use serde_json::{Value, json};
use std::path::Path;

const FORMAT: &str = "stepdbg-session/1";

/// `{"success": output}` or `{"failure": {"error", "cause"}}`.
pub fn outcome_to_json(o: &TaskOutcome) -> Value {
    match o {
        TaskOutcome::Success(v) => json!({"success": v}),
        TaskOutcome::Failure(f) => json!({"failure": {"error": f.error, "cause": f.cause}}),
    }
}

pub fn outcome_from_json(v: &Value) -> Option<TaskOutcome> {
    if let Some(s) = v.get("success") {
        return Some(TaskOutcome::Success(s.clone()));
    }
    let f = v.get("failure")?;
    let text = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
    Some(TaskOutcome::Failure(Failure {
        error: text("error"),
        cause: text("cause"),
    }))
}

fn entry_to_json(e: &JournalEntry) -> Value {
    match e {
        JournalEntry::Step => json!({"step": true}),
        JournalEntry::Resolve {
            task,
            state,
            outcome,
            by_person,
        } => {
            json!({"resolve": {"task": task, "state": state, "outcome": outcome_to_json(outcome), "byPerson": by_person}})
        }
        JournalEntry::TaskStarted { task } => json!({"taskStarted": task}),
        JournalEntry::Heartbeat { task } => json!({"heartbeat": task}),
        JournalEntry::AdvanceTo(ms) => json!({"advanceTo": ms}),
        JournalEntry::SetInput { thread, input } => {
            json!({"setInput": {"thread": thread, "input": input}})
        }
    }
}

fn entry_from_json(v: &Value) -> Option<JournalEntry> {
    if v.get("step").is_some() {
        return Some(JournalEntry::Step);
    }
    if let Some(r) = v.get("resolve") {
        return Some(JournalEntry::Resolve {
            task: r.get("task")?.as_u64()?,
            state: r.get("state")?.as_str()?.to_string(),
            outcome: outcome_from_json(r.get("outcome")?)?,
            by_person: r.get("byPerson").and_then(Value::as_bool).unwrap_or(true),
        });
    }
    if let Some(t) = v.get("taskStarted") {
        return Some(JournalEntry::TaskStarted { task: t.as_u64()? });
    }
    if let Some(t) = v.get("heartbeat") {
        return Some(JournalEntry::Heartbeat { task: t.as_u64()? });
    }
    if let Some(ms) = v.get("advanceTo") {
        return Some(JournalEntry::AdvanceTo(ms.as_i64()?));
    }
    let s = v.get("setInput")?;
    Some(JournalEntry::SetInput {
        thread: s.get("thread")?.as_u64()? as usize,
        input: s.get("input")?.clone(),
    })
}

impl Session {
    /// The session as JSON: enough to rebuild this exact point later.
    pub fn to_record(&self) -> Value {
        let cfg = self.exec.config();
        json!({
            "format": FORMAT,
            "definition": self.path.display().to_string(),
            "input": self.input,
            "seed": cfg.seed,
            // Tokens replay the same only with the same secret.
            "tokenSecret": format!("{:032x}", cfg.token_secret),
            "startTime": cfg.start_time_ms,
            "executionName": cfg.execution_name,
            "stateMachineName": cfg.state_machine_name,
            "journal": self.journal.iter().map(entry_to_json).collect::<Vec<_>>(),
            "breakpoints": self.breakpoints.list().iter().map(|b| json!({
                "state": b.state,
                "condition": b.condition.as_ref().map(|(text, _)| text),
                "enabled": b.enabled,
                "hitTarget": b.hit_target,
            })).collect::<Vec<_>>(),
        })
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(&self.to_record()).unwrap_or_default();
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Replay a saved session on this session's definition: same input, seed and clock,
    /// the recorded answers, the breakpoints. Returns where the replay stopped, if early.
    pub fn load_record(&mut self, record: &Value) -> Result<Option<super::StopReason>, String> {
        if record.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(format!(
                "not a saved stepdbg session (expected \"format\": \"{FORMAT}\")"
            ));
        }
        let journal = record
            .get("journal")
            .and_then(Value::as_array)
            .ok_or("the session has no journal")?
            .iter()
            .map(|e| entry_from_json(e).ok_or_else(|| format!("unreadable journal entry {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(i) = record.get("input") {
            self.input = i.clone();
        }
        if let Some(seed) = record.get("seed").and_then(Value::as_u64) {
            self.config.seed = seed;
        }
        if let Some(s) = record.get("tokenSecret").and_then(Value::as_str) {
            self.config.token_secret = u128::from_str_radix(s, 16)
                .map_err(|_| format!("tokenSecret `{s}` is not 32 hex digits"))?;
        }
        if let Some(t) = record.get("startTime").and_then(Value::as_i64) {
            self.config.start_time_ms = t;
        }
        for (key, slot) in [
            ("executionName", &mut self.config.execution_name),
            ("stateMachineName", &mut self.config.state_machine_name),
        ] {
            if let Some(v) = record.get(key).and_then(Value::as_str) {
                *slot = v.to_string();
            }
        }
        for b in record
            .get("breakpoints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(state) = b.get("state").and_then(Value::as_str) else {
                continue;
            };
            let id = self
                .breakpoints
                .add(state, b.get("condition").and_then(Value::as_str))?;
            self.breakpoints.set_enabled(
                id,
                b.get("enabled").and_then(Value::as_bool).unwrap_or(true),
            );
            self.breakpoints
                .set_hit_target(id, b.get("hitTarget").and_then(Value::as_u64));
        }
        Ok(self.replay(journal))
    }

    pub fn load_file(&mut self, path: &Path) -> Result<Option<super::StopReason>, String> {
        // The debugger reads this while it runs: only a regular file, never a FIFO.
        let text = crate::shell::read::text(
            path,
            crate::shell::read::MAX_FILE_BYTES,
            crate::shell::read::Kind::RegularOnly,
        )
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        self.load_record(&v)
    }

    /// Write the history as GetExecutionHistory's `{"events": [...]}`.
    pub fn export_history(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(&history::to_json(self.exec.history()))
            .unwrap_or_default();
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}
