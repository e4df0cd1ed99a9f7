//! Client and server on 127.0.0.1: every transport × protocol × client mode
//! against a server in each mode, plus routing, metainfo, pooling and
//! shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anycall_codec::call::Reply;
use anycall_codec::frame::ttheader::{int_key, str_key};
use anycall_idl::Pool;
use anycall_rpc::{
    Client, Context, Handler, HandlerError, Mode, Payload, Protocol, Request, Server, Transport,
};
use tokio::sync::{mpsc, oneshot};

use crate::common::{ClientMode, EchoService, echo_pool, keyed, run_script};
use crate::interop::script_client;

const PROTOCOLS: [Protocol; 2] = [Protocol::Binary, Protocol::Compact];

async fn matrix(server_mode: Mode) {
    let server = Server::builder(server_mode)
        .idl(echo_pool())
        .bind("127.0.0.1:0", EchoService::default())
        .await
        .expect("server binds");
    let addr = server.local_addr().to_string();
    let mut failures = Vec::new();
    let mut cells = 0;
    for transport in Transport::ALL {
        for protocol in PROTOCOLS {
            for mode in ClientMode::ALL {
                let client = script_client(&addr, transport, protocol);
                let event = format!("{server_mode:?}-{transport}-{protocol:?}-{mode:?}");
                for failure in run_script(&client, mode, protocol, &event, false).await {
                    failures.push(format!("{transport} {protocol:?}: {failure}"));
                }
                cells += 1;
            }
        }
    }
    assert_eq!(
        cells,
        Transport::ALL.len() * PROTOCOLS.len() * ClientMode::ALL.len()
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    let stats = server.stats();
    assert_eq!(stats.bad_frames, 0, "{stats:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn json_server_every_transport_protocol_and_client_mode() {
    matrix(Mode::Json).await;
}

#[tokio::test]
async fn value_server_every_transport_protocol_and_client_mode() {
    matrix(Mode::Value).await;
}

#[tokio::test]
async fn binary_server_every_transport_protocol_and_client_mode() {
    matrix(Mode::Binary).await;
}

/// Records the context of each call, then echoes.
#[derive(Debug, Default)]
struct Recorder {
    seen: Mutex<Vec<Context>>,
    inner: EchoService,
}

impl Handler for Recorder {
    async fn call(
        &self,
        ctx: &mut Context,
        method: &str,
        payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        self.seen.lock().unwrap().push(ctx.clone());
        self.inner.call(ctx, method, payload).await
    }
}

#[tokio::test]
async fn metainfo_goes_out_in_ttheader_and_backward_values_come_back() {
    let recorder = Arc::new(Recorder::default());
    let server = Server::builder(Mode::Json)
        .idl(echo_pool())
        .bind("127.0.0.1:0", recorder.clone())
        .await
        .unwrap();
    for transport in [Transport::TTHeader, Transport::TTHeaderFramed] {
        let client = Client::builder(server.local_addr().to_string())
            .transport(transport)
            .idl(echo_pool())
            .caller("tester")
            .build()
            .unwrap();
        let response = client
            .call(
                Request::json("Add", r#"{"a": 1, "b": 2}"#)
                    .transient("echo-backward", "back-1")
                    .persistent("tenant", "t-9"),
            )
            .await
            .unwrap();
        assert_eq!(response.reply, Reply::Success(Payload::Json("3".into())));
        assert_eq!(
            response.backward.get("echoed").map(String::as_str),
            Some("back-1")
        );
        let ctx = recorder.seen.lock().unwrap().pop().unwrap();
        assert_eq!(ctx.transport(), transport);
        assert_eq!(ctx.transient("echo-backward"), Some("back-1"));
        assert_eq!(ctx.persistent("tenant"), Some("t-9"));
        assert_eq!(ctx.service(), Some("EchoService"));
        let header = ctx.header().expect("ttheader");
        assert_eq!(
            header.str_value(str_key::IDL_SERVICE_NAME),
            Some("EchoService")
        );
        assert_eq!(header.int_str(int_key::TO_METHOD), Some("Add"));
        assert_eq!(header.int_str(int_key::TO_SERVICE), Some("EchoService"));
        assert_eq!(header.int_str(int_key::FROM_SERVICE), Some("tester"));
        assert_eq!(header.msg_type().unwrap(), Some(1));
        let transport_type = if transport == Transport::TTHeader {
            "unframed"
        } else {
            "framed"
        };
        assert_eq!(
            header.int_str(int_key::TRANSPORT_TYPE),
            Some(transport_type)
        );
        assert_eq!(header.int_str(int_key::RPC_TIMEOUT), Some("10000"));
        assert_eq!(header.int_str(int_key::CONNECT_TIMEOUT), Some("2000"));
    }
    // Framed carries no metainfo: the call works, nothing comes back.
    let client = Client::builder(server.local_addr().to_string())
        .idl(echo_pool())
        .build()
        .unwrap();
    let response = client
        .call(Request::json("Add", r#"{"a": 1, "b": 2}"#).transient("echo-backward", "x"))
        .await
        .unwrap();
    assert!(response.backward.is_empty());
    assert!(
        recorder
            .seen
            .lock()
            .unwrap()
            .pop()
            .unwrap()
            .header()
            .is_none()
    );
}

const TWO_SERVICES: &str = r#"
service A { string who(), string onlyA() }
service B { string who(), string onlyB(), oneway void note(1: string s) }
"#;

/// Answers with the name of the service that was routed to.
#[derive(Debug)]
struct Who;

impl Handler for Who {
    async fn call(
        &self,
        ctx: &mut Context,
        method: &str,
        _payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        let service = ctx.service().unwrap_or("?");
        Ok(Reply::Success(Payload::Json(format!(
            "\"{service}.{method}\""
        ))))
    }
}

#[tokio::test]
async fn several_services_route_by_isn_then_by_unique_method() {
    let pool = Pool::from_source("two.thrift", TWO_SERVICES).unwrap();
    let server = Server::builder(Mode::Json)
        .idl(pool.clone())
        .bind("127.0.0.1:0", Who)
        .await
        .unwrap();
    let addr = server.local_addr().to_string();
    let client = |service: &str, transport| {
        Client::builder(&addr)
            .transport(transport)
            .idl(pool.clone())
            .service(service)
            .build()
            .unwrap()
    };
    let ok = |s: &str| Reply::Success(format!("\"{s}\""));
    // TTHeader carries isn: a shared method name goes to the named service.
    for service in ["A", "B"] {
        let c = client(service, Transport::TTHeader);
        assert_eq!(
            c.call_json("who", b"{}").await.unwrap(),
            ok(&format!("{service}.who"))
        );
    }
    // Framed has no isn: unique names route, a shared one is refused.
    let a = client("A", Transport::Framed);
    assert_eq!(a.call_json("onlyA", b"{}").await.unwrap(), ok("A.onlyA"));
    let b = client("B", Transport::Framed);
    assert_eq!(b.call_json("onlyB", b"{}").await.unwrap(), ok("B.onlyB"));
    let err = a.call_json("who", b"{}").await.unwrap_err();
    let ex = err.application().expect("application exception");
    assert_eq!(ex.kind().code(), 1, "{err}");
    assert!(ex.message().contains("several services"), "{err}");
    // A method no service has.
    let other = Pool::from_source("o.thrift", "service A { string nope() }").unwrap();
    let c = Client::builder(&addr).idl(other).build().unwrap();
    let err = c.call_json("nope", b"{}").await.unwrap_err();
    assert!(err.is_application(), "{err}");
    assert_eq!(err.application().unwrap().kind().code(), 1);
    assert!(err.application().unwrap().message().contains("nope"));
    // Only the listed services are served.
    let only_b = Server::builder(Mode::Json)
        .idl(pool.clone())
        .services(["B"])
        .bind("127.0.0.1:0", Who)
        .await
        .unwrap();
    let c = Client::builder(only_b.local_addr().to_string())
        .idl(pool.clone())
        .service("A")
        .build()
        .unwrap();
    assert_eq!(c.call_json("who", b"{}").await.unwrap(), ok("B.who"));
    let err = c.call_json("onlyA", b"{}").await.unwrap_err();
    assert_eq!(err.application().unwrap().kind().code(), 1);
}

#[tokio::test]
async fn pooled_connection_is_reused_and_hosts_are_called_round_robin() {
    let one = Server::builder(Mode::Json)
        .idl(echo_pool())
        .bind("127.0.0.1:0", EchoService::default())
        .await
        .unwrap();
    let two = Server::builder(Mode::Json)
        .idl(echo_pool())
        .bind("127.0.0.1:0", EchoService::default())
        .await
        .unwrap();
    let hosts = format!(" {} , {} ", one.local_addr(), two.local_addr());
    let client = Client::builder(hosts).idl(echo_pool()).build().unwrap();
    for _ in 0..10 {
        client.call_json("Ping", b"{}").await.unwrap();
    }
    assert_eq!(one.stats().calls, 5);
    assert_eq!(two.stats().calls, 5);
    assert_eq!(one.stats().connections, 1, "one long connection per host");
    assert_eq!(two.stats().connections, 1);
    assert_eq!(client.idle_connections(), 2);
    // Without pooling, a connection per call.
    let client = Client::builder(one.local_addr().to_string())
        .idl(echo_pool())
        .max_idle_per_host(0)
        .build()
        .unwrap();
    for _ in 0..3 {
        client.call_json("Ping", b"{}").await.unwrap();
    }
    assert_eq!(one.stats().connections, 4);
    assert_eq!(client.idle_connections(), 0);
}

/// Blocks each call until released, telling the test when it started.
#[derive(Debug)]
struct Gate {
    entered: mpsc::Sender<oneshot::Sender<()>>,
}

impl Handler for Gate {
    async fn call(
        &self,
        _ctx: &mut Context,
        _method: &str,
        _payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        let (release, wait) = oneshot::channel();
        self.entered.send(release).await.unwrap();
        let _ = wait.await;
        Ok(Reply::Success(Payload::Json("\"done\"".into())))
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_call_in_flight() {
    let pool = Pool::from_source("g.thrift", "service G { string slow() }").unwrap();
    let (entered, mut calls) = mpsc::channel(1);
    let server = Server::builder(Mode::Json)
        .idl(pool.clone())
        .bind("127.0.0.1:0", Gate { entered })
        .await
        .unwrap();
    let addr = server.local_addr();
    let client = Client::builder(addr.to_string()).idl(pool).build().unwrap();
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.call_json("slow", b"{}").await }
    });
    let release = calls.recv().await.expect("the call reached the handler");
    let shutdown = tokio::spawn(server.shutdown());
    // New connections are refused once the listener is closed; the
    // shutdown cannot finish while the call is in flight.
    let refused = async {
        for _ in 0..1000 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                return true;
            }
            tokio::task::yield_now().await;
        }
        false
    };
    assert!(refused.await, "listener still accepting after shutdown");
    assert!(!shutdown.is_finished());
    release.send(()).unwrap();
    let reply = call.await.unwrap().expect("the call in flight completes");
    assert_eq!(reply, Reply::Success("\"done\"".into()));
    shutdown.await.unwrap();
}

#[tokio::test]
async fn max_connections_refuses_the_extra_connection() {
    let server = Server::builder(Mode::Json)
        .idl(echo_pool())
        .max_connections(1)
        .bind("127.0.0.1:0", EchoService::default())
        .await
        .unwrap();
    let addr = server.local_addr().to_string();
    let first = Client::builder(&addr).idl(echo_pool()).build().unwrap();
    first.call_json("Ping", b"{}").await.unwrap();
    let second = Client::builder(&addr).idl(echo_pool()).build().unwrap();
    let err = second.call_json("Ping", b"{}").await.unwrap_err();
    assert!(err.is_io(), "{err:#}");
    assert_eq!(server.stats().rejected_connections, 1);
    // The first client's connection still works.
    first.call_json("Ping", b"{}").await.unwrap();
    assert_eq!(server.stats().active_connections, 1);
}

#[tokio::test]
async fn idle_connection_is_closed_by_the_server() {
    use tokio::io::AsyncReadExt;
    let server = Server::builder(Mode::Json)
        .idl(echo_pool())
        .idle_timeout(Duration::from_millis(100))
        .bind("127.0.0.1:0", EchoService::default())
        .await
        .unwrap();
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("closed well before 5 s")
        .unwrap();
    assert_eq!(n, 0);
    // A pooled client connection closed by the server is not reused.
    let client = Client::builder(server.local_addr().to_string())
        .idl(echo_pool())
        .build()
        .unwrap();
    client.call_json("Ping", b"{}").await.unwrap();
    assert_eq!(client.idle_connections(), 1);
    let closed = async {
        for _ in 0..500 {
            if server.stats().active_connections == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    };
    assert!(closed.await);
    client.call_json("Ping", b"{}").await.unwrap();
    assert_eq!(server.stats().connections, 3);
}

/// `Echo` with `action: "biz"` fails with a business status error: over
/// TTHeader the client gets its code, message and extras (and the
/// connection stays usable); over Framed and Buffered, which have no header
/// for it, an INTERNAL_ERROR naming it.
#[tokio::test]
async fn biz_status_errors_reach_the_client_in_every_server_mode() {
    let biz_call = r#"{"req": {"message": "m", "action": "biz"}}"#;
    for mode in [Mode::Json, Mode::Value, Mode::Binary] {
        let server = Server::builder(mode)
            .idl(echo_pool())
            .bind("127.0.0.1:0", EchoService::default())
            .await
            .unwrap();
        for transport in Transport::ALL {
            let client = Client::builder(server.local_addr().to_string())
                .transport(transport)
                .idl(echo_pool())
                .options(keyed())
                .build()
                .unwrap();
            let cell = format!("{mode:?} server, {transport}");
            let err = client
                .call_json("Echo", biz_call.as_bytes())
                .await
                .unwrap_err();
            if transport.has_ttheader() {
                assert!(err.is_biz_status(), "{cell}: {err:#}");
                let biz = err.biz_status().unwrap();
                assert_eq!(biz.code, 10001, "{cell}");
                assert_eq!(biz.message, "requested biz error", "{cell}");
                assert_eq!(
                    biz.extra.get("reason").map(String::as_str),
                    Some("asked"),
                    "{cell}"
                );
                assert_eq!(client.idle_connections(), 1, "{cell}: connection kept");
            } else {
                let ex = err
                    .application()
                    .unwrap_or_else(|| panic!("{cell}: {err:#}"));
                assert_eq!(ex.kind().code(), 6, "{cell}");
                assert_eq!(
                    ex.message(),
                    "biz status 10001: requested biz error",
                    "{cell}"
                );
            }
            // The same connection still serves calls.
            assert_eq!(
                client
                    .call_json("Add", br#"{"a": 1, "b": 2}"#)
                    .await
                    .unwrap(),
                Reply::Success("3".to_owned()),
                "{cell}"
            );
        }
    }
}

#[tokio::test]
async fn biz_status_errors_pass_through_the_proxy() {
    let upstream = Server::builder(Mode::Value)
        .idl(echo_pool())
        .bind("127.0.0.1:0", EchoService::default())
        .await
        .unwrap();
    let proxy = anycall_rpc::Proxy::builder(upstream.local_addr().to_string())
        .upstream_transport(Transport::TTHeader)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let client = Client::builder(proxy.local_addr().to_string())
        .transport(Transport::TTHeaderFramed)
        .idl(echo_pool())
        .build()
        .unwrap();
    let err = client
        .call(Request::json(
            "Echo",
            r#"{"message": "m", "action": "biz"}"#,
        ))
        .await
        .unwrap_err();
    let biz = err.biz_status().unwrap_or_else(|| panic!("{err:#}"));
    assert_eq!(
        (biz.code, biz.message.as_str()),
        (10001, "requested biz error")
    );
    assert_eq!(biz.extra.get("reason").map(String::as_str), Some("asked"));
}
