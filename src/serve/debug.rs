//! The debugger's hold on the server's executions (`stepdbg serve --tui`): what runs and
//! where it paused, breakpoints by state machine, and attaching: an execution paused at a
//! step boundary is lent to the debugger (a copy, with its dispatcher), stepped there, and
//! given back to run on. While it is lent, the API still describes it as RUNNING.

use super::api::{ExecRec, Running, Service};
use crate::engine::{Execution, WorkflowType};
use crate::integrations::dispatch::Dispatcher;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A state machine as the debugger lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineView {
    pub name: String,
    pub arn: String,
    pub express: bool,
    pub executions: usize,
    pub breakpoints: Vec<String>,
}

/// An execution as the debugger lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionView {
    pub arn: String,
    pub name: String,
    pub machine: String,
    pub status: &'static str,
    pub start: f64,
    pub paused_at: Option<String>,
    pub attached: bool,
}

/// An execution lent to the debugger.
pub struct Lent {
    pub arn: String,
    pub machine: String,
    pub definition: String,
    pub exec: Execution,
    /// What answers its tasks (None: it had ended; a view only).
    pub dispatcher: Option<Dispatcher>,
}

impl Service {
    pub fn machines_view(&self) -> Vec<MachineView> {
        let reg = self.reg();
        let bps = self.breakpoint_table();
        reg.machines
            .values()
            .map(|m| MachineView {
                name: m.name.clone(),
                arn: m.arn.clone(),
                express: m.kind == WorkflowType::Express,
                executions: reg
                    .executions
                    .iter()
                    .filter(|e| e.machine_arn == m.arn)
                    .count(),
                breakpoints: bps
                    .get(&m.name)
                    .map(|b| b.iter().cloned().collect())
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Newest first.
    pub fn executions_view(&self) -> Vec<ExecutionView> {
        let list: Vec<Arc<ExecRec>> = self.reg().executions.iter().rev().cloned().collect();
        list.iter()
            .map(|e| {
                let st = e.lock();
                ExecutionView {
                    arn: e.arn.clone(),
                    name: e.name.clone(),
                    machine: e.machine_name.clone(),
                    status: st.exec.status().name(),
                    start: e.start,
                    paused_at: st.paused_at.clone(),
                    attached: st.attached,
                }
            })
            .collect()
    }

    /// The definition of state machine `name` (its text as created or updated).
    pub fn machine_definition(&self, name: &str) -> Option<String> {
        let reg = self.reg();
        reg.machines
            .values()
            .find(|m| m.name == name)
            .map(|m| m.definition.clone())
    }

    fn breakpoint_table(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<String, std::collections::BTreeSet<String>>,
    > {
        self.breakpoints
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Executions of `machine` pause before entering these states.
    pub fn set_breakpoints(&self, machine: &str, states: Vec<String>) {
        let mut t = self.breakpoint_table();
        if states.is_empty() {
            t.remove(machine);
        } else {
            t.insert(machine.to_string(), states.into_iter().collect());
        }
    }

    pub fn breakpoints_of(&self, machine: &str) -> Vec<String> {
        self.breakpoint_table()
            .get(machine)
            .map(|b| b.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Should `st`, an execution of `machine`, pause before its next step? (Then: the
    /// state it pauses before.)
    pub(super) fn pause_before(&self, machine: &str, st: &mut Running) -> Option<String> {
        if !self.options.debug || std::mem::take(&mut st.resumed) {
            return None;
        }
        let next = st
            .exec
            .next_runnable()
            .and_then(|t| st.exec.next_state_of(t))
            .map(|s| s.name.to_string());
        if std::mem::take(&mut st.pause_requested) {
            return Some(next.unwrap_or_else(|| "(waiting)".into()));
        }
        let next = next?;
        self.breakpoint_table()
            .get(machine)
            .is_some_and(|b| b.contains(&next))
            .then_some(next)
    }

    fn exec_rec(&self, arn: &str) -> Option<Arc<ExecRec>> {
        self.execution(arn).ok()
    }

    /// Pause `arn` at its next step boundary and lend it to the debugger (an ended one is
    /// lent as a view). None: no such execution, or it did not pause in time.
    pub fn attach(&self, arn: &str) -> Option<Lent> {
        let rec = self.exec_rec(arn)?;
        let mut st = rec.lock();
        if !st.exec.status().is_done() && st.paused_at.is_none() {
            st.pause_requested = true;
            rec.wake.notify_all();
            let deadline = Instant::now() + Duration::from_secs(5);
            while st.paused_at.is_none() && !st.exec.status().is_done() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    st.pause_requested = false;
                    return None;
                }
                st = match rec.wake.wait_timeout(st, left) {
                    Ok((g, _)) => g,
                    Err(e) => e.into_inner().0,
                };
            }
        }
        st.pause_requested = false;
        let running = !st.exec.status().is_done();
        st.attached = running;
        Some(Lent {
            arn: rec.arn.clone(),
            machine: rec.machine_name.clone(),
            definition: rec.definition.clone(),
            exec: st.exec.clone(),
            dispatcher: if running { st.idle.take() } else { None },
        })
    }

    /// The debugger gives `arn` back, as it left it: it runs on (not pausing again before
    /// its next step).
    pub fn detach(&self, arn: &str, exec: Execution, dispatcher: Option<Dispatcher>) {
        let Some(rec) = self.exec_rec(arn) else {
            return;
        };
        let mut st = rec.lock();
        if !st.attached {
            return;
        }
        st.exec = exec;
        if dispatcher.is_some() {
            st.idle = dispatcher;
        }
        // What the suite sent meanwhile.
        let timed_out = st.timed_out.clone();
        for q in std::mem::take(&mut st.queued) {
            match q {
                super::api::Queued::Callback(token, action) => {
                    let _ =
                        crate::session::callback::apply(&mut st.exec, &token, &action, &timed_out);
                }
                super::api::Queued::Stop(error, cause) => st.exec.stop(error, cause),
            }
        }
        // Tokens of callback tasks started while the debugger had it reach it by SendTask*.
        let tokens: Vec<String> = st
            .exec
            .pending_tasks()
            .filter_map(|t| t.token.clone())
            .collect();
        st.attached = false;
        st.paused_at = None;
        st.resumed = true;
        rec.wake.notify_all();
        drop(st);
        for t in tokens {
            self.register_token(&t, &rec);
        }
    }
}
