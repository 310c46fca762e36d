//! Fuzz target `deframer`: see `clasp_fuzz::deframer` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clasp_fuzz::deframer(data));
