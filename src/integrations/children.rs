//! Nested state machines run here: a `states:startExecution` task whose `StateMachineArn`
//! names a state machine the person has locally (`--child PATTERN=DEFINITION`,
//! `[state-machines]` in stepdbg.toml, another state machine of the same template) runs it
//! as a child execution, answered by the same dispatcher; its result is what AWS returns
//! for the call: `.sync` (Input and Output as JSON text), `.sync:2` (as JSON), or the plain
//! call's `ExecutionArn` and `StartDate`.

use crate::asl::model::Machine;
use crate::engine::{Config, Execution, Failure, Status, Step, TaskOutcome, TaskRequest};
use serde_json::{Value, json};
use std::sync::Arc;

/// A state machine a parent may start.
#[derive(Debug, Clone)]
pub struct Child {
    /// Glob over the state machine's ARN or name (`*order-child*`).
    pub pattern: String,
    pub machine: Arc<Machine>,
    /// Its name, for its executions' ARNs and context.
    pub name: String,
}

/// How deep children may nest (a state machine that starts itself stops here).
const MAX_DEPTH: usize = 8;

/// The child `req` starts, if it is a `states:startExecution` task naming one of `children`.
pub fn child_of<'c>(req: &TaskRequest, children: &'c [Child]) -> Option<&'c Child> {
    let integration = crate::integrations::services::integration_of(&req.resource)?;
    if !integration.starts_with("states:startExecution") {
        return None;
    }
    let arn = req.input.get("StateMachineArn")?.as_str()?;
    let name = arn.rsplit(':').next().unwrap_or(arn);
    children.iter().find(|c| {
        crate::integrations::routes::glob_match(&c.pattern, arn)
            || crate::integrations::routes::glob_match(&c.pattern, name)
    })
}

/// Run `child` for `req` to its end, its tasks answered by `answer`; the task's outcome
/// in the shape of the call (`.sync`, `.sync:2`, or the plain call).
pub fn run(
    req: &TaskRequest,
    child: &Child,
    parent: &Config,
    depth: usize,
    answer: &mut dyn FnMut(&TaskRequest) -> Option<TaskOutcome>,
) -> TaskOutcome {
    if depth >= MAX_DEPTH {
        return TaskOutcome::Failure(Failure::new(
            "States.Runtime",
            format!("child executions nest deeper than {MAX_DEPTH} levels"),
        ));
    }
    let integration = crate::integrations::services::integration_of(&req.resource).unwrap_or("");
    let input = match req.input.get("Input") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
        Some(v) => v.clone(),
        None => json!({}),
    };
    // The state machine as the parent named it (its ARN's last part).
    let name = req
        .input
        .get("StateMachineArn")
        .and_then(Value::as_str)
        .and_then(|a| a.rsplit(':').next())
        .unwrap_or(&child.name)
        .to_string();
    let execution_name = req
        .input
        .get("Name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{name}-{}", req.id), str::to_string);
    let cfg = Config {
        state_machine_name: name.clone(),
        execution_name: execution_name.clone(),
        start_time_ms: req.scheduled_ms,
        ..parent.clone()
    };
    let state_machine_arn = format!(
        "arn:aws:states:{}:{}:stateMachine:{name}",
        cfg.region, cfg.account
    );
    let execution_arn = cfg.execution_arn();
    let start = cfg.start_time_ms;
    if !integration.contains(".sync") {
        // The plain call returns at once; the child runs on its own (here: to its end, so
        // its effects happen, but the parent does not wait for its result).
        let mut ex = Execution::new(child.machine.clone(), input, cfg);
        ex.run_with(&mut *answer);
        return TaskOutcome::Success(json!({"ExecutionArn": execution_arn, "StartDate": start}));
    }
    let mut ex = Execution::new(child.machine.clone(), input.clone(), cfg);
    let end = ex.run_with(&mut *answer);
    let stop = ex.clock();
    let v2 = integration.ends_with(":2");
    let as_field = |v: &Value| {
        if v2 {
            v.clone()
        } else {
            Value::String(crate::expr::compact(v))
        }
    };
    let mut described = json!({
        "ExecutionArn": execution_arn,
        "Input": as_field(&input),
        "InputDetails": {"Included": true},
        "Name": execution_name,
        "StartDate": start,
        "StateMachineArn": state_machine_arn,
        "StopDate": stop,
    });
    match (ex.status(), end) {
        (Status::Succeeded { output }, _) => {
            described["Output"] = as_field(output);
            described["OutputDetails"] = json!({"Included": true});
            described["Status"] = json!("SUCCEEDED");
            TaskOutcome::Success(described)
        }
        (Status::Failed { error, cause } | Status::TimedOut { error, cause }, _) => {
            described["Status"] = json!(if matches!(ex.status(), Status::TimedOut { .. }) {
                "TIMED_OUT"
            } else {
                "FAILED"
            });
            if let Some(e) = error {
                described["Error"] = json!(e);
            }
            if let Some(c) = cause {
                described["Cause"] = json!(c);
            }
            TaskOutcome::Failure(Failure::new(
                "States.TaskFailed",
                crate::expr::compact(&described),
            ))
        }
        (_, Step::Task(t)) => TaskOutcome::Failure(Failure::new(
            "States.TaskFailed",
            format!(
                "the child execution {execution_name} of {name} waits for its task '{}', which nobody here answers",
                t.state
            ),
        )),
        _ => TaskOutcome::Failure(Failure::new(
            "States.TaskFailed",
            format!("the child execution {execution_name} of {name} could not finish"),
        )),
    }
}
