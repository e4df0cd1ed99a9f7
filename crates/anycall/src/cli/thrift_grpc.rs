//! Thrift over gRPC for `anycall call` and `anycall bench` (`--transport
//! grpc` on a Thrift IDL): the streams of [`crate::cli::stream`] over
//! either TTHeader Streaming or gRPC, and unary calls over gRPC.

use anycall_codec::frame::ttheader::metainfo;
use anycall_codec::{Limits, Options};
use anycall_idl::Pool;
#[cfg(feature = "grpc")]
use anycall_rpc::grpc::{
    GrpcBidiStreaming, GrpcClientStreaming, GrpcServerStreaming, ThriftGrpcClient,
};
use anycall_rpc::ttstream::{BidiStreaming, ClientStreaming, ServerStreaming, StreamClient};
use anycall_rpc::{Mode, Payload};
use anyhow::anyhow;

use super::CliError;
#[cfg(feature = "grpc")]
use super::args::CallArgs;
use super::args::KeyValue;
use super::call::call_failed;

/// What a streaming call needs to reach a server.
pub(crate) struct Dial<'a> {
    pub(crate) addr: &'a str,
    pub(crate) pool: &'a Pool,
    pub(crate) service: &'a str,
    pub(crate) mode: Mode,
    pub(crate) options: Options,
    pub(crate) limits: Limits,
    pub(crate) connect_timeout: std::time::Duration,
    pub(crate) timeout: Option<std::time::Duration>,
    pub(crate) meta: &'a [KeyValue],
    pub(crate) meta_persistent: &'a [KeyValue],
}

/// A streaming client over TTHeader Streaming or gRPC.
#[derive(Clone)]
pub(crate) enum Streams {
    TtStream(StreamClient),
    #[cfg(feature = "grpc")]
    Grpc(ThriftGrpcClient),
}

impl Streams {
    /// Connects over TTHeader Streaming (`grpc` false) or prepares a gRPC
    /// client (connected on the first stream).
    pub(crate) async fn connect(d: Dial<'_>, grpc: bool) -> Result<Self, CliError> {
        let transit = |k: &str| format!("{}{k}", metainfo::PREFIX_TRANSIENT);
        let persist = |k: &str| format!("{}{k}", metainfo::PREFIX_PERSISTENT);
        #[cfg(not(feature = "grpc"))]
        if grpc {
            return Err(CliError::usage(anyhow!(
                "--transport grpc needs anycall built with the grpc feature"
            )));
        }
        #[cfg(feature = "grpc")]
        if grpc {
            let mut b = ThriftGrpcClient::builder(d.addr)
                .idl(d.pool.clone())
                .service(d.service)
                .mode(d.mode)
                .options(d.options)
                .limits(d.limits)
                .connect_timeout(d.connect_timeout);
            if let Some(t) = d.timeout {
                b = b.timeout(t);
            }
            // Kitex reads metainfo from `rpc-transit-`/`rpc-persist-` metadata.
            for kv in d.meta {
                b = b
                    .metadata(&format!("rpc-transit-{}", kv.0.to_ascii_lowercase()), &kv.1)
                    .map_err(|e| CliError::usage(anyhow!("--meta {}: {e}", kv.0)))?;
            }
            for kv in d.meta_persistent {
                b = b
                    .metadata(&format!("rpc-persist-{}", kv.0.to_ascii_lowercase()), &kv.1)
                    .map_err(|e| CliError::usage(anyhow!("--meta-persistent {}: {e}", kv.0)))?;
            }
            let client = b.build().map_err(|e| call_failed(e, d.addr))?;
            return Ok(Self::Grpc(client));
        }
        let mut b = StreamClient::builder(d.addr)
            .idl(d.pool.clone())
            .service(d.service)
            .mode(d.mode)
            .options(d.options)
            .limits(d.limits)
            .connect_timeout(d.connect_timeout);
        if let Some(t) = d.timeout {
            b = b.stream_timeout(t);
        }
        for kv in d.meta {
            b = b.header(transit(&kv.0), &kv.1);
        }
        for kv in d.meta_persistent {
            b = b.header(persist(&kv.0), &kv.1);
        }
        let client = b.connect().await.map_err(|e| call_failed(e, d.addr))?;
        Ok(Self::TtStream(client))
    }

    /// `ttheader-streaming` or `grpc`.
    pub(crate) fn transport_name(&self) -> &'static str {
        match self {
            Self::TtStream(_) => "ttheader-streaming",
            #[cfg(feature = "grpc")]
            Self::Grpc(_) => "grpc",
        }
    }

    pub(crate) async fn bidi(&self, method: &str) -> anycall_rpc::Result<Bidi> {
        Ok(match self {
            Self::TtStream(c) => Bidi::TtStream(Box::new(c.bidi(method).await?)),
            #[cfg(feature = "grpc")]
            Self::Grpc(c) => Bidi::Grpc(Box::new(c.bidi(method).await?)),
        })
    }

    pub(crate) async fn client_streaming(&self, method: &str) -> anycall_rpc::Result<Client> {
        Ok(match self {
            Self::TtStream(c) => Client::TtStream(Box::new(c.client_streaming(method).await?)),
            #[cfg(feature = "grpc")]
            Self::Grpc(c) => Client::Grpc(Box::new(c.client_streaming(method).await?)),
        })
    }

    pub(crate) async fn server_streaming(
        &self,
        method: &str,
        request: Payload,
    ) -> anycall_rpc::Result<Server> {
        Ok(match self {
            Self::TtStream(c) => {
                Server::TtStream(Box::new(c.server_streaming(method, request).await?))
            }
            #[cfg(feature = "grpc")]
            Self::Grpc(c) => Server::Grpc(Box::new(c.server_streaming(method, request).await?)),
        })
    }
}

/// A bidirectional stream of either transport.
pub(crate) enum Bidi {
    TtStream(Box<BidiStreaming>),
    #[cfg(feature = "grpc")]
    Grpc(Box<GrpcBidiStreaming>),
}

impl Bidi {
    pub(crate) async fn send(&mut self, m: Payload) -> anycall_rpc::Result<()> {
        match self {
            Self::TtStream(s) => s.send(m).await,
            #[cfg(feature = "grpc")]
            Self::Grpc(s) => s.send(m).await,
        }
    }

    pub(crate) async fn recv(&mut self) -> anycall_rpc::Result<Option<Payload>> {
        match self {
            Self::TtStream(s) => s.recv().await,
            #[cfg(feature = "grpc")]
            Self::Grpc(s) => s.recv().await,
        }
    }

    pub(crate) async fn close_send(&mut self) -> anycall_rpc::Result<()> {
        match self {
            Self::TtStream(s) => s.close_send().await,
            #[cfg(feature = "grpc")]
            Self::Grpc(s) => s.close_send().await,
        }
    }
}

/// A client stream of either transport.
pub(crate) enum Client {
    TtStream(Box<ClientStreaming>),
    #[cfg(feature = "grpc")]
    Grpc(Box<GrpcClientStreaming>),
}

impl Client {
    pub(crate) async fn send(&mut self, m: Payload) -> anycall_rpc::Result<()> {
        match self {
            Self::TtStream(s) => s.send(m).await,
            #[cfg(feature = "grpc")]
            Self::Grpc(s) => s.send(m).await,
        }
    }

    pub(crate) async fn close_and_recv(self) -> anycall_rpc::Result<Payload> {
        match self {
            Self::TtStream(s) => s.close_and_recv().await,
            #[cfg(feature = "grpc")]
            Self::Grpc(s) => s.close_and_recv().await,
        }
    }
}

/// A server stream of either transport.
pub(crate) enum Server {
    TtStream(Box<ServerStreaming>),
    #[cfg(feature = "grpc")]
    Grpc(Box<GrpcServerStreaming>),
}

impl Server {
    pub(crate) async fn recv(&mut self) -> anycall_rpc::Result<Option<Payload>> {
        match self {
            Self::TtStream(s) => s.recv().await,
            #[cfg(feature = "grpc")]
            Self::Grpc(s) => s.recv().await,
        }
    }
}

#[cfg(feature = "grpc")]
/// `anycall call --transport grpc` on a method that does not stream: one
/// unary Thrift-over-gRPC call (`<method>_args` in, `<method>_result` out).
pub(crate) async fn unary(
    a: &CallArgs,
    addr: &str,
    pool: &Pool,
    service: &str,
    method: &str,
    pretty: bool,
) -> Result<(), CliError> {
    let Streams::Grpc(client) = Streams::connect(
        Dial {
            addr,
            pool,
            service,
            mode: Mode::Json,
            options: a.json.options(),
            limits: a.json.limits(),
            connect_timeout: a.client.connect_timeout,
            timeout: Some(a.client.timeout),
            meta: &a.meta,
            meta_persistent: &a.meta_persistent,
        },
        true,
    )
    .await?
    else {
        return Err(anyhow!("not a gRPC client").into());
    };
    let data = super::input::read_data(a.data.as_deref())?;
    let text = String::from_utf8(data).map_err(|_| anyhow!("the JSON is not UTF-8"))?;
    let text = if text.trim().is_empty() {
        "{}".to_owned()
    } else {
        text
    };
    if a.verbose {
        eprintln!(
            "> {addr} {service}/{method} over grpc ({})",
            client.path(method).map_err(|e| call_failed(e, addr))?
        );
    }
    let started = std::time::Instant::now();
    let reply = client
        .unary(method, Payload::Json(text))
        .await
        .map_err(|e| call_failed(e, addr))?;
    if a.verbose {
        eprintln!("< reply after {:.2?}", started.elapsed());
    }
    super::call::print_reply(reply, pretty)
}
