//! Fuzz target `server`: see `clasp_fuzz::server` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clasp_fuzz::server(data));
