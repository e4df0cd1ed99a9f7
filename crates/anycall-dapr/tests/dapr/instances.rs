//! Discovery, instances, the socket file and shutdown.

use std::sync::Arc;
use std::time::Duration;

use anycall_dapr::Component;
use anycall_test_support::hex;

use crate::support::{FakeServer, Running, TempDir, call_message, interop_dir, void_reply};

#[tokio::test]
async fn discovery_and_lifecycle_like_daprd() {
    let c = Running::start().await;
    assert_eq!(c.socket.file_name().unwrap(), "kitex.sock");
    // daprd's discovery: its own connection, no instance header, v1alpha.
    let discovery = c.daprd().await;
    let services = discovery.list_services_v1alpha().await;
    assert!(
        services
            .iter()
            .any(|s| s == "dapr.proto.components.v1.OutputBinding"),
        "{services:?}"
    );
    assert!(
        !services.iter().any(|s| s.contains("InputBinding")),
        "{services:?}"
    );
    let v1 = discovery.list_services_v1().await;
    assert!(
        v1.iter()
            .any(|s| s == "dapr.proto.components.v1.OutputBinding")
    );

    let d = c.daprd().await.instance("kitex-binding");
    d.init(&[]).await.expect("init");
    assert_eq!(d.list_operations().await.unwrap(), ["get"]);
    d.ping().await.expect("ping");
    c.stop().await;
}

#[tokio::test]
async fn two_instances_on_one_socket() {
    let a = FakeServer::start(Arc::new(void_reply)).await;
    let b = FakeServer::start(Arc::new(void_reply)).await;
    let c = Running::start().await;
    let conn = c.daprd().await;
    let one = conn.instance("one");
    let two = conn.instance("two");
    let idl = interop_dir().join("echo.thrift");
    let idl = idl.to_str().unwrap();
    let include = interop_dir();
    one.init(&[("hostPorts", &a.addr), ("destService", "EchoService")])
        .await
        .unwrap();
    two.init(&[
        ("hostPorts", &b.addr),
        ("destService", "EchoService"),
        ("idl", idl),
        ("includeDirs", include.to_str().unwrap()),
    ])
    .await
    .unwrap();
    assert_eq!(one.list_operations().await.unwrap(), ["get"]);
    assert_eq!(two.list_operations().await.unwrap(), ["get", "call"]);
    let ping = call_message("Ping", "{}");
    for _ in 0..2 {
        one.invoke("get", ping.clone(), &[("methodName", "Ping")])
            .await
            .unwrap();
    }
    two.invoke("get", ping.clone(), &[("methodName", "Ping")])
        .await
        .unwrap();
    assert_eq!((a.received().len(), b.received().len()), (2, 1));
    // Re-initialising one instance leaves the other alone; a failed Init
    // keeps the old configuration.
    let err = one.init(&[("timeout", "soon")]).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().starts_with("metadata field timeout"),
        "{err:?}"
    );
    one.invoke("get", ping.clone(), &[("methodName", "Ping")])
        .await
        .unwrap();
    assert_eq!(a.received().len(), 3);
    assert_eq!(c.stats.instances(), ["one", "two"]);
    c.stop().await;
}

#[tokio::test]
async fn stale_socket_is_replaced_and_live_one_refused() {
    let dir = TempDir::new();
    let path = dir.0.join("kitex.sock");
    // A socket file nobody listens on (a crashed component).
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let c = Running::start_in(dir).await;
    c.daprd()
        .await
        .ping()
        .await
        .expect("serves on the old path");
    // A second component on the same live socket is refused.
    let err = Component::builder()
        .socket_folder(&c.dir.0)
        .bind()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("another process is serving"),
        "{err}"
    );
    let socket = c.socket.clone();
    c.stop().await;
    assert!(!socket.exists(), "the socket is removed on shutdown");

    // A regular file in the way is not deleted.
    let dir = TempDir::new();
    std::fs::write(dir.0.join("kitex.sock"), b"not a socket").unwrap();
    let err = Component::builder()
        .socket_folder(&dir.0)
        .bind()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a socket"), "{err}");
    assert!(dir.0.join("kitex.sock").exists());
}

#[tokio::test]
async fn shutdown_drains_calls_in_flight() {
    // The upstream answers after 500 ms.
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let rx = std::sync::Mutex::new(rx);
    let server = FakeServer::start_delayed(
        Arc::new(move |req: &[u8]| {
            let _ = tx.send(req.to_vec());
            void_reply(req)
        }),
        Duration::from_millis(500),
    )
    .await;
    let mut c = Running::start().await;
    let d = c.daprd().await;
    let addr = server.addr.clone();
    let call = tokio::spawn(async move {
        d.invoke(
            "get",
            call_message("Ping", "{}"),
            &[
                ("hostPorts", addr.as_str()),
                ("destService", "EchoService"),
                ("methodName", "Ping"),
            ],
        )
        .await
    });
    // Wait until the upstream has the request, then ask the component to stop.
    tokio::task::spawn_blocking(move || {
        rx.lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(10))
            .expect("upstream got the call")
    })
    .await
    .unwrap();
    let socket = c.socket.clone();
    c.begin_stop();
    let reply = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("call ends")
        .unwrap()
        .expect("the call in flight completes");
    assert_eq!(&reply.data[..4], &hex::parse("80010002")[..]);
    c.join().await;
    assert!(!socket.exists());
}

/// `hostPorts` as an etcd target: the instances registered in etcd (the
/// layout of kitex-contrib/registry-etcd) share the calls, and one that
/// deregisters gets no more.
#[cfg(feature = "etcd")]
#[tokio::test]
async fn host_ports_may_name_an_etcd_service() {
    use anycall_rpc::discovery::{Endpoint, EtcdTarget, Registration};
    use anycall_test_support::etcd::Etcd;

    let etcd = Etcd::start();
    let target = etcd.target("fakes");
    let parsed = EtcdTarget::parse(&target).unwrap();
    let a = FakeServer::start(Arc::new(void_reply)).await;
    let b = FakeServer::start(Arc::new(void_reply)).await;
    let reg_a = Registration::register(&parsed, &Endpoint::new(a.addr.clone()))
        .await
        .unwrap();
    let _reg_b = Registration::register(&parsed, &Endpoint::new(b.addr.clone()))
        .await
        .unwrap();
    let c = Running::start().await;
    let d = c.daprd().await.instance("fleet");
    d.init(&[("hostPorts", &target), ("destService", "EchoService")])
        .await
        .unwrap();
    let ping = call_message("Ping", "{}");
    for _ in 0..4 {
        d.invoke("get", ping.clone(), &[("methodName", "Ping")])
            .await
            .unwrap();
    }
    assert_eq!((a.received().len(), b.received().len()), (2, 2));
    reg_a.deregister().await.unwrap();
    // The watch drops A within a round trip (bounded wait): then the
    // round-robin, which alternated, sends four calls in a row to B.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut in_a_row = 0;
    while in_a_row < 4 {
        let before = a.received().len();
        d.invoke("get", ping.clone(), &[("methodName", "Ping")])
            .await
            .unwrap();
        if a.received().len() == before {
            in_a_row += 1;
        } else {
            in_a_row = 0;
            assert!(std::time::Instant::now() < deadline, "A is still called");
        }
    }
    c.stop().await;
}
