//! TestState: one state run alone, as AWS's TestState API runs it.
//!
//! The state is put in a machine of its own whose transitions lead to stand-in Succeed
//! states, run until it has been through once (or a retrier would send it round again:
//! RETRIABLE), and reported with AWS's fields: `output`, `error`, `cause`, `nextState`,
//! `status` (SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR) and, from the DEBUG level on,
//! `inspectionData` (the data-flow stages as JSON text, the variables, `errorDetails`).

use super::{Config, Execution, Stage, Step, TaskOutcome, TaskRequest};
use crate::json;
use crate::json::{Map, Value};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectionLevel {
    Info,
    Debug,
    Trace,
}

impl InspectionLevel {
    pub fn parse(text: &str) -> Option<InspectionLevel> {
        match text {
            "INFO" => Some(InspectionLevel::Info),
            "DEBUG" => Some(InspectionLevel::Debug),
            "TRACE" => Some(InspectionLevel::Trace),
            _ => None,
        }
    }
}

/// What TestState is asked.
#[derive(Debug, Clone)]
pub struct TestStateRequest {
    /// A state's definition, or a whole state machine's (then `state_name` picks the state).
    pub definition: Value,
    pub state_name: Option<String>,
    pub input: Value,
    pub inspection_level: InspectionLevel,
    /// Workflow variables in scope when the state runs.
    pub variables: Map,
    /// Values merged into the context object.
    pub context: Option<Value>,
    /// The task's result (`mock.result` / `mock.errorOutput`).
    pub mock: Option<TaskOutcome>,
    /// `stateConfiguration.retrierRetryCount`.
    pub retrier_retry_count: u32,
    /// `stateConfiguration.mapIterationFailureCount`: iterations of a mocked Map that
    /// failed, against its tolerated failures.
    pub map_iteration_failure_count: usize,
    /// `stateConfiguration.errorCausedByState`: the state inside a Map or Parallel a
    /// mocked error comes from.
    pub error_caused_by_state: Option<String>,
    /// `stateConfiguration.mapItemReaderData`: what a Distributed Map's ItemReader reads
    /// (the caller's `answer` reads it; see `integrations::reader::test_state_answers`).
    pub map_item_reader_data: Option<String>,
}

/// Why TestState refused (AWS's InvalidDefinition and ValidationException).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestStateError {
    #[error("{0}")]
    InvalidDefinition(String),
    #[error("{0}")]
    Validation(String),
}

impl TestStateError {
    pub fn code(&self) -> &'static str {
        match self {
            TestStateError::InvalidDefinition(_) => "InvalidDefinition",
            TestStateError::Validation(_) => "ValidationException",
        }
    }
}

/// Run the state. Tasks take `req.mock`, else `answer` (None: nobody can answer: an error
/// asking for a mock).
pub fn test_state(
    req: &TestStateRequest,
    answer: &mut dyn FnMut(&TaskRequest) -> Option<TaskOutcome>,
) -> Result<Value, TestStateError> {
    let (name, machine) = machine_of(req)?;
    let tested = &machine["States"][&name];
    let state_type = tested.get("Type").and_then(Value::as_str).unwrap_or("");
    let has_children = matches!(state_type, "Map" | "Parallel");
    check_configuration(req, tested, state_type)?;
    let def = crate::asl::from_value(machine.clone());
    if def.has_errors() {
        let problems: Vec<String> = def.errors().map(|d| d.one_line(&def.doc)).collect();
        return Err(TestStateError::InvalidDefinition(format!(
            "Invalid State Machine Definition: {}",
            problems.join("; ")
        )));
    }
    // A mocked Map or Parallel does not run its iterations or branches: the mock is what
    // they came to.
    let children_stand_in = req.mock.clone().filter(|_| has_children).map(|outcome| {
        Box::new(super::ChildrenStandIn {
            outcome,
            failures: req.map_iteration_failure_count,
        })
    });
    let cfg = Config {
        context_overrides: req.context.clone(),
        prior_retries: req.retrier_retry_count,
        record_steps: true,
        children_stand_in,
        ..Config::default()
    };
    let mut ex = Execution::new(Arc::new(def.machine), req.input.clone(), cfg);
    for (k, v) in &req.variables {
        ex.set_variable(0, k, v.clone());
    }
    let mut retriable = None;
    // The state's own visit: the first record of the top thread.
    while ex.steps().iter().all(|r| r.thread != 0 || *r.state != name) && !ex.status().is_done() {
        let retries = ex.retries();
        match ex.step() {
            Step::Task(t) => {
                // A Task's own call takes the mock (a Map's ItemReader and ResultWriter
                // calls do not).
                let outcome = match &req.mock {
                    Some(m) if t.thread == 0 && !has_children => Some(m.clone()),
                    _ => answer(&t),
                };
                let Some(outcome) = outcome else {
                    return Err(TestStateError::Validation(format!(
                        "the state calls {} and nothing here can answer it: give TestState a \
                         mock (result or errorOutput)",
                        t.resource
                    )));
                };
                ex.resolve_task(t.id, outcome);
            }
            Step::Sleeping { until } => ex.advance_to(until),
            Step::Blocked => {
                return Err(TestStateError::Validation(
                    "the state waits for a task token: give TestState a mock".into(),
                ));
            }
            Step::Progressed { .. } | Step::Finished => {}
        }
        if ex.retries() > retries
            && let Some(rec) = ex.open_record(0)
            && let Some(a) = rec.attempts.last()
        {
            retriable = Some((rec.clone(), a.clone()));
            break;
        }
    }
    let level = req.inspection_level;
    let mut out = Map::new();
    if let Some((rec, attempt)) = retriable {
        out.insert("status", json!("RETRIABLE"));
        out.insert("error", json!(attempt.error.error_name()));
        if let Some(c) = &attempt.error.cause {
            out.insert("cause", json!(c));
        }
        if level != InspectionLevel::Info {
            let mut data = inspection(&rec, &ex);
            data.insert(
                "errorDetails",
                json!({"retryIndex": attempt.retrier, "retryBackoffIntervalSeconds": attempt.delay_ms / 1000}),
            );
            out.insert("inspectionData", Value::Object(data));
        }
        return Ok(Value::Object(out));
    }
    let rec = ex
        .steps()
        .iter()
        .find(|r| r.thread == 0 && *r.state == name)
        .cloned()
        .ok_or_else(|| TestStateError::Validation("the state did not run".into()))?;
    let mut details = Map::new();
    match (&rec.error, rec.caught_by) {
        (Some(f), Some(catch)) => {
            out.insert("status", json!("CAUGHT_ERROR"));
            out.insert("error", json!(f.error_name()));
            if let Some(c) = &f.cause {
                out.insert("cause", json!(c));
            }
            if let Some(o) = rec.stage(Stage::Output) {
                out.insert("output", json!(crate::expr::compact(o)));
            }
            if let Some(n) = &rec.next {
                out.insert("nextState", json!(n));
            }
            details.insert("catchIndex", json!(catch));
        }
        (Some(f), None) => {
            out.insert("status", json!("FAILED"));
            out.insert("error", json!(f.error_name()));
            if let Some(c) = &f.cause {
                out.insert("cause", json!(c));
            }
        }
        (None, _) => {
            out.insert("status", json!("SUCCEEDED"));
            if let Some(o) = rec.stage(Stage::Output) {
                out.insert("output", json!(crate::expr::compact(o)));
            }
            if let Some(n) = &rec.next {
                out.insert("nextState", json!(n));
            }
        }
    }
    if level != InspectionLevel::Info {
        let mut data = inspection(&rec, &ex);
        if !details.is_empty() {
            data.insert("errorDetails", Value::Object(details));
        }
        out.insert("inspectionData", Value::Object(data));
    }
    Ok(Value::Object(out))
}

/// The stateConfiguration fields that must fit the state tested (AWS's
/// ValidationException otherwise).
fn check_configuration(
    req: &TestStateRequest,
    tested: &Value,
    state_type: &str,
) -> Result<(), TestStateError> {
    let invalid = |m: String| Err(TestStateError::Validation(m));
    if let Some(name) = &req.error_caused_by_state {
        let mut inside = false;
        for key in ["ItemProcessor", "Iterator"] {
            inside |= tested
                .get(key)
                .is_some_and(|m| find_state(m, name).is_some());
        }
        for b in tested
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            inside |= find_state(b, name).is_some();
        }
        if !inside {
            return invalid(format!(
                "stateConfiguration.errorCausedByState: '{name}' is not a state of the Map or Parallel state tested"
            ));
        }
    }
    if req.map_iteration_failure_count > 0 && state_type != "Map" {
        return invalid(
            "stateConfiguration.mapIterationFailureCount applies to a Map state only".into(),
        );
    }
    if req.map_item_reader_data.is_some() && tested.get("ItemReader").is_none() {
        return invalid(
            "stateConfiguration.mapItemReaderData applies to a Map state with an ItemReader only"
                .into(),
        );
    }
    if matches!(state_type, "Map" | "Parallel")
        && let Some(TaskOutcome::Success(v)) = &req.mock
        && !v.is_array()
    {
        return invalid(format!(
            "mock.result of a {state_type} state must be a JSON array (its iterations' or branches' results)"
        ));
    }
    Ok(())
}

/// The data-flow stages as TestState's inspectionData: JSON text under AWS's names (the
/// Map's settings as numbers).
fn inspection(rec: &super::StepRecord, ex: &Execution) -> Map {
    let mut data = Map::new();
    for stage in [
        Stage::Input,
        Stage::AfterArguments,
        Stage::AfterInputPath,
        Stage::AfterParameters,
        Stage::AfterItemsPath,
        Stage::AfterItemSelector,
        Stage::AfterItemBatcher,
        Stage::Result,
        Stage::AfterResultSelector,
        Stage::AfterResultPath,
    ] {
        if let Some(v) = rec.stage(stage) {
            data.insert(stage.as_str(), json!(crate::expr::compact(v)));
        }
    }
    for stage in [
        Stage::MaxConcurrency,
        Stage::ToleratedFailureCount,
        Stage::ToleratedFailurePercentage,
    ] {
        if let Some(v) = rec.stage(stage) {
            data.insert(stage.as_str(), v.clone());
        }
    }
    let vars = ex.variables(0);
    if !vars.is_empty() {
        data.insert(
            "variables",
            json!(crate::expr::compact(&Value::Object(vars))),
        );
    }
    data
}

/// The state alone in a machine: (its name, the machine). Its transitions lead to
/// stand-in Succeed states named as the states they stand for.
fn machine_of(req: &TestStateRequest) -> Result<(String, Value), TestStateError> {
    let d = &req.definition;
    let Some(obj) = d.as_object() else {
        return Err(TestStateError::InvalidDefinition(
            "the definition must be a JSON object: a state, or a state machine with stateName"
                .into(),
        ));
    };
    let (name, state, language) = if obj.contains_key("States") {
        let Some(name) = &req.state_name else {
            return Err(TestStateError::Validation(
                "a state machine definition needs stateName: the state to test".into(),
            ));
        };
        let state = find_state(d, name).ok_or_else(|| {
            TestStateError::Validation(format!("the definition has no state named '{name}'"))
        })?;
        (name.clone(), state.clone(), d.get("QueryLanguage").cloned())
    } else {
        let name = req.state_name.clone().unwrap_or_else(|| "TestState".into());
        (name, d.clone(), None)
    };
    if !state.is_object() || state.get("Type").and_then(Value::as_str).is_none() {
        return Err(TestStateError::InvalidDefinition(
            "the state must be an object with a Type".into(),
        ));
    }
    let mut states = Map::new();
    for target in targets(&state) {
        if target != name {
            states.insert(target, json!({"Type": "Succeed"}));
        }
    }
    states.insert(name.clone(), state);
    let mut machine = json!({"StartAt": name, "States": states});
    if let Some(q) = language {
        machine["QueryLanguage"] = q;
    }
    Ok((name, machine))
}

/// The state named `name` anywhere in a machine (nested in Map and Parallel too).
fn find_state<'a>(machine: &'a Value, name: &str) -> Option<&'a Value> {
    let states = machine.get("States")?.as_object()?;
    if let Some(s) = states.get(name) {
        return Some(s);
    }
    states.values().find_map(|s| {
        let subs = ["ItemProcessor", "Iterator"]
            .iter()
            .filter_map(|k| s.get(*k))
            .chain(
                s.get("Branches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        subs.into_iter().find_map(|m| find_state(m, name))
    })
}

/// Every state a state can go to: Next, Default, its Choice rules', its Catchers'.
fn targets(state: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str) {
            out.push(s.to_string());
        }
    };
    add(state.get("Next"));
    add(state.get("Default"));
    for list in ["Choices", "Catch"] {
        for item in state
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            add(item.get("Next"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(definition: Value, mock: Option<TaskOutcome>) -> TestStateRequest {
        TestStateRequest {
            definition,
            state_name: None,
            input: json!({"a": 1}),
            inspection_level: InspectionLevel::Debug,
            variables: Map::new(),
            context: None,
            mock,
            retrier_retry_count: 0,
            map_iteration_failure_count: 0,
            error_caused_by_state: None,
            map_item_reader_data: None,
        }
    }

    #[test]
    fn a_pass_state_with_its_data_flow() {
        let r = test_state(
            &request(json!({"Type": "Pass", "Parameters": {"b.$": "$.a"}, "ResultPath": "$.r", "Next": "After"}), None),
            &mut |_| None,
        )
        .unwrap();
        assert_eq!(r["status"], "SUCCEEDED");
        assert_eq!(r["nextState"], "After");
        assert_eq!(r["output"], r#"{"a":1,"r":{"b":1}}"#);
        assert_eq!(r["inspectionData"]["afterParameters"], r#"{"b":1}"#);
    }

    #[test]
    fn retriable_caught_and_failed_tasks() {
        let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "Payload.$": "$"},
            "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 3}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle", "ResultPath": "$.err"}],
            "End": true});
        let boom = Some(TaskOutcome::Failure(super::super::Failure::new(
            "Boom", "bad",
        )));
        let r = test_state(&request(task.clone(), boom.clone()), &mut |_| None).unwrap();
        assert_eq!(r["status"], "RETRIABLE", "{r}");
        assert_eq!(
            r["inspectionData"]["errorDetails"],
            json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 3})
        );
        let mut spent = request(task, boom);
        spent.retrier_retry_count = 2;
        let r = test_state(&spent, &mut |_| None).unwrap();
        assert_eq!(r["status"], "CAUGHT_ERROR", "{r}");
        assert_eq!(r["nextState"], "Handle");
        assert_eq!(
            r["inspectionData"]["errorDetails"],
            json!({"catchIndex": 0})
        );
        let fail = json!({"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Parameters": {"TopicArn": "t", "Message": "m"}, "End": true});
        let r = test_state(
            &request(
                fail,
                Some(TaskOutcome::Failure(super::super::Failure::new(
                    "SNS.Down", "no",
                ))),
            ),
            &mut |_| None,
        )
        .unwrap();
        assert_eq!(r["status"], "FAILED");
        assert_eq!(r["error"], "SNS.Down");
    }

    #[test]
    fn a_state_of_a_machine_by_name_and_bad_definitions() {
        let machine = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Choice",
            "Choices": [{"Variable": "$.a", "NumericEquals": 1, "Next": "A"}], "Default": "C"}, "C": {"Type": "Succeed"}}});
        let mut req = request(machine.clone(), None);
        req.state_name = Some("B".into());
        req.inspection_level = InspectionLevel::Info;
        let r = test_state(&req, &mut |_| None).unwrap();
        assert_eq!(
            r,
            json!({"status": "SUCCEEDED", "output": "{\"a\":1}", "nextState": "A"})
        );
        req.state_name = None;
        assert!(matches!(
            test_state(&req, &mut |_| None),
            Err(TestStateError::Validation(_))
        ));
        let bad = request(json!({"Type": "Pass", "Next": 3}), None);
        assert!(matches!(
            test_state(&bad, &mut |_| None),
            Err(TestStateError::InvalidDefinition(_))
        ));
    }
}
