//! The template's Lambda functions and their local code, which function each Task state
//! calls, and the backends that run them: a Python or Node handler at its `CodeUri` +
//! `Handler` runs as Lambda runs it, with no configuration.

use super::{Project, StateMachine};
use crate::asl::Definition;
use crate::asl::model::{Machine, StateKind};
use crate::integrations::lambda::{FunctionId, is_invoke};
use crate::integrations::routes::Route;
use crate::json::{Map, Value};
use std::path::{Path, PathBuf};

/// One Lambda function of the template.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub logical_id: String,
    pub resource_type: String,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    /// `CodeUri` as written (after `Globals`), or the CDK asset path.
    pub code_uri: Option<String>,
    /// The code folder, when it is local.
    pub code_path: Option<PathBuf>,
    /// The file that defines the handler, when it is there.
    pub handler_file: Option<PathBuf>,
    /// For a build output that is not there (TypeScript's `dist/`): the source it comes from.
    pub handler_source: Option<PathBuf>,
    /// The function's name as deployed, and its ARN.
    pub name: String,
    pub arn: String,
    /// Properties that came from `Globals.Function`.
    pub from_globals: Vec<String>,
    /// `Timeout` in seconds, when given.
    pub timeout: Option<f64>,
    /// `Environment.Variables` (with `Globals`'), worked out.
    pub environment: Vec<(String, String)>,
    /// Why stepdbg cannot run it locally (then a mock, an endpoint or a person answers).
    pub not_local: Option<String>,
}

impl Function {
    /// The backend that runs this function here, as a `--function` would write it.
    pub fn backend(&self) -> Option<String> {
        if self.not_local.is_some() {
            return None;
        }
        let file = self.handler_file.as_ref()?;
        let (_, name) = self.handler.as_deref()?.rsplit_once('.')?;
        let mut spec = format!("handler:{}:{name}", file.display());
        if let Some(t) = self.timeout.filter(|t| *t > 0.0) {
            spec.push_str(&format!("?timeout={t}"));
        }
        Some(spec)
    }

    fn is_python(&self) -> bool {
        self.runtime
            .as_deref()
            .is_some_and(|r| r.starts_with("python"))
    }

    fn is_node(&self) -> bool {
        self.runtime
            .as_deref()
            .is_some_and(|r| r.starts_with("nodejs"))
    }
}

/// Every Lambda function of the template.
pub fn read(project: &Project) -> Vec<Function> {
    let Some(resources) = project.resources() else {
        return Vec::new();
    };
    let stack = project.stack();
    let empty = Map::new();
    let globals = project.globals("Function").unwrap_or(&empty);
    let mut out = Vec::new();
    for (id, r) in resources {
        let t = r.get("Type").and_then(Value::as_str).unwrap_or("");
        let sam = t == "AWS::Serverless::Function";
        if !sam && t != "AWS::Lambda::Function" {
            continue;
        }
        let props = r
            .get("Properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut from_globals = Vec::new();
        let mut prop = |name: &str| -> Option<Value> {
            match props.get(name) {
                Some(v) => stack.eval(v).ok(),
                None if sam => {
                    let v = globals.get(name)?;
                    from_globals.push(name.to_string());
                    stack.eval(v).ok()
                }
                None => None,
            }
        };
        let text = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
        let runtime = text(prop("Runtime"));
        let handler = text(prop("Handler"));
        let timeout = prop("Timeout").and_then(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
        let package_image = text(prop("PackageType")).is_some_and(|p| p == "Image");
        // SAM merges the variables of Globals with the function's own (the function wins).
        let mut environment: Vec<(String, String)> = Vec::new();
        let own_env = props.get("Environment").and_then(|e| stack.eval(e).ok());
        let global_env = globals
            .get("Environment")
            .filter(|_| sam)
            .and_then(|e| stack.eval(e).ok());
        for env in [global_env, own_env].into_iter().flatten() {
            if let Some(vars) = env.get("Variables").and_then(Value::as_object) {
                for (k, v) in vars {
                    environment.retain(|(name, _)| name != k);
                    environment.push((k.to_string(), super::cfn::scalar_text(v)));
                }
            }
        }
        let (code_uri, inline) = if sam {
            (prop("CodeUri"), prop("InlineCode").is_some())
        } else {
            let code = prop("Code");
            let inline = code.as_ref().is_some_and(|c| c.get("ZipFile").is_some());
            (code.filter(|c| !inline && c.is_string()), inline)
        };
        // CDK's synthesized templates say where each function's asset is.
        let asset = r
            .get("Metadata")
            .and_then(|m| m.get("aws:asset:path"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let code_uri_text = match (&code_uri, &asset) {
            (Some(Value::String(s)), _) => Some(s.to_string()),
            (_, Some(a)) => Some(a.clone()),
            (Some(other), None) => Some(crate::expr::compact(other)),
            (None, None) => None,
        };
        let name = stack.physical_name(id);
        let arn = format!(
            "arn:{}:lambda:{}:{}:function:{name}",
            project.scope().partition,
            project.region,
            project.account
        );
        let mut f = Function {
            logical_id: id.to_string(),
            resource_type: t.to_string(),
            runtime,
            handler,
            code_uri: code_uri_text.clone(),
            code_path: None,
            handler_file: None,
            handler_source: None,
            name,
            arn,
            from_globals,
            timeout,
            environment,
            not_local: None,
        };
        f.not_local = if package_image {
            Some(
                "a container image function: run it with `sam local start-lambda` and route it \
                  with --function NAME=endpoint:http://127.0.0.1:3001, or mock it"
                    .into(),
            )
        } else if inline {
            Some("inline code (InlineCode/ZipFile): mock it or answer it by hand".into())
        } else {
            locate_code(project, &mut f, code_uri_text.as_deref())
        };
        out.push(f);
    }
    out
}

/// Find the function's folder and handler file; Some(why) when it cannot run here.
fn locate_code(project: &Project, f: &mut Function, code_uri: Option<&str>) -> Option<String> {
    let uri = code_uri.unwrap_or(".");
    if uri.starts_with("s3://") || uri.starts_with('{') {
        return Some(format!(
            "CodeUri {uri} is not local: mock the function or route it"
        ));
    }
    let path = project.dir.join(uri);
    if uri.ends_with(".zip") || uri.ends_with(".jar") {
        return Some(format!(
            "CodeUri {uri} is an archive: unpack it and point CodeUri at the folder, or mock the function"
        ));
    }
    let handler = f.handler.clone()?;
    let Some((module, _)) = handler.rsplit_once('.') else {
        return Some(format!("Handler '{handler}' is not FILE.FUNCTION"));
    };
    if !(f.is_python() || f.is_node()) {
        return Some(format!(
            "runtime {} cannot run here: route it with --function {}=endpoint:URL (`sam local \
             start-lambda`), or mock it",
            f.runtime.as_deref().unwrap_or("(none)"),
            f.name
        ));
    }
    f.code_path = Some(path.clone());
    let candidates: Vec<PathBuf> = if f.is_python() {
        vec![path.join(format!("{}.py", module.replace('.', "/")))]
    } else {
        ["js", "mjs", "cjs"]
            .iter()
            .map(|ext| path.join(format!("{module}.{ext}")))
            .collect()
    };
    if let Some(file) = candidates.into_iter().find(|p| p.is_file()) {
        f.handler_file = Some(file);
        return None;
    }
    if f.is_node() {
        let ts = path.join(format!("{module}.ts"));
        let source = if ts.is_file() {
            Some(ts)
        } else {
            typescript_source(project, &path, module)
        };
        if let Some(src) = source {
            let why = format!(
                "the handler is TypeScript ({}): build it (`npm run build` or `tsc`) so that {} exists",
                project.relative(&src).display(),
                project
                    .relative(&path.join(format!("{module}.js")))
                    .display()
            );
            f.handler_source = Some(src);
            return Some(why);
        }
    }
    Some(if path.is_dir() {
        format!(
            "no file for handler '{handler}' under {}",
            project.relative(&path).display()
        )
    } else {
        format!(
            "CodeUri {} does not exist",
            project.relative(&path).display()
        )
    })
}

/// For a build output folder that is not there (`dist/flights/`), the TypeScript file the
/// handler comes from: `<module>.ts` somewhere in the project, preferring one in a folder
/// of the same name.
fn typescript_source(project: &Project, code: &Path, module: &str) -> Option<PathBuf> {
    let base = Path::new(module).file_name()?.to_string_lossy().to_string();
    let want = format!("{base}.ts");
    let folder = code.file_name().map(|n| n.to_string_lossy().to_string());
    let mut found = Vec::new();
    find_files(&project.dir, &want, 6, &mut found);
    found.sort();
    found
        .iter()
        .find(|p| {
            p.parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().to_string())
                == folder
        })
        .or(found.first())
        .cloned()
}

fn find_files(dir: &Path, name: &str, depth: usize, out: &mut Vec<PathBuf>) {
    if depth == 0 || out.len() > 50 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let file_name = e.file_name().to_string_lossy().to_string();
        if p.is_dir() {
            if !matches!(
                file_name.as_str(),
                "node_modules" | ".git" | ".aws-sam" | "cdk.out" | "__pycache__"
            ) {
                find_files(&p, name, depth - 1, out);
            }
        } else if file_name == name {
            out.push(p);
        }
    }
}

/// A Lambda function a state machine calls, and from which states.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Index into [`Project::functions`]; None when it is not a function of the template.
    pub function: Option<usize>,
    /// The text in the definition (`${CheckStockArn}`, an ARN, a name).
    pub referenced_as: String,
    /// What it is after substitution.
    pub resolves_to: String,
    /// `lambda:invoke`, `lambda:invoke.waitForTaskToken`, `aws-sdk:lambda:invoke` or
    /// `function ARN`.
    pub integration: String,
    /// The Task states, nested ones as `Outer/Inner`.
    pub states: Vec<String>,
    /// Why it maps to no function of the template.
    pub why: Option<String>,
}

/// Every Lambda call of `def` (substituted) with the text the person wrote (`raw`).
pub fn calls(project: &Project, sm: &StateMachine, def: &Definition, raw: &Value) -> Vec<Call> {
    let mut out: Vec<Call> = Vec::new();
    walk(&def.machine, "", &mut |path, pointer, kind| {
        let StateKind::Task(task) = kind else { return };
        let node = def.doc.value().pointer(pointer);
        let raw_node = raw.pointer(pointer);
        let resource = task.resource.as_str();
        let raw_resource =
            raw_text(raw_node, &["Resource"]).unwrap_or_else(|| resource.to_string());
        // A function ARN as the Resource, or a placeholder that stands for one.
        let service_integration = resource.starts_with("arn:") && resource.contains(":states:::");
        let (integration, resolved, referenced) =
            if crate::asl::build::is_lambda_function_arn(resource)
                || (!service_integration && resource.contains("${"))
            {
                (
                    "function ARN".to_string(),
                    resource.to_string(),
                    raw_resource,
                )
            } else if is_invoke(resource) || resource.ends_with(":aws-sdk:lambda:invoke") {
                let field = |n: Option<&Value>| {
                    ["Parameters", "Arguments"].iter().find_map(|p| {
                        let params = n?.get(*p)?;
                        params
                            .get("FunctionName")
                            .or_else(|| params.get("FunctionName.$"))
                            .map(crate::project::cfn::scalar_text)
                    })
                };
                let integration = resource
                    .rsplit_once(":::")
                    .map_or(resource, |(_, r)| r)
                    .to_string();
                let Some(resolved) = field(node) else { return };
                let referenced = field(raw_node).unwrap_or_else(|| resolved.clone());
                (integration, resolved, referenced)
            } else {
                return;
            };
        let (function, why) = map_function(project, sm, &resolved, &referenced);
        match out
            .iter_mut()
            .find(|c| c.function == function && c.referenced_as == referenced)
        {
            Some(c) => c.states.push(path.to_string()),
            None => out.push(Call {
                function,
                referenced_as: referenced,
                resolves_to: resolved,
                integration,
                states: vec![path.to_string()],
                why,
            }),
        }
    });
    out
}

fn raw_text(node: Option<&Value>, path: &[&str]) -> Option<String> {
    let mut v = node?;
    for p in path {
        v = v.get(*p)?;
    }
    v.as_str().map(str::to_string)
}

/// The template function `resolved` names, or why none.
fn map_function(
    project: &Project,
    sm: &StateMachine,
    resolved: &str,
    referenced: &str,
) -> (Option<usize>, Option<String>) {
    if resolved.contains("${") {
        let key = resolved
            .split("${")
            .nth(1)
            .and_then(|r| r.split('}').next())
            .unwrap_or_default();
        let why = match sm.substitutions.iter().find(|s| s.key == key) {
            Some(s) => match &s.value {
                Err(e) => format!("DefinitionSubstitutions.{key}: {e}"),
                Ok(_) => format!("placeholder ${{{key}}} left unresolved"),
            },
            None => format!(
                "placeholder ${{{key}}} has no DefinitionSubstitutions entry{}: give it with --define {key}=VALUE",
                sm.case_hint(key)
            ),
        };
        return (None, Some(why));
    }
    if resolved.starts_with('$') {
        return (
            None,
            Some(format!(
                "the function is chosen at run time ({referenced}): route it with --function"
            )),
        );
    }
    let Some(id) = FunctionId::parse(resolved, &project.scope()) else {
        return (
            None,
            Some(format!("'{resolved}' is not a function name or ARN")),
        );
    };
    match project.functions.iter().position(|f| f.name == id.name) {
        Some(i) => (Some(i), None),
        None => {
            let generated = project
                .functions
                .iter()
                .find(|f| id.name.contains(&format!("-{}-", f.logical_id)))
                .map(|f| {
                    format!(
                        "; the name looks CloudFormation-generated from the logical id {} of an earlier deployment",
                        f.logical_id
                    )
                })
                .unwrap_or_default();
            (
                None,
                Some(format!(
                    "{} is not a function of this template{generated}",
                    id.name
                )),
            )
        }
    }
}

/// Every state, depth first, with its path (`Outer/Inner`), pointer and kind.
pub fn walk<'m>(machine: &'m Machine, prefix: &str, f: &mut dyn FnMut(&str, &str, &'m StateKind)) {
    for s in &machine.states {
        let path = if prefix.is_empty() {
            s.name.to_string()
        } else {
            format!("{prefix}/{}", s.name)
        };
        f(&path, &s.pointer, &s.kind);
        for m in s.sub_machines() {
            walk(m, &path, f);
        }
    }
}

/// The routes that run the template's functions with their handlers (after the person's
/// own: a mock file or a `--function` still wins).
pub fn routes(project: &Project) -> Vec<Route> {
    project
        .functions
        .iter()
        .filter_map(|f| {
            let backend = f.backend()?;
            let file = project.path.file_name().unwrap_or_default();
            let origin = format!("{} ({})", file.to_string_lossy(), f.logical_id);
            let mut route = Route::new(&f.name, &backend, Some(&project.dir), &origin).ok()?;
            route.options.environment.clone_from(&f.environment);
            Some(route)
        })
        .collect()
}
