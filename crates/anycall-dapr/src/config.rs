//! Component metadata (the YAML `spec.metadata`, sent in `Init`) and the
//! per-request metadata that overrides it.
//!
//! | key | where | default |
//! |---|---|---|
//! | `hostPorts`, `destService`, `methodName`, `version` | component and request | none (the original's request keys) |
//! | `transport` | component and request | `framed` |
//! | `protocol` | component and request | `binary` |
//! | `timeout` | component and request | 5 s |
//! | `connectTimeout` | component and request | 2 s |
//! | `idl` + `includeDirs`, or `idlContent` | component | none (then only `get`) |
//! | `service` | component and request | the IDL's last service |
//! | `maxIdlePerHost` | component | 10 |
//! | `idleTimeout` | component | 30 s |
//! | `maxClients` | component | 64 |

use std::collections::HashMap;
use std::time::Duration;

use anycall_idl::{Loader, Pool};
use anycall_rpc::{Protocol, Transport};

use crate::error::InvokeError;

/// Default RPC timeout of a call: 5 s (the original had none).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default connect timeout: 2 s (`anycall_rpc::DEFAULT_CONNECT_TIMEOUT`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = anycall_rpc::DEFAULT_CONNECT_TIMEOUT;
/// Default bound on the upstream clients one instance keeps: 64 host lists
/// (each with its own idle pool); the least recently used goes first.
pub const DEFAULT_MAX_CLIENTS: usize = 64;

/// Metadata keys, as in the original component and the Dapr docs.
pub(crate) mod key {
    pub(crate) const HOST_PORTS: &str = "hostPorts";
    pub(crate) const DEST_SERVICE: &str = "destService";
    pub(crate) const METHOD_NAME: &str = "methodName";
    pub(crate) const VERSION: &str = "version";
    pub(crate) const TRANSPORT: &str = "transport";
    pub(crate) const PROTOCOL: &str = "protocol";
    pub(crate) const TIMEOUT: &str = "timeout";
    pub(crate) const CONNECT_TIMEOUT: &str = "connectTimeout";
    pub(crate) const IDL: &str = "idl";
    pub(crate) const INCLUDE_DIRS: &str = "includeDirs";
    pub(crate) const IDL_CONTENT: &str = "idlContent";
    pub(crate) const SERVICE: &str = "service";
    pub(crate) const MAX_IDLE_PER_HOST: &str = "maxIdlePerHost";
    pub(crate) const IDLE_TIMEOUT: &str = "idleTimeout";
    pub(crate) const MAX_CLIENTS: &str = "maxClients";
}

/// Request metadata prefixes for Kitex metainfo (TTHeader transports only).
pub(crate) mod prefix {
    /// `transient.<k>` → `RPC_TRANSIT_<k>` (one hop).
    pub(crate) const TRANSIENT: &str = "transient.";
    /// `persistent.<k>` → `RPC_PERSIST_<k>` (the whole chain).
    pub(crate) const PERSISTENT: &str = "persistent.";
    /// Backward values come back as response metadata `backward.<k>`.
    pub(crate) const BACKWARD: &str = "backward.";
}

/// One component instance's configuration, from its `Init` metadata.
#[derive(Debug, Clone)]
pub(crate) struct InstanceConfig {
    pub(crate) properties: HashMap<String, String>,
    pub(crate) transport: Transport,
    pub(crate) protocol: Protocol,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) idl: Option<Pool>,
    pub(crate) max_idle_per_host: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_clients: usize,
}

impl Default for InstanceConfig {
    fn default() -> Self {
        Self {
            properties: HashMap::new(),
            transport: Transport::Framed,
            protocol: Protocol::Binary,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            idl: None,
            max_idle_per_host: anycall_rpc::DEFAULT_MAX_IDLE_PER_HOST,
            idle_timeout: anycall_rpc::DEFAULT_IDLE_TIMEOUT,
            max_clients: DEFAULT_MAX_CLIENTS,
        }
    }
}

impl InstanceConfig {
    /// Reads `Init` properties; unknown keys are ignored (daprd adds its
    /// own, and the original read none).
    pub(crate) fn from_properties(
        properties: HashMap<String, String>,
    ) -> Result<Self, InvokeError> {
        let mut config = Self::default();
        let get = |k: &str| properties.get(k).map(String::as_str);
        if let Some(v) = get(key::TRANSPORT) {
            config.transport = parse_transport(v)?;
        }
        if let Some(v) = get(key::PROTOCOL) {
            config.protocol = parse_protocol(v)?;
        }
        if let Some(v) = get(key::TIMEOUT) {
            config.timeout = parse_duration(key::TIMEOUT, v)?;
        }
        if let Some(v) = get(key::CONNECT_TIMEOUT) {
            config.connect_timeout = parse_duration(key::CONNECT_TIMEOUT, v)?;
        }
        if let Some(v) = get(key::IDLE_TIMEOUT) {
            config.idle_timeout = parse_duration(key::IDLE_TIMEOUT, v)?;
        }
        if let Some(v) = get(key::MAX_IDLE_PER_HOST) {
            config.max_idle_per_host = parse_count(key::MAX_IDLE_PER_HOST, v, 0)?;
        }
        if let Some(v) = get(key::MAX_CLIENTS) {
            config.max_clients = parse_count(key::MAX_CLIENTS, v, 1)?;
        }
        config.idl = load_idl(get(key::IDL), get(key::INCLUDE_DIRS), get(key::IDL_CONTENT))?;
        if let (Some(pool), Some(service)) = (&config.idl, get(key::SERVICE))
            && pool.service(service).is_none()
        {
            return Err(InvokeError::invalid(format!(
                "metadata field service: `{service}` is not a service of the idl"
            )));
        }
        config.properties = properties;
        Ok(config)
    }

    /// A component default.
    pub(crate) fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }
}

fn load_idl(
    path: Option<&str>,
    include_dirs: Option<&str>,
    content: Option<&str>,
) -> Result<Option<Pool>, InvokeError> {
    match (path, content) {
        (Some(_), Some(_)) => Err(InvokeError::invalid(
            "metadata fields idl and idlContent exclude each other: set one",
        )),
        (Some(path), None) => {
            let dirs = include_dirs
                .into_iter()
                .flat_map(|d| d.split(','))
                .map(str::trim)
                .filter(|d| !d.is_empty());
            Loader::new()
                .include_dirs(dirs)
                .load(path)
                .map(Some)
                .map_err(|e| InvokeError::invalid(format!("metadata field idl: {e}")))
        }
        (None, Some(text)) => Pool::from_source("idlContent.thrift", text)
            .map(Some)
            .map_err(|e| InvokeError::invalid(format!("metadata field idlContent: {e}"))),
        (None, None) => Ok(None),
    }
}

pub(crate) fn parse_transport(v: &str) -> Result<Transport, InvokeError> {
    v.trim()
        .to_ascii_lowercase()
        .parse()
        .map_err(|e| InvokeError::invalid(format!("metadata field transport: {e}")))
}

pub(crate) fn parse_protocol(v: &str) -> Result<Protocol, InvokeError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "binary" => Ok(Protocol::Binary),
        "compact" => Ok(Protocol::Compact),
        _ => Err(InvokeError::invalid(format!(
            "metadata field protocol: unknown protocol `{v}` (expected binary or compact)"
        ))),
    }
}

fn parse_count(key: &str, v: &str, min: usize) -> Result<usize, InvokeError> {
    match v.trim().parse::<usize>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(InvokeError::invalid(format!(
            "metadata field {key}: expected a whole number of at least {min}, found `{v}`"
        ))),
    }
}

/// Parses a Go-style duration: `500ms`, `5s`, `1m30s`, `1.5s`, `250us`;
/// a bare number is seconds. Zero is refused.
pub(crate) fn parse_duration(key: &str, v: &str) -> Result<Duration, InvokeError> {
    let bad = || {
        InvokeError::invalid(format!(
            "metadata field {key}: expected a duration like 500ms, 5s or 1m, found `{v}`"
        ))
    };
    let s = v.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_end);
        let n: f64 = num.parse().map_err(|_| bad())?;
        let unit_end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        let scale = match unit {
            "" if num_end == s.len() => 1.0,
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += n * scale;
        rest = tail;
    }
    match Duration::try_from_secs_f64(total) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let d = |v| parse_duration("timeout", v).map_err(|e| format!("{e:?}"));
        assert_eq!(d("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(d("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(d("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(d("2").unwrap(), Duration::from_secs(2));
        assert_eq!(d("250us").unwrap(), Duration::from_micros(250));
        for bad in ["", "0s", "5 s", "1x", "ms", "1s2"] {
            assert!(d(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn properties() {
        let props = |kv: &[(&str, &str)]| {
            InstanceConfig::from_properties(
                kv.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        };
        let c = props(&[
            ("transport", "TTHeader"),
            ("maxClients", "3"),
            ("direction", "output"),
        ])
        .unwrap();
        assert_eq!(c.transport, Transport::TTHeader);
        assert_eq!(c.max_clients, 3);
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert!(props(&[("maxClients", "0")]).is_err());
        assert!(props(&[("protocol", "json")]).is_err());
        assert!(props(&[("idl", "a.thrift"), ("idlContent", "service A {}")]).is_err());
        let c = props(&[("idlContent", "service A { i32 f() }")]).unwrap();
        assert!(c.idl.is_some());
        assert!(props(&[("idlContent", "service A { i32 f() }"), ("service", "B")]).is_err());
        assert!(props(&[("idlContent", "service {")]).is_err());
    }
}
