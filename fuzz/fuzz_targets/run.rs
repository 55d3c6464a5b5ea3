#![no_main]
//! See `stepdbg_fuzz::run` (fuzz/src/lib.rs) for what this target feeds stepdbg.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| stepdbg_fuzz::run(data));
