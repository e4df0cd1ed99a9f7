//! Parse-and-link benchmark.
fn main() {}
