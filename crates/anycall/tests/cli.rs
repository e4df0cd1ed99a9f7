//! Integration tests that run the real `anycall` binary.

#[path = "cli/bench.rs"]
mod bench;
#[path = "cli/call.rs"]
mod call;
#[path = "cli/codec.rs"]
mod codec;
#[path = "cli/dapr.rs"]
mod dapr;
#[path = "cli/describe.rs"]
mod describe;
#[path = "cli/drain.rs"]
mod drain;
#[cfg(feature = "etcd")]
#[path = "cli/fleet.rs"]
mod fleet;
#[path = "cli/gateway.rs"]
mod gateway;
#[cfg(feature = "grpc")]
#[path = "cli/grpc.rs"]
mod grpc;
#[path = "cli/hardening.rs"]
mod hardening;
#[path = "cli/logs.rs"]
mod logs;
#[path = "cli/peers.rs"]
mod peers;
#[path = "cli/streaming.rs"]
mod streaming;
#[path = "cli/support.rs"]
mod support;
#[cfg(feature = "grpc")]
#[path = "cli/thrift_grpc.rs"]
mod thrift_grpc;
#[path = "cli/watch.rs"]
mod watch;
