//! `stepdbg run DEFINITION`: one headless execution, one JSON object on stdout.

use super::{exit, stderr_color};
use crate::engine::{self, Execution, Step, WorkflowType};
use crate::integrations::dispatch::Dispatch;
use crate::session::callback::{self, CallbackServer};
use crate::session::launch::{LaunchOptions, sibling};
use crate::shell::signals;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The definition file (JSON or YAML).
    pub definition: PathBuf,
    #[command(flatten)]
    pub launch: super::LaunchArgs,
    /// Workflow type: STANDARD enforces the 25,000-event history quota, EXPRESS the
    /// 5-minute limit [default: a template's state machine's type, else STANDARD].
    #[arg(long = "type", value_enum)]
    pub workflow_type: Option<TypeArg>,
    /// Write the history as GetExecutionHistory JSON to this file.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Print each state's inspection record (data-flow stages) to stderr.
    #[arg(long)]
    pub trace: bool,
    /// With --listen: wait for callbacks instead of failing on a task token; each pending
    /// token is printed on stderr as {"pendingTaskToken": ..., "state": ...}.
    #[command(flatten)]
    pub listen: super::ListenArgs,
    /// With --listen: when no callback arrives for this long in real time (`2s`, `500ms`),
    /// move the virtual clock to the next deadline (a task's timeout or heartbeat, a Wait's
    /// end, a back-off), so scripts can test timeout paths.
    #[arg(long, value_name = "DURATION", requires = "listen", value_parser = engine::time::parse_duration)]
    pub advance_after: Option<Duration>,
    /// Keep every answer of this run (mocks, functions, callbacks, failures and retries
    /// included) as a test case of this Step Functions Local mock file (merged into it), so
    /// `--mock-config FILE` reproduces the run with no backend. The state machine is named
    /// after the definition (or --state-machine-name), the test case `recorded` (or
    /// --test-case).
    #[arg(long, value_name = "FILE")]
    pub record_mocks: Option<PathBuf>,
    /// Answer every task nobody else answers (no mock, no backend) with the answer AWS
    /// documents for its integration (a Lambda function: an empty return value), so any
    /// definition runs end to end at once; each such answer is listed on stderr.
    #[arg(long)]
    pub default_answers: bool,
}

/// How `drive` goes about tasks nobody answers and callbacks nobody sends.
struct Drive {
    advance_after: Option<Duration>,
    default_answers: bool,
    seed: u64,
    scope: crate::integrations::lambda::AwsScope,
}

/// The documented default answer for `req` (see `--default-answers`), said on stderr.
fn default_answer(req: &engine::TaskRequest, d: &Drive) -> engine::TaskOutcome {
    use crate::integrations::dispatch::{HandAnswer, hand_outcome};
    let (outcome, call, document) = match crate::integrations::services::default_answer(req, d.seed)
    {
        Some(a) => (engine::TaskOutcome::Success(a.output), a.call, a.document),
        None => (
            hand_outcome(req, HandAnswer::Return(crate::json!({})), &d.scope, d.seed),
            "an empty result".to_string(),
            String::new(),
        ),
    };
    errln!(
        "{}",
        crate::json!({"defaultAnswer": {"state": req.state, "resource": req.resource, "call": call, "document": document}})
    );
    outcome
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum TypeArg {
    Standard,
    Express,
}

fn usage(msg: impl std::fmt::Display) -> i32 {
    errln!("error: {msg}");
    exit::USAGE
}

pub fn run(args: RunArgs) -> i32 {
    // Ctrl-C, SIGTERM and SIGHUP end the run at once, and the functions it started with it.
    signals::exit_now_once_children_start();
    let opts = LaunchOptions {
        workflow_type: args.workflow_type.map(|t| match t {
            TypeArg::Standard => WorkflowType::Standard,
            TypeArg::Express => WorkflowType::Express,
        }),
        record_steps: args.trace,
        ..args.launch.options(&args.definition)
    };
    let launch = match opts.prepare() {
        Ok(l) => l,
        Err(e) => return usage(e),
    };
    let def = match launch.target.open() {
        Ok(o) => o.definition,
        Err(e) => return usage(e),
    };
    for n in &launch.notes {
        errln!("note: {n}");
    }
    if def.has_errors() {
        let color = stderr_color();
        for d in def.errors() {
            errln!("{}", d.render(&def.doc, color));
        }
        return usage(format!(
            "{} is not a valid state machine; fix the errors above",
            args.definition.display()
        ));
    }
    let mut server = match args.listen.serve() {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    if let Some(s) = &server {
        errln!("listening for SendTask* callbacks on http://{}", s.addr);
    }
    let config = crate::engine::Config {
        // Only --history reads the events.
        keep_history: args.history.is_some(),
        ..launch.config
    };
    let mut ex = Execution::new(Arc::new(def.machine), launch.input, config);
    let machine_name = ex.config().state_machine_name.clone();
    let mut answers = Vec::new();
    let how = Drive {
        advance_after: args.advance_after,
        default_answers: args.default_answers,
        seed: ex.config().seed,
        scope: crate::integrations::lambda::AwsScope::of(ex.config()),
    };
    let stuck = drive(
        &mut ex,
        launch.dispatcher,
        server.as_mut(),
        &how,
        &mut answers,
    );
    if let Some(path) = &args.record_mocks {
        let case = args.launch.test_case.as_deref().unwrap_or("recorded");
        match crate::integrations::mock::MockConfig::record_into(
            path,
            &machine_name,
            case,
            &answers,
        ) {
            Ok(()) => errln!(
                "recorded {} answers in {} (state machine {machine_name}, test case {case})",
                answers.len(),
                path.display()
            ),
            Err(e) => return usage(e),
        }
    }
    // Every callback accepted gets its response before the process exits.
    if let Some(s) = server {
        s.shutdown();
    }
    if args.trace {
        for s in ex.steps() {
            errln!(
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
    if let Some(why) = stuck {
        return usage(format!(
            "{why}.\n  (mock files: --mock-config PATH, or {})",
            sibling(&args.definition, "mocks.json").display()
        ));
    }
    let status = ex.status();
    crate::shell::output::stdout_written(|out| status.write_json(out));
    let code = if matches!(status, engine::Status::Succeeded { .. }) {
        exit::OK
    } else {
        exit::FAILED
    };
    // The process ends now: freeing a big execution value by value would only cost time
    // (a fifth of a 10,000-item Map's run), and so would freeing the parsed document.
    std::mem::forget(ex);
    std::mem::forget(def.doc);
    code
}

/// Run `ex` to its end, answering tasks with `dispatcher` and, with an endpoint, waiting
/// for callbacks. Some(why) when a task has nobody to answer it.
fn drive(
    ex: &mut Execution,
    mut dispatcher: crate::integrations::dispatch::Dispatcher,
    mut server: Option<&mut CallbackServer>,
    how: &Drive,
    answers: &mut Vec<(u64, String, engine::TaskOutcome)>,
) -> Option<String> {
    let advance_after = how.advance_after;
    let mut announced = Vec::new();
    let mut timed_out: Vec<String> = Vec::new();
    // Since when nothing has answered (for --advance-after).
    let mut quiet_since = Instant::now();
    loop {
        let mut stuck: Option<String> = None;
        let mut callbacks = Vec::new();
        let tokens = server.as_ref().map(|s| s.tokens());
        let end = ex.run_with(|req| {
            // The function may complete its own token through the endpoint while it runs.
            if let (Some(tokens), Some(token)) = (&tokens, &req.token) {
                tokens.expect(token);
            }
            match dispatcher.dispatch(req) {
                Dispatch::Handled { outcome, .. } => {
                    answers.push((req.id, req.state.clone(), outcome.clone()));
                    Some(outcome)
                }
                Dispatch::CallbackPending { .. } if how.default_answers => {
                    let outcome = default_answer(req, how);
                    answers.push((req.id, req.state.clone(), outcome.clone()));
                    Some(outcome)
                }
                Dispatch::CallbackPending { .. } => {
                    callbacks.push(req.id);
                    stuck = Some(format!(
                        "the Task state '{}' waits for its task token (SendTaskSuccess/SendTaskFailure); \
                         run with --listen 127.0.0.1:PORT to send it, mock the state, or open the definition in the debugger",
                        req.state
                    ));
                    None
                }
                Dispatch::Unhandled(_) if how.default_answers => {
                    let outcome = default_answer(req, how);
                    answers.push((req.id, req.state.clone(), outcome.clone()));
                    Some(outcome)
                }
                Dispatch::Unhandled(why) => {
                    stuck = Some(why.to_string());
                    None
                }
            }
        });
        for id in callbacks {
            ex.task_started(id);
        }
        let Some(server) = server.as_deref_mut() else {
            return matches!(end, Step::Task(_)).then_some(stuck).flatten();
        };
        // With --listen, tasks that carry a token wait for callbacks; others still stop us.
        match &end {
            Step::Task(req) if req.token.is_none() => return stuck,
            Step::Task(_) | Step::Blocked => {}
            _ => return None,
        }
        for t in ex.pending_tasks() {
            if let Some(token) = &t.token
                && !announced.contains(token)
            {
                announced.push(token.clone());
                errln!(
                    "{}",
                    crate::json!({"pendingTaskToken": token, "state": t.state})
                );
            }
        }
        if !matches!(end, Step::Blocked) {
            continue;
        }
        // Wait for a callback; time passes on the virtual clock as it does on the wall clock.
        let mut wait_ms = ex
            .next_wakeup()
            .map_or(1000, |w| (w - ex.clock()).clamp(1, 1000));
        if let Some(after) = advance_after {
            let left = after.saturating_sub(quiet_since.elapsed()).as_millis();
            wait_ms = wait_ms.min(i64::try_from(left).unwrap_or(i64::MAX).max(1));
        }
        let started = Instant::now();
        if let Some(req) = server.recv_timeout(Duration::from_millis(wait_ms as u64)) {
            let task = ex
                .task_by_token(&req.token)
                .map(|t| (t.id, t.state.clone()));
            let result = callback::apply(ex, &req.token.clone(), &req.action.clone(), &timed_out);
            if let (Ok(()), Some((id, state)), Some(outcome)) =
                (&result, task, req.action.outcome())
            {
                answers.push((id, state, outcome));
            }
            req.answer(result);
            quiet_since = Instant::now();
        }
        let mut until = ex.clock() + started.elapsed().as_millis() as i64;
        // Nobody answered for long enough: on to the next deadline.
        if advance_after.is_some_and(|after| quiet_since.elapsed() >= after)
            && let Some(next) = ex.next_wakeup()
        {
            errln!(
                "{}",
                crate::json!({"advancedTo": engine::time::format_millis(next.max(until))})
            );
            until = until.max(next);
            quiet_since = Instant::now();
        }
        for (_, token) in ex.advance_to_ending_tokens(until) {
            if !ex.status().is_done() && !timed_out.contains(&token) {
                server.tokens().timed_out(&token);
                timed_out.push(token);
            }
        }
    }
}
