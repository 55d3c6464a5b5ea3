//! The tools around the engine: loading and validating a definition, comparing a run with
//! a recorded history (replay), laying out a machine's graph. Run: `cargo bench --bench tools`.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use stepdbg::engine::Config;
use stepdbg::graph::{Block, layout::layout};
use stepdbg::json;
use stepdbg::json::Value;
use stepdbg::session::replay::{self, Recording};

// Shared with the engine benches; this one uses a part of it.
#[allow(dead_code)]
mod machines;
use machines::{chain, counter_loop, map_items};

/// A Map over `n` items, run once, and its own history as the "recording".
fn recorded_map(n: usize) -> (stepdbg::asl::Definition, Recording) {
    let (def, input) = map_items(n);
    let d = stepdbg::asl::from_value(def);
    let mut ex = stepdbg::engine::Execution::new(
        std::sync::Arc::new(d.machine.clone()),
        input,
        Config::default(),
    );
    ex.run_with(|_| None);
    let history = stepdbg::engine::history::to_json(ex.history());
    let recording = Recording::parse(Path::new("h.json"), &history.to_string()).unwrap();
    (d, recording)
}

fn benches(c: &mut Criterion) {
    // The allocator set up as the stepdbg process sets it (see `shell::memory`).
    stepdbg::shell::memory::keep_freed_memory();
    // Loading and validating a 1 MB definition (Pass states with InputPath, Parameters and
    // ResultPath, pretty-printed as people write them): the text to a checked model, as
    // `stepdbg validate` and every launch do.
    let mut n = 1_000;
    let text = loop {
        let def = chain(
            n,
            "JSONPath",
            |i| json!({"Type": "Pass", "Comment": format!("step {i}"), "InputPath": "$.order", "Parameters": {"sku.$": "$.sku", "qty.$": "$.qty", "step": i}, "ResultPath": "$.order.last"}),
        );
        let text = serde_json::to_vec_pretty(&def).unwrap();
        if text.len() >= 1 << 20 {
            break text;
        }
        n += 500;
    };
    let path = Path::new("big.asl.json");
    let d = stepdbg::asl::from_bytes(path, text.clone()).unwrap();
    assert!(!d.has_errors(), "{:?}", d.diagnostics);
    c.bench_function("load_validate_1mb", |b| {
        b.iter_batched(
            || text.clone(),
            |text| black_box(stepdbg::asl::from_bytes(path, text)),
            BatchSize::LargeInput,
        );
    });

    // Replaying a 1,000-item Map's recorded execution and comparing it event by event.
    let (def, recording) = recorded_map(1_000);
    c.bench_function("replay_map_1000_items", |b| {
        b.iter(|| {
            let r = replay::reproduce(
                Path::new("d.json"),
                def.clone(),
                &recording,
                Config::default(),
            );
            assert!(r.divergence.is_none());
            black_box(r.divergence)
        });
    });
    // Laying out a 300-state machine (a chain with a Choice every ten states).
    let mut states = stepdbg::json::Map::new();
    for i in 0..300 {
        let s = if i % 10 == 5 {
            json!({"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": i, "Next": format!("S{}", (i + 3).min(299))}], "Default": format!("S{}", i + 1)})
        } else if i == 299 {
            json!({"Type": "Pass", "End": true})
        } else {
            json!({"Type": "Pass", "Next": format!("S{}", i + 1)})
        };
        states.insert(format!("S{i}"), s);
    }
    let d = stepdbg::asl::from_value(json!({"StartAt": "S0", "States": Value::Object(states)}));
    c.bench_function("graph_layout_300_states", |b| {
        b.iter(|| black_box(layout(&Block::of(&d.machine))));
    });
}

/// The debugger at 100,000 steps: a 50,000-iteration counter loop run to its end in a
/// session (records and history kept), then stepped back (a replay of 99,999 steps, what a
/// reload does too), and its History pane drawn at the end of 100,000 events.
fn debugger(c: &mut Criterion) {
    // The allocator set up as the stepdbg process sets it (see `shell::memory`).
    stepdbg::shell::memory::keep_freed_memory();
    use stepdbg::session::{ManualResolver, Session, SessionOptions};
    use stepdbg::tui::{App, AppOptions, Msg, Pane};
    let def = stepdbg::asl::from_value(counter_loop(50_000, ""));
    let open = || {
        let mut s = Session::from_definition(
            Path::new("loop.asl.json"),
            def.clone(),
            SessionOptions {
                input: Some(json!({"i": 0})),
                // EXPRESS: no 25,000-event history quota.
                config: Config {
                    workflow_type: stepdbg::engine::WorkflowType::Express,
                    ..Config::default()
                },
            },
            Box::new(ManualResolver),
        );
        s.max_steps_per_continue = usize::MAX;
        s.continue_();
        s
    };
    let session = open();
    assert!(session.step_count() >= 100_000, "{}", session.step_count());
    let mut g = c.benchmark_group("debugger_100k_steps");
    g.sample_size(10);
    g.bench_function("step_back", |b| {
        b.iter_batched(
            open,
            |mut s| black_box(s.step_back()),
            criterion::BatchSize::LargeInput,
        );
    });
    let mut app = App::new(session, AppOptions::default());
    app.update(Msg::Resize(120, 40));
    app.focus_pane(Pane::History);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    g.bench_function("history_pane_frame", |b| {
        b.iter(|| {
            // Scrolling: each frame a line further.
            app.press("k");
            terminal.draw(|f| app.view(f)).unwrap();
        });
    });
    g.finish();
}

criterion_group!(tools, benches, debugger);
criterion_main!(tools);
