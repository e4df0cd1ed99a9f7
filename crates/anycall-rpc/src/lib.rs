//! Generic Thrift client, server and forwarding proxy for anycall: calls and
//! serves any Thrift service from an IDL loaded at run time, wire-compatible
//! with Kitex and Volo.
//!
//! ```
//! use anycall_rpc::{Client, Transport};
//!
//! let idl = anycall_idl::Pool::from_source("a.thrift", "service A { string hi(1: string s) }")?;
//! let client = Client::builder("127.0.0.1:8888,127.0.0.2:8888")
//!     .transport(Transport::TTHeader)
//!     .idl(idl)
//!     .build()?;
//! // client.call_json("hi", br#"{"s": "there"}"#).await? -> Reply::Success("\"there\"")
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`Client`]: a [`Target`] — a host list, a DNS name or an etcd service
//!   ([`discovery`]) — called by weighted round-robin with connect
//!   back-off and failover, a pool of long connections per address, connect and RPC timeouts, calls in the JSON, [`Value`]
//!   and binary modes, metainfo in and out.
//! - [`Server`]: detects the transport of each connection (Buffered binary
//!   or compact, Framed, TTHeader, TTHeaderFramed), dispatches to a
//!   [`Handler`] in one [`Mode`], several IDL services on one port,
//!   per-connection and server-wide bounds ([`limits`]), graceful
//!   shutdown, [`Stats`] and Prometheus [`metrics`].
//! - [`Proxy`]: binary forwarding from any inbound transport to an upstream
//!   host list, no IDL needed.
//! - [`Error`]: one opaque error with `is_timeout()`, `is_connect()`,
//!   `is_application()` and friends.
//!
//! Transports and protocols are enums chosen at run time: [`Transport`],
//! [`Protocol`]. Framing and encoding are the synchronous codecs of
//! `anycall_codec`; this crate adds sockets (tokio) and logs with `tracing`.
//!
//! - [`discovery`]: targets, the balancer, and (feature `etcd`) etcd
//!   resolution and [`Registration`](discovery::Registration) in the
//!   layout of kitex-contrib/registry-etcd.
//! - [`ttstream`]: Kitex TTHeader Streaming client and server (streaming
//!   methods of `streaming.mode`), multiplexed, in every mode.
//! - [`grpc`] (feature `grpc`, default): gRPC client and catch-all server
//!   for `.proto` files loaded at run time, server reflection both ways; the
//!   [`Server`] answers gRPC on its Thrift port when given one.
//!
//! Features: `grpc` (default): tonic, prost-reflect and protox. `etcd`:
//! `etcd://` targets and registration, with the `etcd-client` crate (needs
//! protoc at build time).
#![forbid(unsafe_code)]

mod biz;
mod client;
mod conn;
pub mod discovery;
mod error;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod limits;
pub mod metrics;
mod payload;
mod proxy;
mod server;
mod server_metrics;
pub mod ttstream;
mod warn;

pub use anycall_codec::Value;
pub use anycall_codec::call::Reply;
pub use anycall_codec::frame::Transport;
pub use anycall_codec::thrift::{Protocol, TApplicationException, TApplicationExceptionType};
pub use biz::BizStatus;
pub use client::{
    Client, ClientBuilder, DEFAULT_CALLER, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_IDLE_PER_HOST, DEFAULT_RPC_TIMEOUT, Request, Response,
};
pub use discovery::{Failover, Target};
pub use error::{Error, Result};
pub use payload::{Idl, Metainfo, Payload};
pub use proxy::{Proxy, ProxyBuilder, UPSTREAM_TRANSPORT_FAILURE};
pub use server::{
    Context, DEFAULT_MAX_CONNECTIONS, DEFAULT_SERVER_IDLE_TIMEOUT, Handler, HandlerError, Mode,
    Server, ServerBuilder, ServerHandle, ServerLimits, Stats,
};
