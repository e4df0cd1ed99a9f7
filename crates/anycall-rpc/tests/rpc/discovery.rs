//! Targets, weighted round-robin, connect back-off and failover, and etcd
//! discovery and registration against a real etcd (Debian's `etcd-server`)
//! and kitex-contrib/registry-etcd in the Kitex peer.

use std::sync::Arc;
use std::time::Duration;

use anycall_rpc::discovery::EndpointStats;
use anycall_rpc::{Client, Failover, Mode, Server, ServerHandle};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;

use crate::common::{EchoService, echo_pool};

async fn echo_server() -> ServerHandle {
    Server::builder(Mode::Json)
        .idl(echo_pool())
        .bind("127.0.0.1:0", Arc::new(EchoService::default()))
        .await
        .unwrap()
}

fn builder(target: &str) -> anycall_rpc::ClientBuilder {
    Client::builder(target)
        .idl(echo_pool())
        .rpc_timeout(Duration::from_secs(5))
}

fn stats_of<'a>(stats: &'a [EndpointStats], addr: &str) -> &'a EndpointStats {
    stats
        .iter()
        .find(|s| s.addr == addr)
        .unwrap_or_else(|| panic!("no endpoint {addr} in {stats:?}"))
}

/// A closed port: connects to it are refused.
async fn dead_addr() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    addr
}

#[tokio::test]
async fn a_refused_host_backs_off_and_its_calls_fail_over() {
    let live = echo_server().await;
    let dead = dead_addr().await;
    let live_addr = live.local_addr().to_string();
    let client = builder(&format!("{dead},{live_addr}")).build().unwrap();
    for _ in 0..20 {
        client.call_json("Ping", b"{}").await.unwrap();
    }
    let stats = client.endpoints();
    let d = stats_of(&stats, &dead);
    // One refused connect puts the host in back-off: later picks skip it.
    assert_eq!(d.connect_failures, 1, "{stats:?}");
    assert_eq!(d.calls, 1, "{stats:?}");
    assert!(d.backing_off, "{stats:?}");
    assert_eq!(live.stats().calls, 20);

    // Without failover the one call that picks the dead host fails.
    let strict = builder(&format!("{dead},{live_addr}"))
        .failover(Failover::Off)
        .build()
        .unwrap();
    let mut failed = 0;
    for _ in 0..4 {
        if let Err(err) = strict.call_json("Ping", b"{}").await {
            assert!(err.is_connect(), "{err:#}");
            failed += 1;
        }
    }
    assert_eq!(failed, 1);
}

/// A server that reads one request and closes the connection unanswered.
async fn swallowing_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf).await;
        }
    });
    (addr, task)
}

#[tokio::test]
async fn unanswered_calls_fail_over_only_when_asked() {
    let live = echo_server().await;
    let (bad, task) = swallowing_server().await;
    let target = format!("{bad},{}", live.local_addr());
    // Default (Connect): the call written to the swallowing host fails.
    let default = builder(&target).max_idle_per_host(0).build().unwrap();
    let first = default.call_json("Ping", b"{}").await;
    let second = default.call_json("Ping", b"{}").await;
    // The error names the host that failed it.
    let err = first.unwrap_err();
    assert!(err.is_io() && err.to_string().contains(&bad), "{err:#}");
    second.unwrap();
    let unanswered = builder(&target)
        .max_idle_per_host(0)
        .failover(Failover::Unanswered)
        .build()
        .unwrap();
    for _ in 0..6 {
        unanswered.call_json("Ping", b"{}").await.unwrap();
    }
    // Not a connect failure, so no back-off: every call tried the
    // swallowing host first, then the other.
    let stats = unanswered.endpoints();
    assert_eq!(stats_of(&stats, &bad).calls, 6, "{stats:?}");
    assert_eq!(live.stats().calls, 1 + 6);
    task.abort();
}

/// A request that cannot be encoded fails once, on the first host it
/// picked: failing over would only fail the same way on the next one.
#[tokio::test]
async fn a_request_that_does_not_encode_is_not_failed_over() {
    let a = echo_server().await;
    let b = echo_server().await;
    let target = format!("{},{}", a.local_addr(), b.local_addr());
    for failover in [Failover::Connect, Failover::Unanswered] {
        let client = builder(&target).failover(failover).build().unwrap();
        let err = client.call_json("Ping", b"{").await.unwrap_err();
        assert!(!err.is_connect() && !err.is_io(), "{failover:?}: {err:#}");
        let picked: u64 = client.endpoints().iter().map(|s| s.calls).sum();
        assert_eq!(picked, 1, "{failover:?}: {:?}", client.endpoints());
    }
}

/// Failing over unanswered calls still fails over refused connects, and
/// never a call the server answered, even with an error.
#[tokio::test]
async fn unanswered_failover_takes_refused_connects_but_not_answers() {
    let live = echo_server().await;
    let dead = dead_addr().await;
    let client = builder(&format!("{dead},{}", live.local_addr()))
        .failover(Failover::Unanswered)
        .build()
        .unwrap();
    for _ in 0..4 {
        client.call_json("Ping", b"{}").await.unwrap();
    }
    assert_eq!(stats_of(&client.endpoints(), &dead).connect_failures, 1);

    let other = echo_server().await;
    let answered = builder(&format!("{},{}", live.local_addr(), other.local_addr()))
        .failover(Failover::Unanswered)
        .build()
        .unwrap();
    let err = answered
        .call_json("Echo", br#"{"message": "x", "action": "fail"}"#)
        .await
        .unwrap_err();
    assert!(err.is_application(), "{err:#}");
    let picked: u64 = answered.endpoints().iter().map(|s| s.calls).sum();
    assert_eq!(picked, 1, "{:?}", answered.endpoints());
}

/// A call tries three hosts at the most: with three refusing hosts ahead
/// of a live one, the first call fails after trying all three.
#[tokio::test]
async fn a_call_tries_three_hosts_at_the_most() {
    let live = echo_server().await;
    let dead = [dead_addr().await, dead_addr().await, dead_addr().await];
    let client = builder(&format!(
        "{},{},{},{}",
        dead[0],
        dead[1],
        dead[2],
        live.local_addr()
    ))
    .build()
    .unwrap();
    let err = client.call_json("Ping", b"{}").await.unwrap_err();
    assert!(err.is_connect(), "{err:#}");
    let stats = client.endpoints();
    for d in &dead {
        assert_eq!(stats_of(&stats, d).calls, 1, "{stats:?}");
    }
    assert_eq!(live.stats().calls, 0);
    // The hosts that refused are backing off: the next call goes live.
    client.call_json("Ping", b"{}").await.unwrap();
}

/// What a client says it was built with.
#[tokio::test]
async fn a_client_reports_its_target_transport_and_protocol() {
    let client = builder("127.0.0.1:1, 127.0.0.1:2")
        .transport(anycall_codec::frame::Transport::TTHeader)
        .protocol(anycall_codec::thrift::Protocol::Compact)
        .build()
        .unwrap();
    assert_eq!(client.target(), "127.0.0.1:1,127.0.0.1:2");
    assert_eq!(
        client.transport(),
        anycall_codec::frame::Transport::TTHeader
    );
    assert_eq!(client.protocol(), anycall_codec::thrift::Protocol::Compact);
}

#[tokio::test]
async fn weighted_round_robin_interleaves_by_weight() {
    let a = echo_server().await;
    let b = echo_server().await;
    let client = builder(&format!("{},{}", a.local_addr(), b.local_addr()))
        .build()
        .unwrap();
    for _ in 0..10 {
        client.call_json("Ping", b"{}").await.unwrap();
    }
    // Equal default weights: exactly half each.
    assert_eq!((a.stats().calls, b.stats().calls), (5, 5));
}

#[test]
fn dynamic_targets_need_a_runtime_when_built() {
    let err = Client::builder("dns://localhost:1").build().unwrap_err();
    assert!(err.is_config(), "{err:#}");
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}

#[tokio::test]
async fn a_dns_target_resolves_every_address_of_the_name() {
    let server = echo_server().await;
    let port = server.local_addr().port();
    let client = builder(&format!("dns://localhost:{port}")).build().unwrap();
    client.call_json("Ping", b"{}").await.unwrap();
    let stats = client.endpoints();
    assert!(
        stats
            .iter()
            .any(|s| s.addr == format!("127.0.0.1:{port}") && s.calls >= 1),
        "{stats:?}"
    );
}

#[cfg(feature = "etcd")]
mod etcd {
    use std::process::Stdio;

    use std::time::Instant;

    use anycall_rpc::Protocol;
    use anycall_rpc::Transport;
    use anycall_rpc::discovery::{Endpoint, EtcdTarget, Registration};
    use anycall_test_support::etcd::Etcd;
    use serde_json::Value as Json;

    use super::*;
    use crate::interop::{anycall_client_cells, anycall_server};
    use crate::peers::{SETUP_HINT, kitex_peer};

    /// Waits (bounded) until `client` resolves `want` endpoints.
    async fn wait_for_endpoints(client: &Client, want: usize) -> Vec<EndpointStats> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let current: Vec<EndpointStats> = client
                .endpoints()
                .into_iter()
                .filter(|e| !e.removed)
                .collect();
            // A call resolves the target; failing while it is empty is expected.
            let _ = client.call_json("Ping", b"{}").await;
            if current.len() == want {
                return current;
            }
            assert!(
                Instant::now() < deadline,
                "{} never resolved {want} endpoints: {current:?}",
                client.target()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn raw(etcd: &Etcd) -> etcd_client::Client {
        etcd_client::Client::connect([etcd.endpoint.as_str()], None)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn registration_writes_kitex_keys_and_values_with_a_lease() {
        let etcd = Etcd::start();
        let target = EtcdTarget::parse(&etcd.target("echo")).unwrap();
        let endpoint = Endpoint::new("127.0.0.1:4567").weight(20);
        let reg = Registration::register_with_ttl(&target, &endpoint, Duration::from_secs(7))
            .await
            .unwrap();
        assert_eq!(reg.key(), "kitex/registry-etcd/echo/127.0.0.1:4567");
        let mut raw = raw(&etcd).await;
        let got = raw.get(reg.key(), None).await.unwrap();
        let kv = &got.kvs()[0];
        assert_eq!(
            kv.value_str().unwrap(),
            r#"{"network":"tcp","address":"127.0.0.1:4567","weight":20,"tags":null}"#
        );
        let ttl = raw.lease_time_to_live(kv.lease(), None).await.unwrap();
        assert_eq!(ttl.granted_ttl(), 7);
        reg.deregister().await.unwrap();
        let got = raw
            .get(
                "kitex/registry-etcd/echo/",
                Some(etcd_client::GetOptions::new().with_prefix()),
            )
            .await
            .unwrap();
        assert!(got.kvs().is_empty(), "{:?}", got.kvs());
        // The lease was revoked, not left to expire.
        let ttl = raw.lease_time_to_live(kv.lease(), None).await.unwrap();
        assert_eq!(ttl.ttl(), -1);
    }

    #[tokio::test]
    async fn clients_follow_registrations_weights_and_departures() {
        let etcd = Etcd::start();
        let target = EtcdTarget::parse(&etcd.target("echo")).unwrap();
        let (a, b) = (echo_server().await, echo_server().await);
        let reg_a = Registration::register(&target, &Endpoint::new(a.local_addr().to_string()))
            .await
            .unwrap();
        let client = builder(&etcd.target("echo")).build().unwrap();
        wait_for_endpoints(&client, 1).await;
        // A second instance with three times the weight, seen through the watch.
        let reg_b = Registration::register(
            &target,
            &Endpoint::new(b.local_addr().to_string()).weight(30),
        )
        .await
        .unwrap();
        wait_for_endpoints(&client, 2).await;
        let (a0, b0) = (a.stats().calls, b.stats().calls);
        for _ in 0..40 {
            client.call_json("Ping", b"{}").await.unwrap();
        }
        assert_eq!((a.stats().calls - a0, b.stats().calls - b0), (10, 30));
        // Deregistered: every later call goes to the other one.
        reg_a.deregister().await.unwrap();
        wait_for_endpoints(&client, 1).await;
        let (a0, b0) = (a.stats().calls, b.stats().calls);
        for _ in 0..10 {
            client.call_json("Ping", b"{}").await.unwrap();
        }
        assert_eq!((a.stats().calls - a0, b.stats().calls - b0), (0, 10));
        // A registration that stops keeping its lease alive (a crashed
        // process) expires and leaves the set.
        let lapsing = Registration::register_with_ttl(
            &target,
            &Endpoint::new(a.local_addr().to_string()),
            Duration::from_secs(1),
        )
        .await
        .unwrap();
        wait_for_endpoints(&client, 2).await;
        drop(lapsing);
        let started = Instant::now();
        wait_for_endpoints(&client, 1).await;
        assert!(started.elapsed() < Duration::from_secs(10));
        drop(reg_b);
    }

    #[tokio::test]
    async fn an_empty_or_unreachable_registry_fails_calls_clearly() {
        let etcd = Etcd::start();
        let client = builder(&etcd.target("nobody")).build().unwrap();
        let err = client.call_json("Ping", b"{}").await.unwrap_err();
        assert!(err.is_connect(), "{err:#}");
        assert!(
            err.to_string()
                .contains(&format!("no endpoint for `{}`", etcd.target("nobody"))),
            "{err}"
        );
        let dead = dead_addr().await;
        let client = builder(&format!("etcd://{dead}/echo"))
            .rpc_timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let err = client.call_json("Ping", b"{}").await.unwrap_err();
        assert!(err.is_connect(), "{err:#}");
        assert!(format!("{err:#}").contains("etcd"), "{err:#}");
    }

    // ---- kitex-contrib/registry-etcd in the Kitex peer ----

    #[tokio::test]
    async fn anycall_client_finds_a_kitex_server_registered_by_registry_etcd() {
        let etcd = Etcd::start();
        let register = etcd.target("kitex-echo");
        let mut child = kitex_peer()
            .args(["server", "--keep-stdin", "--register", register.as_str()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn kitex peer: {e}; {SETUP_HINT}"));
        let probe = builder(&register).build().unwrap();
        let found = wait_for_endpoints(&probe, 1).await;
        assert!(found[0].addr.starts_with("127.0.0.1:"), "{found:?}");
        assert_eq!(found[0].weight, 10, "Kitex's default weight");
        anycall_client_cells(
            &register,
            Transport::Framed,
            Protocol::Binary,
            "kitex via etcd",
        )
        .await;
        anycall_client_cells(
            &register,
            Transport::TTHeader,
            Protocol::Binary,
            "kitex via etcd",
        )
        .await;
        // SIGTERM: Kitex deregisters on its way out.
        let pid = child.id().expect("pid").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        wait_for_endpoints(&probe, 0).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    }

    #[tokio::test]
    async fn kitex_client_finds_an_anycall_server_through_registry_etcd() {
        let etcd = Etcd::start();
        let server = anycall_server(Mode::Json).await;
        let target = EtcdTarget::parse(&etcd.target("anycall-echo")).unwrap();
        let reg = Registration::register(&target, &Endpoint::new(server.local_addr().to_string()))
            .await
            .unwrap();
        let addr = etcd.target("anycall-echo");
        for transport in ["framed", "ttheader"] {
            let out = tokio::time::timeout(
                Duration::from_secs(120),
                kitex_peer()
                    .args(["client", "--addr", addr.as_str(), "--transport", transport])
                    .stdin(Stdio::null())
                    .output(),
            )
            .await
            .expect("the kitex client finishes")
            .unwrap_or_else(|e| panic!("spawn kitex peer: {e}; {SETUP_HINT}"));
            let stdout = String::from_utf8_lossy(&out.stdout);
            let lines: Vec<Json> = stdout
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert!(
                out.status.success() && !lines.is_empty() && lines.iter().all(|l| l["ok"] == true),
                "kitex client {transport} via etcd:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(server.stats().calls > 0);
        reg.deregister().await.unwrap();
    }
}
