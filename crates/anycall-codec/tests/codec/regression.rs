//! Regressions found by the fuzz targets and the cross-checks (issue 3).

use anycall_codec::call::{decode_struct_json, decode_struct_value};
use anycall_codec::thrift::Protocol;
use anycall_codec::{ErrorKind, Limits, Options, Value};

use crate::dynamic::pool;

/// A field id twice on the wire: the JSON view used to print the key twice,
/// which the JSON encoder then refused. It is now an error naming the
/// field; the `Value` path keeps the last value, as generated code does.
#[test]
fn issue3_duplicate_field_id_is_not_rendered_twice() {
    let pool = pool();
    let desc = pool.find_struct("Point").unwrap();
    // Binary: 1: i32 = 1, 1: i32 = 2, STOP.
    let bytes = [8, 0, 1, 0, 0, 0, 1, 8, 0, 1, 0, 0, 0, 2, 0];
    let opts = Options::default();
    let lim = Limits::default();
    let err = decode_struct_json(desc, &bytes, Protocol::Binary, &opts, &lim, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(err.to_string(), "Point.x: field `x` is given twice");

    let v = decode_struct_value(desc, &bytes, Protocol::Binary, &opts, &lim).unwrap();
    assert_eq!(v.get("x"), Some(&Value::I32(2)));
    assert_eq!(v.len(), 1);
}

/// A binary map key that is not UTF-8, rendered with `BinaryFormat::Text`:
/// it used to be replaced lossily (U+FFFD), so the JSON encoded back to
/// other bytes. It is now the same error as for a binary value.
#[test]
fn issue3_binary_key_as_text_is_not_lossy() {
    let pool = pool();
    let desc = pool.find_struct("All").unwrap();
    // Binary: 22: map<binary, uuid> {[0xff]: 0...0}, STOP.
    let mut bytes = vec![0x0d, 0, 22, 0x0b, 0x10, 0, 0, 0, 1, 0, 0, 0, 1, 0xff];
    bytes.extend_from_slice(&[0; 16]);
    bytes.push(0);
    let text = Options {
        binary: anycall_codec::BinaryFormat::Text,
        ..Options::default()
    };
    let lim = Limits::default();
    let err = decode_struct_json(desc, &bytes, Protocol::Binary, &text, &lim, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert!(err.to_string().starts_with("All.blobs"), "{err}");

    let (json, _) = decode_struct_json(
        desc,
        &bytes,
        Protocol::Binary,
        &Options::default(),
        &lim,
        false,
    )
    .unwrap();
    assert_eq!(
        json,
        r#"{"blobs":{"/w==":"00000000-0000-0000-0000-000000000000"}}"#
    );
}

fn deep_pool() -> anycall_idl::Pool {
    anycall_idl::Pool::from_source(
        "deep.thrift",
        "struct D { 1: optional D next, 2: optional list<D> kids, 3: optional map<string, D> by_name, 4: optional map<D, i32> by_key, 5: optional list<list<D>> rows }",
    )
    .unwrap()
}

/// `{"next": {"next": ... {}}}` with `structs` objects.
fn next_chain(structs: usize) -> String {
    let mut json = String::new();
    for _ in 1..structs {
        json.push_str(r#"{"next":"#);
    }
    json.push_str("{}");
    json.push_str(&"}".repeat(structs - 1));
    json
}

/// Structs nested through `by_name` maps: struct, map, struct, ... ending
/// with an empty map or struct, `levels` nesting levels in all.
fn map_chain(levels: usize) -> String {
    let mut json = String::new();
    for level in 1..levels {
        json.push_str(if level % 2 == 1 {
            r#"{"by_name":"#
        } else {
            r#"{"k":"#
        });
    }
    json.push_str("{}");
    json.push_str(&"}".repeat(levels - 1));
    json
}

/// Structs nested through `rows`, lists of lists: struct, list, list,
/// struct, ..., `levels` nesting levels in all (the last an empty struct or
/// list).
fn rows_chain(levels: usize) -> String {
    let mut json = String::new();
    let mut close = String::new();
    for level in 1..levels {
        if level % 3 == 1 {
            json.push_str(r#"{"rows":"#);
            close.insert(0, '}');
        } else {
            json.push('[');
            close.insert(0, ']');
        }
    }
    json.push_str(if levels % 3 == 1 { "{}" } else { "[]" });
    json + &close
}

/// Structs nested through `kids` lists: struct, list, struct, ... ending
/// with an empty list, `levels` nesting levels in all.
fn kids_chain(levels: usize) -> String {
    let mut json = String::new();
    let mut close = String::new();
    for level in 1..levels {
        if level % 2 == 1 {
            json.push_str(r#"{"kids":"#);
            close.insert(0, '}');
        } else {
            json.push('[');
            close.insert(0, ']');
        }
    }
    // The last level: an empty list inside a struct, or an empty struct
    // inside a list.
    json.push_str(if levels.is_multiple_of(2) { "[]" } else { "{}" });
    json + &close
}

/// Every path must agree with the readers on how deep is too deep. The
/// `Value` writer reached through `write_value` and the JSON encoder both
/// counted a nested struct one level deeper than the readers do, so a
/// struct at the deepest allowed level decoded but did not encode again.
#[test]
fn issue3_depth_limit_is_the_same_on_every_path() {
    use anycall_codec::call::{encode_struct_json, encode_struct_value};
    use anycall_codec::dynamic::value::{read_value, write_value};
    use anycall_codec::thrift::{BinaryReader, BinaryWriter};
    use bytes::BytesMut;

    let pool = deep_pool();
    let desc = pool.find_struct("D").unwrap();
    let ty = desc.field_by_id(1).unwrap().ty();
    let opts = Options::default();
    let lim = Limits::default();
    let max = anycall_codec::DEFAULT_MAX_DEPTH;

    for (json, ok) in [
        (next_chain(max), true),
        (kids_chain(max), true),
        (map_chain(max), true),
        (rows_chain(max), true),
        (next_chain(max + 1), false),
        (kids_chain(max + 1), false),
        (map_chain(max + 1), false),
        (rows_chain(max + 1), false),
    ] {
        let mut bytes = BytesMut::new();
        let encoded =
            encode_struct_json(desc, json.as_bytes(), Protocol::Binary, &opts, &mut bytes);
        assert_eq!(encoded.is_ok(), ok, "{json}: {encoded:?}");
        if !ok {
            let err = encoded.unwrap_err();
            assert!(err.is_limit());
            assert!(
                err.to_string().ends_with(&format!(
                    "nesting depth {} exceeds the limit of {max}",
                    max + 1
                )),
                "{json}: {err}"
            );
            continue;
        }
        // Value: decode, then encode as a bare struct and as a value.
        let v = decode_struct_value(desc, &bytes, Protocol::Binary, &opts, &lim).unwrap();
        let mut again = BytesMut::new();
        encode_struct_value(desc, &v, Protocol::Binary, &opts, &mut again).unwrap();
        assert_eq!(again, bytes);
        let value = read_value(&mut BinaryReader::new(&bytes), ty, &opts).unwrap();
        let mut again = BytesMut::new();
        write_value(&mut BinaryWriter::new(&mut again), ty, &value, &opts).unwrap();
        assert_eq!(again, bytes);
        // JSON: render and encode again.
        let (text, _) =
            decode_struct_json(desc, &bytes, Protocol::Binary, &opts, &lim, false).unwrap();
        let mut again = BytesMut::new();
        encode_struct_json(desc, text.as_bytes(), Protocol::Binary, &opts, &mut again).unwrap();
        assert_eq!(again, bytes);
    }

    // One level too deep on the wire (65 structs through field 1) and as a
    // value: both refused.
    let mut deep = [0x0c, 0, 1].repeat(max);
    deep.extend(std::iter::repeat_n(0, max + 1));
    let err = decode_struct_value(desc, &deep, Protocol::Binary, &opts, &lim).unwrap_err();
    assert!(err.is_limit(), "{err}");
    let mut v = anycall_codec::Struct::new();
    for _ in 0..max {
        let mut outer = anycall_codec::Struct::new();
        outer.insert("next", anycall_codec::Value::Struct(v));
        v = outer;
    }
    let mut out = BytesMut::new();
    let err = encode_struct_value(desc, &v, Protocol::Binary, &opts, &mut out).unwrap_err();
    assert!(err.is_limit(), "{err}");
    // The same through maps: 40 structs each holding a map are 80 levels
    // (as 40 structs alone would not be), whether the map is a `Value::Map`
    // with string or struct keys, or a `Value::Struct` of its entries.
    let pairs = max / 2 + 8;
    let through = |wrap: &dyn Fn(anycall_codec::Struct) -> (&'static str, Value)| {
        let mut v = anycall_codec::Struct::new();
        for _ in 0..pairs {
            let (field, map) = wrap(v);
            let mut outer = anycall_codec::Struct::new();
            outer.insert(field, map);
            v = outer;
        }
        v
    };
    let by_name = |v| {
        let entry = (Value::String("k".into()), Value::Struct(v));
        ("by_name", Value::Map(vec![entry]))
    };
    let by_key = |v| {
        (
            "by_key",
            Value::Map(vec![(Value::Struct(v), Value::I32(1))]),
        )
    };
    let as_object = |v| {
        let mut entries = anycall_codec::Struct::new();
        entries.insert("k", Value::Struct(v));
        ("by_name", Value::Struct(entries))
    };
    let kids = |v| ("kids", Value::List(vec![Value::Struct(v)]));
    for (how, v) in [
        ("string keys", through(&by_name)),
        ("struct keys", through(&by_key)),
        ("an object", through(&as_object)),
        ("a list", through(&kids)),
    ] {
        let err = encode_struct_value(desc, &v, Protocol::Binary, &opts, &mut out).unwrap_err();
        assert!(err.is_limit(), "{how}: {err}");
        assert!(
            err.to_string().ends_with(&format!(
                "nesting depth {} exceeds the limit of {max}",
                max + 1
            )),
            "{how}: {err}"
        );
    }
}
