//! Generic Thrift client, server and forwarding proxy for anycall.
//!
//! Features: none yet.
#![forbid(unsafe_code)]
