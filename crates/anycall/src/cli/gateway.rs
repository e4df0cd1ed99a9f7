//! `anycall gateway`: an HTTP/JSON gateway in front of Thrift services,
//! routed by the IDL's `api.*` annotations.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anycall_gateway::{Backend, Gateway, HttpLimits, metrics::Registry};
use anycall_idl::{Loader, Provider};
use anycall_rpc::{Client, Protocol, Transport};
use anyhow::{Context as _, anyhow, bail};
use clap::{Args, ValueEnum as _};
use serde::Deserialize;

use super::CliError;
use super::args::{ProtocolArg, TransportArg, parse_duration};
use super::fleet;
use super::limits::{AdminArgs, LimitArgs, start_admin};
use super::serve::wait_for_signal;
use anycall_gateway::Health;

#[derive(Debug, Clone, Args)]
pub(crate) struct GatewayArgs {
    /// The main Thrift IDL file (or use --config).
    #[arg(long, value_name = "FILE", required_unless_present = "config")]
    pub(crate) idl: Option<PathBuf>,
    /// A directory searched for includes (repeatable).
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    pub(crate) include: Vec<PathBuf>,
    /// Address to listen on for HTTP.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: String,
    /// Upstream Thrift servers: host:port separated by commas (round-robin),
    /// dns://NAME:PORT, or etcd://HOST:PORT/SERVICE.
    #[arg(long, default_value = "127.0.0.1:8888")]
    pub(crate) upstream: String,
    /// Transport towards the upstream.
    #[arg(long, value_enum, default_value_t = TransportArg::Framed)]
    pub(crate) transport: TransportArg,
    /// Thrift protocol towards the upstream.
    #[arg(long, value_enum, default_value_t = ProtocolArg::Binary)]
    pub(crate) protocol: ProtocolArg,
    /// Route only this service's methods (default: every service of the IDL file).
    #[arg(long)]
    pub(crate) service: Option<String>,
    /// When an upstream connection fails before the reply (`unanswered`
    /// resends a call whose upstream died: for idempotent methods).
    #[arg(long, value_enum, default_value_t = fleet::FailoverArg::Connect)]
    pub(crate) failover: fleet::FailoverArg,
    /// Upstream RPC timeout (504 when exceeded).
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub(crate) timeout: Duration,
    /// Several backends on one listener, from a TOML file (see below).
    #[arg(long, value_name = "FILE.toml", conflicts_with_all = ["idl", "include", "service"])]
    pub(crate) config: Option<PathBuf>,
    /// Reload the IDLs and the config file when they change (a failed reload
    /// keeps the old routes and logs why).
    #[arg(long)]
    pub(crate) watch: bool,
    /// `--admin ADDR`: GET /metrics and /healthz.
    #[command(flatten)]
    pub(crate) admin: AdminArgs,
    /// Largest request body in bytes (413 beyond); `--max-frame-size` is
    /// the same bound.
    #[arg(long, conflicts_with = "max_frame_size")]
    pub(crate) max_body: Option<usize>,
    /// Most request headers (431 beyond).
    #[arg(long, default_value_t = anycall_gateway::DEFAULT_MAX_HEADERS)]
    pub(crate) max_headers: usize,
    /// Time to receive a request body (408 beyond).
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub(crate) request_timeout: Duration,
    /// Per-connection and server-wide bounds (`--header-timeout` is the
    /// time to receive a request's line and headers, for every request).
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    /// Time allowed for requests in flight to finish on SIGTERM or Ctrl-C.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub(crate) drain_timeout: Duration,
    /// Registration of the listener (`--register`, `--weight`, `--drain`).
    #[command(flatten)]
    pub(crate) fleet: fleet::RegisterArgs,
    /// Print the routes (METHOD PATH -> Service.Method) and exit.
    #[arg(long)]
    pub(crate) routes: bool,
    /// Print an OpenAPI 3.1 document (JSON) of the routes and exit.
    #[arg(long, conflicts_with = "routes")]
    pub(crate) openapi: bool,
}

/// The `--config` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(rename = "backend")]
    backends: Vec<BackendConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackendConfig {
    idl: PathBuf,
    #[serde(default)]
    include: Vec<PathBuf>,
    service: Option<String>,
    upstream: String,
    transport: Option<String>,
    protocol: Option<String>,
    timeout: Option<String>,
    failover: Option<String>,
}

struct Spec {
    idl: PathBuf,
    include: Vec<PathBuf>,
    service: Option<String>,
    upstream: String,
    transport: Transport,
    protocol: Protocol,
    timeout: Duration,
    failover: fleet::FailoverArg,
}

fn specs(a: &GatewayArgs) -> anyhow::Result<Vec<Spec>> {
    let Some(path) = &a.config else {
        let idl = a
            .idl
            .clone()
            .ok_or_else(|| anyhow!("--idl or --config is needed"))?;
        return Ok(vec![Spec {
            idl,
            include: a.include.clone(),
            service: a.service.clone(),
            upstream: a.upstream.clone(),
            transport: a
                .transport
                .ping_pong("--transport grpc: the gateway calls ping-pong Thrift transports only")?
                .into(),
            protocol: a.protocol.into(),
            timeout: a.timeout,
            failover: a.failover,
        }]);
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let config: Config = toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
    if config.backends.is_empty() {
        bail!("{}: no [[backend]] tables", path.display());
    }
    let base = path.parent().unwrap_or(Path::new(""));
    config
        .backends
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let at = || format!("{}: backend {}", path.display(), i + 1);
            let transport = match b.transport.as_deref() {
                None => Transport::Framed,
                Some(t) => t.parse().map_err(|e| anyhow!("{}: transport: {e}", at()))?,
            };
            let protocol = match b.protocol.as_deref() {
                None | Some("binary") => Protocol::Binary,
                Some("compact") => Protocol::Compact,
                Some(p) => bail!("{}: unknown protocol {p:?} (binary or compact)", at()),
            };
            let timeout = match b.timeout.as_deref() {
                None => a.timeout,
                Some(t) => parse_duration(t).map_err(|e| anyhow!("{}: timeout: {e}", at()))?,
            };
            let failover = match b.failover.as_deref() {
                None => a.failover,
                Some(f) => fleet::FailoverArg::from_str(f, true).map_err(|_| {
                    anyhow!(
                        "{}: unknown failover {f:?} (off, connect or unanswered)",
                        at()
                    )
                })?,
            };
            Ok(Spec {
                idl: base.join(&b.idl),
                include: b.include.iter().map(|d| base.join(d)).collect(),
                service: b.service,
                upstream: b.upstream,
                transport,
                protocol,
                timeout,
                failover,
            })
        })
        .collect()
}

fn backends(specs: &[Spec]) -> anyhow::Result<Vec<Backend>> {
    specs
        .iter()
        .map(|s| {
            let loader = Loader::new().include_dirs(s.include.iter().cloned());
            let provider =
                Provider::new(loader, s.idl.to_string_lossy()).map_err(|e| anyhow!("{e}"))?;
            let client = Client::builder(s.upstream.clone())
                .transport(s.transport)
                .protocol(s.protocol)
                .rpc_timeout(s.timeout)
                .failover(s.failover.into())
                .build()
                .map_err(|e| anyhow!("upstream {}: {e}", s.upstream))?;
            let mut b = Backend::new(Arc::new(provider), client);
            if let Some(name) = &s.service {
                b = b.service(name.clone());
            }
            Ok(b)
        })
        .collect()
}

pub(crate) async fn gateway(a: &GatewayArgs) -> Result<(), CliError> {
    let backends = backends(&specs(a)?)?;
    let registry = Registry::new();
    let mut builder = Gateway::builder()
        .limits(HttpLimits {
            max_body: a
                .max_body
                .or(a.limits.max_frame_size)
                .unwrap_or(anycall_gateway::DEFAULT_MAX_BODY),
            max_headers: a.max_headers,
            request_timeout: a.request_timeout,
            header_read_timeout: a.limits.header_timeout,
            max_connections: a.limits.max_connections,
            write_timeout: a.limits.write_timeout,
            idle_timeout: a.limits.idle_timeout,
            max_in_flight_bytes: a.limits.max_in_flight,
        })
        .registry(registry.clone());
    for b in backends {
        builder = builder.backend(b);
    }
    let gw = builder.build().map_err(|e| anyhow!("{e}"))?;
    if a.routes {
        let mut out = String::new();
        for r in gw.routes() {
            let m = r.http_method.as_ref().map_or("ANY", |m| m.as_str());
            out.push_str(&format!("{m} {} -> {}\n", r.path, r.method));
        }
        super::print_out(&out)?;
        return Ok(());
    }
    if a.openapi {
        let title = a
            .idl
            .as_deref()
            .or(a.config.as_deref())
            .and_then(|p| p.file_stem())
            .map_or_else(
                || "anycall gateway".to_owned(),
                |s| s.to_string_lossy().into_owned(),
            );
        let doc = gw.openapi(&title);
        super::print_out(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        return Ok(());
    }
    fleet::check(&a.fleet)?;
    super::limits::raise_open_files();
    let listener = anycall_rpc::limits::listen(&a.listen, a.limits.backlog)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (health, health_rx) = tokio::sync::watch::channel(Health::Serving);
    let admin = start_admin(&a.admin, registry.clone(), health_rx).await?;
    let admin_note = admin.map_or_else(String::new, |a| {
        format!("; metrics on http://{a}/metrics, health on http://{a}/healthz")
    });
    if a.watch {
        watch(gw.clone(), a.config.clone(), spec_args(a));
    }
    let registration = fleet::register(&a.fleet, listener.local_addr()?).await?;
    println!(
        "gateway listening on {} ({} route(s)){admin_note}; Ctrl-C stops",
        listener.local_addr()?,
        gw.routes().len()
    );
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(anycall_gateway::serve(
        gw.clone(),
        listener,
        async move {
            let _ = rx.wait_for(|s| *s).await;
        },
        a.drain_timeout,
    ));
    wait_for_signal().await?;
    health.send_replace(Health::Draining);
    fleet::deregister(registration, a.fleet.drain).await;
    tracing::info!("shutting down: draining requests in flight");
    let _ = stop_tx.send(true);
    tokio::select! {
        r = server => { r.context("the server task failed")??; }
        r = wait_for_signal() => { r?; eprintln!("second signal: exiting now"); }
    }
    health.send_replace(Health::Stopped);
    Ok(())
}

/// What a config reload needs from the flags.
fn spec_args(a: &GatewayArgs) -> GatewayArgs {
    GatewayArgs {
        admin: AdminArgs { admin: None },
        routes: false,
        openapi: false,
        ..a.clone()
    }
}

/// `--watch`: reloads the routes when the config file changes, and the IDL
/// when one of its files does.
fn watch(gw: Gateway, config: Option<PathBuf>, args: GatewayArgs) {
    let conf_print = move || super::watch::fingerprint(config.iter());
    let mut conf = conf_print();
    let files = {
        let gw = gw.clone();
        let conf_print = conf_print.clone();
        move || {
            let idls = super::watch::fingerprint(gw.idl_files());
            idls ^ conf_print().rotate_left(1)
        }
    };
    super::watch::poll(files, move || {
        let now = conf_print();
        if now != conf {
            conf = now;
            let reloaded = specs(&args)
                .and_then(|s| backends(&s))
                .and_then(|b| gw.set_backends(&b).map_err(Into::into));
            match reloaded {
                Ok(()) => tracing::info!(routes = gw.routes().len(), "config reloaded"),
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "config reload failed; keeping the old routes"
                ),
            }
            return true;
        }
        match gw.reload() {
            Ok(()) => {
                tracing::info!(routes = gw.routes().len(), "idl reloaded");
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "idl reload failed; keeping the old routes");
                false
            }
        }
    });
}
