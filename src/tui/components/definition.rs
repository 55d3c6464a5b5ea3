//! The Definition pane: the source, highlighted, with the current state's block marked and
//! a breakpoint gutter.

use super::{Component, Ctx, Effect, Pane, ScrollList, movement, pane_block};
use crate::asl::Definition;
use crate::tui::action::Action;
use crate::tui::highlight::Highlight;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// Lines highlighted per idle tick.
pub const HIGHLIGHT_CHUNK: usize = 2000;

/// A state's block in the source: lines (0-based, inclusive).
#[derive(Debug, Clone)]
pub struct Block {
    pub name: String,
    pub pointer: String,
    pub start: usize,
    pub end: usize,
}

pub struct DefinitionPane {
    pub hl: Highlight,
    pub blocks: Vec<Block>,
    pub list: ScrollList,
    /// Lines shown (a final line ending starts no line of its own).
    line_count: usize,
    /// The widest source line, in columns.
    widest_line: usize,
}

impl Default for DefinitionPane {
    fn default() -> Self {
        DefinitionPane {
            hl: Highlight::new(false, None),
            blocks: Vec::new(),
            list: ScrollList::default(),
            line_count: 0,
            widest_line: 0,
        }
    }
}

impl DefinitionPane {
    /// Rebuild blocks and highlighting for a (re)loaded definition.
    pub fn load(&mut self, def: &Definition, theme: &Theme) {
        let src = &def.doc.source;
        self.line_count = src.line_count();
        if self.line_count > 1 && src.text.ends_with('\n') {
            self.line_count -= 1;
        }
        self.widest_line = src
            .text
            .lines()
            .map(unicode_width::UnicodeWidthStr::width)
            .max()
            .unwrap_or(0);
        let mut blocks = Vec::new();
        def.machine.walk(&mut |s| {
            let Some(span) = def.doc.spans().get(&s.pointer) else {
                return;
            };
            let start = span.key.map_or(span.value.start, |k| k.start);
            blocks.push(Block {
                name: s.name.to_string(),
                pointer: s.pointer.to_string(),
                start: src.line_of(start) - 1,
                end: src.line_of(span.value.end.saturating_sub(1).max(start)) - 1,
            });
        });
        self.blocks = blocks;
        self.restyle(def, theme);
        self.list.clamp(self.line_count);
    }

    /// Highlight again (a new theme): the first screenfuls now, the rest as the loop idles.
    pub fn restyle(&mut self, def: &Definition, theme: &Theme) {
        let yaml = def.doc.format == crate::asl::source::Format::Yaml;
        self.hl = Highlight::new(yaml, theme.syntax.as_ref());
        self.hl
            .advance(&def.doc.source.text, theme.syntax.as_ref(), HIGHLIGHT_CHUNK);
    }

    /// Some more highlighting (idle work); false when there is none left.
    pub fn highlight_more(&mut self, def: &Definition, theme: &Theme) -> bool {
        if self.hl.is_done() {
            return false;
        }
        self.hl
            .advance(&def.doc.source.text, theme.syntax.as_ref(), HIGHLIGHT_CHUNK);
        true
    }

    /// The columns the pane needs to show every line whole (borders included).
    pub fn wanted_width(&self) -> usize {
        let numbers = self.line_count.max(1).to_string().len() + 4;
        self.widest_line + numbers + 2
    }

    pub fn line_count(&self) -> usize {
        self.line_count
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

    /// The state under the cursor.
    pub fn state_at_cursor(&self) -> Option<&Block> {
        self.block_at(self.list.cursor)
    }

    /// Show a state's block: the cursor on its first line, scrolled into view of a pane
    /// `h` lines high.
    pub fn reveal(&mut self, pointer: &str, h: usize) {
        let Some(b) = self.block_of(pointer).cloned() else {
            return;
        };
        self.list.cursor = b.start;
        let visible = b.start >= self.list.offset && b.end < self.list.offset + h;
        if !visible {
            self.list.offset = b.start.saturating_sub(2);
        }
    }

    /// One source line with syntax colours, at most `width` characters.
    fn highlighted_line(&self, n: usize, text: &str, width: usize, cx: &Ctx) -> Line<'static> {
        let pal = cx.pal();
        let mut spans = Vec::new();
        let mut room = width;
        let mut push = |s: &str, style: Style, room: &mut usize| {
            if *room == 0 {
                return;
            }
            // Cut by display width: a wide character takes two columns.
            let mut t = String::new();
            for c in s.chars().map(|c| if c == '\t' { ' ' } else { c }) {
                let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if w > *room {
                    *room = 0;
                    break;
                }
                *room -= w;
                t.push(c);
            }
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
}

impl Component for DefinitionPane {
    fn pane(&self) -> Pane {
        Pane::Definition
    }

    fn on_action(&mut self, a: Action, _cx: &Ctx, fx: &mut Vec<Effect>) -> bool {
        if let Some(d) = movement(a, self.list.page()) {
            self.list.move_by(d, self.line_count);
            return true;
        }
        if a == Action::Select {
            if let Some(b) = self.state_at_cursor() {
                fx.push(Effect::SelectState(b.pointer.clone()));
            }
            return true;
        }
        false
    }

    fn on_click(&mut self, row: usize, _cx: &Ctx, _fx: &mut Vec<Effect>) {
        self.list.click(row, self.line_count);
    }

    fn sync(&mut self, _cx: &Ctx, height: usize) {
        self.list.clamp(self.line_count);
        self.list.height = height;
        self.list.keep_visible(height.max(1), self.line_count);
    }

    fn render(&self, rect: Rect, buf: &mut Buffer, cx: &Ctx, focused: bool) {
        let pal = cx.pal();
        let source = &cx.session.definition.doc.source;
        let file = source
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let extra = if cx.stale_definition {
            format!("{file} (last good)")
        } else {
            file
        };
        let right = format!("{}/{}", self.list.cursor + 1, self.line_count);
        let block = pane_block(pal, Pane::Definition, focused, rect.width, &extra, &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        let num_w = self.line_count.max(1).to_string().len();
        let gutter = num_w + 3;
        let w = area.width as usize;
        let text_w = w.saturating_sub(gutter);
        let cur = cx
            .ix
            .current
            .as_ref()
            .filter(|_| !cx.session.status().is_done())
            .and_then(|c| self.block_of(&c.pointer));
        for i in 0..area.height as usize {
            let n = self.list.offset + i;
            if n >= self.line_count {
                break;
            }
            let y = area.y + i as u16;
            let row = Rect::new(area.x, y, area.width, 1);
            if cur.is_some_and(|b| b.start <= n && n <= b.end) {
                buf.set_style(row, pal.current_line);
            }
            let bp = self
                .blocks
                .iter()
                .filter(|b| b.start == n)
                .any(|b| cx.session.breakpoints.has(&b.name));
            let selected = n == self.list.cursor && focused;
            let num_style = if selected {
                pal.title_focus
            } else {
                pal.gutter
            };
            buf.set_stringn(area.x, y, format!("{:>num_w$} ", n + 1), w, num_style);
            if bp {
                buf.set_stringn(area.x + num_w as u16 + 1, y, "●", 1, pal.breakpoint);
            }
            if cur.is_some_and(|b| b.start == n) {
                buf.set_stringn(area.x + num_w as u16 + 2, y, "▶", 1, pal.current);
            }
            if text_w == 0 {
                continue;
            }
            let text = source.line_text(n + 1).unwrap_or("");
            let x0 = area.x + gutter as u16;
            self.highlighted_line(n, text, text_w, cx)
                .render(Rect::new(x0, y, text_w as u16, 1), buf);
            if selected {
                buf.set_style(row, pal.selection);
            }
        }
    }

    fn selected_value(&self, cx: &Ctx) -> Option<(String, String)> {
        let b = self.state_at_cursor()?;
        super::states::state_source(&b.name, &b.pointer, cx)
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::ToggleBreakpoint, "break here"),
            (Action::Select, "select state"),
            (Action::StepOver, "over"),
            (Action::Continue, "continue"),
        ]
    }
}
