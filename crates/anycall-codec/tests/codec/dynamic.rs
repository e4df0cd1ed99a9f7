//! Descriptor-driven codecs: JSON and `Value` paths, calls and replies.

use std::path::Path;

use anycall_codec::call::{
    Reply, decode_args_json, decode_args_value, decode_reply_json, decode_reply_value,
    decode_struct_json, decode_struct_value, encode_call_json, encode_call_value,
    encode_reply_json, encode_reply_value, encode_struct_json, encode_struct_value, read_envelope,
};
use anycall_codec::dynamic::json::{JsonView, to_json_string, write_json};
use anycall_codec::dynamic::value::{read_value, write_value};
use anycall_codec::thrift::{
    BinaryReader, BinaryWriter, CompactReader, CompactWriter, Protocol, TApplicationException,
    TApplicationExceptionType,
};
use anycall_codec::{ErrorKind, Limits, Options, Struct, Value};
use anycall_idl::{Loader, Pool, StructDescriptor};
use bytes::BytesMut;
use proptest::prelude::*;
use serde_json::json;

pub(crate) fn pool() -> Pool {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/codec/all_types.thrift");
    Loader::new()
        .load(path.to_string_lossy())
        .expect("all_types.thrift loads")
}

fn all(pool: &Pool) -> StructDescriptor<'_> {
    pool.find_struct("All").expect("All")
}

pub(crate) const PROTOCOLS: [Protocol; 2] = [Protocol::Binary, Protocol::Compact];

fn sample_json() -> serde_json::Value {
    json!({
        "b": true,
        "i8v": -8,
        "i16v": 1600,
        "i32v": -320000,
        "i64v": 9007199254740993_i64,
        "d": 12.331000000000001,
        "s": "héllo \"q\"",
        "bin": "AAH/",
        "u": "00112233-4455-6677-8899-aabbccddeeff",
        "color": 4,
        "ints": [1, -2, 3],
        "names": ["a", "b"],
        "items": {"k": {"id": 1, "item_name": "one"}, "j": {"id": 2}},
        "by_id": {"5": [1, 2], "-6": []},
        "by_point": [[{"x": 1, "y": 2}, "p"]],
        "flags": {"true": 0.5, "false": -1.0},
        "ratios": {"0.25": 1},
        "nested": [[{"a": [1, 2]}], []],
        "shape": {"radius": 2.5},
        "point": {"x": 3, "y": 4},
        "bools": [true, false, true],
        "blobs": {"aGk=": "00000000-0000-0000-0000-000000000001"}
    })
}

fn json_to_bytes(desc: StructDescriptor<'_>, json: &str, p: Protocol, opts: &Options) -> BytesMut {
    let mut buf = BytesMut::new();
    encode_struct_json(desc, json.as_bytes(), p, opts, &mut buf).expect("json encodes");
    buf
}

#[test]
fn json_round_trips_through_bytes_in_both_protocols() {
    let pool = pool();
    let desc = all(&pool);
    let input = sample_json();
    for p in PROTOCOLS {
        let bytes = json_to_bytes(desc, &input.to_string(), p, &Options::default());
        let (out, used) = decode_struct_json(
            desc,
            &bytes,
            p,
            &Options::default(),
            &Limits::default(),
            false,
        )
        .expect("bytes decode");
        assert_eq!(used, bytes.len(), "{p:?}: whole struct read");
        let out: serde_json::Value = serde_json::from_str(&out).expect("valid json");
        let mut expected = input.clone();
        // Maps with float keys come back with the canonical float text; the
        // rest is identical.
        expected["flags"] = json!({"true": 0.5, "false": -1.0});
        assert_eq!(out, expected, "{p:?}");
    }
}

#[test]
fn doubles_round_trip_exactly() {
    let pool = pool();
    let desc = all(&pool);
    for d in [
        12.331000000000001,
        0.1 + 0.2,
        f64::MIN_POSITIVE,
        1e300,
        -0.0,
    ] {
        let j = json!({"d": d}).to_string();
        let bytes = json_to_bytes(desc, &j, Protocol::Compact, &Options::default());
        let (out, _) = decode_struct_json(
            desc,
            &bytes,
            Protocol::Compact,
            &Options::default(),
            &Limits::default(),
            false,
        )
        .unwrap();
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["d"].as_f64().unwrap().to_bits(), d.to_bits(), "{d}");
    }
}

#[test]
fn error_paths_name_the_field() {
    let pool = pool();
    let echo = pool.service("Codec").unwrap().method("Echo").unwrap();
    let mut buf = BytesMut::new();
    let err = encode_call_json(
        echo,
        br#"{"items": {"k": {"id": "abc"}}}"#,
        1,
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Echo_args.req.items["k"].id: expected i64, found string "abc""#
    );
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);

    let err = encode_call_json(
        echo,
        br#"{"points": [{"x": 1}, {"y": 2}]}"#,
        1,
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Echo_args.req.points[1]: missing required field `x`"
    );
    assert_eq!(err.kind(), ErrorKind::MissingRequired);
}

#[test]
fn strict_by_default_lenient_on_request() {
    let pool = pool();
    let desc = pool.find_struct("Point").unwrap();
    let mut buf = BytesMut::new();
    let err = encode_struct_json(
        desc,
        br#"{"x": 1, "zz": 2}"#,
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownField);
    assert!(err.to_string().contains("zz"), "{err}");

    let err = encode_struct_json(
        desc,
        br#"{"x": 4294967296}"#,
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfRange);
    assert_eq!(
        err.to_string(),
        "Point.x: 4294967296 is out of range for i32"
    );

    let err = encode_struct_json(
        desc,
        br#"{"y": 1}"#,
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingRequired);

    // Kitex's looser rules: unknown keys skipped, missing required written as zero.
    let mut lenient = BytesMut::new();
    encode_struct_json(
        desc,
        br#"{"zz": 2, "y": 5}"#,
        Protocol::Binary,
        &Options::lenient(),
        &mut lenient,
    )
    .unwrap();
    let (out, _) = decode_struct_json(
        desc,
        &lenient,
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .unwrap();
    // Fields go out in id order.
    assert_eq!(out, r#"{"x":0,"y":5}"#);
}

#[test]
fn defaults_are_written_for_absent_default_fields() {
    let pool = pool();
    let desc = pool.find_struct("Point").unwrap();
    let bytes = json_to_bytes(desc, r#"{"x": 1}"#, Protocol::Binary, &Options::default());
    let (out, _) = decode_struct_json(
        desc,
        &bytes,
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(out, r#"{"x":1,"y":7}"#);
    let opts = Options {
        write_defaults: false,
        ..Options::default()
    };
    let bytes = json_to_bytes(desc, r#"{"x": 1}"#, Protocol::Binary, &opts);
    let (out, _) = decode_struct_json(
        desc,
        &bytes,
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(out, r#"{"x":1}"#);
    let read_defaults = Options {
        read_defaults: true,
        ..Options::default()
    };
    let (out, _) = decode_struct_json(
        desc,
        &bytes,
        Protocol::Binary,
        &read_defaults,
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(out, r#"{"x":1,"y":7}"#);
}

#[test]
fn json_options_change_rendering() {
    let pool = pool();
    let desc = all(&pool);
    let bytes = json_to_bytes(
        desc,
        r#"{"i64v": "123", "color": "GREEN", "bin": "hi"}"#,
        Protocol::Binary,
        &Options {
            binary: anycall_codec::BinaryFormat::Text,
            ..Options::default()
        },
    );
    let opts = Options {
        i64_as_string: true,
        enum_as_name: true,
        ..Options::default()
    };
    let (out, _) = decode_struct_json(
        desc,
        &bytes,
        Protocol::Binary,
        &opts,
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(out, r#"{"i64v":"123","bin":"aGk=","color":"GREEN"}"#);
}

#[test]
fn non_finite_doubles_follow_the_option() {
    let pool = pool();
    let desc = all(&pool);
    let bytes = json_to_bytes(
        desc,
        r#"{"d": "NaN"}"#,
        Protocol::Binary,
        &Options::default(),
    );
    let err = decode_struct_json(
        desc,
        &bytes,
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfRange);
    assert!(err.to_string().starts_with("All.d:"), "{err}");
    let null = Options {
        non_finite: anycall_codec::NonFinite::Null,
        ..Options::default()
    };
    let (out, _) = decode_struct_json(
        desc,
        &bytes,
        Protocol::Binary,
        &null,
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(out, r#"{"d":null}"#);
}

#[test]
fn add_call_bytes_are_exact() {
    let pool = pool();
    let add = pool.service("Codec").unwrap().method("Add").unwrap();
    let mut buf = BytesMut::new();
    encode_call_json(
        add,
        br#"{"a": 1, "b": 2}"#,
        1,
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .unwrap();
    let expected: Vec<u8> = [
        &[0x80, 0x01, 0x00, 0x01, 0, 0, 0, 3][..],
        b"Add",
        &[0, 0, 0, 1],
        &[0x08, 0, 1, 0, 0, 0, 1],
        &[0x0a, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2],
        &[0],
    ]
    .concat();
    assert_eq!(&buf[..], &expected[..]);
    let mut vbuf = BytesMut::new();
    let args = Value::structure([("a", Value::I32(1)), ("b", Value::I64(2))]);
    encode_call_value(
        add,
        &args,
        1,
        Protocol::Binary,
        &Options::default(),
        &mut vbuf,
    )
    .unwrap();
    assert_eq!(buf, vbuf);
    let env = read_envelope(&buf, Protocol::Binary, &Limits::default()).unwrap();
    assert_eq!(env.header.name, "Add");
    let back = decode_args_json(
        add,
        &buf[env.body..],
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(back, r#"{"a":1,"b":2}"#);
}

#[test]
fn replies_decode_to_success_void_exception_and_application() {
    let pool = pool();
    let svc = pool.service("Codec").unwrap();
    let echo = svc.method("Echo").unwrap();
    let ping = svc.method("Ping").unwrap();
    let lim = Limits::default();
    let opts = Options::default();
    for p in PROTOCOLS {
        let mut buf = BytesMut::new();
        encode_reply_json(
            echo,
            &Reply::Success(br#"{"msg":"hi"}"#),
            9,
            p,
            &opts,
            &mut buf,
        )
        .unwrap();
        assert_eq!(
            decode_reply_json(echo, &buf, p, &opts, &lim, false).unwrap(),
            Reply::Success(r#"{"msg":"hi","n":3}"#.to_owned())
        );
        buf.clear();
        encode_reply_json(
            echo,
            &Reply::Exception {
                name: "other".into(),
                value: br#"{"what":"no"}"#,
            },
            9,
            p,
            &opts,
            &mut buf,
        )
        .unwrap();
        assert_eq!(
            decode_reply_value(echo, &buf, p, &opts, &lim).unwrap(),
            Reply::Exception {
                name: "other".into(),
                value: Value::structure([("what", Value::String("no".into()))]),
            }
        );
        buf.clear();
        encode_reply_value(ping, &Reply::Void, 9, p, &opts, &mut buf).unwrap();
        assert_eq!(
            decode_reply_json(ping, &buf, p, &opts, &lim, false).unwrap(),
            Reply::Void
        );
        buf.clear();
        let ex =
            TApplicationException::new(TApplicationExceptionType::UNKNOWN_METHOD, "no such method");
        encode_reply_json::<&[u8]>(echo, &Reply::Application(ex.clone()), 9, p, &opts, &mut buf)
            .unwrap();
        assert_eq!(
            decode_reply_json(echo, &buf, p, &opts, &lim, false).unwrap(),
            Reply::Application(ex)
        );
    }
}

#[test]
fn kitex_five_byte_void_result_is_accepted() {
    let pool = pool();
    let ping = pool.service("Codec").unwrap().method("Ping").unwrap();
    let msg: Vec<u8> = [
        &[0x80, 0x01, 0x00, 0x02, 0, 0, 0, 4][..],
        b"Ping",
        &[0, 0, 0, 7],
        &[0x01, 0x00, 0x00, 0x00, 0x00],
    ]
    .concat();
    let lim = Limits::default();
    assert_eq!(
        decode_reply_json(
            ping,
            &msg,
            Protocol::Binary,
            &Options::default(),
            &lim,
            false
        )
        .unwrap(),
        Reply::Void
    );
    assert_eq!(
        decode_reply_value(ping, &msg, Protocol::Binary, &Options::default(), &lim).unwrap(),
        Reply::Void
    );
}

#[test]
fn compact_bool_results_and_args() {
    let pool = pool();
    let check = pool.service("Codec").unwrap().method("Check").unwrap();
    let opts = Options::default();
    let lim = Limits::default();
    let mut buf = BytesMut::new();
    encode_call_json(
        check,
        br#"{"flag": true}"#,
        3,
        Protocol::Compact,
        &opts,
        &mut buf,
    )
    .unwrap();
    let env = read_envelope(&buf, Protocol::Compact, &lim).unwrap();
    assert_eq!(
        decode_args_value(check, &buf[env.body..], Protocol::Compact, &opts, &lim).unwrap(),
        Value::structure([("flag", Value::Bool(true))])
    );
    buf.clear();
    encode_reply_json(
        check,
        &Reply::Success(b"false"),
        3,
        Protocol::Compact,
        &opts,
        &mut buf,
    )
    .unwrap();
    assert_eq!(
        decode_reply_json(check, &buf, Protocol::Compact, &opts, &lim, false).unwrap(),
        Reply::Success("false".to_owned())
    );
}

#[test]
fn value_struct_round_trip() {
    let pool = pool();
    let desc = pool.find_struct("Item").unwrap();
    let mut s = Struct::new();
    s.insert("id", Value::I32(5)); // widened to i64
    s.insert("item_name", Value::String("five".into()));
    for p in PROTOCOLS {
        let mut buf = BytesMut::new();
        encode_struct_value(desc, &s, p, &Options::default(), &mut buf).unwrap();
        let back = anycall_codec::call::decode_struct_value(
            desc,
            &buf,
            p,
            &Options::default(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(back.get("id"), Some(&Value::I64(5)));
        assert_eq!(back.get("item_name"), Some(&Value::String("five".into())));
    }
}

#[test]
fn deep_json_is_limited_not_overflowed() {
    let pool = Pool::from_source("deep.thrift", "struct D { 1: list<D> d }").unwrap();
    let desc = pool.find_struct("D").unwrap();
    let mut json = String::new();
    for _ in 0..100 {
        json.push_str(r#"{"d":["#);
    }
    for _ in 0..100 {
        json.push_str("]}");
    }
    let mut buf = BytesMut::new();
    let err = encode_struct_json(
        desc,
        json.as_bytes(),
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .unwrap_err();
    assert!(err.is_limit() || err.kind() == ErrorKind::Json, "{err:?}");
}

// ---- property tests: two paths, one truth ---------------------------------

pub(crate) fn arb_value(pool: &Pool, ty: anycall_idl::TypeId, depth: u32) -> BoxedStrategy<Value> {
    arb_value_of(pool, ty, depth, false)
}

/// Random values of a type; `wild` adds every double (NaN, infinities,
/// subnormals, -0) and strings full of characters JSON escapes.
pub(crate) fn arb_value_of(
    pool: &Pool,
    ty: anycall_idl::TypeId,
    depth: u32,
    wild: bool,
) -> BoxedStrategy<Value> {
    use anycall_idl::TypeKind as K;
    let arb_value = |pool: &Pool, ty, depth| arb_value_of(pool, ty, depth, wild);
    let t = pool.type_by_id(ty);
    let leaf = depth >= 3;
    match t.kind() {
        K::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        K::Byte => any::<i8>().prop_map(Value::I8).boxed(),
        K::I16 => any::<i16>().prop_map(Value::I16).boxed(),
        K::I32 => any::<i32>().prop_map(Value::I32).boxed(),
        K::I64 => any::<i64>().prop_map(Value::I64).boxed(),
        K::Double if wild => prop_oneof![prop::num::f64::NORMAL, any::<f64>()]
            .prop_map(Value::Double)
            .boxed(),
        K::Double => prop::num::f64::NORMAL.prop_map(Value::Double).boxed(),
        K::String if wild => prop_oneof![
            "\\PC{0,40}",
            prop::collection::vec(
                prop::sample::select(vec![
                    'a', ' ', '"', '\\', '/', '\n', '\t', '\u{0}', '\u{1f}', '\u{7f}', 'é',
                    '\u{2028}', '😀',
                ]),
                0..24,
            )
            .prop_map(|c| c.into_iter().collect::<String>()),
        ]
        .prop_map(|s: String| Value::String(s.into()))
        .boxed(),
        K::String => "\\PC{0,40}"
            .prop_map(|s: String| Value::String(s.into()))
            .boxed(),
        K::Binary => prop::collection::vec(any::<u8>(), 0..8)
            .prop_map(Value::Binary)
            .boxed(),
        K::Uuid => any::<[u8; 16]>().prop_map(Value::Uuid).boxed(),
        K::Enum(e) => {
            let vals: Vec<i32> = e.values().map(|(_, v)| v).collect();
            prop::sample::select(vals).prop_map(Value::I32).boxed()
        }
        K::List(e) | K::Set(e) => {
            let set = matches!(t.kind(), K::Set(_));
            let n = if leaf { 0..1 } else { 0..4 };
            prop::collection::vec(arb_value(pool, e.id(), depth + 1), n)
                .prop_map(move |v| if set { Value::Set(v) } else { Value::List(v) })
                .boxed()
        }
        K::Map(k, v) => {
            let n = if leaf { 0..1 } else { 0..3 };
            prop::collection::vec(
                (
                    arb_value(pool, k.id(), depth + 1),
                    arb_value(pool, v.id(), depth + 1),
                ),
                n,
            )
            .prop_map(Value::Map)
            .boxed()
        }
        K::Struct(s) => {
            let fields: Vec<(String, anycall_idl::TypeId, bool)> = s
                .fields()
                .map(|f| (f.json_name().to_owned(), f.ty().id(), f.is_required()))
                .collect();
            let strategies: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
                .into_iter()
                .map(|(name, ty, required)| {
                    let v = arb_value(pool, ty, depth + 1);
                    if required {
                        v.prop_map(move |v| Some((name.clone(), v))).boxed()
                    } else if leaf {
                        Just(None).boxed()
                    } else {
                        prop::option::of(v.prop_map(move |v| (name.clone(), v))).boxed()
                    }
                })
                .collect();
            strategies
                .prop_map(|fields| Value::Struct(fields.into_iter().flatten().collect()))
                .boxed()
        }
    }
}

/// The type id of `All`, reached through a one-field wrapper (type ids exist
/// for types used as fields).
pub(crate) fn all_type_id(pool: &Pool) -> anycall_idl::TypeId {
    pool.find_struct("Holder")
        .and_then(|h| h.field(0))
        .map(|f| f.ty().id())
        .expect("Holder.all")
}

pub(crate) fn holder_pool() -> Pool {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/codec");
    Loader::new()
        .file(
            path.join("holder.thrift").to_string_lossy(),
            "include \"all_types.thrift\"\nstruct Holder { 1: all_types.All all }",
        )
        .load(path.join("holder.thrift").to_string_lossy())
        .expect("holder loads")
}

/// The generated values may hold unions with several fields and repeated
/// set elements or map keys, which strict mode refuses; the paths must
/// agree on them all the same.
fn unchecked() -> Options {
    Options {
        strict: false,
        ..Options::default()
    }
}

fn write_value_bytes(p: Protocol, ty: anycall_idl::TypeDescriptor<'_>, v: &Value) -> BytesMut {
    let mut buf = BytesMut::new();
    match p {
        Protocol::Binary => write_value(&mut BinaryWriter::new(&mut buf), ty, v, &unchecked()),
        Protocol::Compact => write_value(&mut CompactWriter::new(&mut buf), ty, v, &unchecked()),
    }
    .expect("value writes");
    buf
}

fn write_json_bytes(p: Protocol, ty: anycall_idl::TypeDescriptor<'_>, json: &str) -> BytesMut {
    let mut buf = BytesMut::new();
    match p {
        Protocol::Binary => write_json(
            &mut BinaryWriter::new(&mut buf),
            ty,
            json.as_bytes(),
            &unchecked(),
        ),
        Protocol::Compact => write_json(
            &mut CompactWriter::new(&mut buf),
            ty,
            json.as_bytes(),
            &unchecked(),
        ),
    }
    .expect("json writes");
    buf
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// JSON → bytes equals JSON → Value → bytes, and bytes → JSON → bytes
    /// and bytes → Value round-trip, in both protocols.
    #[test]
    fn json_and_value_paths_agree(v in arb_value(&holder_pool(), all_type_id(&holder_pool()), 0)) {
        let pool = holder_pool();
        let ty = pool.type_by_id(all_type_id(&pool));
        let json = serde_json::to_string(&v).expect("value serializes");
        for p in PROTOCOLS {
            let from_value = write_value_bytes(p, ty, &v);
            let from_json = write_json_bytes(p, ty, &json);
            prop_assert_eq!(&from_value, &from_json, "{:?}: {}", p, json);

            let view = JsonView::new(&from_json, p, ty, Options::default());
            let back_json = to_json_string(&view).expect("bytes render");
            let again = write_json_bytes(p, ty, &back_json);
            prop_assert_eq!(&again, &from_json, "{:?}: {}", p, back_json);

            let back_value = match p {
                Protocol::Binary => read_value(&mut BinaryReader::new(&from_json), ty, &Options::default()),
                Protocol::Compact => read_value(&mut CompactReader::new(&from_json), ty, &Options::default()),
            }.expect("bytes read");
            let rewritten = write_value_bytes(p, ty, &back_value);
            prop_assert_eq!(&rewritten, &from_json);
        }
    }
}

/// `v` with the fields of every struct in it in reverse order.
fn reversed(v: &Value) -> Value {
    match v {
        Value::Struct(s) => {
            let mut fields: Vec<(&str, &Value)> = s.iter().collect();
            fields.reverse();
            let mut out = anycall_codec::Struct::with_capacity(fields.len());
            for (name, fv) in fields {
                out.push(name, reversed(fv));
            }
            Value::Struct(out)
        }
        Value::List(items) => Value::List(items.iter().map(reversed).collect()),
        Value::Set(items) => Value::Set(items.iter().map(reversed).collect()),
        Value::Map(pairs) => Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (reversed(k), reversed(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// The `Value` writer sorts fields given in any order into the bytes
    /// of the JSON path, and the reader takes them back in id order.
    #[test]
    fn value_path_agrees_whatever_the_field_order(v in arb_value(&holder_pool(), all_type_id(&holder_pool()), 0)) {
        let pool = holder_pool();
        let ty = pool.type_by_id(all_type_id(&pool));
        let json = serde_json::to_string(&v).expect("value serializes");
        let backwards = reversed(&v);
        for p in PROTOCOLS {
            let from_json = write_json_bytes(p, ty, &json);
            prop_assert_eq!(&write_value_bytes(p, ty, &backwards), &from_json, "{:?}: {}", p, json);
            let back = match p {
                Protocol::Binary => read_value(&mut BinaryReader::new(&from_json), ty, &Options::default()),
                Protocol::Compact => read_value(&mut CompactReader::new(&from_json), ty, &Options::default()),
            }.expect("bytes read");
            prop_assert_eq!(&write_value_bytes(p, ty, &reversed(&back)), &from_json);
        }
    }
}

#[test]
fn example_values_follow_defaults_and_zero_values() {
    let pool = pool();
    let resp = pool.find_struct("Resp").unwrap();
    let ty = pool
        .service("Codec")
        .unwrap()
        .method("Echo")
        .unwrap()
        .returns()
        .unwrap();
    assert_eq!(ty.as_struct().unwrap().id(), resp.id());
    let v = anycall_codec::dynamic::value::example_value(ty);
    assert_eq!(
        v,
        Value::structure([
            ("msg", Value::String(Default::default())),
            ("n", Value::I64(3))
        ])
    );
    // It is always writable under its own type.
    let mut buf = BytesMut::new();
    write_value(
        &mut BinaryWriter::new(&mut buf),
        ty,
        &v,
        &Options::default(),
    )
    .unwrap();
}

#[test]
fn value_json_conversions_follow_the_json_rules() {
    use anycall_codec::dynamic::value::{from_json, to_json};
    let hp = holder_pool();
    let all = hp.type_by_id(all_type_id(&hp));
    let json = r#"{"bin":"aGk=","color":"BLUE","by_id":{"5":[1]}}"#;
    let v = from_json(all, json.as_bytes(), &Options::default()).unwrap();
    let s = v.as_struct().unwrap();
    assert_eq!(s.get("bin"), Some(&Value::Binary(b"hi".to_vec())));
    assert_eq!(s.get("color"), Some(&Value::I32(4)));
    assert_eq!(
        s.get("by_id"),
        Some(&Value::Map(vec![(
            Value::I64(5),
            Value::List(vec![Value::I32(1)])
        )]))
    );
    assert_eq!(
        to_json(all, &v, &Options::default()).unwrap(),
        r#"{"bin":"aGk=","color":4,"by_id":{"5":[1]}}"#
    );
}

/// Structs of every width the field tracking handles differently (one
/// word, two words, a vector): all fields round-trip through JSON and
/// `Value`, a repeated last field and a missing last required field are
/// reported.
#[test]
fn wide_structs_round_trip_and_report_their_last_fields() {
    for n in [3usize, 64, 65, 128, 129, 200] {
        let fields: String = (1..=n)
            .map(|i| format!("{i}: required i32 f{i}, "))
            .collect();
        let pool = Pool::from_source("w.thrift", &format!("struct W {{ {fields} }}")).unwrap();
        let desc = pool.find_struct("W").unwrap();
        let opts = Options::default();
        let json: serde_json::Map<String, serde_json::Value> =
            (1..=n).map(|i| (format!("f{i}"), json!(i))).collect();
        let text = serde_json::to_vec(&json).unwrap();

        let mut bytes = BytesMut::new();
        encode_struct_json(desc, &text, Protocol::Binary, &opts, &mut bytes).unwrap();
        let (back, _) = decode_struct_json(
            desc,
            &bytes,
            Protocol::Binary,
            &opts,
            &Limits::default(),
            false,
        )
        .unwrap();
        let back: serde_json::Value = serde_json::from_str(&back).unwrap();
        assert_eq!(back, serde_json::Value::Object(json.clone()), "{n} fields");

        let value =
            decode_struct_value(desc, &bytes, Protocol::Binary, &opts, &Limits::default()).unwrap();
        assert_eq!(value.len(), n);
        let mut again = BytesMut::new();
        encode_struct_value(desc, &value, Protocol::Binary, &opts, &mut again).unwrap();
        assert_eq!(again, bytes, "{n} fields");

        let last = format!("f{n}");
        let mut twice = value.clone();
        twice.push(last.as_str(), Value::I32(1));
        let err = encode_struct_value(desc, &twice, Protocol::Binary, &opts, &mut BytesMut::new())
            .unwrap_err();
        assert!(err.to_string().contains("is given twice"), "{n}: {err}");

        let mut short = json.clone();
        short.remove(&last);
        let err = encode_struct_json(
            desc,
            &serde_json::to_vec(&short).unwrap(),
            Protocol::Binary,
            &opts,
            &mut BytesMut::new(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingRequired, "{n}: {err}");
        assert!(err.to_string().contains(&last), "{n}: {err}");
    }
}

/// IDL defaults of every type are written for absent fields, on the JSON
/// and `Value` paths alike, and read back with `read_defaults`.
#[test]
fn defaults_of_every_type_are_written() {
    let idl = r#"
        enum Color { RED = 1, BLUE = 4 }
        struct P { 1: required i32 x, 2: i32 y = 7 }
        struct D {
            1: bool b = true,
            2: byte i8v = -8,
            3: i16 i16v = 1600,
            4: i32 i32v = -320000,
            5: i64 i64v = 9007199254740993,
            6: double d = 2.5,
            7: string s = "str",
            8: binary bin = "hi",
            9: uuid u = "00112233-4455-6677-8899-aabbccddeeff",
            10: Color color = Color.BLUE,
            11: list<i32> ints = [1, -2],
            12: set<string> names = ["a"],
            13: map<string, i16> counts = {"k": 3},
            14: P point = {"x": 1},
            15: optional i32 none,
        }
    "#;
    let pool = Loader::in_memory()
        .file("defaults.thrift", idl)
        .load("defaults.thrift")
        .expect("defaults.thrift loads");
    let desc = pool.find_struct("D").unwrap();
    let expected = json!({
        "b": true, "i8v": -8, "i16v": 1600, "i32v": -320000, "i64v": 9007199254740993_i64,
        "d": 2.5, "s": "str", "bin": "aGk=", "u": "00112233-4455-6677-8899-aabbccddeeff",
        "color": 4, "ints": [1, -2], "names": ["a"], "counts": {"k": 3},
        // A struct constant is written as the IDL gives it.
        "point": {"x": 1}
    });
    for p in PROTOCOLS {
        let from_json = json_to_bytes(desc, "{}", p, &Options::default());
        let mut from_value = BytesMut::new();
        encode_struct_value(
            desc,
            &Struct::new(),
            p,
            &Options::default(),
            &mut from_value,
        )
        .expect("an empty Value encodes");
        assert_eq!(from_json, from_value, "{p:?}: the paths agree");
        let (out, _) = decode_struct_json(
            desc,
            &from_json,
            p,
            &Options::default(),
            &Limits::default(),
            false,
        )
        .unwrap();
        let out: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out, expected, "{p:?}");
        // Read back from nothing, the defaults appear the same.
        let empty = json_to_bytes(
            desc,
            "{}",
            p,
            &Options {
                write_defaults: false,
                ..Options::default()
            },
        );
        let read_defaults = Options {
            read_defaults: true,
            ..Options::default()
        };
        let (out, _) =
            decode_struct_json(desc, &empty, p, &read_defaults, &Limits::default(), false).unwrap();
        let out: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out, expected, "{p:?} read_defaults");
    }
}

/// In zero-value mode (Kitex's), absent required fields of every type are
/// written as their zero values, a struct as the zeros of its own required
/// fields; defaults still win where there is one.
#[test]
fn zero_values_of_every_type_stand_in_for_missing_required_fields() {
    let idl = r#"
        enum Color { RED = 1, BLUE = 4 }
        struct P { 1: required i32 x, 2: i32 y, 3: required string label }
        struct Z {
            1: required bool b,
            2: required byte i8v,
            3: required i16 i16v,
            4: required i32 i32v,
            5: required i64 i64v,
            6: required double d,
            7: required string s,
            8: required binary bin,
            9: required uuid u,
            10: required Color color,
            11: required list<i32> ints,
            12: required set<string> names,
            13: required map<string, i16> counts,
            14: required P point,
            15: required i32 seven = 7,
            16: optional i32 none,
        }
    "#;
    let pool = Loader::in_memory()
        .file("zeros.thrift", idl)
        .load("zeros.thrift")
        .expect("zeros.thrift loads");
    let desc = pool.find_struct("Z").unwrap();
    let expected = json!({
        "b": false, "i8v": 0, "i16v": 0, "i32v": 0, "i64v": 0, "d": 0.0, "s": "", "bin": "",
        "u": "00000000-0000-0000-0000-000000000000", "color": 0, "ints": [], "names": [],
        "counts": {}, "point": {"x": 0, "label": ""}, "seven": 7
    });
    let lenient = Options::lenient();
    for p in PROTOCOLS {
        let from_json = json_to_bytes(desc, "{}", p, &lenient);
        let mut from_value = BytesMut::new();
        encode_struct_value(desc, &Struct::new(), p, &lenient, &mut from_value)
            .expect("an empty Value encodes");
        assert_eq!(from_json, from_value, "{p:?}: the paths agree");
        let (out, _) = decode_struct_json(
            desc,
            &from_json,
            p,
            &Options::default(),
            &Limits::default(),
            false,
        )
        .unwrap();
        let out: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out, expected, "{p:?}");
    }
}

/// A `Value` map names the key of a bad entry in the error path, and a
/// map given as a `Value::Struct` takes its keys as text (binary keys as
/// the bytes of the name, not base64).
#[test]
fn value_maps_name_bad_entries_and_take_object_keys_as_text() {
    let pool = Loader::in_memory()
        .file(
            "maps.thrift",
            "struct M { 1: map<string, i32> by_name, 2: map<binary, i32> by_bytes, 3: map<i64, i32> by_n }",
        )
        .load("maps.thrift")
        .expect("maps.thrift loads");
    let desc = pool.find_struct("M").unwrap();
    let encode = |v: Struct| {
        let mut buf = BytesMut::new();
        encode_struct_value(desc, &v, Protocol::Binary, &Options::default(), &mut buf).map(|()| buf)
    };
    let entry = |k: Value, v: Value| Value::Map(vec![(k, v)]);
    let err = encode(Struct::from_iter([(
        "by_name",
        entry(Value::String("k".into()), Value::String("x".into())),
    )]))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"M.by_name["k"]: expected i32, found string"#
    );
    let err = encode(Struct::from_iter([(
        "by_n",
        entry(Value::I64(5), Value::Bool(true)),
    )]))
    .unwrap_err();
    assert_eq!(err.to_string(), "M.by_n[5]: expected i32, found bool");
    // Object keys of a binary map are the key's own bytes.
    let bytes = encode(Struct::from_iter([(
        "by_bytes",
        Value::Struct(Struct::from_iter([("h!", Value::I32(1))])),
    )]))
    .expect("an object of text keys encodes");
    let (out, _) = decode_struct_json(
        desc,
        &bytes,
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(out, r#"{"by_bytes":{"aCE=":1}}"#);
}

/// Fields a `Value` has and the IDL does not are errors by default and
/// skipped by the lenient options, as in JSON.
#[test]
fn unknown_value_fields_follow_the_option() {
    let pool = pool();
    let desc = pool.find_struct("Point").unwrap();
    let v = Struct::from_iter([("x", Value::I32(1)), ("zz", Value::I32(2))]);
    let mut buf = BytesMut::new();
    let err =
        encode_struct_value(desc, &v, Protocol::Binary, &Options::default(), &mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownField);
    assert!(err.to_string().contains("zz"), "{err}");
    let mut lenient = BytesMut::new();
    encode_struct_value(
        desc,
        &v,
        Protocol::Binary,
        &Options::lenient(),
        &mut lenient,
    )
    .unwrap();
    let (out, _) = decode_struct_json(
        desc,
        &lenient,
        Protocol::Binary,
        &Options::default(),
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(out, r#"{"x":1,"y":7}"#);
}

/// A map whose key or value type on the wire is not the IDL's is an error
/// for both readers; an empty map's types are not looked at.
#[test]
fn map_wire_types_must_match_the_idl() {
    let pool = Loader::in_memory()
        .file("m.thrift", "struct M { 1: map<string, i32> m }")
        .load("m.thrift")
        .expect("m.thrift loads");
    let desc = pool.find_struct("M").unwrap();
    let opts = Options::default();
    let lim = Limits::default();
    // Binary: field 1 map, key type i32 (8) or value type string (11), one
    // pair: 4-byte key or value and an 8-byte "aaaa" string.
    let wrong_key = [0x0d, 0, 1, 8, 8, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5, 0];
    let wrong_value = [
        0x0d, 0, 1, 11, 11, 0, 0, 0, 1, 0, 0, 0, 1, b'k', 0, 0, 0, 1, b'v', 0,
    ];
    for (bytes, message) in [
        (
            &wrong_key[..],
            "M.m: expected string (string) on the wire, found i32",
        ),
        (
            &wrong_value[..],
            "M.m: expected i32 (i32) on the wire, found string",
        ),
    ] {
        let err = decode_struct_value(desc, bytes, Protocol::Binary, &opts, &lim).unwrap_err();
        assert_eq!(err.to_string(), message);
        let err =
            decode_struct_json(desc, bytes, Protocol::Binary, &opts, &lim, false).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    // Empty, with any types.
    let empty = [0x0d, 0, 1, 2, 2, 0, 0, 0, 0, 0];
    let v = decode_struct_value(desc, &empty, Protocol::Binary, &opts, &lim).unwrap();
    assert_eq!(v.get("m"), Some(&Value::Map(Vec::new())));
}

/// The same for list and set elements.
#[test]
fn list_and_set_wire_types_must_match_the_idl() {
    let pool = Loader::in_memory()
        .file("l.thrift", "struct L { 1: list<i32> l, 2: set<i32> s }")
        .load("l.thrift")
        .expect("l.thrift loads");
    let desc = pool.find_struct("L").unwrap();
    let opts = Options::default();
    let lim = Limits::default();
    // Binary: field 1 list (15) or 2 set (14) of strings (11), one "v".
    for (bytes, message) in [
        (
            [0x0f, 0, 1, 11, 0, 0, 0, 1, 0, 0, 0, 1, b'v', 0],
            "L.l: expected i32 (i32) on the wire, found string",
        ),
        (
            [0x0e, 0, 2, 11, 0, 0, 0, 1, 0, 0, 0, 1, b'v', 0],
            "L.s: expected i32 (i32) on the wire, found string",
        ),
    ] {
        let err = decode_struct_value(desc, &bytes, Protocol::Binary, &opts, &lim).unwrap_err();
        assert_eq!(err.to_string(), message);
        let err =
            decode_struct_json(desc, &bytes, Protocol::Binary, &opts, &lim, false).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let empty = [0x0f, 0, 1, 11, 0, 0, 0, 0, 0];
    let v = decode_struct_value(desc, &empty, Protocol::Binary, &opts, &lim).unwrap();
    assert_eq!(v.get("l"), Some(&Value::List(Vec::new())));
}

/// A VOID field 0 (Kitex's void result) is skipped by both struct readers,
/// and so is any other known field of the wrong wire type, as generated
/// code skips it (issue 11: ThriftTest's versioning structs).
#[test]
fn void_field_zero_and_wrong_wire_types_are_skipped() {
    let pool = pool();
    let result = pool
        .service("Codec")
        .unwrap()
        .method("Add")
        .unwrap()
        .result();
    let point = pool.find_struct("Point").unwrap();
    let lim = Limits::default();
    let opts = Options::default();
    let read = |desc, bytes: &[u8]| {
        let json = decode_struct_json(desc, bytes, Protocol::Binary, &opts, &lim, false)
            .map(|(text, _)| text);
        let value = decode_struct_value(desc, bytes, Protocol::Binary, &opts, &lim);
        match (json, value) {
            (Ok(text), Ok(v)) => Ok((text, v)),
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string());
                Err(a.to_string())
            }
            (a, b) => panic!("the readers disagree: {a:?} / {b:?}"),
        }
    };
    // VOID field 0 (skipped like an empty struct), then STOP.
    let (text, v) = read(result, &[0x01, 0x00, 0x00, 0x00, 0x00]).unwrap();
    assert_eq!(text, "{}");
    assert!(v.is_empty());
    // Field 0 as an i32, not the i64 the IDL says: skipped, nothing left.
    let (text, v) = read(result, &[0x08, 0x00, 0x00, 0, 0, 0, 5, 0x00]).unwrap();
    assert_eq!(text, "{}");
    assert!(v.is_empty());
    // Point.y as a string after x: only x is read.
    let bytes = [
        0x08, 0x00, 0x01, 0, 0, 0, 5, 0x0b, 0x00, 0x02, 0, 0, 0, 1, b'y', 0x00,
    ];
    let (text, v) = read(point, &bytes).unwrap();
    assert_eq!(text, r#"{"x":5}"#);
    assert_eq!(v.len(), 1);
    // The required x as a string: skipped, so it is missing, as generated
    // code reports it.
    let bytes = [0x0b, 0x00, 0x01, 0, 0, 0, 1, b'x', 0x00];
    assert_eq!(
        read(point, &bytes).unwrap_err(),
        "Point: missing required field `x`"
    );
}

/// Example values leave out optional fields without a default, and end a
/// required self-reference at the depth limit.
#[test]
fn example_values_skip_optional_fields_and_end_required_cycles() {
    let loops = Loader::in_memory()
        .file(
            "loop.thrift",
            "struct Loop { 1: required Loop next, 2: optional i32 n }\n\
             struct H { 1: Item item, 2: Loop l }\n\
             struct Item { 1: i64 id, 2: optional string name }",
        )
        .load("loop.thrift")
        .expect("loop.thrift loads");
    let h = loops.find_struct("H").unwrap();
    let item_ty = h.field_by_id(1).unwrap().ty();
    assert_eq!(
        anycall_codec::dynamic::value::example_value(item_ty),
        Value::structure([("id", Value::I64(0))])
    );
    let mut v = anycall_codec::dynamic::value::example_value(h.field_by_id(2).unwrap().ty());
    let mut depth = 0;
    while let Value::Struct(s) = v {
        assert!(s.get("n").is_none(), "optional n without a default");
        depth += 1;
        match s.get("next") {
            Some(next) => v = next.clone(),
            None => break,
        }
    }
    assert_eq!(depth, anycall_codec::DEFAULT_MAX_DEPTH + 1);
}

/// Fields given out of id order are written in id order, whichever way
/// the writer puts them back: by moving the later fields' bytes (Binary,
/// when the fields before them are sorted and lower), or by reading the
/// struct back (Compact, or a field that belongs before the sorted start).
/// The JSON scanner the same, for keys given in those orders.
#[test]
fn fields_out_of_order_are_written_in_id_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pool = Loader::new()
        .load(root.join("testdata/interop/echo.thrift").to_string_lossy())
        .expect("echo.thrift loads");
    let req = pool.find_struct("EchoRequest").expect("EchoRequest");
    let json = std::fs::read(root.join("bench/echo-1k.json")).expect("the bench request");
    let opts = Options::default();
    for p in PROTOCOLS {
        let sorted = json_to_bytes(req, std::str::from_utf8(&json).unwrap(), p, &opts);
        let value = decode_struct_value(req, &sorted, p, &opts, &Limits::default()).unwrap();
        let names: Vec<String> = value.iter().map(|(n, _)| n.to_owned()).collect();
        // Orders: the last two swapped (after a sorted start), the last
        // first, and the whole struct reversed.
        let n = names.len();
        let mut swapped: Vec<usize> = (0..n).collect();
        swapped.swap(n - 2, n - 1);
        let mut last_first: Vec<usize> = vec![n - 1];
        last_first.extend(0..n - 1);
        let reversed: Vec<usize> = (0..n).rev().collect();
        // Keys sorted by name, as many JSON encoders write them.
        let mut by_name: Vec<usize> = (0..n).collect();
        by_name.sort_by_key(|&i| &names[i]);
        assert_ne!(by_name, (0..n).collect::<Vec<_>>(), "names not in id order");
        for order in [swapped, last_first, reversed, by_name] {
            let mut given = Struct::new();
            for &i in &order {
                let (name, v) = value.iter().nth(i).unwrap();
                given.push(name, v.clone());
            }
            let mut out = BytesMut::new();
            encode_struct_value(req, &given, p, &opts, &mut out).unwrap();
            assert_eq!(out, sorted, "{p:?}, fields in the order {order:?}");
            // The JSON scanner, with the keys in the same order.
            let text = serde_json::to_string(&Value::Struct(given)).unwrap();
            let out = json_to_bytes(req, &text, p, &opts);
            assert_eq!(out, sorted, "{p:?}, JSON keys in the order {order:?}");
        }
    }
}

/// A field is found by its whole name, whatever its length: names of 1 to
/// 20 bytes that differ in one byte only (the first, a middle one, the
/// last) are told apart when the value gives the second field only.
#[test]
fn field_names_that_differ_in_one_byte_are_told_apart() {
    for n in 1..=20usize {
        for at in [0, n / 2, n - 1] {
            let first = "a".repeat(n);
            let mut second = first.clone().into_bytes();
            second[at] = b'b';
            let second = String::from_utf8(second).unwrap();
            // Either name first in the struct: the predicted field's name
            // and the given one each take the differing byte in turn.
            for (first, second) in [(first.clone(), second.clone()), (second, first)] {
                let idl =
                    format!("struct S {{ 1: optional i32 {first}, 2: optional i32 {second} }}");
                let pool = Pool::from_source("names.thrift", &idl).expect("names.thrift loads");
                let desc = pool.find_struct("S").unwrap();
                let mut given = Struct::new();
                given.push(&second, Value::I32(7));
                for p in PROTOCOLS {
                    let mut out = BytesMut::new();
                    encode_struct_value(desc, &given, p, &Options::default(), &mut out).unwrap();
                    let back =
                        decode_struct_value(desc, &out, p, &Options::default(), &Limits::default())
                            .unwrap();
                    let names: Vec<&str> = back.iter().map(|(name, _)| name).collect();
                    assert_eq!(
                        names,
                        [second.as_str()],
                        "{p:?}, {n} bytes, differing at {at}"
                    );
                    // The JSON scanner, and the JSON writer's keys.
                    let json = format!("{{\"{second}\":7}}");
                    assert_eq!(json_to_bytes(desc, &json, p, &Options::default()), out);
                    let (text, _) = decode_struct_json(
                        desc,
                        &out,
                        p,
                        &Options::default(),
                        &Limits::default(),
                        false,
                    )
                    .unwrap();
                    assert_eq!(text, json, "{p:?}");
                }
            }
        }
    }
}

/// A field with a `go.tag` name is also found by its IDL name, in JSON and
/// in `Value` structs alike, whether predicted or looked up.
#[test]
fn a_tagged_field_is_found_by_either_name() {
    let pool = holder_pool();
    let item = pool.find_struct("Item").expect("Item");
    let opts = Options::default();
    for p in PROTOCOLS {
        let tagged = json_to_bytes(item, r#"{"id": 1, "item_name": "x"}"#, p, &opts);
        for json in [
            r#"{"id": 1, "name": "x"}"#,
            r#"{"name": "x", "id": 1}"#,
            r#"{"item_name": "x", "id": 1}"#,
        ] {
            assert_eq!(json_to_bytes(item, json, p, &opts), tagged, "{p:?} {json}");
            let mut given = Struct::new();
            for (k, v) in
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json).unwrap()
            {
                let v = match v {
                    serde_json::Value::String(s) => Value::String(s.into()),
                    n => Value::I64(n.as_i64().unwrap()),
                };
                given.push(&k, v);
            }
            let mut out = BytesMut::new();
            encode_struct_value(item, &given, p, &opts, &mut out).unwrap();
            assert_eq!(out, tagged, "{p:?} Value {json}");
        }
    }
}

/// The `Value` encoder's short way out (fields given in declaration order,
/// nothing absent to write) holds only where it may: fields declared out of
/// id order are still written in id order, and a struct whose fields are
/// all required still refuses one left out.
#[test]
fn declaration_order_is_not_taken_for_id_order_or_completeness() {
    let pool = Pool::from_source(
        "decl.thrift",
        "struct Down { 2: i32 a, 1: i32 b }\nstruct Both { 1: required i32 x, 2: required i32 y }",
    )
    .expect("decl.thrift loads");
    let down = pool.find_struct("Down").unwrap();
    let both = pool.find_struct("Both").unwrap();
    let opts = Options::default();
    for p in PROTOCOLS {
        let mut given = Struct::new();
        given.push("a", Value::I32(1));
        given.push("b", Value::I32(2));
        let mut out = BytesMut::new();
        encode_struct_value(down, &given, p, &opts, &mut out).unwrap();
        assert_eq!(
            out,
            json_to_bytes(down, r#"{"b": 2, "a": 1}"#, p, &opts),
            "{p:?}"
        );
        let ids: Vec<i16> = {
            let back = decode_struct_value(down, &out, p, &opts, &Limits::default()).unwrap();
            back.iter()
                .map(|(name, _)| down.field_by_name(name).unwrap().id())
                .collect()
        };
        assert_eq!(ids, [1, 2], "{p:?}");

        let mut partial = Struct::new();
        partial.push("x", Value::I32(1));
        let err = encode_struct_value(both, &partial, p, &opts, &mut BytesMut::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingRequired, "{p:?}: {err}");
        assert_eq!(err.to_string(), "Both: missing required field `y`");
    }
}
