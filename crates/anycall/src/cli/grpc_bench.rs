//! `anycall bench --idl x.proto`: gRPC unary load, like ghz.
//!
//! ```text
//! plan (.proto, method, JSON checked by encoding it once) -> one probe call
//!   -> C workers over N HTTP/2 connections (default 1, as ghz), each:
//!        { ticket or deadline -> unary call in the chosen mode -> latency }
//!   -> report (text or one JSON object, the fields of the Thrift bench)
//! ```
//!
//! Modes: `json` sends the JSON text and gets JSON back (transcoded on every
//! call, both ways), `value` a dynamic message (encoded on every call, the
//! reply decoded to one), `binary` protobuf bytes encoded once (the reply is
//! not decoded). Latencies of successful calls are kept exactly, one `u32`
//! of microseconds per call, and sorted once at the end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anycall_codec::proto::{ProtoOptions, json_to_bytes, json_to_message};
use anycall_rpc::Payload;
use anycall_rpc::grpc::{CallKind, GrpcClient, GrpcMode, MetadataMap, Status};
use anyhow::{Context as _, anyhow};

use super::CliError;
use super::args::{BenchArgs, BenchMode, Output};
use super::input::{addr_and_method, read_data};

/// Calls made when neither `--requests` nor `--duration` is given (ghz's default).
const DEFAULT_REQUESTS: u64 = 200;

/// The report, with the fields of the Thrift bench's `--output json`.
#[derive(Debug, serde::Serialize)]
struct Report {
    target: String,
    addr: String,
    mode: &'static str,
    transport: &'static str,
    concurrency: usize,
    connections: usize,
    requests: u64,
    ok: u64,
    errors: u64,
    error_kinds: BTreeMap<String, u64>,
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

/// What one worker saw.
#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<u32>,
    errors: BTreeMap<String, u64>,
    first_error: Option<String>,
}

/// `bench` for a `.proto` method.
pub(crate) async fn bench(a: &BenchArgs) -> Result<(), CliError> {
    let (addr, service, method) = addr_and_method(&a.positional)?;
    if a.concurrency == 0 {
        return Err(CliError::usage(anyhow!("--concurrency must be at least 1")));
    }
    let connections = a.connections.unwrap_or(1);
    if connections == 0 {
        return Err(CliError::usage(anyhow!("--connections must be at least 1")));
    }
    let pool = super::grpc::load_proto(&a.idl.idl, &a.idl.include)?;
    let desc = anycall_rpc::grpc::find_method(&pool, &service, &method)
        .map_err(|s| CliError::from(anyhow!("{}", s.message())))?;
    if CallKind::of(&desc) != CallKind::Unary {
        return Err(CliError::usage(anyhow!(
            "bench times unary gRPC methods; {} is {}",
            desc.full_name(),
            CallKind::of(&desc).name()
        )));
    }
    let options = ProtoOptions {
        ignore_unknown: a.json.lenient,
        ..ProtoOptions::default()
    };
    let json = read_data(Some(&a.data))?;
    let bytes = json_to_bytes(&desc.input(), &json, &options).context("invalid request")?;
    let (mode, payload, mode_name) = match a.mode {
        BenchMode::Json => {
            // The text a client would send: without the file's whitespace.
            let v: serde_json::Value = serde_json::from_slice(&json).context("invalid JSON")?;
            (GrpcMode::Json, Payload::Json(v.to_string()), "json")
        }
        BenchMode::Value => (
            GrpcMode::Dynamic,
            Payload::Proto(
                json_to_message(&desc.input(), &json, &options).context("invalid request")?,
            ),
            "value",
        ),
        BenchMode::Binary => (GrpcMode::Binary, Payload::Binary(bytes.into()), "binary"),
    };
    let path = format!("/{}/{}", desc.parent_service().full_name(), desc.name());
    let clients = (0..connections)
        .map(|_| {
            GrpcClient::builder(addr.clone())
                .idl(pool.clone())
                .mode(mode)
                .options(options)
                .timeout(a.client.timeout)
                .connect_timeout(a.client.connect_timeout)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .context("invalid client settings")?;
    // One call first: an unreachable server or a failing method is reported
    // at once instead of as a run of errors.
    clients[0]
        .unary(&path, MetadataMap::new(), payload.clone())
        .await
        .map_err(|s| {
            anyhow!(
                "the first call of {path} failed: {:?}: {}",
                s.code(),
                s.message()
            )
        })?;

    let stop_after = match (a.requests, a.duration) {
        (Some(0), _) => return Err(CliError::usage(anyhow!("--requests must be at least 1"))),
        (Some(n), _) => Some(n),
        (None, Some(_)) => None,
        (None, None) => Some(DEFAULT_REQUESTS),
    };
    let started = Instant::now();
    let deadline = a.duration.map(|d| started + d);
    let tickets = Arc::new(AtomicU64::new(0));
    let path: Arc<str> = Arc::from(path);
    let mut tasks = Vec::with_capacity(a.concurrency);
    for i in 0..a.concurrency {
        let client = clients[i % clients.len()].clone();
        let (payload, path, tickets) = (payload.clone(), path.clone(), tickets.clone());
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                let go = match (stop_after, deadline) {
                    (Some(n), _) => tickets.fetch_add(1, Ordering::Relaxed) < n,
                    (None, Some(at)) => Instant::now() < at,
                    (None, None) => false,
                };
                if !go {
                    break;
                }
                let t = Instant::now();
                match client
                    .unary(&path, MetadataMap::new(), payload.clone())
                    .await
                {
                    Ok(_) => tally.latencies.push(
                        u32::try_from(t.elapsed().as_micros())
                            .unwrap_or(u32::MAX)
                            .max(1),
                    ),
                    Err(status) => failed(&mut tally, &status),
                }
            }
            tally
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let t = task.await.context("a bench worker failed")?;
        total.latencies.extend(t.latencies);
        for (k, n) in t.errors {
            *total.errors.entry(k).or_default() += n;
        }
        total.first_error = total.first_error.or(t.first_error);
    }
    let elapsed = started.elapsed();
    let r = report(
        &addr,
        &path,
        mode_name,
        a.concurrency,
        connections,
        &mut total,
        elapsed,
    );
    match a.output {
        Output::Json => super::print_out(&format!("{}\n", serde_json::to_string(&r)?))?,
        Output::Text => super::print_out(&render_text(&r, total.first_error.as_deref()))?,
    }
    if r.ok == 0 {
        return Err(anyhow!("no call succeeded").into());
    }
    Ok(())
}

fn failed(tally: &mut Tally, status: &Status) {
    *tally
        .errors
        .entry(format!("{:?}", status.code()))
        .or_default() += 1;
    if tally.first_error.is_none() {
        tally.first_error = Some(format!("{:?}: {}", status.code(), status.message()));
    }
}

fn report(
    addr: &str,
    path: &str,
    mode: &'static str,
    concurrency: usize,
    connections: usize,
    tally: &mut Tally,
    elapsed: Duration,
) -> Report {
    tally.latencies.sort_unstable();
    let l = &tally.latencies;
    let ok = l.len() as u64;
    let errors: u64 = tally.errors.values().sum();
    let q = |p: f64| -> u64 {
        if l.is_empty() {
            return 0;
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )] // an index below l.len()
        let i = ((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1;
        u64::from(l[i])
    };
    let secs = elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let (qps, mean) = (
        if secs > 0.0 {
            (ok + errors) as f64 / secs
        } else {
            0.0
        },
        if l.is_empty() {
            0.0
        } else {
            l.iter().map(|&x| u64::from(x)).sum::<u64>() as f64 / l.len() as f64
        },
    );
    Report {
        target: path.trim_start_matches('/').to_owned(),
        addr: addr.to_owned(),
        mode,
        transport: "grpc",
        concurrency,
        connections,
        requests: ok + errors,
        ok,
        errors,
        error_kinds: tally.errors.clone(),
        elapsed_s: secs,
        qps,
        mean_us: mean,
        min_us: q(0.0),
        p50_us: q(0.50),
        p90_us: q(0.90),
        p99_us: q(0.99),
        p999_us: q(0.999),
        max_us: q(1.0),
    }
}

fn render_text(r: &Report, first_error: Option<&str>) -> String {
    #[allow(clippy::cast_precision_loss)] // latencies far below 2^52 µs
    let ms = |us: u64| format!("{:.2} ms", us as f64 / 1000.0);
    let mut out = format!(
        "{} on {} (gRPC, {} mode), concurrency {}, connections {}\n\
         {} calls in {:.2} s: {:.0} calls/s, {} ok, {} failed\n\
         latency: min {}, p50 {}, p90 {}, p99 {}, p99.9 {}, max {}\n",
        r.target,
        r.addr,
        r.mode,
        r.concurrency,
        r.connections,
        r.requests,
        r.elapsed_s,
        r.qps,
        r.ok,
        r.errors,
        ms(r.min_us),
        ms(r.p50_us),
        ms(r.p90_us),
        ms(r.p99_us),
        ms(r.p999_us),
        ms(r.max_us)
    );
    for (kind, n) in &r.error_kinds {
        out.push_str(&format!("  {kind}: {n}\n"));
    }
    if let Some(e) = first_error {
        out.push_str(&format!("first error: {e}\n"));
    }
    out
}
