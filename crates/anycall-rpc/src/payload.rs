//! What travels through a client or a server: payloads in the three generic
//! modes, the IDL source, and metainfo.

use std::collections::BTreeMap;
use std::sync::Arc;

use anycall_codec::Value;
use anycall_codec::frame::TTHeader;
use anycall_codec::frame::ttheader::{metainfo, str_key};
use anycall_idl::{Pool, Provider};
use bytes::Bytes;

/// A request or result in one of the generic modes (Kitex's binary, JSON
/// and map generics).
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A whole encoded Thrift message (header and struct), for forwarding.
    Binary(Bytes),
    /// JSON text: arguments, a result or an exception value.
    Json(String),
    /// A dynamic value: arguments, a result or an exception value.
    Value(Value),
    /// A dynamic protobuf message (gRPC's dynamic mode).
    #[cfg(feature = "grpc")]
    Proto(anycall_codec::proto::DynamicMessage),
}

impl Payload {
    /// `"binary"`, `"json"`, `"value"` or `"proto"`.
    pub fn mode_name(&self) -> &'static str {
        match self {
            Self::Binary(_) => "binary",
            Self::Json(_) => "json",
            Self::Value(_) => "value",
            #[cfg(feature = "grpc")]
            Self::Proto(_) => "proto",
        }
    }
}

/// Where a client or server gets its IDL: a fixed [`Pool`], or a
/// [`Provider`] whose pool can be swapped while calls are in flight (each
/// call takes one snapshot and uses it throughout).
#[derive(Debug, Clone)]
pub enum Idl {
    /// A fixed pool.
    Pool(Pool),
    /// A hot-swappable pool.
    Provider(Arc<Provider>),
}

impl Idl {
    /// The pool to use for one call.
    pub fn pool(&self) -> Pool {
        match self {
            Self::Pool(pool) => pool.clone(),
            Self::Provider(provider) => provider.pool(),
        }
    }
}

impl From<Pool> for Idl {
    fn from(pool: Pool) -> Self {
        Self::Pool(pool)
    }
}

impl From<Arc<Provider>> for Idl {
    fn from(provider: Arc<Provider>) -> Self {
        Self::Provider(provider)
    }
}

impl From<Provider> for Idl {
    fn from(provider: Provider) -> Self {
        Self::Provider(Arc::new(provider))
    }
}

/// Kitex metainfo carried in TTHeader string keys (spec §3.4.2).
///
/// | field | on the wire |
/// |---|---|
/// | `transient` | `RPC_TRANSIT_<key>`: one hop |
/// | `persistent` | `RPC_PERSIST_<key>`: the whole call chain |
/// | `backward` | server → client: raw keys (Kitex) or `RPC_BACKWARD_<key>` (Volo) |
///
/// Only the TTHeader transports and Apache THeader carry metainfo; with
/// Buffered and Framed it is not sent, as in Kitex.
///
/// Apache THeader has string headers but no metainfo kinds of its own: a
/// client writes transient values as plain keys (what an Apache server's
/// `get_headers()` shows) and persistent ones as `RPC_PERSIST_<key>`; a
/// server reads `RPC_PERSIST_` and `RPC_TRANSIT_` keys as over TTHeader and
/// every other key as a transient value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metainfo {
    /// Values for the next hop only.
    pub transient: BTreeMap<String, String>,
    /// Values for every hop of the call chain.
    pub persistent: BTreeMap<String, String>,
    /// Values the server sends back to its caller.
    pub backward: BTreeMap<String, String>,
}

impl Metainfo {
    /// Whether no value is set.
    pub fn is_empty(&self) -> bool {
        self.transient.is_empty() && self.persistent.is_empty() && self.backward.is_empty()
    }

    /// Writes the forward values (transient and persistent) into `header`.
    pub(crate) fn write_forward(&self, header: &mut TTHeader) {
        for (k, v) in &self.transient {
            header.insert_str(format!("{}{k}", metainfo::PREFIX_TRANSIENT), v.clone());
        }
        for (k, v) in &self.persistent {
            header.insert_str(format!("{}{k}", metainfo::PREFIX_PERSISTENT), v.clone());
        }
    }

    /// Writes the forward values into an Apache THeader: transient values
    /// as plain keys, persistent ones with their prefix.
    pub(crate) fn write_forward_theader(&self, header: &mut TTHeader) {
        for (k, v) in &self.transient {
            header.insert_str(k.clone(), v.clone());
        }
        for (k, v) in &self.persistent {
            header.insert_str(format!("{}{k}", metainfo::PREFIX_PERSISTENT), v.clone());
        }
    }

    /// Reads the forward values of an Apache THeader request: as
    /// [`read_forward`](Self::read_forward), and every unprefixed key as a
    /// transient value.
    pub(crate) fn read_forward_theader(header: &TTHeader) -> Self {
        let mut out = Self::read_forward(header);
        for (k, v) in &header.str_kvs {
            if !k.starts_with("RPC_") {
                out.transient.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        out
    }

    /// Reads the forward values of a request header. Stale upstream values
    /// (`RPC_TRANSIT_UPSTREAM_`) are not taken.
    pub(crate) fn read_forward(header: &TTHeader) -> Self {
        let mut out = Self::default();
        for (k, v) in &header.str_kvs {
            if let Some(key) = k.strip_prefix(metainfo::PREFIX_PERSISTENT) {
                out.persistent.insert(key.to_owned(), v.clone());
            } else if k.starts_with(metainfo::PREFIX_TRANSIENT_UPSTREAM) {
                // A value the previous hop received; not meant for us.
            } else if let Some(key) = k.strip_prefix(metainfo::PREFIX_TRANSIENT) {
                out.transient.insert(key.to_owned(), v.clone());
            }
        }
        out
    }

    /// Writes backward values into a reply header as raw keys, the way a
    /// Kitex server does.
    pub(crate) fn write_backward(&self, header: &mut TTHeader) {
        for (k, v) in &self.backward {
            header.insert_str(k.clone(), v.clone());
        }
    }

    /// Backward values from a reply header: `RPC_BACKWARD_<key>` (Volo) and
    /// raw keys (Kitex), leaving out the keys TTHeader itself defines.
    pub(crate) fn read_backward(header: &TTHeader) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in &header.str_kvs {
            if let Some(key) = k.strip_prefix(metainfo::PREFIX_BACKWARD) {
                out.insert(key.to_owned(), v.clone());
            } else if !is_reserved_key(k) {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        out
    }
}

/// String keys with a meaning of their own, never backward metainfo.
fn is_reserved_key(key: &str) -> bool {
    const RESERVED: [&str; 17] = [
        str_key::IDL_SERVICE_NAME,
        str_key::REMOTE_ADDR,
        str_key::TO_CLUSTER,
        str_key::TO_IDC,
        str_key::PERF_CONN_START,
        str_key::PERF_CONN_END,
        str_key::PERF_SEND_START,
        str_key::PERF_RECV_START,
        str_key::PERF_RECV_END,
        str_key::CONNECTION_READY_TO_RESET,
        str_key::PROCESS_AT_TIME,
        str_key::CRC32C,
        str_key::STREAM_CANCEL_PATH,
        str_key::BIZ_STATUS,
        str_key::BIZ_MESSAGE,
        str_key::BIZ_EXTRA,
        str_key::GDPR_TOKEN,
    ];
    RESERVED.contains(&key)
        || key.starts_with(str_key::PAYLOAD_VALIDATOR_PREFIX)
        || key.starts_with(metainfo::PREFIX_TRANSIENT)
        || key.starts_with(metainfo::PREFIX_PERSISTENT)
}
