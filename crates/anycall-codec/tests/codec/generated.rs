//! What generated code does, and so the dynamic codec too (issue 11):
//! a known field id with another wire type is skipped, a required field
//! with an IDL default takes it, and strict mode refuses the unions, sets
//! and maps that generated code refuses to write.

use anycall_codec::call::{
    decode_struct_json, decode_struct_value, encode_struct_json, encode_struct_value,
};
use anycall_codec::thrift::Protocol;
use anycall_codec::{ErrorKind, Limits, Options, Value};
use anycall_idl::Pool;
use bytes::BytesMut;

const IDL: &str = r#"
struct Bonk { 1: string message, 2: i32 type }

// ThriftTest's versioning pair, in our own words: id 3 changes type.
struct V1 {
    1: i32 begin,
    3: string old,
    12: i32 end,
}
struct V2 {
    1: i32 begin,
    2: i32 added,
    3: byte now_byte,
    7: Bonk bonk,
    12: i32 end,
}

struct Req {
    1: required i32 id,
    2: required string tag = "t",
    3: required list<i32> ids = [1, 2],
}

union U {
    1: string s,
    2: i32 n,
}

struct Holder {
    1: optional U u,
    2: optional set<string> tags,
    3: optional map<string, i32> counts,
    4: optional map<i32, string> by_id,
    5: optional set<Bonk> bonks,
}
"#;

fn pool() -> Pool {
    Pool::from_source("generated.thrift", IDL).expect("idl loads")
}

/// Untyped JSON as a `Value` struct, as a caller of the `Value` API builds it.
fn untyped(json: &str) -> anycall_codec::Struct {
    let v: Value = serde_json::from_str(json).expect("json");
    v.as_struct().expect("an object").clone()
}

fn lenient() -> Options {
    Options::lenient()
}

fn encode(
    pool: &Pool,
    name: &str,
    json: &str,
    p: Protocol,
    opts: &Options,
) -> anycall_codec::Result<BytesMut> {
    let mut buf = BytesMut::new();
    encode_struct_json(
        pool.find_struct(name).unwrap(),
        json.as_bytes(),
        p,
        opts,
        &mut buf,
    )?;
    Ok(buf)
}

fn json_of(pool: &Pool, name: &str, bytes: &[u8], p: Protocol, opts: &Options) -> String {
    let desc = pool.find_struct(name).unwrap();
    decode_struct_json(desc, bytes, p, opts, &Limits::default(), false)
        .unwrap_or_else(|e| panic!("{name} decodes: {e}"))
        .0
}

#[test]
fn a_known_id_with_another_wire_type_is_skipped() {
    let pool = pool();
    for p in [Protocol::Binary, Protocol::Compact] {
        // V2 written, V1 read: id 3 is a byte on the wire, a string in V1.
        let v2 = encode(
            &pool,
            "V2",
            r#"{"begin":1,"added":2,"now_byte":3,"bonk":{"message":"m","type":4},"end":12}"#,
            p,
            &Options::default(),
        )
        .unwrap();
        for opts in [Options::default(), lenient()] {
            assert_eq!(
                json_of(&pool, "V1", &v2, p, &opts),
                r#"{"begin":1,"end":12}"#,
                "{p:?}"
            );
            let v = decode_struct_value(
                pool.find_struct("V1").unwrap(),
                &v2,
                p,
                &opts,
                &Limits::default(),
            )
            .unwrap();
            assert_eq!(v.get("old"), None);
            assert_eq!(v.get("end"), Some(&Value::I32(12)));
        }
        // V1 written, V2 read: id 3 is a string on the wire, a byte in V2.
        let v1 = encode(
            &pool,
            "V1",
            r#"{"begin":1,"old":"x","end":12}"#,
            p,
            &Options::default(),
        )
        .unwrap();
        assert_eq!(
            json_of(&pool, "V2", &v1, p, &Options::default()),
            r#"{"begin":1,"end":12}"#
        );
    }
}

#[test]
fn a_required_field_with_a_default_takes_it_when_absent() {
    let pool = pool();
    let desc = pool.find_struct("Req").unwrap();
    let strict = Options::default();
    let bytes = encode(&pool, "Req", r#"{"id":7}"#, Protocol::Binary, &strict).unwrap();
    assert_eq!(
        json_of(&pool, "Req", &bytes, Protocol::Binary, &strict),
        r#"{"id":7,"tag":"t","ids":[1,2]}"#
    );
    // The Value path writes the same bytes.
    let v = untyped(r#"{"id":7}"#);
    let mut from_value = BytesMut::new();
    encode_struct_value(desc, &v, Protocol::Binary, &strict, &mut from_value).unwrap();
    assert_eq!(from_value, bytes);
    // A required field without a default is still an error in strict mode.
    let err = encode(&pool, "Req", r#"{"tag":"x"}"#, Protocol::Binary, &strict).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingRequired);
    assert_eq!(err.to_string(), "Req: missing required field `id`");
}

fn strict_error(pool: &Pool, json: &str) -> String {
    for p in [Protocol::Binary, Protocol::Compact] {
        encode(pool, "Holder", json, p, &lenient())
            .unwrap_or_else(|e| panic!("--lenient passes {json} through: {e}"));
    }
    let err = encode(pool, "Holder", json, Protocol::Compact, &Options::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    // The Value path refuses it with the same message.
    let desc = pool.find_struct("Holder").unwrap();
    let v = untyped(json);
    let verr = encode_struct_value(
        desc,
        &v,
        Protocol::Binary,
        &Options::default(),
        &mut BytesMut::new(),
    )
    .unwrap_err();
    assert_eq!(verr.to_string(), err.to_string());
    err.to_string()
}

#[test]
fn strict_mode_refuses_unions_without_exactly_one_field() {
    let pool = pool();
    assert_eq!(
        strict_error(&pool, r#"{"u":{}}"#),
        "Holder.u: union U must have exactly one field set, found 0 (--lenient passes it through)"
    );
    assert_eq!(
        strict_error(&pool, r#"{"u":{"s":"a","n":1}}"#),
        "Holder.u: union U must have exactly one field set, found 2 (--lenient passes it through)"
    );
    encode(
        &pool,
        "Holder",
        r#"{"u":{"n":1}}"#,
        Protocol::Binary,
        &Options::default(),
    )
    .unwrap();
}

#[test]
fn strict_mode_refuses_repeated_set_elements_and_map_keys() {
    let pool = pool();
    assert_eq!(
        strict_error(&pool, r#"{"tags":["a","b","a"]}"#),
        "Holder.tags[2]: repeated element in set<string> (generated code refuses it; --lenient passes it through)"
    );
    assert_eq!(
        strict_error(
            &pool,
            r#"{"bonks":[{"message":"m"},{"type":1},{"message":"m"}]}"#
        ),
        "Holder.bonks[2]: repeated element in set<Bonk> (generated code refuses it; --lenient passes it through)"
    );
    // An object cannot repeat a key in JSON's data model, but its text can.
    let err = encode(
        &pool,
        "Holder",
        r#"{"counts":{"x":1,"x":2}}"#,
        Protocol::Binary,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Holder.counts[\"x\"]: repeated key in map<string,i32> (generated code refuses it; --lenient passes it through)"
    );
    // `1` and `"1"` are the same i32 key.
    let err = encode(
        &pool,
        "Holder",
        r#"{"by_id":[[1,"a"],["1","b"]]}"#,
        Protocol::Binary,
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Holder.by_id[1]: repeated key in map<i32,string> (generated code refuses it; --lenient passes it through)"
    );
    encode(
        &pool,
        "Holder",
        r#"{"tags":["a","b"],"by_id":{"1":"a","2":"b"}}"#,
        Protocol::Binary,
        &Options::default(),
    )
    .unwrap();
}

/// Repeats found among `Value`s of different variants that write the same
/// bytes, in small containers (compared by value) and large ones (by bytes).
#[test]
fn value_maps_and_sets_find_repeats_across_variants_and_sizes() {
    let pool = pool();
    let desc = pool.find_struct("Holder").unwrap();
    let s = |t: &str| Value::String(t.into());
    let bin = |t: &str| Value::Binary(t.as_bytes().to_vec());
    let write = |field: &str, v: Value, opts: &Options| {
        let mut fields = anycall_codec::Struct::new();
        fields.push(field, v);
        encode_struct_value(desc, &fields, Protocol::Compact, opts, &mut BytesMut::new())
            .map_err(|e| e.to_string())
    };
    let many = |n: usize| (0..n).map(|i| s(&format!("k{i}"))).collect::<Vec<_>>();
    let cases = [
        (
            "tags",
            Value::Set(vec![s("a"), bin("a")]),
            Some("Holder.tags[1]: repeated element"),
        ),
        ("tags", Value::Set(vec![bin("a"), s("b")]), None),
        ("tags", Value::Set(vec![s("a")]), None),
        (
            "tags",
            Value::Set([many(20), vec![s("k3")]].concat()),
            Some("Holder.tags[20]: repeated element"),
        ),
        ("tags", Value::Set(many(20)), None),
        (
            "counts",
            Value::Map(vec![(s("x"), Value::I32(1)), (bin("x"), Value::I32(2))]),
            Some("Holder.counts[\"eA==\"]: repeated key"),
        ),
        (
            "counts",
            Value::Map(
                many(17)
                    .into_iter()
                    .chain([s("k0")])
                    .map(|k| (k, Value::I32(0)))
                    .collect(),
            ),
            Some("Holder.counts[\"k0\"]: repeated key"),
        ),
        (
            "by_id",
            Value::Map(vec![
                (Value::I64(1), s("a")),
                (Value::I8(2), s("b")),
                (Value::I32(1), s("c")),
            ]),
            Some("Holder.by_id[1]: repeated key"),
        ),
        (
            "by_id",
            Value::Map(vec![(Value::I64(1), s("a")), (Value::I16(2), s("b"))]),
            None,
        ),
        // Keys given as an object's names are compared as the numbers they
        // write, not as text.
        (
            "by_id",
            Value::Struct({
                let mut keyed = anycall_codec::Struct::new();
                keyed.push("1", s("a"));
                keyed.push("01", s("b"));
                keyed
            }),
            Some("Holder.by_id[\"01\"]: repeated key"),
        ),
    ];
    for (field, v, want) in cases {
        let got = write(field, v.clone(), &Options::default());
        match want {
            Some(w) => assert!(
                got.as_ref().is_err_and(|e| e.starts_with(w)),
                "{field} {v:?}: {got:?}"
            ),
            None => assert!(got.is_ok(), "{field} {v:?}: {got:?}"),
        }
        assert!(write(field, v, &lenient()).is_ok());
    }
    // Names given twice in a struct for a map are the same key too.
    let mut twice = anycall_codec::Struct::new();
    twice.push("x", Value::I32(1));
    twice.push("x", Value::I32(2));
    let got = write("counts", Value::Struct(twice), &Options::default()).unwrap_err();
    assert!(
        got.starts_with("Holder.counts[\"x\"]: repeated key"),
        "{got}"
    );
}

#[test]
fn fields_are_written_in_id_order_whatever_the_input_order() {
    let pool = Pool::from_source(
        "order.thrift",
        "struct O { 3: bool c, 1: i32 a, 20: string t, 2: bool b, 4: list<i32> l = [7], 5: required i16 r = 9 }",
    )
    .unwrap();
    let desc = pool.find_struct("O").unwrap();
    for p in [Protocol::Binary, Protocol::Compact] {
        let sorted = encode(
            &pool,
            "O",
            r#"{"a":1,"b":false,"c":true,"t":"x"}"#,
            p,
            &Options::default(),
        )
        .unwrap();
        for json in [
            r#"{"t":"x","c":true,"b":false,"a":1}"#,
            r#"{"c":true,"a":1,"t":"x","b":false}"#,
        ] {
            assert_eq!(
                encode(&pool, "O", json, p, &Options::default()).unwrap(),
                sorted,
                "{p:?} {json}"
            );
            let mut from_value = BytesMut::new();
            encode_struct_value(
                desc,
                &untyped(json),
                p,
                &Options::default(),
                &mut from_value,
            )
            .unwrap();
            assert_eq!(from_value, sorted, "{p:?} Value {json}");
        }
        // Defaults (ids 4, 5) fall in place between the given ids.
        assert_eq!(
            json_of(&pool, "O", &sorted, p, &Options::default()),
            r#"{"a":1,"b":false,"c":true,"l":[7],"r":9,"t":"x"}"#
        );
    }
}
