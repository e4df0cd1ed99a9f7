//! The anycall-rpc integration tests: one binary, a module per behaviour.

#[path = "rpc/apache.rs"]
mod apache;
#[path = "rpc/bounds.rs"]
mod bounds;
#[path = "rpc/client.rs"]
mod client;
#[path = "rpc/common.rs"]
mod common;
#[path = "rpc/discovery.rs"]
mod discovery;
#[path = "rpc/faults.rs"]
mod faults;
#[cfg(feature = "grpc")]
#[path = "rpc/grpc.rs"]
mod grpc;
#[path = "rpc/interop.rs"]
mod interop;
#[path = "rpc/kitex.rs"]
mod kitex;
#[cfg(feature = "grpc")]
#[path = "rpc/kitexpb.rs"]
mod kitexpb;
#[path = "rpc/loopback.rs"]
mod loopback;
#[path = "rpc/memory.rs"]
mod memory;
#[path = "rpc/peers.rs"]
mod peers;
#[path = "rpc/proxy.rs"]
mod proxy;
#[path = "rpc/scripted.rs"]
mod scripted;
#[cfg(feature = "grpc")]
#[path = "rpc/thrift_grpc.rs"]
mod thrift_grpc;
#[path = "rpc/ttstream.rs"]
mod ttstream;
