//! The `anycall` command line.
fn main() {}
