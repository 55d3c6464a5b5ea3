//! Text input for the command line, the history filter and the answer forms. One line:
//! a small readline-like editor (Ctrl-A/E/U/K/W, paste) whose cursor is placed by display
//! width, so CJK and emoji line up. Several lines (the JSON answer): ratatui-textarea,
//! with undo/redo (Ctrl-U/Ctrl-R), selection (Shift and the arrows), copy, cut and paste.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Widget;
use ratatui_textarea::TextArea;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A text input: one line, or a multi-line text area.
#[derive(Debug, Clone)]
pub enum Editor {
    Line(LineEditor),
    Area(Box<TextArea<'static>>),
}

impl Editor {
    pub fn single(text: &str) -> Editor {
        Editor::Line(LineEditor::single(text))
    }

    pub fn multi(text: &str) -> Editor {
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        let mut area = TextArea::new(lines);
        area.set_cursor_line_style(Style::default());
        area.set_cursor_style(Style::default().add_modifier(Modifier::REVERSED));
        area.set_tab_length(2);
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        Editor::Area(Box::new(area))
    }

    pub fn text(&self) -> String {
        match self {
            Editor::Line(e) => e.text(),
            Editor::Area(a) => a.lines().join("\n"),
        }
    }

    pub fn set_text(&mut self, text: &str) {
        *self = match self {
            Editor::Line(_) => Editor::single(text),
            Editor::Area(_) => Editor::multi(text),
        };
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Editor::Line(e) => e.is_empty(),
            Editor::Area(a) => a.lines().iter().all(String::is_empty),
        }
    }

    pub fn insert_str(&mut self, s: &str) {
        match self {
            Editor::Line(e) => e.insert_str(s),
            Editor::Area(a) => {
                a.insert_str(s.replace('\r', ""));
            }
        }
    }

    /// Handle an editing key; false when the key is not an editing key.
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        match self {
            Editor::Line(e) => e.handle(key),
            Editor::Area(a) => a.input(*key),
        }
    }

    /// Draw into `area`; returns where the terminal cursor goes (a text area draws its own).
    pub fn render(&self, area: Rect, buf: &mut Buffer, style: Style) -> Option<Position> {
        match self {
            Editor::Line(e) => e.render(area, buf, style),
            Editor::Area(a) => {
                buf.set_style(area, style);
                (&**a).render(area, buf);
                None
            }
        }
    }
}

/// A one-line editor.
#[derive(Debug, Clone)]
pub struct LineEditor {
    text: String,
    /// Cursor position in characters.
    col: usize,
}

impl LineEditor {
    pub fn single(text: &str) -> LineEditor {
        let text = text.replace('\n', " ");
        let col = text.chars().count();
        LineEditor { text, col }
    }

    pub fn text(&self) -> String {
        self.text.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    fn byte_at(&self, col: usize) -> usize {
        self.text
            .char_indices()
            .nth(col)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars() {
            match c {
                '\r' => {}
                '\n' | '\t' => self.insert_char(' '),
                c => self.insert_char(c),
            }
        }
    }

    fn insert_char(&mut self, c: char) {
        let at = self.byte_at(self.col);
        self.text.insert(at, c);
        self.col += 1;
    }

    fn delete_word_back(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let mut c = self.col;
        while c > 0 && chars[c - 1] == ' ' {
            c -= 1;
        }
        while c > 0 && chars[c - 1] != ' ' {
            c -= 1;
        }
        let (a, b) = (self.byte_at(c), self.byte_at(self.col));
        self.text.replace_range(a..b, "");
        self.col = c;
    }

    /// Handle an editing key; false when the key is not an editing key.
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('a') if ctrl => self.col = 0,
            KeyCode::Char('e') if ctrl => self.col = self.len(),
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.col);
                self.text.replace_range(..at, "");
                self.col = 0;
            }
            KeyCode::Char('k') if ctrl => {
                let at = self.byte_at(self.col);
                self.text.truncate(at);
            }
            KeyCode::Char('w') if ctrl => self.delete_word_back(),
            KeyCode::Char(_) if ctrl || key.modifiers.contains(KeyModifiers::ALT) => {
                return false;
            }
            KeyCode::Char(c) => self.insert_char(c),
            KeyCode::Backspace if self.col > 0 => {
                let at = self.byte_at(self.col - 1);
                self.text.remove(at);
                self.col -= 1;
            }
            KeyCode::Delete if self.col < self.len() => {
                let at = self.byte_at(self.col);
                self.text.remove(at);
            }
            KeyCode::Backspace | KeyCode::Delete => {}
            KeyCode::Left => self.col = self.col.saturating_sub(1),
            KeyCode::Right => self.col = (self.col + 1).min(self.len()),
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.len(),
            _ => return false,
        }
        true
    }

    /// Draw into `area`'s first row, scrolled so the cursor shows; returns where it is.
    pub fn render(&self, area: Rect, buf: &mut Buffer, style: Style) -> Option<Position> {
        if area.width == 0 || area.height == 0 {
            return None;
        }
        let w = area.width as usize;
        // Columns are display cells: a wide character takes two.
        let cursor_x: usize = self.text.chars().take(self.col).map(char_width).sum();
        let left = cursor_x.saturating_sub(w.saturating_sub(1));
        buf.set_stringn(area.x, area.y, cells(&self.text, left, w), w, style);
        Some(Position::new(area.x + (cursor_x - left) as u16, area.y))
    }
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// The part of `line` from display column `left`, at most `w` columns wide.
fn cells(line: &str, left: usize, w: usize) -> String {
    let mut x = 0;
    let mut out = String::new();
    for c in line.chars() {
        let cw = char_width(c);
        if x >= left && x + cw <= left + w {
            out.push(c);
        }
        x += cw;
        if x >= left + w {
            break;
        }
    }
    debug_assert!(out.width() <= w);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn the_cursor_sits_after_wide_characters() {
        let e = Editor::single("名前 ok");
        let mut buf = Buffer::empty(Rect::new(0, 0, 20, 1));
        let pos = e.render(Rect::new(0, 0, 20, 1), &mut buf, Style::default());
        // Two wide characters (2 cells each), a space and "ok".
        assert_eq!(pos, Some(Position::new(7, 0)));
        let narrow = Editor::single("名前名前名前");
        let pos = narrow.render(Rect::new(0, 0, 5, 1), &mut buf, Style::default());
        assert_eq!(pos, Some(Position::new(4, 0)));
    }

    #[test]
    fn the_text_area_undoes() {
        let mut e = Editor::multi("{}");
        e.insert_str("x");
        assert_eq!(e.text(), "{}x");
        e.handle(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(e.text(), "{}");
    }

    #[test]
    fn edits_text() {
        let mut e = Editor::multi("");
        e.insert_str("{\"a\": 1,");
        e.handle(&key(KeyCode::Enter));
        e.insert_str("\"b\": 2}");
        assert_eq!(e.text(), "{\"a\": 1,\n\"b\": 2}");
        e.handle(&key(KeyCode::Backspace));
        e.handle(&key(KeyCode::Home));
        e.handle(&key(KeyCode::Backspace));
        assert_eq!(e.text(), "{\"a\": 1,\"b\": 2");
        let mut s = Editor::single("break A");
        s.handle(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(s.text(), "");
        s.insert_str("break A");
        s.handle(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(s.text(), "break ");
        s.insert_str("x\ny");
        assert_eq!(s.text(), "break x y");
        assert!(!s.handle(&key(KeyCode::Enter)));
    }
}
