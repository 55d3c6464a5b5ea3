//! Expressions evaluated inside states: JSONPath queries, reference paths, payload
//! templates, intrinsic functions and JSONata.

pub mod intrinsics;
pub mod jsonata;
pub mod jsonpath;
pub mod template;

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
