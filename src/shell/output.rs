//! Writing to stdout and stderr without panicking and without hiding failures.
//!
//! `println!` panics when the write fails and `let _ = writeln!` pretends it worked. Here
//! a closed pipe (`stepdbg run ... | head`) ends output quietly, and any other failure
//! (`> /dev/full`) is remembered so the command exits non-zero ([`failure`]).

use std::fmt;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static PIPE_CLOSED: AtomicBool = AtomicBool::new(false);
static FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Which stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Write formatted text (and a newline) to `stream`, flushing it.
pub fn line(stream: Stream, args: fmt::Arguments<'_>) {
    if PIPE_CLOSED.load(Ordering::Relaxed) && stream == Stream::Stdout {
        return;
    }
    let result = match stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_fmt(args)
                .and_then(|_| out.write_all(b"\n"))
                .and_then(|_| out.flush())
        }
        Stream::Stderr => {
            let mut err = std::io::stderr().lock();
            err.write_fmt(args)
                .and_then(|_| err.write_all(b"\n"))
                .and_then(|_| err.flush())
        }
    };
    if let Err(e) = result {
        record(stream, &e);
    }
}

fn record(stream: Stream, e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        if stream == Stream::Stdout {
            PIPE_CLOSED.store(true, Ordering::Relaxed);
        }
        return;
    }
    if let Ok(mut f) = FAILED.lock()
        && f.is_none()
    {
        let name = match stream {
            Stream::Stdout => "standard output",
            Stream::Stderr => "standard error",
        };
        *f = Some(format!("cannot write to {name}: {e}"));
    }
}

/// The first write that failed (not counting a closed pipe), if any.
pub fn failure() -> Option<String> {
    FAILED.lock().ok().and_then(|f| f.clone())
}

/// Stdout through a big buffer: a concrete type, so that the many small writes of a
/// serializer are inlined (through `dyn Write` they took a tenth more instructions).
pub type StdoutBuffer = std::io::BufWriter<std::io::StdoutLock<'static>>;

/// Write a big text to stdout as `write` makes it, and a newline: through a buffer of
/// 64 KB (stdout's own flushes every kilobyte), never all of it in memory at once.
pub fn stdout_written(write: impl FnOnce(&mut StdoutBuffer) -> std::io::Result<()>) {
    if PIPE_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    if let Err(e) = write(&mut out)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush())
    {
        record(Stream::Stdout, &e);
        // Dropped as it is: a writer dropped with text in its buffer tries it again.
        drop(out.into_parts());
    }
}
