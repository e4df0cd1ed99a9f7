//! The [`Writer`] trait: protocol primitives appended to a `BytesMut`.
//!
//! Writers only append (and, for containers of unknown length, patch bytes
//! they wrote themselves):
//!
//! ```text
//!   buf: &mut BytesMut
//!   ┌──── already there ────┬──── written by this writer ────┐
//!   0                  (start)                          buf.len()
//! ```
//!
//! # Containers of unknown length
//!
//! When the element count is not known up front (a JSON array being
//! streamed), call `begin_*_unknown`, write the elements, then
//! `end_*_unknown` with the count. The cost:
//!
//! | protocol | reserved | patch |
//! |---|---|---|
//! | Binary | the full 4-byte size | O(1) in place |
//! | Compact list/set | 1 byte (room for sizes 0..=14) | O(1) up to 14 elements; otherwise the elements are moved right by the 1–5 byte varint size (one `copy_within` of the container's bytes) |
//! | Compact map | 2 bytes (room for sizes 0..=127) | O(1) below 128 entries; otherwise the entries are moved right by up to 4 bytes; an empty map shrinks to its single `00` byte |
//!
//! Nested unknown-length Compact containers may each move the same bytes
//! once, so the worst case is O(depth × size); Binary is always O(1).

use bytes::BytesMut;

use crate::error::{Error, Result};

use super::binary::BinaryWriter;
use super::compact::CompactWriter;
use super::message::MessageHeader;
use super::ttype::{Protocol, TType};

/// Writes Thrift values by appending to a `BytesMut`.
///
/// Implemented by [`BinaryWriter`] and [`CompactWriter`]; [`ProtocolWriter`]
/// picks one at run time. Writes of plain values cannot fail; writes that
/// carry a type or a length return an error when the type has no encoding
/// in the protocol (`Stop`/`Void` in Compact) or the length does not fit in
/// an i32 ([`Limit::StringLength`](crate::Limit::StringLength) or
/// [`Limit::ContainerLength`](crate::Limit::ContainerLength)).
///
/// A struct is written as `write_struct_begin`, then for each field
/// `write_field_begin` and the value, then `write_field_stop` and
/// `write_struct_end`.
pub trait Writer {
    /// The protocol this writer encodes.
    fn protocol(&self) -> Protocol;

    /// The output buffer, including bytes that were there before.
    fn buf(&self) -> &[u8];

    /// Writes a message header: strict binary (wire-format §1.2) or compact
    /// (§2.3).
    fn write_message_begin(&mut self, header: &MessageHeader<'_>) -> Result<()>;

    /// Enters a struct (Compact: saves the last field id).
    fn write_struct_begin(&mut self);

    /// Leaves a struct (Compact: restores the last field id). Write the STOP
    /// byte first with [`write_field_stop`](Self::write_field_stop).
    fn write_struct_end(&mut self);

    /// Writes a field header. In the Compact protocol a `Bool` field's header
    /// is held back until the following [`write_bool`](Self::write_bool),
    /// which folds the value into it, so a `Bool` field header must be
    /// followed by exactly one `write_bool`.
    fn write_field_begin(&mut self, ttype: TType, id: i16) -> Result<()>;

    /// Writes the STOP byte that ends a struct's fields.
    fn write_field_stop(&mut self);

    /// Writes a bool (a field value or an element).
    fn write_bool(&mut self, value: bool);

    /// Writes an i8.
    fn write_i8(&mut self, value: i8);

    /// Writes an i16.
    fn write_i16(&mut self, value: i16);

    /// Writes an i32.
    fn write_i32(&mut self, value: i32);

    /// Writes an i64.
    fn write_i64(&mut self, value: i64);

    /// Writes a double.
    fn write_double(&mut self, value: f64);

    /// Writes a uuid (16 bytes, big-endian UUID layout).
    fn write_uuid(&mut self, value: &[u8; 16]);

    /// Writes a string or binary.
    fn write_binary(&mut self, value: &[u8]) -> Result<()>;

    /// Writes a string.
    #[inline]
    fn write_string(&mut self, value: &str) -> Result<()> {
        self.write_binary(value.as_bytes())
    }

    /// Writes a list header.
    fn write_list_begin(&mut self, elem: TType, len: usize) -> Result<()>;

    /// Writes a set header.
    fn write_set_begin(&mut self, elem: TType, len: usize) -> Result<()>;

    /// Writes a map header.
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) -> Result<()>;

    /// Starts a list whose length is given later to
    /// [`end_list_unknown`](Self::end_list_unknown). See the module docs for
    /// the cost.
    fn begin_list_unknown(&mut self, elem: TType) -> Result<Mark>;

    /// Finishes a list started with [`begin_list_unknown`](Self::begin_list_unknown)
    /// after `count` elements were written.
    fn end_list_unknown(&mut self, mark: Mark, count: usize) -> Result<()>;

    /// Starts a set whose length is given later.
    #[inline]
    fn begin_set_unknown(&mut self, elem: TType) -> Result<Mark> {
        self.begin_list_unknown(elem)
    }

    /// Finishes a set started with [`begin_set_unknown`](Self::begin_set_unknown).
    #[inline]
    fn end_set_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        self.end_list_unknown(mark, count)
    }

    /// Starts a map whose number of entries is given later.
    fn begin_map_unknown(&mut self, key: TType, value: TType) -> Result<Mark>;

    /// Finishes a map started with [`begin_map_unknown`](Self::begin_map_unknown)
    /// after `count` entries were written.
    fn end_map_unknown(&mut self, mark: Mark, count: usize) -> Result<()>;

    /// Drops the bytes from `pos` on, where the fields of the struct being
    /// written started, and forgets the last field id written in it (the
    /// compact protocol's field deltas), so its fields can be written
    /// again in another order.
    fn rewind_fields(&mut self, pos: usize);

    /// Appends bytes already encoded in this protocol (a field's value).
    fn write_raw(&mut self, bytes: &[u8]);

    /// Writes a field header and a fixed-width value of 8 bytes (`i64`,
    /// or a `double`'s bits with `double`) in one call, which a writer may
    /// merge into one append. The same bytes as `write_field_begin` then
    /// `write_i64` (or `write_double`).
    #[inline]
    fn write_field_i64(&mut self, ttype: TType, id: i16, value: i64, double: bool) -> Result<()> {
        self.write_field_begin(ttype, id)?;
        if double {
            self.write_double(f64::from_bits(value.cast_unsigned()));
        } else {
            self.write_i64(value);
        }
        Ok(())
    }

    /// Writes a field header and an `i32` in one call (see
    /// [`write_field_i64`](Self::write_field_i64)).
    #[inline]
    fn write_field_i32(&mut self, ttype: TType, id: i16, value: i32) -> Result<()> {
        self.write_field_begin(ttype, id)?;
        self.write_i32(value);
        Ok(())
    }

    /// Writes a field header and a string or binary value in one call (see
    /// [`write_field_i64`](Self::write_field_i64)).
    #[inline]
    fn write_field_binary(&mut self, ttype: TType, id: i16, value: &[u8]) -> Result<()> {
        self.write_field_begin(ttype, id)?;
        self.write_binary(value)
    }
}

/// Where a container of unknown length started; consumed by the matching
/// `end_*_unknown` call on the same writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a container of unknown length must be finished with its mark"]
pub struct Mark {
    /// Offset of the reserved header bytes in the buffer.
    pub(crate) pos: usize,
    pub(crate) kind: MarkKind,
    /// Compact: the element type id (list/set) or the key/value type byte (map).
    pub(crate) types: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkKind {
    List,
    Map,
}

impl Mark {
    /// Checks that the mark is of `kind` and that `reserved` bytes at its
    /// position exist in a buffer of `len` bytes.
    pub(crate) fn check(self, kind: MarkKind, reserved: usize, len: usize) -> Result<()> {
        if self.kind != kind {
            return Err(Error::invalid(match kind {
                MarkKind::List => "a map mark cannot finish a list or set",
                MarkKind::Map => "a list or set mark cannot finish a map",
            }));
        }
        if self.pos.checked_add(reserved).is_none_or(|end| end > len) {
            return Err(Error::invalid("container mark is outside the buffer"));
        }
        Ok(())
    }
}

/// A [`Writer`] for a protocol chosen at run time.
///
/// Each call matches on the protocol; hot paths should be generic over
/// [`Writer`] instead.
#[derive(Debug)]
pub enum ProtocolWriter<'b> {
    /// Binary protocol.
    Binary(BinaryWriter<'b>),
    /// Compact protocol.
    Compact(CompactWriter<'b>),
}

impl<'b> ProtocolWriter<'b> {
    /// A writer of `protocol` appending to `buf`.
    pub fn new(protocol: Protocol, buf: &'b mut BytesMut) -> Self {
        match protocol {
            Protocol::Binary => Self::Binary(BinaryWriter::new(buf)),
            Protocol::Compact => Self::Compact(CompactWriter::new(buf)),
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $w:ident => $e:expr) => {
        match $self {
            ProtocolWriter::Binary($w) => $e,
            ProtocolWriter::Compact($w) => $e,
        }
    };
}

impl Writer for ProtocolWriter<'_> {
    fn protocol(&self) -> Protocol {
        dispatch!(self, w => w.protocol())
    }
    fn buf(&self) -> &[u8] {
        dispatch!(self, w => w.buf())
    }
    fn write_message_begin(&mut self, header: &MessageHeader<'_>) -> Result<()> {
        dispatch!(self, w => w.write_message_begin(header))
    }
    fn write_struct_begin(&mut self) {
        dispatch!(self, w => w.write_struct_begin())
    }
    fn write_struct_end(&mut self) {
        dispatch!(self, w => w.write_struct_end())
    }
    fn write_field_begin(&mut self, ttype: TType, id: i16) -> Result<()> {
        dispatch!(self, w => w.write_field_begin(ttype, id))
    }
    fn write_field_stop(&mut self) {
        dispatch!(self, w => w.write_field_stop())
    }
    fn write_bool(&mut self, value: bool) {
        dispatch!(self, w => w.write_bool(value))
    }
    fn write_i8(&mut self, value: i8) {
        dispatch!(self, w => w.write_i8(value))
    }
    fn write_i16(&mut self, value: i16) {
        dispatch!(self, w => w.write_i16(value))
    }
    fn write_i32(&mut self, value: i32) {
        dispatch!(self, w => w.write_i32(value))
    }
    fn write_i64(&mut self, value: i64) {
        dispatch!(self, w => w.write_i64(value))
    }
    fn write_double(&mut self, value: f64) {
        dispatch!(self, w => w.write_double(value))
    }
    fn write_uuid(&mut self, value: &[u8; 16]) {
        dispatch!(self, w => w.write_uuid(value))
    }
    fn write_binary(&mut self, value: &[u8]) -> Result<()> {
        dispatch!(self, w => w.write_binary(value))
    }
    fn write_list_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        dispatch!(self, w => w.write_list_begin(elem, len))
    }
    fn write_set_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        dispatch!(self, w => w.write_set_begin(elem, len))
    }
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) -> Result<()> {
        dispatch!(self, w => w.write_map_begin(key, value, len))
    }
    fn begin_list_unknown(&mut self, elem: TType) -> Result<Mark> {
        dispatch!(self, w => w.begin_list_unknown(elem))
    }
    fn end_list_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        dispatch!(self, w => w.end_list_unknown(mark, count))
    }
    fn begin_map_unknown(&mut self, key: TType, value: TType) -> Result<Mark> {
        dispatch!(self, w => w.begin_map_unknown(key, value))
    }
    fn end_map_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        dispatch!(self, w => w.end_map_unknown(mark, count))
    }
    fn rewind_fields(&mut self, pos: usize) {
        dispatch!(self, w => w.rewind_fields(pos))
    }
    fn write_raw(&mut self, bytes: &[u8]) {
        dispatch!(self, w => w.write_raw(bytes))
    }
}
