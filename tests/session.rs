//! The headless debugger session, driven the way the TUI drives it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use stepdbg::engine::{Failure, Status, TaskOutcome};
use stepdbg::json;
use stepdbg::json::Value;
use stepdbg::session::callback::{self, CallbackAction, CallbackError};
use stepdbg::session::launch::LaunchOptions;
use stepdbg::session::{
    Advance, ManualResolver, ReloadOutcome, Session, SessionOptions, StopReason,
};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// A session on a sample with its input; `resolver` makes it from the sample's dispatcher
/// (mocks beside the sample, routes) or ignores it.
fn session_with(
    name: &str,
    resolver: impl FnOnce(
        stepdbg::integrations::dispatch::Dispatcher,
    ) -> Box<dyn stepdbg::session::Resolver>,
) -> Session {
    open(
        LaunchOptions {
            definition: sample(name),
            record_steps: true,
            ..Default::default()
        },
        resolver,
    )
}

/// A session as `opts` set it up, with the resolver made from its dispatcher.
fn open(
    opts: LaunchOptions,
    resolver: impl FnOnce(
        stepdbg::integrations::dispatch::Dispatcher,
    ) -> Box<dyn stepdbg::session::Resolver>,
) -> Session {
    let launch = opts.prepare().unwrap();
    let session_opts = SessionOptions {
        input: Some(launch.input),
        config: launch.config,
    };
    Session::open(&opts.definition, session_opts, resolver(launch.dispatcher)).unwrap()
}

/// Every task left to a person.
fn manual_session(name: &str) -> Session {
    session_with(name, |_| Box::new(ManualResolver))
}

/// The sample's mocks answer tasks.
fn mocked_session(name: &str) -> Session {
    session_with(name, |d| Box::new(d))
}

fn next_state(s: &Session) -> Option<String> {
    let ex = s.execution();
    ex.next_runnable()
        .and_then(|t| ex.next_state_of(t))
        .map(|st| st.name.to_string())
}

#[test]
fn callback_flow_completed_by_hand() {
    let mut s = manual_session("callback.asl.json");
    let stop = s.continue_();
    let StopReason::Pending { task, state } = stop else {
        panic!("{stop:?}")
    };
    assert_eq!(state, "Request review");
    let pending = s.pending();
    assert_eq!(pending.len(), 1);
    let token = pending[0]
        .token
        .clone()
        .expect("a callback task has a token");
    assert_eq!(token.len(), 32, "128 random bits as hex");
    // The payload sent to the function carries the token, as $$.Task.Token put it there.
    assert_eq!(pending[0].input["Payload"]["token"], json!(token));
    assert_eq!(s.status().name(), "RUNNING");

    let output = json!({"decision": "APPROVED", "reviewer": "ana@example.com"});
    s.callback(&token, &CallbackAction::Success { output })
        .unwrap();
    assert!(s.pending().is_empty());
    let _ = task;
    assert_eq!(s.continue_(), StopReason::Finished);
    let Status::Succeeded { output } = s.status() else {
        panic!("{:?}", s.status())
    };
    assert_eq!(output["approvedBy"], "ana@example.com");
    // The same token again: the task no longer exists.
    assert_eq!(
        s.callback(&token, &CallbackAction::Heartbeat),
        Err(CallbackError::TaskDoesNotExist)
    );
}

#[test]
fn failure_sent_by_hand_is_caught_like_on_aws() {
    let mut s = manual_session("callback.asl.json");
    let StopReason::Pending { .. } = s.continue_() else {
        panic!()
    };
    let id = s.pending()[0].id;
    s.complete(
        id,
        stepdbg::session::failure("States.Timeout", "nobody answered"),
    )
    .unwrap();
    assert_eq!(s.continue_(), StopReason::Finished);
    assert_eq!(s.status().name(), "FAILED", "{:?}", s.status());
}

fn write_loop(dir: &Path) -> PathBuf {
    let path = dir.join("loop.asl.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&json!({
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 5, "Next": "Done"}], "Default": "Increment"},
                "Increment": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
                "Done": {"Type": "Pass", "Result": "finished", "End": true}
            }
        }))
        .unwrap(),
    )
    .unwrap();
    path
}

fn loop_session(path: &Path) -> Session {
    let opts = SessionOptions {
        input: Some(json!({"i": 0})),
        ..Default::default()
    };
    Session::open(path, opts, Box::new(ManualResolver)).unwrap()
}

#[test]
fn conditional_breakpoints_and_hit_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = loop_session(&write_loop(dir.path()));
    // JSONata over the state input.
    s.breakpoints
        .add("Increment", Some("$states.input.i = 3"))
        .unwrap();
    let stop = s.continue_();
    assert!(
        matches!(stop, StopReason::Breakpoint { ref state, hit: 1, .. } if state == "Increment"),
        "{stop:?}"
    );
    let t = s.execution().next_runnable().unwrap();
    assert_eq!(s.execution().pending_input(t), Some(&json!({"i": 3})));
    // JSONPath: a filter that selects something.
    let mut s = loop_session(&write_loop(dir.path()));
    s.breakpoints.add("Check", Some("$[?(@.i > 3)]")).unwrap();
    let StopReason::Breakpoint { .. } = s.continue_() else {
        panic!()
    };
    assert_eq!(
        s.execution()
            .pending_input(s.execution().next_runnable().unwrap()),
        Some(&json!({"i": 4}))
    );
    // Unconditional, with a hit count target of 2.
    let mut s = loop_session(&write_loop(dir.path()));
    let id = s.breakpoints.add("Increment", None).unwrap();
    s.breakpoints.set_hit_target(id, Some(2));
    let stop = s.continue_();
    assert!(
        matches!(stop, StopReason::Breakpoint { hit: 2, .. }),
        "{stop:?}"
    );
    // Disabled breakpoints do not stop.
    s.breakpoints.set_enabled(id, false);
    assert_eq!(s.continue_(), StopReason::Finished);
    assert!(matches!(s.status(), Status::Succeeded { output } if output == "finished"));
}

#[test]
fn step_into_a_map_iteration_and_out_again() {
    let mut s = mocked_session("map.asl.json");
    // The Map is the first state.
    let map_state = "Plan each line";
    assert_eq!(next_state(&s).as_deref(), Some(map_state));
    // Entering the Map starts the iterations; the next step is inside iteration 0.
    s.step();
    let t = s.execution().next_runnable().unwrap();
    let pos = s
        .execution()
        .thread_positions()
        .into_iter()
        .find(|p| p.thread == t)
        .unwrap();
    assert_eq!(
        pos.parent,
        Some(0),
        "the next thread is an iteration of the top-level thread"
    );
    assert_eq!(pos.index, Some(0));
    s.step();
    // Step out of an iteration leaves the whole Map: its state has finished on the
    // top-level thread, and that thread goes on.
    assert_eq!(s.step_out(), StopReason::Stepped);
    assert!(
        s.execution()
            .steps()
            .iter()
            .any(|r| r.thread == 0 && &*r.state == map_state),
        "the Map state's visit closed"
    );
    assert_eq!(s.execution().next_runnable(), Some(0));
    assert_ne!(next_state(&s).as_deref(), Some(map_state));
    assert_eq!(s.continue_(), StopReason::Finished);
    assert_eq!(s.status().name(), "SUCCEEDED");
}

#[test]
fn step_over_runs_a_whole_map_state() {
    let mut s = mocked_session("map.asl.json");
    assert_eq!(next_state(&s).as_deref(), Some("Plan each line"));
    assert_eq!(s.step_over(), StopReason::Stepped);
    // Back on the top-level thread, past the Map.
    assert_eq!(s.execution().next_runnable(), Some(0));
    assert_ne!(next_state(&s).as_deref(), Some("Plan each line"));
}

#[test]
fn step_back_restores_the_previous_point() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = loop_session(&write_loop(dir.path()));
    for _ in 0..3 {
        s.step();
    }
    let history_after_2 = {
        let mut t = loop_session(&write_loop(dir.path()));
        t.step();
        t.step();
        t.execution().history().to_vec()
    };
    assert!(s.step_back().is_some());
    assert_eq!(s.step_count(), 2);
    assert_eq!(s.execution().history(), &history_after_2[..]);
    // And forward again gives the same third step.
    s.step();
    assert_eq!(s.step_count(), 3);
}

#[test]
fn step_back_over_mocked_tasks_keeps_mock_counts() {
    let mut s = mocked_session("retry-catch.asl.json");
    assert_eq!(s.continue_(), StopReason::Finished);
    let done = s.status().clone();
    let steps = s.step_count();
    for _ in 0..steps {
        s.step_back();
    }
    assert_eq!(s.step_count(), 0);
    assert_eq!(s.continue_(), StopReason::Finished);
    assert_eq!(
        s.status(),
        &done,
        "replaying from the start gives the same run"
    );
}

#[test]
fn reload_keeps_breakpoints_and_replays_to_the_same_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_loop(dir.path());
    let mut s = loop_session(&path);
    s.breakpoints.add("Increment", None).unwrap();
    s.breakpoints.add("Done", None).unwrap();
    assert!(matches!(s.continue_(), StopReason::Breakpoint { .. }));
    s.step();
    s.step();
    let at = s.step_count();
    let clock = s.execution().clock();
    // Change what Done returns; the states the run went through are the same.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"finished\"", "\"all done\"");
    std::fs::write(&path, text).unwrap();
    let outcome = s.reload();
    let ReloadOutcome::Reloaded {
        removed_breakpoints,
        replayed_steps,
        stop,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert!(removed_breakpoints.is_empty());
    assert_eq!(replayed_steps, at);
    assert_eq!(stop, None, "no divergence");
    assert_eq!(s.execution().clock(), clock);
    assert_eq!(s.breakpoints.list().len(), 2);
    s.breakpoints.set_enabled(1, false);
    let stop = s.continue_();
    assert!(
        matches!(stop, StopReason::Breakpoint { ref state, .. } if state == "Done"),
        "{stop:?}"
    );
    s.continue_();
    assert!(matches!(s.status(), Status::Succeeded { output } if output == "all done"));
    // Unchanged content is not a reload.
    assert_eq!(s.reload(), ReloadOutcome::Unchanged);
}

#[test]
fn reload_reports_breakpoints_whose_states_vanished() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_loop(dir.path());
    let mut s = loop_session(&path);
    s.breakpoints.add("Done", None).unwrap();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"Done\"", "\"Finish\"");
    std::fs::write(&path, text).unwrap();
    let ReloadOutcome::Reloaded {
        removed_breakpoints,
        ..
    } = s.reload()
    else {
        panic!()
    };
    assert_eq!(removed_breakpoints, vec!["Done".to_string()]);
}

#[test]
fn an_invalid_save_keeps_the_last_good_definition() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_loop(dir.path());
    let mut s = loop_session(&path);
    s.breakpoints.add("Increment", None).unwrap();
    s.step();
    s.step();
    let history = s.execution().history().to_vec();
    // A broken save (syntax error), then an invalid one (unknown Next).
    std::fs::write(&path, "{\"StartAt\": \"Check\", \"States\": {").unwrap();
    let ReloadOutcome::Invalid { diagnostics } = s.reload() else {
        panic!()
    };
    assert!(diagnostics[0].contains(":1:"), "{diagnostics:?}");
    assert!(s.live_error.is_some());
    std::fs::write(
        &path,
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}"#,
    )
    .unwrap();
    let ReloadOutcome::Invalid { diagnostics } = s.reload() else {
        panic!()
    };
    assert!(
        diagnostics.iter().any(|d| d.contains("Nowhere")),
        "{diagnostics:?}"
    );
    assert_eq!(s.execution().history(), &history[..], "history kept");
    assert_eq!(s.breakpoints.list().len(), 1, "breakpoints kept");
    assert!(
        s.definition.machine.state("Increment").is_some(),
        "last good definition kept"
    );
    assert_eq!(
        s.continue_(),
        StopReason::Breakpoint {
            state: "Increment".into(),
            thread: 0,
            hit: 1
        }
    );
}

#[test]
fn edit_and_continue_changes_the_next_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = loop_session(&write_loop(dir.path()));
    assert!(s.set_input(0, json!({"i": 10})));
    assert_eq!(s.continue_(), StopReason::Finished);
    assert_eq!(s.execution().history().len(), 6, "Check then Done: no loop");
    // Restart with a new input.
    s.restart(Some(json!({"i": 4})));
    assert_eq!(s.continue_(), StopReason::Finished);
}

/// POST one AWS JSON 1.0 request; returns (status, body).
fn send(addr: std::net::SocketAddr, action: &str, body: Value) -> (u16, Value) {
    let mut c = TcpStream::connect(addr).unwrap();
    let body = body.to_string();
    write!(
        c,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AWSStepFunctions.{action}\r\nContent-Type: application/x-amz-json-1.0\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    c.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let json = resp.split("\r\n\r\n").nth(1).unwrap_or("null");
    (status, serde_json::from_str(json).unwrap())
}

#[test]
fn callback_endpoint_over_real_http() {
    let mut s = manual_session("callback.asl.json");
    let StopReason::Pending { .. } = s.continue_() else {
        panic!()
    };
    let token = s.pending()[0].token.clone().unwrap();
    let mut server = callback::serve("127.0.0.1:0", false).unwrap();
    let addr = server.addr;
    let t2 = token.clone();
    let client = std::thread::spawn(move || {
        vec![
            send(addr, "SendTaskHeartbeat", json!({"taskToken": t2})),
            send(
                addr,
                "SendTaskSuccess",
                json!({"taskToken": "0123456789abcdef0123456789abcdef", "output": "{}"}),
            ),
            send(
                addr,
                "SendTaskSuccess",
                json!({"taskToken": "not a token", "output": "{}"}),
            ),
            send(
                addr,
                "SendTaskSuccess",
                json!({"taskToken": t2, "output": "{not json"}),
            ),
            send(
                addr,
                "SendTaskSuccess",
                json!({"taskToken": t2, "output": "{\"decision\": \"APPROVED\", \"reviewer\": \"bo\"}"}),
            ),
            send(
                addr,
                "SendTaskFailure",
                json!({"taskToken": t2, "error": "Late", "cause": "already completed"}),
            ),
        ]
    });
    // The session's loop: answer requests until the client is done.
    // Requests the server rejects itself (InvalidOutput) never reach this loop.
    while !client.is_finished() {
        if let Some(req) = server.recv_timeout(std::time::Duration::from_millis(20)) {
            let (tok, action) = (req.token.clone(), req.action.clone());
            let r = s.callback(&tok, &action);
            req.answer(r);
        }
    }
    let replies = client.join().unwrap();
    assert_eq!(replies[0], (200, json!({})));
    assert_eq!(replies[1].0, 400);
    assert_eq!(replies[1].1["__type"], "TaskDoesNotExist");
    assert_eq!(replies[2].1["__type"], "InvalidToken");
    assert_eq!(replies[3].1["__type"], "InvalidOutput");
    assert_eq!(replies[4], (200, json!({})));
    assert_eq!(
        replies[5].1["__type"], "TaskDoesNotExist",
        "an already-completed token"
    );
    assert_eq!(s.continue_(), StopReason::Finished);
    assert!(matches!(s.status(), Status::Succeeded { output } if output["approvedBy"] == "bo"));
}

#[test]
fn heartbeat_timeouts_expire_on_the_virtual_clock() {
    let mut s = manual_session("callback.asl.json");
    let StopReason::Pending { .. } = s.continue_() else {
        panic!()
    };
    let token = s.pending()[0].token.clone().unwrap();
    let id = s.pending()[0].id;
    // The function "returned": the heartbeat clock (3600 s) starts now.
    assert!(s.heartbeat(id));
    s.advance(Advance::By(3_601_000));
    assert_eq!(
        s.callback(&token, &CallbackAction::Heartbeat),
        Err(CallbackError::TaskTimedOut)
    );
    assert_eq!(s.continue_(), StopReason::Finished);
    // The Catch on States.HeartbeatTimeout leads to the "Review timed out" Fail state.
    let Status::Failed { error, .. } = s.status() else {
        panic!("{:?}", s.status())
    };
    assert_eq!(error.as_deref(), Some("ReviewTimedOut"));
}

#[test]
fn a_saved_session_replays_to_the_same_point() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = manual_session("callback.asl.json");
    s.breakpoints
        .add("Approved?", Some("$.review.decision"))
        .unwrap();
    let StopReason::Pending { .. } = s.continue_() else {
        panic!()
    };
    let token = s.pending()[0].token.clone().unwrap();
    s.callback(
        &token,
        &CallbackAction::Success {
            output: json!({"decision": "APPROVED", "reviewer": "cy"}),
        },
    )
    .unwrap();
    let stop = s.continue_();
    assert!(
        matches!(stop, StopReason::Breakpoint { ref state, .. } if state == "Approved?"),
        "{stop:?}"
    );
    let file = dir.path().join("session.json");
    s.save(&file).unwrap();
    let history = dir.path().join("history.json");
    s.export_history(&history).unwrap();
    let exported: Value =
        serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    assert_eq!(
        exported["events"].as_array().unwrap().len(),
        s.execution().history().len()
    );

    let mut again = manual_session("callback.asl.json");
    assert_eq!(again.load_file(&file).unwrap(), None);
    assert_eq!(again.execution().history(), s.execution().history());
    assert_eq!(again.breakpoints.list().len(), 1);
    assert_eq!(again.continue_(), StopReason::Finished);
    assert!(matches!(again.status(), Status::Succeeded { output } if output["approvedBy"] == "cy"));
}

#[test]
fn the_debugger_holds_a_mocked_callback_token_and_suggests_the_mock_answer() {
    let mut s = session_with("callback.asl.json", |d| {
        Box::new(stepdbg::session::launch::HoldCallbackTokens(d))
    });
    let StopReason::Pending { task, .. } = s.continue_() else {
        panic!()
    };
    assert!(s.is_callback(task));
    let kinds: Vec<&str> = s
        .execution()
        .history()
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted"
        ]
    );
    let Some(stepdbg::engine::TaskOutcome::Success(v)) = s.suggested_outcome(task) else {
        panic!()
    };
    assert_eq!(v["decision"], "APPROVED");
    s.complete(task, stepdbg::engine::TaskOutcome::Success(v))
        .unwrap();
    assert_eq!(s.continue_(), StopReason::Finished);
    assert_eq!(s.status().name(), "SUCCEEDED");
}

#[test]
fn the_debugger_answers_slow_functions_off_its_own_thread() {
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("slow.asl.json");
    std::fs::write(
        &def,
        r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "slow", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}}}"#,
    )
    .unwrap();
    let mut s = open(
        LaunchOptions {
            definition: def.clone(),
            input: Some(r#"{"n": 1}"#.into()),
            functions: vec!["slow=command:sh -c 'sleep 1; cat'".into()],
            ..Default::default()
        },
        |d| Box::new(d),
    );
    s.background = true;
    let mut run = s.begin_run(stepdbg::session::bounded::RunGoal::Continue);
    // The first slice schedules the task and returns while the function still runs.
    assert_eq!(s.run_bounded(&mut run, 64), None);
    assert_eq!(s.in_flight(), 1, "the function runs on another thread");
    assert_eq!(s.status().name(), "RUNNING");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let stop = loop {
        if let Some(stop) = s.run_bounded(&mut run, 64) {
            break stop;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the function's answer arrives"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(stop, StopReason::Finished);
    assert_eq!(
        s.status(),
        &Status::Succeeded {
            output: json!({"n": 1})
        }
    );
    // Step back replays the recorded answer without running the function again.
    assert!(s.step_back().is_some());
    assert_eq!(s.continue_(), StopReason::Finished);
    assert_eq!(
        s.status(),
        &Status::Succeeded {
            output: json!({"n": 1})
        }
    );
}

#[test]
fn functions_answering_in_the_background_share_a_bounded_pool() {
    let dir = tempfile::tempdir().unwrap();
    let def = dir.path().join("fanout.asl.json");
    std::fs::write(
        &def,
        json!({"StartAt": "Items", "States": {
            "Items": {"Type": "Pass", "Result": (0..24).collect::<Vec<_>>(), "Next": "Each"},
            "Each": {"Type": "Map", "MaxConcurrency": 0, "ItemProcessor": {"StartAt": "Call", "States": {
                "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                         "Parameters": {"FunctionName": "work", "Payload.$": "$"}, "End": true}}},
                "End": true}}})
        .to_string(),
    )
    .unwrap();
    // Each call counts the calls running beside it.
    std::fs::write(
        dir.path().join("count.sh"),
        "cd \"$(dirname \"$0\")\"; mkdir -p running; touch running/$$; ls running | wc -l >> counts; sleep 0.3; rm running/$$; echo '{}'\n",
    )
    .unwrap();
    let mut s = open(
        LaunchOptions {
            definition: def,
            functions: vec![format!(
                "work=command:sh {}?timeout=60",
                dir.path().join("count.sh").display()
            )],
            ..Default::default()
        },
        |d| Box::new(d),
    );
    s.background = true;
    let mut run = s.begin_run(stepdbg::session::bounded::RunGoal::Continue);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let stop = loop {
        if let Some(stop) = s.run_bounded(&mut run, 64) {
            break stop;
        }
        assert!(std::time::Instant::now() < deadline, "the Map finished");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_eq!(stop, StopReason::Finished);
    assert!(
        matches!(s.status(), Status::Succeeded { .. }),
        "{:?}",
        s.status()
    );
    let counts: Vec<usize> = std::fs::read_to_string(dir.path().join("counts"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 24);
    let most = counts.iter().copied().max().unwrap();
    let limit = stepdbg::shell::runtime::MAX_CONCURRENT_INVOCATIONS;
    assert!(
        most > 1 && most <= limit,
        "at most {limit} at once, saw {most}"
    );
}

/// A task that fails once with `Boom` and is retried after `interval` seconds.
fn write_retry(path: &Path, interval: u64) {
    std::fs::write(
        path,
        serde_json::to_string_pretty(&json!({
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
                    "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": interval, "MaxAttempts": 2}],
                    "End": true
                }
            }
        }))
        .unwrap(),
    )
    .unwrap();
}

#[test]
fn a_reload_replays_time_by_the_new_definitions_timers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("retry.asl.json");
    write_retry(&path, 60);
    let mut s = Session::open(&path, SessionOptions::default(), Box::new(ManualResolver)).unwrap();
    let start = s.execution().config().start_time_ms;
    let StopReason::Pending { task, .. } = s.continue_() else {
        panic!()
    };
    s.complete(
        task,
        TaskOutcome::Failure(Failure::new("Boom", "first try")),
    )
    .unwrap();
    // The back-off passes by itself; the second attempt waits for its result.
    assert!(matches!(s.continue_(), StopReason::Pending { .. }));
    assert_eq!(s.execution().clock() - start, 60_000);
    // The new definition backs off 2 s: its replay moves the clock 2 s, not 60.
    write_retry(&path, 2);
    let ReloadOutcome::Reloaded { stop: None, .. } = s.reload() else {
        panic!("the replay follows the same path")
    };
    assert_eq!(s.execution().clock() - start, 2_000);
    let last = s.execution().history().last().unwrap();
    assert_eq!(last.timestamp_ms - start, 2_000, "{last:?}");
    // A person's `:advance 30s` replays as 30 s from where it was asked.
    s.advance(Advance::By(30_000));
    write_retry(&path, 5);
    let ReloadOutcome::Reloaded { .. } = s.reload() else {
        panic!()
    };
    assert_eq!(s.execution().clock() - start, 5_000 + 30_000);
}
