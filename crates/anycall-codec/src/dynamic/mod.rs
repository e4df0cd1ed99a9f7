//! Descriptor-driven codecs: `Value` ⇄ bytes and JSON ⇄ bytes.
//!
//! Two paths, one truth:
//!
//! * [`value`]: read and write [`Value`](crate::Value) trees under a descriptor
//!   (Kitex's map generic);
//! * [`json`]: transcode JSON text straight to Thrift bytes (a serde
//!   `DeserializeSeed` that writes into the output buffer as it parses) and
//!   Thrift bytes straight to JSON (a `Serialize` view that reads the bytes
//!   as the serializer asks for them). No tree is built on this path.
//!
//! Both follow the same rules ([`Options`](crate::Options)), and property
//! tests hold them to identical bytes.

pub mod json;
mod plan;
pub mod value;

use anycall_idl::{ConstValue, TypeDescriptor, TypeKind};

use crate::error::{Error, ErrorKind, Result};
use crate::thrift::{TType, Writer};

/// The wire type of an IDL type ([`TType::of`]).
#[inline]
pub(crate) fn ttype_of(ty: TypeDescriptor<'_>) -> TType {
    TType::of(ty)
}

/// The wire type of a type's kind ([`TType::of_kind`]).
#[inline]
pub(crate) fn ttype_of_kind(kind: TypeKind<'_>) -> TType {
    TType::of_kind(kind)
}

/// Writes the zero value of a type: false, 0, "", empty container, or a
/// struct holding the zero values of its required fields.
pub(crate) fn write_zero<W: Writer>(w: &mut W, ty: TypeDescriptor<'_>) -> Result<()> {
    match ty.kind() {
        TypeKind::Bool => w.write_bool(false),
        TypeKind::Byte => w.write_i8(0),
        TypeKind::I16 => w.write_i16(0),
        TypeKind::I32 | TypeKind::Enum(_) => w.write_i32(0),
        TypeKind::I64 => w.write_i64(0),
        TypeKind::Double => w.write_double(0.0),
        TypeKind::String | TypeKind::Binary => w.write_binary(b"")?,
        TypeKind::Uuid => w.write_uuid(&[0; 16]),
        TypeKind::List(e) => w.write_list_begin(ttype_of(e), 0)?,
        TypeKind::Set(e) => w.write_set_begin(ttype_of(e), 0)?,
        TypeKind::Map(k, v) => w.write_map_begin(ttype_of(k), ttype_of(v), 0)?,
        TypeKind::Struct(s) => {
            w.write_struct_begin();
            for f in s.required_fields() {
                w.write_field_begin(ttype_of(f.ty()), f.id())?;
                write_zero(w, f.ty())?;
            }
            w.write_field_stop();
            w.write_struct_end();
        }
    }
    Ok(())
}

/// Writes an IDL constant (a default value) of a type. The linker has
/// already checked the value against the type.
pub(crate) fn write_const<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    v: &ConstValue,
) -> Result<()> {
    match (ty.kind(), v) {
        (TypeKind::Bool, ConstValue::Bool(b)) => w.write_bool(*b),
        (TypeKind::Byte, ConstValue::Int(n)) => w.write_i8(*n as i8),
        (TypeKind::I16, ConstValue::Int(n)) => w.write_i16(*n as i16),
        (TypeKind::I32 | TypeKind::Enum(_), ConstValue::Int(n)) => w.write_i32(*n as i32),
        (TypeKind::I64, ConstValue::Int(n)) => w.write_i64(*n),
        (TypeKind::Double, ConstValue::Double(d)) => w.write_double(*d),
        (TypeKind::String | TypeKind::Binary, ConstValue::String(s)) => w.write_string(s)?,
        (TypeKind::Uuid, ConstValue::String(s)) => {
            let u = crate::value::parse_uuid(s)
                .ok_or_else(|| Error::new(ErrorKind::TypeMismatch, "invalid uuid constant"))?;
            w.write_uuid(&u);
        }
        (TypeKind::List(e), ConstValue::List(items)) => {
            w.write_list_begin(ttype_of(e), items.len())?;
            for i in items {
                write_const(w, e, i)?;
            }
        }
        (TypeKind::Set(e), ConstValue::List(items)) => {
            w.write_set_begin(ttype_of(e), items.len())?;
            for i in items {
                write_const(w, e, i)?;
            }
        }
        (TypeKind::Map(k, val), ConstValue::Map(pairs)) => {
            w.write_map_begin(ttype_of(k), ttype_of(val), pairs.len())?;
            for (pk, pv) in pairs {
                write_const(w, k, pk)?;
                write_const(w, val, pv)?;
            }
        }
        (TypeKind::Struct(s), ConstValue::Struct(fields)) => {
            w.write_struct_begin();
            for (id, fv) in fields {
                if let Some(f) = s.field_by_id(*id) {
                    w.write_field_begin(ttype_of(f.ty()), f.id())?;
                    write_const(w, f.ty(), fv)?;
                }
            }
            w.write_field_stop();
            w.write_struct_end();
        }
        _ => {
            return Err(Error::new(
                ErrorKind::TypeMismatch,
                format!("constant does not fit type {}", ty.display()),
            ));
        }
    }
    Ok(())
}

/// The "expected X, found Y" error.
#[cold]
pub(crate) fn mismatch(expected: TypeDescriptor<'_>, found: &str) -> Error {
    Error::new(
        ErrorKind::TypeMismatch,
        format!("expected {}, found {found}", expected.display()),
    )
}

/// A wire type that does not match the IDL.
#[cold]
pub(crate) fn wire_mismatch(expected: TypeDescriptor<'_>, found: TType) -> Error {
    Error::new(
        ErrorKind::TypeMismatch,
        format!(
            "expected {} ({}) on the wire, found {}",
            expected.display(),
            ttype_of(expected).name(),
            found.name()
        ),
    )
}

/// Notes a field skipped on read because its wire type is not the IDL's
/// (ThriftTest's `VersioningTestV1`/`V2` case): a debug event, with the
/// struct, field and both types, so a mismatch between versions shows up in
/// logs without failing the read.
#[cold]
pub(crate) fn skipped_mismatch(
    desc: anycall_idl::StructDescriptor<'_>,
    f: anycall_idl::FieldDescriptor<'_>,
    found: TType,
) {
    tracing::debug!(
        target: "anycall_codec::skipped_field",
        r#struct = %desc.full_name(),
        field = f.json_name(),
        id = f.id(),
        expected = ttype_of(f.ty()).name(),
        found = found.name(),
        "skipped a field whose wire type differs from the IDL"
    );
}

/// An integer outside the range of its IDL type.
#[cold]
pub(crate) fn out_of_range(n: impl std::fmt::Display, ty: TypeDescriptor<'_>) -> Error {
    Error::new(
        ErrorKind::OutOfRange,
        format!("{n} is out of range for {}", ty.display()),
    )
}

/// Writes a checked integer of an integer or enum type.
#[inline]
pub(crate) fn write_int<W: Writer>(w: &mut W, ty: TypeDescriptor<'_>, n: i64) -> Result<()> {
    write_int_of(w, ty.kind(), ty, n)
}

/// [`write_int`] with the type's kind already at hand.
#[inline]
pub(crate) fn write_int_of<W: Writer>(
    w: &mut W,
    kind: TypeKind<'_>,
    ty: TypeDescriptor<'_>,
    n: i64,
) -> Result<()> {
    let range = |_| out_of_range(n, ty);
    match kind {
        TypeKind::Byte => w.write_i8(i8::try_from(n).map_err(range)?),
        TypeKind::I16 => w.write_i16(i16::try_from(n).map_err(range)?),
        TypeKind::I32 | TypeKind::Enum(_) => w.write_i32(i32::try_from(n).map_err(range)?),
        TypeKind::I64 => w.write_i64(n),
        TypeKind::Double => w.write_double(n as f64),
        _ => return Err(mismatch(ty, "an integer")),
    }
    Ok(())
}

/// The error for a required field that is absent.
#[cold]
pub(crate) fn missing(name: &str) -> Error {
    Error::new(
        ErrorKind::MissingRequired,
        format!("missing required field `{name}`"),
    )
}

/// After reading a struct: the error for its first required field not in
/// `seen`, when `opts` makes missing required fields errors.
pub(crate) fn check_required(
    desc: anycall_idl::StructDescriptor<'_>,
    seen: &Seen,
    opts: &crate::options::Options,
) -> Result<()> {
    if opts.missing_required != crate::options::MissingRequired::Error {
        return Ok(());
    }
    match desc.required_fields().find(|f| !seen.contains(f.index())) {
        Some(f) => Err(missing(f.json_name())),
        None => Ok(()),
    }
}

/// Decodes base64 text and writes it as binary; values up to 1 KiB are
/// decoded on the stack. `bad` words the error for text that is not base64.
pub(crate) fn write_base64<W: Writer>(
    w: &mut W,
    s: &str,
    bad: impl Fn(base64::DecodeError) -> Error,
) -> Result<()> {
    use base64::Engine as _;
    let engine = &base64::engine::general_purpose::STANDARD;
    let mut stack = [0u8; 1024];
    if base64::decoded_len_estimate(s.len()) <= stack.len() {
        match engine.decode_slice(s, &mut stack) {
            Ok(n) => return w.write_binary(&stack[..n]),
            Err(base64::DecodeSliceError::DecodeError(e)) => return Err(bad(e)),
            // Not expected under the estimate; the heap path below copes.
            Err(base64::DecodeSliceError::OutputSliceTooSmall) => {}
        }
    }
    match engine.decode(s) {
        Ok(bytes) => w.write_binary(&bytes),
        Err(e) => Err(bad(e)),
    }
}

/// Marks which fields of a struct were seen (one bit per field position:
/// two words, without an allocation, for up to 128 fields; a vector beyond).
pub(crate) struct Seen {
    small: [u64; 2],
    large: Vec<bool>,
}

impl Seen {
    #[inline]
    pub(crate) fn new(len: usize) -> Self {
        Self {
            small: [0; 2],
            large: if len > 128 {
                vec![false; len]
            } else {
                Vec::new()
            },
        }
    }

    /// Marks `i`; returns whether it was already marked.
    #[inline]
    pub(crate) fn insert(&mut self, i: usize) -> bool {
        if self.large.is_empty() {
            let (word, bit) = (&mut self.small[i >> 6], 1u64 << (i & 63));
            let was = *word & bit != 0;
            *word |= bit;
            was
        } else {
            std::mem::replace(&mut self.large[i], true)
        }
    }

    /// Marks positions `0..n`.
    #[inline]
    pub(crate) fn mark_first(&mut self, n: usize) {
        if self.large.is_empty() {
            let bits = |n: usize| match n {
                0 => 0,
                1..64 => u64::MAX >> (64 - n),
                _ => u64::MAX,
            };
            self.small[0] |= bits(n);
            self.small[1] |= bits(n.saturating_sub(64));
        } else {
            let n = n.min(self.large.len());
            self.large[..n].fill(true);
        }
    }

    #[inline]
    pub(crate) fn contains(&self, i: usize) -> bool {
        if self.large.is_empty() {
            self.small[i >> 6] & (1u64 << (i & 63)) != 0
        } else {
            self.large[i]
        }
    }
}

/// Finds repeated set elements or map keys while they are written, by
/// comparing their encoded bytes (equal values encode to equal bytes in
/// both protocols). Does nothing unless strict checking is on; up to
/// [`DISTINCT_SCAN`] elements are compared directly, more through a hash
/// set of their bytes.
pub(crate) struct Distinct {
    on: bool,
    /// Elements so far.
    n: usize,
    /// Byte ranges of the first [`DISTINCT_SCAN`] elements, without an
    /// allocation.
    first: [(usize, usize); DISTINCT_SCAN],
    /// Byte ranges of the elements after those.
    more: Vec<(usize, usize)>,
    /// Hashes of the elements' bytes, once there are many.
    hashes: rustc_hash::FxHashSet<u64>,
}

/// Elements compared one by one before hashing starts.
pub(crate) const DISTINCT_SCAN: usize = 16;

impl Distinct {
    #[inline]
    pub(crate) fn new(on: bool) -> Self {
        Self {
            on,
            n: 0,
            first: [(0, 0); DISTINCT_SCAN],
            more: Vec::new(),
            hashes: rustc_hash::FxHashSet::default(),
        }
    }

    /// Records the element written at `buf[start..]`; true when an earlier
    /// element had the same bytes.
    #[inline]
    pub(crate) fn repeats(&mut self, buf: &[u8], start: usize) -> bool {
        if !self.on {
            return false;
        }
        let bytes = &buf[start..];
        let same = |&(s, e): &(usize, usize)| &buf[s..e] == bytes;
        if self.n < DISTINCT_SCAN {
            if self.first[..self.n].iter().any(same) {
                return true;
            }
            self.first[self.n] = (start, buf.len());
            self.n += 1;
            return false;
        }
        if self.hashes.is_empty() {
            for &(s, e) in self.first.iter().chain(&self.more) {
                self.hashes.insert(hash_bytes(&buf[s..e]));
            }
        }
        // A new hash is a new element; a known one is checked by bytes.
        if !self.hashes.insert(hash_bytes(bytes))
            && (self.first.iter().any(same) || self.more.iter().any(same))
        {
            return true;
        }
        self.more.push((start, buf.len()));
        self.n += 1;
        false
    }
}

fn hash_bytes(b: &[u8]) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = rustc_hash::FxHasher::default();
    b.hash(&mut h);
    h.finish()
}

/// The strict-mode error for a repeated set element or map key.
#[cold]
pub(crate) fn repeated(ty: TypeDescriptor<'_>, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!(
            "repeated {what} in {} (generated code refuses it; --lenient passes it through)",
            ty.display()
        ),
    )
}

/// The strict-mode check of a union after writing: exactly one field set.
#[inline]
pub(crate) fn check_union(
    desc: anycall_idl::StructDescriptor<'_>,
    set: usize,
    opts: &crate::options::Options,
) -> Result<()> {
    if !opts.strict || set == 1 || desc.kind() != anycall_idl::StructKind::Union {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::InvalidData,
        format!(
            "union {} must have exactly one field set, found {set} (--lenient passes it through)",
            desc.full_name()
        ),
    ))
}

/// Whether the fields of a struct were written in ascending id order, as
/// generated code writes them.
#[derive(Clone, Copy)]
pub(crate) struct Order {
    last: i32,
    sorted: bool,
}

impl Order {
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            last: i32::MIN,
            sorted: true,
        }
    }

    /// The order after fields up to `last` were written, sorted or not.
    #[inline]
    pub(crate) fn after(last: i16, sorted: bool) -> Self {
        Self {
            last: i32::from(last),
            sorted,
        }
    }

    /// Notes that field `id` was written next.
    #[inline]
    pub(crate) fn note(&mut self, id: i16) {
        let id = i32::from(id);
        self.sorted &= id > self.last;
        self.last = id;
    }

    /// After the last field (before STOP): rewrites the struct's fields,
    /// which start at `body`, in id order unless they already are. Costs
    /// nothing when the input came in id order.
    #[inline]
    pub(crate) fn finish<W: Writer>(self, w: &mut W, body: usize) -> Result<()> {
        if self.sorted {
            return Ok(());
        }
        sort_fields(w, body)
    }
}

/// Notes the fields of a struct as they are written: [`Order`] keeps
/// their order, [`Spans`] also where each starts.
pub(crate) trait NoteOrder {
    /// Notes that field `id` is written next, its header at `start`.
    fn note_at(&mut self, id: i16, start: usize);
}

impl NoteOrder for Order {
    #[inline]
    fn note_at(&mut self, id: i16, _start: usize) {
        self.note(id);
    }
}

/// Fields a [`Spans`] keeps the place of; a struct with more written after
/// its sorted start is put in order by reading it back.
const SPANS: usize = 16;

/// The order of the fields written after `from`, and where each starts:
/// when only they are out of order (the struct's fields before `from` are
/// sorted and all of lower id) and the protocol is Binary (whose field
/// headers do not depend on the field before), they are put in order by
/// moving their bytes, without reading the struct back.
pub(crate) struct Spans {
    order: Order,
    from: usize,
    /// The last id before `from`, when the fields before it are sorted.
    below: Option<i32>,
    at: [(i16, usize); SPANS],
    len: usize,
}

impl Spans {
    /// Notes fields from `from` on, after `before` (the fields written
    /// before it, in that order).
    #[inline]
    pub(crate) fn after(before: Order, from: usize) -> Self {
        Self {
            order: before,
            from,
            below: before.sorted.then_some(before.last),
            at: [(0, 0); SPANS],
            len: 0,
        }
    }

    /// As [`Order::finish`].
    pub(crate) fn finish<W: Writer>(self, w: &mut W, body: usize) -> Result<()> {
        if self.order.sorted {
            return Ok(());
        }
        let n = self.len;
        let movable = w.protocol() == crate::thrift::Protocol::Binary
            && (1..=SPANS).contains(&n)
            && self.at[0].1 == self.from
            && self
                .below
                .is_some_and(|below| self.at[..n].iter().all(|&(id, _)| i32::from(id) > below));
        if !movable {
            return sort_fields(w, body);
        }
        let region = w.buf()[self.from..].to_vec();
        let at = &self.at[..n];
        let mut parts = [(0i16, 0usize, 0usize); SPANS];
        for (k, part) in parts[..n].iter_mut().enumerate() {
            let end = at
                .get(k + 1)
                .map_or(region.len(), |next| next.1 - self.from);
            *part = (at[k].0, at[k].1 - self.from, end);
        }
        // Stable: a repeated id keeps its order.
        parts[..n].sort_by_key(|p| p.0);
        w.rewind_fields(self.from);
        for &(_, start, end) in &parts[..n] {
            w.write_raw(&region[start..end]);
        }
        Ok(())
    }
}

impl NoteOrder for Spans {
    #[inline]
    fn note_at(&mut self, id: i16, start: usize) {
        self.order.note(id);
        if self.len < SPANS {
            self.at[self.len] = (id, start);
        }
        self.len += 1;
    }
}

/// Reads back the fields written since `body` and writes them again in id
/// order (a stable sort, so a repeated id keeps its order).
#[cold]
fn sort_fields<W: Writer>(w: &mut W, body: usize) -> Result<()> {
    use crate::thrift::{ProtocolReader, Reader as _};
    let written = w.buf()[body..].to_vec();
    // These bytes were just written under the writer's own checks.
    let limits = crate::Limits::unlimited();
    let mut r = ProtocolReader::new(w.protocol(), &written, limits);
    // (id, type, value start, value end, bool value)
    let mut fields: Vec<(i16, TType, usize, usize, bool)> = Vec::new();
    while r.position() < written.len() {
        let Some((tt, id)) = r.read_field_begin()? else {
            break;
        };
        let start = r.position();
        let flag = if tt == TType::Bool {
            r.read_bool()?
        } else {
            r.skip(tt)?;
            false
        };
        fields.push((id, tt, start, r.position(), flag));
    }
    fields.sort_by_key(|f| f.0);
    w.rewind_fields(body);
    for (id, tt, start, end, flag) in fields {
        w.write_field_begin(tt, id)?;
        if tt == TType::Bool {
            w.write_bool(flag);
        } else {
            w.write_raw(&written[start..end]);
        }
    }
    Ok(())
}
