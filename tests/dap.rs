//! `stepdbg dap` driven as an editor drives it: Content-Length framed JSON over the child's
//! stdin and stdout, requests answered in order, events read as they come.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};
use stepdbg::json;
use stepdbg::json::Value;

const WAIT: Duration = Duration::from_secs(20);

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// A DAP client of a `stepdbg dap` child.
struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    seq: u64,
    /// Events received while waiting for something else, oldest first.
    events: Vec<Value>,
    /// Every output event's text so far.
    output: String,
    /// Threads announced by `thread` events (started).
    started: Vec<u64>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stepdbg"))
            .arg("dap")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length:") {
                        length = n.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            seq: 0,
            events: Vec::new(),
            output: String::new(),
            started: Vec::new(),
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, command: &str, arguments: Value) -> u64 {
        self.seq += 1;
        let body =
            json!({"seq": self.seq, "type": "request", "command": command, "arguments": arguments})
                .to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
        self.seq
    }

    fn next(&mut self) -> Value {
        match self.rx.recv_timeout(WAIT) {
            Ok(v) => {
                if v["event"] == "output" {
                    self.output
                        .push_str(v["body"]["output"].as_str().unwrap_or(""));
                }
                if v["event"] == "thread" && v["body"]["reason"] == "started" {
                    self.started.push(v["body"]["threadId"].as_u64().unwrap());
                }
                v
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("no message within {WAIT:?}; events: {:#?}", self.events)
            }
            Err(RecvTimeoutError::Disconnected) => panic!("the adapter closed its output"),
        }
    }

    /// Send a request and return its response (events on the way are kept).
    fn request(&mut self, command: &str, arguments: Value) -> Value {
        let seq = self.send(command, arguments);
        self.response_to(seq)
    }

    fn response_to(&mut self, seq: u64) -> Value {
        loop {
            let m = self.next();
            if m["type"] == "response" && m["request_seq"] == seq {
                return m;
            }
            if m["type"] == "event" {
                self.events.push(m);
            }
        }
    }

    /// A request that must succeed: its body.
    fn ok(&mut self, command: &str, arguments: Value) -> Value {
        let r = self.request(command, arguments);
        assert_eq!(r["success"], true, "{command}: {r}");
        r.get("body").cloned().unwrap_or(Value::Null)
    }

    /// Wait for an event named `name` (taking it and those before it).
    fn event(&mut self, name: &str) -> Value {
        let start = Instant::now();
        loop {
            if let Some(i) = self.events.iter().position(|e| e["event"] == name) {
                let e = self.events.remove(i);
                self.events.drain(..i);
                return e;
            }
            assert!(
                start.elapsed() < WAIT,
                "no '{name}' event; got {:#?}",
                self.events
            );
            let m = self.next();
            if m["type"] == "event" {
                self.events.push(m);
            }
        }
    }

    fn stopped(&mut self) -> Value {
        self.event("stopped")["body"].clone()
    }

    /// Everything output so far, joined.
    fn output_text(&self) -> String {
        self.output.clone()
    }

    /// initialize + launch + configuration, stopped on entry.
    fn launch(program: &Path, extra: Value) -> Client {
        let mut c = Client::start();
        let caps = c.ok(
            "initialize",
            json!({"clientID": "test", "adapterID": "stepdbg", "linesStartAt1": true}),
        );
        assert_eq!(caps["supportsStepBack"], true);
        let mut args = json!({"program": program, "stopOnEntry": true});
        for (k, v) in extra.as_object().unwrap() {
            args[k] = v.clone();
        }
        c.ok("launch", args);
        c.event("initialized");
        c
    }

    fn configured(&mut self) -> Value {
        self.ok("configurationDone", json!({}));
        self.stopped()
    }

    fn frames(&mut self, thread: u64) -> Vec<Value> {
        self.ok("stackTrace", json!({"threadId": thread}))["stackFrames"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// The variables of scope `name` of `frame`, as name → value text.
    fn scope(&mut self, frame: &Value, name: &str) -> Vec<(String, String, u64)> {
        let scopes = self.ok("scopes", json!({"frameId": frame["id"]}))["scopes"].clone();
        let scope = scopes
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no scope {name}: {scopes}"))
            .clone();
        self.children(scope["variablesReference"].as_u64().unwrap())
    }

    fn children(&mut self, reference: u64) -> Vec<(String, String, u64)> {
        self.ok("variables", json!({"variablesReference": reference}))["variables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_string(),
                    v["value"].as_str().unwrap().to_string(),
                    v["variablesReference"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    fn disconnect(mut self) {
        self.ok("disconnect", json!({}));
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(
                start.elapsed() < WAIT,
                "the adapter did not exit after disconnect"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_sample(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let stem = name.trim_end_matches(".asl.json");
    for f in std::fs::read_dir(samples()).unwrap().flatten() {
        let n = f.file_name().to_string_lossy().to_string();
        if n.starts_with(&format!("{stem}.")) {
            std::fs::copy(f.path(), dir.path().join(&n)).unwrap();
        }
    }
    let p = dir.path().join(name);
    (dir, p)
}

#[test]
fn callback_sample_breakpoints_stack_scopes_evaluate_and_the_token() {
    let program = samples().join("callback.asl.json");
    let mut c = Client::launch(&program, json!({}));
    // Line 36 is inside the Choice's first rule: it stops when that rule chooses. Line 47 is
    // in 'Deploy model' (its entry); line 3 is outside any state.
    let bps = c.ok(
        "setBreakpoints",
        json!({"source": {"path": program}, "breakpoints": [{"line": 36}, {"line": 47, "condition": "$.review.decision"}, {"line": 3}]}),
    )["breakpoints"]
        .clone();
    assert_eq!(bps[0]["verified"], true, "{bps}");
    assert_eq!(bps[0]["line"], 35);
    assert!(
        bps[0]["message"]
            .as_str()
            .unwrap()
            .contains("when rule 0 chooses"),
        "{bps}"
    );
    assert_eq!(bps[1]["line"], 43);
    assert!(
        bps[1]["message"]
            .as_str()
            .unwrap()
            .contains("entry of state 'Deploy model'"),
        "{bps}"
    );
    assert_eq!(bps[2]["verified"], false);
    assert!(
        bps[2]["message"]
            .as_str()
            .unwrap()
            .contains("not inside a state")
    );
    let entry = c.configured();
    assert_eq!(entry["reason"], "entry");
    // Continue: the callback task waits for its token.
    c.ok("continue", json!({"threadId": 1}));
    let stop = c.stopped();
    assert_eq!(stop["reason"], "pending task", "{stop}");
    let frames = c.frames(1);
    assert_eq!(frames[0]["name"], "Request review (Task)");
    assert_eq!(frames[0]["line"], 5);
    let task = c.scope(&frames[0], "Task");
    let pending = task.iter().find(|(n, _, _)| n == "pending").unwrap();
    let fields = c.children(pending.2);
    let request = fields.iter().find(|(n, _, _)| n == "request").unwrap();
    let payload = c.children(request.2);
    let payload = payload.iter().find(|(n, _, _)| n == "Payload").unwrap();
    assert!(payload.1.contains("\"token\""), "{payload:?}");
    // A JSONata expression at the stop.
    let r = c.ok("evaluate", json!({"expression": "$states.input.new_model.name & '@' & $string($states.input.new_model.metrics.auc)", "frameId": frames[0]["id"], "context": "repl"}));
    assert_eq!(r["result"], "\"churn-predictor@0.91\"", "{r}");
    let bad = c.request("evaluate", json!({"expression": "$.", "context": "repl"}));
    assert_eq!(bad["success"], false);
    // Answer the token from the Debug Console, then go on: the rule's breakpoint stops.
    let r = c.ok("evaluate", json!({"expression": "success {\"decision\": \"APPROVED\", \"reviewer\": \"ana\"}", "context": "repl"}));
    assert!(
        r["result"].as_str().unwrap().contains("sent success"),
        "{r}"
    );
    c.ok("continue", json!({"threadId": 1}));
    let stop = c.stopped();
    assert_eq!(stop["reason"], "breakpoint", "{stop}");
    assert_eq!(stop["hitBreakpointIds"], json!([bps[0]["id"]]), "{stop}");
    // The rule chose: the Choice's record says so, and 'Deploy model' is next.
    let frames = c.frames(1);
    assert_eq!(frames[0]["name"], "Deploy model (Pass)");
    // The conditional breakpoint on 'Deploy model' holds ($.review.decision is set).
    c.ok("continue", json!({"threadId": 1}));
    let stop = c.stopped();
    assert_eq!(stop["reason"], "breakpoint");
    assert_eq!(stop["hitBreakpointIds"], json!([bps[1]["id"]]), "{stop}");
    let frames = c.frames(1);
    assert_eq!(frames[0]["name"], "Deploy model (Pass)");
    let flow = c.scope(&frames[0], "Data flow");
    let next = flow.iter().find(|(n, _, _)| n == "nextInput").unwrap();
    let review = c.children(next.2);
    let review = review.iter().find(|(n, _, _)| n == "review").unwrap();
    assert!(review.1.contains("\"reviewer\":\"ana\""), "{review:?}");
    // Step back: before the Choice ran.
    c.ok("stepBack", json!({"threadId": 1}));
    assert_eq!(c.stopped()["reason"], "step");
    assert_eq!(c.frames(1)[0]["name"], "Approved? (Choice)");
    // To the end: the result is said, and continuing ends the session.
    c.ok("continue", json!({"threadId": 1}));
    assert_eq!(c.stopped()["reason"], "breakpoint");
    c.ok("continue", json!({"threadId": 1}));
    assert_eq!(c.stopped()["reason"], "breakpoint");
    c.ok("continue", json!({"threadId": 1}));
    let end = c.stopped();
    assert_eq!(end["reason"], "end", "{end}");
    assert!(c.output_text().contains("SUCCEEDED"), "{}", c.output_text());
    c.ok("continue", json!({"threadId": 1}));
    assert_eq!(c.event("exited")["body"]["exitCode"], 0);
    c.event("terminated");
    c.disconnect();
}

#[test]
fn map_iterations_are_threads_with_their_nesting_as_frames() {
    let program = samples().join("map.asl.json");
    let mut c = Client::launch(&program, json!({}));
    c.ok(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "Ship from warehouse"}, {"name": "Nope"}]}),
    );
    c.configured();
    c.ok("continue", json!({"threadId": 1}));
    let stop = c.stopped();
    assert_eq!(stop["reason"], "breakpoint", "{stop}");
    let thread = stop["threadId"].as_u64().unwrap();
    assert!(thread > 1, "an iteration's thread: {stop}");
    assert!(
        c.started.contains(&thread),
        "a thread event for {thread}: {:?}",
        c.started
    );
    let threads = c.ok("threads", json!({}))["threads"].clone();
    let names: Vec<&str> = threads
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"execution"), "{names:?}");
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("Map 'Plan each line' iteration")),
        "{names:?}"
    );
    let frames = c.frames(thread);
    assert_eq!(frames[0]["name"], "Ship from warehouse (Pass)");
    assert_eq!(frames[0]["line"], 49);
    assert!(
        frames[1]["name"]
            .as_str()
            .unwrap()
            .starts_with("Map Plan each line (iteration"),
        "{frames:?}"
    );
    assert_eq!(frames[1]["line"], 5);
    // Step into: one transition in the iteration.
    c.ok("stepIn", json!({"threadId": thread}));
    assert_eq!(c.stopped()["reason"], "step");
    c.disconnect();
    // From the entry, stepping in goes from the Map state into an iteration's thread.
    let mut c = Client::launch(&program, json!({}));
    assert_eq!(c.configured()["reason"], "entry");
    assert_eq!(c.frames(1)[0]["name"], "Plan each line (Map)");
    let mut inside = None;
    for _ in 0..10 {
        c.ok("stepIn", json!({"threadId": 1}));
        let stop = c.stopped();
        let t = stop["threadId"].as_u64().unwrap();
        if t > 1 {
            inside = Some(t);
            break;
        }
    }
    let t = inside.expect("stepping in reaches an iteration");
    let frames = c.frames(t);
    assert_eq!(frames[0]["name"], "Digital? (Choice)", "{frames:?}");
    assert!(
        frames[1]["name"]
            .as_str()
            .unwrap()
            .contains("(iteration 0)"),
        "{frames:?}"
    );
    c.disconnect();
}

#[test]
fn exception_breakpoints_catch_caught_errors_and_retries() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("flaky.asl.json");
    std::fs::write(
        &program,
        serde_json::to_string_pretty(&json!({"StartAt": "Charge", "States": {
            "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
                "Retry": [{"ErrorEquals": ["Throttled"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}], "End": true},
            "Refund": {"Type": "Pass", "End": true}}}))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("flaky.mocks.json"),
        json!({"StateMachines": {"flaky": {"TestCases": {"T": {"Charge": "R"}}}},
               "MockedResponses": {"R": {"0": {"Throw": {"Error": "Throttled", "Cause": "slow down"}},
                                         "1": {"Throw": {"Error": "CardDeclined", "Cause": "no funds"}}}}})
        .to_string(),
    )
    .unwrap();
    let mut c = Client::launch(&program, json!({"stopOnEntry": false}));
    c.ok(
        "setExceptionBreakpoints",
        json!({"filters": ["caught", "retries"]}),
    );
    c.ok("configurationDone", json!({}));
    let retry = c.stopped();
    assert_eq!(retry["reason"], "exception", "{retry}");
    assert!(
        retry["description"].as_str().unwrap().contains("retry"),
        "{retry}"
    );
    c.ok("continue", json!({"threadId": 1}));
    let caught = c.stopped();
    assert_eq!(caught["reason"], "exception", "{caught}");
    assert!(
        caught["text"].as_str().unwrap().contains("CardDeclined"),
        "{caught}"
    );
    c.disconnect();
}

#[test]
fn a_saved_file_reloads_mid_session() {
    let (_dir, program) = temp_sample("callback.asl.json");
    let mut c = Client::launch(&program, json!({}));
    c.ok(
        "setBreakpoints",
        json!({"source": {"path": program}, "breakpoints": [{"line": 45}]}),
    );
    c.configured();
    c.ok("continue", json!({"threadId": 1}));
    assert_eq!(c.stopped()["reason"], "pending task");
    // Save a change that moves 'Deploy model' down two lines.
    let text = std::fs::read_to_string(&program).unwrap();
    std::fs::write(
        &program,
        text.replace(
            "    \"Deploy model\": {",
            "    \"Deploy model\": {\n      \"Comment\": \"canary first\",\n\n",
        )
        .replace("\"stage\": \"production\"", "\"stage\": \"canary\""),
    )
    .unwrap();
    let stop = c.stopped();
    assert_eq!(stop["description"], "reloaded", "{stop}");
    assert!(c.output_text().contains("reloaded"), "{}", c.output_text());
    // Still waiting at the same point: answer, run to the end, the new text ran.
    c.ok("evaluate", json!({"expression": "success {\"decision\": \"APPROVED\", \"reviewer\": \"ana\"}", "context": "repl"}));
    c.ok("continue", json!({"threadId": 1}));
    assert_eq!(c.stopped()["reason"], "breakpoint");
    c.ok("continue", json!({"threadId": 1}));
    assert_eq!(c.stopped()["reason"], "end");
    assert!(c.output_text().contains("canary"), "{}", c.output_text());
    c.disconnect();
}

#[test]
fn bad_frames_unknown_and_early_requests_get_error_responses() {
    let mut c = Client::start();
    // Before initialize.
    let r = c.request("threads", json!({}));
    assert_eq!(r["success"], false);
    assert!(r["message"].as_str().unwrap().contains("initialize first"));
    c.ok("initialize", json!({"adapterID": "stepdbg"}));
    // Before launch.
    let r = c.request("continue", json!({"threadId": 1}));
    assert_eq!(r["success"], false);
    assert!(r["message"].as_str().unwrap().contains("launch"), "{r}");
    // Unknown.
    let r = c.request("dataBreakpointInfo", json!({}));
    assert_eq!(r["success"], false);
    assert!(r["message"].as_str().unwrap().contains("does not support"));
    // Not JSON, no length, a huge length: error responses, then it still works.
    c.send_raw(b"Content-Length: 5\r\n\r\nnope!");
    let bad = c.next();
    assert_eq!(bad["success"], false, "{bad}");
    assert!(
        bad["message"].as_str().unwrap().contains("not JSON"),
        "{bad}"
    );
    c.send_raw(b"X-Nothing: 1\r\n\r\n");
    let bad = c.next();
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .contains("without Content-Length"),
        "{bad}"
    );
    // A launch of something that is not a definition.
    let r = c.request("launch", json!({"program": "/nonexistent/x.asl.json"}));
    assert_eq!(r["success"], false, "{r}");
    let r = c.request("launch", json!({}));
    assert!(r["message"].as_str().unwrap().contains("program"), "{r}");
    c.ok(
        "launch",
        json!({"program": samples().join("callback.asl.json"), "stopOnEntry": true}),
    );
    c.disconnect();
}

#[test]
fn the_invoke_envelope_log_points_hit_counts_and_edits() {
    let program = samples().join("lambda-invoke.asl.json");
    let mut c = Client::launch(&program, json!({}));
    c.ok(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "Build reply"}]}),
    );
    c.configured();
    c.ok("continue", json!({"threadId": 1}));
    assert_eq!(c.stopped()["reason"], "breakpoint");
    // The last visit's data flow: the function's result is Lambda's invoke envelope.
    let frames = c.frames(1);
    let flow = c.scope(&frames[0], "Data flow");
    let result = flow.iter().find(|(n, _, _)| n == "result").unwrap();
    let envelope: Vec<String> = c
        .children(result.2)
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    for key in [
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
    ] {
        assert!(envelope.iter().any(|k| k == key), "{key} in {envelope:?}");
    }
    let task = c.scope(&frames[0], "Task");
    assert!(task.iter().any(|(n, _, _)| n == "answered"), "{task:?}");
    // Edit the next state's input and a variable, then see it.
    let scopes = c.ok("scopes", json!({"frameId": frames[0]["id"]}))["scopes"].clone();
    let flow_ref = scopes[0]["variablesReference"].as_u64().unwrap();
    c.ok(
        "setVariable",
        json!({"variablesReference": flow_ref, "name": "nextInput", "value": "{\"edited\": true}"}),
    );
    let r = c.ok(
        "evaluate",
        json!({"expression": "$.edited", "frameId": frames[0]["id"]}),
    );
    assert_eq!(r["result"], "true", "{r}");
    let refused = c.request(
        "setVariable",
        json!({"variablesReference": flow_ref, "name": "result", "value": "1"}),
    );
    assert_eq!(refused["success"], false);
    c.disconnect();
    // Log points log and go on; a hit count stops at that hit.
    let program = samples().join("map.asl.json");
    let mut c = Client::launch(&program, json!({}));
    c.ok(
        "setFunctionBreakpoints",
        json!({"breakpoints": [
            {"name": "Digital?", "logMessage": "line {$.lineNo} is {$.line.sku}"},
            {"name": "Ship from warehouse", "hitCondition": "2"}]}),
    );
    c.configured();
    c.ok("continue", json!({"threadId": 1}));
    let stop = c.stopped();
    assert_eq!(stop["reason"], "breakpoint");
    let out = c.output_text();
    assert!(out.contains("Digital?: line 0 is TSHIRT-M-BLK"), "{out}");
    // The second shipped line is line 1 (the third is digital).
    let frames = c.frames(stop["threadId"].as_u64().unwrap());
    let r = c.ok(
        "evaluate",
        json!({"expression": "$.lineNo", "frameId": frames[0]["id"]}),
    );
    assert_eq!(r["result"], "1", "{r}");
    // Restart: a new execution, stopped on entry.
    c.ok("restart", json!({}));
    assert_eq!(c.stopped()["reason"], "entry");
    c.disconnect();
}
