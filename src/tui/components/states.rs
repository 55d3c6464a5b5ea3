//! The States pane: the machine as a tree (Map and Parallel nested) with what the
//! execution did at each state: ▶ current, ✓ visited, ✗ failed, ⧗ pending, ● breakpoint,
//! Map progress.

use super::{
    Component, Ctx, Effect, Inspect, Pane, ScrollList, movement, paint_selection, pane_block,
};
use crate::asl::model::{Machine, StateKind};
use crate::tui::action::Action;
use crate::tui::text::distinct;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

/// One row of the tree.
#[derive(Debug, Clone)]
pub struct Row {
    pub depth: u16,
    pub kind: RowKind,
}

#[derive(Debug, Clone)]
pub enum RowKind {
    State {
        name: String,
        pointer: String,
        type_name: &'static str,
        /// Its machine's (or branch's, or iterator's) StartAt.
        start: bool,
    },
    /// A Parallel branch.
    Branch(usize),
}

#[derive(Debug, Default)]
pub struct StatesPane {
    pub rows: Vec<Row>,
    pub list: ScrollList,
    /// The selection follows the execution.
    pub follow: bool,
    /// The state whose block the Definition pane was last asked to show.
    revealed: Option<String>,
    /// Shown as a graph of the machine (`m`) rather than a list.
    pub graph: bool,
    /// The machine laid out, for the graph.
    pub layout: crate::graph::layout::Layout,
    /// The same in one row a state, for a pane too narrow for the other.
    pub compact: crate::graph::layout::Layout,
    /// The Maps and Parallels folded in the graph (pointers), kept across reloads.
    pub folded: std::collections::HashSet<String>,
    /// The machine drawn (laid out again when a fold changes).
    machine: Option<Machine>,
}

impl StatesPane {
    pub fn new() -> StatesPane {
        StatesPane {
            follow: true,
            ..StatesPane::default()
        }
    }

    /// Rebuild the rows for a (re)loaded definition.
    pub fn load(&mut self, machine: &Machine) {
        let mut rows = Vec::new();
        push_rows(machine, 0, &mut rows);
        self.rows = rows;
        self.machine = Some(machine.clone());
        self.lay_out();
        self.list.clamp(self.rows.len());
        self.revealed = None;
    }

    /// Lay the machine out again, with the folds as they are.
    fn lay_out(&mut self) {
        let Some(machine) = &self.machine else {
            return;
        };
        let block = crate::graph::Block::folded(machine, &self.folded);
        self.layout = crate::graph::layout::layout(&block);
        self.compact =
            crate::graph::layout::layout_with(&block, crate::graph::layout::Spacing::COMPACT);
    }

    /// Fold or unfold the Map or Parallel selected (or holding the selection) in the
    /// graph: what to tell the person.
    fn fold_selected(&mut self) -> String {
        let Some((_, ptr)) = self.selected_state() else {
            return "no state selected".into();
        };
        let ptr = ptr.to_string();
        let frame = self.machine.as_ref().and_then(|m| {
            let mut best: Option<(String, String)> = None;
            m.walk(&mut |s| {
                let holds = *s.pointer == *ptr || ptr.starts_with(&format!("{}/", s.pointer));
                if holds
                    && !s.sub_machines().is_empty()
                    && best.as_ref().is_none_or(|(p, _)| s.pointer.len() > p.len())
                {
                    // The innermost unfolded one, or the folded one that hides it.
                    if !self
                        .folded
                        .iter()
                        .any(|f| s.pointer.starts_with(&format!("{f}/")))
                    {
                        best = Some((s.pointer.to_string(), s.name.to_string()));
                    }
                }
            });
            best
        });
        let Some((frame, name)) = frame else {
            return "not in a Map or Parallel".into();
        };
        let said = if self.folded.remove(&frame) {
            format!("'{name}' unfolded")
        } else {
            self.folded.insert(frame.clone());
            self.select(&frame);
            format!("'{name}' folded (x unfolds it)")
        };
        self.lay_out();
        said
    }

    /// Fold every Map and Parallel, or none.
    fn fold_all(&mut self, fold: bool) {
        self.folded.clear();
        if fold && let Some(m) = &self.machine {
            m.walk(&mut |s| {
                if !s.sub_machines().is_empty() {
                    self.folded.insert(s.pointer.to_string());
                }
            });
        }
        self.lay_out();
    }

    /// The columns the pane needs to show every row whole (borders included).
    pub fn wanted_width(&self) -> usize {
        self.rows
            .iter()
            .map(|r| match &r.kind {
                RowKind::State {
                    name,
                    type_name,
                    start,
                    ..
                } => {
                    let right = type_name.len() + if *start { 6 } else { 0 } + 4;
                    2 + r.depth as usize * 2 + name.width() + 1 + right
                }
                RowKind::Branch(_) => 12 + r.depth as usize * 2,
            })
            .max()
            .unwrap_or(0)
            + 2
    }

    /// The selected state's name and pointer.
    pub fn selected_state(&self) -> Option<(&str, &str)> {
        match &self.rows.get(self.list.cursor)?.kind {
            RowKind::State { name, pointer, .. } => Some((name, pointer)),
            RowKind::Branch(_) => None,
        }
    }

    fn row_of(&self, pointer: &str) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| matches!(&r.kind, RowKind::State { pointer: p, .. } if p == pointer))
    }

    /// Select the state at `pointer` (a person chose it elsewhere): the selection stops
    /// following the execution.
    pub fn select(&mut self, pointer: &str) {
        if let Some(i) = self.row_of(pointer) {
            self.list.cursor = i;
            self.follow = false;
            self.revealed = Some(pointer.to_string());
        }
    }

    /// The graph's box nearest the selected one in the arrow's direction (its pointer).
    fn neighbour(&self, a: Action) -> Option<String> {
        let (_, ptr) = self.selected_state()?;
        let boxes = &self.layout.boxes;
        let from = super::graph::visible_box(&self.layout, ptr)?;
        let ptr = from.pointer.as_str();
        let centre =
            |b: &crate::graph::layout::Placed| ((b.x + b.w / 2) as i64, (b.y + b.h / 2) as i64);
        let (fx, fy) = centre(from);
        boxes
            .iter()
            .filter(|b| b.pointer != ptr)
            .filter_map(|b| {
                let (x, y) = centre(b);
                let (dx, dy) = (x - fx, y - fy);
                // Along the arrow (must be ahead), and how far off to the side.
                let (ahead, side) = match a {
                    Action::Up => (-dy, dx),
                    Action::Down => (dy, dx),
                    Action::Left => (-dx, dy),
                    _ => (dx, dy),
                };
                (ahead > 0).then_some((ahead + 2 * side.abs(), b.pointer.clone()))
            })
            .min_by_key(|(d, _)| *d)
            .map(|(_, p)| p)
    }

    /// Put the selection on the current state.
    pub fn follow_current(&mut self, cx: &Ctx, fx: &mut Vec<Effect>) {
        if let Some(cur) = &cx.ix.current
            && let Some(i) = self.row_of(&cur.pointer)
        {
            self.list.cursor = i;
            self.reveal(fx);
        }
    }

    /// The selection moved: have its block shown (once per state).
    fn reveal(&mut self, fx: &mut Vec<Effect>) {
        let Some((_, ptr)) = self.selected_state() else {
            return;
        };
        if self.revealed.as_deref() != Some(ptr) {
            let ptr = ptr.to_string();
            self.revealed = Some(ptr.clone());
            fx.push(Effect::RevealState(ptr));
        }
    }

    /// Enter on a state: inspect its last visit (or the visit in progress).
    fn inspect_selected(&self, cx: &Ctx, fx: &mut Vec<Effect>) {
        let Some((_, ptr)) = self.selected_state() else {
            return;
        };
        match cx.ix.visits.get(ptr) {
            Some(v) => {
                fx.push(Effect::Inspect(Inspect::Step(v.last)));
                fx.push(Effect::Info(format!(
                    "inspecting step {} ({})",
                    v.last + 1,
                    cx.session.execution().steps()[v.last].state
                )));
            }
            None if cx.ix.current.as_ref().is_some_and(|c| c.pointer == ptr) => {
                fx.push(Effect::Inspect(Inspect::Latest));
                fx.push(Effect::Info("inspecting the state in progress".into()));
            }
            None => fx.push(Effect::Info("this state has not run yet".into())),
        }
    }
}

impl StatesPane {
    /// Each row's name, cut to its room so no two states read the same, and its right
    /// column (Map progress or visits, StartAt, the type), for a pane `w` columns wide.
    fn labels(&self, w: usize, cx: &Ctx) -> Vec<(String, String)> {
        let mut names = Vec::with_capacity(self.rows.len());
        let mut rooms = Vec::with_capacity(self.rows.len());
        let mut rights = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            let RowKind::State {
                name,
                pointer,
                type_name,
                start,
            } = &row.kind
            else {
                names.push("");
                rooms.push(0);
                rights.push(String::new());
                continue;
            };
            let mut right = String::new();
            if let Some((d, t)) = cx.ix.map_progress.get(pointer) {
                right.push_str(&format!("{d}/{t} "));
            } else if let Some(v) = cx.ix.visits.get(pointer).filter(|v| v.count > 1) {
                right.push_str(&format!("×{} ", v.count));
            }
            if w >= 30 {
                if *start {
                    right.push_str("start ");
                }
                right.push_str(type_name);
            } else {
                if *start {
                    right.push('⇢');
                }
                right.push_str(short_type(type_name));
            }
            let used = 2 + row.depth as usize * 2;
            names.push(name.as_str());
            rooms.push(w.saturating_sub(used + right.width() + 1));
            rights.push(right);
        }
        distinct(&names, &rooms).into_iter().zip(rights).collect()
    }
}

impl Component for StatesPane {
    fn pane(&self) -> Pane {
        Pane::States
    }

    fn on_action(&mut self, a: Action, cx: &Ctx, fx: &mut Vec<Effect>) -> bool {
        if self.graph {
            match a {
                Action::FoldFrame => {
                    fx.push(Effect::Info(self.fold_selected()));
                    return true;
                }
                Action::CollapseAll | Action::ExpandAll => {
                    self.fold_all(a == Action::CollapseAll);
                    fx.push(Effect::Info(
                        if a == Action::CollapseAll {
                            "every Map and Parallel folded"
                        } else {
                            "every Map and Parallel unfolded"
                        }
                        .into(),
                    ));
                    return true;
                }
                _ => {}
            }
        }
        // In the graph, the arrows go to the nearest box that way.
        if self.graph && matches!(a, Action::Up | Action::Down | Action::Left | Action::Right) {
            if let Some(p) = self.neighbour(a) {
                self.select(&p);
                self.reveal(fx);
            }
            return true;
        }
        if let Some(d) = movement(a, self.list.page()) {
            self.list.move_by(d, self.rows.len());
            self.follow = false;
            self.reveal(fx);
            return true;
        }
        if a == Action::Select {
            self.inspect_selected(cx, fx);
            return true;
        }
        false
    }

    fn on_click(&mut self, row: usize, _cx: &Ctx, fx: &mut Vec<Effect>) {
        if self.list.click(row, self.rows.len()) {
            self.follow = false;
            self.reveal(fx);
        }
    }

    fn sync(&mut self, _cx: &Ctx, height: usize) {
        self.list.clamp(self.rows.len());
        self.list.height = height;
        self.list.keep_visible(height.max(1), self.rows.len());
    }

    fn render(&self, rect: Rect, buf: &mut Buffer, cx: &Ctx, focused: bool) {
        if self.graph {
            return super::graph::render(self, rect, buf, cx, focused);
        }
        let pal = cx.pal();
        let visited = cx.ix.visits.len();
        let total = self
            .rows
            .iter()
            .filter(|r| matches!(r.kind, RowKind::State { .. }))
            .count();
        let block = pane_block(
            pal,
            Pane::States,
            focused,
            rect.width,
            "",
            &format!("{visited}/{total}"),
        );
        let area = block.inner(rect);
        block.render(rect, buf);
        let w = area.width as usize;
        let cur_ptr = cx.ix.current.as_ref().map(|c| c.pointer.as_str());
        let done = cx.session.status().is_done();
        let labels = self.labels(w, cx);
        for (row_i, row) in self
            .rows
            .iter()
            .enumerate()
            .skip(self.list.offset)
            .take(area.height as usize)
        {
            let y = area.y + (row_i - self.list.offset) as u16;
            let indent = "  ".repeat(row.depth as usize);
            let mut spans: Vec<Span> = Vec::new();
            match &row.kind {
                RowKind::Branch(i) => {
                    spans.push(Span::raw("  "));
                    spans.push(Span::raw(indent));
                    spans.push(Span::styled(format!("┄ branch {}", i + 1), pal.dim));
                }
                RowKind::State { name, pointer, .. } => {
                    let pending = cx.ix.pending_ptrs.contains(pointer);
                    let is_cur = cur_ptr == Some(pointer.as_str()) && !done;
                    let (m, ms) = state_mark(cx, pointer);
                    spans.push(Span::styled(m, ms));
                    let bp = cx.session.breakpoints.has(name);
                    spans.push(Span::styled(if bp { "●" } else { " " }, pal.breakpoint));
                    spans.push(Span::raw(indent));
                    let (name_t, right) = &labels[row_i];
                    let progress = cx.ix.map_progress.get(pointer);
                    let used = 2 + row.depth as usize * 2;
                    let pad = w.saturating_sub(used + name_t.width() + right.width());
                    let name_style = if is_cur || pending {
                        pal.current
                    } else {
                        pal.base
                    };
                    spans.push(Span::styled(name_t.clone(), name_style));
                    spans.push(Span::raw(" ".repeat(pad)));
                    let rs = if progress.is_some() {
                        pal.pending
                    } else {
                        pal.dim
                    };
                    spans.push(Span::styled(right.clone(), rs));
                }
            }
            let row_area = Rect::new(area.x, y, area.width, 1);
            Line::from(spans).render(row_area, buf);
            if row_i == self.list.cursor {
                paint_selection(buf, row_area, focused, pal);
            }
        }
    }

    fn selected_value(&self, cx: &Ctx) -> Option<(String, String)> {
        let (name, pointer) = self.selected_state()?;
        state_source(name, pointer, cx)
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::StepOver, "over"),
            (Action::StepInto, "into"),
            (Action::Continue, "continue"),
            (Action::ToggleBreakpoint, "break"),
            (Action::Select, "inspect"),
        ]
    }
}

fn push_rows(m: &Machine, depth: u16, rows: &mut Vec<Row>) {
    for s in &m.states {
        rows.push(Row {
            depth,
            kind: RowKind::State {
                name: s.name.to_string(),
                pointer: s.pointer.to_string(),
                type_name: s.type_name(),
                start: *s.name == *m.start_at,
            },
        });
        match &s.kind {
            StateKind::Parallel(p) => {
                for (i, b) in p.branches.iter().enumerate() {
                    rows.push(Row {
                        depth: depth + 1,
                        kind: RowKind::Branch(i),
                    });
                    push_rows(b, depth + 2, rows);
                }
            }
            StateKind::Map(map) => push_rows(&map.processor, depth + 1, rows),
            _ => {}
        }
    }
}

/// What the execution did at the state at `pointer`: ⧗ waits, ▶ current, ✗ failed,
/// ✓ visited (blank: not yet), and its style.
pub fn state_mark(cx: &Ctx, pointer: &str) -> (&'static str, ratatui::style::Style) {
    let pal = cx.pal();
    let current = cx.ix.current.as_ref().is_some_and(|c| c.pointer == pointer)
        && !cx.session.status().is_done();
    let visit = cx.ix.visits.get(pointer);
    if cx.ix.pending_ptrs.contains(pointer) {
        ("⧗", pal.pending)
    } else if current {
        ("▶", pal.current)
    } else if visit.is_some_and(|v| v.last_failed) {
        ("✗", pal.failed)
    } else if visit.is_some() {
        ("✓", pal.visited)
    } else {
        (" ", pal.dim)
    }
}

fn short_type(t: &str) -> &str {
    match t {
        "Parallel" => "Par",
        "Succeed" => "Ok",
        other => other,
    }
}

/// A state's definition, for the viewer.
pub fn state_source(name: &str, pointer: &str, cx: &Ctx) -> Option<(String, String)> {
    let v = cx.session.definition.doc.value().pointer(pointer)?;
    Some((format!("state {name}"), crate::tui::pager::readable(v)))
}
