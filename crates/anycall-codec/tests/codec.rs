//! Integration tests for anycall-codec.
