//! The Variables pane: the last `:eval` and the watch list (re-evaluated at every stop),
//! the execution's result once there is one, the workflow variables and the context
//! object (`$$`) of the current thread.

use super::{Component, Ctx, Effect, Pane, pane_block, render_tree, tree_action};
use crate::engine::Status;
use crate::json::Value;
use crate::tui::action::Action;
use crate::tui::json::{FoldMemory, JsonTree};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

#[derive(Debug, Default)]
pub struct VariablesPane {
    pub tree: JsonTree,
    folds: FoldMemory,
    /// What the tree was built for: (generation, steps, events, thread, clock, edits).
    built: Option<(u64, usize, usize, Option<usize>, i64, u64)>,
    height: usize,
    /// Expressions evaluated at every stop.
    pub watches: Vec<String>,
    /// The last `:eval`: the expression and what it gave.
    pub last_eval: Option<(String, Value)>,
    /// Bumped when the watches or the last eval change (the tree is rebuilt).
    edits: u64,
}

/// An expression's value, or its error as the engine would report it.
pub fn evaluated(cx: &Ctx, text: &str) -> Value {
    match cx
        .session
        .execution()
        .evaluate(cx.ix.current_thread(), text)
    {
        Ok(v) => v,
        Err(e) => crate::json!({"error": e.error, "cause": e.cause}),
    }
}

impl VariablesPane {
    pub fn add_watch(&mut self, text: &str) -> usize {
        self.watches.push(text.to_string());
        self.edits += 1;
        self.watches.len()
    }

    /// Remove watch `n` (1-based), or all; false when there is no such watch.
    pub fn remove_watch(&mut self, n: Option<usize>) -> bool {
        self.edits += 1;
        match n {
            None => {
                self.watches.clear();
                true
            }
            Some(n) if (1..=self.watches.len()).contains(&n) => {
                self.watches.remove(n - 1);
                true
            }
            Some(_) => false,
        }
    }

    pub fn set_eval(&mut self, text: &str, value: Value) {
        self.last_eval = Some((text.to_string(), value));
        self.edits += 1;
        self.tree.cursor = 0;
    }
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
            exec.clock(),
            self.edits,
        );
        if self.built == Some(key) {
            return;
        }
        self.built = Some(key);
        let cursor = self.tree.cursor;
        let mut tree = JsonTree::new();
        if let Some((text, value)) = &self.last_eval {
            tree.section(&format!("eval {text}"), value, None, &self.folds);
        }
        if !self.watches.is_empty() {
            let mut m = crate::json::Map::new();
            for (i, w) in self.watches.iter().enumerate() {
                m.insert(format!("{} {w}", i + 1), evaluated(cx, w));
            }
            tree.section("watch", &Value::Object(m), None, &self.folds);
        }
        // The end result first once there is one.
        match exec.status() {
            Status::Succeeded { output } => {
                tree.section("execution output", output, None, &self.folds);
            }
            Status::Failed { .. } | Status::TimedOut { .. } | Status::Aborted { .. } => tree
                .section(
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
        let block = pane_block(cx.pal(), Pane::Variables, focused, rect.width, "", &right);
        let area = block.inner(rect);
        block.render(rect, buf);
        render_tree(&self.tree, area, focused, cx.pal(), buf);
    }

    fn selected_value(&self, _cx: &Ctx) -> Option<(String, String)> {
        self.tree.viewable(self.tree.cursor)
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Select, "fold"),
            (Action::ExpandAll, "unfold all"),
            (Action::CollapseAll, "fold all"),
        ]
    }
}
