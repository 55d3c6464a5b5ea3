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
pub fn json_type_name(v: &crate::json::Value) -> &'static str {
    use crate::json::Value;
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
pub fn compact(v: &crate::json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Whether two values are the same JSON text: equal, and their objects' members in the
/// same order (`==` on values ignores member order, which a reader sees).
pub fn identical(a: &crate::json::Value, b: &crate::json::Value) -> bool {
    use crate::json::Value;
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| identical(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, x), (ky, y))| kx == ky && identical(x, y))
        }
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => false,
        _ => a == b,
    }
}

/// The length of [`compact`]'s text, counted as it is written (the text is not built).
pub fn compact_len(v: &crate::json::Value) -> usize {
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

/// Whether [`compact`]'s text of `v` is longer than `limit` bytes (the payload limits). A
/// walk that bounds the text's length from above settles most values without writing
/// them out; only a value that may be too long is measured.
pub fn compact_len_exceeds(v: &crate::json::Value, limit: usize) -> bool {
    compact_len_exceeds_bound(v, compact_len_bound(v), limit)
}

/// [`compact_len_exceeds`] with `bound`, an upper bound of `v`'s compact length already
/// known (from [`compact_len_bound`], or added up from the parts `v` was made of).
pub fn compact_len_exceeds_bound(v: &crate::json::Value, bound: usize, limit: usize) -> bool {
    bound > limit && compact_len(v) > limit
}

/// The bound [`compact_len_bound`] gives an array whose elements' bounds add up to
/// `elements_bound`.
pub fn array_len_bound(len: usize, elements_bound: usize) -> usize {
    len.max(1) + 1 + elements_bound
}

/// An upper bound of `v`'s compact length: exact but for floating-point numbers, counted
/// as the longest one (`-1.7976931348623157e308`, 24 bytes). No early exit: a value over
/// the bound is walked again to be measured anyway.
pub fn compact_len_bound(v: &crate::json::Value) -> usize {
    use crate::json::Value;
    match v {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(n) => number_len(n),
        Value::String(s) => quoted_len(s),
        // Brackets and a comma between elements.
        Value::Array(items) => {
            let mut elements = 0;
            for item in items {
                elements += compact_len_bound(item);
            }
            array_len_bound(items.len(), elements)
        }
        // Braces, a colon per member and a comma between members.
        Value::Object(map) => {
            let mut len = (2 * map.len()).max(1) + 1;
            for (k, item) in map {
                len += quoted_len(k) + compact_len_bound(item);
            }
            len
        }
    }
}

/// The length of an integer as JSON writes it; a float's longest.
fn number_len(n: &serde_json::Number) -> usize {
    fn digits(n: u64) -> usize {
        n.checked_ilog10().map_or(1, |d| d as usize + 1)
    }
    if let Some(u) = n.as_u64() {
        digits(u)
    } else if let Some(i) = n.as_i64() {
        1 + digits(i.unsigned_abs())
    } else {
        24
    }
}

/// The length of a string as JSON writes it: quoted, `"` and `\` and control characters
/// escaped (`\n` and the like in two bytes, the others as `\u00XX`).
fn quoted_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    // Short strings (member names, most values) in a plain loop; longer ones counted
    // without an early exit, which the compiler vectorizes: most have nothing to escape.
    let clean = if bytes.len() <= 16 {
        !bytes.iter().any(|&b| escaped(b))
    } else {
        escapes_in(bytes) == 0
    };
    if clean {
        s.len() + 2
    } else {
        escaped_quoted_len(bytes)
    }
}

#[inline(never)]
fn escaped_quoted_len(bytes: &[u8]) -> usize {
    2 + bytes
        .iter()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..0x20 => 6,
            _ => 1,
        })
        .sum::<usize>()
}

fn escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// How many bytes of `bytes` JSON escapes. Out of line: its vectorized loop would make
/// every call of the recursive walk above save and restore registers.
#[inline(never)]
fn escapes_in(bytes: &[u8]) -> usize {
    bytes.iter().fold(0, |n, &b| n + usize::from(escaped(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn identical_values_are_equal_in_member_order_too() {
        let ab = json!({"a": 1, "b": [1, {"c": null}]});
        assert!(identical(&ab, &ab.clone()));
        assert!(!identical(&ab, &json!({"b": [1, {"c": null}], "a": 1})));
        assert!(!identical(
            &json!([{"a": 1, "b": 2}]),
            &json!([{"b": 2, "a": 1}])
        ));
        assert!(!identical(&json!(1), &json!(1.0)));
        assert!(!identical(&json!([1]), &json!([1, 2])));
        assert!(!identical(&json!({"a": 1}), &json!([1])));
        assert!(identical(&json!("x"), &json!("x")));
    }

    #[test]
    fn compact_len_exceeds_agrees_with_the_exact_length() {
        let values = [
            json!(null),
            json!(true),
            json!(-1.7976931348623157e308),
            json!(u64::MAX),
            json!("a\u{1}\"\\é\n\u{8}\u{c}\u{1f}\u{7f}"),
            json!(-42),
            json!(i64::MIN),
            json!(0),
            json!(1.0),
            json!({"id": 1, "total": [1, 2.5, "x"], "nested": {"k\n": null}}),
            json!([[], {}, "", 0]),
            json!({"big": "x".repeat(300)}),
        ];
        for v in &values {
            let exact = compact_len(v);
            // Exact but for floats, so a value near the limit is seldom measured.
            let bound = compact_len_bound(v);
            assert!(bound >= exact, "{v}");
            if !v.to_string().contains('.') {
                assert_eq!(bound, exact, "{v}");
            }
            for limit in 0..exact + 3 {
                assert_eq!(
                    compact_len_exceeds(v, limit),
                    exact > limit,
                    "{v} at {limit}"
                );
            }
        }
    }
}
