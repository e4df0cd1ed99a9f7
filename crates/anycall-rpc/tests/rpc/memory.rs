//! 100,000 sequential calls on one connection with flat memory.
//!
//! The measurement runs in a child process (this test binary, running only
//! the ignored test `memory::child`) so that other tests running in
//! parallel threads do not move its resident set size.

use std::time::Duration;

use anycall_codec::call::Reply;
use anycall_rpc::{Client, Context, Handler, HandlerError, Mode, Payload, Server, Transport};
use bytes::Bytes;

const CALLS: usize = 100_000;
const WARMUP: usize = 10_000;
/// Allowed growth of the resident set between the end of the warm-up and
/// the end of the run. A leak of 64 bytes per call would be 5.8 MiB.
const MAX_GROWTH_KIB: u64 = 2 * 1024;

/// The resident set size in KiB: resident pages (`/proc/self/statm`) times
/// the page size (`KernelPageSize` of the first mapping in
/// `/proc/self/smaps`; 4 KiB on x86-64, 16 or 64 KiB on some arm64 kernels).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("statm resident pages");
    pages * page_kib()
}

fn page_kib() -> u64 {
    static PAGE_KIB: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *PAGE_KIB.get_or_init(|| {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
        smaps
            .lines()
            .find_map(|line| line.strip_prefix("KernelPageSize:"))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse().ok())
            .expect("KernelPageSize in /proc/self/smaps")
    })
}

/// `Add` REPLY `{0: i64 3}`, strict binary, seq 0 (the server sets it).
const REPLY: &[u8] = b"\x80\x01\x00\x02\x00\x00\x00\x03Add\x00\x00\x00\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00";
/// `Add(a: 1, b: 2)`, strict binary, seq 7.
const CALL: &[u8] = b"\x80\x01\x00\x01\x00\x00\x00\x03Add\x00\x00\x00\x07\x08\x00\x01\x00\x00\x00\x01\x0a\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x00";

/// A binary handler with a canned reply: the test measures the transport
/// and the pool, not the transcoders (they have their own tests).
#[derive(Debug)]
struct Canned;

impl Handler for Canned {
    async fn call(
        &self,
        _ctx: &mut Context,
        _method: &str,
        _payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        Ok(Reply::Success(Payload::Binary(Bytes::from_static(REPLY))))
    }
}

#[test]
fn hundred_thousand_sequential_calls_on_one_connection_keep_memory_flat() {
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args([
            "memory::child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains(" calls=100000 ") && stdout.contains("test result: ok. 1 passed"),
        "child did not measure:\n{stdout}\n{stderr}"
    );
}

/// The measurement, run alone in a process by the test above.
#[test]
#[ignore = "run by hundred_thousand_sequential_calls_on_one_connection_keep_memory_flat in its own process"]
fn child() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = Server::builder(Mode::Binary)
            .bind("127.0.0.1:0", Canned)
            .await
            .unwrap();
        let client = Client::builder(server.local_addr().to_string())
            .transport(Transport::TTHeader)
            .rpc_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let mut after_warmup = 0;
        let started = std::time::Instant::now();
        for i in 0..CALLS {
            if i == WARMUP {
                after_warmup = rss_kib();
            }
            let reply = client.call_binary(Bytes::from_static(CALL)).await.unwrap();
            assert_eq!(reply.len(), REPLY.len());
        }
        let end = rss_kib();
        let stats = server.stats();
        println!(
            "memory: page={}KiB calls={CALLS} rss_after_warmup={after_warmup}KiB rss_end={end}KiB growth={}KiB elapsed={:?}",
            page_kib(),
            end.saturating_sub(after_warmup),
            started.elapsed()
        );
        assert_eq!(stats.connections, 1, "all calls on one connection");
        assert_eq!(stats.calls, CALLS as u64);
        assert!(
            end.saturating_sub(after_warmup) <= MAX_GROWTH_KIB,
            "rss grew from {after_warmup} KiB to {end} KiB"
        );
    });
}
