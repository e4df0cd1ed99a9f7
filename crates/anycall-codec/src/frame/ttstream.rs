//! Kitex TTHeader Streaming ("ttstream") frames: Meta, Header, Data,
//! Trailer and Rst (spec/wire-format.md §7).
//!
//! Every frame is one whole TTHeader frame ([`super::ttheader`]) with the
//! streaming flag, the stream id in SEQUENCE, protocol id `0x10`
//! (ThriftStruct), and two int keys on every frame: 27 FrameType and
//! 9 ToMethod.
//!
//! ```text
//! +-----------+-------+-------+-----------+-------+----------------------------+---------+
//! | LENGTH    | 10 00 | 00 02 | STREAM ID | HSIZE | 10 00 | info blocks | pad    | payload |
//! +-----------+-------+-------+-----------+-------+----------------------------+---------+
//!                       flags   i32               proto   int 27 = "1".."5" (frame type)
//!                       STREAM                    0x10    int 9  = method
//!                                                         str: isn, metainfo, biz-*, ttscp
//!
//! type      direction     str keys                          payload
//! 1 Meta    server→client header map                        opaque
//! 2 Header  both          isn + metainfo (client), headers  none
//! 3 Data    both          none                              one bare Thrift-binary struct
//! 4 Trailer both          trailers, biz-status/-message     none, or an EXCEPTION message
//! 5 Rst     both          ttscp (cancel path)               none, or an EXCEPTION message
//! ```
//!
//! Stream lifecycle (§7.3): the client opens a stream with a Header frame,
//! sends Data frames and half-closes with a Trailer; the server sends its
//! Header lazily, Data frames, and ends the whole stream with a Trailer.
//! Rst from either side aborts it. The multiplexing lives in anycall-rpc;
//! this module is the sync byte codec.

use std::collections::BTreeMap;
use std::fmt;

use bytes::{Bytes, BytesMut};

use super::ttheader::{FLAG_STREAMING, int_key, str_key};
use super::{FrameDecoder, FrameEncoder, FrameLimits, ProtocolId, TTHeader, Transport};
use crate::limits::Limits;
use crate::thrift::{
    BinaryReader, MessageType, Protocol, TApplicationException, TApplicationExceptionType,
    read_message_header,
};
use crate::{Error, Result};

/// The frame type, int key 27 (ASCII `"1"`..`"5"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// `"1"`: server → client meta information.
    Meta,
    /// `"2"`: opens a stream (client) or carries response headers (server).
    Header,
    /// `"3"`: one message.
    Data,
    /// `"4"`: ends the sender's side (client: half-close; server: the stream).
    Trailer,
    /// `"5"`: aborts the stream.
    Rst,
}

impl FrameType {
    /// The wire value of int key 27.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Meta => "1",
            Self::Header => "2",
            Self::Data => "3",
            Self::Trailer => "4",
            Self::Rst => "5",
        }
    }

    /// Parses a wire value of int key 27.
    pub fn from_wire(value: &[u8]) -> Option<Self> {
        Some(match value {
            b"1" => Self::Meta,
            b"2" => Self::Header,
            b"3" => Self::Data,
            b"4" => Self::Trailer,
            b"5" => Self::Rst,
            _ => return None,
        })
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Meta => "meta",
            Self::Header => "header",
            Self::Data => "data",
            Self::Trailer => "trailer",
            Self::Rst => "rst",
        })
    }
}

/// TApplicationException type ids that TTHeader Streaming uses (§7.7).
pub mod exception_type {
    use crate::thrift::TApplicationExceptionType as T;

    /// The handler returned an application error.
    pub const APPLICATION: T = T(12001);
    /// A second Header frame, or one where none is allowed.
    pub const UNEXPECTED_HEADER: T = T(12002);
    /// An illegal business error.
    pub const ILLEGAL_BIZ_ERROR: T = T(12003);
    /// A frame that cannot be decoded.
    pub const ILLEGAL_FRAME: T = T(12004);
    /// An operation the stream's state forbids.
    pub const ILLEGAL_OPERATION: T = T(12005);
    /// The transport is closing.
    pub const TRANSPORT_CLOSING: T = T(12006);
    /// User code cancelled the stream context.
    pub const BIZ_CANCEL: T = T(12007);
    /// Cancelled with a cause.
    pub const BIZ_CANCEL_WITH_CAUSE: T = T(12008);
    /// Cancelled by the downstream.
    pub const DOWNSTREAM_CANCEL: T = T(12009);
    /// Cancelled by the upstream.
    pub const UPSTREAM_CANCEL: T = T(12010);
    /// Cancelled internally.
    pub const INTERNAL_CANCEL: T = T(12011);
    /// The business handler returned while the stream was open.
    pub const BIZ_HANDLER_RETURN: T = T(12012);
    /// The connection closed.
    pub const CONNECTION_CLOSED: T = T(12013);
    /// No message arrived within the receive timeout.
    pub const RECV_TIMEOUT: T = T(12014);
    /// The stream's deadline passed.
    pub const STREAM_TIMEOUT: T = T(12015);
}

/// One TTHeader Streaming frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFrame {
    /// Int key 27.
    pub frame_type: FrameType,
    /// The SEQUENCE field. Clients number streams from 1; 0 is reserved.
    pub stream_id: i32,
    /// Int key 9, on every frame.
    pub method: String,
    /// Int keys other than 27 and 9 (header frames may carry some).
    pub int_kvs: BTreeMap<u16, Bytes>,
    /// String keys: `isn` and metainfo on a client Header, user headers and
    /// trailers, `biz-*` on a server Trailer, `ttscp` on Rst.
    pub str_kvs: BTreeMap<String, String>,
    /// Data: a bare struct; Trailer/Rst: empty or an EXCEPTION message.
    pub payload: Bytes,
}

impl StreamFrame {
    /// A frame without keys or payload.
    pub fn new(frame_type: FrameType, stream_id: i32, method: impl Into<String>) -> Self {
        Self {
            frame_type,
            stream_id,
            method: method.into(),
            int_kvs: BTreeMap::new(),
            str_kvs: BTreeMap::new(),
            payload: Bytes::new(),
        }
    }

    /// A Data frame carrying one encoded bare struct.
    pub fn data(stream_id: i32, method: impl Into<String>, payload: Bytes) -> Self {
        Self {
            payload,
            ..Self::new(FrameType::Data, stream_id, method)
        }
    }

    /// A Trailer or Rst frame carrying `exception` as a strict-binary
    /// EXCEPTION message named after the method, seq id = stream id.
    pub fn with_exception(mut self, exception: &TApplicationException) -> Self {
        let mut buf = BytesMut::new();
        // Writing to a BytesMut fails only for strings over i32::MAX bytes.
        if exception
            .write_message(Protocol::Binary, &self.method, self.stream_id, &mut buf)
            .is_ok()
        {
            self.payload = buf.freeze();
        }
        self
    }

    /// Sets a string key.
    pub fn with_str(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.str_kvs.insert(key.into(), value.into());
        self
    }

    /// The IDL service name (`isn`) of a client Header frame.
    pub fn service(&self) -> Option<&str> {
        self.str_kvs
            .get(str_key::IDL_SERVICE_NAME)
            .map(String::as_str)
    }

    /// The TApplicationException of a Trailer or Rst payload; `None` when
    /// the payload is empty. An Rst without payload is, for Kitex, type 13
    /// "rst"; that is left to the caller.
    ///
    /// # Errors
    ///
    /// Invalid data when the payload is not a strict-binary EXCEPTION message.
    pub fn exception(&self) -> Result<Option<TApplicationException>> {
        if self.payload.is_empty() {
            return Ok(None);
        }
        let (header, used) =
            read_message_header(Protocol::Binary, &self.payload, &Limits::default())?;
        if header.message_type != MessageType::Exception {
            return Err(Error::invalid(format!(
                "ttstream {} frame payload is a {:?} message, expected an exception",
                self.frame_type, header.message_type
            )));
        }
        let mut r = BinaryReader::new(&self.payload[used..]);
        TApplicationException::read(&mut r).map(Some)
    }

    /// The TTHeader this frame is written with.
    pub fn to_ttheader(&self) -> TTHeader {
        let mut h = TTHeader::new(self.stream_id);
        h.flags = FLAG_STREAMING;
        h.protocol_id = ProtocolId::ThriftStruct;
        h.int_kvs.clone_from(&self.int_kvs);
        h.insert_int(int_key::FRAME_TYPE, self.frame_type.as_str());
        h.insert_int(int_key::TO_METHOD, self.method.as_bytes());
        h.str_kvs.clone_from(&self.str_kvs);
        h
    }

    /// Appends the frame to `dst` with the default limits.
    ///
    /// # Errors
    ///
    /// As [`StreamEncoder::encode`].
    pub fn encode(&self, dst: &mut BytesMut) -> Result<()> {
        StreamEncoder::new().encode(self, dst)
    }

    /// The frame a decoded TTHeader frame is.
    ///
    /// # Errors
    ///
    /// Invalid data for a frame without the streaming flag, without int key
    /// 27, or with an unknown frame type; a method that is not UTF-8.
    pub fn from_ttheader(header: TTHeader, payload: Bytes) -> Result<Self> {
        let stream_id = header.seq_id;
        if !header.is_streaming() {
            return Err(Error::invalid(format!(
                "ttstream frame of stream {stream_id} lacks the streaming flag 0x0002 (flags {:#06x})",
                header.flags
            )));
        }
        let mut int_kvs = header.int_kvs;
        let kind = int_kvs.remove(&int_key::FRAME_TYPE).ok_or_else(|| {
            Error::invalid(format!(
                "ttstream frame of stream {stream_id} has no frame type (int key 27)"
            ))
        })?;
        let frame_type = FrameType::from_wire(&kind).ok_or_else(|| {
            Error::invalid(format!(
                "ttstream frame of stream {stream_id} has unknown frame type {:?}",
                String::from_utf8_lossy(&kind)
            ))
        })?;
        let method = match int_kvs.remove(&int_key::TO_METHOD) {
            Some(m) => String::from_utf8(m.to_vec()).map_err(|_| {
                Error::invalid(format!(
                    "ttstream frame of stream {stream_id} has a method name that is not utf-8"
                ))
            })?,
            None => String::new(),
        };
        let mut str_kvs = header.str_kvs;
        if let Some(token) = header.acl_token {
            str_kvs.insert(str_key::GDPR_TOKEN.to_owned(), token);
        }
        Ok(Self {
            frame_type,
            stream_id,
            method,
            int_kvs,
            str_kvs,
            payload,
        })
    }
}

/// Writes [`StreamFrame`]s, checking the frame size limit.
#[derive(Debug, Clone)]
pub struct StreamEncoder {
    inner: FrameEncoder,
}

impl Default for StreamEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamEncoder {
    /// An encoder with [`FrameLimits::default`] (16 MiB frames).
    pub fn new() -> Self {
        Self {
            inner: FrameEncoder::new(Transport::TTHeader),
        }
    }

    /// Sets the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: FrameLimits) -> Self {
        self.inner = self.inner.with_limits(limits);
        self
    }

    /// Appends `frame` to `dst`; nothing is appended when it fails.
    ///
    /// # Errors
    ///
    /// The header errors of [`TTHeader::encoded_len`], and
    /// [`crate::Limit::FrameSize`] for a frame over the limit.
    pub fn encode(&self, frame: &StreamFrame, dst: &mut BytesMut) -> Result<()> {
        let header = frame.to_ttheader();
        let mark = self.inner.begin(Some(&header), dst)?;
        dst.extend_from_slice(&frame.payload);
        self.inner.finish(mark, dst)
    }
}

/// Splits [`StreamFrame`]s off a byte buffer, like a tokio-util `Decoder`.
#[derive(Debug)]
pub struct StreamDecoder {
    inner: FrameDecoder,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamDecoder {
    /// A decoder with [`FrameLimits::default`] (16 MiB frames).
    pub fn new() -> Self {
        Self {
            inner: FrameDecoder::new(Transport::TTHeader),
        }
    }

    /// Sets the limits, checked from the length prefix before a frame is
    /// buffered.
    #[must_use]
    pub fn with_limits(mut self, limits: FrameLimits) -> Self {
        self.inner = self.inner.with_limits(limits);
        self
    }

    /// The next whole frame, or `Ok(None)` when more bytes are needed.
    ///
    /// # Errors
    ///
    /// The TTHeader errors of [`FrameDecoder::decode`] and those of
    /// [`StreamFrame::from_ttheader`].
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<StreamFrame>> {
        let Some(frame) = self.inner.decode(src)? else {
            return Ok(None);
        };
        let header = frame
            .header
            .ok_or_else(|| Error::invalid("ttstream frame without a ttheader"))?;
        StreamFrame::from_ttheader(header, frame.payload).map(Some)
    }
}

/// The TApplicationException Kitex assumes for an Rst frame without payload.
pub fn default_rst_exception() -> TApplicationException {
    TApplicationException::new(TApplicationExceptionType(13), "rst")
}
