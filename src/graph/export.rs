//! The graph as Mermaid (READMEs and pull requests render it), Graphviz DOT, and a
//! self-contained SVG laid out here (no Graphviz needed), with a run's marks on it.

use super::layout::{self, Layout};
use super::{Block, EdgeKind, RunMarks};
use std::fmt::Write;

fn short(label: &str, max: usize) -> String {
    crate::tui::text::truncate(label, max)
}

fn edge_label(kind: EdgeKind, label: &str) -> String {
    match kind {
        EdgeKind::Next => String::new(),
        EdgeKind::Rule(k) => format!("rule {k}: {}", short(label, 40)),
        EdgeKind::Default => "Default".into(),
        EdgeKind::Catch(_) => format!("Catch {}", short(label, 40)),
    }
}

/// Mermaid `flowchart TD`: each state a node (shaped by its type), each Map and Parallel
/// also a subgraph of its sub-machines, Catch edges dotted.
pub fn mermaid(block: &Block, marks: &RunMarks) -> String {
    let mut out = String::from("flowchart TD\n");
    let _ = writeln!(
        out,
        "    start((start)) --> n{}",
        block.nodes[block.start].id
    );
    mermaid_block(block, &mut out, 1);
    let class = |set: &std::collections::HashSet<String>| {
        let mut ids = Vec::new();
        block.walk(&mut |_, n| {
            if set.contains(&n.name) {
                ids.push(format!("n{}", n.id));
            }
        });
        ids.join(",")
    };
    for (name, set, style) in [
        ("visited", &marks.visited, "fill:#d8f0d8,stroke:#2e7d32"),
        ("caught", &marks.caught, "fill:#fff3cd,stroke:#b7791f"),
        ("failed", &marks.failed, "fill:#f8d7da,stroke:#c62828"),
        ("current", &marks.current, "stroke:#1565c0,stroke-width:3px"),
    ] {
        let ids = class(set);
        if !ids.is_empty() {
            let _ = writeln!(out, "    classDef {name} {style}");
            let _ = writeln!(out, "    class {ids} {name}");
        }
    }
    out
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

fn mermaid_block(block: &Block, out: &mut String, depth: usize) {
    let pad = "    ".repeat(depth);
    for n in &block.nodes {
        let text = mermaid_text(&format!("{}<br/><small>{}</small>", n.name, n.kind));
        let shape = match n.kind {
            "Choice" => format!("n{}{{\"{text}\"}}", n.id),
            "Succeed" | "Fail" => format!("n{}([\"{text}\"])", n.id),
            "Map" | "Parallel" => format!("n{}[[\"{text}\"]]", n.id),
            _ => format!("n{}[\"{text}\"]", n.id),
        };
        let _ = writeln!(out, "{pad}{shape}");
        for (k, c) in n.children.iter().enumerate() {
            let title = child_title(n, k);
            let _ = writeln!(
                out,
                "{pad}subgraph s{}_{k}[\"{}\"]",
                n.id,
                mermaid_text(&title)
            );
            mermaid_block(c, out, depth + 1);
            let _ = writeln!(out, "{pad}end");
            let _ = writeln!(out, "{pad}n{} -.-> n{}", n.id, c.nodes[c.start].id);
        }
    }
    for e in &block.edges {
        let (a, b) = (block.nodes[e.from].id, block.nodes[e.to].id);
        let label = mermaid_text(&edge_label(e.kind, &e.label));
        let arrow = if matches!(e.kind, EdgeKind::Catch(_)) {
            "-.->"
        } else {
            "-->"
        };
        if label.is_empty() {
            let _ = writeln!(out, "{pad}n{a} {arrow} n{b}");
        } else {
            let _ = writeln!(out, "{pad}n{a} {arrow}|\"{label}\"| n{b}");
        }
    }
}

/// The title of a Map's item processor or a Parallel's branch `k`.
fn child_title(n: &super::Node, k: usize) -> String {
    if n.kind == "Parallel" {
        format!("{}: branch {k}", n.name)
    } else {
        format!("{}: each item", n.name)
    }
}

/// A state's fill: failed, went on after an error, visited, else `plain`.
fn fill<'a>(marks: &RunMarks, name: &str, plain: &'a str) -> &'a str {
    if marks.failed.contains(name) {
        "#f8d7da"
    } else if marks.caught.contains(name) {
        "#fff3cd"
    } else if marks.visited.contains(name) {
        "#d8f0d8"
    } else {
        plain
    }
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT: states as nodes, sub-machines as clusters, Catch edges dashed.
pub fn dot(block: &Block, marks: &RunMarks) -> String {
    let mut out = String::from(
        "digraph StateMachine {\n    rankdir=TB;\n    node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n    edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    let _ = writeln!(
        out,
        "    start [shape=circle, label=\"\", width=0.2, style=filled, fillcolor=black];"
    );
    let _ = writeln!(out, "    start -> n{};", block.nodes[block.start].id);
    dot_block(block, marks, &mut out, 1);
    out.push_str("}\n");
    out
}

fn dot_block(block: &Block, marks: &RunMarks, out: &mut String, depth: usize) {
    let pad = "    ".repeat(depth);
    for n in &block.nodes {
        let shape = match n.kind {
            "Choice" => "diamond",
            "Succeed" | "Fail" => "oval",
            _ => "box",
        };
        let fill = fill(marks, &n.name, "white");
        let _ = writeln!(
            out,
            "{pad}n{} [label=\"{}\\n{}\", shape={shape}, fillcolor=\"{fill}\"{}];",
            n.id,
            dot_text(&n.name),
            n.kind,
            if n.end { ", peripheries=2" } else { "" }
        );
        for (k, c) in n.children.iter().enumerate() {
            let _ = writeln!(out, "{pad}subgraph cluster_{}_{k} {{", n.id);
            let title = child_title(n, k);
            let _ = writeln!(
                out,
                "{pad}    label=\"{}\"; style=dashed;",
                dot_text(&title)
            );
            dot_block(c, marks, out, depth + 1);
            let _ = writeln!(out, "{pad}}}");
            let _ = writeln!(
                out,
                "{pad}n{} -> n{} [style=dotted];",
                n.id, c.nodes[c.start].id
            );
        }
    }
    for e in &block.edges {
        let (a, b) = (&block.nodes[e.from], &block.nodes[e.to]);
        let mut attrs = Vec::new();
        let label = edge_label(e.kind, &e.label);
        if !label.is_empty() {
            attrs.push(format!("label=\"{}\"", dot_text(&label)));
        }
        if matches!(e.kind, EdgeKind::Catch(_)) {
            attrs.push("style=dashed, color=gray40".into());
        }
        if marks.taken.contains(&(a.name.clone(), b.name.clone())) {
            attrs.push("color=\"#2e7d32\", penwidth=2".into());
        }
        let _ = writeln!(out, "{pad}n{} -> n{} [{}];", a.id, b.id, attrs.join(", "));
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A self-contained SVG of the layered layout.
pub fn svg(block: &Block, marks: &RunMarks) -> String {
    let l: Layout = layout::layout(block);
    const CW: usize = 8;
    const CH: usize = 16;
    const M: usize = 16;
    let (w, h) = (l.width * CW + 2 * M, l.height * CH + 2 * M);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let px = |x: usize| x * CW + M;
    let py = |y: usize| y * CH + M;
    // Frames first, so the states inside draw over them.
    let mut boxes = l.boxes.clone();
    boxes.sort_by_key(|b| !b.frame);
    for b in &boxes {
        let fill = fill(marks, &b.name, if b.frame { "#f7f9fc" } else { "#ffffff" });
        let stroke = if marks.current.contains(&b.name) {
            "#1565c0"
        } else {
            "#555"
        };
        let (x, y, bw, bh) = (px(b.x), py(b.y), b.w * CW, b.h * CH);
        let dash = if b.frame {
            " stroke-dasharray=\"4 3\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<g><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{bw}\" height=\"{bh}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\"{dash}/>",
            xml(&b.name)
        );
        if b.frame {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{} {}</text></g>",
                x + 6,
                y + 14,
                b.kind,
                xml(&b.name)
            );
        } else {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777\" font-size=\"10\">{}{}</text></g>",
                x + bw / 2,
                y + bh / 2,
                xml(&b.name),
                x + bw / 2,
                y + bh / 2 + 13,
                b.kind,
                if b.end { " · end" } else { "" }
            );
        }
    }
    for r in &l.routes {
        let taken = marks.taken.contains(&(r.from.clone(), r.to.clone()));
        let color = if taken { "#2e7d32" } else { "#555" };
        let dash = if matches!(r.kind, EdgeKind::Catch(_)) {
            " stroke-dasharray=\"5 4\""
        } else {
            ""
        };
        if r.back {
            let (x, y) = r.points[0];
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"{color}\" font-size=\"10\">↺ {}</text>",
                px(x) + 4,
                py(y) + 11,
                xml(format!("{} {}", edge_label(r.kind, &r.label), r.to).trim())
            );
            continue;
        }
        let pts: Vec<String> = r
            .points
            .iter()
            .map(|&(x, y)| format!("{},{}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{}\"{dash} marker-end=\"url(#arrow)\"/>",
            pts.join(" "),
            if taken { 2 } else { 1 }
        );
        let label = edge_label(r.kind, &r.label);
        if !label.is_empty() {
            // Beside the target's end of the crossing, so a Choice's labels stay apart.
            let (x, y) = r.points[r.points.len() - 2];
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"#555\" font-size=\"10\">{}</text>",
                px(x) + 4,
                py(y) - 3,
                xml(&short(&label, 30))
            );
        }
    }
    out.push_str("</svg>\n");
    out
}
