//! Inputs the fuzzers (fuzz/, see fuzz/README.md) found to crash stepdbg, replayed through
//! the same public API. Each test asserts only that stepdbg answers (no panic) and that the
//! answer makes sense; the exact AWS behaviour for such values is left to the engine.
//!
//! The first four were integer overflows on the virtual clock (milliseconds since the
//! epoch, an `i64`). They panic where overflow checks are on (debug builds, `cargo test`)
//! and, in a release build, wrap silently to a time in the past: a Wait or a retry back-off
//! that should last a very long time ends at once.
//!
//! The fifth is a panic in jsonata-core (a date-time picture marker starting with a
//! non-ASCII character), in every build.

use std::path::Path;
use std::sync::Arc;
use stepdbg::asl::{self, Definition};
use stepdbg::engine::{Config, Execution, Failure, Step, TaskOutcome};
use stepdbg::json;
use stepdbg::json::Value;

fn definition(v: Value) -> Definition {
    let def = asl::from_value(v);
    let errors: Vec<String> = def.errors().map(|d| d.one_line(&def.doc)).collect();
    assert!(errors.is_empty(), "the definition is valid: {errors:?}");
    def
}

/// Run to the end, answering every task with `answer`; time passes instantly.
fn run(def: &Definition, input: Value, mut answer: impl FnMut() -> TaskOutcome) -> Execution {
    let mut exec = Execution::new(Arc::new(def.machine.clone()), input, Config::default());
    for _ in 0..1_000 {
        match exec.run_with(|_| Some(answer())) {
            Step::Finished => return exec,
            Step::Blocked => panic!("nothing is left pending"),
            _ => {}
        }
    }
    panic!("the execution did not end: {:?}", exec.status());
}

/// fuzz target `run` (mode "whole definition"): `SecondsPath` read from the state's input
/// as a huge integer. `now + n * 1000` overflowed (src/engine/flow.rs, `fn wait`,
/// `WaitFor::Seconds(Dyn::Path(..))`).
#[test]
fn wait_seconds_path_near_i64_max_does_not_overflow() {
    for n in [i64::MAX, 9_223_372_036_854_775, 10_000_000_000_000_000] {
        let def = definition(json!({
            "StartAt": "P",
            "States": {
                "P": {"Type": "Pass", "Result": n, "ResultPath": "$.n", "Next": "W"},
                "W": {"Type": "Wait", "SecondsPath": "$.n", "End": true}
            }
        }));
        let exec = run(&def, json!({}), || unreachable!("no tasks"));
        assert!(exec.status().is_done(), "{n}: {:?}", exec.status());
    }
}

/// The same, with the seconds taken straight from the execution input.
#[test]
fn wait_seconds_path_from_the_execution_input_does_not_overflow() {
    let def = definition(json!({
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "SecondsPath": "$.delay", "End": true}}
    }));
    let exec = run(&def, json!({"delay": i64::MAX}), || {
        unreachable!("no tasks")
    });
    assert!(exec.status().is_done(), "{:?}", exec.status());
}

/// fuzz target `run` (mode "one state", JSONata): `Seconds` from a JSONata expression
/// giving 1e300. `(secs * 1000.0) as i64` saturates to i64::MAX and `now + that`
/// overflowed (src/engine/flow.rs, `fn wait`, `WaitFor::Seconds(..)`).
#[test]
fn wait_seconds_from_jsonata_1e300_does_not_overflow() {
    let def = definition(json!({
        "QueryLanguage": "JSONata",
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": "{% 1e300 %}", "End": true}}
    }));
    let exec = run(&def, json!({}), || unreachable!("no tasks"));
    assert!(exec.status().is_done(), "{:?}", exec.status());
}

/// fuzz target `run` (mode "one state"): a retrier whose back-off grows past i64::MAX
/// milliseconds (IntervalSeconds * BackoffRate^attempt). `until: now + delay_ms`
/// overflowed (src/engine/flow.rs, the Retry branch of task failure handling). With
/// BackoffRate 2 the same happens after about 53 retries, so a long-failing task with a
/// generous MaxAttempts and no MaxDelaySeconds reaches it too.
#[test]
fn retry_backoff_past_i64_max_does_not_overflow() {
    let def = definition(json!({
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                "Retry": [{
                    "ErrorEquals": ["States.ALL"],
                    "IntervalSeconds": 99999999,
                    "BackoffRate": 99999999,
                    "MaxAttempts": 3
                }],
                "End": true
            }
        }
    }));
    let mut calls = 0;
    let exec = run(&def, json!({}), || {
        calls += 1;
        TaskOutcome::Failure(Failure::new("States.TaskFailed", "always"))
    });
    assert_eq!(calls, 4, "one call and three retries");
    assert_eq!(exec.status().name(), "FAILED", "{:?}", exec.status());
}

/// The realistic shape of the same overflow: BackoffRate 2, no MaxDelaySeconds, a task
/// that keeps failing.
#[test]
fn retry_backoff_doubling_for_70_attempts_does_not_overflow() {
    let def = definition(json!({
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 70}],
                "End": true
            }
        }
    }));
    let exec = run(&def, json!({}), || {
        TaskOutcome::Failure(Failure::new("States.TaskFailed", "always"))
    });
    assert_eq!(exec.status().name(), "FAILED", "{:?}", exec.status());
}

/// fuzz target `session_file`: a saved session whose `startTime` is near i64::MAX. The
/// machine deadline computed `start_time_ms + EXPRESS_MAX_MS` eagerly (`then_some`) even
/// for STANDARD workflows, and overflowed on the first step of the replay
/// (src/engine/mod.rs, `fn machine_deadline`; `fn advance_to` repeats the sum). A journal
/// that moves the clock to i64::MAX (`advanceTo`) before a Wait is entered overflows in
/// `fn wait` instead (`now + seconds * 1000`).
#[test]
fn session_start_time_or_clock_near_i64_max_does_not_overflow() {
    use stepdbg::session::record::SessionFile;
    use stepdbg::session::{ManualResolver, Session, SessionOptions};
    let def = definition(json!({
        "StartAt": "Fetch",
        "States": {
            "Fetch": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                "Next": "Pause"
            },
            "Pause": {"Type": "Wait", "Seconds": 5, "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }
    }));
    let step = json!({"step": true});
    let resolve =
        json!({"resolve": {"task": 1, "state": "Fetch", "outcome": {"success": {"ok": true}}}});
    let advance = json!({"advanceTo": i64::MAX});
    let replay_then_advance = json!([step, step, resolve, step, step, advance, step, step]);
    let advance_then_wait = json!([step, advance, resolve, step, step, step]);
    let cases = [
        (json!(i64::MAX), &replay_then_advance),
        (json!(i64::MAX - 1_000), &replay_then_advance),
        (json!(i64::MIN), &replay_then_advance),
        (Value::Null, &advance_then_wait),
    ];
    for (start, journal) in cases {
        let mut file = json!({
            "format": "stepdbg-session/1",
            "input": {"a": 1},
            "journal": journal,
        });
        if !start.is_null() {
            file["startTime"] = start.clone();
        }
        let record: SessionFile =
            stepdbg::json::from_value(file).expect("a well-formed session file");
        let mut s = Session::from_definition(
            Path::new("fuzz.asl.json"),
            def.clone(),
            SessionOptions::default(),
            Box::new(ManualResolver),
        );
        // Either replayed or refused with a message; never a panic.
        let _ = s.load_record(record);
        let _ = s.step();
    }
}

/// A JSONata environment with no variables, a fixed clock and a counter for randomness.
struct NoEnv(u64);

impl stepdbg::expr::jsonata::JsonataEnv for NoEnv {
    fn variable(&self, _name: &str) -> Option<&Value> {
        None
    }
    fn context(&self) -> Option<&Value> {
        None
    }
    fn next_u64(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
    fn now_millis(&self) -> i64 {
        1_704_067_200_000
    }
}

/// Pictures whose `[...]` marker starts with a non-ASCII character.
const NON_ASCII_PICTURES: [&str; 5] = [
    "$fromMillis(0, '[é]')",
    "$now('[é]')",
    "$toMillis('0', '[é]')",
    "$fromMillis(0, '[é,2]')",
    "$toMillis('0', '[ÿÿ]')",
];

/// fuzz target `jsonata` (found as `$toMillis('!0s', 'SHA-3[\u{fffd}...`, minimised to
/// `$toMillis('0', '[é]')`): jsonata-core 2.2.13 slices the picture marker at byte 1
/// (`marker[1..]`, `marker[1..comma_idx]` in `analyse_date_time_picture`,
/// jsonata-core/src/datetime.rs:895 and :899), which panics when the marker's first
/// character takes more than one byte. `$fromMillis` and `$toMillis` both parse pictures
/// this way. The answer should be an error (or a value), never a panic.
#[test]
fn jsonata_date_time_picture_with_non_ascii_marker_does_not_panic() {
    use stepdbg::expr::jsonata::{self, JsonataExpr};
    for text in NON_ASCII_PICTURES {
        let expr = JsonataExpr::parse(text).expect("the expression parses");
        let result = jsonata::eval(&expr, jsonata::States::input(&json!({})), &mut NoEnv(0));
        if let Err(e) = result {
            assert_eq!(e.error, "States.QueryEvaluationError", "{text}: {e:?}");
        }
    }
}

/// The same inside a definition: the execution fails with a JSONata error (or succeeds),
/// and stepdbg itself does not panic.
#[test]
fn jsonata_date_time_picture_in_a_definition_does_not_panic() {
    for text in NON_ASCII_PICTURES {
        let def = definition(json!({
            "QueryLanguage": "JSONata",
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Output": format!("{{% {text} %}}"), "End": true}}
        }));
        let exec = run(&def, json!({}), || unreachable!("no tasks"));
        assert!(exec.status().is_done(), "{text}: {:?}", exec.status());
    }
}
