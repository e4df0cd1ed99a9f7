//! A server reflection client (v1): service names and descriptors of a
//! running gRPC server, for calls with no `.proto` (as grpcurl does).
//!
//! A server answers `file_containing_symbol` with the defining file and
//! possibly not its imports, so the client asks for every missing
//! dependency by file name until the set is complete.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use prost::Message as _;
use prost_reflect::DescriptorPool;
use prost_types::FileDescriptorProto;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Endpoint;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

use super::Status;

/// One reflection stream to a server.
///
/// The stream is opened with the first question: some servers (grpc-go)
/// send their response headers only with the first answer, so waiting for
/// them before asking would never end.
#[derive(Debug)]
pub struct ReflectionClient {
    tx: mpsc::Sender<ServerReflectionRequest>,
    stream: Stream,
}

#[derive(Debug)]
enum Stream {
    /// Not opened yet: the client and the request that carries the
    /// questions.
    Pending(
        Box<(
            ServerReflectionClient<tonic::transport::Channel>,
            tonic::Request<ReceiverStream<ServerReflectionRequest>>,
        )>,
    ),
    Open(Box<tonic::Streaming<ServerReflectionResponse>>),
    /// Opening failed; the status was returned.
    Failed,
}

impl ReflectionClient {
    /// Opens a reflection stream to `addr` (`host:port`).
    ///
    /// # Errors
    ///
    /// `UNAVAILABLE` when the server cannot be reached. A server without
    /// reflection answers the first question with `UNIMPLEMENTED`.
    pub async fn connect(addr: &str, timeout: Duration) -> Result<Self, Status> {
        let addr = addr.split(',').next().unwrap_or(addr).trim();
        let uri = if addr.contains("://") {
            addr.to_owned()
        } else {
            format!("http://{addr}")
        };
        let channel = Endpoint::from_shared(uri)
            .map_err(|e| Status::invalid_argument(format!("bad address `{addr}`: {e}")))?
            .connect_timeout(timeout)
            .connect()
            .await
            .map_err(|e| Status::unavailable(format!("connecting to {addr} failed: {e}")))?;
        let client = ServerReflectionClient::new(channel);
        let (tx, rx) = mpsc::channel(4);
        let mut request = tonic::Request::new(ReceiverStream::new(rx));
        request.set_timeout(timeout);
        Ok(Self {
            tx,
            stream: Stream::Pending(Box::new((client, request))),
        })
    }

    async fn ask(&mut self, request: MessageRequest) -> Result<MessageResponse, Status> {
        self.tx
            .send(ServerReflectionRequest {
                host: String::new(),
                message_request: Some(request),
            })
            .await
            .map_err(|_| Status::unavailable("the reflection stream closed"))?;
        if let Stream::Pending(_) = self.stream {
            let Stream::Pending(pending) = std::mem::replace(&mut self.stream, Stream::Failed)
            else {
                unreachable!("matched above")
            };
            let (mut client, request) = *pending;
            self.stream = Stream::Open(Box::new(
                client.server_reflection_info(request).await?.into_inner(),
            ));
        }
        let Stream::Open(rx) = &mut self.stream else {
            return Err(Status::unavailable("the reflection stream failed to open"));
        };
        let reply = rx
            .message()
            .await?
            .ok_or_else(|| Status::unavailable("the reflection stream ended"))?;
        match reply.message_response {
            Some(MessageResponse::ErrorResponse(e)) => Err(Status::new(
                tonic::Code::from_i32(e.error_code),
                e.error_message,
            )),
            Some(other) => Ok(other),
            None => Err(Status::internal("an empty reflection reply")),
        }
    }

    /// Every service the server lists, by full name.
    ///
    /// # Errors
    ///
    /// The status the server answered with.
    pub async fn list_services(&mut self) -> Result<Vec<String>, Status> {
        match self
            .ask(MessageRequest::ListServices(String::new()))
            .await?
        {
            MessageResponse::ListServicesResponse(list) => {
                Ok(list.service.into_iter().map(|s| s.name).collect())
            }
            _ => Err(Status::internal("an unexpected reflection reply")),
        }
    }

    async fn files(&mut self, request: MessageRequest) -> Result<Vec<FileDescriptorProto>, Status> {
        match self.ask(request).await? {
            MessageResponse::FileDescriptorResponse(files) => files
                .file_descriptor_proto
                .iter()
                .map(|b| {
                    FileDescriptorProto::decode(b.as_slice())
                        .map_err(|e| Status::internal(format!("a bad file descriptor: {e}")))
                })
                .collect(),
            _ => Err(Status::internal("an unexpected reflection reply")),
        }
    }

    /// A pool holding the files that define `symbols` and everything they
    /// import.
    ///
    /// # Errors
    ///
    /// `NOT_FOUND` for an unknown symbol; `INTERNAL` for descriptors that do
    /// not link.
    pub async fn pool_for(&mut self, symbols: &[String]) -> Result<DescriptorPool, Status> {
        let mut files: BTreeMap<String, FileDescriptorProto> = BTreeMap::new();
        for symbol in symbols {
            for file in self
                .files(MessageRequest::FileContainingSymbol(symbol.clone()))
                .await?
            {
                files.insert(file.name().to_owned(), file);
            }
        }
        let mut asked = HashSet::new();
        loop {
            let missing: Vec<String> = files
                .values()
                .flat_map(|f| f.dependency.iter())
                .filter(|d| !files.contains_key(*d) && !asked.contains(*d))
                .cloned()
                .collect();
            if missing.is_empty() {
                break;
            }
            for name in missing {
                asked.insert(name.clone());
                for file in self.files(MessageRequest::FileByFilename(name)).await? {
                    files.insert(file.name().to_owned(), file);
                }
            }
        }
        // Dependencies first, as the pool links files in order.
        let mut ordered = Vec::new();
        let mut done = HashSet::new();
        fn visit(
            name: &str,
            files: &BTreeMap<String, FileDescriptorProto>,
            done: &mut HashSet<String>,
            out: &mut Vec<FileDescriptorProto>,
        ) {
            if !done.insert(name.to_owned()) {
                return;
            }
            if let Some(file) = files.get(name) {
                for dep in &file.dependency {
                    visit(dep, files, done, out);
                }
                out.push(file.clone());
            }
        }
        for name in files.keys() {
            visit(name, &files, &mut done, &mut ordered);
        }
        let mut pool = DescriptorPool::new();
        pool.add_file_descriptor_protos(ordered)
            .map_err(|e| Status::internal(format!("linking reflected descriptors: {e}")))?;
        Ok(pool)
    }

    /// A pool of every listed service (reflection services left out).
    ///
    /// # Errors
    ///
    /// As [`list_services`](Self::list_services) and [`pool_for`](Self::pool_for).
    pub async fn pool_all(&mut self) -> Result<DescriptorPool, Status> {
        let services: Vec<String> = self
            .list_services()
            .await?
            .into_iter()
            .filter(|s| !s.starts_with("grpc.reflection."))
            .collect();
        self.pool_for(&services).await
    }
}
