//! Frame decoding: `Ok(None)` until a whole frame is buffered, then a
//! zero-copy split.

use bytes::{Buf, Bytes, BytesMut};

use super::theader::{self, THEADER_MAGIC};
use super::ttheader::{APACHE_THEADER_MAGIC, TTHEADER_FIXED_SIZE, TTHEADER_MAGIC, hex};
use super::{Frame, FrameLimits, PayloadKind, TTHeader, Transport, payload_kind};
use crate::thrift::{MessageScanner, Protocol, protocol_of};
use crate::{Error, Limit, Limits, Result};

/// Bytes of a TTHeader frame after LENGTH and before the header area:
/// magic, flags, sequence, header size.
const TTHEADER_FIXED_AFTER_LENGTH: usize = TTHEADER_FIXED_SIZE - 4;

/// Decodes frames of one [`Transport`] from a connection's read buffer.
///
/// ```
/// use anycall_codec::frame::{FrameDecoder, Transport};
/// use bytes::BytesMut;
///
/// let mut decoder = FrameDecoder::new(Transport::Framed);
/// let mut buf = BytesMut::from(&[0u8, 0, 0, 2, 0xab][..]);
/// assert!(decoder.decode(&mut buf).unwrap().is_none()); // one byte short
/// buf.extend_from_slice(&[0xcd]);
/// let frame = decoder.decode(&mut buf).unwrap().unwrap();
/// assert_eq!(&frame.payload[..], &[0xab, 0xcd]);
/// assert!(buf.is_empty());
/// ```
///
/// A decoder for [`Transport::TTHeader`] or [`Transport::TTHeaderFramed`]
/// accepts both forms and reports the one it saw in [`Frame::transport`].
///
/// A [`Transport::THeader`] decoder undoes the payload's zlib transforms;
/// the inflated payload may not exceed `max_frame_size` either.
///
/// A [`Transport::Buffered`] decoder finds where each message ends by
/// skipping it ([`MessageScanner`]), resuming where it stopped as bytes
/// arrive; the message may be strict binary or compact. It checks the
/// message limits ([`with_message_limits`](Self::with_message_limits)) with
/// `max_message_size` capped at `max_frame_size`, so an oversize message is a
/// [`Limit::MessageSize`] error as soon as a length in it reaches past the
/// cap.
///
/// After an error the buffer holds an unspecified remainder: close the
/// connection.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    transport: Transport,
    limits: FrameLimits,
    message_limits: Limits,
    /// Buffered only: the scan of the message at the front of the buffer.
    scanner: Option<(Protocol, MessageScanner)>,
}

impl FrameDecoder {
    /// A decoder for `transport` with default [`FrameLimits`] (16 MiB frames).
    pub fn new(transport: Transport) -> Self {
        Self {
            transport,
            limits: FrameLimits::default(),
            message_limits: Limits::default(),
            scanner: None,
        }
    }

    /// Replaces the limits. Default: [`FrameLimits::default`].
    #[must_use]
    pub fn with_limits(mut self, limits: FrameLimits) -> Self {
        self.limits = limits;
        self.scanner = None;
        self
    }

    /// Replaces the limits for skipping Buffered messages (depth, string and
    /// container lengths, message size). Default: [`Limits::default`].
    #[must_use]
    pub fn with_message_limits(mut self, limits: Limits) -> Self {
        self.message_limits = limits;
        self.scanner = None;
        self
    }

    /// The transport this decoder reads.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The limits in force.
    pub fn limits(&self) -> &FrameLimits {
        &self.limits
    }

    /// The limits for skipping Buffered messages.
    pub fn message_limits(&self) -> &Limits {
        &self.message_limits
    }

    /// Splits the next frame off the front of `src`, or returns `Ok(None)`
    /// when more bytes are needed (reserving room for the rest of the frame
    /// once its length is known).
    ///
    /// # Errors
    ///
    /// * [`Limit::FrameSize`] when the length prefix exceeds
    ///   `max_frame_size`, before the body is buffered;
    /// * invalid data for a length with its top bit set, a bad TTHeader magic,
    ///   a header size of zero or past the frame end, an unsupported protocol
    ///   id, an unknown info id, a header block running past the header area,
    ///   or a TTHeader payload that is neither a message nor a framed message;
    /// * for THeader, invalid data for a bad magic, a header area past the
    ///   frame end, a protocol id other than binary (0) and compact (2), a
    ///   transform other than zlib, a bad zlib stream, non-UTF-8 header
    ///   strings, or a payload that is not a message of the header's
    ///   protocol; [`Limit::FrameSize`] for a payload inflating past
    ///   `max_frame_size`;
    /// * for Buffered, any error of [`MessageScanner::scan`], and invalid data
    ///   when a message starts with neither `80 01` nor `82`.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>> {
        match self.transport {
            Transport::Buffered => self.decode_buffered(src),
            Transport::Framed => self.decode_framed(src),
            Transport::TTHeader | Transport::TTHeaderFramed => self.decode_ttheader(src),
            Transport::THeader => self.decode_theader(src),
        }
    }

    /// LENGTH from the first four bytes, checked against the limits.
    fn frame_len(&self, src: &[u8]) -> Result<Option<usize>> {
        let Some(prefix) = src.get(..4) else {
            return Ok(None);
        };
        let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        if len & 0x8000_0000 != 0 {
            return Err(Error::invalid(format!(
                "frame length {len:#010x} has the top bit set"
            )));
        }
        let len = len as usize;
        if len > self.limits.max_frame_size {
            return Err(Error::limit(
                Limit::FrameSize,
                len,
                self.limits.max_frame_size,
            ));
        }
        Ok(Some(len))
    }

    fn decode_buffered(&mut self, src: &mut BytesMut) -> Result<Option<Frame>> {
        if src.len() < 2 {
            return Ok(None);
        }
        let protocol = protocol_of(src).ok_or_else(|| {
            Error::invalid(format!(
                "buffered message starts with neither 80 01 (binary) nor 82 (compact) (first bytes: {})",
                hex(&src[..src.len().min(8)])
            ))
        })?;
        let scanner = match &mut self.scanner {
            Some((scanning, scanner)) if *scanning == protocol => scanner,
            slot => {
                let mut limits = self.message_limits;
                limits.max_message_size = limits.max_message_size.min(self.limits.max_frame_size);
                &mut slot
                    .insert((protocol, MessageScanner::new(protocol, limits)))
                    .1
            }
        };
        match scanner.scan(src) {
            Ok(Some(len)) => {
                scanner.reset();
                Ok(Some(Frame {
                    transport: Transport::Buffered,
                    header: None,
                    payload: src.split_to(len).freeze(),
                }))
            }
            Ok(None) => Ok(None),
            Err(err) => {
                self.scanner = None;
                Err(err)
            }
        }
    }

    fn decode_framed(&self, src: &mut BytesMut) -> Result<Option<Frame>> {
        let Some(len) = self.frame_len(src)? else {
            return Ok(None);
        };
        let Some(mut frame) = split_frame(src, 4 + len) else {
            return Ok(None);
        };
        frame.advance(4);
        Ok(Some(Frame {
            transport: Transport::Framed,
            header: None,
            payload: frame.freeze(),
        }))
    }

    fn decode_ttheader(&self, src: &mut BytesMut) -> Result<Option<Frame>> {
        let Some(magic) = src.get(4..6) else {
            return Ok(None);
        };
        let magic = u16::from_be_bytes([magic[0], magic[1]]);
        if magic != TTHEADER_MAGIC {
            return Err(if magic == APACHE_THEADER_MAGIC {
                Error::invalid(
                    "apache theader (magic 0x0fff) is not kitex's ttheader: use the theader transport",
                )
            } else {
                Error::invalid(format!("bad ttheader magic {magic:#06x}, expected 0x1000"))
            });
        }
        let Some(len) = self.frame_len(src)? else {
            return Ok(None);
        };
        if len < TTHEADER_FIXED_AFTER_LENGTH {
            return Err(Error::invalid(format!(
                "ttheader length {len} is shorter than the {TTHEADER_FIXED_AFTER_LENGTH} fixed bytes after it"
            )));
        }
        if let Some(size) = src.get(12..14) {
            let words = u16::from_be_bytes([size[0], size[1]]);
            if words == 0 {
                return Err(Error::invalid("ttheader header size is 0"));
            }
            let area = 4 * usize::from(words);
            if TTHEADER_FIXED_AFTER_LENGTH + area > len {
                return Err(Error::invalid(format!(
                    "ttheader header area of {area} bytes runs past the end of the {len}-byte frame"
                )));
            }
        }
        let Some(frame) = split_frame(src, 4 + len) else {
            return Ok(None);
        };
        let frame = frame.freeze();
        let (header, payload_at) = TTHeader::parse(&frame)?;
        let payload = frame.slice(payload_at..);
        let (transport, payload) = if header.is_streaming() || header.protocol_id.is_bare_struct() {
            (Transport::TTHeader, payload)
        } else {
            sniff_ttheader_payload(payload)?
        };
        Ok(Some(Frame {
            transport,
            header: Some(header),
            payload,
        }))
    }
}

impl FrameDecoder {
    fn decode_theader(&self, src: &mut BytesMut) -> Result<Option<Frame>> {
        let Some(magic) = src.get(4..6) else {
            return Ok(None);
        };
        let magic = u16::from_be_bytes([magic[0], magic[1]]);
        if magic != THEADER_MAGIC {
            return Err(Error::invalid(format!(
                "bad theader magic {magic:#06x}, expected 0x0fff"
            )));
        }
        let Some(len) = self.frame_len(src)? else {
            return Ok(None);
        };
        theader::check_fixed(src, len)?;
        let Some(frame) = split_frame(src, 4 + len) else {
            return Ok(None);
        };
        let (header, payload) = theader::parse(&frame.freeze(), self.limits.max_frame_size)?;
        let expected = match header.protocol_id {
            super::ProtocolId::ThriftCompact => PayloadKind::ThriftCompact,
            _ => PayloadKind::ThriftBinary,
        };
        if payload_kind(&payload) != Some(expected) {
            return Err(Error::invalid(format!(
                "theader payload is not a {} message (first bytes: {})",
                if expected == PayloadKind::ThriftCompact {
                    "thrift compact"
                } else {
                    "strict thrift binary"
                },
                hex(&payload[..payload.len().min(8)])
            )));
        }
        Ok(Some(Frame {
            transport: Transport::THeader,
            header: Some(header),
            payload,
        }))
    }
}

/// Splits `len` bytes off `src` when they are all there; otherwise reserves
/// room for the rest and returns `None`.
fn split_frame(src: &mut BytesMut, len: usize) -> Option<BytesMut> {
    if src.len() < len {
        src.reserve(len - src.len());
        return None;
    }
    Some(src.split_to(len))
}

/// Tells TTHeader from TTHeaderFramed by the payload, as Kitex does
/// (spec §3.5): a message at offset 0 means TTHeader; a message at offset 4
/// means TTHeaderFramed, whose inner length must cover the rest exactly.
fn sniff_ttheader_payload(payload: Bytes) -> Result<(Transport, Bytes)> {
    if payload.is_empty() {
        return Ok((Transport::TTHeader, payload));
    }
    if let Some(PayloadKind::ThriftBinary | PayloadKind::ThriftCompact) = payload_kind(&payload) {
        return Ok((Transport::TTHeader, payload));
    }
    if payload.len() >= 6 && payload_kind(&payload[4..]).is_some() {
        let inner = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) as usize;
        let rest = payload.len() - 4;
        if inner != rest {
            return Err(Error::invalid(format!(
                "ttheader-framed inner length {inner} does not match the {rest} bytes that follow it"
            )));
        }
        return Ok((Transport::TTHeaderFramed, payload.slice(4..)));
    }
    Err(Error::invalid(format!(
        "unrecognised ttheader payload (first bytes: {})",
        hex(&payload[..payload.len().min(8)])
    )))
}
