//! An execution recorded on AWS, read from what people have: the JSON that `aws
//! stepfunctions get-execution-history --output json` prints (one page or several pages
//! concatenated, `--reverse-order` too), a bare list of events, the SDK's JSON, or an
//! EXPRESS execution's CloudWatch Logs records.
//!
//! Events come out in AWS's shape (`{"id", "previousEventId", "type", "timestamp",
//! "<kind>EventDetails"}`) in ascending id order, with `input`, `output`, `parameters` and
//! `cause` as JSON text, whichever way the file had them, so a recording and a local
//! history compare field by field.

use crate::engine::history::EventKind;
use crate::engine::time;
use crate::json;
use crate::json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A history is read whole; this is the most read (a STANDARD execution's 25,000 events
/// with large payloads stay well under it).
pub const MAX_HISTORY_BYTES: u64 = 256 * 1024 * 1024;

/// Why a file is not a history stepdbg can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RecordingError {
    pub path: String,
    pub message: String,
}

/// An execution as AWS recorded it.
#[derive(Debug, Clone)]
pub struct Recording {
    pub path: PathBuf,
    /// AWS's events, ascending ids.
    pub events: Vec<Value>,
    /// What the person should know about the file (gaps, unknown events, truncated
    /// payloads), each a sentence.
    pub warnings: Vec<String>,
    /// The execution's ARN, when the file names it (CloudWatch Logs records do).
    pub execution_arn: Option<String>,
}

/// The details object of an AWS history event (its `...EventDetails`), or null.
pub fn details(event: &Value) -> &Value {
    event
        .as_object()
        .and_then(|m| {
            m.iter()
                .find(|(k, _)| k.ends_with("EventDetails"))
                .map(|(_, v)| v)
        })
        .unwrap_or(&Value::Null)
}

/// An event's `type`.
pub fn kind(event: &Value) -> &str {
    event.get("type").and_then(Value::as_str).unwrap_or("")
}

/// An event's `id`.
pub fn id(event: &Value) -> u64 {
    event.get("id").and_then(Value::as_u64).unwrap_or(0)
}

/// A details field holding JSON text (`input`, `output`, ...), parsed; None when absent
/// or not JSON (a truncated payload).
pub fn json_field(event: &Value, field: &str) -> Option<Value> {
    match details(event).get(field)? {
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

/// A details string field (`name`, `error`, `cause`).
pub fn text_field<'a>(event: &'a Value, field: &str) -> Option<&'a str> {
    details(event).get(field).and_then(Value::as_str)
}

/// The details key AWS uses for an event type.
fn details_key(kind: &str) -> String {
    if kind.ends_with("StateEntered") {
        "stateEnteredEventDetails".into()
    } else if kind.ends_with("StateExited") {
        "stateExitedEventDetails".into()
    } else {
        let mut c = kind.chars();
        let first = c.next().map(|f| f.to_lowercase().collect::<String>());
        format!("{}{}EventDetails", first.unwrap_or_default(), c.as_str())
    }
}

/// The event types that end an execution.
pub const TERMINAL: &[&str] = &[
    "ExecutionSucceeded",
    "ExecutionFailed",
    "ExecutionAborted",
    "ExecutionTimedOut",
];

impl Recording {
    /// Read the history at `path`.
    pub fn load(path: &Path) -> Result<Recording, RecordingError> {
        use crate::shell::read;
        let text =
            read::text(path, MAX_HISTORY_BYTES, read::Kind::Any).map_err(|e| RecordingError {
                path: path.display().to_string(),
                message: format!("cannot read the history: it {e}"),
            })?;
        Recording::parse(path, &text)
    }

    /// Read a history from `text` (`path` names it in messages).
    pub fn parse(path: &Path, text: &str) -> Result<Recording, RecordingError> {
        let err = |message: String| RecordingError {
            path: path.display().to_string(),
            message,
        };
        let mut raw = Vec::new();
        let mut express_log = false;
        let mut execution_arn = None;
        let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        for value in stream {
            let value = value.map_err(|e| {
                err(format!(
                    "not JSON at line {}, column {}: {e} (expected what `aws stepfunctions \
                     get-execution-history --output json` prints)",
                    e.line(),
                    e.column()
                ))
            })?;
            collect(value, &mut raw, &mut express_log, &mut execution_arn).map_err(&err)?;
        }
        if raw.is_empty() {
            return Err(err(
                "holds no history events (expected what `aws stepfunctions \
                 get-execution-history --execution-arn ARN --output json` prints: {\"events\": [...]})"
                    .into(),
            ));
        }
        let mut warnings = Vec::new();
        if express_log {
            warnings.push(
                "this is an EXPRESS execution's CloudWatch Logs record, not an execution \
                 history: AWS keeps no full history for EXPRESS executions, and a log holds \
                 only what its logging level (ALL, ERROR, FATAL) and includeExecutionData let \
                 it write; what it holds is replayed"
                    .to_string(),
            );
        }
        let events = normalize(raw, &mut warnings).map_err(&err)?;
        Ok(Recording {
            path: path.to_path_buf(),
            events,
            warnings,
            execution_arn,
        })
    }

    /// The execution's input (ExecutionStarted's), or None when the recording lacks it.
    pub fn input(&self) -> Option<Value> {
        self.events
            .iter()
            .find(|e| kind(e) == "ExecutionStarted")
            .and_then(|e| json_field(e, "input"))
    }

    /// When the execution started (ExecutionStarted's timestamp), in epoch milliseconds.
    pub fn start_ms(&self) -> Option<i64> {
        let e = self.events.first()?;
        e.get("timestamp").and_then(timestamp_ms)
    }

    /// The event that ended the execution, if the recording reaches it.
    pub fn end(&self) -> Option<&Value> {
        self.events
            .iter()
            .rev()
            .find(|e| TERMINAL.contains(&kind(e)))
    }

    /// The recorded result as `run` prints one: `{"status", "output" | "error", "cause"}`.
    pub fn status_json(&self) -> Value {
        let Some(end) = self.end() else {
            return json!({"status": "RUNNING"});
        };
        match kind(end) {
            "ExecutionSucceeded" => {
                json!({"status": "SUCCEEDED", "output": json_field(end, "output").unwrap_or(Value::Null)})
            }
            k => {
                let status = match k {
                    "ExecutionFailed" => "FAILED",
                    "ExecutionAborted" => "ABORTED",
                    _ => "TIMED_OUT",
                };
                let mut v = json!({"status": status});
                for f in ["error", "cause"] {
                    if let Some(s) = text_field(end, f) {
                        v[f] = json!(s);
                    }
                }
                v
            }
        }
    }

    /// The state names the recording enters.
    pub fn state_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .events
            .iter()
            .filter(|e| kind(e).ends_with("StateEntered"))
            .filter_map(|e| text_field(e, "name").map(str::to_string))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Epoch milliseconds of a timestamp as the CLI prints it (RFC 3339) or as epoch seconds.
fn timestamp_ms(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => time::parse_timestamp(s).map(|t| t.timestamp_millis()),
        Value::Number(n) => n.as_f64().map(|s| (s * 1000.0) as i64),
        _ => None,
    }
}

/// Gather the events of one JSON value of the file: a page, a list, an event or a log record.
fn collect(
    value: Value,
    raw: &mut Vec<Value>,
    express_log: &mut bool,
    execution_arn: &mut Option<String>,
) -> Result<(), String> {
    match value {
        Value::Array(items) => {
            for item in items {
                collect(item, raw, express_log, execution_arn)?;
            }
            Ok(())
        }
        Value::Object(mut m) => {
            if let Some(Value::Array(events)) = m.remove("events") {
                for e in events {
                    collect(e, raw, express_log, execution_arn)?;
                }
                return Ok(());
            }
            // `aws logs filter-log-events`: each record's message is the JSON log line.
            if let Some(Value::String(message)) = m.get("message")
                && let Ok(record) = serde_json::from_str::<Value>(message)
                && record.is_object()
            {
                return collect(record, raw, express_log, execution_arn);
            }
            if m.contains_key("execution_arn") && m.contains_key("type") {
                *express_log = true;
                if execution_arn.is_none() {
                    *execution_arn = m
                        .get("execution_arn")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                }
                raw.push(from_log_record(m));
                return Ok(());
            }
            if m.contains_key("type") {
                raw.push(Value::Object(m));
                return Ok(());
            }
            if m.contains_key("definition") && m.contains_key("stateMachineArn") {
                return Err(
                    "this is a state machine's description, not an execution history: \
                     give it with --definition, and the history as the file"
                        .into(),
                );
            }
            if m.contains_key("executionArn") && m.contains_key("status") {
                return Err(
                    "this is `describe-execution` output, not an execution history: \
                     `aws stepfunctions get-execution-history --execution-arn ARN --output json` \
                     prints the history"
                        .into(),
                );
            }
            Err(format!(
                "expected history events ({{\"events\": [...]}}, as `aws stepfunctions \
                 get-execution-history` prints), found an object with keys {}",
                m.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        }
        other => Err(format!(
            "expected history events ({{\"events\": [...]}}), found {}",
            crate::expr::json_type_name(&other)
        )),
    }
}

/// A CloudWatch Logs record of an EXPRESS execution as a history event.
fn from_log_record(m: Map) -> Value {
    let number = |k: &str| match m.get(k) {
        Some(Value::String(s)) => s.parse::<u64>().ok().map(Value::from),
        Some(v @ Value::Number(_)) => Some(v.clone()),
        _ => None,
    };
    let kind = m
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut e = json!({
        "id": number("id").unwrap_or(Value::Null),
        "previousEventId": number("previous_event_id").unwrap_or(json!(0)),
        "type": kind,
    });
    if let Some(ms) = number("event_timestamp").and_then(|v| v.as_i64()) {
        e["timestamp"] = json!(time::format_millis(ms));
    }
    if let Some(d) = m
        .get("details")
        .filter(|d| d.as_object().is_some_and(|o| !o.is_empty()))
    {
        e[details_key(&kind)] = d.clone();
    }
    e
}

/// Check each event, order them by id, put payloads in AWS's JSON-text form, and say what
/// is missing or odd.
fn normalize(raw: Vec<Value>, warnings: &mut Vec<String>) -> Result<Vec<Value>, String> {
    let mut by_id: BTreeMap<u64, Value> = BTreeMap::new();
    let mut ids = Vec::with_capacity(raw.len());
    let mut unknown: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut truncated = Vec::new();
    let mut conflicting = Vec::new();
    for (n, mut e) in raw.into_iter().enumerate() {
        let id = match e.get("id") {
            Some(Value::Number(x)) => x.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| format!("event {} of the file has no numeric id", n + 1))?;
        let Some(kind) = e.get("type").and_then(Value::as_str).map(str::to_string) else {
            return Err(format!("event {id} has no type"));
        };
        e["id"] = json!(id);
        let prev = match e.get("previousEventId") {
            Some(Value::Number(x)) => x.as_u64().unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        e["previousEventId"] = json!(prev);
        if !EventKind::ALL.iter().any(|k| k.as_str() == kind) {
            unknown.entry(kind.clone()).or_default().push(id);
        }
        if let Some(d) = e
            .as_object_mut()
            .and_then(|m| m.iter_mut().find(|(k, _)| k.ends_with("EventDetails")))
            .and_then(|(_, d)| d.as_object_mut())
        {
            for field in ["input", "output", "parameters", "cause"] {
                if let Some(v) = d.get_mut(field)
                    && !v.is_string()
                {
                    *v = json!(v.to_string());
                }
            }
            if ["inputDetails", "outputDetails", "parametersDetails"]
                .iter()
                .any(|k| d.get(*k).and_then(|x| x.get("truncated")) == Some(&json!(true)))
            {
                truncated.push(id);
            }
        }
        ids.push(id);
        if let Some(old) = by_id.get(&id) {
            if *old != e {
                conflicting.push(id);
            }
            continue;
        }
        by_id.insert(id, e);
    }
    let ascending = ids.windows(2).all(|w| w[0] <= w[1]);
    let descending = ids.windows(2).all(|w| w[0] >= w[1]);
    if !ascending && !descending {
        warnings.push("the events are out of order: they are taken in id order".into());
    }
    if !conflicting.is_empty() {
        warnings.push(format!(
            "events {} appear twice with different contents: the first of each is kept",
            id_list(&conflicting)
        ));
    }
    let events: Vec<Value> = by_id.into_values().collect();
    let missing: Vec<u64> = {
        let have: std::collections::BTreeSet<u64> = events.iter().map(id).collect();
        let last = have.last().copied().unwrap_or(0);
        (1..=last).filter(|i| !have.contains(i)).collect()
    };
    if !missing.is_empty() {
        warnings.push(format!(
            "events {} are missing (a page of the history left out?): what is there is replayed",
            id_list(&missing)
        ));
    }
    if events.first().map(kind) != Some("ExecutionStarted") {
        warnings.push(
            "the recording does not start with ExecutionStarted: the execution's input is \
             unknown, so {} is used"
                .into(),
        );
    }
    if !events.iter().any(|e| TERMINAL.contains(&kind(e))) {
        warnings.push(format!(
            "the recording ends at event {} without the execution's end (ExecutionSucceeded, \
             ExecutionFailed, ...): the execution was still running, or the history is cut; \
             what it holds is replayed",
            events.last().map_or(0, id)
        ));
    }
    for (kind, ids) in unknown {
        warnings.push(format!(
            "events {} have a type stepdbg does not know ({kind}, newer than this stepdbg?): \
             they are shown but not compared",
            id_list(&ids)
        ));
    }
    if !truncated.is_empty() {
        warnings.push(format!(
            "AWS truncated the payloads of events {} (over 256 KiB): those values are \
             incomplete, and a task answered by one is left for you to answer",
            id_list(&truncated)
        ));
    }
    Ok(events)
}

/// `3, 5-9, 12` for a sorted id list.
fn id_list(ids: &[u64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let start = ids[i];
        let mut end = start;
        while i + 1 < ids.len() && ids[i + 1] == end + 1 {
            i += 1;
            end = ids[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    if parts.len() > 12 {
        let n = parts.len() - 10;
        parts.truncate(10);
        parts.push(format!("and {n} more"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Recording, RecordingError> {
        Recording::parse(Path::new("h.json"), text)
    }

    const STARTED: &str = r#"{"id":1,"previousEventId":0,"type":"ExecutionStarted","timestamp":"2024-05-01T10:00:00.000Z","executionStartedEventDetails":{"input":"{\"a\":1}","inputDetails":{"truncated":false}}}"#;
    const SUCCEEDED: &str = r#"{"id":2,"previousEventId":1,"type":"ExecutionSucceeded","timestamp":"2024-05-01T10:00:01.000Z","executionSucceededEventDetails":{"output":"{\"a\":1}"}}"#;

    #[test]
    fn reads_cli_pages_concatenated_and_reversed() {
        let text =
            format!(r#"{{"events":[{SUCCEEDED}]}} {{"events":[{STARTED}],"nextToken":null}}"#);
        let r = parse(&text).unwrap();
        assert_eq!(r.events.iter().map(id).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(r.input(), Some(json!({"a": 1})));
        assert_eq!(
            r.status_json(),
            json!({"status": "SUCCEEDED", "output": {"a": 1}})
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.start_ms(), Some(1_714_557_600_000));
    }

    #[test]
    fn parsed_payloads_become_json_text() {
        let r = parse(r#"[{"id":1,"previousEventId":0,"type":"ExecutionStarted","executionStartedEventDetails":{"input":{"a":[1]}}}]"#).unwrap();
        assert_eq!(text_field(&r.events[0], "input"), Some(r#"{"a":[1]}"#));
    }

    #[test]
    fn says_what_is_missing_or_unknown() {
        let r = parse(&format!(
            r#"{{"events":[{STARTED},{{"id":4,"previousEventId":1,"type":"SomethingNew"}}]}}"#
        ))
        .unwrap();
        let all = r.warnings.join("\n");
        assert!(all.contains("events 2-3 are missing"), "{all}");
        assert!(all.contains("SomethingNew"), "{all}");
        assert!(all.contains("without the execution's end"), "{all}");
        assert_eq!(r.status_json(), json!({"status": "RUNNING"}));
    }

    #[test]
    fn refuses_what_is_not_a_history() {
        for (text, says) in [
            ("", "holds no history events"),
            ("{\"events\": [", "not JSON at line 1"),
            (
                "{\"stateMachineArn\":\"x\",\"definition\":\"{}\"}",
                "--definition",
            ),
            (
                "{\"executionArn\":\"x\",\"status\":\"FAILED\"}",
                "describe-execution",
            ),
            ("[{\"type\":\"ExecutionStarted\"}]", "no numeric id"),
            ("42", "found a number"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.message.contains(says), "{text}: {}", e.message);
        }
    }

    #[test]
    fn reads_express_log_records() {
        let line = |id: u64, prev: u64, kind: &str, details: Value| {
            json!({"id": id.to_string(), "previous_event_id": prev.to_string(), "type": kind,
                   "details": details, "event_timestamp": "1714557600000",
                   "execution_arn": "arn:aws:states:us-east-1:1:express:sm:run:1"})
            .to_string()
        };
        let text = [
            line(1, 0, "ExecutionStarted", json!({"input": "{}"})),
            line(
                2,
                1,
                "PassStateEntered",
                json!({"name": "P", "input": "{}"}),
            ),
        ]
        .join("\n");
        let r = parse(&text).unwrap();
        assert!(r.warnings[0].contains("EXPRESS"), "{:?}", r.warnings);
        assert_eq!(text_field(&r.events[1], "name"), Some("P"));
        assert!(r.events[1].get("stateEnteredEventDetails").is_some());
        assert_eq!(
            r.execution_arn.as_deref(),
            Some("arn:aws:states:us-east-1:1:express:sm:run:1")
        );
    }
}
