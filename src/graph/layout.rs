//! A layered layout in character cells (the TUI draws it as is; the SVG scales it): each
//! machine's states in layers by their longest distance from StartAt along forward
//! transitions (transitions back to an earlier layer are loops, drawn as marks rather than
//! lines), ordered within a layer to reduce crossings (two barycenter sweeps), a Map or
//! Parallel as a frame around its sub-machines.

use super::{Block, EdgeKind};

/// How roomy the drawing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spacing {
    /// Rows between layers (edges and their labels run there).
    layer_gap: usize,
    /// Columns between boxes in a layer.
    node_gap: usize,
    /// A plain state's box: rows, and columns beside its name.
    box_rows: usize,
    box_pad: usize,
    /// A frame's margin around its sub-machines.
    frame_pad: usize,
}

impl Spacing {
    /// Boxes with borders and their type.
    pub const ROOMY: Spacing = Spacing {
        layer_gap: 3,
        node_gap: 3,
        box_rows: 3,
        box_pad: 4,
        frame_pad: 2,
    };
    /// One row a state (`[✓ Name]`), for small screens.
    pub const COMPACT: Spacing = Spacing {
        layer_gap: 2,
        node_gap: 1,
        box_rows: 1,
        box_pad: 4,
        frame_pad: 1,
    };
}

/// A box on the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub name: String,
    pub pointer: String,
    pub kind: &'static str,
    pub end: bool,
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
    /// Holds sub-machines (Map, Parallel).
    pub frame: bool,
    /// A folded Map or Parallel: the states it holds, not drawn.
    pub folded: usize,
}

impl Placed {
    /// What the box says of its type (`Map +3` when folded).
    pub fn kind_label(&self) -> String {
        kind_label(self.kind, self.folded)
    }
}

fn kind_label(kind: &str, folded: usize) -> String {
    if folded > 0 {
        format!("{kind} +{folded}")
    } else {
        kind.to_string()
    }
}

/// A transition as drawn: orthogonal segments through these points.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    pub label: String,
    pub points: Vec<(usize, usize)>,
    /// A loop back to an earlier layer: drawn as a mark at its source.
    pub back: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    pub boxes: Vec<Placed>,
    pub routes: Vec<Route>,
    pub width: usize,
    pub height: usize,
}

/// Lay out `block` with its top-left corner at (0, 0).
pub fn layout(block: &Block) -> Layout {
    layout_with(block, Spacing::ROOMY)
}

/// [`layout`] with this spacing.
pub fn layout_with(block: &Block, sp: Spacing) -> Layout {
    let mut out = Layout::default();
    let (w, h) = place(block, 0, 0, &mut out, sp);
    out.width = w;
    out.height = h;
    out
}

/// Each node's layer: its longest forward distance from the start (loops ignored).
fn layers(block: &Block) -> (Vec<usize>, Vec<bool>) {
    let n = block.nodes.len();
    let mut back = vec![false; block.edges.len()];
    // Back edges: edges to a node on the DFS stack.
    let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    let mut order = Vec::new();
    fn dfs(v: usize, block: &Block, state: &mut [u8], back: &mut [bool], order: &mut Vec<usize>) {
        state[v] = 1;
        for (i, e) in block.edges.iter().enumerate().filter(|(_, e)| e.from == v) {
            match state.get(e.to) {
                Some(1) => back[i] = true,
                Some(0) => dfs(e.to, block, state, back, order),
                _ => {}
            }
        }
        state[v] = 2;
        order.push(v);
    }
    if n > 0 {
        dfs(
            block.start.min(n - 1),
            block,
            &mut state,
            &mut back,
            &mut order,
        );
        for v in 0..n {
            if state[v] == 0 {
                dfs(v, block, &mut state, &mut back, &mut order);
            }
        }
    }
    // Longest path in topological order (reverse post-order).
    let mut layer = vec![0usize; n];
    for &v in order.iter().rev() {
        for (i, e) in block.edges.iter().enumerate() {
            if e.from == v && !back[i] && e.to < n {
                layer[e.to] = layer[e.to].max(layer[v] + 1);
            }
        }
    }
    (layer, back)
}

/// Place `block` at (x0, y0); returns its size.
fn place(block: &Block, x0: usize, y0: usize, out: &mut Layout, sp: Spacing) -> (usize, usize) {
    let n = block.nodes.len();
    if n == 0 {
        return (0, 0);
    }
    let (layer, back) = layers(block);
    let depth = layer.iter().max().copied().unwrap_or(0) + 1;
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (v, &l) in layer.iter().enumerate() {
        rows[l].push(v);
    }
    // Two sweeps: order each layer by the mean position of its predecessors.
    for _ in 0..2 {
        for l in 1..depth {
            let pos = |v: usize, rows: &Vec<Vec<usize>>| {
                rows[layer[v]].iter().position(|&x| x == v).unwrap_or(0) as f64
            };
            let mut keyed: Vec<(f64, usize)> = rows[l]
                .iter()
                .map(|&v| {
                    let preds: Vec<f64> = block
                        .edges
                        .iter()
                        .enumerate()
                        .filter(|(i, e)| e.to == v && !back[*i] && layer[e.from] < l)
                        .map(|(_, e)| pos(e.from, &rows))
                        .collect();
                    let key = if preds.is_empty() {
                        pos(v, &rows)
                    } else {
                        preds.iter().sum::<f64>() / preds.len() as f64
                    };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
            rows[l] = keyed.into_iter().map(|(_, v)| v).collect();
        }
    }
    // Sizes: a plain box fits its name and type; a frame fits its sub-machines.
    let mut sizes = vec![(0usize, 0usize); n];
    let mut inner: Vec<Vec<Layout>> = vec![Vec::new(); n];
    for (v, node) in block.nodes.iter().enumerate() {
        if node.children.is_empty() {
            let kind = if sp.box_rows > 1 {
                kind_label(node.kind, node.folded).len() + 2
            } else if node.folded > 0 {
                // `[✓ Name +3]`
                node.name.chars().count() + kind_label("", node.folded).len()
            } else {
                0
            };
            let w = node.name.chars().count().max(kind) + sp.box_pad;
            sizes[v] = (w, sp.box_rows);
        } else {
            let mut w = 0;
            let mut h = 0;
            for c in &node.children {
                let mut sub = Layout::default();
                let (cw, ch) = place(c, 0, 0, &mut sub, sp);
                sub.width = cw;
                sub.height = ch;
                w += cw + sp.node_gap;
                h = h.max(ch);
                inner[v].push(sub);
            }
            let title = node.name.chars().count() + node.kind.len() + 8;
            sizes[v] = (
                (w + 2 * sp.frame_pad - sp.node_gap).max(title),
                h + sp.frame_pad + 1,
            );
        }
    }
    let row_h: Vec<usize> = rows
        .iter()
        .map(|r| r.iter().map(|&v| sizes[v].1).max().unwrap_or(0))
        .collect();
    let row_w: Vec<usize> = rows
        .iter()
        .map(|r| {
            r.iter().map(|&v| sizes[v].0).sum::<usize>() + sp.node_gap * r.len().saturating_sub(1)
        })
        .collect();
    let width = row_w.iter().max().copied().unwrap_or(0);
    let mut pos = vec![(0usize, 0usize); n];
    let mut y = y0;
    // Where each layer's band ends (its tallest box): the gap below starts there.
    let mut layer_bottom = vec![0usize; depth];
    for (l, r) in rows.iter().enumerate() {
        layer_bottom[l] = y + row_h[l];
        let mut x = x0 + (width - row_w[l]) / 2;
        for &v in r {
            pos[v] = (x, y);
            x += sizes[v].0 + sp.node_gap;
        }
        y += row_h[l] + sp.layer_gap;
    }
    let height = y - y0 - sp.layer_gap;
    for (v, node) in block.nodes.iter().enumerate() {
        let (x, y) = pos[v];
        out.boxes.push(Placed {
            name: node.name.clone(),
            pointer: node.pointer.clone(),
            kind: node.kind,
            end: node.end,
            x,
            y,
            w: sizes[v].0,
            h: sizes[v].1,
            frame: !node.children.is_empty(),
            folded: node.folded,
        });
        // The sub-machines inside the frame, side by side.
        let mut cx = x + sp.frame_pad;
        for (c, sub) in node.children.iter().zip(&inner[v]) {
            let (cw, _) = place(c, cx, y + sp.frame_pad, out, sp);
            cx += cw.max(sub.width) + sp.node_gap;
        }
    }
    // A column a long edge can run down without crossing a box of the layers it passes
    // (and, where boxes have borders, not right beside one).
    let margin = usize::from(sp.box_rows > 1);
    let free_lane = |c: usize, from_layer: usize, to_layer: usize| {
        (from_layer + 1..to_layer).all(|l| {
            rows[l].iter().all(|&v| {
                let (x, _) = pos[v];
                c + margin < x || c >= x + sizes[v].0 + margin
            })
        })
    };
    let mut right = x0 + width;
    for (i, e) in block.edges.iter().enumerate() {
        let (Some(&(fx, fy)), Some(&(tx, ty))) = (pos.get(e.from), pos.get(e.to)) else {
            continue;
        };
        let (fw, fh) = sizes[e.from];
        let tw = sizes[e.to].0;
        let start = (fx + fw / 2, fy + fh);
        let end = (tx + tw / 2, ty.saturating_sub(1));
        // The crossing runs in the gap: its middle row when there is room.
        let gap_row = |below: usize| {
            if sp.layer_gap > 2 { below + 1 } else { below }
        };
        let mid = gap_row(layer_bottom[layer[e.from]]);
        let points = if back[i] {
            vec![start]
        } else if layer[e.to] > layer[e.from] + 1 {
            // Across layers: down a lane clear of the boxes between, then across to the
            // target in the gap above it.
            let (from_layer, to_layer) = (layer[e.from], layer[e.to]);
            let lane = std::iter::once(end.0)
                .chain(std::iter::once(start.0))
                .chain((1..=width + 2).flat_map(|d| [end.0 + d, end.0.wrapping_sub(d)]))
                .filter(|&c| c >= x0 && c < usize::MAX / 2)
                .find(|&c| free_lane(c, from_layer, to_layer))
                .unwrap_or(x0 + width + 1);
            right = right.max(lane + 2);
            let low = gap_row(ty.saturating_sub(sp.layer_gap));
            vec![
                start,
                (start.0, mid),
                (lane, mid),
                (lane, low),
                (end.0, low),
                end,
            ]
        } else {
            vec![start, (start.0, mid), (end.0, mid), end]
        };
        out.routes.push(Route {
            from: block.nodes[e.from].name.clone(),
            to: block.nodes[e.to].name.clone(),
            kind: e.kind,
            label: e.label.clone(),
            points,
            back: back[i],
        });
    }
    let width = right - x0;
    (width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(def: crate::json::Value) -> Block {
        let d = crate::asl::from_value(def);
        assert!(!d.has_errors(), "{:?}", d.diagnostics);
        Block::of(&d.machine)
    }

    #[test]
    fn layers_loops_and_frames() {
        let b = block(crate::json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "A"}], "Default": "M"},
            "M": {"Type": "Map", "ItemProcessor": {"StartAt": "In", "States": {"In": {"Type": "Pass", "End": true}}}, "End": true}}}));
        let l = layout(&b);
        let at = |n: &str| l.boxes.iter().find(|p| p.name == n).unwrap().clone();
        let (a, bb, m, inner) = (at("A"), at("B"), at("M"), at("In"));
        assert!(a.y < bb.y && bb.y < m.y, "{l:?}");
        assert!(m.frame && !a.frame);
        // The inner state sits inside the Map's frame.
        assert!(
            inner.x > m.x
                && inner.x + inner.w < m.x + m.w
                && inner.y > m.y
                && inner.y + inner.h < m.y + m.h
        );
        // B → A is a loop.
        assert!(
            l.routes
                .iter()
                .any(|r| r.from == "B" && r.to == "A" && r.back)
        );
        // No two boxes of the same machine overlap.
        for (i, p) in l.boxes.iter().enumerate() {
            for q in &l.boxes[i + 1..] {
                let nested = |a: &Placed, b: &Placed| {
                    a.frame
                        && b.x >= a.x
                        && b.x + b.w <= a.x + a.w
                        && b.y >= a.y
                        && b.y + b.h <= a.y + a.h
                };
                let apart =
                    p.x + p.w <= q.x || q.x + q.w <= p.x || p.y + p.h <= q.y || q.y + q.h <= p.y;
                assert!(
                    apart || nested(p, q) || nested(q, p),
                    "{p:?} overlaps {q:?}"
                );
            }
        }
    }
}
