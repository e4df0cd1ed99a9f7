//! The server side: the ttstream connections a [`Server`](crate::Server)
//! detects, each serving many streams concurrently.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anycall_codec::frame::ttstream::exception_type;
use anycall_codec::frame::{FrameType, StreamDecoder, StreamFrame, TTHeader};
use anycall_codec::thrift::{TApplicationException, TApplicationExceptionType};
use anycall_codec::{Limits, Options};
use anycall_idl::StreamingMode;
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use super::inbox::{Budget, Inbox, InboxTx, Refused};
use super::{
    ConnLimits, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_STREAMS_PER_CONNECTION,
    DEFAULT_STREAM_BUFFER, MESSAGE_QUEUE, MessageCodec, spawn_writer,
};
use crate::error::{Error, Kind};
use crate::limits::TimedIo;
use crate::payload::{Idl, Payload};
use crate::server::{HandlerError, Mode};

/// What a handler knows about the stream it serves.
#[derive(Debug, Clone)]
pub struct StreamCall {
    service: String,
    method: String,
    kind: StreamingMode,
    headers: BTreeMap<String, String>,
    peer: SocketAddr,
    stream_id: i32,
}

impl StreamCall {
    /// The IDL service (from `isn`, or the one declaring the method).
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Client, server or bidirectional.
    pub fn kind(&self) -> StreamingMode {
        self.kind
    }

    /// The string keys of the client's Header frame (`isn`, metainfo).
    pub fn headers(&self) -> &BTreeMap<String, String> {
        &self.headers
    }

    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The stream id.
    pub fn stream_id(&self) -> i32 {
        self.stream_id
    }
}

/// The request messages of one stream, in the server's mode.
#[derive(Debug)]
pub struct Requests {
    rx: Incoming,
    codec: MessageCodec,
}

/// Where requests come from: a ttstream connection's reader, or the
/// messages of one gRPC stream.
#[derive(Debug)]
enum Incoming {
    Frames(Inbox<Bytes>),
    #[cfg_attr(not(feature = "grpc"), allow(dead_code))]
    Messages(mpsc::Receiver<Bytes>),
}

impl Requests {
    /// The next request; `None` once the client half-closed.
    ///
    /// # Errors
    ///
    /// A message that does not decode as the method's request struct.
    pub async fn recv(&mut self) -> crate::Result<Option<Payload>> {
        let next = match &mut self.rx {
            Incoming::Frames(inbox) => inbox.recv().await,
            Incoming::Messages(rx) => rx.recv().await,
        };
        match next {
            Some(bytes) => self.codec.decode(true, bytes).map(Some),
            None => Ok(None),
        }
    }
}

/// Where a handler sends its reply messages.
#[derive(Debug)]
pub struct Replies {
    sink: Sink,
    codec: MessageCodec,
    max_message_size: usize,
}

/// Where reply messages go: ttstream frames on a connection, or the
/// messages of one gRPC stream.
#[derive(Debug)]
enum Sink {
    Frames {
        tx: mpsc::Sender<StreamFrame>,
        id: i32,
        method: Arc<str>,
        header_sent: Arc<AtomicBool>,
    },
    #[cfg_attr(not(feature = "grpc"), allow(dead_code))]
    Messages(mpsc::Sender<Bytes>),
}

impl Replies {
    /// Sends one reply message (over TTHeader Streaming, the Header frame
    /// goes first, once).
    ///
    /// # Errors
    ///
    /// Encoding errors, a message over the size limit, a closed connection.
    pub async fn send(&mut self, message: Payload) -> crate::Result<()> {
        let bytes = self.codec.encode(false, &message)?;
        if bytes.len() > self.max_message_size {
            return Err(Error::config(format!(
                "a reply of {} bytes exceeds the {}-byte limit",
                bytes.len(),
                self.max_message_size
            )));
        }
        let closed = || Error::new(Kind::Io, "the stream connection is closed");
        match &self.sink {
            Sink::Frames {
                tx,
                id,
                method,
                header_sent,
            } => {
                if !header_sent.swap(true, Ordering::Relaxed) {
                    tx.send(StreamFrame::new(FrameType::Header, *id, &**method))
                        .await
                        .map_err(|_| closed())?;
                }
                tx.send(StreamFrame::data(*id, &**method, bytes))
                    .await
                    .map_err(|_| closed())
            }
            Sink::Messages(tx) => tx.send(bytes).await.map_err(|_| closed()),
        }
    }
}

/// The future a [`StreamHandler`] returns.
pub type StreamFuture = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>;

/// Serves streams: gets the call, the requests and the replies sink; its
/// result ends the stream (`Ok`: an empty trailer; an error: a trailer with
/// a `TApplicationException`, or `biz-*` keys for a business status).
///
/// Closures `Fn(StreamCall, Requests, Replies) -> impl Future` implement it.
pub trait StreamHandler: Send + Sync + 'static {
    /// Serves one stream.
    fn serve(&self, call: StreamCall, requests: Requests, replies: Replies) -> StreamFuture;
}

impl<F, Fut> StreamHandler for F
where
    F: Fn(StreamCall, Requests, Replies) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    fn serve(&self, call: StreamCall, requests: Requests, replies: Replies) -> StreamFuture {
        Box::pin(self(call, requests, replies))
    }
}

/// Builds a [`StreamServer`].
pub struct StreamServerBuilder {
    handler: Arc<dyn StreamHandler>,
    idl: Idl,
    mode: Mode,
    max_streams: usize,
    max_message_size: usize,
    max_stream_buffer: usize,
    stream_timeout: Option<Duration>,
    options: Options,
    limits: Limits,
    counters: Arc<Counters>,
}

/// What a [`StreamServer`] has done since it started
/// ([`StreamServer::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamStats {
    /// Streams handed to the handler.
    pub opened: u64,
    /// Streams whose handler returned `Ok`.
    pub completed: u64,
    /// Streams whose handler returned an error (sent in the trailer).
    pub failed: u64,
    /// Streams the client reset (Rst, or an HTTP/2 reset) before the
    /// handler returned: cancellations and client timeouts.
    pub reset_by_client: u64,
    /// Streams reset because the handler passed the stream timeout.
    pub timed_out: u64,
    /// Streams reset because the handler left more than the stream buffer
    /// of requests unread.
    pub overflowed: u64,
    /// Streams refused at their Header frame (unknown method, too many
    /// streams, a stream id already open).
    pub refused: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    opened: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    reset_by_client: AtomicU64,
    timed_out: AtomicU64,
    overflowed: AtomicU64,
    refused: AtomicU64,
}

/// [`StreamServer::metrics`].
pub(crate) struct StreamMetrics(Arc<Counters>);

impl crate::metrics::Metric for StreamMetrics {
    fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let s = self.0.snapshot();
        let mut family = |name: &str, help: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            for (labels, n) in samples {
                let _ = writeln!(out, "{name}{labels} {n}");
            }
        };
        family(
            "anycall_server_streams_opened_total",
            "Streams handed to the stream handler.",
            &[("", s.opened)],
        );
        family(
            "anycall_server_streams_ended_total",
            "Streams ended, by reason.",
            &[
                ("{reason=\"completed\"}", s.completed),
                ("{reason=\"failed\"}", s.failed),
                ("{reason=\"reset_by_client\"}", s.reset_by_client),
                ("{reason=\"timed_out\"}", s.timed_out),
                ("{reason=\"overflowed\"}", s.overflowed),
            ],
        );
        family(
            "anycall_server_streams_refused_total",
            "Streams refused at their first frame.",
            &[("", s.refused)],
        );
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    /// Counts how a handler ended: `None` is the stream timeout.
    fn ended(&self, result: Option<&Result<(), HandlerError>>) {
        bump(match result {
            Some(Ok(())) => &self.completed,
            Some(Err(_)) => &self.failed,
            None => &self.timed_out,
        });
    }

    /// Counts a stream the client reset before its handler returned.
    pub(crate) fn reset_by_client(&self) {
        bump(&self.reset_by_client);
    }

    fn snapshot(&self) -> StreamStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StreamStats {
            opened: get(&self.opened),
            completed: get(&self.completed),
            failed: get(&self.failed),
            reset_by_client: get(&self.reset_by_client),
            timed_out: get(&self.timed_out),
            overflowed: get(&self.overflowed),
            refused: get(&self.refused),
        }
    }
}

impl fmt::Debug for StreamServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamServerBuilder")
            .field("mode", &self.mode)
            .field("max_streams", &self.max_streams)
            .field("max_message_size", &self.max_message_size)
            .field("stream_timeout", &self.stream_timeout)
            .finish_non_exhaustive()
    }
}

impl StreamServerBuilder {
    /// Streams served at once on one connection; a Header frame beyond it
    /// is answered with an error trailer. Default
    /// [`DEFAULT_MAX_STREAMS_PER_CONNECTION`] (1000).
    pub fn max_streams_per_connection(mut self, max: usize) -> Self {
        self.max_streams = max;
        self
    }

    /// The largest message accepted or sent; a bigger frame closes the
    /// connection. Default [`DEFAULT_MAX_MESSAGE_SIZE`] (4 MiB).
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max;
        self
    }

    /// Bytes of received requests a stream holds while its handler has not
    /// read them (default [`DEFAULT_STREAM_BUFFER`], 16 MiB); past it the
    /// stream is reset (Rst, exception 12011) and the other streams of the
    /// connection go on (see the [module docs](super) on flow).
    pub fn max_stream_buffer(mut self, bytes: usize) -> Self {
        self.max_stream_buffer = bytes;
        self
    }

    /// How long a handler may take; then the stream is reset (Rst,
    /// exception 12015) and the handler dropped. Default: no limit.
    pub fn stream_timeout(mut self, timeout: Duration) -> Self {
        self.stream_timeout = Some(timeout);
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

    /// The server, to hand to [`ServerBuilder::streams`](crate::ServerBuilder::streams).
    pub fn build(self) -> StreamServer {
        StreamServer {
            inner: Arc::new(self),
        }
    }
}

/// Serves TTHeader Streaming connections; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct StreamServer {
    inner: Arc<StreamServerBuilder>,
}

struct Entry {
    tx: Option<Arc<InboxTx<Bytes>>>,
    task: Option<AbortHandle>,
    header_sent: Arc<AtomicBool>,
    method: Arc<str>,
}

type Streams = Arc<Mutex<HashMap<i32, Entry>>>;

/// One connection's state, as its frames are handled.
#[derive(Clone, Copy)]
struct Conn<'a> {
    peer: SocketAddr,
    tx: &'a mpsc::Sender<StreamFrame>,
    streams: &'a Streams,
    budget: &'a Budget,
}

fn lock(streams: &Streams) -> std::sync::MutexGuard<'_, HashMap<i32, Entry>> {
    streams
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl StreamServer {
    /// A builder: `handler` serves every stream, with messages in `mode`
    /// decoded by the streaming methods of `idl` (needed in every mode: it
    /// says which methods stream).
    pub fn builder(
        mode: Mode,
        idl: impl Into<Idl>,
        handler: impl StreamHandler,
    ) -> StreamServerBuilder {
        StreamServerBuilder {
            handler: Arc::new(handler),
            idl: idl.into(),
            mode,
            max_streams: DEFAULT_MAX_STREAMS_PER_CONNECTION,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_stream_buffer: DEFAULT_STREAM_BUFFER,
            stream_timeout: None,
            options: Options::default(),
            limits: Limits::default(),
            counters: Arc::default(),
        }
    }

    /// What the server has done since it started.
    pub fn stats(&self) -> StreamStats {
        self.inner.counters.snapshot()
    }

    /// The stream counters as Prometheus metrics, registered by the
    /// [`Server`](crate::Server) it is given to:
    /// `anycall_server_streams_opened_total`,
    /// `anycall_server_streams_ended_total{reason}` (`completed`, `failed`,
    /// `reset_by_client`, `timed_out`, `overflowed`) and
    /// `anycall_server_streams_refused_total`.
    pub(crate) fn metrics(&self) -> StreamMetrics {
        StreamMetrics(self.inner.counters.clone())
    }

    /// Serves one detected connection (`rbuf`: the bytes read so far) until
    /// the client closes it or `shutdown` turns true; then open streams end
    /// with a trailer (exception 12006, "server is shutting down").
    pub(crate) async fn serve_connection(
        &self,
        stream: TimedIo<TcpStream>,
        mut rbuf: BytesMut,
        peer: SocketAddr,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let cfg = &self.inner;
        let _ = stream.get_ref().set_nodelay(true);
        let (mut r, w) = tokio::io::split(stream);
        let tx = spawn_writer(w, cfg.max_message_size);
        let streams: Streams = Arc::new(Mutex::new(HashMap::new()));
        let limits = ConnLimits {
            max_message_size: cfg.max_message_size,
        };
        let mut dec = StreamDecoder::new().with_limits(limits.frame_limits());
        let budget = Budget::new(cfg.max_stream_buffer);
        let conn = Conn {
            peer,
            tx: &tx,
            streams: &streams,
            budget: &budget,
        };
        tracing::debug!(%peer, "ttstream connection open");
        let stopping = 'conn: loop {
            loop {
                match dec.decode(&mut rbuf) {
                    Ok(Some(frame)) => self.on_frame(frame, &conn).await,
                    Ok(None) => break,
                    Err(err) => {
                        tracing::warn!(%peer, reason = %err, "closing ttstream connection: bad frame");
                        break 'conn false;
                    }
                }
            }
            let read = tokio::select! {
                biased;
                _ = shutdown.wait_for(|stop| *stop) => break true,
                read = r.read_buf(&mut rbuf) => read,
            };
            match read {
                Ok(0) | Err(_) => break false,
                Ok(_) => {}
            }
        };
        let open: Vec<(i32, Entry)> = lock(&streams).drain().collect();
        for (id, entry) in open {
            if let Some(task) = entry.task {
                task.abort();
            }
            if stopping {
                let ex = TApplicationException::new(
                    exception_type::TRANSPORT_CLOSING,
                    "server is shutting down",
                );
                end_stream(&tx, id, &entry.method, &entry.header_sent, Some(ex), None).await;
            }
        }
        tracing::debug!(%peer, "ttstream connection closed");
    }

    async fn on_frame(&self, frame: StreamFrame, conn: &Conn<'_>) {
        let Conn { peer, streams, .. } = *conn;
        let id = frame.stream_id;
        match frame.frame_type {
            FrameType::Header => self.open_stream(frame, conn).await,
            FrameType::Data => {
                let sender = lock(streams).get(&id).and_then(|e| e.tx.clone());
                let Some(sender) = sender else { return };
                let n = frame.payload.len();
                // A handler that stopped reading just loses the message.
                if sender.push(frame.payload, n).await == Err(Refused::Full) {
                    self.overflow(conn, id).await;
                }
            }
            FrameType::Trailer => {
                if let Some(e) = lock(streams).get_mut(&id) {
                    e.tx = None;
                }
            }
            FrameType::Rst => {
                if let Some(e) = lock(streams).remove(&id)
                    && let Some(task) = e.task
                {
                    tracing::debug!(%peer, stream = id, "stream reset by the client");
                    task.abort();
                    self.inner.counters.reset_by_client();
                }
            }
            FrameType::Meta => {}
        }
    }

    /// Resets stream `id`, whose handler left more than the stream buffer
    /// of requests unread.
    async fn overflow(&self, conn: &Conn<'_>, id: i32) {
        let Some(entry) = lock(conn.streams).remove(&id) else {
            return;
        };
        if let Some(task) = entry.task {
            task.abort();
        }
        bump(&self.inner.counters.overflowed);
        let why = format!(
            "stream {id} of `{}` was reset: its handler left more than {} bytes of requests unread (the stream buffer limit)",
            entry.method,
            conn.budget.per_stream()
        );
        tracing::warn!(peer = %conn.peer, stream = id, reason = %why, "stream reset");
        let ex = TApplicationException::new(exception_type::INTERNAL_CANCEL, why);
        let _ = conn.tx.send(rst(id, &entry.method, &ex)).await;
    }

    async fn open_stream(&self, frame: StreamFrame, conn: &Conn<'_>) {
        let Conn {
            peer, tx, streams, ..
        } = *conn;
        let cfg = &self.inner;
        let id = frame.stream_id;
        let method: Arc<str> = Arc::from(frame.method.as_str());
        let header_sent = Arc::new(AtomicBool::new(false));
        let refuse = |kind: TApplicationExceptionType, msg: String| {
            let tx = tx.clone();
            let method = method.clone();
            let header_sent = header_sent.clone();
            bump(&cfg.counters.refused);
            async move {
                tracing::debug!(%peer, stream = id, reason = %msg, "stream refused");
                let ex = TApplicationException::new(kind, msg);
                end_stream(&tx, id, &method, &header_sent, Some(ex), None).await;
            }
        };
        if lock(streams).contains_key(&id) {
            return refuse(
                exception_type::ILLEGAL_FRAME,
                format!("stream {id} is already open"),
            )
            .await;
        }
        if lock(streams).len() >= cfg.max_streams {
            return refuse(
                exception_type::ILLEGAL_OPERATION,
                format!(
                    "too many streams on this connection (max {})",
                    cfg.max_streams
                ),
            )
            .await;
        }
        let codec = match MessageCodec::new(
            cfg.idl.pool(),
            frame.service().filter(|s| !s.is_empty()),
            &method,
            cfg.mode,
            cfg.options,
            cfg.limits,
        ) {
            Ok(c) => c,
            Err(err) => {
                return refuse(TApplicationExceptionType::UNKNOWN_METHOD, format!("{err}")).await;
            }
        };
        let (req_tx, req_rx) = conn.budget.inbox();
        let call = StreamCall {
            service: codec.service().to_owned(),
            method: method.to_string(),
            kind: codec.kind(),
            headers: frame.str_kvs,
            peer,
            stream_id: id,
        };
        let requests = Requests {
            rx: Incoming::Frames(req_rx),
            codec: codec.clone(),
        };
        let replies = Replies {
            sink: Sink::Frames {
                tx: tx.clone(),
                id,
                method: method.clone(),
                header_sent: header_sent.clone(),
            },
            codec,
            max_message_size: cfg.max_message_size,
        };
        // Registered before the task runs, so its end finds the entry.
        lock(streams).insert(
            id,
            Entry {
                tx: Some(Arc::new(req_tx)),
                task: None,
                header_sent: header_sent.clone(),
                method: method.clone(),
            },
        );
        bump(&cfg.counters.opened);
        let fut = cfg.handler.serve(call, requests, replies);
        let timeout = cfg.stream_timeout;
        let streams2 = streams.clone();
        let tx2 = tx.clone();
        let counters = cfg.counters.clone();
        let task = tokio::spawn(async move {
            let result = match timeout {
                Some(t) => tokio::time::timeout(t, fut).await.ok(),
                None => Some(fut.await),
            };
            // Reset by the client meanwhile: nothing more to send.
            if lock(&streams2).remove(&id).is_none() {
                return;
            }
            counters.ended(result.as_ref());
            match result {
                Some(Ok(())) => end_stream(&tx2, id, &method, &header_sent, None, None).await,
                Some(Err(err)) => {
                    if let Some(biz) = err.as_biz_status() {
                        let mut h = TTHeader::default();
                        biz.write(&mut h);
                        end_stream(&tx2, id, &method, &header_sent, None, Some(h.str_kvs)).await;
                    } else {
                        let ex = TApplicationException::new(err.kind(), err.message());
                        end_stream(&tx2, id, &method, &header_sent, Some(ex), None).await;
                    }
                }
                None => {
                    tracing::debug!(stream = id, "stream timed out on the server");
                    let ex = TApplicationException::new(
                        exception_type::STREAM_TIMEOUT,
                        "stream timeout on the server",
                    );
                    let _ = tx2.send(rst(id, &method, &ex)).await;
                }
            }
        });
        if let Some(e) = lock(streams).get_mut(&id) {
            e.task = Some(task.abort_handle());
        }
    }
}

/// One stream's handler started for another transport (Thrift over gRPC):
/// requests go in through `requests`, replies come out of `replies`, and
/// `done` is the handler's result (`None`: the stream timeout passed).
#[cfg_attr(not(feature = "grpc"), allow(dead_code))]
pub(crate) struct Opened {
    pub(crate) requests: mpsc::Sender<Bytes>,
    pub(crate) replies: mpsc::Receiver<Bytes>,
    pub(crate) done: tokio::task::JoinHandle<Option<Result<(), HandlerError>>>,
    /// The server's counters, for the transport to count resets.
    pub(crate) counters: Arc<Counters>,
}

#[cfg_attr(not(feature = "grpc"), allow(dead_code))]
impl StreamServer {
    /// Whether `service.method` (any service when `None`) is a streaming
    /// method of the server's IDL.
    pub(crate) fn is_streaming(&self, service: Option<&str>, method: &str) -> bool {
        super::find_method(&self.inner.idl.pool(), service, method).is_ok()
    }

    /// The largest message the server accepts or sends.
    pub(crate) fn max_message_size(&self) -> usize {
        self.inner.max_message_size
    }

    /// Starts the handler for one stream of `service.method` carried by
    /// another transport; `stream_id` and `headers` are what the handler's
    /// [`StreamCall`] reports.
    pub(crate) fn open(
        &self,
        service: Option<&str>,
        method: &str,
        headers: BTreeMap<String, String>,
        peer: SocketAddr,
        stream_id: i32,
    ) -> crate::Result<Opened> {
        let cfg = &self.inner;
        let codec = MessageCodec::new(
            cfg.idl.pool(),
            service,
            method,
            cfg.mode,
            cfg.options,
            cfg.limits,
        )?;
        let (req_tx, req_rx) = mpsc::channel(MESSAGE_QUEUE);
        let (rep_tx, rep_rx) = mpsc::channel(MESSAGE_QUEUE);
        let call = StreamCall {
            service: codec.service().to_owned(),
            method: method.to_owned(),
            kind: codec.kind(),
            headers,
            peer,
            stream_id,
        };
        let requests = Requests {
            rx: Incoming::Messages(req_rx),
            codec: codec.clone(),
        };
        let replies = Replies {
            sink: Sink::Messages(rep_tx),
            codec,
            max_message_size: cfg.max_message_size,
        };
        bump(&cfg.counters.opened);
        let fut = cfg.handler.serve(call, requests, replies);
        let timeout = cfg.stream_timeout;
        let counters = cfg.counters.clone();
        let done = tokio::spawn(async move {
            let result = match timeout {
                Some(t) => tokio::time::timeout(t, fut).await.ok(),
                None => Some(fut.await),
            };
            counters.ended(result.as_ref());
            result
        });
        Ok(Opened {
            requests: req_tx,
            replies: rep_rx,
            done,
            counters: cfg.counters.clone(),
        })
    }
}

/// The server's Rst frame for stream `id` of `method`.
fn rst(id: i32, method: &str, ex: &TApplicationException) -> StreamFrame {
    StreamFrame::new(FrameType::Rst, id, method).with_exception(ex)
}

/// Sends the Header frame (when none went yet) and the Trailer.
async fn end_stream(
    tx: &mpsc::Sender<StreamFrame>,
    id: i32,
    method: &str,
    header_sent: &AtomicBool,
    exception: Option<TApplicationException>,
    keys: Option<BTreeMap<String, String>>,
) {
    if !header_sent.swap(true, Ordering::Relaxed) {
        let _ = tx
            .send(StreamFrame::new(FrameType::Header, id, method))
            .await;
    }
    let mut trailer = StreamFrame::new(FrameType::Trailer, id, method);
    if let Some(keys) = keys {
        trailer.str_kvs = keys;
    }
    if let Some(ex) = exception {
        trailer = trailer.with_exception(&ex);
    }
    let _ = tx.send(trailer).await;
}
