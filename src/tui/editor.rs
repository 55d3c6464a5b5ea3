//! A small text editor for the command line and the task forms: single- or multi-line,
//! readline-like keys (Ctrl-A/E/U/K/W), paste, and a cursor the frame can show.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;

#[derive(Debug, Clone)]
pub struct Editor {
    lines: Vec<String>,
    row: usize,
    /// Cursor column in characters.
    col: usize,
    multi: bool,
}

impl Editor {
    pub fn single(text: &str) -> Editor {
        let mut e = Editor {
            lines: vec![text.replace('\n', " ")],
            row: 0,
            col: 0,
            multi: false,
        };
        e.col = e.lines[0].chars().count();
        e
    }

    pub fn multi(text: &str) -> Editor {
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        let row = lines.len() - 1;
        let col = lines[row].chars().count();
        Editor {
            lines,
            row,
            col,
            multi: true,
        }
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn set_text(&mut self, text: &str) {
        *self = if self.multi {
            Editor::multi(text)
        } else {
            Editor::single(text)
        };
    }

    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(String::is_empty)
    }

    fn byte_at(s: &str, col: usize) -> usize {
        s.char_indices().nth(col).map_or(s.len(), |(i, _)| i)
    }

    fn line_len(&self) -> usize {
        self.lines[self.row].chars().count()
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                if self.multi {
                    self.newline();
                } else {
                    self.insert_char(' ');
                }
            } else if c != '\r' {
                self.insert_char(if c == '\t' { ' ' } else { c });
            }
        }
    }

    fn insert_char(&mut self, c: char) {
        let line = &mut self.lines[self.row];
        let at = Editor::byte_at(line, self.col);
        line.insert(at, c);
        self.col += 1;
    }

    fn newline(&mut self) {
        let line = &mut self.lines[self.row];
        let at = Editor::byte_at(line, self.col);
        let rest = line.split_off(at);
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        self.row += 1;
        self.col = indent.chars().count();
        self.lines.insert(self.row, indent + &rest);
    }

    fn backspace(&mut self) {
        if self.col > 0 {
            let line = &mut self.lines[self.row];
            let at = Editor::byte_at(line, self.col - 1);
            line.remove(at);
            self.col -= 1;
        } else if self.row > 0 {
            let cur = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.line_len();
            self.lines[self.row].push_str(&cur);
        }
    }

    fn delete(&mut self) {
        if self.col < self.line_len() {
            let line = &mut self.lines[self.row];
            let at = Editor::byte_at(line, self.col);
            line.remove(at);
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            self.lines[self.row].push_str(&next);
        }
    }

    fn delete_word_back(&mut self) {
        let chars: Vec<char> = self.lines[self.row].chars().collect();
        let mut c = self.col;
        while c > 0 && chars[c - 1] == ' ' {
            c -= 1;
        }
        while c > 0 && chars[c - 1] != ' ' {
            c -= 1;
        }
        let line = &mut self.lines[self.row];
        let (a, b) = (Editor::byte_at(line, c), Editor::byte_at(line, self.col));
        line.replace_range(a..b, "");
        self.col = c;
    }

    /// Handle an editing key; false when the key is not an editing key.
    pub fn handle(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('a') if ctrl => self.col = 0,
            KeyCode::Char('e') if ctrl => self.col = self.line_len(),
            KeyCode::Char('u') if ctrl => {
                let line = &mut self.lines[self.row];
                let at = Editor::byte_at(line, self.col);
                line.replace_range(..at, "");
                self.col = 0;
            }
            KeyCode::Char('k') if ctrl => {
                let line = &mut self.lines[self.row];
                let at = Editor::byte_at(line, self.col);
                line.truncate(at);
            }
            KeyCode::Char('w') if ctrl => self.delete_word_back(),
            KeyCode::Char(_) if ctrl || key.modifiers.contains(KeyModifiers::ALT) => {
                return false;
            }
            KeyCode::Char(c) => self.insert_char(c),
            KeyCode::Enter if self.multi => self.newline(),
            KeyCode::Backspace => self.backspace(),
            KeyCode::Delete => self.delete(),
            KeyCode::Left => {
                if self.col > 0 {
                    self.col -= 1;
                } else if self.row > 0 {
                    self.row -= 1;
                    self.col = self.line_len();
                }
            }
            KeyCode::Right => {
                if self.col < self.line_len() {
                    self.col += 1;
                } else if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = 0;
                }
            }
            KeyCode::Up if self.multi && self.row > 0 => {
                self.row -= 1;
                self.col = self.col.min(self.line_len());
            }
            KeyCode::Down if self.multi && self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = self.col.min(self.line_len());
            }
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.line_len(),
            _ => return false,
        }
        true
    }

    /// Draw into `area`, scrolled so the cursor shows; returns where the cursor is.
    pub fn render(&self, area: Rect, buf: &mut Buffer, style: Style) -> Option<Position> {
        if area.width == 0 || area.height == 0 {
            return None;
        }
        let h = area.height as usize;
        let w = area.width as usize;
        let top = self.row.saturating_sub(h - 1);
        let left = self.col.saturating_sub(w.saturating_sub(1));
        for (i, line) in self.lines.iter().skip(top).take(h).enumerate() {
            let text: String = line.chars().skip(left).take(w).collect();
            buf.set_stringn(area.x, area.y + i as u16, &text, w, style);
        }
        Some(Position::new(
            area.x + (self.col - left) as u16,
            area.y + (self.row - top) as u16,
        ))
    }

    /// The text as lines, for a test or a preview.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
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
        e.handle(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(e.text(), "\"b\": 2");
        let mut s = Editor::single("break A");
        s.handle(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(s.text(), "break ");
        s.insert_str("x\ny");
        assert_eq!(s.text(), "break x y");
        assert!(!s.handle(&key(KeyCode::Enter)));
    }
}
