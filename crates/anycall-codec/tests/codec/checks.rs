//! The checks that refuse bad input: required fields on read, and the range
//! of JSON numbers written as integers (issue 19). Each test here fails when
//! its check is removed.

use anycall_codec::call::{decode_struct_json, decode_struct_value, encode_struct_json};
use anycall_codec::dynamic::value::from_json;
use anycall_codec::thrift::Protocol;
use anycall_codec::{Error, ErrorKind, Limits, MissingRequired, Options, Value};
use anycall_idl::{Loader, Pool, StructDescriptor};
use bytes::BytesMut;

const IDL: &str = r#"
enum Color { RED = 1, BLUE = 4 }

struct Inner {
    1: required i32 a,
    2: optional i32 b,
}

struct Rec {
    1: required i32 id,
    2: required string tag = "t",
    3: optional Inner inner,
    4: i32 n = 5,
}

// Rec and Inner with every field optional, to write what Rec forbids.
struct LooseInner {
    1: optional i32 a,
    2: optional i32 b,
}

struct LooseRec {
    1: optional i32 id,
    2: optional string tag,
    3: optional LooseInner inner,
    4: optional i32 n,
}

struct Ints {
    1: byte i8v,
    2: i16 i16v,
    3: i32 i32v,
    4: i64 i64v,
    5: Color color,
    6: double d,
    7: map<i64, i8> by_i64,
    8: map<i16, i8> by_i16,
}

struct Holder {
    1: Ints ints,
}
"#;

fn pool() -> Pool {
    Loader::in_memory()
        .file("checks.thrift", IDL)
        .load("checks.thrift")
        .expect("checks.thrift loads")
}

fn desc<'p>(pool: &'p Pool, name: &str) -> StructDescriptor<'p> {
    pool.find_struct(name).expect(name)
}

const PROTOCOLS: [Protocol; 2] = [Protocol::Binary, Protocol::Compact];

// ---------------------------------------------------------------------------
// required fields on read

/// `json` written as a `LooseRec`, which may leave out anything.
fn loose(pool: &Pool, json: &str, p: Protocol) -> BytesMut {
    let mut buf = BytesMut::new();
    encode_struct_json(
        desc(pool, "LooseRec"),
        json.as_bytes(),
        p,
        &Options::default(),
        &mut buf,
    )
    .expect("loose json encodes");
    buf
}

/// `bytes` read as a `Rec` by both readers: the JSON text, or the error of
/// each (the two must agree).
fn read_rec(pool: &Pool, bytes: &[u8], p: Protocol, opts: &Options) -> Result<String, Error> {
    let rec = desc(pool, "Rec");
    let limits = Limits::default();
    let json = decode_struct_json(rec, bytes, p, opts, &limits, false).map(|(text, _)| text);
    let value = decode_struct_value(rec, bytes, p, opts, &limits);
    match (json, value) {
        (Ok(text), Ok(v)) => {
            // The Value reader gives the same fields, in the same order.
            let from_value = serde_json::to_string(&Value::Struct(v)).expect("value renders");
            assert_eq!(from_value, text, "{p:?}: the readers disagree");
            Ok(text)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{p:?}: the readers disagree");
            assert_eq!(a.kind(), b.kind());
            Err(a)
        }
        (json, value) => panic!("{p:?}: the readers disagree: {json:?} / {value:?}"),
    }
}

fn opts(missing_required: MissingRequired, read_defaults: bool) -> Options {
    Options {
        missing_required,
        read_defaults,
        ..Options::default()
    }
}

#[test]
fn a_missing_required_field_is_an_error_on_read() {
    let pool = pool();
    let cases = [
        (r#"{"n": 1}"#, "Rec: missing required field `id`"),
        (r#"{"id": 1, "n": 1}"#, "Rec: missing required field `tag`"),
        (r#"{"tag": "x"}"#, "Rec: missing required field `id`"),
        // The fields read are in order and the last one is missing.
        (r#"{"id": 1}"#, "Rec: missing required field `tag`"),
        (
            r#"{"id": 1, "tag": "x", "inner": {"b": 2}}"#,
            "Rec.inner: missing required field `a`",
        ),
    ];
    for p in PROTOCOLS {
        for (json, message) in cases {
            for read_defaults in [false, true] {
                // Reading defaults does not stand in for a required field,
                // even one with a default (`tag`).
                let opts = opts(MissingRequired::Error, read_defaults);
                let err = read_rec(&pool, &loose(&pool, json, p), p, &opts).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::MissingRequired, "{json}");
                assert_eq!(err.to_string(), message, "{p:?} {json} {read_defaults}");
            }
        }
    }
}

#[test]
fn present_required_fields_read_in_every_mode() {
    let pool = pool();
    let json = r#"{"id": 1, "tag": "x", "inner": {"a": 3}, "n": 2}"#;
    for p in PROTOCOLS {
        let bytes = loose(&pool, json, p);
        for mode in [MissingRequired::Error, MissingRequired::ZeroValue] {
            for read_defaults in [false, true] {
                let out = read_rec(&pool, &bytes, p, &opts(mode, read_defaults)).unwrap();
                assert_eq!(out, r#"{"id":1,"tag":"x","inner":{"a":3},"n":2}"#);
            }
        }
    }
}

#[test]
fn zero_value_mode_reads_what_is_there() {
    let pool = pool();
    for p in PROTOCOLS {
        let bytes = loose(&pool, r#"{"n": 1, "inner": {"b": 2}}"#, p);
        // Absent required fields stay absent.
        let out = read_rec(&pool, &bytes, p, &opts(MissingRequired::ZeroValue, false)).unwrap();
        // Written in field-id order, whatever the JSON order.
        assert_eq!(out, r#"{"inner":{"b":2},"n":1}"#);
        // With defaults read, `tag` (required, default "t") is filled in;
        // `id` and `inner.a` have no default and stay absent.
        let out = read_rec(&pool, &bytes, p, &opts(MissingRequired::ZeroValue, true)).unwrap();
        assert_eq!(out, r#"{"inner":{"b":2},"n":1,"tag":"t"}"#);
        // A default-requiredness field with a default (`n` = 5) too.
        let bytes = loose(&pool, r#"{"id": 1}"#, p);
        let out = read_rec(&pool, &bytes, p, &opts(MissingRequired::ZeroValue, true)).unwrap();
        assert_eq!(out, r#"{"id":1,"tag":"t","n":5}"#);
    }
}

// ---------------------------------------------------------------------------
// JSON numbers into integers

/// Encodes `{"<field>": <number>}` as an `Ints` in both protocols (and as a
/// `Value` from JSON); returns the value read back as JSON, or the error.
fn ints(field: &str, number: &str) -> Result<String, Error> {
    let pool = pool();
    let ints = desc(&pool, "Ints");
    let json = format!(r#"{{"{field}": {number}}}"#);
    let opts = Options::default();
    let mut results = Vec::new();
    for p in PROTOCOLS {
        let mut buf = BytesMut::new();
        let r = encode_struct_json(ints, json.as_bytes(), p, &opts, &mut buf).and_then(|()| {
            decode_struct_json(ints, &buf, p, &opts, &Limits::default(), false).map(|(t, _)| t)
        });
        results.push(r);
    }
    let ty = desc(&pool, "Holder").field(0).expect("Holder.ints").ty();
    results.push(
        from_json(ty, json.as_bytes(), &opts)
            .map(|v| serde_json::to_string(&v).expect("value renders")),
    );
    let first = results.remove(0);
    for other in &results {
        match (&first, other) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
            // `from_json` reads the struct as a value: its paths have no root.
            (Err(a), Err(b)) => {
                let unrooted = |e: &Error| e.to_string().replacen("Ints.", "", 1);
                assert_eq!(unrooted(a), unrooted(b), "{json}");
                assert_eq!(a.kind(), b.kind(), "{json}");
            }
            _ => panic!("{json}: the paths disagree: {first:?} / {other:?}"),
        }
    }
    first
}

fn out_of_range(field: &str, number: &str, message: &str) {
    let err = ints(field, number).expect_err(number);
    assert_eq!(err.to_string(), message, "{field}: {number}");
    assert_eq!(
        err.kind(),
        ErrorKind::OutOfRange,
        "{field}: {number}: {err}"
    );
}

fn not_an_integer(field: &str, number: &str, message: &str) {
    let err = ints(field, number).expect_err(number);
    assert_eq!(err.to_string(), message, "{field}: {number}");
    assert_eq!(
        err.kind(),
        ErrorKind::TypeMismatch,
        "{field}: {number}: {err}"
    );
}

fn fits(field: &str, number: &str, read_back: &str) {
    let out = ints(field, number).unwrap_or_else(|e| panic!("{field}: {number}: {e}"));
    assert_eq!(out, format!(r#"{{"{field}":{read_back}}}"#), "{number}");
}

#[test]
fn i64_takes_exactly_the_i64_range() {
    fits("i64v", "9223372036854775807", "9223372036854775807");
    fits("i64v", "-9223372036854775808", "-9223372036854775808");
    fits("i64v", "\"-9223372036854775808\"", "-9223372036854775808");
    // -2^63 as a double is an integer in range.
    fits("i64v", "-9.223372036854775808e18", "-9223372036854775808");
    fits("i64v", "1e18", "1000000000000000000");
    out_of_range(
        "i64v",
        "9223372036854775808",
        "Ints.i64v: 9223372036854775808 is out of range for i64",
    );
    out_of_range(
        "i64v",
        "10000000000000000000",
        "Ints.i64v: 10000000000000000000 is out of range for i64",
    );
    // 2^63 and 1e19 written as doubles: the message quotes them as written.
    out_of_range(
        "i64v",
        "9.223372036854775808e18",
        "Ints.i64v: 9.223372036854775808e18 is out of range for i64",
    );
    out_of_range("i64v", "1e19", "Ints.i64v: 1e19 is out of range for i64");
    // Below -2^63 serde_json has only a double.
    out_of_range(
        "i64v",
        "-9300000000000000000",
        "Ints.i64v: -9300000000000000000 is out of range for i64",
    );
    out_of_range(
        "i64v",
        "-9.3e18",
        "Ints.i64v: -9.3e18 is out of range for i64",
    );
    not_an_integer(
        "i64v",
        "\"9223372036854775808\"",
        r#"Ints.i64v: expected i64, found string "9223372036854775808""#,
    );
}

#[test]
fn narrow_integers_and_enums_take_their_range() {
    let cases = [
        ("i8v", "byte", i64::from(i8::MIN), i64::from(i8::MAX)),
        ("i16v", "i16", i64::from(i16::MIN), i64::from(i16::MAX)),
        ("i32v", "i32", i64::from(i32::MIN), i64::from(i32::MAX)),
        ("color", "Color", i64::from(i32::MIN), i64::from(i32::MAX)),
    ];
    for (field, ty, min, max) in cases {
        for n in [min, max] {
            fits(field, &n.to_string(), &n.to_string());
            // Numeric strings are accepted and checked alike.
            fits(field, &format!("\"{n}\""), &n.to_string());
            fits(field, &format!("{n}.0"), &n.to_string());
        }
        for n in [min - 1, max + 1, i64::MIN, i64::MAX] {
            let message = format!("Ints.{field}: {n} is out of range for {ty}");
            out_of_range(field, &n.to_string(), &message);
            out_of_range(field, &format!("\"{n}\""), &message);
        }
        out_of_range(
            field,
            "1e19",
            &format!("Ints.{field}: 1e19 is out of range for {ty}"),
        );
    }
    // Map keys are checked as well.
    let err = ints("by_i16", r#"{"32768": 1}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Ints.by_i16["32768"]: 32768 is out of range for i16"#
    );
    assert_eq!(err.kind(), ErrorKind::OutOfRange);
    let err = ints("by_i64", r#"{"9223372036854775808": 1}"#).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch, "{err}");
    assert!(
        err.to_string()
            .starts_with(r#"Ints.by_i64["9223372036854775808"]"#)
    );
    let err = ints("by_i64", r#"{"1": 128}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Ints.by_i64["1"]: 128 is out of range for byte"#
    );
}

#[test]
fn numbers_with_a_fraction_are_not_integers() {
    for (field, ty) in [
        ("i8v", "byte"),
        ("i16v", "i16"),
        ("i32v", "i32"),
        ("i64v", "i64"),
    ] {
        for number in ["1.5", "-0.5", "0.1", "2.000001"] {
            not_an_integer(
                field,
                number,
                &format!("Ints.{field}: expected {ty}, found number {number}"),
            );
        }
        fits(field, "2.0", "2");
        fits(field, "-0.0", "0");
        fits(field, "1e2", "100");
    }
    not_an_integer(
        "color",
        "1.5",
        "Ints.color: expected Color, found number 1.5",
    );
    // A double takes any number, integers too.
    fits("d", "1.5", "1.5");
    fits("d", "2", "2.0");
    fits("d", "-9223372036854775808", "-9.223372036854776e+18");
    fits("d", "10000000000000000000", "1e+19");
}

// ---------------------------------------------------------------------------
// JSON values of the wrong shape

#[test]
fn json_values_of_the_wrong_shape_are_refused_by_name() {
    let pool = crate::dynamic::pool();
    let all = pool.find_struct("All").unwrap();
    let req = pool.find_struct("Req").unwrap();
    let cases = [
        (
            all,
            r#"{"ints": [null]}"#,
            "All.ints[0]: expected i32, found null",
        ),
        (
            all,
            r#"{"ints": [[1]]}"#,
            "All.ints[0]: expected i32, found an array",
        ),
        (
            all,
            r#"{"ints": [{}]}"#,
            "All.ints[0]: expected i32, found an object",
        ),
        (
            all,
            r#"{"nested": [null]}"#,
            "All.nested[0]: expected list<map<string,list<i32>>>, found null",
        ),
        (
            req,
            r#"{"points": [null]}"#,
            "Req.points[0]: expected Point, found null",
        ),
    ];
    for (desc, json, message) in cases {
        let mut buf = BytesMut::new();
        let err = encode_struct_json(
            desc,
            json.as_bytes(),
            Protocol::Binary,
            &Options::default(),
            &mut buf,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), message, "{json}");
        assert_eq!(err.kind(), ErrorKind::TypeMismatch, "{json}");
    }
    // A list, map or struct given something else: the error keeps the field
    // path and quotes what was found.
    let cases = [
        (
            r#"{"ints": {}}"#,
            "All.ints: expected an array for list<i32>, found an object",
        ),
        (
            r#"{"ints": 5}"#,
            "All.ints: expected an array for list<i32>, found number 5",
        ),
        (
            r#"{"ints": "x"}"#,
            r#"All.ints: expected an array for list<i32>, found string "x""#,
        ),
        (
            r#"{"ints": true}"#,
            "All.ints: expected an array for list<i32>, found true",
        ),
        (
            r#"{"ints": -1.5}"#,
            "All.ints: expected an array for list<i32>, found number -1.5",
        ),
        (
            r#"{"items": 18446744073709551615}"#,
            "All.items: expected an object or an array of [key, value] pairs for \
             map<string,Item>, found number 18446744073709551615",
        ),
        (
            r#"{"point": "p"}"#,
            r#"All.point: expected an object for Point, found string "p""#,
        ),
        (
            r#"{"point": [1, 2]}"#,
            "All.point: expected an object for Point, found an array",
        ),
    ];
    for (json, message) in cases {
        let mut buf = BytesMut::new();
        let opts = Options::default();
        let err = encode_struct_json(all, json.as_bytes(), Protocol::Binary, &opts, &mut buf)
            .unwrap_err();
        assert_eq!(err.to_string(), message, "{json}");
        assert_eq!(err.kind(), ErrorKind::TypeMismatch, "{json}");
    }
}

#[test]
fn numbers_in_errors_are_quoted_as_written() {
    let pool = crate::dynamic::pool();
    let all = pool.find_struct("All").unwrap();
    for (json, message) in [
        (
            r#"{"ints": [1, 2.50]}"#,
            "All.ints[1]: expected i32, found number 2.50",
        ),
        (
            r#"{"ints": [1e-7]}"#,
            "All.ints[0]: expected i32, found number 1e-7",
        ),
        (
            "{\n  \"ints\": [\n    3e10\n  ]\n}",
            "All.ints[0]: 3e10 is out of range for i32",
        ),
        (
            r#"{"ints": [-2147483649]}"#,
            "All.ints[0]: -2147483649 is out of range for i32",
        ),
    ] {
        let mut buf = BytesMut::new();
        let opts = Options::default();
        let err = encode_struct_json(all, json.as_bytes(), Protocol::Binary, &opts, &mut buf)
            .unwrap_err();
        assert_eq!(err.to_string(), message, "{json}");
    }
}

#[test]
fn serde_json_errors_name_the_idl_shape_expected() {
    let pool = crate::dynamic::pool();
    let all = pool.find_struct("All").unwrap();
    let opts = Options::default();
    for (json, expected) in [
        (
            r#"{"items": 5}"#,
            "an object or an array of [key, value] pairs for map<string,Item>",
        ),
        (r#"{"point": 5}"#, "an object for Point"),
        (r#"{"by_point": [5]}"#, "a [key, value] pair"),
    ] {
        let mut buf = BytesMut::new();
        let err = encode_struct_json(all, json.as_bytes(), Protocol::Binary, &opts, &mut buf)
            .unwrap_err();
        assert!(
            err.to_string().contains(&format!("expected {expected}")),
            "{json}: {err}"
        );
    }
    // `null` for a field is the field left out: a required one is missing.
    let point = pool.find_struct("Point").unwrap();
    let mut buf = BytesMut::new();
    let err = encode_struct_json(point, br#"{"x": null}"#, Protocol::Binary, &opts, &mut buf)
        .unwrap_err();
    assert_eq!(err.to_string(), "Point: missing required field `x`");
}

// ---------------------------------------------------------------------------
// the depth limit, for lists and maps alike

#[test]
fn containers_past_max_depth_name_the_depth_reached() {
    let pool = Loader::in_memory()
        .file(
            "depth.thrift",
            "struct Deep {\n\
             1: list<list<list<i32>>> lists,\n\
             2: map<string, map<string, map<string, i32>>> maps,\n\
             3: optional Deep deep,\n\
             }",
        )
        .load("depth.thrift")
        .unwrap();
    let deep = desc(&pool, "Deep");
    let opts = Options {
        max_depth: 3,
        ..Options::default()
    };
    for json in [
        r#"{"lists": [[[1]]]}"#,
        r#"{"maps": {"a": {"b": {"c": 1}}}}"#,
        r#"{"maps": [["a", [["b", [["c", 1]]]]]]}"#,
        r#"{"deep": {"deep": {"deep": {}}}}"#,
    ] {
        let mut buf = BytesMut::new();
        let err = encode_struct_json(deep, json.as_bytes(), Protocol::Binary, &opts, &mut buf)
            .unwrap_err();
        assert!(err.is_limit(), "{json}: {err}");
        assert!(
            err.to_string()
                .ends_with("nesting depth 4 exceeds the limit of 3"),
            "{json}: {err}"
        );
    }
    // A limit one higher takes the same input.
    let opts = Options {
        max_depth: 4,
        ..Options::default()
    };
    let mut buf = BytesMut::new();
    encode_struct_json(
        deep,
        br#"{"lists": [[[1]]], "maps": [["a", [["b", [["c", 1]]]]]], "deep": {"deep": {"deep": {}}}}"#,
        Protocol::Binary,
        &opts,
        &mut buf,
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// doubles given as strings

#[test]
fn doubles_read_nan_and_infinities_from_strings() {
    let pool = pool();
    let ints = desc(&pool, "Ints");
    let out = Options {
        non_finite: anycall_codec::NonFinite::String,
        ..Options::default()
    };
    for (input, read_back) in [
        (r#""NaN""#, r#""NaN""#),
        (r#""Infinity""#, r#""Infinity""#),
        (r#""-Infinity""#, r#""-Infinity""#),
        (r#""2.5""#, "2.5"),
    ] {
        for p in PROTOCOLS {
            let mut buf = BytesMut::new();
            let json = format!(r#"{{"d": {input}}}"#);
            encode_struct_json(ints, json.as_bytes(), p, &Options::default(), &mut buf)
                .unwrap_or_else(|e| panic!("{json}: {e}"));
            let (text, _) = decode_struct_json(ints, &buf, p, &out, &Limits::default(), false)
                .unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(text, format!(r#"{{"d":{read_back}}}"#), "{json}");
        }
    }
    let mut buf = BytesMut::new();
    let err = encode_struct_json(
        ints,
        br#"{"d": "many"}"#,
        Protocol::Binary,
        &Options::default(),
        &mut buf,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Ints.d: expected double, found string "many""#
    );
}

// ---------------------------------------------------------------------------
// result structs: a known field id with another wire type is not the value

#[test]
fn a_result_field_of_another_wire_type_is_skipped() {
    use anycall_codec::dynamic::json::{JsonView, to_json_string};
    let pool = Loader::in_memory()
        .file("result.thrift", "service S { i32 get() }")
        .load("result.thrift")
        .unwrap();
    let result = pool.service("S").unwrap().method("get").unwrap().result();
    // Field 0 (success, an i32) sent as a string "hi", then the stop byte.
    let wrong = [0x0B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, b'h', b'i', 0x00];
    let view = JsonView::result_field(&wrong, Protocol::Binary, result, Options::default());
    assert_eq!(to_json_string(&view).unwrap(), "null");
    assert_eq!(view.chosen_field(), None);
    // The same field with its own wire type is the value.
    let right = [0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00];
    let view = JsonView::result_field(&right, Protocol::Binary, result, Options::default());
    assert_eq!(to_json_string(&view).unwrap(), "7");
    assert_eq!(view.chosen_field(), Some(0));
}

// ---------------------------------------------------------------------------
// Thrift → JSON: empty containers, map keys in paths, non-finite keys

fn render_m(bytes: &[u8]) -> Result<String, Error> {
    let pool = Loader::in_memory()
        .file(
            "m.thrift",
            "struct M {\n\
             1: list<i32> l,\n\
             2: map<string, list<i32>> m,\n\
             3: map<double, i32> dk,\n\
             }",
        )
        .load("m.thrift")
        .unwrap();
    let m = desc(&pool, "M");
    let opts = Options::default();
    decode_struct_json(m, bytes, Protocol::Binary, &opts, &Limits::default(), false).map(|(t, _)| t)
}

#[test]
fn an_empty_list_may_name_any_element_type() {
    // Field 1 (a list<i32>) empty, its header naming strings, then stop.
    let bytes = [0x0F, 0x00, 0x01, 0x0B, 0x00, 0x00, 0x00, 0x00, 0x00];
    assert_eq!(render_m(&bytes).unwrap(), r#"{"l":[]}"#);
    // Not so once it has elements.
    let bytes = [
        0x0F, 0x00, 0x01, 0x0B, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0x00,
    ];
    let err = render_m(&bytes).unwrap_err();
    assert!(err.to_string().starts_with("M.l: "), "{err}");
}

#[test]
fn errors_inside_a_map_name_its_key() {
    // Field 2: map<string, list<i32>> with one entry "a" whose list names strings.
    let bytes = [
        0x0D, 0x00, 0x02, 0x0B, 0x0F, 0x00, 0x00, 0x00, 0x01, // map header, 1 entry
        0x00, 0x00, 0x00, 0x01, b'a', // key "a"
        0x0B, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // list of 1 string ""
        0x00,
    ];
    let err = render_m(&bytes).unwrap_err();
    assert!(err.to_string().starts_with(r#"M.m["a"]: "#), "{err}");
}

#[test]
fn non_finite_double_keys_render_by_name() {
    let mut bytes = vec![0x0D, 0x00, 0x03, 0x04, 0x08, 0x00, 0x00, 0x00, 0x03];
    for (key, value) in [(f64::INFINITY, 1u8), (f64::NEG_INFINITY, 2), (f64::NAN, 3)] {
        bytes.extend_from_slice(&key.to_bits().to_be_bytes());
        bytes.extend_from_slice(&[0, 0, 0, value]);
    }
    bytes.push(0x00);
    assert_eq!(
        render_m(&bytes).unwrap(),
        r#"{"dk":{"inf":1,"-inf":2,"NaN":3}}"#
    );
}

#[test]
fn a_void_success_field_is_skipped_as_a_struct() {
    // Kitex's generic servers may answer a void method with field 0 typed
    // VOID holding a struct: here one with an i32 field 1 = 5.
    let pool = Loader::in_memory()
        .file("void.thrift", "service S { void ping() }")
        .load("void.thrift")
        .unwrap();
    let result = pool.service("S").unwrap().method("ping").unwrap().result();
    let bytes = [
        0x01, 0x00, 0x00, // field 0, VOID
        0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, // { 1: i32 5 }
        0x00, // stop of the result
    ];
    let opts = Options::default();
    let (text, read) = decode_struct_json(
        result,
        &bytes,
        Protocol::Binary,
        &opts,
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(text, "{}");
    assert_eq!(read, bytes.len());
    // Field 0 of another type (a string where `get` returns an i32) is
    // skipped as what it is, not as a struct.
    let pool = Loader::in_memory()
        .file("get.thrift", "service S { i32 get() }")
        .load("get.thrift")
        .unwrap();
    let result = pool.service("S").unwrap().method("get").unwrap().result();
    let bytes = [0x0B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, b'h', b'i', 0x00];
    let (text, read) = decode_struct_json(
        result,
        &bytes,
        Protocol::Binary,
        &opts,
        &Limits::default(),
        false,
    )
    .unwrap();
    assert_eq!(text, "{}");
    assert_eq!(read, bytes.len());
}

#[test]
fn enum_map_keys_and_i64_defaults_follow_the_options() {
    let pool = Loader::in_memory()
        .file(
            "opts.thrift",
            "enum Color { RED = 1 }\n\
             struct O {\n\
             1: map<Color, i32> by_color,\n\
             2: i64 big = 9007199254740993,\n\
             }",
        )
        .load("opts.thrift")
        .unwrap();
    let o = desc(&pool, "O");
    // Field 1: one entry RED -> 7; field 2 absent (its default is rendered
    // when defaults are read).
    let bytes = [
        0x0D, 0x00, 0x01, 0x08, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x07, 0x00,
    ];
    let render = |opts: Options| {
        decode_struct_json(
            o,
            &bytes,
            Protocol::Binary,
            &opts,
            &Limits::default(),
            false,
        )
        .unwrap()
        .0
    };
    let plain = Options {
        read_defaults: true,
        ..Options::default()
    };
    assert_eq!(
        render(plain),
        r#"{"by_color":{"1":7},"big":9007199254740993}"#
    );
    let named = Options {
        enum_as_name: true,
        i64_as_string: true,
        ..plain
    };
    assert_eq!(
        render(named),
        r#"{"by_color":{"RED":7},"big":"9007199254740993"}"#
    );
}
