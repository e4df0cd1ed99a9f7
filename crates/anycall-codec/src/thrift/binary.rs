//! The Binary protocol (wire-format §1): fixed-width big-endian values.
//!
//! ```text
//! bool      01 | 00                      i8      1 byte
//! i16       2 bytes BE                   i32     4 bytes BE
//! i64       8 bytes BE                   double  8 bytes BE (IEEE-754 bits)
//! uuid      16 raw bytes                 string  i32 len (>= 0) | bytes
//! field     u8 ttype | i16 id | value    stop    00
//! list/set  u8 elem ttype | i32 len (>= 0) | elems
//! map       u8 key ttype | u8 value ttype | i32 len (>= 0) | key value ...
//! ```
//!
//! Example: field 1 of type string, value `"hi"`:
//! `0b 00 01 00 00 00 02 68 69`.

use bytes::{BufMut, BytesMut};

use crate::error::{Error, Result};
use crate::limits::Limits;

use super::message::{
    BINARY_VERSION_1, BINARY_VERSION_MASK, MessageHeader, MessageType, bad_version,
    unknown_message_type,
};
use super::reader::Reader;
use super::skip::skip_value;
use super::ttype::{Protocol, TType, unknown_type};
use super::util::{
    check_container_len, check_string_len, container_len_i32, depth_exceeded, negative_len,
    not_utf8, string_len_i32, truncated,
};
use super::writer::{Mark, MarkKind, Writer};

/// The encoded size of a `ttype` value if every value of the type has the
/// same size in the Binary protocol.
#[inline]
pub(crate) const fn fixed_size(ttype: TType) -> Option<usize> {
    Some(match ttype {
        TType::Bool | TType::I8 => 1,
        TType::I16 => 2,
        TType::I32 => 4,
        TType::I64 | TType::Double => 8,
        TType::Uuid => 16,
        _ => return None,
    })
}

/// The smallest encoding of a `ttype` value in the Binary protocol.
#[inline]
const fn min_size(ttype: TType) -> usize {
    match fixed_size(ttype) {
        Some(n) => n,
        None => match ttype {
            TType::Binary => 4,
            TType::List | TType::Set => 5,
            TType::Map => 6,
            // struct, and the types that cannot be values
            _ => 1,
        },
    }
}

/// Reads the Binary protocol from a borrowed slice.
///
/// Bools must be `00` or `01`. Message headers may be strict or old
/// (non-strict); see [`message`](super::message).
#[derive(Debug, Clone)]
pub struct BinaryReader<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: usize,
    limits: Limits,
}

impl<'a> BinaryReader<'a> {
    /// A reader over `buf` with default [`Limits`].
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_limits(buf, Limits::default())
    }

    /// A reader over `buf` with `limits`.
    pub fn with_limits(buf: &'a [u8], limits: Limits) -> Self {
        Self {
            buf,
            pos: 0,
            depth: 0,
            limits,
        }
    }

    #[inline]
    fn take<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        match self.buf[self.pos..].first_chunk::<N>() {
            Some(bytes) => {
                self.pos += N;
                Ok(*bytes)
            }
            None => Err(truncated(what)),
        }
    }

    #[inline]
    fn take_u8(&mut self, what: &str) -> Result<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(truncated(what)),
        }
    }

    /// Reads an i32 length; negative is invalid.
    #[inline]
    fn read_len(&mut self, what: &str) -> Result<usize> {
        let len = i32::from_be_bytes(self.take::<4>(what)?);
        usize::try_from(len).map_err(|_| negative_len(what, len.into()))
    }

    /// Takes `len` bytes after checking the string limit.
    #[inline]
    fn take_string_body(&mut self, len: usize) -> Result<&'a [u8]> {
        check_string_len(len, self.buf.len() - self.pos, &self.limits)?;
        let bytes = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(bytes)
    }

    #[inline]
    fn read_type(&mut self, what: &str) -> Result<TType> {
        let id = self.take_u8(what)?;
        TType::from_u8(id).ok_or_else(|| unknown_type(id))
    }

    #[inline]
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(depth_exceeded(self.depth, self.limits.max_depth));
        }
        Ok(())
    }

    #[inline]
    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn read_name(&mut self, len: usize) -> Result<&'a str> {
        let bytes = self.take_string_body(len)?;
        std::str::from_utf8(bytes).map_err(|_| not_utf8("method name"))
    }

    fn read_seq_header(&mut self) -> Result<(TType, usize)> {
        let elem = self.read_type("list header")?;
        let len = self.read_len("list")?;
        check_container_len(len, min_size(elem), self.buf.len() - self.pos, &self.limits)?;
        self.enter()?;
        Ok((elem, len))
    }
}

impl<'a> Reader<'a> for BinaryReader<'a> {
    #[inline]
    fn protocol(&self) -> Protocol {
        Protocol::Binary
    }

    #[inline]
    fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    fn remaining(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    #[inline]
    fn limits(&self) -> &Limits {
        &self.limits
    }

    #[inline]
    fn depth(&self) -> usize {
        self.depth
    }

    fn read_message_begin(&mut self) -> Result<MessageHeader<'a>> {
        let first = i32::from_be_bytes(self.take::<4>("message header")?);
        if let Ok(name_len) = usize::try_from(first) {
            // Old (non-strict) header: name length, name, u8 type, seq id.
            let name = self.read_name(name_len)?;
            let ty = self.take_u8("message header")?;
            let message_type =
                MessageType::from_u8(ty).ok_or_else(|| unknown_message_type(ty.into()))?;
            let seq_id = i32::from_be_bytes(self.take::<4>("message header")?);
            return Ok(MessageHeader::new(name, message_type, seq_id));
        }
        let word = first.cast_unsigned();
        if word & BINARY_VERSION_MASK != BINARY_VERSION_1 {
            return Err(bad_version());
        }
        let ty = word & !BINARY_VERSION_MASK;
        let message_type = u8::try_from(ty)
            .ok()
            .and_then(MessageType::from_u8)
            .ok_or_else(|| unknown_message_type(ty))?;
        let name_len = self.read_len("method name")?;
        let name = self.read_name(name_len)?;
        let seq_id = i32::from_be_bytes(self.take::<4>("message header")?);
        Ok(MessageHeader::new(name, message_type, seq_id))
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<()> {
        self.enter()
    }

    #[inline]
    fn read_struct_end(&mut self) {
        self.leave();
    }

    #[inline]
    fn read_field_begin(&mut self) -> Result<Option<(TType, i16)>> {
        let id = self.take_u8("field header")?;
        if id == 0 {
            return Ok(None);
        }
        let ttype = TType::from_u8(id).ok_or_else(|| unknown_type(id))?;
        let field_id = i16::from_be_bytes(self.take::<2>("field header")?);
        Ok(Some((ttype, field_id)))
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool> {
        match self.take_u8("bool")? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(invalid_bool(b)),
        }
    }

    #[inline]
    fn read_i8(&mut self) -> Result<i8> {
        Ok(self.take_u8("i8")?.cast_signed())
    }

    #[inline]
    fn read_i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.take::<2>("i16")?))
    }

    #[inline]
    fn read_i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.take::<4>("i32")?))
    }

    #[inline]
    fn read_i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.take::<8>("i64")?))
    }

    #[inline]
    fn read_double(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(self.take::<8>("double")?))
    }

    #[inline]
    fn read_uuid(&mut self) -> Result<[u8; 16]> {
        self.take::<16>("uuid")
    }

    #[inline]
    fn read_binary(&mut self) -> Result<&'a [u8]> {
        let len = self.read_len("string")?;
        self.take_string_body(len)
    }

    #[inline]
    fn read_list_begin(&mut self) -> Result<(TType, usize)> {
        self.read_seq_header()
    }

    #[inline]
    fn read_list_end(&mut self) {
        self.leave();
    }

    #[inline]
    fn read_set_begin(&mut self) -> Result<(TType, usize)> {
        self.read_seq_header()
    }

    #[inline]
    fn read_set_end(&mut self) {
        self.leave();
    }

    #[inline]
    fn read_map_begin(&mut self) -> Result<(TType, TType, usize)> {
        let key = self.read_type("map header")?;
        let value = self.read_type("map header")?;
        let len = self.read_len("map")?;
        check_container_len(
            len,
            min_size(key) + min_size(value),
            self.buf.len() - self.pos,
            &self.limits,
        )?;
        self.enter()?;
        Ok((key, value, len))
    }

    #[inline]
    fn read_map_end(&mut self) {
        self.leave();
    }

    fn skip(&mut self, ttype: TType) -> Result<()> {
        let n = skip_value(
            Protocol::Binary,
            &self.buf[self.pos..],
            ttype,
            &self.limits,
            self.depth,
        )?;
        self.pos += n;
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn invalid_bool(b: u8) -> Error {
    Error::invalid(format!("invalid bool byte {b:#04x}"))
}

/// Writes the Binary protocol (strict message headers) to a `BytesMut`.
#[derive(Debug)]
pub struct BinaryWriter<'b> {
    buf: &'b mut BytesMut,
}

impl<'b> BinaryWriter<'b> {
    /// A writer appending to `buf`.
    pub fn new(buf: &'b mut BytesMut) -> Self {
        Self { buf }
    }
}

impl Writer for BinaryWriter<'_> {
    #[inline]
    fn protocol(&self) -> Protocol {
        Protocol::Binary
    }

    #[inline]
    fn buf(&self) -> &[u8] {
        self.buf
    }

    fn write_message_begin(&mut self, header: &MessageHeader<'_>) -> Result<()> {
        let len = string_len_i32(header.name.len())?;
        self.buf
            .put_u32(BINARY_VERSION_1 | u32::from(header.message_type.as_u8()));
        self.buf.put_i32(len);
        self.buf.put_slice(header.name.as_bytes());
        self.buf.put_i32(header.seq_id);
        Ok(())
    }

    #[inline]
    fn write_struct_begin(&mut self) {}

    #[inline]
    fn write_struct_end(&mut self) {}

    #[inline]
    fn write_field_begin(&mut self, ttype: TType, id: i16) -> Result<()> {
        let [hi, lo] = id.to_be_bytes();
        self.buf.put_slice(&[ttype.as_u8(), hi, lo]);
        Ok(())
    }

    #[inline]
    fn write_field_stop(&mut self) {
        self.buf.put_u8(0);
    }

    #[inline]
    fn write_bool(&mut self, value: bool) {
        self.buf.put_u8(u8::from(value));
    }

    #[inline]
    fn write_i8(&mut self, value: i8) {
        self.buf.put_i8(value);
    }

    #[inline]
    fn write_i16(&mut self, value: i16) {
        self.buf.put_i16(value);
    }

    #[inline]
    fn write_i32(&mut self, value: i32) {
        self.buf.put_i32(value);
    }

    #[inline]
    fn write_i64(&mut self, value: i64) {
        self.buf.put_i64(value);
    }

    #[inline]
    fn write_double(&mut self, value: f64) {
        self.buf.put_f64(value);
    }

    #[inline]
    fn write_uuid(&mut self, value: &[u8; 16]) {
        self.buf.put_slice(value);
    }

    #[inline]
    fn write_binary(&mut self, value: &[u8]) -> Result<()> {
        let len = string_len_i32(value.len())?;
        self.buf.reserve(4 + value.len());
        self.buf.put_i32(len);
        self.buf.put_slice(value);
        Ok(())
    }

    #[inline]
    fn write_list_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        let [a, b, c, d] = container_len_i32(len)?.to_be_bytes();
        self.buf.put_slice(&[elem.as_u8(), a, b, c, d]);
        Ok(())
    }

    #[inline]
    fn write_set_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        self.write_list_begin(elem, len)
    }

    #[inline]
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) -> Result<()> {
        let [a, b, c, d] = container_len_i32(len)?.to_be_bytes();
        self.buf
            .put_slice(&[key.as_u8(), value.as_u8(), a, b, c, d]);
        Ok(())
    }

    fn begin_list_unknown(&mut self, elem: TType) -> Result<Mark> {
        self.buf.put_u8(elem.as_u8());
        let pos = self.buf.len();
        self.buf.put_i32(0);
        Ok(Mark {
            pos,
            kind: MarkKind::List,
            types: elem.as_u8(),
        })
    }

    fn end_list_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        mark.check(MarkKind::List, 4, self.buf.len())?;
        self.patch_len(mark.pos, count)
    }

    fn begin_map_unknown(&mut self, key: TType, value: TType) -> Result<Mark> {
        self.buf.put_u8(key.as_u8());
        self.buf.put_u8(value.as_u8());
        let pos = self.buf.len();
        self.buf.put_i32(0);
        Ok(Mark {
            pos,
            kind: MarkKind::Map,
            types: 0,
        })
    }

    fn end_map_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        mark.check(MarkKind::Map, 4, self.buf.len())?;
        self.patch_len(mark.pos, count)
    }

    fn rewind_fields(&mut self, pos: usize) {
        self.buf.truncate(pos);
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
}

impl BinaryWriter<'_> {
    fn patch_len(&mut self, pos: usize, count: usize) -> Result<()> {
        let len = container_len_i32(count)?;
        self.buf[pos..pos + 4].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bool_bytes_other_than_0_and_1() {
        let mut r = BinaryReader::new(&[2]);
        let err = r.read_bool().unwrap_err();
        assert_eq!(err.to_string(), "invalid bool byte 0x02");
    }

    #[test]
    fn container_length_checked_against_remaining_bytes() {
        // list<i64> of 2 elements needs 16 bytes; 8 remain.
        let buf = [0x0a, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1];
        let err = BinaryReader::new(&buf).read_list_begin().unwrap_err();
        assert!(err.is_truncated(), "{err}");
        let buf = [0x0a, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(
            BinaryReader::new(&buf).read_list_begin().unwrap(),
            (TType::I64, 1)
        );
    }

    /// A list header of `len` elements of `elem`, then `body` bytes.
    fn list_of(elem: TType, len: u8, body: usize) -> Vec<u8> {
        let mut buf = vec![elem as u8, 0, 0, 0, len];
        buf.resize(5 + body, 0);
        buf
    }

    #[test]
    fn each_element_kind_needs_its_smallest_encoding() {
        // (element, its smallest Binary encoding): 3 elements need 3× that.
        for (elem, min) in [
            (TType::Binary, 4),
            (TType::List, 5),
            (TType::Set, 5),
            (TType::Map, 6),
            (TType::Struct, 1),
            (TType::I32, 4),
        ] {
            let short = list_of(elem, 3, 3 * min - 1);
            let err = BinaryReader::new(&short).read_list_begin().unwrap_err();
            assert!(err.is_truncated(), "{elem:?}: {err}");
            let enough = list_of(elem, 3, 3 * min);
            assert_eq!(
                BinaryReader::new(&enough).read_list_begin().unwrap(),
                (elem, 3),
                "{elem:?}"
            );
        }
        // A map entry needs its key's and its value's: binary 4 + list 5.
        let mut map = vec![TType::Binary as u8, TType::List as u8, 0, 0, 0, 2];
        map.resize(6 + 17, 0);
        assert!(
            BinaryReader::new(&map)
                .read_map_begin()
                .unwrap_err()
                .is_truncated()
        );
        map.push(0);
        assert!(BinaryReader::new(&map).read_map_begin().is_ok());
    }

    #[test]
    fn reader_reports_its_position_limits_and_depth() {
        let limits = Limits {
            max_depth: 7,
            ..Limits::default()
        };
        let buf = [0, 0, 0, 1, 0x0c, 9];
        super::super::reader::testing::reports_position_limits_and_depth(
            BinaryReader::with_limits(&buf, limits),
            Protocol::Binary,
        );
    }

    #[test]
    fn mark_of_the_wrong_kind_is_refused() {
        let mut buf = BytesMut::new();
        let mut w = BinaryWriter::new(&mut buf);
        let mark = w.begin_map_unknown(TType::I32, TType::I32).unwrap();
        assert!(w.end_list_unknown(mark, 0).is_err());
        w.end_map_unknown(mark, 0).unwrap();
    }
}
