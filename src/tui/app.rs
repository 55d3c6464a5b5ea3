//! The app: state is data, [`App::update`] changes it with a [`Msg`], and [`App::view`]
//! (in `view.rs`) draws it from `&self`.
//!
//! The app routes: a key becomes an [`Action`] through the key map; the focused pane
//! (a [`Component`]) handles it if it is the pane's, else the app does (running, stepping,
//! focus, overlays). What a pane asks of others comes back as [`Effect`]s. The session
//! owns the execution; [`ExecutionIndex`] (in the session layer) keeps what is derived
//! from it up to date after every update, so drawing touches only what is on screen.

use super::action::{Action, Context, Key, Keymap};
use super::commands::{self, Command};
use super::components::definition::DefinitionPane;
use super::components::history::HistoryPane;
use super::components::inspector::InspectorPane;
use super::components::pending::PendingPane;
use super::components::states::StatesPane;
use super::components::variables::VariablesPane;
use super::components::{Component, Ctx, Effect, Inspect, Pane, inner};
use super::editor::Editor;
use super::pager::{Body as PagerBody, Outcome as PagerOutcome, Pager};
use super::theme::Theme;
use crate::engine::{Execution, Status, TaskOutcome, TaskRequest};
use crate::json;
use crate::json::Value;
use crate::session::bounded::{BoundedRun, RunGoal};
use crate::session::index::ExecutionIndex;
use crate::session::nested::Nesting;
use crate::session::{Advance, ReloadOutcome, Session, StopReason};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Position;
use std::path::Path;

/// Everything that can happen to the app.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    Action(Action),
    /// Let time pass: run up to `steps` engine steps of a run in progress, or do some
    /// background work (highlighting) when idle.
    Tick {
        steps: usize,
    },
    /// The definition file changed on disk: reload it.
    FileChanged,
}

/// How a message line is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub level: Level,
    pub text: String,
}

/// What the last reload did, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum ReloadStatus {
    Reloaded { count: usize, replayed: usize },
    Invalid { diagnostic: String },
    Unreadable(String),
}

/// A run in progress, drawn between slices.
#[derive(Debug)]
pub struct Running {
    pub run: BoundedRun,
    pub label: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Success,
    Failure,
}

/// The form to answer a pending task.
#[derive(Debug, Clone)]
pub struct Form {
    pub task: crate::engine::TaskId,
    pub state: String,
    pub kind: FormKind,
    /// How the answer becomes the task's result (a Lambda return value is wrapped).
    pub shape: crate::integrations::dispatch::HandShape,
    pub json: Editor,
    pub error: Editor,
    pub cause: Editor,
    /// Failure form: 0 error, 1 cause.
    pub field: usize,
    /// Live validation of the JSON editor: Err("line:col message").
    pub valid: Result<Value, String>,
    /// For a service integration: what AWS answers, its document and error names.
    pub service: Option<crate::integrations::services::ServiceAnswer>,
}

impl Form {
    /// Check the JSON as typed (the form shows where it is wrong).
    pub fn validate(&mut self) {
        let text = self.json.text();
        self.valid = if text.trim().is_empty() {
            Ok(json!({}))
        } else {
            serde_json::from_str::<Value>(&text)
                .map_err(|e| format!("{}:{} {}", e.line(), e.column(), strip_position(&e)))
        };
    }

    /// The editor that has the keyboard.
    fn editor(&mut self) -> &mut Editor {
        match (self.kind, self.field) {
            (FormKind::Success, _) => &mut self.json,
            (FormKind::Failure, 0) => &mut self.error,
            _ => &mut self.cause,
        }
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[derive(Debug, Clone)]
pub enum Mode {
    Normal,
    /// The help or the viewer: a page that scrolls.
    Pager(Box<Pager>),
    Command(Editor),
    Filter(Editor),
    ConfirmQuit,
    Form(Box<Form>),
}

/// The word at the left of the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusWord {
    Ready,
    Running,
    Paused,
    Waiting,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl StatusWord {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusWord::Ready => "READY",
            StatusWord::Running => "RUNNING",
            StatusWord::Paused => "PAUSED",
            StatusWord::Waiting => "WAITING",
            StatusWord::Succeeded => "SUCCEEDED",
            StatusWord::Failed => "FAILED",
            StatusWord::TimedOut => "TIMED_OUT",
            StatusWord::Aborted => "ABORTED",
        }
    }
}

/// Options to start the app.
pub struct AppOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    /// A message to show at start (a broken key map file, files picked up, ...).
    pub notice: Option<String>,
    /// Replay mode: the recorded execution the session runs again.
    pub replay: Option<super::replay::ReplayView>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            theme: Theme::dark(),
            keymap: Keymap::default(),
            notice: None,
            replay: None,
        }
    }
}

pub struct App {
    pub session: Session,
    pub ix: ExecutionIndex,
    pub theme: Theme,
    pub keymap: Keymap,
    pub size: ratatui::layout::Rect,
    pub focus: Pane,
    /// The pane shown in the compact layout's tabbed area.
    pub tab: Pane,
    pub zoom: bool,
    pub mode: Mode,
    pub running: Option<Running>,
    pub last_stop: Option<StopReason>,
    pub message: Option<Message>,
    pub reload: Option<ReloadStatus>,
    reloads: usize,
    pub quit: bool,
    /// Bumped whenever the execution is replaced (restart, step back, reload).
    generation: u64,
    pub states: StatesPane,
    pub definition: DefinitionPane,
    pub inspector: InspectorPane,
    pub history: HistoryPane,
    pub pending: PendingPane,
    pub vars: VariablesPane,
    command_history: Vec<String>,
    command_pos: usize,
    /// The messages shown so far, oldest first (`:messages`).
    said: std::collections::VecDeque<String>,
    /// Text to put on the terminal's clipboard (the event loop writes it as OSC 52).
    pub clipboard: Option<String>,
    /// Replay mode (`stepdbg replay`): the recording and how the run compares with it.
    pub replay: Option<super::replay::ReplayView>,
    /// The parents of the execution shown, when it is a child execution a task started.
    pub nesting: Nesting,
    /// A file was saved while a child execution was shown (its parent reloads on return).
    saved_while_nested: bool,
}

/// How many messages `:messages` keeps.
const MESSAGES_KEPT: usize = 200;

/// Engine steps per slice of a run (the event loop takes several slices per frame while
/// time allows; tests take them one by one).
pub const SLICE: usize = 64;

/// What panes read, built from the app's fields other than the panes (so a pane can be
/// borrowed mutably beside it).
macro_rules! ctx {
    ($app:ident) => {
        Ctx {
            session: &$app.session,
            ix: &$app.ix,
            theme: &$app.theme,
            keymap: &$app.keymap,
            running: $app.running.is_some(),
            stale_definition: matches!($app.reload, Some(ReloadStatus::Invalid { .. })),
            generation: $app.generation,
        }
    };
}

impl App {
    pub fn new(mut session: Session, opts: AppOptions) -> App {
        // Child executions are stepped through here, not run whole.
        session.step_into_children = true;
        let mut app = App {
            session,
            ix: ExecutionIndex::default(),
            theme: opts.theme,
            keymap: opts.keymap,
            size: ratatui::layout::Rect::new(0, 0, 80, 24),
            focus: Pane::States,
            tab: Pane::Definition,
            zoom: false,
            mode: Mode::Normal,
            running: None,
            last_stop: None,
            message: opts.notice.map(|text| Message {
                level: Level::Info,
                text,
            }),
            reload: None,
            reloads: 0,
            quit: false,
            generation: 0,
            states: StatesPane::new(),
            definition: DefinitionPane::default(),
            inspector: InspectorPane::default(),
            history: HistoryPane::default(),
            pending: PendingPane::default(),
            vars: VariablesPane::default(),
            command_history: Vec::new(),
            command_pos: 0,
            said: std::collections::VecDeque::new(),
            clipboard: None,
            replay: opts.replay,
            nesting: Nesting::default(),
            saved_while_nested: false,
        };
        app.load_definition();
        app.sync();
        app
    }

    /// Run `f` on pane `p` with the context it reads: the one place a pane is chosen.
    fn with_pane<R>(&mut self, p: Pane, f: impl FnOnce(&mut dyn Component, &Ctx) -> R) -> R {
        let cx = ctx!(self);
        let pane: &mut dyn Component = match p {
            Pane::States => &mut self.states,
            Pane::Definition => &mut self.definition,
            Pane::Inspector => &mut self.inspector,
            Pane::History => &mut self.history,
            Pane::Pending => &mut self.pending,
            Pane::Variables => &mut self.vars,
        };
        f(pane, &cx)
    }

    /// Pane `p`, for drawing.
    pub fn component(&self, p: Pane) -> &dyn Component {
        match p {
            Pane::States => &self.states,
            Pane::Definition => &self.definition,
            Pane::Inspector => &self.inspector,
            Pane::History => &self.history,
            Pane::Pending => &self.pending,
            Pane::Variables => &self.vars,
        }
    }

    /// The context panes read, for drawing.
    pub fn ctx(&self) -> Ctx<'_> {
        ctx!(self)
    }

    // ----- queries used by the view and tests -------------------------------------------

    pub fn exec(&self) -> &Execution {
        self.session.execution()
    }

    /// A run is in progress, or a function answers a task on another thread (the event
    /// loop keeps ticking either way).
    pub fn is_running(&self) -> bool {
        self.running.is_some() || self.session.in_flight() > 0
    }

    /// Is there work for the event loop to do now (a run that can step, highlighting)?
    /// A run waiting only for a function's answer is not: the answer wakes the loop.
    pub fn has_work(&self) -> bool {
        self.running.as_ref().is_some_and(|r| !r.run.waiting) || !self.definition.hl.is_done()
    }

    pub fn status(&self) -> StatusWord {
        match self.session.status() {
            Status::Running if self.running.is_some() => StatusWord::Running,
            // Not started yet (an execution taken over from `serve` has started).
            Status::Running if self.session.journal().is_empty() && !self.exec().has_started() => {
                StatusWord::Ready
            }
            Status::Running
                if !self.session.pending().is_empty() && self.exec().next_runnable().is_none() =>
            {
                StatusWord::Waiting
            }
            Status::Running => StatusWord::Paused,
            Status::Succeeded { .. } => StatusWord::Succeeded,
            Status::Failed { .. } => StatusWord::Failed,
            Status::TimedOut { .. } => StatusWord::TimedOut,
            Status::Aborted { .. } => StatusWord::Aborted,
        }
    }

    /// READY, RUNNING, PAUSED, WAITING, SUCCEEDED, FAILED or TIMED_OUT.
    pub fn status_word(&self) -> &'static str {
        self.status().as_str()
    }

    /// Has the execution started and not ended (quitting asks first)?
    pub fn execution_live(&self) -> bool {
        !self.session.status().is_done() && !self.session.journal().is_empty()
    }

    pub fn selected_state(&self) -> Option<(&str, &str)> {
        self.states.selected_state()
    }

    pub fn history_len(&self) -> usize {
        self.history.len(&self.ctx())
    }

    /// The pending tasks, in order.
    pub fn pending(&self) -> Vec<&TaskRequest> {
        self.session.pending()
    }

    pub fn command_text(&self) -> Option<&Editor> {
        match &self.mode {
            Mode::Command(e) => Some(e),
            _ => None,
        }
    }

    // ----- update -----------------------------------------------------------------------

    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Key(k) => {
                if k.kind != KeyEventKind::Release {
                    self.on_key(k);
                }
            }
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Paste(s) => self.on_paste(&s),
            Msg::Resize(w, h) => self.size = ratatui::layout::Rect::new(0, 0, w, h),
            Msg::Action(a) => self.on_action(a),
            Msg::Tick { steps } => self.on_tick(steps),
            Msg::FileChanged => {
                // A save while a child execution is shown may be its parent's.
                self.saved_while_nested |= self.nesting.depth() > 0;
                self.on_reload();
            }
        }
        self.sync();
    }

    /// Press a key given as the key map writes it (`F5`, `n`, `Ctrl-s`), for tests and
    /// scripts; text longer than one key is typed character by character.
    pub fn press(&mut self, spec: &str) {
        match Key::parse(spec) {
            Ok(k) => self.update(Msg::Key(KeyEvent::new(k.code, k.mods))),
            Err(_) => {
                for c in spec.chars() {
                    self.update(Msg::Key(KeyEvent::new(
                        KeyCode::Char(c),
                        KeyModifiers::NONE,
                    )));
                }
            }
        }
    }

    /// Type text into whatever has the keyboard.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            self.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        }
    }

    /// Run a run in progress to its end (tests; the event loop ticks instead).
    pub fn settle(&mut self) {
        let mut guard = 0;
        while self.running.is_some() && guard < 1_000_000 {
            self.update(Msg::Tick { steps: SLICE });
            guard += 1;
        }
        while !self.definition.hl.is_done() {
            self.update(Msg::Tick { steps: SLICE });
        }
    }

    fn say(&mut self, level: Level, text: impl std::fmt::Display) {
        let text = text.to_string();
        if self.said.len() == MESSAGES_KEPT {
            self.said.pop_front();
        }
        self.said.push_back(text.clone());
        self.message = Some(Message { level, text });
    }

    fn info(&mut self, text: impl std::fmt::Display) {
        self.say(Level::Info, text);
    }

    fn warn(&mut self, text: impl std::fmt::Display) {
        self.say(Level::Warn, text);
    }

    fn error(&mut self, text: impl std::fmt::Display) {
        self.say(Level::Error, text);
    }

    fn on_key(&mut self, k: KeyEvent) {
        let key = Key::from_event(&k);
        let mode = std::mem::replace(&mut self.mode, Mode::Normal);
        self.mode = match mode {
            Mode::Normal => {
                if let Some(a) = self.keymap.action(key) {
                    let shown = self.message.take();
                    // A message cut short is what `v` and `y` mean while it shows.
                    match shown.filter(|m| {
                        matches!(a, Action::View | Action::Copy)
                            && unicode_width::UnicodeWidthStr::width(m.text.as_str())
                                > self.size.width as usize
                    }) {
                        Some(m) => self.view_or_copy(a, Some(("message".to_string(), m.text))),
                        None => self.on_action(a),
                    }
                }
                return;
            }
            Mode::Pager(mut page) => {
                let Some(a) = self.keymap.action(key) else {
                    self.mode = Mode::Pager(page);
                    return;
                };
                match page.on_action(a) {
                    PagerOutcome::Close => Mode::Normal,
                    PagerOutcome::Stay => Mode::Pager(page),
                    PagerOutcome::Copy => {
                        if let PagerBody::Text(t) = &page.body {
                            let (title, text) = (page.title.clone(), t.clone());
                            self.copy(&title, text);
                        }
                        Mode::Pager(page)
                    }
                }
            }
            Mode::ConfirmQuit => {
                let yes = matches!(k.code, KeyCode::Char('y' | 'Y'))
                    || self.keymap.action_in(key, Context::Edit) == Some(Action::Accept);
                if yes {
                    self.quit = true;
                }
                Mode::Normal
            }
            Mode::Command(ed) => match self.on_command_key(ed, &k) {
                Some(m) => m,
                None => return,
            },
            Mode::Filter(mut ed) => match self.keymap.action_in(key, Context::Edit) {
                Some(Action::Cancel) => {
                    self.history.set_filter(String::new());
                    Mode::Normal
                }
                Some(a @ (Action::Accept | Action::NextField | Action::Older | Action::Newer)) => {
                    self.mode = Mode::Normal;
                    // Up and Down leave the filter and move in the history.
                    match a {
                        Action::Older => self.on_action(Action::Up),
                        Action::Newer => self.on_action(Action::Down),
                        _ => {}
                    }
                    return;
                }
                _ => {
                    ed.handle(&k);
                    self.history.set_filter(ed.text());
                    Mode::Filter(ed)
                }
            },
            Mode::Form(mut f) => {
                let action = self.keymap.action_in(key, Context::Edit);
                let failure = f.kind == FormKind::Failure;
                match action {
                    Some(Action::Cancel) => {
                        self.info("not sent");
                        Mode::Normal
                    }
                    Some(Action::Send) => self.submit_or_keep(f),
                    Some(Action::Accept) if failure && f.field == 1 => self.submit_or_keep(f),
                    Some(Action::NextField | Action::PrevField | Action::Accept) if failure => {
                        f.field = 1 - f.field;
                        Mode::Form(f)
                    }
                    _ => {
                        f.editor().handle(&k);
                        f.validate();
                        Mode::Form(f)
                    }
                }
            }
        };
    }

    /// A key in the command line; None when the mode was already set (the command ran).
    fn on_command_key(&mut self, mut ed: Editor, k: &KeyEvent) -> Option<Mode> {
        let history = &self.command_history;
        Some(
            match self.keymap.action_in(Key::from_event(k), Context::Edit) {
                Some(Action::Cancel) => Mode::Normal,
                Some(Action::Accept) => {
                    let line = ed.text();
                    if !line.trim().is_empty() {
                        self.command_history.push(line.clone());
                    }
                    self.command_pos = self.command_history.len();
                    self.mode = Mode::Normal;
                    self.run_command(&line);
                    return None;
                }
                Some(Action::Older) if self.command_pos > 0 => {
                    self.command_pos -= 1;
                    ed.set_text(&history[self.command_pos]);
                    Mode::Command(ed)
                }
                Some(Action::Newer) if self.command_pos < history.len() => {
                    self.command_pos += 1;
                    let t = history.get(self.command_pos).cloned().unwrap_or_default();
                    ed.set_text(&t);
                    Mode::Command(ed)
                }
                Some(Action::NextField) => {
                    let mut names = Vec::new();
                    self.session
                        .definition
                        .machine
                        .walk(&mut |s| names.push(s.name.to_string()));
                    ed.set_text(&commands::complete(&ed.text(), &names));
                    Mode::Command(ed)
                }
                _ if k.code == KeyCode::Backspace && ed.is_empty() => Mode::Normal,
                _ => {
                    ed.handle(k);
                    Mode::Command(ed)
                }
            },
        )
    }

    fn submit_or_keep(&mut self, f: Box<Form>) -> Mode {
        if self.submit_form(&f) {
            Mode::Normal
        } else {
            Mode::Form(f)
        }
    }

    fn on_paste(&mut self, s: &str) {
        match &mut self.mode {
            Mode::Command(ed) => ed.insert_str(s),
            Mode::Filter(ed) => {
                ed.insert_str(s);
                let t = ed.text();
                self.history.set_filter(t);
            }
            Mode::Form(f) => {
                f.editor().insert_str(s);
                f.validate();
            }
            _ => {}
        }
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        if !matches!(self.mode, Mode::Normal) {
            return;
        }
        let pos = Position::new(m.column, m.row);
        let areas = self.areas();
        if let MouseEventKind::Down(MouseButton::Left) = m.kind
            && let Some((pane, _)) = areas.tab_hits.iter().find(|(_, r)| r.contains(pos))
        {
            self.focus_pane(*pane);
            return;
        }
        let Some((pane, rect)) = areas.panes.iter().find(|(_, r)| r.contains(pos)).copied() else {
            return;
        };
        let inner = inner(rect);
        let row = (m.row.saturating_sub(inner.y)) as usize;
        let mut fx = Vec::new();
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus_pane(pane);
                if inner.contains(pos) {
                    self.with_pane(pane, |c, cx| c.on_click(row, cx, &mut fx));
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let a = if m.kind == MouseEventKind::ScrollDown {
                    Action::Down
                } else {
                    Action::Up
                };
                for _ in 0..3 {
                    self.with_pane(pane, |c, cx| c.on_action(a, cx, &mut fx));
                }
            }
            _ => {}
        }
        self.apply(fx);
    }

    pub fn focus_pane(&mut self, p: Pane) {
        self.focus = p;
        if p.tabbed() {
            self.tab = p;
        }
    }

    /// Do what panes asked.
    fn apply(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::RevealState(ptr) => {
                    let h = self
                        .pane_inner(Pane::Definition)
                        .map_or(20, |r| r.height as usize);
                    self.definition.reveal(&ptr, h);
                }
                Effect::SelectState(ptr) => self.states.select(&ptr),
                Effect::Inspect(i) => self.inspector.inspect = i,
                Effect::OpenForm(kind) => self.open_form(kind),
                Effect::Info(t) => self.info(t),
                Effect::Warn(t) => self.warn(t),
            }
        }
    }

    fn on_action(&mut self, a: Action) {
        use Action as A;
        if self.running.is_some()
            && matches!(
                a,
                A::Continue
                    | A::StepOver
                    | A::StepInto
                    | A::StepOut
                    | A::StepBack
                    | A::Restart
                    | A::SendSuccess
                    | A::SendFailure
                    | A::SendHeartbeat
                    | A::AdvanceTime
                    | A::CommandLine
            )
        {
            let k = self.keymap.label(A::Pause, 1);
            self.warn(format!("running… press {k} to pause first"));
            return;
        }
        // The focused pane first: moving, selecting, folding are the pane's.
        let mut fx = Vec::new();
        if self.with_pane(self.focus, |c, cx| c.on_action(a, cx, &mut fx)) {
            self.apply(fx);
            return;
        }
        match a {
            A::Continue => self.start_run(RunGoal::Continue),
            A::StepOver => self.start_run(RunGoal::StepOver),
            A::StepOut => self.start_run(RunGoal::StepOut),
            A::StepInto => {
                let stop = self.session.step();
                self.stopped(stop, None);
            }
            A::StepBack => match self.session.step_back() {
                Some(back) => {
                    self.replaced();
                    match back.withdrawn.first() {
                        Some((_, state, answer)) => {
                            self.select_pending(state);
                            self.info(format!(
                                "took back your answer to '{state}' ({}); {} answers again, \
                                 starting from what you sent",
                                describe_answer(answer),
                                self.keymap.label(Action::SendSuccess, 1)
                            ));
                        }
                        None => self.info(format!(
                            "stepped back to step {}",
                            self.session.step_count()
                        )),
                    }
                }
                None if self.nesting.depth() > 0 => self.step_back_out_of_child(),
                None => self.warn("nothing to step back over"),
            },
            A::Restart => {
                self.restart(None);
                self.info("restarted");
            }
            A::Pause => {
                if let Some(r) = self.running.take() {
                    self.info(format!("paused {} after {} steps", r.label, r.run.steps));
                } else if self.zoom {
                    self.zoom = false;
                }
            }
            A::ToggleBreakpoint => self.toggle_breakpoint(),
            A::Follow => {
                self.follow();
                let mut fx = Vec::new();
                let cx = ctx!(self);
                self.states.follow_current(&cx, &mut fx);
                self.apply(fx);
            }
            A::AdvanceTime => self.advance(None),
            A::SendSuccess => self.open_form(FormKind::Success),
            A::SendFailure => self.open_form(FormKind::Failure),
            A::SendHeartbeat => self.heartbeat(),
            A::PrevStep | A::NextStep => {
                let cx = ctx!(self);
                self.inspector
                    .step(if a == A::PrevStep { -1 } else { 1 }, &cx);
                if self.focus != Pane::Inspector && !self.zoom {
                    self.focus_pane(Pane::Inspector);
                }
            }
            // Folding everything, from another pane, is the Inspector's.
            A::ExpandAll | A::CollapseAll => {
                self.with_pane(Pane::Inspector, |c, cx| c.on_action(a, cx, &mut fx));
            }
            A::Filter => {
                self.focus_pane(Pane::History);
                self.mode = Mode::Filter(Editor::single(&self.history.filter));
            }
            A::FocusNext | A::FocusPrev => {
                let n = Pane::ALL.len();
                let d = if a == A::FocusNext { 1 } else { n - 1 };
                self.focus_pane(Pane::ALL[(self.focus.index() + d) % n]);
            }
            A::FocusStates => self.focus_pane(Pane::States),
            A::FocusDefinition => self.focus_pane(Pane::Definition),
            A::FocusInspector => self.focus_pane(Pane::Inspector),
            A::FocusHistory => self.focus_pane(Pane::History),
            A::FocusPending => self.focus_pane(Pane::Pending),
            A::FocusVariables => self.focus_pane(Pane::Variables),
            A::Zoom => self.zoom = !self.zoom,
            A::ToggleGraph => {
                self.states.graph = !self.states.graph;
                self.focus_pane(Pane::States);
            }
            A::FoldFrame => self.info(format!(
                "{} folds a Map or Parallel in the graph ({} shows it)",
                self.keymap.label(A::FoldFrame, 1),
                self.keymap.label(A::ToggleGraph, 1)
            )),
            A::CommandLine => {
                self.command_pos = self.command_history.len();
                self.mode = Mode::Command(Editor::single(""));
            }
            A::Help => self.mode = Mode::Pager(Box::new(Pager::help())),
            A::View | A::Copy => {
                let value = self.with_pane(self.focus, |c, cx| c.selected_value(cx));
                self.view_or_copy(a, value);
            }
            A::Quit => {
                if self.execution_live() || self.running.is_some() {
                    self.mode = Mode::ConfirmQuit;
                } else {
                    self.quit = true;
                }
            }
            // Panes handle these; editing actions never reach here.
            A::Up
            | A::Down
            | A::Left
            | A::Right
            | A::PageUp
            | A::PageDown
            | A::Top
            | A::Bottom
            | A::Select
            | A::Accept
            | A::Cancel
            | A::Send
            | A::NextField
            | A::PrevField
            | A::Older
            | A::Newer => {}
        }
        self.apply(fx);
    }

    /// `:set input JSON` (edit-and-continue: what the next state gets) or `:set $name JSON`.
    fn edit(&mut self, variable: Option<String>, json: &str) {
        let value = match crate::session::launch::read_json_arg(json, "set") {
            Ok(v) => v,
            Err(e) => return self.error(e),
        };
        let thread = self.ix.current_thread();
        match variable {
            None => {
                let thread = self.exec().next_runnable().unwrap_or(thread);
                if self.session.set_input(thread, value) {
                    self.info("the next state gets the new input; c goes on");
                } else {
                    self.warn("no state is about to start: step to one first");
                }
            }
            Some(name) => {
                if self.session.set_variable(thread, &name, value) {
                    self.info(format!("${name} set"));
                } else {
                    self.warn("the execution has ended");
                }
            }
        }
    }

    /// `t moves the clock 1d0h to when 'Review' times out (States.Timeout)`, when
    /// something waits on the clock.
    fn timer_hint(&self) -> Option<String> {
        let t = self.session.next_timer()?;
        Some(format!(
            "{} moves the clock {} to when {}",
            self.keymap.label(Action::AdvanceTime, 1),
            crate::engine::time::format_duration(t.at_ms - self.exec().clock()),
            t.describe()
        ))
    }

    /// Move the virtual clock by `by`, or to the next deadline; say what fired.
    fn advance(&mut self, by: Option<std::time::Duration>) {
        use crate::engine::time::{format_duration, format_millis};
        if self.session.status().is_done() {
            self.info("the execution has ended; time no longer matters");
            return;
        }
        let now = self.exec().clock();
        let how = match by {
            Some(d) => Advance::By(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            None if self.session.next_timer().is_none() => {
                self.info("nothing waits on the clock");
                return;
            }
            None => Advance::NextTimer,
        };
        let fired = self.session.advance(how);
        let clock = self.exec().clock();
        let moved = format_duration(clock - now);
        let text = match fired {
            Some(t) => format!(
                "advanced {moved} to {}: {}; {} goes on",
                format_millis(clock),
                t.describe(),
                self.keymap.label(Action::Continue, 1)
            ),
            None => format!("advanced {moved} to {}", format_millis(clock)),
        };
        self.follow();
        self.info(text);
    }

    /// The views follow the execution again.
    fn follow(&mut self) {
        self.states.follow = true;
        self.inspector.inspect = Inspect::Latest;
        self.history.follow = true;
    }

    fn start_run(&mut self, goal: RunGoal) {
        let label = match goal {
            RunGoal::Continue => "continue",
            RunGoal::StepOver => "step over",
            RunGoal::StepOut => "step out",
            RunGoal::RunTo(_) => "goto",
        };
        if self.session.status().is_done() {
            self.info(format!(
                "the execution has ended ({}); r restarts",
                self.session.status().name()
            ));
            return;
        }
        let run = self.session.begin_run(goal);
        self.running = Some(Running { run, label });
        self.follow();
    }

    fn on_tick(&mut self, steps: usize) {
        if self.running.is_none() && self.session.poll_background() {
            self.info("a function answered");
        }
        if let Some(mut r) = self.running.take() {
            match self.session.run_bounded(&mut r.run, steps) {
                Some(stop) => self.stopped(stop, Some(r.run.goal)),
                None => self.running = Some(r),
            }
        } else {
            self.definition
                .highlight_more(&self.session.definition, &self.theme);
        }
    }

    /// A run or a step stopped: say why and follow. `goal`: what the run that stopped was
    /// for (None: one step).
    fn stopped(&mut self, stop: StopReason, goal: Option<RunGoal>) {
        match stop {
            StopReason::Child { task, state, name } => {
                return self.enter_child(task, &state, &name, goal);
            }
            StopReason::Finished if self.nesting.depth() > 0 => return self.leave_child(goal),
            _ => {}
        }
        self.follow();
        let msg = match &stop {
            StopReason::Stepped => None,
            StopReason::Breakpoint { state, hit, .. } => {
                Some((Level::Info, format!("breakpoint at '{state}' (hit {hit})")))
            }
            StopReason::Event {
                kind,
                state,
                detail,
            } => Some((
                Level::Warn,
                format!("stopped on {kind:?} at '{state}': {detail}"),
            )),
            StopReason::Pending { task, state } => {
                let answered = self
                    .session
                    .execution()
                    .task(*task)
                    .map_or(super::components::pending::Answered::Result, |t| {
                        super::components::pending::Answered::of(t, &self.session)
                    });
                let mut text = format!(
                    "'{state}' waits for {}: {}",
                    answered.waits_for(),
                    answered.keys(&self.keymap)
                );
                if let Some(hint) = self.timer_hint() {
                    text.push_str(&format!("; or {hint}"));
                }
                Some((Level::Info, text))
            }
            StopReason::Blocked => Some((
                Level::Info,
                match self.timer_hint() {
                    Some(hint) => format!("waiting for a task's result; or {hint}"),
                    None => "waiting: only a pending task's result can move the execution on"
                        .to_string(),
                },
            )),
            StopReason::Finished => {
                let st = self.session.status();
                let level = if matches!(st, Status::Succeeded { .. }) {
                    Level::Info
                } else {
                    Level::Error
                };
                let detail = match st {
                    Status::Failed { error, cause } | Status::TimedOut { error, cause } => {
                        format!(
                            ": {} {}",
                            error.as_deref().unwrap_or(""),
                            cause.as_deref().unwrap_or("")
                        )
                    }
                    _ => String::new(),
                };
                Some((level, format!("execution {}{detail}", st.name())))
            }
            StopReason::Diverged { at_step, reason } => Some((
                Level::Warn,
                format!("replay diverged at step {at_step}: {reason}"),
            )),
            StopReason::Child { .. } => None,
            StopReason::StepLimit => Some((
                Level::Warn,
                format!(
                    "stopped after {} steps (runaway guard); c goes on",
                    self.session.max_steps_per_continue
                ),
            )),
        };
        if let Some((level, text)) = msg {
            self.say(level, text);
        }
        if matches!(stop, StopReason::Pending { .. }) {
            let cx = ctx!(self);
            self.pending.select_last(&cx);
        }
        self.last_stop = Some(stop);
    }

    /// A task starts a local state machine: its execution becomes the one shown. A run
    /// that met it goes on inside (stepping over or out of the task runs the child whole),
    /// one step stops at the child's start.
    fn enter_child(
        &mut self,
        task: crate::engine::TaskId,
        state: &str,
        name: &str,
        goal: Option<RunGoal>,
    ) {
        let (in_child, resume) = match goal {
            None => (None, None),
            Some(g @ (RunGoal::Continue | RunGoal::RunTo(_))) => (Some(g), None),
            Some(g) => (Some(RunGoal::Continue), Some(g)),
        };
        if let Err(e) = self.nesting.enter(&mut self.session, task, resume) {
            self.error(format!(
                "cannot open the child execution of '{state}': {e}; it waits in Pending"
            ));
            self.sync();
            return;
        }
        self.switched_execution();
        self.info(format!(
            "in a child execution of {name}, started by '{state}' ({} at its top level runs it \
             to its end and goes back)",
            self.keymap.label(Action::StepOut, 1)
        ));
        if let Some(g) = in_child {
            self.start_run(g);
        }
    }

    /// The child execution shown has ended: its parent gets its result and is shown again,
    /// and goes on with what it was doing (a continue goes on; a step stops).
    fn leave_child(&mut self, goal: Option<RunGoal>) {
        let ended = self.session.status().clone();
        let Some(left) = self.nesting.leave(&mut self.session) else {
            return;
        };
        self.switched_execution();
        // The parent's file may have been saved while the child was shown.
        if std::mem::take(&mut self.saved_while_nested) {
            self.on_reload();
        }
        let detail = match &ended {
            Status::Failed { error, .. } | Status::TimedOut { error, .. } => {
                format!(" ({})", error.as_deref().unwrap_or(""))
            }
            _ => String::new(),
        };
        let text = format!(
            "child execution of {} {}{detail}; back in '{}' of {}",
            left.name,
            left.status,
            left.state,
            self.exec().config().state_machine_name
        );
        if matches!(ended, Status::Succeeded { .. }) {
            self.info(text);
        } else {
            self.warn(text);
        }
        let next = left.resume.or(match goal {
            Some(g @ (RunGoal::Continue | RunGoal::RunTo(_))) => Some(g),
            _ => None,
        });
        match next {
            Some(g) => self.start_run(g),
            None => self.last_stop = Some(StopReason::Stepped),
        }
    }

    /// Stepping back past a child execution's first step: back in the parent, before the
    /// step that started it.
    fn step_back_out_of_child(&mut self) {
        self.nesting.abandon(&mut self.session);
        self.switched_execution();
        self.session.step_back();
        self.replaced();
        self.info(format!(
            "left the child execution; stepped back to step {} of {}",
            self.session.step_count(),
            self.exec().config().state_machine_name
        ));
    }

    /// Another execution (a child's, or its parent's again) is shown.
    fn switched_execution(&mut self) {
        self.load_definition();
        self.replaced();
        self.last_stop = None;
        self.sync();
    }

    /// The execution was replaced: derived data starts over.
    fn replaced(&mut self) {
        self.generation += 1;
        self.ix = ExecutionIndex::default();
        self.history.restart();
        self.follow();
        self.running = None;
    }

    /// Select the task of `state` in the Pending pane.
    fn select_pending(&mut self, state: &str) {
        self.pending.select_state(state, &ctx!(self));
    }

    /// A new execution from the start: what the last one did (its stop, its reload marker)
    /// no longer applies; an invalid save on disk still does.
    fn restart(&mut self, input: Option<Value>) {
        if self.nesting.depth() > 0 {
            self.nesting.to_root(&mut self.session);
            self.load_definition();
        }
        self.session.restart(input);
        self.replaced();
        self.last_stop = None;
        if matches!(self.reload, Some(ReloadStatus::Reloaded { .. })) {
            self.reload = None;
        }
    }

    fn on_reload(&mut self) {
        match self.session.reload() {
            ReloadOutcome::Unchanged => {}
            ReloadOutcome::Invalid { diagnostics } => {
                let d = short_diagnostic(diagnostics.first().map_or("", String::as_str));
                self.reload = Some(ReloadStatus::Invalid {
                    diagnostic: d.clone(),
                });
                self.error(format!(
                    "the saved file is invalid; still running the last good definition: {d}"
                ));
            }
            ReloadOutcome::Unreadable(e) => {
                self.reload = Some(ReloadStatus::Unreadable(e.clone()));
                self.error(format!("cannot read the definition: {e}"));
            }
            ReloadOutcome::Reloaded {
                removed_breakpoints,
                replayed_steps,
                stop,
                rerun_calls,
            } => {
                self.reloads += 1;
                self.reload = Some(ReloadStatus::Reloaded {
                    count: self.reloads,
                    replayed: replayed_steps,
                });
                self.load_definition();
                self.replaced();
                let mut text = format!("reloaded; replayed {replayed_steps} steps");
                if rerun_calls > 0 {
                    text.push_str(&format!(
                        " (the handler code changed: {rerun_calls} function call{} made again)",
                        if rerun_calls == 1 { "" } else { "s" }
                    ));
                }
                if !removed_breakpoints.is_empty() {
                    text.push_str(&format!(
                        "; breakpoints on vanished states: {}",
                        removed_breakpoints.join(", ")
                    ));
                }
                if let Some(StopReason::Diverged { at_step, reason }) = &stop {
                    text.push_str(&format!("; diverged at step {at_step}: {reason}"));
                    self.warn(text);
                } else {
                    self.info(text);
                }
            }
        }
    }

    /// Rebuild everything derived from the definition (rows, source blocks, highlighting).
    fn load_definition(&mut self) {
        let def = &self.session.definition;
        self.states.load(&def.machine);
        self.definition.load(def, &self.theme);
    }

    pub fn set_theme(&mut self, theme: Theme) {
        self.theme = theme;
        self.definition
            .restyle(&self.session.definition, &self.theme);
    }

    fn toggle_breakpoint(&mut self) {
        let name = match self.focus {
            Pane::Definition => self.definition.state_at_cursor().map(|b| b.name.clone()),
            Pane::States => self.selected_state().map(|(n, _)| n.to_string()),
            _ => self
                .selected_state()
                .map(|(n, _)| n.to_string())
                .or_else(|| self.ix.current.as_ref().map(|c| c.name.clone())),
        };
        let Some(name) = name else {
            self.warn("no state here");
            return;
        };
        if self.session.breakpoints.toggle(&name) {
            let id = self
                .session
                .breakpoints
                .list()
                .iter()
                .rev()
                .find(|b| b.state == name)
                .map_or(0, |b| b.id);
            self.info(format!("breakpoint {id} on '{name}'"));
        } else {
            self.info(format!("breakpoint on '{name}' removed"));
        }
    }

    fn open_form(&mut self, kind: FormKind) {
        let Some(task) = self.pending.selected(&ctx!(self)) else {
            self.warn("no task is waiting for a person");
            return;
        };
        // What the person sent before (a step back took it back), else a mock's answer
        // for this callback, is offered as the starting point.
        use crate::integrations::dispatch::HandAnswer;
        let previous = self
            .session
            .previous_answer(task.id, &task.state)
            .cloned()
            .or_else(|| {
                self.session.suggested_outcome(task.id).map(|o| match o {
                    TaskOutcome::Success(v) => HandAnswer::Return(v),
                    TaskOutcome::Failure(f) => HandAnswer::Error {
                        error: f.error.unwrap_or_default(),
                        cause: f.cause.unwrap_or_default(),
                    },
                })
            });
        // Otherwise a service integration starts from the answer AWS documents for it.
        let service =
            crate::integrations::services::default_answer(&task, self.exec().config().seed);
        let previous = previous.or_else(|| {
            (kind == FormKind::Success)
                .then(|| {
                    service
                        .as_ref()
                        .map(|s| HandAnswer::Return(s.output.clone()))
                })
                .flatten()
        });
        let (json_text, error, cause) = match previous {
            Some(HandAnswer::Return(v)) => (
                serde_json::to_string_pretty(&v).unwrap_or_default(),
                String::new(),
                String::new(),
            ),
            Some(HandAnswer::Error { error, cause }) => (String::new(), error, cause),
            None => (String::new(), String::new(), String::new()),
        };
        let shape = self
            .session
            .hand_shape(task.id)
            .unwrap_or(crate::integrations::dispatch::HandShape::AsIs);
        let mut f = Form {
            task: task.id,
            state: task.state.clone(),
            kind,
            shape,
            json: Editor::multi(&json_text),
            error: Editor::single(&error),
            cause: Editor::single(&cause),
            field: 0,
            valid: Ok(json!({})),
            service,
        };
        f.validate();
        self.mode = Mode::Form(Box::new(f));
    }

    /// Send what the form says; false (with a message) when it cannot be sent yet.
    fn submit_form(&mut self, f: &Form) -> bool {
        use crate::integrations::dispatch::HandAnswer;
        let answer = match f.kind {
            FormKind::Success => match &f.valid {
                Ok(v) => HandAnswer::Return(v.clone()),
                Err(e) => {
                    self.error(format!("not valid JSON ({e}); fix it or Esc"));
                    return false;
                }
            },
            FormKind::Failure => HandAnswer::Error {
                error: f.error.text().trim().to_string(),
                cause: f.cause.text().trim().to_string(),
            },
        };
        let what = match f.kind {
            FormKind::Success => "success",
            FormKind::Failure => "failure",
        };
        match self.session.complete_by_hand(f.task, answer) {
            Ok(()) => {
                self.info(format!(
                    "sent {what} to '{}'; {} continues",
                    f.state,
                    self.keymap.label(Action::Continue, 2)
                ));
                self.inspector.inspect = Inspect::Latest;
            }
            Err(e) => self.error(e),
        }
        true
    }

    /// A SendTask* call from the callback endpoint (`--listen`).
    pub fn apply_callback(
        &mut self,
        token: &str,
        action: &crate::session::callback::CallbackAction,
    ) -> Result<(), crate::session::callback::CallbackError> {
        let state = self
            .exec()
            .task_by_token(token)
            .map(|t| t.state.clone())
            .unwrap_or_default();
        let r = self.session.callback(token, action);
        let what = action.operation();
        match &r {
            Ok(()) => self.info(format!("{what} for '{state}' from the callback endpoint")),
            Err(e) => self.warn(format!("{what} refused: {} ({e})", e.code())),
        }
        self.sync();
        r
    }

    fn heartbeat(&mut self) {
        let Some(task) = self.pending.selected(&ctx!(self)) else {
            self.warn("no task is waiting for a person");
            return;
        };
        if !self.session.waits_for_token(&task) {
            self.warn(format!(
                "'{}' has no task token: it waits for its function's result, and only a \
                 token's holder sends heartbeats",
                task.state
            ));
        } else if self.session.heartbeat(task.id) {
            self.info(format!("heartbeat sent to '{}'", task.state));
        } else {
            self.warn("the task is no longer pending");
        }
    }

    fn state_exists(&self, name: &str) -> bool {
        self.session.definition.machine.has_state(name)
    }

    /// A `:` command line.
    pub fn run_command(&mut self, line: &str) {
        match commands::parse(line) {
            Ok(Some(c)) => self.run(c),
            Ok(None) => {}
            Err(e) => self.error(e),
        }
    }

    fn run(&mut self, c: Command) {
        match c {
            Command::Break {
                state: None,
                temporary: false,
                ..
            } => self.list_breakpoints(),
            Command::Break {
                state,
                condition,
                temporary,
                after,
                log,
                at,
            } => {
                let state = state.unwrap_or_default();
                // A state of a child state machine: its breakpoints wait for its executions.
                let here = self.state_exists(&state);
                let child = (!here)
                    .then(|| {
                        self.session
                            .children()
                            .into_iter()
                            .find(|c| c.machine.has_state(&state))
                    })
                    .flatten();
                if !here && child.is_none() {
                    self.error(format!("no state named '{state}' (Tab completes names)"));
                    return;
                }
                let bps = match &child {
                    Some(c) => self.nesting.breakpoints_of(&c.name),
                    None => &mut self.session.breakpoints,
                };
                let added = if temporary {
                    bps.add_temporary(&state, condition.as_deref())
                } else {
                    bps.add_at(&state, at, condition.as_deref())
                };
                if let (Ok(id), Some(m)) = (&added, &log) {
                    bps.set_log(*id, m);
                }
                if let (Ok(id), Some(n)) = (&added, after) {
                    bps.set_hit_target(*id, Some(n + 1));
                }
                let kind = match (&log, temporary) {
                    (Some(_), _) => "log point",
                    (None, true) => "one-shot breakpoint",
                    (None, false) => "breakpoint",
                };
                match added {
                    Ok(id) => {
                        let mut text = format!("{kind} {id} on '{state}'{}", at.suffix());
                        if let Some(c) = &child {
                            text.push_str(&format!(" of child state machine {}", c.name));
                        }
                        if let Some(n) = after {
                            text.push_str(&format!(" after {n} hits"));
                        }
                        if let Some(c) = condition {
                            text.push_str(&format!(" if {c}"));
                        }
                        self.info(text);
                    }
                    Err(e) => self.error(format!("bad condition: {e}")),
                }
            }
            Command::Catch { event, on } => self.catch(event.as_deref(), on),
            Command::Delete(None) => {
                let ids: Vec<u32> = self
                    .session
                    .breakpoints
                    .list()
                    .iter()
                    .map(|b| b.id)
                    .collect();
                for id in &ids {
                    self.session.breakpoints.remove(*id);
                }
                self.info(format!("deleted {} breakpoints", ids.len()));
            }
            Command::Delete(Some(id)) => {
                if self.session.breakpoints.remove(id) {
                    self.info(format!("deleted breakpoint {id}"));
                } else {
                    self.error(format!("no breakpoint {id}"));
                }
            }
            Command::Goto(state) => {
                if !self.state_exists(&state) {
                    self.error(format!("no state named '{state}' (Tab completes names)"));
                    return;
                }
                self.start_run(RunGoal::RunTo(state));
            }
            Command::Advance(d) => self.advance(d),
            Command::SetInput(json) => self.edit(None, &json),
            Command::SetVariable(name, json) => self.edit(Some(name), &json),
            Command::Eval(text) => {
                let value = super::components::variables::evaluated(&ctx!(self), &text);
                let shown = crate::expr::compact(&value);
                self.vars.set_eval(&text, value);
                self.info(format!("{text} = {shown}"));
            }
            Command::Watch(Some(text)) => {
                let n = self.vars.add_watch(&text);
                self.info(format!("watch {n}: {text} (Variables pane)"));
            }
            Command::Watch(None) => {
                if self.vars.watches.is_empty() {
                    self.info("no watches; usage: watch EXPR");
                } else {
                    let list: Vec<String> = self
                        .vars
                        .watches
                        .iter()
                        .enumerate()
                        .map(|(i, w)| format!("{} {w}", i + 1))
                        .collect();
                    self.info(format!("watches: {}", list.join("; ")));
                }
            }
            Command::Unwatch(n) => {
                if self.vars.remove_watch(n) {
                    self.info("watch removed");
                } else {
                    self.error(format!("no watch {}", n.unwrap_or(0)));
                }
            }
            Command::Input(arg) => {
                let v = match arg {
                    None => Ok(self.session.input.clone()),
                    Some(a) => crate::session::launch::read_json_arg(&a, "input"),
                };
                match v {
                    Ok(v) => {
                        self.restart(Some(v));
                        self.info("restarted with the new input");
                    }
                    Err(e) => self.error(e),
                }
            }
            Command::Export(path) => match self.session.export_history(Path::new(&path)) {
                Ok(()) => self.info(format!(
                    "wrote {} events to {path}",
                    self.exec().history().len()
                )),
                Err(e) => self.error(e),
            },
            Command::ExportMocks(path, case) => {
                match self.session.export_mocks(Path::new(&path), &case) {
                    Ok(n) => self.info(format!(
                        "wrote {n} answers to {path} (state machine {}, test case {case}); the next \
                         run beside it answers with them",
                        self.exec().config().state_machine_name
                    )),
                    Err(e) => self.error(e),
                }
            }
            Command::ExportGraph(path) => {
                use crate::graph::{Block, RunMarks, export};
                let events = crate::session::replay::local_events(self.exec());
                let mut marks = RunMarks::from_history(&events);
                if let Some(c) = &self.ix.current {
                    marks.current.insert(c.name.clone());
                }
                let block = Block::of(&self.session.definition.machine);
                let text = if path.ends_with(".svg") {
                    export::svg(&block, &marks)
                } else if path.ends_with(".dot") || path.ends_with(".gv") {
                    export::dot(&block, &marks)
                } else {
                    export::mermaid(&block, &marks)
                };
                match std::fs::write(&path, text) {
                    Ok(()) => self.info(format!("wrote the graph with this run on it to {path}")),
                    Err(e) => self.error(format!("cannot write {path}: {e}")),
                }
            }
            Command::ExportRecorded(path) => match &self.replay {
                None => self.info("not a replay: `stepdbg replay HISTORY` opens one"),
                Some(r) => {
                    let doc = crate::json!({ "events": r.recording.events });
                    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
                    match std::fs::write(&path, text + "\n") {
                        Ok(()) => self.info(format!(
                            "wrote the {} recorded events to {path}",
                            r.recording.events.len()
                        )),
                        Err(e) => self.error(format!("cannot write {path}: {e}")),
                    }
                }
            },
            // A whole session (input, answers, breakpoints), to replay later with `load`.
            Command::Save(path) => match self.session.save(Path::new(&path)) {
                Ok(()) => self.info(format!("saved the session to {path}")),
                Err(e) => self.error(e),
            },
            Command::Load(path) => match self.session.load_file(Path::new(&path)) {
                Ok(None) => self.info(format!(
                    "replayed {path}: {} steps",
                    self.session.step_count()
                )),
                Ok(Some(stop)) => self.info(format!("replayed {path} up to {stop:?}")),
                Err(e) => self.error(e),
            },
            Command::Theme(None) => self.info(format!(
                "theme {}; built in: {}",
                self.theme.name,
                super::theme::builtin_names().join(", ")
            )),
            Command::Theme(Some(name)) => {
                if self.theme.mono {
                    self.warn("NO_COLOR is set: colours stay off");
                    return;
                }
                match Theme::load(&name, false) {
                    Ok(t) => {
                        self.set_theme(t);
                        self.info(format!("theme {name}"));
                    }
                    Err(e) => self.error(e),
                }
            }
            Command::Restart => self.on_action(Action::Restart),
            Command::Quit => self.on_action(Action::Quit),
            Command::ForceQuit => self.quit = true,
            Command::Help => self.mode = Mode::Pager(Box::new(Pager::help())),
            Command::Problems => self.problems(),
            Command::Messages => {
                let log = self.said.iter().cloned().collect::<Vec<_>>().join("\n");
                self.view_or_copy(Action::View, Some(("messages".to_string(), log)));
            }
            Command::Divergence => match &self.replay {
                None => self.info("not a replay: `stepdbg replay HISTORY` opens one"),
                Some(r) => match r.divergence_text() {
                    Some(text) => {
                        self.view_or_copy(Action::View, Some(("divergence".into(), text)));
                    }
                    None => self.info("no divergence: the run does what AWS recorded so far"),
                },
            },
            Command::Recorded => match &self.replay {
                None => self.info("not a replay: `stepdbg replay HISTORY` opens one"),
                Some(r) => {
                    let title = format!(
                        "recorded: {} ({} events)",
                        r.recording.path.display(),
                        r.recording.events.len()
                    );
                    let text = r.recorded_text();
                    self.view_or_copy(Action::View, Some((title, text)));
                }
            },
        }
    }

    /// Show `value` (what it is, its text) whole in the viewer, or copy it.
    fn view_or_copy(&mut self, a: Action, value: Option<(String, String)>) {
        let Some((title, text)) = value else {
            return self.info("nothing selected to show here");
        };
        if a == Action::Copy {
            self.copy(&title, text);
        } else {
            self.mode = Mode::Pager(Box::new(Pager::text(title, text)));
        }
    }

    /// Put `text` on the terminal's clipboard (written by the event loop as OSC 52).
    fn copy(&mut self, what: &str, text: String) {
        if text.len() > super::pager::CLIPBOARD_MAX {
            return self.warn(format!(
                "{what} is {} KiB, more than terminals take through OSC 52; v shows it whole",
                text.len() / 1024
            ));
        }
        self.info(format!(
            "copied {what} ({} bytes) to the clipboard (OSC 52)",
            text.len()
        ));
        self.clipboard = Some(text);
    }

    /// `:problems`: every diagnostic of the definition (or of the last invalid save), whole.
    fn problems(&mut self) {
        let doc = &self.session.definition.doc;
        let mut text: Vec<String> = self
            .session
            .live_diagnostics
            .iter()
            .map(|d| d.render_plain(doc))
            .collect();
        if let Some(ReloadStatus::Invalid { diagnostic }) = &self.reload {
            text.insert(0, format!("the last save is invalid: {diagnostic}"));
        }
        if text.is_empty() {
            return self.info("no problems: the definition is valid and has no warnings");
        }
        let title = format!("problems ({})", text.len());
        self.mode = Mode::Pager(Box::new(Pager::text(title, text.join("\n"))));
    }

    fn list_breakpoints(&mut self) {
        let list: Vec<String> = self
            .session
            .breakpoints
            .list()
            .iter()
            .map(|b| {
                let c = b
                    .condition
                    .as_ref()
                    .map_or(String::new(), |(t, _)| format!(" if {t}"));
                let once = if b.temporary { " once" } else { "" };
                let after = b
                    .hit_target
                    .map_or(String::new(), |t| format!(" after {}", t.saturating_sub(1)));
                format!("{} {}{after}{c}{once} ({} hits)", b.id, b.state, b.hits)
            })
            .collect();
        if list.is_empty() {
            self.info("no breakpoints; usage: break STATE [if EXPR]");
        } else {
            self.info(format!("breakpoints: {}", list.join("; ")));
        }
    }

    /// gdb's `catch`: pause on events rather than states.
    fn catch(&mut self, what: Option<&str>, on: bool) {
        let bp = &mut self.session.breakpoints;
        let flag = match what.unwrap_or("") {
            "failure" | "failures" => &mut bp.on_failure,
            "caught" | "catch" => &mut bp.on_caught,
            "retry" | "retries" => &mut bp.on_retry,
            "pending" | "token" | "tokens" => &mut bp.on_pending,
            _ => {
                let state = |b: bool| if b { "on" } else { "off" };
                let (f, c, r, p) = (bp.on_failure, bp.on_caught, bp.on_retry, bp.on_pending);
                self.info(format!(
                    "catch failure {} · caught {} · retry {} · pending {}; usage: catch failure|caught|retry|pending [off]",
                    state(f),
                    state(c),
                    state(r),
                    state(p)
                ));
                return;
            }
        };
        *flag = on;
        self.info(format!(
            "pause on {}: {}",
            what.unwrap_or(""),
            if on { "on" } else { "off" }
        ));
    }

    // ----- derived data -----------------------------------------------------------------

    /// Bring everything derived up to date (after every update).
    fn sync(&mut self) {
        self.ix.update(&self.session);
        if self.states.follow {
            let mut fx = Vec::new();
            let cx = ctx!(self);
            self.states.follow_current(&cx, &mut fx);
            self.apply(fx);
        }
        for p in Pane::ALL {
            let h = self.pane_inner(p).map_or(10, |r| r.height as usize).max(1);
            self.with_pane(p, |c, cx| c.sync(cx, h));
        }
        self.compare_with_recording();
        for line in self.session.take_logged() {
            self.info(format!("log point {line}"));
        }
    }

    /// Replay mode: compare the run with the recording; a run stops where it first differs.
    fn compare_with_recording(&mut self) {
        let Some(r) = &mut self.replay else {
            return;
        };
        if !r.update(&self.session, self.generation, self.running.is_some()) {
            return;
        }
        let summary = r
            .divergence
            .as_ref()
            .map(super::super::session::replay::divergence::Divergence::summary)
            .unwrap_or_default();
        self.running = None;
        self.warn(format!(
            "the run diverges from the recording at {summary} (:divergence shows both sides)"
        ));
    }
}

/// A person's answer in a few words: `returned {"ok":true}` / `threw Boom: cause`.
fn describe_answer(a: &crate::integrations::dispatch::HandAnswer) -> String {
    use crate::integrations::dispatch::HandAnswer;
    match a {
        HandAnswer::Return(v) => format!(
            "sent {}",
            super::text::truncate(&crate::expr::compact(v), 60)
        ),
        HandAnswer::Error { error, cause } => {
            format!("sent failure {error}: {}", super::text::truncate(cause, 40))
        }
    }
}

/// `path:12:5: error: message` → `12:5 message`.
fn short_diagnostic(d: &str) -> String {
    let mut parts = d.splitn(4, ':');
    let (_, line, col, rest) = (parts.next(), parts.next(), parts.next(), parts.next());
    match (line, col, rest) {
        (Some(l), Some(c), Some(rest))
            if l.trim().parse::<usize>().is_ok() && c.trim().parse::<usize>().is_ok() =>
        {
            let rest = rest.trim();
            let rest = rest.strip_prefix("error:").unwrap_or(rest).trim();
            format!("{}:{} {rest}", l.trim(), c.trim())
        }
        _ => d.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_shorten_to_line_col() {
        assert_eq!(
            short_diagnostic("samples/x.asl.json:12:5: error: missing Next"),
            "12:5 missing Next"
        );
        assert_eq!(short_diagnostic("whatever"), "whatever");
    }
}
