//! Kitex Protobuf: Kitex's non-gRPC protobuf transport (spec wire-format §5),
//! unary calls over Framed or TTHeaderFramed.
//!
//! ```text
//! u32  frame length (Framed; TTHeaderFramed puts a TTHeader first)
//! u32  0x9001_0000 | message type (CALL 1, REPLY 2, EXCEPTION 3, ONEWAY 4)
//! u32  method-name length N, then N bytes
//! i32  sequence id
//! ...  the request (CALL) or response (REPLY) message itself, protobuf bytes;
//!      an EXCEPTION carries `protobuf.ErrorProto {int32 TypeID = 1; string Message = 2}`
//! ```
//!
//! The server side is [`GrpcServer`]: a Thrift [`Server`](crate::Server)
//! given one with [`ServerBuilder::grpc`](crate::ServerBuilder::grpc)
//! answers Kitex Protobuf frames on its port through the same
//! [`GrpcHandler`](super::GrpcHandler) (unary methods only), finding the
//! method by the TTHeader `isn` service name or, without one, by a method
//! name only one service has. The client side is [`KitexPbClient`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use anycall_codec::frame::ttheader::{int_key, str_key};
use anycall_codec::frame::{TTHeader, Transport};
use anycall_codec::thrift::exception::{TApplicationException, TApplicationExceptionType};
use anycall_codec::thrift::message::MessageType;
use bytes::{BufMut as _, Bytes, BytesMut};
use prost::Message as _;
use tokio::net::TcpStream;

use super::{Code, GrpcServer, Status};
use crate::conn::{Conn, ReadError, encode_frame, frame_decoder};
use crate::error::{Error, Kind, Result};

/// The first two bytes of every Kitex Protobuf message.
pub const MAGIC: u16 = 0x9001;

/// The longest method name read from a message (bytes): a longer length is
/// an error naming it, never an allocation.
pub const MAX_METHOD_NAME: usize = 1024;

/// Default largest frame a [`KitexPbClient`] reads (4 MiB, gRPC's message
/// size default).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 4 << 20;

/// One Kitex Protobuf message, borrowed from its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KitexPbMessage<'a> {
    /// CALL, REPLY, EXCEPTION or ONEWAY.
    pub message_type: MessageType,
    /// The method name (no service).
    pub method: &'a str,
    /// The sequence id.
    pub seq_id: i32,
    /// The protobuf bytes: request, response or `ErrorProto`.
    pub body: &'a [u8],
}

/// Reads the message of a frame's payload.
///
/// # Errors
///
/// [`Error::is_protocol`], naming the byte offset, when the bytes are not a
/// Kitex Protobuf message: another magic, an unknown message type, a method
/// name longer than [`MAX_METHOD_NAME`] or past the end, or not UTF-8.
pub fn read_message(payload: &[u8]) -> Result<KitexPbMessage<'_>> {
    let bad =
        |at: usize, what: String| Error::protocol(format!("kitex protobuf, byte {at}: {what}"));
    let head = payload.get(..8).ok_or_else(|| {
        bad(
            0,
            format!("{} bytes, a message needs 12 or more", payload.len()),
        )
    })?;
    let word = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if (word >> 16) as u16 != MAGIC {
        return Err(bad(
            0,
            format!("magic {:#06x}, expected 0x9001", word >> 16),
        ));
    }
    let message_type = MessageType::from_u8((word & 0xff) as u8)
        .filter(|_| word & 0xff00 == 0)
        .ok_or_else(|| bad(3, format!("unknown message type {}", word & 0xffff)))?;
    let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
    if len > MAX_METHOD_NAME {
        return Err(bad(
            4,
            format!("method name of {len} bytes, over the limit of {MAX_METHOD_NAME}"),
        ));
    }
    let name = payload
        .get(8..8 + len)
        .ok_or_else(|| bad(8, format!("method name of {len} bytes runs past the end")))?;
    let method = std::str::from_utf8(name)
        .map_err(|e| bad(8 + e.valid_up_to(), "method name is not UTF-8".to_owned()))?;
    let seq = payload
        .get(8 + len..12 + len)
        .ok_or_else(|| bad(8 + len, "no sequence id".to_owned()))?;
    Ok(KitexPbMessage {
        message_type,
        method,
        seq_id: i32::from_be_bytes([seq[0], seq[1], seq[2], seq[3]]),
        body: &payload[12 + len..],
    })
}

/// Appends one message (without its frame) to `dst`.
pub fn write_message(
    message_type: MessageType,
    method: &str,
    seq_id: i32,
    body: &[u8],
    dst: &mut BytesMut,
) {
    dst.reserve(12 + method.len() + body.len());
    dst.put_u32((u32::from(MAGIC) << 16) | u32::from(message_type.as_u8()));
    dst.put_u32(method.len() as u32);
    dst.put_slice(method.as_bytes());
    dst.put_i32(seq_id);
    dst.put_slice(body);
}

/// Kitex's exception message body (`protobuf.ErrorProto`).
#[derive(Clone, PartialEq, prost::Message)]
struct ErrorProto {
    #[prost(int32, tag = "1")]
    type_id: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The `ErrorProto` body of an EXCEPTION message.
pub fn encode_exception(ex: &TApplicationException) -> Vec<u8> {
    ErrorProto {
        type_id: ex.kind().0,
        message: ex.message().to_owned(),
    }
    .encode_to_vec()
}

/// Reads the `ErrorProto` body of an EXCEPTION message.
///
/// # Errors
///
/// [`Error::is_protocol`] when the body is not an `ErrorProto`.
pub fn decode_exception(body: &[u8]) -> Result<TApplicationException> {
    let e = ErrorProto::decode(body)
        .map_err(|e| Error::protocol(format!("kitex protobuf exception body: {e}")))?;
    Ok(TApplicationException::new(
        TApplicationExceptionType(e.type_id),
        e.message,
    ))
}

/// The exception type Kitex clients know for a gRPC status of the handler.
fn exception_of(status: &Status) -> TApplicationException {
    let kind = match status.code() {
        Code::Unimplemented | Code::NotFound => TApplicationExceptionType::UNKNOWN_METHOD,
        Code::InvalidArgument | Code::OutOfRange => TApplicationExceptionType::PROTOCOL_ERROR,
        _ => TApplicationExceptionType::INTERNAL_ERROR,
    };
    TApplicationException::new(kind, status.message())
}

/// Answers one Kitex Protobuf frame on a Thrift server's connection, leaving
/// the reply frame (same transport) in `wbuf`. `Err` means the frame
/// holds no usable message: close the connection.
pub(crate) async fn serve_frame(
    grpc: Option<&GrpcServer>,
    wbuf: &mut BytesMut,
    peer: SocketAddr,
    transport: Transport,
    header: Option<TTHeader>,
    payload: &Bytes,
    max_frame_size: usize,
) -> std::result::Result<(), String> {
    let msg = read_message(payload).map_err(|e| e.to_string())?;
    match msg.message_type {
        MessageType::Call | MessageType::Oneway => {}
        other => return Err(format!("expected a call, got a {other} message")),
    }
    let service = header
        .as_ref()
        .and_then(|h| h.str_value(str_key::IDL_SERVICE_NAME));
    let body = payload.slice_ref(msg.body);
    let answer = match grpc {
        Some(grpc) => grpc.kitex_unary(service, msg.method, body, peer).await,
        None => Err(Status::unimplemented(format!(
            "this server has no .proto: cannot answer the Kitex Protobuf call of `{}`",
            msg.method
        ))),
    };
    if msg.message_type == MessageType::Oneway {
        return Ok(());
    }
    let reply_header = header.as_ref().map(|request| {
        let mut h = TTHeader::new(msg.seq_id);
        h.protocol_id = request.protocol_id;
        h
    });
    let (message_type, body) = match answer {
        Ok(bytes) => (MessageType::Reply, bytes.to_vec()),
        Err(status) => (
            MessageType::Exception,
            encode_exception(&exception_of(&status)),
        ),
    };
    let written = encode_frame(
        transport,
        max_frame_size,
        reply_header.as_ref(),
        wbuf,
        |dst| {
            write_message(message_type, msg.method, msg.seq_id, &body, dst);
            Ok::<(), String>(())
        },
    );
    match written {
        Ok(result) => result,
        Err(e) => {
            tracing::warn!(%peer, error = %e, "cannot write a kitex protobuf reply");
            Ok(())
        }
    }
}

/// Why a call on a connection failed: the connection was found closed (the
/// call may be made again on a new one), or anything else.
enum Retry {
    Closed(Error),
    No(Error),
}

/// A Kitex Protobuf client for one address: unary calls with protobuf bytes
/// in and out, one connection reused call after call (calls are serialised
/// on it).
///
/// ```no_run
/// # async fn run() -> anycall_rpc::Result<()> {
/// use anycall_codec::frame::Transport;
/// use anycall_rpc::grpc::kitexpb::KitexPbClient;
///
/// let client = KitexPbClient::new("127.0.0.1:8888", Transport::TTHeaderFramed)?
///     .service("Interop");
/// let reply: bytes::Bytes = client.call("Echo", b"").await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct KitexPbClient {
    addr: String,
    transport: Transport,
    service: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    max_frame_size: usize,
    seq: AtomicI32,
    conn: tokio::sync::Mutex<Option<Conn>>,
}

impl KitexPbClient {
    /// A client of `addr` over `transport`: [`Transport::Framed`] or
    /// [`Transport::TTHeaderFramed`] (what Kitex's own client sends).
    ///
    /// # Errors
    ///
    /// [`Error::is_config`] for another transport: Kitex Protobuf is always
    /// framed.
    pub fn new(addr: impl Into<String>, transport: Transport) -> Result<Self> {
        if !matches!(transport, Transport::Framed | Transport::TTHeaderFramed) {
            return Err(Error::config(format!(
                "Kitex Protobuf needs the framed or ttheader-framed transport, not {transport}"
            )));
        }
        Ok(Self {
            addr: addr.into(),
            transport,
            service: None,
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            seq: AtomicI32::new(1),
            conn: tokio::sync::Mutex::new(None),
        })
    }

    /// The service name sent as TTHeader `isn` (TTHeaderFramed only), which
    /// a server hosting several services routes by.
    #[must_use]
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }

    /// Timeout of each call, connecting included (default 5 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout (default 1 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Largest reply frame read (default [`DEFAULT_MAX_FRAME_SIZE`]).
    #[must_use]
    pub fn max_frame_size(mut self, max: usize) -> Self {
        self.max_frame_size = max;
        self
    }

    /// Calls `method` with the protobuf bytes of its request and returns the
    /// bytes of its response.
    ///
    /// # Errors
    ///
    /// [`Error::is_application`] with the server's exception (type and
    /// message); [`Error::is_timeout`], [`Error::is_connect`],
    /// [`Error::is_io`] or [`Error::is_protocol`] (a reply for another
    /// method or sequence id, or not Kitex Protobuf) otherwise.
    pub async fn call(&self, method: &str, request: &[u8]) -> Result<Bytes> {
        match tokio::time::timeout(self.timeout, self.call_inner(method, request)).await {
            Ok(result) => result,
            Err(_) => {
                // The connection may hold half a reply: drop it.
                *self.conn.lock().await = None;
                Err(Error::timeout(self.timeout))
            }
        }
    }

    async fn call_inner(&self, method: &str, request: &[u8]) -> Result<Bytes> {
        let mut guard = self.conn.lock().await;
        if let Some(conn) = guard.take() {
            // A kept connection the server closed since (Kitex closes one
            // after some exceptions): the call is made again on a new one.
            match self.exchange(conn, method, request).await {
                Err(Retry::Closed(_)) => {}
                Err(Retry::No(e)) => return Err(e),
                Ok((conn, reply)) => {
                    *guard = Some(conn);
                    return reply;
                }
            }
        }
        let conn = self.connect().await?;
        match self.exchange(conn, method, request).await {
            Ok((conn, reply)) => {
                *guard = Some(conn);
                reply
            }
            Err(Retry::Closed(e) | Retry::No(e)) => Err(e),
        }
    }

    /// One request and its reply on `conn`; the connection comes back when
    /// it can carry another call.
    async fn exchange(
        &self,
        mut conn: Conn,
        method: &str,
        request: &[u8],
    ) -> std::result::Result<(Conn, Result<Bytes>), Retry> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let header = (self.transport == Transport::TTHeaderFramed).then(|| {
            let mut h = TTHeader::new(seq);
            h.insert_int(int_key::TRANSPORT_TYPE, "framed")
                .insert_int(int_key::TO_METHOD, method)
                .set_msg_type(MessageType::Call.as_u8());
            if let Some(service) = &self.service {
                h.insert_str(str_key::IDL_SERVICE_NAME, service.clone());
            }
            h
        });
        conn.wbuf.clear();
        let encoded = encode_frame(
            self.transport,
            self.max_frame_size,
            header.as_ref(),
            &mut conn.wbuf,
            |dst| {
                write_message(MessageType::Call, method, seq, request, dst);
                Ok::<(), Error>(())
            },
        )
        .map_err(|e| Error::codec("encoding the kitex protobuf frame", e));
        if let Err(e) = encoded.and_then(|r| r) {
            return Err(Retry::No(e));
        }
        if let Err(e) = conn.flush().await {
            return Err(Retry::Closed(Error::io(
                format!("writing to {}", self.addr),
                e,
            )));
        }
        let frame = match conn.read_frame().await {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                return Err(Retry::Closed(Error::new(
                    Kind::Io,
                    format!("{} closed the connection before replying", self.addr),
                )));
            }
            Err(ReadError::Io(e)) => {
                return Err(Retry::Closed(Error::io(
                    format!("reading from {}", self.addr),
                    e,
                )));
            }
            Err(e) => {
                return Err(Retry::No(Error::protocol(format!(
                    "reading from {}: {e}",
                    self.addr
                ))));
            }
        };
        let reply = match read_message(&frame.payload) {
            Ok(reply) => reply,
            Err(e) => return Err(Retry::No(e)),
        };
        let result = match reply.message_type {
            MessageType::Exception => match decode_exception(reply.body) {
                Ok(ex) => Err(Error::from_application(ex)),
                Err(e) => return Err(Retry::No(e)),
            },
            MessageType::Reply if reply.method == method && reply.seq_id == seq => {
                Ok(frame.payload.slice_ref(reply.body))
            }
            MessageType::Reply => {
                return Err(Retry::No(Error::protocol(format!(
                    "reply for `{}` (seq id {}) to a call of `{method}` (seq id {seq})",
                    reply.method, reply.seq_id
                ))));
            }
            other => {
                return Err(Retry::No(Error::protocol(format!(
                    "expected a reply, got a {other} message"
                ))));
            }
        };
        Ok((conn, result))
    }

    async fn connect(&self) -> Result<Conn> {
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(&self.addr))
            .await
            .map_err(|_| {
                Error::new(
                    Kind::ConnectTimeout,
                    format!(
                        "connecting to {} took over {:?}",
                        self.addr, self.connect_timeout
                    ),
                )
            })?
            .map_err(|e| {
                Error::new(Kind::Connect, format!("cannot connect to {}", self.addr)).with_source(e)
            })?;
        Ok(Conn::new(
            stream,
            frame_decoder(self.transport, self.max_frame_size),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_bad_ones_name_the_offset() {
        let mut buf = BytesMut::new();
        write_message(MessageType::Call, "Echo", 7, &[0x08, 0x01], &mut buf);
        assert_eq!(
            &buf[..],
            &[
                0x90, 0x01, 0, 1, 0, 0, 0, 4, b'E', b'c', b'h', b'o', 0, 0, 0, 7, 0x08, 0x01
            ]
        );
        let msg = read_message(&buf).expect("reads");
        assert_eq!(msg.method, "Echo");
        assert_eq!(msg.seq_id, 7);
        assert_eq!(msg.body, &[0x08, 0x01]);
        let mut long = buf.to_vec();
        long[4..8].copy_from_slice(&(MAX_METHOD_NAME as u32 + 1).to_be_bytes());
        let err = read_message(&long).expect_err("too long");
        assert!(err.to_string().contains("byte 4"), "{err}");
        let err = read_message(&buf[..10]).expect_err("short");
        assert!(err.to_string().contains("runs past the end"), "{err}");
        let err = read_message(&[0x80, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).expect_err("thrift");
        assert!(err.to_string().contains("magic 0x8001"), "{err}");
    }

    #[test]
    fn exceptions_are_error_protos() {
        let ex = TApplicationException::new(TApplicationExceptionType::UNKNOWN_METHOD, "no");
        let body = encode_exception(&ex);
        assert_eq!(body, [0x08, 0x01, 0x12, 0x02, b'n', b'o']);
        let back = decode_exception(&body).expect("decodes");
        assert_eq!(back.kind(), TApplicationExceptionType::UNKNOWN_METHOD);
        assert_eq!(back.message(), "no");
    }
}
