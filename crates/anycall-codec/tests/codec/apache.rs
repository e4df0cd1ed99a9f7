//! Cross-check against Apache Thrift, an implementation written elsewhere:
//! its Python `TBinaryProtocol` and `TCompactProtocol` (PyPI `thrift`, the
//! pure-Python classes), used schema-less by `interop/python/codec_peer.py`.
//!
//! * our bytes → Apache walks them by field id and wire type → the tree we
//!   meant (ids, types, values), Binary and Compact;
//! * Apache encodes that tree → our `decode_struct_json` → the JSON we meant;
//! * whole CALL messages both ways, and REPLY / EXCEPTION messages from
//!   Apache decoded by us.
//!
//! Every Thrift type takes part, uuid included (wire type 16 in Binary, 13
//! in Compact, then 16 raw bytes): as a field, as list and set elements, as
//! map keys and values, as a call argument and as a reply's result.
//!
//! The expected trees are built here from the IDL and the sample JSON, not
//! by the codec. A uuid's tree value is its 32 hex digits, which Apache
//! reads and writes as `uuid.UUID(bytes=...)`, so the byte order on the
//! wire is checked too.
//!
//! Needs `interop/.venv` with a `thrift` that has the uuid type (made by
//! `scripts/interop-setup`), or an interpreter named by `INTEROP_PYTHON`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anycall_codec::call::{
    Reply, decode_args_json, decode_reply_json, decode_struct_json, decode_struct_value,
    encode_call_json, encode_struct_json, encode_struct_value, read_envelope,
};
use anycall_codec::thrift::{MessageType, Protocol, TApplicationExceptionType};
use anycall_codec::{Limits, Options};
use anycall_idl::{Loader, Pool, StructDescriptor, TypeDescriptor, TypeKind};
use base64::Engine as _;
use bytes::BytesMut;
use serde_json::{Value as Json, json};

use anycall_test_support::hex;

const PROTOCOLS: [Protocol; 2] = [Protocol::Binary, Protocol::Compact];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python peer, one process per test, one JSON line per request.
struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn start() -> Peer {
        let python = std::env::var_os("INTEROP_PYTHON")
            .map_or_else(|| root().join("interop/.venv/bin/python"), PathBuf::from);
        let has_thrift = Command::new(&python)
            .args([
                "-c",
                "import thrift.protocol.TCompactProtocol\n\
                 from thrift.Thrift import TType\n\
                 TType.UUID",
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            has_thrift,
            "Apache Thrift for Python with the uuid type is not available at {}: \
             run scripts/interop-setup",
            python.display()
        );
        let mut child = Command::new(&python)
            .arg(root().join("interop/python/codec_peer.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("codec_peer.py starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Peer {
            child,
            stdin,
            stdout,
        }
    }

    fn ask(&mut self, req: &Json) -> Json {
        writeln!(self.stdin, "{req}").expect("request sent");
        self.stdin.flush().expect("request flushed");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("answer read");
        let mut answer: Json = serde_json::from_str(&line).expect("answer is JSON");
        match answer.get_mut("ok") {
            Some(ok) => ok.take(),
            None => panic!("Apache peer failed: {answer}\nrequest: {req}"),
        }
    }

    /// Apache decodes a bare struct.
    fn decode(&mut self, p: Protocol, bytes: &[u8]) -> Json {
        self.ask(&json!({"op": "decode", "protocol": name(p), "hex": hex::plain(bytes)}))
    }

    /// Apache decodes a message: `{name, type, seqid, body}`.
    fn decode_message(&mut self, p: Protocol, bytes: &[u8]) -> Json {
        self.ask(&json!({"op": "decode", "protocol": name(p), "hex": hex::plain(bytes), "message": true}))
    }

    /// Apache encodes a struct tree.
    fn encode(&mut self, p: Protocol, tree: &Json) -> Vec<u8> {
        unhex(&self.ask(&json!({"op": "encode", "protocol": name(p), "tree": tree})))
    }

    /// Apache encodes a message.
    fn encode_message(&mut self, p: Protocol, msg: &Json) -> Vec<u8> {
        unhex(&self.ask(&json!({"op": "encode", "protocol": name(p), "message": msg})))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn name(p: Protocol) -> &'static str {
    match p {
        Protocol::Binary => "binary",
        Protocol::Compact => "compact",
    }
}

fn unhex(v: &Json) -> Vec<u8> {
    hex::parse(v.as_str().expect("hex string"))
}

/// `all_types.thrift` plus a struct of negative, far apart and adjacent
/// field ids (Compact's short and long field headers), bool fields and an
/// empty map, a struct of uuids in every container position, and a service
/// taking and returning uuids.
fn pool() -> Pool {
    let dir = root().join("testdata/codec");
    let main = dir.join("apache.thrift");
    Loader::new()
        .file(
            main.to_string_lossy(),
            r#"include "all_types.thrift"
struct Ids {
    -1: bool neg_flag,
    -300: i64 far_neg,
    1: bool pos_flag,
    16: string delta15,
    32: map<string, i32> empty,
    -2: list<bool> bools,
    2: double d,
}
struct Uuids {
    1: uuid one,
    -7: uuid neg,
    2: list<uuid> many,
    3: set<uuid> distinct,
    4: map<uuid, uuid> pairs,
    5: map<uuid, list<uuid>> groups,
    6: map<string, uuid> named,
}
service UuidCodec {
    uuid Next(1: uuid after, 2: list<uuid> seen),
}
"#,
        )
        .load(main.to_string_lossy())
        .expect("apache IDL loads")
}

fn wire_name(ty: TypeDescriptor<'_>) -> &'static str {
    match ty.kind() {
        TypeKind::Bool => "bool",
        TypeKind::Byte => "byte",
        TypeKind::I16 => "i16",
        TypeKind::I32 | TypeKind::Enum(_) => "i32",
        TypeKind::I64 => "i64",
        TypeKind::Double => "double",
        TypeKind::String | TypeKind::Binary => "string",
        TypeKind::List(_) => "list",
        TypeKind::Set(_) => "set",
        TypeKind::Map(..) => "map",
        TypeKind::Struct(_) => "struct",
        TypeKind::Uuid => "uuid",
    }
}

/// The Apache tree for a value of type `ty` given as JSON in our mapping.
fn tree(ty: TypeDescriptor<'_>, v: &Json) -> Json {
    let scalar = |value: Json| json!({"type": wire_name(ty), "value": value});
    match ty.kind() {
        TypeKind::Bool => scalar(json!(v.as_bool().expect("bool"))),
        TypeKind::Byte | TypeKind::I16 | TypeKind::I32 | TypeKind::I64 => {
            scalar(json!(v.as_i64().expect("integer")))
        }
        TypeKind::Enum(e) => scalar(json!(
            v.as_i64()
                .or_else(|| v.as_str().and_then(|n| e.value(n)).map(i64::from))
                .expect("enum")
        )),
        TypeKind::Double => scalar(json!(v.as_f64().expect("double"))),
        TypeKind::String => scalar(json!(b64(v.as_str().expect("string").as_bytes()))),
        TypeKind::Binary => scalar(v.clone()),
        TypeKind::List(e) | TypeKind::Set(e) => json!({
            "type": wire_name(ty),
            "elem": wire_name(e),
            "value": v.as_array().expect("array").iter().map(|i| tree(e, i)).collect::<Vec<_>>(),
        }),
        TypeKind::Map(k, val) => {
            let pairs: Vec<Json> = match v {
                Json::Object(o) => o
                    .iter()
                    .map(|(key, x)| json!([key_tree(k, key), tree(val, x)]))
                    .collect(),
                Json::Array(a) => a
                    .iter()
                    .map(|pair| json!([tree(k, &pair[0]), tree(val, &pair[1])]))
                    .collect(),
                other => panic!("map sample {other}"),
            };
            json!({"type": "map", "key": wire_name(k), "val": wire_name(val), "value": pairs})
        }
        TypeKind::Struct(s) => struct_tree(s, v),
        TypeKind::Uuid => scalar(json!(uuid_hex(v.as_str().expect("uuid")))),
    }
}

/// A JSON object key as a tree of the map's key type.
fn key_tree(k: TypeDescriptor<'_>, key: &str) -> Json {
    let v = match k.kind() {
        TypeKind::String | TypeKind::Binary | TypeKind::Uuid => json!(key),
        TypeKind::Bool => json!(key == "true"),
        TypeKind::Double => json!(key.parse::<f64>().expect("double key")),
        _ => json!(key.parse::<i64>().expect("integer key")),
    };
    tree(k, &v)
}

fn struct_tree(s: StructDescriptor<'_>, v: &Json) -> Json {
    let fields: serde_json::Map<String, Json> = v
        .as_object()
        .expect("object")
        .iter()
        .map(|(name, x)| {
            let f = s.field_by_name(name).expect("sample fields exist");
            (f.id().to_string(), tree(f.ty(), x))
        })
        .collect();
    json!({"type": "struct", "value": fields})
}

/// A uuid in our JSON mapping as the 32 hex digits of its 16 wire bytes.
fn uuid_hex(s: &str) -> String {
    let hex: String = s.chars().filter(|&c| c != '-').collect();
    assert!(
        hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "uuid sample {s}"
    );
    hex.to_ascii_lowercase()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An empty Compact map carries no element types: Apache reads them as STOP.
fn compact_view(t: &Json) -> Json {
    let mut t = t.clone();
    fix_empty_maps(&mut t);
    t
}

fn fix_empty_maps(t: &mut Json) {
    match t {
        Json::Object(o) => {
            let empty_map = o.get("type") == Some(&json!("map"))
                && o.get("value")
                    .and_then(Json::as_array)
                    .is_some_and(Vec::is_empty);
            if empty_map {
                o.insert("key".into(), json!("stop"));
                o.insert("val".into(), json!("stop"));
            }
            o.values_mut().for_each(fix_empty_maps);
        }
        Json::Array(a) => a.iter_mut().for_each(fix_empty_maps),
        _ => {}
    }
}

fn expect_tree(p: Protocol, t: &Json) -> Json {
    match p {
        Protocol::Binary => t.clone(),
        Protocol::Compact => compact_view(t),
    }
}

/// `U1` and `U2` have sixteen different bytes each, so any reordering on the
/// wire shows; `NIL` and `MAX` are the extremes.
const U1: &str = "00112233-4455-6677-8899-aabbccddeeff";
const U2: &str = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
const NIL: &str = "00000000-0000-0000-0000-000000000000";
const MAX: &str = "ffffffff-ffff-ffff-ffff-ffffffffffff";

/// Samples of `All`, `Ids` and `Uuids`.
fn samples() -> Vec<(&'static str, Json)> {
    // 15 elements: Compact's long list header.
    let fifteen: Vec<String> = (0..15_u64)
        .map(|i| format!("{i:08x}-{:04x}-0000-8000-{:012x}", 0xfff0 + i, 0xa5a5 * i))
        .collect();
    vec![
        (
            "All",
            json!({
                "b": true,
                "i8v": -128,
                "i16v": -32768,
                "i32v": 2147483647,
                "i64v": i64::MIN,
                "d": -0.0,
                "s": "héllo \"q\" ✓\u{0}",
                "bin": "AAH/",
                "u": U1,
                "color": 4,
                "ints": [i32::MIN, 0, i32::MAX],
                "names": ["a", "b"],
                "items": {"k": {"id": i64::MAX, "item_name": "one"}, "e": {"id": -1}},
                "by_id": {"5": [1, 2], "-6": []},
                "by_point": [[{"x": 1, "y": 2}, "p"], [{"x": -1, "y": 7}, ""]],
                "flags": {"true": 0.5, "false": -1.0},
                "ratios": {"0.25": 1, "-1e300": -128},
                "nested": [[{"a": [1, 2]}, {}], []],
                "shape": {"radius": 2.5},
                "point": {"x": 3, "y": 4},
                "bools": [true, false, true, true],
                "blobs": {"AAH/": U2, "": NIL},
            }),
        ),
        (
            "All",
            json!({
                "b": false,
                "i8v": 127,
                "i16v": 32767,
                "i32v": i32::MIN,
                "i64v": i64::MAX,
                "d": f64::MAX,
                "s": "",
                "bin": "",
                "u": NIL,
                "color": 1,
                "ints": [],
                "names": [],
                "items": {},
                "by_id": {},
                "by_point": [],
                "flags": {},
                "ratios": {},
                "nested": [],
                "shape": {"point": {"x": 0, "y": 7}},
                "bools": [],
                "blobs": {},
            }),
        ),
        (
            "All",
            json!({"d": 5e-324, "i64v": -1, "i32v": -1, "u": MAX}),
        ),
        ("All", json!({"d": f64::MIN_POSITIVE, "b": true})),
        ("All", json!({"d": 0.1 + 0.2, "b": false})),
        ("All", json!({})),
        (
            "Ids",
            json!({
                "neg_flag": true,
                "far_neg": i64::MIN,
                "pos_flag": false,
                "delta15": "fifteen",
                "empty": {},
                "bools": [false, true],
                "d": -1e-300,
            }),
        ),
        (
            "Ids",
            json!({"pos_flag": true, "neg_flag": false, "empty": {"k": -1}, "d": 1e300}),
        ),
        (
            "Uuids",
            json!({
                "one": U1,
                "neg": MAX,
                "many": [U1, NIL, U2, U1],
                "distinct": [U2, U1],
                "pairs": {U1: U2, NIL: MAX},
                "groups": {U2: [U1, U2], U1: []},
                "named": {"x": U1, "": NIL},
            }),
        ),
        (
            "Uuids",
            json!({
                "neg": NIL,
                "many": fifteen,
                "distinct": [],
                "pairs": {},
                "groups": {MAX: [NIL]},
            }),
        ),
        ("Uuids", json!({})),
    ]
}

#[test]
fn apache_decodes_our_structs() {
    let pool = pool();
    let mut peer = Peer::start();
    let opts = Options::default();
    let lim = Limits::default();
    for (ty, sample) in samples() {
        let desc = pool.find_struct(ty).expect("sample type");
        let expected = struct_tree(desc, &sample);
        for p in PROTOCOLS {
            let mut bytes = BytesMut::new();
            encode_struct_json(desc, sample.to_string().as_bytes(), p, &opts, &mut bytes)
                .expect("sample encodes");
            let got = peer.decode(p, &bytes);
            assert_eq!(got, expect_tree(p, &expected)["value"], "{p:?} {sample}");

            // The Value writer too.
            let value = decode_struct_value(desc, &bytes, p, &opts, &lim).expect("decodes");
            let mut again = BytesMut::new();
            encode_struct_value(desc, &value, p, &opts, &mut again).expect("re-encodes");
            let got = peer.decode(p, &again);
            assert_eq!(
                got,
                expect_tree(p, &expected)["value"],
                "{p:?} Value {sample}"
            );
        }
    }
}

#[test]
fn we_decode_apache_structs() {
    let pool = pool();
    let mut peer = Peer::start();
    let opts = Options::default();
    let lim = Limits::default();
    for (ty, sample) in samples() {
        let desc = pool.find_struct(ty).expect("sample type");
        let tree = struct_tree(desc, &sample);
        for p in PROTOCOLS {
            let bytes = peer.encode(p, &tree);
            let (text, used) =
                decode_struct_json(desc, &bytes, p, &opts, &lim, false).expect("we decode");
            assert_eq!(used, bytes.len(), "{p:?}: the whole struct is read");
            let got: Json = serde_json::from_str(&text).expect("our output is JSON");
            assert_eq!(got, sample, "{p:?}");
            // Doubles to the bit.
            if let (Some(a), Some(b)) = (got.get("d"), sample.get("d")) {
                let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
                assert_eq!(a.to_bits(), b.to_bits(), "{p:?}: {b}");
            }
        }
    }
}

/// Wire order and rendering are pinned exactly for one struct: fields come
/// out in the order Apache wrote them (-1, -2, -300, 1, 16, 2, 32, so
/// Compact uses long headers for negative and backward ids and a short one
/// for the delta of 15 from 1 to 16).
#[test]
fn apache_bytes_render_exactly() {
    let pool = pool();
    let mut peer = Peer::start();
    let desc = pool.find_struct("Ids").expect("Ids");
    let tree = json!({"type": "struct", "value": {
        "-1": {"type": "bool", "value": false},
        "-2": {"type": "list", "elem": "bool", "value": [
            {"type": "bool", "value": true}, {"type": "bool", "value": false}]},
        "-300": {"type": "i64", "value": -9223372036854775808_i64},
        "1": {"type": "bool", "value": true},
        "16": {"type": "string", "value": b64("ü".as_bytes())},
        "2": {"type": "double", "value": 2.5},
        "32": {"type": "map", "key": "string", "val": "i32", "value": []},
    }});
    for p in PROTOCOLS {
        let bytes = peer.encode(p, &tree);
        let (text, _) = decode_struct_json(
            desc,
            &bytes,
            p,
            &Options::default(),
            &Limits::default(),
            false,
        )
        .expect("we decode");
        assert_eq!(
            text,
            r#"{"neg_flag":false,"bools":[true,false],"far_neg":-9223372036854775808,"pos_flag":true,"delta15":"ü","d":2.5,"empty":{}}"#,
            "{p:?}"
        );
    }
}

#[test]
fn call_messages_both_ways() {
    let pool = pool();
    let mut peer = Peer::start();
    let opts = Options::default();
    let lim = Limits::default();
    let req = json!({
        "items": {"k": {"id": 5, "item_name": "five"}},
        "points": [{"x": 1, "y": 2}, {"x": -3, "y": 7}],
    });
    let cases = [
        ("Codec", "Echo", req.clone(), json!({"req": req}), 1, 42),
        (
            "Codec",
            "Add",
            json!({"a": -1, "b": i64::MAX}),
            json!({"a": -1, "b": i64::MAX}),
            1,
            i32::MIN,
        ),
        (
            "Codec",
            "Fire",
            json!({"event": "boom"}),
            json!({"event": "boom"}),
            4,
            0,
        ),
        (
            "Codec",
            "Check",
            json!({"flag": false}),
            json!({"flag": false}),
            1,
            i32::MAX,
        ),
        ("Codec", "Ping", json!({}), json!({}), 1, -1),
        (
            "UuidCodec",
            "Next",
            json!({"after": U2, "seen": [U1, NIL]}),
            json!({"after": U2, "seen": [U1, NIL]}),
            1,
            9,
        ),
    ];
    for (svc, method, args, keyed, mtype, seq) in cases {
        let m = pool
            .service(svc)
            .and_then(|s| s.method(method))
            .expect("method");
        let body = struct_tree(m.args(), &keyed);
        for p in PROTOCOLS {
            // Ours → Apache.
            let mut bytes = BytesMut::new();
            encode_call_json(m, args.to_string().as_bytes(), seq, p, &opts, &mut bytes)
                .expect("call encodes");
            let got = peer.decode_message(p, &bytes);
            let expected = json!({
                "name": method, "type": mtype, "seqid": seq,
                "body": expect_tree(p, &body)["value"],
            });
            assert_eq!(got, expected, "{p:?} {method}");

            // Apache → ours.
            let bytes = peer.encode_message(
                p,
                &json!({"name": method, "type": mtype, "seqid": seq, "body": body}),
            );
            let env = read_envelope(&bytes, p, &lim).expect("envelope");
            assert_eq!(env.header.name, method);
            assert_eq!(env.header.seq_id, seq);
            let want = if mtype == 4 {
                MessageType::Oneway
            } else {
                MessageType::Call
            };
            assert_eq!(env.header.message_type, want);
            let text = decode_args_json(m, &bytes[env.body..], p, &opts, &lim, false)
                .expect("args decode");
            let got: Json = serde_json::from_str(&text).expect("JSON");
            assert_eq!(got, args, "{p:?} {method}");
        }
    }
}

#[test]
fn apache_replies_decode() {
    let pool = pool();
    let svc = pool.service("Codec").expect("Codec");
    let echo = svc.method("Echo").expect("Echo");
    let ping = svc.method("Ping").expect("Ping");
    let next = pool
        .service("UuidCodec")
        .and_then(|s| s.method("Next"))
        .expect("Next");
    let mut peer = Peer::start();
    let opts = Options::default();
    let lim = Limits::default();
    let resp = echo.result().field_by_id(0).expect("success").ty();
    let oops = echo.result().field_by_id(1).expect("oops").ty();
    for p in PROTOCOLS {
        let success = json!({"type": "struct", "value": {
            "0": tree(resp, &json!({"msg": "hi", "n": -9}))}});
        let bytes = peer.encode_message(
            p,
            &json!({"name": "Echo", "type": 2, "seqid": 5, "body": success}),
        );
        assert_eq!(
            decode_reply_json(echo, &bytes, p, &opts, &lim, false).expect("reply"),
            Reply::Success(r#"{"msg":"hi","n":-9}"#.to_owned())
        );

        let thrown = json!({"type": "struct", "value": {
            "1": tree(oops, &json!({"code": 7, "why": "no"}))}});
        let bytes = peer.encode_message(
            p,
            &json!({"name": "Echo", "type": 2, "seqid": 5, "body": thrown}),
        );
        assert_eq!(
            decode_reply_json(echo, &bytes, p, &opts, &lim, false).expect("reply"),
            Reply::Exception {
                name: "oops".to_owned(),
                value: r#"{"code":7,"why":"no"}"#.to_owned()
            }
        );

        let void = json!({"type": "struct", "value": {}});
        let bytes = peer.encode_message(
            p,
            &json!({"name": "Ping", "type": 2, "seqid": 6, "body": void}),
        );
        assert_eq!(
            decode_reply_json(ping, &bytes, p, &opts, &lim, false).expect("reply"),
            Reply::Void
        );

        // A uuid result, its wire bytes given literally.
        let uuid = json!({"type": "struct", "value": {
            "0": {"type": "uuid", "value": "f81d4fae7dec11d0a76500a0c91e6bf6"}}});
        let bytes = peer.encode_message(
            p,
            &json!({"name": "Next", "type": 2, "seqid": 8, "body": uuid}),
        );
        assert_eq!(
            decode_reply_json(next, &bytes, p, &opts, &lim, false).expect("reply"),
            Reply::Success(r#""f81d4fae-7dec-11d0-a765-00a0c91e6bf6""#.to_owned())
        );

        // TApplicationException: 1: string message, 2: i32 type.
        let app = json!({"type": "struct", "value": {
            "1": {"type": "string", "value": b64(b"Unknown method Nope")},
            "2": {"type": "i32", "value": 1}}});
        let bytes = peer.encode_message(
            p,
            &json!({"name": "Echo", "type": 3, "seqid": 7, "body": app}),
        );
        match decode_reply_json(echo, &bytes, p, &opts, &lim, false).expect("reply") {
            Reply::Application(ex) => {
                assert_eq!(ex.kind(), TApplicationExceptionType::UNKNOWN_METHOD);
                assert_eq!(ex.message(), "Unknown method Nope");
            }
            other => panic!("{p:?}: {other:?}"),
        }
    }
}
