//! The I/O shell under adversarial use, at the process level: runaway expressions,
//! function processes that never stop talking or outlive stepdbg, hostile Lambda
//! endpoints, endless files, failing output streams, and configuration mistakes. Every
//! test here is one probe that once hung, crashed, leaked or silently misbehaved.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use stepdbg::json;
use stepdbg::json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepdbg"));
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
    std::fs::write(&p, text).unwrap();
    p
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Run with a wall-clock guard: a hang fails the test instead of stalling the suite.
fn run_bounded(mut cmd: Command, stdin: Option<Stdio>) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(stdin.unwrap_or_else(Stdio::null));
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("stepdbg did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn jsonata_pass(expr: &str) -> String {
    json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": format!("{{% {expr} %}}"), "End": true}}})
    .to_string()
}

// ----- runaway expressions ------------------------------------------------------------

#[test]
fn runaway_jsonata_fails_the_state_instead_of_hanging_or_aborting() {
    let dir = tempfile::tempdir().unwrap();
    // The size and memory limits get a long time limit, so a loaded machine (CI on two
    // cores) reaches them before the clock runs out.
    for (expr, budget, timeout) in [
        ("($f := function($x){ $f($x+1) }; $f(0))", "D1012", "3s"),
        ("[1..10000000].[1..10000000]", "D2015", "30s"),
        ("[1..1000000].[1..1000000]", "U1004", "30s"),
        ("$pad('', 1000000000)", "evaluation budget", "30s"),
    ] {
        let def = write(dir.path(), "runaway.asl.json", &jsonata_pass(expr));
        let mut cmd = bin();
        cmd.arg("run").arg(&def).args(["--eval-timeout", timeout]);
        let out = run_bounded(cmd, None);
        assert_eq!(out.status.code(), Some(1), "{expr}: {}", stderr(&out));
        let v = stdout_json(&out);
        assert_eq!(v["error"], "States.QueryEvaluationError", "{expr}");
        let cause = v["cause"].as_str().unwrap();
        assert!(cause.contains(budget), "{expr}: {cause}");
    }
}

#[test]
fn the_evaluation_timeout_comes_from_stepdbg_toml_too() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "loop.asl.json",
        &jsonata_pass("($f := function($x){ $f($x+1) }; $f(0))"),
    );
    write(
        dir.path(),
        "stepdbg.toml",
        "[limits]\neval-timeout = \"300ms\"\n",
    );
    let mut cmd = bin();
    cmd.arg("run").arg(&def);
    let out = run_bounded(cmd, None);
    let cause = stdout_json(&out)["cause"].as_str().unwrap().to_string();
    assert!(cause.contains("timeout after 300 milliseconds"), "{cause}");
}

// ----- function processes -------------------------------------------------------------

fn lambda_definition(dir: &Path) -> PathBuf {
    write(
        dir,
        "fn.asl.json",
        &json!({"StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "work", "Payload.$": "$"}, "End": true}}})
        .to_string(),
    )
}

#[test]
fn a_function_that_prints_forever_is_capped_and_stopped_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let def = lambda_definition(dir.path());
    let started = Instant::now();
    let mut cmd = bin();
    cmd.arg("run")
        .arg(&def)
        .args(["--function", "work=command:yes?timeout=2"]);
    let out = run_bounded(cmd, None);
    let elapsed = started.elapsed();
    let v = stdout_json(&out);
    assert_eq!(v["error"], "Sandbox.Timedout", "{v}");
    eprintln!("`yes` stopped after {elapsed:?} (timeout 2 s)");
}

#[test]
fn a_function_answering_more_than_lambda_allows_gets_lambdas_error() {
    let dir = tempfile::tempdir().unwrap();
    let def = lambda_definition(dir.path());
    write(
        dir.path(),
        "big.sh",
        "head -c 7000000 /dev/zero | tr '\\0' 'a' | sed 's/^/\"/;s/$/\"/'\n",
    );
    let mut cmd = bin();
    cmd.arg("run")
        .arg(&def)
        .args(["--function", "work=command:sh big.sh?timeout=20"])
        .current_dir(dir.path());
    let out = run_bounded(cmd, None);
    let v = stdout_json(&out);
    assert_eq!(v["error"], "Function.ResponseSizeTooLarge", "{v}");
}

#[test]
fn out_of_range_timeouts_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let def = lambda_definition(dir.path());
    for t in ["1e30", "1e19"] {
        let mut cmd = bin();
        cmd.arg("run")
            .arg(&def)
            .args(["--function", &format!("work=command:true?timeout={t}")]);
        let out = run_bounded(cmd, None);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("at most 86400"), "{}", stderr(&out));
    }
}

/// Is a process still alive (and not a zombie)?
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

/// `stepdbg run` calling a function that starts a grandchild and then waits; both pids
/// are written to files so the test can watch them. The caller waits for the child.
#[allow(clippy::zombie_processes)]
fn run_with_a_long_function(dir: &Path) -> (Child, i32, i32) {
    let def = lambda_definition(dir);
    write(
        dir,
        "long.sh",
        "sleep 300 & echo $! > grandchild.pid\necho $$ > child.pid\nwait\n",
    );
    let child = bin()
        .arg("run")
        .arg(&def)
        .args(["--function", "work=command:sh long.sh?timeout=600"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
    };
    loop {
        if let (Some(c), Some(g)) = (read("child.pid"), read("grandchild.pid")) {
            return (child, c, g);
        }
        assert!(Instant::now() < deadline, "the function started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn functions_end_when_stepdbg_is_signalled() {
    if !Path::new("/proc/self/stat").exists() {
        eprintln!("skipped: no /proc");
        return;
    }
    for signal in ["INT", "TERM", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let (mut stepdbg, child, grandchild) = run_with_a_long_function(dir.path());
        assert!(alive(child) && alive(grandchild));
        let ok = Command::new("kill")
            .args([&format!("-{signal}"), &stepdbg.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let status = stepdbg.wait().unwrap();
        assert!(!status.success(), "SIG{signal} ends stepdbg with a failure");
        let deadline = Instant::now() + Duration::from_secs(10);
        while (alive(child) || alive(grandchild)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !alive(child) && !alive(grandchild),
            "SIG{signal}: the function and what it started ended with stepdbg"
        );
    }
}

#[test]
fn a_process_a_function_detached_ends_and_the_functions_answer_is_kept() {
    if !Path::new("/proc/self/stat").exists() {
        eprintln!("skipped: no /proc");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let def = lambda_definition(dir.path());
    // The detached process keeps the function's output pipes open.
    write(
        dir.path(),
        "detach.sh",
        "echo '{\"result\":42}'\necho log >&2\nsetsid sleep 300 &\necho $! > detached.pid\nsleep 0.3\n",
    );
    let mut cmd = bin();
    cmd.arg("run")
        .arg(&def)
        .args(["--function", "work=command:sh detach.sh?timeout=20"])
        .current_dir(dir.path());
    let out = run_bounded(cmd, None);
    let v = stdout_json(&out);
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
    assert_eq!(v["output"]["Payload"], json!({"result": 42}), "{v}");
    let detached: i32 = std::fs::read_to_string(dir.path().join("detached.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        !alive(detached),
        "the process the function started in a session of its own ended with it"
    );
}

// ----- hostile Lambda endpoints -------------------------------------------------------

/// A one-connection server that answers whatever comes with `response` (raw bytes).
fn hostile_endpoint(response: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut c, _)) = listener.accept() {
            let mut reader = BufReader::new(c.try_clone().unwrap());
            let mut line = String::new();
            // Read the head (and ignore the body).
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            let _ = c.write_all(&response);
            // An endless header keeps going.
            if response.ends_with(b"X-Endless: ") {
                let chunk = vec![b'a'; 64 * 1024];
                while c.write_all(&chunk).is_ok() {}
            }
            std::thread::sleep(Duration::from_secs(5));
        }
    });
    format!("http://{addr}")
}

#[test]
fn hostile_endpoints_cannot_crash_or_bloat_stepdbg() {
    let dir = tempfile::tempdir().unwrap();
    let def = lambda_definition(dir.path());
    let cases: Vec<(&[u8], &str)> = vec![
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n{}",
            "Function.ResponseSizeTooLarge",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\nabc",
            "Lambda.",
        ),
        (b"HTTP/1.1 200 OK\r\nX-Endless: ", "Lambda."),
    ];
    for (response, want) in cases {
        let url = hostile_endpoint(response.to_vec());
        let mut cmd = bin();
        cmd.arg("run")
            .arg(&def)
            .args(["--function", &format!("work=endpoint:{url}?timeout=10")]);
        let out = run_bounded(cmd, None);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {}",
            String::from_utf8_lossy(response),
            stderr(&out)
        );
        let v = stdout_json(&out);
        assert!(
            v["error"].as_str().unwrap().starts_with(want),
            "{}: {v}",
            String::from_utf8_lossy(response)
        );
    }
}

// ----- files that never end ----------------------------------------------------------

#[test]
#[allow(unsafe_code)] // mkfifo(3) to make the FIFO.
fn endless_and_special_files_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let def = sample("retry-catch.asl.json");
    for device in ["/dev/zero", "/dev/urandom"] {
        if !Path::new(device).exists() {
            continue;
        }
        let mut cmd = bin();
        cmd.args(["validate", device]);
        let out = run_bounded(cmd, None);
        assert_eq!(out.status.code(), Some(2), "{device}");
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
        for flag in ["--input", "--context"] {
            let mut cmd = bin();
            cmd.arg("run")
                .arg(&def)
                .args([flag, &format!("file://{device}")]);
            let out = run_bounded(cmd, None);
            assert_eq!(out.status.code(), Some(2), "{flag} {device}");
            assert!(
                stderr(&out).contains("larger than 8 MiB"),
                "{}",
                stderr(&out)
            );
        }
        let mut cmd = bin();
        cmd.arg("run").arg(&def).args(["--mock-config", device]);
        let out = run_bounded(cmd, None);
        assert_eq!(out.status.code(), Some(2), "--mock-config {device}");
    }
    // Standard input that never ends.
    let mut yes = Command::new("yes").stdout(Stdio::piped()).spawn().unwrap();
    let mut cmd = bin();
    cmd.arg("run").arg(&def).args(["--input", "-"]);
    let out = run_bounded(cmd, Some(Stdio::from(yes.stdout.take().unwrap())));
    let _ = yes.kill();
    let _ = yes.wait();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("larger than 8 MiB"),
        "{}",
        stderr(&out)
    );
    // A FIFO nobody writes to.
    #[cfg(unix)]
    {
        let fifo = dir.path().join("def.asl.json");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo(3) with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let mut cmd = bin();
        cmd.arg("validate").arg(&fifo);
        let out = run_bounded(cmd, None);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
    }
}

// ----- output that cannot be written -------------------------------------------------

#[test]
fn failed_writes_are_errors_and_closed_pipes_end_quietly() {
    let def = sample("retry-catch.asl.json");
    if Path::new("/dev/full").exists() {
        let full = || {
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap()
        };
        let out = bin()
            .arg("run")
            .arg(&def)
            .stdout(full())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(74), "{}", stderr(&out));
        assert!(stderr(&out).contains("cannot write to standard output"));
        let out = bin()
            .arg("run")
            .arg(&def)
            .arg("--trace")
            .stdout(Stdio::piped())
            .stderr(full())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(74),
            "a failed --trace write is an error"
        );
        assert!(stdout_json(&out)["status"] == "SUCCEEDED");
        let out = bin()
            .args(["validate"])
            .arg(&def)
            .stdout(full())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(74));
    }
    // A reader that goes away: no message, the run's own exit code.
    let mut child = bin()
        .arg("run")
        .arg(&def)
        .args(["--trace"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("cannot write"),
        "{err}"
    );
}

// ----- definitions and configuration -------------------------------------------------

#[test]
fn a_diagnostic_past_column_65535_renders_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "min.asl.json",
        &json!({"Comment": "x".repeat(70_000), "StartAt": "A",
                "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}})
        .to_string(),
    );
    let mut cmd = bin();
    cmd.arg("validate").arg(&def);
    let out = run_bounded(cmd, None);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("Next 'Nowhere' is not a state") && err.contains("min.asl.json:1:700"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn yaml_anchors_merge_keys_and_huge_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let def = write(
        dir.path(),
        "anchors.asl.yaml",
        "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Parameters: &params\n      greeting: hello\n      list: &l [1, 2]\n    Next: B\n  B:\n    <<: &base\n      Type: Pass\n      Comment: from the anchor\n    Parameters:\n      again: *params\n      items: *l\n    End: true\n",
    );
    let mut cmd = bin();
    cmd.arg("run").arg(&def);
    let out = run_bounded(cmd, None);
    assert_eq!(
        stdout_json(&out)["output"],
        json!({"again": {"greeting": "hello", "list": [1, 2]}, "items": [1, 2]})
    );
    let laughs: String = std::iter::once("a: &a [x, x, x, x, x, x, x, x, x, x]\n".to_string())
        .chain((b'b'..=b'h').map(|c| {
            let prev = (c - 1) as char;
            let c = c as char;
            format!("{c}: &{c} [{}]\n", vec![format!("*{prev}"); 10].join(", "))
        }))
        .collect();
    let def = write(dir.path(), "laughs.asl.yaml", &laughs);
    let mut cmd = bin();
    cmd.arg("validate").arg(&def);
    let out = run_bounded(cmd, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("expand to more than"),
        "{}",
        stderr(&out)
    );
    for (name, text, at) in [
        (
            "big.asl.json",
            "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"Result\": 1e400, \"End\": true}}}",
            ":1:61:",
        ),
        (
            "big.asl.yaml",
            "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: 1e400\n    End: true\n",
            ":5:13:",
        ),
    ] {
        let def = write(dir.path(), name, text);
        let mut cmd = bin();
        cmd.arg("validate").arg(&def);
        let out = run_bounded(cmd, None);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.contains(at) && err.contains("out of range"), "{err}");
    }
}

#[test]
fn stepdbg_toml_mistakes_are_located_and_real_toml_works() {
    let dir = tempfile::tempdir().unwrap();
    let def = lambda_definition(dir.path());
    write(
        dir.path(),
        "stepdbg.toml",
        "# routes\n[functions\n\"work\" = \"manual\"\n",
    );
    let mut cmd = bin();
    cmd.arg("run").arg(&def);
    let out = run_bounded(cmd, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("stepdbg.toml:2:"), "{}", stderr(&out));
    // A byte-order mark, spaces in the header, single quotes: all valid.
    write(
        dir.path(),
        "stepdbg.toml",
        "\u{feff}[ functions ]\n'work' = 'command:cat' # echo the event\n",
    );
    let mut cmd = bin();
    cmd.arg("run").arg(&def).args(["--input", "{\"n\": 1}"]);
    let out = run_bounded(cmd, None);
    assert_eq!(stdout_json(&out)["output"]["Payload"], json!({"n": 1}));
}

#[test]
fn a_context_that_is_not_an_object_is_a_usage_error() {
    for context in ["[1]", "\"x\"", "3"] {
        let mut cmd = bin();
        cmd.arg("run")
            .arg(sample("retry-catch.asl.json"))
            .args(["--context", context]);
        let out = run_bounded(cmd, None);
        assert_eq!(out.status.code(), Some(2), "{context}");
        assert!(
            stderr(&out).contains("--context must be a JSON object"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_dumb_terminal_gets_a_message_not_a_broken_screen() {
    let mut cmd = bin();
    cmd.arg(sample("callback.asl.json")).env("TERM", "dumb");
    let out = run_bounded(cmd, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("TERM=dumb"), "{}", stderr(&out));
}
