//! Integration tests for anycall-codec, one module per behaviour.

mod frame;
mod protocol;
