//! Prometheus text-format metrics: counters, labelled counters, gauges and
//! histograms in a [`Registry`], with a small admin server for
//! `GET /metrics`. Nothing here knows about the gateway, so any anycall
//! server can count with it.
//!
//! ```
//! use anycall_gateway::metrics::{Counter, Registry};
//!
//! let registry = Registry::new();
//! let calls = registry.register(Counter::new("calls_total", "Calls made."));
//! calls.inc();
//! assert!(registry.render().contains("calls_total 1\n"));
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One metric family that renders itself in the text format.
pub trait Metric: Send + Sync + 'static {
    /// Appends `# HELP`, `# TYPE` and the samples.
    fn render(&self, out: &mut String);
}

/// A list of metrics rendered together.
#[derive(Default, Clone)]
pub struct Registry {
    metrics: Arc<Mutex<Vec<Arc<dyn Metric>>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a metric and returns it shared.
    pub fn register<M: Metric>(&self, metric: M) -> Arc<M> {
        let metric = Arc::new(metric);
        self.metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(metric.clone());
        metric
    }

    /// The text exposition of every metric (format version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for m in self
            .metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            m.render(&mut out);
        }
        out
    }
}

fn head(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A counter that only goes up.
#[derive(Debug)]
pub struct Counter {
    name: &'static str,
    help: &'static str,
    value: AtomicU64,
}

impl Counter {
    /// A counter at zero.
    pub fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            value: AtomicU64::new(0),
        }
    }

    /// Adds one.
    pub fn inc(&self) {
        self.value.fetch_add(1, Ordering::Relaxed);
    }

    /// The value.
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl Metric for Counter {
    fn render(&self, out: &mut String) {
        head(out, self.name, self.help, "counter");
        let _ = writeln!(out, "{} {}", self.name, self.get());
    }
}

/// A gauge (goes up and down).
#[derive(Debug)]
pub struct Gauge {
    name: &'static str,
    help: &'static str,
    value: AtomicI64,
}

impl Gauge {
    /// A gauge at zero.
    pub fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            value: AtomicI64::new(0),
        }
    }

    /// Adds `n` (negative to lower it).
    pub fn add(&self, n: i64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    /// The value.
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl Metric for Gauge {
    fn render(&self, out: &mut String) {
        head(out, self.name, self.help, "gauge");
        let _ = writeln!(out, "{} {}", self.name, self.get());
    }
}

/// Counters by the value of one label.
#[derive(Debug)]
pub struct CounterVec {
    name: &'static str,
    help: &'static str,
    label: &'static str,
    values: Mutex<BTreeMap<String, u64>>,
}

impl CounterVec {
    /// An empty family with label `label`.
    pub fn new(name: &'static str, help: &'static str, label: &'static str) -> Self {
        Self {
            name,
            help,
            label,
            values: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds one to the counter of `value`.
    pub fn inc(&self, value: &str) {
        let mut v = self.values.lock().unwrap_or_else(|e| e.into_inner());
        match v.get_mut(value) {
            Some(n) => *n += 1,
            None => {
                v.insert(value.to_owned(), 1);
            }
        }
    }

    /// The counter of `value`.
    pub fn get(&self, value: &str) -> u64 {
        self.values
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(value)
            .copied()
            .unwrap_or(0)
    }
}

impl Metric for CounterVec {
    fn render(&self, out: &mut String) {
        head(out, self.name, self.help, "counter");
        for (k, n) in self.values.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let k = k.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(out, "{}{{{}=\"{k}\"}} {n}", self.name, self.label);
        }
    }
}

/// Default histogram bounds in seconds: 50 µs to 10 s.
pub const DEFAULT_BUCKETS: [f64; 14] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 10.0,
];

/// A histogram of durations in seconds with fixed buckets.
#[derive(Debug)]
pub struct Histogram {
    name: &'static str,
    help: &'static str,
    bounds: Vec<f64>,
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// A histogram with [`DEFAULT_BUCKETS`].
    pub fn new(name: &'static str, help: &'static str) -> Self {
        Self::with_buckets(name, help, &DEFAULT_BUCKETS)
    }

    /// A histogram with these upper bounds (seconds, ascending).
    pub fn with_buckets(name: &'static str, help: &'static str, bounds: &[f64]) -> Self {
        Self {
            name,
            help,
            bounds: bounds.to_vec(),
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = self.bounds.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Durations recorded.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

impl Metric for Histogram {
    fn render(&self, out: &mut String) {
        head(out, self.name, self.help, "histogram");
        let mut cumulative = 0;
        for (b, n) in self.bounds.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{}_bucket{{le=\"{b}\"}} {cumulative}", self.name);
        }
        let count = self.count();
        let _ = writeln!(out, "{}_bucket{{le=\"+Inf\"}} {count}", self.name);
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{}_sum {sum}", self.name);
        let _ = writeln!(out, "{}_count {count}", self.name);
    }
}
