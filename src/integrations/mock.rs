//! Step Functions Local MockConfigFile: `StateMachines.<name>.TestCases.<case>` maps state
//! names to entries of `MockedResponses`, whose keys are 0-based invocation counts ("0")
//! or inclusive ranges ("1-2"). Invocations are counted per state, across retries and Map
//! iterations.

use crate::engine::{Failure, TaskOutcome};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct MockConfig {
    doc: Value,
}

/// The mocks of one test case, with the invocation counters.
#[derive(Debug, Clone, Default)]
pub struct MockCase {
    /// state name → responses by attempt range.
    states: HashMap<String, Vec<(u64, u64, MockResponse)>>,
    calls: HashMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MockResponse {
    Return(Value),
    Throw(Failure),
}

impl MockConfig {
    pub fn load(path: &Path) -> Result<MockConfig, String> {
        let text = crate::shell::read::text(
            path,
            crate::shell::read::MAX_FILE_BYTES,
            crate::shell::read::Kind::Any,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?;
        MockConfig::from_value(doc).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_value(doc: Value) -> Result<MockConfig, String> {
        if !doc.get("StateMachines").is_some_and(Value::is_object) {
            return Err("a mock config needs a \"StateMachines\" object".into());
        }
        Ok(MockConfig { doc })
    }

    pub fn state_machine_names(&self) -> Vec<String> {
        self.doc["StateMachines"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn test_case_names(&self, machine: &str) -> Vec<String> {
        self.doc["StateMachines"][machine]["TestCases"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Choose a test case. `machine` may be omitted when the file has exactly one machine,
    /// `case` when that machine has exactly one test case.
    pub fn case(&self, machine: Option<&str>, case: Option<&str>) -> Result<MockCase, String> {
        let machines = self.state_machine_names();
        let machine = match machine {
            Some(m) if machines.iter().any(|x| x == m) => m.to_string(),
            Some(m) => {
                return Err(format!(
                    "the mock config has no state machine '{m}' (it has: {})",
                    machines.join(", ")
                ));
            }
            None if machines.len() == 1 => machines[0].clone(),
            None => {
                return Err(format!(
                    "the mock config has several state machines ({}); choose one with --state-machine-name",
                    machines.join(", ")
                ));
            }
        };
        let cases = self.test_case_names(&machine);
        let case = match case {
            Some(c) if cases.iter().any(|x| x == c) => c.to_string(),
            Some(c) => {
                return Err(format!(
                    "state machine '{machine}' has no test case '{c}' (it has: {})",
                    cases.join(", ")
                ));
            }
            None if cases.len() == 1 => cases[0].clone(),
            None => {
                return Err(format!(
                    "state machine '{machine}' has several test cases ({}); choose one with --test-case",
                    cases.join(", ")
                ));
            }
        };
        let mut out = MockCase::default();
        let Some(map) = self.doc["StateMachines"][&machine]["TestCases"][&case].as_object() else {
            return Ok(out);
        };
        for (state, response_name) in map {
            let rn = response_name.as_str().ok_or_else(|| format!("test case '{case}': the mock for state '{state}' must name a MockedResponses entry"))?;
            let responses = self.doc["MockedResponses"][rn].as_object().ok_or_else(|| {
                format!("MockedResponses has no entry '{rn}' (used by state '{state}')")
            })?;
            let mut list = Vec::new();
            for (key, r) in responses {
                let (lo, hi) = parse_range(key).ok_or_else(|| format!("MockedResponses.{rn}: '{key}' is not an invocation number or range like \"1-2\""))?;
                let resp = if let Some(v) = r.get("Return") {
                    MockResponse::Return(v.clone())
                } else if let Some(t) = r.get("Throw") {
                    MockResponse::Throw(Failure {
                        error: t.get("Error").and_then(Value::as_str).map(str::to_string),
                        cause: t.get("Cause").and_then(Value::as_str).map(str::to_string),
                    })
                } else {
                    return Err(format!(
                        "MockedResponses.{rn}.{key} needs \"Return\" or \"Throw\""
                    ));
                };
                list.push((lo, hi, resp));
            }
            list.sort_by_key(|(lo, _, _)| *lo);
            out.states.insert(state.clone(), list);
        }
        Ok(out)
    }
}

fn parse_range(key: &str) -> Option<(u64, u64)> {
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => key.trim().parse().ok().map(|n| (n, n)),
    }
}

impl MockCase {
    /// Forget how often each state was called (a restart starts from invocation 0).
    pub fn reset(&mut self) {
        self.calls.clear();
    }

    pub fn has_state(&self, state: &str) -> bool {
        self.states.contains_key(state)
    }

    /// The response for the next invocation of `state`; None when the state is not mocked.
    pub fn next(&mut self, state: &str) -> Option<TaskOutcome> {
        let list = self.states.get(state)?;
        let n = self.calls.entry(state.to_string()).or_insert(0);
        let attempt = *n;
        *n += 1;
        let found = list
            .iter()
            .find(|(lo, hi, _)| (*lo..=*hi).contains(&attempt));
        Some(match found {
            Some((_, _, MockResponse::Return(v))) => TaskOutcome::Success(v.clone()),
            Some((_, _, MockResponse::Throw(f))) => TaskOutcome::Failure(f.clone()),
            None => TaskOutcome::Failure(Failure::new(
                "States.Runtime",
                format!(
                    "the mock config has no response for invocation {attempt} of state '{state}'"
                ),
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attempts_are_counted_per_state_with_ranges() {
        let cfg = MockConfig::from_value(json!({
            "StateMachines": {"M": {"TestCases": {"T": {"A": "R"}}}},
            "MockedResponses": {"R": {"0": {"Throw": {"Error": "E", "Cause": "c"}}, "1-2": {"Return": 7}}}
        }))
        .unwrap();
        let mut case = cfg.case(None, None).unwrap();
        assert!(
            matches!(case.next("A"), Some(TaskOutcome::Failure(f)) if f.error.as_deref() == Some("E"))
        );
        assert_eq!(case.next("A"), Some(TaskOutcome::Success(json!(7))));
        assert_eq!(case.next("A"), Some(TaskOutcome::Success(json!(7))));
        assert!(matches!(case.next("A"), Some(TaskOutcome::Failure(_))));
        assert_eq!(case.next("B"), None);
        assert!(cfg.case(Some("X"), None).is_err());
    }
}
