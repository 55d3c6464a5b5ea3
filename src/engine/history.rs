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
    /// The `<type>EventDetails` object (empty for events that have none).
    pub details: Value,
    /// The engine thread that produced it (0 is the top-level machine).
    pub thread: usize,
}

impl HistoryEvent {
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
        if !self.details.as_object().is_some_and(Map::is_empty) {
            m.insert(self.details_key(), self.details.clone());
        }
        Value::Object(m)
    }

    /// The state name in the details, when the event has one.
    pub fn state_name(&self) -> Option<&str> {
        self.details.get("name").and_then(Value::as_str)
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
