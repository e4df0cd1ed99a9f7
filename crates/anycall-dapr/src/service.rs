//! `dapr.proto.components.v1.OutputBinding` as a tonic service, routed by
//! hand: each path decodes its request with `tonic_prost::ProstCodec` and
//! answers through `tonic::server::Grpc::unary`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::{Service, StdError};
use tonic::server::NamedService;
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

use crate::binding::{Binding, DEFAULT_INSTANCE};
use crate::proto::{
    InvokeRequest, InvokeResponse, ListOperationsRequest, ListOperationsResponse, OUTPUT_BINDING,
    OutputBindingInitRequest, OutputBindingInitResponse, PingRequest, PingResponse,
};

/// The gRPC header daprd sets on every call of one YAML component.
pub const INSTANCE_HEADER: &str = "x-component-instance";

/// The output binding service.
#[derive(Debug, Clone)]
pub(crate) struct OutputBindingService {
    binding: Arc<Binding>,
    max_message_size: usize,
}

impl OutputBindingService {
    pub(crate) fn new(binding: Arc<Binding>, max_message_size: usize) -> Self {
        Self {
            binding,
            max_message_size,
        }
    }
}

impl NamedService for OutputBindingService {
    const NAME: &'static str = OUTPUT_BINDING;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Infallible>> + Send + 'static>>;

fn instance_of<T>(req: &Request<T>) -> String {
    req.metadata()
        .get(INSTANCE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(DEFAULT_INSTANCE)
        .to_owned()
}

/// Decodes a unary request of type `Q`, runs `f`, encodes its `R`.
async fn unary<Q, R, F, Fut, B>(
    req: http::Request<B>,
    max_message_size: usize,
    f: F,
) -> http::Response<Body>
where
    Q: prost::Message + Default + Send + 'static,
    R: prost::Message + Send + 'static,
    F: FnOnce(Request<Q>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Response<R>, Status>> + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    let mut grpc = tonic::server::Grpc::new(ProstCodec::<R, Q>::default())
        .apply_max_message_size_config(Some(max_message_size), Some(max_message_size));
    let svc = tower::service_fn(move |r: Request<Q>| (f.clone())(r));
    grpc.unary(svc, req).await
}

impl<B> Service<http::Request<B>> for OutputBindingService
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let binding = self.binding.clone();
        let max = self.max_message_size;
        let method = req
            .uri()
            .path()
            .strip_prefix("/dapr.proto.components.v1.OutputBinding/")
            .unwrap_or_default()
            .to_owned();
        Box::pin(async move {
            let response = match method.as_str() {
                "Init" => {
                    unary(
                        req,
                        max,
                        move |r: Request<OutputBindingInitRequest>| async move {
                            let name = instance_of(&r);
                            let properties = r
                                .into_inner()
                                .metadata
                                .map(|m| m.properties)
                                .unwrap_or_default();
                            binding.init(&name, properties)?;
                            Ok(Response::new(OutputBindingInitResponse {}))
                        },
                    )
                    .await
                }
                "Invoke" => {
                    unary(req, max, move |r: Request<InvokeRequest>| async move {
                        let name = instance_of(&r);
                        let reply: InvokeResponse = binding.invoke(&name, r.into_inner()).await?;
                        Ok(Response::new(reply))
                    })
                    .await
                }
                "ListOperations" => {
                    unary(
                        req,
                        max,
                        move |r: Request<ListOperationsRequest>| async move {
                            let operations = binding.operations(&instance_of(&r));
                            Ok(Response::new(ListOperationsResponse { operations }))
                        },
                    )
                    .await
                }
                "Ping" => {
                    unary(req, max, |_: Request<PingRequest>| async {
                        Ok(Response::new(PingResponse {}))
                    })
                    .await
                }
                _ => Status::unimplemented(format!("{OUTPUT_BINDING} has no method `{method}`"))
                    .into_http(),
            };
            Ok(response)
        })
    }
}
