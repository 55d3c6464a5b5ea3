//! Nested state machines run here: a `states:startExecution` task whose `StateMachineArn`
//! names a state machine the person has locally (`--child PATTERN=DEFINITION`,
//! `[state-machines]` in stepdbg.toml, another state machine of the same template) runs it
//! as a child execution, answered by the same dispatcher; its result is what AWS returns
//! for the call: `.sync` (Input and Output as JSON text), `.sync:2` (as JSON), or the plain
//! call's `ExecutionArn` and `StartDate`. The debugger runs the same child execution step
//! by step instead ([`ChildStart`], [`ChildStart::outcome`]).

use crate::asl::model::Machine;
use crate::engine::{Config, Execution, Failure, Status, Step, TaskOutcome, TaskRequest};
use crate::json;
use crate::json::Value;
use crate::project::Target;
use std::sync::Arc;

/// A state machine a parent may start.
#[derive(Debug, Clone)]
pub struct Child {
    /// Glob over the state machine's ARN or name (`*order-child*`).
    pub pattern: String,
    pub machine: Arc<Machine>,
    /// Its name, for its executions' ARNs and context.
    pub name: String,
    /// Where its definition comes from (the debugger opens it to show and watch it).
    pub target: Target,
}

/// How deep children may nest (a state machine that starts itself stops here).
pub const MAX_DEPTH: usize = 8;

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

/// A child execution as `req` starts it: its input and configuration, and what the
/// parent's task gets back once it has run.
#[derive(Debug, Clone)]
pub struct ChildStart {
    pub input: Value,
    pub config: Config,
    /// The parent waits for the child's end (`.sync`, `.sync:2`), or only for its start.
    pub waits: bool,
    /// `.sync:2`: Input and Output as JSON rather than JSON text.
    pub json_fields: bool,
    pub state_machine_arn: String,
}

impl ChildStart {
    /// What `req` starts when it runs `child` for a parent configured so.
    pub fn of(req: &TaskRequest, child: &Child, parent: &Config) -> ChildStart {
        let integration =
            crate::integrations::services::integration_of(&req.resource).unwrap_or("");
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
        let config = Config {
            state_machine_name: name.clone(),
            execution_name,
            start_time_ms: req.scheduled_ms,
            ..parent.clone()
        };
        ChildStart {
            state_machine_arn: format!(
                "arn:aws:states:{}:{}:stateMachine:{name}",
                config.region, config.account
            ),
            input,
            config,
            waits: integration.contains(".sync"),
            json_fields: integration.ends_with(":2"),
        }
    }

    /// The parent task's result now that `ex`, the child execution, stopped where it is
    /// (its end, or a task nobody here answers).
    pub fn outcome(&self, ex: &Execution, stopped_at: Option<&TaskRequest>) -> TaskOutcome {
        let start = self.config.start_time_ms;
        let execution_arn = self.config.execution_arn();
        let name = &self.config.state_machine_name;
        let execution_name = &self.config.execution_name;
        if !self.waits {
            // The plain call returns at once: the child's own run does not change it.
            return TaskOutcome::Success(
                json!({"ExecutionArn": execution_arn, "StartDate": start}),
            );
        }
        let as_field = |v: &Value| {
            if self.json_fields {
                v.clone()
            } else {
                Value::from(crate::expr::compact(v))
            }
        };
        let mut described = json!({
            "ExecutionArn": execution_arn,
            "Input": as_field(&self.input),
            "InputDetails": {"Included": true},
            "Name": execution_name,
            "StartDate": start,
            "StateMachineArn": self.state_machine_arn,
            "StopDate": ex.clock(),
        });
        match ex.status() {
            Status::Succeeded { output } => {
                described["Output"] = as_field(output);
                described["OutputDetails"] = json!({"Included": true});
                described["Status"] = json!("SUCCEEDED");
                TaskOutcome::Success(described)
            }
            Status::Failed { error, cause } | Status::TimedOut { error, cause } => {
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
            _ => TaskOutcome::Failure(Failure::new(
                "States.TaskFailed",
                match stopped_at {
                    Some(t) => format!(
                        "the child execution {execution_name} of {name} waits for its task '{}', which nobody here answers",
                        t.state
                    ),
                    None => {
                        format!("the child execution {execution_name} of {name} could not finish")
                    }
                },
            )),
        }
    }
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
        return too_deep();
    }
    let start = ChildStart::of(req, child, parent);
    // The plain call returns at once; the child runs on its own (here: to its end, so its
    // effects happen, but the parent does not wait for its result).
    let mut ex = Execution::new(
        child.machine.clone(),
        start.input.clone(),
        start.config.clone(),
    );
    let end = ex.run_with(&mut *answer);
    let stopped_at = match &end {
        Step::Task(t) => Some(t.as_ref()),
        _ => None,
    };
    start.outcome(&ex, stopped_at)
}

/// The failure of a start nested too deep (a state machine that starts itself).
pub fn too_deep() -> TaskOutcome {
    TaskOutcome::Failure(Failure::new(
        "States.Runtime",
        format!("child executions nest deeper than {MAX_DEPTH} levels"),
    ))
}
