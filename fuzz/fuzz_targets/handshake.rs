//! Fuzz target `handshake`: see `clasp_fuzz::handshake` (fuzz/src/scenario.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clasp_fuzz::handshake(data));
