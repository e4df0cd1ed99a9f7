//! Integration tests for anycall-idl.
