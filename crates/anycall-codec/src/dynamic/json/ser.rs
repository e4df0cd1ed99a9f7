//! Thrift bytes → JSON: a `Serialize` view that reads as it writes.

use std::cell::{Cell, RefCell};

use anycall_idl::{StructDescriptor, TypeDescriptor, TypeKind};
use base64::Engine as _;
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::dynamic::value::root;
use crate::dynamic::{Seen, check_required, ttype_of, ttype_of_kind, wire_mismatch};
use crate::error::{Error, ErrorKind, PathSegment, Result};
use crate::limits::Limits;
use crate::options::{BinaryFormat, NonFinite, Options};
use crate::thrift::{BinaryReader, CompactReader, Protocol, Reader, TType};
use crate::value::format_uuid;

use super::de::json_error;

#[derive(Debug, Clone, Copy)]
enum Target<'p> {
    Type(TypeDescriptor<'p>),
    Struct(StructDescriptor<'p>),
    /// The value of the first known field set in a result struct.
    ResultField(StructDescriptor<'p>),
}

/// A `Serialize` view of Thrift bytes under a descriptor.
///
/// Serializing reads the bytes; a decoding problem makes the serializer
/// fail, and [`JsonView::take_error`] then gives the typed error with its
/// field path. A field id that occurs twice in one struct is such a
/// problem: JSON with a repeated key would be ambiguous.
#[derive(Debug)]
pub struct JsonView<'a, 'p> {
    bytes: &'a [u8],
    protocol: Protocol,
    target: Target<'p>,
    opts: Options,
    limits: Limits,
    slot: RefCell<Option<Error>>,
    consumed: Cell<usize>,
    chosen: Cell<Option<i16>>,
}

/// A view of one struct (for args, results and bare structs).
pub type StructJson<'a, 'p> = JsonView<'a, 'p>;

impl<'a, 'p> JsonView<'a, 'p> {
    /// A view of a value of type `ty` encoded in `bytes`.
    pub fn new(bytes: &'a [u8], protocol: Protocol, ty: TypeDescriptor<'p>, opts: Options) -> Self {
        Self::with(bytes, protocol, Target::Type(ty), opts)
    }

    /// A view of struct `desc` encoded in `bytes`.
    pub fn new_struct(
        bytes: &'a [u8],
        protocol: Protocol,
        desc: StructDescriptor<'p>,
        opts: Options,
    ) -> Self {
        Self::with(bytes, protocol, Target::Struct(desc), opts)
    }

    /// A view of the value held by a result struct `result` (`success` or
    /// a declared exception): renders that value alone, or `null` when no
    /// known field is set. [`JsonView::chosen_field`] then tells which.
    pub fn result_field(
        bytes: &'a [u8],
        protocol: Protocol,
        result: StructDescriptor<'p>,
        opts: Options,
    ) -> Self {
        Self::with(bytes, protocol, Target::ResultField(result), opts)
    }

    /// For [`JsonView::result_field`]: the id of the field rendered by the
    /// last serialization.
    pub fn chosen_field(&self) -> Option<i16> {
        self.chosen.get()
    }

    fn with(bytes: &'a [u8], protocol: Protocol, target: Target<'p>, opts: Options) -> Self {
        Self {
            bytes,
            protocol,
            target,
            opts,
            limits: Limits::default(),
            slot: RefCell::new(None),
            consumed: Cell::new(0),
            chosen: Cell::new(None),
        }
    }

    /// Uses other decoder limits (default: [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The decoding error behind a failed serialization, if there was one.
    pub fn take_error(&self) -> Option<Error> {
        self.slot.borrow_mut().take()
    }

    /// Bytes read by the last serialization.
    pub fn consumed(&self) -> usize {
        self.consumed.get()
    }

    fn run<R: Reader<'a>, S: Serializer>(
        &self,
        r: R,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        let r = RefCell::new(r);
        let cx = Cx {
            r: &r,
            opts: &self.opts,
            slot: &self.slot,
        };
        let out = match self.target {
            Target::Type(ty) => ValueSer::new(&cx, ty).serialize(s),
            Target::Struct(desc) => StructSer {
                cx: &cx,
                desc,
                depth: 0,
            }
            .serialize(s),
            Target::ResultField(desc) => self.result_value(&cx, desc, s),
        };
        self.consumed.set(r.borrow().position());
        out
    }
}

impl<'a> JsonView<'a, '_> {
    fn result_value<R: Reader<'a>, S: Serializer>(
        &self,
        cx: &Cx<'_, '_, R>,
        desc: StructDescriptor<'_>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.chosen.set(None);
        cx.read(|r| r.read_struct_begin())?;
        loop {
            let Some((tt, id)) = cx.read(|r| r.read_field_begin())? else {
                return s.serialize_unit();
            };
            match desc.field_by_id(id) {
                Some(f) if tt == ttype_of(f.ty()) => {
                    self.chosen.set(Some(id));
                    return ValueSer::new(cx, f.ty()).serialize(s).inspect_err(|_| {
                        cx.wrap(|| PathSegment::Field(f.json_name().to_owned()));
                        cx.wrap(|| PathSegment::Root(desc.name().to_owned()));
                    });
                }
                _ => cx.read(|r| r.skip(tt))?,
            }
        }
    }
}

impl Serialize for JsonView<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.protocol {
            Protocol::Binary => self.run(BinaryReader::with_limits(self.bytes, self.limits), s),
            Protocol::Compact => self.run(CompactReader::with_limits(self.bytes, self.limits), s),
        }
    }
}

/// Renders a view as compact JSON text.
pub fn to_json_string(view: &JsonView<'_, '_>) -> Result<String> {
    let mut out = Vec::with_capacity(view.bytes.len() * 2 + 16);
    to_json_writer(view, &mut out, false)?;
    // serde_json writes valid UTF-8.
    String::from_utf8(out).map_err(|_| Error::invalid("json output is not utf-8"))
}

/// Renders a view as JSON into `out`, compact or pretty.
///
/// Compact JSON is written directly, without serde; pretty JSON goes
/// through the view's `Serialize` impl and `serde_json`'s pretty printer.
pub fn to_json_writer(view: &JsonView<'_, '_>, out: &mut Vec<u8>, pretty: bool) -> Result<()> {
    if pretty {
        return to_json_writer_serde(view, out, true);
    }
    match view.protocol {
        Protocol::Binary => view.write(BinaryReader::with_limits(view.bytes, view.limits), out),
        Protocol::Compact => view.write(CompactReader::with_limits(view.bytes, view.limits), out),
    }
}

impl<'a> JsonView<'a, '_> {
    /// The direct writer's run over reader `r`.
    fn write<R: Reader<'a>>(&self, mut r: R, out: &mut Vec<u8>) -> Result<()> {
        let message_len = self.bytes.len();
        let max_len = out
            .len()
            .saturating_add(self.limits.decoded_memory_for(message_len));
        let mut j = super::write::Json {
            r: &mut r,
            opts: &self.opts,
            out,
            max_len,
            limits: &self.limits,
            message_len,
        };
        let res = match self.target {
            Target::Type(ty) => j.value(ty.kind()),
            Target::Struct(desc) => j.structure(desc, 0),
            Target::ResultField(desc) => j.result_value(desc, &self.chosen),
        };
        self.consumed.set(r.position());
        res
    }
}

/// [`to_json_writer`] through the view's `Serialize` impl and `serde_json`,
/// compact or pretty: the reference for the direct writer.
pub fn to_json_writer_serde(
    view: &JsonView<'_, '_>,
    out: &mut Vec<u8>,
    pretty: bool,
) -> Result<()> {
    let r = if pretty {
        serde_json::to_writer_pretty(&mut *out, view)
    } else {
        serde_json::to_writer(&mut *out, view)
    };
    r.map_err(|e| view.take_error().unwrap_or_else(|| json_error(&e)))
}

struct Cx<'x, 'o, R> {
    r: &'x RefCell<R>,
    opts: &'o Options,
    slot: &'x RefCell<Option<Error>>,
}

impl<'a, R: Reader<'a>> Cx<'_, '_, R> {
    #[inline]
    fn read<T, E: ser::Error>(
        &self,
        f: impl FnOnce(&mut R) -> Result<T>,
    ) -> std::result::Result<T, E> {
        let out = f(&mut self.r.borrow_mut());
        out.map_err(|e| self.fail(e))
    }

    #[cold]
    fn fail<E: ser::Error>(&self, e: Error) -> E {
        let msg = e.to_string();
        *self.slot.borrow_mut() = Some(e);
        E::custom(msg)
    }

    #[cold]
    fn wrap(&self, seg: impl FnOnce() -> PathSegment) {
        let taken = self.slot.borrow_mut().take();
        if let Some(e) = taken {
            *self.slot.borrow_mut() = Some(e.at(seg()));
        }
    }
}

/// A value of a type, by its kind (resolved once by whoever makes the view:
/// once per list, not once per element).
struct ValueSer<'c, 'x, 'o, 'p, R> {
    cx: &'c Cx<'x, 'o, R>,
    kind: TypeKind<'p>,
}

impl<'c, 'x, 'o, 'p, R> ValueSer<'c, 'x, 'o, 'p, R> {
    #[inline]
    fn new(cx: &'c Cx<'x, 'o, R>, ty: TypeDescriptor<'p>) -> Self {
        Self {
            cx,
            kind: ty.kind(),
        }
    }
}

impl<'a, R: Reader<'a>> Serialize for ValueSer<'_, '_, '_, '_, R> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let cx = self.cx;
        let opts = cx.opts;
        match self.kind {
            TypeKind::Bool => s.serialize_bool(cx.read(|r| r.read_bool())?),
            TypeKind::Byte => s.serialize_i8(cx.read(|r| r.read_i8())?),
            TypeKind::I16 => s.serialize_i16(cx.read(|r| r.read_i16())?),
            TypeKind::I32 => s.serialize_i32(cx.read(|r| r.read_i32())?),
            TypeKind::I64 => {
                let n = cx.read(|r| r.read_i64())?;
                if opts.i64_as_string {
                    s.serialize_str(itoa::Buffer::new().format(n))
                } else {
                    s.serialize_i64(n)
                }
            }
            TypeKind::Enum(e) => {
                let n = cx.read(|r| r.read_i32())?;
                match e.name_of(n) {
                    Some(name) if opts.enum_as_name => s.serialize_str(name),
                    _ => s.serialize_i32(n),
                }
            }
            TypeKind::Double => {
                let d = cx.read(|r| r.read_double())?;
                if d.is_finite() {
                    return s.serialize_f64(d);
                }
                match opts.non_finite {
                    NonFinite::Null => s.serialize_unit(),
                    NonFinite::String => s.serialize_str(if d.is_nan() {
                        "NaN"
                    } else if d > 0.0 {
                        "Infinity"
                    } else {
                        "-Infinity"
                    }),
                    NonFinite::Error => Err(cx.fail(Error::new(
                        ErrorKind::OutOfRange,
                        format!("double {d} has no JSON form"),
                    ))),
                }
            }
            TypeKind::String => s.serialize_str(cx.read(|r| r.read_string())?),
            TypeKind::Binary => {
                let b = cx.read(|r| r.read_binary())?;
                match opts.binary {
                    BinaryFormat::Base64 => s.collect_str(&base64::display::Base64Display::new(
                        b,
                        &base64::engine::general_purpose::STANDARD,
                    )),
                    BinaryFormat::Text => match std::str::from_utf8(b) {
                        Ok(t) => s.serialize_str(t),
                        Err(_) => Err(cx.fail(not_text())),
                    },
                }
            }
            TypeKind::Uuid => s.serialize_str(&format_uuid(&cx.read(|r| r.read_uuid())?)),
            TypeKind::List(e) => {
                let (et, n) = cx.read(|r| r.read_list_begin())?;
                let out = seq(cx, s, e, et, n)?;
                cx.r.borrow_mut().read_list_end();
                Ok(out)
            }
            TypeKind::Set(e) => {
                let (et, n) = cx.read(|r| r.read_set_begin())?;
                let out = seq(cx, s, e, et, n)?;
                cx.r.borrow_mut().read_set_end();
                Ok(out)
            }
            TypeKind::Map(k, v) => {
                let (kt, vt, n) = cx.read(|r| r.read_map_begin())?;
                if n > 0 && kt != ttype_of(k) {
                    return Err(cx.fail(wire_mismatch(k, kt)));
                }
                if n > 0 && vt != ttype_of(v) {
                    return Err(cx.fail(wire_mismatch(v, vt)));
                }
                let out = if scalar_key(k) {
                    let mut m = s.serialize_map(Some(n))?;
                    let kk = k.kind();
                    let vs = ValueSer::new(cx, v);
                    for _ in 0..n {
                        let key = map_key(cx, kk)?;
                        if let Err(e) = m.serialize_entry(&key, &vs) {
                            cx.wrap(|| PathSegment::Key(key.path_text()));
                            return Err(e);
                        }
                    }
                    m.end()?
                } else {
                    let mut sq = s.serialize_seq(Some(n))?;
                    for i in 0..n {
                        if let Err(e) = sq.serialize_element(&PairSer { cx, k, v }) {
                            cx.wrap(|| PathSegment::Index(i));
                            return Err(e);
                        }
                    }
                    sq.end()?
                };
                cx.r.borrow_mut().read_map_end();
                Ok(out)
            }
            TypeKind::Struct(desc) => StructSer { cx, desc, depth: 1 }.serialize(s),
        }
    }
}

fn seq<'a, R: Reader<'a>, S: Serializer>(
    cx: &Cx<'_, '_, R>,
    s: S,
    e: TypeDescriptor<'_>,
    et: TType,
    n: usize,
) -> std::result::Result<S::Ok, S::Error> {
    if n > 0 && et != ttype_of(e) {
        return Err(cx.fail(wire_mismatch(e, et)));
    }
    let mut sq = s.serialize_seq(Some(n))?;
    let elem = ValueSer::new(cx, e);
    for i in 0..n {
        if let Err(err) = sq.serialize_element(&elem) {
            cx.wrap(|| PathSegment::Index(i));
            return Err(err);
        }
    }
    sq.end()
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
fn scalar_key(k: TypeDescriptor<'_>) -> bool {
    !matches!(
        k.kind(),
        TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Struct(_)
    )
}

/// A scalar map key as JSON object-key text; strings are borrowed from the
/// input and numbers are formatted on the stack.
enum MapKey<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Double(f64),
    Text(String),
}

impl MapKey<'_> {
    /// The key as written in error paths (`items["k"]`).
    #[cold]
    fn path_text(&self) -> String {
        match self {
            MapKey::Str(s) => format!("{s:?}"),
            MapKey::Int(n) => format!("\"{n}\""),
            MapKey::Bool(b) => format!("\"{b}\""),
            MapKey::Double(d) => format!("\"{}\"", double_key(*d, &mut ryu::Buffer::new())),
            MapKey::Text(t) => format!("{t:?}"),
        }
    }
}

/// Finite doubles in shortest round-trip form; NaN and infinities by name.
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

impl Serialize for MapKey<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            MapKey::Str(t) => s.serialize_str(t),
            MapKey::Int(n) => s.serialize_str(itoa::Buffer::new().format(*n)),
            MapKey::Bool(b) => s.serialize_str(if *b { "true" } else { "false" }),
            MapKey::Double(d) => s.serialize_str(double_key(*d, &mut ryu::Buffer::new())),
            MapKey::Text(t) => s.serialize_str(t),
        }
    }
}

/// Reads a scalar map key of kind `kind`.
fn map_key<'a, R: Reader<'a>, E: ser::Error>(
    cx: &Cx<'_, '_, R>,
    kind: TypeKind<'_>,
) -> std::result::Result<MapKey<'a>, E> {
    let opts = cx.opts;
    Ok(match kind {
        TypeKind::Bool => MapKey::Bool(cx.read(|r| r.read_bool())?),
        TypeKind::Byte => MapKey::Int(cx.read(|r| r.read_i8())?.into()),
        TypeKind::I16 => MapKey::Int(cx.read(|r| r.read_i16())?.into()),
        TypeKind::I32 => MapKey::Int(cx.read(|r| r.read_i32())?.into()),
        TypeKind::I64 => MapKey::Int(cx.read(|r| r.read_i64())?),
        TypeKind::Enum(e) => {
            let n = cx.read(|r| r.read_i32())?;
            match e.name_of(n) {
                Some(name) if opts.enum_as_name => MapKey::Text(name.to_owned()),
                _ => MapKey::Int(n.into()),
            }
        }
        TypeKind::Double => MapKey::Double(cx.read(|r| r.read_double())?),
        TypeKind::String => MapKey::Str(cx.read(|r| r.read_string())?),
        TypeKind::Binary => {
            let b = cx.read(|r| r.read_binary())?;
            match opts.binary {
                BinaryFormat::Base64 => {
                    MapKey::Text(base64::engine::general_purpose::STANDARD.encode(b))
                }
                BinaryFormat::Text => match std::str::from_utf8(b) {
                    Ok(t) => MapKey::Str(t),
                    Err(_) => return Err(cx.fail(not_text())),
                },
            }
        }
        TypeKind::Uuid => MapKey::Text(format_uuid(&cx.read(|r| r.read_uuid())?)),
        TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Struct(_) => {
            return Err(cx.fail(Error::invalid("container map keys are rendered as pairs")));
        }
    })
}

struct PairSer<'c, 'x, 'o, 'p, R> {
    cx: &'c Cx<'x, 'o, R>,
    k: TypeDescriptor<'p>,
    v: TypeDescriptor<'p>,
}

impl<'a, R: Reader<'a>> Serialize for PairSer<'_, '_, '_, '_, R> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut sq = s.serialize_seq(Some(2))?;
        sq.serialize_element(&ValueSer::new(self.cx, self.k))?;
        sq.serialize_element(&ValueSer::new(self.cx, self.v))?;
        sq.end()
    }
}

struct StructSer<'c, 'x, 'o, 'p, R> {
    cx: &'c Cx<'x, 'o, R>,
    desc: StructDescriptor<'p>,
    depth: usize,
}

impl<'a, R: Reader<'a>> Serialize for StructSer<'_, '_, '_, '_, R> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let StructSer { cx, desc, depth } = *self;
        let with_root = |e: Error| root(e, desc, depth == 0);
        let fail_root = |e: Error| cx.fail::<S::Error>(with_root(e));
        cx.read(|r| r.read_struct_begin())?;
        let mut seen = Seen::new(desc.len());
        let mut m = s.serialize_map(None)?;
        loop {
            let Some((tt, id)) = cx.read(|r| r.read_field_begin())? else {
                break;
            };
            let Some(f) = desc.field_by_id(id) else {
                cx.read(|r| r.skip(tt))?;
                continue;
            };
            let ty = f.ty();
            let kind = ty.kind();
            if tt != ttype_of_kind(kind) {
                // Kitex's generic servers may write a void result as a VOID field.
                if tt == TType::Void && id == 0 {
                    cx.read(|r| r.skip(TType::Struct))?;
                    continue;
                }
                // Another IDL version's type for this id: skipped like an
                // unknown field, as generated code does.
                cx.read(|r| r.skip(tt))?;
                crate::dynamic::skipped_mismatch(desc, f, tt);
                continue;
            }
            if seen.insert(f.index()) {
                // JSON with the key twice would be ambiguous, and the encoder
                // refuses it.
                let e = Error::new(
                    ErrorKind::InvalidData,
                    format!("field `{}` is given twice", f.json_name()),
                );
                return Err(fail_root(e.at_field(f.json_name())));
            }
            if let Err(e) = m.serialize_entry(f.json_name(), &ValueSer { cx, kind }) {
                cx.wrap(|| PathSegment::Field(f.json_name().to_owned()));
                if depth == 0 {
                    cx.wrap(|| PathSegment::Root(desc.name().to_owned()));
                }
                return Err(e);
            }
        }
        cx.r.borrow_mut().read_struct_end();
        check_required(desc, &seen, cx.opts).map_err(fail_root)?;
        if cx.opts.read_defaults {
            for f in desc.fields().filter(|f| !seen.contains(f.index())) {
                if let Some(d) = f.default_value() {
                    let v = crate::dynamic::value::const_to_value(f.ty(), d);
                    let shown = DefaultJson {
                        v: &v,
                        i64_as_string: cx.opts.i64_as_string,
                    };
                    m.serialize_entry(f.json_name(), &shown)?;
                }
            }
        }
        m.end()
    }
}

/// Renders a `Value` (an IDL default) with the same options as the view.
pub(super) struct DefaultJson<'v> {
    pub(super) v: &'v crate::Value,
    pub(super) i64_as_string: bool,
}

impl Serialize for DefaultJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.v {
            crate::Value::I64(n) if self.i64_as_string => {
                s.serialize_str(itoa::Buffer::new().format(*n))
            }
            other => other.serialize(s),
        }
    }
}
