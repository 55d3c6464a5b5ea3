//! JSONata as AWS Step Functions evaluates it in `QueryLanguage: JSONata` states, on
//! `jsonata-core` (a Rust port of jsonata-js), behind our own small API: the engine sees
//! only [`JsonataExpr`], [`JsonataTemplate`], [`JsonataEnv`] and `serde_json` values.
//!
//! AWS behaviours implemented here (sources: the AWS developer guide page "Transforming
//! data with JSONata in Step Functions", and the AWS recordings in
//! `shared/conformance/cases/jsonata`):
//! - `{% ... %}` must be the whole string: `{%` first and `%}` last, no surrounding
//!   whitespace (`" {% states.input %} "` is a constant in the recordings).
//! - `$states` holds `input`, `result`, `errorOutput`, `context`; workflow variables are
//!   `$name`. `$` and `$$` at the top level have no value here (AWS evaluates without
//!   input data).
//! - AWS's extra functions: `$partition`, `$range`, `$hash`, `$random([seed])`, `$uuid`,
//!   `$parse`. `$eval` is not available (a call fails like any non-function, T1006).
//!   `$now()` and `$millis()` read the engine's virtual clock, fixed for one evaluation.
//! - Results: a one-item sequence is its item (`$range(1, 9, 9)` is `1`), integral
//!   numbers are JSON integers, undefined and functions are errors with AWS's texts.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use crate::json::{Map, Str, Value};
use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::value::{JArray, JMap, JValue, with_stack};
use serde_json::Number;

use super::ExprError;

/// The error name of every JSONata evaluation failure.
pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";

// ---------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------

/// One JSONata expression (the text between `{%` and `%}`), parsed once at load time.
/// Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct JsonataExpr {
    inner: Arc<ExprInner>,
}

struct ExprInner {
    /// The expression as AWS quotes it in error messages: the inner text, trimmed.
    text: String,
    ast: AstNode,
    needs: Needs,
}

impl JsonataExpr {
    /// Parse the text between the delimiters. The error is a one-line message for the
    /// validator, e.g. `Parse error: S0207: Unexpected end of expression`.
    pub fn parse(text: &str) -> Result<JsonataExpr, super::SyntaxError> {
        JsonataExpr::parse_text(text).map_err(super::SyntaxError)
    }

    /// Parsed once per text: a definition repeats expressions (`{% $states.input %}`), and
    /// a hot reload re-parses only what the save changed. The parse (and working out what
    /// an expression reads) is most of loading a JSONata definition.
    fn parse_text(text: &str) -> Result<JsonataExpr, String> {
        /// Bounded: past this many texts the cache starts over.
        const CACHED_TEXTS: usize = 4096;
        thread_local! {
            static PARSED: std::cell::RefCell<std::collections::HashMap<String, Result<JsonataExpr, String>>> =
                std::cell::RefCell::default();
        }
        let text = text.trim();
        if let Some(hit) = PARSED.with(|p| p.borrow().get(text).cloned()) {
            return hit;
        }
        let parsed = JsonataExpr::parse_uncached(text);
        PARSED.with(|p| {
            let mut p = p.borrow_mut();
            if p.len() >= CACHED_TEXTS {
                p.clear();
            }
            p.insert(text.to_string(), parsed.clone());
        });
        parsed
    }

    fn parse_uncached(text: &str) -> Result<JsonataExpr, String> {
        let ast = jsonata_core::parser::parse(text).map_err(|e| one_line(&e.display_message()))?;
        let needs = Needs::of(&ast);
        Ok(JsonataExpr {
            inner: Arc::new(ExprInner {
                text: text.to_string(),
                ast,
                needs,
            }),
        })
    }

    /// The expression text (trimmed), as quoted in AWS's error messages.
    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// Workflow variables the expression reads (`$name`, without `$`), excluding
    /// `$states`; includes names that are only bound locally with `:=` or as lambda
    /// parameters. For the validator and the debugger's watch view.
    pub fn referenced_variables(&self) -> &[String] {
        &self.inner.needs.variables
    }
}

impl fmt::Debug for JsonataExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JsonataExpr")
            .field(&self.inner.text)
            .finish()
    }
}

impl PartialEq for JsonataExpr {
    fn eq(&self, other: &Self) -> bool {
        self.inner.text == other.inner.text
    }
}

impl Eq for JsonataExpr {}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `Some(inner)` when `s` is a whole `{% ... %}` string, else `None`. AWS requires `{%`
/// as the very first and `%}` as the very last characters: a string with whitespace
/// around the delimiters is a plain constant (recorded: `" {% states.input %} "` is
/// output unchanged). The inner text is returned untrimmed.
pub fn strip_delimiters(s: &str) -> Option<&str> {
    if s.len() >= 4 {
        s.strip_prefix("{%")?.strip_suffix("%}")
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------
// What an expression needs from its environment, found once at parse time
// ---------------------------------------------------------------------------------------

/// AWS functions (and overridden built-ins) an expression may call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Fns {
    partition: bool,
    range: bool,
    hash: bool,
    random: bool,
    uuid: bool,
    parse: bool,
    now: bool,
    millis: bool,
    eval: bool,
    shuffle: bool,
    pad: bool,
    /// `$fromMillis` / `$toMillis`: their pictures are checked first (see
    /// [`picture_problem`]).
    pictures: bool,
}

impl Fns {
    fn note(&mut self, name: &str) {
        match name {
            "partition" => self.partition = true,
            "range" => self.range = true,
            "hash" => self.hash = true,
            "random" => self.random = true,
            "uuid" => self.uuid = true,
            "parse" => self.parse = true,
            "now" => self.now = true,
            "fromMillis" | "toMillis" => self.pictures = true,
            "millis" => self.millis = true,
            "eval" => self.eval = true,
            "shuffle" => self.shuffle = true,
            "pad" => self.pad = true,
            _ => {}
        }
    }

    fn union(self, o: Fns) -> Fns {
        Fns {
            partition: self.partition || o.partition,
            range: self.range || o.range,
            hash: self.hash || o.hash,
            random: self.random || o.random,
            uuid: self.uuid || o.uuid,
            parse: self.parse || o.parse,
            now: self.now || o.now,
            millis: self.millis || o.millis,
            eval: self.eval || o.eval,
            shuffle: self.shuffle || o.shuffle,
            pad: self.pad || o.pad,
            pictures: self.pictures || o.pictures,
        }
    }
}

/// The parts of a value that expressions read: all of it, or (when it is an object) some
/// members, each read in part or whole. Found from the paths `$name.a.b` that start at a
/// variable; any other use of the variable reads all of it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reach {
    Whole,
    Members(BTreeMap<String, Reach>),
}

impl Reach {
    /// The reach of one path below the variable (empty: the whole value).
    fn of_path(path: &[String]) -> Reach {
        match path.split_first() {
            None => Reach::Whole,
            Some((first, rest)) => {
                Reach::Members(BTreeMap::from([(first.clone(), Reach::of_path(rest))]))
            }
        }
    }

    fn merge(&mut self, other: &Reach) {
        match (&mut *self, other) {
            (Reach::Whole, _) => {}
            (_, Reach::Whole) => *self = Reach::Whole,
            (Reach::Members(mine), Reach::Members(theirs)) => {
                for (k, r) in theirs {
                    match mine.get_mut(k) {
                        Some(m) => m.merge(r),
                        None => {
                            mine.insert(k.clone(), r.clone());
                        }
                    }
                }
            }
        }
    }
}

/// What evaluation must bind: `$states` and the workflow variables the expressions read
/// (and how much of each), and the functions they call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Needs {
    /// By variable name (without `$`), `states` included.
    roots: BTreeMap<String, Reach>,
    /// The workflow variables read: the keys of `roots` other than `states`.
    variables: Vec<String>,
    fns: Fns,
}

impl Needs {
    fn of(ast: &AstNode) -> Needs {
        // The AST serializes to plain JSON; walking that keeps us independent of the
        // shape of jsonata-core's (large, evolving) AST enum. Done once per expression.
        let tree = crate::json::to_value(ast).unwrap_or(Value::Null);
        let mut scan = Scan::default();
        scan.walk(&tree);
        if scan.parent_op {
            // `%` can climb from a member back to its parent: bind whole values.
            scan.roots.values_mut().for_each(|r| *r = Reach::Whole);
        }
        let mut needs = Needs {
            roots: scan.roots,
            variables: Vec::new(),
            fns: scan.fns,
        };
        needs.index_variables();
        needs
    }

    fn index_variables(&mut self) {
        self.variables = self
            .roots
            .keys()
            .filter(|k| *k != "states")
            .cloned()
            .collect();
    }

    fn merge(&mut self, other: &Needs) {
        for (name, reach) in &other.roots {
            match self.roots.get_mut(name) {
                Some(r) => r.merge(reach),
                None => {
                    self.roots.insert(name.clone(), reach.clone());
                }
            }
        }
        self.fns = self.fns.union(other.fns);
        self.index_variables();
    }
}

#[derive(Default)]
struct Scan {
    roots: BTreeMap<String, Reach>,
    fns: Fns,
    /// The expression uses the parent operator `%`.
    parent_op: bool,
}

impl Scan {
    fn walk(&mut self, v: &Value) {
        match v {
            Value::Object(m) => {
                if m.len() == 1 {
                    if let Some(Value::String(name)) = m.get("Variable") {
                        self.reach(name, &[]);
                        return;
                    }
                    if m.contains_key("Parent") {
                        self.parent_op = true;
                    }
                    if let Some(Value::Object(f)) = m.get("Function")
                        && let Some(Value::String(name)) = f.get("name")
                    {
                        self.fns.note(name);
                    }
                    if let Some(Value::Object(p)) = m.get("Path")
                        && let Some((name, path)) = rooted_path(p)
                    {
                        self.reach(name, &path);
                        // The rest of the path may hold other references (in stages).
                        let steps = p["steps"].as_array().map_or(&[][..], Vec::as_slice);
                        steps.iter().skip(1).for_each(|step| self.walk(step));
                        return;
                    }
                }
                for child in m.values() {
                    self.walk(child);
                }
            }
            Value::Array(items) => {
                for child in items {
                    self.walk(child);
                }
            }
            _ => {}
        }
    }

    /// Variable `name` is read along `path` (empty: all of it).
    fn reach(&mut self, name: &str, path: &[String]) {
        if name.is_empty() {
            return; // `$`, the context value
        }
        // `$random` passed as a value still needs our `$random`.
        self.fns.note(name);
        let reach = Reach::of_path(path);
        match self.roots.get_mut(name) {
            Some(r) => r.merge(&reach),
            None => {
                self.roots.insert(name.to_string(), reach);
            }
        }
    }
}

/// For a serialized path `$name.a.b...` (no predicate or binding on `$name`): the name
/// and the member names the path walks through plain object members: it stops after a
/// step with a predicate, `[]` or a binding, and before any step that is not a name.
fn rooted_path(path: &Map) -> Option<(&str, Vec<String>)> {
    let steps = path.get("steps")?.as_array()?;
    let (first, rest) = steps.split_first()?;
    let name = first.get("node")?.get("Variable")?.as_str()?;
    if !plain_step(first) {
        return None;
    }
    let mut members = Vec::new();
    for step in rest {
        let Some(member) = step
            .get("node")
            .and_then(|n| n.get("Name"))
            .and_then(Value::as_str)
        else {
            break;
        };
        members.push(member.to_string());
        if !plain_step(step) {
            break;
        }
    }
    Some((name, members))
}

fn plain_step(step: &Value) -> bool {
    step.get("stages")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
        && step.get("focus").is_none_or(Value::is_null)
        && step.get("index_var").is_none_or(Value::is_null)
        && step.get("ancestor_label").is_none_or(Value::is_null)
}

// ---------------------------------------------------------------------------------------
// The environment
// ---------------------------------------------------------------------------------------

/// What evaluation needs from the engine.
pub trait JsonataEnv {
    /// The value of workflow variable `name` (visible in this scope), if defined.
    fn variable(&self, name: &str) -> Option<&Value>;
    /// The context object, `$states.context`, where there is one.
    fn context(&self) -> Option<&Value>;
    /// Deterministic randomness (seeded in the engine): used by $random and $uuid.
    fn next_u64(&mut self) -> u64;
    /// The virtual clock, in milliseconds since the epoch: used by $now and $millis.
    fn now_millis(&self) -> i64;
}

// ---------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------

/// Evaluate `expr` with `$states` bound to `states` (and its context from `env`).
/// `Ok(None)` is JSONata's undefined.
///
/// This form knows no field name, so its error causes omit AWS's "specified for the
/// field '...'" clause; [`eval_field`] gives AWS's exact texts and is what the engine
/// should use. A function result is an error here too (AWS: "returned an unsupported
/// result type.").
pub fn eval(
    expr: &JsonataExpr,
    states: States<'_>,
    env: &mut dyn JsonataEnv,
) -> Result<Option<Value>, ExprError> {
    let mut session = Session::new(&expr.inner.needs, states, env);
    match session.run(expr) {
        Ok(Outcome::Value(v)) => Ok(Some(v)),
        Ok(Outcome::Undefined) => Ok(None),
        Ok(Outcome::Function) => Err(query_error(format!(
            "The JSONata expression '{}' returned an unsupported result type.",
            expr.text()
        ))),
        Err(msg) => Err(query_error(format!(
            "The JSONata expression '{}' threw an error during evaluation. {msg}",
            expr.text()
        ))),
    }
}

/// Evaluate `expr` for field `field` (e.g. `"Items"`, `"Condition"`, `"Output"`), with
/// AWS's error texts: undefined is an error (`returned nothing (undefined).`), so is a
/// function (`returned an unsupported result type.`) and any JSONata error (`threw an
/// error during evaluation. <code>: <message>`).
pub fn eval_field(
    expr: &JsonataExpr,
    field: &str,
    states: States<'_>,
    env: &mut dyn JsonataEnv,
) -> Result<Value, ExprError> {
    let mut session = Session::new(&expr.inner.needs, states, env);
    session.run_field(expr, field)
}

/// `States.QueryEvaluationError` with `cause`.
pub fn query_error(cause: impl Into<String>) -> ExprError {
    ExprError {
        error: QUERY_EVALUATION_ERROR.into(),
        cause: cause.into(),
    }
}

/// AWS: `The JSONata expression '<text>' specified for the field '<field>' returned
/// nothing (undefined).`
pub fn undefined_error(expr: &JsonataExpr, field: &str) -> ExprError {
    query_error(format!(
        "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
        expr.text()
    ))
}

/// AWS: `The JSONata expression '<text>' specified for the field '<field>' returned an
/// unsupported result type.` (a function).
pub fn unsupported_type_error(expr: &JsonataExpr, field: &str) -> ExprError {
    query_error(format!(
        "The JSONata expression '{}' specified for the field '{field}' returned an unsupported result type.",
        expr.text()
    ))
}

/// For typed fields, AWS (recorded for Map `Items`): `The JSONata expression 'true'
/// specified for the field 'Items' returned an unexpected result type. Expected 'array',
/// but was 'boolean' for value: true`. The value is compact JSON (`{"foo":"bar"}`,
/// `"string"`).
pub fn unexpected_type_error(
    expr: &JsonataExpr,
    field: &str,
    expected: &str,
    value: &Value,
) -> ExprError {
    query_error(format!(
        "The JSONata expression '{}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{}' for value: {}",
        expr.text(),
        json_type_name(value),
        serde_json::to_string(value).unwrap_or_default()
    ))
}

/// The type names AWS uses in `unexpected_type_error`: null, boolean, number, string,
/// array, object.
pub fn json_type_name(value: &Value) -> &'static str {
    value.type_name()
}

enum Outcome {
    Value(Value),
    Undefined,
    Function,
}

/// One evaluator set up for a set of expressions (one expression, or all of a template):
/// `$states`, the workflow variables they read, and the functions they call.
struct Session {
    ev: Evaluator,
    /// The evaluation's budget (memory count, interruption); ends with the session.
    guard: super::budget::Guard,
}

impl Session {
    fn new(needs: &Needs, states: States<'_>, env: &mut dyn JsonataEnv) -> Session {
        let mut ctx = Context::new();
        for (name, reach) in &needs.roots {
            if name == "states" {
                ctx.bind(name.clone(), states.reach(&*env, reach));
            } else if let Some(v) = env.variable(name) {
                ctx.bind(name.clone(), reach_value(v, reach));
            }
        }
        if needs.fns.eval {
            // AWS: "$eval is not available". Bound to nothing, a call fails as a call of
            // any unknown function does: "T1006: Attempted to invoke a non-function".
            ctx.bind("eval".into(), JValue::Undefined);
        }
        let budget = super::Budget::current();
        let guard = super::budget::Guard::start(&budget);
        let options = EvaluatorOptions {
            timeout_ms: Some(budget.timeout.as_millis().try_into().unwrap_or(u64::MAX)),
            cancel: Some(guard.token()),
            max_stack_depth: None,
            max_sequence_length: Some(budget.max_sequence),
        };
        let mut ev = Evaluator::with_options(ctx, options);
        register_functions(&mut ev, needs.fns, env);
        if needs.fns.pad {
            let cap = budget.max_string_chars;
            let _ = ev.register_fn_override("pad", move |args: &[JValue]| pad(args, cap));
        }
        Session { ev, guard }
    }

    fn run(&mut self, expr: &JsonataExpr) -> Result<Outcome, String> {
        // No context value: AWS evaluates without input data (`$` has no value).
        let result = self
            .ev
            .evaluate(&expr.inner.ast, &JValue::Undefined)
            .map_err(|e| match self.guard.stopped() {
                Some(super::budget::Stopped::Memory(limit)) => format!(
                    "U1004: Evaluation used more than {} MiB of memory (stepdbg's evaluation budget: \
                     [limits] eval-memory-mb in stepdbg.toml)",
                    limit / (1024 * 1024)
                ),
                _ => error_message(&e),
            })?
            .unwrap_sequence();
        Ok(match result {
            JValue::Undefined => Outcome::Undefined,
            v if is_function(&v) => Outcome::Function,
            v => Outcome::Value(from_jvalue(&v)),
        })
    }

    fn run_field(&mut self, expr: &JsonataExpr, field: &str) -> Result<Value, ExprError> {
        match self.run(expr) {
            Ok(Outcome::Value(v)) => Ok(v),
            Ok(Outcome::Undefined) => Err(undefined_error(expr, field)),
            Ok(Outcome::Function) => Err(unsupported_type_error(expr, field)),
            Err(msg) => Err(query_error(format!(
                "The JSONata expression '{}' specified for the field '{field}' threw an error during evaluation. {msg}",
                expr.text()
            ))),
        }
    }
}

/// The message AWS shows after "threw an error during evaluation.": jsonata-js's
/// `<code>: <message>`. jsonata-core appends the callee to T1006
/// (`...non-function: $randomSeeded`); jsonata-js, and so AWS, does not.
fn error_message(e: &EvaluatorError) -> String {
    const T1006: &str = "T1006: Attempted to invoke a non-function";
    let msg = e.message();
    if msg.starts_with(T1006) {
        T1006.to_string()
    } else if msg.starts_with("U1003") {
        "U1003: Evaluation interrupted (Esc, Ctrl-C or a signal asked stepdbg to stop)".to_string()
    } else if msg.starts_with("D1012") {
        format!(
            "{msg} (stepdbg's evaluation budget: --eval-timeout or [limits] eval-timeout in stepdbg.toml)"
        )
    } else {
        msg.to_string()
    }
}

/// `$states` as the engine holds it: its parts borrowed, so that nothing is copied to make
/// it and only what expressions read is converted; `context` comes from the environment
/// ([`JsonataEnv::context`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct States<'a> {
    pub input: Option<&'a Value>,
    pub result: Option<&'a Value>,
    pub error_output: Option<&'a Value>,
}

impl<'a> States<'a> {
    /// `$states` with only `input` (and the context).
    pub fn input(input: &'a Value) -> States<'a> {
        States {
            input: Some(input),
            ..States::default()
        }
    }

    /// The part of `$states` that `reach` reads, members in AWS's order. The context is
    /// asked of `env` only when read (it is built on demand and costs more than most
    /// expressions).
    fn reach(&self, env: &dyn JsonataEnv, reach: &Reach) -> JValue {
        let read = |name: &str| match reach {
            Reach::Whole => Some(&Reach::Whole),
            Reach::Members(members) => members.get(name),
        };
        let mut out = JMap::default();
        let parts = [
            ("input", self.input),
            ("result", self.result),
            ("errorOutput", self.error_output),
        ];
        for (name, part) in parts {
            if let (Some(v), Some(r)) = (part, read(name)) {
                out.insert(name.to_string(), reach_value(v, r));
            }
        }
        if let Some(r) = read("context")
            && let Some(v) = env.context()
        {
            out.insert("context".to_string(), reach_value(v, r));
        }
        JValue::Object(Rc::new(out))
    }
}

/// The part of `v` that `reach` says is read, as a JSONata value: a big input read only
/// as `$states.input.a` costs the conversion of `a` alone. Members that are not read are
/// left out of objects; arrays and scalars are converted whole.
fn reach_value(v: &Value, reach: &Reach) -> JValue {
    match (reach, v) {
        (Reach::Members(members), Value::Object(m)) => {
            let mut out = JMap::default();
            for (name, r) in members {
                if let Some(x) = m.get(name) {
                    out.insert(name.clone(), reach_value(x, r));
                }
            }
            JValue::Object(Rc::new(out))
        }
        _ => to_jvalue(v),
    }
}

// ---------------------------------------------------------------------------------------
// Value conversion
// ---------------------------------------------------------------------------------------

fn to_jvalue(v: &Value) -> JValue {
    match v {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JValue::string(s.as_str()),
        Value::Array(items) => with_stack(|| {
            let flat = !items.iter().any(Value::is_array);
            JValue::Array(JArray::new_flat(
                items.iter().map(to_jvalue).collect(),
                flat,
            ))
        }),
        Value::Object(m) => with_stack(|| {
            let mut out = JMap::default();
            out.reserve(m.len());
            for (k, v) in m {
                out.insert(k.to_string(), to_jvalue(v));
            }
            JValue::Object(Rc::new(out))
        }),
    }
}

fn is_function(v: &JValue) -> bool {
    matches!(
        v,
        JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. }
    )
}

/// A JSONata value as JSON, the way JSON.stringify writes it: integral numbers are
/// integers, non-finite numbers are null, undefined and functions are dropped from
/// objects and are null in arrays.
fn from_jvalue(v: &JValue) -> Value {
    match v {
        JValue::Null | JValue::Undefined => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::from(&**s),
        JValue::Array(items) => with_stack(|| {
            Value::Array(
                items
                    .iter()
                    .map(|item| {
                        if is_function(item) {
                            Value::Null
                        } else {
                            from_jvalue(item)
                        }
                    })
                    .collect(),
            )
        }),
        JValue::Object(m) => with_stack(|| {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m.iter() {
                if !matches!(v, JValue::Undefined) && !is_function(v) {
                    out.insert(k.as_str(), from_jvalue(v));
                }
            }
            Value::Object(out)
        }),
        JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. } => Value::Null,
    }
}

/// 2 is `2`, not `2.0`; -0 is `0`; NaN and the infinities are `null` (JSON.stringify).
fn number(n: f64) -> Value {
    // Every integral f64 strictly inside ±2^63 converts to i64 exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !n.is_finite() {
        Value::Null
    } else if n.fract() == 0.0 && n > -LIMIT && n < LIMIT {
        Value::from(n as i64)
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

// ---------------------------------------------------------------------------------------
// AWS's functions
// ---------------------------------------------------------------------------------------

type FnResult = Result<JValue, EvaluatorError>;

fn fn_error(msg: impl Into<String>) -> EvaluatorError {
    EvaluatorError::EvaluationError(msg.into())
}

/// jsonata-js's text for an argument of the wrong type.
fn signature_error(index: usize, name: &str) -> EvaluatorError {
    fn_error(format!(
        "T0410: Argument {index} of function {name} does not match function signature"
    ))
}

/// A wrong number of arguments: jsonata-js reports the first argument the signature
/// has no room for, or the first missing one.
fn check_arity(args: &[JValue], min: usize, max: usize, name: &str) -> Result<(), EvaluatorError> {
    if args.len() > max {
        Err(signature_error(max + 1, name))
    } else if args.len() < min {
        Err(signature_error(args.len() + 1, name))
    } else {
        Ok(())
    }
}

/// Randomness for one evaluation, drawn from the engine only when an expression calls
/// `$random`, `$uuid` or `$shuffle`: one `next_u64` seeds a SplitMix64 stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn register_functions(ev: &mut Evaluator, fns: Fns, env: &mut dyn JsonataEnv) {
    // Registration only fails for a name that collides with a built-in (register_fn)
    // or a compilable built-in (register_fn_override); none of these do (tested).
    if fns.partition {
        let _ = ev.register_fn("partition", partition);
    }
    if fns.range {
        let _ = ev.register_fn("range", range);
    }
    if fns.hash {
        let _ = ev.register_fn("hash", hash);
    }
    if fns.parse {
        let _ = ev.register_fn("parse", parse);
    }
    if fns.random || fns.uuid || fns.shuffle {
        let rng = Rc::new(RefCell::new(Rng(env.next_u64())));
        if fns.shuffle {
            let rng = Rc::clone(&rng);
            let _ = ev.register_fn_override("shuffle", move |args: &[JValue]| {
                shuffle(args, &mut rng.borrow_mut())
            });
        }
        if fns.random {
            let rng = Rc::clone(&rng);
            let _ = ev.register_fn_override("random", move |args: &[JValue]| {
                random(args, &mut rng.borrow_mut())
            });
        }
        if fns.uuid {
            let _ = ev.register_fn("uuid", move |args: &[JValue]| {
                check_arity(args, 0, 0, "uuid")?;
                Ok(JValue::string(uuid_v4(&mut rng.borrow_mut())))
            });
        }
    }
    if fns.now || fns.millis {
        let now = env.now_millis();
        if fns.millis {
            let _ = ev.register_fn_override("millis", move |args: &[JValue]| {
                check_arity(args, 0, 0, "millis")?;
                Ok(JValue::from(now))
            });
        }
        if fns.now {
            let _ = ev.register_fn_override("now", move |args: &[JValue]| now_fn(now, args));
        }
    }
    if fns.pictures {
        for name in ["fromMillis", "toMillis"] {
            let _ = ev.register_fn_override(name, move |args: &[JValue]| {
                check_picture(args.get(1))?;
                builtin(name, args)
            });
        }
    }
}

/// jsonata-core 2.2.13 panics on a date/time picture whose `[marker]` starts with a
/// character of more than one byte (it slices the marker at byte 1): such a picture is
/// refused with jsonata-js's error instead, before jsonata-core sees it.
fn picture_problem(picture: &str) -> Option<String> {
    let mut rest = picture;
    while let Some(i) = rest.find('[') {
        let after = &rest[i + 1..];
        if let Some(escaped) = after.strip_prefix('[') {
            rest = escaped;
            continue;
        }
        if let Some(c) = after.chars().find(|c| !c.is_whitespace())
            && !c.is_ascii()
        {
            return Some(format!(
                "D3132: Unknown component specifier {c} in date/time picture string"
            ));
        }
        rest = after;
    }
    None
}

fn check_picture(arg: Option<&JValue>) -> Result<(), EvaluatorError> {
    match arg {
        Some(JValue::String(p)) => match picture_problem(p) {
            Some(e) => Err(fn_error(e)),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// jsonata-core's own `$name(args...)` (from an override that checked them first).
fn builtin(name: &str, args: &[JValue]) -> FnResult {
    let params: Vec<String> = (0..args.len()).map(|i| format!("$a{i}")).collect();
    let ast = jsonata_core::parser::parse(&format!("${name}({})", params.join(", ")))
        .map_err(|e| fn_error(e.display_message()))?;
    let mut ctx = Context::new();
    for (i, arg) in args.iter().enumerate() {
        ctx.bind(format!("a{i}"), arg.clone());
    }
    Evaluator::with_context(ctx).evaluate(&ast, &JValue::Undefined)
}

/// `$pad(string, width [, char])` as jsonata-core has it, refusing a width past the
/// evaluation budget instead of allocating gigabytes.
fn pad(args: &[JValue], max_chars: usize) -> FnResult {
    if args.is_empty() || args.len() > 3 {
        return Err(fn_error("pad() requires 2 or 3 arguments"));
    }
    let string = match &args[0] {
        JValue::String(s) => s.clone(),
        JValue::Null => return Ok(JValue::Null),
        JValue::Undefined => return Ok(JValue::Undefined),
        _ => {
            return Err(EvaluatorError::TypeError(
                "pad() first argument must be a string".to_string(),
            ));
        }
    };
    let width = match args.get(1) {
        Some(JValue::Number(n)) => n.trunc(),
        Some(JValue::Undefined) | None => return Ok(JValue::string(string)),
        _ => {
            return Err(EvaluatorError::TypeError(
                "pad() second argument must be a number".to_string(),
            ));
        }
    };
    if width.abs() > max_chars as f64 {
        return Err(fn_error(format!(
            "D3140: $pad to {width} characters exceeds stepdbg's evaluation budget of {max_chars} characters"
        )));
    }
    let pad_chars: Vec<char> = match args.get(2) {
        Some(JValue::String(s)) if !s.is_empty() => s.chars().collect(),
        _ => vec![' '],
    };
    let abs_width = width.abs() as usize;
    let char_count = string.chars().count();
    if char_count >= abs_width {
        return Ok(JValue::string(string));
    }
    let padding: String = (0..abs_width - char_count)
        .map(|i| pad_chars[i % pad_chars.len()])
        .collect();
    Ok(JValue::string(if width < 0.0 {
        format!("{padding}{string}")
    } else {
        format!("{string}{padding}")
    }))
}

/// `$shuffle(array)`, made deterministic: a Fisher-Yates shuffle on the engine's stream.
fn shuffle(args: &[JValue], rng: &mut Rng) -> FnResult {
    check_arity(args, 1, 1, "shuffle")?;
    let mut items: Vec<JValue> = match &args[0] {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Array(a) => a.iter().cloned().collect(),
        v if is_function(v) => return Err(signature_error(1, "shuffle")),
        v => vec![v.clone()],
    };
    for i in (1..items.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    Ok(JValue::array(items))
}

/// `$partition(array, size)`: the array cut into chunks of `size` items, the last one
/// shorter (recorded: `$partition([0,1,2], 2)` is `[[0,1],[2]]`, `$partition([0], 1)`
/// is `[[0]]`: a plain array, never unwrapped). A non-array is a one-item array, as
/// for JSONata's `a` parameters.
fn partition(args: &[JValue]) -> FnResult {
    check_arity(args, 2, 2, "partition")?;
    let items: Vec<JValue> = match &args[0] {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Array(a) => a.iter().cloned().collect(),
        v if is_function(v) => return Err(signature_error(1, "partition")),
        v => vec![v.clone()],
    };
    let size = match &args[1] {
        JValue::Number(n) if n.is_finite() && *n >= 1.0 => n.trunc() as usize,
        JValue::Number(_) => {
            return Err(fn_error(
                "The size argument of function partition must be a positive integer",
            ));
        }
        _ => return Err(signature_error(2, "partition")),
    };
    let chunks = items
        .chunks(size)
        .map(|c| JValue::array(c.to_vec()))
        .collect();
    Ok(JValue::array(chunks))
}

/// `$range(start, end, step)`: start, start+step, ... up to and including end
/// (recorded: `$range(0, 10, 3)` is `[0,3,6,9]`). The result is a sequence: one item is
/// returned bare (recorded: `$range(1, 9, 9)` is `1`). A negative step counts down.
fn range(args: &[JValue]) -> FnResult {
    check_arity(args, 2, 3, "range")?;
    let mut nums = [0.0, 0.0, 1.0];
    for (i, arg) in args.iter().enumerate() {
        match arg {
            JValue::Number(n) if n.is_finite() => nums[i] = *n,
            JValue::Undefined => return Ok(JValue::Undefined),
            _ => return Err(signature_error(i + 1, "range")),
        }
    }
    let [start, end, step] = nums;
    if step == 0.0 {
        return Err(fn_error(
            "The step argument of function range must not be zero",
        ));
    }
    let count = ((end - start) / step).floor();
    if count < 0.0 {
        return Ok(JValue::Undefined);
    }
    const MAX_ITEMS: f64 = 10_000_000.0;
    if count >= MAX_ITEMS {
        return Err(fn_error(
            "The sequence made by function range must not exceed 1e7 items",
        ));
    }
    let items = (0..=count as u64)
        .map(|k| JValue::Number(start + k as f64 * step))
        .collect();
    Ok(JValue::sequence(items))
}

/// `$hash(value, algorithm)`: the lowercase hex digest of the string's UTF-8 bytes;
/// algorithms MD5, SHA-1, SHA-256, SHA-384, SHA-512 (as for States.Hash).
fn hash(args: &[JValue]) -> FnResult {
    use sha2::Digest;
    check_arity(args, 2, 2, "hash")?;
    let data = match &args[0] {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::String(s) => s.as_bytes(),
        _ => return Err(signature_error(1, "hash")),
    };
    let algorithm = match &args[1] {
        JValue::String(s) => &**s,
        _ => return Err(signature_error(2, "hash")),
    };
    let digest = match algorithm {
        "MD5" => hex::encode(md5::Md5::digest(data)),
        "SHA-1" => hex::encode(sha1::Sha1::digest(data)),
        "SHA-256" => hex::encode(sha2::Sha256::digest(data)),
        "SHA-384" => hex::encode(sha2::Sha384::digest(data)),
        "SHA-512" => hex::encode(sha2::Sha512::digest(data)),
        other => {
            return Err(fn_error(format!(
                "The algorithm '{other}' of function hash is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
            )));
        }
    };
    Ok(JValue::string(digest))
}

/// `$parse(json)`: the JSON text as a value (recorded: `"-0"` gives `0`, `"1.1"` gives
/// `1.1`, `"\"HelloWorld\""` gives `"HelloWorld"`, objects and arrays as written).
fn parse(args: &[JValue]) -> FnResult {
    check_arity(args, 1, 1, "parse")?;
    match &args[0] {
        JValue::Undefined => Ok(JValue::Undefined),
        JValue::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => Ok(to_jvalue(&v)),
            Err(e) => Err(fn_error(format!(
                "The argument of function parse is not valid JSON: {e}"
            ))),
        },
        _ => Err(signature_error(1, "parse")),
    }
}

/// `$random()` is uniform in [0, 1) from the engine's seeded stream. `$random(seed)`
/// is deterministic in `seed` (AWS: "the same seed always gives the same number"); we
/// use `java.util.Random(seed).nextDouble()`, an unverified guess at AWS's generator.
fn random(args: &[JValue], rng: &mut Rng) -> FnResult {
    match args {
        [] => Ok(JValue::Number(rng.unit())),
        [JValue::Undefined] => Ok(JValue::Number(rng.unit())),
        [JValue::Number(seed)] if seed.is_finite() => {
            Ok(JValue::Number(java_next_double(seed.trunc() as i64)))
        }
        [_] => Err(signature_error(1, "random")),
        _ => Err(signature_error(2, "random")),
    }
}

fn java_next_double(seed: i64) -> f64 {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;
    let mut state = (seed as u64 ^ MULTIPLIER) & MASK;
    let mut next = |bits: u32| -> u64 {
        state = state.wrapping_mul(MULTIPLIER).wrapping_add(0xB) & MASK;
        state >> (48 - bits)
    };
    let high = next(26);
    let low = next(27);
    ((high << 27) + low) as f64 / (1u64 << 53) as f64
}

fn uuid_v4(rng: &mut Rng) -> String {
    let hi = rng.next();
    let lo = rng.next();
    let hi = (hi & !0xF000) | 0x4000; // version 4
    let lo = (lo & !(0b11 << 62)) | (0b10 << 62); // RFC 4122 variant
    let hex = format!("{hi:016x}{lo:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `$now([picture [, timezone]])` on the virtual clock: `$fromMillis($millis(), ...)`,
/// like jsonata-js (default format `2024-01-01T00:00:00.000Z`).
fn now_fn(now: i64, args: &[JValue]) -> FnResult {
    check_arity(args, 0, 2, "now")?;
    check_picture(args.first())?;
    let ast = jsonata_core::parser::parse("$fromMillis($m, $p, $t)")
        .map_err(|e| fn_error(e.display_message()))?;
    let mut ctx = Context::new();
    ctx.bind("m".into(), JValue::from(now));
    for (name, arg) in ["p", "t"].iter().zip(args) {
        ctx.bind((*name).into(), arg.clone());
    }
    Evaluator::with_context(ctx).evaluate(&ast, &JValue::Undefined)
}

// ---------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------

/// A JSON template whose strings may be `{% %}` expressions, at any depth in objects and
/// arrays (AWS's Arguments, Output, Assign, ItemSelector, and the like). Parts without an
/// expression are kept as constants.
#[derive(Clone, Debug)]
pub struct JsonataTemplate {
    node: Node,
    /// What the expressions inside need together, found once when compiled.
    needs: Needs,
}

#[derive(Clone, Debug)]
enum Node {
    /// A value with no expression in it.
    Const(Value),
    /// A whole `{% ... %}` string.
    Expr(JsonataExpr),
    Array(Vec<Node>),
    Object(Vec<(Str, Node)>),
}

impl JsonataTemplate {
    /// Compile a JSON value. The error names the JSON Pointer (relative to the value) of
    /// the bad expression: `/a/0: Parse error: ...` (no prefix for the value itself).
    pub fn compile(value: &Value) -> Result<JsonataTemplate, super::SyntaxError> {
        let mut pointer = String::new();
        let node = compile_at(value, &mut pointer).map_err(super::SyntaxError)?;
        let mut needs = Needs::default();
        node.collect_needs(&mut needs);
        Ok(JsonataTemplate { node, needs })
    }

    /// Evaluate. `field` is the field name used in error messages (`"Arguments"`,
    /// `"Output"`, `"Assign"`, ...); nested expressions are named `Output/result`,
    /// `Arguments/list/0/x`. Every expression must give a value (AWS: undefined is
    /// `returned nothing (undefined)`); object members are evaluated in order and the
    /// first error wins.
    pub fn eval(
        &self,
        field: &str,
        states: States<'_>,
        env: &mut dyn JsonataEnv,
    ) -> Result<Value, ExprError> {
        if let Node::Const(v) = &self.node {
            return Ok(v.clone());
        }
        let mut session = Session::new(&self.needs, states, env);
        let mut path = field.to_string();
        self.node.eval_in(&mut session, &mut path)
    }

    /// Every expression inside, with the JSON Pointer (relative to the template, RFC 6901
    /// escaping) of where it sits: `""` for the template itself, `"/result"`, `"/a/0"`.
    pub fn expressions(&self) -> Vec<(String, &JsonataExpr)> {
        let mut out = Vec::new();
        let mut pointer = String::new();
        self.node.collect_exprs(&mut pointer, &mut out);
        out
    }

    /// True when no expression is inside.
    pub fn is_const(&self) -> bool {
        self.node.is_const()
    }

    /// The expression, when the template is one whole `{% %}` string.
    pub fn as_expr(&self) -> Option<&JsonataExpr> {
        match &self.node {
            Node::Expr(e) => Some(e),
            _ => None,
        }
    }
}

impl Node {
    fn is_const(&self) -> bool {
        matches!(self, Node::Const(_))
    }

    fn collect_needs(&self, needs: &mut Needs) {
        match self {
            Node::Const(_) => {}
            Node::Expr(e) => needs.merge(&e.inner.needs),
            Node::Array(items) => items.iter().for_each(|t| t.collect_needs(needs)),
            Node::Object(members) => {
                members.iter().for_each(|(_, t)| t.collect_needs(needs));
            }
        }
    }

    fn collect_exprs<'a>(&'a self, pointer: &mut String, out: &mut Vec<(String, &'a JsonataExpr)>) {
        match self {
            Node::Const(_) => {}
            Node::Expr(e) => out.push((pointer.clone(), e)),
            Node::Array(items) => {
                for (i, t) in items.iter().enumerate() {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    t.collect_exprs(pointer, out);
                    pointer.truncate(len);
                }
            }
            Node::Object(members) => {
                for (k, t) in members {
                    let len = pointer.len();
                    push_pointer_token(pointer, k);
                    t.collect_exprs(pointer, out);
                    pointer.truncate(len);
                }
            }
        }
    }

    fn eval_in(&self, session: &mut Session, path: &mut String) -> Result<Value, ExprError> {
        match self {
            Node::Const(v) => Ok(v.clone()),
            Node::Expr(e) => session.run_field(e, path),
            Node::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, t) in items.iter().enumerate() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    out.push(t.eval_in(session, path)?);
                    path.truncate(len);
                }
                Ok(Value::Array(out))
            }
            Node::Object(members) => {
                let mut out = Map::with_capacity(members.len());
                for (k, t) in members {
                    let len = path.len();
                    path.push('/');
                    path.push_str(k);
                    out.insert(k.clone(), t.eval_in(session, path)?);
                    path.truncate(len);
                }
                Ok(Value::Object(out))
            }
        }
    }
}

fn push_pointer_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

fn compile_at(value: &Value, pointer: &mut String) -> Result<Node, String> {
    let located = |pointer: &str, msg: String| {
        if pointer.is_empty() {
            msg
        } else {
            format!("{pointer}: {msg}")
        }
    };
    Ok(match value {
        Value::String(s) => match strip_delimiters(s) {
            Some(inner) => {
                Node::Expr(JsonataExpr::parse_text(inner).map_err(|m| located(pointer, m))?)
            }
            None => Node::Const(value.clone()),
        },
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                parts.push(compile_at(item, pointer)?);
                pointer.truncate(len);
            }
            if parts.iter().all(Node::is_const) {
                Node::Const(value.clone())
            } else {
                Node::Array(parts)
            }
        }
        Value::Object(m) => {
            let mut parts = Vec::with_capacity(m.len());
            for (k, v) in m {
                let len = pointer.len();
                push_pointer_token(pointer, k);
                parts.push((k.clone(), compile_at(v, pointer)?));
                pointer.truncate(len);
            }
            if parts.iter().all(|(_, t)| t.is_const()) {
                Node::Const(value.clone())
            } else {
                Node::Object(parts)
            }
        }
        _ => Node::Const(value.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use std::collections::HashMap;

    /// A stand-in for the engine: variables in a map, a counter for randomness, a
    /// fixed clock (2024-01-01T00:00:00Z).
    struct TestEnv {
        vars: HashMap<String, Value>,
        context: Option<Value>,
        draws: u64,
        now: i64,
    }

    impl TestEnv {
        fn new() -> TestEnv {
            TestEnv {
                vars: HashMap::new(),
                context: None,
                draws: 0,
                now: 1_704_067_200_000,
            }
        }

        fn with_vars(vars: Value) -> TestEnv {
            let mut env = TestEnv::new();
            if let Value::Object(m) = vars {
                env.vars = m.into_iter().map(|(k, v)| (k.into_string(), v)).collect();
            }
            env
        }
    }

    impl JsonataEnv for TestEnv {
        fn variable(&self, name: &str) -> Option<&Value> {
            self.vars.get(name)
        }
        fn context(&self) -> Option<&Value> {
            self.context.as_ref()
        }
        fn next_u64(&mut self) -> u64 {
            self.draws += 1;
            self.draws.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn now_millis(&self) -> i64 {
            self.now
        }
    }

    fn expr(text: &str) -> JsonataExpr {
        JsonataExpr::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// Evaluate `text` with `$states.input` = `input`.
    fn ev(text: &str, input: Value) -> Result<Option<Value>, ExprError> {
        eval(&expr(text), States::input(&input), &mut TestEnv::new())
    }

    /// The parts of a `$states` object (its context is the environment's).
    fn parts(states: &Value) -> States<'_> {
        States {
            input: states.get("input"),
            result: states.get("result"),
            error_output: states.get("errorOutput"),
        }
    }

    fn ok(text: &str, input: Value) -> Value {
        ev(text, input)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .unwrap_or_else(|| panic!("{text}: undefined"))
    }

    fn err_cause(text: &str, field: &str) -> String {
        eval_field(
            &expr(text),
            field,
            States::input(&json!({})),
            &mut TestEnv::new(),
        )
        .unwrap_err()
        .cause
    }

    #[test]
    fn expressions_are_send_and_sync() {
        fn check<T: Send + Sync + Clone>() {}
        check::<JsonataExpr>();
        check::<JsonataTemplate>();
    }

    #[test]
    fn delimiters_must_be_first_and_last() {
        assert_eq!(strip_delimiters("{% $x %}"), Some(" $x "));
        assert_eq!(strip_delimiters("{%$x%}"), Some("$x"));
        assert_eq!(strip_delimiters(" {% $x %}"), None);
        assert_eq!(strip_delimiters("{% $x %} "), None);
        assert_eq!(strip_delimiters("{%}"), None);
        assert_eq!(strip_delimiters("$x"), None);
        assert_eq!(expr("  $states.input  ").text(), "$states.input");
    }

    #[test]
    fn parse_errors_are_one_line() {
        let e = JsonataExpr::parse("$foo(").unwrap_err();
        assert!(e.contains("S0207"), "{e}");
        assert!(!e.contains('\n'));
        let e = JsonataTemplate::compile(&json!({"a": [1, "{% ( %}"]})).unwrap_err();
        assert!(e.starts_with("/a/1: "), "{e}");
    }

    #[test]
    fn numbers_come_back_as_integers_when_integral() {
        let v = ok("1 + 1", json!({}));
        assert_eq!(serde_json::to_string(&v).unwrap(), "2");
        assert_eq!(
            serde_json::to_string(&ok("$states.input.a + 1", json!({"a": 1}))).unwrap(),
            "2"
        );
        assert_eq!(
            serde_json::to_string(&ok("0.1 + 0.2", json!({}))).unwrap(),
            "0.30000000000000004"
        );
        assert_eq!(serde_json::to_string(&ok("-0", json!({}))).unwrap(), "0");
        assert_eq!(
            serde_json::to_string(&ok("[1.5, 2.0]", json!({}))).unwrap(),
            "[1.5,2]"
        );
        assert_eq!(ok("1/0", json!({})), Value::Null);
    }

    #[test]
    fn sequences_of_one_are_unwrapped() {
        assert_eq!(
            ok(
                "$states.input.a[x > 1].x",
                json!({"a": [{"x": 1}, {"x": 2}]})
            ),
            json!(2)
        );
        assert_eq!(
            ok(
                "$states.input.a[x > 0].x",
                json!({"a": [{"x": 1}, {"x": 2}]})
            ),
            json!([1, 2])
        );
        assert_eq!(ok("$states.input.a", json!({"a": [7]})), json!([7]));
        assert_eq!(ok("[7]", json!({})), json!([7]));
        assert_eq!(ok("$states.input.a[]", json!({"a": 7})), json!([7]));
    }

    #[test]
    fn undefined_and_functions() {
        assert_eq!(ev("$states.input.nope", json!({})).unwrap(), None);
        assert_eq!(ev("$doesNotExist", json!({})).unwrap(), None);
        assert_eq!(
            err_cause("$doesNotExist", "Output/result"),
            "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined)."
        );
        assert_eq!(
            err_cause("$fn := function($x){$x}", "Items"),
            "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned an unsupported result type."
        );
        assert_eq!(
            err_cause("/abc/", "Output"),
            "The JSONata expression '/abc/' specified for the field 'Output' returned an unsupported result type."
        );
        assert!(ev("$uppercase", json!({})).is_err());
        // Inside values, JSON.stringify's rules: dropped from objects, null in arrays.
        assert_eq!(
            ok("{'a': function(){1}, 'b': 2}", json!({})),
            json!({"b": 2})
        );
        assert_eq!(ok("[1, {'x': 1}.x]", json!({})), json!([1, 1]));
    }

    #[test]
    fn evaluation_errors_use_jsonata_js_texts() {
        assert_eq!(
            err_cause("$randomSeeded($states.input.fst)", "Output/FunctionResult"),
            "The JSONata expression '$randomSeeded($states.input.fst)' specified for the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function"
        );
        // AWS: "$eval is not available".
        assert_eq!(
            err_cause("$eval('1 + 1')", "Output"),
            "The JSONata expression '$eval('1 + 1')' specified for the field 'Output' threw an error during evaluation. T1006: Attempted to invoke a non-function"
        );
        let c = err_cause("'a' + 1", "Output");
        assert!(c.contains("threw an error during evaluation. T2001"), "{c}");
        // The field-less form.
        let e = ev("$nope()", json!({})).unwrap_err();
        assert_eq!(e.error, "States.QueryEvaluationError");
        assert_eq!(
            e.cause,
            "The JSONata expression '$nope()' threw an error during evaluation. T1006: Attempted to invoke a non-function"
        );
    }

    #[test]
    fn unexpected_type_texts() {
        let cases = [
            (
                "true",
                json!(true),
                "Expected 'array', but was 'boolean' for value: true",
            ),
            (
                "1",
                json!(1),
                "Expected 'array', but was 'number' for value: 1",
            ),
            (
                "null",
                json!(null),
                "Expected 'array', but was 'null' for value: null",
            ),
            (
                "'string'",
                json!("string"),
                "Expected 'array', but was 'string' for value: \"string\"",
            ),
            (
                "{'foo': 'bar'}",
                json!({"foo": "bar"}),
                "Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}",
            ),
        ];
        for (text, value, tail) in cases {
            let e = unexpected_type_error(&expr(text), "Items", "array", &value);
            assert_eq!(e.error, "States.QueryEvaluationError");
            assert_eq!(
                e.cause,
                format!(
                    "The JSONata expression '{text}' specified for the field 'Items' returned an unexpected result type. {tail}"
                )
            );
        }
    }

    #[test]
    fn states_and_variables() {
        let states = json!({
            "input": {"a": 1},
            "result": {"r": 2},
            "errorOutput": {"Error": "E"},
            "context": {"Execution": {"Name": "n"}}
        });
        let mut env = TestEnv::with_vars(json!({"x": 10, "obj": {"k": "v"}}));
        env.context = states.get("context").cloned();
        let e = |t: &str, env: &mut TestEnv| eval(&expr(t), parts(&states), env).unwrap();
        assert_eq!(
            e("$states.input.a + $states.result.r + $x", &mut env),
            Some(json!(13))
        );
        assert_eq!(
            e(
                "$states.errorOutput.Error & $states.context.Execution.Name",
                &mut env
            ),
            Some(json!("En"))
        );
        assert_eq!(e("$obj.k", &mut env), Some(json!("v")));
        assert_eq!(
            e("$keys($states)", &mut env),
            Some(json!(["input", "result", "errorOutput", "context"]))
        );
        assert_eq!(e("($s := $states; $s.input.a)", &mut env), Some(json!(1)));
        assert_eq!(e("($x := 5; $x)", &mut env), Some(json!(5)));
        assert_eq!(
            e("$map([1, 2], function($x) { $x * 2 })", &mut env),
            Some(json!([2, 4]))
        );
        assert_eq!(e("$exists($undefinedVar)", &mut env), Some(json!(false)));
        // No top-level input: `$` and `$$` have no value.
        assert_eq!(e("$", &mut env), None);
        assert_eq!(e("$$", &mut env), None);
        // Only referenced variables are read.
        assert_eq!(
            expr("$a + $b.c + $states.input").referenced_variables(),
            ["a", "b"]
        );
    }

    #[test]
    fn only_the_parts_read_are_bound() {
        let reach = |t: &str, name: &str| expr(t).inner.needs.roots.get(name).cloned();
        let members = |pairs: &[(&str, Reach)]| {
            Reach::Members(
                pairs
                    .iter()
                    .map(|(k, r)| (k.to_string(), r.clone()))
                    .collect(),
            )
        };
        let w = Reach::Whole;
        assert_eq!(
            reach("$states.input.a + $states.context.x", "states"),
            Some(members(&[
                ("context", members(&[("x", w.clone())])),
                ("input", members(&[("a", w.clone())]))
            ]))
        );
        assert_eq!(
            reach("$states.input.a + $states.input", "states"),
            Some(members(&[("input", w.clone())]))
        );
        assert_eq!(
            reach("$states.input.list[0].x", "states"),
            Some(members(&[("input", members(&[("list", w.clone())]))]))
        );
        assert_eq!(reach("$states", "states"), Some(w.clone()));
        assert_eq!(reach("$states[0]", "states"), Some(w.clone()));
        assert_eq!(
            reach("$states.input + $keys($states)", "states"),
            Some(w.clone())
        );
        assert_eq!(reach("$states.input.a.%.b", "states"), Some(w.clone()));
        assert_eq!(reach("$v.a", "v"), Some(members(&[("a", w.clone())])));
        assert_eq!(reach("$v.a", "states"), None);
        // Pruned values still evaluate like whole ones.
        let states =
            json!({"input": {"a": {"b": [1, {"c": 2}]}, "l": [{"x": 1}, {"x": 2}], "z": 0}});
        let mut env = TestEnv::with_vars(json!({"v": {"a": [{"b": 1}, {"b": 2}], "c": 3}}));
        let e = |t: &str, env: &mut TestEnv| eval(&expr(t), parts(&states), env).unwrap().unwrap();
        assert_eq!(e("$states.input.a.b.c", &mut env), json!(2));
        assert_eq!(e("$states.input.l.x", &mut env), json!([1, 2]));
        assert_eq!(e("$states.input.l[x > 1].x", &mut env), json!(2));
        assert_eq!(e("$v.a.b", &mut env), json!([1, 2]));
        assert_eq!(e("$states.input.a.%.z", &mut env), json!(0));
        assert_eq!(
            e("$states.input.l.{'y': %.z}", &mut env),
            json!([{"y": 0}, {"y": 0}])
        );
        assert_eq!(
            e(
                "$count($states.input.l) + $count($keys($states.input))",
                &mut env
            ),
            json!(5)
        );
    }

    #[test]
    fn partition() {
        assert_eq!(
            ok("$partition([0, 1, 2], 2)", json!({})),
            json!([[0, 1], [2]])
        );
        assert_eq!(ok("$partition([0], 1)", json!({})), json!([[0]]));
        assert_eq!(
            ok("$partition([0, 1, 2, 3], 5)", json!({})),
            json!([[0, 1, 2, 3]])
        );
        assert_eq!(ok("$partition([], 2)", json!({})), json!([]));
        assert_eq!(
            ok("$partition([1,2,3,4,5,6,7,8,9], 3)", json!({})),
            json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        );
        assert!(ev("$partition([1], 0)", json!({})).is_err());
        assert!(ev("$partition([1], 'a')", json!({})).is_err());
        assert!(ev("$partition([1])", json!({})).is_err());
    }

    #[test]
    fn range() {
        assert_eq!(ok("$range(0, 9, 3)", json!({})), json!([0, 3, 6, 9]));
        assert_eq!(ok("$range(0, 10, 3)", json!({})), json!([0, 3, 6, 9]));
        assert_eq!(ok("$range(1, 9, 9)", json!({})), json!(1));
        assert_eq!(
            ok("$range(0, 10, 2)", json!({})),
            json!([0, 2, 4, 6, 8, 10])
        );
        assert_eq!(ok("$range(5, 1, -2)", json!({})), json!([5, 3, 1]));
        assert_eq!(ok("$range(1, 3)", json!({})), json!([1, 2, 3]));
        assert_eq!(ev("$range(3, 1, 1)", json!({})).unwrap(), None);
        assert!(ev("$range(1, 3, 0)", json!({})).is_err());
        assert!(ev("$range('a', 3, 1)", json!({})).is_err());
    }

    #[test]
    fn hash() {
        let h = |alg: &str| ok(&format!("$hash('input data', '{alg}')"), json!({}));
        assert_eq!(h("MD5"), json!("812f45842bc6d66ee14572ce20db8e86"));
        assert_eq!(
            h("SHA-1"),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
        );
        assert_eq!(
            h("SHA-256"),
            json!("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")
        );
        assert_eq!(h("SHA-384").as_str().unwrap().len(), 96);
        assert_eq!(h("SHA-512").as_str().unwrap().len(), 128);
        assert!(ev("$hash('x', 'SHA-3')", json!({})).is_err());
        assert!(ev("$hash(1, 'MD5')", json!({})).is_err());
    }

    #[test]
    fn parse() {
        let p = |s: &str| ok("$parse($states.input)", json!(s));
        assert_eq!(serde_json::to_string(&p("-0")).unwrap(), "0");
        assert_eq!(p("1"), json!(1));
        assert_eq!(p("1.1"), json!(1.1));
        assert_eq!(p("true"), json!(true));
        assert_eq!(p("\"HelloWorld\""), json!("HelloWorld"));
        assert_eq!(p("[1, 2, \"HelloWorld\"]"), json!([1, 2, "HelloWorld"]));
        assert_eq!(
            p("{\"Arg1\": 1, \"Arg2\": []}"),
            json!({"Arg1": 1, "Arg2": []})
        );
        assert_eq!(p("null"), json!(null));
        assert!(ev("$parse('not json')", json!({})).is_err());
        assert!(ev("$parse(1)", json!({})).is_err());
    }

    #[test]
    fn random_and_uuid_are_deterministic() {
        let e = expr("[$random(), $random(), $uuid()]");
        let states = States::default();
        let a = eval(&e, states, &mut TestEnv::new()).unwrap().unwrap();
        let b = eval(&e, states, &mut TestEnv::new()).unwrap().unwrap();
        assert_eq!(a, b);
        let (r0, r1) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
        assert!((0.0..1.0).contains(&r0) && (0.0..1.0).contains(&r1) && r0 != r1);
        let uuid = a[2].as_str().unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!("89ab".contains(&uuid[19..20]));
        // One draw from the engine per evaluation, and none when not needed.
        let mut env = TestEnv::new();
        eval(&e, states, &mut env).unwrap();
        assert_eq!(env.draws, 1);
        eval(&expr("1"), states, &mut env).unwrap();
        assert_eq!(env.draws, 1);
        // Seeded: the same seed, the same number (java.util.Random(42).nextDouble()).
        assert_eq!(ok("$random(42)", json!({})), json!(0.7275636800328681));
        assert_eq!(ok("$random(42) = $random(42)", json!({})), json!(true));
        assert!(ev("$random('x')", json!({})).is_err());
    }

    #[test]
    fn shuffle_is_deterministic() {
        let e = expr("$shuffle([1, 2, 3, 4, 5, 6, 7, 8])");
        let a = eval(&e, States::default(), &mut TestEnv::new())
            .unwrap()
            .unwrap();
        let b = eval(&e, States::default(), &mut TestEnv::new())
            .unwrap()
            .unwrap();
        assert_eq!(a, b);
        let mut sorted: Vec<i64> = a
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        sorted.sort();
        assert_eq!(sorted, [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn nested_values_convert() {
        let mut deep = json!({"k": 1});
        for i in 0..300 {
            deep = if i % 2 == 0 {
                json!([deep])
            } else {
                json!({"k": deep})
            };
        }
        assert_eq!(ok("$states.input", deep.clone()), deep);
    }

    #[test]
    fn clock_functions_use_the_virtual_clock() {
        assert_eq!(ok("$millis()", json!({})), json!(1_704_067_200_000i64));
        assert_eq!(ok("$now()", json!({})), json!("2024-01-01T00:00:00.000Z"));
        assert_eq!(ok("$now('[Y0001]-[M01]')", json!({})), json!("2024-01"));
        assert_eq!(
            ok("$fromMillis($millis())", json!({})),
            json!("2024-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn builtins_work() {
        assert_eq!(
            ok("$contains('hello$world', /^hello\\$/)", json!({})),
            json!(true)
        );
        assert_eq!(
            ok("$merge([{'a': 1}, {'b': 2}])", json!({})),
            json!({"a": 1, "b": 2})
        );
        assert_eq!(ok("$number('2')", json!({})), json!(2));
        assert_eq!(ok("$sum([1, 2, 3])", json!({})), json!(6));
        assert_eq!(ok("$string({'a': 1})", json!({})), json!("{\"a\":1}"));
        assert_eq!(ok("$type($states.input)", json!([1])), json!("array"));
        assert_eq!(ok("$count($states.input)", json!([1, 2])), json!(2));
    }

    #[test]
    fn templates() {
        let t = JsonataTemplate::compile(&json!({
            "const": "x",
            "in": "{% $states.input.a %}",
            "nested": {"list": [1, "{% $v %}", {"deep": "{% $states.input.a * 2 %}"}]},
            "notExpr": " {% $states.input %} "
        }))
        .unwrap();
        let pointers: Vec<_> = t
            .expressions()
            .into_iter()
            .map(|(p, e)| (p, e.text().to_string()))
            .collect();
        assert_eq!(
            pointers,
            [
                ("/in".to_string(), "$states.input.a".to_string()),
                ("/nested/list/1".to_string(), "$v".to_string()),
                (
                    "/nested/list/2/deep".to_string(),
                    "$states.input.a * 2".to_string()
                ),
            ]
        );
        let mut env = TestEnv::with_vars(json!({"v": "vee"}));
        let out = t
            .eval("Output", States::input(&json!({"a": 3})), &mut env)
            .unwrap();
        assert_eq!(
            out,
            json!({
                "const": "x",
                "in": 3,
                "nested": {"list": [1, "vee", {"deep": 6}]},
                "notExpr": " {% $states.input %} "
            })
        );
        let e = t
            .eval("Output", States::input(&json!({})), &mut env)
            .unwrap_err();
        assert_eq!(
            e.cause,
            "The JSONata expression '$states.input.a' specified for the field 'Output/in' returned nothing (undefined)."
        );
        let e = JsonataTemplate::compile(&json!({"a": {"b": ["{% $nope %}"]}}))
            .unwrap()
            .eval("Arguments", States::default(), &mut env)
            .unwrap_err();
        assert!(
            e.cause
                .contains("for the field 'Arguments/a/b/0' returned nothing"),
            "{}",
            e.cause
        );
        // Constants stay constants; a whole-field expression is named by the field alone.
        assert!(
            JsonataTemplate::compile(&json!({"a": [1, "$x"]}))
                .unwrap()
                .is_const()
        );
        let whole = JsonataTemplate::compile(&json!("{% $doesNotExist %}")).unwrap();
        assert_eq!(whole.expressions()[0].0, "");
        assert_eq!(
            whole
                .eval("Output", States::default(), &mut env)
                .unwrap_err()
                .cause,
            "The JSONata expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined)."
        );
    }

    /// `$states` is converted as far as the expressions read it, in AWS's member order,
    /// with the context from the environment.
    #[test]
    fn only_what_is_read_of_states_is_converted() {
        let states =
            json!({"input": {"a": 1, "big": vec![json!({"k": "v"}); 100]}, "result": {"r": 2}});
        let mut env = TestEnv::new();
        env.context = Some(json!({"x": 1}));
        let needs = &expr("$states.input.a + $states.context.x").inner.needs;
        let bound = parts(&states).reach(&env, &needs.roots["states"]);
        assert_eq!(
            from_jvalue(&bound),
            json!({"input": {"a": 1}, "context": {"x": 1}})
        );
        let whole = from_jvalue(&parts(&states).reach(&env, &Reach::Whole));
        let names: Vec<&str> = whole.as_object().unwrap().keys().map(Str::as_str).collect();
        assert_eq!(names, ["input", "result", "context"]);
        assert_eq!(whole["input"], states["input"]);
        // Without a context, `$states.context` is not there.
        env.context = None;
        let bound = parts(&states).reach(&env, &needs.roots["states"]);
        assert_eq!(from_jvalue(&bound), json!({"input": {"a": 1}}));
    }

    // The recorded AWS cases run through the whole engine in tests/conformance.rs.
}
