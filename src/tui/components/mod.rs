//! The panes, one component each (as gitui's components): a component owns its state,
//! handles the actions it understands while focused, draws itself from `&self`, and
//! declares the keys its hint bar shows. What a pane does to another pane (the States
//! selection moving the Definition view, History choosing the step the Inspector shows)
//! goes back to the [`App`](super::App) as an [`Effect`], which routes it.

pub mod definition;
pub mod graph;
pub mod history;
pub mod inspector;
pub mod pending;
pub mod states;
pub mod variables;

use super::action::{Action, Keymap};
use super::theme::{Palette, Theme};
use crate::session::Session;
use crate::session::index::ExecutionIndex;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};

/// The panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    States,
    Definition,
    Inspector,
    History,
    Pending,
    Variables,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::States,
        Pane::Definition,
        Pane::Inspector,
        Pane::History,
        Pane::Pending,
        Pane::Variables,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::States => "States",
            Pane::Definition => "Definition",
            Pane::Inspector => "Inspector",
            Pane::History => "History",
            Pane::Pending => "Pending",
            Pane::Variables => "Variables",
        }
    }

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The number shown in its title and used to focus it.
    pub fn number(self) -> usize {
        self.index() + 1
    }

    /// Panes that share the tabbed area in the compact layout.
    pub fn tabbed(self) -> bool {
        matches!(
            self,
            Pane::Definition | Pane::Inspector | Pane::History | Pane::Variables
        )
    }
}

/// What every pane reads to act and draw: the session, what is derived from it, the look
/// and the keys.
pub struct Ctx<'a> {
    pub session: &'a Session,
    pub ix: &'a ExecutionIndex,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    /// A run goes on (trees wait for it to stop before they rebuild).
    pub running: bool,
    /// The definition on disk is an invalid save (the last good one is shown).
    pub stale_definition: bool,
    /// Bumped whenever the execution is replaced (restart, step back, reload).
    pub generation: u64,
}

impl Ctx<'_> {
    pub fn pal(&self) -> &Palette {
        &self.theme.palette
    }
}

/// Which step the Inspector shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inspect {
    /// Follow the execution: the state in progress, else the last step.
    Latest,
    Step(usize),
}

/// What a pane asks of the app (and, through it, of other panes).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// The States selection moved to this state: show its block in the Definition.
    RevealState(String),
    /// Select this state (by pointer) in the States pane.
    SelectState(String),
    /// Show this step in the Inspector.
    Inspect(Inspect),
    /// Open the answer form for the selected pending task.
    OpenForm(super::app::FormKind),
    Info(String),
    Warn(String),
}

/// A pane.
pub trait Component {
    fn pane(&self) -> Pane;

    /// An action while this pane has the focus; false when it is not the pane's (the app
    /// handles it).
    fn on_action(&mut self, a: Action, cx: &Ctx, fx: &mut Vec<Effect>) -> bool;

    /// A click on row `row` of the pane's inside.
    fn on_click(&mut self, row: usize, cx: &Ctx, fx: &mut Vec<Effect>);

    /// Bring derived data up to date after an update; `height` is the inside's height.
    fn sync(&mut self, cx: &Ctx, height: usize);

    fn render(&self, area: Rect, buf: &mut Buffer, cx: &Ctx, focused: bool);

    /// The keys the hint bar shows while this pane has the focus.
    fn hints(&self) -> &'static [(Action, &'static str)];

    /// The selected value whole, for the viewer and the clipboard: what it is and its
    /// text.
    fn selected_value(&self, _cx: &Ctx) -> Option<(String, String)> {
        None
    }
}

/// A cursor in a list and the first row shown, for the list panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScrollList {
    pub cursor: usize,
    pub offset: usize,
    /// The height of the pane's inside when last drawn (what a page moves by).
    pub height: usize,
}

impl ScrollList {
    /// Move the cursor by `d` rows within `len`.
    pub fn move_by(&mut self, d: isize, len: usize) {
        self.cursor = if len == 0 {
            0
        } else {
            (self.cursor as isize)
                .saturating_add(d)
                .clamp(0, len as isize - 1) as usize
        };
    }

    /// Keep the cursor within `len`.
    pub fn clamp(&mut self, len: usize) {
        self.cursor = self.cursor.min(len.saturating_sub(1));
    }

    /// Scroll so the cursor is within `rows` shown rows (and no further than the end).
    pub fn keep_visible(&mut self, rows: usize, len: usize) {
        self.offset = keep_visible(self.cursor, self.offset, rows, len);
    }

    /// A click on shown row `row`: moves the cursor there when it is an item.
    pub fn click(&mut self, row: usize, len: usize) -> bool {
        let i = self.offset + row;
        if i < len {
            self.cursor = i;
            true
        } else {
            false
        }
    }

    /// Rows one page moves.
    pub fn page(&self) -> isize {
        self.height.saturating_sub(1).max(1) as isize
    }
}

/// How far a movement action moves a cursor (None: not a movement).
pub fn movement(a: Action, page: isize) -> Option<isize> {
    Some(match a {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -page,
        Action::PageDown => page,
        Action::Top => isize::MIN / 2,
        Action::Bottom => isize::MAX / 2,
        _ => return None,
    })
}

/// A scroll offset that keeps `cursor` within `height` rows.
pub fn keep_visible(cursor: usize, offset: usize, height: usize, len: usize) -> usize {
    let mut off = offset;
    if cursor < off {
        off = cursor;
    } else if cursor >= off + height {
        off = cursor + 1 - height;
    }
    off.min(len.saturating_sub(height))
}

/// A pane's frame: its number and title, an extra note, a right-aligned note.
pub fn pane_block(
    pal: &Palette,
    pane: Pane,
    focused: bool,
    width: u16,
    extra: &str,
    right: &str,
) -> Block<'static> {
    use unicode_width::UnicodeWidthStr;
    let (bs, ts) = if focused {
        (pal.border_focus, pal.title_focus)
    } else {
        (pal.border, pal.title)
    };
    // Between the corners: the pane's name, then what it shows (a file name: the pane's
    // name gives way to it first, and it is cut in the middle only when it cannot fit
    // alone), then the right title if there is still room.
    let room = (width as usize).saturating_sub(2);
    let mut name = format!(" {} {} ", pane.number(), pane.title());
    if !extra.is_empty() && name.width() + extra.width() + 1 > room {
        name = format!(" {} ", pane.number());
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        let fit = room.saturating_sub(name.width() + 1);
        format!("{} ", crate::tui::text::truncate_middle(extra, fit))
    };
    let mut title = vec![Span::styled(name.clone(), ts)];
    if extra.trim().chars().count() > 0 {
        title.push(Span::styled(extra.clone(), pal.dim));
    }
    let mut b = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(bs)
        .title(Line::from(title));
    let right = format!(" {right} ");
    if right.trim().chars().count() > 0 && name.width() + extra.width() + right.width() < room {
        b = b.title_top(Line::from(Span::styled(right, pal.dim)).right_aligned());
    }
    b
}

/// Mark the selected row: the selection colour in the focused pane, an underline in the
/// others (so the focused one stands out).
pub fn paint_selection(buf: &mut Buffer, row: Rect, focused: bool, pal: &Palette) {
    let s = if focused {
        pal.selection
    } else {
        dim_selection(pal.selection)
    };
    buf.set_style(row, s);
}

fn dim_selection(s: Style) -> Style {
    if s.bg.is_some() || s.add_modifier.contains(Modifier::REVERSED) {
        Style::new().add_modifier(Modifier::UNDERLINED)
    } else {
        s
    }
}

/// What the JSON tree panes (Inspector, Variables) do with an action: move, fold, unfold.
pub fn tree_action(
    tree: &mut super::json::JsonTree,
    folds: &mut super::json::FoldMemory,
    a: Action,
    height: usize,
) -> bool {
    if let Some(d) = movement(a, height.saturating_sub(1).max(1) as isize) {
        tree.move_by(d);
        return true;
    }
    match a {
        Action::Left => tree.left(folds),
        Action::Right => tree.right(folds),
        Action::Select => tree.toggle(folds),
        Action::ExpandAll => tree.set_all(true, folds),
        Action::CollapseAll => tree.set_all(false, folds),
        _ => return false,
    }
    true
}

/// The visible lines of a JSON tree, the cursor's marked when focused.
pub fn render_tree(
    tree: &super::json::JsonTree,
    area: Rect,
    focused: bool,
    pal: &Palette,
    buf: &mut Buffer,
) {
    use ratatui::widgets::Widget;
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

/// A pane's inside (its border removed).
pub fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_add(1),
        r.y.saturating_add(1),
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_keep_the_cursor_visible() {
        assert_eq!(keep_visible(0, 0, 10, 100), 0);
        assert_eq!(keep_visible(15, 0, 10, 100), 6);
        assert_eq!(keep_visible(3, 6, 10, 100), 3);
        assert_eq!(keep_visible(99, 0, 10, 100), 90);
        assert_eq!(keep_visible(2, 50, 10, 5), 0);
    }

    #[test]
    fn lists_move_within_their_length() {
        let mut l = ScrollList::default();
        l.move_by(5, 3);
        assert_eq!(l.cursor, 2);
        l.move_by(-10, 3);
        assert_eq!(l.cursor, 0);
        l.move_by(1, 0);
        assert_eq!(l.cursor, 0);
        assert!(!l.click(4, 3));
        assert!(l.click(1, 3));
        assert_eq!(l.cursor, 1);
    }
}
