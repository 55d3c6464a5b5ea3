//! Profiling aid: runs one of the bench machines once (see benches/engine.rs), e.g.
//! `valgrind --tool=callgrind target/release/examples/profile_loop jsonata 200`, or
//! `perf record target/release/examples/profile_loop map 10000`; `parse N FILE` reads
//! a JSON file N times. `debugger N` runs the
//! counter loop (`map-debugger N` the Map, `chain-debugger N` the chain) as the debugger does (each step's records and the history kept) and prints
//! the peak memory.
use std::sync::Arc;
use stepdbg::engine::{Config, Execution, WorkflowType};
use stepdbg::json;

#[path = "../benches/machines.rs"]
mod machines;
use machines::{chain, counter_loop, jsonata_chain, jsonata_input, map_items};

fn main() {
    // The allocator set up as the stepdbg process sets it (see `shell::memory`).
    stepdbg::shell::memory::keep_freed_memory();
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "loop".into());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    if mode == "parse" {
        // `parse N FILE`: reads FILE's JSON N times, as an execution input is read.
        let text = std::fs::read_to_string(args.next().expect("parse N FILE")).unwrap();
        let start = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(json::parse::value_from_str(&text).unwrap());
        }
        println!("parse: {:?} a read", start.elapsed() / n as u32);
        return;
    }
    let (def, input) = match mode.as_str() {
        "jsonata" => (jsonata_chain(n as usize), jsonata_input()),
        "map" | "map-debugger" => map_items(n as usize),
        // The engine bench's (c).
        "chain" | "chain-debugger" => (
            chain(
                n as usize,
                "JSONPath",
                |i| json!({"Type": "Pass", "InputPath": "$.data", "Parameters": {"value.$": "$.value", "step": i}, "ResultPath": "$.last"}),
            ),
            json!({"data": {"value": 42}}),
        ),
        _ => (counter_loop(n, ""), json!({"i": 0})),
    };
    let m = Arc::new(stepdbg::asl::from_value(def).machine);
    let start = std::time::Instant::now();
    let debugger = mode.ends_with("debugger");
    let cfg = Config {
        workflow_type: WorkflowType::Express,
        record_steps: debugger,
        keep_history: debugger,
        ..Config::default()
    };
    let mut ex = Execution::new(m, input, cfg);
    ex.run_with(|_| None);
    let t = ex.transitions();
    println!(
        "{mode}: {t} transitions in {:?}: {:.0}/s; {} history events",
        start.elapsed(),
        t as f64 / start.elapsed().as_secs_f64(),
        ex.history().len()
    );
    // Linux: the process's peak resident memory.
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!("peak memory: {}", line.trim_start_matches("VmHWM:").trim());
    }
}
