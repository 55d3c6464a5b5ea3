//! Drawing: a pure function of the app state (`&self`). Only what is on screen is
//! touched: rows are taken from the scroll offset for the pane's height.

use super::action::Action;
use super::app::{App, FormKind, Inspect, Level, Mode, Pane, ReloadStatus, RowKind, inner};
use super::json::truncate;
use crate::engine::time::format_millis;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
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
            let [s, d, i] = Layout::horizontal([
                Constraint::Percentage(24),
                Constraint::Percentage(42),
                Constraint::Fill(1),
            ])
            .areas(top);
            let [h, right] =
                Layout::horizontal([Constraint::Percentage(58), Constraint::Fill(1)]).areas(bottom);
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
        for (pane, rect) in &areas.panes {
            self.draw_pane(*pane, *rect, f.buffer_mut());
        }
        if let Some(tabs) = areas.tabs {
            self.draw_tabs(tabs, &areas, f.buffer_mut());
        }
        self.draw_status(areas.status, f.buffer_mut());
        let cursor = self.draw_hints(areas.hints, f.buffer_mut());
        let overlay_cursor = match &self.mode {
            Mode::Help { scroll } => {
                self.draw_help(area, *scroll, f.buffer_mut());
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

    fn block(&self, pane: Pane, extra: &str, right: &str) -> Block<'static> {
        let pal = &self.theme.palette;
        let focused = self.focus == pane;
        let (bs, ts) = if focused {
            (pal.border_focus, pal.title_focus)
        } else {
            (pal.border, pal.title)
        };
        let n = pane_number(pane);
        let mut title = vec![Span::styled(format!(" {n} {} ", pane.title()), ts)];
        if !extra.is_empty() {
            title.push(Span::styled(format!("{extra} "), pal.dim));
        }
        let mut b = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(bs)
            .title(Line::from(title));
        if !right.is_empty() {
            b = b
                .title_top(Line::from(Span::styled(format!(" {right} "), pal.dim)).right_aligned());
        }
        b
    }

    fn draw_pane(&self, pane: Pane, rect: Rect, buf: &mut Buffer) {
        if rect.width < 4 || rect.height < 3 {
            return;
        }
        match pane {
            Pane::States => self.draw_states(rect, buf),
            Pane::Definition => self.draw_definition(rect, buf),
            Pane::Inspector => self.draw_inspector(rect, buf),
            Pane::History => self.draw_history(rect, buf),
            Pane::Pending => self.draw_pending(rect, buf),
            Pane::Variables => self.draw_variables(rect, buf),
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

    // ----- States -----------------------------------------------------------------------

    fn draw_states(&self, rect: Rect, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        let visited = self.ix.visits.len();
        let total = self
            .rows
            .iter()
            .filter(|r| matches!(r.kind, RowKind::State { .. }))
            .count();
        let block = self.block(Pane::States, "", &format!("{visited}/{total}"));
        let area = block.inner(rect);
        block.render(rect, buf);
        let w = area.width as usize;
        let focused = self.focus == Pane::States;
        let cur_ptr = self.ix.current.as_ref().map(|c| c.pointer.as_str());
        let done = self.session.status().is_done();
        for (row_i, row) in self
            .rows
            .iter()
            .enumerate()
            .skip(self.states_offset)
            .take(area.height as usize)
        {
            let y = area.y + (row_i - self.states_offset) as u16;
            let indent = "  ".repeat(row.depth as usize);
            let mut spans: Vec<Span> = Vec::new();
            match &row.kind {
                RowKind::Branch(i) => {
                    spans.push(Span::raw("  "));
                    spans.push(Span::raw(indent));
                    spans.push(Span::styled(format!("┄ branch {}", i + 1), pal.dim));
                }
                RowKind::State {
                    name,
                    pointer,
                    type_name,
                } => {
                    let visit = self.ix.visits.get(pointer);
                    let pending = self.ix.pending_ptrs.contains(pointer);
                    let is_cur = cur_ptr == Some(pointer.as_str()) && !done;
                    let (m, ms) = if pending {
                        ("⧗", pal.pending)
                    } else if is_cur {
                        ("▶", pal.current)
                    } else if visit.is_some_and(|v| v.last_failed) {
                        ("✗", pal.failed)
                    } else if visit.is_some() {
                        ("✓", pal.visited)
                    } else {
                        (" ", pal.dim)
                    };
                    spans.push(Span::styled(m, ms));
                    let bp = self.session.breakpoints.has(name);
                    spans.push(Span::styled(if bp { "●" } else { " " }, pal.breakpoint));
                    spans.push(Span::raw(indent));
                    let mut right = String::new();
                    if let Some((d, t)) = self.ix.map_progress.get(pointer) {
                        right.push_str(&format!("{d}/{t} "));
                    } else if let Some(v) = visit.filter(|v| v.count > 1) {
                        right.push_str(&format!("×{} ", v.count));
                    }
                    right.push_str(if w >= 30 {
                        type_name
                    } else {
                        short_type(type_name)
                    });
                    let used = 2 + row.depth as usize * 2;
                    let room = w.saturating_sub(used + right.chars().count() + 1);
                    let name_t = truncate(name, room);
                    let pad =
                        w.saturating_sub(used + name_t.chars().count() + right.chars().count());
                    let name_style = if is_cur || pending {
                        pal.current
                    } else {
                        pal.base
                    };
                    spans.push(Span::styled(name_t, name_style));
                    spans.push(Span::raw(" ".repeat(pad)));
                    let rs = if self.ix.map_progress.contains_key(pointer) {
                        pal.pending
                    } else {
                        pal.dim
                    };
                    spans.push(Span::styled(right, rs));
                }
            }
            let line = Line::from(spans);
            let row_area = Rect::new(area.x, y, area.width, 1);
            line.render(row_area, buf);
            if row_i == self.states_cursor {
                let s = if focused {
                    pal.selection
                } else {
                    dim_selection(pal.selection)
                };
                buf.set_style(row_area, s);
            }
        }
    }

    // ----- Definition -------------------------------------------------------------------

    fn draw_definition(&self, rect: Rect, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        let path = &self.session.definition.doc.source.path;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let stale = matches!(self.reload, Some(ReloadStatus::Invalid { .. }));
        let extra = if stale {
            format!("{file} (disk copy invalid: last good shown)")
        } else {
            file
        };
        let right = format!("{}/{}", self.src_cursor + 1, self.source_line_count());
        let block = self.block(Pane::Definition, &extra, &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        let n_lines = self.source_line_count();
        let num_w = n_lines.max(1).to_string().len();
        let gutter = num_w + 3;
        let w = area.width as usize;
        let text_w = w.saturating_sub(gutter);
        let cur = self
            .ix
            .current
            .as_ref()
            .filter(|_| !self.session.status().is_done())
            .and_then(|c| self.block_of(&c.pointer));
        let focused = self.focus == Pane::Definition;
        for i in 0..area.height as usize {
            let n = self.src_offset + i;
            if n >= n_lines {
                break;
            }
            let y = area.y + i as u16;
            let row = Rect::new(area.x, y, area.width, 1);
            let in_cur = cur.is_some_and(|b| b.start <= n && n <= b.end);
            if in_cur {
                buf.set_style(row, pal.current_line);
            }
            let starts: Vec<&super::app::Block> =
                self.blocks.iter().filter(|b| b.start == n).collect();
            let bp = starts.iter().any(|b| self.session.breakpoints.has(&b.name));
            let is_cur_start = cur.is_some_and(|b| b.start == n);
            let num_style = if n == self.src_cursor && focused {
                pal.title_focus
            } else {
                pal.gutter
            };
            buf.set_stringn(area.x, y, format!("{:>num_w$} ", n + 1), w, num_style);
            if bp {
                buf.set_stringn(area.x + num_w as u16 + 1, y, "●", 1, pal.breakpoint);
            }
            if is_cur_start {
                buf.set_stringn(area.x + num_w as u16 + 2, y, "▶", 1, pal.current);
            }
            if text_w == 0 {
                continue;
            }
            let text = self.source_line(n);
            let x0 = area.x + gutter as u16;
            let line = self.highlighted_line(n, text, text_w);
            line.render(Rect::new(x0, y, text_w as u16, 1), buf);
            if n == self.src_cursor && focused {
                buf.set_style(row, pal.selection);
            }
        }
    }

    /// One source line with syntax colours, at most `width` characters.
    fn highlighted_line(&self, n: usize, text: &str, width: usize) -> Line<'static> {
        let pal = &self.theme.palette;
        let mut spans = Vec::new();
        let mut room = width;
        let mut push = |s: &str, style: Style, room: &mut usize| {
            if *room == 0 {
                return;
            }
            let t: String = s
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .take(*room)
                .collect();
            *room -= t.chars().count();
            spans.push(Span::styled(t, style));
        };
        match self.hl.line(n) {
            Some(ranges) if !ranges.is_empty() => {
                let mut at = 0;
                for (style, r) in ranges {
                    if r.start > at && text.is_char_boundary(r.start) {
                        push(&text[at..r.start], pal.base, &mut room);
                    }
                    if let Some(s) = text.get(r.clone()) {
                        push(s, *style, &mut room);
                    }
                    at = r.end;
                }
                if at < text.len() && text.is_char_boundary(at) {
                    push(&text[at..], pal.base, &mut room);
                }
            }
            _ => push(text, pal.base, &mut room),
        }
        Line::from(spans)
    }

    // ----- Inspector --------------------------------------------------------------------

    fn draw_inspector(&self, rect: Rect, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        let n = self.exec().steps().len();
        let right = match (&self.inspect, &self.inspected_record) {
            (Inspect::Step(i), _) => format!("step {}/{n}", i + 1),
            (Inspect::Latest, Some(r)) if r.last_event == 0 || self.is_open_record(r) => {
                "in progress".to_string()
            }
            (Inspect::Latest, Some(_)) => format!("step {n}/{n}"),
            (Inspect::Latest, None) => String::new(),
        };
        let block = self.block(Pane::Inspector, "", &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        let w = area.width as usize;
        let mut y = area.y;
        if let Some(r) = &self.inspected_record {
            let mut spans = vec![
                Span::styled(truncate(&r.state, w / 2 + 1), pal.title),
                Span::styled(format!(" {}", r.state_type), pal.dim),
            ];
            if r.thread != 0 {
                spans.push(Span::styled(format!(" · thread {}", r.thread), pal.dim));
            }
            if r.last_event >= r.first_event && r.first_event > 0 && !self.is_open_record(r) {
                spans.push(Span::styled(
                    format!(" · #{}–#{}", r.first_event, r.last_event),
                    pal.dim,
                ));
            }
            if let Some(next) = &r.next {
                spans.push(Span::styled(" → ", pal.dim));
                spans.push(Span::styled(next.clone(), pal.base));
            }
            Line::from(spans).render(Rect::new(area.x, y, area.width, 1), buf);
            y += 1;
            if let Some(e) = &r.error {
                let t = format!(
                    "✗ {} {}",
                    e.error_name(),
                    e.cause.as_deref().unwrap_or_default()
                );
                buf.set_stringn(area.x, y, truncate(&t, w), w, pal.failed);
                y += 1;
            }
        } else {
            let t = format!(
                "no step yet: {} steps over, {} continues",
                self.keymap.label(Action::StepOver, 1),
                self.keymap.label(Action::Continue, 1)
            );
            buf.set_stringn(area.x, y, truncate(&t, w), w, pal.dim);
            y += 1;
        }
        let h = (area.y + area.height).saturating_sub(y) as usize;
        self.draw_tree(
            &self.inspector,
            Rect::new(area.x, y, area.width, h as u16),
            self.focus == Pane::Inspector,
            buf,
        );
    }

    fn is_open_record(&self, r: &crate::engine::StepRecord) -> bool {
        self.open_record()
            .is_some_and(|o| std::ptr::eq(o, r) || o == r)
    }

    fn draw_tree(&self, tree: &super::json::JsonTree, area: Rect, focused: bool, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        for i in 0..area.height as usize {
            let li = tree.offset + i;
            if li >= tree.line_count() {
                break;
            }
            let row = Rect::new(area.x, area.y + i as u16, area.width, 1);
            tree.render_line(li, area.width as usize, pal)
                .render(row, buf);
            if li == tree.cursor && focused {
                buf.set_style(row, pal.selection);
            }
        }
    }

    // ----- History ----------------------------------------------------------------------

    fn draw_history(&self, rect: Rect, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        let total = self.exec().history().len();
        let (extra, right) = if self.filter.is_empty() {
            (String::new(), format!("{total} events"))
        } else {
            (
                format!("/{}", self.filter),
                format!("{}/{total} events", self.ix.filtered.len()),
            )
        };
        let block = self.block(Pane::History, &extra, &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        if area.height == 0 {
            return;
        }
        let w = area.width as usize;
        let show_time = w >= 60;
        let id_w = 6;
        let time_w = if show_time { 14 } else { 0 };
        let rest = w.saturating_sub(id_w + time_w);
        let type_w = (rest * 55 / 100).clamp(10, 30);
        let state_w = rest.saturating_sub(type_w);
        let header = format!(
            "{:>5} {:<type_w$}{:<state_w$}{}",
            "ID",
            "Type",
            "State",
            if show_time { "  Elapsed" } else { "" }
        );
        buf.set_stringn(
            area.x,
            area.y,
            &header,
            w,
            pal.dim.add_modifier(Modifier::BOLD),
        );
        let start_ms = self.exec().config().start_time_ms;
        let hist = self.exec().history();
        let focused = self.focus == Pane::History;
        for i in 0..(area.height as usize).saturating_sub(1) {
            let shown = self.hist_offset + i;
            let Some(ei) = self.history_event(shown) else {
                break;
            };
            let ev = &hist[ei];
            let y = area.y + 1 + i as u16;
            let row = Rect::new(area.x, y, area.width, 1);
            let kind_style = if ev.kind.ends_with("Failed")
                || ev.kind.ends_with("TimedOut")
                || ev.kind.ends_with("Aborted")
            {
                pal.failed
            } else if ev.kind.ends_with("Succeeded") {
                pal.ok
            } else if ev.kind.ends_with("Entered") || ev.kind.ends_with("Exited") {
                pal.base
            } else {
                pal.json_key
            };
            let spans = vec![
                Span::styled(format!("{:>5} ", ev.id), pal.dim),
                Span::styled(
                    format!("{:<type_w$}", truncate(ev.kind, type_w.saturating_sub(1))),
                    kind_style,
                ),
                Span::styled(
                    format!(
                        "{:<state_w$}",
                        truncate(self.event_state_name(ei), state_w.saturating_sub(1))
                    ),
                    pal.base,
                ),
                Span::styled(
                    if show_time {
                        format!("{:>13}", elapsed(ev.timestamp_ms - start_ms))
                    } else {
                        String::new()
                    },
                    pal.dim,
                ),
            ];
            Line::from(spans).render(row, buf);
            if shown == self.hist_cursor {
                let s = if focused {
                    pal.selection
                } else {
                    dim_selection(pal.selection)
                };
                buf.set_style(row, s);
            }
        }
    }

    // ----- Pending ----------------------------------------------------------------------

    fn draw_pending(&self, rect: Rect, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        let pending = self.pending();
        let block = self.block(
            Pane::Pending,
            "",
            &if pending.is_empty() {
                String::new()
            } else {
                format!("{} waiting", pending.len())
            },
        );
        let area = block.inner(rect);
        block.render(rect, buf);
        let w = area.width as usize;
        if pending.is_empty() {
            buf.set_stringn(area.x, area.y, "nothing waits for a person", w, pal.dim);
            return;
        }
        let focused = self.focus == Pane::Pending;
        let list_h = pending.len().min(area.height as usize);
        for (i, t) in pending.iter().take(list_h).enumerate() {
            let y = area.y + i as u16;
            let kind = if self.session.is_callback(t.id) || t.token.is_some() {
                "token"
            } else {
                "result"
            };
            let spans = vec![
                Span::styled("⧗ ", pal.pending),
                Span::styled(truncate(&t.state, w.saturating_sub(10).max(4)), pal.base),
                Span::styled(format!("  {kind}"), pal.dim),
            ];
            let row = Rect::new(area.x, y, area.width, 1);
            Line::from(spans).render(row, buf);
            if i == self.pend_cursor {
                let s = if focused {
                    pal.selection
                } else {
                    dim_selection(pal.selection)
                };
                buf.set_style(row, s);
            }
        }
        // Details of the selected task, as room allows.
        let Some(t) = pending.get(self.pend_cursor) else {
            return;
        };
        let mut lines: Vec<Line> = Vec::new();
        let keys = format!(
            "{} success · {} failure · {} heartbeat",
            self.keymap.label(Action::SendSuccess, 1),
            self.keymap.label(Action::SendFailure, 1),
            self.keymap.label(Action::SendHeartbeat, 1)
        );
        lines.push(Line::from(Span::styled(keys, pal.key)));
        if let Some(tok) = &t.token {
            lines.push(Line::from(vec![
                Span::styled("token ", pal.dim),
                Span::styled(tok.clone(), pal.json_string),
            ]));
        }
        lines.push(Line::from(vec![
            Span::styled("input ", pal.dim),
            Span::styled(
                truncate(&serde_json::to_string(&t.input).unwrap_or_default(), w),
                pal.base,
            ),
        ]));
        if let Some((at, err)) = t.deadline() {
            lines.push(Line::from(vec![
                Span::styled("times out ", pal.dim),
                Span::styled(format!("{} ({err})", format_millis(at)), pal.warn),
            ]));
        }
        let start = area.y + list_h as u16;
        let room = (area.y + area.height).saturating_sub(start);
        for (i, l) in lines.into_iter().take(room as usize).enumerate() {
            l.render(Rect::new(area.x, start + i as u16, area.width, 1), buf);
        }
    }

    // ----- Variables --------------------------------------------------------------------

    fn draw_variables(&self, rect: Rect, buf: &mut Buffer) {
        let thread = self.ix.current.as_ref().map_or(0, |c| c.thread);
        let right = if thread == 0 {
            String::new()
        } else {
            format!("thread {thread}")
        };
        let block = self.block(Pane::Variables, "", &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        self.draw_tree(&self.vars, area, self.focus == Pane::Variables, buf);
    }

    // ----- bars -------------------------------------------------------------------------

    fn draw_status(&self, area: Rect, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        buf.set_style(area, pal.status);
        let word = self.status_word();
        let color = match word {
            "SUCCEEDED" => pal.ok,
            "FAILED" | "TIMED_OUT" => pal.error,
            "WAITING" => pal.pending,
            "RUNNING" => pal.warn,
            _ => pal.current,
        };
        let mut left = vec![Span::styled(
            format!(" {word} "),
            pal.badge(color, self.theme.mono),
        )];
        if let Some(r) = &self.running {
            left.push(Span::styled(
                format!(" {} · {} steps", r.label, r.run.steps),
                pal.status,
            ));
        }
        if let Some(c) = &self.ix.current
            && !self.session.status().is_done()
        {
            left.push(Span::styled(" ▶ ", pal.status));
            left.push(Span::styled(
                c.name.clone(),
                pal.status.add_modifier(Modifier::BOLD),
            ));
        }
        if let Some((d, t)) = self.ix.map_progress.values().next() {
            left.push(Span::styled(format!(" · map {d}/{t}"), pal.status));
        }
        let exec = self.exec();
        let since = exec.clock() - exec.config().start_time_ms;
        let stamp = format_millis(exec.clock());
        // The simulated clock: the date only where there is room for it.
        let clock = if area.width >= 120 {
            stamp
        } else {
            stamp.get(11..19).map_or(stamp.clone(), |t| format!("{t}Z"))
        };
        left.push(Span::styled(
            format!(" │ ⏱ {clock} (+{})", elapsed_short(since)),
            pal.status,
        ));
        left.push(Span::styled(
            format!(" │ steps {}", self.session.step_count()),
            pal.status,
        ));
        let mut right: Vec<Span> = Vec::new();
        match &self.reload {
            Some(ReloadStatus::Reloaded { count, replayed }) => right.push(Span::styled(
                format!("⟳ reloaded #{count} ({replayed} replayed) "),
                pal.status,
            )),
            Some(ReloadStatus::Invalid { diagnostic }) => right.push(Span::styled(
                format!("✗ invalid save {diagnostic} "),
                pal.status.patch(pal.error),
            )),
            Some(ReloadStatus::Unreadable(e)) => {
                right.push(Span::styled(format!("✗ {e} "), pal.status.patch(pal.error)))
            }
            None => {}
        }
        if !matches!(self.reload, Some(ReloadStatus::Invalid { .. }))
            && let Some(d) = self.session.live_diagnostics.first()
        {
            let lc = d.line_col(&self.session.definition.doc);
            right.push(Span::styled(
                format!(
                    "{} {}:{} {} ",
                    if d.severity == crate::asl::Severity::Error {
                        "✗"
                    } else {
                        "⚠"
                    },
                    lc.line,
                    lc.col,
                    d.message
                ),
                pal.status.patch(pal.warn),
            ));
        }
        let w = area.width as usize;
        let right_w: usize = right.iter().map(|s| s.width()).sum();
        let rw = right_w.min(w * 45 / 100);
        let right: Vec<Span> = if rw < right_w {
            // Cut with an ellipsis (the message line has the whole text).
            let mut room = rw;
            let mut cut = Vec::new();
            for s in right {
                if room == 0 {
                    break;
                }
                let t = truncate(&s.content, room);
                room = room.saturating_sub(t.chars().count());
                cut.push(Span::styled(t, s.style));
            }
            cut
        } else {
            right
        };
        let left_room = w.saturating_sub(if rw > 0 { rw + 1 } else { 0 });
        Line::from(left).render(Rect::new(area.x, area.y, left_room as u16, 1), buf);
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

    /// The focused pane's key hints.
    pub fn hints(&self) -> Vec<(Action, &'static str)> {
        use Action as A;
        let mut v: Vec<(Action, &'static str)> = Vec::new();
        if self.running.is_some() {
            return vec![(A::Pause, "pause"), (A::Help, "help"), (A::Quit, "quit")];
        }
        match self.focus {
            Pane::States => v.extend([
                (A::StepOver, "over"),
                (A::StepInto, "into"),
                (A::Continue, "continue"),
                (A::ToggleBreakpoint, "break"),
                (A::Select, "inspect"),
            ]),
            Pane::Definition => v.extend([
                (A::ToggleBreakpoint, "break here"),
                (A::Select, "select state"),
                (A::StepOver, "over"),
                (A::Continue, "continue"),
            ]),
            Pane::Inspector => v.extend([
                (A::Select, "fold"),
                (A::PrevStep, "prev step"),
                (A::NextStep, "next step"),
                (A::ExpandAll, "unfold all"),
                (A::CollapseAll, "fold all"),
            ]),
            Pane::History => v.extend([
                (A::Filter, "filter"),
                (A::Select, "inspect step"),
                (A::Bottom, "latest"),
            ]),
            Pane::Pending => v.extend([
                (A::SendSuccess, "success"),
                (A::SendFailure, "failure"),
                (A::SendHeartbeat, "heartbeat"),
            ]),
            Pane::Variables => v.extend([
                (A::Select, "fold"),
                (A::ExpandAll, "unfold all"),
                (A::CollapseAll, "fold all"),
            ]),
        }
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

    fn draw_help(&self, area: Rect, scroll: usize, buf: &mut Buffer) {
        let pal = &self.theme.palette;
        let r = centered(
            area,
            area.width.saturating_sub(4).clamp(40, 110),
            area.height.saturating_sub(2).max(10),
        );
        Clear.render(r, buf);
        buf.set_style(r, pal.base);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(pal.border_focus)
            .title(Span::styled(
                " Help — every key (Esc closes) ",
                pal.title_focus,
            ));
        let inner_r = block.inner(r);
        block.render(r, buf);
        let lines = self.help_lines();
        let h = inner_r.height as usize;
        let scroll = scroll.min(lines.len().saturating_sub(h));
        Paragraph::new(lines.into_iter().skip(scroll).take(h).collect::<Vec<_>>())
            .style(pal.base)
            .render(inner_r, buf);
    }

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
        for (c, d) in [
            (
                "break STATE [if EXPR]",
                "breakpoint, optionally conditional (JSONPath or JSONata)",
            ),
            ("break", "list breakpoints with their numbers"),
            ("delete N", "delete breakpoint N (no N: all)"),
            (
                "catch EVENT [off]",
                "pause on failure, caught, retry or pending (failure and pending are on)",
            ),
            ("goto STATE", "run until STATE is about to be entered"),
            ("input JSON", "restart with this input (JSON, file://PATH)"),
            (
                "export PATH",
                "write the history as GetExecutionHistory JSON",
            ),
            (
                "theme NAME",
                "dark, light, high-contrast, or a palette file",
            ),
            ("restart, quit, q!", ""),
        ] {
            out.push(Line::from(vec![
                Span::styled(format!("  {c:<24}"), pal.key),
                Span::styled(d.to_string(), pal.base),
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
            FormKind::Failure => 9,
        };
        let r = centered(area, 72, h);
        Clear.render(r, buf);
        buf.set_style(r, pal.base);
        let title = match form.kind {
            FormKind::Success => format!(" Send success to '{}' ", form.state),
            FormKind::Failure => format!(" Send failure to '{}' ", form.state),
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
                buf.set_stringn(
                    inner_r.x,
                    inner_r.y,
                    "Output (JSON; empty sends {}):",
                    w,
                    pal.dim,
                );
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
                buf.set_stringn(inner_r.x, inner_r.y, "Error:", w, label(0));
                let e = Rect::new(inner_r.x + 8, inner_r.y, inner_r.width.saturating_sub(8), 1);
                let c1 = form.error.render(e, buf, pal.base);
                buf.set_stringn(inner_r.x, inner_r.y + 2, "Cause:", w, label(1));
                let c = Rect::new(
                    inner_r.x + 8,
                    inner_r.y + 2,
                    inner_r.width.saturating_sub(8),
                    1,
                );
                let c2 = form.cause.render(c, buf, pal.base);
                buf.set_stringn(
                    inner_r.x,
                    inner_r.y + 4,
                    "Tab switches fields; Enter on Cause sends",
                    w,
                    pal.dim,
                );
                if form.field == 0 { c1 } else { c2 }
            }
        }
    }
}

fn pane_number(p: Pane) -> usize {
    Pane::ALL.iter().position(|q| *q == p).map_or(0, |i| i + 1)
}

fn short_type(t: &str) -> &str {
    match t {
        "Parallel" => "Par",
        "Succeed" => "Ok",
        other => other,
    }
}

fn dim_selection(s: Style) -> Style {
    // The selection of an unfocused pane: underline only, so the focused one stands out.
    if s.bg.is_some() || s.add_modifier.contains(Modifier::REVERSED) {
        Style::new().add_modifier(Modifier::UNDERLINED)
    } else {
        s
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

/// `+00:00:01.234` (hours grow as needed).
fn elapsed(ms: i64) -> String {
    let ms = ms.max(0);
    format!(
        "+{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// `0s`, `1.5s`, `2m3s`, `1h2m`, `3d4h`.
fn elapsed_short(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s < 60 {
        let frac = ms.max(0) % 1000;
        if frac == 0 {
            format!("{s}s")
        } else {
            format!("{s}.{:01}s", frac / 100)
        }
    } else if s < 3600 {
        format!("{}m{}s", s / 60, s % 60)
    } else if s < 86_400 {
        format!("{}h{}m", s / 3600, s / 60 % 60)
    } else {
        format!("{}d{}h", s / 86_400, s / 3600 % 24)
    }
}
