//! Integration tests for anycall-idl.

#[path = "idl/golden.rs"]
mod golden;

#[path = "idl/apache.rs"]
mod apache;
#[path = "idl/corpus.rs"]
mod corpus;
#[path = "idl/errors.rs"]
mod errors;
#[path = "idl/hardening.rs"]
mod hardening;
#[path = "idl/pilota.rs"]
mod pilota;
#[cfg(feature = "grpc")]
#[path = "idl/proto.rs"]
mod proto;
#[path = "idl/provider.rs"]
mod provider;
#[path = "idl/regressions.rs"]
mod regressions;
#[path = "idl/streaming.rs"]
mod streaming;
