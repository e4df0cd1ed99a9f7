//! Integration tests that run the real `anycall` binary.

#[path = "cli/describe.rs"]
mod describe;
#[path = "cli/support.rs"]
mod support;
