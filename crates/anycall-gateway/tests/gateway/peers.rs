//! The gateway in front of the reference peers (interop/README.md): Volo
//! (Framed and TTHeader, Binary), Apache Python (Framed and Buffered,
//! Binary and Compact) and Kitex (TTHeader, Binary), over the interop IDL's
//! HTTP routes (testdata/interop/echo_http.thrift).

use std::path::PathBuf;
use std::time::Duration;

use anycall_gateway::{Backend, Gateway};
use anycall_rpc::{Client, Protocol, Transport};
use serde_json::json;
use tokio::process::{Child, Command};

use super::support::{call, pool};

const SETUP_HINT: &str = "run scripts/interop-setup to build the interop peers";

fn peer_path(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(
        || anycall_test_support::repo_root().join(default),
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "interop peer {} not found ({var}); {SETUP_HINT}",
        path.display()
    );
    path
}

struct Peer {
    addr: String,
    _child: Child,
}

async fn start(mut cmd: Command, args: &[&str]) -> Peer {
    cmd.arg("server").args(args);
    let peer = anycall_test_support::process::start_listening(cmd, SETUP_HINT).await;
    Peer {
        addr: peer.addr,
        _child: peer.child,
    }
}

fn volo() -> Command {
    Command::new(peer_path(
        "INTEROP_VOLO_PEER",
        "interop/target/release/volo-peer",
    ))
}

fn python() -> Command {
    let mut cmd = Command::new(peer_path("INTEROP_PYTHON", "interop/.venv/bin/python"));
    cmd.arg(peer_path("INTEROP_PYTHON_PEER", "interop/python/peer.py"));
    cmd
}

async fn check(addr: &str, transport: Transport, protocol: Protocol, who: &str) {
    let client = Client::builder(addr)
        .transport(transport)
        .protocol(protocol)
        .rpc_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let gw = Gateway::builder()
        .backend(Backend::new(pool("interop/echo_http.thrift"), client))
        .build()
        .unwrap();
    let body = r#"{"message": "hi", "flag": true, "big": 9007199254740993, "ints": [1, 2],
                   "tags": ["a"], "counts": {"k": 3}, "color": 2, "inner": {"id": "x"}}"#;
    let a = call(&gw, "POST", "/echo", &[], body).await;
    assert_eq!(a.status, 200, "{who}: {:?}", a.body);
    for (k, v) in [
        ("message", json!("hi")),
        ("flag", json!(true)),
        ("big", json!(9_007_199_254_740_993_i64)),
        ("ints", json!([1, 2])),
        ("tags", json!(["a"])),
        ("counts", json!({"k": 3})),
        ("color", json!(2)),
        ("level", json!(7)),
    ] {
        assert_eq!(a.body[k], v, "{who}: {k} in {:?}", a.body);
    }
    // Kitex writes zero values for absent fields; compare what was sent.
    assert_eq!(a.body["inner"]["id"], "x", "{who}");
    assert_eq!(a.body["BaseResp"]["StatusMessage"], "ok", "{who}");
    let a = call(
        &gw,
        "POST",
        "/echo",
        &[],
        r#"{"message": "m", "action": "throw"}"#,
    )
    .await;
    assert_eq!(a.status, 500, "{who}: declared exception without http_code");
    assert_eq!(
        a.body,
        json!({"code": 42, "msg": "requested exception"}),
        "{who}"
    );
    let a = call(
        &gw,
        "POST",
        "/echo",
        &[],
        r#"{"message": "m", "action": "fail"}"#,
    )
    .await;
    assert_eq!(a.status, 502, "{who}");
    assert_eq!(a.body["error"]["type"], 6, "{who}");
    // Scalar parameters bind as the args struct; scalar results are the body.
    let a = call(&gw, "POST", "/add", &[], r#"{"a": 2, "b": 40}"#).await;
    assert_eq!(
        (a.status.as_u16(), a.body.clone()),
        (200, json!(42)),
        "{who}"
    );
    let a = call(&gw, "POST", "/add", &[], r#"{"a": "x"}"#).await;
    assert_eq!(a.status, 400, "{who}");
    assert_eq!(a.body["error"]["field"], "a", "{who}");
    let a = call(&gw, "POST", "/check", &[], r#"{"s": "x"}"#).await;
    assert_eq!(
        (a.status.as_u16(), a.body.clone()),
        (200, json!("checked: x")),
        "{who}"
    );
    let a = call(&gw, "POST", "/check", &[], r#"{"s": "other"}"#).await;
    assert_eq!(
        (a.status.as_u16(), a.body.clone()),
        (500, json!({"reason": "other failure"})),
        "{who}"
    );
    assert_eq!(a.headers["anycall-exception"], "other", "{who}");
    let a = call(&gw, "POST", "/fire", &[], r#"{"event": "e1"}"#).await;
    assert_eq!(a.status, 202, "{who}: oneway");
}

#[tokio::test]
async fn in_front_of_volo() {
    let peer = start(volo(), &[]).await;
    check(
        &peer.addr,
        Transport::Framed,
        Protocol::Binary,
        "volo framed",
    )
    .await;
    check(
        &peer.addr,
        Transport::TTHeader,
        Protocol::Binary,
        "volo ttheader",
    )
    .await;
}

fn kitex() -> Command {
    Command::new(peer_path("INTEROP_KITEX_PEER", "interop/target/kitex-peer"))
}

#[tokio::test]
async fn in_front_of_kitex() {
    let peer = start(kitex(), &[]).await;
    check(
        &peer.addr,
        Transport::TTHeader,
        Protocol::Binary,
        "kitex ttheader",
    )
    .await;
    check(
        &peer.addr,
        Transport::Framed,
        Protocol::Binary,
        "kitex framed",
    )
    .await;
}

#[tokio::test]
async fn in_front_of_apache_python() {
    for (t, p, targs) in [
        (
            Transport::Framed,
            Protocol::Compact,
            ["--transport", "framed", "--protocol", "compact"],
        ),
        (
            Transport::Buffered,
            Protocol::Binary,
            ["--transport", "buffered", "--protocol", "binary"],
        ),
    ] {
        let peer = start(python(), &targs).await;
        check(&peer.addr, t, p, &format!("python {targs:?}")).await;
    }
}
