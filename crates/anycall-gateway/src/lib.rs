//! HTTP/JSON gateway for Thrift services, routed and mapped by their
//! `api.*` annotations (Kitex/Hertz's HTTP mapping), for anycall.
//!
//! ```
//! use anycall_gateway::{Backend, Gateway};
//!
//! let idl = anycall_idl::Pool::from_source("a.thrift", r#"
//!     struct Req { 1: i64 id (api.path = 'id') }
//!     service A { Req get(1: Req req) (api.get = '/items/:id') }"#).unwrap();
//! let client = anycall_rpc::Client::builder("127.0.0.1:8888").build().unwrap();
//! let gateway = Gateway::builder().backend(Backend::new(idl, client)).build().unwrap();
//! assert_eq!(gateway.routes()[0].path, "/items/:id");
//! ```
//!
//! - Routes as data: `api.get/post/put/delete/patch/head/options/any` with
//!   Kitex's `:x` / `*x` syntax; two methods on one route fail at load,
//!   naming both.
//! - Request binding from path, query, headers, cookies, JSON or form
//!   bodies, raw body and URI, into the request struct and nested structs
//!   (the annotation table is in the `plan` module docs and the README).
//! - Response mapping to status, headers, cookies and a JSON body; errors
//!   own their status ([`HttpError`]).
//! - [`Gateway`] is a `tower_service::Service`, has a lower-level
//!   [`Gateway::handle`] (and [`Gateway::prepare`] / [`Gateway::render_reply`]
//!   around a transport of your own), hot-reloads its IDLs ([`Gateway::reload`]), and
//!   [`serve`] runs it on hyper with graceful shutdown.
//! - [`metrics`]: Prometheus text metrics and an admin server.
//!
//! Features: none.
#![forbid(unsafe_code)]

mod bind;
mod error;
mod gateway;
pub use anycall_rpc::metrics;
mod openapi;
mod plan;
mod render;
mod route;
mod server;

pub use error::{Error, HttpError};
pub use gateway::{
    Backend, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_MAX_HEADERS,
    DEFAULT_REQUEST_TIMEOUT, FREE_BODY, Gateway, GatewayBuilder, HttpLimits, PreparedCall,
    RouteInfo,
};
pub use plan::Mapping;
pub use server::{Health, ResponseBody, serve, serve_admin};
