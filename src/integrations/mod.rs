//! Fulfilling the engine's task effects: Step Functions Local mock files and Lambda
//! function backends, behind one [`dispatch::Dispatcher`].

pub mod backend;
pub mod dispatch;
pub mod lambda;
pub mod mock;
mod process;
pub mod routes;
pub mod settings;
