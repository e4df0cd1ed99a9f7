//! `anycall serve` (a mock server from an IDL) and `anycall proxy`.

use std::time::Duration;

use anycall_codec::call::Reply;
use anycall_codec::dynamic::value::{from_json, to_json};
use anycall_codec::{Options, Value};
use anycall_idl::{MethodDescriptor, Pool};
use anycall_rpc::metrics::Registry;
use anycall_rpc::{
    Context, Handler, HandlerError, Idl, Mode, Payload, Proxy, Server, ServerHandle, ServerLimits,
};
use anyhow::{Context as _, anyhow};

use super::args::{IdlArgs, ProxyArgs, ServeArgs};
use super::limits::{raise_open_files, start_admin};
use super::watch;
use super::{CliError, fleet};
use crate::mock::{Canned, MockBook, echo_reply_decoded, example_reply};
use anycall_gateway::Health;

/// How the mock server answers: canned replies first, then echo or values
/// built from the IDL.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answers {
    /// Canned replies by method.
    pub(crate) book: Option<MockBook>,
    /// Copy request fields into the result where no canned reply exists.
    pub(crate) echo: bool,
}

/// The mock server's handler (`Value` mode).
#[derive(Debug, Clone)]
pub(crate) struct MockHandler {
    /// A fixed pool, or the provider `--watch` reloads (one snapshot per call).
    pub(crate) idl: Idl,
    pub(crate) answers: Answers,
    pub(crate) options: Options,
}

impl MockHandler {
    fn method<'p>(
        pool: &'p Pool,
        ctx: &Context,
        method: &str,
    ) -> Result<MethodDescriptor<'p>, HandlerError> {
        let service = ctx
            .service()
            .and_then(|s| pool.service(s))
            .ok_or_else(|| HandlerError::new(format!("no service for method `{method}`")))?;
        service
            .method(method)
            .ok_or_else(|| HandlerError::new(format!("no method `{method}`")))
    }

    /// The reply for one call, as `Value`.
    pub(crate) fn answer(
        &self,
        pool: &Pool,
        ctx: &Context,
        method: &str,
        args: Value,
    ) -> Result<Reply<Value>, HandlerError> {
        let m = Self::method(pool, ctx, method)?;
        if let Some(reply) = self
            .answers
            .book
            .as_ref()
            .and_then(|b| b.reply(&m.service().full_name(), method))
        {
            return match reply {
                Canned::Reply(reply) => canned(m, reply, &self.options),
                Canned::BizStatus(biz) => Err(HandlerError::biz_status(biz.clone())),
            };
        }
        Ok(if self.answers.echo {
            echo_reply_decoded(m, args, &self.options)
        } else {
            example_reply(m)
        })
    }
}

/// A canned JSON reply converted under the method's result types.
fn canned(
    m: MethodDescriptor<'_>,
    reply: &Reply<String>,
    opts: &Options,
) -> Result<Reply<Value>, HandlerError> {
    let bad =
        |e: anycall_codec::Error| HandlerError::new(format!("mock reply for `{}`: {e}", m.name()));
    Ok(match reply {
        Reply::Success(json) => match m.returns() {
            Some(ty) => Reply::Success(from_json(ty, json.as_bytes(), opts).map_err(bad)?),
            None => Reply::Void,
        },
        Reply::Void => Reply::Void,
        Reply::Exception { name, value } => {
            let f = m.exceptions().find(|f| f.name() == name).ok_or_else(|| {
                HandlerError::new(format!("`{}` declares no exception `{name}`", m.name()))
            })?;
            Reply::Exception {
                name: name.clone(),
                value: from_json(f.ty(), value.as_bytes(), opts).map_err(bad)?,
            }
        }
        Reply::Application(ex) => Reply::Application(ex.clone()),
    })
}

impl Handler for MockHandler {
    async fn call(
        &self,
        ctx: &mut Context,
        method: &str,
        payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        let Payload::Value(args) = payload else {
            return Err(HandlerError::new("the mock server runs in Value mode"));
        };
        let pool = self.idl.pool();
        // One line per call, at debug only, with the request cut to
        // `MAX_LOGGED_REQUEST` characters.
        if tracing::enabled!(tracing::Level::DEBUG) {
            let m = Self::method(&pool, ctx, method)?;
            let request = cut(to_json_args(m, &args, &self.options), MAX_LOGGED_REQUEST);
            tracing::debug!(
                method = %format!("{}/{method}", ctx.service().unwrap_or("?")),
                transport = %ctx.transport(),
                protocol = %ctx.protocol(),
                peer = %ctx.peer(),
                %request,
                "call"
            );
        }
        let reply = self.answer(&pool, ctx, method, args)?;
        Ok(reply.map(Payload::Value))
    }
}

/// Most characters of a request a debug log line shows.
const MAX_LOGGED_REQUEST: usize = 256;

/// `s` cut to `max` characters, with the length it had.
fn cut(s: String, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s;
    }
    let head: String = s.chars().take(max).collect();
    format!("{head}... ({n} characters)")
}

/// The request as JSON for logs (falls back to the schema-less form).
fn to_json_args(m: MethodDescriptor<'_>, args: &Value, opts: &Options) -> String {
    let single = anycall_codec::call::single_struct_param(m, opts);
    let rendered = match single {
        Some(p) => to_json(p.ty(), args, opts),
        None => Err(anycall_codec::Error::invalid("keyed arguments")),
    };
    rendered.unwrap_or_else(|_| serde_json::to_string(args).unwrap_or_default())
}

/// Starts a mock server with the default bounds.
pub(crate) async fn start_mock(
    idl: impl Into<Idl>,
    answers: Answers,
    options: Options,
    listen: &str,
) -> anyhow::Result<ServerHandle> {
    start_mock_with(
        idl,
        answers,
        options,
        listen,
        ServerLimits::default(),
        Registry::new(),
    )
    .await
}

/// Starts a mock server with `bounds`, counting in `registry`.
async fn start_mock_with(
    idl: impl Into<Idl>,
    answers: Answers,
    options: Options,
    listen: &str,
    bounds: ServerLimits,
    registry: Registry,
) -> anyhow::Result<ServerHandle> {
    let idl = idl.into();
    let mut builder = Server::builder(Mode::Value);
    if let Idl::Pool(pool) = &idl {
        builder = builder.services(pool.services().map(|s| s.full_name()));
    }
    let streams =
        super::stream::stream_server(idl.clone(), answers.book.clone(), answers.echo, options);
    let handler = MockHandler {
        idl: idl.clone(),
        answers,
        options,
    };
    builder
        .streams(streams)
        .idl(idl)
        .limits(crate::cli::args::limits_for(&options))
        .options(options)
        .server_limits(bounds)
        .registry(registry)
        .bind(listen, handler)
        .await
        .with_context(|| format!("cannot serve on {listen}"))
}

/// `; metrics on ADDR/metrics` for a readiness line.
fn admin_note(admin: Option<std::net::SocketAddr>) -> String {
    admin.map_or_else(String::new, |a| {
        format!("; metrics on http://{a}/metrics, health on http://{a}/healthz")
    })
}

pub(crate) async fn serve(a: &ServeArgs) -> Result<(), CliError> {
    #[cfg(feature = "grpc")]
    if super::grpc::is_proto(&a.idl.idl) {
        return super::grpc::serve(a).await;
    }
    raise_open_files();
    // A provider even without --watch, so that SIGHUP can reload the IDL.
    let provider = watch::provider(&a.idl)?;
    let pool = provider.pool();
    let book = match &a.mock {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let book = MockBook::parse(&text).with_context(|| format!("in {}", path.display()))?;
            book.check(&pool)?;
            Some(book)
        }
        None => None,
    };
    let answers = Answers { book, echo: a.echo };
    let methods: usize = pool.services().map(|s| s.methods().count()).sum();
    fleet::check(&a.fleet)?;
    if a.watch {
        watch::spawn(provider.clone());
    }
    let registry = Registry::new();
    let handle = start_mock_with(
        provider.clone(),
        answers,
        a.json.options(),
        &a.listen,
        a.limits.server_limits(),
        registry.clone(),
    )
    .await?;
    let (health, health_rx) = tokio::sync::watch::channel(Health::Serving);
    let admin = start_admin(&a.admin, registry, health_rx).await?;
    let registration = fleet::register(&a.fleet, handle.local_addr()).await?;
    // Signals are caught before the readiness line, so none is lost.
    let mut signals = Signals::new()?;
    println!(
        "serving {methods} method(s) on {} (buffered, framed, ttheader, ttheader-framed, theader; binary and compact; ttheader streaming){}; Ctrl-C stops",
        handle.local_addr(),
        admin_note(admin)
    );
    loop {
        match signals.next_event().await? {
            fleet::Stop::Signal => break,
            fleet::Stop::Report => {}
            fleet::Stop::Reload => {
                watch::reload(&provider);
            }
        }
    }
    health.send_replace(Health::Draining);
    fleet::deregister(registration, a.fleet.drain).await;
    let stats = drain(handle, a.drain.drain_timeout, &mut signals).await;
    health.send_replace(Health::Stopped);
    let stats = stats?;
    tracing::info!(
        "stopped: {} call(s), {} error(s), {} connection(s), {} log line(s) dropped",
        stats.calls,
        stats.errors,
        stats.connections,
        super::dropped_log_lines()
    );
    Ok(())
}

pub(crate) async fn proxy(a: &ProxyArgs) -> Result<(), CliError> {
    fleet::check(&a.fleet)?;
    raise_open_files();
    let bounds = a.limits.server_limits();
    let upstream = anycall_rpc::Client::builder(a.upstream.clone())
        .transport(a.upstream_transport.ping_pong("--upstream-transport grpc: the proxy forwards ping-pong Thrift transports only")?.into())
        .rpc_timeout(a.timeout)
        .failover(a.failover.into())
        .max_idle_per_host(a.upstream_pool)
        .idle_timeout(a.upstream_idle_timeout)
        .max_frame_size(bounds.max_frame_size)
        .build()
        .map_err(|e| CliError::usage(anyhow!(e).context("invalid --upstream")))?;
    let registry = Registry::new();
    let mut builder = Proxy::builder(a.upstream.clone())
        .upstream(upstream.clone())
        .server_limits(bounds)
        .registry(registry.clone());
    let mut provider = None;
    if let Some(path) = &a.idl {
        let idl = IdlArgs {
            idl: path.clone(),
            include: a.include.clone(),
        };
        // A provider even without --watch, so that SIGHUP can reload it.
        let p = watch::provider(&idl)?;
        if a.watch {
            watch::spawn(p.clone());
        }
        builder = builder.idl(p.clone());
        provider = Some(p);
    }
    let handle = builder
        .bind(a.listen.as_str())
        .await
        .map_err(|e| anyhow!(e).context(format!("cannot listen on {}", a.listen)))?;
    let (health, health_rx) = tokio::sync::watch::channel(Health::Serving);
    let admin = start_admin(&a.admin, registry, health_rx).await?;
    let registration = fleet::register(&a.fleet, handle.local_addr()).await?;
    let mut signals = Signals::new()?;
    println!(
        "forwarding {} -> {} ({}){}; Ctrl-C stops",
        handle.local_addr(),
        a.upstream,
        anycall_rpc::Transport::from(a.upstream_transport),
        admin_note(admin)
    );
    loop {
        match signals.next_event().await? {
            fleet::Stop::Signal => break,
            fleet::Stop::Report => {
                super::print_out(&(fleet::report(&handle.stats(), &upstream) + "\n"))?;
            }
            fleet::Stop::Reload => match &provider {
                Some(p) => {
                    watch::reload(p);
                }
                None => tracing::info!("SIGHUP: no --idl to reload"),
            },
        }
    }
    health.send_replace(Health::Draining);
    fleet::deregister(registration, a.fleet.drain).await;
    let stats = drain(handle, a.drain.drain_timeout, &mut signals).await;
    health.send_replace(Health::Stopped);
    let stats = stats?;
    super::print_out(&(fleet::report(&stats, &upstream) + "\n"))?;
    tracing::info!(
        "stopped: {} call(s) forwarded, {} error(s), {} log line(s) dropped",
        stats.calls,
        stats.errors,
        super::dropped_log_lines()
    );
    Ok(())
}

/// How long a stopping server lets calls in flight finish.
#[derive(Debug, clap::Args)]
pub(crate) struct DrainArgs {
    /// On SIGTERM or Ctrl-C, stop accepting and let calls in flight finish
    /// for this long; then close what is left and exit 1. A second signal
    /// exits at once.
    #[arg(long, value_parser = crate::cli::args::parse_duration, default_value = "10s")]
    pub(crate) drain_timeout: Duration,
}

/// Stops `handle` gracefully: calls in flight get up to `deadline`, and a
/// second signal ends the wait at once. Errors (exit 1) when the wait was
/// cut short: the connections still open close as the process exits.
async fn drain(
    handle: ServerHandle,
    deadline: Duration,
    signals: &mut Signals,
) -> Result<anycall_rpc::Stats, CliError> {
    // Through the log writer, which never blocks on an unread stderr.
    tracing::info!(
        "stopping: no new connections; calls in flight have {deadline:?} to finish (a second signal stops at once)"
    );
    let stats = handle.stats();
    tokio::select! {
        () = handle.shutdown() => Ok(stats),
        () = tokio::time::sleep(deadline) => Err(anyhow!(
            "drain timeout of {deadline:?} reached: closing the connections whose calls are unfinished"
        )
        .into()),
        r = signals.next() => {
            r?;
            Err(anyhow!("second signal: closing the open connections at once").into())
        }
    }
}

/// SIGTERM and Ctrl-C (SIGINT), each delivered as often as it arrives.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    usr1: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate()).context("cannot wait for SIGTERM")?,
                int: signal(SignalKind::interrupt()).context("cannot wait for SIGINT")?,
                usr1: signal(SignalKind::user_defined1()).context("cannot wait for SIGUSR1")?,
                hup: signal(SignalKind::hangup()).context("cannot wait for SIGHUP")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for the next SIGTERM or SIGINT ([`fleet::Stop::Signal`]),
    /// SIGUSR1 ([`fleet::Stop::Report`]) or SIGHUP ([`fleet::Stop::Reload`]).
    async fn next_event(&mut self) -> anyhow::Result<fleet::Stop> {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => Ok(fleet::Stop::Signal),
            _ = self.int.recv() => Ok(fleet::Stop::Signal),
            _ = self.usr1.recv() => Ok(fleet::Stop::Report),
            _ = self.hup.recv() => Ok(fleet::Stop::Reload),
        }
        #[cfg(not(unix))]
        self.next().await.map(|()| fleet::Stop::Signal)
    }

    /// Waits for the next SIGTERM or SIGINT.
    async fn next(&mut self) -> anyhow::Result<()> {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        Ok(())
    }
}

/// Ctrl-C or SIGTERM.
pub(crate) async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("cannot wait for Ctrl-C")?,
        () = term => {}
    }
    Ok(())
}
