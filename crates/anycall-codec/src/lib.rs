//! Dynamic Thrift codec for anycall: bytes, `Value` and JSON driven by
//! run-time descriptors, and transport frames as byte codecs.
//!
//! ```
//! use anycall_codec::{Options, call, thrift::Protocol};
//!
//! let pool = anycall_idl::Pool::from_source("e.thrift",
//!     "struct Req { 1: string msg } service S { Req echo(1: Req req) }").unwrap();
//! let echo = pool.default_service().unwrap().method("echo").unwrap();
//! let mut buf = bytes::BytesMut::new();
//! call::encode_call_json(echo, br#"{"msg":"hi"}"#, 1, Protocol::Binary, &Options::default(), &mut buf).unwrap();
//! assert_eq!(&buf[..4], &[0x80, 0x01, 0x00, 0x01]); // strict binary CALL
//! ```
//!
//! - [`thrift`]: Binary and Compact protocol primitives, message envelope,
//!   `TApplicationException`, skipping, seq-id helpers.
//! - [`dynamic`]: `Value` ⇄ bytes and JSON ⇄ bytes under a descriptor.
//! - [`call`]: whole CALL/REPLY messages for a method.
//! - [`frame`]: Buffered, Framed, TTHeader and TTHeaderFramed frames and
//!   per-connection protocol detection.
//!
//! Every decoder checks named [`Limits`]; errors carry a kind and a field path.
//!
//! - [`proto`] (feature `grpc`, default): protobuf bytes ⇄ proto3 JSON and
//!   dynamic messages under a `prost_reflect` descriptor.
//!
//! Features: `grpc` (default) for protobuf. The crate is synchronous (no
//! sockets, no runtime).
#![forbid(unsafe_code)]

pub mod call;
pub mod dynamic;
mod error;
pub mod frame;
mod limits;
mod options;
#[cfg(feature = "grpc")]
pub mod proto;
pub mod thrift;
mod value;

pub use compact_str::CompactString;
pub use error::{Error, ErrorKind, Limit, PathSegment, Result};
pub use limits::{
    DEFAULT_DECODED_MEMORY_BASE, DEFAULT_DECODED_MEMORY_FACTOR, DEFAULT_MAX_CONTAINER_LEN,
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_STRING_LEN, Limits,
};
pub use options::{BinaryFormat, MissingRequired, NonFinite, Options, UnknownFields};
pub use value::{IntoFields, Name, Struct, Value};
