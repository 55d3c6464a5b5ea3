//! Every child process stepdbg starts is registered here with its process group, so that
//! whatever way stepdbg ends (quit, Ctrl-C, SIGTERM, SIGHUP, a closed terminal, a panic)
//! the functions it started, and whatever they started, end too.
//!
//! Each child leads its own process group (so a timeout stops its whole tree) and, on
//! Linux, is told by the kernel to die with the thread that started it
//! (`PR_SET_PDEATHSIG`), which covers that child (not what it started) when stepdbg is
//! killed outright with SIGKILL.
//!
//! A process a function starts in a session of its own (`setsid`, Python's
//! `start_new_session`, Node's `detached`) leaves the group. On Linux stepdbg adopts such
//! processes once their parent ends (`PR_SET_CHILD_SUBREAPER`) and tells them by a marker in
//! their environment, which every function process gets and passes on: when no function is
//! running any more, and when stepdbg ends, the marked processes it adopted are stopped.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// A registered process group; dropping it kills what is left of the group and forgets it.
#[derive(Debug)]
pub struct Group(i32);

impl Group {
    pub fn id(&self) -> i32 {
        self.0
    }

    /// Kill every process still in the group.
    pub fn kill(&self) {
        kill_group(self.0);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        kill_group(self.0);
        let none_left = GROUPS.lock().is_ok_and(|mut g| {
            g.remove(&self.0);
            g.is_empty()
        });
        // A process being started (not registered yet) would look escaped: wait for a
        // quiet moment (or the exit).
        if none_left && SPAWNING.load(Ordering::SeqCst) == 0 {
            stop_escaped();
        }
    }
}

/// Processes being started: between `spawn` and `register` a function's process is a
/// marked child of ours that no group names yet.
static SPAWNING: AtomicUsize = AtomicUsize::new(0);

/// Start `cmd` as a function process: its own process group, dying with stepdbg, marked as
/// ours, and registered.
pub fn spawn(
    cmd: &mut tokio::process::Command,
) -> std::io::Result<(tokio::process::Child, Option<Group>)> {
    prepare(cmd);
    SPAWNING.fetch_add(1, Ordering::SeqCst);
    let started = cmd.spawn();
    let registered = started.map(|child| {
        let group = child.id().and_then(register);
        (child, group)
    });
    SPAWNING.fetch_sub(1, Ordering::SeqCst);
    registered
}

/// Track the process group led by the child with this pid.
fn register(pid: u32) -> Option<Group> {
    let id = i32::try_from(pid).ok().filter(|&p| p > 0)?;
    adopt_orphans();
    if let Ok(mut g) = GROUPS.lock() {
        g.insert(id);
    }
    super::signals::child_started();
    Some(Group(id))
}

/// How many groups are alive (tests).
pub fn live() -> usize {
    GROUPS.lock().map_or(0, |g| g.len())
}

/// Kill every registered group: stepdbg is ending. Safe to call from a signal task or a
/// panic hook; never blocks on a poisoned lock.
pub fn kill_all() {
    let ids: Vec<i32> = match GROUPS.try_lock() {
        Ok(g) => g.iter().copied().collect(),
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().iter().copied().collect(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    for id in ids {
        kill_group(id);
    }
    stop_escaped();
}

/// The environment variable that marks the processes of this stepdbg's functions.
const OWNER_VARIABLE: &str = "STEPDBG_OWNER";

/// This process's marker: its pid and a random part (pids are reused).
fn owner_marker() -> &'static str {
    static MARKER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    MARKER.get_or_init(|| {
        format!(
            "{}-{:x}",
            std::process::id(),
            super::random::secret() as u64
        )
    })
}

/// From the first function on, processes orphaned below stepdbg become its children.
#[allow(unsafe_code)] // prctl(2): see the SAFETY note.
fn adopt_orphans() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer and touches no memory.
        ONCE.call_once(|| unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
        });
    }
}

/// Stop the processes stepdbg adopted that carry its marker (they escaped a function's
/// group), and collect their exit. The live groups' leaders are spared (at the exit they
/// have just been killed anyway).
#[allow(unsafe_code)] // kill(2), waitpid(2): see the SAFETY notes.
fn stop_escaped() {
    #[cfg(target_os = "linux")]
    {
        let marker = format!("{OWNER_VARIABLE}={}", owner_marker());
        for pid in adopted_children() {
            // Spared when the groups cannot be read now.
            let live = match GROUPS.try_lock() {
                Ok(g) => g.contains(&pid),
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().contains(&pid),
                Err(std::sync::TryLockError::WouldBlock) => true,
            };
            if live || !carries(pid, marker.as_bytes()) {
                continue;
            }
            // SAFETY: kill(2) takes plain integers. The pid is our child, so it cannot be
            // reused before we collect it below.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
            }
            // SIGKILL ends it within moments; collect it so it does not stay a zombie.
            for _ in 0..50 {
                let mut status = 0;
                // SAFETY: waitpid writes the status into the local integer only.
                if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } != 0 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    }
}

/// The pids of this process's children, from each thread's `children` list.
#[cfg(target_os = "linux")]
fn adopted_children() -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            pids.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    pids
}

/// Whether process `pid`'s environment holds `entry` (`NAME=value`). Read with a cap: an
/// environment is at most a few hundred KB.
#[cfg(target_os = "linux")]
fn carries(pid: i32, entry: &[u8]) -> bool {
    use std::io::Read;
    let mut environ = Vec::new();
    let read = std::fs::File::open(format!("/proc/{pid}/environ"))
        .and_then(|f| f.take(4 << 20).read_to_end(&mut environ));
    read.is_ok() && environ.split(|&b| b == 0).any(|e| e == entry)
}

#[allow(unsafe_code)] // kill(2): see the SAFETY note.
fn kill_group(id: i32) {
    #[cfg(unix)]
    // SAFETY: kill(2) takes plain integers and touches no memory of ours. The group id is
    // the leader's pid, reserved while the group has members.
    unsafe {
        libc::kill(-id, libc::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = id;
}

/// Prepare a command so that it leads its own process group and dies with stepdbg.
#[allow(unsafe_code)] // pre_exec with prctl(2): see the SAFETY note.
fn prepare(cmd: &mut tokio::process::Command) {
    cmd.kill_on_drop(true);
    cmd.env(OWNER_VARIABLE, owner_marker());
    #[cfg(unix)]
    {
        cmd.process_group(0);
        #[cfg(target_os = "linux")]
        // SAFETY: the closure runs in the forked child before exec and only calls prctl(2),
        // which is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
}
