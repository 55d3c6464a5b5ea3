//! Reading a definition file into a JSON value plus the source span of every node.
//!
//! serde_json cannot report positions after parsing, so JSON is read by a small parser
//! of our own that records, for each node, its byte range keyed by JSON Pointer. YAML is
//! read from saphyr-parser's events, which carry positions. Both refuse nesting deeper
//! than [`MAX_DEPTH`] instead of overflowing the stack.

use crate::json::parse::{
    Duplicates, LikeTheLast, ObjectShapes, ReadName, ShapedObjects, read_like_the_last,
};
use crate::json::{Map, Str, Value};
use serde_json::Number;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Deeper documents are refused (AWS definitions are nowhere near this).
pub const MAX_DEPTH: usize = 512;
/// Files larger than this are refused before parsing. AWS accepts definitions of at most
/// 1 MiB; the margin leaves room for comments and YAML.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A byte range in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Where a node sits: its value's range and, for an object member, its key's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeSpan {
    pub value: Span,
    pub key: Option<Span>,
}

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

/// The text of a definition file and a line index over it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        LineCol {
            line: line + 1,
            col: col + 1,
        }
    }

    /// The 1-based line on which `offset` sits.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_col(offset).line
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line.checked_sub(1)?).copied()
    }

    /// The text of 1-based `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let start = self.line_start(line)?;
        let end = self.line_start(line + 1).unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }
}

/// A parsed definition document.
#[derive(Debug, Clone)]
pub struct Document {
    pub source: SourceFile,
    value: Value,
    /// Made on first use for JSON: only diagnostics and the views need positions, and
    /// recording one per node was half of loading a big definition.
    spans: OnceLock<SpanIndex>,
    pub format: Format,
    /// The value is what the JSON text says (not YAML, not substituted since): questions
    /// about every string or the whole size can then be answered from the text.
    parsed_from_json_text: bool,
}

impl Document {
    /// A document whose spans are known already.
    pub fn with_spans(source: SourceFile, value: Value, spans: SpanIndex, format: Format) -> Self {
        Document {
            source,
            value,
            spans: OnceLock::from(spans),
            format,
            parsed_from_json_text: false,
        }
    }

    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The value, to change (substitutions): the text no longer describes it.
    pub fn value_mut(&mut self) -> &mut Value {
        self.parsed_from_json_text = false;
        &mut self.value
    }

    pub fn into_value(self) -> Value {
        self.value
    }

    /// The JSON text the value was parsed from, while nothing has changed the value since.
    pub fn json_text(&self) -> Option<&str> {
        self.parsed_from_json_text.then_some(&*self.source.text)
    }

    /// The source span of every node, keyed by JSON Pointer. YAML's come with the parse;
    /// JSON's are made here, by parsing the text again with spans recorded.
    pub fn spans(&self) -> &SpanIndex {
        self.spans.get_or_init(|| {
            JsonParser::new(&self.source.text, true)
                .parse_document()
                .map(|(_, s)| s)
                .unwrap_or_default()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

/// Spans keyed by RFC 6901 JSON Pointer ("" is the root).
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    /// foldhash: a definition has a span for every node, and SipHash was a sixth of
    /// loading one.
    map: HashMap<String, NodeSpan, foldhash::fast::RandomState>,
}

impl SpanIndex {
    pub fn get(&self, pointer: &str) -> Option<NodeSpan> {
        self.map.get(pointer).copied()
    }

    /// The span of `pointer`, or of its nearest ancestor that has one.
    pub fn nearest(&self, pointer: &str) -> NodeSpan {
        let mut p = pointer;
        loop {
            if let Some(s) = self.map.get(p) {
                return *s;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return NodeSpan::default(),
            }
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The spans under `prefix`, keyed from it (a definition inside a template).
    pub fn rebased(&self, prefix: &str) -> SpanIndex {
        SpanIndex {
            map: self
                .map
                .iter()
                .filter_map(|(k, v)| {
                    let rest = k.strip_prefix(prefix)?;
                    (rest.is_empty() || rest.starts_with('/')).then(|| (rest.to_string(), *v))
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Escape one JSON Pointer reference token.
pub fn pointer_token(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) {
        key.replace('~', "~0").replace('/', "~1").into()
    } else {
        key.into()
    }
}

/// Why a file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The file could not be read.
    Io { path: PathBuf, message: String },
    /// The text is not valid JSON/YAML; `offset` is where the parser stopped.
    Syntax {
        path: PathBuf,
        message: String,
        line: usize,
        col: usize,
        offset: usize,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io { path, message } => write!(f, "{}: {message}", path.display()),
            LoadError::Syntax {
                path,
                message,
                line,
                col,
                ..
            } => write!(f, "{}:{line}:{col}: {message}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {}

/// Read and parse a definition file. YAML is chosen by the `.yaml`/`.yml` extension, or
/// when the text does not start like JSON.
pub fn load_file(path: &Path) -> Result<Document, LoadError> {
    load_bytes(path, read_file(path)?)
}

/// A definition file's bytes. It is watched and re-read: only a regular file, read with a
/// cap whatever size it reports.
pub fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    let io_err = |message: String| LoadError::Io {
        path: path.to_path_buf(),
        message,
    };
    use crate::shell::read::{self, ReadError};
    read::bytes(path, MAX_FILE_BYTES, read::Kind::RegularOnly).map_err(|e| {
        io_err(match e {
            ReadError::Directory => "is a directory, not a definition file".into(),
            ReadError::TooLarge(_) => format!(
                "the file is larger than {} MiB; a state machine definition is at most 1 MiB on AWS",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            e => e.to_string(),
        })
    })
}

/// Parse a definition file's bytes (already read): YAML by the `.yaml`/`.yml` extension, or
/// when the text does not start like JSON.
pub fn load_bytes(path: &Path, bytes: Vec<u8>) -> Result<Document, LoadError> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let src = SourceFile::new(path, String::from_utf8_lossy(e.as_bytes()).into_owned());
            let lc = src.line_col(offset);
            return Err(LoadError::Syntax {
                path: path.to_path_buf(),
                message: "the file is not UTF-8 text".into(),
                line: lc.line,
                col: lc.col,
                offset,
            });
        }
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let yaml = matches!(ext.as_str(), "yaml" | "yml")
        || (ext != "json" && !text.trim_start().starts_with(['{', '[']));
    parse_text(path, text, if yaml { Format::Yaml } else { Format::Json })
}

/// What a file may hold beyond plain JSON and YAML.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// A state machine definition: strict.
    #[default]
    Definition,
    /// A CloudFormation or SAM template: YAML short-form intrinsics (`!Ref X`,
    /// `!GetAtt X.Arn`, `!Sub ...`) read as their long forms (`{"Ref": "X"}`), and a
    /// duplicate key keeps its later value with a note, as SAM CLI's YAML loader does.
    CloudFormation,
}

/// Something worth saying about a file that still loaded (a duplicate key kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceNote {
    pub offset: usize,
    pub message: String,
}

/// Parse text already in memory (used for files and for tests).
pub fn parse_text(path: &Path, text: String, format: Format) -> Result<Document, LoadError> {
    parse_text_as(path, text, format, Dialect::Definition).map(|(doc, _)| doc)
}

/// Parse text in `dialect`; the notes say what was tolerated.
pub fn parse_text_as(
    path: &Path,
    text: String,
    format: Format,
    dialect: Dialect,
) -> Result<(Document, Vec<SourceNote>), LoadError> {
    let source = SourceFile::new(path, text);
    let parsed = match format {
        Format::Json => JsonParser::new(&source.text, false)
            .parse_document()
            .map(|(v, _)| (v, None, Vec::new())),
        Format::Yaml => parse_yaml(&source.text, dialect).map(|(v, s, n)| (v, Some(s), n)),
    };
    match parsed {
        Ok((value, spans, notes)) => Ok((
            Document {
                source,
                value,
                spans: spans.map_or_else(OnceLock::new, OnceLock::from),
                format,
                parsed_from_json_text: format == Format::Json,
            },
            notes,
        )),
        Err((offset, message)) => {
            let lc = source.line_col(offset);
            Err(LoadError::Syntax {
                path: path.to_path_buf(),
                message,
                line: lc.line,
                col: lc.col,
                offset,
            })
        }
    }
}

type ParseOutcome = Result<(Value, SpanIndex), (usize, String)>;

struct JsonParser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Whether to record spans (and so keep `pointer`).
    record: bool,
    pointer: String,
    spans: SpanIndex,
    /// Members and items of the objects and arrays being read, innermost last: each
    /// container is made at its final size once it ends (see `json::parse`).
    pending_members: Vec<(ReadName, Value)>,
    pending_items: Vec<Value>,
    shapes: ObjectShapes,
}

impl ShapedObjects for JsonParser<'_> {
    type Error = (usize, String);

    fn shapes_and_pending(&mut self) -> (&mut ObjectShapes, &mut Vec<(ReadName, Value)>) {
        (&mut self.shapes, &mut self.pending_members)
    }

    fn text_and_pos(&mut self) -> (&str, &mut usize) {
        (self.text, &mut self.pos)
    }

    fn skip_whitespace(&mut self) {
        self.skip_ws();
    }

    fn member_value(
        &mut self,
        name: &str,
        quote: usize,
        level: usize,
    ) -> Result<Value, (usize, String)> {
        let key_span = Span {
            start: quote,
            end: self.pos,
        };
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b':') {
            return self.err(format!(
                "expected ':' after the property name, found {}",
                self.describe_here()
            ));
        }
        self.pos += 1;
        self.skip_ws();
        let saved = self.pointer.len();
        if self.record {
            self.pointer.push('/');
            self.pointer.push_str(&pointer_token(name));
        }
        let v = self.value(level + 1, Some(key_span))?;
        self.pointer.truncate(saved);
        Ok(v)
    }

    fn after_member(&mut self) -> Result<u8, (usize, String)> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(&b @ (b',' | b'}')) => {
                self.pos += 1;
                Ok(b)
            }
            _ => self.err(format!(
                "expected ',' or '}}' after a property value, found {}",
                self.describe_here()
            )),
        }
    }
}

impl<'a> JsonParser<'a> {
    fn new(text: &'a str, record: bool) -> Self {
        JsonParser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            record,
            pointer: String::new(),
            spans: SpanIndex::default(),
            pending_members: Vec::new(),
            pending_items: Vec::new(),
            shapes: ObjectShapes::default(),
        }
    }

    fn parse_document(mut self) -> ParseOutcome {
        // A byte-order mark is allowed before the document.
        if self.text.starts_with('\u{feff}') {
            self.pos = 3;
        }
        self.skip_ws();
        if self.pos >= self.bytes.len() {
            return Err((self.pos, "the file is empty: expected a JSON object".into()));
        }
        let value = self.value(0, None)?;
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err((
                self.pos,
                "unexpected text after the end of the JSON document".into(),
            ));
        }
        Ok((value, self.spans))
    }

    fn err<T>(&self, msg: impl Into<String>) -> Result<T, (usize, String)> {
        Err((self.pos, msg.into()))
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn describe_here(&self) -> String {
        match self.text[self.pos..].chars().next() {
            None => "the end of the file".into(),
            Some(c) if c.is_control() => format!("the control character U+{:04X}", c as u32),
            Some(c) => format!("'{c}'"),
        }
    }

    fn value(&mut self, depth: usize, key: Option<Span>) -> Result<Value, (usize, String)> {
        if depth > MAX_DEPTH {
            return self.err(format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        let start = self.pos;
        let v = match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => {
                return self.err(format!(
                    "expected a JSON value, found {}",
                    self.describe_here()
                ));
            }
        };
        if self.record {
            self.spans.map.insert(
                self.pointer.clone(),
                NodeSpan {
                    value: Span {
                        start,
                        end: self.pos,
                    },
                    key,
                },
            );
        }
        Ok(v)
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, (usize, String)> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(v)
        } else {
            self.err(format!(
                "expected a JSON value, found {}",
                self.describe_here()
            ))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, (usize, String)> {
        self.pos += 1;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Object(Map::new()));
        }
        let first = self.pending_members.len();
        let mut more = match read_like_the_last(self, depth)? {
            LikeTheLast::Whole(map) => return Ok(Value::Object(map)),
            LikeTheLast::Ended => false,
            LikeTheLast::Rest(_) => true,
        };
        while more {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return self.err(format!(
                    "expected a property name in double quotes, found {}",
                    self.describe_here()
                ));
            }
            let quote = self.pos;
            let name = self.name()?;
            let text = self.text;
            let v = self.member_value(name.as_str(text), quote, depth)?;
            self.pending_members.push((name, v));
            more = self.after_member()? == b',';
        }
        let object = self.shapes.object(
            self.text,
            depth,
            &mut self.pending_members,
            first,
            Duplicates::Reject,
        );
        match object {
            Ok(map) => Ok(Value::Object(map)),
            // AWS rejects duplicate keys at creation time; report where.
            Err(quote) => {
                self.pos = quote;
                let name = self.string()?;
                Err((
                    quote,
                    format!("duplicate property name \"{name}\" in the same object"),
                ))
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, (usize, String)> {
        self.pos += 1;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::Array(Vec::new()));
        }
        let first = self.pending_items.len();
        loop {
            self.skip_ws();
            let saved = self.pointer.len();
            if self.record {
                use std::fmt::Write;
                let _ = write!(self.pointer, "/{}", self.pending_items.len() - first);
            }
            let v = self.value(depth + 1, None)?;
            self.pointer.truncate(saved);
            self.pending_items.push(v);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(self.pending_items.drain(first..).collect()));
                }
                _ => {
                    return self.err(format!(
                        "expected ',' or ']' after an array element, found {}",
                        self.describe_here()
                    ));
                }
            }
        }
    }

    /// A property name, at its opening quote: left in the text when it has no escapes.
    fn name(&mut self) -> Result<ReadName, (usize, String)> {
        let quote = self.pos;
        self.pos += 1;
        self.skip_plain_run();
        if self.bytes.get(self.pos) == Some(&b'"') {
            self.pos += 1;
            return Ok(ReadName::Plain(quote + 1..self.pos - 1));
        }
        self.pos = quote;
        let name = self.string()?;
        Ok(ReadName::Decoded {
            name: name.into_string(),
            quote,
        })
    }

    fn string(&mut self) -> Result<Str, (usize, String)> {
        self.pos += 1; // opening quote
        let start = self.pos;
        self.skip_plain_run();
        // Most strings have no escapes: taken as they are (inline when short).
        if self.bytes.get(self.pos) == Some(&b'"') {
            self.pos += 1;
            return Ok(Str::from(&self.text[start..self.pos - 1]));
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            match self.bytes.get(self.pos) {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out.into());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.bytes.get(self.pos).copied();
                    let c = match escaped {
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b @ (b'"' | b'\\' | b'/')) => char::from(b),
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi)
                                && self.text[self.pos..].starts_with("\\u")
                            {
                                self.pos += 2;
                                let lo = self.hex4()?;
                                let code = 0x10000
                                    + ((hi - 0xD800) << 10)
                                    + (lo.wrapping_sub(0xDC00) & 0x3FF);
                                char::from_u32(code).unwrap_or('\u{FFFD}')
                            } else {
                                char::from_u32(hi).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return self.err("invalid escape sequence in string"),
                    };
                    // A `\u` escape has moved past its digits already.
                    if escaped != Some(b'u') {
                        self.pos += 1;
                    }
                    out.push(c);
                }
                Some(_) => {
                    return self
                        .err("control character inside a string (use an escape such as \\n)");
                }
            }
            let run_start = self.pos;
            self.skip_plain_run();
            out.push_str(&self.text[run_start..self.pos]);
        }
    }

    /// Moves past the characters a string holds as they are (up to a quote, a backslash
    /// or a control character).
    fn skip_plain_run(&mut self) {
        self.pos = crate::json::parse::plain_run_end(self.bytes, self.pos);
    }

    fn hex4(&mut self) -> Result<u32, (usize, String)> {
        let digits = self.text.get(self.pos..self.pos + 4).unwrap_or("");
        match u32::from_str_radix(digits, 16) {
            Ok(v) if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(v)
            }
            _ => self.err("invalid \\u escape: expected four hex digits"),
        }
    }

    fn number(&mut self) -> Result<Value, (usize, String)> {
        let start = self.pos;
        let b = self.bytes;
        if b.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        while b.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        if self.pos == int_start {
            return self.err("invalid number: expected a digit");
        }
        if b[int_start] == b'0' && self.pos - int_start > 1 {
            return Err((
                int_start,
                "invalid number: leading zeros are not allowed".into(),
            ));
        }
        let mut is_float = false;
        if b.get(self.pos) == Some(&b'.') {
            is_float = true;
            self.pos += 1;
            let s = self.pos;
            while b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                self.pos += 1;
            }
            if s == self.pos {
                return self.err("invalid number: expected a digit after '.'");
            }
        }
        if matches!(b.get(self.pos), Some(b'e' | b'E')) {
            is_float = true;
            self.pos += 1;
            if matches!(b.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let s = self.pos;
            while b.get(self.pos).is_some_and(u8::is_ascii_digit) {
                self.pos += 1;
            }
            if s == self.pos {
                return self.err("invalid number: expected a digit in the exponent");
            }
        }
        let text = &self.text[start..self.pos];
        number_value(text, is_float).ok_or_else(|| (start, out_of_range(text)))
    }
}

/// A JSON number from its text, as serde_json would read it; None when it is beyond a
/// 64-bit float (`1e400`), which AWS rejects too.
fn number_value(text: &str, is_float: bool) -> Option<Value> {
    if !is_float {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Value::Number(i.into()));
        }
        if let Ok(u) = text.parse::<u64>() {
            return Some(Value::Number(u.into()));
        }
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

fn out_of_range(text: &str) -> String {
    format!("the number {text} is out of range (beyond a 64-bit floating-point number)")
}

/// YAML through saphyr-parser's event stream. Scalars follow the YAML 1.2 core schema
/// (plain `true`, `null`, numbers are typed; quoted scalars are strings). Anchors and
/// aliases work on any node, `<<` merge keys are applied, and aliases may copy at most
/// [`MAX_ALIAS_NODES`] nodes in all.
fn parse_yaml(text: &str, dialect: Dialect) -> YamlOutcome {
    use saphyr_parser::{Event, Parser};
    let mut r = YamlReader::new(text);
    r.dialect = dialect;
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(e)) => return Err((r.byte(e.marker().index()), e.info().to_string())),
        };
        let (s, e) = (r.byte(span.start.index()), r.byte(span.end.index()));
        let finished = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart(_) => {
                r.docs += 1;
                if r.docs > 1 {
                    return Err((s, "the file holds more than one YAML document".into()));
                }
                None
            }
            Event::MappingStart(anchor, tag) => {
                let f = r.intrinsic(tag.as_deref(), s)?;
                r.start(s, anchor, true, f)?
            }
            Event::SequenceStart(anchor, tag) => {
                let f = r.intrinsic(tag.as_deref(), s)?;
                r.start(s, anchor, false, f)?
            }
            Event::MappingEnd | Event::SequenceEnd => r.end(e),
            Event::Alias(id) => Some(r.alias(id, s, e)?),
            Event::Scalar(value, style, anchor, tag) => {
                let tagged_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let f = r.intrinsic(tag.as_deref(), s)?;
                r.scalar(
                    value.into_owned(),
                    style,
                    anchor,
                    tagged_str || f.is_some(),
                    s,
                    e,
                )?
                .map(|done| done.tagged(f))
            }
        };
        if let Some(f) = finished {
            r.attach(f)?;
        }
    }
    match r.root {
        Some(v) => Ok((v, r.spans, r.notes)),
        None => Err((0, "the file is empty: expected a YAML mapping".into())),
    }
}

type YamlOutcome = Result<(Value, SpanIndex, Vec<SourceNote>), (usize, String)>;

/// The CloudFormation intrinsic functions and their YAML short forms (`!Ref`, `!Sub`...).
const INTRINSIC_TAGS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("ImportValue", "Fn::ImportValue"),
    ("GetAZs", "Fn::GetAZs"),
    ("Transform", "Fn::Transform"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
];

/// Wrap a tagged node in its intrinsic's long form: `!GetAtt A.Arn` → `{"Fn::GetAtt":
/// ["A", "Arn"]}`.
fn wrap_intrinsic(function: &'static str, value: Value) -> Value {
    let value = match (function, value) {
        ("Fn::GetAtt", Value::String(s)) => match s.split_once('.') {
            Some((resource, attribute)) => Value::Array(vec![
                Value::String(resource.into()),
                Value::String(attribute.into()),
            ]),
            None => Value::String(s),
        },
        (_, v) => v,
    };
    let mut m = Map::new();
    m.insert(function, value);
    Value::Object(m)
}

/// A collection being read.
enum Frame {
    Map {
        map: Map,
        pending_key: Option<(String, Span)>,
        start: usize,
        key: Option<Span>,
        ptr_len: usize,
        anchor: usize,
        /// `<<: *base` merge sources, applied at the end (explicit keys win).
        merges: Vec<Value>,
        intrinsic: Option<&'static str>,
    },
    Seq {
        items: Vec<Value>,
        start: usize,
        key: Option<Span>,
        ptr_len: usize,
        anchor: usize,
        intrinsic: Option<&'static str>,
    },
}

/// A finished value and where it goes: its span, its key's span, the pointer length to
/// return to.
struct Finished {
    value: Value,
    span: Span,
    key: Option<Span>,
    ptr_len: usize,
}

impl Finished {
    /// The value inside its intrinsic function, when it was tagged with one.
    fn tagged(mut self, intrinsic: Option<&'static str>) -> Finished {
        if let Some(f) = intrinsic {
            self.value = wrap_intrinsic(f, std::mem::take(&mut self.value));
        }
        self
    }
}

type YamlResult<T> = Result<T, (usize, String)>;

/// The state of reading a YAML event stream into a value with spans.
struct YamlReader<'t> {
    text: &'t str,
    /// Marker indexes count characters; spans are in bytes (None: the text is ASCII).
    char_to_byte: Option<Vec<usize>>,
    spans: SpanIndex,
    stack: Vec<Frame>,
    pointer: String,
    root: Option<Value>,
    anchors: HashMap<usize, Value>,
    /// Nodes copied by aliases so far: a file of nested aliases ("billion laughs") must
    /// not expand without bound.
    expanded: usize,
    docs: usize,
    dialect: Dialect,
    notes: Vec<SourceNote>,
}

impl<'t> YamlReader<'t> {
    fn new(text: &'t str) -> YamlReader<'t> {
        let char_to_byte = (!text.is_ascii()).then(|| {
            let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            v.push(text.len());
            v
        });
        YamlReader {
            text,
            char_to_byte,
            spans: SpanIndex::default(),
            stack: Vec::new(),
            pointer: String::new(),
            root: None,
            anchors: HashMap::new(),
            expanded: 0,
            docs: 0,
            dialect: Dialect::Definition,
            notes: Vec::new(),
        }
    }

    fn byte(&self, ci: usize) -> usize {
        match &self.char_to_byte {
            None => ci.min(self.text.len()),
            Some(v) => v.get(ci).copied().unwrap_or(self.text.len()),
        }
    }

    /// Where the next value goes: returns the key span to record and extends the pointer.
    fn enter(&mut self, at: usize) -> YamlResult<Option<Span>> {
        match self.stack.last_mut() {
            None => Ok(None),
            Some(Frame::Map { pending_key, .. }) => match pending_key {
                Some((k, ks)) => {
                    self.pointer.push('/');
                    self.pointer.push_str(&pointer_token(k));
                    Ok(Some(*ks))
                }
                None => Err((at, "a mapping key must be a plain string".into())),
            },
            Some(Frame::Seq { items, .. }) => {
                self.pointer.push('/');
                self.pointer.push_str(&items.len().to_string());
                Ok(None)
            }
        }
    }

    /// The intrinsic function a node's tag stands for (CloudFormation templates only); an
    /// unknown `!Tag` is an error there, as CloudFormation has no other.
    fn intrinsic(
        &self,
        tag: Option<&saphyr_parser::Tag>,
        at: usize,
    ) -> YamlResult<Option<&'static str>> {
        let Some(tag) = tag else { return Ok(None) };
        if self.dialect != Dialect::CloudFormation || tag.handle != "!" {
            return Ok(None);
        }
        INTRINSIC_TAGS
            .iter()
            .find(|(short, _)| *short == tag.suffix)
            .map(|(_, long)| Some(*long))
            .ok_or_else(|| {
                (
                    at,
                    format!(
                        "unknown tag !{}: CloudFormation's are !Ref, !GetAtt, !Sub, !Join, !Select, \
                         !Split, !FindInMap, !If and the other intrinsic functions",
                        tag.suffix
                    ),
                )
            })
    }

    /// A mapping or sequence starts.
    fn start(
        &mut self,
        s: usize,
        anchor: usize,
        mapping: bool,
        intrinsic: Option<&'static str>,
    ) -> YamlResult<Option<Finished>> {
        if self.stack.len() >= MAX_DEPTH {
            return Err((s, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let ptr_len = self.pointer.len();
        let key = self.enter(s)?;
        self.stack.push(if mapping {
            Frame::Map {
                map: Map::new(),
                pending_key: None,
                start: s,
                key,
                ptr_len,
                anchor,
                merges: Vec::new(),
                intrinsic,
            }
        } else {
            Frame::Seq {
                items: Vec::new(),
                start: s,
                key,
                ptr_len,
                anchor,
                intrinsic,
            }
        });
        Ok(None)
    }

    /// The innermost collection ends.
    fn end(&mut self, e: usize) -> Option<Finished> {
        let (value, start, key, ptr_len, anchor, intrinsic) = match self.stack.pop()? {
            Frame::Map {
                mut map,
                start,
                key,
                ptr_len,
                anchor,
                merges,
                intrinsic,
                ..
            } => {
                for source in merges {
                    merge_into(&mut map, source);
                }
                (Value::Object(map), start, key, ptr_len, anchor, intrinsic)
            }
            Frame::Seq {
                items,
                start,
                key,
                ptr_len,
                anchor,
                intrinsic,
            } => (Value::Array(items), start, key, ptr_len, anchor, intrinsic),
        };
        let value = match intrinsic {
            Some(f) => wrap_intrinsic(f, value),
            None => value,
        };
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        Some(Finished {
            value,
            span: Span {
                start,
                end: e.max(start),
            },
            key,
            ptr_len,
        })
    }

    /// `*name`: a copy of the anchored node, within the expansion cap.
    fn alias(&mut self, id: usize, s: usize, e: usize) -> YamlResult<Finished> {
        let ptr_len = self.pointer.len();
        let key = self.enter(s)?;
        let Some(v) = self.anchors.get(&id) else {
            return Err((s, "this alias names no anchor defined before it".into()));
        };
        self.expanded = self.expanded.saturating_add(node_count(v));
        if self.expanded > MAX_ALIAS_NODES {
            return Err((
                s,
                format!("YAML aliases here expand to more than {MAX_ALIAS_NODES} nodes"),
            ));
        }
        Ok(Finished {
            value: v.clone(),
            span: Span { start: s, end: e },
            key,
            ptr_len,
        })
    }

    /// A scalar: a mapping key, or a value.
    fn scalar(
        &mut self,
        text: String,
        style: saphyr_parser::ScalarStyle,
        anchor: usize,
        tagged_str: bool,
        s: usize,
        e: usize,
    ) -> YamlResult<Option<Finished>> {
        if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut()
            && pending_key.is_none()
        {
            *pending_key = Some((text, Span { start: s, end: e }));
            return Ok(None);
        }
        let ptr_len = self.pointer.len();
        let key = self.enter(s)?;
        let v = if style == saphyr_parser::ScalarStyle::Plain && !tagged_str {
            yaml_plain_scalar(&text).map_err(|m| (s, m))?
        } else {
            Value::from(text)
        };
        if anchor > 0 {
            self.anchors.insert(anchor, v.clone());
        }
        Ok(Some(Finished {
            value: v,
            span: Span { start: s, end: e },
            key,
            ptr_len,
        }))
    }

    /// Put a finished value into its parent (or make it the document).
    fn attach(&mut self, f: Finished) -> YamlResult<()> {
        self.spans.map.insert(
            self.pointer.clone(),
            NodeSpan {
                value: f.span,
                key: f.key,
            },
        );
        self.pointer.truncate(f.ptr_len);
        match self.stack.last_mut() {
            None => self.root = Some(f.value),
            Some(Frame::Map {
                map,
                pending_key,
                merges,
                ..
            }) => {
                if let Some((k, ks)) = pending_key.take() {
                    if k == "<<" && is_merge_source(&f.value) {
                        merges.push(f.value);
                    } else if map.contains_key(&k) {
                        if self.dialect != Dialect::CloudFormation {
                            return Err((ks.start, format!("duplicate mapping key \"{k}\"")));
                        }
                        self.notes.push(SourceNote {
                            offset: ks.start,
                            message: format!(
                                "duplicate key '{k}': SAM CLI keeps this later value; \
                                 CloudFormation itself rejects the template"
                            ),
                        });
                        map.insert(k, f.value);
                    } else {
                        map.insert(k, f.value);
                    }
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(f.value),
        }
        Ok(())
    }
}

/// The most nodes YAML aliases may copy in one file.
const MAX_ALIAS_NODES: usize = 100_000;

fn node_count(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(node_count).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(node_count).sum::<usize>(),
        _ => 1,
    }
}

/// `<<:` takes a mapping or a sequence of mappings (YAML's merge key).
fn is_merge_source(v: &Value) -> bool {
    match v {
        Value::Object(_) => true,
        Value::Array(items) => items.iter().all(Value::is_object),
        _ => false,
    }
}

/// Keys of `source` that `map` lacks (earlier sources win over later ones, as in YAML).
fn merge_into(map: &mut Map, source: Value) {
    let sources = match source {
        Value::Array(items) => items,
        other => vec![other],
    };
    for s in sources {
        if let Value::Object(m) = s {
            for (k, v) in m {
                map.entry(k).or_insert(v);
            }
        }
    }
}

/// The YAML 1.2 core schema for plain scalars.
fn yaml_plain_scalar(s: &str) -> Result<Value, String> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let t = s.strip_prefix('+').unwrap_or(s);
        return number_value(t, false).ok_or_else(|| out_of_range(s));
    }
    if let Some(hex) = s.strip_prefix("0x")
        && let Ok(v) = i64::from_str_radix(hex, 16)
    {
        return Ok(Value::Number(v.into()));
    }
    if let Some(oct) = s.strip_prefix("0o")
        && let Ok(v) = i64::from_str_radix(oct, 8)
    {
        return Ok(Value::Number(v.into()));
    }
    let looks_float = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && s.bytes().any(|b| b.is_ascii_digit());
    if looks_float && let Ok(f) = s.parse::<f64>() {
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| out_of_range(s));
    }
    Ok(Value::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<Document, LoadError> {
        parse_text(Path::new("t.json"), text.to_string(), Format::Json)
    }

    /// Runs of like and unlike objects (see `json::parse::runs_of_like_objects`): what
    /// serde_json reads, member order included, unless a name is given twice (then an
    /// error at the second); and every node has a span whose text is that node.
    #[test]
    fn objects_stop_being_like_the_last_anywhere() {
        let mut read = 0;
        for text in crate::json::parse::runs_of_like_objects(1000) {
            let theirs = serde_json::from_str::<Value>(&text);
            let doc = match json(&text) {
                Ok(doc) => doc,
                Err(LoadError::Syntax {
                    message, offset, ..
                }) if message.starts_with("duplicate property name") => {
                    // (serde_json keeps the last value, or fails later in the text.) At
                    // the repeated name's opening quote: a name from a shape is never
                    // the repeated one.
                    let name = message.split('"').nth(1).unwrap();
                    let end = offset + 1 + text[offset + 1..].find('"').unwrap();
                    let at: String = serde_json::from_str(&text[offset..=end]).unwrap();
                    assert_eq!(at, name, "{text} at {offset}");
                    continue;
                }
                Err(e) => {
                    assert!(theirs.is_err(), "{text}: {e}");
                    continue;
                }
            };
            read += 1;
            let theirs = theirs.unwrap_or_else(|e| panic!("{text}: accepted; serde_json: {e}"));
            let printed = |v: &Value| serde_json::to_string(v).unwrap();
            assert_eq!(printed(doc.value()), printed(&theirs), "{text}");
            fn nodes(v: &Value) -> usize {
                1 + match v {
                    Value::Array(items) => items.iter().map(nodes).sum(),
                    Value::Object(map) => map.values().map(nodes).sum(),
                    _ => 0,
                }
            }
            assert_eq!(doc.spans().len(), nodes(doc.value()), "{text}");
            for (pointer, span) in &doc.spans().map {
                let node = doc.value().pointer(pointer).unwrap();
                let piece = &text[span.value.start..span.value.end];
                assert_eq!(
                    &serde_json::from_str::<Value>(piece).unwrap(),
                    node,
                    "{text} {pointer}"
                );
                if let Some(key) = span.key {
                    let name: String = serde_json::from_str(&text[key.start..key.end]).unwrap();
                    assert!(pointer.ends_with(&format!("/{name}")), "{text} {pointer}");
                }
            }
        }
        assert!(read > 300, "{read} texts read");
    }

    #[test]
    fn cloudformation_short_forms_read_as_their_long_forms() {
        let text = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Role: !GetAtt Role.Arn\n      Name: !Sub '${AWS::StackName}-f'\n      Subnets: !Split [',', !Ref Ids]\n      Name: later\n";
        let (doc, notes) = parse_text_as(
            Path::new("template.yaml"),
            text.into(),
            Format::Yaml,
            Dialect::CloudFormation,
        )
        .unwrap();
        let p = &doc.value["Resources"]["F"]["Properties"];
        assert_eq!(p["Role"], crate::json!({"Fn::GetAtt": ["Role", "Arn"]}));
        assert_eq!(
            p["Subnets"],
            crate::json!({"Fn::Split": [",", {"Ref": "Ids"}]})
        );
        // A duplicate key keeps the later value, as SAM CLI does, and says so.
        assert_eq!(p["Name"], "later");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.contains("duplicate key 'Name'"));
        // A definition stays strict.
        assert!(parse_text(Path::new("d.yaml"), text.into(), Format::Yaml).is_err());
        assert!(
            parse_text_as(
                Path::new("t.yaml"),
                "A: !Bogus x\n".into(),
                Format::Yaml,
                Dialect::CloudFormation
            )
            .unwrap_err()
            .to_string()
            .contains("unknown tag !Bogus")
        );
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"End\": true}\n  }\n}";
        let doc = json(text).unwrap();
        let a = doc.spans().get("/States/A").unwrap();
        assert_eq!(
            doc.source.line_col(a.value.start),
            LineCol { line: 4, col: 10 }
        );
        assert_eq!(doc.source.line_col(a.key.unwrap().start).col, 5);
        let t = doc.spans().get("/States/A/Type").unwrap();
        assert_eq!(&text[t.value.start..t.value.end], "\"Pass\"");
        assert_eq!(doc.value["States"]["A"]["End"], Value::Bool(true));
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let (line, col, message) = syntax_error("{\n  \"a\": 1\n  \"b\": 2\n}");
        assert_eq!((line, col), (3, 3));
        assert!(message.contains("expected ',' or '}'"), "{message}");
    }

    /// Where and why `text` fails to load.
    fn syntax_error(text: &str) -> (usize, usize, String) {
        match json(text).unwrap_err() {
            LoadError::Syntax {
                line, col, message, ..
            } => (line, col, message),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn a_repeated_key_is_located_and_containers_are_exact_size() {
        let (line, col, message) = syntax_error("{\"A\": {\"x\": [1, {\"y\": 2}],\n \"x\": 3}}");
        assert_eq!((line, col), (2, 2));
        assert!(
            message.contains("duplicate property name \"x\""),
            "{message}"
        );
        let doc = json(r#"{"a": [1, 2, 3, [4, 5]], "b": {"c": 1, "d": [], "e": {}}}"#).unwrap();
        assert_eq!(doc.value["a"].as_array().unwrap().capacity(), 4);
        assert_eq!(doc.value["a"][3].as_array().unwrap().capacity(), 2);
        assert_eq!(doc.value["b"].as_object().unwrap().len(), 3);
        assert_eq!(
            serde_json::to_string(&doc.value).unwrap(),
            r#"{"a":[1,2,3,[4,5]],"b":{"c":1,"d":[],"e":{}}}"#
        );
    }

    #[test]
    fn like_objects_read_as_serde_json_reads_them_and_a_repeat_is_still_located() {
        let text = r#"{"S": [{"x": 1, "y": {"z": [2]}}, {"x": 3, "y": {"z": []}},
 {"x": 5, "y": 6}, {"y": 7, "x": 8}, {"\u0078": 9, "y": 10}, {"x": 11, "y": 12}]}"#;
        let doc = json(text).unwrap();
        let theirs: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::to_string(&doc.value).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
        let (line, col, message) =
            syntax_error("{\"S\": [{\"x\": 1}, {\"x\": 2}, {\"x\": 3},\n {\"x\": 7, \"x\": 8}]}");
        assert_eq!((line, col), (2, 11));
        assert!(
            message.contains("duplicate property name \"x\""),
            "{message}"
        );
    }

    #[test]
    fn empty_garbage_and_deep_input_are_errors_not_panics() {
        assert!(json("").is_err());
        assert!(json("   \n").is_err());
        assert!(json("\u{1}\u{2}garbage").is_err());
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = json(&deep).unwrap_err();
        assert!(err.to_string().contains("nesting deeper"), "{err}");
        let deep_yaml = "[".repeat(10_000);
        assert!(parse_text(Path::new("t.yaml"), deep_yaml, Format::Yaml).is_err());
    }

    #[test]
    fn numbers_strings_and_escapes() {
        let doc = json(r#"{"a": -1.5e2, "b": 12345678901234, "c": "x\u00e9\ud83d\ude00\n", "d": [true, null]}"#).unwrap();
        assert_eq!(doc.value["a"], crate::json!(-150.0));
        assert_eq!(doc.value["b"], crate::json!(12345678901234i64));
        assert_eq!(doc.value["c"], "xé😀\n");
        // Plain runs before, between and after escapes of every kind.
        let doc = json(r#"{"e": "a\"b\\c\/d\be\ff\ng\rh\ti\u0041j\ud83d\ude00k"}"#).unwrap();
        assert_eq!(doc.value["e"], "a\"b\\c/d\u{8}e\u{c}f\ng\rh\tiAj😀k");
        assert!(json(r#"{"e": "a\qb"}"#).is_err());
        assert!(json("{\"e\": \"a\u{1}b\"}").is_err());
        assert!(json(r#"{"a": 01}"#).is_err());
        assert!(json(r#"{"a": 1, "a": 2}"#).is_err());
    }

    #[test]
    fn yaml_values_and_spans() {
        let text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: {n: 1, s: '2', b: true, z: null}\n    End: true\n";
        let doc = parse_text(Path::new("t.yaml"), text.into(), Format::Yaml).unwrap();
        assert_eq!(
            doc.value["States"]["A"]["Result"],
            crate::json!({"n": 1, "s": "2", "b": true, "z": null})
        );
        let a = doc.spans().get("/States/A/Type").unwrap();
        assert_eq!(
            doc.source.line_col(a.value.start),
            LineCol { line: 4, col: 11 }
        );
        let err =
            parse_text(Path::new("t.yaml"), "a: [1, 2\nb: 3\n".into(), Format::Yaml).unwrap_err();
        assert!(matches!(err, LoadError::Syntax { .. }));
    }
}
