//! The States pane as a graph (`m`): the machine's layered layout drawn with box-drawing
//! characters, the run on it (▶ current, ✓ visited, ✗ failed, ⧗ pending, ● breakpoint),
//! the selected state in view. The same keys as the list move the selection, inspect it
//! (Enter) and toggle its breakpoint (b); `z` gives it the whole screen.

use super::states::StatesPane;
use super::{Ctx, Pane, pane_block};
use crate::graph::EdgeKind;
use crate::graph::layout::{Layout, Placed, Route};
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
    /// Draw a piece of line; where lines meet, the glyph joins them (a corner over a
    /// line becomes a tee, two lines crossing a cross). Boxes and text are never drawn over.
    fn line(&mut self, x: usize, y: usize, ch: &str, style: Style) {
        let Some(c) = self.cell(x, y) else {
            return;
        };
        let merged = match (c.symbol(), joins(ch)) {
            (" ", _) => ch,
            (old, Some(new)) if old != ch => match joins(old) {
                Some(had) => glyph(had | new),
                None => return,
            },
            (old, _) if old == ch => ch,
            _ => return,
        };
        c.set_symbol(merged).set_style(style);
    }
}

/// The sides a line glyph reaches: up 1, down 2, left 4, right 8.
fn joins(glyph: &str) -> Option<u8> {
    Some(match glyph {
        "│" | "┆" => 1 | 2,
        "─" | "┄" => 4 | 8,
        "╭" => 2 | 8,
        "╮" => 2 | 4,
        "╰" => 1 | 8,
        "╯" => 1 | 4,
        "┴" => 1 | 4 | 8,
        "┬" => 2 | 4 | 8,
        "├" => 1 | 2 | 8,
        "┤" => 1 | 2 | 4,
        "┼" => 15,
        _ => return None,
    })
}

/// The glyph reaching these sides.
fn glyph(sides: u8) -> &'static str {
    match sides {
        3 => "│",
        12 | 4 | 8 => "─",
        1 | 2 => "│",
        10 => "╭",
        6 => "╮",
        9 => "╰",
        5 => "╯",
        13 => "┴",
        14 => "┬",
        11 => "├",
        7 => "┤",
        _ => "┼",
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
    // The selected state, or the folded Map or Parallel it is in.
    let selected = pane
        .selected_state()
        .and_then(|(_, p)| visible_box(layout, p))
        .map(|b| b.pointer.clone());
    // Keep the selected state in view.
    let sel = selected
        .as_deref()
        .and_then(|p| layout.boxes.iter().find(|b| b.pointer == p));
    let fit = |pos: usize, len: usize, room: usize, total: usize| -> usize {
        if total <= room {
            return 0;
        }
        // Centred; a box wider than the room shows from its start (where its name is), a
        // frame (len 0 here) from its middle.
        let want = if len >= room {
            pos
        } else {
            (pos + len / 2).saturating_sub(room / 2)
        };
        want.min(total - room)
    };
    let (ox, oy) = sel.map_or((0, 0), |b| {
        (
            if b.frame {
                fit(b.x + b.w / 2, 0, area.width as usize, layout.width)
            } else {
                fit(b.x, b.w, area.width as usize, layout.width)
            },
            fit(b.y, b.h, area.height as usize, layout.height),
        )
    });
    let mut cv = Canvas { buf, area, ox, oy };
    for r in &layout.routes {
        draw_route(&mut cv, r, cx);
    }
    for b in &layout.boxes {
        let (mark, style) =
            folded_mark(cx, b).unwrap_or_else(|| super::states::state_mark(cx, &b.pointer));
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
        let mut label = format!("{mark}{}{}", if bp { "●" } else { " " }, b.name);
        if one_row && b.folded > 0 {
            label.push_str(&format!(" +{}", b.folded));
        }
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

/// The box drawn for the state at `pointer`: its own, or that of the folded Map or
/// Parallel holding it.
pub fn visible_box<'l>(layout: &'l Layout, pointer: &str) -> Option<&'l Placed> {
    layout
        .boxes
        .iter()
        .find(|b| b.pointer == pointer)
        .or_else(|| {
            layout
                .boxes
                .iter()
                .filter(|b| b.folded > 0 && pointer.starts_with(&format!("{}/", b.pointer)))
                .max_by_key(|b| b.pointer.len())
        })
}

/// A folded Map or Parallel whose inside runs or waits now: marked so.
fn folded_mark(cx: &Ctx, b: &Placed) -> Option<(&'static str, Style)> {
    if b.folded == 0 || cx.session.status().is_done() {
        return None;
    }
    let inside = |p: &str| p.starts_with(&format!("{}/", b.pointer));
    let pal = cx.pal();
    if cx.ix.pending_ptrs.iter().any(|p| inside(p)) {
        Some(("⧗", pal.pending))
    } else if cx.ix.current.as_ref().is_some_and(|c| inside(&c.pointer)) {
        Some(("▶", pal.current))
    } else {
        None
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
        &format!(" {} ", b.kind_label()),
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
    // Orthogonal segments, down or across; where two meet, a corner (the route leaves its
    // box downwards, so its first point is met from above).
    let mut pts = r.points.clone();
    pts.dedup();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a.0 == b.0 {
            for y in a.1.min(b.1) + 1..a.1.max(b.1) {
                cv.line(a.0, y, v, style);
            }
        } else {
            for x in a.0.min(b.0) + 1..a.0.max(b.0) {
                cv.line(x, a.1, h, style);
            }
        }
    }
    let above = (pts[0].0, pts[0].1.saturating_sub(1));
    let turns: Vec<(usize, usize)> = std::iter::once(above).chain(pts.iter().copied()).collect();
    for w in turns.windows(3) {
        let (a, b, c) = (w[0], w[1], w[2]);
        let corner = match (a.0 == b.0, b.0.cmp(&c.0), b.0.cmp(&a.0)) {
            // Down, then across.
            (true, std::cmp::Ordering::Less, _) => "╰",
            (true, std::cmp::Ordering::Greater, _) => "╯",
            // Across, then down.
            (false, _, std::cmp::Ordering::Greater) => "╮",
            (false, _, std::cmp::Ordering::Less) => "╭",
            _ => v,
        };
        cv.line(b.0, b.1, corner, style);
    }
    let end = pts[pts.len() - 1];
    cv.put(end.0, end.1, "▼", style);
    let label = match r.kind {
        EdgeKind::Next => String::new(),
        EdgeKind::Rule(k) => format!("{k}"),
        EdgeKind::Default => "default".into(),
        EdgeKind::Catch(_) => crate::tui::text::truncate(&r.label, 16),
    };
    if !label.is_empty() {
        // Beside the line into the target, below the last turn.
        let (x, y) = r.points[r.points.len().saturating_sub(2)];
        cv.text(x + 1, y + 1, &label, 18, pal.dim);
    }
}
