//! [`Value`]: a dynamic Thrift value (Kitex's "map generic" form).
//!
//! One variant per Thrift type. Structs keep their fields by name, in the
//! order they were read or inserted. Enums are `I32`, as on the wire.
//!
//! `Value` implements serde's `Serialize` (structs as objects, binary as
//! base64, maps as objects when every key is a string or integer, else as
//! arrays of `[key, value]` pairs) and `Deserialize` (schema-less: numbers
//! become `I64` or `Double`, objects become `Struct`); writing a `Value`
//! under a descriptor converts it to the declared types.

use std::fmt;

use compact_str::CompactString;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A dynamic Thrift value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `bool`
    Bool(bool),
    /// `byte` / `i8`
    I8(i8),
    /// `i16`
    I16(i16),
    /// `i32`, and enums
    I32(i32),
    /// `i64`
    I64(i64),
    /// `double`
    Double(f64),
    /// `string` (up to 24 bytes kept inline, without an allocation)
    String(CompactString),
    /// `binary`
    Binary(Vec<u8>),
    /// `uuid`
    Uuid([u8; 16]),
    /// `list<T>`
    List(Vec<Value>),
    /// `set<T>` (kept in wire order; duplicates are not removed)
    Set(Vec<Value>),
    /// `map<K, V>` in wire order
    Map(Vec<(Value, Value)>),
    /// A struct, union or exception, by field name.
    Struct(Struct),
}

/// A struct's fields by name, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Struct {
    fields: Vec<(Name, Value)>,
}

/// A field name in a [`Struct`]: a [`CompactString`], which keeps names of
/// up to 24 bytes (nearly every field name) inline, so reading a struct
/// does not allocate a string per field. Dereferences to `str`.
///
/// ```
/// use anycall_codec::Name;
///
/// let n = Name::from("user_id");
/// assert_eq!(n, "user_id");
/// assert_eq!(n.len(), 7);
/// assert_eq!(String::from(n), "user_id");
/// ```
pub type Name = CompactString;

impl Struct {
    /// An empty struct.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty struct with room for `n` fields.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            fields: Vec::with_capacity(n),
        }
    }

    /// The value of a field by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Sets a field, replacing an earlier value of the same name.
    pub fn insert(&mut self, name: impl Into<Name>, value: Value) {
        let name = name.into();
        match self.fields.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((name, value)),
        }
    }

    /// Appends a field without looking for an earlier one of the same
    /// name, for callers that know their names are unique (decoders, or
    /// code copying the fields of a descriptor). A name given twice makes
    /// the struct fail to encode ("field is given twice").
    ///
    /// ```
    /// use anycall_codec::{Struct, Value};
    ///
    /// let mut s = Struct::with_capacity(2);
    /// s.push("id", Value::I64(7));
    /// s.push("name", Value::String("x".into()));
    /// assert_eq!(s.get("id"), Some(&Value::I64(7)));
    /// ```
    pub fn push(&mut self, name: impl Into<Name>, value: Value) {
        self.fields.push((name.into(), value));
    }

    /// Removes a field, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.fields.iter().position(|(k, _)| k == name)?;
        Some(self.fields.remove(i).1)
    }

    /// Fields in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Fields room has been allocated for.
    pub(crate) fn capacity(&self) -> usize {
        self.fields.capacity()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// The fields of a [`Struct`] by value, in order: moves values out without
/// cloning them.
///
/// ```
/// use anycall_codec::{Struct, Value};
///
/// let s: Struct = [("a", Value::I32(1)), ("b", Value::I32(2))].into_iter().collect();
/// let names: Vec<String> = s.into_iter().map(|(name, _)| name.into()).collect();
/// assert_eq!(names, ["a", "b"]);
/// ```
#[derive(Debug)]
pub struct IntoFields(std::vec::IntoIter<(Name, Value)>);

impl Iterator for IntoFields {
    type Item = (Name, Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for IntoFields {}

impl IntoIterator for Struct {
    type Item = (Name, Value);
    type IntoIter = IntoFields;

    fn into_iter(self) -> IntoFields {
        IntoFields(self.fields.into_iter())
    }
}

impl<K: Into<Name>> FromIterator<(K, Value)> for Struct {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let mut s = Struct::new();
        for (k, v) in iter {
            s.insert(k, v);
        }
        s
    }
}

impl Value {
    /// A struct value from `(name, value)` pairs.
    pub fn structure<K: Into<Name>>(fields: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Struct(fields.into_iter().collect())
    }

    /// The struct, if this is one.
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, for any integer variant.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::I8(n) => Some(n.into()),
            Value::I16(n) => Some(n.into()),
            Value::I32(n) => Some(n.into()),
            Value::I64(n) => Some(n),
            _ => None,
        }
    }

    /// The text, for `String`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A short name of the variant, for messages (`string`, `i64`, `struct`...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::I8(_) => "byte",
            Value::I16(_) => "i16",
            Value::I32(_) => "i32",
            Value::I64(_) => "i64",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Binary(_) => "binary",
            Value::Uuid(_) => "uuid",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Struct(_) => "struct",
        }
    }
}

/// Formats a uuid as `8-4-4-4-12` lowercase hex.
pub(crate) fn format_uuid(u: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    s
}

/// Parses `8-4-4-4-12` hex (hyphens optional).
pub(crate) fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    let mut n = 0;
    let mut hi: Option<u8> = None;
    for c in s.chars() {
        if c == '-' {
            continue;
        }
        let d = c.to_digit(16)? as u8;
        match hi.take() {
            None => hi = Some(d),
            Some(h) => {
                *out.get_mut(n)? = (h << 4) | d;
                n += 1;
            }
        }
    }
    (n == 16 && hi.is_none()).then_some(out)
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::I8(n) => s.serialize_i8(*n),
            Value::I16(n) => s.serialize_i16(*n),
            Value::I32(n) => s.serialize_i32(*n),
            Value::I64(n) => s.serialize_i64(*n),
            Value::Double(d) => s.serialize_f64(*d),
            Value::String(v) => s.serialize_str(v),
            Value::Binary(b) => s.collect_str(&base64::display::Base64Display::new(
                b,
                &base64::engine::general_purpose::STANDARD,
            )),
            Value::Uuid(u) => s.serialize_str(&format_uuid(u)),
            Value::List(items) | Value::Set(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Value::Map(pairs) => {
                let keyed = pairs.iter().all(|(k, _)| {
                    matches!(
                        k,
                        Value::String(_)
                            | Value::I8(_)
                            | Value::I16(_)
                            | Value::I32(_)
                            | Value::I64(_)
                    )
                });
                if keyed {
                    let mut m = s.serialize_map(Some(pairs.len()))?;
                    for (k, v) in pairs {
                        match k {
                            Value::String(k) => m.serialize_entry(k.as_str(), v)?,
                            other => {
                                m.serialize_entry(&other.as_i64().unwrap_or(0).to_string(), v)?
                            }
                        }
                    }
                    m.end()
                } else {
                    let mut seq = s.serialize_seq(Some(pairs.len()))?;
                    for pair in pairs {
                        seq.serialize_element(&[&pair.0, &pair.1])?;
                    }
                    seq.end()
                }
            }
            Value::Struct(st) => {
                let mut m = s.serialize_map(Some(st.len()))?;
                for (k, v) in st.iter() {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a thrift value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::I64(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::I64)
            .map_err(|_| E::custom(format!("{v} is out of range for i64")))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.into()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v.into()))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Binary(v.to_vec()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut s = Struct::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some((k, v)) = map.next_entry::<Name, Value>()? {
            s.insert(k, v);
        }
        Ok(Value::Struct(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_text_round_trips() {
        let u = [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        let s = format_uuid(&u);
        assert_eq!(s, "00112233-4455-6677-8899-aabbccddeeff");
        assert_eq!(parse_uuid(&s), Some(u));
        assert_eq!(parse_uuid("0011"), None);
        assert_eq!(parse_uuid("00112233-4455-6677-8899-aabbccddeefg"), None);
    }

    #[test]
    fn serializes_to_natural_json() {
        let v = Value::structure([
            ("id", Value::I64(7)),
            ("blob", Value::Binary(b"hi".to_vec())),
            (
                "m",
                Value::Map(vec![(Value::I32(1), Value::String("one".into()))]),
            ),
            (
                "pairs",
                Value::Map(vec![(Value::List(vec![Value::I8(1)]), Value::Bool(true))]),
            ),
        ]);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"id":7,"blob":"aGk=","m":{"1":"one"},"pairs":[[[1],true]]}"#
        );
    }
}
