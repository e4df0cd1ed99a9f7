//! The scale-out picture on one machine (`scripts/scale-demo` runs it long
//! with a report; `./scripts/test` runs it short):
//!
//! ```text
//!                      etcd (loopback, temp dir)
//!          register ^    ^ watch          ^ register     ^ register / watch
//!   load  --------> proxy P1 --.      backends: B1 anycall serve (lease 2 s)
//!   generator       proxy P2 --+--->            B2 Volo (+ anycall register)
//!   (etcd://…/proxies)         |                B3 Kitex (registry-etcd)
//!   HTTP load ----> gateway G1-+--->            B4 anycall serve, registered mid-run
//!   (etcd://…/gateways) G2 ----'
//! ```
//!
//! Phases, with the load running throughout: A) spread: each backend gets
//! its weight share ±20 %; B) B1 is killed (SIGKILL: no deregistration, its
//! lease expires) and B4 registers: no call fails, and the time from B1's
//! death to the last call a proxy routed to it is measured; C) P1 is
//! drained with SIGTERM (deregister, drain, graceful stop): no call fails,
//! and the load goes on through P2 alone; G1 is drained the same way while
//! HTTP requests go on through G2.
//!
//! `ANYCALL_SCALE_SECONDS` sets the length of each phase (default 1.5).

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anycall::rpc::Client;
use anycall_test_support::etcd::Etcd;
use serde_json::Value as Json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{root, testdata};

const LINE_TIMEOUT: Duration = Duration::from_secs(60);
/// Calls in flight from the load generator.
const CONCURRENCY: usize = 8;
/// HTTP requests in flight over the gateways.
const HTTP_CONCURRENCY: usize = 4;
/// The load generator's bound on calls, whatever the duration.
const MAX_CALLS: u64 = 5_000_000;

/// A child whose stdout lines are read into a channel.
struct Proc {
    name: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    _stdin: Option<ChildStdin>,
}

impl Proc {
    fn start(name: &str, mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name} ({cmd:?}): {e}; run scripts/interop-setup"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            name: name.to_owned(),
            _stdin: child.stdin.take(),
            child,
            lines: rx,
        }
    }

    fn line(&self) -> String {
        self.lines
            .recv_timeout(LINE_TIMEOUT)
            .unwrap_or_else(|e| panic!("{}: no line within {LINE_TIMEOUT:?}: {e}", self.name))
    }

    /// The `127.0.0.1:PORT` of the first line.
    fn addr(&self) -> String {
        let line = self.line();
        line.split_whitespace()
            .find_map(|w| {
                w.strip_prefix("127.0.0.1:")
                    .map(|p| format!("127.0.0.1:{p}"))
            })
            .unwrap_or_else(|| panic!("{}: no address in {line:?}", self.name))
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {sig} {}", self.name);
    }

    /// Sends SIGUSR1 and reads the JSON report line.
    fn report(&self) -> Json {
        self.signal("-USR1");
        serde_json::from_str(&self.line()).expect("a JSON report")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn anycall(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anycall"));
    cmd.args(args).current_dir(root());
    cmd
}

fn peer(var: &str, default: &str) -> PathBuf {
    let bin = std::env::var_os(var).map_or_else(|| root().join(default), PathBuf::from);
    assert!(
        bin.exists(),
        "{} is missing ({var}): run scripts/interop-setup",
        bin.display()
    );
    bin
}

fn unix_ms(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// Calls per backend address in a proxy report.
fn calls_by_addr(report: &Json) -> BTreeMap<String, (u64, Option<u64>)> {
    report["upstreams"]
        .as_array()
        .expect("upstreams")
        .iter()
        .map(|u| {
            (
                u["addr"].as_str().unwrap().to_owned(),
                (
                    u["calls"].as_u64().unwrap(),
                    u["last_call_unix_ms"].as_u64(),
                ),
            )
        })
        .collect()
}

fn sum_calls(reports: &[&Json]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in reports {
        for (addr, (calls, _)) in calls_by_addr(r) {
            *out.entry(addr).or_default() += calls;
        }
    }
    out
}

fn diff(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(a, n)| (a.clone(), n - before.get(a).copied().unwrap_or(0)))
        .collect()
}

struct Load {
    ok: AtomicU64,
    failed: AtomicU64,
    stop: AtomicBool,
    errors: std::sync::Mutex<Vec<String>>,
}

async fn worker(client: Client, load: Arc<Load>) {
    while !load.stop.load(Ordering::Relaxed) {
        if load.ok.load(Ordering::Relaxed) + load.failed.load(Ordering::Relaxed) >= MAX_CALLS {
            break;
        }
        match client.call_json("Ping", b"{}").await {
            Ok(_) => load.ok.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                let mut errors = load.errors.lock().unwrap();
                if errors.len() < 10 {
                    errors.push(format!("{e:#}"));
                }
                load.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

/// One `GET /ping` on a fresh connection: the status code.
async fn http_ping(addr: &str) -> std::io::Result<u16> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(b"GET /ping HTTP/1.1\r\nhost: fleet\r\nconnection: close\r\n\r\n")
        .await?;
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut reply))
        .await
        .map_err(|_| std::io::Error::other("no reply within 10 s"))??;
    let text = String::from_utf8_lossy(&reply);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP reply: {text:?}")))
}

/// HTTP load over the gateways `set` resolves (its endpoint list follows
/// etcd), round-robin; counts each gateway's requests.
async fn http_worker(
    set: Client,
    load: Arc<Load>,
    start: usize,
    per_gateway: Arc<std::sync::Mutex<BTreeMap<String, u64>>>,
) {
    let mut next = start;
    while !load.stop.load(Ordering::Relaxed) {
        if load.ok.load(Ordering::Relaxed) + load.failed.load(Ordering::Relaxed) >= MAX_CALLS {
            break;
        }
        let live: Vec<String> = set
            .endpoints()
            .into_iter()
            .filter(|e| !e.removed)
            .map(|e| e.addr)
            .collect();
        let addr = live[next % live.len()].clone();
        next += 1;
        match http_ping(&addr).await {
            Ok(200) => {
                *per_gateway.lock().unwrap().entry(addr).or_default() += 1;
                load.ok.fetch_add(1, Ordering::Relaxed)
            }
            other => {
                let mut errors = load.errors.lock().unwrap();
                if errors.len() < 10 {
                    errors.push(format!("GET /ping on {addr}: {other:?}"));
                }
                load.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

/// Waits (bounded) until the set behind `client` has `want` endpoints
/// (resolved in the background, without calls).
async fn listed(client: &Client, want: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = client.endpoints().iter().filter(|e| !e.removed).count();
        if n == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: {n} endpoints, not {want}",
            client.target()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn phase_length() -> Duration {
    let secs: f64 = std::env::var("ANYCALL_SCALE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0 && *s <= 600.0)
        .unwrap_or(1.5);
    Duration::from_secs_f64(secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_behind_two_proxies_and_two_gateways_survives_a_kill_a_join_and_drains() {
    let phase = phase_length();
    let etcd = Etcd::start();
    let backends = etcd.target("backends");
    let proxies = etcd.target("proxies");
    let idl = testdata("interop/echo.thrift");
    let idl = idl.to_str().unwrap();
    let pool = anycall::idl::Pool::from_file(idl, [testdata("interop")]).unwrap();

    // Backends.
    let mut b1_cmd = anycall(&[
        "serve",
        "--idl",
        idl,
        "--listen",
        "127.0.0.1:0",
        "--echo",
        "--register",
        &backends,
    ]);
    b1_cmd.env("KITEX_ETCD_REGISTRY_LEASE_TTL", "2");
    let b1 = Proc::start("B1 anycall serve", b1_cmd);
    let b1_addr = b1.addr();
    let mut volo_cmd = Command::new(peer(
        "INTEROP_VOLO_PEER",
        "interop/target/release/volo-peer",
    ));
    volo_cmd.args(["server", "--addr", "127.0.0.1:0"]);
    let b2 = Proc::start("B2 volo", volo_cmd);
    let b2_addr = b2.addr();
    let b2_reg = Proc::start(
        "B2 anycall register",
        anycall(&["register", &backends, "--address", &b2_addr]),
    );
    b2_reg.line();
    let mut kitex_cmd = Command::new(peer("INTEROP_KITEX_PEER", "interop/target/kitex-peer"));
    kitex_cmd.args(["server", "--addr", "127.0.0.1:0", "--register", &backends]);
    let b3 = Proc::start("B3 kitex", kitex_cmd);
    let b3_addr = b3.addr();

    // Two proxies registering themselves.
    let proxy = |name: &str| {
        Proc::start(
            name,
            anycall(&[
                "proxy",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                &backends,
                "--register",
                &proxies,
                "--failover",
                "unanswered",
                "--drain",
                "1s",
            ]),
        )
    };
    let p1 = proxy("P1 proxy");
    let p1_addr = p1.addr();
    let p2 = proxy("P2 proxy");
    let p2_addr = p2.addr();

    // Two gateways registering themselves.
    let gateways = etcd.target("gateways");
    let http_idl = testdata("fleet/echo_http.thrift");
    let gateway = |name: &str| {
        Proc::start(
            name,
            anycall(&[
                "gateway",
                "--idl",
                http_idl.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                &backends,
                "--register",
                &gateways,
                "--failover",
                "unanswered",
                "--drain",
                "1s",
            ]),
        )
    };
    let g1 = gateway("G1 gateway");
    let g1_addr = g1.line();
    let g2 = gateway("G2 gateway");
    g2.line();

    let probe = Client::builder(backends.as_str())
        .idl(pool.clone())
        .build()
        .unwrap();
    listed(&probe, 3).await;
    let client = Client::builder(proxies.as_str())
        .idl(pool.clone())
        .build()
        .unwrap();
    listed(&client, 2).await;
    let gateway_set = Client::builder(gateways.as_str())
        .idl(pool.clone())
        .build()
        .unwrap();
    listed(&gateway_set, 2).await;
    let g1_addr = gateway_set
        .endpoints()
        .into_iter()
        .map(|e| e.addr)
        .find(|a| g1_addr.contains(a.as_str()))
        .unwrap_or_else(|| panic!("G1 ({g1_addr}) is not in {gateways}"));

    let load = Arc::new(Load {
        ok: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        errors: std::sync::Mutex::new(Vec::new()),
    });
    let per_gateway = Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| tokio::spawn(worker(client.clone(), load.clone())))
        .chain((0..HTTP_CONCURRENCY).map(|i| {
            tokio::spawn(http_worker(
                gateway_set.clone(),
                load.clone(),
                i,
                per_gateway.clone(),
            ))
        }))
        .collect();
    let done = |l: &Load| l.ok.load(Ordering::Relaxed) + l.failed.load(Ordering::Relaxed);

    // A) spread over three backends of weight 10, through two proxies.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let a0 = sum_calls(&[&p1.report(), &p2.report()]);
    let (a_calls0, a_t0) = (done(&load), Instant::now());
    tokio::time::sleep(phase).await;
    let a1 = sum_calls(&[&p1.report(), &p2.report()]);
    let qps2 = (done(&load) - a_calls0) as f64 / a_t0.elapsed().as_secs_f64();
    let spread = diff(&a1, &a0);
    let total: u64 = spread.values().sum();
    let mut shares = Vec::new();
    for addr in [&b1_addr, &b2_addr, &b3_addr] {
        let share = spread.get(addr).copied().unwrap_or(0) as f64 / total as f64;
        shares.push((addr.clone(), share));
        assert!(
            (share - 1.0 / 3.0).abs() <= 0.2 / 3.0,
            "{addr} got {:.1} % of {total} calls, not 33.3 % ± 20 %: {spread:?}",
            share * 100.0
        );
    }

    // B) kill B1 (no deregistration), register B4 while the load goes on.
    let killed_at = SystemTime::now();
    drop(b1);
    tokio::time::sleep(phase / 3).await;
    let b4 = Proc::start(
        "B4 anycall serve",
        anycall(&[
            "serve",
            "--idl",
            idl,
            "--listen",
            "127.0.0.1:0",
            "--echo",
            "--register",
            &backends,
        ]),
    );
    let b4_addr = b4.addr();
    // Long enough for B1's 2 s lease to expire.
    tokio::time::sleep(phase.max(Duration::from_secs(3))).await;
    let (r1, r2) = (p1.report(), p2.report());
    let b_calls = sum_calls(&[&r1, &r2]);
    let last_to_b1 = [&r1, &r2]
        .iter()
        .filter_map(|r| calls_by_addr(r).get(&b1_addr).and_then(|(_, last)| *last))
        .max()
        .expect("B1 had calls");
    let failover_ms = last_to_b1.saturating_sub(unix_ms(killed_at));
    // B1's lease (KITEX_ETCD_REGISTRY_LEASE_TTL=2, not the default 60 s)
    // ends the back-off probes: well before the phase ends.
    assert!(
        failover_ms < 5_000,
        "calls were routed to B1 {failover_ms} ms after its death"
    );
    let to_b4 = b_calls.get(&b4_addr).copied().unwrap_or(0);
    assert!(to_b4 > 0, "B4 got no calls: {b_calls:?}");
    assert_eq!(
        load.failed.load(Ordering::Relaxed),
        0,
        "failed calls after the kill: {:?}",
        load.errors.lock().unwrap().clone()
    );

    // C) drain P1 with SIGTERM; the load goes on through P2.
    p1.signal("-TERM");
    let p1_final: Json = serde_json::from_str(&p1.line()).expect("P1's final report");
    let mut p1 = p1;
    let status = p1.child.wait().unwrap();
    assert!(status.success(), "P1 exited with {status}");
    let picks_of_p1 = |c: &Client| {
        c.endpoints()
            .into_iter()
            .find(|e| e.addr == p1_addr)
            .map(|e| (e.calls, e.removed))
    };
    let p1_after_exit = picks_of_p1(&client);
    g1.signal("-TERM");
    let mut g1 = g1;
    let status = g1.child.wait().unwrap();
    assert!(status.success(), "G1 exited with {status}");
    let g1_requests = per_gateway.lock().unwrap().get(&g1_addr).copied();
    let (c_calls0, c_t0) = (done(&load), Instant::now());
    tokio::time::sleep(phase).await;
    let qps1 = (done(&load) - c_calls0) as f64 / c_t0.elapsed().as_secs_f64();
    load.stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let failed = load.failed.load(Ordering::Relaxed);
    let ok = load.ok.load(Ordering::Relaxed);
    assert_eq!(
        failed,
        0,
        "failed calls: {:?}",
        load.errors.lock().unwrap().clone()
    );
    // Dropped from the set before it stopped: nothing was routed to it after.
    assert!(
        matches!(p1_after_exit, Some((_, true))),
        "{p1_after_exit:?}"
    );
    assert_eq!(
        picks_of_p1(&client),
        p1_after_exit,
        "calls kept reaching the drained proxy"
    );
    assert_eq!(p1_final["errors"], 0, "P1: {p1_final}");
    // G1 answered until it left the set, and nothing reached it after.
    assert!(g1_requests.is_some_and(|n| n > 0), "G1: {g1_requests:?}");
    let per_gateway = per_gateway.lock().unwrap().clone();
    assert_eq!(per_gateway.get(&g1_addr).copied(), g1_requests);
    assert_eq!(per_gateway.len(), 2, "{per_gateway:?}");
    let per_proxy: BTreeMap<String, u64> = client
        .endpoints()
        .into_iter()
        .map(|e| (e.addr, e.calls))
        .collect();

    println!(
        "scale demo (phases of {:.1} s, {CONCURRENCY} calls in flight):",
        phase.as_secs_f64()
    );
    for (addr, share) in &shares {
        println!(
            "  spread: backend {addr} got {:.1} % (weight share 33.3 %)",
            share * 100.0
        );
    }
    println!(
        "  QPS: {qps2:.0} through 2 proxies, {qps1:.0} through 1 (2 shared cores: a functional check)"
    );
    println!(
        "  failover: {failover_ms} ms from B1's death to the last call routed to it (lease TTL 2 s)"
    );
    println!(
        "  B4 (registered mid-run) got {to_b4} calls; P1 drained after {} calls",
        p1_final["calls"]
    );
    println!("  calls per proxy: {per_proxy:?} (P1 {p1_addr}, P2 {p2_addr})");
    println!("  HTTP requests per gateway: {per_gateway:?} (G1 {g1_addr}, drained)");
    println!("  calls: {ok} ok, {failed} failed");
    drop((b2, b2_reg, b3, b4, p2, g2));
}

#[test]
fn bad_registry_targets_are_usage_errors() {
    let idl = testdata("interop/echo.thrift");
    let idl = idl.to_str().unwrap();
    for (args, want) in [
        (
            vec![
                "serve",
                "--idl",
                idl,
                "--listen",
                "127.0.0.1:0",
                "--register",
                "etcd://127.0.0.1:2379/",
            ],
            "empty service name",
        ),
        (
            vec!["proxy", "--upstream", "zk://h:1/s"],
            "unknown target scheme `zk://`",
        ),
        (
            vec![
                "register",
                "etcd://127.0.0.1:2379/echo",
                "--address",
                "nope",
            ],
            "--address `nope` is not HOST:PORT",
        ),
    ] {
        let out = anycall(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}
