//! Fuzz target `client`: see `clasp_fuzz::client` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clasp_fuzz::client(data));
