//! stepdbg: a terminal debugger for AWS Step Functions state machines.
//!
//! Layers, each with one job:
//! - [`asl`]: the Amazon States Language model, loading with source spans, validation;
//! - [`expr`]: JSONPath, reference paths, payload templates, intrinsics, JSONata;
//! - [`engine`]: the pure, deterministic, steppable interpreter (effects out, results in);
//! - [`integrations`]: fulfilling task effects (mock files, function backends);
//! - [`session`]: the debugger (breakpoints, stepping, history, reload);
//! - [`cli`]: the command line, thin over the layers above.

pub mod asl;
pub mod cli;
pub mod engine;
pub mod expr;
pub mod integrations;
pub mod session;
pub mod tui;
