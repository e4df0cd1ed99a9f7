//! Shared descriptors and round-trip oracles for the `codec_*` targets.
//!
//! The first input byte chooses what is fuzzed; the rest is the payload:
//!
//! ```text
//! bit  0     protocol: 0 Binary, 1 Compact
//! bits 1..3  target: a struct (bytes targets) or a struct / method (JSON target)
//! bit  4     Options::i64_as_string
//! bit  5     Options::enum_as_name
//! bit  6     Options::binary = Text (else Base64)
//! bit  7     Options::read_defaults
//! ```
//!
//! Oracles, beyond "no panic":
//!
//! * bytes → `Value`: a value that decodes encodes again, and that encoding
//!   decodes and re-encodes to the same bytes (a fixed point);
//! * bytes → JSON: JSON that renders parses back through the encoder, the
//!   result is a fixed point, and it decodes to the same `Value` as the
//!   original bytes (nothing is lost in the text);
//! * JSON → bytes: bytes that encode render to JSON that encodes to the very
//!   same bytes, and the `Value` path re-encodes them unchanged too;
//! * the direct JSON scanner and writer (the default paths) against the
//!   serde-driven reference (`dynamic::json::reference`): the same bytes or
//!   JSON, or errors of the same kind (the same message, but for syntax
//!   errors, which both word in their own way).

#![allow(dead_code, reason = "each target uses part of the shared code")]

use std::sync::LazyLock;

use anycall_codec::call::{
    decode_args_json, decode_args_value, decode_struct_json, decode_struct_value, encode_call_json,
    encode_call_value, encode_struct_json, encode_struct_value, read_envelope,
};
use anycall_codec::dynamic::json::{JsonView, reference, to_json_writer, write_json_struct};
use anycall_codec::dynamic::value::{read_value, write_value};
use anycall_codec::thrift::{Protocol, ProtocolReader, ProtocolWriter};
use anycall_codec::{BinaryFormat, ErrorKind, Limits, NonFinite, Options};
use anycall_idl::{Loader, MethodDescriptor, Pool, StructDescriptor};
use bytes::BytesMut;

/// `all_types.thrift` plus recursive shapes to reach the depth limits.
const FUZZ_IDL: &str = r#"
include "all_types.thrift"

struct Tree {
    1: optional list<Tree> kids,
    2: optional map<string, Tree> named,
    3: optional Tree next,
    4: optional all_types.Shape shape,
    5: required i16 tag,
}

struct Fuzz {
    1: all_types.All all,
    2: Tree tree,
    3: map<all_types.Point, list<Tree>> odd,
    -4: bool neg,
    5: set<list<i64>> sets,
    6: map<i16, all_types.Color> colors,
}
"#;

pub static POOL: LazyLock<Pool> = LazyLock::new(|| {
    Loader::in_memory()
        .file(
            "all_types.thrift",
            include_str!("../../../testdata/codec/all_types.thrift"),
        )
        .file("fuzz.thrift", FUZZ_IDL)
        .load("fuzz.thrift")
        .expect("fuzz IDL loads")
});

const STRUCTS: [&str; 8] = [
    "All", "Fuzz", "Tree", "Req", "Resp", "Point", "Shape", "Item",
];
const METHODS: [&str; 5] = ["Echo", "Add", "Ping", "Fire", "Check"];

pub struct Case<'d> {
    pub protocol: Protocol,
    pub target: usize,
    pub opts: Options,
    pub payload: &'d [u8],
}

pub fn case(data: &[u8]) -> Option<Case<'_>> {
    let (&sel, payload) = data.split_first()?;
    let opts = Options {
        i64_as_string: sel & 0x10 != 0,
        enum_as_name: sel & 0x20 != 0,
        binary: if sel & 0x40 != 0 {
            BinaryFormat::Text
        } else {
            BinaryFormat::Base64
        },
        read_defaults: sel & 0x80 != 0,
        // Doubles must survive the trip through text.
        non_finite: NonFinite::String,
        ..Options::default()
    };
    Some(Case {
        protocol: if sel & 1 == 0 {
            Protocol::Binary
        } else {
            Protocol::Compact
        },
        target: usize::from((sel >> 1) & 7),
        opts,
        payload,
    })
}

pub fn strukt(i: usize) -> StructDescriptor<'static> {
    POOL.find_struct(STRUCTS[i % STRUCTS.len()])
        .expect("fuzz struct")
}

pub fn method(i: usize) -> MethodDescriptor<'static> {
    POOL.service("Codec")
        .and_then(|s| s.method(METHODS[i % METHODS.len()]))
        .expect("fuzz method")
}

/// Small limits so deep and long inputs hit them quickly.
pub fn limits() -> Limits {
    Limits {
        max_container_len: 4096,
        max_string_len: 1 << 16,
        ..Limits::default()
    }
}

/// Options for writing back what was read: absent fields stay absent, and
/// what the reader let through (a union with no field or several, repeated
/// set elements) is written back as it was.
fn rewrite_opts(opts: &Options) -> Options {
    Options {
        write_defaults: false,
        strict: false,
        ..*opts
    }
}

fn encode_value(desc: StructDescriptor<'_>, v: &anycall_codec::Struct, c: &Case<'_>) -> BytesMut {
    let mut out = BytesMut::new();
    encode_struct_value(desc, v, c.protocol, &rewrite_opts(&c.opts), &mut out)
        .unwrap_or_else(|e| panic!("a decoded value re-encodes: {e}\n{v:?}"));
    out
}

/// Equal `Value`s; when `==` says no, compared again through `Debug`, where
/// NaN equals NaN whatever its payload.
fn same<T: PartialEq + std::fmt::Debug>(a: &T, b: &T) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// bytes → `Value` → bytes → `Value` → bytes.
pub fn bytes_to_value(data: &[u8]) {
    let Some(c) = case(data) else { return };
    let lim = limits();
    let desc = strukt(c.target);
    if let Ok(v1) = decode_struct_value(desc, c.payload, c.protocol, &c.opts, &lim) {
        let b2 = encode_value(desc, &v1, &c);
        let v2 = decode_struct_value(desc, &b2, c.protocol, &c.opts, &lim)
            .unwrap_or_else(|e| panic!("re-encoded bytes decode: {e}\n{v1:?}"));
        let b3 = encode_value(desc, &v2, &c);
        assert_eq!(b2, b3, "value re-encoding is a fixed point");
        if !c.opts.read_defaults {
            // The writer puts struct fields in id order; the reader keeps
            // the order of the bytes.
            let (v1, v2) = (in_name_order_struct(&v1), in_name_order_struct(&v2));
            assert!(same(&v1, &v2), "{v1:?}\n!=\n{v2:?}");
        }
    }

    // The same bytes as a bare value of the struct's type, through the
    // generic reader/writer over a protocol chosen at run time.
    let Some(ty) = POOL
        .find_struct("Fuzz")
        .and_then(|f| f.field(c.target % 6))
        .map(|f| f.ty())
    else {
        return;
    };
    let mut r = ProtocolReader::new(c.protocol, c.payload, lim);
    if let Ok(v) = read_value(&mut r, ty, &c.opts) {
        let mut out = BytesMut::new();
        write_value(
            &mut ProtocolWriter::new(c.protocol, &mut out),
            ty,
            &v,
            &rewrite_opts(&c.opts),
        )
        .unwrap_or_else(|e| panic!("a read value writes: {e}\n{v:?}"));
        let mut r = ProtocolReader::new(c.protocol, &out, lim);
        let back = read_value(&mut r, ty, &c.opts)
            .unwrap_or_else(|e| panic!("a written value reads: {e}\n{v:?}"));
        if !c.opts.read_defaults {
            let (v, back) = (in_name_order(&v), in_name_order(&back));
            assert!(same(&v, &back), "{v:?}\n!=\n{back:?}");
        }
    }
}

/// Ok bytes, or the error's kind and field path (syntax errors by kind
/// only; the reference may quote a number differently from the text).
fn verdict<T>(r: anycall_codec::Result<T>) -> Result<T, (ErrorKind, String)> {
    r.map_err(|e| {
        let path = if e.kind() == ErrorKind::Json { String::new() } else { e.path_string() };
        (e.kind(), path)
    })
}

/// The scanner and the reference read `json` alike.
fn scanner_agrees(desc: StructDescriptor<'_>, json: &[u8], c: &Case<'_>) {
    let run = |new: bool| {
        let mut out = BytesMut::new();
        let mut w = ProtocolWriter::new(c.protocol, &mut out);
        let r = if new {
            write_json_struct(&mut w, desc, json, &c.opts)
        } else {
            reference::write_json_struct(&mut w, desc, json, &c.opts)
        };
        verdict(r).map(|()| out)
    };
    let (new, old) = (run(true), run(false));
    assert_eq!(new, old, "scanner and reference differ on {:?}", String::from_utf8_lossy(json));
}

/// The direct writer and the reference render `bytes` alike, errors
/// included.
fn writer_agrees(desc: StructDescriptor<'_>, bytes: &[u8], c: &Case<'_>) {
    let run = |new: bool| {
        let view = JsonView::new_struct(bytes, c.protocol, desc, c.opts).limits(limits());
        let mut out = Vec::new();
        let r = if new {
            to_json_writer(&view, &mut out, false)
        } else {
            reference::to_json_writer(&view, &mut out, false)
        };
        // No serde in these errors: the very same message.
        r.map(|()| (out, view.consumed()))
            .map_err(|e| (e.kind(), e.to_string()))
    };
    let (new, old) = (run(true), run(false));
    assert_eq!(new, old, "writer and reference differ");
}

fn json_of(desc: StructDescriptor<'_>, bytes: &[u8], c: &Case<'_>, pretty: bool) -> String {
    decode_struct_json(desc, bytes, c.protocol, &c.opts, &limits(), pretty)
        .unwrap_or_else(|e| panic!("re-encoded bytes render: {e}"))
        .0
}

fn bytes_of(desc: StructDescriptor<'_>, json: &str, c: &Case<'_>) -> BytesMut {
    let mut out = BytesMut::new();
    encode_struct_json(
        desc,
        json.as_bytes(),
        c.protocol,
        &rewrite_opts(&c.opts),
        &mut out,
    )
    .unwrap_or_else(|e| panic!("rendered JSON encodes: {e}\n{json}"));
    out
}

/// bytes → JSON → bytes → JSON → bytes, and the `Value` path agrees.
pub fn bytes_to_json(data: &[u8]) {
    let Some(c) = case(data) else { return };
    let lim = limits();
    let desc = strukt(c.target);
    writer_agrees(desc, c.payload, &c);
    let pretty = c.payload.first().is_some_and(|b| b & 1 == 1);
    let Ok((j1, used)) = decode_struct_json(desc, c.payload, c.protocol, &c.opts, &lim, pretty)
    else {
        return;
    };
    assert!(used <= c.payload.len());
    let b2 = bytes_of(desc, &j1, &c);
    let j2 = json_of(desc, &b2, &c, false);
    let b3 = bytes_of(desc, &j2, &c);
    assert_eq!(b2, b3, "JSON re-encoding is a fixed point\n{j1}\n{j2}");
    if c.opts.read_defaults {
        return;
    }
    // Nothing lost in the text: the original bytes and the bytes made from
    // their JSON hold the same value.
    let v1 = decode_struct_value(desc, c.payload, c.protocol, &c.opts, &lim)
        .unwrap_or_else(|e| panic!("bytes that render as JSON decode as a Value: {e}\n{j1}"));
    let v2 = decode_struct_value(desc, &b2, c.protocol, &c.opts, &lim)
        .unwrap_or_else(|e| panic!("bytes made from JSON decode as a Value: {e}\n{j1}"));
    // Struct fields are compared in name order: encoding from JSON writes
    // them in id order, whatever order the original bytes had.
    let (v1, v2) = (in_name_order_struct(&v1), in_name_order_struct(&v2));
    assert!(same(&v1, &v2), "JSON lost data\n{j1}\n{v1:?}\n!=\n{v2:?}");
}

fn in_name_order_struct(s: &anycall_codec::Struct) -> anycall_codec::Value {
    let mut fields: Vec<(String, anycall_codec::Value)> = s
        .iter()
        .map(|(k, v)| (k.to_owned(), in_name_order(v)))
        .collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    anycall_codec::Value::structure(fields)
}

/// `v` with the fields of every struct in it sorted by name.
fn in_name_order(v: &anycall_codec::Value) -> anycall_codec::Value {
    use anycall_codec::Value;
    match v {
        Value::Struct(s) => in_name_order_struct(s),
        Value::List(items) => Value::List(items.iter().map(in_name_order).collect()),
        Value::Set(items) => Value::Set(items.iter().map(in_name_order).collect()),
        Value::Map(pairs) => Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (in_name_order(k), in_name_order(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// JSON → bytes → JSON → bytes must give the same bytes, by both paths.
pub fn json_to_bytes(data: &[u8]) {
    let Some(mut c) = case(data) else { return };
    // Defaults filled on read would make the second encoding differ.
    c.opts.read_defaults = false;
    let lim = limits();
    let json = c.payload;
    if c.target < 4 {
        let desc = strukt(c.target);
        scanner_agrees(desc, json, &c);
        let mut b1 = BytesMut::new();
        if encode_struct_json(desc, json, c.protocol, &c.opts, &mut b1).is_err() {
            return;
        }
        let j1 = json_of(desc, &b1, &c, false);
        let b2 = bytes_of(desc, &j1, &c);
        assert_eq!(b1, b2, "bytes → JSON → bytes\n{j1}");
        let v = decode_struct_value(desc, &b1, c.protocol, &c.opts, &lim)
            .unwrap_or_else(|e| panic!("encoded JSON decodes as a Value: {e}\n{j1}"));
        assert_eq!(b1, encode_value(desc, &v, &c), "bytes → Value → bytes");
        return;
    }

    let m = method(c.target - 4);
    let mut b1 = BytesMut::new();
    if encode_call_json(m, json, 7, c.protocol, &c.opts, &mut b1).is_err() {
        return;
    }
    let env = read_envelope(&b1, c.protocol, &lim).expect("our envelope reads");
    assert_eq!(env.header.name, m.name());
    assert_eq!(env.header.seq_id, 7);
    let body = &b1[env.body..];
    let j1 = decode_args_json(m, body, c.protocol, &c.opts, &lim, false)
        .unwrap_or_else(|e| panic!("encoded args render: {e}"));
    let mut b2 = BytesMut::new();
    encode_call_json(
        m,
        j1.as_bytes(),
        7,
        c.protocol,
        &rewrite_opts(&c.opts),
        &mut b2,
    )
    .unwrap_or_else(|e| panic!("rendered args encode: {e}\n{j1}"));
    assert_eq!(b1, b2, "call → JSON → call\n{j1}");
    let v = decode_args_value(m, body, c.protocol, &c.opts, &lim)
        .unwrap_or_else(|e| panic!("encoded args decode as a Value: {e}\n{j1}"));
    let mut b3 = BytesMut::new();
    encode_call_value(m, &v, 7, c.protocol, &rewrite_opts(&c.opts), &mut b3)
        .unwrap_or_else(|e| panic!("decoded args re-encode: {e}\n{v:?}"));
    assert_eq!(b1, b3, "call → Value → call\n{v:?}");
}
