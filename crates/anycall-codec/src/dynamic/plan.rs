//! A struct's compiled plan for the `Value` codec: what the descriptors say
//! about each field, resolved once per struct and kept with the pool
//! ([`StructDescriptor::cached`]), so that a message pays no descriptor
//! lookups per field beyond finding the field.

use anycall_idl::{StructDescriptor, StructId, TypeDescriptor, TypeId, TypeKind};
use compact_str::CompactString;

use crate::thrift::TType;

/// The shape of a field's type, without its children: enough to write and
/// read scalars with no further lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Bool,
    Byte,
    I16,
    I32,
    I64,
    Double,
    String,
    Binary,
    Uuid,
    Enum,
    /// A struct, union or exception ([`FieldPlan::nested`]).
    Struct,
    /// Containers ([`FieldPlan::elem`], [`FieldPlan::value`]).
    List,
    Set,
    Map,
}

/// A container's element type, or a map's key or value type: its shape
/// and wire type, and the type itself for anything else.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ElemPlan {
    pub(crate) shape: Shape,
    pub(crate) ttype: TType,
    pub(crate) ty: TypeId,
}

impl ElemPlan {
    #[inline]
    pub(crate) fn of(ty: TypeDescriptor<'_>) -> Self {
        let kind = ty.kind();
        Self {
            shape: shape_of(kind),
            ttype: TType::of_kind(kind),
            ty: ty.id(),
        }
    }
}

/// One field, in declaration order.
#[derive(Debug)]
pub(crate) struct FieldPlan {
    /// The key in `Value` structs and JSON ([`json_name`](anycall_idl::FieldDescriptor::json_name)).
    pub(crate) name: CompactString,
    /// The same name as a plain string, compared with a `Value`'s field
    /// names without decoding a `CompactString`.
    pub(crate) text: Box<str>,
    /// The name as a JSON object key, quoted and escaped, with its colon:
    /// what Thrift → JSON writes before the value.
    pub(crate) key: Box<[u8]>,
    pub(crate) id: i16,
    pub(crate) ttype: TType,
    pub(crate) shape: Shape,
    pub(crate) ty: TypeId,
    /// The struct of a [`Shape::Struct`] field.
    pub(crate) nested: Option<StructId>,
    /// The element type of a list or set, the key type of a map.
    pub(crate) elem: Option<ElemPlan>,
    /// The value type of a map.
    pub(crate) value: Option<ElemPlan>,
}

/// A struct's fields as the `Value` codec needs them.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Fields in declaration order (the positions of the descriptor).
    pub(crate) fields: Box<[FieldPlan]>,
    /// No field is written when absent: none is required and none of
    /// default requiredness has a default.
    pub(crate) quiet_absent: bool,
    /// Some field has an IDL default.
    pub(crate) has_defaults: bool,
    /// Some field is required.
    pub(crate) has_required: bool,
    /// The struct is a union.
    pub(crate) union: bool,
    /// Ids ascend over the first this many fields in declaration order
    /// (over all of them, mostly).
    pub(crate) ascending: usize,
}

impl Plan {
    fn build(desc: StructDescriptor<'_>) -> Self {
        let fields: Box<[FieldPlan]> = desc
            .fields()
            .map(|f| {
                let ty = f.ty();
                let kind = ty.kind();
                FieldPlan {
                    name: f.json_name().into(),
                    text: f.json_name().into(),
                    key: json_key(f.json_name()),
                    id: f.id(),
                    ttype: TType::of_kind(kind),
                    shape: shape_of(kind),
                    ty: ty.id(),
                    nested: match kind {
                        TypeKind::Struct(s) => Some(s.id()),
                        _ => None,
                    },
                    elem: match kind {
                        TypeKind::List(e) | TypeKind::Set(e) | TypeKind::Map(e, _) => {
                            Some(ElemPlan::of(e))
                        }
                        _ => None,
                    },
                    value: match kind {
                        TypeKind::Map(_, v) => Some(ElemPlan::of(v)),
                        _ => None,
                    },
                }
            })
            .collect();
        let quiet_absent = desc
            .fields()
            .all(|f| !f.is_required() && (f.is_optional() || f.default_value().is_none()));
        let has_defaults = desc.fields().any(|f| f.default_value().is_some());
        let has_required = desc.fields().any(|f| f.is_required());
        let ascending = 1 + fields
            .windows(2)
            .take_while(|w: &&[FieldPlan]| w[0].id < w[1].id)
            .count();
        Self {
            fields,
            quiet_absent,
            has_defaults,
            has_required,
            union: desc.kind() == anycall_idl::StructKind::Union,
            ascending,
        }
    }
}

/// `"name":`, escaped as serde_json escapes a string.
fn json_key(name: &str) -> Box<[u8]> {
    let mut key = serde_json::to_vec(name).expect("a string renders as JSON");
    key.push(b':');
    key.into_boxed_slice()
}

pub(crate) fn shape_of(kind: TypeKind<'_>) -> Shape {
    match kind {
        TypeKind::Bool => Shape::Bool,
        TypeKind::Byte => Shape::Byte,
        TypeKind::I16 => Shape::I16,
        TypeKind::I32 => Shape::I32,
        TypeKind::I64 => Shape::I64,
        TypeKind::Double => Shape::Double,
        TypeKind::String => Shape::String,
        TypeKind::Binary => Shape::Binary,
        TypeKind::Uuid => Shape::Uuid,
        TypeKind::Enum(_) => Shape::Enum,
        TypeKind::Struct(_) => Shape::Struct,
        TypeKind::List(_) => Shape::List,
        TypeKind::Set(_) => Shape::Set,
        TypeKind::Map(..) => Shape::Map,
    }
}

/// Runs `body` with the plan of `desc`: the one kept with the pool, or
/// (should the pool keep something else for the struct) one built for
/// this call alone. Nothing is dropped on the common path.
#[inline(always)]
pub(crate) fn with_plan<'a, T>(desc: StructDescriptor<'a>, body: impl FnOnce(&Plan) -> T) -> T {
    match desc.cached(|| Plan::build(desc)) {
        Some(p) => body(p),
        None => built(desc, body),
    }
}

#[cold]
#[inline(never)]
fn built<T>(desc: StructDescriptor<'_>, body: impl FnOnce(&Plan) -> T) -> T {
    body(&Plan::build(desc))
}
