//! Protobuf: proto3 JSON ⇄ bytes on the interop `.proto`, its corner cases,
//! errors with paths, limits.

use anycall_codec::proto::{
    ProtoLimits, ProtoOptions, bytes_to_json, bytes_to_message, json_to_bytes, message_to_json,
    split_json_values,
};
use anycall_idl::proto::{DescriptorPool, ProtoLoader};
use anycall_test_support::{golden, testdata};
use prost_reflect::MessageDescriptor;

fn pool() -> DescriptorPool {
    ProtoLoader::new()
        .load([testdata("grpc/interop.proto").to_str().expect("utf-8")])
        .expect("interop.proto compiles")
}

fn item() -> MessageDescriptor {
    pool()
        .get_message_by_name("anycall.interop.v1.Item")
        .expect("Item")
}

fn item_json() -> String {
    std::fs::read_to_string(testdata("grpc/item.json"))
        .expect("item.json")
        .trim_end()
        .to_owned()
}

#[test]
fn every_type_round_trips_to_the_same_canonical_json() {
    let opts = ProtoOptions::default();
    let bytes = json_to_bytes(&item(), item_json().as_bytes(), &opts).expect("encodes");
    assert_same_json(
        &bytes_to_json(&item(), &bytes, &opts).expect("decodes"),
        &item_json(),
    );
    // Map (and Struct) entries come in hash order: pin the bytes and the text
    // with one entry per map.
    let single = item_json()
        .replace(r#""counts":{"a":"1","b":"-2"}"#, r#""counts":{"b":"-2"}"#)
        .replace(r#""-3":{"id":-3},"#, "")
        .replace(
            r#""k":"v","list":[true,null,"s"],"n":1.5,"obj":{}"#,
            r#""list":[true,null,"s"]"#,
        );
    assert_ne!(single, item_json());
    let bytes = json_to_bytes(&item(), single.as_bytes(), &opts).expect("encodes");
    golden::hex(
        &testdata("grpc/item.hex"),
        "anycall.interop.v1.Item of testdata/grpc/item.json with one entry per map",
        &bytes,
    );
    assert_eq!(
        bytes_to_json(&item(), &bytes, &opts).expect("decodes"),
        single
    );
}

#[test]
fn proto_names_and_numbers_are_accepted_on_input() {
    let opts = ProtoOptions::default();
    let by_proto_name = json_to_bytes(
        &item(),
        br#"{"scalars":{"f_int64":12,"f_uint64":"13"},"color":2,"maybe_count":5}"#,
        &opts,
    )
    .expect("proto names, numbers for int64 and enums");
    assert_eq!(
        bytes_to_json(&item(), &by_proto_name, &opts).expect("decodes"),
        r#"{"scalars":{"fInt64":"12","fUint64":"13"},"color":"COLOR_GREEN","maybeCount":"5"}"#
    );
}

#[test]
fn emit_defaults_and_output_options() {
    let opts = ProtoOptions {
        emit_defaults: true,
        ..ProtoOptions::default()
    };
    let desc = pool()
        .get_message_by_name("anycall.interop.v1.Inner")
        .expect("Inner");
    assert_eq!(
        bytes_to_json(&desc, &[], &opts).expect("empty message"),
        r#"{"id":0,"label":""}"#
    );
    let opts = ProtoOptions {
        proto_names: true,
        enums_as_numbers: true,
        int64_as_numbers: true,
        ..ProtoOptions::default()
    };
    let bytes = json_to_bytes(
        &item(),
        br#"{"color":"COLOR_RED","scalars":{"fInt64":"-3"}}"#,
        &ProtoOptions::default(),
    )
    .expect("encodes");
    assert_eq!(
        bytes_to_json(&item(), &bytes, &opts).expect("decodes"),
        r#"{"scalars":{"f_int64":-3},"color":1}"#
    );
}

#[test]
fn oneof_takes_one_member() {
    let opts = ProtoOptions::default();
    let err = json_to_bytes(&item(), br#"{"name":"a","number":"1"}"#, &opts)
        .expect_err("two members of one oneof");
    assert!(err.to_string().contains("oneof"), "{err}");
    let bytes = json_to_bytes(&item(), br#"{"number":"1"}"#, &opts).expect("one member");
    assert_eq!(bytes, [0x20, 0x01]);
}

#[test]
fn errors_name_the_json_path() {
    let opts = ProtoOptions::default();
    let err = json_to_bytes(&item(), br#"{"inners":[{"id":1},{"id":"x"}]}"#, &opts)
        .expect_err("a string for int32");
    assert_eq!(
        err.path_string(),
        "anycall.interop.v1.Item.inners[1].id",
        "{err}"
    );
    let err = json_to_bytes(&item(), br#"{"nested":{"colors":["COLOR_BLUE"]}}"#, &opts)
        .expect_err("unknown enum name");
    assert!(
        err.to_string()
            .starts_with("anycall.interop.v1.Item.nested.colors"),
        "{err}"
    );
    let err = json_to_bytes(&item(), br#"{"nope":1}"#, &opts).expect_err("unknown field");
    assert!(err.to_string().contains("nope"), "{err}");
    let lenient = ProtoOptions {
        ignore_unknown: true,
        ..ProtoOptions::default()
    };
    assert_eq!(
        json_to_bytes(&item(), br#"{"nope":1}"#, &lenient).expect("skipped"),
        b""
    );
}

#[test]
fn any_with_a_type_outside_the_pool_is_an_error() {
    let opts = ProtoOptions::default();
    let err = json_to_bytes(
        &item(),
        br#"{"extra":{"@type":"type.googleapis.com/no.Such","x":1}}"#,
        &opts,
    )
    .expect_err("unresolvable Any");
    assert!(err.to_string().contains("no.Such"), "{err}");
}

#[test]
fn bad_bytes_are_an_error_naming_the_message() {
    let opts = ProtoOptions::default();
    // Field 1 (scalars), length 5, but only 1 byte follows.
    let err = bytes_to_message(&item(), &[0x0a, 0x05, 0x08], &opts).expect_err("truncated");
    assert!(
        err.to_string().starts_with("anycall.interop.v1.Item"),
        "{err}"
    );
}

#[test]
fn limits_on_size_and_depth() {
    let small = ProtoOptions {
        limits: ProtoLimits {
            max_message_size: 4,
            max_depth: 3,
        },
        ..ProtoOptions::default()
    };
    let err = bytes_to_message(&item(), &[0; 5], &small).expect_err("too big");
    assert!(err.is_limit(), "{err}");
    let err = json_to_bytes(
        &item(),
        br#"{"a":[[[1]]]}"#,
        &ProtoOptions {
            limits: ProtoLimits {
                max_message_size: 1 << 20,
                max_depth: 3,
            },
            ..ProtoOptions::default()
        },
    )
    .expect_err("too deep");
    assert!(err.is_limit(), "{err}");
    assert!(err.to_string().contains("depth 4"), "{err}");
    // Brackets inside strings do not count.
    json_to_bytes(
        &item(),
        br#"{"tags":["[[[[[["]}"#,
        &ProtoOptions {
            limits: ProtoLimits {
                max_message_size: 1 << 20,
                max_depth: 3,
            },
            ..ProtoOptions::default()
        },
    )
    .expect("strings are not nesting");
}

#[test]
fn several_json_values_split() {
    let parts = split_json_values(b" {\"a\":1}\n{\"b\":[2]} 3 ").expect("splits");
    assert_eq!(parts, [&b"{\"a\":1}"[..], b"{\"b\":[2]}", b"3"]);
    assert!(split_json_values(b"{} {").is_err());
    assert!(split_json_values(b"").expect("empty").is_empty());
}

#[test]
fn dynamic_messages_render_the_same_json() {
    let opts = ProtoOptions::default();
    let bytes = json_to_bytes(&item(), item_json().as_bytes(), &opts).expect("encodes");
    let msg = bytes_to_message(&item(), &bytes, &opts).expect("decodes");
    assert_same_json(
        &message_to_json(&msg, &opts).expect("renders"),
        &item_json(),
    );
}

/// The same JSON value, map entries in any order.
fn assert_same_json(actual: &str, expected: &str) {
    let a: serde_json::Value = serde_json::from_str(actual).expect("valid JSON");
    let e: serde_json::Value = serde_json::from_str(expected).expect("valid JSON");
    assert_eq!(a, e, "{actual}");
}
