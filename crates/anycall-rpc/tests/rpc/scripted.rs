//! Byte-exact exchanges: hand-written requests against the server, and the
//! client's requests against golden files (`testdata/rpc/*.hex`, rewritten
//! with `UPDATE_GOLDEN=1`).

use std::collections::BTreeMap;

use anycall_codec::call::Reply;
use anycall_codec::frame::{FrameDecoder, FrameEncoder, TTHeader, Transport};
use anycall_codec::thrift::{
    self, MessageHeader, MessageType, ProtocolWriter, TApplicationException,
    TApplicationExceptionType, Writer,
};
use anycall_rpc::{Client, Mode, Payload, Protocol, Request, Server};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use anycall_test_support::{golden, hex, testdata};

use crate::common::{EchoService, echo_pool};

fn hex(bytes: &[u8]) -> String {
    hex::lines(bytes)
}

/// Compares `bytes` with `testdata/rpc/<name>.hex`, or rewrites it when
/// `UPDATE_GOLDEN=1` and the bytes changed.
fn golden(name: &str, comment: &str, bytes: &[u8]) {
    golden::hex(&testdata(format!("rpc/{name}.hex")), comment, bytes);
}

/// `Add(a: 1, b: 2)`, strict binary, seq 1 (34 bytes).
const ADD_CALL: &str = "80 01 00 01 00 00 00 03 41 64 64 00 00 00 01
    08 00 01 00 00 00 01  0a 00 02 00 00 00 00 00 00 00 02  00";
/// The reply, `{0: i64 3}`, seq 1 (27 bytes).
const ADD_REPLY: &str = "80 01 00 02 00 00 00 03 41 64 64 00 00 00 01
    0a 00 00 00 00 00 00 00 00 00 03  00";
/// `Add(a: 1, b: 2)`, compact, seq 1 (12 bytes).
const ADD_CALL_COMPACT: &str = "82 21 01 03 41 64 64  15 02  16 04  00";
/// The compact reply: field 0 in long form (type 6, zigzag id 0), zigzag 3.
const ADD_REPLY_COMPACT: &str = "82 41 01 03 41 64 64  06 00 06  00";

fn hx(s: &str) -> Vec<u8> {
    hex::parse(s)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Writes `request` on a fresh connection and reads exactly `reply.len()`
/// bytes back.
async fn exchange(addr: std::net::SocketAddr, request: &[u8], expect: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut got = vec![0u8; expect.len()];
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_exact(&mut got),
    )
    .await
    .expect("reply in time")
    .expect("whole reply");
    got
}

#[tokio::test]
async fn server_answers_in_the_request_transport_and_protocol_byte_for_byte() {
    let server = Server::builder(Mode::Json)
        .idl(echo_pool())
        .bind("127.0.0.1:0", EchoService::default())
        .await
        .unwrap();
    let addr = server.local_addr();
    let (call, reply) = (hx(ADD_CALL), hx(ADD_REPLY));
    let (ccall, creply) = (hx(ADD_CALL_COMPACT), hx(ADD_REPLY_COMPACT));
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        ("buffered binary", call.clone(), reply.clone()),
        ("buffered compact", ccall.clone(), creply.clone()),
        (
            "framed binary",
            cat(&[&hx("00 00 00 22"), &call]),
            cat(&[&hx("00 00 00 1b"), &reply]),
        ),
        (
            "framed compact",
            cat(&[&hx("00 00 00 0c"), &ccall]),
            cat(&[&hx("00 00 00 0b"), &creply]),
        ),
        (
            // Header seq 77; the reply header echoes the message's seq id 1.
            "ttheader binary",
            cat(&[
                &hx("00 00 00 30 10 00 00 00 00 00 00 4d 00 01 00 00 00 00"),
                &call,
            ]),
            cat(&[
                &hx("00 00 00 29 10 00 00 00 00 00 00 01 00 01 00 00 00 00"),
                &reply,
            ]),
        ),
        (
            "ttheader compact (protocol id 2 echoed)",
            cat(&[
                &hx("00 00 00 1a 10 00 00 00 00 00 00 01 00 01 02 00 00 00"),
                &ccall,
            ]),
            cat(&[
                &hx("00 00 00 19 10 00 00 00 00 00 00 01 00 01 02 00 00 00"),
                &creply,
            ]),
        ),
        (
            "ttheader-framed binary",
            cat(&[
                &hx("00 00 00 34 10 00 00 00 00 00 00 01 00 01 00 00 00 00 00 00 00 22"),
                &call,
            ]),
            cat(&[
                &hx("00 00 00 2d 10 00 00 00 00 00 00 01 00 01 00 00 00 00 00 00 00 1b"),
                &reply,
            ]),
        ),
        (
            // Oneway Fire("x") gets no reply; the Ping after it does.
            "buffered oneway then call",
            hx(
                "80 01 00 04 00 00 00 04 46 69 72 65 00 00 00 02 0b 00 01 00 00 00 01 78 00
                80 01 00 01 00 00 00 04 50 69 6e 67 00 00 00 03 00",
            ),
            hx("80 01 00 02 00 00 00 04 50 69 6e 67 00 00 00 03 00"),
        ),
        (
            "framed unknown method",
            hx("00 00 00 11 80 01 00 01 00 00 00 04 4e 6f 70 65 00 00 00 09 00"),
            cat(&[
                &hx(
                    "00 00 00 34 80 01 00 03 00 00 00 04 4e 6f 70 65 00 00 00 09 0b 00 01 00 00 00 15",
                ),
                b"unknown method `Nope`",
                &hx("08 00 02 00 00 00 01 00"),
            ]),
        ),
    ];
    for (name, request, expect) in &cases {
        let got = exchange(addr, request, expect).await;
        assert_eq!(hex(&got), hex(expect), "{name}");
    }
    assert_eq!(server.stats().bad_frames, 0);
}

/// Accepts one connection, reads one request frame of `transport`, replies
/// with `reply` (in a TTHeader carrying `backward` for the TTHeader
/// transports), and returns the request's raw bytes.
async fn scripted_upstream(
    listener: TcpListener,
    transport: Transport,
    reply: Vec<u8>,
    backward: BTreeMap<String, String>,
) -> Vec<u8> {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut buf = BytesMut::new();
    let mut decoder = FrameDecoder::new(transport);
    let raw = loop {
        let mut probe = buf.clone();
        if let Some(frame) = decoder.decode(&mut probe).unwrap() {
            let used = buf.len() - probe.len();
            drop(frame);
            break buf[..used].to_vec();
        }
        assert!(
            stream.read_buf(&mut buf).await.unwrap() > 0,
            "request ended early"
        );
    };
    let mut out = BytesMut::new();
    let encoder = FrameEncoder::new(transport);
    if transport.has_header() {
        let mut header = TTHeader::new(1);
        if reply.first() == Some(&0x82) {
            header.protocol_id = anycall_codec::frame::ProtocolId::ThriftCompact;
        }
        header.str_kvs = backward;
        encoder.encode(Some(&header), &reply, &mut out).unwrap();
    } else {
        encoder.encode(None, &reply, &mut out).unwrap();
    }
    stream.write_all(&out).await.unwrap();
    raw
}

#[tokio::test]
async fn client_writes_golden_requests_in_each_transport() {
    for transport in Transport::ALL {
        for protocol in [Protocol::Binary, Protocol::Compact] {
            if transport.has_ttheader() && protocol == Protocol::Compact {
                continue;
            }
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let reply = match protocol {
                Protocol::Binary => hx(ADD_REPLY),
                Protocol::Compact => hx(ADD_REPLY_COMPACT),
            };
            let backward: BTreeMap<String, String> = [
                ("RPC_BACKWARD_volo-key", "1"),
                ("kitex-key", "2"),
                ("crrst", "1"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
            let upstream = tokio::spawn(scripted_upstream(listener, transport, reply, backward));
            let client = Client::builder(addr.to_string())
                .transport(transport)
                .protocol(protocol)
                .idl(echo_pool())
                .build()
                .unwrap();
            let response = client
                .call(
                    Request::json("Add", r#"{"a": 1, "b": 2}"#)
                        .transient("trace", "t1")
                        .persistent("tenant", "p1"),
                )
                .await
                .unwrap();
            assert_eq!(response.reply, Reply::Success(Payload::Json("3".into())));
            let raw = upstream.await.unwrap();
            let name = format!(
                "client_add_{transport}_{}",
                format!("{protocol:?}").to_lowercase()
            );
            let comment = format!(
                "# anycall client request: Add(a: 1, b: 2), seq 1, {transport}, {protocol:?};\n\
                 # transient trace=t1 and persistent tenant=p1 (TTHeader and THeader only), default timeouts"
            );
            golden(&name, &comment, &raw);
            if transport.has_header() {
                let expected: BTreeMap<String, String> = [("volo-key", "1"), ("kitex-key", "2")]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                assert_eq!(response.backward, expected, "{transport}");
            } else {
                assert!(response.backward.is_empty());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// the client's checks on a reply

/// A strict binary message `name`/`ty`/`seq` with `body` after the header.
fn message(name: &str, ty: MessageType, seq: i32, body: &[u8]) -> Vec<u8> {
    let mut msg = BytesMut::new();
    ProtocolWriter::new(Protocol::Binary, &mut msg)
        .write_message_begin(&MessageHeader::new(name, ty, seq))
        .unwrap();
    msg.extend_from_slice(body);
    msg.to_vec()
}

/// `{0: i64 3}`, the result struct of `Add` returning 3.
const ADD_RESULT: &str = "0a 00 00 00 00 00 00 00 00 00 03  00";

/// Accepts one connection, reads one Framed request and answers it with the
/// frame holding `reply(seq id of the request)`.
async fn answer_once(listener: TcpListener, reply: impl Fn(i32) -> Vec<u8>) {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut buf = BytesMut::new();
    let mut decoder = FrameDecoder::new(Transport::Framed);
    let seq = loop {
        if let Some(frame) = decoder.decode(&mut buf).unwrap() {
            break thrift::get_seq_id(&frame.payload).unwrap();
        }
        assert!(
            stream.read_buf(&mut buf).await.unwrap() > 0,
            "request ended early"
        );
    };
    let mut out = BytesMut::new();
    FrameEncoder::new(Transport::Framed)
        .encode(None, &reply(seq), &mut out)
        .unwrap();
    stream.write_all(&out).await.unwrap();
}

/// Calls `Add(1, 2)` in `how` against a server answering with `reply`;
/// returns the outcome and the client's idle connections after it.
async fn call_add(
    how: &str,
    reply: impl Fn(i32) -> Vec<u8> + Send + 'static,
) -> (Result<(), anycall_rpc::Error>, usize) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(answer_once(listener, reply));
    let client = Client::builder(addr.to_string())
        .idl(echo_pool())
        .build()
        .unwrap();
    let result = match how {
        "json" => client
            .call_json("Add", br#"{"a": 1, "b": 2}"#)
            .await
            .map(|r| assert_eq!(r, Reply::Success("3".to_owned()))),
        "value" => {
            let args = anycall_codec::Value::Struct(
                [
                    ("a", anycall_codec::Value::I32(1)),
                    ("b", anycall_codec::Value::I64(2)),
                ]
                .into_iter()
                .collect(),
            );
            client
                .call_value("Add", &args)
                .await
                .map(|r| assert_eq!(r, Reply::Success(anycall_codec::Value::I64(3))))
        }
        "binary" => client
            .call_binary(hx(ADD_CALL))
            .await
            .map(|r| assert_eq!(hex(&r), hex(&hx(ADD_REPLY)))),
        other => panic!("no mode {other}"),
    };
    server.await.unwrap();
    (result, client.idle_connections())
}

const MODES: [&str; 3] = ["json", "value", "binary"];

#[tokio::test]
async fn a_good_reply_returns_its_connection_to_the_pool() {
    for how in MODES {
        let (result, idle) = call_add(how, |seq| {
            message("Add", MessageType::Reply, seq, &hx(ADD_RESULT))
        })
        .await;
        result.unwrap_or_else(|e| panic!("{how}: {e:#}"));
        assert_eq!(idle, 1, "{how}");
    }
}

#[tokio::test]
async fn an_application_exception_keeps_the_connection() {
    for how in MODES {
        let (result, idle) = call_add(how, |seq| {
            let mut msg = BytesMut::new();
            TApplicationException::new(TApplicationExceptionType::INTERNAL_ERROR, "boom")
                .write_message(Protocol::Binary, "Add", seq, &mut msg)
                .unwrap();
            msg.to_vec()
        })
        .await;
        let err = result.unwrap_err();
        assert!(err.is_application(), "{how}: {err:#}");
        assert_eq!(idle, 1, "{how}: a well-formed reply");
    }
}

/// Each bad reply is a protocol or codec error naming what is wrong, and
/// its connection is closed, not pooled.
#[tokio::test]
async fn bad_replies_are_errors_and_their_connection_is_not_pooled() {
    type Script = fn(i32) -> Vec<u8>;
    let cases: [(&str, Script, &str); 7] = [
        (
            "wrong seq id",
            |seq| message("Add", MessageType::Reply, seq + 1, &hx(ADD_RESULT)),
            "reply has seq id 2, expected 1",
        ),
        (
            // Only an EXCEPTION may come with seq id 0 (Kitex's generic
            // servers send theirs so).
            "a REPLY with seq id 0",
            |_| message("Add", MessageType::Reply, 0, &hx(ADD_RESULT)),
            "reply has seq id 0, expected 1",
        ),
        (
            "an EXCEPTION with a wrong seq id",
            |seq| {
                let mut msg = BytesMut::new();
                TApplicationException::new(TApplicationExceptionType::INTERNAL_ERROR, "boom")
                    .write_message(Protocol::Binary, "Add", seq + 1, &mut msg)
                    .unwrap();
                msg.to_vec()
            },
            "reply has seq id 2, expected 1",
        ),
        (
            "wrong method name",
            |seq| message("Sub", MessageType::Reply, seq, &hx(ADD_RESULT)),
            "reply is for method `Sub`, not `Add`",
        ),
        (
            "a CALL instead of a REPLY",
            |seq| message("Add", MessageType::Call, seq, &hx(ADD_RESULT)),
            "expected a reply, got a call message",
        ),
        (
            "a ONEWAY instead of a REPLY",
            |seq| message("Add", MessageType::Oneway, seq, &hx(ADD_RESULT)),
            "expected a reply, got a oneway message",
        ),
        (
            // The i64 has 4 of its 8 bytes, and no STOP follows.
            "a truncated struct",
            |seq| message("Add", MessageType::Reply, seq, &hx("0a 00 00  00 00 00 00")),
            "unexpected end of input reading",
        ),
    ];
    for (name, script, expected) in cases {
        for how in MODES {
            let (result, idle) = call_add(how, script).await;
            let err = result.expect_err(name);
            let text = format!("{err:#}");
            // JSON and Value calls decode the reply; binary calls check the
            // message and skip over its struct.
            if name == "a truncated struct" && how != "binary" {
                assert!(err.is_codec(), "{name}, {how}: {text}");
            } else {
                assert!(err.is_protocol(), "{name}, {how}: {text}");
            }
            assert!(text.contains(expected), "{name}, {how}: {text}");
            assert_eq!(idle, 0, "{name}, {how}: the connection was pooled");
        }
    }
}

/// Kitex's binary generic server sends its exceptions with seq id 0; our
/// client takes such an EXCEPTION as the call's answer, as Kitex's does.
/// A bad reply is the call's error even when unanswered calls fail over:
/// the request was answered, and the next host is never tried.
#[tokio::test]
async fn a_bad_reply_is_not_failed_over() {
    let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!(
        "{},{}",
        first.local_addr().unwrap(),
        second.local_addr().unwrap()
    );
    let server = tokio::spawn(answer_once(first, |seq| {
        message("Add", MessageType::Reply, seq + 1, &hx(ADD_RESULT))
    }));
    let client = Client::builder(target)
        .idl(echo_pool())
        .failover(anycall_rpc::Failover::Unanswered)
        .build()
        .unwrap();
    let err = client
        .call_json("Add", br#"{"a": 1, "b": 2}"#)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expected 1"), "{err:#}");
    server.await.unwrap();
    let picked: Vec<u64> = client.endpoints().iter().map(|s| s.calls).collect();
    assert_eq!(picked, [1, 0]);
    drop(second);
}

#[tokio::test]
async fn an_exception_with_seq_id_0_answers_the_call() {
    for how in MODES {
        let (result, idle) = call_add(how, |_| {
            let mut msg = BytesMut::new();
            TApplicationException::new(TApplicationExceptionType::INTERNAL_ERROR, "boom")
                .write_message(Protocol::Binary, "Add", 0, &mut msg)
                .unwrap();
            msg.to_vec()
        })
        .await;
        let err = result.unwrap_err();
        assert_eq!(
            err.application().map(|e| e.message()),
            Some("boom"),
            "{how}: {err:#}"
        );
        assert_eq!(idle, 1, "{how}");
    }
}

/// A server that answers a oneway call anyway (Kitex's binary generic
/// server does): the stray reply is skipped, and the next call on the
/// connection gets its own reply.
#[tokio::test]
async fn a_reply_to_a_oneway_call_is_skipped() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = BytesMut::new();
        let mut decoder = FrameDecoder::new(Transport::Framed);
        for _ in 0..2 {
            let frame = loop {
                if let Some(frame) = decoder.decode(&mut buf).unwrap() {
                    break frame;
                }
                assert!(
                    stream.read_buf(&mut buf).await.unwrap() > 0,
                    "request ended early"
                );
            };
            let (header, _) = thrift::read_message_header(
                Protocol::Binary,
                &frame.payload,
                &anycall_codec::Limits::default(),
            )
            .unwrap();
            let reply = match header.name {
                "Fire" => message("Fire", MessageType::Reply, header.seq_id, &hx("00")),
                _ => message("Add", MessageType::Reply, header.seq_id, &hx(ADD_RESULT)),
            };
            let mut out = BytesMut::new();
            FrameEncoder::new(Transport::Framed)
                .encode(None, &reply, &mut out)
                .unwrap();
            stream.write_all(&out).await.unwrap();
        }
    });
    let client = Client::builder(addr.to_string())
        .idl(echo_pool())
        .build()
        .unwrap();
    assert_eq!(
        client
            .call_json("Fire", br#"{"event": "e"}"#)
            .await
            .unwrap(),
        Reply::Void
    );
    assert_eq!(
        client
            .call_json("Add", br#"{"a": 1, "b": 2}"#)
            .await
            .unwrap(),
        Reply::Success("3".to_owned())
    );
    assert_eq!(
        client.idle_connections(),
        1,
        "one connection for both calls"
    );
    server.await.unwrap();
}
