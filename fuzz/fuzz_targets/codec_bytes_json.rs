//! Arbitrary bytes → JSON through the `JsonView` in both protocols. Nothing
//! may panic; JSON that renders encodes back to the same value (see
//! `codec_common`).
#![no_main]

#[path = "codec_common/mod.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::bytes_to_json(data));
