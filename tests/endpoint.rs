//! The SendTask* callback endpoint of `stepdbg run --listen`, probed over real loopback
//! sockets the way a hostile web page, a broken client or a flood would: framing,
//! origins, hosts, AWS's validation shapes, limits, and answers that arrive before exit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use stepdbg::json;
use stepdbg::json::Value;

/// `stepdbg run --listen` on the callback sample with nobody answering its function, so
/// its token waits for SendTask* calls. Killed when dropped.
struct Listening {
    child: Child,
    addr: SocketAddr,
    token: String,
    lines: mpsc::Receiver<String>,
}

impl Listening {
    fn start(extra: &[&str]) -> Listening {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/callback.asl.json");
        let mut child = Command::new(env!("CARGO_BIN_EXE_stepdbg"))
            .args(["run"])
            .arg(&sample)
            .args(["--no-mocks", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut addr = None;
        let mut token = None;
        let deadline = Instant::now() + Duration::from_secs(20);
        while addr.is_none() || token.is_none() {
            let line = lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("stepdbg printed its address and the pending token");
            if let Some(a) = line.strip_prefix("listening for SendTask* callbacks on http://") {
                addr = Some(a.parse().unwrap());
            } else if let Ok(v) = serde_json::from_str::<Value>(&line)
                && let Some(t) = v["pendingTaskToken"].as_str()
            {
                token = Some(t.to_string());
            }
        }
        Listening {
            child,
            addr: addr.unwrap(),
            token: token.unwrap(),
            lines,
        }
    }

    fn finish(mut self) -> (Option<i32>, Value) {
        let status = self.child.wait().unwrap();
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        (
            status.code(),
            serde_json::from_str(&out).unwrap_or(Value::Null),
        )
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, lower-cased headers, body.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn error_type(&self) -> String {
        self.json()["__type"].as_str().unwrap_or("").to_string()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c
}

/// Read one response off `c` (Content-Length framed, as the endpoint sends them).
fn read_response(c: &mut BufReader<TcpStream>) -> Option<Resp> {
    let mut line = String::new();
    if c.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        c.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    c.read_exact(&mut body).ok()?;
    Some(Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Send raw bytes on a new connection and read one response.
fn raw(addr: SocketAddr, bytes: &[u8]) -> Option<Resp> {
    let mut c = connect(addr);
    c.write_all(bytes).ok()?;
    read_response(&mut BufReader::new(c))
}

/// A well-formed SendTask* request.
fn request(operation: &str, body: &Value, extra_headers: &str) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.{operation}\r\n\
         Content-Type: application/x-amz-json-1.0\r\n{extra_headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn send(addr: SocketAddr, operation: &str, body: &Value) -> Resp {
    raw(addr, &request(operation, body, "")).expect("a response")
}

/// Is the connection closed by the server (EOF) rather than left open?
fn closed(c: &mut BufReader<TcpStream>) -> bool {
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).is_ok()
}

#[test]
fn a_web_page_cannot_complete_a_task() {
    let run = Listening::start(&[]);
    let success = json!({"taskToken": run.token, "output": "{\"decision\":\"APPROVED\",\"reviewer\":\"evil\"}"});
    // A "simple" cross-origin POST (text/plain, no preflight) carries an Origin header.
    let body = success.to_string();
    let page = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n\
         Content-Type: text/plain\r\nX-Amz-Target: AWSStepFunctions.SendTaskSuccess\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let r = raw(run.addr, page.as_bytes()).unwrap();
    assert_eq!(r.status, 403, "{r:?}");
    // DNS rebinding: the page's own host name, resolved to 127.0.0.1.
    let rebound = String::from_utf8(request("SendTaskSuccess", &success, ""))
        .unwrap()
        .replace("Host: 127.0.0.1", "Host: evil.example:8083");
    let r = raw(run.addr, rebound.as_bytes()).unwrap();
    assert_eq!(r.status, 403, "{r:?}");
    // Smuggling: a body over the limit is refused whole and the connection closes; the
    // request hidden after the first MiB is never read as a request.
    let mut padded = vec![b' '; 1024 * 1024 + 10];
    let hidden = request("SendTaskSuccess", &success, "");
    padded.extend_from_slice(&hidden);
    let head = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.SendTaskHeartbeat\r\n\
         Content-Length: {}\r\n\r\n",
        padded.len()
    );
    let mut c = connect(run.addr);
    c.write_all(head.as_bytes()).unwrap();
    let _ = c.write_all(&padded);
    let mut reader = BufReader::new(c);
    let r = read_response(&mut reader).unwrap();
    assert_eq!(r.status, 413, "{r:?}");
    assert!(
        read_response(&mut reader).is_none(),
        "no second response: the connection closed"
    );
    // The task is still pending: a real SendTaskSuccess completes it.
    let r = send(
        run.addr,
        "SendTaskSuccess",
        &json!({"taskToken": run.token, "output": "{\"decision\":\"APPROVED\",\"reviewer\":\"cli\"}"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let (code, out) = run.finish();
    assert_eq!(code, Some(0));
    assert_eq!(out["output"]["approvedBy"], "cli");
}

#[test]
fn the_answer_that_ends_the_execution_arrives_before_exit() {
    for _ in 0..3 {
        let run = Listening::start(&[]);
        let r = send(
            run.addr,
            "SendTaskSuccess",
            &json!({"taskToken": run.token, "output": "{\"decision\":\"REJECTED\",\"reviewer\":\"x\"}"}),
        );
        assert_eq!((r.status, r.body.as_str()), (200, "{}"));
        let (code, out) = run.finish();
        assert_eq!(code, Some(1), "{out}");
        assert_eq!(out["status"], "FAILED");
    }
}

#[test]
fn validation_and_error_shapes_are_aws() {
    let run = Listening::start(&[]);
    let t = run.token.clone();
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "SendTaskSuccess",
            json!({"taskToken": t, "output": format!("\"{}\"", long(262_144))}),
            "ValidationException",
        ),
        (
            "SendTaskFailure",
            json!({"taskToken": t, "error": long(257)}),
            "ValidationException",
        ),
        (
            "SendTaskFailure",
            json!({"taskToken": t, "cause": long(32_769)}),
            "ValidationException",
        ),
        (
            "SendTaskSuccess",
            json!({"taskToken": 12345, "output": "{}"}),
            "SerializationException",
        ),
        (
            "SendTaskSuccess",
            json!({"taskToken": t, "output": {"not": "a string"}}),
            "SerializationException",
        ),
        (
            "SendTaskSuccess",
            json!({"output": "{}"}),
            "ValidationException",
        ),
        (
            "SendTaskSuccess",
            json!({"taskToken": t}),
            "ValidationException",
        ),
        (
            "SendTaskSuccess",
            json!({"taskToken": t, "output": "{nope"}),
            "InvalidOutput",
        ),
        ("StartExecution", json!({}), "UnknownOperationException"),
        (
            "SendTaskHeartbeat",
            json!({"taskToken": "0123456789abcdef0123456789abcdef"}),
            "TaskDoesNotExist",
        ),
        (
            "SendTaskHeartbeat",
            json!({"taskToken": "short"}),
            "InvalidToken",
        ),
    ];
    for (op, body, want) in cases {
        let r = send(run.addr, op, &body);
        assert_eq!(r.status, 400, "{op} {want}: {r:?}");
        assert_eq!(r.error_type(), want, "{op}: {}", r.body);
        assert_eq!(r.header("x-amzn-errortype"), Some(want));
    }
    let r = send(
        run.addr,
        "SendTaskFailure",
        &json!({"taskToken": t, "error": long(256), "cause": long(32_768)}),
    );
    assert_eq!(r.status, 200, "the longest allowed fields pass: {r:?}");
    let (code, out) = run.finish();
    assert_eq!(code, Some(1));
    assert_eq!(
        out["error"],
        long(256),
        "the task stayed pending until then"
    );
}

#[test]
fn broken_framing_gets_an_answer_or_a_close_never_a_hang() {
    let run = Listening::start(&[]);
    let started = Instant::now();
    // No Content-Length: an empty body, answered at once.
    let r = raw(
        run.addr,
        b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.SendTaskHeartbeat\r\n\r\n",
    )
    .unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    // Invalid UTF-8 in a header value.
    let mut bad = b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.SendTask\xff\xfe\r\nContent-Length: 2\r\n\r\n{}".to_vec();
    let r = raw(run.addr, &bad).unwrap();
    assert_eq!(r.error_type(), "UnknownOperationException", "{r:?}");
    // A huge Content-Length with a short body: refused before any body is awaited.
    bad = b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.SendTaskHeartbeat\r\nContent-Length: 99999999999999\r\n\r\n{}".to_vec();
    let r = raw(run.addr, &bad).unwrap();
    assert_eq!(r.status, 413, "{r:?}");
    // Chunked bodies are read as chunked.
    let body = json!({"taskToken": run.token}).to_string();
    let chunked = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.SendTaskHeartbeat\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let r = raw(run.addr, chunked.as_bytes()).unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    // HTTP/1.0 closes after its response.
    let mut c = connect(run.addr);
    let body = json!({"taskToken": run.token}).to_string();
    write!(
        c,
        "POST / HTTP/1.0\r\nX-Amz-Target: AWSStepFunctions.SendTaskHeartbeat\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reader = BufReader::new(c);
    assert_eq!(read_response(&mut reader).unwrap().status, 200);
    assert!(closed(&mut reader), "HTTP/1.0 closes by default");
    // An endless header is cut off.
    let mut c = connect(run.addr);
    c.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Long: ")
        .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut refused = false;
    for _ in 0..64 {
        if c.write_all(&chunk).is_err() {
            refused = true;
            break;
        }
    }
    if !refused {
        let mut reader = BufReader::new(c);
        let r = read_response(&mut reader);
        assert!(
            r.as_ref()
                .is_none_or(|r| r.status == 431 || r.status == 400),
            "{r:?}"
        );
    }
    eprintln!("broken framing answered in {:?}", started.elapsed());
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let run = Listening::start(&[]);
    let c = connect(run.addr);
    let mut writer = c.try_clone().unwrap();
    let mut reader = BufReader::new(c);
    let started = Instant::now();
    for _ in 0..50 {
        writer
            .write_all(&request(
                "SendTaskHeartbeat",
                &json!({"taskToken": run.token}),
                "",
            ))
            .unwrap();
        let r = read_response(&mut reader).unwrap();
        assert_eq!(r.status, 200, "{r:?}");
    }
    // Reported, not asserted: each answer goes out in one write, so no delayed-ACK stall.
    eprintln!(
        "50 keep-alive requests: {:?} per request",
        started.elapsed() / 50
    );
}

#[test]
fn idle_connections_cannot_exhaust_the_endpoint() {
    let run = Listening::start(&[]);
    // Far more idle connections than the endpoint serves at once.
    let idle: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(run.addr).ok())
        .collect();
    // They hold their slots until they close (or their head times out); then the endpoint
    // serves again.
    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = raw(
            run.addr,
            &request("SendTaskHeartbeat", &json!({"taskToken": run.token}), ""),
        );
        if r.as_ref().is_some_and(|r| r.status == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "the endpoint serves again");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn tokens_are_secret_unless_a_test_asks() {
    let a = Listening::start(&[]);
    let b = Listening::start(&[]);
    assert_ne!(a.token, b.token, "tokens differ from run to run");
    assert_eq!(a.token.len(), 32);
    let c = Listening::start(&["--deterministic-tokens"]);
    let d = Listening::start(&["--deterministic-tokens"]);
    assert_eq!(c.token, d.token, "a test can ask for repeatable tokens");
    drop((a, b, c, d));
}

#[test]
fn listening_beyond_loopback_needs_its_own_flag() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/callback.asl.json");
    let out = Command::new(env!("CARGO_BIN_EXE_stepdbg"))
        .arg("run")
        .arg(&sample)
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a loopback address") && err.contains("--listen-any"),
        "{err}"
    );
}

#[test]
fn stderr_lines_are_drained() {
    let run = Listening::start(&[]);
    let r = send(
        run.addr,
        "SendTaskHeartbeat",
        &json!({"taskToken": run.token}),
    );
    assert_eq!(r.status, 200);
    // Nothing else was printed for a heartbeat.
    assert!(run.lines.try_recv().is_err());
}

/// CPU time (user + system) a process has used, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

#[test]
fn running_out_of_file_descriptors_backs_off_instead_of_spinning() {
    if !Path::new("/proc/self/stat").exists() {
        eprintln!("skipped: no /proc");
        return;
    }
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/callback.asl.json");
    let script = format!(
        "ulimit -n 48 && exec {} run {} --no-mocks --listen 127.0.0.1:0",
        env!("CARGO_BIN_EXE_stepdbg"),
        sample.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr: SocketAddr = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(a) = line.strip_prefix("listening for SendTask* callbacks on http://") {
            break a.parse().unwrap();
        }
    };
    // More connections than it has descriptors left: accept(2) fails with EMFILE.
    let flood: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks(child.id()).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(child.id()).unwrap() - before;
    drop(flood);
    let _ = child.kill();
    let _ = child.wait();
    // A spinning accept loop uses the whole 2 s (about 200 ticks); backing off, almost none.
    assert!(
        used < 100,
        "{used} clock ticks of CPU in 2 s while out of descriptors"
    );
}

#[test]
fn advance_after_reaches_the_timeout_path_when_nobody_answers() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/callback.asl.json");
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.json");
    let out = Command::new(env!("CARGO_BIN_EXE_stepdbg"))
        .arg("run")
        .arg(&sample)
        .args([
            "--no-mocks",
            "--listen",
            "127.0.0.1:0",
            "--advance-after",
            "200ms",
        ])
        .arg("--history")
        .arg(&history)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // The token timed out a day later on the virtual clock; the Catch led to the Fail state.
    assert_eq!(out.status.code(), Some(1), "{err}");
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["error"], "ReviewTimedOut", "{status}");
    assert!(err.contains("\"advancedTo\""), "{err}");
    let events: Value = serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    let types: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(types.contains(&"TaskTimedOut"), "{types:?}");
    // Without --listen there is nothing to wait for: the flag is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_stepdbg"))
        .arg("run")
        .arg(&sample)
        .args(["--advance-after", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen"));
}

/// `stepdbg serve` (with `--time-scale`) holding an EXPRESS machine whose one Wait lasts
/// `seconds`: the server, its address and the machine's ARN.
fn serve_with_a_wait(time_scale: &str, seconds: u32) -> (Child, SocketAddr, String) {
    let mut serve = Command::new(env!("CARGO_BIN_EXE_stepdbg"))
        .args(["serve", "--port", "0", "--time-scale", time_scale])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    BufReader::new(serve.stderr.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let addr: SocketAddr = banner
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("serve prints its address")
        .parse()
        .unwrap();
    let definition = json!({"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": seconds, "End": true}}});
    let created = send(
        addr,
        "CreateStateMachine",
        &json!({"name": "slow", "definition": definition.to_string(), "roleArn": "arn:aws:iam::123456789012:role/r", "type": "EXPRESS"}),
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let arn = serde_json::from_str::<Value>(&created.body).unwrap()["stateMachineArn"]
        .as_str()
        .unwrap()
        .to_string();
    (serve, addr, arn)
}

/// Start `arn` synchronously, interrupt `serve` 0.2 s later, and return the answer.
fn interrupted_sync_execution(serve: &mut Child, addr: SocketAddr, arn: String) -> Resp {
    let running = std::thread::spawn(move || {
        send(
            addr,
            "StartSyncExecution",
            &json!({"stateMachineArn": arn, "input": "{}"}),
        )
    });
    std::thread::sleep(Duration::from_millis(200));
    let signalled = Command::new("kill")
        .args(["-INT", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let answer = running.join().unwrap();
    // And then it ends.
    serve.wait().unwrap();
    answer
}

/// `stepdbg serve` stopped by a signal while it runs an execution for a client: the client
/// still gets its answer (the servers' shutdown grace, 2 s, is shorter than the forced exit).
#[test]
fn serve_answers_what_it_is_running_when_a_signal_stops_it() {
    // The Wait takes 1.6 s of real time.
    let (mut serve, addr, arn) = serve_with_a_wait("1.25", 2);
    let answer = interrupted_sync_execution(&mut serve, addr, arn);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let result: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(result["status"], "SUCCEEDED", "{result}");
}

/// What is still running when the shutdown grace is over gets a 503, not a closed socket.
#[test]
fn serve_answers_503_for_what_outlasts_its_shutdown_grace() {
    let (mut serve, addr, arn) = serve_with_a_wait("1", 4);
    let answer = interrupted_sync_execution(&mut serve, addr, arn);
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("ServiceUnavailable")
    );
}

/// A client that pipelines requests and never reads the answers fills the socket buffers;
/// the server gives up on it once an answer has waited the read timeout (10 s), instead of
/// holding one of its few connections for ever.
#[test]
fn a_client_that_stops_reading_its_answers_loses_its_connection() {
    let run = Listening::start(&[]);
    let mut stalled = connect(run.addr);
    let one = request(
        "SendTaskHeartbeat",
        &json!({"taskToken": "not-a-token"}),
        "",
    );
    let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1000).collect();
    let (ended, end) = mpsc::channel();
    std::thread::spawn(move || {
        let how = loop {
            if let Err(e) = stalled.write_all(&batch) {
                break e.kind();
            }
        };
        let _ = ended.send(how);
    });
    let how = end.recv_timeout(Duration::from_secs(90));
    assert!(
        how.is_ok(),
        "the server closed the connection of a client that stopped reading"
    );
    let r = send(
        run.addr,
        "SendTaskHeartbeat",
        &json!({"taskToken": run.token}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}
