//! The JSONPath-mode intrinsic functions (`States.Format(...)`, `States.MathAdd(...)`, ...),
//! parsed once at load time and evaluated the way AWS Step Functions evaluates them.
//!
//! Behaviour follows AWS, not the letter of the documentation, where the two differ:
//! * argument numbers are cut to integers (`ArrayRange`, `ArrayPartition`, `ArrayGetItem`,
//!   `MathRandom`), except `MathAdd`, which rounds half up (Java `Math.round`);
//! * `MathRandom(start, end[, seed])` draws from `[start, end)`; with a seed it uses Java's
//!   `java.util.Random(seed).nextInt(end - start) + start`, so seeded results match AWS;
//! * `StringSplit` splits on any of the delimiter characters and drops empty pieces;
//! * `ArrayContains` compares values by their Java text form (the form `States.Format` prints),
//!   so key order matters and `"true"` matches `true`;
//! * `Base64Decode` ignores characters outside the Base64 alphabet and stops at the first `=`;
//! * `StringToJson` of a blank string is `null`.
//!
//! Run-time failures are `States.Runtime` with the cause
//! `There was an error while evaluating the intrinsic function: <call>. <detail>`, where the
//! detail is `Invalid arguments in States.X` (or a more specific sentence for `States.Format`).

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::json::Value;
use base64::Engine as _;
use md5::Md5;
use serde_json::Number;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{ExprError, jsonpath::JsonPath};

/// AWS: "You can nest up to 10 intrinsic functions within a field". The outermost call is
/// level 1; a call at level 11 is rejected.
pub const MAX_NESTING: usize = 10;

/// Maximum input length (in UTF-16 code units, as Java counts) of `States.Hash`,
/// `States.Base64Encode` and `States.Base64Decode`.
pub const MAX_INPUT_CHARS: usize = 10_000;

/// Maximum number of items `States.ArrayRange` may produce.
pub const MAX_RANGE_ITEMS: i128 = 1000;

/// The intrinsic functions of JSONPath states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Function {
    pub const ALL: [Function; 18] = [
        Function::Format,
        Function::StringToJson,
        Function::JsonToString,
        Function::Array,
        Function::ArrayPartition,
        Function::ArrayContains,
        Function::ArrayRange,
        Function::ArrayGetItem,
        Function::ArrayLength,
        Function::ArrayUnique,
        Function::Base64Encode,
        Function::Base64Decode,
        Function::Hash,
        Function::JsonMerge,
        Function::MathRandom,
        Function::MathAdd,
        Function::StringSplit,
        Function::Uuid,
    ];

    /// The full name, e.g. `States.ArrayGetItem`.
    pub fn name(self) -> &'static str {
        match self {
            Function::Format => "States.Format",
            Function::StringToJson => "States.StringToJson",
            Function::JsonToString => "States.JsonToString",
            Function::Array => "States.Array",
            Function::ArrayPartition => "States.ArrayPartition",
            Function::ArrayContains => "States.ArrayContains",
            Function::ArrayRange => "States.ArrayRange",
            Function::ArrayGetItem => "States.ArrayGetItem",
            Function::ArrayLength => "States.ArrayLength",
            Function::ArrayUnique => "States.ArrayUnique",
            Function::Base64Encode => "States.Base64Encode",
            Function::Base64Decode => "States.Base64Decode",
            Function::Hash => "States.Hash",
            Function::JsonMerge => "States.JsonMerge",
            Function::MathRandom => "States.MathRandom",
            Function::MathAdd => "States.MathAdd",
            Function::StringSplit => "States.StringSplit",
            Function::Uuid => "States.UUID",
        }
    }

    /// Look a function up by its full name (`States.Format`). Names are case-sensitive.
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Minimum and maximum (None: unbounded) number of arguments.
    pub fn arity(self) -> (usize, Option<usize>) {
        match self {
            Function::Format => (1, None),
            Function::Array => (0, None),
            Function::Uuid => (0, Some(0)),
            Function::StringToJson
            | Function::JsonToString
            | Function::ArrayLength
            | Function::ArrayUnique
            | Function::Base64Encode
            | Function::Base64Decode => (1, Some(1)),
            Function::ArrayPartition
            | Function::ArrayContains
            | Function::ArrayGetItem
            | Function::Hash
            | Function::MathAdd
            | Function::StringSplit => (2, Some(2)),
            Function::ArrayRange | Function::JsonMerge => (3, Some(3)),
            Function::MathRandom => (2, Some(3)),
        }
    }
}

/// One argument of an intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A string (escapes already applied), number, `true`, `false` or `null`.
    Literal(Value),
    /// `$...`, `$$...` or `$var...`, resolved by [`IntrinsicEnv::resolve`].
    Path(JsonPath),
    /// A nested intrinsic call.
    Call(Box<Intrinsic>),
}

/// A parsed intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub struct Intrinsic {
    pub function: Function,
    pub args: Vec<Arg>,
    /// Each argument as written (trimmed), for error messages.
    arg_texts: Vec<String>,
    /// For `States.Format` with a string-literal first argument: the template, split at its
    /// `{}` placeholders with the escapes `\{`, `\}` taken as literal braces; or the error
    /// AWS raises for it at run time.
    template: Option<Result<Vec<Piece>, String>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Placeholder,
}

impl Intrinsic {
    /// Whether an argument, at any depth, is a `$...` path (reads the input).
    pub fn reads_input(&self) -> bool {
        self.args.iter().any(|a| match a {
            Arg::Literal(_) => false,
            Arg::Path(p) => *p.root() == crate::expr::jsonpath::PathRoot::Input,
            Arg::Call(c) => c.reads_input(),
        })
    }

    /// The call in a normalised form: `States.X(arg1, arg2)`, each argument as written.
    pub fn text(&self) -> String {
        format!("{}({})", self.function.name(), self.arg_texts.join(", "))
    }
}

/// True when a `.$` value is an intrinsic call (`States.` + name + `(`).
pub fn is_intrinsic(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("States.") else {
        return false;
    };
    let name_len = rest.bytes().take_while(|b| is_ident_byte(*b)).count();
    name_len > 0 && rest[name_len..].trim_start().starts_with('(')
}

/// Parse an intrinsic call. The error is a one-line message for the validator.
pub fn parse(text: &str) -> Result<Intrinsic, super::SyntaxError> {
    parse_text(text).map_err(super::SyntaxError)
}

fn parse_text(text: &str) -> Result<Intrinsic, String> {
    let mut p = Parser { src: text, pos: 0 };
    p.skip_ws();
    let call = p.call(1)?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(format!(
            "Unexpected text after the intrinsic function call at position {}: '{}'",
            p.pos,
            text[p.pos..].chars().take(40).collect::<String>()
        ));
    }
    Ok(call)
}

/// What evaluation needs from the engine.
pub trait IntrinsicEnv {
    /// Resolve a path argument (`$...`, `$$...`, `$var...`) to its value. An error's cause
    /// should be AWS's bare sentence, e.g. `The JsonPath argument for the field '$.x' could
    /// not be found in the input '{}'`: [`eval`] prefixes it with
    /// `There was an error while evaluating the intrinsic function: <call>. `.
    fn resolve(&self, path: &JsonPath) -> Result<Value, ExprError>;
    /// Deterministic randomness from the engine's seeded RNG.
    fn next_u64(&mut self) -> u64;
}

/// A call's evaluated arguments: most calls have one to three, kept off the heap.
type Args = smallvec::SmallVec<[Value; 3]>;

/// Evaluate a parsed call: arguments left to right, innermost calls first.
pub fn eval(f: &Intrinsic, env: &mut dyn IntrinsicEnv) -> Result<Value, ExprError> {
    let mut values = Args::with_capacity(f.args.len());
    for arg in &f.args {
        values.push(match arg {
            Arg::Literal(v) => v.clone(),
            Arg::Path(p) => env.resolve(p).map_err(|e| ExprError {
                error: e.error,
                cause: format!("{} {}", envelope(f), e.cause),
            })?,
            Arg::Call(c) => eval(c, env)?,
        });
    }
    apply(f, values, env).map_err(|detail| ExprError::runtime(format!("{} {detail}", envelope(f))))
}

fn envelope(f: &Intrinsic) -> String {
    format!(
        "There was an error while evaluating the intrinsic function: {}.",
        f.text()
    )
}

fn invalid(f: &Intrinsic) -> String {
    format!("Invalid arguments in {}", f.function.name())
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// `States.Name(arg, ...)` starting at `pos`; `depth` is this call's nesting level.
    fn call(&mut self, depth: usize) -> Result<Intrinsic, String> {
        if depth > MAX_NESTING {
            return Err(format!(
                "Intrinsic functions can be nested at most {MAX_NESTING} levels deep"
            ));
        }
        let start = self.pos;
        let rest = &self.src[start..];
        if !rest.starts_with("States.") {
            return Err(format!(
                "Expected an intrinsic function call ('States.<Name>(...)') at position {start}"
            ));
        }
        let name_start = start + "States.".len();
        let name_len = self.src[name_start..]
            .bytes()
            .take_while(|b| is_ident_byte(*b))
            .count();
        let name = &self.src[start..name_start + name_len];
        let function = Function::from_name(name)
            .ok_or_else(|| format!("Unknown intrinsic function '{name}'"))?;
        self.pos = name_start + name_len;
        self.skip_ws();
        if self.peek() != Some(b'(') {
            return Err(format!("Expected '(' after '{name}'"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        let mut arg_texts = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let arg_start = self.pos;
                let arg = self.arg(depth, name)?;
                arg_texts.push(self.src[arg_start..self.pos].trim_end().to_string());
                args.push(arg);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_ws();
                        if self.peek() == Some(b')') {
                            return Err(format!("Missing argument after ',' in '{name}'"));
                        }
                    }
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    None => return Err(format!("Missing closing parenthesis for '{name}'")),
                    Some(_) => {
                        return Err(format!(
                            "Unexpected character '{}' at position {} in the arguments of '{name}'",
                            self.src[self.pos..].chars().next().unwrap_or(' '),
                            self.pos
                        ));
                    }
                }
            }
        }
        let (min, max) = function.arity();
        let n = args.len();
        if n < min || max.is_some_and(|m| n > m) {
            let expected = match max {
                None => format!("at least {min} argument{}", plural(min)),
                Some(m) if m == min => format!("{min} argument{}", plural(min)),
                Some(m) => format!("{min} to {m} arguments"),
            };
            return Err(format!("{name} takes {expected}, but {n} were given"));
        }
        let template = match (function, args.first(), arg_texts.first()) {
            (Function::Format, Some(Arg::Literal(Value::String(_))), Some(raw)) => {
                Some(template(&raw[1..raw.len() - 1], true))
            }
            _ => None,
        };
        Ok(Intrinsic {
            function,
            args,
            arg_texts,
            template,
        })
    }

    fn arg(&mut self, depth: usize, fname: &str) -> Result<Arg, String> {
        let rest = &self.src[self.pos..];
        match self.peek() {
            Some(b'\'') => self.string(),
            Some(b'$') => self.path(fname),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) if rest.starts_with("States.") => {
                Ok(Arg::Call(Box::new(self.call(depth + 1)?)))
            }
            Some(_) => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if rest.starts_with(word)
                        && !rest
                            .as_bytes()
                            .get(word.len())
                            .is_some_and(|b| is_ident_byte(*b))
                    {
                        self.pos += word.len();
                        return Ok(Arg::Literal(value));
                    }
                }
                let token: String = rest
                    .chars()
                    .take_while(|c| !matches!(c, ',' | ')' | ' '))
                    .take(40)
                    .collect();
                Err(format!(
                    "Invalid argument '{token}' at position {} in '{fname}': expected a string \
                     literal, a number, true, false, null, a path or an intrinsic function call",
                    self.pos
                ))
            }
            None => Err(format!("Missing closing parenthesis for '{fname}'")),
        }
    }

    /// A single-quoted string literal. Escapes: `\'`, `\{`, `\}`, `\\`.
    fn string(&mut self) -> Result<Arg, String> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        let mut chars = self.src[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\'' => {
                    self.pos += i + 1;
                    return Ok(Arg::Literal(Value::from(value)));
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('\'' | '{' | '}' | '\\'))) => value.push(e),
                    Some((_, e)) => {
                        return Err(format!(
                            "Invalid escape sequence '\\{e}' in the string literal at position \
                             {start}: only \\', \\{{, \\}} and \\\\ are allowed"
                        ));
                    }
                    None => break,
                },
                c => value.push(c),
            }
        }
        Err(format!("Unterminated string literal at position {start}"))
    }

    /// A path runs to the next `,` or `)` outside brackets, parentheses and quotes.
    fn path(&mut self, fname: &str) -> Result<Arg, String> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let mut brackets = 0usize;
        let mut parens = 0usize;
        let mut quote: Option<u8> = None;
        let mut i = start;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            } else {
                match b {
                    b'\'' | b'"' if brackets > 0 || parens > 0 => quote = Some(b),
                    b'[' => brackets += 1,
                    b']' => brackets = brackets.saturating_sub(1),
                    b'(' => parens += 1,
                    b')' if parens > 0 => parens -= 1,
                    b',' | b')' if brackets == 0 && parens == 0 => break,
                    _ => {}
                }
            }
            i += 1;
        }
        let i = i.min(bytes.len());
        if i >= bytes.len() {
            return Err(format!("Missing closing parenthesis for '{fname}'"));
        }
        let text = self.src[start..i].trim_end();
        self.pos = start + text.len();
        JsonPath::parse(text)
            .map(Arg::Path)
            .map_err(|e| format!("Invalid path '{text}' in '{fname}': {e}"))
    }

    /// A JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<Arg, String> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let mut i = start;
        let digits = |i: &mut usize| {
            let s = *i;
            while *i < bytes.len() && bytes[*i].is_ascii_digit() {
                *i += 1;
            }
            *i - s
        };
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        let n = digits(&mut i);
        let mut ok = n > 0 && !(n > 1 && bytes[int_start] == b'0');
        let mut float = false;
        if ok && bytes.get(i) == Some(&b'.') {
            i += 1;
            float = true;
            ok = digits(&mut i) > 0;
        }
        if ok && matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            float = true;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            ok = digits(&mut i) > 0;
        }
        if ok
            && bytes
                .get(i)
                .is_some_and(|b| is_ident_byte(*b) || *b == b'.')
        {
            ok = false;
        }
        if !ok {
            let token: String = self.src[start..]
                .chars()
                .take_while(|c| !matches!(c, ',' | ')' | ' '))
                .take(40)
                .collect();
            return Err(format!(
                "Invalid number literal '{token}' at position {start}"
            ));
        }
        let text = &self.src[start..i];
        self.pos = i;
        let number = if !float {
            if let Ok(v) = text.parse::<i64>() {
                Some(Number::from(v))
            } else if let Ok(v) = text.parse::<u64>() {
                Some(Number::from(v))
            } else {
                text.parse::<f64>().ok().and_then(Number::from_f64)
            }
        } else {
            text.parse::<f64>().ok().and_then(Number::from_f64)
        };
        number
            .map(|n| Arg::Literal(Value::Number(n)))
            .ok_or_else(|| format!("Number literal '{text}' is out of range"))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Split a `States.Format` template at its `{}` placeholders. With `escapes`, `\x` stands
/// for the character `x` (the literal's escapes: `\{`, `\}`, `\'`, `\\`).
fn template(raw: &str, escapes: bool) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if escapes => {
                if let Some(e) = chars.next() {
                    text.push(e);
                }
            }
            '{' => {
                if chars.next_if_eq(&'}').is_none() {
                    return Err(
                        "Invalid template in States.Format: matching '}' not found for '{'.".into(),
                    );
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Placeholder);
            }
            '}' => {
                return Err(
                    "Invalid template in States.Format: matching '{' not found for '}'.".into(),
                );
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// Run the function on its evaluated arguments. The error is the detail sentence.
fn apply(f: &Intrinsic, a: Args, env: &mut dyn IntrinsicEnv) -> Result<Value, String> {
    match f.function {
        Function::Format
        | Function::StringToJson
        | Function::JsonToString
        | Function::StringSplit
        | Function::Base64Encode
        | Function::Base64Decode
        | Function::Hash
        | Function::Uuid => apply_text(f, a, env),
        Function::Array
        | Function::ArrayPartition
        | Function::ArrayContains
        | Function::ArrayRange
        | Function::ArrayGetItem
        | Function::ArrayLength
        | Function::ArrayUnique => apply_array(f, a, env),
        Function::JsonMerge | Function::MathRandom | Function::MathAdd => {
            apply_json_math(f, a, env)
        }
    }
}

/// Strings, JSON text, encodings, hashes and UUIDs.
fn apply_text(f: &Intrinsic, a: Args, env: &mut dyn IntrinsicEnv) -> Result<Value, String> {
    let bad = || invalid(f);
    match f.function {
        Function::Format => {
            let pieces = match &f.template {
                Some(t) => t.clone()?,
                None => match &a[0] {
                    Value::String(s) => template(s, false)?,
                    _ => return Err(bad()),
                },
            };
            let placeholders = pieces.iter().filter(|p| **p == Piece::Placeholder).count();
            if placeholders != a.len() - 1 {
                return Err(format!(
                    "{}: number of arguments do not match the occurrences of {{}}.",
                    bad()
                ));
            }
            let mut out = String::new();
            let mut values = a[1..].iter();
            for piece in &pieces {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Placeholder => {
                        if let Some(v) = values.next() {
                            java_text(v, &mut out);
                        }
                    }
                }
            }
            Ok(Value::from(out))
        }
        Function::StringToJson => {
            let Value::String(s) = &a[0] else {
                return Err(bad());
            };
            if s.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
                return Ok(Value::Null);
            }
            // Like Jackson's readTree: the first JSON value; anything after it is ignored.
            match serde_json::Deserializer::from_str(s)
                .into_iter::<Value>()
                .next()
            {
                Some(Ok(mut v)) => {
                    integer_zero(&mut v);
                    Ok(v)
                }
                _ => Err(bad()),
            }
        }
        Function::JsonToString => serde_json::to_string(&a[0])
            .map(Value::from)
            .map_err(|_| bad()),
        Function::StringSplit => {
            let (Value::String(s), Value::String(delims)) = (&a[0], &a[1]) else {
                return Err(bad());
            };
            // java.util.StringTokenizer: any delimiter character splits; no empty tokens.
            Ok(Value::Array(
                s.split(|c: char| delims.contains(c))
                    .filter(|t| !t.is_empty())
                    .map(Value::from)
                    .collect(),
            ))
        }
        Function::Base64Encode => {
            let s = limited_string(&a[0]).ok_or_else(bad)?;
            Ok(Value::from(
                base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            ))
        }
        Function::Base64Decode => {
            let s = limited_string(&a[0]).ok_or_else(bad)?;
            let bytes = lenient_base64_decode(s);
            Ok(Value::from(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Function::Hash => {
            let data = match &a[0] {
                Value::String(s) => s.to_string(),
                // Observed on AWS: non-string data is hashed in its text form.
                other => {
                    let mut s = String::new();
                    java_text(other, &mut s);
                    s
                }
            };
            if utf16_len(&data) > MAX_INPUT_CHARS {
                return Err(bad());
            }
            let Value::String(algorithm) = &a[1] else {
                return Err(bad());
            };
            let bytes = data.as_bytes();
            let digest = match algorithm.as_str() {
                "MD5" => hex::encode(Md5::digest(bytes)),
                "SHA-1" => hex::encode(Sha1::digest(bytes)),
                "SHA-256" => hex::encode(Sha256::digest(bytes)),
                "SHA-384" => hex::encode(Sha384::digest(bytes)),
                "SHA-512" => hex::encode(Sha512::digest(bytes)),
                _ => return Err(bad()),
            };
            Ok(Value::from(digest))
        }
        Function::Uuid => {
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&env.next_u64().to_be_bytes());
            bytes[8..].copy_from_slice(&env.next_u64().to_be_bytes());
            bytes[6] = (bytes[6] & 0x0f) | 0x40;
            bytes[8] = (bytes[8] & 0x3f) | 0x80;
            let h = hex::encode(bytes);
            Ok(Value::from(format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            )))
        }
        _ => unreachable!("apply() sends only these functions here"),
    }
}

/// The array functions.
fn apply_array(f: &Intrinsic, mut a: Args, _env: &mut dyn IntrinsicEnv) -> Result<Value, String> {
    let bad = || invalid(f);
    match f.function {
        Function::Array => Ok(Value::Array(a.into_vec())),
        Function::ArrayPartition => {
            let size = a.pop().and_then(|v| truncated(&v)).ok_or_else(bad)?;
            let Value::Array(items) = a.pop().unwrap_or_default() else {
                return Err(bad());
            };
            if size < 1 {
                return Err(bad());
            }
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            Ok(Value::Array(
                items
                    .chunks(size)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        Function::ArrayContains => {
            let Value::Array(items) = &a[0] else {
                return Err(bad());
            };
            let mut wanted = String::new();
            java_text(&a[1], &mut wanted);
            let mut buf = String::new();
            Ok(Value::Bool(items.iter().any(|item| {
                buf.clear();
                java_text(item, &mut buf);
                buf == wanted
            })))
        }
        Function::ArrayRange => {
            let mut n = [0i64; 3];
            for (slot, v) in n.iter_mut().zip(&a) {
                *slot = truncated(v).ok_or_else(bad)?;
            }
            let [start, end, step] = n.map(i128::from);
            if step == 0 {
                return Err(bad());
            }
            let count = if (step > 0 && start <= end) || (step < 0 && start >= end) {
                (end - start) / step + 1
            } else {
                0
            };
            if count > MAX_RANGE_ITEMS {
                return Err(bad());
            }
            Ok(Value::Array(
                (0..count)
                    .map(|k| Value::from((start + k * step) as i64))
                    .collect(),
            ))
        }
        Function::ArrayGetItem => {
            let index = truncated(&a[1]).ok_or_else(bad)?;
            let Value::Array(items) = &mut a[0] else {
                return Err(bad());
            };
            if items.is_empty() {
                // Observed on AWS: any index into an empty array gives null.
                return Ok(Value::Null);
            }
            usize::try_from(index)
                .ok()
                .filter(|i| *i < items.len())
                .map(|i| items.swap_remove(i))
                .ok_or_else(bad)
        }
        Function::ArrayLength => match &a[0] {
            Value::Array(items) => Ok(Value::from(items.len())),
            _ => Err(bad()),
        },
        Function::ArrayUnique => {
            let Value::Array(items) = a.swap_remove(0) else {
                return Err(bad());
            };
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for item in items {
                let mut key = String::new();
                canonical(&item, &mut key);
                if seen.insert(key) {
                    out.push(item);
                }
            }
            Ok(Value::Array(out))
        }
        _ => unreachable!("apply() sends only these functions here"),
    }
}

/// JsonMerge and the math functions.
fn apply_json_math(
    f: &Intrinsic,
    mut a: Args,
    env: &mut dyn IntrinsicEnv,
) -> Result<Value, String> {
    let bad = || invalid(f);
    match f.function {
        Function::JsonMerge => {
            // Only the shallow mode exists; AWS rejects `true` and takes any other value
            // as shallow.
            if a[2] == Value::Bool(true) {
                return Err(bad());
            }
            a.truncate(2);
            let (Some(Value::Object(second)), Some(Value::Object(mut merged))) = (a.pop(), a.pop())
            else {
                return Err(bad());
            };
            for (k, v) in second {
                merged.insert(k, v);
            }
            Ok(Value::Object(merged))
        }
        Function::MathRandom => {
            let seed = match a.get(2) {
                Some(v) => Some(truncated(v).ok_or_else(bad)?),
                None => None,
            };
            let start = truncated(&a[0])
                .ok_or_else(bad)?
                .clamp(i64::from(i32::MIN), i64::from(i32::MAX));
            let end = truncated(&a[1])
                .ok_or_else(bad)?
                .clamp(i64::from(i32::MIN), i64::from(i32::MAX));
            let span = end - start;
            if span <= 0 {
                return Err(bad());
            }
            let offset = match seed {
                Some(seed) => {
                    let bound = i32::try_from(span).map_err(|_| bad())?;
                    i64::from(JavaRandom::new(seed).next_int(bound))
                }
                None => ((u128::from(env.next_u64()) * span as u128) >> 64) as i64,
            };
            Ok(Value::from(start + offset))
        }
        Function::MathAdd => {
            let x = java_round(&a[0]).ok_or_else(bad)?;
            let y = java_round(&a[1]).ok_or_else(bad)?;
            let range = i64::from(i32::MIN)..=i64::from(i32::MAX);
            let sum = x.checked_add(y).filter(|s| range.contains(s));
            match sum {
                Some(s) if range.contains(&x) && range.contains(&y) => Ok(Value::from(s)),
                _ => Err(bad()),
            }
        }
        _ => unreachable!("apply() sends only these functions here"),
    }
}

/// serde_json reads `-0` as the float -0.0; Jackson (AWS) reads it as the integer 0.
fn integer_zero(v: &mut Value) {
    match v {
        Value::Number(n) if n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()) => {
            *v = Value::from(0);
        }
        Value::Array(items) => items.iter_mut().for_each(integer_zero),
        Value::Object(map) => map.values_mut().for_each(integer_zero),
        _ => {}
    }
}

/// A number cut toward zero to an integer (Java `intValue()`-style); None if not a number.
fn truncated(v: &Value) -> Option<i64> {
    let Value::Number(n) = v else { return None };
    if let Some(i) = n.as_i64() {
        Some(i)
    } else if n.is_u64() {
        Some(i64::MAX)
    } else {
        n.as_f64().map(|f| f.trunc() as i64)
    }
}

/// Java `Math.round`: half up; None if not a number.
fn java_round(v: &Value) -> Option<i64> {
    let Value::Number(n) = v else { return None };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.is_u64() {
        return Some(i64::MAX);
    }
    let f = n.as_f64()?;
    let floor = f.floor();
    let r = if f - floor >= 0.5 { floor + 1.0 } else { floor };
    Some(r as i64)
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// A string of at most [`MAX_INPUT_CHARS`] UTF-16 units.
fn limited_string(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) if utf16_len(s) <= MAX_INPUT_CHARS => Some(s),
        _ => None,
    }
}

/// Lenient Base64 decoding as AWS does it: characters outside the alphabet (standard or
/// URL-safe) are skipped, the first `=` ends the input, and leftover bits are dropped.
fn lenient_base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut n = 0;
    for b in s.bytes() {
        let v = match b {
            b'=' => break,
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

/// The text AWS prints for a value in `States.Format` (Java `toString` of the decoded value):
/// strings raw, `null`, numbers as Java prints them, arrays `[a, b]`, objects `{k=v, k2=v2}`.
fn java_text(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_f64() {
                java_double(n.as_f64().unwrap_or_default(), out);
            } else {
                let _ = write!(out, "{n}");
            }
        }
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                java_text(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                java_text(item, out);
            }
            out.push('}');
        }
    }
}

/// Java `Double.toString`: plain notation with at least one fraction digit for
/// 10^-3 <= |d| < 10^7, otherwise `d.dddE<n>`.
fn java_double(d: f64, out: &mut String) {
    if d == 0.0 {
        out.push_str(if d.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    if !d.is_finite() {
        out.push_str(if d.is_nan() {
            "NaN"
        } else if d > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        });
        return;
    }
    if d < 0.0 {
        out.push('-');
    }
    let abs = d.abs();
    let sci = format!("{abs:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (1e-3..1e7).contains(&abs) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() > int_len {
                let _ = write!(out, "{}.{}", &digits[..int_len], &digits[int_len..]);
            } else {
                let _ = write!(out, "{digits:0<int_len$}.0");
            }
        } else {
            let zeros = (-exp - 1) as usize;
            let _ = write!(out, "0.{}{digits}", "0".repeat(zeros));
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let _ = write!(out, "{first}.{rest}E{exp}");
    }
}

/// A key equal for JSON-equal values (object key order ignored; 1 and 1.0 differ).
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for item in items {
                canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&crate::json::Str, &Value)> = map.iter().collect();
            entries.sort_by(|x, y| x.0.cmp(y.0));
            out.push('{');
            for (k, item) in entries {
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push(':');
                canonical(item, out);
                out.push(',');
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// `java.util.Random`, so that seeded `States.MathRandom` gives AWS's numbers.
struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    fn new(seed: i64) -> Self {
        JavaRandom {
            seed: (seed as u64 ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB) & Self::MASK;
        (self.seed >> (48 - bits)) as u32 as i32
    }

    /// `nextInt(bound)` for `bound > 0`.
    fn next_int(&mut self, bound: i32) -> i32 {
        if bound & bound.wrapping_neg() == bound {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    /// Resolves `$`, `$.a.b`, `$.a.0` and `$$.x.y` by walking the JSON.
    struct TestEnv {
        input: Value,
        context: Value,
        rng: u64,
    }

    impl TestEnv {
        fn new(input: Value) -> Self {
            let context = json!({ "Execution": { "Input": input.clone() } });
            TestEnv {
                input,
                context,
                rng: 7,
            }
        }
    }

    impl IntrinsicEnv for TestEnv {
        fn resolve(&self, path: &JsonPath) -> Result<Value, ExprError> {
            let text = path.text();
            let (root, rest) = match text.strip_prefix("$$") {
                Some(rest) => (&self.context, rest),
                None => (&self.input, &text[1..]),
            };
            let mut cur = root;
            for seg in rest.split('.').filter(|s| !s.is_empty()) {
                let next = match cur {
                    Value::Object(m) => m.get(seg),
                    Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                };
                cur = next.ok_or_else(|| {
                    ExprError::runtime(format!(
                        "The JsonPath argument for the field '{text}' could not be found in \
                         the input '{root}'"
                    ))
                })?;
            }
            Ok(cur.clone())
        }

        fn next_u64(&mut self) -> u64 {
            // splitmix64
            self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    fn run(text: &str, input: Value) -> Result<Value, ExprError> {
        let f = parse(text).unwrap_or_else(|e| panic!("parse {text}: {e}"));
        eval(&f, &mut TestEnv::new(input))
    }

    fn ok(text: &str, input: Value) -> Value {
        run(text, input).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str, input: Value) -> String {
        match run(text, input) {
            Ok(v) => panic!("{text}: expected an error, got {v}"),
            Err(e) => {
                assert_eq!(e.error, "States.Runtime", "{text}");
                e.cause
            }
        }
    }

    // The recorded AWS cases run through the whole engine in tests/conformance.rs.

    // ---- parsing --------------------------------------------------------------------------

    #[test]
    fn recognises_intrinsics() {
        assert!(is_intrinsic("States.Format('{}', $.a)"));
        assert!(is_intrinsic("States.UUID()"));
        assert!(is_intrinsic("States.Nope(1)"));
        assert!(!is_intrinsic("$.States.Format"));
        assert!(!is_intrinsic("States.Format"));
        assert!(!is_intrinsic("States.(1)"));
        assert!(!is_intrinsic(" States.Array()"));
    }

    #[test]
    fn parses_arguments() {
        let f = parse(
            "States.Array('a\\'b\\{\\}\\\\', -1, 2.5, 1e3, true, false, null, $.a[0], $$.Execution.Id, States.UUID())",
        )
        .unwrap();
        assert_eq!(f.function, Function::Array);
        assert_eq!(f.args.len(), 10);
        assert_eq!(f.args[0], Arg::Literal(json!("a'b{}\\")));
        assert_eq!(f.args[1], Arg::Literal(json!(-1)));
        assert_eq!(f.args[2], Arg::Literal(json!(2.5)));
        assert_eq!(f.args[3], Arg::Literal(json!(1000.0)));
        assert_eq!(f.args[4], Arg::Literal(json!(true)));
        assert_eq!(f.args[5], Arg::Literal(json!(false)));
        assert_eq!(f.args[6], Arg::Literal(Value::Null));
        let Arg::Path(p) = &f.args[7] else { panic!() };
        assert_eq!(p.text(), "$.a[0]");
        let Arg::Path(p) = &f.args[8] else { panic!() };
        assert_eq!(p.text(), "$$.Execution.Id");
        let Arg::Call(c) = &f.args[9] else { panic!() };
        assert_eq!(c.function, Function::Uuid);
        assert_eq!(
            f.text(),
            "States.Array('a\\'b\\{\\}\\\\', -1, 2.5, 1e3, true, false, null, $.a[0], \
             $$.Execution.Id, States.UUID())"
        );
    }

    #[test]
    fn paths_keep_brackets_parentheses_and_quotes() {
        let f = parse("States.Array( $['a,b'] , $.x[?(@.y == ')')], $.len() )").unwrap();
        let texts: Vec<&str> = f
            .args
            .iter()
            .map(|a| match a {
                Arg::Path(p) => p.text(),
                _ => panic!("not a path"),
            })
            .collect();
        assert_eq!(texts, ["$['a,b']", "$.x[?(@.y == ')')]", "$.len()"]);
    }

    #[test]
    fn literal_newlines_are_allowed() {
        assert_eq!(
            ok("States.StringSplit('Hello\nWorld', '\n')", json!(null)),
            json!(["Hello", "World"])
        );
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("States.Nope(1)", "Unknown intrinsic function 'States.Nope'"),
            (
                "States.format('x')",
                "Unknown intrinsic function 'States.format'",
            ),
            (
                "States.Hash('x')",
                "States.Hash takes 2 arguments, but 1 were given",
            ),
            (
                "States.UUID(1)",
                "States.UUID takes 0 arguments, but 1 were given",
            ),
            (
                "States.Format()",
                "States.Format takes at least 1 argument, but 0 were given",
            ),
            (
                "States.MathRandom(1, 2, 3, 4)",
                "States.MathRandom takes 2 to 3 arguments, but 4 were given",
            ),
            (
                "States.Array(1",
                "Missing closing parenthesis for 'States.Array'",
            ),
            (
                "States.Array($.a",
                "Missing closing parenthesis for 'States.Array'",
            ),
            (
                "States.Array(1))",
                "Unexpected text after the intrinsic function call",
            ),
            (
                "States.Array(1) trailing",
                "Unexpected text after the intrinsic function call",
            ),
            ("States.Array(1, )", "Missing argument after ','"),
            ("States.Array('abc)", "Unterminated string literal"),
            ("States.Array('a\\nb')", "Invalid escape sequence '\\n'"),
            ("States.Array(1.)", "Invalid number literal '1.'"),
            ("States.Array(.5)", "Invalid argument '.5'"),
            ("States.Array(01)", "Invalid number literal '01'"),
            ("States.Array(1e999)", "out of range"),
            ("States.Array([1,2])", "Invalid argument '[1"),
            ("States.Array(foo)", "Invalid argument 'foo'"),
            ("States.Array 1", "Expected '(' after 'States.Array'"),
            ("States.Array(1 2)", "Unexpected character '2'"),
        ];
        for (text, want) in cases {
            let e = parse(text).expect_err(text);
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn nesting_limit() {
        let nest = |n: usize| format!("{}1{}", "States.Array(".repeat(n), ")".repeat(n));
        assert!(parse(&nest(10)).is_ok());
        let e = parse(&nest(11)).unwrap_err();
        assert!(e.contains("nested at most 10 levels"), "{e}");
        // Hostile input: no stack overflow, just an error.
        assert!(parse(&nest(200_000)).is_err());
        assert!(parse(&format!("States.Array($.a{})", "[".repeat(200_000))).is_err());
    }

    // ---- evaluation ---------------------------------------------------------------------------

    #[test]
    fn format_renders_like_aws() {
        let input = json!({"s": "x", "n": null, "i": 3, "f": 1.5, "b": false,
            "o": {"Arg1": 1, "Arg2": [], "s": "t"}, "a": [1, "two", [3]],
            "big": 1e21, "small": 0.0001, "e7": 1e7});
        assert_eq!(
            ok(
                "States.Format('{}|{}|{}|{}|{}', $.s, $.n, $.i, $.f, $.b)",
                input.clone()
            ),
            json!("x|null|3|1.5|false")
        );
        assert_eq!(
            ok("States.Format('{} {}', $.o, $.a)", input.clone()),
            json!("{Arg1=1, Arg2=[], s=t} [1, two, [3]]")
        );
        assert_eq!(
            ok(
                "States.Format('{} {} {}', $.big, $.small, $.e7)",
                input.clone()
            ),
            json!("1.0E21 1.0E-4 1.0E7")
        );
        assert_eq!(
            ok(
                "States.Format('\\{\\} {} \\'q\\' \\\\', $.s)",
                input.clone()
            ),
            json!("{} x 'q' \\")
        );
        assert_eq!(ok("States.Format('plain')", json!({})), json!("plain"));
        assert_eq!(
            ok("States.Format($.t, $.v)", json!({"t": "It's {}!", "v": 7})),
            json!("It's 7!")
        );
        assert_eq!(
            ok("States.Format('{}', States.MathAdd(1, 2))", json!({})),
            json!("3")
        );
    }

    #[test]
    fn java_doubles() {
        let show = |d: f64| {
            let mut s = String::new();
            java_double(d, &mut s);
            s
        };
        assert_eq!(show(1.1), "1.1");
        assert_eq!(show(100.0), "100.0");
        assert_eq!(show(-2.5), "-2.5");
        assert_eq!(show(0.001), "0.001");
        assert_eq!(show(0.0001234), "1.234E-4");
        assert_eq!(show(9_999_999.0), "9999999.0");
        assert_eq!(show(12_345_678.9), "1.23456789E7");
        assert_eq!(show(-0.0), "-0.0");
    }

    #[test]
    fn format_errors() {
        let envelope = "There was an error while evaluating the intrinsic function: ";
        assert_eq!(
            err("States.Format('{} {}', $.a)", json!({"a": 1})),
            format!(
                "{envelope}States.Format('{{}} {{}}', $.a). Invalid arguments in States.Format: \
                 number of arguments do not match the occurrences of {{}}."
            )
        );
        assert!(err("States.Format('{}', 1, 2)", json!({})).contains("do not match"));
        assert!(
            err("States.Format('Hello {', 1)", json!({}))
                .ends_with("Invalid template in States.Format: matching '}' not found for '{'.")
        );
        assert!(
            err("States.Format('Hello {{}}', 1)", json!({}))
                .ends_with("Invalid template in States.Format: matching '}' not found for '{'.")
        );
        assert!(
            err("States.Format('}')", json!({}))
                .ends_with("Invalid template in States.Format: matching '{' not found for '}'.")
        );
        assert!(
            err("States.Format($.t, 1)", json!({"t": 123}))
                .ends_with(". Invalid arguments in States.Format")
        );
    }

    #[test]
    fn json_string_round_trips() {
        assert_eq!(
            ok(
                "States.JsonToString($.o)",
                json!({"o": {"b": 1, "a": [true, null, "x"]}})
            ),
            json!(r#"{"b":1,"a":[true,null,"x"]}"#)
        );
        assert_eq!(ok("States.JsonToString('x')", json!({})), json!("\"x\""));
        assert_eq!(
            ok("States.StringToJson($.s)", json!({"s": " {\"a\":1} "})),
            json!({"a": 1})
        );
        assert_eq!(
            ok("States.StringToJson($.s)", json!({"s": "  "})),
            Value::Null
        );
        let zero = ok("States.StringToJson($.s)", json!({"s": "-0"}));
        assert!(zero.as_i64() == Some(0), "{zero}");
        for bad in ["{bad json}", "{\"a\":1", "undefined"] {
            assert!(
                err("States.StringToJson($.s)", json!({ "s": bad }))
                    .ends_with(". Invalid arguments in States.StringToJson"),
                "{bad}"
            );
        }
        assert!(err("States.StringToJson($.s)", json!({"s": 1})).contains("Invalid arguments"));
    }

    #[test]
    fn arrays() {
        assert_eq!(ok("States.Array()", json!({})), json!([]));
        assert_eq!(
            ok(
                "States.ArrayPartition($.a, 2.6)",
                json!({"a": [1, 2, 3, 4, 5]})
            ),
            json!([[1, 2], [3, 4], [5]])
        );
        assert_eq!(
            ok(
                "States.ArrayPartition($.a, 2147483647)",
                json!({"a": [1, 2]})
            ),
            json!([[1, 2]])
        );
        for size in ["0", "0.49", "-0.4", "-1", "0.6", "'2'", "null"] {
            let e = err(
                &format!("States.ArrayPartition($.a, {size})"),
                json!({"a": [1]}),
            );
            assert!(
                e.ends_with(". Invalid arguments in States.ArrayPartition"),
                "{size}: {e}"
            );
        }
        assert!(err("States.ArrayPartition('x', 2)", json!({})).contains("Invalid arguments"));

        assert_eq!(
            ok("States.ArrayRange(1, 9, 2)", json!({})),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(
            ok("States.ArrayRange(5, 1, -2)", json!({})),
            json!([5, 3, 1])
        );
        assert_eq!(ok("States.ArrayRange(5, 1, 1)", json!({})), json!([]));
        assert_eq!(ok("States.ArrayRange(3, 3, -1)", json!({})), json!([3]));
        assert_eq!(ok("States.ArrayRange(1.6, 1.4, 1)", json!({})), json!([1]));
        assert_eq!(
            ok("States.ArrayRange(5.4, -0.6, -2.4)", json!({})),
            json!([5, 3, 1])
        );
        assert_eq!(
            ok("States.ArrayRange(1000, 1, -1)", json!({}))
                .as_array()
                .unwrap()
                .len(),
            1000
        );
        for args in [
            "1, 1001, 1",
            "1001, 1, -1",
            "1, 10, 0",
            "1, 10, 0.49",
            "'a', 5, 1",
        ] {
            let e = err(&format!("States.ArrayRange({args})"), json!({}));
            assert!(
                e.ends_with(". Invalid arguments in States.ArrayRange"),
                "{args}: {e}"
            );
        }
        assert!(
            err("States.ArrayRange(-2147483648, 2147483647, 1)", json!({}))
                .contains("Invalid arguments")
        );

        let arr = json!({"a": [10, 20, 30], "e": []});
        assert_eq!(ok("States.ArrayGetItem($.a, 1.9)", arr.clone()), json!(20));
        assert_eq!(
            ok("States.ArrayGetItem($.e, 999)", arr.clone()),
            Value::Null
        );
        for idx in ["3", "-1", "'1'"] {
            let e = err(&format!("States.ArrayGetItem($.a, {idx})"), arr.clone());
            assert!(
                e.ends_with("Invalid arguments in States.ArrayGetItem"),
                "{idx}: {e}"
            );
        }
        assert!(err("States.ArrayGetItem('x', 0)", json!({})).contains("Invalid arguments"));

        assert_eq!(ok("States.ArrayLength($.a)", arr.clone()), json!(3));
        assert!(err("States.ArrayLength($.o)", json!({"o": {}})).contains("Invalid arguments"));

        assert_eq!(
            ok(
                "States.ArrayUnique($.a)",
                json!({"a": [1, 1, 1.0, "1", null, null, {"a": 1, "b": 2}, {"b": 2, "a": 1}, [1], [1]]})
            ),
            json!([1, 1.0, "1", null, {"a": 1, "b": 2}, [1]])
        );
        assert!(err("States.ArrayUnique('x')", json!({})).contains("Invalid arguments"));
    }

    #[test]
    fn array_contains_compares_java_text() {
        let check = |arr: Value, target: Value| {
            ok(
                "States.ArrayContains($.a, $.t)",
                json!({"a": arr, "t": target}),
            )
        };
        assert_eq!(check(json!([1, null, 3]), Value::Null), json!(true));
        assert_eq!(check(json!([[1, 2], [3]]), json!([1, 2])), json!(true));
        assert_eq!(
            check(json!([{"a": 1, "b": 2}]), json!({"b": 2, "a": 1})),
            json!(false)
        );
        assert_eq!(check(json!(["true"]), json!(true)), json!(true));
        assert_eq!(check(json!([0, 1]), json!(false)), json!(false));
        assert_eq!(
            check(json!([{"a": 1}]), json!({"a": 1, "extra": null})),
            json!(false)
        );
        assert!(
            err("States.ArrayContains('x', 1)", json!({}))
                .ends_with("Invalid arguments in States.ArrayContains")
        );
    }

    #[test]
    fn encodings_and_hashes() {
        assert_eq!(
            ok("States.Base64Encode('🚀')", json!({})),
            json!("8J+agA==")
        );
        assert_eq!(ok("States.Base64Encode('')", json!({})), json!(""));
        assert_eq!(
            ok("States.Base64Decode('44GT44KT44Gr44Gh44Gv')", json!({})),
            json!("こんにちは")
        );
        // Lenient like AWS: junk skipped, first '=' ends, missing padding fine.
        assert_eq!(
            ok("States.Base64Decode(' YWJjZA== ')", json!({})),
            json!("abcd")
        );
        assert_eq!(
            ok("States.Base64Decode('YWJjZA')", json!({})),
            json!("abcd")
        );
        assert_eq!(
            ok("States.Base64Decode('aGk=aGk=')", json!({})),
            json!("hi")
        );
        let long = "a".repeat(MAX_INPUT_CHARS);
        assert!(run("States.Base64Encode($.s)", json!({ "s": long })).is_ok());
        let too_long = json!({ "s": "a".repeat(MAX_INPUT_CHARS + 1) });
        for f in ["Base64Encode", "Base64Decode"] {
            let e = err(&format!("States.{f}($.s)"), too_long.clone());
            assert!(
                e.ends_with(&format!("Invalid arguments in States.{f}")),
                "{e}"
            );
            let e = err(&format!("States.{f}(123)"), json!({}));
            assert!(
                e.ends_with(&format!("Invalid arguments in States.{f}")),
                "{e}"
            );
        }

        assert_eq!(
            ok("States.Hash('hello', 'MD5')", json!({})),
            json!("5d41402abc4b2a76b9719d911017c592")
        );
        assert_eq!(
            ok("States.Hash('✓', 'SHA-256')", json!({})),
            json!("1dabba21cdad44541f6b15796f8d22978fc7ea10c46aeceeeeb66c23b3ac7604")
        );
        assert_eq!(
            ok(
                "States.Hash(States.Format('{}:{}', 'x', 'y'), 'SHA-256')",
                json!({})
            ),
            json!("1274e286686b54fe765ec40735665b4bf789cee2a5b22124c5e0491a88e15271")
        );
        assert_eq!(
            ok("States.Hash(123, 'MD5')", json!({})),
            ok("States.Hash('123', 'MD5')", json!({}))
        );
        for algo in ["'sha-256'", "'SHA256'", "''", "'MD-5'", "123"] {
            let e = err(&format!("States.Hash('data', {algo})"), json!({}));
            assert!(
                e.ends_with("Invalid arguments in States.Hash"),
                "{algo}: {e}"
            );
        }
        assert!(err("States.Hash($.s, 'MD5')", too_long).contains("Invalid arguments"));
    }

    #[test]
    fn json_merge() {
        let input = json!({"a": {"x": 1, "n": {"l": 1}}, "b": {"n": {"r": 2}, "y": 2}});
        assert_eq!(
            ok("States.JsonMerge($.a, $.b, false)", input.clone()),
            json!({"x": 1, "n": {"r": 2}, "y": 2})
        );
        assert_eq!(
            ok("States.JsonMerge($.a, $.b, 'false')", input.clone()),
            json!({"x": 1, "n": {"r": 2}, "y": 2})
        );
        assert!(
            err("States.JsonMerge($.a, $.b, true)", input.clone())
                .ends_with("Invalid arguments in States.JsonMerge")
        );
        assert!(err("States.JsonMerge($.a, null, false)", input.clone()).contains("Invalid"));
        assert!(err("States.JsonMerge('x', $.b, false)", input).contains("Invalid"));
    }

    #[test]
    fn math_add() {
        assert_eq!(ok("States.MathAdd(1.6, 2.7)", json!({})), json!(5));
        assert_eq!(ok("States.MathAdd(-2.5, 0)", json!({})), json!(-2));
        assert_eq!(
            ok("States.MathAdd(2147483646, 1)", json!({})),
            json!(2147483647)
        );
        assert_eq!(
            ok("States.MathAdd(-2147483647, -1)", json!({})),
            json!(-2147483648i64)
        );
        for args in [
            "2147483647, 1",
            "-2147483648, -1",
            "3000000000, 1",
            "-3000000000, 1",
            "'1', 2",
            "null, 1",
            "true, 1",
            "1, $.a",
        ] {
            assert_eq!(
                err(&format!("States.MathAdd({args})"), json!({"a": [1]})),
                format!(
                    "There was an error while evaluating the intrinsic function: \
                     States.MathAdd({args}). Invalid arguments in States.MathAdd"
                )
            );
        }
    }

    #[test]
    fn math_random() {
        let mut env = TestEnv::new(json!({}));
        let f = parse("States.MathRandom(1, 4)").unwrap();
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let v = eval(&f, &mut env).unwrap().as_i64().unwrap();
            assert!((1..4).contains(&v), "{v}");
            seen.insert(v);
        }
        assert_eq!(seen.len(), 3);
        // Fractions are cut: [1, 5).
        let f = parse("States.MathRandom(1.6, 5.4)").unwrap();
        for _ in 0..100 {
            let v = eval(&f, &mut env).unwrap().as_i64().unwrap();
            assert!((1..5).contains(&v), "{v}");
        }
        // Seeded: java.util.Random(42).nextInt(10) == 0, as AWS gives -5 here.
        assert_eq!(ok("States.MathRandom(-5, 5, 42)", json!({})), json!(-5));
        assert_eq!(
            ok("States.MathRandom(1, 100, 42)", json!({})),
            ok("States.MathRandom(1, 100, 42)", json!({}))
        );
        // Known java.util.Random values: new Random(0).nextInt(), new Random(42).nextInt().
        assert_eq!(JavaRandom::new(0).next(32), -1_155_484_576);
        assert_eq!(JavaRandom::new(42).next(32), -1_170_105_035);
        assert_eq!(JavaRandom::new(42).next_int(100), 30);
        assert_eq!(JavaRandom::new(0).next_int(100), 60);
        assert_eq!(JavaRandom::new(7).next_int(16), {
            let mut r = JavaRandom::new(7);
            ((16i64 * i64::from(r.next(31))) >> 31) as i32
        });
        for args in [
            "1, 1",
            "10, 5",
            "1.4, 1.6",
            "'a', 10",
            "1, 'b'",
            "1, 10, 'seed'",
            "1, 10, null",
        ] {
            let e = err(&format!("States.MathRandom({args})"), json!({}));
            assert!(
                e.ends_with(". Invalid arguments in States.MathRandom"),
                "{args}: {e}"
            );
        }
    }

    #[test]
    fn string_split() {
        assert_eq!(
            ok("States.StringSplit('a,,b,', ',')", json!({})),
            json!(["a", "b"])
        );
        assert_eq!(
            ok("States.StringSplit('1a2b3ab4', 'ab')", json!({})),
            json!(["1", "2", "3", "4"])
        );
        assert_eq!(ok("States.StringSplit('', ',')", json!({})), json!([]));
        assert_eq!(
            ok("States.StringSplit('abc', '')", json!({})),
            json!(["abc"])
        );
        for args in ["1, ','", "'a,b', 1", "null, ','", "'a', $.d"] {
            let e = err(&format!("States.StringSplit({args})"), json!({"d": [","]}));
            assert!(
                e.ends_with("Invalid arguments in States.StringSplit"),
                "{args}: {e}"
            );
        }
    }

    #[test]
    fn uuid_v4() {
        let mut env = TestEnv::new(json!({}));
        let f = parse("States.UUID()").unwrap();
        let a = eval(&f, &mut env).unwrap();
        let b = eval(&f, &mut env).unwrap();
        assert_ne!(a, b);
        let s = a.as_str().unwrap();
        let parts: Vec<&str> = s.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert!(
            s.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn path_errors_are_wrapped_once_by_the_innermost_call() {
        let e = run(
            "States.Array(States.ArrayLength($.missing))",
            json!({"a": 1}),
        )
        .unwrap_err();
        assert_eq!(e.error, "States.Runtime");
        assert_eq!(
            e.cause,
            "There was an error while evaluating the intrinsic function: \
             States.ArrayLength($.missing). The JsonPath argument for the field '$.missing' \
             could not be found in the input '{\"a\":1}'"
        );
        let e = run("States.Format('{}', States.MathAdd('x', 1))", json!({})).unwrap_err();
        assert_eq!(
            e.cause,
            "There was an error while evaluating the intrinsic function: \
             States.MathAdd('x', 1). Invalid arguments in States.MathAdd"
        );
    }
}
