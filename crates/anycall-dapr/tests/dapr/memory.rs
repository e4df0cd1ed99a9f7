//! The client cache: many method names share one client and a bounded
//! pool (the original kept a client per method, forever).

use std::sync::Arc;

use crate::support::{FakeServer, Running, void_reply};

/// A CALL of `name` with an empty args struct.
fn call_of(name: &str) -> Vec<u8> {
    let mut out = vec![0x80, 0x01, 0x00, 0x01];
    out.extend_from_slice(&(name.len() as u32).to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 0]);
    out
}

/// Resident set size of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// `ANYCALL_DAPR_CALLS` invocations (default 5,000) over 1,000 method
/// names: one client, at most `maxIdlePerHost` connections, RSS flat after
/// warm-up. README gives the figure for 100,000 calls (release build).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_methods_share_one_client() {
    let calls: usize = std::env::var("ANYCALL_DAPR_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let server = FakeServer::start(Arc::new(void_reply)).await;
    let c = Running::start().await;
    let d = c.daprd().await;
    d.init(&[
        ("hostPorts", &server.addr),
        ("destService", "EchoService"),
        ("maxIdlePerHost", "4"),
    ])
    .await
    .unwrap();
    let names: Vec<String> = (0..1000).map(|i| format!("method_{i:04}")).collect();
    let mut warm = 0;
    let mut rss = Vec::new();
    for i in 0..calls {
        let name = &names[i % names.len()];
        let resp = d
            .invoke("get", call_of(name), &[("methodName", name.as_str())])
            .await
            .unwrap_or_else(|e| panic!("call {i}: {e:?}"));
        assert_eq!(&resp.data[..4], &[0x80, 0x01, 0x00, 0x02]);
        if i + 1 == names.len() {
            warm = rss_kib();
        }
        if (i + 1) % (calls / 10).max(1) == 0 {
            rss.push(rss_kib());
        }
    }
    let last = rss_kib();
    println!(
        "{calls} calls over {} method names: RSS after the first 1,000 calls {warm} KiB, at the end {last} KiB (samples {rss:?})",
        names.len()
    );
    assert_eq!(c.stats.clients(""), 1, "one client for every method");
    assert!(c.stats.idle_connections("") <= 4);
    assert!(
        server
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
            <= 4,
        "sequential calls reuse pooled connections"
    );
    // Flat: less than 8 MiB of growth after warm-up (the original grew
    // by a Kitex client per method name).
    assert!(
        last < warm + 8 * 1024,
        "RSS grew from {warm} KiB to {last} KiB"
    );
    c.stop().await;
}
