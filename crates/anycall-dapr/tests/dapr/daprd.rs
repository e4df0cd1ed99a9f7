//! A client that does what daprd does with a pluggable component
//! (spec/dapr.md §2.4–§2.6): reflection v1alpha `ListServices` on its own
//! connection, then `Init`, `ListOperations` and `Invoke` with the
//! `x-component-instance` header.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anycall_dapr::proto::{
    InvokeRequest, InvokeResponse, ListOperationsRequest, ListOperationsResponse, MetadataRequest,
    OutputBindingInitRequest, OutputBindingInitResponse, PingRequest, PingResponse,
};
use bytes::Bytes;
use http::uri::PathAndQuery;
use tonic::Status;
use tonic::transport::{Channel, Endpoint};

/// One connection to the component socket.
#[derive(Clone)]
pub(crate) struct Daprd {
    channel: Channel,
    instance: Option<String>,
}

impl Daprd {
    /// Connects over the Unix socket (h2c), as daprd dials `unix://<path>`.
    pub(crate) async fn connect(socket: &Path) -> Self {
        let endpoint = Endpoint::from_shared(format!("unix://{}", socket.display()))
            .expect("endpoint")
            .connect_timeout(Duration::from_secs(5));
        let channel = tokio::time::timeout(Duration::from_secs(10), endpoint.connect())
            .await
            .expect("connect within 10 s")
            .expect("connect to the component socket");
        Self {
            channel,
            instance: None,
        }
    }

    /// The same connection, sending `x-component-instance: name` on every call.
    pub(crate) fn instance(&self, name: &str) -> Self {
        Self {
            channel: self.channel.clone(),
            instance: Some(name.to_owned()),
        }
    }

    async fn unary<Q, R>(&self, path: &'static str, msg: Q) -> Result<R, Status>
    where
        Q: prost::Message + Send + Sync + 'static,
        R: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        grpc.ready()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let mut req = tonic::Request::new(msg);
        req.set_timeout(Duration::from_secs(30));
        if let Some(name) = &self.instance {
            req.metadata_mut()
                .insert(anycall_dapr::INSTANCE_HEADER, name.parse().expect("ascii"));
        }
        let codec = tonic_prost::ProstCodec::<Q, R>::default();
        grpc.unary(req, PathAndQuery::from_static(path), codec)
            .await
            .map(tonic::Response::into_inner)
    }

    pub(crate) async fn init(&self, properties: &[(&str, &str)]) -> Result<(), Status> {
        let properties = properties
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let _: OutputBindingInitResponse = self
            .unary(
                "/dapr.proto.components.v1.OutputBinding/Init",
                OutputBindingInitRequest {
                    metadata: Some(MetadataRequest { properties }),
                },
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn list_operations(&self) -> Result<Vec<String>, Status> {
        let r: ListOperationsResponse = self
            .unary(
                "/dapr.proto.components.v1.OutputBinding/ListOperations",
                ListOperationsRequest {},
            )
            .await?;
        Ok(r.operations)
    }

    pub(crate) async fn ping(&self) -> Result<(), Status> {
        let _: PingResponse = self
            .unary(
                "/dapr.proto.components.v1.OutputBinding/Ping",
                PingRequest {},
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn invoke(
        &self,
        operation: &str,
        data: impl Into<Bytes>,
        metadata: &[(&str, &str)],
    ) -> Result<InvokeResponse, Status> {
        let metadata: HashMap<String, String> = metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.unary(
            "/dapr.proto.components.v1.OutputBinding/Invoke",
            InvokeRequest {
                data: data.into(),
                metadata,
                operation: operation.to_owned(),
            },
        )
        .await
    }

    /// Reflection v1alpha `ListServices`, as daprd's discovery does.
    pub(crate) async fn list_services_v1alpha(&self) -> Vec<String> {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
        let mut client = ServerReflectionClient::new(self.channel.clone());
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices("*".to_owned())),
        };
        let mut stream = client
            .server_reflection_info(tokio_stream::once(req))
            .await
            .expect("v1alpha ServerReflectionInfo")
            .into_inner();
        let resp = stream
            .message()
            .await
            .expect("a reply")
            .expect("one message");
        match resp.message_response {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("unexpected reflection reply {other:?}"),
        }
    }

    /// Reflection v1 `ListServices`.
    pub(crate) async fn list_services_v1(&self) -> Vec<String> {
        use tonic_reflection::pb::v1::ServerReflectionRequest;
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
        let mut client = ServerReflectionClient::new(self.channel.clone());
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices("*".to_owned())),
        };
        let mut stream = client
            .server_reflection_info(tokio_stream::once(req))
            .await
            .expect("v1 ServerReflectionInfo")
            .into_inner();
        let resp = stream
            .message()
            .await
            .expect("a reply")
            .expect("one message");
        match resp.message_response {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("unexpected reflection reply {other:?}"),
        }
    }
}
