//! The generic client: a [`Target`] (host list, DNS name, etcd service)
//! balanced by weighted round-robin, a pool of long connections per
//! address, and calls in the JSON, `Value` and binary modes.
//!
//! One call, in order:
//!
//! ```text
//! resolve method (IDL snapshot) -> pick host (weighted round-robin, skipping hosts in
//!   connect back-off; crate::discovery) -> idle connection or connect
//!   (connect timeout) -> encode message in place behind the frame header -> write
//!   -> [oneway: done] -> read reply frame -> check type, seq id, method name
//!   -> decode reply (binary mode: check it is one whole struct) -> connection back to the pool
//! ```
//!
//! The RPC timeout covers everything from taking a connection to the last
//! byte of the reply, connecting included; the connect timeout bounds
//! connecting alone. A connection that saw any error or timeout, or whose
//! reply could not be read, is closed, never pooled again (a
//! `TApplicationException` or a business status is a well-formed reply: its
//! connection goes back to the pool). A connect failure sends the call to
//! another host ([`Failover`]).
//!
//! No multiplexing: each connection carries one call at a time. Measured on
//! a 2-core machine over loopback (release build, TTHeader, a server that
//! answers at once), multiplexing 8 to 64 concurrent calls over one
//! connection gave 1.5× the throughput of a pool (61k–65k vs 39k–41k calls/s),
//! but servers that handle one request per connection at a time (ours,
//! Kitex and Volo without their mux options) then serialise the calls:
//! with a 1 ms handler the multiplexed client fell to 450 calls/s against
//! 3.5k–15k for the pool. A pool works with every server.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anycall_codec::call::{self, Reply};
use anycall_codec::frame::ttheader::{ProtocolId, int_key, str_key};
use anycall_codec::frame::{DEFAULT_MAX_FRAME_SIZE, Frame, TTHeader, Transport};
use anycall_codec::thrift::{
    self, MessageType, Protocol, ProtocolReader, Reader, TApplicationException, TType, protocol_of,
};
use anycall_codec::{Limits, Options, Value};
use anycall_idl::{MethodDescriptor, Pool};
use bytes::{Bytes, BytesMut};
use tokio::net::TcpStream;

use crate::biz::BizStatus;
use crate::conn::{Conn, encode_frame, frame_decoder};
use crate::discovery::{Balancer, EndpointStats, Failover, Host, Target};
use crate::error::{Error, Kind, Result, fmt_duration};
use crate::payload::{Idl, Metainfo, Payload};

/// Default connect timeout: 2 s. A lost SYN is retransmitted after 1 s,
/// so one retransmission still fits; a dead host fails fast enough for
/// interactive use.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default RPC timeout: 10 s. Generic calls come from tools and gateways
/// where hanging forever is worse than failing; services that legitimately
/// take longer should say so.
pub const DEFAULT_RPC_TIMEOUT: Duration = Duration::from_secs(10);
/// Default idle connections kept per address: 10 (Kitex's long-connection
/// pool default `MaxIdlePerAddress`).
pub const DEFAULT_MAX_IDLE_PER_HOST: usize = 10;
/// Default time an idle connection is kept: 30 s (Kitex's
/// `MaxIdleTimeout`), shorter than common server idle timeouts so the
/// client closes first.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default caller name sent as the TTHeader `FromService` key.
pub const DEFAULT_CALLER: &str = "anycall";

/// A request: a method, a payload in one of the generic modes, metainfo and
/// an optional per-call timeout.
///
/// ```
/// use anycall_rpc::Request;
///
/// let req = Request::json("Echo", r#"{"message": "hi"}"#).transient("trace", "t-1");
/// assert_eq!(req.method(), Some("Echo"));
/// ```
#[derive(Debug, Clone)]
pub struct Request {
    method: Option<String>,
    payload: Payload,
    metainfo: Metainfo,
    timeout: Option<Duration>,
}

impl Request {
    /// A JSON call of `method` (arguments in the shape described in
    /// `anycall_codec::call`).
    pub fn json(method: impl Into<String>, args: impl Into<String>) -> Self {
        Self::new(Some(method.into()), Payload::Json(args.into()))
    }

    /// A `Value` call of `method`.
    pub fn value(method: impl Into<String>, args: Value) -> Self {
        Self::new(Some(method.into()), Payload::Value(args))
    }

    /// A binary call: a whole encoded CALL or ONEWAY message (strict binary
    /// or compact). Its seq id is replaced on the wire and restored in the
    /// reply.
    pub fn binary(message: impl Into<Bytes>) -> Self {
        Self::new(None, Payload::Binary(message.into()))
    }

    fn new(method: Option<String>, payload: Payload) -> Self {
        Self {
            method,
            payload,
            metainfo: Metainfo::default(),
            timeout: None,
        }
    }

    /// Adds a transient metainfo value (`RPC_TRANSIT_<key>`).
    #[must_use]
    pub fn transient(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metainfo.transient.insert(key.into(), value.into());
        self
    }

    /// Adds a persistent metainfo value (`RPC_PERSIST_<key>`).
    #[must_use]
    pub fn persistent(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metainfo.persistent.insert(key.into(), value.into());
        self
    }

    /// Replaces the metainfo (its backward part is ignored on requests).
    #[must_use]
    pub fn metainfo(mut self, metainfo: Metainfo) -> Self {
        self.metainfo = metainfo;
        self
    }

    /// Overrides the client's RPC timeout for this call.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The method, `None` for binary calls (it is in the message).
    pub fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }
}

/// A reply and the backward metainfo that came with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The reply in the request's mode: [`Reply::Success`],
    /// [`Reply::Void`] or [`Reply::Exception`]; never
    /// [`Reply::Application`] (that is an [`Error`]). Binary calls give
    /// `Success(Payload::Binary(reply message))`, or `Void` when oneway.
    pub reply: Reply<Payload>,
    /// Backward metainfo from the reply's TTHeader.
    pub backward: BTreeMap<String, String>,
}

/// Builds a [`Client`]; every setter names its default.
#[derive(Debug, Clone)]
#[must_use = "call `build()` to get a client"]
pub struct ClientBuilder {
    hosts: String,
    target: Option<Target>,
    config: Config,
    idl: Option<Idl>,
    service: Option<String>,
}

#[derive(Debug, Clone)]
struct Config {
    transport: Transport,
    protocol: Protocol,
    connect_timeout: Duration,
    rpc_timeout: Duration,
    max_idle_per_host: usize,
    idle_timeout: Duration,
    max_frame_size: usize,
    options: Options,
    limits: Limits,
    caller: String,
    dest_service: Option<String>,
    multiplexed: bool,
    failover: Failover,
}

impl ClientBuilder {
    /// The transport. Default [`Transport::Framed`]: what Kitex clients use
    /// since v0.13 and what every server (Kitex, Volo, Apache) accepts.
    /// Metainfo needs [`Transport::TTHeader`] or [`Transport::TTHeaderFramed`]
    /// (Kitex, Volo) or [`Transport::THeader`] (Apache's `THeaderTransport`,
    /// whose headers carry transient values as plain keys).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.config.transport = transport;
        self
    }

    /// The protocol of JSON and `Value` calls. Default [`Protocol::Binary`]
    /// (Kitex speaks nothing else). Binary calls use their message's own.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.config.protocol = protocol;
        self
    }

    /// Connect timeout. Default [`DEFAULT_CONNECT_TIMEOUT`] (2 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// RPC timeout, from taking a connection to the end of the reply.
    /// Default [`DEFAULT_RPC_TIMEOUT`] (10 s). Per call:
    /// [`Request::timeout`].
    pub fn rpc_timeout(mut self, timeout: Duration) -> Self {
        self.config.rpc_timeout = timeout;
        self
    }

    /// Idle connections kept per address; 0 disables pooling (a connection
    /// per call). Default [`DEFAULT_MAX_IDLE_PER_HOST`] (10).
    pub fn max_idle_per_host(mut self, max: usize) -> Self {
        self.config.max_idle_per_host = max;
        self
    }

    /// How long an idle connection is kept. Default
    /// [`DEFAULT_IDLE_TIMEOUT`] (30 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// Largest frame written or read. Default 16 MiB
    /// (`anycall_codec::frame::DEFAULT_MAX_FRAME_SIZE`).
    pub fn max_frame_size(mut self, max: usize) -> Self {
        self.config.max_frame_size = max;
        self
    }

    /// Binds an IDL for JSON and `Value` calls. Default: none (binary calls
    /// only).
    pub fn idl(mut self, idl: impl Into<Idl>) -> Self {
        self.idl = Some(idl.into());
        self
    }

    /// The IDL service whose methods are called, also sent as the TTHeader
    /// `isn` key. Default: the pool's default service (the last service of
    /// the main file, as in Kitex); without an IDL, none.
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }

    /// The callee's service name, TTHeader int key 6 (`ToService`).
    /// Default: the IDL service name.
    pub fn dest_service(mut self, name: impl Into<String>) -> Self {
        self.config.dest_service = Some(name.into());
        self
    }

    /// Names methods `Service:method` on the wire, as Apache's
    /// `TMultiplexedProtocol` does, for servers that host several services
    /// behind a `TMultiplexedProcessor` (the service is
    /// [`service`](Self::service)'s). Replies name the bare method. Binary
    /// calls get the prefix too unless their name already has a `:`.
    /// Default: off.
    pub fn multiplexed(mut self, on: bool) -> Self {
        self.config.multiplexed = on;
        self
    }

    /// The caller's service name, TTHeader int key 3 (`FromService`).
    /// Default [`DEFAULT_CALLER`] (`anycall`).
    pub fn caller(mut self, name: impl Into<String>) -> Self {
        self.config.caller = name.into();
        self
    }

    /// JSON and `Value` transcoding options. Default [`Options::default`].
    pub fn options(mut self, options: Options) -> Self {
        self.config.options = options;
        self
    }

    /// Decoder limits for replies. Default [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// A parsed target, instead of the text given to
    /// [`Client::builder`].
    pub fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// What to do when a connection fails before the reply. Default
    /// [`Failover::Connect`]: connect failures go to another host.
    pub fn failover(mut self, failover: Failover) -> Self {
        self.config.failover = failover;
        self
    }

    /// Checks the settings and builds the client. No connection is made
    /// until the first call.
    ///
    /// # Errors
    ///
    /// [`Error::is_config`]: an empty host list, a host without a port, a
    /// target that does not parse ([`Target::parse`]), a dynamic target
    /// outside a tokio runtime, a zero timeout; [`Error::is_not_found`]: the
    /// service is not in the IDL.
    pub fn build(self) -> Result<Client> {
        let target = match self.target {
            Some(t) => t,
            None => Target::parse(&self.hosts)?,
        };
        if self.config.connect_timeout.is_zero() || self.config.rpc_timeout.is_zero() {
            return Err(Error::config("timeouts must be greater than zero"));
        }
        let service = match (&self.idl, self.service) {
            (Some(idl), Some(name)) => {
                if idl.pool().service(&name).is_none() {
                    return Err(Error::new(
                        Kind::NotFound,
                        format!("service `{name}` is not in the idl"),
                    ));
                }
                Some(name)
            }
            (Some(idl), None) => Some(
                idl.pool()
                    .default_service()
                    .ok_or_else(|| Error::new(Kind::NotFound, "the idl defines no service"))?
                    .name()
                    .to_owned(),
            ),
            (None, name) => name,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                balancer: Balancer::start(target)?,
                fixed_header: fixed_header(&self.config),
                config: self.config,
                idl: self.idl,
                service,
            }),
        })
    }
}

/// A generic Thrift client. Cheap to clone; clones share the pool.
///
/// ```no_run
/// # async fn run() -> Result<(), anycall_rpc::Error> {
/// use anycall_rpc::Client;
///
/// let pool = anycall_idl::Pool::from_file("echo.thrift", ["."]).unwrap();
/// let client = Client::builder("127.0.0.1:8888").idl(pool).build()?;
/// let reply = client.call_json("Echo", br#"{"message": "hi"}"#).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    balancer: Arc<Balancer>,
    config: Config,
    idl: Option<Idl>,
    service: Option<String>,
    /// The TTHeader int keys that are the same on every call.
    fixed_header: Vec<(u16, Bytes)>,
}

/// A pooled connection and when it became idle.
pub(crate) struct Idle {
    conn: PooledConn,
    since: Instant,
}

struct PooledConn {
    conn: Conn,
    host: Arc<Host>,
    seq: i32,
    /// Seq ids of the latest oneway calls on this connection: a server that
    /// answers oneway calls anyway (Kitex's binary generic server does) has
    /// its stray replies skipped, not taken for the next call's.
    oneway_seqs: Vec<i32>,
}

/// How many oneway seq ids a connection remembers for [`PooledConn::oneway_seqs`].
const MAX_ONEWAY_SEQS: usize = 8;

impl PooledConn {
    fn next_seq(&mut self) -> i32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn sent_oneway(&mut self, seq: i32) {
        if self.oneway_seqs.len() == MAX_ONEWAY_SEQS {
            self.oneway_seqs.remove(0);
        }
        self.oneway_seqs.push(seq);
    }

    /// Whether `payload` answers one of the remembered oneway calls (and
    /// forgets that call).
    fn is_oneway_reply(&mut self, payload: &[u8], protocol: Protocol) -> bool {
        if self.oneway_seqs.is_empty() {
            return false;
        }
        let Ok(seq) = message_seq_id(protocol, payload) else {
            return false;
        };
        match self.oneway_seqs.iter().position(|s| *s == seq) {
            Some(at) => {
                self.oneway_seqs.remove(at);
                true
            }
            None => false,
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field(
                "hosts",
                &self
                    .inner
                    .balancer
                    .hosts()
                    .iter()
                    .map(|h| h.addr.clone())
                    .collect::<Vec<_>>(),
            )
            .field("config", &self.inner.config)
            .field("service", &self.inner.service)
            .field("target", &self.inner.balancer.target())
            .finish_non_exhaustive()
    }
}

/// The encoded request, ready for a connection.
enum Body<'a> {
    Json(MethodDescriptor<'a>, &'a [u8]),
    Value(MethodDescriptor<'a>, &'a Value),
    Binary(&'a [u8]),
}

/// What came back on the wire.
pub(crate) struct Exchange {
    /// The reply message with the wire seq id; `None` for oneway.
    pub(crate) reply: Option<Bytes>,
    /// The reply's TTHeader, if any.
    pub(crate) header: Option<TTHeader>,
    /// The connection the reply came on, for [`Client::release`] once the
    /// reply has been read; dropped (closed) if it cannot be.
    conn: Option<PooledConn>,
}

impl Client {
    /// Starts a builder for a target ([`Target::parse`]): a comma-separated
    /// list of `host:port` (`"10.0.0.1:8888,10.0.0.2:8888"`),
    /// `dns://NAME:PORT` or `etcd://HOST:PORT[,HOST:PORT]/SERVICE`, called
    /// by weighted round-robin.
    pub fn builder(hosts: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            hosts: hosts.into(),
            target: None,
            config: Config {
                transport: Transport::Framed,
                protocol: Protocol::Binary,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                rpc_timeout: DEFAULT_RPC_TIMEOUT,
                max_idle_per_host: DEFAULT_MAX_IDLE_PER_HOST,
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                max_frame_size: DEFAULT_MAX_FRAME_SIZE,
                options: Options::default(),
                limits: Limits::default(),
                caller: DEFAULT_CALLER.to_owned(),
                dest_service: None,
                multiplexed: false,
                failover: Failover::default(),
            },
            idl: None,
            service: None,
        }
    }

    /// Calls `method` with JSON arguments; the result or exception value
    /// comes back as JSON text.
    ///
    /// # Errors
    ///
    /// A `TApplicationException` from the server ([`Error::is_application`]),
    /// transport failures ([`Error::is_timeout`], [`Error::is_connect`],
    /// [`Error::is_io`], [`Error::is_protocol`]), arguments that do not fit
    /// the IDL ([`Error::is_codec`]), an unknown method
    /// ([`Error::is_not_found`]), no IDL bound ([`Error::is_config`]).
    pub async fn call_json(&self, method: &str, args: &[u8]) -> Result<Reply<String>> {
        let pool = self.pool()?;
        let desc = self.method(&pool, method)?;
        let exchange = self
            .exchange(Body::Json(desc, args), &Metainfo::default(), None)
            .await?;
        let reply = self.decode_json(desc, exchange.reply)?;
        self.release(exchange.conn);
        no_application(reply)
    }

    /// Calls `method` with `Value` arguments. Errors as for
    /// [`call_json`](Client::call_json).
    pub async fn call_value(&self, method: &str, args: &Value) -> Result<Reply<Value>> {
        let pool = self.pool()?;
        let desc = self.method(&pool, method)?;
        let exchange = self
            .exchange(Body::Value(desc, args), &Metainfo::default(), None)
            .await?;
        let reply = self.decode_value(desc, exchange.reply)?;
        self.release(exchange.conn);
        no_application(reply)
    }

    /// Sends a whole encoded CALL or ONEWAY message and returns the whole
    /// REPLY message, with the caller's seq id in both (the wire uses the
    /// connection's). Oneway calls return an empty `Bytes` once written.
    ///
    /// # Errors
    ///
    /// An EXCEPTION reply is [`Error::is_application`]; a message that is not
    /// a CALL or ONEWAY is [`Error::is_config`]; otherwise as for
    /// [`call_json`](Client::call_json).
    pub async fn call_binary(&self, message: impl Into<Bytes>) -> Result<Bytes> {
        let message = message.into();
        let exchange = self
            .exchange(Body::Binary(&message), &Metainfo::default(), None)
            .await?;
        let reply = binary_reply(&message, exchange.reply)?;
        self.release(exchange.conn);
        reply.into_result()
    }

    /// Makes a call described by a [`Request`], with metainfo in both
    /// directions. Errors as for [`call_json`](Client::call_json) and
    /// [`call_binary`](Client::call_binary).
    pub async fn call(&self, request: Request) -> Result<Response> {
        let Request {
            method,
            payload,
            metainfo,
            timeout,
        } = request;
        let (reply, header) = match &payload {
            Payload::Binary(message) => {
                let Exchange {
                    reply,
                    header,
                    conn,
                } = self
                    .exchange(Body::Binary(message), &metainfo, timeout)
                    .await?;
                let reply = binary_reply(message, reply)?;
                self.release(conn);
                let reply = reply.into_result()?;
                let reply = if reply.is_empty() {
                    Reply::Void
                } else {
                    Reply::Success(Payload::Binary(reply))
                };
                (reply, header)
            }
            Payload::Json(args) => {
                let pool = self.pool()?;
                let desc = self.method(&pool, method.as_deref().unwrap_or_default())?;
                let Exchange {
                    reply,
                    header,
                    conn,
                } = self
                    .exchange(Body::Json(desc, args.as_bytes()), &metainfo, timeout)
                    .await?;
                let reply = self.decode_json(desc, reply)?;
                self.release(conn);
                (no_application(reply)?.map(Payload::Json), header)
            }
            Payload::Value(args) => {
                let pool = self.pool()?;
                let desc = self.method(&pool, method.as_deref().unwrap_or_default())?;
                let Exchange {
                    reply,
                    header,
                    conn,
                } = self
                    .exchange(Body::Value(desc, args), &metainfo, timeout)
                    .await?;
                let reply = self.decode_value(desc, reply)?;
                self.release(conn);
                (no_application(reply)?.map(Payload::Value), header)
            }
            #[cfg(feature = "grpc")]
            Payload::Proto(_) => {
                return Err(Error::config(
                    "a protobuf message goes over gRPC (anycall_rpc::grpc), not Thrift",
                ));
            }
        };
        Ok(Response {
            reply,
            backward: header
                .as_ref()
                .map(Metainfo::read_backward)
                .unwrap_or_default(),
        })
    }

    /// Idle pooled connections, over all hosts (for diagnostics and tests).
    pub fn idle_connections(&self) -> usize {
        self.inner
            .balancer
            .hosts()
            .iter()
            .map(|h| lock(&h.idle).len())
            .sum()
    }

    /// What the client saw of each endpoint: the current ones, then those
    /// that left the set.
    pub fn endpoints(&self) -> Vec<EndpointStats> {
        self.inner.balancer.stats()
    }

    /// The target, as [`Target`]'s `Display` writes it.
    pub fn target(&self) -> &str {
        self.inner.balancer.target()
    }

    /// The configured transport.
    pub fn transport(&self) -> Transport {
        self.inner.config.transport
    }

    /// The configured protocol.
    pub fn protocol(&self) -> Protocol {
        self.inner.config.protocol
    }

    /// Sends a whole message and returns the raw reply message (EXCEPTION
    /// messages included) with the wire seq id, and the reply TTHeader.
    /// `None` for oneway. The server answering the caller sets the
    /// caller's seq id when it writes the reply.
    pub(crate) async fn forward(
        &self,
        message: &[u8],
        metainfo: &Metainfo,
        service: Option<&str>,
    ) -> Result<(Option<Bytes>, Option<TTHeader>)> {
        // Forwarded replies are passed on as bytes, unread: the caller reads them.
        let Exchange {
            reply,
            header,
            conn,
        } = self
            .exchange_as(Body::Binary(message), metainfo, None, service)
            .await?;
        self.release(conn);
        Ok((reply, header))
    }

    fn pool(&self) -> Result<Pool> {
        self.inner
            .idl
            .as_ref()
            .map(Idl::pool)
            .ok_or_else(|| Error::config("json and value calls need an idl (ClientBuilder::idl)"))
    }

    fn method<'p>(&self, pool: &'p Pool, method: &str) -> Result<MethodDescriptor<'p>> {
        let name = self.inner.service.as_deref().unwrap_or_default();
        let service = pool.service(name).ok_or_else(|| {
            Error::new(
                Kind::NotFound,
                format!("service `{name}` is not in the idl"),
            )
        })?;
        service.method(method).ok_or_else(|| {
            Error::new(
                Kind::NotFound,
                format!("service `{name}` has no method `{method}`"),
            )
        })
    }

    /// The reply of a JSON call; `Reply::Application` is left to the caller
    /// (the connection is fine).
    fn decode_json(
        &self,
        desc: MethodDescriptor<'_>,
        reply: Option<Bytes>,
    ) -> Result<Reply<String>> {
        let Some(reply) = reply else {
            return Ok(Reply::Void);
        };
        let config = &self.inner.config;
        call::decode_reply_json(
            desc,
            &reply,
            config.protocol,
            &config.options,
            &config.limits,
            false,
        )
        .map_err(|e| Error::codec(format_args!("decoding the reply of `{}`", desc.name()), e))
    }

    fn decode_value(
        &self,
        desc: MethodDescriptor<'_>,
        reply: Option<Bytes>,
    ) -> Result<Reply<Value>> {
        let Some(reply) = reply else {
            return Ok(Reply::Void);
        };
        let config = &self.inner.config;
        call::decode_reply_value(
            desc,
            &reply,
            config.protocol,
            &config.options,
            &config.limits,
        )
        .map_err(|e| Error::codec(format_args!("decoding the reply of `{}`", desc.name()), e))
    }

    async fn exchange(
        &self,
        body: Body<'_>,
        metainfo: &Metainfo,
        timeout: Option<Duration>,
    ) -> Result<Exchange> {
        let exchange = self
            .exchange_as(body, metainfo, timeout, self.inner.service.as_deref())
            .await?;
        // Kitex fails a call whose reply header has a business status,
        // whatever the payload says.
        if let Some(biz) = exchange.header.as_ref().and_then(BizStatus::from_header) {
            self.release(exchange.conn);
            return Err(Error::from_biz_status(biz));
        }
        Ok(exchange)
    }

    async fn exchange_as(
        &self,
        body: Body<'_>,
        metainfo: &Metainfo,
        timeout: Option<Duration>,
        service: Option<&str>,
    ) -> Result<Exchange> {
        let timeout = timeout.unwrap_or(self.inner.config.rpc_timeout);
        tokio::time::timeout(timeout, self.attempts(&body, metainfo, service))
            .await
            .unwrap_or_else(|_| Err(Error::timeout(timeout)))
    }

    /// Tries the call on up to [`MAX_ATTEMPTS`] hosts, as [`Failover`] allows.
    async fn attempts(
        &self,
        body: &Body<'_>,
        metainfo: &Metainfo,
        service: Option<&str>,
    ) -> Result<Exchange> {
        let failover = self.inner.config.failover;
        let mut tried: Vec<Arc<Host>> = Vec::new();
        let mut last: Option<Error> = None;
        loop {
            let mut attempt = Attempt::default();
            let err = match self
                .round_trip(body, metainfo, service, &tried, &mut attempt)
                .await
            {
                Ok(exchange) => return Ok(exchange),
                // No other host to fail over to: the previous failure is the call's.
                Err(err) if attempt.host.is_none() => return Err(last.unwrap_or(err)),
                Err(err) => err,
            };
            let retry = match failover {
                Failover::Off => false,
                Failover::Connect => !attempt.sent && err.is_connect(),
                Failover::Unanswered => {
                    (!attempt.sent && err.is_connect()) || (attempt.sent && err.is_io())
                }
            };
            let Some(host) = attempt
                .host
                .filter(|_| retry && tried.len() + 1 < MAX_ATTEMPTS)
            else {
                return Err(err);
            };
            tracing::debug!(addr = %host.addr, error = %err, "call failed over to another host");
            tried.push(host);
            last = Some(err);
        }
    }

    async fn round_trip(
        &self,
        body: &Body<'_>,
        metainfo: &Metainfo,
        service: Option<&str>,
        tried: &[Arc<Host>],
        attempt: &mut Attempt,
    ) -> Result<Exchange> {
        let config = &self.inner.config;
        // What the message is, before any connection is taken.
        let (method, oneway, protocol) = match &body {
            Body::Json(desc, _) | Body::Value(desc, _) => {
                (desc.name(), desc.is_oneway(), config.protocol)
            }
            Body::Binary(message) => {
                let protocol = protocol_of(message).ok_or_else(|| {
                    Error::config("a binary call needs a strict binary or compact message")
                })?;
                let (header, _) = thrift::read_message_header(protocol, message, &config.limits)
                    .map_err(|e| Error::codec("reading the message header", e))?;
                let oneway = match header.message_type {
                    MessageType::Call => false,
                    MessageType::Oneway => true,
                    other => {
                        return Err(Error::config(format!(
                            "a binary call needs a call or oneway message, not {other}"
                        )));
                    }
                };
                (header.name, oneway, protocol)
            }
        };

        let mut pooled = self.checkout(tried, attempt).await?;
        let seq = pooled.next_seq();
        let header = if config.transport == Transport::THeader {
            Some(theader_request(seq, protocol, metainfo))
        } else {
            config
                .transport
                .has_ttheader()
                .then(|| self.request_header(seq, method, oneway, protocol, metainfo, service))
        };
        let multiplexed = service.filter(|_| config.multiplexed);
        let conn = &mut pooled.conn;
        let encoded = encode_frame(
            config.transport,
            config.max_frame_size,
            header.as_ref(),
            &mut conn.wbuf,
            |dst| match multiplexed {
                None => write_message(body, seq, protocol, &config.options, dst),
                Some(service) => {
                    let mut plain = BytesMut::new();
                    write_message(body, seq, protocol, &config.options, &mut plain)?;
                    with_service_prefix(protocol, &plain, service, &config.limits, dst)
                        .map_err(|e| Error::codec("naming the multiplexed service", e))
                }
            },
        )
        .map_err(|e| Error::codec("encoding the request frame", e))?;
        if let Err(err) = encoded {
            conn.wbuf.clear();
            self.checkin(pooled);
            return Err(err);
        }
        attempt.sent = true;
        conn.flush()
            .await
            .map_err(|e| Error::io(format_args!("writing to {}", pooled.host.addr), e))?;
        if oneway {
            pooled.sent_oneway(seq);
            self.checkin(pooled);
            return Ok(Exchange {
                reply: None,
                header: None,
                conn: None,
            });
        }
        let host = pooled.host.clone();
        let addr = host.addr.as_str();
        let frame = loop {
            let frame = match pooled.conn.read_frame().await {
                Ok(Some(frame)) => frame,
                Ok(None) => {
                    return Err(Error::new(
                        Kind::Io,
                        format!("{addr} closed the connection before replying"),
                    ));
                }
                Err(err) => return Err(read_error(addr, err)),
            };
            if !pooled.is_oneway_reply(&frame.payload, protocol) {
                break frame;
            }
            tracing::debug!(%addr, "skipped a reply to a oneway call");
        };
        let Frame {
            header, payload, ..
        } = frame;
        check_reply(&payload, protocol, seq, method, &config.limits)
            .map_err(|e| Error::protocol(format!("bad reply from {addr}: {e}")))?;
        pooled.conn.shrink_read_buffer();
        // A server that is stopping says so (Kitex's `crrst`): the
        // connection is not pooled for another call.
        let reset = header.as_ref().is_some_and(|h| {
            h.str_value(anycall_codec::frame::ttheader::str_key::CONNECTION_READY_TO_RESET)
                .is_some()
        });
        Ok(Exchange {
            reply: Some(payload),
            header,
            conn: (!reset).then_some(pooled),
        })
    }

    /// Gives the connection of a reply that was read back to the pool.
    fn release(&self, conn: Option<PooledConn>) {
        if let Some(conn) = conn {
            self.checkin(conn);
        }
    }

    fn request_header(
        &self,
        seq: i32,
        method: &str,
        oneway: bool,
        protocol: Protocol,
        metainfo: &Metainfo,
        service: Option<&str>,
    ) -> TTHeader {
        let mut header = TTHeader::new(seq);
        header.protocol_id = match protocol {
            Protocol::Binary => ProtocolId::ThriftBinary,
            Protocol::Compact => ProtocolId::ThriftCompact,
        };
        for (key, value) in &self.inner.fixed_header {
            header.insert_int_bytes(*key, value.clone());
        }
        header
            .insert_int(int_key::TO_METHOD, method)
            .set_msg_type(if oneway {
                MessageType::Oneway.as_u8()
            } else {
                MessageType::Call.as_u8()
            });
        if self.inner.config.dest_service.is_none()
            && let Some(service) = service
        {
            header.insert_int(int_key::TO_SERVICE, service);
        }
        if let Some(service) = service {
            header.insert_str(str_key::IDL_SERVICE_NAME, service);
        }
        metainfo.write_forward(&mut header);
        header
    }

    async fn checkout(&self, tried: &[Arc<Host>], attempt: &mut Attempt) -> Result<PooledConn> {
        let balancer = &self.inner.balancer;
        let host = balancer.pick(tried).await?;
        attempt.host = Some(host.clone());
        let config = &self.inner.config;
        {
            let mut idle = lock(&host.idle);
            while let Some(Idle { conn, since }) = idle.pop() {
                if since.elapsed() < config.idle_timeout && conn.conn.is_reusable() {
                    return Ok(conn);
                }
            }
        }
        let stream = match tokio::time::timeout(
            config.connect_timeout,
            TcpStream::connect(&host.addr),
        )
        .await
        {
            Ok(Ok(stream)) => {
                Balancer::connected(&host);
                stream
            }
            Ok(Err(err)) => {
                balancer.connect_failed(&host);
                return Err(
                    Error::new(Kind::Connect, format!("cannot connect to {}", host.addr))
                        .with_source(err),
                );
            }
            Err(_) => {
                balancer.connect_failed(&host);
                return Err(Error::new(
                    Kind::ConnectTimeout,
                    format!(
                        "connecting to {} timed out after {}",
                        host.addr,
                        fmt_duration(config.connect_timeout)
                    ),
                ));
            }
        };
        let reader = frame_decoder(config.transport, config.max_frame_size);
        Ok(PooledConn {
            conn: Conn::new(stream, reader),
            host,
            seq: 0,
            oneway_seqs: Vec::new(),
        })
    }

    fn checkin(&self, pooled: PooledConn) {
        let config = &self.inner.config;
        if pooled.host.removed.load(Ordering::Acquire) {
            return;
        }
        let host = pooled.host.clone();
        let mut idle = lock(&host.idle);
        idle.retain(|i| i.since.elapsed() < config.idle_timeout);
        if idle.len() < config.max_idle_per_host {
            idle.push(Idle {
                conn: pooled,
                since: Instant::now(),
            });
        }
    }
}

/// An Apache THeader for a request: the message's seq id and protocol,
/// and the metainfo as string headers.
fn theader_request(seq: i32, protocol: Protocol, metainfo: &Metainfo) -> TTHeader {
    let mut header = TTHeader::new(seq);
    header.protocol_id = match protocol {
        Protocol::Binary => ProtocolId::ThriftBinary,
        Protocol::Compact => ProtocolId::ThriftCompact,
    };
    metainfo.write_forward_theader(&mut header);
    header
}

/// Appends `message` with its name prefixed `service:` (Apache's
/// `TMultiplexedProtocol`); a name that already has a `:` is kept.
fn with_service_prefix(
    protocol: Protocol,
    message: &[u8],
    service: &str,
    limits: &Limits,
    dst: &mut BytesMut,
) -> anycall_codec::Result<()> {
    let (header, body) = thrift::read_message_header(protocol, message, limits)?;
    if header.name.contains(MULTIPLEX_SEPARATOR) {
        dst.extend_from_slice(message);
        return Ok(());
    }
    let name = format!("{service}{MULTIPLEX_SEPARATOR}{}", header.name);
    let prefixed = thrift::MessageHeader::new(&name, header.message_type, header.seq_id);
    thrift::write_message_header(protocol, dst, &prefixed)?;
    dst.extend_from_slice(&message[body..]);
    Ok(())
}

/// What separates the service from the method in a multiplexed name.
pub(crate) const MULTIPLEX_SEPARATOR: char = ':';

/// Hosts a call is tried on at most: the first and 2 more ([`Failover`]).
const MAX_ATTEMPTS: usize = 3;

/// What one attempt of a call got to: its host, whether bytes went out.
#[derive(Default)]
struct Attempt {
    host: Option<Arc<Host>>,
    sent: bool,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read_error(addr: &str, err: crate::conn::ReadError) -> Error {
    match err {
        crate::conn::ReadError::Io(io) => Error::io(format_args!("reading from {addr}"), io),
        crate::conn::ReadError::Truncated(_) => Error::new(Kind::Io, format!("{addr}: {err}")),
        crate::conn::ReadError::Frame(e) => Error::protocol(format!("bad frame from {addr}: {e}")),
    }
}

/// Writes the message of `body` with `seq` into `dst`.
fn write_message(
    body: &Body<'_>,
    seq: i32,
    protocol: Protocol,
    options: &Options,
    dst: &mut BytesMut,
) -> Result<()> {
    match body {
        Body::Json(desc, json) => call::encode_call_json(*desc, json, seq, protocol, options, dst)
            .map_err(|e| {
                Error::codec(
                    format_args!("encoding the arguments of `{}`", desc.name()),
                    e,
                )
            }),
        Body::Value(desc, value) => {
            call::encode_call_value(*desc, value, seq, protocol, options, dst).map_err(|e| {
                Error::codec(
                    format_args!("encoding the arguments of `{}`", desc.name()),
                    e,
                )
            })
        }
        Body::Binary(message) => thrift::put_with_seq_id(protocol, message, seq, dst)
            .map_err(|e| Error::codec("rewriting the seq id", e)),
    }
}

/// Checks that a reply is a REPLY or EXCEPTION for `method` with `seq`.
fn check_reply(
    payload: &[u8],
    protocol: Protocol,
    seq: i32,
    method: &str,
    limits: &Limits,
) -> std::result::Result<(), String> {
    let (header, _) =
        thrift::read_message_header(protocol, payload, limits).map_err(|e| e.to_string())?;
    match header.message_type {
        MessageType::Reply | MessageType::Exception => {}
        other => return Err(format!("expected a reply, got a {other} message")),
    }
    // Kitex's binary generic server sends its exceptions with seq id 0;
    // Kitex's client does not check the seq id of an EXCEPTION either.
    let kitex_exception = header.message_type == MessageType::Exception && header.seq_id == 0;
    if header.seq_id != seq && !kitex_exception {
        return Err(format!(
            "reply has seq id {}, expected {seq}",
            header.seq_id
        ));
    }
    // A multiplexed `Service:method` call is answered as `method`, as
    // Apache's TMultiplexedProcessor does.
    let bare = method
        .split_once(MULTIPLEX_SEPARATOR)
        .map_or(method, |(_, bare)| bare);
    if header.message_type == MessageType::Reply && header.name != method && header.name != bare {
        return Err(format!(
            "reply is for method `{}`, not `{method}`",
            header.name
        ));
    }
    Ok(())
}

fn message_seq_id(protocol: Protocol, message: &[u8]) -> Result<i32> {
    match protocol {
        Protocol::Binary => thrift::get_seq_id(message),
        Protocol::Compact => thrift::get_compact_seq_id(message),
    }
    .map_err(|e| Error::codec("reading the seq id", e))
}

/// `reply` with its seq id replaced by `seq`, copying only when shared.
fn with_seq_id(protocol: Protocol, reply: Bytes, seq: i32) -> Result<Bytes> {
    let mut reply = reply
        .try_into_mut()
        .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
    match protocol {
        Protocol::Binary => thrift::set_seq_id(&mut reply, seq),
        Protocol::Compact => thrift::set_compact_seq_id(&mut reply, seq),
    }
    .map_err(|e| Error::codec("restoring the seq id", e))?;
    Ok(reply.freeze())
}

/// A binary-mode reply that was read whole: the message or the
/// `TApplicationException` it carried.
enum BinaryReply {
    Message(Bytes),
    Application(TApplicationException),
}

impl BinaryReply {
    fn into_result(self) -> Result<Bytes> {
        match self {
            Self::Message(reply) => Ok(reply),
            Self::Application(ex) => Err(Error::from_application(ex)),
        }
    }
}

/// The binary-mode result: the reply with the caller's seq id, the
/// exception of an EXCEPTION message, empty for oneway. The body must be
/// one whole struct; it is not otherwise read.
fn binary_reply(request: &[u8], reply: Option<Bytes>) -> Result<BinaryReply> {
    let Some(reply) = reply else {
        return Ok(BinaryReply::Message(Bytes::new()));
    };
    let protocol = protocol_of(&reply).unwrap_or(Protocol::Binary);
    let limits = Limits::default();
    let (header, body) = thrift::read_message_header(protocol, &reply, &limits)
        .map_err(|e| Error::protocol(format!("bad reply: {e}")))?;
    let mut r = ProtocolReader::new(protocol, &reply[body..], limits);
    if header.message_type == MessageType::Exception {
        let ex = TApplicationException::read(&mut r)
            .map_err(|e| Error::protocol(format!("bad application exception: {e}")))?;
        return Ok(BinaryReply::Application(ex));
    }
    r.skip(TType::Struct)
        .map_err(|e| Error::protocol(format!("bad reply: {e}")))?;
    let seq = message_seq_id(protocol_of(request).unwrap_or(protocol), request)?;
    with_seq_id(protocol, reply, seq).map(BinaryReply::Message)
}

/// The TTHeader int keys a client sends unchanged on every call: its
/// transport, name, timeouts and configured destination service.
fn fixed_header(config: &Config) -> Vec<(u16, Bytes)> {
    let transport_type: &'static [u8] = match config.transport {
        Transport::TTHeaderFramed => b"framed",
        _ => b"unframed",
    };
    let mut fixed = vec![
        (int_key::TRANSPORT_TYPE, Bytes::from_static(transport_type)),
        (int_key::FROM_SERVICE, Bytes::from(config.caller.clone())),
        (
            int_key::RPC_TIMEOUT,
            Bytes::from(config.rpc_timeout.as_millis().to_string()),
        ),
        (
            int_key::CONNECT_TIMEOUT,
            Bytes::from(config.connect_timeout.as_millis().to_string()),
        ),
    ];
    if let Some(dest) = &config.dest_service {
        fixed.push((int_key::TO_SERVICE, Bytes::from(dest.clone())));
    }
    fixed
}

fn no_application<T>(reply: Reply<T>) -> Result<Reply<T>> {
    match reply {
        Reply::Application(ex) => Err(Error::from_application(ex)),
        other => Ok(other),
    }
}
