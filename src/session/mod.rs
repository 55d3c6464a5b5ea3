//! The debugger session: breakpoints, stepping, pending tasks, step back, reload and
//! replay, all over one deterministic [`Execution`].
//!
//! Everything the session does to the engine is written to a journal (steps, task results,
//! clock moves, edited inputs). Because the engine is deterministic, replaying the journal
//! on a fresh execution rebuilds any earlier point exactly: step back replays all but the
//! last step; a reload replays the journal against the new definition up to where it was
//! or to the first divergence.

pub mod bounded;
pub mod breakpoints;
pub mod callback;
pub mod index;
pub mod launch;
pub mod nested;
pub mod record;
pub mod replay;
pub mod watch;

use crate::asl::{self, Definition, Diagnostic, LoadError};
use crate::engine::{Config, Execution, Failure, Status, Step, TaskId, TaskOutcome, TaskRequest};
use crate::integrations::children::{Child, ChildStart};
use crate::integrations::dispatch::{HandAnswer, HandShape, Invocation, hand_outcome};
use crate::json::Value;
use crate::project::{ProjectError, Target};
use breakpoints::{BreakKind, Breakpoints};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{Notify, oneshot};

/// An answer being worked out elsewhere (a function running); see
/// [`Resolver::resolve_in_background`].
pub type BackgroundAnswer = Pin<Box<dyn Future<Output = Resolution> + Send>>;

/// How a task gets its result without a person.
pub trait Resolver {
    fn resolve(&mut self, req: &TaskRequest) -> Resolution;
    /// Forget call counts (a restart replays from the first invocation).
    fn reset(&mut self) {}
    /// During replay `req` gets its recorded answer: advance call counts as if answered.
    fn replayed(&mut self, _req: &TaskRequest) {}
    /// The answer to `req` as a future, when working it out takes time (a function
    /// backend); the session runs it on the shell's runtime. None: answer it with
    /// [`Resolver::resolve`] now.
    fn resolve_in_background(&mut self, _req: &TaskRequest) -> Option<BackgroundAnswer> {
        None
    }
    /// The local state machine `req` starts, when it starts one (the debugger can step
    /// into it).
    fn child(&self, _req: &TaskRequest) -> Option<Child> {
        None
    }
    /// The state machines tasks may start here.
    fn children(&self) -> Vec<Child> {
        Vec::new()
    }
    /// A resolver for a child execution's tasks; None when children nest too deep.
    fn for_child(&self) -> Option<Box<dyn Resolver>> {
        None
    }
    /// The dispatcher inside, given back (an execution lent by `stepdbg serve` returns
    /// with it).
    fn into_dispatcher(self: Box<Self>) -> Option<crate::integrations::dispatch::Dispatcher> {
        None
    }
}

/// A boxed resolver is one (a wrapper can hold any).
impl Resolver for Box<dyn Resolver> {
    fn resolve(&mut self, req: &TaskRequest) -> Resolution {
        (**self).resolve(req)
    }
    fn reset(&mut self) {
        (**self).reset();
    }
    fn replayed(&mut self, req: &TaskRequest) {
        (**self).replayed(req);
    }
    fn resolve_in_background(&mut self, req: &TaskRequest) -> Option<BackgroundAnswer> {
        (**self).resolve_in_background(req)
    }
    fn child(&self, req: &TaskRequest) -> Option<Child> {
        (**self).child(req)
    }
    fn children(&self) -> Vec<Child> {
        (**self).children()
    }
    fn for_child(&self) -> Option<Box<dyn Resolver>> {
        (**self).for_child()
    }
    fn into_dispatcher(self: Box<Self>) -> Option<crate::integrations::dispatch::Dispatcher> {
        (*self).into_dispatcher()
    }
}

/// What a resolver did with a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// The task has its result.
    Done {
        outcome: TaskOutcome,
        /// What answered (request, response, log), for inspection.
        detail: Option<Box<Invocation>>,
    },
    /// The function behind a `.waitForTaskToken` task returned; the token is now awaited.
    CallbackPending {
        detail: Option<Box<Invocation>>,
        /// What a mock would answer for the token: offered to the person who completes it.
        suggested: Option<TaskOutcome>,
    },
    /// Nobody is configured: a person completes it.
    Manual,
    /// What the task got in a recorded execution (replay): its function returned first
    /// when `submitted` (a callback task), then the result came, or, when `outcome` is
    /// None, nothing did and the task timed out.
    Recorded {
        submitted: bool,
        outcome: Option<TaskOutcome>,
        detail: Option<Box<Invocation>>,
    },
}

/// A resolver that leaves every task to a person.
pub struct ManualResolver;

impl Resolver for ManualResolver {
    fn resolve(&mut self, _req: &TaskRequest) -> Resolution {
        Resolution::Manual
    }
}

/// A task being answered in the background.
struct InFlight {
    req: TaskRequest,
    rx: oneshot::Receiver<Resolution>,
    task: tokio::task::JoinHandle<()>,
    /// What it calls (a function's name, else the resource), and since when.
    target: String,
    since: std::time::Instant,
}

/// What a step back undid.
#[derive(Debug, Clone, PartialEq)]
pub struct StepBack {
    /// Answers a person gave that were taken back: the task, its state, what was sent.
    pub withdrawn: Vec<(TaskId, String, HandAnswer)>,
}

/// A task being answered on another thread (a function running), as the status shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub task: TaskId,
    pub thread: usize,
    pub state: String,
    pub target: String,
    pub elapsed: std::time::Duration,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How a person moved the virtual clock, as the journal keeps it: the intent, so a replay
/// against a changed definition moves its clock by its own timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    /// By this many milliseconds, stopping at the first timer on the way.
    By(i64),
    /// To the next timer (a Wait's end, a back-off's end, a task's deadline).
    NextTimer,
    /// To this time (ms since the epoch), stopping at the first timer on the way (session
    /// files saved before `By` and `NextTimer`).
    To(i64),
}

/// One thing done to the engine, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum JournalEntry {
    Step,
    /// A task's result; `by_person` when typed in or sent to the callback endpoint rather
    /// than produced by the resolver.
    Resolve {
        task: TaskId,
        state: String,
        outcome: TaskOutcome,
        by_person: bool,
    },
    TaskStarted {
        task: TaskId,
    },
    Heartbeat {
        task: TaskId,
    },
    /// The engine slept to its next wake-up (a Wait, a back-off): time passing by itself.
    /// Replays recompute when that is, so a changed definition gets its own times.
    Sleep,
    /// A person moved the clock (`:advance`, `t`).
    Advance(Advance),
    SetInput {
        thread: usize,
        input: Value,
    },
    SetVariable {
        thread: usize,
        name: String,
        value: Value,
    },
}

/// Why execution stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    /// One step was asked for and done.
    Stepped,
    Breakpoint {
        state: String,
        thread: usize,
        hit: u64,
    },
    /// A failure, caught error or retry (when those breaks are on).
    Event {
        kind: BreakKind,
        state: String,
        detail: String,
    },
    /// A task waits for a person (token or manual result).
    Pending {
        task: TaskId,
        state: String,
    },
    /// Nothing can run until a pending task is completed.
    Blocked,
    Finished,
    /// A reload replay stopped where the new definition behaves differently.
    Diverged {
        at_step: usize,
        reason: String,
    },
    /// A step limit (runaway loop guard for `continue`).
    StepLimit,
    /// A task starts a local state machine's execution (`step_into_children`): the
    /// debugger opens it ([`nested::Nesting::enter`]).
    Child {
        task: TaskId,
        state: String,
        /// The child state machine's name.
        name: String,
    },
}

/// Options to open a session.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    pub input: Option<Value>,
    pub config: Config,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq)]
pub enum ReloadOutcome {
    /// The file did not change.
    Unchanged,
    /// The new text is invalid; the last good definition stays.
    Invalid { diagnostics: Vec<String> },
    /// Swapped in and replayed; `stop` says where replay ended.
    Reloaded {
        removed_breakpoints: Vec<String>,
        replayed_steps: usize,
        stop: Option<StopReason>,
        /// Function calls made again because their handler code changed.
        rerun_calls: usize,
    },
    /// The file cannot be read.
    Unreadable(String),
}

pub struct Session {
    /// The file the person named (a definition or a template).
    pub path: PathBuf,
    /// What it stands for, loaded again at every reload.
    pub target: Target,
    /// The handler code's contents when last loaded (a change re-runs the calls).
    code_hash: u64,
    /// The last good definition.
    pub definition: Definition,
    /// Diagnostics of the file as it is on disk now (may be an invalid save).
    pub live_diagnostics: Vec<Diagnostic>,
    pub live_error: Option<String>,
    content_hash: u64,
    pub input: Value,
    config: Config,
    exec: Execution,
    journal: Vec<JournalEntry>,
    pub breakpoints: Breakpoints,
    resolver: Box<dyn Resolver>,
    /// What answered each task (request, response, log), for inspection.
    pub invocations: Vec<Invocation>,
    /// Answers offered for callback tasks a person completes (a mock's), by task id.
    suggestions: HashMap<TaskId, TaskOutcome>,
    /// Tasks left to a person (manual results or callback tokens).
    manual: Vec<TaskId>,
    callback_waiting: Vec<TaskId>,
    /// What a person sent for each task (with its state), kept across step back and replays.
    hand_answers: HashMap<TaskId, (String, HandAnswer)>,
    /// Tokens of tasks that timed out (SendTask* on them gets TaskTimedOut).
    timed_out_tokens: Vec<String>,
    /// Answer slow tasks on other threads (the debugger sets this so its UI never waits
    /// for a function); see [`Session::poll_background`].
    pub background: bool,
    in_flight: Vec<InFlight>,
    /// Notified whenever an answer from the background arrives (the TUI's loop waits on it).
    wake: Arc<Notify>,
    pub max_steps_per_continue: usize,
    /// Log points' messages not yet shown.
    logged: Vec<String>,
    /// Stopped by a rule's or handler's breakpoint, before the breakpoints on the next
    /// state's entry were looked at: the next run looks at them first.
    entry_unchecked: bool,
    /// Tasks that start a local state machine, answered by stepping through its execution
    /// (the debugger sets this; otherwise the resolver runs the child whole).
    pub step_into_children: bool,
    /// Tasks waiting for a child execution to be opened.
    child_waiting: Vec<TaskId>,
    /// An execution taken over where it was ([`Session::attached`]): restarts and replays
    /// start from it rather than from the beginning.
    base: Option<Box<Execution>>,
}

/// What a reload compares: the definition's text and what it resolved to (a template's
/// substitutions can change it while its file stays the same).
fn definition_hash(def: &Definition) -> u64 {
    let mut bytes = def.doc.source.text.as_bytes().to_vec();
    bytes.extend(crate::expr::compact(def.doc.value()).as_bytes());
    hash_bytes(&bytes)
}

/// The contents of the handler files (a missing one counts as empty).
fn code_hash(files: &[PathBuf]) -> u64 {
    let mut bytes = Vec::new();
    for f in files {
        bytes.extend(f.display().to_string().as_bytes());
        bytes.extend(std::fs::read(f).unwrap_or_default());
    }
    hash_bytes(&bytes)
}

fn hash_bytes(b: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

impl Session {
    /// Open `path` (it must load and validate without errors).
    pub fn open(
        path: &Path,
        opts: SessionOptions,
        resolver: Box<dyn Resolver>,
    ) -> Result<Session, SessionError> {
        let def = asl::load(path)?;
        if def.has_errors() {
            return Err(SessionError::Invalid(Box::new(def)));
        }
        Ok(Session::from_definition(path, def, opts, resolver))
    }

    pub fn from_definition(
        path: &Path,
        def: Definition,
        opts: SessionOptions,
        resolver: Box<dyn Resolver>,
    ) -> Session {
        Session::from_target(Target::file(path), def, opts, resolver)
    }

    /// A session on `target`, whose definition (already loaded) is `def`.
    pub fn from_target(
        target: Target,
        def: Definition,
        opts: SessionOptions,
        resolver: Box<dyn Resolver>,
    ) -> Session {
        let input = opts.input.unwrap_or_else(|| crate::json!({}));
        let exec = Execution::new(
            Arc::new(def.machine.clone()),
            input.clone(),
            opts.config.clone(),
        );
        Session {
            path: target.path().to_path_buf(),
            code_hash: target.open().map_or(0, |o| code_hash(&o.code)),
            target,
            content_hash: definition_hash(&def),
            live_diagnostics: def.diagnostics.clone(),
            live_error: None,
            definition: def,
            input,
            config: opts.config,
            exec,
            journal: Vec::new(),
            breakpoints: Breakpoints::default(),
            resolver,
            invocations: Vec::new(),
            suggestions: HashMap::new(),
            manual: Vec::new(),
            callback_waiting: Vec::new(),
            hand_answers: HashMap::new(),
            timed_out_tokens: Vec::new(),
            background: false,
            in_flight: Vec::new(),
            wake: Arc::new(Notify::new()),
            max_steps_per_continue: 1_000_000,
            logged: Vec::new(),
            entry_unchecked: false,
            step_into_children: false,
            child_waiting: Vec::new(),
            base: None,
        }
    }

    /// A session on `exec`, an execution already under way elsewhere (`stepdbg serve`'s),
    /// taken over where it is: stepping goes on from there, and stepping back or
    /// restarting goes back no further than that point.
    pub fn attached(
        target: Target,
        def: Definition,
        exec: Execution,
        resolver: Box<dyn Resolver>,
    ) -> Session {
        let opts = SessionOptions {
            input: Some(exec.input().clone()),
            config: exec.config().clone(),
        };
        let mut s = Session::from_target(target, def, opts, resolver);
        s.base = Some(Box::new(exec));
        s.reset_execution();
        s
    }

    /// The execution and what answers its tasks, given back (to `stepdbg serve`).
    pub fn into_parts(mut self) -> (Execution, Box<dyn Resolver>) {
        let exec = std::mem::replace(
            &mut self.exec,
            Execution::new(
                Arc::new(self.definition.machine.clone()),
                Value::Null,
                Config::default(),
            ),
        );
        let resolver = std::mem::replace(&mut self.resolver, Box::new(ManualResolver));
        (exec, resolver)
    }

    pub fn execution(&self) -> &Execution {
        &self.exec
    }

    pub fn status(&self) -> &Status {
        self.exec.status()
    }

    pub fn journal(&self) -> &[JournalEntry] {
        &self.journal
    }

    /// Steps taken so far (what step back counts).
    pub fn step_count(&self) -> usize {
        self.journal
            .iter()
            .filter(|e| matches!(e, JournalEntry::Step))
            .count()
    }

    /// Tasks waiting for a person: manual results and callback tokens.
    pub fn pending(&self) -> Vec<&TaskRequest> {
        self.exec
            .pending_tasks()
            .filter(|t| self.manual.contains(&t.id) || self.callback_waiting.contains(&t.id))
            .collect()
    }

    /// The completion a mock suggests for a held callback task (see
    /// [`launch::HoldCallbackTokens`]).
    pub fn suggested_outcome(&self, id: TaskId) -> Option<TaskOutcome> {
        self.suggestions.get(&id).cloned()
    }

    /// Does this pending task wait for a token (rather than a manual function result)?
    pub fn is_callback(&self, id: TaskId) -> bool {
        self.callback_waiting.contains(&id)
    }

    /// Does this pending task wait for SendTaskSuccess/Failure with a task token (so a
    /// heartbeat can reach it), rather than for what its function returns?
    pub fn waits_for_token(&self, t: &TaskRequest) -> bool {
        t.token.is_some() || self.is_callback(t.id)
    }

    fn apply(&mut self, e: JournalEntry) -> Option<Step> {
        let r = match &e {
            JournalEntry::Step => Some(self.exec.step()),
            JournalEntry::Resolve { task, outcome, .. } => {
                self.exec.resolve_task(*task, outcome.clone());
                None
            }
            JournalEntry::TaskStarted { task } => {
                self.exec.task_started(*task);
                None
            }
            JournalEntry::Heartbeat { task } => {
                self.exec.heartbeat(*task);
                None
            }
            JournalEntry::Sleep => {
                if let Some(until) = self.exec.sleeping_until() {
                    self.move_clock(until);
                }
                None
            }
            JournalEntry::Advance(how) => {
                if let Some(until) = self.advance_target(*how) {
                    self.move_clock(until);
                }
                None
            }
            JournalEntry::SetInput { thread, input } => {
                self.exec.set_pending_input(*thread, input.clone());
                None
            }
            JournalEntry::SetVariable {
                thread,
                name,
                value,
            } => {
                self.exec.set_variable(*thread, name, value.clone());
                None
            }
        };
        // A step that found nothing to do changed nothing: it is not worth recording (a
        // debugger waiting for a function would otherwise fill the journal).
        if !matches!(
            r,
            Some(Step::Blocked | Step::Sleeping { .. } | Step::Finished)
        ) {
            self.journal.push(e);
        }
        r
    }

    /// One engine step, with tasks handed to the resolver and time passing instantly.
    /// Returns why it would stop, if it should.
    fn engine_step(&mut self) -> Option<StopReason> {
        if let Some(stop) = self.child_ahead() {
            return Some(stop);
        }
        self.entry_unchecked = false;
        let before_steps = self.exec.steps().len();
        let before_retries = self.exec.retries();
        let step = self.apply(JournalEntry::Step)?;
        let stepped_thread = match &step {
            Step::Progressed { thread } => Some(*thread),
            _ => None,
        };
        let stop = match step {
            Step::Progressed { .. } => None,
            Step::Task(req) => self.dispatch(*req),
            Step::Sleeping { .. } => {
                self.apply(JournalEntry::Sleep);
                None
            }
            Step::Blocked => Some(StopReason::Blocked),
            Step::Finished => Some(StopReason::Finished),
        };
        if stop.is_some() {
            return stop;
        }
        if self.exec.status().is_done() {
            return Some(StopReason::Finished);
        }
        if let Some(stop) = self.inner_breakpoint(before_steps, before_retries, stepped_thread) {
            return Some(stop);
        }
        // A retry as it happens: the attempt failed, the back-off has not passed.
        if self.exec.retries() > before_retries
            && self.breakpoints.breaks_on(BreakKind::Retry)
            && let Some(thread) = stepped_thread
            && let Some(rec) = self.exec.open_record(thread)
            && let Some(attempt) = rec.attempts.last()
        {
            return Some(StopReason::Event {
                kind: BreakKind::Retry,
                state: rec.state.to_string(),
                detail: self.explain_retry(&rec.state_pointer, attempt),
            });
        }
        // Failures and caught errors: the records the step closed.
        let new: Vec<_> = self.exec.steps()[before_steps..].to_vec();
        for rec in new {
            let Some(f) = &rec.error else {
                continue;
            };
            let kind = if rec.caught_by.is_some() {
                BreakKind::CaughtError
            } else {
                BreakKind::Failure
            };
            if self.breakpoints.breaks_on(kind) {
                let error = format!(
                    "{}: {}",
                    f.error_name(),
                    f.cause.clone().unwrap_or_default()
                );
                let detail = match rec.caught_by {
                    Some(c) => format!("{}; {error}", self.explain_catch(&rec.state_pointer, c)),
                    None => error,
                };
                return Some(StopReason::Event {
                    kind,
                    state: rec.state.to_string(),
                    detail,
                });
            }
        }
        None
    }

    /// The state at a JSON Pointer of the definition.
    pub fn state_at(&self, pointer: &str) -> Option<&crate::asl::model::State> {
        let mut found = None;
        self.definition.machine.walk(&mut |s| {
            if *s.pointer == *pointer {
                found = Some(s);
            }
        });
        found
    }

    /// `retrier #0 (ErrorEquals States.TaskFailed) matched States.TaskFailed: attempt 1
    /// failed; attempt 2 of 4 in 4s`.
    pub fn explain_retry(&self, pointer: &str, a: &crate::engine::Attempt) -> String {
        let equals = self
            .state_at(pointer)
            .and_then(|s| s.retry.get(a.retrier))
            .map_or(String::new(), |r| r.error_equals.join(", "));
        format!(
            "retrier #{} (ErrorEquals {equals}) matched {}: attempt {} failed; attempt {} of {} in {}",
            a.retrier,
            a.error.error_name(),
            a.number,
            a.number + 1,
            a.max_attempts + 1,
            crate::engine::time::format_duration(a.delay_ms)
        )
    }

    /// `caught by Catch #0 (ErrorEquals States.ALL) → 'Notify', ResultPath $.error`.
    pub fn explain_catch(&self, pointer: &str, index: usize) -> String {
        let Some(c) = self.state_at(pointer).and_then(|s| s.catch.get(index)) else {
            return format!("caught by Catch #{index}");
        };
        let writes = match &c.result_path {
            None => "ResultPath $ (the error output replaces the input)".to_string(),
            Some(None) => "ResultPath null (the input goes on)".to_string(),
            Some(Some(p)) => format!("ResultPath {}", p.text()),
        };
        let writes = if c.output.is_some() {
            "its Output".to_string()
        } else {
            writes
        };
        format!(
            "caught by Catch #{index} (ErrorEquals {}) → '{}', {writes}",
            c.error_equals.join(", "),
            c.next.name
        )
    }

    fn dispatch(&mut self, req: TaskRequest) -> Option<StopReason> {
        if self.step_into_children
            && let Some(child) = self.resolver.child(&req)
        {
            self.child_waiting.push(req.id);
            return Some(StopReason::Child {
                task: req.id,
                state: req.state,
                name: child.name,
            });
        }
        if self.background
            && let Some(answer) = self.resolver.resolve_in_background(&req)
        {
            let (tx, rx) = oneshot::channel();
            let wake = self.wake.clone();
            let task = crate::shell::runtime::runtime().spawn(async move {
                let _ = tx.send(answer.await);
                wake.notify_one();
            });
            let target = crate::integrations::lambda::called_function(
                &req,
                &crate::integrations::lambda::AwsScope::of(&self.config),
            )
            .unwrap_or_else(|| req.resource.clone());
            self.in_flight.push(InFlight {
                req,
                rx,
                task,
                target,
                since: std::time::Instant::now(),
            });
            return None;
        }
        let resolution = self.resolver.resolve(&req);
        self.take_resolution(req, resolution)
    }

    /// A child execution waits to be opened: nothing else runs first.
    fn child_ahead(&self) -> Option<StopReason> {
        let task = *self.child_waiting.first()?;
        let req = self.exec.task(task)?;
        Some(StopReason::Child {
            task,
            state: req.state.clone(),
            name: self.resolver.child(req)?.name,
        })
    }

    /// The child execution `task` starts, ready to step through (its breakpoint kinds and
    /// way of answering are this session's); the task waits for
    /// [`Session::close_child`].
    pub fn open_child(
        &mut self,
        task: TaskId,
    ) -> Result<(Session, ChildStart, Child), SessionError> {
        let req = self
            .exec
            .task(task)
            .cloned()
            .ok_or(SessionError::NoTask(task))?;
        let child = self
            .resolver
            .child(&req)
            .ok_or(SessionError::NoTask(task))?;
        let Some(resolver) = self.resolver.for_child() else {
            self.child_waiting.retain(|t| *t != task);
            self.apply(JournalEntry::Resolve {
                task,
                state: req.state,
                outcome: crate::integrations::children::too_deep(),
                by_person: false,
            });
            return Err(SessionError::Input(
                "child executions nest too deep: the task failed with States.Runtime".into(),
            ));
        };
        let start = ChildStart::of(&req, &child, &self.config);
        // A child that cannot be opened now (its file broke since) is left to a person.
        let opened = match child.target.open() {
            Ok(o) if !o.definition.has_errors() => o,
            Ok(o) => {
                self.leave_child_to_person(task);
                return Err(SessionError::Invalid(Box::new(o.definition)));
            }
            Err(e) => {
                self.leave_child_to_person(task);
                return Err(SessionError::Input(format!(
                    "cannot open the state machine {}: {e}",
                    child.name
                )));
            }
        };
        let mut session = Session::from_target(
            child.target.clone(),
            opened.definition,
            SessionOptions {
                input: Some(start.input.clone()),
                config: start.config.clone(),
            },
            resolver,
        );
        session.step_into_children = true;
        session.background = self.background;
        session.max_steps_per_continue = self.max_steps_per_continue;
        session.breakpoints.copy_kinds(&self.breakpoints);
        self.child_waiting.retain(|t| *t != task);
        Ok((session, start, child))
    }

    /// `child`, the execution `task` started, stopped for good (or was given up): the
    /// task gets what AWS answers for the call.
    pub fn close_child(&mut self, task: TaskId, start: &ChildStart, child: &Session) {
        let Some(req) = self.exec.task(task).cloned() else {
            return;
        };
        let outcome = start.outcome(child.execution(), child.pending().first().copied());
        let mut invocation = Invocation::of(
            &req,
            &format!("child execution {}", start.config.execution_name),
        );
        invocation.response = Some(match &outcome {
            TaskOutcome::Success(v) => v.clone(),
            TaskOutcome::Failure(f) => crate::json!({"Error": f.error, "Cause": f.cause}),
        });
        self.invocations.push(invocation);
        self.apply(JournalEntry::Resolve {
            task,
            state: req.state,
            outcome,
            by_person: false,
        });
    }

    fn leave_child_to_person(&mut self, task: TaskId) {
        self.child_waiting.retain(|t| *t != task);
        self.manual.push(task);
    }

    /// The child execution of `task` was left before its end: it waits to be opened again.
    pub(crate) fn reopen_child(&mut self, task: TaskId) {
        if self.exec.task(task).is_some() && !self.child_waiting.contains(&task) {
            self.child_waiting.insert(0, task);
        }
    }

    /// The files whose saves matter: the definition (or the template and what it names)
    /// and the definitions of the state machines its tasks may start.
    pub fn watched_files(&self) -> Vec<PathBuf> {
        let mut files = self.target.watched();
        for c in self.children() {
            let p = c.target.path().to_path_buf();
            if !files.contains(&p) {
                files.push(p);
            }
        }
        files
    }

    /// The state machines tasks of this one may start.
    pub fn children(&self) -> Vec<Child> {
        self.resolver.children()
    }

    /// A task now waits for a person: stop there when that break is on.
    fn pending_stop(&self, req: TaskRequest) -> Option<StopReason> {
        self.breakpoints
            .breaks_on(BreakKind::Pending)
            .then_some(StopReason::Pending {
                task: req.id,
                state: req.state,
            })
    }

    /// Tasks being answered on other threads.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The calls running on other threads, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.in_flight
            .iter()
            .map(|f| Call {
                task: f.req.id,
                thread: f.req.thread,
                state: f.req.state.clone(),
                target: f.target.clone(),
                elapsed: f.since.elapsed(),
            })
            .collect()
    }

    /// Notified when an answer from the background arrives: then call
    /// [`Session::poll_background`].
    pub fn wakeup(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Apply the answers that arrived from the background; true when any did. A backend
    /// task that died becomes a person's task.
    pub fn poll_background(&mut self) -> bool {
        let mut arrived = Vec::new();
        self.in_flight.retain_mut(|f| match f.rx.try_recv() {
            Ok(r) => {
                arrived.push((f.req.clone(), r));
                false
            }
            Err(oneshot::error::TryRecvError::Empty) => true,
            Err(oneshot::error::TryRecvError::Closed) => {
                arrived.push((f.req.clone(), Resolution::Manual));
                false
            }
        });
        let any = !arrived.is_empty();
        for (req, r) in arrived {
            if self.exec.task(req.id).is_some() {
                self.take_resolution(req, r);
            }
        }
        any
    }

    fn take_resolution(&mut self, req: TaskRequest, resolution: Resolution) -> Option<StopReason> {
        match resolution {
            Resolution::Done { outcome, detail } => {
                if let Some(d) = detail {
                    self.invocations.push(*d);
                }
                self.apply(JournalEntry::Resolve {
                    task: req.id,
                    state: req.state.clone(),
                    outcome,
                    by_person: false,
                });
                None
            }
            Resolution::CallbackPending { detail, suggested } => {
                if let Some(d) = detail {
                    self.invocations.push(*d);
                }
                if let Some(s) = suggested {
                    self.suggestions.insert(req.id, s);
                }
                self.apply(JournalEntry::TaskStarted { task: req.id });
                self.callback_waiting.push(req.id);
                self.pending_stop(req)
            }
            Resolution::Manual => {
                self.manual.push(req.id);
                self.pending_stop(req)
            }
            Resolution::Recorded {
                submitted,
                outcome,
                detail,
            } => {
                if let Some(d) = detail {
                    self.invocations.push(*d);
                }
                if submitted {
                    self.apply(JournalEntry::TaskStarted { task: req.id });
                }
                match outcome {
                    Some(outcome) => {
                        self.apply(JournalEntry::Resolve {
                            task: req.id,
                            state: req.state.clone(),
                            outcome,
                            by_person: false,
                        });
                    }
                    // Its deadline comes, as it came on AWS.
                    None => {
                        let deadline = self
                            .exec
                            .task(req.id)
                            .and_then(super::engine::TaskRequest::deadline);
                        match deadline {
                            Some((at, _)) => {
                                self.apply(JournalEntry::Advance(Advance::To(at)));
                            }
                            None => {
                                self.manual.push(req.id);
                                return self.pending_stop(req);
                            }
                        }
                    }
                }
                None
            }
        }
    }

    /// Move the virtual clock to `until`, remembering the tokens of tasks that time out
    /// on the way (a SendTask* with them then gets TaskTimedOut).
    fn move_clock(&mut self, until: i64) {
        for (id, token) in self.exec.advance_to_ending_tokens(until) {
            self.timed_out_tokens.push(token);
            self.callback_waiting.retain(|t| *t != id);
            self.manual.retain(|t| *t != id);
        }
    }

    /// Where `how` takes the clock now: never past the first timer on the way.
    fn advance_target(&self, how: Advance) -> Option<i64> {
        let now = self.exec.clock();
        let next = self.next_timer().map(|t| t.at_ms.max(now));
        let target = match how {
            Advance::NextTimer => return next,
            Advance::By(ms) => now.saturating_add(ms.max(0)),
            Advance::To(ms) => ms.max(now),
        };
        Some(next.map_or(target, |n| n.min(target)))
    }

    /// The next thing waiting on the virtual clock, if any.
    pub fn next_timer(&self) -> Option<crate::engine::Timer> {
        self.exec.timers().into_iter().next()
    }

    /// Move the virtual clock as a person asked, stopping at the first timer on the way:
    /// it fires as it would on AWS (a Wait ends, a back-off ends, a task times out with
    /// `States.Timeout` or `States.HeartbeatTimeout`). Returns that timer.
    pub fn advance(&mut self, how: Advance) -> Option<crate::engine::Timer> {
        let target = self.advance_target(how)?;
        let fired = self.next_timer().filter(|t| t.at_ms <= target);
        self.apply(JournalEntry::Advance(how));
        fired
    }

    /// Breakpoints on a Choice rule, a Catch or a Retry: did the step just taken reach one?
    fn inner_breakpoint(
        &mut self,
        before_steps: usize,
        before_retries: u64,
        thread: Option<usize>,
    ) -> Option<StopReason> {
        use breakpoints::BreakAt;
        if !self.breakpoints.has_inner() {
            return None;
        }
        let mut reached: Vec<(String, usize, BreakAt, Value)> = Vec::new();
        if self.exec.retries() > before_retries
            && let Some(t) = thread
            && let Some(rec) = self.exec.open_record(t)
            && let Some(attempt) = rec.attempts.last()
        {
            let input = rec
                .stage(crate::engine::Stage::Input)
                .cloned()
                .unwrap_or(Value::Null);
            reached.push((
                rec.state.to_string(),
                t,
                BreakAt::Retry(attempt.retrier),
                input,
            ));
        }
        for rec in &self.exec.steps()[before_steps..] {
            let input = rec
                .stage(crate::engine::Stage::Input)
                .cloned()
                .unwrap_or(Value::Null);
            if let Some(c) = rec.caught_by {
                reached.push((
                    rec.state.to_string(),
                    rec.thread,
                    BreakAt::Catch(c),
                    input.clone(),
                ));
            }
            if let Some(i) = rec.choice.as_ref().and_then(|c| c.matched) {
                reached.push((
                    rec.state.to_string(),
                    rec.thread,
                    BreakAt::ChoiceRule(i),
                    input,
                ));
            }
        }
        for (state, thread, at, input) in reached {
            let vars = self.exec.variables(thread);
            let hit = self.breakpoints.hit_at(&state, at, &input, &vars);
            for message in hit.logs {
                let text = self.interpolate(thread, &message);
                self.logged.push(format!("{state}{}: {text}", at.suffix()));
            }
            if let Some(hit) = hit.stop {
                // The next state's own breakpoints have not been looked at yet.
                self.entry_unchecked = true;
                return Some(StopReason::Breakpoint { state, thread, hit });
            }
        }
        None
    }

    /// Check breakpoints before the next runnable thread enters a state.
    fn breakpoint_ahead(&mut self) -> Option<StopReason> {
        self.entry_unchecked = false;
        let thread = self.exec.next_runnable()?;
        let state = self.exec.next_state_of(thread)?;
        let name = state.name.to_string();
        let input = self
            .exec
            .pending_input(thread)
            .cloned()
            .unwrap_or(Value::Null);
        let vars = self.exec.variables(thread);
        let hit = self.breakpoints.hit(&name, &input, &vars);
        for message in hit.logs {
            let text = self.interpolate(thread, &message);
            self.logged.push(format!("{name}: {text}"));
        }
        Some(StopReason::Breakpoint {
            state: name,
            thread,
            hit: hit.stop?,
        })
    }

    /// A log point's message with each `{EXPR}` replaced by its value where `thread` is
    /// (JSONPath, intrinsics or JSONata, as `:eval` reads them).
    fn interpolate(&self, thread: usize, message: &str) -> String {
        let mut out = String::new();
        let mut rest = message;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            out.push_str(&rest[..open]);
            let expr = &rest[open + 1..open + close];
            let value = match self.exec.evaluate(thread, expr) {
                Ok(Value::String(s)) => s.into_string(),
                Ok(v) => crate::expr::compact(&v),
                Err(e) => format!("<{}: {}>", e.error, e.cause),
            };
            out.push_str(&value);
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Messages of log points hit since last taken, oldest first.
    pub fn take_logged(&mut self) -> Vec<String> {
        std::mem::take(&mut self.logged)
    }

    /// Step into: exactly one engine transition (entering a Map/Parallel's first child state next).
    pub fn step(&mut self) -> StopReason {
        if self.exec.status().is_done() {
            return StopReason::Finished;
        }
        self.engine_step().unwrap_or(StopReason::Stepped)
    }

    /// Run until a breakpoint, a pending task, a break event or the end.
    pub fn continue_(&mut self) -> StopReason {
        self.run_goal(bounded::RunGoal::Continue)
    }

    /// Run until the thread that runs next has finished its current state (children of a
    /// Map/Parallel run whole), or something else stops us.
    pub fn step_over(&mut self) -> StopReason {
        self.run_goal(bounded::RunGoal::StepOver)
    }

    /// Run until the Map or Parallel that the current thread (a branch or an iteration)
    /// belongs to has finished.
    pub fn step_out(&mut self) -> StopReason {
        self.run_goal(bounded::RunGoal::StepOut)
    }

    /// Run until a state named `target` is about to be entered.
    pub fn run_to(&mut self, target: &str) -> StopReason {
        self.run_goal(bounded::RunGoal::RunTo(target.to_string()))
    }

    /// A whole run toward `goal`: the one-shot form of [`Session::run_bounded`].
    fn run_goal(&mut self, goal: bounded::RunGoal) -> StopReason {
        let mut run = self.begin_run(goal);
        loop {
            if let Some(stop) = self.run_bounded(&mut run, usize::MAX) {
                return stop;
            }
        }
    }

    /// Complete a pending task by hand: SendTaskSuccess / a manual function result.
    pub fn complete(&mut self, task: TaskId, outcome: TaskOutcome) -> Result<(), SessionError> {
        let Some(req) = self.exec.task(task).cloned() else {
            return Err(SessionError::NoTask(task));
        };
        self.manual.retain(|t| *t != task);
        self.callback_waiting.retain(|t| *t != task);
        self.child_waiting.retain(|t| *t != task);
        let sent = match &outcome {
            TaskOutcome::Success(v) => HandAnswer::Return(v.clone()),
            TaskOutcome::Failure(f) => HandAnswer::Error {
                error: f.error.clone().unwrap_or_default(),
                cause: f.cause.clone().unwrap_or_default(),
            },
        };
        self.hand_answers.insert(task, (req.state.clone(), sent));
        self.apply(JournalEntry::Resolve {
            task,
            state: req.state,
            outcome,
            by_person: true,
        });
        Ok(())
    }

    /// How a person's answer to `task` becomes its result (for the form to say).
    pub fn hand_shape(&self, task: TaskId) -> Option<HandShape> {
        let req = self.exec.task(task)?;
        Some(HandShape::of(req, &self.scope()))
    }

    /// Complete a pending task with what a person typed: for a Lambda task, what the
    /// function returned (or threw), wrapped as Lambda answers; for a token, its output.
    pub fn complete_by_hand(
        &mut self,
        task: TaskId,
        answer: HandAnswer,
    ) -> Result<(), SessionError> {
        let Some(req) = self.exec.task(task).cloned() else {
            return Err(SessionError::NoTask(task));
        };
        let outcome = hand_outcome(&req, answer.clone(), &self.scope(), self.config.seed);
        self.complete(task, outcome)?;
        // What the person typed, not the envelope made of it.
        self.hand_answers.insert(task, (req.state, answer));
        Ok(())
    }

    /// The partition, region and account that complete function names (the execution's).
    fn scope(&self) -> crate::integrations::lambda::AwsScope {
        crate::integrations::lambda::AwsScope::new(&self.config.region, &self.config.account)
    }

    /// A SendTaskSuccess/Failure/Heartbeat for `token` (from the callback endpoint).
    pub fn callback(
        &mut self,
        token: &str,
        action: &callback::CallbackAction,
    ) -> Result<(), callback::CallbackError> {
        use callback::CallbackError;
        if !callback::is_well_formed_token(token) {
            return Err(CallbackError::InvalidToken);
        }
        let Some(id) = self.exec.task_by_token(token).map(|t| t.id) else {
            return Err(if self.timed_out_tokens.iter().any(|t| t == token) {
                CallbackError::TaskTimedOut
            } else {
                CallbackError::TaskDoesNotExist
            });
        };
        match action.outcome() {
            Some(outcome) => self
                .complete(id, outcome)
                .map_err(|_| CallbackError::TaskDoesNotExist),
            None => {
                self.heartbeat(id);
                Ok(())
            }
        }
    }

    /// SendTaskHeartbeat for a pending task that has a token; false when there is no such
    /// task.
    pub fn heartbeat(&mut self, task: TaskId) -> bool {
        match self.exec.task(task) {
            Some(t) if self.waits_for_token(t) => {}
            _ => return false,
        }
        self.apply(JournalEntry::Heartbeat { task });
        true
    }

    /// Edit-and-continue: change the input the next state of `thread` will get.
    pub fn set_input(&mut self, thread: usize, input: Value) -> bool {
        if self.exec.pending_input(thread).is_none() {
            return false;
        }
        self.apply(JournalEntry::SetInput { thread, input });
        true
    }

    /// Edit a workflow variable of `thread` before going on.
    pub fn set_variable(&mut self, thread: usize, name: &str, value: Value) -> bool {
        if self.exec.status().is_done() {
            return false;
        }
        self.apply(JournalEntry::SetVariable {
            thread,
            name: name.to_string(),
            value,
        });
        true
    }

    /// Start over (with a new input if given). Breakpoints stay.
    pub fn restart(&mut self, input: Option<Value>) {
        if let Some(i) = input {
            self.input = i;
        }
        self.reset_execution();
        self.journal.clear();
    }

    fn reset_execution(&mut self) {
        self.exec = match &self.base {
            Some(base) => (**base).clone(),
            None => Execution::new(
                Arc::new(self.definition.machine.clone()),
                self.input.clone(),
                self.config.clone(),
            ),
        };
        self.manual.clear();
        self.callback_waiting.clear();
        self.child_waiting.clear();
        // A taken-over execution's tasks under way: a callback task waits for its token (a
        // person can send it here); any other is left to a person.
        if self.base.is_some() {
            for t in self.exec.pending_tasks() {
                if t.token.is_some() {
                    self.callback_waiting.push(t.id);
                } else {
                    self.manual.push(t.id);
                }
            }
        }
        // Functions still running for the old execution are stopped (their processes end).
        for f in self.in_flight.drain(..) {
            f.task.abort();
        }
        self.invocations.clear();
        self.suggestions.clear();
        // A taken-over execution's answers so far were counted where it ran: its mock call
        // counts go on from there.
        if self.base.is_none() {
            self.resolver.reset();
        }
    }

    /// Replay `entries` on a fresh execution: recorded answers are reused (handlers do not
    /// run again). Stops at the first entry that no longer fits (a result recorded for a
    /// task the new definition does not schedule): that is a divergence.
    fn replay(&mut self, entries: Vec<JournalEntry>) -> Option<StopReason> {
        // Replays are synchronous: answers must land in journal order.
        let background = std::mem::replace(&mut self.background, false);
        // What answered each task stays valid: task ids repeat in a replay.
        let invocations = std::mem::take(&mut self.invocations);
        let suggestions = std::mem::take(&mut self.suggestions);
        let stop = self.replay_entries(entries);
        self.invocations = invocations;
        self.suggestions = suggestions;
        self.background = background;
        stop
    }

    fn replay_entries(&mut self, entries: Vec<JournalEntry>) -> Option<StopReason> {
        self.reset_execution();
        self.journal.clear();
        // Tasks the journal answers itself (their answers may come many steps later, when a
        // function ran on another thread or a person answered).
        let answered: std::collections::HashSet<TaskId> = entries
            .iter()
            .filter_map(|e| match e {
                JournalEntry::Resolve { task, .. } | JournalEntry::TaskStarted { task } => {
                    Some(*task)
                }
                _ => None,
            })
            .collect();
        let mut steps = 0;
        for e in entries {
            let mismatch = match &e {
                JournalEntry::Resolve { task, state, .. } => self
                    .exec
                    .task(*task)
                    .is_none_or(|t| t.state != *state)
                    .then_some(*task),
                JournalEntry::TaskStarted { task } | JournalEntry::Heartbeat { task } => {
                    self.exec.task(*task).is_none().then_some(*task)
                }
                _ => None,
            };
            if let Some(task) = mismatch {
                return Some(StopReason::Diverged {
                    at_step: steps,
                    reason: format!(
                        "task {task} is not pending at this point in the new definition"
                    ),
                });
            }
            match e {
                JournalEntry::Step => {
                    if self.exec.status().is_done() {
                        return Some(StopReason::Diverged {
                            at_step: steps,
                            reason: "the execution ended earlier".into(),
                        });
                    }
                    steps += 1;
                    let Some(Step::Task(req)) = self.apply(JournalEntry::Step) else {
                        continue;
                    };
                    if answered.contains(&req.id) {
                        // Keep mock call counts as they were; the answer is applied when
                        // its entry comes.
                        self.resolver.replayed(&req);
                    } else {
                        // No recorded answer: ask the resolver (a pending task stays pending).
                        self.dispatch(*req);
                    }
                }
                JournalEntry::TaskStarted { task } => {
                    self.callback_waiting.push(task);
                    self.apply(e);
                }
                JournalEntry::Resolve { task, .. } => {
                    self.manual.retain(|t| *t != task);
                    self.callback_waiting.retain(|t| *t != task);
                    self.child_waiting.retain(|t| *t != task);
                    self.apply(e);
                }
                e => {
                    self.apply(e);
                }
            }
        }
        None
    }

    /// Go back one step (by replaying all steps but the last). Answers a person gave
    /// since the last step are taken back first: their tasks wait again, and
    /// [`Session::previous_answer`] has what was sent. None when there is nothing to undo.
    pub fn step_back(&mut self) -> Option<StepBack> {
        let last_step = self
            .journal
            .iter()
            .rposition(|e| matches!(e, JournalEntry::Step));
        let answered_after = |e: &JournalEntry| {
            matches!(
                e,
                JournalEntry::Resolve {
                    by_person: true,
                    ..
                }
            )
        };
        let trailing_answers = self
            .journal
            .iter()
            .rev()
            .take_while(|e| answered_after(e))
            .count();
        let keep = if trailing_answers > 0 {
            self.journal.len() - trailing_answers
        } else {
            last_step?
        };
        let mut entries = self.journal.clone();
        let dropped = entries.split_off(keep);
        let withdrawn = dropped
            .iter()
            .filter_map(|e| match e {
                JournalEntry::Resolve {
                    task,
                    state,
                    by_person: true,
                    ..
                } => Some((
                    *task,
                    state.clone(),
                    self.previous_answer(*task, state)?.clone(),
                )),
                _ => None,
            })
            .collect();
        self.replay(entries);
        Some(StepBack { withdrawn })
    }

    /// Every answer the execution got so far (mock, function, person), with its task id
    /// and state: what `:export mocks` keeps.
    pub fn answers(&self) -> Vec<(TaskId, String, TaskOutcome)> {
        self.journal
            .iter()
            .filter_map(|e| match e {
                JournalEntry::Resolve {
                    task,
                    state,
                    outcome,
                    ..
                } => Some((*task, state.clone(), outcome.clone())),
                _ => None,
            })
            .collect()
    }

    /// Keep every answer so far as test case `case` of the mock file at `path` (merged
    /// into it); returns how many answers were written.
    pub fn export_mocks(&self, path: &Path, case: &str) -> Result<usize, SessionError> {
        let answers = self.answers();
        crate::integrations::mock::MockConfig::record_into(
            path,
            &self.exec.config().state_machine_name,
            case,
            &answers,
        )
        .map_err(|e| SessionError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(answers.len())
    }

    /// What a person last sent for `task` of `state` (to start a new answer from it).
    pub fn previous_answer(&self, task: TaskId, state: &str) -> Option<&HandAnswer> {
        self.hand_answers
            .get(&task)
            .filter(|(s, _)| s == state)
            .map(|(_, a)| a)
    }

    /// Re-read the definition (and the template it comes from). Invalid: keep everything
    /// and report. Valid: swap it in, keep breakpoints (report those whose states
    /// vanished) and replay to where we were.
    pub fn reload(&mut self) -> ReloadOutcome {
        let (def, code) = match self.target.open() {
            Ok(opened) => (opened.definition, code_hash(&opened.code)),
            Err(ProjectError::Load(e @ LoadError::Io { .. })) => {
                self.live_error = Some(e.to_string());
                return ReloadOutcome::Unreadable(e.to_string());
            }
            Err(e) => {
                let h = hash_bytes(e.to_string().as_bytes());
                if h == self.content_hash {
                    return ReloadOutcome::Unchanged;
                }
                self.content_hash = h;
                self.live_error = Some(e.to_string());
                self.live_diagnostics.clear();
                return ReloadOutcome::Invalid {
                    diagnostics: vec![e.to_string()],
                };
            }
        };
        let h = definition_hash(&def);
        let code_changed = code != self.code_hash;
        self.code_hash = code;
        if h == self.content_hash && !code_changed {
            return ReloadOutcome::Unchanged;
        }
        self.content_hash = h;
        self.live_diagnostics = def.diagnostics.clone();
        if def.has_errors() {
            self.live_error = None;
            return ReloadOutcome::Invalid {
                diagnostics: def.errors().map(|d| d.one_line(&def.doc)).collect(),
            };
        }
        self.live_error = None;
        let mut names = Vec::new();
        def.machine.walk(&mut |s| names.push(s.name.to_string()));
        let removed = self
            .breakpoints
            .states()
            .into_iter()
            .filter(|b| !names.contains(b))
            .collect();
        self.definition = def;
        let mut entries = std::mem::take(&mut self.journal);
        // New handler code: what the functions answered is asked again (a person's
        // answers stay; mocks answer as before).
        let mut rerun_calls = 0;
        if code_changed {
            let before = entries.len();
            entries.retain(|e| {
                !matches!(
                    e,
                    JournalEntry::Resolve {
                        by_person: false,
                        ..
                    }
                )
            });
            rerun_calls = before - entries.len();
        }
        let stop = self.replay(entries);
        ReloadOutcome::Reloaded {
            removed_breakpoints: removed,
            replayed_steps: self.step_count(),
            stop,
            rerun_calls,
        }
    }
}

/// What the session (and setting one up) can fail at, with messages a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The definition loads but has errors (the diagnostics say where).
    #[error("{}", invalid_summary(.0))]
    Invalid(Box<Definition>),
    #[error(transparent)]
    Config(#[from] crate::integrations::ConfigError),
    /// `--input`, `--context` or `:input` could not be read or is not what it must be.
    #[error("{0}")]
    Input(String),
    #[error("bad condition: {0}")]
    Condition(#[from] crate::expr::SyntaxError),
    #[error("no pending task {0}")]
    NoTask(TaskId),
    /// A saved session that cannot be read or replayed.
    #[error("{0}")]
    SessionFile(String),
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
}

fn invalid_summary(d: &Definition) -> String {
    let lines: Vec<String> = d.errors().map(|e| e.one_line(&d.doc)).collect();
    lines.join("\n")
}

/// Build a failure outcome from an error name and cause typed by a person.
pub fn failure(error: &str, cause: &str) -> TaskOutcome {
    TaskOutcome::Failure(Failure {
        error: (!error.is_empty()).then(|| error.to_string()),
        cause: (!cause.is_empty()).then(|| cause.to_string()),
    })
}
