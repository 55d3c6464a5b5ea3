//! Validator findings on small definitions: which rule fires, where it points.

use std::path::Path;
use stepdbg::asl::source::{Format, parse_text};
use stepdbg::asl::{Definition, Severity};
use stepdbg::json;
use stepdbg::json::Value;

fn check(def: Value) -> Definition {
    stepdbg::asl::from_value(def)
}

/// The (code, pointer) pairs of the errors.
fn errors(def: Value) -> Vec<(String, String)> {
    check(def)
        .errors()
        .map(|d| (d.code.to_string(), d.pointer.clone()))
        .collect()
}

fn has(def: Value, code: &str, pointer: &str) {
    let errs = errors(def);
    assert!(
        errs.iter().any(|(c, p)| c == code && p == pointer),
        "expected {code} at {pointer}, got {errs:?}"
    );
}

fn pass(extra: Value) -> Value {
    let mut s = json!({"Type": "Pass", "End": true});
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    json!({"StartAt": "A", "States": {"A": s}})
}

#[test]
fn valid_definitions_have_no_errors() {
    for def in [
        pass(json!({})),
        pass(
            json!({"InputPath": "$.a", "Parameters": {"x.$": "$.b", "y.$": "States.Format('{}', $.c)"}, "ResultPath": "$.r", "OutputPath": null}),
        ),
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% $states.input %}", "Assign": {"v": 1}, "End": true}}}),
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.a", "IsPresent": true}, "Next": "D"}], "Default": "D"},
            "D": {"Type": "Succeed"}}}),
    ] {
        assert_eq!(errors(def.clone()), vec![], "{def}");
    }
}

#[test]
fn transitions_must_lead_to_states() {
    has(
        json!({"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}}),
        "unknown-state",
        "/StartAt",
    );
    has(
        pass(json!({"End": null, "Next": "Z"})),
        "unknown-state",
        "/States/A/Next",
    );
    has(
        json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "X"}], "Default": "Y"}}}),
        "unknown-state",
        "/States/C/Choices/0/Next",
    );
    has(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone"}]}}}),
        "unknown-state",
        "/States/T/Catch/0/Next",
    );
}

#[test]
fn next_and_end() {
    has(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}),
        "missing-next",
        "/States/A",
    );
    has(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A", "End": true}}}),
        "next-and-end",
        "/States/A",
    );
}

#[test]
fn fields_per_type_and_language() {
    has(
        pass(json!({"Resource": "x"})),
        "unknown-field",
        "/States/A/Resource",
    );
    has(
        pass(json!({"Output": {}})),
        "wrong-language-field",
        "/States/A/Output",
    );
    has(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {}, "End": true}}}),
        "wrong-language-field",
        "/States/T/Arguments",
    );
    has(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {}, "End": true}}}),
        "wrong-language-field",
        "/States/A/Parameters",
    );
    has(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pause"}}}),
        "unknown-type",
        "/States/A/Type",
    );
}

#[test]
fn expressions_are_parsed() {
    has(
        pass(json!({"InputPath": "a.b"})),
        "bad-path",
        "/States/A/InputPath",
    );
    has(
        pass(json!({"ResultPath": "$.a[*]"})),
        "bad-path",
        "/States/A/ResultPath",
    );
    has(
        pass(json!({"Parameters": {"x.$": "States.Nope(1)"}})),
        "bad-template",
        "/States/A/Parameters/x.$",
    );
    has(
        pass(json!({"Parameters": {"x.$": "States.Format('a'"}})),
        "bad-template",
        "/States/A/Parameters/x.$",
    );
    has(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": {"x": "{% $states.input. %}"}, "End": true}}}),
        "bad-jsonata",
        "/States/A/Output",
    );
}

#[test]
fn retry_and_catch_shapes() {
    let task = |retry: Value| json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true, "Retry": retry}}});
    has(
        task(json!([{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}])),
        "states-all-not-last",
        "/States/T/Retry/0",
    );
    has(
        task(json!([{"ErrorEquals": ["States.ALL", "X"]}])),
        "states-all-not-alone",
        "/States/T/Retry/0/ErrorEquals",
    );
    has(
        task(json!([{"ErrorEquals": []}])),
        "bad-value",
        "/States/T/Retry/0/ErrorEquals",
    );
    has(
        task(json!([{"ErrorEquals": ["X"], "BackoffRate": 0.5}])),
        "bad-value",
        "/States/T/Retry/0/BackoffRate",
    );
    has(
        task(json!([{"ErrorEquals": ["X"], "JitterStrategy": "SOME"}])),
        "bad-value",
        "/States/T/Retry/0/JitterStrategy",
    );
}

#[test]
fn names_are_unique_across_the_machine_and_unreachable_states_warn() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}]},
        "Lost": {"Type": "Succeed"}
    }});
    has(
        def.clone(),
        "duplicate-state",
        "/States/P/Branches/1/States/X",
    );
    let d = check(def);
    let w = d
        .diagnostics
        .iter()
        .find(|d| d.code == "unreachable")
        .unwrap();
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(w.pointer, "/States/Lost");
}

#[test]
fn sub_machines_are_validated() {
    has(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "In", "States": {"In": {"Type": "Pass"}}}}}}),
        "missing-next",
        "/States/M/ItemProcessor/States/In",
    );
}

#[test]
fn callbacks_need_the_optimized_integration() {
    has(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f.waitForTaskToken", "End": true}}}),
        "callback-on-function-arn",
        "/States/T/Resource",
    );
}

#[test]
fn jsonata_states_variables_follow_aws_rules() {
    let ja =
        |state: Value| json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": state}});
    has(
        ja(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"p": "{% $states.result %}"}, "End": true}),
        ),
        "states-result-unavailable",
        "/States/T/Arguments/p",
    );
    has(
        ja(json!({"Type": "Pass", "Output": "{% $states.errorOutput %}", "End": true})),
        "states-error-output-unavailable",
        "/States/T/Output",
    );
    has(
        ja(json!({"Type": "Pass", "Assign": {"states": 1}, "End": true})),
        "bad-variable",
        "/States/T/Assign/states",
    );
    has(
        ja(json!({"Type": "Pass", "Assign": {"1x": 1}, "End": true})),
        "bad-variable",
        "/States/T/Assign/1x",
    );
    // In a Catch, the error output is there.
    assert_eq!(
        errors(ja(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "T", "Output": "{% $states.errorOutput %}"}]})
        )),
        vec![]
    );
}

#[test]
fn spans_point_at_the_offending_line() {
    let text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: Missing\n";
    let doc = parse_text(Path::new("m.asl.yaml"), text.into(), Format::Yaml).unwrap();
    let def = Definition::from_document(doc);
    let d = def.errors().next().unwrap();
    assert_eq!(d.pointer, "/States/A/Next");
    let lc = d.line_col(&def.doc);
    assert_eq!((lc.line, lc.col), (5, 11));
}

#[test]
fn definitions_over_aws_size_quota_are_errors() {
    let big = "x".repeat(1_100_000);
    has(pass(json!({"Result": big})), "definition-too-large", "");
}

/// A JSON text under a fifth of the quota is not measured (it cannot reach it); a longer
/// one is, floats written short included.
#[test]
fn short_json_text_that_grows_past_the_quota_is_measured() {
    let floats = vec!["1e15"; 60_000].join(",");
    let text = format!(
        r#"{{"StartAt": "A", "States": {{"A": {{"Type": "Pass", "Result": [{floats}], "End": true}}}}}}"#
    );
    assert!(text.len() < 1024 * 1024 / 3);
    let doc = parse_text(Path::new("f.asl.json"), text, Format::Json).unwrap();
    let def = Definition::from_document(doc);
    assert!(
        def.errors().any(|d| d.code == "definition-too-large"),
        "{:?}",
        def.diagnostics
    );
}
