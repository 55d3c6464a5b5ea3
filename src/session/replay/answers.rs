//! The answers a recorded execution's tasks got, and the resolver that gives them again.
//!
//! A task is found by where it ran (its Map iterations and Parallel branches), its state
//! and its attempt, so the answers fit however AWS interleaved concurrent iterations; a
//! state run again in a loop takes the next answer recorded for it.

use super::recording::{Recording, id, json_field, kind, text_field};
use super::scope;
use crate::engine::{Failure, ScopeStep, TaskId, TaskOutcome, TaskRequest};
use crate::integrations::dispatch::Invocation;
use crate::json::Value;
use crate::session::{Resolution, Resolver};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a recorded task got.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAnswer {
    /// The event that gave the result (or the timeout).
    pub event: u64,
    /// The function behind a callback task returned (AWS wrote `TaskSubmitted`).
    pub submitted: bool,
    /// The result; None: the task timed out (`TaskTimedOut`, `LambdaFunctionTimedOut`).
    pub outcome: Option<TaskOutcome>,
    /// The timeout's error and cause, when it timed out.
    pub timeout: Option<Failure>,
}

type Key = (Vec<ScopeStep>, String, u32);

/// Every task answer of a recording.
#[derive(Debug, Clone, Default)]
pub struct RecordedAnswers {
    by_task: HashMap<Key, Vec<RecordedAnswer>>,
    /// Answers of the same key already given (a state looped).
    used: HashMap<Key, usize>,
}

/// The event types that schedule a task attempt.
const SCHEDULED: &[&str] = &[
    "TaskScheduled",
    "LambdaFunctionScheduled",
    "ActivityScheduled",
];

impl RecordedAnswers {
    /// The answers in `recording`; `branch_of` as for [`scope::scopes`].
    pub fn of(recording: &Recording, branch_of: &dyn Fn(&str, &str) -> Option<usize>) -> Self {
        let scopes = scope::scopes(&recording.events, branch_of);
        let mut answers = RecordedAnswers::default();
        // Per scope: the task state being run and its attempts so far.
        let mut visits: HashMap<Vec<ScopeStep>, (String, u32)> = HashMap::new();
        // Per scope: the attempt scheduled and not yet answered.
        let mut open: HashMap<Vec<ScopeStep>, (Key, bool)> = HashMap::new();
        for (e, scope) in recording.events.iter().zip(scopes) {
            let k = kind(e);
            if k == "TaskStateEntered" {
                let name = text_field(e, "name").unwrap_or("").to_string();
                visits.insert(scope.clone(), (name, 0));
                continue;
            }
            if SCHEDULED.contains(&k) {
                let Some((state, attempts)) = visits.get_mut(&scope) else {
                    continue;
                };
                let key = (scope.clone(), state.clone(), *attempts);
                *attempts += 1;
                // An attempt the recording never answered (a cut history) is left to a person.
                open.insert(scope, (key, false));
                continue;
            }
            if k == "TaskSubmitted" {
                if let Some(o) = open.get_mut(&scope) {
                    o.1 = true;
                }
                continue;
            }
            let Some(answer) = answer_of(e) else {
                continue;
            };
            let Some((key, submitted)) = open.remove(&scope) else {
                continue;
            };
            // A truncated payload gives no answer: that task is left to a person too.
            if let Some(a) = answer {
                answers
                    .by_task
                    .entry(key)
                    .or_default()
                    .push(RecordedAnswer { submitted, ..a });
            }
        }
        answers
    }

    /// The recorded answer for `req`, taking it (a loop's next visit gets the next one).
    pub fn take(&mut self, req: &TaskRequest) -> Option<RecordedAnswer> {
        let key = (req.scope.clone(), req.state.clone(), req.attempt);
        let list = self.by_task.get(&key)?;
        let used = self.used.entry(key).or_insert(0);
        let a = list.get(*used)?.clone();
        *used += 1;
        Some(a)
    }

    /// Give the answers again from the first (a restart).
    pub fn rewind(&mut self) {
        self.used.clear();
    }

    /// Every answer as (event, state, result): a timeout as the failure it was.
    pub fn in_order(&self) -> Vec<(u64, String, TaskOutcome)> {
        let mut all: Vec<(u64, String, TaskOutcome)> = self
            .by_task
            .iter()
            .flat_map(|((_, state, _), list)| {
                list.iter().filter_map(move |a| {
                    let o = a
                        .outcome
                        .clone()
                        .or_else(|| a.timeout.clone().map(TaskOutcome::Failure))?;
                    Some((a.event, state.clone(), o))
                })
            })
            .collect();
        all.sort_by_key(|(e, _, _)| *e);
        all
    }
}

/// What an event says about a task attempt's end: Some(Some(answer)), Some(None) when
/// it ends the attempt without a usable answer (a truncated payload), None when it does
/// not end one.
fn answer_of(e: &Value) -> Option<Option<RecordedAnswer>> {
    let k = kind(e);
    let answer = |outcome, timeout| RecordedAnswer {
        event: id(e),
        submitted: false,
        outcome,
        timeout,
    };
    let failure = || Failure {
        error: text_field(e, "error").map(str::to_string),
        cause: text_field(e, "cause").map(str::to_string),
    };
    Some(match k {
        "TaskSucceeded" | "LambdaFunctionSucceeded" | "ActivitySucceeded" => {
            // A function that returned nothing: no output field.
            let output = match crate::session::replay::recording::details(e).get("output") {
                None => Some(Value::Null),
                Some(_) => json_field(e, "output"),
            };
            output.map(|v| answer(Some(TaskOutcome::Success(v)), None))
        }
        "TaskFailed"
        | "TaskStartFailed"
        | "TaskSubmitFailed"
        | "LambdaFunctionFailed"
        | "LambdaFunctionStartFailed"
        | "LambdaFunctionScheduleFailed"
        | "ActivityFailed"
        | "ActivityScheduleFailed" => Some(answer(Some(TaskOutcome::Failure(failure())), None)),
        "TaskTimedOut" | "LambdaFunctionTimedOut" | "ActivityTimedOut" => {
            Some(answer(None, Some(failure())))
        }
        _ => return None,
    })
}

/// What a replay handed out: each task's id, state and answer (a timeout as the failure
/// it was), for `mocks-from-history`; and the local task tokens, which stand for AWS's
/// when the runs are compared.
#[derive(Debug, Clone, Default)]
pub struct ReplayLog {
    pub answers: Vec<(TaskId, String, TaskOutcome)>,
    pub tokens: Vec<String>,
}

/// A [`ReplayLog`] shared with whoever runs the session.
pub type SharedLog = Arc<Mutex<ReplayLog>>;

/// Answers tasks from a recording; what the recording never reached is left to a person.
pub struct Replayer {
    answers: RecordedAnswers,
    log: SharedLog,
}

impl Replayer {
    pub fn new(answers: RecordedAnswers) -> Replayer {
        Replayer {
            answers,
            log: SharedLog::default(),
        }
    }

    /// What it handed out so far (shared: read it while the session owns the replayer).
    pub fn log(&self) -> SharedLog {
        self.log.clone()
    }
}

impl Resolver for Replayer {
    fn resolve(&mut self, req: &TaskRequest) -> Resolution {
        let mut log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(t) = &req.token {
            log.tokens.push(t.clone());
        }
        let Some(a) = self.answers.take(req) else {
            return Resolution::Manual;
        };
        let outcome = a
            .outcome
            .clone()
            .or_else(|| a.timeout.clone().map(TaskOutcome::Failure));
        if let Some(o) = outcome {
            log.answers.push((req.id, req.state.clone(), o));
        }
        let detail = Invocation::of(req, &format!("recording (event {})", a.event));
        Resolution::Recorded {
            submitted: a.submitted,
            outcome: a.outcome,
            detail: Some(Box::new(detail)),
        }
    }

    fn reset(&mut self) {
        self.answers.rewind();
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .answers
            .clear();
    }

    fn replayed(&mut self, req: &TaskRequest) {
        if let Some(t) = &req.token {
            self.log
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .tokens
                .push(t.clone());
        }
        let _ = self.answers.take(req);
    }
}
