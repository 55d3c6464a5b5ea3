//! Replaying an execution recorded on AWS: its history read ([`recording`]), its tasks
//! answered as they were ([`answers`]), and the local run compared with it event by event
//! ([`divergence`]), whether the definition is the one that ran or an edited one (what-if).

pub mod answers;
pub mod divergence;
pub mod recording;
pub mod scope;

use crate::asl::Definition;
use crate::asl::model::Machine;
use crate::engine::{Config, Execution};
use crate::json::Value;
use answers::{RecordedAnswers, Replayer};
use divergence::Divergence;
pub use recording::{Recording, RecordingError};

/// The configuration a local run of `recording` starts from: `base` with the recorded
/// start time, and the names the ARNs give (`arn:aws:states:REGION:ACCOUNT:
/// stateMachine:MACHINE`, `...:execution:MACHINE:NAME`), so `$$` holds what it held on AWS.
pub fn config_for(
    recording: &Recording,
    state_machine_arn: Option<&str>,
    execution_arn: Option<&str>,
    mut base: Config,
) -> Config {
    if let Some(ms) = recording.start_ms() {
        base.start_time_ms = ms;
    }
    if let Some(parts) = state_machine_arn.map(|a| a.split(':').collect::<Vec<_>>())
        && parts.len() >= 7
        && parts[0] == "arn"
    {
        base.region = parts[3].to_string();
        base.account = parts[4].to_string();
        base.state_machine_name = parts[6].to_string();
    }
    let arn = execution_arn.or(recording.execution_arn.as_deref());
    if let Some(parts) = arn.map(|a| a.split(':').collect::<Vec<_>>())
        && parts.len() >= 8
        && parts[0] == "arn"
    {
        base.region = parts[3].to_string();
        base.account = parts[4].to_string();
        base.state_machine_name = parts[6].to_string();
        base.execution_name = parts[7].to_string();
        if parts[5] == "express" {
            base.workflow_type = crate::engine::WorkflowType::Express;
        }
    }
    base
}

/// The resolver that answers a local run of `recording` of `machine`.
pub fn replayer(recording: &Recording, machine: &Machine) -> Replayer {
    Replayer::new(RecordedAnswers::of(recording, &scope::branches_of(machine)))
}

/// Where the local execution `exec` first differs from `recording` (None: it did what
/// AWS recorded so far). `tokens`: the task tokens the local run handed out;
/// `finished`: the local run goes no further (it ended, or waits for what the recording
/// never answered).
pub fn divergence(
    recording: &Recording,
    exec: &Execution,
    tokens: &[String],
    finished: bool,
) -> Option<Divergence> {
    let local = local_events(exec);
    divergence::first(
        &recording.events,
        &local,
        recording.end().is_some(),
        finished,
        &scope::branches_of(exec.machine()),
        tokens,
    )
}

/// The local run's history in AWS's shape (GetExecutionHistory's events).
pub fn local_events(exec: &Execution) -> Vec<Value> {
    match crate::engine::history::to_json(exec.history()) {
        Value::Object(mut m) => match m.remove("events") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The recorded state names `def` does not have: a sign of a history from another
/// state machine.
pub fn foreign_states(recording: &Recording, def: &Definition) -> Vec<String> {
    let mut known = std::collections::HashSet::new();
    def.machine.walk(&mut |s| {
        known.insert(s.name.to_string());
    });
    recording
        .state_names()
        .into_iter()
        .filter(|n| !known.contains(n))
        .collect()
}

/// A local run of a recording, taken as far as it goes by itself.
pub struct Reproduction {
    pub session: crate::session::Session,
    pub log: answers::SharedLog,
    pub divergence: Option<Divergence>,
    /// Tasks left waiting (the recording never reached them): their state names.
    pub waiting: Vec<String>,
}

/// Run `def` (from `path`) on `recording`'s input with its answers, to the end or until
/// only tasks nobody recorded are left, and compare it with the recording.
pub fn reproduce(
    path: &std::path::Path,
    def: Definition,
    recording: &Recording,
    config: Config,
) -> Reproduction {
    use crate::session::{Session, SessionOptions, StopReason};
    let replayer = replayer(recording, &def.machine);
    let log = replayer.log();
    let input = recording.input().unwrap_or_else(|| crate::json!({}));
    let mut session = Session::from_definition(
        path,
        def,
        SessionOptions {
            input: Some(input),
            config,
        },
        Box::new(replayer),
    );
    // Failures and pending tasks stop `continue`; a replay goes on until nothing runs.
    loop {
        match session.continue_() {
            StopReason::Finished | StopReason::Blocked | StopReason::StepLimit => break,
            _ if session.status().is_done() => break,
            _ => {}
        }
    }
    let tokens = log.lock().map(|l| l.tokens.clone()).unwrap_or_default();
    let divergence = divergence(recording, session.execution(), &tokens, true);
    let waiting = session.pending().iter().map(|t| t.state.clone()).collect();
    Reproduction {
        session,
        log,
        divergence,
        waiting,
    }
}

/// The definition a recording runs against, and what the file said about the deployed
/// state machine.
pub struct ReplayDefinition {
    pub path: std::path::PathBuf,
    pub definition: Definition,
    /// The state machine's ARN, when the file is `describe-state-machine-for-execution` output.
    pub state_machine_arn: Option<String>,
    /// The file is such output (its `definition` field holds the definition).
    pub described: bool,
}

/// The definition for `history`: `given`, else `NAME.asl.json` (or `.asl.yaml`) beside
/// the history. A file that `aws stepfunctions describe-state-machine-for-execution` (or
/// `describe-state-machine`) printed gives the definition it holds.
pub fn load_definition(
    history: &std::path::Path,
    given: Option<&std::path::Path>,
) -> Result<ReplayDefinition, String> {
    use crate::session::launch::sibling;
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => ["asl.json", "asl.yaml", "asl.yml"]
            .iter()
            .map(|ext| sibling(history, ext))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                format!(
                    "no definition for {}: give --definition DEF (the definition file, or what \
                     `aws stepfunctions describe-state-machine-for-execution --execution-arn ARN` \
                     prints), or put it beside the history as {}",
                    history.display(),
                    sibling(history, "asl.json").display()
                )
            })?,
    };
    let bytes = crate::asl::source::read_file(&path).map_err(|e| e.to_string())?;
    let described: Option<(String, Option<String>)> =
        serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| {
            let text = v.get("definition")?.as_str()?.to_string();
            let arn = v
                .get("stateMachineArn")
                .and_then(Value::as_str)
                .map(str::to_string);
            (arn.is_some() || v.get("roleArn").is_some()).then_some((text, arn))
        });
    let (definition, state_machine_arn) = match &described {
        Some((text, arn)) => {
            let doc = crate::asl::source::parse_text(
                &path,
                text.clone(),
                crate::asl::source::Format::Json,
            )
            .map_err(|e| format!("{e} (in the description's \"definition\" text)"))?;
            (Definition::from_document(doc), arn.clone())
        }
        None => (
            crate::asl::from_bytes(&path, bytes).map_err(|e| e.to_string())?,
            None,
        ),
    };
    Ok(ReplayDefinition {
        path,
        definition,
        state_machine_arn,
        described: described.is_some(),
    })
}
