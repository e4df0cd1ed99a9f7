//! TTHeader Streaming: anycall's client and server against each other and
//! against the Kitex peer (`kitex-peer stream-server` / `stream-client`,
//! testdata/interop/streaming.thrift), all four kinds, exact values.
//!
//! The test server implements the same semantics as the Kitex peer's
//! handler (see the IDL's comment), so one script checks both.

use std::time::{Duration, Instant};

use anycall_idl::Pool;
use anycall_rpc::ttstream::{Replies, Requests, StreamCall, StreamClient, StreamServer};
use anycall_rpc::{
    BizStatus, Context, Handler, HandlerError, Mode, Payload, Reply, Server, ServerHandle, Value,
};
use serde_json::{Value as Json, json};

use crate::common::repo_root;
use crate::peers::{kitex_peer, run_peer_client, start_peer};

pub(crate) fn streaming_pool() -> Pool {
    let path = repo_root().join("testdata/interop/streaming.thrift");
    Pool::from_file(path.to_str().unwrap(), Vec::<String>::new()).unwrap()
}

fn parse(p: Payload) -> Json {
    match p {
        Payload::Json(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("expected json, got {other:?}"),
    }
}

fn reply(req: &Json, seq: i64) -> Payload {
    Payload::Json(
        json!({"msg": req["msg"], "num": req["num"], "items": req.get("items").cloned().unwrap_or(json!([])), "seq": seq})
            .to_string(),
    )
}

const FAILURE: &str = "requested stream failure";

async fn outcome(req: &Json) -> Result<(), HandlerError> {
    let msg = req["msg"].as_str().unwrap_or("");
    if msg == "fail" {
        return Err(HandlerError::new(FAILURE));
    }
    if let Some(ms) = msg.strip_prefix("sleep:") {
        tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
    }
    Ok(())
}

/// The streaming.thrift semantics, as the Kitex peer serves them.
async fn serve_stream(
    call: StreamCall,
    mut reqs: Requests,
    mut replies: Replies,
) -> Result<(), HandlerError> {
    match call.method() {
        "Echo" => {
            let mut seq = 0;
            while let Some(p) = reqs.recv().await? {
                let r = parse(p);
                outcome(&r).await?;
                replies.send(reply(&r, seq)).await?;
                seq += 1;
            }
        }
        "Sum" => {
            let (mut msgs, mut sum) = (Vec::new(), 0i64);
            while let Some(p) = reqs.recv().await? {
                let r = parse(p);
                outcome(&r).await?;
                msgs.push(r["msg"].as_str().unwrap_or("").to_owned());
                sum += r["num"].as_i64().unwrap_or(0);
            }
            let out = json!({"msg": msgs.join(","), "num": sum, "items": [], "seq": msgs.len()});
            replies.send(Payload::Json(out.to_string())).await?;
        }
        "Count" => {
            let r = parse(
                reqs.recv()
                    .await?
                    .ok_or_else(|| HandlerError::new("no request"))?,
            );
            outcome(&r).await?;
            for i in 0..r["num"].as_i64().unwrap_or(0) {
                let out = json!({"msg": r["msg"], "num": i, "items": [], "seq": i});
                replies.send(Payload::Json(out.to_string())).await?;
            }
        }
        other => return Err(HandlerError::new(format!("unexpected method {other}"))),
    }
    Ok(())
}

/// Unary and Plain, ping-pong; `{"msg":"stats"}` answers
/// `cancelled=<n>`, the streams the clients reset (as the Kitex peer counts
/// the handlers whose context the client cancelled).
struct Unary(StreamServer);

impl Handler for Unary {
    async fn call(
        &self,
        ctx: &mut Context,
        _method: &str,
        payload: Payload,
    ) -> Result<Reply<Payload>, HandlerError> {
        // A single struct parameter is the arguments' JSON itself (as in
        // Kitex's JSON generic).
        let req = &parse(payload);
        if req["msg"] == "stats" {
            let n = self.0.stats().reset_by_client;
            return Ok(Reply::Success(Payload::Json(
                json!({"msg": format!("cancelled={n}")}).to_string(),
            )));
        }
        let msg = req["msg"].as_str().unwrap_or("");
        if let Some(key) = msg.strip_prefix("meta:") {
            let value = ctx.metainfo().transient.get(key).cloned();
            let out = json!({"msg": value.unwrap_or_default(), "num": 0, "items": [], "seq": 0});
            return Ok(Reply::Success(Payload::Json(out.to_string())));
        }
        if msg == "biz" {
            let biz = BizStatus::new(10001, "requested biz error").with_extra("reason", "asked");
            return Err(HandlerError::biz_status(biz));
        }
        outcome(req).await?;
        Ok(Reply::Success(reply(req, 0)))
    }
}

pub(crate) async fn start_server(timeout: Option<Duration>) -> ServerHandle {
    let mut streams = StreamServer::builder(Mode::Json, streaming_pool(), serve_stream);
    if let Some(t) = timeout {
        streams = streams.stream_timeout(t);
    }
    serve(streams.build()).await
}

async fn serve(streams: StreamServer) -> ServerHandle {
    Server::builder(Mode::Json)
        .idl(streaming_pool())
        .streams(streams.clone())
        .bind("127.0.0.1:0", Unary(streams))
        .await
        .expect("server binds")
}

/// What the server at `addr` answers `stats` with, ping-pong: the streams
/// whose client cancelled them.
pub(crate) async fn cancelled(addr: &str) -> u64 {
    let client = anycall_rpc::Client::builder(addr)
        .transport(anycall_rpc::Transport::Framed)
        .idl(streaming_pool())
        .build()
        .unwrap();
    let reply = client
        .call_json("Unary", br#"{"msg":"stats"}"#)
        .await
        .unwrap();
    let Reply::Success(text) = reply else {
        panic!("{reply:?}")
    };
    let msg = serde_json::from_str::<Json>(&text).unwrap()["msg"]
        .as_str()
        .unwrap()
        .to_owned();
    msg.trim_start_matches("cancelled=").parse().unwrap()
}

async fn client(addr: &str, mode: Mode) -> StreamClient {
    StreamClient::builder(addr)
        .idl(streaming_pool())
        .mode(mode)
        .connect()
        .await
        .expect("connects")
}

fn j(text: &str) -> Payload {
    Payload::Json(text.to_owned())
}

fn texts(replies: Vec<Payload>) -> Json {
    Json::Array(replies.into_iter().map(parse).collect())
}

async fn bidi_all(c: &StreamClient, reqs: &[&str]) -> anycall_rpc::Result<Vec<Payload>> {
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

/// The anycall client's script, exact values, against any server with the
/// streaming.thrift semantics.
async fn client_script(addr: &str) {
    let c = client(addr, Mode::Json).await;
    // bidi
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
    // bidi, no messages
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
    // errors end the stream with an exception trailer
    let err = bidi_all(&c, &[r#"{"msg":"ok"}"#, r#"{"msg":"fail"}"#])
        .await
        .unwrap_err();
    let ex = err.application().expect("an application exception");
    assert!(ex.message().contains(FAILURE), "{ex}");
    let mut s = c
        .server_streaming("Count", j(r#"{"msg":"fail","num":3}"#))
        .await
        .unwrap();
    let err = s.recv().await.unwrap_err();
    assert!(err.application().unwrap().message().contains(FAILURE));
    // a ping-pong method is refused as a stream
    let err = c.bidi("Unary").await.unwrap_err();
    assert!(err.is_config(), "{err}");
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

/// Value and binary modes carry the same messages.
async fn modes_script(addr: &str) {
    let c = client(addr, Mode::Value).await;
    let mut s = c.bidi("Echo").await.unwrap();
    let mut fields = anycall_codec::Struct::new();
    fields.insert("msg", Value::String("v".into()));
    fields.insert("num", Value::I64(5));
    let req = Value::Struct(fields);
    s.send(Payload::Value(req)).await.unwrap();
    let Payload::Value(Value::Struct(got)) = s.recv().await.unwrap().unwrap() else {
        panic!("value mode answers values")
    };
    let shown = format!("{got:?}");
    assert!(shown.contains("\"v\"") && shown.contains('5'), "{shown}");
    s.close_send().await.unwrap();
    assert!(s.recv().await.unwrap().is_none());

    let c = client(addr, Mode::Binary).await;
    let mut s = c.bidi("Echo").await.unwrap();
    // StreamReq {1: "b"} (binary protocol, bare struct)
    let bytes = bytes::Bytes::from_static(&[0x0b, 0, 1, 0, 0, 0, 1, b'b', 0]);
    s.send(Payload::Binary(bytes)).await.unwrap();
    let Payload::Binary(got) = s.recv().await.unwrap().unwrap() else {
        panic!("binary mode answers bytes")
    };
    let text = decode_resp(&got);
    assert_eq!(text["msg"], "b");
    assert_eq!(text["seq"], 0);
}

fn decode_resp(bytes: &[u8]) -> Json {
    let pool = streaming_pool();
    let (text, _) = anycall_codec::call::decode_struct_json(
        pool.find_struct("StreamResp").unwrap(),
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

/// 10,000 messages on one stream, then 100 concurrent streams on one
/// connection, against both servers.
async fn load_script(addr: &str) {
    let c = client(addr, Mode::Json).await;
    // A second stream stays open meanwhile, to show streams interleave.
    let mut side = c.bidi("Echo").await.unwrap();
    side.send(j(r#"{"msg":"side"}"#)).await.unwrap();
    let n = 10_000i64;
    let mut s = c.bidi("Echo").await.unwrap();
    let started = Instant::now();
    let mut got = 0i64;
    for i in 0..n {
        s.send(j(&format!(r#"{{"msg":"m","num":{i}}}"#)))
            .await
            .unwrap();
        // Read back in batches: sending everything first would fill every
        // buffer on the way (ttstream has no flow control).
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
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(parse(side.recv().await.unwrap().unwrap())["msg"], "side");

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
    assert!(!c.is_closed());
}

#[tokio::test]
async fn ten_thousand_messages_and_hundred_streams() {
    let server = start_server(None).await;
    load_script(&server.local_addr().to_string()).await;
    let peer = start_peer(kitex_peer(), "stream-server", &[]).await;
    load_script(&peer.addr).await;
}

/// Client-side cancel and timeout; the server survives both.
async fn cancel_script(addr: &str) {
    let c = StreamClient::builder(addr)
        .idl(streaming_pool())
        .stream_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let started = Instant::now();
    let err = bidi_all(&c, &[r#"{"msg":"sleep:5000"}"#])
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));

    let c = client(addr, Mode::Json).await;
    let mut s = c.bidi("Echo").await.unwrap();
    s.send(j(r#"{"msg":"one","num":1}"#)).await.unwrap();
    assert!(s.recv().await.unwrap().is_some());
    s.cancel();
    // The connection serves new streams after the reset.
    assert_eq!(
        bidi_all(&c, &[r#"{"msg":"after"}"#]).await.unwrap().len(),
        1
    );
}

/// Both servers see the two streams' ends: the timed-out one and the
/// cancelled one.
#[tokio::test]
async fn cancel_and_timeout_from_the_client() {
    let server = start_server(None).await;
    let addr = server.local_addr().to_string();
    cancel_script(&addr).await;
    wait_for_cancelled(&addr, 2).await;
    let peer = start_peer(kitex_peer(), "stream-server", &[]).await;
    cancel_script(&peer.addr).await;
    wait_for_cancelled(&peer.addr, 2).await;
}

/// Waits (bounded) until the server at `addr` counted `n` cancelled
/// streams: a reset reaches a handler a little after the client moved on.
async fn wait_for_cancelled(addr: &str, n: u64) {
    let started = Instant::now();
    loop {
        let seen = cancelled(addr).await;
        if seen >= n {
            assert_eq!(seen, n, "no other stream was cancelled");
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{seen} of {n} cancelled streams seen by {addr}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn server_timeout_resets_the_stream() {
    let server = start_server(Some(Duration::from_millis(200))).await;
    let c = client(&server.local_addr().to_string(), Mode::Json).await;
    let started = Instant::now();
    let err = bidi_all(&c, &[r#"{"msg":"sleep:5000"}"#])
        .await
        .unwrap_err();
    let ex = err.application().expect("rst with an exception");
    assert_eq!(ex.kind().0, 12015, "{ex}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn max_streams_per_connection() {
    let streams = StreamServer::builder(Mode::Json, streaming_pool(), serve_stream)
        .max_streams_per_connection(2)
        .build();
    let server = serve(streams.clone()).await;
    let c = client(&server.local_addr().to_string(), Mode::Json).await;
    let mut a = c.bidi("Echo").await.unwrap();
    let mut b = c.bidi("Echo").await.unwrap();
    a.send(j(r#"{"msg":"a"}"#)).await.unwrap();
    b.send(j(r#"{"msg":"b"}"#)).await.unwrap();
    assert!(a.recv().await.unwrap().is_some());
    assert!(b.recv().await.unwrap().is_some());
    let err = bidi_all(&c, &[r#"{"msg":"c"}"#]).await.unwrap_err();
    assert!(
        err.application()
            .unwrap()
            .message()
            .contains("too many streams"),
        "{err}"
    );
}

#[tokio::test]
async fn graceful_shutdown_ends_open_streams_with_a_trailer() {
    let server = start_server(None).await;
    let c = client(&server.local_addr().to_string(), Mode::Json).await;
    let mut s = c.bidi("Echo").await.unwrap();
    s.send(j(r#"{"msg":"x"}"#)).await.unwrap();
    assert!(s.recv().await.unwrap().is_some());
    let stop = tokio::spawn(server.shutdown());
    let err = tokio::time::timeout(Duration::from_secs(5), s.recv())
        .await
        .expect("the trailer comes")
        .unwrap_err();
    assert_eq!(err.application().unwrap().kind().0, 12006, "{err}");
    stop.await.unwrap();
}

/// Meta frames from the server travel beside the messages: their keys
/// show on the stream, the messages and the end are unchanged.
#[tokio::test]
async fn meta_frames_reach_the_client_stream() {
    use anycall_codec::frame::{FrameType, StreamDecoder, StreamEncoder, StreamFrame};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut dec = StreamDecoder::new();
        let mut buf = bytes::BytesMut::new();
        let header = loop {
            if let Some(frame) = dec.decode(&mut buf).unwrap() {
                break frame;
            }
            assert!(sock.read_buf(&mut buf).await.unwrap() > 0, "a header frame");
        };
        assert_eq!(header.frame_type, FrameType::Header);
        let (id, method) = (header.stream_id, header.method.clone());
        let enc = StreamEncoder::new();
        let mut out = bytes::BytesMut::new();
        for frame in [
            StreamFrame::new(FrameType::Header, id, &*method),
            StreamFrame::new(FrameType::Meta, id, &*method).with_str("region", "eu"),
            StreamFrame::data(id, &*method, bytes::Bytes::from_static(&[0])),
            StreamFrame::new(FrameType::Meta, id, &*method).with_str("load", "low"),
            StreamFrame::new(FrameType::Trailer, id, &*method),
        ] {
            enc.encode(&frame, &mut out).unwrap();
        }
        sock.write_all(&out).await.unwrap();
        // Reads until the client closes the connection, which dropping the
        // last handle does.
        let _ = sock.read_buf(&mut buf).await;
    });
    let c = StreamClient::builder(&addr).connect().await.unwrap();
    let mut s = c.open(None, "Count", Default::default()).await.unwrap();
    assert_eq!(s.recv().await.unwrap().as_deref(), Some(&[0u8][..]));
    assert_eq!(s.meta().get("region").map(String::as_str), Some("eu"));
    assert_eq!(s.recv().await.unwrap(), None, "the trailer ends the stream");
    assert_eq!(s.meta().get("load").map(String::as_str), Some("low"));
    drop((s, c));
    server.await.unwrap();
}

/// A client that leaves one stream unread: that stream is reset once its
/// buffer is full, while another stream on the same connection goes on.
#[tokio::test]
async fn an_unread_stream_is_reset_and_the_others_go_on() {
    let streams = StreamServer::builder(Mode::Json, streaming_pool(), serve_stream).build();
    let server = serve(streams.clone()).await;
    let addr = server.local_addr().to_string();
    let c = StreamClient::builder(&addr)
        .idl(streaming_pool())
        .max_stream_buffer(64 * 1024)
        .connect()
        .await
        .unwrap();
    // Count sends a million replies; nobody reads them.
    let mut unread = c
        .server_streaming("Count", j(r#"{"msg":"flood","num":1000000}"#))
        .await
        .unwrap();
    // 2,000 round trips on the same connection: far more than the
    // unread stream's buffer, so a reader that waited for it would stall.
    let mut s = c.bidi("Echo").await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), async {
        for i in 0..2000 {
            s.send(j(&format!(r#"{{"msg":"m{i}"}}"#))).await.unwrap();
            let got = parse(s.recv().await.unwrap().expect("a reply"));
            assert_eq!(got["msg"], format!("m{i}"));
        }
    })
    .await
    .expect("the other stream is not stalled by the unread one");
    // The unread stream gives what it buffered, then the reason.
    let mut buffered = 0;
    let err = loop {
        match unread.recv().await {
            Ok(Some(_)) => buffered += 1,
            Ok(None) => panic!("the flood stream ended normally after {buffered} replies"),
            Err(err) => break err,
        }
    };
    assert!(err.to_string().contains("stream buffer limit"), "{err}");
    assert!(
        (100..1_000_000).contains(&buffered),
        "{buffered} replies buffered"
    );
    // The server saw the reset and stopped the handler.
    wait_for_cancelled(&addr, 1).await;
}

/// A handler that never reads its requests: its stream is reset once the
/// buffer is full, with the reason; the connection serves other streams.
#[tokio::test]
async fn a_handler_that_does_not_read_is_reset() {
    let streams = StreamServer::builder(
        Mode::Json,
        streaming_pool(),
        |call: StreamCall, reqs: Requests, replies: Replies| async move {
            if call.method() == "Sum" {
                // Holds the requests without reading them.
                let _held = (reqs, replies);
                std::future::pending::<Result<(), HandlerError>>().await
            } else {
                serve_stream(call, reqs, replies).await
            }
        },
    )
    .max_stream_buffer(64 * 1024)
    .build();
    let server = serve(streams.clone()).await;
    let c = client(&server.local_addr().to_string(), Mode::Json).await;
    let mut sum = c.client_streaming("Sum").await.unwrap();
    let big = "x".repeat(1000);
    for i in 0..1000 {
        sum.send(j(&format!(r#"{{"msg":"{big}","num":{i}}}"#)))
            .await
            .unwrap();
    }
    let err = tokio::time::timeout(Duration::from_secs(20), sum.close_and_recv())
        .await
        .expect("the reset comes")
        .unwrap_err();
    let ex = err.application().expect("an rst with an exception");
    assert_eq!(ex.kind().0, 12011, "{ex}");
    assert!(ex.message().contains("stream buffer limit"), "{ex}");
    assert_eq!(streams.stats().overflowed, 1);
    let metrics = server.registry().render();
    assert!(
        metrics.contains("anycall_server_streams_ended_total{reason=\"overflowed\"} 1\n"),
        "{metrics}"
    );
    assert_eq!(
        bidi_all(&c, &[r#"{"msg":"after"}"#]).await.unwrap().len(),
        1,
        "the connection goes on"
    );
}

/// Kitex's clients against anycall's server over TTHeader Streaming:
/// codegen, map and JSON generic (over gRPC: `thrift_grpc`).
#[tokio::test]
async fn kitex_clients_against_anycall_server() {
    let server = start_server(None).await;
    let addr = server.local_addr().to_string();
    let mut seen = 0;
    for mode in ["codegen", "map", "json"] {
        let lines = run_peer_client(
            kitex_peer(),
            "stream-client",
            &["--addr", &addr, "--mode", mode],
            &format!("kitex {mode} client -> anycall server"),
        )
        .await;
        assert_eq!(lines.len(), 12, "{mode}: every case ran");
        // The script's timeout and cancel cases reset their streams.
        seen += 2;
        wait_for_cancelled(&addr, seen).await;
    }
}

/// Unary-annotated methods stay ping-pong, with args/result wrappers.
#[tokio::test]
async fn unary_methods_stay_ping_pong() {
    let server = start_server(None).await;
    let client = anycall_rpc::Client::builder(server.local_addr().to_string())
        .transport(anycall_rpc::Transport::Framed)
        .idl(streaming_pool())
        .build()
        .unwrap();
    let reply = client
        .call_json("Unary", br#"{"msg":"u","num":7,"items":[3]}"#)
        .await
        .unwrap();
    let Reply::Success(text) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(
        serde_json::from_str::<Json>(&text).unwrap(),
        json!({"msg":"u","num":7,"items":[3],"seq":0})
    );
}

#[tokio::test]
async fn a_client_that_never_reads_is_closed_by_the_write_timeout() {
    use anycall_codec::frame::{FrameType, StreamEncoder, StreamFrame};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let streams = StreamServer::builder(Mode::Json, streaming_pool(), serve_stream).build();
    let server = Server::builder(Mode::Json)
        .idl(streaming_pool())
        .streams(streams.clone())
        .write_timeout(Duration::from_millis(200))
        .bind("127.0.0.1:0", Unary(streams))
        .await
        .expect("server binds");
    // Count with num = 10,000,000: far more replies than the socket
    // buffers hold, with a 4 KiB receive window the client never reads.
    let mut req = vec![0x0b, 0, 1, 0, 0, 0, 1, b'x', 0x0a, 0, 2];
    req.extend_from_slice(&10_000_000i64.to_be_bytes());
    req.push(0);
    let enc = StreamEncoder::new();
    let mut out = bytes::BytesMut::new();
    for frame in [
        StreamFrame::new(FrameType::Header, 1, "Count"),
        StreamFrame::data(1, "Count", req.into()),
        StreamFrame::new(FrameType::Trailer, 1, "Count"),
    ] {
        enc.encode(&frame, &mut out).unwrap();
    }
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut conn = socket.connect(server.local_addr()).await.unwrap();
    conn.write_all(&out).await.unwrap();
    let started = Instant::now();
    while server.stats().write_timeouts == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the stalled stream connection is closed by the write timeout"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.stats().write_timeouts, 1);
    // The server closed it: reading drains what was buffered, then ends.
    let mut sink = vec![0; 1 << 16];
    let drained = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match conn.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "the connection ends");
}
