//! Integration tests that run the `anycall` binary.
