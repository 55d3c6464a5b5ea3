//! `stepdbg serve --tui`: the debugger on the server. A screen lists the state machines
//! and executions the test suite created, live; Enter on a state machine opens its
//! definition in the usual panes, where the breakpoints set become the machine's (its
//! executions pause before those states, their DescribeExecution saying RUNNING); Enter on
//! an execution pauses it and opens it in the usual panes, stepped, inspected and its
//! pending tasks answered there; quitting the panes gives it back to run on (detach).

use super::app::{App, AppOptions};
use crate::engine::{Config, Execution};
use crate::project::Target;
use crate::serve::api::Service;
use crate::serve::debug::{ExecutionView, Lent, MachineView};
use crate::session::{ManualResolver, Resolver, Session, SessionOptions};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, List, ListState, Paragraph, StatefulWidget, Widget};
use std::path::PathBuf;
use std::sync::Arc;

/// Which list has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Machines,
    Executions,
}

/// What a key on the screen asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Open {
    /// A state machine's definition, to set its breakpoints (by name).
    Machine(String),
    /// An execution, to attach to (by ARN).
    Execution(String),
    Quit,
}

/// The screen's state; what it lists is read from the service at each draw.
pub struct ServerScreen {
    pub service: Arc<Service>,
    /// Where the API listens, for the title.
    pub addr: String,
    pub column: Column,
    pub machines: ListState,
    pub executions: ListState,
    pub message: Option<String>,
}

impl ServerScreen {
    pub fn new(service: Arc<Service>, addr: String) -> ServerScreen {
        ServerScreen {
            service,
            addr,
            column: Column::Executions,
            machines: ListState::default().with_selected(Some(0)),
            executions: ListState::default().with_selected(Some(0)),
            message: Some(
                "Enter on a state machine: its breakpoints · Enter on an execution: pause and \
                 open it (q there gives it back) · Tab: the other list · q: stop the server"
                    .into(),
            ),
        }
    }

    pub fn on_key(&mut self, k: &KeyEvent) -> Option<Open> {
        let (machines, executions) = (self.service.machines_view(), self.service.executions_view());
        let (list, len) = match self.column {
            Column::Machines => (&mut self.machines, machines.len()),
            Column::Executions => (&mut self.executions, executions.len()),
        };
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => return Some(Open::Quit),
            KeyCode::Up | KeyCode::Char('k') => list.select_previous(),
            KeyCode::Down | KeyCode::Char('j') => list.select_next(),
            KeyCode::Tab | KeyCode::Left | KeyCode::Right | KeyCode::Char('h' | 'l') => {
                self.column = match self.column {
                    Column::Machines => Column::Executions,
                    Column::Executions => Column::Machines,
                };
            }
            KeyCode::Enter => {
                let i = list.selected().unwrap_or(0);
                if len == 0 {
                    self.message = Some(match self.column {
                        Column::Machines => "no state machine yet: the suite creates them".into(),
                        Column::Executions => "no execution yet: the suite starts them".into(),
                    });
                    return None;
                }
                let i = i.min(len - 1);
                return Some(match self.column {
                    Column::Machines => Open::Machine(machines[i].name.clone()),
                    Column::Executions => Open::Execution(executions[i].arn.clone()),
                });
            }
            _ => {}
        }
        None
    }

    pub fn render(&mut self, area: Rect, buf: &mut Buffer, theme: &super::Theme) {
        let pal = &theme.palette;
        let machines = self.service.machines_view();
        let executions = self.service.executions_view();
        let [main, bar] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                .areas(main);
        let block = |title: String, focused: bool| {
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(if focused {
                    pal.border_focus
                } else {
                    pal.border
                })
                .title(Span::styled(
                    title,
                    if focused { pal.title_focus } else { pal.title },
                ))
        };
        let highlight = Style::default().add_modifier(Modifier::REVERSED);
        let items: Vec<Line> = machines.iter().map(|m| machine_line(m, pal)).collect();
        let list = List::new(items)
            .block(block(
                format!(" State machines ({}) ", machines.len()),
                self.column == Column::Machines,
            ))
            .highlight_style(highlight)
            .highlight_symbol("▶ ");
        StatefulWidget::render(list, left, buf, &mut self.machines);
        let items: Vec<Line> = executions.iter().map(|e| execution_line(e, pal)).collect();
        let paused = executions.iter().filter(|e| e.paused_at.is_some()).count();
        let list = List::new(items)
            .block(block(
                format!(
                    " Executions ({}{}) · the API on http://{} ",
                    executions.len(),
                    if paused > 0 {
                        format!(", {paused} paused")
                    } else {
                        String::new()
                    },
                    self.addr
                ),
                self.column == Column::Executions,
            ))
            .highlight_style(highlight)
            .highlight_symbol("▶ ");
        StatefulWidget::render(list, right, buf, &mut self.executions);
        let text = self.message.clone().unwrap_or_default();
        Paragraph::new(Line::from(Span::styled(text, pal.status)))
            .style(pal.status)
            .render(bar, buf);
    }
}

fn machine_line(m: &MachineView, pal: &super::theme::Palette) -> Line<'static> {
    let mut spans = vec![
        Span::styled(m.name.clone(), pal.base.add_modifier(Modifier::BOLD)),
        Span::styled(
            format!(
                "  {} · {} execution{}",
                if m.express { "EXPRESS" } else { "STANDARD" },
                m.executions,
                if m.executions == 1 { "" } else { "s" }
            ),
            pal.dim,
        ),
    ];
    if !m.breakpoints.is_empty() {
        spans.push(Span::styled(
            format!("  ● {}", m.breakpoints.join(", ")),
            pal.breakpoint,
        ));
    }
    Line::from(spans)
}

fn execution_line(e: &ExecutionView, pal: &super::theme::Palette) -> Line<'static> {
    let (word, style) = match (&e.paused_at, e.attached, e.status) {
        (_, true, _) => ("OPEN".to_string(), pal.current),
        (Some(at), _, _) => (format!("⏸ paused before '{at}'"), pal.pending),
        (None, _, "SUCCEEDED") => ("SUCCEEDED".into(), pal.ok),
        (None, _, "RUNNING") => ("RUNNING".into(), pal.warn),
        (None, _, other) => (other.to_string(), pal.error),
    };
    Line::from(vec![
        Span::styled(format!("{:<28} ", e.name), pal.base),
        Span::styled(format!("{:<16} ", e.machine), pal.dim),
        Span::styled(word, style),
    ])
}

/// The state machine `name`'s definition in the usual panes, its breakpoints the server's
/// (it can be run here too, its tasks answered by hand).
pub fn machine_app(service: &Service, name: &str, opts: AppOptions) -> Option<App> {
    let text = service.machine_definition(name)?;
    let path = virtual_path(name);
    let def = crate::asl::from_bytes(&path, text.into_bytes()).ok()?;
    let config = Config {
        state_machine_name: name.to_string(),
        ..Config::default()
    };
    let mut session = Session::from_target(
        Target::file(&path),
        def,
        SessionOptions {
            input: None,
            config,
        },
        Box::new(ManualResolver),
    );
    add_breakpoints(&mut session, &service.breakpoints_of(name));
    Some(App::new(session, opts))
}

/// The execution lent by the server, in the usual panes: stepping goes on from where it
/// paused; its tasks are answered as the server answers them (or by hand).
pub fn execution_app(service: &Service, lent: Lent, opts: AppOptions) -> Result<App, String> {
    let path = virtual_path(&lent.machine);
    let def = match crate::asl::from_bytes(&path, lent.definition.into_bytes()) {
        Ok(d) => d,
        Err(e) => {
            // Given back untouched.
            service.detach(&lent.arn, lent.exec, lent.dispatcher);
            return Err(e.to_string());
        }
    };
    // Answered as the server answers them (a mocked callback task too); what nobody
    // answers is the person's.
    let resolver: Box<dyn Resolver> = match lent.dispatcher {
        Some(d) => Box::new(d),
        None => Box::new(ManualResolver),
    };
    let mut session = Session::attached(Target::file(&path), def, lent.exec, resolver);
    session.background = true;
    add_breakpoints(&mut session, &service.breakpoints_of(&lent.machine));
    Ok(App::new(session, opts))
}

/// Back from the panes of state machine `name`: its breakpoints are the server's now.
pub fn machine_closed(service: &Service, name: &str, app: &App) -> String {
    let states = app.session.breakpoints.states();
    service.set_breakpoints(name, states.clone());
    if states.is_empty() {
        format!("{name}: no breakpoints; its executions run without pausing")
    } else {
        format!(
            "{name}: its executions pause before {}",
            states
                .iter()
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Back from an execution's panes: it goes back to the server as it was left, and runs on.
pub fn execution_closed(service: &Service, arn: &str, mut app: App) -> String {
    app.nesting.to_root(&mut app.session);
    // A function still running answers here first (given back, it would be called again).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.session.in_flight() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        app.session.poll_background();
    }
    let machine = app.exec().config().state_machine_name.clone();
    service.set_breakpoints(&machine, app.session.breakpoints.states());
    let status = app.session.status().name();
    let name = app.exec().config().execution_name.clone();
    let (exec, resolver): (Execution, Box<dyn Resolver>) = app.session.into_parts();
    service.detach(arn, exec, resolver.into_dispatcher());
    format!("{name} given back to the server ({status}); it runs on")
}

/// What a definition that lives in the server is called in the panes.
fn virtual_path(machine: &str) -> PathBuf {
    PathBuf::from(format!("{machine}.asl.json"))
}

fn add_breakpoints(session: &mut Session, states: &[String]) {
    for s in states {
        if !session.breakpoints.has(s) {
            let _ = session.breakpoints.add(s, None);
        }
    }
}
