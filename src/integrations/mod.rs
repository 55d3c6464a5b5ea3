//! Fulfilling the engine's task effects: Step Functions Local mock files and Lambda
//! function backends, behind one [`dispatch::Dispatcher`].

pub mod backend;
pub mod children;
pub mod dispatch;
pub mod lambda;
pub mod mock;
mod process;
pub mod reader;
pub mod routes;
pub mod services;
pub mod settings;

/// Why the configuration of task answers cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A `--function PATTERN=BACKEND` option or a route in stepdbg.toml.
    #[error("{0}")]
    Route(String),
    /// stepdbg.toml (the message names its file, line and column).
    #[error("{0}")]
    Settings(String),
    #[error(transparent)]
    Mock(#[from] mock::MockError),
}
