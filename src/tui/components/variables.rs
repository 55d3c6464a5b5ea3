//! The Variables pane: the execution's result once there is one, the workflow variables
//! and the context object (`$$`) of the current thread.

use super::{Component, Ctx, Effect, Pane, pane_block, render_tree, tree_action};
use crate::engine::Status;
use crate::tui::action::Action;
use crate::tui::json::{FoldMemory, JsonTree};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use serde_json::Value;

#[derive(Debug, Default)]
pub struct VariablesPane {
    pub tree: JsonTree,
    folds: FoldMemory,
    /// What the tree was built for: (generation, steps, events, thread).
    built: Option<(u64, usize, usize, Option<usize>)>,
    height: usize,
}

impl VariablesPane {
    fn rebuild(&mut self, cx: &Ctx) {
        let exec = cx.session.execution();
        let thread = cx.ix.current.as_ref().map(|c| c.thread);
        let key = (
            cx.generation,
            exec.steps().len(),
            exec.history().len(),
            thread,
        );
        if self.built == Some(key) {
            return;
        }
        self.built = Some(key);
        let cursor = self.tree.cursor;
        let mut tree = JsonTree::new();
        // The end result first once there is one.
        match exec.status() {
            Status::Succeeded { output } => {
                tree.section("execution output", output, None, &self.folds);
            }
            Status::Failed { .. } | Status::TimedOut { .. } => tree.section(
                "execution result",
                &exec.status().to_json(),
                None,
                &self.folds,
            ),
            Status::Running => {}
        }
        let t = thread.unwrap_or(0);
        let vars = Value::Object(exec.variables(t));
        tree.section("variables", &vars, None, &self.folds);
        tree.section("context ($$)", &exec.context_object(t), None, &self.folds);
        tree.relayout();
        tree.cursor = cursor.min(tree.line_count().saturating_sub(1));
        self.tree = tree;
    }
}

impl Component for VariablesPane {
    fn pane(&self) -> Pane {
        Pane::Variables
    }

    fn on_action(&mut self, a: Action, _cx: &Ctx, _fx: &mut Vec<Effect>) -> bool {
        tree_action(&mut self.tree, &mut self.folds, a, self.height)
    }

    fn on_click(&mut self, row: usize, _cx: &Ctx, _fx: &mut Vec<Effect>) {
        let i = self.tree.offset + row;
        if i < self.tree.line_count() {
            self.tree.cursor = i;
        }
    }

    fn sync(&mut self, cx: &Ctx, height: usize) {
        self.height = height;
        if !cx.running {
            self.rebuild(cx);
        }
        self.tree.scroll_into_view(height.max(1));
    }

    fn render(&self, rect: Rect, buf: &mut Buffer, cx: &Ctx, focused: bool) {
        let thread = cx.ix.current_thread();
        let right = if thread == 0 {
            String::new()
        } else {
            format!("thread {thread}")
        };
        let block = pane_block(cx.pal(), Pane::Variables, focused, "", &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        render_tree(&self.tree, area, focused, cx.pal(), buf);
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Select, "fold"),
            (Action::ExpandAll, "unfold all"),
            (Action::CollapseAll, "fold all"),
        ]
    }
}
