//! JSONPath as Step Functions evaluates it (Jayway JsonPath semantics), for queries
//! (InputPath, `.$` template fields, Choice Variable, ItemsPath, ...) and reference paths
//! (ResultPath writes). One parser handles every root AWS allows:
//! `$` (the state's input or result), `$$` (the context object) and `$name` (a variable).
//!
//! STUB: the public API below is the contract; the implementation is being written.

use serde_json::Value;

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
}

/// Why a path could not be evaluated. The message is Jayway's text, used by the engine
/// after "Invalid path '<path>' : ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub String);

impl JsonPath {
    /// Parse `text`. The error is a one-line human message for the validator.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let root = if text.starts_with("$$") {
            PathRoot::Context
        } else if text.starts_with('$') {
            PathRoot::Input
        } else {
            return Err(format!("'{text}' does not start with '$'"));
        };
        Ok(JsonPath {
            text: text.to_string(),
            root,
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
    pub fn is_definite(&self) -> bool {
        todo!()
    }

    /// Evaluate against `root` (the value of the path's root, already chosen by the
    /// caller from [`JsonPath::root`]). A definite path gives the node; an indefinite one
    /// gives an array of the matches (possibly empty).
    pub fn is_reference_path(&self) -> bool {
        true
    }

    pub fn write(&self, _target: Value, _value: Value) -> Result<Value, PathError> {
        todo!()
    }

    pub fn select(&self, _root: &Value) -> Result<Value, PathError> {
        todo!()
    }
}
