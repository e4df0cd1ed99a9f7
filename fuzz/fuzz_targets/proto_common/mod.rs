//! Shared by the protobuf targets: the interop `.proto`, compiled once.

use std::sync::OnceLock;

use anycall_codec::proto::{
    MessageDescriptor, ProtoOptions, bytes_to_json, bytes_to_message, json_to_bytes,
};
use anycall_idl::proto::ProtoLoader;

fn item() -> MessageDescriptor {
    static ITEM: OnceLock<MessageDescriptor> = OnceLock::new();
    ITEM.get_or_init(|| {
        let pool = ProtoLoader::in_memory()
            .file("interop.proto", include_str!("../../../testdata/grpc/interop.proto"))
            .load(["interop.proto"])
            .expect("interop.proto compiles");
        pool.get_message_by_name("anycall.interop.v1.Item")
            .expect("Item")
    })
    .clone()
}

/// Bytes → JSON: never a panic; JSON that renders parses back to the same
/// message.
pub fn bytes_to_json_round_trip(data: &[u8]) {
    let opts = ProtoOptions::default();
    let Ok(json) = bytes_to_json(&item(), data, &opts) else {
        return;
    };
    let bytes = json_to_bytes(&item(), json.as_bytes(), &opts).expect("rendered JSON parses");
    let again = bytes_to_message(&item(), &bytes, &opts).expect("re-encoded bytes decode");
    let first = bytes_to_message(&item(), data, &opts).expect("decoded once already");
    assert_eq!(first, again, "JSON round trip changed the message");
}

/// JSON → bytes: never a panic; bytes that encode decode again.
pub fn json_to_bytes_round_trip(data: &[u8]) {
    let opts = ProtoOptions::default();
    let Ok(bytes) = json_to_bytes(&item(), data, &opts) else {
        return;
    };
    bytes_to_json(&item(), &bytes, &opts).expect("encoded bytes render");
}
