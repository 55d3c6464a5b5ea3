//! What each state does: input processing, the state's own work, result processing,
//! Retry/Catch, transitions, and Parallel/Map children.

use super::env::{Env, SeededRng, StateFacts, Vars};
use super::history::EventData;
use super::map_setup;
use super::time::parse_timestamp;
use super::*;
use crate::asl::build::is_lambda_function_arn;
use crate::asl::model::*;
use crate::expr::ExprError;
use crate::expr::compact;
use crate::expr::jsonata::{self as jsonata, States};
use crate::expr::jsonpath::JsonPath;
use crate::expr::template::{PathFailure, PayloadTemplate, resolve_path};
use std::borrow::Cow;
use std::cell::OnceCell;

/// A value as AWS quotes it after `==` in Wait messages: strings raw, the rest as JSON.
fn raw_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        v => compact(v),
    }
}

/// Result processing's products: the output, the variables to assign, and the
/// intermediate stages kept for inspection (after ResultSelector, after ResultPath).
type Processed = (Value, Map, Option<Value>, Option<Value>);

/// A Map state's iteration inputs, concurrency limit and failure tolerances.
fn placeholder_error(field: &str, text: &str) -> ExprError {
    ExprError::runtime(format!(
        "The field '{field}' holds the deployment placeholder {text}, which has no value locally; substitute it to run this state"
    ))
}

/// How a piece of state work ended.
enum Flow {
    /// Go on to `next` (None: the thread ends) with `output`.
    Exit { output: Value, next: Option<usize> },
    /// Go on to `next` with the state's raw input as its output (nothing changed it).
    ExitUnchanged { next: Option<usize> },
    /// The thread now waits (task, timer, children); `step` is what to report.
    Wait(Step),
    /// The state failed; Retry/Catch decide.
    Fail(Failure),
}

/// An expression error inside state `name`: AWS prefixes its cause with where it happened.
fn located(name: &str, entered: u64, e: ExprError) -> Failure {
    Failure::new(
        e.error,
        format!(
            "An error occurred while executing the state '{name}' (entered at the event id #{entered}). {}",
            e.cause
        ),
    )
}

/// Build the evaluation environment for a thread from disjoint borrows of the execution.
macro_rules! env {
    ($self:ident, $i:expr, $name:expr) => {{
        let t = &$self.threads[$i];
        let can_retry = {
            let m = machine_at(&$self.machine, &t.machine);
            matches!(
                m.states[t.state].kind,
                StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
            )
        };
        Env {
            facts: StateFacts {
                cfg: &$self.cfg,
                input: &$self.input,
                redrive_count: $self.redrive_count,
                state_name: $name,
                entered_ms: t.entered_ms,
                retry_count: can_retry.then_some(t.retry_total),
                token: t.token.as_deref(),
            },
            context: OnceCell::new(),
            vars: &t.vars,
            rng: &mut $self.rng,
            clock: $self.clock,
        }
    }};
}

pub(super) fn select_path(
    path: &JsonPath,
    input: &Value,
    env: &Env<'_>,
) -> Result<Value, ExprError> {
    resolve_path(path, input, env).map_err(|e| match e {
        PathFailure::Error(e) => e,
        PathFailure::NotFound => {
            let root = match path.root() {
                crate::expr::jsonpath::PathRoot::Input => Some(input),
                crate::expr::jsonpath::PathRoot::Context => Some(env.context_value()),
                crate::expr::jsonpath::PathRoot::Variable(n) => env.vars.get(n),
            };
            let msg = match root {
                Some(r) => path.select(r).err().map(|e| e.0).unwrap_or_default(),
                None => format!("The variable '{}' is not defined", path.text()),
            };
            ExprError::runtime(format!("Invalid path '{}' : {msg}", path.text()))
        }
    })
}

/// InputPath/OutputPath: absent keeps the value, null gives `{}`.
fn apply_filter(
    path: &Option<Option<JsonPath>>,
    v: &Value,
    env: &Env<'_>,
) -> Result<Value, ExprError> {
    filter_ref(path, v, env).map(Cow::into_owned)
}

/// InputPath/OutputPath without copying when the value passes through whole.
fn filter_ref<'a>(
    path: &Option<Option<JsonPath>>,
    v: &'a Value,
    env: &Env<'_>,
) -> Result<Cow<'a, Value>, ExprError> {
    match path {
        None => Ok(Cow::Borrowed(v)),
        Some(None) => Ok(Cow::Owned(json!({}))),
        Some(Some(p)) if matches!(p.root(), crate::expr::jsonpath::PathRoot::Input) => {
            match p.select_cow(v) {
                Ok(c) => Ok(c),
                Err(_) => select_path(p, v, env).map(Cow::Owned),
            }
        }
        Some(Some(p)) => select_path(p, v, env).map(Cow::Owned),
    }
}

/// OutputPath on a value we own.
fn filter_owned(
    path: &Option<Option<JsonPath>>,
    v: Value,
    env: &Env<'_>,
) -> Result<Value, ExprError> {
    match path {
        None => Ok(v),
        _ => apply_filter(path, &v, env),
    }
}

/// A ResultPath that cannot be written into its target.
fn result_path_error(path: &JsonPath, e: crate::expr::jsonpath::PathError) -> ExprError {
    ExprError::runtime(format!("Invalid path '{}' : {}", path.text(), e.0))
}

/// Evaluate an `Assign` block; the new values are applied by the caller afterwards, so
/// every value is computed from the state-entry variables.
fn eval_assign(
    assign: &Assign,
    dollar: &Value,
    states: States<'_>,
    env: &mut Env<'_>,
) -> Result<Map, ExprError> {
    let v = match assign {
        Assign::JsonPath(t) => t.eval(dollar, env)?,
        Assign::Jsonata(t) => t.eval("Assign", states, env)?,
    };
    Ok(match v {
        Value::Object(m) => m,
        _ => Map::new(),
    })
}

/// Room for the stages a visit to `state` records, made once (grown from 4 to 8 as they
/// came, a Pass with InputPath, Parameters and ResultPath reallocated its stages).
fn stage_room(state: &State) -> usize {
    match state.kind {
        StateKind::Task(_) | StateKind::Map(_) | StateKind::Parallel(_) => 8,
        StateKind::Pass(_) => {
            let io = &state.io;
            // Input, result and output, and a stage per data-flow field.
            let fields = [
                io.input_path.is_some(),
                io.parameters.is_some(),
                io.result_selector.is_some(),
                io.result_path.is_some(),
                io.assign.is_some(),
            ];
            (3 + fields.into_iter().filter(|&f| f).count()).max(4)
        }
        _ => 4,
    }
}

impl Execution {
    /// A state's Assign: the variables take their values, and the state's exit event says
    /// what was assigned (AWS's `assignedVariables`).
    fn assign(&mut self, i: usize, assigned: Map) {
        if !assigned.is_empty() {
            self.threads[i].extra().assigned = Some(assigned.clone());
        } else if let Some(extra) = &mut self.threads[i].extra {
            extra.assigned = None;
        }
        apply_vars(&mut self.threads[i].vars, assigned);
    }
}

fn apply_vars(vars: &mut Arc<Vars>, assigned: Map) {
    if assigned.is_empty() {
        return;
    }
    let v = Arc::make_mut(vars);
    for (k, val) in assigned {
        v.own.insert(k, val);
    }
}

pub(crate) fn resource_parts(resource: &str) -> (String, String) {
    if let Some(rest) = resource.strip_prefix("arn:aws:states:::") {
        if let Some((ty, action)) = rest.rsplit_once(':') {
            return (ty.to_string(), action.to_string());
        }
        return (rest.to_string(), String::new());
    }
    let parts: Vec<&str> = resource.split(':').collect();
    if parts.len() >= 7 && parts[2] == "states" && parts[5] == "activity" {
        return ("activity".into(), resource.to_string());
    }
    ("custom".into(), resource.to_string())
}

/// A count/percentage/concurrency from a `...Path`: AWS's messages for bad values.
fn path_number(
    field: &str,
    path: &JsonPath,
    input: &Value,
    env: &Env<'_>,
    float: bool,
) -> Result<f64, ExprError> {
    let v = select_path(path, input, env)?;
    // AWS also accepts numeric strings ("1") here.
    let n = match &v {
        Value::Number(n) if float => n.as_f64(),
        Value::Number(n) => n.as_i64().map(|i| i as f64),
        Value::String(s) if float => s.trim().parse::<f64>().ok(),
        Value::String(s) => s.trim().parse::<i64>().ok().map(|i| i as f64),
        _ => None,
    };
    n.ok_or_else(|| {
        ExprError::runtime(format!(
            "The {field} field refers to value \"{}\" which is not a valid {}: {}",
            raw_text(&v),
            if float { "float" } else { "integer" },
            path.text()
        ))
    })
}

pub(super) fn dyn_number(
    d: &Dyn<f64>,
    field: &str,
    input: &Value,
    states: States<'_>,
    env: &mut Env<'_>,
    float: bool,
) -> Result<f64, ExprError> {
    match d {
        Dyn::Static(n) => Ok(*n),
        Dyn::Placeholder(text) => Err(placeholder_error(field, text)),
        Dyn::Path(p) => path_number(&format!("{field}Path"), p, input, env, float),
        Dyn::Expr(e) => {
            let v = jsonata::eval_field(e, field, states, env)?;
            match v.as_f64() {
                Some(n) if float || n.fract() == 0.0 => Ok(n),
                _ => Err(jsonata::unexpected_type_error(
                    e,
                    field,
                    if float { "number" } else { "integer" },
                    &v,
                )),
            }
        }
    }
}

impl Execution {
    pub(crate) fn run_thread(&mut self, i: usize) -> Step {
        let phase = match std::mem::replace(
            &mut self.threads[i].status,
            ThreadStatus::Ready(Phase::Enter),
        ) {
            ThreadStatus::Ready(p) => p,
            other => {
                self.threads[i].status = other;
                return Step::Blocked;
            }
        };
        let machine = self.machine.clone();
        let m = machine_at(&machine, &self.threads[i].machine);
        let state = &m.states[self.threads[i].state];
        let flow = match phase {
            Phase::Enter => {
                if let Some(step) = self.enter(i, state) {
                    return step;
                }
                self.run_state(i, state)
            }
            Phase::Run => self.run_state(i, state),
            Phase::TaskDone(outcome) => match (&state.kind, *outcome) {
                (StateKind::Map(_), outcome)
                    if self.threads[i]
                        .extra
                        .as_ref()
                        .is_some_and(|e| e.writing_results) =>
                {
                    self.results_written(i, state, outcome)
                }
                (StateKind::Map(map), outcome) => self.items_read(i, state, map, outcome),
                (_, outcome) => self.task_done(i, state, outcome),
            },
            Phase::WaitDone => {
                let effective = self.take_effective(i);
                self.finish_io(i, state, effective, None, None)
            }
            Phase::ChildrenDone => self.children_done(i, state),
        };
        self.apply_flow(i, state, flow)
    }

    fn apply_flow(&mut self, i: usize, state: &State, flow: Flow) -> Step {
        match flow {
            Flow::Exit { output, next } => self.exit(i, state, Exiting::Owned(output), next),
            Flow::ExitUnchanged { next } => {
                let output = self.threads[i].input.clone();
                self.exit(i, state, Exiting::Shared(output), next)
            }
            Flow::Wait(step) => step,
            Flow::Fail(f) => self.handle_failure(i, state, f),
        }
    }

    /// Emit `<Type>StateEntered`; returns a step when the execution ended here (quota).
    fn enter(&mut self, i: usize, state: &State) -> Option<Step> {
        if self.cfg.workflow_type == WorkflowType::Standard
            && self.events as usize + 2 > MAX_HISTORY_EVENTS
        {
            let cause = format!(
                "The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS}) before entering the state '{}'.",
                state.name
            );
            self.emit(
                0,
                EventKind::ExecutionFailed,
                json!({"error": "States.Runtime", "cause": cause}),
            );
            self.finish(Status::Failed {
                error: Some("States.Runtime".into()),
                cause: Some(cause),
            });
            return Some(Step::Finished);
        }
        let kind: EventKind = match &state.kind {
            StateKind::Pass(_) => EventKind::PassStateEntered,
            StateKind::Task(_) => EventKind::TaskStateEntered,
            StateKind::Choice(_) => EventKind::ChoiceStateEntered,
            StateKind::Wait(_) => EventKind::WaitStateEntered,
            StateKind::Succeed => EventKind::SucceedStateEntered,
            StateKind::Fail(_) => EventKind::FailStateEntered,
            StateKind::Parallel(_) => EventKind::ParallelStateEntered,
            StateKind::Map(_) => EventKind::MapStateEntered,
        };
        let id = if self.cfg.keep_history {
            let data = EventData::State {
                name: state.name.clone(),
                payload: self.threads[i].input.clone(),
                assigned: None,
            };
            self.emit_data(i, kind, data)
        } else {
            self.count_event(i)
        };
        let now = self.clock;
        let t = &mut self.threads[i];
        t.entered_event = id;
        t.entered_ms = now;
        let prior = if i == 0 { self.cfg.prior_retries } else { 0 };
        if !state.retry.is_empty() {
            let counts = &mut t.extra().retry_counts;
            if counts.len() == state.retry.len() {
                counts.fill(prior);
            } else {
                *counts = vec![prior; state.retry.len()].into();
            }
        } else if let Some(extra) = &mut t.extra {
            extra.retry_counts = Box::default();
        }
        t.retry_total = 0;
        t.token = None;
        if self.cfg.record_steps {
            let mut rec = StepRecord {
                thread: i,
                state: state.name.clone(),
                state_pointer: state.pointer.clone(),
                state_type: state.type_name(),
                first_event: id,
                last_event: id,
                entered_ms: now,
                stages: Vec::with_capacity(stage_room(state)),
                ..StepRecord::default()
            };
            rec.set_shared(Stage::Input, t.input.clone());
            if let Some(vars) = Some(t.vars.flatten()).filter(|v| !v.is_empty()) {
                rec.set(Stage::VariablesBefore, &Value::Object(vars));
            }
            t.record = Some(Box::new(rec));
        }
        None
    }

    fn record(&mut self, i: usize, stage: Stage, v: &Value) {
        if let Some(r) = &mut self.threads[i].record {
            r.set(stage, v);
        }
    }

    fn record_value(&mut self, i: usize, stage: Stage, v: StageValue) {
        if let Some(r) = &mut self.threads[i].record {
            r.put(stage, v);
        }
    }

    fn record_shared(&mut self, i: usize, stage: Stage, v: Arc<Value>) {
        if let Some(r) = &mut self.threads[i].record {
            r.set_shared(stage, v);
        }
    }

    /// The state's effective input and its own work.
    fn run_state(&mut self, i: usize, state: &State) -> Flow {
        let name = &*state.name;
        let entered = self.threads[i].entered_event;
        let lang = state.query_language;
        // A callback task's token must exist before Parameters/Arguments read $$.Task.Token.
        if let StateKind::Task(task) = &state.kind
            && task.pattern() == IntegrationPattern::WaitForTaskToken
            && self.threads[i].token.is_none()
        {
            // 128 bits, hex: deterministic for a seed and secret (replays give the same
            // tokens), unguessable while the secret is.
            let (a, b): (u64, u64) = (self.rng.random(), self.rng.random());
            let bits = ((u128::from(a) << 64) | u128::from(b)) ^ self.cfg.token_secret;
            self.threads[i].token = Some(format!("{bits:032x}").into());
        }
        // A JSONPath Choice without InputPath reads the raw input as it is.
        if let StateKind::Choice(c) = &state.kind
            && lang == QueryLanguage::JsonPath
            && state.io.input_path.is_none()
        {
            return self.choose(i, state, c, None);
        }
        // Input processing (borrowing the raw input: it stays the thread's for ResultPath).
        let record = self.cfg.record_steps;
        let processed = {
            let mut env = env!(self, i, name);
            let raw: &Value = &self.threads[i].input;
            if lang == QueryLanguage::JsonPath {
                let after_input = match &state.kind {
                    StateKind::Fail(_) => Ok(Cow::Borrowed(raw)),
                    _ => filter_ref(&state.io.input_path, raw, &env),
                };
                after_input.and_then(|after_input| {
                    let after_params = match (&state.kind, &state.io.parameters) {
                        (StateKind::Map(_), _) | (_, None) => None,
                        (_, Some(t)) => Some(t.eval(&after_input, &mut env)?),
                    };
                    // The record shows a part of the input it holds as that part, and
                    // copies only a value InputPath made (a `$$` or variable path).
                    let shown = match (&state.io.input_path, &after_input) {
                        (Some(Some(p)), Cow::Borrowed(_)) if record => {
                            StageValue::within(&self.threads[i].input, p)
                        }
                        (Some(_), _) if record => {
                            Some(StageValue::Held(Arc::new(after_input.clone().into_owned())))
                        }
                        _ => None,
                    };
                    Ok(match after_params {
                        Some(p) => (Some(p), shown, Some(Stage::AfterParameters)),
                        // The raw input itself: see `raw_input_as_effective`.
                        None if matches!(after_input, Cow::Borrowed(v) if std::ptr::eq(v, raw)) => {
                            (None, shown, None)
                        }
                        None => (Some(after_input.into_owned()), shown, None),
                    })
                })
            } else {
                match &state.io.arguments {
                    Some(args) => args
                        .eval("Arguments", States::input(raw), &mut env)
                        .map(|v| (Some(v), None, Some(Stage::AfterArguments))),
                    None => Ok((None, None, None)),
                }
            }
        };
        let effective = match processed {
            Ok((effective, after_input, stage)) => {
                if let Some(a) = after_input
                    && let Some(r) = &mut self.threads[i].record
                {
                    r.put(Stage::AfterInputPath, a);
                }
                if let (Some(stage), Some(v)) = (stage, &effective)
                    && !(record && parameters_are_output(state))
                {
                    self.record(i, stage, v);
                }
                effective
            }
            Err(e) => return Flow::Fail(located(name, entered, e)),
        };
        if let StateKind::Map(map) = &state.kind {
            return self.start_map(i, state, map, effective);
        }
        if let StateKind::Parallel(p) = &state.kind {
            // The branches share their input until one writes into it.
            let shared = match effective {
                Some(e) => Arc::new(e),
                None => self.threads[i].input.clone(),
            };
            let inputs = vec![shared; p.branches.len()];
            self.emit(i, EventKind::ParallelStateStarted, json!({}));
            if let Some(flow) = self.stand_in_children(i, false, None, None) {
                return flow;
            }
            self.spawn_children(i, state, inputs, false, 0, None, None);
            return Flow::Wait(Step::Progressed { thread: i });
        }
        let effective = match effective {
            Some(e) => e,
            None => self.raw_input_as_effective(i, state),
        };

        match &state.kind {
            StateKind::Pass(p) => {
                let result = p.result.clone().unwrap_or(effective);
                self.finish_io(i, state, result, None, None)
            }
            StateKind::Succeed => self.finish_io(i, state, effective, None, None),
            StateKind::Task(task) => self.schedule_task(i, state, task, effective),
            StateKind::Choice(c) => self.choose(i, state, c, Some(effective)),
            StateKind::Wait(w) => self.wait(i, state, w, effective),
            StateKind::Fail(f) => self.fail_state(i, state, f, &effective),
            StateKind::Map(_) | StateKind::Parallel(_) => unreachable!("started above"),
        }
    }

    /// A state's effective input when it is its raw input (no InputPath nor Parameters or
    /// Arguments): not made when a Pass's Result replaces it, moved out of the thread when
    /// nothing reads the raw input again (a run that keeps no records), copied otherwise.
    fn raw_input_as_effective(&mut self, i: usize, state: &State) -> Value {
        if matches!(&state.kind, StateKind::Pass(p) if p.result.is_some()) {
            return Value::Null;
        }
        // The output processing reads the raw input for ResultPath (JSONPath) or for
        // `$states.input` in Output or Assign (JSONata); a Pass or Succeed cannot be
        // retried nor caught.
        let unread_after = !self.cfg.record_steps
            && match (&state.kind, state.query_language) {
                (StateKind::Succeed, QueryLanguage::JsonPath) => true,
                (StateKind::Pass(_), QueryLanguage::JsonPath) => is_whole(&state.io.result_path),
                (StateKind::Pass(_) | StateKind::Succeed, QueryLanguage::Jsonata) => {
                    state.io.output.is_none() && state.io.assign.is_none()
                }
                _ => false,
            };
        if unread_after {
            self.take_input(i)
        } else {
            Value::clone(&self.threads[i].input)
        }
    }

    fn fail_state(&mut self, i: usize, state: &State, f: &Fail, input: &Value) -> Flow {
        let mut env = env!(self, i, &state.name);
        let raw_input = self.threads[i].input.clone();
        let raw: &Value = &raw_input;
        let field = |ff: &Option<FailField>,
                     key: &str,
                     env: &mut Env<'_>|
         -> Result<Option<String>, ExprError> {
            Ok(match ff {
                None => None,
                Some(FailField::Static(s)) => Some(s.clone()),
                Some(FailField::Path(p)) => {
                    // AWS names the field (ErrorPath, CausePath) when the path finds nothing.
                    let v = resolve_path(p, input, env).map_err(|e| match e {
                        PathFailure::NotFound => ExprError::runtime(format!(
                            "The JSONPath '{}' specified for the field '{key}Path' could not be found in the input '{}'",
                            p.text(),
                            compact(input)
                        )),
                        PathFailure::Error(e) => e,
                    })?;
                    Some(raw_text(&v))
                }
                Some(FailField::Intrinsic(call)) => {
                    let mut t = PayloadTemplate::Intrinsic {
                        field: "Error".into(),
                        call: call.clone(),
                    };
                    let v = std::mem::replace(&mut t, PayloadTemplate::Const(Value::Null))
                        .eval(input, env)?;
                    Some(raw_text(&v))
                }
                Some(FailField::Expr(e)) => Some(raw_text(&jsonata::eval_field(
                    e,
                    key,
                    States::input(raw),
                    env,
                )?)),
            })
        };
        let error = field(&f.error, "Error", &mut env);
        let cause = field(&f.cause, "Cause", &mut env);
        drop(env);
        match (error, cause) {
            (Ok(error), Ok(cause)) => {
                let failure = Failure { error, cause };
                self.close_record(i, None, Some(&failure));
                self.thread_failed(i, failure);
                Flow::Wait(Step::Progressed { thread: i })
            }
            (Err(e), _) | (_, Err(e)) => {
                Flow::Fail(located(&state.name, self.threads[i].entered_event, e))
            }
        }
    }

    /// `input` is the effective input, or None when it is the raw input unchanged (no
    /// InputPath): then, without OutputPath, the output shares the input.
    fn choose(&mut self, i: usize, state: &State, c: &Choice, input: Option<Value>) -> Flow {
        let name = &*state.name;
        let entered = self.threads[i].entered_event;
        let record = self.cfg.record_steps;
        let mut trace = record.then(ChoiceTrace::default);
        let mut env = env!(self, i, name);
        let raw: &Value = &self.threads[i].input;
        let effective: &Value = input.as_ref().unwrap_or(raw);
        let mut chosen: Option<&ChoiceBranch> = None;
        let mut failed = None;
        let mut decided = c.choices.len();
        for (k, b) in c.choices.iter().enumerate() {
            let r = choice_rule(&b.rule, raw, effective, &mut env);
            if let Some(trace) = &mut trace {
                trace.rules.push((b.description.clone(), rule_outcome(&r)));
            }
            match r {
                Ok(true) => {
                    chosen = Some(b);
                    decided = k + 1;
                    break;
                }
                Ok(false) => {}
                Err(e) => {
                    failed = Some(e);
                    decided = k + 1;
                    break;
                }
            }
        }
        if let Some(mut trace) = trace {
            drop(env);
            // The debugger shows every rule: those after the deciding one are evaluated
            // for it alone, on a copy of the random generator.
            self.explain_rules_after(i, c, input.as_ref(), decided, &mut trace);
            let name_of = |index: usize| {
                machine_at(&self.machine, &self.threads[i].machine).states[index]
                    .name
                    .clone()
            };
            // A rule that failed decides too: the state fails, no branch is taken.
            if let Some(k) = chosen.map(|_| decided - 1) {
                trace.matched = Some(k);
                trace.next = Some(name_of(c.choices[k].next.index));
            } else if failed.is_none() {
                trace.next = c.default.as_ref().map(|d| name_of(d.index));
            }
            if let Some(rec) = &mut self.threads[i].record {
                rec.choice = Some(Box::new(trace));
            }
            env = env!(self, i, name);
        }
        if let Some(e) = failed {
            return Flow::Fail(located(name, entered, e));
        }
        let raw: &Value = &self.threads[i].input;
        let effective: &Value = input.as_ref().unwrap_or(raw);
        let (next, output_t, assign) = match chosen {
            Some(b) => (
                Some(b.next.index),
                b.output.as_ref().or(state.io.output.as_deref()),
                b.assign.as_ref().or(state.io.assign.as_deref()),
            ),
            None => match &c.default {
                Some(d) => (
                    Some(d.index),
                    state.io.output.as_deref(),
                    state.io.assign.as_deref(),
                ),
                None => {
                    drop(env);
                    return Flow::Fail(Failure::new(
                        "States.NoChoiceMatched",
                        format!(
                            "No Choice Rules matched and no Default was specified in the state '{name}'"
                        ),
                    ));
                }
            },
        };
        let out = (|| -> Result<(Option<Value>, Map), ExprError> {
            let assigned = match assign {
                Some(a) => eval_assign(a, effective, States::input(raw), &mut env)?,
                None => Map::new(),
            };
            let output = if state.query_language == QueryLanguage::Jsonata {
                match output_t {
                    Some(t) => Some(t.eval("Output", States::input(raw), &mut env)?),
                    None => None,
                }
            } else if input.is_none() && state.io.output_path.is_none() {
                None
            } else {
                Some(apply_filter(&state.io.output_path, effective, &env)?)
            };
            Ok((output, assigned))
        })();
        drop(env);
        match out {
            Ok((output, assigned)) => {
                self.assign(i, assigned);
                match output {
                    Some(output) => Flow::Exit { output, next },
                    None => Flow::ExitUnchanged { next },
                }
            }
            Err(e) => Flow::Fail(located(name, entered, e)),
        }
    }

    fn wait(&mut self, i: usize, state: &State, w: &Wait, input: Value) -> Flow {
        let name = &*state.name;
        let entered = self.threads[i].entered_event;
        let raw_input = self.threads[i].input.clone();
        let raw: &Value = &raw_input;
        let mut env = env!(self, i, name);
        let now = env.clock;
        let until = (|| -> Result<i64, ExprError> {
            match &w.how {
                WaitFor::Seconds(Dyn::Path(p)) => {
                    let v = select_path(p, &input, &env)?;
                    match v.as_i64() {
                        Some(n) if n >= 0 => Ok(now.saturating_add(n.saturating_mul(1000))),
                        Some(_) => Err(ExprError::runtime(format!("The SecondsPath parameter references a negative value: {} == {}", p.text(), raw_text(&v)))),
                        None => Err(ExprError::runtime(format!("The SecondsPath parameter cannot be parsed as a long value: {} == {}", p.text(), raw_text(&v)))),
                    }
                }
                WaitFor::Seconds(d) => {
                    let secs = dyn_number(d, "Seconds", &input, States::input(raw), &mut env, false)?;
                    if secs < 0.0 {
                        return Err(ExprError::runtime("The Seconds field must not be negative".to_string()));
                    }
                    // `as` saturates; so does the sum (a wait past the year 292 million).
                    Ok(now.saturating_add((secs * 1000.0) as i64))
                }
                WaitFor::Timestamp(Dyn::Placeholder(text)) => Err(placeholder_error("Timestamp", text)),
                WaitFor::Timestamp(Dyn::Static(s)) => parse_timestamp(s)
                    .map(|t| t.timestamp_millis())
                    .ok_or_else(|| ExprError::runtime(format!("The Timestamp field is not a valid ISO-8601 extended offset date-time: {s}"))),
                WaitFor::Timestamp(Dyn::Path(p)) => {
                    let v = select_path(p, &input, &env)?;
                    v.as_str().and_then(parse_timestamp).map(|t| t.timestamp_millis()).ok_or_else(|| {
                        ExprError::runtime(format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                            p.text(),
                            raw_text(&v)
                        ))
                    })
                }
                WaitFor::Timestamp(Dyn::Expr(e)) => {
                    let v = jsonata::eval_field(e, "Timestamp", States::input(raw), &mut env)?;
                    v.as_str().and_then(parse_timestamp).map(|t| t.timestamp_millis()).ok_or_else(|| ExprError {
                        error: "States.QueryEvaluationError".into(),
                        cause: format!("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}", raw_text(&v)),
                    })
                }
            }
        })();
        drop(env);
        match until {
            Ok(until) => {
                self.threads[i].extra().effective = Some(input);
                self.threads[i].status = ThreadStatus::Sleeping {
                    until: until.max(now),
                    then: Phase::WaitDone,
                };
                Flow::Wait(Step::Progressed { thread: i })
            }
            Err(e) => Flow::Fail(located(name, entered, e)),
        }
    }

    fn schedule_task(&mut self, i: usize, state: &State, task: &Task, effective: Value) -> Flow {
        let name = &*state.name;
        let entered = self.threads[i].entered_event;
        let raw_input = self.threads[i].input.clone();
        let raw: &Value = &raw_input;
        let mut env = env!(self, i, name);
        let states = States::input(raw);
        let timeout = task
            .timeout_seconds
            .as_ref()
            .map(|d| dyn_number(d, "TimeoutSeconds", raw, states, &mut env, false))
            .transpose();
        let heartbeat = task
            .heartbeat_seconds
            .as_ref()
            .map(|d| dyn_number(d, "HeartbeatSeconds", raw, states, &mut env, false))
            .transpose();
        drop(env);
        let (timeout, heartbeat) = match (timeout, heartbeat) {
            (Ok(t), Ok(h)) => (t.map(|v| v.max(1.0) as u64), h.map(|v| v.max(1.0) as u64)),
            (Err(e), _) | (_, Err(e)) => return Flow::Fail(located(name, entered, e)),
        };
        let id = self.next_task;
        self.next_task += 1;
        let attempt = self.threads[i].retry_total;
        let req = TaskRequest {
            id,
            thread: i,
            state: name.to_string(),
            state_pointer: state.pointer.to_string(),
            resource: task.resource.clone(),
            input: effective.clone(),
            token: self.threads[i].token.as_deref().map(str::to_owned),
            attempt,
            scheduled_ms: self.clock,
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            started_ms: None,
            last_heartbeat_ms: None,
            scope: self.scope_of(i),
        };
        if is_lambda_function_arn(&task.resource) {
            self.emit_lazy(i, EventKind::LambdaFunctionScheduled, |_| {
                let mut d = json!({"resource": task.resource, "input": compact(&effective), "inputDetails": {"truncated": false}});
                if let Some(t) = timeout {
                    d["timeoutInSeconds"] = json!(t);
                }
                d
            });
            self.emit(i, EventKind::LambdaFunctionStarted, json!({}));
        } else {
            let (rt, r) = resource_parts(&task.resource);
            self.emit_lazy(i, EventKind::TaskScheduled, |ex| {
                let mut d = json!({"resourceType": rt, "resource": r, "region": ex.cfg.region, "parameters": compact(&effective)});
                if let Some(t) = timeout {
                    d["timeoutInSeconds"] = json!(t);
                }
                if let Some(h) = heartbeat {
                    d["heartbeatInSeconds"] = json!(h);
                }
                d
            });
            self.emit(
                i,
                EventKind::TaskStarted,
                json!({"resourceType": rt, "resource": r}),
            );
        }
        self.threads[i].extra().effective = Some(effective);
        self.threads[i].status = ThreadStatus::WaitingTask(id);
        self.tasks.insert(id, req.clone());
        Flow::Wait(Step::Task(Box::new(req)))
    }

    fn task_done(&mut self, i: usize, state: &State, outcome: TaskOutcome) -> Flow {
        let StateKind::Task(task) = &state.kind else {
            unreachable!()
        };
        let lambda = is_lambda_function_arn(&task.resource);
        let (rt, r) = resource_parts(&task.resource);
        match outcome {
            TaskOutcome::Success(result) => {
                if crate::expr::compact_len_exceeds(&result, MAX_PAYLOAD_BYTES) {
                    return Flow::Fail(Failure::new(
                        "States.DataLimitExceeded",
                        format!(
                            "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                            state.name
                        ),
                    ));
                }
                if lambda {
                    self.emit_lazy(i, EventKind::LambdaFunctionSucceeded, |_| {
                        json!({"output": compact(&result), "outputDetails": {"truncated": false}})
                    });
                } else {
                    self.emit_lazy(i, EventKind::TaskSucceeded, |_| {
                        json!({"resourceType": rt, "resource": r, "output": compact(&result), "outputDetails": {"truncated": false}})
                    });
                }
                self.finish_io(i, state, result, None, None)
            }
            TaskOutcome::Failure(f) => {
                let timed_out =
                    matches!(f.error_name(), "States.Timeout" | "States.HeartbeatTimeout");
                let mut d = if lambda {
                    json!({})
                } else {
                    json!({"resourceType": rt, "resource": r})
                };
                if let Some(e) = &f.error {
                    d["error"] = json!(e);
                }
                if let Some(c) = &f.cause {
                    d["cause"] = json!(c);
                }
                let kind = match (lambda, timed_out) {
                    (true, true) => EventKind::LambdaFunctionTimedOut,
                    (true, false) => EventKind::LambdaFunctionFailed,
                    (false, true) => EventKind::TaskTimedOut,
                    (false, false) => EventKind::TaskFailed,
                };
                self.emit(i, kind, d);
                Flow::Fail(f)
            }
        }
    }

    /// Result processing after a state's work produced `result`:
    /// ResultSelector → ResultPath → OutputPath (JSONPath) or Output (JSONata), and Assign.
    /// `result_len_bound`: an upper bound of `result`'s compact length, when known.
    fn finish_io(
        &mut self,
        i: usize,
        state: &State,
        result: Value,
        error_output: Option<&Value>,
        result_len_bound: Option<usize>,
    ) -> Flow {
        let name = &*state.name;
        let entered = self.threads[i].entered_event;
        let has_result = !matches!(state.kind, StateKind::Succeed | StateKind::Wait(_));
        let record = self.cfg.record_steps;
        // The record shares the output for these (see `exit`) rather than copy them here.
        let stages_are_output = record && parameters_are_output(state);
        if has_result && record && !stages_are_output {
            self.record(i, Stage::Result, &result);
        }
        let r = if state.query_language == QueryLanguage::Jsonata {
            let mut env = env!(self, i, name);
            let raw: &Value = &self.threads[i].input;
            (|| -> Result<Processed, ExprError> {
                let s = States {
                    input: Some(raw),
                    result: has_result.then_some(&result),
                    error_output,
                };
                let assigned = match &state.io.assign {
                    Some(a) => eval_assign(a, &result, s, &mut env)?,
                    None => Map::new(),
                };
                let output = match &state.io.output {
                    Some(t) => t.eval("Output", s, &mut env)?,
                    None => result,
                };
                Ok((output, assigned, None, None))
            })()
        } else {
            self.result_to_output(i, state, result, record)
        };
        match r {
            Ok((output, assigned, selected, after_rp)) => {
                if let Some(s) = &selected {
                    self.record(i, Stage::AfterResultSelector, s);
                }
                if let Some(a) = &after_rp {
                    self.record(i, Stage::AfterResultPath, a);
                }
                let len_bound = match result_len_bound {
                    Some(b) if output_is_result(state) => b,
                    _ => crate::expr::compact_len_bound(&output),
                };
                if crate::expr::compact_len_exceeds_bound(&output, len_bound, MAX_PAYLOAD_BYTES) {
                    if stages_are_output {
                        self.record(i, Stage::AfterParameters, &output);
                        self.record(i, Stage::Result, &output);
                    }
                    if record && after_result_path_is_output(state) {
                        self.record(i, Stage::AfterResultPath, &output);
                    }
                    return Flow::Fail(Failure::new(
                        "States.DataLimitExceeded",
                        format!(
                            "The state/task '{name}' returned a result with a size exceeding the maximum number of bytes service limit."
                        ),
                    ));
                }
                self.assign(i, assigned);
                let next = match &state.kind {
                    StateKind::Succeed => None,
                    _ if state.end => None,
                    _ => state.next.as_ref().map(|t| t.index),
                };
                // A child's last output becomes its element of the parent's results as
                // it is: its bound adds up there.
                if next.is_none()
                    && let Some((p, _)) = self.threads[i].parent()
                    && let Some(ch) = self.threads[p].children.as_mut()
                {
                    ch.ended_bounded += 1;
                    ch.ended_len_bound += len_bound;
                }
                Flow::Exit { output, next }
            }
            Err(e) => Flow::Fail(located(name, entered, e)),
        }
    }

    /// JSONPath output processing: ResultSelector, Assign, ResultPath, OutputPath. Every
    /// failure here is `States.Runtime`, which is never retried nor caught, so nothing
    /// needs the raw input afterwards (but see [`handles_data_limit`]): ResultPath writes
    /// into it rather than into a copy (the thread usually holds the only reference).
    fn result_to_output(
        &mut self,
        i: usize,
        state: &State,
        result: Value,
        record: bool,
    ) -> Result<Processed, ExprError> {
        let name = &*state.name;
        let (result, assigned) = {
            let mut env = env!(self, i, name);
            let result = match &state.io.result_selector {
                Some(t) => t.eval(&result, &mut env)?,
                None => result,
            };
            let assigned = match &state.io.assign {
                Some(a) => eval_assign(a, &result, States::default(), &mut env)?,
                None => Map::new(),
            };
            (result, assigned)
        };
        let selected = (record && state.io.result_selector.is_some()).then(|| result.clone());
        // An output found too big afterwards is an error a retrier or catcher may handle
        // by name; it then reads the raw input again, which must be left as it was.
        let input_outlives_output = handles_data_limit(state);
        let after_result_path = match (&state.kind, &state.io.result_path) {
            (StateKind::Succeed | StateKind::Wait(_), _) | (_, None) => result,
            (_, Some(None)) if input_outlives_output => Value::clone(&self.threads[i].input),
            (_, Some(None)) => self.take_input(i),
            (_, Some(Some(p))) => {
                // In place when the thread holds the only reference; otherwise (a record or
                // the history shows the input, which a redrive starts from) into a copy of
                // what stays, the thread keeping its input.
                let written = match Arc::get_mut(&mut self.threads[i].input) {
                    Some(target) if !input_outlives_output => {
                        p.write(target, result).map(|()| std::mem::take(target))
                    }
                    _ => p.write_copy(&self.threads[i].input, result),
                };
                written.map_err(|e| result_path_error(p, e))?
            }
        };
        // Without OutputPath the value after ResultPath is the output itself: the record
        // shares the output's copy (see `exit`) instead of making one here.
        let shown = (record && state.io.result_path.is_some() && state.io.output_path.is_some())
            .then(|| after_result_path.clone());
        let env = env!(self, i, name);
        let output = filter_owned(&state.io.output_path, after_result_path, &env)?;
        Ok((output, assigned, selected, shown))
    }

    /// The thread's raw input: moved out when nothing else holds it (the thread is left
    /// with `null`), copied when something does (a record, the history), the thread keeping
    /// it: a redrive starts the state again from it.
    fn take_input(&mut self, i: usize) -> Value {
        let input = &mut self.threads[i].input;
        match Arc::get_mut(input) {
            Some(only) => std::mem::take(only),
            None => Value::clone(input),
        }
    }

    /// The effective input a task or a wait kept, moved out.
    fn take_effective(&mut self, i: usize) -> Value {
        self.threads[i]
            .take_extra(|e| e.effective.take())
            .unwrap_or(Value::Null)
    }

    fn close_record(&mut self, i: usize, output: Option<&Arc<Value>>, error: Option<&Failure>) {
        let last = self.events;
        if let Some(mut rec) = self.threads[i].record.take() {
            let vars = self.threads[i].vars.flatten();
            if let Some(o) = output {
                rec.set_shared(Stage::Output, o.clone());
            }
            if !vars.is_empty() {
                rec.set(Stage::Variables, &Value::Object(vars));
            }
            // A caught error stays on the record (the Catch set it).
            if error.is_some() {
                rec.error = error.cloned().map(Box::new);
            }
            rec.last_event = last;
            self.steps.push(*rec);
        }
    }

    fn exit(&mut self, i: usize, state: &State, output: Exiting, next: Option<usize>) -> Step {
        if next.is_none() && !self.cfg.keep_history && self.threads[i].record.is_none() {
            // The thread ends and nothing keeps its output beside it: the output goes on
            // to the parent (or the execution's end) without being shared first.
            self.count_unkept_event(i);
            self.transitions += 1;
            self.thread_ends(i, output.into_value());
            return Step::Progressed { thread: i };
        }
        let output = output.shared();
        let kind: EventKind = match &state.kind {
            StateKind::Pass(_) => EventKind::PassStateExited,
            StateKind::Task(_) => EventKind::TaskStateExited,
            StateKind::Choice(_) => EventKind::ChoiceStateExited,
            StateKind::Wait(_) => EventKind::WaitStateExited,
            StateKind::Succeed => EventKind::SucceedStateExited,
            StateKind::Fail(_) => EventKind::FailStateExited,
            StateKind::Parallel(_) => EventKind::ParallelStateExited,
            StateKind::Map(_) => EventKind::MapStateExited,
        };
        if self.cfg.keep_history {
            let data = EventData::State {
                name: state.name.clone(),
                payload: output.clone(),
                assigned: self.threads[i]
                    .take_extra(|e| e.assigned.take())
                    .map(Box::new),
            };
            self.emit_data(i, kind, data);
        } else {
            self.count_unkept_event(i);
        }
        self.transitions += 1;
        if self.threads[i].record.is_some() {
            let machine = self.machine.clone();
            let next_name = next
                .and_then(|n| machine_at(&machine, &self.threads[i].machine).states.get(n))
                .map(|s| s.name.clone());
            if let Some(r) = &mut self.threads[i].record {
                r.next = next_name;
            }
        }
        if let Some(r) = &mut self.threads[i].record
            && parameters_are_output(state)
        {
            r.set_shared(Stage::AfterParameters, output.clone());
            r.set_shared(Stage::Result, output.clone());
        }
        // (Not after a Catch: the state's own ResultPath did not apply.)
        if after_result_path_is_output(state)
            && let Some(r) = &mut self.threads[i].record
            && r.caught_by.is_none()
        {
            r.set_shared(Stage::AfterResultPath, output.clone());
        }
        self.close_record(i, Some(&output), None);
        match next {
            Some(n) => {
                let t = &mut self.threads[i];
                t.state = n;
                t.input = output;
                t.status = ThreadStatus::Ready(Phase::Enter);
                self.ready.insert(i);
            }
            None => self.thread_ends(i, Arc::unwrap_or_clone(output)),
        }
        Step::Progressed { thread: i }
    }

    /// A state's exit event, counted but not kept (no history).
    fn count_unkept_event(&mut self, i: usize) {
        if let Some(extra) = &mut self.threads[i].extra {
            extra.assigned = None;
        }
        self.count_event(i);
    }

    /// The thread's last state has exited with `output`.
    fn thread_ends(&mut self, i: usize, output: Value) {
        // Without the debugger (which evaluates expressions where a thread ended), a
        // finished thread's last input is read no more: freed now, not when the execution
        // ends (a big Map's iterations would hold every item).
        if !self.cfg.record_steps {
            self.threads[i].input = null_input();
        }
        self.thread_done(i, output);
    }

    /// Retry, then Catch, then fail the thread.
    /// A JSONata evaluation of the state failed: AWS records an EvaluationFailed event
    /// (with the field it was evaluating, when the cause names one), and a Map that had not
    /// started its iterations records its MapStateFailed.
    fn evaluation_failed(&mut self, i: usize, state: &State, failure: &Failure) {
        let cause = failure.cause.clone().unwrap_or_default();
        let location = cause
            .split_once("specified for the field '")
            .and_then(|(_, rest)| rest.split_once('\''))
            .map(|(field, _)| field.to_string())
            .or_else(|| {
                cause
                    .contains("The Timestamp field cannot be parsed")
                    .then(|| "Timestamp".to_string())
            });
        let mut details = json!({
            "cause": cause,
            "error": failure.error_name(),
            "state": state.name,
        });
        if let Some(l) = location {
            details["location"] = json!(l);
        }
        // AWS links a failed expression to what the state's Entered event followed (a
        // Timestamp that does not parse follows the Entered event itself).
        let entered = self.threads[i].entered_event;
        if !cause.contains("The Timestamp field cannot be parsed")
            && let Some(e) = entered
                .checked_sub(1)
                .and_then(|k| self.history.get(k as usize))
        {
            self.threads[i].last_event = e.previous_event_id;
        }
        self.emit(i, EventKind::EvaluationFailed, details);
        if matches!(state.kind, StateKind::Map(_)) && self.threads[i].children.is_none() {
            self.emit(i, EventKind::MapStateFailed, json!({}));
        }
    }

    fn handle_failure(&mut self, i: usize, state: &State, failure: Failure) -> Step {
        let name = failure.error_name().to_string();
        if name == "States.QueryEvaluationError" {
            self.evaluation_failed(i, state, &failure);
        }
        if !is_uncatchable(&name) {
            if let Some(k) = state
                .retry
                .iter()
                .position(|r| error_matches(&r.error_equals, &name))
            {
                let r = &state.retry[k];
                let count = self.threads[i].extra().retry_counts[k];
                if u64::from(count) < r.max_attempts {
                    let mut delay = r.interval_seconds * r.backoff_rate.powi(count as i32);
                    if let Some(max) = r.max_delay_seconds {
                        delay = delay.min(max);
                    }
                    if r.jitter_full {
                        delay *= self.rng.random::<f64>();
                    }
                    let delay_ms = (delay * 1000.0) as i64;
                    let now = self.clock;
                    let t = &mut self.threads[i];
                    let extra = t.extra();
                    extra.retry_counts[k] += 1;
                    extra.failed_event = None;
                    t.retry_total += 1;
                    t.token = None;
                    t.status = ThreadStatus::Sleeping {
                        until: now.saturating_add(delay_ms),
                        then: Phase::Run,
                    };
                    if let Some(rec) = &mut t.record {
                        rec.set(Stage::RetryCount, &json!(t.retry_total));
                        rec.attempts.push(Attempt {
                            number: t.retry_total,
                            error: failure.clone(),
                            retrier: k,
                            max_attempts: r.max_attempts,
                            delay_ms,
                            at_ms: now,
                        });
                    }
                    self.retries += 1;
                    return Step::Progressed { thread: i };
                }
            }
            if let Some(c) = state
                .catch
                .iter()
                .find(|c| error_matches(&c.error_equals, &name))
            {
                self.record_failed_event(i);
                return self.catch(i, state, c, failure);
            }
        }
        self.record_failed_event(i);
        self.close_record(i, None, Some(&failure));
        self.thread_failed(i, failure);
        Step::Progressed { thread: i }
    }

    /// A Map's or Parallel's failure is final: its Failed event goes into the history.
    fn record_failed_event(&mut self, i: usize) {
        if let Some(kind) = self.threads[i].take_extra(|e| e.failed_event.take()) {
            self.emit(i, kind, json!({}));
        }
    }

    fn catch(&mut self, i: usize, state: &State, c: &Catcher, failure: Failure) -> Step {
        let index = state
            .catch
            .iter()
            .position(|x| std::ptr::eq(x, c))
            .unwrap_or(0);
        let error_output = failure.to_error_output();
        let raw_input = self.threads[i].input.clone();
        let raw: &Value = &raw_input;
        let name = &*state.name;
        let entered = self.threads[i].entered_event;
        let mut env = env!(self, i, name);
        let r = (|| -> Result<(Value, Map), ExprError> {
            if state.query_language == QueryLanguage::Jsonata {
                let s = States {
                    input: Some(raw),
                    result: None,
                    error_output: Some(&error_output),
                };
                let assigned = match &c.assign {
                    Some(a) => eval_assign(a, &error_output, s, &mut env)?,
                    None => Map::new(),
                };
                let output = match &c.output {
                    Some(t) => t.eval("Output", s, &mut env)?,
                    None => error_output.clone(),
                };
                return Ok((output, assigned));
            }
            let assigned = match &c.assign {
                Some(a) => eval_assign(a, &error_output, States::default(), &mut env)?,
                None => Map::new(),
            };
            let output = match &c.result_path {
                None => error_output.clone(),
                Some(None) => raw.clone(),
                Some(Some(p)) => p
                    .write_copy(raw, error_output.clone())
                    .map_err(|e| result_path_error(p, e))?,
            };
            Ok((output, assigned))
        })();
        drop(env);
        if let Some(rec) = &mut self.threads[i].record {
            rec.error = Some(Box::new(failure.clone()));
            rec.caught_by = Some(index);
            rec.set(Stage::ErrorOutput, &error_output);
        }
        match r {
            Ok((output, assigned)) => {
                self.assign(i, assigned);
                self.exit(i, state, Exiting::Owned(output), Some(c.next.index))
            }
            Err(e) => {
                let f = located(name, entered, e);
                self.close_record(i, None, Some(&f));
                self.thread_failed(i, f);
                Step::Progressed { thread: i }
            }
        }
    }

    fn thread_done(&mut self, i: usize, output: Value) {
        match self.threads[i].parent() {
            None => {
                self.threads[i].status = ThreadStatus::Done;
                self.emit_lazy(
                    0,
                    EventKind::ExecutionSucceeded,
                    |_| json!({"output": compact(&output), "outputDetails": {"truncated": false}}),
                );
                self.finish(Status::Succeeded { output });
            }
            Some((p, index)) => {
                self.threads[i].status = ThreadStatus::Done;
                let is_map = self.threads[p].children.as_ref().is_some_and(|c| c.is_map);
                let tail = self.threads[i].last_event;
                if is_map {
                    self.emit_map_iteration(i, p, EventKind::MapIterationSucceeded, index);
                }
                let last = self.threads[i].last_event;
                if let Some(ch) = self.threads[p].children.as_mut() {
                    ch.results[index] = Some(output);
                    ch.running -= 1;
                    ch.last_event = last;
                    ch.tail = tail;
                }
                self.after_child(p);
            }
        }
    }

    fn thread_failed(&mut self, i: usize, failure: Failure) {
        self.threads[i].status = ThreadStatus::Failed;
        match self.threads[i].parent() {
            None => {
                let mut d = json!({});
                if let Some(e) = &failure.error {
                    d["error"] = json!(e);
                }
                if let Some(c) = &failure.cause {
                    d["cause"] = json!(c);
                }
                self.emit(0, EventKind::ExecutionFailed, d);
                self.finish(Status::Failed {
                    error: failure.error,
                    cause: failure.cause,
                });
            }
            Some((p, index)) => {
                let is_map = self.threads[p].children.as_ref().is_some_and(|c| c.is_map);
                let tail = self.threads[i].last_event;
                if is_map {
                    self.emit_map_iteration(i, p, EventKind::MapIterationFailed, index);
                }
                let last = self.threads[i].last_event;
                if let Some(ch) = self.threads[p].children.as_mut() {
                    ch.last_event = last;
                    ch.tail = tail;
                    if ch.failed_tail == 0 {
                        ch.failed_tail = tail;
                    }
                    ch.running -= 1;
                    ch.failures += 1;
                    ch.failed.push(index);
                    ch.results[index] = Some(failure.to_error_output());
                    if ch.first_failure.is_none() {
                        ch.first_failure = Some(failure);
                    }
                }
                self.after_child(p);
            }
        }
    }

    /// A `MapIteration*` event of iteration `index` (thread `k`) of the Map in thread `p`.
    fn emit_map_iteration(&mut self, k: usize, p: usize, kind: EventKind, index: usize) {
        if self.cfg.keep_history {
            let t = &self.threads[p];
            let name = machine_at(&self.machine, &t.machine).states[t.state]
                .name
                .clone();
            self.emit_data(k, kind, EventData::MapIteration { name, index });
        } else {
            self.count_event(k);
        }
    }

    /// A child ended: start more iterations, or wake the parent when all are done or the
    /// failures exceed what the state tolerates.
    fn after_child(&mut self, p: usize) {
        let Some(ch) = self.threads[p].children.as_ref() else {
            return;
        };
        let total = ch.results.len();
        let exceeded = if ch.is_map {
            let count_ok = ch.tolerated_count.is_none_or(|n| ch.failures <= n);
            let pct_ok = ch.tolerated_percentage.is_none_or(|pct| {
                total == 0 || (ch.failures as f64) * 100.0 / (total as f64) <= pct
            });
            let tolerant = ch.tolerated_count.is_some() || ch.tolerated_percentage.is_some();
            (tolerant && !(count_ok && pct_ok)) || (!tolerant && ch.failures > 0)
        } else {
            ch.failures > 0
        };
        if exceeded || (ch.running == 0 && ch.next_to_start >= total) {
            if exceeded {
                self.abort_children(p);
            }
            self.threads[p].status = ThreadStatus::Ready(Phase::ChildrenDone);
            self.ready.insert(p);
        } else {
            self.start_more_children(p);
        }
    }

    fn abort_children(&mut self, p: usize) {
        let Some(ch) = self.threads[p].children.as_ref() else {
            return;
        };
        let kids: Vec<usize> = ch.threads.clone();
        let is_map = ch.is_map;
        for k in kids {
            if !matches!(
                self.threads[k].status,
                ThreadStatus::Done | ThreadStatus::Failed | ThreadStatus::Aborted
            ) {
                self.abort_thread(k);
                if is_map && self.threads[k].started {
                    let index = self.threads[k].parent().map_or(0, |x| x.1);
                    self.emit_map_iteration(k, p, EventKind::MapIterationAborted, index);
                }
            }
        }
        if let Some(ch) = self.threads[p].children.as_mut() {
            ch.next_to_start = ch.results.len();
        }
    }

    fn abort_thread(&mut self, k: usize) {
        self.threads[k].status = ThreadStatus::Aborted;
        self.tasks.retain(|_, t| t.thread != k);
        if let Some(ch) = self.threads[k].children.as_ref() {
            for g in ch.threads.clone() {
                if !matches!(
                    self.threads[g].status,
                    ThreadStatus::Done | ThreadStatus::Failed | ThreadStatus::Aborted
                ) {
                    self.abort_thread(g);
                }
            }
        }
    }

    /// A Distributed Map's run in DescribeMapRun's shape (`status`: how it ended; None
    /// while it runs): counts of items and of child executions (batches when batched).
    pub(crate) fn map_run_of(&self, ch: &super::Children, status: Option<&str>) -> Option<Value> {
        let run = ch.map_run.as_ref()?;
        #[derive(Default)]
        struct Counts {
            pending: usize,
            running: usize,
            succeeded: usize,
            failed: usize,
            aborted: usize,
        }
        let (mut items, mut executions) = (Counts::default(), Counts::default());
        for (k, &t) in ch.threads.iter().enumerate() {
            let size = run
                .batch_sizes
                .as_ref()
                .and_then(|b| b.get(k).copied())
                .unwrap_or(1);
            let thread = &self.threads[t];
            let count = |c: &mut Counts, n: usize| {
                let slot = if k >= ch.next_to_start {
                    &mut c.pending
                } else if ch.failed.contains(&k) {
                    &mut c.failed
                } else if ch.results[k].is_some() {
                    &mut c.succeeded
                } else if matches!(thread.status, ThreadStatus::Aborted) {
                    &mut c.aborted
                } else {
                    &mut c.running
                };
                *slot += n;
            };
            count(&mut items, size);
            count(&mut executions, 1);
        }
        let as_json = |c: &Counts| {
            json!({
                "pending": c.pending,
                "running": c.running,
                "succeeded": c.succeeded,
                "failed": c.failed,
                "timedOut": 0,
                "aborted": c.aborted,
                "total": c.pending + c.running + c.succeeded + c.failed + c.aborted,
            })
        };
        let mut v = json!({
            "mapRunArn": run.arn,
            "status": status.unwrap_or("RUNNING"),
            "maxConcurrency": if ch.limit == usize::MAX { 0 } else { ch.limit },
            "itemCounts": as_json(&items),
            "executionCounts": as_json(&executions),
        });
        if let Some(n) = ch.tolerated_count {
            v["toleratedFailureCount"] = json!(n);
        }
        if let Some(p) = ch.tolerated_percentage {
            v["toleratedFailurePercentage"] = json!(p);
        }
        Some(v)
    }

    fn children_done(&mut self, i: usize, state: &State) -> Flow {
        let ch = self.threads[i]
            .children
            .take()
            .expect("children of a Map/Parallel state");
        let tolerant = ch.tolerated_count.is_some() || ch.tolerated_percentage.is_some();
        let total = ch.results.len();
        let exceeded = if ch.is_map {
            if tolerant {
                !(ch.tolerated_count.is_none_or(|n| ch.failures <= n)
                    && ch.tolerated_percentage.is_none_or(|pct| {
                        total == 0 || (ch.failures as f64) * 100.0 / (total as f64) <= pct
                    }))
            } else {
                ch.failures > 0
            }
        } else {
            ch.failures > 0
        };
        if self.threads[i].record.is_some() {
            let run = self.map_run_of(&ch, Some(if exceeded { "FAILED" } else { "SUCCEEDED" }));
            if let Some(r) = &mut self.threads[i].record {
                r.map_run = run.map(Box::new);
            }
        }
        // Free the finished children.
        for k in &ch.threads {
            self.threads[*k].status = ThreadStatus::Aborted;
            self.threads[*k].input = null_input();
            self.threads[*k].children = None;
        }
        let (ok_kind, fail_kind) = if ch.is_map {
            (EventKind::MapStateSucceeded, EventKind::MapStateFailed)
        } else {
            (
                EventKind::ParallelStateSucceeded,
                EventKind::ParallelStateFailed,
            )
        };
        // A Map Run ends (its iterations' events are not in this history on AWS).
        if ch.map_run_started > 0 {
            self.threads[i].last_event = ch.map_run_started;
            let kind = if exceeded {
                EventKind::MapRunFailed
            } else {
                EventKind::MapRunSucceeded
            };
            let id = self.emit(i, kind, json!({}));
            self.threads[i].last_event = id;
        }
        // AWS's links: StateFailed follows the failed child's last state event and
        // StateExited follows StateFailed; StateSucceeded follows the last child's last
        // event, and StateExited follows what StateSucceeded followed.
        if exceeded {
            if ch.failed_tail > 0 && ch.map_run_started == 0 {
                self.threads[i].last_event = ch.failed_tail;
            }
            // Recorded only when the failure is final (caught or failing the thread): a
            // retry starts the state again instead.
            self.threads[i].extra().failed_event = Some(fail_kind);
            let f = if ch.is_map && tolerant {
                Failure::new(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerated failure threshold was exceeded",
                )
            } else {
                ch.first_failure.clone().unwrap_or(Failure {
                    error: None,
                    cause: None,
                })
            };
            return Flow::Fail(f);
        }
        if ch.last_event > 0 && ch.map_run_started == 0 {
            self.threads[i].last_event = ch.last_event;
        }
        let before = self.threads[i].last_event;
        self.emit(i, ok_kind, json!({}));
        self.threads[i].last_event = before;
        if let StateKind::Map(map) = &state.kind
            && let Some(writer) = &map.result_writer
        {
            return self.write_results(i, state, writer, ch.results, &ch.failed);
        }
        let results_len_bound = (ch.ended_bounded == total)
            .then(|| crate::expr::array_len_bound(total, ch.ended_len_bound));
        let results: Vec<Value> = ch
            .results
            .into_iter()
            .map(|r| r.unwrap_or(Value::Null))
            .collect();
        self.finish_io(i, state, Value::Array(results), None, results_len_bound)
    }

    /// A Map's ResultWriter: the iterations' results go out (an effect, pointer
    /// `.../ResultWriter`) to be written where its Parameters say; what comes back (the
    /// manifest's location, as AWS gives it) is the Map's result.
    fn write_results(
        &mut self,
        i: usize,
        state: &State,
        writer: &Value,
        results: Vec<Option<Value>>,
        failed: &[usize],
    ) -> Flow {
        let name = &*state.name;
        let entered = self.threads[i].entered_event;
        let effective = self.threads[i]
            .extra
            .as_ref()
            .and_then(|e| e.effective.clone())
            .unwrap_or_default();
        let mut env = env!(self, i, name);
        let parameters = match writer
            .get("Parameters")
            .or_else(|| writer.get("Arguments"))
            .map(crate::expr::template::PayloadTemplate::compile)
        {
            Some(Ok(t)) => t.eval(&effective, &mut env),
            Some(Err(_)) | None => Ok(writer.get("Parameters").cloned().unwrap_or(json!({}))),
        };
        drop(env);
        let parameters = match parameters {
            Ok(p) => p,
            Err(e) => return Flow::Fail(located(name, entered, e)),
        };
        let (mut succeeded, mut failures) = (Vec::new(), Vec::new());
        for (k, r) in results.into_iter().enumerate() {
            let r = r.unwrap_or(Value::Null);
            if failed.contains(&k) {
                failures.push(r);
            } else {
                succeeded.push(r);
            }
        }
        let id = self.next_task;
        self.next_task += 1;
        let resource = writer
            .get("Resource")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let input = json!({
            "Parameters": parameters,
            "Succeeded": succeeded,
            "Failed": failures,
            "MapRunArn": format!(
                "arn:aws:states:{}:{}:mapRun:{}/{}:{}",
                self.cfg.region,
                self.cfg.account,
                self.cfg.state_machine_name,
                name.replace(' ', "-"),
                self.cfg.execution_name
            ),
        });
        let req = TaskRequest {
            thread: i,
            scope: self.scope_of(i),
            ..TaskRequest::new(
                id,
                name,
                &format!("{}/ResultWriter", state.pointer),
                &resource,
                input,
                self.clock,
            )
        };
        self.threads[i].extra().writing_results = true;
        self.threads[i].status = ThreadStatus::WaitingTask(id);
        self.tasks.insert(id, req.clone());
        Flow::Wait(Step::Task(Box::new(req)))
    }

    fn results_written(&mut self, i: usize, state: &State, outcome: TaskOutcome) -> Flow {
        if let Some(extra) = &mut self.threads[i].extra {
            extra.writing_results = false;
        }
        match outcome {
            TaskOutcome::Success(v) => self.finish_io(i, state, v, None, None),
            TaskOutcome::Failure(f) => Flow::Fail(Failure {
                error: f.error.or_else(|| Some("States.ResultWriterFailed".into())),
                cause: f.cause,
            }),
        }
    }

    /// TestState's mock of a top-level Map or Parallel: no iterations or branches run; the
    /// state ends as they would have (a mocked error fails it, too many failed iterations
    /// exceed its tolerance).
    fn stand_in_children(
        &mut self,
        i: usize,
        is_map: bool,
        tolerated_count: Option<usize>,
        tolerated_percentage: Option<f64>,
    ) -> Option<Flow> {
        if self.threads[i].parent().is_some() {
            return None;
        }
        let stand_in = self.cfg.children_stand_in.as_deref()?;
        let results = match &stand_in.outcome {
            TaskOutcome::Failure(f) => return Some(Flow::Fail(f.clone())),
            TaskOutcome::Success(Value::Array(items)) => items.iter().cloned().map(Some).collect(),
            TaskOutcome::Success(other) => vec![Some(other.clone())],
        };
        let failures = stand_in.failures;
        self.threads[i].children = Some(Box::new(Children {
            is_map,
            results,
            failures,
            tolerated_count,
            tolerated_percentage,
            // Failed iterations beyond what is tolerated (none, without a tolerance).
            first_failure: (failures > 0).then(|| {
                Failure::new(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerated failure threshold was exceeded",
                )
            }),
            limit: usize::MAX,
            ..Children::default()
        }));
        self.threads[i].status = ThreadStatus::Ready(Phase::ChildrenDone);
        self.ready.insert(i);
        Some(Flow::Wait(Step::Progressed { thread: i }))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn spawn_children(
        &mut self,
        p: usize,
        state: &State,
        inputs: Vec<Arc<Value>>,
        is_map: bool,
        limit: usize,
        tolerated_count: Option<usize>,
        tolerated_percentage: Option<f64>,
    ) {
        let n = inputs.len();
        // A Distributed Map runs its iterations as child executions: AWS records a Map
        // Run in this history instead of their events.
        let distributed =
            matches!(&state.kind, StateKind::Map(m) if m.mode == MapMode::Distributed);
        let mut map_run = None;
        let map_run_started = if is_map && distributed && !self.threads[p].in_map_run {
            // AWS names a Map Run by the Map's Label, else by a fresh UUID.
            let label = match &state.kind {
                StateKind::Map(m) => m.label.clone(),
                _ => None,
            }
            .unwrap_or_else(|| {
                super::uuid_from(&format!(
                    "{}/{}/{}",
                    self.cfg.execution_name, state.pointer, self.events
                ))
            });
            let run_id = super::uuid_from(&format!("{}/{label}", self.cfg.execution_name));
            let arn = format!(
                "arn:aws:states:{}:{}:mapRun:{}/{label}:{run_id}",
                self.cfg.region, self.cfg.account, self.cfg.state_machine_name,
            );
            let started = self.emit(p, EventKind::MapRunStarted, json!({"mapRunArn": &arn}));
            let batched = matches!(&state.kind, StateKind::Map(m) if m.item_batcher.is_some());
            map_run = Some(Box::new(super::MapRun {
                arn,
                batch_sizes: batched.then(|| {
                    inputs
                        .iter()
                        .map(|b| b.get("Items").and_then(Value::as_array).map_or(1, Vec::len))
                        .collect()
                }),
            }));
            started
        } else {
            0
        };
        let in_map_run = self.threads[p].in_map_run || (is_map && distributed);
        let t = &self.threads[p];
        let state_idx = t.state;
        let outer = t.vars.clone();
        let base_path = t.machine.clone();
        let mut threads = Vec::with_capacity(n);
        self.threads.reserve(n);
        // One empty scope for all the children: an Assign in one copies it first (Arc's
        // copy-on-write), so each keeps its own variables.
        let scope = Arc::new(Vars::child_of(&outer));
        let path_to = |branch: usize| -> MachinePath {
            let mut v = base_path.to_vec();
            v.push((state_idx, branch));
            v.into()
        };
        let map_path = path_to(0);
        // A Map's iterations all start at its processor's StartAt: looked up once.
        let start_of =
            |path: &[(usize, usize)]| machine_at(&self.machine, path).start().unwrap_or(0);
        let map_start = if is_map { start_of(&map_path) } else { 0 };
        for (index, input) in inputs.into_iter().enumerate() {
            let (path, start) = if is_map {
                (map_path.clone(), map_start)
            } else {
                let path = path_to(index);
                let start = start_of(&path);
                (path, start)
            };
            threads.push(self.threads.len());
            self.threads.push(Thread {
                parent: Thread::child_of(p, index),
                machine: path,
                state: start,
                input,
                entered_event: 0,
                last_event: self.threads[p].last_event,
                entered_ms: self.clock,
                retry_total: 0,
                status: ThreadStatus::Aborted, // not started yet
                vars: scope.clone(),
                token: None,
                children: None,
                record: None,
                started: false,
                extra: None,
                in_map_run,
            });
        }
        self.threads[p].children = Some(Box::new(Children {
            is_map,
            results: vec![None; n],
            threads,
            next_to_start: 0,
            running: 0,
            limit: if limit == 0 { usize::MAX } else { limit },
            failures: 0,
            tolerated_count,
            tolerated_percentage,
            first_failure: None,
            failed: Vec::new(),
            last_event: 0,
            tail: 0,
            failed_tail: 0,
            map_run_started,
            ended_bounded: 0,
            ended_len_bound: 0,
            map_run,
        }));
        self.threads[p].status = ThreadStatus::WaitingChildren;
        if n == 0 {
            self.threads[p].status = ThreadStatus::Ready(Phase::ChildrenDone);
            self.ready.insert(p);
        } else {
            self.start_more_children(p);
        }
    }

    fn start_more_children(&mut self, p: usize) {
        loop {
            let Some(ch) = self.threads[p].children.as_mut() else {
                return;
            };
            if ch.running >= ch.limit || ch.next_to_start >= ch.threads.len() {
                return;
            }
            let k = ch.threads[ch.next_to_start];
            let index = ch.next_to_start;
            ch.next_to_start += 1;
            ch.running += 1;
            let is_map = ch.is_map;
            let after = ch.tail;
            self.threads[k].started = true;
            self.threads[k].status = ThreadStatus::Ready(Phase::Enter);
            self.ready.insert(k);
            // In AWS's history an iteration starts after the last state event of the one
            // before it (not after that iteration's MapIterationSucceeded).
            if after > 0 {
                self.threads[k].last_event = after;
            }
            if is_map {
                self.emit_map_iteration(k, p, EventKind::MapIterationStarted, index);
            }
        }
    }

    /// A Map's ItemReader: its request goes out as a task of the Map state (pointer
    /// `.../ItemReader`), with its Parameters (or Arguments) worked out and its
    /// ReaderConfig; the items come back through [`Execution::resolve_task`].
    fn read_items(&mut self, i: usize, state: &State, reader: &Value, effective: Value) -> Flow {
        let name = &*state.name;
        let entered = self.threads[i].entered_event;
        let resource = reader
            .get("Resource")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let raw = self.threads[i].input.clone();
        let mut env = env!(self, i, name);
        let parameters = if state.query_language == QueryLanguage::Jsonata {
            match reader
                .get("Arguments")
                .map(crate::expr::jsonata::JsonataTemplate::compile)
            {
                Some(Ok(t)) => t.eval("Arguments", States::input(&raw), &mut env),
                Some(Err(e)) => Err(crate::expr::ExprError::runtime(e.to_string())),
                None => Ok(json!({})),
            }
        } else {
            match reader
                .get("Parameters")
                .map(crate::expr::template::PayloadTemplate::compile)
            {
                Some(Ok(t)) => t.eval(&effective, &mut env),
                Some(Err(e)) => Err(crate::expr::ExprError::runtime(
                    e.iter()
                        .map(|e| format!("{}: {}", e.pointer, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                )),
                None => Ok(json!({})),
            }
        };
        drop(env);
        let parameters = match parameters {
            Ok(p) => p,
            Err(e) => return Flow::Fail(located(name, entered, e)),
        };
        let id = self.next_task;
        self.next_task += 1;
        let mut input = json!({"Parameters": parameters});
        if let Some(c) = reader.get("ReaderConfig") {
            input["ReaderConfig"] = c.clone();
        }
        let req = TaskRequest {
            thread: i,
            attempt: self.threads[i].retry_total,
            scope: self.scope_of(i),
            ..TaskRequest::new(
                id,
                name,
                &format!("{}/ItemReader", state.pointer),
                &resource,
                input,
                self.clock,
            )
        };
        self.threads[i].extra().effective = Some(effective);
        self.threads[i].status = ThreadStatus::WaitingTask(id);
        self.tasks.insert(id, req.clone());
        Flow::Wait(Step::Task(Box::new(req)))
    }

    /// The ItemReader answered: the Map starts over its items, or fails as AWS's reader
    /// does (`States.ItemReaderFailed`).
    fn items_read(
        &mut self,
        i: usize,
        state: &State,
        map: &MapState,
        outcome: TaskOutcome,
    ) -> Flow {
        match outcome {
            TaskOutcome::Success(Value::Array(items)) => {
                self.threads[i].extra().reader_items = Some(items.into_boxed_slice());
                let effective = self.take_effective(i);
                self.start_map(i, state, map, Some(effective))
            }
            TaskOutcome::Success(other) => Flow::Fail(Failure::new(
                "States.ItemReaderFailed",
                format!(
                    "The ItemReader of the Map state '{}' did not give a list of items: {}",
                    state.name,
                    crate::expr::compact(&other)
                ),
            )),
            TaskOutcome::Failure(f) => Flow::Fail(Failure {
                error: f.error.or_else(|| Some("States.ItemReaderFailed".into())),
                cause: f.cause,
            }),
        }
    }

    /// `effective` is the input after InputPath (`None`: the raw input, unchanged).
    fn start_map(
        &mut self,
        i: usize,
        state: &State,
        map: &MapState,
        effective: Option<Value>,
    ) -> Flow {
        let name = &*state.name;
        let entered = self.threads[i].entered_event;
        let read = self.threads[i]
            .take_extra(|e| e.reader_items.take())
            .map(Vec::from);
        if let (Some(reader), None) = (&map.item_reader, &read) {
            let effective = effective.unwrap_or_else(|| Value::clone(&self.threads[i].input));
            return self.read_items(i, state, reader, effective);
        }
        let jsonata_mode = state.query_language == QueryLanguage::Jsonata;
        let keep = self.cfg.record_steps;
        // For the record: the items as the part of the input the thread holds, when
        // ItemsPath selects a node of it (or is absent), instead of a copy of them all.
        let items_within = if keep && !jsonata_mode && effective.is_none() && read.is_none() {
            let input = &self.threads[i].input;
            match &map.items_path {
                Some(p) => StageValue::within(input, p),
                None => Some(StageValue::Held(input.clone())),
            }
        } else {
            None
        };
        // Nothing reads the raw input after a Map like this one: it is given to the setup
        // (its items move out of it) when no one else holds it.
        let given = if effective.is_none() && !keep && !jsonata_mode && raw_input_dies(state) {
            let shared = std::mem::replace(&mut self.threads[i].input, null_input());
            Arc::try_unwrap(shared).map_err(|shared| self.threads[i].input = shared)
        } else {
            Err(())
        };
        let lent: Arc<Value>;
        let (raw, effective) = match (given, effective) {
            (Ok(raw), _) => (&Value::Null, map_setup::Effective::Given(raw)),
            (Err(()), effective) => {
                lent = self.threads[i].input.clone();
                match effective {
                    Some(e) => (&*lent, map_setup::Effective::Given(e)),
                    None => (&*lent, map_setup::Effective::Lent(&lent)),
                }
            }
        };
        let keep_items = keep && items_within.is_none();
        let mut env = env!(self, i, name);
        let setup = map_setup::prepare(
            map,
            raw,
            effective,
            &mut env,
            jsonata_mode,
            read,
            keep_items,
        );
        drop(env);
        match setup {
            Ok(map_setup::MapSetup {
                items,
                selected,
                inputs,
                limit,
                tolerated_count: count,
                tolerated_percentage: pct,
            }) => {
                let inputs: Vec<Arc<Value>> = inputs.into_iter().map(Arc::new).collect();
                if self.cfg.record_steps {
                    // The setup's own copies move into the record (a big Map's items are
                    // copied once for it, its iterations take the others) unless the input
                    // shows them.
                    let items = items_within
                        .unwrap_or_else(|| StageValue::Held(Arc::new(Value::Array(items))));
                    self.record_value(i, Stage::AfterItemsPath, items.clone());
                    self.record(i, Stage::MaxConcurrency, &json!(limit));
                    if let Some(c) = count {
                        self.record(i, Stage::ToleratedFailureCount, &json!(c));
                    }
                    if let Some(p) = pct {
                        self.record(i, Stage::ToleratedFailurePercentage, &json!(p));
                    }
                    // The iterations' inputs as they hold them, not copied.
                    let inputs_shown = || StageValue::Elements(Arc::new(Elements::new(&inputs)));
                    match selected {
                        Some(selected) => {
                            let selected = Arc::new(Value::Array(selected));
                            self.record_shared(i, Stage::AfterItemSelector, selected);
                            self.record_value(i, Stage::AfterItemBatcher, inputs_shown());
                        }
                        // Without an ItemSelector the iterations' inputs are the items.
                        None if map.item_selector.is_none() => {
                            self.record_value(i, Stage::AfterItemSelector, items);
                        }
                        None => {
                            self.record_value(i, Stage::AfterItemSelector, inputs_shown());
                        }
                    }
                }
                self.emit(
                    i,
                    EventKind::MapStateStarted,
                    json!({"length": inputs.len()}),
                );
                if let Some(flow) = self.stand_in_children(i, true, count, pct) {
                    return flow;
                }
                self.spawn_children(i, state, inputs, true, limit, count, pct);
                Flow::Wait(Step::Progressed { thread: i })
            }
            Err(map_setup::SetupError {
                error,
                started_with,
            }) => {
                if let Some(n) = started_with {
                    self.emit(i, EventKind::MapStateStarted, json!({"length": n}));
                }
                Flow::Fail(located(name, entered, error))
            }
        }
    }
}

/// Whether a JSONPath Pass's output is its Parameters' value as it is (no Result, no
/// Assign, ResultPath and OutputPath absent or `$`): its record's afterParameters and result
/// stages then share the output instead of copying the value on the way.
fn parameters_are_output(state: &State) -> bool {
    matches!(&state.kind, StateKind::Pass(p) if p.result.is_none())
        && state.query_language == QueryLanguage::JsonPath
        && state.io.parameters.is_some()
        && state.io.assign.is_none()
        && is_whole(&state.io.result_path)
        && is_whole(&state.io.output_path)
}

/// A state's output as it exits: shared only once something keeps it beside the thread
/// (the history, a record, the thread's next state as its input).
enum Exiting {
    Owned(Value),
    Shared(Arc<Value>),
}

impl Exiting {
    fn shared(self) -> Arc<Value> {
        match self {
            Exiting::Owned(v) => Arc::new(v),
            Exiting::Shared(a) => a,
        }
    }

    /// The value, copied only if something still shares it.
    fn into_value(self) -> Value {
        match self {
            Exiting::Owned(v) => v,
            Exiting::Shared(a) => Arc::unwrap_or_clone(a),
        }
    }
}

/// Whether a state's output is its result as it is: no ResultSelector, and ResultPath
/// and OutputPath absent or `$` (JSONPath); no Output (JSONata).
fn output_is_result(state: &State) -> bool {
    match state.query_language {
        QueryLanguage::Jsonata => state.io.output.is_none(),
        QueryLanguage::JsonPath => {
            state.io.result_selector.is_none()
                && is_whole(&state.io.result_path)
                && is_whole(&state.io.output_path)
        }
    }
}

/// Whether a ResultPath or OutputPath is absent or `$`: the value passes whole.
fn is_whole(path: &Option<Option<crate::expr::jsonpath::JsonPath>>) -> bool {
    match path {
        None => true,
        Some(Some(p)) => p.text() == "$",
        Some(None) => false,
    }
}

/// Whether a state's value after ResultPath is its output (JSONPath, a ResultPath, no
/// OutputPath): the step record shows the output's copy for both.
fn after_result_path_is_output(state: &State) -> bool {
    state.query_language == QueryLanguage::JsonPath
        && state.io.result_path.is_some()
        && state.io.output_path.is_none()
}

/// Whether a retrier or catcher of the state names `States.DataLimitExceeded` (`States.ALL`
/// does not match it).
fn handles_data_limit(state: &State) -> bool {
    const DATA_LIMIT: &str = "States.DataLimitExceeded";
    state
        .retry
        .iter()
        .any(|r| error_matches(&r.error_equals, DATA_LIMIT))
        || state
            .catch
            .iter()
            .any(|c| error_matches(&c.error_equals, DATA_LIMIT))
}

/// Whether nothing reads a JSONPath Map's raw input once its items are out: its result
/// replaces the input (ResultPath `$`), nothing assigns from it, and no retrier runs the
/// state again nor catcher writes an error into it.
fn raw_input_dies(state: &State) -> bool {
    is_whole(&state.io.result_path)
        && state.io.assign.is_none()
        && state.retry.is_empty()
        && state.catch.is_empty()
}

/// A Choice rule's value as the debugger's trace shows it.
fn rule_outcome(r: &Result<bool, ExprError>) -> Result<bool, String> {
    r.as_ref()
        .map(|v| *v)
        .map_err(|e| format!("{}: {}", e.error, e.cause))
}

/// One Choice rule's value: JSONata Conditions here, JSONPath rules in [`choice`].
fn choice_rule(
    rule: &Rule,
    raw: &Value,
    effective: &Value,
    env: &mut Env<'_>,
) -> Result<bool, ExprError> {
    match rule {
        Rule::Condition(ConditionExpr::Literal(v)) => Ok(*v),
        Rule::Condition(ConditionExpr::Expr(e)) => {
            match jsonata::eval_field(e, "Condition", States::input(raw), env) {
                Ok(Value::Bool(v)) => Ok(v),
                Ok(other) => Err(jsonata::unexpected_type_error(
                    e,
                    "Condition",
                    "boolean",
                    &other,
                )),
                Err(e) => Err(e),
            }
        }
        rule => choice::eval_rule(rule, effective, env),
    }
}

impl Execution {
    /// An evaluation environment for `thread` that leaves the execution as it is
    /// (randomness from `rng`, a copy).
    fn detached_env<'a>(&'a self, thread: usize, rng: &'a mut SeededRng) -> Option<Env<'a>> {
        let t = self.threads.get(thread)?;
        let m = machine_at(&self.machine, &t.machine);
        let state = m.states.get(t.state);
        let can_retry = state.is_some_and(|s| {
            matches!(
                s.kind,
                StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
            )
        });
        Some(Env {
            facts: StateFacts {
                cfg: &self.cfg,
                input: &self.input,
                redrive_count: self.redrive_count,
                state_name: state.map_or("", |s| &*s.name),
                entered_ms: t.entered_ms,
                retry_count: can_retry.then_some(t.retry_total),
                token: t.token.as_deref(),
            },
            context: OnceCell::new(),
            vars: &t.vars,
            rng,
            clock: self.clock,
        })
    }

    /// The rules of a Choice from `from` on, added to `trace` for the debugger: evaluated
    /// on a copy of the random generator, so the execution is the same as without them.
    fn explain_rules_after(
        &self,
        i: usize,
        c: &Choice,
        input: Option<&Value>,
        from: usize,
        trace: &mut ChoiceTrace,
    ) {
        if from >= c.choices.len() {
            return;
        }
        let mut rng = self.rng.clone();
        let Some(mut env) = self.detached_env(i, &mut rng) else {
            return;
        };
        let raw: &Value = &self.threads[i].input;
        let effective = input.unwrap_or(raw);
        for b in &c.choices[from..] {
            let r = choice_rule(&b.rule, raw, effective, &mut env);
            trace.rules.push((b.description.clone(), rule_outcome(&r)));
        }
    }

    /// Evaluate an expression as the state `thread` is at would see it now: a JSONPath
    /// (`$.a`, `$$.Execution.Id`, `$var.x`), an intrinsic function (`States.Format(...)`),
    /// or JSONata (`{% ... %}`, or any text that does not read as a path or an intrinsic). Same semantics and
    /// errors as the engine; nothing in the execution changes (randomness comes from a
    /// copy of the generator).
    pub fn evaluate(&self, thread: usize, text: &str) -> Result<Value, ExprError> {
        let mut rng = self.rng.clone();
        let Some(mut env) = self.detached_env(thread, &mut rng) else {
            return Err(ExprError::runtime(format!("there is no thread {thread}")));
        };
        let t = &self.threads[thread];
        let input: &Value = &t.input;
        let text = text.trim();
        // A path or an intrinsic when it reads as one; anything else is JSONata
        // (`$states...` is always JSONata: no workflow variable may be named `states`).
        let path_like = text.starts_with("States.")
            || (text.starts_with('$')
                && !text.starts_with("$states")
                && JsonPath::parse(text).is_ok());
        if let Some(inner) =
            jsonata::strip_delimiters(text).or_else(|| (!path_like).then_some(text))
        {
            let expr = jsonata::JsonataExpr::parse(inner).map_err(|e| ExprError {
                error: jsonata::QUERY_EVALUATION_ERROR.into(),
                cause: e.0,
            })?;
            return jsonata::eval(&expr, States::input(input), &mut env)
                .map(|v| v.unwrap_or(Value::Null));
        }
        // A one-field template: paths and intrinsics exactly as Parameters reads them.
        let template =
            PayloadTemplate::compile(&crate::json!({ "value.$": text })).map_err(|errors| {
                ExprError {
                    error: "States.Runtime".into(),
                    cause: errors
                        .into_iter()
                        .map(|e| e.message)
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            })?;
        let mut out = template.eval(input, &mut env)?;
        Ok(out
            .as_object_mut()
            .and_then(|m| m.remove("value"))
            .unwrap_or(Value::Null))
    }
}
