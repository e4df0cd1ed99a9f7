//! The client's own rules: requests, the builder's checks, seq ids per
//! connection and the pool's limits, against scripted servers.

use std::time::Duration;

use anycall_codec::call::Reply;
use anycall_codec::frame::{FrameDecoder, Transport};
use anycall_codec::thrift;
use anycall_rpc::{Client, Request};
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::echo_pool;
use crate::faults::ping_reply;

/// Reads one Framed request from `stream`; returns its seq id.
async fn read_seq(stream: &mut TcpStream, buf: &mut BytesMut) -> i32 {
    let mut decoder = FrameDecoder::new(Transport::Framed);
    loop {
        if let Some(frame) = decoder.decode(buf).unwrap() {
            return thrift::get_seq_id(&frame.payload).unwrap();
        }
        assert!(
            stream.read_buf(buf).await.unwrap() > 0,
            "request ended early"
        );
    }
}

/// Writes the framed void REPLY to `Ping` with `seq`.
async fn reply_ping(stream: &mut TcpStream, seq: i32) {
    stream.write_all(&ping_reply(seq)).await.unwrap();
}

fn client(addr: &str) -> anycall_rpc::ClientBuilder {
    Client::builder(addr).idl(echo_pool())
}

#[test]
fn requests_name_their_method() {
    assert_eq!(Request::json("Add", "{}").method(), Some("Add"));
    let args = anycall_codec::Value::Struct(anycall_codec::Struct::new());
    assert_eq!(Request::value("Ping", args).method(), Some("Ping"));
    assert_eq!(Request::binary(Bytes::from_static(b"")).method(), None);
}

#[test]
fn the_builder_refuses_zero_timeouts_and_bad_hosts() {
    let zero = Duration::ZERO;
    for builder in [
        client("127.0.0.1:1").connect_timeout(zero),
        client("127.0.0.1:1").rpc_timeout(zero),
    ] {
        let err = builder.build().unwrap_err();
        assert!(err.is_config(), "{err}");
        assert_eq!(err.to_string(), "timeouts must be greater than zero");
    }
    for hosts in [":80", "h:", "h:65536", "h", "h:80,:81"] {
        let err = client(hosts).build().unwrap_err();
        assert!(err.is_config(), "{hosts}: {err}");
        assert!(
            err.to_string().contains("is not HOST:PORT"),
            "{hosts}: {err}"
        );
    }
    let err = client(" , ").build().unwrap_err();
    assert_eq!(err.to_string(), "the host list is empty");
    client("h:80, [::1]:81").build().expect("two good hosts");
}

#[test]
fn a_client_shows_its_hosts_when_debugged() {
    let client = client("127.0.0.1:1,127.0.0.1:2").build().unwrap();
    let text = format!("{client:?}");
    assert!(
        text.starts_with(r#"Client { hosts: ["127.0.0.1:1", "127.0.0.1:2"], config: "#),
        "{text}"
    );
    assert!(text.contains("service: Some(\"EchoService\")"), "{text}");
}

#[tokio::test]
async fn seq_ids_count_up_on_each_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = BytesMut::new();
        let mut seqs = Vec::new();
        for _ in 0..3 {
            let seq = read_seq(&mut stream, &mut buf).await;
            reply_ping(&mut stream, seq).await;
            seqs.push(seq);
        }
        seqs
    });
    let client = client(&addr).build().unwrap();
    for _ in 0..3 {
        assert_eq!(client.call_json("Ping", b"{}").await.unwrap(), Reply::Void);
    }
    assert_eq!(server.await.unwrap(), [1, 2, 3]);
}

/// Two calls at once on two connections: the server answers neither until
/// both requests are in, so each call holds its own connection.
async fn two_concurrent_calls(max_idle: usize) -> usize {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (mut a, _) = listener.accept().await.unwrap();
        let (mut b, _) = listener.accept().await.unwrap();
        let (mut buf_a, mut buf_b) = (BytesMut::new(), BytesMut::new());
        let seq_a = read_seq(&mut a, &mut buf_a).await;
        let seq_b = read_seq(&mut b, &mut buf_b).await;
        reply_ping(&mut a, seq_a).await;
        reply_ping(&mut b, seq_b).await;
        (a, b)
    });
    let client = client(&addr).max_idle_per_host(max_idle).build().unwrap();
    let (one, two) = tokio::join!(
        client.call_json("Ping", b"{}"),
        client.call_json("Ping", b"{}")
    );
    assert_eq!(one.unwrap(), Reply::Void);
    assert_eq!(two.unwrap(), Reply::Void);
    // The server's ends stay open until the count is taken.
    let _streams = server.await.unwrap();
    client.idle_connections()
}

#[tokio::test]
async fn the_pool_keeps_idle_connections_up_to_its_limit() {
    assert_eq!(two_concurrent_calls(10).await, 2);
    assert_eq!(two_concurrent_calls(2).await, 2);
    assert_eq!(two_concurrent_calls(1).await, 1);
    assert_eq!(two_concurrent_calls(0).await, 0);
}
