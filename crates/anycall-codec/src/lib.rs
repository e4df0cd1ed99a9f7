//! Dynamic Thrift codec for anycall: bytes, `Value` and JSON driven by
//! run-time descriptors, and transport frames as byte codecs.
//!
//! Features: none yet; the crate is synchronous (no sockets, no runtime).
#![forbid(unsafe_code)]

pub mod call;
pub mod dynamic;
mod error;
pub mod frame;
mod limits;
mod options;
pub mod thrift;
mod value;

pub use error::{Error, ErrorKind, Limit, PathSegment, Result};
pub use limits::{
    DEFAULT_MAX_CONTAINER_LEN, DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_STRING_LEN,
    Limits,
};
pub use options::{BinaryFormat, MissingRequired, NonFinite, Options, UnknownFields};
pub use value::{Struct, Value};
