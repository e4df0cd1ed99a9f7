//! Transport frames as pure byte codecs: Buffered, Framed, TTHeader,
//! TTHeaderFramed, Apache THeader, and protocol detection from a
//! connection's first bytes.
//!
//! Nothing here touches a socket. [`FrameDecoder::decode`] works like a
//! tokio-util `Decoder`: it returns `Ok(None)` until a whole frame is in the
//! buffer, then splits it off without copying. [`FrameEncoder`] writes the
//! frame header in front of a message that the caller writes straight into
//! the same buffer, then patches the lengths.
//!
//! The layouts, from spec/wire-format.md §3 (integers big-endian):
//!
//! ```text
//! Buffered (§3.1): the bare Thrift message; its end is found by skipping it.
//! +----------------------+
//! | message              |
//! +----------------------+
//!
//! Framed (§3.2):
//! +-----------+----------------------+
//! | L (u32)   | message (L bytes)    |
//! +-----------+----------------------+
//!
//! TTHeader (§3.4):
//! +-----------+-------+-------+----------+-------+-------------+----------------------+
//! | LENGTH    | 10 00 | FLAGS | SEQUENCE | HSIZE | header area | message              |
//! | u32       | magic | u16   | i32      | u16   | HSIZE*4     |                      |
//! +-----------+-------+-------+----------+-------+-------------+----------------------+
//!   LENGTH = bytes after itself; top bit 0
//!
//! Apache THeader (§3.3): the same fixed bytes with magic 0f ff, a varint
//! header area and a payload that may be zlib-compressed; see [`theader`].
//!
//! TTHeaderFramed (§3.5): TTHeader whose payload is a Framed frame.
//! +-----------+---- 10 bytes ----+-------------+-----------+----------------------+
//! | LENGTH    | magic .. HSIZE   | header area | L (u32)   | message (L bytes)    |
//! +-----------+------------------+-------------+-----------+----------------------+
//! ```
//!
//! A TTHeader decoder accepts both TTHeader forms and reports which one it
//! saw, the way Kitex does: it peeks at the payload (spec §3.5, §4 step B).
//! See [`ttheader`] for the header area and the key
//! constants, and [`detect`] for per-connection detection (spec §4 step A).

mod decode;
mod detect;
mod encode;
pub mod theader;
pub mod ttheader;
pub mod ttstream;

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;

use crate::{Error, Result};

pub use decode::FrameDecoder;
pub use detect::{Detected, HTTP2_PREFACE, detect};
pub use encode::{FrameEncoder, Mark};
pub use ttheader::{ProtocolId, TTHeader};
pub use ttstream::{FrameType, StreamDecoder, StreamEncoder, StreamFrame};

/// Default [`FrameLimits::max_frame_size`]: 16 MiB (Volo's default).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 << 20;

/// The transport framing of a connection.
///
/// Parsed from and displayed as `buffered`, `framed`, `ttheader`,
/// `ttheader-framed` and `theader`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// The bare message, no length (Kitex `PurePayload`).
    Buffered,
    /// A u32 length, then the message.
    Framed,
    /// A TTHeader, then the message.
    TTHeader,
    /// A TTHeader, then a u32 length, then the message.
    TTHeaderFramed,
    /// Apache THeader (magic `0x0FFF`), then the message, possibly
    /// zlib-compressed (Apache's `THeaderTransport`; not Kitex's TTHeader).
    THeader,
}

impl Transport {
    /// Every transport, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::Buffered,
        Self::Framed,
        Self::TTHeader,
        Self::TTHeaderFramed,
        Self::THeader,
    ];

    /// The name used by `FromStr` and `Display`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buffered => "buffered",
            Self::Framed => "framed",
            Self::TTHeader => "ttheader",
            Self::TTHeaderFramed => "ttheader-framed",
            Self::THeader => "theader",
        }
    }

    /// Whether frames carry a Kitex TTHeader.
    pub fn has_ttheader(self) -> bool {
        matches!(self, Self::TTHeader | Self::TTHeaderFramed)
    }

    /// Whether frames carry a header with string key/value pairs
    /// (metainfo): a TTHeader or an Apache THeader.
    pub fn has_header(self) -> bool {
        matches!(self, Self::TTHeader | Self::TTHeaderFramed | Self::THeader)
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Transport {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown transport `{s}` (expected buffered, framed, ttheader, ttheader-framed or theader)"
                ))
            })
    }
}

/// Limits a frame decoder checks before it buffers a frame body.
///
/// | limit | default |
/// |---|---|
/// | `max_frame_size` | [`DEFAULT_MAX_FRAME_SIZE`], 16 MiB |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Largest frame accepted or written, counted as the bytes after the
    /// 4-byte length prefix (LENGTH); for Buffered, the message length.
    /// Checked from the prefix, before the body is buffered. Default 16 MiB.
    pub max_frame_size: usize,
}

impl Default for FrameLimits {
    fn default() -> Self {
        Self {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
        }
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The framing seen on the wire. A TTHeader decoder reports
    /// [`Transport::TTHeader`] or [`Transport::TTHeaderFramed`] by what the
    /// payload looked like; a server answers with the same one.
    pub transport: Transport,
    /// The TTHeader, for the two TTHeader transports; the Apache THeader
    /// in the same model for [`Transport::THeader`] (see [`theader`]).
    pub header: Option<TTHeader>,
    /// The message: for TTHeaderFramed without its inner length, for
    /// THeader with its transforms (zlib) undone. For
    /// TTHeader Streaming frames, the frame-type specific payload (a bare
    /// struct, an exception message, or nothing).
    pub payload: Bytes,
}

/// What a message starts with, by its first two bytes (spec §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadKind {
    /// Strict Thrift binary: `80 01`.
    ThriftBinary,
    /// Thrift compact: `82`, then version 1 in the low 5 bits.
    ThriftCompact,
    /// Kitex protobuf (non-gRPC): `90 01`; always framed (spec §5).
    KitexProtobuf,
}

/// The kind of message starting at `message[0]`, or `None` when the first
/// two bytes are none of [`PayloadKind`] (or fewer than two are given).
pub fn payload_kind(message: &[u8]) -> Option<PayloadKind> {
    match message {
        [0x80, 0x01, ..] => Some(PayloadKind::ThriftBinary),
        [0x82, version, ..] if version & 0x1f == 1 => Some(PayloadKind::ThriftCompact),
        [0x90, 0x01, ..] => Some(PayloadKind::KitexProtobuf),
        _ => None,
    }
}
