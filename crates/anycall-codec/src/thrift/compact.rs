//! The Compact protocol (wire-format §2): varints, zigzag and 4-bit types.
//!
//! ```text
//! i8        1 raw byte                   i16/i32/i64  zigzag, then varint (ULEB128)
//! double    8 bytes little-endian        uuid         16 raw bytes
//! string    varint len | bytes           bool elem    01 true, 02 false (00 read as false)
//!
//! field     short: dddd tttt             d = id - last id (1..=15), t = compact type
//!           long:  0000 tttt | zigzag varint i16 id
//!           bool fields: t = 1 (true) or 2 (false), no value bytes
//! stop      00
//! list/set  ssss tttt                    s = size 0..=14
//!           1111 tttt | varint size      size >= 15
//! map       00                           empty: no type byte
//!           varint size | kkkk vvvv | key value ...
//! ```
//!
//! Each struct keeps the last field id it wrote or read, starting at 0;
//! nested structs save and restore it.
//!
//! Example: field 1 of type string, value `"hi"`: `18 02 68 69`.

use bytes::{BufMut, BytesMut};

use crate::error::{Error, Result};
use crate::limits::Limits;

use super::message::{
    COMPACT_PROTOCOL_ID, COMPACT_TYPE_SHIFT, COMPACT_VERSION, COMPACT_VERSION_MASK, MessageHeader,
    MessageType, bad_version, unknown_message_type,
};
use super::reader::Reader;
use super::skip::skip_value;
use super::ttype::{Protocol, TType, unknown_compact_type};
use super::util::{
    check_container_len, check_string_len, container_len_i32, depth_exceeded, negative_len,
    not_utf8, string_len_i32, truncated,
};
use super::writer::{Mark, MarkKind, Writer};

// ---------------------------------------------------------------------------
// varint and zigzag
// ---------------------------------------------------------------------------

/// Why a varint could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarintError {
    /// The input ended inside the varint.
    Truncated,
    /// Too many bytes, or a value wider than the target type.
    Overflow,
}

/// Decodes a varint of at most 32 bits from the start of `buf`: the value
/// and the bytes it took.
#[inline]
pub(crate) fn decode_varint32(buf: &[u8]) -> Result<(u32, usize), VarintError> {
    let mut value = 0u32;
    for (i, &b) in buf.iter().take(5).enumerate() {
        if i == 4 && b > 0x0f {
            return Err(VarintError::Overflow);
        }
        value |= u32::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Ok((value, i + 1));
        }
    }
    if buf.len() < 5 {
        Err(VarintError::Truncated)
    } else {
        Err(VarintError::Overflow)
    }
}

/// Decodes a varint of at most 64 bits from the start of `buf`.
#[inline]
pub(crate) fn decode_varint64(buf: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut value = 0u64;
    for (i, &b) in buf.iter().take(10).enumerate() {
        if i == 9 && b > 0x01 {
            return Err(VarintError::Overflow);
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Ok((value, i + 1));
        }
    }
    if buf.len() < 10 {
        Err(VarintError::Truncated)
    } else {
        Err(VarintError::Overflow)
    }
}

/// Encodes `value` as a varint into `out`; returns the bytes used.
#[inline]
pub(crate) fn encode_varint(mut value: u64, out: &mut [u8; 10]) -> usize {
    let mut i = 0;
    while value >= 0x80 {
        out[i] = (value as u8) | 0x80;
        value >>= 7;
        i += 1;
    }
    out[i] = value as u8;
    i + 1
}

#[inline]
fn put_varint(buf: &mut BytesMut, value: u64) {
    if value < 0x80 {
        buf.put_u8(value as u8);
    } else {
        let mut tmp = [0u8; 10];
        let n = encode_varint(value, &mut tmp);
        buf.put_slice(&tmp[..n]);
    }
}

/// ZigZag-encodes an i32.
#[inline]
pub(crate) const fn zigzag32(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)).cast_unsigned()
}

/// ZigZag-decodes an i32.
#[inline]
pub(crate) const fn unzigzag32(n: u32) -> i32 {
    (n >> 1).cast_signed() ^ -((n & 1).cast_signed())
}

/// ZigZag-encodes an i64.
#[inline]
pub(crate) const fn zigzag64(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)).cast_unsigned()
}

/// ZigZag-decodes an i64.
#[inline]
pub(crate) const fn unzigzag64(n: u64) -> i64 {
    (n >> 1).cast_signed() ^ -((n & 1).cast_signed())
}

#[cold]
#[inline(never)]
pub(crate) fn varint_error(err: VarintError, what: &str) -> Error {
    match err {
        VarintError::Truncated => truncated(what),
        VarintError::Overflow => Error::invalid(format!("varint overflow reading {what}")),
    }
}

/// The encoded size of a `ttype` value if every value of the type has the
/// same size in the Compact protocol (bool counts as a container element).
#[inline]
pub(crate) const fn fixed_size(ttype: TType) -> Option<usize> {
    Some(match ttype {
        TType::Bool | TType::I8 => 1,
        TType::Double => 8,
        TType::Uuid => 16,
        _ => return None,
    })
}

/// The smallest encoding of a `ttype` container element in the Compact
/// protocol.
#[inline]
const fn min_size(ttype: TType) -> usize {
    match fixed_size(ttype) {
        Some(n) => n,
        None => 1,
    }
}

// ---------------------------------------------------------------------------
// reader
// ---------------------------------------------------------------------------

/// Reads the Compact protocol from a borrowed slice.
///
/// Keeps the last field id of each open struct and the value of a bool
/// field read with its header.
#[derive(Debug, Clone)]
pub struct CompactReader<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: usize,
    limits: Limits,
    last_id: i16,
    /// Last field ids of the enclosing structs.
    stack: Vec<i16>,
    pending_bool: Option<bool>,
}

impl<'a> CompactReader<'a> {
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
            last_id: 0,
            stack: Vec::new(),
            pending_bool: None,
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

    #[inline]
    fn read_varint32(&mut self, what: &str) -> Result<u32> {
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(b.into());
        }
        match decode_varint32(&self.buf[self.pos..]) {
            Ok((value, n)) => {
                self.pos += n;
                Ok(value)
            }
            Err(err) => Err(varint_error(err, what)),
        }
    }

    #[inline]
    fn read_varint64(&mut self, what: &str) -> Result<u64> {
        match decode_varint64(&self.buf[self.pos..]) {
            Ok((value, n)) => {
                self.pos += n;
                Ok(value)
            }
            Err(err) => Err(varint_error(err, what)),
        }
    }

    /// Reads a varint length; values above `i32::MAX` are negative i32s.
    #[inline]
    fn read_len(&mut self, what: &str) -> Result<usize> {
        let len = self.read_varint32(what)?.cast_signed();
        usize::try_from(len).map_err(|_| negative_len(what, len.into()))
    }

    #[inline]
    fn take_string_body(&mut self, len: usize) -> Result<&'a [u8]> {
        check_string_len(len, self.buf.len() - self.pos, &self.limits)?;
        let bytes = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(bytes)
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

    fn read_seq_header(&mut self) -> Result<(TType, usize)> {
        let b = self.take_u8("list header")?;
        let elem = compact_type(b & 0x0f)?;
        let short = usize::from(b >> 4);
        let len = if short == 15 {
            self.read_len("list")?
        } else {
            short
        };
        check_container_len(len, min_size(elem), self.buf.len() - self.pos, &self.limits)?;
        self.enter()?;
        Ok((elem, len))
    }
}

#[inline]
fn compact_type(id: u8) -> Result<TType> {
    TType::from_compact(id).ok_or_else(|| unknown_compact_type(id))
}

impl<'a> Reader<'a> for CompactReader<'a> {
    #[inline]
    fn protocol(&self) -> Protocol {
        Protocol::Compact
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
        let [id, version_and_type] = self.take::<2>("message header")?;
        if id != COMPACT_PROTOCOL_ID {
            return Err(Error::invalid(format!(
                "bad protocol id {id:#04x} in compact message"
            )));
        }
        if version_and_type & COMPACT_VERSION_MASK != COMPACT_VERSION {
            return Err(bad_version());
        }
        let ty = version_and_type >> COMPACT_TYPE_SHIFT;
        let message_type =
            MessageType::from_u8(ty).ok_or_else(|| unknown_message_type(ty.into()))?;
        let seq_id = self.read_varint32("message header")?.cast_signed();
        let len = self.read_len("method name")?;
        let name = self.take_string_body(len)?;
        let name = std::str::from_utf8(name).map_err(|_| not_utf8("method name"))?;
        Ok(MessageHeader::new(name, message_type, seq_id))
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<()> {
        self.enter()?;
        self.stack.push(self.last_id);
        self.last_id = 0;
        Ok(())
    }

    #[inline]
    fn read_struct_end(&mut self) {
        self.last_id = self.stack.pop().unwrap_or(0);
        self.leave();
    }

    #[inline]
    fn read_field_begin(&mut self) -> Result<Option<(TType, i16)>> {
        let b = self.take_u8("field header")?;
        if b == 0 {
            return Ok(None);
        }
        let ctype = b & 0x0f;
        let ttype = compact_type(ctype)?;
        let delta = b >> 4;
        let id = if delta == 0 {
            self.read_i16()?
        } else {
            self.last_id
                .checked_add(i16::from(delta))
                .ok_or_else(field_id_overflow)?
        };
        if ttype == TType::Bool {
            self.pending_bool = Some(ctype == 1);
        }
        self.last_id = id;
        Ok(Some((ttype, id)))
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool> {
        if let Some(value) = self.pending_bool.take() {
            return Ok(value);
        }
        match self.take_u8("bool")? {
            1 => Ok(true),
            0 | 2 => Ok(false),
            b => Err(invalid_bool(b)),
        }
    }

    #[inline]
    fn read_i8(&mut self) -> Result<i8> {
        Ok(self.take_u8("i8")?.cast_signed())
    }

    #[inline]
    fn read_i16(&mut self) -> Result<i16> {
        let n = unzigzag32(self.read_varint32("i16")?);
        i16::try_from(n).map_err(|_| Error::invalid(format!("i16 value {n} out of range")))
    }

    #[inline]
    fn read_i32(&mut self) -> Result<i32> {
        Ok(unzigzag32(self.read_varint32("i32")?))
    }

    #[inline]
    fn read_i64(&mut self) -> Result<i64> {
        Ok(unzigzag64(self.read_varint64("i64")?))
    }

    #[inline]
    fn read_double(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.take::<8>("double")?))
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
        let len = self.read_len("map")?;
        if len == 0 {
            self.enter()?;
            return Ok((TType::Stop, TType::Stop, 0));
        }
        let kv = self.take_u8("map header")?;
        let key = compact_type(kv >> 4)?;
        let value = compact_type(kv & 0x0f)?;
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
        if ttype == TType::Bool && self.pending_bool.take().is_some() {
            return Ok(());
        }
        let n = skip_value(
            Protocol::Compact,
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

#[cold]
#[inline(never)]
fn field_id_overflow() -> Error {
    Error::invalid("field id delta overflows i16")
}

#[cold]
#[inline(never)]
fn no_compact_encoding(ttype: TType) -> Error {
    Error::invalid(format!("type {ttype} has no compact encoding"))
}

#[inline]
pub(crate) fn ctype(ttype: TType) -> Result<u8> {
    ttype.to_compact().ok_or_else(|| no_compact_encoding(ttype))
}

// ---------------------------------------------------------------------------
// writer
// ---------------------------------------------------------------------------

/// Writes the Compact protocol to a `BytesMut`.
///
/// Keeps the last field id of each open struct, and holds back a bool
/// field's header until its value is written.
#[derive(Debug)]
pub struct CompactWriter<'b> {
    buf: &'b mut BytesMut,
    last_id: i16,
    /// Last field ids of the enclosing structs.
    stack: Vec<i16>,
    pending_bool: Option<i16>,
}

impl<'b> CompactWriter<'b> {
    /// A writer appending to `buf`.
    pub fn new(buf: &'b mut BytesMut) -> Self {
        Self {
            buf,
            last_id: 0,
            stack: Vec::new(),
            pending_bool: None,
        }
    }

    #[inline]
    fn write_field_header(&mut self, ctype: u8, id: i16) {
        let delta = i32::from(id) - i32::from(self.last_id);
        if (1..=15).contains(&delta) {
            self.buf.put_u8(((delta as u8) << 4) | ctype);
        } else {
            self.buf.put_u8(ctype);
            put_varint(self.buf, zigzag32(id.into()).into());
        }
        self.last_id = id;
    }

    /// Moves `buf[from..]` right by `by` bytes, growing the buffer.
    fn shift_right(&mut self, from: usize, by: usize) {
        let old_len = self.buf.len();
        self.buf.resize(old_len + by, 0);
        self.buf.copy_within(from..old_len, from + by);
    }
}

impl Writer for CompactWriter<'_> {
    #[inline]
    fn protocol(&self) -> Protocol {
        Protocol::Compact
    }

    #[inline]
    fn buf(&self) -> &[u8] {
        self.buf
    }

    fn write_message_begin(&mut self, header: &MessageHeader<'_>) -> Result<()> {
        let len = string_len_i32(header.name.len())?;
        self.buf.put_u8(COMPACT_PROTOCOL_ID);
        self.buf
            .put_u8((header.message_type.as_u8() << COMPACT_TYPE_SHIFT) | COMPACT_VERSION);
        put_varint(self.buf, header.seq_id.cast_unsigned().into());
        put_varint(self.buf, len.cast_unsigned().into());
        self.buf.put_slice(header.name.as_bytes());
        Ok(())
    }

    #[inline]
    fn write_struct_begin(&mut self) {
        self.stack.push(self.last_id);
        self.last_id = 0;
    }

    #[inline]
    fn write_struct_end(&mut self) {
        self.last_id = self.stack.pop().unwrap_or(0);
    }

    #[inline]
    fn write_field_begin(&mut self, ttype: TType, id: i16) -> Result<()> {
        debug_assert!(
            self.pending_bool.is_none(),
            "a bool field header must be followed by write_bool"
        );
        if ttype == TType::Bool {
            self.pending_bool = Some(id);
            return Ok(());
        }
        let ctype = ctype(ttype)?;
        self.write_field_header(ctype, id);
        Ok(())
    }

    #[inline]
    fn write_field_stop(&mut self) {
        self.buf.put_u8(0);
    }

    #[inline]
    fn write_bool(&mut self, value: bool) {
        let ctype = if value { 1 } else { 2 };
        match self.pending_bool.take() {
            Some(id) => self.write_field_header(ctype, id),
            None => self.buf.put_u8(ctype),
        }
    }

    #[inline]
    fn write_i8(&mut self, value: i8) {
        self.buf.put_i8(value);
    }

    #[inline]
    fn write_i16(&mut self, value: i16) {
        put_varint(self.buf, zigzag32(value.into()).into());
    }

    #[inline]
    fn write_i32(&mut self, value: i32) {
        put_varint(self.buf, zigzag32(value).into());
    }

    #[inline]
    fn write_i64(&mut self, value: i64) {
        put_varint(self.buf, zigzag64(value));
    }

    #[inline]
    fn write_double(&mut self, value: f64) {
        self.buf.put_f64_le(value);
    }

    #[inline]
    fn write_uuid(&mut self, value: &[u8; 16]) {
        self.buf.put_slice(value);
    }

    #[inline]
    fn write_binary(&mut self, value: &[u8]) -> Result<()> {
        let len = string_len_i32(value.len())?;
        put_varint(self.buf, len.cast_unsigned().into());
        self.buf.put_slice(value);
        Ok(())
    }

    #[inline]
    fn write_list_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        let ctype = ctype(elem)?;
        let len = container_len_i32(len)?.cast_unsigned();
        if len <= 14 {
            self.buf.put_u8(((len as u8) << 4) | ctype);
        } else {
            self.buf.put_u8(0xf0 | ctype);
            put_varint(self.buf, len.into());
        }
        Ok(())
    }

    #[inline]
    fn write_set_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        self.write_list_begin(elem, len)
    }

    #[inline]
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) -> Result<()> {
        let kv = (ctype(key)? << 4) | ctype(value)?;
        let len = container_len_i32(len)?.cast_unsigned();
        if len == 0 {
            self.buf.put_u8(0);
        } else {
            put_varint(self.buf, len.into());
            self.buf.put_u8(kv);
        }
        Ok(())
    }

    fn begin_list_unknown(&mut self, elem: TType) -> Result<Mark> {
        let types = ctype(elem)?;
        let pos = self.buf.len();
        self.buf.put_u8(types);
        Ok(Mark {
            pos,
            kind: MarkKind::List,
            types,
        })
    }

    fn end_list_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        mark.check(MarkKind::List, 1, self.buf.len())?;
        let len = container_len_i32(count)?.cast_unsigned();
        if len <= 14 {
            self.buf[mark.pos] = ((len as u8) << 4) | mark.types;
            return Ok(());
        }
        let mut tmp = [0u8; 10];
        let n = encode_varint(len.into(), &mut tmp);
        self.shift_right(mark.pos + 1, n);
        self.buf[mark.pos] = 0xf0 | mark.types;
        self.buf[mark.pos + 1..mark.pos + 1 + n].copy_from_slice(&tmp[..n]);
        Ok(())
    }

    fn begin_map_unknown(&mut self, key: TType, value: TType) -> Result<Mark> {
        let types = (ctype(key)? << 4) | ctype(value)?;
        let pos = self.buf.len();
        // Room for a one-byte size and the type byte.
        self.buf.put_slice(&[0, types]);
        Ok(Mark {
            pos,
            kind: MarkKind::Map,
            types,
        })
    }

    fn end_map_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        mark.check(MarkKind::Map, 2, self.buf.len())?;
        let len = container_len_i32(count)?.cast_unsigned();
        if len == 0 {
            if self.buf.len() != mark.pos + 2 {
                return Err(Error::invalid(
                    "an empty map must not have bytes after its header",
                ));
            }
            self.buf.truncate(mark.pos + 1);
            return Ok(());
        }
        let mut tmp = [0u8; 10];
        let n = encode_varint(len.into(), &mut tmp);
        if n > 1 {
            self.shift_right(mark.pos + 1, n - 1);
        }
        self.buf[mark.pos..mark.pos + n].copy_from_slice(&tmp[..n]);
        self.buf[mark.pos + n] = mark.types;
        Ok(())
    }

    fn rewind_fields(&mut self, pos: usize) {
        self.buf.truncate(pos);
        self.last_id = 0;
        self.pending_bool = None;
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_its_position_limits_and_depth() {
        let limits = Limits {
            max_depth: 7,
            ..Limits::default()
        };
        // i32 1 (zigzag varint 02), then two bytes.
        let buf = [0x02, 0x0c, 9];
        super::super::reader::testing::reports_position_limits_and_depth(
            CompactReader::with_limits(&buf, limits),
            Protocol::Compact,
        );
    }

    #[test]
    fn fixed_size_elements_need_their_size() {
        // list header: size 3 in the high nibble, element type in the low.
        for (elem, code, min) in [
            (TType::Double, 7u8, 8),
            (TType::Uuid, 13, 16),
            (TType::I32, 5, 1),
        ] {
            let mut short = vec![(3 << 4) | code];
            short.resize(1 + 3 * min - 1, 0);
            let err = CompactReader::new(&short).read_list_begin().unwrap_err();
            assert!(err.is_truncated(), "{elem:?}: {err}");
            short.push(0);
            assert_eq!(
                CompactReader::new(&short).read_list_begin().unwrap(),
                (elem, 3),
                "{elem:?}"
            );
        }
    }

    #[test]
    fn zigzag_examples() {
        for (n, z) in [(0, 0), (-1, 1), (1, 2), (-2, 3), (i32::MAX, u32::MAX - 1)] {
            assert_eq!(zigzag32(n), z);
            assert_eq!(unzigzag32(z), n);
        }
        assert_eq!(zigzag32(i32::MIN), u32::MAX);
        assert_eq!(zigzag64(i64::MIN), u64::MAX);
        assert_eq!(unzigzag64(u64::MAX), i64::MIN);
        assert_eq!(unzigzag64(zigzag64(-3)), -3);
    }

    #[test]
    fn varint_examples() {
        let mut out = [0u8; 10];
        let n = encode_varint(50399, &mut out);
        assert_eq!(&out[..n], &[0xdf, 0x89, 0x03]);
        assert_eq!(decode_varint32(&out[..n]), Ok((50399, 3)));
        let n = encode_varint(u64::from(u32::MAX), &mut out);
        assert_eq!(&out[..n], &[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(decode_varint32(&out[..n]), Ok((u32::MAX, 5)));
        for v in [0, 1, 127, 128, 16383, 16384, u64::from(u32::MAX), u64::MAX] {
            let n = encode_varint(v, &mut out);
            assert_eq!(decode_varint64(&out[..n]), Ok((v, n)));
        }
    }

    #[test]
    fn varint_errors() {
        assert_eq!(decode_varint32(&[0x80, 0x80]), Err(VarintError::Truncated));
        assert_eq!(decode_varint32(&[]), Err(VarintError::Truncated));
        // 33 bits
        assert_eq!(
            decode_varint32(&[0xff, 0xff, 0xff, 0xff, 0x1f]),
            Err(VarintError::Overflow)
        );
        assert_eq!(
            decode_varint32(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
            Err(VarintError::Overflow)
        );
        assert_eq!(decode_varint64(&[0xff; 10]), Err(VarintError::Overflow));
        let mut max = [0xff; 10];
        max[9] = 0x01;
        assert_eq!(decode_varint64(&max), Ok((u64::MAX, 10)));
    }

    #[test]
    fn bool_elements_accept_zero_as_false() {
        let mut r = CompactReader::new(&[1, 2, 0, 3]);
        assert!(r.read_bool().unwrap());
        assert!(!r.read_bool().unwrap());
        assert!(!r.read_bool().unwrap());
        assert_eq!(
            r.read_bool().unwrap_err().to_string(),
            "invalid bool byte 0x03"
        );
    }

    #[test]
    fn void_has_no_compact_encoding() {
        let mut buf = BytesMut::new();
        let mut w = CompactWriter::new(&mut buf);
        let err = w.write_field_begin(TType::Void, 1).unwrap_err();
        assert_eq!(err.to_string(), "type void has no compact encoding");
        assert!(w.write_list_begin(TType::Stop, 0).is_err());
        assert!(buf.is_empty());
    }

    #[test]
    fn empty_unknown_map_with_trailing_bytes_is_refused() {
        let mut buf = BytesMut::new();
        let mut w = CompactWriter::new(&mut buf);
        let mark = w.begin_map_unknown(TType::I32, TType::I32).unwrap();
        w.write_i32(1);
        assert!(w.end_map_unknown(mark, 0).is_err());
    }
}
