//! SIGINT, SIGTERM and SIGHUP: stepdbg ends promptly, restores the terminal and takes its
//! child processes with it, however busy it is when the signal comes.
//!
//! A front end with a loop (the TUI) is told first ([`Signals::received`]) so it can
//! leave cleanly; if it has not exited within the grace period (it may be inside a long
//! evaluation), the signal task restores what it can and exits itself. Headless commands
//! exit at once.

use std::sync::Mutex;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// How long a server gives the requests it is answering when stepdbg ends.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How long a front end has to exit by itself after a signal: longer than a server's
/// [`SHUTDOWN_GRACE`], so that the answers in flight are not cut off by the forced exit.
pub const GRACE: Duration = Duration::from_secs(3);

static CLEANUP: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

/// Run `f` before a forced exit (restoring the terminal); also run by [`exit`].
pub fn on_exit(f: fn()) {
    if let Ok(mut c) = CLEANUP.lock() {
        c.push(f);
    }
}

/// End the process now: cleanups, then every child process group, then exit.
pub fn exit(code: i32) -> ! {
    let hooks: Vec<fn()> = match CLEANUP.try_lock() {
        Ok(c) => c.clone(),
        Err(_) => Vec::new(),
    };
    for f in hooks {
        f();
    }
    super::children::kill_all();
    std::process::exit(code)
}

/// The conventional exit status for death by `signal`.
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}

/// What happens on a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Headless: exit at once.
    ExitNow,
    /// A front end with a loop: tell it, and force the exit after [`GRACE`].
    Notify,
}

/// Signals seen so far (the number of the first one).
#[derive(Clone)]
pub struct Signals {
    rx: watch::Receiver<Option<i32>>,
}

impl Signals {
    /// Wait for a signal (returns at once if one came already).
    pub async fn received(&mut self) -> i32 {
        loop {
            if let Some(s) = *self.rx.borrow_and_update() {
                return s;
            }
            if self.rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// The first signal, if one came.
    pub fn got(&self) -> Option<i32> {
        *self.rx.borrow()
    }
}

static EXIT_NOW_ARMED: AtomicBool = AtomicBool::new(false);
static EXIT_NOW_INSTALLED: Once = Once::new();

/// Headless commands: exit at once on a signal, taking the child processes along. Until
/// the first child starts, the default action ends the process just as well, so the
/// listener (and the I/O runtime it needs) starts with that child, not before: a run that
/// starts no process pays nothing for it.
pub fn exit_now_once_children_start() {
    EXIT_NOW_ARMED.store(true, Ordering::SeqCst);
}

/// A child process was registered: start the headless listener if one was asked for.
pub(super) fn child_started() {
    if EXIT_NOW_ARMED.load(Ordering::SeqCst) {
        EXIT_NOW_INSTALLED.call_once(|| {
            install(Policy::ExitNow);
        });
    }
}

/// Start listening on the shared runtime. The handlers are in place when this returns.
pub fn install(policy: Policy) -> Signals {
    let (tx, rx) = watch::channel(None);
    let rt = super::runtime::runtime();
    let listener = {
        let _in_runtime = rt.enter();
        Listener::register()
    };
    rt.spawn(async move {
        let sig = listener.next().await;
        // Long evaluations (a runaway JSONata expression) stop at their next check.
        crate::expr::interrupt();
        match policy {
            Policy::ExitNow => exit(exit_code(sig)),
            Policy::Notify => {
                let _ = tx.send(Some(sig));
                tokio::time::sleep(GRACE).await;
                exit(exit_code(sig));
            }
        }
    });
    Signals { rx }
}

/// The registered handlers (none where registering failed: the default actions stay).
#[cfg(unix)]
struct Listener(Option<[tokio::signal::unix::Signal; 3]>);

#[cfg(unix)]
impl Listener {
    fn register() -> Listener {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(int), Ok(term), Ok(hup)) => Listener(Some([int, term, hup])),
            _ => Listener(None),
        }
    }

    async fn next(self) -> i32 {
        let Some([mut int, mut term, mut hup]) = self.0 else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => libc::SIGINT,
            _ = term.recv() => libc::SIGTERM,
            _ = hup.recv() => libc::SIGHUP,
        }
    }
}

#[cfg(not(unix))]
struct Listener;

#[cfg(not(unix))]
impl Listener {
    fn register() -> Listener {
        Listener
    }

    async fn next(self) -> i32 {
        let _ = tokio::signal::ctrl_c().await;
        2
    }
}
