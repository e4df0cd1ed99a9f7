//! Integration tests for anycall-codec, one module per behaviour.

#[path = "codec/frame.rs"]
mod frame;
#[path = "codec/protocol.rs"]
mod protocol;
