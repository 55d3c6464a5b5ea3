//! `stepdbg project TEMPLATE`: what was resolved, as one JSON object or a readable table.

use super::functions::{self, Call};
use super::{Project, StateMachine};
use crate::asl::Severity;
use crate::json;
use crate::json::{Map, Value};

/// What stepdbg made of one state machine.
pub struct Resolved<'p> {
    pub sm: &'p StateMachine,
    /// The definition's states (nested as `Outer/Inner`), or why there is no definition.
    pub states: Result<Vec<String>, String>,
    pub calls: Vec<Call>,
    /// Placeholders left in the definition and references that could not be worked out.
    pub unresolved: Vec<Value>,
    /// The definition's errors and warnings, one line each.
    pub diagnostics: Vec<String>,
}

/// Resolve every state machine of `project`.
pub fn resolve(project: &Project) -> Vec<Resolved<'_>> {
    project
        .state_machines
        .iter()
        .map(|sm| resolve_one(project, sm))
        .collect()
}

fn resolve_one<'p>(project: &'p Project, sm: &'p StateMachine) -> Resolved<'p> {
    let mut unresolved: Vec<Value> = sm
        .substitutions
        .iter()
        .filter_map(|s| {
            s.value
                .as_ref()
                .err()
                .map(|why| json!({"reference": format!("DefinitionSubstitutions.{}", s.key), "why": why}))
        })
        .collect();
    let (def, raw) = match project.definition_and_raw(sm) {
        Ok(x) => x,
        Err(e) => {
            return Resolved {
                sm,
                states: Err(e.to_string()),
                calls: Vec::new(),
                unresolved,
                diagnostics: Vec::new(),
            };
        }
    };
    let mut states = Vec::new();
    functions::walk(&def.machine, "", &mut |path, _, _| {
        states.push(path.to_string());
    });
    let mut left = Vec::new();
    super::placeholders(def.doc.value(), &mut left);
    for key in left {
        let close = sm.case_hint(&key);
        unresolved.push(json!({
            "placeholder": format!("${{{key}}}"),
            "why": format!("no DefinitionSubstitutions entry{close}: give it with --define {key}=VALUE"),
        }));
    }
    let calls = functions::calls(project, sm, &def, &raw);
    let diagnostics = def
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error || d.code != "placeholder")
        .map(|d| d.one_line(&def.doc))
        .collect();
    Resolved {
        sm,
        states: Ok(states),
        calls,
        unresolved,
        diagnostics,
    }
}

/// The JSON report.
pub fn to_json(project: &Project) -> Value {
    let machines: Vec<Value> = resolve(project)
        .iter()
        .map(|r| machine_json(project, r))
        .collect();
    let functions: Vec<Value> = project
        .functions
        .iter()
        .map(|f| {
            json!({
                "logicalId": f.logical_id,
                "type": f.resource_type,
                "name": f.name,
                "runtime": f.runtime,
                "handler": f.handler,
                "codeUri": f.code_uri,
                "codePath": f.code_path.as_deref().map(|p| rel(project, p)),
                "handlerFile": f.handler_file.as_deref().map(|p| rel(project, p)),
                "handlerSource": f.handler_source.as_deref().map(|p| rel(project, p)),
                "fromGlobals": f.from_globals,
                "backend": f.backend(),
                "notLocal": f.not_local,
            })
        })
        .collect();
    json!({
        "template": project.path.display().to_string(),
        "templateFormat": project.kind.as_str(),
        "stateMachines": machines,
        "functions": functions,
        "notes": project.notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

fn rel(project: &Project, p: &std::path::Path) -> String {
    project.relative(p).display().to_string()
}

fn machine_json(project: &Project, r: &Resolved<'_>) -> Value {
    let sm = r.sm;
    let definition_file = match &sm.source {
        super::DefinitionSource::File(p) | super::DefinitionSource::MissingFile(p) => {
            Value::from(rel(project, p))
        }
        _ => Value::Null,
    };
    let subs: Map = sm
        .substitutions
        .iter()
        .map(|s| {
            (
                s.key.clone(),
                match &s.value {
                    Ok(v) => Value::from(v.clone()),
                    Err(_) => Value::Null,
                },
            )
        })
        .collect();
    let functions: Vec<Value> = r
        .calls
        .iter()
        .map(|c| {
            let f = c.function.map(|i| &project.functions[i]);
            json!({
                "logicalId": f.map(|f| f.logical_id.clone()),
                "runtime": f.and_then(|f| f.runtime.clone()),
                "handler": f.and_then(|f| f.handler.clone()),
                "handlerFile": f.and_then(|f| f.handler_file.as_deref().map(|p| rel(project, p))),
                "states": c.states,
                "referencedAs": c.referenced_as,
                "resolvesTo": c.resolves_to,
                "integration": c.integration,
                "backend": f.and_then(super::Function::backend),
                "why": c.why.clone().or_else(|| f.and_then(|f| f.not_local.clone())),
            })
        })
        .collect();
    let (states, error) = match &r.states {
        Ok(s) => (json!(s), Value::Null),
        Err(e) => (Value::Null, Value::from(e.clone())),
    };
    json!({
        "logicalId": sm.logical_id,
        "name": sm.name,
        "type": sm.resource_type,
        "workflowType": sm.workflow_type,
        "definitionSource": sm.source.describe(),
        "definitionFile": definition_file,
        "states": states,
        "stateCount": r.states.as_ref().map(Vec::len).ok(),
        "substitutions": subs,
        "functions": functions,
        "unresolved": r.unresolved,
        "diagnostics": r.diagnostics,
        "notes": sm.notes,
        "error": error,
    })
}

/// The same as a table a person reads.
pub fn to_text(project: &Project) -> String {
    let mut out = format!(
        "{} ({} template)\n",
        project.path.display(),
        project.kind.as_str()
    );
    for n in &project.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    for r in resolve(project) {
        let sm = r.sm;
        out.push_str(&format!(
            "\n{} ({}, {})\n",
            sm.logical_id, sm.resource_type, sm.workflow_type
        ));
        let from = match &sm.source {
            super::DefinitionSource::File(p) => rel(project, p),
            super::DefinitionSource::MissingFile(p) => format!("{} (missing)", rel(project, p)),
            other => other.describe().to_string(),
        };
        match &r.states {
            Ok(s) => out.push_str(&format!("  definition  {from}, {} states\n", s.len())),
            Err(e) => out.push_str(&format!("  definition  {from}: {e}\n")),
        }
        for s in &sm.substitutions {
            let v = match &s.value {
                Ok(v) => v.clone(),
                Err(e) => format!("? {e}"),
            };
            out.push_str(&format!("  ${{{}}} = {v}\n", s.key));
        }
        for c in &r.calls {
            let who = match c.function.map(|i| &project.functions[i]) {
                Some(f) => {
                    let run = match (f.backend(), &f.not_local) {
                        (Some(_), _) => format!(
                            "runs {}",
                            f.handler_file
                                .as_deref()
                                .map(|p| rel(project, p))
                                .unwrap_or_default()
                        ),
                        (None, Some(why)) => why.clone(),
                        (None, None) => "no local code".into(),
                    };
                    format!(
                        "{} ({}): {run}",
                        f.logical_id,
                        f.runtime.as_deref().unwrap_or("?")
                    )
                }
                None => format!(
                    "{}: {}",
                    c.referenced_as,
                    c.why
                        .as_deref()
                        .unwrap_or("not a function of this template")
                ),
            };
            out.push_str(&format!("  {} → {who}\n", c.states.join(", ")));
        }
        for u in &r.unresolved {
            let what = u
                .get("placeholder")
                .or_else(|| u.get("reference"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            out.push_str(&format!(
                "  unresolved {what}: {}\n",
                u["why"].as_str().unwrap_or_default()
            ));
        }
        for n in &sm.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        for d in &r.diagnostics {
            out.push_str(&format!("  {d}\n"));
        }
    }
    out
}
