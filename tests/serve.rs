//! `stepdbg serve` through real HTTP, as an SDK talks to it (AWS JSON 1.0 with
//! X-Amz-Target): state machines, executions, histories, callbacks, stops, the #TestCase
//! mock convention, sync executions, TestState, AWS's error shapes, and many executions at
//! once.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stepdbg::json;
use stepdbg::json::Value;
use stepdbg::serve::api::{ServeOptions, Service, TimeMode};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

fn samples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

struct Api {
    addr: SocketAddr,
    service: Arc<Service>,
    _server: stepdbg::shell::http::server::Server,
}

impl Api {
    fn start(mocks: Option<&str>) -> Api {
        Api::start_with(mocks, false)
    }

    /// `debug`: as `serve --tui` runs it (executions pause at breakpoints).
    fn start_with(mocks: Option<&str>, debug: bool) -> Api {
        let mocks = mocks
            .map(|m| stepdbg::integrations::mock::MockConfig::load(&samples().join(m)).unwrap());
        Api::start_options(ServeOptions {
            mocks,
            lambda_endpoint: None,
            time: TimeMode::Virtual,
            region: REGION.into(),
            account: ACCOUNT.into(),
            debug,
        })
    }

    /// Waits, back-offs and timeouts in real time divided by `scale`.
    fn start_real_time(scale: f64, lambda_endpoint: Option<String>) -> Api {
        Api::start_options(ServeOptions {
            mocks: None,
            lambda_endpoint,
            time: TimeMode::Real { scale },
            region: REGION.into(),
            account: ACCOUNT.into(),
            debug: false,
        })
    }

    fn start_options(options: ServeOptions) -> Api {
        let service = Service::new(options);
        let server = stepdbg::serve::start(service.clone(), "127.0.0.1:0", false).unwrap();
        Api {
            addr: server.addr,
            service,
            _server: server,
        }
    }

    /// (HTTP status, body).
    fn raw(&self, action: &str, body: &str) -> (u16, Value) {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: AWSStepFunctions.{action}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let status: u16 = text[9..12].parse().unwrap();
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    fn ok(&self, action: &str, body: Value) -> Value {
        let (status, v) = self.raw(action, &body.to_string());
        assert_eq!(status, 200, "{action}: {v}");
        v
    }

    fn err(&self, action: &str, body: Value) -> String {
        let (status, v) = self.raw(action, &body.to_string());
        assert_eq!(status, 400, "{action}: {v}");
        v["__type"].as_str().unwrap().to_string()
    }

    fn create(&self, name: &str, file: &str, kind: &str) -> String {
        let definition = std::fs::read_to_string(samples().join(file)).unwrap();
        self.create_text(name, &definition, kind)
    }

    /// CreateStateMachine: its ARN.
    fn create_text(&self, name: &str, definition: &str, kind: &str) -> String {
        self.ok(
            "CreateStateMachine",
            json!({"name": name, "definition": definition, "roleArn": "arn:aws:iam::123456789012:role/sfn", "type": kind}),
        )["stateMachineArn"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Describe `arn` until it is no longer RUNNING.
    fn finished(&self, arn: &str) -> Value {
        let start = Instant::now();
        loop {
            let d = self.ok("DescribeExecution", json!({"executionArn": arn}));
            if d["status"] != "RUNNING" {
                return d;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "still running: {d}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// StartExecution: the execution's ARN.
    fn started(&self, body: Value) -> String {
        self.ok("StartExecution", body)["executionArn"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn events(&self, arn: &str) -> Vec<Value> {
        self.ok(
            "GetExecutionHistory",
            json!({"executionArn": arn, "maxResults": 1000}),
        )["events"]
            .as_array()
            .unwrap()
            .clone()
    }
}

mod fake_lambda;

fn input(file: &str) -> String {
    std::fs::read_to_string(samples().join(file)).unwrap()
}

#[test]
fn a_callback_execution_through_the_api() {
    let api = Api::start(None);
    let sm = api.create("callback", "callback.asl.json", "STANDARD");
    let d = api.ok("DescribeStateMachine", json!({"stateMachineArn": sm}));
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(d["type"], "STANDARD");
    let listed = api.ok("ListStateMachines", json!({}));
    assert_eq!(listed["stateMachines"][0]["name"], "callback");
    let started = api.ok(
        "StartExecution",
        json!({"stateMachineArn": sm, "name": "review-1", "input": input("callback.input.json")}),
    );
    let arn = started["executionArn"].as_str().unwrap().to_string();
    assert_eq!(
        arn,
        format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:callback:review-1")
    );
    // The callback task waits for its token: find it in the TaskScheduled parameters.
    let token = {
        let start = Instant::now();
        loop {
            let events = api.events(&arn);
            if let Some(e) = events
                .iter()
                .find(|e| e["type"] == "TaskSubmitted" || e["type"] == "TaskScheduled")
            {
                let params: Value = serde_json::from_str(
                    e["taskScheduledEventDetails"]["parameters"]
                        .as_str()
                        .unwrap_or("{}"),
                )
                .unwrap();
                if let Some(t) = params["Payload"]["token"].as_str() {
                    break t.to_string();
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no token in {events:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    assert_eq!(
        api.ok("DescribeExecution", json!({"executionArn": arn}))["status"],
        "RUNNING"
    );
    api.ok("SendTaskHeartbeat", json!({"taskToken": token}));
    api.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"decision\":\"APPROVED\",\"reviewer\":\"ana\"}"}),
    );
    let d = api.finished(&arn);
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    let output: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(output["approvedBy"], "ana");
    // The token is spent.
    assert_eq!(
        api.err(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"})
        ),
        "TaskDoesNotExist"
    );
    // History: paged, reversed, without data when asked.
    let all = api.events(&arn);
    assert_eq!(all[0]["type"], "ExecutionStarted");
    assert!(all[0]["timestamp"].is_number());
    assert_eq!(all.last().unwrap()["type"], "ExecutionSucceeded");
    let page = api.ok("GetExecutionHistory", json!({"executionArn": arn, "maxResults": 2, "reverseOrder": true, "includeExecutionData": false}));
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
    assert_eq!(page["events"][0]["type"], "ExecutionSucceeded");
    assert!(
        page["events"][0]["executionSucceededEventDetails"]
            .get("output")
            .is_none()
    );
    let next = api.ok(
        "GetExecutionHistory",
        json!({"executionArn": arn, "maxResults": 2, "nextToken": page["nextToken"]}),
    );
    assert_eq!(next["events"][0]["id"], 3);
    let described = api.ok(
        "DescribeStateMachineForExecution",
        json!({"executionArn": arn}),
    );
    assert!(
        described["definition"]
            .as_str()
            .unwrap()
            .contains("Request review")
    );
    let list = api.ok(
        "ListExecutions",
        json!({"stateMachineArn": sm, "statusFilter": "SUCCEEDED"}),
    );
    assert_eq!(list["executions"][0]["name"], "review-1");
}

#[test]
fn the_test_case_convention_stops_and_sync_executions() {
    let api = Api::start(Some("retry-catch.mocks.json"));
    let sm = api.create("retry-catch", "retry-catch.asl.json", "STANDARD");
    // Step Functions Local's convention: ARN#TestCase answers from the mock file.
    let arn = api.started(json!({"stateMachineArn": format!("{sm}#HappyPath"), "input": input("retry-catch.input.json")}));
    let d = api.finished(&arn);
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert!(
        d["output"]
            .as_str()
            .unwrap()
            .contains("ch_3PNxRk2eZvKYlo2C0w1s9d8f")
    );
    let failed: Vec<Value> = api
        .events(&arn)
        .into_iter()
        .filter(|e| e["type"] == "TaskFailed")
        .collect();
    assert_eq!(failed.len(), 2, "two throttled attempts, retried");
    assert_eq!(
        api.err(
            "StartExecution",
            json!({"stateMachineArn": format!("{sm}#NoSuchCase")})
        ),
        "ValidationException"
    );
    // Stop an execution that waits for a token.
    let cb = api.create("callback", "callback.asl.json", "STANDARD");
    let arn = api.started(json!({"stateMachineArn": cb, "input": input("callback.input.json")}));
    std::thread::sleep(Duration::from_millis(50));
    api.ok(
        "StopExecution",
        json!({"executionArn": arn, "error": "Cancelled", "cause": "by the test"}),
    );
    let d = api.finished(&arn);
    assert_eq!(d["status"], "ABORTED");
    assert_eq!(d["error"], "Cancelled");
    assert_eq!(api.events(&arn).last().unwrap()["type"], "ExecutionAborted");
    // EXPRESS: StartSyncExecution answers with the result.
    let ex = api.create("map-express", "map.asl.json", "EXPRESS");
    let r = api.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": ex, "input": input("map.input.json")}),
    );
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert!(
        r["executionArn"]
            .as_str()
            .unwrap()
            .contains(":express:map-express:")
    );
    assert_eq!(
        api.err("StartSyncExecution", json!({"stateMachineArn": sm})),
        "StateMachineTypeNotSupported"
    );
}

#[test]
fn errors_have_aws_shapes() {
    let api = Api::start(None);
    let sm = api.create("callback", "callback.asl.json", "STANDARD");
    let missing = format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:nope");
    assert_eq!(
        api.err("DescribeStateMachine", json!({"stateMachineArn": missing})),
        "StateMachineDoesNotExist"
    );
    assert_eq!(
        api.err(
            "DescribeStateMachine",
            json!({"stateMachineArn": "not-an-arn"})
        ),
        "InvalidArn"
    );
    assert_eq!(
        api.err("DescribeExecution", json!({"executionArn": format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:callback:nope")})),
        "ExecutionDoesNotExist"
    );
    assert_eq!(
        api.err("CreateStateMachine", json!({"name": "bad", "definition": "{\"StartAt\": \"X\", \"States\": {}}", "roleArn": "r"})),
        "InvalidDefinition"
    );
    assert_eq!(
        api.err(
            "CreateStateMachine",
            json!({"name": "bad name", "definition": "{}", "roleArn": "r"})
        ),
        "InvalidName"
    );
    assert_eq!(
        api.err("CreateStateMachine", json!({"name": "x"})),
        "ValidationException"
    );
    api.ok(
        "StartExecution",
        json!({"stateMachineArn": sm, "name": "once"}),
    );
    assert_eq!(
        api.err(
            "StartExecution",
            json!({"stateMachineArn": sm, "name": "once"})
        ),
        "ExecutionAlreadyExists"
    );
    assert_eq!(
        api.err(
            "StartExecution",
            json!({"stateMachineArn": sm, "input": "{not json"})
        ),
        "InvalidExecutionInput"
    );
    assert_eq!(
        api.err(
            "SendTaskSuccess",
            json!({"taskToken": "abc", "output": "{}"})
        ),
        "InvalidToken"
    );
    assert_eq!(
        api.err("NoSuchAction", json!({})),
        "UnknownOperationException"
    );
    let (status, v) = api.raw("ListStateMachines", "[1]");
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let v = api.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": "{\"StartAt\": \"X\", \"States\": {}}"}),
    );
    assert_eq!(v["result"], "FAIL");
    assert_eq!(v["diagnostics"][0]["severity"], "ERROR");
    assert!(
        v["diagnostics"][0]["location"]
            .as_str()
            .unwrap()
            .starts_with('/')
    );
}

#[test]
fn test_state_at_each_inspection_level_with_mocks_and_retries() {
    let api = Api::start(None);
    // AWS's documentation example: a Lambda task, its result mocked.
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f", "Payload.$": "$"},
        "ResultSelector": {"body.$": "$.Payload"}, "ResultPath": "$.result",
        "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 2, "IntervalSeconds": 2, "BackoffRate": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fallback"}], "Next": "Done"}).to_string();
    let mock = json!({"result": "{\"Payload\": {\"ok\": true}, \"StatusCode\": 200}"});
    let info = api.ok("TestState", json!({"definition": task, "input": "{\"id\": 7}", "mock": mock, "inspectionLevel": "INFO", "roleArn": "r"}));
    assert_eq!(info["status"], "SUCCEEDED");
    assert_eq!(info["nextState"], "Done");
    assert_eq!(
        info["output"],
        "{\"id\":7,\"result\":{\"body\":{\"ok\":true}}}"
    );
    assert!(info.get("inspectionData").is_none());
    for level in ["DEBUG", "TRACE"] {
        let r = api.ok("TestState", json!({"definition": task, "input": "{\"id\": 7}", "mock": mock, "inspectionLevel": level}));
        let data = &r["inspectionData"];
        assert_eq!(data["input"], "{\"id\":7}", "{r}");
        assert_eq!(
            data["afterParameters"],
            "{\"FunctionName\":\"arn:aws:lambda:us-east-1:123456789012:function:f\",\"Payload\":{\"id\":7}}"
        );
        assert_eq!(data["afterResultSelector"], "{\"body\":{\"ok\":true}}");
    }
    // An error the Retry takes: RETRIABLE, with the back-off; once spent: the Catch.
    let error = json!({"errorOutput": {"error": "Lambda.ServiceException", "cause": "boom"}});
    let r = api.ok(
        "TestState",
        json!({"definition": task, "mock": error, "inspectionLevel": "DEBUG"}),
    );
    assert_eq!(r["status"], "RETRIABLE", "{r}");
    assert_eq!(
        r["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 2})
    );
    let r = api.ok(
        "TestState",
        json!({"definition": task, "mock": error, "inspectionLevel": "DEBUG",
        "stateConfiguration": {"retrierRetryCount": 2}}),
    );
    assert_eq!(r["status"], "CAUGHT_ERROR", "{r}");
    assert_eq!(r["nextState"], "Fallback");
    assert_eq!(r["inspectionData"]["errorDetails"]["catchIndex"], 0);
    // A state of a whole machine, by name; a Choice's next state.
    let machine = std::fs::read_to_string(samples().join("callback.asl.json")).unwrap();
    let r = api.ok(
        "TestState",
        json!({"definition": machine, "stateName": "Approved?",
        "input": "{\"review\": {\"decision\": \"APPROVED\"}}"}),
    );
    assert_eq!(r["nextState"], "Deploy model", "{r}");
    assert_eq!(
        api.err("TestState", json!({"definition": machine})),
        "ValidationException"
    );
    assert_eq!(
        api.err(
            "TestState",
            json!({"definition": "{\"Type\": \"Pass\", \"Next\": 1}"})
        ),
        "InvalidDefinition"
    );
    // Nothing answers an unmocked task here: said.
    assert_eq!(
        api.err("TestState", json!({"definition": task})),
        "ValidationException"
    );
}

#[test]
fn test_state_of_map_and_parallel_states_with_their_state_configuration() {
    let api = Api::start(None);
    // A Map tolerating one failed iteration, with a Catch for more.
    let map = json!({"Type": "Map", "ItemsPath": "$.Values", "MaxConcurrency": 2,
        "ToleratedFailureCount": 1,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": true}}},
        "ResultPath": "$.results",
        "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "HandleThreshold"}],
        "Next": "Done"}).to_string();
    let input = "{\"Values\": [\"first\", \"second\", \"third\"]}";
    // The mock is what the iterations came to: none run (their task has no answer here).
    let r = api.ok(
        "TestState",
        json!({"definition": map, "input": input, "inspectionLevel": "DEBUG",
        "mock": {"result": "[1, 1, 1]"}, "stateConfiguration": {"mapIterationFailureCount": 1}}),
    );
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["nextState"], "Done");
    assert_eq!(
        r["output"],
        "{\"Values\":[\"first\",\"second\",\"third\"],\"results\":[1,1,1]}"
    );
    let data = &r["inspectionData"];
    assert_eq!(data["afterItemsPath"], "[\"first\",\"second\",\"third\"]");
    assert_eq!(data["maxConcurrency"], 2);
    assert_eq!(data["toleratedFailureCount"], 1);
    // More failed iterations than tolerated: the threshold error, caught.
    let r = api.ok(
        "TestState",
        json!({"definition": map, "input": input, "inspectionLevel": "INFO",
        "mock": {"result": "[0, 0, 1]"}, "stateConfiguration": {"mapIterationFailureCount": 2}}),
    );
    assert_eq!(r["status"], "CAUGHT_ERROR", "{r}");
    assert_eq!(r["error"], "States.ExceedToleratedFailureThreshold");
    assert_eq!(
        r["cause"],
        "The specified tolerated failure threshold was exceeded"
    );
    assert_eq!(r["nextState"], "HandleThreshold");
    // A mocked error from a state inside it fails the Map with that error.
    let r = api.ok(
        "TestState",
        json!({"definition": map, "input": input, "inspectionLevel": "INFO",
        "mock": {"errorOutput": {"error": "MockException", "cause": "Mock the error cause."}},
        "stateConfiguration": {"errorCausedByState": "HandleItem"}}),
    );
    assert_eq!(
        r,
        json!({"status": "FAILED", "error": "MockException", "cause": "Mock the error cause."})
    );
    // A Parallel's mock is its branches' results.
    let parallel = json!({"Type": "Parallel", "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Parameters": {"TopicArn": "t", "Message": "m"}, "End": true}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}], "End": true}).to_string();
    let r = api.ok(
        "TestState",
        json!({"definition": parallel, "mock": {"result": "[{\"MessageId\": \"m-1\"}, {}]"}}),
    );
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["output"], "[{\"MessageId\":\"m-1\"},{}]");
    // What does not fit the state tested is refused as AWS refuses it.
    for bad in [
        json!({"definition": map, "input": input, "mock": {"errorOutput": {"error": "E"}},
            "stateConfiguration": {"errorCausedByState": "NoSuchState"}}),
        json!({"definition": map, "input": input, "mock": {"result": "[]"},
            "stateConfiguration": {"mapIterationFailureCount": -1}}),
        json!({"definition": map, "input": input, "mock": {"result": "{\"not\": \"a list\"}"}}),
        json!({"definition": parallel, "mock": {"result": "[]"},
            "stateConfiguration": {"mapIterationFailureCount": 1}}),
        json!({"definition": parallel, "stateConfiguration": {"mapItemReaderData": "[1]"}}),
    ] {
        assert_eq!(
            api.err("TestState", bad.clone()),
            "ValidationException",
            "{bad}"
        );
    }
    // A Distributed Map's ItemReader reads mapItemReaderData as its ReaderConfig says;
    // unmocked, the iterations run (Pass states), in batches.
    let reader = json!({"StartAt": "State0", "States": {"State0": {"Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 3},
            "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"}},
        "ItemSelector": {"sku.$": "$$.Map.Item.Value.sku"},
        "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Count", "States": {"Count": {"Type": "Pass",
                "Parameters": {"n.$": "States.ArrayLength($.Items)"}, "End": true}}},
        "End": true}}})
    .to_string();
    let r = api.ok(
        "TestState",
        json!({"definition": reader, "stateName": "State0",
        "input": "{\"Bucket\": \"test-bucket\", \"Key\": \"test-key\"}", "inspectionLevel": "DEBUG",
        "stateConfiguration": {"mapItemReaderData": "sku,qty\nMUG,2\nCAP,5\nPIN,1\nBAG,3\n"}}),
    );
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["output"], "[{\"n\":2},{\"n\":1}]");
    let data = &r["inspectionData"];
    assert_eq!(
        data["afterItemSelector"],
        "[{\"sku\":\"MUG\"},{\"sku\":\"CAP\"},{\"sku\":\"PIN\"}]"
    );
    assert_eq!(
        data["afterItemBatcher"],
        "[{\"Items\":[{\"sku\":\"MUG\"},{\"sku\":\"CAP\"}]},{\"Items\":[{\"sku\":\"PIN\"}]}]"
    );
    // Mocked, the reader still reads (its items are in the inspection data).
    let r = api.ok(
        "TestState",
        json!({"definition": reader, "stateName": "State0",
        "input": "{\"Bucket\": \"b\", \"Key\": \"k\"}", "mock": {"result": "[1, 4, 9]"},
        "stateConfiguration": {"mapItemReaderData": "sku\nA\n"}}),
    );
    assert_eq!(r["output"], "[1,4,9]", "{r}");
}

#[test]
fn redrive_a_failed_execution_from_the_state_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mocks = dir.path().join("mocks.json");
    std::fs::write(
        &mocks,
        json!({"StateMachines": {"orders": {"TestCases": {"FlakyOnce": {"Charge": "FailThenCharge"}}}},
               "MockedResponses": {"FailThenCharge": {
                   "0": {"Throw": {"Error": "Payment.Unavailable", "Cause": "the card service is down"}},
                   "1": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}}}})
        .to_string(),
    )
    .unwrap();
    let api = Api::start(Some(mocks.to_str().unwrap()));
    let definition = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"prepared": true}, "ResultPath": "$.prep", "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload": {"redrives.$": "$$.Execution.RedriveCount"}},
            "ResultSelector": {"charged.$": "$.Payload.charged", "redrives.$": "$$.Execution.RedriveCount"},
            "ResultPath": "$.charge", "End": true}}})
    .to_string();
    let sm = api.ok(
        "CreateStateMachine",
        json!({"name": "orders", "definition": definition, "roleArn": "arn:aws:iam::123456789012:role/sfn"}),
    )["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_string();
    let arn = api.started(json!({"stateMachineArn": format!("{sm}#FlakyOnce"), "input": "{}"}));
    let d = api.finished(&arn);
    assert_eq!(d["status"], "FAILED", "{d}");
    assert_eq!(d["error"], "Payment.Unavailable");
    assert_eq!(d["redriveCount"], 0);
    assert_eq!(d["redriveStatus"], "REDRIVABLE");
    let r = api.ok("RedriveExecution", json!({"executionArn": arn}));
    assert!(r["redriveDate"].is_number(), "{r}");
    let d = api.finished(&arn);
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["redriveCount"], 1);
    assert_eq!(d["redriveStatus"], "NOT_REDRIVABLE");
    assert!(d["redriveDate"].is_number());
    let output: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        output,
        json!({"prep": {"prepared": true}, "charge": {"charged": true, "redrives": 1}})
    );
    // The history goes on after ExecutionFailed: ExecutionRedriven, then only the state that
    // failed runs again.
    let events = api.events(&arn);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let failed_at = types.iter().position(|t| *t == "ExecutionFailed").unwrap();
    assert_eq!(types[failed_at + 1], "ExecutionRedriven", "{types:?}");
    assert_eq!(
        events[failed_at + 1]["executionRedrivenEventDetails"]["redriveCount"],
        1
    );
    assert_eq!(
        types.iter().filter(|t| **t == "PassStateEntered").count(),
        1
    );
    assert_eq!(
        types.iter().filter(|t| **t == "TaskStateEntered").count(),
        2
    );
    assert_eq!(*types.last().unwrap(), "ExecutionSucceeded");
    // A succeeded execution cannot be redriven; nor can an unknown one.
    assert_eq!(
        api.err("RedriveExecution", json!({"executionArn": arn})),
        "ExecutionNotRedrivable"
    );
    assert_eq!(
        api.err(
            "RedriveExecution",
            json!({"executionArn": format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:orders:nope")})
        ),
        "ExecutionDoesNotExist"
    );
}

/// Wait until `arn` shows paused on the debugger's list.
fn paused_at(api: &Api, arn: &str) -> String {
    let start = Instant::now();
    loop {
        let view = api.service.executions_view();
        if let Some(at) = view
            .iter()
            .find(|e| e.arn == arn)
            .and_then(|e| e.paused_at.clone())
        {
            return at;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{view:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn app_options() -> stepdbg::tui::AppOptions {
    stepdbg::tui::AppOptions::default()
}

#[test]
fn the_debugger_attaches_to_a_suites_execution_at_a_breakpoint() {
    use stepdbg::tui::server;
    let api = Api::start_with(Some("retry-catch.mocks.json"), true);
    let sm = api.create("retry-catch", "retry-catch.asl.json", "STANDARD");
    // Breakpoints on the state machine, as its panes set them.
    let mut machine = server::machine_app(&api.service, "retry-catch", app_options()).unwrap();
    machine.run_command("break Confirm order");
    let said = server::machine_closed(&api.service, "retry-catch", &machine);
    assert!(said.contains("pause before 'Confirm order'"), "{said}");
    // The suite starts an execution: it pauses there, and the API says RUNNING.
    let arn = api.started(json!({"stateMachineArn": format!("{sm}#HappyPath"), "input": input("retry-catch.input.json")}));
    assert_eq!(paused_at(&api, &arn), "Confirm order");
    std::thread::sleep(Duration::from_millis(50));
    let d = api.ok("DescribeExecution", json!({"executionArn": arn}));
    assert_eq!(d["status"], "RUNNING", "{d}");
    // Attached: the panes show what ran so far, the three Charge card attempts included.
    let lent = api.service.attach(&arn).unwrap();
    let mut app = server::execution_app(&api.service, lent, app_options()).unwrap();
    assert_eq!(app.ix.current.as_ref().unwrap().name, "Confirm order");
    assert!(app.session.breakpoints.has("Confirm order"));
    let retried = app
        .exec()
        .history()
        .iter()
        .filter(|e| e.kind.as_str() == "TaskFailed")
        .count();
    assert_eq!(retried, 2);
    let views = api.service.executions_view();
    assert!(views.iter().any(|e| e.arn == arn && e.attached));
    // One step here; the suite still sees it RUNNING.
    app.press("s");
    assert_eq!(app.session.status().name(), "SUCCEEDED");
    assert_eq!(
        api.ok("DescribeExecution", json!({"executionArn": arn}))["status"],
        "RUNNING"
    );
    // Given back: it runs on (here it had ended), and the suite sees the end.
    let said = server::execution_closed(&api.service, &arn, app);
    assert!(said.contains("given back"), "{said}");
    let d = api.finished(&arn);
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert!(d["output"].as_str().unwrap().contains("PAID"), "{d}");
    assert_eq!(
        api.events(&arn).last().unwrap()["type"],
        "ExecutionSucceeded"
    );
}

#[test]
fn a_token_the_suite_waits_for_is_answered_in_the_debugger() {
    use stepdbg::tui::server;
    let api = Api::start_with(None, true);
    let sm = api.create("callback", "callback.asl.json", "STANDARD");
    let arn = api.started(json!({"stateMachineArn": sm, "input": input("callback.input.json")}));
    // It waits for its token (nothing answers it): Enter pauses it and opens it.
    std::thread::sleep(Duration::from_millis(100));
    let lent = api.service.attach(&arn).expect("paused for the debugger");
    let mut app = server::execution_app(&api.service, lent, app_options()).unwrap();
    assert_eq!(
        app.pending().len(),
        1,
        "the token waits in the Pending pane"
    );
    let task = app.pending()[0].id;
    app.session
        .complete(
            task,
            stepdbg::engine::TaskOutcome::Success(
                json!({"decision": "APPROVED", "reviewer": "me@example.com"}),
            ),
        )
        .unwrap();
    app.press("c");
    app.settle();
    assert_eq!(app.status_word(), "SUCCEEDED");
    server::execution_closed(&api.service, &arn, app);
    let d = api.finished(&arn);
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    // What the suite sends while the debugger has an execution is applied when it is given
    // back: its SendTaskSuccess, then a StopExecution of another.
    let waiting =
        api.started(json!({"stateMachineArn": sm, "input": input("callback.input.json")}));
    std::thread::sleep(Duration::from_millis(100));
    let lent = api
        .service
        .attach(&waiting)
        .expect("paused for the debugger");
    let token = lent
        .exec
        .pending_tasks()
        .find_map(|t| t.token.clone())
        .unwrap();
    let app = server::execution_app(&api.service, lent, app_options()).unwrap();
    api.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"decision\": \"APPROVED\", \"reviewer\": \"suite\"}"}),
    );
    assert_eq!(
        api.ok("DescribeExecution", json!({"executionArn": waiting}))["status"],
        "RUNNING"
    );
    server::execution_closed(&api.service, &waiting, app);
    let d = api.finished(&waiting);
    assert_eq!(d["status"], "SUCCEEDED", "the suite's answer counted: {d}");
    let stopped =
        api.started(json!({"stateMachineArn": sm, "input": input("callback.input.json")}));
    std::thread::sleep(Duration::from_millis(100));
    let lent = api.service.attach(&stopped).unwrap();
    let app = server::execution_app(&api.service, lent, app_options()).unwrap();
    api.ok(
        "StopExecution",
        json!({"executionArn": stopped, "error": "Cancelled"}),
    );
    server::execution_closed(&api.service, &stopped, app);
    let d = api.finished(&stopped);
    assert_eq!(d["status"], "ABORTED", "{d}");
    assert_eq!(d["error"], "Cancelled");
    // Detached without a breakpoint, a later execution runs through.
    let arn = api.started(json!({"stateMachineArn": sm, "input": input("callback.input.json")}));
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        api.service
            .executions_view()
            .iter()
            .all(|e| e.paused_at.is_none())
    );
    api.ok("StopExecution", json!({"executionArn": arn}));
    assert_eq!(api.finished(&arn)["status"], "ABORTED");
}

#[test]
fn the_server_screen_lists_machines_and_executions_live() {
    use ratatui::backend::TestBackend;
    use stepdbg::tui::server::{Open, ServerScreen};
    let api = Api::start_with(Some("retry-catch.mocks.json"), true);
    let sm = api.create("retry-catch", "retry-catch.asl.json", "STANDARD");
    api.service
        .set_breakpoints("retry-catch", vec!["Confirm order".into()]);
    let arn = api.started(json!({"stateMachineArn": format!("{sm}#HappyPath"), "name": "suite-run-1", "input": input("retry-catch.input.json")}));
    paused_at(&api, &arn);
    let mut screen = ServerScreen::new(api.service.clone(), "127.0.0.1:8083".into());
    let mut t = ratatui::Terminal::new(TestBackend::new(180, 12)).unwrap();
    let theme = stepdbg::tui::Theme::monochrome();
    t.draw(|f| screen.render(f.area(), f.buffer_mut(), &theme))
        .unwrap();
    let text = t.backend().to_string();
    assert!(
        text.contains("retry-catch  STANDARD · 1 execution  ● Confirm order"),
        "{text}"
    );
    assert!(text.contains("suite-run-1"), "{text}");
    assert!(text.contains("⏸ paused before 'Confirm order'"), "{text}");
    assert!(text.contains("1 paused"), "{text}");
    let key = |c| crossterm::event::KeyEvent::from(c);
    use crossterm::event::KeyCode;
    assert_eq!(
        screen.on_key(&key(KeyCode::Enter)),
        Some(Open::Execution(arn))
    );
    screen.on_key(&key(KeyCode::Tab));
    assert_eq!(
        screen.on_key(&key(KeyCode::Enter)),
        Some(Open::Machine("retry-catch".into()))
    );
    assert_eq!(screen.on_key(&key(KeyCode::Char('q'))), Some(Open::Quit));
}

#[test]
fn many_executions_at_once_all_finish() {
    let api = Arc::new(Api::start(Some("retry-catch.mocks.json")));
    let sm = api.create("retry-catch", "retry-catch.asl.json", "STANDARD");
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (api, sm) = (api.clone(), sm.clone());
            std::thread::spawn(move || {
                (0..25)
                    .map(|i| {
                        api.started(json!({"stateMachineArn": format!("{sm}#HappyPath"),
                            "name": format!("c{c}-{i}"), "input": input("retry-catch.input.json")}))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let arns: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert_eq!(arns.len(), 200);
    for arn in &arns {
        assert_eq!(api.finished(arn)["status"], "SUCCEEDED");
    }
    let mut listed = 0;
    let mut token = Value::Null;
    loop {
        let page = api.ok(
            "ListExecutions",
            json!({"stateMachineArn": sm, "maxResults": 50, "nextToken": token}),
        );
        listed += page["executions"].as_array().unwrap().len();
        token = page.get("nextToken").cloned().unwrap_or(Value::Null);
        if token.is_null() {
            break;
        }
    }
    assert_eq!(listed, 200, "none lost");
}

/// In real time the execution's own TimeoutSeconds stops a function still running then
/// (as on AWS), rather than waiting for the function's timeout (60 s here).
#[test]
fn the_executions_timeout_stops_a_function_still_running() {
    use fake_lambda::{Reply, answer, serve};
    let (url, requests, _stop) = serve(vec![
        answer("200 OK", vec![], r#"{"fast": true}"#),
        Reply::Silence,
    ]);
    let api = Api::start_real_time(1.0, Some(format!("{url}?timeout=60")));
    let call = |f: &str| {
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
               "Parameters": {"FunctionName": f}})
    };
    let mut fast = call("fast");
    fast["Next"] = json!("Hang");
    let mut hang = call("hang");
    hang["End"] = json!(true);
    let definition = json!({"StartAt": "Fast", "TimeoutSeconds": 2,
                            "States": {"Fast": fast, "Hang": hang}});
    let sm = api.create_text("slow", &definition.to_string(), "STANDARD");
    let arn = api.started(json!({"stateMachineArn": sm, "input": "{}"}));
    let d = api.finished(&arn);
    assert_eq!(d["status"], "TIMED_OUT", "{d}");
    assert_eq!(d["error"], "States.Timeout");
    let types: Vec<String> = api
        .events(&arn)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types.last().map(String::as_str), Some("ExecutionTimedOut"));
    // The first function answered; the second was still running when time ran out.
    let count = |kind: &str| types.iter().filter(|t| *t == kind).count();
    assert_eq!(count("TaskSucceeded"), 1, "{types:?}");
    assert_eq!(count("TaskStarted"), 2, "{types:?}");
    assert_eq!(
        requests.iter().take(2).count(),
        2,
        "both functions were called"
    );
}

/// A Wait longer than a `Duration` holds once scaled (`--time-scale` far below 1) waits
/// until stopped: the execution's thread does not panic, and StopExecution ends it.
#[test]
fn a_wait_too_long_to_scale_waits_until_stopped() {
    let api = Api::start_real_time(1e-12, None);
    let definition = json!({"StartAt": "Long", "States": {
        "Long": {"Type": "Wait", "Seconds": 99_999_999, "End": true}}});
    let sm = api.create_text("long", &definition.to_string(), "STANDARD");
    let arn = api.started(json!({"stateMachineArn": sm, "input": "{}"}));
    let start = Instant::now();
    while !api
        .events(&arn)
        .iter()
        .any(|e| e["type"] == "WaitStateEntered")
    {
        assert!(start.elapsed() < Duration::from_secs(10), "never waited");
        std::thread::sleep(Duration::from_millis(10));
    }
    api.ok("StopExecution", json!({"executionArn": arn}));
    assert_eq!(api.finished(&arn)["status"], "ABORTED");
    // The execution's thread lived to hand it back: it can be redriven (a thread that
    // had panicked would leave it "still finishing").
    api.ok("RedriveExecution", json!({"executionArn": arn}));
    api.ok("StopExecution", json!({"executionArn": arn}));
    assert_eq!(api.finished(&arn)["status"], "ABORTED");
}
