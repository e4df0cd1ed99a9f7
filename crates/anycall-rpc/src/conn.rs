//! One TCP connection carrying frames of one transport: a read buffer, a
//! frame decoder and a write buffer. Sockets live here; framing itself is
//! the sync codec in `anycall_codec::frame`.

use std::fmt;
use std::io;

use anycall_codec::Limits;
use anycall_codec::frame::{Frame, FrameDecoder, FrameEncoder, FrameLimits, TTHeader, Transport};
use anycall_codec::thrift::{MessageScanner, Protocol, protocol_of};
use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Initial capacity of a connection's read and write buffers.
const BUF_CAPACITY: usize = 8 * 1024;
/// Buffers that grew past this (a large message) are given back after use,
/// so an idle pooled connection does not pin megabytes.
const BUF_KEEP: usize = 64 * 1024;

/// Splits frames off a read buffer: the codec's frame decoder for Framed
/// and TTHeader, a skipping message scanner for Buffered (its protocol taken
/// from each message's first bytes).
#[derive(Debug)]
pub(crate) enum FrameReader {
    Framed(FrameDecoder),
    Buffered {
        scanner: Option<(Protocol, MessageScanner)>,
        limits: Limits,
    },
}

impl FrameReader {
    pub(crate) fn new(transport: Transport, max_frame_size: usize) -> Self {
        match transport {
            Transport::Buffered => Self::Buffered {
                scanner: None,
                limits: Limits {
                    max_message_size: max_frame_size,
                    ..Limits::default()
                },
            },
            other => Self::Framed(FrameDecoder::new(other).with_limits(FrameLimits {
                max_frame_size,
            })),
        }
    }

    /// The next whole frame in `buf`, `Ok(None)` when more bytes are needed.
    pub(crate) fn decode(&mut self, buf: &mut BytesMut) -> anycall_codec::Result<Option<Frame>> {
        let (scanner, limits) = match self {
            Self::Framed(decoder) => return decoder.decode(buf),
            Self::Buffered { scanner, limits } => (scanner, limits),
        };
        if buf.len() < 2 {
            return Ok(None);
        }
        let Some(protocol) = protocol_of(buf) else {
            return Err(anycall_codec::Error::invalid(format!(
                "not a thrift message: first bytes {:02x} {:02x}",
                buf[0], buf[1]
            )));
        };
        let scanner = match scanner {
            Some((p, scanner)) if *p == protocol => scanner,
            slot => &mut slot.insert((protocol, MessageScanner::new(protocol, *limits))).1,
        };
        match scanner.scan(buf)? {
            Some(n) => {
                scanner.reset();
                Ok(Some(Frame {
                    transport: Transport::Buffered,
                    header: None,
                    payload: buf.split_to(n).freeze(),
                }))
            }
            None => Ok(None),
        }
    }
}

/// Why no frame could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The socket failed.
    Io(io::Error),
    /// The peer closed the connection in the middle of a frame.
    Truncated(usize),
    /// The bytes are not a valid frame.
    Frame(anycall_codec::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(err) => write!(f, "read failed: {err}"),
            Self::Truncated(n) => write!(
                f,
                "connection closed in the middle of a frame ({n} bytes buffered)"
            ),
            Self::Frame(err) => write!(f, "bad frame: {err}"),
        }
    }
}

/// A connection: the socket and its buffers.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    pub(crate) rbuf: BytesMut,
    pub(crate) wbuf: BytesMut,
    pub(crate) reader: FrameReader,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream, reader: FrameReader) -> Self {
        let _ = stream.set_nodelay(true);
        Self {
            stream,
            rbuf: BytesMut::with_capacity(BUF_CAPACITY),
            wbuf: BytesMut::with_capacity(BUF_CAPACITY),
            reader,
        }
    }

    /// Reads the next frame. `Ok(None)`: the peer closed the connection
    /// cleanly between frames.
    pub(crate) async fn read_frame(&mut self) -> Result<Option<Frame>, ReadError> {
        loop {
            if let Some(frame) = self.reader.decode(&mut self.rbuf).map_err(ReadError::Frame)? {
                return Ok(Some(frame));
            }
            self.fill().await?;
            if self.rbuf.is_empty() {
                return Ok(None);
            }
        }
    }

    /// Reads more bytes; leaves `rbuf` empty only on a clean end of stream.
    pub(crate) async fn fill(&mut self) -> Result<(), ReadError> {
        if self.rbuf.capacity() - self.rbuf.len() < 1024 {
            self.rbuf.reserve(BUF_CAPACITY);
        }
        let n = self
            .stream
            .read_buf(&mut self.rbuf)
            .await
            .map_err(ReadError::Io)?;
        if n == 0 && !self.rbuf.is_empty() {
            return Err(ReadError::Truncated(self.rbuf.len()));
        }
        Ok(())
    }

    /// Writes `wbuf` out and clears it.
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        let result = self.stream.write_all(&self.wbuf).await;
        self.wbuf.clear();
        if self.wbuf.capacity() > BUF_KEEP {
            self.wbuf = BytesMut::with_capacity(BUF_CAPACITY);
        }
        result
    }

    /// Gives back a read buffer that grew for a large frame, once drained.
    pub(crate) fn shrink_read_buffer(&mut self) {
        if self.rbuf.is_empty() && self.rbuf.capacity() > BUF_KEEP {
            self.rbuf = BytesMut::with_capacity(BUF_CAPACITY);
        }
    }

    /// Whether an idle connection is still usable: not closed by the peer
    /// and with nothing unexpected to read.
    pub(crate) fn is_reusable(&self) -> bool {
        if !self.rbuf.is_empty() {
            return false;
        }
        let mut probe = [0u8; 1];
        match self.stream.try_read(&mut probe) {
            Err(err) => err.kind() == io::ErrorKind::WouldBlock,
            Ok(_) => false,
        }
    }
}

/// Appends one frame holding a message written by `write` to `dst`.
pub(crate) fn encode_frame<E>(
    transport: Transport,
    max_frame_size: usize,
    header: Option<&TTHeader>,
    dst: &mut BytesMut,
    write: impl FnOnce(&mut BytesMut) -> Result<(), E>,
) -> Result<Result<(), E>, anycall_codec::Error> {
    let encoder = FrameEncoder::new(transport).with_limits(FrameLimits { max_frame_size });
    let start = dst.len();
    let mark = encoder.begin(header.filter(|_| transport.has_ttheader()), dst)?;
    if let Err(err) = write(dst) {
        dst.truncate(start);
        return Ok(Err(err));
    }
    encoder.finish(mark, dst)?;
    Ok(Ok(()))
}

/// Appends one frame holding `message` (already encoded) to `dst`.
pub(crate) fn encode_frame_bytes(
    transport: Transport,
    max_frame_size: usize,
    header: Option<&TTHeader>,
    message: &[u8],
    dst: &mut BytesMut,
) -> anycall_codec::Result<()> {
    encode_frame(transport, max_frame_size, header, dst, |dst| {
        dst.put_slice(message);
        Ok::<(), std::convert::Infallible>(())
    })
    .map(|_| ())
}
