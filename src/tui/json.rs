//! A folding JSON tree for the Inspector and the Variables pane.
//!
//! A document is a list of titled sections, each a JSON value (or raw text such as a
//! function log). The tree is built once per document into an arena; folding only
//! recomputes the list of visible lines, and drawing touches only the lines on screen, so
//! a 1 MB payload scrolls as fast as a small one. Each section can be compared with the
//! one before it: added, changed and removed members are marked.

use super::text::truncate;
use super::theme::Palette;
use crate::json::Value;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::collections::HashMap;

/// How a node differs from the same place in the previous section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Same,
    Added,
    Changed,
    Removed,
}

#[derive(Debug, Clone)]
enum Label {
    Section(String),
    Key(String),
    Index(usize),
    None,
}

#[derive(Debug, Clone)]
enum Body {
    Scalar(Value),
    Object(usize),
    Array(usize),
    /// A raw text line (logs).
    Text(String),
    /// A section header with a note instead of a value.
    Header,
}

#[derive(Debug, Clone)]
struct Node {
    label: Label,
    depth: u16,
    body: Body,
    children: Vec<u32>,
    parent: Option<u32>,
    open: bool,
    change: Change,
    note: Option<String>,
    /// Fold memory key (containers and sections only).
    path: Option<String>,
}

impl Node {
    fn foldable(&self) -> bool {
        !self.children.is_empty()
    }
}

/// The tree, its visible lines and a cursor.
#[derive(Debug, Clone, Default)]
pub struct JsonTree {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    lines: Vec<u32>,
    pub cursor: usize,
    pub offset: usize,
}

/// Folds the user chose, by path, kept across rebuilds of the same kind of document.
pub type FoldMemory = HashMap<String, bool>;

/// Containers deeper than this (below a section) start folded.
const OPEN_DEPTH: u16 = 3;
/// Containers with more members than this start folded (below the first level).
const OPEN_MAX_MEMBERS: usize = 200;

impl JsonTree {
    pub fn new() -> JsonTree {
        JsonTree::default()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// A titled section holding `value`, compared with `prev` when given.
    pub fn section(
        &mut self,
        title: &str,
        value: &Value,
        prev: Option<&Value>,
        folds: &FoldMemory,
    ) {
        let unchanged = prev.is_some_and(|p| p == value);
        let id = self.push(Node {
            label: Label::Section(title.to_string()),
            depth: 0,
            body: Body::Header,
            children: Vec::new(),
            parent: None,
            open: !unchanged,
            change: Change::Same,
            note: unchanged.then(|| "unchanged".to_string()),
            path: Some(title.to_string()),
        });
        self.roots.push(id);
        let cmp = prev.map(Some);
        // The section's value sits directly under its header.
        match value {
            Value::Object(_) | Value::Array(_) => {
                self.members(
                    id,
                    value,
                    if unchanged { None } else { cmp },
                    1,
                    title,
                    folds,
                );
                let n = &mut self.nodes[id as usize];
                n.note = n.note.take().or_else(|| {
                    Some(match value {
                        Value::Object(m) => format!("{{{}}}", m.len()),
                        Value::Array(a) => format!("[{}]", a.len()),
                        _ => unreachable!(),
                    })
                });
            }
            scalar => {
                let change = match (unchanged, prev) {
                    (false, Some(_)) => Change::Changed,
                    _ => Change::Same,
                };
                let child = self.push(Node {
                    label: Label::None,
                    depth: 1,
                    body: Body::Scalar(scalar.clone()),
                    children: Vec::new(),
                    parent: Some(id),
                    open: false,
                    change,
                    note: None,
                    path: None,
                });
                self.nodes[id as usize].children.push(child);
            }
        }
        if let Some(&o) = folds.get(title) {
            self.nodes[id as usize].open = o;
        }
    }

    /// A titled section of raw text lines (a function log).
    pub fn text_section(&mut self, title: &str, text: &str, folds: &FoldMemory) {
        let id = self.push(Node {
            label: Label::Section(title.to_string()),
            depth: 0,
            body: Body::Header,
            children: Vec::new(),
            parent: None,
            open: folds.get(title).copied().unwrap_or(true),
            change: Change::Same,
            note: Some(format!("{} lines", text.lines().count())),
            path: Some(title.to_string()),
        });
        self.roots.push(id);
        for l in text.lines() {
            let c = self.push(Node {
                label: Label::None,
                depth: 1,
                body: Body::Text(l.to_string()),
                children: Vec::new(),
                parent: Some(id),
                open: false,
                change: Change::Same,
                note: None,
                path: None,
            });
            self.nodes[id as usize].children.push(c);
        }
    }

    /// A section with only a title and a note (e.g. "no step yet").
    pub fn note_section(&mut self, title: &str, note: &str) {
        let id = self.push(Node {
            label: Label::Section(title.to_string()),
            depth: 0,
            body: Body::Header,
            children: Vec::new(),
            parent: None,
            open: false,
            change: Change::Same,
            note: Some(note.to_string()),
            path: None,
        });
        self.roots.push(id);
    }

    fn push(&mut self, n: Node) -> u32 {
        self.nodes.push(n);
        (self.nodes.len() - 1) as u32
    }

    /// Add the members of `value` under `parent`. `cmp`: None = no comparison; Some(None) =
    /// the previous section had nothing here; Some(Some(p)) = compare with `p`.
    fn members(
        &mut self,
        parent: u32,
        value: &Value,
        cmp: Option<Option<&Value>>,
        depth: u16,
        path: &str,
        folds: &FoldMemory,
    ) {
        let add = |tree: &mut JsonTree, label: Label, v: &Value, prev: Option<Option<&Value>>| {
            let key = match &label {
                Label::Key(k) => format!("{path}/{k}"),
                Label::Index(i) => format!("{path}/{i}"),
                _ => path.to_string(),
            };
            tree.value(parent, label, v, prev, depth, key, folds);
        };
        match value {
            Value::Object(m) => {
                let pm = match cmp {
                    Some(Some(Value::Object(p))) => Some(p),
                    _ => None,
                };
                for (k, v) in m {
                    let prev = match (cmp, pm) {
                        (None, _) => None,
                        (Some(_), Some(p)) => Some(p.get(k)),
                        // The type changed: the parent says so; no marks below.
                        (Some(_), None) => None,
                    };
                    add(self, Label::Key(k.to_string()), v, prev);
                }
                if let Some(p) = pm {
                    for (k, v) in p.iter().filter(|(k, _)| !m.contains_key(*k)) {
                        let id = self.nodes.len() as u32;
                        add(self, Label::Key(k.to_string()), v, None);
                        self.mark_removed(id);
                    }
                }
            }
            Value::Array(a) => {
                let pa = match cmp {
                    Some(Some(Value::Array(p))) => Some(p),
                    _ => None,
                };
                for (i, v) in a.iter().enumerate() {
                    let prev = match (cmp, pa) {
                        (None, _) => None,
                        (Some(_), Some(p)) => Some(p.get(i)),
                        (Some(_), None) => None,
                    };
                    add(self, Label::Index(i), v, prev);
                }
                if let Some(p) = pa {
                    for (i, v) in p.iter().enumerate().skip(a.len()) {
                        let id = self.nodes.len() as u32;
                        add(self, Label::Index(i), v, None);
                        self.mark_removed(id);
                    }
                }
            }
            _ => {}
        }
    }

    fn mark_removed(&mut self, id: u32) {
        let n = &mut self.nodes[id as usize];
        n.change = Change::Removed;
        n.open = false;
    }

    #[allow(clippy::too_many_arguments)]
    fn value(
        &mut self,
        parent: u32,
        label: Label,
        v: &Value,
        cmp: Option<Option<&Value>>,
        depth: u16,
        path: String,
        folds: &FoldMemory,
    ) {
        let change = match cmp {
            None => Change::Same,
            Some(None) => Change::Added,
            Some(Some(p)) if p == v => Change::Same,
            Some(Some(_)) => Change::Changed,
        };
        let (body, len) = match v {
            Value::Object(m) => (Body::Object(m.len()), m.len()),
            Value::Array(a) => (Body::Array(a.len()), a.len()),
            s => (Body::Scalar(s.clone()), 0),
        };
        let container = matches!(body, Body::Object(_) | Body::Array(_));
        let default_open = depth < OPEN_DEPTH && (depth <= 1 || len <= OPEN_MAX_MEMBERS);
        let open = if container {
            folds.get(&path).copied().unwrap_or(default_open)
        } else {
            false
        };
        let id = self.push(Node {
            label,
            depth,
            body,
            children: Vec::new(),
            parent: Some(parent),
            open,
            change,
            note: None,
            path: container.then(|| path.clone()),
        });
        self.nodes[parent as usize].children.push(id);
        if container {
            // Below an added/removed node, comparisons stop.
            let below = match (cmp, change) {
                (Some(Some(p)), Change::Changed) => Some(Some(p)),
                _ => None,
            };
            self.members(id, v, below, depth + 1, &path, folds);
        }
    }

    /// Recompute the visible lines (after building or folding), keeping the cursor on the
    /// same node when it is still visible.
    pub fn relayout(&mut self) {
        let at = self.lines.get(self.cursor).copied();
        self.lines.clear();
        let mut stack: Vec<u32> = self.roots.iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            self.lines.push(id);
            let n = &self.nodes[id as usize];
            if n.open {
                stack.extend(n.children.iter().rev());
            }
        }
        if let Some(at) = at
            && let Some(i) = self.lines.iter().position(|&l| l == at)
        {
            self.cursor = i;
        }
        self.cursor = self.cursor.min(self.lines.len().saturating_sub(1));
    }

    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    pub fn move_by(&mut self, delta: isize) {
        let max = self.lines.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + delta).clamp(0, max.max(0)) as usize;
    }

    pub fn top(&mut self) {
        self.cursor = 0;
    }

    pub fn bottom(&mut self) {
        self.cursor = self.lines.len().saturating_sub(1);
    }

    fn cursor_node(&self) -> Option<u32> {
        self.lines.get(self.cursor).copied()
    }

    fn set_open(&mut self, id: u32, open: bool, folds: &mut FoldMemory) {
        let n = &mut self.nodes[id as usize];
        n.open = open;
        if let Some(p) = &n.path {
            folds.insert(p.clone(), open);
        }
    }

    /// Fold or unfold the node under the cursor.
    pub fn toggle(&mut self, folds: &mut FoldMemory) {
        if let Some(id) = self.cursor_node()
            && self.nodes[id as usize].foldable()
        {
            let open = !self.nodes[id as usize].open;
            self.set_open(id, open, folds);
            self.relayout();
        }
    }

    /// Fold the node under the cursor, or go to its parent when it is folded already.
    pub fn left(&mut self, folds: &mut FoldMemory) {
        let Some(id) = self.cursor_node() else { return };
        let n = &self.nodes[id as usize];
        if n.foldable() && n.open {
            self.set_open(id, false, folds);
            self.relayout();
        } else if let Some(p) = n.parent
            && let Some(i) = self.lines.iter().position(|&l| l == p)
        {
            self.cursor = i;
        }
    }

    /// Unfold the node under the cursor, or go to its first child when it is open.
    pub fn right(&mut self, folds: &mut FoldMemory) {
        let Some(id) = self.cursor_node() else { return };
        let n = &self.nodes[id as usize];
        if n.foldable() && !n.open {
            self.set_open(id, true, folds);
            self.relayout();
        } else if n.foldable() {
            self.cursor += 1;
        }
    }

    pub fn set_all(&mut self, open: bool, folds: &mut FoldMemory) {
        for i in 0..self.nodes.len() {
            if self.nodes[i].foldable() {
                self.set_open(i as u32, open, folds);
            }
        }
        self.relayout();
    }

    /// Keep the cursor within `height` lines of the offset.
    pub fn scroll_into_view(&mut self, height: usize) {
        let h = height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        let max_off = self.lines.len().saturating_sub(h);
        self.offset = self.offset.min(max_off);
    }

    /// The visible line `i` (index into the whole list) as styled text `width` wide.
    pub fn render_line(&self, i: usize, width: usize, pal: &Palette) -> Line<'static> {
        let Some(&id) = self.lines.get(i) else {
            return Line::default();
        };
        let n = &self.nodes[id as usize];
        let mut spans: Vec<Span<'static>> = Vec::new();
        let (mark, mark_style) = match n.change {
            Change::Same => (" ", pal.dim),
            Change::Added => ("+", pal.added),
            Change::Changed => ("~", pal.changed),
            Change::Removed => ("-", pal.removed),
        };
        spans.push(Span::styled(mark, mark_style));
        let indent = (n.depth as usize) * 2;
        spans.push(Span::raw(" ".repeat(indent.min(width))));
        let fold = if n.foldable() {
            if n.open { "▾ " } else { "▸ " }
        } else {
            "  "
        };
        spans.push(Span::styled(fold, pal.dim));
        let mut used = 1 + indent + 2;
        let key_style = if n.change == Change::Removed {
            pal.removed
        } else {
            pal.json_key
        };
        match &n.label {
            Label::Section(t) => {
                spans.push(Span::styled(t.clone(), pal.title));
                used += unicode_width::UnicodeWidthStr::width(t.as_str());
                if let Some(note) = &n.note {
                    spans.push(Span::styled(format!("  {note}"), pal.dim));
                    used += unicode_width::UnicodeWidthStr::width(note.as_str()) + 2;
                }
            }
            Label::Key(k) => {
                let k = truncate(k, width.saturating_sub(used + 4).max(8));
                used += unicode_width::UnicodeWidthStr::width(k.as_str()) + 2;
                spans.push(Span::styled(k, key_style));
                spans.push(Span::styled(": ", pal.dim));
            }
            Label::Index(ix) => {
                let t = format!("{ix}");
                used += t.len() + 2;
                spans.push(Span::styled(t, pal.dim));
                spans.push(Span::styled(": ", pal.dim));
            }
            Label::None => {}
        }
        let room = width.saturating_sub(used);
        match &n.body {
            Body::Scalar(v) => spans.push(scalar_span(v, room, pal)),
            Body::Text(t) => spans.push(Span::styled(truncate(t, room), pal.base)),
            Body::Object(len) | Body::Array(len) if n.open => {
                let t = if matches!(n.body, Body::Object(_)) {
                    format!("{{{len}}}")
                } else {
                    format!("[{len}]")
                };
                spans.push(Span::styled(t, pal.dim));
            }
            Body::Object(_) | Body::Array(_) => {
                let mut s = String::new();
                self.preview(id, room.min(400), &mut s);
                spans.push(Span::styled(truncate(&s, room), pal.dim));
            }
            Body::Header => {}
        }
        Line::from(spans)
    }

    /// The line `i` whole, for the viewer: where it is (`error › Cause`) and its value as
    /// readable text. A section gives its whole value, a log line the whole log.
    pub fn viewable(&self, i: usize) -> Option<(String, String)> {
        let &id = self.lines.get(i)?;
        let n = &self.nodes[id as usize];
        let whole_text = |header: &Node| {
            header
                .children
                .iter()
                .filter_map(|&c| match &self.nodes[c as usize].body {
                    Body::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let text = match &n.body {
            Body::Text(_) => {
                let header = &self.nodes[n.parent? as usize];
                return Some((self.place(n.parent?), whole_text(header)));
            }
            Body::Header => match n.children.first().map(|&c| &self.nodes[c as usize]) {
                // An empty object or array, or a section that only has a note.
                None => match n.note.as_deref()? {
                    "{0}" => "{}".to_string(),
                    "[0]" => "[]".to_string(),
                    note => note.to_string(),
                },
                Some(c) if matches!(c.body, Body::Text(_)) => whole_text(n),
                Some(c) if matches!(c.label, Label::None) => {
                    super::pager::readable(&self.value_of(n.children[0]))
                }
                Some(_) => super::pager::readable(&self.value_of(id)),
            },
            _ => super::pager::readable(&self.value_of(id)),
        };
        Some((self.place(id), text))
    }

    /// Where node `id` is: its section, then the path down to it (`output › items[0].id`).
    fn place(&self, id: u32) -> String {
        let mut labels = Vec::new();
        let mut at = Some(id);
        while let Some(i) = at {
            labels.push(&self.nodes[i as usize].label);
            at = self.nodes[i as usize].parent;
        }
        let (mut section, mut path) = (String::new(), String::new());
        for label in labels.into_iter().rev() {
            match label {
                Label::Section(t) => section.clone_from(t),
                Label::Key(k) if path.is_empty() => path.push_str(k),
                Label::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                Label::Index(ix) => path.push_str(&format!("[{ix}]")),
                Label::None => {}
            }
        }
        if path.is_empty() {
            section
        } else {
            format!("{section} › {path}")
        }
    }

    /// The value node `id` stands for, rebuilt from the tree (members the previous
    /// section had and this one lacks are left out).
    fn value_of(&self, id: u32) -> Value {
        let n = &self.nodes[id as usize];
        let members = || {
            n.children
                .iter()
                .map(|&c| (c, &self.nodes[c as usize]))
                .filter(|(_, c)| c.change != Change::Removed)
        };
        let keyed = n
            .children
            .first()
            .is_some_and(|&c| matches!(self.nodes[c as usize].label, Label::Key(_)));
        match &n.body {
            Body::Scalar(v) => v.clone(),
            Body::Text(t) => Value::from(t.clone()),
            Body::Object(_) => Value::Object(self.object_of(members())),
            Body::Header if keyed => Value::Object(self.object_of(members())),
            Body::Array(_) | Body::Header => {
                Value::Array(members().map(|(c, _)| self.value_of(c)).collect())
            }
        }
    }

    fn object_of<'a>(&self, members: impl Iterator<Item = (u32, &'a Node)>) -> crate::json::Map {
        members
            .filter_map(|(c, node)| match &node.label {
                Label::Key(k) => Some((k.clone(), self.value_of(c))),
                _ => None,
            })
            .collect()
    }

    /// A one-line preview of a folded container, at most about `budget` characters.
    fn preview(&self, id: u32, budget: usize, out: &mut String) {
        let n = &self.nodes[id as usize];
        let (open, close) = match n.body {
            Body::Object(_) => ('{', '}'),
            Body::Array(_) => ('[', ']'),
            Body::Scalar(ref v) => {
                out.push_str(&compact_scalar(v));
                return;
            }
            _ => return,
        };
        out.push(open);
        for (i, &c) in n.children.iter().enumerate() {
            if out.len() > budget {
                out.push('…');
                break;
            }
            if i > 0 {
                out.push_str(", ");
            }
            if let Label::Key(k) = &self.nodes[c as usize].label {
                out.push_str(k);
                out.push_str(": ");
            }
            self.preview(c, budget, out);
        }
        out.push(close);
    }
}

fn compact_scalar(v: &Value) -> String {
    match v {
        Value::String(s) if s.len() > 200 => {
            let cut: String = s.chars().take(200).collect();
            format!("{cut:?}…")
        }
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn scalar_span(v: &Value, room: usize, pal: &Palette) -> Span<'static> {
    let style: Style = match v {
        Value::String(_) => pal.json_string,
        Value::Number(_) => pal.json_number,
        Value::Bool(_) => pal.json_bool,
        _ => pal.json_null,
    };
    Span::styled(truncate(&compact_scalar(v), room), style)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn text(t: &JsonTree) -> Vec<String> {
        let pal = crate::tui::theme::Theme::monochrome().palette;
        (0..t.line_count())
            .map(|i| {
                t.render_line(i, 60, &pal)
                    .spans
                    .iter()
                    .map(|s| s.content.to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn any_line_can_be_viewed_whole() {
        let folds = FoldMemory::new();
        let mut t = JsonTree::new();
        let cause = "x".repeat(5000);
        let a = json!({"a": 1, "gone": true});
        let b = json!({"a": 2, "items": [{"id": 1}], "cause": cause});
        t.section("input", &a, None, &folds);
        t.section("output", &b, Some(&a), &folds);
        t.section("empty", &json!({}), None, &folds);
        t.section("name", &json!("plain"), None, &folds);
        t.text_section("log", "first\nsecond", &folds);
        t.relayout();
        let find = |t: &JsonTree, needle: &str| {
            let lines = text(t);
            lines.iter().position(|l| l.contains(needle)).unwrap()
        };
        // A section: its whole value, without the member only the previous one had.
        let (place, body) = t.viewable(find(&t, "output")).unwrap();
        assert_eq!(place, "output");
        let shown: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(shown, b);
        // A long string: all of it, not the cut line.
        let (place, body) = t.viewable(find(&t, "cause:")).unwrap();
        assert_eq!((place.as_str(), body), ("output › cause", cause));
        let (place, body) = t.viewable(find(&t, "id:")).unwrap();
        assert_eq!(
            (place.as_str(), body.as_str()),
            ("output › items[0].id", "1")
        );
        assert_eq!(t.viewable(find(&t, "empty")).unwrap().1, "{}");
        assert_eq!(t.viewable(find(&t, "name")).unwrap().1, "plain");
        // A log line: the whole log.
        let (place, body) = t.viewable(find(&t, "second")).unwrap();
        assert_eq!((place.as_str(), body.as_str()), ("log", "first\nsecond"));
    }

    #[test]
    fn sections_fold_and_diff() {
        let mut folds = FoldMemory::new();
        let mut t = JsonTree::new();
        let a = json!({"a": 1, "b": {"c": [1, 2]}, "gone": true});
        let b = json!({"a": 2, "b": {"c": [1, 2]}, "new": "x"});
        t.section("input", &a, None, &folds);
        t.section("output", &b, Some(&a), &folds);
        t.section("again", &b, Some(&b), &folds);
        t.relayout();
        let lines = text(&t);
        assert_eq!(lines[0], " ▾ input  {3}");
        assert!(lines.contains(&"~    a: 2".to_string()), "{lines:#?}");
        assert!(lines.contains(&"+    new: \"x\"".to_string()), "{lines:#?}");
        assert!(lines.contains(&"-    gone: true".to_string()), "{lines:#?}");
        assert_eq!(lines.last().unwrap(), " ▸ again  unchanged");
        t.top();
        t.toggle(&mut folds);
        assert_eq!(text(&t)[0], " ▸ input  {3}");
        assert_eq!(folds.get("input"), Some(&false));
        let mut t2 = JsonTree::new();
        t2.section("input", &a, None, &folds);
        t2.relayout();
        assert_eq!(t2.line_count(), 1, "fold memory applies on rebuild");
        t2.set_all(true, &mut folds);
        assert!(t2.line_count() > 4);
    }

    #[test]
    fn big_payload_builds_and_renders_only_what_is_asked() {
        let big: Vec<Value> = (0..20_000)
            .map(|i| json!({"id": i, "name": format!("item {i}"), "tags": ["a", "b"]}))
            .collect();
        let v = Value::Array(big);
        let mut t = JsonTree::new();
        t.section("input", &v, None, &FoldMemory::new());
        t.relayout();
        let pal = crate::tui::theme::Theme::dark().palette;
        t.bottom();
        t.scroll_into_view(20);
        let l = t.render_line(t.offset, 80, &pal);
        assert!(!l.spans.is_empty());
    }
}
