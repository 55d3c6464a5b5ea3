//! What expressions see while a state runs: workflow variables, the context object
//! (built only when an expression asks for it) and the seeded random source.

use super::Config;
use super::time::format_millis;
use crate::expr::jsonata::JsonataEnv;
use crate::expr::template::Scope;
use crate::json;
use crate::json::{Map, Value};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::OnceCell;
use std::sync::Arc;

/// A variable scope: a thread's own assignments over the scope it was started in.
/// Map iterations and Parallel branches read outer variables; what they assign stays inside.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    pub own: Map,
    pub outer: Option<Arc<Vars>>,
}

impl Vars {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.own
            .get(name)
            .or_else(|| self.outer.as_ref()?.get(name))
    }

    /// Every visible variable, inner names hiding outer ones.
    pub fn flatten(&self) -> Map {
        let mut m = self.outer.as_ref().map(|o| o.flatten()).unwrap_or_default();
        for (k, v) in &self.own {
            m.insert(k.clone(), v.clone());
        }
        m
    }

    pub fn child_of(outer: &Arc<Vars>) -> Vars {
        Vars {
            own: Map::new(),
            outer: Some(outer.clone()),
        }
    }
}

/// Facts about the running state that the context object reports.
pub(crate) struct StateFacts<'a> {
    pub cfg: &'a Config,
    pub input: &'a Value,
    /// Times the execution was redriven (`$$.Execution.RedriveCount`).
    pub redrive_count: u32,
    pub state_name: &'a str,
    pub entered_ms: i64,
    /// Only states that can retry (Task, Parallel, Map) report State.RetryCount.
    pub retry_count: Option<u32>,
    pub token: Option<&'a str>,
}

impl StateFacts<'_> {
    pub fn context(&self) -> Value {
        let c = self.cfg;
        let mut ctx = json!({
            "Execution": {
                "Id": c.execution_arn(),
                // Set below: `json!` would copy a value by serializing it.
                "Input": null,
                "Name": c.execution_name,
                "RoleArn": c.role_arn,
                "StartTime": format_millis(c.start_time_ms),
                "RedriveCount": self.redrive_count,
            },
            "State": {
                "EnteredTime": format_millis(self.entered_ms),
                "Name": self.state_name,
            },
            "StateMachine": {
                "Id": c.state_machine_arn(),
                "Name": c.state_machine_name,
            },
        });
        ctx["Execution"]["Input"] = self.input.clone();
        if let Some(n) = self.retry_count {
            ctx["State"]["RetryCount"] = json!(n);
        }
        if let Some(t) = self.token {
            ctx["Task"] = json!({ "Token": t });
        }
        if let Some(over) = &c.context_overrides {
            merge(&mut ctx, over);
        }
        ctx
    }
}

/// Deep-merge `over` into `base` (objects merge, anything else replaces).
pub(crate) fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// The execution's random numbers (States.UUID, JSONata's `$random`, task tokens, retry
/// jitter): one stream for a seed, its generator set up when the first number is drawn.
/// Setting it up probes the processor (`cpuid`), which under a hypervisor is a few
/// percent of a small run that draws none.
#[derive(Debug, Clone)]
pub(crate) struct SeededRng {
    seed: u64,
    generator: Option<ChaCha8Rng>,
}

impl SeededRng {
    pub fn new(seed: u64) -> SeededRng {
        SeededRng {
            seed,
            generator: None,
        }
    }

    pub fn random<T>(&mut self) -> T
    where
        rand::distr::StandardUniform: rand::distr::Distribution<T>,
    {
        let seed = self.seed;
        self.generator
            .get_or_insert_with(|| ChaCha8Rng::seed_from_u64(seed))
            .random()
    }
}

/// The evaluation environment for one state of one thread.
pub(crate) struct Env<'a> {
    pub facts: StateFacts<'a>,
    pub context: OnceCell<Value>,
    pub vars: &'a Vars,
    pub rng: &'a mut SeededRng,
    pub clock: i64,
}

impl Env<'_> {
    pub fn context_value(&self) -> &Value {
        self.context.get_or_init(|| self.facts.context())
    }
}

impl Scope for Env<'_> {
    fn context(&self) -> &Value {
        self.context_value()
    }

    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.random()
    }
}

impl JsonataEnv for Env<'_> {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    fn context(&self) -> Option<&Value> {
        Some(self.context_value())
    }

    fn next_u64(&mut self) -> u64 {
        self.rng.random()
    }

    fn now_millis(&self) -> i64 {
        self.clock
    }
}
