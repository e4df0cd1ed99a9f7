//! Hardened servers from the command line (issue 15): SIGHUP reloads the
//! IDL of `serve`, `--admin` serves `/metrics` and `/healthz`, the bounds
//! flags are taken, and the proxy names an upstream transport failure.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anycall::idl::Pool;
use anycall::rpc::{Client, Reply, UPSTREAM_TRANSPORT_FAILURE};
use anycall_test_support::process::{START_TIMEOUT, first_line};

const V1: &str = "service Calc {\n    i64 Add(1: i64 a, 2: i64 b),\n}\n";
const V2: &str = "service Calc {\n    i64 Add(1: i64 a, 2: i64 b),\n    i64 Twice(1: i64 a),\n}\n";
const DEADLINE: Duration = Duration::from_secs(20);

/// A background `anycall` with its readiness line; stderr goes to a file.
struct Running {
    child: Child,
    line: String,
    log: PathBuf,
}

impl Running {
    fn start(args: &[&str], log: PathBuf) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("anycall starts");
        let line = first_line(&mut child, "anycall", START_TIMEOUT);
        Self { child, line, log }
    }

    /// The first address in the readiness line.
    fn addr(&self) -> String {
        self.word("127.0.0.1:")
    }

    /// The admin address (`http://ADDR/metrics`).
    fn admin(&self) -> String {
        self.word("http://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    }

    fn word(&self, prefix: &str) -> String {
        self.line
            .split_whitespace()
            .find(|w| w.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {:?}", self.line))
            .trim_end_matches([',', ';'])
            .to_owned()
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    async fn wait_log(&self, needle: &str) {
        let started = Instant::now();
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if log.contains(needle) {
                return;
            }
            assert!(started.elapsed() < DEADLINE, "no {needle:?} in:\n{log}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anycall-hard-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn client(addr: &str, idl: &str) -> Client {
    Client::builder(addr)
        .idl(Pool::from_source("calc.thrift", idl).unwrap())
        .rpc_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// `GET path` on `addr`: the status line and the body.
fn get(addr: &str, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

#[tokio::test]
async fn sighup_reloads_the_idl_of_serve_without_watch() {
    let dir = temp_dir("hup");
    let idl = dir.join("calc.thrift");
    std::fs::write(&idl, V1).unwrap();
    let server = Running::start(
        &[
            "serve",
            "--idl",
            idl.to_str().unwrap(),
            "--echo",
            "--listen",
            "127.0.0.1:0",
        ],
        dir.join("log"),
    );
    let c = client(&server.addr(), V2);
    assert!(c.call_json("Add", br#"{"a": 1, "b": 2}"#).await.is_ok());
    let err = c.call_json("Twice", br#"{"a": 1}"#).await.unwrap_err();
    assert!(err.to_string().contains("Twice"), "{err}");
    std::fs::write(&idl, V2).unwrap();
    server.signal("HUP");
    server.wait_log("idl reloaded").await;
    let reply = c.call_json("Twice", br#"{"a": 1}"#).await.unwrap();
    assert!(matches!(reply, Reply::Success(_)), "{reply:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn serve_admin_serves_metrics_and_healthz_and_takes_the_bounds_flags() {
    let dir = temp_dir("admin");
    let idl = dir.join("calc.thrift");
    std::fs::write(&idl, V1).unwrap();
    let server = Running::start(
        &[
            "serve",
            "--idl",
            idl.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
            "--write-timeout",
            "2s",
            "--header-timeout",
            "3s",
            "--idle-timeout",
            "1m",
            "--max-connections",
            "100",
            "--max-frame-size",
            "1MiB",
            "--max-in-flight",
            "64MiB",
            "--backlog",
            "128",
        ],
        dir.join("log"),
    );
    let c = client(&server.addr(), V1);
    for _ in 0..3 {
        c.call_json("Add", br#"{"a": 1, "b": 2}"#).await.unwrap();
    }
    let admin = server.admin();
    let (status, body) = get(&admin, "/healthz");
    assert!(status.contains("200"), "{status}");
    assert_eq!(body.trim(), "ok");
    let (status, body) = get(&admin, "/metrics");
    assert!(status.contains("200"), "{status}");
    for want in [
        "anycall_server_requests_total{method=\"Calc/Add\"} 3",
        "anycall_server_open_connections 1",
        "anycall_server_request_duration_seconds_count 3",
    ] {
        assert!(body.contains(want), "{want} in\n{body}");
    }
    // A frame over --max-frame-size closes its connection and is counted.
    let mut big = TcpStream::connect(server.addr()).unwrap();
    big.set_read_timeout(Some(DEADLINE)).unwrap();
    big.write_all(&(2u32 << 20).to_be_bytes()).unwrap();
    big.write_all(b"\x80\x01\x00\x01").unwrap();
    let mut buf = [0u8; 16];
    assert!(matches!(big.read(&mut buf), Ok(0) | Err(_)));
    let (_, body) = get(&admin, "/metrics");
    assert!(
        body.contains("anycall_server_connections_closed_total{reason=\"max_frame_size\"} 1"),
        "{body}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_proxy_names_an_unreachable_upstream_and_counts_it() {
    let dir = temp_dir("proxy");
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap().to_string();
    drop(dead);
    let proxy = Running::start(
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &dead_addr,
            "--upstream-pool",
            "64",
            "--upstream-idle-timeout",
            "5s",
            "--admin",
            "127.0.0.1:0",
        ],
        dir.join("log"),
    );
    let c = client(&proxy.addr(), V1);
    let err = c
        .call_json("Add", br#"{"a": 1, "b": 2}"#)
        .await
        .unwrap_err();
    let ex = err.application().expect("an application exception");
    assert!(ex.message().starts_with(UPSTREAM_TRANSPORT_FAILURE), "{ex}");
    let (_, body) = get(&proxy.admin(), "/metrics");
    assert!(
        body.contains("anycall_server_errors_total{method=\"Add\",kind=\"upstream\"} 1"),
        "{body}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// An IDL whose one method the gateway routes at `POST /echo`.
const ECHO_HTTP: &str = "struct Msg { 1: optional string s }\nservice E {\n    Msg Echo(1: Msg m) (api.post = \"/echo\"),\n}\n";

/// The value of the sample `series` (name and labels, as printed) in the
/// admin server's `/metrics`, 0 when absent.
fn metric(admin: &str, series: &str) -> f64 {
    let (_, body) = get(admin, "/metrics");
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Waits until `series` reads `want` on `admin`.
fn wait_metric(admin: &str, series: &str, want: f64) {
    let started = Instant::now();
    loop {
        let now = metric(admin, series);
        if now == want {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{series} is {now}, not {want}, after {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `POST /echo` with `{"s": "x…"}` of `n` bytes of string; the status.
fn post_echo(addr: &str, n: usize) -> u16 {
    let body = format!("{{\"s\":\"{}\"}}", "x".repeat(n));
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    write!(
        s,
        "POST /echo HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// `serve --echo` of [`ECHO_HTTP`] and a gateway in front of it with
/// `flags`.
fn echo_gateway(name: &str, flags: &[&str]) -> (Running, Running, PathBuf) {
    let dir = temp_dir(name);
    let idl = dir.join("echo.thrift");
    std::fs::write(&idl, ECHO_HTTP).unwrap();
    let idl = idl.to_str().unwrap().to_owned();
    let upstream = Running::start(
        &["serve", "--idl", &idl, "--echo", "--listen", "127.0.0.1:0"],
        dir.join("serve.log"),
    );
    let up = upstream.addr();
    let mut args = vec![
        "gateway",
        "--idl",
        &idl,
        "--upstream",
        &up,
        "--listen",
        "127.0.0.1:0",
        "--admin",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(flags);
    let gateway = Running::start(&args, dir.join("gateway.log"));
    (upstream, gateway, dir)
}

#[test]
fn gateway_budget_holds_large_bodies_back_and_healthz_says_draining() {
    let (_upstream, mut gw, dir) = echo_gateway(
        "gw-budget",
        &["--max-in-flight", "1MiB", "--drain-timeout", "20s"],
    );
    let (addr, admin) = (gw.addr(), gw.admin());
    assert_eq!(get(&admin, "/healthz").0, "HTTP/1.1 200 OK");
    // A 2 MB body that never finishes arriving holds the whole budget.
    let mut slow = TcpStream::connect(&addr).unwrap();
    write!(
        slow,
        "POST /echo HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 2000000\r\n\r\n{{\"s\":\"xxxx"
    )
    .unwrap();
    wait_metric(&admin, "anycall_gateway_in_flight_bytes", 1048576.0);
    // A 100 KB body waits for room; a small one is never charged.
    let large = {
        let addr = addr.clone();
        std::thread::spawn(move || post_echo(&addr, 100_000))
    };
    wait_metric(&admin, "anycall_gateway_budget_waits_total", 1.0);
    assert_eq!(post_echo(&addr, 10), 200);
    assert!(!large.is_finished(), "the large body waits for the budget");
    // Draining: /healthz turns 503 while the two requests are open.
    gw.signal("TERM");
    let started = Instant::now();
    while get(&admin, "/healthz").0 != "HTTP/1.1 503 Service Unavailable" {
        assert!(started.elapsed() < DEADLINE, "healthz reports the drain");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!large.is_finished());
    // The stalled body goes away: its budget passes to the waiting request.
    drop(slow);
    assert_eq!(large.join().unwrap(), 200);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = gw.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the gateway exits once drained"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A connection to `addr` with a 4 KiB receive buffer (which also turns
/// off the kernel's window growth).
fn small_window(addr: &str) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr.parse().unwrap()).await.unwrap();
        let std = stream.into_std().unwrap();
        std.set_nonblocking(false).unwrap();
        std
    })
}

#[test]
fn gateway_closes_connections_that_never_read_or_stay_silent() {
    let (_upstream, gw, dir) = echo_gateway(
        "gw-timeouts",
        &[
            "--write-timeout",
            "300ms",
            "--idle-timeout",
            "300ms",
            "--header-timeout",
            "60s",
            "--max-body",
            "33554432",
        ],
    );
    let (addr, admin) = (gw.addr(), gw.admin());
    // Silent: closed by the idle timeout, long before the header timeout.
    let mut silent = TcpStream::connect(&addr).unwrap();
    silent.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut byte = [0u8; 1];
    let read = silent.read(&mut byte);
    assert!(matches!(read, Ok(0)) || read.is_err(), "{read:?}");
    wait_metric(
        &admin,
        "anycall_gateway_connections_closed_total{limit=\"idle_timeout\"}",
        1.0,
    );
    // Never reading a 12 MiB reply (with a small receive window, so that
    // the kernel cannot take it all): closed by the write timeout, while a
    // good client is served.
    let mut stalled = small_window(&addr);
    let body = format!("{{\"s\":\"{}\"}}", "x".repeat(12 << 20));
    write!(
        stalled,
        "POST /echo HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    wait_metric(
        &admin,
        "anycall_gateway_connections_closed_total{limit=\"write_timeout\"}",
        1.0,
    );
    assert_eq!(post_echo(&addr, 10), 200);
    wait_metric(&admin, "anycall_gateway_in_flight_bytes", 0.0);
    drop(stalled);
    let _ = std::fs::remove_dir_all(dir);
}
