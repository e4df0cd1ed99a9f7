//! The [`Reader`] trait: protocol primitives read from a borrowed slice.
//!
//! ```text
//!   buf: &'a [u8]
//!   ┌──────────────── consumed ───────────────┬────── remaining ──────┐
//!   0                                       position             buf.len()
//! ```
//!
//! Strings and binaries are returned as `&'a [u8]` borrowed from the input
//! (no copy); with a `bytes::Bytes` input, `Bytes::slice_ref` turns them into
//! owned handles without copying either.

use crate::error::Result;
use crate::limits::Limits;

use super::binary::BinaryReader;
use super::compact::CompactReader;
use super::message::MessageHeader;
use super::ttype::{Protocol, TType};

/// Reads Thrift values from a borrowed byte slice.
///
/// Implemented by [`BinaryReader`] and [`CompactReader`]; generic code is
/// written once as `fn read_x<'a, R: Reader<'a>>(r: &mut R)` and
/// monomorphised per protocol. [`ProtocolReader`] picks one at run time.
///
/// # Limits
///
/// Every reader carries [`Limits`]:
///
/// * `read_struct_begin`, `read_list_begin`, `read_set_begin` and
///   `read_map_begin` each enter one nesting level and the matching `*_end`
///   leaves it; going deeper than `max_depth` is a
///   [`Limit::Depth`](crate::Limit::Depth) error. Callers must pair every
///   successful `*_begin` with its `*_end`.
/// * String, binary and message-name lengths are checked against
///   `max_string_len` and container lengths against `max_container_len`,
///   both before the bytes are touched. A container header is also checked
///   against the bytes that remain (each element takes at least one byte,
///   more for fixed-width types), so a huge declared length in a short input
///   fails with [`ErrorKind::Truncated`](crate::ErrorKind::Truncated) before
///   a caller can allocate for it.
/// * Negative lengths are [`ErrorKind::InvalidData`](crate::ErrorKind::InvalidData).
///
/// After an error the reader's position is unspecified; drop it.
pub trait Reader<'a> {
    /// The protocol this reader decodes.
    fn protocol(&self) -> Protocol;

    /// Bytes consumed so far.
    fn position(&self) -> usize;

    /// The bytes not consumed yet.
    fn remaining(&self) -> &'a [u8];

    /// The limits this reader enforces.
    fn limits(&self) -> &Limits;

    /// Nesting levels currently entered (0 outside any struct or container).
    fn depth(&self) -> usize;

    /// Reads a message header (wire-format §1.2, §2.3).
    fn read_message_begin(&mut self) -> Result<MessageHeader<'a>>;

    /// Enters a struct.
    fn read_struct_begin(&mut self) -> Result<()>;

    /// Leaves a struct (after [`read_field_begin`](Self::read_field_begin)
    /// returned `None`).
    fn read_struct_end(&mut self);

    /// Reads a field header: its type and id, or `None` at STOP.
    ///
    /// In the Compact protocol a bool field's value is part of the header;
    /// it is kept and returned by the next [`read_bool`](Self::read_bool).
    fn read_field_begin(&mut self) -> Result<Option<(TType, i16)>>;

    /// Reads a bool.
    fn read_bool(&mut self) -> Result<bool>;

    /// Reads an i8.
    fn read_i8(&mut self) -> Result<i8>;

    /// Reads an i16.
    fn read_i16(&mut self) -> Result<i16>;

    /// Reads an i32.
    fn read_i32(&mut self) -> Result<i32>;

    /// Reads an i64.
    fn read_i64(&mut self) -> Result<i64>;

    /// Reads a double.
    fn read_double(&mut self) -> Result<f64>;

    /// Reads a uuid (16 bytes, big-endian UUID layout).
    fn read_uuid(&mut self) -> Result<[u8; 16]>;

    /// Reads a string or binary, borrowed from the input.
    fn read_binary(&mut self) -> Result<&'a [u8]>;

    /// Reads a string and checks that it is UTF-8.
    #[inline]
    fn read_string(&mut self) -> Result<&'a str> {
        let bytes = self.read_binary()?;
        std::str::from_utf8(bytes).map_err(|_| super::util::not_utf8("string"))
    }

    /// Enters a list: element type and length.
    fn read_list_begin(&mut self) -> Result<(TType, usize)>;

    /// Leaves a list.
    fn read_list_end(&mut self);

    /// Enters a set: element type and length.
    fn read_set_begin(&mut self) -> Result<(TType, usize)>;

    /// Leaves a set.
    fn read_set_end(&mut self);

    /// Enters a map: key type, value type and number of entries.
    ///
    /// An empty Compact map carries no types; both are then reported as
    /// [`TType::Stop`], a type no element can have. Compare element types
    /// only when the length is not zero.
    fn read_map_begin(&mut self) -> Result<(TType, TType, usize)>;

    /// Leaves a map.
    fn read_map_end(&mut self);

    /// Skips one value of type `ttype`, nested values included, within the
    /// reader's depth limit. See [`skip`](super::skip()).
    fn skip(&mut self, ttype: TType) -> Result<()>;
}

/// A [`Reader`] for a protocol chosen at run time.
///
/// Each call matches on the protocol; hot paths should be generic over
/// [`Reader`] instead.
#[derive(Debug, Clone)]
pub enum ProtocolReader<'a> {
    /// Binary protocol.
    Binary(BinaryReader<'a>),
    /// Compact protocol.
    Compact(CompactReader<'a>),
}

impl<'a> ProtocolReader<'a> {
    /// A reader of `protocol` over `buf` with `limits`.
    pub fn new(protocol: Protocol, buf: &'a [u8], limits: Limits) -> Self {
        match protocol {
            Protocol::Binary => Self::Binary(BinaryReader::with_limits(buf, limits)),
            Protocol::Compact => Self::Compact(CompactReader::with_limits(buf, limits)),
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $r:ident => $e:expr) => {
        match $self {
            ProtocolReader::Binary($r) => $e,
            ProtocolReader::Compact($r) => $e,
        }
    };
}

impl<'a> Reader<'a> for ProtocolReader<'a> {
    fn protocol(&self) -> Protocol {
        dispatch!(self, r => r.protocol())
    }
    fn position(&self) -> usize {
        dispatch!(self, r => r.position())
    }
    fn remaining(&self) -> &'a [u8] {
        dispatch!(self, r => r.remaining())
    }
    fn limits(&self) -> &Limits {
        dispatch!(self, r => r.limits())
    }
    fn depth(&self) -> usize {
        dispatch!(self, r => r.depth())
    }
    fn read_message_begin(&mut self) -> Result<MessageHeader<'a>> {
        dispatch!(self, r => r.read_message_begin())
    }
    fn read_struct_begin(&mut self) -> Result<()> {
        dispatch!(self, r => r.read_struct_begin())
    }
    fn read_struct_end(&mut self) {
        dispatch!(self, r => r.read_struct_end())
    }
    fn read_field_begin(&mut self) -> Result<Option<(TType, i16)>> {
        dispatch!(self, r => r.read_field_begin())
    }
    fn read_bool(&mut self) -> Result<bool> {
        dispatch!(self, r => r.read_bool())
    }
    fn read_i8(&mut self) -> Result<i8> {
        dispatch!(self, r => r.read_i8())
    }
    fn read_i16(&mut self) -> Result<i16> {
        dispatch!(self, r => r.read_i16())
    }
    fn read_i32(&mut self) -> Result<i32> {
        dispatch!(self, r => r.read_i32())
    }
    fn read_i64(&mut self) -> Result<i64> {
        dispatch!(self, r => r.read_i64())
    }
    fn read_double(&mut self) -> Result<f64> {
        dispatch!(self, r => r.read_double())
    }
    fn read_uuid(&mut self) -> Result<[u8; 16]> {
        dispatch!(self, r => r.read_uuid())
    }
    fn read_binary(&mut self) -> Result<&'a [u8]> {
        dispatch!(self, r => r.read_binary())
    }
    fn read_list_begin(&mut self) -> Result<(TType, usize)> {
        dispatch!(self, r => r.read_list_begin())
    }
    fn read_list_end(&mut self) {
        dispatch!(self, r => r.read_list_end())
    }
    fn read_set_begin(&mut self) -> Result<(TType, usize)> {
        dispatch!(self, r => r.read_set_begin())
    }
    fn read_set_end(&mut self) {
        dispatch!(self, r => r.read_set_end())
    }
    fn read_map_begin(&mut self) -> Result<(TType, TType, usize)> {
        dispatch!(self, r => r.read_map_begin())
    }
    fn read_map_end(&mut self) {
        dispatch!(self, r => r.read_map_end())
    }
    fn skip(&mut self, ttype: TType) -> Result<()> {
        dispatch!(self, r => r.skip(ttype))
    }
}

/// Shared by the protocols' reader tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Checks what reader `r` reports as it reads: `r` is over an i32 1,
    /// then the bytes `0c 09`, with `max_depth` 7.
    pub(crate) fn reports_position_limits_and_depth<'a, R: Reader<'a>>(
        mut r: R,
        protocol: Protocol,
    ) {
        assert_eq!(r.protocol(), protocol);
        assert_eq!(r.limits().max_depth, 7);
        assert_eq!(r.read_i32().unwrap(), 1);
        assert_eq!(r.remaining(), &[0x0c, 9]);
        assert_eq!(r.depth(), 0);
        r.read_struct_begin().unwrap();
        assert_eq!(r.depth(), 1);
        r.read_struct_end();
        assert_eq!(r.depth(), 0);
    }
}
