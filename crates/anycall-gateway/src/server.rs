//! The HTTP edge: body collection with limits, the `tower` service, and a
//! hyper HTTP/1.1 server with graceful shutdown (and one for `/metrics`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::error::HttpError;
use crate::gateway::{Gateway, too_large};
use crate::metrics::Registry;

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
        self.handle(http::Request::from_parts(parts, bytes)).await
    }
}

impl<B> tower_service::Service<http::Request<B>> for Gateway
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let gw = self.clone();
        Box::pin(async move { Ok(gw.handle_http(req).await.map(Full::new)) })
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
                    async move { Ok::<_, Infallible>(gw.handle_http(req).await.map(Full::new)) }
                });
                let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), svc));
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "http connection ended with an error");
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

/// Serves `GET /metrics` (Prometheus text format) from `registry` and
/// `GET /healthz` (200 `ok`) on `listener` until `shutdown` resolves; other
/// paths are 404.
///
/// # Errors
///
/// Never fails once started; accept errors are logged and retried.
pub async fn serve_admin(
    registry: Registry,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let registry = registry.clone();
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let registry = registry.clone();
                    async move {
                        let resp = match req.uri().path() {
                            "/metrics" => {
                                let mut r = http::Response::new(Full::new(Bytes::from(registry.render())));
                                r.headers_mut().insert(
                                    http::header::CONTENT_TYPE,
                                    http::HeaderValue::from_static("text/plain; version=0.0.4"),
                                );
                                r
                            }
                            "/healthz" => http::Response::new(Full::new(Bytes::from_static(b"ok\n"))),
                            _ => {
                                let e = HttpError::new(StatusCode::NOT_FOUND, "not_found", "try /metrics or /healthz");
                                e.into_response().map(Full::new)
                            }
                        };
                        Ok::<_, Infallible>(resp)
                    }
                });
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    Ok(())
}
