//! A full-screen page of text that scrolls: the help, and the viewer that shows any
//! value whole (an error cause, a long string, a payload) wrapped to the window, so
//! nothing the panes cut is out of reach.

use super::action::Action;
use super::theme::Palette;
use crate::json::Value;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget};
use std::cell::Cell;

/// What a page shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Every key and command (drawn from the key map and the command table).
    Help,
    /// Text shown as it is, wrapped to the window.
    Text(String),
}

/// A page and how far it is scrolled.
#[derive(Debug, Clone)]
pub struct Pager {
    pub title: String,
    pub body: Body,
    pub scroll: usize,
    /// The rows the body had and the rows shown when last drawn (what the keys clamp to).
    drawn: Cell<(usize, usize)>,
}

/// What a key does to a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Close,
    /// Copy the page's text to the clipboard.
    Copy,
}

impl Pager {
    pub fn help() -> Pager {
        Pager::new("Help — every key and command".into(), Body::Help)
    }

    /// A viewer of `text` titled `title`.
    pub fn text(title: String, text: String) -> Pager {
        Pager::new(title, Body::Text(text))
    }

    fn new(title: String, body: Body) -> Pager {
        Pager {
            title,
            body,
            scroll: 0,
            drawn: Cell::new((0, 0)),
        }
    }

    pub fn is_help(&self) -> bool {
        self.body == Body::Help
    }

    /// The furthest the page scrolls, as last drawn.
    fn max_scroll(&self) -> usize {
        let (rows, height) = self.drawn.get();
        rows.saturating_sub(height)
    }

    pub fn on_action(&mut self, a: Action) -> Outcome {
        let page = self.drawn.get().1.saturating_sub(1).max(1);
        let max = self.max_scroll();
        self.scroll = match a {
            Action::Pause | Action::Quit | Action::Select | Action::View => return Outcome::Close,
            Action::Help if self.is_help() => return Outcome::Close,
            Action::Copy => return Outcome::Copy,
            Action::Down => self.scroll + 1,
            Action::Up => self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll + page,
            Action::PageUp => self.scroll.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => usize::MAX,
            _ => return Outcome::Stay,
        }
        .min(max);
        Outcome::Stay
    }

    /// Draw the page over `area` with `lines` as its body (already wrapped for help; text
    /// is wrapped here). `footer` names the keys.
    pub fn render(
        &self,
        area: Rect,
        help_lines: impl FnOnce() -> Vec<Line<'static>>,
        footer: &str,
        pal: &Palette,
        buf: &mut Buffer,
    ) {
        let r = area;
        Clear.render(r, buf);
        buf.set_style(r, pal.base);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(pal.border_focus)
            .title(Span::styled(format!(" {} ", self.title), pal.title_focus))
            .title_bottom(Span::styled(format!(" {footer} "), pal.dim));
        let inner = block.inner(r);
        block.render(r, buf);
        let lines: Vec<Line<'static>> = match &self.body {
            Body::Help => help_lines(),
            Body::Text(t) => super::text::wrap(t, inner.width as usize)
                .into_iter()
                .map(|l| Line::from(Span::styled(l, pal.base)))
                .collect(),
        };
        let h = inner.height as usize;
        self.drawn.set((lines.len(), h));
        let scroll = self.scroll.min(lines.len().saturating_sub(h));
        let shown = lines.len().min(scroll + h);
        Paragraph::new(lines[scroll..shown].to_vec())
            .style(pal.base)
            .render(inner, buf);
        // Where we are, on the border, when the page does not fit.
        if lines.len() > h && r.width > 20 {
            let at = format!(" {}–{} of {} ", scroll + 1, shown, lines.len());
            let x = r.x + r.width.saturating_sub(at.len() as u16 + 2);
            buf.set_stringn(x, r.y, &at, at.len(), pal.dim);
        }
    }
}

/// How a value reads in the viewer: a string as its text (and, when it holds JSON, that
/// JSON laid out too, as error causes often do); anything else as indented JSON.
pub fn readable(v: &Value) -> String {
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Object(_) | Value::Array(_))) => format!(
                "{s}\n\n── the string holds JSON ──\n{}",
                serde_json::to_string_pretty(&inner).unwrap_or_default()
            ),
            _ => s.to_string(),
        },
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard (it works over SSH and
/// in tmux with `set-clipboard on`).
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Above this, terminals drop an OSC 52 sequence; stepdbg says so instead.
pub const CLIPBOARD_MAX: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_holding_json_is_shown_laid_out_too() {
        let v = Value::String(r#"{"errorMessage":"boom","trace":["a","b"]}"#.into());
        let t = readable(&v);
        assert!(t.starts_with(r#"{"errorMessage""#));
        assert!(t.contains("the string holds JSON"));
        assert!(t.contains("  \"errorMessage\": \"boom\""));
        assert_eq!(readable(&Value::String("plain".into())), "plain");
    }

    #[test]
    fn osc52_encodes_the_text() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }
}
