//! Engine throughput, in state transitions per second (criterion's "elements").
//! Run: `cargo bench --bench engine`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use stepdbg::asl::{self, Machine};
use stepdbg::engine::{Config, Execution, Status, WorkflowType};
use stepdbg::json;
use stepdbg::json::Value;

mod machines;
use machines::{chain, counter_loop, jsonata_chain, jsonata_input, map_items};

fn machine(def: Value) -> Arc<Machine> {
    let d = asl::from_value(def);
    assert!(!d.has_errors(), "{:?}", d.diagnostics);
    Arc::new(d.machine)
}

/// Run to the end. `debugger`: with what the debugger keeps (each step's records and the
/// history); otherwise as `stepdbg run` runs (neither). The finished execution is returned
/// so that freeing it is not timed (`stepdbg run` exits without freeing it).
fn run(m: &Arc<Machine>, input: Value, debugger: bool) -> Execution {
    let cfg = Config {
        workflow_type: WorkflowType::Express,
        record_steps: debugger,
        keep_history: debugger,
        ..Config::default()
    };
    let mut ex = Execution::new(m.clone(), input, cfg);
    ex.run_with(|_| None);
    assert!(
        matches!(ex.status(), Status::Succeeded { .. }),
        "{:?}",
        ex.status()
    );
    ex
}

/// Transitions per second, the input given to each run (as `stepdbg run` parses it once
/// and hands it over): copying it for the next run is not timed.
fn bench(c: &mut Criterion, name: &str, def: Value, input: Value) {
    let m = machine(def);
    let transitions = run(&m, input.clone(), false).transitions();
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(transitions));
    g.sample_size(10);
    for (label, debugger) in [("run", false), ("run+inspection", true)] {
        g.bench_function(label, |b| {
            b.iter_batched(
                || input.clone(),
                |input| black_box(run(&m, input, debugger)),
                BatchSize::LargeInput,
            );
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    // The allocator set up as the stepdbg process sets it (see `shell::memory`).
    stepdbg::shell::memory::keep_freed_memory();
    // (a) a 10,000-iteration Choice/Pass counter loop with States.MathAdd.
    bench(
        c,
        "a_counter_loop_10k",
        counter_loop(10_000, ""),
        json!({"i": 0}),
    );

    // (b) a Map over 10,000 items.
    let (map, items) = map_items(10_000);
    bench(c, "b_map_10k_items", map, items);

    // (c) 1,000 chained Pass states with InputPath/Parameters/ResultPath.
    bench(
        c,
        "c_chain_1000_pass",
        chain(
            1000,
            "JSONPath",
            |i| json!({"Type": "Pass", "InputPath": "$.data", "Parameters": {"value.$": "$.value", "step": i}, "ResultPath": "$.last"}),
        ),
        json!({"data": {"value": 42}}),
    );

    // (d) a Parallel of 8 branches, each a 100-iteration loop.
    let branches: Vec<Value> = (0..8).map(|b| counter_loop(100, &b.to_string())).collect();
    bench(
        c,
        "d_parallel_8x100",
        json!({"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "Branches": branches, "End": true}}}),
        json!({"i": 0}),
    );

    // (e) JSONata: 1,000 chained Pass states, each with a typical Output and Assign.
    bench(
        c,
        "e_jsonata_chain_1000",
        jsonata_chain(1000),
        jsonata_input(),
    );
}

criterion_group!(engine, benches);
criterion_main!(engine);
