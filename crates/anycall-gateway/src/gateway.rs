//! [`Gateway`]: routes, binding and rendering over upstream clients, with
//! an atomically swapped route table.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anycall_codec::call::encode_call_json;
use anycall_codec::{Options, PathSegment, UnknownFields};
use anycall_idl::{MethodId, Pool};
use anycall_rpc::limits::Budget;
use anycall_rpc::{Client, Idl, Protocol};
use arc_swap::ArcSwap;
use bytes::{Bytes, BytesMut};
use http::StatusCode;

use crate::bind::{BodyKind, Input, bind};
use crate::error::{Error, HttpError};
use crate::metrics::{Counter, CounterVec, Gauge, Histogram, Registry};
use crate::plan::{
    Mapping, RespPlan, Rule, StructPlan, Success, method_plan, place, resp_plan, success_of,
};
use crate::render::{Shape, json_response, render};
use crate::route::{ROUTE_ANNOTATIONS, Router, to_matchit};

/// Default [`HttpLimits::max_body`]: 4 MiB.
pub const DEFAULT_MAX_BODY: usize = 4 << 20;
/// Default [`HttpLimits::max_headers`]: 100 (hyper's default).
pub const DEFAULT_MAX_HEADERS: usize = 100;
/// Default [`HttpLimits::request_timeout`]: 30 s to receive a body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`HttpLimits::header_read_timeout`]: 10 s to receive the headers.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Limits on HTTP requests; every one has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request body accepted; larger is 413 ([`DEFAULT_MAX_BODY`]).
    pub max_body: usize,
    /// Most request headers accepted by the server; more closes the
    /// connection with 431 ([`DEFAULT_MAX_HEADERS`]).
    pub max_headers: usize,
    /// Time to receive a whole body; slower is 408
    /// ([`DEFAULT_REQUEST_TIMEOUT`]). The upstream call has its own RPC
    /// timeout (504).
    pub request_timeout: Duration,
    /// Time to receive the request line and headers
    /// ([`DEFAULT_HEADER_READ_TIMEOUT`]).
    pub header_read_timeout: Duration,
    /// Connections served at once; more are accepted and closed at once
    /// ([`anycall_rpc::DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: usize,
    /// How long a response may wait for the client to read it; then the
    /// connection is closed and its buffers freed
    /// ([`anycall_rpc::limits::DEFAULT_WRITE_TIMEOUT`]).
    pub write_timeout: Duration,
    /// How long a connection may go without a byte read or written
    /// ([`anycall_rpc::limits::DEFAULT_SERVER_IDLE_TIMEOUT`]). hyper also
    /// closes a keep-alive connection whose next request's headers do not
    /// arrive within `header_read_timeout`.
    pub idle_timeout: Duration,
    /// Bytes that request and response bodies in flight may hold, over all
    /// connections ([`anycall_rpc::limits::DEFAULT_MAX_IN_FLIGHT_BYTES`]).
    /// A body over [`FREE_BODY`] pays 4 times its size before it is
    /// decoded (its JSON, Thrift request, reply and response are all held
    /// at once) and a response over it pays its size until it is written;
    /// when the budget is spent a request waits (reading nothing more)
    /// until others finish.
    pub max_in_flight_bytes: usize,
}

/// Bodies up to this size (64 KiB) are never charged to
/// [`HttpLimits::max_in_flight_bytes`], so small calls never queue behind
/// large ones.
pub const FREE_BODY: usize = 64 << 10;

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body: DEFAULT_MAX_BODY,
            max_headers: DEFAULT_MAX_HEADERS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: anycall_rpc::DEFAULT_MAX_CONNECTIONS,
            write_timeout: anycall_rpc::limits::DEFAULT_WRITE_TIMEOUT,
            idle_timeout: anycall_rpc::limits::DEFAULT_SERVER_IDLE_TIMEOUT,
            max_in_flight_bytes: anycall_rpc::limits::DEFAULT_MAX_IN_FLIGHT_BYTES,
        }
    }
}

/// One upstream service: its IDL (fixed or hot-swappable) and the client
/// that calls it.
#[derive(Debug, Clone)]
pub struct Backend {
    idl: Idl,
    client: Client,
    protocol: Protocol,
    service: Option<String>,
}

impl Backend {
    /// Routes the methods of every service in the IDL's main file to
    /// `client`.
    pub fn new(idl: impl Into<Idl>, client: Client) -> Self {
        Self {
            idl: idl.into(),
            protocol: client.protocol(),
            client,
            service: None,
        }
    }

    /// Routes only the methods of service `name` (default: every service of
    /// the main file).
    #[must_use]
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }
}

/// Builds a [`Gateway`].
#[derive(Debug, Default)]
pub struct GatewayBuilder {
    backends: Vec<Backend>,
    rules: Vec<Rule>,
    limits: HttpLimits,
    options: Option<Options>,
    registry: Option<Registry>,
}

impl GatewayBuilder {
    /// Adds a backend; routes of all backends share one table, and two
    /// methods on one route (in any backends) are an error.
    #[must_use]
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backends.push(backend);
        self
    }

    /// Registers a custom field annotation: `key` (with `value`, or any
    /// value when `None`) maps a field as `mapping` does, like Kitex's
    /// `descriptor.RegisterAnnotation`. With `value: None` the annotation's
    /// value names the HTTP side (`my.q = 'page'` reads query `page`).
    /// Custom annotations are read before the built-in ones.
    ///
    /// ```
    /// use anycall_gateway::{Gateway, Mapping};
    ///
    /// let builder = Gateway::builder()
    ///     .annotation("my.source", Some("params"), Mapping::NotBodyStruct)
    ///     .annotation("my.q", None, Mapping::Query);
    /// # let _ = builder;
    /// ```
    #[must_use]
    pub fn annotation(
        mut self,
        key: impl Into<String>,
        value: Option<&str>,
        mapping: Mapping,
    ) -> Self {
        self.rules
            .push((key.into(), value.map(str::to_owned), mapping));
        self
    }

    /// Request limits (default: [`HttpLimits::default`]).
    #[must_use]
    pub fn limits(mut self, limits: HttpLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Codec options for request and response JSON (default: the codec's
    /// defaults with unknown body keys ignored, as Kitex does).
    #[must_use]
    pub fn options(mut self, options: Options) -> Self {
        self.options = Some(options);
        self
    }

    /// Registers the gateway's metrics in `registry` (default: a registry
    /// of its own, see [`Gateway::registry`]).
    #[must_use]
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Builds the route table.
    ///
    /// # Errors
    ///
    /// [`Error::is_route`] for a malformed route or two methods on one
    /// route (both named); [`Error::is_mapping`] for a routed method whose
    /// parameters or annotations cannot be mapped; [`Error::is_config`]
    /// for no backends or an unknown service.
    pub fn build(self) -> Result<Gateway, Error> {
        if self.backends.is_empty() {
            return Err(Error::config("a gateway needs at least one backend"));
        }
        let rules = Arc::new(self.rules);
        let table = build_table(&self.backends, &rules)?;
        drop(self.backends);
        let registry = self.registry.unwrap_or_default();
        let metrics = GatewayMetrics::new(&registry);
        Ok(Gateway {
            inner: Arc::new(Inner {
                table: ArcSwap::from_pointee(table),
                rules,
                limits: self.limits,
                budget: Budget::new(self.limits.max_in_flight_bytes),
                options: self.options.unwrap_or(Options {
                    unknown_fields: UnknownFields::Ignore,
                    ..Options::default()
                }),
                metrics,
                registry,
            }),
        })
    }
}

/// The gateway's own metrics.
#[derive(Debug)]
pub(crate) struct GatewayMetrics {
    requests: Arc<Counter>,
    responses: Arc<CounterVec>,
    in_flight: Arc<Gauge>,
    latency: Arc<Histogram>,
    upstream: Arc<Histogram>,
    reloads: Arc<CounterVec>,
    pub(crate) in_flight_bytes: Arc<Gauge>,
    pub(crate) budget_waits: Arc<Counter>,
    pub(crate) closed: Arc<CounterVec>,
}

impl GatewayMetrics {
    fn new(r: &Registry) -> Self {
        Self {
            requests: r.register(Counter::new(
                "anycall_gateway_requests_total",
                "HTTP requests received.",
            )),
            responses: r.register(CounterVec::new(
                "anycall_gateway_responses_total",
                "HTTP responses by status.",
                "status",
            )),
            in_flight: r.register(Gauge::new(
                "anycall_gateway_in_flight",
                "HTTP requests being served.",
            )),
            latency: r.register(Histogram::new(
                "anycall_gateway_request_duration_seconds",
                "Time from request to response.",
            )),
            upstream: r.register(Histogram::new(
                "anycall_gateway_upstream_duration_seconds",
                "Time of the upstream Thrift call.",
            )),
            reloads: r.register(CounterVec::new(
                "anycall_gateway_reloads_total",
                "Route table reloads by result.",
                "result",
            )),
            in_flight_bytes: r.register(Gauge::new(
                "anycall_gateway_in_flight_bytes",
                "Bytes of the in-flight budget held by request and response bodies.",
            )),
            budget_waits: r.register(Counter::new(
                "anycall_gateway_budget_waits_total",
                "Requests that waited for room in the in-flight budget.",
            )),
            closed: r.register(CounterVec::new(
                "anycall_gateway_connections_closed_total",
                "Connections closed by a limit, by limit.",
                "limit",
            )),
        }
    }
}

/// One routed method.
pub(crate) struct Endpoint {
    backend: usize,
    pub(crate) pool: Pool,
    pub(crate) method: MethodId,
    pub(crate) label: String,
    pub(crate) bind: Option<StructPlan>,
    /// The request binds as the args struct (not a single struct parameter).
    keyed: bool,
    pub(crate) success: Success,
    pub(crate) exceptions: Vec<(i16, String, RespPlan)>,
    pub(crate) oneway: bool,
}

/// A route, as listed by [`Gateway::routes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// The HTTP method, `None` for `api.any`.
    pub http_method: Option<http::Method>,
    /// The route as written in the IDL (`/life/client/:action/:biz`).
    pub path: String,
    /// `Service.Method`.
    pub method: String,
}

pub(crate) struct Table {
    router: Router,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) routes: Vec<(RouteInfo, usize)>,
    backends: Vec<Backend>,
}

fn build_table(backends: &[Backend], rules: &[Rule]) -> Result<Table, Error> {
    let mut table = Table {
        router: Router::default(),
        endpoints: Vec::new(),
        routes: Vec::new(),
        backends: backends.to_vec(),
    };
    for (bi, b) in backends.iter().enumerate() {
        let pool = b.idl.pool();
        let services: Vec<_> = match &b.service {
            Some(name) => vec![
                pool.service(name)
                    .ok_or_else(|| Error::config(format!("service `{name}` is not in the idl")))?,
            ],
            None => pool.main_file().services().collect(),
        };
        for svc in services {
            for m in svc.methods() {
                let mut routes = Vec::new();
                for (ann, http) in &ROUTE_ANNOTATIONS {
                    for v in m.annotations().get_all(ann) {
                        routes.push((http.clone(), v.to_owned(), *ann));
                    }
                }
                if routes.is_empty() {
                    continue;
                }
                let label = format!(
                    "{}.{} ({})",
                    svc.name(),
                    m.name(),
                    place(m.service().file(), m.span())
                );
                let exceptions = m
                    .exceptions()
                    .map(|f| {
                        let plan = match f.ty().kind() {
                            anycall_idl::TypeKind::Struct(s) => resp_plan(s, rules)?,
                            _ => RespPlan::default(),
                        };
                        Ok((f.id(), f.name().to_owned(), plan))
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                let (bind, keyed) = method_plan(m, rules)?;
                let ep = table.endpoints.len();
                table.endpoints.push(Endpoint {
                    backend: bi,
                    pool: pool.clone(),
                    method: m.id(),
                    label: format!("{}.{}", svc.name(), m.name()),
                    bind,
                    keyed,
                    success: success_of(m, rules)?,
                    exceptions,
                    oneway: m.is_oneway(),
                });
                for (http, path, ann) in routes {
                    let route = to_matchit(&path)
                        .map_err(|e| Error::route(format!("{label}: {ann}: {e}")))?;
                    let verb = http.as_ref().map_or("ANY", |h| h.as_str());
                    table
                        .router
                        .tree(http.as_ref())
                        .insert(verb, &path, &route, ep, &label)?;
                    table.routes.push((
                        RouteInfo {
                            http_method: http,
                            path,
                            method: format!("{}.{}", svc.name(), m.name()),
                        },
                        ep,
                    ));
                }
            }
        }
    }
    Ok(table)
}

/// An HTTP/JSON front for Thrift services, routed by their `api.*`
/// annotations. Cheap to clone; clones share the route table, clients and
/// metrics.
///
/// - [`Gateway::handle`]: one buffered `http::Request<Bytes>` in, one
///   `http::Response<Bytes>` out (bring your own server);
/// - `tower_service::Service<http::Request<B>>` for any body `B`: mount it
///   in hyper, axum or tower stacks;
/// - [`serve`](crate::serve): a hyper HTTP/1.1 server with graceful
///   shutdown.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    table: ArcSwap<Table>,
    rules: Arc<Vec<Rule>>,
    limits: HttpLimits,
    budget: Budget,
    options: Options,
    metrics: GatewayMetrics,
    registry: Registry,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("backends", &self.inner.table.load().backends.len())
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Starts a builder.
    pub fn builder() -> GatewayBuilder {
        GatewayBuilder::default()
    }

    pub(crate) fn table(&self) -> Arc<Table> {
        self.inner.table.load_full()
    }

    /// The limits.
    pub fn limits(&self) -> &HttpLimits {
        &self.inner.limits
    }

    /// The in-flight budget ([`HttpLimits::max_in_flight_bytes`]).
    pub(crate) fn budget(&self) -> &Budget {
        &self.inner.budget
    }

    /// The gateway's metrics.
    pub(crate) fn metrics(&self) -> &GatewayMetrics {
        &self.inner.metrics
    }

    /// The registry holding the gateway's metrics.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The IDL file paths of every backend's current pool (for watching).
    pub fn idl_files(&self) -> Vec<String> {
        let table = self.inner.table.load();
        let mut out: Vec<String> = table
            .backends
            .iter()
            .flat_map(|b| {
                let pool = b.idl.pool();
                pool.files()
                    .map(|f| f.path().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The routes, in IDL order.
    pub fn routes(&self) -> Vec<RouteInfo> {
        self.inner
            .table
            .load()
            .routes
            .iter()
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Re-reads every hot-swappable IDL from disk and rebuilds the route
    /// table. Requests in flight finish on the old table; on any error
    /// the old table stays and the error says why.
    ///
    /// # Errors
    ///
    /// The IDL's problems ([`Error::is_idl`]) or the new table's
    /// ([`Error::is_route`], [`Error::is_mapping`]).
    pub fn reload(&self) -> Result<(), Error> {
        let backends = self.inner.table.load().backends.clone();
        for b in &backends {
            if let Idl::Provider(p) = &b.idl
                && let Err(e) = p.reload()
            {
                self.inner.metrics.reloads.inc("error");
                return Err(Error::idl(e.to_string()));
            }
        }
        self.refresh()
    }

    /// Rebuilds the route table from the backends' current pools (after
    /// a `Provider::update`). On error the old table stays.
    ///
    /// # Errors
    ///
    /// As [`reload`](Gateway::reload), without IDL errors.
    pub fn refresh(&self) -> Result<(), Error> {
        let backends = self.inner.table.load().backends.clone();
        self.set_backends(&backends)
    }

    /// Replaces every backend (a new configuration) and rebuilds the route
    /// table from them. Requests in flight finish on the old backends; on
    /// error the old table and backends stay.
    ///
    /// # Errors
    ///
    /// As [`refresh`](Gateway::refresh), and [`Error::is_config`] for no
    /// backends.
    pub fn set_backends(&self, backends: &[Backend]) -> Result<(), Error> {
        if backends.is_empty() {
            return Err(Error::config("a gateway needs at least one backend"));
        }
        match build_table(backends, &self.inner.rules) {
            Ok(t) => {
                self.inner.table.store(Arc::new(t));
                self.inner.metrics.reloads.inc("ok");
                Ok(())
            }
            Err(e) => {
                self.inner.metrics.reloads.inc("error");
                Err(e)
            }
        }
    }

    /// Serves one buffered request: route, bind, call, render. Errors are
    /// answered as JSON with their status (see [`HttpError`]).
    pub async fn handle(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let start = Instant::now();
        let m = &self.inner.metrics;
        m.requests.inc();
        m.in_flight.add(1);
        let resp = match self.dispatch(&req).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
        m.in_flight.add(-1);
        let elapsed = start.elapsed();
        m.latency.observe(elapsed);
        m.responses.inc(resp.status().as_str());
        tracing::debug!(
            target: "anycall_gateway::access",
            method = %req.method(),
            uri = %req.uri(),
            status = resp.status().as_u16(),
            micros = elapsed.as_micros() as u64,
            "request"
        );
        resp
    }

    /// Answers an error as [`handle`](Gateway::handle) would, counted in the
    /// metrics (for errors found before a request is buffered).
    pub(crate) fn answer_error(&self, e: HttpError) -> http::Response<Bytes> {
        let m = &self.inner.metrics;
        m.requests.inc();
        m.responses.inc(e.status().as_str());
        e.into_response()
    }

    async fn dispatch(
        &self,
        req: &http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        let call = self.prepare(req)?;
        let backend = &call.table.backends[call.table.endpoints[call.endpoint].backend];
        let start = Instant::now();
        let reply = backend.client.call_binary(call.message.clone()).await;
        self.inner.metrics.upstream.observe(start.elapsed());
        let reply = reply.map_err(|e| rpc_error(&e, call.method()))?;
        self.render_reply(&call, &reply)
    }

    /// The first half of [`handle`](Gateway::handle), for callers with a
    /// transport of their own: routes and binds a buffered request and
    /// encodes the Thrift CALL message (seq id 0, the backend's protocol).
    ///
    /// # Errors
    ///
    /// The 4xx answers of the error table (no route, bad values, body too
    /// large, ...).
    pub fn prepare(&self, req: &http::Request<Bytes>) -> Result<PreparedCall, HttpError> {
        if req.body().len() > self.inner.limits.max_body {
            return Err(too_large(self.inner.limits.max_body));
        }
        let table = self.inner.table.load_full();
        let (ep_at, params) = table.router.find(req.method(), req.uri().path())?;
        let ep = &table.endpoints[ep_at];
        let backend = &table.backends[ep.backend];
        let method = ep.pool.method_by_id(ep.method);
        let input = Input {
            params: &params,
            uri: req.uri(),
            headers: req.headers(),
            body: req.body(),
            kind: BodyKind::of(req.headers()),
        };
        let json: Cow<'_, [u8]> = match &ep.bind {
            Some(plan) => bind(plan, &input)?,
            None => Cow::Borrowed(b"{}"),
        };
        let call_opts = Options {
            keyed_args: false,
            ..self.inner.options
        };
        let mut buf = BytesMut::with_capacity(json.len() + 64);
        encode_call_json(method, &json, 0, backend.protocol, &call_opts, &mut buf)
            .map_err(|e| codec_error(&e, ep.keyed))?;
        Ok(PreparedCall {
            message: buf.freeze(),
            endpoint: ep_at,
            table: table.clone(),
        })
    }

    /// The second half of [`handle`](Gateway::handle): renders the REPLY
    /// message to a [`prepare`](Gateway::prepare)d call as the HTTP
    /// response (status, headers, cookies, JSON body). An empty reply is a
    /// oneway call's: 202.
    ///
    /// # Errors
    ///
    /// A reply that does not decode under the IDL (502), or an
    /// `api.http_code` that is not a status (500).
    pub fn render_reply(
        &self,
        call: &PreparedCall,
        reply: &[u8],
    ) -> Result<http::Response<Bytes>, HttpError> {
        let ep = &call.table.endpoints[call.endpoint];
        let backend = &call.table.backends[ep.backend];
        if ep.oneway || reply.is_empty() {
            return Ok(json_response(StatusCode::ACCEPTED, b"{}".to_vec()));
        }
        let shape = Shape {
            success: &ep.success,
            exceptions: &ep.exceptions,
        };
        render(
            &shape,
            &ep.pool,
            reply,
            backend.protocol,
            &self.inner.options,
        )
    }
}

/// A request routed, bound and encoded by [`Gateway::prepare`]: the Thrift
/// CALL message and what [`Gateway::render_reply`] needs. It keeps the route
/// table it was made with, so a reload in between changes nothing.
pub struct PreparedCall {
    message: Bytes,
    endpoint: usize,
    table: Arc<Table>,
}

impl PreparedCall {
    /// The encoded CALL (or ONEWAY) message, seq id 0.
    pub fn message(&self) -> &Bytes {
        &self.message
    }

    /// `Service.Method`.
    pub fn method(&self) -> &str {
        &self.table.endpoints[self.endpoint].label
    }
}

impl std::fmt::Debug for PreparedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedCall")
            .field("method", &self.method())
            .field("message_len", &self.message.len())
            .finish()
    }
}

pub(crate) fn too_large(max: usize) -> HttpError {
    HttpError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body is over the limit of {max} bytes"),
    )
}

/// A request that did not fit the IDL: 400 naming the field below the
/// request struct.
fn codec_error(e: &anycall_codec::Error, keyed: bool) -> HttpError {
    let mut field = String::new();
    for (i, seg) in e.path().enumerate() {
        match seg {
            PathSegment::Root(_) => {}
            PathSegment::Field(_) if i == 1 && !keyed => {}
            PathSegment::Field(name) => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(name);
            }
            PathSegment::Index(n) => {
                field.push('[');
                field.push_str(&n.to_string());
                field.push(']');
            }
            PathSegment::Key(k) => {
                field.push('[');
                field.push_str(k);
                field.push(']');
            }
        }
    }
    // A missing required field is reported at its struct; name the field.
    if e.kind() == anycall_codec::ErrorKind::MissingRequired
        && let Some(name) = e.message().split('`').nth(1).filter(|n| !n.is_empty())
    {
        if !field.is_empty() {
            field.push('.');
        }
        field.push_str(name);
    }
    let message = if field.is_empty() {
        e.message().to_owned()
    } else {
        format!("{field}: {}", e.message())
    };
    HttpError::bad_request(Some(field), message)
}

fn rpc_error(e: &anycall_rpc::Error, label: &str) -> HttpError {
    if e.is_timeout() {
        return HttpError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
            format!("{label}: {e}"),
        );
    }
    if e.is_connect() {
        return HttpError::new(
            StatusCode::BAD_GATEWAY,
            "upstream_unavailable",
            format!("{label}: {e}"),
        );
    }
    if let Some(app) = e.application() {
        return HttpError::new(
            StatusCode::BAD_GATEWAY,
            "application_exception",
            format!("{label}: {}", app.message()),
        )
        .extra("type", app.kind().0.into());
    }
    if let Some(biz) = e.biz_status() {
        let status = u16::try_from(biz.code)
            .ok()
            .filter(|c| (400..=599).contains(c))
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let extra: serde_json::Map<String, serde_json::Value> = biz
            .extra
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        return HttpError::new(status, "biz_status", biz.message.clone())
            .extra("biz_code", biz.code.into())
            .extra("extra", extra.into());
    }
    HttpError::new(
        StatusCode::BAD_GATEWAY,
        "upstream_error",
        format!("{label}: {e}"),
    )
}
