//! gRPC over HTTP/2 without generated code (feature `grpc`): a client and a
//! catch-all server for any method of `.proto` files loaded at run time.
//!
//! ```text
//! HTTP/2 DATA, per message (spec §6.1):
//! +------+----------------+------------------------------+
//! | flag | u32 length, BE | message (protobuf)           |
//! +------+----------------+------------------------------+
//!   0 = plain, 1 = compressed with `grpc-encoding` (gzip accepted)
//! path = /package.Service/Method; trailers: grpc-status, grpc-message
//! ```
//!
//! One stream shape for the four call kinds: a call is `(service, method,
//! kind)` with a stream of messages each way, and unary, client streaming,
//! server streaming and bidi are that shape with the counts fixed. Messages
//! are [`Payload`]s: [`Payload::Binary`]
//! holds protobuf bytes, [`Payload::Json`] proto3 JSON
//! and [`Payload::Proto`] a dynamic message, so the
//! binary, JSON and dynamic modes are one path.
//!
//! - [`GrpcClient`]: calls `/pkg.Svc/Method` with metadata, a deadline
//!   (`grpc-timeout`), gzip, message size limits (4 MiB default); replies
//!   come as a [`MessageStream`] with headers and trailers.
//! - [`GrpcServer`]: answers every method of the pool through one
//!   [`GrpcHandler`], with server reflection (v1 and v1alpha); it also plugs
//!   into the Thrift [`Server`](crate::Server), which hands over connections
//!   that start with the HTTP/2 preface.
//! - [`reflection`]: a reflection client that builds a descriptor pool from a
//!   server, for calls with no `.proto`.

mod client;
mod codec;
pub mod kitexpb;
pub mod reflection;
mod server;
pub mod thrift;

use std::pin::Pin;
use std::time::Duration;

use anycall_codec::proto::{DynamicMessage, ProtoOptions};
use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use prost_reflect::{DescriptorPool, MessageDescriptor, MethodDescriptor};

pub use client::{GrpcClient, GrpcClientBuilder, GrpcResponse};
pub(crate) use server::serve_h2;
pub use server::{
    DRAIN_TIMEOUT, GrpcCall, GrpcHandler, GrpcReply, GrpcServer, GrpcServerBuilder,
    GrpcServerHandle, H2_CONNECTION_WINDOW, H2_STREAM_WINDOW,
};
pub use thrift::{
    GrpcBidiStreaming, GrpcClientStreaming, GrpcServerStreaming, ThriftGrpcClient,
    ThriftGrpcClientBuilder, kitex_package,
};
pub use tonic::metadata::MetadataMap;
pub use tonic::{Code, Status};

use crate::Payload;

/// gRPC's default largest message, each way (4 MiB).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 4 << 20;

/// A stream of messages, each a [`Payload`] or the status that ended it.
pub type MessageStream = Pin<Box<dyn Stream<Item = Result<Payload, Status>> + Send + 'static>>;

/// The four call kinds, from the method's `stream` markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// One request, one reply.
    Unary,
    /// Many requests, one reply.
    ClientStreaming,
    /// One request, many replies.
    ServerStreaming,
    /// Many requests, many replies.
    Bidi,
}

impl CallKind {
    /// The kind of a method.
    pub fn of(method: &MethodDescriptor) -> Self {
        match (method.is_client_streaming(), method.is_server_streaming()) {
            (false, false) => Self::Unary,
            (true, false) => Self::ClientStreaming,
            (false, true) => Self::ServerStreaming,
            (true, true) => Self::Bidi,
        }
    }

    /// Whether the client sends a stream.
    pub fn client_streams(self) -> bool {
        matches!(self, Self::ClientStreaming | Self::Bidi)
    }

    /// Whether the server sends a stream.
    pub fn server_streams(self) -> bool {
        matches!(self, Self::ServerStreaming | Self::Bidi)
    }

    /// `unary`, `client streaming`, `server streaming` or `bidi streaming`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unary => "unary",
            Self::ClientStreaming => "client streaming",
            Self::ServerStreaming => "server streaming",
            Self::Bidi => "bidi streaming",
        }
    }
}

/// In which form a gRPC client or server hands messages to its caller or
/// handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GrpcMode {
    /// Protobuf bytes as they are ([`Payload::Binary`]); no descriptors needed.
    Binary,
    /// Proto3 JSON text ([`Payload::Json`]).
    #[default]
    Json,
    /// Dynamic messages ([`Payload::Proto`]).
    Dynamic,
}

/// Where a gRPC client or server gets its descriptors: a fixed pool or a
/// hot-swappable provider.
#[derive(Debug, Clone)]
pub enum ProtoIdl {
    /// A fixed pool.
    Pool(DescriptorPool),
    /// A pool that can be swapped while calls are in flight.
    Provider(std::sync::Arc<anycall_idl::proto::ProtoProvider>),
}

impl ProtoIdl {
    /// The pool to use for one call.
    pub fn pool(&self) -> DescriptorPool {
        match self {
            Self::Pool(pool) => pool.clone(),
            Self::Provider(provider) => provider.pool(),
        }
    }
}

impl From<DescriptorPool> for ProtoIdl {
    fn from(pool: DescriptorPool) -> Self {
        Self::Pool(pool)
    }
}

impl From<std::sync::Arc<anycall_idl::proto::ProtoProvider>> for ProtoIdl {
    fn from(provider: std::sync::Arc<anycall_idl::proto::ProtoProvider>) -> Self {
        Self::Provider(provider)
    }
}

/// Splits `/pkg.Service/Method` (or `pkg.Service/Method`) into service and
/// method.
pub fn split_path(path: &str) -> Option<(&str, &str)> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let (service, method) = path.rsplit_once('/')?;
    (!service.is_empty() && !method.is_empty() && !method.contains('.'))
        .then_some((service, method))
}

/// Finds `service/method` in `pool`, with a "did you mean" hint when absent.
///
/// # Errors
///
/// `NOT_FOUND`-style [`Status::unimplemented`] naming what is missing.
pub fn find_method(
    pool: &DescriptorPool,
    service: &str,
    method: &str,
) -> Result<MethodDescriptor, Status> {
    let Some(svc) = pool.get_service_by_name(service) else {
        let names: Vec<String> = pool.services().map(|s| s.full_name().to_owned()).collect();
        let hint = anycall_idl::did_you_mean(service, names.iter().map(String::as_str))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(Status::unimplemented(format!(
            "unknown service {service}{hint}"
        )));
    };
    svc.methods().find(|m| m.name() == method).ok_or_else(|| {
        let names: Vec<String> = svc.methods().map(|m| m.name().to_owned()).collect();
        let hint = anycall_idl::did_you_mean(method, names.iter().map(String::as_str))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        Status::unimplemented(format!(
            "unknown method {method} of service {service}{hint}"
        ))
    })
}

/// Turns a payload into protobuf bytes for `desc`.
pub(crate) fn payload_to_bytes(
    payload: Payload,
    desc: Option<&MessageDescriptor>,
    options: &ProtoOptions,
) -> Result<Bytes, Status> {
    match payload {
        Payload::Binary(bytes) => Ok(bytes),
        Payload::Proto(msg) => {
            let mut buf = BytesMut::new();
            anycall_codec::proto::message_to_bytes(&msg, &mut buf);
            Ok(buf.freeze())
        }
        Payload::Json(text) => {
            let desc = desc.ok_or_else(|| Status::internal("a JSON message needs a descriptor"))?;
            anycall_codec::proto::json_to_bytes(desc, text.as_bytes(), options)
                .map(Bytes::from)
                .map_err(|e| Status::invalid_argument(e.to_string()))
        }
        Payload::Value(_) => Err(Status::internal(
            "a Thrift Value cannot be sent as a protobuf message",
        )),
    }
}

/// Turns protobuf bytes into a payload of `mode`.
pub(crate) fn bytes_to_payload(
    bytes: Bytes,
    mode: GrpcMode,
    desc: Option<&MessageDescriptor>,
    options: &ProtoOptions,
) -> Result<Payload, Status> {
    let need = || desc.ok_or_else(|| Status::internal("decoding needs a descriptor"));
    match mode {
        GrpcMode::Binary => Ok(Payload::Binary(bytes)),
        GrpcMode::Json => anycall_codec::proto::bytes_to_json(need()?, &bytes, options)
            .map(Payload::Json)
            .map_err(|e| Status::internal(e.to_string())),
        GrpcMode::Dynamic => anycall_codec::proto::bytes_to_message(need()?, &bytes, options)
            .map(Payload::Proto)
            .map_err(|e| Status::internal(e.to_string())),
    }
}

/// Encodes a `grpc-timeout` value (spec §6.2): the finest unit whose value
/// fits in 8 digits.
pub fn encode_timeout(timeout: Duration) -> String {
    let nanos = timeout.as_nanos();
    for (unit, per) in [
        ('n', 1u128),
        ('u', 1_000),
        ('m', 1_000_000),
        ('S', 1_000_000_000),
        ('M', 60_000_000_000),
        ('H', 3_600_000_000_000),
    ] {
        let value = nanos.div_ceil(per);
        if value < 100_000_000 {
            return format!("{value}{unit}");
        }
    }
    "99999999H".to_owned()
}

/// Parses a `grpc-timeout` value; `None` when malformed.
pub fn decode_timeout(text: &str) -> Option<Duration> {
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// A dynamic message of `desc` with no fields set.
pub fn empty_message(desc: MessageDescriptor) -> DynamicMessage {
    DynamicMessage::new(desc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(encode_timeout(Duration::from_secs(1)), "1000000u");
        assert_eq!(encode_timeout(Duration::from_millis(5)), "5000000n");
        assert_eq!(decode_timeout("1000000u"), Some(Duration::from_secs(1)));
        assert_eq!(decode_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(decode_timeout("123456789S"), None);
        assert_eq!(decode_timeout("1x"), None);
        assert_eq!(decode_timeout(""), None);
    }

    #[test]
    fn paths() {
        assert_eq!(split_path("/a.b.S/M"), Some(("a.b.S", "M")));
        assert_eq!(split_path("a.S/M"), Some(("a.S", "M")));
        assert_eq!(split_path("/M"), None);
        assert_eq!(split_path("a.S/"), None);
    }
}
