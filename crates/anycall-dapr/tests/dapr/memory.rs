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

/// The original component under the same load, for comparison (README):
/// `ANYCALL_DAPR_CALLS` calls (default 5,000) over 1,000 method names
/// through components-contrib `bindings/kitex` (`kitex-peer dapr-binding`),
/// printing its RSS. Ignored by default: it measures someone else's code.
#[tokio::test]
#[ignore = "a measurement of the original component; run with --ignored"]
async fn original_component_memory() {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let calls: usize = std::env::var("ANYCALL_DAPR_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let server = FakeServer::start(Arc::new(void_reply)).await;
    let program = crate::support::peer_path("INTEROP_KITEX_PEER", "interop/target/kitex-peer");
    let mut child = tokio::process::Command::new(program)
        .arg("dapr-binding")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kitex-peer dapr-binding");
    let pid = child.id().expect("pid");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let rss = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS")
    };
    let mut samples = Vec::new();
    for i in 0..calls {
        let name = format!("method_{:04}", i % 1000);
        let line = serde_json::json!({
            "operation": "get",
            "metadata": {"hostPorts": server.addr, "destService": "EchoService", "methodName": name},
            "data_hex": anycall_test_support::hex::plain(&call_of(&name)),
        });
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        let reply = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("the original answers")
            .unwrap()
            .expect("a line");
        assert!(!reply.contains("\"error\""), "call {i}: {reply}");
        if (i + 1) % (calls / 10).max(1) == 0 {
            samples.push(rss());
        }
    }
    println!(
        "original component: {calls} calls over 1000 method names: RSS samples {samples:?} KiB, upstream connections {}",
        server
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    );
}
