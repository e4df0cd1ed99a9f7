//! Per-connection and server-wide bounds (issue 15): write, header and idle
//! timeouts, the in-flight budget, the listen backlog, and the metrics that
//! count them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anycall_codec::Options;
use anycall_codec::call::{self, Reply};
use anycall_codec::frame::{FrameEncoder, Transport};
use anycall_codec::thrift::Protocol;
use anycall_idl::Pool;
use anycall_rpc::metrics::Registry;
use anycall_rpc::{
    Client, Context, Handler, HandlerError, Mode, Payload, Server, ServerHandle, Stats,
};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

const IDL: &str = "service Big { string big(1: i32 n), string echo(1: string s) }";

fn pool() -> Pool {
    Pool::from_source("big.thrift", IDL).unwrap()
}

/// `big(n)` answers a string of `n` bytes; `echo(s)` answers `s`, first
/// waiting for `gate` when one is set.
#[derive(Debug, Default)]
struct Big {
    gate: Option<Arc<Notify>>,
    running: Arc<AtomicUsize>,
}

impl Handler for Big {
    async fn call(
        &self,
        _ctx: &mut Context,
        method: &str,
        payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        let Payload::Json(args) = payload else {
            return Err(HandlerError::new("json only"));
        };
        let args: serde_json::Value = serde_json::from_str(&args)?;
        match method {
            "big" => {
                let n = args["n"].as_u64().unwrap_or(0) as usize;
                Ok(Reply::Success(Payload::Json(format!(
                    "\"{}\"",
                    "x".repeat(n)
                ))))
            }
            _ => {
                self.running.fetch_add(1, Ordering::SeqCst);
                if let Some(gate) = &self.gate {
                    gate.notified().await;
                }
                self.running.fetch_sub(1, Ordering::SeqCst);
                Ok(Reply::Success(Payload::Json(args["s"].to_string())))
            }
        }
    }
}

/// A framed binary CALL of `method` with JSON arguments.
fn request(method: &str, json: &str) -> BytesMut {
    let pool = pool();
    let m = pool.service("Big").unwrap().method(method).unwrap();
    let mut msg = BytesMut::new();
    call::encode_call_json(
        m,
        json.as_bytes(),
        1,
        Protocol::Binary,
        &Options::default(),
        &mut msg,
    )
    .unwrap();
    let mut out = BytesMut::new();
    FrameEncoder::new(Transport::Framed)
        .encode(None, &msg, &mut out)
        .unwrap();
    out
}

fn client(server: &ServerHandle) -> Client {
    Client::builder(server.local_addr().to_string())
        .idl(pool())
        .rpc_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Waits up to `within` for `cond` on the server's stats.
async fn wait_for(server: &ServerHandle, within: Duration, cond: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + within;
    loop {
        let stats = server.stats();
        if cond(&stats) || Instant::now() > deadline {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads until the server closes the connection; the bytes read.
async fn read_to_close(stream: &mut TcpStream) -> usize {
    let mut total = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return total,
            Ok(Ok(n)) => total += n,
            Err(_) => panic!("the server did not close the connection"),
        }
    }
}

#[tokio::test]
async fn a_reply_nobody_reads_closes_its_connection_at_the_write_timeout() {
    let write_timeout = Duration::from_millis(300);
    let server = Server::builder(Mode::Json)
        .idl(pool())
        .write_timeout(write_timeout)
        .bind("127.0.0.1:0", Big::default())
        .await
        .unwrap();
    let size = 8 << 20;
    let mut stalled = TcpStream::connect(server.local_addr()).await.unwrap();
    stalled
        .write_all(&request("big", &format!(r#"{{"n": {size}}}"#)))
        .await
        .unwrap();
    let started = Instant::now();
    // A good client is served while the reply waits.
    let good = client(&server);
    for i in 0..20 {
        let reply = good
            .call_json("echo", format!(r#"{{"s": "{i}"}}"#).as_bytes())
            .await
            .unwrap();
        assert_eq!(reply, Reply::Success(format!("\"{i}\"")));
    }
    let stats = wait_for(&server, Duration::from_secs(10), |s| s.write_timeouts == 1).await;
    assert_eq!(stats.write_timeouts, 1, "{stats:?}");
    assert!(started.elapsed() >= write_timeout);
    // What reached the client is less than the reply: the rest was dropped.
    let read = read_to_close(&mut stalled).await;
    assert!(read < size, "read {read} of {size}");
    let text = server.registry().render();
    assert!(
        text.contains("anycall_server_connections_closed_total{reason=\"write_timeout\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn a_first_request_sent_a_byte_at_a_time_is_cut_by_the_header_timeout() {
    let header_timeout = Duration::from_millis(400);
    let server = Server::builder(Mode::Json)
        .idl(pool())
        .header_timeout(header_timeout)
        .bind("127.0.0.1:0", Big::default())
        .await
        .unwrap();
    let bytes = request("echo", r#"{"s": "slow"}"#);
    let mut slow = TcpStream::connect(server.local_addr()).await.unwrap();
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut closed_at = None;
    // One byte each 50 ms: the whole request would take over a second.
    for b in bytes.iter() {
        tick.tick().await;
        if slow.write_all(&[*b]).await.is_err() {
            closed_at = Some(started.elapsed());
            break;
        }
        let mut probe = [0u8; 1];
        let closed = match slow.try_read(&mut probe) {
            Ok(n) => n == 0,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        };
        if closed {
            closed_at = Some(started.elapsed());
            break;
        }
    }
    let elapsed = closed_at.expect("the server closed the slow connection");
    assert!(elapsed >= header_timeout, "{elapsed:?}");
    assert!(elapsed < header_timeout * 4, "{elapsed:?}");
    assert_eq!(server.stats().header_timeouts, 1);
    // A silent connection is closed too; a good client meanwhile is not.
    let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
    let good = client(&server);
    assert!(good.call_json("echo", br#"{"s": "ok"}"#).await.is_ok());
    assert_eq!(read_to_close(&mut silent).await, 0);
    assert!(good.call_json("echo", br#"{"s": "ok"}"#).await.is_ok());
    let stats = server.stats();
    assert_eq!(stats.header_timeouts, 2, "{stats:?}");
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_its_last_reply() {
    let server = Server::builder(Mode::Json)
        .idl(pool())
        .idle_timeout(Duration::from_millis(300))
        .bind("127.0.0.1:0", Big::default())
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(&request("echo", r#"{"s": "once"}"#))
        .await
        .unwrap();
    // The reply, then the close.
    let read = read_to_close(&mut stream).await;
    assert!(read > 0);
    let stats = server.stats();
    assert_eq!(
        (stats.idle_timeouts, stats.header_timeouts),
        (1, 0),
        "{stats:?}"
    );
}

#[tokio::test]
async fn the_in_flight_budget_holds_back_new_requests_until_room_is_freed() {
    let gate = Arc::new(Notify::new());
    let running = Arc::new(AtomicUsize::new(0));
    let registry = Registry::new();
    let server = Server::builder(Mode::Json)
        .idl(pool())
        .max_in_flight_bytes(1 << 20)
        .registry(registry.clone())
        .bind(
            "127.0.0.1:0",
            Big {
                gate: Some(gate.clone()),
                running: running.clone(),
            },
        )
        .await
        .unwrap();
    // Two requests of 600 KiB: together over the 1 MiB budget.
    let s = "y".repeat(600 << 10);
    let args = format!(r#"{{"s": "{s}"}}"#);
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let c = client(&server);
            let args = args.clone();
            tokio::spawn(async move { c.call_json("echo", args.as_bytes()).await })
        })
        .collect();
    // One reaches the handler; the other waits for room.
    let deadline = Instant::now() + Duration::from_secs(5);
    while running.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(running.load(Ordering::SeqCst), 1);
    let waits = || {
        registry
            .render()
            .lines()
            .find_map(|l| l.strip_prefix("anycall_server_budget_waits_total "))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while waits() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(waits() >= 1);
    assert_eq!(running.load(Ordering::SeqCst), 1, "the second call waits");
    // Each call let through answers; then the other runs.
    for _ in 0..2 {
        let deadline = Instant::now() + Duration::from_secs(5);
        while running.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        gate.notify_one();
    }
    for c in calls {
        let reply = c.await.unwrap().unwrap();
        assert_eq!(reply, Reply::Success(format!("\"{s}\"")));
    }
    let text = registry.render();
    assert!(text.contains("anycall_server_in_flight_bytes 0"), "{text}");
}

#[tokio::test]
async fn metrics_count_requests_and_errors_by_method_and_kind() {
    let server = Server::builder(Mode::Json)
        .idl(pool())
        .bind("127.0.0.1:0", Big::default())
        .await
        .unwrap();
    let c = client(&server);
    c.call_json("echo", br#"{"s": "a"}"#).await.unwrap();
    c.call_json("big", br#"{"n": 3}"#).await.unwrap();
    // A method the IDL does not have: `echo` renamed `nope`.
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let pool = pool();
    let mut msg = BytesMut::new();
    call::encode_call_json(
        pool.service("Big").unwrap().method("echo").unwrap(),
        br#"{"s": "x"}"#,
        7,
        Protocol::Binary,
        &Options::default(),
        &mut msg,
    )
    .unwrap();
    let at = msg.windows(4).position(|w| w == b"echo").unwrap();
    msg[at..at + 4].copy_from_slice(b"nope");
    let mut framed = BytesMut::new();
    FrameEncoder::new(Transport::Framed)
        .encode(None, &msg, &mut framed)
        .unwrap();
    stream.write_all(&framed).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(n > 0);
    let text = server.registry().render();
    for want in [
        "anycall_server_requests_total{method=\"Big/echo\"} 1",
        "anycall_server_requests_total{method=\"Big/big\"} 1",
        "anycall_server_open_connections ",
        "anycall_server_request_duration_seconds_count ",
        "anycall_server_bytes_in_total ",
        "anycall_server_bytes_out_total ",
    ] {
        assert!(text.contains(want), "{want} in\n{text}");
    }
    assert!(
        text.contains("anycall_server_errors_total{method=\"nope\",kind=\"unknown_method\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn the_listener_takes_the_backlog_asked_for() {
    let listener = anycall_rpc::limits::listen("127.0.0.1:0", Some(16))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Server::builder(Mode::Json)
        .idl(pool())
        .serve(listener, Big::default())
        .unwrap();
    let c = Client::builder(addr.to_string())
        .idl(pool())
        .build()
        .unwrap();
    c.call_json("echo", br#"{"s": "b"}"#).await.unwrap();
    drop(server);
    assert!(anycall_rpc::limits::default_backlog() > 0);
}

/// Never called: the GOAWAY test opens a connection and makes no call.
#[cfg(feature = "grpc")]
#[derive(Debug)]
struct NoCalls;

#[cfg(feature = "grpc")]
impl anycall_rpc::grpc::GrpcHandler for NoCalls {
    async fn call(
        &self,
        _call: anycall_rpc::grpc::GrpcCall,
        _requests: anycall_rpc::grpc::MessageStream,
    ) -> Result<anycall_rpc::grpc::GrpcReply, tonic::Status> {
        Err(tonic::Status::unimplemented("no calls here"))
    }
}

/// On shutdown an HTTP/2 connection on the Thrift port gets a GOAWAY frame
/// (hyper's graceful shutdown) before it closes.
#[cfg(feature = "grpc")]
#[tokio::test]
async fn a_stopping_server_sends_goaway_on_http2_connections() {
    let grpc = anycall_rpc::grpc::GrpcServer::builder(crate::grpc::interop_pool())
        .build(NoCalls)
        .unwrap();
    let server = Server::builder(Mode::Json)
        .idl(pool())
        .grpc(grpc)
        .bind("127.0.0.1:0", Big::default())
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    // The client preface and an empty SETTINGS frame.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let mut buf = BytesMut::new();
    // Frames: 3-byte length, type, flags, 4-byte stream id, payload.
    let mut next_frame = async || -> Option<u8> {
        loop {
            if buf.len() >= 9 {
                let len =
                    usize::from(buf[0]) << 16 | usize::from(buf[1]) << 8 | usize::from(buf[2]);
                if buf.len() >= 9 + len {
                    let kind = buf[3];
                    let _ = buf.split_to(9 + len);
                    return Some(kind);
                }
            }
            let read = tokio::time::timeout(Duration::from_secs(5), stream.read_buf(&mut buf))
                .await
                .expect("the server writes or closes within 5 s");
            if matches!(read, Ok(0) | Err(_)) {
                return None;
            }
        }
    };
    // The server's SETTINGS first.
    assert_eq!(next_frame().await, Some(0x4));
    let stopping = tokio::spawn(server.shutdown());
    let mut kinds = Vec::new();
    while let Some(kind) = next_frame().await {
        kinds.push(kind);
        if kind == 0x7 {
            break;
        }
    }
    assert!(kinds.contains(&0x7), "no GOAWAY among frames {kinds:?}");
    drop(stream);
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .unwrap()
        .unwrap();
}

/// A call answered while the server stops carries Kitex's `crrst` in its
/// TTHeader, and the client does not pool that connection again.
#[tokio::test]
async fn a_reply_sent_while_stopping_tells_ttheader_clients_to_drop_the_connection() {
    let gate = Arc::new(Notify::new());
    let running = Arc::new(AtomicUsize::new(0));
    let server = Server::builder(Mode::Json)
        .idl(pool())
        .bind(
            "127.0.0.1:0",
            Big {
                gate: Some(gate.clone()),
                running: running.clone(),
            },
        )
        .await
        .unwrap();
    let c = Client::builder(server.local_addr().to_string())
        .idl(pool())
        .transport(Transport::TTHeader)
        .build()
        .unwrap();
    // Before the stop, a connection goes back to the pool.
    let first = {
        let c = c.clone();
        tokio::spawn(async move { c.call_json("echo", br#"{"s": "a"}"#).await })
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while running.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    gate.notify_one();
    first.await.unwrap().unwrap();
    assert_eq!(c.idle_connections(), 1);
    let held = {
        let c = c.clone();
        tokio::spawn(async move { c.call_json("echo", br#"{"s": "b"}"#).await })
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while running.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let addr = server.local_addr();
    let stopping = tokio::spawn(server.shutdown());
    // The accept loop has stopped once a new connection is refused.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    gate.notify_one();
    let reply = held.await.unwrap().unwrap();
    assert_eq!(reply, Reply::Success("\"b\"".to_owned()));
    assert_eq!(c.idle_connections(), 0, "the connection was not pooled");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .unwrap()
        .unwrap();
}
