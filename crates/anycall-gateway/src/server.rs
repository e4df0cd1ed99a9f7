//! The HTTP edge: body collection with limits, the `tower` service, and a
//! hyper HTTP/1.1 server with graceful shutdown (and one for `/metrics`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use anycall_rpc::limits::{Budget, Stalled, TimedIo};
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::OwnedSemaphorePermit;

use crate::error::HttpError;
use crate::gateway::{FREE_BODY, Gateway, too_large};
use crate::metrics::{Gauge, Registry};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Gateway {
    /// Serves a request with a streaming body: reads it within the body
    /// limit (413) and the request timeout (408), then as
    /// [`handle`](Gateway::handle).
    pub async fn handle_http<B>(&self, req: http::Request<B>) -> http::Response<Bytes>
    where
        B: http_body::Body + Send,
        B::Error: Into<BoxError>,
    {
        let limits = *self.limits();
        let (parts, body) = req.into_parts();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limits.max_body as u64) {
            return self.answer_error(too_large(limits.max_body));
        }
        // A declared large body pays before it is read, so that a crowd of
        // them waits here instead of buffering.
        let mut held = match declared {
            Some(n) if n as usize > FREE_BODY => Some(self.hold(4 * n as usize).await),
            _ => None,
        };
        let collected = tokio::time::timeout(
            limits.request_timeout,
            Limited::new(body, limits.max_body).collect(),
        )
        .await;
        let bytes = match collected {
            Ok(Ok(c)) => c.to_bytes(),
            Ok(Err(e)) => {
                let e: BoxError = e;
                let err = if e
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    too_large(limits.max_body)
                } else {
                    HttpError::bad_request(None, format!("reading the request body: {e}"))
                };
                return self.answer_error(err);
            }
            Err(_) => {
                return self.answer_error(HttpError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    format!(
                        "the request body did not arrive within {:?}",
                        limits.request_timeout
                    ),
                ));
            }
        };
        if held.is_none() && bytes.len() > FREE_BODY {
            held = Some(self.hold(4 * bytes.len()).await);
        }
        let response = self.handle(http::Request::from_parts(parts, bytes)).await;
        drop(held);
        response
    }

    /// Holds `n` bytes of the in-flight budget, waiting for room.
    async fn hold(&self, n: usize) -> OwnedSemaphorePermit {
        let budget = self.budget();
        let permit = match budget.try_hold(n) {
            Some(p) => p,
            None => {
                self.metrics().budget_waits.inc();
                budget.hold(n).await
            }
        };
        self.metrics().in_flight_bytes.set(gauge(budget.held()));
        permit
    }

    /// As [`handle_http`](Gateway::handle_http), the response body holding
    /// its share of the in-flight budget until it is written.
    pub async fn serve_http<B>(&self, req: http::Request<B>) -> http::Response<ResponseBody>
    where
        B: http_body::Body + Send,
        B::Error: Into<BoxError>,
    {
        let response = self.handle_http(req).await;
        let held = if response.body().len() > FREE_BODY {
            Some(self.hold(response.body().len()).await)
        } else {
            None
        };
        response.map(|data| ResponseBody {
            data,
            _held: held.map(|permit| Held {
                permit,
                budget: self.budget().clone(),
                gauge: self.metrics().in_flight_bytes.clone(),
            }),
        })
    }
}

fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The size of the frames a [`ResponseBody`] hands to the connection.
const RESPONSE_CHUNK: usize = 64 << 10;

/// A response body: the bytes, and the share of the in-flight budget
/// ([`HttpLimits::max_in_flight_bytes`](crate::HttpLimits::max_in_flight_bytes))
/// they hold until the connection has written them or closed.
#[derive(Debug)]
pub struct ResponseBody {
    data: Bytes,
    /// Released when the body is dropped.
    _held: Option<Held>,
}

#[derive(Debug)]
struct Held {
    permit: OwnedSemaphorePermit,
    budget: Budget,
    gauge: Arc<Gauge>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let n = self.permit.num_permits();
        self.gauge.set(gauge(self.budget.held().saturating_sub(n)));
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        // In chunks: the connection asks for the next one only when it has
        // written most of the last, so the budget stays held until the
        // client has nearly all of it.
        let data = &mut self.data;
        if data.is_empty() {
            return Poll::Ready(None);
        }
        let chunk = data.split_to(data.len().min(RESPONSE_CHUNK));
        Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.data.len() as u64)
    }
}

impl<B> tower_service::Service<http::Request<B>> for Gateway
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let gw = self.clone();
        Box::pin(async move { Ok(gw.serve_http(req).await) })
    }
}

/// Serves `gateway` on `listener` (HTTP/1.1, keep-alive) until `shutdown`
/// resolves; then stops accepting and lets requests in flight finish, for
/// at most `drain`.
///
/// # Errors
///
/// Never fails once started; accept errors are logged and retried.
pub async fn serve(
    gateway: Gateway,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> std::io::Result<()> {
    let limits = *gateway.limits();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers);
    let graceful = GracefulShutdown::new();
    let open = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let Ok(permit) = open.clone().try_acquire_owned() else {
                    tracing::debug!(%peer, "closing connection: max connections reached");
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let gw = gateway.clone();
                let svc = service_fn(move |req| {
                    let gw = gw.clone();
                    async move { Ok::<_, Infallible>(gw.serve_http(req).await) }
                });
                let closes = gateway.metrics().closed.clone();
                let io = TimedIo::new(stream, limits.write_timeout, limits.idle_timeout)
                    .on_stall(move |why| {
                        closes.inc(match why {
                            Stalled::Write => "write_timeout",
                            Stalled::Idle => "idle_timeout",
                        });
                        tracing::debug!(%peer, "closing connection: {why}");
                    });
                let conn = graceful.watch(builder.serve_connection(TokioIo::new(io), svc));
                let gw = gateway.clone();
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        closed(&gw, &e, peer);
                    }
                    drop(permit);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(drain) => {
            tracing::warn!(?drain, "drain deadline reached; closing the remaining connections");
        }
    }
    Ok(())
}

/// Counts and logs a connection that ended with `e` (the timeouts of
/// [`TimedIo`] are counted where they fire).
fn closed(gw: &Gateway, e: &hyper::Error, peer: std::net::SocketAddr) {
    if Stalled::of(e).is_some() {
        return;
    }
    if e.is_timeout() {
        gw.metrics().closed.inc("header_timeout");
        tracing::debug!(%peer, "closing connection: {e}");
    } else {
        tracing::debug!(%peer, error = %e, "http connection ended with an error");
    }
}

/// What an admin server's `/healthz` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// 200 `ok`.
    Serving,
    /// 503 `draining`: the server is stopping, finishing what it has, and
    /// takes no new work a balancer should send it.
    Draining,
    /// The admin server stops.
    Stopped,
}

/// Serves `GET /metrics` (Prometheus text format) from `registry` and
/// `GET /healthz` (200 `ok` while serving, 503 `draining` while draining)
/// on `listener` until `health` turns [`Health::Stopped`]; other paths are
/// 404.
///
/// # Errors
///
/// Never fails once started; accept errors are logged and retried.
pub async fn serve_admin(
    registry: Registry,
    listener: TcpListener,
    health: tokio::sync::watch::Receiver<Health>,
) -> std::io::Result<()> {
    let mut stopped = health.clone();
    let stop = async move {
        let _ = stopped.wait_for(|h| *h == Health::Stopped).await;
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let registry = registry.clone();
                let health = health.clone();
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let registry = registry.clone();
                    let state = *health.borrow();
                    async move { Ok::<_, Infallible>(admin_response(req.uri().path(), &registry, state)) }
                });
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
            () = &mut stop => break,
        }
    }
    Ok(())
}

fn admin_response(path: &str, registry: &Registry, health: Health) -> http::Response<Full<Bytes>> {
    let text = |status: StatusCode, body: &'static [u8]| {
        let mut r = http::Response::new(Full::new(Bytes::from_static(body)));
        *r.status_mut() = status;
        r
    };
    match path {
        "/metrics" => {
            let mut r = http::Response::new(Full::new(Bytes::from(registry.render())));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            r
        }
        "/healthz" if health == Health::Serving => text(StatusCode::OK, b"ok\n"),
        "/healthz" => text(StatusCode::SERVICE_UNAVAILABLE, b"draining\n"),
        _ => HttpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "try /metrics or /healthz",
        )
        .into_response()
        .map(Full::new),
    }
}
