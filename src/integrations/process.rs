//! Running a function's process with a deadline: input on stdin, both outputs captured,
//! and the whole process group stopped when time is up (or when the process ends, so
//! nothing it left behind keeps running, as Lambda freezes the sandbox after a response).

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How often a running process is checked against its deadline.
const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// How long to wait for output pipes still held by a process that escaped the group.
const PIPE_GRACE: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Ended by this signal (Unix).
    Signal(i32),
    /// Still running at the deadline, and stopped.
    TimedOut,
}

#[derive(Debug)]
pub struct Finished {
    pub exit: Exit,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Run `command` with `input` on its stdin until it ends or `timeout` passes.
pub fn run(mut command: Command, input: &[u8], timeout: Duration) -> std::io::Result<Finished> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        // Its own process group, so that stopping it stops whatever it started too.
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let deadline = Instant::now() + timeout;
    let mut child = command.spawn()?;

    // Feed stdin from a thread: a process that does not read it must not block us.
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let stdout = capture(child.stdout.take());
    let stderr = capture(child.stderr.take());

    let exit = loop {
        if let Some(status) = child.try_wait()? {
            break exit_of(status);
        }
        let now = Instant::now();
        if now >= deadline {
            stop(&mut child);
            let _ = child.wait();
            break Exit::TimedOut;
        }
        thread::sleep(POLL_INTERVAL.min(deadline - now));
    };
    stop_group(&child);
    let until = Instant::now() + PIPE_GRACE;
    Ok(Finished {
        exit,
        stdout: collect(stdout, until),
        stderr: collect(stderr, until),
    })
}

fn capture(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
    }
    rx
}

fn collect(rx: mpsc::Receiver<Vec<u8>>, until: Instant) -> Vec<u8> {
    rx.recv_timeout(until.saturating_duration_since(Instant::now()))
        .unwrap_or_default()
}

fn exit_of(status: ExitStatus) -> Exit {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Exit::Signal(sig);
        }
    }
    Exit::Code(status.code().unwrap_or(-1))
}

fn stop(child: &mut Child) {
    stop_group(child);
    let _ = child.kill();
}

/// Kill what is left of the child's process group (the child leads it).
fn stop_group(child: &Child) {
    #[cfg(unix)]
    {
        let Ok(pgid) = libc::pid_t::try_from(child.id()) else {
            return;
        };
        // SAFETY: kill(2) takes plain integers and touches no memory of ours. The group id is
        // the child's pid, which stays reserved while the group has members.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = child;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn captures_both_outputs_and_the_exit_code() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "cat; echo err >&2; exit 3"]);
        let done = run(cmd, b"in", Duration::from_secs(5)).unwrap();
        assert_eq!(done.exit, Exit::Code(3));
        assert_eq!(done.stdout, b"in");
        assert_eq!(done.stderr, b"err\n");
    }

    #[test]
    fn stops_a_process_that_outlives_its_deadline() {
        let mut cmd = Command::new("sh");
        // The grandchild holds the pipes: it must be stopped too.
        cmd.args(["-c", "echo started; sleep 30; echo never"]);
        let done = run(cmd, b"", Duration::from_millis(300)).unwrap();
        assert_eq!(done.exit, Exit::TimedOut);
        assert_eq!(done.stdout, b"started\n");
    }
}
