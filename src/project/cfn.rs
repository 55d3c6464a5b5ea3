//! CloudFormation's intrinsic functions, evaluated as a deployment would: `Ref`,
//! `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap`,
//! `Fn::If` and the conditions, `Fn::GetAZs`, `Fn::Base64`, `Fn::ToJsonString`, with the
//! pseudo parameters. A resource's name is its name property, else the name CloudFormation
//! would generate (deterministic here); its ARN is the one AWS would give it, so a
//! definition runs and `policy` prints meaningful ARNs.

use crate::json;
use crate::json::{Map, Value};
use std::collections::HashMap;

/// Where the stack is deployed, and what its parameters are.
#[derive(Debug, Clone)]
pub struct Stack<'t> {
    pub template: &'t Value,
    pub partition: String,
    pub region: String,
    pub account: String,
    pub stack_name: String,
    /// Parameter values given (`--parameter KEY=VALUE`), over the template's defaults.
    pub parameters: HashMap<String, String>,
}

/// Why a value could not be worked out (shown to the person, who can `--define` it).
pub type Unresolved = String;

impl<'t> Stack<'t> {
    fn resources(&self) -> Option<&'t Map> {
        self.template.get("Resources")?.as_object()
    }

    pub fn resource(&self, logical_id: &str) -> Option<&'t Value> {
        self.resources()?.get(logical_id)
    }

    pub fn resource_type(&self, logical_id: &str) -> Option<&'t str> {
        self.resource(logical_id)?.get("Type")?.as_str()
    }

    fn property(&self, logical_id: &str, name: &str) -> Option<&'t Value> {
        self.resource(logical_id)?.get("Properties")?.get(name)
    }

    /// Evaluate every intrinsic function in `v`.
    pub fn eval(&self, v: &Value) -> Result<Value, Unresolved> {
        self.eval_with(v, &Map::new())
    }

    fn eval_with(&self, v: &Value, vars: &Map) -> Result<Value, Unresolved> {
        match v {
            Value::Object(m) if m.len() == 1 => {
                let (k, arg) = m.iter().next().expect("one member");
                match self.function(k, arg, vars) {
                    Some(r) => r,
                    None => Ok(Value::Object(self.eval_members(m, vars)?)),
                }
            }
            Value::Object(m) => Ok(Value::Object(self.eval_members(m, vars)?)),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for item in a {
                    // `Ref: AWS::NoValue` removes the item.
                    if !is_no_value(item) {
                        out.push(self.eval_with(item, vars)?);
                    }
                }
                Ok(Value::Array(out))
            }
            other => Ok(other.clone()),
        }
    }

    fn eval_members(&self, m: &Map, vars: &Map) -> Result<Map, Unresolved> {
        let mut out = Map::new();
        for (k, v) in m {
            if !is_no_value(v) {
                out.insert(k.clone(), self.eval_with(v, vars)?);
            }
        }
        Ok(out)
    }

    /// An intrinsic function call; None when `name` is not one.
    fn function(&self, name: &str, arg: &Value, vars: &Map) -> Option<Result<Value, Unresolved>> {
        let arg_eval = || self.eval_with(arg, vars);
        Some(match name {
            "Ref" => match arg {
                Value::String(n) => self.reference(n),
                other => Err(format!("Ref takes a name, not {other}")),
            },
            "Fn::GetAtt" => self.get_att(arg, vars),
            "Fn::Sub" => self.sub(arg, vars).map(Value::from),
            "Fn::Join" => arg_eval().and_then(|a| join(&a)),
            "Fn::Select" => arg_eval().and_then(|a| select(&a)),
            "Fn::Split" => arg_eval().and_then(|a| split(&a)),
            "Fn::FindInMap" => arg_eval().and_then(|a| self.find_in_map(&a)),
            "Fn::If" => self.if_(arg, vars),
            "Fn::GetAZs" => Ok(json!([
                format!("{}a", self.region),
                format!("{}b", self.region),
                format!("{}c", self.region)
            ])),
            "Fn::Base64" => arg_eval().and_then(|a| match a {
                Value::String(s) => {
                    use base64::Engine;
                    Ok(Value::from(
                        base64::engine::general_purpose::STANDARD.encode(s),
                    ))
                }
                other => Err(format!("Fn::Base64 takes a string, not {other}")),
            }),
            "Fn::ToJsonString" => arg_eval().map(|a| Value::from(crate::expr::compact(&a))),
            "Fn::Length" => arg_eval().and_then(|a| match a {
                Value::Array(items) => Ok(json!(items.len())),
                other => Err(format!("Fn::Length takes a list, not {other}")),
            }),
            "Fn::ImportValue" => Err(format!(
                "Fn::ImportValue {} reads another stack's export, which is not here",
                crate::expr::compact(arg)
            )),
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" | "Condition" => {
                self.condition_value(name, arg, vars).map(Value::Bool)
            }
            "Fn::Cidr" | "Fn::Transform" => Err(format!("{name} is not evaluated locally")),
            _ => return None,
        })
    }

    /// `Ref NAME`: a parameter's value, a pseudo parameter, or a resource's reference value.
    pub fn reference(&self, name: &str) -> Result<Value, Unresolved> {
        if let Some(v) = self.pseudo(name) {
            return Ok(v);
        }
        if let Some(p) = self.template.get("Parameters").and_then(|p| p.get(name)) {
            return self.parameter(name, p);
        }
        match self.resource_type(name) {
            Some(t) => Ok(Value::from(self.ref_value(name, t))),
            None => Err(format!(
                "Ref {name}: no parameter or resource of that name in the template"
            )),
        }
    }

    fn pseudo(&self, name: &str) -> Option<Value> {
        Some(Value::from(match name {
            "AWS::Region" => self.region.clone(),
            "AWS::AccountId" => self.account.clone(),
            "AWS::Partition" => self.partition.clone(),
            "AWS::StackName" => self.stack_name.clone(),
            "AWS::StackId" => format!(
                "arn:{}:cloudformation:{}:{}:stack/{}/{}",
                self.partition,
                self.region,
                self.account,
                self.stack_name,
                uuid_like(&self.stack_name)
            ),
            "AWS::URLSuffix" => "amazonaws.com".into(),
            "AWS::NotificationARNs" => return Some(json!([])),
            "AWS::NoValue" => return Some(Value::Null),
            _ => return None,
        }))
    }

    fn parameter(&self, name: &str, p: &Value) -> Result<Value, Unresolved> {
        let text = match self.parameters.get(name) {
            Some(v) => v.clone(),
            None => match p.get("Default") {
                Some(Value::String(s)) => s.to_string(),
                Some(Value::Null) | None => {
                    return Err(format!(
                        "parameter {name} has no Default: give it with --parameter {name}=VALUE"
                    ));
                }
                Some(other) => crate::expr::compact(other),
            },
        };
        let list = p
            .get("Type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.starts_with("List<") || t == "CommaDelimitedList");
        Ok(if list {
            Value::Array(text.split(',').map(|s| Value::from(s.trim())).collect())
        } else {
            Value::from(text)
        })
    }

    /// The physical name of a resource: its name property, else a generated one
    /// (`STACK-LogicalId-XXXXXXXXXXXX`, as CloudFormation makes them).
    pub fn physical_name(&self, logical_id: &str) -> String {
        let t = self.resource_type(logical_id).unwrap_or("");
        let prop = name_property(t);
        if let Some(p) = prop.and_then(|p| self.property(logical_id, p))
            && let Ok(Value::String(s)) = self.eval(p)
        {
            return s.into_string();
        }
        let max: usize = match t {
            "AWS::Serverless::Function" | "AWS::Lambda::Function" | "AWS::IAM::Role" => 64,
            "AWS::S3::Bucket" => 63,
            _ => 80,
        };
        let suffix = generated_suffix(&self.stack_name, logical_id);
        let room = max.saturating_sub(suffix.len() + 2);
        let stack: String = self.stack_name.chars().take(room / 2).collect();
        let id: String = logical_id
            .chars()
            .take(room.saturating_sub(stack.len()))
            .collect();
        let name = format!("{stack}-{id}-{suffix}");
        if t == "AWS::S3::Bucket" {
            name.to_ascii_lowercase()
        } else {
            name
        }
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }

    /// What `Ref` gives for a resource of type `t`.
    fn ref_value(&self, id: &str, t: &str) -> String {
        let name = self.physical_name(id);
        match t {
            "AWS::SNS::Topic" => self.arn("sns", &name),
            "AWS::SQS::Queue" => format!(
                "https://sqs.{}.{}/{}/{name}",
                self.region, "amazonaws.com", self.account
            ),
            "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
                self.arn("states", &format!("stateMachine:{name}"))
            }
            "AWS::StepFunctions::Activity" => self.arn("states", &format!("activity:{name}")),
            "AWS::Serverless::Api" | "AWS::ApiGateway::RestApi" | "AWS::ApiGatewayV2::Api" => {
                generated_suffix(&self.stack_name, id)[..10].to_ascii_lowercase()
            }
            _ => name,
        }
    }

    /// `Fn::GetAtt [Resource, Attribute]` (also `Resource.Attribute`).
    fn get_att(&self, arg: &Value, vars: &Map) -> Result<Value, Unresolved> {
        let (id, attr) = match arg {
            Value::Array(a) if a.len() == 2 => {
                let id = a[0]
                    .as_str()
                    .ok_or("Fn::GetAtt: the resource must be a name")?;
                let attr = match self.eval_with(&a[1], vars)? {
                    Value::String(s) => s.into_string(),
                    other => return Err(format!("Fn::GetAtt: attribute {other} is not a name")),
                };
                (id.to_string(), attr)
            }
            Value::String(s) => match s.split_once('.') {
                Some((id, attr)) => (id.to_string(), attr.to_string()),
                None => return Err(format!("Fn::GetAtt {s}: expected Resource.Attribute")),
            },
            other => {
                return Err(format!(
                    "Fn::GetAtt {other}: expected [Resource, Attribute]"
                ));
            }
        };
        self.attribute(&id, &attr)
    }

    /// A resource's attribute: the ARN and the names AWS would give.
    pub fn attribute(&self, id: &str, attr: &str) -> Result<Value, Unresolved> {
        let Some(t) = self.resource_type(id) else {
            return Err(format!(
                "Fn::GetAtt {id}.{attr}: no resource {id} in the template"
            ));
        };
        let name = self.physical_name(id);
        let s = match (t, attr) {
            ("AWS::Serverless::Function" | "AWS::Lambda::Function", "Arn") => {
                self.arn("lambda", &format!("function:{name}"))
            }
            ("AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine", "Arn") => {
                self.arn("states", &format!("stateMachine:{name}"))
            }
            (
                "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine",
                "Name" | "StateMachineName",
            ) => name,
            ("AWS::SNS::Topic", "TopicArn" | "Arn") => self.arn("sns", &name),
            ("AWS::SNS::Topic", "TopicName") => name,
            ("AWS::SQS::Queue", "Arn") => self.arn("sqs", &name),
            ("AWS::SQS::Queue", "QueueName") => name,
            ("AWS::SQS::Queue", "QueueUrl") => self.ref_value(id, t),
            ("AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable", "Arn") => {
                self.arn("dynamodb", &format!("table/{name}"))
            }
            ("AWS::DynamoDB::Table", "StreamArn") => self.arn(
                "dynamodb",
                &format!("table/{name}/stream/2024-01-01T00:00:00.000"),
            ),
            ("AWS::S3::Bucket", "Arn") => format!("arn:{}:s3:::{name}", self.partition),
            ("AWS::S3::Bucket", "DomainName") => format!("{name}.s3.amazonaws.com"),
            ("AWS::S3::Bucket", "RegionalDomainName") => {
                format!("{name}.s3.{}.amazonaws.com", self.region)
            }
            ("AWS::IAM::Role", "Arn") => {
                format!("arn:{}:iam::{}:role/{name}", self.partition, self.account)
            }
            ("AWS::IAM::Role", "RoleId") => generated_suffix(&self.stack_name, id),
            ("AWS::Events::EventBus", "Arn") => self.arn("events", &format!("event-bus/{name}")),
            ("AWS::Events::EventBus", "Name") => name,
            ("AWS::Events::Rule", "Arn") => self.arn("events", &format!("rule/{name}")),
            ("AWS::StepFunctions::Activity", "Name") => name,
            (_, "Arn") => {
                let service = service_of(t);
                self.arn(&service, &format!("{}/{name}", resource_word(t)))
            }
            (_, "Name") => name,
            _ => format!("{name}-{attr}"),
        };
        Ok(Value::from(s))
    }

    /// `Fn::Sub`: a string with `${Name}`, `${Resource.Attribute}` and `${!Literal}`, or
    /// `[string, {Name: value}]`.
    fn sub(&self, arg: &Value, outer: &Map) -> Result<String, Unresolved> {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), outer.clone()),
            Value::Array(a) if a.len() == 2 => {
                let text = a[0]
                    .as_str()
                    .ok_or("Fn::Sub: the first item must be a string")?;
                let mut vars = outer.clone();
                if let Some(m) = a[1].as_object() {
                    for (k, v) in m {
                        vars.insert(k.clone(), self.eval_with(v, outer)?);
                    }
                }
                (text, vars)
            }
            other => {
                return Err(format!(
                    "Fn::Sub {other}: expected a string or [string, map]"
                ));
            }
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let v = match vars.get(name) {
                    Some(v) => v.clone(),
                    None => match name.split_once('.') {
                        Some((id, attr))
                            if self.pseudo(name).is_none()
                                && self
                                    .template
                                    .get("Parameters")
                                    .is_none_or(|p| p.get(name).is_none()) =>
                        {
                            self.attribute(id, attr)?
                        }
                        _ => self.reference(name)?,
                    },
                };
                out.push_str(&scalar_text(&v));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn find_in_map(&self, a: &Value) -> Result<Value, Unresolved> {
        let keys: Vec<&str> = a
            .as_array()
            .filter(|a| a.len() == 3)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let [map, top, second] = keys.as_slice() else {
            return Err(format!(
                "Fn::FindInMap {a}: expected [Map, TopKey, SecondKey]"
            ));
        };
        self.template
            .get("Mappings")
            .and_then(|m| m.get(map))
            .and_then(|m| m.get(top))
            .and_then(|m| m.get(second))
            .cloned()
            .ok_or_else(|| format!("Fn::FindInMap: no {map}.{top}.{second} in Mappings"))
    }

    fn if_(&self, arg: &Value, vars: &Map) -> Result<Value, Unresolved> {
        let Some([cond, yes, no]) = arg.as_array().map(Vec::as_slice).and_then(|a| {
            <&[Value; 3]>::try_from(a)
                .ok()
                .map(|a| [&a[0], &a[1], &a[2]])
        }) else {
            return Err(format!("Fn::If {arg}: expected [Condition, then, else]"));
        };
        let name = cond
            .as_str()
            .ok_or("Fn::If: the condition must be a name")?;
        let chosen = if self.condition(name, vars)? { yes } else { no };
        self.eval_with(chosen, vars)
    }

    /// A named condition of the template's `Conditions`.
    fn condition(&self, name: &str, vars: &Map) -> Result<bool, Unresolved> {
        let c = self
            .template
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| format!("no condition {name} in Conditions"))?;
        match c.as_object().and_then(|m| m.iter().next()) {
            Some((f, arg)) => self.condition_value(f, arg, vars),
            None => Err(format!("condition {name} is not a condition function")),
        }
    }

    fn condition_value(&self, f: &str, arg: &Value, vars: &Map) -> Result<bool, Unresolved> {
        let items = || arg.as_array().cloned().unwrap_or_default();
        let truth = |v: &Value| -> Result<bool, Unresolved> {
            match v {
                Value::Object(m) if m.len() == 1 => {
                    let (f, a) = m.iter().next().expect("one member");
                    self.condition_value(f, a, vars)
                }
                other => match self.eval_with(other, vars)? {
                    Value::Bool(b) => Ok(b),
                    Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
                    other => Err(format!("{other} is not a condition")),
                },
            }
        };
        match f {
            "Fn::Equals" => {
                let a = items();
                if a.len() != 2 {
                    return Err(format!("Fn::Equals {arg}: expected two values"));
                }
                Ok(scalar_text(&self.eval_with(&a[0], vars)?)
                    == scalar_text(&self.eval_with(&a[1], vars)?))
            }
            "Fn::Not" => Ok(!truth(items().first().unwrap_or(&Value::Null))?),
            "Fn::And" => items().iter().try_fold(true, |acc, c| Ok(acc && truth(c)?)),
            "Fn::Or" => items()
                .iter()
                .try_fold(false, |acc, c| Ok(acc || truth(c)?)),
            "Condition" => self.condition(arg.as_str().unwrap_or_default(), vars),
            _ => Err(format!("{f} is not a condition function")),
        }
    }
}

fn is_no_value(v: &Value) -> bool {
    v.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue")
        && v.as_object().is_some_and(|m| m.len() == 1)
}

/// A scalar as the text it stands for in a string.
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Array(a) => a.iter().map(scalar_text).collect::<Vec<_>>().join(","),
        other => crate::expr::compact(other),
    }
}

fn join(a: &Value) -> Result<Value, Unresolved> {
    match a.as_array().map(Vec::as_slice) {
        Some([Value::String(sep), Value::Array(items)]) => Ok(Value::from(
            items.iter().map(scalar_text).collect::<Vec<_>>().join(sep),
        )),
        _ => Err(format!("Fn::Join {a}: expected [separator, [values]]")),
    }
}

fn select(a: &Value) -> Result<Value, Unresolved> {
    match a.as_array().map(Vec::as_slice) {
        Some([i, Value::Array(items)]) => {
            let i = match i {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            }
            .ok_or_else(|| format!("Fn::Select: index {i} is not a number"))?;
            items
                .get(i as usize)
                .cloned()
                .ok_or_else(|| format!("Fn::Select: no item {i} in a list of {}", items.len()))
        }
        _ => Err(format!("Fn::Select {a}: expected [index, [values]]")),
    }
}

fn split(a: &Value) -> Result<Value, Unresolved> {
    match a.as_array().map(Vec::as_slice) {
        Some([Value::String(sep), Value::String(s)]) if !sep.is_empty() => Ok(Value::Array(
            s.split(sep.as_str()).map(Value::from).collect(),
        )),
        _ => Err(format!("Fn::Split {a}: expected [separator, string]")),
    }
}

/// The property that names a resource of type `t`.
fn name_property(t: &str) -> Option<&'static str> {
    Some(match t {
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => "FunctionName",
        "AWS::Serverless::StateMachine" => "Name",
        "AWS::StepFunctions::StateMachine" => "StateMachineName",
        "AWS::SNS::Topic" => "TopicName",
        "AWS::SQS::Queue" => "QueueName",
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => "TableName",
        "AWS::S3::Bucket" => "BucketName",
        "AWS::IAM::Role" => "RoleName",
        "AWS::Events::EventBus" | "AWS::StepFunctions::Activity" | "AWS::Events::Rule" => "Name",
        _ => return None,
    })
}

/// `AWS::Glue::Crawler` → `glue`.
fn service_of(t: &str) -> String {
    t.split("::")
        .nth(1)
        .unwrap_or("resource")
        .to_ascii_lowercase()
}

/// `AWS::Glue::Crawler` → `crawler`.
fn resource_word(t: &str) -> String {
    t.rsplit("::")
        .next()
        .unwrap_or("resource")
        .to_ascii_lowercase()
}

/// 12 upper-case letters and digits, the same for the same stack and logical id.
fn generated_suffix(stack: &str, logical_id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{stack}/{logical_id}").as_bytes());
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    digest
        .iter()
        .take(12)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn uuid_like(seed: &str) -> String {
    let h = generated_suffix(seed, "stack-id").to_ascii_lowercase();
    format!("{}-0000-4000-8000-{}000000000000", &h[..8], &h[8..12])[..36].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(template: &Value) -> Stack<'_> {
        Stack {
            template,
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "111122223333".into(),
            stack_name: "shop".into(),
            parameters: HashMap::from([("Stage".to_string(), "prod".to_string())]),
        }
    }

    #[test]
    fn references_and_attributes_are_what_aws_would_give() {
        let t = json!({
            "Parameters": {"Stage": {"Type": "String", "Default": "dev"}, "Size": {"Type": "Number", "Default": 3}},
            "Mappings": {"Images": {"eu-west-1": {"AMI": "ami-1"}}},
            "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
            "Resources": {
                "CheckStock": {"Type": "AWS::Serverless::Function", "Properties": {"FunctionName": {"Fn::Sub": "check-stock-${Stage}"}}},
                "Anon": {"Type": "AWS::Serverless::Function", "Properties": {}},
                "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "orders"}},
                "Topic": {"Type": "AWS::SNS::Topic"},
                "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}}
            }
        });
        let s = stack(&t);
        let e = |v: Value| s.eval(&v).unwrap();
        assert_eq!(e(json!({"Ref": "Stage"})), "prod");
        assert_eq!(e(json!({"Ref": "Size"})), "3");
        assert_eq!(
            e(json!({"Fn::GetAtt": ["CheckStock", "Arn"]})),
            "arn:aws:lambda:eu-west-1:111122223333:function:check-stock-prod"
        );
        assert_eq!(e(json!({"Ref": "CheckStock"})), "check-stock-prod");
        let anon = e(json!({"Ref": "Anon"}));
        assert!(anon.as_str().unwrap().starts_with("shop-Anon-"), "{anon}");
        assert_eq!(
            anon,
            e(json!({"Ref": "Anon"})),
            "generated names are stable"
        );
        assert_eq!(
            e(json!({"Fn::GetAtt": "Orders.Arn"})),
            "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"
        );
        assert_eq!(
            e(json!({"Ref": "Queue"})),
            "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs"
        );
        assert!(
            e(json!({"Ref": "Topic"}))
                .as_str()
                .unwrap()
                .starts_with("arn:aws:sns:eu-west-1:111122223333:shop-Topic-")
        );
        assert_eq!(
            e(
                json!({"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:x/${Orders}/${!Literal}"})
            ),
            "arn:aws:states:eu-west-1:111122223333:x/orders/${Literal}"
        );
        assert_eq!(
            e(json!({"Fn::Sub": ["${A}-${Queue.QueueName}", {"A": {"Ref": "Stage"}}]})),
            "prod-jobs"
        );
        assert_eq!(
            e(json!({"Fn::Join": [".", ["a", {"Ref": "Stage"}]]})),
            "a.prod"
        );
        assert_eq!(
            e(json!({"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]})),
            "b"
        );
        assert_eq!(
            e(json!({"Fn::FindInMap": ["Images", {"Ref": "AWS::Region"}, "AMI"]})),
            "ami-1"
        );
        assert_eq!(e(json!({"Fn::If": ["IsProd", "big", "small"]})), "big");
        assert_eq!(
            e(json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})),
            "eu-west-1a"
        );
        assert_eq!(e(json!(["a", {"Ref": "AWS::NoValue"}])), json!(["a"]));
        assert!(
            s.eval(&json!({"Ref": "Nope"}))
                .unwrap_err()
                .contains("no parameter or resource")
        );
        assert!(s.eval(&json!({"Fn::ImportValue": "x"})).is_err());
    }
}
