#![no_main]
//! See `stepdbg_fuzz::config` (fuzz/src/lib.rs) for what this target feeds stepdbg.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| stepdbg_fuzz::config(data));
