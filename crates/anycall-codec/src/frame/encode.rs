//! Frame encoding without copying the message: write the frame header with
//! placeholder lengths, let the caller write the message into the same
//! buffer, then patch the lengths.

use bytes::{BufMut, BytesMut};

use super::{FrameLimits, TTHeader, Transport, theader};
use crate::{Error, Limit, Result};

/// The largest LENGTH a frame can carry (its top bit must be 0).
const MAX_LENGTH_FIELD: usize = 0x7FFF_FFFF;

/// Writes frames of one [`Transport`].
///
/// ```
/// use anycall_codec::frame::{FrameEncoder, TTHeader, Transport};
/// use bytes::{BufMut, BytesMut};
///
/// let encoder = FrameEncoder::new(Transport::TTHeaderFramed);
/// let mut buf = BytesMut::new();
/// let mark = encoder.begin(Some(&TTHeader::new(1)), &mut buf).unwrap();
/// buf.put_slice(b"\x80\x01\x00\x01"); // the Thrift message, written in place
/// encoder.finish(mark, &mut buf).unwrap();
/// // LENGTH = 10 fixed bytes + 4 header area + 4 inner length + 4 message
/// assert_eq!(&buf[..4], &[0, 0, 0, 22]);
/// ```
#[derive(Debug, Clone)]
pub struct FrameEncoder {
    transport: Transport,
    limits: FrameLimits,
}

/// Where [`FrameEncoder::begin`] left the frame header, for
/// [`FrameEncoder::finish`] to patch.
#[derive(Debug)]
#[must_use = "a frame is only complete after `finish`"]
pub struct Mark {
    transport: Transport,
    /// Offset of the frame's first byte in the buffer.
    start: usize,
    /// Offset of the message's first byte.
    payload_start: usize,
    /// THeader only: how many times to zlib-compress the message.
    zlib: usize,
}

impl FrameEncoder {
    /// An encoder for `transport` with default [`FrameLimits`] (16 MiB frames).
    pub fn new(transport: Transport) -> Self {
        Self {
            transport,
            limits: FrameLimits::default(),
        }
    }

    /// Replaces the limits. Default: [`FrameLimits::default`].
    #[must_use]
    pub fn with_limits(mut self, limits: FrameLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The transport this encoder writes.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Appends the frame header to `dst` with placeholder lengths. The caller
    /// then appends exactly one message to `dst` and calls [`finish`].
    ///
    /// For the TTHeader transports and THeader `None` writes an empty header
    /// ([`TTHeader::default`]: flags 0, sequence 0, Thrift binary, no info).
    /// A THeader header whose `transform_ids` list zlib has the message
    /// compressed by [`finish`].
    ///
    /// # Errors
    ///
    /// When a header is given for Buffered or Framed, or the header does not
    /// fit its u8/u16 wire fields; for THeader, a header with int keys, an
    /// ACL token, a protocol other than binary and compact, or a transform
    /// other than zlib. Nothing is written then.
    ///
    /// [`finish`]: FrameEncoder::finish
    pub fn begin(&self, header: Option<&TTHeader>, dst: &mut BytesMut) -> Result<Mark> {
        let start = dst.len();
        let mut zlib = 0;
        match (self.transport, header) {
            (Transport::Buffered | Transport::Framed, Some(_)) => {
                return Err(Error::invalid(format!(
                    "the {} transport carries no ttheader",
                    self.transport
                )));
            }
            (Transport::Buffered, None) => {}
            (Transport::Framed, None) => dst.put_u32(0),
            (Transport::TTHeader | Transport::TTHeaderFramed, header) => {
                header.unwrap_or(&TTHeader::default()).write(dst)?;
                if self.transport == Transport::TTHeaderFramed {
                    dst.put_u32(0);
                }
            }
            (Transport::THeader, header) => {
                let header = header.cloned().unwrap_or_default();
                theader::write(&header, dst)?;
                zlib = theader::zlib_count(&header);
            }
        }
        Ok(Mark {
            transport: self.transport,
            start,
            payload_start: dst.len(),
            zlib,
        })
    }

    /// Patches the lengths of the frame begun at `mark`, counting everything
    /// appended to `dst` since [`begin`] as the message.
    ///
    /// # Errors
    ///
    /// [`Limit::FrameSize`] when the frame exceeds `max_frame_size`, invalid
    /// data when it exceeds the 31-bit LENGTH field or `dst` was cut below the
    /// frame header. The partial frame is removed from `dst` then.
    ///
    /// [`begin`]: FrameEncoder::begin
    #[allow(
        clippy::needless_pass_by_value,
        reason = "taking the mark by value stops it from being finished twice"
    )]
    pub fn finish(&self, mark: Mark, dst: &mut BytesMut) -> Result<()> {
        if dst.len() < mark.payload_start {
            dst.truncate(mark.start);
            return Err(Error::invalid(
                "frame buffer was cut below the frame header before finish",
            ));
        }
        if mark.zlib > 0 {
            let mut compressed = dst[mark.payload_start..].to_vec();
            for _ in 0..mark.zlib {
                compressed = match theader::compress(&compressed) {
                    Ok(bytes) => bytes,
                    Err(err) => {
                        dst.truncate(mark.start);
                        return Err(err);
                    }
                };
            }
            dst.truncate(mark.payload_start);
            dst.extend_from_slice(&compressed);
        }
        let payload_len = dst.len() - mark.payload_start;
        let frame_len = match mark.transport {
            Transport::Buffered => payload_len,
            _ => dst.len() - mark.start - 4,
        };
        let checked = if frame_len > self.limits.max_frame_size {
            Err(Error::limit(
                Limit::FrameSize,
                frame_len,
                self.limits.max_frame_size,
            ))
        } else {
            u32::try_from(frame_len)
                .ok()
                .filter(|len| *len as usize <= MAX_LENGTH_FIELD)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "frame of {frame_len} bytes does not fit a 31-bit length"
                    ))
                })
        };
        let frame_len = match checked {
            Ok(len) => len,
            Err(err) => {
                dst.truncate(mark.start);
                return Err(err);
            }
        };
        if mark.transport != Transport::Buffered {
            dst[mark.start..mark.start + 4].copy_from_slice(&frame_len.to_be_bytes());
        }
        if mark.transport == Transport::TTHeaderFramed {
            // The message is shorter than the frame, so this fits too.
            let inner = u32::try_from(payload_len).unwrap_or(u32::MAX);
            dst[mark.payload_start - 4..mark.payload_start].copy_from_slice(&inner.to_be_bytes());
        }
        Ok(())
    }

    /// Appends one whole frame holding `payload` to `dst`.
    ///
    /// # Errors
    ///
    /// As [`begin`](FrameEncoder::begin) and [`finish`](FrameEncoder::finish).
    pub fn encode(
        &self,
        header: Option<&TTHeader>,
        payload: &[u8],
        dst: &mut BytesMut,
    ) -> Result<()> {
        let mark = self.begin(header, dst)?;
        dst.put_slice(payload);
        self.finish(mark, dst)
    }
}
