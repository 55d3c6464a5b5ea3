//! Profiling aid: runs one of the bench machines once (see benches/engine.rs), e.g.
//! `valgrind --tool=callgrind target/release/examples/profile_loop jsonata 200`.
use serde_json::{Value, json};
use std::sync::Arc;
use stepdbg::engine::{Config, Execution, WorkflowType};

fn counter_loop(n: u64) -> Value {
    json!({
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": n, "Next": "Done"}], "Default": "Increment"},
            "Increment": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
            "Done": {"Type": "Succeed"}
        }
    })
}

fn jsonata_chain(n: usize) -> Value {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let mut s = json!({
            "Type": "Pass",
            "Assign": {"total": "{% $states.input.order.qty * $states.input.order.price %}"},
            "Output": {
                "order": "{% $states.input.order %}",
                "step": i,
                "label": "{% $uppercase($states.input.order.sku) & '-' & $string($states.input.order.qty) %}"
            }
        });
        if i + 1 == n {
            s["End"] = json!(true);
        } else {
            s["Next"] = json!(format!("S{}", i + 1));
        }
        states.insert(format!("S{i}"), s);
    }
    json!({"QueryLanguage": "JSONata", "StartAt": "S0", "States": states})
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "loop".into());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let (def, input) = match mode.as_str() {
        "jsonata" => (
            jsonata_chain(n as usize),
            json!({"order": {"sku": "abc-1", "qty": 3, "price": 9.5}}),
        ),
        _ => (counter_loop(n), json!({"i": 0})),
    };
    let m = Arc::new(stepdbg::asl::from_value(def).machine);
    let start = std::time::Instant::now();
    let cfg = Config {
        workflow_type: WorkflowType::Express,
        record_steps: false,
        ..Config::default()
    };
    let mut ex = Execution::new(m, input, cfg);
    ex.run_with(|_| None);
    let t = ex.transitions();
    println!(
        "{mode}: {t} transitions in {:?}: {:.0}/s",
        start.elapsed(),
        t as f64 / start.elapsed().as_secs_f64()
    );
}
