//! Operation `get` against a fake Kitex server: the original component's
//! behaviour (spec/dapr.md §1) and Dapr's own test vector (§1.8).

use std::sync::Arc;
use std::time::Duration;

use anycall_test_support::hex;
use tonic::Code;

use crate::support::{FakeServer, Running, void_reply};

/// Dapr's request: `echo(Request{message: "hello dapr"})`, seq id 0.
const DAPR_REQUEST: &str =
    "80010001000000046563686f000000000c00010b00010000000a68656c6c6f20646170720000";
/// What Kitex puts on the wire for it: Framed, seq id 1.
const DAPR_WIRE: &str =
    "80010001000000046563686f000000010c00010b00010000000a68656c6c6f20646170720000";
/// The Echo server's reply, seq id 1: what `InvokeResponse.data` holds.
const DAPR_REPLY: &str = "80010002000000046563686f000000010c00000b00010000001368656c6c6f20646170722c6869204b697465780000";

fn meta<'a>(addr: &'a str, method: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("hostPorts", addr),
        ("destService", "echo"),
        ("methodName", method),
        ("version", "v0.16.1"),
    ]
}

#[tokio::test]
async fn dapr_test_vector() {
    let server = FakeServer::start(Arc::new(|req: &[u8]| {
        (req == hex::parse(DAPR_WIRE).as_slice()).then(|| hex::parse(DAPR_REPLY))
    }))
    .await;
    let c = Running::start().await;
    let d = c.daprd().await;
    // Keys daprd adds are ignored.
    let mut m = meta(&server.addr, "echo");
    m.extend([
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("content-type", "application/grpc"),
        ("dapr-authority", "localhost"),
    ]);
    let resp = d
        .invoke("get", hex::parse(DAPR_REQUEST), &m)
        .await
        .expect("get");
    assert_eq!(hex::plain(&resp.data), DAPR_REPLY);
    assert!(resp.metadata.is_empty() && resp.content_type.is_empty());
    assert_eq!(
        server.received(),
        vec![hex::parse(DAPR_WIRE)],
        "the request went out Framed with seq id 1"
    );
    // The next call's reply has seq id 2, as Kitex's process-wide counter
    // gives; on the wire each connection counts its own (1 on a new one).
    let server2 = FakeServer::start(Arc::new(void_reply)).await;
    let resp = d
        .invoke(
            "get",
            hex::parse(DAPR_REQUEST),
            &meta(&server2.addr, "echo"),
        )
        .await
        .expect("second get");
    assert_eq!(&resp.data[12..16], &[0, 0, 0, 2]);
    assert_eq!(&server2.received()[0][12..16], &[0, 0, 0, 1]);
    c.stop().await;
}

#[tokio::test]
async fn missing_metadata_in_the_original_order() {
    let c = Running::start().await;
    let d = c.daprd().await;
    let data = hex::parse(DAPR_REQUEST);
    for (given, missing) in [
        (
            vec![("hostPorts", "127.0.0.1:1"), ("methodName", "echo")],
            "destService",
        ),
        (vec![], "destService"),
        (
            vec![("destService", "echo"), ("methodName", "echo")],
            "hostPorts",
        ),
        (
            vec![("destService", "echo"), ("hostPorts", "127.0.0.1:1")],
            "methodName",
        ),
    ] {
        let err = d.invoke("get", data.clone(), &given).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(err.message(), format!("missing metadata field {missing}"));
    }
    // An empty value passes the check, as in the original (presence only).
    let err = d
        .invoke(
            "get",
            data,
            &[
                ("destService", ""),
                ("hostPorts", ""),
                ("methodName", "echo"),
            ],
        )
        .await
        .unwrap_err();
    assert!(
        err.message()
            .starts_with("create a kitex generic client err "),
        "{err:?}"
    );
    c.stop().await;
}

#[tokio::test]
async fn bad_messages_get_kitex_texts() {
    let server = FakeServer::start(Arc::new(void_reply)).await;
    let c = Running::start().await;
    let d = c.daprd().await;
    for (data, text) in [
        (vec![0u8, 1], "invalid trans buffer"),
        (
            hex::parse("0000000465636866"),
            "missing version in Thrift Message",
        ),
        (
            hex::parse("8002000100000000"),
            "bad version in Thrift Message",
        ),
        (hex::parse("80010001000000096563"), "invalid trans buffer"),
    ] {
        let err = d
            .invoke("get", data, &meta(&server.addr, "echo"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            err.message(),
            format!("remote or network error: rawThriftBinaryCodec set seqID failed, err: {text}")
        );
    }
    assert!(server.received().is_empty(), "nothing was sent");
    c.stop().await;
}

#[tokio::test]
async fn reply_method_name_is_checked() {
    let server = FakeServer::start(Arc::new(void_reply)).await;
    let c = Running::start().await;
    let d = c.daprd().await;
    // The payload calls `echo`; the metadata says `echo2`: the server
    // dispatches on the payload, the reply is checked against the metadata.
    let err = d
        .invoke(
            "get",
            hex::parse(DAPR_REQUEST),
            &meta(&server.addr, "echo2"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.message(),
        "remote or network error: wrong method name, expect=echo2, actual=echo"
    );
    c.stop().await;
}

#[tokio::test]
async fn exception_reply_is_an_error_with_type_and_message() {
    // TApplicationException{message: "boom", type: 6} as an EXCEPTION.
    let server = FakeServer::start(Arc::new(|req: &[u8]| {
        let mut out = hex::parse("80010003000000046563686f");
        out.extend_from_slice(&req[12..16]);
        out.extend(hex::parse("0b000100000004626f6f6d08000200000006 00"));
        Some(out)
    }))
    .await;
    let c = Running::start().await;
    let d = c.daprd().await;
    let err = d
        .invoke("get", hex::parse(DAPR_REQUEST), &meta(&server.addr, "echo"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unknown);
    assert_eq!(
        err.message(),
        "remote or network error[remote]: boom (application exception type 6)"
    );
    assert_eq!(
        err.metadata()
            .get("x-thrift-application-exception-type")
            .unwrap(),
        "6"
    );
    c.stop().await;
}

#[tokio::test]
async fn unsupported_operation_and_transport_errors() {
    let c = Running::start().await;
    let d = c.daprd().await;
    let err = d
        .invoke("create", hex::parse(DAPR_REQUEST), &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "unsupported operation `create` (supported: get)"
    );

    // Nobody listens: Unavailable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap().to_string();
    drop(closed);
    let err = d
        .invoke("get", hex::parse(DAPR_REQUEST), &meta(&addr, "echo"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");

    // A server that never answers: the per-request timeout.
    let silent = FakeServer::start(Arc::new(|_: &[u8]| None)).await;
    let mut m = meta(&silent.addr, "echo");
    m.push(("timeout", "200ms"));
    let started = std::time::Instant::now();
    let err = d
        .invoke("get", hex::parse(DAPR_REQUEST), &m)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // Bad metadata values name the field.
    let mut m = meta(&silent.addr, "echo");
    m.push(("transport", "carrier-pigeon"));
    let err = d
        .invoke("get", hex::parse(DAPR_REQUEST), &m)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().starts_with("metadata field transport: "),
        "{err:?}"
    );
    c.stop().await;
}

#[tokio::test]
async fn several_hosts_round_robin() {
    let a = FakeServer::start(Arc::new(void_reply)).await;
    let b = FakeServer::start(Arc::new(void_reply)).await;
    let hosts = format!("{},{}", a.addr, b.addr);
    let c = Running::start().await;
    let d = c.daprd().await;
    for _ in 0..4 {
        d.invoke("get", hex::parse(DAPR_REQUEST), &meta(&hosts, "echo"))
            .await
            .expect("get");
    }
    assert_eq!((a.received().len(), b.received().len()), (2, 2));
    assert_eq!(c.stats.clients(""), 1, "one client for the host list");
    c.stop().await;
}
