//! `anycall bench` against a server running inside the test process: request
//! counts in every mode, duration and connection limits, errors by kind, and
//! usage errors. No assertion depends on timing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anycall::codec::Value;
use anycall::codec::call::Reply;
use anycall::idl::{Loader, Pool};
use anycall::mock::echo_reply;
use anycall::rpc::{Context, Handler, HandlerError, Mode, Payload, Server, ServerHandle, Stats};
use serde_json::Value as Json;

use crate::support::{run_in, stderr, stdout, testdata};

const IDL: &str = "interop/echo.thrift";
const ECHO: &str =
    r#"{"message": "hello", "ints": [1, 2, 3], "counts": {"a": 1}, "inner": {"id": "x"}}"#;

/// Echoes `Echo` and `Add` (a + b); `Check` fails every second call after
/// the first, with an application error.
struct Echo {
    pool: Pool,
    checks: AtomicU64,
}

impl Handler for Echo {
    async fn call(
        &self,
        ctx: &mut Context,
        method: &str,
        payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        let Payload::Value(args) = payload else {
            return Err(HandlerError::new("value mode only"));
        };
        let desc = ctx
            .service()
            .and_then(|s| self.pool.service(s))
            .and_then(|s| s.method(method))
            .ok_or_else(|| HandlerError::new("no such method"))?;
        if method == "Check" && self.checks.fetch_add(1, Ordering::Relaxed) % 2 == 1 {
            return Err(HandlerError::new("every second check fails"));
        }
        let reply = match (method, &args) {
            ("Add", Value::Struct(s)) => {
                let int = |k: &str| match s.get(k) {
                    Some(Value::I32(n)) => i64::from(*n),
                    Some(Value::I64(n)) => *n,
                    _ => 0,
                };
                Reply::Success(Value::I64(int("a").wrapping_add(int("b"))))
            }
            _ => echo_reply(desc, &args),
        };
        Ok(reply.map(Payload::Value))
    }
}

/// A server on 127.0.0.1:0 on its own runtime, stopped on drop.
struct InProcess {
    runtime: tokio::runtime::Runtime,
    handle: Option<ServerHandle>,
    addr: String,
}

impl InProcess {
    fn start() -> Self {
        let pool = Loader::new()
            .load(testdata(IDL).to_string_lossy())
            .expect("load the interop IDL");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let handler = Echo {
            pool: pool.clone(),
            checks: AtomicU64::new(0),
        };
        let handle = runtime
            .block_on(
                Server::builder(Mode::Value)
                    .idl(pool)
                    .bind("127.0.0.1:0", Arc::new(handler)),
            )
            .expect("bind");
        let addr = handle.local_addr().to_string();
        Self {
            runtime,
            handle: Some(handle),
            addr,
        }
    }

    fn stats(&self) -> Stats {
        self.handle.as_ref().expect("running").stats()
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}

fn bench(args: &[&str]) -> std::process::Output {
    let mut all = vec!["bench", "--idl", IDL];
    all.extend_from_slice(args);
    run_in(&testdata(""), &all, b"")
}

/// Runs `bench` with `-o json` and parses its report.
fn bench_json(args: &[&str]) -> Json {
    let mut all = args.to_vec();
    all.extend_from_slice(&["-o", "json"]);
    let out = bench(&all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_str(stdout(&out).trim())
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", stdout(&out)))
}

fn count(report: &Json, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no count `{key}` in {report}"))
}

#[test]
fn every_mode_makes_exactly_the_requested_calls() {
    let server = InProcess::start();
    let mut expected_calls = 0;
    for mode in ["json", "value", "binary"] {
        let r = bench_json(&[
            &server.addr,
            "EchoService/Echo",
            "-d",
            ECHO,
            "--mode",
            mode,
            "-n",
            "60",
            "-c",
            "4",
        ]);
        assert_eq!(count(&r, "requests"), 60, "{mode}: {r}");
        assert_eq!(count(&r, "ok"), 60, "{mode}: {r}");
        assert_eq!(count(&r, "errors"), 0, "{mode}: {r}");
        assert_eq!(r["mode"], mode);
        assert!(r["qps"].as_f64().is_some_and(|q| q > 0.0), "{r}");
        let p = ["p50_us", "p90_us", "p99_us", "p999_us", "max_us"].map(|k| count(&r, k));
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "{mode}: {p:?}");
        assert!(p[0] > 0, "{r}");
        // The probe call, then the measured ones.
        expected_calls += 61;
        assert_eq!(server.stats().calls, expected_calls, "{mode}");
    }
}

#[test]
fn duration_ends_the_run_and_text_has_the_percentiles() {
    let server = InProcess::start();
    let r = bench_json(&[
        &server.addr,
        "EchoService/Add",
        "-d",
        r#"{"a": 1, "b": 2}"#,
        "--duration",
        "300ms",
        "-c",
        "2",
    ]);
    assert!(count(&r, "requests") > 0, "{r}");
    assert_eq!(count(&r, "requests"), count(&r, "ok"), "{r}");
    assert_eq!(server.stats().calls, count(&r, "requests") + 1);

    let out = bench(&[
        &server.addr,
        "EchoService/Add",
        "-d",
        r#"{"a": 1, "b": 2}"#,
        "-n",
        "10",
        "--transport",
        "ttheader",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in ["Requests/sec", "Count:        10", "p50", "p99.9", "max"] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }
}

#[test]
fn connections_cap_the_connections_opened() {
    let server = InProcess::start();
    let r = bench_json(&[
        &server.addr,
        "EchoService/Add",
        "-d",
        r#"{"a": 1, "b": 2}"#,
        "-n",
        "80",
        "-c",
        "8",
        "--connections",
        "2",
        "--mode",
        "binary",
    ]);
    assert_eq!(count(&r, "ok"), 80, "{r}");
    assert_eq!(count(&r, "connections"), 2);
    let stats = server.stats();
    assert!(stats.connections <= 2, "{stats:?}");
}

#[test]
fn errors_are_counted_by_kind() {
    let server = InProcess::start();
    // The probe succeeds (first Check), then every second call fails.
    let r = bench_json(&[
        &server.addr,
        "EchoService/Check",
        "-d",
        r#"{"s": "x"}"#,
        "-n",
        "40",
        "-c",
        "1",
    ]);
    assert_eq!(count(&r, "requests"), 40, "{r}");
    assert_eq!(count(&r, "errors"), 20, "{r}");
    assert_eq!(count(&r, "ok"), 20, "{r}");
    assert_eq!(r["error_kinds"]["application"], 20, "{r}");
}

#[test]
fn a_server_that_is_not_there_fails_fast() {
    // Bind and drop a listener for a port nobody listens on.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .to_string();
    let out = bench(&[&addr, "EchoService/Add", "-d", r#"{"a": 1, "b": 2}"#]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("first call failed (connect)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_and_argument_errors_come_before_any_connection() {
    let addr = "127.0.0.1:9"; // never reached
    for (args, code, needle) in [
        (
            vec![addr, "EchoService/Add", "-d", "{}", "-n", "0"],
            2,
            "--requests",
        ),
        (
            vec![addr, "EchoService/Add", "-d", "{}", "-c", "0"],
            2,
            "--concurrency",
        ),
        (
            vec![addr, "EchoService/Add", "-d", "{}", "-n", "5", "-z", "1s"],
            2,
            "cannot be used with",
        ),
        (vec![addr, "Add", "-d", "{}"], 2, "SERVICE/METHOD"),
        (vec![addr, "EchoService/Nope", "-d", "{}"], 1, "no method"),
        (
            vec![addr, "EchoService/Add", "-d", r#"{"a": "x"}"#],
            1,
            "invalid arguments",
        ),
        (
            vec![addr, "EchoService/Fire", "-d", r#"{"event": "e"}"#],
            1,
            "oneway",
        ),
    ] {
        let out = bench(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
}
