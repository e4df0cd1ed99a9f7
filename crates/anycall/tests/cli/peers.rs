//! `anycall call` and `anycall serve` with programs nobody here wrote: the
//! Volo and Kitex peers built by `scripts/interop-setup`.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{Background, root, run_in, stderr, stdout, testdata};

/// A peer built by `scripts/interop-setup`: `var` names it, else `default`
/// under the repository root.
fn peer(var: &str, default: &str) -> PathBuf {
    let bin = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(default));
    assert!(
        bin.exists(),
        "the peer {} is missing ({var}): run scripts/interop-setup",
        bin.display()
    );
    bin
}

/// `<peer> server --addr 127.0.0.1:0`.
fn peer_server(var: &str, default: &str) -> Background {
    let mut cmd = Command::new(peer(var, default));
    cmd.args(["server", "--addr", "127.0.0.1:0"]);
    Background::spawn(cmd)
}

fn volo_server() -> Background {
    peer_server("INTEROP_VOLO_PEER", "interop/target/release/volo-peer")
}

fn kitex_server() -> Background {
    peer_server("INTEROP_KITEX_PEER", "interop/target/kitex-peer")
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
    let volo = volo_server();
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
    let volo = volo_server();
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

/// A Kitex business status error: exit 4, its code, message and extras on
/// stderr, nothing on stdout.
#[test]
fn kitex_biz_status_error_exits_4() {
    let kitex = kitex_server();
    for transport in ["ttheader", "ttheader-framed"] {
        let out = call(
            &kitex.addr,
            "EchoService/Echo",
            r#"{"message": "m", "action": "biz"}"#,
            &["--transport", transport],
        );
        assert_eq!(out.status.code(), Some(4), "{transport}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{transport}");
        assert!(
            stderr(&out).contains(
                r#"business status error: code 10001, message "requested biz error", extra {"reason":"asked"}"#
            ),
            "{transport}: {}",
            stderr(&out)
        );
    }
}

/// `anycall serve --mock` answers with a business status error that
/// Kitex's generated client reads with `kerrors.FromBizStatusError`.
#[test]
fn kitex_client_reads_a_mocked_biz_status_error() {
    let mock = Background::anycall(&[
        "serve",
        "--idl",
        "interop/echo.thrift",
        "--mock",
        "cli/mock-kitex-biz.json",
        "--listen",
        "127.0.0.1:0",
    ]);
    let kitex = peer("INTEROP_KITEX_PEER", "interop/target/kitex-peer");
    for transport in ["ttheader", "ttheader-framed"] {
        let out = Command::new(&kitex)
            .args(["client", "--addr", &mock.addr, "--transport", transport])
            .args(["--biz", "--case", "biz"])
            .output()
            .expect("run the Kitex client");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{transport}: {text}\n{}",
            stderr(&out)
        );
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        assert_eq!(line["case"], "biz", "{transport}");
        assert_eq!(line["ok"], true, "{transport}: {line}");
        assert_eq!(line["biz_error"]["code"], 10001, "{transport}: {line}");
    }
}
