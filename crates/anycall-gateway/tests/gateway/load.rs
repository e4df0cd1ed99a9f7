//! Concurrency, hot reload under load and graceful shutdown, over real
//! HTTP connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anycall_gateway::{Backend, Gateway};
use anycall_idl::{Loader, Provider};

use super::support::{client, client_with, gateway, http, pool, run, upstream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests() {
    let pool = pool("gateway/all.thrift");
    let up = upstream(pool.clone()).await;
    let gw = Gateway::builder()
        .backend(Backend::new(
            pool,
            client_with(&up.addr, Duration::from_secs(20)),
        ))
        .build()
        .unwrap();
    let server = run(gw.clone()).await;
    let addr = server.addr;
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            tokio::spawn(async move {
                http(
                    addr,
                    "POST",
                    &format!("/all/{i}"),
                    &format!(r#"{{"plain":"n{i}"}}"#),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{body}");
        assert!(body.contains("\"bee\":\"body-b\""), "{body}");
        ok += 1;
    }
    assert_eq!(ok, 1000);
    assert_eq!(up.rec.count(), 1000);
    let mut ps: Vec<i64> = up
        .rec
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, a)| a["p"].as_i64().unwrap())
        .collect();
    ps.sort_unstable();
    assert_eq!(
        ps,
        (0..1000).collect::<Vec<_>>(),
        "every request reached the upstream once"
    );
    let metrics = gw.registry().render();
    assert!(
        metrics.contains("anycall_gateway_responses_total{status=\"201\"} 1000"),
        "{metrics}"
    );
    assert!(metrics.contains("anycall_gateway_request_duration_seconds_count 1000"));
    assert!(metrics.contains("anycall_gateway_upstream_duration_seconds_count 1000"));
    server.stop().await;
}

const V1: &str = "struct R { 1: optional string plain }
service S {
  R Get(1: R r) (api.get = '/v/:x')
}";
const V2: &str = "struct R { 1: optional string plain }
service S {
  R Get(1: R r) (api.get = '/v/:x')
  R Added(1: R r) (api.get = '/added')
}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_reload_under_load_fails_no_request() {
    let dir = std::env::temp_dir().join(format!("anycall-gw-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.thrift");
    std::fs::write(&path, V1).unwrap();
    let path_s = path.to_string_lossy().into_owned();
    let provider = Arc::new(Provider::new(Loader::new(), &path_s).unwrap());
    let up = upstream(provider.clone()).await;
    let gw = Gateway::builder()
        .backend(Backend::new(provider.clone(), client(&up.addr)))
        .build()
        .unwrap();
    let server = run(gw.clone()).await;
    let addr = server.addr;
    let failures = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..16)
        .map(|w| {
            let failures = failures.clone();
            let done = done.clone();
            tokio::spawn(async move {
                for i in 0..60 {
                    let (status, body) = http(addr, "GET", &format!("/v/{w}-{i}"), "").await;
                    if status != 200 {
                        eprintln!("failed request: {status} {body}");
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let mut reloads = 0;
    while done.load(Ordering::Relaxed) < 16 * 60 && reloads < 400 {
        let text = if reloads % 2 == 0 { V2 } else { V1 };
        std::fs::write(&path, text).unwrap();
        gw.reload().expect("a good IDL reloads");
        reloads += 1;
        if reloads % 10 == 0 {
            // A broken IDL keeps the routes in place.
            std::fs::write(&path, "service S {").unwrap();
            let e = gw.reload().unwrap_err();
            assert!(e.is_idl(), "{e}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for w in workers {
        w.await.unwrap();
    }
    assert!(reloads >= 5, "reloaded {reloads} times while serving");
    assert_eq!(failures.load(Ordering::Relaxed), 0);
    std::fs::write(&path, V2).unwrap();
    gw.reload().unwrap();
    let (status, _) = http(addr, "GET", "/added", "").await;
    assert_eq!(status, 200, "the new route is served after the reload");
    let metrics = gw.registry().render();
    assert!(metrics.contains("anycall_gateway_reloads_total{result=\"error\"}"));
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_requests_in_flight() {
    let (gw, up) = gateway("gateway/all.thrift").await;
    let server = run(gw).await;
    let addr = server.addr;
    let slow = tokio::spawn(async move { http(addr, "GET", "/fail?id=wait", "").await });
    tokio::time::timeout(Duration::from_secs(10), async {
        while up.rec.count() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the request reaches the upstream");
    server.stop().await;
    let (status, _) = slow.await.unwrap();
    assert_eq!(status, 201, "the request in flight was answered");
    let refused = tokio::net::TcpStream::connect(addr).await;
    assert!(refused.is_err(), "the listener is closed");
}
