//! Profiling aid: runs the counter-loop bench machine once (see benches/engine.rs).
use serde_json::json;
use std::sync::Arc;
use stepdbg::engine::{Config, Execution, WorkflowType};

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000u64);
    let def = stepdbg::asl::from_value(json!({
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": n, "Next": "Done"}], "Default": "Increment"},
            "Increment": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
            "Done": {"Type": "Succeed"}
        }
    }));
    let m = Arc::new(def.machine);
    let start = std::time::Instant::now();
    let cfg = Config {
        workflow_type: WorkflowType::Express,
        record_steps: false,
        ..Config::default()
    };
    let mut ex = Execution::new(m, json!({"i": 0}), cfg);
    ex.run_with(|_| None);
    let t = ex.transitions();
    println!(
        "{t} transitions in {:?}: {:.0}/s",
        start.elapsed(),
        t as f64 / start.elapsed().as_secs_f64()
    );
}
