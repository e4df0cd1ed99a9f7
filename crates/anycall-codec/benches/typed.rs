//! The hand-written typed baseline: Rust types for
//! `testdata/codec/bench/bench.thrift` written by hand the way pilota/Volo
//! generate them — serde derives for JSON, and a Thrift encode/decode that
//! matches on field ids over the same `BinaryWriter`/`BinaryReader` the
//! dynamic codec uses. It is not the output of a code generator: pilota's
//! own encoders (and their buffers) would measure differently.

use std::collections::HashMap;

use anycall_codec::thrift::{Reader, TType, Writer};
use anycall_codec::{Error, Result};
use serde::{Deserialize, Serialize};

/// Maps hash with foldhash, as generated code hashes with ahash (with a
/// fixed seed, so instruction counts repeat from run to run).
pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Address {
    pub(crate) street: String,
    pub(crate) city: String,
    pub(crate) country: String,
    pub(crate) zip: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct User {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) address: Address,
    pub(crate) tags: Vec<String>,
    pub(crate) status: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct LineItem {
    pub(crate) sku: i64,
    pub(crate) title: String,
    pub(crate) quantity: i32,
    pub(crate) price: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attrs: Option<Map<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Request {
    pub(crate) request_id: i64,
    pub(crate) timestamp_ms: i64,
    pub(crate) user: User,
    pub(crate) items: Vec<LineItem>,
    pub(crate) headers: Map<String, String>,
    #[serde(with = "base64_bytes")]
    pub(crate) signature: Vec<u8>,
    pub(crate) counters: Map<String, i64>,
    pub(crate) dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
}

/// Binary as base64 text, as Kitex's JSON generic and our `Options` default.
mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <&str>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(serde::de::Error::custom)
    }
}

fn wrong_type(field: &str) -> Error {
    Error::invalid(format!("wrong wire type for {field}"))
}

fn write_str_map<W: Writer>(w: &mut W, m: &Map<String, String>) -> Result<()> {
    w.write_map_begin(TType::Binary, TType::Binary, m.len())?;
    for (k, v) in m {
        w.write_string(k)?;
        w.write_string(v)?;
    }
    Ok(())
}

fn read_str_map<'a, R: Reader<'a>>(r: &mut R) -> Result<Map<String, String>> {
    let (kt, vt, n) = r.read_map_begin()?;
    if n > 0 && (kt != TType::Binary || vt != TType::Binary) {
        return Err(wrong_type("map<string, string>"));
    }
    let mut m = Map::with_capacity_and_hasher(n, Default::default());
    for _ in 0..n {
        let k = r.read_string()?.to_owned();
        let v = r.read_string()?.to_owned();
        m.insert(k, v);
    }
    r.read_map_end();
    Ok(m)
}

impl Address {
    pub(crate) fn encode<W: Writer>(&self, w: &mut W) -> Result<()> {
        w.write_struct_begin();
        w.write_field_begin(TType::Binary, 1)?;
        w.write_string(&self.street)?;
        w.write_field_begin(TType::Binary, 2)?;
        w.write_string(&self.city)?;
        w.write_field_begin(TType::Binary, 3)?;
        w.write_string(&self.country)?;
        w.write_field_begin(TType::I32, 4)?;
        w.write_i32(self.zip);
        w.write_field_stop();
        w.write_struct_end();
        Ok(())
    }

    pub(crate) fn decode<'a, R: Reader<'a>>(r: &mut R) -> Result<Self> {
        let mut out = Self::default();
        r.read_struct_begin()?;
        while let Some((tt, id)) = r.read_field_begin()? {
            match (id, tt) {
                (1, TType::Binary) => out.street = r.read_string()?.to_owned(),
                (2, TType::Binary) => out.city = r.read_string()?.to_owned(),
                (3, TType::Binary) => out.country = r.read_string()?.to_owned(),
                (4, TType::I32) => out.zip = r.read_i32()?,
                _ => r.skip(tt)?,
            }
        }
        r.read_struct_end();
        Ok(out)
    }
}

impl User {
    pub(crate) fn encode<W: Writer>(&self, w: &mut W) -> Result<()> {
        w.write_struct_begin();
        w.write_field_begin(TType::I64, 1)?;
        w.write_i64(self.id);
        w.write_field_begin(TType::Binary, 2)?;
        w.write_string(&self.name)?;
        w.write_field_begin(TType::Binary, 3)?;
        w.write_string(&self.email)?;
        w.write_field_begin(TType::Struct, 4)?;
        self.address.encode(w)?;
        w.write_field_begin(TType::List, 5)?;
        w.write_list_begin(TType::Binary, self.tags.len())?;
        for t in &self.tags {
            w.write_string(t)?;
        }
        w.write_field_begin(TType::I32, 6)?;
        w.write_i32(self.status);
        w.write_field_stop();
        w.write_struct_end();
        Ok(())
    }

    pub(crate) fn decode<'a, R: Reader<'a>>(r: &mut R) -> Result<Self> {
        let mut out = Self::default();
        r.read_struct_begin()?;
        while let Some((tt, id)) = r.read_field_begin()? {
            match (id, tt) {
                (1, TType::I64) => out.id = r.read_i64()?,
                (2, TType::Binary) => out.name = r.read_string()?.to_owned(),
                (3, TType::Binary) => out.email = r.read_string()?.to_owned(),
                (4, TType::Struct) => out.address = Address::decode(r)?,
                (5, TType::List) => {
                    let (et, n) = r.read_list_begin()?;
                    if n > 0 && et != TType::Binary {
                        return Err(wrong_type("User.tags"));
                    }
                    let mut tags = Vec::with_capacity(n);
                    for _ in 0..n {
                        tags.push(r.read_string()?.to_owned());
                    }
                    r.read_list_end();
                    out.tags = tags;
                }
                (6, TType::I32) => out.status = r.read_i32()?,
                _ => r.skip(tt)?,
            }
        }
        r.read_struct_end();
        Ok(out)
    }
}

impl LineItem {
    pub(crate) fn encode<W: Writer>(&self, w: &mut W) -> Result<()> {
        w.write_struct_begin();
        w.write_field_begin(TType::I64, 1)?;
        w.write_i64(self.sku);
        w.write_field_begin(TType::Binary, 2)?;
        w.write_string(&self.title)?;
        w.write_field_begin(TType::I32, 3)?;
        w.write_i32(self.quantity);
        w.write_field_begin(TType::Double, 4)?;
        w.write_double(self.price);
        if let Some(attrs) = &self.attrs {
            w.write_field_begin(TType::Map, 5)?;
            write_str_map(w, attrs)?;
        }
        w.write_field_stop();
        w.write_struct_end();
        Ok(())
    }

    pub(crate) fn decode<'a, R: Reader<'a>>(r: &mut R) -> Result<Self> {
        let mut out = Self::default();
        r.read_struct_begin()?;
        while let Some((tt, id)) = r.read_field_begin()? {
            match (id, tt) {
                (1, TType::I64) => out.sku = r.read_i64()?,
                (2, TType::Binary) => out.title = r.read_string()?.to_owned(),
                (3, TType::I32) => out.quantity = r.read_i32()?,
                (4, TType::Double) => out.price = r.read_double()?,
                (5, TType::Map) => out.attrs = Some(read_str_map(r)?),
                _ => r.skip(tt)?,
            }
        }
        r.read_struct_end();
        Ok(out)
    }
}

impl Request {
    pub(crate) fn encode<W: Writer>(&self, w: &mut W) -> Result<()> {
        w.write_struct_begin();
        w.write_field_begin(TType::I64, 1)?;
        w.write_i64(self.request_id);
        w.write_field_begin(TType::I64, 2)?;
        w.write_i64(self.timestamp_ms);
        w.write_field_begin(TType::Struct, 3)?;
        self.user.encode(w)?;
        w.write_field_begin(TType::List, 4)?;
        w.write_list_begin(TType::Struct, self.items.len())?;
        for item in &self.items {
            item.encode(w)?;
        }
        w.write_field_begin(TType::Map, 5)?;
        write_str_map(w, &self.headers)?;
        w.write_field_begin(TType::Binary, 6)?;
        w.write_binary(&self.signature)?;
        w.write_field_begin(TType::Map, 7)?;
        w.write_map_begin(TType::Binary, TType::I64, self.counters.len())?;
        for (k, v) in &self.counters {
            w.write_string(k)?;
            w.write_i64(*v);
        }
        w.write_field_begin(TType::Bool, 8)?;
        w.write_bool(self.dry_run);
        if let Some(note) = &self.note {
            w.write_field_begin(TType::Binary, 9)?;
            w.write_string(note)?;
        }
        w.write_field_stop();
        w.write_struct_end();
        Ok(())
    }

    pub(crate) fn decode<'a, R: Reader<'a>>(r: &mut R) -> Result<Self> {
        let mut out = Self::default();
        r.read_struct_begin()?;
        while let Some((tt, id)) = r.read_field_begin()? {
            match (id, tt) {
                (1, TType::I64) => out.request_id = r.read_i64()?,
                (2, TType::I64) => out.timestamp_ms = r.read_i64()?,
                (3, TType::Struct) => out.user = User::decode(r)?,
                (4, TType::List) => {
                    let (et, n) = r.read_list_begin()?;
                    if n > 0 && et != TType::Struct {
                        return Err(wrong_type("Request.items"));
                    }
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(LineItem::decode(r)?);
                    }
                    r.read_list_end();
                    out.items = items;
                }
                (5, TType::Map) => out.headers = read_str_map(r)?,
                (6, TType::Binary) => out.signature = r.read_binary()?.to_vec(),
                (7, TType::Map) => {
                    let (kt, vt, n) = r.read_map_begin()?;
                    if n > 0 && (kt != TType::Binary || vt != TType::I64) {
                        return Err(wrong_type("Request.counters"));
                    }
                    let mut m = Map::with_capacity_and_hasher(n, Default::default());
                    for _ in 0..n {
                        let k = r.read_string()?.to_owned();
                        m.insert(k, r.read_i64()?);
                    }
                    r.read_map_end();
                    out.counters = m;
                }
                (8, TType::Bool) => out.dry_run = r.read_bool()?,
                (9, TType::Binary) => out.note = Some(r.read_string()?.to_owned()),
                _ => r.skip(tt)?,
            }
        }
        r.read_struct_end();
        Ok(out)
    }
}
