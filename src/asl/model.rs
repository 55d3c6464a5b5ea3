//! The typed model of an ASL state machine. Every state and sub-machine remembers the
//! JSON Pointer of its node, which [`super::source::SpanIndex`] maps to file positions.
//! Expressions (paths, templates, intrinsics, JSONata) are parsed once, here.

use crate::expr::intrinsics::Intrinsic;
use crate::expr::jsonata::{JsonataExpr, JsonataTemplate};
use crate::expr::jsonpath::JsonPath;
use crate::expr::template::PayloadTemplate;
use crate::json::Value;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    #[default]
    JsonPath,
    Jsonata,
}

impl QueryLanguage {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// A state machine or a sub-machine (Parallel branch, Map item processor).
#[derive(Debug, Clone, Default)]
pub struct Machine {
    pub pointer: String,
    pub comment: Option<String>,
    pub start_at: String,
    pub states: Vec<State>,
    /// State name to its place in `states` (foldhash: SipHash's defence against chosen
    /// keys buys nothing for the names of one's own definition).
    pub index: HashMap<crate::json::Str, usize, foldhash::fast::RandomState>,
    pub query_language: QueryLanguage,
    pub timeout_seconds: Option<u64>,
    pub version: Option<String>,
    /// Whether an expression anywhere in the definition may read the execution's input
    /// through the context object (set on the top-level machine; see
    /// [`crate::asl::build::may_read_execution_input`]).
    pub reads_execution_input: bool,
}

impl Machine {
    pub fn state(&self, name: &str) -> Option<&State> {
        self.index.get(name).map(|&i| &self.states[i])
    }

    pub fn start(&self) -> Option<usize> {
        self.index.get(self.start_at.as_str()).copied()
    }

    /// Is there a state named `name` here or in a sub-machine?
    pub fn has_state(&self, name: &str) -> bool {
        self.states
            .iter()
            .any(|s| &*s.name == name || s.sub_machines().iter().any(|m| m.has_state(name)))
    }

    /// Every state of this machine and of its sub-machines, depth first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a State)) {
        for s in &self.states {
            f(s);
            for m in s.sub_machines() {
                m.walk(f);
            }
        }
    }
}

/// A transition target, resolved to an index in the same machine once all names are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub index: usize,
}

#[derive(Debug, Clone)]
pub struct State {
    /// Shared (`Arc`): every step record and history event of the state names it.
    pub name: Arc<str>,
    pub pointer: Arc<str>,
    pub comment: Option<String>,
    pub query_language: QueryLanguage,
    pub next: Option<Target>,
    pub end: bool,
    pub io: DataFlow,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub kind: StateKind,
}

impl State {
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    pub fn sub_machines(&self) -> Vec<&Machine> {
        match &self.kind {
            StateKind::Parallel(p) => p.branches.iter().collect(),
            StateKind::Map(m) => vec![&m.processor],
            _ => vec![],
        }
    }
}

/// Input/output processing shared by the state types that allow it.
#[derive(Debug, Clone, Default)]
pub struct DataFlow {
    /// `None`: the field is absent (`$`); `Some(None)`: `null` (an empty object).
    pub input_path: Option<Option<JsonPath>>,
    pub output_path: Option<Option<JsonPath>>,
    pub result_path: Option<Option<JsonPath>>,
    /// The templates are boxed: a state has few of them, and a machine keeps a State per
    /// state (848 bytes each unboxed, most of them empty).
    pub parameters: Option<Box<PayloadTemplate>>,
    pub result_selector: Option<Box<PayloadTemplate>>,
    /// JSONata `Arguments` (or `Parameters`-like fields in JSONata mode).
    pub arguments: Option<Box<JsonataTemplate>>,
    pub output: Option<Box<JsonataTemplate>>,
    pub assign: Option<Box<Assign>>,
}

/// `Assign` in either language.
#[derive(Debug, Clone)]
pub enum Assign {
    JsonPath(PayloadTemplate),
    Jsonata(JsonataTemplate),
}

/// A number given directly, by a path (JSONPath mode) or by an expression (JSONata).
#[derive(Debug, Clone)]
pub enum Dyn<T> {
    Static(T),
    Path(JsonPath),
    Expr(JsonataExpr),
    /// A deployment placeholder such as `${ReminderTimeout}`: valid, but unknown locally.
    Placeholder(String),
}

#[derive(Debug, Clone)]
pub enum StateKind {
    Pass(Pass),
    Task(Box<Task>),
    Choice(Choice),
    Wait(Wait),
    Succeed,
    Fail(Fail),
    Parallel(Parallel),
    Map(Box<MapState>),
}

impl StateKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Pass {
    pub result: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub resource: String,
    pub timeout_seconds: Option<Dyn<f64>>,
    pub heartbeat_seconds: Option<Dyn<f64>>,
    pub credentials: Option<Value>,
}

impl Task {
    /// The service integration pattern from the resource ARN suffix.
    pub fn pattern(&self) -> IntegrationPattern {
        if self.resource.ends_with(".waitForTaskToken") {
            IntegrationPattern::WaitForTaskToken
        } else if self.resource.ends_with(".sync") || self.resource.contains(".sync:") {
            IntegrationPattern::Sync
        } else {
            IntegrationPattern::RequestResponse
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationPattern {
    RequestResponse,
    Sync,
    WaitForTaskToken,
}

#[derive(Debug, Clone, Default)]
pub struct Choice {
    pub choices: Vec<ChoiceBranch>,
    pub default: Option<Target>,
}

#[derive(Debug, Clone)]
pub struct ChoiceBranch {
    pub pointer: String,
    pub rule: Rule,
    /// The rule as written ([`Rule::describe`]), made once: the debugger's trace of every
    /// Choice visit names each rule.
    pub description: std::sync::Arc<str>,
    pub next: Target,
    pub output: Option<JsonataTemplate>,
    pub assign: Option<Assign>,
}

/// A Choice rule.
#[derive(Debug, Clone)]
pub enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare {
        variable: JsonPath,
        op: Op,
        operand: Operand,
    },
    /// JSONata `Condition`.
    Condition(ConditionExpr),
}

impl Rule {
    /// The rule as a person reads it: `$.x StringEquals "A"`, `And($.a IsPresent true, ...)`,
    /// `{% $states.input.n > 3 %}`.
    pub fn describe(&self) -> String {
        let list = |rules: &[Rule]| {
            rules
                .iter()
                .map(Rule::describe)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Rule::And(r) => format!("And({})", list(r)),
            Rule::Or(r) => format!("Or({})", list(r)),
            Rule::Not(r) => format!("Not({})", r.describe()),
            Rule::Compare {
                variable,
                op,
                operand,
            } => match operand {
                Operand::Value(v) => format!(
                    "{} {} {}",
                    variable.text(),
                    op.name(),
                    crate::expr::compact(v)
                ),
                Operand::Path(p) => format!("{} {}Path {}", variable.text(), op.name(), p.text()),
            },
            Rule::Condition(ConditionExpr::Literal(b)) => b.to_string(),
            Rule::Condition(ConditionExpr::Expr(e)) => format!("{{% {} %}}", e.text()),
        }
    }
}

#[derive(Debug, Clone)]
pub enum ConditionExpr {
    Literal(bool),
    Expr(JsonataExpr),
}

#[derive(Debug, Clone)]
pub enum Operand {
    Value(Value),
    Path(JsonPath),
}

/// Choice comparison operators (the `...Path` forms have an [`Operand::Path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

impl Op {
    pub const ALL: [Op; 23] = [
        Op::StringEquals,
        Op::StringLessThan,
        Op::StringGreaterThan,
        Op::StringLessThanEquals,
        Op::StringGreaterThanEquals,
        Op::StringMatches,
        Op::NumericEquals,
        Op::NumericLessThan,
        Op::NumericGreaterThan,
        Op::NumericLessThanEquals,
        Op::NumericGreaterThanEquals,
        Op::BooleanEquals,
        Op::TimestampEquals,
        Op::TimestampLessThan,
        Op::TimestampGreaterThan,
        Op::TimestampLessThanEquals,
        Op::TimestampGreaterThanEquals,
        Op::IsNull,
        Op::IsPresent,
        Op::IsNumeric,
        Op::IsString,
        Op::IsBoolean,
        Op::IsTimestamp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::StringEquals => "StringEquals",
            Op::StringLessThan => "StringLessThan",
            Op::StringGreaterThan => "StringGreaterThan",
            Op::StringLessThanEquals => "StringLessThanEquals",
            Op::StringGreaterThanEquals => "StringGreaterThanEquals",
            Op::StringMatches => "StringMatches",
            Op::NumericEquals => "NumericEquals",
            Op::NumericLessThan => "NumericLessThan",
            Op::NumericGreaterThan => "NumericGreaterThan",
            Op::NumericLessThanEquals => "NumericLessThanEquals",
            Op::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Op::BooleanEquals => "BooleanEquals",
            Op::TimestampEquals => "TimestampEquals",
            Op::TimestampLessThan => "TimestampLessThan",
            Op::TimestampGreaterThan => "TimestampGreaterThan",
            Op::TimestampLessThanEquals => "TimestampLessThanEquals",
            Op::TimestampGreaterThanEquals => "TimestampGreaterThanEquals",
            Op::IsNull => "IsNull",
            Op::IsPresent => "IsPresent",
            Op::IsNumeric => "IsNumeric",
            Op::IsString => "IsString",
            Op::IsBoolean => "IsBoolean",
            Op::IsTimestamp => "IsTimestamp",
        }
    }

    /// The type-test operators take a boolean and have no `Path` form.
    pub fn is_type_test(self) -> bool {
        matches!(
            self,
            Op::IsNull
                | Op::IsPresent
                | Op::IsNumeric
                | Op::IsString
                | Op::IsBoolean
                | Op::IsTimestamp
        )
    }
}

#[derive(Debug, Clone)]
pub struct Wait {
    pub how: WaitFor,
}

#[derive(Debug, Clone)]
pub enum WaitFor {
    Seconds(Dyn<f64>),
    Timestamp(Dyn<String>),
}

#[derive(Debug, Clone, Default)]
pub struct Fail {
    pub error: Option<FailField>,
    pub cause: Option<FailField>,
}

#[derive(Debug, Clone)]
pub enum FailField {
    Static(String),
    Path(JsonPath),
    Intrinsic(Intrinsic),
    Expr(JsonataExpr),
}

#[derive(Debug, Clone, Default)]
pub struct Parallel {
    pub branches: Vec<Machine>,
}

#[derive(Debug, Clone)]
pub struct MapState {
    pub processor: Machine,
    pub mode: MapMode,
    pub execution_type: Option<String>,
    pub items_path: Option<JsonPath>,
    /// JSONata `Items`: an expression or a literal array.
    pub items: Option<JsonataTemplate>,
    pub item_selector: Option<ItemSelector>,
    pub item_reader: Option<Value>,
    pub item_batcher: Option<ItemBatcher>,
    pub result_writer: Option<Value>,
    pub max_concurrency: Option<Dyn<f64>>,
    pub tolerated_failure_count: Option<Dyn<f64>>,
    pub tolerated_failure_percentage: Option<Dyn<f64>>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMode {
    Inline,
    Distributed,
}

#[derive(Debug, Clone)]
pub enum ItemSelector {
    JsonPath(PayloadTemplate),
    Jsonata(JsonataTemplate),
}

#[derive(Debug, Clone)]
pub struct ItemBatcher {
    pub max_items_per_batch: Option<Dyn<f64>>,
    pub max_input_bytes_per_batch: Option<Dyn<f64>>,
    pub batch_input: Option<ItemSelector>,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub pointer: String,
    pub error_equals: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub jitter_full: bool,
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub pointer: String,
    pub error_equals: Vec<String>,
    pub next: Target,
    pub result_path: Option<Option<JsonPath>>,
    pub output: Option<JsonataTemplate>,
    pub assign: Option<Assign>,
}

/// Errors no Retry or Catch can handle: AWS fails the execution on them.
pub fn is_uncatchable(error: &str) -> bool {
    error == "States.Runtime"
}

/// Does an `ErrorEquals` list match `error`? `States.ALL` matches everything but the
/// terminal `States.DataLimitExceeded`; `States.TaskFailed` everything but the timeouts;
/// `States.Timeout` also covers heartbeat timeouts.
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    const TERMINAL: [&str; 2] = ["States.DataLimitExceeded", "States.Runtime"];
    error_equals.iter().any(|e| match e.as_str() {
        "States.ALL" => !TERMINAL.contains(&error),
        "States.TaskFailed" => {
            !TERMINAL.contains(&error)
                && !matches!(error, "States.Timeout" | "States.HeartbeatTimeout")
        }
        "States.Timeout" => matches!(error, "States.Timeout" | "States.HeartbeatTimeout"),
        other => other == error,
    })
}
