//! Running a function's process with a deadline: input on stdin, both outputs captured up
//! to a cap, and the whole process group stopped when time is up (or when the process
//! ends, so nothing it left behind keeps running, as Lambda freezes the sandbox after a
//! response). Completion is awaited, never polled; each process is registered with
//! [`crate::shell::children`], so it ends when stepdbg does.

use crate::shell::children;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

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

/// One output stream, kept up to its cap.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// Bytes that came after the cap and were dropped.
    pub dropped: u64,
}

impl Captured {
    /// The text, with a note where output was dropped.
    pub fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.dropped > 0 {
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s.push_str(&format!(
                "[stepdbg: {} more bytes of output were dropped]\n",
                self.dropped
            ));
        }
        s
    }
}

#[derive(Debug)]
pub struct Finished {
    pub exit: Exit,
    pub stdout: Captured,
    pub stderr: Captured,
}

/// Caps on what one run may produce.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub stdout: usize,
    pub stderr: usize,
}

/// Run `command` with `input` on its stdin until it ends or `timeout` passes.
pub async fn run(
    mut command: Command,
    input: Vec<u8>,
    timeout: Duration,
    caps: Caps,
) -> std::io::Result<Finished> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let deadline = tokio::time::Instant::now() + timeout;
    let (mut child, group) = children::spawn(&mut command)?;

    // Feed stdin on its own task: a process that does not read it must not block us.
    if let Some(mut stdin) = child.stdin.take() {
        tokio::spawn(async move {
            let _ = stdin.write_all(&input).await;
        });
    }
    // Set once the process has ended and the grace for its pipes has passed: a process
    // that escaped the group may hold them open; what was read by then is kept.
    let (give_up, pipes_given_up) = tokio::sync::watch::channel(false);
    let stdout = tokio::spawn(capture(
        child.stdout.take(),
        caps.stdout,
        pipes_given_up.clone(),
    ));
    let stderr = tokio::spawn(capture(child.stderr.take(), caps.stderr, pipes_given_up));

    let exit = match tokio::time::timeout_at(deadline, child.wait()).await {
        Ok(status) => exit_of(status?),
        Err(_) => {
            if let Some(g) = &group {
                g.kill();
            }
            let _ = child.kill().await;
            Exit::TimedOut
        }
    };
    // Whatever the function left running is stopped with it; dropping the group kills it.
    drop(group);
    let grace = tokio::spawn(async move {
        tokio::time::sleep(PIPE_GRACE).await;
        let _ = give_up.send(true);
        // Keeps the sender (and so the captures' wait) alive until the end of the grace.
        give_up
    });
    let stdout = stdout.await.unwrap_or_default();
    let stderr = stderr.await.unwrap_or_default();
    grace.abort();
    Ok(Finished {
        exit,
        stdout,
        stderr,
    })
}

/// Read a pipe to its end (or until `give_up` turns true), keeping the first `cap` bytes
/// and counting the rest.
async fn capture(
    pipe: Option<impl AsyncRead + Unpin>,
    cap: usize,
    mut give_up: tokio::sync::watch::Receiver<bool>,
) -> Captured {
    let mut out = Captured::default();
    let Some(mut pipe) = pipe else {
        return out;
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // A pipe read that loses the race has read nothing (tokio's reads are cancel-safe).
        let read = tokio::select! {
            read = pipe.read(&mut buf) => read,
            _ = give_up.wait_for(|given_up| *given_up) => return out,
        };
        match read {
            Ok(0) | Err(_) => return out,
            Ok(n) => {
                let keep = n.min(cap.saturating_sub(out.bytes.len()));
                out.bytes.extend_from_slice(&buf[..keep]);
                out.dropped += (n - keep) as u64;
            }
        }
    }
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::shell::runtime::wait;

    const CAPS: Caps = Caps {
        stdout: 1 << 20,
        stderr: 1 << 20,
    };

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn captures_both_outputs_and_the_exit_code() {
        let done = wait(run(
            sh("cat; echo err >&2; exit 3"),
            b"in".to_vec(),
            Duration::from_secs(5),
            CAPS,
        ))
        .unwrap();
        assert_eq!(done.exit, Exit::Code(3));
        assert_eq!(done.stdout.bytes, b"in");
        assert_eq!(done.stderr.bytes, b"err\n");
    }

    #[test]
    fn stops_a_process_that_outlives_its_deadline() {
        // The grandchild holds the pipes: it must be stopped too.
        let done = wait(run(
            sh("echo started; sleep 30; echo never"),
            Vec::new(),
            Duration::from_millis(300),
            CAPS,
        ))
        .unwrap();
        assert_eq!(done.exit, Exit::TimedOut);
        assert_eq!(done.stdout.bytes, b"started\n");
    }

    #[test]
    fn endless_output_is_capped() {
        let done = wait(run(
            sh("yes"),
            Vec::new(),
            Duration::from_millis(500),
            Caps {
                stdout: 1000,
                stderr: 10,
            },
        ))
        .unwrap();
        assert_eq!(done.exit, Exit::TimedOut);
        assert_eq!(done.stdout.bytes.len(), 1000);
        assert!(done.stdout.dropped > 0);
        assert!(
            done.stdout
                .text()
                .contains("more bytes of output were dropped")
        );
    }

    #[test]
    fn output_read_before_giving_up_on_a_pipe_is_kept() {
        // A pipe still held open by a process that escaped the group: what came before
        // stepdbg gives up on it is the function's output, not nothing.
        let kept = wait(async {
            let (mut writer, reader) = tokio::io::duplex(64);
            writer.write_all(b"{\"result\":42}").await.unwrap();
            let (give_up, given_up) = tokio::sync::watch::channel(false);
            let reading = tokio::spawn(capture(Some(reader), 1024, given_up));
            tokio::time::sleep(Duration::from_millis(50)).await;
            give_up.send(true).unwrap();
            let kept = reading.await.unwrap();
            drop(writer);
            kept
        });
        assert_eq!(kept.bytes, b"{\"result\":42}");
    }
}
