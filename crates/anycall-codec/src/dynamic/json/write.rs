//! Thrift bytes → compact JSON, written straight into a byte buffer.
//!
//! The same rendering as the `Serialize` view through `serde_json` (the
//! reference), without serde in between: the descriptor's kinds drive a
//! loop over the reader, strings are copied by runs of bytes that need no
//! escape (found eight at a time), integers go through `itoa`, doubles
//! through `zmij` (serde_json's own formatter, so the text is identical)
//! and binary is base64-encoded in place in the output.

use anycall_idl::{StructDescriptor, TypeDescriptor, TypeKind};
use base64::Engine as _;

use crate::dynamic::plan::{FieldPlan, Plan, Shape, with_plan};
use crate::dynamic::value::root;
use crate::dynamic::{Seen, check_required, ttype_of, wire_mismatch};
use crate::error::{Error, ErrorKind, PathSegment, Result};
use crate::limits::Limits;
use crate::options::{BinaryFormat, NonFinite, Options};
use crate::thrift::{Reader, TType};
use crate::value::format_uuid;

use super::scan::{find_special, special_mask};

/// A compact JSON writer pulling values from a Thrift reader.
pub(super) struct Json<'x, 'o, R> {
    pub(super) r: &'x mut R,
    pub(super) opts: &'o Options,
    pub(super) out: &'x mut Vec<u8>,
    /// The decoded-memory budget: `out` may not grow past `max_len`
    /// ([`Limits::decoded_memory_for`] the message, from where it started).
    pub(super) max_len: usize,
    /// For the budget's error.
    pub(super) limits: &'o Limits,
    pub(super) message_len: usize,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl<R> Json<'_, '_, R> {
    /// The decoded-memory budget, checked as the text grows (after each
    /// struct and container element), so over-budget text is never built
    /// whole.
    #[inline]
    fn within_budget(&self) -> Result<()> {
        if self.out.len() > self.max_len {
            return Err(Error::decoded_memory(
                self.message_len,
                self.limits.decoded_memory_for(self.message_len),
                self.limits,
            ));
        }
        Ok(())
    }
}

/// Appends `s`, a Thrift string's bytes, as a JSON string; an error when
/// they are not UTF-8 (as `Reader::read_string` words it). One scan, eight
/// bytes at a time (the last few padded with spaces), finds both the bytes
/// that need an escape and any byte above ASCII; only text with such bytes
/// goes through the UTF-8 validator, and text with neither is copied whole.
#[inline]
fn write_utf8(out: &mut Vec<u8>, s: &[u8]) -> Result<()> {
    let mut i = 0;
    let mut high = 0u64;
    let mut plain = true;
    while let Some(chunk) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        high |= w;
        plain &= special_mask(w) == 0;
        i += 8;
    }
    let mut pad = [b' '; 8];
    for (p, &b) in pad.iter_mut().zip(&s[i..]) {
        *p = b;
    }
    let w = u64::from_le_bytes(pad);
    high |= w;
    plain &= special_mask(w) == 0;
    if high & HIGHS != 0 && std::str::from_utf8(s).is_err() {
        return Err(crate::thrift::util::not_utf8("string"));
    }
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s);
        out.push(b'"');
    } else {
        write_str(out, s);
    }
    Ok(())
}

const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Appends `s` as a JSON string, escaped as serde_json escapes.
#[inline]
pub(super) fn write_str(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut start = 0;
    loop {
        let i = find_special(s, start);
        if i == s.len() && start == 0 {
            out.extend_from_slice(s);
            break;
        }
        out.extend_from_slice(&s[start..i]);
        let Some(&b) = s.get(i) else {
            break;
        };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]),
        }
        start = i + 1;
    }
    out.push(b'"');
}

#[inline]
fn write_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `b` base64-encoded (standard alphabet, padded), quoted.
#[inline]
fn write_base64(out: &mut Vec<u8>, b: &[u8]) {
    let engine = &base64::engine::general_purpose::STANDARD;
    let n = base64::encoded_len(b.len(), true).expect("a buffer's length fits");
    out.reserve(n + 2);
    out.push(b'"');
    let start = out.len();
    out.resize(start + n, 0);
    let written = engine
        .encode_slice(b, &mut out[start..])
        .expect("room for the encoding");
    out.truncate(start + written);
    out.push(b'"');
}

/// Finite doubles in shortest round-trip form (`ryu`'s, as map keys have
/// always been written); NaN and infinities by name.
fn double_key(d: f64, buf: &mut ryu::Buffer) -> &str {
    if d.is_finite() {
        buf.format_finite(d)
    } else if d.is_nan() {
        "NaN"
    } else if d > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// Binary that `BinaryFormat::Text` cannot render.
#[cold]
fn not_text() -> Error {
    Error::new(
        ErrorKind::TypeMismatch,
        "binary is not UTF-8 text (see Options::binary)",
    )
}

/// Key types rendered as JSON object keys; others make the map an array of pairs.
fn scalar_key(k: TypeKind<'_>) -> bool {
    !matches!(
        k,
        TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Struct(_)
    )
}

impl<'a, R: Reader<'a>> Json<'_, '_, R> {
    /// A value of kind `kind`.
    pub(super) fn value(&mut self, kind: TypeKind<'_>) -> Result<()> {
        let opts = self.opts;
        match kind {
            TypeKind::Bool => {
                let b = self.r.read_bool()?;
                self.out
                    .extend_from_slice(if b { b"true" } else { b"false" });
            }
            TypeKind::Byte => write_int(self.out, self.r.read_i8()?),
            TypeKind::I16 => write_int(self.out, self.r.read_i16()?),
            TypeKind::I32 => write_int(self.out, self.r.read_i32()?),
            TypeKind::I64 => {
                let n = self.r.read_i64()?;
                if opts.i64_as_string {
                    self.out.push(b'"');
                    write_int(self.out, n);
                    self.out.push(b'"');
                } else {
                    write_int(self.out, n);
                }
            }
            TypeKind::Enum(e) => {
                let n = self.r.read_i32()?;
                match e.name_of(n) {
                    Some(name) if opts.enum_as_name => write_str(self.out, name.as_bytes()),
                    _ => write_int(self.out, n),
                }
            }
            TypeKind::Double => {
                let d = self.r.read_double()?;
                if d.is_finite() {
                    let mut buf = zmij::Buffer::new();
                    self.out.extend_from_slice(buf.format_finite(d).as_bytes());
                    return Ok(());
                }
                match opts.non_finite {
                    NonFinite::Null => self.out.extend_from_slice(b"null"),
                    NonFinite::String => self.out.extend_from_slice(if d.is_nan() {
                        b"\"NaN\""
                    } else if d > 0.0 {
                        b"\"Infinity\""
                    } else {
                        b"\"-Infinity\""
                    }),
                    NonFinite::Error => {
                        return Err(Error::new(
                            ErrorKind::OutOfRange,
                            format!("double {d} has no JSON form"),
                        ));
                    }
                }
            }
            TypeKind::String => {
                let s = self.r.read_binary()?;
                write_utf8(self.out, s)?;
            }
            TypeKind::Binary => {
                let b = self.r.read_binary()?;
                match opts.binary {
                    BinaryFormat::Base64 => write_base64(self.out, b),
                    BinaryFormat::Text => match std::str::from_utf8(b) {
                        Ok(t) => write_str(self.out, t.as_bytes()),
                        Err(_) => return Err(not_text()),
                    },
                }
            }
            TypeKind::Uuid => {
                let u = self.r.read_uuid()?;
                write_str(self.out, format_uuid(&u).as_bytes());
            }
            TypeKind::List(e) => {
                let (et, n) = self.r.read_list_begin()?;
                self.seq(e, et, n)?;
                self.r.read_list_end();
            }
            TypeKind::Set(e) => {
                let (et, n) = self.r.read_set_begin()?;
                self.seq(e, et, n)?;
                self.r.read_set_end();
            }
            TypeKind::Map(k, v) => {
                let (kt, vt, n) = self.r.read_map_begin()?;
                if n > 0 && kt != ttype_of(k) {
                    return Err(wire_mismatch(k, kt));
                }
                if n > 0 && vt != ttype_of(v) {
                    return Err(wire_mismatch(v, vt));
                }
                let (kk, vk) = (k.kind(), v.kind());
                if scalar_key(kk) {
                    self.out.push(b'{');
                    for i in 0..n {
                        if i > 0 {
                            self.out.push(b',');
                        }
                        let key_at = self.out.len();
                        self.map_key(kk)?;
                        let key_end = self.out.len();
                        self.out.push(b':');
                        if let Err(e) = self.value(vk).and_then(|()| self.within_budget()) {
                            return Err(e.at(self.key_path(key_at, key_end)));
                        }
                    }
                    self.out.push(b'}');
                } else {
                    self.out.push(b'[');
                    for i in 0..n {
                        if i > 0 {
                            self.out.push(b',');
                        }
                        self.out.push(b'[');
                        let r = self.value(kk).and_then(|()| {
                            self.out.push(b',');
                            self.value(vk)?;
                            self.within_budget()
                        });
                        if let Err(e) = r {
                            return Err(e.at(PathSegment::Index(i)));
                        }
                        self.out.push(b']');
                    }
                    self.out.push(b']');
                }
                self.r.read_map_end();
            }
            TypeKind::Struct(desc) => self.structure(desc, 1)?,
        }
        Ok(())
    }

    fn seq(&mut self, e: TypeDescriptor<'_>, et: TType, n: usize) -> Result<()> {
        if n > 0 && et != ttype_of(e) {
            return Err(wire_mismatch(e, et));
        }
        let kind = e.kind();
        self.out.push(b'[');
        if let TypeKind::Struct(desc) = kind {
            // Structs find their plan once for the whole list.
            with_plan(desc, |plan| {
                for i in 0..n {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    if let Err(err) = self
                        .planned(desc, plan, 1)
                        .and_then(|()| self.within_budget())
                    {
                        return Err(err.at(PathSegment::Index(i)));
                    }
                }
                Ok(())
            })?;
        } else {
            for i in 0..n {
                if i > 0 {
                    self.out.push(b',');
                }
                if let Err(err) = self.value(kind).and_then(|()| self.within_budget()) {
                    return Err(err.at(PathSegment::Index(i)));
                }
            }
        }
        self.out.push(b']');
        Ok(())
    }

    /// A scalar map key as a JSON object key.
    fn map_key(&mut self, kind: TypeKind<'_>) -> Result<()> {
        let opts = self.opts;
        let out = &mut *self.out;
        let quoted = |out: &mut Vec<u8>, s: &str| {
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        };
        match kind {
            TypeKind::Bool => {
                let b = self.r.read_bool()?;
                quoted(out, if b { "true" } else { "false" });
            }
            TypeKind::Byte => quoted(out, itoa::Buffer::new().format(self.r.read_i8()?)),
            TypeKind::I16 => quoted(out, itoa::Buffer::new().format(self.r.read_i16()?)),
            TypeKind::I32 => quoted(out, itoa::Buffer::new().format(self.r.read_i32()?)),
            TypeKind::I64 => quoted(out, itoa::Buffer::new().format(self.r.read_i64()?)),
            TypeKind::Enum(e) => {
                let n = self.r.read_i32()?;
                match e.name_of(n) {
                    Some(name) if opts.enum_as_name => write_str(out, name.as_bytes()),
                    _ => quoted(out, itoa::Buffer::new().format(n)),
                }
            }
            TypeKind::Double => {
                let d = self.r.read_double()?;
                quoted(out, double_key(d, &mut ryu::Buffer::new()));
            }
            TypeKind::String => write_utf8(out, self.r.read_binary()?)?,
            TypeKind::Binary => {
                let b = self.r.read_binary()?;
                match opts.binary {
                    BinaryFormat::Base64 => write_base64(out, b),
                    BinaryFormat::Text => match std::str::from_utf8(b) {
                        Ok(t) => write_str(out, t.as_bytes()),
                        Err(_) => return Err(not_text()),
                    },
                }
            }
            TypeKind::Uuid => quoted(out, &format_uuid(&self.r.read_uuid()?)),
            TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Struct(_) => {
                return Err(Error::invalid("container map keys are rendered as pairs"));
            }
        }
        Ok(())
    }

    /// The key written at `at..end` (a JSON string), as error paths show it.
    #[cold]
    fn key_path(&self, at: usize, end: usize) -> PathSegment {
        let key: String = serde_json::from_slice(&self.out[at..end]).unwrap_or_default();
        PathSegment::Key(format!("{key:?}"))
    }

    /// A struct; `depth` 0 is the outermost one of error paths.
    pub(super) fn structure(&mut self, desc: StructDescriptor<'_>, depth: usize) -> Result<()> {
        with_plan(desc, |plan| self.planned(desc, plan, depth))
    }

    /// [`structure`](Self::structure) with the struct's plan at hand: each
    /// field's key is written as the plan holds it, and its scalars are
    /// read by their shape, with no descriptor lookup.
    fn planned(&mut self, desc: StructDescriptor<'_>, plan: &Plan, depth: usize) -> Result<()> {
        let with_root = |e: Error| root(e, desc, depth == 0);
        self.r.read_struct_begin()?;
        let mut seen = Seen::new(desc.len());
        self.out.push(b'{');
        let mut first = true;
        // Fields usually come in declaration order: try the one after the
        // last match before the id index.
        let mut next = 0;
        while let Some((tt, id)) = self.r.read_field_begin()? {
            let at = match plan.fields.get(next) {
                Some(f) if f.id == id => next,
                _ => match desc.field_by_id(id) {
                    Some(f) => f.index(),
                    None => {
                        self.r.skip(tt)?;
                        continue;
                    }
                },
            };
            let f = &plan.fields[at];
            next = at + 1;
            if tt != f.ttype {
                // Kitex's generic servers may write a void result as a VOID field.
                if tt == TType::Void && id == 0 {
                    self.r.skip(TType::Struct)?;
                    continue;
                }
                // Another IDL version's type for this id: skipped like an
                // unknown field, as generated code does.
                self.r.skip(tt)?;
                if let Some(field) = desc.field(at) {
                    crate::dynamic::skipped_mismatch(desc, field, tt);
                }
                continue;
            }
            if seen.insert(at) {
                // JSON with the key twice would be ambiguous, and the encoder
                // refuses it.
                let e = Error::new(
                    ErrorKind::InvalidData,
                    format!("field `{}` is given twice", f.text),
                );
                return Err(with_root(e.at_field(&f.text)));
            }
            if !first {
                self.out.push(b',');
            }
            first = false;
            self.out.extend_from_slice(&f.key);
            if let Err(e) = self.field_value(desc, f) {
                let e = e.at(PathSegment::Field(f.text.to_string()));
                return Err(with_root(e));
            }
        }
        self.r.read_struct_end();
        check_required(desc, &seen, self.opts).map_err(with_root)?;
        if self.opts.read_defaults {
            for f in desc.fields().filter(|f| !seen.contains(f.index())) {
                if let Some(d) = f.default_value() {
                    let v = crate::dynamic::value::const_to_value(f.ty(), d);
                    if !first {
                        self.out.push(b',');
                    }
                    first = false;
                    write_str(self.out, f.json_name().as_bytes());
                    self.out.push(b':');
                    let shown = super::ser::DefaultJson {
                        v: &v,
                        i64_as_string: self.opts.i64_as_string,
                    };
                    serde_json::to_writer(&mut *self.out, &shown)
                        .map_err(|e| super::de::json_error(&e))?;
                }
            }
        }
        self.out.push(b'}');
        self.within_budget().map_err(with_root)
    }

    /// A field's value: the common scalars by the plan's shape, anything
    /// else through the field's type.
    #[inline]
    fn field_value(&mut self, desc: StructDescriptor<'_>, f: &FieldPlan) -> Result<()> {
        match f.shape {
            Shape::I32 => write_int(self.out, self.r.read_i32()?),
            Shape::I64 if !self.opts.i64_as_string => write_int(self.out, self.r.read_i64()?),
            Shape::String => {
                let s = self.r.read_binary()?;
                write_utf8(self.out, s)?;
            }
            Shape::Bool => {
                let b = self.r.read_bool()?;
                self.out
                    .extend_from_slice(if b { b"true" } else { b"false" });
            }
            Shape::Struct if let Some(nested) = f.nested => {
                self.structure(desc.pool().struct_by_id(nested), 1)?;
            }
            _ => self.value(desc.pool().type_by_id(f.ty).kind())?,
        }
        Ok(())
    }

    /// The value of the first known field set in a result struct, or `null`;
    /// `chosen` gets that field's id.
    pub(super) fn result_value(
        &mut self,
        desc: StructDescriptor<'_>,
        chosen: &std::cell::Cell<Option<i16>>,
    ) -> Result<()> {
        chosen.set(None);
        self.r.read_struct_begin()?;
        loop {
            let Some((tt, id)) = self.r.read_field_begin()? else {
                self.out.extend_from_slice(b"null");
                return Ok(());
            };
            match desc.field_by_id(id) {
                Some(f) if tt == ttype_of(f.ty()) => {
                    chosen.set(Some(id));
                    return self.value(f.ty().kind()).map_err(|e| {
                        e.at(PathSegment::Field(f.json_name().to_owned()))
                            .at(PathSegment::Root(desc.name().to_owned()))
                    });
                }
                _ => self.r.skip(tt)?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all: Vec<u8> = (0u8..0x80).collect();
        all.extend_from_slice("é\u{2028}😀 plain text long enough".as_bytes());
        for start in 0..all.len() {
            let s = std::str::from_utf8(&all[start..]).unwrap_or("");
            let mut out = Vec::new();
            write_str(&mut out, s.as_bytes());
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    /// Every length up to 20 bytes, with one byte that needs an escape, or
    /// one above ASCII, or a byte that is not UTF-8, at every position:
    /// the same text as serde_json, or the UTF-8 error.
    #[test]
    fn one_scan_finds_escapes_and_bad_bytes_anywhere() {
        for n in 0..=20usize {
            for at in 0..n.max(1) {
                for odd in ["\"", "\\", "\n", "\u{1}", "\u{7f}", "é", "\u{ff}"] {
                    let mut s = "a".repeat(n);
                    if n > 0 {
                        s.replace_range(at..=at, odd);
                    }
                    let mut out = Vec::new();
                    write_utf8(&mut out, s.as_bytes()).unwrap();
                    assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
                }
                if n > 0 {
                    let mut bad = vec![b'a'; n];
                    bad[at] = 0xff;
                    let err = write_utf8(&mut Vec::new(), &bad).unwrap_err();
                    assert!(err.to_string().contains("utf-8"), "{n} {at}: {err}");
                }
            }
        }
    }
}
