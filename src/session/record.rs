//! Saving a session to a file and replaying it later: the input, the seed and start time,
//! every recorded answer (function results, token completions, clock moves, edited
//! inputs) and the breakpoints. Replay goes through the same journal as step back.
//!
//! The file is read with serde into [`SessionFile`], and everything in it is checked
//! (the format, every journal entry, every breakpoint condition) before anything is
//! applied: a bad file leaves the session as it was.

use super::breakpoints::Breakpoints;
use super::{Advance, JournalEntry, Session, SessionError};
use crate::engine::{Failure, TaskOutcome, history};
use crate::json::Value;
use serde::{Deserialize, Serialize};
use std::path::Path;

const FORMAT: &str = "stepdbg-session/1";

/// A saved session, as written to disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionFile {
    pub format: String,
    #[serde(default)]
    pub definition: Option<String>,
    #[serde(default)]
    pub input: Option<Value>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Tokens replay the same only with the same secret (32 hex digits).
    #[serde(default)]
    pub token_secret: Option<String>,
    #[serde(default)]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub execution_name: Option<String>,
    #[serde(default)]
    pub state_machine_name: Option<String>,
    pub journal: Vec<Entry>,
    #[serde(default)]
    pub breakpoints: Vec<SavedBreakpoint>,
}

/// One journal entry: `{"step": true}`, `{"resolve": {...}}`, `{"taskStarted": 3}`, ...
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Entry {
    Step(bool),
    Resolve(SavedResolve),
    TaskStarted(u64),
    Heartbeat(u64),
    /// Written by stepdbg before `sleep`, `advanceBy` and `advanceToNextTimer`: read as an
    /// advance to that time.
    AdvanceTo(i64),
    Sleep(bool),
    AdvanceBy(i64),
    AdvanceToNextTimer(bool),
    SetInput(SavedInput),
    SetVariable(SavedVariable),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedVariable {
    pub thread: usize,
    pub name: String,
    pub value: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedResolve {
    pub task: u64,
    pub state: String,
    pub outcome: SavedOutcome,
    #[serde(default = "yes")]
    pub by_person: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedInput {
    pub thread: usize,
    pub input: Value,
}

/// `{"success": output}` or `{"failure": {"error", "cause"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SavedOutcome {
    Success(Value),
    Failure(SavedFailure),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SavedFailure {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedBreakpoint {
    pub state: String,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub hit_target: Option<u64>,
    #[serde(default)]
    pub temporary: bool,
}

impl From<&TaskOutcome> for SavedOutcome {
    fn from(o: &TaskOutcome) -> SavedOutcome {
        match o {
            TaskOutcome::Success(v) => SavedOutcome::Success(v.clone()),
            TaskOutcome::Failure(f) => SavedOutcome::Failure(SavedFailure {
                error: f.error.clone(),
                cause: f.cause.clone(),
            }),
        }
    }
}

impl From<SavedOutcome> for TaskOutcome {
    fn from(o: SavedOutcome) -> TaskOutcome {
        match o {
            SavedOutcome::Success(v) => TaskOutcome::Success(v),
            SavedOutcome::Failure(f) => TaskOutcome::Failure(Failure {
                error: f.error,
                cause: f.cause,
            }),
        }
    }
}

impl From<&JournalEntry> for Entry {
    fn from(e: &JournalEntry) -> Entry {
        match e {
            JournalEntry::Step => Entry::Step(true),
            JournalEntry::Resolve {
                task,
                state,
                outcome,
                by_person,
            } => Entry::Resolve(SavedResolve {
                task: *task,
                state: state.clone(),
                outcome: outcome.into(),
                by_person: *by_person,
            }),
            JournalEntry::TaskStarted { task } => Entry::TaskStarted(*task),
            JournalEntry::Heartbeat { task } => Entry::Heartbeat(*task),
            JournalEntry::Sleep => Entry::Sleep(true),
            JournalEntry::Advance(Advance::By(ms)) => Entry::AdvanceBy(*ms),
            JournalEntry::Advance(Advance::NextTimer) => Entry::AdvanceToNextTimer(true),
            JournalEntry::Advance(Advance::To(ms)) => Entry::AdvanceTo(*ms),
            JournalEntry::SetInput { thread, input } => Entry::SetInput(SavedInput {
                thread: *thread,
                input: input.clone(),
            }),
            JournalEntry::SetVariable {
                thread,
                name,
                value,
            } => Entry::SetVariable(SavedVariable {
                thread: *thread,
                name: name.clone(),
                value: value.clone(),
            }),
        }
    }
}

impl From<Entry> for JournalEntry {
    fn from(e: Entry) -> JournalEntry {
        match e {
            Entry::Step(_) => JournalEntry::Step,
            Entry::Resolve(r) => JournalEntry::Resolve {
                task: r.task,
                state: r.state,
                outcome: r.outcome.into(),
                by_person: r.by_person,
            },
            Entry::TaskStarted(task) => JournalEntry::TaskStarted { task },
            Entry::Heartbeat(task) => JournalEntry::Heartbeat { task },
            Entry::AdvanceTo(ms) => JournalEntry::Advance(Advance::To(ms)),
            Entry::Sleep(_) => JournalEntry::Sleep,
            Entry::AdvanceBy(ms) => JournalEntry::Advance(Advance::By(ms)),
            Entry::AdvanceToNextTimer(_) => JournalEntry::Advance(Advance::NextTimer),
            Entry::SetInput(s) => JournalEntry::SetInput {
                thread: s.thread,
                input: s.input,
            },
            Entry::SetVariable(s) => JournalEntry::SetVariable {
                thread: s.thread,
                name: s.name,
                value: s.value,
            },
        }
    }
}

impl Session {
    /// The session as saved: enough to rebuild this exact point later.
    pub fn to_record(&self) -> SessionFile {
        let cfg = self.exec.config();
        SessionFile {
            format: FORMAT.into(),
            definition: Some(self.path.display().to_string()),
            input: Some(self.input.clone()),
            seed: Some(cfg.seed),
            token_secret: Some(format!("{:032x}", cfg.token_secret)),
            start_time: Some(cfg.start_time_ms),
            execution_name: Some(cfg.execution_name.clone()),
            state_machine_name: Some(cfg.state_machine_name.clone()),
            journal: self.journal.iter().map(Entry::from).collect(),
            breakpoints: self
                .breakpoints
                .list()
                .iter()
                .map(|b| SavedBreakpoint {
                    state: b.state.clone(),
                    condition: b.condition.as_ref().map(|(text, _)| text.clone()),
                    enabled: b.enabled,
                    hit_target: b.hit_target,
                    temporary: b.temporary,
                })
                .collect(),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), SessionError> {
        let text = serde_json::to_string_pretty(&self.to_record()).unwrap_or_default();
        write(path, &text)
    }

    /// Replay a saved session on this session's definition: same input, seed and clock,
    /// the recorded answers, the breakpoints. Returns where the replay stopped, if early.
    /// Nothing changes unless the whole file is good.
    pub fn load_record(
        &mut self,
        record: SessionFile,
    ) -> Result<Option<super::StopReason>, SessionError> {
        let bad = |m: String| SessionError::SessionFile(m);
        if record.format != FORMAT {
            return Err(bad(format!(
                "not a saved stepdbg session (expected \"format\": \"{FORMAT}\")"
            )));
        }
        let token_secret = match &record.token_secret {
            Some(s) => Some(
                u128::from_str_radix(s, 16)
                    .map_err(|_| bad(format!("tokenSecret `{s}` is not 32 hex digits")))?,
            ),
            None => None,
        };
        // Conditions are checked on a scratch set before anything changes.
        let mut check = Breakpoints::default();
        for b in &record.breakpoints {
            check
                .add(&b.state, b.condition.as_deref())
                .map_err(|e| bad(format!("the breakpoint on '{}': {e}", b.state)))?;
        }
        // Everything checked: apply.
        if let Some(i) = record.input {
            self.input = i;
        }
        if let Some(seed) = record.seed {
            self.config.seed = seed;
        }
        if let Some(s) = token_secret {
            self.config.token_secret = s;
        }
        if let Some(t) = record.start_time {
            self.config.start_time_ms = t;
        }
        if let Some(n) = record.execution_name {
            self.config.execution_name = n;
        }
        if let Some(n) = record.state_machine_name {
            self.config.state_machine_name = n;
        }
        // Added to the breakpoints already set (the conditions parsed above).
        for b in &record.breakpoints {
            let added = if b.temporary {
                self.breakpoints
                    .add_temporary(&b.state, b.condition.as_deref())
            } else {
                self.breakpoints.add(&b.state, b.condition.as_deref())
            };
            if let Ok(id) = added {
                self.breakpoints.set_enabled(id, b.enabled);
                self.breakpoints.set_hit_target(id, b.hit_target);
            }
        }
        let journal = record.journal.into_iter().map(JournalEntry::from).collect();
        Ok(self.replay(journal))
    }

    pub fn load_file(&mut self, path: &Path) -> Result<Option<super::StopReason>, SessionError> {
        // The debugger reads this while it runs: only a regular file, never a FIFO.
        let text = crate::shell::read::text(
            path,
            crate::shell::read::MAX_FILE_BYTES,
            crate::shell::read::Kind::RegularOnly,
        )
        .map_err(|e| SessionError::SessionFile(format!("cannot read {}: {e}", path.display())))?;
        let record: SessionFile = serde_json::from_str(&text).map_err(|e| {
            SessionError::SessionFile(format!("{}: not a saved session: {e}", path.display()))
        })?;
        self.load_record(record)
    }

    /// Write the history as GetExecutionHistory's `{"events": [...]}`.
    pub fn export_history(&self, path: &Path) -> Result<(), SessionError> {
        let text = serde_json::to_string_pretty(&history::to_json(self.exec.history()))
            .unwrap_or_default();
        write(path, &text)
    }
}

fn write(path: &Path, text: &str) -> Result<(), SessionError> {
    std::fs::write(path, text).map_err(|e| SessionError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}
