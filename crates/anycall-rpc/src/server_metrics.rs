//! What a [`Server`](crate::Server) counts in a [`Registry`], for
//! `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::{Counter, CounterVec, Gauge, Histogram, Registry};

/// Why a server closed a connection, a label of
/// `anycall_server_connections_closed_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// `max_connections` were open.
    MaxConnections,
    /// No whole first request within `header_timeout`.
    HeaderTimeout,
    /// No whole request within `idle_timeout`.
    IdleTimeout,
    /// A reply not read within `write_timeout`.
    WriteTimeout,
    /// A frame over `max_frame_size`.
    MaxFrameSize,
    /// Any other bad frame or message, or an unsupported protocol.
    BadFrame,
}

impl Closed {
    fn label(self) -> &'static str {
        match self {
            Self::MaxConnections => "max_connections",
            Self::HeaderTimeout => "header_timeout",
            Self::IdleTimeout => "idle_timeout",
            Self::WriteTimeout => "write_timeout",
            Self::MaxFrameSize => "max_frame_size",
            Self::BadFrame => "bad_frame",
        }
    }
}

/// The server's metric families, registered once.
#[derive(Debug, Clone)]
pub(crate) struct ServerMetrics {
    pub(crate) requests: Arc<CounterVec>,
    pub(crate) errors: Arc<CounterVec>,
    pub(crate) duration: Arc<Histogram>,
    pub(crate) open_connections: Arc<Gauge>,
    pub(crate) connections: Arc<Counter>,
    pub(crate) closed: Arc<CounterVec>,
    pub(crate) bytes_in: Arc<Counter>,
    pub(crate) bytes_out: Arc<Counter>,
    pub(crate) in_flight_bytes: Arc<Gauge>,
    pub(crate) budget_waits: Arc<Counter>,
}

impl ServerMetrics {
    pub(crate) fn new(registry: &Registry) -> Self {
        Self {
            requests: registry.register(CounterVec::new(
                "anycall_server_requests_total",
                "Requests by method (Service/method).",
                "method",
            )),
            errors: registry.register(CounterVec::with_labels(
                "anycall_server_errors_total",
                "Requests answered with a TApplicationException (or failed oneway calls), by method and kind.",
                &["method", "kind"],
            )),
            duration: registry.register(Histogram::new(
                "anycall_server_request_duration_seconds",
                "Time from a whole request frame to its reply encoded.",
            )),
            open_connections: registry.register(Gauge::new(
                "anycall_server_open_connections",
                "Connections open now.",
            )),
            connections: registry.register(Counter::new(
                "anycall_server_connections_total",
                "Connections accepted.",
            )),
            closed: registry.register(CounterVec::new(
                "anycall_server_connections_closed_total",
                "Connections the server closed, by the limit or fault that closed them.",
                "reason",
            )),
            bytes_in: registry.register(Counter::new(
                "anycall_server_bytes_in_total",
                "Bytes of request frames read.",
            )),
            bytes_out: registry.register(Counter::new(
                "anycall_server_bytes_out_total",
                "Bytes of reply frames written.",
            )),
            in_flight_bytes: registry.register(Gauge::new(
                "anycall_server_in_flight_bytes",
                "Bytes of requests and replies held by calls now (the in-flight budget in use).",
            )),
            budget_waits: registry.register(Counter::new(
                "anycall_server_budget_waits_total",
                "Times a connection waited for room in the in-flight budget.",
            )),
        }
    }

    pub(crate) fn closed(&self, why: Closed) {
        self.closed.inc(why.label());
    }

    pub(crate) fn error(&self, method: &str, kind: &str) {
        self.errors.inc_by(&[method, kind], 1);
    }

    pub(crate) fn observe(&self, d: Duration) {
        self.duration.observe(d);
    }
}
