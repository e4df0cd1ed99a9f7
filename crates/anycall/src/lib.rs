//! anycall: call, serve, forward and expose Thrift services without generated code.
//!
//! This crate re-exports the libraries and holds the `anycall` command line.
#![forbid(unsafe_code)]

pub use anycall_codec as codec;
pub use anycall_dapr as dapr;
pub use anycall_gateway as gateway;
pub use anycall_idl as idl;
pub use anycall_rpc as rpc;

pub mod cli;
pub mod describe;
pub mod mock;
