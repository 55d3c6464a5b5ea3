//! The States pane as a graph (`m`): the machine's layered layout drawn with box-drawing
//! characters, the run on it (▶ current, ✓ visited, ✗ failed, ⧗ pending, ● breakpoint),
//! the selected state in view. The same keys as the list move the selection, inspect it
//! (Enter) and toggle its breakpoint (b); `z` gives it the whole screen.

use super::states::StatesPane;
use super::{Ctx, Pane, pane_block};
use crate::graph::EdgeKind;
use crate::graph::layout::{Placed, Route};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

/// Layout cells to screen cells, clipped to the pane.
struct Canvas<'a> {
    buf: &'a mut Buffer,
    area: Rect,
    ox: usize,
    oy: usize,
}

impl Canvas<'_> {
    fn cell(&mut self, x: usize, y: usize) -> Option<&mut ratatui::buffer::Cell> {
        if x < self.ox || y < self.oy {
            return None;
        }
        let (sx, sy) = (x - self.ox, y - self.oy);
        if sx >= self.area.width as usize || sy >= self.area.height as usize {
            return None;
        }
        self.buf
            .cell_mut((self.area.x + sx as u16, self.area.y + sy as u16))
    }

    fn put(&mut self, x: usize, y: usize, ch: &str, style: Style) {
        if let Some(c) = self.cell(x, y) {
            c.set_symbol(ch).set_style(style);
        }
    }

    /// Write `text` from (x, y), at most `max` columns.
    fn text(&mut self, x: usize, y: usize, text: &str, max: usize, style: Style) {
        let mut col = 0;
        for ch in text.chars() {
            let w = ch.to_string().width();
            if col + w > max {
                break;
            }
            self.put(x + col, y, &ch.to_string(), style);
            col += w;
        }
    }

    /// A line cell, unless something other than a line is already there; two lines
    /// meeting make a junction.
    fn line(&mut self, x: usize, y: usize, ch: &str, style: Style) {
        if let Some(c) = self.cell(x, y)
            && (c.symbol() == " " || "│─┆┄╭╮╰╯┴┬".contains(c.symbol()))
        {
            let merged = match (c.symbol(), ch) {
                ("╰", "╯") | ("╯", "╰") | ("┴", "╰" | "╯") => "┴",
                ("╭", "╮") | ("╮", "╭") | ("┬", "╭" | "╮") => "┬",
                ("┴", _) => "┴",
                ("┬", _) => "┬",
                _ => ch,
            };
            c.set_symbol(merged).set_style(style);
        }
    }
}

pub fn render(pane: &StatesPane, rect: Rect, buf: &mut Buffer, cx: &Ctx, focused: bool) {
    let pal = cx.pal();
    // One row a state when the boxes would not fit across.
    let room = rect.width.saturating_sub(2) as usize;
    let layout = if pane.layout.width > room && pane.compact.width < pane.layout.width {
        &pane.compact
    } else {
        &pane.layout
    };
    let block = pane_block(
        pal,
        Pane::States,
        focused,
        rect.width,
        "graph (m: list)",
        &format!("{}×{}", layout.width, layout.height),
    );
    let area = block.inner(rect);
    block.render(rect, buf);
    let selected = pane.selected_state().map(|(_, p)| p.to_string());
    // Keep the selected state in view.
    let sel = selected
        .as_deref()
        .and_then(|p| layout.boxes.iter().find(|b| b.pointer == p));
    let fit = |pos: usize, len: usize, room: usize, total: usize| -> usize {
        if total <= room {
            return 0;
        }
        let want = (pos + len / 2).saturating_sub(room / 2);
        want.min(total - room)
    };
    let (ox, oy) = sel.map_or((0, 0), |b| {
        (
            fit(b.x, b.w, area.width as usize, layout.width),
            fit(b.y, b.h, area.height as usize, layout.height),
        )
    });
    let mut cv = Canvas { buf, area, ox, oy };
    for r in &layout.routes {
        draw_route(&mut cv, r, cx);
    }
    for b in &layout.boxes {
        let (mark, style) = super::states::state_mark(cx, &b.pointer);
        let border = if mark == " " { pal.border } else { style };
        let is_sel = selected.as_deref() == Some(b.pointer.as_str());
        let one_row = b.h == 1 && !b.frame;
        if one_row {
            cv.put(b.x, b.y, "[", border);
            cv.put(b.x + b.w - 1, b.y, "]", border);
        } else {
            draw_box(&mut cv, b, border, pal.base);
        }
        let bp = cx.session.breakpoints.has(&b.name);
        let label = format!("{mark}{}{}", if bp { "●" } else { " " }, b.name);
        let y = if b.frame || one_row { b.y } else { b.y + 1 };
        let x = if b.frame {
            b.x + b.kind.len() + 4
        } else {
            b.x + 1
        };
        let room =
            b.w.saturating_sub(if b.frame { b.kind.len() + 5 } else { 2 });
        let name_style = if is_sel {
            if focused {
                pal.selection
            } else {
                pal.current_line
            }
        } else if mark == " " {
            pal.base
        } else {
            style
        };
        cv.text(x, y, &label, room, name_style);
        if bp {
            cv.text(x + 1, y, "●", 1, pal.breakpoint);
        }
    }
}

fn draw_box(cv: &mut Canvas, b: &Placed, border: Style, text: Style) {
    let (h, v) = if b.frame {
        ("┄", "┆")
    } else {
        ("─", "│")
    };
    let (x1, y1) = (b.x + b.w - 1, b.y + b.h - 1);
    for x in b.x..=x1 {
        cv.put(x, b.y, h, border);
        cv.put(x, y1, h, border);
    }
    for y in b.y..=y1 {
        cv.put(b.x, y, v, border);
        cv.put(x1, y, v, border);
    }
    cv.put(b.x, b.y, "╭", border);
    cv.put(x1, b.y, "╮", border);
    cv.put(b.x, y1, "╰", border);
    cv.put(x1, y1, "╯", border);
    if !b.frame {
        // The inside is the box's own (lines never show through it).
        for x in b.x + 1..x1 {
            cv.put(x, b.y + 1, " ", text);
        }
    }
    cv.text(
        b.x + 2,
        b.y,
        &format!(" {} ", b.kind),
        b.w.saturating_sub(3),
        border,
    );
}

fn draw_route(cv: &mut Canvas, r: &Route, cx: &Ctx) {
    let pal = cx.pal();
    let catch = matches!(r.kind, EdgeKind::Catch(_));
    let style = if catch { pal.dim } else { pal.border };
    let (v, h) = if catch {
        ("┆", "┄")
    } else {
        ("│", "─")
    };
    if r.back {
        let (x, y) = r.points[0];
        let text = format!("↺ {}", r.to);
        cv.text(x.saturating_sub(text.width() / 2), y, &text, 40, pal.dim);
        return;
    }
    let [p0, p1, p2, p3] = [r.points[0], r.points[1], r.points[2], r.points[3]];
    for y in p0.1..p1.1 {
        cv.line(p0.0, y, v, style);
    }
    // The corners at both ends are written below (where lines meet, they join).
    let (lo, hi) = (p1.0.min(p2.0), p1.0.max(p2.0));
    for x in lo + 1..hi {
        cv.line(x, p1.1, h, style);
    }
    for y in p1.1..p3.1 {
        cv.line(p2.0, y, v, style);
    }
    use std::cmp::Ordering::*;
    match p2.0.cmp(&p1.0) {
        Greater => {
            cv.line(p1.0, p1.1, "╰", style);
            cv.line(p2.0, p1.1, "╮", style);
        }
        Less => {
            cv.line(p1.0, p1.1, "╯", style);
            cv.line(p2.0, p1.1, "╭", style);
        }
        Equal => cv.line(p1.0, p1.1, v, style),
    }
    cv.put(p3.0, p3.1, "▼", style);
    let label = match r.kind {
        EdgeKind::Next => String::new(),
        EdgeKind::Rule(k) => format!("{k}"),
        EdgeKind::Default => "default".into(),
        EdgeKind::Catch(_) => crate::tui::text::truncate(&r.label, 16),
    };
    if !label.is_empty() {
        cv.text(p2.0 + 1, p1.1 + 1, &label, 18, pal.dim);
    }
}
