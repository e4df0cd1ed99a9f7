//! One TCP connection carrying frames of one transport: a read buffer, a
//! frame decoder and a write buffer. Sockets live here; framing itself is
//! the sync codec in `anycall_codec::frame`.

use std::fmt;
use std::io;

use anycall_codec::frame::{Frame, FrameDecoder, FrameEncoder, FrameLimits, TTHeader, Transport};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Initial capacity of a connection's read and write buffers.
pub(crate) const BUF_CAPACITY: usize = 8 * 1024;
/// Buffers that grew past this (a large message) are given back after use,
/// so an idle pooled connection does not pin megabytes.
pub(crate) const BUF_KEEP: usize = 64 * 1024;

/// A frame decoder for `transport` with frames (and Buffered messages) up to
/// `max_frame_size`.
pub(crate) fn frame_decoder(transport: Transport, max_frame_size: usize) -> FrameDecoder {
    FrameDecoder::new(transport).with_limits(FrameLimits { max_frame_size })
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
    pub(crate) reader: FrameDecoder,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream, reader: FrameDecoder) -> Self {
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
            if let Some(frame) = self
                .reader
                .decode(&mut self.rbuf)
                .map_err(ReadError::Frame)?
            {
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
    let mark = encoder.begin(header.filter(|_| transport.has_header()), dst)?;
    if let Err(err) = write(dst) {
        dst.truncate(start);
        return Ok(Err(err));
    }
    encoder.finish(mark, dst)?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn conn() -> (Conn, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (peer, _) = listener.accept().await.unwrap();
        (
            Conn::new(client, frame_decoder(Transport::Framed, 1 << 20)),
            peer,
        )
    }

    /// A buffer that grew past `BUF_KEEP` is given back once drained; one
    /// at the limit, or still holding bytes, is kept as it is.
    #[tokio::test]
    async fn grown_buffers_are_given_back_and_others_kept() {
        let (mut conn, mut peer) = conn().await;
        for (capacity, holding, given_back) in [
            (BUF_KEEP + 1, false, true),
            (BUF_KEEP, false, false),
            (4 * BUF_KEEP, true, false),
        ] {
            conn.rbuf = BytesMut::with_capacity(capacity);
            if holding {
                conn.rbuf.extend_from_slice(b"x");
            }
            let before = conn.rbuf.capacity();
            conn.shrink_read_buffer();
            let after = conn.rbuf.capacity();
            match given_back {
                true => assert_eq!(after, BUF_CAPACITY, "read buffer of {capacity}"),
                false => assert_eq!(after, before, "read buffer of {capacity}"),
            }
            assert_eq!(&conn.rbuf[..], if holding { &b"x"[..] } else { &b""[..] });
        }
        for (capacity, given_back) in [(BUF_KEEP + 1, true), (BUF_KEEP, false)] {
            conn.wbuf = BytesMut::with_capacity(capacity);
            conn.wbuf.extend_from_slice(b"ping");
            let before = conn.wbuf.capacity();
            conn.flush().await.unwrap();
            let mut got = [0u8; 4];
            peer.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"ping");
            assert!(conn.wbuf.is_empty());
            let after = conn.wbuf.capacity();
            match given_back {
                true => assert_eq!(after, BUF_CAPACITY, "write buffer of {capacity}"),
                false => assert_eq!(after, before, "write buffer of {capacity}"),
            }
        }
    }
}
