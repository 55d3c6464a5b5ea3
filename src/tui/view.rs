//! Drawing: a pure function of the app state (`&self`). The layout puts the panes, each
//! pane draws itself (see [`super::components`]), and the bars and overlays are drawn
//! here. Only what is on screen is touched.

use super::action::Action;
use super::app::{App, FormKind, Level, Mode, ReloadStatus, StatusWord};
use super::bar::Item;
use super::components::history::HistoryPane;
use super::components::{Pane, inner};
use super::text::truncate;
use crate::engine::time::format_millis;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget};

/// Where everything goes for the current size, focus and zoom.
#[derive(Debug, Clone, Default)]
pub struct Areas {
    pub panes: Vec<(Pane, Rect)>,
    pub tabs: Option<Rect>,
    pub tab_hits: Vec<(Pane, Rect)>,
    pub status: Rect,
    pub hints: Rect,
}

const TABBED: [Pane; 4] = [
    Pane::Definition,
    Pane::Inspector,
    Pane::History,
    Pane::Variables,
];

/// Is the terminal big enough for every pane at once?
pub fn is_wide(area: Rect) -> bool {
    area.width >= 120 && area.height >= 32
}

impl App {
    pub fn areas(&self) -> Areas {
        let area = self.size;
        let mut a = Areas::default();
        if area.height < 3 || area.width < 10 {
            return a;
        }
        let [main, status, hints] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);
        a.status = status;
        a.hints = hints;
        if self.zoom {
            a.panes.push((self.focus, main));
            return a;
        }
        if is_wide(area) {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(62), Constraint::Fill(1)]).areas(main);
            // Panes as wide as what they show, within bounds; the Inspector, the
            // Pending and the Variables panes (JSON that is cut otherwise) get the rest.
            let w = usize::from(area.width);
            let share = |pct: usize| w * pct / 100;
            let states_w = self.states.wanted_width().clamp(22, share(24));
            let def_w = self.definition.wanted_width().clamp(share(30), share(42));
            let [s, d, i] = Layout::horizontal([
                Constraint::Length(states_w as u16),
                Constraint::Length(def_w as u16),
                Constraint::Fill(1),
            ])
            .areas(top);
            let hist_w = HistoryPane::wanted_width(&self.ctx()).clamp(share(40), share(58));
            let [h, right] =
                Layout::horizontal([Constraint::Length(hist_w as u16), Constraint::Fill(1)])
                    .areas(bottom);
            let [p, v] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(right);
            a.panes = vec![
                (Pane::States, s),
                (Pane::Definition, d),
                (Pane::Inspector, i),
                (Pane::History, h),
                (Pane::Pending, p),
                (Pane::Variables, v),
            ];
        } else {
            let left_w = (area.width / 3).clamp(22, 34);
            let [left, right] =
                Layout::horizontal([Constraint::Length(left_w), Constraint::Fill(1)]).areas(main);
            let pend_h = (main.height / 3).clamp(3, 8);
            let [s, p] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(pend_h)]).areas(left);
            let [tabs, body] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(right);
            a.panes = vec![(Pane::States, s), (Pane::Pending, p), (self.tab, body)];
            a.tabs = Some(tabs);
            let mut x = tabs.x + 1;
            for t in TABBED {
                let w = t.title().len() as u16 + 2;
                if x + w > tabs.x + tabs.width {
                    break;
                }
                a.tab_hits.push((t, Rect::new(x, tabs.y, w, 1)));
                x += w + 1;
            }
        }
        a
    }

    pub fn pane_inner(&self, p: Pane) -> Option<Rect> {
        self.areas()
            .panes
            .iter()
            .find(|(q, _)| *q == p)
            .map(|(_, r)| inner(*r))
    }

    /// Draw the whole screen.
    pub fn view(&self, f: &mut Frame) {
        let area = f.area();
        let pal = &self.theme.palette;
        f.buffer_mut().set_style(area, pal.base);
        let areas = self.areas();
        if areas.panes.is_empty() {
            f.buffer_mut().set_stringn(
                0,
                0,
                "stepdbg: the terminal is too small",
                area.width as usize,
                pal.base,
            );
            return;
        }
        let cx = self.ctx();
        for (pane, rect) in &areas.panes {
            if rect.width < 4 || rect.height < 3 {
                continue;
            }
            self.component(*pane)
                .render(*rect, f.buffer_mut(), &cx, self.focus == *pane);
        }
        if let Some(tabs) = areas.tabs {
            self.draw_tabs(tabs, &areas, f.buffer_mut());
        }
        self.draw_status(areas.status, f.buffer_mut());
        let cursor = self.draw_hints(areas.hints, f.buffer_mut());
        let overlay_cursor = match &self.mode {
            Mode::Pager(page) => {
                let footer = if page.is_help() {
                    format!(
                        "{} scroll · {} end · {} close",
                        self.keymap.label(Action::Down, 2),
                        self.keymap.label(Action::Bottom, 2),
                        self.keymap.label(Action::Pause, 1),
                    )
                } else {
                    format!(
                        "{} scroll · {} end · {} copy · {} close",
                        self.keymap.label(Action::Down, 2),
                        self.keymap.label(Action::Bottom, 2),
                        self.keymap.label(Action::Copy, 1),
                        self.keymap.label(Action::Pause, 1),
                    )
                };
                page.render(
                    area,
                    || self.help_lines(),
                    &footer,
                    &self.theme.palette,
                    f.buffer_mut(),
                );
                None
            }
            Mode::ConfirmQuit => {
                self.draw_confirm(area, f.buffer_mut());
                None
            }
            Mode::Form(form) => self.draw_form(area, form, f.buffer_mut()),
            _ => None,
        };
        if let Some(c) = overlay_cursor.or(cursor) {
            f.set_cursor_position(c);
        }
    }

    fn draw_tabs(&self, tabs: Rect, areas: &super::view::Areas, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        buf.set_style(tabs, pal.base);
        for (p, r) in &areas.tab_hits {
            let style = if *p == self.tab {
                pal.tab_active
            } else {
                pal.tab
            };
            buf.set_stringn(
                r.x,
                r.y,
                format!(" {} ", p.title()),
                r.width as usize,
                style,
            );
        }
    }

    // ----- bars -------------------------------------------------------------------------

    fn draw_status(&self, area: Rect, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        buf.set_style(area, pal.status);
        let word = self.status();
        let color = match word {
            StatusWord::Succeeded => pal.ok,
            StatusWord::Failed | StatusWord::TimedOut | StatusWord::Aborted => pal.error,
            StatusWord::Waiting => pal.pending,
            StatusWord::Running => pal.warn,
            StatusWord::Ready | StatusWord::Paused => pal.current,
        };
        let mut items = vec![Item::left(
            format!(" {} ", word.as_str()),
            pal.badge(color, self.theme.mono),
            9,
        )];
        // A child execution: the way in from the execution the person started.
        if self.nesting.depth() > 0 {
            let mut way: String = self
                .nesting
                .path()
                .iter()
                .map(|(machine, state)| format!("{machine} ▸ {state} ▸ "))
                .collect();
            way.push_str(&self.exec().config().state_machine_name);
            items.push(
                Item::left(
                    format!(" ⤷ {way}"),
                    pal.status.add_modifier(Modifier::BOLD),
                    8,
                )
                .or_shorter(format!(" ⤷ child {}", self.nesting.depth())),
            );
        }
        if let Some(r) = &self.running {
            items.push(Item::left(
                format!(" {} · {} steps", r.label, r.run.steps),
                pal.status,
                6,
            ));
        }
        if let Some(c) = &self.ix.current
            && !self.session.status().is_done()
        {
            items.push(
                Item::left(
                    format!(" ▶ {}", c.name),
                    pal.status.add_modifier(Modifier::BOLD),
                    8,
                )
                .cut_to(14),
            );
        }
        // Functions running now, the oldest first: what the execution waits for.
        let calls = self.session.calls();
        if let Some(c) = calls.first() {
            let secs = format!("{:.1} s", c.elapsed.as_secs_f64());
            let text = if calls.len() == 1 {
                format!(" · calling {} ({secs})", c.target)
            } else {
                format!(" · calling {} functions (oldest {secs})", calls.len())
            };
            items.push(
                Item::left(text, pal.status.patch(pal.pending), 7)
                    .or_shorter(format!(" · calling ({secs})")),
            );
        }
        // A back-off in progress: the state is about to be tried again.
        if let Some(c) = &self.ix.current
            && let Some(t) = self.exec().timers().into_iter().find(|t| {
                t.thread == Some(c.thread)
                    && matches!(t.kind, crate::engine::TimerKind::RetryBackoff { .. })
            })
            && let crate::engine::TimerKind::RetryBackoff { attempt } = &t.kind
        {
            let wait = crate::engine::time::format_duration(t.at_ms - self.exec().clock());
            items.push(
                Item::left(
                    format!(
                        " · retrying in {wait} (attempt {} of {})",
                        attempt.number + 1,
                        attempt.max_attempts + 1
                    ),
                    pal.status.patch(pal.warn),
                    5,
                )
                .or_shorter(format!(" · retry in {wait}")),
            );
        }
        if let Some((d, t)) = self.ix.map_progress.values().next() {
            items.push(Item::left(format!(" · map {d}/{t}"), pal.status, 4));
        }
        let exec = self.exec();
        let since =
            crate::engine::time::format_duration(exec.clock() - exec.config().start_time_ms);
        let stamp = format_millis(exec.clock());
        // The simulated clock: the date only where there is room for it.
        let time = stamp.get(11..19).map_or(stamp.clone(), |t| format!("{t}Z"));
        items.push(
            Item::left(format!(" │ ⏱ {stamp} (+{since})"), pal.status, 6)
                .or_shorter(format!(" │ ⏱ {time} (+{since})")),
        );
        items.push(Item::left(
            format!(" │ steps {}", self.session.step_count()),
            pal.status,
            7,
        ));
        if let Some(r) = &self.replay {
            let (long, short, same) = r.status();
            let color = if same { pal.ok } else { pal.error };
            items.push(Item::right(long, pal.status.patch(color), 8).or_shorter(short));
        }
        match &self.reload {
            Some(ReloadStatus::Reloaded { count, replayed }) => items.push(
                Item::right(
                    format!("⟳ reloaded #{count} ({replayed} replayed) "),
                    pal.status,
                    5,
                )
                .or_shorter(format!("⟳ #{count} ")),
            ),
            Some(ReloadStatus::Invalid { diagnostic }) => items.push(
                Item::right(
                    format!("✗ invalid save {diagnostic} "),
                    pal.status.patch(pal.error),
                    8,
                )
                .cut_to(16),
            ),
            Some(ReloadStatus::Unreadable(e)) => items
                .push(Item::right(format!("✗ {e} "), pal.status.patch(pal.error), 8).cut_to(16)),
            None => {}
        }
        if !matches!(self.reload, Some(ReloadStatus::Invalid { .. }))
            && let Some(d) = self.session.live_diagnostics.first()
        {
            let lc = d.line_col(&self.session.definition.doc);
            let mark = if d.severity == crate::asl::Severity::Error {
                "✗"
            } else {
                "⚠"
            };
            // The whole text is one `:problems` away.
            items.push(
                Item::right(
                    format!("{mark} {}:{} {} ", lc.line, lc.col, d.message),
                    pal.status.patch(pal.warn),
                    3,
                )
                .cut_to(12),
            );
        }
        let w = area.width as usize;
        let (left, right) = super::bar::fit(items, w);
        Line::from(left).render(area, buf);
        let rw: usize = right.iter().map(Span::width).sum();
        if rw > 0 {
            Line::from(right).render(
                Rect::new(area.x + (w - rw) as u16, area.y, rw as u16, 1),
                buf,
            );
        }
    }

    /// The hint bar: the command line, the filter, a message, or the focused pane's keys.
    fn draw_hints(&self, area: Rect, buf: &mut Buffer) -> Option<ratatui::layout::Position> {
        let pal = &self.theme.palette;
        buf.set_style(area, pal.base);
        match &self.mode {
            Mode::Command(ed) => {
                buf.set_stringn(area.x, area.y, ":", 1, pal.key);
                let r = Rect::new(area.x + 1, area.y, area.width.saturating_sub(1), 1);
                return ed.render(r, buf, pal.base);
            }
            Mode::Filter(ed) => {
                buf.set_stringn(area.x, area.y, "/", 1, pal.key);
                let r = Rect::new(area.x + 1, area.y, area.width.saturating_sub(1), 1);
                return ed.render(r, buf, pal.base);
            }
            _ => {}
        }
        if let Some(m) = &self.message {
            let s = match m.level {
                Level::Info => pal.base,
                Level::Warn => pal.warn,
                Level::Error => pal.error,
            };
            buf.set_stringn(
                area.x,
                area.y,
                truncate(&m.text, area.width as usize),
                area.width as usize,
                s,
            );
            return None;
        }
        let mut spans = Vec::new();
        let keys_each = if area.width >= 120 { 2 } else { 1 };
        for (a, label) in self.hints() {
            let k = self.keymap.label(a, keys_each);
            if k.is_empty() {
                continue;
            }
            spans.push(Span::styled(k, pal.key));
            spans.push(Span::styled(format!(" {label}  "), pal.dim));
        }
        Line::from(spans).render(area, buf);
        None
    }

    /// The focused pane's key hints, then the keys every pane has.
    pub fn hints(&self) -> Vec<(Action, &'static str)> {
        use Action as A;
        if self.running.is_some() {
            return vec![(A::Pause, "pause"), (A::Help, "help"), (A::Quit, "quit")];
        }
        let mut v = self.component(self.focus).hints().to_vec();
        v.extend([
            (A::Help, "help"),
            (A::CommandLine, "cmd"),
            (A::FocusNext, "pane"),
            (A::Zoom, "zoom"),
            (A::Quit, "quit"),
        ]);
        v
    }

    // ----- overlays ---------------------------------------------------------------------

    /// The help text: every action with its keys, then the commands.
    pub fn help_lines(&self) -> Vec<Line<'static>> {
        let pal = &self.theme.palette;
        let mut out = Vec::new();
        let mut group = "";
        for &a in Action::ALL {
            if a.group() != group {
                group = a.group();
                if !out.is_empty() {
                    out.push(Line::default());
                }
                out.push(Line::from(Span::styled(group.to_string(), pal.title_focus)));
            }
            let keys = self.keymap.label(a, 4);
            out.push(Line::from(vec![
                Span::styled(format!("  {keys:<18}"), pal.key),
                Span::styled(format!("{:<18}", a.name()), pal.dim),
                Span::styled(a.description().to_string(), pal.base),
            ]));
        }
        out.push(Line::default());
        out.push(Line::from(Span::styled("Commands (:)", pal.title_focus)));
        for c in super::commands::COMMANDS {
            let mut names = c.synopsis();
            for a in c.aliases {
                names.push_str(&format!(", {a}"));
            }
            out.push(Line::from(vec![
                Span::styled(format!("  {names:<40}"), pal.key),
                Span::styled(c.help.to_string(), pal.base),
            ]));
        }
        out.push(Line::default());
        out.push(Line::from(Span::styled(
            format!(
                "Keys can be changed in {} (action = \"key\").",
                super::action::user_keys_path().map_or("~/.config/stepdbg/keys.toml".into(), |p| p
                    .display()
                    .to_string())
            ),
            pal.dim,
        )));
        out
    }

    fn draw_confirm(&self, area: Rect, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        let r = centered(area, 50, 5);
        Clear.render(r, buf);
        buf.set_style(r, pal.base);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(pal.warn)
            .title(Span::styled(" Quit? ", pal.warn));
        let inner_r = block.inner(r);
        block.render(r, buf);
        Paragraph::new(vec![
            Line::from(Span::styled("The execution is still running.", pal.base)),
            Line::from(vec![
                Span::styled("y", pal.key),
                Span::styled(" quit   ", pal.base),
                Span::styled("any other key", pal.key),
                Span::styled(" stay", pal.base),
            ]),
        ])
        .render(inner_r, buf);
    }

    fn draw_form(
        &self,
        area: Rect,
        form: &super::app::Form,
        buf: &mut Buffer,
    ) -> Option<ratatui::layout::Position> {
        let pal = &self.theme.palette;
        let h = match form.kind {
            FormKind::Success => area.height.saturating_sub(4).clamp(8, 18),
            FormKind::Failure if form.service.is_some() => 13,
            FormKind::Failure => 9,
        };
        let r = centered(area, 72, h);
        Clear.render(r, buf);
        buf.set_style(r, pal.base);
        use crate::integrations::dispatch::HandShape;
        let function = form.shape != HandShape::AsIs;
        let title = match (form.kind, function) {
            (FormKind::Success, false) => format!(" Send success to '{}' ", form.state),
            (FormKind::Failure, false) => format!(" Send failure to '{}' ", form.state),
            (FormKind::Success, true) => format!(" What the function of '{}' returns ", form.state),
            (FormKind::Failure, true) => format!(" The function of '{}' throws ", form.state),
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(pal.border_focus)
            .title(Span::styled(title, pal.title_focus))
            .title_bottom(Line::from(vec![
                Span::styled(" Ctrl-S", pal.key),
                Span::styled(" send  ", pal.dim),
                Span::styled("Esc", pal.key),
                Span::styled(" cancel ", pal.dim),
            ]));
        let inner_r = block.inner(r);
        block.render(r, buf);
        if inner_r.height < 3 {
            return None;
        }
        let w = inner_r.width as usize;
        match form.kind {
            FormKind::Success => {
                let service_label;
                let label = match (&form.service, form.shape) {
                    (_, HandShape::InvokeEnvelope) => {
                        "Return value (JSON): sent as Payload in Lambda's invoke envelope"
                    }
                    (_, HandShape::FunctionReturn) => {
                        "Return value (JSON), the task's result as is"
                    }
                    (Some(s), HandShape::AsIs) => {
                        service_label = format!(
                            "{}'s answer, as AWS documents it ({}):",
                            s.call,
                            s.document.split(" — ").next().unwrap_or(&s.document)
                        );
                        &service_label
                    }
                    (None, HandShape::AsIs) => {
                        // A token's output is what its sender sends, whatever the service.
                        let task = self.session.execution().task(form.task);
                        let unknown =
                            task.filter(|t| !self.session.waits_for_token(t))
                                .and_then(|t| {
                                    crate::integrations::services::integration_of(&t.resource)
                                });
                        service_label = match unknown {
                            Some(i) => format!(
                                "unknown integration {i}: type what it returns (JSON; empty sends {{}}):"
                            ),
                            None => "Output (JSON; empty sends {}):".into(),
                        };
                        &service_label
                    }
                };
                buf.set_stringn(inner_r.x, inner_r.y, truncate(label, w), w, pal.dim);
                let ed = Rect::new(inner_r.x, inner_r.y + 1, inner_r.width, inner_r.height - 2);
                let cursor = form.json.render(ed, buf, pal.base);
                let (t, s) = match &form.valid {
                    Ok(_) => ("✓ valid JSON".to_string(), pal.ok),
                    Err(e) => (format!("✗ {e}"), pal.error),
                };
                buf.set_stringn(
                    inner_r.x,
                    inner_r.y + inner_r.height - 1,
                    truncate(&t, w),
                    w,
                    s,
                );
                cursor
            }
            FormKind::Failure => {
                let label = |i: usize| if form.field == i { pal.key } else { pal.dim };
                let (error_label, cause_label) = if function {
                    ("Type:", "Message:")
                } else {
                    ("Error:", "Cause:")
                };
                let off = if function { 10 } else { 8 };
                buf.set_stringn(inner_r.x, inner_r.y, error_label, w, label(0));
                let e = Rect::new(
                    inner_r.x + off,
                    inner_r.y,
                    inner_r.width.saturating_sub(off),
                    1,
                );
                let c1 = form.error.render(e, buf, pal.base);
                buf.set_stringn(inner_r.x, inner_r.y + 2, cause_label, w, label(1));
                let c = Rect::new(
                    inner_r.x + off,
                    inner_r.y + 2,
                    inner_r.width.saturating_sub(off),
                    1,
                );
                let c2 = form.cause.render(c, buf, pal.base);
                let hint = if function {
                    "Tab switches fields; Enter on Message sends (Lambda's error shape)"
                } else {
                    "Tab switches fields; Enter on Cause sends"
                };
                buf.set_stringn(inner_r.x, inner_r.y + 4, hint, w, pal.dim);
                if let Some(s) = &form.service {
                    let names = format!("{} raises: {}", s.call, s.errors.join(", "));
                    for (k, row) in crate::tui::text::wrap(&names, w)
                        .into_iter()
                        .take(4)
                        .enumerate()
                    {
                        buf.set_stringn(inner_r.x, inner_r.y + 6 + k as u16, row, w, pal.dim);
                    }
                }
                if form.field == 0 { c1 } else { c2 }
            }
        }
    }
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
