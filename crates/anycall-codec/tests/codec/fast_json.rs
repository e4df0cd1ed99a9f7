//! The direct JSON scanner and writer against the serde-driven reference:
//! the same bytes, the same JSON and the same errors, on random values of
//! every type, random options, both protocols, and damaged inputs.

use anycall_codec::call::encode_struct_json;
use anycall_codec::dynamic::json::{JsonView, reference, to_json_writer, write_json};
use anycall_codec::dynamic::value::write_value;
use anycall_codec::thrift::{Protocol, ProtocolWriter};
use anycall_codec::{BinaryFormat, Error, ErrorKind, MissingRequired, NonFinite, Options};
use anycall_codec::{UnknownFields, Value};
use anycall_idl::TypeDescriptor;
use bytes::BytesMut;
use proptest::prelude::*;

use crate::dynamic::{PROTOCOLS, all_type_id, arb_value_of, holder_pool};

fn arb_options() -> impl Strategy<Value = Options> {
    (
        any::<[bool; 8]>(),
        prop::sample::select(vec![NonFinite::Error, NonFinite::Null, NonFinite::String]),
        prop::sample::select(vec![2usize, 3, 64]),
    )
        .prop_map(|(b, non_finite, max_depth)| Options {
            unknown_fields: if b[0] {
                UnknownFields::Ignore
            } else {
                UnknownFields::Error
            },
            missing_required: if b[1] {
                MissingRequired::ZeroValue
            } else {
                MissingRequired::Error
            },
            write_defaults: b[2],
            read_defaults: b[3],
            i64_as_string: b[4],
            enum_as_name: b[5],
            binary: if b[6] {
                BinaryFormat::Text
            } else {
                BinaryFormat::Base64
            },
            strict: b[7],
            non_finite,
            max_depth,
            ..Options::default()
        })
}

/// An outcome to compare: the bytes or text made, or the error's kind and
/// message.
type Outcome = Result<Vec<u8>, (ErrorKind, String)>;

fn outcome<T: AsRef<[u8]>>(r: Result<T, Error>) -> Outcome {
    r.map(|b| b.as_ref().to_vec())
        .map_err(|e| (e.kind(), e.to_string()))
}

fn j2t(new: bool, p: Protocol, ty: TypeDescriptor<'_>, json: &[u8], opts: &Options) -> Outcome {
    let mut buf = BytesMut::new();
    if let anycall_idl::TypeKind::Struct(desc) = ty.kind() {
        // What callers run: the call module's entry, with its writers.
        if new {
            return outcome(encode_struct_json(desc, json, p, opts, &mut buf).map(|()| buf));
        }
        let mut w = ProtocolWriter::new(p, &mut buf);
        let r = reference::write_json_struct(&mut w, desc, json, opts);
        return outcome(r.map(|()| buf));
    }
    let mut w = ProtocolWriter::new(p, &mut buf);
    let r = if new {
        write_json(&mut w, ty, json, opts)
    } else {
        reference::write_json(&mut w, ty, json, opts)
    };
    outcome(r.map(|()| buf))
}

fn t2j(new: bool, p: Protocol, ty: TypeDescriptor<'_>, bytes: &[u8], opts: &Options) -> Outcome {
    let view = JsonView::new(bytes, p, ty, *opts);
    let mut out = Vec::new();
    let r = if new {
        to_json_writer(&view, &mut out, false)
    } else {
        reference::to_json_writer(&view, &mut out, false)
    };
    outcome(r.map(|()| out))
}

/// Syntax errors may be worded differently (they name a line and column
/// either way); every other error must be the same.
fn same_outcome(new: &Outcome, old: &Outcome) -> bool {
    match (new, old) {
        (Ok(a), Ok(b)) => a == b,
        (Err((ErrorKind::Json, _)), Err((ErrorKind::Json, _))) => true,
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

/// For damaged input: the same success, or errors of the same kind and
/// path (a message may quote a damaged number differently).
fn same_verdict(new: &Outcome, old: &Outcome) -> bool {
    let path = |m: &str| m.split(": ").next().unwrap_or("").to_owned();
    match (new, old) {
        (Ok(a), Ok(b)) => a == b,
        (Err((ErrorKind::Json, _)), Err((ErrorKind::Json, _))) => true,
        (Err((ka, ma)), Err((kb, mb))) => ka == kb && path(ma) == path(mb),
        _ => false,
    }
}

fn value_bytes(p: Protocol, ty: TypeDescriptor<'_>, v: &Value) -> BytesMut {
    let mut buf = BytesMut::new();
    let lenient = Options {
        strict: false,
        ..Options::default()
    };
    write_value(&mut ProtocolWriter::new(p, &mut buf), ty, v, &lenient).expect("value writes");
    buf
}

/// Damages `text` at a character boundary: replaces, inserts or deletes.
fn damage(text: &str, at: usize, what: u8, how: u8) -> String {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let c: &[u8] = b"[]{}\",:\\ 0123456789-+.eEtrufalsn\n";
    let c = c[usize::from(what) % c.len()] as char;
    let mut s = text.to_owned();
    match how % 3 {
        0 if at < text.len() => {
            s.remove(at);
            s.insert(at, c);
        }
        1 if at < text.len() => {
            s.remove(at);
        }
        _ => s.insert(at, c),
    }
    s
}

/// `v` encoded, then rendered by the direct writer and by the reference
/// (the same JSON or the same error); that JSON, and `text` if given, read
/// back by the scanner and by the reference (the same bytes or errors).
fn both_ways(
    ty: TypeDescriptor<'_>,
    v: &Value,
    opts: &Options,
    text: Option<&[u8]>,
) -> Result<(), TestCaseError> {
    for p in PROTOCOLS {
        let bytes = value_bytes(p, ty, v);
        let new = t2j(true, p, ty, &bytes, opts);
        let old = t2j(false, p, ty, &bytes, opts);
        prop_assert_eq!(&new, &old, "{:?} {:?}", p, opts);
        for json in new.as_deref().ok().into_iter().chain(text) {
            let new = j2t(true, p, ty, json, opts);
            let old = j2t(false, p, ty, json, opts);
            prop_assert!(
                same_outcome(&new, &old),
                "{:?} {:?}\n{}\nnew {:?}\nold {:?}",
                p,
                opts,
                String::from_utf8_lossy(json),
                new,
                old
            );
        }
    }
    Ok(())
}

/// Lists, sets and maps of structs, over the shapes of `all_types.thrift`.
fn lists_pool() -> anycall_idl::Pool {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/codec");
    anycall_idl::Loader::new()
        .file(
            path.join("lists.thrift").to_string_lossy(),
            "include \"all_types.thrift\"\n\
             struct Lists {\n\
               1: list<all_types.Point> points,\n\
               2: list<all_types.Item> items,\n\
               3: set<all_types.Point> unique,\n\
               4: list<list<all_types.Item>> nested,\n\
               5: optional list<all_types.Shape> shapes,\n\
               6: all_types.Req req,\n\
             }\n\
             struct Wrap { 1: Lists lists }",
        )
        .load(path.join("lists.thrift").to_string_lossy())
        .expect("lists loads")
}

fn lists_type_id(pool: &anycall_idl::Pool) -> anycall_idl::TypeId {
    pool.find_struct("Wrap")
        .and_then(|w| w.field(0))
        .map(|f| f.ty().id())
        .expect("Wrap.lists")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Thrift → JSON: the direct writer gives the reference's bytes or its
    /// error; and that JSON, read back by both scanners, gives the same
    /// bytes or the same error.
    #[test]
    fn direct_paths_equal_the_reference(
        v in arb_value_of(&holder_pool(), all_type_id(&holder_pool()), 0, true),
        opts in arb_options(),
    ) {
        let pool = holder_pool();
        both_ways(pool.type_by_id(all_type_id(&pool)), &v, &opts, None)?;
    }

    /// Lists and sets of structs (which take their own paths, with the
    /// struct's plan found once): both directions against the reference.
    #[test]
    fn lists_of_structs_equal_the_reference(
        v in arb_value_of(&lists_pool(), lists_type_id(&lists_pool()), 0, true),
        opts in arb_options(),
    ) {
        let pool = lists_pool();
        let text = serde_json::to_string(&v).expect("value serializes");
        both_ways(pool.type_by_id(lists_type_id(&pool)), &v, &opts, Some(text.as_bytes()))?;
    }

    /// JSON → Thrift on the text serde_json writes for a value, compact and
    /// pretty.
    #[test]
    fn scanner_equals_the_reference_on_serde_text(
        v in arb_value_of(&holder_pool(), all_type_id(&holder_pool()), 0, false),
        opts in arb_options(),
        pretty in any::<bool>(),
    ) {
        let pool = holder_pool();
        let ty = pool.type_by_id(all_type_id(&pool));
        let json = if pretty {
            serde_json::to_string_pretty(&v)
        } else {
            serde_json::to_string(&v)
        }
        .expect("value serializes");
        for p in PROTOCOLS {
            let new = j2t(true, p, ty, json.as_bytes(), &opts);
            let old = j2t(false, p, ty, json.as_bytes(), &opts);
            prop_assert!(
                same_outcome(&new, &old),
                "{:?} {:?}\n{}\nnew {:?}\nold {:?}", p, opts, json, new, old
            );
        }
    }

    /// Damaged JSON: both accept it with the same bytes, or both refuse it
    /// for the same kind of reason at the same place.
    #[test]
    fn scanner_agrees_with_the_reference_on_damaged_text(
        v in arb_value_of(&holder_pool(), all_type_id(&holder_pool()), 0, false),
        opts in arb_options(),
        cuts in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
    ) {
        let pool = holder_pool();
        let ty = pool.type_by_id(all_type_id(&pool));
        let mut json = serde_json::to_string(&v).expect("value serializes");
        for (at, what, how) in cuts {
            json = damage(&json, at, what, how);
        }
        for p in PROTOCOLS {
            let new = j2t(true, p, ty, json.as_bytes(), &opts);
            let old = j2t(false, p, ty, json.as_bytes(), &opts);
            prop_assert!(
                same_verdict(&new, &old),
                "{:?} {:?}\n{}\nnew {:?}\nold {:?}", p, opts, json, new, old
            );
        }
    }

    /// Damaged Thrift bytes: the direct writer gives exactly the reference's
    /// JSON or error.
    #[test]
    fn writer_agrees_with_the_reference_on_damaged_bytes(
        v in arb_value_of(&holder_pool(), all_type_id(&holder_pool()), 0, true),
        opts in arb_options(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cut in any::<usize>(),
    ) {
        let pool = holder_pool();
        let ty = pool.type_by_id(all_type_id(&pool));
        for p in PROTOCOLS {
            let mut bytes = value_bytes(p, ty, &v).to_vec();
            for &(at, b) in &flips {
                let n = bytes.len();
                bytes[at % n] = b;
            }
            bytes.truncate(bytes.len() - cut % 3);
            let new = t2j(true, p, ty, &bytes, &opts);
            let old = t2j(false, p, ty, &bytes, &opts);
            prop_assert_eq!(&new, &old, "{:?} {:?}", p, opts);
        }
    }
}

/// Syntax errors name the line and column the reference names, on any
/// line, surrogate escapes included.
#[test]
fn syntax_errors_name_the_reference_position() {
    let pool = holder_pool();
    let ty = pool.type_by_id(all_type_id(&pool));
    let opts = Options::default();
    let at = |o: &Outcome| match o {
        Err((ErrorKind::Json, m)) => m[m.rfind(" at line ").expect("a position")..].to_owned(),
        other => panic!("expected a syntax error, got {other:?}"),
    };
    for json in [
        "{\n  \"s\": \"a\",\n  \"i32v\": x\n}",
        "{\n\n    \"ints\": [1,\n 2,,]}",
        "{\"s\":\n \"\\udc00\\udc00\"}",
        "{\"s\":\n \"\\ud800\\u0041\"}",
        "{\"s\":\n \"\\ud800x\"}",
        "{\"s\":\n \"\\udc00x\"}",
        "{\"s\":\n \"\\ud800\\uzzzz\"}",
        "{\"s\":\n \"\\uzz\"}",
    ] {
        for p in PROTOCOLS {
            let new = j2t(true, p, ty, json.as_bytes(), &opts);
            let old = j2t(false, p, ty, json.as_bytes(), &opts);
            assert_eq!(at(&new), at(&old), "{json:?}\nnew {new:?}\nold {old:?}");
        }
    }
}

#[test]
fn escapes_surrogates_and_numbers_read_as_the_reference_reads_them() {
    let pool = holder_pool();
    let ty = pool.type_by_id(all_type_id(&pool));
    let opts = Options::default();
    for json in [
        r#"{"s": "a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00"}"#,
        r#"{"s": "\ud83d"}"#,
        r#"{"s": "\udc00"}"#,
        r#"{"s": "\x"}"#,
        "{\"s\": \"a\u{1}\"}",
        r#"{"d": -0}"#,
        r#"{"d": -0.0}"#,
        r#"{"d": 1e400}"#,
        r#"{"d": 1E-400}"#,
        r#"{"d": 123456789012345678901234567890}"#,
        r#"{"i64v": -123456789012345678901234567890}"#,
        r#"{"i64v": 01}"#,
        r#"{"i64v": 1.}"#,
        r#"{"i64v": .5}"#,
        r#"{"i64v": 1e}"#,
        r#"{"i64v": -}"#,
        r#"{"i32v": 18446744073709551616}"#,
        r#"{"s": 18446744073709551615}"#,
        r#"{"b": 1}"#,
        r#"{"ints": [1,]}"#,
        r#"{"ints": [1 2]}"#,
        r#"{"ints": [1], }"#,
        r#"{"ints": [1]} x"#,
        r#"{"ints": [1]"#,
        r#"{"items": {"k": {"id": 1}, "k": {"id": 2}}}"#,
        r#"{"items": {"a\"b": {"id": "x"}}}"#,
        r#"{"by_point": [[{"x": 1}, "a"], [{"x": 1}, "b"]]}"#,
        r#"{"by_point": [[{"x": 1}]]}"#,
        r#"{"by_point": [[{"x": 1}, "a", 3]]}"#,
        r#"{"by_point": [[]]}"#,
        r#"{"by_point": [null]}"#,
        r#"{"flags": {"true": 1, "maybe": 2}}"#,
        r#"{"color": "BLUR"}"#,
        r#"{"color": "4"}"#,
        r#"{"u": "00112233-4455-6677-8899-aabbccddeeff"}"#,
        r#"{"bin": "not base64!"}"#,
        r#"{"zz": 1}"#,
        r#"{"point": {"x": 1, "x": 2}}"#,
        r#"{"point": {"x": null}}"#,
        r#"{"shape": {"point": {"x": 1}, "radius": 2}}"#,
        "\u{feff}{}",
        "",
        " ",
        "null",
        "[]",
    ] {
        for p in PROTOCOLS {
            for opts in [opts, Options::lenient()] {
                let new = j2t(true, p, ty, json.as_bytes(), &opts);
                let old = j2t(false, p, ty, json.as_bytes(), &opts);
                assert!(same_outcome(&new, &old), "{json}\nnew {new:?}\nold {old:?}");
            }
        }
    }
}

#[test]
fn deep_and_unknown_values_are_limited_in_the_scanner_too() {
    let pool = holder_pool();
    let ty = pool.type_by_id(all_type_id(&pool));
    // An ignored field nested past the JSON nesting limit.
    let deep = format!(r#"{{"zz": {}{}}}"#, "[".repeat(200), "]".repeat(200));
    let err = write_json(
        &mut ProtocolWriter::new(Protocol::Binary, &mut BytesMut::new()),
        ty,
        deep.as_bytes(),
        &Options::lenient(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Json, "{err}");
    assert!(err.to_string().contains("recursion limit"), "{err}");
    // A shallow ignored one is skipped.
    let shallow = r#"{"zz": {"a": [1, "x", true, null, {"b": -1.5e3}]}, "i32v": 3}"#;
    let mut buf = BytesMut::new();
    write_json(
        &mut ProtocolWriter::new(Protocol::Binary, &mut buf),
        ty,
        shallow.as_bytes(),
        &Options::lenient(),
    )
    .unwrap();
    let old = j2t(
        false,
        Protocol::Binary,
        ty,
        shallow.as_bytes(),
        &Options::lenient(),
    );
    assert_eq!(Ok(buf.to_vec()), old);
}

#[test]
fn text_that_is_not_utf8_is_refused_where_the_reference_refuses_it() {
    let pool = holder_pool();
    let ty = pool.type_by_id(all_type_id(&pool));
    for json in [
        &b"{\"zz\": \"\xff\"}"[..],
        b"{\"s\": \"\xff\"}",
        b"{\"i32v\": \"x\", \"s\": \"\xc3\"}",
        b"{\"s\xff\": 1}",
        b"\xff",
    ] {
        for opts in [Options::default(), Options::lenient()] {
            let new = j2t(true, Protocol::Binary, ty, json, &opts);
            let old = j2t(false, Protocol::Binary, ty, json, &opts);
            assert_eq!(new, old, "{}", String::from_utf8_lossy(json));
        }
    }
}

/// A field of id 0 whose wire type is not its IDL type is skipped like any
/// other mismatch, in compact and in pretty output alike (only a VOID field
/// 0, Kitex's void result, is read as a struct).
#[test]
fn a_mismatched_field_0_is_skipped_in_every_rendering() {
    let pool = anycall_idl::Pool::from_source("zero.thrift", "struct Z { 0: string s, 1: i32 n }")
        .expect("zero.thrift loads");
    let z = pool.find_struct("Z").unwrap();
    for p in PROTOCOLS {
        let mut bytes = BytesMut::new();
        let mut w = ProtocolWriter::new(p, &mut bytes);
        use anycall_codec::thrift::{TType, Writer as _};
        w.write_struct_begin();
        w.write_field_begin(TType::I32, 0).unwrap();
        w.write_i32(5);
        w.write_field_begin(TType::I32, 1).unwrap();
        w.write_i32(7);
        w.write_field_stop();
        w.write_struct_end();
        let view = JsonView::new_struct(&bytes, p, z, Options::default());
        for pretty in [false, true] {
            let mut out = Vec::new();
            to_json_writer(&view, &mut out, pretty).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert_eq!(
                text.replace([' ', '\n'], ""),
                r#"{"n":7}"#,
                "{p:?} pretty {pretty}"
            );
        }
    }
}

/// `null` where the whole value is a container: the same error as the
/// reference, for a map, a list and a set.
#[test]
fn null_for_a_whole_container_is_refused_as_the_reference_refuses_it() {
    let pool = crate::dynamic::holder_pool();
    let all = pool.type_by_id(all_type_id(&pool));
    let anycall_idl::TypeKind::Struct(desc) = all.kind() else {
        panic!("All is a struct")
    };
    let mut kinds = Vec::new();
    for f in desc.fields() {
        let ty = f.ty();
        let which = match ty.kind() {
            anycall_idl::TypeKind::Map(..) => "map",
            anycall_idl::TypeKind::List(_) => "list",
            anycall_idl::TypeKind::Set(_) => "set",
            _ => continue,
        };
        kinds.push(which);
        for p in PROTOCOLS {
            let new = j2t(true, p, ty, b"null", &Options::default());
            let old = j2t(false, p, ty, b"null", &Options::default());
            assert!(matches!(new, Err((ErrorKind::TypeMismatch, _))), "{new:?}");
            assert_eq!(new, old, "{} {p:?}", f.name());
        }
    }
    for which in ["map", "list", "set"] {
        assert!(kinds.contains(&which), "All has a {which}");
    }
}
