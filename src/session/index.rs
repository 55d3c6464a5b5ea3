//! What a front end derives from an execution to show it: where each thread is, which
//! states ran and how, Map progress, the state each history event belongs to, which task
//! each visit scheduled, and what each data-flow stage is compared with. Kept up to date
//! incrementally (history and step records only grow while the execution is the same), so
//! a 100,000-event run costs only its new events per update. The TUI uses it; the DAP
//! server and replay mode will too.

use super::Session;
use crate::engine::{EventKind, Execution, Stage, StepRecord, TaskId, ThreadPosition, history};
use crate::json::Value;
use std::collections::{HashMap, HashSet};

/// What the execution did at a state (for the markers).
#[derive(Debug, Clone, Copy, Default)]
pub struct Visit {
    pub count: usize,
    pub last_failed: bool,
    /// Index of the last step record of this state.
    pub last: usize,
}

/// Where execution is.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub thread: usize,
    pub name: String,
    pub pointer: String,
}

/// Derived from one execution; start a new one ([`ExecutionIndex::default`]) when the
/// execution is replaced (restart, step back, reload).
#[derive(Debug, Default)]
pub struct ExecutionIndex {
    pub positions: Vec<ThreadPosition>,
    pub current: Option<Current>,
    /// Map state pointer → (iterations finished, iterations in all).
    pub map_progress: HashMap<String, (usize, usize)>,
    pub pending_ptrs: HashSet<String>,
    pub visits: HashMap<String, Visit>,
    steps_seen: usize,
    /// The state names events belong to, interned.
    names: Vec<String>,
    name_ix: HashMap<String, u32>,
    /// History: the state each event belongs to (index into `names`, u32::MAX: none).
    event_state: Vec<u32>,
    thread_state: HashMap<usize, u32>,
    map_len: HashMap<usize, usize>,
    /// (event id, thread) of each task scheduling, in order: the n-th has task id n + 1.
    sched: Vec<(u64, usize)>,
    hist_seen: usize,
    /// The widest state name and event type in the history, in columns (what the
    /// History's columns need).
    pub widest_state: usize,
    pub widest_event_type: usize,
}

impl ExecutionIndex {
    /// Take in what happened since the last update.
    pub fn update(&mut self, session: &Session) {
        let exec = session.execution();
        let steps = exec.steps();
        if steps.len() < self.steps_seen || exec.history().len() < self.hist_seen {
            *self = ExecutionIndex::default();
        }
        for (i, rec) in steps.iter().enumerate().skip(self.steps_seen) {
            let v = self
                .visits
                .entry(rec.state_pointer.to_string())
                .or_default();
            v.count += 1;
            v.last = i;
            v.last_failed = rec.error.is_some();
        }
        self.steps_seen = steps.len();
        self.index_history(exec);
        self.positions = exec.thread_positions();
        let pending = session.pending();
        self.pending_ptrs = pending.iter().map(|t| t.state_pointer.clone()).collect();
        self.update_map_progress();
        self.current = if let Some(t) = exec.next_runnable() {
            self.positions
                .iter()
                .find(|p| p.thread == t)
                .map(|p| Current {
                    thread: t,
                    name: p.state.clone(),
                    pointer: p.state_pointer.clone(),
                })
        } else if let Some(t) = pending.first() {
            Some(Current {
                thread: t.thread,
                name: t.state.clone(),
                pointer: t.state_pointer.clone(),
            })
        } else if let Some(p) = self
            .positions
            .iter()
            .find(|p| p.status == crate::engine::ThreadState::Sleeping)
        {
            // A Wait or a Retry back-off: that state is where the execution is.
            Some(Current {
                thread: p.thread,
                name: p.state.clone(),
                pointer: p.state_pointer.clone(),
            })
        } else {
            steps.last().map(|r| Current {
                thread: r.thread,
                name: r.state.to_string(),
                pointer: r.state_pointer.to_string(),
            })
        };
    }

    /// The state each new history event belongs to, Map sizes, task schedulings.
    fn index_history(&mut self, exec: &Execution) {
        let hist = exec.history();
        for ev in &hist[self.hist_seen..] {
            let mut s = self
                .thread_state
                .get(&ev.thread)
                .copied()
                .unwrap_or(u32::MAX);
            if ev.kind.is_state_entered()
                && let Some(n) = ev.state_name()
            {
                s = self.intern(n);
                self.thread_state.insert(ev.thread, s);
            }
            self.event_state.push(s);
            self.widest_event_type = self.widest_event_type.max(ev.kind.as_str().len());
            if ev.kind.is_state_exited() {
                self.thread_state.remove(&ev.thread);
            }
            match ev.kind {
                EventKind::MapStateStarted => {
                    let n = match &ev.data {
                        history::EventData::Json(d) => {
                            d.get("length").and_then(Value::as_u64).unwrap_or(0)
                        }
                        _ => 0,
                    };
                    self.map_len.insert(ev.thread, n as usize);
                }
                EventKind::TaskScheduled | EventKind::LambdaFunctionScheduled => {
                    self.sched.push((ev.id, ev.thread));
                }
                _ => {}
            }
        }
        self.hist_seen = hist.len();
    }

    fn update_map_progress(&mut self) {
        let mut children: HashMap<usize, usize> = HashMap::new();
        for p in &self.positions {
            if let Some(parent) = p.parent
                && p.status.is_finished()
            {
                *children.entry(parent).or_default() += 1;
            }
        }
        self.map_progress.clear();
        for p in &self.positions {
            if p.status == crate::engine::ThreadState::WaitingChildren
                && let Some(&total) = self.map_len.get(&p.thread)
            {
                let e = self
                    .map_progress
                    .entry(p.state_pointer.clone())
                    .or_default();
                e.0 += children.get(&p.thread).copied().unwrap_or(0).min(total);
                e.1 += total;
            }
        }
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.name_ix.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.widest_state = self
            .widest_state
            .max(unicode_width::UnicodeWidthStr::width(name));
        self.names.push(name.to_string());
        self.name_ix.insert(name.to_string(), i);
        i
    }

    /// The name of the state history event `i` (an index into the history) belongs to.
    pub fn event_state_name(&self, i: usize) -> &str {
        match self.event_state.get(i) {
            Some(&n) if n != u32::MAX => &self.names[n as usize],
            _ => "",
        }
    }

    /// Task ids scheduled during a visit (`open`: the visit is still in progress).
    pub fn task_ids_of(&self, rec: &StepRecord, open: bool) -> Vec<TaskId> {
        let last = if open { u64::MAX } else { rec.last_event };
        self.sched
            .iter()
            .enumerate()
            .filter(|(_, (ev, th))| *th == rec.thread && *ev >= rec.first_event && *ev <= last)
            .map(|(i, _)| i as TaskId + 1)
            .collect()
    }

    /// The thread the execution is at (0 before anything ran).
    pub fn current_thread(&self) -> usize {
        self.current.as_ref().map_or(0, |c| c.thread)
    }
}

/// The stages a stage is computed from, most direct first: a front end shows each stage
/// as a change from the first of these that the visit recorded.
pub fn diff_basis(stage: Stage) -> &'static [Stage] {
    match stage {
        Stage::AfterInputPath => &[Stage::Input],
        Stage::AfterParameters | Stage::AfterArguments | Stage::AfterItemsPath => {
            &[Stage::AfterInputPath, Stage::Input]
        }
        Stage::AfterItemSelector => &[Stage::AfterItemsPath],
        Stage::AfterResultSelector => &[Stage::Result],
        Stage::AfterResultPath => &[Stage::Input],
        Stage::Output => &[
            Stage::AfterResultPath,
            Stage::AfterResultSelector,
            Stage::Result,
        ],
        _ => &[],
    }
}
