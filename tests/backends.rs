//! Lambda function backends for real: Python and Node handlers, a command, a Lambda Invoke
//! API endpoint served by the test on 127.0.0.1, their timeouts, the invoke envelope against
//! a recorded one, and the routes that choose them. Fixtures: tests/fixtures/backends/.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use stepdbg::engine::{Config, Execution, Failure, Status, TaskOutcome, TaskRequest};
use stepdbg::integrations::dispatch::{Dispatch, Dispatcher, Invocation, Unhandled};
use stepdbg::integrations::lambda::{AwsScope, FunctionId};
use stepdbg::integrations::mock::{MockCase, MockConfig};
use stepdbg::integrations::routes::{Backend, Routes};
use stepdbg::json;
use stepdbg::json::Value;

const INVOKE: &str = "arn:aws:states:::lambda:invoke";
const PRICE_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:price-quote";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backends")
}

fn task(id: u64, resource: &str, input: Value) -> TaskRequest {
    TaskRequest::new(
        id,
        "Call",
        "/States/Call",
        resource,
        input,
        1_704_067_200_000,
    )
}

fn invoke_task(function: &str, payload: Value) -> TaskRequest {
    task(
        1,
        INVOKE,
        json!({"FunctionName": function, "Payload": payload}),
    )
}

fn dispatcher(routes: &[&str]) -> Dispatcher {
    Dispatcher::new(
        MockCase::default(),
        Routes::from_options(routes).unwrap(),
        fixtures(),
        7,
    )
}

fn dispatch(route: &str, req: &TaskRequest) -> Dispatch {
    dispatcher(&[route]).dispatch(req)
}

fn success(d: Dispatch) -> (Value, Invocation) {
    match d {
        Dispatch::Handled {
            outcome: TaskOutcome::Success(v),
            invocation,
        } => (v, invocation),
        other => panic!("expected a success, got {other:#?}"),
    }
}

fn failure(d: Dispatch) -> (Failure, Invocation) {
    match d {
        Dispatch::Handled {
            outcome: TaskOutcome::Failure(f),
            invocation,
        } => (f, invocation),
        other => panic!("expected a failure, got {other:#?}"),
    }
}

fn cause_json(f: &Failure) -> Value {
    serde_json::from_str(f.cause.as_deref().unwrap())
        .unwrap_or_else(|e| panic!("cause is not JSON ({e}): {:?}", f.cause))
}

/// Is `program` installed? Tests that need it are skipped, saying so, when it is not.
fn have(program: &str) -> bool {
    let ok = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: `{program}` is not installed");
    }
    ok
}

fn assert_timed_out(f: &Failure, seconds: &str) {
    assert_eq!(f.error.as_deref(), Some("Sandbox.Timedout"), "{f:?}");
    let cause = cause_json(f);
    assert_eq!(cause["errorType"], "Sandbox.Timedout");
    let message = cause["errorMessage"].as_str().unwrap();
    assert!(
        message.ends_with(&format!("Error: Task timed out after {seconds} seconds")),
        "{message}"
    );
}

// ---------------------------------------------------------------- Python handlers

#[test]
fn python_handler_returns_with_a_lambda_context_and_keeps_its_log() {
    if !have("python3") {
        return;
    }
    let (envelope, invocation) = success(dispatch(
        "price-*=handler:handlers.py:echo?memory=256",
        &invoke_task("price-quote", json!({"sku": "KB-101"})),
    ));
    let payload = &envelope["Payload"];
    assert_eq!(payload["event"], json!({"sku": "KB-101"}));
    assert_eq!(
        payload["requestId"],
        envelope["SdkResponseMetadata"]["RequestId"]
    );
    assert_eq!(payload["functionName"], "price-quote");
    assert_eq!(payload["functionVersion"], "$LATEST");
    assert_eq!(payload["invokedFunctionArn"], PRICE_ARN);
    assert_eq!(payload["memory"], "256");
    assert_eq!(payload["remainingPositive"], true);
    assert_eq!(envelope["StatusCode"], 200);
    // Content-Length counts the function's JSON text as the Python runtime writes it.
    let text = invocation.response.as_ref().unwrap()["Payload"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.starts_with(r#"{"event": {"sku": "KB-101"}, "#),
        "{text}"
    );
    assert_eq!(
        envelope["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"],
        json!(text.len().to_string())
    );
    assert_eq!(
        invocation.log,
        "echo got {\"sku\": \"KB-101\"}\na warning\n"
    );
    assert_eq!(invocation.backend, "handler:handlers.py:echo?memory=256");
    assert_eq!(invocation.route.as_deref(), Some("--function"));
}

#[test]
fn python_exceptions_fail_the_task_as_lambda_reports_them() {
    if !have("python3") {
        return;
    }
    let (f, invocation) = failure(dispatch(
        "*=handler:handlers.py:fail",
        &invoke_task("price-quote", json!({})),
    ));
    assert_eq!(f.error.as_deref(), Some("ValueError"));
    // lambda:invoke: the cause is the error JSON, compact, in the Python runtime's key order.
    let cause = f.cause.as_deref().unwrap();
    assert!(
        cause.starts_with(
            r#"{"errorMessage":"price must be positive","errorType":"ValueError","requestId":""#
        ),
        "{cause}"
    );
    let doc = cause_json(&f);
    assert_eq!(doc["requestId"].as_str(), invocation.request_id.as_deref());
    let trace = doc["stackTrace"].as_array().unwrap();
    assert_eq!(trace.len(), 1, "only the handler's frames: {trace:?}");
    let frame = trace[0].as_str().unwrap();
    assert!(
        frame.starts_with("  File \"")
            && frame.contains("handlers.py\", line ")
            && frame.ends_with(", in fail\n    raise ValueError(\"price must be positive\")\n"),
        "{frame}"
    );

    // A function ARN as the Resource: the same error, its cause with spaced separators.
    let (f, _) = failure(dispatch(
        "price-quote=handler:handlers.py:custom",
        &task(2, PRICE_ARN, json!({})),
    ));
    assert_eq!(f.error.as_deref(), Some("CustomError"));
    assert!(
        f.cause
            .as_deref()
            .unwrap()
            .starts_with(r#"{"errorMessage": "", "errorType": "CustomError", "requestId": ""#),
        "{f:?}"
    );
}

#[test]
fn python_handler_setup_errors_use_the_runtime_error_names() {
    if !have("python3") {
        return;
    }
    let error_of = |route: &str| failure(dispatch(route, &invoke_task("fn", json!({})))).0;
    assert_eq!(
        error_of("fn=handler:handlers.py:missing").error.as_deref(),
        Some("Runtime.HandlerNotFound")
    );
    assert_eq!(
        error_of("fn=handler:handlers.py:unserializable")
            .error
            .as_deref(),
        Some("Runtime.MarshalError")
    );
    assert_eq!(
        error_of("fn=handler:no-such-file.py:handler")
            .error
            .as_deref(),
        Some("Runtime.ImportModuleError")
    );
    let crash = error_of("fn=handler:handlers.py:crash");
    assert_eq!(crash.error.as_deref(), Some("Runtime.ExitError"));
    assert!(
        cause_json(&crash)["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Error: Runtime exited with error: exit status 7")
    );
    let quiet = error_of("fn=handler:handlers.py:quit_quietly");
    assert_eq!(quiet.error.as_deref(), Some("Runtime.ExitError"));
    assert!(
        cause_json(&quiet)["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Error: Runtime exited without providing a reason"),
        "{}",
        cause_json(&quiet)
    );
}

#[test]
fn python_handler_past_its_timeout_is_stopped() {
    if !have("python3") {
        return;
    }
    let (f, _) = failure(dispatch(
        "fn=handler:handlers.py:hang?timeout=1",
        &invoke_task("fn", json!({})),
    ));
    assert_timed_out(&f, "1.00");
}

// ---------------------------------------------------------------- Node handlers

#[test]
fn node_es_module_handler_returns_and_raises() {
    if !have("node") {
        return;
    }
    let (envelope, invocation) = success(dispatch(
        "price-quote:live=handler:handlers.mjs:echo?version=7",
        &invoke_task("price-quote:live", json!([1, 2])),
    ));
    let payload = &envelope["Payload"];
    assert_eq!(payload["event"], json!([1, 2]));
    assert_eq!(
        payload["requestId"],
        envelope["SdkResponseMetadata"]["RequestId"]
    );
    assert_eq!(payload["functionName"], "price-quote");
    assert_eq!(payload["functionVersion"], "7");
    assert_eq!(payload["invokedFunctionArn"], format!("{PRICE_ARN}:live"));
    assert_eq!(payload["remainingPositive"], true);
    // The alias resolved to the configured version.
    assert_eq!(envelope["ExecutedVersion"], "7");
    assert_eq!(invocation.log, "echo got [1,2]\na warning\n");

    let (f, _) = failure(dispatch(
        "*=handler:handlers.mjs:fail",
        &invoke_task("fn", json!({})),
    ));
    assert_eq!(f.error.as_deref(), Some("TypeError"));
    let cause = cause_json(&f);
    assert_eq!(cause["errorMessage"], "price must be positive");
    assert_eq!(cause["trace"][0], "TypeError: price must be positive");
    assert!(
        cause["trace"][1]
            .as_str()
            .unwrap()
            .contains("handlers.mjs:"),
        "{cause}"
    );

    // Neither a promise nor a callback: null once the event loop is idle.
    let (envelope, _) = success(dispatch(
        "*=handler:handlers.mjs:quiet",
        &invoke_task("fn", json!({})),
    ));
    assert_eq!(envelope["Payload"], Value::Null);
}

#[test]
fn node_commonjs_callback_handler_returns_and_raises() {
    if !have("node") {
        return;
    }
    let (envelope, invocation) = success(dispatch(
        "*=handler:handlers.cjs:echo",
        &invoke_task("fn", json!({"a": 1})),
    ));
    assert_eq!(envelope["Payload"]["event"], json!({"a": 1}));
    assert_eq!(envelope["Payload"]["functionName"], "fn");
    // The callback's answer waited for the pending timer.
    assert_eq!(invocation.log, "echo got {\"a\":1}\ntimer done\n");

    let (f, _) = failure(dispatch(
        "*=handler:handlers.cjs:fail",
        &invoke_task("fn", json!({})),
    ));
    assert_eq!(f.error.as_deref(), Some("Error"));
    assert_eq!(cause_json(&f)["errorMessage"], "no stock");

    let (envelope, _) = success(dispatch(
        "*=handler:handlers.cjs:nested.handler",
        &invoke_task("fn", json!(1)),
    ));
    assert_eq!(envelope["Payload"], json!({"nested": true, "event": 1}));
    let (f, _) = failure(dispatch(
        "*=handler:handlers.cjs:missing",
        &invoke_task("fn", json!({})),
    ));
    assert_eq!(f.error.as_deref(), Some("Runtime.HandlerNotFound"));
}

#[test]
fn node_handler_past_its_timeout_is_stopped() {
    if !have("node") {
        return;
    }
    let (f, _) = failure(dispatch(
        "fn=handler:handlers.mjs:hang?timeout=1",
        &invoke_task("fn", json!({})),
    ));
    assert_timed_out(&f, "1.00");
}

// ---------------------------------------------------------------- commands

#[test]
fn command_reads_the_event_and_prints_the_result() {
    // A program with a `/` is taken from the base folder; arguments are split without a shell.
    let (envelope, invocation) = success(dispatch(
        "*=command:./double.sh 'two words' x",
        &invoke_task("fn", json!({"n": 2})),
    ));
    assert_eq!(
        envelope["Payload"],
        json!({"got": {"n": 2}, "args": "two words x"})
    );
    assert_eq!(invocation.log, "double.sh got {\"n\":2}\n");
    // A function ARN resource gets the output alone.
    let (output, _) = success(dispatch(
        "price-quote=command:sh double.sh",
        &task(2, PRICE_ARN, json!("hi")),
    ));
    assert_eq!(output, json!({"got": "hi", "args": ""}));
}

#[test]
fn command_exit_codes_become_function_errors() {
    let (f, _) = failure(dispatch(
        "*=command:sh fail.sh",
        &invoke_task("fn", json!({})),
    ));
    assert_eq!(f.error.as_deref(), Some("Runtime.ExitError"));
    let cause = cause_json(&f);
    assert!(
        cause["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Error: Runtime exited with error: exit status 3"),
        "{cause}"
    );
    assert_eq!(cause["stderr"], "database is down\n");
    // A program can name its error the way Lambda reports one.
    let (f, _) = failure(dispatch(
        "*=command:sh named-error.sh",
        &invoke_task("fn", json!({})),
    ));
    assert_eq!(
        (f.error.as_deref(), f.cause.as_deref()),
        (
            Some("OutOfStock"),
            Some(r#"{"errorType":"OutOfStock","errorMessage":"sku KB-101"}"#)
        )
    );
    // A program that does not exist never started: Lambda's entry point error.
    let (f, _) = failure(dispatch(
        "*=command:./no-such-program",
        &invoke_task("fn", json!({})),
    ));
    assert_eq!(f.error.as_deref(), Some("Runtime.InvalidEntrypoint"));
}

#[test]
fn command_past_its_timeout_is_stopped() {
    let (f, invocation) = failure(dispatch(
        "*=command:sh hang.sh?timeout=1",
        &invoke_task("fn", json!({})),
    ));
    assert_timed_out(&f, "1.00");
    assert_eq!(invocation.log, "hanging\n");
}

#[test]
fn a_shorter_task_timeout_wins_with_states_timeout() {
    let mut req = invoke_task("fn", json!({}));
    req.timeout_seconds = Some(1);
    let (f, _) = failure(dispatch("*=command:sh hang.sh", &req));
    assert_eq!(f.error.as_deref(), Some("States.Timeout"));
}

#[test]
fn event_invocations_answer_202_and_dry_runs_run_nothing() {
    let req = task(
        1,
        INVOKE,
        json!({"FunctionName": "fn", "InvocationType": "Event", "Payload": {"n": 1}}),
    );
    let (envelope, invocation) = success(dispatch("*=command:sh double.sh", &req));
    assert_eq!(
        (envelope["StatusCode"].clone(), envelope["Payload"].clone()),
        (json!(202), json!(""))
    );
    assert!(envelope.get("ExecutedVersion").is_none());
    assert!(
        invocation.log.contains("double.sh got {\"n\":1}"),
        "the function still ran: {}",
        invocation.log
    );
    // Lambda reports nothing of an Event function's failure to the caller.
    let (envelope, _) = success(dispatch("*=command:sh fail.sh", &req));
    assert_eq!(envelope["StatusCode"], 202);

    let req = task(
        1,
        INVOKE,
        json!({"FunctionName": "fn", "InvocationType": "DryRun"}),
    );
    let (envelope, invocation) = success(dispatch("*=command:sh hang.sh", &req));
    assert_eq!(envelope["StatusCode"], 204);
    assert_eq!(invocation.log, "");
}

// ---------------------------------------------------------------- endpoint

mod fake_lambda;
use fake_lambda::{Reply, answer, serve};

#[test]
fn endpoint_gets_lambdas_invoke_api_call() {
    let log = base64_encode("START RequestId: r\nhello from the function\nEND RequestId: r\n");
    let (url, requests, _stop) = serve(vec![
        answer(
            "200 OK",
            vec![
                ("X-Amz-Executed-Version", "7".into()),
                ("X-Amz-Log-Result", log),
            ],
            r#"{"total": 1}"#,
        ),
        answer(
            "200 OK",
            vec![("X-Amz-Function-Error", "Unhandled".into())],
            r#"{"errorMessage":"bad","errorType":"ValueError","stackTrace":[]}"#,
        ),
        answer("202 Accepted", vec![], ""),
        answer(
            "404 Not Found",
            vec![("x-amzn-ErrorType", "ResourceNotFound".into())],
            r#"{"Type": "User", "Message": "Function not found: arn:aws:lambda:us-west-2:012345678901:function:gone"}"#,
        ),
    ]);
    let mut d = dispatcher(&[&format!("*=endpoint:{url}")]);

    let req = task(
        1,
        INVOKE,
        json!({"FunctionName": PRICE_ARN, "Qualifier": "live", "Payload": {"sku": "KB-101"}, "ClientContext": "eyJ4IjoxfQ=="}),
    );
    let (envelope, invocation) = success(d.dispatch(&req));
    let got = requests.recv().unwrap();
    assert_eq!(
        got.request_line,
        "POST /2015-03-31/functions/price-quote/invocations?Qualifier=live HTTP/1.1"
    );
    assert_eq!(got.header("X-Amz-Invocation-Type"), Some("RequestResponse"));
    // The log is always asked for, so the debugger can show it.
    assert_eq!(got.header("X-Amz-Log-Type"), Some("Tail"));
    assert_eq!(got.header("X-Amz-Client-Context"), Some("eyJ4IjoxfQ=="));
    assert_eq!(got.body, r#"{"sku":"KB-101"}"#);
    assert_eq!(envelope["ExecutedVersion"], "7");
    assert_eq!(envelope["Payload"], json!({"total": 1}));
    assert_eq!(
        envelope["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"],
        "12"
    );
    // The task did not ask for LogType Tail: no LogResult in what Step Functions sees.
    assert!(envelope.get("LogResult").is_none());
    assert_eq!(
        invocation.log,
        "START RequestId: r\nhello from the function\nEND RequestId: r\n"
    );

    let (f, _) = failure(d.dispatch(&task(2, INVOKE, json!({"FunctionName": "fn"}))));
    assert_eq!(
        (f.error.as_deref(), f.cause.as_deref()),
        (
            Some("ValueError"),
            Some(r#"{"errorMessage":"bad","errorType":"ValueError","stackTrace":[]}"#)
        )
    );
    assert_eq!(
        requests.recv().unwrap().request_line,
        "POST /2015-03-31/functions/fn/invocations HTTP/1.1"
    );

    let (envelope, _) = success(d.dispatch(&task(
        3,
        INVOKE,
        json!({"FunctionName": "fn", "InvocationType": "Event"}),
    )));
    assert_eq!(
        requests.recv().unwrap().header("X-Amz-Invocation-Type"),
        Some("Event")
    );
    assert_eq!(
        (envelope["StatusCode"].clone(), envelope["Payload"].clone()),
        (json!(202), json!(""))
    );

    let (f, invocation) = failure(d.dispatch(&task(4, INVOKE, json!({"FunctionName": "gone"}))));
    assert_eq!(f.error.as_deref(), Some("Lambda.ResourceNotFoundException"));
    let expected = format!(
        "Function not found: arn:aws:lambda:us-west-2:012345678901:function:gone (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: {}; Proxy: null)",
        invocation.request_id.unwrap()
    );
    assert_eq!(f.cause.as_deref(), Some(expected.as_str()));
}

#[test]
fn endpoint_that_never_answers_times_out() {
    let (url, _requests, _stop) = serve(vec![Reply::Silence]);
    let (f, _) = failure(dispatch(
        &format!("*=endpoint:{url}?timeout=1"),
        &invoke_task("fn", json!({})),
    ));
    assert_timed_out(&f, "1.00");
}

#[test]
fn endpoint_that_cannot_be_reached_is_a_client_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (f, _) = failure(dispatch(
        &format!("*=endpoint:http://127.0.0.1:{port}"),
        &invoke_task("fn", json!({})),
    ));
    assert_eq!(f.error.as_deref(), Some("Lambda.SdkClientException"));
    assert!(
        f.cause
            .as_deref()
            .unwrap()
            .starts_with("Unable to execute HTTP request: "),
        "{f:?}"
    );
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

// ---------------------------------------------------------------- the envelope

/// Our envelope with the recording's placeholders in place of the values AWS varies.
fn with_placeholders(mut envelope: Value) -> Value {
    let placeholders = [
        ("x-amzn-RequestId", "x-amzn-RequestId"),
        ("Date", "date"),
        ("X-Amzn-Trace-Id", "X-Amzn-Trace-Id"),
    ];
    for (header, placeholder) in placeholders {
        envelope["SdkHttpMetadata"]["AllHttpHeaders"][header] = json!(placeholder);
        envelope["SdkHttpMetadata"]["HttpHeaders"][header] = json!(placeholder);
    }
    envelope["SdkResponseMetadata"]["RequestId"] = json!("RequestId");
    if envelope.get("LogResult").is_some() {
        envelope["LogResult"] = json!("<LogResult:1>");
        envelope["SdkHttpMetadata"]["AllHttpHeaders"]["X-Amz-Log-Result"] =
            json!(["<LogResult:1>"]);
        envelope["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Log-Result"] = json!("<LogResult:1>");
    }
    envelope
}

#[test]
fn invoke_envelope_matches_the_one_aws_recorded() {
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("recorded-envelopes.json")).unwrap(),
    )
    .unwrap();
    for (case, extra) in [
        ("identity", json!({})),
        ("logTypeTail", json!({"LogType": "Tail"})),
    ] {
        let payload_text = recorded[case]["payloadText"].as_str().unwrap();
        let mut params = json!({"FunctionName": "conformance-fn-1", "Payload": null});
        params
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        // printf, run without a shell, prints the function's JSON text exactly.
        let routes =
            Routes::from_options(&[format!("*=command:printf %s '{payload_text}'")]).unwrap();
        let req = task(1, INVOKE, params);
        let mut d = Dispatcher::new(MockCase::default(), routes, fixtures(), 1)
            .with_scope(AwsScope::new("us-east-1", "111111111111"));
        let (envelope, _) = success(d.dispatch(&req));
        // Compared as text: key order is part of the shape.
        assert_eq!(
            serde_json::to_string_pretty(&with_placeholders(envelope.clone())).unwrap(),
            serde_json::to_string_pretty(&recorded[case]["envelope"]).unwrap(),
            "{case}"
        );

        // The varying values are well formed, and fixed by the seed, task and clock.
        let headers = &envelope["SdkHttpMetadata"]["HttpHeaders"];
        assert_eq!(headers["Date"], "Mon, 01 Jan 2024 00:00:00 GMT");
        let request_id = envelope["SdkResponseMetadata"]["RequestId"]
            .as_str()
            .unwrap();
        assert_eq!(headers["x-amzn-RequestId"], request_id);
        assert_eq!(
            envelope["SdkHttpMetadata"]["AllHttpHeaders"]["x-amzn-RequestId"],
            json!([request_id])
        );
        assert!(is_uuid_v4(request_id), "{request_id}");
        assert!(
            headers["X-Amzn-Trace-Id"]
                .as_str()
                .unwrap()
                .starts_with("Root=1-65920080-"),
            "{headers}"
        );
        let again = success(
            Dispatcher::new(MockCase::default(), d.routes().clone(), fixtures(), 1).dispatch(&req),
        )
        .0;
        assert_eq!(again, envelope);
    }
}

fn is_uuid_v4(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && groups[2].starts_with('4')
}

#[test]
fn log_type_tail_returns_the_log_end_base64() {
    let req = task(
        1,
        INVOKE,
        json!({"FunctionName": "fn", "LogType": "Tail", "Payload": {"n": 1}}),
    );
    let (envelope, invocation) = success(dispatch("*=command:sh double.sh", &req));
    use base64::Engine;
    let log = base64::engine::general_purpose::STANDARD
        .decode(envelope["LogResult"].as_str().unwrap())
        .unwrap();
    let request_id = invocation.request_id.unwrap();
    assert_eq!(
        String::from_utf8(log).unwrap(),
        format!(
            "START RequestId: {request_id} Version: $LATEST\ndouble.sh got {{\"n\":1}}\nEND RequestId: {request_id}\n"
        )
    );
}

// ---------------------------------------------------------------- routes and dispatch

#[test]
fn routes_match_names_arns_and_globs_first_match_wins() {
    let scope = AwsScope::default();
    let id = |text: &str| FunctionId::parse(text, &scope).unwrap();
    let routes = Routes::from_options(&[
        "price-quote:live=manual",
        "arn:aws:lambda:us-east-1:123456789012:function:price-quote=command:a",
        "price-*=command:b",
        "arn:aws:lambda:*:*:function:send-*=command:c",
        "*=command:d",
    ])
    .unwrap();
    let chosen = |text: &str| routes.find(&id(text)).map(|r| r.spec.clone()).unwrap();
    assert_eq!(chosen("price-quote:live"), "manual");
    assert_eq!(chosen(&format!("{PRICE_ARN}:live")), "manual");
    assert_eq!(chosen("price-quote"), "command:a");
    assert_eq!(chosen("price-quote:3"), "command:a");
    assert_eq!(chosen("price-list"), "command:b");
    assert_eq!(
        chosen("arn:aws:lambda:eu-west-1:444455556666:function:send-mail"),
        "command:c"
    );
    assert_eq!(chosen("other"), "command:d");
    assert!(
        Routes::from_options(&["only=mock"])
            .unwrap()
            .find(&id("other"))
            .is_none()
    );
}

#[test]
fn stepdbg_toml_beside_the_definition_comes_after_the_options() {
    let dir = tempfile::tempdir().unwrap();
    let definition = dir.path().join("flow.asl.json");
    std::fs::write(&definition, "{}").unwrap();
    std::fs::write(
        dir.path().join("stepdbg.toml"),
        "# routes for flow\n[functions]\n\"price-*\" = \"handler:fns/price.py:handler?timeout=10\"\n\"*\" = \"manual\"\n",
    )
    .unwrap();
    let routes = Routes::for_definition(&definition, &["price-list=mock"]).unwrap();
    let all: Vec<_> = routes
        .iter()
        .map(|r| (r.pattern.as_str(), r.origin.clone()))
        .collect();
    let toml = dir.path().join("stepdbg.toml").display().to_string();
    assert_eq!(
        all,
        [
            ("price-list", "--function".to_string()),
            ("price-*", format!("{toml}:3")),
            ("*", format!("{toml}:4"))
        ]
    );
    let handler = routes.iter().nth(1).unwrap();
    assert_eq!(
        handler.backend,
        Backend::Handler {
            path: "fns/price.py".into(),
            name: "handler".into()
        }
    );
    assert_eq!(handler.options.timeout.as_secs(), 10);
    assert_eq!(handler.base_dir.as_deref(), Some(dir.path()));
    let err = Routes::for_definition(&definition, &["no-equals-sign"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("PATTERN=BACKEND"), "{err}");
    std::fs::write(
        dir.path().join("stepdbg.toml"),
        "[functions]\n\"x\" = \"ssh:host\"\n",
    )
    .unwrap();
    let err = Routes::for_definition(&definition, &[] as &[&str])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stepdbg.toml:2") && err.contains("unknown backend"),
        "{err}"
    );
}

#[test]
fn toml_routes_take_relative_paths_from_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("double.sh"), dir.path().join("double.sh")).unwrap();
    std::fs::write(
        dir.path().join("stepdbg.toml"),
        "[functions]\n\"*\" = \"command:sh double.sh\"\n",
    )
    .unwrap();
    let routes = Routes::load(&dir.path().join("stepdbg.toml")).unwrap();
    // The dispatcher's base folder has no double.sh: the route's own folder is used.
    let mut d = Dispatcher::new(MockCase::default(), routes, "/nonexistent", 0);
    let (envelope, _) = success(d.dispatch(&invoke_task("fn", json!(5))));
    assert_eq!(envelope["Payload"]["got"], 5);
}

fn mocks(states: Value, responses: Value) -> MockCase {
    MockConfig::from_value(
        json!({"StateMachines": {"M": {"TestCases": {"T": states}}}, "MockedResponses": responses}),
    )
    .unwrap()
    .case(None, None)
    .unwrap()
}

#[test]
fn mocks_answer_first_and_other_services_only_by_mock() {
    let case = mocks(
        json!({"Call": "R"}),
        json!({"R": {"0": {"Return": {"mocked": true}}}}),
    );
    let mut d = Dispatcher::new(
        case,
        Routes::from_options(&["*=command:sh fail.sh"]).unwrap(),
        fixtures(),
        0,
    );
    let (v, invocation) = success(d.dispatch(&invoke_task("fn", json!({}))));
    assert_eq!(
        (v, invocation.backend.as_str()),
        (json!({"mocked": true}), "mock")
    );
    // The mock has no second response: a States.Runtime failure, not the route.
    assert_eq!(
        failure(d.dispatch(&invoke_task("fn", json!({}))))
            .0
            .error
            .as_deref(),
        Some("States.Runtime")
    );

    let mut d = dispatcher(&["*=command:sh double.sh"]);
    let sqs = task(
        1,
        "arn:aws:states:::sqs:sendMessage",
        json!({"QueueUrl": "q"}),
    );
    assert_eq!(
        d.dispatch(&sqs),
        Dispatch::Unhandled(Unhandled::NoMock {
            state: "Call".into(),
            resource: "arn:aws:states:::sqs:sendMessage".into()
        })
    );
}

#[test]
fn unconfigured_manual_and_unmocked_functions_stay_pending() {
    let function = "arn:aws:lambda:us-east-1:123456789012:function:fn".to_string();
    let state = "Call".to_string();
    assert_eq!(
        dispatch("other=command:x", &invoke_task("fn", json!({}))),
        Dispatch::Unhandled(Unhandled::NoRoute {
            state: state.clone(),
            function: function.clone()
        })
    );
    let manual = Unhandled::Manual {
        state: state.clone(),
        function: function.clone(),
        route: "--function".into(),
    };
    assert_eq!(
        dispatch("fn=manual", &invoke_task("fn", json!({}))),
        Dispatch::Unhandled(manual)
    );
    let not_mocked = Unhandled::NotMocked {
        state,
        function,
        route: "--function".into(),
    };
    assert_eq!(
        dispatch("fn=mock", &invoke_task("fn", json!({}))),
        Dispatch::Unhandled(not_mocked.clone())
    );
    assert!(not_mocked.to_string().contains("no entry for 'Call'"));
}

#[test]
fn callback_tasks_wait_for_their_token_once_the_function_returns() {
    let mut req = task(
        1,
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        json!({"FunctionName": "fn", "Payload": {"token": "t0k"}}),
    );
    req.token = Some("t0k".into());
    match dispatch("*=command:sh double.sh", &req) {
        Dispatch::CallbackPending { invocation } => assert!(invocation.log.contains("t0k")),
        other => panic!("expected a pending callback, got {other:#?}"),
    }
    // A failing function fails the task at once.
    assert_eq!(
        failure(dispatch("*=command:sh fail.sh", &req))
            .0
            .error
            .as_deref(),
        Some("Runtime.ExitError")
    );
    // A mock answers for the token, as Step Functions Local does.
    let case = mocks(
        json!({"Call": "R"}),
        json!({"R": {"0": {"Return": {"approved": true}}}}),
    );
    let mut d = Dispatcher::new(case, Routes::default(), fixtures(), 0);
    assert_eq!(success(d.dispatch(&req)).0, json!({"approved": true}));
}

#[test]
fn request_ids_depend_on_seed_and_task_only() {
    let id_of = |seed: u64, task_id: u64| {
        let mut d = Dispatcher::new(
            MockCase::default(),
            Routes::from_options(&["*=command:sh double.sh"]).unwrap(),
            fixtures(),
            seed,
        );
        let mut req = invoke_task("fn", json!({}));
        req.id = task_id;
        success(d.dispatch(&req)).1.request_id.unwrap()
    };
    assert_eq!(id_of(1, 1), id_of(1, 1));
    assert_ne!(id_of(1, 1), id_of(1, 2));
    assert_ne!(id_of(1, 1), id_of(2, 1));
}

#[test]
fn a_sample_runs_end_to_end_on_a_command_backend() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let def = stepdbg::asl::load(&samples.join("lambda-invoke.asl.json")).unwrap();
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(samples.join("lambda-invoke.input.json")).unwrap(),
    )
    .unwrap();
    let quote = r#"{"total": 184.5, "currency": "USD", "validUntil": "2024-06-03T14:37:07Z"}"#;
    let routes = Routes::from_options(&[format!(
        "price-quote:live=command:printf %s '{quote}'?version=7"
    )])
    .unwrap();
    let mut ex = Execution::new(Arc::new(def.machine.clone()), input, Config::default());
    let mut d = Dispatcher::new(MockCase::default(), routes, fixtures(), 0)
        .with_scope(AwsScope::of(ex.config()));
    ex.run_with(|req| match d.dispatch(req) {
        Dispatch::Handled { outcome, .. } => Some(outcome),
        _ => None,
    });
    match ex.status() {
        Status::Succeeded { output } => {
            assert_eq!(output["total"], 184.5);
            assert_eq!(output["pricedBy"], "price-quote version 7");
        }
        other => panic!("{other:?}"),
    }
}
