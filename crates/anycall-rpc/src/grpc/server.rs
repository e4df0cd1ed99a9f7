//! The catch-all gRPC server: every method of the pool through one handler,
//! plus server reflection (v1 and v1alpha).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anycall_codec::proto::ProtoOptions;
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt as _, stream};
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost_reflect::{DescriptorPool, MethodDescriptor};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tonic::codec::{CompressionEncoding, Streaming};
use tower::util::BoxCloneSyncService;

use super::codec::BytesCodec;
use super::{
    CallKind, DEFAULT_MAX_MESSAGE_SIZE, GrpcMode, MessageStream, MetadataMap, ProtoIdl, Status,
    bytes_to_payload, decode_timeout, find_method, payload_to_bytes, split_path,
};
use crate::Payload;
use crate::error::{Error, Result};
use crate::limits::TimedIo;

/// How long a shutdown waits for open calls and streams of a connection.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP/2 receive window of each stream a server accepts (256 KiB).
pub const H2_STREAM_WINDOW: u32 = 256 << 10;
/// The HTTP/2 receive window of each connection a server accepts (16 MiB):
/// what one connection may have buffered unread.
pub const H2_CONNECTION_WINDOW: u32 = 16 << 20;

/// One incoming call, as a handler sees it.
#[derive(Debug, Clone)]
pub struct GrpcCall {
    /// The full service name (`pkg.Service`).
    pub service: String,
    /// The method name.
    pub method: String,
    /// The method's descriptor.
    pub descriptor: MethodDescriptor,
    /// The call kind, from the descriptor.
    pub kind: CallKind,
    /// The request metadata (custom headers).
    pub metadata: MetadataMap,
    /// The caller's address.
    pub peer: Option<SocketAddr>,
}

/// A handler's answer: reply messages and metadata.
pub struct GrpcReply {
    /// The reply messages; an `Err` item ends the call with that status.
    pub messages: MessageStream,
    /// Reply headers (custom metadata).
    pub metadata: MetadataMap,
}

impl std::fmt::Debug for GrpcReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcReply")
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

impl GrpcReply {
    /// A reply of one message.
    pub fn one(message: Payload) -> Self {
        Self::many(vec![message])
    }

    /// A reply of the given messages, in order.
    pub fn many(messages: Vec<Payload>) -> Self {
        Self {
            messages: Box::pin(stream::iter(messages.into_iter().map(Ok))),
            metadata: MetadataMap::new(),
        }
    }

    /// A reply streaming `messages`.
    pub fn stream(messages: MessageStream) -> Self {
        Self {
            messages,
            metadata: MetadataMap::new(),
        }
    }
}

/// What a gRPC server runs for each call: `(call, stream of requests) →
/// stream of replies`, the same shape for the four kinds.
///
/// Requests arrive in the server's [`GrpcMode`]; replies may be in any mode
/// (JSON and dynamic replies are encoded with the method's output type).
pub trait GrpcHandler: Send + Sync + 'static {
    /// Handles one call.
    fn call(
        &self,
        call: GrpcCall,
        requests: MessageStream,
    ) -> impl Future<Output = Result<GrpcReply, Status>> + Send;
}

/// Builds a [`GrpcServer`].
#[derive(Debug)]
pub struct GrpcServerBuilder {
    idl: ProtoIdl,
    mode: GrpcMode,
    options: ProtoOptions,
    max_message_size: usize,
    reflection: bool,
}

impl GrpcServerBuilder {
    /// The form requests are handed to the handler in (default
    /// [`GrpcMode::Json`]).
    pub fn mode(mut self, mode: GrpcMode) -> Self {
        self.mode = mode;
        self
    }

    /// JSON options (default: the proto3 JSON mapping's).
    pub fn options(mut self, options: ProtoOptions) -> Self {
        self.options = options;
        self
    }

    /// Largest message received or sent (default 4 MiB).
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max;
        self
    }

    /// Serve reflection v1 and v1alpha (default on).
    pub fn reflection(mut self, on: bool) -> Self {
        self.reflection = on;
        self
    }

    /// Builds the server around `handler`.
    ///
    /// # Errors
    ///
    /// [`Error::is_config`] when the reflection service cannot be built from
    /// the pool.
    pub fn build<H: GrpcHandler>(self, handler: H) -> Result<GrpcServer> {
        let reflection = if self.reflection {
            Some(std::sync::Mutex::new(Reflection::new(self.idl.pool())?))
        } else {
            None
        };
        Ok(GrpcServer {
            shared: Arc::new(Shared {
                handler: Box::new(handler),
                idl: self.idl,
                mode: self.mode,
                options: self.options,
                max_message_size: self.max_message_size,
                reflection,
            }),
        })
    }
}

type HttpService = BoxCloneSyncService<
    http::Request<hyper::body::Incoming>,
    http::Response<tonic::body::Body>,
    Infallible,
>;

/// The reflection services of one pool; built again when a hot swap
/// ([`ProtoIdl::Provider`]) brings another pool.
struct Reflection {
    pool: DescriptorPool,
    v1: HttpService,
    v1alpha: HttpService,
}

impl Reflection {
    fn new(pool: DescriptorPool) -> Result<Self> {
        let (v1, v1alpha) = reflection_services(&pool)?;
        Ok(Self { pool, v1, v1alpha })
    }

    /// The service for `path` (v1 or v1alpha) over `current`, rebuilding both
    /// when `current` is not the pool they were built from. A pool that cannot
    /// be served keeps the previous services.
    fn service(&mut self, current: DescriptorPool, v1: bool) -> HttpService {
        if current != self.pool {
            match Self::new(current) {
                Ok(fresh) => *self = fresh,
                Err(e) => tracing::warn!("reflection keeps the previous descriptors: {e}"),
            }
        }
        if v1 {
            self.v1.clone()
        } else {
            self.v1alpha.clone()
        }
    }
}

fn reflection_services(pool: &DescriptorPool) -> Result<(HttpService, HttpService)> {
    let set = prost_types::FileDescriptorSet {
        file: pool.file_descriptor_protos().cloned().collect(),
    };
    let v1 = tonic_reflection::server::Builder::configure()
        .register_file_descriptor_set(set.clone())
        .build_v1()
        .map_err(|e| Error::config(format!("building the reflection service: {e}")))?;
    let v1alpha = tonic_reflection::server::Builder::configure()
        .register_file_descriptor_set(set)
        .build_v1alpha()
        .map_err(|e| Error::config(format!("building the reflection service: {e}")))?;
    Ok((
        BoxCloneSyncService::new(v1),
        BoxCloneSyncService::new(v1alpha),
    ))
}

/// Object-safe form of [`GrpcHandler`].
trait DynHandler: Send + Sync {
    fn call_dyn(
        &self,
        call: GrpcCall,
        requests: MessageStream,
    ) -> Pin<Box<dyn Future<Output = Result<GrpcReply, Status>> + Send + '_>>;
}

impl<H: GrpcHandler> DynHandler for H {
    fn call_dyn(
        &self,
        call: GrpcCall,
        requests: MessageStream,
    ) -> Pin<Box<dyn Future<Output = Result<GrpcReply, Status>> + Send + '_>> {
        Box::pin(self.call(call, requests))
    }
}

struct Shared {
    handler: Box<dyn DynHandler>,
    idl: ProtoIdl,
    mode: GrpcMode,
    options: ProtoOptions,
    max_message_size: usize,
    reflection: Option<std::sync::Mutex<Reflection>>,
}

/// A catch-all gRPC server: answers every method of its `.proto` pool
/// through one [`GrpcHandler`], and server reflection.
///
/// Serve it alone with [`bind`](GrpcServer::bind)/[`serve`](GrpcServer::serve),
/// or hand it to [`ServerBuilder::grpc`](crate::ServerBuilder::grpc) so the
/// Thrift server answers gRPC on the same port.
#[derive(Clone)]
pub struct GrpcServer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for GrpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcServer")
            .field("mode", &self.shared.mode)
            .field("reflection", &self.shared.reflection.is_some())
            .finish_non_exhaustive()
    }
}

/// A running standalone gRPC server; dropping it stops accepting.
#[derive(Debug)]
pub struct GrpcServerHandle {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl GrpcServerHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets calls in flight finish, then returns.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for GrpcServerHandle {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

impl GrpcServer {
    /// A builder serving the services of `idl`.
    pub fn builder(idl: impl Into<ProtoIdl>) -> GrpcServerBuilder {
        GrpcServerBuilder {
            idl: idl.into(),
            mode: GrpcMode::Json,
            options: ProtoOptions::default(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            reflection: true,
        }
    }

    /// Binds `addr` and serves gRPC only.
    ///
    /// # Errors
    ///
    /// [`Error::is_io`] when the address cannot be bound.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> Result<GrpcServerHandle> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::io("binding the server address", e))?;
        self.serve(listener)
    }

    /// Answers one Kitex Protobuf unary call (see [`kitexpb`](super::kitexpb)):
    /// the method is looked up in `service` when given, else by a name only
    /// one service of the pool has.
    pub(crate) async fn kitex_unary(
        &self,
        service: Option<&str>,
        method: &str,
        body: Bytes,
        peer: SocketAddr,
    ) -> std::result::Result<Bytes, Status> {
        let shared = &self.shared;
        let pool = shared.idl.pool();
        // Kitex sends the IDL service name without its package.
        let full = service.and_then(|name| {
            let mut named = pool
                .services()
                .filter(|s| s.full_name() == name || s.name() == name);
            match (named.next(), named.next()) {
                (Some(s), None) => Some(s.full_name().to_owned()),
                _ => None,
            }
        });
        let descriptor = match full.as_deref().or(service) {
            Some(service) => find_method(&pool, service, method)?,
            None => {
                let mut found = pool
                    .services()
                    .filter(|s| !s.full_name().starts_with("grpc.reflection."))
                    .filter_map(|s| s.methods().find(|m| m.name() == method));
                match (found.next(), found.next()) {
                    (Some(m), None) => m,
                    (None, _) => {
                        return Err(Status::unimplemented(format!(
                            "no service of the .proto has a method `{method}`"
                        )));
                    }
                    (Some(a), Some(b)) => {
                        return Err(Status::unimplemented(format!(
                            "`{method}` is a method of {} and {}: send the service name (TTHeader `isn`)",
                            a.parent_service().full_name(),
                            b.parent_service().full_name()
                        )));
                    }
                }
            }
        };
        let kind = CallKind::of(&descriptor);
        if kind != CallKind::Unary {
            return Err(Status::unimplemented(format!(
                "Kitex Protobuf carries unary calls only; `{method}` is {}",
                kind.name()
            )));
        }
        let request = bytes_to_payload(
            body,
            shared.mode,
            Some(&descriptor.input()),
            &shared.options,
        )
        .map_err(|s| Status::invalid_argument(s.message().to_owned()))?;
        let call = GrpcCall {
            service: descriptor.parent_service().full_name().to_owned(),
            method: descriptor.name().to_owned(),
            kind,
            descriptor: descriptor.clone(),
            metadata: MetadataMap::new(),
            peer: Some(peer),
        };
        let reply = shared
            .handler
            .call_dyn(call, Box::pin(stream::iter([Ok(request)])))
            .await?;
        let mut messages = reply.messages;
        let first = messages
            .next()
            .await
            .ok_or_else(|| Status::internal("the handler sent no reply to a unary call"))??;
        payload_to_bytes(first, Some(&descriptor.output()), &shared.options)
    }

    /// Serves gRPC connections from `listener`.
    ///
    /// # Errors
    ///
    /// [`Error::is_io`] when the listener has no address.
    pub fn serve(self, listener: TcpListener) -> Result<GrpcServerHandle> {
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the listener address", e))?;
        let (tx, mut rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let accepted = tokio::select! {
                    _ = rx.wait_for(|s| *s) => break,
                    a = listener.accept() => a,
                };
                let Ok((stream, peer)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let server = self.clone();
                let shutdown = rx.clone();
                let stream = TimedIo::new(
                    stream,
                    crate::limits::DEFAULT_WRITE_TIMEOUT,
                    crate::limits::DEFAULT_SERVER_IDLE_TIMEOUT,
                );
                conns.spawn(async move {
                    server
                        .serve_connection(stream, BytesMut::new(), peer, shutdown)
                        .await;
                });
            }
            while conns.join_next().await.is_some() {}
        });
        Ok(GrpcServerHandle {
            local_addr,
            shutdown: tx,
            task: Some(task),
        })
    }

    /// Serves one HTTP/2 connection whose first bytes (`read`) were already
    /// read from `stream`, until it closes or `shutdown` turns true.
    pub(crate) async fn serve_connection(
        &self,
        stream: TimedIo<TcpStream>,
        read: BytesMut,
        peer: SocketAddr,
        shutdown: watch::Receiver<bool>,
    ) {
        serve_h2(Some(self), None, stream, read, peer, shutdown).await;
    }
}

/// Serves one HTTP/2 connection whose first bytes (`read`) were already read
/// from `stream`, until it closes or `shutdown` turns true: protobuf gRPC
/// with `proto`, Thrift over gRPC (`application/grpc+thrift`) with `thrift`.
pub(crate) async fn serve_h2(
    proto: Option<&GrpcServer>,
    thrift: Option<super::thrift::ThriftH2>,
    stream: TimedIo<TcpStream>,
    read: BytesMut,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.get_ref().set_nodelay(true);
    let io = Rewind {
        prefix: read.freeze(),
        inner: stream,
    };
    let proto = proto.map(|p| p.shared.clone());
    let thrift = thrift.map(Arc::new);
    let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let proto = proto.clone();
        let thrift = thrift.clone();
        async move {
            let is_thrift = req
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(super::thrift::is_thrift_content_type);
            let response = match (is_thrift, thrift, proto) {
                (true, Some(thrift), _) => super::thrift::handle(thrift, req, peer).await,
                (false, _, Some(proto)) => handle(proto, req, peer).await,
                (true, None, _) => Status::unimplemented(
                    "this server has no Thrift IDL for application/grpc+thrift",
                )
                .into_http(),
                (false, _, None) => {
                    Status::unimplemented("this server has no .proto for protobuf gRPC").into_http()
                }
            };
            Ok::<_, Infallible>(response)
        }
    });
    // h2 closes a connection (ENHANCE_YOUR_CALM) when the small DATA frames
    // it holds unread cost more than half the connection window. A stream
    // window well under that half keeps a client that sends many small
    // messages faster than a handler reads them (Kitex sends one frame per
    // message) within it, back-pressured instead.
    let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONNECTION_WINDOW)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(%peer, error = %err, "grpc connection failed");
            }
        }
        () = async { let _ = shutdown.wait_for(|s| *s).await; } => {
            conn.as_mut().graceful_shutdown();
            // Streams may never end on their own: drain with a deadline.
            if tokio::time::timeout(DRAIN_TIMEOUT, conn).await.is_err() {
                tracing::debug!(%peer, "grpc connection closed with streams open");
            }
        }
    }
    tracing::debug!(%peer, "grpc connection closed");
}

async fn handle(
    shared: Arc<Shared>,
    req: http::Request<hyper::body::Incoming>,
    peer: SocketAddr,
) -> http::Response<tonic::body::Body> {
    let path = req.uri().path().to_owned();
    let version = if path.starts_with("/grpc.reflection.v1.ServerReflection/") {
        Some(true)
    } else if path.starts_with("/grpc.reflection.v1alpha.ServerReflection/") {
        Some(false)
    } else {
        None
    };
    let reflection = version.zip(shared.reflection.as_ref()).map(|(v1, r)| {
        r.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .service(shared.idl.pool(), v1)
    });
    if let Some(mut svc) = reflection {
        use tower::{Service as _, ServiceExt as _};
        return match svc.ready().await {
            Ok(svc) => match svc.call(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            },
            Err(never) => match never {},
        };
    }
    let pool = shared.idl.pool();
    let found = split_path(&path)
        .ok_or_else(|| Status::unimplemented(format!("bad method path {path}")))
        .and_then(|(s, m)| find_method(&pool, s, m));
    let descriptor = match found {
        Ok(d) => d,
        Err(status) => return status.into_http(),
    };
    let deadline = req
        .headers()
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(decode_timeout)
        .map(|d| Instant::now() + d);
    let mut grpc = tonic::server::Grpc::new(BytesCodec)
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(shared.max_message_size)
        .max_encoding_message_size(shared.max_message_size);
    let svc = tower::service_fn(move |request: tonic::Request<Streaming<Bytes>>| {
        let shared = shared.clone();
        let descriptor = descriptor.clone();
        async move { run_call(shared, descriptor, request, peer, deadline).await }
    });
    grpc.streaming(svc, req).await
}

pub(crate) type ByteStream =
    Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, Status>> + Send>>;

async fn run_call(
    shared: Arc<Shared>,
    descriptor: MethodDescriptor,
    request: tonic::Request<Streaming<Bytes>>,
    peer: SocketAddr,
    deadline: Option<Instant>,
) -> Result<tonic::Response<ByteStream>, Status> {
    let (metadata, _, mut incoming) = request.into_parts();
    let input = descriptor.input();
    let (mode, options) = (shared.mode, shared.options);
    let decode = move |r: Result<Bytes, Status>| {
        r.and_then(|bytes| {
            bytes_to_payload(bytes, mode, Some(&input), &options)
                .map_err(|s| Status::invalid_argument(s.message().to_owned()))
        })
    };
    let requests: MessageStream = if descriptor.is_client_streaming() {
        Box::pin(incoming.map(decode))
    } else {
        // One request: read the body to its end before the handler runs. A
        // reply sent while the request stream is still open makes h2 reset
        // the stream, and h2 ends the connection after 1024 such resets.
        let first = incoming.next().await;
        if matches!(first, Some(Ok(_))) && matches!(incoming.next().await, Some(Ok(_))) {
            return Err(Status::invalid_argument(format!(
                "{} takes one request message",
                descriptor.full_name()
            )));
        }
        Box::pin(stream::iter(first.map(decode)))
    };
    let call = GrpcCall {
        service: descriptor.parent_service().full_name().to_owned(),
        method: descriptor.name().to_owned(),
        kind: CallKind::of(&descriptor),
        descriptor: descriptor.clone(),
        metadata,
        peer: Some(peer),
    };
    let reply = shared.handler.call_dyn(call, requests);
    let reply = match deadline {
        Some(at) => tokio::time::timeout_at(at, reply)
            .await
            .map_err(|_| Status::deadline_exceeded("deadline exceeded"))??,
        None => reply.await?,
    };
    let output = descriptor.output();
    let unary = !descriptor.is_server_streaming();
    let encoded = reply
        .messages
        .map(move |r| r.and_then(|p| payload_to_bytes(p, Some(&output), &options)));
    // A unary reply is exactly one message.
    let encoded: ByteStream = if unary {
        Box::pin(one_message(Box::pin(encoded)))
    } else {
        Box::pin(encoded)
    };
    let encoded = match deadline {
        Some(at) => with_deadline(encoded, at),
        None => encoded,
    };
    let mut response = tonic::Response::new(encoded);
    *response.metadata_mut() = reply.metadata;
    Ok(response)
}

/// Ends a stream with `DEADLINE_EXCEEDED` once `at` passes.
pub(crate) fn with_deadline(inner: ByteStream, at: Instant) -> ByteStream {
    Box::pin(stream::unfold(Some(inner), move |state| async move {
        let mut inner = state?;
        match tokio::time::timeout_at(at, inner.next()).await {
            Ok(Some(item)) => Some((item, Some(inner))),
            Ok(None) => None,
            Err(_) => Some((Err(Status::deadline_exceeded("deadline exceeded")), None)),
        }
    }))
}

/// Passes the first message and refuses a second, for unary replies.
fn one_message(inner: ByteStream) -> impl futures_util::Stream<Item = Result<Bytes, Status>> {
    stream::unfold((inner, 0u8), |(mut inner, seen)| async move {
        if seen == 2 {
            return None;
        }
        match inner.next().await {
            Some(Ok(bytes)) if seen == 0 => Some((Ok(bytes), (inner, 1))),
            Some(Ok(_)) => Some((
                Err(Status::internal(
                    "the handler sent more than one reply to a unary call",
                )),
                (inner, 2),
            )),
            Some(Err(status)) => Some((Err(status), (inner, 2))),
            None if seen == 0 => Some((
                Err(Status::internal(
                    "the handler sent no reply to a unary call",
                )),
                (inner, 2),
            )),
            None => None,
        }
    })
}

/// A TCP stream whose first bytes were already read: they are read again
/// first.
struct Rewind {
    prefix: Bytes,
    inner: TimedIo<TcpStream>,
}

impl AsyncRead for Rewind {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            let chunk = self.prefix.split_to(n);
            buf.put_slice(&chunk);
            return std::task::Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
