//! Setting up a run from what the user gives and what sits beside the definition:
//! `NAME.input.json`, `NAME.mocks.json` and `stepdbg.toml` are picked up when no option
//! names them. Shared by `stepdbg run` and the debugger.

use super::{BackgroundAnswer, Resolution, Resolver, SessionError};
use crate::engine::{Config, TaskRequest, WorkflowType, time};
use crate::integrations::children::Child;
use crate::integrations::dispatch::{Dispatch, Dispatcher};
use crate::integrations::lambda::AwsScope;
use crate::integrations::mock::{MockCase, MockConfig};
use crate::integrations::routes::Routes;
use crate::integrations::settings::Settings;
use crate::json::Value;
use crate::project::{ProjectOptions, Target};
use std::path::{Path, PathBuf};

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    pub definition: PathBuf,
    /// JSON text, `file://PATH` or `-`.
    pub input: Option<String>,
    /// JSON text, `file://PATH` or `-`, merged into the context object.
    pub context: Option<String>,
    pub mock_config: Option<PathBuf>,
    /// Use no mock file, not even the one beside the definition.
    pub no_mocks: bool,
    pub state_machine_name: Option<String>,
    pub test_case: Option<String>,
    /// `PATTERN=BACKEND` routes for Lambda functions.
    pub functions: Vec<String>,
    pub execution_name: Option<String>,
    /// STANDARD or EXPRESS; None: the template's state machine's, else STANDARD.
    pub workflow_type: Option<WorkflowType>,
    /// `--child PATTERN=DEFINITION`: state machines run when a task starts one.
    pub children: Vec<(String, PathBuf)>,
    /// `--bucket NAME=DIR`: local folders standing for S3 buckets (over `[buckets]`).
    pub buckets: Vec<(String, PathBuf)>,
    /// When the file is a template: which state machine, and how to deploy it.
    pub state_machine: Option<String>,
    pub project: ProjectOptions,
    pub seed: u64,
    pub record_steps: bool,
    /// Tokens from the seed alone (tests); otherwise an OS-drawn secret is mixed in.
    pub deterministic_tokens: bool,
    /// JSONata evaluation time limit (else `[limits]` in stepdbg.toml, else the default).
    pub eval_timeout: Option<std::time::Duration>,
}

/// Everything needed to start executions.
pub struct Launch {
    pub input: Value,
    pub config: Config,
    pub dispatcher: Dispatcher,
    /// Files picked up beside the definition, for the user to see.
    pub discovered: Vec<PathBuf>,
    /// What to load: the definition file, or the template's state machine.
    pub target: Target,
    /// What the person should hear about the template (kept duplicate keys, placeholders
    /// without a value, functions that cannot run here).
    pub notes: Vec<String>,
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

/// Read a JSON argument given inline, as `file://PATH`, or `-` for standard input.
pub fn read_json_arg(arg: &str, what: &str) -> Result<Value, SessionError> {
    read_json_text(arg, what).map_err(SessionError::Input)
}

fn read_json_text(arg: &str, what: &str) -> Result<Value, String> {
    let (text, origin) = read_text_arg(arg, what)?;
    crate::json::parse::value_from_str(&text)
        .map_err(|e| format!("{what}: {origin} is not valid JSON: {e}"))
}

/// The text an argument gives: itself, `file://PATH`'s contents, or standard input's
/// (`-`); with where it came from, for messages.
pub fn read_text_arg(arg: &str, what: &str) -> Result<(String, String), String> {
    use crate::shell::read;
    Ok(if let Some(path) = arg.strip_prefix("file://") {
        (
            read::text(Path::new(path), read::MAX_FILE_BYTES, read::Kind::Any)
                .map_err(|e| format!("{what}: cannot read {path}: {e}"))?,
            path.to_string(),
        )
    } else if arg == "-" {
        let s = read::stdin_text(read::MAX_FILE_BYTES)
            .map_err(|e| format!("{what}: cannot read standard input: {e}"))?;
        (s, "standard input".to_string())
    } else {
        (arg.to_string(), "the argument".to_string())
    })
}

impl LaunchOptions {
    pub fn prepare(&self) -> Result<Launch, SessionError> {
        let mut discovered = Vec::new();
        let settings = Settings::beside(&self.definition)?;
        // A template: its state machine, deployed with stepdbg.toml's substitutions and
        // then --define's. When it cannot be opened yet, loading the definition says why.
        let mut project = self.project.clone();
        let mut defines = settings.substitutions.clone();
        defines.extend(project.defines);
        project.defines = defines;
        let target = Target::of(&self.definition, self.state_machine.clone(), project);
        let opened = target.is_template().then(|| target.open().ok()).flatten();
        let siblings_of = opened
            .as_ref()
            .map_or_else(|| self.definition.clone(), |o| o.siblings_of.clone());
        let input = match &self.input {
            Some(i) => read_json_arg(i, "--input")?,
            None => {
                let p = sibling(&siblings_of, "input.json");
                if p.is_file() {
                    discovered.push(p.clone());
                    read_json_arg(&format!("file://{}", p.display()), "input")?
                } else {
                    crate::json!({})
                }
            }
        };
        let context = match &self.context {
            Some(c) => match read_json_arg(c, "--context")? {
                v @ Value::Object(_) => Some(v),
                other => {
                    return Err(SessionError::Input(format!(
                        "--context must be a JSON object (merged into the context object, e.g. \
                         '{{\"Execution\":{{\"Name\":\"x\"}}}}'), not {}",
                        crate::expr::json_type_name(&other)
                    )));
                }
            },
            None => None,
        };
        let mock_path = match &self.mock_config {
            Some(p) => Some(p.clone()),
            None if self.no_mocks => None,
            None => {
                let p = sibling(&siblings_of, "mocks.json");
                p.is_file().then(|| {
                    discovered.push(p.clone());
                    p
                })
            }
        };
        let mocks = match &mock_path {
            Some(p) => MockConfig::load(p)
                .and_then(|m| {
                    m.case(
                        self.state_machine_name.as_deref(),
                        self.test_case.as_deref(),
                    )
                })
                .map_err(crate::integrations::ConfigError::from)?,
            None => MockCase::default(),
        };
        let mut config = Config {
            workflow_type: self.workflow_type.unwrap_or_else(|| {
                match opened.as_ref().and_then(|o| o.state_machine.as_ref()) {
                    Some((_, t)) if t == "EXPRESS" => WorkflowType::Express,
                    _ => WorkflowType::Standard,
                }
            }),
            seed: self.seed,
            start_time_ms: time::wall_clock_millis(),
            context_overrides: context.clone(),
            record_steps: self.record_steps,
            token_secret: if self.deterministic_tokens {
                0
            } else {
                crate::shell::random::secret()
            },
            ..Config::default()
        };
        if let Some(n) = &self.state_machine_name {
            config.state_machine_name = n.clone();
        } else if let Some((id, _)) = opened.as_ref().and_then(|o| o.state_machine.as_ref()) {
            config.state_machine_name = id.clone();
        } else if let Some(stem) = sibling(&self.definition, "x")
            .file_stem()
            .and_then(|s| s.to_str())
        {
            config.state_machine_name = stem.to_string();
        }
        if let Some(n) = &self.execution_name {
            config.execution_name = n.clone();
        }
        if let Some(ctx) = &context {
            if let Some(n) = ctx.pointer("/Execution/Name").and_then(Value::as_str) {
                config.execution_name = n.to_string();
            }
            if let Some(n) = ctx.pointer("/StateMachine/Name").and_then(Value::as_str) {
                config.state_machine_name = n.to_string();
            }
        }
        let mut routes = Routes::from_options(&self.functions)?;
        routes.extend(settings.routes);
        // The template's functions run with their handlers, after the person's own routes.
        let mut notes = Vec::new();
        // Nested state machines: --child and [state-machines] first, then the template's.
        let mut children = Vec::new();
        for (pattern, path) in self.children.iter().chain(settings.state_machines.iter()) {
            let def = crate::asl::load(path)?;
            if def.has_errors() {
                return Err(SessionError::Invalid(Box::new(def)));
            }
            let name = sibling(path, "x")
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or(pattern)
                .to_string();
            children.push(crate::integrations::children::Child {
                pattern: pattern.clone(),
                machine: std::sync::Arc::new(def.machine),
                name,
                target: Target::Definition {
                    path: path.clone(),
                    defines: Vec::new(),
                },
            });
        }
        if let Some(o) = opened {
            for r in o.routes {
                routes.push(r);
            }
            children.extend(o.children);
            notes = o.notes;
        }
        if let Some(p) = settings.path {
            discovered.push(p);
        }
        let mut budget = crate::expr::Budget::default();
        if let Some(t) = self.eval_timeout.or(settings.eval_timeout) {
            budget.timeout = t;
        }
        if let Some(n) = settings.max_sequence {
            budget.max_sequence = n;
        }
        if let Some(mb) = settings.eval_memory_mb {
            budget.max_memory = mb.saturating_mul(1024 * 1024);
        }
        budget.install();
        let cwd = std::env::current_dir().unwrap_or_default();
        routes.check_handler_files(&cwd)?;
        let mut buckets = settings.buckets;
        buckets.extend(self.buckets.iter().cloned());
        let dispatcher = Dispatcher::new(mocks, routes, cwd, self.seed)
            .with_scope(AwsScope::new(&config.region, &config.account))
            .with_buckets(buckets)
            .with_children(children);
        Ok(Launch {
            input,
            config,
            dispatcher,
            discovered,
            target,
            notes,
        })
    }
}

impl From<Dispatch> for Resolution {
    fn from(d: Dispatch) -> Resolution {
        match d {
            Dispatch::Handled {
                outcome,
                invocation,
            } => Resolution::Done {
                outcome,
                detail: Some(Box::new(invocation)),
            },
            Dispatch::CallbackPending { invocation } => Resolution::CallbackPending {
                detail: Some(Box::new(invocation)),
                suggested: None,
            },
            Dispatch::Unhandled(_) => Resolution::Manual,
        }
    }
}

impl Resolver for Dispatcher {
    fn resolve(&mut self, req: &TaskRequest) -> Resolution {
        self.dispatch(req).into()
    }

    fn reset(&mut self) {
        Dispatcher::reset(self);
    }

    fn replayed(&mut self, req: &TaskRequest) {
        Dispatcher::replayed(self, req);
    }

    fn resolve_in_background(&mut self, req: &TaskRequest) -> Option<BackgroundAnswer> {
        if !self.runs_backend(req) {
            return None;
        }
        let call = self.dispatch_async(req);
        Some(Box::pin(async move { Resolution::from(call.await) }))
    }

    fn child(&self, req: &TaskRequest) -> Option<Child> {
        Dispatcher::child(self, req)
    }

    fn children(&self) -> Vec<Child> {
        Dispatcher::children(self).to_vec()
    }

    fn for_child(&self) -> Option<Box<dyn Resolver>> {
        Some(Box::new(self.nested()?))
    }

    fn into_dispatcher(self: Box<Self>) -> Option<Dispatcher> {
        Some(*self)
    }
}

/// The debugger's resolver: like the dispatcher, except that a `.waitForTaskToken` task
/// whose answer comes from a mock stays pending, so a person sees the token and completes
/// it; the mock's answer is kept as the suggested completion (the Pending form shows it).
pub struct HoldCallbackTokens(pub Dispatcher);

impl Resolver for HoldCallbackTokens {
    fn resolve(&mut self, req: &TaskRequest) -> Resolution {
        match self.0.resolve(req) {
            Resolution::Done { outcome, detail } if req.token.is_some() => {
                Resolution::CallbackPending {
                    detail,
                    suggested: Some(outcome),
                }
            }
            other => other,
        }
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    fn replayed(&mut self, req: &TaskRequest) {
        self.0.replayed(req);
    }

    fn resolve_in_background(&mut self, req: &TaskRequest) -> Option<BackgroundAnswer> {
        self.0.resolve_in_background(req)
    }

    fn child(&self, req: &TaskRequest) -> Option<Child> {
        self.0.child(req)
    }

    fn children(&self) -> Vec<Child> {
        self.0.children().to_vec()
    }

    fn for_child(&self) -> Option<Box<dyn Resolver>> {
        Some(Box::new(HoldCallbackTokens(self.0.nested()?)))
    }

    fn into_dispatcher(self: Box<Self>) -> Option<Dispatcher> {
        Some(self.0)
    }
}
