//! `TApplicationException`: the struct a server sends in an EXCEPTION
//! message when it cannot produce a declared result (wire-format §1.5, §9.2).
//!
//! ```text
//! struct TApplicationException {
//!   1: string message
//!   2: i32    type
//! }
//!
//! binary:  0b 00 01 <i32 len> <message>  08 00 02 <i32 type>  00
//! compact: 18 <varint len> <message>     15 <zigzag type>     00
//! ```
//!
//! Written as field 1, field 2, STOP (as Kitex does); read in any order,
//! other fields skipped.

use std::fmt;

use bytes::BytesMut;

use crate::error::Result;

use super::message::{MessageHeader, MessageType};
use super::reader::Reader;
use super::ttype::{Protocol, TType};
use super::writer::{ProtocolWriter, Writer};

/// The `type` code of a [`TApplicationException`].
///
/// Any i32 is kept as is, so codes this crate does not name (such as the
/// Kitex streaming codes 12001–12015) survive a round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TApplicationExceptionType(pub i32);

impl TApplicationExceptionType {
    /// 0: unknown error.
    pub const UNKNOWN: Self = Self(0);
    /// 1: the server has no such method.
    pub const UNKNOWN_METHOD: Self = Self(1);
    /// 2: a server got REPLY/EXCEPTION, or a client got CALL/ONEWAY.
    pub const INVALID_MESSAGE_TYPE: Self = Self(2);
    /// 3: the reply names another method.
    pub const WRONG_METHOD_NAME: Self = Self(3);
    /// 4: the reply's sequence id differs from the call's.
    pub const BAD_SEQUENCE_ID: Self = Self(4);
    /// 5: the result struct has no field set.
    pub const MISSING_RESULT: Self = Self(5);
    /// 6: the handler failed with an undeclared error.
    pub const INTERNAL_ERROR: Self = Self(6);
    /// 7: the request could not be decoded.
    pub const PROTOCOL_ERROR: Self = Self(7);
    /// 8: invalid transform.
    pub const INVALID_TRANSFORM: Self = Self(8);
    /// 9: invalid protocol.
    pub const INVALID_PROTOCOL: Self = Self(9);
    /// 10: unsupported client type.
    pub const UNSUPPORTED_CLIENT_TYPE: Self = Self(10);
    /// 11: validation failed (Apache Go).
    pub const VALIDATION_FAILED: Self = Self(11);
    /// 20: the server has no such service (Kitex).
    pub const UNKNOWN_SERVICE: Self = Self(20);
    /// 21: the request names no service and the server needs one (Kitex).
    pub const NO_SERVICE_NAME: Self = Self(21);

    /// The wire code.
    #[inline]
    pub const fn code(self) -> i32 {
        self.0
    }

    /// A lowercase description (`"unknown method"`), or `None` for codes
    /// without a name here.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "unknown",
            1 => "unknown method",
            2 => "invalid message type",
            3 => "wrong method name",
            4 => "bad sequence id",
            5 => "missing result",
            6 => "internal error",
            7 => "protocol error",
            8 => "invalid transform",
            9 => "invalid protocol",
            10 => "unsupported client type",
            11 => "validation failed",
            20 => "unknown service",
            21 => "no service name",
            _ => return None,
        })
    }
}

impl From<i32> for TApplicationExceptionType {
    fn from(code: i32) -> Self {
        Self(code)
    }
}

impl fmt::Display for TApplicationExceptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "exception type {}", self.0),
        }
    }
}

/// The error a Thrift server reports in an EXCEPTION message.
///
/// Displays as `<type>: <message>`, e.g. `unknown method: no method Foo`,
/// or just `<type>` when the message is empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TApplicationException {
    kind: TApplicationExceptionType,
    message: String,
}

impl TApplicationException {
    /// An exception of `kind` with `message`.
    pub fn new(kind: TApplicationExceptionType, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The type code.
    pub fn kind(&self) -> TApplicationExceptionType {
        self.kind
    }

    /// The message (may be empty).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Reads the struct (after the message header). Fields may come in any
    /// order; unknown fields, and known ids with unexpected types, are
    /// skipped. A message that is not UTF-8 is decoded lossily. Missing
    /// fields leave `UNKNOWN` and an empty message.
    pub fn read<'a, R: Reader<'a>>(reader: &mut R) -> Result<Self> {
        let mut out = Self::default();
        reader.read_struct_begin()?;
        while let Some((ttype, id)) = reader.read_field_begin()? {
            match (id, ttype) {
                (1, TType::Binary) => {
                    out.message = String::from_utf8_lossy(reader.read_binary()?).into_owned();
                }
                (2, TType::I32) => out.kind = TApplicationExceptionType(reader.read_i32()?),
                _ => reader.skip(ttype)?,
            }
        }
        reader.read_struct_end();
        Ok(out)
    }

    /// Writes the struct: field 1 (message), field 2 (type), STOP.
    pub fn write<W: Writer>(&self, writer: &mut W) -> Result<()> {
        writer.write_struct_begin();
        writer.write_field_begin(TType::Binary, 1)?;
        writer.write_string(&self.message)?;
        writer.write_field_begin(TType::I32, 2)?;
        writer.write_i32(self.kind.0);
        writer.write_field_stop();
        writer.write_struct_end();
        Ok(())
    }

    /// Appends a whole EXCEPTION message to `buf`: a header for `method`
    /// and `seq_id` (echo the call's), then this struct.
    pub fn write_message(
        &self,
        protocol: Protocol,
        method: &str,
        seq_id: i32,
        buf: &mut BytesMut,
    ) -> Result<()> {
        let mut writer = ProtocolWriter::new(protocol, buf);
        writer.write_message_begin(&MessageHeader::new(method, MessageType::Exception, seq_id))?;
        self.write(&mut writer)
    }
}

impl fmt::Display for TApplicationException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.kind, self.message)
        }
    }
}

impl std::error::Error for TApplicationException {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let e = TApplicationException::new(TApplicationExceptionType::UNKNOWN_METHOD, "no Foo");
        assert_eq!(e.to_string(), "unknown method: no Foo");
        let e = TApplicationException::new(TApplicationExceptionType(12001), "");
        assert_eq!(e.to_string(), "exception type 12001");
        let e = TApplicationException::new(TApplicationExceptionType::NO_SERVICE_NAME, "x");
        assert_eq!(e.to_string(), "no service name: x");
    }

    #[test]
    fn every_named_code_keeps_its_number_and_name() {
        let named = [
            (TApplicationExceptionType::UNKNOWN, 0, "unknown"),
            (
                TApplicationExceptionType::UNKNOWN_METHOD,
                1,
                "unknown method",
            ),
            (
                TApplicationExceptionType::INVALID_MESSAGE_TYPE,
                2,
                "invalid message type",
            ),
            (
                TApplicationExceptionType::WRONG_METHOD_NAME,
                3,
                "wrong method name",
            ),
            (
                TApplicationExceptionType::BAD_SEQUENCE_ID,
                4,
                "bad sequence id",
            ),
            (
                TApplicationExceptionType::MISSING_RESULT,
                5,
                "missing result",
            ),
            (
                TApplicationExceptionType::INTERNAL_ERROR,
                6,
                "internal error",
            ),
            (
                TApplicationExceptionType::PROTOCOL_ERROR,
                7,
                "protocol error",
            ),
            (
                TApplicationExceptionType::INVALID_TRANSFORM,
                8,
                "invalid transform",
            ),
            (
                TApplicationExceptionType::INVALID_PROTOCOL,
                9,
                "invalid protocol",
            ),
            (
                TApplicationExceptionType::UNSUPPORTED_CLIENT_TYPE,
                10,
                "unsupported client type",
            ),
            (
                TApplicationExceptionType::VALIDATION_FAILED,
                11,
                "validation failed",
            ),
            (
                TApplicationExceptionType::UNKNOWN_SERVICE,
                20,
                "unknown service",
            ),
            (
                TApplicationExceptionType::NO_SERVICE_NAME,
                21,
                "no service name",
            ),
        ];
        for (ty, code, name) in named {
            assert_eq!(ty.code(), code);
            assert_eq!(TApplicationExceptionType::from(code), ty);
            assert_eq!(ty.name(), Some(name), "code {code}");
        }
        for code in [-1, 12, 19, 22, 12001] {
            assert_eq!(
                TApplicationExceptionType::from(code).name(),
                None,
                "code {code}"
            );
        }
    }
}
