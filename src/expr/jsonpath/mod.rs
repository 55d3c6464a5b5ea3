//! JSONPath as Step Functions evaluates it (Jayway JsonPath semantics), for queries
//! (InputPath, `.$` template fields, Choice Variable, ItemsPath, ...) and reference paths
//! (ResultPath writes). One parser handles every root AWS allows:
//! `$` (the state's input or result), `$$` (the context object) and `$name` (a variable).
//!
//! The grammar and the evaluation follow Jayway's `PathCompiler`, `FilterCompiler` and path
//! tokens, with AWS's configuration (no `SUPPRESS_EXCEPTIONS`, no `DEFAULT_PATH_LEAF_TO_NULL`,
//! json-smart provider):
//!
//! * a definite path (no wildcard, slice, index list, filter or `..`) gives its node, or an
//!   error carrying Jayway's message (`No results for path: $['a']`, `Missing property in
//!   path $['a']`, ...);
//! * an indefinite path gives an array of the matches in document order; where Jayway would
//!   throw (a missing property before the first wildcard, say) AWS gives `[]`, and so do we.
//!
//! Jayway quirks are kept on purpose: slices ignore a step, `[from:to]` with a negative
//! `to` selects nothing, a filter on an object tests the object itself, `!` only negates an
//! existence check, and `&&`/`||` group from the right without precedence (Jayway's
//! stack-based filter compiler). Where AWS departs from current Jayway we follow AWS:
//! bracket-notation names are taken verbatim (`$['a\"b']` looks up the key `a\"b`, as
//! recorded against AWS), a bare word in a filter (`[?(@.Name==Receipt)]`) is a string (AWS
//! samples rely on it), and `name()` is a plain name (AWS supports no path functions).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use crate::json::{Map, Value};
use fancy_regex::Regex;
use serde_json::Number;

/// Filters within paths within filters: deeper nesting is refused at parse time.
mod eval;
mod filter;
mod java;
mod parse;
#[cfg(test)]
mod tests;

use eval::*;
use filter::*;
use java::*;
use parse::*;
const MAX_NESTING: usize = 16;
/// Depth of the `&&` / `||` tree of one filter.
const MAX_EXPR_DEPTH: usize = 64;
/// Depth of a JSON literal in a filter (`@.a in [[1], [2]]`).
const MAX_JSON_DEPTH: usize = 64;
/// The provider named in Jayway's "not a json object" message.
const JSON_PROVIDER: &str = "com.jayway.jsonpath.spi.json.JsonSmartJsonProvider";
/// Longest piece of a path quoted in a parse error.
const MESSAGE_EXCERPT: usize = 80;

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathRoot {
    /// `$`: the value the field is evaluated against (input, result, ...).
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: the workflow variable `name`.
    Variable(String),
}

/// A parsed JSONPath. Shared: a definition repeats its paths, and each is parsed once.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath(std::sync::Arc<Parsed>);

#[derive(Debug, PartialEq)]
struct Parsed {
    text: String,
    root: PathRoot,
    body: Body,
    /// Only single names and single indexes: evaluated without allocating.
    simple: bool,
}

/// Why a path could not be evaluated or written. From [`JsonPath::select`] the message is
/// Jayway's text, which AWS shows after "Invalid path '<path>' : "; from
/// [`JsonPath::write`] it is AWS's whole `States.ReferencePathConflict` cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PathError {}

impl JsonPath {
    /// Parse `text`. The error is a one-line human message for the validator.
    pub fn parse(text: &str) -> Result<JsonPath, super::SyntaxError> {
        // Definitions repeat their paths (`$.order` in every state): each text is parsed
        // once per thread, its copies cloned.
        thread_local! {
            static PARSED: std::cell::RefCell<std::collections::HashMap<String, JsonPath, foldhash::fast::RandomState>> =
                std::cell::RefCell::default();
        }
        /// Enough for any definition's paths; past it, the memo starts over.
        const KEPT: usize = 65_536;
        if let Some(p) = PARSED.with(|m| m.borrow().get(text).cloned()) {
            return Ok(p);
        }
        let parsed = JsonPath::parse_text(text).map_err(super::SyntaxError)?;
        PARSED.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= KEPT {
                m.clear();
            }
            m.insert(text.to_string(), parsed.clone());
        });
        Ok(parsed)
    }

    fn parse_text(text: &str) -> Result<JsonPath, String> {
        let chars: Vec<char> = java_trim(text).chars().collect();
        if chars.first() != Some(&'$') {
            let quoted = excerpt_str(text);
            return Err(format!("'{quoted}' does not start with '$'"));
        }
        // Split off the root; what follows is compiled as Jayway would compile "$" + rest.
        let (root, rest) = match chars.get(1) {
            Some('$') => (PathRoot::Context, 2),
            Some(&c) if is_variable_char(c) => {
                let end = chars[1..]
                    .iter()
                    .position(|&c| !is_variable_char(c))
                    .map_or(chars.len(), |n| n + 1);
                (PathRoot::Variable(chars[1..end].iter().collect()), end)
            }
            _ => (PathRoot::Input, 1),
        };
        let mut body_chars = Vec::with_capacity(chars.len() + 1 - rest);
        body_chars.push('$');
        body_chars.extend_from_slice(&chars[rest..]);
        let segments = compile_path(&body_chars, 0)?;
        let simple = segments
            .iter()
            .all(|s| matches!(s, Segment::Name { .. } | Segment::Index(_)));
        Ok(JsonPath(std::sync::Arc::new(Parsed {
            text: text.to_string(),
            root,
            body: Body::new(segments),
            simple,
        })))
    }

    /// The path as written.
    pub fn text(&self) -> &str {
        &self.0.text
    }

    pub fn root(&self) -> &PathRoot {
        &self.0.root
    }

    /// A definite path selects at most one node (no wildcard, slice, union, filter or `..`).
    /// As in Jayway, a union of names in the last position (`$['a','b']`) is definite: it
    /// selects one object made of those members.
    pub fn is_definite(&self) -> bool {
        self.0.body.definite
    }

    /// A reference path (ASL "Reference Paths", used by ResultPath): definite and made of
    /// names and single indexes only. The root is not considered: a ResultPath must also
    /// start with `$`, which the caller checks with [`JsonPath::root`].
    pub fn is_reference_path(&self) -> bool {
        self.0.simple
    }

    /// Evaluate against `root` (the value of the path's root, already chosen by the
    /// caller from [`JsonPath::root`]). A definite path gives the node; an indefinite one
    /// gives an array of the matches (possibly empty).
    pub fn select(&self, root: &Value) -> Result<Value, PathError> {
        self.select_cow(root).map(Cow::into_owned)
    }

    /// [`JsonPath::select`] without cloning when the result is a node of `root`.
    pub fn select_cow<'a>(&self, root: &'a Value) -> Result<Cow<'a, Value>, PathError> {
        let segments = &self.0.body.segments;
        if self.0.simple {
            return select_simple(segments, root).map(Cow::Borrowed);
        }
        let opts = Opts {
            require: false,
            messages: self.0.body.definite,
        };
        let found = evaluate(segments, root, root, opts, '$');
        if self.0.body.definite {
            match found {
                Ok(found) => found.into_first().ok_or_else(|| no_results(segments)),
                Err(e) => Err(PathError(e.into_message())),
            }
        } else {
            // Jayway throws where a definite prefix is missing; AWS answers `[]`.
            let values = found.map(Found::into_values).unwrap_or_default();
            Ok(Cow::Owned(Value::Array(values)))
        }
    }

    /// Write `value` at this reference path inside `target` (ResultPath): `$` replaces the
    /// whole target; missing intermediate objects are created. Fails, leaving nothing
    /// written, when the path is not a reference path or crosses a value that is not an
    /// object (for a name) or an array holding that index (for an index); AWS reports the
    /// latter as `States.ReferencePathConflict` with this message.
    pub fn write(&self, target: &mut Value, value: Value) -> Result<(), PathError> {
        if !self.is_reference_path() {
            return Err(self.not_a_reference_path());
        }
        let segments = &self.0.body.segments;
        if segments.is_empty() {
            *target = value;
            return Ok(());
        }
        if !can_write(segments, target) {
            return Err(self.conflict(target));
        }
        // `can_write` has checked every step, so this cannot stop half way.
        set_at(target, segments, value).ok_or_else(|| self.conflict(target))
    }

    /// [`JsonPath::write`] into a copy of `source`, which is left as it is (a shared
    /// input that a record or the history still shows): only what the path does not
    /// overwrite is copied, so the member being replaced (often the last state's result)
    /// is not copied only to be dropped.
    pub fn write_copy(&self, source: &Value, value: Value) -> Result<Value, PathError> {
        if !self.is_reference_path() {
            return Err(self.not_a_reference_path());
        }
        let segments = &self.0.body.segments;
        if !can_write(segments, source) {
            return Err(self.conflict(source));
        }
        Ok(copy_with(source, segments, value))
    }

    /// Move the node this reference path selects out of `target`, leaving `null` in its
    /// place: what [`JsonPath::select`] gives, without a copy, for a caller that owns
    /// `target` and no longer needs it. `None` when the path is not a reference path or
    /// selects nothing.
    pub fn take(&self, target: &mut Value) -> Option<Value> {
        if !self.is_reference_path() {
            return None;
        }
        let mut cur = target;
        for segment in &self.0.body.segments {
            cur = match (segment, cur) {
                (Segment::Name { name, .. }, Value::Object(map)) => map.get_mut(name)?,
                (Segment::Index(i), Value::Array(items)) => {
                    let at = effective_index(*i, items.len())?;
                    &mut items[at]
                }
                _ => return None,
            };
        }
        Some(std::mem::take(cur))
    }

    fn not_a_reference_path(&self) -> PathError {
        PathError(format!(
            "'{}' is not a reference path: only names and single indexes can be written",
            self.0.text
        ))
    }

    fn conflict(&self, target: &Value) -> PathError {
        PathError(format!(
            "Unable to apply ReferencePath {} to input {}",
            self.0.text, target
        ))
    }
}

/// Set `value` at `segments` (names and single indexes) inside `target`, creating missing
/// objects; `None` when a step cannot be taken.
fn set_at(target: &mut Value, segments: &[Segment], value: Value) -> Option<()> {
    let (last, parents) = segments.split_last()?;
    let mut cur = target;
    for segment in parents {
        cur = match (segment, cur) {
            (Segment::Name { name, .. }, Value::Object(map)) => map
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            (Segment::Index(i), Value::Array(items)) => {
                let at = effective_index(*i, items.len())?;
                &mut items[at]
            }
            _ => return None,
        };
    }
    match (last, cur) {
        (Segment::Name { name, .. }, Value::Object(map)) => {
            map.insert(name.clone(), value);
        }
        (Segment::Index(i), Value::Array(items)) => {
            let at = effective_index(*i, items.len())?;
            items[at] = value;
        }
        _ => return None,
    }
    Some(())
}

/// A copy of `source` with `value` at `segments`, which [`can_write`] has accepted: the
/// members and elements off the path are copied, the one on it is rebuilt below.
fn copy_with(source: &Value, segments: &[Segment], value: Value) -> Value {
    let Some((segment, rest)) = segments.split_first() else {
        return value;
    };
    let mut value = Some(value);
    let mut on_path = |v: &Value| copy_with(v, rest, value.take().unwrap_or_default());
    match (segment, source) {
        (Segment::Name { name, .. }, Value::Object(map)) => {
            let mut copy = Map::with_capacity(map.len() + usize::from(!map.contains_key(name)));
            for (k, v) in map {
                let v = if k == name { on_path(v) } else { v.clone() };
                copy.insert(k.clone(), v);
            }
            if let Some(value) = value {
                // A missing member: objects are created down to the value (only names
                // can follow, as `can_write` checked).
                let member = if rest.is_empty() {
                    value
                } else {
                    let mut created = Value::Object(Map::new());
                    let written = set_at(&mut created, rest, value);
                    debug_assert!(written.is_some());
                    created
                };
                copy.insert(name.clone(), member);
            }
            Value::Object(copy)
        }
        (Segment::Index(i), Value::Array(items)) => {
            let at = effective_index(*i, items.len());
            Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(k, v)| if Some(k) == at { on_path(v) } else { v.clone() })
                    .collect(),
            )
        }
        // `can_write` accepted only the cases above.
        _ => source.clone(),
    }
}

/// Whether [`JsonPath::write`] can apply `segments` (names and single indexes) to `target`.
fn can_write(segments: &[Segment], target: &Value) -> bool {
    // `None` once below a member that will be created: only names can follow.
    let mut cur = Some(target);
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        cur = match (seg, cur) {
            (Segment::Name { .. }, None) => None,
            (Segment::Name { name, .. }, Some(Value::Object(map))) => {
                if last {
                    return true;
                }
                map.get(name)
            }
            (Segment::Index(i), Some(Value::Array(items))) => {
                match effective_index(*i, items.len()) {
                    Some(at) => Some(&items[at]),
                    None => return false,
                }
            }
            _ => return false,
        };
    }
    true
}

fn is_variable_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Java's `String.trim`: strips every char up to U+0020 at both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

// ---------------------------------------------------------------------------------------
// Path model
// ---------------------------------------------------------------------------------------

/// One token of a path after its root.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// `.name`, `['name']`: `quote` is the delimiter Jayway prints the name with.
    Name { name: crate::json::Str, quote: char },
    /// `['a','b']`: merged into one object when last, iterated otherwise.
    Names {
        names: Vec<crate::json::Str>,
        quote: char,
    },
    /// `[n]`
    Index(i64),
    /// `[n,m,...]`
    Indexes(Vec<i64>),
    /// `[from:to]` (a step is ignored, as by Jayway).
    Slice { from: Option<i64>, to: Option<i64> },
    /// `.*`, `[*]`
    Wildcard,
    /// `[?(...)]`
    Filter(Box<Expr>),
    /// `..` followed by its target token.
    Scan(Box<Segment>),
}

impl Segment {
    /// Jayway's `isTokenDefinite`.
    fn token_definite(&self, leaf: bool) -> bool {
        match self {
            Segment::Name { .. } | Segment::Index(_) => true,
            Segment::Names { .. } => leaf,
            _ => false,
        }
    }

    /// Jayway's `getPathFragment`, as it appears in `path.toString()`.
    fn write_fragment(&self, out: &mut String) {
        fn quoted(out: &mut String, names: &[crate::json::Str], quote: char) {
            out.push('[');
            for (i, name) in names.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push(quote);
                out.push_str(&name.replace('\\', "\\\\").replace('\'', "\\'"));
                out.push(quote);
            }
            out.push(']');
        }
        match self {
            Segment::Name { name, quote } => quoted(out, std::slice::from_ref(name), *quote),
            Segment::Names { names, quote } => quoted(out, names, *quote),
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Indexes(indexes) => {
                let list: Vec<String> = indexes.iter().map(i64::to_string).collect();
                out.push_str(&format!("[{}]", list.join(",")));
            }
            Segment::Slice { from, to } => {
                let bound = |b: &Option<i64>| b.map(|v| v.to_string()).unwrap_or_default();
                out.push_str(&format!("[{}:{}]", bound(from), bound(to)));
            }
            Segment::Wildcard => out.push_str("[*]"),
            Segment::Filter(_) => out.push_str("[?]"),
            Segment::Scan(target) => {
                out.push_str("..");
                target.write_fragment(out);
            }
        }
    }

    /// The piece Jayway appends to the "current path" while evaluating this token.
    fn write_eval_path(&self, out: &mut String) {
        match self {
            Segment::Name { name, .. } => {
                out.push_str("['");
                out.push_str(name);
                out.push_str("']");
            }
            Segment::Names { names, .. } => {
                let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
                out.push_str(&format!("[{}]", list.join(", ")));
            }
            other => other.write_fragment(out),
        }
    }
}

/// The tokens of a path and whether it is definite.
#[derive(Debug, Clone, PartialEq)]
struct Body {
    segments: Vec<Segment>,
    definite: bool,
}

impl Body {
    fn new(segments: Vec<Segment>) -> Body {
        let n = segments.len();
        let definite = segments
            .iter()
            .enumerate()
            .all(|(i, s)| s.token_definite(i + 1 == n));
        Body { segments, definite }
    }
}

/// A path inside a filter: from `@` (the current item) or `$` (the document).
#[derive(Debug, Clone, PartialEq)]
struct SubPath {
    relative: bool,
    body: Body,
}

/// A filter expression. Jayway's compiler builds `&&`/`||` chains right to left.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Rel(Box<Relation>),
}

#[derive(Debug, Clone, PartialEq)]
struct Relation {
    left: Operand,
    op: Op,
    right: Operand,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Lit(Lit),
    /// The value at a path (undefined when missing).
    Path(SubPath),
    /// `@.a` alone (true when present) or `!@.a`: compared with a boolean literal.
    Exists(SubPath),
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Null,
    Bool(bool),
    /// The number and its `BigDecimal.toString()`.
    Num(JNum, String),
    Str(String),
    /// `[...]` or `{...}`.
    Json(Value),
    Pattern(Pattern),
}

/// `/regex/` or `/regex/i`, matched against the whole string as Java's `matches()`.
/// fancy-regex, because Java's regexes (and so AWS's) have lookaround and backreferences.
#[derive(Debug, Clone)]
struct Pattern {
    source: String,
    regex: Regex,
}

impl Pattern {
    /// A match that runs out of backtracking budget is no match.
    fn matches(&self, text: &str) -> bool {
        self.regex.is_match(text).unwrap_or(false)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    TsEq,
    TsNe,
    Lt,
    Le,
    Gt,
    Ge,
    Regex,
    In,
    Nin,
    Contains,
    All,
    Size,
    Empty,
    SubsetOf,
    AnyOf,
    NoneOf,
    Exists,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s.to_ascii_uppercase().as_str() {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "===" => Op::TsEq,
            "!==" => Op::TsNe,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "=~" => Op::Regex,
            "IN" => Op::In,
            "NIN" => Op::Nin,
            "CONTAINS" => Op::Contains,
            "ALL" => Op::All,
            "SIZE" => Op::Size,
            "EMPTY" => Op::Empty,
            "SUBSETOF" => Op::SubsetOf,
            "ANYOF" => Op::AnyOf,
            "NONEOF" => Op::NoneOf,
            "EXISTS" => Op::Exists,
            _ => return None,
        })
    }
}

/// A number as Jayway's `BigDecimal` compares it: exact for integers, `f64` otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
enum JNum {
    Int(i128),
    Float(f64),
}

impl JNum {
    fn from_json(n: &Number) -> JNum {
        if let Some(i) = n.as_i64() {
            JNum::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            JNum::Int(i128::from(u))
        } else {
            JNum::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            JNum::Int(i) => i as f64,
            JNum::Float(f) => f,
        }
    }

    fn compare(self, other: JNum) -> Option<Ordering> {
        match (self, other) {
            (JNum::Int(a), JNum::Int(b)) => Some(a.cmp(&b)),
            _ => self.as_f64().partial_cmp(&other.as_f64()),
        }
    }

    /// `BigDecimal.intValue()`, good enough for `size`.
    fn int_value(self) -> i64 {
        match self {
            JNum::Int(i) => i as i64,
            JNum::Float(f) => f as i64,
        }
    }
}
