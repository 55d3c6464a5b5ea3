//! The interpreter: pure, deterministic and steppable.
//!
//! [`Execution::step`] advances one path of execution ("thread": the top-level machine,
//! a Parallel branch or a Map iteration) by one state transition and reports what it
//! needs: a task result ([`Step::Task`]), time to pass ([`Step::Sleeping`]), or nothing.
//! The caller fulfils tasks with [`Execution::resolve_task`] and moves the virtual clock
//! with [`Execution::advance_to`]. No I/O, threads or wall clock happen here, so an
//! execution can be cloned (step back) and replayed.
//!
//! Scheduling: the runnable thread with the lowest id runs next. Threads are numbered in
//! creation order, and Map iterations and Parallel branches are created in index order,
//! so every run of the same inputs yields the same history.

pub mod choice;
pub mod history;
pub mod test_state;
pub mod time;

mod env;
mod flow;
mod map_setup;
mod ready;

use crate::asl::model::{Machine, State};
use crate::json;
use crate::json::{Map, Value};
pub use history::{EventKind, HistoryEvent};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use env::Vars;

/// AWS's per-payload quota (input, output, result): 256 KiB.
pub const MAX_PAYLOAD_BYTES: usize = 262_144;
/// AWS's history quota for STANDARD workflows.
pub const MAX_HISTORY_EVENTS: usize = 25_000;
/// The EXPRESS workflow duration limit (5 minutes).
pub const EXPRESS_MAX_MS: i64 = 5 * 60 * 1000;

/// Milliseconds in `s` seconds, saturating (the virtual clock is an i64 of milliseconds).
fn secs_ms(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(1000)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkflowType {
    #[default]
    Standard,
    Express,
}

/// How an execution starts: its identity (for the context object), clock and seed.
#[derive(Debug, Clone)]
pub struct Config {
    pub workflow_type: WorkflowType,
    pub seed: u64,
    pub start_time_ms: i64,
    pub region: String,
    pub account: String,
    pub state_machine_name: String,
    pub execution_name: String,
    pub role_arn: String,
    /// Values merged over the generated context object (`--context`).
    pub context_overrides: Option<Value>,
    /// Keep per-step inspection records (the debugger wants them; benches may not).
    pub record_steps: bool,
    /// Mixed into every task token, so tokens cannot be guessed from the seed (the
    /// launcher draws it from the OS; 0 keeps tokens a function of the seed alone, for
    /// tests).
    pub token_secret: u128,
    /// Retries already spent by the first state's retriers (TestState's
    /// `retrierRetryCount`): each retrier of the top-level states starts from this count.
    pub prior_retries: u32,
    /// TestState's mock of a top-level Map or Parallel: its iterations or branches do not
    /// run; this is what they came to.
    pub children_stand_in: Option<Box<ChildrenStandIn>>,
    /// Keep the history events (`stepdbg run` without `--history` needs none: their ids
    /// are counted all the same, so nothing else changes).
    pub keep_history: bool,
}

/// What a mocked Map's iterations or Parallel's branches came to (TestState).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildrenStandIn {
    /// The state's result (a list), or the error it fails with.
    pub outcome: TaskOutcome,
    /// Iterations that failed (`mapIterationFailureCount`), weighed against the Map's
    /// tolerated failures.
    pub failures: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            workflow_type: WorkflowType::Standard,
            seed: 0,
            start_time_ms: 1_704_067_200_000, // 2024-01-01T00:00:00Z
            region: "us-east-1".into(),
            account: "123456789012".into(),
            state_machine_name: "StateMachine".into(),
            execution_name: "local-execution".into(),
            role_arn: "arn:aws:iam::123456789012:role/StepFunctions-local".into(),
            context_overrides: None,
            record_steps: true,
            token_secret: 0,
            prior_retries: 0,
            children_stand_in: None,
            keep_history: true,
        }
    }
}

impl Config {
    pub fn state_machine_arn(&self) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            self.region, self.account, self.state_machine_name
        )
    }

    pub fn execution_arn(&self) -> String {
        let kind = match self.workflow_type {
            WorkflowType::Standard => "execution",
            WorkflowType::Express => "express",
        };
        format!(
            "arn:aws:states:{}:{}:{kind}:{}:{}",
            self.region, self.account, self.state_machine_name, self.execution_name
        )
    }
}

/// Where an execution stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Running,
    Succeeded {
        output: Value,
    },
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    TimedOut {
        error: Option<String>,
        cause: Option<String>,
    },
    /// Stopped from outside (StopExecution).
    Aborted {
        error: Option<String>,
        cause: Option<String>,
    },
}

impl Status {
    pub fn name(&self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded { .. } => "SUCCEEDED",
            Status::Failed { .. } => "FAILED",
            Status::TimedOut { .. } => "TIMED_OUT",
            Status::Aborted { .. } => "ABORTED",
        }
    }

    pub fn is_done(&self) -> bool {
        !matches!(self, Status::Running)
    }

    /// `{"status": ..., "output"|"error"|"cause": ...}` as `stepdbg run` prints it.
    /// [`Status::to_json`] as text, written straight from the status to `out` (a big
    /// output is not copied first).
    pub fn write_json(&self, out: impl std::io::Write) -> std::io::Result<()> {
        #[derive(serde::Serialize)]
        struct View<'a> {
            status: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            output: Option<&'a Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            cause: Option<&'a str>,
        }
        let (output, error, cause) = match self {
            Status::Running => (None, None, None),
            Status::Succeeded { output } => (Some(output), None, None),
            Status::Failed { error, cause }
            | Status::TimedOut { error, cause }
            | Status::Aborted { error, cause } => (None, error.as_deref(), cause.as_deref()),
        };
        let view = View {
            status: self.name(),
            output,
            error,
            cause,
        };
        serde_json::to_writer(out, &view).map_err(std::io::Error::from)
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("status", json!(self.name()));
        match self {
            Status::Running => {}
            Status::Succeeded { output } => {
                m.insert("output", output.clone());
            }
            Status::Failed { error, cause }
            | Status::TimedOut { error, cause }
            | Status::Aborted { error, cause } => {
                if let Some(e) = error {
                    m.insert("error", json!(e));
                }
                if let Some(c) = cause {
                    m.insert("cause", json!(c));
                }
            }
        }
        Value::Object(m)
    }
}

/// An ASL error travelling through Retry/Catch (never a Rust error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: Some(error.into()),
            cause: Some(cause.into()),
        }
    }

    pub fn error_name(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }

    /// `{"Error": ..., "Cause": ...}`, the error output Catch passes on.
    pub fn to_error_output(&self) -> Value {
        let mut m = Map::new();
        if let Some(e) = &self.error {
            m.insert("Error", json!(e));
        }
        if let Some(c) = &self.cause {
            m.insert("Cause", json!(c));
        }
        Value::Object(m)
    }
}

/// How a task ended, as reported by whoever fulfilled it.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    Success(Value),
    Failure(Failure),
}

pub type TaskId = u64;

/// A task the engine needs a result for.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    pub id: TaskId,
    pub thread: usize,
    pub state: String,
    pub state_pointer: String,
    pub resource: String,
    /// The effective input: Parameters/Arguments after evaluation.
    pub input: Value,
    /// For `.waitForTaskToken`: the token placed at `$$.Task.Token`.
    pub token: Option<String>,
    /// 0 for the first try, then 1, 2, ... for retries.
    pub attempt: u32,
    pub scheduled_ms: i64,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
    /// Set when the caller reported that the invoked function returned (callback tasks);
    /// the heartbeat clock starts then.
    pub started_ms: Option<i64>,
    pub last_heartbeat_ms: Option<i64>,
    /// Where in the execution the task runs: the Map iterations and Parallel branches
    /// around it, outermost first (empty at the top level).
    pub scope: Vec<ScopeStep>,
}

/// A version-4-shaped UUID derived from `seed` text (deterministic: the same text, the same
/// id), for ids a run must repeat exactly.
pub fn uuid_from(seed: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(seed.as_bytes());
    uuid_text(&d[..16])
}

/// 16 bytes as a version-4-shaped UUID's text.
pub fn uuid_text(bytes: &[u8]) -> String {
    let h = hex::encode(bytes);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// One level of nesting: iteration or branch `index` of the Map or Parallel state `state`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeStep {
    pub state: String,
    pub index: usize,
}

impl TaskRequest {
    /// A request of `state` (at `pointer`) on `thread`, scheduled at `scheduled_ms`, with
    /// no token, no timeouts and no attempts yet (set the fields that apply).
    pub fn new(
        id: TaskId,
        state: &str,
        pointer: &str,
        resource: &str,
        input: Value,
        scheduled_ms: i64,
    ) -> TaskRequest {
        TaskRequest {
            id,
            thread: 0,
            state: state.to_string(),
            state_pointer: pointer.to_string(),
            resource: resource.to_string(),
            input,
            token: None,
            attempt: 0,
            scheduled_ms,
            timeout_seconds: None,
            heartbeat_seconds: None,
            started_ms: None,
            last_heartbeat_ms: None,
            scope: Vec::new(),
        }
    }

    /// Is this a Map's ItemReader reading its items (not a Task state's call)?
    pub fn is_item_reader(&self) -> bool {
        self.state_pointer.ends_with("/ItemReader")
    }

    /// Is this a Map's ResultWriter writing its iterations' results?
    pub fn is_result_writer(&self) -> bool {
        self.state_pointer.ends_with("/ResultWriter")
    }

    /// When the task times out on the virtual clock, and with which error.
    pub fn deadline(&self) -> Option<(i64, &'static str)> {
        let timeout = self.timeout_seconds.map(|s| {
            (
                self.scheduled_ms.saturating_add(secs_ms(s)),
                "States.Timeout",
            )
        });
        let heartbeat = self.heartbeat_seconds.and_then(|s| {
            let from = self.last_heartbeat_ms.or(self.started_ms)?;
            Some((from.saturating_add(secs_ms(s)), "States.HeartbeatTimeout"))
        });
        match (timeout, heartbeat) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// What one call to [`Execution::step`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A thread made one transition (or part of one) without needing anything.
    Progressed { thread: usize },
    /// A thread scheduled a task and waits for [`Execution::resolve_task`].
    Task(Box<TaskRequest>),
    /// Nothing can run until the virtual clock reaches `until`.
    Sleeping { until: i64 },
    /// Nothing can run: tasks are pending and only their results can unblock.
    Blocked,
    /// The execution has ended; see [`Execution::status`].
    Finished,
}

/// A data-flow stage of one state visit, in TestState's `inspectionData` vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Input,
    /// The variables as the state was entered (for Assign's view of them).
    VariablesBefore,
    AfterInputPath,
    AfterParameters,
    AfterArguments,
    AfterItemsPath,
    AfterItemSelector,
    AfterItemBatcher,
    MaxConcurrency,
    ToleratedFailureCount,
    ToleratedFailurePercentage,
    Result,
    AfterResultSelector,
    AfterResultPath,
    ErrorOutput,
    RetryCount,
    Output,
    Variables,
}

impl Stage {
    /// TestState's name, e.g. `afterResultPath`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Input => "input",
            Stage::VariablesBefore => "variablesBefore",
            Stage::AfterInputPath => "afterInputPath",
            Stage::AfterParameters => "afterParameters",
            Stage::AfterArguments => "afterArguments",
            Stage::AfterItemsPath => "afterItemsPath",
            Stage::AfterItemSelector => "afterItemSelector",
            Stage::AfterItemBatcher => "afterItemBatcher",
            Stage::MaxConcurrency => "maxConcurrency",
            Stage::ToleratedFailureCount => "toleratedFailureCount",
            Stage::ToleratedFailurePercentage => "toleratedFailurePercentage",
            Stage::Result => "result",
            Stage::AfterResultSelector => "afterResultSelector",
            Stage::AfterResultPath => "afterResultPath",
            Stage::ErrorOutput => "errorOutput",
            Stage::RetryCount => "retryCount",
            Stage::Output => "output",
            Stage::Variables => "variables",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stage's value in a [`StepRecord`]: a value of its own, the part of a shared value a
/// reference path selects (the value after InputPath, a part of the input the record holds
/// anyway), or the values a Map's iterations hold; the last two are not copied. Reads as
/// the value (`Deref`).
#[derive(Debug, Clone)]
pub enum StageValue {
    Held(Arc<Value>),
    /// What the reference path selects in the value (which nothing changes while it is
    /// shared); it selected a node of it when the stage was recorded.
    Within(Arc<Value>, crate::expr::jsonpath::JsonPath),
    /// The values threads hold (a Map's iterations' inputs), made into one array only
    /// when it is read: a big Map's record keeps no copy of them all otherwise.
    Elements(Arc<Elements>),
}

/// See [`StageValue::Elements`].
#[derive(Debug)]
pub struct Elements {
    values: Vec<Arc<Value>>,
    array: std::sync::OnceLock<Value>,
}

impl Elements {
    pub fn new(values: &[Arc<Value>]) -> Elements {
        Elements {
            values: values.to_vec(),
            array: std::sync::OnceLock::new(),
        }
    }

    fn array(&self) -> &Value {
        self.array
            .get_or_init(|| Value::Array(self.values.iter().map(|v| Value::clone(v)).collect()))
    }
}

impl StageValue {
    /// The part of `whole` (the value of `$`) that `path` selects, when it is a node of it
    /// (a reference path on `$` that selects something); `None` otherwise.
    pub fn within(
        whole: &Arc<Value>,
        path: &crate::expr::jsonpath::JsonPath,
    ) -> Option<StageValue> {
        use crate::expr::jsonpath::PathRoot;
        let node = *path.root() == PathRoot::Input
            && path.is_reference_path()
            && matches!(path.select_cow(whole), Ok(std::borrow::Cow::Borrowed(_)));
        node.then(|| StageValue::Within(whole.clone(), path.clone()))
    }
}

impl std::ops::Deref for StageValue {
    type Target = Value;

    fn deref(&self) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            StageValue::Held(v) => v,
            StageValue::Within(whole, path) => match path.select_cow(whole) {
                Ok(std::borrow::Cow::Borrowed(v)) => v,
                // The value cannot have changed since `within` found the node.
                _ => &NULL,
            },
            StageValue::Elements(elements) => elements.array(),
        }
    }
}

impl PartialEq for StageValue {
    fn eq(&self, other: &StageValue) -> bool {
        **self == **other
    }
}

/// The data-flow stages of one visit to one state, named as TestState's inspection data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepRecord {
    pub thread: usize,
    pub state: Arc<str>,
    pub state_pointer: Arc<str>,
    pub state_type: &'static str,
    /// History ids this visit produced: [first, last].
    pub first_event: u64,
    pub last_event: u64,
    pub entered_ms: i64,
    /// Shared: a stage that is the state's input or output is the same value the
    /// execution holds, not a copy.
    pub stages: Vec<(Stage, StageValue)>,
    /// The error the visit ended with (also when a Catch caught it). The rare fields are
    /// boxed: a record is kept per step.
    pub error: Option<Box<Failure>>,
    pub next: Option<Arc<str>>,
    /// Failed attempts that a Retry sent round again, in order.
    pub attempts: Vec<Attempt>,
    /// The Catch (index in the state's Catch list) that caught the error.
    pub caught_by: Option<usize>,
    /// For a Choice: how each rule came out and which one chose the next state.
    pub choice: Option<Box<ChoiceTrace>>,
    /// For a Distributed Map: its Map Run as it ended, in DescribeMapRun's shape.
    pub map_run: Option<Box<Value>>,
}

/// Why a Choice went where it went: every rule's value on the state's input (those after
/// the one that matched are evaluated for the debugger only, on a copy of the random
/// generator, so the execution is the same as without them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChoiceTrace {
    /// (rule as written, its value or its error), in order.
    pub rules: Vec<(Arc<str>, Result<bool, String>)>,
    /// The rule that matched (index), or None for Default.
    pub matched: Option<usize>,
    /// The state chosen (its name, shared with the model).
    pub next: Option<Arc<str>>,
}

impl ChoiceTrace {
    pub fn to_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, (rule, v))| match v {
                Ok(b) => json!({"rule": i, "condition": &**rule, "value": b}),
                Err(e) => json!({"rule": i, "condition": &**rule, "error": e}),
            })
            .collect();
        json!({
            "matched": match self.matched {
                Some(i) => json!(format!("rule {i}: {}", self.rules[i].0)),
                None => json!("Default"),
            },
            "next": self.next,
            "rules": rules,
        })
    }
}

impl Attempt {
    pub fn to_json(&self) -> Value {
        json!({
            "attempt": self.number,
            "error": self.error.error_name(),
            "cause": self.error.cause,
            "retrier": self.retrier,
            "maxAttempts": self.max_attempts,
            "delaySeconds": self.delay_ms as f64 / 1000.0,
        })
    }
}

/// Something that happens when the virtual clock reaches `at_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub at_ms: i64,
    pub kind: TimerKind,
    /// The state it belongs to (empty for the execution's own timeout).
    pub state: String,
    pub thread: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TimerKind {
    /// A Wait state ends.
    Wait,
    /// A Retry back-off ends and the next attempt starts.
    RetryBackoff { attempt: Attempt },
    /// A task's TimeoutSeconds or HeartbeatSeconds runs out (`error` names which).
    TaskDeadline { task: TaskId, error: String },
    /// The execution's TimeoutSeconds (or EXPRESS's 5 minutes) runs out.
    ExecutionTimeout,
}

impl Timer {
    /// `the Wait in 'Pause' ends`, `'Review' times out (States.HeartbeatTimeout)`, ...
    pub fn describe(&self) -> String {
        match &self.kind {
            TimerKind::Wait => format!("the Wait in '{}' ends", self.state),
            TimerKind::RetryBackoff { attempt } => format!(
                "'{}' retries (attempt {} of {})",
                self.state,
                attempt.number + 1,
                attempt.max_attempts + 1
            ),
            TimerKind::TaskDeadline { error, .. } => {
                format!("'{}' times out ({error})", self.state)
            }
            TimerKind::ExecutionTimeout => "the execution times out".to_string(),
        }
    }
}

/// One failed attempt that a retrier sent round again.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    pub error: Failure,
    /// The retrier (index in the state's Retry list) that matched.
    pub retrier: usize,
    /// That retrier's MaxAttempts (retries it allows).
    pub max_attempts: u64,
    /// The back-off before the next attempt.
    pub delay_ms: i64,
    /// When the attempt failed (virtual clock).
    pub at_ms: i64,
}

impl StepRecord {
    pub fn stage(&self, name: Stage) -> Option<&Value> {
        self.stages
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| &**v)
    }

    /// Record a stage's value. A stage that holds what another stage already holds (a
    /// Pass's result is its effective input, ...) shares that stage's copy: comparing is
    /// cheaper than copying, and a step's stages often repeat one value.
    fn set(&mut self, name: Stage, v: &Value) {
        let same = self
            .stages
            .iter()
            .rev()
            // (Not the elements threads hold: reading them makes their array.)
            .find(|(_, held)| {
                !matches!(held, StageValue::Elements(_)) && crate::expr::identical(held, v)
            });
        let shared = match same {
            Some((_, held)) => held.clone(),
            None => StageValue::Held(Arc::new(v.clone())),
        };
        self.put(name, shared);
    }

    /// Record a stage's value the execution holds. Earlier stages that copied the same
    /// value (a Pass's Parameters that become its output) share it instead, and their
    /// copies are freed: the debugger keeps a record per step.
    fn set_shared(&mut self, name: Stage, v: Arc<Value>) {
        for (_, held) in &mut self.stages {
            // Only a copy the record alone holds frees memory by being shared (and most
            // stages are values the execution holds: comparing them was a tenth of a
            // chain's records).
            if let StageValue::Held(copy) = held
                && Arc::strong_count(copy) == 1
                && crate::expr::identical(copy, &v)
            {
                *held = StageValue::Held(v.clone());
            }
        }
        self.put(name, StageValue::Held(v));
    }

    /// Record a stage's value as it is.
    fn put(&mut self, name: Stage, v: StageValue) {
        match self.stages.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = v,
            None => self.stages.push((name, v)),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("state", json!(self.state));
        m.insert("type", json!(self.state_type));
        m.insert("thread", json!(self.thread));
        m.insert("events", json!([self.first_event, self.last_event]));
        for (k, v) in &self.stages {
            m.insert(k.as_str(), (**v).clone());
        }
        if let Some(e) = &self.error {
            m.insert("error", e.to_error_output());
        }
        if !self.attempts.is_empty() {
            m.insert(
                "attempts",
                Value::Array(self.attempts.iter().map(Attempt::to_json).collect()),
            );
        }
        if let Some(n) = &self.next {
            m.insert("nextState", json!(n));
        }
        Value::Object(m)
    }
}

/// Which sub-machine a thread runs: the path of (state index, branch index) from the root.
/// Shared: a Map's iterations all run the same sub-machine.
pub type MachinePath = Arc<[(usize, usize)]>;

/// A `null` input, for a thread (or the context) whose input has been moved out or is no
/// longer needed: one shared value, not an allocation each time.
pub(crate) fn null_input() -> Arc<Value> {
    static NULL: std::sync::LazyLock<Arc<Value>> =
        std::sync::LazyLock::new(|| Arc::new(Value::Null));
    NULL.clone()
}

pub(crate) fn machine_at<'a>(root: &'a Machine, path: &[(usize, usize)]) -> &'a Machine {
    let mut m = root;
    for &(state, branch) in path {
        m = match &m.states[state].kind {
            crate::asl::model::StateKind::Parallel(p) => &p.branches[branch],
            crate::asl::model::StateKind::Map(map) => &map.processor,
            _ => unreachable!("machine paths only go through Parallel and Map"),
        };
    }
    m
}

#[derive(Debug, Clone)]
pub(crate) enum Phase {
    Enter,
    /// Run the state's work (again, after a retry interval).
    Run,
    /// Boxed: a thread's status is in every thread, a task's outcome in few.
    TaskDone(Box<TaskOutcome>),
    /// Wait state finished waiting.
    WaitDone,
    ChildrenDone,
}

#[derive(Debug, Clone)]
pub(crate) enum ThreadStatus {
    Ready(Phase),
    WaitingTask(TaskId),
    Sleeping {
        until: i64,
        then: Phase,
    },
    WaitingChildren,
    Done,
    Failed,
    /// Stopped because a sibling failed or the execution ended.
    Aborted,
}

/// Children of a Parallel or Map state being run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Children {
    pub is_map: bool,
    pub results: Vec<Option<Value>>,
    pub threads: Vec<usize>,
    pub next_to_start: usize,
    pub running: usize,
    pub limit: usize,
    pub failures: usize,
    pub tolerated_count: Option<usize>,
    pub tolerated_percentage: Option<f64>,
    pub first_failure: Option<Failure>,
    /// Which children failed (their results hold the error output).
    pub failed: Vec<usize>,
    /// The last event of the child that ended last: the next iteration's start and the
    /// state's Succeeded event follow it in AWS's history.
    pub last_event: u64,
    /// The last state event of the child that ended last (before its MapIteration* event):
    /// the next iteration's MapIterationStarted follows it.
    pub tail: u64,
    /// The last state event of the child that failed (AWS's StateFailed follows it).
    pub failed_tail: u64,
    /// A Distributed Map's MapRunStarted event (0 otherwise).
    pub map_run_started: u64,
    /// The children that ended with an output measured on the way out, and the sum of
    /// those outputs' length bounds: when every child did, the results array's bound is
    /// known without walking it again (see [`crate::expr::compact_len_bound`]).
    pub ended_bounded: usize,
    pub ended_len_bound: usize,
    /// A Distributed Map's run, for displays.
    pub map_run: Option<Box<MapRun>>,
}

/// What a Distributed Map's run is, beside its children: its ARN and, when the
/// iterations take batches, how many items each batch holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct MapRun {
    pub arn: String,
    pub batch_sizes: Option<Vec<usize>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Thread {
    /// The Map or Parallel thread this one is a child of, and the child's index there
    /// (narrow: a big Map has a thread per item; see [`Thread::parent`]).
    parent: Option<(u32, u32)>,
    pub machine: MachinePath,
    pub state: usize,
    /// The raw input of the current state (shared with the history event that shows it).
    pub input: Arc<Value>,
    pub entered_event: u64,
    pub last_event: u64,
    pub entered_ms: i64,
    pub retry_total: u32,
    pub status: ThreadStatus,
    pub vars: Arc<Vars>,
    pub token: Option<Box<str>>,
    pub children: Option<Box<Children>>,
    /// Boxed: most threads (a big Map's iterations) keep no record, and inline it would
    /// double every thread's size.
    pub record: Option<Box<StepRecord>>,
    pub started: bool,
    /// What only some states keep (boxed: a big Map's iterations keep none of it).
    pub extra: Option<Box<ThreadExtra>>,
    /// Runs inside a Distributed Map's run (see [`HistoryEvent::in_map_run`]).
    pub in_map_run: bool,
}

/// The part of a [`Thread`] that only some states use.
#[derive(Debug, Clone, Default)]
pub(crate) struct ThreadExtra {
    /// The state's effective input (after InputPath/Parameters/Arguments), kept while a
    /// task or a wait is under way.
    pub effective: Option<Value>,
    /// Attempts per retrier of a state with Retry.
    pub retry_counts: Box<[u32]>,
    /// A Map's items as its ItemReader read them (the reader is an effect: its request
    /// goes out, its items come back here).
    pub reader_items: Option<Box<[Value]>>,
    /// A Map waits for its ResultWriter (rather than its ItemReader).
    pub writing_results: bool,
    /// What the state's Assign assigned, for its exit event.
    pub assigned: Option<Map>,
    /// A Map's or Parallel's Failed event, written once the failure is final.
    pub failed_event: Option<EventKind>,
}

impl Thread {
    /// The part only some states use, made on first use.
    pub(crate) fn extra(&mut self) -> &mut ThreadExtra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Something moved out of the part only some states use, if the thread has it.
    pub(crate) fn take_extra<T>(
        &mut self,
        take: impl FnOnce(&mut ThreadExtra) -> Option<T>,
    ) -> Option<T> {
        self.extra.as_deref_mut().and_then(take)
    }

    /// The parent thread and this thread's index among its children.
    pub fn parent(&self) -> Option<(usize, usize)> {
        self.parent.map(|(p, k)| (p as usize, k as usize))
    }

    fn child_of(parent: usize, index: usize) -> Option<(u32, u32)> {
        let narrow = |n: usize| u32::try_from(n).expect("fewer than 2^32 threads");
        Some((narrow(parent), narrow(index)))
    }
}

/// One execution of a state machine.
#[derive(Debug, Clone)]
pub struct Execution {
    pub(crate) machine: Arc<Machine>,
    pub(crate) cfg: Arc<Config>,
    /// The execution input for the context object (`null` when nothing can read it: see
    /// [`Execution::new`]).
    pub(crate) input: Arc<Value>,
    pub(crate) clock: i64,
    pub(crate) rng: env::SeededRng,
    pub(crate) threads: Vec<Thread>,
    pub(crate) history: Vec<HistoryEvent>,
    pub(crate) steps: Vec<StepRecord>,
    /// How many times a retrier has sent a state round again (the debugger watches it to
    /// stop at a retry as it happens).
    pub(crate) retries: u64,
    pub(crate) status: Status,
    pub(crate) tasks: BTreeMap<TaskId, TaskRequest>,
    /// Threads that may be Ready, lowest first: scanning every thread each step would make
    /// a 10,000-iteration Map quadratic. Entries that are no longer Ready are dropped lazily.
    pub(crate) ready: ready::ReadySet,
    pub(crate) next_task: TaskId,
    pub(crate) transitions: u64,
    /// Times RedriveExecution started it again ([`Execution::redrive`]), and when last.
    pub(crate) redrive_count: u32,
    pub(crate) redriven_ms: Option<i64>,
    /// History events emitted (all of them kept in `history` unless the configuration
    /// says nobody reads them).
    pub(crate) events: u64,
}

impl Execution {
    /// Start an execution of `machine` (which must be valid) with `input`.
    pub fn new(machine: Arc<Machine>, input: Value, cfg: Config) -> Execution {
        let rng = env::SeededRng::new(cfg.seed);
        let start = cfg.start_time_ms;
        // One copy of the input, shared by the context object and the first state; the
        // execution keeps none when nothing can read it (no context read, no history, no
        // records), so the first state owns its input and can change it in place.
        let input = Arc::new(input);
        let keep_input = cfg.record_steps || cfg.keep_history || machine.reads_execution_input;
        let mut ex = Execution {
            input: if keep_input {
                input.clone()
            } else {
                null_input()
            },
            machine,
            cfg: Arc::new(cfg),
            clock: start,
            rng,
            threads: Vec::new(),
            history: Vec::new(),
            steps: Vec::new(),
            retries: 0,
            status: Status::Running,
            tasks: BTreeMap::new(),
            ready: {
                let mut ready = ready::ReadySet::default();
                ready.insert(0);
                ready
            },
            next_task: 1,
            transitions: 0,
            redrive_count: 0,
            redriven_ms: None,
            events: 0,
        };
        ex.threads.push(Thread {
            parent: None,
            machine: Arc::from([]),
            state: ex.machine.start().unwrap_or(0),
            input: input.clone(),
            entered_event: 0,
            last_event: 0,
            entered_ms: start,
            retry_total: 0,
            status: ThreadStatus::Ready(Phase::Enter),
            vars: Arc::new(Vars::default()),
            token: None,
            children: None,
            record: None,
            started: true,
            extra: None,
            in_map_run: false,
        });
        if ex.cfg.keep_history {
            let role = ex.cfg.role_arn.clone();
            ex.emit(
                0,
                EventKind::ExecutionStarted,
                json!({
                    "input": crate::expr::compact(&input),
                    "inputDetails": {"truncated": false},
                    "roleArn": role,
                }),
            );
        } else {
            ex.count_event(0);
        }
        // AWS links the first state's event to none (previousEventId 0), not to
        // ExecutionStarted.
        ex.threads[0].last_event = 0;
        if ex.machine.start().is_none() {
            ex.status = Status::Failed {
                error: Some("States.Runtime".into()),
                cause: Some(format!(
                    "StartAt '{}' is not a state of this state machine",
                    ex.machine.start_at
                )),
            };
        }
        ex
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    pub fn history(&self) -> &[HistoryEvent] {
        &self.history
    }

    pub fn steps(&self) -> &[StepRecord] {
        &self.steps
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The execution's input (`null` when it was started with neither records, history
    /// nor a context read, which need it).
    pub fn input(&self) -> &Value {
        &self.input
    }

    /// The virtual clock, milliseconds since the epoch.
    pub fn clock(&self) -> i64 {
        self.clock
    }

    /// State transitions performed so far.
    /// Has a state been entered yet?
    pub fn has_started(&self) -> bool {
        self.events > 1
    }

    pub fn transitions(&self) -> u64 {
        self.transitions
    }

    /// Tasks waiting for a result, in the order they were scheduled.
    pub fn pending_tasks(&self) -> impl Iterator<Item = &TaskRequest> {
        self.tasks.values()
    }

    pub fn task(&self, id: TaskId) -> Option<&TaskRequest> {
        self.tasks.get(&id)
    }

    pub fn task_by_token(&self, token: &str) -> Option<&TaskRequest> {
        self.tasks
            .values()
            .find(|t| t.token.as_deref() == Some(token))
    }

    /// Number of threads (top level, branches, iterations) created so far.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// Where each live thread is: (thread, parent thread, state name, status word).
    pub fn thread_positions(&self) -> Vec<ThreadPosition> {
        self.threads
            .iter()
            .enumerate()
            .filter(|(_, t)| t.started)
            .map(|(i, t)| {
                let m = machine_at(&self.machine, &t.machine);
                ThreadPosition {
                    thread: i,
                    parent: t.parent().map(|p| p.0),
                    index: t.parent().map(|p| p.1),
                    state: m
                        .states
                        .get(t.state)
                        .map(|s| s.name.to_string())
                        .unwrap_or_default(),
                    state_pointer: m
                        .states
                        .get(t.state)
                        .map(|s| s.pointer.to_string())
                        .unwrap_or_default(),
                    status: match &t.status {
                        ThreadStatus::Ready(Phase::Enter) => ThreadState::Ready,
                        ThreadStatus::Ready(_) => ThreadState::Running,
                        ThreadStatus::WaitingTask(_) => ThreadState::WaitingTask,
                        ThreadStatus::Sleeping { .. } => ThreadState::Sleeping,
                        ThreadStatus::WaitingChildren => ThreadState::WaitingChildren,
                        ThreadStatus::Done => ThreadState::Succeeded,
                        ThreadStatus::Failed => ThreadState::Failed,
                        ThreadStatus::Aborted => ThreadState::Aborted,
                    },
                }
            })
            .collect()
    }

    /// The Map iterations and Parallel branches `thread` runs in, outermost first.
    pub fn scope_of(&self, thread: usize) -> Vec<ScopeStep> {
        let mut steps = Vec::new();
        let mut at = thread;
        while let Some((parent, index)) = self.threads.get(at).and_then(Thread::parent) {
            let p = &self.threads[parent];
            let state = machine_at(&self.machine, &p.machine)
                .states
                .get(p.state)
                .map(|s| s.name.to_string())
                .unwrap_or_default();
            steps.push(ScopeStep { state, index });
            at = parent;
        }
        steps.reverse();
        steps
    }

    /// The variables visible to `thread` (own scope over its outer scopes).
    pub fn variables(&self, thread: usize) -> Map {
        self.threads
            .get(thread)
            .map(|t| t.vars.flatten())
            .unwrap_or_default()
    }

    /// The context object (`$$`) as the state `thread` is in (or about to enter) sees it.
    pub fn context_object(&self, thread: usize) -> Value {
        let Some(t) = self.threads.get(thread) else {
            return Value::Null;
        };
        let state = machine_at(&self.machine, &t.machine).states.get(t.state);
        let can_retry = state.is_some_and(|s| {
            matches!(
                s.kind,
                crate::asl::model::StateKind::Task(_)
                    | crate::asl::model::StateKind::Parallel(_)
                    | crate::asl::model::StateKind::Map(_)
            )
        });
        env::StateFacts {
            cfg: &self.cfg,
            input: &self.input,
            redrive_count: self.redrive_count,
            state_name: state.map_or("", |s| &*s.name),
            entered_ms: t.entered_ms,
            retry_count: can_retry.then_some(t.retry_total),
            token: t.token.as_deref(),
        }
        .context()
    }

    /// The inspection record of the state `thread` is in the middle of (entered, not yet
    /// exited), if any.
    pub fn open_record(&self, thread: usize) -> Option<&StepRecord> {
        self.threads.get(thread)?.record.as_deref()
    }

    /// The Distributed Map run `thread` waits for, as DescribeMapRun shows it (status
    /// RUNNING); a finished run is on its step record ([`StepRecord::map_run`]).
    pub fn map_run(&self, thread: usize) -> Option<Value> {
        let ch = self.threads.get(thread)?.children.as_deref()?;
        self.map_run_of(ch, None)
    }

    /// The state the next step of `thread` will run, if it is about to enter one.
    pub fn next_state_of(&self, thread: usize) -> Option<&State> {
        let t = self.threads.get(thread)?;
        if !matches!(t.status, ThreadStatus::Ready(Phase::Enter)) {
            return None;
        }
        machine_at(&self.machine, &t.machine).states.get(t.state)
    }

    /// Which thread runs on the next [`Execution::step`], if any is runnable.
    pub fn next_runnable(&self) -> Option<usize> {
        if self.status.is_done() {
            return None;
        }
        self.ready
            .iter()
            .find(|&i| matches!(self.threads[i].status, ThreadStatus::Ready(_)))
    }

    /// Perform one transition of the next runnable thread.
    pub fn step(&mut self) -> Step {
        if self.status.is_done() {
            return Step::Finished;
        }
        while let Some(first) = self.ready.first() {
            if matches!(self.threads[first].status, ThreadStatus::Ready(_)) {
                return self.run_thread(first);
            }
            self.ready.remove(first);
        }
        match self.idle() {
            Some(step) => step,
            None => {
                // Nothing runnable, nothing pending: a bug, but never a hang.
                self.finish(Status::Failed {
                    error: Some("States.Runtime".into()),
                    cause: Some("the execution cannot make progress".into()),
                });
                Step::Finished
            }
        }
    }

    /// When no thread can run: whether the execution sleeps (until when) or is blocked on
    /// tasks; None when nothing at all can move it (a bug).
    fn idle(&self) -> Option<Step> {
        let sleeping = self.threads.iter().filter_map(|t| match t.status {
            ThreadStatus::Sleeping { until, .. } => Some(until),
            _ => None,
        });
        let deadlines = self
            .tasks
            .values()
            .filter_map(|t| t.deadline().map(|d| d.0));
        let execution_deadline = self.execution_deadline();
        match sleeping.chain(deadlines).chain(execution_deadline).min() {
            Some(until)
                if self.tasks.is_empty()
                    || self
                        .threads
                        .iter()
                        .any(|t| matches!(t.status, ThreadStatus::Sleeping { .. })) =>
            {
                Some(Step::Sleeping { until })
            }
            _ if !self.tasks.is_empty() => Some(Step::Blocked),
            _ => None,
        }
    }

    /// The time the execution sleeps until, when nothing can run before it (what
    /// [`Execution::step`] returns as [`Step::Sleeping`]).
    pub fn sleeping_until(&self) -> Option<i64> {
        if self.status.is_done() || self.next_runnable().is_some() {
            return None;
        }
        match self.idle() {
            Some(Step::Sleeping { until }) => Some(until),
            _ => None,
        }
    }

    /// Everything waiting on the virtual clock, earliest first: Wait states, Retry
    /// back-offs, task timeouts and heartbeats, the execution's own timeout.
    pub fn timers(&self) -> Vec<Timer> {
        let mut out = Vec::new();
        for (i, t) in self.threads.iter().enumerate() {
            let ThreadStatus::Sleeping { until, .. } = t.status else {
                continue;
            };
            let state = machine_at(&self.machine, &t.machine)
                .states
                .get(t.state)
                .map(|s| s.name.to_string())
                .unwrap_or_default();
            let retry = t
                .record
                .as_ref()
                .and_then(|r| r.attempts.last())
                .filter(|a| a.at_ms.saturating_add(a.delay_ms) == until)
                .cloned();
            out.push(Timer {
                at_ms: until,
                kind: match retry {
                    Some(attempt) => TimerKind::RetryBackoff { attempt },
                    None => TimerKind::Wait,
                },
                state,
                thread: Some(i),
            });
        }
        for t in self.tasks.values() {
            if let Some((at, error)) = t.deadline() {
                out.push(Timer {
                    at_ms: at,
                    kind: TimerKind::TaskDeadline {
                        task: t.id,
                        error: error.to_string(),
                    },
                    state: t.state.clone(),
                    thread: Some(t.thread),
                });
            }
        }
        if let Some(at) = self.execution_deadline() {
            out.push(Timer {
                at_ms: at,
                kind: TimerKind::ExecutionTimeout,
                state: String::new(),
                thread: None,
            });
        }
        out.sort_by_key(|t| t.at_ms);
        out
    }

    /// Retries so far (see [`StepRecord::attempts`] for what each was).
    pub fn retries(&self) -> u64 {
        self.retries
    }

    /// The earliest time at which something waits on the clock (sleepers, task deadlines,
    /// the machine's own timeout).
    pub fn next_wakeup(&self) -> Option<i64> {
        let sleeping = self.threads.iter().filter_map(|t| match t.status {
            ThreadStatus::Sleeping { until, .. } => Some(until),
            _ => None,
        });
        let deadlines = self
            .tasks
            .values()
            .filter_map(|t| t.deadline().map(|d| d.0));
        sleeping
            .chain(deadlines)
            .chain(self.execution_deadline())
            .min()
    }

    /// When the execution times out on the clock (the machine's TimeoutSeconds, an Express
    /// workflow's five minutes), if ever.
    pub fn execution_deadline(&self) -> Option<i64> {
        // A redrive starts the state machine's timeout again.
        let from = self.redriven_ms.unwrap_or(self.cfg.start_time_ms);
        let own = self
            .machine
            .timeout_seconds
            .map(|s| from.saturating_add(secs_ms(s)));
        let express = (self.cfg.workflow_type == WorkflowType::Express)
            .then_some(self.cfg.start_time_ms.saturating_add(EXPRESS_MAX_MS));
        own.into_iter().chain(express).min()
    }

    /// [`Execution::advance_to`], telling which tasks waiting for a token ended on the way
    /// (timed out, or the execution did): their ids and tokens, for the SendTask* calls that
    /// may still come with them.
    pub fn advance_to_ending_tokens(&mut self, ms: i64) -> Vec<(TaskId, String)> {
        let waiting: Vec<(TaskId, String)> = self
            .pending_tasks()
            .filter_map(|t| Some((t.id, t.token.clone()?)))
            .collect();
        self.advance_to(ms);
        waiting
            .into_iter()
            .filter(|(id, _)| self.task(*id).is_none())
            .collect()
    }

    /// Move the virtual clock forward to `ms`, waking sleepers and expiring deadlines.
    pub fn advance_to(&mut self, ms: i64) {
        if self.status.is_done() {
            return;
        }
        let ms = ms.max(self.clock);
        if let Some(d) = self.execution_deadline()
            && ms >= d
        {
            self.clock = d;
            let express = self.cfg.workflow_type == WorkflowType::Express
                && d == self.cfg.start_time_ms + EXPRESS_MAX_MS
                && self
                    .machine
                    .timeout_seconds
                    .is_none_or(|s| self.cfg.start_time_ms.saturating_add(secs_ms(s)) > d);
            let cause = if express {
                "The execution exceeded the 5-minute duration limit of EXPRESS workflows."
            } else {
                "The execution timed out: it ran longer than the state machine's TimeoutSeconds."
            };
            let details = json!({"error": "States.Timeout", "cause": cause});
            self.emit(0, EventKind::ExecutionTimedOut, details);
            self.finish(Status::TimedOut {
                error: Some("States.Timeout".into()),
                cause: Some(cause.into()),
            });
            return;
        }
        self.clock = ms;
        for i in 0..self.threads.len() {
            if let ThreadStatus::Sleeping { until, then } = &self.threads[i].status
                && *until <= ms
            {
                let then = then.clone();
                self.threads[i].status = ThreadStatus::Ready(then);
                self.ready.insert(i);
            }
        }
        let expired: Vec<(TaskId, &'static str)> = self
            .tasks
            .values()
            .filter_map(|t| t.deadline().filter(|d| d.0 <= ms).map(|d| (t.id, d.1)))
            .collect();
        for (id, error) in expired {
            let cause = if error == "States.HeartbeatTimeout" {
                "The task did not send a heartbeat within HeartbeatSeconds."
            } else {
                "The task did not complete within TimeoutSeconds."
            };
            self.resolve_task(id, TaskOutcome::Failure(Failure::new(error, cause)));
        }
    }

    /// StopExecution: every path of execution stops where it is, the history ends with
    /// ExecutionAborted (with the error and cause given, if any). No-op once ended.
    /// Times the execution was redriven.
    pub fn redrive_count(&self) -> u32 {
        self.redrive_count
    }

    pub fn stop(&mut self, error: Option<String>, cause: Option<String>) {
        if self.status.is_done() {
            return;
        }
        let mut details = Map::new();
        if let Some(e) = &error {
            details.insert("error", json!(e));
        }
        if let Some(c) = &cause {
            details.insert("cause", json!(c));
        }
        self.emit(0, EventKind::ExecutionAborted, Value::Object(details));
        self.finish(Status::Aborted { error, cause });
    }

    /// RedriveExecution: a failed, timed-out or aborted execution starts again from the
    /// state its top level did not finish, with that state's input; the steps before it
    /// stand (AWS records `ExecutionRedriven`, `$$.Execution.RedriveCount` counts). A Map or
    /// Parallel that failed runs again whole (AWS runs only its unsuccessful iterations or
    /// branches again). Returns the redrive count, or why it cannot be redriven.
    ///
    /// An execution that keeps neither history nor records (as `stepdbg run` runs) may
    /// have moved data out of the inputs it no longer needed (a Map's items): it cannot be
    /// redriven.
    pub fn redrive(&mut self) -> Result<u32, String> {
        if !self.cfg.keep_history && !self.cfg.record_steps {
            return Err("an execution run without its history cannot be redriven".into());
        }
        match &self.status {
            Status::Failed { .. } | Status::TimedOut { .. } | Status::Aborted { .. } => {}
            Status::Running => return Err("the execution is still running".into()),
            Status::Succeeded { .. } => {
                return Err("a SUCCEEDED execution cannot be redriven".into());
            }
        }
        let top = &self.threads[0];
        if matches!(top.status, ThreadStatus::Done) {
            return Err("the execution has no unsuccessful state to start again from".into());
        }
        self.redrive_count += 1;
        self.redriven_ms = Some(self.clock);
        let count = self.redrive_count;
        self.status = Status::Running;
        let t = &mut self.threads[0];
        t.status = ThreadStatus::Ready(Phase::Enter);
        t.retry_total = 0;
        t.children = None;
        t.extra = None;
        t.token = None;
        t.record = None;
        self.ready.insert(0);
        self.emit(
            0,
            EventKind::ExecutionRedriven,
            json!({"redriveCount": count}),
        );
        Ok(count)
    }

    /// Report that the function behind a callback task returned: the heartbeat clock starts.
    /// AWS records this as `TaskSubmitted` (the callback task now waits for its token).
    pub fn task_started(&mut self, id: TaskId) {
        let now = self.clock;
        let Some(t) = self.tasks.get_mut(&id) else {
            return;
        };
        if t.started_ms.is_some() {
            return;
        }
        t.started_ms = Some(now);
        let thread = t.thread;
        let (resource_type, resource) = flow::resource_parts(&t.resource);
        self.emit(
            thread,
            EventKind::TaskSubmitted,
            json!({"resourceType": resource_type, "resource": resource}),
        );
    }

    /// SendTaskHeartbeat: resets the heartbeat timer. False when the task is not pending.
    pub fn heartbeat(&mut self, id: TaskId) -> bool {
        let now = self.clock;
        match self.tasks.get_mut(&id) {
            Some(t) => {
                t.last_heartbeat_ms = Some(now);
                true
            }
            None => false,
        }
    }

    /// Feed a task's result back. False when no such task is pending.
    pub fn resolve_task(&mut self, id: TaskId, outcome: TaskOutcome) -> bool {
        let Some(task) = self.tasks.remove(&id) else {
            return false;
        };
        if let Some(t) = self.threads.get_mut(task.thread)
            && matches!(t.status, ThreadStatus::WaitingTask(w) if w == id)
        {
            t.status = ThreadStatus::Ready(Phase::TaskDone(Box::new(outcome)));
            self.ready.insert(task.thread);
        }
        true
    }

    /// Replace the raw input of a thread that is about to enter a state (edit-and-continue).
    pub fn set_pending_input(&mut self, thread: usize, input: Value) -> bool {
        match self.threads.get_mut(thread) {
            Some(t) if matches!(t.status, ThreadStatus::Ready(Phase::Enter)) => {
                t.input = Arc::new(input);
                true
            }
            _ => false,
        }
    }

    /// Set a workflow variable in `thread`'s own scope, as an Assign there would (the
    /// debugger's edit). False when there is no such thread.
    pub fn set_variable(&mut self, thread: usize, name: &str, value: Value) -> bool {
        let Some(t) = self.threads.get_mut(thread) else {
            return false;
        };
        std::sync::Arc::make_mut(&mut t.vars)
            .own
            .insert(name, value);
        true
    }

    /// The raw input a thread will enter its next state with.
    pub fn pending_input(&self, thread: usize) -> Option<&Value> {
        self.threads
            .get(thread)
            .filter(|t| matches!(t.status, ThreadStatus::Ready(Phase::Enter)))
            .map(|t| &*t.input)
    }

    /// Run until the execution ends or needs something: tasks are answered by `resolve`
    /// (None leaves the task pending and returns), time passes instantly.
    pub fn run_with(
        &mut self,
        mut resolve: impl FnMut(&TaskRequest) -> Option<TaskOutcome>,
    ) -> Step {
        loop {
            match self.step() {
                Step::Progressed { .. } => {}
                Step::Task(req) => match resolve(&req) {
                    Some(outcome) => {
                        self.resolve_task(req.id, outcome);
                    }
                    None => return Step::Task(req),
                },
                Step::Sleeping { until } => self.advance_to(until),
                other => return other,
            }
        }
    }

    pub(crate) fn finish(&mut self, status: Status) {
        self.status = status;
        for t in &mut self.threads {
            if !matches!(t.status, ThreadStatus::Done | ThreadStatus::Failed) {
                t.status = ThreadStatus::Aborted;
            }
        }
        self.tasks.clear();
    }

    /// An event that is not kept (`Config::keep_history` off): only its id is taken.
    pub(crate) fn count_event(&mut self, thread: usize) -> u64 {
        self.events += 1;
        if let Some(t) = self.threads.get_mut(thread) {
            t.last_event = self.events;
        }
        self.events
    }

    /// [`Execution::emit`], its details worked out only when the event is kept.
    pub(crate) fn emit_lazy(
        &mut self,
        thread: usize,
        kind: EventKind,
        details: impl FnOnce(&Self) -> Value,
    ) -> u64 {
        if self.cfg.keep_history {
            let d = details(self);
            self.emit(thread, kind, d)
        } else {
            self.count_event(thread)
        }
    }

    /// Append a history event for `thread`.
    pub(crate) fn emit(&mut self, thread: usize, kind: EventKind, details: Value) -> u64 {
        self.emit_data(thread, kind, history::EventData::Json(Box::new(details)))
    }

    pub(crate) fn emit_data(
        &mut self,
        thread: usize,
        kind: EventKind,
        data: history::EventData,
    ) -> u64 {
        self.events += 1;
        let id = self.events;
        if self.cfg.keep_history {
            let prev = self.threads.get(thread).map_or(0, |t| t.last_event);
            let in_map_run = self.threads.get(thread).is_some_and(|t| t.in_map_run);
            self.history.push(HistoryEvent {
                id,
                previous_event_id: prev,
                timestamp_ms: self.clock,
                kind,
                data,
                thread,
                in_map_run,
            });
        }
        if let Some(t) = self.threads.get_mut(thread) {
            t.last_event = id;
        }
        id
    }
}

/// Where a thread is, for displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPosition {
    pub thread: usize,
    pub parent: Option<usize>,
    /// Branch or iteration index within the parent.
    pub index: Option<usize>,
    pub state: String,
    pub state_pointer: String,
    pub status: ThreadState,
}

/// What a thread (the execution, a branch, an iteration) is doing, for displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThreadState {
    /// About to enter its next state.
    Ready,
    /// In the middle of a state.
    Running,
    WaitingTask,
    Sleeping,
    /// A Map or Parallel waiting for its iterations or branches.
    WaitingChildren,
    Succeeded,
    Failed,
    Aborted,
}

impl ThreadState {
    pub fn as_str(self) -> &'static str {
        match self {
            ThreadState::Ready => "ready",
            ThreadState::Running => "running",
            ThreadState::WaitingTask => "waiting-task",
            ThreadState::Sleeping => "sleeping",
            ThreadState::WaitingChildren => "waiting-children",
            ThreadState::Succeeded => "succeeded",
            ThreadState::Failed => "failed",
            ThreadState::Aborted => "aborted",
        }
    }

    /// The thread has ended, one way or another.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            ThreadState::Succeeded | ThreadState::Failed | ThreadState::Aborted
        )
    }
}

#[cfg(test)]
mod layout_tests {
    /// A big Map holds a thread per item: what only some states use stays out of line.
    #[test]
    fn a_thread_stays_small() {
        let size = std::mem::size_of::<super::Thread>();
        assert!(size <= 152, "a thread is {size} bytes");
    }
}
