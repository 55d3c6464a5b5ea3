//! Running: continue, steps (back too), pause, restart, and the stops, output and events
//! they cause; reloads.

use super::values::live_threads;
use super::*;

impl Adapter {
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

    pub(super) fn resume(&mut self, msg: &Value, goal: RunGoal) -> Reply {
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
    pub(super) fn begin(&mut self) {
        if self.stop_on_entry {
            self.stop_event("entry", None, Some(0), Vec::new());
        } else {
            self.start(RunGoal::Continue);
        }
    }

    pub(super) fn start(&mut self, goal: RunGoal) {
        self.handles.clear();
        let run = self.session_mut().begin_run(goal);
        self.running = Some(run);
    }

    /// After the end was shown, going on ends the session.
    pub(super) fn finish_if_ended(&mut self, msg: &Value) -> bool {
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

    pub(super) fn step_in(&mut self, msg: &Value) -> Reply {
        if self.finish_if_ended(msg) {
            return Ok(Handled::Done);
        }
        self.out.push(response(msg, None));
        self.handles.clear();
        let stop = self.session_mut().step();
        self.stopped(stop);
        Ok(Handled::Done)
    }

    pub(super) fn step_back(&mut self, msg: &Value) -> Reply {
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
    pub(super) fn reverse_continue(&mut self, msg: &Value) -> Reply {
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
                .map(|st| st.name.to_string());
            if let Some(n) = next
                && s.breakpoints.has(&n)
            {
                reason = "breakpoint";
                hit = s
                    .breakpoints
                    .list()
                    .iter()
                    .filter(|b| b.state == *n)
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

    pub(super) fn pause(&mut self, msg: &Value) -> Reply {
        self.out.push(response(msg, None));
        if self.running.take().is_some() {
            self.sync();
            self.stop_event("pause", None, Some(self.ix.current_thread()), Vec::new());
        }
        Ok(Handled::Done)
    }

    pub(super) fn restart(&mut self, msg: &Value) -> Reply {
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

    pub(super) fn stopped(&mut self, stop: StopReason) {
        self.running = None;
        self.sync();
        let current = self.ix.current_thread();
        match stop {
            // The adapter's sessions run child executions whole (no Child stops).
            StopReason::Stepped | StopReason::Diverged { .. } | StopReason::Child { .. } => {
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

    pub(super) fn stop_with_text(
        &mut self,
        reason: &str,
        description: &str,
        text: &str,
        thread: usize,
    ) {
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

    pub(super) fn stop_event(
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
    pub(super) fn thread_events(&mut self) {
        let Some(s) = self.session.as_ref() else {
            return;
        };
        let live: Vec<u64> = live_threads(s)
            .iter()
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
    pub(super) fn flush_logs(&mut self) {
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

    pub(super) fn output(&mut self, category: &str, text: &str) {
        self.out.push(event(
            "output",
            Some(json!({"category": category, "output": format!("{text}\n")})),
        ));
    }

    /// Something changed the execution without a run (an answer, time moved).
    pub(super) fn after_change(&mut self) {
        self.handles.clear();
        self.sync();
        self.out.push(event(
            "invalidated",
            Some(json!({"areas": ["threads", "stacks", "variables"]})),
        ));
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
}
