//! `stepdbg validate FILE...`

use super::{exit, stderr_color};
use crate::asl::{self, LoadError, Severity};
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Definition files (JSON or YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
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
        match asl::load(path) {
            Err(e) => {
                worst = exit::USAGE;
                match args.format {
                    Format::Json => reports.push(load_error_json(&e)),
                    Format::Human => errln!("error: {e}"),
                }
            }
            Ok(def) => {
                let errors = def.errors().count();
                let warnings = def.diagnostics.len() - errors;
                if errors > 0 && worst == exit::OK {
                    worst = exit::FAILED;
                }
                match args.format {
                    Format::Json => reports.push(json!({
                        "file": path.display().to_string(),
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
                                "{}: valid ({states} states{})",
                                path.display(),
                                if warnings > 0 { format!(", {warnings} warning{}", plural(warnings)) } else { String::new() }
                            );
                        } else {
                            outln!(
                                "{}: invalid: {errors} error{}{}",
                                path.display(),
                                plural(errors),
                                if warnings > 0 { format!(", {warnings} warning{}", plural(warnings)) } else { String::new() }
                            );
                        }
                    }
                }
            }
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

fn load_error_json(e: &LoadError) -> serde_json::Value {
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
