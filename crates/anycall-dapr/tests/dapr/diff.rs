//! Differential test against the original component: the same requests go
//! through components-contrib `bindings/kitex` (driven by `kitex-peer
//! dapr-binding`, interop/kitex-peer/dapr.go) and through this component,
//! to the same Kitex server. Reply data must be byte-identical, errors
//! equivalent (the original's text contains this component's message).

use std::process::Stdio;
use std::time::Duration;

use anycall_test_support::hex;
use serde_json::{Value as Json, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::support::{Running, call_message, kitex_peer, peer_path};

/// Request metadata, without hostPorts.
type Meta = Vec<(&'static str, &'static str)>;

/// One request: (what it shows, metadata, data).
fn requests() -> Vec<(&'static str, Meta, Vec<u8>)> {
    let base = |m: &'static str| {
        vec![
            ("destService", "EchoService"),
            ("methodName", m),
            ("version", "v0.16.1"),
        ]
    };
    let echo = r#"{"message": "dapr", "action": "", "flag": true, "b": 1, "tiny": -2, "small": 300,
        "medium": 70000, "big": 9007199254740993, "ratio": 0.5, "blob": "AAEC", "ints": [1, 2],
        "tags": ["a"], "counts": {"k": 1}, "names_by_id": {"7": "seven"},
        "inners": {"x": {"id": "i", "labels": []}}, "nested": [], "color": 2, "seq": 5,
        "shape": {"name": "s"}, "inner": {"id": "in", "labels": ["l"]}, "level": 7}"#;
    vec![
        (
            "add",
            base("Add"),
            call_message("Add", r#"{"a": 40, "b": 2}"#),
        ),
        ("echo", base("Echo"), call_message("Echo", echo)),
        (
            "check-err",
            base("Check"),
            call_message("Check", r#"{"s": "err"}"#),
        ),
        (
            "check-other",
            base("Check"),
            call_message("Check", r#"{"s": "other"}"#),
        ),
        ("ping", base("Ping"), call_message("Ping", "{}")),
        (
            "echo-fail",
            base("Echo"),
            call_message(
                "Echo",
                &echo.replace(r#""action": """#, r#""action": "fail""#),
            ),
        ),
        (
            "wrong-method",
            base("Add2"),
            call_message("Add", r#"{"a": 1, "b": 2}"#),
        ),
        (
            "bad-version",
            base("Add"),
            hex::parse("800200010000000341646400000001"),
        ),
        (
            "missing-version",
            base("Add"),
            hex::parse("00000003416464010000000100"),
        ),
        ("short", base("Add"), hex::parse("8001000100000009")),
        (
            "no-dest",
            vec![("methodName", "Add")],
            call_message("Add", r#"{"a": 1, "b": 2}"#),
        ),
        (
            "no-method",
            vec![("destService", "EchoService")],
            call_message("Add", "{}"),
        ),
    ]
}

#[tokio::test]
async fn same_replies_as_components_contrib() {
    let kitex = kitex_peer().await;
    let program = peer_path("INTEROP_KITEX_PEER", "interop/target/kitex-peer");
    let mut original = Command::new(program)
        .arg("dapr-binding")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kitex-peer dapr-binding");
    let mut stdin = original.stdin.take().unwrap();
    let mut lines = BufReader::new(original.stdout.take().unwrap()).lines();

    let c = Running::start().await;
    let d = c.daprd().await.instance("diff");
    let mut report = Vec::new();
    for (case, meta, data) in requests() {
        let mut meta = meta;
        meta.push(("hostPorts", kitex.addr.as_str()));
        let metadata: serde_json::Map<String, Json> = meta
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let line = json!({"operation": "get", "metadata": metadata, "data_hex": hex::plain(&data)});
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        let theirs = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{case}: the original answers within 20 s"))
            .unwrap()
            .expect("a line");
        let theirs: Json = serde_json::from_str(&theirs).unwrap();
        let ours = d.invoke("get", data, &meta).await;
        match (&ours, theirs["error"].as_str()) {
            (Ok(resp), None) => {
                assert_eq!(
                    hex::plain(&resp.data),
                    theirs["data_hex"].as_str().unwrap(),
                    "{case}: reply data differs"
                );
                report.push(format!("{case}: same {} bytes", resp.data.len()));
            }
            (Err(status), Some(text)) => {
                let ours = status.message();
                // The application exception's own message, or our whole text.
                let key = ours
                    .strip_prefix("remote or network error[remote]: ")
                    .and_then(|m| m.split(" (application exception type").next())
                    .unwrap_or(ours);
                assert!(
                    text.contains(key),
                    "{case}: the original said {text:?}, we said {ours:?}"
                );
                report.push(format!(
                    "{case}: both fail; original {text:?}; ours {ours:?}"
                ));
            }
            (ours, theirs_err) => panic!(
                "{case}: outcomes differ: ours {ours:?}, original error {theirs_err:?} data {}",
                theirs["data_hex"]
            ),
        }
    }
    println!("{}", report.join("\n"));
    drop(stdin);
    c.stop().await;
}
