//! Binary forwarding: a proxy from any inbound transport to an upstream
//! host list, needing no IDL.
//!
//! ```text
//! downstream --(any transport, seq s)--> Proxy --(upstream transport, seq u)--> upstream
//! downstream <--(same transport, seq s)-- Proxy <--(reply, seq u)-------------- upstream
//! ```
//!
//! Each message is forwarded as bytes: only its seq id is rewritten (to the
//! upstream connection's, then back to the downstream one). Oneway messages
//! are forwarded and not answered. When both sides use TTHeader, persistent
//! metainfo (`RPC_PERSIST_*`) and `isn` go upstream, and backward values and
//! business status errors come back; transient values (`RPC_TRANSIT_*`) are
//! for the proxy itself, one hop, as in Kitex. An upstream failure reaches
//! the downstream caller as a `TApplicationException` INTERNAL_ERROR naming
//! the failure: one that never reached or never heard back from an upstream
//! (connect failure, broken connection, timeout) starts with
//! [`UPSTREAM_TRANSPORT_FAILURE`] and is counted apart, with the `kind` label
//! `upstream` in `anycall_server_errors_total`. A call that could not
//! connect is tried on the next upstream (the default
//! [`Failover::Connect`](crate::Failover::Connect)); one that was sent is not
//! retried unless [`ProxyBuilder::failover`] says so.

use std::time::Duration;

use anycall_codec::call::Reply;
use anycall_codec::frame::Transport;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::biz::BizStatus;
use crate::client::{Client, ClientBuilder};
use crate::error::Result;
use crate::metrics::Registry;
use crate::payload::{Idl, Metainfo, Payload};
use crate::server::{
    Context, Handler, HandlerError, Mode, Server, ServerBuilder, ServerHandle, ServerLimits,
};

/// How the message of the `TApplicationException` (INTERNAL_ERROR) a caller
/// gets begins when the proxy could not reach, or lost, the upstream: then
/// `: ` and the failure.
pub const UPSTREAM_TRANSPORT_FAILURE: &str = "anycall proxy: upstream transport failure";

/// Entry point: [`Proxy::builder`].
#[derive(Debug)]
pub struct Proxy {
    _private: (),
}

impl Proxy {
    /// Starts a builder forwarding to `upstream_hosts`, any target
    /// [`Client::builder`] takes (`"h1:p1,h2:p2"`, `dns://...`,
    /// `etcd://.../SERVICE`).
    pub fn builder(upstream_hosts: impl Into<String>) -> ProxyBuilder {
        ProxyBuilder {
            client: Client::builder(upstream_hosts),
            ready: None,
            server: Server::builder(Mode::Binary),
        }
    }
}

/// Builds a [`Proxy`]: the upstream side takes [`ClientBuilder`] settings,
/// the inbound side [`ServerBuilder`] settings, each with the defaults
/// documented there.
#[derive(Debug, Clone)]
#[must_use = "call `serve` or `bind` to run the proxy"]
pub struct ProxyBuilder {
    client: ClientBuilder,
    ready: Option<Client>,
    server: ServerBuilder,
}

impl ProxyBuilder {
    /// An IDL for the side facing the callers, read only to tell which
    /// methods are oneway (as in Apache's processors, the IDL then decides
    /// whether a reply is sent) and which service a method belongs to. A
    /// [`Provider`](anycall_idl::Provider) may be swapped while the proxy
    /// runs. Default: none (the message type decides).
    pub fn idl(mut self, idl: impl Into<Idl>) -> Self {
        self.server = self.server.idl(idl);
        self
    }

    /// The upstream transport. Default [`Transport::Framed`]
    /// ([`ClientBuilder::transport`]).
    pub fn upstream_transport(mut self, transport: Transport) -> Self {
        self.client = self.client.transport(transport);
        self
    }

    /// Upstream connect timeout. Default 2 s ([`ClientBuilder::connect_timeout`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.client = self.client.connect_timeout(timeout);
        self
    }

    /// Upstream RPC timeout. Default 10 s ([`ClientBuilder::rpc_timeout`]).
    pub fn rpc_timeout(mut self, timeout: Duration) -> Self {
        self.client = self.client.rpc_timeout(timeout);
        self
    }

    /// Idle upstream connections per address. Default 10
    /// ([`ClientBuilder::max_idle_per_host`]).
    pub fn max_idle_per_host(mut self, max: usize) -> Self {
        self.client = self.client.max_idle_per_host(max);
        self
    }

    /// Upstream failover. Default [`crate::Failover::Connect`]
    /// ([`ClientBuilder::failover`]).
    pub fn failover(mut self, failover: crate::Failover) -> Self {
        self.client = self.client.failover(failover);
        self
    }

    /// Forwards through `client` (keep a clone for
    /// [`Client::endpoints`]); the upstream settings of this builder then
    /// have no effect. Default: a client built from them.
    pub fn upstream(mut self, client: Client) -> Self {
        self.ready = Some(client);
        self
    }

    /// Largest frame, both sides. Default 16 MiB.
    pub fn max_frame_size(mut self, max: usize) -> Self {
        self.client = self.client.max_frame_size(max);
        self.server = self.server.max_frame_size(max);
        self
    }

    /// Inbound connections served at once. Default 10,000
    /// ([`ServerBuilder::max_connections`]).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.server = self.server.max_connections(max);
        self
    }

    /// Inbound idle timeout. Default 10 minutes
    /// ([`ServerBuilder::idle_timeout`]).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.server = self.server.idle_timeout(timeout);
        self
    }

    /// Every inbound bound at once ([`ServerBuilder::server_limits`]); the
    /// frame size applies upstream too. Default [`ServerLimits::default`].
    pub fn server_limits(mut self, bounds: ServerLimits) -> Self {
        self.client = self.client.max_frame_size(bounds.max_frame_size);
        self.server = self.server.server_limits(bounds);
        self
    }

    /// Registers the inbound server's metrics, and the proxy's
    /// (`anycall_proxy_*`), in `registry` ([`ServerBuilder::registry`]).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.server = self.server.registry(registry);
        self
    }

    /// Binds `addr` and starts forwarding.
    ///
    /// # Errors
    ///
    /// An invalid upstream host list ([`crate::Error::is_config`]), or an
    /// address that cannot be bound ([`crate::Error::is_io`]).
    pub async fn bind(self, addr: impl ToSocketAddrs) -> Result<ServerHandle> {
        let client = match self.ready {
            Some(c) => c,
            None => self.client.build()?,
        };
        self.server.bind(addr, Forward { client }).await
    }

    /// Starts forwarding connections from `listener`. Errors as for
    /// [`bind`](ProxyBuilder::bind).
    pub fn serve(self, listener: TcpListener) -> Result<ServerHandle> {
        let client = match self.ready {
            Some(c) => c,
            None => self.client.build()?,
        };
        self.server.serve(listener, Forward { client })
    }
}

/// The proxy's handler: forwards each whole message upstream.
#[derive(Debug)]
struct Forward {
    client: Client,
}

impl Handler for Forward {
    async fn call(
        &self,
        ctx: &mut Context,
        _method: &str,
        payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        let Payload::Binary(message) = payload else {
            return Err(HandlerError::new("the proxy forwards binary messages only"));
        };
        // The proxy is a hop: transient values were for it, persistent
        // ones go on (Kitex's metainfo rules).
        let upstream_metainfo = Metainfo {
            persistent: ctx.metainfo().persistent.clone(),
            ..Metainfo::default()
        };
        let forwarded = self
            .client
            .forward(&message, &upstream_metainfo, ctx.service())
            .await;
        match forwarded {
            Ok((reply, header)) => {
                if let Some(header) = &header {
                    for (k, v) in Metainfo::read_backward(header) {
                        ctx.set_backward(k, v);
                    }
                    if let Some(biz) = BizStatus::from_header(header) {
                        ctx.set_biz_status(biz);
                    }
                }
                Ok(reply.map_or(Reply::Void, |r| Reply::Success(Payload::Binary(r))))
            }
            Err(err) => {
                tracing::debug!(peer = %ctx.peer(), method = %ctx.method(), error = %err, "upstream call failed");
                if err.is_connect() || err.is_io() || err.is_timeout() {
                    Err(HandlerError::upstream(format!(
                        "{UPSTREAM_TRANSPORT_FAILURE}: {err:#}"
                    )))
                } else {
                    Err(HandlerError::new(format!("upstream: {err:#}")))
                }
            }
        }
    }
}
