//! The machine as a graph: every state and transition of every sample in the Mermaid and
//! DOT outputs, a well-formed SVG, and layouts of all 176 real-world definitions with every
//! state placed, no two boxes overlapping and no transition drawn through a box.

use std::path::{Path, PathBuf};
use stepdbg::graph::layout::{Layout, Placed, Spacing, layout, layout_with};
use stepdbg::graph::{Block, RunMarks, export};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn load(path: &Path) -> Option<stepdbg::asl::Definition> {
    stepdbg::asl::load(path).ok().filter(|d| !d.has_errors())
}

fn samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = ["samples", "samples/nested", "samples/distributed-map"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root().join(d)).unwrap().flatten())
        .map(|e| e.path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".asl.json") || n.ends_with(".asl.yaml")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn mermaid_and_dot_hold_every_state_and_transition() {
    for path in samples() {
        let def = load(&path).unwrap();
        let block = Block::of(&def.machine);
        let mermaid = export::mermaid(&block, &RunMarks::default());
        let dot = export::dot(&block, &RunMarks::default());
        assert!(mermaid.starts_with("flowchart TD"));
        assert!(dot.starts_with("digraph"));
        block.walk(&mut |b, n| {
            assert!(
                mermaid.contains(&format!("n{}", n.id)),
                "{}: {}",
                path.display(),
                n.name
            );
            assert!(
                mermaid.contains(&n.name.replace('"', "#quot;")),
                "{}",
                n.name
            );
            assert!(dot.contains(&n.name.replace('"', "\\\"")), "{}", n.name);
            for e in b
                .edges
                .iter()
                .filter(|e| e.from == b.nodes.iter().position(|x| x.id == n.id).unwrap())
            {
                let (a, t) = (b.nodes[e.from].id, b.nodes[e.to].id);
                assert!(
                    mermaid.contains(&format!("n{a} -->"))
                        || mermaid.contains(&format!("n{a} -.->")),
                    "{}: an edge from {}",
                    path.display(),
                    n.name
                );
                assert!(
                    dot.contains(&format!("n{a} -> n{t}")),
                    "{}: {} → {}",
                    path.display(),
                    n.name,
                    b.nodes[e.to].name
                );
            }
        });
    }
}

#[test]
fn svg_is_well_formed_and_names_every_state() {
    let def = load(&root().join("samples/production/checkout-failed.asl.json")).unwrap();
    let history = stepdbg::session::replay::Recording::load(
        &root().join("samples/production/checkout-failed.json"),
    )
    .unwrap();
    let marks = RunMarks::from_history(&history.events);
    assert!(marks.visited.contains("Charge card"));
    assert!(marks.failed.contains("Email receipt"), "{marks:?}");
    assert!(
        marks
            .taken
            .contains(&("Validate order".to_string(), "In stock?".to_string()))
    );
    let svg = export::svg(&Block::of(&def.machine), &marks);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    def.machine.walk(&mut |s| {
        assert!(
            svg.contains(&format!("<title>{}</title>", s.name)),
            "{}",
            s.name
        );
    });
    // A real XML parser, where there is one.
    if let Ok(out) = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom as m; m.parseString(sys.stdin.read())",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(svg.as_bytes())?;
            c.wait_with_output()
        })
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn overlap(p: &Placed, q: &Placed) -> bool {
    let inside = |a: &Placed, b: &Placed| {
        a.frame && b.x >= a.x && b.x + b.w <= a.x + a.w && b.y >= a.y && b.y + b.h <= a.y + a.h
    };
    let apart = p.x + p.w <= q.x || q.x + q.w <= p.x || p.y + p.h <= q.y || q.y + q.h <= p.y;
    !apart && !inside(p, q) && !inside(q, p)
}

/// A transition drawn through a box it does not start or end at (a frame counts when
/// neither end is inside it).
fn route_through_a_box(l: &Layout) -> Option<String> {
    let within =
        |b: &Placed, (x, y): (usize, usize)| x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h;
    for r in l.routes.iter().filter(|r| !r.back) {
        let ends: Vec<&Placed> = l
            .boxes
            .iter()
            .filter(|b| b.name == r.from || b.name == r.to)
            .collect();
        for w in r.points.windows(2) {
            let (a, b) = (w[0], w[1]);
            let cells: Vec<(usize, usize)> = if a.0 == b.0 {
                (a.1.min(b.1)..=a.1.max(b.1)).map(|y| (a.0, y)).collect()
            } else {
                (a.0.min(b.0)..=a.0.max(b.0)).map(|x| (x, a.1)).collect()
            };
            for cell in cells {
                for bx in &l.boxes {
                    let holds_an_end = bx.frame
                        && ends
                            .iter()
                            .any(|e| within(bx, (e.x, e.y)) && !std::ptr::eq(*e, bx));
                    if within(bx, cell) && !holds_an_end {
                        return Some(format!(
                            "{} -> {} crosses '{}' at {cell:?}",
                            r.from, r.to, bx.name
                        ));
                    }
                }
            }
        }
    }
    None
}

#[test]
fn every_realworld_definition_lays_out_without_overlaps() {
    let dir = root().join("tests/data/realworld/definitions");
    let mut laid = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let Some(def) = load(&e.path()) else { continue };
        let l = layout(&Block::of(&def.machine));
        let mut names = Vec::new();
        def.machine.walk(&mut |s| names.push(s.name.to_string()));
        for n in &names {
            assert!(
                l.boxes.iter().any(|b| &b.name == n),
                "{}: {n} not placed",
                e.path().display()
            );
        }
        for sp in [Spacing::ROOMY, Spacing::COMPACT] {
            let l = layout_with(&Block::of(&def.machine), sp);
            if let Some(why) = route_through_a_box(&l) {
                panic!("{} ({sp:?}): {why}", e.path().display());
            }
        }
        for (i, p) in l.boxes.iter().enumerate() {
            for q in &l.boxes[i + 1..] {
                assert!(
                    !overlap(p, q),
                    "{}: {} overlaps {}",
                    e.path().display(),
                    p.name,
                    q.name
                );
            }
        }
        laid += 1;
    }
    assert!(laid >= 170, "{laid} laid out");
}

#[test]
fn no_sample_transition_is_drawn_through_a_box() {
    for path in samples() {
        let def = load(&path).unwrap();
        for sp in [Spacing::ROOMY, Spacing::COMPACT] {
            let l = layout_with(&Block::of(&def.machine), sp);
            assert_eq!(route_through_a_box(&l), None, "{}", path.display());
        }
    }
}

/// Render `svg` to PNG with a real SVG renderer (rsvg-convert, else Python's cairosvg);
/// None when neither is here.
fn render_png(svg: &Path, png: &Path) -> Option<bool> {
    if let Ok(s) = std::process::Command::new("rsvg-convert")
        .arg("-o")
        .arg(png)
        .arg(svg)
        .status()
    {
        return Some(s.success());
    }
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, cairosvg; cairosvg.svg2png(url=sys.argv[1], write_to=sys.argv[2])",
        ])
        .arg(svg)
        .arg(png)
        .output()
        .ok()?;
    if String::from_utf8_lossy(&out.stderr).contains("No module named 'cairosvg'") {
        return None;
    }
    Some(out.status.success())
}

#[test]
fn the_largest_realworld_graph_renders_to_png() {
    let dir = root().join("tests/data/realworld/definitions");
    let mut defs: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| (e.metadata().map_or(0, |m| m.len()), e.path()))
        .collect();
    defs.sort();
    let tmp = tempfile::tempdir().unwrap();
    let mut rendered = 0;
    for (_, path) in defs.iter().rev().take(3) {
        let Some(def) = load(path) else { continue };
        let svg = tmp.path().join("graph.svg");
        let png = tmp.path().join("graph.png");
        std::fs::write(
            &svg,
            export::svg(&Block::of(&def.machine), &RunMarks::default()),
        )
        .unwrap();
        match render_png(&svg, &png) {
            None => {
                eprintln!(
                    "skipped: no SVG renderer here (install librsvg's rsvg-convert or `pip install cairosvg`; scripts/render-graphs.sh does)"
                );
                return;
            }
            Some(ok) => assert!(ok, "{} did not render", path.display()),
        }
        let bytes = std::fs::read(&png).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{}",
            path.display()
        );
        // The IHDR chunk: width and height, both drawn at a readable size.
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert!(width > 200 && height > 200, "{width}×{height}");
        rendered += 1;
    }
    assert!(rendered > 0);
}
