//! The History pane: the console's event table, with a filter.

use super::{
    Component, Ctx, Effect, Inspect, Pane, ScrollList, movement, paint_selection, pane_block,
};
use crate::tui::action::Action;
use crate::tui::text::{truncate, truncate_middle};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

#[derive(Debug)]
pub struct HistoryPane {
    pub list: ScrollList,
    /// The cursor stays on the newest event.
    pub follow: bool,
    pub filter: String,
    /// Events matching the filter (indices into the history), when a filter is set.
    pub filtered: Vec<u32>,
    filter_seen: usize,
}

impl Default for HistoryPane {
    fn default() -> Self {
        HistoryPane {
            list: ScrollList::default(),
            follow: true,
            filter: String::new(),
            filtered: Vec::new(),
            filter_seen: 0,
        }
    }
}

impl HistoryPane {
    /// Events shown (all, or those matching the filter).
    pub fn len(&self, cx: &Ctx) -> usize {
        if self.filter.is_empty() {
            cx.session.execution().history().len()
        } else {
            self.filtered.len()
        }
    }

    pub fn is_empty(&self, cx: &Ctx) -> bool {
        self.len(cx) == 0
    }

    /// The index into the history of the `i`-th shown event.
    pub fn event(&self, i: usize, cx: &Ctx) -> Option<usize> {
        if self.filter.is_empty() {
            (i < cx.session.execution().history().len()).then_some(i)
        } else {
            self.filtered.get(i).map(|&x| x as usize)
        }
    }

    /// The columns the pane needs to show its rows whole (borders included).
    pub fn wanted_width(cx: &Ctx) -> usize {
        let (type_need, state_need) = column_needs(cx);
        ID_W + type_need + state_need + TIME_W + 2
    }

    pub fn set_filter(&mut self, f: String) {
        if f != self.filter {
            self.filter = f;
            self.restart();
            self.list = ScrollList {
                height: self.list.height,
                ..ScrollList::default()
            };
            self.follow = true;
        }
    }

    /// The history was replaced: filter it again from the start.
    pub fn restart(&mut self) {
        self.filtered.clear();
        self.filter_seen = 0;
    }

    fn update_filter(&mut self, cx: &Ctx) {
        let hist = cx.session.execution().history();
        if hist.len() < self.filter_seen {
            self.restart();
        }
        if self.filter.is_empty() {
            return;
        }
        let needle = self.filter.to_lowercase();
        for (i, ev) in hist.iter().enumerate().skip(self.filter_seen) {
            let st = cx.ix.event_state_name(i);
            if ev.kind.as_str().to_lowercase().contains(&needle)
                || st.to_lowercase().contains(&needle)
                || ev.id.to_string() == needle
            {
                self.filtered.push(i as u32);
            }
        }
        self.filter_seen = hist.len();
    }

    /// Enter on an event: inspect the step it belongs to.
    fn inspect_selected(&self, cx: &Ctx, fx: &mut Vec<Effect>) {
        let Some(i) = self.event(self.list.cursor, cx) else {
            return;
        };
        let exec = cx.session.execution();
        let ev = &exec.history()[i];
        let (id, thread) = (ev.id, ev.thread);
        let found = exec
            .steps()
            .iter()
            .rposition(|r| r.thread == thread && r.first_event <= id && id <= r.last_event);
        match found {
            Some(s) => {
                fx.push(Effect::Inspect(Inspect::Step(s)));
                fx.push(Effect::Info(format!(
                    "inspecting step {} (event #{id})",
                    s + 1
                )));
            }
            None => fx.push(Effect::Info(format!(
                "event #{id} belongs to no finished step"
            ))),
        }
    }
}

impl Component for HistoryPane {
    fn pane(&self) -> Pane {
        Pane::History
    }

    fn on_action(&mut self, a: Action, cx: &Ctx, fx: &mut Vec<Effect>) -> bool {
        if let Some(d) = movement(a, self.list.page()) {
            let n = self.len(cx);
            self.list.move_by(d, n);
            self.follow = self.list.cursor + 1 >= n;
            return true;
        }
        if a == Action::Select {
            self.inspect_selected(cx, fx);
            return true;
        }
        false
    }

    fn on_click(&mut self, row: usize, cx: &Ctx, _fx: &mut Vec<Effect>) {
        if self.list.click(row, self.len(cx)) {
            self.follow = false;
        }
    }

    fn sync(&mut self, cx: &Ctx, height: usize) {
        self.update_filter(cx);
        let n = self.len(cx);
        if self.follow {
            self.list.cursor = n.saturating_sub(1);
        }
        self.list.clamp(n);
        self.list.height = height;
        // The header takes a row.
        self.list
            .keep_visible(height.max(1).saturating_sub(1).max(1), n);
    }

    fn render(&self, rect: Rect, buf: &mut Buffer, cx: &Ctx, focused: bool) {
        let pal = cx.pal();
        let exec = cx.session.execution();
        let total = exec.history().len();
        let (extra, right) = if self.filter.is_empty() {
            (String::new(), format!("{total} events"))
        } else {
            (
                format!("/{}", self.filter),
                format!("{}/{total} events", self.filtered.len()),
            )
        };
        let block = pane_block(pal, Pane::History, focused, rect.width, &extra, &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        if area.height == 0 {
            return;
        }
        let w = area.width as usize;
        let (type_need, state_need) = column_needs(cx);
        let show_time = w >= 60 || w >= ID_W + type_need + state_need + TIME_W;
        let id_w = ID_W;
        let time_w = if show_time { TIME_W } else { 0 };
        let rest = w.saturating_sub(id_w + time_w);
        // Each column as wide as what it holds; when both do not fit, the state names
        // (cut in the middle) give way before the event types.
        let type_w = if type_need + state_need <= rest {
            type_need
        } else {
            type_need.min(rest.saturating_sub(state_need).max(rest * 45 / 100))
        };
        let state_w = state_need.min(rest.saturating_sub(type_w));
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
        let start_ms = exec.config().start_time_ms;
        let hist = exec.history();
        for i in 0..(area.height as usize).saturating_sub(1) {
            let shown = self.list.offset + i;
            let Some(ei) = self.event(shown, cx) else {
                break;
            };
            let ev = &hist[ei];
            let y = area.y + 1 + i as u16;
            let row = Rect::new(area.x, y, area.width, 1);
            let kind_style = if ev.kind.is_failure() {
                pal.failed
            } else if ev.kind.is_success() {
                pal.ok
            } else if ev.kind.is_state_entered() || ev.kind.is_state_exited() {
                pal.base
            } else {
                pal.json_key
            };
            let spans = vec![
                Span::styled(format!("{:>5} ", ev.id), pal.dim),
                Span::styled(
                    format!(
                        "{:<type_w$}",
                        truncate(ev.kind.as_str(), type_w.saturating_sub(1))
                    ),
                    kind_style,
                ),
                Span::styled(
                    format!(
                        "{:<state_w$}",
                        truncate_middle(cx.ix.event_state_name(ei), state_w.saturating_sub(1))
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
            if shown == self.list.cursor {
                paint_selection(buf, row, focused, pal);
            }
        }
    }

    fn selected_value(&self, cx: &Ctx) -> Option<(String, String)> {
        let ev = &cx.session.execution().history()[self.event(self.list.cursor, cx)?];
        Some((
            format!("event {} · {}", ev.id, ev.kind.as_str()),
            crate::tui::pager::readable(&ev.to_json()),
        ))
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Filter, "filter"),
            (Action::Select, "inspect step"),
            (Action::Bottom, "latest"),
        ]
    }
}

/// `+00:00:01.234` (hours grow as needed).
/// The ID and Elapsed columns.
const ID_W: usize = 6;
const TIME_W: usize = 14;

/// The columns the Type and State columns need for what the history holds.
fn column_needs(cx: &Ctx) -> (usize, usize) {
    (
        cx.ix.widest_event_type.max(4) + 2,
        cx.ix.widest_state.max(5) + 2,
    )
}

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
