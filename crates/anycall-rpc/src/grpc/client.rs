//! The gRPC client: any method path, the four call kinds, three modes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anycall_codec::proto::ProtoOptions;
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use http::uri::PathAndQuery;
use prost_reflect::MethodDescriptor;
use tonic::codec::{CompressionEncoding, Streaming};
use tonic::transport::{Channel, Endpoint};

use super::codec::BytesCodec;
use super::{
    CallKind, DEFAULT_MAX_MESSAGE_SIZE, GrpcMode, MetadataMap, ProtoIdl, Status, bytes_to_payload,
    find_method, payload_to_bytes, split_path,
};
use crate::Payload;
use crate::error::{Error, Result};

/// Builds a [`GrpcClient`].
#[derive(Debug, Clone)]
pub struct GrpcClientBuilder {
    hosts: String,
    idl: Option<ProtoIdl>,
    mode: GrpcMode,
    options: ProtoOptions,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    max_message_size: usize,
    gzip: bool,
}

impl GrpcClientBuilder {
    /// Descriptors for the JSON and dynamic modes (default: none, binary only).
    pub fn idl(mut self, idl: impl Into<ProtoIdl>) -> Self {
        self.idl = Some(idl.into());
        self
    }

    /// The form replies are returned in (default [`GrpcMode::Json`]).
    pub fn mode(mut self, mode: GrpcMode) -> Self {
        self.mode = mode;
        self
    }

    /// JSON options (default: the proto3 JSON mapping's).
    pub fn options(mut self, options: ProtoOptions) -> Self {
        self.options = options;
        self
    }

    /// The deadline of each call, sent as `grpc-timeout` (default: none).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Connect timeout (default 1 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Largest message sent or received (default 4 MiB).
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max;
        self
    }

    /// Compress requests with gzip (default off; gzip replies are always
    /// accepted).
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Builds the client. Connections open on the first call; several hosts
    /// (`h1:p,h2:p`) are balanced.
    ///
    /// # Errors
    ///
    /// [`Error::is_config`] for an address that is not `host:port` or a URL.
    pub fn build(self) -> Result<GrpcClient> {
        let mut endpoints = Vec::new();
        for host in self
            .hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
        {
            let uri = if host.contains("://") {
                host.to_owned()
            } else {
                format!("http://{host}")
            };
            let endpoint = Endpoint::from_shared(uri)
                .map_err(|e| Error::config(format!("bad address `{host}`: {e}")))?
                .connect_timeout(self.connect_timeout)
                .tcp_nodelay(true);
            endpoints.push(endpoint);
        }
        let channel = match endpoints.len() {
            0 => return Err(Error::config("no address given")),
            1 => endpoints.remove(0).connect_lazy(),
            _ => Channel::balance_list(endpoints.into_iter()),
        };
        Ok(GrpcClient {
            channel,
            idl: self.idl,
            mode: self.mode,
            options: self.options,
            timeout: self.timeout,
            max_message_size: self.max_message_size,
            gzip: self.gzip,
        })
    }
}

/// A gRPC client for any method, without generated code.
///
/// ```no_run
/// # async fn f(pool: prost_reflect::DescriptorPool) -> Result<(), Box<dyn std::error::Error>> {
/// use anycall_rpc::Payload;
/// use anycall_rpc::grpc::{GrpcClient, MetadataMap};
///
/// let client = GrpcClient::builder("127.0.0.1:50051").idl(pool).build()?;
/// let (reply, _) = client
///     .unary("/echo.v1.Echo/Say", MetadataMap::new(), Payload::Json(r#"{"msg":"hi"}"#.into()))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct GrpcClient {
    channel: Channel,
    idl: Option<ProtoIdl>,
    mode: GrpcMode,
    options: ProtoOptions,
    timeout: Option<Duration>,
    max_message_size: usize,
    gzip: bool,
}

/// The reply side of a call of encoded messages: the call runs on its own
/// task until the reply headers, then messages are read from the stream.
/// Dropping it cancels the call (the HTTP/2 stream is reset).
#[derive(Debug)]
pub(crate) struct RawResponse {
    started: Option<tokio::task::JoinHandle<Result<tonic::Response<Streaming<Bytes>>, Status>>>,
    headers: MetadataMap,
    messages: Option<Streaming<Bytes>>,
}

impl RawResponse {
    /// Waits for the reply headers.
    pub(crate) async fn start(&mut self) -> Result<&mut Streaming<Bytes>, Status> {
        if let Some(started) = self.started.as_mut() {
            let response = started
                .await
                .map_err(|e| Status::internal(format!("the call task failed: {e}")));
            self.started = None;
            let (headers, messages, _) = response?.map_err(deadline_status)?.into_parts();
            self.headers = headers;
            self.messages = Some(messages);
        }
        self.messages
            .as_mut()
            .ok_or_else(|| Status::internal("the call failed before its reply headers"))
    }

    /// Cancels the call: the HTTP/2 stream is reset.
    pub(crate) fn cancel(&mut self) {
        if let Some(started) = self.started.take() {
            started.abort();
        }
        self.messages = None;
    }

    /// The reply headers (empty before [`start`](Self::start)).
    pub(crate) fn headers(&self) -> &MetadataMap {
        &self.headers
    }

    /// The next encoded message; `None` after the last (status OK).
    pub(crate) async fn message(&mut self) -> Result<Option<Bytes>, Status> {
        self.start().await?.message().await.map_err(deadline_status)
    }

    /// The trailers, once every message was read.
    pub(crate) async fn trailers(&mut self) -> Result<MetadataMap, Status> {
        Ok(self
            .start()
            .await?
            .trailers()
            .await
            .map_err(deadline_status)?
            .unwrap_or_default())
    }
}

impl Drop for RawResponse {
    fn drop(&mut self) {
        if let Some(started) = self.started.take() {
            started.abort();
        }
    }
}

/// The reply side of a call: headers, then messages as they arrive, then
/// trailers.
#[derive(Debug)]
pub struct GrpcResponse {
    raw: RawResponse,
    method: Option<MethodDescriptor>,
    mode: GrpcMode,
    options: ProtoOptions,
    send_error: Arc<Mutex<Option<Status>>>,
    trailers: Option<MetadataMap>,
}

impl GrpcResponse {
    fn send_error(&self) -> Option<Status> {
        self.send_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// Waits for the reply headers (the call is under way meanwhile: requests
    /// are sent as the request stream yields them).
    async fn start(&mut self) -> Result<(), Status> {
        let started = self.raw.start().await.map(|_| ());
        if let Some(status) = self.send_error() {
            return Err(status);
        }
        started
    }

    /// The reply headers (custom metadata), once they arrived.
    ///
    /// # Errors
    ///
    /// The status of a call that failed before its reply headers.
    pub async fn headers(&mut self) -> Result<&MetadataMap, Status> {
        self.start().await?;
        Ok(self.raw.headers())
    }

    /// The next reply message; `None` after the last one (the call ended
    /// with status OK).
    ///
    /// # Errors
    ///
    /// The non-OK status the call ended with, or a local problem sending or
    /// decoding messages.
    pub async fn message(&mut self) -> Result<Option<Payload>, Status> {
        if let Some(status) = self.send_error() {
            return Err(status);
        }
        self.start().await?;
        match self.raw.message().await? {
            Some(bytes) => {
                let desc = self.method.as_ref().map(MethodDescriptor::output);
                bytes_to_payload(bytes, self.mode, desc.as_ref(), &self.options).map(Some)
            }
            None => match self.send_error() {
                Some(status) => Err(status),
                None => Ok(None),
            },
        }
    }

    /// The trailers (custom metadata), once every message was read.
    ///
    /// # Errors
    ///
    /// The status the call ended with.
    pub async fn trailers(&mut self) -> Result<MetadataMap, Status> {
        if let Some(t) = self.trailers.take() {
            return Ok(t);
        }
        self.start().await?;
        self.raw.trailers().await
    }
}

impl GrpcClient {
    /// A builder for `hosts` (`host:port`, several separated by commas).
    pub fn builder(hosts: impl Into<String>) -> GrpcClientBuilder {
        GrpcClientBuilder {
            hosts: hosts.into(),
            idl: None,
            mode: GrpcMode::Json,
            options: ProtoOptions::default(),
            timeout: None,
            connect_timeout: Duration::from_secs(1),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            gzip: false,
        }
    }

    /// The method of `path` in the client's pool, if it has one.
    ///
    /// # Errors
    ///
    /// `UNIMPLEMENTED` naming the unknown service or method.
    pub fn method(&self, path: &str) -> Result<Option<MethodDescriptor>, Status> {
        let Some(idl) = &self.idl else {
            return Ok(None);
        };
        let (service, method) = split_path(path)
            .ok_or_else(|| Status::invalid_argument(format!("bad method path `{path}`")))?;
        find_method(&idl.pool(), service, method).map(Some)
    }

    /// Starts a call of any kind: `requests` are sent as they come (the
    /// request side closes when the stream ends), replies are read from the
    /// returned [`GrpcResponse`].
    ///
    /// # Errors
    ///
    /// `UNIMPLEMENTED` for a method the client's descriptors lack, and
    /// `FAILED_PRECONDITION` for the JSON and dynamic modes without
    /// descriptors; later failures come from the [`GrpcResponse`].
    pub async fn call<S>(
        &self,
        path: &str,
        metadata: MetadataMap,
        requests: S,
    ) -> Result<GrpcResponse, Status>
    where
        S: Stream<Item = Payload> + Send + 'static,
    {
        let method = self.method(path)?;
        if method.is_none() && self.mode != GrpcMode::Binary {
            return Err(Status::failed_precondition(
                "the JSON and dynamic modes need descriptors (a .proto or reflection)",
            ));
        }
        let input = method.as_ref().map(MethodDescriptor::input);
        let options = self.options;
        let send_error = Arc::new(Mutex::new(None::<Status>));
        let slot = send_error.clone();
        let encoded = requests
            .map(move |p| payload_to_bytes(p, input.as_ref(), &options))
            .take_while(move |r| {
                let ok = match r {
                    Ok(_) => true,
                    Err(status) => {
                        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(status.clone());
                        false
                    }
                };
                std::future::ready(ok)
            })
            .filter_map(|r| std::future::ready(r.ok()));
        let raw = self.call_raw(path, metadata, encoded, None)?;
        Ok(GrpcResponse {
            raw,
            method,
            mode: self.mode,
            options: self.options,
            send_error,
            trailers: None,
        })
    }

    /// Starts a call of encoded messages on the client's connections, with
    /// `content_type` instead of `application/grpc` when given (Thrift over
    /// gRPC sends `application/grpc+thrift`).
    pub(crate) fn call_raw<S>(
        &self,
        path: &str,
        metadata: MetadataMap,
        requests: S,
        content_type: Option<http::HeaderValue>,
    ) -> Result<RawResponse, Status>
    where
        S: Stream<Item = Bytes> + Send + 'static,
    {
        let path = path.strip_prefix('/').unwrap_or(path);
        let path: PathAndQuery = format!("/{path}")
            .parse()
            .map_err(|e| Status::invalid_argument(format!("bad method path: {e}")))?;
        let mut request = tonic::Request::new(requests);
        *request.metadata_mut() = metadata;
        if let Some(timeout) = self.timeout {
            request.set_timeout(timeout);
        }
        let channel = tower::ServiceExt::map_request(
            self.channel.clone(),
            move |mut req: http::Request<tonic::body::Body>| {
                if let Some(ct) = &content_type {
                    req.headers_mut()
                        .insert(http::header::CONTENT_TYPE, ct.clone());
                }
                req
            },
        );
        let mut grpc = tonic::client::Grpc::new(channel)
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(self.max_message_size)
            .max_encoding_message_size(self.max_message_size);
        if self.gzip {
            grpc = grpc.send_compressed(CompressionEncoding::Gzip);
        }
        // The call runs on its own task, so requests go out before (and
        // whether or not) the server sends its reply headers.
        let started = tokio::spawn(async move {
            grpc.ready()
                .await
                .map_err(|e| Status::unavailable(format!("connecting failed: {e}")))?;
            grpc.streaming(request, path, BytesCodec).await
        });
        Ok(RawResponse {
            started: Some(started),
            headers: MetadataMap::new(),
            messages: None,
        })
    }

    /// A unary (or client-streaming with one request) call: the one reply and
    /// the response for its headers and trailers.
    ///
    /// # Errors
    ///
    /// The non-OK status, or `INTERNAL` when the server sent no message or
    /// more than one.
    pub async fn unary(
        &self,
        path: &str,
        metadata: MetadataMap,
        request: Payload,
    ) -> Result<(Payload, GrpcResponse), Status> {
        let mut response = self
            .call(path, metadata, futures_util::stream::iter([request]))
            .await?;
        let reply = response
            .message()
            .await?
            .ok_or_else(|| Status::internal("the server sent no reply message"))?;
        if response.message().await?.is_some() {
            return Err(Status::internal(
                "the server sent more than one reply message",
            ));
        }
        let trailers = response.trailers().await?;
        response.trailers = Some(trailers);
        Ok((reply, response))
    }

    /// The kind of the method at `path`, if the client has its descriptor.
    pub fn kind(&self, path: &str) -> Option<CallKind> {
        self.method(path).ok().flatten().map(|m| CallKind::of(&m))
    }
}

/// tonic's channel ends a call whose deadline passed as `CANCELLED` with
/// "Timeout expired"; gRPC calls that `DEADLINE_EXCEEDED`.
pub(crate) fn deadline_status(status: Status) -> Status {
    if status.code() == tonic::Code::Cancelled && status.message() == "Timeout expired" {
        Status::deadline_exceeded("deadline exceeded (client side)")
    } else {
        status
    }
}
