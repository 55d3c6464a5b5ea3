//! The Inspector pane: every data-flow stage of one step as a folding JSON tree, each
//! compared with the stage it was computed from, then the error, what answered the step's
//! tasks and their function logs.

use super::{Component, Ctx, Effect, Inspect, Pane, pane_block, render_tree, tree_action};
use crate::engine::{Execution, StepRecord};
use crate::session::index::diff_basis;
use crate::tui::action::Action;
use crate::tui::json::{FoldMemory, JsonTree};
use crate::tui::text::truncate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// What the tree was built for (rebuilt when this changes).
#[derive(Debug, Clone, PartialEq)]
struct Built {
    generation: u64,
    target: Option<Target>,
    steps: usize,
    history: usize,
    invocations: usize,
    pending: usize,
}

/// The record shown: the visit in progress on a thread, or a finished step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Open { thread: usize },
    Step(usize),
}

pub struct InspectorPane {
    pub inspect: Inspect,
    pub tree: JsonTree,
    folds: FoldMemory,
    built: Option<Built>,
    /// The record the tree shows.
    pub record: Option<StepRecord>,
    /// The height of the pane's inside when last drawn.
    height: usize,
}

impl Default for InspectorPane {
    fn default() -> Self {
        InspectorPane {
            inspect: Inspect::Latest,
            tree: JsonTree::new(),
            folds: FoldMemory::new(),
            built: None,
            record: None,
            height: 0,
        }
    }
}

impl InspectorPane {
    /// Lines drawn above the tree.
    pub fn header_lines(&self) -> usize {
        match &self.record {
            Some(r) => 1 + usize::from(r.error.is_some()),
            None => 1,
        }
    }

    /// Move `d` steps back or forth through the execution's steps (the visit in progress
    /// counts as the last).
    pub fn step(&mut self, d: isize, cx: &Ctx) {
        let exec = cx.session.execution();
        let n = exec.steps().len();
        if n == 0 {
            return;
        }
        let open = cx
            .ix
            .current
            .as_ref()
            .and_then(|c| open_record(exec, c.thread))
            .is_some();
        // Positions: 0..n closed records, n = the open one (when there is one).
        let last = if open { n } else { n - 1 };
        let cur = match self.inspect {
            Inspect::Latest => last,
            Inspect::Step(i) => i,
        };
        let next = (cur as isize + d).clamp(0, last as isize) as usize;
        self.inspect = if next == last {
            Inspect::Latest
        } else {
            Inspect::Step(next)
        };
    }

    /// Is `r` the record of the visit in progress?
    pub fn is_open(&self, r: &StepRecord, cx: &Ctx) -> bool {
        cx.ix
            .current
            .as_ref()
            .and_then(|c| open_record(cx.session.execution(), c.thread))
            .is_some_and(|o| std::ptr::eq(o, r) || o == r)
    }

    fn target(&self, cx: &Ctx) -> Option<Target> {
        let exec = cx.session.execution();
        let n = exec.steps().len();
        match self.inspect {
            Inspect::Step(i) if i < n => Some(Target::Step(i)),
            _ => match &cx.ix.current {
                Some(c) if open_record(exec, c.thread).is_some() => {
                    Some(Target::Open { thread: c.thread })
                }
                _ => n.checked_sub(1).map(Target::Step),
            },
        }
    }

    fn rebuild(&mut self, cx: &Ctx) {
        let target = self.target(cx);
        let exec = cx.session.execution();
        let built = Built {
            generation: cx.generation,
            target,
            steps: exec.steps().len(),
            history: if matches!(target, Some(Target::Open { .. })) {
                exec.history().len()
            } else {
                0
            },
            invocations: cx.session.invocations.len(),
            pending: cx.session.pending().len(),
        };
        if self.built.as_ref() == Some(&built) {
            return;
        }
        let cursor = self.tree.cursor;
        let same_target = self.built.as_ref().is_some_and(|b| b.target == target);
        self.built = Some(built);
        let rec = match target {
            Some(Target::Open { thread }) => open_record(exec, thread).cloned(),
            Some(Target::Step(i)) => exec.steps().get(i).cloned(),
            None => None,
        };
        let mut tree = JsonTree::new();
        if let Some(rec) = &rec {
            self.fill(
                &mut tree,
                rec,
                matches!(target, Some(Target::Open { .. })),
                cx,
            );
        }
        tree.relayout();
        if same_target {
            tree.cursor = cursor.min(tree.line_count().saturating_sub(1));
        }
        self.tree = tree;
        self.record = rec;
    }

    /// The sections of one record: a pending task, the stages, the error, what answered.
    fn fill(&self, tree: &mut JsonTree, rec: &StepRecord, open: bool, cx: &Ctx) {
        for t in cx.session.pending() {
            if t.thread == rec.thread && *t.state == *rec.state {
                let v = super::pending::pending_json(t, cx);
                tree.section("pending task", &v, None, &self.folds);
            }
        }
        // A Choice says first why it went where it went; a Map, what became of each item.
        if let Some(trace) = &rec.choice {
            tree.section("choice", &trace.to_json(), None, &self.folds);
        }
        // A Distributed Map: its Map Run (items, batches, how they fared).
        let live_run = open
            .then(|| cx.session.execution().map_run(rec.thread))
            .flatten();
        if let Some(run) = live_run.as_ref().or(rec.map_run.as_deref()) {
            tree.section("map run", run, None, &self.folds);
        }
        if let Some(items) = map_items(rec) {
            tree.section("per item", &items, None, &self.folds);
        }
        for (i, (stage, v)) in rec.stages.iter().enumerate() {
            let seen = &rec.stages[..i];
            let prev = diff_basis(*stage)
                .iter()
                .find_map(|b| seen.iter().find(|(n, _)| n == b).map(|(_, v)| &**v));
            tree.section(stage.as_str(), v, prev, &self.folds);
        }
        if !rec.attempts.is_empty() {
            let attempts: Vec<crate::json::Value> = rec
                .attempts
                .iter()
                .map(crate::engine::Attempt::to_json)
                .collect();
            tree.section(
                "attempts",
                &crate::json::Value::Array(attempts),
                None,
                &self.folds,
            );
        }
        if let Some(e) = &rec.error {
            tree.section("error", &e.to_error_output(), None, &self.folds);
        }
        // What answered this visit's tasks.
        let ids = cx.ix.task_ids_of(rec, open);
        for inv in &cx.session.invocations {
            if !ids.contains(&inv.task) || *inv.state != *rec.state {
                continue;
            }
            let id = inv.task;
            let mut shown = inv.to_json();
            if let Some(m) = shown.as_object_mut() {
                m.remove("log");
            }
            tree.section(
                &format!("invocation (task {id})"),
                &shown,
                None,
                &self.folds,
            );
            if !inv.log.is_empty() {
                tree.text_section(&format!("function log (task {id})"), &inv.log, &self.folds);
            }
        }
    }
}

impl Component for InspectorPane {
    fn pane(&self) -> Pane {
        Pane::Inspector
    }

    fn on_action(&mut self, a: Action, _cx: &Ctx, _fx: &mut Vec<Effect>) -> bool {
        tree_action(&mut self.tree, &mut self.folds, a, self.height)
    }

    fn on_click(&mut self, row: usize, _cx: &Ctx, _fx: &mut Vec<Effect>) {
        let header = self.header_lines();
        if row >= header {
            let i = self.tree.offset + row - header;
            if i < self.tree.line_count() {
                self.tree.cursor = i;
            }
        }
    }

    fn sync(&mut self, cx: &Ctx, height: usize) {
        self.height = height;
        // While a run goes on, the tree waits for it to stop (it can be big).
        if !cx.running {
            self.rebuild(cx);
        }
        self.tree
            .scroll_into_view(height.saturating_sub(self.header_lines()).max(1));
    }

    fn render(&self, rect: Rect, buf: &mut Buffer, cx: &Ctx, focused: bool) {
        let pal = cx.pal();
        let n = cx.session.execution().steps().len();
        let right = match (&self.inspect, &self.record) {
            (Inspect::Step(i), _) => format!("step {}/{n}", i + 1),
            (Inspect::Latest, Some(r)) if r.last_event == 0 || self.is_open(r, cx) => {
                "in progress".to_string()
            }
            (Inspect::Latest, Some(_)) => format!("step {n}/{n}"),
            (Inspect::Latest, None) => String::new(),
        };
        let block = pane_block(pal, Pane::Inspector, focused, rect.width, "", &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        let w = area.width as usize;
        let mut y = area.y;
        if let Some(r) = &self.record {
            let mut spans = vec![
                Span::styled(truncate(&r.state, w / 2 + 1), pal.title),
                Span::styled(format!(" {}", r.state_type), pal.dim),
            ];
            if r.thread != 0 {
                spans.push(Span::styled(format!(" · thread {}", r.thread), pal.dim));
            }
            if r.last_event >= r.first_event && r.first_event > 0 && !self.is_open(r, cx) {
                spans.push(Span::styled(
                    format!(" · #{}–#{}", r.first_event, r.last_event),
                    pal.dim,
                ));
            }
            if let Some(next) = &r.next {
                spans.push(Span::styled(" → ", pal.dim));
                spans.push(Span::styled(next.to_string(), pal.base));
            }
            Line::from(spans).render(Rect::new(area.x, y, area.width, 1), buf);
            y += 1;
            if let Some(e) = &r.error {
                let t = format!(
                    "✗ {} {}",
                    e.error_name(),
                    e.cause.as_deref().unwrap_or_default()
                );
                buf.set_stringn(area.x, y, truncate(&t, w), w, pal.failed);
                y += 1;
            }
        } else {
            let t = format!(
                "no step yet: {} steps over, {} continues",
                cx.keymap.label(Action::StepOver, 1),
                cx.keymap.label(Action::Continue, 1)
            );
            buf.set_stringn(area.x, y, truncate(&t, w), w, pal.dim);
            y += 1;
        }
        let h = (area.y + area.height).saturating_sub(y);
        render_tree(
            &self.tree,
            Rect::new(area.x, y, area.width, h),
            focused,
            pal,
            buf,
        );
    }

    fn selected_value(&self, _cx: &Ctx) -> Option<(String, String)> {
        let (place, text) = self.tree.viewable(self.tree.cursor)?;
        let state = self.record.as_ref().map_or("", |r| &*r.state);
        Some((format!("{state} · {place}"), text))
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Select, "fold"),
            (Action::PrevStep, "prev step"),
            (Action::NextStep, "next step"),
            (Action::ExpandAll, "unfold all"),
            (Action::CollapseAll, "fold all"),
        ]
    }
}

/// The inspection record of the state `thread` is in the middle of, if any.
pub fn open_record(exec: &Execution, thread: usize) -> Option<&StepRecord> {
    exec.open_record(thread)
}

/// A Map's items one by one: the item (after ItemsPath or Items), what ItemSelector made
/// of it (the iteration's input) and what the iteration returned (or how it failed).
fn map_items(rec: &StepRecord) -> Option<crate::json::Value> {
    use crate::engine::Stage;
    use crate::json;
    use crate::json::Value;
    if rec.state_type != "Map" {
        return None;
    }
    let items = rec
        .stage(Stage::AfterItemsPath)
        .or_else(|| rec.stage(Stage::AfterInputPath))
        .or_else(|| rec.stage(Stage::Input))?
        .as_array()?;
    let selected = rec
        .stage(Stage::AfterItemSelector)
        .and_then(Value::as_array);
    let results = rec.stage(Stage::Result).and_then(Value::as_array);
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut row = json!({"index": i, "item": item});
            if let Some(s) = selected.and_then(|s| s.get(i)) {
                row["iterationInput"] = s.clone();
            }
            if let Some(r) = results.and_then(|r| r.get(i)) {
                row["iterationOutput"] = r.clone();
            }
            row
        })
        .collect();
    Some(Value::Array(rows))
}
