//! Choice rules in JSONPath mode (JSONata `Condition`s are evaluated by the engine).

use super::time::parse_timestamp;
use crate::asl::model::{Op, Operand, Rule};
use crate::expr::ExprError;
use crate::expr::jsonpath::JsonPath;
use crate::expr::template::{PathFailure, Scope, resolve_path};
use crate::json::Value;
use std::cmp::Ordering;

/// Evaluate a JSONPath-mode rule (And/Or/Not/comparisons) against `input`.
/// `condition` evaluates JSONata conditions (not reachable from JSONPath rules).
pub fn eval_rule(rule: &Rule, input: &Value, scope: &dyn Scope) -> Result<bool, ExprError> {
    match rule {
        Rule::And(rules) => {
            for r in rules {
                if !eval_rule(r, input, scope)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Rule::Or(rules) => {
            for r in rules {
                if eval_rule(r, input, scope)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Rule::Not(r) => Ok(!eval_rule(r, input, scope)?),
        Rule::Compare {
            variable,
            op,
            operand,
        } => compare(variable, *op, operand, input, scope),
        Rule::Condition(_) => Err(ExprError::runtime(
            "a JSONata Condition in a JSONPath state",
        )),
    }
}

fn invalid_path(path: &JsonPath) -> ExprError {
    ExprError::runtime(format!(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        path.text()
    ))
}

fn compare(
    variable: &JsonPath,
    op: Op,
    operand: &Operand,
    input: &Value,
    scope: &dyn Scope,
) -> Result<bool, ExprError> {
    let var = match resolve_path(variable, input, scope) {
        Ok(v) => Some(v),
        Err(PathFailure::NotFound) => None,
        Err(PathFailure::Error(e)) => return Err(e),
    };
    if op == Op::IsPresent {
        return Ok(var.is_some() == operand_bool(operand));
    }
    let Some(var) = var else {
        return Err(invalid_path(variable));
    };
    let expected: Value = match operand {
        Operand::Value(v) => v.clone(),
        Operand::Path(p) => match resolve_path(p, input, scope) {
            Ok(v) => v,
            Err(PathFailure::NotFound) => return Err(invalid_path(p)),
            Err(PathFailure::Error(e)) => return Err(e),
        },
    };
    let want = expected.as_bool().unwrap_or(false);
    Ok(match op {
        Op::IsNull => var.is_null() == want,
        Op::IsNumeric => var.is_number() == want,
        Op::IsString => var.is_string() == want,
        Op::IsBoolean => var.is_boolean() == want,
        Op::IsTimestamp => var.as_str().and_then(parse_timestamp).is_some() == want,
        Op::IsPresent => unreachable!(),
        Op::BooleanEquals => {
            matches!((&var, &expected), (Value::Bool(a), Value::Bool(b)) if a == b)
        }
        Op::StringMatches => match (&var, &expected) {
            (Value::String(s), Value::String(pattern)) => string_matches(s, pattern),
            _ => false,
        },
        Op::StringEquals
        | Op::StringLessThan
        | Op::StringGreaterThan
        | Op::StringLessThanEquals
        | Op::StringGreaterThanEquals => match (&var, &expected) {
            (Value::String(a), Value::String(b)) => ordering_holds(op, java_compare(a, b)),
            _ => false,
        },
        Op::NumericEquals
        | Op::NumericLessThan
        | Op::NumericGreaterThan
        | Op::NumericLessThanEquals
        | Op::NumericGreaterThanEquals => match (&var, &expected) {
            (Value::Number(a), Value::Number(b)) => match numeric_compare(a, b) {
                Some(o) => ordering_holds(op, o),
                None => false,
            },
            _ => false,
        },
        Op::TimestampEquals
        | Op::TimestampLessThan
        | Op::TimestampGreaterThan
        | Op::TimestampLessThanEquals
        | Op::TimestampGreaterThanEquals => {
            let a = var.as_str().and_then(parse_timestamp);
            let b = expected.as_str().and_then(parse_timestamp);
            match (a, b) {
                (Some(a), Some(b)) => ordering_holds(op, a.cmp(&b)),
                _ => false,
            }
        }
    })
}

fn operand_bool(operand: &Operand) -> bool {
    matches!(operand, Operand::Value(Value::Bool(true)))
}

fn ordering_holds(op: Op, o: Ordering) -> bool {
    let name = op.name();
    if name.ends_with("GreaterThanEquals") {
        o != Ordering::Less
    } else if name.ends_with("LessThanEquals") {
        o != Ordering::Greater
    } else if name.ends_with("GreaterThan") {
        o == Ordering::Greater
    } else if name.ends_with("LessThan") {
        o == Ordering::Less
    } else {
        o == Ordering::Equal
    }
}

/// Java's `String.compareTo`: lexicographic over UTF-16 code units.
pub fn java_compare(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn numeric_compare(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literals.
pub fn string_matches(s: &str, pattern: &str) -> bool {
    enum Tok {
        Lit(char),
        Star,
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => toks.push(Tok::Lit(chars.next().unwrap_or('\\'))),
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Lit(c)),
        }
    }
    let text: Vec<char> = s.chars().collect();
    // Greedy matching with backtracking to the last star (linear in practice).
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Lit(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|t| matches!(t, Tok::Star))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_matches_wildcards_and_escapes() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("abc", "*"));
        assert!(string_matches("a*c", "a\\*c"));
        assert!(!string_matches("abc", "a\\*c"));
        assert!(string_matches("a\\b", "a\\\\b"));
        assert!(!string_matches("abd", "a*c"));
        assert!(string_matches("", "*"));
    }

    #[test]
    fn java_ordering_uses_utf16_units() {
        // U+FF61 sorts after U+1F600 in UTF-8 but before it in UTF-16 (surrogates).
        assert_eq!(java_compare("\u{FF61}", "\u{1F600}"), Ordering::Greater);
        assert_eq!(java_compare("a", "b"), Ordering::Less);
    }
}
