//! Evaluation: selecting the nodes a path names, as Jayway's path tokens do, with
//! its error messages.

use super::*;
use crate::json::{Map, Value};
use std::borrow::Cow;

#[derive(Clone, Copy)]
pub(super) struct Opts {
    /// Jayway's REQUIRE_PROPERTIES (used for `[?(@.a)]` existence checks).
    pub(super) require: bool,
    /// Build error messages (off inside filters, where they are thrown away).
    pub(super) messages: bool,
}

/// Jayway's two exception types: a filter turns the first into "undefined" and the second
/// into "no match".
pub(super) enum EvalError {
    NotFound(String),
    Invalid(String),
}

impl EvalError {
    pub(super) fn into_message(self) -> String {
        match self {
            EvalError::NotFound(m) | EvalError::Invalid(m) => m,
        }
    }
}

/// The matches of a path: nodes of the document, or objects made by a `['a','b']` merge.
#[derive(Default)]
pub(super) struct Found<'a> {
    pub(super) refs: Vec<&'a Value>,
    pub(super) owned: Vec<Value>,
}

impl<'a> Found<'a> {
    pub(super) fn into_first(self) -> Option<Cow<'a, Value>> {
        match self.owned.into_iter().next() {
            Some(v) => Some(Cow::Owned(v)),
            None => self.refs.first().map(|&v| Cow::Borrowed(v)),
        }
    }

    pub(super) fn into_values(self) -> Vec<Value> {
        if self.owned.is_empty() {
            self.refs.into_iter().cloned().collect()
        } else {
            self.owned
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.refs.is_empty() && self.owned.is_empty()
    }
}

/// Evaluate `segments` from `start`, one token at a time over all current nodes (which
/// keeps document order and needs no recursion over the path).
pub(super) fn evaluate<'a>(
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
pub(super) struct Step<'a, 'p> {
    pub(super) segments: &'p [Segment],
    pub(super) index: usize,
    pub(super) leaf: bool,
    /// All tokens before this one are definite (Jayway's `isUpstreamDefinite`).
    pub(super) upstream: bool,
    pub(super) doc: &'a Value,
    pub(super) opts: Opts,
    pub(super) root: char,
}

impl<'a> Step<'a, '_> {
    pub(super) fn apply(
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
    pub(super) fn property(
        &self,
        map: &'a Map,
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

    pub(super) fn not_an_object(&self, segment: &Segment, node: &Value) -> Result<(), EvalError> {
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
    pub(super) fn array(&self, node: &'a Value) -> Result<Option<&'a Vec<Value>>, EvalError> {
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
    pub(super) fn scan(
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
    pub(super) fn scan_matches(&self, target: &Segment, model: &Value) -> bool {
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

    pub(super) fn message(&self, build: impl FnOnce() -> String) -> String {
        if self.opts.messages {
            build()
        } else {
            String::new()
        }
    }

    pub(super) fn not_found(&self, build: impl FnOnce() -> String) -> EvalError {
        EvalError::NotFound(self.message(build))
    }

    /// The path Jayway evaluated before this token (then `extra`, if given).
    pub(super) fn eval_path(&self, extra: Option<&Segment>) -> String {
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
    pub(super) fn fragments(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments[self.index..] {
            segment.write_fragment(&mut out);
        }
        out
    }
}

/// The (start, end) index range a slice visits on an array of `len` (Jayway's
/// `ArraySliceToken`); indexes may be negative (counted from the end) or out of range.
pub(super) fn slice_bounds(from: Option<i64>, to: Option<i64>, len: i64) -> (i64, i64) {
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
pub(super) fn effective_index(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let index = if index < 0 { len + index } else { index };
    if (0..len).contains(&index) {
        usize::try_from(index).ok()
    } else {
        None
    }
}

/// A simple path (single names and indexes) evaluated with a cursor.
pub(super) fn select_simple<'a>(
    segments: &[Segment],
    root: &'a Value,
) -> Result<&'a Value, PathError> {
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

pub(super) fn no_results(segments: &[Segment]) -> PathError {
    let mut path = String::from("$");
    for segment in segments {
        segment.write_fragment(&mut path);
    }
    PathError(format!("No results for path: {path}"))
}

pub(super) fn expected_object_message(fragment: &str, path: &str, node: &Value) -> String {
    format!(
        "Expected to find an object with property {fragment} in path {path} but found '{}'. \
         This is not a json object according to the JsonProvider: '{JSON_PROVIDER}'.",
        java_class(node)
    )
}

/// The Java class json-smart gives a value (for Jayway's messages).
pub(super) fn java_class(v: &Value) -> &'static str {
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
pub(super) fn java_to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Number(n) => match JNum::from_json(n) {
            JNum::Int(i) => i.to_string(),
            JNum::Float(f) => java_double_string(f),
        },
        other => other.to_string(),
    }
}
