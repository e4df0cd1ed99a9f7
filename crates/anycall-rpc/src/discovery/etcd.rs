//! etcd service discovery and registration, laid out as
//! kitex-contrib/registry-etcd lays it out, so Kitex clients find anycall
//! servers and anycall clients find Kitex servers.
//!
//! ```text
//! key:   <prefix>/<service>/<host:port>           prefix default "kitex/registry-etcd"
//! value: {"network":"tcp","address":"127.0.0.1:8888","weight":10,"tags":{"k":"v"}}
//!        put with a lease of KITEX_ETCD_REGISTRY_LEASE_TTL seconds (default 60), kept alive
//! ```
//!
//! Resolution reads every key under `<prefix>/<service>/` (the address is the
//! value's `address`, a weight of 0 or less is [`DEFAULT_WEIGHT`]), then
//! watches the prefix from the revision read, so registrations and
//! departures (deletes, expired leases) reach the client within a round trip
//! to etcd. kitex-contrib's own resolver polls instead (Kitex resolves again
//! every 5 s). A value that is not such JSON is skipped with a warning, as
//! there. When etcd cannot be reached, the last set stays in use and the
//! resolver reconnects with a back-off.
//!
//! Registration grants a lease, puts the key with it and keeps the lease
//! alive every third of its TTL; if the lease is lost (etcd restarted, a
//! long pause) it grants a new one and puts the key again.
//! [`Registration::deregister`] deletes the key and revokes the lease.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use etcd_client::{
    Client as EtcdClient, ConnectOptions, EventType, GetOptions, PutOptions, WatchOptions,
};
use serde_json::{Map, Value as Json};
use tokio::sync::oneshot;

use super::{Balancer, DEFAULT_WEIGHT, Endpoint, split_host_port};
use crate::error::{Error, Kind, Result};

/// Key prefix of kitex-contrib/registry-etcd: `kitex/registry-etcd`.
pub const DEFAULT_PREFIX: &str = "kitex/registry-etcd";
/// Lease TTL of a registration: 60 s, unless `KITEX_ETCD_REGISTRY_LEASE_TTL`
/// (seconds, as in Kitex) says otherwise.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(60);
/// The environment variable Kitex reads for the lease TTL, in seconds.
pub const LEASE_TTL_ENV: &str = "KITEX_ETCD_REGISTRY_LEASE_TTL";
/// Timeout of each etcd request (get, put, grant, delete, revoke): 3 s, as
/// kitex-contrib's registry uses.
pub const ETCD_REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest registry value read: 64 KiB; larger values are skipped.
pub const MAX_VALUE_SIZE: usize = 64 * 1024;

/// A service in etcd: the etcd endpoints, the service name and the key
/// prefix. `Display` gives `etcd://H:P[,H:P]/SERVICE[?prefix=P]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdTarget {
    /// etcd client endpoints, `host:port`.
    pub endpoints: Vec<String>,
    /// The service name (no `/`).
    pub service: String,
    /// Key prefix, default [`DEFAULT_PREFIX`].
    pub prefix: String,
}

impl EtcdTarget {
    /// Parses `etcd://HOST:PORT[,HOST:PORT]/SERVICE[?prefix=PREFIX]`.
    ///
    /// ```
    /// use anycall_rpc::discovery::EtcdTarget;
    ///
    /// let t = EtcdTarget::parse("etcd://127.0.0.1:2379,127.0.0.1:22379/echo")?;
    /// assert_eq!(t.endpoints, ["127.0.0.1:2379", "127.0.0.1:22379"]);
    /// assert_eq!(t.key_prefix(), "kitex/registry-etcd/echo/");
    /// assert_eq!(t.key("10.0.0.1:8888"), "kitex/registry-etcd/echo/10.0.0.1:8888");
    /// # Ok::<(), anycall_rpc::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::is_config`] naming what is missing or wrong.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::config(format!(
                "etcd target `{text}`: {why} (expected etcd://HOST:PORT[,HOST:PORT]/SERVICE)"
            ))
        };
        let rest = text
            .strip_prefix("etcd://")
            .ok_or_else(|| bad("no etcd:// scheme"))?;
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (hosts, service) = rest
            .split_once('/')
            .ok_or_else(|| bad("no /SERVICE after the etcd endpoints"))?;
        let service = service.trim_end_matches('/');
        if service.is_empty() {
            return Err(bad("empty service name"));
        }
        if service.contains('/') {
            return Err(bad("a service name cannot contain `/`"));
        }
        let endpoints: Vec<String> = hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
        if endpoints.is_empty() {
            return Err(bad("no etcd endpoint"));
        }
        if let Some(e) = endpoints.iter().find(|e| split_host_port(e).is_none()) {
            return Err(bad(&format!("etcd endpoint `{e}` is not HOST:PORT")));
        }
        let mut prefix = DEFAULT_PREFIX.to_owned();
        for pair in query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
        {
            match pair.split_once('=') {
                Some(("prefix", p)) if !p.is_empty() => prefix = p.trim_end_matches('/').to_owned(),
                _ => {
                    return Err(bad(&format!(
                        "unknown parameter `{pair}` (only prefix=...)"
                    )));
                }
            }
        }
        Ok(Self {
            endpoints,
            service: service.to_owned(),
            prefix,
        })
    }

    /// `<prefix>/<service>/`: where the instances of the service are.
    pub fn key_prefix(&self) -> String {
        format!("{}/{}/", self.prefix, self.service)
    }

    /// `<prefix>/<service>/<addr>`: the key of one instance.
    pub fn key(&self, addr: &str) -> String {
        format!("{}{addr}", self.key_prefix())
    }

    async fn connect(&self) -> Result<EtcdClient> {
        let options = ConnectOptions::new()
            .with_connect_timeout(ETCD_REQUEST_TIMEOUT)
            .with_keep_alive(Duration::from_secs(10), ETCD_REQUEST_TIMEOUT);
        EtcdClient::connect(&self.endpoints, Some(options))
            .await
            .map_err(|e| {
                etcd_error(
                    format_args!("cannot connect to etcd {}", self.endpoints.join(",")),
                    e,
                )
            })
    }
}

impl fmt::Display for EtcdTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "etcd://{}/{}", self.endpoints.join(","), self.service)?;
        if self.prefix != DEFAULT_PREFIX {
            write!(f, "?prefix={}", self.prefix)?;
        }
        Ok(())
    }
}

fn etcd_error(context: impl fmt::Display, err: etcd_client::Error) -> Error {
    Error::new(Kind::Connect, context.to_string()).with_source(err)
}

/// The lease TTL: `KITEX_ETCD_REGISTRY_LEASE_TTL` seconds when it is a
/// positive integer (as Kitex reads it), else [`DEFAULT_LEASE_TTL`].
pub fn lease_ttl_from_env() -> Duration {
    std::env::var(LEASE_TTL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(DEFAULT_LEASE_TTL, Duration::from_secs)
}

/// Host override of the registered address, as in Kitex.
pub const IP_TO_REGISTRY_ENV: &str = "KITEX_IP_TO_REGISTRY";
/// Port override of the registered address, as in Kitex.
pub const PORT_TO_REGISTRY_ENV: &str = "KITEX_PORT_TO_REGISTRY";

/// The address to register for a server listening on `local`: its own,
/// with the host replaced by `KITEX_IP_TO_REGISTRY` and the port by
/// `KITEX_PORT_TO_REGISTRY` when set (as Kitex does).
///
/// ```
/// use anycall_rpc::discovery::etcd::registry_addr;
///
/// assert_eq!(registry_addr("127.0.0.1:8888".parse().unwrap())?, "127.0.0.1:8888");
/// assert!(registry_addr("0.0.0.0:8888".parse().unwrap()).is_err());
/// # Ok::<(), anycall_rpc::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::is_config`]: an unspecified host (`0.0.0.0`, `::`) without
/// `KITEX_IP_TO_REGISTRY` (Kitex would guess an interface address; say
/// which one instead), or a port override that is not a port.
pub fn registry_addr(local: std::net::SocketAddr) -> Result<String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let port = match env(PORT_TO_REGISTRY_ENV) {
        Some(p) => p
            .trim()
            .parse::<u16>()
            .map_err(|_| Error::config(format!("{PORT_TO_REGISTRY_ENV}=`{p}` is not a port")))?,
        None => local.port(),
    };
    let host = match env(IP_TO_REGISTRY_ENV) {
        Some(h) => h.trim().to_owned(),
        None if local.ip().is_unspecified() => {
            return Err(Error::config(format!(
                "listening on {local}, which is no address to register: listen on a specific address or set {IP_TO_REGISTRY_ENV}"
            )));
        }
        None => local.ip().to_string(),
    };
    Ok(if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// The value kitex-contrib/registry-etcd stores for an instance.
pub fn instance_json(endpoint: &Endpoint) -> String {
    let tags: Map<String, Json> = endpoint
        .tags
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    let mut value = Map::new();
    value.insert("network".into(), "tcp".into());
    value.insert("address".into(), endpoint.addr.clone().into());
    value.insert("weight".into(), endpoint.weight.into());
    value.insert(
        "tags".into(),
        if tags.is_empty() {
            Json::Null
        } else {
            Json::Object(tags)
        },
    );
    Json::Object(value).to_string()
}

/// Reads a registry value; `Err` says why it is skipped.
pub fn parse_instance(value: &[u8]) -> std::result::Result<Endpoint, String> {
    if value.len() > MAX_VALUE_SIZE {
        return Err(format!(
            "value of {} bytes exceeds {MAX_VALUE_SIZE}",
            value.len()
        ));
    }
    let json: Json = serde_json::from_slice(value).map_err(|e| format!("not JSON: {e}"))?;
    let obj = json.as_object().ok_or("not a JSON object")?;
    let addr = obj
        .get("address")
        .and_then(Json::as_str)
        .filter(|a| !a.is_empty())
        .ok_or("no \"address\" string")?;
    if let Some(network) = obj.get("network").and_then(Json::as_str)
        && !network.is_empty()
        && !network.starts_with("tcp")
    {
        return Err(format!("network `{network}` is not tcp"));
    }
    let weight = match obj.get("weight") {
        None | Some(Json::Null) => DEFAULT_WEIGHT,
        Some(w) => {
            let w = w.as_i64().ok_or("\"weight\" is not an integer")?;
            if w <= 0 {
                DEFAULT_WEIGHT
            } else {
                u32::try_from(w).unwrap_or(u32::MAX)
            }
        }
    };
    let tags: BTreeMap<String, String> = match obj.get("tags") {
        Some(Json::Object(t)) => t
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(Endpoint {
        addr: addr.to_owned(),
        weight,
        tags,
    })
}

/// The resolver task of an etcd target: prefix get, then watch, feeding
/// `balancer` until it is dropped.
pub(crate) async fn resolve(balancer: Weak<Balancer>, target: EtcdTarget) {
    let prefix = target.key_prefix();
    let mut backoff = Duration::from_millis(100);
    loop {
        match resolve_once(&balancer, &target, &prefix).await {
            Ok(()) => return,
            Err(err) => {
                let Some(b) = balancer.upgrade() else { return };
                tracing::warn!(target = %target, error = %format!("{err:#}"), "etcd resolution failed; retrying");
                b.problem(format!("{err:#}"));
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// One session: `Ok` when the balancer is gone, `Err` to start again.
async fn resolve_once(balancer: &Weak<Balancer>, target: &EtcdTarget, prefix: &str) -> Result<()> {
    let mut client = target.connect().await?;
    let got = tokio::time::timeout(
        ETCD_REQUEST_TIMEOUT,
        client.get(prefix, Some(GetOptions::new().with_prefix())),
    )
    .await
    .map_err(|_| {
        Error::new(
            Kind::ConnectTimeout,
            format!("etcd get of `{prefix}` timed out"),
        )
    })?
    .map_err(|e| etcd_error(format_args!("etcd get of `{prefix}`"), e))?;
    let revision = got
        .header()
        .map_or(0, etcd_client::ResponseHeader::revision);
    let mut instances: BTreeMap<Vec<u8>, Endpoint> = BTreeMap::new();
    for kv in got.kvs() {
        insert(&mut instances, kv.key(), kv.value());
    }
    {
        let Some(b) = balancer.upgrade() else {
            return Ok(());
        };
        b.update(&instances.values().cloned().collect::<Vec<_>>());
    }
    let options = WatchOptions::new()
        .with_prefix()
        .with_start_revision(revision + 1);
    let mut stream = client
        .watch(prefix, Some(options))
        .await
        .map_err(|e| etcd_error(format_args!("etcd watch of `{prefix}`"), e))?;
    loop {
        let message = stream
            .message()
            .await
            .map_err(|e| etcd_error(format_args!("etcd watch of `{prefix}`"), e))?;
        let Some(resp) = message else {
            return Err(Error::new(
                Kind::Io,
                format!("etcd ended the watch of `{prefix}`"),
            ));
        };
        if resp.canceled() {
            return Err(Error::new(
                Kind::Io,
                format!(
                    "etcd cancelled the watch of `{prefix}`: {}",
                    resp.cancel_reason()
                ),
            ));
        }
        if resp.events().is_empty() {
            continue;
        }
        for event in resp.events() {
            let Some(kv) = event.kv() else { continue };
            match event.event_type() {
                EventType::Put => insert(&mut instances, kv.key(), kv.value()),
                EventType::Delete => {
                    instances.remove(kv.key());
                }
            }
        }
        let Some(b) = balancer.upgrade() else {
            return Ok(());
        };
        b.update(&instances.values().cloned().collect::<Vec<_>>());
    }
}

fn insert(instances: &mut BTreeMap<Vec<u8>, Endpoint>, key: &[u8], value: &[u8]) {
    match parse_instance(value) {
        Ok(e) => {
            instances.insert(key.to_vec(), e);
        }
        Err(why) => {
            instances.remove(key);
            tracing::warn!(key = %String::from_utf8_lossy(key), %why, "skipping a registry value");
        }
    }
}

/// A registered instance, kept alive until [`deregister`](Registration::deregister)
/// (or dropped: the keep-alive stops and the key expires with its lease).
pub struct Registration {
    key: String,
    target: EtcdTarget,
    ttl: Duration,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<EtcdClient>>,
    lease: Arc<std::sync::atomic::AtomicI64>,
}

impl Registration {
    /// Registers `endpoint` under `target` with a lease of
    /// [`lease_ttl_from_env`], and keeps it alive in a task.
    ///
    /// # Errors
    ///
    /// [`Error::is_connect`] when etcd cannot be reached or refuses.
    pub async fn register(target: &EtcdTarget, endpoint: &Endpoint) -> Result<Self> {
        Self::register_with_ttl(target, endpoint, lease_ttl_from_env()).await
    }

    /// [`register`](Registration::register) with a given lease TTL (whole
    /// seconds, at least 1).
    ///
    /// # Errors
    ///
    /// As for [`register`](Registration::register).
    pub async fn register_with_ttl(
        target: &EtcdTarget,
        endpoint: &Endpoint,
        ttl: Duration,
    ) -> Result<Self> {
        let ttl = Duration::from_secs(ttl.as_secs().max(1));
        let key = target.key(&endpoint.addr);
        let value = instance_json(endpoint);
        let mut client = target.connect().await?;
        let lease = put_with_lease(&mut client, &key, &value, ttl).await?;
        tracing::info!(%key, lease = format_args!("{lease:x}"), ttl_s = ttl.as_secs(), "registered in etcd");
        let lease_id = Arc::new(std::sync::atomic::AtomicI64::new(lease));
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(keep_alive(
            client,
            key.clone(),
            value,
            ttl,
            lease_id.clone(),
            stop_rx,
        ));
        Ok(Self {
            key,
            target: target.clone(),
            ttl,
            stop: Some(stop_tx),
            task: Some(task),
            lease: lease_id,
        })
    }

    /// The key registered.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The lease TTL in use.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Stops the keep-alive, deletes the key and revokes the lease: clients
    /// watching the service drop this instance at once.
    ///
    /// # Errors
    ///
    /// [`Error::is_connect`] when etcd could not be told (the key then
    /// expires with its lease).
    pub async fn deregister(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let client = match self.task.take() {
            Some(task) => task.await.ok(),
            None => None,
        };
        let mut client = match client {
            Some(c) => c,
            None => self.target.connect().await?,
        };
        let key = self.key.clone();
        tokio::time::timeout(ETCD_REQUEST_TIMEOUT, client.delete(key.as_str(), None))
            .await
            .map_err(|_| {
                Error::new(
                    Kind::ConnectTimeout,
                    format!("etcd delete of `{key}` timed out"),
                )
            })?
            .map_err(|e| etcd_error(format_args!("etcd delete of `{key}`"), e))?;
        let lease = self.lease.load(std::sync::atomic::Ordering::Relaxed);
        // The key is gone; a lease that cannot be revoked just expires.
        let _ = tokio::time::timeout(ETCD_REQUEST_TIMEOUT, client.lease_revoke(lease)).await;
        tracing::info!(%key, "deregistered from etcd");
        Ok(())
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("key", &self.key)
            .field("ttl", &self.ttl)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn put_with_lease(
    client: &mut EtcdClient,
    key: &str,
    value: &str,
    ttl: Duration,
) -> Result<i64> {
    let ttl_s = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    let grant = tokio::time::timeout(ETCD_REQUEST_TIMEOUT, client.lease_grant(ttl_s, None))
        .await
        .map_err(|_| Error::new(Kind::ConnectTimeout, "etcd lease grant timed out"))?
        .map_err(|e| etcd_error("etcd lease grant", e))?;
    let lease = grant.id();
    tokio::time::timeout(
        ETCD_REQUEST_TIMEOUT,
        client.put(key, value, Some(PutOptions::new().with_lease(lease))),
    )
    .await
    .map_err(|_| {
        Error::new(
            Kind::ConnectTimeout,
            format!("etcd put of `{key}` timed out"),
        )
    })?
    .map_err(|e| etcd_error(format_args!("etcd put of `{key}`"), e))?;
    Ok(lease)
}

/// Keeps the lease alive every third of its TTL; grants a new lease and puts
/// the key again when the lease was lost. Returns the client when stopped.
async fn keep_alive(
    mut client: EtcdClient,
    key: String,
    value: String,
    ttl: Duration,
    lease: Arc<std::sync::atomic::AtomicI64>,
    mut stop: oneshot::Receiver<()>,
) -> EtcdClient {
    let every = (ttl / 3).max(Duration::from_millis(300));
    loop {
        let id = lease.load(std::sync::atomic::Ordering::Relaxed);
        let err = tokio::select! {
            _ = &mut stop => return client,
            r = keep_alive_session(&mut client, id, every) => match r {
                Ok(never) => match never {},
                Err(e) => e,
            },
        };
        tracing::warn!(%key, error = %format!("{err:#}"), "etcd keep-alive failed; registering again");
        // Register again (a new lease) until it works or we are stopped.
        let mut backoff = Duration::from_millis(200);
        loop {
            let again = put_with_lease(&mut client, &key, &value, ttl);
            tokio::select! {
                _ = &mut stop => return client,
                r = again => match r {
                    Ok(id) => {
                        lease.store(id, std::sync::atomic::Ordering::Relaxed);
                        tracing::info!(%key, lease = format_args!("{id:x}"), "registered in etcd again");
                        break;
                    }
                    Err(e) => tracing::warn!(%key, error = %format!("{e:#}"), "etcd registration failed; retrying"),
                },
            }
            tokio::select! {
                _ = &mut stop => return client,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(every);
        }
    }
}

/// Keeps lease `id` alive until that fails.
async fn keep_alive_session(
    client: &mut EtcdClient,
    id: i64,
    every: Duration,
) -> Result<std::convert::Infallible> {
    let (mut keeper, mut responses) = client
        .lease_keep_alive(id)
        .await
        .map_err(|e| etcd_error("etcd lease keep-alive", e))?;
    loop {
        keeper
            .keep_alive()
            .await
            .map_err(|e| etcd_error("etcd lease keep-alive", e))?;
        let resp = tokio::time::timeout(ETCD_REQUEST_TIMEOUT, responses.message())
            .await
            .map_err(|_| Error::new(Kind::ConnectTimeout, "etcd lease keep-alive timed out"))?
            .map_err(|e| etcd_error("etcd lease keep-alive", e))?;
        match resp {
            Some(r) if r.ttl() > 0 => {}
            _ => return Err(Error::new(Kind::Connect, "the lease expired")),
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = EtcdTarget::parse("etcd://a:1,b:2/echo?prefix=my/reg/").unwrap();
        assert_eq!(t.endpoints, ["a:1", "b:2"]);
        assert_eq!(t.service, "echo");
        assert_eq!(t.prefix, "my/reg");
        assert_eq!(t.to_string(), "etcd://a:1,b:2/echo?prefix=my/reg");
        assert_eq!(t.key("h:3"), "my/reg/echo/h:3");
        for (bad, why) in [
            ("etcd://a:1", "no /SERVICE"),
            ("etcd://a:1/", "empty service"),
            ("etcd:///echo", "no etcd endpoint"),
            ("etcd://a/echo", "`a` is not HOST:PORT"),
            ("etcd://a:1/x/y", "cannot contain `/`"),
            ("etcd://a:1/x?ttl=3", "unknown parameter `ttl=3`"),
        ] {
            let err = EtcdTarget::parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn values_as_kitex_writes_them() {
        let e = parse_instance(
            br#"{"network":"tcp","address":"127.0.0.1:8888","weight":20,"tags":{"idc":"a"}}"#,
        )
        .unwrap();
        assert_eq!(e.addr, "127.0.0.1:8888");
        assert_eq!(e.weight, 20);
        assert_eq!(e.tags.get("idc").map(String::as_str), Some("a"));
        // Kitex's resolver reads a weight of 0 or less as 10; tags may be null.
        let e =
            parse_instance(br#"{"network":"tcp","address":"h:1","weight":0,"tags":null}"#).unwrap();
        assert_eq!(e.weight, DEFAULT_WEIGHT);
        assert_eq!(
            parse_instance(br#"{"address":"h:1","weight":-3}"#)
                .unwrap()
                .weight,
            DEFAULT_WEIGHT
        );
        for bad in [
            &b"nope"[..],
            b"[]",
            br#"{"weight":1}"#,
            br#"{"address":"h:1","weight":"x"}"#,
            br#"{"network":"unix","address":"/s"}"#,
        ] {
            assert!(
                parse_instance(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let round =
            parse_instance(instance_json(&Endpoint::new("h:2").weight(7)).as_bytes()).unwrap();
        assert_eq!(round, Endpoint::new("h:2").weight(7));
        assert_eq!(
            instance_json(&Endpoint::new("h:2")),
            r#"{"network":"tcp","address":"h:2","weight":10,"tags":null}"#
        );
    }
}
