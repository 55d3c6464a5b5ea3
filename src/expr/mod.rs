//! Expressions evaluated inside states: JSONPath queries, reference paths, payload
//! templates, intrinsic functions and JSONata.

pub mod intrinsics;
pub mod jsonata;
pub mod jsonpath;
pub mod template;

use std::sync::{Mutex, RwLock};
use std::time::Duration;

/// What one expression evaluation may use before it fails with
/// `States.QueryEvaluationError` (a runaway JSONata expression must not hang a run or
/// take the machine's memory). Generous by default; `[limits]` in stepdbg.toml and
/// `--eval-timeout` change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time for one evaluation.
    pub timeout: Duration,
    /// Items in one sequence (ranges, maps, filters).
    pub max_sequence: usize,
    /// Characters in one string built by `$pad` (the one builtin that makes a huge string
    /// from a small input).
    pub max_string_chars: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            timeout: Duration::from_secs(10),
            max_sequence: 10_000_000,
            max_string_chars: 16 * 1024 * 1024,
        }
    }
}

/// "an object", "an array", ... for messages.
pub fn json_type_name(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

static BUDGET: RwLock<Option<Budget>> = RwLock::new(None);

impl Budget {
    /// The budget evaluations use now.
    pub fn current() -> Budget {
        BUDGET.read().ok().and_then(|b| *b).unwrap_or_default()
    }

    /// Make this the budget of every later evaluation in the process.
    pub fn install(self) {
        if let Ok(mut b) = BUDGET.write() {
            *b = Some(self);
        }
    }
}

static INTERRUPT: Mutex<Option<jsonata_core::evaluator::CancelToken>> = Mutex::new(None);

/// Stop the evaluations running now at their next check (a person pressed Esc, or a
/// signal came); they fail with a cause that says so. Later evaluations are unaffected.
pub fn interrupt() {
    if let Ok(mut t) = INTERRUPT.lock()
        && let Some(token) = t.take()
    {
        token.cancel();
    }
}

/// The token an evaluation starting now watches.
pub(crate) fn interrupt_token() -> jsonata_core::evaluator::CancelToken {
    match INTERRUPT.lock() {
        Ok(mut t) => t.get_or_insert_with(Default::default).clone(),
        Err(_) => Default::default(),
    }
}

/// An expression failed at run time. `error` is the ASL error name (`States.Runtime`,
/// `States.QueryEvaluationError`, ...); `cause` is the text AWS puts after
/// "An error occurred while executing the state 'X' (entered at the event id #N). ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub error: String,
    pub cause: String,
}

impl ExprError {
    pub fn runtime(cause: impl Into<String>) -> Self {
        ExprError {
            error: "States.Runtime".into(),
            cause: cause.into(),
        }
    }
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}
