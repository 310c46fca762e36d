//! Fuzz target `message`: see `clasp_fuzz::message` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clasp_fuzz::message(data));
