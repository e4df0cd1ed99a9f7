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
//! - [`Loader`] finds files (disk, include dirs, in-memory maps) and links
//!   them into a [`Pool`]; [`Provider`] swaps pools atomically on update.
//! - [`Pool`] holds every definition; descriptors such as
//!   [`StructDescriptor`] are cheap borrowed handles into it.
//! - Errors ([`IdlError`]) carry every problem found, each with
//!   `file:line:col`, the source line and a caret.
//!
//! - [`proto`] (feature `grpc`, on by default): `.proto` files compiled at
//!   run time into a `prost_reflect::DescriptorPool`, with the same provider
//!   and error behaviour.
//!
//! Features: `grpc` (default) for protobuf. The crate is synchronous.
#![forbid(unsafe_code)]

pub mod ast;
mod diagnostic;
mod lexer;
mod link;
mod load;
mod parser;
mod pool;
#[cfg(feature = "grpc")]
pub mod proto;
mod provider;
pub mod span;
mod suggest;

pub use diagnostic::{Diagnostic, IdlError, MAX_QUOTE, MAX_SHOWN};
pub use load::{Loader, MAX_SOURCE_LEN};
pub use pool::{
    Annotations, ConstDescriptor, ConstId, ConstValue, EnumDescriptor, EnumId, FieldDescriptor,
    FileDescriptor, FileId, MethodDescriptor, MethodId, NamedType, Pool, PoolOptions, Requiredness,
    ServiceDescriptor, ServiceId, StreamingMode, StructDescriptor, StructId,
    StructKindExt as StructKind, TypeDescriptor, TypeId, TypeKind, TypedefDescriptor, TypedefId,
};
pub use provider::Provider;
pub use suggest::did_you_mean;

impl Pool {
    /// Parses and links one self-contained IDL text.
    pub fn from_source(path: &str, text: &str) -> Result<Pool, IdlError> {
        load::load_source(path, text)
    }

    /// Loads an IDL file from disk, searching `include_dirs` for includes.
    pub fn from_file<P: Into<std::path::PathBuf>>(
        path: &str,
        include_dirs: impl IntoIterator<Item = P>,
    ) -> Result<Pool, IdlError> {
        Loader::new().include_dirs(include_dirs).load(path)
    }
}
