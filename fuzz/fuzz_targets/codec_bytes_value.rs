//! Arbitrary bytes → `Value` (`decode_struct_value`, `read_value`) in both
//! protocols. Nothing may panic; a value that decodes re-encodes, and the
//! re-encoded bytes are a fixed point (see `codec_common`).
#![no_main]

#[path = "codec_common/mod.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::bytes_to_value(data));
