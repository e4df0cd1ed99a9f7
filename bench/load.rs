//! The load loop of the benchmark's baseline clients (the Volo codegen
//! client in `interop/volo-peer` and the raw TCP echo in `bench/rawecho`),
//! measured the way `anycall bench` measures: C tasks on the same tokio
//! runtime, each timing one call after another until a shared count or a
//! deadline, latencies of successful calls only, QPS over every finished
//! call. It prints the same JSON fields as `anycall bench --output json`.
//!
//! Latencies are kept exactly (one `u32` of microseconds per call) and
//! sorted at the end, instead of in an HdrHistogram: the difference is below
//! the histogram's 3 significant digits.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When the workers stop.
#[derive(Debug, Clone, Copy)]
pub enum Stop {
    /// After this many calls in all.
    Requests(u64),
    /// After this long.
    Duration(Duration),
}

impl Stop {
    /// `--requests N` or `--duration D` (`D` as `500ms`, `3s` or `1m`),
    /// 200 requests when neither is given.
    pub fn from_args(requests: Option<&str>, duration: Option<&str>) -> Result<Self, String> {
        match (requests, duration) {
            (Some(_), Some(_)) => Err("give --requests or --duration, not both".into()),
            (Some(n), None) => n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .map(Stop::Requests)
                .ok_or_else(|| format!("--requests: expected a positive count, found {n:?}")),
            (None, Some(d)) => parse_duration(d).map(Stop::Duration),
            (None, None) => Ok(Stop::Requests(200)),
        }
    }
}

/// `500ms`, `3s`, `1m`, or a number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let at = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(at);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("expected a duration like 500ms, 3s or 1m, found {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit in {s:?} (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s:?} is not a positive duration"))
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

/// Runs `concurrency` tasks until `stop`, then returns the report as one
/// line of JSON (the fields of `anycall bench --output json`).
///
/// `make(i)` gives worker `i` its call function, which makes one call;
/// `Err` carries a message for the report.
pub async fn run<M, F, Fut>(label: &str, concurrency: usize, stop: Stop, make: M) -> String
where
    M: Fn(usize) -> F,
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let start = Instant::now();
    let deadline = match stop {
        Stop::Duration(d) => start + d,
        Stop::Requests(_) => start,
    };
    let tickets = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|i| {
            let (call, tickets) = (make(i), tickets.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                loop {
                    let more = match stop {
                        Stop::Requests(n) => tickets.fetch_add(1, Ordering::Relaxed) < n,
                        Stop::Duration(_) => Instant::now() < deadline,
                    };
                    if !more {
                        break;
                    }
                    let begin = Instant::now();
                    let result = call().await;
                    let micros = u32::try_from(begin.elapsed().as_micros()).unwrap_or(u32::MAX);
                    match result {
                        Ok(()) => tally.latencies.push(micros.max(1)),
                        Err(e) => {
                            tally.errors += 1;
                            tally.first_error.get_or_insert(e);
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let (mut errors, mut first_error) = (0u64, None);
    for w in workers {
        let tally = w.await.expect("a load worker panicked");
        latencies.extend(tally.latencies);
        errors += tally.errors;
        if first_error.is_none() {
            first_error = tally.first_error;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let ok = latencies.len() as u64;
    let requests = ok + errors;
    let at = |q: f64| -> u64 {
        if latencies.is_empty() {
            return 0;
        }
        let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        u64::from(latencies[rank - 1])
    };
    let mean = if latencies.is_empty() {
        0.0
    } else {
        latencies.iter().map(|&l| f64::from(l)).sum::<f64>() / latencies.len() as f64
    };
    let mut line = format!(
        "{{\"target\":\"{label}\",\"concurrency\":{concurrency},\"requests\":{requests},\"ok\":{ok},\
         \"errors\":{errors},\"elapsed_s\":{elapsed},\"qps\":{},\"mean_us\":{mean},\
         \"min_us\":{},\"p50_us\":{},\"p90_us\":{},\"p99_us\":{},\"p999_us\":{},\"max_us\":{}",
        requests as f64 / elapsed,
        at(0.0),
        at(0.50),
        at(0.90),
        at(0.99),
        at(0.999),
        at(1.0),
    );
    if let Some(e) = first_error {
        line.push_str(",\"first_error\":\"");
        for c in e.chars() {
            match c {
                '"' => line.push_str("\\\""),
                '\\' => line.push_str("\\\\"),
                c if c.is_control() => line.push(' '),
                c => line.push(c),
            }
        }
        line.push('"');
    }
    line.push('}');
    line
}
