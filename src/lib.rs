//! stepdbg: a terminal debugger for AWS Step Functions state machines.
//!
//! Layers, each with one job:
//! - [`json`]: the JSON value all of them pass around (`serde_json`'s API, less memory);
//! - [`asl`]: the Amazon States Language model, loading with source spans, validation;
//! - [`expr`]: JSONPath, reference paths, payload templates, intrinsics, JSONata;
//! - [`engine`]: the pure, deterministic, steppable interpreter (effects out, results in);
//! - [`integrations`]: fulfilling task effects (mock files, function backends);
//! - [`project`]: SAM/CloudFormation/CDK templates: state machines resolved as AWS deploys
//!   them, functions mapped to their handler code;
//! - [`session`]: the debugger (breakpoints, stepping, history, reload);
//! - [`shell`]: the I/O shell under the front ends (runtime, processes, HTTP, signals, bounded reads);
//! - [`cli`]: the command line, thin over the layers above.

/// A line on stdout that neither panics nor hides a failed write (see [`shell::output`]).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::shell::output::line($crate::shell::output::Stream::Stdout, format_args!($($arg)*))
    };
}

/// A line on stderr that neither panics nor hides a failed write.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::shell::output::line($crate::shell::output::Stream::Stderr, format_args!($($arg)*))
    };
}

/// Counts the memory of expression evaluations so a runaway one can be stopped
/// ([`expr::budget`]), over the system allocator (small blocks served by
/// `shell::small_blocks` on Linux with glibc).
#[global_allocator]
static ALLOCATOR: expr::budget::CountingAllocator = expr::budget::CountingAllocator;

pub mod asl;
pub mod cli;
pub mod dap;
pub mod engine;
pub mod expr;
pub mod graph;
pub mod integrations;
pub mod json;
pub mod project;
pub mod serve;
pub mod session;
pub mod shell;
pub mod tui;
