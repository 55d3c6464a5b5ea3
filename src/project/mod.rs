//! Opening a project as it is written: a SAM or CloudFormation template (a CDK app's
//! synthesized template included), its state machines with their definitions resolved as
//! AWS would deploy them (`DefinitionUri` files, inline `Definition`, `DefinitionString`,
//! `DefinitionSubstitutions` with the intrinsics they hold), and every Lambda function a
//! definition calls mapped to its local handler code (`CodeUri` + `Handler` + `Runtime`,
//! with `Globals`).
//!
//! Sits beside `asl`: it produces [`Definition`]s (spans into the file the person edits)
//! and routes for the function backends; the session and the commands use both.

pub mod cfn;
pub mod functions;
pub mod report;
pub mod serverless;

use crate::asl::Definition;
use crate::asl::source::{self, Dialect, Document, Format, LoadError, SourceFile};
use crate::json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use functions::Function;

/// How to deploy the template, in the person's words: `--parameter`, `--define`, the
/// account and region.
#[derive(Debug, Clone, Default)]
pub struct ProjectOptions {
    pub region: Option<String>,
    pub account: Option<String>,
    pub stack_name: Option<String>,
    /// `--parameter KEY=VALUE`: template parameters over their defaults.
    pub parameters: Vec<(String, String)>,
    /// `--define KEY=VALUE` and `[substitutions]`: placeholders filled or overridden.
    pub defines: Vec<(String, String)>,
}

/// What kind of file the project was written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    Sam,
    CloudFormation,
    /// `serverless.yml` (with the serverless-step-functions plugin).
    Serverless,
}

impl TemplateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Sam => "SAM",
            TemplateKind::CloudFormation => "CloudFormation",
            TemplateKind::Serverless => "Serverless Framework",
        }
    }
}

/// A loaded template.
#[derive(Debug, Clone)]
pub struct Project {
    pub path: PathBuf,
    /// The template's folder: relative paths start here, as for `sam build`.
    pub dir: PathBuf,
    pub kind: TemplateKind,
    pub doc: Document,
    pub state_machines: Vec<StateMachine>,
    pub functions: Vec<Function>,
    /// What a person should hear about the template (duplicate keys kept, ...), located.
    pub notes: Vec<Note>,
    pub options: ProjectOptions,
    region: String,
    account: String,
    stack_name: String,
}

/// Something worth saying, with where (file, 1-based line) when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line) {
            (Some(p), Some(l)) => write!(f, "{}:{l}: {}", p.display(), self.message),
            (Some(p), None) => write!(f, "{}: {}", p.display(), self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// One state machine of the template.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub logical_id: String,
    /// The name people use for it: the logical id, a CDK construct's id (`OrderFlow`), a
    /// serverless.yml key (`greetFlow`).
    pub name: String,
    pub resource_type: String,
    /// STANDARD or EXPRESS.
    pub workflow_type: String,
    pub source: DefinitionSource,
    /// `DefinitionSubstitutions` (and `--define`), each resolved or why not.
    pub substitutions: Vec<Substitution>,
    pub notes: Vec<String>,
}

/// Where a state machine's definition comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum DefinitionSource {
    /// A local file (`DefinitionUri`), absolute.
    File(PathBuf),
    /// `DefinitionUri` names a file that is not there.
    MissingFile(PathBuf),
    /// Inline in the template (`Definition`), at `pointer`; its positions are those of
    /// `spans_at` in the file (the same pointer, except in a serverless.yml).
    Inline { pointer: String, spans_at: String },
    /// `DefinitionString` at this pointer (a string, `Fn::Sub` or `Fn::Join`).
    String(String),
    /// In S3 (`DefinitionUri: {Bucket, Key}`, `DefinitionS3Location`): not local.
    S3 { bucket: String, key: String },
    /// The resource has no definition at all.
    None,
}

impl DefinitionSource {
    pub fn describe(&self) -> &'static str {
        match self {
            DefinitionSource::File(_) | DefinitionSource::MissingFile(_) => "DefinitionUri",
            DefinitionSource::Inline { .. } => "Definition",
            DefinitionSource::String(_) => "DefinitionString",
            DefinitionSource::S3 { .. } => "DefinitionUri (S3)",
            DefinitionSource::None => "none",
        }
    }
}

impl StateMachine {
    /// For a placeholder with no value: the substitution whose key differs from it only in
    /// letter case, said as a hint (empty when there is none).
    pub fn case_hint(&self, key: &str) -> String {
        self.substitutions
            .iter()
            .find(|s| s.key.eq_ignore_ascii_case(key))
            .map(|s| format!(" (the key {} differs only in letter case)", s.key))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Substitution {
    pub key: String,
    /// The text that replaces `${key}`, or why it cannot be worked out.
    pub value: Result<String, String>,
    /// Given with `--define` (over the template's value).
    pub defined: bool,
}

/// Why a project could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{0}")]
    NotATemplate(String),
    #[error("{0}")]
    StateMachine(String),
}

/// Is this parsed document a CloudFormation/SAM template (rather than a definition)?
pub fn is_template(value: &Value) -> bool {
    value.get("States").is_none()
        && (value.get("Resources").is_some()
            || value.get("AWSTemplateFormatVersion").is_some()
            || value.get("Transform").is_some())
}

/// Does the file at `path` look like a template (or a serverless.yml)? Told from its
/// top-level keys, read without parsing the rest (a definition is parsed once, not twice);
/// when they cannot be told apart so, parsed as leniently as a template would be. A
/// top-level `States` makes it a definition, whatever else it holds. False when it cannot
/// be read.
pub fn looks_like_template(path: &Path) -> bool {
    let Ok(bytes) = source::read_file(path) else {
        return false;
    };
    if let Some(keys) = std::str::from_utf8(&bytes).ok().and_then(top_level_keys) {
        let has = |k: &str| keys.iter().any(|x| x == k);
        return !has("States")
            && (has("Resources")
                || has("AWSTemplateFormatVersion")
                || has("Transform")
                || (has("service") && has("provider")));
    }
    read_template(path)
        .is_ok_and(|(doc, _)| is_template(doc.value()) || serverless::is_serverless(doc.value()))
}

/// The keys of the top-level object of a JSON or YAML text, found without parsing the
/// values, up to `States` (the scan stops there: a definition's states are most of its
/// text, and that key alone decides); None when the text is not shaped so that a scan can
/// tell (flow-style YAML, anything odd), and the caller parses it.
fn top_level_keys(text: &str) -> Option<Vec<String>> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') {
        json_top_level_keys(body)
    } else {
        yaml_top_level_keys(body)
    }
}

fn json_top_level_keys(text: &str) -> Option<Vec<String>> {
    let b = text.as_bytes();
    let (mut depth, mut i, mut keys) = (0usize, 0usize, Vec::new());
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(b.len());
                // A string at depth 1 followed by ':' is a top-level key.
                if depth == 1 {
                    let rest = text.get(end + 1..)?.trim_start();
                    if rest.starts_with(':') {
                        let key = text.get(start..end)?;
                        keys.push(key.to_string());
                        if key == "States" {
                            return Some(keys);
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    // No quoted key at the top (flow-style YAML, `{Resources: ...}`): parse it.
    (!keys.is_empty()).then_some(keys)
}

fn yaml_top_level_keys(text: &str) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    for line in text.lines() {
        let first = line.chars().next();
        match first {
            None | Some(' ' | '\t' | '#') => continue,
            Some('-') if line.starts_with("---") => continue,
            // A top-level sequence or flow collection, a tag, an anchor: parse it.
            Some('-' | '{' | '[' | '!' | '&' | '*' | '%') => return None,
            _ => {}
        }
        let Some((key, _)) = line.split_once(':') else {
            // A multi-line plain scalar or anything else unusual at the top: parse it.
            return None;
        };
        let key = key.trim().trim_matches(['"', '\'']);
        keys.push(key.to_string());
        if key == "States" {
            break;
        }
    }
    Some(keys)
}

fn read_template(path: &Path) -> Result<(Document, Vec<source::SourceNote>), LoadError> {
    let bytes = source::read_file(path)?;
    let text = String::from_utf8(bytes).map_err(|e| LoadError::Syntax {
        path: path.to_path_buf(),
        message: "the file is not UTF-8 text".into(),
        line: 1,
        col: 1,
        offset: e.utf8_error().valid_up_to(),
    })?;
    let ext = |x: &str| path.extension().is_some_and(|e| e.eq_ignore_ascii_case(x));
    // A .yaml file in flow style starts with '{' too.
    let json = ext("json") || (!ext("yaml") && !ext("yml") && text.trim_start().starts_with('{'));
    let format = if json { Format::Json } else { Format::Yaml };
    parse_like_sam(path, text, format)
}

/// SAM CLI reads templates with PyYAML, which lets a multi-line flow collection or quoted
/// scalar end less indented than YAML allows (`KeyPolicy: {` ... `}` back at the key's
/// column); a strict YAML reader refuses that. Such lines are indented until the template
/// reads (their values do not change), each with a note; anything else is the error it is.
fn parse_like_sam(
    path: &Path,
    text: String,
    format: Format,
) -> Result<(Document, Vec<source::SourceNote>), LoadError> {
    const MAX_REPAIRS: usize = 400;
    let mut attempt = text;
    let mut repaired: Vec<usize> = Vec::new();
    let mut first_error = None;
    loop {
        match source::parse_text_as(path, attempt.clone(), format, Dialect::CloudFormation) {
            Ok((doc, mut notes)) => {
                repaired.dedup();
                for line in repaired {
                    notes.push(source::SourceNote {
                        offset: doc.source.line_start(line).unwrap_or(0),
                        message: "this line is indented less than YAML allows inside a flow \
                                  collection or quoted string; SAM CLI accepts it, stricter \
                                  tools do not: indent it further"
                            .into(),
                    });
                }
                return Ok((doc, notes));
            }
            Err(LoadError::Syntax {
                message,
                line,
                offset,
                ..
            }) if message.contains("invalid indentation") && repaired.len() < MAX_REPAIRS => {
                if first_error.is_none() {
                    first_error = Some(line);
                }
                // A quoted scalar is reported where it starts: its later lines are the ones
                // to indent. Otherwise the line reported is the one.
                let targets = if message.contains("quoted scalar") {
                    quoted_continuation_lines(&attempt, offset)
                } else {
                    vec![line]
                };
                if targets.is_empty() {
                    return Err(LoadError::Syntax {
                        path: path.to_path_buf(),
                        message,
                        line,
                        col: 1,
                        offset,
                    });
                }
                for t in targets {
                    attempt = indent_line(&attempt, t, 2);
                    repaired.push(t);
                }
            }
            Err(e) => {
                // The repair did not help: the error as the file has it.
                return match first_error {
                    Some(_) => source::parse_text_as(
                        path,
                        std::fs::read_to_string(path).unwrap_or(attempt),
                        format,
                        Dialect::CloudFormation,
                    ),
                    None => Err(e),
                };
            }
        }
    }
}

/// The 1-based lines after the first of the quoted scalar that starts at (or after) byte
/// `offset`, up to the one that closes it.
fn quoted_continuation_lines(text: &str, offset: usize) -> Vec<usize> {
    let Some(rest) = text.get(offset..) else {
        return Vec::new();
    };
    let Some(open) = rest.find(['"', '\'']) else {
        return Vec::new();
    };
    let quote = rest.as_bytes()[open];
    let bytes = rest.as_bytes();
    let mut i = open + 1;
    let mut close = None;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 1,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            b if b == quote => {
                close = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let Some(close) = close else {
        return Vec::new();
    };
    let line_of = |o: usize| text[..offset + o].matches('\n').count() + 1;
    (line_of(open) + 1..=line_of(close)).collect()
}

/// `text` with 1-based `line` indented by `n` more spaces.
fn indent_line(text: &str, line: usize, n: usize) -> String {
    let mut out = String::with_capacity(text.len() + n);
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            out.push_str(&" ".repeat(n));
        }
        out.push_str(l);
    }
    out
}

impl Project {
    /// Load the template at `path`.
    pub fn load(path: &Path, options: ProjectOptions) -> Result<Project, ProjectError> {
        let (mut doc, source_notes) = read_template(path)?;
        let region = options.region.clone().unwrap_or_else(|| "us-east-1".into());
        let account = options
            .account
            .clone()
            .unwrap_or_else(|| "123456789012".into());
        // A serverless.yml: read as the template it deploys.
        let mut serverless_definitions = Vec::new();
        let mut serverless_notes = Vec::new();
        let is_serverless = serverless::is_serverless(doc.value());
        if is_serverless {
            let stage = options
                .parameters
                .iter()
                .find(|(k, _)| k == "stage")
                .map(|(_, v)| v.as_str());
            let c = serverless::convert(doc.value(), stage, &region, &account);
            *doc.value_mut() = c.template;
            serverless_definitions = c.definitions;
            serverless_notes = c.notes;
        }
        if !is_template(doc.value()) {
            return Err(ProjectError::NotATemplate(format!(
                "{} is not a CloudFormation or SAM template (it has no Resources)",
                path.display()
            )));
        }
        // Absolute, so handler paths work wherever the functions run from.
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf());
        let kind = if is_serverless {
            TemplateKind::Serverless
        } else if transforms(doc.value()).any(|t| t.starts_with("AWS::Serverless")) {
            TemplateKind::Sam
        } else {
            TemplateKind::CloudFormation
        };
        let stack_name = options.stack_name.clone().unwrap_or_else(|| {
            dir.canonicalize()
                .ok()
                .and_then(|d| d.file_name().map(|n| n.to_string_lossy().to_string()))
                .map_or_else(|| "stepdbg-local".into(), |n| stack_name_from(&n))
        });
        let mut notes: Vec<Note> = source_notes
            .into_iter()
            .map(|n| Note {
                file: Some(path.to_path_buf()),
                line: Some(doc.source.line_of(n.offset)),
                message: n.message,
            })
            .collect();
        let mut project = Project {
            path: path.to_path_buf(),
            dir,
            kind,
            doc,
            state_machines: Vec::new(),
            functions: Vec::new(),
            notes: Vec::new(),
            options,
            region,
            account,
            stack_name,
        };
        project.functions = functions::read(&project);
        project.state_machines = project.read_state_machines();
        for sm in &mut project.state_machines {
            if let Some((_, key, at)) = serverless_definitions
                .iter()
                .find(|(id, _, _)| *id == sm.logical_id)
            {
                sm.name.clone_from(key);
                if let DefinitionSource::Inline { spans_at, .. } = &mut sm.source {
                    spans_at.clone_from(at);
                }
            }
        }
        notes.extend(serverless_notes.into_iter().map(|message| Note {
            file: Some(project.path.clone()),
            line: None,
            message,
        }));
        if project.resources().is_none_or(Map::is_empty) {
            notes.push(Note {
                file: Some(project.path.clone()),
                line: None,
                message: "the template declares no resources: nothing to debug yet".into(),
            });
        }
        project.notes = notes;
        Ok(project)
    }

    pub fn resources(&self) -> Option<&Map> {
        self.doc.value().get("Resources")?.as_object()
    }

    /// The intrinsic functions' evaluator for this deployment.
    pub fn stack(&self) -> cfn::Stack<'_> {
        cfn::Stack {
            template: self.doc.value(),
            partition: crate::integrations::lambda::AwsScope::new(&self.region, &self.account)
                .partition,
            region: self.region.clone(),
            account: self.account.clone(),
            stack_name: self.stack_name.clone(),
            parameters: self.options.parameters.iter().cloned().collect(),
        }
    }

    /// The `Globals` section for resources of `kind` (`Function`, `StateMachine`).
    pub fn globals(&self, kind: &str) -> Option<&Map> {
        self.doc.value().get("Globals")?.get(kind)?.as_object()
    }

    fn read_state_machines(&self) -> Vec<StateMachine> {
        let Some(resources) = self.resources() else {
            return Vec::new();
        };
        let stack = self.stack();
        let mut out = Vec::new();
        for (id, r) in resources {
            let t = r.get("Type").and_then(Value::as_str).unwrap_or("");
            if t != "AWS::Serverless::StateMachine" && t != "AWS::StepFunctions::StateMachine" {
                continue;
            }
            let empty = Map::new();
            let props = r
                .get("Properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let pointer = format!("/Resources/{}/Properties", source::pointer_token(id));
            let mut notes = Vec::new();
            let source = self.definition_source(props, &pointer, &stack, &mut notes);
            let workflow_type = props
                .get(if t == "AWS::Serverless::StateMachine" {
                    "Type"
                } else {
                    "StateMachineType"
                })
                .and_then(|v| stack.eval(v).ok())
                .and_then(|v| v.as_str().map(str::to_ascii_uppercase))
                .unwrap_or_else(|| "STANDARD".into());
            let substitutions = self.substitutions(props.get("DefinitionSubstitutions"), &stack);
            // CDK says which construct made the resource: `OrderStack/OrderFlow/Resource`.
            let name = r
                .pointer("/Metadata/aws:cdk:path")
                .and_then(Value::as_str)
                .and_then(|p| p.rsplit('/').nth(1))
                .unwrap_or(id)
                .to_string();
            out.push(StateMachine {
                name,
                logical_id: id.to_string(),
                resource_type: t.to_string(),
                workflow_type,
                source,
                substitutions,
                notes,
            });
        }
        out
    }

    fn definition_source(
        &self,
        props: &Map,
        pointer: &str,
        stack: &cfn::Stack<'_>,
        notes: &mut Vec<String>,
    ) -> DefinitionSource {
        if props.contains_key("Definition") {
            let pointer = format!("{pointer}/Definition");
            return DefinitionSource::Inline {
                spans_at: pointer.clone(),
                pointer,
            };
        }
        if props.contains_key("DefinitionString") {
            return DefinitionSource::String(format!("{pointer}/DefinitionString"));
        }
        let location = props
            .get("DefinitionUri")
            .or_else(|| props.get("DefinitionS3Location"));
        match location.map(|v| stack.eval(v)) {
            Some(Ok(Value::String(uri))) if uri.starts_with("s3://") => {
                let (bucket, key) = uri[5..].split_once('/').unwrap_or((&uri[5..], ""));
                s3_source(bucket, key, notes)
            }
            Some(Ok(Value::String(rel))) => {
                // As the person named the template (relative stays relative in messages).
                let path = self.path.parent().unwrap_or(Path::new("")).join(&rel);
                if path.is_file() {
                    return DefinitionSource::File(path);
                }
                if let Some(found) = case_insensitive(&self.dir, &rel) {
                    notes.push(format!(
                        "DefinitionUri '{rel}' exists only as '{}' (different letter case): it works on \
                         macOS and Windows, but `sam build` on Linux and CI will not find it",
                        found.strip_prefix(&self.dir).unwrap_or(&found).display()
                    ));
                    return DefinitionSource::File(found);
                }
                notes.push(format!(
                    "DefinitionUri '{rel}' does not exist (looked for {})",
                    path.display()
                ));
                DefinitionSource::MissingFile(path)
            }
            Some(Ok(Value::Object(m))) => {
                let text = |k: &str| m.get(k).map(cfn::scalar_text).unwrap_or_default();
                s3_source(&text("Bucket"), &text("Key"), notes)
            }
            Some(Ok(other)) => {
                notes.push(format!("DefinitionUri {other} is not a path"));
                DefinitionSource::None
            }
            Some(Err(why)) => {
                notes.push(format!("DefinitionUri: {why}"));
                DefinitionSource::None
            }
            None => {
                notes.push("no Definition, DefinitionUri or DefinitionString".into());
                DefinitionSource::None
            }
        }
    }

    /// `DefinitionSubstitutions` resolved, then `--define`s over them.
    fn substitutions(&self, subs: Option<&Value>, stack: &cfn::Stack<'_>) -> Vec<Substitution> {
        let mut out: Vec<Substitution> = subs
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| Substitution {
                        key: k.to_string(),
                        value: stack.eval(v).map(|v| cfn::scalar_text(&v)),
                        defined: false,
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (k, v) in &self.options.defines {
            out.retain(|s| &s.key != k);
            out.push(Substitution {
                key: k.clone(),
                value: Ok(v.clone()),
                defined: true,
            });
        }
        out
    }

    /// The state machine `logical_id`, or the only one; with several and no choice, an
    /// error listing them.
    pub fn choose(&self, logical_id: Option<&str>) -> Result<&StateMachine, ProjectError> {
        let ids = || {
            self.state_machines
                .iter()
                .map(|s| s.logical_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match logical_id {
            Some(id) => self
                .state_machines
                .iter()
                .find(|s| s.logical_id == id)
                .or_else(|| self.state_machines.iter().find(|s| s.name == id))
                .ok_or_else(|| {
                    ProjectError::StateMachine(format!(
                        "{} has no state machine {id} (it has: {})",
                        self.path.display(),
                        if self.state_machines.is_empty() {
                            "none".into()
                        } else {
                            ids()
                        }
                    ))
                }),
            None => match self.state_machines.as_slice() {
                [only] => Ok(only),
                [] => Err(ProjectError::StateMachine(format!(
                    "{} declares no state machine (AWS::Serverless::StateMachine or \
                     AWS::StepFunctions::StateMachine)",
                    self.path.display()
                ))),
                _ => Err(ProjectError::StateMachine(format!(
                    "{} has {} state machines: choose one with --state-machine ({})",
                    self.path.display(),
                    self.state_machines.len(),
                    ids()
                ))),
            },
        }
    }

    /// The definition of `sm` as AWS would deploy it: substitutions applied, intrinsics
    /// evaluated, spans pointing into the file the person edits.
    pub fn definition(&self, sm: &StateMachine) -> Result<Definition, ProjectError> {
        self.definition_and_raw(sm).map(|(d, _)| d)
    }

    /// The definition, and its value as written (before substitution).
    pub fn definition_and_raw(
        &self,
        sm: &StateMachine,
    ) -> Result<(Definition, Value), ProjectError> {
        let doc = match &sm.source {
            DefinitionSource::File(p) => source::load_file(p)?,
            DefinitionSource::Inline { pointer, spans_at } => {
                self.inline_document(pointer, spans_at)?
            }
            DefinitionSource::String(pointer) => self.string_document(pointer)?,
            DefinitionSource::MissingFile(p) => {
                return Err(ProjectError::StateMachine(format!(
                    "{}: the definition file {} does not exist",
                    sm.logical_id,
                    p.display()
                )));
            }
            DefinitionSource::S3 { bucket, key } => {
                return Err(ProjectError::StateMachine(format!(
                    "{}: the definition is in S3 (s3://{bucket}/{key}), not in the project; \
                     save it beside the template and point DefinitionUri at it",
                    sm.logical_id
                )));
            }
            DefinitionSource::None => {
                return Err(ProjectError::StateMachine(format!(
                    "{}: {}",
                    sm.logical_id,
                    sm.notes.first().map_or("no definition", String::as_str)
                )));
            }
        };
        let mut doc = doc;
        let raw = doc.value().clone();
        let subs: HashMap<&str, &str> = sm
            .substitutions
            .iter()
            .filter_map(|s| Some((s.key.as_str(), s.value.as_deref().ok()?)))
            .collect();
        substitute(doc.value_mut(), &subs);
        let mut def = Definition::from_document(doc);
        unresolved_warnings(&mut def, sm);
        Ok((def, raw))
    }

    /// An inline `Definition`: its intrinsics evaluated in place (SAM's transform turns
    /// each into a `${definition_substitution_N}` with the same value); spans point into
    /// the template.
    fn inline_document(&self, pointer: &str, spans_at: &str) -> Result<Document, ProjectError> {
        let raw = self
            .doc
            .value()
            .pointer(pointer)
            .ok_or_else(|| ProjectError::StateMachine(format!("no {pointer}")))?;
        let value = self
            .stack()
            .eval(raw)
            .map_err(|why| ProjectError::StateMachine(format!("Definition: {why}")))?;
        Ok(Document::with_spans(
            self.doc.source.clone(),
            value,
            self.doc.spans().rebased(spans_at),
            self.doc.format,
        ))
    }

    /// A `DefinitionString`: worked out to its text, then parsed (positions are in that
    /// text).
    fn string_document(&self, pointer: &str) -> Result<Document, ProjectError> {
        let raw = self
            .doc
            .value()
            .pointer(pointer)
            .ok_or_else(|| ProjectError::StateMachine(format!("no {pointer}")))?;
        let text = match self.stack().eval(raw) {
            Ok(Value::String(s)) => s.into_string(),
            Ok(other) => crate::expr::compact(&other),
            Err(why) => {
                return Err(ProjectError::StateMachine(format!(
                    "DefinitionString: {why}"
                )));
            }
        };
        let label = self.path.with_file_name(format!(
            "{} (DefinitionString)",
            self.path.file_name().unwrap_or_default().to_string_lossy()
        ));
        Ok(source::parse_text(&label, text, Format::Json)?)
    }

    /// A path inside the project as shown: relative to the template's folder.
    pub fn relative(&self, p: &Path) -> PathBuf {
        let absolute = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        absolute
            .strip_prefix(&self.dir)
            .map_or_else(|_| p.to_path_buf(), Path::to_path_buf)
    }

    /// The region and account the template is deployed to.
    pub fn scope(&self) -> crate::integrations::lambda::AwsScope {
        crate::integrations::lambda::AwsScope::new(&self.region, &self.account)
    }

    /// Every file whose change changes what is debugged: the template, the definition file,
    /// the handler files of the functions it calls.
    pub fn watched_files(&self, sm: &StateMachine) -> Vec<PathBuf> {
        let mut out = vec![self.path.clone()];
        if let DefinitionSource::File(p) = &sm.source {
            out.push(p.clone());
        }
        out
    }

    /// A source note for a path inside the template.
    pub fn note_at(&self, pointer: &str, message: String) -> Note {
        let span = self.doc.spans().nearest(pointer);
        Note {
            file: Some(self.path.clone()),
            line: Some(self.doc.source.line_of(span.value.start)),
            message,
        }
    }

    pub fn source_file(&self) -> &SourceFile {
        &self.doc.source
    }
}

fn s3_source(bucket: &str, key: &str, notes: &mut Vec<String>) -> DefinitionSource {
    notes.push(format!(
        "the definition is in S3 (s3://{bucket}/{key}), not in the project"
    ));
    DefinitionSource::S3 {
        bucket: bucket.into(),
        key: key.into(),
    }
}

/// The template's `Transform` entries.
fn transforms(v: &Value) -> impl Iterator<Item = &str> {
    let list: Vec<&str> = match v.get("Transform") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
}

/// A stack name from a folder name (letters, digits and hyphens, starting with a letter).
fn stack_name_from(folder: &str) -> String {
    let s: String = folder
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let s = s.trim_matches('-');
    if s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.chars().take(64).collect()
    } else {
        format!("stack-{s}").chars().take(64).collect()
    }
}

/// `rel` under `dir`, matched without regard to letter case.
fn case_insensitive(dir: &Path, rel: &str) -> Option<PathBuf> {
    let mut at = dir.to_path_buf();
    for part in Path::new(rel).components() {
        let want = part.as_os_str().to_string_lossy().to_lowercase();
        if want == "." {
            continue;
        }
        let next = std::fs::read_dir(&at)
            .ok()?
            .flatten()
            .find(|e| e.file_name().to_string_lossy().to_lowercase() == want)?;
        at = next.path();
    }
    at.is_file().then_some(at)
}

/// Replace `${key}` in every string of the definition (what CloudFormation does to the
/// definition text); placeholders without a value stay as they are.
pub fn substitute(v: &mut Value, subs: &HashMap<&str, &str>) {
    if subs.is_empty() {
        return;
    }
    match v {
        Value::String(s) if s.contains("${") => {
            let mut out = String::with_capacity(s.len());
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${") {
                out.push_str(&rest[..i]);
                let after = &rest[i + 2..];
                match after.find('}').map(|e| (&after[..e], e)) {
                    Some((key, e)) if subs.contains_key(key) => {
                        out.push_str(subs[key]);
                        rest = &after[e + 1..];
                    }
                    _ => {
                        out.push_str("${");
                        rest = after;
                    }
                }
            }
            out.push_str(rest);
            *s = out.into();
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, subs)),
        Value::Object(m) => m.values_mut().for_each(|x| substitute(x, subs)),
        _ => {}
    }
}

/// A located warning for each `${placeholder}` left in a string the validator does not
/// already warn about (a number field says so itself): the key it expected, and how to
/// give it a value.
fn unresolved_warnings(def: &mut Definition, sm: &StateMachine) {
    fn walk(v: &Value, pointer: &mut String, out: &mut Vec<(String, String)>) {
        match v {
            Value::String(_) => {
                let mut keys = Vec::new();
                placeholders(v, &mut keys);
                out.extend(keys.into_iter().map(|k| (pointer.clone(), k)));
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    let len = pointer.len();
                    pointer.push_str(&format!("/{i}"));
                    walk(x, pointer, out);
                    pointer.truncate(len);
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&source::pointer_token(k));
                    walk(x, pointer, out);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(def.doc.value(), &mut String::new(), &mut found);
    for (pointer, key) in found {
        if def.diagnostics.iter().any(|d| d.pointer == pointer) {
            continue;
        }
        let close = sm.case_hint(&key);
        def.diagnostics.push(
            crate::asl::Diagnostic::warning(
                "placeholder",
                &pointer,
                format!(
                    "${{{key}}} has no value: {} has no DefinitionSubstitutions entry {key}{close}",
                    sm.logical_id
                ),
            )
            .help(format!(
                "add it to DefinitionSubstitutions, or give it with --define {key}=VALUE"
            )),
        );
    }
}

/// The placeholders (`${Name}`) left in a definition's strings.
pub fn placeholders(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${") {
                let after = &rest[i + 2..];
                let Some(e) = after.find('}') else { break };
                let key = &after[..e];
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-:".contains(c))
                    && !out.iter().any(|k| k == key)
                {
                    out.push(key.to_string());
                }
                rest = &after[e + 1..];
            }
        }
        Value::Array(a) => a.iter().for_each(|x| placeholders(x, out)),
        Value::Object(m) => m.values().for_each(|x| placeholders(x, out)),
        _ => {}
    }
}

/// What a person pointed stepdbg at: a definition file, or a state machine of a template.
#[derive(Debug, Clone)]
pub enum Target {
    /// A definition file; `defines` fill its `${placeholders}` (Terraform `templatefile()`
    /// variables, `--define`).
    Definition {
        path: PathBuf,
        defines: Vec<(String, String)>,
    },
    Template {
        path: PathBuf,
        state_machine: Option<String>,
        options: ProjectOptions,
    },
}

/// A target opened: the definition to run, and what comes with it.
#[derive(Debug)]
pub struct Opened {
    pub definition: Definition,
    /// Files whose change changes what is debugged (watched for hot reload).
    pub watched: Vec<PathBuf>,
    /// The handler files among them: when one changes, the calls are made again.
    pub code: Vec<PathBuf>,
    /// The template's functions run with their handlers (empty for a definition file).
    pub routes: Vec<crate::integrations::routes::Route>,
    /// The template's other state machines, run when a task starts one of them.
    pub children: Vec<crate::integrations::children::Child>,
    /// For a template: the state machine's logical id and workflow type.
    pub state_machine: Option<(String, String)>,
    /// What the person should hear (duplicate keys kept, unresolved placeholders, ...).
    pub notes: Vec<String>,
    /// Where `NAME.input.json` and `NAME.mocks.json` are looked for: the definition file,
    /// or the template when the definition is inline.
    pub siblings_of: PathBuf,
}

impl Target {
    /// `path` as a definition or, when it is a template, its state machine
    /// `state_machine` (or its only one).
    pub fn of(path: &Path, state_machine: Option<String>, options: ProjectOptions) -> Target {
        if looks_like_template(path) {
            Target::Template {
                path: path.to_path_buf(),
                state_machine,
                options,
            }
        } else {
            Target::Definition {
                path: path.to_path_buf(),
                defines: options.defines,
            }
        }
    }

    /// A definition file as it is.
    pub fn file(path: &Path) -> Target {
        Target::Definition {
            path: path.to_path_buf(),
            defines: Vec::new(),
        }
    }

    /// The file the person named.
    pub fn path(&self) -> &Path {
        match self {
            Target::Definition { path: p, .. } | Target::Template { path: p, .. } => p,
        }
    }

    pub fn is_template(&self) -> bool {
        matches!(self, Target::Template { .. })
    }

    /// The files whose saves matter: the definition, or the template and what it names
    /// (the path itself when it cannot be opened now).
    pub fn watched(&self) -> Vec<PathBuf> {
        self.open()
            .map_or_else(|_| vec![self.path().to_path_buf()], |o| o.watched)
    }

    /// Load (again) what this target stands for.
    pub fn open(&self) -> Result<Opened, ProjectError> {
        match self {
            Target::Definition { path: p, defines } => Ok(Opened {
                definition: if defines.is_empty() {
                    crate::asl::load(p)?
                } else {
                    let mut doc = source::load_file(p)?;
                    let subs: HashMap<&str, &str> = defines
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    substitute(doc.value_mut(), &subs);
                    Definition::from_document(doc)
                },
                watched: vec![p.clone()],
                code: Vec::new(),
                routes: Vec::new(),
                children: Vec::new(),
                state_machine: None,
                notes: Vec::new(),
                siblings_of: p.clone(),
            }),
            Target::Template {
                path,
                state_machine,
                options,
            } => {
                let project = Project::load(path, options.clone())?;
                let sm = project.choose(state_machine.as_deref())?;
                let definition = project.definition(sm)?;
                let mut notes: Vec<String> =
                    project.notes.iter().map(ToString::to_string).collect();
                notes.extend(sm.notes.iter().map(|n| format!("{}: {n}", sm.logical_id)));
                let mut left = Vec::new();
                placeholders(definition.doc.value(), &mut left);
                if !left.is_empty() {
                    notes.push(format!(
                        "{}: placeholders without a value: {} (give them with --define KEY=VALUE)",
                        sm.logical_id,
                        left.iter()
                            .map(|k| format!("${{{k}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                let mut watched = project.watched_files(sm);
                let routes = functions::routes(&project);
                let stack = project.stack();
                let children = project
                    .state_machines
                    .iter()
                    .filter(|other| other.logical_id != sm.logical_id)
                    .filter_map(|other| {
                        let def = project.definition(other).ok()?;
                        let name = stack.physical_name(&other.logical_id);
                        Some(crate::integrations::children::Child {
                            pattern: name.clone(),
                            machine: std::sync::Arc::new(def.machine),
                            name,
                            target: Target::Template {
                                path: path.clone(),
                                state_machine: Some(other.logical_id.clone()),
                                options: options.clone(),
                            },
                        })
                    })
                    .collect();
                let code: Vec<PathBuf> = project
                    .functions
                    .iter()
                    .filter_map(|f| f.handler_file.clone())
                    .collect();
                watched.extend(code.iter().cloned());
                // NAME.input.json beside the definition file; for an inline definition,
                // named after the state machine beside the template (beside the CDK app for
                // a template in cdk.out).
                let siblings_of = match &sm.source {
                    DefinitionSource::File(p) => p.clone(),
                    _ => {
                        let dir = if project.dir.file_name().is_some_and(|n| n == "cdk.out") {
                            project.dir.parent().unwrap_or(&project.dir)
                        } else {
                            &project.dir
                        };
                        dir.join(format!("{}.json", sm.name))
                    }
                };
                Ok(Opened {
                    definition,
                    watched,
                    code,
                    routes,
                    children,
                    state_machine: Some((sm.logical_id.clone(), sm.workflow_type.clone())),
                    notes,
                    siblings_of,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::json_top_level_keys;

    /// The scan finds the keys a parser finds (up to `States`), whatever the strings hold.
    #[test]
    fn json_top_level_keys_are_the_parsed_ones() {
        let texts = [
            r#"{"a": 1, "b": {"c": "}"}, "d": ["{", "\"", "x\\"], "e\\\"f": "a\\\\", "g": [{"h": 1}]}"#,
            r#"{"Comment":"{{{","States":{"A":{"Type":"Pass"}},"StartAt":"A"}"#,
            "{\n  \"k\" :\n  \"v\"\n}",
        ];
        for text in texts {
            let parsed: crate::json::Value = serde_json::from_str(text).unwrap();
            let mut keys: Vec<String> = parsed
                .as_object()
                .unwrap()
                .keys()
                .map(ToString::to_string)
                .collect();
            if let Some(states) = keys.iter().position(|k| k == "States") {
                keys.truncate(states + 1);
            }
            let unescaped: Vec<String> = json_top_level_keys(text)
                .unwrap()
                .iter()
                .map(|k| serde_json::from_str(&format!("\"{k}\"")).unwrap())
                .collect();
            assert_eq!(unescaped, keys, "{text}");
        }
        for broken in [r#"{"a": "unterminated"#, r#"{"a\"#, "{}}", "{"] {
            assert_eq!(json_top_level_keys(broken), None, "{broken}");
        }
    }
}
