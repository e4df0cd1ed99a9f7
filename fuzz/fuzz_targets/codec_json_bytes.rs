//! Arbitrary JSON text → Thrift bytes (`encode_struct_json`,
//! `encode_call_json`) in both protocols. Nothing may panic; bytes that
//! encode render back to JSON that encodes to the same bytes, and the
//! `Value` path agrees (see `codec_common`).
#![no_main]

#[path = "codec_common/mod.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::json_to_bytes(data));
