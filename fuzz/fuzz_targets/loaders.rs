//! Fuzz target `loaders`: see `clasp_fuzz::loaders` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clasp_fuzz::loaders(data));
