//! Interop with Volo and Apache Thrift peers.
