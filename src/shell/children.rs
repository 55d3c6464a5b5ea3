//! Every child process stepdbg starts is registered here with its process group, so that
//! whatever way stepdbg ends (quit, Ctrl-C, SIGTERM, SIGHUP, a closed terminal, a panic)
//! the functions it started, and whatever they started, end too.
//!
//! Each child leads its own process group (so a timeout stops its whole tree) and, on
//! Linux, is told by the kernel to die with the thread that started it
//! (`PR_SET_PDEATHSIG`), which covers stepdbg being killed outright with SIGKILL.

use std::collections::BTreeSet;
use std::sync::Mutex;

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
        if let Ok(mut g) = GROUPS.lock() {
            g.remove(&self.0);
        }
    }
}

/// Track the process group led by the child with this pid.
pub fn register(pid: u32) -> Option<Group> {
    let id = i32::try_from(pid).ok().filter(|&p| p > 0)?;
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
pub fn prepare(cmd: &mut tokio::process::Command) {
    cmd.kill_on_drop(true);
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
