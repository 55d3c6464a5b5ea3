//! `stepdbg validate FILE...`

use super::{exit, stderr_color};
use crate::asl::{self, LoadError, Severity};
use crate::json;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Definition files (JSON or YAML), or SAM/CloudFormation templates (every state
    /// machine in them is validated).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub template: super::TemplateArgs,
}

/// One definition to validate: its label and what loading it gave.
type Unit = (String, Result<asl::Definition, String>);

/// The definitions `path` holds: itself, or every state machine of a template (notes about
/// the template go to stderr).
fn units(path: &std::path::Path, args: &super::TemplateArgs) -> Result<Vec<Unit>, String> {
    if !crate::project::looks_like_template(path) {
        // --define fills the placeholders of a definition file too.
        return crate::project::Target::of(path, None, args.options())
            .open()
            .map(|o| vec![(path.display().to_string(), Ok(o.definition))])
            .map_err(|e| e.to_string());
    }
    let project = crate::project::Project::load(path, args.options()).map_err(|e| e.to_string())?;
    for n in &project.notes {
        errln!("note: {n}");
    }
    let chosen: Vec<&crate::project::StateMachine> = match &args.state_machine {
        Some(id) => vec![project.choose(Some(id)).map_err(|e| e.to_string())?],
        None => project.state_machines.iter().collect(),
    };
    if chosen.is_empty() {
        return Err(format!("{} declares no state machine", path.display()));
    }
    Ok(chosen
        .into_iter()
        .map(|sm| {
            (
                format!("{} {}", path.display(), sm.name),
                project.definition(sm).map_err(|e| e.to_string()),
            )
        })
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: ValidateArgs) -> i32 {
    let color = stderr_color();
    let mut worst = exit::OK;
    let mut reports = Vec::new();
    for path in &args.files {
        let loaded = match units(path, &args.template) {
            Ok(u) => u,
            Err(e) => vec![(path.display().to_string(), Err(e))],
        };
        for (label, def) in loaded {
            let def = match def {
                Ok(d) => d,
                Err(e) => {
                    worst = exit::USAGE;
                    match args.format {
                        Format::Json => reports.push(match asl::load(path) {
                            Err(le) if !crate::project::looks_like_template(path) => {
                                load_error_json(&le)
                            }
                            _ => json!({"file": label, "valid": false, "error": e}),
                        }),
                        Format::Human => errln!("error: {e}"),
                    }
                    continue;
                }
            };
            {
                let errors = def.errors().count();
                let warnings = def.diagnostics.len() - errors;
                if errors > 0 && worst == exit::OK {
                    worst = exit::FAILED;
                }
                match args.format {
                    Format::Json => reports.push(json!({
                        "file": label,
                        "valid": errors == 0,
                        "diagnostics": def.diagnostics.iter().map(|d| d.to_json(&def.doc)).collect::<Vec<_>>(),
                    })),
                    Format::Human => {
                        for d in &def.diagnostics {
                            errln!("{}", d.render(&def.doc, color));
                        }
                        let states = count_states(&def.machine);
                        if errors == 0 {
                            outln!(
                                "{label}: valid ({states} states{})",
                                if warnings > 0 { format!(", {warnings} warning{}", plural(warnings)) } else { String::new() }
                            );
                        } else {
                            outln!(
                                "{label}: invalid: {errors} error{}{}",
                                plural(errors),
                                if warnings > 0 { format!(", {warnings} warning{}", plural(warnings)) } else { String::new() }
                            );
                        }
                    }
                }
            }
            // The process ends soon: freeing a big definition node by node is time spent
            // for nothing.
            std::mem::forget(def);
        }
    }
    if args.format == Format::Json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({"files": reports})).unwrap_or_default()
        );
    }
    worst
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn count_states(m: &asl::Machine) -> usize {
    let mut n = 0;
    m.walk(&mut |_| n += 1);
    n
}

fn load_error_json(e: &LoadError) -> crate::json::Value {
    match e {
        LoadError::Io { path, message } => json!({
            "file": path.display().to_string(),
            "valid": false,
            "error": message,
        }),
        LoadError::Syntax {
            path,
            message,
            line,
            col,
            offset,
        } => json!({
            "file": path.display().to_string(),
            "valid": false,
            "diagnostics": [{
                "severity": Severity::Error.as_str(),
                "code": "syntax",
                "file": path.display().to_string(),
                "line": line,
                "column": col,
                "offset": offset,
                "pointer": null,
                "message": message,
                "help": null,
            }],
        }),
    }
}
