//! `get` and `call` against servers nobody here wrote: Apache Thrift for
//! Python, Volo and Kitex (interop/README.md; built by scripts/interop-setup).

use anycall_codec::call::Reply;
use serde_json::json;

use crate::daprd::Daprd;
use crate::support::{
    Running, call_message, interop_dir, kitex_peer, python_peer, reply_json, volo_peer,
};

/// Init with the interop IDL, then `get` and `call` of Add, Check and Echo.
async fn run_both_operations(d: &Daprd, addr: &str, transport: &str) {
    let idl = interop_dir().join("echo.thrift");
    d.init(&[
        ("hostPorts", addr),
        ("destService", "EchoService"),
        ("transport", transport),
        ("idl", idl.to_str().unwrap()),
        ("includeDirs", interop_dir().to_str().unwrap()),
    ])
    .await
    .expect("init");
    assert_eq!(d.list_operations().await.unwrap(), ["get", "call"]);

    // get: a whole CALL in, the whole REPLY out.
    let resp = d
        .invoke(
            "get",
            call_message("Add", r#"{"a": 40, "b": 2}"#),
            &[("methodName", "Add")],
        )
        .await
        .unwrap_or_else(|e| panic!("{transport}: get Add: {e:?}"));
    assert_eq!(reply_json("Add", &resp.data), Reply::Success(json!(42)));
    let resp = d
        .invoke(
            "get",
            call_message("Check", r#"{"s": "err"}"#),
            &[("methodName", "Check")],
        )
        .await
        .unwrap();
    assert_eq!(
        reply_json("Check", &resp.data),
        Reply::Exception {
            name: "err".into(),
            value: json!({"code": 7, "msg": "check rejected"})
        }
    );

    // call: JSON in, JSON out.
    let resp = d
        .invoke("call", r#"{"a": 40, "b": 2}"#, &[("methodName", "Add")])
        .await
        .unwrap();
    assert_eq!(resp.content_type, "application/json");
    assert_eq!(&resp.data[..], b"42");
    let resp = d
        .invoke("call", r#"{"s": "x"}"#, &[("methodName", "Check")])
        .await
        .unwrap();
    assert_eq!(&resp.data[..], br#""checked: x""#);
    let resp = d
        .invoke("call", r#"{"s": "other"}"#, &[("methodName", "Check")])
        .await
        .unwrap();
    assert_eq!(
        resp.metadata.get("exception").map(String::as_str),
        Some("other")
    );
    let v: serde_json::Value = serde_json::from_slice(&resp.data).unwrap();
    assert_eq!(v, json!({"reason": "other failure"}));
    // An application exception is an error with its message.
    let err = d
        .invoke(
            "call",
            r#"{"message": "m", "action": "fail", "level": 7}"#,
            &[("methodName", "Echo")],
        )
        .await
        .unwrap_err();
    assert!(
        err.message().contains("requested application error"),
        "{transport}: {err:?}"
    );
    assert_eq!(
        err.metadata()
            .get("x-thrift-application-exception-type")
            .unwrap(),
        "6"
    );
}

#[tokio::test]
async fn python_peer_framed() {
    let peer = python_peer("framed").await;
    let c = Running::start().await;
    let d = c.daprd().await.instance("py");
    run_both_operations(&d, &peer.addr, "framed").await;
    c.stop().await;
}

#[tokio::test]
async fn volo_peer_framed_and_ttheader() {
    let peer = volo_peer().await;
    let c = Running::start().await;
    let conn = c.daprd().await;
    run_both_operations(&conn.instance("volo-framed"), &peer.addr, "framed").await;
    run_both_operations(&conn.instance("volo-ttheader"), &peer.addr, "ttheader").await;
    c.stop().await;
}

#[tokio::test]
async fn kitex_peer_with_metainfo() {
    let peer = kitex_peer().await;
    let c = Running::start().await;
    let conn = c.daprd().await;
    run_both_operations(&conn.instance("kitex-framed"), &peer.addr, "framed").await;
    let d = conn.instance("kitex-ttheader");
    run_both_operations(&d, &peer.addr, "ttheader").await;
    // Metainfo: transient values out, backward values back.
    let resp = d
        .invoke(
            "get",
            call_message("Ping", "{}"),
            &[("methodName", "Ping"), ("transient.dapr-t", "tv")],
        )
        .await
        .unwrap();
    assert_eq!(
        resp.metadata
            .get("backward.seen-transient-dapr-t")
            .map(String::as_str),
        Some("tv"),
        "{:?}",
        resp.metadata
    );
    c.stop().await;
}
