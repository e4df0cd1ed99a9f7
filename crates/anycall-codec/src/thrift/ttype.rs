//! Thrift type ids (`TType`) and the run-time protocol choice.
//!
//! The ids are the ones the Binary protocol puts on the wire (wire-format
//! §1.1); the Compact protocol maps them to its own 4-bit ids (§2.2):
//!
//! ```text
//! TType     id  compact      TType     id  compact
//! Stop       0   0           Binary    11   8
//! Void       1   -           Struct    12  12
//! Bool       2   1 / 2       Map       13  11
//! I8         3   3           Set       14  10
//! Double     4   7           List      15   9
//! I16        6   4           Uuid      16  13
//! I32        8   5
//! I64       10   6
//! ```

use std::fmt;

use crate::error::{Error, Result};

/// A Thrift type id as written by the Binary protocol.
///
/// `Binary` covers both `string` and `binary`; `Void` only appears on the
/// wire in Kitex's generic void results (wire-format §9.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TType {
    /// Struct terminator.
    Stop = 0,
    /// No value; see wire-format §9.4.
    Void = 1,
    /// `bool`.
    Bool = 2,
    /// `i8` (also `byte`).
    I8 = 3,
    /// `double`.
    Double = 4,
    /// `i16`.
    I16 = 6,
    /// `i32` (also enums).
    I32 = 8,
    /// `i64`.
    I64 = 10,
    /// `string` or `binary`.
    Binary = 11,
    /// `struct`, `union` or `exception`.
    Struct = 12,
    /// `map`.
    Map = 13,
    /// `set`.
    Set = 14,
    /// `list`.
    List = 15,
    /// `uuid` (16 raw bytes).
    Uuid = 16,
}

impl TType {
    /// The wire type of an IDL type (enums are `I32`, strings and binary
    /// `Binary`).
    #[inline]
    pub fn of(ty: anycall_idl::TypeDescriptor<'_>) -> Self {
        Self::of_kind(ty.kind())
    }

    /// The wire type of an IDL type's kind.
    #[inline]
    pub fn of_kind(kind: anycall_idl::TypeKind<'_>) -> Self {
        use anycall_idl::TypeKind;
        match kind {
            TypeKind::Bool => Self::Bool,
            TypeKind::Byte => Self::I8,
            TypeKind::I16 => Self::I16,
            TypeKind::I32 | TypeKind::Enum(_) => Self::I32,
            TypeKind::I64 => Self::I64,
            TypeKind::Double => Self::Double,
            TypeKind::String | TypeKind::Binary => Self::Binary,
            TypeKind::Uuid => Self::Uuid,
            TypeKind::List(_) => Self::List,
            TypeKind::Set(_) => Self::Set,
            TypeKind::Map(..) => Self::Map,
            TypeKind::Struct(_) => Self::Struct,
        }
    }

    /// The type with Binary-protocol id `id`, or `None` for an unknown id.
    #[inline]
    pub const fn from_u8(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::Stop,
            1 => Self::Void,
            2 => Self::Bool,
            3 => Self::I8,
            4 => Self::Double,
            6 => Self::I16,
            8 => Self::I32,
            10 => Self::I64,
            11 => Self::Binary,
            12 => Self::Struct,
            13 => Self::Map,
            14 => Self::Set,
            15 => Self::List,
            16 => Self::Uuid,
            _ => return None,
        })
    }

    /// The Binary-protocol id.
    #[inline]
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// The IDL spelling of the type (`"i32"`, `"string"` for `Binary`...).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Void => "void",
            Self::Bool => "bool",
            Self::I8 => "i8",
            Self::Double => "double",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::Binary => "string",
            Self::Struct => "struct",
            Self::Map => "map",
            Self::Set => "set",
            Self::List => "list",
            Self::Uuid => "uuid",
        }
    }

    /// `true` for list, set and map.
    #[inline]
    pub const fn is_container(self) -> bool {
        matches!(self, Self::List | Self::Set | Self::Map)
    }

    /// The Compact-protocol 4-bit id; `None` for `Stop` and `Void`, which
    /// have no value encoding. `Bool` maps to 1 (BOOLEAN_TRUE), the id used
    /// as a container element type.
    #[inline]
    pub(crate) const fn to_compact(self) -> Option<u8> {
        Some(match self {
            Self::Stop | Self::Void => return None,
            Self::Bool => 1,
            Self::I8 => 3,
            Self::I16 => 4,
            Self::I32 => 5,
            Self::I64 => 6,
            Self::Double => 7,
            Self::Binary => 8,
            Self::List => 9,
            Self::Set => 10,
            Self::Map => 11,
            Self::Struct => 12,
            Self::Uuid => 13,
        })
    }

    /// The type of Compact-protocol 4-bit id `id` (1 and 2 are both `Bool`);
    /// `None` for 0 (STOP) and unknown ids.
    #[inline]
    pub(crate) const fn from_compact(id: u8) -> Option<Self> {
        Some(match id {
            1 | 2 => Self::Bool,
            3 => Self::I8,
            4 => Self::I16,
            5 => Self::I32,
            6 => Self::I64,
            7 => Self::Double,
            8 => Self::Binary,
            9 => Self::List,
            10 => Self::Set,
            11 => Self::Map,
            12 => Self::Struct,
            13 => Self::Uuid,
            _ => return None,
        })
    }
}

impl TryFrom<u8> for TType {
    type Error = Error;

    fn try_from(id: u8) -> Result<Self> {
        Self::from_u8(id).ok_or_else(|| unknown_type(id))
    }
}

impl fmt::Display for TType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Thrift protocol, chosen at run time from the IDL, flags or the first
/// bytes of a connection ([`protocol_of`](super::protocol_of)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// The Binary protocol, strict message headers (wire-format §1). The
    /// only one Kitex speaks.
    #[default]
    Binary,
    /// The Compact protocol (wire-format §2). Volo and Apache speak it;
    /// Kitex does not.
    Compact,
}

impl Protocol {
    /// `"binary"` or `"compact"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Binary => "binary",
            Self::Compact => "compact",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cold]
#[inline(never)]
pub(crate) fn unknown_type(id: u8) -> Error {
    Error::invalid(format!("unknown thrift type id {id}"))
}

#[cold]
#[inline(never)]
pub(crate) fn unknown_compact_type(id: u8) -> Error {
    Error::invalid(format!("unknown compact type id {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for id in 0..=255u8 {
            if let Some(t) = TType::from_u8(id) {
                assert_eq!(t.as_u8(), id);
            }
        }
        let known = (0..=255u8)
            .filter(|&id| TType::from_u8(id).is_some())
            .count();
        assert_eq!(known, 14);
    }

    #[test]
    fn compact_ids_round_trip() {
        for id in 0..=255u8 {
            if let Some(t) = TType::from_u8(id) {
                match t.to_compact() {
                    Some(c) => assert_eq!(TType::from_compact(c), Some(t)),
                    None => assert!(matches!(t, TType::Stop | TType::Void)),
                }
            }
        }
        assert_eq!(TType::from_compact(2), Some(TType::Bool));
        assert_eq!(TType::from_compact(0), None);
        assert_eq!(TType::from_compact(14), None);
    }

    #[test]
    fn unknown_id_names_the_id() {
        let err = TType::try_from(7).unwrap_err();
        assert_eq!(err.to_string(), "unknown thrift type id 7");
    }
}
