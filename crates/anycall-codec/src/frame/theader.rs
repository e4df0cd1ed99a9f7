//! Apache THeader (magic `0x0FFF`): the header of Apache Thrift's
//! `THeaderTransport` (Python, C++, Java, Go) and fbthrift. Same outer shape
//! as Kitex's TTHeader, but its header area is made of varints and it can
//! compress the payload.
//!
//! Layout (spec/wire-format.md §3.3; fixed fields big-endian, header-area
//! integers unsigned LEB128 varints):
//!
//! ```text
//!  0               4       6       8               12      14
//! +---------------+-------+-------+---------------+-------+----------------------+---------+
//! | LENGTH (u32)  | 0f ff | FLAGS | SEQUENCE (i32)| HSIZE | header area          | payload |
//! +---------------+-------+-------+---------------+-------+----------------------+---------+
//!   bytes after     magic   u16     message seq id  u16    HSIZE * 4 bytes
//!   this field                                              (from offset 14)
//!
//! header area:
//! +-------------+----------+------------------+-----------------------------+-------------+
//! | protocol id | count N  | N transform ids  | info blocks ..............  | 00 padding  |
//! |   varint    |  varint  |   N x varint     | varint id + data, ...       | to 4 bytes  |
//! +-------------+----------+------------------+-----------------------------+-------------+
//!
//! protocol id: 0 binary, 2 compact (1, JSON, is refused)
//! transform ids: 1 ZLIB (accepted and written); 2 HMAC, 3 SNAPPY are refused
//! info block 1 INFO_KEYVALUE: varint count, count x (varint len, key, varint len, value)
//! any other info id (0 is padding) ends the info blocks, as in Apache's readers
//! ```
//!
//! The payload is transformed in the order the ids are listed when written,
//! and undone in reverse order when read. anycall models the header with the
//! same [`TTHeader`] struct as Kitex's TTHeader: `flags`, `seq_id`,
//! `protocol_id` ([`ProtocolId::ThriftBinary`] or
//! [`ProtocolId::ThriftCompact`]), `transform_ids` and `str_kvs` (the
//! INFO_KEYVALUE headers); THeader has no int keys and no ACL token, so those
//! must be empty when writing.
//!
//! # Limits
//!
//! A decompressed payload may not exceed the decoder's
//! [`FrameLimits::max_frame_size`](super::FrameLimits::max_frame_size)
//! (16 MiB by default); the header area is at most
//! [`MAX_HEADER_AREA_SIZE`] bytes, as
//! its u16 word count allows.

use std::io::{Read, Write};

use bytes::{BufMut, Bytes, BytesMut};

use super::TTHeader;
use super::ttheader::hex;
use super::ttheader::{MAX_HEADER_AREA_SIZE, ProtocolId, TTHEADER_FIXED_SIZE};
use crate::{Error, Limit, Result};

/// Apache THeader's magic, bytes 4..6 of a frame (`0f ff`).
pub const THEADER_MAGIC: u16 = 0x0FFF;

/// Protocol id: Thrift binary.
pub const PROTOCOL_BINARY: u32 = 0x00;
/// Protocol id: Thrift JSON (C++ `TProtocolTypes`); not supported.
pub const PROTOCOL_JSON: u32 = 0x01;
/// Protocol id: Thrift compact.
pub const PROTOCOL_COMPACT: u32 = 0x02;

/// Transform id: zlib (RFC 1950) over the whole payload.
pub const TRANSFORM_ZLIB: u8 = 0x01;
/// Transform id: HMAC; not implemented by Apache's libraries, refused.
pub const TRANSFORM_HMAC: u8 = 0x02;
/// Transform id: Snappy; not implemented by Apache's libraries, refused.
pub const TRANSFORM_SNAPPY: u8 = 0x03;

/// Info id: string key/value headers.
pub const INFO_KEYVALUE: u32 = 0x01;

/// Bytes after LENGTH and before the header area: magic, flags, sequence,
/// header size.
const FIXED_AFTER_LENGTH: usize = TTHEADER_FIXED_SIZE - 4;

/// The longest varint read: five bytes hold a u32.
const MAX_VARINT_LEN: usize = 5;

/// Checks that `header` can be written as a THeader and returns the padded
/// header-area length.
fn area_len(header: &TTHeader) -> Result<usize> {
    if !header.int_kvs.is_empty() || header.acl_token.is_some() {
        return Err(Error::invalid(
            "theader carries only string headers: no int keys and no acl token",
        ));
    }
    protocol_id_of(header.protocol_id)?;
    if let Some(id) = header
        .transform_ids
        .iter()
        .find(|id| **id != TRANSFORM_ZLIB)
    {
        return Err(Error::invalid(format!(
            "theader transform id {id} is not supported (only zlib, 1)"
        )));
    }
    let mut len = 1 + varint_len(header.transform_ids.len() as u64) + header.transform_ids.len();
    if !header.str_kvs.is_empty() {
        len += 1 + varint_len(header.str_kvs.len() as u64);
        for (k, v) in &header.str_kvs {
            len += varint_len(k.len() as u64) + k.len();
            len += varint_len(v.len() as u64) + v.len();
        }
    }
    let padded = len.next_multiple_of(4);
    if padded > MAX_HEADER_AREA_SIZE {
        return Err(Error::invalid(format!(
            "theader header area of {padded} bytes exceeds {MAX_HEADER_AREA_SIZE}"
        )));
    }
    Ok(padded)
}

fn protocol_id_of(id: ProtocolId) -> Result<u32> {
    match id {
        ProtocolId::ThriftBinary => Ok(PROTOCOL_BINARY),
        ProtocolId::ThriftCompact => Ok(PROTOCOL_COMPACT),
        other => Err(Error::invalid(format!(
            "theader carries thrift binary or compact, not {other:?}"
        ))),
    }
}

/// Writes the 14 fixed bytes (LENGTH as a zero placeholder) and the padded
/// header area of `header`. Nothing is written when it fails.
pub(crate) fn write(header: &TTHeader, dst: &mut BytesMut) -> Result<()> {
    let area = area_len(header)?;
    dst.reserve(TTHEADER_FIXED_SIZE + area);
    let start = dst.len();
    dst.put_u32(0);
    dst.put_u16(THEADER_MAGIC);
    dst.put_u16(header.flags);
    dst.put_i32(header.seq_id);
    // area <= MAX_HEADER_AREA_SIZE, so the word count fits a u16.
    dst.put_u16(u16::try_from(area / 4).unwrap_or(u16::MAX));
    put_varint(dst, u64::from(protocol_id_of(header.protocol_id)?));
    put_varint(dst, header.transform_ids.len() as u64);
    for id in &header.transform_ids {
        put_varint(dst, u64::from(*id));
    }
    if !header.str_kvs.is_empty() {
        put_varint(dst, u64::from(INFO_KEYVALUE));
        put_varint(dst, header.str_kvs.len() as u64);
        for (k, v) in &header.str_kvs {
            put_varint(dst, k.len() as u64);
            dst.put_slice(k.as_bytes());
            put_varint(dst, v.len() as u64);
            dst.put_slice(v.as_bytes());
        }
    }
    let written = dst.len() - start;
    dst.put_bytes(0, TTHEADER_FIXED_SIZE + area - written);
    Ok(())
}

/// How many zlib transforms `header` asks for on the payload.
pub(crate) fn zlib_count(header: &TTHeader) -> usize {
    header
        .transform_ids
        .iter()
        .filter(|id| **id == TRANSFORM_ZLIB)
        .count()
}

/// Compresses `payload` with zlib (default level).
pub(crate) fn compress(payload: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(payload.len() / 2 + 16),
        flate2::Compression::default(),
    );
    encoder
        .write_all(payload)
        .and_then(|()| encoder.finish())
        .map_err(|e| Error::invalid(format!("theader zlib compression failed: {e}")))
}

/// Decompresses a zlib payload of at most `max` bytes once inflated.
fn decompress(payload: &[u8], max: usize) -> Result<Bytes> {
    let mut out = Vec::with_capacity(payload.len().saturating_mul(2).min(max));
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::ZlibDecoder::new(payload)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| Error::invalid(format!("theader zlib payload is invalid: {e}")))?;
    if out.len() > max {
        return Err(Error::limit(Limit::FrameSize, out.len(), max));
    }
    Ok(Bytes::from(out))
}

/// Checks the fixed part of a THeader frame whose first bytes are in
/// `src` (at least LENGTH and the magic) against its LENGTH `len`.
pub(crate) fn check_fixed(src: &[u8], len: usize) -> Result<()> {
    if len < FIXED_AFTER_LENGTH {
        return Err(Error::invalid(format!(
            "theader length {len} is shorter than the {FIXED_AFTER_LENGTH} fixed bytes after it"
        )));
    }
    if let Some(size) = src.get(12..14) {
        let area = 4 * usize::from(u16::from_be_bytes([size[0], size[1]]));
        if FIXED_AFTER_LENGTH + area > len {
            return Err(Error::invalid(format!(
                "theader header area of {area} bytes runs past the end of the {len}-byte frame"
            )));
        }
    }
    Ok(())
}

/// Parses a complete THeader frame (`frame` starts at LENGTH; its length was
/// checked with [`check_fixed`]). Returns the header and the payload with
/// its transforms undone; an inflated payload may not exceed `max_payload`.
pub(crate) fn parse(frame: &Bytes, max_payload: usize) -> Result<(TTHeader, Bytes)> {
    let flags = u16::from_be_bytes([frame[6], frame[7]]);
    let seq_id = i32::from_be_bytes([frame[8], frame[9], frame[10], frame[11]]);
    let area_len = 4 * usize::from(u16::from_be_bytes([frame[12], frame[13]]));
    let end = TTHEADER_FIXED_SIZE + area_len;
    let mut r = VarintReader {
        area: &frame[TTHEADER_FIXED_SIZE..end],
        pos: 0,
    };
    let protocol_id = match r.varint("protocol id")? {
        PROTOCOL_BINARY => ProtocolId::ThriftBinary,
        PROTOCOL_COMPACT => ProtocolId::ThriftCompact,
        PROTOCOL_JSON => {
            return Err(Error::invalid(
                "theader protocol id 1 (thrift json) is not supported",
            ));
        }
        other => {
            return Err(Error::invalid(format!(
                "unsupported theader protocol id {other}"
            )));
        }
    };
    let count = r.varint("transform count")?;
    let mut transform_ids = Vec::new();
    for _ in 0..count {
        match r.varint("transform id")? {
            id if id == u32::from(TRANSFORM_ZLIB) => transform_ids.push(TRANSFORM_ZLIB),
            id => {
                return Err(Error::invalid(format!(
                    "theader transform id {id} is not supported (only zlib, 1)"
                )));
            }
        }
    }
    let mut header = TTHeader {
        flags,
        seq_id,
        protocol_id,
        transform_ids,
        ..TTHeader::default()
    };
    // Apache's readers stop at the first info id they do not know (0 is
    // padding) and skip to the end of the header area.
    while r.pos < r.area.len() {
        if r.varint("info id")? != INFO_KEYVALUE {
            break;
        }
        let what = "INFO_KEYVALUE block";
        for _ in 0..r.varint(what)? {
            let key = r.string(what, "key")?;
            let value = r.string(what, "value")?;
            header.str_kvs.insert(key, value);
        }
    }
    let mut payload = frame.slice(end..);
    for _ in 0..header.transform_ids.len() {
        payload = decompress(&payload, max_payload)?;
    }
    Ok((header, payload))
}

/// Reads varints and strings from a header area; running past its end is
/// invalid data (the frame is whole).
struct VarintReader<'a> {
    area: &'a [u8],
    pos: usize,
}

impl VarintReader<'_> {
    fn varint(&mut self, what: &str) -> Result<u32> {
        let mut value: u64 = 0;
        for i in 0..MAX_VARINT_LEN {
            let Some(&byte) = self.area.get(self.pos) else {
                return Err(Error::invalid(format!(
                    "theader {what} runs past the end of the header area"
                )));
            };
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return u32::try_from(value).map_err(|_| {
                    Error::invalid(format!("theader {what} {value} does not fit 32 bits"))
                });
            }
        }
        Err(Error::invalid(format!(
            "theader {what} is a varint longer than {MAX_VARINT_LEN} bytes"
        )))
    }

    fn string(&mut self, what: &str, part: &str) -> Result<String> {
        let len = self.varint(what)? as usize;
        let Some(bytes) = self.area.get(self.pos..self.pos.saturating_add(len)) else {
            return Err(Error::invalid(format!(
                "theader {what} runs past the end of the header area"
            )));
        };
        self.pos += len;
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            Error::invalid(format!(
                "theader header {part} is not valid utf-8 (bytes: {})",
                hex(&bytes[..bytes.len().min(16)])
            ))
        })
    }
}

fn varint_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn put_varint(dst: &mut BytesMut, mut n: u64) {
    while n >= 0x80 {
        dst.put_u8((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    dst.put_u8(n as u8);
}
