//! The app's state and its `update`: state is data, [`App::update`] changes it with a
//! [`Msg`], and [`App::view`] (in `view.rs`) draws it from `&self`.
//!
//! Everything the panes show that is costly to compute (the state rows, the history's
//! state names and filter, visit markers, the inspector's JSON tree, highlighted source)
//! is derived here, incrementally, after each update, so drawing touches only what is on
//! screen.

use super::action::{Action, Key, Keymap};
use super::editor::Editor;
use super::highlight::Highlight;
use super::json::{FoldMemory, JsonTree};
use super::theme::Theme;
use crate::asl::model::{Machine, StateKind};
use crate::engine::{
    Execution, Status, StepRecord, TaskId, TaskOutcome, TaskRequest, ThreadPosition,
};
use crate::session::bounded::{BoundedRun, RunGoal};
use crate::session::{ReloadOutcome, Session, StopReason};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    States,
    Definition,
    Inspector,
    History,
    Pending,
    Variables,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::States,
        Pane::Definition,
        Pane::Inspector,
        Pane::History,
        Pane::Pending,
        Pane::Variables,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::States => "States",
            Pane::Definition => "Definition",
            Pane::Inspector => "Inspector",
            Pane::History => "History",
            Pane::Pending => "Pending",
            Pane::Variables => "Variables",
        }
    }

    fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// Panes that share the tabbed area in the compact layout.
    pub fn tabbed(self) -> bool {
        matches!(
            self,
            Pane::Definition | Pane::Inspector | Pane::History | Pane::Variables
        )
    }
}

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
    pub task: TaskId,
    pub state: String,
    pub kind: FormKind,
    pub json: Editor,
    pub error: Editor,
    pub cause: Editor,
    /// Failure form: 0 error, 1 cause.
    pub field: usize,
    /// Live validation of the JSON editor: Err("line:col message").
    pub valid: Result<Value, String>,
}

impl Form {
    fn validate(&mut self) {
        let text = self.json.text();
        self.valid = if text.trim().is_empty() {
            Ok(json!({}))
        } else {
            serde_json::from_str::<Value>(&text)
                .map_err(|e| format!("{}:{} {}", e.line(), e.column(), strip_position(&e)))
        };
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
    Help { scroll: usize },
    Command(Editor),
    Filter(Editor),
    ConfirmQuit,
    Form(Box<Form>),
}

/// One row of the States tree.
#[derive(Debug, Clone)]
pub struct Row {
    pub depth: u16,
    pub kind: RowKind,
}

#[derive(Debug, Clone)]
pub enum RowKind {
    State {
        name: String,
        pointer: String,
        type_name: &'static str,
    },
    /// A Parallel branch.
    Branch(usize),
}

/// A state's block in the source: lines (0-based, inclusive).
#[derive(Debug, Clone)]
pub struct Block {
    pub name: String,
    pub pointer: String,
    pub start: usize,
    pub end: usize,
}

/// What the execution did at a state (for the markers).
#[derive(Debug, Clone, Copy, Default)]
pub struct Visit {
    pub count: usize,
    pub last_failed: bool,
    /// Index of the last step record of this state.
    pub last: usize,
}

/// Where execution is.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub thread: usize,
    pub name: String,
    pub pointer: String,
}

/// Which step the Inspector shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inspect {
    /// Follow the execution: the state in progress, else the last step.
    Latest,
    Step(usize),
}

/// What the inspector tree was built for (rebuilt when this changes).
#[derive(Debug, Clone, PartialEq)]
struct InspectKey {
    generation: u64,
    target: Option<(bool, usize)>,
    steps: usize,
    history: usize,
    invocations: usize,
    pending: usize,
}

/// Derived from the execution; rebuilt from scratch when the execution is replaced.
#[derive(Debug, Default)]
pub struct ExecIndex {
    pub positions: Vec<ThreadPosition>,
    pub current: Option<Current>,
    /// Map state pointer → (iterations finished, iterations in all).
    pub map_progress: HashMap<String, (usize, usize)>,
    pub pending_ptrs: HashSet<String>,
    pub visits: HashMap<String, Visit>,
    steps_seen: usize,
    /// History: the state each event belongs to (index into `names`, u32::MAX: none).
    pub names: Vec<String>,
    name_ix: HashMap<String, u32>,
    pub event_state: Vec<u32>,
    thread_state: HashMap<usize, u32>,
    map_len: HashMap<usize, usize>,
    /// (event id, thread) of each task scheduling, in order: the n-th has task id n + 1.
    sched: Vec<(u64, usize)>,
    hist_seen: usize,
    /// Events matching the filter (indices), when a filter is set.
    pub filtered: Vec<u32>,
    filter_seen: usize,
}

/// Options to start the app.
pub struct AppOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    /// A message to show at start (a broken key map file, files picked up, ...).
    pub notice: Option<String>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            theme: Theme::dark(),
            keymap: Keymap::default(),
            notice: None,
        }
    }
}

pub struct App {
    pub session: Session,
    pub theme: Theme,
    pub keymap: Keymap,
    pub size: Rect,
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
    // States
    pub rows: Vec<Row>,
    pub states_cursor: usize,
    pub states_offset: usize,
    /// The selection follows the execution.
    pub follow: bool,
    // Definition
    pub hl: Highlight,
    pub line_starts: Vec<usize>,
    pub blocks: Vec<Block>,
    pub src_cursor: usize,
    pub src_offset: usize,
    selected_pointer: Option<String>,
    // Inspector
    pub inspect: Inspect,
    pub inspector: JsonTree,
    inspected: Option<InspectKey>,
    pub inspected_record: Option<StepRecord>,
    folds: FoldMemory,
    // History
    pub filter: String,
    pub hist_cursor: usize,
    pub hist_offset: usize,
    pub hist_follow: bool,
    // Pending
    pub pend_cursor: usize,
    // Variables
    pub vars: JsonTree,
    vars_key: Option<(u64, usize, usize, Option<usize>)>,
    var_folds: FoldMemory,
    pub ix: ExecIndex,
    command_history: Vec<String>,
    command_pos: usize,
}

/// Engine steps per slice of a run (the event loop takes several slices per frame while
/// time allows; tests take them one by one).
pub const SLICE: usize = 64;
/// Lines highlighted per idle tick.
const HIGHLIGHT_CHUNK: usize = 2000;

impl App {
    pub fn new(session: Session, opts: AppOptions) -> App {
        let mut app = App {
            hl: Highlight::new(false, None),
            session,
            theme: opts.theme,
            keymap: opts.keymap,
            size: Rect::new(0, 0, 80, 24),
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
            rows: Vec::new(),
            states_cursor: 0,
            states_offset: 0,
            follow: true,
            line_starts: Vec::new(),
            blocks: Vec::new(),
            src_cursor: 0,
            src_offset: 0,
            selected_pointer: None,
            inspect: Inspect::Latest,
            inspector: JsonTree::new(),
            inspected: None,
            inspected_record: None,
            folds: FoldMemory::new(),
            filter: String::new(),
            hist_cursor: 0,
            hist_offset: 0,
            hist_follow: true,
            pend_cursor: 0,
            vars: JsonTree::new(),
            vars_key: None,
            var_folds: FoldMemory::new(),
            ix: ExecIndex::default(),
            command_history: Vec::new(),
            command_pos: 0,
        };
        app.load_definition();
        app.sync();
        app
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
        self.running.as_ref().is_some_and(|r| !r.run.waiting) || !self.hl.is_done()
    }

    /// READY, RUNNING, PAUSED, WAITING, SUCCEEDED, FAILED or TIMED_OUT.
    pub fn status_word(&self) -> &'static str {
        match self.session.status() {
            Status::Running => {
                if self.running.is_some() {
                    "RUNNING"
                } else if self.session.journal().is_empty() {
                    "READY"
                } else if !self.session.pending().is_empty()
                    && self.exec().next_runnable().is_none()
                {
                    "WAITING"
                } else {
                    "PAUSED"
                }
            }
            s => s.name(),
        }
    }

    /// Has the execution started and not ended (quitting asks first)?
    pub fn execution_live(&self) -> bool {
        !self.session.status().is_done() && !self.session.journal().is_empty()
    }

    pub fn selected_state(&self) -> Option<(&str, &str)> {
        match &self.rows.get(self.states_cursor)?.kind {
            RowKind::State { name, pointer, .. } => Some((name, pointer)),
            RowKind::Branch(_) => None,
        }
    }

    pub fn history_len(&self) -> usize {
        if self.filter.is_empty() {
            self.exec().history().len()
        } else {
            self.ix.filtered.len()
        }
    }

    /// The index into the history of the `i`-th shown event.
    pub fn history_event(&self, i: usize) -> Option<usize> {
        if self.filter.is_empty() {
            (i < self.exec().history().len()).then_some(i)
        } else {
            self.ix.filtered.get(i).map(|&x| x as usize)
        }
    }

    pub fn event_state_name(&self, i: usize) -> &str {
        match self.ix.event_state.get(i) {
            Some(&n) if n != u32::MAX => &self.ix.names[n as usize],
            _ => "",
        }
    }

    /// The block of the state whose block holds source line `line` (innermost).
    pub fn block_at(&self, line: usize) -> Option<&Block> {
        self.blocks
            .iter()
            .filter(|b| b.start <= line && line <= b.end)
            .min_by_key(|b| b.end - b.start)
    }

    pub fn block_of(&self, pointer: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.pointer == pointer)
    }

    /// The source text of line `n` (0-based, without the newline).
    pub fn source_line(&self, n: usize) -> &str {
        let text = &self.session.definition.doc.source.text;
        let Some(&start) = self.line_starts.get(n) else {
            return "";
        };
        let end = self.line_starts.get(n + 1).map_or(text.len(), |&e| e);
        text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn source_line_count(&self) -> usize {
        self.line_starts.len()
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
            Msg::Resize(w, h) => self.size = Rect::new(0, 0, w, h),
            Msg::Action(a) => self.on_action(a),
            Msg::Tick { steps } => self.on_tick(steps),
            Msg::FileChanged => self.on_reload(),
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
        while !self.hl.is_done() {
            self.update(Msg::Tick { steps: SLICE });
        }
    }

    fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            level: Level::Info,
            text: text.into(),
        });
    }

    fn warn(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            level: Level::Warn,
            text: text.into(),
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            level: Level::Error,
            text: text.into(),
        });
    }

    fn on_key(&mut self, k: KeyEvent) {
        let mode = std::mem::replace(&mut self.mode, Mode::Normal);
        self.mode = match mode {
            Mode::Normal => {
                if let Some(a) = self.keymap.action(Key::from_event(&k)) {
                    self.message = None;
                    self.on_action(a);
                }
                return;
            }
            Mode::Help { scroll } => match k.code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter => {
                    Mode::Normal
                }
                KeyCode::Down | KeyCode::Char('j') => Mode::Help { scroll: scroll + 1 },
                KeyCode::Up | KeyCode::Char('k') => Mode::Help {
                    scroll: scroll.saturating_sub(1),
                },
                KeyCode::PageDown | KeyCode::Char(' ') => Mode::Help {
                    scroll: scroll + 10,
                },
                KeyCode::PageUp => Mode::Help {
                    scroll: scroll.saturating_sub(10),
                },
                KeyCode::Home | KeyCode::Char('g') => Mode::Help { scroll: 0 },
                _ => Mode::Help { scroll },
            },
            Mode::ConfirmQuit => {
                if matches!(
                    k.code,
                    KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter
                ) {
                    self.quit = true;
                }
                Mode::Normal
            }
            Mode::Command(mut ed) => match k.code {
                KeyCode::Esc => Mode::Normal,
                KeyCode::Enter => {
                    let line = ed.text();
                    if !line.trim().is_empty() {
                        self.command_history.push(line.clone());
                    }
                    self.command_pos = self.command_history.len();
                    self.mode = Mode::Normal;
                    self.run_command(&line);
                    return;
                }
                KeyCode::Up if self.command_pos > 0 => {
                    self.command_pos -= 1;
                    ed.set_text(&self.command_history[self.command_pos]);
                    Mode::Command(ed)
                }
                KeyCode::Down if self.command_pos < self.command_history.len() => {
                    self.command_pos += 1;
                    let t = self
                        .command_history
                        .get(self.command_pos)
                        .cloned()
                        .unwrap_or_default();
                    ed.set_text(&t);
                    Mode::Command(ed)
                }
                KeyCode::Tab => {
                    let t = self.complete_command(&ed.text());
                    ed.set_text(&t);
                    Mode::Command(ed)
                }
                KeyCode::Backspace if ed.is_empty() => Mode::Normal,
                _ => {
                    ed.handle(&k);
                    Mode::Command(ed)
                }
            },
            Mode::Filter(mut ed) => match k.code {
                KeyCode::Esc => {
                    self.set_filter(String::new());
                    Mode::Normal
                }
                KeyCode::Enter | KeyCode::Tab | KeyCode::Down | KeyCode::Up => {
                    self.mode = Mode::Normal;
                    if matches!(k.code, KeyCode::Down | KeyCode::Up) {
                        self.on_key(k);
                    }
                    return;
                }
                _ => {
                    ed.handle(&k);
                    self.set_filter(ed.text());
                    Mode::Filter(ed)
                }
            },
            Mode::Form(mut f) => {
                let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                let submit = (ctrl && matches!(k.code, KeyCode::Char('s')))
                    || (k.modifiers.contains(KeyModifiers::ALT) && k.code == KeyCode::Enter)
                    || k.code == KeyCode::F(2)
                    || (f.kind == FormKind::Failure && f.field == 1 && k.code == KeyCode::Enter);
                if k.code == KeyCode::Esc {
                    self.info("not sent");
                    Mode::Normal
                } else if submit {
                    if self.submit_form(&f) {
                        Mode::Normal
                    } else {
                        Mode::Form(f)
                    }
                } else if f.kind == FormKind::Failure
                    && matches!(k.code, KeyCode::Tab | KeyCode::BackTab | KeyCode::Enter)
                {
                    f.field = 1 - f.field;
                    Mode::Form(f)
                } else {
                    match (f.kind, f.field) {
                        (FormKind::Success, _) => {
                            f.json.handle(&k);
                            f.validate();
                        }
                        (FormKind::Failure, 0) => {
                            f.error.handle(&k);
                        }
                        _ => {
                            f.cause.handle(&k);
                        }
                    }
                    Mode::Form(f)
                }
            }
        };
    }

    fn on_paste(&mut self, s: &str) {
        match &mut self.mode {
            Mode::Command(ed) => ed.insert_str(s),
            Mode::Filter(ed) => {
                ed.insert_str(s);
                let t = ed.text();
                self.set_filter(t);
            }
            Mode::Form(f) => {
                match (f.kind, f.field) {
                    (FormKind::Success, _) => f.json.insert_str(s),
                    (FormKind::Failure, 0) => f.error.insert_str(s),
                    _ => f.cause.insert_str(s),
                }
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
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus_pane(pane);
                if !inner.contains(pos) {
                    return;
                }
                match pane {
                    Pane::States => {
                        let i = self.states_offset + row;
                        if i < self.rows.len() {
                            self.states_cursor = i;
                            self.follow = false;
                            self.select_state_changed();
                        }
                    }
                    Pane::History => {
                        let i = self.hist_offset + row;
                        if i < self.history_len() {
                            self.hist_cursor = i;
                            self.hist_follow = false;
                        }
                    }
                    Pane::Definition => {
                        let i = self.src_offset + row;
                        if i < self.source_line_count() {
                            self.src_cursor = i;
                        }
                    }
                    Pane::Pending => {
                        let n = self.pending().len();
                        if row < n {
                            self.pend_cursor = row;
                        }
                    }
                    Pane::Inspector => {
                        let header = self.inspector_header_lines();
                        if row >= header {
                            let i = self.inspector.offset + row - header;
                            if i < self.inspector.line_count() {
                                self.inspector.cursor = i;
                            }
                        }
                    }
                    Pane::Variables => {
                        let i = self.vars.offset + row;
                        if i < self.vars.line_count() {
                            self.vars.cursor = i;
                        }
                    }
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let d = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                let old = self.focus;
                self.focus = pane;
                self.move_cursor(d);
                self.focus = old;
            }
            _ => {}
        }
    }

    pub fn focus_pane(&mut self, p: Pane) {
        self.focus = p;
        if p.tabbed() {
            self.tab = p;
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
                    | A::CommandLine
            )
        {
            let k = self.keymap.label(A::Pause, 1);
            self.warn(format!("running… press {k} to pause first"));
            return;
        }
        match a {
            A::Continue => self.start_run(RunGoal::Continue, "continue"),
            A::StepOver => self.start_run(RunGoal::StepOver, "step over"),
            A::StepOut => self.start_run(RunGoal::StepOut, "step out"),
            A::StepInto => {
                let stop = self.session.step();
                self.stopped(stop);
            }
            A::StepBack => {
                if self.session.step_back() {
                    self.replaced();
                    self.info(format!(
                        "stepped back to step {}",
                        self.session.step_count()
                    ));
                } else {
                    self.warn("nothing to step back over");
                }
            }
            A::Restart => {
                self.session.restart(None);
                self.replaced();
                self.last_stop = None;
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
                self.follow = true;
                self.inspect = Inspect::Latest;
                self.hist_follow = true;
                self.follow_current();
            }
            A::SendSuccess => self.open_form(FormKind::Success),
            A::SendFailure => self.open_form(FormKind::Failure),
            A::SendHeartbeat => self.heartbeat(),
            A::Up => self.move_cursor(-1),
            A::Down => self.move_cursor(1),
            A::PageUp => {
                let h = self.page_height() as isize;
                self.move_cursor(-h);
            }
            A::PageDown => {
                let h = self.page_height() as isize;
                self.move_cursor(h);
            }
            A::Top => self.move_cursor(isize::MIN / 2),
            A::Bottom => self.move_cursor(isize::MAX / 2),
            A::Left => match self.focus {
                Pane::Inspector => self.inspector.left(&mut self.folds),
                Pane::Variables => self.vars.left(&mut self.var_folds),
                _ => {}
            },
            A::Right => match self.focus {
                Pane::Inspector => self.inspector.right(&mut self.folds),
                Pane::Variables => self.vars.right(&mut self.var_folds),
                _ => {}
            },
            A::Select => self.select(),
            A::PrevStep => self.step_inspect(-1),
            A::NextStep => self.step_inspect(1),
            A::ExpandAll | A::CollapseAll => {
                let open = a == A::ExpandAll;
                if self.focus == Pane::Variables {
                    self.vars.set_all(open, &mut self.var_folds);
                } else {
                    self.inspector.set_all(open, &mut self.folds);
                }
            }
            A::Filter => {
                self.focus_pane(Pane::History);
                self.mode = Mode::Filter(Editor::single(&self.filter));
            }
            A::FocusNext | A::FocusPrev => {
                let n = Pane::ALL.len();
                let d = if a == A::FocusNext { 1 } else { n - 1 };
                let p = Pane::ALL[(self.focus.index() + d) % n];
                self.focus_pane(p);
            }
            A::FocusStates => self.focus_pane(Pane::States),
            A::FocusDefinition => self.focus_pane(Pane::Definition),
            A::FocusInspector => self.focus_pane(Pane::Inspector),
            A::FocusHistory => self.focus_pane(Pane::History),
            A::FocusPending => self.focus_pane(Pane::Pending),
            A::FocusVariables => self.focus_pane(Pane::Variables),
            A::Zoom => self.zoom = !self.zoom,
            A::CommandLine => {
                self.command_pos = self.command_history.len();
                self.mode = Mode::Command(Editor::single(""));
            }
            A::Help => self.mode = Mode::Help { scroll: 0 },
            A::Quit => {
                if self.execution_live() || self.running.is_some() {
                    self.mode = Mode::ConfirmQuit;
                } else {
                    self.quit = true;
                }
            }
        }
    }

    fn start_run(&mut self, goal: RunGoal, label: &'static str) {
        if self.session.status().is_done() {
            self.info(format!(
                "the execution has ended ({}); r restarts",
                self.session.status().name()
            ));
            return;
        }
        let run = self.session.begin_run(goal);
        self.running = Some(Running { run, label });
        self.follow = true;
        self.inspect = Inspect::Latest;
        self.hist_follow = true;
    }

    fn on_tick(&mut self, steps: usize) {
        if self.running.is_none() && self.session.poll_background() {
            self.info("a function answered");
        }
        if let Some(mut r) = self.running.take() {
            match self.session.run_bounded(&mut r.run, steps) {
                Some(stop) => self.stopped(stop),
                None => self.running = Some(r),
            }
        } else if !self.hl.is_done() {
            let text = &self.session.definition.doc.source.text;
            self.hl
                .advance(text, self.theme.syntax.as_ref(), HIGHLIGHT_CHUNK);
        }
    }

    /// A run or a step stopped: say why and follow.
    fn stopped(&mut self, stop: StopReason) {
        self.follow = true;
        self.inspect = Inspect::Latest;
        self.hist_follow = true;
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
            StopReason::Pending { state, .. } => Some((
                Level::Info,
                format!(
                    "'{state}' waits for a person: {} success, {} failure, {} heartbeat",
                    self.keymap.label(Action::SendSuccess, 1),
                    self.keymap.label(Action::SendFailure, 1),
                    self.keymap.label(Action::SendHeartbeat, 1),
                ),
            )),
            StopReason::Blocked => Some((
                Level::Info,
                "waiting: only a pending task's result can move the execution on".to_string(),
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
            StopReason::StepLimit => Some((
                Level::Warn,
                format!(
                    "stopped after {} steps (runaway guard); c goes on",
                    self.session.max_steps_per_continue
                ),
            )),
        };
        if let Some((level, text)) = msg {
            self.message = Some(Message { level, text });
        }
        if matches!(stop, StopReason::Pending { .. }) {
            self.pend_cursor = self.pending().len().saturating_sub(1);
        }
        self.last_stop = Some(stop);
    }

    /// The execution was replaced: derived data starts over.
    fn replaced(&mut self) {
        self.generation += 1;
        self.ix = ExecIndex::default();
        self.follow = true;
        self.inspect = Inspect::Latest;
        self.hist_follow = true;
        self.running = None;
    }

    fn on_reload(&mut self) {
        let outcome = self.session.reload();
        match outcome {
            ReloadOutcome::Unchanged => {}
            ReloadOutcome::Invalid { diagnostics } => {
                let d = diagnostics.first().cloned().unwrap_or_default();
                self.reload = Some(ReloadStatus::Invalid {
                    diagnostic: short_diagnostic(&d),
                });
                self.error(format!(
                    "the saved file is invalid; still running the last good definition: {}",
                    short_diagnostic(&d)
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
            } => {
                self.reloads += 1;
                self.reload = Some(ReloadStatus::Reloaded {
                    count: self.reloads,
                    replayed: replayed_steps,
                });
                self.load_definition();
                self.replaced();
                let mut text = format!("reloaded; replayed {replayed_steps} steps");
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
        let mut rows = Vec::new();
        push_rows(&def.machine, 0, &mut rows);
        self.rows = rows;
        self.states_cursor = self.states_cursor.min(self.rows.len().saturating_sub(1));
        let text = &def.doc.source.text;
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if starts.len() > 1 && starts.last() == Some(&text.len()) {
            starts.pop();
        }
        self.line_starts = starts;
        let mut blocks = Vec::new();
        def.machine.walk(&mut |s| {
            let Some(span) = def.doc.spans.get(&s.pointer) else {
                return;
            };
            let start = span.key.map_or(span.value.start, |k| k.start);
            blocks.push(Block {
                name: s.name.clone(),
                pointer: s.pointer.clone(),
                start: def.doc.source.line_of(start) - 1,
                end: def
                    .doc
                    .source
                    .line_of(span.value.end.saturating_sub(1).max(start))
                    - 1,
            });
        });
        self.blocks = blocks;
        let yaml = def.doc.format == crate::asl::source::Format::Yaml;
        self.hl = Highlight::new(yaml, self.theme.syntax.as_ref());
        // The first screenfuls at once; the rest as the loop idles.
        self.hl
            .advance(text, self.theme.syntax.as_ref(), HIGHLIGHT_CHUNK);
        self.src_cursor = self
            .src_cursor
            .min(self.line_starts.len().saturating_sub(1));
        self.selected_pointer = None;
    }

    pub fn set_theme(&mut self, theme: Theme) {
        self.theme = theme;
        let yaml = self.session.definition.doc.format == crate::asl::source::Format::Yaml;
        self.hl = Highlight::new(yaml, self.theme.syntax.as_ref());
        self.hl.advance(
            &self.session.definition.doc.source.text,
            self.theme.syntax.as_ref(),
            HIGHLIGHT_CHUNK,
        );
    }

    fn page_height(&self) -> usize {
        self.pane_inner(self.focus)
            .map_or(10, |r| (r.height as usize).saturating_sub(1).max(1))
    }

    fn move_cursor(&mut self, d: isize) {
        let mv = |cur: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (cur as isize).saturating_add(d).clamp(0, len as isize - 1) as usize
        };
        match self.focus {
            Pane::States => {
                self.states_cursor = mv(self.states_cursor, self.rows.len());
                self.follow = false;
                self.select_state_changed();
            }
            Pane::Definition => {
                self.src_cursor = mv(self.src_cursor, self.source_line_count());
            }
            Pane::Inspector => self.inspector.move_by(d),
            Pane::History => {
                let n = self.history_len();
                self.hist_cursor = mv(self.hist_cursor, n);
                self.hist_follow = self.hist_cursor + 1 >= n;
            }
            Pane::Pending => {
                self.pend_cursor = mv(self.pend_cursor, self.pending().len());
            }
            Pane::Variables => self.vars.move_by(d),
        }
    }

    /// The States selection moved: show that state's block in the source.
    fn select_state_changed(&mut self) {
        let Some((_, ptr)) = self.selected_state() else {
            return;
        };
        let ptr = ptr.to_string();
        if self.selected_pointer.as_deref() == Some(&ptr) {
            return;
        }
        if let Some(b) = self.block_of(&ptr).cloned() {
            self.src_cursor = b.start;
            let h = self
                .pane_inner(Pane::Definition)
                .map_or(20, |r| r.height as usize);
            let visible = b.start >= self.src_offset && b.end < self.src_offset + h;
            if !visible {
                self.src_offset = b.start.saturating_sub(2);
            }
        }
        self.selected_pointer = Some(ptr);
    }

    fn follow_current(&mut self) {
        let Some(cur) = self.ix.current.clone() else {
            return;
        };
        if let Some(i) = self.rows.iter().position(
            |r| matches!(&r.kind, RowKind::State { pointer, .. } if *pointer == cur.pointer),
        ) {
            self.states_cursor = i;
            self.select_state_changed();
        }
    }

    fn select(&mut self) {
        match self.focus {
            Pane::States => {
                let Some((_, ptr)) = self.selected_state() else {
                    return;
                };
                match self.ix.visits.get(ptr) {
                    Some(v) => {
                        self.inspect = Inspect::Step(v.last);
                        self.info(format!(
                            "inspecting step {} ({})",
                            v.last + 1,
                            self.exec().steps()[v.last].state
                        ));
                    }
                    None if self.ix.current.as_ref().is_some_and(|c| c.pointer == ptr) => {
                        self.inspect = Inspect::Latest;
                        self.info("inspecting the state in progress");
                    }
                    None => self.info("this state has not run yet"),
                }
            }
            Pane::Definition => {
                if let Some(b) = self.block_at(self.src_cursor).cloned()
                    && let Some(i) = self.rows.iter().position(
                        |r| matches!(&r.kind, RowKind::State { pointer, .. } if *pointer == b.pointer),
                    )
                {
                    self.states_cursor = i;
                    self.follow = false;
                    self.selected_pointer = Some(b.pointer);
                }
            }
            Pane::Inspector => self.inspector.toggle(&mut self.folds),
            Pane::Variables => self.vars.toggle(&mut self.var_folds),
            Pane::History => {
                let Some(i) = self.history_event(self.hist_cursor) else {
                    return;
                };
                let ev = &self.exec().history()[i];
                let (id, thread) = (ev.id, ev.thread);
                let found =
                    self.exec().steps().iter().rposition(|r| {
                        r.thread == thread && r.first_event <= id && id <= r.last_event
                    });
                match found {
                    Some(s) => {
                        self.inspect = Inspect::Step(s);
                        self.info(format!("inspecting step {} (event #{id})", s + 1));
                    }
                    None => self.info(format!("event #{id} belongs to no finished step")),
                }
            }
            Pane::Pending => self.open_form(FormKind::Success),
        }
    }

    fn step_inspect(&mut self, d: isize) {
        let n = self.exec().steps().len();
        if n == 0 {
            return;
        }
        let open = self.open_record().is_some();
        // Positions: 0..n closed records, n = the open one (when there is one).
        let last = if open { n } else { n - 1 };
        let cur = match self.inspect {
            Inspect::Latest => last,
            Inspect::Step(i) => i,
        };
        let next = (cur as isize + d).clamp(0, last as isize) as usize;
        self.inspect = if next == last {
            Inspect::Latest
        } else {
            Inspect::Step(next)
        };
        if self.focus != Pane::Inspector && !self.zoom {
            self.focus_pane(Pane::Inspector);
        }
    }

    fn toggle_breakpoint(&mut self) {
        let name = match self.focus {
            Pane::Definition => self.block_at(self.src_cursor).map(|b| b.name.clone()),
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

    fn selected_pending(&self) -> Option<TaskRequest> {
        let p = self.pending();
        p.get(self.pend_cursor.min(p.len().saturating_sub(1)))
            .map(|t| (*t).clone())
    }

    fn open_form(&mut self, kind: FormKind) {
        let Some(task) = self.selected_pending() else {
            self.warn("no task is waiting for a person");
            return;
        };
        // A mock's answer for this callback, if any, is offered as the starting point.
        let (json_text, error, cause) = match self.session.suggested_outcome(task.id) {
            Some(TaskOutcome::Success(v)) => (
                serde_json::to_string_pretty(&v).unwrap_or_default(),
                String::new(),
                String::new(),
            ),
            Some(TaskOutcome::Failure(f)) => (
                String::new(),
                f.error.unwrap_or_default(),
                f.cause.unwrap_or_default(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        let mut f = Form {
            task: task.id,
            state: task.state.clone(),
            kind,
            json: Editor::multi(&json_text),
            error: Editor::single(&error),
            cause: Editor::single(&cause),
            field: 0,
            valid: Ok(json!({})),
        };
        f.validate();
        self.mode = Mode::Form(Box::new(f));
    }

    /// Send what the form says; false (with a message) when it cannot be sent yet.
    fn submit_form(&mut self, f: &Form) -> bool {
        let outcome = match f.kind {
            FormKind::Success => match &f.valid {
                Ok(v) => TaskOutcome::Success(v.clone()),
                Err(e) => {
                    self.error(format!("not valid JSON ({e}); fix it or Esc"));
                    return false;
                }
            },
            FormKind::Failure => {
                crate::session::failure(f.error.text().trim(), f.cause.text().trim())
            }
        };
        let what = match f.kind {
            FormKind::Success => "success",
            FormKind::Failure => "failure",
        };
        match self.session.complete(f.task, outcome) {
            Ok(()) => {
                self.info(format!(
                    "sent {what} to '{}'; {} continues",
                    f.state,
                    self.keymap.label(Action::Continue, 2)
                ));
                self.inspect = Inspect::Latest;
                true
            }
            Err(e) => {
                self.error(e);
                true
            }
        }
    }

    /// A SendTask* call from the callback endpoint (`--listen`).
    pub fn apply_callback(
        &mut self,
        token: &str,
        action: &crate::session::callback::CallbackAction,
    ) -> Result<(), crate::session::callback::CallbackError> {
        use crate::session::callback::CallbackAction as C;
        let state = self
            .exec()
            .task_by_token(token)
            .map(|t| t.state.clone())
            .unwrap_or_default();
        let r = self.session.callback(token, action);
        let what = match action {
            C::Success { .. } => "SendTaskSuccess",
            C::Failure { .. } => "SendTaskFailure",
            C::Heartbeat => "SendTaskHeartbeat",
        };
        match &r {
            Ok(()) => self.info(format!("{what} for '{state}' from the callback endpoint")),
            Err(e) => self.warn(format!("{what} refused: {e:?}")),
        }
        self.sync();
        r
    }

    fn heartbeat(&mut self) {
        let Some(task) = self.selected_pending() else {
            self.warn("no task is waiting for a person");
            return;
        };
        if self.session.heartbeat(task.id) {
            self.info(format!("heartbeat sent to '{}'", task.state));
        } else {
            self.warn("the task is no longer pending");
        }
    }

    fn set_filter(&mut self, f: String) {
        if f != self.filter {
            self.filter = f;
            self.ix.filtered.clear();
            self.ix.filter_seen = 0;
            self.hist_cursor = 0;
            self.hist_offset = 0;
            self.hist_follow = true;
        }
    }

    /// Tab completion of state names after `break `/`goto `.
    fn complete_command(&self, text: &str) -> String {
        let (cmd, arg) = text.split_once(' ').unwrap_or((text, ""));
        if !matches!(cmd, "break" | "b" | "goto" | "g" | "tbreak") || arg.contains(" if ") {
            return text.to_string();
        }
        let mut names = Vec::new();
        self.session
            .definition
            .machine
            .walk(&mut |s| names.push(s.name.clone()));
        let matches: Vec<&String> = names.iter().filter(|n| n.starts_with(arg)).collect();
        match matches.as_slice() {
            [] => text.to_string(),
            [one] => format!("{cmd} {one}"),
            many => {
                let mut prefix = many[0].clone();
                for m in &many[1..] {
                    while !m.starts_with(&prefix) {
                        prefix.pop();
                    }
                }
                format!("{cmd} {prefix}")
            }
        }
    }

    fn state_exists(&self, name: &str) -> bool {
        let mut found = false;
        self.session
            .definition
            .machine
            .walk(&mut |s| found |= s.name == name);
        found
    }

    /// `:` commands.
    pub fn run_command(&mut self, line: &str) {
        let line = line.trim();
        let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        let unquote = |s: &str| s.trim().trim_matches('"').trim_matches('\'').to_string();
        match cmd {
            "" => {}
            "break" | "b" => {
                let (state, cond) = match arg.split_once(" if ") {
                    Some((s, c)) => (unquote(s), Some(c.trim())),
                    None => (unquote(arg), None),
                };
                if state.is_empty() {
                    let list: Vec<String> = self
                        .session
                        .breakpoints
                        .list()
                        .iter()
                        .map(|b| {
                            let c = b.condition.as_ref().map_or(String::new(), |(t, _)| format!(" if {t}"));
                            format!("{} {}{c} ({} hits)", b.id, b.state, b.hits)
                        })
                        .collect();
                    if list.is_empty() {
                        self.info("no breakpoints; usage: break STATE [if EXPR]");
                    } else {
                        self.info(format!("breakpoints: {}", list.join("; ")));
                    }
                    return;
                }
                if !self.state_exists(&state) {
                    self.error(format!("no state named '{state}' (Tab completes names)"));
                    return;
                }
                match self.session.breakpoints.add(&state, cond) {
                    Ok(id) => self.info(match cond {
                        Some(c) => format!("breakpoint {id} on '{state}' if {c}"),
                        None => format!("breakpoint {id} on '{state}'"),
                    }),
                    Err(e) => self.error(format!("bad condition: {e}")),
                }
            }
            // gdb's `catch`: pause on events rather than states.
            "catch" => {
                let mut words = arg.split_whitespace();
                let what = words.next().unwrap_or("");
                let on = words.next() != Some("off");
                let bp = &mut self.session.breakpoints;
                let flag = match what {
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
                self.info(format!("pause on {what}: {}", if on { "on" } else { "off" }));
            }
            "delete" | "d" => {
                if arg.is_empty() {
                    let ids: Vec<u32> = self.session.breakpoints.list().iter().map(|b| b.id).collect();
                    for id in &ids {
                        self.session.breakpoints.remove(*id);
                    }
                    self.info(format!("deleted {} breakpoints", ids.len()));
                    return;
                }
                match arg.parse::<u32>() {
                    Ok(id) if self.session.breakpoints.remove(id) => {
                        self.info(format!("deleted breakpoint {id}"));
                    }
                    Ok(id) => self.error(format!("no breakpoint {id}")),
                    Err(_) => self.error("usage: delete N (or delete for all)"),
                }
            }
            "goto" | "g" | "until" => {
                let state = unquote(arg);
                if !self.state_exists(&state) {
                    self.error(format!("no state named '{state}' (Tab completes names)"));
                    return;
                }
                self.start_run(RunGoal::RunTo(state), "goto");
            }
            "input" => {
                let v = if arg.is_empty() {
                    Ok(self.session.input.clone())
                } else {
                    crate::session::launch::read_json_arg(arg, "input")
                };
                match v {
                    Ok(v) => {
                        self.session.restart(Some(v));
                        self.replaced();
                        self.last_stop = None;
                        self.info("restarted with the new input");
                    }
                    Err(e) => self.error(e),
                }
            }
            "export" => {
                if arg.is_empty() {
                    self.error("usage: export PATH");
                    return;
                }
                match self.session.export_history(Path::new(arg)) {
                    Ok(()) => self.info(format!("wrote {} events to {arg}", self.exec().history().len())),
                    Err(e) => self.error(e),
                }
            }
            // A whole session (input, answers, breakpoints), to replay later with `load`.
            "save" => {
                if arg.is_empty() {
                    self.error("usage: save PATH");
                    return;
                }
                match self.session.save(Path::new(arg)) {
                    Ok(()) => self.info(format!("saved the session to {arg}")),
                    Err(e) => self.error(e),
                }
            }
            "load" => {
                if arg.is_empty() {
                    self.error("usage: load PATH");
                    return;
                }
                match self.session.load_file(Path::new(arg)) {
                    Ok(None) => self.info(format!("replayed {arg}: {} steps", self.session.step_count())),
                    Ok(Some(stop)) => self.info(format!("replayed {arg} up to {stop:?}")),
                    Err(e) => self.error(e),
                }
            }
            "theme" => {
                if arg.is_empty() {
                    self.info(format!(
                        "theme {}; built in: {}",
                        self.theme.name,
                        super::theme::builtin_names().join(", ")
                    ));
                    return;
                }
                if self.theme.mono {
                    self.warn("NO_COLOR is set: colours stay off");
                    return;
                }
                match Theme::load(arg, false) {
                    Ok(t) => {
                        self.set_theme(t);
                        self.info(format!("theme {arg}"));
                    }
                    Err(e) => self.error(e),
                }
            }
            "restart" => self.on_action(Action::Restart),
            "q" | "quit" => self.on_action(Action::Quit),
            "q!" | "quit!" => self.quit = true,
            "help" | "h" => self.mode = Mode::Help { scroll: 0 },
            other => self.error(format!(
                "unknown command '{other}': break STATE [if EXPR], catch EVENT, delete N, goto STATE, input JSON, export PATH, save PATH, load PATH, theme NAME"
            )),
        }
    }

    // ----- derived data -----------------------------------------------------------------

    /// Bring everything derived up to date (after every update).
    fn sync(&mut self) {
        self.index_execution();
        if self.follow {
            self.follow_current();
        }
        // Keep selections in range.
        self.states_cursor = self.states_cursor.min(self.rows.len().saturating_sub(1));
        let hn = self.history_len();
        if self.hist_follow {
            self.hist_cursor = hn.saturating_sub(1);
        }
        self.hist_cursor = self.hist_cursor.min(hn.saturating_sub(1));
        let pn = self.pending().len();
        self.pend_cursor = self.pend_cursor.min(pn.saturating_sub(1));
        self.src_cursor = self
            .src_cursor
            .min(self.source_line_count().saturating_sub(1));
        // While a run goes on, the trees wait for it to stop (they can be big).
        if self.running.is_none() {
            self.build_inspector();
            self.build_vars();
        }
        // Scroll offsets so cursors show.
        let h = |p: Pane, app: &App| app.pane_inner(p).map_or(10, |r| r.height as usize).max(1);
        let hs = h(Pane::States, self);
        self.states_offset =
            keep_visible(self.states_cursor, self.states_offset, hs, self.rows.len());
        let hd = h(Pane::Definition, self);
        self.src_offset = keep_visible(
            self.src_cursor,
            self.src_offset,
            hd,
            self.source_line_count(),
        );
        let hh = h(Pane::History, self).saturating_sub(1).max(1);
        self.hist_offset = keep_visible(self.hist_cursor, self.hist_offset, hh, hn);
        let hi = h(Pane::Inspector, self)
            .saturating_sub(self.inspector_header_lines())
            .max(1);
        self.inspector.scroll_into_view(hi);
        let hv = h(Pane::Variables, self);
        self.vars.scroll_into_view(hv);
    }

    fn intern(ix: &mut ExecIndex, name: &str) -> u32 {
        if let Some(&i) = ix.name_ix.get(name) {
            return i;
        }
        let i = ix.names.len() as u32;
        ix.names.push(name.to_string());
        ix.name_ix.insert(name.to_string(), i);
        i
    }

    fn index_execution(&mut self) {
        let exec = self.session.execution();
        let ix = &mut self.ix;
        // Step records (prefix-stable while the execution is the same).
        let steps = exec.steps();
        if steps.len() < ix.steps_seen {
            *ix = ExecIndex::default();
        }
        for (i, rec) in steps.iter().enumerate().skip(ix.steps_seen) {
            let v = ix.visits.entry(rec.state_pointer.clone()).or_default();
            v.count += 1;
            v.last = i;
            v.last_failed = rec.error.is_some();
        }
        ix.steps_seen = steps.len();
        // History: the state each event belongs to, Map sizes, task schedulings.
        let hist = exec.history();
        if hist.len() < ix.hist_seen {
            ix.event_state.clear();
            ix.thread_state.clear();
            ix.map_len.clear();
            ix.sched.clear();
            ix.hist_seen = 0;
            ix.filtered.clear();
            ix.filter_seen = 0;
        }
        for ev in &hist[ix.hist_seen..] {
            let mut s = ix.thread_state.get(&ev.thread).copied().unwrap_or(u32::MAX);
            if ev.kind.ends_with("StateEntered")
                && let Some(n) = ev.state_name()
            {
                s = App::intern(ix, n);
                ix.thread_state.insert(ev.thread, s);
            }
            ix.event_state.push(s);
            if ev.kind.ends_with("StateExited") {
                ix.thread_state.remove(&ev.thread);
            }
            match ev.kind {
                "MapStateStarted" => {
                    let n = match &ev.data {
                        crate::engine::history::EventData::Json(d) => {
                            d.get("length").and_then(Value::as_u64).unwrap_or(0)
                        }
                        _ => 0,
                    };
                    ix.map_len.insert(ev.thread, n as usize);
                }
                "TaskScheduled" | "LambdaFunctionScheduled" => ix.sched.push((ev.id, ev.thread)),
                _ => {}
            }
        }
        ix.hist_seen = hist.len();
        if !self.filter.is_empty() {
            let needle = self.filter.to_lowercase();
            for (i, ev) in hist.iter().enumerate().skip(ix.filter_seen) {
                let st = match ix.event_state.get(i) {
                    Some(&n) if n != u32::MAX => ix.names[n as usize].as_str(),
                    _ => "",
                };
                if ev.kind.to_lowercase().contains(&needle)
                    || st.to_lowercase().contains(&needle)
                    || ev.id.to_string() == needle
                {
                    ix.filtered.push(i as u32);
                }
            }
            ix.filter_seen = hist.len();
        }
        // Where threads are, what is pending, Map progress, the current state.
        ix.positions = exec.thread_positions();
        let pending = self.session.pending();
        ix.pending_ptrs = pending.iter().map(|t| t.state_pointer.clone()).collect();
        let mut children: HashMap<usize, usize> = HashMap::new();
        for p in &ix.positions {
            if let Some(parent) = p.parent
                && matches!(p.status, "succeeded" | "failed" | "aborted")
            {
                *children.entry(parent).or_default() += 1;
            }
        }
        ix.map_progress.clear();
        for p in &ix.positions {
            if p.status == "waiting-children"
                && let Some(&total) = ix.map_len.get(&p.thread)
            {
                let e = ix.map_progress.entry(p.state_pointer.clone()).or_default();
                e.0 += children.get(&p.thread).copied().unwrap_or(0).min(total);
                e.1 += total;
            }
        }
        let cur = if let Some(t) = exec.next_runnable() {
            ix.positions
                .iter()
                .find(|p| p.thread == t)
                .map(|p| Current {
                    thread: t,
                    name: p.state.clone(),
                    pointer: p.state_pointer.clone(),
                })
        } else if let Some(t) = pending.first() {
            Some(Current {
                thread: t.thread,
                name: t.state.clone(),
                pointer: t.state_pointer.clone(),
            })
        } else {
            steps.last().map(|r| Current {
                thread: r.thread,
                name: r.state.clone(),
                pointer: r.state_pointer.clone(),
            })
        };
        ix.current = cur;
    }

    /// The record of the state in progress on the current thread (a task waiting for its
    /// result, a Map running its iterations), if any.
    pub fn open_record(&self) -> Option<&StepRecord> {
        let t = self.ix.current.as_ref()?.thread;
        open_record(self.exec(), t)
    }

    /// Which record the inspector shows: (is it the open one, index or thread).
    fn inspect_target(&self) -> Option<(bool, usize)> {
        let n = self.exec().steps().len();
        match self.inspect {
            Inspect::Step(i) if i < n => Some((false, i)),
            _ => {
                if let Some(c) = &self.ix.current
                    && open_record(self.exec(), c.thread).is_some()
                {
                    Some((true, c.thread))
                } else {
                    n.checked_sub(1).map(|i| (false, i))
                }
            }
        }
    }

    /// Lines the inspector draws above its tree.
    pub fn inspector_header_lines(&self) -> usize {
        match &self.inspected_record {
            Some(r) => 1 + usize::from(r.error.is_some()),
            None => 1,
        }
    }

    fn build_inspector(&mut self) {
        let target = self.inspect_target();
        let key = InspectKey {
            generation: self.generation,
            target,
            steps: self.exec().steps().len(),
            history: if target.is_some_and(|t| t.0) {
                self.exec().history().len()
            } else {
                0
            },
            invocations: self.session.invocations.len(),
            pending: self.pending().len(),
        };
        if self.inspected.as_ref() == Some(&key) {
            return;
        }
        let cursor = self.inspector.cursor;
        let same_target = self
            .inspected
            .as_ref()
            .is_some_and(|k| k.target == key.target);
        self.inspected = Some(key);
        let mut tree = JsonTree::new();
        let rec = match target {
            Some((true, thread)) => open_record(self.exec(), thread).cloned(),
            Some((false, i)) => self.exec().steps().get(i).cloned(),
            None => None,
        };
        match &rec {
            None => {}
            Some(rec) => {
                for t in self.session.pending() {
                    if t.thread == rec.thread && t.state == rec.state {
                        let mut v = json!({
                            "task": t.id,
                            "waitsFor": "SendTaskSuccess/SendTaskFailure (S/X here)",
                            "input": t.input,
                            "attempt": t.attempt,
                        });
                        if let Some(tok) = &t.token {
                            v["token"] = json!(tok);
                        }
                        if let Some((at, err)) = t.deadline() {
                            v["deadline"] = json!(format!(
                                "{} ({err})",
                                crate::engine::time::format_millis(at)
                            ));
                        }
                        tree.section("pending task", &v, None, &self.folds);
                    }
                }
                let mut seen: Vec<(&str, &Value)> = Vec::new();
                for (name, v) in &rec.stages {
                    let basis: &[&str] = match *name {
                        "afterInputPath" => &["input"],
                        "afterParameters" | "afterArguments" | "afterItemsPath" => {
                            &["afterInputPath", "input"]
                        }
                        "afterItemSelector" => &["afterItemsPath"],
                        "afterResultSelector" => &["result"],
                        "afterResultPath" => &["input"],
                        "output" => &["afterResultPath", "afterResultSelector", "result"],
                        _ => &[],
                    };
                    let prev = basis
                        .iter()
                        .find_map(|b| seen.iter().find(|(n, _)| n == b).map(|(_, v)| *v));
                    tree.section(name, v, prev, &self.folds);
                    seen.push((name, v));
                }
                if let Some(e) = &rec.error {
                    tree.section("error", &e.to_error_output(), None, &self.folds);
                }
                // What answered this visit's tasks.
                let ids = self.task_ids_of(rec, target.is_some_and(|t| t.0));
                for (id, detail) in &self.session.invocations {
                    if !ids.contains(id)
                        || detail.get("state").and_then(Value::as_str) != Some(&rec.state)
                    {
                        continue;
                    }
                    let mut d = detail.clone();
                    let log = d
                        .as_object_mut()
                        .and_then(|m| m.remove("log"))
                        .and_then(|l| l.as_str().map(str::to_string))
                        .unwrap_or_default();
                    tree.section(&format!("invocation (task {id})"), &d, None, &self.folds);
                    if !log.is_empty() {
                        tree.text_section(&format!("function log (task {id})"), &log, &self.folds);
                    }
                }
            }
        }
        tree.relayout();
        if same_target {
            tree.cursor = cursor.min(tree.line_count().saturating_sub(1));
        }
        self.inspector = tree;
        self.inspected_record = rec;
    }

    /// Task ids scheduled during a visit: the n-th scheduling event has task id n + 1.
    fn task_ids_of(&self, rec: &StepRecord, open: bool) -> Vec<TaskId> {
        let last = if open { u64::MAX } else { rec.last_event };
        self.ix
            .sched
            .iter()
            .enumerate()
            .filter(|(_, (ev, th))| *th == rec.thread && *ev >= rec.first_event && *ev <= last)
            .map(|(i, _)| i as TaskId + 1)
            .collect()
    }

    fn build_vars(&mut self) {
        let thread = self.ix.current.as_ref().map(|c| c.thread);
        let key = (
            self.generation,
            self.exec().steps().len(),
            self.exec().history().len(),
            thread,
        );
        if self.vars_key == Some(key) {
            return;
        }
        self.vars_key = Some(key);
        let cursor = self.vars.cursor;
        let exec = self.session.execution();
        let mut tree = JsonTree::new();
        let t = thread.unwrap_or(0);
        // The end result first once there is one.
        match exec.status() {
            Status::Succeeded { output } => {
                tree.section("execution output", output, None, &self.var_folds)
            }
            Status::Failed { .. } | Status::TimedOut { .. } => tree.section(
                "execution result",
                &exec.status().to_json(),
                None,
                &self.var_folds,
            ),
            Status::Running => {}
        }
        let vars = Value::Object(exec.variables(t));
        tree.section("variables", &vars, None, &self.var_folds);
        tree.section(
            "context ($$)",
            &exec.context_object(self.ix.current.as_ref().map_or(0, |c| c.thread)),
            None,
            &self.var_folds,
        );
        tree.relayout();
        tree.cursor = cursor.min(tree.line_count().saturating_sub(1));
        self.vars = tree;
    }
}

/// The inspection record of the state `thread` is in the middle of, if any.
pub fn open_record(exec: &Execution, thread: usize) -> Option<&StepRecord> {
    exec.open_record(thread)
}

fn push_rows(m: &Machine, depth: u16, rows: &mut Vec<Row>) {
    for s in &m.states {
        rows.push(Row {
            depth,
            kind: RowKind::State {
                name: s.name.clone(),
                pointer: s.pointer.clone(),
                type_name: s.type_name(),
            },
        });
        match &s.kind {
            StateKind::Parallel(p) => {
                for (i, b) in p.branches.iter().enumerate() {
                    rows.push(Row {
                        depth: depth + 1,
                        kind: RowKind::Branch(i),
                    });
                    push_rows(b, depth + 2, rows);
                }
            }
            StateKind::Map(map) => push_rows(&map.processor, depth + 1, rows),
            _ => {}
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

/// A scroll offset that keeps `cursor` within `height` rows.
fn keep_visible(cursor: usize, offset: usize, height: usize, len: usize) -> usize {
    let mut off = offset;
    if cursor < off {
        off = cursor;
    } else if cursor >= off + height {
        off = cursor + 1 - height;
    }
    off.min(len.saturating_sub(height))
}

/// A pane's inside (its border removed).
pub fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_add(1),
        r.y.saturating_add(1),
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
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

    #[test]
    fn offsets_keep_the_cursor_visible() {
        assert_eq!(keep_visible(0, 0, 10, 100), 0);
        assert_eq!(keep_visible(15, 0, 10, 100), 6);
        assert_eq!(keep_visible(3, 6, 10, 100), 3);
        assert_eq!(keep_visible(99, 0, 10, 100), 90);
        assert_eq!(keep_visible(2, 50, 10, 5), 0);
    }
}
