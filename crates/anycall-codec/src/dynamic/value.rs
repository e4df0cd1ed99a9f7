//! [`Value`] ⇄ Thrift bytes under a descriptor (Kitex's map generic).
//!
//! Writing converts what it can, as Kitex's write mapping does: integers of
//! any width when the value fits, integers for doubles, strings for binary,
//! enum names for enums, `Set` for lists and `List` for sets, structs with
//! string keys for maps. Everything else is a type mismatch naming the
//! field path.

use anycall_idl::{StructDescriptor, TypeDescriptor, TypeKind};

use super::plan::{ElemPlan, FieldPlan, Plan, Shape, with_plan};
use super::{
    DISTINCT_SCAN, Distinct, NoteOrder, Order, Seen, Spans, check_required, check_union, mismatch,
    missing, repeated, skipped_mismatch, ttype_of, wire_mismatch, write_base64, write_const,
    write_int, write_int_of, write_zero,
};
use crate::error::{Error, ErrorKind, PathSegment, Result};
use crate::options::{MissingRequired, Options, UnknownFields};
use crate::thrift::{Reader, TType, Writer};
use crate::value::{Struct, Value, parse_uuid};
use compact_str::CompactString;

/// Writes `value` as a value of type `ty`.
pub fn write_value<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    value: &Value,
    opts: &Options,
) -> Result<()> {
    write_typed(w, ty, value, opts, 0)
}

/// Writes a struct value as struct `desc`.
pub fn write_struct<W: Writer>(
    w: &mut W,
    desc: StructDescriptor<'_>,
    value: &Struct,
    opts: &Options,
) -> Result<()> {
    write_struct_at(w, desc, value, opts, 0, true)
}

const MAX_DEPTH: usize = crate::limits::DEFAULT_MAX_DEPTH;

fn write_typed<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    value: &Value,
    opts: &Options,
    depth: usize,
) -> Result<()> {
    write_kind(w, ty, ty.kind(), value, opts, depth)
}

/// [`write_typed`] with the type's kind already at hand.
fn write_kind<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    kind: TypeKind<'_>,
    value: &Value,
    opts: &Options,
    depth: usize,
) -> Result<()> {
    match (kind, value) {
        (TypeKind::Bool, Value::Bool(b)) => w.write_bool(*b),
        // The exact widths first: no conversion, no range check.
        (TypeKind::I32, Value::I32(n)) => w.write_i32(*n),
        (TypeKind::I64, Value::I64(n)) => w.write_i64(*n),
        (TypeKind::I16, Value::I16(n)) => w.write_i16(*n),
        (TypeKind::Byte, Value::I8(n)) => w.write_i8(*n),
        // Any other width, range-checked (enums are i32).
        (
            TypeKind::Byte
            | TypeKind::I16
            | TypeKind::I32
            | TypeKind::I64
            | TypeKind::Double
            | TypeKind::Enum(_),
            Value::I8(_) | Value::I16(_) | Value::I32(_) | Value::I64(_),
        ) => write_int_of(w, kind, ty, value.as_i64().unwrap_or(0))?,
        (TypeKind::Double, Value::Double(d)) => w.write_double(*d),
        (TypeKind::Enum(e), Value::String(name)) => match e.value(name) {
            Some(n) => w.write_i32(n),
            None => {
                return Err(Error::new(
                    ErrorKind::TypeMismatch,
                    format!(
                        "enum {} has no value named \"{name}\"{}",
                        e.full_name(),
                        enum_hint(e, name)
                    ),
                ));
            }
        },
        (TypeKind::String, Value::String(s)) => w.write_string(s)?,
        (TypeKind::String, Value::Binary(b)) => match std::str::from_utf8(b) {
            Ok(s) => w.write_string(s)?,
            Err(_) => return Err(mismatch(ty, "binary that is not UTF-8")),
        },
        (TypeKind::Binary, Value::Binary(b)) => w.write_binary(b)?,
        (TypeKind::Binary, Value::String(s)) => w.write_binary(s.as_bytes())?,
        (TypeKind::Uuid, Value::Uuid(u)) => w.write_uuid(u),
        (TypeKind::Uuid, Value::String(s)) => match parse_uuid(s) {
            Some(u) => w.write_uuid(&u),
            None => return Err(mismatch(ty, &format!("string \"{s}\""))),
        },
        (TypeKind::List(e), Value::List(items) | Value::Set(items)) => {
            guard(depth, opts)?;
            let e = Elem::of(e);
            w.write_list_begin(e.plan.ttype, items.len())?;
            write_items(w, e, items, opts, depth)?;
        }
        (TypeKind::Set(e), Value::List(items) | Value::Set(items)) => {
            guard(depth, opts)?;
            let e = Elem::of(e);
            w.write_set_begin(e.plan.ttype, items.len())?;
            write_set_items(w, ty, e, items, opts, depth)?;
        }
        (TypeKind::Map(k, v), Value::Map(pairs)) => {
            guard(depth, opts)?;
            let (k, v) = (Elem::of(k), Elem::of(v));
            w.write_map_begin(k.plan.ttype, v.plan.ttype, pairs.len())?;
            write_pairs(w, ty, k, v, pairs, opts, depth)?;
        }
        (TypeKind::Map(k, v), Value::Struct(s)) => {
            // An object with string keys, as JSON gives maps.
            guard(depth, opts)?;
            let v = Elem::of(v);
            w.write_map_begin(ttype_of(k), v.plan.ttype, s.len())?;
            let check = opts.strict && s.len() > 1;
            // Keys written as their text compare as text.
            let direct =
                s.len() <= DISTINCT_SCAN && matches!(k.kind(), TypeKind::String | TypeKind::Binary);
            let mut distinct = (check && !direct).then(|| Distinct::new(true));
            for (i, (name, pv)) in s.iter().enumerate() {
                let key = || PathSegment::Key(format!("{name:?}"));
                let start = w.buf().len();
                write_key_str(w, k, name, false).map_err(|e| e.at(key()))?;
                let again = match &mut distinct {
                    None => check && s.iter().take(i).any(|(earlier, _)| earlier == name),
                    Some(d) => d.repeats(w.buf(), start),
                };
                if again {
                    return Err(repeated(ty, "key").at(key()));
                }
                write_elem(w, v, pv, opts, depth + 1).map_err(|e| e.at(key()))?;
            }
        }
        (TypeKind::Struct(s), Value::Struct(fields)) => {
            write_struct_at(w, s, fields, opts, depth, false)?;
        }
        (_, other) => return Err(mismatch(ty, other.kind_name())),
    }
    Ok(())
}

/// A container's element type (or a map's key or value type) at hand.
#[derive(Clone, Copy)]
struct Elem<'a> {
    ty: TypeDescriptor<'a>,
    plan: ElemPlan,
}

impl<'a> Elem<'a> {
    #[inline]
    fn of(ty: TypeDescriptor<'a>) -> Self {
        Self {
            ty,
            plan: ElemPlan::of(ty),
        }
    }

    /// The element type a field's plan resolved.
    #[inline]
    fn planned(pool: &'a anycall_idl::Pool, plan: ElemPlan) -> Self {
        Self {
            ty: pool.type_by_id(plan.ty),
            plan,
        }
    }
}

/// Elements of type `e`, after the header of a container at `depth`; a
/// list of structs finds the struct's plan once.
fn write_items<W: Writer>(
    w: &mut W,
    e: Elem<'_>,
    items: &[Value],
    opts: &Options,
    depth: usize,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    if e.plan.shape == Shape::Struct
        && let TypeKind::Struct(s) = e.ty.kind()
    {
        return with_plan(s, |plan| {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Struct(fields) => guard(depth + 1, opts)
                        .and_then(|()| write_planned(w, s, plan, fields, opts, depth + 1, false)),
                    _ => write_kind(w, e.ty, e.ty.kind(), item, opts, depth + 1),
                }
                .map_err(|err| err.at(PathSegment::Index(i)))?;
            }
            Ok(())
        });
    }
    for (i, item) in items.iter().enumerate() {
        write_elem(w, e, item, opts, depth + 1).map_err(|err| err.at(PathSegment::Index(i)))?;
    }
    Ok(())
}

/// The elements of a set of type `ty` at `depth`, after its header:
/// strict, a repeated element is an error.
fn write_set_items<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    e: Elem<'_>,
    items: &[Value],
    opts: &Options,
    depth: usize,
) -> Result<()> {
    if !opts.strict || items.len() < 2 {
        return write_items(w, e, items, opts, depth);
    }
    let direct = items.len() <= DISTINCT_SCAN && by_value(e.plan.shape);
    let mut distinct = (!direct).then(|| Distinct::new(true));
    for (i, item) in items.iter().enumerate() {
        let start = w.buf().len();
        write_elem(w, e, item, opts, depth + 1).map_err(|err| err.at(PathSegment::Index(i)))?;
        let again = match &mut distinct {
            None => items[..i].iter().any(|earlier| same_key(earlier, item)),
            Some(d) => d.repeats(w.buf(), start),
        };
        if again {
            return Err(repeated(ty, "element").at(PathSegment::Index(i)));
        }
    }
    Ok(())
}

/// The entries of a map of type `ty` at `depth`, after its header:
/// strict, a repeated key is an error.
fn write_pairs<W: Writer>(
    w: &mut W,
    ty: TypeDescriptor<'_>,
    k: Elem<'_>,
    v: Elem<'_>,
    pairs: &[(Value, Value)],
    opts: &Options,
    depth: usize,
) -> Result<()> {
    let check = opts.strict && pairs.len() > 1;
    let direct = pairs.len() <= DISTINCT_SCAN && by_value(k.plan.shape);
    let mut distinct = (check && !direct).then(|| Distinct::new(true));
    for (i, (pk, pv)) in pairs.iter().enumerate() {
        let key = || PathSegment::Key(key_text(pk));
        let start = w.buf().len();
        write_elem(w, k, pk, opts, depth + 1).map_err(|e| e.at(key()))?;
        let again = match &mut distinct {
            None => check && pairs[..i].iter().any(|(earlier, _)| same_key(earlier, pk)),
            Some(d) => d.repeats(w.buf(), start),
        };
        if again {
            return Err(repeated(ty, "key").at(key()));
        }
        write_elem(w, v, pv, opts, depth + 1).map_err(|e| e.at(key()))?;
    }
    Ok(())
}

/// [`write_kind`] for an element, with the exact variants of scalars
/// written without its general match.
#[inline(always)]
fn write_elem<W: Writer>(
    w: &mut W,
    e: Elem<'_>,
    value: &Value,
    opts: &Options,
    depth: usize,
) -> Result<()> {
    match (e.plan.shape, value) {
        (Shape::String, Value::String(s)) => return w.write_string(s),
        (Shape::Binary, Value::Binary(b)) => return w.write_binary(b),
        (Shape::I64, Value::I64(n)) => w.write_i64(*n),
        (Shape::I32 | Shape::Enum, Value::I32(n)) => w.write_i32(*n),
        (Shape::Double, Value::Double(d)) => w.write_double(*d),
        (Shape::Bool, Value::Bool(b)) => w.write_bool(*b),
        (Shape::I16, Value::I16(n)) => w.write_i16(*n),
        (Shape::Byte, Value::I8(n)) => w.write_i8(*n),
        _ => return write_kind(w, e.ty, e.ty.kind(), value, opts, depth),
    }
    Ok(())
}

/// Key (or set element) types whose written values repeat exactly when
/// the values are equal: strings and binaries by their bytes (either
/// variant, as both write the bytes), integers by value (any width, as
/// each is written range-checked at the type's width). Small maps and
/// sets of these compare their values instead of the bytes written.
#[inline]
fn by_value(shape: Shape) -> bool {
    matches!(
        shape,
        Shape::String | Shape::Binary | Shape::Byte | Shape::I16 | Shape::I32 | Shape::I64
    )
}

/// Whether two keys, both already written as one [`by_value`] type, wrote
/// the same bytes.
#[inline]
fn same_key(a: &Value, b: &Value) -> bool {
    match (text_bytes(a), text_bytes(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.as_i64().is_some() && a.as_i64() == b.as_i64(),
    }
}

/// The bytes a string or binary value writes.
#[inline]
fn text_bytes(v: &Value) -> Option<&[u8]> {
    match v {
        Value::String(s) => Some(s.as_bytes()),
        Value::Binary(b) => Some(b),
        _ => None,
    }
}

/// Checks that one more level after `depth` stays within the limit.
#[inline]
fn guard(depth: usize, opts: &Options) -> Result<()> {
    if depth >= opts.max_depth {
        return Err(Error::limit(crate::Limit::Depth, depth + 1, opts.max_depth));
    }
    Ok(())
}

/// Writes a map key given as text (a JSON object key) as type `k`; binary
/// keys are base64 when `base64` is set.
pub(crate) fn write_key_str<W: Writer>(
    w: &mut W,
    k: TypeDescriptor<'_>,
    s: &str,
    base64: bool,
) -> Result<()> {
    match k.kind() {
        TypeKind::Binary if base64 => {
            write_base64(w, s, |_| mismatch(k, &format!("key {s:?} (not base64)")))?;
        }
        TypeKind::String | TypeKind::Binary => w.write_string(s)?,
        TypeKind::Byte | TypeKind::I16 | TypeKind::I32 | TypeKind::I64 => {
            let n: i64 = s
                .parse()
                .map_err(|_| mismatch(k, &format!("key \"{s}\"")))?;
            write_int(w, k, n)?;
        }
        TypeKind::Double => {
            let d: f64 = s
                .parse()
                .map_err(|_| mismatch(k, &format!("key \"{s}\"")))?;
            w.write_double(d);
        }
        TypeKind::Bool => match s {
            "true" => w.write_bool(true),
            "false" => w.write_bool(false),
            _ => return Err(mismatch(k, &format!("key \"{s}\""))),
        },
        TypeKind::Enum(e) => match e.value(s) {
            Some(n) => w.write_i32(n),
            None => {
                let n: i64 = s
                    .parse()
                    .map_err(|_| mismatch(k, &format!("key \"{s}\"")))?;
                write_int(w, k, n)?;
            }
        },
        TypeKind::Uuid => match parse_uuid(s) {
            Some(u) => w.write_uuid(&u),
            None => return Err(mismatch(k, &format!("key \"{s}\""))),
        },
        TypeKind::List(_) | TypeKind::Set(_) | TypeKind::Map(..) | TypeKind::Struct(_) => {
            return Err(Error::new(
                ErrorKind::TypeMismatch,
                format!(
                    "map keys of type {} cannot be object keys; write the map as [[key, value], ...]",
                    k.display()
                ),
            ));
        }
    }
    Ok(())
}

fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => serde_json::to_string(other).unwrap_or_else(|_| other.kind_name().to_owned()),
    }
}

/// Writes a struct after `depth` levels of nesting (the struct itself is
/// one more, as the readers count); `top` marks the outermost struct of an
/// error path.
#[inline]
fn write_struct_at<W: Writer>(
    w: &mut W,
    desc: StructDescriptor<'_>,
    value: &Struct,
    opts: &Options,
    depth: usize,
    top: bool,
) -> Result<()> {
    guard(depth, opts)?;
    with_plan(desc, |plan| {
        write_planned(w, desc, plan, value, opts, depth, top)
    })
}

/// [`write_struct_at`] with the struct's plan at hand.
fn write_planned<W: Writer>(
    w: &mut W,
    desc: StructDescriptor<'_>,
    plan: &Plan,
    value: &Struct,
    opts: &Options,
    depth: usize,
    top: bool,
) -> Result<()> {
    w.write_struct_begin();
    let body = w.buf().len();
    let fields = &plan.fields;
    // Fields usually come in declaration order (as decoded, or built from
    // the IDL): while each is the one after the last, none can repeat and
    // the fields given so far are the first `next` of the plan.
    let mut given = value.iter();
    let mut next = 0;
    let mut first_out_of_order = None;
    for (name, v) in given.by_ref() {
        match fields.get(next) {
            Some(f) if same_name(&f.text, name) => {
                write_field(w, desc, f, v, opts, depth)
                    .map_err(|e| e.at_field(&f.name))
                    .map_err(|e| root(e, desc, top))?;
                next += 1;
            }
            _ => {
                first_out_of_order = Some((name, v));
                break;
            }
        }
    }
    if first_out_of_order.is_none() && next <= plan.ascending && plan.quiet_absent && !plan.union {
        // Nothing to check, add or reorder.
        w.write_field_stop();
        w.write_struct_end();
        return Ok(());
    }
    let rest = first_out_of_order.into_iter().chain(given);
    write_rest(
        w,
        desc,
        plan,
        value.len(),
        rest,
        next,
        body,
        opts,
        depth,
        top,
    )
}

/// [`write_planned`] after the fields given in declaration order, the
/// first `next`: the other fields given, searched by name, then the
/// absent fields that are written anyway, the union check, the fields
/// sorted by id if they are not, and the struct's end.
#[allow(clippy::too_many_arguments)] // reason: the state of `write_planned`, handed over
#[inline(never)]
fn write_rest<'v, W: Writer>(
    w: &mut W,
    desc: StructDescriptor<'_>,
    plan: &Plan,
    given: usize,
    rest: impl Iterator<Item = (&'v str, &'v Value)>,
    mut next: usize,
    body: usize,
    opts: &Options,
    depth: usize,
    top: bool,
) -> Result<()> {
    let fields = &plan.fields;
    let mut seen = Seen::new(fields.len());
    seen.mark_first(next);
    let before = match next.checked_sub(1).and_then(|i| fields.get(i)) {
        Some(last) => Order::after(last.id, next <= plan.ascending),
        None => Order::new(),
    };
    let mut order = Spans::after(before, w.buf().len());
    let mut skipped = 0;
    for (name, v) in rest {
        let i = match fields.get(next) {
            Some(f) if same_name(&f.text, name) => next,
            _ => match desc.field_by_name(name) {
                Some(f) => f.index(),
                None => {
                    if opts.unknown_fields == UnknownFields::Error {
                        return Err(unknown_field(desc, name));
                    }
                    skipped += 1;
                    continue;
                }
            },
        };
        let Some(f) = fields.get(i) else {
            continue;
        };
        if seen.insert(i) {
            return Err(given_twice_at(desc, i));
        }
        next = i + 1;
        order.note_at(f.id, w.buf().len());
        write_field(w, desc, f, v, opts, depth)
            .map_err(|e| e.at_field(&f.name))
            .map_err(|e| root(e, desc, top))?;
    }
    let set = given - skipped;
    let absent = if plan.quiet_absent {
        0
    } else {
        write_absent(w, desc, &seen, set, opts, &mut order).map_err(|e| root(e, desc, top))?
    };
    check_union(desc, set + absent, opts).map_err(|e| root(e, desc, top))?;
    order.finish(w, body).map_err(|e| root(e, desc, top))?;
    w.write_field_stop();
    w.write_struct_end();
    Ok(())
}

/// Writes a field (header and value): a scalar of its exact variant
/// straight away, a struct through its plan, anything else through the
/// field's type.
#[inline(always)]
fn write_field<W: Writer>(
    w: &mut W,
    desc: StructDescriptor<'_>,
    f: &FieldPlan,
    v: &Value,
    opts: &Options,
    depth: usize,
) -> Result<()> {
    match (f.shape, v) {
        (Shape::I64, Value::I64(n)) => w.write_field_i64(f.ttype, f.id, *n, false)?,
        (Shape::I32 | Shape::Enum, Value::I32(n)) => w.write_field_i32(f.ttype, f.id, *n)?,
        (Shape::String, Value::String(s)) => w.write_field_binary(f.ttype, f.id, s.as_bytes())?,
        (Shape::Double, Value::Double(d)) => {
            w.write_field_i64(f.ttype, f.id, d.to_bits().cast_signed(), true)?;
        }
        (Shape::Binary, Value::Binary(b)) => w.write_field_binary(f.ttype, f.id, b)?,
        (Shape::Bool, Value::Bool(b)) => {
            w.write_field_begin(f.ttype, f.id)?;
            w.write_bool(*b);
        }
        (Shape::I16, Value::I16(n)) => {
            w.write_field_begin(f.ttype, f.id)?;
            w.write_i16(*n);
        }
        (Shape::Byte, Value::I8(n)) => {
            w.write_field_begin(f.ttype, f.id)?;
            w.write_i8(*n);
        }
        _ => write_field_nested(w, desc, f, v, opts, depth)?,
    }
    Ok(())
}

/// [`write_field`] for anything but a scalar of its exact variant: a
/// struct through its plan, a container through its element types, the
/// rest through the field's type. Kept out of line, so the loop over
/// scalar fields stays small.
#[inline(never)]
fn write_field_nested<W: Writer>(
    w: &mut W,
    desc: StructDescriptor<'_>,
    f: &FieldPlan,
    v: &Value,
    opts: &Options,
    depth: usize,
) -> Result<()> {
    w.write_field_begin(f.ttype, f.id)?;
    let pool = desc.pool();
    match (f.shape, v, f.elem, f.value) {
        (Shape::Struct, Value::Struct(fields), _, _) if f.nested.is_some() => {
            if let Some(id) = f.nested {
                write_struct_at(w, pool.struct_by_id(id), fields, opts, depth + 1, false)?;
            }
        }
        // Empty containers are their header alone.
        (Shape::List, Value::List(items) | Value::Set(items), Some(e), _) => {
            guard(depth + 1, opts)?;
            w.write_list_begin(e.ttype, items.len())?;
            if !items.is_empty() {
                write_items(w, Elem::planned(pool, e), items, opts, depth + 1)?;
            }
        }
        (Shape::Set, Value::List(items) | Value::Set(items), Some(e), _) => {
            guard(depth + 1, opts)?;
            w.write_set_begin(e.ttype, items.len())?;
            if !items.is_empty() {
                let e = Elem::planned(pool, e);
                write_set_items(w, pool.type_by_id(f.ty), e, items, opts, depth + 1)?;
            }
        }
        (Shape::Map, Value::Map(pairs), Some(k), Some(v)) => {
            guard(depth + 1, opts)?;
            w.write_map_begin(k.ttype, v.ttype, pairs.len())?;
            if !pairs.is_empty() {
                let (k, v) = (Elem::planned(pool, k), Elem::planned(pool, v));
                write_pairs(w, pool.type_by_id(f.ty), k, v, pairs, opts, depth + 1)?;
            }
        }
        _ => {
            let ty = pool.type_by_id(f.ty);
            write_kind(w, ty, ty.kind(), v, opts, depth + 1)?;
        }
    }
    Ok(())
}

/// String equality for short names, without a call to `memcmp`: names up
/// to 16 bytes compare as two overlapping words.
#[inline(always)]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=8 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        9..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        _ => a == b,
    }
}

/// `N` bytes of `s` from `at`.
#[inline(always)]
fn word<const N: usize>(s: &[u8], at: usize) -> [u8; N] {
    s[at..].first_chunk::<N>().copied().unwrap_or([0; N])
}

#[cold]
fn given_twice_at(desc: StructDescriptor<'_>, i: usize) -> Error {
    let (name, json) = desc
        .field(i)
        .map_or(("", ""), |f| (f.name(), f.json_name()));
    Error::new(
        ErrorKind::InvalidData,
        format!("field `{name}` is given twice"),
    )
    .at_field(json)
    .at(PathSegment::Root(desc.name().to_owned()))
}

/// Adds the struct name as the path root at the outermost struct.
pub(crate) fn root(e: Error, desc: StructDescriptor<'_>, top: bool) -> Error {
    if top {
        e.at(PathSegment::Root(desc.name().to_owned()))
    } else {
        e
    }
}

/// ` (did you mean "X"?)` for an unknown enum value name, or nothing.
pub(crate) fn enum_hint(e: anycall_idl::EnumDescriptor<'_>, name: &str) -> String {
    anycall_idl::did_you_mean(name, e.values().map(|(n, _)| n))
        .map_or_else(String::new, |s| format!(" (did you mean \"{s}\"?)"))
}

pub(crate) fn unknown_field(desc: StructDescriptor<'_>, name: &str) -> Error {
    let hint = anycall_idl::did_you_mean(name, desc.fields().map(|f| f.json_name()))
        .map_or_else(String::new, |s| format!(" (did you mean \"{s}\"?)"));
    Error::new(
        ErrorKind::UnknownField,
        format!("unknown field \"{name}\" in {}{hint}", desc.full_name()),
    )
}

/// After the given fields: required fields that were absent (error or zero
/// value), and default-requiredness fields with an IDL default.
///
/// `set` counts the fields written from the input; a union with one of them
/// takes no defaults. Returns the number of fields written here.
pub(crate) fn write_absent<W: Writer>(
    w: &mut W,
    desc: StructDescriptor<'_>,
    seen: &Seen,
    set: usize,
    opts: &Options,
    order: &mut impl NoteOrder,
) -> Result<usize> {
    let union = desc.kind() == anycall_idl::StructKind::Union;
    let mut written = 0;
    for f in desc.fields() {
        if seen.contains(f.index()) {
            continue;
        }
        if f.is_required() {
            // Generated code initialises a required field to its IDL
            // default, so an absent one is written with it, strict or not.
            let default = f.default_value();
            if default.is_none() && opts.missing_required == MissingRequired::Error {
                return Err(missing(f.json_name()));
            }
            order.note_at(f.id(), w.buf().len());
            w.write_field_begin(ttype_of(f.ty()), f.id())?;
            match default {
                Some(d) => write_const(w, f.ty(), d)?,
                None => write_zero(w, f.ty())?,
            }
            written += 1;
        } else if !f.is_optional()
            && opts.write_defaults
            && !(union && set + written > 0)
            && let Some(d) = f.default_value()
        {
            order.note_at(f.id(), w.buf().len());
            w.write_field_begin(ttype_of(f.ty()), f.id())?;
            write_const(w, f.ty(), d)?;
            written += 1;
        }
    }
    Ok(written)
}

/// Reads a value of type `ty`, within the decoded-memory budget of the
/// bytes left in `r` ([`Limits::decoded_memory_for`](crate::Limits::decoded_memory_for)).
pub fn read_value<'a, R: Reader<'a>>(
    r: &mut R,
    ty: TypeDescriptor<'_>,
    opts: &Options,
) -> Result<Value> {
    let mut budget = Budget::of(r);
    read_kind(r, ty.kind(), opts, &mut budget)
}

/// Reads a struct of type `desc`, within the decoded-memory budget of the
/// bytes left in `r`.
pub fn read_struct<'a, R: Reader<'a>>(
    r: &mut R,
    desc: StructDescriptor<'_>,
    opts: &Options,
) -> Result<Struct> {
    let mut budget = Budget::of(r);
    read_struct_inner(r, desc, opts, &mut budget)
        .map_err(|e| e.at(PathSegment::Root(desc.name().to_owned())))
}

/// Bytes one `Value` takes in a container.
const VALUE_SIZE: usize = std::mem::size_of::<Value>();
/// Bytes one struct field takes (its name and value).
const FIELD_SIZE: usize = std::mem::size_of::<(crate::value::Name, Value)>();
/// Strings up to this long live inside their `Value` (`CompactString`).
const INLINE_STRING: usize = std::mem::size_of::<CompactString>();
/// Fields a struct is given room for before its first is read; more grow
/// it as they come, so a struct sent empty costs little whatever the IDL.
const STRUCT_ROOM: usize = 8;

/// What a decode may still allocate.
struct Budget {
    left: usize,
    max: usize,
    message: usize,
    limits: crate::Limits,
}

impl Budget {
    fn of<'a, R: Reader<'a>>(r: &R) -> Self {
        let message = r.remaining().len();
        let limits = *r.limits();
        let max = limits.decoded_memory_for(message);
        Self {
            left: max,
            max,
            message,
            limits,
        }
    }

    /// Takes `n` bytes, before they are allocated.
    #[inline]
    fn take(&mut self, n: usize) -> Result<()> {
        match self.left.checked_sub(n) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(Error::decoded_memory(self.message, self.max, &self.limits)),
        }
    }

    /// Takes `n` elements of `size` bytes.
    #[inline]
    fn take_n(&mut self, n: usize, size: usize) -> Result<()> {
        self.take(n.saturating_mul(size))
    }
}

/// Reads a value of `kind`; the `Value` itself is paid for by its container.
fn read_kind<'a, R: Reader<'a>>(
    r: &mut R,
    kind: TypeKind<'_>,
    opts: &Options,
    b: &mut Budget,
) -> Result<Value> {
    Ok(match kind {
        TypeKind::Bool => Value::Bool(r.read_bool()?),
        TypeKind::Byte => Value::I8(r.read_i8()?),
        TypeKind::I16 => Value::I16(r.read_i16()?),
        TypeKind::I32 | TypeKind::Enum(_) => Value::I32(r.read_i32()?),
        TypeKind::I64 => Value::I64(r.read_i64()?),
        TypeKind::Double => Value::Double(r.read_double()?),
        TypeKind::String => {
            let s = r.read_string()?;
            if s.len() > INLINE_STRING {
                b.take(s.len())?;
            }
            Value::String(s.into())
        }
        TypeKind::Binary => {
            let bytes = r.read_binary()?;
            b.take(bytes.len())?;
            Value::Binary(bytes.to_vec())
        }
        TypeKind::Uuid => Value::Uuid(r.read_uuid()?),
        TypeKind::List(e) => {
            let (et, n) = r.read_list_begin()?;
            let items = read_items(r, Elem::of(e), et, n, opts, b)?;
            r.read_list_end();
            Value::List(items)
        }
        TypeKind::Set(e) => {
            let (et, n) = r.read_set_begin()?;
            let items = read_items(r, Elem::of(e), et, n, opts, b)?;
            r.read_set_end();
            Value::Set(items)
        }
        TypeKind::Map(k, v) => read_map(r, Elem::of(k), Elem::of(v), opts, b)?,
        TypeKind::Struct(s) => Value::Struct(read_struct_inner(r, s, opts, b)?),
    })
}

/// Reads a map (header, entries, end) of key type `k` and value type `v`.
fn read_map<'a, R: Reader<'a>>(
    r: &mut R,
    k: Elem<'_>,
    v: Elem<'_>,
    opts: &Options,
    b: &mut Budget,
) -> Result<Value> {
    let (kt, vt, n) = r.read_map_begin()?;
    if n > 0 && kt != k.plan.ttype {
        return Err(wire_mismatch(k.ty, kt));
    }
    if n > 0 && vt != v.plan.ttype {
        return Err(wire_mismatch(v.ty, vt));
    }
    if n == 0 {
        r.read_map_end();
        return Ok(Value::Map(Vec::new()));
    }
    b.take_n(n, 2 * VALUE_SIZE)?;
    let mut pairs = Vec::with_capacity(n);
    let (kk, vk) = (k.ty.kind(), v.ty.kind());
    for _ in 0..n {
        let key = read_elem(r, k.plan.shape, kk, opts, b)?;
        let val = read_elem(r, v.plan.shape, vk, opts, b)
            .map_err(|e| e.at(PathSegment::Key(key_text(&key))))?;
        pairs.push((key, val));
    }
    r.read_map_end();
    Ok(Value::Map(pairs))
}

/// Reads the `n` elements of a list or set, after its header; a list of
/// structs finds the struct's plan once.
fn read_items<'a, R: Reader<'a>>(
    r: &mut R,
    e: Elem<'_>,
    et: TType,
    n: usize,
    opts: &Options,
    b: &mut Budget,
) -> Result<Vec<Value>> {
    if n > 0 && et != e.plan.ttype {
        return Err(wire_mismatch(e.ty, et));
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    b.take_n(n, VALUE_SIZE)?;
    let mut items = Vec::with_capacity(n);
    let kind = e.ty.kind();
    if let TypeKind::Struct(s) = kind {
        with_plan(s, |plan| {
            for i in 0..n {
                let item = r
                    .read_struct_begin()
                    .and_then(|()| read_planned(r, s, plan, opts, b))
                    .map_err(|err| err.at(PathSegment::Index(i)))?;
                items.push(Value::Struct(item));
            }
            Ok::<_, Error>(())
        })?;
        return Ok(items);
    }
    for i in 0..n {
        let item = read_elem(r, e.plan.shape, kind, opts, b);
        items.push(item.map_err(|err| err.at(PathSegment::Index(i)))?);
    }
    Ok(items)
}

/// Reads an element of `shape` and `kind`: the commonest scalars
/// straight away, anything else through its kind.
#[inline(always)]
fn read_elem<'a, R: Reader<'a>>(
    r: &mut R,
    shape: Shape,
    kind: TypeKind<'_>,
    opts: &Options,
    b: &mut Budget,
) -> Result<Value> {
    Ok(match shape {
        Shape::String => read_string_value(r, b)?,
        Shape::I64 => Value::I64(r.read_i64()?),
        Shape::I32 | Shape::Enum => Value::I32(r.read_i32()?),
        _ => read_kind(r, kind, opts, b)?,
    })
}

/// Adds a field to `out` (`replace`: over an earlier one of the same
/// name), paying for any room it grows by.
#[inline(always)]
fn push_field(
    out: &mut Struct,
    name: &CompactString,
    v: Value,
    replace: bool,
    b: &mut Budget,
) -> Result<()> {
    if out.len() == out.capacity() {
        pay_for_growth(out, b)?;
    }
    if replace {
        out.insert(name.clone(), v);
    } else {
        out.push(name.clone(), v);
    }
    Ok(())
}

/// The next push grows the fields (Vec doubles): pays first.
#[cold]
#[inline(never)]
fn pay_for_growth(out: &Struct, b: &mut Budget) -> Result<()> {
    b.take_n(out.capacity().max(4), FIELD_SIZE)
}

/// Reads a string value, paying for it unless it lives inside its `Value`.
#[inline]
fn read_string_value<'a, R: Reader<'a>>(r: &mut R, b: &mut Budget) -> Result<Value> {
    // `Reader::read_string`, with no UTF-8 check for an empty string.
    let bytes = r.read_binary()?;
    if bytes.is_empty() {
        return Ok(Value::String(CompactString::default()));
    }
    let s = std::str::from_utf8(bytes).map_err(|_| crate::thrift::util::not_utf8("string"))?;
    if s.len() > INLINE_STRING {
        b.take(s.len())?;
    }
    Ok(Value::String(s.into()))
}

/// Reads a field's value: scalars straight away, structs through their
/// plan, containers through their element types.
#[inline(always)]
fn read_field_value<'a, R: Reader<'a>>(
    r: &mut R,
    desc: StructDescriptor<'_>,
    f: &FieldPlan,
    opts: &Options,
    b: &mut Budget,
) -> Result<Value> {
    Ok(match f.shape {
        Shape::I64 => Value::I64(r.read_i64()?),
        Shape::I32 | Shape::Enum => Value::I32(r.read_i32()?),
        Shape::String => read_string_value(r, b)?,
        Shape::Bool => Value::Bool(r.read_bool()?),
        Shape::Double => Value::Double(r.read_double()?),
        Shape::I16 => Value::I16(r.read_i16()?),
        Shape::Byte => Value::I8(r.read_i8()?),
        _ => read_field_nested(r, desc, f, opts, b)?,
    })
}

/// [`read_field_value`] for anything but a scalar, out of line.
#[inline(never)]
fn read_field_nested<'a, R: Reader<'a>>(
    r: &mut R,
    desc: StructDescriptor<'_>,
    f: &FieldPlan,
    opts: &Options,
    b: &mut Budget,
) -> Result<Value> {
    let pool = desc.pool();
    Ok(match (f.shape, f.nested, f.elem, f.value) {
        (Shape::Struct, Some(s), _, _) => {
            Value::Struct(read_struct_inner(r, pool.struct_by_id(s), opts, b)?)
        }
        (Shape::List, _, Some(e), _) => {
            let (et, n) = r.read_list_begin()?;
            let items = read_items(r, Elem::planned(pool, e), et, n, opts, b)?;
            r.read_list_end();
            Value::List(items)
        }
        (Shape::Set, _, Some(e), _) => {
            let (et, n) = r.read_set_begin()?;
            let items = read_items(r, Elem::planned(pool, e), et, n, opts, b)?;
            r.read_set_end();
            Value::Set(items)
        }
        (Shape::Map, _, Some(k), Some(v)) => {
            read_map(r, Elem::planned(pool, k), Elem::planned(pool, v), opts, b)?
        }
        _ => read_kind(r, pool.type_by_id(f.ty).kind(), opts, b)?,
    })
}

#[inline]
fn read_struct_inner<'a, R: Reader<'a>>(
    r: &mut R,
    desc: StructDescriptor<'_>,
    opts: &Options,
    b: &mut Budget,
) -> Result<Struct> {
    r.read_struct_begin()?;
    with_plan(desc, |plan| read_planned(r, desc, plan, opts, b))
}

/// [`read_struct_inner`] after the struct's beginning, with its plan at hand.
fn read_planned<'a, R: Reader<'a>>(
    r: &mut R,
    desc: StructDescriptor<'_>,
    plan: &Plan,
    opts: &Options,
    b: &mut Budget,
) -> Result<Struct> {
    let fields = &plan.fields;
    let room = fields.len().min(STRUCT_ROOM);
    b.take_n(room, FIELD_SIZE)?;
    let mut out = Struct::with_capacity(room);
    // Fields mostly come in declaration order: while each is the one after
    // the last, none repeats and the fields read so far are the first
    // `next` of the plan.
    let mut next = 0;
    let mut other = None;
    while let Some((tt, id)) = r.read_field_begin()? {
        match fields.get(next) {
            Some(f) if f.id == id && f.ttype == tt => {
                let v = read_field_value(r, desc, f, opts, b).map_err(|e| e.at_field(&f.name))?;
                push_field(&mut out, &f.name, v, false, b).map_err(|e| e.at_field(&f.name))?;
                next += 1;
            }
            _ => {
                other = Some((tt, id));
                break;
            }
        }
    }
    let defaults = opts.read_defaults && plan.has_defaults;
    if other.is_none() && !plan.has_required && !defaults {
        // Nothing to check or add.
        r.read_struct_end();
        return Ok(out);
    }
    let mut seen = Seen::new(fields.len());
    seen.mark_first(next);
    if let Some(header) = other {
        let mut rest = Rest {
            desc,
            plan,
            next,
            out: &mut out,
            seen: &mut seen,
        };
        rest.field(r, header, opts, b)?;
        while let Some(header) = r.read_field_begin()? {
            rest.field(r, header, opts, b)?;
        }
    }
    r.read_struct_end();
    if plan.has_required {
        check_required(desc, &seen, opts)?;
    }
    if defaults {
        for (f, p) in desc.fields().zip(fields) {
            if seen.contains(f.index()) {
                continue;
            }
            if let Some(d) = f.default_value() {
                push_field(&mut out, &p.name, const_to_value(f.ty(), d), false, b)?;
            }
        }
    }
    Ok(out)
}

/// A struct being read after a field out of declaration order: fields
/// are found by id and may repeat.
struct Rest<'s, 'd> {
    desc: StructDescriptor<'d>,
    plan: &'s Plan,
    /// The position after the last field read.
    next: usize,
    out: &'s mut Struct,
    seen: &'s mut Seen,
}

impl Rest<'_, '_> {
    /// Reads the field after its header: unknown ids and wire types that
    /// differ from the IDL are skipped, a repeated field replaces the
    /// earlier one.
    fn field<'a, R: Reader<'a>>(
        &mut self,
        r: &mut R,
        (tt, id): (TType, i16),
        opts: &Options,
        b: &mut Budget,
    ) -> Result<()> {
        let (desc, fields) = (self.desc, &self.plan.fields);
        let i = match fields.get(self.next) {
            Some(f) if f.id == id => self.next,
            _ => match desc.field_by_id(id) {
                Some(f) => f.index(),
                None => return r.skip(tt),
            },
        };
        let f = &fields[i];
        if tt != f.ttype {
            // Kitex's generic servers may write a void result as a VOID field.
            if tt == TType::Void && id == 0 {
                return r.skip(TType::Struct);
            }
            // As generated code does: a peer on another version of the IDL
            // sent this id with another type; skip it like an unknown field.
            r.skip(tt)?;
            if let Some(fd) = desc.field(i) {
                skipped_mismatch(desc, fd, tt);
            }
            return Ok(());
        }
        self.next = i + 1;
        let v = read_field_value(r, desc, f, opts, b).map_err(|e| e.at_field(&f.name))?;
        let repeated = self.seen.insert(i);
        push_field(self.out, &f.name, v, repeated, b).map_err(|e| e.at_field(&f.name))
    }
}

/// An IDL constant as a `Value` of its type.
pub fn const_to_value(ty: TypeDescriptor<'_>, v: &anycall_idl::ConstValue) -> Value {
    use anycall_idl::ConstValue as C;
    match (ty.kind(), v) {
        (_, C::Bool(b)) => Value::Bool(*b),
        (TypeKind::Byte, C::Int(n)) => Value::I8(*n as i8),
        (TypeKind::I16, C::Int(n)) => Value::I16(*n as i16),
        (TypeKind::I32 | TypeKind::Enum(_), C::Int(n)) => Value::I32(*n as i32),
        (TypeKind::Double, C::Int(n)) => Value::Double(*n as f64),
        (_, C::Int(n)) => Value::I64(*n),
        (_, C::Double(d)) => Value::Double(*d),
        (TypeKind::Binary, C::String(s)) => Value::Binary(s.as_bytes().to_vec()),
        (TypeKind::Uuid, C::String(s)) => {
            parse_uuid(s).map_or(Value::String(s.as_str().into()), Value::Uuid)
        }
        (_, C::String(s)) => Value::String(s.as_str().into()),
        (TypeKind::Set(e), C::List(items)) => {
            Value::Set(items.iter().map(|i| const_to_value(e, i)).collect())
        }
        (TypeKind::List(e), C::List(items)) => {
            Value::List(items.iter().map(|i| const_to_value(e, i)).collect())
        }
        (TypeKind::Map(k, val), C::Map(pairs)) => Value::Map(
            pairs
                .iter()
                .map(|(a, b)| (const_to_value(k, a), const_to_value(val, b)))
                .collect(),
        ),
        (TypeKind::Struct(s), C::Struct(fields)) => Value::Struct(
            fields
                .iter()
                .filter_map(|(id, fv)| {
                    let f = s.field_by_id(*id)?;
                    Some((f.json_name().to_owned(), const_to_value(f.ty(), fv)))
                })
                .collect(),
        ),
        (_, C::List(items)) => Value::List(items.iter().map(|i| const_to_value(ty, i)).collect()),
        (_, C::Map(_) | C::Struct(_)) => Value::Struct(Struct::new()),
    }
}

/// A value of type `ty` built from the IDL alone: IDL defaults where
/// declared, zero values elsewhere (false, 0, "", empty containers, the
/// first enum value). Structs get their required and default-requiredness
/// fields, and optional fields that declare a default.
pub fn example_value(ty: TypeDescriptor<'_>) -> Value {
    example_at(ty, 0)
}

fn example_at(ty: TypeDescriptor<'_>, depth: usize) -> Value {
    match ty.kind() {
        TypeKind::Bool => Value::Bool(false),
        TypeKind::Byte => Value::I8(0),
        TypeKind::I16 => Value::I16(0),
        TypeKind::I32 => Value::I32(0),
        TypeKind::Enum(e) => Value::I32(e.values().next().map_or(0, |(_, v)| v)),
        TypeKind::I64 => Value::I64(0),
        TypeKind::Double => Value::Double(0.0),
        TypeKind::String => Value::String(CompactString::default()),
        TypeKind::Binary => Value::Binary(Vec::new()),
        TypeKind::Uuid => Value::Uuid([0; 16]),
        TypeKind::List(_) => Value::List(Vec::new()),
        TypeKind::Set(_) => Value::Set(Vec::new()),
        TypeKind::Map(..) => Value::Map(Vec::new()),
        TypeKind::Struct(s) => {
            let mut out = Struct::with_capacity(s.len());
            for f in s.fields() {
                let v = match f.default_value() {
                    Some(d) => const_to_value(f.ty(), d),
                    None if f.is_optional() => continue,
                    // A required self-reference cannot be finite; stop there.
                    None if depth >= MAX_DEPTH => continue,
                    None => example_at(f.ty(), depth + 1),
                };
                out.push(f.json_name(), v);
                // A union holds exactly one field.
                if s.kind() == anycall_idl::StructKind::Union {
                    break;
                }
            }
            Value::Struct(out)
        }
    }
}

/// Converts JSON text to a `Value` of type `ty`, by the JSON rules (base64
/// binary, enum names, map key conversion): JSON → bytes → `Value`.
pub fn from_json(ty: TypeDescriptor<'_>, json: &[u8], opts: &Options) -> Result<Value> {
    let mut buf = bytes::BytesMut::new();
    let mut w = crate::thrift::BinaryWriter::new(&mut buf);
    crate::dynamic::json::write_json(&mut w, ty, json, opts)?;
    let mut r = crate::thrift::BinaryReader::new(&buf);
    read_value(&mut r, ty, opts)
}

/// Renders a `Value` of type `ty` as JSON text by the JSON rules:
/// `Value` → bytes → JSON.
pub fn to_json(ty: TypeDescriptor<'_>, value: &Value, opts: &Options) -> Result<String> {
    let mut buf = bytes::BytesMut::new();
    write_value(
        &mut crate::thrift::BinaryWriter::new(&mut buf),
        ty,
        value,
        opts,
    )?;
    let view =
        crate::dynamic::json::JsonView::new(&buf, crate::thrift::Protocol::Binary, ty, *opts);
    crate::dynamic::json::to_json_string(&view)
}
