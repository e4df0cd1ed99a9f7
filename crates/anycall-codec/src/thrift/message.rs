//! The message envelope: method name, message type and sequence id
//! (wire-format §1.2, §2.3).
//!
//! ```text
//! strict binary   80 01 00 tt | i32 name len N | N bytes name | i32 seq id | struct
//! old binary      i32 name len N (>= 0) | N bytes name | u8 type | i32 seq id | struct
//! compact         82 | ttt00001 | varint seq id (u32 bits) | varint N | N bytes name | struct
//! ```
//!
//! Readers accept all three (old binary only through [`BinaryReader`]
//! when the first word is not negative); writers write strict binary or
//! compact. Kitex accepts strict binary only.
//!
//! [`BinaryReader`]: super::BinaryReader

use std::fmt;

use bytes::BytesMut;

use crate::error::{Error, Result};
use crate::limits::Limits;

use super::reader::{ProtocolReader, Reader};
use super::ttype::Protocol;
use super::writer::{ProtocolWriter, Writer};

/// Strict binary version word (`VERSION_1`); the low 16 bits hold the type.
pub(crate) const BINARY_VERSION_1: u32 = 0x8001_0000;
/// Mask selecting the version of a strict binary header's first word.
pub(crate) const BINARY_VERSION_MASK: u32 = 0xffff_0000;
/// First byte of a compact message.
pub(crate) const COMPACT_PROTOCOL_ID: u8 = 0x82;
/// Compact protocol version (low 5 bits of the second byte).
pub(crate) const COMPACT_VERSION: u8 = 1;
pub(crate) const COMPACT_VERSION_MASK: u8 = 0x1f;
pub(crate) const COMPACT_TYPE_SHIFT: u8 = 5;

/// The message type of a Thrift message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    /// A request that expects a reply.
    Call = 1,
    /// A normal reply (the method's result struct).
    Reply = 2,
    /// A `TApplicationException` in place of the reply.
    Exception = 3,
    /// A request without a reply.
    Oneway = 4,
}

impl MessageType {
    /// The type with wire value `value`; `None` for 0 and values above 4.
    #[inline]
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::Call,
            2 => Self::Reply,
            3 => Self::Exception,
            4 => Self::Oneway,
            _ => return None,
        })
    }

    /// The wire value.
    #[inline]
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// `"call"`, `"reply"`, `"exception"` or `"oneway"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Reply => "reply",
            Self::Exception => "exception",
            Self::Oneway => "oneway",
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A message header. When read, `name` borrows from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageHeader<'a> {
    /// The method name.
    pub name: &'a str,
    /// The message type.
    pub message_type: MessageType,
    /// The sequence id that pairs a reply with its call.
    pub seq_id: i32,
}

impl<'a> MessageHeader<'a> {
    /// A header for method `name`.
    pub const fn new(name: &'a str, message_type: MessageType, seq_id: i32) -> Self {
        Self {
            name,
            message_type,
            seq_id,
        }
    }
}

/// Reads a message header of `protocol` from the start of `buf`; returns it
/// with the number of bytes it took.
pub fn read_message_header<'a>(
    protocol: Protocol,
    buf: &'a [u8],
    limits: &Limits,
) -> Result<(MessageHeader<'a>, usize)> {
    let mut reader = ProtocolReader::new(protocol, buf, *limits);
    let header = reader.read_message_begin()?;
    Ok((header, reader.position()))
}

/// Appends a message header of `protocol` to `buf`.
pub fn write_message_header(
    protocol: Protocol,
    buf: &mut BytesMut,
    header: &MessageHeader<'_>,
) -> Result<()> {
    ProtocolWriter::new(protocol, buf).write_message_begin(header)
}

/// The protocol of a message from its first bytes: `80 01` is strict binary,
/// `82` compact. `None` when there are too few bytes to tell or they start
/// neither (old non-strict binary starts with a length and is not detected).
pub fn protocol_of(first_bytes: &[u8]) -> Option<Protocol> {
    match first_bytes {
        [0x80, 0x01, ..] => Some(Protocol::Binary),
        [COMPACT_PROTOCOL_ID, ..] => Some(Protocol::Compact),
        _ => None,
    }
}

#[cold]
#[inline(never)]
pub(crate) fn bad_version() -> Error {
    Error::invalid("bad version in thrift message")
}

#[cold]
#[inline(never)]
pub(crate) fn unknown_message_type(value: u32) -> Error {
    Error::invalid(format!("unknown message type {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_types() {
        for v in 0..=255u8 {
            match MessageType::from_u8(v) {
                Some(t) => assert_eq!(t.as_u8(), v),
                None => assert!(v == 0 || v > 4),
            }
        }
    }

    #[test]
    fn detects_protocols() {
        assert_eq!(
            protocol_of(&[0x80, 0x01, 0x00, 0x01]),
            Some(Protocol::Binary)
        );
        assert_eq!(protocol_of(&[0x82]), Some(Protocol::Compact));
        assert_eq!(protocol_of(&[0x80]), None);
        assert_eq!(protocol_of(&[0x80, 0x02]), None);
        assert_eq!(protocol_of(&[0x00, 0x00, 0x00, 0x04]), None);
        assert_eq!(protocol_of(&[]), None);
    }
}
