//! Execution history in GetExecutionHistory's shape: numbered events, each linked to the
//! event before it on the same path of execution.

use super::time::format_millis;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    /// Virtual-clock time, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// AWS's event type, e.g. `TaskStateEntered`.
    pub kind: &'static str,
    /// What the event carries; see [`HistoryEvent::details`] for AWS's JSON form.
    pub data: EventData,
    /// The engine thread that produced it (0 is the top-level machine).
    pub thread: usize,
}

/// An event's details, kept typed so that recording history stays cheap; the JSON that
/// GetExecutionHistory shows is built only when asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    /// `*StateEntered` (payload is the input) and `*StateExited` (the output).
    State {
        name: String,
        payload: std::sync::Arc<Value>,
    },
    /// Any other event's details object.
    Json(Value),
}

impl HistoryEvent {
    /// The `<type>EventDetails` object as AWS shows it (payloads as JSON text).
    pub fn details(&self) -> Value {
        match &self.data {
            EventData::State { name, payload } => {
                let text = serde_json::to_string(&**payload).unwrap_or_default();
                if self.kind.ends_with("StateEntered") {
                    json!({"name": name, "input": text, "inputDetails": {"truncated": false}})
                } else {
                    json!({"name": name, "output": text, "outputDetails": {"truncated": false}})
                }
            }
            EventData::Json(v) => v.clone(),
        }
    }

    /// A state event's input or output, as a value.
    pub fn payload(&self) -> Option<&Value> {
        match &self.data {
            EventData::State { payload, .. } => Some(&**payload),
            EventData::Json(_) => None,
        }
    }

    /// The name of the details field, e.g. `taskStateEnteredEventDetails`. AWS groups the
    /// per-type state events under shared names.
    pub fn details_key(&self) -> String {
        if self.kind.ends_with("StateEntered") {
            "stateEnteredEventDetails".into()
        } else if self.kind.ends_with("StateExited") {
            "stateExitedEventDetails".into()
        } else {
            format!("{}EventDetails", lower_first(self.kind))
        }
    }

    /// The event as GetExecutionHistory returns it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("timestamp".into(), json!(format_millis(self.timestamp_ms)));
        m.insert("type".into(), json!(self.kind));
        m.insert("id".into(), json!(self.id));
        m.insert("previousEventId".into(), json!(self.previous_event_id));
        let details = self.details();
        if !details.as_object().is_some_and(Map::is_empty) {
            m.insert(self.details_key(), details);
        }
        Value::Object(m)
    }

    /// The state name in the details, when the event has one.
    pub fn state_name(&self) -> Option<&str> {
        match &self.data {
            EventData::State { name, .. } => Some(name),
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
pub fn to_json(events: &[HistoryEvent]) -> Value {
    json!({ "events": events.iter().map(HistoryEvent::to_json).collect::<Vec<_>>() })
}
