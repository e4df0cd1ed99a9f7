//! The client side: one multiplexed connection, streams on it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anycall_codec::frame::ttheader::str_key;
use anycall_codec::frame::ttstream::{default_rst_exception, exception_type};
use anycall_codec::frame::{FrameType, StreamDecoder, StreamFrame};
use anycall_codec::thrift::TApplicationException;
use anycall_codec::{Limits, Options};
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::inbox::{Budget, Inbox, InboxTx, Refused};
use super::{
    ConnLimits, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_STREAM_BUFFER, MessageCodec, spawn_writer,
};
use crate::biz::BizStatus;
use crate::error::{Error, Kind};
use crate::payload::{Idl, Payload};
use crate::server::Mode;

/// What a stream's reader hands to its [`RawStream`].
#[derive(Debug)]
enum Inbound {
    Header(BTreeMap<String, String>),
    Meta(BTreeMap<String, String>),
    Data(Bytes),
    Trailer(StreamFrame),
    Rst(StreamFrame),
    /// The stream passed its buffer limit and was reset.
    Overflow(String),
    Closed(String),
}

/// Where the connection's reader puts one stream's frames.
#[derive(Debug)]
struct Slot {
    inbox: InboxTx<Inbound>,
    method: Arc<str>,
}

#[derive(Debug)]
struct ConnShared {
    tx: mpsc::Sender<StreamFrame>,
    streams: Mutex<HashMap<i32, Arc<Slot>>>,
    next_id: AtomicI32,
    closed: AtomicBool,
    limits: ConnLimits,
    budget: Budget,
    caller: String,
}

impl ConnShared {
    fn remove(&self, id: i32) -> Option<Arc<Slot>> {
        self.streams.lock().ok()?.remove(&id)
    }

    /// An Rst frame for stream `id` of `method`: `ex`, and this caller as
    /// the cancel path.
    fn rst(&self, id: i32, method: &str, ex: &TApplicationException) -> StreamFrame {
        StreamFrame::new(FrameType::Rst, id, method)
            .with_str(str_key::STREAM_CANCEL_PATH, self.caller.clone())
            .with_exception(ex)
    }

    fn next_stream_id(&self) -> i32 {
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            // 0 is reserved for connection-level control (spec §7.1).
            if id != 0 {
                return id;
            }
        }
    }
}

/// Builds a [`StreamClient`].
#[derive(Debug, Clone)]
pub struct StreamClientBuilder {
    addr: String,
    idl: Option<Idl>,
    service: Option<String>,
    caller: String,
    connect_timeout: Duration,
    stream_timeout: Option<Duration>,
    max_message_size: usize,
    max_stream_buffer: usize,
    mode: Mode,
    options: Options,
    limits: Limits,
    headers: BTreeMap<String, String>,
}

impl StreamClientBuilder {
    /// A string key sent in the Header frame of every stream: metainfo
    /// (`RPC_TRANSIT_k`, `RPC_PERSIST_k`) or a user header. Default: none.
    pub fn header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(key.into(), value.into());
        self
    }

    /// The IDL for the JSON and `Value` modes. Default: none (binary only).
    pub fn idl(mut self, idl: impl Into<Idl>) -> Self {
        self.idl = Some(idl.into());
        self
    }

    /// The IDL service name sent as `isn`. Default: the service of the
    /// method in the IDL (binary mode without one: none sent).
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }

    /// This caller's name, the `ttscp` cancel path of the Rst frames it
    /// sends. Default `anycall`.
    pub fn caller(mut self, name: impl Into<String>) -> Self {
        self.caller = name.into();
        self
    }

    /// Connect timeout. Default 1 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// A deadline for every stream, from its opening: when it passes, the
    /// stream is reset (Rst, exception 12015) and its next operation fails
    /// with a timeout. Default: none.
    pub fn stream_timeout(mut self, timeout: Duration) -> Self {
        self.stream_timeout = Some(timeout);
        self
    }

    /// Bytes of received, unread messages this client holds per stream
    /// (default [`DEFAULT_STREAM_BUFFER`], 16 MiB); a stream whose reader
    /// leaves more unread is reset, the others go on (see the [module
    /// docs](super) on flow).
    pub fn max_stream_buffer(mut self, bytes: usize) -> Self {
        self.max_stream_buffer = bytes;
        self
    }

    /// The largest message sent or accepted. Default
    /// [`DEFAULT_MAX_MESSAGE_SIZE`] (4 MiB).
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max;
        self
    }

    /// The message mode of the typed calls. Default [`Mode::Json`].
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

    /// Connects.
    ///
    /// # Errors
    ///
    /// A connect error (or connect timeout) naming the address.
    pub async fn connect(self) -> crate::Result<StreamClient> {
        let sock = tokio::time::timeout(self.connect_timeout, TcpStream::connect(&self.addr))
            .await
            .map_err(|_| {
                Error::new(
                    Kind::ConnectTimeout,
                    format!("connecting to {} timed out", self.addr),
                )
            })?
            .map_err(|e| {
                Error::new(Kind::Connect, format!("cannot connect to {}", self.addr)).with_source(e)
            })?;
        let _ = sock.set_nodelay(true);
        let (r, w) = sock.into_split();
        let limits = ConnLimits {
            max_message_size: self.max_message_size,
        };
        let conn = Arc::new(ConnShared {
            tx: spawn_writer(w, self.max_message_size),
            streams: Mutex::new(HashMap::new()),
            next_id: AtomicI32::new(1),
            closed: AtomicBool::new(false),
            limits,
            budget: Budget::new(self.max_stream_buffer),
            caller: self.caller.clone(),
        });
        let (owner, dropped) = oneshot::channel();
        tokio::spawn(read_loop(r, conn.clone(), dropped));
        Ok(StreamClient {
            conn,
            owner: Arc::new(owner),
            cfg: Arc::new(self),
        })
    }
}

async fn read_loop(
    mut sock: OwnedReadHalf,
    conn: Arc<ConnShared>,
    mut dropped: oneshot::Receiver<()>,
) {
    let mut dec = StreamDecoder::new().with_limits(conn.limits.frame_limits());
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let why = 'conn: loop {
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(frame)) => {
                    let id = frame.stream_id;
                    let tx = conn.streams.lock().ok().and_then(|m| m.get(&id).cloned());
                    let Some(tx) = tx else {
                        continue; // unknown or finished stream: ignored (spec §7.3)
                    };
                    let (ev, bytes) = match frame.frame_type {
                        FrameType::Header => (Inbound::Header(frame.str_kvs), 0),
                        FrameType::Meta => (Inbound::Meta(frame.str_kvs), frame.payload.len()),
                        FrameType::Data => {
                            let n = frame.payload.len();
                            (Inbound::Data(frame.payload), n)
                        }
                        FrameType::Trailer => (Inbound::Trailer(frame), 0),
                        FrameType::Rst => (Inbound::Rst(frame), 0),
                    };
                    if matches!(ev, Inbound::Trailer(_) | Inbound::Rst(_)) {
                        // The stream's last frame: nothing after it counts.
                        conn.remove(id);
                        tx.inbox.push_last(ev);
                        continue;
                    }
                    // A stream whose reader went away is simply skipped.
                    if tx.inbox.push(ev, bytes).await == Err(Refused::Full) {
                        overflow(&conn, &tx, id).await;
                    }
                }
                Ok(None) => break,
                Err(err) => break 'conn format!("bad frame from the server: {err}"),
            }
        }
        let read = tokio::select! {
            read = sock.read_buf(&mut buf) => read,
            _ = &mut dropped => break "the client was dropped".to_owned(),
        };
        match read {
            Ok(0) => break "the server closed the connection".to_owned(),
            Ok(_) => {}
            Err(err) => break format!("reading from the server failed: {err}"),
        }
    };
    conn.closed.store(true, Ordering::Relaxed);
    let streams: Vec<_> = conn
        .streams
        .lock()
        .map(|mut m| m.drain().map(|(_, tx)| tx).collect())
        .unwrap_or_default();
    for tx in streams {
        tx.inbox.push_last(Inbound::Closed(why.clone()));
    }
}

/// Resets stream `id`, whose reader left more than its buffer unread; the
/// reader gets the reason after what it has not read yet.
async fn overflow(conn: &ConnShared, slot: &Slot, id: i32) {
    conn.remove(id);
    let method = &*slot.method;
    let why = format!(
        "stream {id} of `{method}` was reset: more than {} bytes of replies were received and not read (the stream buffer limit)",
        conn.budget.per_stream()
    );
    tracing::debug!(stream = id, reason = %why, "stream reset");
    let ex = TApplicationException::new(exception_type::INTERNAL_CANCEL, why.clone());
    let _ = conn.tx.send(conn.rst(id, method, &ex)).await;
    slot.inbox.push_last(Inbound::Overflow(why));
}

/// A TTHeader Streaming client: one multiplexed connection that carries
/// any number of concurrent streams. Cheap to clone.
///
/// ```no_run
/// # async fn f() -> anycall_rpc::Result<()> {
/// use anycall_rpc::Payload;
/// use anycall_rpc::ttstream::StreamClient;
///
/// let idl = anycall_idl::Pool::from_file("streaming.thrift", Vec::<String>::new()).unwrap();
/// let client = StreamClient::builder("127.0.0.1:8888").idl(idl).connect().await?;
/// let mut bidi = client.bidi("Echo").await?;
/// bidi.send(Payload::Json(r#"{"msg":"hi"}"#.into())).await?;
/// bidi.close_send().await?;
/// while let Some(reply) = bidi.recv().await? {
///     println!("{reply:?}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct StreamClient {
    conn: Arc<ConnShared>,
    /// Held by the client's clones and its streams: when the last goes,
    /// the connection's reader stops and the connection closes.
    owner: Owner,
    cfg: Arc<StreamClientBuilder>,
}

/// Keeps a connection open while held; see [`StreamClient`].
type Owner = Arc<oneshot::Sender<()>>;

impl StreamClient {
    /// A builder for a connection to `addr` (`host:port`).
    pub fn builder(addr: impl Into<String>) -> StreamClientBuilder {
        StreamClientBuilder {
            addr: addr.into(),
            idl: None,
            service: None,
            caller: "anycall".to_owned(),
            connect_timeout: Duration::from_secs(1),
            stream_timeout: None,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_stream_buffer: DEFAULT_STREAM_BUFFER,
            mode: Mode::Json,
            options: Options::default(),
            limits: Limits::default(),
            headers: BTreeMap::new(),
        }
    }

    /// Whether the connection has failed or been closed by the server.
    pub fn is_closed(&self) -> bool {
        self.conn.closed.load(Ordering::Relaxed) || self.conn.tx.is_closed()
    }

    /// Opens a stream of encoded messages: sends the Header frame with
    /// `isn` = `service` (when given) and `headers` (metainfo, user headers).
    ///
    /// # Errors
    ///
    /// An I/O error when the connection is closed.
    pub async fn open(
        &self,
        service: Option<&str>,
        method: &str,
        headers: BTreeMap<String, String>,
    ) -> crate::Result<RawStream> {
        if self.is_closed() {
            return Err(Error::new(Kind::Io, "the stream connection is closed"));
        }
        let id = self.conn.next_stream_id();
        let method: Arc<str> = Arc::from(method);
        let (inbox, rx) = self.conn.budget.inbox();
        if let Ok(mut map) = self.conn.streams.lock() {
            let slot = Slot {
                inbox,
                method: method.clone(),
            };
            map.insert(id, Arc::new(slot));
        }
        let mut header = StreamFrame::new(FrameType::Header, id, &*method);
        header.str_kvs.clone_from(&self.cfg.headers);
        header.str_kvs.extend(headers);
        if let Some(s) = service.or(self.cfg.service.as_deref()) {
            header
                .str_kvs
                .insert(str_key::IDL_SERVICE_NAME.to_owned(), s.to_owned());
        }
        let stream = RawStream {
            id,
            method,
            conn: self.conn.clone(),
            _owner: self.owner.clone(),
            rx,
            deadline: self.cfg.stream_timeout.map(|t| (Instant::now() + t, t)),
            send_closed: false,
            finished: false,
            header: None,
            meta: BTreeMap::new(),
            trailer: None,
        };
        self.conn
            .tx
            .send(header)
            .await
            .map_err(|_| Error::new(Kind::Io, "the stream connection is closed"))?;
        Ok(stream)
    }

    fn codec(&self, method: &str) -> crate::Result<MessageCodec> {
        let idl = self.cfg.idl.as_ref().ok_or_else(|| {
            Error::config("typed streaming calls need an IDL (StreamClientBuilder::idl)")
        })?;
        MessageCodec::new(
            idl.pool(),
            self.cfg.service.as_deref(),
            method,
            self.cfg.mode,
            self.cfg.options,
            self.cfg.limits,
        )
    }

    async fn open_typed(&self, method: &str) -> crate::Result<MessageStream> {
        let codec = self.codec(method)?;
        let raw = self
            .open(Some(codec.service()), method, BTreeMap::new())
            .await?;
        Ok(MessageStream { raw, codec })
    }

    /// A bidirectional stream: `send`, `recv`, `close_send`.
    ///
    /// # Errors
    ///
    /// Config errors for a method that is not a streaming one; I/O errors.
    pub async fn bidi(&self, method: &str) -> crate::Result<BidiStreaming> {
        self.open_typed(method).await.map(BidiStreaming)
    }

    /// A client stream: `send` many, then `close_and_recv` the one reply.
    ///
    /// # Errors
    ///
    /// As [`StreamClient::bidi`].
    pub async fn client_streaming(&self, method: &str) -> crate::Result<ClientStreaming> {
        self.open_typed(method).await.map(ClientStreaming)
    }

    /// A server stream: the request is sent and the sending side closed at
    /// once; `recv` until `None`.
    ///
    /// # Errors
    ///
    /// As [`StreamClient::bidi`], and encoding errors of the request.
    pub async fn server_streaming(
        &self,
        method: &str,
        request: Payload,
    ) -> crate::Result<ServerStreaming> {
        let mut s = self.open_typed(method).await?;
        s.send(&request).await?;
        s.raw.close_send().await?;
        Ok(ServerStreaming(s))
    }
}

/// One stream of encoded messages (bare Thrift-binary structs).
///
/// Dropping a stream that has not ended resets it (Rst, exception 12007),
/// which is how a caller cancels.
#[derive(Debug)]
pub struct RawStream {
    id: i32,
    method: Arc<str>,
    conn: Arc<ConnShared>,
    _owner: Owner,
    rx: Inbox<Inbound>,
    deadline: Option<(Instant, Duration)>,
    send_closed: bool,
    finished: bool,
    header: Option<BTreeMap<String, String>>,
    meta: BTreeMap<String, String>,
    trailer: Option<BTreeMap<String, String>>,
}

impl RawStream {
    /// The stream id.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The server's Header frame keys, once received.
    pub fn header(&self) -> Option<&BTreeMap<String, String>> {
        self.header.as_ref()
    }

    /// The keys of the Meta frames the server sent so far, merged (a later
    /// frame's value wins). Kitex servers send Meta frames only from custom
    /// handlers; they travel beside the messages.
    pub fn meta(&self) -> &BTreeMap<String, String> {
        &self.meta
    }

    /// The server's Trailer frame keys, once received.
    pub fn trailer(&self) -> Option<&BTreeMap<String, String>> {
        self.trailer.as_ref()
    }

    fn closed_error() -> Error {
        Error::new(Kind::Io, "the stream connection is closed")
    }

    fn timed_out(&mut self) -> Error {
        let after = self.deadline.map_or(Duration::ZERO, |(_, t)| t);
        self.reset(&TApplicationException::new(
            exception_type::STREAM_TIMEOUT,
            "stream timeout",
        ));
        Error::new(
            Kind::Timeout,
            format!(
                "stream {} of `{}` timed out after {after:?}",
                self.id, self.method
            ),
        )
    }

    async fn push(&mut self, frame: StreamFrame) -> crate::Result<()> {
        let send = self.conn.tx.send(frame);
        match self.deadline {
            Some((at, _)) => match tokio::time::timeout_at(at, send).await {
                Ok(r) => r.map_err(|_| Self::closed_error()),
                Err(_) => Err(self.timed_out()),
            },
            None => send.await.map_err(|_| Self::closed_error()),
        }
    }

    /// Sends one message.
    ///
    /// # Errors
    ///
    /// After `close_send` or the end of the stream; a message over the
    /// size limit; a closed connection; the stream's deadline.
    pub async fn send(&mut self, message: Bytes) -> crate::Result<()> {
        if self.send_closed || self.finished {
            return Err(Error::protocol(format!(
                "stream {} of `{}` is closed for sending",
                self.id, self.method
            )));
        }
        if message.len() > self.conn.limits.max_message_size {
            return Err(Error::config(format!(
                "a message of {} bytes exceeds the {}-byte limit",
                message.len(),
                self.conn.limits.max_message_size
            )));
        }
        self.push(StreamFrame::data(self.id, &*self.method, message))
            .await
    }

    /// Half-closes: the server sees the end of the requests. Idempotent.
    ///
    /// # Errors
    ///
    /// A closed connection; the stream's deadline.
    pub async fn close_send(&mut self) -> crate::Result<()> {
        if self.send_closed || self.finished {
            return Ok(());
        }
        self.send_closed = true;
        self.push(StreamFrame::new(FrameType::Trailer, self.id, &*self.method))
            .await
    }

    /// The next message; `None` once the server ended the stream with a
    /// successful trailer.
    ///
    /// # Errors
    ///
    /// The server's error trailer (application exception or business
    /// status), an Rst from the server, a closed connection, the deadline.
    pub async fn recv(&mut self) -> crate::Result<Option<Bytes>> {
        if self.finished {
            return Ok(None);
        }
        loop {
            let next = match self.deadline {
                Some((at, _)) => match tokio::time::timeout_at(at, self.rx.recv()).await {
                    Ok(ev) => ev,
                    Err(_) => return Err(self.timed_out()),
                },
                None => self.rx.recv().await,
            };
            let ev = next.unwrap_or(Inbound::Closed("the stream connection is closed".into()));
            match ev {
                Inbound::Header(h) => {
                    if self.header.is_some() {
                        self.reset(&TApplicationException::new(
                            exception_type::UNEXPECTED_HEADER,
                            "a second header frame",
                        ));
                        return Err(Error::protocol(format!(
                            "stream {}: the server sent a second header frame",
                            self.id
                        )));
                    }
                    self.header = Some(h);
                }
                Inbound::Meta(keys) => self.meta.extend(keys),
                Inbound::Data(bytes) => return Ok(Some(bytes)),
                Inbound::Trailer(frame) => {
                    self.end();
                    let ex = frame.exception().map_err(|e| {
                        Error::codec(format!("stream {}: bad trailer payload", self.id), e)
                    })?;
                    let header = frame.to_ttheader();
                    self.trailer = Some(frame.str_kvs);
                    if let Some(ex) = ex {
                        return Err(Error::from_application(ex));
                    }
                    if let Some(biz) = BizStatus::from_header(&header) {
                        return Err(Error::from_biz_status(biz));
                    }
                    return Ok(None);
                }
                Inbound::Rst(frame) => {
                    self.end();
                    let ex = frame
                        .exception()
                        .ok()
                        .flatten()
                        .unwrap_or_else(default_rst_exception);
                    return Err(Error::from_application(ex));
                }
                Inbound::Overflow(why) => {
                    // The connection's reader already sent the Rst.
                    self.end();
                    return Err(Error::protocol(why));
                }
                Inbound::Closed(why) => {
                    self.end();
                    return Err(Error::new(Kind::Io, why));
                }
            }
        }
    }

    /// Cancels the stream: sends Rst (exception 12007, cancel path = this
    /// caller) and ends it.
    pub fn cancel(mut self) {
        self.reset(&TApplicationException::new(
            exception_type::BIZ_CANCEL,
            "the caller cancelled the stream",
        ));
    }

    fn end(&mut self) {
        self.finished = true;
        self.conn.remove(self.id);
    }

    fn reset(&mut self, ex: &TApplicationException) {
        if self.finished {
            return;
        }
        self.end();
        let rst = self.conn.rst(self.id, &self.method, ex);
        // The writer may be full or gone; a reset that cannot be queued
        // leaves the stream to the connection's end.
        let _ = self.conn.tx.try_send(rst);
    }
}

impl Drop for RawStream {
    fn drop(&mut self) {
        self.reset(&TApplicationException::new(
            exception_type::BIZ_CANCEL,
            "the caller dropped the stream",
        ));
    }
}

/// A stream of typed messages.
#[derive(Debug)]
struct MessageStream {
    raw: RawStream,
    codec: MessageCodec,
}

impl MessageStream {
    async fn send(&mut self, message: &Payload) -> crate::Result<()> {
        let bytes = self.codec.encode(true, message)?;
        self.raw.send(bytes).await
    }

    async fn recv(&mut self) -> crate::Result<Option<Payload>> {
        match self.raw.recv().await? {
            Some(bytes) => self.codec.decode(false, bytes).map(Some),
            None => Ok(None),
        }
    }
}

/// A bidirectional stream ([`StreamClient::bidi`]).
#[derive(Debug)]
pub struct BidiStreaming(MessageStream);

impl BidiStreaming {
    /// Sends one request message.
    ///
    /// # Errors
    ///
    /// Encoding errors, and those of [`RawStream::send`].
    pub async fn send(&mut self, message: Payload) -> crate::Result<()> {
        self.0.send(&message).await
    }

    /// The next reply; `None` at the end of the stream.
    ///
    /// # Errors
    ///
    /// Decoding errors, and those of [`RawStream::recv`].
    pub async fn recv(&mut self) -> crate::Result<Option<Payload>> {
        self.0.recv().await
    }

    /// Half-closes.
    ///
    /// # Errors
    ///
    /// As [`RawStream::close_send`].
    pub async fn close_send(&mut self) -> crate::Result<()> {
        self.0.raw.close_send().await
    }

    /// Cancels (Rst).
    pub fn cancel(self) {
        self.0.raw.cancel();
    }

    /// The underlying stream (headers, trailers, id).
    pub fn raw(&self) -> &RawStream {
        &self.0.raw
    }
}

/// A client stream ([`StreamClient::client_streaming`]).
#[derive(Debug)]
pub struct ClientStreaming(MessageStream);

impl ClientStreaming {
    /// Sends one request message.
    ///
    /// # Errors
    ///
    /// As [`BidiStreaming::send`].
    pub async fn send(&mut self, message: Payload) -> crate::Result<()> {
        self.0.send(&message).await
    }

    /// Half-closes and waits for the one reply.
    ///
    /// # Errors
    ///
    /// As [`BidiStreaming::recv`]; a protocol error when the server ended
    /// the stream without a reply.
    pub async fn close_and_recv(mut self) -> crate::Result<Payload> {
        self.0.raw.close_send().await?;
        let reply =
            self.0.recv().await?.ok_or_else(|| {
                Error::protocol("the server ended the client stream without a reply")
            })?;
        // Drain to the trailer so errors after the reply are seen.
        while self.0.raw.recv().await?.is_some() {}
        Ok(reply)
    }

    /// Cancels (Rst).
    pub fn cancel(self) {
        self.0.raw.cancel();
    }
}

/// A server stream ([`StreamClient::server_streaming`]).
#[derive(Debug)]
pub struct ServerStreaming(MessageStream);

impl ServerStreaming {
    /// The next reply; `None` at the end of the stream.
    ///
    /// # Errors
    ///
    /// As [`BidiStreaming::recv`].
    pub async fn recv(&mut self) -> crate::Result<Option<Payload>> {
        self.0.recv().await
    }

    /// Cancels (Rst).
    pub fn cancel(self) {
        self.0.raw.cancel();
    }
}
