//! The command line: thin over the layers below.

mod graph;
mod policy;
mod project;
pub mod replay;
mod run;
mod validate;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;

/// A terminal debugger for AWS Step Functions state machines.
#[derive(Parser, Debug)]
#[command(
    name = "stepdbg",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    subcommand_value_name = "COMMAND",
    override_usage = "stepdbg [OPTIONS] DEFINITION\n       stepdbg <COMMAND> ..."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Open DEFINITION in the interactive debugger (the TUI).
    #[command(flatten)]
    pub debug: crate::tui::TuiArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check definitions and print located diagnostics (exit 0 valid, 1 invalid, 2 unreadable).
    Validate(validate::ValidateArgs),
    /// Run a definition headless and print its result as one JSON object.
    Run(Box<run::RunArgs>),
    /// Print the IAM policy Step Functions needs for the definition's Lambda calls.
    Policy(policy::PolicyArgs),
    /// Show what a SAM/CloudFormation template resolves to: its state machines, their
    /// definitions and substitutions, and the handler code of every function they call.
    Project(project::ProjectArgs),
    /// Open an execution recorded on AWS (its get-execution-history JSON) in the debugger,
    /// or check headless (--format) whether a definition does what AWS recorded.
    Replay(replay::ReplayArgs),
    /// Print a Step Functions Local mock file whose test case answers every task as a
    /// recorded execution's were, so `run --mock-config` gives the recorded result.
    MocksFromHistory(replay::MocksFromHistoryArgs),
    /// Serve the debugger to an editor (VS Code, Neovim, Helix, Zed) over the Debug Adapter
    /// Protocol, on stdin/stdout or --port.
    Dap(crate::dap::DapArgs),
    /// Serve the Step Functions API (AWS JSON 1.0) on 127.0.0.1 for test suites: state
    /// machines, executions, histories, callbacks, TestState; Step Functions Local's mock
    /// file convention.
    Serve(crate::serve::ServeArgs),
    /// Run one state as AWS's TestState API does and print its answer.
    TestState(crate::serve::TestStateArgs),
    /// Print the state machine as a graph: Mermaid, Graphviz DOT or SVG (with --history,
    /// the path a run took on it).
    Graph(graph::GraphArgs),
}

/// How a SAM or CloudFormation template is read (when the file given is one).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TemplateArgs {
    /// The template's state machine to use (its logical id), when it has several.
    #[arg(long, value_name = "LOGICAL_ID")]
    pub state_machine: Option<String>,
    /// A template parameter's value (over its Default), KEY=VALUE; repeatable.
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub parameters: Vec<(String, String)>,
    /// Fill or override a definition placeholder ${KEY}, KEY=VALUE; repeatable (also
    /// `[substitutions]` in stepdbg.toml).
    #[arg(long = "define", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub defines: Vec<(String, String)>,
}

impl TemplateArgs {
    pub fn options(&self) -> crate::project::ProjectOptions {
        crate::project::ProjectOptions {
            parameters: self.parameters.clone(),
            defines: self.defines.clone(),
            ..Default::default()
        }
    }
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("'{text}': expected KEY=VALUE")),
    }
}

/// Where an execution's input and task answers come from: shared by `run` and the debugger.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LaunchArgs {
    /// Execution input: JSON text, file://PATH, or - for standard input
    /// [default: <name>.input.json beside the definition, else {}].
    #[arg(long)]
    pub input: Option<String>,
    /// Values merged into the context object, e.g. '{"Execution":{"Name":"x"}}'.
    #[arg(long)]
    pub context: Option<String>,
    /// A Step Functions Local mock config file [default: <name>.mocks.json beside the definition].
    #[arg(long)]
    pub mock_config: Option<std::path::PathBuf>,
    /// Ignore the mock file beside the definition (functions go to their --function backends).
    #[arg(long, conflicts_with = "mock_config")]
    pub no_mocks: bool,
    /// The state machine in the mock file (optional when it has one).
    #[arg(long)]
    pub state_machine_name: Option<String>,
    /// The test case in the mock file (optional when it has one).
    #[arg(long)]
    pub test_case: Option<String>,
    /// Route a Lambda function to a backend: 'PATTERN=mock|manual|handler:PATH:NAME|command:PROGRAM ARGS|endpoint:URL'
    /// (repeatable; first match wins; also read from stepdbg.toml beside the definition).
    #[arg(long = "function", value_name = "PATTERN=BACKEND")]
    pub functions: Vec<String>,
    /// The execution name (also in $$.Execution.Name).
    #[arg(long)]
    pub execution_name: Option<String>,
    /// Seed for States.MathRandom, States.UUID and retry jitter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Derive task tokens from the seed alone, so they repeat from run to run (for tests;
    /// by default a secret drawn from the OS is mixed in, so nobody can guess them).
    #[arg(long)]
    pub deterministic_tokens: bool,
    /// Wall-clock time one JSONata evaluation may take before it fails with
    /// States.QueryEvaluationError, e.g. 10s, 500ms, 2m [default: 10s, or [limits]
    /// eval-timeout in stepdbg.toml].
    #[arg(long, value_name = "DURATION", value_parser = crate::cli::parse_duration)]
    pub eval_timeout: Option<std::time::Duration>,
    /// A local folder standing for an S3 bucket, NAME=DIR (a Distributed Map's ItemReader
    /// reads its objects there; repeatable; also `[buckets]` in stepdbg.toml).
    #[arg(long = "bucket", value_name = "NAME=DIR", value_parser = parse_key_value)]
    pub buckets: Vec<(String, String)>,
    /// A nested state machine, PATTERN=DEFINITION: a states:startExecution task whose
    /// StateMachineArn (or name) matches the glob runs that definition as a child execution
    /// (repeatable; also `[state-machines]` in stepdbg.toml).
    #[arg(long = "child", value_name = "PATTERN=DEFINITION", value_parser = parse_key_value)]
    pub children: Vec<(String, String)>,
    #[command(flatten)]
    pub template: TemplateArgs,
}

impl LaunchArgs {
    pub fn options(&self, definition: &std::path::Path) -> crate::session::launch::LaunchOptions {
        crate::session::launch::LaunchOptions {
            definition: definition.to_path_buf(),
            input: self.input.clone(),
            context: self.context.clone(),
            mock_config: self.mock_config.clone(),
            no_mocks: self.no_mocks,
            state_machine_name: self.state_machine_name.clone(),
            test_case: self.test_case.clone(),
            functions: self.functions.clone(),
            execution_name: self.execution_name.clone(),
            seed: self.seed,
            deterministic_tokens: self.deterministic_tokens,
            eval_timeout: self.eval_timeout,
            state_machine: self.template.state_machine.clone(),
            buckets: self
                .buckets
                .iter()
                .map(|(k, v)| (k.clone(), std::path::PathBuf::from(v)))
                .collect(),
            children: self
                .children
                .iter()
                .map(|(k, v)| (k.clone(), std::path::PathBuf::from(v)))
                .collect(),
            project: self.template.options(),
            ..Default::default()
        }
    }
}

/// The SendTask* endpoint options, shared by `run` and the debugger.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ListenArgs {
    /// Serve SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat (AWS JSON 1.0) on this
    /// loopback address, e.g. 127.0.0.1:8083.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Allow --listen on an address other than loopback (anything that can reach it can
    /// complete your tasks).
    #[arg(long, requires = "listen")]
    pub listen_any: bool,
}

impl ListenArgs {
    /// Start the endpoint, if asked; a warning goes to stderr for a non-loopback address.
    pub fn serve(&self) -> Result<Option<crate::session::callback::CallbackServer>, String> {
        let Some(addr) = &self.listen else {
            return Ok(None);
        };
        let server =
            crate::session::callback::serve(addr, self.listen_any).map_err(|e| e.to_string())?;
        if !server.addr.ip().is_loopback() {
            errln!(
                "warning: the callback endpoint listens on {}, beyond this machine: anyone who can \
                 reach it can complete or fail your tasks",
                server.addr
            );
        }
        Ok(Some(server))
    }
}

/// Exit codes shared by the subcommands.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    /// Writing the output failed (a full disk, a closed terminal).
    pub const OUTPUT: i32 = 74;
}

pub fn main() -> i32 {
    crate::shell::memory::keep_freed_memory();
    let code = dispatch();
    // Whatever the command started ends with it.
    crate::shell::children::kill_all();
    match crate::shell::output::failure() {
        Some(e) => {
            errln!("error: {e}");
            if code == exit::OK { exit::OUTPUT } else { code }
        }
        None => code,
    }
}

fn dispatch() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let text = e.render().to_string();
            if e.use_stderr() {
                errln!("{}", text.trim_end());
            } else {
                outln!("{}", text.trim_end());
            }
            return code;
        }
    };
    if matches!(
        cli.command,
        Some(Command::Validate(_) | Command::Run(_) | Command::Policy(_))
    ) {
        one_execution_at_most();
    }
    match cli.command {
        Some(Command::Validate(a)) => validate::run(a),
        Some(Command::Run(a)) => run::run(*a),
        Some(Command::Policy(a)) => policy::run(a),
        Some(Command::Project(a)) => project::run(a),
        Some(Command::Replay(a)) => replay::run(a),
        Some(Command::MocksFromHistory(a)) => replay::mocks_from_history(a),
        Some(Command::Dap(a)) => crate::dap::main(a),
        Some(Command::Serve(a)) => crate::serve::main(a),
        Some(Command::TestState(a)) => crate::serve::test_state_main(a),
        Some(Command::Graph(a)) => graph::run(a),
        None if cli.debug.definition.is_some() => crate::tui::main(cli.debug),
        None => {
            errln!(
                "{}",
                <Cli as clap::CommandFactory>::command()
                    .render_help()
                    .to_string()
                    .trim_end()
            );
            exit::USAGE
        }
    }
}

/// This process loads a definition, runs at most one execution and ends: small blocks
/// come from the allocator's own lists (`shell::small_blocks`: 8-14% faster whole
/// process; a process that runs executions again and again keeps glibc's malloc).
fn one_execution_at_most() {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
    crate::shell::small_blocks::enable();
}

/// A duration as people write it (see [`crate::engine::time::parse_duration`]).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    crate::engine::time::parse_duration(text)
}

/// The valid definition `target` stands for; Err(exit code) once its problems (located,
/// coloured for terminals) have been said on stderr.
pub fn open_valid(target: &crate::project::Target) -> Result<crate::asl::Definition, i32> {
    let def = match target.open() {
        Ok(o) => o.definition,
        Err(e) => {
            errln!("error: {e}");
            return Err(exit::USAGE);
        }
    };
    if def.has_errors() {
        let color = stderr_color();
        for d in def.errors() {
            errln!("{}", d.render(&def.doc, color));
        }
        errln!(
            "error: {} is not a valid state machine",
            target.path().display()
        );
        return Err(exit::USAGE);
    }
    Ok(def)
}

/// Colour on stderr only for terminals, and never with NO_COLOR.
pub fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}
