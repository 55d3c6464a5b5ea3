//! STUB being replaced: JSONata over jsonata-core.
use super::ExprError;
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct JsonataExpr {
    text: String,
}
impl JsonataExpr {
    pub fn parse(text: &str) -> Result<JsonataExpr, String> {
        Ok(JsonataExpr { text: text.into() })
    }
    pub fn text(&self) -> &str {
        &self.text
    }
}
pub fn strip_delimiters(s: &str) -> Option<&str> {
    s.strip_prefix("{%")?.strip_suffix("%}")
}
pub trait JsonataEnv {
    fn variable(&self, name: &str) -> Option<Value>;
    fn next_u64(&mut self) -> u64;
    fn now_millis(&self) -> i64;
}
pub fn eval(
    expr: &JsonataExpr,
    _states: &Value,
    _env: &mut dyn JsonataEnv,
) -> Result<Option<Value>, ExprError> {
    Err(ExprError {
        error: "States.QueryEvaluationError".into(),
        cause: format!("JSONata is not available yet: {}", expr.text),
    })
}
#[derive(Clone, Debug)]
pub enum JsonataTemplate {
    Const(Value),
    Expr(JsonataExpr),
}
impl JsonataTemplate {
    pub fn compile(value: &Value) -> Result<JsonataTemplate, String> {
        Ok(JsonataTemplate::Const(value.clone()))
    }
    pub fn eval(
        &self,
        _field: &str,
        _states: &Value,
        _env: &mut dyn JsonataEnv,
    ) -> Result<Value, ExprError> {
        match self {
            JsonataTemplate::Const(v) => Ok(v.clone()),
            JsonataTemplate::Expr(_) => Ok(Value::Null),
        }
    }
    pub fn expressions(&self) -> Vec<(String, &JsonataExpr)> {
        Vec::new()
    }
}
