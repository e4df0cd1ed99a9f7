//! Thrift protocols: Binary and Compact primitives, message envelope, skipping.
