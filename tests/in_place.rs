//! A run that keeps nothing (`stepdbg run`: no records, no history) lets the engine move
//! data instead of copying it: a Map's items out of its input, the execution's input out
//! of the context object when nothing reads it. Each machine here must end exactly as it
//! does in a run that keeps everything (the debugger's), where nothing is moved.

use std::sync::Arc;
use stepdbg::engine::{Config, Execution, Status, TaskOutcome};
use stepdbg::json;
use stepdbg::json::Value;

fn run(definition: &Value, input: &Value, keep: bool) -> Status {
    executed(definition, input, keep).status().clone()
}

/// The execution of a valid definition run to its end, with the debugger's records and
/// history when `keep`; each task answers its input.
fn executed(definition: &Value, input: &Value, keep: bool) -> Execution {
    let cfg = Config {
        record_steps: keep,
        keep_history: keep,
        ..Config::default()
    };
    executed_with(definition, input, cfg)
}

/// [`executed`] with `cfg`.
fn executed_with(definition: &Value, input: &Value, cfg: Config) -> Execution {
    let def = stepdbg::asl::from_value(definition.clone());
    assert!(
        def.diagnostics
            .iter()
            .all(|d| d.severity != stepdbg::asl::Severity::Error),
        "{definition}: {:?}",
        def.diagnostics
    );
    let mut ex = Execution::new(Arc::new(def.machine), input.clone(), cfg);
    ex.run_with(|req| Some(TaskOutcome::Success(req.input.clone())));
    ex
}

/// `state` with the members of `fields` added (or replaced).
fn with_fields(mut state: Value, fields: &Value) -> Value {
    for (k, v) in fields.as_object().unwrap() {
        state[k] = v.clone();
    }
    state
}

/// A Map state named `Each` with `fields` added, iterating a Pass whose Parameters are
/// `params`, followed by a Pass that shows what reached it.
fn map_machine(fields: Value, params: Value) -> Value {
    let each = json!({
        "Type": "Map",
        "ItemProcessor": {
            "StartAt": "Item",
            "States": {"Item": {"Type": "Pass", "Parameters": params, "End": true}}
        },
        "Next": "After"
    });
    let each = with_fields(each, &fields);
    json!({
        "StartAt": "Each",
        "States": {
            "Each": each,
            "After": {"Type": "Pass", "End": true}
        }
    })
}

#[test]
fn maps_end_the_same_whether_their_items_move_or_are_copied() {
    let input =
        json!({"order": {"items": [{"n": 1}, {"n": 2}, {"n": 3}], "id": "o-1"}, "limit": 2});
    let item = json!({"n.$": "$.n"});
    let cases = [
        // The items move: ItemsPath a reference path, the result replaces the input.
        (json!({"ItemsPath": "$.order.items"}), item.clone()),
        (json!({"ItemsPath": "$['order']['items']"}), item.clone()),
        // Inside, the context still shows the whole execution input.
        (
            json!({"ItemsPath": "$.order.items"}),
            json!({"n.$": "$.n", "whole.$": "$$.Execution.Input"}),
        ),
        (
            json!({"ItemsPath": "$.order.items"}),
            json!({"id.$": "States.Format('{}', $$.Execution.Input.order.id)"}),
        ),
        // InputPath gives the Map its own copy: the items move out of that.
        (
            json!({"InputPath": "$.order", "ItemsPath": "$.items"}),
            item.clone(),
        ),
        // Something reads the input afterwards: copied.
        (
            json!({"ItemsPath": "$.order.items", "ResultPath": "$.out"}),
            item.clone(),
        ),
        (
            json!({"ItemsPath": "$.order.items", "ResultPath": null}),
            item.clone(),
        ),
        (
            json!({"ItemsPath": "$.order.items", "MaxConcurrencyPath": "$.limit"}),
            item.clone(),
        ),
        (
            json!({"ItemsPath": "$.order.items", "ItemSelector": {"n.$": "$$.Map.Item.Value.n", "id.$": "$.order.id"}}),
            json!({"n.$": "$.n", "id.$": "$.id"}),
        ),
        (
            json!({
                "ItemsPath": "$.order.items",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "After"}]
            }),
            json!({"n.$": "$.missing"}),
        ),
        // Not an array, a missing path, an indefinite path: the errors ItemsPath gives.
        (json!({"ItemsPath": "$.order.id"}), item.clone()),
        (json!({"ItemsPath": "$.order.nothing"}), item.clone()),
        (
            json!({"ItemsPath": "$.order.items[*].n"}),
            json!({"n.$": "$"}),
        ),
    ];
    for (fields, params) in cases {
        let def = map_machine(fields.clone(), params);
        let kept = run(&def, &input, true);
        let moved = run(&def, &input, false);
        assert_eq!(moved, kept, "{fields}");
        assert!(
            !matches!(kept, Status::Running),
            "{fields}: the run did not end"
        );
    }
    // No ItemsPath: the whole input is the array.
    let def = map_machine(json!({}), item);
    let items = json!([{"n": 1}, {"n": 2}]);
    assert_eq!(
        run(&def, &items, false),
        Status::Succeeded {
            output: json!([{"n": 1}, {"n": 2}])
        }
    );
}

#[test]
fn the_context_keeps_the_input_for_whatever_may_read_it() {
    let input = json!({"a": 1});
    for reader in [
        json!({"x.$": "$$.Execution.Input"}),
        json!({"x.$": "$$.Execution"}),
        json!({"x.$": "$$"}),
        json!({"x.$": "$$['Execution']['Input']"}),
        json!({"x.$": "States.JsonToString($$.Execution.Input)"}),
    ] {
        let def = json!({
            "StartAt": "First",
            "States": {
                "First": {"Type": "Pass", "Result": {"b": 2}, "ResultPath": "$.b", "Next": "Read"},
                "Read": {"Type": "Pass", "Parameters": reader, "End": true}
            }
        });
        assert_eq!(
            run(&def, &input, false),
            run(&def, &input, true),
            "{reader}"
        );
    }
    let jsonata = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Output": "{% $merge([$states.input, {'b': 2}]) %}", "Next": "Read"},
            "Read": {"Type": "Pass", "Output": "{% $states.context.Execution.Input %}", "End": true}
        }
    });
    assert_eq!(
        run(&jsonata, &input, false),
        Status::Succeeded { output: input }
    );
}

#[test]
fn what_may_read_the_execution_input() {
    use stepdbg::asl::build::may_read_execution_input as reads;
    // A Map state whose ItemSelector holds `s`, inside a definition's States.
    let in_item_selector =
        |s: &str| json!({"States": {"M": {"Type": "Map", "ItemSelector": {"x": [{"v.$": s}]}}}});
    for s in [
        "$$.Execution.Input",
        "$$.Execution",
        "$$",
        "$$['Execution']",
        "$$..Input",
        "$$.MapX",
        "States.Format('{}', $$.Execution.Input.a)",
        "{% $states.context.Execution.Input %}",
        "{% $states %}",
        "{% $states.inputs %}",
        "{% $lookup($states, 'context') %}",
        // Paths that may not resolve: the failure quotes the whole context object.
        "$$.Execution.Id.length",
        "$$.Execution.RedriveTime",
        "$$.State.Name[0]",
        "$$.Task.Token",
        "$$.Map.Item.Value",
        "$$.Map.Item.Index",
    ] {
        assert!(reads(&json!({"a": [{"b": s}]})), "{s}");
    }
    for s in [
        "$$.Map.Item.Value.price",
        "$$.Map.Item.Value[0]",
        "States.Format('{}', $$.Map.Item.Value.missing)",
        "$$.Map.Item",
    ] {
        assert!(reads(&in_item_selector(s)), "{s} in an ItemSelector");
    }
    for s in ["$$.Map.Item.Value", "$$.Map.Item.Index"] {
        assert!(!reads(&in_item_selector(s)), "{s} in an ItemSelector");
        // Not in a Task's Parameters that looks like an ItemSelector, nor in the Map's
        // other fields.
        assert!(reads(
            &json!({"Type": "Task", "Parameters": {"ItemSelector": {"v.$": s}}})
        ));
        assert!(reads(&json!({"Type": "Map", "ResultSelector": {"v.$": s}})));
    }
    for s in [
        "$.a",
        "$$.Execution.Id",
        "$$.State.EnteredTime",
        "$$.State",
        "$$.StateMachine.Name",
        "States.Format('{}-{}', $$.Execution.Name, $.x)",
        "{% $states.input.a & $states.result.b %}",
        "{% $states.errorOutput %}",
        "price in $ and $$ signs? no: a single $ only",
    ] {
        assert_eq!(reads(&json!({"a": [{"b": s}]})), s.contains("$$ "), "{s}");
    }
}

/// A context path that does not resolve fails with a message that quotes the whole context
/// object, the execution's input included: a run that keeps nothing keeps that input for
/// such definitions, and its message is the debugger's.
#[test]
fn a_context_path_that_does_not_resolve_quotes_the_execution_input() {
    let input = json!({"items": [{"id": 1}], "k": "v"});
    let pass = |params: Value| json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": params, "End": true}}});
    let machines = [
        pass(json!({"y.$": "$$.Task.Token"})),
        pass(json!({"y.$": "$$.Execution.Id.x"})),
        pass(json!({"y.$": "$$.Execution.RedriveTime"})),
        pass(json!({"y.$": "States.Format('{}', $$.State.Name.x)"})),
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map",
            "ItemSelector": {"v.$": "$$.Map.Item.Value.missing"},
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
            "ItemsPath": "$.items",
            "End": true
        }}}),
    ];
    for machine in machines {
        let kept = run(&machine, &input, true);
        let Status::Failed {
            cause: Some(cause), ..
        } = &kept
        else {
            panic!("{machine}: {kept:?}");
        };
        assert!(
            cause.contains(r#""Input":{"items":[{"id":1}],"k":"v"}"#),
            "{cause}"
        );
        assert_eq!(run(&machine, &input, false), kept, "{machine}");
    }
}

/// The debugger's record of a Choice: every rule's value (those after the deciding one
/// too), which rule matched and where it went; a rule that fails decides nothing.
#[test]
fn a_choice_record_holds_every_rule() {
    let def = json!({
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
                    {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Medium"},
                    {"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Small"},
                    {"Variable": "$.missing", "IsPresent": true, "Next": "Small"}
                ],
                "Default": "Small"
            },
            "Big": {"Type": "Succeed"},
            "Medium": {"Type": "Succeed"},
            "Small": {"Type": "Succeed"}
        }
    });
    let trace_for = |input: Value| {
        let def = stepdbg::asl::from_value(def.clone());
        let cfg = Config {
            record_steps: true,
            ..Config::default()
        };
        let mut ex = Execution::new(Arc::new(def.machine), input, cfg);
        ex.run_with(|_| None);
        let rec = ex.steps().iter().find(|r| &*r.state == "Pick").unwrap();
        (*rec.choice.clone().unwrap(), ex.status().clone())
    };
    let (trace, _) = trace_for(json!({"n": 5}));
    let values: Vec<_> = trace.rules.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!(values, [Ok(false), Ok(true), Ok(true), Ok(false)]);
    assert_eq!(trace.matched, Some(1));
    assert_eq!(trace.next.as_deref(), Some("Medium"));

    let (trace, _) = trace_for(json!({"n": -1}));
    assert_eq!(trace.matched, None);
    assert_eq!(trace.next.as_deref(), Some("Small"), "Default");
    assert_eq!(trace.rules.len(), 4);

    // A Variable path that is not there: the first rule fails the state.
    let (trace, status) = trace_for(json!({"x": 1}));
    assert!(matches!(status, Status::Failed { .. }), "{status:?}");
    assert_eq!(
        trace.rules.len(),
        4,
        "the rules after the failing one are shown too"
    );
    assert!(trace.rules[0].1.is_err(), "{:?}", trace.rules[0]);
    assert_eq!((trace.matched, trace.next), (None, None));
}

/// A run that keeps nothing may have moved a Map's items out of its input: it refuses to
/// be redriven rather than run the Map again on what is left.
#[test]
fn a_run_without_history_is_not_redriven() {
    let def = map_machine(json!({"ItemsPath": "$.items"}), json!({"n.$": "$.missing"}));
    let input = json!({"items": [{"n": 1}]});
    for keep in [false, true] {
        let mut ex = executed(&def, &input, keep);
        assert!(
            matches!(ex.status(), Status::Failed { .. }),
            "{:?}",
            ex.status()
        );
        assert_eq!(ex.redrive().is_ok(), keep, "keep = {keep}");
    }
}

/// The debugger's record of a state whose value after ResultPath is its output shares one
/// copy for both stages; with OutputPath they differ; after a Catch the state's own
/// ResultPath did not apply, so the stage is not shown.
#[test]
fn a_record_shares_the_output_after_result_path() {
    use stepdbg::engine::Stage;
    let def = json!({
        "StartAt": "Add",
        "States": {
            "Add": {"Type": "Pass", "Result": 1, "ResultPath": "$.one", "Next": "Trim"},
            "Trim": {"Type": "Pass", "Result": 2, "ResultPath": "$.two", "OutputPath": "$.two", "Next": "Fail"},
            "Fail": {
                "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "ResultPath": "$.r",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "End"}], "Next": "End"
            },
            "End": {"Type": "Succeed"}
        }
    });
    let d = stepdbg::asl::from_value(def);
    let cfg = Config {
        record_steps: true,
        ..Config::default()
    };
    let mut ex = Execution::new(Arc::new(d.machine), json!({"a": 0}), cfg);
    ex.run_with(|_| {
        Some(TaskOutcome::Failure(stepdbg::engine::Failure {
            error: Some("Boom".into()),
            cause: None,
        }))
    });
    let rec = |name: &str| ex.steps().iter().find(|r| &*r.state == name).unwrap();
    let add = rec("Add");
    let (after, output) = (add.stage(Stage::AfterResultPath), add.stage(Stage::Output));
    assert_eq!(after, Some(&json!({"a": 0, "one": 1})));
    assert!(std::ptr::eq(after.unwrap(), output.unwrap()), "one copy");
    let trim = rec("Trim");
    assert_eq!(
        trim.stage(Stage::AfterResultPath),
        Some(&json!({"a": 0, "one": 1, "two": 2}))
    );
    assert_eq!(trim.stage(Stage::Output), Some(&json!(2)));
    let caught = rec("Fail");
    assert_eq!(caught.caught_by, Some(0));
    assert_eq!(caught.stage(Stage::AfterResultPath), None);
}

/// A record shows the value after InputPath as the part of the input it holds (no copy),
/// still right after ResultPath has written the state's output; a value InputPath makes
/// (from the context object) is the record's own.
#[test]
fn a_record_shows_the_input_path_value_inside_the_input() {
    use stepdbg::engine::{Stage, StageValue};
    let def = json!({
        "StartAt": "Pick",
        "States": {
            "Pick": {"Type": "Pass", "InputPath": "$.order.lines[1]", "Parameters": {"sku.$": "$.sku"}, "ResultPath": "$.order.picked", "Next": "Ctx"},
            "Ctx": {"Type": "Pass", "InputPath": "$$.Execution.Input.order", "ResultPath": "$.copy", "End": true}
        }
    });
    let input = json!({"order": {"lines": [{"sku": "a"}, {"sku": "b"}]}});
    let ex = executed(&def, &input, true);
    assert!(matches!(ex.status(), Status::Succeeded { .. }));
    let stage = |state: &str, stage: Stage| {
        let rec = ex.steps().iter().find(|r| &*r.state == state).unwrap();
        rec.stages
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let picked = stage("Pick", Stage::AfterInputPath);
    assert!(matches!(picked, StageValue::Within(..)));
    assert_eq!(*picked, json!({"sku": "b"}));
    assert_eq!(*stage("Pick", Stage::Input), input);
    assert_eq!(
        stage("Pick", Stage::Output)["order"]["picked"],
        json!({"sku": "b"})
    );
    let from_context = stage("Ctx", Stage::AfterInputPath);
    assert!(matches!(from_context, StageValue::Held(_)));
    assert_eq!(*from_context, input["order"]);
}

/// A Map's record shows its items as the part of the input it holds (no copy of them
/// all) when ItemsPath selects a node of the input or is absent; items a path made from
/// something else (here after InputPath) are the record's own.
#[test]
fn a_map_record_shows_its_items_inside_the_input() {
    use stepdbg::engine::{Stage, StageValue};
    let each = |fields: Value| {
        let mut state = json!({
            "Type": "Map",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true
        });
        state
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        json!({"StartAt": "Each", "States": {"Each": state}})
    };
    let records = |def: Value, input: &Value| {
        let ex = executed(&def, input, true);
        assert!(matches!(ex.status(), Status::Succeeded { .. }));
        let rec = ex.steps().iter().find(|r| &*r.state == "Each").unwrap();
        let stage = |stage: Stage| {
            rec.stages
                .iter()
                .find(|(s, _)| *s == stage)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        (
            stage(Stage::AfterItemsPath),
            stage(Stage::AfterItemSelector),
        )
    };
    let input = json!({"order": {"items": [{"id": 1}, {"id": 2}]}});
    let (items, selected) = records(each(json!({"ItemsPath": "$.order.items"})), &input);
    assert!(matches!(items, StageValue::Within(..)));
    assert!(matches!(selected, StageValue::Within(..)));
    assert_eq!(*items, input["order"]["items"]);
    assert_eq!(*selected, input["order"]["items"]);
    let list = json!([1, 2, 3]);
    let (items, _) = records(each(json!({})), &list);
    assert_eq!(*items, list);
    let (items, selected) = records(
        each(json!({"InputPath": "$.order", "ItemsPath": "$.items"})),
        &input,
    );
    assert!(matches!(items, StageValue::Held(_)));
    assert_eq!(*items, input["order"]["items"]);
    assert_eq!(*selected, input["order"]["items"]);
    let (items, selected) = records(
        each(json!({"ItemsPath": "$.order.items", "ItemSelector": {"n.$": "$$.Map.Item.Index"}})),
        &input,
    );
    assert!(matches!(items, StageValue::Within(..)));
    // The iterations' inputs as they hold them, made into an array when read.
    assert!(matches!(selected, StageValue::Elements(_)));
    assert_eq!(*selected, json!([{"n": 0}, {"n": 1}]));
}

/// A Parallel's branches share its input until one writes into it: each write is the
/// branch's own, and the input after the Parallel is untouched.
#[test]
fn parallel_branches_write_into_their_own_input() {
    let branch = |x: i64| {
        let name = format!("W{x}");
        json!({"StartAt": name, "States": {name.clone(): {"Type": "Pass", "Result": x, "ResultPath": "$.x", "End": true}}})
    };
    let def = json!({
        "StartAt": "Both",
        "States": {"Both": {
            "Type": "Parallel", "Branches": [branch(1), branch(2), branch(3)],
            "ResultPath": "$.results", "End": true
        }}
    });
    for keep in [false, true] {
        let Status::Succeeded { output } = run(&def, &json!({"a": 0}), keep) else {
            panic!("the Parallel failed");
        };
        assert_eq!(
            output,
            json!({"a": 0, "results": [{"a": 0, "x": 1}, {"a": 0, "x": 2}, {"a": 0, "x": 3}]}),
            "records kept: {keep}"
        );
    }
}

/// Read from a definition's JSON text, the answer is the walk's: escapes that spell `$$`
/// and substitutions made after parsing included.
#[test]
fn what_may_read_the_execution_input_from_the_text() {
    use std::path::Path;
    use stepdbg::asl::Definition;
    use stepdbg::asl::source::{Format, parse_text};
    let reads = |param: &str| {
        let text = format!(
            r#"{{"StartAt": "A", "States": {{"A": {{"Type": "Pass", "Parameters": {{"x.$": "{param}"}}, "End": true}}}}}}"#
        );
        let doc = parse_text(Path::new("d.asl.json"), text, Format::Json).unwrap();
        Definition::from_document(doc).machine.reads_execution_input
    };
    assert!(!reads("$.a"));
    assert!(!reads("$$.Execution.Id"));
    assert!(reads("$$.Execution.Input"));
    assert!(reads("\\u0024$.Execution.Input"));
    assert!(reads("$\\u0024.Execution.Input"));

    let text = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "$.a"}, "End": true}}}"#;
    let mut doc = parse_text(Path::new("d.asl.json"), text.into(), Format::Json).unwrap();
    doc.value_mut()["States"]["A"]["Parameters"]["x.$"] = json!("$$.Execution.Input");
    assert!(Definition::from_document(doc).machine.reads_execution_input);
}

/// A Map's results are measured against the 256 KiB payload quota from the bounds its
/// iterations' outputs were measured with on their way out: whatever the bounds add up
/// to, the verdict is the exact length's.
#[test]
fn map_results_over_the_payload_quota_fail_the_map() {
    let pad = "x".repeat(100);
    let outcome = |items: usize, fields: Value, params: Value| {
        let input = json!(vec![json!(1.5); items]);
        let kept = run(&map_machine(fields.clone(), params.clone()), &input, true);
        let moved = run(&map_machine(fields, params), &input, false);
        assert_eq!(kept, moved);
        match moved {
            Status::Succeeded { .. } => "succeeded".to_string(),
            Status::Failed { error, cause } => format!(
                "{} {}",
                error.unwrap_or_default(),
                cause.unwrap_or_default().contains("'Each'")
            ),
            other => format!("{other:?}"),
        }
    };
    let padded = json!({"pad": pad, "v.$": "$"});
    // ~110 bytes an item: 2,000 fit, 3,000 do not.
    assert_eq!(outcome(2000, json!({}), padded.clone()), "succeeded");
    assert_eq!(
        outcome(3000, json!({}), padded.clone()),
        "States.DataLimitExceeded true"
    );
    // Measured from the output itself when the Map reshapes its results.
    assert_eq!(
        outcome(3000, json!({"OutputPath": "$[1:]"}), padded.clone()),
        "States.DataLimitExceeded true"
    );
    assert_eq!(
        outcome(3000, json!({"ResultSelector": {"first.$": "$[0]"}}), padded),
        "succeeded"
    );
    // Floats are bounded at their longest (24 bytes): these results bound past the quota
    // (3,000 times 117 bytes) but are 100 KB.
    assert_eq!(
        outcome(
            3000,
            json!({}),
            json!({"a.$": "$", "b.$": "$", "c.$": "$", "d.$": "$"})
        ),
        "succeeded"
    );
}

/// JSONata's `$states` is handed to each expression as its parts (input, result,
/// errorOutput, and the context object from the execution), never copied together: every
/// field that reads it sees what AWS gives it, with and without the debugger's records.
#[test]
fn jsonata_fields_read_the_parts_of_states_they_may_read() {
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Get",
        "States": {
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Arguments": {"Key": "{% $states.input.n %}", "From": "{% $states.context.State.Name %}"},
                "Assign": {"key": "{% $states.result.Key %}", "state": "{% $states.context.State.Name %}"},
                "Output": {"n": "{% $states.input.n %}", "got": "{% $states.result %}", "parts": "{% $keys($states) %}"},
                "Next": "Each"
            },
            "Each": {
                "Type": "Map",
                "Items": "{% [10, 20] %}",
                "ItemSelector": {
                    "value": "{% $states.context.Map.Item.Value %}",
                    "index": "{% $states.context.Map.Item.Index %}",
                    "n": "{% $states.input.n %}"
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Item",
                    "States": {"Item": {"Type": "Pass", "End": true}}
                },
                "Output": {"items": "{% $states.result %}", "key": "{% $key %}", "state": "{% $state %}", "n": "{% $states.input.n %}", "get": "{% $states.input %}"},
                "Next": "Fails"
            },
            "Fails": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Arguments": {"QueueUrl": "q", "MessageBody": "{% $string($states.input.n) %}"},
                "Catch": [{
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {"caught": "{% $states.errorOutput.Error %}"},
                    "Output": {"error": "{% $states.errorOutput %}", "input": "{% $states.input %}", "parts": "{% $keys($states) %}"},
                    "Next": "Done"
                }],
                "End": true
            },
            "Done": {
                "Type": "Pass",
                "Output": {"last": "{% $states.input %}", "caught": "{% $caught %}", "items": "{% $count($states.input.input.items) %}"},
                "End": true
            }
        }
    });
    let expected = json!({
        "last": {
            "error": {"Error": "Queue.Down", "Cause": "down"},
            "input": {"items": [{"value": 10, "index": 0, "n": 7}, {"value": 20, "index": 1, "n": 7}], "key": 7, "state": "Get", "n": 7,
                "get": {"n": 7, "got": {"Key": 7, "From": "Get"}, "parts": ["input", "result", "context"]}},
            "parts": ["input", "errorOutput", "context"]
        },
        "caught": "Queue.Down",
        "items": 2
    });
    for keep in [false, true] {
        let def = stepdbg::asl::from_value(definition.clone());
        assert!(def.diagnostics.is_empty(), "{:?}", def.diagnostics);
        let cfg = Config {
            record_steps: keep,
            keep_history: keep,
            ..Config::default()
        };
        let mut ex = Execution::new(Arc::new(def.machine), json!({"n": 7}), cfg);
        ex.run_with(|req| {
            Some(if req.state == "Fails" {
                TaskOutcome::Failure(stepdbg::engine::Failure::new("Queue.Down", "down"))
            } else {
                TaskOutcome::Success(req.input.clone())
            })
        });
        assert_eq!(
            ex.status(),
            &Status::Succeeded {
                output: expected.clone()
            },
            "keep {keep}"
        );
    }
}

/// ResultPath writes a result into the raw input in place when nothing reads that input
/// again; a retrier or catcher naming `States.DataLimitExceeded` does, when the output
/// turns out too big: it must see the input as the state received it.
#[test]
fn an_output_over_the_quota_leaves_the_raw_input_to_its_catcher() {
    let big = json!({"a": vec!["y".repeat(1000); 150]});
    let branch = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let machine = |result_path: Value, handler: Value| -> Value {
        let big_state = with_fields(
            json!({
                "Type": "Parallel",
                "Branches": [branch.clone()],
                "ResultPath": result_path,
                "Next": "Done"
            }),
            &handler,
        );
        json!({
            "StartAt": "Big",
            "States": {
                "Big": big_state,
                "Done": {
                    "Type": "Pass",
                    "Parameters": {"items.$": "States.ArrayLength($.a)", "err.$": "$.err.Error"},
                    "End": true
                }
            }
        })
    };
    // A failure's cause quotes the big input: cut short.
    let short = |status: &Status| -> String { format!("{status:?}").chars().take(300).collect() };
    let expected = short(&Status::Succeeded {
        output: json!({"items": 150, "err": "States.DataLimitExceeded"}),
    });
    let catch = json!({"Catch": [{
        "ErrorEquals": ["States.DataLimitExceeded"], "ResultPath": "$.err", "Next": "Done"
    }]});
    for keep in [false, true] {
        let status = run(&machine(json!("$.b"), catch.clone()), &big, keep);
        assert_eq!(short(&status), expected, "records kept: {keep}");
    }
    // A retrier runs the state again on the same input: here it fails the same way twice,
    // then the catcher takes it.
    let retry_then_catch = json!({
        "Retry": [{"ErrorEquals": ["States.DataLimitExceeded"], "MaxAttempts": 1, "IntervalSeconds": 1}],
        "Catch": catch["Catch"].clone()
    });
    for keep in [false, true] {
        let status = run(&machine(json!("$.b"), retry_then_catch.clone()), &big, keep);
        assert_eq!(short(&status), expected, "records kept: {keep}");
    }
}

/// A state without InputPath nor Parameters (Arguments) takes its raw input as it is: a
/// Pass's Result replaces it without a copy being made, a Pass or Succeed that nothing
/// reads the raw input after takes it over, a Parallel's branches share it. Each ends as
/// it does where everything is kept.
#[test]
fn states_that_take_their_raw_input_as_it_is_end_the_same() {
    let input = json!({"order": {"id": 7, "lines": [1, 2, 3]}, "note": "n"});
    let pass = |fields: Value| {
        let state = with_fields(json!({"Type": "Pass", "Next": "Last"}), &fields);
        json!({
            "StartAt": "First",
            "States": {
                "First": state,
                "Last": {"Type": "Succeed", "OutputPath": "$"}
            }
        })
    };
    let jsonata = |fields: Value| {
        let mut m = pass(fields);
        m["QueryLanguage"] = json!("JSONata");
        m["States"]["Last"] = json!({"Type": "Succeed"});
        m
    };
    let parallel = json!({
        "StartAt": "Fan",
        "States": {"Fan": {
            "Type": "Parallel",
            "ResultPath": "$.branches",
            "Branches": [
                {"StartAt": "W", "States": {"W": {"Type": "Pass", "Result": 1, "ResultPath": "$.note", "End": true}}},
                {"StartAt": "R", "States": {"R": {"Type": "Pass", "End": true}}}
            ],
            "End": true
        }}
    });
    let cases = [
        (pass(json!({})), input.clone()),
        (pass(json!({"Result": {"r": 1}})), json!({"r": 1})),
        (
            pass(json!({"Result": 5, "ResultPath": "$.r"})),
            json!({"order": {"id": 7, "lines": [1, 2, 3]}, "note": "n", "r": 5}),
        ),
        (pass(json!({"ResultPath": null})), input.clone()),
        (
            pass(json!({"ResultPath": "$.copy", "OutputPath": "$.copy.order"})),
            json!({"id": 7, "lines": [1, 2, 3]}),
        ),
        (
            pass(json!({"InputPath": "$", "OutputPath": "$.order.id"})),
            json!(7),
        ),
        (pass(json!({"Assign": {"n.$": "$.note"}})), input.clone()),
        (jsonata(json!({})), input.clone()),
        (
            jsonata(json!({"Output": "{% $states.input.order.id %}"})),
            json!(7),
        ),
        (
            {
                let mut m = jsonata(json!({"Assign": {"n": "{% $states.input.note %}"}}));
                m["States"]["Last"]["Output"] = json!("{% $n %}");
                m
            },
            json!("n"),
        ),
        (
            parallel,
            json!({
                "order": {"id": 7, "lines": [1, 2, 3]},
                "note": "n",
                "branches": [
                    {"order": {"id": 7, "lines": [1, 2, 3]}, "note": 1},
                    {"order": {"id": 7, "lines": [1, 2, 3]}, "note": "n"}
                ]
            }),
        ),
    ];
    for (machine, output) in cases {
        for keep in [false, true] {
            assert_eq!(
                run(&machine, &input, keep),
                Status::Succeeded {
                    output: output.clone()
                },
                "{machine}, records kept: {keep}"
            );
        }
    }
    // A JSONata Succeed whose Output reads its input keeps it.
    let succeed = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "S",
        "States": {"S": {"Type": "Succeed", "Output": "{% $states.input.order.id %}"}}
    });
    for keep in [false, true] {
        assert_eq!(
            run(&succeed, &input, keep),
            Status::Succeeded { output: json!(7) }
        );
    }
    // A Pass's Result replaces its input, but its InputPath and Parameters still apply
    // first, and fail as they would.
    for fields in [
        json!({"Result": 1, "InputPath": "$.missing"}),
        json!({"Result": 1, "Parameters": {"x.$": "$.missing"}}),
    ] {
        let machine = pass(fields);
        let kept = run(&machine, &input, true);
        assert!(
            matches!(&kept, Status::Failed { error: Some(e), .. } if e == "States.Runtime"),
            "{machine}: {kept:?}"
        );
        assert_eq!(run(&machine, &input, false), kept, "{machine}");
    }
}

/// A redrive starts the failed state again from its input. A run that keeps the history
/// but no records (`stepdbg serve` without debugging) must not have moved that input out
/// of the thread where the state then failed.
#[test]
fn a_redrive_after_a_history_only_run_starts_from_the_states_input() {
    let input = json!({"a": 1, "o": {"k": "v"}});
    let one = |state: Value| json!({"StartAt": "S", "States": {"S": state}});
    let machines = [
        // Its input taken over as its result, then OutputPath fails.
        one(json!({"Type": "Pass", "OutputPath": "$.missing", "End": true})),
        // Its result written into its input, then OutputPath fails.
        one(
            json!({"Type": "Pass", "Result": 2, "ResultPath": "$.r", "OutputPath": "$.missing", "End": true}),
        ),
        // Its input as the output (ResultPath null), then OutputPath fails.
        one(
            json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "ResultPath": null, "OutputPath": "$.missing", "End": true}),
        ),
        one(json!({"Type": "Succeed", "OutputPath": "$.missing"})),
    ];
    for machine in machines {
        let history_only = Config {
            record_steps: false,
            keep_history: true,
            ..Config::default()
        };
        let mut ex = executed_with(&machine, &input, history_only);
        assert!(matches!(ex.status(), Status::Failed { .. }), "{machine}");
        ex.redrive().unwrap();
        ex.run_with(|req| Some(TaskOutcome::Success(req.input.clone())));
        let history = stepdbg::engine::history::to_json(ex.history());
        let entered: Vec<&Value> = history["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e.get("stateEnteredEventDetails"))
            .map(|d| &d["input"])
            .collect();
        assert_eq!(entered.len(), 2, "{machine}: {history}");
        assert_eq!(entered[0], entered[1], "{machine}");
        let failures: Vec<&Value> = history["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e.get("executionFailedEventDetails"))
            .collect();
        assert_eq!(failures.len(), 2, "{machine}");
        // The same failure, but for the id of the Entered event it names.
        let after_id = |f: &Value| {
            f["cause"]
                .as_str()
                .unwrap()
                .split_once(").")
                .unwrap()
                .1
                .to_string()
        };
        assert_eq!(failures[0]["error"], failures[1]["error"], "{machine}");
        assert_eq!(after_id(failures[0]), after_id(failures[1]), "{machine}");
    }
}
