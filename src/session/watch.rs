//! Watching the definition file (and, for a template, the template, the definition file
//! it names and the handler code) for saves.
//!
//! Editors save by writing a new file and renaming it over the old one, which ends a watch
//! on the file itself; so the parent directory is watched and events are filtered by file
//! name. Events are debounced; the session then compares content hashes, so a save that
//! changes nothing is not a reload. Where native events are unavailable (some network or
//! container file systems), `--poll` uses polling instead.

use notify::{PollWatcher, RecommendedWatcher};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer, new_debouncer_opt};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// How long to wait for a burst of events (write + rename + chmod) to settle.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// Held only to keep the watch alive: dropping the debouncer stops it.
#[allow(dead_code)]
enum Backend {
    Native(Debouncer<RecommendedWatcher>),
    Poll(Debouncer<PollWatcher>),
}

/// A running watch; `changes` gets a message after each (debounced) change to the files.
pub struct FileWatch {
    _backend: Backend,
    changes: UnboundedReceiver<()>,
    pub paths: Vec<PathBuf>,
    pub polling: bool,
}

impl FileWatch {
    /// Watch `file` (its directory, filtered by name). `poll` forces polling.
    pub fn start(file: &Path, poll: bool) -> Result<FileWatch, String> {
        FileWatch::start_many(&[file.to_path_buf()], poll)
    }

    /// Watch several files (their directories, filtered by path).
    pub fn start_many(files: &[PathBuf], poll: bool) -> Result<FileWatch, String> {
        let paths: Vec<PathBuf> = files
            .iter()
            .map(|f| std::path::absolute(f).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        let mut dirs: Vec<PathBuf> = paths
            .iter()
            .map(|p| {
                p.parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        let wanted = paths.clone();
        let (tx, rx) = unbounded_channel();
        let handler = move |res: DebounceEventResult| {
            if let Ok(events) = res
                && events.iter().any(|e| {
                    wanted.iter().any(|w| {
                        e.path == *w
                            || (e.path.file_name() == w.file_name()
                                && e.path.parent().and_then(|p| p.canonicalize().ok())
                                    == w.parent().and_then(|p| p.canonicalize().ok()))
                    })
                })
            {
                let _ = tx.send(());
            }
        };
        let mode = notify::RecursiveMode::NonRecursive;
        let backend = if poll {
            let cfg = notify_debouncer_mini::Config::default()
                .with_timeout(DEBOUNCE)
                .with_notify_config(
                    notify::Config::default()
                        .with_poll_interval(Duration::from_millis(250))
                        .with_compare_contents(true),
                );
            let mut d =
                new_debouncer_opt::<_, PollWatcher>(cfg, handler).map_err(|e| e.to_string())?;
            for dir in &dirs {
                d.watcher().watch(dir, mode).map_err(|e| e.to_string())?;
            }
            Backend::Poll(d)
        } else {
            let mut d = new_debouncer(DEBOUNCE, handler).map_err(|e| e.to_string())?;
            for dir in &dirs {
                d.watcher().watch(dir, mode).map_err(|e| e.to_string())?;
            }
            Backend::Native(d)
        };
        Ok(FileWatch {
            _backend: backend,
            changes: rx,
            paths,
            polling: poll,
        })
    }

    /// Has the file changed since the last call? (Never blocks.)
    pub fn changed(&mut self) -> bool {
        let mut any = false;
        while self.changes.try_recv().is_ok() {
            any = true;
        }
        any
    }

    /// The next change (several saves in a row count as one).
    pub async fn next_change(&mut self) {
        if self.changes.recv().await.is_none() {
            // The watcher stopped: no more changes will come.
            std::future::pending::<()>().await;
        }
        self.changed();
    }

    /// Wait up to `timeout` for a change (synchronous callers: tests).
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let changes = &mut self.changes;
        let got = crate::shell::runtime::runtime()
            .block_on(async { tokio::time::timeout(timeout, changes.recv()).await })
            .is_ok_and(|r| r.is_some());
        got | self.changed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saves_are_seen(poll: bool) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.asl.json");
        std::fs::write(&file, "{}").unwrap();
        let mut w = FileWatch::start(&file, poll).unwrap();
        // Rename-over-the-file, as editors save; a poller needs its first scan before it can
        // see a change, so save again until seen (with a deadline).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut seen = false;
        for n in 0.. {
            let tmp = dir.path().join(".m.asl.json.swp");
            std::fs::write(&tmp, format!("{{\"a\": {n}}}")).unwrap();
            std::fs::rename(&tmp, &file).unwrap();
            if w.wait(Duration::from_millis(400)) {
                seen = true;
                break;
            }
            if std::time::Instant::now() > deadline {
                break;
            }
        }
        assert!(seen, "the save was seen (poll: {poll})");
        // Other files in the directory are not reported.
        std::fs::write(dir.path().join("other.json"), "{}").unwrap();
        assert!(!w.wait(Duration::from_millis(700)));
    }

    #[test]
    fn native_watch_sees_rename_saves() {
        saves_are_seen(false);
    }

    #[test]
    fn polling_watch_sees_saves() {
        saves_are_seen(true);
    }
}
