//! Integration tests that run the real `anycall` binary.

#[path = "cli/codec.rs"]
mod codec;
#[path = "cli/describe.rs"]
mod describe;
#[path = "cli/support.rs"]
mod support;
