//! Where a local run first stops doing what the recorded execution did.
//!
//! Both histories are cut into their paths of execution ([`scope::scopes`]); the n-th
//! event of a path in one is compared with the n-th event of the same path in the other,
//! walking the recording in id order. Compared: the event type and what the execution's
//! data was (state names, inputs, outputs, parameters, errors and causes, timeouts,
//! assigned variables); not times, ids, links, ARNs' regions and accounts, request ids
//! or task tokens, which differ between any two runs.

use super::recording::{details, id, kind};
use super::scope;
use crate::engine::ScopeStep;
use crate::json;
use crate::json::{Map, Value};
use std::collections::HashMap;

/// The first difference between a recorded execution and a local run.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The recorded event that differs (None: the local run did more than the recording).
    pub recorded: Option<Value>,
    /// What the local run has in its place (None: it never got there).
    pub local: Option<Value>,
    /// The iterations and branches where it happened.
    pub scope: Vec<ScopeStep>,
    /// The details fields that differ (empty when the event types differ or one is missing).
    pub fields: Vec<String>,
}

impl Divergence {
    /// The recorded event's id, or the local event's when the recording has none there.
    pub fn event_id(&self) -> u64 {
        self.recorded.as_ref().or(self.local.as_ref()).map_or(0, id)
    }

    /// `{"eventId", "recorded", "local"}`, as `replay --format json` prints it.
    pub fn to_json(&self) -> Value {
        json!({
            "eventId": self.recorded.as_ref().map(id),
            "localEventId": self.local.as_ref().map(id),
            "scope": scope::describe(&self.scope),
            "fields": self.fields,
            "recorded": self.recorded,
            "local": self.local,
        })
    }

    /// One sentence: where and how.
    pub fn summary(&self) -> String {
        let at = if self.scope.is_empty() {
            String::new()
        } else {
            format!(" in {}", scope::describe(&self.scope))
        };
        let what = |e: &Value| {
            let name = details(e).get("name").and_then(Value::as_str);
            match name {
                Some(n) => format!("{} '{n}'", kind(e)),
                None => kind(e).to_string(),
            }
        };
        match (&self.recorded, &self.local) {
            (Some(r), Some(l)) if kind(r) == kind(l) => format!(
                "event {}{at}: {} differs in {}",
                id(r),
                what(r),
                self.fields.join(", ")
            ),
            (Some(r), Some(l)) => format!(
                "event {}{at}: AWS recorded {}, the local run has {}",
                id(r),
                what(r),
                what(l)
            ),
            (Some(r), None) => format!(
                "event {}{at}: AWS recorded {}, the local run never gets there",
                id(r),
                what(r)
            ),
            (None, Some(l)) => format!(
                "local event {}{at}: the local run goes on with {}, where the recording has nothing",
                id(l),
                what(l)
            ),
            (None, None) => "no difference".into(),
        }
    }
}

/// Compare `local` (a local run's history, AWS's shape) with `recorded`. `complete`: the
/// recording reaches the execution's end (otherwise what the local run does after it is
/// not a difference); `local_finished`: the local run goes no further (otherwise what it
/// has not done yet is not a difference). `tokens`: the local run's task tokens (they
/// stand for AWS's).
pub fn first(
    recorded: &[Value],
    local: &[Value],
    complete: bool,
    local_finished: bool,
    branch_of: &dyn Fn(&str, &str) -> Option<usize>,
    tokens: &[String],
) -> Option<Divergence> {
    let keyed = |events: &[Value]| -> HashMap<(Vec<ScopeStep>, usize), usize> {
        let mut seen: HashMap<Vec<ScopeStep>, usize> = HashMap::new();
        let mut out = HashMap::new();
        for (n, s) in scope::scopes(events, branch_of).into_iter().enumerate() {
            let k = known(&events[n]);
            if !k {
                continue;
            }
            let ord = seen.entry(s.clone()).or_insert(0);
            out.insert((s, *ord), n);
            *ord += 1;
        }
        out
    };
    let rec_keys = keyed(recorded);
    let loc_keys = keyed(local);
    let mut rec_order: Vec<(&(Vec<ScopeStep>, usize), &usize)> = rec_keys.iter().collect();
    rec_order.sort_by_key(|(_, n)| **n);
    for (key, &n) in rec_order {
        let r = &recorded[n];
        let Some(&m) = loc_keys.get(key) else {
            if !local_finished {
                continue;
            }
            return Some(Divergence {
                recorded: Some(r.clone()),
                local: None,
                scope: key.0.clone(),
                fields: Vec::new(),
            });
        };
        let l = &local[m];
        if kind(r) != kind(l) {
            return Some(Divergence {
                recorded: Some(r.clone()),
                local: Some(l.clone()),
                scope: key.0.clone(),
                fields: Vec::new(),
            });
        }
        let fields = differing_fields(r, l, tokens);
        if !fields.is_empty() {
            return Some(Divergence {
                recorded: Some(r.clone()),
                local: Some(l.clone()),
                scope: key.0.clone(),
                fields,
            });
        }
    }
    if !complete {
        return None;
    }
    let mut extra: Vec<(&(Vec<ScopeStep>, usize), &usize)> = loc_keys
        .iter()
        .filter(|(k, _)| !rec_keys.contains_key(k))
        .collect();
    extra.sort_by_key(|(_, n)| **n);
    extra.first().map(|&(key, &n)| Divergence {
        recorded: None,
        local: Some(local[n].clone()),
        scope: key.0.clone(),
        fields: Vec::new(),
    })
}

/// Event types both sides write (a newer AWS's unknown events are shown, not compared).
fn known(e: &Value) -> bool {
    crate::engine::history::EventKind::ALL
        .iter()
        .any(|k| k.as_str() == kind(e))
}

/// The details fields compared, and the event types whose `output` is the execution's
/// data (TaskSubmitted's output is the service's receipt, which a local run lacks).
const COMPARED: &[&str] = &[
    "name",
    "index",
    "length",
    "input",
    "output",
    "parameters",
    "error",
    "cause",
    "resourceType",
    "resource",
    "timeoutInSeconds",
    "heartbeatInSeconds",
    "assignedVariables",
];

fn differing_fields(r: &Value, l: &Value, tokens: &[String]) -> Vec<String> {
    let rd = details(r);
    let ld = details(l);
    let truncated = |d: &Value, f: &str| {
        d.get(format!("{f}Details"))
            .and_then(|x| x.get("truncated"))
            .and_then(Value::as_bool)
            == Some(true)
    };
    let mut out = Vec::new();
    for &f in COMPARED {
        if f == "output" && kind(r) == "TaskSubmitted" {
            continue;
        }
        if truncated(rd, f) || truncated(ld, f) {
            continue;
        }
        let a = normal(f, rd.get(f));
        let b = normal(f, ld.get(f));
        if !same(&a, &b, tokens) {
            out.push(f.to_string());
        }
    }
    out
}

/// A field as compared: JSON text parsed, ARNs without their partition, region and account.
fn normal(field: &str, v: Option<&Value>) -> Value {
    let Some(v) = v else {
        return Value::Null;
    };
    match (field, v) {
        ("input" | "output" | "parameters", Value::String(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| v.clone())
        }
        ("assignedVariables", Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let parsed = x
                        .as_str()
                        .and_then(|s| serde_json::from_str(s).ok())
                        .unwrap_or_else(|| x.clone());
                    (k.clone(), parsed)
                })
                .collect::<Map>(),
        ),
        ("resource", Value::String(s)) => json!(without_account(s)),
        _ => v.clone(),
    }
}

/// `arn:aws:lambda:eu-west-1:123:function:f` → `lambda:function:f`.
fn without_account(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" {
        format!("{}:{}", parts[2], parts[5])
    } else {
        arn.to_string()
    }
}

/// Equal, where a local task token matches whatever AWS's token was.
fn same(recorded: &Value, local: &Value, tokens: &[String]) -> bool {
    match (recorded, local) {
        (Value::String(_), Value::String(l)) if tokens.iter().any(|t| t == l) => true,
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| same(x, y, tokens)))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y, tokens))
        }
        _ => recorded == local,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: u64, prev: u64, kind: &str, details: Value) -> Value {
        json!({"id": id, "previousEventId": prev, "type": kind, "xEventDetails": details})
    }

    fn none(_: &str, _: &str) -> Option<usize> {
        None
    }

    #[test]
    fn same_execution_with_iterations_in_another_order() {
        let rec = vec![
            ev(1, 0, "ExecutionStarted", json!({"input": "{}"})),
            ev(2, 0, "MapStateEntered", json!({"name": "M"})),
            ev(3, 2, "MapStateStarted", json!({"length": 2})),
            ev(
                4,
                3,
                "MapIterationStarted",
                json!({"name": "M", "index": 1}),
            ),
            ev(
                5,
                3,
                "MapIterationStarted",
                json!({"name": "M", "index": 0}),
            ),
            ev(6, 4, "PassStateEntered", json!({"name": "P", "input": "1"})),
            ev(7, 5, "PassStateEntered", json!({"name": "P", "input": "0"})),
        ];
        let mut loc = rec.clone();
        loc.swap(3, 4);
        loc[3]["id"] = json!(4);
        loc[4]["id"] = json!(5);
        loc[5]["previousEventId"] = json!(5);
        loc[6]["previousEventId"] = json!(4);
        assert_eq!(first(&rec, &loc, true, true, &none, &[]), None);
    }

    #[test]
    fn a_changed_output_is_found_with_its_field() {
        let rec = vec![
            ev(1, 0, "ExecutionStarted", json!({"input": "{}"})),
            ev(
                2,
                0,
                "PassStateEntered",
                json!({"name": "P", "input": "{}"}),
            ),
            ev(
                3,
                2,
                "PassStateExited",
                json!({"name": "P", "output": "{\"a\":1}"}),
            ),
        ];
        let mut loc = rec.clone();
        loc[2]["xEventDetails"]["output"] = json!("{\"a\": 2}");
        let d = first(&rec, &loc, true, true, &none, &[]).unwrap();
        assert_eq!(d.event_id(), 3);
        assert_eq!(d.fields, vec!["output"]);
        assert!(
            d.summary()
                .contains("PassStateExited 'P' differs in output")
        );
        // A token of the local run stands for AWS's.
        let mut rec2 = rec.clone();
        rec2[2]["xEventDetails"]["output"] = json!("{\"t\":\"AAAA-aws-token\"}");
        let mut loc2 = rec.clone();
        loc2[2]["xEventDetails"]["output"] = json!("{\"t\":\"local-token\"}");
        assert_eq!(
            first(&rec2, &loc2, true, true, &none, &["local-token".into()]),
            None
        );
    }

    #[test]
    fn a_local_run_that_goes_further_diverges_only_from_a_complete_recording() {
        let rec = vec![ev(1, 0, "ExecutionStarted", json!({"input": "{}"}))];
        let loc = vec![
            ev(1, 0, "ExecutionStarted", json!({"input": "{}"})),
            ev(
                2,
                0,
                "PassStateEntered",
                json!({"name": "P", "input": "{}"}),
            ),
        ];
        assert_eq!(first(&rec, &loc, false, true, &none, &[]), None);
        let d = first(&rec, &loc, true, true, &none, &[]).unwrap();
        assert_eq!(d.recorded, None);
        assert_eq!(d.event_id(), 2);
    }
}
