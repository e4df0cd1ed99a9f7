//! Prometheus text-format metrics: counters, labelled counters, gauges and
//! histograms in a [`Registry`]. The Thrift servers and the HTTP gateway
//! count with it; `anycall_gateway::serve_admin` serves a registry at
//! `GET /metrics`.
//!
//! ```
//! use anycall_rpc::metrics::{Counter, Registry};
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

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.value.fetch_add(n, Ordering::Relaxed);
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

    /// Sets the value.
    pub fn set(&self, n: i64) {
        self.value.store(n, Ordering::Relaxed);
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

/// Counters by the values of one or more labels.
#[derive(Debug)]
pub struct CounterVec {
    name: &'static str,
    help: &'static str,
    labels: Vec<&'static str>,
    /// Label values joined by [`SEPARATOR`].
    values: Mutex<BTreeMap<String, u64>>,
    max_series: usize,
}

/// Default [`CounterVec::max_series`]: 1,000.
pub const DEFAULT_MAX_SERIES: usize = 1000;

/// The label value of every series past [`CounterVec::max_series`].
pub const OTHER: &str = "_other";

/// Joins label values in a [`CounterVec`] key (a control character no
/// label value of ours holds).
const SEPARATOR: char = '\u{1f}';

fn key(values: &[&str]) -> String {
    let mut k = String::with_capacity(values.iter().map(|v| v.len() + 1).sum());
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            k.push(SEPARATOR);
        }
        k.push_str(v);
    }
    k
}

impl CounterVec {
    /// An empty family with label `label`.
    pub fn new(name: &'static str, help: &'static str, label: &'static str) -> Self {
        Self::with_labels(name, help, &[label])
    }

    /// An empty family with these labels, in this order.
    pub fn with_labels(name: &'static str, help: &'static str, labels: &[&'static str]) -> Self {
        Self {
            name,
            help,
            labels: labels.to_vec(),
            values: Mutex::new(BTreeMap::new()),
            max_series: DEFAULT_MAX_SERIES,
        }
    }

    /// Most series kept: past them, new label values are counted in one
    /// series whose labels are all [`OTHER`], so values a peer chooses
    /// (method names) cannot grow the family without bound. Default
    /// [`DEFAULT_MAX_SERIES`].
    #[must_use]
    pub fn max_series(mut self, max: usize) -> Self {
        self.max_series = max.max(1);
        self
    }

    /// Adds one to the counter of `value` (a family of one label).
    pub fn inc(&self, value: &str) {
        self.inc_by(&[value], 1);
    }

    /// Adds `n` to the counter of these label values (one per label).
    pub fn inc_by(&self, values: &[&str], n: u64) {
        let k = key(values);
        let mut v = self.values.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = v.get_mut(&k) {
            *count += n;
            return;
        }
        let k = if v.len() + 1 >= self.max_series {
            key(&vec![OTHER; self.labels.len()])
        } else {
            k
        };
        *v.entry(k).or_insert(0) += n;
    }

    /// The counter of `value` (a family of one label).
    pub fn get(&self, value: &str) -> u64 {
        self.get_labels(&[value])
    }

    /// The counter of these label values.
    pub fn get_labels(&self, values: &[&str]) -> u64 {
        self.values
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key(values))
            .copied()
            .unwrap_or(0)
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metric for CounterVec {
    fn render(&self, out: &mut String) {
        head(out, self.name, self.help, "counter");
        for (k, n) in self.values.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let pairs: Vec<String> = self
                .labels
                .iter()
                .zip(k.split(SEPARATOR))
                .map(|(l, v)| format!("{l}=\"{}\"", escape(v)))
                .collect();
            let _ = writeln!(out, "{}{{{}}} {n}", self.name, pairs.join(","));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_of_two_labels_renders_each_series() {
        let registry = Registry::new();
        let errors = registry.register(CounterVec::with_labels(
            "errors_total",
            "Errors.",
            &["method", "kind"],
        ));
        errors.inc_by(&["A/add", "handler"], 2);
        errors.inc_by(&["A/add", "handler"], 1);
        errors.inc_by(&["B/\"x\"", "protocol"], 1);
        let text = registry.render();
        assert!(
            text.contains("errors_total{method=\"A/add\",kind=\"handler\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("errors_total{method=\"B/\\\"x\\\"\",kind=\"protocol\"} 1\n"),
            "{text}"
        );
        assert_eq!(errors.get_labels(&["A/add", "handler"]), 3);
    }

    #[test]
    fn series_past_the_maximum_are_counted_as_other() {
        let calls = CounterVec::new("calls_total", "Calls.", "method").max_series(3);
        for m in ["a", "b", "c", "d", "a"] {
            calls.inc(m);
        }
        assert_eq!(calls.get("a"), 2);
        assert_eq!(calls.get("b"), 1);
        assert_eq!(calls.get("c"), 0);
        assert_eq!(calls.get(OTHER), 2);
    }
}
