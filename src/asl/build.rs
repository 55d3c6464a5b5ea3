//! Building the typed model from a parsed document. The builder is lenient: it always
//! returns a model (skipping what it cannot read) together with located diagnostics for
//! every field that is missing, mistyped, not allowed in its state type or query
//! language, or whose expression does not parse. Graph checks live in `validate`.

use super::diagnostic::Diagnostic;
use super::model::*;
use super::source::pointer_token;
use crate::expr::intrinsics;
use crate::expr::json_type_name;
use crate::expr::jsonata::{self, JsonataExpr, JsonataTemplate};
use crate::expr::jsonpath::JsonPath;
use crate::expr::template::PayloadTemplate;
use crate::json::{Map, Value};

/// Build the model of the top-level machine in `value`.
/// `json_text`: the JSON text `value` was parsed from, when it is that (it answers some
/// questions about every string faster than a walk over the value).
pub fn build(value: &Value, json_text: Option<&str>) -> (Machine, Vec<Diagnostic>) {
    let mut b = Builder { diags: Vec::new() };
    let Some(obj) = value.as_object() else {
        b.diags.push(
            Diagnostic::error("not-an-object", "", "a state machine definition must be a JSON object")
                .help("start from {\"StartAt\": \"First\", \"States\": {\"First\": {\"Type\": \"Pass\", \"End\": true}}}"),
        );
        return (Machine::default(), b.diags);
    };
    if !has_member(obj, "StartAt") && !has_member(obj, "States") {
        b.diags.push(
            Diagnostic::error(
                "not-a-state-machine",
                "",
                "this is not a state machine definition: it has neither 'StartAt' nor 'States'",
            )
            .help("a definition is an object with \"StartAt\" and \"States\"; inputs and mock files sit beside it"),
        );
        return (Machine::default(), b.diags);
    }
    let mut machine = b.machine(obj, "", QueryLanguage::JsonPath, true, 0);
    machine.reads_execution_input = match json_text {
        // Without `$$`, `$states` or an escape (which could spell either) in the text, no
        // string of the definition holds either.
        Some(t) if !t.contains("$$") && !t.contains("$states") && !t.contains('\\') => false,
        _ => may_read_execution_input(value),
    };
    (machine, b.diags)
}

/// Whether some string in the definition may read the execution's input from the context
/// object: a `$$` (JSONPath's context root, JSONata's root) that is not one of the context's
/// fields that always exist (a path that may not resolve fails with a message that quotes
/// the whole context object, `Execution.Input` included), or a `$states` other than
/// `$states.input`, `$states.result` and `$states.errorOutput`. `$$.Map.Item.Index` and
/// `$$.Map.Item.Value` exist in a Map state's ItemSelector (or Parameters) only.
/// Conservative: a `false` lets the engine drop its copy of the input, so every doubt
/// answers `true`.
pub fn may_read_execution_input(value: &Value) -> bool {
    walk_may_read_execution_input(value, false)
}

/// [`may_read_execution_input`] of `value`, where `map_item` tells whether `$$.Map.Item`
/// exists (inside a Map state's ItemSelector).
fn walk_may_read_execution_input(value: &Value, map_item: bool) -> bool {
    match value {
        Value::String(s) => string_may_read_execution_input(s, map_item),
        Value::Array(items) => items
            .iter()
            .any(|v| walk_may_read_execution_input(v, map_item)),
        Value::Object(map) => {
            let is_map_state = map.get("Type").and_then(Value::as_str) == Some("Map");
            map.iter().any(|(key, v)| {
                let map_item = if is_map_state {
                    key == "ItemSelector" || key == "Parameters"
                } else {
                    map_item
                };
                walk_may_read_execution_input(v, map_item)
            })
        }
        _ => false,
    }
}

/// One string of [`may_read_execution_input`], in one pass over its `$` signs (most
/// strings hold none, or only `$.` paths).
fn string_may_read_execution_input(s: &str, map_item: bool) -> bool {
    // Whole paths: `$$.Execution.Id.x` may not resolve, and its failure quotes the context.
    const CONTEXT_ALWAYS: &[&str] = &[
        ".Execution.Id",
        ".Execution.Name",
        ".Execution.StartTime",
        ".Execution.RoleArn",
        ".Execution.RedriveCount",
        ".State",
        ".State.Name",
        ".State.EnteredTime",
        ".State.RetryCount",
        ".StateMachine",
        ".StateMachine.Id",
        ".StateMachine.Name",
    ];
    const CONTEXT_IN_ITEM_SELECTOR: &[&str] = &[".Map.Item.Index", ".Map.Item.Value"];
    // Prefixes: JSONata returns nothing for what does not exist, quoting nothing.
    const STATES_PARTS: &[&str] = &[".input", ".result", ".errorOutput"];
    // `.Map` does not cover `.MapX`; a whole path does not go on either.
    let name_ends = |tail: &str| !tail.starts_with(|c: char| c.is_alphanumeric() || c == '_');
    let path_ends = |tail: &str| name_ends(tail) && !tail.starts_with(['.', '[']);
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        rest = &rest[at..];
        let mut next = 1;
        if let Some(after) = rest.strip_prefix("$$") {
            let known = CONTEXT_ALWAYS
                .iter()
                .chain(if map_item {
                    CONTEXT_IN_ITEM_SELECTOR
                } else {
                    &[]
                })
                .any(|field| after.strip_prefix(field).is_some_and(path_ends));
            if !known {
                return true;
            }
            next = 2;
        } else if let Some(after) = rest.strip_prefix("$states") {
            let known = STATES_PARTS
                .iter()
                .any(|field| after.strip_prefix(field).is_some_and(name_ends));
            if !known {
                return true;
            }
            next = "$states".len();
        }
        rest = &rest[next..];
    }
    false
}

const MAX_NESTING: usize = 64;

struct Builder {
    diags: Vec<Diagnostic>,
}

fn ptr(base: &str, key: &str) -> String {
    let token = pointer_token(key);
    let mut p = String::with_capacity(base.len() + 1 + token.len());
    p.push_str(base);
    p.push('/');
    p.push_str(&token);
    p
}

/// Field names: (both languages, JSONPath only, JSONata only).
type AllowedFields = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// The fields each state type accepts.
fn allowed_fields(ty: &str) -> Option<AllowedFields> {
    const IO_JP: &[&str] = &["InputPath", "OutputPath"];
    Some(match ty {
        "Pass" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Result",
                "Assign",
            ],
            &["InputPath", "OutputPath", "Parameters", "ResultPath"],
            &["Output"],
        ),
        "Task" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Resource",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Retry",
                "Catch",
                "Credentials",
                "Assign",
            ],
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "TimeoutSecondsPath",
                "HeartbeatSecondsPath",
            ],
            &["Arguments", "Output"],
        ),
        "Choice" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Choices",
                "Default",
                "Assign",
            ],
            IO_JP,
            &["Output"],
        ),
        "Wait" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Seconds",
                "Timestamp",
                "Assign",
            ],
            &["InputPath", "OutputPath", "SecondsPath", "TimestampPath"],
            &["Output"],
        ),
        "Succeed" => (&["Type", "Comment", "QueryLanguage"], IO_JP, &["Output"]),
        "Fail" => (
            &["Type", "Comment", "QueryLanguage", "Error", "Cause"],
            &["ErrorPath", "CausePath"],
            &[],
        ),
        "Parallel" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Branches",
                "Retry",
                "Catch",
                "Assign",
            ],
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
            ],
            &["Arguments", "Output"],
        ),
        "Map" => (
            &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "ItemProcessor",
                "Iterator",
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
                "MaxConcurrency",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "Label",
                "ItemSelector",
                "Retry",
                "Catch",
                "Assign",
            ],
            &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "ItemsPath",
                "MaxConcurrencyPath",
                "ToleratedFailureCountPath",
                "ToleratedFailurePercentagePath",
            ],
            &["Items", "Output"],
        ),
        _ => return None,
    })
}

/// What to suggest when a field belongs to the other query language.
fn other_language_hint(field: &str, lang: QueryLanguage) -> String {
    match lang {
        QueryLanguage::Jsonata => match field {
            "Parameters" => "in JSONata states use 'Arguments' instead".into(),
            "InputPath" | "OutputPath" | "ResultPath" | "ResultSelector" => {
                "in JSONata states shape data with 'Output' (and 'Assign') using $states.input / $states.result".into()
            }
            "ItemsPath" => "in JSONata states use 'Items'".into(),
            f if f.ends_with("Path") => format!("in JSONata states give '{}' a {{% %}} expression", f.trim_end_matches("Path")),
            _ => "this field is only for JSONPath states".into(),
        },
        QueryLanguage::JsonPath => match field {
            "Arguments" => "in JSONPath states use 'Parameters', or set \"QueryLanguage\": \"JSONata\"".into(),
            "Output" => "in JSONPath states use 'OutputPath'/'ResultSelector', or set \"QueryLanguage\": \"JSONata\"".into(),
            "Items" => "in JSONPath states use 'ItemsPath', or set \"QueryLanguage\": \"JSONata\"".into(),
            _ => "this field is only for JSONata states".into(),
        },
    }
}

impl Builder {
    fn err(
        &mut self,
        code: &'static str,
        pointer: impl Into<String>,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(code, pointer, msg));
        self.diags.last_mut().unwrap()
    }

    fn machine(
        &mut self,
        obj: &Map,
        p: &str,
        inherited: QueryLanguage,
        top: bool,
        depth: usize,
    ) -> Machine {
        let mut m = Machine {
            pointer: p.to_string(),
            query_language: inherited,
            ..Machine::default()
        };
        if depth > MAX_NESTING {
            self.err(
                "too-deep",
                p,
                format!("Map/Parallel nesting deeper than {MAX_NESTING} levels"),
            );
            return m;
        }
        let allowed: &[&str] = if top {
            &[
                "Comment",
                "StartAt",
                "States",
                "TimeoutSeconds",
                "Version",
                "QueryLanguage",
            ]
        } else {
            &[
                "Comment",
                "StartAt",
                "States",
                "ProcessorConfig",
                "QueryLanguage",
            ]
        };
        for (k, _) in obj {
            if !allowed.contains(&k.as_str()) {
                self.err(
                    "unknown-field",
                    ptr(p, k),
                    format!("'{k}' is not a field of a state machine"),
                )
                .at_key = true;
            }
        }
        if let Some(q) = obj.get("QueryLanguage") {
            m.query_language = self
                .query_language(q, &ptr(p, "QueryLanguage"))
                .unwrap_or(inherited);
        }
        m.comment = self.opt_string(obj, p, "Comment");
        m.version = self.opt_string(obj, p, "Version");
        if top && let Some(t) = obj.get("TimeoutSeconds") {
            match t.as_u64() {
                Some(n) if n > 0 => m.timeout_seconds = Some(n),
                _ => {
                    self.err(
                        "bad-type",
                        ptr(p, "TimeoutSeconds"),
                        "TimeoutSeconds must be a positive integer",
                    );
                }
            }
        }
        match obj.get("StartAt") {
            Some(Value::String(s)) => m.start_at = s.to_string(),
            Some(v) => {
                self.err(
                    "bad-type",
                    ptr(p, "StartAt"),
                    format!("StartAt must be a string, found {}", json_type_name(v)),
                );
            }
            None => {
                self.err(
                    "missing-field",
                    p,
                    "the required field 'StartAt' is missing",
                )
                .help = Some("name the first state to run: \"StartAt\": \"MyFirstState\"".into());
            }
        }
        let states_ptr = ptr(p, "States");
        match obj.get("States") {
            Some(Value::Object(states)) => {
                // Sized once: a State is large, and a long machine would otherwise be
                // copied at every doubling.
                m.states.reserve_exact(states.len());
                m.index.reserve(states.len());
                if states.is_empty() {
                    self.err(
                        "empty-states",
                        &states_ptr,
                        "'States' must hold at least one state",
                    );
                }
                for (name, sv) in states {
                    let sp = ptr(&states_ptr, name);
                    let Some(so) = sv.as_object() else {
                        let d = self.err(
                            "bad-type",
                            &sp,
                            format!(
                                "state '{name}' must be an object, found {}",
                                json_type_name(sv)
                            ),
                        );
                        // A top-level field written one level too deep.
                        if matches!(
                            name.as_str(),
                            "QueryLanguage" | "Comment" | "TimeoutSeconds" | "Version" | "StartAt"
                        ) {
                            d.help = Some(format!(
                                "'{name}' belongs beside StartAt, at the top of the definition, not inside States"
                            ));
                        }
                        continue;
                    };
                    if let Some(s) = self.state(name, so, &sp, m.query_language, depth) {
                        m.index.insert(name.clone(), m.states.len());
                        m.states.push(s);
                    }
                }
            }
            Some(v) => {
                self.err(
                    "bad-type",
                    &states_ptr,
                    format!("'States' must be an object, found {}", json_type_name(v)),
                );
            }
            None => {
                self.err("missing-field", p, "the required field 'States' is missing");
            }
        }
        resolve_targets(&mut m);
        m
    }

    fn query_language(&mut self, v: &Value, p: &str) -> Option<QueryLanguage> {
        match v.as_str() {
            Some("JSONPath") => Some(QueryLanguage::JsonPath),
            Some("JSONata") => Some(QueryLanguage::Jsonata),
            _ => {
                self.err(
                    "bad-value",
                    p,
                    "QueryLanguage must be \"JSONPath\" or \"JSONata\"",
                );
                None
            }
        }
    }

    fn opt_string(&mut self, obj: &Map, p: &str, key: &str) -> Option<String> {
        match obj.get(key)? {
            Value::String(s) => Some(s.to_string()),
            v => {
                self.err(
                    "bad-type",
                    ptr(p, key),
                    format!("'{key}' must be a string, found {}", json_type_name(v)),
                );
                None
            }
        }
    }

    /// Fields that are not fields of this state type, or belong to the other query
    /// language.
    fn check_fields(
        &mut self,
        o: &Map,
        p: &str,
        ty: &str,
        lang: QueryLanguage,
        (both, jp_only, ja_only): AllowedFields,
    ) {
        for k in o.keys() {
            let k = k.as_str();
            if both.contains(&k) {
                continue;
            }
            let (mine, other) = match lang {
                QueryLanguage::JsonPath => (jp_only, ja_only),
                QueryLanguage::Jsonata => (ja_only, jp_only),
            };
            if mine.contains(&k) {
                continue;
            }
            let d = if other.contains(&k) {
                Diagnostic::error(
                    "wrong-language-field",
                    ptr(p, k),
                    format!("'{k}' is not allowed in a {} {ty} state", lang.as_str()),
                )
                .help(other_language_hint(k, lang))
            } else {
                Diagnostic::error(
                    "unknown-field",
                    ptr(p, k),
                    format!("'{k}' is not a field of a {ty} state"),
                )
            };
            self.diags.push(d.at_key());
        }
    }

    /// Next and End.
    fn transitions(&mut self, o: &Map, p: &str, name: &str, ty: &str, st: &mut State) {
        let terminal_type = matches!(ty, "Choice" | "Succeed" | "Fail");
        if let Some(n) = o.get("Next") {
            match n.as_str() {
                Some(s) => {
                    st.next = Some(Target {
                        name: s.to_string(),
                        index: usize::MAX,
                    });
                }
                None => {
                    self.err(
                        "bad-type",
                        ptr(p, "Next"),
                        "'Next' must be a state name (a string)",
                    );
                }
            }
        }
        if let Some(e) = o.get("End") {
            match e.as_bool() {
                Some(b) => st.end = b,
                None => {
                    self.err("bad-type", ptr(p, "End"), "'End' must be true or false");
                }
            }
        }
        if !terminal_type {
            match (has_member(o, "Next"), st.end) {
                (true, true) => {
                    self.err(
                        "next-and-end",
                        p,
                        format!("state '{name}' has both 'Next' and \"End\": true"),
                    )
                    .help = Some(
                        "keep one: a state either goes on to 'Next' or ends the machine".into(),
                    );
                }
                (false, false) => {
                    self.err(
                        "missing-next",
                        p,
                        format!("state '{name}' has neither 'Next' nor \"End\": true"),
                    )
                    .help = Some("add \"Next\": \"<state>\" or \"End\": true".into());
                }
                _ => {}
            }
        }
    }

    fn state(
        &mut self,
        name: &str,
        o: &Map,
        p: &str,
        inherited: QueryLanguage,
        depth: usize,
    ) -> Option<State> {
        let ty = match o.get("Type") {
            Some(Value::String(t)) => t.as_str(),
            Some(v) => {
                self.err(
                    "bad-type",
                    ptr(p, "Type"),
                    format!("'Type' must be a string, found {}", json_type_name(v)),
                );
                return None;
            }
            None => {
                self.err("missing-field", p, format!("state '{name}' has no 'Type'"))
                    .help =
                    Some("one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map".into());
                return None;
            }
        };
        let Some((both, jp_only, ja_only)) = allowed_fields(ty) else {
            self.err(
                "unknown-type",
                ptr(p, "Type"),
                format!("unknown state type '{ty}'"),
            )
            .help = Some("one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map".into());
            return None;
        };
        if name.chars().count() > 80 {
            self.err(
                "name-too-long",
                p,
                format!("state name '{name}' is longer than 80 characters"),
            )
            .at_key = true;
        }
        let lang = match o.get("QueryLanguage") {
            Some(q) => self
                .query_language(q, &ptr(p, "QueryLanguage"))
                .unwrap_or(inherited),
            None => inherited,
        };
        self.check_fields(o, p, ty, lang, (both, jp_only, ja_only));

        let mut st = State {
            name: name.into(),
            pointer: p.into(),
            comment: self.opt_string(o, p, "Comment"),
            query_language: lang,
            next: None,
            end: false,
            io: DataFlow::default(),
            retry: Vec::new(),
            catch: Vec::new(),
            kind: StateKind::Succeed,
        };

        self.transitions(o, p, name, ty, &mut st);

        // Data flow.
        st.io.input_path = self.opt_path(o, p, "InputPath", false);
        st.io.output_path = self.opt_path(o, p, "OutputPath", false);
        st.io.result_path = self.opt_path(o, p, "ResultPath", true);
        if lang == QueryLanguage::JsonPath {
            st.io.parameters = self.opt_template(o, p, "Parameters").map(Box::new);
            st.io.result_selector = self.opt_template(o, p, "ResultSelector").map(Box::new);
        }
        if lang == QueryLanguage::Jsonata {
            st.io.arguments = self.opt_jsonata_template(o, p, "Arguments").map(Box::new);
            st.io.output = self.opt_jsonata_template(o, p, "Output").map(Box::new);
        }
        st.io.assign = self.opt_assign(o, p, lang).map(Box::new);

        if let Some(r) = o.get("Retry") {
            st.retry = self.retriers(r, &ptr(p, "Retry"));
        }
        if let Some(c) = o.get("Catch") {
            st.catch = self.catchers(c, &ptr(p, "Catch"), lang);
        }

        st.kind = match ty {
            "Pass" => StateKind::Pass(Pass {
                result: o.get("Result").cloned(),
            }),
            "Task" => StateKind::Task(Box::new(self.task(o, p, lang))),
            "Choice" => StateKind::Choice(self.choice(o, p, lang)),
            "Wait" => StateKind::Wait(self.wait(o, p, lang)),
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(self.fail(o, p, lang)),
            "Parallel" => StateKind::Parallel(self.parallel(o, p, lang, depth)),
            "Map" => StateKind::Map(Box::new(self.map(o, p, lang, depth))),
            _ => unreachable!("allowed_fields knows every type"),
        };
        Some(st)
    }

    /// InputPath/OutputPath/ResultPath: `None` when absent, `Some(None)` for null.
    fn opt_path(
        &mut self,
        o: &Map,
        p: &str,
        key: &str,
        reference: bool,
    ) -> Option<Option<JsonPath>> {
        match o.get(key)? {
            Value::Null => Some(None),
            Value::String(s) => match JsonPath::parse(s) {
                Ok(path) => {
                    if reference && !path.is_reference_path() {
                        self.err("bad-path", ptr(p, key), format!("{key} must be a reference path (only names and indexes), but '{s}' is not"))
                            .help = Some("use a path like $.result or $.results[0]; no wildcards, filters or slices".into());
                    }
                    Some(Some(path))
                }
                Err(m) => {
                    self.err(
                        "bad-path",
                        ptr(p, key),
                        format!("invalid JSONPath in {key}: {m}"),
                    );
                    None
                }
            },
            v => {
                self.err(
                    "bad-type",
                    ptr(p, key),
                    format!(
                        "{key} must be a JSONPath string or null, found {}",
                        json_type_name(v)
                    ),
                );
                None
            }
        }
    }

    fn path_field(&mut self, v: &Value, p: &str, key: &str) -> Option<JsonPath> {
        match v.as_str() {
            Some(s) => match JsonPath::parse(s) {
                Ok(path) => Some(path),
                Err(m) => {
                    self.err("bad-path", p, format!("invalid JSONPath in {key}: {m}"));
                    None
                }
            },
            None => {
                self.err(
                    "bad-type",
                    p,
                    format!(
                        "{key} must be a JSONPath string, found {}",
                        json_type_name(v)
                    ),
                );
                None
            }
        }
    }

    /// `v`, the field `key` of the object at `p`, compiled.
    fn template(&mut self, v: &Value, p: &str, key: &str) -> Option<PayloadTemplate> {
        match PayloadTemplate::compile(v) {
            Ok(t) => Some(t),
            Err(errors) => {
                let at = ptr(p, key);
                for e in errors {
                    self.err(
                        "bad-template",
                        format!("{at}{}", e.pointer),
                        format!("{key}: {}", e.message),
                    )
                    .at_key = true;
                }
                None
            }
        }
    }

    fn opt_template(&mut self, o: &Map, p: &str, key: &str) -> Option<PayloadTemplate> {
        let v = o.get(key)?;
        self.template(v, p, key)
    }

    /// AWS's rules on where `$states.result` and `$states.errorOutput` exist: the result
    /// only once the state has one (Output, Assign), the error output only in a Catch.
    fn check_states_refs(&mut self, text: &str, p: &str, key: &str) {
        let in_catch = p.contains("/Catch/");
        let before_result = matches!(
            key,
            "Arguments"
                | "Items"
                | "ItemSelector"
                | "BatchInput"
                | "Condition"
                | "TimeoutSeconds"
                | "HeartbeatSeconds"
                | "Seconds"
                | "Timestamp"
                | "MaxConcurrency"
                | "ToleratedFailureCount"
                | "ToleratedFailurePercentage"
        );
        if text.contains("$states.result") && (before_result || in_catch) {
            self.err(
                "states-result-unavailable",
                p,
                format!(
                    "$states.result is not available in {key}{}",
                    if in_catch { " of a Catch" } else { "" }
                ),
            )
            .help = Some(
                "$states.result exists in the state's Output and Assign, after its work is done"
                    .into(),
            );
        }
        if text.contains("$states.errorOutput") && !in_catch {
            self.err(
                "states-error-output-unavailable",
                p,
                format!("$states.errorOutput is not available in {key} outside a Catch"),
            )
            .help = Some("use $states.errorOutput in a catcher's Output or Assign".into());
        }
    }

    fn jsonata_template(&mut self, v: &Value, p: &str, key: &str) -> Option<JsonataTemplate> {
        match JsonataTemplate::compile(v) {
            Ok(t) => {
                for (suffix, e) in t.expressions() {
                    self.check_states_refs(e.text(), &format!("{p}{suffix}"), key);
                }
                Some(t)
            }
            Err(m) => {
                self.err("bad-jsonata", p, format!("{key}: invalid JSONata: {m}"));
                None
            }
        }
    }

    fn opt_jsonata_template(&mut self, o: &Map, p: &str, key: &str) -> Option<JsonataTemplate> {
        let v = o.get(key)?;
        self.jsonata_template(v, &ptr(p, key), key)
    }

    fn opt_assign(&mut self, o: &Map, p: &str, lang: QueryLanguage) -> Option<Assign> {
        let v = o.get("Assign")?;
        let ap = ptr(p, "Assign");
        let Some(obj) = v.as_object() else {
            self.err(
                "bad-type",
                &ap,
                format!(
                    "'Assign' must be an object of variable names, found {}",
                    json_type_name(v)
                ),
            );
            return None;
        };
        for k in obj.keys() {
            let name = k.strip_suffix(".$").unwrap_or(k);
            if let Err(m) = check_variable_name(name) {
                self.err("bad-variable", ptr(&ap, k), m).at_key = true;
            }
        }
        match lang {
            QueryLanguage::JsonPath => self.template(v, p, "Assign").map(Assign::JsonPath),
            QueryLanguage::Jsonata => self.jsonata_template(v, &ap, "Assign").map(Assign::Jsonata),
        }
    }

    /// A number field that may also come from `<key>Path` (JSONPath) or `{% %}` (JSONata).
    fn dyn_number(
        &mut self,
        o: &Map,
        p: &str,
        key: &str,
        lang: QueryLanguage,
        bounds: Bounds,
    ) -> Option<Dyn<f64>> {
        let Bounds { min, max, integer } = bounds;
        let path_key = format!("{key}Path");
        if let Some(v) = o.get(&path_key) {
            if has_member(o, key) {
                self.err(
                    "exclusive-fields",
                    ptr(p, &path_key),
                    format!("'{key}' and '{path_key}' cannot both be set"),
                );
            }
            return self
                .path_field(v, &ptr(p, &path_key), &path_key)
                .map(Dyn::Path);
        }
        let v = o.get(key)?;
        let fp = ptr(p, key);
        if let Some(s) = v.as_str() {
            if is_deployment_placeholder(s) {
                self.diags.push(
                    Diagnostic::warning(
                        "placeholder",
                        &fp,
                        format!("'{key}' is the deployment placeholder {s}"),
                    )
                    .help("SAM/CloudFormation/Terraform substitute it at deploy time; give a number to run this state locally"),
                );
                return Some(Dyn::Placeholder(s.to_string()));
            }
            if lang == QueryLanguage::Jsonata
                && let Some(e) = self.jsonata_expr(s, &fp, key)
            {
                return Some(Dyn::Expr(e));
            }
            if lang == QueryLanguage::JsonPath {
                self.err(
                    "bad-type",
                    &fp,
                    format!("'{key}' must be a number, found a string"),
                )
                .help = Some(format!(
                    "to read it from the input use \"{path_key}\": \"$.field\""
                ));
            }
            return None;
        }
        match v.as_f64() {
            Some(n) if n >= min && n <= max && (!integer || n.fract() == 0.0) => {
                Some(Dyn::Static(n))
            }
            Some(_) => {
                let kind = if integer { "an integer" } else { "a number" };
                self.err(
                    "bad-value",
                    &fp,
                    format!("'{key}' must be {kind} between {min} and {max}"),
                );
                None
            }
            None => {
                self.err(
                    "bad-type",
                    &fp,
                    format!("'{key}' must be a number, found {}", json_type_name(v)),
                );
                None
            }
        }
    }

    /// A `{% %}` string, parsed; reports an error when `s` is not one.
    fn jsonata_expr(&mut self, s: &str, p: &str, key: &str) -> Option<JsonataExpr> {
        let Some(inner) = jsonata::strip_delimiters(s) else {
            self.err(
                "bad-jsonata",
                p,
                format!("'{key}' must be a {{% %}} JSONata expression here"),
            );
            return None;
        };
        match JsonataExpr::parse(inner) {
            Ok(e) => {
                self.check_states_refs(e.text(), p, key);
                Some(e)
            }
            Err(m) => {
                self.err("bad-jsonata", p, format!("{key}: invalid JSONata: {m}"));
                None
            }
        }
    }

    fn error_equals(&mut self, o: &Map, p: &str, last: bool) -> Vec<String> {
        let ep = ptr(p, "ErrorEquals");
        let Some(v) = o.get("ErrorEquals") else {
            self.err("missing-field", p, "'ErrorEquals' is required")
                .help = Some("list the error names to match, e.g. [\"States.ALL\"]".into());
            return vec![];
        };
        let Some(arr) = v.as_array() else {
            self.err(
                "bad-type",
                &ep,
                "'ErrorEquals' must be a non-empty array of error names",
            );
            return vec![];
        };
        if arr.is_empty() {
            self.err("bad-value", &ep, "'ErrorEquals' must not be empty");
        }
        let names: Vec<String> = arr
            .iter()
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect();
        if names.len() != arr.len() {
            self.err(
                "bad-type",
                &ep,
                "every entry of 'ErrorEquals' must be a string",
            );
        }
        if names.iter().any(|n| n == "States.ALL") {
            if names.len() > 1 {
                self.err(
                    "states-all-not-alone",
                    &ep,
                    "'States.ALL' must appear alone in its ErrorEquals",
                );
            }
            if !last {
                self.err(
                    "states-all-not-last",
                    p,
                    "a retrier or catcher with 'States.ALL' must be the last one",
                )
                .help = Some("move it to the end: later entries could never match".into());
            }
        }
        names
    }

    fn retriers(&mut self, v: &Value, p: &str) -> Vec<Retrier> {
        let Some(arr) = v.as_array() else {
            self.err("bad-type", p, "'Retry' must be an array of retriers");
            return vec![];
        };
        let mut out = Vec::new();
        for (i, r) in arr.iter().enumerate() {
            let rp = ptr(p, &i.to_string());
            let Some(o) = r.as_object() else {
                self.err("bad-type", &rp, "a retrier must be an object");
                continue;
            };
            for k in o.keys() {
                if ![
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ]
                .contains(&k.as_str())
                {
                    self.err(
                        "unknown-field",
                        ptr(&rp, k),
                        format!("'{k}' is not a field of a retrier"),
                    )
                    .at_key = true;
                }
            }
            let error_equals = self.error_equals(o, &rp, i + 1 == arr.len());
            let int = |b: &mut Self, key: &str, min: u64, default: u64| -> u64 {
                match o.get(key) {
                    None => default,
                    Some(v) => match v.as_u64() {
                        Some(n) if n >= min && n <= 99_999_999 => n,
                        _ => {
                            b.err(
                                "bad-value",
                                ptr(&rp, key),
                                format!("'{key}' must be an integer from {min} to 99999999"),
                            );
                            default
                        }
                    },
                }
            };
            let interval_seconds = int(self, "IntervalSeconds", 1, 1) as f64;
            let max_attempts = int(self, "MaxAttempts", 0, 3);
            let max_delay_seconds = o
                .get("MaxDelaySeconds")
                .map(|_| int(self, "MaxDelaySeconds", 1, 1) as f64);
            let backoff_rate = match o.get("BackoffRate") {
                None => 2.0,
                Some(v) => match v.as_f64() {
                    Some(n) if n >= 1.0 => n,
                    _ => {
                        self.err(
                            "bad-value",
                            ptr(&rp, "BackoffRate"),
                            "'BackoffRate' must be a number of at least 1.0",
                        );
                        2.0
                    }
                },
            };
            let jitter_full = match o.get("JitterStrategy") {
                None => false,
                Some(v) => match v.as_str() {
                    Some("FULL") => true,
                    Some("NONE") => false,
                    _ => {
                        self.err(
                            "bad-value",
                            ptr(&rp, "JitterStrategy"),
                            "'JitterStrategy' must be \"FULL\" or \"NONE\"",
                        );
                        false
                    }
                },
            };
            out.push(Retrier {
                pointer: rp,
                error_equals,
                interval_seconds,
                max_attempts,
                backoff_rate,
                max_delay_seconds,
                jitter_full,
            });
        }
        out
    }

    fn catchers(&mut self, v: &Value, p: &str, lang: QueryLanguage) -> Vec<Catcher> {
        let Some(arr) = v.as_array() else {
            self.err("bad-type", p, "'Catch' must be an array of catchers");
            return vec![];
        };
        let mut out = Vec::new();
        for (i, c) in arr.iter().enumerate() {
            let cp = ptr(p, &i.to_string());
            let Some(o) = c.as_object() else {
                self.err("bad-type", &cp, "a catcher must be an object");
                continue;
            };
            let (allowed, other): (&[&str], &[&str]) = match lang {
                QueryLanguage::JsonPath => (
                    &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"],
                    &["Output"],
                ),
                QueryLanguage::Jsonata => (
                    &["ErrorEquals", "Next", "Output", "Assign", "Comment"],
                    &["ResultPath"],
                ),
            };
            for k in o.keys() {
                if allowed.contains(&k.as_str()) {
                    continue;
                }
                let d = if other.contains(&k.as_str()) {
                    Diagnostic::error(
                        "wrong-language-field",
                        ptr(&cp, k),
                        format!("'{k}' is not allowed in a {} catcher", lang.as_str()),
                    )
                    .help(other_language_hint(k, lang))
                } else {
                    Diagnostic::error(
                        "unknown-field",
                        ptr(&cp, k),
                        format!("'{k}' is not a field of a catcher"),
                    )
                };
                self.diags.push(d.at_key());
            }
            let error_equals = self.error_equals(o, &cp, i + 1 == arr.len());
            let next = match o.get("Next").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => {
                    self.err(
                        "missing-field",
                        &cp,
                        "a catcher needs 'Next': the state to go to when it catches",
                    );
                    String::new()
                }
            };
            let result_path = if lang == QueryLanguage::JsonPath {
                self.opt_path(o, &cp, "ResultPath", true)
            } else {
                None
            };
            let output = if lang == QueryLanguage::Jsonata {
                self.opt_jsonata_template(o, &cp, "Output")
            } else {
                None
            };
            let assign = self.opt_assign(o, &cp, lang);
            out.push(Catcher {
                pointer: cp,
                error_equals,
                next: Target {
                    name: next,
                    index: usize::MAX,
                },
                result_path,
                output,
                assign,
            });
        }
        out
    }

    fn task(&mut self, o: &Map, p: &str, lang: QueryLanguage) -> Task {
        let resource = match o.get("Resource") {
            Some(Value::String(s)) => s.to_string(),
            Some(v) => {
                self.err(
                    "bad-type",
                    ptr(p, "Resource"),
                    format!(
                        "'Resource' must be an ARN string, found {}",
                        json_type_name(v)
                    ),
                );
                String::new()
            }
            None => {
                self.err("missing-field", p, "a Task state needs a 'Resource'")
                    .help = Some("e.g. \"Resource\": \"arn:aws:states:::lambda:invoke\"".into());
                String::new()
            }
        };
        if resource.ends_with(".waitForTaskToken") && is_lambda_function_arn(&resource) {
            self.err("callback-on-function-arn", ptr(p, "Resource"), "'.waitForTaskToken' cannot be used with a Lambda function ARN as the Resource")
                .help = Some("use \"Resource\": \"arn:aws:states:::lambda:invoke.waitForTaskToken\" with \"FunctionName\" and the token in \"Payload\"".into());
        }
        let max = 99_999_999.0;
        Task {
            timeout_seconds: self.dyn_number(o, p, "TimeoutSeconds", lang, Bounds::int(1.0, max)),
            heartbeat_seconds: self.dyn_number(
                o,
                p,
                "HeartbeatSeconds",
                lang,
                Bounds::int(1.0, max),
            ),
            credentials: o.get("Credentials").cloned(),
            resource,
        }
    }

    fn choice(&mut self, o: &Map, p: &str, lang: QueryLanguage) -> Choice {
        let mut c = Choice::default();
        if let Some(d) = o.get("Default") {
            match d.as_str() {
                Some(s) => {
                    c.default = Some(Target {
                        name: s.into(),
                        index: usize::MAX,
                    });
                }
                None => {
                    self.err(
                        "bad-type",
                        ptr(p, "Default"),
                        "'Default' must be a state name (a string)",
                    );
                }
            }
        }
        let cp = ptr(p, "Choices");
        let arr = match o.get("Choices") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            Some(_) => {
                self.err(
                    "bad-value",
                    &cp,
                    "'Choices' must be a non-empty array of choice rules",
                );
                return c;
            }
            None => {
                self.err("missing-field", p, "a Choice state needs 'Choices'");
                return c;
            }
        };
        for (i, r) in arr.iter().enumerate() {
            let rp = ptr(&cp, &i.to_string());
            let Some(ro) = r.as_object() else {
                self.err("bad-type", &rp, "a choice rule must be an object");
                continue;
            };
            let next = match ro.get("Next").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => {
                    self.err("missing-field", &rp, "a top-level choice rule needs 'Next'");
                    String::new()
                }
            };
            let (extra_ok, extra_bad): (&[&str], &[&str]) = match lang {
                QueryLanguage::JsonPath => (&["Next", "Assign"], &["Output"]),
                QueryLanguage::Jsonata => (&["Next", "Assign", "Output"], &[]),
            };
            let Some(rule) = self.rule(ro, &rp, lang, extra_ok, extra_bad, 0) else {
                continue;
            };
            let output = if lang == QueryLanguage::Jsonata {
                self.opt_jsonata_template(ro, &rp, "Output")
            } else {
                None
            };
            let assign = self.opt_assign(ro, &rp, lang);
            c.choices.push(ChoiceBranch {
                pointer: rp,
                description: rule.describe().into(),
                rule,
                next: Target {
                    name: next,
                    index: usize::MAX,
                },
                output,
                assign,
            });
        }
        c
    }

    fn rule(
        &mut self,
        o: &Map,
        p: &str,
        lang: QueryLanguage,
        extra_ok: &[&str],
        extra_bad: &[&str],
        depth: usize,
    ) -> Option<Rule> {
        if depth > 64 {
            self.err("too-deep", p, "choice rules nested deeper than 64 levels");
            return None;
        }
        for k in extra_bad {
            if has_member(o, k) {
                self.err(
                    "wrong-language-field",
                    ptr(p, k),
                    format!("'{k}' is not allowed in a {} choice rule", lang.as_str()),
                )
                .help = Some(other_language_hint(k, lang));
            }
        }
        let known = |k: &str| extra_ok.contains(&k) || extra_bad.contains(&k) || k == "Comment";
        if lang == QueryLanguage::Jsonata {
            return self.jsonata_rule(o, p, &known);
        }
        // JSONPath: exactly one of And/Or/Not or Variable + one comparison.
        let mut ops: Vec<&str> = o
            .keys()
            .map(crate::json::Str::as_str)
            .filter(|k| !known(k))
            .collect();
        ops.retain(|k| *k != "Variable");
        if ops.len() != 1 {
            let msg = if ops.is_empty() {
                "a choice rule needs a comparison (e.g. StringEquals), or And/Or/Not".to_string()
            } else {
                format!(
                    "a choice rule must have exactly one comparison, found {}",
                    ops.join(", ")
                )
            };
            self.err("bad-rule", p, msg);
            return None;
        }
        let op_name = ops[0];
        let op_ptr = ptr(p, op_name);
        let v = &o[op_name];
        match op_name {
            "And" | "Or" | "Not" => self.combined_rule(op_name, v, &op_ptr, lang, depth),
            _ => self.comparison(o, p, op_name, v, &op_ptr),
        }
    }

    /// A JSONata choice rule: its Condition.
    fn jsonata_rule(&mut self, o: &Map, p: &str, known: &dyn Fn(&str) -> bool) -> Option<Rule> {
        for k in o.keys() {
            if !known(k) && k != "Condition" {
                self.err(
                    "wrong-language-field",
                    ptr(p, k),
                    format!("'{k}' is not allowed in a JSONata choice rule"),
                )
                .help = Some("JSONata choice rules use \"Condition\": \"{% ... %}\"".into());
            }
        }
        let cond = match o.get("Condition") {
            Some(Value::Bool(b)) => ConditionExpr::Literal(*b),
            Some(Value::String(s)) => {
                ConditionExpr::Expr(self.jsonata_expr(s, &ptr(p, "Condition"), "Condition")?)
            }
            Some(_) => {
                self.err(
                    "bad-type",
                    ptr(p, "Condition"),
                    "'Condition' must be a {% %} expression or a boolean",
                );
                return None;
            }
            None => {
                self.err(
                    "missing-field",
                    p,
                    "a JSONata choice rule needs 'Condition'",
                );
                return None;
            }
        };
        Some(Rule::Condition(cond))
    }

    /// And, Or (arrays of rules) and Not (one rule).
    fn combined_rule(
        &mut self,
        op_name: &str,
        v: &Value,
        op_ptr: &str,
        lang: QueryLanguage,
        depth: usize,
    ) -> Option<Rule> {
        if op_name == "Not" {
            let Some(ro) = v.as_object() else {
                self.err("bad-type", op_ptr, "'Not' must be a single rule object");
                return None;
            };
            let rule = self.rule(ro, op_ptr, lang, &[], &[], depth + 1)?;
            return Some(Rule::Not(Box::new(rule)));
        }
        let Some(arr) = v.as_array().filter(|a| !a.is_empty()) else {
            self.err(
                "bad-type",
                op_ptr,
                format!("'{op_name}' must be a non-empty array of rules"),
            );
            return None;
        };
        let mut rules = Vec::new();
        for (i, r) in arr.iter().enumerate() {
            let sp = ptr(op_ptr, &i.to_string());
            match r.as_object() {
                Some(ro) => rules.extend(self.rule(ro, &sp, lang, &[], &[], depth + 1)),
                None => {
                    self.err("bad-type", &sp, "a choice rule must be an object");
                }
            }
        }
        Some(if op_name == "And" {
            Rule::And(rules)
        } else {
            Rule::Or(rules)
        })
    }

    /// A JSONPath comparison: `Variable` and one operator (or its `...Path` form).
    fn comparison(
        &mut self,
        o: &Map,
        p: &str,
        op_name: &str,
        v: &Value,
        op_ptr: &str,
    ) -> Option<Rule> {
        let (base, is_path) = match op_name.strip_suffix("Path") {
            Some(b) => (b, true),
            None => (op_name, false),
        };
        let Some(op) = Op::ALL.iter().copied().find(|op| op.name() == base) else {
            self.err(
                "unknown-operator",
                op_ptr,
                format!("unknown choice operator '{op_name}'"),
            )
            .at_key = true;
            return None;
        };
        if is_path && op.is_type_test() {
            self.err(
                "unknown-operator",
                op_ptr,
                format!("'{op_name}' has no Path form"),
            )
            .at_key = true;
            return None;
        }
        let variable = match o.get("Variable") {
            Some(var) => self.path_field(var, &ptr(p, "Variable"), "Variable")?,
            None => {
                self.err(
                    "missing-field",
                    p,
                    format!("the rule '{op_name}' needs a 'Variable'"),
                );
                return None;
            }
        };
        let operand = if is_path {
            Operand::Path(self.path_field(v, op_ptr, op_name)?)
        } else {
            let ok = match op {
                Op::StringEquals
                | Op::StringLessThan
                | Op::StringGreaterThan
                | Op::StringLessThanEquals
                | Op::StringGreaterThanEquals
                | Op::StringMatches => v.is_string(),
                Op::NumericEquals
                | Op::NumericLessThan
                | Op::NumericGreaterThan
                | Op::NumericLessThanEquals
                | Op::NumericGreaterThanEquals => v.is_number(),
                Op::TimestampEquals
                | Op::TimestampLessThan
                | Op::TimestampGreaterThan
                | Op::TimestampLessThanEquals
                | Op::TimestampGreaterThanEquals => v
                    .as_str()
                    .is_some_and(|s| crate::engine::time::parse_timestamp(s).is_some()),
                _ => v.is_boolean(),
            };
            if !ok {
                let want = match op.name() {
                    n if n.starts_with("String") => "a string",
                    n if n.starts_with("Numeric") => "a number",
                    n if n.starts_with("Timestamp") => "an ISO-8601 timestamp string",
                    _ => "true or false",
                };
                self.err(
                    "bad-operand",
                    op_ptr,
                    format!("'{op_name}' must be {want}, found {}", json_type_name(v)),
                );
                return None;
            }
            Operand::Value(v.clone())
        };
        Some(Rule::Compare {
            variable,
            op,
            operand,
        })
    }

    fn wait(&mut self, o: &Map, p: &str, lang: QueryLanguage) -> Wait {
        let set: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|k| has_member(o, k))
            .collect();
        if set.len() != 1 {
            self.err("wait-fields", p, if set.is_empty() {
                "a Wait state needs one of Seconds, SecondsPath, Timestamp, TimestampPath".to_string()
            } else {
                format!("a Wait state takes exactly one of Seconds, SecondsPath, Timestamp, TimestampPath; found {}", set.join(", "))
            });
        }
        if has_member(o, "Seconds") || has_member(o, "SecondsPath") {
            let how = self
                .dyn_number(o, p, "Seconds", lang, Bounds::int(0.0, 99_999_999.0))
                .unwrap_or(Dyn::Static(0.0));
            return Wait {
                how: WaitFor::Seconds(how),
            };
        }
        if let Some(v) = o.get("TimestampPath") {
            if let Some(path) = self.path_field(v, &ptr(p, "TimestampPath"), "TimestampPath") {
                return Wait {
                    how: WaitFor::Timestamp(Dyn::Path(path)),
                };
            }
        } else if let Some(v) = o.get("Timestamp") {
            let tp = ptr(p, "Timestamp");
            match v.as_str() {
                Some(s)
                    if lang == QueryLanguage::Jsonata && jsonata::strip_delimiters(s).is_some() =>
                {
                    if let Some(e) = self.jsonata_expr(s, &tp, "Timestamp") {
                        return Wait {
                            how: WaitFor::Timestamp(Dyn::Expr(e)),
                        };
                    }
                }
                Some(s) => {
                    if crate::engine::time::parse_timestamp(s).is_none() {
                        self.err(
                            "bad-timestamp",
                            &tp,
                            format!(
                                "'{s}' is not an ISO-8601 timestamp such as 2024-01-01T00:00:00Z"
                            ),
                        );
                    }
                    return Wait {
                        how: WaitFor::Timestamp(Dyn::Static(s.to_string())),
                    };
                }
                None => {
                    self.err("bad-type", &tp, "'Timestamp' must be a string");
                }
            }
        }
        Wait {
            how: WaitFor::Seconds(Dyn::Static(0.0)),
        }
    }

    fn fail(&mut self, o: &Map, p: &str, lang: QueryLanguage) -> Fail {
        let field = |b: &mut Self, key: &str| -> Option<FailField> {
            let path_key = format!("{key}Path");
            if let Some(v) = o.get(&path_key) {
                if has_member(o, key) {
                    b.err(
                        "exclusive-fields",
                        ptr(p, &path_key),
                        format!("'{key}' and '{path_key}' cannot both be set"),
                    );
                }
                let pp = ptr(p, &path_key);
                let s = v.as_str().unwrap_or("");
                if intrinsics::is_intrinsic(s) {
                    return match intrinsics::parse(s) {
                        Ok(call) => Some(FailField::Intrinsic(call)),
                        Err(m) => {
                            b.err(
                                "bad-intrinsic",
                                pp,
                                format!("invalid intrinsic function in {path_key}: {m}"),
                            );
                            None
                        }
                    };
                }
                return b.path_field(v, &pp, &path_key).map(FailField::Path);
            }
            let v = o.get(key)?;
            let fp = ptr(p, key);
            match v.as_str() {
                Some(s)
                    if lang == QueryLanguage::Jsonata && jsonata::strip_delimiters(s).is_some() =>
                {
                    b.jsonata_expr(s, &fp, key).map(FailField::Expr)
                }
                Some(s) => Some(FailField::Static(s.to_string())),
                None => {
                    b.err("bad-type", fp, format!("'{key}' must be a string"));
                    None
                }
            }
        };
        Fail {
            error: field(self, "Error"),
            cause: field(self, "Cause"),
        }
    }

    fn parallel(&mut self, o: &Map, p: &str, lang: QueryLanguage, depth: usize) -> Parallel {
        let bp = ptr(p, "Branches");
        let mut par = Parallel::default();
        match o.get("Branches") {
            Some(Value::Array(a)) if !a.is_empty() => {
                for (i, b) in a.iter().enumerate() {
                    let ip = ptr(&bp, &i.to_string());
                    match b.as_object() {
                        Some(bo) => {
                            par.branches
                                .push(self.machine(bo, &ip, lang, false, depth + 1));
                        }
                        None => {
                            self.err(
                                "bad-type",
                                &ip,
                                "a branch must be an object with StartAt and States",
                            );
                        }
                    }
                }
            }
            Some(_) => {
                self.err("bad-value", &bp, "'Branches' must be a non-empty array");
            }
            None => {
                self.err("missing-field", p, "a Parallel state needs 'Branches'");
            }
        }
        par
    }

    /// A Map's `ProcessorConfig`: its mode and, for a distributed Map, the execution type.
    fn processor_config(&mut self, po: &Map, pp: &str) -> (MapMode, Option<String>) {
        let mut mode = MapMode::Inline;
        let mut execution_type = None;
        if let Some(cfg) = po.get("ProcessorConfig") {
            let cp = ptr(pp, "ProcessorConfig");
            match cfg.as_object() {
                Some(c) => {
                    for (k, v) in c {
                        match (k.as_str(), v.as_str()) {
                            ("Mode", Some("INLINE")) => mode = MapMode::Inline,
                            ("Mode", Some("DISTRIBUTED")) => mode = MapMode::Distributed,
                            ("ExecutionType", Some(t @ ("STANDARD" | "EXPRESS"))) => {
                                execution_type = Some(t.to_string());
                            }
                            ("Mode", _) => {
                                self.err(
                                    "bad-value",
                                    ptr(&cp, k),
                                    "Mode must be \"INLINE\" or \"DISTRIBUTED\"",
                                );
                            }
                            ("ExecutionType", _) => {
                                self.err(
                                    "bad-value",
                                    ptr(&cp, k),
                                    "ExecutionType must be \"STANDARD\" or \"EXPRESS\"",
                                );
                            }
                            _ => {
                                self.err(
                                    "unknown-field",
                                    ptr(&cp, k),
                                    format!("'{k}' is not a field of ProcessorConfig"),
                                )
                                .at_key = true;
                            }
                        }
                    }
                }
                None => {
                    self.err("bad-type", &cp, "'ProcessorConfig' must be an object");
                }
            }
        }
        (mode, execution_type)
    }

    /// A Map's `ItemSelector` (or the legacy `Parameters`).
    fn item_selector(&mut self, o: &Map, p: &str, lang: QueryLanguage) -> Option<ItemSelector> {
        match (o.get("ItemSelector"), o.get("Parameters")) {
            (Some(_), Some(_)) => {
                self.err(
                    "exclusive-fields",
                    ptr(p, "Parameters"),
                    "'ItemSelector' and 'Parameters' cannot both be set in a Map state",
                );
                None
            }
            (Some(v), None) | (None, Some(v)) => {
                let key = if has_member(o, "ItemSelector") {
                    "ItemSelector"
                } else {
                    "Parameters"
                };
                match lang {
                    QueryLanguage::JsonPath => self
                        .template(v, &ptr(p, key), key)
                        .map(ItemSelector::JsonPath),
                    QueryLanguage::Jsonata => self
                        .jsonata_template(v, &ptr(p, key), key)
                        .map(ItemSelector::Jsonata),
                }
            }
            (None, None) => None,
        }
    }

    /// A Map's `ItemBatcher`.
    fn item_batcher(&mut self, v: &Value, bp: &str, lang: QueryLanguage) -> Option<ItemBatcher> {
        let Some(bo) = v.as_object() else {
            self.err("bad-type", bp, "'ItemBatcher' must be an object");
            return None;
        };
        let batch_input = bo.get("BatchInput").and_then(|bi| match lang {
            QueryLanguage::JsonPath => self
                .template(bi, &ptr(bp, "BatchInput"), "BatchInput")
                .map(ItemSelector::JsonPath),
            QueryLanguage::Jsonata => self
                .jsonata_template(bi, &ptr(bp, "BatchInput"), "BatchInput")
                .map(ItemSelector::Jsonata),
        });
        Some(ItemBatcher {
            max_items_per_batch: self.dyn_number(
                bo,
                bp,
                "MaxItemsPerBatch",
                lang,
                Bounds::int(0.0, 1e12),
            ),
            max_input_bytes_per_batch: self.dyn_number(
                bo,
                bp,
                "MaxInputBytesPerBatch",
                lang,
                Bounds::int(0.0, 262_144.0),
            ),
            batch_input,
        })
    }

    fn map(&mut self, o: &Map, p: &str, lang: QueryLanguage, depth: usize) -> MapState {
        let (proc_key, proc_val) = match (o.get("ItemProcessor"), o.get("Iterator")) {
            (Some(v), None) => ("ItemProcessor", Some(v)),
            (None, Some(v)) => ("Iterator", Some(v)),
            (Some(v), Some(_)) => {
                self.err(
                    "exclusive-fields",
                    ptr(p, "Iterator"),
                    "'ItemProcessor' and 'Iterator' cannot both be set",
                );
                ("ItemProcessor", Some(v))
            }
            (None, None) => {
                self.err(
                    "missing-field",
                    p,
                    "a Map state needs 'ItemProcessor' (or the legacy 'Iterator')",
                );
                ("ItemProcessor", None)
            }
        };
        let pp = ptr(p, proc_key);
        let mut mode = MapMode::Inline;
        let mut execution_type = None;
        let processor = match proc_val.and_then(Value::as_object) {
            Some(po) => {
                (mode, execution_type) = self.processor_config(po, &pp);
                self.machine(po, &pp, lang, false, depth + 1)
            }
            None => {
                if proc_val.is_some() {
                    self.err(
                        "bad-type",
                        &pp,
                        format!("'{proc_key}' must be an object with StartAt and States"),
                    );
                }
                Machine::default()
            }
        };
        if mode == MapMode::Inline && (has_member(o, "ItemReader") || has_member(o, "ResultWriter"))
        {
            self.err("inline-map-reader", p, "ItemReader and ResultWriter need a DISTRIBUTED Map")
                .help = Some("set \"ProcessorConfig\": {\"Mode\": \"DISTRIBUTED\", \"ExecutionType\": \"STANDARD\"}".into());
        }
        let item_selector = self.item_selector(o, p, lang);
        let items_path = o
            .get("ItemsPath")
            .and_then(|v| self.path_field(v, &ptr(p, "ItemsPath"), "ItemsPath"));
        let items = o
            .get("Items")
            .and_then(|v| self.jsonata_template(v, &ptr(p, "Items"), "Items"));
        let item_batcher = o
            .get("ItemBatcher")
            .and_then(|v| self.item_batcher(v, &ptr(p, "ItemBatcher"), lang));
        let label = self.opt_string(o, p, "Label");
        if let Some(l) = &label
            && (l.chars().count() > 40
                || l.chars()
                    .any(|c| c.is_whitespace() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)))
        {
            self.err(
                "bad-value",
                ptr(p, "Label"),
                "'Label' must be at most 40 characters, without whitespace or special characters",
            );
        }
        MapState {
            processor,
            mode,
            execution_type,
            items_path,
            items,
            item_selector,
            item_reader: o.get("ItemReader").cloned(),
            item_batcher,
            result_writer: o.get("ResultWriter").cloned(),
            max_concurrency: self.dyn_number(o, p, "MaxConcurrency", lang, Bounds::int(0.0, 1e12)),
            tolerated_failure_count: self.dyn_number(
                o,
                p,
                "ToleratedFailureCount",
                lang,
                Bounds::int(0.0, 1e12),
            ),
            tolerated_failure_percentage: self.dyn_number(
                o,
                p,
                "ToleratedFailurePercentage",
                lang,
                Bounds::float(0.0, 100.0),
            ),
            label,
        }
    }
}

/// The range a number field accepts.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    min: f64,
    max: f64,
    integer: bool,
}

impl Bounds {
    fn int(min: f64, max: f64) -> Bounds {
        Bounds {
            min,
            max,
            integer: true,
        }
    }

    fn float(min: f64, max: f64) -> Bounds {
        Bounds {
            min,
            max,
            integer: false,
        }
    }
}

/// Rules for workflow variable names (AWS: letters, digits, underscore; not starting with a
/// digit; at most 80 characters; `states` is reserved).
pub fn check_variable_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().count() > 80 {
        return Err(format!("variable name '{name}' must be 1 to 80 characters"));
    }
    if name == "states" {
        return Err("'states' is reserved for $states and cannot be assigned".into());
    }
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    if !first_ok || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!(
            "variable name '{name}' may hold only letters, digits and '_', and must not start with a digit"
        ));
    }
    Ok(())
}

/// `${Name}`: a SAM DefinitionSubstitutions / CloudFormation / Terraform placeholder,
/// substituted at deploy time.
pub fn is_deployment_placeholder(s: &str) -> bool {
    s.len() > 3
        && s.starts_with("${")
        && s.ends_with('}')
        && !s[2..s.len() - 1].contains(['{', '}'])
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` (a bare function ARN).
pub fn is_lambda_function_arn(resource: &str) -> bool {
    let parts: Vec<&str> = resource.split(':').collect();
    parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function"
}

/// Turn state names in transitions into indexes (left at usize::MAX when unknown; the
/// validator reports those).
fn resolve_targets(m: &mut Machine) {
    let index = &m.index;
    let fix = |t: &mut Target| t.index = index.get(t.name.as_str()).copied().unwrap_or(usize::MAX);
    for s in &mut m.states {
        if let Some(t) = &mut s.next {
            fix(t);
        }
        for c in &mut s.catch {
            fix(&mut c.next);
        }
        if let StateKind::Choice(c) = &mut s.kind {
            for b in &mut c.choices {
                fix(&mut b.next);
            }
            if let Some(d) = &mut c.default {
                fix(d);
            }
        }
    }
}

/// Whether an object has a member (found as [`member`] finds it).
fn has_member(o: &Map, key: &str) -> bool {
    o.get(key).is_some()
}
