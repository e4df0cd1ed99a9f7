//! `anycall call` against a server nobody here wrote: the Volo peer built by
//! `scripts/interop-setup`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use anycall_test_support::process::{START_TIMEOUT, first_line};

use crate::support::{root, run_in, stderr, stdout, testdata};

/// The Volo echo server, stopped when dropped (it exits when its stdin closes).
struct VoloServer {
    child: Child,
    addr: String,
}

impl VoloServer {
    fn start() -> Self {
        let bin = std::env::var_os("INTEROP_VOLO_PEER")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("interop/target/release/volo-peer"));
        assert!(
            bin.exists(),
            "the Volo peer is missing at {}: run scripts/interop-setup",
            bin.display()
        );
        let mut child = Command::new(&bin)
            .args(["server", "--addr", "127.0.0.1:0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the Volo peer");
        let line = first_line(&mut child, "the Volo peer", START_TIMEOUT);
        let addr = line
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .trim()
            .to_owned();
        Self { child, addr }
    }
}

impl Drop for VoloServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn call(addr: &str, method: &str, data: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "call",
        "--idl",
        "interop/echo.thrift",
        addr,
        method,
        "-d",
        data,
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    run_in(&testdata(""), &args, b"")
}

#[test]
fn volo_server_answers_anycall_call_in_each_transport() {
    let volo = VoloServer::start();
    for transport in ["framed", "buffered", "ttheader"] {
        let out = call(
            &volo.addr,
            "EchoService/Add",
            r#"{"a": 40, "b": 2}"#,
            &["--transport", transport],
        );
        assert_eq!(out.status.code(), Some(0), "{transport}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "42", "{transport}");
    }
    let out = call(
        &volo.addr,
        "EchoService/Echo",
        r#"{"message": "hi", "action": "", "big": 9007199254740993}"#,
        &["--transport", "ttheader"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(v["message"], "hi");
    assert_eq!(v["big"].as_i64(), Some(9_007_199_254_740_993));
    assert_eq!(v["BaseResp"]["StatusMessage"], "ok");
}

#[test]
fn volo_declared_exception_exits_3_and_application_error_exits_70() {
    let volo = VoloServer::start();
    let out = call(
        &volo.addr,
        "EchoService/Echo",
        r#"{"message": "x", "action": "throw"}"#,
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(v["exception"], "err");
    assert_eq!(v["value"]["code"], 42);
    let out = call(
        &volo.addr,
        "EchoService/Echo",
        r#"{"message": "x", "action": "fail"}"#,
        &[],
    );
    // INTERNAL_ERROR is type 6.
    assert_eq!(out.status.code(), Some(70), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("requested application error"),
        "{}",
        stderr(&out)
    );
}
