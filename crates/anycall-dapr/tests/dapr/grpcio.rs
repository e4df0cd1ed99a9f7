//! A second, independent driver: Python grpcio + grpcio-reflection
//! (interop/python/dapr_driver.py), discovering the component by
//! reflection and invoking `get` against the Apache Thrift Python server.

use std::process::Stdio;
use std::time::Duration;

use anycall_codec::call::Reply;
use anycall_test_support::hex;
use serde_json::json;
use tokio::process::Command;

use crate::support::{Running, call_message, peer_path, python_peer, reply_json, repo_root};

#[tokio::test]
async fn grpcio_driver_discovers_and_invokes() {
    let peer = python_peer("framed").await;
    let c = Running::start().await;
    let python = peer_path("INTEROP_PYTHON", "interop/.venv/bin/python");
    let driver = repo_root().join("interop/python/dapr_driver.py");
    let data = hex::plain(&call_message("Add", r#"{"a": 40, "b": 2}"#));
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(python)
            .arg(driver)
            .arg(&c.socket)
            .args([
                "--host-ports",
                &peer.addr,
                "--method",
                "Add",
                "--data-hex",
                &data,
            ])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("driver ends within 60 s")
    .expect("spawn the grpcio driver; run scripts/interop-setup");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "driver failed: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert!(
        v["services"]
            .as_array()
            .unwrap()
            .contains(&json!("dapr.proto.components.v1.OutputBinding")),
        "{v}"
    );
    assert_eq!(v["operations"], json!(["get"]));
    let reply = hex::parse(v["data_hex"].as_str().unwrap());
    assert_eq!(reply_json("Add", &reply), Reply::Success(json!(42)));
    assert_eq!(c.stats.instances(), ["py-driver"]);
    c.stop().await;
}
