//! The bodies of the fuzz targets, kept in a library so each `fuzz_targets/<name>.rs` is a
//! one-liner and the same code can be driven by libFuzzer or by a plain loop.
//!
//! Every function takes the fuzzer's bytes and calls stepdbg's public API with them. An
//! `Err` from stepdbg is an answer, never a finding: only panics, aborts, hangs and
//! running out of memory are.

use std::path::Path;
use std::sync::{Arc, Once, OnceLock};
use std::time::Duration;

use stepdbg::json;
use stepdbg::json::Value;
use stepdbg::asl::source::{Format, parse_text};
use stepdbg::asl::{self, Definition};
use stepdbg::engine::{Config, Execution, Failure, Step, TaskOutcome};
use stepdbg::expr::ExprError;
use stepdbg::expr::intrinsics::{self, IntrinsicEnv};
use stepdbg::expr::jsonata::{self, JsonataEnv, JsonataExpr, JsonataTemplate, States};
use stepdbg::expr::jsonpath::{JsonPath, PathRoot};
use stepdbg::expr::template::{PayloadTemplate, Scope};

/// The most engine steps one `run` input may take.
pub const MAX_STEPS: usize = 2_000;

/// A small expression budget, installed once per process, so a runaway JSONata expression
/// fails fast instead of stalling the fuzzer (libFuzzer's own `-timeout` is 10 s).
pub fn install_budget() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        stepdbg::expr::Budget {
            timeout: Duration::from_secs(1),
            max_sequence: 100_000,
            max_string_chars: 1 << 20,
            max_memory: 64 << 20,
        }
        .install();
    });
}

/// Split at the first NUL byte: `(before, Some(after))`, or `(all, None)`.
fn split_nul(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    }
}

/// The document the expression targets evaluate over.
pub fn fixed_document() -> Value {
    json!({
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
                {"category": "fiction", "author": "Evelyn Waugh", "price": 12.99, "isbn": "0-553-21311-3"},
                {"category": "fiction", "title": "Moby Dick", "price": 8, "tags": ["a", "b"]}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "a": 1,
        "s": "hello, world",
        "arr": [1, 2, 3, null, "x", true, {"k": []}, [4, 5]],
        "n": null,
        "f": 1.5,
        "big": 1e300,
        "neg": -7,
        "u": 18446744073709551615u64,
        "i": -9223372036854775808i64,
        "key with space": {"x.y": 2, "['q']": 3},
        "nested": {"a": {"b": {"c": [0, [1, [2]]]}}},
        "emptyObj": {},
        "emptyArr": [],
        "unicode": "é€😀"
    })
}

fn fixed_context() -> Value {
    json!({
        "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:m:e", "Input": {"a": 1}, "Name": "e"},
        "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:00Z"},
        "StateMachine": {"Id": "arn", "Name": "m"},
        "Task": {"Token": "00112233445566778899aabbccddeeff"},
        "Map": {"Item": {"Index": 0, "Value": {"v": 1}}}
    })
}

fn fixed_variables(name: &str) -> Option<Value> {
    match name {
        "x" => Some(json!(1)),
        "v" => Some(json!({"a": [1, 2, {"b": "c"}]})),
        "list" => Some(json!([3, 1, 2])),
        "s" => Some(json!("text")),
        _ => None,
    }
}

/// Everything the expression evaluators ask of their environment, fixed and deterministic.
struct Env {
    input: Value,
    context: Value,
    vars: stepdbg::json::Map,
    rng: u64,
}

impl Env {
    fn new(input: Value) -> Env {
        let mut vars = stepdbg::json::Map::new();
        for n in ["x", "v", "list", "s"] {
            vars.insert(n, fixed_variables(n).unwrap_or_default());
        }
        Env {
            input,
            context: fixed_context(),
            vars,
            rng: 0x9e37_79b9_7f4a_7c15,
        }
    }

    fn splitmix(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Scope for Env {
    fn context(&self) -> &Value {
        &self.context
    }
    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }
    fn next_u64(&mut self) -> u64 {
        self.splitmix()
    }
}

impl IntrinsicEnv for Env {
    fn resolve(&self, path: &JsonPath) -> Result<Value, ExprError> {
        let root = match path.root() {
            PathRoot::Input => &self.input,
            PathRoot::Context => &self.context,
            PathRoot::Variable(n) => self
                .vars
                .get(n)
                .ok_or_else(|| ExprError::runtime(format!("no variable {n}")))?,
        };
        path.select(root)
            .map_err(|e| ExprError::runtime(e.to_string()))
    }
    fn next_u64(&mut self) -> u64 {
        self.splitmix()
    }
}

impl JsonataEnv for Env {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }
    fn context(&self) -> Option<&Value> {
        Some(&self.context)
    }
    fn next_u64(&mut self) -> u64 {
        self.splitmix()
    }
    fn now_millis(&self) -> i64 {
        1_704_067_200_000
    }
}

/// The expression text and the document to evaluate it over: `TEXT` alone (the fixed
/// document), or `TEXT\0JSON` (the JSON, when it parses).
fn text_and_doc(data: &[u8]) -> (String, Value) {
    let (text, rest) = split_nul(data);
    let text = String::from_utf8_lossy(text).into_owned();
    let doc = rest
        .and_then(|r| serde_json::from_slice(r).ok())
        .unwrap_or_else(fixed_document);
    (text, doc)
}

// ---------------------------------------------------------------------------------------
// loader
// ---------------------------------------------------------------------------------------

/// Render every diagnostic of a definition every way the front ends do.
pub fn exercise_definition(def: &Definition) {
    let _ = def.has_errors();
    let _ = def.errors().count();
    for d in &def.diagnostics {
        let _ = d.render(&def.doc, false);
        let _ = d.render(&def.doc, true);
        let _ = d.render_plain(&def.doc);
        let _ = d.one_line(&def.doc);
        let _ = d.to_json(&def.doc);
        let _ = d.line_col(&def.doc);
    }
}

/// Definition text as JSON and as YAML, and the raw bytes through `from_bytes`; and both
/// JSON readers against serde_json.
pub fn loader(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        same_as_serde_json(text);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for format in [Format::Json, Format::Yaml] {
            if let Ok(doc) = parse_text(Path::new("f.json"), text.to_string(), format) {
                let def = Definition::from_document(doc);
                exercise_definition(&def);
            }
        }
    }
    // No extension: from_bytes picks the format by the text (and reports bad UTF-8).
    match asl::from_bytes(Path::new("f"), data.to_vec()) {
        Ok(def) => exercise_definition(&def),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// The execution input reader reads what serde_json reads (the same value and member
/// order, or the same error), and the definition loader too when serde_json reads the text
/// (the loader rejects a name given twice, where serde_json keeps the last value, and
/// reads `-0` as the integer 0, as Java does, where serde_json reads `-0.0`).
fn same_as_serde_json(text: &str) {
    let theirs = serde_json::from_str::<Value>(text);
    let text_of = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    match (stepdbg::json::parse::value_from_str(text), &theirs) {
        (Ok(ours), Ok(theirs)) => assert_eq!(text_of(&ours), text_of(theirs), "{text:?}"),
        (Err(ours), Err(theirs)) => assert_eq!(ours.to_string(), theirs.to_string()),
        (ours, theirs) => panic!("{text:?}: {ours:?} but serde_json {theirs:?}"),
    }
    fn negative_zero(v: &Value) -> bool {
        match v {
            Value::Number(n) => {
                n.as_f64() == Some(0.0) && n.as_f64().is_some_and(f64::is_sign_negative)
            }
            Value::Array(items) => items.iter().any(negative_zero),
            Value::Object(map) => map.values().any(negative_zero),
            _ => false,
        }
    }
    if let (Ok(doc), Ok(theirs)) = (
        parse_text(Path::new("f.json"), text.to_string(), Format::Json),
        &theirs,
    ) && !negative_zero(theirs)
    {
        assert_eq!(text_of(doc.value()), text_of(theirs), "{text:?}");
    }
}

// ---------------------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------------------

/// Small valid definitions the `run` target feeds fuzzed inputs to.
pub fn fixed_definitions() -> &'static [Definition] {
    static DEFS: OnceLock<Vec<Definition>> = OnceLock::new();
    DEFS.get_or_init(|| {
        [
            include_str!("../../samples/retry-catch.asl.json"),
            include_str!("../../samples/map.asl.json"),
            include_str!("../../samples/parallel.asl.json"),
            include_str!("../../samples/jsonata-variables.asl.json"),
            include_str!("../../samples/callback.asl.json"),
            include_str!("../../samples/lambda-invoke.asl.json"),
            include_str!("defs/choice-wait.asl.json"),
            include_str!("defs/jsonata-map.asl.json"),
        ]
        .iter()
        .map(|t| {
            let doc = parse_text(Path::new("fixed.asl.json"), t.to_string(), Format::Json)
                .expect("a fixed definition parses");
            let def = Definition::from_document(doc);
            let errors: Vec<String> = def.errors().map(|d| d.one_line(&def.doc)).collect();
            assert!(
                errors.is_empty(),
                "a fixed definition has errors: {errors:?}"
            );
            def
        })
        .collect()
    })
}

/// Run `def` on `input` for at most [`MAX_STEPS`] steps, answering tasks from `rng`, as
/// the debugger runs it (records and history kept), then as `stepdbg serve` (the history
/// only) and `stepdbg run` (nothing kept) do: the engine moves data instead of copying it
/// only where nothing reads it again, so all must end the same, with the same history.
pub fn drive(def: &Definition, input: Value, rng: u64) {
    let exec = execute(def, input.clone(), rng, MAX_STEPS);
    let _ = exec.status().to_json();
    let _ = exec.status().name();
    let _ = exec.retries();
    let _ = stepdbg::engine::history::to_json(exec.history());
    for s in exec.steps() {
        let _ = s.to_json();
    }
    // As `stepdbg serve` runs without debugging: the history, no records.
    let history_only = Config {
        record_steps: false,
        ..Config::default()
    };
    let served = execute_with(def, input.clone(), rng, MAX_STEPS, history_only);
    assert_eq!(
        stepdbg::engine::history::to_json(exec.history()),
        stepdbg::engine::history::to_json(served.history()),
        "the debugger's run and a run that keeps only the history have different histories"
    );
    let bare = Config {
        record_steps: false,
        keep_history: false,
        ..Config::default()
    };
    let run = execute_with(def, input, rng, MAX_STEPS, bare);
    assert_eq!(
        exec.status(),
        run.status(),
        "the debugger's run and a run that keeps nothing ended differently"
    );
}

/// Start `def` on `input` and take at most `steps` steps, answering tasks from `rng`.
pub fn execute(def: &Definition, input: Value, rng: u64, steps: usize) -> Execution {
    execute_with(def, input, rng, steps, Config::default())
}

fn execute_with(
    def: &Definition,
    input: Value,
    mut rng: u64,
    steps: usize,
    config: Config,
) -> Execution {
    install_budget();
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut exec = Execution::new(Arc::new(def.machine.clone()), input, config);
    for _ in 0..steps {
        match exec.step() {
            Step::Progressed { .. } => {}
            Step::Task(req) => {
                let r = next();
                if r % 7 == 0 {
                    // Leave it pending (a callback, a slow function); answered when blocked.
                    exec.task_started(req.id);
                    let _ = exec.heartbeat(req.id);
                    continue;
                }
                let outcome = outcome_for(&req.input, r);
                exec.resolve_task(req.id, outcome);
            }
            Step::Sleeping { until } => exec.advance_to(until),
            Step::Blocked => {
                let ids: Vec<_> = exec
                    .pending_tasks()
                    .map(|t| (t.id, t.input.clone()))
                    .collect();
                if ids.is_empty() {
                    break;
                }
                for (id, input) in ids {
                    let outcome = outcome_for(&input, next());
                    exec.resolve_task(id, outcome);
                }
            }
            Step::Finished => break,
        }
        if next() % 64 == 0 {
            let _ = exec.thread_positions();
            for t in exec.timers() {
                let _ = t.describe();
            }
            for t in 0..exec.thread_count() {
                let _ = exec.variables(t);
                let _ = exec.context_object(t);
                let _ = exec.next_state_of(t);
                let _ = exec.open_record(t);
            }
        }
    }
    exec
}

/// `HEAD EXPR` or `HEAD EXPR\0JSON`: run fixed definition `HEAD % 8` on the JSON (or a
/// fixed input) for `HEAD >> 3` steps, then `Execution::evaluate` the expression (JSONPath,
/// intrinsic or JSONata) on every thread, as the debugger's `:eval` does.
pub fn evaluate(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let (text, input) = split_nul(rest);
    let text = String::from_utf8_lossy(text);
    let input = input
        .and_then(|i| serde_json::from_slice(i).ok())
        .unwrap_or_else(fixed_input);
    let defs = fixed_definitions();
    let def = &defs[usize::from(head) % defs.len()];
    let exec = execute(
        def,
        input,
        u64::from(head) | 0x5151_0000_0000,
        usize::from(head >> 3),
    );
    for t in 0..=exec.thread_count() {
        let _ = exec.evaluate(t, &text);
    }
}

fn outcome_for(input: &Value, r: u64) -> TaskOutcome {
    match (r >> 8) % 8 {
        0 => TaskOutcome::Success(input.clone()),
        1 => TaskOutcome::Success(json!({"Payload": input, "StatusCode": 200})),
        2 => TaskOutcome::Success(json!({"ok": true, "items": [1, 2, 3], "n": r % 5})),
        3 => TaskOutcome::Success(Value::Null),
        4 => TaskOutcome::Failure(Failure::new("States.TaskFailed", "fuzz")),
        5 => TaskOutcome::Failure(Failure::new("Lambda.ServiceException", "fuzz")),
        6 => TaskOutcome::Failure(Failure {
            error: None,
            cause: None,
        }),
        _ => TaskOutcome::Failure(Failure::new("Custom.Error", "{\"a\":1}")),
    }
}

/// The input every definition from the fuzzer runs on.
fn fixed_input() -> Value {
    json!({"a": 1, "items": [1, 2, {"k": "v"}], "s": "x", "o": {"k": "v"}, "ts": "2024-01-01T00:00:05Z"})
}

/// A definition around one fuzzed state `S`, with targets it may name: `Done` (Succeed),
/// `Alt` (Pass) and `Oops` (Fail). A state without `Next`/`End` gets `"Next": "Done"`.
pub fn one_state_definition(state: Value, jsonata: bool) -> Option<Definition> {
    let Value::Object(mut state) = state else {
        return None;
    };
    let ty = state.get("Type").and_then(Value::as_str).unwrap_or("");
    if !matches!(ty, "Choice" | "Fail" | "Succeed")
        && !state.contains_key("Next")
        && !state.contains_key("End")
    {
        state.insert("Next", json!("Done"));
    }
    Some(asl::from_value(json!({
        "QueryLanguage": if jsonata { "JSONata" } else { "JSONPath" },
        "StartAt": "S",
        "States": {
            "S": state,
            "Alt": {"Type": "Pass", "Next": "Done"},
            "Oops": {"Type": "Fail", "Error": "Oops", "Cause": "fuzz"},
            "Done": {"Type": "Succeed"}
        }
    })))
}

/// Whether `def` has errors (and so is not run).
fn rejected(def: &Definition) -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    let errors = def.has_errors();
    if errors && *VERBOSE.get_or_init(|| std::env::var_os("STEPDBG_FUZZ_VERBOSE").is_some()) {
        for d in def.errors() {
            eprintln!("not run: {}", d.one_line(&def.doc));
        }
    }
    errors
}

/// The first byte picks the mode (its low two bits) and seeds the task answers:
/// - `..00`: the rest is a whole definition (JSON or YAML), run on a fixed input;
/// - `..10`: the rest is one state's JSON, run inside [`one_state_definition`] (JSONata
///   when bit 2 is set) on a fixed input;
/// - `...1`: the rest is the execution input (JSON) for fixed definition `head >> 1`
///   (modulo their number) from [`fixed_definitions`].
///
/// Definitions with errors are not run (the CLI refuses them too); with
/// `STEPDBG_FUZZ_VERBOSE=1` their errors are printed (to check seeds).
pub fn run(data: &[u8]) {
    // The allocator as `stepdbg run` has it (small blocks from its own lists).
    stepdbg::shell::small_blocks::enable();
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let seed = u64::from(head) | 0x1234_5678_0000_0100;
    match head & 3 {
        0 => {
            let Ok(def) = asl::from_bytes(Path::new("f"), rest.to_vec()) else {
                return;
            };
            if !rejected(&def) {
                drive(&def, fixed_input(), seed);
            }
        }
        2 => {
            let Ok(state) = serde_json::from_slice::<Value>(rest) else {
                return;
            };
            let Some(def) = one_state_definition(state, head & 4 != 0) else {
                return;
            };
            exercise_definition(&def);
            if !rejected(&def) {
                drive(&def, fixed_input(), seed);
            }
        }
        _ => {
            let defs = fixed_definitions();
            let def = &defs[usize::from(head >> 1) % defs.len()];
            let Ok(input) = serde_json::from_slice::<Value>(rest) else {
                return;
            };
            drive(def, input, seed);
        }
    }
}

// ---------------------------------------------------------------------------------------
// expressions
// ---------------------------------------------------------------------------------------

/// `PATH` or `PATH\0JSON`: parse, select, write, and as a payload template field.
pub fn jsonpath(data: &[u8]) {
    let (text, doc) = text_and_doc(data);
    if let Ok(p) = JsonPath::parse(&text) {
        let _ = p.text();
        let _ = p.is_definite();
        let _ = p.is_reference_path();
        for root in [
            &doc,
            &Value::Null,
            &json!([]),
            &json!("s"),
            &fixed_context(),
        ] {
            let _ = p.select(root);
            let _ = p.select_cow(root);
        }
        let _ = p.write(&mut doc.clone(), json!({"written": true}));
        let _ = p.write(&mut Value::Null, json!(1));
        let _ = p.write(&mut json!([0, 1]), json!(1));
    }
    let template = json!({ "field.$": text, "k": [ { "nested.$": text } ] });
    if let Ok(t) = PayloadTemplate::compile(&template) {
        let mut env = Env::new(doc.clone());
        let _ = t.eval(&doc, &mut env);
    }
}

/// `CALL` or `CALL\0JSON`: parse and evaluate an intrinsic function call.
pub fn intrinsics(data: &[u8]) {
    let (text, doc) = text_and_doc(data);
    let _ = intrinsics::is_intrinsic(&text);
    if let Ok(call) = intrinsics::parse(&text) {
        let _ = call.text();
        let mut env = Env::new(doc.clone());
        let _ = intrinsics::eval(&call, &mut env);
    }
    let template = json!({ "field.$": text });
    if let Ok(t) = PayloadTemplate::compile(&template) {
        let mut env = Env::new(doc.clone());
        let _ = t.eval(&doc, &mut env);
    }
}

/// `EXPR` or `EXPR\0JSON`: parse and evaluate a JSONata expression (with `$states.input`
/// the document), alone and inside a template.
pub fn jsonata(data: &[u8]) {
    install_budget();
    let (text, doc) = text_and_doc(data);
    let _ = jsonata::strip_delimiters(&text);
    let result = json!({"r": [1, 2]});
    let error_output = json!({"Error": "E", "Cause": "c"});
    let states = States {
        input: Some(&doc),
        result: Some(&result),
        error_output: Some(&error_output),
    };
    if let Ok(expr) = JsonataExpr::parse(&text) {
        let _ = expr.referenced_variables();
        let mut env = Env::new(doc.clone());
        let _ = jsonata::eval(&expr, states, &mut env);
        let _ = jsonata::eval_field(&expr, "Output", states, &mut env);
        let wrapped = json!({"out": format!("{{%{text}%}}"), "arr": [format!("{{% {text} %}}")]});
        if let Ok(t) = JsonataTemplate::compile(&wrapped) {
            let _ = t.expressions();
            let _ = t.eval("Output", states, &mut env);
        }
    }
}

// ---------------------------------------------------------------------------------------
// files
// ---------------------------------------------------------------------------------------

/// A mock config file: choose its test case and ask it for answers.
pub fn mock_file(data: &[u8]) {
    use stepdbg::integrations::mock::MockConfig;
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(cfg) = MockConfig::from_value(v) else {
        return;
    };
    let machines = cfg.state_machine_names();
    let mut cases = vec![cfg.case(None, None)];
    for m in machines.iter().take(4) {
        let names = cfg.test_case_names(m);
        cases.push(cfg.case(Some(m), None));
        for c in names.iter().take(4) {
            cases.push(cfg.case(Some(m), Some(c)));
        }
    }
    for mut case in cases.into_iter().flatten() {
        for state in ["Task", "Fetch", "Call", "A", ""] {
            let _ = case.has_state(state);
            for _ in 0..4 {
                let _ = case.next(state);
            }
        }
        case.reset();
    }
}

/// stepdbg.toml, a key map file, a theme file and a duration (`--eval-timeout`,
/// `:advance`), all from the same text.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ =
        stepdbg::integrations::settings::Settings::parse(&text, "stepdbg.toml", Path::new("/tmp"));
    let _ = stepdbg::tui::Keymap::default().apply_config(&text);
    let _ = stepdbg::tui::Theme::from_text(&text, None);
    if let Ok(d) = stepdbg::engine::time::parse_duration(&text) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let _ = stepdbg::engine::time::format_duration(ms);
    }
}

/// The definition a saved session is replayed on: a task, a wait, a choice, a map.
pub fn session_definition() -> Definition {
    asl::from_value(json!({
        "StartAt": "Fetch",
        "States": {
            "Fetch": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                "ResultPath": "$.fetched",
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "Next": "Pause"
            },
            "Pause": {"Type": "Wait", "Seconds": 5, "Next": "Decide"},
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.fetched.Payload.ok", "BooleanEquals": true, "Next": "Each"}],
                "Default": "Done"
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Work",
                    "States": {
                        "Work": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                            "Parameters": {"FunctionName": "w", "Payload": {"token.$": "$$.Task.Token"}},
                            "End": true
                        }
                    }
                },
                "ResultPath": null,
                "Next": "Done"
            },
            "Failed": {"Type": "Fail", "Error": "E", "Cause": "c"},
            "Done": {"Type": "Succeed"}
        }
    }))
}

/// A saved session file (`SessionFile`, read with serde as `load_file` does) replayed on
/// [`session_definition`], then stepped a little and saved again.
pub fn session_file(data: &[u8]) {
    use stepdbg::session::record::SessionFile;
    use stepdbg::session::{ManualResolver, Session, SessionOptions};
    install_budget();
    let Ok(record) = serde_json::from_slice::<SessionFile>(data) else {
        return;
    };
    let mut s = Session::from_definition(
        Path::new("<fuzz>"),
        session_definition(),
        SessionOptions::default(),
        Box::new(ManualResolver),
    );
    s.max_steps_per_continue = MAX_STEPS;
    if s.load_record(record).is_err() {
        return;
    }
    let _ = serde_json::to_string(&s.to_record());
    let _ = s.step();
    let _ = s.continue_();
    if let Some(t) = s.next_timer() {
        let _ = t.describe();
    }
    let _ = s.advance(stepdbg::session::Advance::By(1_500));
    let _ = s.advance(stepdbg::session::Advance::NextTimer);
    let _ = s.step_back();
    let _ = serde_json::to_string(&s.to_record());
}

/// `TARGET\nBODY`: the callback endpoint's request parsing.
pub fn endpoint(data: &[u8]) {
    let (target, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let target = String::from_utf8_lossy(target);
    if let Ok((token, _action)) = stepdbg::session::callback::parse(&target, body) {
        let _ = stepdbg::session::callback::is_well_formed_token(&token);
    }
}
