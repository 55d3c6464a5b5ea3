//! Fulfilling the engine's task effects: Step Functions Local mock files (and, later,
//! function backends).

pub mod mock;
