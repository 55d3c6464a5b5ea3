//! Java's semantics where AWS shows them: JSON literals as json-smart reads them,
//! `BigDecimal`-like number text, `Double.toString`, `String.compareTo`.

use super::*;
use crate::json::{Map, Value};
use serde_json::Number;
use std::cmp::Ordering;

/// A JSON literal in a filter, parsed leniently as json-smart's permissive mode does:
/// single-quoted strings and unquoted keys are accepted.
pub(super) struct JsonLiteral<'s> {
    pub(super) s: &'s [char],
    pub(super) pos: usize,
}

impl JsonLiteral<'_> {
    pub(super) fn parse(mut self) -> Result<Value, String> {
        let value = self.value(0)?;
        self.skip_ws();
        if self.pos != self.s.len() {
            return Err(self.error());
        }
        Ok(value)
    }

    pub(super) fn error(&self) -> String {
        format!(
            "Invalid JSON literal {} at position {}",
            excerpt(self.s),
            self.pos
        )
    }

    pub(super) fn skip_ws(&mut self) {
        while self.s.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    pub(super) fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_JSON_DEPTH {
            return Err("JSON literal is nested too deeply".to_string());
        }
        self.skip_ws();
        match self.s.get(self.pos) {
            Some('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(']') {
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(']') {
                        return Ok(Value::Array(items));
                    }
                    if !self.eat(',') {
                        return Err(self.error());
                    }
                }
            }
            Some('{') => {
                self.pos += 1;
                let mut map = Map::new();
                if self.eat('}') {
                    return Ok(Value::Object(map));
                }
                loop {
                    self.skip_ws();
                    let key = match self.s.get(self.pos) {
                        Some(&q @ ('\'' | '"')) => self.string(q)?,
                        _ => self.bare_word(),
                    };
                    if key.is_empty() || !self.eat(':') {
                        return Err(self.error());
                    }
                    let value = self.value(depth + 1)?;
                    map.insert(key, value);
                    if self.eat('}') {
                        return Ok(Value::Object(map));
                    }
                    if !self.eat(',') {
                        return Err(self.error());
                    }
                }
            }
            Some(&q @ ('\'' | '"')) => self.string(q).map(Value::from),
            Some(_) => {
                let word = self.bare_word();
                match word.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" => Ok(Value::Null),
                    _ => json_number(&word).ok_or_else(|| self.error()),
                }
            }
            None => Err(self.error()),
        }
    }

    pub(super) fn bare_word(&mut self) -> String {
        let begin = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|&c| !c.is_whitespace() && !matches!(c, ',' | ':' | ']' | '}' | '[' | '{'))
        {
            self.pos += 1;
        }
        text(&self.s[begin..self.pos])
    }

    pub(super) fn string(&mut self, quote: char) -> Result<String, String> {
        let close = next_unescaped(self.s, self.pos, quote).ok_or_else(|| self.error())?;
        let raw = &self.s[self.pos + 1..close];
        self.pos = close + 1;
        java_unescape(raw)
    }
}

/// A JSON number as serde_json would read it (integers exactly when they fit).
pub(super) fn json_number(word: &str) -> Option<Value> {
    let number = BigDec::parse(word)?;
    if let JNum::Int(i) = number.to_jnum()
        && !word.contains(['.', 'e', 'E'])
    {
        if let Ok(i) = i64::try_from(i) {
            return Some(Value::from(i));
        }
        if let Ok(u) = u64::try_from(i) {
            return Some(Value::from(u));
        }
    }
    Number::from_f64(number.to_jnum().as_f64()).map(Value::Number)
}

/// A decimal as Java's `BigDecimal(String)` reads it: `unscaled × 10^-scale`.
pub(super) struct BigDec {
    pub(super) negative: bool,
    /// Digits without leading zeros ("0" for zero).
    pub(super) unscaled: String,
    pub(super) scale: i64,
}

impl BigDec {
    pub(super) fn parse(s: &str) -> Option<BigDec> {
        let (negative, s) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                e.strip_prefix('+').unwrap_or(e).parse().ok()?
            }
        };
        let digits = format!("{int}{frac}");
        let unscaled = digits.trim_start_matches('0');
        let unscaled = if unscaled.is_empty() { "0" } else { unscaled };
        Some(BigDec {
            negative,
            unscaled: unscaled.to_string(),
            scale: i64::try_from(frac.len()).ok()?.checked_sub(exponent)?,
        })
    }

    /// `BigDecimal.toString()`.
    pub(super) fn to_java_string(&self) -> String {
        let coeff = self.unscaled.as_str();
        let len = coeff.len() as i64;
        let mut out = String::new();
        if self.negative && coeff != "0" {
            out.push('-');
        }
        if self.scale == 0 {
            out.push_str(coeff);
            return out;
        }
        let adjusted = len - 1 - self.scale;
        if self.scale > 0 && adjusted >= -6 {
            if self.scale >= len {
                out.push_str("0.");
                out.push_str(&"0".repeat((self.scale - len) as usize));
                out.push_str(coeff);
            } else {
                let split = (len - self.scale) as usize;
                out.push_str(&coeff[..split]);
                out.push('.');
                out.push_str(&coeff[split..]);
            }
        } else {
            out.push_str(&coeff[..1]);
            if len > 1 {
                out.push('.');
                out.push_str(&coeff[1..]);
            }
            if adjusted != 0 {
                out.push('E');
                if adjusted > 0 {
                    out.push('+');
                }
                out.push_str(&adjusted.to_string());
            }
        }
        out
    }

    pub(super) fn to_jnum(&self) -> JNum {
        let sign = if self.negative { "-" } else { "" };
        if self.scale <= 0 && self.unscaled.len() as i64 - self.scale <= 38 {
            let digits = format!(
                "{sign}{}{}",
                self.unscaled,
                "0".repeat((-self.scale) as usize)
            );
            if let Ok(i) = digits.parse::<i128>() {
                return JNum::Int(i);
            }
        }
        let float = format!("{sign}{}e{}", self.unscaled, -self.scale);
        JNum::Float(float.parse().unwrap_or(f64::NAN))
    }
}

/// Java's `Double.toString`.
pub(super) fn java_double_string(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let sci = format!("{:e}", f.abs());
    let Some((mantissa, exponent)) = sci.split_once('e') else {
        return f.to_string();
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return f.to_string();
    };
    let digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if (1e-3..1e7).contains(&f.abs()) {
        if exponent >= 0 {
            let int_len = exponent as usize + 1;
            if digits.len() > int_len {
                format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
            } else {
                format!("{sign}{digits}{}.0", "0".repeat(int_len - digits.len()))
            }
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exponent - 1) as usize))
        }
    } else {
        let frac = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{frac}E{exponent}", &digits[..1])
    }
}

/// The text Jayway gives a number when it compares it with a string:
/// `new BigDecimal(value.toString()).toString()`.
pub(super) fn number_text(n: JNum) -> String {
    match n {
        JNum::Int(i) => i.to_string(),
        JNum::Float(f) => {
            let java = java_double_string(f);
            BigDec::parse(&java).map_or(java, |d| d.to_java_string())
        }
    }
}

/// Java's `String.compareTo` (UTF-16 code units).
pub(super) fn java_compare(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}
