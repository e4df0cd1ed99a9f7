//! Thrift IDL front end for anycall: parse, link and describe IDL at run time.
//!
//! ```
//! use anycall_idl::Pool;
//!
//! let pool = Pool::from_source("echo.thrift", r#"
//!     struct Req { 1: string msg }
//!     service Echo { Req echo(1: Req req) }
//! "#).unwrap();
//! let method = pool.default_service().unwrap().method("echo").unwrap();
//! assert_eq!(method.args().field_by_id(1).unwrap().name(), "req");
//! ```
//!
//! Features: none; the crate is synchronous and has no runtime dependencies
//! beyond its lexer.
#![forbid(unsafe_code)]

pub mod ast;
mod diagnostic;
mod lexer;
mod parser;
pub mod span;

pub use diagnostic::{Diagnostic, IdlError};
