//! Fuzz target `ticket`: see `clasp_fuzz::ticket` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clasp_fuzz::ticket(data));
