//! The output binding: component instances (one per `x-component-instance`
//! header value) and their two operations.
//!
//! `get` is the original component's operation (spec/dapr.md §1): `data` is
//! a whole strict-binary CALL message, sent as it is except for its seq id,
//! which is replaced by a process-wide counter (starting at 1, skipping 0),
//! as Kitex does; the REPLY message comes back whole in `data`, frame
//! stripped, with that seq id. `call` is the JSON operation: `data` is the
//! arguments as JSON, the reply `data` the result as JSON.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use anycall_codec::Limits;
use anycall_codec::thrift::{self, Protocol};
use anycall_rpc::{Metainfo, Payload, Reply, Request, Transport};
use bytes::{Bytes, BytesMut};

use crate::cache::{ClientCache, ClientKey, ClientSettings};
use crate::config::{InstanceConfig, key, parse_duration, parse_protocol, parse_transport, prefix};
use crate::error::{InvokeError, upstream};
use crate::proto::{InvokeRequest, InvokeResponse};

/// The original operation: binary forwarding.
pub const OPERATION_GET: &str = "get";
/// The JSON operation, offered when the component metadata has an IDL.
pub const OPERATION_CALL: &str = "call";
/// The instance used when a request has no `x-component-instance` header.
pub(crate) const DEFAULT_INSTANCE: &str = "";

/// Every instance behind one socket.
#[derive(Debug, Default)]
pub(crate) struct Binding {
    instances: Mutex<HashMap<String, Arc<Instance>>>,
    /// Kitex's process-wide seq id counter (`genSeqID`).
    seq: AtomicI32,
}

/// One YAML component: its configuration and its upstream clients.
#[derive(Debug)]
pub(crate) struct Instance {
    config: InstanceConfig,
    clients: ClientCache,
}

impl Instance {
    fn new(config: InstanceConfig) -> Self {
        let clients = ClientCache::new(ClientSettings {
            timeout: config.timeout,
            max_idle_per_host: config.max_idle_per_host,
            idle_timeout: config.idle_timeout,
            max_clients: config.max_clients,
            idl: config.idl.clone(),
        });
        Self { config, clients }
    }

    /// Upstream clients held now.
    pub(crate) fn clients(&self) -> usize {
        self.clients.len()
    }

    /// Idle upstream connections now.
    pub(crate) fn idle_connections(&self) -> usize {
        self.clients.idle_connections()
    }
}

impl Binding {
    /// The instance named `name`, made with default settings on first use
    /// (daprd always sends `Init` first; other clients may not).
    pub(crate) fn instance(&self, name: &str) -> Arc<Instance> {
        let mut instances = lock(&self.instances);
        if let Some(instance) = instances.get(name) {
            return instance.clone();
        }
        let instance = Arc::new(Instance::new(InstanceConfig::default()));
        instances.insert(name.to_owned(), instance.clone());
        instance
    }

    /// Names of the instances, sorted.
    pub(crate) fn instance_names(&self) -> Vec<String> {
        let mut names: Vec<String> = lock(&self.instances).keys().cloned().collect();
        names.sort();
        names
    }

    /// (Re)configures the instance `name`; a failed `Init` leaves the old
    /// configuration in place.
    pub(crate) fn init(
        &self,
        name: &str,
        properties: HashMap<String, String>,
    ) -> Result<(), InvokeError> {
        let config = InstanceConfig::from_properties(properties)?;
        tracing::info!(
            instance = name,
            transport = %config.transport,
            idl = config.idl.is_some(),
            "component instance initialised"
        );
        let instance = Arc::new(Instance::new(config));
        lock(&self.instances).insert(name.to_owned(), instance);
        Ok(())
    }

    /// The operations of instance `name`.
    pub(crate) fn operations(&self, name: &str) -> Vec<String> {
        let mut ops = vec![OPERATION_GET.to_owned()];
        if self.instance(name).config.idl.is_some() {
            ops.push(OPERATION_CALL.to_owned());
        }
        ops
    }

    /// The next Kitex-style seq id: 1, 2, ..., skipping 0 when it wraps.
    fn next_seq(&self) -> i32 {
        loop {
            let seq = self.seq.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
            if seq != 0 {
                return seq;
            }
        }
    }

    pub(crate) async fn invoke(
        &self,
        name: &str,
        req: InvokeRequest,
    ) -> Result<InvokeResponse, InvokeError> {
        let instance = self.instance(name);
        match req.operation.as_str() {
            OPERATION_GET => self.get(&instance, req).await,
            OPERATION_CALL => call(&instance, req).await,
            other => Err(InvokeError::invalid(format!(
                "unsupported operation `{other}` (supported: {})",
                self.operations(name).join(", ")
            ))),
        }
    }

    /// The original operation.
    async fn get(
        &self,
        instance: &Instance,
        req: InvokeRequest,
    ) -> Result<InvokeResponse, InvokeError> {
        // Kitex's order: metadata, client, seq id, then the message checks
        // (a bad message still takes a seq id).
        let target = Target::resolve(instance, &req.metadata, true)?;
        let client = instance.clients.get(&target.key)?;
        let seq = self.next_seq();
        check_binary_message(&req.data)?;
        let mut message = BytesMut::from(&req.data[..]);
        thrift::set_seq_id(&mut message, seq)
            .map_err(|e| InvokeError::invalid(format!("invalid trans buffer: {e}")))?;
        let request = Request::binary(message.freeze())
            .metainfo(target.metainfo)
            .timeout(target.timeout);
        let response = client.call(request).await.map_err(|e| upstream(&e))?;
        let data = match response.reply {
            Reply::Success(Payload::Binary(reply)) => {
                check_reply_method(&reply, &target.method)?;
                reply
            }
            _ => Bytes::new(),
        };
        Ok(InvokeResponse {
            data,
            metadata: backward_metadata(response.backward),
            content_type: String::new(),
        })
    }
}

/// The JSON operation.
async fn call(instance: &Instance, req: InvokeRequest) -> Result<InvokeResponse, InvokeError> {
    if instance.config.idl.is_none() {
        return Err(InvokeError::new(
            tonic::Code::FailedPrecondition,
            "operation call needs an idl: set idl or idlContent in the component metadata",
        ));
    }
    let target = Target::resolve(instance, &req.metadata, false)?;
    let args = if req.data.is_empty() {
        "{}".to_owned()
    } else {
        String::from_utf8(req.data.to_vec())
            .map_err(|_| InvokeError::invalid("data of operation call is not UTF-8 JSON"))?
    };
    let client = instance.clients.get(&target.key)?;
    let request = Request::json(target.method.clone(), args)
        .metainfo(target.metainfo)
        .timeout(target.timeout);
    let response = client.call(request).await.map_err(|e| upstream(&e))?;
    let mut metadata = backward_metadata(response.backward);
    let data = match response.reply {
        Reply::Success(Payload::Json(json)) => json,
        Reply::Exception {
            name,
            value: Payload::Json(json),
        } => {
            metadata.insert("exception".to_owned(), name);
            json
        }
        _ => "null".to_owned(),
    };
    Ok(InvokeResponse {
        data: Bytes::from(data),
        metadata,
        content_type: "application/json".to_owned(),
    })
}

/// Where and how one call goes: component defaults overridden by the
/// request's metadata.
struct Target {
    key: ClientKey,
    method: String,
    timeout: std::time::Duration,
    metainfo: Metainfo,
}

impl Target {
    /// `compatible`: check the original's three keys in its order
    /// (`destService`, `hostPorts`, `methodName`); otherwise only
    /// `hostPorts` and `methodName` are needed.
    fn resolve(
        instance: &Instance,
        meta: &HashMap<String, String>,
        compatible: bool,
    ) -> Result<Self, InvokeError> {
        let config = &instance.config;
        let get = |k: &str| {
            meta.get(k)
                .map(String::as_str)
                .or_else(|| config.property(k))
        };
        let dest_service = get(key::DEST_SERVICE);
        if compatible && dest_service.is_none() {
            return Err(InvokeError::missing(key::DEST_SERVICE));
        }
        let hosts = get(key::HOST_PORTS).ok_or_else(|| InvokeError::missing(key::HOST_PORTS))?;
        let method = get(key::METHOD_NAME).ok_or_else(|| InvokeError::missing(key::METHOD_NAME))?;
        // `version` only named the original's cache entry; it is accepted
        // and not used.
        let _ = get(key::VERSION);
        let transport = match meta.get(key::TRANSPORT) {
            Some(v) => parse_transport(v)?,
            None => config.transport,
        };
        let protocol = match meta.get(key::PROTOCOL) {
            Some(v) => parse_protocol(v)?,
            None => config.protocol,
        };
        let timeout = match meta.get(key::TIMEOUT) {
            Some(v) => parse_duration(key::TIMEOUT, v)?,
            None => config.timeout,
        };
        let connect_timeout = match meta.get(key::CONNECT_TIMEOUT) {
            Some(v) => parse_duration(key::CONNECT_TIMEOUT, v)?,
            None => config.connect_timeout,
        };
        let ttheader = matches!(transport, Transport::TTHeader | Transport::TTHeaderFramed);
        let mut metainfo = Metainfo::default();
        for (k, v) in meta {
            if let Some(k) = k.strip_prefix(prefix::TRANSIENT) {
                metainfo.transient.insert(k.to_owned(), v.clone());
            } else if let Some(k) = k.strip_prefix(prefix::PERSISTENT) {
                metainfo.persistent.insert(k.to_owned(), v.clone());
            }
        }
        Ok(Self {
            key: ClientKey {
                hosts: hosts.to_owned(),
                transport,
                protocol,
                connect_timeout,
                dest_service: dest_service
                    .filter(|d| ttheader && !d.is_empty())
                    .map(str::to_owned),
                service: get(key::SERVICE).map(str::to_owned),
            },
            method: method.to_owned(),
            timeout,
            metainfo,
        })
    }
}

/// Kitex's checks of a binary generic request (`getSeqID4Bytes`), with
/// its error texts. Only strict binary messages pass, as in Kitex. (Kitex
/// panics on a message shorter than 4 bytes; here it is an invalid trans
/// buffer.)
fn check_binary_message(data: &[u8]) -> Result<(), InvokeError> {
    check_message_words(data).map_err(|msg| {
        InvokeError::invalid(format!(
            "remote or network error: rawThriftBinaryCodec set seqID failed, err: {msg}"
        ))
    })
}

fn check_message_words(data: &[u8]) -> Result<(), &'static str> {
    let word = |at: usize| {
        data.get(at..at + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    const INVALID: &str = "invalid trans buffer";
    let first = word(0).ok_or(INVALID)?;
    if first > 0 {
        return Err("missing version in Thrift Message");
    }
    if (first as u32) & 0xffff_0000 != 0x8001_0000 {
        return Err("bad version in Thrift Message");
    }
    let name_len = word(4).ok_or(INVALID)?;
    let Ok(name_len) = usize::try_from(name_len) else {
        return Err("invalid data length");
    };
    if data.len() < 8 + name_len + 4 {
        return Err(INVALID);
    }
    if thrift::read_message_header(Protocol::Binary, data, &Limits::default()).is_err() {
        return Err(INVALID);
    }
    Ok(())
}

/// Kitex's reply check: the reply's method name must be the invoked
/// `methodName`.
fn check_reply_method(reply: &[u8], method: &str) -> Result<(), InvokeError> {
    let actual = thrift::read_message_header(Protocol::Binary, reply, &Limits::default())
        .map(|(h, _)| h.name.to_owned())
        .unwrap_or_default();
    if actual.is_empty() {
        return Err(InvokeError::new(
            tonic::Code::Internal,
            "remote or network error: method name that receive is empty",
        ));
    }
    if actual != method {
        return Err(InvokeError::new(
            tonic::Code::Internal,
            format!("remote or network error: wrong method name, expect={method}, actual={actual}"),
        ));
    }
    Ok(())
}

fn backward_metadata(
    backward: std::collections::BTreeMap<String, String>,
) -> HashMap<String, String> {
    backward
        .into_iter()
        .map(|(k, v)| (format!("{}{k}", prefix::BACKWARD), v))
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_checks_use_kitex_texts() {
        let text = |d: &[u8]| check_message_words(d).unwrap_err();
        assert_eq!(text(&[0, 0]), "invalid trans buffer");
        assert_eq!(
            text(&[0, 0, 0, 4, 1, 2, 3, 4]),
            "missing version in Thrift Message"
        );
        assert_eq!(
            text(&[0x80, 0x02, 0, 1, 0, 0, 0, 0]),
            "bad version in Thrift Message"
        );
        assert_eq!(
            text(&[0x80, 0x01, 0, 1, 0, 0, 0, 9, b'x']),
            "invalid trans buffer"
        );
        assert_eq!(
            text(&[0x80, 0x01, 0, 1, 0xff, 0xff, 0xff, 0xff]),
            "invalid data length"
        );
    }

    #[test]
    fn seq_ids_start_at_one() {
        let b = Binding::default();
        assert_eq!((b.next_seq(), b.next_seq()), (1, 2));
        b.seq.store(-1, Ordering::Relaxed);
        assert_eq!(b.next_seq(), 1, "0 is skipped");
    }
}
