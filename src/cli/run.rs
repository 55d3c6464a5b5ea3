//! `stepdbg run DEFINITION`: one headless execution, one JSON object on stdout.

use super::{exit, read_json_arg, stderr_color};
use crate::asl;
use crate::engine::{self, Config, Execution, Step, WorkflowType};
use crate::integrations::mock::{MockCase, MockConfig};
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The definition file (JSON or YAML).
    pub definition: PathBuf,
    /// Execution input: JSON text, file://PATH, or - for standard input
    /// [default: <name>.input.json beside the definition, else {}].
    #[arg(long)]
    pub input: Option<String>,
    /// Values merged into the context object, e.g. '{"Execution":{"Name":"x"}}'.
    #[arg(long)]
    pub context: Option<String>,
    /// A Step Functions Local mock config file [default: <name>.mocks.json beside the definition].
    #[arg(long)]
    pub mock_config: Option<PathBuf>,
    /// The state machine in the mock file (optional when it has one).
    #[arg(long)]
    pub state_machine_name: Option<String>,
    /// The test case in the mock file (optional when it has one).
    #[arg(long)]
    pub test_case: Option<String>,
    /// The execution name (also in $$.Execution.Name).
    #[arg(long)]
    pub execution_name: Option<String>,
    /// Workflow type: STANDARD enforces the 25,000-event history quota, EXPRESS the 5-minute limit.
    #[arg(long = "type", value_enum, default_value_t = TypeArg::Standard)]
    pub workflow_type: TypeArg,
    /// Write the history as GetExecutionHistory JSON to this file.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Print each state's inspection record (data-flow stages) to stderr.
    #[arg(long)]
    pub trace: bool,
    /// Seed for States.MathRandom, States.UUID, task tokens and retry jitter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum TypeArg {
    Standard,
    Express,
}

/// `samples/x.asl.json` → `samples/x.<suffix>` (and `x.json` → `x.<suffix>`).
pub fn sibling(definition: &Path, suffix: &str) -> PathBuf {
    let name = definition
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let stem = [
        ".asl.json",
        ".asl.yaml",
        ".asl.yml",
        ".json",
        ".yaml",
        ".yml",
    ]
    .iter()
    .find_map(|ext| name.strip_suffix(ext))
    .unwrap_or(name);
    definition.with_file_name(format!("{stem}.{suffix}"))
}

fn usage(msg: impl std::fmt::Display) -> i32 {
    eprintln!("error: {msg}");
    exit::USAGE
}

pub fn run(args: RunArgs) -> i32 {
    let def = match asl::load(&args.definition) {
        Ok(d) => d,
        Err(e) => return usage(e),
    };
    if def.has_errors() {
        let color = stderr_color();
        for d in def.errors() {
            eprintln!("{}", d.render(&def.doc, color));
        }
        return usage(format!(
            "{} is not a valid state machine; fix the errors above",
            args.definition.display()
        ));
    }
    let input = match &args.input {
        Some(i) => match read_json_arg(i, "--input") {
            Ok(v) => v,
            Err(e) => return usage(e),
        },
        None => {
            let p = sibling(&args.definition, "input.json");
            if p.is_file() {
                match read_json_arg(&format!("file://{}", p.display()), "input") {
                    Ok(v) => v,
                    Err(e) => return usage(e),
                }
            } else {
                serde_json::json!({})
            }
        }
    };
    let context = match &args.context {
        Some(c) => match read_json_arg(c, "--context") {
            Ok(v) => Some(v),
            Err(e) => return usage(e),
        },
        None => None,
    };
    let mock_path = args
        .mock_config
        .clone()
        .or_else(|| Some(sibling(&args.definition, "mocks.json")).filter(|p| p.is_file()));
    let mut mocks = match &mock_path {
        Some(p) => match MockConfig::load(p).and_then(|m| {
            m.case(
                args.state_machine_name.as_deref(),
                args.test_case.as_deref(),
            )
        }) {
            Ok(c) => c,
            Err(e) => return usage(e),
        },
        None => MockCase::default(),
    };

    let mut cfg = Config {
        workflow_type: match args.workflow_type {
            TypeArg::Standard => WorkflowType::Standard,
            TypeArg::Express => WorkflowType::Express,
        },
        seed: args.seed,
        start_time_ms: engine::time::wall_clock_millis(),
        context_overrides: context.clone(),
        record_steps: args.trace,
        ..Config::default()
    };
    if let Some(n) = &args.state_machine_name {
        cfg.state_machine_name = n.clone();
    }
    if let Some(n) = &args.execution_name {
        cfg.execution_name = n.clone();
    }
    if let Some(ctx) = &context {
        if let Some(n) = ctx.pointer("/Execution/Name").and_then(Value::as_str) {
            cfg.execution_name = n.to_string();
        }
        if let Some(n) = ctx.pointer("/StateMachine/Name").and_then(Value::as_str) {
            cfg.state_machine_name = n.to_string();
        }
    }

    let mut ex = Execution::new(Arc::new(def.machine.clone()), input, cfg);
    let mut unconfigured = None;
    let end = ex.run_with(|req| {
        let r = mocks.next(&req.state);
        if r.is_none() {
            unconfigured = Some(req.clone());
        }
        r
    });
    if args.trace {
        for s in ex.steps() {
            eprintln!(
                "{}",
                serde_json::to_string(&s.to_json()).unwrap_or_default()
            );
        }
    }
    if let Some(path) = &args.history {
        let text = serde_json::to_string_pretty(&engine::history::to_json(ex.history()))
            .unwrap_or_default();
        if let Err(e) = std::fs::write(path, text) {
            return usage(format!("cannot write {}: {e}", path.display()));
        }
    }
    if let (Step::Task(req), Some(_)) = (&end, &unconfigured) {
        return usage(format!(
            "the Task state '{}' calls {} and nothing is configured to answer it.\n  \
             Give a Step Functions Local mock file with --mock-config (a \"{}\" entry in the test case), \
             or put one at {}.",
            req.state,
            req.resource,
            req.state,
            sibling(&args.definition, "mocks.json").display()
        ));
    }
    let status = ex.status();
    println!(
        "{}",
        serde_json::to_string(&status.to_json()).unwrap_or_default()
    );
    if matches!(status, engine::Status::Succeeded { .. }) {
        exit::OK
    } else {
        exit::FAILED
    }
}
