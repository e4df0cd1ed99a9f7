//! Thrift over gRPC, as Kitex's `transport.GRPC` carries it for Thrift IDLs
//! (spec/wire-format.md §6): the gRPC framing and HTTP/2 machinery of this
//! module, content type `application/grpc+thrift`, and Thrift-binary bare
//! structs as messages.
//!
//! ```text
//! :path         /<package>.<Service>/<Method>   (Kitex codegen; generic clients send /<Service>/<Method>)
//! content-type  application/grpc+thrift
//! streaming method   each message = the request or response struct itself
//! unary method       the one request = the `<method>_args` struct, the one reply =
//!                    the `<method>_result` struct (field 0 success, exceptions 1..)
//! ```
//!
//! `<package>` is what Kitex's code generator writes as the service's
//! `PackageName`: the last `.`-segment of the file's `namespace go` (or `*`),
//! lowercased, else the lowercased file stem ([`kitex_package`]). A Kitex
//! server ignores it: it routes by the text between the last `.` and the
//! last `/`. So does anycall's server.
//!
//! - [`ThriftGrpcClient`]: the calls read like the TTHeader Streaming
//!   client's: [`bidi`](ThriftGrpcClient::bidi) (`send`/`recv`/`close_send`),
//!   [`client_streaming`](ThriftGrpcClient::client_streaming)
//!   (`send`/`close_and_recv`), [`server_streaming`](ThriftGrpcClient::server_streaming)
//!   (`recv` until `None`), and [`unary`](ThriftGrpcClient::unary), in the
//!   JSON, `Value` and binary modes.
//! - Server: a [`Server`](crate::Server) answers `application/grpc+thrift`
//!   streams on its port (HTTP/2 is detected per connection): streaming
//!   methods through its [`StreamServer`]'s handler, unary ones through its
//!   ping-pong [`Handler`](crate::Handler).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anycall_codec::call::{self, Reply};
use anycall_codec::frame::TTHeader;
use anycall_codec::frame::ttheader::{metainfo, str_key};
use anycall_codec::thrift::{
    MessageHeader, MessageType, Protocol, ProtocolReader, TApplicationException,
    TApplicationExceptionType, write_message_header,
};
use anycall_codec::{Limits, Options};
use anycall_idl::{Pool, ServiceDescriptor};
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt as _, stream};
use http::HeaderValue;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tonic::codec::{CompressionEncoding, Streaming};

use super::client::RawResponse;
use super::codec::BytesCodec;
use super::server::{ByteStream, with_deadline};
use super::{Code, DEFAULT_MAX_MESSAGE_SIZE, GrpcClient, MetadataMap, Status, split_path};
use crate::biz::BizStatus;
use crate::error::{Error, Kind};
use crate::payload::{Idl, Payload};
use crate::server::{Answered, HandlerError, Mode};
use crate::ttstream::{Counters, MESSAGE_QUEUE, MessageCodec, StreamServer};

/// The content type of Thrift over gRPC.
pub const CONTENT_TYPE: &str = "application/grpc+thrift";

/// Whether a request's content type is Thrift over gRPC.
pub(crate) fn is_thrift_content_type(ct: &str) -> bool {
    ct.strip_prefix(CONTENT_TYPE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(';'))
}

/// The package Kitex's generated code puts in a Thrift service's gRPC path:
/// the last `.`-segment of the file's `namespace go` (falling back to
/// `namespace *`), else the file stem, lowercased.
///
/// ```
/// let pool = anycall_idl::Pool::from_source(
///     "streaming.thrift",
///     "namespace go interop.streams\nservice S { }",
/// )?;
/// let svc = pool.service("S").unwrap();
/// assert_eq!(anycall_rpc::grpc::kitex_package(svc), "streams");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn kitex_package(service: ServiceDescriptor<'_>) -> String {
    let file = service.file();
    let ns = file.namespace("go").unwrap_or_else(|| file.module());
    ns.rsplit('.').next().unwrap_or(ns).to_lowercase()
}

// ---------------------------------------------------------------------------
// client

/// Builds a [`ThriftGrpcClient`].
#[derive(Debug, Clone)]
pub struct ThriftGrpcClientBuilder {
    hosts: String,
    idl: Option<Idl>,
    service: Option<String>,
    package: Option<String>,
    mode: Mode,
    options: Options,
    limits: Limits,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    max_message_size: usize,
    gzip: bool,
    metadata: MetadataMap,
}

impl ThriftGrpcClientBuilder {
    /// The IDL (needed for every call: it gives the message types and says
    /// which methods stream).
    pub fn idl(mut self, idl: impl Into<Idl>) -> Self {
        self.idl = Some(idl.into());
        self
    }

    /// The IDL service. Default: the first service with the method.
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }

    /// The package in the path; empty for `/<Service>/<Method>` (as Kitex's
    /// generic clients send). Default: [`kitex_package`].
    pub fn package(mut self, package: impl Into<String>) -> Self {
        self.package = Some(package.into());
        self
    }

    /// The message mode. Default [`Mode::Json`].
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Transcoding options.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Decoding limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The deadline of every call, from its start: sent as `grpc-timeout`
    /// and enforced here too (the stream is then reset and the next
    /// operation fails with [`Error::is_timeout`]). Default: none.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Connect timeout. Default 1 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest message sent or accepted. Default 4 MiB.
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max;
        self
    }

    /// Compress requests with gzip (replies in gzip are always accepted).
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// A metadata entry sent with every call (a lowercase ASCII name and
    /// value; Kitex reads metainfo from `rpc-transit-<key>` and
    /// `rpc-persist-<key>`).
    ///
    /// # Errors
    ///
    /// [`Error::is_config`] for a name or value gRPC cannot carry.
    pub fn metadata(mut self, key: &str, value: &str) -> crate::Result<Self> {
        let name = tonic::metadata::AsciiMetadataKey::from_bytes(key.as_bytes())
            .map_err(|e| Error::config(format!("bad metadata name `{key}`: {e}")))?;
        let value = value
            .parse()
            .map_err(|e| Error::config(format!("bad metadata value for `{key}`: {e}")))?;
        self.metadata.insert(name, value);
        Ok(self)
    }

    /// Builds the client; connections open on the first call.
    ///
    /// # Errors
    ///
    /// [`Error::is_config`] for a bad address or no IDL.
    pub fn build(self) -> crate::Result<ThriftGrpcClient> {
        if self.idl.is_none() {
            return Err(Error::config(
                "Thrift over gRPC needs an IDL (ThriftGrpcClientBuilder::idl)",
            ));
        }
        let mut grpc = GrpcClient::builder(self.hosts.clone())
            .connect_timeout(self.connect_timeout)
            .max_message_size(self.max_message_size)
            .gzip(self.gzip);
        if let Some(t) = self.timeout {
            grpc = grpc.timeout(t);
        }
        Ok(ThriftGrpcClient {
            grpc: grpc.build()?,
            cfg: Arc::new(self),
        })
    }
}

/// A Thrift-over-gRPC client for any method of an IDL loaded at run time.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use anycall_rpc::Payload;
/// use anycall_rpc::grpc::ThriftGrpcClient;
///
/// let idl = anycall_idl::Pool::from_file("streaming.thrift", Vec::<String>::new())?;
/// let client = ThriftGrpcClient::builder("127.0.0.1:8888").idl(idl).build()?;
/// let mut bidi = client.bidi("Echo").await?;
/// bidi.send(Payload::Json(r#"{"msg":"hi"}"#.into())).await?;
/// bidi.close_send().await?;
/// while let Some(reply) = bidi.recv().await? {
///     println!("{reply:?}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ThriftGrpcClient {
    grpc: GrpcClient,
    cfg: Arc<ThriftGrpcClientBuilder>,
}

impl ThriftGrpcClient {
    /// A builder for `hosts` (`host:port`, several separated by commas).
    pub fn builder(hosts: impl Into<String>) -> ThriftGrpcClientBuilder {
        ThriftGrpcClientBuilder {
            hosts: hosts.into(),
            idl: None,
            service: None,
            package: None,
            mode: Mode::Json,
            options: Options::default(),
            limits: Limits::default(),
            timeout: None,
            connect_timeout: Duration::from_secs(1),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            gzip: false,
            metadata: MetadataMap::new(),
        }
    }

    fn pool(&self) -> Pool {
        self.cfg
            .idl
            .as_ref()
            .map(Idl::pool)
            .expect("the builder requires an IDL")
    }

    /// The HTTP/2 path of `method`: `/<package>.<Service>/<Method>`.
    ///
    /// # Errors
    ///
    /// [`Error::is_not_found`] for a method the IDL lacks.
    pub fn path(&self, method: &str) -> crate::Result<String> {
        let pool = self.pool();
        let service = self.find_service(&pool, method)?;
        Ok(self.path_of(service, method))
    }

    fn find_service<'p>(
        &self,
        pool: &'p Pool,
        method: &str,
    ) -> crate::Result<ServiceDescriptor<'p>> {
        let svc = match self.cfg.service.as_deref() {
            Some(name) => pool.service(name).ok_or_else(|| {
                Error::new(Kind::NotFound, format!("no service `{name}` in the IDL"))
            })?,
            None => pool
                .services()
                .find(|s| s.method(method).is_some())
                .ok_or_else(|| {
                    Error::new(
                        Kind::NotFound,
                        format!("no method `{method}` in the IDL service"),
                    )
                })?,
        };
        if svc.method(method).is_none() {
            return Err(Error::new(
                Kind::NotFound,
                format!("no method `{method}` in service `{}`", svc.name()),
            ));
        }
        Ok(svc)
    }

    fn path_of(&self, service: ServiceDescriptor<'_>, method: &str) -> String {
        let package = self
            .cfg
            .package
            .clone()
            .unwrap_or_else(|| kitex_package(service));
        if package.is_empty() {
            format!("/{}/{method}", service.name())
        } else {
            format!("/{package}.{}/{method}", service.name())
        }
    }

    fn start(&self, path: &str, requests: mpsc::Receiver<Bytes>) -> crate::Result<RawResponse> {
        let requests = tokio_stream_of(requests);
        self.grpc
            .call_raw(
                path,
                self.cfg.metadata.clone(),
                requests,
                Some(HeaderValue::from_static(CONTENT_TYPE)),
            )
            .map_err(status_error)
    }

    async fn open(&self, method: &str) -> crate::Result<MessageStream> {
        let pool = self.pool();
        let service = self.find_service(&pool, method)?;
        let path = self.path_of(service, method);
        let codec = MessageCodec::new(
            pool.clone(),
            Some(&service.full_name()),
            method,
            self.cfg.mode,
            self.cfg.options,
            self.cfg.limits,
        )?;
        let (tx, rx) = mpsc::channel(MESSAGE_QUEUE);
        let response = self.start(&path, rx)?;
        Ok(MessageStream {
            tx: Some(tx),
            response,
            codec,
            method: Arc::from(method),
            deadline: self.cfg.timeout.map(|t| (Instant::now() + t, t)),
            max_message_size: self.cfg.max_message_size,
            finished: false,
        })
    }

    /// A bidirectional stream: `send`, `recv`, `close_send`.
    ///
    /// # Errors
    ///
    /// [`Error::is_not_found`] for an unknown method, [`Error::is_config`]
    /// for one that does not stream.
    pub async fn bidi(&self, method: &str) -> crate::Result<GrpcBidiStreaming> {
        self.open(method).await.map(GrpcBidiStreaming)
    }

    /// A client stream: `send` many, then `close_and_recv` the one reply.
    ///
    /// # Errors
    ///
    /// As [`ThriftGrpcClient::bidi`].
    pub async fn client_streaming(&self, method: &str) -> crate::Result<GrpcClientStreaming> {
        self.open(method).await.map(GrpcClientStreaming)
    }

    /// A server stream: the request is sent and the sending side closed at
    /// once; `recv` until `None`.
    ///
    /// # Errors
    ///
    /// As [`ThriftGrpcClient::bidi`], and encoding errors of the request.
    pub async fn server_streaming(
        &self,
        method: &str,
        request: Payload,
    ) -> crate::Result<GrpcServerStreaming> {
        let mut s = self.open(method).await?;
        s.send(&request).await?;
        s.close_send();
        Ok(GrpcServerStreaming(s))
    }

    /// A unary call of a method that does not stream: `args` are the
    /// method's arguments as the ping-pong [`Client`](crate::Client) takes
    /// them (JSON or `Value`: an object keyed by parameter name, or the one
    /// struct parameter itself; binary: the encoded `<method>_args` struct).
    /// The reply is the ping-pong one (binary: the encoded
    /// `<method>_result` struct as [`Reply::Success`]).
    ///
    /// # Errors
    ///
    /// [`Error::is_config`] for a streaming method; encoding and decoding
    /// errors; the call's status ([`Error::grpc_status`]), a business
    /// status, the deadline.
    pub async fn unary(&self, method: &str, args: Payload) -> crate::Result<Reply<Payload>> {
        let pool = self.pool();
        let service = self.find_service(&pool, method)?;
        let desc = service
            .method(method)
            .ok_or_else(|| Error::new(Kind::NotFound, format!("no method `{method}`")))?;
        if desc.streaming().is_streaming() {
            return Err(Error::config(format!(
                "`{method}` is a {} streaming method: open a stream",
                desc.streaming()
            )));
        }
        let opts = &self.cfg.options;
        let ctx = |e| Error::codec(format!("encoding the arguments of `{method}`"), e);
        let body = match args {
            Payload::Binary(b) => b,
            Payload::Json(text) => {
                let mut buf = BytesMut::new();
                call::encode_call_json(desc, text.as_bytes(), 0, Protocol::Binary, opts, &mut buf)
                    .map_err(ctx)?;
                strip_header(buf, &self.cfg.limits).map_err(ctx)?
            }
            Payload::Value(v) => {
                let mut buf = BytesMut::new();
                call::encode_call_value(desc, &v, 0, Protocol::Binary, opts, &mut buf)
                    .map_err(ctx)?;
                strip_header(buf, &self.cfg.limits).map_err(ctx)?
            }
            Payload::Proto(_) => {
                return Err(Error::config(
                    "a protobuf message cannot be sent to a Thrift method",
                ));
            }
        };
        if body.len() > self.cfg.max_message_size {
            return Err(Error::config(format!(
                "a request of {} bytes exceeds the {}-byte limit",
                body.len(),
                self.cfg.max_message_size
            )));
        }
        let path = self.path_of(service, method);
        let (tx, rx) = mpsc::channel(1);
        let _ = tx.try_send(body);
        drop(tx);
        let mut response = self.start(&path, rx)?;
        let deadline = self.cfg.timeout.map(|t| (Instant::now() + t, t));
        let read = async {
            let first = response.message().await.map_err(status_error)?;
            let first = first.ok_or_else(|| {
                Error::protocol(format!("the server sent no reply to `{method}`"))
            })?;
            if response.message().await.map_err(status_error)?.is_some() {
                return Err(Error::protocol(format!(
                    "the server sent more than one reply to `{method}`"
                )));
            }
            Ok(first)
        };
        let result = match deadline {
            Some((at, after)) => tokio::time::timeout_at(at, read)
                .await
                .map_err(|_| timed_out(method, after))??,
            None => read.await?,
        };
        let (opts, limits) = (&self.cfg.options, &self.cfg.limits);
        let ctx = |e| Error::codec(format!("decoding the result of `{method}`"), e);
        let reply = |result: &[u8]| {
            let mut msg = BytesMut::with_capacity(result.len() + method.len() + 16);
            let header = MessageHeader::new(method, MessageType::Reply, 0);
            write_message_header(Protocol::Binary, &mut msg, &header)?;
            msg.extend_from_slice(result);
            Ok::<_, anycall_codec::Error>(msg)
        };
        Ok(match self.cfg.mode {
            Mode::Binary => Reply::Success(Payload::Binary(result)),
            Mode::Json => {
                let msg = reply(&result).map_err(ctx)?;
                call::decode_reply_json(desc, &msg, Protocol::Binary, opts, limits, false)
                    .map_err(ctx)?
                    .map(Payload::Json)
            }
            Mode::Value => {
                let msg = reply(&result).map_err(ctx)?;
                call::decode_reply_value(desc, &msg, Protocol::Binary, opts, limits)
                    .map_err(ctx)?
                    .map(Payload::Value)
            }
        })
    }
}

/// The struct after the message header of `msg`.
fn strip_header(mut msg: BytesMut, limits: &Limits) -> anycall_codec::Result<Bytes> {
    let body = call::read_envelope(&msg, Protocol::Binary, limits)?.body;
    Ok(msg.split_off(body).freeze())
}

fn tokio_stream_of(
    mut rx: mpsc::Receiver<Bytes>,
) -> impl futures_util::Stream<Item = Bytes> + Send + 'static {
    stream::poll_fn(move |cx| rx.poll_recv(cx))
}

fn timed_out(method: &str, after: Duration) -> Error {
    Error::new(
        Kind::Timeout,
        format!(
            "`{method}` timed out after {}",
            crate::error::fmt_duration(after)
        ),
    )
}

/// A call's non-OK status as this crate's error: `biz-status` trailers are
/// a business status, `DEADLINE_EXCEEDED` a timeout, a failed connect a
/// connect error, anything else [`Error::grpc_status`].
#[allow(
    clippy::needless_pass_by_value,
    reason = "a map_err function over the Status results"
)]
pub(crate) fn status_error(status: Status) -> Error {
    let md = status.metadata();
    if let Some(code) = md.get("biz-status").and_then(|v| v.to_str().ok()) {
        let mut biz = match code.trim().parse::<i32>() {
            Ok(code) => BizStatus::new(code, status.message()),
            Err(_) => BizStatus::new(0, format!("{} (biz-status {code:?})", status.message())),
        };
        if let Some(extra) = md.get("biz-extra").and_then(|v| v.to_str().ok())
            && let Ok(map) = serde_json::from_str::<BTreeMap<String, String>>(extra)
        {
            biz.extra = map;
        }
        return Error::from_biz_status(biz);
    }
    let code = status.code();
    let message = format!(
        "grpc-status {} ({code:?}): {}",
        code as i32,
        status.message()
    );
    match code {
        Code::DeadlineExceeded => Error::new(Kind::Timeout, message),
        Code::Unavailable if status.message().starts_with("connecting failed") => {
            Error::new(Kind::Connect, message)
        }
        _ => Error::from_grpc_status(code as i32, message),
    }
}

/// One stream of typed messages.
#[derive(Debug)]
struct MessageStream {
    tx: Option<mpsc::Sender<Bytes>>,
    response: RawResponse,
    codec: MessageCodec,
    method: Arc<str>,
    deadline: Option<(Instant, Duration)>,
    max_message_size: usize,
    finished: bool,
}

impl MessageStream {
    fn timed_out(&mut self) -> Error {
        let after = self.deadline.map_or(Duration::ZERO, |(_, t)| t);
        self.cancel_now();
        timed_out(&self.method, after)
    }

    fn cancel_now(&mut self) {
        self.finished = true;
        self.tx = None;
        self.response.cancel();
    }

    async fn send(&mut self, message: &Payload) -> crate::Result<()> {
        let bytes = self.codec.encode(true, message)?;
        if bytes.len() > self.max_message_size {
            return Err(Error::config(format!(
                "a message of {} bytes exceeds the {}-byte limit",
                bytes.len(),
                self.max_message_size
            )));
        }
        let Some(tx) = self.tx.as_ref().filter(|_| !self.finished) else {
            return Err(Error::protocol(format!(
                "the stream of `{}` is closed for sending",
                self.method
            )));
        };
        let sent = match self.deadline {
            Some((at, _)) => match tokio::time::timeout_at(at, tx.send(bytes)).await {
                Ok(r) => r,
                Err(_) => return Err(self.timed_out()),
            },
            None => tx.send(bytes).await,
        };
        // The call is over: its status comes with the next `recv`.
        sent.map_err(|_| Error::new(Kind::Io, format!("the stream of `{}` ended", self.method)))
    }

    fn close_send(&mut self) {
        self.tx = None;
    }

    async fn recv(&mut self) -> crate::Result<Option<Payload>> {
        if self.finished {
            return Ok(None);
        }
        let next = match self.deadline {
            Some((at, _)) => match tokio::time::timeout_at(at, self.response.message()).await {
                Ok(r) => r,
                Err(_) => return Err(self.timed_out()),
            },
            None => self.response.message().await,
        };
        match next {
            Ok(Some(bytes)) => self.codec.decode(false, bytes).map(Some),
            Ok(None) => {
                self.finished = true;
                Ok(None)
            }
            Err(status) => {
                self.finished = true;
                Err(status_error(status))
            }
        }
    }
}

/// A bidirectional stream over gRPC ([`ThriftGrpcClient::bidi`]).
///
/// Dropping a stream that has not ended cancels it (`RST_STREAM`).
#[derive(Debug)]
pub struct GrpcBidiStreaming(MessageStream);

impl GrpcBidiStreaming {
    /// Sends one request message.
    ///
    /// # Errors
    ///
    /// Encoding errors, a message over the size limit, a stream closed for
    /// sending or ended by the server, the deadline.
    pub async fn send(&mut self, message: Payload) -> crate::Result<()> {
        self.0.send(&message).await
    }

    /// The next reply; `None` once the server ended with status OK.
    ///
    /// # Errors
    ///
    /// The call's non-OK status (a `biz-status` trailer as
    /// [`Error::biz_status`], `DEADLINE_EXCEEDED` as a timeout, others as
    /// [`Error::grpc_status`]), decoding
    /// errors, the deadline.
    pub async fn recv(&mut self) -> crate::Result<Option<Payload>> {
        self.0.recv().await
    }

    /// Half-closes: the server sees the end of the requests. Idempotent.
    ///
    /// # Errors
    ///
    /// None today; kept fallible like the TTHeader Streaming client's.
    pub async fn close_send(&mut self) -> crate::Result<()> {
        self.0.close_send();
        Ok(())
    }

    /// Cancels the call (`RST_STREAM` CANCEL).
    pub fn cancel(mut self) {
        self.0.cancel_now();
    }

    /// The reply headers, once the first reply (or the end) came.
    pub fn headers(&self) -> &MetadataMap {
        self.0.response.headers()
    }
}

/// A client stream over gRPC ([`ThriftGrpcClient::client_streaming`]).
#[derive(Debug)]
pub struct GrpcClientStreaming(MessageStream);

impl GrpcClientStreaming {
    /// Sends one request message.
    ///
    /// # Errors
    ///
    /// As [`GrpcBidiStreaming::send`].
    pub async fn send(&mut self, message: Payload) -> crate::Result<()> {
        self.0.send(&message).await
    }

    /// Half-closes and waits for the one reply.
    ///
    /// # Errors
    ///
    /// As [`GrpcBidiStreaming::recv`]; a protocol error when the server
    /// ended the stream without a reply or sent more than one.
    pub async fn close_and_recv(mut self) -> crate::Result<Payload> {
        self.0.close_send();
        let reply =
            self.0.recv().await?.ok_or_else(|| {
                Error::protocol("the server ended the client stream without a reply")
            })?;
        if self.0.recv().await?.is_some() {
            return Err(Error::protocol(
                "the server sent more than one reply to a client stream",
            ));
        }
        Ok(reply)
    }

    /// Cancels the call (`RST_STREAM` CANCEL).
    pub fn cancel(mut self) {
        self.0.cancel_now();
    }
}

/// A server stream over gRPC ([`ThriftGrpcClient::server_streaming`]).
#[derive(Debug)]
pub struct GrpcServerStreaming(MessageStream);

impl GrpcServerStreaming {
    /// The next reply; `None` at the end of the stream.
    ///
    /// # Errors
    ///
    /// As [`GrpcBidiStreaming::recv`].
    pub async fn recv(&mut self) -> crate::Result<Option<Payload>> {
        self.0.recv().await
    }

    /// Cancels the call (`RST_STREAM` CANCEL).
    pub fn cancel(mut self) {
        self.0.cancel_now();
    }
}

// ---------------------------------------------------------------------------
// server

/// A ping-pong Thrift server, as unary Thrift over gRPC reaches it: a whole
/// CALL message in, the reply message (or nothing, for oneway) out.
pub(crate) trait PingPong: Send + Sync {
    /// Answers one call message, `header` holding the service (`isn`) and
    /// the metainfo; `Err` for a message that cannot be read.
    fn call_message(&self, peer: SocketAddr, header: TTHeader, message: Bytes) -> UnaryFuture<'_>;
}

/// What [`PingPong::call_message`] returns: the reply message and what the
/// call left beside it.
pub(crate) type UnaryFuture<'a> =
    Pin<Box<dyn Future<Output = Result<(BytesMut, Answered), String>> + Send + 'a>>;

/// What a Thrift server answers `application/grpc+thrift` streams with.
pub(crate) struct ThriftH2 {
    idl: Option<Idl>,
    streams: Option<StreamServer>,
    unary: Arc<dyn PingPong>,
    max_message_size: usize,
}

impl ThriftH2 {
    pub(crate) fn new(
        idl: Option<Idl>,
        streams: Option<StreamServer>,
        unary: Arc<dyn PingPong>,
    ) -> Self {
        let max_message_size = streams
            .as_ref()
            .map_or(DEFAULT_MAX_MESSAGE_SIZE, StreamServer::max_message_size);
        Self {
            idl,
            streams,
            unary,
            max_message_size,
        }
    }
}

/// Counts one stream's reset by the client once, however many ways it is
/// seen (a failed request stream, a dropped response).
struct ResetOnce {
    counters: Arc<Counters>,
    seen: AtomicBool,
}

impl ResetOnce {
    fn reset(&self) {
        if !self.seen.swap(true, Ordering::Relaxed) {
            self.counters.reset_by_client();
        }
    }
}

/// Aborts a task when dropped: the handler of a stream the client reset
/// (counted as such when it had not finished).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>, Arc<ResetOnce>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if !self.0.is_finished() {
            self.1.reset();
        }
        self.0.abort();
    }
}

/// Answers one `application/grpc+thrift` stream.
pub(crate) async fn handle(
    thrift: Arc<ThriftH2>,
    req: http::Request<hyper::body::Incoming>,
    peer: SocketAddr,
) -> http::Response<tonic::body::Body> {
    let path = req.uri().path().to_owned();
    let Some((service_path, method)) = split_path(&path) else {
        return thrift_http(Status::unimplemented(format!("bad method path {path}")).into_http());
    };
    // As Kitex's server: the service is the text after the last `.`.
    let service_name = service_path.rsplit('.').next().unwrap_or(service_path);
    let service = thrift.idl.as_ref().and_then(|idl| {
        idl.pool()
            .services()
            .find(|s| s.name() == service_name)
            .map(|s| s.full_name())
    });
    let deadline = req
        .headers()
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(super::decode_timeout)
        .map(|d| Instant::now() + d);
    let grpc = tonic::server::Grpc::new(BytesCodec)
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(thrift.max_message_size)
        .max_encoding_message_size(thrift.max_message_size);
    let method = method.to_owned();
    let streaming = thrift
        .streams
        .as_ref()
        .is_some_and(|s| s.is_streaming(service.as_deref(), &method));
    let mut grpc = grpc;
    let response = if streaming {
        let svc = tower::service_fn(move |request: tonic::Request<Streaming<Bytes>>| {
            let thrift = thrift.clone();
            let service = service.clone();
            let method = method.clone();
            async move {
                let streams = thrift.streams.as_ref().expect("checked above");
                run_stream(
                    streams,
                    service.as_deref(),
                    &method,
                    request,
                    peer,
                    deadline,
                )
            }
        });
        grpc.streaming(svc, req).await
    } else {
        let service_name = service_name.to_owned();
        let svc = tower::service_fn(move |request: tonic::Request<Streaming<Bytes>>| {
            let thrift = thrift.clone();
            let method = method.clone();
            let service = service_name.clone();
            async move {
                let call = UnaryCall {
                    service: &service,
                    method: &method,
                    peer,
                    deadline,
                };
                run_unary(&*thrift.unary, call, request).await
            }
        });
        grpc.streaming(svc, req).await
    };
    thrift_http(response)
}

/// Answers with the request's content type, as Kitex does.
fn thrift_http(
    mut response: http::Response<tonic::body::Body>,
) -> http::Response<tonic::body::Body> {
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    response
}

/// A handler's error as the status that ends the stream: a business status
/// rides in `biz-status`/`biz-extra` trailers as Kitex sends it, anything
/// else is `INTERNAL` with the handler's message.
fn handler_status(err: &HandlerError) -> Status {
    match err.as_biz_status() {
        Some(biz) => biz_status(biz),
        None => Status::new(Code::Internal, err.message().to_owned()),
    }
}

/// A business status as Kitex's gRPC server sends it: `INTERNAL`, the
/// message in `grpc-message`, the code in `biz-status`, the extra map as
/// JSON in `biz-extra`.
fn biz_status(biz: &BizStatus) -> Status {
    let mut md = MetadataMap::new();
    if let Ok(v) = biz.code.to_string().parse() {
        md.insert("biz-status", v);
    }
    if !biz.extra.is_empty()
        && let Ok(text) = serde_json::to_string(&biz.extra)
        && let Ok(v) = text.parse()
    {
        md.insert("biz-extra", v);
    }
    Status::with_metadata(Code::Internal, biz.message.clone(), md)
}

/// The request header a unary call goes through the Thrift server with:
/// `isn` = the path's service, and the metainfo of the metadata as Kitex's
/// server reads it (`rpc-transit-<k>` → transient `K`, `rpc-persist-<k>` →
/// persistent `K`, the key CGI-style: upper case, `-` → `_`).
fn unary_header(service: &str, metadata: &MetadataMap) -> TTHeader {
    let mut header = TTHeader::new(1);
    header.insert_str(str_key::IDL_SERVICE_NAME.to_owned(), service.to_owned());
    for (name, value) in metadata.as_ref() {
        let Ok(value) = value.to_str() else { continue };
        let name = name.as_str();
        let prefixed = [
            (metainfo::HTTP_PREFIX_TRANSIENT, metainfo::PREFIX_TRANSIENT),
            (
                metainfo::HTTP_PREFIX_PERSISTENT,
                metainfo::PREFIX_PERSISTENT,
            ),
        ];
        for (http, ttheader) in prefixed {
            if let Some(key) = name.strip_prefix(http).filter(|k| !k.is_empty()) {
                let key = key.to_ascii_uppercase().replace('-', "_");
                header.insert_str(format!("{ttheader}{key}"), value.to_owned());
            }
        }
    }
    header
}

fn run_stream(
    streams: &StreamServer,
    service: Option<&str>,
    method: &str,
    request: tonic::Request<Streaming<Bytes>>,
    peer: SocketAddr,
    deadline: Option<Instant>,
) -> Result<tonic::Response<ByteStream>, Status> {
    let (metadata, _, mut incoming) = request.into_parts();
    let headers: BTreeMap<String, String> = metadata
        .into_headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let opened = streams
        .open(service, method, headers, peer, 0)
        .map_err(|e| Status::unimplemented(e.to_string()))?;
    let requests = opened.requests;
    let abort = opened.done.abort_handle();
    let reset = Arc::new(ResetOnce {
        counters: opened.counters,
        seen: AtomicBool::new(false),
    });
    let reset2 = reset.clone();
    // Requests flow to the handler as they come; a reset or broken request
    // stream ends the handler.
    tokio::spawn(async move {
        while let Some(item) = incoming.next().await {
            match item {
                Ok(bytes) => {
                    if requests.send(bytes).await.is_err() {
                        return;
                    }
                }
                Err(status) => {
                    tracing::debug!(%peer, %status, "thrift grpc request stream failed");
                    if !abort.is_finished() {
                        reset2.reset();
                    }
                    abort.abort();
                    return;
                }
            }
        }
    });
    let state = (opened.replies, Some(AbortOnDrop(opened.done, reset)));
    let replies = stream::unfold(state, |(mut replies, done)| async move {
        if let Some(bytes) = replies.recv().await {
            return Some((Ok(bytes), (replies, done)));
        }
        let mut done = done?;
        let status = match (&mut done.0).await {
            Ok(Some(Ok(()))) => return None,
            Ok(Some(Err(err))) => handler_status(&err),
            Ok(None) => Status::deadline_exceeded("stream timeout on the server"),
            Err(e) if e.is_cancelled() => Status::cancelled("the stream was cancelled"),
            Err(e) => Status::internal(format!("the stream handler failed: {e}")),
        };
        Some((Err(status), (replies, None)))
    });
    let replies: ByteStream = Box::pin(replies);
    let replies = match deadline {
        Some(at) => with_deadline(replies, at),
        None => replies,
    };
    Ok(tonic::Response::new(replies))
}

/// What a unary Thrift-over-gRPC call is, beside its message.
struct UnaryCall<'a> {
    service: &'a str,
    method: &'a str,
    peer: SocketAddr,
    deadline: Option<Instant>,
}

async fn run_unary(
    unary: &dyn PingPong,
    call: UnaryCall<'_>,
    request: tonic::Request<Streaming<Bytes>>,
) -> Result<tonic::Response<ByteStream>, Status> {
    let UnaryCall {
        service,
        method,
        peer,
        deadline,
    } = call;
    let (metadata, _, mut incoming) = request.into_parts();
    let header = unary_header(service, &metadata);
    let args = incoming.next().await.ok_or_else(|| {
        Status::invalid_argument(format!("`{method}` takes one request message"))
    })??;
    if matches!(incoming.next().await, Some(Ok(_))) {
        return Err(Status::invalid_argument(format!(
            "`{method}` takes one request message"
        )));
    }
    let mut call = BytesMut::with_capacity(args.len() + method.len() + 16);
    write_message_header(
        Protocol::Binary,
        &mut call,
        &MessageHeader::new(method, MessageType::Call, 1),
    )
    .map_err(|e| Status::invalid_argument(e.to_string()))?;
    call.extend_from_slice(&args);
    let answer = unary.call_message(peer, header, call.freeze());
    let (reply, answered) = match deadline {
        Some(at) => tokio::time::timeout_at(at, answer)
            .await
            .map_err(|_| Status::deadline_exceeded("deadline exceeded"))?,
        None => answer.await,
    }
    .map_err(Status::invalid_argument)?;
    if let Some(biz) = answered.biz_status {
        return Err(biz_status(&biz));
    }
    if reply.is_empty() {
        return Err(Status::unimplemented(format!(
            "`{method}` is oneway: Thrift over gRPC carries two-way calls only"
        )));
    }
    let (message_type, body_at) = {
        let env = call::read_envelope(&reply, Protocol::Binary, &Limits::default())
            .map_err(|e| Status::internal(format!("reading the reply: {e}")))?;
        (env.header.message_type, env.body)
    };
    let body = reply.freeze().slice(body_at..);
    if message_type == MessageType::Exception {
        let mut r = ProtocolReader::new(Protocol::Binary, &body, Limits::default());
        let ex = TApplicationException::read(&mut r)
            .map_err(|e| Status::internal(format!("reading the exception: {e}")))?;
        let code = if ex.kind() == TApplicationExceptionType::UNKNOWN_METHOD {
            Code::Unimplemented
        } else {
            Code::Internal
        };
        return Err(Status::new(code, ex.message().to_owned()));
    }
    let one: ByteStream = Box::pin(stream::iter([Ok(body)]));
    Ok(tonic::Response::new(one))
}
