//! A Serverless Framework service (`serverless.yml` with the serverless-step-functions
//! plugin), read as the CloudFormation template it deploys: its variables resolved
//! (`${self:...}`, `${opt:stage, 'dev'}`, `${sls:stage}`, `${env:...}`, `${aws:region}`),
//! each function a `AWS::Lambda::Function` named as the framework names it, each state
//! machine an `AWS::StepFunctions::StateMachine` whose definition may name functions by
//! their service names (`Fn::GetAtt: [hello, Arn]`), as the plugin allows.

use crate::json;
use crate::json::{Map, Value};

/// Does this parsed file look like a `serverless.yml`?
pub fn is_serverless(v: &Value) -> bool {
    v.get("service").is_some() && v.get("provider").is_some()
}

/// The template the service deploys, the pointers of its state machines' definitions in
/// the file (for located diagnostics), and notes on what could not be resolved.
pub struct Converted {
    pub template: Value,
    /// (state machine logical id, its key, the pointer of its `definition` in the file).
    pub definitions: Vec<(String, String, String)>,
    pub notes: Vec<String>,
}

/// The framework's logical-id form of a name: `check-stock` → `CheckDashstock`.
fn normalize(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        match c {
            '-' => out.push_str("Dash"),
            '_' => out.push_str("Underscore"),
            c if i == 0 => out.extend(c.to_uppercase()),
            c => out.push(c),
        }
    }
    out
}

pub fn convert(file: &Value, stage: Option<&str>, region: &str, account: &str) -> Converted {
    let mut notes = Vec::new();
    let provider_stage = file
        .pointer("/provider/stage")
        .and_then(Value::as_str)
        .filter(|s| !s.contains("${"));
    let stage = stage.or(provider_stage).unwrap_or("dev").to_string();
    let vars = Vars {
        root: file,
        stage: &stage,
        region,
        account,
    };
    let file = vars.resolve(file, &mut notes, 0);
    let service = file
        .get("service")
        .and_then(|s| s.as_str().or_else(|| s.get("name").and_then(Value::as_str)))
        .unwrap_or("service")
        .to_string();
    let provider = file.get("provider").cloned().unwrap_or(Value::Null);
    let mut resources = Map::new();
    let mut function_ids: Map = Map::new();
    if let Some(functions) = file.get("functions").and_then(Value::as_object) {
        for (name, f) in functions {
            let id = format!("{}LambdaFunction", normalize(name));
            function_ids.insert(name.clone(), Value::from(id.clone()));
            let pick = |k: &str| f.get(k).or_else(|| provider.get(k)).cloned();
            let mut env = provider
                .get("environment")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if let Some(own) = f.get("environment").and_then(Value::as_object) {
                env.extend(own.clone());
            }
            let mut props = json!({
                "FunctionName": f.get("name").cloned()
                    .unwrap_or_else(|| json!(format!("{service}-{stage}-{name}"))),
                "Handler": f.get("handler").cloned().unwrap_or(Value::Null),
                "Runtime": pick("runtime").unwrap_or_else(|| json!("nodejs20.x")),
                "Code": ".",
                "Environment": {"Variables": env},
            });
            if let Some(t) = pick("timeout") {
                props["Timeout"] = t;
            }
            if f.get("image").is_some() {
                props["PackageType"] = json!("Image");
            }
            resources.insert(
                id,
                json!({"Type": "AWS::Lambda::Function", "Properties": props}),
            );
        }
    }
    let mut definitions = Vec::new();
    if let Some(machines) = file
        .pointer("/stepFunctions/stateMachines")
        .and_then(Value::as_object)
    {
        for (key, sm) in machines {
            let id = sm.get("id").and_then(Value::as_str).map_or_else(
                || format!("{}StepFunctionsStateMachine", normalize(key)),
                str::to_string,
            );
            let mut definition = sm.get("definition").cloned().unwrap_or(Value::Null);
            name_functions(&mut definition, &function_ids);
            let mut props = json!({
                "StateMachineName": sm.get("name").cloned()
                    .unwrap_or_else(|| json!(format!("{key}-{stage}"))),
                "Definition": definition,
            });
            if let Some(t) = sm.get("type") {
                props["StateMachineType"] = t.clone();
            }
            definitions.push((
                id.clone(),
                key.to_string(),
                format!(
                    "/stepFunctions/stateMachines/{}/definition",
                    crate::asl::source::pointer_token(key)
                ),
            ));
            resources.insert(
                id,
                json!({"Type": "AWS::StepFunctions::StateMachine", "Properties": props}),
            );
        }
    }
    // Resources the service declares itself (tables, queues) are CloudFormation already.
    if let Some(extra) = file
        .pointer("/resources/Resources")
        .and_then(Value::as_object)
    {
        for (k, v) in extra {
            resources.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Converted {
        template: json!({"Resources": resources}),
        definitions,
        notes,
    }
}

/// The plugin lets a definition name a function by its key in `functions:`
/// (`Fn::GetAtt: [hello, Arn]`, `Ref: hello`): those become the function's logical id.
fn name_functions(v: &mut Value, ids: &Map) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(a)) = m.get_mut("Fn::GetAtt")
                && let Some(id) = a.first().and_then(Value::as_str).and_then(|n| ids.get(n))
            {
                a[0] = id.clone();
            }
            if let Some(Value::String(r)) = m.get_mut("Ref")
                && let Some(Value::String(id)) = ids.get(r.as_str())
            {
                *r = id.clone();
            }
            m.values_mut().for_each(|x| name_functions(x, ids));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| name_functions(x, ids)),
        _ => {}
    }
}

struct Vars<'a> {
    root: &'a Value,
    stage: &'a str,
    region: &'a str,
    account: &'a str,
}

impl Vars<'_> {
    /// Every `${...}` variable of the framework resolved in `v`.
    fn resolve(&self, v: &Value, notes: &mut Vec<String>, depth: usize) -> Value {
        match v {
            Value::String(s) if s.contains("${") && depth < 10 => self.string(s, notes, depth),
            Value::Array(a) => {
                Value::Array(a.iter().map(|x| self.resolve(x, notes, depth)).collect())
            }
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.resolve(x, notes, depth)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn string(&self, s: &str, notes: &mut Vec<String>, depth: usize) -> Value {
        // The innermost variable first: `${self:custom.${opt:stage}}`.
        let mut text = s.to_string();
        for _ in 0..32 {
            let Some(start) = innermost(&text) else { break };
            let end = start + text[start..].find('}').unwrap_or(text.len() - start);
            let body = text[start + 2..end].to_string();
            let Some(value) = self.variable(&body, notes, depth) else {
                // Left as it is (not a framework variable, or not resolvable here).
                return Value::from(text);
            };
            if start == 0 && end + 1 == text.len() {
                return value;
            }
            text.replace_range(start..=end, &super::cfn::scalar_text(&value));
        }
        Value::from(text)
    }

    fn variable(&self, body: &str, notes: &mut Vec<String>, depth: usize) -> Option<Value> {
        let (source, fallback) = match split_fallback(body) {
            Some((s, f)) => (s.trim(), Some(f.trim())),
            None => (body.trim(), None),
        };
        let fallback_value =
            || fallback.map(|f| Value::from(f.trim_matches(|c| c == '\'' || c == '"')));
        let found = if let Some(path) = source.strip_prefix("self:") {
            self.root
                .pointer(&format!("/{}", path.replace('.', "/")))
                .map(|v| self.resolve(v, notes, depth + 1))
        } else if let Some(opt) = source.strip_prefix("opt:") {
            match opt {
                "stage" => Some(Value::String(self.stage.into())),
                "region" => Some(Value::String(self.region.into())),
                _ => None,
            }
        } else if let Some(sls) = source.strip_prefix("sls:") {
            match sls {
                "stage" => Some(Value::String(self.stage.into())),
                "instanceId" => Some(Value::String("stepdbg".into())),
                _ => None,
            }
        } else if let Some(aws) = source.strip_prefix("aws:") {
            match aws {
                "region" => Some(Value::String(self.region.into())),
                "accountId" => Some(Value::String(self.account.into())),
                _ => None,
            }
        } else if let Some(name) = source.strip_prefix("env:") {
            std::env::var(name).ok().map(Value::from)
        } else {
            // ${file(...)}, ${ssm:...}, ${cf:...}: not here.
            if source.contains(':') || source.contains('(') {
                let v = fallback_value();
                if v.is_none() {
                    notes.push(format!(
                        "${{{body}}} reads from outside the service: give a value with --define"
                    ));
                }
                return v;
            }
            return None;
        };
        found.or_else(fallback_value)
    }
}

/// Where the innermost `${` starts (one whose body holds no other `${`).
fn innermost(s: &str) -> Option<usize> {
    let mut best = None;
    let mut i = 0;
    while let Some(p) = s[i..].find("${") {
        let at = i + p;
        let close = s[at..].find('}').map(|c| at + c)?;
        if !s[at + 2..close].contains("${") {
            best = Some(at);
            break;
        }
        i = at + 2;
    }
    best
}

/// `opt:stage, 'dev'` → (`opt:stage`, `'dev'`): the first top-level comma.
fn split_fallback(body: &str) -> Option<(&str, &str)> {
    let mut depth = 0;
    for (i, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => return Some((&body[..i], &body[i + 1..])),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_functions_and_state_machines() {
        let file = json!({
            "service": "orders",
            "provider": {"name": "aws", "runtime": "python3.12", "stage": "${opt:stage, 'dev'}",
                         "environment": {"TABLE": "${self:service}-${sls:stage}-orders"}},
            "custom": {"limit": 5, "dev": {"color": "blue"}},
            "functions": {"check-stock": {"handler": "handler.check"}},
            "stepFunctions": {"stateMachines": {"orderFlow": {
                "definition": {"StartAt": "A", "States": {"A": {"Type": "Task",
                    "Resource": {"Fn::GetAtt": ["check-stock", "Arn"]},
                    "Parameters": {"limit": "${self:custom.limit}", "color": "${self:custom.${sls:stage}.color}"},
                    "End": true}}}
            }}}
        });
        let c = convert(&file, None, "eu-west-1", "111122223333");
        let r = &c.template["Resources"];
        let f = &r["CheckDashstockLambdaFunction"]["Properties"];
        assert_eq!(f["FunctionName"], "orders-dev-check-stock");
        assert_eq!(f["Runtime"], "python3.12");
        assert_eq!(f["Environment"]["Variables"]["TABLE"], "orders-dev-orders");
        let sm = &r["OrderFlowStepFunctionsStateMachine"]["Properties"];
        let a = &sm["Definition"]["States"]["A"];
        assert_eq!(
            a["Resource"],
            json!({"Fn::GetAtt": ["CheckDashstockLambdaFunction", "Arn"]})
        );
        assert_eq!(a["Parameters"]["limit"], json!(5));
        assert_eq!(a["Parameters"]["color"], "blue");
        assert_eq!(
            c.definitions,
            vec![(
                "OrderFlowStepFunctionsStateMachine".to_string(),
                "orderFlow".to_string(),
                "/stepFunctions/stateMachines/orderFlow/definition".to_string()
            )]
        );
    }
}
