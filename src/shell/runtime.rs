//! The one tokio runtime of the process, and a bounded pool for function invocations.

use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

/// How many functions may run at once (a Map with MaxConcurrency 0 over 1,000 items
/// queues its calls here instead of starting 1,000 processes).
pub const MAX_CONCURRENT_INVOCATIONS: usize = 8;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static INVOCATION_SLOTS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_INVOCATIONS);

/// The shared runtime (two workers: the machine this is built for has two cores, and the
/// work here waits on I/O).
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("stepdbg-io")
            .enable_all()
            .build()
            .expect("cannot start the I/O runtime")
    })
}

/// Run `fut` to its end from synchronous code. Outside the runtime this blocks on it;
/// inside (the terminal loop calling into the session) the future runs on a worker
/// while this thread waits, since nesting `block_on` is not allowed.
pub fn wait<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime().block_on(fut);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().expect("the I/O runtime stopped")
}

/// Wait for a free invocation slot; the slot is held until the permit drops.
pub async fn invocation_slot() -> tokio::sync::SemaphorePermit<'static> {
    INVOCATION_SLOTS
        .acquire()
        .await
        .expect("the invocation pool is never closed")
}

/// Slots in use right now (for tests of the pool's bound).
pub fn invocations_running() -> usize {
    MAX_CONCURRENT_INVOCATIONS - INVOCATION_SLOTS.available_permits()
}
