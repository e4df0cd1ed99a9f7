//! Running in a fleet: `--register etcd://…/NAME` for `serve` and `proxy`,
//! the `register` sidecar for servers that cannot register themselves, a
//! drain on shutdown, and the proxy's per-upstream report.

use std::net::SocketAddr;
use std::time::{Duration, UNIX_EPOCH};

#[cfg(feature = "etcd")]
use anycall_rpc::discovery::etcd::registry_addr;
#[cfg(feature = "etcd")]
use anycall_rpc::discovery::{Endpoint, EtcdTarget, Registration};
use anycall_rpc::{Client, Stats};
#[cfg(feature = "etcd")]
use anyhow::Context as _;
use anyhow::anyhow;
use clap::{Args, ValueEnum};
use serde_json::json;

use super::CliError;
use super::args::{KeyValue, parse_duration};

/// `--register`, `--weight`, `--drain` of `serve`, `proxy` and `gateway`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RegisterArgs {
    /// Register the listener in etcd the way kitex-contrib/registry-etcd does
    /// (key kitex/registry-etcd/NAME/HOST:PORT, lease TTL from
    /// KITEX_ETCD_REGISTRY_LEASE_TTL, default 60 s); deregistered on Ctrl-C
    /// or SIGTERM.
    #[arg(long, value_name = "etcd://HOST:PORT[,HOST:PORT]/NAME")]
    pub(crate) register: Option<String>,
    /// Weight registered with --register.
    #[arg(long, default_value_t = 10, requires = "register")]
    pub(crate) weight: u32,
    /// With --register: how long calls are still served after deregistering,
    /// while clients watching etcd drop this instance.
    #[arg(long, value_parser = parse_duration, default_value = "1s", requires = "register")]
    pub(crate) drain: Duration,
}

/// `--failover` of `proxy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailoverArg {
    /// Every upstream failure goes back to the caller.
    Off,
    /// A refused or timed-out connect goes to another upstream.
    Connect,
    /// Also a call written to an upstream that died before replying (it may
    /// run twice).
    Unanswered,
}

impl From<FailoverArg> for anycall_rpc::Failover {
    fn from(f: FailoverArg) -> Self {
        match f {
            FailoverArg::Off => Self::Off,
            FailoverArg::Connect => Self::Connect,
            FailoverArg::Unanswered => Self::Unanswered,
        }
    }
}

/// `anycall register`: keep another server's address registered.
#[derive(Debug, Args)]
pub(crate) struct RegisterCmdArgs {
    /// Where and under which name.
    #[arg(value_name = "etcd://HOST:PORT[,HOST:PORT]/NAME")]
    pub(crate) target: String,
    /// The address to register, HOST:PORT.
    #[arg(long)]
    pub(crate) address: String,
    /// Weight.
    #[arg(long, default_value_t = 10)]
    pub(crate) weight: u32,
    /// A registry tag `key=value` (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub(crate) tags: Vec<KeyValue>,
}

/// A registration kept alive until [`deregister`].
#[cfg(feature = "etcd")]
pub(crate) type Registered = Registration;
/// Without the `etcd` feature nothing can be registered.
#[cfg(not(feature = "etcd"))]
pub(crate) type Registered = std::convert::Infallible;

#[cfg(not(feature = "etcd"))]
fn no_etcd() -> CliError {
    CliError::usage(anyhow!(
        "etcd registration needs anycall built with `--features etcd` (which needs protoc)"
    ))
}

#[cfg(feature = "etcd")]
fn etcd_target(text: &str) -> Result<EtcdTarget, CliError> {
    EtcdTarget::parse(text).map_err(|e| CliError::usage(anyhow!(e)))
}

/// Checks `--register` before anything is bound.
pub(crate) fn check(a: &RegisterArgs) -> Result<(), CliError> {
    if let Some(t) = &a.register {
        #[cfg(feature = "etcd")]
        etcd_target(t)?;
        #[cfg(not(feature = "etcd"))]
        {
            let _ = t;
            return Err(no_etcd());
        }
    }
    Ok(())
}

/// Registers `local` when `--register` was given.
#[cfg(not(feature = "etcd"))]
pub(crate) async fn register(
    a: &RegisterArgs,
    _local: SocketAddr,
) -> Result<Option<Registered>, CliError> {
    check(a)?;
    Ok(None)
}

/// Registers `local` when `--register` was given.
#[cfg(feature = "etcd")]
pub(crate) async fn register(
    a: &RegisterArgs,
    local: SocketAddr,
) -> Result<Option<Registered>, CliError> {
    let Some(text) = &a.register else {
        return Ok(None);
    };
    let target = etcd_target(text)?;
    let addr = registry_addr(local)?;
    let reg = Registration::register(&target, &Endpoint::new(addr).weight(a.weight))
        .await
        .with_context(|| format!("cannot register in {target}"))?;
    eprintln!(
        "registered {} (lease {} s, weight {})",
        reg.key(),
        reg.ttl().as_secs(),
        a.weight
    );
    Ok(Some(reg))
}

/// Without the `etcd` feature there is nothing to deregister.
#[cfg(not(feature = "etcd"))]
pub(crate) async fn deregister(reg: Option<Registered>, _drain: Duration) {
    if let Some(never) = reg {
        match never {}
    }
}

/// Deregisters, then keeps serving for the drain period.
#[cfg(feature = "etcd")]
pub(crate) async fn deregister(reg: Option<Registered>, drain: Duration) {
    let Some(reg) = reg else { return };
    let key = reg.key().to_owned();
    match reg.deregister().await {
        Ok(()) => eprintln!("deregistered {key}; draining for {}", humantime(drain)),
        Err(e) => eprintln!("warning: deregistering {key} failed ({e:#}); its lease will expire"),
    }
    tokio::time::sleep(drain).await;
}

#[cfg(feature = "etcd")]
fn humantime(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The proxy's report: its counters and what it saw of each upstream, one
/// JSON line.
pub(crate) fn report(stats: &Stats, upstream: &Client) -> String {
    let upstreams: Vec<_> = upstream
        .endpoints()
        .into_iter()
        .map(|e| {
            let last = e
                .last_call
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            json!({
                "addr": e.addr,
                "weight": e.weight,
                "calls": e.calls,
                "connect_failures": e.connect_failures,
                "last_call_unix_ms": last,
                "removed": e.removed,
            })
        })
        .collect();
    json!({
        "calls": stats.calls,
        "errors": stats.errors,
        "upstreams": upstreams,
    })
    .to_string()
}

/// What a signal asks of a running server (`serve::Signals`).
pub(crate) enum Stop {
    /// Ctrl-C or SIGTERM.
    Signal,
    /// SIGUSR1: print a report and go on.
    Report,
    /// SIGHUP: reload the IDL and go on.
    Reload,
}

/// `anycall register`.
#[cfg(not(feature = "etcd"))]
pub(crate) async fn register_cmd(_: &RegisterCmdArgs) -> Result<(), CliError> {
    Err(no_etcd())
}

/// `anycall register`.
#[cfg(feature = "etcd")]
pub(crate) async fn register_cmd(a: &RegisterCmdArgs) -> Result<(), CliError> {
    let target = etcd_target(&a.target)?;
    if anycall_rpc::discovery::etcd::parse_instance(
        json!({"address": a.address}).to_string().as_bytes(),
    )
    .is_err()
        || !a.address.contains(':')
    {
        return Err(CliError::usage(anyhow!(
            "--address `{}` is not HOST:PORT",
            a.address
        )));
    }
    let mut endpoint = Endpoint::new(a.address.clone()).weight(a.weight);
    for KeyValue(k, v) in &a.tags {
        endpoint.tags.insert(k.clone(), v.clone());
    }
    let reg = Registration::register(&target, &endpoint)
        .await
        .with_context(|| format!("cannot register in {target}"))?;
    super::print_out(&format!(
        "registered {} (lease {} s); Ctrl-C deregisters\n",
        reg.key(),
        reg.ttl().as_secs()
    ))?;
    super::serve::wait_for_signal().await?;
    let key = reg.key().to_owned();
    reg.deregister()
        .await
        .with_context(|| format!("cannot deregister {key}"))?;
    eprintln!("deregistered {key}");
    Ok(())
}
