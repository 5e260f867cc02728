#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lintage_fuzz::ndjson_line(data));
