//! The state machine as a graph: states as nodes (Map and Parallel holding their
//! sub-machines), transitions as edges (Next, each Choice rule, Default, each Catch), laid
//! out in layers ([`layout`]) for the TUI's Graph view and the SVG export, and written as
//! Mermaid, Graphviz DOT or SVG ([`export`]).

pub mod export;
pub mod layout;

use crate::asl::model::{Machine, StateKind};

/// One machine (the top level, a Map's item processor, a Parallel branch).
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// The StartAt node.
    pub start: usize,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub pointer: String,
    /// `Task`, `Choice`, ...
    pub kind: &'static str,
    /// Ends the machine it is in (End, Succeed, Fail).
    pub end: bool,
    /// A Map's processor or a Parallel's branches.
    pub children: Vec<Block>,
    /// A unique id over the whole graph (for exports).
    pub id: usize,
    /// A folded Map or Parallel: how many states it holds, not drawn.
    pub folded: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Next,
    /// Choice rule N.
    Rule(usize),
    Default,
    /// Catch N.
    Catch(usize),
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    /// What it says: a rule's condition, a Catch's error names.
    pub label: String,
}

impl Block {
    /// The graph of `machine`, ids numbered from `next_id`.
    pub fn of(machine: &Machine) -> Block {
        Block::folded(machine, &std::collections::HashSet::new())
    }

    /// The graph with the Map and Parallel states at these pointers folded: drawn as one
    /// box each, their sub-machines left out.
    pub fn folded(machine: &Machine, folded: &std::collections::HashSet<String>) -> Block {
        let mut id = 0;
        Block::build(machine, &mut id, folded)
    }

    fn build(
        machine: &Machine,
        next_id: &mut usize,
        folded: &std::collections::HashSet<String>,
    ) -> Block {
        let mut block = Block {
            start: machine.start().unwrap_or(0),
            ..Block::default()
        };
        for (i, s) in machine.states.iter().enumerate() {
            let id = *next_id;
            *next_id += 1;
            let fold = folded.contains(&*s.pointer);
            let children = if fold {
                Vec::new()
            } else {
                s.sub_machines()
                    .into_iter()
                    .map(|m| Block::build(m, next_id, folded))
                    .collect()
            };
            let mut inside = 0;
            if fold {
                for m in s.sub_machines() {
                    m.walk(&mut |_| inside += 1);
                }
            }
            block.nodes.push(Node {
                name: s.name.to_string(),
                pointer: s.pointer.to_string(),
                kind: s.type_name(),
                end: s.end || matches!(s.kind, StateKind::Succeed | StateKind::Fail(_)),
                children,
                id,
                folded: inside,
            });
            if let Some(t) = &s.next {
                block.edges.push(Edge {
                    from: i,
                    to: t.index,
                    kind: EdgeKind::Next,
                    label: String::new(),
                });
            }
            if let StateKind::Choice(c) = &s.kind {
                for (k, b) in c.choices.iter().enumerate() {
                    block.edges.push(Edge {
                        from: i,
                        to: b.next.index,
                        kind: EdgeKind::Rule(k),
                        label: b.description.to_string(),
                    });
                }
                if let Some(d) = &c.default {
                    block.edges.push(Edge {
                        from: i,
                        to: d.index,
                        kind: EdgeKind::Default,
                        label: "Default".into(),
                    });
                }
            }
            for (k, c) in s.catch.iter().enumerate() {
                block.edges.push(Edge {
                    from: i,
                    to: c.next.index,
                    kind: EdgeKind::Catch(k),
                    label: c.error_equals.join(", "),
                });
            }
        }
        block
    }

    /// Every node, depth first, with the block it is in.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Block, &'a Node)) {
        for n in &self.nodes {
            f(self, n);
            for c in &n.children {
                c.walk(f);
            }
        }
    }
}

/// What a run did, drawn on the graph: states visited, failed, caught, current; edges taken.
#[derive(Debug, Clone, Default)]
pub struct RunMarks {
    pub visited: std::collections::HashSet<String>,
    pub failed: std::collections::HashSet<String>,
    pub caught: std::collections::HashSet<String>,
    pub current: std::collections::HashSet<String>,
    /// (from, to) state names of transitions taken.
    pub taken: std::collections::HashSet<(String, String)>,
    pub breakpoints: std::collections::HashSet<String>,
}

impl RunMarks {
    /// From a history in GetExecutionHistory's shape (a local run's or one AWS recorded):
    /// each path of execution's states in order.
    pub fn from_history(events: &[crate::json::Value]) -> RunMarks {
        use crate::session::replay::recording::{kind, text_field};
        let scopes = crate::session::replay::scope::scopes(events, &|_, _| None);
        let mut marks = RunMarks::default();
        let mut last: std::collections::HashMap<Vec<crate::engine::ScopeStep>, String> =
            std::collections::HashMap::new();
        let mut open: std::collections::HashMap<Vec<crate::engine::ScopeStep>, String> =
            std::collections::HashMap::new();
        let mut exited = std::collections::HashSet::new();
        for (e, scope) in events.iter().zip(scopes) {
            let k = kind(e);
            let name = text_field(e, "name").unwrap_or("").to_string();
            if k.ends_with("StateEntered") {
                if let Some(prev) = last.get(&scope) {
                    marks.taken.insert((prev.clone(), name.clone()));
                }
                marks.visited.insert(name.clone());
                open.insert(scope, name);
            } else if k.ends_with("StateExited") {
                exited.insert(name.clone());
                last.insert(scope.clone(), name);
                open.remove(&scope);
            } else if k.ends_with("Failed") && !k.starts_with("Execution") {
                if let Some(s) = open.get(&scope) {
                    marks.failed.insert(s.clone());
                }
            } else if k == "ExecutionFailed" || k == "ExecutionTimedOut" {
                for s in open.values() {
                    marks.failed.insert(s.clone());
                }
            }
        }
        // A state that failed and still exited went on (caught, or retried).
        let caught: Vec<String> = marks.failed.intersection(&exited).cloned().collect();
        for s in caught {
            marks.failed.remove(&s);
            marks.caught.insert(s);
        }
        marks
    }
}
