//! HTTP on hyper: a hardened local server and a bounded client.

pub mod client;
pub mod server;
