//! One execution on a thread of its own: steps the engine, answers its tasks (mock file,
//! Lambda endpoint), waits for SendTask* callbacks, and lets Wait states and back-offs
//! pass in real time (scaled) or at once. Nothing here holds the execution's lock while a
//! function runs or time passes, so the API keeps answering and other executions go on.

use super::api::{ExecRec, Service, TimeMode, now};
use crate::engine::{Failure, Step, TaskOutcome};
use crate::integrations::dispatch::{Dispatch, Dispatcher};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// While a task waits for its token, check the clock this often.
const TOKEN_POLL: Duration = Duration::from_millis(500);

pub fn spawn(service: Arc<Service>, rec: Arc<ExecRec>, dispatcher: Dispatcher) {
    let name = format!("execution {}", rec.name);
    let spawned = std::thread::Builder::new()
        .name(name)
        .spawn(move || run(&service, &rec, dispatcher));
    if let Err(e) = spawned {
        errln!("stepdbg serve: cannot start an execution thread: {e}");
    }
}

fn run(service: &Service, rec: &Arc<ExecRec>, mut dispatcher: Dispatcher) {
    let time = service.options.time;
    let mut st = rec.lock();
    loop {
        if st.exec.status().is_done() {
            if st.stop.is_none() {
                st.stop = Some(now());
            }
            // Kept for a redrive, with its mock call counts where they are.
            st.idle = Some(dispatcher);
            st.runner_done = true;
            rec.wake.notify_all();
            return;
        }
        // A breakpoint, or the debugger asked: wait here, lending the dispatcher, until
        // resumed (or given back by the debugger).
        if let Some(state) = service.pause_before(&rec.machine_name, &mut st) {
            st.paused_at = Some(state);
            st.idle = Some(dispatcher.clone());
            rec.wake.notify_all();
            while st.paused_at.is_some() || st.attached {
                st = rec
                    .wake
                    .wait(st)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            // Given back with its mock call counts moved on.
            if let Some(d) = st.idle.take() {
                dispatcher = d;
            }
            // Tasks the debugger scheduled but left unanswered are answered here now (a
            // callback task's function is called, then it waits for its token).
            let left: Vec<_> = st
                .exec
                .pending_tasks()
                .filter(|t| t.started_ms.is_none())
                .cloned()
                .collect();
            for req in left {
                if st.exec.status().is_done() {
                    break;
                }
                st = answer(service, rec, st, &mut dispatcher, &req);
            }
            continue;
        }
        match st.exec.step() {
            Step::Progressed { .. } | Step::Finished => {}
            Step::Task(req) => st = answer(service, rec, st, &mut dispatcher, &req),
            Step::Sleeping { until } => {
                let wait = match time {
                    TimeMode::Virtual => Duration::ZERO,
                    // Longer than a Duration holds (a tiny --time-scale): until stopped.
                    TimeMode::Real { scale } => {
                        real_time(until.saturating_sub(st.exec.clock()), scale)
                            .unwrap_or(Duration::MAX)
                    }
                };
                let started = Instant::now();
                st = sleep(rec, st, wait);
                // Woken early (a callback elsewhere, a stop): the Wait is not over yet.
                if !st.exec.status().is_done() && started.elapsed() >= wait {
                    advance_to(&mut st, until);
                }
            }
            Step::Blocked => {
                // Tasks wait for their tokens: real time passes (their timeouts and
                // heartbeats count it), a callback or a stop wakes us.
                let started = Instant::now();
                let next = st.exec.next_wakeup();
                let scale = match time {
                    TimeMode::Real { scale } => scale,
                    TimeMode::Virtual => 1.0,
                };
                let wait = next
                    .and_then(|w| real_time(w.saturating_sub(st.exec.clock()), scale))
                    .map_or(TOKEN_POLL, |d| d.min(TOKEN_POLL));
                st = sleep(rec, st, wait);
                let passed = virtual_ms(started.elapsed(), scale);
                let until = st.exec.clock().saturating_add(passed.max(1));
                advance_to(&mut st, until);
            }
        }
    }
}

/// Answer `req` (a mock, a Lambda endpoint), the lock let go while a function runs.
fn answer<'a>(
    service: &Service,
    rec: &'a Arc<ExecRec>,
    st: std::sync::MutexGuard<'a, super::api::Running>,
    dispatcher: &mut Dispatcher,
    req: &crate::engine::TaskRequest,
) -> std::sync::MutexGuard<'a, super::api::Running> {
    let execution_time_left = st
        .exec
        .execution_deadline()
        .map(|d| d.saturating_sub(st.exec.clock()));
    drop(st);
    if let Some(t) = &req.token {
        service.register_token(t, rec);
    }
    // The function runs without the lock: the API and callbacks go on. In real time the
    // execution's own timeout stops a function still running then, as on AWS. (Its run
    // does not move the clock: tasks are answered here one after another, where AWS runs
    // a Parallel's or Map's concurrently, so their times would add up.)
    let limit = match (service.options.time, execution_time_left) {
        // Past what a Duration holds (a tiny --time-scale): no cap.
        (TimeMode::Real { scale }, Some(ms)) => real_time(ms, scale).map(|d| (d, scale)),
        _ => None,
    };
    let started = Instant::now();
    let answer = dispatcher.dispatch_within(req, limit.map(|(d, _)| d));
    let mut st = rec.lock();
    if let Some((cap, scale)) = limit
        && let Some(deadline) = st.exec.execution_deadline()
    {
        let ran = started.elapsed();
        let passed = virtual_ms(ran, scale);
        let mut until = st.exec.clock().saturating_add(passed);
        if ran >= cap {
            // Stopped by the cap: the deadline has come, whatever the rounding says.
            until = until.max(deadline);
        }
        if until >= deadline {
            // The execution timed out while its function ran: the answer comes too late.
            advance_to(&mut st, until);
            return st;
        }
    }
    match answer {
        Dispatch::Handled { outcome, .. } => {
            st.exec.resolve_task(req.id, outcome);
        }
        Dispatch::CallbackPending { .. } => st.exec.task_started(req.id),
        // A callback task nobody answers: its message was "sent", its token waits for
        // SendTaskSuccess/Failure.
        Dispatch::Unhandled(_) if req.token.is_some() => st.exec.task_started(req.id),
        Dispatch::Unhandled(why) => {
            st.exec.resolve_task(
                req.id,
                TaskOutcome::Failure(Failure::new(
                    "States.TaskFailed",
                    format!(
                        "stepdbg serve: {why} (run the server with --mock-config and start the execution as STATE_MACHINE_ARN#TestCase, or give --lambda-endpoint)"
                    ),
                )),
            );
        }
    }
    st
}

/// How long `virtual_ms` of the execution's clock (none when negative) take in real time
/// at `scale`; None past what a Duration holds.
fn real_time(virtual_ms: i64, scale: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(virtual_ms.max(0) as f64 / scale / 1000.0).ok()
}

/// How many ms of the execution's clock `real` is at `scale` (the inverse of [`real_time`]).
fn virtual_ms(real: Duration, scale: f64) -> i64 {
    (real.as_secs_f64() * 1000.0 * scale) as i64
}

/// Move the execution's clock to `until`, noting the tokens whose tasks timed out on the
/// way (a later SendTask* for them answers TaskTimedOut).
fn advance_to(st: &mut super::api::Running, until: i64) {
    for (_, token) in st.exec.advance_to_ending_tokens(until) {
        if !st.timed_out.contains(&token) {
            st.timed_out.push(token);
        }
    }
}

/// Wait up to `wait` without the lock, or less when a callback or a stop wakes us.
fn sleep<'a>(
    rec: &'a ExecRec,
    st: std::sync::MutexGuard<'a, super::api::Running>,
    wait: Duration,
) -> std::sync::MutexGuard<'a, super::api::Running> {
    if wait.is_zero() {
        return st;
    }
    match rec.wake.wait_timeout(st, wait) {
        Ok((g, _)) => g,
        Err(e) => e.into_inner().0,
    }
}
