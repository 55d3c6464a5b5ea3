//! Expressions evaluated inside states: JSONPath queries, reference paths, payload
//! templates, intrinsic functions and JSONata.

pub mod intrinsics;
pub mod jsonata;
pub mod jsonpath;
pub mod template;

pub mod budget;

pub use budget::{Budget, interrupt};

/// An expression that does not parse: the one-line message the validator shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SyntaxError(pub String);

impl std::ops::Deref for SyntaxError {
    type Target = str;

    /// The message, as text.
    fn deref(&self) -> &str {
        &self.0
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

/// Compact JSON text, as AWS writes payloads in history events and quotes values in
/// messages.
pub fn compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The length of [`compact`]'s text, counted as it is written (the text is not built).
pub fn compact_len(v: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}
