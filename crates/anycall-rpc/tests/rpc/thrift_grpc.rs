//! Thrift over gRPC (`application/grpc+thrift`): anycall's client and
//! server against each other and against the Kitex peer (`kitex-peer
//! stream-server` / `stream-client --transport grpc`,
//! testdata/interop/streaming.thrift), all four kinds and unary, exact
//! values. The anycall server is the TTHeader Streaming tests' one: the same
//! port and handlers answer gRPC.

use std::time::{Duration, Instant};

use anycall_rpc::grpc::ThriftGrpcClient;
use anycall_rpc::{Mode, Payload, Reply, Value};
use serde_json::{Value as Json, json};

use crate::peers::{kitex_peer, run_peer_client, start_peer};
use crate::ttstream::{start_server, streaming_pool};

const FAILURE: &str = "requested stream failure";

fn client(addr: &str, mode: Mode) -> ThriftGrpcClient {
    ThriftGrpcClient::builder(addr)
        .idl(streaming_pool())
        .mode(mode)
        .build()
        .expect("client builds")
}

fn j(text: &str) -> Payload {
    Payload::Json(text.to_owned())
}

fn parse(p: Payload) -> Json {
    match p {
        Payload::Json(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("expected json, got {other:?}"),
    }
}

fn texts(replies: Vec<Payload>) -> Json {
    Json::Array(replies.into_iter().map(parse).collect())
}

async fn bidi_all(c: &ThriftGrpcClient, reqs: &[&str]) -> anycall_rpc::Result<Vec<Payload>> {
    let mut s = c.bidi("Echo").await?;
    for r in reqs {
        s.send(j(r)).await?;
    }
    s.close_send().await?;
    let mut out = Vec::new();
    while let Some(p) = s.recv().await? {
        out.push(p);
    }
    Ok(out)
}

/// The client's script, exact values, against any server with the
/// streaming.thrift semantics.
async fn client_script(addr: &str) {
    let c = client(addr, Mode::Json);
    assert_eq!(c.path("Echo").unwrap(), "/streams.StreamService/Echo");
    let out = bidi_all(
        &c,
        &[
            r#"{"msg":"a","num":1,"items":[1,2]}"#,
            r#"{"msg":"b","num":-2}"#,
            r#"{"msg":"","num":1099511627776,"items":[-7]}"#,
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        texts(out),
        json!([
            {"msg":"a","num":1,"items":[1,2],"seq":0},
            {"msg":"b","num":-2,"items":[],"seq":1},
            {"msg":"","num":1_099_511_627_776_i64,"items":[-7],"seq":2}
        ])
    );
    assert!(bidi_all(&c, &[]).await.unwrap().is_empty());
    // client streaming
    let mut s = c.client_streaming("Sum").await.unwrap();
    for r in [
        r#"{"msg":"x","num":1}"#,
        r#"{"msg":"y","num":2}"#,
        r#"{"msg":"z","num":39}"#,
    ] {
        s.send(j(r)).await.unwrap();
    }
    assert_eq!(
        parse(s.close_and_recv().await.unwrap()),
        json!({"msg":"x,y,z","num":42,"items":[],"seq":3})
    );
    // server streaming
    let mut s = c
        .server_streaming("Count", j(r#"{"msg":"n","num":3}"#))
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(p) = s.recv().await.unwrap() {
        out.push(p);
    }
    assert_eq!(
        texts(out),
        json!([
            {"msg":"n","num":0,"items":[],"seq":0},
            {"msg":"n","num":1,"items":[],"seq":1},
            {"msg":"n","num":2,"items":[],"seq":2}
        ])
    );
    // unary Thrift over gRPC: the args and result wrappers, both methods
    for method in ["Unary", "Plain"] {
        let reply = c
            .unary(method, j(r#"{"msg":"u","num":7,"items":[3]}"#))
            .await
            .unwrap();
        let Reply::Success(p) = reply else {
            panic!("{method}: {reply:?}")
        };
        assert_eq!(parse(p), json!({"msg":"u","num":7,"items":[3],"seq":0}));
    }
    // handler errors end the call with a non-OK status and its message
    let err = bidi_all(&c, &[r#"{"msg":"ok"}"#, r#"{"msg":"fail"}"#])
        .await
        .unwrap_err();
    assert!(err.grpc_status().is_some(), "{err:?}");
    assert!(err.to_string().contains(FAILURE), "{err}");
    let mut s = c
        .server_streaming("Count", j(r#"{"msg":"fail","num":3}"#))
        .await
        .unwrap();
    let err = s.recv().await.unwrap_err();
    assert!(err.to_string().contains(FAILURE), "{err}");
    let err = c.unary("Unary", j(r#"{"msg":"fail"}"#)).await.unwrap_err();
    assert!(err.to_string().contains(FAILURE), "{err}");
    // unary metainfo, in Kitex's gRPC spelling, reaches the handler
    let with_meta = ThriftGrpcClient::builder(addr)
        .idl(streaming_pool())
        .metadata("rpc-transit-trace-id", "t-1")
        .unwrap()
        .build()
        .unwrap();
    let Reply::Success(p) = with_meta
        .unary("Unary", j(r#"{"msg":"meta:TRACE_ID"}"#))
        .await
        .unwrap()
    else {
        panic!("metainfo echo")
    };
    assert_eq!(parse(p)["msg"], "t-1");
    // a business status comes back in `biz-status` trailers
    let err = c.unary("Unary", j(r#"{"msg":"biz"}"#)).await.unwrap_err();
    let biz = err.biz_status().expect("a business status");
    assert_eq!(
        (biz.code, biz.message.as_str()),
        (10001, "requested biz error"),
        "{err}"
    );
    assert_eq!(biz.extra.get("reason").map(String::as_str), Some("asked"));
    // a ping-pong method is refused as a stream, a stream as unary
    assert!(c.bidi("Unary").await.unwrap_err().is_config());
    assert!(c.unary("Echo", j("{}")).await.unwrap_err().is_config());
    // the connection still serves streams after all that
    assert_eq!(
        bidi_all(&c, &[r#"{"msg":"again"}"#]).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn loopback_all_kinds() {
    let server = start_server(None).await;
    client_script(&server.local_addr().to_string()).await;
}

#[tokio::test]
async fn kitex_server_all_kinds() {
    let peer = start_peer(kitex_peer(), "stream-server", &[]).await;
    client_script(&peer.addr).await;
}

/// The path without a package (as Kitex's generic clients send it) reaches
/// the same service, on both servers.
#[tokio::test]
async fn path_without_package() {
    let server = start_server(None).await;
    let peer = start_peer(kitex_peer(), "stream-server", &[]).await;
    for addr in [server.local_addr().to_string(), peer.addr.clone()] {
        let c = ThriftGrpcClient::builder(&addr)
            .idl(streaming_pool())
            .package("")
            .build()
            .unwrap();
        assert_eq!(c.path("Echo").unwrap(), "/StreamService/Echo");
        let out = bidi_all(&c, &[r#"{"msg":"p","num":0}"#]).await.unwrap();
        assert_eq!(texts(out), json!([{"msg":"p","num":0,"items":[],"seq":0}]));
    }
}

/// Value and binary modes carry the same messages.
async fn modes_script(addr: &str) {
    let c = client(addr, Mode::Value);
    let mut s = c.bidi("Echo").await.unwrap();
    let mut fields = anycall_codec::Struct::new();
    fields.insert("msg", Value::String("v".into()));
    fields.insert("num", Value::I64(5));
    s.send(Payload::Value(Value::Struct(fields.clone())))
        .await
        .unwrap();
    let Payload::Value(Value::Struct(got)) = s.recv().await.unwrap().unwrap() else {
        panic!("value mode answers values")
    };
    let shown = format!("{got:?}");
    assert!(shown.contains("\"v\"") && shown.contains('5'), "{shown}");
    s.close_send().await.unwrap();
    assert!(s.recv().await.unwrap().is_none());
    // unary in Value mode: the one struct parameter itself
    let Reply::Success(Payload::Value(Value::Struct(got))) = c
        .unary("Unary", Payload::Value(Value::Struct(fields)))
        .await
        .unwrap()
    else {
        panic!("value mode answers values")
    };
    assert!(format!("{got:?}").contains("\"v\""));

    let c = client(addr, Mode::Binary);
    let mut s = c.bidi("Echo").await.unwrap();
    // StreamReq {1: "b"} (binary protocol, bare struct)
    let req = bytes::Bytes::from_static(&[0x0b, 0, 1, 0, 0, 0, 1, b'b', 0]);
    s.send(Payload::Binary(req)).await.unwrap();
    let Payload::Binary(got) = s.recv().await.unwrap().unwrap() else {
        panic!("binary mode answers bytes")
    };
    let v = decode("StreamResp", &got);
    assert_eq!((v["msg"].as_str(), v["seq"].as_i64()), (Some("b"), Some(0)));
    // unary in binary mode: Unary_args {1: StreamReq {1: "b"}} in, the
    // Unary_result struct {0: StreamResp} out.
    let args = bytes::Bytes::from_static(&[0x0c, 0, 1, 0x0b, 0, 1, 0, 0, 0, 1, b'b', 0, 0]);
    let Reply::Success(Payload::Binary(result)) =
        c.unary("Unary", Payload::Binary(args)).await.unwrap()
    else {
        panic!("binary mode answers bytes")
    };
    assert_eq!(&result[..3], &[0x0c, 0, 0], "field 0 (success) is a struct");
    let v = decode("StreamResp", &result[3..result.len() - 1]);
    assert_eq!(v["msg"], "b");
}

fn decode(name: &str, bytes: &[u8]) -> Json {
    let pool = streaming_pool();
    let (text, _) = anycall_codec::call::decode_struct_json(
        pool.find_struct(name).unwrap(),
        bytes,
        anycall_rpc::Protocol::Binary,
        &Default::default(),
        &Default::default(),
        false,
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn value_and_binary_modes() {
    let server = start_server(None).await;
    modes_script(&server.local_addr().to_string()).await;
    let peer = start_peer(kitex_peer(), "stream-server", &[]).await;
    modes_script(&peer.addr).await;
}

/// A deadline and a cancel from the client; the server survives both.
async fn cancel_script(addr: &str) {
    let c = ThriftGrpcClient::builder(addr)
        .idl(streaming_pool())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = bidi_all(&c, &[r#"{"msg":"sleep:5000"}"#])
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    let err = c
        .unary("Unary", j(r#"{"msg":"sleep:5000"}"#))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(6));

    let c = client(addr, Mode::Json);
    let mut s = c.bidi("Echo").await.unwrap();
    s.send(j(r#"{"msg":"one","num":1}"#)).await.unwrap();
    assert!(s.recv().await.unwrap().is_some());
    s.cancel();
    let mut s = c.bidi("Echo").await.unwrap();
    s.send(j(r#"{"msg":"sleep:5000"}"#)).await.unwrap();
    drop(s);
    assert_eq!(
        bidi_all(&c, &[r#"{"msg":"after"}"#]).await.unwrap().len(),
        1
    );
}

/// Both servers see the ends of the streams the client gave up on: the
/// timed-out and the cancelled one; the dropped one too when its request
/// got out before the drop, and the Kitex peer also counts the timed-out
/// unary call, whose handler context ends too.
#[tokio::test]
async fn cancel_and_timeout_from_the_client() {
    let server = start_server(None).await;
    let addr = server.local_addr().to_string();
    cancel_script(&addr).await;
    wait_for_cancelled(&addr, 2..=3).await;
    let peer = start_peer(kitex_peer(), "stream-server", &[]).await;
    cancel_script(&peer.addr).await;
    wait_for_cancelled(&peer.addr, 2..=4).await;
}

/// What the server at `addr` answers `stats` with over unary Thrift over
/// gRPC: the streams whose client cancelled them.
async fn cancelled(addr: &str) -> u64 {
    let c = client(addr, Mode::Json);
    let Reply::Success(p) = c.unary("Unary", j(r#"{"msg":"stats"}"#)).await.unwrap() else {
        panic!("stats")
    };
    let msg = parse(p)["msg"].as_str().unwrap().to_owned();
    msg.trim_start_matches("cancelled=").parse().unwrap()
}

/// Waits (bounded) until the server at `addr` counted at least the start
/// of `want` cancelled streams, then checks the count is in `want`.
async fn wait_for_cancelled(addr: &str, want: std::ops::RangeInclusive<u64>) {
    let started = Instant::now();
    loop {
        let seen = cancelled(addr).await;
        if seen >= *want.start() {
            assert!(
                want.contains(&seen),
                "{seen} cancelled streams, want {want:?}"
            );
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{seen} cancelled streams seen by {addr}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// 10,000 messages on one stream and 100 concurrent streams on one
/// connection.
async fn load_script(addr: &str) {
    let c = client(addr, Mode::Json);
    let n = 10_000i64;
    let mut s = c.bidi("Echo").await.unwrap();
    let mut got = 0i64;
    for i in 0..n {
        s.send(j(&format!(r#"{{"msg":"m","num":{i}}}"#)))
            .await
            .unwrap();
        if i % 100 == 99 {
            while got <= i {
                let v = parse(s.recv().await.unwrap().unwrap());
                assert_eq!(
                    (v["num"].as_i64(), v["seq"].as_i64()),
                    (Some(got), Some(got))
                );
                got += 1;
            }
        }
    }
    s.close_send().await.unwrap();
    assert!(s.recv().await.unwrap().is_none());
    assert_eq!(got, n);
    let mut tasks = Vec::new();
    for k in 0..100 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let reqs: Vec<String> = (0..20)
                .map(|i| format!(r#"{{"msg":"{k}","num":{i}}}"#))
                .collect();
            let refs: Vec<&str> = reqs.iter().map(String::as_str).collect();
            let out = bidi_all(&c, &refs).await.unwrap();
            assert_eq!(out.len(), 20);
            for (i, p) in out.into_iter().enumerate() {
                let v = parse(p);
                assert_eq!(v["msg"], k.to_string());
                assert_eq!(v["num"], i as i64);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn ten_thousand_messages_and_hundred_streams() {
    let server = start_server(None).await;
    load_script(&server.local_addr().to_string()).await;
    let peer = start_peer(kitex_peer(), "stream-server", &[]).await;
    load_script(&peer.addr).await;
}

/// Kitex's clients over gRPC against anycall's server: the generated
/// client (`transport.GRPC`: streams, and unary Thrift over gRPC), and the
/// generic streaming clients (map, JSON), the whole script each: all four
/// kinds, errors, timeout, cancel, 10,000 messages, 100 streams.
#[tokio::test]
async fn kitex_clients_against_anycall_server() {
    let server = start_server(None).await;
    let addr = server.local_addr().to_string();
    let mut seen = 0;
    for mode in ["codegen", "map", "json"] {
        let lines = run_peer_client(
            kitex_peer(),
            "stream-client",
            &["--addr", &addr, "--transport", "grpc", "--mode", mode],
            &format!("kitex {mode} client -> anycall server over grpc"),
        )
        .await;
        // Over gRPC the script adds unary metainfo and business status.
        assert_eq!(lines.len(), 14, "{mode}: every case ran");
        // The script's timeout and cancel cases reset their streams.
        seen += 2;
        wait_for_cancelled(&addr, seen..=seen).await;
    }
}
