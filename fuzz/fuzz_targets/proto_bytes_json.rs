//! Arbitrary bytes as an `anycall.interop.v1.Item` → proto3 JSON and back.
#![no_main]

#[path = "proto_common/mod.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::bytes_to_json_round_trip(data));
