//! `serve --watch` and `proxy --idl … --watch`: the IDL is reloaded while
//! calls keep coming, a broken edit keeps the previous IDL and is logged,
//! and no call fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anycall::idl::Pool;
use anycall::rpc::{Client, Reply};
use anycall_test_support::process::{START_TIMEOUT, first_line};

const V1: &str = "service Calc {\n    i64 Add(1: i64 a, 2: i64 b),\n}\n";
const V2: &str = "service Calc {\n    i64 Add(1: i64 a, 2: i64 b),\n    i64 Twice(1: i64 a),\n}\n";
const BROKEN: &str = "service Calc {\n    i64 Add(1: i64 a, 2: i64 b\n";

/// How long any condition below may take to show.
const DEADLINE: Duration = Duration::from_secs(20);

/// A background `anycall` whose stderr goes to a file, killed when dropped.
struct Logged {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Logged {
    fn start(args: &[&str], log: PathBuf) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("anycall starts");
        let line = first_line(&mut child, "anycall", START_TIMEOUT);
        let addr = line
            .split_whitespace()
            .find(|w| w.starts_with("127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Self { child, addr, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle` `times` times.
    async fn wait_log(&self, needle: &str, times: usize) {
        let started = Instant::now();
        while self.log().matches(needle).count() < times {
            assert!(
                started.elapsed() < DEADLINE,
                "no {needle:?} (x{times}) in the log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anycall-watch-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Replaces `path` at once (write a sibling, rename), as editors do.
fn write_idl(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn client(addr: &str, idl: &str) -> Client {
    Client::builder(addr)
        .idl(Pool::from_source("calc.thrift", idl).unwrap())
        .rpc_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Calls `Add` from four tasks until stopped; counts calls and failures.
struct Load {
    stop: Arc<AtomicBool>,
    calls: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<Vec<String>>>,
}

impl Load {
    fn start(addr: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicU64::new(0));
        let tasks = (0..4)
            .map(|_| {
                let (stop, calls, client) = (stop.clone(), calls.clone(), client(addr, V1));
                tokio::spawn(async move {
                    let mut failures = Vec::new();
                    // Bounded: stopped long before in a passing run.
                    for _ in 0..200_000 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        match client.call_json("Add", br#"{"a": 1, "b": 2}"#).await {
                            Ok(Reply::Success(_)) => {}
                            other => failures.push(format!("{other:?}")),
                        }
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                    failures
                })
            })
            .collect();
        Self { stop, calls, tasks }
    }

    async fn wait_calls(&self, at_least: u64) {
        let started = Instant::now();
        while self.calls.load(Ordering::Relaxed) < at_least {
            assert!(started.elapsed() < DEADLINE, "the load made no progress");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the load; returns the number of calls and the failures.
    async fn finish(self) -> (u64, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        let mut failures = Vec::new();
        for task in self.tasks {
            failures.extend(task.await.unwrap());
        }
        (self.calls.load(Ordering::Relaxed), failures)
    }
}

/// Calls `Twice` until it answers (the reload is in), within the deadline.
async fn wait_twice(addr: &str) {
    let twice = client(addr, V2);
    let started = Instant::now();
    loop {
        match twice.call_json("Twice", br#"{"a": 4}"#).await {
            Ok(Reply::Success(_)) => return,
            other => assert!(
                started.elapsed() < DEADLINE,
                "Twice never answered: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_watch_reloads_under_load_without_a_failed_call() {
    let dir = temp_dir("serve");
    let idl = dir.join("calc.thrift");
    write_idl(&idl, V1);
    let server = Logged::start(
        &[
            "serve",
            "--idl",
            idl.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--echo",
            "--watch",
        ],
        dir.join("serve.log"),
    );
    let load = Load::start(&server.addr);
    load.wait_calls(50).await;
    // Before the reload, Twice is unknown.
    let err = client(&server.addr, V2)
        .call_json("Twice", br#"{"a": 4}"#)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("unknown method"), "{err:#}");

    write_idl(&idl, V2);
    wait_twice(&server.addr).await;
    server.wait_log("idl reloaded", 1).await;
    let before_broken = load.calls.load(Ordering::Relaxed);
    load.wait_calls(before_broken + 50).await;

    // A broken edit: logged with its position, the previous IDL stays.
    write_idl(&idl, BROKEN);
    server.wait_log("idl reload failed", 1).await;
    assert!(server.log().contains("calc.thrift:"), "{}", server.log());
    wait_twice(&server.addr).await;
    let after_broken = load.calls.load(Ordering::Relaxed);
    load.wait_calls(after_broken + 50).await;

    let (calls, failures) = load.finish().await;
    assert!(
        failures.is_empty(),
        "{} failed calls: {failures:?}",
        failures.len()
    );
    assert!(calls >= 150, "{calls} calls");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_watch_reloads_its_idl_under_load_without_a_failed_call() {
    let dir = temp_dir("proxy");
    let idl = dir.join("calc.thrift");
    write_idl(&idl, V2);
    let upstream = Logged::start(
        &[
            "serve",
            "--idl",
            idl.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--echo",
        ],
        dir.join("serve.log"),
    );
    let proxy_idl = dir.join("proxy.thrift");
    write_idl(&proxy_idl, V1);
    let proxy = Logged::start(
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &upstream.addr,
            "--idl",
            proxy_idl.to_str().unwrap(),
            "--watch",
        ],
        dir.join("proxy.log"),
    );
    let load = Load::start(&proxy.addr);
    load.wait_calls(50).await;
    write_idl(&proxy_idl, V2);
    proxy.wait_log("idl reloaded", 1).await;
    wait_twice(&proxy.addr).await;
    write_idl(&proxy_idl, BROKEN);
    proxy.wait_log("idl reload failed", 1).await;
    let now = load.calls.load(Ordering::Relaxed);
    load.wait_calls(now + 50).await;
    let (calls, failures) = load.finish().await;
    assert!(
        failures.is_empty(),
        "{} failed calls: {failures:?}",
        failures.len()
    );
    assert!(calls >= 100, "{calls} calls");
    std::fs::remove_dir_all(&dir).ok();
}
