//! Step Functions Local MockConfigFile: `StateMachines.<name>.TestCases.<case>` maps state
//! names to entries of `MockedResponses`, whose keys are 0-based invocation counts ("0")
//! or inclusive ranges ("1-2"). Invocations are counted per state, across retries and Map
//! iterations.

use crate::engine::{Failure, TaskOutcome};
use crate::json::Value;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A MockConfigFile, as Step Functions Local reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MockConfig {
    pub state_machines: BTreeMap<String, MachineMocks>,
    #[serde(default)]
    pub mocked_responses: BTreeMap<String, BTreeMap<String, MockedResponse>>,
}

/// One state machine's test cases: test case → state name → MockedResponses entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MachineMocks {
    #[serde(default)]
    pub test_cases: BTreeMap<String, BTreeMap<String, String>>,
}

/// One invocation's (or range's) response: `Return` or `Throw`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MockedResponse {
    Return(Value),
    Throw(MockedError),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MockedError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// A mock file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MockError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("not a Step Functions Local mock config: {0}")]
    Format(String),
    #[error("{0}")]
    Choice(String),
    #[error("{0}")]
    Reference(String),
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
    pub fn load(path: &Path) -> Result<MockConfig, MockError> {
        let read = |message: String| MockError::Read {
            path: path.display().to_string(),
            message,
        };
        let text = crate::shell::read::text(
            path,
            crate::shell::read::MAX_FILE_BYTES,
            crate::shell::read::Kind::Any,
        )
        .map_err(|e| read(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| read(format!("not a mock config: {e}")))
    }

    /// Keep `answers` (task id, state, result), given in any order, as test case `case` of
    /// state machine `machine`: each state's answers in the order its invocations were
    /// made (task ids), so replaying the file answers every call as it was answered. The
    /// file's other state machines, test cases and responses stay.
    pub fn record(&mut self, machine: &str, case: &str, answers: &[(u64, String, TaskOutcome)]) {
        let mut sorted: Vec<&(u64, String, TaskOutcome)> = answers.iter().collect();
        sorted.sort_by_key(|(id, _, _)| *id);
        let mut by_state: BTreeMap<String, BTreeMap<String, MockedResponse>> = BTreeMap::new();
        for (_, state, outcome) in sorted {
            let responses = by_state.entry(state.clone()).or_default();
            let response = match outcome {
                TaskOutcome::Success(v) => MockedResponse::Return(v.clone()),
                TaskOutcome::Failure(f) => MockedResponse::Throw(MockedError {
                    error: f.error.clone(),
                    cause: f.cause.clone(),
                }),
            };
            responses.insert(responses.len().to_string(), response);
        }
        let cases = &mut self
            .state_machines
            .entry(machine.to_string())
            .or_default()
            .test_cases;
        // The case is replaced whole: answers of an earlier recording do not linger.
        if let Some(old) = cases.remove(case) {
            for name in old.values() {
                self.mocked_responses.remove(name);
            }
        }
        let mut states = BTreeMap::new();
        for (state, responses) in by_state {
            let name = format!("{machine}/{case}/{state}");
            self.mocked_responses.insert(name.clone(), responses);
            states.insert(state, name);
        }
        self.state_machines
            .get_mut(machine)
            .expect("inserted above")
            .test_cases
            .insert(case.to_string(), states);
    }

    /// Write the file (pretty JSON), replacing it whole.
    pub fn save(&self, path: &Path) -> Result<(), MockError> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|e| MockError::Read {
            path: path.display().to_string(),
            message: format!("cannot write: {e}"),
        })
    }

    /// `answers` merged into the mock file at `path` (created when missing).
    pub fn record_into(
        path: &Path,
        machine: &str,
        case: &str,
        answers: &[(u64, String, TaskOutcome)],
    ) -> Result<(), MockError> {
        let mut cfg = if path.exists() {
            MockConfig::load(path)?
        } else {
            MockConfig::default()
        };
        cfg.record(machine, case, answers);
        cfg.save(path)
    }

    pub fn from_value(doc: Value) -> Result<MockConfig, MockError> {
        crate::json::from_value(doc).map_err(|e| MockError::Format(e.to_string()))
    }

    pub fn state_machine_names(&self) -> Vec<String> {
        self.state_machines.keys().cloned().collect()
    }

    pub fn test_case_names(&self, machine: &str) -> Vec<String> {
        self.state_machines
            .get(machine)
            .map(|m| m.test_cases.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Choose a test case. `machine` may be omitted when the file has exactly one machine,
    /// `case` when that machine has exactly one test case.
    pub fn case(&self, machine: Option<&str>, case: Option<&str>) -> Result<MockCase, MockError> {
        let machines = self.state_machine_names();
        let machine = match machine {
            Some(m) if machines.iter().any(|x| x == m) => m.to_string(),
            Some(m) => {
                return Err(MockError::Choice(format!(
                    "the mock config has no state machine '{m}' (it has: {})",
                    machines.join(", ")
                )));
            }
            None if machines.len() == 1 => machines[0].clone(),
            None => {
                return Err(MockError::Choice(format!(
                    "the mock config has several state machines ({}); choose one with --state-machine-name",
                    machines.join(", ")
                )));
            }
        };
        let cases = self.test_case_names(&machine);
        let case = match case {
            Some(c) if cases.iter().any(|x| x == c) => c.to_string(),
            Some(c) => {
                return Err(MockError::Choice(format!(
                    "state machine '{machine}' has no test case '{c}' (it has: {})",
                    cases.join(", ")
                )));
            }
            None if cases.len() == 1 => cases[0].clone(),
            None => {
                return Err(MockError::Choice(format!(
                    "state machine '{machine}' has several test cases ({}); choose one with --test-case",
                    cases.join(", ")
                )));
            }
        };
        let mut out = MockCase::default();
        let Some(map) = self.state_machines[&machine].test_cases.get(&case) else {
            return Ok(out);
        };
        for (state, rn) in map {
            let responses = self.mocked_responses.get(rn).ok_or_else(|| {
                MockError::Reference(format!(
                    "MockedResponses has no entry '{rn}' (used by state '{state}')"
                ))
            })?;
            let mut list = Vec::new();
            for (key, r) in responses {
                let (lo, hi) = parse_range(key).ok_or_else(|| MockError::Reference(format!("MockedResponses.{rn}: '{key}' is not an invocation number or range like \"1-2\"")))?;
                let resp = match r {
                    MockedResponse::Return(v) => MockResponse::Return(v.clone()),
                    MockedResponse::Throw(t) => MockResponse::Throw(Failure {
                        error: t.error.clone(),
                        cause: t.cause.clone(),
                    }),
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
    use crate::json;

    #[test]
    fn recorded_answers_replay_in_invocation_order() {
        let mut cfg = MockConfig::from_value(json!({
            "StateMachines": {"Other": {"TestCases": {"T": {"A": "R"}}}},
            "MockedResponses": {"R": {"0": {"Return": 1}}}
        }))
        .unwrap();
        let answers = vec![
            (
                3,
                "Pay".to_string(),
                TaskOutcome::Success(json!({"ok": true})),
            ),
            (
                1,
                "Pay".to_string(),
                TaskOutcome::Failure(Failure::new("Busy", "try later")),
            ),
            (
                2,
                "Ship".to_string(),
                TaskOutcome::Success(json!("shipped")),
            ),
        ];
        cfg.record("Flow", "recorded", &answers);
        // Recording again replaces the case, not the others.
        cfg.record("Flow", "recorded", &answers);
        assert!(cfg.state_machines.contains_key("Other"));
        assert_eq!(cfg.mocked_responses.len(), 3);
        let mut case = cfg.case(Some("Flow"), Some("recorded")).unwrap();
        assert!(
            matches!(case.next("Pay"), Some(TaskOutcome::Failure(f)) if f.error.as_deref() == Some("Busy"))
        );
        assert_eq!(
            case.next("Pay"),
            Some(TaskOutcome::Success(json!({"ok": true})))
        );
        assert_eq!(
            case.next("Ship"),
            Some(TaskOutcome::Success(json!("shipped")))
        );
    }

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
