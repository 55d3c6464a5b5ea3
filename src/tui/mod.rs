//! The interactive debugger: `stepdbg DEFINITION` opens it.
//!
//! The Elm architecture, as in ratatui's demo2: [`App`] is the state, [`App::update`]
//! changes it with a [`Msg`] (a key, a mouse click, a tick of time, a file change), and
//! [`App::view`] draws it from `&self`. The event loop here is the only part that touches
//! the terminal, the clock, signals and the file system; the app itself is driven the same
//! way by the tests, without a terminal.
//!
//! The UI never waits for the engine: runs (continue, step over, goto) go in slices of a
//! few dozen engine steps between frames, so a long Map shows its progress and keys stay
//! live; the terminal is restored on quit, panic, SIGTERM and SIGHUP.

pub mod action;
pub mod app;
pub mod editor;
pub mod highlight;
pub mod json;
pub mod theme;
pub mod view;

pub use action::{Action, Key, Keymap};
pub use app::{App, AppOptions, Msg, Pane};
pub use theme::Theme;

use crate::session::launch::{HoldCallbackTokens, LaunchOptions};
use crate::session::watch::FileWatch;
use crate::session::{Session, SessionError, SessionOptions};
use clap::Args;
use ratatui::crossterm::event::{self, Event};
use ratatui::crossterm::execute;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The debugger's options (`stepdbg DEFINITION [OPTIONS]`).
#[derive(Args, Debug, Default, Clone)]
pub struct TuiArgs {
    /// The definition to debug (JSON or YAML); NAME.input.json and NAME.mocks.json beside
    /// it are picked up.
    pub definition: Option<PathBuf>,
    #[command(flatten)]
    pub launch: crate::cli::LaunchArgs,
    /// UI theme: dark, light, high-contrast, or a palette file's path (NO_COLOR turns colours off).
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Serve SendTaskSuccess/Failure/Heartbeat on this address (e.g. 127.0.0.1:8083), so a
    /// function or the AWS CLI can complete task tokens.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

/// Open the debugger; returns the process exit code.
pub fn main(args: TuiArgs) -> i32 {
    use crate::cli::exit;
    let Some(path) = args.definition.clone() else {
        eprintln!("error: give a definition file to debug (stepdbg --help)");
        return exit::USAGE;
    };
    let (app, listen) = match prepare(&args, &path) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return exit::USAGE;
        }
    };
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "error: the debugger needs a terminal; `stepdbg run {}` runs headless",
            path.display()
        );
        return exit::USAGE;
    }
    match run_terminal(app, &path, listen) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            exit::FAILED
        }
    }
}

/// Build the app from the command line (no terminal needed).
pub fn prepare(
    args: &TuiArgs,
    path: &Path,
) -> Result<(App, Option<crate::session::callback::CallbackServer>), String> {
    let opts = LaunchOptions {
        record_steps: true,
        ..args.launch.options(path)
    };
    let launch = opts.prepare().map_err(|e| format!("error: {e}"))?;
    let listen = match &args.listen {
        Some(addr) => Some(
            crate::session::callback::serve(addr)
                .map_err(|e| format!("error: cannot listen on {addr}: {e}"))?,
        ),
        None => None,
    };
    // With the endpoint on, a function may complete its own token while it runs.
    let resolver: Box<dyn crate::session::Resolver> = match &listen {
        Some(server) => Box::new(crate::session::callback::ExpectTokens {
            inner: HoldCallbackTokens(launch.dispatcher),
            tokens: server.tokens(),
        }),
        None => Box::new(HoldCallbackTokens(launch.dispatcher)),
    };
    let session = Session::open(
        path,
        SessionOptions {
            input: Some(launch.input),
            config: launch.config,
        },
        resolver,
    )
    .map_err(|e| match e {
        SessionError::Load(e) => format!("error: {e}"),
        SessionError::Invalid(def) => {
            let color = crate::cli::stderr_color();
            let mut s: Vec<String> = def.errors().map(|d| d.render(&def.doc, color)).collect();
            s.push(format!(
                "error: {} is not a valid state machine; fix the errors above",
                path.display()
            ));
            s.join("\n")
        }
    })?;
    // Functions run on other threads: the screen never waits for one.
    let mut session = session;
    session.background = true;
    let mono = Theme::no_color_env();
    let theme = Theme::load(args.theme.as_deref().unwrap_or("dark"), mono)
        .map_err(|e| format!("error: {e}"))?;
    let (keymap, key_error) = Keymap::load_user();
    let mut notice = Vec::new();
    if !launch.discovered.is_empty() {
        let names: Vec<String> = launch
            .discovered
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect();
        notice.push(format!("picked up {}", names.join(", ")));
    }
    if let Some(s) = &listen {
        notice.push(format!("callback endpoint on http://{}", s.addr));
    }
    if let Some(e) = key_error {
        notice.push(format!("key map ignored: {e}"));
    }
    notice.push("? shows every key".into());
    let app = App::new(
        session,
        AppOptions {
            theme,
            keymap,
            notice: Some(notice.join("; ")),
        },
    );
    Ok((app, listen))
}

static TERMINATED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
fn install_signal_handlers() {
    extern "C" fn on_signal(_: libc::c_int) {
        TERMINATED.store(true, Ordering::SeqCst);
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let h = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGTERM, h);
        libc::signal(libc::SIGHUP, h);
        libc::signal(libc::SIGINT, h);
    }
}

#[cfg(not(unix))]
fn install_signal_handlers() {}

/// Notices saves of the definition: the session's directory watch when it can start, else
/// a cheap check of the file's size and modification time every 100 ms. Reloading is
/// the session's (it compares contents, so a save that changes nothing is no reload).
struct Reloader {
    watch: Option<FileWatch>,
    path: PathBuf,
    last: Option<(SystemTime, u64)>,
    checked: Instant,
}

impl Reloader {
    fn new(path: &Path) -> Reloader {
        Reloader {
            watch: FileWatch::start(path, false).ok(),
            path: path.to_path_buf(),
            last: Reloader::stamp(path),
            checked: Instant::now(),
        }
    }

    fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
        let m = std::fs::metadata(path).ok()?;
        Some((m.modified().ok()?, m.len()))
    }

    /// Has the file changed since the last call?
    fn due(&mut self) -> bool {
        if let Some(w) = &self.watch {
            return w.changed();
        }
        if self.checked.elapsed() < Duration::from_millis(100) {
            return false;
        }
        self.checked = Instant::now();
        let now = Reloader::stamp(&self.path);
        if now != self.last {
            self.last = now;
            return true;
        }
        false
    }
}

fn run_terminal(
    mut app: App,
    path: &Path,
    listen: Option<crate::session::callback::CallbackServer>,
) -> std::io::Result<()> {
    use ratatui::crossterm::event::{
        DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    };
    install_signal_handlers();
    let mut terminal = ratatui::init();
    // ratatui's panic hook restores the screen; mouse reporting must be switched off too.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(
            std::io::stdout(),
            DisableMouseCapture,
            DisableBracketedPaste
        );
        hook(info);
    }));
    let _ = execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste);
    let result = event_loop(&mut terminal, &mut app, path, listen);
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
    ratatui::restore();
    result
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    path: &Path,
    listen: Option<crate::session::callback::CallbackServer>,
) -> std::io::Result<()> {
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    let mut reloader = Reloader::new(path);
    let mut dirty = true;
    loop {
        if app.quit || TERMINATED.load(Ordering::SeqCst) {
            return Ok(());
        }
        if dirty {
            terminal.draw(|f| app.view(f))?;
            dirty = false;
        }
        let busy = app.is_running() || !app.hl.is_done();
        let timeout = if busy {
            Duration::ZERO
        } else {
            Duration::from_millis(50)
        };
        let ready = match event::poll(timeout) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => false,
            Err(e) => return Err(e),
        };
        if ready {
            loop {
                let msg = match event::read()? {
                    Event::Key(k) => Some(Msg::Key(k)),
                    Event::Mouse(m) => Some(Msg::Mouse(m)),
                    Event::Paste(s) => Some(Msg::Paste(s)),
                    Event::Resize(w, h) => Some(Msg::Resize(w, h)),
                    _ => None,
                };
                if let Some(m) = msg {
                    app.update(m);
                    dirty = true;
                }
                if app.quit || !event::poll(Duration::ZERO).unwrap_or(false) {
                    break;
                }
            }
        }
        if busy {
            // Slices of the run (or of the highlighting) until the frame's time is up.
            let start = Instant::now();
            loop {
                app.update(Msg::Tick { steps: app::SLICE });
                let idle = !app.is_running() && app.hl.is_done();
                if idle || start.elapsed() > Duration::from_millis(30) {
                    break;
                }
            }
            dirty = true;
        }
        if reloader.due() {
            app.update(Msg::FileChanged);
            dirty = true;
        }
        if let Some(server) = &listen {
            while let Ok(req) = server.requests.try_recv() {
                let r = app.apply_callback(&req.token, &req.action);
                req.answer(r);
                dirty = true;
            }
        }
    }
}
