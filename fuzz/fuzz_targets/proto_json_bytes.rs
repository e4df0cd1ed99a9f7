//! Arbitrary text as proto3 JSON of an `anycall.interop.v1.Item` → bytes.
#![no_main]

#[path = "proto_common/mod.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::json_to_bytes_round_trip(data));
