//! Binary and Compact protocol primitives: golden bytes and limits.
