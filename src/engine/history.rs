//! Execution history in GetExecutionHistory's shape: numbered events, each linked to the
//! event before it on the same path of execution.

use super::time::format_millis;
use crate::json;
use crate::json::{Map, Value};

/// AWS's history event types (GetExecutionHistory's `type`), as one enum: the engine
/// writes them, the debugger colours and groups them, exports print [`EventKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    ActivityFailed,
    ActivityScheduled,
    ActivityScheduleFailed,
    ActivityStarted,
    ActivitySucceeded,
    ActivityTimedOut,
    ChoiceStateEntered,
    ChoiceStateExited,
    ExecutionAborted,
    ExecutionFailed,
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionTimedOut,
    ExecutionRedriven,
    FailStateEntered,
    FailStateExited,
    LambdaFunctionFailed,
    LambdaFunctionScheduled,
    LambdaFunctionScheduleFailed,
    LambdaFunctionStarted,
    LambdaFunctionStartFailed,
    LambdaFunctionSucceeded,
    LambdaFunctionTimedOut,
    MapIterationAborted,
    MapIterationFailed,
    MapIterationStarted,
    MapIterationSucceeded,
    MapRunAborted,
    MapRunFailed,
    MapRunRedriven,
    MapRunStarted,
    MapRunSucceeded,
    MapStateAborted,
    MapStateEntered,
    MapStateExited,
    MapStateFailed,
    MapStateStarted,
    MapStateSucceeded,
    ParallelStateAborted,
    ParallelStateEntered,
    ParallelStateExited,
    ParallelStateFailed,
    ParallelStateStarted,
    ParallelStateSucceeded,
    PassStateEntered,
    PassStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    TaskFailed,
    TaskScheduled,
    TaskStarted,
    TaskStartFailed,
    TaskStateAborted,
    TaskStateEntered,
    TaskStateExited,
    TaskSubmitFailed,
    TaskSubmitted,
    TaskSucceeded,
    TaskTimedOut,
    WaitStateAborted,
    WaitStateEntered,
    WaitStateExited,
    EvaluationFailed,
}

impl EventKind {
    pub const ALL: &[EventKind] = &[
        EventKind::ActivityFailed,
        EventKind::ActivityScheduled,
        EventKind::ActivityScheduleFailed,
        EventKind::ActivityStarted,
        EventKind::ActivitySucceeded,
        EventKind::ActivityTimedOut,
        EventKind::ChoiceStateEntered,
        EventKind::ChoiceStateExited,
        EventKind::ExecutionAborted,
        EventKind::ExecutionFailed,
        EventKind::ExecutionStarted,
        EventKind::ExecutionSucceeded,
        EventKind::ExecutionTimedOut,
        EventKind::ExecutionRedriven,
        EventKind::FailStateEntered,
        EventKind::FailStateExited,
        EventKind::LambdaFunctionFailed,
        EventKind::LambdaFunctionScheduled,
        EventKind::LambdaFunctionScheduleFailed,
        EventKind::LambdaFunctionStarted,
        EventKind::LambdaFunctionStartFailed,
        EventKind::LambdaFunctionSucceeded,
        EventKind::LambdaFunctionTimedOut,
        EventKind::MapIterationAborted,
        EventKind::MapIterationFailed,
        EventKind::MapIterationStarted,
        EventKind::MapIterationSucceeded,
        EventKind::MapRunAborted,
        EventKind::MapRunFailed,
        EventKind::MapRunRedriven,
        EventKind::MapRunStarted,
        EventKind::MapRunSucceeded,
        EventKind::MapStateAborted,
        EventKind::MapStateEntered,
        EventKind::MapStateExited,
        EventKind::MapStateFailed,
        EventKind::MapStateStarted,
        EventKind::MapStateSucceeded,
        EventKind::ParallelStateAborted,
        EventKind::ParallelStateEntered,
        EventKind::ParallelStateExited,
        EventKind::ParallelStateFailed,
        EventKind::ParallelStateStarted,
        EventKind::ParallelStateSucceeded,
        EventKind::PassStateEntered,
        EventKind::PassStateExited,
        EventKind::SucceedStateEntered,
        EventKind::SucceedStateExited,
        EventKind::TaskFailed,
        EventKind::TaskScheduled,
        EventKind::TaskStarted,
        EventKind::TaskStartFailed,
        EventKind::TaskStateAborted,
        EventKind::TaskStateEntered,
        EventKind::TaskStateExited,
        EventKind::TaskSubmitFailed,
        EventKind::TaskSubmitted,
        EventKind::TaskSucceeded,
        EventKind::TaskTimedOut,
        EventKind::WaitStateAborted,
        EventKind::WaitStateEntered,
        EventKind::WaitStateExited,
        EventKind::EvaluationFailed,
    ];

    /// AWS's name, e.g. `TaskStateEntered`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ActivityFailed => "ActivityFailed",
            EventKind::ActivityScheduled => "ActivityScheduled",
            EventKind::ActivityScheduleFailed => "ActivityScheduleFailed",
            EventKind::ActivityStarted => "ActivityStarted",
            EventKind::ActivitySucceeded => "ActivitySucceeded",
            EventKind::ActivityTimedOut => "ActivityTimedOut",
            EventKind::ChoiceStateEntered => "ChoiceStateEntered",
            EventKind::ChoiceStateExited => "ChoiceStateExited",
            EventKind::ExecutionAborted => "ExecutionAborted",
            EventKind::ExecutionFailed => "ExecutionFailed",
            EventKind::ExecutionStarted => "ExecutionStarted",
            EventKind::ExecutionSucceeded => "ExecutionSucceeded",
            EventKind::ExecutionTimedOut => "ExecutionTimedOut",
            EventKind::ExecutionRedriven => "ExecutionRedriven",
            EventKind::FailStateEntered => "FailStateEntered",
            EventKind::FailStateExited => "FailStateExited",
            EventKind::LambdaFunctionFailed => "LambdaFunctionFailed",
            EventKind::LambdaFunctionScheduled => "LambdaFunctionScheduled",
            EventKind::LambdaFunctionScheduleFailed => "LambdaFunctionScheduleFailed",
            EventKind::LambdaFunctionStarted => "LambdaFunctionStarted",
            EventKind::LambdaFunctionStartFailed => "LambdaFunctionStartFailed",
            EventKind::LambdaFunctionSucceeded => "LambdaFunctionSucceeded",
            EventKind::LambdaFunctionTimedOut => "LambdaFunctionTimedOut",
            EventKind::MapIterationAborted => "MapIterationAborted",
            EventKind::MapIterationFailed => "MapIterationFailed",
            EventKind::MapIterationStarted => "MapIterationStarted",
            EventKind::MapIterationSucceeded => "MapIterationSucceeded",
            EventKind::MapRunAborted => "MapRunAborted",
            EventKind::MapRunFailed => "MapRunFailed",
            EventKind::MapRunRedriven => "MapRunRedriven",
            EventKind::MapRunStarted => "MapRunStarted",
            EventKind::MapRunSucceeded => "MapRunSucceeded",
            EventKind::MapStateAborted => "MapStateAborted",
            EventKind::MapStateEntered => "MapStateEntered",
            EventKind::MapStateExited => "MapStateExited",
            EventKind::MapStateFailed => "MapStateFailed",
            EventKind::MapStateStarted => "MapStateStarted",
            EventKind::MapStateSucceeded => "MapStateSucceeded",
            EventKind::ParallelStateAborted => "ParallelStateAborted",
            EventKind::ParallelStateEntered => "ParallelStateEntered",
            EventKind::ParallelStateExited => "ParallelStateExited",
            EventKind::ParallelStateFailed => "ParallelStateFailed",
            EventKind::ParallelStateStarted => "ParallelStateStarted",
            EventKind::ParallelStateSucceeded => "ParallelStateSucceeded",
            EventKind::PassStateEntered => "PassStateEntered",
            EventKind::PassStateExited => "PassStateExited",
            EventKind::SucceedStateEntered => "SucceedStateEntered",
            EventKind::SucceedStateExited => "SucceedStateExited",
            EventKind::TaskFailed => "TaskFailed",
            EventKind::TaskScheduled => "TaskScheduled",
            EventKind::TaskStarted => "TaskStarted",
            EventKind::TaskStartFailed => "TaskStartFailed",
            EventKind::TaskStateAborted => "TaskStateAborted",
            EventKind::TaskStateEntered => "TaskStateEntered",
            EventKind::TaskStateExited => "TaskStateExited",
            EventKind::TaskSubmitFailed => "TaskSubmitFailed",
            EventKind::TaskSubmitted => "TaskSubmitted",
            EventKind::TaskSucceeded => "TaskSucceeded",
            EventKind::TaskTimedOut => "TaskTimedOut",
            EventKind::WaitStateAborted => "WaitStateAborted",
            EventKind::WaitStateEntered => "WaitStateEntered",
            EventKind::WaitStateExited => "WaitStateExited",
            EventKind::EvaluationFailed => "EvaluationFailed",
        }
    }

    /// The kind AWS names so; None for a type this version does not know.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }

    /// `*StateEntered`: a state was entered (its details carry the input).
    pub fn is_state_entered(self) -> bool {
        self.as_str().ends_with("StateEntered")
    }

    /// `*StateExited`: a state was left (its details carry the output).
    pub fn is_state_exited(self) -> bool {
        self.as_str().ends_with("StateExited")
    }

    /// Something failed, timed out or was aborted.
    pub fn is_failure(self) -> bool {
        let s = self.as_str();
        s.ends_with("Failed") || s.ends_with("TimedOut") || s.ends_with("Aborted")
    }

    /// Something succeeded.
    pub fn is_success(self) -> bool {
        self.as_str().ends_with("Succeeded")
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    /// Virtual-clock time, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// AWS's event type, e.g. `TaskStateEntered`.
    pub kind: EventKind,
    /// What the event carries; see [`HistoryEvent::details`] for AWS's JSON form.
    pub data: EventData,
    /// The engine thread that produced it (0 is the top-level machine).
    pub thread: usize,
    /// Inside a Distributed Map's run: on AWS such events are in the child executions'
    /// histories, not this one (the debugger shows them; exports leave them out).
    pub in_map_run: bool,
}

/// An event's details, kept typed so that recording history stays cheap; the JSON that
/// GetExecutionHistory shows is built only when asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    /// `*StateEntered` (payload is the input) and `*StateExited` (the output).
    State {
        name: std::sync::Arc<str>,
        payload: std::sync::Arc<Value>,
        /// On an exit event: what the state's Assign assigned.
        assigned: Option<Box<crate::json::Map>>,
    },
    /// `MapIteration{Started,Succeeded,Failed,Aborted}`: the Map state and the item's index
    /// (typed: a Map over 10,000 items writes 20,000 of them).
    MapIteration {
        name: std::sync::Arc<str>,
        index: usize,
    },
    /// Any other event's details object (boxed: the state events, the common ones, are
    /// smaller than a JSON value).
    Json(Box<Value>),
}

impl HistoryEvent {
    /// The `<type>EventDetails` object as AWS shows it (payloads as JSON text).
    pub fn details(&self) -> Value {
        match &self.data {
            EventData::State {
                name,
                payload,
                assigned,
            } => {
                let text = serde_json::to_string(&**payload).unwrap_or_default();
                if self.kind.is_state_entered() {
                    json!({"name": name, "input": text, "inputDetails": {"truncated": false}})
                } else {
                    let mut d = json!({"name": name, "output": text, "outputDetails": {"truncated": false}});
                    // Each value as JSON text, as AWS writes them.
                    if let Some(vars) = assigned {
                        let shown: crate::json::Map = vars
                            .iter()
                            .map(|(k, v)| (k.clone(), Value::from(crate::expr::compact(v))))
                            .collect();
                        d["assignedVariables"] = Value::Object(shown);
                        d["assignedVariablesDetails"] = json!({"truncated": false});
                    }
                    d
                }
            }
            EventData::MapIteration { name, index } => json!({"name": &**name, "index": index}),
            EventData::Json(v) => (**v).clone(),
        }
    }

    /// A state event's input or output, as a value.
    pub fn payload(&self) -> Option<&Value> {
        match &self.data {
            EventData::State { payload, .. } => Some(&**payload),
            EventData::MapIteration { .. } | EventData::Json(_) => None,
        }
    }

    /// The name of the details field, e.g. `taskStateEnteredEventDetails`. AWS groups the
    /// per-type state events under shared names.
    pub fn details_key(&self) -> String {
        if self.kind.is_state_entered() {
            "stateEnteredEventDetails".into()
        } else if self.kind.is_state_exited() {
            "stateExitedEventDetails".into()
        } else {
            format!("{}EventDetails", lower_first(self.kind.as_str()))
        }
    }

    /// The event as GetExecutionHistory returns it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("timestamp", json!(format_millis(self.timestamp_ms)));
        m.insert("type", json!(self.kind.as_str()));
        m.insert("id", json!(self.id));
        m.insert("previousEventId", json!(self.previous_event_id));
        let details = self.details();
        // Empty details are left out, except where AWS writes them anyway.
        if !details.as_object().is_some_and(Map::is_empty)
            || self.kind == EventKind::ExecutionFailed
        {
            m.insert(self.details_key(), details);
        }
        Value::Object(m)
    }

    /// The state name in the details, when the event has one.
    pub fn state_name(&self) -> Option<&str> {
        match &self.data {
            EventData::State { name, .. } | EventData::MapIteration { name, .. } => Some(name),
            EventData::Json(v) => v.get("name").and_then(Value::as_str),
        }
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `{"events": [...]}` for `--history`.
/// The history as GetExecutionHistory gives it: a Distributed Map's iterations are not in
/// it (they run as child executions), so their events are left out and the others
/// renumbered, their links following.
pub fn to_json(events: &[HistoryEvent]) -> Value {
    let mut new_id: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for e in events.iter().filter(|e| !e.in_map_run) {
        let id = out.len() as u64 + 1;
        new_id.insert(e.id, id);
        let mut v = e.to_json();
        v["id"] = json!(id);
        v["previousEventId"] = json!(new_id.get(&e.previous_event_id).copied().unwrap_or(0));
        out.push(v);
    }
    json!({ "events": out })
}
