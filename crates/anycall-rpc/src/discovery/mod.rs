//! Where calls go: a [`Target`] (a host list, a DNS name, an etcd service)
//! resolved into a set of weighted [`Endpoint`]s that may change while the
//! client runs, and the balancer that picks one per call.
//!
//! ```text
//!  Target::parse("etcd://127.0.0.1:2379/echo")
//!     |
//!     v
//!  resolver task ---- prefix get, then watch -----> etcd
//!     | (every change)
//!     v
//!  endpoint table (atomic swap) --> weighted round-robin --> skip hosts in back-off
//!                                                               |
//!                                  call <-- pooled connection <-'
//! ```
//!
//! # Targets
//!
//! | syntax | resolved |
//! |---|---|
//! | `h1:p1,h2:p2` | once: each host connected by name as given, weight [`DEFAULT_WEIGHT`] each |
//! | `dns://NAME:PORT` | every [`DEFAULT_DNS_REFRESH`]: every address of `NAME` |
//! | `etcd://H:P[,H:P]/SERVICE[?prefix=P]` | prefix get of `P/SERVICE/` then a watch (feature `etcd`) |
//!
//! # Balancing
//!
//! Weighted round-robin: the table holds a fixed sequence of host indices in
//! which each host appears in proportion to its weight, interleaved (the
//! "smooth" order nginx uses: weights 5, 1, 1 give `a a b a c a a`, not
//! `a a a a a b c`); calls take the next slot with one atomic increment.
//! Kitex's default is weighted random; round-robin gives the same shares
//! with less variance over short runs. Weights are reduced by their common
//! divisor and the sequence is at most [`MAX_WHEEL`] slots long.
//!
//! A host whose connect failed is skipped for a back-off period (1 s,
//! doubling on each further failure up to 30 s, cleared by a successful
//! connect); when every host is backing off, the one whose period ends
//! first is tried. A connect failure is always retried on another host
//! (nothing was sent); see [`Failover`] for calls that were already written.
//!
//! A change of the set swaps the table atomically: calls in flight keep the
//! host they picked and finish; connections pooled to a host that left are
//! closed when they come back.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use tokio::sync::{oneshot, watch};

use crate::error::{Error, Kind, Result};

#[cfg(feature = "etcd")]
pub mod etcd;
#[cfg(feature = "etcd")]
pub use etcd::{EtcdTarget, Registration};

/// Weight of an endpoint that does not give one: 10, as in
/// kitex-contrib/registry-etcd (whose resolver also reads a weight of 0 or
/// less as 10).
pub const DEFAULT_WEIGHT: u32 = 10;
/// How often a `dns://` target is resolved again: 10 s.
pub const DEFAULT_DNS_REFRESH: Duration = Duration::from_secs(10);
/// Longest weighted round-robin sequence: 1,024 slots. Larger weight sums
/// are scaled down (each host keeps at least one slot).
pub const MAX_WHEEL: usize = 1024;
/// Most endpoints in one resolved set: 10,000.
pub const MAX_ENDPOINTS: usize = 10_000;
/// Back-off after a host's first connect failure: 1 s.
pub const CONNECT_BACKOFF: Duration = Duration::from_secs(1);
/// Longest back-off after repeated connect failures: 30 s.
pub const MAX_CONNECT_BACKOFF: Duration = Duration::from_secs(30);

/// One address calls can go to, with its weight and tags (registry
/// metadata; unused by the balancer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `host:port`.
    pub addr: String,
    /// Relative share of calls; 0 is read as [`DEFAULT_WEIGHT`].
    pub weight: u32,
    /// Registry tags.
    pub tags: BTreeMap<String, String>,
}

impl Endpoint {
    /// An endpoint of weight [`DEFAULT_WEIGHT`] and no tags.
    pub fn new(addr: impl Into<String>) -> Self {
        Self {
            addr: addr.into(),
            weight: DEFAULT_WEIGHT,
            tags: BTreeMap::new(),
        }
    }

    /// The same endpoint with `weight`.
    #[must_use]
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }
}

/// What to do when a call's connection fails before its reply arrived.
///
/// Whatever the policy, at most 2 other hosts are tried (3 attempts in
/// all), within the call's RPC timeout, and a timeout is never retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Failover {
    /// Every failure is the call's.
    Off,
    /// A connect failure (refused, unreachable, timed out) is retried on
    /// another host. Nothing was sent, so nothing runs twice. The default.
    #[default]
    Connect,
    /// Also a call already written whose connection broke before any reply
    /// (closed, reset, or a pooled connection the server had just closed):
    /// the server may have run it, so the call may run twice (at least
    /// once). For idempotent methods, or a proxy in front of a fleet where
    /// a killed backend must not fail calls.
    Unanswered,
}

/// Where a client sends calls. Parse one with [`Target::parse`] (or
/// `str::parse`); `Display` gives the same syntax back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A fixed list, each host connected by the name given.
    Static(Vec<Endpoint>),
    /// Every address of a DNS name, resolved again every `refresh`.
    Dns {
        /// The name.
        host: String,
        /// The port of every address.
        port: u16,
        /// Time between resolutions. Default [`DEFAULT_DNS_REFRESH`].
        refresh: Duration,
    },
    /// A service registered in etcd the way kitex-contrib/registry-etcd
    /// does it.
    #[cfg(feature = "etcd")]
    Etcd(EtcdTarget),
}

impl Target {
    /// Parses a target:
    ///
    /// - `h1:p1,h2:p2`: a static host list (Dapr's `hostPorts` shape);
    /// - `dns://NAME:PORT`: every address of `NAME`, re-resolved;
    /// - `etcd://H:P[,H:P]/SERVICE[?prefix=PREFIX]`: a service in etcd
    ///   (default prefix `kitex/registry-etcd`; feature `etcd`).
    ///
    /// ```
    /// use anycall_rpc::discovery::Target;
    ///
    /// let t = Target::parse("10.0.0.1:8888, 10.0.0.2:8888")?;
    /// assert_eq!(t.to_string(), "10.0.0.1:8888,10.0.0.2:8888");
    /// assert!(Target::parse("dns://echo.internal:8888")?.is_dynamic());
    /// assert!(Target::parse("no-port").is_err());
    /// # Ok::<(), anycall_rpc::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::is_config`], naming the part that is wrong.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("dns://") {
            let (host, port) = split_host_port(rest.trim_end_matches('/')).ok_or_else(|| {
                Error::config(format!(
                    "dns target `{text}` is not dns://NAME:PORT (e.g. dns://echo.internal:8888)"
                ))
            })?;
            return Ok(Self::Dns {
                host: host.to_owned(),
                port,
                refresh: DEFAULT_DNS_REFRESH,
            });
        }
        if text.starts_with("etcd://") {
            #[cfg(feature = "etcd")]
            return EtcdTarget::parse(text).map(Self::Etcd);
            #[cfg(not(feature = "etcd"))]
            return Err(Error::config(format!(
                "`{text}`: etcd targets need anycall-rpc's `etcd` feature"
            )));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(Error::config(format!(
                "unknown target scheme `{scheme}://` in `{text}` (expected host:port[,host:port], dns://NAME:PORT or etcd://HOST:PORT/SERVICE)"
            )));
        }
        parse_hosts(text).map(Self::Static)
    }

    /// Whether the endpoint set can change while the client runs (and needs
    /// a tokio runtime when the client is built).
    pub fn is_dynamic(&self) -> bool {
        !matches!(self, Self::Static(_))
    }
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(list) => {
                for (i, e) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    f.write_str(&e.addr)?;
                }
                Ok(())
            }
            Self::Dns { host, port, .. } => write!(f, "dns://{host}:{port}"),
            #[cfg(feature = "etcd")]
            Self::Etcd(t) => t.fmt(f),
        }
    }
}

pub(crate) fn split_host_port(text: &str) -> Option<(&str, u16)> {
    let (host, port) = text.rsplit_once(':')?;
    let port = port.parse::<u16>().ok()?;
    (!host.is_empty()).then_some((host, port))
}

/// Parses a host list like Dapr's `hostPorts`: `"h1:p1,h2:p2"`.
fn parse_hosts(hosts: &str) -> Result<Vec<Endpoint>> {
    let list: Vec<&str> = hosts
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    if list.is_empty() {
        return Err(Error::config("the host list is empty"));
    }
    if list.len() > MAX_ENDPOINTS {
        return Err(Error::config(format!(
            "the host list has {} hosts, more than the {MAX_ENDPOINTS} allowed",
            list.len()
        )));
    }
    list.into_iter()
        .map(|host| {
            if split_host_port(host).is_none() {
                return Err(Error::config(format!(
                    "host `{host}` is not HOST:PORT (expected a list like \"h1:p1,h2:p2\")"
                )));
            }
            Ok(Endpoint::new(host))
        })
        .collect()
}

/// A host of the current set, shared by the table, the calls that picked it
/// and the connections pooled to it.
pub(crate) struct Host {
    pub(crate) addr: String,
    weight: AtomicU32,
    pub(crate) idle: Mutex<Vec<crate::client::Idle>>,
    /// Milliseconds since the balancer's epoch until which the host is skipped.
    down_until: AtomicU64,
    failures: AtomicU32,
    calls: AtomicU64,
    connect_failures: AtomicU64,
    /// Unix time in milliseconds of the last call that picked the host, 0 if none.
    last_pick: AtomicU64,
    /// Left the set: pooled connections are closed, not kept.
    pub(crate) removed: AtomicBool,
}

impl Host {
    fn new(endpoint: &Endpoint) -> Self {
        Self {
            addr: endpoint.addr.clone(),
            weight: AtomicU32::new(effective_weight(endpoint.weight)),
            idle: Mutex::new(Vec::new()),
            down_until: AtomicU64::new(0),
            failures: AtomicU32::new(0),
            calls: AtomicU64::new(0),
            connect_failures: AtomicU64::new(0),
            last_pick: AtomicU64::new(0),
            removed: AtomicBool::new(false),
        }
    }
}

fn effective_weight(weight: u32) -> u32 {
    if weight == 0 { DEFAULT_WEIGHT } else { weight }
}

/// What a client saw of one endpoint: [`Client::endpoints`](crate::Client::endpoints).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointStats {
    /// `host:port`.
    pub addr: String,
    /// The weight in use.
    pub weight: u32,
    /// Calls that picked this endpoint (failed ones included).
    pub calls: u64,
    /// Connects that failed.
    pub connect_failures: u64,
    /// When the last call picked it, `None` if none did.
    pub last_call: Option<SystemTime>,
    /// Skipped for a connect back-off right now.
    pub backing_off: bool,
    /// Left the endpoint set (stats kept for the record).
    pub removed: bool,
}

struct Table {
    hosts: Vec<Arc<Host>>,
    wheel: Vec<u32>,
    /// False until the first resolution (dynamic targets).
    resolved: bool,
    /// Why the last resolution failed, for the error of a call that finds
    /// no host.
    problem: Option<String>,
}

/// The endpoint set of a client and the weighted round-robin over it.
pub(crate) struct Balancer {
    target: String,
    table: ArcSwap<Table>,
    generation: watch::Sender<u64>,
    next: AtomicUsize,
    epoch: Instant,
    /// Dropped with the balancer: ends the resolver task.
    _stop: Option<oneshot::Sender<()>>,
    /// Hosts removed while calls may still hold them, and stats of removed
    /// hosts, kept for [`Balancer::stats`].
    gone: Mutex<Vec<Arc<Host>>>,
}

impl Balancer {
    /// A balancer for `target`; dynamic targets start their resolver on the
    /// current tokio runtime.
    pub(crate) fn start(target: Target) -> Result<Arc<Self>> {
        let name = target.to_string();
        let make = |resolved, stop| Self {
            target: name.clone(),
            table: ArcSwap::from_pointee(Table {
                hosts: Vec::new(),
                wheel: Vec::new(),
                resolved,
                problem: None,
            }),
            generation: watch::channel(0).0,
            next: AtomicUsize::new(0),
            epoch: Instant::now(),
            _stop: stop,
            gone: Mutex::new(Vec::new()),
        };
        if let Target::Static(list) = target {
            let balancer = Arc::new(make(true, None));
            balancer.update(&list);
            return Ok(balancer);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::config(format!(
                "target `{name}` is resolved in the background: build the client inside a tokio runtime"
            ))
        })?;
        let (stop_tx, stop_rx) = oneshot::channel();
        let balancer = Arc::new(make(false, Some(stop_tx)));
        let weak = Arc::downgrade(&balancer);
        match target {
            Target::Static(_) => {}
            Target::Dns {
                host,
                port,
                refresh,
            } => {
                runtime.spawn(stop_with(stop_rx, resolve_dns(weak, host, port, refresh)));
            }
            #[cfg(feature = "etcd")]
            Target::Etcd(t) => {
                runtime.spawn(stop_with(stop_rx, etcd::resolve(weak, t)));
            }
        }
        Ok(balancer)
    }

    /// Replaces the endpoint set (hosts that stay keep their pools).
    pub(crate) fn update(&self, endpoints: &[Endpoint]) {
        let old = self.table.load();
        let mut by_addr: BTreeMap<&str, &Arc<Host>> =
            old.hosts.iter().map(|h| (h.addr.as_str(), h)).collect();
        let mut seen = std::collections::HashSet::new();
        let mut hosts = Vec::with_capacity(endpoints.len());
        for e in endpoints.iter().take(MAX_ENDPOINTS) {
            if !seen.insert(e.addr.as_str()) {
                continue;
            }
            let host = match by_addr.remove(e.addr.as_str()) {
                Some(h) => {
                    h.weight
                        .store(effective_weight(e.weight), Ordering::Relaxed);
                    h.clone()
                }
                None => Arc::new(Host::new(e)),
            };
            hosts.push(host);
        }
        let removed: Vec<Arc<Host>> = by_addr.into_values().cloned().collect();
        let weights: Vec<u32> = hosts
            .iter()
            .map(|h| h.weight.load(Ordering::Relaxed))
            .collect();
        let wheel = smooth_wheel(&weights);
        let added: Vec<&str> = hosts
            .iter()
            .filter(|h| !old.hosts.iter().any(|o| Arc::ptr_eq(o, h)))
            .map(|h| h.addr.as_str())
            .collect();
        if !added.is_empty() || !removed.is_empty() {
            tracing::info!(
                target = %self.target,
                added = ?added,
                removed = ?removed.iter().map(|h| h.addr.as_str()).collect::<Vec<_>>(),
                hosts = hosts.len(),
                "endpoints changed"
            );
        }
        self.table.store(Arc::new(Table {
            hosts,
            wheel,
            resolved: true,
            problem: None,
        }));
        for host in &removed {
            host.removed.store(true, Ordering::Release);
            crate::client::lock(&host.idle).clear();
        }
        if !removed.is_empty() {
            let mut gone = crate::client::lock(&self.gone);
            gone.extend(removed);
            // Keep the stats of the latest departures only.
            let excess = gone.len().saturating_sub(MAX_ENDPOINTS);
            gone.drain(..excess);
        }
        self.generation.send_modify(|g| *g += 1);
    }

    /// Records a failed resolution: calls that find no host say why. A
    /// resolved set stays as it was.
    pub(crate) fn problem(&self, why: String) {
        let old = self.table.load();
        if old.resolved && !old.hosts.is_empty() {
            return;
        }
        self.table.store(Arc::new(Table {
            hosts: old.hosts.clone(),
            wheel: old.wheel.clone(),
            resolved: true,
            problem: Some(why),
        }));
        self.generation.send_modify(|g| *g += 1);
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Picks the host of the next call, avoiding `tried` and hosts in
    /// back-off; waits for the first resolution of a dynamic target.
    pub(crate) async fn pick(&self, tried: &[Arc<Host>]) -> Result<Arc<Host>> {
        let mut generation = self.generation.subscribe();
        let table = loop {
            let table = self.table.load_full();
            if table.resolved {
                break table;
            }
            // The RPC timeout around the call bounds this wait.
            if generation.changed().await.is_err() {
                return Err(Error::new(Kind::Connect, "the client is shutting down"));
            }
        };
        if table.hosts.is_empty() {
            let why = table
                .problem
                .as_deref()
                .map_or_else(String::new, |p| format!(": {p}"));
            return Err(Error::new(
                Kind::Connect,
                format!("no endpoint for `{}`{why}", self.target),
            ));
        }
        let now = self.now_ms();
        let len = table.wheel.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut fallback: Option<&Arc<Host>> = None;
        for i in 0..len {
            let host = &table.hosts[table.wheel[(start + i) % len] as usize];
            if tried.iter().any(|t| Arc::ptr_eq(t, host)) {
                continue;
            }
            let until = host.down_until.load(Ordering::Relaxed);
            if until <= now {
                return Ok(self.picked(host));
            }
            if fallback.is_none_or(|f| until < f.down_until.load(Ordering::Relaxed)) {
                fallback = Some(host);
            }
        }
        match fallback {
            Some(host) => Ok(self.picked(host)),
            None => Err(Error::new(
                Kind::Connect,
                format!("every endpoint of `{}` failed", self.target),
            )),
        }
    }

    fn picked(&self, host: &Arc<Host>) -> Arc<Host> {
        host.calls.fetch_add(1, Ordering::Relaxed);
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        host.last_pick.store(unix_ms, Ordering::Relaxed);
        host.clone()
    }

    /// A connect to `host` failed: skip it for its back-off period.
    pub(crate) fn connect_failed(&self, host: &Host) {
        host.connect_failures.fetch_add(1, Ordering::Relaxed);
        let failures = host.failures.fetch_add(1, Ordering::Relaxed).min(16);
        let backoff = CONNECT_BACKOFF
            .saturating_mul(1 << failures)
            .min(MAX_CONNECT_BACKOFF);
        let until = self.now_ms() + u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX);
        host.down_until.store(until, Ordering::Relaxed);
        tracing::debug!(addr = %host.addr, backoff_ms = backoff.as_millis(), "connect failed; backing off");
    }

    /// A connect to `host` succeeded: its back-off is over.
    pub(crate) fn connected(host: &Host) {
        if host.failures.load(Ordering::Relaxed) != 0 {
            host.failures.store(0, Ordering::Relaxed);
            host.down_until.store(0, Ordering::Relaxed);
        }
    }

    /// The current hosts.
    pub(crate) fn hosts(&self) -> Vec<Arc<Host>> {
        self.table.load().hosts.clone()
    }

    /// Stats of the current hosts, then of hosts that left the set.
    pub(crate) fn stats(&self) -> Vec<EndpointStats> {
        let now = self.now_ms();
        let gone = crate::client::lock(&self.gone).clone();
        self.hosts()
            .iter()
            .chain(gone.iter())
            .map(|h| {
                let last = h.last_pick.load(Ordering::Relaxed);
                EndpointStats {
                    addr: h.addr.clone(),
                    weight: h.weight.load(Ordering::Relaxed),
                    calls: h.calls.load(Ordering::Relaxed),
                    connect_failures: h.connect_failures.load(Ordering::Relaxed),
                    last_call: (last != 0).then(|| UNIX_EPOCH + Duration::from_millis(last)),
                    backing_off: h.down_until.load(Ordering::Relaxed) > now,
                    removed: h.removed.load(Ordering::Relaxed),
                }
            })
            .collect()
    }

    pub(crate) fn target(&self) -> &str {
        &self.target
    }
}

/// Runs `task` until it ends or the balancer is dropped.
async fn stop_with(stop: oneshot::Receiver<()>, task: impl Future<Output = ()>) {
    tokio::select! {
        _ = stop => {}
        () = task => {}
    }
}

async fn resolve_dns(balancer: Weak<Balancer>, host: String, port: u16, refresh: Duration) {
    loop {
        let resolved = tokio::net::lookup_host((host.as_str(), port)).await;
        let Some(b) = balancer.upgrade() else { return };
        match resolved {
            Ok(addrs) => {
                let mut list: Vec<Endpoint> = addrs.map(|a| Endpoint::new(a.to_string())).collect();
                list.sort_by(|a, b| a.addr.cmp(&b.addr));
                if list.is_empty() {
                    b.problem(format!("`{host}` has no address"));
                } else {
                    b.update(&list);
                }
            }
            Err(err) => {
                tracing::warn!(%host, error = %err, "dns resolution failed; keeping the last addresses");
                b.problem(format!("cannot resolve `{host}`: {err}"));
            }
        }
        drop(b);
        tokio::time::sleep(refresh).await;
    }
}

/// The smooth weighted round-robin order of `weights` (host indices).
fn smooth_wheel(weights: &[u32]) -> Vec<u32> {
    if weights.is_empty() {
        return Vec::new();
    }
    let divisor = weights.iter().copied().fold(0, gcd).max(1);
    let mut reduced: Vec<u64> = weights.iter().map(|w| u64::from(w / divisor)).collect();
    let sum: u64 = reduced.iter().sum();
    let max = MAX_WHEEL as u64;
    if sum > max {
        for w in &mut reduced {
            *w = (*w * max / sum).max(1);
        }
    }
    let total: i64 = reduced.iter().map(|w| *w as i64).sum();
    let mut current = vec![0i64; reduced.len()];
    let mut wheel = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for _ in 0..total {
        let mut best = 0;
        for (i, w) in reduced.iter().enumerate() {
            current[i] += *w as i64;
            if current[i] > current[best] {
                best = i;
            }
        }
        current[best] -= total;
        wheel.push(u32::try_from(best).unwrap_or(0));
    }
    wheel
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_order_interleaves() {
        assert_eq!(smooth_wheel(&[5, 1, 1]), [0, 0, 1, 0, 2, 0, 0]);
        assert_eq!(smooth_wheel(&[10, 10, 10]), [0, 1, 2]);
        assert_eq!(smooth_wheel(&[20, 10]), [0, 1, 0]);
        let big = smooth_wheel(&[100_000, 1]);
        assert!(big.len() <= MAX_WHEEL + 1);
        assert!(big.contains(&1));
    }

    #[test]
    fn targets_parse_and_print() {
        let t = Target::parse("a:1, b:2").unwrap();
        assert_eq!(
            t,
            Target::Static(vec![Endpoint::new("a:1"), Endpoint::new("b:2")])
        );
        assert_eq!(t.to_string(), "a:1,b:2");
        assert!(!t.is_dynamic());
        let d = Target::parse("dns://svc.local:80").unwrap();
        assert_eq!(d.to_string(), "dns://svc.local:80");
        for bad in ["", "a", "a:x", ":1", "dns://x", "zk://a:1/s"] {
            let err = Target::parse(bad).unwrap_err();
            assert!(err.is_config(), "{bad}: {err}");
        }
        assert!(
            Target::parse("zk://a:1/s")
                .unwrap_err()
                .to_string()
                .contains("unknown target scheme `zk://`")
        );
    }
}
