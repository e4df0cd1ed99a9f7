//! The generic server: accept, detect the transport per connection, decode,
//! dispatch to a [`Handler`] in the server's [`Mode`], reply in the
//! transport and protocol the request came in.
//!
//! Per connection:
//!
//! ```text
//! accept (max connections) -> detect from the first bytes (Buffered binary/compact,
//!   Framed, TTHeader, Apache THeader; gRPC and TTHeader Streaming are refused) -> loop {
//!     read a frame (header timeout for the first, idle timeout after; max frame
//!     size; a bad frame closes the connection and is logged, rate-limited per
//!     peer) -> hold its bytes in the in-flight budget -> message header -> route
//!     (`Service:method`, else isn, else unique method name) -> decode arguments
//!     -> handler -> [oneway method: no reply] -> encode reply, echo seq ids ->
//!     hold the reply's bytes -> write it (write timeout)
//! }
//! ```
//!
//! The bounds are one [`ServerLimits`] value (module [`limits`](crate::limits)).
//!
//! Requests on one connection are handled one after another; replies keep
//! their order.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anycall_codec::call::{self, Reply};
use anycall_codec::frame::ttheader::str_key;
use anycall_codec::frame::{Detected, Frame, TTHeader, Transport, detect};
use anycall_codec::thrift::{
    self, MessageType, Protocol, TApplicationException, TApplicationExceptionType, protocol_of,
};
use anycall_codec::{Limits, Options, Value};
use anycall_idl::{MethodDescriptor, Pool};
use bytes::BytesMut;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinHandle;
use tokio::time::timeout_at;

use crate::biz::BizStatus;
use crate::client::MULTIPLEX_SEPARATOR;
use crate::conn::{BUF_CAPACITY, BUF_KEEP, Conn, ReadError, encode_frame, frame_decoder};
use crate::error::{Error, Result};
use crate::limits::{Budget, Stalled, TimedIo, listen};
pub use crate::limits::{DEFAULT_MAX_CONNECTIONS, DEFAULT_SERVER_IDLE_TIMEOUT, ServerLimits};
use crate::metrics::Registry;
use crate::payload::{Idl, Metainfo, Payload};
use crate::server_metrics::{Closed, ServerMetrics};
use crate::warn::WarnLimiter;

/// The form in which a server hands requests to its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Whole messages ([`Payload::Binary`]) in and out; needs no IDL and
    /// also serves Buffered connections.
    Binary,
    /// Arguments and results as JSON text ([`Payload::Json`]); needs an IDL.
    Json,
    /// Arguments and results as [`Value`] ([`Payload::Value`]); needs an IDL.
    Value,
}

/// What a handler knows about the call it serves, and where it puts
/// backward metainfo.
#[derive(Debug, Clone)]
pub struct Context {
    service: Option<String>,
    /// Shared with the handler call, which takes it beside `&mut Context`.
    method: Arc<str>,
    seq_id: i32,
    peer: SocketAddr,
    transport: Transport,
    protocol: Protocol,
    oneway: bool,
    metainfo: Metainfo,
    header: Option<TTHeader>,
    biz_status: Option<BizStatus>,
}

impl Context {
    /// The IDL service serving the call (JSON and `Value` modes), or the
    /// service named by a multiplexed `Service:method` name or the
    /// request's `isn` key (binary mode).
    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// The method name from the message header, without the `Service:`
    /// of a multiplexed name.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request's seq id (the reply echoes it).
    pub fn seq_id(&self) -> i32 {
        self.seq_id
    }

    /// The caller's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The transport the request came in (the reply uses it too).
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The protocol the request came in (the reply uses it too).
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Whether no reply is sent: the IDL method is oneway (or, without one,
    /// the message is a ONEWAY).
    pub fn is_oneway(&self) -> bool {
        self.oneway
    }

    /// The request's transient and persistent metainfo, and the backward
    /// values set so far.
    pub fn metainfo(&self) -> &Metainfo {
        &self.metainfo
    }

    /// A transient metainfo value from the request.
    pub fn transient(&self, key: &str) -> Option<&str> {
        self.metainfo.transient.get(key).map(String::as_str)
    }

    /// A persistent metainfo value from the request.
    pub fn persistent(&self, key: &str) -> Option<&str> {
        self.metainfo.persistent.get(key).map(String::as_str)
    }

    /// Sets a backward metainfo value, sent in the reply's TTHeader (as a raw
    /// key, like Kitex); ignored on transports without TTHeader.
    pub fn set_backward(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.metainfo.backward.insert(key.into(), value.into());
    }

    /// The request's TTHeader, if it came with one, or its Apache THeader
    /// in the same model ([`Context::transport`] tells which).
    pub fn header(&self) -> Option<&TTHeader> {
        self.header.as_ref()
    }

    /// Sends a business status error in the reply's TTHeader beside
    /// whatever the handler returns (a proxy passing one on uses this; a
    /// handler that fails with one returns [`HandlerError::biz_status`]).
    /// Ignored on transports without TTHeader.
    pub fn set_biz_status(&mut self, biz: BizStatus) {
        self.biz_status = Some(biz);
    }
}

/// An undeclared handler failure: the caller gets a `TApplicationException`
/// of type INTERNAL_ERROR (6) with this message, or a business status
/// error ([`HandlerError::biz_status`]).
///
/// Any `std::error::Error` converts into it, so `?` works in handlers.
pub struct HandlerError {
    kind: TApplicationExceptionType,
    message: String,
    biz_status: Option<BizStatus>,
    /// The `kind` label of `anycall_server_errors_total`.
    metric: &'static str,
}

impl HandlerError {
    /// An INTERNAL_ERROR with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            kind: TApplicationExceptionType::INTERNAL_ERROR,
            message: message.into(),
            biz_status: None,
            metric: "handler",
        }
    }

    /// An INTERNAL_ERROR with `message` for a call the handler could not
    /// pass on because a server it depends on could not be reached or
    /// failed on the wire (a proxy's upstream); counted apart, with the
    /// `kind` label `upstream`, in `anycall_server_errors_total`.
    pub fn upstream(message: impl Into<String>) -> Self {
        Self {
            metric: "upstream",
            ..Self::new(message)
        }
    }

    /// A business status error, as Kitex's `kerrors.NewBizStatusError`: on
    /// the TTHeader transports the reply is a REPLY with an empty result
    /// and `biz-status`, `biz-message` and `biz-extra` in its header. The
    /// other transports have no header to carry it, so the caller gets an
    /// INTERNAL_ERROR `TApplicationException` with the status as its
    /// message instead of an empty reply it would read as success.
    pub fn biz_status(biz: BizStatus) -> Self {
        Self {
            kind: TApplicationExceptionType::INTERNAL_ERROR,
            message: biz.to_string(),
            biz_status: Some(biz),
            metric: "biz_status",
        }
    }

    /// A `TApplicationException` of `kind` with `message`.
    pub fn application(kind: TApplicationExceptionType, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            biz_status: None,
            metric: "handler",
        }
    }

    /// The exception type sent to the caller.
    pub fn kind(&self) -> TApplicationExceptionType {
        self.kind
    }

    /// The message sent to the caller.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The business status error, when this is one.
    pub fn as_biz_status(&self) -> Option<&BizStatus> {
        self.biz_status.as_ref()
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(err: E) -> Self {
        Self::new(err.to_string())
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("biz_status", &self.biz_status)
            .finish()
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Serves calls. One value serves every connection, so it is shared
/// (`&self`); calls are not boxed.
///
/// The payload and the returned payloads are in the server's [`Mode`]:
/// JSON servers get and return [`Payload::Json`], `Value` servers
/// [`Payload::Value`], binary servers [`Payload::Binary`] (a whole message
/// in; a whole REPLY or EXCEPTION message out, whose seq id the server sets).
/// Return [`Reply::Exception`] for a declared exception,
/// [`Reply::Application`] for a `TApplicationException` of your choosing,
/// and `Err` for anything else (INTERNAL_ERROR).
///
/// ```
/// use anycall_codec::call::Reply;
/// use anycall_rpc::{Context, Handler, HandlerError, Payload};
///
/// struct Echo;
///
/// impl Handler for Echo {
///     async fn call(&self, _ctx: &mut Context, _method: &str, args: Payload)
///         -> Result<Reply<Payload>, HandlerError> {
///         Ok(Reply::Success(args))
///     }
/// }
/// ```
pub trait Handler: Send + Sync + 'static {
    /// Serves one call of `method`.
    fn call(
        &self,
        ctx: &mut Context,
        method: &str,
        payload: Payload,
    ) -> impl Future<Output = Result<Reply<Payload>, HandlerError>> + Send;
}

impl<H: Handler> Handler for Arc<H> {
    fn call(
        &self,
        ctx: &mut Context,
        method: &str,
        payload: Payload,
    ) -> impl Future<Output = Result<Reply<Payload>, HandlerError>> + Send {
        H::call(self, ctx, method, payload)
    }
}

/// Counters of a running server, for logs and CLIs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls handed to the handler.
    pub calls: u64,
    /// Calls answered with a `TApplicationException` (handler errors,
    /// unknown methods, undecodable arguments), and failed oneway calls.
    pub errors: u64,
    /// Connections accepted since start.
    pub connections: u64,
    /// Connections open now.
    pub active_connections: u64,
    /// Connections closed because of a bad, truncated or oversize frame or
    /// an unrecognised protocol.
    pub bad_frames: u64,
    /// Connections refused because `max_connections` were open.
    pub rejected_connections: u64,
    /// Connections closed because a reply was not read within the write
    /// timeout.
    pub write_timeouts: u64,
    /// Connections closed because no whole first request came within the
    /// header timeout.
    pub header_timeouts: u64,
    /// Connections closed by the idle timeout.
    pub idle_timeouts: u64,
}

#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    errors: AtomicU64,
    connections: AtomicU64,
    active_connections: AtomicU64,
    bad_frames: AtomicU64,
    rejected_connections: AtomicU64,
    write_timeouts: AtomicU64,
    header_timeouts: AtomicU64,
    idle_timeouts: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> Stats {
        Stats {
            calls: self.calls.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
            active_connections: self.active_connections.load(Ordering::Relaxed),
            bad_frames: self.bad_frames.load(Ordering::Relaxed),
            rejected_connections: self.rejected_connections.load(Ordering::Relaxed),
            write_timeouts: self.write_timeouts.load(Ordering::Relaxed),
            header_timeouts: self.header_timeouts.load(Ordering::Relaxed),
            idle_timeouts: self.idle_timeouts.load(Ordering::Relaxed),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Builds a server; every setter names its default.
#[derive(Debug, Clone)]
#[must_use = "call `serve` or `bind` to run the server"]
pub struct ServerBuilder {
    mode: Mode,
    idl: Option<Idl>,
    services: Option<Vec<String>>,
    bounds: ServerLimits,
    options: Options,
    limits: Limits,
    registry: Option<Registry>,
    #[cfg(feature = "grpc")]
    grpc: Option<crate::grpc::GrpcServer>,
    streams: Option<crate::ttstream::StreamServer>,
}

/// Entry point: [`Server::builder`].
#[derive(Debug)]
pub struct Server {
    _private: (),
}

impl Server {
    /// Starts a builder for a server in `mode`.
    pub fn builder(mode: Mode) -> ServerBuilder {
        ServerBuilder {
            mode,
            idl: None,
            services: None,
            bounds: ServerLimits::default(),
            options: Options::default(),
            limits: Limits::default(),
            registry: None,
            #[cfg(feature = "grpc")]
            grpc: None,
            streams: None,
        }
    }
}

impl ServerBuilder {
    /// The IDL whose services are served. Required for [`Mode::Json`] and
    /// [`Mode::Value`]; optional for [`Mode::Binary`], where it only tells
    /// which methods are oneway. Default: none.
    pub fn idl(mut self, idl: impl Into<Idl>) -> Self {
        self.idl = Some(idl.into());
        self
    }

    /// Serves only these services of the IDL. Default: every service in
    /// the pool.
    pub fn services<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.services = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Every per-connection and server-wide bound at once. Default
    /// [`ServerLimits::default`].
    pub fn server_limits(mut self, bounds: ServerLimits) -> Self {
        self.bounds = bounds;
        self
    }

    /// Largest frame (or Buffered message) accepted; a larger one closes the
    /// connection. Default 16 MiB.
    pub fn max_frame_size(mut self, max: usize) -> Self {
        self.bounds.max_frame_size = max;
        self
    }

    /// Connections served at once; more are accepted and closed at once.
    /// Default [`DEFAULT_MAX_CONNECTIONS`] (10,000).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.bounds.max_connections = max;
        self
    }

    /// How long a connection may take from the end of one reply to the end
    /// of the next request frame (not restarted by each byte) before it is
    /// closed. Default [`DEFAULT_SERVER_IDLE_TIMEOUT`] (10 minutes).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.bounds.idle_timeout = timeout;
        self
    }

    /// How long a new connection may take to send its first whole request
    /// (transport detection included; not restarted by each byte). Default
    /// [`DEFAULT_HEADER_TIMEOUT`](crate::limits::DEFAULT_HEADER_TIMEOUT) (10 s).
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.bounds.header_timeout = timeout;
        self
    }

    /// How long a reply may wait for the peer to read it; past it the
    /// connection is closed and its buffers freed. Default
    /// [`DEFAULT_WRITE_TIMEOUT`](crate::limits::DEFAULT_WRITE_TIMEOUT) (10 s).
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.bounds.write_timeout = timeout;
        self
    }

    /// Bytes of requests and replies that calls in flight may hold, over
    /// all connections; when they are held, connections stop reading new
    /// requests until some are freed. Default
    /// [`DEFAULT_MAX_IN_FLIGHT_BYTES`](crate::limits::DEFAULT_MAX_IN_FLIGHT_BYTES)
    /// (256 MiB).
    pub fn max_in_flight_bytes(mut self, max: usize) -> Self {
        self.bounds.max_in_flight_bytes = max;
        self
    }

    /// The listen backlog of [`bind`](ServerBuilder::bind). Default the
    /// system's `somaxconn` ([`default_backlog`](crate::limits::default_backlog)).
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.bounds.backlog = Some(backlog);
        self
    }

    /// Registers the server's metrics (`anycall_server_*`) in `registry`.
    /// Default: a registry of its own ([`ServerHandle::registry`]).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// JSON and `Value` transcoding options. Default [`Options::default`].
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Decoder limits for arguments. Default [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Serves the connections detected as TTHeader Streaming (the first
    /// frame has the streaming flag) with `streams`. Default: none (such
    /// connections are closed).
    pub fn streams(mut self, streams: crate::ttstream::StreamServer) -> Self {
        self.streams = Some(streams);
        self
    }

    /// Answers connections that start with the HTTP/2 preface with this
    /// gRPC server, on the same port. Default: none (such connections are
    /// closed).
    #[cfg(feature = "grpc")]
    pub fn grpc(mut self, grpc: crate::grpc::GrpcServer) -> Self {
        self.grpc = Some(grpc);
        self
    }

    /// Binds `addr` and starts serving with `handler`.
    ///
    /// # Errors
    ///
    /// As [`serve`](ServerBuilder::serve), and [`Error::is_io`] when the
    /// address cannot be bound.
    pub async fn bind<H: Handler>(
        self,
        addr: impl ToSocketAddrs,
        handler: H,
    ) -> Result<ServerHandle> {
        let listener = listen(addr, self.bounds.backlog)
            .await
            .map_err(|e| Error::io("binding the server address", e))?;
        self.serve(listener, handler)
    }

    /// Starts serving connections from `listener` with `handler` on the
    /// current tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error::is_config`] for a JSON or `Value` server without an IDL, or a
    /// listed service the IDL does not have.
    pub fn serve<H: Handler>(self, listener: TcpListener, handler: H) -> Result<ServerHandle> {
        if self.mode != Mode::Binary && self.idl.is_none() {
            return Err(Error::config(format!(
                "a {:?} server needs an idl (ServerBuilder::idl)",
                self.mode
            )));
        }
        if let (Some(idl), Some(services)) = (&self.idl, &self.services) {
            let pool = idl.pool();
            if let Some(missing) = services.iter().find(|s| pool.service(s).is_none()) {
                return Err(Error::config(format!(
                    "service `{missing}` is not in the idl"
                )));
            }
        }
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the listener address", e))?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let counters = Arc::new(Counters::default());
        let registry = self.registry.unwrap_or_default();
        if let Some(streams) = &self.streams {
            registry.register(streams.metrics());
        }
        let shared = Arc::new(Shared {
            handler,
            mode: self.mode,
            idl: self.idl,
            services: self.services,
            max_frame_size: self.bounds.max_frame_size,
            bounds: self.bounds,
            budget: Budget::new(self.bounds.max_in_flight_bytes),
            options: self.options,
            limits: self.limits,
            counters: counters.clone(),
            metrics: ServerMetrics::new(&registry),
            warnings: WarnLimiter::default(),
            stopping: std::sync::atomic::AtomicBool::new(false),
            #[cfg(feature = "grpc")]
            grpc: self.grpc,
            streams: self.streams,
        });
        let semaphore = Arc::new(Semaphore::new(self.bounds.max_connections));
        let task = tokio::spawn(accept_loop(listener, shared, semaphore, shutdown_rx));
        tracing::info!(%local_addr, mode = ?self.mode, "server listening");
        Ok(ServerHandle {
            local_addr,
            shutdown: shutdown_tx,
            task: Some(task),
            counters,
            registry,
        })
    }
}

/// A running server. Dropping it stops accepting and lets open connections
/// finish their current call; [`shutdown`](ServerHandle::shutdown) also
/// waits for that.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
    registry: Registry,
}

impl ServerHandle {
    /// The bound address (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// The registry holding the server's metrics (the one given to
    /// [`ServerBuilder::registry`], or the server's own).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Graceful shutdown: stops accepting, closes idle connections, lets
    /// calls in flight finish and send their replies, then returns.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

struct Shared<H> {
    handler: H,
    mode: Mode,
    idl: Option<Idl>,
    services: Option<Vec<String>>,
    max_frame_size: usize,
    bounds: ServerLimits,
    budget: Budget,
    options: Options,
    limits: Limits,
    counters: Arc<Counters>,
    metrics: ServerMetrics,
    warnings: WarnLimiter,
    /// Set once the server stops accepting: TTHeader replies then tell the
    /// client not to reuse the connection.
    stopping: std::sync::atomic::AtomicBool,
    #[cfg(feature = "grpc")]
    grpc: Option<crate::grpc::GrpcServer>,
    streams: Option<crate::ttstream::StreamServer>,
}

impl<H> Shared<H> {
    /// Counts a connection closed by a limit or a fault.
    fn closed(&self, why: Closed) {
        match why {
            Closed::MaxConnections => bump(&self.counters.rejected_connections),
            Closed::HeaderTimeout => bump(&self.counters.header_timeouts),
            Closed::IdleTimeout => bump(&self.counters.idle_timeouts),
            Closed::WriteTimeout => bump(&self.counters.write_timeouts),
            Closed::MaxFrameSize | Closed::BadFrame => bump(&self.counters.bad_frames),
        }
        self.metrics.closed(why);
    }

    /// Counts an error answer of `method` of this `kind`.
    fn error(&self, method: &str, kind: &str) {
        bump(&self.counters.errors);
        self.metrics.error(method, kind);
    }

    /// Logs a warning about `peer`, at most a few a window per peer
    /// address, with the count of those left out.
    fn warn_peer(&self, peer: SocketAddr, what: &str, reason: &dyn fmt::Display) {
        if let Some(suppressed) = self.warnings.admit(peer.ip()) {
            if suppressed > 0 {
                tracing::warn!(%peer, %reason, suppressed, "closing connection: {what} (similar warnings from this address left out)");
            } else {
                tracing::warn!(%peer, %reason, "closing connection: {what}");
            }
        }
    }
}

async fn accept_loop<H: Handler>(
    listener: TcpListener,
    shared: Arc<Shared<H>>,
    semaphore: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Every connection task holds a sender; `recv` returns `None` once all
    // of them are gone.
    let (alive_tx, mut alive_rx) = tokio::sync::mpsc::channel::<()>(1);
    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(err) => {
                tracing::warn!(error = %err, "accept failed");
                // Out of file descriptors and the like: give the system a moment.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(permit) = semaphore.clone().try_acquire_owned() else {
            shared.closed(Closed::MaxConnections);
            shared.warn_peer(
                peer,
                "max connections reached",
                &shared.bounds.max_connections,
            );
            drop(stream);
            continue;
        };
        bump(&shared.counters.connections);
        shared.metrics.connections.inc();
        shared.metrics.open_connections.add(1);
        shared
            .counters
            .active_connections
            .fetch_add(1, Ordering::Relaxed);
        let shared = shared.clone();
        let shutdown = shutdown.clone();
        let alive = alive_tx.clone();
        tokio::spawn(async move {
            serve_connection(&shared, stream, peer, shutdown).await;
            shared.metrics.open_connections.add(-1);
            shared
                .counters
                .active_connections
                .fetch_sub(1, Ordering::Relaxed);
            drop(permit);
            drop(alive);
        });
    }
    shared.stopping.store(true, Ordering::Relaxed);
    drop(listener);
    drop(alive_tx);
    let _ = alive_rx.recv().await;
    tracing::info!("server stopped");
}

/// Why a connection's read loop ended.
enum Next {
    Frame(Frame),
    Closed,
    Stop,
}

/// Reads the next frame by `deadline`; past it, the connection is closed
/// as `late` says.
async fn next_frame<H>(
    shared: &Shared<H>,
    conn: &mut Conn,
    peer: SocketAddr,
    shutdown: &mut watch::Receiver<bool>,
    deadline: Instant,
    late: Closed,
    held: &mut Option<OwnedSemaphorePermit>,
) -> Next {
    let read = timeout_at(deadline.into(), read_request(shared, conn, held));
    let result = tokio::select! {
        biased;
        result = read => result,
        _ = shutdown.wait_for(|stop| *stop) => return Next::Stop,
    };
    match result {
        Ok(Ok(Some(frame))) => Next::Frame(frame),
        Ok(Ok(None)) => Next::Closed,
        Ok(Err(ReadError::Io(err))) => {
            tracing::debug!(%peer, error = %err, "connection failed");
            Next::Closed
        }
        Ok(Err(err)) => {
            let oversize = matches!(&err, ReadError::Frame(e) if e.is_limit());
            shared.closed(if oversize {
                Closed::MaxFrameSize
            } else {
                Closed::BadFrame
            });
            shared.warn_peer(peer, "bad frame", &err);
            Next::Closed
        }
        Err(_) => {
            shared.closed(late);
            tracing::debug!(%peer, reason = ?late, "closing connection: timeout");
            Next::Closed
        }
    }
}

/// A connection handed to the gRPC or TTHeader Streaming server, which
/// have no write or idle timeout of their own: [`TimedIo`] gives it
/// `write_timeout` and `idle_timeout`, counted as the ping-pong loop counts
/// them.
fn timed<H: Handler>(stream: TcpStream, shared: &Arc<Shared<H>>) -> TimedIo<TcpStream> {
    let bounds = shared.bounds;
    let shared = shared.clone();
    TimedIo::new(stream, bounds.write_timeout, bounds.idle_timeout).on_stall(move |why| {
        shared.closed(match why {
            Stalled::Write => Closed::WriteTimeout,
            Stalled::Idle => Closed::IdleTimeout,
        });
    })
}

async fn serve_connection<H: Handler>(
    shared: &Arc<Shared<H>>,
    stream: TcpStream,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conn = Conn::new(
        stream,
        frame_decoder(Transport::Framed, shared.max_frame_size),
    );
    // The first request, detection included, has one deadline from accept:
    // the header timeout, or the idle timeout when that is shorter.
    let (first_wait, first_late) = if shared.bounds.header_timeout <= shared.bounds.idle_timeout {
        (shared.bounds.header_timeout, Closed::HeaderTimeout)
    } else {
        (shared.bounds.idle_timeout, Closed::IdleTimeout)
    };
    let first_deadline = Instant::now() + first_wait;
    // What the first request's bytes hold of the in-flight budget, from
    // detection on.
    let mut first_held = None;
    // Detection, once per connection, on the first bytes.
    let detected = loop {
        match detect(&conn.rbuf) {
            Ok(Some(detected)) => break detected,
            Ok(None) => {}
            Err(err) => {
                shared.closed(Closed::BadFrame);
                shared.warn_peer(peer, "bad frame", &err);
                return;
            }
        }
        let fill = timeout_at(
            first_deadline.into(),
            fill_paid(shared, &mut conn, &mut first_held),
        );
        let filled = tokio::select! {
            biased;
            filled = fill => filled,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        match filled {
            Ok(Ok(())) if conn.rbuf.is_empty() => return,
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::debug!(%peer, reason = %err, "connection closed before a frame");
                return;
            }
            Err(_) => {
                shared.closed(first_late);
                tracing::debug!(%peer, reason = ?first_late, "closing connection: timeout");
                return;
            }
        }
    };
    // HTTP/2: protobuf gRPC for the gRPC server's `.proto`, Thrift over gRPC
    // (`application/grpc+thrift`) for this server's IDL.
    #[cfg(feature = "grpc")]
    if detected == Detected::Grpc {
        let Conn { stream, rbuf, .. } = conn;
        let thrift = crate::grpc::thrift::ThriftH2::new(
            shared.idl.clone(),
            shared.streams.clone(),
            shared.clone(),
        );
        crate::grpc::serve_h2(
            shared.grpc.as_ref(),
            Some(thrift),
            timed(stream, shared),
            rbuf,
            peer,
            shutdown,
        )
        .await;
        return;
    }
    if detected == Detected::TTHeaderStreaming
        && let Some(streams) = &shared.streams
    {
        let Conn { stream, rbuf, .. } = conn;
        let stream = timed(stream, shared);
        streams.serve_connection(stream, rbuf, peer, shutdown).await;
        return;
    }
    // TTHeader Streaming without a stream server (and gRPC without a gRPC
    // server) are detected, not served.
    let Some(transport) = detected
        .transport()
        .filter(|_| detected != Detected::TTHeaderStreaming)
    else {
        shared.closed(Closed::BadFrame);
        shared.warn_peer(
            peer,
            "protocol not supported",
            &format_args!("{detected:?}"),
        );
        return;
    };
    conn.reader = frame_decoder(transport, shared.max_frame_size);
    tracing::debug!(%peer, %transport, "connection open");
    let (mut deadline, mut late) = (first_deadline, first_late);
    loop {
        // The request's bytes are paid for in the in-flight budget as its
        // read buffer grows; without room, nothing more is read.
        let mut held = first_held.take();
        let next = next_frame(
            shared,
            &mut conn,
            peer,
            &mut shutdown,
            deadline,
            late,
            &mut held,
        )
        .await;
        let frame = match next {
            Next::Frame(frame) => frame,
            Next::Closed | Next::Stop => break,
        };
        shared.metrics.bytes_in.add(frame.payload.len() as u64);
        let started = Instant::now();
        let handled = handle_frame(shared, &mut conn.wbuf, peer, frame, Via::Connection).await;
        shared.metrics.observe(started.elapsed());
        // The request is gone: give its read buffer back now, not after a
        // reply that may wait on the peer.
        conn.shrink_read_buffer();
        if let Err(reason) = handled {
            shared.closed(Closed::BadFrame);
            shared.warn_peer(peer, "bad message", &reason);
            break;
        }
        if !conn.wbuf.is_empty() {
            let size = conn.wbuf.len();
            // The reply keeps what the request held, and pays for more if
            // it is larger; it is written even while the server stops (its
            // call is in flight).
            pay(shared, &mut held, size.saturating_sub(BUF_KEEP)).await;
            let written = tokio::time::timeout(shared.bounds.write_timeout, conn.flush()).await;
            held = None;
            shared
                .metrics
                .in_flight_bytes
                .set(gauge(shared.budget.held()));
            match written {
                Ok(Ok(())) => shared.metrics.bytes_out.add(size as u64),
                Ok(Err(err)) => {
                    tracing::debug!(%peer, error = %err, "writing a reply failed");
                    break;
                }
                Err(_) => {
                    shared.closed(Closed::WriteTimeout);
                    tracing::debug!(%peer, bytes = size, "closing connection: write timeout");
                    break;
                }
            }
        }
        drop(held);
        shared
            .metrics
            .in_flight_bytes
            .set(gauge(shared.budget.held()));
        (deadline, late) = (
            Instant::now() + shared.bounds.idle_timeout,
            Closed::IdleTimeout,
        );
    }
    tracing::debug!(%peer, "connection closed");
}

/// How many times its request's size a call is charged in the in-flight
/// budget while it runs (see [`ServerLimits::max_in_flight_bytes`]).
const CALL_COST: usize = 4;

/// Reads the next request frame, paying in the in-flight budget (into
/// `held`) for the room its read buffer grows to beyond the first
/// `BUF_KEEP` bytes, before the buffer grows.
async fn read_request<H>(
    shared: &Shared<H>,
    conn: &mut Conn,
    held: &mut Option<OwnedSemaphorePermit>,
) -> std::result::Result<Option<Frame>, ReadError> {
    loop {
        if let Some(frame) = conn
            .reader
            .decode(&mut conn.rbuf)
            .map_err(ReadError::Frame)?
        {
            return Ok(Some(frame));
        }
        fill_paid(shared, conn, held).await?;
        if conn.rbuf.is_empty() {
            return Ok(None);
        }
    }
}

/// Reads more bytes into the read buffer, paying first for the room it
/// has (the decoder may have made room for a whole frame) or grows to
/// (BytesMut at least doubles) beyond the first `BUF_KEEP` bytes.
async fn fill_paid<H>(
    shared: &Shared<H>,
    conn: &mut Conn,
    held: &mut Option<OwnedSemaphorePermit>,
) -> std::result::Result<(), ReadError> {
    let (len, cap) = (conn.rbuf.len(), conn.rbuf.capacity());
    let target = if cap - len < 1024 {
        (cap * 2).max(len + BUF_CAPACITY)
    } else {
        cap
    };
    // The call the request becomes holds more than its bytes (arguments
    // decoded, result, reply): it pays `CALL_COST` times them, up front.
    let cost = target.saturating_sub(BUF_KEEP).saturating_mul(CALL_COST);
    pay(shared, held, cost).await;
    if target > cap {
        conn.rbuf.reserve(target - len);
    }
    conn.fill().await
}

/// Makes `held` hold `total` bytes of the in-flight budget, waiting for
/// the rest.
async fn pay<H>(shared: &Shared<H>, held: &mut Option<OwnedSemaphorePermit>, total: usize) {
    // A request larger than the whole budget holds all of it, no more.
    let total = total.min(shared.budget.max());
    let have = held.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
    if total <= have {
        return;
    }
    let more = total - have;
    if let Some(permit) = shared.budget.try_hold(more) {
        match held {
            Some(h) => h.merge(permit),
            None => *held = Some(permit),
        }
    } else {
        // Wait holding nothing, for all of it at once: connections that
        // each held part and waited for the rest would wait for each other.
        shared.metrics.budget_waits.inc();
        *held = None;
        *held = Some(shared.budget.hold(total).await);
    }
    shared
        .metrics
        .in_flight_bytes
        .set(gauge(shared.budget.held()));
}

fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Where a request goes.
struct Route<'p> {
    service: Option<String>,
    method: Option<MethodDescriptor<'p>>,
}

/// Handles one request frame, leaving any reply frame in `wbuf`.
/// `Err` means the frame holds no usable message: close the connection.
/// How a call reached [`handle_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// A frame read from a connection: the reply is a frame in the same
    /// transport.
    Connection,
    /// Unary Thrift over gRPC: a bare message with the request metadata as
    /// a header; the business status goes back beside the reply (in gRPC
    /// trailers), not inside it.
    #[cfg_attr(not(feature = "grpc"), allow(dead_code))]
    Grpc,
}

/// What a call left beside its reply, for transports that carry it
/// outside the reply frame (unary Thrift over gRPC).
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "grpc"), allow(dead_code))]
pub(crate) struct Answered {
    /// The handler's business status error.
    pub(crate) biz_status: Option<BizStatus>,
}

async fn handle_frame<H: Handler>(
    shared: &Shared<H>,
    wbuf: &mut BytesMut,
    peer: SocketAddr,
    frame: Frame,
    via: Via,
) -> std::result::Result<Answered, String> {
    let Frame {
        transport,
        header,
        payload,
    } = frame;
    #[cfg(feature = "grpc")]
    if anycall_codec::frame::payload_kind(&payload)
        == Some(anycall_codec::frame::PayloadKind::KitexProtobuf)
    {
        let grpc = shared.grpc.as_ref();
        let max = shared.max_frame_size;
        return crate::grpc::kitexpb::serve_frame(
            grpc, wbuf, peer, transport, header, &payload, max,
        )
        .await
        .map(|()| Answered::default());
    }
    let protocol = protocol_of(&payload).ok_or_else(|| {
        format!(
            "payload is not a thrift binary or compact message (first bytes {:02x?})",
            &payload[..payload.len().min(4)]
        )
    })?;
    let (msg, body_at) = thrift::read_message_header(protocol, &payload, &shared.limits)
        .map_err(|e| format!("bad message header: {e}"))?;
    match msg.message_type {
        MessageType::Call | MessageType::Oneway => {}
        other => return Err(format!("expected a call, got a {other} message")),
    }
    // Apache's TMultiplexedProtocol names the service: `Service:method`.
    let (multiplexed, name) = match msg.name.split_once(MULTIPLEX_SEPARATOR) {
        Some((service, name)) => (Some(service), name),
        None => (None, msg.name),
    };
    let method: Arc<str> = Arc::from(name);
    let seq_id = msg.seq_id;
    let pool = shared.idl.as_ref().map(Idl::pool);
    let isn = multiplexed.map(str::to_owned).or_else(|| {
        header
            .as_ref()
            .filter(|_| transport.has_ttheader() || via == Via::Grpc)
            .and_then(|h| h.str_value(str_key::IDL_SERVICE_NAME))
            .map(str::to_owned)
    });
    // Without a route to a service, the context names the `isn` sent.
    let unrouted = Route {
        service: None,
        method: None,
    };
    let route = match (&pool, multiplexed) {
        (Some(pool), Some(service)) => route_multiplexed(shared, pool, service, &method),
        (Some(pool), None) => route(shared, pool, isn.as_deref(), &method),
        (None, _) => Ok(unrouted),
    };
    let route = match (route, shared.mode) {
        // A binary server serves whatever comes; an IDL only tells oneway.
        (Err(_), Mode::Binary) => Ok(Route {
            service: None,
            method: None,
        }),
        (route, _) => route,
    };
    let (service, route) = match route {
        Ok(Route { service, method }) => (service, Ok(method)),
        Err(ex) => (None, Err(ex)),
    };
    // As Apache's processors do, the IDL decides whether a reply is sent,
    // whatever the message type says: a CALL of a oneway method gets none,
    // a ONEWAY of a two-way method gets one. Without the method, the
    // message type decides.
    let oneway = match &route {
        Ok(Some(desc)) => desc.is_oneway(),
        _ => msg.message_type == MessageType::Oneway,
    };
    let mut ctx = Context {
        service: service.or(isn),
        method,
        seq_id,
        peer,
        transport,
        protocol,
        oneway,
        metainfo: header
            .as_ref()
            .map(|h| {
                if transport == Transport::THeader {
                    Metainfo::read_forward_theader(h)
                } else {
                    Metainfo::read_forward(h)
                }
            })
            .unwrap_or_default(),
        header,
        biz_status: None,
    };
    let reply = Replier {
        shared,
        transport,
        protocol,
        seq_id,
        oneway,
    };

    // Routing and argument decoding, then the handler.
    let label = match &ctx.service {
        Some(service) => format!("{service}/{}", ctx.method),
        None => ctx.method.to_string(),
    };
    shared.metrics.requests.inc(&label);
    let desc = match route {
        Err(ex) => {
            shared.error(&label, "unknown_method");
            reply.exception(wbuf, &ctx, &ex);
            return Ok(Answered::default());
        }
        Ok(desc) => desc,
    };
    let args = match (shared.mode, desc) {
        (Mode::Binary, _) => Ok(Payload::Binary(payload.clone())),
        (Mode::Json, Some(desc)) => call::decode_args_json(
            desc,
            &payload[body_at..],
            protocol,
            &shared.options,
            &shared.limits,
            false,
        )
        .map(Payload::Json),
        (Mode::Value, Some(desc)) => call::decode_args_value(
            desc,
            &payload[body_at..],
            protocol,
            &shared.options,
            &shared.limits,
        )
        .map(Payload::Value),
        (_, None) => unreachable!("json and value servers always route to a method"),
    };
    let args = match args {
        Ok(args) => args,
        Err(err) => {
            shared.error(&label, if err.is_limit() { "limit" } else { "protocol" });
            let ex = TApplicationException::new(
                TApplicationExceptionType::PROTOCOL_ERROR,
                format!("decoding the arguments of `{}`: {err}", ctx.method),
            );
            reply.exception(wbuf, &ctx, &ex);
            return Ok(Answered::default());
        }
    };
    bump(&shared.counters.calls);
    let method = Arc::clone(&ctx.method);
    let result = shared.handler.call(&mut ctx, &method, args).await;
    match result {
        Ok(Reply::Application(ex)) => {
            shared.error(&label, "application");
            reply.exception(wbuf, &ctx, &ex);
        }
        Ok(result) => {
            if !reply.result(wbuf, &ctx, desc, result) {
                shared.error(&label, "encode");
            }
        }
        Err(HandlerError {
            biz_status: Some(biz),
            ..
        }) if transport.has_ttheader() || via == Via::Grpc => {
            shared.error(&label, "biz_status");
            ctx.biz_status = Some(biz);
            reply.empty_result(wbuf, &ctx);
        }
        Err(err) => {
            shared.error(&label, err.metric);
            if oneway {
                tracing::debug!(%peer, method = %ctx.method, error = %err, "oneway handler failed");
            }
            let ex = TApplicationException::new(err.kind, err.message);
            reply.exception(wbuf, &ctx, &ex);
        }
    }
    Ok(Answered {
        biz_status: ctx.biz_status.take(),
    })
}

/// Unary Thrift over gRPC: the call message built from the gRPC request goes
/// through the same routing, decoding and handler as a Buffered one, with
/// `header` (the service, the metainfo) read as a TTHeader's.
#[cfg(feature = "grpc")]
impl<H: Handler> crate::grpc::thrift::PingPong for Shared<H> {
    fn call_message(
        &self,
        peer: SocketAddr,
        header: TTHeader,
        message: bytes::Bytes,
    ) -> crate::grpc::thrift::UnaryFuture<'_> {
        Box::pin(async move {
            let mut wbuf = BytesMut::new();
            let frame = Frame {
                transport: Transport::Buffered,
                header: Some(header),
                payload: message,
            };
            let answered = handle_frame(self, &mut wbuf, peer, frame, Via::Grpc).await?;
            Ok((wbuf, answered))
        })
    }
}

/// Picks the service and method: by `isn` when it names a served service,
/// else by a method name that only one served service has.
fn route<'p, H>(
    shared: &Shared<H>,
    pool: &'p Pool,
    isn: Option<&str>,
    method: &str,
) -> std::result::Result<Route<'p>, TApplicationException> {
    let served = |name: &str| {
        shared
            .services
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s == name))
    };
    let unknown = |message: String| {
        TApplicationException::new(TApplicationExceptionType::UNKNOWN_METHOD, message)
    };
    if let Some(service) = isn.filter(|s| served(s)).and_then(|s| pool.service(s)) {
        let desc = service.method(method).ok_or_else(|| {
            unknown(format!(
                "unknown method `{method}` in service `{}`",
                service.name()
            ))
        })?;
        return Ok(Route {
            service: Some(service.name().to_owned()),
            method: Some(desc),
        });
    }
    let mut found = pool
        .services()
        .filter(|s| served(s.name()))
        .filter_map(|s| s.method(method));
    let first = found.next();
    match (first, found.next()) {
        (Some(desc), None) => Ok(Route {
            service: Some(desc.service().name().to_owned()),
            method: Some(desc),
        }),
        (None, _) => Err(unknown(format!("unknown method `{method}`"))),
        (Some(a), Some(b)) => Err(unknown(format!(
            "method `{method}` is in several services (`{}`, `{}`); send the service name (isn)",
            a.service().name(),
            b.service().name()
        ))),
    }
}

/// Picks the service named by a multiplexed `Service:method` name; an
/// unknown or unserved service is an UNKNOWN_METHOD exception.
fn route_multiplexed<'p, H>(
    shared: &Shared<H>,
    pool: &'p Pool,
    service: &str,
    method: &str,
) -> std::result::Result<Route<'p>, TApplicationException> {
    let served = shared
        .services
        .as_ref()
        .is_none_or(|list| list.iter().any(|s| s == service));
    let unknown = |message: String| {
        TApplicationException::new(TApplicationExceptionType::UNKNOWN_METHOD, message)
    };
    let Some(found) = pool.service(service).filter(|_| served) else {
        return Err(unknown(format!(
            "unknown service `{service}` in the multiplexed name `{service}:{method}`"
        )));
    };
    let desc = found
        .method(method)
        .ok_or_else(|| unknown(format!("unknown method `{method}` in service `{service}`")))?;
    Ok(Route {
        service: Some(found.name().to_owned()),
        method: Some(desc),
    })
}

/// Writes reply frames for one request.
struct Replier<'a, H> {
    shared: &'a Shared<H>,
    transport: Transport,
    protocol: Protocol,
    seq_id: i32,
    oneway: bool,
}

impl<H> Replier<'_, H> {
    fn header(&self, ctx: &Context) -> Option<TTHeader> {
        if !self.transport.has_header() {
            return None;
        }
        let mut header = TTHeader::new(self.seq_id);
        if let Some(request) = &ctx.header {
            header.protocol_id = request.protocol_id;
            if self.transport == Transport::THeader {
                // Apache's THeaderTransport answers with the request's flags;
                // a request compressed with zlib gets a compressed reply.
                header.flags = request.flags;
                header.transform_ids.clone_from(&request.transform_ids);
            }
        }
        ctx.metainfo.write_backward(&mut header);
        // Kitex's way of saying a connection is going away: `crrst` in a
        // reply's header, after which its client does not reuse it.
        if self.transport.has_ttheader() && self.shared.stopping.load(Ordering::Relaxed) {
            header.insert_str(
                str_key::CONNECTION_READY_TO_RESET.to_owned(),
                "1".to_owned(),
            );
        }
        // Business status is Kitex's, carried by TTHeader only.
        if let Some(biz) = ctx
            .biz_status
            .as_ref()
            .filter(|_| self.transport.has_ttheader())
        {
            biz.write(&mut header);
        }
        Some(header)
    }

    fn write(
        &self,
        wbuf: &mut BytesMut,
        ctx: &Context,
        message: impl FnOnce(&mut BytesMut) -> std::result::Result<(), String>,
    ) -> std::result::Result<(), String> {
        let header = self.header(ctx);
        match encode_frame(
            self.transport,
            self.shared.max_frame_size,
            header.as_ref(),
            wbuf,
            message,
        ) {
            Ok(result) => result,
            Err(err) => Err(format!("encoding the reply frame: {err}")),
        }
    }

    fn exception(&self, wbuf: &mut BytesMut, ctx: &Context, ex: &TApplicationException) {
        if self.oneway {
            return;
        }
        let written = self.write(wbuf, ctx, |dst| {
            ex.write_message(self.protocol, &ctx.method, self.seq_id, dst)
                .map_err(|e| e.to_string())
        });
        if let Err(err) = written {
            tracing::warn!(peer = %ctx.peer, error = %err, "cannot write an exception reply");
        }
    }

    /// A REPLY whose result struct is empty: the answer that goes with a
    /// business status error.
    fn empty_result(&self, wbuf: &mut BytesMut, ctx: &Context) {
        if self.oneway {
            return;
        }
        let written = self.write(wbuf, ctx, |dst| {
            call::encode_empty_reply(&ctx.method, self.seq_id, self.protocol, dst)
                .map_err(|e| e.to_string())
        });
        if let Err(err) = written {
            tracing::warn!(peer = %ctx.peer, error = %err, "cannot write a reply");
        }
    }

    /// Writes the result; `false` when it could not be encoded (the caller
    /// then gets an INTERNAL_ERROR).
    fn result(
        &self,
        wbuf: &mut BytesMut,
        ctx: &Context,
        desc: Option<MethodDescriptor<'_>>,
        result: Reply<Payload>,
    ) -> bool {
        if self.oneway {
            return true;
        }
        let shared = self.shared;
        let (protocol, seq_id) = (self.protocol, self.seq_id);
        let written = self.write(wbuf, ctx, |dst| match (shared.mode, desc) {
            (Mode::Binary, _) => write_binary_reply(result, protocol, seq_id, dst),
            (Mode::Json, Some(desc)) => {
                let reply = json_reply(&result)?;
                call::encode_reply_json(desc, &reply, seq_id, protocol, &shared.options, dst)
                    .map_err(|e| format!("encoding the result of `{}`: {e}", desc.name()))
            }
            (Mode::Value, Some(desc)) => {
                let reply = value_reply(result)?;
                call::encode_reply_value(desc, &reply, seq_id, protocol, &shared.options, dst)
                    .map_err(|e| format!("encoding the result of `{}`: {e}", desc.name()))
            }
            (_, None) => Err("no method to encode a result for".to_owned()),
        });
        if let Err(message) = written {
            let ex = TApplicationException::new(TApplicationExceptionType::INTERNAL_ERROR, message);
            self.exception(wbuf, ctx, &ex);
            return false;
        }
        true
    }
}

fn write_binary_reply(
    result: Reply<Payload>,
    protocol: Protocol,
    seq_id: i32,
    dst: &mut BytesMut,
) -> std::result::Result<(), String> {
    let Reply::Success(Payload::Binary(message)) = result else {
        return Err("a binary handler must return a whole reply message".to_owned());
    };
    let Some(message_protocol) = protocol_of(&message) else {
        return Err(format!(
            "the handler's reply is not a {protocol:?} thrift message"
        ));
    };
    thrift::put_with_seq_id(message_protocol, &message, seq_id, dst).map_err(|e| e.to_string())
}

fn json_reply(result: &Reply<Payload>) -> std::result::Result<Reply<&str>, String> {
    Ok(match result {
        Reply::Success(Payload::Json(s)) => Reply::Success(s.as_str()),
        Reply::Exception {
            name,
            value: Payload::Json(s),
        } => Reply::Exception {
            name: name.clone(),
            value: s.as_str(),
        },
        Reply::Void => Reply::Void,
        Reply::Application(ex) => Reply::Application(ex.clone()),
        Reply::Success(p) | Reply::Exception { value: p, .. } => {
            return Err(format!(
                "a json server's handler returned a {} payload",
                p.mode_name()
            ));
        }
    })
}

fn value_reply(result: Reply<Payload>) -> std::result::Result<Reply<Value>, String> {
    let wrong = |p: &Payload| {
        format!(
            "a value server's handler returned a {} payload",
            p.mode_name()
        )
    };
    Ok(match result {
        Reply::Success(Payload::Value(v)) => Reply::Success(v),
        Reply::Exception {
            name,
            value: Payload::Value(v),
        } => Reply::Exception { name, value: v },
        Reply::Void => Reply::Void,
        Reply::Application(ex) => Reply::Application(ex),
        Reply::Success(p) | Reply::Exception { value: p, .. } => return Err(wrong(&p)),
    })
}
