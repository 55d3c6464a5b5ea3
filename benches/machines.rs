//! State machines shared by the benches and the profiling example.

use stepdbg::json;
use stepdbg::json::Value;

/// A Choice/Pass loop counting to `n`; `tag` keeps state names unique across branches.
pub fn counter_loop(n: u64, tag: &str) -> Value {
    let (check, inc, done) = (
        format!("Check{tag}"),
        format!("Increment{tag}"),
        format!("Done{tag}"),
    );
    json!({
        "StartAt": check,
        "States": {
            check.clone(): {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": n, "Next": done}], "Default": inc},
            inc.clone(): {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": check},
            done: {"Type": "Succeed"}
        }
    })
}

/// `n` chained states made by `state(i)`, named S0, S1, ...
pub fn chain(n: usize, query_language: &str, state: impl Fn(usize) -> Value) -> Value {
    let mut states = stepdbg::json::Map::new();
    for i in 0..n {
        let mut s = state(i);
        if i + 1 == n {
            s["End"] = json!(true);
        } else {
            s["Next"] = json!(format!("S{}", i + 1));
        }
        states.insert(format!("S{i}"), s);
    }
    json!({"QueryLanguage": query_language, "StartAt": "S0", "States": states})
}

/// JSONata Pass states with a typical Output (3 expressions) and Assign.
pub fn jsonata_chain(n: usize) -> Value {
    chain(n, "JSONata", |i| {
        json!({
            "Type": "Pass",
            "Assign": {"total": "{% $states.input.order.qty * $states.input.order.price %}"},
            "Output": {
                "order": "{% $states.input.order %}",
                "step": i,
                "label": "{% $uppercase($states.input.order.sku) & '-' & $string($states.input.order.qty) %}"
            }
        })
    })
}

pub fn jsonata_input() -> Value {
    json!({"order": {"sku": "abc-1", "qty": 3, "price": 9.5}})
}

/// A Map over `n` items, each a Pass with Parameters (ItemSelector with `$$.Map.Item`).
pub fn map_items(n: usize) -> (Value, Value) {
    let items: Vec<Value> = (0..n).map(|i| json!({"id": i, "price": i % 97})).collect();
    (
        json!({
            "StartAt": "Each",
            "States": {"Each": {
                "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
                "ItemSelector": {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
                "ItemProcessor": {"StartAt": "Price", "States": {"Price": {"Type": "Pass", "Parameters": {"id.$": "$.item.id", "total.$": "$.item.price"}, "End": true}}},
                "End": true
            }}
        }),
        json!({"items": items}),
    )
}
