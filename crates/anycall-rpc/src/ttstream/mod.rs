//! Kitex TTHeader Streaming ("ttstream", spec/wire-format.md §7): many
//! streams multiplexed on one TCP connection, each a sequence of bare
//! Thrift structs each way.
//!
//! - [`StreamClient`]: one multiplexed connection; [`StreamClient::open`]
//!   gives a [`RawStream`] of encoded messages, and the typed calls read
//!   like Kitex's: [`StreamClient::bidi`] (`send`/`recv`/`close_send`),
//!   [`StreamClient::client_streaming`] (`send`/`close_and_recv`),
//!   [`StreamClient::server_streaming`] (`recv` until `None`), in the JSON,
//!   [`Value`] and binary modes ([`Payload`]).
//! - [`StreamServer`]: serves the ttstream connections a [`Server`](crate::Server)
//!   detects; a [`StreamHandler`] gets a [`StreamCall`] (service, method,
//!   kind, headers), the stream of [`Requests`] and a [`Replies`] sink.
//!
//! Frame codec: [`anycall_codec::frame::ttstream`]. Lifecycle: a stream
//! opens with a client Header frame; Data frames carry messages; a client
//! Trailer half-closes; the server's Trailer ends the stream (empty on
//! success, a `TApplicationException` or `biz-*` keys on error); Rst aborts
//! from either side (cancel, timeout). No deadline travels on the wire
//! (Kitex sends none): each side enforces its own.
//!
//! Flow: there is no flow-control frame in ttstream. Each stream buffers up
//! to [`DEFAULT_STREAM_BUFFER`] bytes of received, unread messages (set with
//! `max_stream_buffer` on either builder); a stream whose reader falls
//! further behind is reset (Rst, exception 12011) and its reader gets the
//! reason, while the connection's other streams go on. All streams of a
//! connection together hold at most four times that; past it the
//! connection's reader waits (back-pressure through TCP).

mod client;
mod inbox;
mod server;

use anycall_codec::call::{
    decode_struct_json, decode_struct_value, encode_struct_json, encode_struct_value,
};
use anycall_codec::frame::{FrameLimits, StreamEncoder, StreamFrame};
use anycall_codec::thrift::Protocol;
use anycall_codec::{Limits, Options, Value};
use anycall_idl::{MethodDescriptor, Pool, StreamingMode, StructId};
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::error::{Error, Kind};
use crate::payload::Payload;
use crate::server::Mode;

pub use client::{
    BidiStreaming, ClientStreaming, RawStream, ServerStreaming, StreamClient, StreamClientBuilder,
};
#[cfg(feature = "grpc")]
pub(crate) use server::Counters;
pub use server::{
    Replies, Requests, StreamCall, StreamFuture, StreamHandler, StreamServer, StreamServerBuilder,
    StreamStats,
};

/// Default largest frame (and so message) read or written: 4 MiB, like
/// gRPC's default message size.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 4 << 20;
/// Default number of streams a server serves at once on one connection.
pub const DEFAULT_MAX_STREAMS_PER_CONNECTION: usize = 1000;
/// Default bytes of received, unread messages one stream holds before it
/// is reset; see the [module docs](self) on flow.
pub const DEFAULT_STREAM_BUFFER: usize = 16 << 20;
/// Messages queued between a Thrift-over-gRPC stream and its handler (HTTP/2
/// flow control pushes back past them).
pub(crate) const MESSAGE_QUEUE: usize = 256;
/// Frames queued for a connection's writer before senders wait.
const WRITE_QUEUE: usize = 1024;
/// Frames one write gathers at most.
const WRITE_BATCH: usize = 128;

/// Encodes and decodes the messages of one streaming method.
#[derive(Debug, Clone)]
pub(crate) struct MessageCodec {
    pool: Pool,
    service: String,
    method: String,
    kind: StreamingMode,
    request: StructId,
    response: StructId,
    mode: Mode,
    options: Options,
    limits: Limits,
}

impl MessageCodec {
    /// The codec for `service.method`, which must be a streaming method
    /// (`None` service: the first service with the method).
    pub(crate) fn new(
        pool: Pool,
        service: Option<&str>,
        method: &str,
        mode: Mode,
        options: Options,
        limits: Limits,
    ) -> crate::Result<Self> {
        let (service, kind, request, response) = {
            let m = find_method(&pool, service, method)?;
            let shape = || {
                Error::config(format!(
                    "streaming method `{method}` needs one struct parameter and a struct result"
                ))
            };
            (
                m.service().name().to_owned(),
                m.streaming(),
                m.stream_request().ok_or_else(shape)?.id(),
                m.stream_response().ok_or_else(shape)?.id(),
            )
        };
        Ok(Self {
            pool,
            service,
            method: method.to_owned(),
            kind,
            request,
            response,
            mode,
            options,
            limits,
        })
    }

    pub(crate) fn kind(&self) -> StreamingMode {
        self.kind
    }

    pub(crate) fn service(&self) -> &str {
        &self.service
    }

    /// Encodes one message: a request (`request`) or a response.
    pub(crate) fn encode(&self, request: bool, payload: &Payload) -> crate::Result<Bytes> {
        let desc = self
            .pool
            .struct_by_id(if request { self.request } else { self.response });
        let what = if request { "request" } else { "response" };
        let mut buf = BytesMut::new();
        match payload {
            Payload::Binary(b) => return Ok(b.clone()),
            Payload::Json(text) => encode_struct_json(
                desc,
                text.as_bytes(),
                Protocol::Binary,
                &self.options,
                &mut buf,
            ),
            Payload::Value(Value::Struct(s)) => {
                encode_struct_value(desc, s, Protocol::Binary, &self.options, &mut buf)
            }
            other => {
                return Err(Error::config(format!(
                    "a {} message of `{}` must be a struct, not a {} payload",
                    what,
                    self.method,
                    other.mode_name()
                )));
            }
        }
        .map_err(|e| Error::codec(format!("encoding a {what} message of `{}`", self.method), e))?;
        Ok(buf.freeze())
    }

    /// Decodes one message in the codec's mode.
    pub(crate) fn decode(&self, request: bool, bytes: Bytes) -> crate::Result<Payload> {
        let desc = self
            .pool
            .struct_by_id(if request { self.request } else { self.response });
        let what = if request { "request" } else { "response" };
        let ctx = |e| Error::codec(format!("decoding a {what} message of `{}`", self.method), e);
        Ok(match self.mode {
            Mode::Binary => Payload::Binary(bytes),
            Mode::Json => {
                let (text, _) = decode_struct_json(
                    desc,
                    &bytes,
                    Protocol::Binary,
                    &self.options,
                    &self.limits,
                    false,
                )
                .map_err(ctx)?;
                Payload::Json(text)
            }
            Mode::Value => Payload::Value(Value::Struct(
                decode_struct_value(desc, &bytes, Protocol::Binary, &self.options, &self.limits)
                    .map_err(ctx)?,
            )),
        })
    }
}

/// The streaming method `method` of `service` (any service when `None`).
pub(crate) fn find_method<'p>(
    pool: &'p Pool,
    service: Option<&str>,
    method: &str,
) -> crate::Result<MethodDescriptor<'p>> {
    let found = match service {
        Some(name) => pool
            .service(name)
            .ok_or_else(|| Error::new(Kind::NotFound, format!("no service `{name}` in the IDL")))?
            .method(method),
        None => pool.services().find_map(|s| s.method(method)),
    };
    let m = found.ok_or_else(|| {
        Error::new(
            Kind::NotFound,
            format!("no method `{method}` in the IDL service"),
        )
    })?;
    if !m.streaming().is_streaming() {
        return Err(Error::config(format!(
            "`{method}` is not a streaming method (streaming.mode is {}); call it ping-pong",
            m.streaming()
        )));
    }
    Ok(m)
}

/// Writes queued frames to the socket, gathering what is queued into one
/// write. Ends when every sender is gone or the socket fails.
pub(crate) fn spawn_writer<W: tokio::io::AsyncWrite + Unpin + Send + 'static>(
    mut sock: W,
    max_message_size: usize,
) -> mpsc::Sender<StreamFrame> {
    let (tx, mut rx) = mpsc::channel::<StreamFrame>(WRITE_QUEUE);
    tokio::spawn(async move {
        let enc = StreamEncoder::new().with_limits(FrameLimits {
            max_frame_size: max_message_size.saturating_add(64 * 1024),
        });
        let mut buf = BytesMut::with_capacity(16 * 1024);
        while let Some(frame) = rx.recv().await {
            let mut n = 0;
            let mut next = Some(frame);
            while let Some(f) = next.take() {
                if let Err(err) = enc.encode(&f, &mut buf) {
                    tracing::warn!(stream = f.stream_id, error = %err, "dropping a frame that cannot be encoded");
                }
                n += 1;
                if n < WRITE_BATCH {
                    next = rx.try_recv().ok();
                }
            }
            if sock.write_all(&buf).await.is_err() {
                break;
            }
            buf.clear();
            if buf.capacity() > 1 << 20 {
                buf = BytesMut::with_capacity(16 * 1024);
            }
        }
        let _ = sock.shutdown().await;
    });
    tx
}

/// Shared by client and server: a ttstream connection's limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnLimits {
    pub(crate) max_message_size: usize,
}

impl ConnLimits {
    pub(crate) fn frame_limits(self) -> FrameLimits {
        // Headers ride in the same frame as the message.
        FrameLimits {
            max_frame_size: self.max_message_size.saturating_add(64 * 1024),
        }
    }
}
