//! Protocol detection from a connection's first bytes (spec §4 step A, §3.6,
//! §7.4).
//!
//! ```text
//! bytes 0..24 = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"      -> gRPC (HTTP/2)
//! byte 0 has its top bit set (a length never does):
//!   80 01 ..                                         -> Buffered, Thrift binary
//!   82 (v & 0x1f == 1) ..                            -> Buffered, Thrift compact
//! otherwise bytes 0..4 are a length, and at offset 4:
//!   10 00, flags & 0x0002                            -> TTHeader Streaming
//!   10 00                                            -> TTHeader (ping-pong)
//!   0f ff                                            -> Apache THeader
//!   80 01 | 82 (v & 0x1f == 1) | 90 01               -> Framed binary | compact | Kitex protobuf
//! anything else                                      -> error
//! ```
//!
//! Detection happens once per connection; a server keeps the answer for the
//! connection's life. Whether a TTHeader connection carries TTHeader or
//! TTHeaderFramed is decided per frame by the decoder.

use super::ttheader::{APACHE_THEADER_MAGIC, FLAG_STREAMING, TTHEADER_MAGIC, hex};
use super::{PayloadKind, Transport, payload_kind};
use crate::{Error, Result};

/// The HTTP/2 client connection preface (RFC 7540 §3.5).
pub const HTTP2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What a connection speaks, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Detected {
    /// HTTP/2 (gRPC): the connection preface.
    Grpc,
    /// TTHeader with the streaming flag: Kitex TTHeader Streaming (spec §7).
    TTHeaderStreaming,
    /// Ping-pong TTHeader; each frame is TTHeader or TTHeaderFramed.
    TTHeader,
    /// Apache THeader (magic `0x0FFF`).
    THeader,
    /// A u32 length, then a message of this kind.
    Framed(PayloadKind),
    /// The bare message: [`PayloadKind::ThriftBinary`] or
    /// [`PayloadKind::ThriftCompact`] (unframed Kitex protobuf does not exist).
    Buffered(PayloadKind),
}

impl Detected {
    /// The frame transport to decode this connection with, or `None` for
    /// gRPC. TTHeader Streaming frames are TTHeader frames.
    pub fn transport(self) -> Option<Transport> {
        match self {
            Self::Grpc => None,
            Self::TTHeaderStreaming | Self::TTHeader => Some(Transport::TTHeader),
            Self::THeader => Some(Transport::THeader),
            Self::Framed(_) => Some(Transport::Framed),
            Self::Buffered(_) => Some(Transport::Buffered),
        }
    }
}

/// Detects the protocol from the first bytes of a connection, without
/// consuming them.
///
/// Returns `Ok(None)` while `first` is too short to decide; 24 bytes always
/// suffice (8 for anything but gRPC).
///
/// ```
/// use anycall_codec::frame::{Detected, PayloadKind, detect};
///
/// assert_eq!(detect(&[0, 0]).unwrap(), None);
/// assert_eq!(
///     detect(&[0, 0, 0, 0x1a, 0x80, 0x01]).unwrap(),
///     Some(Detected::Framed(PayloadKind::ThriftBinary)),
/// );
/// ```
///
/// # Errors
///
/// Invalid data ("unrecognised protocol", with the first bytes in hex) when
/// the bytes match none of the [`Detected`] cases, including non-strict
/// binary and unframed Kitex protobuf.
pub fn detect(first: &[u8]) -> Result<Option<Detected>> {
    let n = first.len().min(HTTP2_PREFACE.len());
    if first[..n] == HTTP2_PREFACE[..n] {
        return Ok((n == HTTP2_PREFACE.len()).then_some(Detected::Grpc));
    }
    // A length prefix never has its top bit set; a bare message always does.
    if first[0] & 0x80 != 0 {
        if first.len() < 2 {
            return Ok(None);
        }
        return match payload_kind(first) {
            Some(kind @ (PayloadKind::ThriftBinary | PayloadKind::ThriftCompact)) => {
                Ok(Some(Detected::Buffered(kind)))
            }
            _ => Err(unrecognised(first)),
        };
    }
    let Some(at4) = first.get(4..6) else {
        return Ok(None);
    };
    let magic = u16::from_be_bytes([at4[0], at4[1]]);
    if magic == TTHEADER_MAGIC {
        let Some(flags) = first.get(6..8) else {
            return Ok(None);
        };
        let flags = u16::from_be_bytes([flags[0], flags[1]]);
        return Ok(Some(if flags & FLAG_STREAMING != 0 {
            Detected::TTHeaderStreaming
        } else {
            Detected::TTHeader
        }));
    }
    if magic == APACHE_THEADER_MAGIC {
        return Ok(Some(Detected::THeader));
    }
    match payload_kind(&first[4..]) {
        Some(kind) => Ok(Some(Detected::Framed(kind))),
        None => Err(unrecognised(first)),
    }
}

fn unrecognised(first: &[u8]) -> Error {
    Error::invalid(format!(
        "unrecognised protocol (first bytes: {})",
        first_hex(first)
    ))
}

fn first_hex(first: &[u8]) -> String {
    hex(&first[..first.len().min(16)])
}
