//! `anycall bench`: a load generator over [`anycall_rpc::Client`], like ghz.
//!
//! ```text
//! plan (IDL, method, JSON checked by encoding it once) -> one probe call (fails fast)
//!   -> C workers, each: { ticket or deadline -> [wait for a connection slot]
//!        -> call in the chosen mode -> latency into the worker's buffer }
//!   -> report (text or one JSON object)
//! ```
//!
//! Every worker loop ends by count (`--requests`, one shared ticket counter)
//! or by deadline (`--duration`); each call is bounded by the RPC timeout.
//! Latencies, in microseconds and only for calls that succeeded, are
//! buffered per worker and added to one HdrHistogram (3 significant digits)
//! every [`FLUSH`] calls: no lock on the hot path, and memory that does not
//! grow with the concurrency. QPS counts every finished call.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anycall_codec::Value;
use anycall_codec::call::{self, Reply};
use anycall_idl::Pool;
use anycall_rpc::{Client, Error};
use anyhow::{Context as _, anyhow};
use bytes::{Bytes, BytesMut};
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;

use super::CliError;
use super::args::{BenchArgs, BenchMode, Output};
use super::describe::load;
use super::input::{addr_and_method, find_method, read_data};

/// Calls made when neither `--requests` nor `--duration` is given (ghz's default).
const DEFAULT_REQUESTS: u64 = 200;
/// Largest latency the histogram holds: one hour, in microseconds.
const MAX_LATENCY_US: u64 = 3_600_000_000;
/// Latencies a worker buffers before adding them to the histogram.
const FLUSH: usize = 1024;

/// When the workers stop.
#[derive(Debug, Clone, Copy)]
enum Stop {
    /// After this many calls in all.
    Requests(u64),
    /// After this long.
    Duration(Duration),
}

/// What each call sends, prepared once.
#[derive(Debug)]
enum Work {
    /// The JSON text, transcoded on every call.
    Json(Vec<u8>),
    /// The arguments as a `Value`, encoded on every call.
    Value(Value),
    /// A whole CALL message, sent as is with a new seq id.
    Binary(Bytes),
}

/// `bench`'s arguments, checked.
#[derive(Debug)]
struct Plan {
    addr: String,
    service: String,
    method: String,
    pool: Pool,
    work: Arc<Work>,
    stop: Stop,
    concurrency: usize,
    connections: usize,
}

fn plan(a: &BenchArgs) -> Result<Plan, CliError> {
    let (addr, service, method) = addr_and_method(&a.positional)?;
    if a.concurrency == 0 {
        return Err(CliError::usage(anyhow!("--concurrency must be at least 1")));
    }
    if a.connections == Some(0) {
        return Err(CliError::usage(anyhow!("--connections must be at least 1")));
    }
    let stop = match (a.requests, a.duration) {
        (Some(0), _) => return Err(CliError::usage(anyhow!("--requests must be at least 1"))),
        (_, Some(d)) if d.is_zero() => {
            return Err(CliError::usage(anyhow!(
                "--duration must be greater than zero"
            )));
        }
        (Some(n), _) => Stop::Requests(n),
        (None, Some(d)) => Stop::Duration(d),
        (None, None) => Stop::Requests(DEFAULT_REQUESTS),
    };
    let pool = load(&a.idl)?;
    let (svc, desc) = find_method(&pool, &service, &method)?;
    if desc.is_oneway() {
        return Err(anyhow!("`{service}/{method}` is oneway: there is no reply to time").into());
    }

    // Encoding once checks the JSON against the IDL before any connection.
    let json = read_data(Some(&a.data))?;
    let protocol = a.client.protocol.into();
    let options = a.json.options();
    let mut message = BytesMut::new();
    call::encode_call_json(desc, &json, 0, protocol, &options, &mut message)
        .context("invalid arguments")?;
    let work = match a.mode {
        BenchMode::Json => Work::Json(compact(&json)),
        BenchMode::Binary => Work::Binary(message.freeze()),
        BenchMode::Value => {
            let limits = a.json.limits();
            let envelope = call::read_envelope(&message, protocol, &limits)
                .context("reading back the encoded call")?;
            let value = call::decode_args_value(
                desc,
                &message[envelope.body..],
                protocol,
                &options,
                &limits,
            )
            .context("converting the arguments to a value")?;
            Work::Value(value)
        }
    };
    let service = svc.full_name();
    Ok(Plan {
        addr,
        service,
        method,
        pool: pool.clone(),
        work: Arc::new(work),
        stop,
        concurrency: a.concurrency,
        connections: a.connections.unwrap_or(a.concurrency),
    })
}

/// Why a call did not succeed, as a short label.
fn error_kind(e: &Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_application() {
        "application"
    } else if e.is_biz_status() {
        "biz_status"
    } else if e.is_io() {
        "io"
    } else if e.is_protocol() {
        "protocol"
    } else if e.is_codec() {
        "codec"
    } else {
        "other"
    }
}

/// Why one call failed; rendered only for the first of each kind.
enum Failure {
    Rpc(Error),
    Declared(String),
}

impl Failure {
    fn kind(&self) -> &'static str {
        match self {
            Failure::Rpc(e) => error_kind(e),
            Failure::Declared(_) => "exception",
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Rpc(e) => format!("{e:#}"),
            Failure::Declared(name) => format!("declared exception `{name}`"),
        }
    }
}

/// A reply that is a declared exception counts as a failure.
fn settled<T>(reply: Result<Reply<T>, Error>) -> Result<(), Failure> {
    match reply.map_err(Failure::Rpc)? {
        Reply::Exception { name, .. } => Err(Failure::Declared(name)),
        _ => Ok(()),
    }
}

/// One call in the plan's mode.
async fn call_once(client: &Client, method: &str, work: &Work) -> Result<(), Failure> {
    match work {
        Work::Json(args) => settled(client.call_json(method, args).await),
        Work::Value(args) => settled(client.call_value(method, args).await),
        Work::Binary(message) => client
            .call_binary(message.clone())
            .await
            .map(drop)
            .map_err(Failure::Rpc),
    }
}

/// What one worker saw.
#[derive(Debug)]
struct Tally {
    ok: u64,
    errors: BTreeMap<&'static str, u64>,
    /// The first message of each error kind, for the report.
    samples: BTreeMap<&'static str, String>,
}

impl Tally {
    fn new() -> Self {
        Self {
            ok: 0,
            errors: BTreeMap::new(),
            samples: BTreeMap::new(),
        }
    }

    fn merge(&mut self, other: Self) {
        self.ok += other.ok;
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        for (kind, message) in other.samples {
            self.samples.entry(kind).or_insert(message);
        }
    }

    fn failed(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Shared by the workers: what stops them and how far they got.
#[derive(Debug)]
struct Control {
    stop: Stop,
    deadline: Instant,
    tickets: AtomicU64,
    done: AtomicU64,
    /// Limits calls in flight to `--connections` when that is below
    /// `--concurrency`.
    slots: Option<Semaphore>,
    /// Whether `done` is kept (for the progress bar).
    counting: bool,
    /// Latencies of successful calls, in microseconds.
    latency: Mutex<Histogram<u64>>,
}

impl Control {
    /// Whether a worker may start another call.
    fn next(&self) -> bool {
        match self.stop {
            Stop::Requests(n) => self.tickets.fetch_add(1, Ordering::Relaxed) < n,
            Stop::Duration(_) => Instant::now() < self.deadline,
        }
    }

    /// Adds buffered latencies to the histogram and empties the buffer.
    fn flush(&self, pending: &mut Vec<u64>) {
        let mut h = self
            .latency
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for &us in pending.iter() {
            h.saturating_record(us);
        }
        pending.clear();
    }
}

async fn worker(
    client: Client,
    method: Arc<str>,
    work: Arc<Work>,
    control: Arc<Control>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::new();
    let mut pending = Vec::with_capacity(FLUSH);
    while control.next() {
        let start = Instant::now();
        let slot = match &control.slots {
            Some(slots) => Some(slots.acquire().await?),
            None => None,
        };
        let result = call_once(&client, &method, &work).await;
        drop(slot);
        let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        match result {
            Ok(()) => {
                tally.ok += 1;
                pending.push(micros.max(1));
                if pending.len() == FLUSH {
                    control.flush(&mut pending);
                }
            }
            Err(failure) => {
                let kind = failure.kind();
                *tally.errors.entry(kind).or_default() += 1;
                tally
                    .samples
                    .entry(kind)
                    .or_insert_with(|| failure.message());
            }
        }
        if control.counting {
            control.done.fetch_add(1, Ordering::Relaxed);
        }
    }
    control.flush(&mut pending);
    Ok(tally)
}

/// A progress bar on a terminal, nothing otherwise.
fn progress(stop: Stop) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (len, template) = match stop {
        Stop::Requests(n) => (n, "{bar:40} {pos}/{len} calls, {elapsed}"),
        Stop::Duration(d) => (
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            "{bar:40} {msg} calls, {elapsed}",
        ),
    };
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// The report: counts, rate and latency percentiles.
#[derive(Debug, serde::Serialize)]
struct Report {
    target: String,
    addr: String,
    mode: &'static str,
    transport: String,
    concurrency: usize,
    connections: usize,
    /// Calls finished (succeeded or failed).
    requests: u64,
    /// Calls that succeeded.
    ok: u64,
    /// Calls that failed, by any kind.
    errors: u64,
    error_kinds: BTreeMap<&'static str, u64>,
    elapsed_s: f64,
    qps: f64,
    mean_us: f64,
    min_us: u64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    p999_us: u64,
    max_us: u64,
}

fn report(
    a: &BenchArgs,
    plan: &Plan,
    tally: &Tally,
    h: &Histogram<u64>,
    elapsed: Duration,
) -> Report {
    let requests = tally.ok + tally.failed();
    let secs = elapsed.as_secs_f64();
    let (q, empty) = (|p: f64| h.value_at_quantile(p), h.is_empty());
    Report {
        target: format!("{}/{}", plan.service, plan.method),
        addr: plan.addr.clone(),
        mode: match a.mode {
            BenchMode::Json => "json",
            BenchMode::Value => "value",
            BenchMode::Binary => "binary",
        },
        transport: anycall_rpc::Transport::from(a.client.transport).to_string(),
        concurrency: plan.concurrency,
        connections: plan.connections,
        requests,
        ok: tally.ok,
        errors: tally.failed(),
        error_kinds: tally.errors.clone(),
        elapsed_s: secs,
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        qps: if secs > 0.0 {
            requests as f64 / secs
        } else {
            0.0
        },
        mean_us: if empty { 0.0 } else { h.mean() },
        min_us: if empty { 0 } else { h.min() },
        p50_us: q(0.50),
        p90_us: q(0.90),
        p99_us: q(0.99),
        p999_us: q(0.999),
        max_us: h.max(),
    }
}

fn ms(us: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // latencies far below 2^52 µs
    let ms = us as f64 / 1000.0;
    format!("{ms:.2} ms")
}

fn render_text(r: &Report, samples: &BTreeMap<&'static str, String>) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "{} on {} ({} mode, {}), concurrency {}, connections {}",
        r.target, r.addr, r.mode, r.transport, r.concurrency, r.connections
    ));
    line(String::new());
    line("Summary:".to_owned());
    line(format!("  Count:        {}", r.requests));
    line(format!("  Total:        {:.2} s", r.elapsed_s));
    line(format!("  Requests/sec: {:.1}", r.qps));
    line(format!("  OK:           {}", r.ok));
    line(format!("  Errors:       {}", r.errors));
    line(String::new());
    line("Latency (successful calls):".to_owned());
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // rounding a mean
    let mean = r.mean_us.round() as u64;
    for (name, us) in [
        ("min", r.min_us),
        ("mean", mean),
        ("p50", r.p50_us),
        ("p90", r.p90_us),
        ("p99", r.p99_us),
        ("p99.9", r.p999_us),
        ("max", r.max_us),
    ] {
        line(format!("  {name:<6} {:>12}", ms(us)));
    }
    if !r.error_kinds.is_empty() {
        line(String::new());
        line("Errors by kind:".to_owned());
        for (kind, n) in &r.error_kinds {
            let sample = samples.get(kind).map_or("", String::as_str);
            line(format!("  {kind:<12} {n:>8}  e.g. {sample}"));
        }
    }
    out
}

pub(crate) async fn bench(a: &BenchArgs) -> Result<(), CliError> {
    #[cfg(feature = "grpc")]
    if super::grpc::is_proto(&a.idl.idl) {
        return super::grpc_bench::bench(a).await;
    }
    if let Ok((addr, service, method)) = addr_and_method(&a.positional)
        && let Ok(pool) = load(&a.idl)
        && let Ok((svc, m)) = find_method(&pool, &service, &method)
        && m.streaming().is_streaming()
    {
        let service = svc.full_name();
        return super::stream::bench(a, &addr, &pool, &service, &method).await;
    }
    a.client
        .transport
        .ping_pong("bench --transport grpc measures streaming methods only (streaming.mode)")
        .map_err(CliError::usage)?;
    let plan = plan(a)?;
    let client = a
        .client
        .builder(&plan.addr, &a.json)
        .idl(plan.pool.clone())
        .service(plan.service.clone())
        .max_idle_per_host(plan.connections)
        .build()
        .context("invalid client settings")?;
    let method: Arc<str> = Arc::from(plan.method.as_str());
    let work = plan.work.clone();

    // One call first: an unreachable server or a failing method is reported
    // at once instead of as a run of errors.
    call_once(&client, &method, &work)
        .await
        .map_err(|f| anyhow!("the first call failed ({}): {}", f.kind(), f.message()))?;

    let slots = (plan.connections < plan.concurrency).then(|| Semaphore::new(plan.connections));
    let bar = progress(plan.stop);
    let start = Instant::now();
    let control = Arc::new(Control {
        stop: plan.stop,
        deadline: match plan.stop {
            Stop::Duration(d) => start + d,
            Stop::Requests(_) => start,
        },
        tickets: AtomicU64::new(0),
        done: AtomicU64::new(0),
        slots,
        counting: !bar.is_hidden(),
        latency: Mutex::new(Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?),
    });
    let workers: Vec<_> = (0..plan.concurrency)
        .map(|_| {
            tokio::spawn(worker(
                client.clone(),
                method.clone(),
                work.clone(),
                control.clone(),
            ))
        })
        .collect();

    let ticker = (!bar.is_hidden()).then(|| {
        let (bar, control) = (bar.clone(), control.clone());
        tokio::spawn(async move {
            loop {
                let done = control.done.load(Ordering::Relaxed);
                match control.stop {
                    Stop::Requests(_) => bar.set_position(done),
                    Stop::Duration(_) => {
                        bar.set_position(u64::try_from(start.elapsed().as_millis()).unwrap_or(0));
                        bar.set_message(done.to_string());
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });

    let mut total = Tally::new();
    for w in workers {
        total.merge(w.await.context("a worker stopped")??);
    }
    let elapsed = start.elapsed();
    if let Some(t) = ticker {
        t.abort();
    }
    bar.finish_and_clear();

    let latency = control
        .latency
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let r = report(a, &plan, &total, &latency, elapsed);
    match a.output {
        Output::Json => super::print_out(&format!("{}\n", serde_json::to_string(&r)?))?,
        Output::Text => super::print_out(&render_text(&r, &total.samples))?,
    }
    if r.ok == 0 {
        return Err(anyhow!("no call succeeded").into());
    }
    Ok(())
}

/// `json` without the whitespace between its tokens (strings kept as they
/// are): a file written for people becomes the text a client would send.
/// The text is valid JSON (it was encoded once already).
fn compact(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn compact_drops_whitespace_between_tokens_only() {
        let text = br#"{
  "a b": [1, 2 ,	3],
  "q": "say \"hi there\" \\",
  "n": { "x" : null }
}"#;
        let out = compact(text);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"a b":[1,2,3],"q":"say \"hi there\" \\","n":{"x":null}}"#
        );
        let a: serde_json::Value = serde_json::from_slice(text).unwrap();
        let b: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(a, b);
    }
}
