//! Production executions, locally: `stepdbg replay` and `stepdbg mocks-from-history` on
//! histories real AWS recorded (tests/data/conformance/histories, converted to what `aws
//! stepfunctions get-execution-history` prints) and on the production sample
//! (samples/production), what-if edits, bad input, and the debugger's replay mode.

use assert_cmd::Command;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::{BTreeMap, HashMap};
use stepdbg::json;
use stepdbg::json::Value;

mod known;
use std::path::{Path, PathBuf};
use stepdbg::cli::replay::{RecordingArgs, ReplayArgs};
use stepdbg::engine::Config;
use stepdbg::session::replay::{self, Recording};
use stepdbg::tui::{App, Msg};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn production() -> PathBuf {
    root().join("samples/production")
}

fn stepdbg() -> Command {
    Command::cargo_bin("stepdbg").unwrap()
}

// ----- the recorded corpus, as the AWS CLI prints it -----------------------------------------

/// A LocalStack-recorded history as `get-execution-history --output json` prints it:
/// timestamps, payloads as JSON text, and the case's names where LocalStack put
/// placeholders in ARNs (its function names become the case's `conformance-fn-N`).
fn as_cli_prints_it(recorded: &Value) -> Value {
    let raw = recorded.to_string();
    let mut functions: HashMap<String, String> = HashMap::new();
    let mut events = Vec::new();
    for e in recorded["events"].as_array().unwrap() {
        let mut e = names_of_the_case(e, &mut functions);
        if let Some(id) = e["id"].as_u64() {
            e["timestamp"] = json!(format!(
                "2024-05-01T10:{:02}:{:02}.000000+00:00",
                id / 60 % 60,
                id % 60
            ));
        }
        for (k, d) in e.as_object_mut().unwrap().iter_mut() {
            let Some(d) = d.as_object_mut().filter(|_| k.ends_with("EventDetails")) else {
                continue;
            };
            for f in ["input", "output", "parameters"] {
                if let Some(v) = d.get_mut(f).filter(|v| !v.is_string()) {
                    *v = json!(v.to_string());
                }
            }
            // LocalStack parsed causes that hold JSON: write them back as the recording's
            // other events quote them (a Python function's spacing, or compact).
            if let Some(v) = d.get_mut("cause").filter(|v| !v.is_string()) {
                let compact = v.to_string();
                let spaced = python_spacing(v);
                let quoted = |s: &str| json!(s).to_string().trim_matches('"').to_string();
                *v = json!(if raw.contains(&quoted(&compact)) {
                    compact
                } else {
                    spaced
                });
            }
        }
        events.push(e);
    }
    json!({ "events": events })
}

/// `json.dumps(v)` as Python writes it (`", "` and `": "`).
fn python_spacing(v: &Value) -> String {
    match v {
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| format!("{}: {}", json!(k), python_spacing(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_spacing).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

fn names_of_the_case(v: &Value, functions: &mut HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => json!(fix_arn_text(s, functions)),
        Value::Array(a) => {
            Value::Array(a.iter().map(|x| names_of_the_case(x, functions)).collect())
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), names_of_the_case(x, functions)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn fix_arn_text(s: &str, functions: &mut HashMap<String, String>) -> String {
    let s = s
        .replace("<partition>", "aws")
        .replace("<region>", "us-east-1");
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(at) = rest.find(":function:") {
        out.push_str(&rest[..at + ":function:".len()]);
        rest = &rest[at + ":function:".len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "<>_-".contains(c)))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        let placeholder = name.starts_with('<')
            || (name.starts_with("lambda") && name.ends_with("name") && name.contains("function"));
        if placeholder {
            let n = functions.len() + 1;
            let fixed = functions
                .entry(name.to_string())
                .or_insert_with(|| format!("conformance-fn-{n}"));
            out.push_str(fixed);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Every recorded history with its case's definition: (group/name, CLI-shaped history,
/// definition).
fn corpus() -> Vec<(String, Value, Value)> {
    let data = root().join("tests/data/conformance");
    let mut out = Vec::new();
    let mut groups: Vec<_> = std::fs::read_dir(data.join("histories"))
        .unwrap()
        .flatten()
        .filter(|g| g.path().is_dir())
        .collect();
    groups.sort_by_key(std::fs::DirEntry::file_name);
    for g in groups {
        let mut files: Vec<_> = std::fs::read_dir(g.path()).unwrap().flatten().collect();
        files.sort_by_key(std::fs::DirEntry::file_name);
        for f in files {
            let group = g.file_name().to_string_lossy().to_string();
            let name = f.path().file_stem().unwrap().to_string_lossy().to_string();
            let recorded: Value =
                serde_json::from_str(&std::fs::read_to_string(f.path()).unwrap()).unwrap();
            let case_path = data.join("cases").join(&group).join(format!("{name}.json"));
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(case_path).unwrap()).unwrap();
            out.push((
                format!("{group}/{name}"),
                as_cli_prints_it(&recorded),
                case["definition"].clone(),
            ));
        }
    }
    out
}

/// Replay `history` against `definition` in process: the reproduction and its recording.
fn replay_in_process(history: &Value, definition: Value) -> Result<replay::Reproduction, String> {
    let recording = Recording::parse(Path::new("history.json"), &history.to_string())
        .map_err(|e| e.to_string())?;
    let def = stepdbg::asl::from_value(definition);
    if def.has_errors() {
        return Err("invalid definition".into());
    }
    let config = replay::config_for(&recording, None, None, Config::default());
    Ok(replay::reproduce(
        Path::new("definition.asl.json"),
        def,
        &recording,
        config,
    ))
}

#[test]
fn recorded_aws_executions_replay_as_recorded() {
    let mut differing: BTreeMap<String, String> = BTreeMap::new();
    let all = corpus();
    for (case, history, definition) in &all {
        match replay_in_process(history, definition.clone()) {
            Err(e) => {
                differing.insert(case.clone(), e);
            }
            Ok(r) => {
                if let Some(d) = &r.divergence {
                    differing.insert(case.clone(), d.summary());
                    continue;
                }
                // No divergence: the local result is the recorded one.
                let recording =
                    Recording::parse(Path::new("h.json"), &history.to_string()).unwrap();
                assert_eq!(
                    r.session.status().to_json(),
                    recording.status_json(),
                    "{case}"
                );
            }
        }
    }
    println!(
        "replays: {}/{} reproduce the recorded execution",
        all.len() - differing.len(),
        all.len()
    );
    known::check("tests/replay-known-differences.txt", &differing);
}

/// A converted corpus history and its definition written to `dir`.
fn write_case(dir: &Path, case: &str) -> (PathBuf, PathBuf) {
    let (_, history, definition) = corpus().into_iter().find(|(c, _, _)| c == case).unwrap();
    let h = dir.join("history.json");
    let d = dir.join("definition.asl.json");
    std::fs::write(&h, serde_json::to_string_pretty(&history).unwrap()).unwrap();
    std::fs::write(&d, serde_json::to_string_pretty(&definition).unwrap()).unwrap();
    (h, d)
}

fn json_out(cmd: &mut Command) -> (i32, Value) {
    let out = cmd.output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(text.trim()).unwrap_or_else(|_| {
        panic!(
            "not one JSON object: {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

#[test]
fn replay_command_reproduces_recorded_aws_executions() {
    // A Lambda retried then caught, a Map with a Lambda per item, a Parallel.
    for case in [
        "lambda/task-service-lambda-raise-exception-catch",
        "map/map-state-retry",
        "parallel/parallel-state-catch",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (h, d) = write_case(dir.path(), case);
        let (code, out) = json_out(
            stepdbg()
                .arg("replay")
                .arg(&h)
                .arg("--definition")
                .arg(&d)
                .args(["--format", "json"]),
        );
        assert_eq!(code, 0, "{case}: {out}");
        assert_eq!(out["divergence"], Value::Null, "{case}");
        let recording = Recording::load(&h).unwrap();
        let recorded = recording.status_json();
        assert_eq!(out["status"], recorded["status"], "{case}");
        assert_eq!(out.get("output"), recorded.get("output"), "{case}");
    }
}

#[test]
fn production_sample_replays_and_a_what_if_edit_diverges_where_expected() {
    let history = production().join("checkout-failed.json");
    // The definition beside the history (same name, .asl.json) is the deployed one.
    let (code, out) = json_out(
        stepdbg()
            .arg("replay")
            .arg(&history)
            .args(["--format", "json"]),
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["divergence"], Value::Null);
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "States.Runtime");
    // The fix: Charge card keeps the order (ResultPath $.payment).
    let dir = tempfile::tempdir().unwrap();
    let fixed = dir.path().join("fixed.asl.json");
    let text = std::fs::read_to_string(production().join("checkout-failed.asl.json")).unwrap();
    std::fs::write(
        &fixed,
        text.replace("\"ResultPath\": \"$\",", "\"ResultPath\": \"$.payment\",")
            .replace("$.orderId, $.chargeId)", "$.orderId, $.payment.chargeId)"),
    )
    .unwrap();
    let (code, out) = json_out(
        stepdbg()
            .arg("replay")
            .arg(&history)
            .arg("--definition")
            .arg(&fixed)
            .args(["--format", "json"]),
    );
    assert_eq!(code, 1, "{out}");
    let d = &out["divergence"];
    assert_eq!(d["eventId"], 34, "{d}");
    assert_eq!(d["recorded"]["type"], "TaskStateExited");
    assert_eq!(
        d["recorded"]["stateExitedEventDetails"]["name"],
        "Charge card"
    );
    assert_eq!(d["fields"], json!(["output"]));
    let local_output: Value = serde_json::from_str(
        d["local"]["stateExitedEventDetails"]["output"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        local_output["payment"]["chargeId"],
        "ch_3PNxRk2eZvKYlo2C0w1s9d8f"
    );
    // The recording never sent a receipt: that task waits for an answer.
    assert_eq!(out["status"], "RUNNING");
    assert_eq!(out["waiting"], json!(["Email receipt"]));
    // The text form says the same for people.
    let text = stepdbg()
        .arg("replay")
        .arg(&history)
        .arg("--definition")
        .arg(&fixed)
        .args(["--format", "text"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("diverges at event 34: TaskStateExited 'Charge card' differs in output"),
        "{text}"
    );
    assert!(text.contains("Email receipt"), "{text}");
}

#[test]
fn mocks_from_history_then_run_gives_the_recorded_output() {
    let check = |history: &Path, definition: &Path, what: &str| {
        let dir = tempfile::tempdir().unwrap();
        let mocks = dir.path().join("mocks.json");
        let input = dir.path().join("input.json");
        let out = stepdbg()
            .arg("mocks-from-history")
            .arg(history)
            .arg("--definition")
            .arg(definition)
            .args(["--state-machine-name", "Orders", "--test-case", "Night"])
            .arg("--input-file")
            .arg(&input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&mocks, &out.stdout).unwrap();
        let mut input_arg = std::ffi::OsString::from("--input=file://");
        input_arg.push(&input);
        let (_, run) = json_out(
            stepdbg()
                .arg("run")
                .arg(definition)
                .arg("--mock-config")
                .arg(&mocks)
                .args(["--state-machine-name", "Orders", "--test-case", "Night"])
                .arg(input_arg),
        );
        let recorded = Recording::load(history).unwrap().status_json();
        assert_eq!(run, recorded, "{what}");
    };
    check(
        &production().join("checkout-failed.json"),
        &production().join("checkout-failed.asl.json"),
        "the production sample",
    );
    for case in [
        "lambda/base-scenarios-retry-interval-features-max-attempts-zero",
        "map/map-state-retry",
        "lambda/task-service-lambda-raise-exception-catch",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (h, d) = write_case(dir.path(), case);
        check(&h, &d, case);
    }
    // Merged into an existing mock file, its other entries stay.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mocks.json");
    std::fs::write(
        &file,
        r#"{"StateMachines":{"Other":{"TestCases":{"A":{"S":"R"}}}},"MockedResponses":{"R":{"0":{"Return":1}}}}"#,
    )
    .unwrap();
    stepdbg()
        .arg("mocks-from-history")
        .arg(production().join("checkout-failed.json"))
        .args([
            "--state-machine-name",
            "checkout",
            "--test-case",
            "Night",
            "-o",
        ])
        .arg(&file)
        .assert()
        .success();
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(merged["StateMachines"]["Other"].is_object());
    assert_eq!(
        merged["StateMachines"]["checkout"]["TestCases"]["Night"]["Charge card"],
        "checkout/Night/Charge card"
    );
    let charge = &merged["MockedResponses"]["checkout/Night/Charge card"];
    assert_eq!(
        charge["0"]["Throw"]["Error"],
        "Lambda.TooManyRequestsException"
    );
    assert_eq!(
        charge["1"]["Return"]["Payload"]["chargeId"],
        "ch_3PNxRk2eZvKYlo2C0w1s9d8f"
    );
}

// ----- bad input ----------------------------------------------------------------------------

fn sample_events() -> Vec<Value> {
    let text = std::fs::read_to_string(production().join("checkout-failed.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["events"].as_array().unwrap().clone()
}

/// `replay` of `history` (text) against the production sample's definition.
fn replay_text(history: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.json");
    std::fs::write(&h, history).unwrap();
    let out = stepdbg()
        .arg("replay")
        .arg(&h)
        .arg("--definition")
        .arg(production().join("checkout-failed.asl.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn pages_reverse_order_and_sdk_shapes_read_the_same() {
    let events = sample_events();
    // Two pages of --reverse-order output, concatenated as a shell loop writes them.
    let mut rev = events.clone();
    rev.reverse();
    let pages = format!(
        "{}\n{}",
        json!({"events": rev[..20], "nextToken": "AAAA"}),
        json!({"events": rev[20..]})
    );
    let (code, out, err) = replay_text(&pages);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("warning"), "{err}");
    // Events shuffled: read in id order, with a word about it.
    let mut shuffled = events.clone();
    shuffled.swap(3, 17);
    let (code, out, err) = replay_text(&json!({ "events": shuffled }).to_string());
    assert_eq!(code, 0, "{out}");
    assert!(err.contains("out of order"), "{err}");
    // A bare list, with payloads parsed (as some SDK dumps have them).
    let parsed: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            for (k, d) in e.as_object_mut().unwrap().iter_mut() {
                if k.ends_with("EventDetails")
                    && let Some(Value::String(s)) = d.get("input").cloned()
                {
                    d["input"] = serde_json::from_str(&s).unwrap();
                }
            }
            e
        })
        .collect();
    let (code, out, _) = replay_text(&Value::Array(parsed).to_string());
    assert_eq!(code, 0, "{out}");
}

#[test]
fn bad_histories_get_clear_messages_and_what_can_be_replayed_is() {
    let events = sample_events();
    // Truncated: the execution's end is missing; the run goes as far as the recording.
    let (code, out, err) = replay_text(&json!({"events": events[..20]}).to_string());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("ends at event 20 without the execution's end"),
        "{err}"
    );
    // A newer AWS's event type: said, shown, not compared.
    let mut newer = events.clone();
    newer.insert(
        5,
        json!({"id": 37, "previousEventId": 5, "type": "TaskStateRedriven", "timestamp": "2026-11-30T03:12:46Z"}),
    );
    let (code, out, err) = replay_text(&json!({ "events": newer }).to_string());
    assert_eq!(code, 0, "{out}");
    assert!(err.contains("TaskStateRedriven"), "{err}");
    // A payload AWS cut (over 256 KiB): said; that task is left to a person.
    let mut redacted = events.clone();
    redacted[4]["taskSucceededEventDetails"]["output"] = json!("{\"ExecutedVersion\":\"7\",\"Pay");
    redacted[4]["taskSucceededEventDetails"]["outputDetails"] = json!({"truncated": true});
    let (code, out, err) = replay_text(&json!({ "events": redacted }).to_string());
    assert!(err.contains("truncated the payloads of events 5"), "{err}");
    assert_eq!(code, 1, "{out}");
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["waiting"], json!(["Validate order"]));
    // Not a history at all.
    for (text, says) in [
        ("{\"events\": [", "not JSON at line 1"),
        ("{}", "expected history events"),
        (
            "{\"executionArn\": \"a\", \"status\": \"FAILED\"}",
            "describe-execution",
        ),
        ("", "holds no history events"),
    ] {
        let (code, _, err) = replay_text(text);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains(says), "{text}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A history of another state machine: said, and the divergence is at its first state.
    let other = root().join("samples/retry-catch.asl.json");
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.json");
    std::fs::write(&h, json!({ "events": events }).to_string()).unwrap();
    let out = stepdbg()
        .arg("replay")
        .arg(&h)
        .arg("--definition")
        .arg(&other)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another state machine"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["divergence"]["eventId"], 2);
    // No definition given and none beside the history.
    let out = stepdbg()
        .arg("replay")
        .arg(&h)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--definition DEF"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn express_executions_from_cloudwatch_logs_say_they_are_not_a_full_history() {
    // Log records as `aws logs filter-log-events` prints them, level ALL with data.
    let records: Vec<Value> = sample_events()
        .iter()
        .map(|e| {
            let details = e
                .as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| k.ends_with("EventDetails"))
                .map_or(json!({}), |(_, d)| d.clone());
            let message = json!({
                "id": e["id"].to_string(),
                "type": e["type"],
                "details": details,
                "previous_event_id": e["previousEventId"].to_string(),
                "event_timestamp": "1764472365120",
                "execution_arn": "arn:aws:states:eu-west-1:210987654321:express:checkout:ORD-42:7f3c",
                "redrive_count": "0"
            });
            json!({"logStreamName": "states/checkout/2026-11-30/7f3c", "timestamp": 1764472365120u64,
                   "message": message.to_string()})
        })
        .collect();
    let (code, out, err) = replay_text(&json!({ "events": records }).to_string());
    assert!(
        err.contains("EXPRESS execution's CloudWatch Logs record"),
        "{err}"
    );
    assert!(err.contains("no full history"), "{err}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_described_state_machine_gives_the_definition() {
    let dir = tempfile::tempdir().unwrap();
    let described = dir.path().join("describe.json");
    let definition =
        std::fs::read_to_string(production().join("checkout-failed.asl.json")).unwrap();
    std::fs::write(
        &described,
        json!({
            "stateMachineArn": "arn:aws:states:eu-west-1:210987654321:stateMachine:checkout",
            "name": "checkout",
            "definition": definition,
            "roleArn": "arn:aws:iam::210987654321:role/checkout-sfn-role",
            "updateDate": "2026-11-20T09:00:00+00:00"
        })
        .to_string(),
    )
    .unwrap();
    let (code, out) = json_out(
        stepdbg()
            .arg("replay")
            .arg(production().join("checkout-failed.json"))
            .arg("--definition")
            .arg(&described)
            .args([
                "--execution-arn",
                "arn:aws:states:eu-west-1:210987654321:execution:checkout:ORD-20261130-0042",
                "--format",
                "json",
            ]),
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["divergence"], Value::Null);
}

// ----- the debugger's replay mode -----------------------------------------------------------

fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.update(Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.view(f)).unwrap();
    t.backend().to_string()
}

fn replay_app(history: &Path, definition: Option<&Path>) -> App {
    let args = ReplayArgs {
        recording: RecordingArgs {
            history: history.to_path_buf(),
            definition: definition.map(Path::to_path_buf),
            execution_arn: Some(
                "arn:aws:states:eu-west-1:210987654321:execution:checkout:ORD-20261130-0042".into(),
            ),
        },
        ..Default::default()
    };
    let opening = stepdbg::tui::replay_opening(&args).unwrap();
    opening.open().map_err(|e| e.why.clone()).unwrap()
}

#[test]
fn replay_mode_steps_through_the_recorded_execution() {
    // Relative, as a person types it (and as the notice shows it).
    let mut app = replay_app(Path::new("samples/production/checkout-failed.json"), None);
    insta::assert_snapshot!("replay_opened_120x40", screen(&mut app, 120, 40));
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "FAILED");
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("replay: as recorded"), "{s}");
    insta::assert_snapshot!("replay_finished_as_recorded_120x40", s);
    // Step back and forth through it, as through any run.
    app.press("p");
    app.press("p");
    assert_eq!(app.status_word(), "PAUSED");
    assert!(screen(&mut app, 120, 40).contains("replay: as recorded"));
    // The recording, one event a line.
    app.press(":");
    app.type_text("recorded\n");
    let s = screen(&mut app, 120, 40);
    assert!(
        s.contains("recorded: ") && s.contains("2 TaskStateEntered       Validate order"),
        "{s}"
    );
    app.press("G");
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("36 ExecutionFailed"), "{s}");
}

#[test]
fn replay_mode_shows_where_an_edit_diverges() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("checkout-failed.json");
    let definition = dir.path().join("checkout-failed.asl.json");
    std::fs::copy(production().join("checkout-failed.json"), &history).unwrap();
    std::fs::copy(production().join("checkout-failed.asl.json"), &definition).unwrap();
    let mut app = replay_app(&history, None);
    app.press("c");
    app.settle();
    // The fix, saved while the debugger is open: the run is replayed on it (what if).
    let text = std::fs::read_to_string(&definition).unwrap();
    std::fs::write(
        &definition,
        text.replace("\"ResultPath\": \"$\",", "\"ResultPath\": \"$.payment\",")
            .replace("$.orderId, $.chargeId)", "$.orderId, $.payment.chargeId)"),
    )
    .unwrap();
    app.update(Msg::FileChanged);
    app.settle();
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("diverges at event 34"), "{s}");
    insta::assert_snapshot!("replay_diverged_after_edit_120x40", s);
    app.press(":");
    app.type_text("divergence\n");
    let s = screen(&mut app, 120, 40);
    assert!(
        s.contains("AWS recorded (event 34, TaskStateExited)"),
        "{s}"
    );
    assert!(
        s.contains("the local run (event 34, TaskStateExited)"),
        "{s}"
    );
    insta::assert_snapshot!("replay_divergence_viewer_120x40", s);
}

#[test]
fn timeouts_heartbeats_and_callbacks_replay_as_recorded() {
    use stepdbg::engine::{Execution, Step, TaskOutcome};
    let definition = json!({"StartAt": "Slow", "States": {
        "Slow": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:slow",
                 "TimeoutSeconds": 5,
                 "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timeout", "Next": "Approval"}],
                 "End": true},
        "Approval": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                     "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                                    "MessageBody": {"token.$": "$$.Task.Token"}},
                     "HeartbeatSeconds": 10,
                     "Retry": [{"ErrorEquals": ["States.HeartbeatTimeout"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                     "End": true}}});
    // The "recorded" execution: Slow times out, the first approval misses its heartbeat,
    // the second is approved.
    let def = stepdbg::asl::from_value(definition.clone());
    let config = Config {
        token_secret: 7,
        ..Config::default()
    };
    let mut ex = Execution::new(
        std::sync::Arc::new(def.machine.clone()),
        json!({"order": 1}),
        config,
    );
    while !ex.status().is_done() {
        match ex.step() {
            Step::Task(req) if req.state == "Slow" => ex.advance_to(req.deadline().unwrap().0),
            Step::Task(req) => {
                ex.task_started(req.id);
                if req.attempt == 0 {
                    let at = ex.task(req.id).unwrap().deadline().unwrap().0;
                    ex.advance_to(at);
                } else {
                    ex.resolve_task(req.id, TaskOutcome::Success(json!({"approved": true})));
                }
            }
            Step::Sleeping { .. } | Step::Blocked => ex.advance_to(ex.next_wakeup().unwrap()),
            _ => {}
        }
    }
    let recorded = stepdbg::engine::history::to_json(ex.history());
    let kinds: Vec<&str> = recorded["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"LambdaFunctionTimedOut") || kinds.contains(&"TaskTimedOut"),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"TaskSubmitted"), "{kinds:?}");
    let r = replay_in_process(&recorded, definition).unwrap();
    assert_eq!(r.divergence, None);
    assert_eq!(
        r.session.status().to_json(),
        json!({"status": "SUCCEEDED", "output": {"approved": true}})
    );
}
