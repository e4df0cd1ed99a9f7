//! Fixtures and the measured operations, shared by the `transcode`
//! (criterion, wall time) and `instructions` (callgrind, instruction
//! counts) benches.
//!
//! Fixtures come from `testdata/codec/bench/` (`bench.thrift`, struct
//! `Request`): `1k` is `request.json` (about 1 KB of Thrift Binary),
//! `100b` keeps its ids and a short user, `6k` and `150k` repeat its list
//! of line items 11 and 320 times (about 6.4 KB and 150 KB of JSON),
//! `1k-sorted` is `1k` with sorted object keys.
//!
//! | direction | dynamic | typed (hand-written typed baseline) |
//! |---|---|---|
//! | `json_to_thrift` | `encode_struct_json` (JSON text → bytes, no tree) | `serde_json` → structs → `encode` |
//! | `thrift_to_json` | `JsonView` + `serde_json` writer (bytes → JSON text, no tree) | `decode` → structs → `serde_json` |
//! | `value_encode` | `encode_struct_value` (`Value` → bytes) | structs → `encode` |
//! | `value_decode` | `decode_struct_value` (bytes → `Value`) | bytes → `decode` → structs |

use std::hint::black_box;
use std::path::Path;

use anycall_codec::call::{decode_struct_value, encode_struct_json, encode_struct_value};
use anycall_codec::dynamic::json::{JsonView, to_json_writer};
use anycall_codec::thrift::{BinaryReader, BinaryWriter, Protocol};
use anycall_codec::{Limits, Options, Struct};
use anycall_idl::{Loader, Pool, StructDescriptor};
use bytes::BytesMut;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::typed;

/// One payload in both encodings.
pub(crate) struct Fixture {
    pub(crate) name: &'static str,
    pub(crate) json: Vec<u8>,
    pub(crate) thrift: BytesMut,
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    JsonToThrift,
    ThriftToJson,
    ValueEncode,
    ValueDecode,
}

impl Direction {
    pub(crate) const ALL: [Direction; 4] = [
        Direction::JsonToThrift,
        Direction::ThriftToJson,
        Direction::ValueEncode,
        Direction::ValueDecode,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Direction::JsonToThrift => "json_to_thrift",
            Direction::ThriftToJson => "thrift_to_json",
            Direction::ValueEncode => "value_encode",
            Direction::ValueDecode => "value_decode",
        }
    }
}

/// Which implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Dynamic,
    Typed,
    /// The JSON text's share alone, which both other sides pay: serde_json
    /// handing every token of the text to a visitor that keeps nothing
    /// ([`Walk`], JSON -> Thrift), or serde_json
    /// writing the already decoded typed struct (Thrift -> JSON). Only
    /// for the two JSON directions.
    Floor,
}

impl Side {
    pub(crate) const ALL: [Side; 2] = [Side::Dynamic, Side::Typed];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Side::Dynamic => "dynamic",
            Side::Typed => "typed",
            Side::Floor => "floor",
        }
    }
}

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/codec/bench")
}

pub(crate) fn pool() -> Pool {
    Loader::new()
        .load(dir().join("bench.thrift").to_string_lossy())
        .expect("bench.thrift loads")
}

/// The fixture names, smallest first.
pub(crate) const NAMES: [&str; 5] = ["100b", "1k", "6k", "150k", "1k-sorted"];

/// The fixtures. JSON keys come in IDL order (as code generated from the
/// IDL writes them), except in `1k-sorted`, whose object keys are sorted (as
/// Go's `encoding/json` writes a `map[string]interface{}`).
pub(crate) fn fixtures(pool: &Pool) -> Vec<Fixture> {
    NAMES.into_iter().map(|name| fixture(pool, name)).collect()
}

/// One fixture of [`NAMES`], built alone.
pub(crate) fn fixture(pool: &Pool, name: &'static str) -> Fixture {
    let text = std::fs::read(dir().join("request.json")).expect("request.json");
    let one: typed::Request = serde_json::from_slice(&text).expect("request.json parses");
    let with_items = |copies: usize| {
        let mut r = one.clone();
        for _ in 1..copies {
            r.items.extend(one.items.iter().cloned());
        }
        r
    };
    let json = match name {
        "100b" => {
            // About 100 bytes: ids, a short user, no containers.
            let mut small = one.clone();
            small.user.email.clear();
            small.user.address = typed::Address::default();
            small.user.tags.clear();
            small.items.clear();
            small.headers.clear();
            small.signature.clear();
            small.counters.clear();
            small.note = None;
            serde_json::to_vec(&small)
        }
        "1k" => serde_json::to_vec(&one),
        "6k" => serde_json::to_vec(&with_items(11)),
        "150k" => serde_json::to_vec(&with_items(320)),
        "1k-sorted" => serde_json::to_vec(&sort_keys(
            serde_json::from_slice(&text).expect("request.json is JSON"),
        )),
        other => panic!("no fixture named {other}"),
    }
    .expect("fixture renders");
    pin_text(name, &json);
    let desc = pool.find_struct("Request").expect("Request");
    let mut thrift = BytesMut::new();
    encode_struct_json(
        desc,
        &json,
        Protocol::Binary,
        &Options::default(),
        &mut thrift,
    )
    .expect("fixture encodes");
    check_same(&json, &thrift);
    Fixture { name, json, thrift }
}

/// The JSON text of the fixtures that other programs read too (the
/// dynamicgo anchor of `bench/run`) lives in `testdata/codec/bench/fixtures/`;
/// it must be what this file builds (`UPDATE_GOLDEN=1` rewrites it).
fn pin_text(name: &str, json: &[u8]) {
    if name == "1k-sorted" {
        return;
    }
    let path = dir().join("fixtures").join(format!("{name}.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(dir().join("fixtures")).expect("fixtures dir");
        std::fs::write(&path, json).expect("fixture written");
        return;
    }
    let pinned = std::fs::read(&path).unwrap_or_default();
    assert!(
        pinned == json,
        "{} differs from the {name} fixture built here; rerun with UPDATE_GOLDEN=1",
        path.display()
    );
}

/// The value with every object's keys in sorted order.
fn sort_keys(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(o) => {
            let mut entries: Vec<_> = o.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries
                .into_iter()
                .map(|(k, v)| (k, sort_keys(v)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        }
        serde_json::Value::Array(a) => a.into_iter().map(sort_keys).collect(),
        other => other,
    }
}

/// Both sides must do the same work: the dynamic bytes decode with the
/// typed baseline's types to what serde reads from the JSON.
fn check_same(json: &[u8], thrift: &[u8]) {
    let from_json: typed::Request = serde_json::from_slice(json).expect("serde reads fixture");
    let from_bytes =
        typed::Request::decode(&mut BinaryReader::new(thrift)).expect("typed baseline decodes");
    assert_eq!(from_json, from_bytes, "dynamic and typed bytes agree");
    let mut again = BytesMut::new();
    from_bytes
        .encode(&mut BinaryWriter::new(&mut again))
        .expect("typed baseline encodes");
    assert_eq!(again.len(), thrift.len(), "same encoded size");
}

/// A fixture with everything each operation needs, and reused buffers.
pub(crate) struct Prepared<'p, 'f> {
    desc: StructDescriptor<'p>,
    pub(crate) fx: &'f Fixture,
    opts: Options,
    limits: Limits,
    value: Struct,
    typed: typed::Request,
    out: BytesMut,
    text: Vec<u8>,
}

impl<'p, 'f> Prepared<'p, 'f> {
    pub(crate) fn new(pool: &'p Pool, fx: &'f Fixture) -> Self {
        let desc = pool.find_struct("Request").expect("Request");
        let opts = Options::default();
        let limits = Limits::default();
        let value = decode_struct_value(desc, &fx.thrift, Protocol::Binary, &opts, &limits)
            .expect("value decodes");
        let typed = typed::Request::decode(&mut BinaryReader::new(&fx.thrift)).expect("decodes");
        Self {
            desc,
            fx,
            opts,
            limits,
            value,
            typed,
            out: BytesMut::with_capacity(fx.thrift.len() * 2),
            text: Vec::with_capacity(fx.json.len() * 2),
        }
    }

    /// Runs one operation once; returns a size so nothing is optimised away.
    #[inline]
    pub(crate) fn run(&mut self, d: Direction, side: Side) -> usize {
        let fx = self.fx;
        match (d, side) {
            (Direction::JsonToThrift, Side::Dynamic) => {
                self.out.clear();
                encode_struct_json(
                    self.desc,
                    black_box(&fx.json),
                    Protocol::Binary,
                    &self.opts,
                    &mut self.out,
                )
                .expect("encodes");
                self.out.len()
            }
            (Direction::JsonToThrift, Side::Typed) => {
                self.out.clear();
                let req: typed::Request =
                    serde_json::from_slice(black_box(&fx.json)).expect("parses");
                req.encode(&mut BinaryWriter::new(&mut self.out))
                    .expect("encodes");
                self.out.len()
            }
            (Direction::ThriftToJson, Side::Dynamic) => {
                self.text.clear();
                let view = JsonView::new_struct(
                    black_box(&fx.thrift),
                    Protocol::Binary,
                    self.desc,
                    self.opts,
                )
                .limits(self.limits);
                to_json_writer(&view, &mut self.text, false).expect("renders");
                self.text.len()
            }
            (Direction::ThriftToJson, Side::Typed) => {
                self.text.clear();
                let req = typed::Request::decode(&mut BinaryReader::new(black_box(&fx.thrift)))
                    .expect("decodes");
                serde_json::to_writer(&mut self.text, &req).expect("renders");
                self.text.len()
            }
            (Direction::ValueEncode, Side::Dynamic) => {
                self.out.clear();
                encode_struct_value(
                    self.desc,
                    black_box(&self.value),
                    Protocol::Binary,
                    &self.opts,
                    &mut self.out,
                )
                .expect("encodes");
                self.out.len()
            }
            (Direction::ValueEncode, Side::Typed) => {
                self.out.clear();
                black_box(&self.typed)
                    .encode(&mut BinaryWriter::new(&mut self.out))
                    .expect("encodes");
                self.out.len()
            }
            (Direction::ValueDecode, Side::Dynamic) => decode_struct_value(
                self.desc,
                black_box(&fx.thrift),
                Protocol::Binary,
                &self.opts,
                &self.limits,
            )
            .expect("decodes")
            .len(),
            (Direction::JsonToThrift, Side::Floor) => {
                let mut de = serde_json::Deserializer::from_slice(black_box(&fx.json));
                Walk.deserialize(&mut de).expect("parses")
            }
            (Direction::ThriftToJson, Side::Floor) => {
                self.text.clear();
                serde_json::to_writer(&mut self.text, black_box(&self.typed)).expect("renders");
                self.text.len()
            }
            (Direction::ValueEncode | Direction::ValueDecode, Side::Floor) => {
                unreachable!("no floor for the Value directions")
            }
            (Direction::ValueDecode, Side::Typed) => {
                typed::Request::decode(&mut BinaryReader::new(black_box(&fx.thrift)))
                    .expect("decodes")
                    .items
                    .len()
            }
        }
    }
}

/// Visits every token of a JSON text and keeps nothing: strings and keys
/// arrive parsed (escapes resolved, UTF-8 checked), numbers as numbers,
/// as in any serde-driven reader. Returns the number of tokens.
#[derive(Clone, Copy)]
pub(crate) struct Walk;

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<usize, E> {
        Ok(black_box(v) as usize)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<usize, E> {
        Ok(black_box(v) as usize)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
        Ok(black_box(v) as usize)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<usize, E> {
        Ok(black_box(v) as usize)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        Ok(black_box(v).len())
    }

    fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
        Ok(1)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 1;
        while let Some(k) = seq.next_element_seed(Walk)? {
            n += k;
        }
        Ok(n)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut n = 1;
        while let Some(k) = map.next_key_seed(Key)? {
            n += k + map.next_value_seed(Walk)?;
        }
        Ok(n)
    }
}

/// An object key, parsed as a string.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(Walk)
    }
}
