//! The Step Functions API's actions over an in-memory registry of state machines and
//! executions, with AWS's request checks and error shapes. Executions run on threads of
//! their own ([`super::runner`]); every action here only takes short locks.

use super::runner;
use crate::engine::{Execution, Status, WorkflowType};
use crate::integrations::dispatch::Dispatcher;
use crate::integrations::mock::{MockCase, MockConfig};
use crate::json;
use crate::json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// An API error: AWS's `__type` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new("ValidationException", message)
    }
}

pub type ApiResult = Result<Value, ApiError>;

/// How Wait states and Retry back-offs pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeMode {
    /// At once (`--virtual-time`).
    Virtual,
    /// In real time divided by `scale` (`--time-scale`).
    Real { scale: f64 },
}

/// What the server was started with.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub mocks: Option<MockConfig>,
    /// Lambda calls without a mock go here (`sam local start-lambda`).
    pub lambda_endpoint: Option<String>,
    pub time: TimeMode,
    pub region: String,
    pub account: String,
    /// A debugger is attached (`serve --tui`): executions keep step records and pause at
    /// the breakpoints set on their state machines.
    pub debug: bool,
}

pub(super) struct MachineRec {
    pub(super) name: String,
    pub(super) arn: String,
    pub(super) definition: String,
    role_arn: String,
    pub(super) kind: WorkflowType,
    created: f64,
    updated: f64,
}

/// One execution: what it was started with, and the running engine.
pub struct ExecRec {
    pub arn: String,
    pub name: String,
    pub machine_arn: String,
    pub machine_name: String,
    pub definition: String,
    role_arn: String,
    updated: f64,
    input: String,
    pub start: f64,
    pub state: Mutex<Running>,
    /// Signalled on a callback, a stop, and when the execution ends.
    pub wake: Condvar,
}

/// What reached an execution while the debugger had it.
#[derive(Debug, Clone)]
pub enum Queued {
    Callback(String, crate::session::callback::CallbackAction),
    Stop(Option<String>, Option<String>),
}

pub struct Running {
    pub exec: Execution,
    /// Paused before entering this state (a breakpoint, or the debugger asked).
    pub paused_at: Option<String>,
    /// The debugger has it: the runner waits until it is given back.
    pub attached: bool,
    /// Pause before the next step.
    pub pause_requested: bool,
    /// Just resumed: do not pause again before this step.
    pub resumed: bool,
    /// Its runner has returned (the execution ended): a redrive may start another.
    pub runner_done: bool,
    /// SendTask* calls and a stop that came while the debugger had it, applied when it is
    /// given back.
    pub queued: Vec<Queued>,
    pub stop: Option<f64>,
    /// When RedriveExecution last started it again.
    pub redriven: Option<f64>,
    /// The ended execution's dispatcher (its runner has returned it): a redrive runs on
    /// with it.
    pub idle: Option<Dispatcher>,
    /// Tokens of tasks that timed out (a SendTask* with one gets TaskTimedOut).
    pub timed_out: Vec<String>,
}

impl ExecRec {
    pub fn lock(&self) -> MutexGuard<'_, Running> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Default)]
pub(super) struct Registry {
    pub(super) machines: BTreeMap<String, Arc<MachineRec>>,
    pub(super) executions: Vec<Arc<ExecRec>>,
    pub(super) by_arn: HashMap<String, Arc<ExecRec>>,
    tokens: HashMap<String, Arc<ExecRec>>,
}

pub struct Service {
    registry: Mutex<Registry>,
    pub options: ServeOptions,
    /// Breakpoints by state machine name: its executions pause before these states.
    pub(super) breakpoints: Mutex<HashMap<String, std::collections::BTreeSet<String>>>,
}

/// Seconds since the epoch, as the API's timestamps are.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Service {
    pub fn new(options: ServeOptions) -> Arc<Service> {
        Arc::new(Service {
            registry: Mutex::default(),
            options,
            breakpoints: Mutex::default(),
        })
    }

    pub(super) fn reg(&self) -> MutexGuard<'_, Registry> {
        self.registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A task with this token runs in `rec` (SendTask* find it here).
    pub fn register_token(&self, token: &str, rec: &Arc<ExecRec>) {
        self.reg().tokens.insert(token.to_string(), rec.clone());
    }

    /// Run `action` with its JSON request body.
    pub fn call(self: &Arc<Service>, action: &str, body: &Value) -> ApiResult {
        let args = body.as_object().cloned().unwrap_or_default();
        match action {
            "CreateStateMachine" => self.create_state_machine(&args),
            "DescribeStateMachine" => self.describe_state_machine(&args),
            "UpdateStateMachine" => self.update_state_machine(&args),
            "DeleteStateMachine" => self.delete_state_machine(&args),
            "ListStateMachines" => self.list_state_machines(&args),
            "ValidateStateMachineDefinition" => validate_definition(&args),
            "StartExecution" => self.start_execution(&args, false),
            "StartSyncExecution" => self.start_execution(&args, true),
            "DescribeExecution" => self.describe_execution(&args),
            "DescribeStateMachineForExecution" => self.describe_for_execution(&args),
            "ListExecutions" => self.list_executions(&args),
            "StopExecution" => self.stop_execution(&args),
            "RedriveExecution" => self.redrive_execution(&args),
            "GetExecutionHistory" => self.history(&args),
            "TestState" => self.test_state(&args),
            other => Err(ApiError::new(
                "UnknownOperationException",
                format!("stepdbg serve does not serve {other}"),
            )),
        }
    }

    // ----- state machines ---------------------------------------------------------------

    fn create_state_machine(&self, a: &Map) -> ApiResult {
        let name = required(a, "name")?;
        check_name(name, "name")?;
        let definition = required(a, "definition")?;
        let role_arn = required(a, "roleArn")?;
        let kind = match a.get("type").and_then(Value::as_str).unwrap_or("STANDARD") {
            "STANDARD" => WorkflowType::Standard,
            "EXPRESS" => WorkflowType::Express,
            other => {
                return Err(ApiError::validation(format!(
                    "Value '{other}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
                )));
            }
        };
        check_definition(definition)?;
        let arn = format!(
            "arn:aws:states:{}:{}:stateMachine:{name}",
            self.options.region, self.options.account
        );
        let mut reg = self.reg();
        if let Some(m) = reg.machines.get(&arn) {
            if m.definition == definition && m.role_arn == role_arn {
                return Ok(json!({"stateMachineArn": arn, "creationDate": m.created}));
            }
            return Err(ApiError::new(
                "StateMachineAlreadyExists",
                format!("State Machine Already Exists: '{arn}'"),
            ));
        }
        let t = now();
        reg.machines.insert(
            arn.clone(),
            Arc::new(MachineRec {
                name: name.to_string(),
                arn: arn.clone(),
                definition: definition.to_string(),
                role_arn: role_arn.to_string(),
                kind,
                created: t,
                updated: t,
            }),
        );
        Ok(json!({"stateMachineArn": arn, "creationDate": t}))
    }

    fn machine(&self, arn: &str) -> Result<Arc<MachineRec>, ApiError> {
        check_arn(arn, "stateMachine")?;
        self.reg().machines.get(arn).cloned().ok_or_else(|| {
            ApiError::new(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{arn}'"),
            )
        })
    }

    fn describe_state_machine(&self, a: &Map) -> ApiResult {
        let m = self.machine(required(a, "stateMachineArn")?)?;
        Ok(json!({
            "stateMachineArn": m.arn, "name": m.name, "status": "ACTIVE",
            "definition": m.definition, "roleArn": m.role_arn, "type": kind_name(m.kind),
            "creationDate": m.created,
        }))
    }

    fn update_state_machine(&self, a: &Map) -> ApiResult {
        let arn = required(a, "stateMachineArn")?;
        let m = self.machine(arn)?;
        let definition = a.get("definition").and_then(Value::as_str);
        let role = a.get("roleArn").and_then(Value::as_str);
        if definition.is_none() && role.is_none() {
            return Err(ApiError::new(
                "MissingRequiredParameter",
                "Either the definition or the roleArn must be specified",
            ));
        }
        if let Some(d) = definition {
            check_definition(d)?;
        }
        let t = now();
        let updated = MachineRec {
            name: m.name.clone(),
            arn: m.arn.clone(),
            definition: definition.map_or_else(|| m.definition.clone(), str::to_string),
            role_arn: role.map_or_else(|| m.role_arn.clone(), str::to_string),
            kind: m.kind,
            created: m.created,
            updated: t,
        };
        self.reg()
            .machines
            .insert(arn.to_string(), Arc::new(updated));
        Ok(json!({"updateDate": t}))
    }

    fn delete_state_machine(&self, a: &Map) -> ApiResult {
        let arn = required(a, "stateMachineArn")?;
        check_arn(arn, "stateMachine")?;
        self.reg().machines.remove(arn);
        Ok(json!({}))
    }

    fn list_state_machines(&self, a: &Map) -> ApiResult {
        let all: Vec<Value> = self
            .reg()
            .machines
            .values()
            .map(|m| json!({"stateMachineArn": m.arn, "name": m.name, "type": kind_name(m.kind), "creationDate": m.created}))
            .collect();
        page(a, all, "stateMachines")
    }

    // ----- executions -------------------------------------------------------------------

    fn start_execution(self: &Arc<Service>, a: &Map, sync: bool) -> ApiResult {
        let given = required(a, "stateMachineArn")?;
        // Step Functions Local's convention: ARN#TestCase chooses the mock file's test case.
        let (arn, test_case) = match given.split_once('#') {
            Some((arn, case)) => (arn, Some(case)),
            None => (given, None),
        };
        let m = self.machine(arn)?;
        if sync && m.kind != WorkflowType::Express {
            return Err(ApiError::new(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            ));
        }
        let name = match a.get("name").and_then(Value::as_str) {
            Some(n) => {
                check_name(n, "name")?;
                n.to_string()
            }
            None => uuid(),
        };
        let input_text = a.get("input").and_then(Value::as_str).unwrap_or("{}");
        let input = crate::json::parse::value_from_str(input_text).map_err(|e| {
            ApiError::new(
                "InvalidExecutionInput",
                format!("Invalid State Machine Execution Input: '{e}'"),
            )
        })?;
        let kind_word = if m.kind == WorkflowType::Express {
            "express"
        } else {
            "execution"
        };
        let exec_arn = format!(
            "arn:aws:states:{}:{}:{kind_word}:{}:{name}",
            self.options.region, self.options.account, m.name
        );
        let def = crate::asl::source::parse_text(
            std::path::Path::new(&m.name),
            m.definition.clone(),
            crate::asl::source::Format::Json,
        )
        .map(crate::asl::Definition::from_document)
        .map_err(|e| ApiError::new("InvalidDefinition", e.to_string()))?;
        let mocks = match (&self.options.mocks, test_case) {
            (Some(cfg), Some(case)) => cfg.case(Some(&m.name), Some(case)).map_err(|e| {
                ApiError::validation(format!("the mock file has no test case for {given}: {e}"))
            })?,
            (None, Some(_)) => {
                return Err(ApiError::validation(
                    "a #TestCase needs a mock file: --mock-config FILE or SFN_MOCK_CONFIG",
                ));
            }
            _ => MockCase::default(),
        };
        let start = now();
        let config = crate::engine::Config {
            workflow_type: m.kind,
            start_time_ms: (start * 1000.0) as i64,
            region: self.options.region.clone(),
            account: self.options.account.clone(),
            state_machine_name: m.name.clone(),
            execution_name: name.clone(),
            role_arn: m.role_arn.clone(),
            // The debugger shows each step's data flow.
            record_steps: self.options.debug,
            token_secret: crate::shell::random::secret(),
            ..crate::engine::Config::default()
        };
        let scope = crate::integrations::lambda::AwsScope::of(&config);
        let exec = Execution::new(Arc::new(def.machine), input, config);
        let rec = Arc::new(ExecRec {
            arn: exec_arn.clone(),
            name,
            machine_arn: m.arn.clone(),
            machine_name: m.name.clone(),
            definition: m.definition.clone(),
            role_arn: m.role_arn.clone(),
            updated: m.updated,
            input: input_text.to_string(),
            start,
            state: Mutex::new(Running {
                exec,
                paused_at: None,
                attached: false,
                pause_requested: false,
                resumed: false,
                runner_done: false,
                queued: Vec::new(),
                stop: None,
                redriven: None,
                idle: None,
                timed_out: Vec::new(),
            }),
            wake: Condvar::new(),
        });
        {
            let mut reg = self.reg();
            if reg.by_arn.contains_key(&exec_arn) {
                return Err(ApiError::new(
                    "ExecutionAlreadyExists",
                    format!("Execution Already Exists: '{exec_arn}'"),
                ));
            }
            reg.by_arn.insert(exec_arn.clone(), rec.clone());
            reg.executions.push(rec.clone());
        }
        let routes = match &self.options.lambda_endpoint {
            Some(url) => {
                crate::integrations::routes::Routes::from_options(&[format!("*=endpoint:{url}")])
                    .map_err(|e| ApiError::validation(e.to_string()))?
            }
            None => crate::integrations::routes::Routes::default(),
        };
        let cwd = std::env::current_dir().unwrap_or_default();
        let dispatcher = Dispatcher::new(mocks, routes, cwd, 0).with_scope(scope);
        runner::spawn(self.clone(), rec.clone(), dispatcher);
        if !sync {
            return Ok(json!({"executionArn": exec_arn, "startDate": start}));
        }
        let mut st = rec.lock();
        while st.stop.is_none() {
            st = rec
                .wake
                .wait(st)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let mut out = describe(&rec, &st);
        if let Some(o) = out.as_object_mut() {
            o.remove("stateMachineArn");
            o.insert("stateMachineArn", json!(rec.machine_arn));
        }
        Ok(out)
    }

    pub(super) fn execution(&self, arn: &str) -> Result<Arc<ExecRec>, ApiError> {
        if !arn.contains(":execution:") && !arn.contains(":express:") {
            return Err(ApiError::new("InvalidArn", format!("Invalid Arn: '{arn}'")));
        }
        self.reg().by_arn.get(arn).cloned().ok_or_else(|| {
            ApiError::new(
                "ExecutionDoesNotExist",
                format!("Execution Does Not Exist: '{arn}'"),
            )
        })
    }

    fn describe_execution(&self, a: &Map) -> ApiResult {
        let rec = self.execution(required(a, "executionArn")?)?;
        let st = rec.lock();
        Ok(describe(&rec, &st))
    }

    fn describe_for_execution(&self, a: &Map) -> ApiResult {
        let rec = self.execution(required(a, "executionArn")?)?;
        Ok(json!({
            "stateMachineArn": rec.machine_arn, "name": rec.machine_name,
            "definition": rec.definition, "roleArn": rec.role_arn, "updateDate": rec.updated,
        }))
    }

    fn list_executions(&self, a: &Map) -> ApiResult {
        let arn = required(a, "stateMachineArn")?;
        self.machine(arn)?;
        let filter = a.get("statusFilter").and_then(Value::as_str);
        let list: Vec<Arc<ExecRec>> = self
            .reg()
            .executions
            .iter()
            .rev()
            .filter(|e| e.machine_arn == arn)
            .cloned()
            .collect();
        let mut all = Vec::new();
        for e in list {
            let st = e.lock();
            let status = st.exec.status().name();
            if filter.is_some_and(|f| f != status) {
                continue;
            }
            let mut v = json!({"executionArn": e.arn, "stateMachineArn": e.machine_arn,
                "name": e.name, "status": status, "startDate": e.start});
            if let Some(s) = st.stop {
                v["stopDate"] = json!(s);
            }
            all.push(v);
        }
        page(a, all, "executions")
    }

    fn stop_execution(&self, a: &Map) -> ApiResult {
        let rec = self.execution(required(a, "executionArn")?)?;
        let text = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
        let mut st = rec.lock();
        // In the debugger's hands: it stops when it is given back.
        if st.attached {
            st.queued.push(Queued::Stop(text("error"), text("cause")));
            return Ok(json!({"stopDate": now()}));
        }
        st.exec.stop(text("error"), text("cause"));
        // Paused: it ends now.
        st.paused_at = None;
        let t = st.stop.unwrap_or_else(now);
        st.stop = Some(t);
        rec.wake.notify_all();
        Ok(json!({"stopDate": t}))
    }

    /// RedriveExecution: a STANDARD execution that failed, timed out or was stopped starts
    /// again from the state it did not finish ([`Execution::redrive`]).
    fn redrive_execution(self: &Arc<Service>, a: &Map) -> ApiResult {
        let rec = self.execution(required(a, "executionArn")?)?;
        let not_redrivable = |why: String| {
            ApiError::new(
                "ExecutionNotRedrivable",
                format!("Execution '{}' cannot be redriven: {why}", rec.arn),
            )
        };
        let mut st = rec.lock();
        if st.exec.config().workflow_type == WorkflowType::Express {
            return Err(not_redrivable(
                "EXPRESS executions cannot be redriven".into(),
            ));
        }
        // A stopped execution's runner may still be handing its last task back.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while st.exec.status().is_done() && !st.runner_done {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(not_redrivable("it is still finishing; try again".into()));
            }
            st = match rec.wake.wait_timeout(st, left) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
        st.exec.redrive().map_err(not_redrivable)?;
        let dispatcher = st.idle.take().expect("an ended execution's dispatcher");
        let at = now();
        st.stop = None;
        st.redriven = Some(at);
        st.runner_done = false;
        st.pause_requested = false;
        drop(st);
        runner::spawn(self.clone(), rec.clone(), dispatcher);
        Ok(json!({"redriveDate": at}))
    }

    fn history(&self, a: &Map) -> ApiResult {
        let rec = self.execution(required(a, "executionArn")?)?;
        let with_data = a
            .get("includeExecutionData")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let events = {
            let st = rec.lock();
            crate::engine::history::to_json(st.exec.history())
        };
        let mut events: Vec<Value> = events["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|mut e| {
                // The API's timestamps are epoch seconds.
                let secs = e["timestamp"]
                    .as_str()
                    .and_then(crate::engine::time::parse_timestamp)
                    .map_or(0.0, |t| t.timestamp_millis() as f64 / 1000.0);
                e["timestamp"] = json!(secs);
                if !with_data
                    && let Some(m) = e.as_object_mut()
                    && let Some(Value::Object(d)) = m
                        .iter_mut()
                        .find(|(k, _)| k.ends_with("EventDetails"))
                        .map(|(_, d)| d)
                {
                    for f in ["input", "output", "parameters"] {
                        d.remove(f);
                    }
                }
                e
            })
            .collect();
        if a.get("reverseOrder").and_then(Value::as_bool) == Some(true) {
            events.reverse();
        }
        page(a, events, "events")
    }

    /// SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat.
    pub fn callback(
        &self,
        token: &str,
        action: &crate::session::callback::CallbackAction,
    ) -> Result<(), crate::session::callback::CallbackError> {
        use crate::session::callback::{self, CallbackError};
        if !callback::is_well_formed_token(token) {
            return Err(CallbackError::InvalidToken);
        }
        let rec = self
            .reg()
            .tokens
            .get(token)
            .cloned()
            .ok_or(CallbackError::TaskDoesNotExist)?;
        let mut st = rec.lock();
        // In the debugger's hands: answered when it is given back (the token must be one
        // it waits for).
        if st.attached {
            if st.exec.task_by_token(token).is_none() {
                return Err(CallbackError::TaskDoesNotExist);
            }
            st.queued
                .push(Queued::Callback(token.to_string(), action.clone()));
            return Ok(());
        }
        let timed_out = st.timed_out.clone();
        let r = callback::apply(&mut st.exec, token, action, &timed_out);
        rec.wake.notify_all();
        r
    }

    fn test_state(&self, a: &Map) -> ApiResult {
        use crate::engine::test_state::{InspectionLevel, TestStateRequest, test_state};
        let text = |k: &str| a.get(k).and_then(Value::as_str);
        let json_arg = |k: &str, default: Value| -> Result<Value, ApiError> {
            match text(k) {
                None => Ok(default),
                Some(t) => serde_json::from_str(t)
                    .map_err(|e| ApiError::validation(format!("'{k}' is not JSON: {e}"))),
            }
        };
        let definition = json_arg("definition", Value::Null)?;
        if definition.is_null() {
            return Err(ApiError::validation(
                "Value null at 'definition' failed to satisfy constraint: Member must not be null",
            ));
        }
        let level = match text("inspectionLevel") {
            None => InspectionLevel::Info,
            Some(l) => InspectionLevel::parse(l).ok_or_else(|| {
                ApiError::validation(format!(
                    "Value '{l}' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"
                ))
            })?,
        };
        let mock = match a.get("mock") {
            None | Some(Value::Null) => None,
            Some(m) => Some(match (m.get("result"), m.get("errorOutput")) {
                (Some(Value::String(r)), None) => {
                    crate::engine::TaskOutcome::Success(serde_json::from_str(r).map_err(|e| {
                        ApiError::validation(format!("mock.result is not JSON: {e}"))
                    })?)
                }
                (None, Some(e)) => crate::engine::TaskOutcome::Failure(crate::engine::Failure {
                    error: e.get("error").and_then(Value::as_str).map(str::to_string),
                    cause: e.get("cause").and_then(Value::as_str).map(str::to_string),
                }),
                _ => {
                    return Err(ApiError::validation(
                        "mock takes one of result and errorOutput",
                    ));
                }
            }),
        };
        let config = a.get("stateConfiguration");
        let setting = |k: &str| config.and_then(|c| c.get(k)).filter(|v| !v.is_null());
        let count = |k: &str| -> Result<u64, ApiError> {
            match setting(k) {
                None => Ok(0),
                Some(v) => v.as_u64().ok_or_else(|| {
                    ApiError::validation(format!(
                        "Value '{v}' at 'stateConfiguration.{k}' failed to satisfy constraint: Member must have value greater than or equal to 0"
                    ))
                }),
            }
        };
        let retrier_retry_count = count("retrierRetryCount")? as u32;
        let map_iteration_failure_count = count("mapIterationFailureCount")? as usize;
        let config_text = |k: &str| setting(k).and_then(Value::as_str).map(str::to_string);
        let req = TestStateRequest {
            definition,
            state_name: text("stateName").map(str::to_string),
            input: json_arg("input", json!({}))?,
            inspection_level: level,
            variables: match json_arg("variables", json!({}))? {
                Value::Object(m) => m,
                _ => return Err(ApiError::validation("'variables' must be a JSON object")),
            },
            context: text("context")
                .map(|_| json_arg("context", Value::Null))
                .transpose()?,
            mock,
            retrier_retry_count,
            map_iteration_failure_count,
            error_caused_by_state: config_text("errorCausedByState"),
            map_item_reader_data: config_text("mapItemReaderData"),
        };
        let mut answer =
            crate::integrations::reader::test_state_answers(req.map_item_reader_data.clone());
        test_state(&req, &mut answer).map_err(|e| ApiError::new(e.code(), e.to_string()))
    }
}

/// DescribeExecution's answer.
fn describe(rec: &ExecRec, st: &Running) -> Value {
    let mut v = json!({
        "executionArn": rec.arn, "stateMachineArn": rec.machine_arn, "name": rec.name,
        "status": st.exec.status().name(), "startDate": rec.start,
        "input": rec.input, "inputDetails": {"included": true},
    });
    if let Some(s) = st.stop {
        v["stopDate"] = json!(s);
    }
    if st.exec.config().workflow_type == WorkflowType::Standard {
        let redrivable = matches!(
            st.exec.status(),
            Status::Failed { .. } | Status::TimedOut { .. } | Status::Aborted { .. }
        );
        v["redriveCount"] = json!(st.exec.redrive_count());
        v["redriveStatus"] = json!(if redrivable {
            "REDRIVABLE"
        } else {
            "NOT_REDRIVABLE"
        });
        if let Some(at) = st.redriven {
            v["redriveDate"] = json!(at);
        }
    }
    match st.exec.status() {
        Status::Succeeded { output } => {
            v["output"] = json!(crate::expr::compact(output));
            v["outputDetails"] = json!({"included": true});
        }
        Status::Failed { error, cause }
        | Status::TimedOut { error, cause }
        | Status::Aborted { error, cause } => {
            if let Some(e) = error {
                v["error"] = json!(e);
            }
            if let Some(c) = cause {
                v["cause"] = json!(c);
            }
        }
        Status::Running => {}
    }
    v
}

fn kind_name(k: WorkflowType) -> &'static str {
    match k {
        WorkflowType::Standard => "STANDARD",
        WorkflowType::Express => "EXPRESS",
    }
}

fn required<'a>(a: &'a Map, k: &str) -> Result<&'a str, ApiError> {
    match a.get(k) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(ApiError::validation(format!(
            "Value null at '{k}' failed to satisfy constraint: Member must not be null"
        ))),
        Some(_) => Err(ApiError::new(
            "SerializationException",
            format!("'{k}' must be a string"),
        )),
    }
}

/// AWS's rules for state machine and execution names.
fn check_name(name: &str, field: &str) -> Result<(), ApiError> {
    let bad = name.chars().any(|c| {
        c.is_whitespace()
            || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
            || (c as u32) < 0x20
            || (0x7f..=0x9f).contains(&(c as u32))
    });
    if name.is_empty() || name.chars().count() > 80 || bad {
        return Err(ApiError::new(
            "InvalidName",
            format!(
                "Invalid Name: '{name}' (at '{field}': 1 to 80 characters, no whitespace, brackets, wildcards or special characters)"
            ),
        ));
    }
    Ok(())
}

fn check_arn(arn: &str, kind: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "states" || parts[5] != kind {
        return Err(ApiError::new("InvalidArn", format!("Invalid Arn: '{arn}'")));
    }
    Ok(())
}

/// The definition as AWS checks it: JSON, then the language's rules.
fn check_definition(text: &str) -> Result<(), ApiError> {
    let problems = diagnostics(text);
    let errors: Vec<String> = problems
        .iter()
        .filter(|d| d["severity"] == "ERROR")
        .map(|d| {
            format!(
                "{} at {}",
                d["message"].as_str().unwrap_or(""),
                d["location"].as_str().unwrap_or("/")
            )
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        "InvalidDefinition",
        format!("Invalid State Machine Definition: '{}'", errors.join(", ")),
    ))
}

/// stepdbg's located diagnostics in ValidateStateMachineDefinition's shape.
fn diagnostics(text: &str) -> Vec<Value> {
    let doc = match crate::asl::source::parse_text(
        std::path::Path::new("definition"),
        text.to_string(),
        crate::asl::source::Format::Json,
    ) {
        Ok(d) => d,
        Err(e) => {
            return vec![
                json!({"severity": "ERROR", "code": "INVALID_JSON_DESCRIPTION",
                "message": e.to_string(), "location": "/"}),
            ];
        }
    };
    let def = crate::asl::Definition::from_document(doc);
    def.diagnostics
        .iter()
        .map(|d| {
            let lc = d.line_col(&def.doc);
            json!({
                "severity": if d.severity == crate::asl::Severity::Error { "ERROR" } else { "WARNING" },
                "code": d.code.to_uppercase().replace('-', "_"),
                "message": format!("{} (line {}, column {})", d.message, lc.line, lc.col),
                "location": if d.pointer.is_empty() { "/".to_string() } else { d.pointer.clone() },
            })
        })
        .collect()
}

fn validate_definition(a: &Map) -> ApiResult {
    let text = required(a, "definition")?;
    let d = diagnostics(text);
    let failed = d.iter().any(|x| x["severity"] == "ERROR");
    Ok(json!({"result": if failed { "FAIL" } else { "OK" }, "diagnostics": d, "truncated": false}))
}

/// `maxResults` and `nextToken` paging of `all` under `key`.
fn page(a: &Map, all: Vec<Value>, key: &str) -> ApiResult {
    let max = a
        .get("maxResults")
        .and_then(Value::as_u64)
        .filter(|m| *m > 0)
        .unwrap_or(100)
        .min(1000) as usize;
    let start = match a.get("nextToken").and_then(Value::as_str) {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::new("InvalidToken", format!("Invalid Token: '{t}'")))?,
    };
    let end = (start + max).min(all.len());
    let mut out = json!({ key: all.get(start..end).unwrap_or(&[]).to_vec() });
    if end < all.len() {
        out["nextToken"] = json!(end.to_string());
    }
    Ok(out)
}

fn uuid() -> String {
    let b: [u8; 16] = crate::shell::random::bytes();
    crate::engine::uuid_text(&b)
}
