//! The command line as a user runs it: exit codes, output shapes, bad input.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use stepdbg::json;
use stepdbg::json::Value;

fn stepdbg() -> Command {
    let mut c = Command::cargo_bin("stepdbg").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// Handler tests need python3; without it they say so and pass.
fn have_python() -> bool {
    let ok = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        eprintln!("skipped: python3 is not installed");
    }
    ok
}

fn stdout_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn help_and_version() {
    let out = stepdbg().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["validate", "run", "policy"] {
        assert!(text.contains(cmd), "{text}");
    }
    let out = stepdbg().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("stepdbg "));
    assert_eq!(
        stepdbg().arg("frobnicate").output().unwrap().status.code(),
        Some(2)
    );
}

#[test]
fn every_sample_validates_clean() {
    let mut n = 0;
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for e in [
        samples.clone(),
        samples.join("nested"),
        samples.join("distributed-map"),
    ]
    .iter()
    .flat_map(|d| std::fs::read_dir(d).unwrap().flatten())
    {
        let name = e.file_name().to_string_lossy().to_string();
        if !(name.ends_with(".asl.json") || name.ends_with(".asl.yaml")) {
            continue;
        }
        n += 1;
        let out = stepdbg()
            .args(["validate", "--format", "json"])
            .arg(e.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}");
        let report = stdout_json(&out);
        assert_eq!(
            report["files"][0]["diagnostics"],
            json!([]),
            "{name}: no errors and no warnings"
        );
    }
    assert!(n >= 9, "the samples are there");
}

#[test]
fn validate_points_at_the_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "bad.asl.json",
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"B\"},\n    \"C\": {\"Type\": \"Pass\", \"End\": true}\n  }\n}\n",
    );
    let out = stepdbg()
        .args(["validate", "--format", "json"])
        .arg(&def)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = stdout_json(&out);
    let diags = report["files"][0]["diagnostics"].as_array().unwrap();
    let missing = diags.iter().find(|d| d["code"] == "unknown-state").unwrap();
    assert_eq!(
        (missing["line"].as_u64(), missing["column"].as_u64()),
        (Some(4), Some(35))
    );
    assert_eq!(missing["pointer"], "/States/A/Next");
    assert!(missing["help"].as_str().unwrap().contains("C"));
    let unreachable = diags.iter().find(|d| d["code"] == "unreachable").unwrap();
    assert_eq!(unreachable["severity"], "warning");
    assert_eq!(unreachable["line"], 5);
    // Human output: rustc-like, with file:line:col.
    let out = stepdbg().arg("validate").arg(&def).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.asl.json:4:35"), "{err}");
    assert!(err.contains("'B' is not a state"), "{err}");
}

#[test]
fn validate_exit_codes_for_unreadable_and_malformed_files() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (write(dir.path(), "empty.json", ""), "empty"),
        (
            write(
                dir.path(),
                "broken.json",
                "{\n  \"StartAt\": \"A\",\n  \"States\": {\n",
            ),
            "broken.json:4:1",
        ),
        (
            write(dir.path(), "broken.yaml", "StartAt: A\nStates: [\n"),
            "broken.yaml:",
        ),
        (dir.path().join("missing.json"), "No such file"),
    ];
    for (path, needle) in cases {
        let out = stepdbg().arg("validate").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{}: {err}", path.display());
    }
    // Binary garbage, deep nesting and a huge file: clear errors, never a crash.
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let g = dir.path().join("garbage.bin");
    std::fs::write(&g, garbage).unwrap();
    let deep = write(
        dir.path(),
        "deep.json",
        &("[".repeat(10_000) + &"]".repeat(10_000)),
    );
    let huge = dir.path().join("huge.json");
    std::fs::write(
        &huge,
        format!("{{\"Comment\": \"{}\"}}", "x".repeat(50 * 1024 * 1024)),
    )
    .unwrap();
    for p in [&g, &deep, &huge] {
        let out = stepdbg().arg("validate").arg(p).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", p.display());
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn run_prints_one_json_object_with_exit_codes() {
    let out = stepdbg()
        .arg("run")
        .arg(sample("lambda-invoke.asl.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = stdout_json(&out);
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["output"]["customerId"], "C-1042");

    let dir = tempfile::tempdir().unwrap();
    let fail = write(
        dir.path(),
        "fail.asl.json",
        r#"{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "why"}}}"#,
    );
    let out = stepdbg().arg("run").arg(&fail).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout_json(&out),
        json!({"status": "FAILED", "error": "Oops", "cause": "why"})
    );

    let invalid = write(
        dir.path(),
        "invalid.asl.json",
        r#"{"StartAt": "X", "States": {}}"#,
    );
    let out = stepdbg().arg("run").arg(&invalid).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());

    // An output of several times the output buffer comes out whole, as one line.
    let pass = write(
        dir.path(),
        "pass.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    let items: Vec<_> = (0..8000)
        .map(|i| json!({"id": i, "name": format!("item {i}")}))
        .collect();
    let input = write(
        dir.path(),
        "big.json",
        &json!({ "items": items }).to_string(),
    );
    let out = stepdbg()
        .arg("run")
        .arg(&pass)
        .arg("--input")
        .arg(format!("file://{}", input.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let expected = json!({"status": "SUCCEEDED", "output": {"items": items}}).to_string() + "\n";
    assert!(expected.len() > 3 * 64 * 1024);
    assert!(String::from_utf8_lossy(&out.stdout) == expected);
}

#[test]
fn run_input_context_history_and_trace() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "ctx.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name", "x.$": "$.x"}, "End": true}}}"#,
    );
    let input = write(dir.path(), "in.json", r#"{"x": 41}"#);
    let history = dir.path().join("history.json");
    let out = stepdbg()
        .arg("run")
        .arg(&def)
        .arg("--input")
        .arg(format!("file://{}", input.display()))
        .args([
            "--context",
            r#"{"Execution": {"Name": "my-exec"}}"#,
            "--trace",
            "--history",
        ])
        .arg(&history)
        .output()
        .unwrap();
    assert_eq!(
        stdout_json(&out),
        json!({"status": "SUCCEEDED", "output": {"name": "my-exec", "x": 41}})
    );
    let trace = String::from_utf8_lossy(&out.stderr);
    let record: Value = serde_json::from_str(trace.lines().next().unwrap()).unwrap();
    assert_eq!(
        record["afterParameters"],
        json!({"name": "my-exec", "x": 41})
    );
    let h: Value = serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    let types: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    // As AWS records it: the first state's event follows nothing.
    assert_eq!(h["events"][1]["previousEventId"], 0);
    assert_eq!(h["events"][2]["previousEventId"], 2);

    // Input from standard input.
    let out = stepdbg()
        .arg("run")
        .arg(&def)
        .args(["--input", "-"])
        .write_stdin(r#"{"x": 1}"#)
        .output()
        .unwrap();
    assert_eq!(stdout_json(&out)["output"]["x"], 1);
}

/// Each stage is shown as it was made: Parameters that reorder the input's members are
/// not shown as the input (equal as values, different as text), and a Parameters that
/// becomes the output shows the same text as the output.
#[test]
fn trace_stages_keep_their_member_order() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "order.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"b.$": "$.b", "a.$": "$.a"}, "End": true}}}"#,
    );
    let out = stepdbg()
        .arg("run")
        .arg(&def)
        .args(["--input", r#"{"a": 1, "b": 2}"#, "--trace"])
        .output()
        .unwrap();
    let trace = String::from_utf8_lossy(&out.stderr);
    let record = trace.lines().next().unwrap();
    let stage = |name: &str| {
        let at = record.find(&format!("\"{name}\":")).unwrap() + name.len() + 3;
        &record[at..at + 13]
    };
    assert_eq!(stage("input"), r#"{"a":1,"b":2}"#, "{record}");
    assert_eq!(stage("afterParameters"), r#"{"b":2,"a":1}"#, "{record}");
    assert_eq!(stage("output"), r#"{"b":2,"a":1}"#, "{record}");
}

/// A Pass whose Parameters are too big to be its output still shows them in its record.
#[test]
fn trace_shows_the_parameters_that_exceeded_the_payload_limit() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "big.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s", "c.$": "$.s"}, "End": true}}}"#,
    );
    let input = write(
        dir.path(),
        "in.json",
        &json!({"s": "x".repeat(100_000)}).to_string(),
    );
    let out = stepdbg()
        .arg("run")
        .arg(&def)
        .arg("--input")
        .arg(format!("file://{}", input.display()))
        .arg("--trace")
        .output()
        .unwrap();
    assert_eq!(stdout_json(&out)["error"], "States.DataLimitExceeded");
    let trace = String::from_utf8_lossy(&out.stderr);
    let record: Value = serde_json::from_str(trace.lines().next().unwrap()).unwrap();
    assert_eq!(record["error"]["Error"], "States.DataLimitExceeded");
    for stage in ["afterParameters", "result"] {
        assert_eq!(
            record[stage]["c"].as_str().map(str::len),
            Some(100_000),
            "{stage}"
        );
    }
}

#[test]
fn run_names_the_state_when_a_task_has_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "t.asl.json",
        r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": true}}}"#,
    );
    let out = stepdbg().arg("run").arg(&def).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'Call'") && err.contains("--function"),
        "{err}"
    );
    // A command backend answers it.
    let out = stepdbg()
        .arg("run")
        .arg(&def)
        .args(["--function", "f=command:cat"])
        .output()
        .unwrap();
    let v = stdout_json(&out);
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
    assert_eq!(v["output"]["StatusCode"], 200);
    assert_eq!(v["output"]["Payload"], json!({}));
}

#[test]
fn the_history_quota_stops_an_endless_loop() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "loop.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}"#,
    );
    let out = stepdbg().arg("run").arg(&def).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = stdout_json(&out);
    assert_eq!(v["status"], "FAILED");
    assert!(v["cause"].as_str().unwrap().contains("25000"), "{v}");
}

#[test]
fn policy_lists_every_lambda_function() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "p.asl.json",
        r#"{"StartAt": "Fan", "States": {
            "Fan": {"Type": "Parallel", "Next": "Each", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "function1", "Payload.$": "$"}, "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "Parameters": {"FunctionName": "function2:live", "Payload": {"t.$": "$$.Task.Token"}}, "End": true}}}
            ]},
            "Each": {"Type": "Map", "Next": "Direct", "ItemProcessor": {"StartAt": "C", "States": {
                "C": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName.$": "$.fn"}, "End": true}}}},
            "Direct": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:444455556666:function:function3:2", "Next": "Again"},
            "Again": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "function1"}, "End": true}
        }}"#,
    );
    let out = stepdbg()
        .arg("policy")
        .arg(&def)
        .args(["--region", "us-east-1", "--account-id", "111122223333"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout_json(&out),
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [
                "arn:aws:lambda:us-east-1:111122223333:function:function1",
                "arn:aws:lambda:us-east-1:111122223333:function:function2:live",
                "arn:aws:lambda:us-east-1:111122223333:function:*",
                "arn:aws:lambda:eu-west-1:444455556666:function:function3:2"
            ]
        }]})
    );
    // Without region and account: AWS's placeholders.
    let out = stepdbg()
        .arg("policy")
        .arg(sample("lambda-function-arn.asl.json"))
        .output()
        .unwrap();
    assert_eq!(
        stdout_json(&out)["Statement"][0]["Resource"][0],
        "arn:aws:lambda:us-east-1:123456789012:function:resize-image"
    );
    let out = stepdbg().arg("policy").arg(&def).output().unwrap();
    assert_eq!(
        stdout_json(&out)["Statement"][0]["Resource"][0],
        "arn:aws:lambda:[[region]]:[[accountId]]:function:function1"
    );
}

#[test]
fn every_lambda_sample_runs_with_its_mocks() {
    for name in [
        "lambda-invoke",
        "callback",
        "lambda-async",
        "lambda-function-arn",
        "retry-catch",
        "parallel",
        "jsonata-variables",
        "order-workflow",
        "map",
    ] {
        let def = ["asl.json", "asl.yaml"]
            .iter()
            .map(|e| sample(&format!("{name}.{e}")))
            .find(|p| p.is_file())
            .unwrap();
        let out = stepdbg().arg("run").arg(&def).output().unwrap();
        assert_eq!(
            stdout_json(&out)["status"],
            "SUCCEEDED",
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn deep_templates_deep_inputs_and_nested_intrinsics_are_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    // Parameters nested 300 levels deep.
    let mut params = json!({"leaf.$": "$.x"});
    for _ in 0..300 {
        params = json!({ "p": params });
    }
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": params, "End": true}}});
    let path = write(dir.path(), "deep.asl.json", &def.to_string());
    let out = stepdbg().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nested too deeply"));
    // Intrinsics nested past AWS's limit.
    let mut call = "$.x".to_string();
    for _ in 0..12 {
        call = format!("States.Array({call})");
    }
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"v.$": call}, "End": true}}});
    let path = write(dir.path(), "nested.asl.json", &def.to_string());
    assert_eq!(
        stepdbg()
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    // An input nested 10,000 levels deep.
    let ok = write(
        dir.path(),
        "ok.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    let deep_input = "[".repeat(10_000) + &"]".repeat(10_000);
    let out = stepdbg()
        .arg("run")
        .arg(&ok)
        .args(["--input", "-"])
        .write_stdin(deep_input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--input"));
    // A 100,000-item array runs through a Map.
    let items: Vec<u32> = (0..100_000).collect();
    let map = write(
        dir.path(),
        "map.asl.json",
        r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}}"#,
    );
    let out = stepdbg()
        .arg("run")
        .arg(&map)
        .args(["--type", "EXPRESS", "--input", "-"])
        .write_stdin(json!(items).to_string())
        .output()
        .unwrap();
    let v = stdout_json(&out);
    assert_eq!(
        v["status"], "FAILED",
        "a 100,000-item array is over the 256 KiB payload quota"
    );
    assert_eq!(v["error"], "States.DataLimitExceeded");
}

#[test]
fn every_lambda_sample_runs_with_handler_backends() {
    if !have_python() {
        return;
    }
    // --no-mocks: the samples' mock files stay out, so every call goes to the handlers.
    let h = sample("functions/handlers.py");
    let h = h.display();
    let routes = [
        format!("*price-quote*=handler:{h}:price_quote"),
        format!("*send-welcome-email=handler:{h}:send_welcome_email"),
        format!("*resize-image=handler:{h}:resize_image"),
        format!("*charge-card*=handler:{h}:charge_card"),
        format!("*loyalty-tier=handler:{h}:loyalty_tier"),
        format!("*credit-check=handler:{h}:credit_check"),
        format!("*reserve-stock*=handler:{h}:reserve_stock"),
        format!("*send-order-email*=handler:{h}:send_order_email"),
    ];
    for (name, check) in [
        ("lambda-invoke.asl.json", "/output/total"),
        ("lambda-async.asl.json", "/output/welcomeEmail/statusCode"),
        ("lambda-function-arn.asl.json", "/output/width"),
        ("retry-catch.asl.json", "/output/chargeId"),
        ("parallel.asl.json", "/output/profile/creditLimit"),
        ("order-workflow.asl.yaml", "/output/orderId"),
        ("jsonata-variables.asl.json", "/output/reservationId"),
    ] {
        let mut cmd = stepdbg();
        cmd.arg("run").arg(sample(name)).arg("--no-mocks");
        for r in &routes {
            cmd.args(["--function", r]);
        }
        let out = cmd.output().unwrap();
        let v = stdout_json(&out);
        assert_eq!(
            v["status"],
            "SUCCEEDED",
            "{name}: {v} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !v.pointer(check).unwrap_or(&Value::Null).is_null(),
            "{name}: {v}"
        );
    }
    assert_eq!(
        stdout_json(&{
            let mut cmd = stepdbg();
            cmd.arg("run")
                .arg(sample("lambda-invoke.asl.json"))
                .arg("--no-mocks")
                .args(["--function", &routes[0]]);
            cmd.output().unwrap()
        })["output"]["total"],
        184.5,
        "the handler computed the quote (2 x 64.5 + 55.5)"
    );
}

#[test]
fn a_function_completes_its_own_token_through_the_listen_endpoint() {
    if !have_python() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.py",
        r#"import json, urllib.request

def handler(event, context):
    body = json.dumps({"taskToken": event["token"], "output": json.dumps({"approved": True})}).encode()
    req = urllib.request.Request(event["url"], data=body, headers={
        "X-Amz-Target": "AWSStepFunctions.SendTaskSuccess",
        "Content-Type": "application/x-amz-json-1.0"})
    with urllib.request.urlopen(req, timeout=5) as r:
        print("SendTaskSuccess answered", r.status)
    return {"sent": True}
"#,
    );
    let def = json!({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "approver", "Payload": {"token.$": "$$.Task.Token", "url": format!("http://127.0.0.1:{port}/")}},
        "ResultPath": "$.result", "TimeoutSeconds": 30, "End": true}}});
    let path = write(dir.path(), "cb.asl.json", &def.to_string());
    let out = stepdbg()
        .current_dir(dir.path())
        .arg("run")
        .arg(&path)
        .args([
            "--function",
            "approver=handler:app.py:handler?timeout=10",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout_json(&out),
        json!({"status": "SUCCEEDED", "output": {"result": {"approved": true}}}),
        "{err}"
    );
    assert!(
        err.contains("pendingTaskToken") || err.contains("listening"),
        "{err}"
    );
}

#[test]
fn handler_paths_in_stepdbg_toml_are_from_its_folder_and_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("flows");
    std::fs::create_dir(&sub).unwrap();
    write(
        &sub,
        "slow.asl.json",
        r#"{"StartAt": "Work", "States": {"Work": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "work", "Payload.$": "$"}, "End": true}}}"#,
    );
    write(
        &sub,
        "stepdbg.toml",
        "[functions]\nwork = \"handler:gone.py:handler\"\n",
    );
    // Run from the parent folder: the path is still the toml's folder's, and missing.
    let out = stepdbg()
        .current_dir(dir.path())
        .args(["run", "flows/slow.asl.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stepdbg.toml:2: the handler file")
            && err.contains(&sub.join("gone.py").display().to_string())
            && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains("python3"), "{err}");
    // A bare file name, run from its own folder, finds the handler beside the toml.
    if have_python() {
        write(
            &sub,
            "gone.py",
            "def handler(event, context):\n    return {'ok': True}\n",
        );
        let out = stepdbg()
            .current_dir(&sub)
            .args(["run", "slow.asl.json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stdout_json(&out)["output"]["Payload"]["ok"], true);
    }
}

fn have_node() -> bool {
    let ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        eprintln!("skipped: node is not installed");
    }
    ok
}

#[test]
fn a_sam_template_runs_its_real_handlers_with_no_configuration() {
    if !have_python() || !have_node() {
        return;
    }
    let template = sample("sam-app/template.yaml");
    // From another folder: paths are the template's.
    let out = stepdbg()
        .current_dir(std::env::temp_dir())
        .args(["run", "--trace"])
        .arg(&template)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let status = stdout_json(&out);
    // Python priced nothing; Node priced 3 mugs; the table name came from a !Ref.
    assert_eq!(status["output"]["total"], json!(37.5), "{status}");
    assert_eq!(status["output"]["shipping"], json!(4.9));
    assert!(
        status["output"]["table"]
            .as_str()
            .unwrap()
            .starts_with("sam-app-OrdersTable-"),
        "{status}"
    );
    // Globals' Environment reached the Python handler.
    assert!(err.contains(r#""stage":"dev""#), "{err}");
    // --parameter and --define change the deployment.
    let out = stepdbg()
        .args(["run"])
        .arg(&template)
        .args([
            "--parameter",
            "FreeShippingOver=10",
            "--define",
            "OrdersTableName=orders-test",
        ])
        .output()
        .unwrap();
    let status = stdout_json(&out);
    assert_eq!(status["output"]["shipping"], json!(0), "{status}");
    assert_eq!(status["output"]["table"], "orders-test");
    // validate and policy take the template too.
    let out = stepdbg().arg("validate").arg(&template).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("OrderStateMachine: valid (5 states)"));
    let out = stepdbg().arg("policy").arg(&template).output().unwrap();
    let policy = stdout_json(&out);
    let resources = policy["Statement"][0]["Resource"].to_string();
    assert!(
        resources.contains("function:check-stock-dev"),
        "{resources}"
    );
}

#[test]
fn project_reports_what_a_template_resolves_to() {
    let template = sample("sam-app/template.yaml");
    let out = stepdbg()
        .args(["project", "--format", "json"])
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let p = stdout_json(&out);
    let sm = &p["stateMachines"][0];
    assert_eq!(sm["logicalId"], "OrderStateMachine");
    assert_eq!(sm["definitionFile"], "statemachine/order.asl.json");
    assert_eq!(sm["states"].as_array().unwrap().len(), 5);
    assert_eq!(
        sm["substitutions"]["CheckStockFunctionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:check-stock-dev"
    );
    let calls = sm["functions"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["logicalId"], "CheckStockFunction");
    assert_eq!(calls[0]["states"], json!(["Check stock"]));
    assert_eq!(calls[0]["handlerFile"], "functions/check_stock/app.py");
    assert_eq!(calls[1]["logicalId"], "PriceFunction");
    assert_eq!(calls[1]["handlerFile"], "functions/price/index.js");
    assert!(
        calls[1]["backend"]
            .as_str()
            .unwrap()
            .starts_with("handler:")
    );
    // The readable form names the same.
    let out = stepdbg().arg("project").arg(&template).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Price order → PriceFunction (nodejs20.x): runs functions/price/index.js"),
        "{text}"
    );
}

#[test]
fn a_cdk_synthesized_template_and_a_serverless_yml_open_and_run() {
    if !have_python() || !have_node() {
        return;
    }
    // cdk.out: the definition is a DefinitionString built with Fn::Join; the functions'
    // code is in their assets; the input sits in the CDK app, named after the construct.
    let cdk = sample("cdk-app/cdk.out/OrderStack.template.json");
    let out = stepdbg().arg("run").arg(&cdk).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_json(&out)["output"]["total"], json!(44.5));
    let out = stepdbg()
        .args(["project", "--format", "json"])
        .arg(&cdk)
        .output()
        .unwrap();
    let p = stdout_json(&out);
    assert_eq!(p["stateMachines"][0]["name"], "OrderFlow");
    assert_eq!(
        p["stateMachines"][0]["definitionSource"],
        "DefinitionString"
    );
    // serverless.yml: functions by their service names, variables by stage.
    let sls = sample("serverless-app/serverless.yml");
    let out = stepdbg().arg("run").arg(&sls).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_json(&out)["output"]["message"], "Hi, Ada!");
    let out = stepdbg()
        .arg("run")
        .arg(&sls)
        .args(["--parameter", "stage=prod", "--state-machine", "greetFlow"])
        .output()
        .unwrap();
    assert_eq!(stdout_json(&out)["output"]["message"], "Good day, Ada!");
    // Its diagnostics point into serverless.yml.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&sls)
        .unwrap()
        .replace("            Next: Greet", "            Next: Greeet");
    let broken = write(dir.path(), "serverless.yml", &text);
    let out = stepdbg().arg("validate").arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("serverless.yml:43:19") && err.contains("did you mean 'Greet'?"),
        "{err}"
    );
}

#[test]
fn define_fills_the_placeholders_of_a_definition_file() {
    // A Terraform templatefile() definition: its variables come with --define.
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "flow.asl.json",
        r#"{"StartAt": "Wait", "States": {"Wait": {"Type": "Pass",
            "Parameters": {"table": "${table_name}"}, "End": true}}}"#,
    );
    let out = stepdbg()
        .arg("run")
        .arg(&def)
        .args(["--define", "table_name=orders"])
        .output()
        .unwrap();
    assert_eq!(stdout_json(&out)["output"]["table"], "orders");
}

#[test]
fn record_mocks_makes_a_run_reproducible_with_no_backend() {
    if !have_python() || !have_node() {
        return;
    }
    let template = sample("sam-app/template.yaml");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recorded.json");
    let out = stepdbg()
        .arg("run")
        .arg(&template)
        .arg("--record-mocks")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let first = stdout_json(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("recorded 2 answers"));
    // No function may run now: every route is manual, the mock file answers.
    let out = stepdbg()
        .arg("run")
        .arg(&template)
        .arg("--mock-config")
        .arg(&file)
        .args(["--function", "*=manual"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_json(&out), first);
}

#[test]
fn a_distributed_map_reads_and_writes_local_folders_standing_for_buckets() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path().join("bucket");
    std::fs::create_dir_all(bucket.join("in")).unwrap();
    write(
        &bucket,
        "in/orders.csv",
        "sku,qty\nMUG,2\nCAP,5\nSHIRT,0\nPIN,1\nBAG,3\n",
    );
    write(
        &bucket,
        "in/orders.jsonl",
        "{\"sku\":\"MUG\",\"qty\":2}\n{\"sku\":\"CAP\",\"qty\":4}\n",
    );
    let def = write(
        dir.path(),
        "dm.asl.json",
        r#"{"StartAt": "Process", "States": {"Process": {"Type": "Map",
          "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                         "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                         "Parameters": {"Bucket": "orders", "Key.$": "$.key"}},
          "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"source.$": "$.key"}},
          "ToleratedFailurePercentage": 50,
          "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check", "States": {
              "Check": {"Type": "Choice", "Choices": [{"Variable": "$.Items[0].qty", "StringEquals": "0", "Next": "Bad"}], "Default": "Ok"},
              "Bad": {"Type": "Fail", "Error": "Empty", "Cause": "no items"},
              "Ok": {"Type": "Pass", "Parameters": {"count.$": "States.ArrayLength($.Items)", "source.$": "$.BatchInput.source"}, "End": true}}},
          "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "orders", "Prefix": "results"}},
          "End": true}}}"#,
    );
    let bucket_arg = format!("orders={}", bucket.display());
    let out = stepdbg()
        .arg("run")
        .arg(&def)
        .args([
            "--input",
            r#"{"key": "in/orders.csv"}"#,
            "--bucket",
            &bucket_arg,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One batch of three failed, within the tolerated 50%; the results went to the folder.
    let details = &stdout_json(&out)["output"]["ResultWriterDetails"];
    assert_eq!(details["Bucket"], "orders");
    let manifest_key = details["Key"].as_str().unwrap();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(bucket.join(manifest_key)).unwrap()).unwrap();
    let results_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .unwrap();
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(bucket.join(results_key)).unwrap()).unwrap();
    let outputs: Vec<Value> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(r["Output"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        outputs,
        vec![
            json!({"count": 2, "source": "in/orders.csv"}),
            json!({"count": 1, "source": "in/orders.csv"})
        ]
    );
    let failed_key = manifest["ResultFiles"]["FAILED"][0]["Key"]
        .as_str()
        .unwrap();
    let failed: Value =
        serde_json::from_str(&std::fs::read_to_string(bucket.join(failed_key)).unwrap()).unwrap();
    assert_eq!(failed[0]["Error"], "Empty");
    // JSON Lines, without a writer: the items themselves.
    let jsonl = write(
        dir.path(),
        "lines.asl.json",
        r#"{"StartAt": "Each", "States": {"Each": {"Type": "Map",
          "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                         "ReaderConfig": {"InputType": "JSONL", "MaxItems": 1},
                         "Parameters": {"Bucket": "orders", "Key": "in/orders.jsonl"}},
          "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": true}}},
          "End": true}}}"#,
    );
    let out = stepdbg()
        .arg("run")
        .arg(&jsonl)
        .args(["--bucket", &bucket_arg])
        .output()
        .unwrap();
    assert_eq!(
        stdout_json(&out)["output"],
        json!([{"sku": "MUG", "qty": 2}])
    );
    // A bucket with no folder fails as the reader does, and says how to map it.
    let out = stepdbg().arg("run").arg(&jsonl).output().unwrap();
    let status = stdout_json(&out);
    assert_eq!(status["error"], "States.ItemReaderFailed");
    assert!(
        status["cause"]
            .as_str()
            .unwrap()
            .contains("--bucket orders=DIR"),
        "{status}"
    );
}

#[test]
fn default_answers_run_any_definition_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "services.asl.json",
        r#"{"StartAt": "Save", "States": {
            "Save": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                     "Parameters": {"TableName": "t", "Item": {"id": {"S": "1"}}}, "ResultPath": "$.saved", "Next": "Tell"},
            "Tell": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                     "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "hi"},
                     "ResultSelector": {"id.$": "$.MessageId"}, "ResultPath": "$.told", "Next": "Count"},
            "Count": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:describeInstances",
                      "ResultPath": "$.ec2", "Next": "Work"},
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "worker", "Payload.$": "$"}, "ResultSelector": {"status.$": "$.StatusCode"}, "End": true}}}"#,
    );
    // Without it, the first unanswered task stops the run and says why.
    let out = stepdbg().arg("run").arg(&def).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = stepdbg()
        .arg("run")
        .arg(&def)
        .arg("--default-answers")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(stdout_json(&out)["output"], json!({"status": 200}));
    // Each default answer is listed, with the call and the document it follows.
    let listed: Vec<Value> = err
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("defaultAnswer").is_some())
        .collect();
    assert_eq!(listed.len(), 4, "{err}");
    assert_eq!(listed[0]["defaultAnswer"]["call"], "DynamoDB PutItem");
    assert!(
        listed[1]["defaultAnswer"]["document"]
            .as_str()
            .unwrap()
            .contains("docs.aws.amazon.com")
    );
    assert_eq!(listed[2]["defaultAnswer"]["call"], "Ec2 DescribeInstances");
}

#[test]
fn a_nested_state_machine_runs_here_with_the_sync_output_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let parent = write(
        dir.path(),
        "parent.asl.json",
        r#"{"StartAt": "V2", "States": {
          "V2": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                 "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:order-child",
                                "Input": {"n.$": "$.n", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
                 "ResultSelector": {"doubled.$": "$.Output.doubled", "by.$": "$.Output.by", "status.$": "$.Status"},
                 "ResultPath": "$.v2", "Next": "V1"},
          "V1": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                 "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:order-child",
                                "Input": {"n": 5, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "parent"}},
                 "ResultSelector": {"output.$": "$.Output", "arn.$": "$.StateMachineArn"},
                 "ResultPath": "$.v1", "Next": "Fire"},
          "Fire": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                   "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:order-child",
                                  "Input": {"n": 1, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "parent"}},
                   "ResultPath": "$.fired", "Next": "Broken"},
          "Broken": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                     "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:order-child",
                                    "Input": {"n": "x", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": "parent"}},
                     "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "Done"}],
                     "End": true},
          "Done": {"Type": "Pass", "End": true}}}"#,
    );
    write(
        dir.path(),
        "child.asl.json",
        r#"{"StartAt": "Double", "States": {"Double": {"Type": "Pass",
            "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)", "by.$": "$.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"},
            "End": true}}}"#,
    );
    let out = stepdbg()
        .current_dir(dir.path())
        .arg("run")
        .arg(&parent)
        .args([
            "--input",
            r#"{"n": 21}"#,
            "--child",
            "*order-child*=child.asl.json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o = &stdout_json(&out)["output"];
    // .sync:2: Output as JSON; the parent's execution id reached the child.
    assert_eq!(o["v2"]["doubled"], 42);
    assert_eq!(o["v2"]["status"], "SUCCEEDED");
    assert!(
        o["v2"]["by"].as_str().unwrap().contains(":execution:"),
        "{o}"
    );
    // .sync: Output as JSON text.
    assert_eq!(o["v1"]["output"], r#"{"doubled":10,"by":"parent"}"#);
    assert!(
        o["v1"]["arn"]
            .as_str()
            .unwrap()
            .ends_with(":stateMachine:order-child")
    );
    // The plain call: the execution's ARN and start date only.
    assert!(
        o["fired"]["ExecutionArn"]
            .as_str()
            .unwrap()
            .contains(":execution:order-child:")
    );
    assert!(o["fired"]["StartDate"].is_number());
    // A failed child fails the task with States.TaskFailed, the execution described.
    let cause: Value = serde_json::from_str(o["failure"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "States.Runtime");
}

#[test]
fn a_distributed_map_reads_an_s3_inventory_and_an_athena_manifest() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path().join("inventory-bucket");
    // An S3 inventory as AWS publishes it: manifest.json naming gzipped CSV files
    // (columns per fileSchema, no header row).
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        b"\"src\",\"csvDataset/\",\"0\",\"2022-11-16T00:27:19.000Z\"\n\
          \"src\",\"csvDataset/titles.csv\",\"3399671\",\"2022-11-16T00:29:32.000Z\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(bucket.join("inv/data")).unwrap();
    std::fs::write(bucket.join("inv/data/part-0.csv.gz"), gz.finish().unwrap()).unwrap();
    write(
        &bucket,
        "inv/data/part-1.csv",
        "\"src\",\"imageDataset/pic.jpg\",\"2048\",\"2022-11-17T10:00:00.000Z\"\n",
    );
    write(
        &bucket,
        "inv/2022-11-18T00-00Z/manifest.json",
        r#"{"sourceBucket": "src", "destinationBucket": "arn:aws:s3:::inventory-bucket",
            "version": "2016-11-30", "creationTimestamp": "1668560400000", "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, Size, LastModifiedDate",
            "files": [{"key": "inv/data/part-0.csv.gz", "size": 90, "MD5checksum": "x"},
                      {"key": "inv/data/part-1.csv", "size": 60, "MD5checksum": "y"}]}"#,
    );
    write(
        &bucket,
        "athena/manifest.csv",
        "s3://inventory-bucket/athena/a.jsonl\ns3://inventory-bucket/athena/b.jsonl\n",
    );
    write(&bucket, "athena/a.jsonl", "{\"id\": 1}\n{\"id\": 2}\n");
    write(&bucket, "athena/b.jsonl", "{\"id\": 3}\n");
    let run = |reader: &str| {
        let def = write(
            dir.path(),
            "inv.asl.json",
            &format!(
                r#"{{"StartAt": "Each", "States": {{"Each": {{"Type": "Map",
                  "ItemReader": {reader},
                  "ItemProcessor": {{"ProcessorConfig": {{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}},
                    "StartAt": "Keep", "States": {{"Keep": {{"Type": "Pass", "End": true}}}}}},
                  "End": true}}}}}}"#
            ),
        );
        let out = stepdbg()
            .arg("run")
            .arg(&def)
            .args([
                "--bucket",
                &format!("inventory-bucket={}", bucket.display()),
            ])
            .output()
            .unwrap();
        stdout_json(&out)
    };
    let legacy = run(r#"{"Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "MANIFEST"},
        "Parameters": {"Bucket": "inventory-bucket", "Key": "inv/2022-11-18T00-00Z/manifest.json"}}"#);
    let items = legacy["output"]
        .as_array()
        .unwrap_or_else(|| panic!("{legacy}"));
    assert_eq!(items.len(), 3);
    // The documented item: every column named by the schema, every value a string.
    assert_eq!(
        items[1],
        json!({"Bucket": "src", "Key": "csvDataset/titles.csv", "Size": "3399671",
               "LastModifiedDate": "2022-11-16T00:29:32.000Z"})
    );
    assert_eq!(items[2]["Key"], "imageDataset/pic.jpg");
    // The newer form says ManifestType S3_INVENTORY; MaxItems applies over all files.
    let newer = run(r#"{"Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"ManifestType": "S3_INVENTORY", "InputType": "CSV", "MaxItems": 2},
        "Parameters": {"Bucket": "inventory-bucket", "Key": "inv/2022-11-18T00-00Z/manifest.json"}}"#);
    assert_eq!(newer["output"].as_array().unwrap().len(), 2, "{newer}");
    // An Athena UNLOAD manifest: the data files it lists, read as InputType says.
    let athena = run(r#"{"Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"ManifestType": "ATHENA_DATA", "InputType": "JSONL"},
        "Parameters": {"Bucket": "inventory-bucket", "Key": "athena/manifest.csv"}}"#);
    assert_eq!(
        athena["output"],
        json!([{"id": 1}, {"id": 2}, {"id": 3}]),
        "{athena}"
    );
    // A manifest naming a file that is not there fails as the reader does, saying which.
    write(
        &bucket,
        "inv/broken/manifest.json",
        r#"{"fileFormat": "CSV", "fileSchema": "Bucket, Key", "files": [{"key": "inv/data/gone.csv.gz"}]}"#,
    );
    let broken = run(r#"{"Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "MANIFEST"},
        "Parameters": {"Bucket": "inventory-bucket", "Key": "inv/broken/manifest.json"}}"#);
    assert_eq!(broken["error"], "States.ItemReaderFailed");
    assert!(
        broken["cause"].as_str().unwrap().contains("gone.csv.gz"),
        "{broken}"
    );
}
