//! Integration tests of the Dapr pluggable component: a daprd-like client
//! over the Unix socket, fake and real Thrift servers.

#[path = "dapr/compat.rs"]
mod compat;
#[path = "dapr/daprd.rs"]
mod daprd;
#[path = "dapr/diff.rs"]
mod diff;
#[path = "dapr/grpcio.rs"]
mod grpcio;
#[path = "dapr/instances.rs"]
mod instances;
#[path = "dapr/memory.rs"]
mod memory;
#[path = "dapr/peers.rs"]
mod peers;
#[path = "dapr/support.rs"]
mod support;
