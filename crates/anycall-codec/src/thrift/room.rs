//! Writers that append through a slice cursor instead of one `BytesMut`
//! append per value: [`RoomBinaryWriter`] and [`RoomCompactWriter`] encode
//! exactly what [`BinaryWriter`](super::BinaryWriter) and
//! [`CompactWriter`](super::CompactWriter) encode.
//!
//! The buffer is grown in steps (zero-filled room past the bytes written,
//! as much again as is written so far, from 256 bytes to 2 KiB), and each value is
//! then copied into that room: one length check and a copy of a few bytes,
//! with no call into the buffer per value. Dropping the writer cuts the
//! buffer back to the bytes written, so the buffer never shows the room:
//!
//! ```text
//!   buf: &mut BytesMut (while writing)
//!   ┌── already there ──┬── written ──┬── room (zeros) ──┐
//!   0              (start)          pos            buf.len()
//! ```
//!
//! Used by the `Value` encoder, whose values come from a tree in memory.

use bytes::BytesMut;

use crate::error::{Error, Result};

use super::compact::{ctype, encode_varint, zigzag32, zigzag64};
use super::message::MessageHeader;
use super::message::{BINARY_VERSION_1, COMPACT_PROTOCOL_ID, COMPACT_TYPE_SHIFT, COMPACT_VERSION};
use super::ttype::{Protocol, TType};
use super::util::{container_len_i32, string_len_i32};
use super::writer::{Mark, MarkKind, Writer};

/// The least the room grows by.
const ROOM_STEP: usize = 256;
/// The most the room grows by (unless one value needs more): zero-filling
/// more at once gains nothing, and above about this size `memset` turns to
/// `rep stosb`, which counts one instruction per byte under callgrind.
const ROOM_STEP_MAX: usize = 2048;

/// The cursor: `buf[..pos]` is the output, `buf[pos..]` is room.
#[derive(Debug)]
pub(crate) struct Room<'b> {
    buf: &'b mut BytesMut,
    /// Where this writer's output starts.
    start: usize,
    pos: usize,
}

impl<'b> Room<'b> {
    fn new(buf: &'b mut BytesMut) -> Self {
        let pos = buf.len();
        Self {
            buf,
            start: pos,
            pos,
        }
    }

    /// Makes sure `n` bytes of room follow the output.
    #[inline(always)]
    fn reserve(&mut self, n: usize) {
        if self.buf.len() - self.pos < n {
            self.grow(n);
        }
    }

    /// Grows the room by at least `n` bytes: by as much as has been
    /// written so far, from [`ROOM_STEP`] up to [`ROOM_STEP_MAX`], so that
    /// a small message zero-fills little and a large one grows few times.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        let step = (self.pos - self.start).clamp(ROOM_STEP, ROOM_STEP_MAX);
        self.buf.resize(self.pos + n.max(step), 0);
    }

    /// Appends a few bytes known at compile time.
    #[inline(always)]
    fn put<const N: usize>(&mut self, bytes: [u8; N]) {
        let end = self.pos + N;
        if end > self.buf.len() {
            self.grow(N);
        }
        // There is room after `grow`; `get_mut` keeps a panic path out of
        // every append.
        if let Some(room) = self.buf.get_mut(self.pos..end) {
            room.copy_from_slice(&bytes);
        }
        self.pos = end;
    }

    #[inline(always)]
    fn put_u8(&mut self, b: u8) {
        self.put([b]);
    }

    /// Appends a slice; one longer than the room is appended to the buffer
    /// directly (no zero-fill first).
    #[inline]
    fn put_slice(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        match self.buf.get_mut(self.pos..self.pos + n) {
            Some(room) => copy_short(room, bytes),
            None => return self.put_long(bytes),
        }
        self.pos += n;
    }

    #[cold]
    #[inline(never)]
    fn put_long(&mut self, bytes: &[u8]) {
        self.buf.truncate(self.pos);
        self.buf.extend_from_slice(bytes);
        self.pos = self.buf.len();
    }

    /// Appends a varint (at most 10 bytes) straight into the room.
    #[inline(always)]
    fn put_varint(&mut self, mut value: u64) {
        if value < 0x80 {
            return self.put_u8(value as u8);
        }
        self.reserve(10);
        let room = &mut self.buf[self.pos..self.pos + 10];
        let mut i = 0;
        while value >= 0x80 {
            room[i] = (value as u8) | 0x80;
            value >>= 7;
            i += 1;
        }
        room[i] = value as u8;
        self.pos += i + 1;
    }

    /// Forgets the output from `pos` on.
    #[inline]
    fn truncate(&mut self, pos: usize) {
        if pos < self.pos {
            self.pos = pos;
        }
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.pos]
    }

    #[inline]
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.pos]
    }

    /// Moves `out[from..]` right by `by` bytes.
    fn shift_right(&mut self, from: usize, by: usize) {
        self.reserve(by);
        let end = self.pos;
        self.buf.copy_within(from..end, from + by);
        self.pos += by;
    }
}

/// Copies `src` into `dst`, of the same length; up to 16 bytes as two
/// overlapping words (or three bytes), without a call to `memcpy`.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    match n {
        0 => {}
        1..=3 => {
            dst[0] = src[0];
            dst[n / 2] = src[n / 2];
            dst[n - 1] = src[n - 1];
        }
        4..=8 => {
            dst[..4].copy_from_slice(&src[..4]);
            dst[n - 4..].copy_from_slice(&src[n - 4..]);
        }
        9..=16 => {
            dst[..8].copy_from_slice(&src[..8]);
            dst[n - 8..].copy_from_slice(&src[n - 8..]);
        }
        _ => dst.copy_from_slice(src),
    }
}

impl Drop for Room<'_> {
    fn drop(&mut self) {
        self.buf.truncate(self.pos);
    }
}

/// The Binary protocol written through a [`Room`] cursor; the same bytes as
/// [`BinaryWriter`](super::BinaryWriter).
#[derive(Debug)]
pub(crate) struct RoomBinaryWriter<'b> {
    out: Room<'b>,
}

impl<'b> RoomBinaryWriter<'b> {
    /// A writer appending to `buf`.
    pub(crate) fn new(buf: &'b mut BytesMut) -> Self {
        Self {
            out: Room::new(buf),
        }
    }
}

impl Writer for RoomBinaryWriter<'_> {
    #[inline]
    fn protocol(&self) -> Protocol {
        Protocol::Binary
    }

    #[inline]
    fn buf(&self) -> &[u8] {
        self.out.bytes()
    }

    fn write_message_begin(&mut self, header: &MessageHeader<'_>) -> Result<()> {
        let len = string_len_i32(header.name.len())?;
        self.out
            .put((BINARY_VERSION_1 | u32::from(header.message_type.as_u8())).to_be_bytes());
        self.out.put(len.to_be_bytes());
        self.out.put_slice(header.name.as_bytes());
        self.out.put(header.seq_id.to_be_bytes());
        Ok(())
    }

    #[inline]
    fn write_struct_begin(&mut self) {}

    #[inline]
    fn write_struct_end(&mut self) {}

    #[inline]
    fn write_field_begin(&mut self, ttype: TType, id: i16) -> Result<()> {
        let [hi, lo] = id.to_be_bytes();
        self.out.put([ttype.as_u8(), hi, lo]);
        Ok(())
    }

    #[inline]
    fn write_field_stop(&mut self) {
        self.out.put_u8(0);
    }

    #[inline]
    fn write_bool(&mut self, value: bool) {
        self.out.put_u8(u8::from(value));
    }

    #[inline]
    fn write_i8(&mut self, value: i8) {
        self.out.put(value.to_be_bytes());
    }

    #[inline]
    fn write_i16(&mut self, value: i16) {
        self.out.put(value.to_be_bytes());
    }

    #[inline]
    fn write_i32(&mut self, value: i32) {
        self.out.put(value.to_be_bytes());
    }

    #[inline]
    fn write_i64(&mut self, value: i64) {
        self.out.put(value.to_be_bytes());
    }

    #[inline]
    fn write_double(&mut self, value: f64) {
        self.out.put(value.to_be_bytes());
    }

    #[inline]
    fn write_uuid(&mut self, value: &[u8; 16]) {
        self.out.put(*value);
    }

    #[inline(always)]
    fn write_string(&mut self, value: &str) -> Result<()> {
        self.write_binary(value.as_bytes())
    }

    #[inline(always)]
    fn write_binary(&mut self, value: &[u8]) -> Result<()> {
        let len = string_len_i32(value.len())?;
        self.out.put(len.to_be_bytes());
        self.out.put_slice(value);
        Ok(())
    }

    #[inline]
    fn write_list_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        let [a, b, c, d] = container_len_i32(len)?.to_be_bytes();
        self.out.put([elem.as_u8(), a, b, c, d]);
        Ok(())
    }

    #[inline]
    fn write_set_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        self.write_list_begin(elem, len)
    }

    #[inline]
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) -> Result<()> {
        let [a, b, c, d] = container_len_i32(len)?.to_be_bytes();
        self.out.put([key.as_u8(), value.as_u8(), a, b, c, d]);
        Ok(())
    }

    fn begin_list_unknown(&mut self, elem: TType) -> Result<Mark> {
        self.out.put_u8(elem.as_u8());
        let pos = self.out.pos;
        self.out.put([0; 4]);
        Ok(Mark {
            pos,
            kind: MarkKind::List,
            types: elem.as_u8(),
        })
    }

    fn end_list_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        mark.check(MarkKind::List, 4, self.out.pos)?;
        self.patch_len(mark.pos, count)
    }

    fn begin_map_unknown(&mut self, key: TType, value: TType) -> Result<Mark> {
        self.out.put([key.as_u8(), value.as_u8()]);
        let pos = self.out.pos;
        self.out.put([0; 4]);
        Ok(Mark {
            pos,
            kind: MarkKind::Map,
            types: 0,
        })
    }

    fn end_map_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        mark.check(MarkKind::Map, 4, self.out.pos)?;
        self.patch_len(mark.pos, count)
    }

    fn rewind_fields(&mut self, pos: usize) {
        self.out.truncate(pos);
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        self.out.put_slice(bytes);
    }

    #[inline(always)]
    fn write_field_i64(&mut self, ttype: TType, id: i16, value: i64, double: bool) -> Result<()> {
        // A double's bits are written big-endian, as `write_double` does.
        let _ = double;
        let mut b = [0u8; 11];
        b[0] = ttype.as_u8();
        b[1..3].copy_from_slice(&id.to_be_bytes());
        b[3..].copy_from_slice(&value.to_be_bytes());
        self.out.put(b);
        Ok(())
    }

    #[inline(always)]
    fn write_field_i32(&mut self, ttype: TType, id: i16, value: i32) -> Result<()> {
        self.out.put(header_and_word(ttype, id, value));
        Ok(())
    }

    #[inline(always)]
    fn write_field_binary(&mut self, ttype: TType, id: i16, value: &[u8]) -> Result<()> {
        let len = string_len_i32(value.len())?;
        self.out.put(header_and_word(ttype, id, len));
        self.out.put_slice(value);
        Ok(())
    }
}

/// A Binary field header and a big-endian i32 after it (the value, or a
/// string's length), as one array to append at once.
#[inline(always)]
fn header_and_word(ttype: TType, id: i16, word: i32) -> [u8; 7] {
    let mut b = [0u8; 7];
    b[0] = ttype.as_u8();
    b[1..3].copy_from_slice(&id.to_be_bytes());
    b[3..].copy_from_slice(&word.to_be_bytes());
    b
}

impl RoomBinaryWriter<'_> {
    fn patch_len(&mut self, pos: usize, count: usize) -> Result<()> {
        let len = container_len_i32(count)?;
        self.out.bytes_mut()[pos..pos + 4].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }
}

/// The Compact protocol written through a [`Room`] cursor; the same bytes
/// as [`CompactWriter`](super::CompactWriter).
#[derive(Debug)]
pub(crate) struct RoomCompactWriter<'b> {
    out: Room<'b>,
    last_id: i16,
    /// Last field ids of the enclosing structs.
    stack: Vec<i16>,
    pending_bool: Option<i16>,
}

impl<'b> RoomCompactWriter<'b> {
    /// A writer appending to `buf`.
    pub(crate) fn new(buf: &'b mut BytesMut) -> Self {
        Self {
            out: Room::new(buf),
            last_id: 0,
            stack: Vec::new(),
            pending_bool: None,
        }
    }

    #[inline]
    fn write_field_header(&mut self, ctype: u8, id: i16) {
        let delta = i32::from(id) - i32::from(self.last_id);
        if (1..=15).contains(&delta) {
            self.out.put_u8(((delta as u8) << 4) | ctype);
        } else {
            self.out.put_u8(ctype);
            self.out.put_varint(zigzag32(id.into()).into());
        }
        self.last_id = id;
    }
}

impl Writer for RoomCompactWriter<'_> {
    #[inline]
    fn protocol(&self) -> Protocol {
        Protocol::Compact
    }

    #[inline]
    fn buf(&self) -> &[u8] {
        self.out.bytes()
    }

    fn write_message_begin(&mut self, header: &MessageHeader<'_>) -> Result<()> {
        let len = string_len_i32(header.name.len())?;
        self.out.put([
            COMPACT_PROTOCOL_ID,
            (header.message_type.as_u8() << COMPACT_TYPE_SHIFT) | COMPACT_VERSION,
        ]);
        self.out.put_varint(header.seq_id.cast_unsigned().into());
        self.out.put_varint(len.cast_unsigned().into());
        self.out.put_slice(header.name.as_bytes());
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
        self.out.put_u8(0);
    }

    #[inline]
    fn write_bool(&mut self, value: bool) {
        let ctype = if value { 1 } else { 2 };
        match self.pending_bool.take() {
            Some(id) => self.write_field_header(ctype, id),
            None => self.out.put_u8(ctype),
        }
    }

    #[inline]
    fn write_i8(&mut self, value: i8) {
        self.out.put(value.to_be_bytes());
    }

    #[inline]
    fn write_i16(&mut self, value: i16) {
        self.out.put_varint(zigzag32(value.into()).into());
    }

    #[inline]
    fn write_i32(&mut self, value: i32) {
        self.out.put_varint(zigzag32(value).into());
    }

    #[inline]
    fn write_i64(&mut self, value: i64) {
        self.out.put_varint(zigzag64(value));
    }

    #[inline]
    fn write_double(&mut self, value: f64) {
        self.out.put(value.to_le_bytes());
    }

    #[inline]
    fn write_uuid(&mut self, value: &[u8; 16]) {
        self.out.put(*value);
    }

    #[inline(always)]
    fn write_string(&mut self, value: &str) -> Result<()> {
        self.write_binary(value.as_bytes())
    }

    #[inline(always)]
    fn write_binary(&mut self, value: &[u8]) -> Result<()> {
        let len = string_len_i32(value.len())?;
        self.out.put_varint(len.cast_unsigned().into());
        self.out.put_slice(value);
        Ok(())
    }

    #[inline]
    fn write_list_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        let ctype = ctype(elem)?;
        let len = container_len_i32(len)?.cast_unsigned();
        if len <= 14 {
            self.out.put_u8(((len as u8) << 4) | ctype);
        } else {
            self.out.put_u8(0xf0 | ctype);
            self.out.put_varint(len.into());
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
            self.out.put_u8(0);
        } else {
            self.out.put_varint(len.into());
            self.out.put_u8(kv);
        }
        Ok(())
    }

    fn begin_list_unknown(&mut self, elem: TType) -> Result<Mark> {
        let types = ctype(elem)?;
        let pos = self.out.pos;
        self.out.put_u8(types);
        Ok(Mark {
            pos,
            kind: MarkKind::List,
            types,
        })
    }

    fn end_list_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        mark.check(MarkKind::List, 1, self.out.pos)?;
        let len = container_len_i32(count)?.cast_unsigned();
        if len <= 14 {
            self.out.bytes_mut()[mark.pos] = ((len as u8) << 4) | mark.types;
            return Ok(());
        }
        let mut tmp = [0u8; 10];
        let n = encode_varint(len.into(), &mut tmp);
        self.out.shift_right(mark.pos + 1, n);
        let out = self.out.bytes_mut();
        out[mark.pos] = 0xf0 | mark.types;
        out[mark.pos + 1..mark.pos + 1 + n].copy_from_slice(&tmp[..n]);
        Ok(())
    }

    fn begin_map_unknown(&mut self, key: TType, value: TType) -> Result<Mark> {
        let types = (ctype(key)? << 4) | ctype(value)?;
        let pos = self.out.pos;
        // Room for a one-byte size and the type byte.
        self.out.put([0, types]);
        Ok(Mark {
            pos,
            kind: MarkKind::Map,
            types,
        })
    }

    fn end_map_unknown(&mut self, mark: Mark, count: usize) -> Result<()> {
        mark.check(MarkKind::Map, 2, self.out.pos)?;
        let len = container_len_i32(count)?.cast_unsigned();
        if len == 0 {
            if self.out.pos != mark.pos + 2 {
                return Err(Error::invalid(
                    "an empty map must not have bytes after its header",
                ));
            }
            self.out.truncate(mark.pos + 1);
            return Ok(());
        }
        let mut tmp = [0u8; 10];
        let n = encode_varint(len.into(), &mut tmp);
        if n > 1 {
            self.out.shift_right(mark.pos + 1, n - 1);
        }
        let out = self.out.bytes_mut();
        out[mark.pos..mark.pos + n].copy_from_slice(&tmp[..n]);
        out[mark.pos + n] = mark.types;
        Ok(())
    }

    fn rewind_fields(&mut self, pos: usize) {
        self.out.truncate(pos);
        self.last_id = 0;
        self.pending_bool = None;
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        self.out.put_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thrift::{BinaryWriter, CompactWriter};

    /// Every call of the writer API, in both writers of a protocol.
    fn script<W: Writer>(w: &mut W) {
        let header = MessageHeader::new("Echo", crate::thrift::MessageType::Call, 70_000);
        w.write_message_begin(&header).unwrap();
        w.write_struct_begin();
        w.write_field_begin(TType::Bool, 1).unwrap();
        w.write_bool(true);
        w.write_field_begin(TType::I8, 2).unwrap();
        w.write_i8(-3);
        w.write_field_begin(TType::I16, 40).unwrap();
        w.write_i16(-300);
        w.write_field_begin(TType::I32, 41).unwrap();
        w.write_i32(i32::MIN);
        w.write_field_begin(TType::I64, 42).unwrap();
        w.write_i64(i64::MAX);
        w.write_field_begin(TType::Double, 43).unwrap();
        w.write_double(-1.5);
        w.write_field_begin(TType::Uuid, 44).unwrap();
        w.write_uuid(&[7; 16]);
        w.write_field_begin(TType::Binary, 45).unwrap();
        w.write_binary(&[0xab; 300]).unwrap();
        w.write_field_begin(TType::List, 46).unwrap();
        w.write_list_begin(TType::Bool, 20).unwrap();
        for i in 0..20 {
            w.write_bool(i % 3 == 0);
        }
        w.write_field_begin(TType::Set, 47).unwrap();
        w.write_set_begin(TType::I32, 2).unwrap();
        w.write_i32(1);
        w.write_i32(2);
        w.write_field_begin(TType::Map, 48).unwrap();
        w.write_map_begin(TType::Binary, TType::Struct, 1).unwrap();
        w.write_string("k").unwrap();
        w.write_struct_begin();
        w.write_field_begin(TType::I32, 3).unwrap();
        w.write_i32(9);
        w.write_field_stop();
        w.write_struct_end();
        w.write_field_begin(TType::Map, 49).unwrap();
        w.write_map_begin(TType::I32, TType::I32, 0).unwrap();
        w.write_field_begin(TType::List, 50).unwrap();
        let mark = w.begin_list_unknown(TType::I64).unwrap();
        for i in 0..40 {
            w.write_i64(i);
        }
        w.end_list_unknown(mark, 40).unwrap();
        w.write_field_begin(TType::List, 51).unwrap();
        let mark = w.begin_list_unknown(TType::I64).unwrap();
        w.write_i64(5);
        w.end_list_unknown(mark, 1).unwrap();
        w.write_field_begin(TType::Map, 52).unwrap();
        let mark = w.begin_map_unknown(TType::I32, TType::I32).unwrap();
        for i in 0..200 {
            w.write_i32(i);
            w.write_i32(-i);
        }
        w.end_map_unknown(mark, 200).unwrap();
        w.write_field_begin(TType::Map, 53).unwrap();
        let mark = w.begin_map_unknown(TType::I32, TType::I32).unwrap();
        w.end_map_unknown(mark, 0).unwrap();
        // Longer than the room left: appended directly.
        w.write_field_begin(TType::Binary, 54).unwrap();
        w.write_binary(&[0xcd; 5000]).unwrap();
        w.write_field_i64(TType::I64, 55, -5, false).unwrap();
        w.write_field_i64(TType::Double, 56, 2.5f64.to_bits().cast_signed(), true)
            .unwrap();
        w.write_field_i32(TType::I32, 57, -70_000).unwrap();
        w.write_field_binary(TType::Binary, 58, b"xy").unwrap();
        // Every short length, copied without `memcpy`.
        w.write_field_begin(TType::List, 59).unwrap();
        w.write_list_begin(TType::Binary, 21).unwrap();
        let text: Vec<u8> = (1..=20).collect();
        for n in 0..=20 {
            w.write_binary(&text[..n]).unwrap();
        }
        let body = w.buf().len();
        w.write_field_begin(TType::I32, 60).unwrap();
        w.write_i32(1);
        w.rewind_fields(body);
        w.write_raw(&[0x08, 0x00, 0x3d, 0, 0, 0, 2]);
        w.write_field_stop();
        w.write_struct_end();
    }

    #[test]
    fn room_writers_write_the_bytes_of_the_plain_writers() {
        for prefix in [&b""[..], b"already there"] {
            let (mut plain, mut room) = (BytesMut::from(prefix), BytesMut::from(prefix));
            script(&mut BinaryWriter::new(&mut plain));
            {
                let mut w = RoomBinaryWriter::new(&mut room);
                script(&mut w);
                assert_eq!(w.buf(), &plain[..]);
            }
            assert_eq!(room, plain, "binary");
            let (mut plain, mut room) = (BytesMut::from(prefix), BytesMut::from(prefix));
            script(&mut CompactWriter::new(&mut plain));
            {
                let mut w = RoomCompactWriter::new(&mut room);
                script(&mut w);
                assert_eq!(w.buf(), &plain[..]);
            }
            assert_eq!(room, plain, "compact");
        }
    }

    #[test]
    fn dropping_a_room_writer_leaves_only_what_was_written() {
        let mut buf = BytesMut::new();
        {
            let mut w = RoomBinaryWriter::new(&mut buf);
            w.write_i32(1);
            assert!(w.out.buf.len() >= ROOM_STEP);
        }
        assert_eq!(&buf[..], &[0, 0, 0, 1]);
    }
}
