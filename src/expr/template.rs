//! JSONPath-mode payload templates (Parameters, ResultSelector, ItemSelector, ...):
//! a JSON value whose keys ending in `.$` take their value from a path or an intrinsic
//! function. Compiled once; static subtrees are kept as constants.

use super::ExprError;
use super::intrinsics::{self, Intrinsic, IntrinsicEnv};
use super::jsonpath::{JsonPath, PathRoot};
use crate::expr::compact;
use crate::json::{Map, Str, Value};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Everything a JSONPath expression can read besides `$`.
pub trait Scope {
    fn context(&self) -> &Value;
    fn variable(&self, name: &str) -> Option<&Value>;
    /// Deterministic randomness for States.MathRandom and States.UUID.
    fn next_u64(&mut self) -> u64;
}

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub enum PayloadTemplate {
    Const(Value),
    Object {
        fields: Vec<(Str, PayloadTemplate)>,
        shape: Shape,
    },
    Array(Vec<PayloadTemplate>),
    /// `"key.$": "$.path"`, with the key as written (for messages).
    Path {
        field: String,
        path: JsonPath,
    },
    Intrinsic {
        field: String,
        call: Intrinsic,
    },
}

/// A compile error at `pointer` (relative to the template's root, RFC 6901).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub pointer: String,
    pub message: String,
}

impl PayloadTemplate {
    pub fn compile(value: &Value) -> Result<PayloadTemplate, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let t = compile_node(value, &mut String::new(), &mut errors, 0);
        if errors.is_empty() {
            Ok(t)
        } else {
            Err(errors)
        }
    }

    pub fn is_const(&self) -> bool {
        matches!(self, PayloadTemplate::Const(_))
    }

    /// Whether evaluating it reads its input (a `$...` path; `$$...` and variables read
    /// something else).
    pub fn reads_input(&self) -> bool {
        match self {
            PayloadTemplate::Const(_) => false,
            PayloadTemplate::Object { fields, .. } => fields.iter().any(|(_, t)| t.reads_input()),
            PayloadTemplate::Array(items) => items.iter().any(PayloadTemplate::reads_input),
            PayloadTemplate::Path { path, .. } => *path.root() == PathRoot::Input,
            PayloadTemplate::Intrinsic { call, .. } => call.reads_input(),
        }
    }

    /// Evaluate against `input` (the value of `$`).
    pub fn eval(&self, input: &Value, scope: &mut dyn Scope) -> Result<Value, ExprError> {
        match self {
            PayloadTemplate::Const(v) => Ok(v.clone()),
            PayloadTemplate::Object { fields, shape } => shape
                .object(fields, |_, t| t.eval(input, scope))
                .map(Value::Object),
            PayloadTemplate::Array(items) => items
                .iter()
                .map(|t| t.eval(input, scope))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            PayloadTemplate::Path { field, path } => {
                resolve_path(path, input, scope).map_err(|e| match e {
                    PathFailure::NotFound => ExprError::runtime(format!(
                        "The JSONPath '{}' specified for the field '{}' could not be found in the input '{}'",
                        path.text(),
                        field,
                        compact(root_for(path, input, scope).unwrap_or(&Value::Null))
                    )),
                    PathFailure::Error(e) => e,
                })
            }
            PayloadTemplate::Intrinsic { call, .. } => {
                let mut env = IntrinsicScope { input, scope };
                intrinsics::eval(call, &mut env)
            }
        }
    }
}

/// An object template's member names in order, each with `null`: what its evaluations
/// copy and fill in, as copying a map does not hash its keys again and inserting does.
/// Made on the second evaluation: most templates of a long chain of states are evaluated
/// once, a Map iteration's for every item. None when two fields have one name (`"a"` and
/// `"a.$"`, the last of which wins).
#[derive(Debug, Default)]
pub struct Shape {
    evaluated: AtomicBool,
    map: OnceLock<Option<Map>>,
}

impl Shape {
    /// The object of `fields`' names, in order, with the values `value` gives each field
    /// (by its place).
    pub fn object<E>(
        &self,
        fields: &[(Str, PayloadTemplate)],
        mut value: impl FnMut(usize, &PayloadTemplate) -> Result<Value, E>,
    ) -> Result<Map, E> {
        if let Some(shape) = self.get(fields) {
            return shape.with_names_of(|k| value(k, &fields[k].1));
        }
        let mut map = Map::with_capacity(fields.len());
        for (k, (name, t)) in fields.iter().enumerate() {
            map.insert(name.clone(), value(k, t)?);
        }
        Ok(map)
    }

    fn get(&self, fields: &[(Str, PayloadTemplate)]) -> Option<&Map> {
        if let Some(map) = self.map.get() {
            return map.as_ref();
        }
        if !self.evaluated.swap(true, Ordering::Relaxed) {
            return None;
        }
        self.map
            .get_or_init(|| {
                crate::json::parse::shape_of(fields.iter().map(|(name, _)| name.as_str()))
            })
            .as_ref()
    }
}

/// A cache, not part of what the template means.
impl PartialEq for Shape {
    fn eq(&self, _: &Shape) -> bool {
        true
    }
}

impl Clone for Shape {
    fn clone(&self) -> Shape {
        Shape::default()
    }
}

fn compile_node(
    value: &Value,
    pointer: &mut String,
    errors: &mut Vec<TemplateError>,
    depth: usize,
) -> PayloadTemplate {
    if depth > 256 {
        errors.push(TemplateError {
            pointer: pointer.clone(),
            message: "the template is nested too deeply".into(),
        });
        return PayloadTemplate::Const(Value::Null);
    }
    match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            let mut all_const = true;
            for (k, v) in map {
                let saved = pointer.len();
                pointer.push('/');
                pointer.push_str(&crate::asl::source::pointer_token(k));
                let t = if let Some(name) = k.strip_suffix(".$") {
                    let t = compile_dynamic(k, v, pointer, errors);
                    fields.push((Str::from(name), t));
                    all_const = false;
                    pointer.truncate(saved);
                    continue;
                } else {
                    compile_node(v, pointer, errors, depth + 1)
                };
                pointer.truncate(saved);
                all_const &= t.is_const();
                fields.push((k.clone(), t));
            }
            if all_const {
                PayloadTemplate::Const(value.clone())
            } else {
                PayloadTemplate::Object {
                    fields,
                    shape: Shape::default(),
                }
            }
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                let saved = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                out.push(compile_node(v, pointer, errors, depth + 1));
                pointer.truncate(saved);
            }
            if out.iter().all(PayloadTemplate::is_const) {
                PayloadTemplate::Const(value.clone())
            } else {
                PayloadTemplate::Array(out)
            }
        }
        v => PayloadTemplate::Const(v.clone()),
    }
}

/// The value of a `key.$` field: a path or an intrinsic call.
fn compile_dynamic(
    key: &str,
    v: &Value,
    pointer: &str,
    errors: &mut Vec<TemplateError>,
) -> PayloadTemplate {
    let mut fail = |message: String| {
        errors.push(TemplateError {
            pointer: pointer.to_string(),
            message,
        });
        PayloadTemplate::Const(Value::Null)
    };
    let Some(text) = v.as_str() else {
        return fail(format!(
            "the value of '{key}' must be a string holding a JSONPath or an intrinsic function"
        ));
    };
    if intrinsics::is_intrinsic(text) {
        match intrinsics::parse(text) {
            Ok(call) => PayloadTemplate::Intrinsic {
                field: key.to_string(),
                call,
            },
            Err(m) => fail(format!("invalid intrinsic function: {m}")),
        }
    } else {
        match JsonPath::parse(text) {
            Ok(path) => PayloadTemplate::Path {
                field: key.to_string(),
                path,
            },
            Err(m) => fail(format!("invalid JSONPath '{text}': {m}")),
        }
    }
}

/// Why a path yielded nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathFailure {
    /// The path selects nothing (a definite path with a missing node, or an unknown variable).
    NotFound,
    Error(ExprError),
}

fn root_for<'a>(path: &JsonPath, input: &'a Value, scope: &'a dyn Scope) -> Option<&'a Value> {
    match path.root() {
        PathRoot::Input => Some(input),
        PathRoot::Context => Some(scope.context()),
        PathRoot::Variable(name) => scope.variable(name),
    }
}

/// Evaluate a query path against the right root.
pub fn resolve_path(
    path: &JsonPath,
    input: &Value,
    scope: &dyn Scope,
) -> Result<Value, PathFailure> {
    let Some(root) = root_for(path, input, scope) else {
        return Err(PathFailure::NotFound);
    };
    path.select(root).map_err(|_| PathFailure::NotFound)
}

struct IntrinsicScope<'a> {
    input: &'a Value,
    scope: &'a mut dyn Scope,
}

impl IntrinsicEnv for IntrinsicScope<'_> {
    fn resolve(&self, path: &JsonPath) -> Result<Value, ExprError> {
        resolve_path(path, self.input, &*self.scope).map_err(|e| match e {
            PathFailure::Error(e) => e,
            PathFailure::NotFound => ExprError::runtime(format!(
                "The JSONPath '{}' could not be found in the input '{}'",
                path.text(),
                compact(root_for(path, self.input, &*self.scope).unwrap_or(&Value::Null))
            )),
        })
    }

    fn next_u64(&mut self) -> u64 {
        self.scope.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    struct NoScope;
    impl Scope for NoScope {
        fn context(&self) -> &Value {
            &Value::Null
        }
        fn variable(&self, _: &str) -> Option<&Value> {
            None
        }
        fn next_u64(&mut self) -> u64 {
            4
        }
    }

    /// Members come out in the template's order, nested objects too, each result its own.
    #[test]
    fn objects_keep_the_templates_member_order() {
        let template = json!({"z.$": "$.a", "m": 1, "n": {"y.$": "$.b", "x": [2]}, "a.$": "States.MathAdd($.a, 1)"});
        let t = PayloadTemplate::compile(&template).unwrap();
        for a in [1, 5, 9] {
            let out = t.eval(&json!({"a": a, "b": "B"}), &mut NoScope).unwrap();
            assert_eq!(
                crate::expr::compact(&out),
                format!(r#"{{"z":{a},"m":1,"n":{{"y":"B","x":[2]}},"a":{}}}"#, a + 1)
            );
            // Found by name.
            assert_eq!(out["a"], json!(a + 1));
            assert_eq!(out["n"]["y"], "B");
        }
    }

    /// `a` and `a.$` name one member: the later value, in the earlier one's place.
    /// The shape is made on the second evaluation, not for a name given twice.
    #[test]
    fn an_object_template_copies_its_shape_from_the_second_evaluation_on() {
        let shape_of = |template: Value| {
            let PayloadTemplate::Object { fields, shape } =
                PayloadTemplate::compile(&template).unwrap()
            else {
                panic!("not an object template")
            };
            let made: Vec<_> = (0..3)
                .map(|_| shape.get(&fields).map(|m| Value::Object(m.clone())))
                .collect();
            made
        };
        assert_eq!(
            shape_of(json!({"b.$": "$.x", "a": 1})),
            [
                None,
                Some(json!({"b": null, "a": null})),
                Some(json!({"b": null, "a": null}))
            ]
        );
        assert_eq!(shape_of(json!({"a": 1, "a.$": "$.y"})), [None, None, None]);
    }

    #[test]
    fn a_name_given_twice_keeps_its_first_place_and_last_value() {
        let t = PayloadTemplate::compile(&json!({"a": 1, "b.$": "$.x", "a.$": "$.y"})).unwrap();
        for _ in 0..3 {
            let out = t.eval(&json!({"x": "X", "y": "Y"}), &mut NoScope).unwrap();
            assert_eq!(crate::expr::compact(&out), r#"{"a":"Y","b":"X"}"#);
        }
    }
}
