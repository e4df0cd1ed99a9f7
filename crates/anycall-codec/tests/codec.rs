//! Integration tests for anycall-codec, one module per behaviour.

#[path = "codec/apache.rs"]
mod apache;
#[path = "codec/budget.rs"]
mod budget;
#[path = "codec/checks.rs"]
mod checks;
#[path = "codec/dynamic.rs"]
mod dynamic;
#[path = "codec/fast_json.rs"]
mod fast_json;
#[path = "codec/frame.rs"]
mod frame;
#[path = "codec/generated.rs"]
mod generated;
#[cfg(feature = "grpc")]
#[path = "codec/proto.rs"]
mod proto;
#[path = "codec/protocol.rs"]
mod protocol;
#[path = "codec/regression.rs"]
mod regression;
#[path = "codec/theader.rs"]
mod theader;
#[path = "codec/ttstream.rs"]
mod ttstream;
