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

use fancy_regex::{Regex, RegexBuilder};
use serde_json::{Map, Number, Value};

/// Filters within paths within filters: deeper nesting is refused at parse time.
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

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
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
        JsonPath::parse_text(text).map_err(super::SyntaxError)
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
        Ok(JsonPath {
            text: text.to_string(),
            root,
            body: Body::new(segments),
            simple,
        })
    }

    /// The path as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &PathRoot {
        &self.root
    }

    /// A definite path selects at most one node (no wildcard, slice, union, filter or `..`).
    /// As in Jayway, a union of names in the last position (`$['a','b']`) is definite: it
    /// selects one object made of those members.
    pub fn is_definite(&self) -> bool {
        self.body.definite
    }

    /// A reference path (ASL "Reference Paths", used by ResultPath): definite and made of
    /// names and single indexes only. The root is not considered: a ResultPath must also
    /// start with `$`, which the caller checks with [`JsonPath::root`].
    pub fn is_reference_path(&self) -> bool {
        self.simple
    }

    /// Evaluate against `root` (the value of the path's root, already chosen by the
    /// caller from [`JsonPath::root`]). A definite path gives the node; an indefinite one
    /// gives an array of the matches (possibly empty).
    pub fn select(&self, root: &Value) -> Result<Value, PathError> {
        self.select_cow(root).map(Cow::into_owned)
    }

    /// [`JsonPath::select`] without cloning when the result is a node of `root`.
    pub fn select_cow<'a>(&self, root: &'a Value) -> Result<Cow<'a, Value>, PathError> {
        let segments = &self.body.segments;
        if self.simple {
            return select_simple(segments, root).map(Cow::Borrowed);
        }
        let opts = Opts {
            require: false,
            messages: self.body.definite,
        };
        let found = evaluate(segments, root, root, opts, '$');
        if self.body.definite {
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
    pub fn write(&self, target: Value, value: Value) -> Result<Value, PathError> {
        if !self.is_reference_path() {
            return Err(PathError(format!(
                "'{}' is not a reference path: only names and single indexes can be written",
                self.text
            )));
        }
        let segments = &self.body.segments;
        if segments.is_empty() {
            return Ok(value);
        }
        if !can_write(segments, &target) {
            return Err(self.conflict(&target));
        }
        let mut target = target;
        match set_at(&mut target, segments, value) {
            Some(()) => Ok(target),
            // `can_write` has checked every step.
            None => Err(self.conflict(&target)),
        }
    }

    fn conflict(&self, target: &Value) -> PathError {
        PathError(format!(
            "Unable to apply ReferencePath {} to input {}",
            self.text, target
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
    Name { name: String, quote: char },
    /// `['a','b']`: merged into one object when last, iterated otherwise.
    Names { names: Vec<String>, quote: char },
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
        fn quoted(out: &mut String, names: &[String], quote: char) {
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

// ---------------------------------------------------------------------------------------
// Path compiler (Jayway's PathCompiler)
// ---------------------------------------------------------------------------------------

/// Compile a path whose first char is `$` or `@` into its tokens.
fn compile_path(chars: &[char], depth: usize) -> Result<Vec<Segment>, String> {
    if depth > MAX_NESTING {
        return Err("Path is nested too deeply".to_string());
    }
    let n = chars.len();
    if n == 0 || !matches!(chars[0], '$' | '@') {
        return Err("Path must start with '$' or '@'".to_string());
    }
    if chars[n - 1] == '.' {
        return Err("Path must not end with a '.' or '..'".to_string());
    }
    let mut segments = Vec::new();
    if n == 1 {
        return Ok(segments);
    }
    if chars[1] != '.' && chars[1] != '[' {
        return Err("Illegal character at position 1 expected '.' or '['".to_string());
    }
    let mut pos = 1;
    let mut scan = false;
    while pos < n {
        let (segment, next) = match chars[pos] {
            '.' => {
                if chars.get(pos + 1) == Some(&'.') {
                    scan = true;
                    pos += 2;
                } else {
                    pos += 1;
                }
                if chars.get(pos) == Some(&'.') {
                    return Err(format!("Character '.' on position {pos} is not valid."));
                }
                continue;
            }
            '[' => read_bracket(chars, pos, depth)?,
            '*' => (Segment::Wildcard, pos + 1),
            ' ' => return Err(format!("Could not parse token starting at position {pos}")),
            _ => read_name(chars, pos)?,
        };
        segments.push(if scan {
            Segment::Scan(Box::new(segment))
        } else {
            segment
        });
        scan = false;
        pos = next;
    }
    Ok(segments)
}

/// A name in dot notation: up to the next `.` or `[`.
fn read_name(chars: &[char], start: usize) -> Result<(Segment, usize), String> {
    let mut end = start;
    while end < chars.len() {
        match chars[end] {
            ' ' => {
                return Err(format!(
                    "Use bracket notion ['my prop'] if your property contains blank characters. position: {start}"
                ));
            }
            '.' | '[' => break,
            _ => end += 1,
        }
    }
    let name = chars[start..end].iter().collect();
    Ok((Segment::Name { name, quote: '\'' }, end))
}

/// The index of the first char after `from` that is not a space.
fn next_significant(chars: &[char], from: usize) -> Option<usize> {
    (from + 1..chars.len()).find(|&i| chars[i] != ' ')
}

/// The index of the next `c` after `from` not preceded by a backslash.
fn next_unescaped(chars: &[char], from: usize, c: char) -> Option<usize> {
    let mut escaped = false;
    for (i, &ch) in chars.iter().enumerate().skip(from + 1) {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == c {
            return Some(i);
        }
    }
    None
}

/// The index of the `close` matching the `open` at `start`, skipping quoted strings (and
/// `/regex/` when `skip_regex`), as Jayway's `CharacterIndex.indexOfClosingBracket`.
fn matching_close(
    chars: &[char],
    start: usize,
    open: char,
    close: char,
    skip_regex: bool,
) -> Result<Option<usize>, String> {
    let mut opened = 1;
    let mut pos = start + 1;
    while pos < chars.len() {
        let c = chars[pos];
        if c == '\'' || c == '"' {
            pos = next_unescaped(chars, pos, c).ok_or_else(|| {
                format!(
                    "Could not find matching close quote for {c} when parsing : {}",
                    excerpt(chars)
                )
            })? + 1;
        }
        if skip_regex && chars.get(pos) == Some(&'/') {
            pos = next_unescaped(chars, pos, '/').ok_or_else(|| {
                format!(
                    "Could not find matching close for / when parsing regex in : {}",
                    excerpt(chars)
                )
            })? + 1;
        }
        match chars.get(pos) {
            Some(&c) if c == open => opened += 1,
            Some(&c) if c == close => {
                opened -= 1;
                if opened == 0 {
                    return Ok(Some(pos));
                }
            }
            Some(_) => {}
            None => break,
        }
        pos += 1;
    }
    Ok(None)
}

fn text(chars: &[char]) -> String {
    chars.iter().collect()
}

/// `s` for an error message (see [`excerpt`]).
fn excerpt_str(s: &str) -> String {
    excerpt(&s.chars().collect::<Vec<_>>())
}

/// `chars` for an error message: one line, at most `MESSAGE_EXCERPT` chars.
fn excerpt(chars: &[char]) -> String {
    let mut out: String = chars
        .iter()
        .take(MESSAGE_EXCERPT)
        .map(|&c| if c.is_control() { ' ' } else { c })
        .collect();
    if chars.len() > MESSAGE_EXCERPT {
        out.push_str("...");
    }
    out
}

/// A token starting with `[` at `pos`.
fn read_bracket(chars: &[char], pos: usize, depth: usize) -> Result<(Segment, usize), String> {
    let generic =
        || format!("Could not parse token starting at position {pos}. Expected ?, ', 0-9, * ");
    let Some(sig) = next_significant(chars, pos) else {
        return Err(generic());
    };
    match chars[sig] {
        '\'' | '"' => read_bracket_names(chars, pos, chars[sig]),
        c if c.is_ascii_digit() || c == '-' || c == ':' => {
            read_array(chars, pos)?.ok_or_else(generic)
        }
        '*' => match next_significant(chars, sig) {
            Some(close) if chars[close] == ']' => Ok((Segment::Wildcard, close + 1)),
            _ => Err(format!(
                "Expected wildcard token to end with ']' on position {}",
                sig + 1
            )),
        },
        '?' => {
            if let Some(found) = read_filter(chars, pos, sig, depth)? {
                return Ok(found);
            }
            // `[?]`: a placeholder for a predicate passed by the caller; AWS passes none.
            match next_significant(chars, sig) {
                Some(i) if matches!(chars[i], ']' | ',') => {
                    let end = chars[pos..]
                        .iter()
                        .position(|&c| c == ']')
                        .map_or(chars.len(), |e| pos + e);
                    Err(format!(
                        "Not enough predicates supplied for filter [{}] at position {pos}",
                        excerpt(&chars[pos + 1..end])
                    ))
                }
                _ => Err(generic()),
            }
        }
        _ => Err(generic()),
    }
}

/// `['a']`, `["a"]`, `['a','b']`. Names are taken verbatim: a backslash only keeps the
/// next char from closing the name (AWS looks up `$['a\"b']` as the key `a\"b`).
fn read_bracket_names(chars: &[char], pos: usize, quote: char) -> Result<(Segment, usize), String> {
    let mut names = Vec::new();
    let mut start = pos + 1;
    let mut end = 0;
    let mut in_name = false;
    let mut escaped = false;
    let mut last_was_comma = false;
    let mut read = pos + 1;
    while read < chars.len() {
        let c = chars[read];
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ']' && !in_name {
            if last_was_comma {
                return Err(format!("Found empty property at index {read}"));
            }
            break;
        } else if c == quote {
            if in_name {
                match next_significant(chars, read) {
                    Some(i) if matches!(chars[i], ']' | ',') => {}
                    _ => {
                        return Err(format!(
                            "Property must be separated by comma or Property must be terminated close square bracket at index {read}"
                        ));
                    }
                }
                end = read;
                names.push(text(&chars[start..read]));
                in_name = false;
            } else {
                start = read + 1;
                in_name = true;
                last_was_comma = false;
            }
        } else if c == ',' && !in_name {
            if last_was_comma {
                return Err(format!("Found empty property at index {read}"));
            }
            last_was_comma = true;
        } else if !in_name && c != ' ' {
            return Err(format!(
                "Property must be separated by comma or Property must be terminated close square bracket at index {read}"
            ));
        }
        read += 1;
    }
    if in_name {
        return Err(format!(
            "Property has not been closed - missing closing {quote}"
        ));
    }
    let close = match next_significant(chars, end) {
        Some(i) if chars[i] == ']' && !names.is_empty() => i,
        _ => return Err("Property has not been closed - missing closing ]".to_string()),
    };
    let segment = if names.len() == 1 {
        Segment::Name {
            name: names.remove(0),
            quote,
        }
    } else {
        Segment::Names { names, quote }
    };
    Ok((segment, close + 1))
}

/// `[1]`, `[1,2]`, `[1:]`, `[:2]`, `[1:2]`; `None` when the brackets hold something else.
fn read_array(chars: &[char], pos: usize) -> Result<Option<(Segment, usize)>, String> {
    let Some(close) = chars[pos + 1..]
        .iter()
        .position(|&c| c == ']')
        .map(|e| pos + 1 + e)
    else {
        return Ok(None);
    };
    let raw = text(&chars[pos + 1..close]);
    let expr = java_trim(&raw);
    if !expr
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | ':' | ' '))
    {
        return Ok(None);
    }
    let segment = if expr.contains(':') {
        let failed = || format!("Failed to parse SliceOperation: {}", excerpt_str(expr));
        if expr.contains(' ') {
            return Err(failed());
        }
        // Java's split drops trailing empty strings; a third part (a step) is ignored.
        let mut parts: Vec<&str> = expr.split(':').collect();
        while parts.last() == Some(&"") {
            parts.pop();
        }
        let bound = |i: usize| -> Result<Option<i64>, String> {
            match parts.get(i) {
                None | Some(&"") => Ok(None),
                Some(p) => p
                    .parse::<i32>()
                    .map(|v| Some(i64::from(v)))
                    .map_err(|_| failed()),
            }
        };
        let (from, to) = (bound(0)?, bound(1)?);
        if from.is_none() && to.is_none() {
            return Err(failed());
        }
        Segment::Slice { from, to }
    } else {
        let mut indexes = Vec::new();
        for token in expr.split(',') {
            let token = token.trim_matches(' ');
            let index = token.parse::<i32>().map_err(|_| {
                format!(
                    "Failed to parse token in ArrayIndexOperation: {}",
                    excerpt_str(token)
                )
            })?;
            indexes.push(i64::from(index));
        }
        if indexes.len() == 1 {
            Segment::Index(indexes[0])
        } else {
            Segment::Indexes(indexes)
        }
    };
    Ok(Some((segment, close + 1)))
}

/// `[?(...)]` with the `?` at `question`; `None` when it is not a filter.
fn read_filter(
    chars: &[char],
    pos: usize,
    question: usize,
    depth: usize,
) -> Result<Option<(Segment, usize)>, String> {
    let Some(open) = next_significant(chars, question).filter(|&i| chars[i] == '(') else {
        return Ok(None);
    };
    let Some(close) = matching_close(chars, open, '(', ')', true)? else {
        return Ok(None);
    };
    let Some(end) = next_significant(chars, close).filter(|&i| chars[i] == ']') else {
        return Ok(None);
    };
    let criteria = &chars[pos..=end];
    let expr = compile_filter(criteria, depth + 1).map_err(|e| {
        format!(
            "Could not compile inline filter : {} ({e})",
            excerpt(criteria)
        )
    })?;
    Ok(Some((Segment::Filter(Box::new(expr)), end + 1)))
}

// ---------------------------------------------------------------------------------------
// Filter compiler (Jayway's FilterCompiler)
// ---------------------------------------------------------------------------------------

/// Compile `[?(...)]`.
fn compile_filter(criteria: &[char], depth: usize) -> Result<Expr, String> {
    let whole = text(criteria);
    let s = java_trim(&whole);
    let quoted = excerpt(criteria);
    let inner = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| format!("Filter must start with '[' and end with ']'. {quoted}"))?;
    let inner = java_trim(inner)
        .strip_prefix('?')
        .ok_or_else(|| format!("Filter must start with '[?' and end with ']'. {quoted}"))?;
    let inner = java_trim(inner);
    if !inner.starts_with('(') || !inner.ends_with(')') {
        return Err(format!(
            "Filter must start with '[?(' and end with ')]'. {quoted}"
        ));
    }
    let chars: Vec<char> = inner.chars().collect();
    FilterParser {
        s: &chars,
        pos: 0,
        depth,
    }
    .compile()
}

#[derive(Clone, Copy)]
enum Logic {
    And,
    Or,
}

struct FilterParser<'s> {
    s: &'s [char],
    pos: usize,
    depth: usize,
}

impl FilterParser<'_> {
    fn current(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while self.current() == Some(' ') {
            self.pos += 1;
        }
    }

    fn whole(&self) -> String {
        excerpt(self.s)
    }

    /// Jayway's stack machine: operators are only applied at a `)`, right to left.
    fn compile(mut self) -> Result<Expr, String> {
        let mut ops: Vec<Logic> = Vec::new();
        let mut exprs: Vec<Expr> = Vec::new();
        let mut unbalanced: i64 = 0;
        let unexpected = || "Failed to parse filter: unexpected end of expression".to_string();
        loop {
            self.skip_blanks();
            let Some(c) = self.current() else { break };
            let start = self.pos;
            match c {
                '(' => {
                    unbalanced += 1;
                    self.pos += 1;
                }
                ')' => {
                    unbalanced -= 1;
                    self.pos += 1;
                    let mut expr = exprs.pop().ok_or_else(unexpected)?;
                    if let Some(op) = ops.pop() {
                        let right = exprs.pop().ok_or_else(|| {
                            "Expected expression on right hand side of operator".to_string()
                        })?;
                        expr = combine(expr, op, right)?;
                        while let Some(op) = ops.pop() {
                            let left = exprs.pop().ok_or_else(unexpected)?;
                            expr = combine(expr, op, left)?;
                        }
                    }
                    exprs.push(expr);
                }
                '!' => self.pos += 1,
                '|' | '&' => ops.push(self.read_logical()?),
                _ => {
                    let expr = self.read_expression()?;
                    exprs.push(expr);
                }
            }
            if self.pos <= start {
                return Err(format!("Failed to parse filter {}", self.whole()));
            }
        }
        if unbalanced != 0 {
            return Err(format!(
                "Failed to parse filter. Brackets are not balanced. {}",
                self.whole()
            ));
        }
        exprs.pop().ok_or_else(unexpected)
    }

    fn read_logical(&mut self) -> Result<Logic, String> {
        self.skip_blanks();
        let op: String = self.s.iter().skip(self.pos).take(2).collect();
        let logic = match op.as_str() {
            "&&" => Logic::And,
            "||" => Logic::Or,
            _ if op.len() < 2 => return Err("Expected boolean literal".to_string()),
            _ => return Err("Expected logical operator".to_string()),
        };
        self.pos += 2;
        Ok(logic)
    }

    fn read_expression(&mut self) -> Result<Expr, String> {
        let (left, negated) = self.read_operand()?;
        if self.expression_is_terminated()? {
            let Operand::Path(path) = left else {
                return Err("Expected path node".to_string());
            };
            return Ok(Expr::Rel(Box::new(Relation {
                left: Operand::Exists(path),
                op: Op::Exists,
                right: Operand::Lit(Lit::Bool(!negated)),
            })));
        }
        let op = self.read_operator()?;
        let (right, _) = self.read_operand()?;
        Ok(Expr::Rel(Box::new(Relation { left, op, right })))
    }

    /// After an operand: true when a `)`, `&` or `|` comes (an existence check).
    fn expression_is_terminated(&self) -> Result<bool, String> {
        let terminator = |c: char| matches!(c, ')' | '&' | '|');
        let c = self
            .current()
            .ok_or_else(|| format!("Failed to parse filter {}: unexpected end", self.whole()))?;
        if terminator(c) {
            return Ok(true);
        }
        Ok(next_significant(self.s, self.pos).is_some_and(|i| terminator(self.s[i])))
    }

    fn read_operator(&mut self) -> Result<Op, String> {
        self.skip_blanks();
        let begin = self.pos;
        if self.current().is_some_and(is_relational_char) {
            while self.current().is_some_and(is_relational_char) {
                self.pos += 1;
            }
        } else {
            while self.current().is_some_and(|c| c != ' ') {
                self.pos += 1;
            }
        }
        let op = text(&self.s[begin..self.pos]);
        Op::parse(&op)
            .ok_or_else(|| format!("Filter operator {} is not supported!", excerpt_str(&op)))
    }

    /// An operand, and whether a `!` preceded it.
    fn read_operand(&mut self) -> Result<(Operand, bool), String> {
        self.skip_blanks();
        match self.current() {
            Some('$' | '@') => self.read_path(),
            _ => Ok((Operand::Lit(self.read_literal()?), false)),
        }
    }

    fn read_path(&mut self) -> Result<(Operand, bool), String> {
        let negated = self.s[..self.pos]
            .iter()
            .rev()
            .find(|&&c| c != ' ')
            .is_some_and(|&c| c == '!');
        let begin = self.pos;
        self.pos += 1;
        while self.pos < self.s.len() {
            if self.s[self.pos] == '[' {
                let close = self.s[self.pos..]
                    .iter()
                    .position(|&c| c == ']')
                    .ok_or_else(|| {
                        format!("Square brackets does not match in filter {}", self.whole())
                    })?;
                self.pos += close + 1;
            }
            let Some(c) = self.current() else { break };
            let closing_function = c == ')' && self.closes_function(begin);
            if is_relational_char(c) || c == ' ' || (c == ')' && !closing_function) {
                break;
            }
            self.pos += 1;
        }
        let path_chars: Vec<char> = java_trim(&text(&self.s[begin..self.pos])).chars().collect();
        let segments = compile_path(&path_chars, self.depth)?;
        let path = SubPath {
            relative: path_chars.first() == Some(&'@'),
            body: Body::new(segments),
        };
        Ok((Operand::Path(path), negated))
    }

    /// Whether the `)` at the current position closes `name()` within the path at `begin`.
    fn closes_function(&self, begin: usize) -> bool {
        let Some(open) = self.s[..self.pos].iter().rposition(|&c| c != ' ') else {
            return false;
        };
        self.s[open] == '(' && self.s[begin + 1..open].contains(&'.')
    }

    fn read_literal(&mut self) -> Result<Lit, String> {
        self.skip_blanks();
        let begin = self.pos;
        match self.current() {
            Some(q @ ('\'' | '"')) => {
                let close = next_unescaped(self.s, begin, q).ok_or_else(|| {
                    format!("String not closed. Expected {q} in {}", self.whole())
                })?;
                self.pos = close + 1;
                Ok(Lit::Str(java_unescape(&self.s[begin + 1..close])?))
            }
            Some(open @ ('{' | '[')) => {
                let close_char = if open == '{' { '}' } else { ']' };
                let close = matching_close(self.s, begin, open, close_char, false)?
                    .ok_or_else(|| format!("String not closed. Expected ' in {}", self.whole()))?;
                self.pos = close + 1;
                let value = JsonLiteral {
                    s: &self.s[begin..=close],
                    pos: 0,
                }
                .parse()?;
                Ok(Lit::Json(value))
            }
            Some('/') => {
                let mut close = next_unescaped(self.s, begin, '/')
                    .ok_or_else(|| format!("Pattern not closed. Expected / in {}", self.whole()))?;
                let source = text(&self.s[begin + 1..close]);
                let case_insensitive = self.s.get(close + 1) == Some(&'i');
                if case_insensitive {
                    close += 1;
                }
                self.pos = close + 1;
                let regex = RegexBuilder::new(&format!(r"\A(?:{source})\z"))
                    .case_insensitive(case_insensitive)
                    .build()
                    .map_err(|e| {
                        format!(
                            "Invalid regular expression /{source}/: {}",
                            first_line(&e.to_string())
                        )
                    })?;
                Ok(Lit::Pattern(Pattern {
                    source: text(&self.s[begin..=close]),
                    regex,
                }))
            }
            _ => {
                // Jayway reads `true`, `false`, `null` or a number here. A bare word is read
                // as a string instead of failing: AWS samples use `[?(@.Name==Receipt)]` and
                // `[?(@.TargetLanguageCode==fr)]` on their main path.
                while self
                    .current()
                    .is_some_and(|c| !matches!(c, ' ' | ')' | '&' | '|') && !is_relational_char(c))
                {
                    self.pos += 1;
                }
                let word = text(&self.s[begin..self.pos]);
                Ok(match word.as_str() {
                    "true" => Lit::Bool(true),
                    "false" => Lit::Bool(false),
                    "null" => Lit::Null,
                    "" => return Err(format!("Expected a value in filter {}", self.whole())),
                    _ => match BigDec::parse(&word) {
                        Some(number) => Lit::Num(number.to_jnum(), number.to_java_string()),
                        None => Lit::Str(word),
                    },
                })
            }
        }
    }
}

fn is_relational_char(c: char) -> bool {
    matches!(c, '<' | '>' | '=' | '~' | '!')
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

/// Jayway's `ExpressionNode.createExpressionNode(right, op, left)`.
fn combine(right: Expr, op: Logic, left: Expr) -> Result<Expr, String> {
    let expr = match (op, right) {
        (Logic::And, Expr::And(mut chain)) => {
            chain.push(left);
            Expr::And(chain)
        }
        (Logic::And, right) => Expr::And(vec![left, right]),
        (Logic::Or, Expr::Or(mut chain)) => {
            chain.push(left);
            Expr::Or(chain)
        }
        (Logic::Or, right) => Expr::Or(vec![left, right]),
    };
    if expr_depth(&expr) > MAX_EXPR_DEPTH {
        return Err("Filter expression is nested too deeply".to_string());
    }
    Ok(expr)
}

/// Depth of `&&`/`||` nesting (bounded by `MAX_EXPR_DEPTH` + 1 when called).
fn expr_depth(expr: &Expr) -> usize {
    match expr {
        Expr::And(chain) | Expr::Or(chain) => 1 + chain.iter().map(expr_depth).max().unwrap_or(0),
        Expr::Rel(_) => 0,
    }
}

/// Java's `Utils.unescape` (backslash escapes and `\uXXXX`, as in a Java literal).
fn java_unescape(s: &[char]) -> Result<String, String> {
    let mut out: Vec<u16> = Vec::with_capacity(s.len());
    let mut buf = [0u16; 2];
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != '\\' {
            out.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let Some(&e) = s.get(i) else {
            out.push(u16::from(b'\\'));
            break;
        };
        i += 1;
        let unescaped = match e {
            'r' => '\r',
            'f' => '\u{c}',
            't' => '\t',
            'n' => '\n',
            'b' => '\u{8}',
            'u' => {
                let hex = text(&s[i..(i + 4).min(s.len())]);
                let unit = u16::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .ok_or_else(|| format!("Unable to parse unicode value: {hex}"))?;
                out.push(unit);
                i += 4;
                continue;
            }
            other => other,
        };
        out.extend_from_slice(unescaped.encode_utf16(&mut buf));
    }
    Ok(String::from_utf16_lossy(&out))
}

/// A JSON literal in a filter, parsed leniently as json-smart's permissive mode does:
/// single-quoted strings and unquoted keys are accepted.
struct JsonLiteral<'s> {
    s: &'s [char],
    pos: usize,
}

impl JsonLiteral<'_> {
    fn parse(mut self) -> Result<Value, String> {
        let value = self.value(0)?;
        self.skip_ws();
        if self.pos != self.s.len() {
            return Err(self.error());
        }
        Ok(value)
    }

    fn error(&self) -> String {
        format!(
            "Invalid JSON literal {} at position {}",
            excerpt(self.s),
            self.pos
        )
    }

    fn skip_ws(&mut self) {
        while self.s.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
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
            Some(&q @ ('\'' | '"')) => self.string(q).map(Value::String),
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

    fn bare_word(&mut self) -> String {
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

    fn string(&mut self, quote: char) -> Result<String, String> {
        let close = next_unescaped(self.s, self.pos, quote).ok_or_else(|| self.error())?;
        let raw = &self.s[self.pos + 1..close];
        self.pos = close + 1;
        java_unescape(raw)
    }
}

/// A JSON number as serde_json would read it (integers exactly when they fit).
fn json_number(word: &str) -> Option<Value> {
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
struct BigDec {
    negative: bool,
    /// Digits without leading zeros ("0" for zero).
    unscaled: String,
    scale: i64,
}

impl BigDec {
    fn parse(s: &str) -> Option<BigDec> {
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
    fn to_java_string(&self) -> String {
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

    fn to_jnum(&self) -> JNum {
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
fn java_double_string(f: f64) -> String {
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
fn number_text(n: JNum) -> String {
    match n {
        JNum::Int(i) => i.to_string(),
        JNum::Float(f) => {
            let java = java_double_string(f);
            BigDec::parse(&java).map_or(java, |d| d.to_java_string())
        }
    }
}

/// Java's `String.compareTo` (UTF-16 code units).
fn java_compare(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

// ---------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Opts {
    /// Jayway's REQUIRE_PROPERTIES (used for `[?(@.a)]` existence checks).
    require: bool,
    /// Build error messages (off inside filters, where they are thrown away).
    messages: bool,
}

/// Jayway's two exception types: a filter turns the first into "undefined" and the second
/// into "no match".
enum EvalError {
    NotFound(String),
    Invalid(String),
}

impl EvalError {
    fn into_message(self) -> String {
        match self {
            EvalError::NotFound(m) | EvalError::Invalid(m) => m,
        }
    }
}

/// The matches of a path: nodes of the document, or objects made by a `['a','b']` merge.
#[derive(Default)]
struct Found<'a> {
    refs: Vec<&'a Value>,
    owned: Vec<Value>,
}

impl<'a> Found<'a> {
    fn into_first(self) -> Option<Cow<'a, Value>> {
        match self.owned.into_iter().next() {
            Some(v) => Some(Cow::Owned(v)),
            None => self.refs.first().map(|&v| Cow::Borrowed(v)),
        }
    }

    fn into_values(self) -> Vec<Value> {
        if self.owned.is_empty() {
            self.refs.into_iter().cloned().collect()
        } else {
            self.owned
        }
    }

    fn is_empty(&self) -> bool {
        self.refs.is_empty() && self.owned.is_empty()
    }
}

/// Evaluate `segments` from `start`, one token at a time over all current nodes (which
/// keeps document order and needs no recursion over the path).
fn evaluate<'a>(
    segments: &[Segment],
    start: &'a Value,
    doc: &'a Value,
    opts: Opts,
    root: char,
) -> Result<Found<'a>, EvalError> {
    let mut current = vec![start];
    let mut upstream = true;
    for (index, segment) in segments.iter().enumerate() {
        let leaf = index + 1 == segments.len();
        let step = Step {
            segments,
            index,
            leaf,
            upstream,
            doc,
            opts,
            root,
        };
        let mut out = Found::default();
        for &node in &current {
            step.apply(segment, node, &mut out)?;
        }
        if leaf {
            return Ok(out);
        }
        current = out.refs;
        if current.is_empty() {
            break;
        }
        upstream = upstream && segment.token_definite(leaf);
    }
    if segments.is_empty() {
        return Ok(Found {
            refs: current,
            owned: Vec::new(),
        });
    }
    Ok(Found::default())
}

/// One token applied to one node.
#[derive(Clone, Copy)]
struct Step<'a, 'p> {
    segments: &'p [Segment],
    index: usize,
    leaf: bool,
    /// All tokens before this one are definite (Jayway's `isUpstreamDefinite`).
    upstream: bool,
    doc: &'a Value,
    opts: Opts,
    root: char,
}

impl<'a> Step<'a, '_> {
    fn apply(
        &self,
        segment: &Segment,
        node: &'a Value,
        out: &mut Found<'a>,
    ) -> Result<(), EvalError> {
        match segment {
            Segment::Name { name, .. } => match node {
                Value::Object(map) => self.property(map, name, true, out),
                _ => self.not_an_object(segment, node),
            },
            Segment::Names { names, .. } => {
                let Value::Object(map) = node else {
                    return self.not_an_object(segment, node);
                };
                if !self.leaf {
                    for name in names {
                        self.property(map, name, false, out)?;
                    }
                    return Ok(());
                }
                let mut merged = Map::new();
                for name in names {
                    match map.get(name) {
                        Some(v) => {
                            merged.insert(name.clone(), v.clone());
                        }
                        None if self.opts.require => {
                            return Err(self.not_found(|| {
                                format!(
                                    "Missing property in path {}",
                                    self.eval_path(Some(segment))
                                )
                            }));
                        }
                        None => {}
                    }
                }
                out.owned.push(Value::Object(merged));
                Ok(())
            }
            Segment::Index(i) => {
                if let Some(items) = self.array(node)? {
                    out.refs
                        .extend(effective_index(*i, items.len()).map(|at| &items[at]));
                }
                Ok(())
            }
            Segment::Indexes(indexes) => {
                if let Some(items) = self.array(node)? {
                    let found = indexes
                        .iter()
                        .filter_map(|&i| effective_index(i, items.len()));
                    out.refs.extend(found.map(|at| &items[at]));
                }
                Ok(())
            }
            Segment::Slice { from, to } => {
                if let Some(items) = self.array(node)? {
                    let (start, end) = slice_bounds(*from, *to, items.len() as i64);
                    // Indexes below -len select nothing; skip them without iterating.
                    let start = start.max(-(items.len() as i64));
                    let found = (start..end).filter_map(|i| effective_index(i, items.len()));
                    out.refs.extend(found.map(|at| &items[at]));
                }
                Ok(())
            }
            Segment::Wildcard => {
                match node {
                    Value::Object(map) => out.refs.extend(map.values()),
                    Value::Array(items) => out.refs.extend(items.iter()),
                    _ => {}
                }
                Ok(())
            }
            Segment::Filter(expr) => match node {
                Value::Object(_) => {
                    if accept(expr, node, self.doc) {
                        out.refs.push(node);
                    }
                    Ok(())
                }
                Value::Array(items) => {
                    out.refs
                        .extend(items.iter().filter(|item| accept(expr, item, self.doc)));
                    Ok(())
                }
                _ if self.upstream => Err(EvalError::Invalid(self.message(|| {
                    format!(
                        "Filter: {} can not be applied to primitives. Current context is: {}",
                        self.fragments(),
                        java_to_string(node)
                    )
                }))),
                _ => Ok(()),
            },
            Segment::Scan(target) => self.scan(target, node, out),
        }
    }

    /// Jayway's `handleObjectProperty` for one name.
    fn property(
        &self,
        map: &'a Map<String, Value>,
        name: &str,
        token_definite: bool,
        out: &mut Found<'a>,
    ) -> Result<(), EvalError> {
        if let Some(v) = map.get(name) {
            out.refs.push(v);
            return Ok(());
        }
        if self.leaf {
            if self.opts.require {
                return Err(self.not_found(|| {
                    format!("No results for path: {}['{name}']", self.eval_path(None))
                }));
            }
        } else if (self.upstream && token_definite) || self.opts.require {
            return Err(self.not_found(|| {
                format!(
                    "Missing property in path {}['{name}']",
                    self.eval_path(None)
                )
            }));
        }
        Ok(())
    }

    fn not_an_object(&self, segment: &Segment, node: &Value) -> Result<(), EvalError> {
        if !self.upstream {
            return Ok(());
        }
        Err(self.not_found(|| {
            let mut fragment = String::new();
            segment.write_fragment(&mut fragment);
            expected_object_message(&fragment, &self.eval_path(None), node)
        }))
    }

    /// Jayway's `checkArrayModel`: `None` to skip a node that is not an array.
    fn array(&self, node: &'a Value) -> Result<Option<&'a Vec<Value>>, EvalError> {
        match node {
            Value::Array(items) => Ok(Some(items)),
            _ if !self.upstream => Ok(None),
            Value::Null => {
                Err(self.not_found(|| format!("The path {} is null", self.eval_path(None))))
            }
            _ => Err(self.not_found(|| {
                format!(
                    "Filter: {} can only be applied to arrays. Current context is: {}",
                    self.fragments(),
                    java_to_string(node)
                )
            })),
        }
    }

    /// `..target`, as Jayway's `ScanPathToken` walks: the node, then its descendants, in
    /// document order.
    fn scan(
        &self,
        target: &Segment,
        node: &'a Value,
        out: &mut Found<'a>,
    ) -> Result<(), EvalError> {
        let inner = Step {
            upstream: false,
            ..*self
        };
        let mut stack = vec![node];
        while let Some(model) = stack.pop() {
            match model {
                Value::Object(map) => {
                    if self.scan_matches(target, model) {
                        inner.apply(target, model, out)?;
                    }
                    stack.extend(map.values().rev());
                }
                Value::Array(items) => {
                    if self.scan_matches(target, model) {
                        if self.leaf {
                            inner.apply(target, model, out)?;
                        } else {
                            // Jayway hands the elements to the tokens after the target.
                            out.refs.extend(items.iter());
                        }
                    }
                    stack.extend(items.iter().rev());
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The predicate Jayway's scan applies before evaluating its target on a node.
    fn scan_matches(&self, target: &Segment, model: &Value) -> bool {
        match (target, model) {
            (Segment::Name { name, .. }, Value::Object(map)) => map.contains_key(name),
            (Segment::Names { names, .. }, Value::Object(map)) => {
                !self.leaf || names.iter().all(|n| map.contains_key(n))
            }
            (Segment::Index(_) | Segment::Indexes(_) | Segment::Slice { .. }, Value::Array(_)) => {
                true
            }
            (Segment::Wildcard, _) => true,
            (Segment::Filter(expr), _) => accept(expr, model, self.doc),
            _ => false,
        }
    }

    fn message(&self, build: impl FnOnce() -> String) -> String {
        if self.opts.messages {
            build()
        } else {
            String::new()
        }
    }

    fn not_found(&self, build: impl FnOnce() -> String) -> EvalError {
        EvalError::NotFound(self.message(build))
    }

    /// The path Jayway evaluated before this token (then `extra`, if given).
    fn eval_path(&self, extra: Option<&Segment>) -> String {
        let mut path = self.root.to_string();
        for segment in &self.segments[..self.index] {
            segment.write_eval_path(&mut path);
        }
        if let Some(segment) = extra {
            segment.write_eval_path(&mut path);
        }
        path
    }

    /// This token and the following ones, as Jayway's `PathToken.toString()`.
    fn fragments(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments[self.index..] {
            segment.write_fragment(&mut out);
        }
        out
    }
}

/// The (start, end) index range a slice visits on an array of `len` (Jayway's
/// `ArraySliceToken`); indexes may be negative (counted from the end) or out of range.
fn slice_bounds(from: Option<i64>, to: Option<i64>, len: i64) -> (i64, i64) {
    match (from, to) {
        (Some(from), None) => {
            let from = if from < 0 { len + from } else { from }.max(0);
            (from, len)
        }
        (Some(from), Some(to)) => (from, to.min(len)),
        (None, Some(to)) => {
            let to = if to < 0 { len + to } else { to };
            (0, to.min(len))
        }
        (None, None) => (0, 0),
    }
}

/// Jayway's index handling: negative counts from the end; out of range selects nothing.
fn effective_index(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let index = if index < 0 { len + index } else { index };
    if (0..len).contains(&index) {
        usize::try_from(index).ok()
    } else {
        None
    }
}

/// A simple path (single names and indexes) evaluated with a cursor.
fn select_simple<'a>(segments: &[Segment], root: &'a Value) -> Result<&'a Value, PathError> {
    let mut cur = root;
    for (index, segment) in segments.iter().enumerate() {
        let leaf = index + 1 == segments.len();
        let step = || Step {
            segments,
            index,
            leaf,
            upstream: true,
            doc: root,
            opts: Opts {
                require: false,
                messages: true,
            },
            root: '$',
        };
        let found = match (segment, cur) {
            (Segment::Name { name, .. }, Value::Object(map)) => match map.get(name) {
                Some(v) => Some(v),
                None if leaf => None,
                None => {
                    return Err(PathError(format!(
                        "Missing property in path {}['{name}']",
                        step().eval_path(None)
                    )));
                }
            },
            (Segment::Index(i), Value::Array(items)) => {
                effective_index(*i, items.len()).map(|at| &items[at])
            }
            _ => {
                // Not an object / not an array: the general step builds Jayway's error.
                let mut out = Found::default();
                step()
                    .apply(segment, cur, &mut out)
                    .map_err(|e| PathError(e.into_message()))?;
                out.refs.first().copied()
            }
        };
        cur = found.ok_or_else(|| no_results(segments))?;
    }
    Ok(cur)
}

fn no_results(segments: &[Segment]) -> PathError {
    let mut path = String::from("$");
    for segment in segments {
        segment.write_fragment(&mut path);
    }
    PathError(format!("No results for path: {path}"))
}

fn expected_object_message(fragment: &str, path: &str, node: &Value) -> String {
    format!(
        "Expected to find an object with property {fragment} in path {path} but found '{}'. \
         This is not a json object according to the JsonProvider: '{JSON_PROVIDER}'.",
        java_class(node)
    )
}

/// The Java class json-smart gives a value (for Jayway's messages).
fn java_class(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "net.minidev.json.JSONArray",
        Value::Object(_) => "net.minidev.json.JSONObject",
        Value::Number(n) => match JNum::from_json(n) {
            JNum::Int(i) if i32::try_from(i).is_ok() => "java.lang.Integer",
            JNum::Int(i) if i64::try_from(i).is_ok() => "java.lang.Long",
            JNum::Int(_) => "java.math.BigInteger",
            JNum::Float(_) => "java.lang.Double",
        },
    }
}

/// `String.valueOf` of a json-smart value.
fn java_to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match JNum::from_json(n) {
            JNum::Int(i) => i.to_string(),
            JNum::Float(f) => java_double_string(f),
        },
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Filter evaluation (Jayway's ValueNode evaluators)
// ---------------------------------------------------------------------------------------

/// Whether `item` passes the filter; an invalid comparison rejects it.
fn accept(expr: &Expr, item: &Value, doc: &Value) -> bool {
    eval_expr(expr, item, doc).unwrap_or(false)
}

/// `Err(())` is Jayway's InvalidPathException, which rejects the whole item.
fn eval_expr(expr: &Expr, item: &Value, doc: &Value) -> Result<bool, ()> {
    match expr {
        Expr::And(chain) => {
            for e in chain {
                if !eval_expr(e, item, doc)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Expr::Or(chain) => {
            for e in chain {
                if eval_expr(e, item, doc)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Expr::Rel(rel) => {
            let left = operand(&rel.left, item, doc)?;
            let right = operand(&rel.right, item, doc)?;
            relate(rel.op, &left, &right)
        }
    }
}

/// A value in a comparison (Jayway's `ValueNode`).
#[derive(Debug)]
enum Node<'a> {
    Undefined,
    Null,
    Bool(bool),
    /// A number, with its `BigDecimal` text when it is a literal.
    Num(JNum, Option<&'a str>),
    Str(&'a str),
    /// An array or object; `literal` for `[...]`/`{...}` written in the filter.
    Json(Cow<'a, Value>, bool),
    Pattern(&'a Pattern),
}

impl Node<'_> {
    fn of(v: &Value) -> Node<'_> {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Num(JNum::from_json(n), None),
            Value::String(s) => Node::Str(s),
            Value::Array(_) | Value::Object(_) => Node::Json(Cow::Borrowed(v), false),
        }
    }

    /// The class comparison of `===`.
    fn kind(&self) -> u8 {
        match self {
            Node::Undefined => 0,
            Node::Null => 1,
            Node::Bool(_) => 2,
            Node::Num(..) => 3,
            Node::Str(_) => 4,
            Node::Json(..) => 5,
            Node::Pattern(_) => 6,
        }
    }

    /// The items when this is an array; `Err` when it cannot be a list at all.
    fn list(&self) -> Result<Option<&Vec<Value>>, ()> {
        match self {
            Node::Json(v, _) => Ok(v.as_array()),
            _ => Err(()),
        }
    }
}

fn operand<'a>(o: &'a Operand, item: &'a Value, doc: &'a Value) -> Result<Node<'a>, ()> {
    match o {
        Operand::Lit(lit) => Ok(match lit {
            Lit::Null => Node::Null,
            Lit::Bool(b) => Node::Bool(*b),
            Lit::Num(n, text) => Node::Num(*n, Some(text)),
            Lit::Str(s) => Node::Str(s),
            Lit::Json(v) => Node::Json(Cow::Borrowed(v), true),
            Lit::Pattern(p) => Node::Pattern(p),
        }),
        Operand::Path(path) => {
            let start = if path.relative { item } else { doc };
            let opts = Opts {
                require: false,
                messages: false,
            };
            match evaluate(&path.body.segments, start, doc, opts, '@') {
                Err(EvalError::NotFound(_)) => Ok(Node::Undefined),
                Err(EvalError::Invalid(_)) => Err(()),
                Ok(found) if path.body.definite => Ok(match found.into_first() {
                    None => Node::Undefined,
                    Some(Cow::Borrowed(v)) => Node::of(v),
                    Some(Cow::Owned(v)) => Node::Json(Cow::Owned(v), false),
                }),
                Ok(found) => Ok(Node::Json(
                    Cow::Owned(Value::Array(found.into_values())),
                    false,
                )),
            }
        }
        Operand::Exists(path) => {
            let start = if path.relative { item } else { doc };
            let opts = Opts {
                require: true,
                messages: false,
            };
            match evaluate(&path.body.segments, start, doc, opts, '@') {
                Ok(found) => Ok(Node::Bool(!path.body.definite || !found.is_empty())),
                Err(EvalError::NotFound(_)) => Ok(Node::Bool(false)),
                Err(EvalError::Invalid(_)) => Err(()),
            }
        }
    }
}

/// The text of a number node as Jayway's `asStringNode()` gives it.
fn num_text<'a>(n: JNum, literal: Option<&'a str>) -> Cow<'a, str> {
    match literal {
        Some(text) => Cow::Borrowed(text),
        None => Cow::Owned(number_text(n)),
    }
}

/// A string read as a number (`StringNode.asNumberNode()`); `None` is Jayway's NaN node.
fn string_number(s: &str) -> Option<JNum> {
    BigDec::parse(s).map(|d| d.to_jnum())
}

/// Java's `left.equals(right)` for value nodes (used by lists and `in`).
fn node_equals(left: &Node, right: &Node) -> bool {
    match (left, right) {
        (Node::Str(a), Node::Str(b)) => a == b,
        (Node::Str(a), Node::Num(n, t)) => *a == num_text(*n, *t),
        (Node::Num(a, _), Node::Num(b, _)) => a.compare(*b) == Some(Ordering::Equal),
        (Node::Num(a, _), Node::Str(s)) => {
            string_number(s).and_then(|b| a.compare(b)) == Some(Ordering::Equal)
        }
        (Node::Bool(a), Node::Bool(b)) => a == b,
        (Node::Null, Node::Null) => true,
        (Node::Json(a, la), Node::Json(b, lb)) => la == lb && a == b,
        _ => false,
    }
}

/// The `==` evaluator: like `equals`, except that two JSON values are compared parsed
/// (and a literal on the left never equals anything, as in Jayway).
fn eq_evaluator(left: &Node, right: &Node) -> bool {
    match (left, right) {
        (Node::Json(a, literal), Node::Json(b, _)) => !literal && a == b,
        _ => node_equals(left, right),
    }
}

fn compare(left: &Node, right: &Node) -> Option<Ordering> {
    match (left, right) {
        (Node::Num(a, _), Node::Num(b, _)) => a.compare(*b),
        (Node::Str(a), Node::Str(b)) => Some(java_compare(a, b)),
        (Node::Str(a), Node::Num(n, t)) => Some(java_compare(a, &num_text(*n, *t))),
        (Node::Num(n, t), Node::Str(b)) => Some(java_compare(&num_text(*n, *t), b)),
        _ => None,
    }
}

/// What `=~` matches a node against.
fn regex_input<'a>(node: &Node<'a>) -> Cow<'a, str> {
    match node {
        Node::Str(s) => Cow::Borrowed(s),
        Node::Num(n, t) => num_text(*n, *t),
        Node::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        _ => Cow::Borrowed(""),
    }
}

fn contains_node(items: &[Value], node: &Node) -> bool {
    items.iter().any(|item| node_equals(node, &Node::of(item)))
}

fn relate(op: Op, left: &Node, right: &Node) -> Result<bool, ()> {
    Ok(match op {
        Op::Eq => eq_evaluator(left, right),
        Op::Ne => !eq_evaluator(left, right),
        Op::TsEq => left.kind() == right.kind() && eq_evaluator(left, right),
        Op::TsNe => !(left.kind() == right.kind() && eq_evaluator(left, right)),
        Op::Lt => compare(left, right) == Some(Ordering::Less),
        Op::Le => matches!(compare(left, right), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => compare(left, right) == Some(Ordering::Greater),
        Op::Ge => matches!(
            compare(left, right),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Regex => match (left, right) {
            (Node::Pattern(_), Node::Pattern(_)) => false,
            (Node::Pattern(p), other) | (other, Node::Pattern(p)) => match other {
                Node::Json(v, _) if v.is_array() => v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|item| p.matches(&regex_input(&Node::of(item)))),
                _ => p.matches(&regex_input(other)),
            },
            _ => false,
        },
        Op::In => right
            .list()?
            .is_some_and(|items| contains_node(items, left)),
        Op::Nin => !right
            .list()?
            .is_some_and(|items| contains_node(items, left)),
        Op::Contains => match (left, right) {
            (Node::Str(a), Node::Str(b)) => a.contains(b),
            (Node::Json(v, _), _) => v
                .as_array()
                .is_some_and(|items| contains_node(items, right)),
            _ => false,
        },
        Op::All => return Err(()),
        Op::Size => match (left, right) {
            (Node::Str(s), Node::Num(n, _)) => s.encode_utf16().count() as i64 == n.int_value(),
            (Node::Json(v, _), Node::Num(n, _)) => {
                v.as_array().map_or(-1, |items| items.len() as i64) == n.int_value()
            }
            _ => false,
        },
        Op::Empty => {
            let Node::Bool(expected) = right else {
                return Err(());
            };
            match left {
                Node::Str(s) => s.is_empty() == *expected,
                Node::Json(v, _) => {
                    let empty = match v.as_ref() {
                        Value::Array(items) => items.is_empty(),
                        Value::Object(map) => map.is_empty(),
                        Value::String(s) => s.is_empty(),
                        _ => true,
                    };
                    empty == *expected
                }
                _ => false,
            }
        }
        Op::SubsetOf | Op::AnyOf | Op::NoneOf => {
            let (Some(rights), Some(lefts)) = (right.list()?, left.list()?) else {
                return Ok(false);
            };
            let mut pairs = lefts.iter().map(|l| (Node::of(l), rights));
            match op {
                Op::SubsetOf => pairs.all(|(l, rs)| contains_node(rs, &l)),
                Op::AnyOf => pairs.any(|(l, rs)| contains_node(rs, &l)),
                _ => !pairs.any(|(l, rs)| contains_node(rs, &l)),
            }
        }
        Op::Exists => match (left, right) {
            (Node::Bool(a), Node::Bool(b)) => a == b,
            _ => return Err(()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(text: &str) -> JsonPath {
        JsonPath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn sel(text: &str, doc: &Value) -> Value {
        path(text)
            .select(doc)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str, doc: &Value) -> String {
        match path(text).select(doc) {
            Ok(v) => panic!("{text}: expected an error, got {v}"),
            Err(e) => e.0,
        }
    }

    fn parse_err(text: &str) -> String {
        match JsonPath::parse(text) {
            Ok(p) => panic!("{text}: expected a parse error, got {p:?}"),
            Err(e) => e.0,
        }
    }

    // --- Cases recorded against AWS (conformance corpus) ---------------------------------

    #[test]
    fn aws_filter_on_status() {
        // paths/state-pass-regex-json-path-base
        let input = json!({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]});
        assert_eq!(
            sel("$.users[?(@.status == 0)]", &input),
            json!([{"year": 1997, "status": 0}])
        );
    }

    #[test]
    fn aws_escape_sequences_in_bracket_names() {
        // paths/escape-sequence-parsing-escape-sequences-jsonpath: the name is verbatim.
        let input = json!({"Test\\\"\"Name\"": "Value\"\\"});
        assert_eq!(sel("$['Test\\\"\"Name\"']", &input), json!("Value\"\\"));
    }

    #[test]
    fn aws_array_access() {
        let items: Vec<Value> = (0..11).map(|i| json!({"item_key": i})).collect();
        let input = json!({ "items": items });
        assert_eq!(sel("$.items[0]", &input), json!({"item_key": 0}));
        assert_eq!(sel("$.items[10]", &input), json!({"item_key": 10}));
    }

    #[test]
    fn aws_wildcards_and_slices_without_input() {
        // paths/json-path-array-wildcard-or-slice-with-no-input*: all give [] on {}.
        let input = json!({});
        for p in [
            "$[*]",
            "$.items[*]",
            "$.items[*].itemValue",
            "$.items[1:]",
            "$.items[1:].itemValue",
            "$.items[:1]",
            "$.items[:1].itemValue",
            "$.item.items[*]",
            "$.item.items[1:]",
            "$.item.items[:1]",
            "$.item.items[1:5]",
            "$.item.items[1:5].itemValue",
        ] {
            assert_eq!(sel(p, &input), json!([]), "{p}");
        }
    }

    #[test]
    fn aws_invalid_path_messages() {
        // errors/invalid-jsonpath-st-invalid-jsonpath-in-inputpath and -outputpath
        let input = json!({"int-literal": 0});
        assert_eq!(
            err("$.NoSuchInputPath", &input),
            "No results for path: $['NoSuchInputPath']"
        );
        assert_eq!(
            err("$.NoSuchOutputPath", &input),
            "No results for path: $['NoSuchOutputPath']"
        );
        // errors/invalid-jsonpath-invalid-jsonpath-in-errorpath, -causepath, string-expr
        assert!(
            path("$.ErrorX")
                .select(&json!({"Error": "error-value"}))
                .is_err()
        );
        assert!(path("$.no_such_jsonpath").select(&input).is_err());
        // lambda/base-scenarios-catch-states-runtime
        assert_eq!(
            err("$.no.such.result.path", &json!({})),
            "Missing property in path $['no']"
        );
    }

    #[test]
    fn aws_context_object_path() {
        // errors/invalid-jsonpath-invalid-jsonpath-in-string-expr-contextpath
        let p = path("$$.Execution.Input.no_such_jsonpath");
        assert_eq!(p.root(), &PathRoot::Context);
        let context = json!({"Execution": {"Input": {"int-literal": 0}}});
        assert_eq!(
            p.select(&context).unwrap_err().0,
            "No results for path: $['Execution']['Input']['no_such_jsonpath']"
        );
        assert_eq!(
            path("$$.Execution.Input").select(&context).unwrap(),
            json!({"int-literal": 0})
        );
    }

    // --- Roots ---------------------------------------------------------------------------

    #[test]
    fn roots() {
        assert_eq!(path("$").root(), &PathRoot::Input);
        assert_eq!(path("$$").root(), &PathRoot::Context);
        assert_eq!(path("$.a").root(), &PathRoot::Input);
        assert_eq!(path("$myVar").root(), &PathRoot::Variable("myVar".into()));
        assert_eq!(
            path("$my_var2.field").root(),
            &PathRoot::Variable("my_var2".into())
        );
        assert_eq!(
            path("$myVar[0]").root(),
            &PathRoot::Variable("myVar".into())
        );
        let doc = json!({"field": [1, 2]});
        assert_eq!(path("$myVar.field[1]").select(&doc).unwrap(), json!(2));
        assert_eq!(path("$v").select(&doc).unwrap(), doc);
        assert_eq!(path("  $.field  ").text(), "  $.field  ");
        assert_eq!(path("  $.field  ").select(&doc).unwrap(), json!([1, 2]));
    }

    // --- Parsing -------------------------------------------------------------------------

    #[test]
    fn dot_names_allow_any_char_but_dot_bracket_space() {
        let doc = json!({"a-b": 1, "näme": 2, "sub-values": {"x:y": 3}, "f()": 4});
        assert_eq!(sel("$.a-b", &doc), json!(1));
        assert_eq!(sel("$.näme", &doc), json!(2));
        assert_eq!(sel("$.sub-values.x:y", &doc), json!(3));
        assert_eq!(sel("$.f()", &doc), json!(4));
        assert_eq!(sel("$.['a-b']", &doc), json!(1));
        assert_eq!(sel("$[\"a-b\"]", &doc), json!(1));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(parse_err("foo"), "'foo' does not start with '$'");
        assert_eq!(parse_err(""), "'' does not start with '$'");
        assert_eq!(parse_err("$."), "Path must not end with a '.' or '..'");
        assert_eq!(parse_err("$.a.."), "Path must not end with a '.' or '..'");
        assert_eq!(
            parse_err("$-a"),
            "Illegal character at position 1 expected '.' or '['"
        );
        assert_eq!(
            parse_err("$...a"),
            "Character '.' on position 3 is not valid."
        );
        assert_eq!(
            parse_err("$.a b"),
            "Use bracket notion ['my prop'] if your property contains blank characters. position: 2"
        );
        assert_eq!(
            parse_err("$[]"),
            "Could not parse token starting at position 1. Expected ?, ', 0-9, * "
        );
        assert_eq!(
            parse_err("$['a"),
            "Property has not been closed - missing closing '"
        );
        assert_eq!(parse_err("$['a',]"), "Found empty property at index 6");
        assert_eq!(
            parse_err("$['a' 'b']"),
            "Property must be separated by comma or Property must be terminated close square bracket at index 4"
        );
        assert_eq!(
            parse_err("$[*x]"),
            "Expected wildcard token to end with ']' on position 3"
        );
        assert_eq!(
            parse_err("$[1 2]"),
            "Failed to parse token in ArrayIndexOperation: 1 2"
        );
        assert_eq!(parse_err("$[:]"), "Failed to parse SliceOperation: :");
        assert_eq!(parse_err("$[1 :2]"), "Failed to parse SliceOperation: 1 :2");
        assert_eq!(
            parse_err("$[99999999999]"),
            "Failed to parse token in ArrayIndexOperation: 99999999999"
        );
        assert_eq!(
            parse_err("$[?]"),
            "Not enough predicates supplied for filter [?] at position 1"
        );
        assert!(parse_err("$[?(@.a == 'x)]").starts_with("Could not"));
        assert!(parse_err("$[?(@.a <> 1)]").contains("Filter operator <> is not supported!"));
        assert!(parse_err("$[?(@.a =~ /(/)]").contains("Invalid regular expression"));
        assert!(parse_err("$[?((@.a == 1)]").starts_with("Could not"));
        assert!(parse_err("$[?(1)]").contains("Expected path node"));
        for p in [
            "$[?(@.a ==)]",
            "$[?(@.a && )]",
            "$[?()]",
            "$[?(@.a == [1,)]",
        ] {
            assert!(JsonPath::parse(p).is_err(), "{p}");
        }
    }

    #[test]
    fn parse_errors_are_one_line() {
        for p in [
            "$[?(@.a =~ /(/)]",
            "$[?(@.a == {'x': })]",
            "$[?(@.a in [1,2)]",
        ] {
            let e = parse_err(p);
            assert!(!e.contains('\n'), "{p}: {e}");
        }
    }

    #[test]
    fn pathological_input_is_refused_not_overflowed() {
        // Filters nested in paths nested in filters.
        let mut p = String::from("@.a");
        for _ in 0..200 {
            p = format!("@[?({p})]");
        }
        assert!(JsonPath::parse(&format!("${}", &p[1..])).is_err());
        // Alternating operators nest the expression tree.
        let long: Vec<String> = (0..500)
            .map(|i| format!("@.a == {i} {}", if i % 2 == 0 { "&&" } else { "||" }))
            .collect();
        let p = format!("$[?({} @.a == 0)]", long.join(" "));
        assert!(
            JsonPath::parse(&p)
                .unwrap_err()
                .contains("nested too deeply")
        );
        // Many parentheses and a long chain of one operator are fine.
        let p = format!("$[?({}@.a == 1{})]", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(
            path(&p).select(&json!([{"a": 1}, {"a": 2}])).unwrap(),
            json!([{"a": 1}])
        );
        let chain: Vec<String> = (0..2000).map(|i| format!("@.a == {i}")).collect();
        let p = format!("$[?({})]", chain.join(" || "));
        assert_eq!(
            path(&p).select(&json!([{"a": 1999}])).unwrap(),
            json!([{"a": 1999}])
        );
        // Deeply nested JSON literals.
        let p = format!("$[?(@.a in {}1{})]", "[".repeat(1000), "]".repeat(1000));
        assert!(JsonPath::parse(&p).is_err());
        // A long path is evaluated without recursion.
        let p = format!("${}", ".a".repeat(100_000));
        assert_eq!(
            path(&p).select(&json!({"b": 1})).unwrap_err().0,
            "Missing property in path $['a']"
        );
        let p = format!("$..a{}", "[*]".repeat(50_000));
        assert_eq!(path(&p).select(&json!({"a": [[1]]})).unwrap(), json!([]));
    }

    // --- Definiteness --------------------------------------------------------------------

    #[test]
    fn definiteness() {
        for p in [
            "$",
            "$$",
            "$.a",
            "$.a[0]",
            "$['a'].b[-1]",
            "$['a','b']",
            "$v.x",
        ] {
            assert!(path(p).is_definite(), "{p}");
        }
        for p in [
            "$.a[*]",
            "$.*",
            "$.a[0,1]",
            "$.a[1:]",
            "$..a",
            "$.a[?(@.b)]",
            "$['a','b'].c",
        ] {
            assert!(!path(p).is_definite(), "{p}");
        }
        for p in ["$", "$.a", "$.a[0].b", "$['a'][-1]", "$$.Map.Item.Value"] {
            assert!(path(p).is_reference_path(), "{p}");
        }
        for p in ["$['a','b']", "$.a[*]", "$..a", "$.a[0,1]"] {
            assert!(!path(p).is_reference_path(), "{p}");
        }
    }

    // --- Definite evaluation and Jayway's messages ------------------------------------------

    #[test]
    fn definite_errors() {
        let doc = json!({"a": {"b": 1}, "s": "text", "n": null, "arr": [1, 2], "i": 5, "f": 1.5});
        assert_eq!(sel("$", &doc), doc);
        assert_eq!(sel("$.a.b", &doc), json!(1));
        assert_eq!(sel("$.n", &doc), json!(null));
        assert_eq!(err("$.a.c", &doc), "No results for path: $['a']['c']");
        assert_eq!(err("$.x.y.z", &doc), "Missing property in path $['x']");
        assert_eq!(err("$.a.x.y", &doc), "Missing property in path $['a']['x']");
        assert_eq!(
            err("$.s.b", &doc),
            "Expected to find an object with property ['b'] in path $['s'] but found 'java.lang.String'. \
             This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."
        );
        assert!(err("$.n.b", &doc).contains("but found 'null'"));
        assert!(err("$.arr.b", &doc).contains("but found 'net.minidev.json.JSONArray'"));
        assert!(err("$.i.b", &doc).contains("but found 'java.lang.Integer'"));
        assert!(err("$.f.b", &doc).contains("but found 'java.lang.Double'"));
        assert!(err("$.arr['b','c']", &doc).contains("with property ['b','c'] in path $['arr']"));
        assert_eq!(err("$.arr[2]", &doc), "No results for path: $['arr'][2]");
        assert_eq!(err("$.arr[-3]", &doc), "No results for path: $['arr'][-3]");
        assert_eq!(
            err("$.arr[5].x", &doc),
            "No results for path: $['arr'][5]['x']"
        );
        assert_eq!(err("$.n[0]", &doc), "The path $['n'] is null");
        assert_eq!(
            err("$.a[0].b", &doc),
            "Filter: [0]['b'] can only be applied to arrays. Current context is: {\"b\":1}"
        );
        assert_eq!(
            err("$.s[0]", &doc),
            "Filter: [0] can only be applied to arrays. Current context is: text"
        );
        assert_eq!(err("$[\"zz\"]", &doc), "No results for path: $[\"zz\"]");
        assert_eq!(
            err("$['it\\'s']", &doc),
            "No results for path: $['it\\\\\\'s']"
        );
    }

    #[test]
    fn negative_indexes() {
        let doc = json!({"arr": [1, 2, 3]});
        assert_eq!(sel("$.arr[-1]", &doc), json!(3));
        assert_eq!(sel("$.arr[-3]", &doc), json!(1));
        assert_eq!(sel("$.arr[0,-1,7,1]", &doc), json!([1, 3, 2]));
    }

    #[test]
    fn simple_fast_path_matches_general_evaluation() {
        let doc = json!({"a": {"b": [1, {"c": null}]}, "s": "x", "n": null});
        for p in [
            "$",
            "$.a",
            "$.a.b",
            "$.a.b[1].c",
            "$.a.b[-1]",
            "$.a.b[2]",
            "$.a.x",
            "$.a.x.y",
            "$.s.b",
            "$.n.b",
            "$.n[0]",
            "$.a[0]",
            "$.a.b[0].c",
            "$.a.b.c",
            "$.s[1].x",
        ] {
            let jp = path(p);
            assert!(jp.simple, "{p}");
            let fast = jp.select(&doc);
            let opts = Opts {
                require: false,
                messages: true,
            };
            let general = match evaluate(&jp.body.segments, &doc, &doc, opts, '$') {
                Ok(found) => found
                    .into_first()
                    .map(Cow::into_owned)
                    .ok_or_else(|| no_results(&jp.body.segments)),
                Err(e) => Err(PathError(e.into_message())),
            };
            assert_eq!(fast, general, "{p}");
        }
    }

    #[test]
    fn select_cow_borrows() {
        let doc = json!({"a": {"b": [1, 2]}});
        assert!(matches!(
            path("$.a.b").select_cow(&doc),
            Ok(Cow::Borrowed(_))
        ));
        assert!(matches!(
            path("$.a.b[*]").select_cow(&doc),
            Ok(Cow::Owned(_))
        ));
    }

    // --- Indefinite evaluation -----------------------------------------------------------

    #[test]
    fn wildcards_unions_and_merges() {
        let doc = json!({"a": {"x": 1, "y": 2}, "arr": [{"v": 1}, {"w": 2}, {"v": 3}], "s": "str"});
        assert_eq!(sel("$.a.*", &doc), json!([1, 2]));
        assert_eq!(sel("$.a[*]", &doc), json!([1, 2]));
        assert_eq!(sel("$.arr[*].v", &doc), json!([1, 3]));
        assert_eq!(sel("$.*.v", &doc), json!([]));
        assert_eq!(sel("$[*][*]", &json!([[1, 2], [3], 4])), json!([1, 2, 3]));
        assert_eq!(sel("$.arr[0,2].v", &doc), json!([1, 3]));
        assert_eq!(sel("$.a['x','y']", &doc), json!({"x": 1, "y": 2}));
        assert_eq!(sel("$.a['y','x','z']", &doc), json!({"y": 2, "x": 1}));
        assert_eq!(
            sel("$.arr[*]['v','w']", &doc),
            json!([{"v": 1}, {"w": 2}, {"v": 3}])
        );
        assert_eq!(sel("$['a','arr'].x", &doc), json!([1]));
        assert_eq!(sel("$.s[*]", &doc), json!([]));
        assert_eq!(
            sel("$.[*].['x', 'y']", &json!([{"x": 1, "y": 2}])),
            json!([{"x": 1, "y": 2}])
        );
    }

    #[test]
    fn slices() {
        let doc = json!([0, 1, 2, 3, 4]);
        assert_eq!(sel("$[1:3]", &doc), json!([1, 2]));
        assert_eq!(sel("$[:2]", &doc), json!([0, 1]));
        assert_eq!(sel("$[-2:]", &doc), json!([3, 4]));
        assert_eq!(sel("$[1:]", &doc), json!([1, 2, 3, 4]));
        assert_eq!(sel("$[:-1]", &doc), json!([0, 1, 2, 3]));
        assert_eq!(sel("$[-10:]", &doc), json!([0, 1, 2, 3, 4]));
        assert_eq!(sel("$[3:100]", &doc), json!([3, 4]));
        assert_eq!(sel("$[0:4:2]", &doc), json!([0, 1, 2, 3]), "step ignored");
        // Jayway quirks of [from:to]: negative bounds are not normalised.
        assert_eq!(sel("$[1:-1]", &doc), json!([]));
        assert_eq!(sel("$[-3:-1]", &doc), json!([2, 3]));
        assert_eq!(sel("$[-1:2]", &doc), json!([4, 0, 1]));
        assert_eq!(sel("$[-2147483648:2]", &doc), json!([0, 1, 2, 3, 4, 0, 1]));
        assert_eq!(sel("$[5:]", &doc), json!([]));
        assert_eq!(sel("$[:0]", &doc), json!([]));
    }

    #[test]
    fn deep_scan() {
        let doc = json!({
            "store": {
                "book": [
                    {"title": "A", "price": 8, "author": {"name": "x"}},
                    {"title": "B", "price": 12}
                ],
                "bicycle": {"price": 20}
            },
            "price": 1
        });
        assert_eq!(sel("$..price", &doc), json!([1, 8, 12, 20]));
        assert_eq!(sel("$.store..price", &doc), json!([8, 12, 20]));
        assert_eq!(sel("$..book[0].title", &doc), json!(["A"]));
        assert_eq!(
            sel("$..book[1]", &doc),
            json!([{"title": "B", "price": 12}])
        );
        assert_eq!(sel("$..[?(@.price > 10)].title", &doc), json!(["B"]));
        assert_eq!(sel("$..author.name", &doc), json!(["x"]));
        assert_eq!(sel("$..nothing", &doc), json!([]));
        assert_eq!(
            sel("$..['title','price']", &doc),
            json!([{"title": "A", "price": 8}, {"title": "B", "price": 12}])
        );
        assert_eq!(
            sel("$..*", &json!({"a": [1, {"b": 2}]})),
            json!([[1, {"b": 2}], 1, {"b": 2}, 2])
        );
    }

    // --- Filters -------------------------------------------------------------------------

    #[test]
    fn filter_comparisons() {
        let doc = json!({"items": [
            {"id": 1, "price": 5, "name": "apple", "tags": ["a", "b"], "ok": true},
            {"id": 2, "price": 15, "name": "Banana", "tags": [], "ok": false},
            {"id": 3, "price": 10.5, "name": "cherry", "status": null},
            {"id": "4", "name": ""}
        ]});
        let ids = |p: &str| sel(&format!("$.items[?({p})].id"), &doc);
        assert_eq!(ids("@.price < 10"), json!([1]));
        assert_eq!(ids("@.price <= 10.5"), json!([1, 3]));
        assert_eq!(ids("@.price > 5"), json!([2, 3]));
        assert_eq!(ids("@.price >= 15"), json!([2]));
        assert_eq!(ids("@.price == 10.50"), json!([3]));
        assert_eq!(ids("@.price != 5"), json!([2, 3, "4"]));
        assert_eq!(ids("@.name == 'apple'"), json!([1]));
        assert_eq!(ids("@.name == \"Banana\""), json!([2]));
        assert_eq!(ids("@.name > 'b'"), json!([3]));
        assert_eq!(ids("@.ok == true"), json!([1]));
        assert_eq!(ids("@.ok == false"), json!([2]));
        assert_eq!(ids("@.status == null"), json!([3]));
        assert_eq!(ids("@.id == 4"), json!(["4"]));
        assert_eq!(ids("@.id === 4"), json!([]));
        assert_eq!(ids("@.id === '4'"), json!(["4"]));
        assert_eq!(ids("@.price"), json!([1, 2, 3]));
        assert_eq!(ids("!@.price"), json!(["4"]));
        assert_eq!(ids("@.status"), json!([3]));
        assert_eq!(ids("@.tags[0]"), json!([1]));
        assert_eq!(ids("@.price < 10 && @.name == 'apple'"), json!([1]));
        assert_eq!(ids("@.price > 10 || @.name == 'apple'"), json!([1, 2, 3]));
        assert_eq!(ids("@.name =~ /.*an.*/"), json!([2]));
        assert_eq!(ids("@.name =~ /b.*/i"), json!([2]));
        // Java regex features AWS accepts: lookahead and backreferences.
        assert_eq!(ids("@.name =~ /(?=.*n).*a/"), json!([2]));
        assert_eq!(ids("@.name =~ /.*(p)\\1.*/"), json!([1]));
        assert_eq!(
            ids("@.name =~ /an/"),
            json!([]),
            "matches() is a full match"
        );
        assert_eq!(ids("@.id in [1, 2, '4']"), json!([1, 2, "4"]));
        assert_eq!(ids("@.name in ['apple', 'cherry']"), json!([1, 3]));
        assert_eq!(ids("@.name nin ['apple', 'cherry']"), json!([2, "4"]));
        assert_eq!(ids("@.tags size 2"), json!([1]));
        assert_eq!(ids("@.name size 6"), json!([2, 3]));
        assert_eq!(ids("@.tags empty true"), json!([2]));
        assert_eq!(ids("@.name empty true"), json!(["4"]));
        assert_eq!(ids("@.tags contains 'b'"), json!([1]));
        assert_eq!(ids("@.name contains 'err'"), json!([3]));
        assert_eq!(ids("@.tags subsetof ['a', 'b', 'c']"), json!([1, 2]));
        assert_eq!(ids("@.tags anyof ['b', 'z']"), json!([1]));
        assert_eq!(ids("@.tags noneof ['b', 'z']"), json!([2]));
        assert_eq!(ids("@.tags == ['a', 'b']"), json!([1]));
        assert_eq!(ids("@.missing == null"), json!([]));
        assert_eq!(ids("@.missing != 1"), json!([1, 2, 3, "4"]));
        assert_eq!(ids("@['name'] == 'cherry'"), json!([3]));
        assert_eq!(ids("@.price==5"), json!([1]));
    }

    #[test]
    fn filter_quirks() {
        // A filter on an object tests the object itself.
        let doc = json!({"a": {"b": 1}});
        assert_eq!(sel("$.a[?(@.b == 1)]", &doc), json!([{"b": 1}]));
        assert_eq!(sel("$.a[?(@.b == 2)]", &doc), json!([]));
        // `$` in a filter is the document.
        let doc = json!({"limit": 2, "xs": [{"v": 1}, {"v": 3}]});
        assert_eq!(sel("$.xs[?(@.v < $.limit)]", &doc), json!([{"v": 1}]));
        // Jayway groups && and || from the right, without precedence.
        let doc = json!([{"a": 2, "b": 0, "c": 3}]);
        assert_eq!(
            sel("$[?(@.a == 1 && @.b == 2 || @.c == 3)]", &doc),
            json!([])
        );
        assert_eq!(sel("$[?((@.a == 1 && @.b == 2) || @.c == 3)]", &doc), doc);
        // `!` only negates an existence check.
        assert_eq!(sel("$[?(!(@.a == 2))]", &doc), doc);
        // Numbers compare with strings through their text.
        let doc = json!([{"v": "10"}, {"v": "1.0"}, {"v": 1.0}]);
        assert_eq!(sel("$[?(@.v == 10)]", &doc), json!([{"v": "10"}]));
        assert_eq!(
            sel("$[?(1 == @.v)]", &doc),
            json!([{"v": "1.0"}, {"v": 1.0}])
        );
        assert_eq!(
            sel("$[?(@.v == '1.0')]", &doc),
            json!([{"v": "1.0"}, {"v": 1.0}])
        );
        // A bare word is a string (used by AWS samples).
        let doc = json!({"Labels": [{"Name": "Receipt"}, {"Name": "Car"}]});
        assert_eq!(
            sel("$.Labels[?(@.Name==Receipt)]", &doc),
            json!([{"Name": "Receipt"}])
        );
        assert_eq!(
            sel("$[?(@.Name==fr)]", &json!([{"Name": "fr"}])),
            json!([{"Name": "fr"}])
        );
        // A filter on a primitive after a definite prefix throws, so AWS gives [].
        assert_eq!(sel("$.a[?(@.b)]", &json!({"a": 5})), json!([]));
        // Escapes in filter strings are Java's.
        assert_eq!(
            sel("$[?(@ == 'it\\'s')]", &json!(["it's", "x"])),
            json!(["it's"])
        );
        assert_eq!(sel("$[?(@ == '\\u00e9')]", &json!(["é"])), json!(["é"]));
    }

    #[test]
    fn filter_paths_inside_filters() {
        let doc = json!({"xs": [{"ys": [{"z": 1}]}, {"ys": [{"z": 2}]}, {"ys": []}]});
        // An existence check on an indefinite path is true even when it selects nothing.
        assert_eq!(sel("$.xs[?(@.ys[?(@.z == 2)])]", &doc), doc["xs"]);
        assert_eq!(
            sel("$.xs[?(@.ys[0].z > 1)]", &doc),
            json!([{"ys": [{"z": 2}]}])
        );
        assert_eq!(
            sel("$.xs[?(@.ys[*].z contains 1)]", &doc),
            json!([{"ys": [{"z": 1}]}])
        );
        let doc = json!({"approaches": [{"workerId": "a", "approach": 1}, {"workerId": "b", "approach": 2}], "agent_id": "b"});
        assert_eq!(
            sel("$.approaches[?(@.workerId == $.agent_id)].approach", &doc),
            json!([2])
        );
    }

    // --- Writes (ResultPath) -----------------------------------------------------------------

    #[test]
    fn writes() {
        let input = json!({"a": {"b": 1}, "arr": [1, 2]});
        assert_eq!(path("$").write(input.clone(), json!(7)).unwrap(), json!(7));
        assert_eq!(
            path("$.a.c").write(input.clone(), json!(7)).unwrap(),
            json!({"a": {"b": 1, "c": 7}, "arr": [1, 2]})
        );
        assert_eq!(
            path("$.a.b").write(input.clone(), json!(7)).unwrap(),
            json!({"a": {"b": 7}, "arr": [1, 2]})
        );
        assert_eq!(
            path("$.x.y.z").write(input.clone(), json!(7)).unwrap(),
            json!({"a": {"b": 1}, "arr": [1, 2], "x": {"y": {"z": 7}}})
        );
        assert_eq!(
            path("$.arr[-1]").write(input.clone(), json!(7)).unwrap(),
            json!({"a": {"b": 1}, "arr": [1, 7]})
        );
        assert_eq!(
            path("$['a']['d']")
                .write(input.clone(), json!(null))
                .unwrap(),
            json!({"a": {"b": 1, "d": null}, "arr": [1, 2]})
        );
        let conflict = |p: &str, target: Value| path(p).write(target, json!(7)).unwrap_err().0;
        assert_eq!(
            conflict("$.partitioned", json!("{\"min_size\":1}")),
            "Unable to apply ReferencePath $.partitioned to input \"{\\\"min_size\\\":1}\""
        );
        assert!(
            conflict("$.a.b.c", input.clone())
                .starts_with("Unable to apply ReferencePath $.a.b.c to input {")
        );
        assert!(conflict("$.arr[5]", input.clone()).starts_with("Unable to apply"));
        assert!(conflict("$.arr.x", input.clone()).starts_with("Unable to apply"));
        assert!(conflict("$.x[0]", input.clone()).starts_with("Unable to apply"));
        assert!(conflict("$.a[0]", input.clone()).starts_with("Unable to apply"));
        assert!(conflict("$.a.b", json!([1])).starts_with("Unable to apply"));
        assert!(conflict("$.a[*]", input).contains("is not a reference path"));
    }

    // --- Number formatting helpers ---------------------------------------------------------

    #[test]
    fn java_number_text() {
        assert_eq!(java_double_string(1.0), "1.0");
        assert_eq!(java_double_string(100.0), "100.0");
        assert_eq!(java_double_string(0.001), "0.001");
        assert_eq!(java_double_string(1e7), "1.0E7");
        assert_eq!(java_double_string(1.5e-7), "1.5E-7");
        assert_eq!(java_double_string(-12.25), "-12.25");
        assert_eq!(number_text(JNum::Float(1e10)), "1.0E+10");
        assert_eq!(number_text(JNum::Float(1e-4)), "0.00010");
        assert_eq!(number_text(JNum::Int(-42)), "-42");
        let big = |s: &str| BigDec::parse(s).map(|d| d.to_java_string());
        assert_eq!(big("1e5").as_deref(), Some("1E+5"));
        assert_eq!(big("1.50").as_deref(), Some("1.50"));
        assert_eq!(big("-0").as_deref(), Some("0"));
        assert_eq!(big("0.00").as_deref(), Some("0.00"));
        assert_eq!(big(".5").as_deref(), Some("0.5"));
        assert_eq!(big("abc"), None);
        assert_eq!(big("1e"), None);
        assert_eq!(big("-"), None);
    }
}
