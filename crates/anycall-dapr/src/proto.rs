//! The messages of `dapr.proto.components.v1` that an output binding
//! uses, as `prost` structs written by hand from the field tables of the
//! component protocol (the crate's `proto/` files describe the same
//! messages for reflection). Only field numbers and types matter on the
//! wire.

use std::collections::HashMap;

/// The full name of the output binding service.
pub const OUTPUT_BINDING: &str = "dapr.proto.components.v1.OutputBinding";

/// `MetadataRequest`: the component's YAML `spec.metadata` items, by name.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetadataRequest {
    /// Field 1.
    #[prost(map = "string, string", tag = "1")]
    pub properties: HashMap<String, String>,
}

/// `OutputBindingInitRequest`: configures one component instance.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OutputBindingInitRequest {
    /// Field 1.
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<MetadataRequest>,
}

/// `OutputBindingInitResponse` (empty).
#[derive(Clone, PartialEq, prost::Message)]
pub struct OutputBindingInitResponse {}

/// `ListOperationsRequest` (empty).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListOperationsRequest {}

/// `ListOperationsResponse`: the operations `Invoke` accepts.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListOperationsResponse {
    /// Field 1.
    #[prost(string, repeated, tag = "1")]
    pub operations: Vec<String>,
}

/// `InvokeRequest`: one operation.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InvokeRequest {
    /// Field 1: the payload.
    #[prost(bytes = "bytes", tag = "1")]
    pub data: bytes::Bytes,
    /// Field 2.
    #[prost(map = "string, string", tag = "2")]
    pub metadata: HashMap<String, String>,
    /// Field 3.
    #[prost(string, tag = "3")]
    pub operation: String,
}

/// `InvokeResponse`: the result of one operation.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InvokeResponse {
    /// Field 1.
    #[prost(bytes = "bytes", tag = "1")]
    pub data: bytes::Bytes,
    /// Field 2.
    #[prost(map = "string, string", tag = "2")]
    pub metadata: HashMap<String, String>,
    /// Field 3: empty means unset.
    #[prost(string, tag = "3")]
    pub content_type: String,
}

/// `PingRequest` (empty).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PingRequest {}

/// `PingResponse` (empty).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PingResponse {}

/// The encoded `FileDescriptorSet` of the component protocol's `.proto`
/// files, compiled at build time, for the reflection service.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/components_v1.bin"));
