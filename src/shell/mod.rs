//! The I/O shell: everything that touches the world outside the engine, hardened.
//!
//! One tokio runtime ([`runtime`]) runs the terminal loop's inputs, the HTTP endpoint, the
//! function processes and the signal handlers; the engine and the session stay
//! synchronous and are driven from it. Every read here is bounded ([`read`]), every child
//! process is tracked and ends with stepdbg ([`children`]), every listener is loopback
//! only unless the user says otherwise ([`http`]), and output errors are reported, not
//! swallowed ([`output`]).

pub mod children;
pub mod http;
pub mod memory;
pub mod output;
pub mod random;
pub mod read;
pub mod runtime;
pub mod signals;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub mod small_blocks;
pub mod toml;
