//! The Pending pane: tasks waiting for a person (task tokens, manual results), and the
//! selected one's token, input and deadline.

use super::{Component, Ctx, Effect, Pane, ScrollList, movement, paint_selection, pane_block};
use crate::engine::TaskRequest;
use crate::engine::time::format_millis;
use crate::tui::action::Action;
use crate::tui::app::FormKind;
use crate::tui::text::truncate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

#[derive(Debug, Default)]
pub struct PendingPane {
    pub list: ScrollList,
}

impl PendingPane {
    /// The selected pending task.
    pub fn selected(&self, cx: &Ctx) -> Option<TaskRequest> {
        let p = cx.session.pending();
        p.get(self.list.cursor.min(p.len().saturating_sub(1)))
            .map(|t| (*t).clone())
    }

    /// Select the pending task of `state`, if one waits.
    pub fn select_state(&mut self, state: &str, cx: &Ctx) {
        if let Some(i) = cx.session.pending().iter().position(|t| t.state == state) {
            self.list.cursor = i;
        }
    }

    /// Select the newest pending task (one just started waiting).
    pub fn select_last(&mut self, cx: &Ctx) {
        self.list.cursor = cx.session.pending().len().saturating_sub(1);
    }
}

impl Component for PendingPane {
    fn pane(&self) -> Pane {
        Pane::Pending
    }

    fn on_action(&mut self, a: Action, cx: &Ctx, fx: &mut Vec<Effect>) -> bool {
        if let Some(d) = movement(a, self.list.page()) {
            self.list.move_by(d, cx.session.pending().len());
            return true;
        }
        if a == Action::Select {
            fx.push(Effect::OpenForm(FormKind::Success));
            return true;
        }
        false
    }

    fn on_click(&mut self, row: usize, cx: &Ctx, _fx: &mut Vec<Effect>) {
        if row < cx.session.pending().len() {
            self.list.cursor = row;
        }
    }

    fn sync(&mut self, cx: &Ctx, height: usize) {
        self.list.clamp(cx.session.pending().len());
        self.list.height = height;
    }

    fn render(&self, rect: Rect, buf: &mut Buffer, cx: &Ctx, focused: bool) {
        let pal = cx.pal();
        let pending = cx.session.pending();
        let right = if pending.is_empty() {
            String::new()
        } else {
            format!("{} waiting", pending.len())
        };
        let block = pane_block(pal, Pane::Pending, focused, rect.width, "", &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        let w = area.width as usize;
        if pending.is_empty() {
            buf.set_stringn(area.x, area.y, "nothing waits for a person", w, pal.dim);
            return;
        }
        let list_h = pending.len().min(area.height as usize);
        for (i, t) in pending.iter().take(list_h).enumerate() {
            let y = area.y + i as u16;
            let kind = if cx.session.waits_for_token(t) {
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
            if i == self.list.cursor {
                paint_selection(buf, row, focused, pal);
            }
        }
        // Details of the selected task, as room allows.
        let Some(t) = pending.get(self.list.cursor) else {
            return;
        };
        let mut lines: Vec<Line> = Vec::new();
        let keys = Answered::of(t, cx.session).keys(cx.keymap);
        lines.push(Line::from(Span::styled(keys, pal.key)));
        if let Some((at, err)) = t.deadline() {
            // Counting down in virtual time (t moves the clock to it).
            let left = crate::engine::time::format_duration(at - cx.session.execution().clock());
            lines.push(Line::from(vec![
                Span::styled("times out ", pal.dim),
                Span::styled(
                    format!("in {left} ({err}) at {}", format_millis(at)),
                    pal.warn,
                ),
            ]));
        }
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
        let start = area.y + list_h as u16;
        let room = (area.y + area.height).saturating_sub(start);
        for (i, l) in lines.into_iter().take(room as usize).enumerate() {
            l.render(Rect::new(area.x, start + i as u16, area.width, 1), buf);
        }
    }

    fn selected_value(&self, cx: &Ctx) -> Option<(String, String)> {
        let t = self.selected(cx)?;
        Some((
            format!("pending task {} · {}", t.id, t.state),
            crate::tui::pager::readable(&pending_json(&t, cx)),
        ))
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::SendSuccess, "success"),
            (Action::SendFailure, "failure"),
            (Action::SendHeartbeat, "heartbeat"),
        ]
    }
}

/// How a pending task is answered, for the words and keys offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// SendTaskSuccess/Failure with its token (heartbeats too).
    Token,
    /// What its Lambda function returns or throws.
    Function,
    /// A service call's result or failure.
    Result,
}

impl Answered {
    pub fn of(t: &TaskRequest, session: &crate::session::Session) -> Answered {
        if session.waits_for_token(t) {
            Answered::Token
        } else if session
            .hand_shape(t.id)
            .is_some_and(|s| s != crate::integrations::dispatch::HandShape::AsIs)
        {
            Answered::Function
        } else {
            Answered::Result
        }
    }

    /// The keys that answer it: `S success · X failure · H heartbeat`.
    pub fn keys(self, keymap: &crate::tui::action::Keymap) -> String {
        let (s, x) = (
            keymap.label(Action::SendSuccess, 1),
            keymap.label(Action::SendFailure, 1),
        );
        match self {
            Answered::Token => format!(
                "{s} success · {x} failure · {} heartbeat",
                keymap.label(Action::SendHeartbeat, 1)
            ),
            Answered::Function => format!("{s} what the function returns · {x} what it throws"),
            Answered::Result => format!("{s} its result · {x} its failure"),
        }
    }

    /// What it waits for, in a few words.
    pub fn waits_for(self) -> &'static str {
        match self {
            Answered::Token => "its task token",
            Answered::Function => "its function's result",
            Answered::Result => "its result",
        }
    }
}

/// A pending task as the Inspector and the viewer show it: what it waits for, its input,
/// its token and deadline.
pub fn pending_json(t: &TaskRequest, cx: &Ctx) -> crate::json::Value {
    let waits_for = if cx.session.waits_for_token(t) {
        "SendTaskSuccess/SendTaskFailure with its task token (S/X here)"
    } else {
        "what its function returns or throws (S/X here)"
    };
    let mut v = crate::json!({
        "task": t.id,
        "state": t.state,
        "resource": t.resource,
        "waitsFor": waits_for,
        "input": t.input,
        "attempt": t.attempt,
    });
    if let Some(tok) = &t.token {
        v["token"] = crate::json!(tok);
    }
    if let Some((at, err)) = t.deadline() {
        v["deadline"] = crate::json!(format!("{} ({err})", format_millis(at)));
    }
    v
}
