//! The interactive debugger: `stepdbg DEFINITION` opens it.
//!
//! The Elm architecture, as in ratatui's demo2: [`App`] is the state, [`App::update`]
//! changes it with a [`Msg`] (a key, a mouse click, a tick of time, a file change), and
//! [`App::view`] draws it from `&self`. The event loop here is the only part that touches
//! the terminal, the clock, signals and the file system; the app itself is driven the same
//! way by the tests, without a terminal.
//!
//! The event loop is one `tokio::select!` over the terminal's events, the file watch,
//! answers from functions running in the background, callback requests, signals and a
//! closed terminal; nothing polls on a timer when idle. The UI never waits for the
//! engine: runs (continue, step over, goto) go in slices of a few dozen engine steps
//! between frames, so a long Map shows its progress and keys stay live; a slice stuck in
//! a long evaluation is interrupted by Esc or Ctrl-C (keys are read on another thread).
//! The terminal is restored on quit, panic and signals; when the terminal goes away
//! (a closed SSH connection, tmux kill-session) stepdbg exits within a second.

pub mod action;
pub mod app;
pub mod bar;
pub mod commands;
pub mod components;
pub mod editor;
pub mod highlight;
pub mod json;
pub mod pager;
pub mod replay;
pub mod server;
pub mod text;
pub mod theme;
pub mod view;

pub use action::{Action, Key, Keymap};
pub use app::{App, AppOptions, Msg};
pub use components::Pane;
pub use theme::Theme;

use crate::project::Target;
use crate::session::callback::CallbackServer;
use crate::session::launch::{HoldCallbackTokens, LaunchOptions};
use crate::session::watch::FileWatch;
use crate::session::{Session, SessionOptions};
use crate::shell::signals;
use clap::Args;
use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::execute;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

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
    /// Serve SendTaskSuccess/Failure/Heartbeat, so a function or the AWS CLI can complete
    /// task tokens.
    #[command(flatten)]
    pub listen: crate::cli::ListenArgs,
}

/// Open the debugger; returns the process exit code.
pub fn main(args: TuiArgs) -> i32 {
    use crate::cli::exit;
    let Some(path) = args.definition.clone() else {
        errln!("error: give a definition file to debug (stepdbg --help)");
        return exit::USAGE;
    };
    let headless = format!("`stepdbg run {}`", path.display());
    if let Some(e) = no_terminal(&headless) {
        errln!("{e}");
        return exit::USAGE;
    }
    // A template with several state machines and no --state-machine: a picker chooses
    // (in the terminal); otherwise mistakes in the options are said before the screen
    // changes.
    let choices = state_machine_choices(&args, &path);
    let prepared = if choices.is_empty() {
        match prepare(&args, &path) {
            Ok(x) => Some(x),
            Err(e) => {
                errln!("{e}");
                return exit::USAGE;
            }
        }
    } else {
        None
    };
    exit_code(run_terminal(args, &path, prepared, choices))
}

/// The process's exit code for how the debugger ended.
fn exit_code(end: std::io::Result<End>) -> i32 {
    use crate::cli::exit;
    match end {
        Ok(End::Failed(message)) => {
            errln!("{message}");
            exit::USAGE
        }
        Ok(End::Quit) => exit::OK,
        Ok(End::Signal(sig)) => signals::exit_code(sig),
        Ok(End::TerminalGone) => signals::exit_code(1),
        Err(e) => {
            errln!("error: {e}");
            exit::FAILED
        }
    }
}

/// Build the app from the command line (no terminal needed).
/// Everything the debugger needs but a valid definition: the session's options, what
/// answers tasks, the look and the keys.
pub struct Opening {
    target: Target,
    options: SessionOptions,
    resolver: Box<dyn crate::session::Resolver>,
    app: AppOptions,
}

/// The definition cannot be debugged yet: why, as text a person reads.
pub struct NotYet {
    pub opening: Opening,
    pub why: String,
}

impl Opening {
    /// The files whose saves matter: the definition, or the template and what it names.
    pub fn watched(&self) -> Vec<PathBuf> {
        self.target.watched()
    }

    /// The debugger on the target, or why its definition cannot be debugged yet.
    pub fn open(self) -> Result<App, Box<NotYet>> {
        let (session, app) = self.into_session()?;
        Ok(App::new(session, app))
    }

    /// The session on the target (functions answer in the background) and the look it
    /// was to have, or why its definition cannot be debugged yet. The editor's debug
    /// adapter starts here too.
    pub fn into_session(self) -> Result<(Session, AppOptions), Box<NotYet>> {
        let path = self.target.path().to_path_buf();
        let why = match self.target.open().map(|o| o.definition) {
            Ok(def) if !def.has_errors() => {
                let mut session =
                    Session::from_target(self.target, def, self.options, self.resolver);
                session.background = true;
                return Ok((session, self.app));
            }
            Ok(def) => {
                let mut s: Vec<String> = def.errors().map(|d| d.render_plain(&def.doc)).collect();
                s.push(format!(
                    "{} is not a valid state machine: fix the errors above",
                    path.display()
                ));
                s.join("\n")
            }
            Err(e) => e.to_string(),
        };
        Err(Box::new(NotYet { opening: self, why }))
    }
}

pub fn prepare(args: &TuiArgs, path: &Path) -> Result<(Opening, Option<CallbackServer>), String> {
    let opts = LaunchOptions {
        record_steps: true,
        ..args.launch.options(path)
    };
    let launch = opts.prepare().map_err(|e| format!("error: {e}"))?;
    let listen = args.listen.serve().map_err(|e| format!("error: {e}"))?;
    let resolver: Box<dyn crate::session::Resolver> = match &listen {
        Some(server) => Box::new(crate::session::callback::ExpectTokens {
            inner: HoldCallbackTokens(launch.dispatcher),
            tokens: server.tokens(),
        }),
        None => Box::new(HoldCallbackTokens(launch.dispatcher)),
    };
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
    notice.extend(launch.notes);
    notice.push("? shows every key".into());
    let opening = Opening {
        target: launch.target,
        options: SessionOptions {
            input: Some(launch.input),
            config: launch.config,
        },
        resolver,
        app: AppOptions {
            theme,
            keymap,
            notice: Some(notice.join("; ")),
            replay: None,
        },
    };
    Ok((opening, listen))
}

/// A state machine of a template, as the picker lists it.
#[derive(Debug, Clone)]
struct Choice {
    id: String,
    label: String,
}

/// The state machines to choose from: empty unless the file is a template with several
/// and none was named.
fn state_machine_choices(args: &TuiArgs, path: &Path) -> Vec<Choice> {
    if args.launch.template.state_machine.is_some() || !crate::project::looks_like_template(path) {
        return Vec::new();
    }
    let Ok(project) = crate::project::Project::load(path, args.launch.template.options()) else {
        return Vec::new();
    };
    if project.state_machines.len() < 2 {
        return Vec::new();
    }
    project
        .state_machines
        .iter()
        .map(|sm| {
            let states = project.definition(sm).map_or_else(
                |e| format!("({e})"),
                |d| {
                    let mut n = 0;
                    d.machine.walk(&mut |_| n += 1);
                    format!("{n} states")
                },
            );
            let from = match &sm.source {
                crate::project::DefinitionSource::File(p) => {
                    project.relative(p).display().to_string()
                }
                other => other.describe().to_string(),
            };
            Choice {
                id: sm.logical_id.clone(),
                label: format!(
                    "{}  {} · {} · {from} · {states}",
                    sm.name, sm.resource_type, sm.workflow_type
                ),
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    /// Setting up failed after the screen was taken (the message says why).
    Failed(String),
    Quit,
    Signal(i32),
    /// The terminal hung up (closed window, dropped SSH connection, killed tmux session).
    TerminalGone,
}

/// Give the screen back as far as the terminal takes it. Failures are not reported: a
/// terminal that hung up takes nothing, and standard error is often that same terminal
/// (ratatui's `restore` prints there, and printing to a hung-up terminal panics).
fn restore_terminal() {
    use crossterm::event::{DisableBracketedPaste, DisableMouseCapture};
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
    let _ = ratatui::try_restore();
}

/// Done with the screen: restored unless the terminal is known to be gone, and the handle
/// let go without ratatui's farewell (it shows the cursor and prints to standard error
/// when it cannot, which panics on a hung-up terminal: the process then aborted).
fn release_terminal(mut terminal: ratatui::DefaultTerminal, gone: bool) {
    if !gone {
        restore_terminal();
    }
    if gone || terminal.show_cursor().is_err() {
        std::mem::forget(terminal);
    }
}

fn run_terminal(
    mut args: TuiArgs,
    path: &Path,
    prepared: Option<(Opening, Option<CallbackServer>)>,
    choices: Vec<Choice>,
) -> std::io::Result<End> {
    let rt = crate::shell::runtime::runtime();
    let (mut terminal, signals) = take_terminal();
    let mut listen = None;
    let result = rt.block_on(async {
        let mut io = Io::start(signals);
        let (opening, server) = match prepared {
            Some(p) => p,
            None => {
                let Some(id) = pick_state_machine(&mut terminal, &mut io, path, &choices).await?
                else {
                    return Ok(End::Quit);
                };
                args.launch.template.state_machine = Some(id);
                match prepare(&args, path) {
                    Ok(p) => p,
                    Err(e) => return Ok(End::Failed(e)),
                }
            }
        };
        listen = server;
        // A definition that is not valid yet opens anyway: the debugger shows where it is
        // wrong and starts when a save makes it valid.
        io.watch(&opening.watched());
        let mut app = match opening.open() {
            Ok(app) => app,
            Err(not_yet) => match wait_for_valid(&mut terminal, &mut io, *not_yet, path).await? {
                Ok(app) => app,
                Err(end) => return Ok(end),
            },
        };
        // The child state machines' files too: a save while stepping through one reloads it.
        io.watch(&app.session.watched_files());
        event_loop(&mut terminal, &mut app, &mut io, &mut listen).await
    });
    release_terminal(terminal, matches!(result, Ok(End::TerminalGone)));
    // Accepted callback requests get their answers before the process exits.
    if let Some(server) = listen {
        server.shutdown();
    }
    result
}

/// Take the screen: raw mode, mouse and paste reporting; signals handled; the terminal
/// restored on exit, signals and panics (and the functions started ended).
fn take_terminal() -> (ratatui::DefaultTerminal, signals::Signals) {
    use crossterm::event::{EnableBracketedPaste, EnableMouseCapture};
    let signals = signals::install(signals::Policy::Notify);
    signals::on_exit(restore_terminal);
    // A panic restores the screen (mouse reporting and paste too), ends the functions
    // started, then reports as before. ratatui's own hook is left out: it prints its
    // failure to restore, which panics again on a hung-up terminal (an abort).
    let report = std::panic::take_hook();
    let terminal = ratatui::init();
    drop(std::panic::take_hook());
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        crate::shell::children::kill_all();
        report(info);
    }));
    let _ = execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste);
    (terminal, signals)
}

/// `stepdbg serve --tui`: the server's screen (its state machines and executions) until
/// q, the usual panes for what is opened from it. Returns the exit code.
pub fn serve_main(service: std::sync::Arc<crate::serve::api::Service>, addr: String) -> i32 {
    if let Some(e) = no_terminal("`stepdbg serve` (without --tui)") {
        errln!("{e}");
        return crate::cli::exit::USAGE;
    }
    let mono = Theme::no_color_env();
    let theme = Theme::load("dark", mono).unwrap_or_else(|_| Theme::monochrome());
    let (keymap, _) = Keymap::load_user();
    let opts = move |notice: String| AppOptions {
        theme: theme.clone(),
        keymap: keymap.clone(),
        notice: Some(notice),
        replay: None,
    };
    let rt = crate::shell::runtime::runtime();
    let (mut terminal, signals) = take_terminal();
    let result = rt.block_on(async {
        let mut io = Io::start(signals);
        let mut screen = server::ServerScreen::new(service.clone(), addr);
        server_loop(&mut terminal, &mut io, &mut screen, &opts).await
    });
    release_terminal(terminal, matches!(result, Ok(End::TerminalGone)));
    exit_code(result)
}

/// The server screen's loop: redrawn live (the suite creates and runs things), keys read.
async fn server_loop(
    terminal: &mut ratatui::DefaultTerminal,
    io: &mut Io,
    screen: &mut server::ServerScreen,
    opts: &dyn Fn(String) -> AppOptions,
) -> std::io::Result<End> {
    let theme = opts(String::new()).theme;
    loop {
        terminal.draw(|f| {
            let area = f.area();
            screen.render(area, f.buffer_mut(), &theme);
        })?;
        let open = tokio::select! {
            biased;
            sig = io.signals.received() => return Ok(End::Signal(sig)),
            ev = io.events.recv() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    if is_interrupt(&k) {
                        return Ok(End::Quit);
                    }
                    screen.on_key(&k)
                }
                Some(Ok(_)) => None,
                Some(Err(_)) | None => return Ok(End::TerminalGone),
            },
            // Live: what the suite does shows within a quarter of a second.
            () = tokio::time::sleep(Duration::from_millis(250)) => None,
        };
        match open {
            None => {}
            Some(server::Open::Quit) => return Ok(End::Quit),
            Some(server::Open::Machine(name)) => {
                let notice = format!(
                    "state machine {name}: b sets breakpoints its executions pause at; q goes back"
                );
                let Some(mut app) = server::machine_app(&screen.service, &name, opts(notice))
                else {
                    screen.message = Some(format!("{name} cannot be opened"));
                    continue;
                };
                match event_loop(terminal, &mut app, io, &mut None).await? {
                    End::Quit => {
                        screen.message = Some(server::machine_closed(&screen.service, &name, &app));
                    }
                    other => return Ok(other),
                }
            }
            Some(server::Open::Execution(arn)) => {
                let service = screen.service.clone();
                let target = arn.clone();
                let lent = tokio::task::spawn_blocking(move || service.attach(&target))
                    .await
                    .ok()
                    .flatten();
                let Some(lent) = lent else {
                    screen.message = Some("the execution did not pause in time; try again".into());
                    continue;
                };
                let notice = match lent.exec.status().is_done() {
                    true => format!(
                        "{} has ended ({}): a view of it; q goes back",
                        lent.exec.config().execution_name,
                        lent.exec.status().name()
                    ),
                    false => format!(
                        "{} paused: step, inspect, answer its tasks; q gives it back to the server to run on",
                        lent.exec.config().execution_name
                    ),
                };
                let mut app = match server::execution_app(&screen.service, lent, opts(notice)) {
                    Ok(app) => app,
                    Err(e) => {
                        // Give it back untouched.
                        screen.message = Some(format!("cannot open it: {e}"));
                        continue;
                    }
                };
                // Given back however the panes ended.
                let end = event_loop(terminal, &mut app, io, &mut None).await;
                let said = server::execution_closed(&screen.service, &arn, app);
                match end? {
                    End::Quit => screen.message = Some(said),
                    other => return Ok(other),
                }
            }
        }
    }
}

/// When the slice now running started (ms since the loop began; 0: none running). The
/// key reader interrupts an evaluation in a slice that has run this long.
static SLICE_STARTED_MS: AtomicU64 = AtomicU64::new(0);
const INTERRUPT_AFTER: Duration = Duration::from_millis(500);

/// Read the terminal's events on the runtime's workers, so Esc and Ctrl-C reach a long
/// evaluation while the loop is busy in it. Ends (closing the channel) when the terminal
/// fails or hangs up.
fn spawn_event_reader(epoch: Instant) -> mpsc::UnboundedReceiver<std::io::Result<Event>> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut events = EventStream::new();
        loop {
            let next = std::future::poll_fn(|cx| {
                futures_core::Stream::poll_next(std::pin::Pin::new(&mut events), cx)
            });
            tokio::select! {
                ev = next => {
                    let Some(ev) = ev else { return };
                    if let Ok(Event::Key(k)) = &ev
                        && is_interrupt(k)
                    {
                        let started = SLICE_STARTED_MS.load(Ordering::SeqCst);
                        let now = epoch.elapsed().as_millis() as u64;
                        if started > 0 && now.saturating_sub(started) >= INTERRUPT_AFTER.as_millis() as u64 {
                            crate::expr::interrupt();
                        }
                    }
                    let failed = ev.is_err();
                    if tx.send(ev).is_err() || failed {
                        return;
                    }
                }
                _ = tty_hangup() => return,
            }
        }
    });
    rx
}

fn is_interrupt(k: &crossterm::event::KeyEvent) -> bool {
    k.kind != KeyEventKind::Release
        && (k.code == KeyCode::Esc
            || (k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL)))
}

/// Resolves when the controlling terminal hangs up. crossterm's reader spins on a hung-up
/// terminal instead of reporting it, so this watches the terminal's readiness itself
/// (event-driven: it wakes on input, never on a timer).
#[allow(unsafe_code)] // dup(2) and registering the descriptor: see the SAFETY notes.
async fn tty_hangup() {
    #[cfg(unix)]
    {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        use tokio::io::Interest;
        use tokio::io::unix::AsyncFd;
        let Ok(tty) = std::fs::OpenOptions::new().read(true).open("/dev/tty") else {
            return std::future::pending().await;
        };
        // SAFETY: dup(2) of a descriptor we own; the new descriptor is owned by `fd`.
        let dup = unsafe { libc::dup(tty.as_raw_fd()) };
        if dup < 0 {
            return std::future::pending().await;
        }
        // SAFETY: `dup` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(dup) };
        // SAFETY: `fd` is owned by the AsyncFd and neither closed nor replaced while
        // registered.
        let Ok(watch) = (unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }) else {
            return std::future::pending().await;
        };
        loop {
            let Ok(mut ready) = watch.readable().await else {
                return;
            };
            if ready.ready().is_read_closed() || ready.ready().is_error() {
                return;
            }
            // Input for crossterm's reader: not ours to read. Edge-triggered, so clearing
            // waits for the next input, without spinning.
            ready.clear_ready();
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
}

/// What the loops listen to: the terminal's events, signals and the definition file.
struct Io {
    events: mpsc::UnboundedReceiver<std::io::Result<Event>>,
    signals: signals::Signals,
    watch: Option<FileWatch>,
    /// When the loop started (slices of a run are timed from it, for Esc to interrupt).
    epoch: Instant,
}

impl Io {
    fn start(signals: signals::Signals) -> Io {
        let epoch = Instant::now();
        Io {
            events: spawn_event_reader(epoch),
            signals,
            watch: None,
            epoch,
        }
    }

    /// Watch these files for saves (natively, else by polling).
    fn watch(&mut self, files: &[PathBuf]) {
        self.watch = FileWatch::start_many(files, false)
            .or_else(|_| FileWatch::start_many(files, true))
            .ok();
    }
}

/// The template has several state machines: list them and let the person choose one
/// (None: they quit).
async fn pick_state_machine(
    terminal: &mut ratatui::DefaultTerminal,
    io: &mut Io,
    path: &Path,
    choices: &[Choice],
) -> std::io::Result<Option<String>> {
    use ratatui::style::{Modifier, Style};
    use ratatui::text::Line;
    use ratatui::widgets::{Block, BorderType, List, ListState};
    let mut state = ListState::default().with_selected(Some(0));
    loop {
        terminal.draw(|f| {
            let area = f.area();
            let items: Vec<Line> = choices
                .iter()
                .map(|c| Line::from(c.label.clone()))
                .collect();
            let list = List::new(items)
                .block(
                    Block::bordered()
                        .border_type(BorderType::Rounded)
                        .title(format!(
                            " {} has {} state machines: which one? ",
                            path.display(),
                            choices.len()
                        ))
                        .title_bottom(" ↑/↓ choose · Enter open · q quit "),
                )
                .highlight_style(Style::default().add_modifier(Modifier::REVERSED))
                .highlight_symbol("▶ ");
            f.render_stateful_widget(list, area, &mut state);
        })?;
        tokio::select! {
            biased;
            _ = io.signals.received() => return Ok(None),
            ev = io.events.recv() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => match k.code {
                    KeyCode::Up | KeyCode::Char('k') => state.select_previous(),
                    KeyCode::Down | KeyCode::Char('j') => state.select_next(),
                    KeyCode::Enter => {
                        let i = state.selected().unwrap_or(0).min(choices.len() - 1);
                        return Ok(Some(choices[i].id.clone()));
                    }
                    KeyCode::Char('q') | KeyCode::Esc => return Ok(None),
                    _ if is_interrupt(&k) => return Ok(None),
                    _ => {}
                },
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Ok(None),
            },
        }
    }
}

/// The definition is not valid yet: show why (scrollable, copyable) and try again at every
/// save; the debugger once it is valid, or how the wait ended.
async fn wait_for_valid(
    terminal: &mut ratatui::DefaultTerminal,
    io: &mut Io,
    not_yet: NotYet,
    path: &Path,
) -> std::io::Result<Result<App, End>> {
    let NotYet {
        mut opening,
        mut why,
    } = not_yet;
    let title = format!(
        "{} cannot be debugged yet · stepdbg starts at the first valid save",
        path.display()
    );
    let mut page = pager::Pager::text(title.clone(), why.clone());
    let notice = opening.app.notice.clone().unwrap_or_default();
    loop {
        let footer = "j/k scroll · y copy · q quit";
        terminal.draw(|f| {
            let area = f.area();
            page.render(
                area,
                Vec::new,
                footer,
                &opening.app.theme.palette,
                f.buffer_mut(),
            );
        })?;
        tokio::select! {
            biased;
            sig = io.signals.received() => return Ok(Err(End::Signal(sig))),
            ev = io.events.recv() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    let key = Key::from_event(&k);
                    let action = opening.app.keymap.action(key);
                    let quit = matches!(k.code, KeyCode::Char('q'))
                        || is_interrupt(&k);
                    if quit {
                        return Ok(Err(End::Quit));
                    }
                    if let Some(a) = action
                        && page.on_action(a) == pager::Outcome::Copy
                    {
                        use std::io::Write;
                        let out = terminal.backend_mut();
                        out.write_all(pager::osc52(&why).as_bytes())?;
                        out.flush()?;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Ok(Err(End::TerminalGone)),
            },
            () = file_changed(&mut io.watch) => {
                opening.app.notice = Some(format!("{} is valid now; {notice}", path.display()));
                match opening.open() {
                    Ok(app) => return Ok(Ok(app)),
                    Err(not_yet) => {
                        opening = not_yet.opening;
                        why = not_yet.why;
                        page = pager::Pager::text(title.clone(), why.clone());
                    }
                }
            }
        }
    }
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    io: &mut Io,
    listen: &mut Option<CallbackServer>,
) -> std::io::Result<End> {
    let epoch = io.epoch;
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    let end = loop {
        if app.quit {
            break End::Quit;
        }
        // The session shown can change (a child execution opens or ends): wake for its
        // background answers.
        let wake = app.session.wakeup();
        // Every turn of the loop follows something that happened: draw it.
        // The copy reaches the terminal before the message that says it did.
        if let Some(text) = app.clipboard.take() {
            use std::io::Write;
            let out = terminal.backend_mut();
            out.write_all(pager::osc52(&text).as_bytes())?;
            out.flush()?;
        }
        terminal.draw(|f| app.view(f))?;
        let busy = app.has_work();
        tokio::select! {
            biased;
            sig = io.signals.received() => break End::Signal(sig),
            ev = io.events.recv() => match ev {
                Some(Ok(e)) => {
                    if let Some(m) = to_msg(e) {
                        app.update(m);
                    }
                    // Take whatever else has arrived before drawing.
                    while !app.quit && let Ok(Ok(e)) = io.events.try_recv() {
                        if let Some(m) = to_msg(e) {
                            app.update(m);
                        }
                    }
                }
                Some(Err(_)) | None => break End::TerminalGone,
            },
            () = file_changed(&mut io.watch) => {
                app.update(Msg::FileChanged);
            }
            _ = wake.notified() => {
                app.update(Msg::Tick { steps: 0 });
            }
            Some(req) = callback_request(listen) => {
                let r = app.apply_callback(&req.token, &req.action);
                req.answer(r);
            }
            // A function runs: redraw so its running time counts up.
            () = tokio::time::sleep(Duration::from_millis(200)), if app.session.in_flight() > 0 => {}
            _ = std::future::ready(()), if busy => {
                // Slices of the run (or of the highlighting) until the frame's time is up.
                let start = Instant::now();
                SLICE_STARTED_MS.store((epoch.elapsed().as_millis() as u64).max(1), Ordering::SeqCst);
                loop {
                    app.update(Msg::Tick { steps: app::SLICE });
                    if !app.has_work() || start.elapsed() > Duration::from_millis(30) {
                        break;
                    }
                }
                SLICE_STARTED_MS.store(0, Ordering::SeqCst);
                // Let the other arms (keys, signals) in before the next slice.
                tokio::task::yield_now().await;
            }
        }
    };
    Ok(end)
}

fn to_msg(e: Event) -> Option<Msg> {
    match e {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

async fn file_changed(watch: &mut Option<FileWatch>) {
    match watch {
        Some(w) => w.next_change().await,
        None => std::future::pending().await,
    }
}

pub(crate) async fn callback_request(
    listen: &mut Option<CallbackServer>,
) -> Option<crate::session::callback::CallbackRequest> {
    match listen {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

/// Why the debugger cannot draw here, if it cannot (`headless`: the command that works).
fn no_terminal(headless: &str) -> Option<String> {
    if std::env::var("TERM").is_ok_and(|t| t == "dumb") {
        return Some(format!(
            "error: this terminal (TERM=dumb) cannot draw the debugger; use a terminal emulator \
             that supports cursor movement (TERM=xterm-256color), or {headless} headless"
        ));
    }
    if !std::io::stdout().is_terminal() {
        return Some(format!(
            "error: the debugger needs a terminal; {headless} runs headless"
        ));
    }
    None
}

/// `stepdbg replay HISTORY`: the debugger on an execution recorded on AWS.
pub fn replay_main(args: crate::cli::replay::ReplayArgs) -> i32 {
    use crate::cli::exit;
    let history = args.recording.history.clone();
    let headless = format!("`stepdbg replay {} --format text`", history.display());
    if let Some(e) = no_terminal(&headless) {
        errln!("{e}");
        return exit::USAGE;
    }
    let opening = match replay_opening(&args) {
        Ok(o) => o,
        Err(e) => {
            errln!("error: {e}");
            return exit::USAGE;
        }
    };
    let path = opening.target.path().to_path_buf();
    let tui = TuiArgs {
        definition: Some(path.clone()),
        ..Default::default()
    };
    exit_code(run_terminal(tui, &path, Some((opening, None)), Vec::new()))
}

/// The debugger's opening for a replay: the recording's input, configuration and answers.
/// A definition given as `describe-state-machine-for-execution` output is written beside
/// the history as NAME.asl.json, so it can be edited (what if) and reloaded.
pub fn replay_opening(args: &crate::cli::replay::ReplayArgs) -> Result<Opening, String> {
    use crate::session::replay;
    let opened = args.recording.open_all()?;
    let mut notes = Vec::new();
    let path = if opened.definition.described {
        let out = crate::session::launch::sibling(&args.recording.history, "asl.json");
        let text = serde_json::to_string_pretty(opened.definition.definition.doc.value())
            .unwrap_or_default()
            + "\n";
        match std::fs::read_to_string(&out) {
            Ok(existing) if existing == text => {}
            Ok(_) => {
                return Err(format!(
                    "{} exists and is not the definition in {}: pass --definition {} to replay \
                     it, or move it away",
                    out.display(),
                    opened.definition.path.display(),
                    out.display()
                ));
            }
            Err(_) => {
                std::fs::write(&out, text)
                    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                notes.push(format!(
                    "wrote the deployed definition to {}: edit and save it to ask what if",
                    out.display()
                ));
            }
        }
        out
    } else {
        opened.definition.path.clone()
    };
    let recording = opened.recording;
    let replayer = replay::replayer(&recording, &opened.definition.definition.machine);
    let log = replayer.log();
    let mono = Theme::no_color_env();
    let theme = Theme::load(args.theme.as_deref().unwrap_or("dark"), mono)?;
    let (keymap, key_error) = Keymap::load_user();
    if let Some(e) = key_error {
        notes.push(format!("key map ignored: {e}"));
    }
    notes.extend(recording.warnings.iter().cloned());
    let recorded = recording.status_json();
    notes.insert(
        0,
        format!(
            "replaying {} ({} events, {}): c runs it with AWS's answers, r runs it again after \
             edits (what if), :recorded lists AWS's events",
            recording.path.display(),
            recording.events.len(),
            recorded["status"].as_str().unwrap_or("?")
        ),
    );
    let input = recording.input().unwrap_or_else(|| crate::json!({}));
    Ok(Opening {
        target: Target::file(&path),
        options: SessionOptions {
            input: Some(input),
            config: opened.config,
        },
        resolver: Box::new(replayer),
        app: AppOptions {
            theme,
            keymap,
            notice: Some(notes.join("; ")),
            replay: Some(self::replay::ReplayView::new(recording, log)),
        },
    })
}
