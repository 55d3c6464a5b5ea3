//! Breakpoints: by state name (so they survive reloads), on entry to the state, with an
//! optional condition over the state input and a hit count; plus breaks on events
//! (failures, caught errors, retries, tasks waiting for a person).

use crate::expr::SyntaxError;
use crate::expr::jsonata::{self, JsonataEnv, JsonataExpr, States};
use crate::expr::jsonpath::JsonPath;
use crate::json::{Map, Value};

/// A condition a breakpoint checks against the state input.
#[derive(Debug, Clone)]
pub enum Condition {
    /// A JSONPath query: true when it selects something that is not false/null (an
    /// indefinite path: a non-empty result).
    JsonPath(JsonPath),
    /// A JSONata expression over `$states.input` (the state input) and the variables.
    Jsonata(JsonataExpr),
}

impl Condition {
    /// `$.x`, `$[...]` and `$$...` are JSONPath; anything else (optionally in `{% %}`) is JSONata.
    pub fn parse(text: &str) -> Result<Condition, crate::expr::SyntaxError> {
        let t = text.trim();
        if t == "$" || t.starts_with("$.") || t.starts_with("$[") {
            return JsonPath::parse(t).map(Condition::JsonPath);
        }
        let inner = jsonata::strip_delimiters(t).unwrap_or(t);
        JsonataExpr::parse(inner).map(Condition::Jsonata)
    }

    pub fn holds(&self, input: &Value, vars: &Map) -> bool {
        match self {
            Condition::JsonPath(p) => match p.select(input) {
                Ok(v) if !p.is_definite() => v.as_array().is_some_and(|a| !a.is_empty()),
                Ok(v) => !matches!(v, Value::Null | Value::Bool(false)),
                Err(_) => false,
            },
            Condition::Jsonata(e) => {
                let mut env = NoEnv { vars };
                matches!(jsonata::eval(e, States::input(input), &mut env), Ok(Some(v)) if truthy(&v))
            }
        }
    }
}

/// Conditions read variables but have no clock or randomness of their own.
struct NoEnv<'a> {
    vars: &'a Map,
}

impl JsonataEnv for NoEnv<'_> {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    fn context(&self) -> Option<&Value> {
        None
    }

    fn next_u64(&mut self) -> u64 {
        0
    }

    fn now_millis(&self) -> i64 {
        0
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

#[derive(Debug, Clone)]
pub struct Breakpoint {
    pub id: u32,
    pub state: String,
    pub condition: Option<(String, Condition)>,
    pub enabled: bool,
    pub hits: u64,
    /// Stop only from this hit on (gdb's ignore count + 1).
    pub hit_target: Option<u64>,
    /// One-shot (gdb's tbreak): deleted when it first stops.
    pub temporary: bool,
    /// A log point: instead of stopping, this message is logged (`{EXPR}` parts are
    /// evaluated where the state is entered).
    pub log: Option<String>,
    /// What in the state it waits for: its entry, or one of its rules or handlers.
    pub at: BreakAt,
}

/// Where in a state a breakpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BreakAt {
    /// Before the state is entered.
    #[default]
    Entry,
    /// After a Choice state chose by its rule N (0-based).
    ChoiceRule(usize),
    /// After the state's Catch N caught an error.
    Catch(usize),
    /// After the state's Retry N sent a failed attempt round again.
    Retry(usize),
}

impl BreakAt {
    /// ` rule 1`, ` catch 0`, ...: how `:break` writes it after the state's name.
    pub fn suffix(self) -> String {
        match self {
            BreakAt::Entry => String::new(),
            BreakAt::ChoiceRule(i) => format!(" rule {i}"),
            BreakAt::Catch(i) => format!(" catch {i}"),
            BreakAt::Retry(i) => format!(" retry {i}"),
        }
    }
}

/// What entering a state did to the breakpoints on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hit {
    /// Stop, at this hit of a breakpoint.
    pub stop: Option<u64>,
    /// Log points' messages, before interpolation.
    pub logs: Vec<String>,
}

/// Events that can pause execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    Failure,
    CaughtError,
    Retry,
    Pending,
}

#[derive(Debug, Clone)]
pub struct Breakpoints {
    list: Vec<Breakpoint>,
    next_id: u32,
    pub on_failure: bool,
    pub on_caught: bool,
    pub on_retry: bool,
    pub on_pending: bool,
}

impl Default for Breakpoints {
    fn default() -> Self {
        Breakpoints {
            list: Vec::new(),
            next_id: 1,
            on_failure: true,
            on_caught: false,
            on_retry: false,
            on_pending: true,
        }
    }
}

impl Breakpoints {
    /// Break on the same kinds of event as `other` (failures, caught errors, retries,
    /// pending tasks).
    pub fn copy_kinds(&mut self, other: &Breakpoints) {
        self.on_failure = other.on_failure;
        self.on_caught = other.on_caught;
        self.on_retry = other.on_retry;
        self.on_pending = other.on_pending;
    }

    pub fn add(&mut self, state: &str, condition: Option<&str>) -> Result<u32, SyntaxError> {
        self.insert(state, condition, false)
    }

    /// Make breakpoint `id` a log point logging `message`.
    pub fn set_log(&mut self, id: u32, message: &str) -> bool {
        match self.list.iter_mut().find(|b| b.id == id) {
            Some(b) => {
                b.log = Some(message.to_string());
                true
            }
            None => false,
        }
    }

    /// A one-shot breakpoint: deleted when it first stops.
    pub fn add_temporary(
        &mut self,
        state: &str,
        condition: Option<&str>,
    ) -> Result<u32, SyntaxError> {
        self.insert(state, condition, true)
    }

    fn insert(
        &mut self,
        state: &str,
        condition: Option<&str>,
        temporary: bool,
    ) -> Result<u32, SyntaxError> {
        let condition = match condition {
            Some(c) => Some((c.to_string(), Condition::parse(c)?)),
            None => None,
        };
        let id = self.next_id;
        self.next_id += 1;
        self.list.push(Breakpoint {
            id,
            state: state.to_string(),
            condition,
            enabled: true,
            hits: 0,
            hit_target: None,
            temporary,
            log: None,
            at: BreakAt::Entry,
        });
        Ok(id)
    }

    /// Add an unconditional breakpoint on `state`, or remove the ones it has. Returns
    /// whether a breakpoint is now set.
    pub fn toggle(&mut self, state: &str) -> bool {
        let before = self.list.len();
        self.list.retain(|b| b.state != state);
        if self.list.len() == before {
            let _ = self.add(state, None);
            true
        } else {
            false
        }
    }

    pub fn remove(&mut self, id: u32) -> bool {
        let before = self.list.len();
        self.list.retain(|b| b.id != id);
        self.list.len() != before
    }

    pub fn set_enabled(&mut self, id: u32, enabled: bool) -> bool {
        match self.list.iter_mut().find(|b| b.id == id) {
            Some(b) => {
                b.enabled = enabled;
                true
            }
            None => false,
        }
    }

    pub fn set_hit_target(&mut self, id: u32, target: Option<u64>) -> bool {
        match self.list.iter_mut().find(|b| b.id == id) {
            Some(b) => {
                b.hit_target = target;
                true
            }
            None => false,
        }
    }

    pub fn list(&self) -> &[Breakpoint] {
        &self.list
    }

    /// A breakpoint on the entry of `state`.
    pub fn has(&self, state: &str) -> bool {
        self.list
            .iter()
            .any(|b| b.state == state && b.enabled && b.at == BreakAt::Entry)
    }

    /// Any breakpoint on a rule or handler of the states: worth looking after each step.
    pub fn has_inner(&self) -> bool {
        self.list
            .iter()
            .any(|b| b.enabled && b.at != BreakAt::Entry)
    }

    /// State names with breakpoints.
    pub fn states(&self) -> Vec<String> {
        let mut v: Vec<String> = self.list.iter().map(|b| b.state.clone()).collect();
        v.dedup();
        v
    }

    pub fn breaks_on(&self, kind: BreakKind) -> bool {
        match kind {
            BreakKind::Failure => self.on_failure,
            BreakKind::CaughtError => self.on_caught,
            BreakKind::Retry => self.on_retry,
            BreakKind::Pending => self.on_pending,
        }
    }

    /// A breakpoint on a rule or handler of `state` (`at`), with an optional condition
    /// over the state's input.
    pub fn add_at(
        &mut self,
        state: &str,
        at: BreakAt,
        condition: Option<&str>,
    ) -> Result<u32, SyntaxError> {
        let id = self.insert(state, condition, false)?;
        if let Some(b) = self.list.iter_mut().find(|b| b.id == id) {
            b.at = at;
        }
        Ok(id)
    }

    /// A state is about to be entered with `input`: count hits, say whether to stop (and
    /// at which hit) and what log points log.
    pub fn hit(&mut self, state: &str, input: &Value, vars: &Map) -> Hit {
        self.hit_at(state, BreakAt::Entry, input, vars)
    }

    /// `at` of `state` just happened (a rule chose, a Catch caught, a Retry retried), with
    /// the state's input `input`: as [`Breakpoints::hit`].
    pub fn hit_at(&mut self, state: &str, at: BreakAt, input: &Value, vars: &Map) -> Hit {
        let mut hit = Hit::default();
        let mut spent = Vec::new();
        for b in self
            .list
            .iter_mut()
            .filter(|b| b.enabled && b.state == state && b.at == at)
        {
            if b.condition
                .as_ref()
                .is_some_and(|(_, c)| !c.holds(input, vars))
            {
                continue;
            }
            b.hits += 1;
            if b.hit_target.is_some_and(|t| b.hits < t) {
                continue;
            }
            if let Some(message) = &b.log {
                hit.logs.push(message.clone());
                continue;
            }
            hit.stop = Some(b.hits);
            if b.temporary {
                spent.push(b.id);
            }
        }
        // One-shot breakpoints that stopped are gone.
        self.list.retain(|b| !spent.contains(&b.id));
        hit
    }
}
