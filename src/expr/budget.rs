//! What one expression evaluation may use: wall-clock time, sequence length, string size
//! and memory. A runaway JSONata expression (endless recursion, a cross product of huge
//! ranges, `$pad` to a gigabyte) fails with `States.QueryEvaluationError` and a cause that
//! says which budget it ran out of, instead of hanging a run or taking the machine's memory.
//!
//! Time and sequence length are jsonata-core's own guards. Memory is counted by
//! [`CountingAllocator`], the process's global allocator: while an evaluation runs on a
//! thread, that thread's allocations are added up, and crossing the limit cancels the
//! evaluation at its next checkpoint. Everything else pays one thread-local read per
//! allocation for it.
//!
//! Running evaluations can also be stopped from outside ([`interrupt`]: a person pressed
//! Esc, or a signal came).

use jsonata_core::evaluator::CancelToken;
use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

/// The budget of one evaluation. Generous by default; `[limits]` in stepdbg.toml and
/// `--eval-timeout` change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time for one evaluation.
    pub timeout: Duration,
    /// Items in one sequence (ranges, maps, filters). A million is far past what a
    /// 256 KiB state payload can hold.
    pub max_sequence: usize,
    /// Characters in one string built by `$pad` (the builtin that makes a huge string
    /// from a tiny input in one call).
    pub max_string_chars: usize,
    /// Bytes an evaluation may hold allocated at once.
    pub max_memory: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            timeout: Duration::from_secs(10),
            max_sequence: 1_000_000,
            max_string_chars: 16 * 1024 * 1024,
            max_memory: 512 * 1024 * 1024,
        }
    }
}

static BUDGET: RwLock<Option<Budget>> = RwLock::new(None);

impl Budget {
    /// The budget evaluations use now.
    pub fn current() -> Budget {
        BUDGET.read().ok().and_then(|b| *b).unwrap_or_default()
    }

    /// Make this the budget of every later evaluation in the process.
    pub fn install(self) {
        if let Ok(mut b) = BUDGET.write() {
            *b = Some(self);
        }
    }
}

/// The evaluations running now, each with its own token.
static RUNNING: Mutex<Vec<(u64, CancelToken)>> = Mutex::new(Vec::new());
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Stop the evaluations running now at their next checkpoint; they fail with a cause that
/// says so. Later evaluations are unaffected.
pub fn interrupt() {
    if let Ok(running) = RUNNING.lock() {
        for (_, t) in running.iter() {
            t.cancel();
        }
    }
}

/// Why an evaluation was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// [`interrupt`] was called.
    Interrupted,
    /// It held more than this many bytes.
    Memory(usize),
}

/// One evaluation in progress: its token, and the memory count of this thread. Dropping it
/// ends both.
pub struct Guard {
    id: u64,
    token: Box<CancelToken>,
    limit: usize,
}

impl Guard {
    /// Start watching an evaluation on this thread.
    pub fn start(budget: &Budget) -> Guard {
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let token = Box::new(CancelToken::new());
        if let Ok(mut running) = RUNNING.lock() {
            running.push((id, (*token).clone()));
        }
        let limit = budget.max_memory.max(1);
        let outer = TRACK.with(std::cell::Cell::get);
        // Nested evaluations (a function evaluating a sub-expression) keep the outer count.
        if outer.limit == 0 {
            TRACK.with(|t| {
                t.set(Track {
                    limit,
                    used: 0,
                    tripped: false,
                    token: std::ptr::from_ref::<CancelToken>(&token),
                });
            });
        }
        Guard { id, token, limit }
    }

    pub fn token(&self) -> CancelToken {
        (*self.token).clone()
    }

    /// Why the evaluation was cancelled, if it was.
    pub fn stopped(&self) -> Option<Stopped> {
        let t = TRACK.with(std::cell::Cell::get);
        if t.tripped && std::ptr::eq(t.token, &*self.token) {
            Some(Stopped::Memory(self.limit))
        } else if self.token.is_cancelled() {
            Some(Stopped::Interrupted)
        } else {
            None
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        TRACK.with(|t| {
            if std::ptr::eq(t.get().token, &*self.token) {
                t.set(Track::OFF);
            }
        });
        if let Ok(mut running) = RUNNING.lock() {
            running.retain(|(id, _)| *id != self.id);
        }
    }
}

/// The memory count of the evaluation running on this thread.
#[derive(Clone, Copy)]
struct Track {
    /// 0: no evaluation is being counted.
    limit: usize,
    used: usize,
    tripped: bool,
    /// The evaluation's token, owned (boxed, so it does not move) by its [`Guard`], which
    /// clears this before dropping it.
    token: *const CancelToken,
}

impl Track {
    const OFF: Track = Track {
        limit: 0,
        used: 0,
        tripped: false,
        token: std::ptr::null(),
    };
}

thread_local! {
    // Const-initialised and without a destructor: safe to touch from the allocator.
    static TRACK: Cell<Track> = const { Cell::new(Track::OFF) };
}

/// The global allocator: `BASE`, counting the allocations of evaluations in
/// progress (see the module docs).
pub struct CountingAllocator;

impl CountingAllocator {
    #[inline]
    #[allow(unsafe_code)] // cancel() through the Guard's pointer: see the SAFETY note.
    fn counted(grow: usize, shrink: usize) {
        // `try_with`: a thread being torn down has no count to keep.
        let _ = TRACK.try_with(|cell| {
            let mut t = cell.get();
            if t.limit == 0 {
                return;
            }
            t.used = t.used.saturating_add(grow).saturating_sub(shrink);
            if t.used > t.limit && !t.tripped {
                t.tripped = true;
                // SAFETY: the pointer is set by a live Guard on this thread, which owns the
                // boxed token and clears the pointer before dropping it. cancel() stores
                // to an atomic and does not allocate.
                unsafe { (*t.token).cancel() };
            }
            cell.set(t);
        });
    }
}

/// The allocator underneath: with the `mimalloc` feature, mimalloc; else the system's,
/// with small blocks served by `shell::small_blocks` on Linux with glibc.
#[cfg(feature = "mimalloc")]
static BASE: mimalloc::MiMalloc = mimalloc::MiMalloc;
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
static BASE: crate::shell::small_blocks::SmallBlocks<std::alloc::System> =
    crate::shell::small_blocks::SmallBlocks(std::alloc::System);
#[cfg(not(any(all(target_os = "linux", target_env = "gnu"), feature = "mimalloc")))]
static BASE: std::alloc::System = std::alloc::System;

// SAFETY: every call is forwarded to the base allocator unchanged; the counting touches
// only a const-initialised thread-local Cell and never allocates.
#[allow(unsafe_code)] // A global allocator is an unsafe trait: measured reason in the module docs.
unsafe impl GlobalAlloc for CountingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::counted(layout.size(), 0);
        // SAFETY: forwarded as is.
        unsafe { BASE.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::counted(layout.size(), 0);
        // SAFETY: forwarded as is.
        unsafe { BASE.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::counted(0, layout.size());
        // SAFETY: forwarded as is.
        unsafe { BASE.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::counted(new_size, layout.size());
        // SAFETY: forwarded as is.
        unsafe { BASE.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_past_the_limit_cancels_the_evaluation() {
        let budget = Budget {
            max_memory: 1 << 20,
            ..Budget::default()
        };
        let g = Guard::start(&budget);
        assert_eq!(g.stopped(), None);
        let v: Vec<u8> = vec![1; 2 << 20];
        assert_eq!(g.stopped(), Some(Stopped::Memory(1 << 20)));
        assert!(g.token().is_cancelled());
        drop(v);
        drop(g);
        let g = Guard::start(&budget);
        assert_eq!(
            g.stopped(),
            None,
            "a new evaluation starts with a clean count"
        );
        interrupt();
        assert_eq!(g.stopped(), Some(Stopped::Interrupted));
    }
}
