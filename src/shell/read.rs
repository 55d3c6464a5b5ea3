//! Reading files and standard input with a cap, whatever they are.
//!
//! A file's reported size is never trusted: `/dev/zero`, `/dev/urandom`, FIFOs and files
//! that grow while read all report a size that says nothing. Every read here stops one
//! byte past its limit and fails with a clear message. Opening does not block on a FIFO
//! without a writer (it is opened non-blocking, then read normally).

use std::io::Read;
use std::path::Path;

/// Definitions, mock files, sessions, inputs: stepdbg reads at most this much of a file.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Configuration files (stepdbg.toml, keys, themes).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Why a capped read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(String),
    #[error("is a directory, not a file")]
    Directory,
    #[error("is larger than {} MiB (stepdbg reads at most that much)", .0 / (1024 * 1024))]
    TooLarge(u64),
    #[error("is not UTF-8 text (at byte {0})")]
    NotUtf8(usize),
    #[error(
        "is not a regular file (a device, FIFO or socket); stepdbg reads definitions from files"
    )]
    NotRegular,
}

/// What a file may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only a regular file (things watched and re-read, like a definition).
    RegularOnly,
    /// A regular file or a stream (a pipe, `/dev/stdin`, a process substitution).
    Any,
}

/// Read at most `limit` bytes of `path`; more is an error.
pub fn bytes(path: &Path, limit: u64, kind: Kind) -> Result<Vec<u8>, ReadError> {
    let file = open(path)?;
    let meta = file.metadata().map_err(|e| ReadError::Io(e.to_string()))?;
    if meta.is_dir() {
        return Err(ReadError::Directory);
    }
    if kind == Kind::RegularOnly && !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if !meta.is_file() {
        set_blocking(&file);
        return capped(file, limit);
    }
    let mut buf = buffer_for(&meta, limit);
    read_capped(file, limit, &mut buf)?;
    Ok(buf)
}

/// A buffer for a regular file: its reported size sizes it (one byte more, to see the end
/// without growing it), never how much is read.
fn buffer_for(meta: &std::fs::Metadata, limit: u64) -> Vec<u8> {
    Vec::with_capacity(meta.len().min(limit) as usize + 1)
}

/// [`bytes`] as UTF-8 text.
pub fn text(path: &Path, limit: u64, kind: Kind) -> Result<String, ReadError> {
    utf8(bytes(path, limit, kind)?)
}

/// Standard input, at most `limit` bytes, as UTF-8 text.
pub fn stdin_text(limit: u64) -> Result<String, ReadError> {
    // A file redirected to standard input sizes the buffer as a named file does (grown by
    // doubling, a 280 KB input touched 1 MB); a pipe's buffer grows as it fills.
    let mut buf = std::fs::metadata("/dev/stdin")
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map_or_else(Vec::new, |m| buffer_for(&m, limit));
    read_capped(std::io::stdin().lock(), limit, &mut buf)?;
    utf8(buf)
}

fn utf8(b: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(b).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

/// Read until the end, failing once more than `limit` bytes arrive.
pub fn capped(reader: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    read_capped(reader, limit, &mut buf)?;
    Ok(buf)
}

fn read_capped(reader: impl Read, limit: u64, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    reader
        .take(limit.saturating_add(1))
        .read_to_end(buf)
        .map_err(|e| ReadError::Io(e.to_string()))?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    super::memory::expect_heap_for_text(buf.len());
    Ok(())
}

fn open(path: &Path) -> Result<std::fs::File, ReadError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        // A FIFO without a writer would block open(2) forever.
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    opts.open(path).map_err(|e| ReadError::Io(e.to_string()))
}

/// Streams were opened non-blocking (see [`open`]); read them blocking, with their cap.
#[allow(unsafe_code)] // fcntl(2): see the SAFETY note.
fn set_blocking(file: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        // SAFETY: fcntl(2) on a descriptor we own, with plain integer arguments.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = file;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_devices_stop_at_the_cap() {
        if !Path::new("/dev/zero").exists() {
            return;
        }
        assert_eq!(
            bytes(Path::new("/dev/zero"), 1024, Kind::Any),
            Err(ReadError::TooLarge(1024))
        );
        assert_eq!(
            bytes(Path::new("/dev/zero"), 1024, Kind::RegularOnly),
            Err(ReadError::NotRegular)
        );
    }

    #[test]
    fn small_files_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(text(&p, 5, Kind::RegularOnly).unwrap(), "hello");
        assert_eq!(text(&p, 4, Kind::RegularOnly), Err(ReadError::TooLarge(4)));
        assert_eq!(bytes(dir.path(), 4, Kind::Any), Err(ReadError::Directory));
    }

    /// procfs files report a size of 0 and have content: the size only sizes the buffer.
    #[test]
    fn a_reported_size_of_zero_still_reads_the_content() {
        let status = Path::new("/proc/self/status");
        if !status.exists() {
            return;
        }
        assert_eq!(std::fs::metadata(status).unwrap().len(), 0);
        let read = text(status, 1 << 20, Kind::RegularOnly).unwrap();
        assert!(read.starts_with("Name:"), "{read}");
    }

    #[cfg(unix)]
    #[test]
    #[allow(unsafe_code)] // mkfifo(3) to make the FIFO.
    fn a_fifo_without_a_writer_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo(3) with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(
            bytes(&p, 1024, Kind::RegularOnly),
            Err(ReadError::NotRegular)
        );
    }
}
