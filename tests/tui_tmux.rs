//! End to end in a real terminal: tmux runs the debugger on the callback sample, keys are
//! sent as a person would type them, and the screen is read back with `capture-pane`.
//! Skipped (with a message) where tmux is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// tmux on a server of the tests' own (options set here never reach a person's tmux).
fn tmux() -> Command {
    let mut c = Command::new("tmux");
    c.args(["-L", "stepdbg-tests"]);
    c
}

fn have_tmux() -> bool {
    tmux().arg("-V").output().is_ok_and(|o| o.status.success())
}

/// A tmux session that is killed when dropped.
struct Tmux {
    name: String,
}

impl Tmux {
    fn start(tag: &str, dir: &Path, command: &str) -> Tmux {
        let name = format!("stepdbg-{tag}-{}", std::process::id());
        // Tests start sessions at once; when no tmux server runs yet, two may race to
        // start one and one loses: try again.
        let start = || {
            tmux()
                .args([
                    "new-session",
                    "-d",
                    "-s",
                    &name,
                    "-x",
                    "120",
                    "-y",
                    "40",
                    "-c",
                ])
                .arg(dir)
                .arg(command)
                .env_remove("NO_COLOR")
                .env("TERM", "xterm-256color")
                .status()
                .unwrap()
                .success()
        };
        let ok = (0..5).any(|i| {
            if i > 0 {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            start()
        });
        assert!(ok, "tmux new-session failed");
        Tmux { name }
    }

    fn capture(&self) -> String {
        let out = tmux()
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let ok = tmux()
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .unwrap()
            .success();
        assert!(ok, "send-keys {keys:?}");
    }

    fn literal(&self, text: &str) {
        let ok = tmux()
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status()
            .unwrap()
            .success();
        assert!(ok, "send-keys -l {text}");
    }

    /// Poll the screen until `want` shows (or the deadline passes, which fails the test
    /// with the screen as it was).
    fn wait_for(&self, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.capture();
            if screen.contains(want) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("'{want}' never showed; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alive(&self) -> bool {
        tmux()
            .args(["has-session", "-t", &self.name])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn pane_pid(&self) -> Option<u32> {
        let out = tmux()
            .args(["list-panes", "-t", &self.name, "-F", "#{pane_pid}"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux().args(["kill-session", "-t", &self.name]).output();
    }
}

/// The callback sample without its mock file, so its task token is completed by hand.
fn callback_without_mocks() -> (tempfile::TempDir, PathBuf) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let dir = tempfile::tempdir().unwrap();
    for f in ["callback.asl.json", "callback.input.json"] {
        std::fs::copy(samples.join(f), dir.path().join(f)).unwrap();
    }
    let def = dir.path().join("callback.asl.json");
    (dir, def)
}

#[test]
fn step_to_the_pending_token_complete_it_and_succeed() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let (dir, _) = callback_without_mocks();
    let t = Tmux::start("e2e", dir.path(), &format!("{bin} callback.asl.json"));
    let s = t.wait_for("READY");
    assert!(s.contains("Request review"), "{s}");
    // Step over the first state: the task waits for its token.
    t.keys(&["n"]);
    let s = t.wait_for("WAITING");
    assert!(s.contains("waits for its task token"), "{s}");
    assert!(s.contains("⧗ Request review"), "{s}");
    // Send success from the Pending pane's form, with JSON validated as typed.
    t.keys(&["5", "Enter"]);
    t.wait_for("Send success to 'Request review'");
    t.literal("{\"decision\": \"APPROVED\",");
    t.wait_for("✗ ");
    t.literal(" \"reviewer\": \"tmux@example.com\"}");
    t.wait_for("✓ valid JSON");
    t.keys(&["C-s"]);
    t.wait_for("sent success to 'Request review'");
    t.keys(&["c"]);
    let s = t.wait_for("SUCCEEDED");
    assert!(s.contains("ExecutionSucceeded"), "{s}");
    println!("{s}");
    // q quits at once once the execution has ended, and the terminal is given back.
    t.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!t.alive(), "the debugger exited");
}

#[test]
fn sigterm_restores_the_terminal() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let (dir, _) = callback_without_mocks();
    let t = Tmux::start(
        "term",
        dir.path(),
        &format!("sh -c '{bin} callback.asl.json; echo exited with $?; sleep 60'"),
    );
    t.wait_for("READY");
    let sh = t.pane_pid().expect("the pane's shell");
    let out = Command::new("pgrep")
        .args(["-P", &sh.to_string()])
        .output()
        .unwrap();
    let pid: u32 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("the debugger's pid");
    let ok = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    // Ended by a signal: 128 + SIGTERM, as a shell reports it.
    let s = t.wait_for("exited with 143");
    // Back on the normal screen: the debugger's frame is gone.
    assert!(!s.contains("READY") && !s.contains("╭"), "{s}");
}

/// The README's first command: the bundled sample with its mock file. The mock's answer
/// for the callback is offered in the form; the token still waits for the person.
#[test]
fn the_bundled_callback_sample_offers_the_mock_answer_for_its_token() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let t = Tmux::start("sample", root, &format!("{bin} samples/callback.asl.json"));
    t.wait_for("READY");
    t.keys(&["c"]);
    let s = t.wait_for("WAITING");
    assert!(s.contains("⧗ Request review"), "{s}");
    t.keys(&["5", "Enter"]);
    let s = t.wait_for("✓ valid JSON");
    assert!(
        s.contains("maria.garcia@example.com"),
        "the mock's answer is offered: {s}"
    );
    t.keys(&["C-s"]);
    t.wait_for("sent success to 'Request review'");
    t.keys(&["c"]);
    let s = t.wait_for("SUCCEEDED");
    assert!(s.contains("maria.garcia@example.com"), "{s}");
    t.keys(&["q"]);
}

/// The debugger's pid inside a tmux session started as `sh -c 'stepdbg ...'` or directly.
fn debugger_pid(t: &Tmux) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pane = t.pane_pid().expect("the pane's process");
        let is_stepdbg = |pid: u32| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|p| p.file_name().is_some_and(|n| n == "stepdbg"))
        };
        if is_stepdbg(pane) {
            return pane;
        }
        let out = Command::new("pgrep")
            .args(["-P", &pane.to_string()])
            .output()
            .unwrap();
        if let Some(pid) = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .find(|&p| is_stepdbg(p))
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "stepdbg runs in the pane");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

/// Wait (up to 10 s) for every pid to end; true when they all did.
fn all_end(pids: &[u32]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|&p| process_alive(p)) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// A definition whose one Lambda task runs `long.sh`: it starts a grandchild, writes both
/// pids, and waits.
fn long_function_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fn.asl.json"),
        r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "work", "Payload.$": "$"}, "End": true}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("long.sh"),
        "sleep 300 & echo $! > grandchild.pid\necho $$ > child.pid\nwait\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("stepdbg.toml"),
        "[functions]\nwork = \"command:sh long.sh?timeout=600\"\n",
    )
    .unwrap();
    dir
}

fn function_pids(dir: &Path) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let read = |n: &str| {
            std::fs::read_to_string(dir.join(n))
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
        };
        if let (Some(c), Some(g)) = (read("child.pid"), read("grandchild.pid")) {
            return vec![c, g];
        }
        assert!(Instant::now() < deadline, "the function started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn closing_the_terminal_ends_the_debugger_and_its_functions() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let dir = long_function_dir();
    let t = Tmux::start("gone", dir.path(), &format!("{bin} fn.asl.json"));
    t.wait_for("READY");
    let pid = debugger_pid(&t);
    t.keys(&["c"]);
    let mut pids = function_pids(dir.path());
    pids.push(pid);
    let closed = Instant::now();
    let _ = tmux().args(["kill-session", "-t", &t.name]).output();
    assert!(
        all_end(&pids),
        "the debugger and its function ended with the terminal"
    );
    println!("ended {:?} after the terminal closed", closed.elapsed());
}

/// A closed window under a shell: the debugger ends by the hangup (status 129), not by an
/// abort from reporting on a terminal that is gone (its standard error is that terminal).
#[test]
fn a_hangup_ends_the_debugger_cleanly_while_a_task_waits() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let (dir, _) = callback_without_mocks();
    let status = dir.path().join("status");
    let t = Tmux::start(
        "hup",
        dir.path(),
        &format!(
            "bash -c 'trap \"\" HUP; {bin} callback.asl.json; echo $? > {}'",
            status.display()
        ),
    );
    t.wait_for("READY");
    t.keys(&["c"]);
    t.wait_for("WAITING");
    let _ = tmux().args(["kill-session", "-t", &t.name]).output();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !status.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let code = std::fs::read_to_string(&status).expect("the debugger's exit status");
    assert_eq!(code.trim(), "129", "ended by SIGHUP, not by an abort (134)");
}

#[test]
fn quitting_ends_the_functions_it_started() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let dir = long_function_dir();
    let t = Tmux::start("quit", dir.path(), &format!("{bin} fn.asl.json"));
    t.wait_for("READY");
    let pid = debugger_pid(&t);
    t.keys(&["c"]);
    let mut pids = function_pids(dir.path());
    pids.push(pid);
    // The status says which function runs, and for how long (counting up while it runs).
    t.wait_for("calling work (");
    t.wait_for("calling work (1.");
    t.keys(&["q"]);
    t.wait_for("Quit");
    t.keys(&["y"]);
    assert!(all_end(&pids), "quitting ended the function and its child");
}

fn runaway_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("loop.asl.json"),
        r#"{"QueryLanguage": "JSONata", "StartAt": "Spin", "States": {"Spin": {"Type": "Pass",
            "Output": "{% ($f := function($x){ $f($x+1) }; $f(0)) %}", "End": true}}}"#,
    )
    .unwrap();
    dir
}

#[test]
fn esc_interrupts_a_runaway_expression() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let dir = runaway_dir();
    let t = Tmux::start(
        "spin",
        dir.path(),
        &format!("{bin} loop.asl.json --eval-timeout 600s"),
    );
    t.wait_for("READY");
    t.keys(&["c"]);
    t.wait_for("RUNNING");
    // Long enough for the key reader to treat Esc as an interrupt of the evaluation.
    std::thread::sleep(Duration::from_millis(800));
    t.keys(&["Escape"]);
    let s = t.wait_for("FAILED");
    assert!(s.contains("QueryEvaluationError"), "{s}");
    // The debugger is still there and answers keys.
    t.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!t.alive(), "the debugger quit");
}

#[test]
fn sigterm_ends_the_debugger_inside_a_runaway_expression() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let dir = runaway_dir();
    let t = Tmux::start(
        "spinterm",
        dir.path(),
        &format!("sh -c '{bin} loop.asl.json --eval-timeout 600s; echo exited with $?; sleep 60'"),
    );
    t.wait_for("READY");
    let pid = debugger_pid(&t);
    t.keys(&["c"]);
    t.wait_for("RUNNING");
    let ok = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let s = t.wait_for("exited with 143");
    assert!(!s.contains("╭"), "the terminal was restored: {s}");
}

#[test]
fn moving_time_on_reaches_the_callback_samples_timeout_catch() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let (dir, _) = callback_without_mocks();
    let t = Tmux::start("time", dir.path(), &format!("{bin} callback.asl.json"));
    t.wait_for("READY");
    t.keys(&["n"]);
    let s = t.wait_for("WAITING");
    // The Pending pane counts down to the task's deadline in virtual time.
    assert!(s.contains("times out in 1d0h"), "{s}");
    // Nobody answers: move the clock to that deadline.
    t.keys(&[":"]);
    t.literal("advance next");
    t.keys(&["Enter"]);
    let s = t.wait_for("times out (States.Timeout)");
    assert!(s.contains("(+1d0h)"), "{s}");
    // Going on fires the timeout; the Catch sends it to "Review timed out".
    t.keys(&["c"]);
    let s = t.wait_for("FAILED");
    assert!(s.contains("Review timed out"), "{s}");
    assert!(s.contains("TaskTimedOut"), "{s}");
}

#[test]
fn y_copies_through_osc52_into_tmuxs_buffer() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let (dir, _) = callback_without_mocks();
    let t = Tmux::start("copy", dir.path(), &format!("{bin} callback.asl.json"));
    // tmux takes OSC 52 from applications into a paste buffer when set-clipboard is on.
    assert!(
        tmux()
            .args(["set-option", "-s", "set-clipboard", "on"])
            .status()
            .unwrap()
            .success()
    );
    t.wait_for("READY");
    // The selected state's definition, from the States pane.
    t.keys(&["1", "y"]);
    t.wait_for("copied state Request review");
    let buffer = tmux().args(["show-buffer"]).output().unwrap();
    let copied: stepdbg::json::Value = serde_json::from_slice(&buffer.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&buffer.stdout)));
    assert_eq!(copied["Type"], "Task");
    assert_eq!(copied["HeartbeatSeconds"], 3600);
}

#[test]
fn a_definition_broken_at_start_opens_and_starts_at_the_first_valid_save() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let (dir, def) = callback_without_mocks();
    let good = std::fs::read_to_string(&def).unwrap();
    std::fs::write(&def, "{\"StartAt\": \"Request review\",\n  \"States\": {").unwrap();
    let t = Tmux::start(
        "broken",
        dir.path(),
        &format!("{bin} callback.asl.json; echo EXIT=$?; sleep 30"),
    );
    // The located error, and the debugger waits.
    let s = t.wait_for("cannot be debugged yet");
    assert!(s.contains("callback.asl.json:2:"), "{s}");
    // Parseable but invalid: every error, located.
    std::fs::write(
        &def,
        good.replace("\"Next\": \"Approved?\"", "\"Next\": \"Approved\""),
    )
    .unwrap();
    let s = t.wait_for("'Approved'");
    assert!(s.contains("cannot be debugged yet"), "{s}");
    // Valid: it starts.
    std::fs::write(&def, &good).unwrap();
    let s = t.wait_for("READY");
    assert!(s.contains("is valid now"), "{s}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0");
}

#[test]
fn quitting_while_waiting_for_a_valid_save_restores_the_terminal() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.asl.json"), "not json").unwrap();
    let t = Tmux::start(
        "waitquit",
        dir.path(),
        &format!("{bin} bad.asl.json; echo EXIT=$?; sleep 30"),
    );
    t.wait_for("cannot be debugged yet");
    t.keys(&["q"]);
    let s = t.wait_for("EXIT=0");
    assert!(
        !s.contains("cannot be debugged yet"),
        "the screen is restored: {s}"
    );
}

/// Type a `:` command and run it.
fn command(t: &Tmux, line: &str) {
    t.keys(&[":"]);
    t.literal(line);
    t.keys(&["Enter"]);
}

#[test]
fn catch_retry_eval_and_the_viewer_in_a_real_terminal() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let t = Tmux::start("retry", &samples, &format!("{bin} retry-catch.asl.json"));
    t.wait_for("READY");
    // Stop at the first failed attempt, before its back-off.
    command(&t, "catch retry");
    t.keys(&["c"]);
    let s = t.wait_for("stopped on Retry at 'Charge card'");
    assert!(
        s.contains("retrying in") && s.contains("(attempt 2 of 5)"),
        "{s}"
    );
    // The message is cut at 120 columns: v shows it whole.
    t.keys(&["v"]);
    let s = t.wait_for("attempt 1 failed; attempt 2 of 5 in");
    assert!(s.contains(" message "), "{s}");
    t.keys(&["Escape"]);
    // The viewer is closed before more keys go: an Esc that arrives together with the next
    // key reads as Alt+key.
    t.wait_for("1 States");
    // Ask things at the pause: a JSONPath, an intrinsic, JSONata.
    command(&t, "eval $.orderId");
    t.wait_for("$.orderId = \"ORD-");
    command(&t, "eval States.MathAdd($.amount, 1)");
    t.wait_for("States.MathAdd($.amount, 1) = ");
    command(&t, "eval {% $states.input.currency %}");
    t.wait_for("= \"");
    // The attempt's error, whole, in the viewer.
    t.keys(&["3", "G", "v"]);
    let s = t.wait_for("copy · Esc close");
    assert!(s.contains("Charge card · "), "{s}");
    t.keys(&["Escape"]);
    t.wait_for("PAUSED");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_sam_app_opens_and_a_handler_edit_is_run_again_on_reload() {
    if !have_tmux() || !have("python3") || !have("node") {
        eprintln!("skipped: tmux, python3 or node is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sam-app"),
        dir.path(),
    );
    let t = Tmux::start("sam", dir.path(), &format!("{bin} template.yaml"));
    let s = t.wait_for("READY");
    assert!(
        s.contains("order.asl.json") && s.contains("Check stock"),
        "{s}"
    );
    t.keys(&["c"]);
    t.wait_for("SUCCEEDED");
    command(&t, "eval $.price.total");
    t.wait_for("$.price.total = 37.5");
    // Change the Node handler's price: the calls are made again and the result follows.
    let handler = dir.path().join("functions/price/index.js");
    let code = std::fs::read_to_string(&handler).unwrap();
    std::fs::write(
        &handler,
        code.replace("\"MUG-CLASSIC\": 12.5", "\"MUG-CLASSIC\": 20"),
    )
    .unwrap();
    t.wait_for("function calls made again");
    command(&t, "eval $.price.total");
    t.wait_for("$.price.total = 60");
}

#[test]
fn a_template_with_several_state_machines_offers_a_picker() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_stepdbg");
    let project =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/projects/sam/sfn-sns-task-timer");
    let t = Tmux::start("pick", &project, &format!("{bin} template.yaml"));
    let s = t.wait_for("2 state machines: which one?");
    assert!(s.contains("TaskTimer") && s.contains("8 states"), "{s}");
    assert!(
        s.contains("TimeBoundedTasks") && s.contains("1 states"),
        "{s}"
    );
    t.keys(&["Down", "Enter"]);
    let s = t.wait_for("READY");
    assert!(s.contains("TimeBoundedTasks.asl.json"), "{s}");
}
