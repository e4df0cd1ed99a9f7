//! JSON → Thrift bytes: a descriptor-driven `DeserializeSeed`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use anycall_idl::{FieldDescriptor, StructDescriptor, TypeDescriptor, TypeKind};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::dynamic::value::{root, unknown_field, write_absent, write_key_str};
use crate::dynamic::{
    Distinct, Order, Seen, check_union, mismatch, repeated, ttype_of, ttype_of_kind, write_base64,
    write_int_of,
};
use crate::error::{Error, ErrorKind, Limit, PathSegment, Result};
use crate::options::{BinaryFormat, Options, UnknownFields};
use crate::thrift::Writer;
use crate::value::parse_uuid;

/// Transcodes JSON text for a value of type `ty` into `w`.
pub fn write_json<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    json: &[u8],
    opts: &Options,
) -> Result<()> {
    run(json, opts, |cx, de| {
        TypeSeed {
            cx,
            w,
            ty,
            depth: 0,
        }
        .deserialize(de)
    })
}

/// Transcodes a JSON object for struct `desc` into `w`.
pub fn write_json_struct<W: Writer>(
    w: &mut W,
    desc: StructDescriptor<'_>,
    json: &[u8],
    opts: &Options,
) -> Result<()> {
    run(json, opts, |cx, de| {
        StructSeed {
            cx,
            w,
            desc,
            depth: 0,
            top: true,
        }
        .deserialize(de)
    })
}

/// Runs a seed over `json`, turning serde's error back into ours.
pub(crate) fn run<F>(json: &[u8], opts: &Options, f: F) -> Result<()>
where
    F: for<'c, 'j> FnOnce(
        Cx<'c>,
        &mut serde_json::Deserializer<serde_json::de::SliceRead<'j>>,
    ) -> std::result::Result<(), serde_json::Error>,
{
    let slot = RefCell::new(None);
    let cx = Cx { opts, slot: &slot };
    let mut de = serde_json::Deserializer::from_slice(json);
    let out = f(cx, &mut de).and_then(|()| de.end());
    match out {
        Ok(()) => Ok(()),
        Err(e) => Err(match slot.into_inner() {
            Some(ours) => number_as_written(ours, json, &e),
            None => json_error(&e),
        }),
    }
}

/// Quotes the number an error is about as the input wrote it (`1.50`,
/// `1e19`) rather than as parsed (`1.5`, `10000000000000000000`).
/// serde_json reports where it stopped: just after the number.
#[cold]
fn number_as_written(mut err: Error, json: &[u8], at: &serde_json::Error) -> Error {
    if !matches!(err.kind(), ErrorKind::TypeMismatch | ErrorKind::OutOfRange) {
        return err;
    }
    let is_number = |b: u8| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E');
    let line_start = if at.line() <= 1 {
        Some(0)
    } else {
        json.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(at.line() - 2)
            .map(|(i, _)| i + 1)
    };
    let Some(line_start) = line_start else {
        return err;
    };
    let mut end = (line_start + at.column()).min(json.len());
    if end > 0 && !is_number(json[end - 1]) {
        end -= 1;
    }
    let start = json[..end]
        .iter()
        .rposition(|b| !is_number(*b))
        .map_or(0, |i| i + 1);
    let Ok(raw) = std::str::from_utf8(&json[start..end]) else {
        return err;
    };
    if !raw.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        return err;
    }
    let parsed = [
        raw.parse::<i64>().ok().map(|n| n.to_string()),
        raw.parse::<u64>().ok().map(|n| n.to_string()),
        raw.parse::<f64>().ok().map(|n| n.to_string()),
    ];
    for shown in parsed.into_iter().flatten() {
        if shown != raw && err.replace_in_message(&shown, raw) {
            break;
        }
    }
    err
}

pub(crate) fn json_error(e: &serde_json::Error) -> Error {
    Error::new(ErrorKind::Json, format!("invalid json: {e}"))
}

/// Shared state of one transcoding: options and the slot that carries our
/// typed error across serde's calls.
#[derive(Clone, Copy)]
pub(crate) struct Cx<'c> {
    opts: &'c Options,
    slot: &'c RefCell<Option<Error>>,
}

impl Cx<'_> {
    /// Stores `e` and returns a serde error standing for it.
    #[cold]
    fn fail<E: de::Error>(self, e: Error) -> E {
        let msg = e.to_string();
        *self.slot.borrow_mut() = Some(e);
        E::custom(msg)
    }

    /// Adds a path segment to the stored error while unwinding.
    #[cold]
    fn wrap(self, seg: impl FnOnce() -> PathSegment) {
        let taken = self.slot.borrow_mut().take();
        if let Some(e) = taken {
            *self.slot.borrow_mut() = Some(e.at(seg()));
        }
    }
}

/// Shows what a visitor expects (its `expecting` text) in our own errors.
struct Expecting<'v, V>(&'v V);

impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

/// The type mismatch error of `visitor` (a container or struct visitor),
/// recorded in `cx`: "expected <what the visitor expects>, found <found>".
#[cold]
fn refuse<'de, V: Visitor<'de>, E: de::Error>(
    cx: Cx<'_>,
    visitor: &V,
    found: fmt::Arguments<'_>,
) -> E {
    let e = Error::new(
        ErrorKind::TypeMismatch,
        format!("expected {}, found {found}", Expecting(visitor)),
    );
    cx.fail(e)
}

/// Visitor methods that refuse a JSON scalar where a list, set, map or
/// struct is expected with our typed error, so the field path is kept
/// (serde_json's own error would name only a line and column). The input
/// is quoted: strings as JSON strings, numbers and booleans as read.
macro_rules! refuse_scalars {
    () => {
        fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<(), E> {
            Err(refuse(self.cx, &self, format_args!("{v}")))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<(), E> {
            Err(refuse(self.cx, &self, format_args!("number {v}")))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<(), E> {
            Err(refuse(self.cx, &self, format_args!("number {v}")))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<(), E> {
            Err(refuse(self.cx, &self, format_args!("number {v}")))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<(), E> {
            Err(refuse(self.cx, &self, format_args!("string {v:?}")))
        }
    };
}

/// A value of any type.
struct TypeSeed<'c, 'w, 'p, W> {
    cx: Cx<'c>,
    w: &'w mut W,
    ty: TypeDescriptor<'p>,
    depth: usize,
}

impl<'de, W: Writer> DeserializeSeed<'de> for TypeSeed<'_, '_, '_, W> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        let kind = self.ty.kind();
        self.deserialize_kind(kind, d)
    }
}

impl<'p, W: Writer> TypeSeed<'_, '_, 'p, W> {
    /// Deserializes with the type's kind already at hand.
    #[inline]
    fn deserialize_kind<'de, D: Deserializer<'de>>(
        self,
        kind: TypeKind<'p>,
        d: D,
    ) -> std::result::Result<(), D::Error> {
        let TypeSeed { cx, w, ty, depth } = self;
        match kind {
            TypeKind::Struct(desc) => StructSeed {
                cx,
                w,
                desc,
                depth,
                top: false,
            }
            .deserialize(d),
            TypeKind::List(e) | TypeKind::Set(e) => {
                if depth >= cx.opts.max_depth {
                    let max = cx.opts.max_depth;
                    return Err(cx.fail(Error::limit(Limit::Depth, depth + 1, max)));
                }
                d.deserialize_any(ListVisitor {
                    cx,
                    w,
                    ty,
                    elem: e,
                    depth,
                })
            }
            TypeKind::Map(k, v) => {
                if depth >= cx.opts.max_depth {
                    let max = cx.opts.max_depth;
                    return Err(cx.fail(Error::limit(Limit::Depth, depth + 1, max)));
                }
                d.deserialize_any(MapVisitor {
                    cx,
                    w,
                    ty,
                    k,
                    v,
                    depth,
                })
            }
            _ => d.deserialize_any(ScalarVisitor { cx, w, ty, kind }),
        }
    }
}

/// Scalars: bool, integers, double, string, binary, uuid, enum.
struct ScalarVisitor<'c, 'w, 'p, W> {
    cx: Cx<'c>,
    w: &'w mut W,
    ty: TypeDescriptor<'p>,
    kind: TypeKind<'p>,
}

impl<W: Writer> ScalarVisitor<'_, '_, '_, W> {
    fn found<E: de::Error>(self, what: &str) -> E {
        self.cx.fail(mismatch(self.ty, what))
    }

    fn int<E: de::Error>(self, n: i64) -> std::result::Result<(), E> {
        match self.kind {
            TypeKind::Byte
            | TypeKind::I16
            | TypeKind::I32
            | TypeKind::I64
            | TypeKind::Double
            | TypeKind::Enum(_) => {
                write_int_of(self.w, self.kind, self.ty, n).map_err(|e| self.cx.fail(e))
            }
            _ => Err(self.found(&format!("number {n}"))),
        }
    }
}

impl<'de, W: Writer> Visitor<'de> for ScalarVisitor<'_, '_, '_, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {}", self.ty.display())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<(), E> {
        match self.kind {
            TypeKind::Bool => {
                self.w.write_bool(v);
                Ok(())
            }
            _ => Err(self.found(&format!("{v}"))),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<(), E> {
        self.int(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<(), E> {
        match i64::try_from(v) {
            Ok(n) => self.int(n),
            Err(_) if matches!(self.kind, TypeKind::Double) => {
                self.w.write_double(v as f64);
                Ok(())
            }
            Err(_) => {
                let e = crate::dynamic::out_of_range(v, self.ty);
                Err(self.cx.fail(e))
            }
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<(), E> {
        match self.kind {
            TypeKind::Double => {
                self.w.write_double(v);
                Ok(())
            }
            // A number without a fraction is an integer (`2.0`, `1e3`);
            // from -2^63 up to, not including, 2^63 it converts exactly.
            TypeKind::Byte | TypeKind::I16 | TypeKind::I32 | TypeKind::I64 | TypeKind::Enum(_)
                if v.fract() == 0.0 =>
            {
                if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v) {
                    self.int(v as i64)
                } else {
                    Err(self.cx.fail(crate::dynamic::out_of_range(v, self.ty)))
                }
            }
            _ => Err(self.found(&format!("number {v}"))),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<(), E> {
        let cx = self.cx;
        let ty = self.ty;
        let r = match self.kind {
            TypeKind::String => self.w.write_string(s),
            TypeKind::Binary => match cx.opts.binary {
                BinaryFormat::Base64 => write_base64(self.w, s, |e| {
                    Error::new(
                        ErrorKind::TypeMismatch,
                        format!("expected base64 binary, found string {s:?} ({e})"),
                    )
                }),
                BinaryFormat::Text => self.w.write_binary(s.as_bytes()),
            },
            TypeKind::Uuid => match parse_uuid(s) {
                Some(u) => {
                    self.w.write_uuid(&u);
                    Ok(())
                }
                None => Err(mismatch(ty, &format!("string {s:?}"))),
            },
            TypeKind::Enum(e) => match e.value(s) {
                Some(n) => {
                    self.w.write_i32(n);
                    Ok(())
                }
                None => match s.parse::<i64>() {
                    Ok(n) => return self.int(n),
                    Err(_) => Err(Error::new(
                        ErrorKind::TypeMismatch,
                        format!(
                            "enum {} has no value named {s:?}{}",
                            e.full_name(),
                            crate::dynamic::value::enum_hint(e, s)
                        ),
                    )),
                },
            },
            TypeKind::Byte | TypeKind::I16 | TypeKind::I32 | TypeKind::I64 => {
                match s.parse::<i64>() {
                    Ok(n) => return self.int(n),
                    Err(_) => Err(mismatch(ty, &format!("string {s:?}"))),
                }
            }
            // Rust's float parsing takes "NaN", "Infinity" and "-Infinity"
            // (in any case, and "inf"), beside numbers written as strings.
            TypeKind::Double => match s.parse::<f64>() {
                Ok(d) => {
                    self.w.write_double(d);
                    Ok(())
                }
                Err(_) => Err(mismatch(ty, &format!("string {s:?}"))),
            },
            _ => Err(mismatch(ty, &format!("string {s:?}"))),
        };
        r.map_err(|e| cx.fail(e))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Err(self.found("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(self.found("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(self.found("an object"))
    }
}

/// A JSON array as a list or set.
struct ListVisitor<'c, 'w, 'p, W> {
    cx: Cx<'c>,
    w: &'w mut W,
    ty: TypeDescriptor<'p>,
    elem: TypeDescriptor<'p>,
    depth: usize,
}

impl<'de, W: Writer> Visitor<'de> for ListVisitor<'_, '_, '_, W> {
    type Value = ();

    refuse_scalars!();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array for {}", self.ty.display())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let ListVisitor {
            cx,
            w,
            ty,
            elem,
            depth,
        } = self;
        let et = ttype_of(elem);
        let set = matches!(ty.kind(), TypeKind::Set(_));
        let mark = if set {
            w.begin_set_unknown(et)
        } else {
            w.begin_list_unknown(et)
        }
        .map_err(|e| cx.fail(e))?;
        let mut n = 0usize;
        let mut distinct = Distinct::new(set && cx.opts.strict);
        loop {
            let start = w.buf().len();
            let seed = ElemSeed {
                inner: TypeSeed {
                    cx,
                    w: &mut *w,
                    ty: elem,
                    depth: depth + 1,
                },
            };
            match seq.next_element_seed(seed) {
                Ok(Some(())) => {
                    if distinct.repeats(w.buf(), start) {
                        let e = repeated(ty, "element").at(PathSegment::Index(n));
                        return Err(cx.fail(e));
                    }
                    n += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    cx.wrap(|| PathSegment::Index(n));
                    return Err(e);
                }
            }
        }
        if set {
            w.end_set_unknown(mark, n)
        } else {
            w.end_list_unknown(mark, n)
        }
        .map_err(|e| cx.fail(e))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(refuse(self.cx, &self, format_args!("an object")))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Err(self.cx.fail(mismatch(self.ty, "null")))
    }
}

/// A container element: `null` is not a value.
struct ElemSeed<'c, 'w, 'p, W> {
    inner: TypeSeed<'c, 'w, 'p, W>,
}

impl<'de, W: Writer> DeserializeSeed<'de> for ElemSeed<'_, '_, '_, W> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        let kind = self.inner.ty.kind();
        match kind {
            TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Struct(_) => {
                d.deserialize_option(ElemVisitor { inner: self.inner })
            }
            // Scalars report `null` themselves, with the same error.
            _ => self.inner.deserialize_kind(kind, d),
        }
    }
}

struct ElemVisitor<'c, 'w, 'p, W> {
    inner: TypeSeed<'c, 'w, 'p, W>,
}

impl<'de, W: Writer> Visitor<'de> for ElemVisitor<'_, '_, '_, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {}", self.inner.ty.display())
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
        Err(self.inner.cx.fail(mismatch(self.inner.ty, "null")))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        self.inner.deserialize(d)
    }
}

/// A JSON object (scalar keys) or an array of `[key, value]` pairs as a map.
struct MapVisitor<'c, 'w, 'p, W> {
    cx: Cx<'c>,
    w: &'w mut W,
    ty: TypeDescriptor<'p>,
    k: TypeDescriptor<'p>,
    v: TypeDescriptor<'p>,
    depth: usize,
}

impl<'de, W: Writer> Visitor<'de> for MapVisitor<'_, '_, '_, W> {
    type Value = ();

    refuse_scalars!();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an object or an array of [key, value] pairs for {}",
            self.ty.display()
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let MapVisitor {
            cx,
            w,
            ty,
            k,
            v,
            depth,
        } = self;
        let mark = w
            .begin_map_unknown(ttype_of(k), ttype_of(v))
            .map_err(|e| cx.fail(e))?;
        let mut n = 0usize;
        let mut distinct = Distinct::new(cx.opts.strict);
        loop {
            let start = w.buf().len();
            let key = map.next_key_seed(KeySeed { cx, w: &mut *w, k });
            let key = match key {
                Ok(Some(key)) => key,
                Ok(None) => break,
                // The key seed names the key in the error path.
                Err(e) => return Err(e),
            };
            if distinct.repeats(w.buf(), start) {
                let e = repeated(ty, "key").at(PathSegment::Key(format!("{key:?}")));
                return Err(cx.fail(e));
            }
            let seed = ElemSeed {
                inner: TypeSeed {
                    cx,
                    w: &mut *w,
                    ty: v,
                    depth: depth + 1,
                },
            };
            if let Err(e) = map.next_value_seed(seed) {
                cx.wrap(|| PathSegment::Key(format!("{key:?}")));
                return Err(e);
            }
            n += 1;
        }
        w.end_map_unknown(mark, n).map_err(|e| cx.fail(e))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let MapVisitor {
            cx,
            w,
            ty,
            k,
            v,
            depth,
        } = self;
        let mark = w
            .begin_map_unknown(ttype_of(k), ttype_of(v))
            .map_err(|e| cx.fail(e))?;
        let mut n = 0usize;
        let mut distinct = Distinct::new(cx.opts.strict);
        loop {
            let seed = PairSeed {
                distinct: &mut distinct,
                ty,
                cx,
                w: &mut *w,
                k,
                v,
                depth: depth + 1,
            };
            match seq.next_element_seed(seed) {
                Ok(Some(())) => n += 1,
                Ok(None) => break,
                Err(e) => {
                    cx.wrap(|| PathSegment::Index(n));
                    return Err(e);
                }
            }
        }
        w.end_map_unknown(mark, n).map_err(|e| cx.fail(e))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Err(self.cx.fail(mismatch(self.ty, "null")))
    }
}

/// An object key written as the map's key type; returns the key text for
/// paths, borrowed from the input unless it had escapes.
struct KeySeed<'c, 'w, 'p, W> {
    cx: Cx<'c>,
    w: &'w mut W,
    k: TypeDescriptor<'p>,
}

impl<'de, W: Writer> DeserializeSeed<'de> for KeySeed<'_, '_, '_, W> {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<W: Writer> KeySeed<'_, '_, '_, W> {
    fn write<E: de::Error>(self, s: &str) -> std::result::Result<(), E> {
        write_key_str(
            self.w,
            self.k,
            s,
            self.cx.opts.binary == BinaryFormat::Base64,
        )
        .map_err(|e| self.cx.fail(e.at(PathSegment::Key(format!("{s:?}")))))
    }
}

impl<'de, W: Writer> Visitor<'de> for KeySeed<'_, '_, '_, W> {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map key")
    }

    fn visit_borrowed_str<E: de::Error>(
        self,
        s: &'de str,
    ) -> std::result::Result<Cow<'de, str>, E> {
        self.write(s)?;
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Cow<'de, str>, E> {
        self.write(s)?;
        Ok(Cow::Owned(s.to_owned()))
    }
}

/// One `[key, value]` pair of the array form of a map.
struct PairSeed<'c, 'w, 'p, 'd, W> {
    /// Keys so far, for strict mode's repeated-key check.
    distinct: &'d mut Distinct,
    /// The map type, for messages.
    ty: TypeDescriptor<'p>,
    cx: Cx<'c>,
    w: &'w mut W,
    k: TypeDescriptor<'p>,
    v: TypeDescriptor<'p>,
    depth: usize,
}

impl<'de, W: Writer> DeserializeSeed<'de> for PairSeed<'_, '_, '_, '_, W> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, W: Writer> Visitor<'de> for PairSeed<'_, '_, '_, '_, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [key, value] pair")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let PairSeed {
            distinct,
            ty,
            cx,
            w,
            k,
            v,
            depth,
        } = self;
        let pair_err = |what: &str| {
            cx.fail::<A::Error>(Error::new(
                ErrorKind::TypeMismatch,
                format!("expected a [key, value] pair, {what}"),
            ))
        };
        let start = w.buf().len();
        let key = ElemSeed {
            inner: TypeSeed {
                cx,
                w: &mut *w,
                ty: k,
                depth,
            },
        };
        if seq.next_element_seed(key)?.is_none() {
            return Err(pair_err("found an empty array"));
        }
        if distinct.repeats(w.buf(), start) {
            return Err(cx.fail(repeated(ty, "key")));
        }
        let val = ElemSeed {
            inner: TypeSeed {
                cx,
                w: &mut *w,
                ty: v,
                depth,
            },
        };
        if seq.next_element_seed(val)?.is_none() {
            return Err(pair_err("found only a key"));
        }
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(pair_err("found more than two elements"));
        }
        Ok(())
    }
}

/// A JSON object as a struct.
pub(crate) struct StructSeed<'c, 'w, 'p, W> {
    pub(crate) cx: Cx<'c>,
    pub(crate) w: &'w mut W,
    pub(crate) desc: StructDescriptor<'p>,
    /// Levels of nesting before this struct (the struct is one more, as
    /// the readers count).
    pub(crate) depth: usize,
    /// The outermost struct of an error path.
    pub(crate) top: bool,
}

impl<'de, W: Writer> DeserializeSeed<'de> for StructSeed<'_, '_, '_, W> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        if self.depth >= self.cx.opts.max_depth {
            let e = Error::limit(Limit::Depth, self.depth + 1, self.cx.opts.max_depth);
            return Err(self.cx.fail(e));
        }
        d.deserialize_any(self)
    }
}

impl<'de, W: Writer> Visitor<'de> for StructSeed<'_, '_, '_, W> {
    type Value = ();

    refuse_scalars!();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object for {}", self.desc.full_name())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(refuse(self.cx, &self, format_args!("an array")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let StructSeed {
            cx,
            w,
            desc,
            depth,
            top,
        } = self;
        let with_root = |e: Error| root(e, desc, top);
        let mut seen = Seen::new(desc.len());
        // Fields usually come in declaration order: try the one after the
        // last match before hashing the key.
        let mut next = 0;
        let mut set = 0;
        w.write_struct_begin();
        let body = w.buf().len();
        let mut order = Order::new();
        loop {
            let key = match map.next_key_seed(FieldKey { desc, next }) {
                Ok(Some(k)) => k,
                Ok(None) => break,
                Err(e) => {
                    if top {
                        cx.wrap(|| PathSegment::Root(desc.name().to_owned()));
                    }
                    return Err(e);
                }
            };
            let f = match key {
                Key::Field(f) => {
                    next = f.index() + 1;
                    f
                }
                Key::Unknown(name) => {
                    if cx.opts.unknown_fields == UnknownFields::Error {
                        return Err(cx.fail(with_root(unknown_field(desc, &name))));
                    }
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if seen.contains(f.index()) {
                let e = Error::new(
                    ErrorKind::InvalidData,
                    format!("field `{}` is given twice", f.json_name()),
                )
                .at_field(f.json_name());
                return Err(cx.fail(with_root(e)));
            }
            let seed = FieldSeed {
                inner: TypeSeed {
                    cx,
                    w: &mut *w,
                    ty: f.ty(),
                    depth: depth + 1,
                },
                field: f,
            };
            match map.next_value_seed(seed) {
                Ok(true) => {
                    seen.insert(f.index());
                    order.note(f.id());
                    set += 1;
                }
                Ok(false) => {}
                Err(e) => {
                    cx.wrap(|| PathSegment::Field(f.json_name().to_owned()));
                    if top {
                        cx.wrap(|| PathSegment::Root(desc.name().to_owned()));
                    }
                    return Err(e);
                }
            }
        }
        let absent = write_absent(&mut *w, desc, &seen, set, cx.opts, &mut order)
            .map_err(|e| cx.fail(with_root(e)))?;
        check_union(desc, set + absent, cx.opts).map_err(|e| cx.fail(with_root(e)))?;
        order
            .finish(&mut *w, body)
            .map_err(|e| cx.fail(with_root(e)))?;
        w.write_field_stop();
        w.write_struct_end();
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        let e = Error::new(
            ErrorKind::TypeMismatch,
            format!("expected {}, found null", self.desc.full_name()),
        );
        Err(self.cx.fail(e))
    }
}

enum Key<'p> {
    Field(FieldDescriptor<'p>),
    Unknown(String),
}

/// Structs with at most this many fields are searched by comparing names
/// when the predicted field misses; larger ones use the name index.
const SCAN_FIELDS: usize = 16;

/// Looks a JSON key up among the struct's fields without allocating.
///
/// The key is taken as raw bytes (serde_json unescapes them but does not
/// check UTF-8) and compared with the predicted field `next` first; only a
/// miss checks UTF-8 and goes through the name index.
struct FieldKey<'p> {
    desc: StructDescriptor<'p>,
    next: usize,
}

impl<'de, 'p> DeserializeSeed<'de> for FieldKey<'p> {
    type Value = Key<'p>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Key<'p>, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl<'de, 'p> Visitor<'de> for FieldKey<'p> {
    type Value = Key<'p>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    #[inline]
    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> std::result::Result<Key<'p>, E> {
        if let Some(f) = self.desc.field(self.next)
            && f.json_name().as_bytes() == b
        {
            return Ok(Key::Field(f));
        }
        // Small structs: comparing names beats hashing the key.
        if self.desc.len() <= SCAN_FIELDS
            && let Some(f) = self.desc.fields().find(|f| f.json_name().as_bytes() == b)
        {
            return Ok(Key::Field(f));
        }
        match std::str::from_utf8(b) {
            Ok(s) => self.visit_str(s),
            Err(_) => Err(E::custom("object key is not valid UTF-8")),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Key<'p>, E> {
        Ok(match self.desc.field_by_name(s) {
            Some(f) => Key::Field(f),
            None => Key::Unknown(s.to_owned()),
        })
    }
}

/// A struct field's value: writes the field header unless the value is null.
/// Returns whether the field was written.
struct FieldSeed<'c, 'w, 'p, W> {
    inner: TypeSeed<'c, 'w, 'p, W>,
    field: FieldDescriptor<'p>,
}

impl<'de, W: Writer> DeserializeSeed<'de> for FieldSeed<'_, '_, '_, W> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, W: Writer> Visitor<'de> for FieldSeed<'_, '_, '_, W> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {}", self.field.ty().display())
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        let FieldSeed { inner, field } = self;
        let cx = inner.cx;
        let kind = inner.ty.kind();
        inner
            .w
            .write_field_begin(ttype_of_kind(kind), field.id())
            .map_err(|e| cx.fail::<D::Error>(e))?;
        inner.deserialize_kind(kind, d)?;
        Ok(true)
    }
}
