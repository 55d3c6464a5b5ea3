//! `stepdbg replay HISTORY` and `stepdbg mocks-from-history HISTORY`: an execution
//! recorded on AWS, run again here.

use super::exit;
use crate::engine::{Config, TaskOutcome};
use crate::json;
use crate::json::Value;
use crate::session::replay::{self, Recording, ReplayDefinition};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// Where the recording and its definition come from (shared by both commands).
#[derive(Args, Debug, Clone, Default)]
pub struct RecordingArgs {
    /// The execution's history: what `aws stepfunctions get-execution-history
    /// --execution-arn ARN --output json` prints (pages concatenated and --reverse-order
    /// too), or an EXPRESS execution's CloudWatch Logs records.
    pub history: PathBuf,
    /// The definition to run: a JSON/YAML file (edit it to ask "what if"), or what `aws
    /// stepfunctions describe-state-machine-for-execution` prints [default: HISTORY's name
    /// with .asl.json, beside it].
    #[arg(long, value_name = "DEF")]
    pub definition: Option<PathBuf>,
    /// The execution's ARN, so $$.Execution, $$.StateMachine, region and account are what
    /// they were on AWS.
    #[arg(long, value_name = "ARN")]
    pub execution_arn: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub recording: RecordingArgs,
    /// Headless: run the definition on the recording and print the result (json: one
    /// object {"status", "output" | "error", "cause", "divergence"}; text: for people)
    /// instead of opening the debugger. Exit 0 when the run does what AWS recorded, 1 when
    /// it diverges, 2 on bad input.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// UI theme for the debugger: dark, light, high-contrast, or a palette file's path.
    #[arg(long, value_name = "NAME|PATH")]
    pub theme: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Text,
}

#[derive(Args, Debug)]
pub struct MocksFromHistoryArgs {
    #[command(flatten)]
    pub recording: RecordingArgs,
    /// The state machine's name in the mock file (what `run --state-machine-name` selects).
    #[arg(long)]
    pub state_machine_name: String,
    /// The test case's name in the mock file (what `run --test-case` selects).
    #[arg(long)]
    pub test_case: String,
    /// Merge the test case into this mock file (its other entries stay) instead of
    /// printing the file.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the execution's input to this file (for `run --input file://FILE`).
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,
}

/// The recording, its definition and the configuration a local run starts from; warnings
/// said on stderr. Err: the message for bad input.
pub struct Opened {
    pub recording: Recording,
    pub definition: ReplayDefinition,
    pub config: Config,
}

impl RecordingArgs {
    /// Read the recording and, when `need_definition`, its definition.
    pub fn open(&self) -> Result<(Recording, Result<ReplayDefinition, String>), String> {
        let recording = Recording::load(&self.history).map_err(|e| e.to_string())?;
        for w in &recording.warnings {
            errln!("warning: {w}");
        }
        let def = replay::load_definition(&self.history, self.definition.as_deref());
        Ok((recording, def))
    }

    /// The recording with a valid definition.
    pub fn open_all(&self) -> Result<Opened, String> {
        let (recording, def) = self.open()?;
        let def = def?;
        if def.definition.has_errors() {
            let color = super::stderr_color();
            for d in def.definition.errors() {
                errln!("{}", d.render(&def.definition.doc, color));
            }
            return Err(format!(
                "{} is not a valid state machine; fix the errors above",
                def.path.display()
            ));
        }
        let foreign = replay::foreign_states(&recording, &def.definition);
        if !foreign.is_empty() {
            errln!(
                "warning: the recording runs states {} does not have ({}): is it the history of \
                 another state machine?",
                def.path.display(),
                foreign.join(", ")
            );
        }
        let config = replay::config_for(
            &recording,
            def.state_machine_arn.as_deref(),
            self.execution_arn.as_deref(),
            Config::default(),
        );
        Ok(Opened {
            recording,
            definition: def,
            config,
        })
    }
}

fn usage(msg: impl std::fmt::Display) -> i32 {
    errln!("error: {msg}");
    exit::USAGE
}

pub fn run(args: ReplayArgs) -> i32 {
    let Some(format) = args.format else {
        return crate::tui::replay_main(args);
    };
    crate::shell::signals::exit_now_once_children_start();
    let opened = match args.recording.open_all() {
        Ok(o) => o,
        Err(e) => return usage(e),
    };
    let Opened {
        recording,
        definition,
        config,
    } = opened;
    let def_path = definition.path.clone();
    let r = replay::reproduce(&def_path, definition.definition, &recording, config);
    let mut out = r.session.status().to_json();
    out["divergence"] = r.divergence.as_ref().map_or(
        Value::Null,
        super::super::session::replay::divergence::Divergence::to_json,
    );
    if !r.waiting.is_empty() {
        out["waiting"] = json!(r.waiting);
    }
    match format {
        Format::Json => outln!("{}", serde_json::to_string(&out).unwrap_or_default()),
        Format::Text => print_text(&recording, &def_path, &out, &r),
    }
    if r.divergence.is_some() {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// What `replay --format text` says.
fn print_text(recording: &Recording, def: &Path, out: &Value, r: &replay::Reproduction) {
    let recorded = recording.status_json();
    outln!(
        "recorded: {} ({} events, {})",
        recording.path.display(),
        recording.events.len(),
        recorded["status"].as_str().unwrap_or("?")
    );
    outln!(
        "local:    {} → {}",
        def.display(),
        out["status"].as_str().unwrap_or("?")
    );
    match &r.divergence {
        None => outln!("the local run does what AWS recorded"),
        Some(d) => {
            outln!("diverges at {}", d.summary());
            let show = |label: &str, e: &Option<Value>| match e {
                Some(e) => outln!(
                    "  {label} {}",
                    serde_json::to_string(replay::recording::details(e)).unwrap_or_default()
                ),
                None => outln!("  {label} (nothing)"),
            };
            show("recorded:", &d.recorded);
            show("local:   ", &d.local);
        }
    }
    if !r.waiting.is_empty() {
        outln!(
            "waiting for an answer the recording does not have: {}",
            r.waiting.join(", ")
        );
    }
    for k in ["output", "error", "cause"] {
        if let Some(v) = out.get(k) {
            outln!("{k}: {v}");
        }
    }
}

pub fn mocks_from_history(args: MocksFromHistoryArgs) -> i32 {
    let (recording, def) = match args.recording.open() {
        Ok(x) => x,
        Err(e) => return usage(e),
    };
    // With the definition, answers go in the order this engine asks for them (concurrent
    // iterations ran in another order on AWS); without it, in the recording's order.
    let answers: Vec<(u64, String, TaskOutcome)> = match def {
        Ok(_) => match args.recording.open_all() {
            Ok(o) => {
                let r = replay::reproduce(
                    &o.definition.path,
                    o.definition.definition,
                    &recording,
                    o.config,
                );
                if let Some(d) = &r.divergence {
                    errln!(
                        "warning: the definition does not reproduce the recording (it diverges at {}): \
                         answers are kept in the recording's order",
                        d.summary()
                    );
                    recorded_order(&recording)
                } else {
                    r.log.lock().map(|l| l.answers.clone()).unwrap_or_default()
                }
            }
            Err(e) => return usage(e),
        },
        Err(e) => {
            errln!("note: {e}; answers are kept in the recording's order");
            recorded_order(&recording)
        }
    };
    match (&args.input_file, recording.input()) {
        (Some(path), Some(input)) => {
            let text = serde_json::to_string_pretty(&input).unwrap_or_default() + "\n";
            if let Err(e) = std::fs::write(path, text) {
                return usage(format!("cannot write {}: {e}", path.display()));
            }
        }
        (Some(_), None) => return usage("the recording holds no execution input to write"),
        (None, _) => errln!(
            "note: run it with the recorded input: --input-file FILE writes it, for `stepdbg run \
             DEF --input file://FILE --mock-config MOCKS --state-machine-name {} --test-case {}`",
            args.state_machine_name,
            args.test_case
        ),
    }
    let mut cfg = crate::integrations::mock::MockConfig::default();
    if let Some(path) = &args.output {
        return match crate::integrations::mock::MockConfig::record_into(
            path,
            &args.state_machine_name,
            &args.test_case,
            &answers,
        ) {
            Ok(()) => {
                errln!(
                    "recorded {} answers in {} (state machine {}, test case {})",
                    answers.len(),
                    path.display(),
                    args.state_machine_name,
                    args.test_case
                );
                exit::OK
            }
            Err(e) => usage(e),
        };
    }
    cfg.record(&args.state_machine_name, &args.test_case, &answers);
    outln!("{}", serde_json::to_string_pretty(&cfg).unwrap_or_default());
    exit::OK
}

/// Every recorded answer in the recording's order (event ids order them).
fn recorded_order(recording: &Recording) -> Vec<(u64, String, TaskOutcome)> {
    replay::answers::RecordedAnswers::of(recording, &|_, _| None).in_order()
}
