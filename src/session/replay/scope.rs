//! Where each event of a history happened: the Map iterations and Parallel branches around
//! it ([`ScopeStep`]s, outermost first), worked out from the events alone.
//!
//! AWS interleaves the events of concurrent iterations and branches in whatever order they
//! ran, so two histories of the same execution compare scope by scope, not event by
//! event. Each event links (`previousEventId`) to the event before it on its own path of
//! execution: it inherits that event's scope, except where a path forks or joins:
//! - `MapIterationStarted {name, index}` opens iteration `index` of the Map `name` (it
//!   links to the Map's start or to the last event of an earlier iteration);
//! - a state entered right after `ParallelStateStarted` opens a branch (which one: the
//!   branch whose first state it is);
//! - a Map's or Parallel's own events (`...Started`, `...Succeeded`, `...Failed`,
//!   `...Exited`, `MapRun...`) belong to the innermost Map or Parallel still open around
//!   the event they link to.

use super::recording::{details, id, kind};
use crate::engine::ScopeStep;
use crate::json::Value;
use std::collections::HashMap;

/// A Map or Parallel state between its `...StateEntered` and `...StateExited`.
struct Open {
    scope: Vec<ScopeStep>,
    name: String,
    parallel: bool,
    /// The latest `ParallelStateStarted` (a retried Parallel starts again).
    started: Option<u64>,
    /// Branches opened in the current attempt, by first state, when the definition cannot
    /// say which branch a state starts.
    branches: Vec<String>,
}

/// The scope of each of `events` (in ascending id order). `branch_of(parallel, state)`
/// says which branch of the Parallel state `parallel` starts with `state`; None numbers
/// branches in the order they appear.
pub fn scopes(
    events: &[Value],
    branch_of: &dyn Fn(&str, &str) -> Option<usize>,
) -> Vec<Vec<ScopeStep>> {
    let mut by_id: HashMap<u64, usize> = HashMap::new();
    let mut out: Vec<Vec<ScopeStep>> = Vec::with_capacity(events.len());
    let mut open: Vec<Open> = Vec::new();
    for (n, e) in events.iter().enumerate() {
        let prev = e
            .get("previousEventId")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let base = by_id
            .get(&prev)
            .map(|&i| out[i].clone())
            .unwrap_or_default();
        let k = kind(e);
        let d = details(e);
        let name = d.get("name").and_then(Value::as_str).unwrap_or("");
        // The innermost open Map/Parallel around `base` (its scope a prefix of base).
        let innermost = |open: &[Open], pick: &dyn Fn(&Open) -> bool| {
            open.iter()
                .enumerate()
                .filter(|(_, o)| base.starts_with(&o.scope) && pick(o))
                .max_by_key(|(_, o)| o.scope.len())
                .map(|(i, _)| i)
        };
        let scope = if k == "MapStateEntered" || k == "ParallelStateEntered" {
            open.push(Open {
                scope: base.clone(),
                name: name.to_string(),
                parallel: k == "ParallelStateEntered",
                started: None,
                branches: Vec::new(),
            });
            base
        } else if k == "MapIterationStarted" {
            let index = d.get("index").and_then(Value::as_u64).unwrap_or(0) as usize;
            match innermost(&open, &|o| !o.parallel && o.name == name) {
                Some(i) => {
                    let mut s = open[i].scope.clone();
                    s.push(ScopeStep {
                        state: name.to_string(),
                        index,
                    });
                    s
                }
                None => base,
            }
        } else if let Some(i) = open
            .iter()
            .position(|o| o.parallel && o.started == Some(prev) && prev != 0)
            .filter(|_| k.ends_with("StateEntered"))
        {
            // A branch's first state.
            let o = &mut open[i];
            let index = branch_of(&o.name, name).unwrap_or_else(|| {
                if !o.branches.iter().any(|b| b == name) {
                    o.branches.push(name.to_string());
                }
                o.branches.iter().position(|b| b == name).unwrap_or(0)
            });
            let mut s = o.scope.clone();
            s.push(ScopeStep {
                state: o.name.clone(),
                index,
            });
            s
        } else if is_container_event(k) {
            let parallel = k.starts_with("Parallel");
            match innermost(&open, &|o| o.parallel == parallel) {
                Some(i) => {
                    let s = open[i].scope.clone();
                    if k == "ParallelStateStarted" {
                        open[i].started = Some(id(e));
                        open[i].branches.clear();
                    }
                    if k.ends_with("StateExited") {
                        open.remove(i);
                    }
                    s
                }
                None => base,
            }
        } else {
            base
        };
        by_id.insert(id(e), n);
        out.push(scope);
    }
    out
}

/// A Map's or Parallel's own event (not an iteration's).
fn is_container_event(kind: &str) -> bool {
    kind.starts_with("MapRun")
        || matches!(
            kind,
            "MapStateStarted"
                | "MapStateSucceeded"
                | "MapStateFailed"
                | "MapStateAborted"
                | "MapStateExited"
                | "ParallelStateStarted"
                | "ParallelStateSucceeded"
                | "ParallelStateFailed"
                | "ParallelStateAborted"
                | "ParallelStateExited"
        )
}

/// `branch_of` for [`scopes`] from a definition: the branch of Parallel `parallel` whose
/// StartAt is `state`.
pub fn branches_of(machine: &crate::asl::model::Machine) -> impl Fn(&str, &str) -> Option<usize> {
    let mut starts: HashMap<String, Vec<String>> = HashMap::new();
    machine.walk(&mut |s| {
        if let crate::asl::model::StateKind::Parallel(p) = &s.kind {
            starts.insert(
                s.name.to_string(),
                p.branches.iter().map(|b| b.start_at.clone()).collect(),
            );
        }
    });
    move |parallel, state| starts.get(parallel)?.iter().position(|s| s == state)
}

/// `[Map#2, Branch#0]` as `Map[2] › Branch[0]`, for messages.
pub fn describe(scope: &[ScopeStep]) -> String {
    scope
        .iter()
        .map(|s| format!("{}[{}]", s.state, s.index))
        .collect::<Vec<_>>()
        .join(" › ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn ev(id: u64, prev: u64, kind: &str, details: Value) -> Value {
        json!({"id": id, "previousEventId": prev, "type": kind, "xEventDetails": details})
    }

    fn step(state: &str, index: usize) -> ScopeStep {
        ScopeStep {
            state: state.into(),
            index,
        }
    }

    #[test]
    fn map_iterations_interleaved_as_aws_writes_them() {
        let events = vec![
            ev(1, 0, "ExecutionStarted", json!({})),
            ev(2, 0, "MapStateEntered", json!({"name": "M"})),
            ev(3, 2, "MapStateStarted", json!({})),
            ev(
                4,
                3,
                "MapIterationStarted",
                json!({"name": "M", "index": 0}),
            ),
            ev(
                5,
                3,
                "MapIterationStarted",
                json!({"name": "M", "index": 1}),
            ),
            ev(6, 4, "PassStateEntered", json!({"name": "P"})),
            ev(7, 5, "PassStateEntered", json!({"name": "P"})),
            ev(
                8,
                6,
                "MapIterationSucceeded",
                json!({"name": "M", "index": 0}),
            ),
            ev(
                9,
                6,
                "MapIterationStarted",
                json!({"name": "M", "index": 2}),
            ),
            ev(10, 9, "PassStateEntered", json!({"name": "P"})),
            ev(11, 10, "MapStateSucceeded", json!({})),
            ev(12, 10, "MapStateExited", json!({"name": "M"})),
            ev(13, 12, "ExecutionSucceeded", json!({})),
        ];
        let s = scopes(&events, &|_, _| None);
        assert_eq!(s[5], vec![step("M", 0)]);
        assert_eq!(s[6], vec![step("M", 1)]);
        assert_eq!(s[8], vec![step("M", 2)]);
        assert_eq!(s[9], vec![step("M", 2)]);
        assert!(s[10].is_empty() && s[11].is_empty() && s[12].is_empty());
    }

    #[test]
    fn parallel_branches_by_their_first_state() {
        let events = vec![
            ev(1, 0, "ExecutionStarted", json!({})),
            ev(2, 0, "ParallelStateEntered", json!({"name": "Par"})),
            ev(3, 2, "ParallelStateStarted", json!({})),
            ev(4, 3, "PassStateEntered", json!({"name": "B"})),
            ev(5, 3, "PassStateEntered", json!({"name": "A"})),
            ev(6, 5, "PassStateExited", json!({"name": "A"})),
            ev(7, 4, "PassStateExited", json!({"name": "B"})),
            ev(8, 7, "ParallelStateSucceeded", json!({})),
            ev(9, 7, "ParallelStateExited", json!({"name": "Par"})),
        ];
        let by_def = |p: &str, s: &str| (p == "Par").then(|| usize::from(s == "B"));
        let s = scopes(&events, &by_def);
        assert_eq!(s[3], vec![step("Par", 1)]);
        assert_eq!(s[4], vec![step("Par", 0)]);
        assert_eq!(s[6], vec![step("Par", 1)]);
        assert!(s[7].is_empty() && s[8].is_empty());
        // Without the definition: in order of appearance.
        let s = scopes(&events, &|_, _| None);
        assert_eq!(s[3], vec![step("Par", 0)]);
        assert_eq!(s[4], vec![step("Par", 1)]);
    }
}
