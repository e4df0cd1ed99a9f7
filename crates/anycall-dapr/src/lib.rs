//! A Dapr pluggable component: the `bindings.kitex` output binding that
//! Dapr removed in 1.17, compatible with the original and without its
//! unbounded memory, plus a JSON operation that needs no Thrift code in
//! the app.
//!
//! ```no_run
//! # async fn run() -> Result<(), anycall_dapr::Error> {
//! // `$DAPR_COMPONENTS_SOCKETS_FOLDER/kitex.sock`: YAML `type: bindings.kitex`
//! let component = anycall_dapr::Component::builder().bind().await?;
//! component.serve().await // until SIGTERM/SIGINT; then drains and removes the socket
//! # }
//! ```
//!
//! - gRPC (tonic, h2c) on a Unix socket: `dapr.proto.components.v1.OutputBinding`
//!   (`Init`, `Invoke`, `ListOperations`, `Ping`) and server reflection
//!   v1alpha (what daprd's discovery asks) and v1.
//! - One component instance per `x-component-instance` header value, each
//!   with its own `Init` metadata: several YAML components share a socket.
//! - Operation `get`: the original's binary forwarding (a whole Thrift
//!   CALL message in, the whole REPLY out), with its metadata checks and
//!   error texts. Operation `call`: JSON in and out, with an IDL from the
//!   component metadata.
//! - Component metadata supplies defaults (`hostPorts`, `destService`,
//!   `methodName`, `transport`, `protocol`, `timeout`, `connectTimeout`)
//!   that request metadata overrides; several hosts are called
//!   round-robin; one upstream client per host list, shared by all methods,
//!   with a bounded idle pool.
//!
//! # Metadata
//!
//! | key | where | default |
//! |---|---|---|
//! | `hostPorts` | request or component | required (`h1:p1,h2:p2`, `dns://NAME:PORT`, or `etcd://HOST:PORT/SERVICE` with the `etcd` feature) |
//! | `destService` | request or component | required for `get` (TTHeader `ToService`) |
//! | `methodName` | request or component | required |
//! | `version` | request or component | accepted, not used (as in the original) |
//! | `transport` | request or component | `framed` (`ttheader`, `ttheader-framed`, `buffered`) |
//! | `protocol` | request or component | `binary` (`compact` for `call`) |
//! | `timeout` | request or component | 5 s ([`DEFAULT_TIMEOUT`]) |
//! | `connectTimeout` | request or component | 2 s ([`DEFAULT_CONNECT_TIMEOUT`]) |
//! | `idl` + `includeDirs`, or `idlContent` | component | none: only `get` |
//! | `service` | request or component | the IDL's last service |
//! | `maxIdlePerHost`, `idleTimeout`, `maxClients` | component | 10, 30 s, 64 ([`DEFAULT_MAX_CLIENTS`]) |
//! | `transient.<k>`, `persistent.<k>` | request | Kitex metainfo (TTHeader transports); backward values return as `backward.<k>` |
//!
//! Features: none.
#![forbid(unsafe_code)]

mod binding;
mod cache;
mod config;
mod error;
pub mod proto;
mod server;
mod service;

pub use binding::{OPERATION_CALL, OPERATION_GET};
pub use config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CLIENTS, DEFAULT_TIMEOUT};
pub use error::Error;
pub use server::{
    Component, ComponentBuilder, DEFAULT_DRAIN_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_NAME,
    DEFAULT_SOCKET_FOLDER, SOCKET_FOLDER_VARS, Stats, shutdown_signal, socket_folder_from_env,
};
pub use service::INSTANCE_HEADER;
