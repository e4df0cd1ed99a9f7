//! Reading and rewriting the sequence id of an encoded message without
//! decoding it, for binary forwarding (wire-format §8.1, Kitex
//! `GetSeqID`/`SetSeqID` semantics).
//!
//! ```text
//! strict binary: 80 01 00 tt | i32 N | N bytes name | i32 seq id | ...
//!                                                     ^ offset 8 + N, rewritten in place
//! compact:       82 | ttt00001 | varint seq id | varint N | name | ...
//!                               ^ offset 2; 1 to 5 bytes, so a new id may change the length
//! ```
//!
//! The buffer must start with the message: no frame length, no TTHeader.

use bytes::{BufMut, BytesMut};

use crate::error::{Error, Result};

use super::Protocol;
use super::compact::{decode_varint32, encode_varint, varint_error};
use super::message::{
    BINARY_VERSION_1, BINARY_VERSION_MASK, COMPACT_PROTOCOL_ID, COMPACT_VERSION,
    COMPACT_VERSION_MASK,
};
use super::util::{negative_len, truncated};

const HEADER: &str = "thrift message header";

/// Offset of the seq id in a strict binary message.
fn binary_seq_id_offset(msg: &[u8]) -> Result<usize> {
    let Some(word) = msg.first_chunk::<4>() else {
        return Err(truncated(HEADER));
    };
    let word = i32::from_be_bytes(*word);
    if word > 0 {
        return Err(Error::invalid("missing version in thrift message"));
    }
    if word.cast_unsigned() & BINARY_VERSION_MASK != BINARY_VERSION_1 {
        return Err(Error::invalid("bad version in thrift message"));
    }
    let Some(len) = msg[4..].first_chunk::<4>() else {
        return Err(truncated(HEADER));
    };
    let len = i32::from_be_bytes(*len);
    let len = usize::try_from(len).map_err(|_| negative_len("method name", len.into()))?;
    let offset = 8 + len;
    if msg.len().saturating_sub(offset) < 4 {
        return Err(truncated(HEADER));
    }
    Ok(offset)
}

/// The seq id of a strict binary message.
///
/// Errors (`InvalidData`): `missing version in thrift message` when the
/// first word is positive (an old non-strict header, or a frame length or
/// TTHeader in front of the message); `bad version in thrift message` when
/// it does not start `80 01` (this includes compact); a negative name
/// length. `Truncated` when the header is cut short.
pub fn get_seq_id(msg: &[u8]) -> Result<i32> {
    let at = binary_seq_id_offset(msg)?;
    let bytes = [msg[at], msg[at + 1], msg[at + 2], msg[at + 3]];
    Ok(i32::from_be_bytes(bytes))
}

/// Overwrites the seq id of a strict binary message in place. Errors as for
/// [`get_seq_id`]; on error `msg` is unchanged.
pub fn set_seq_id(msg: &mut [u8], seq_id: i32) -> Result<()> {
    let at = binary_seq_id_offset(msg)?;
    msg[at..at + 4].copy_from_slice(&seq_id.to_be_bytes());
    Ok(())
}

/// The seq id varint of a compact message: (value, offset 2, length).
fn compact_seq_id(msg: &[u8]) -> Result<(i32, usize)> {
    let [id, version, ..] = *msg else {
        return Err(truncated(HEADER));
    };
    if id != COMPACT_PROTOCOL_ID {
        return Err(Error::invalid(format!(
            "bad protocol id {id:#04x} in compact message"
        )));
    }
    if version & COMPACT_VERSION_MASK != COMPACT_VERSION {
        return Err(Error::invalid("bad version in thrift message"));
    }
    let (value, n) = decode_varint32(&msg[2..]).map_err(|err| varint_error(err, HEADER))?;
    Ok((value.cast_signed(), n))
}

/// The seq id of a compact message.
///
/// Errors: a first byte other than `82`, a version other than 1, a bad or
/// truncated varint.
pub fn get_compact_seq_id(msg: &[u8]) -> Result<i32> {
    Ok(compact_seq_id(msg)?.0)
}

/// Rewrites the seq id of a compact message.
///
/// The seq id is a varint of 1 to 5 bytes, so the message can grow or shrink
/// by up to 4 bytes; the rest of the message is then moved (O(message
/// length)). Anything that carries the message length (a frame header) must
/// be updated by the caller. On error `msg` is unchanged.
pub fn set_compact_seq_id(msg: &mut BytesMut, seq_id: i32) -> Result<()> {
    let (_, old_len) = compact_seq_id(msg)?;
    let mut tmp = [0u8; 10];
    let new_len = encode_varint(seq_id.cast_unsigned().into(), &mut tmp);
    let start = 2;
    let tail = start + old_len;
    let len = msg.len();
    if new_len > old_len {
        msg.resize(len + new_len - old_len, 0);
        msg.copy_within(tail..len, start + new_len);
    } else if new_len < old_len {
        msg.copy_within(tail..len, start + new_len);
        msg.truncate(len - (old_len - new_len));
    }
    msg[start..start + new_len].copy_from_slice(&tmp[..new_len]);
    Ok(())
}

/// Appends `msg` to `dst` with its seq id replaced by `seq_id`, in one copy
/// (a compact message may come out up to 4 bytes longer or shorter). On
/// error nothing is appended. Errors as for [`get_seq_id`] and
/// [`get_compact_seq_id`].
pub fn put_with_seq_id(
    protocol: Protocol,
    msg: &[u8],
    seq_id: i32,
    dst: &mut BytesMut,
) -> Result<()> {
    match protocol {
        Protocol::Binary => {
            let at = binary_seq_id_offset(msg)?;
            dst.reserve(msg.len());
            dst.put_slice(&msg[..at]);
            dst.put_i32(seq_id);
            dst.put_slice(&msg[at + 4..]);
        }
        Protocol::Compact => {
            let (_, old_len) = compact_seq_id(msg)?;
            let mut varint = [0u8; 10];
            let n = encode_varint(seq_id.cast_unsigned().into(), &mut varint);
            dst.reserve(msg.len() + n);
            dst.put_slice(&msg[..2]);
            dst.put_slice(&varint[..n]);
            dst.put_slice(&msg[2 + old_len..]);
        }
    }
    Ok(())
}
