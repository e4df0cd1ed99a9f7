//! Thrift over gRPC through the real binary: `call --transport grpc` on a
//! Thrift IDL (streaming methods, one JSON line per reply, and unary ones),
//! `serve --echo/--mock` answering `application/grpc+thrift` on its one
//! port, the Kitex peer's streaming server over gRPC, and `bench`.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Background, root, run_in, stderr, stdout, testdata};

const IDL: &str = "interop/streaming.thrift";

fn call(addr: &str, method: &str, data: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "call",
        "--idl",
        IDL,
        addr,
        method,
        "--transport",
        "grpc",
        "-o",
        "json",
        "-d",
        data,
    ];
    args.extend_from_slice(extra);
    run_in(&testdata(""), &args, b"")
}

fn lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

#[test]
fn serve_echo_answers_every_kind_over_grpc() {
    let server = Background::anycall(&["serve", "--idl", IDL, "--listen", "127.0.0.1:0", "--echo"]);
    let out = call(
        &server.addr,
        "StreamService/Echo",
        r#"{"msg":"a","num":1} {"msg":"b"}"#,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = lines(&out);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (got[0]["msg"].clone(), got[0]["num"].clone()),
        ("a".into(), 1.into())
    );
    assert_eq!(got[1]["msg"], "b");
    let out = call(
        &server.addr,
        "StreamService/Sum",
        r#"{"msg":"x"} {"msg":"last"}"#,
        &[],
    );
    assert_eq!(lines(&out)[0]["msg"], "last", "{}", stderr(&out));
    let out = call(
        &server.addr,
        "StreamService/Count",
        r#"{"msg":"one","num":4}"#,
        &[],
    );
    assert_eq!(lines(&out).len(), 1, "echo answers the one request once");
    // unary Thrift over gRPC reaches the ping-pong echo
    let out = call(
        &server.addr,
        "StreamService/Unary",
        r#"{"msg":"u","num":7}"#,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["msg"], "u");
}

#[test]
fn serve_mock_over_grpc() {
    let server = Background::anycall(&[
        "serve",
        "--idl",
        IDL,
        "--listen",
        "127.0.0.1:0",
        "--mock",
        "cli/mock-streaming.json",
    ]);
    let out = call(
        &server.addr,
        "StreamService/Count",
        r#"{"msg":"q","num":1}"#,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = lines(&out);
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0]["msg"].clone(), got[1]["seq"].clone()),
        ("m1".into(), 2.into())
    );
    let out = call(&server.addr, "StreamService/Echo", r#"{"msg":"q"}"#, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("mocked failure"), "{}", stderr(&out));
}

#[test]
fn call_the_kitex_streaming_server_over_grpc() {
    let bin = std::env::var_os("INTEROP_KITEX_PEER")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("interop/target/kitex-peer"));
    assert!(
        bin.exists(),
        "run scripts/interop-setup ({})",
        bin.display()
    );
    let mut cmd = Command::new(bin);
    cmd.args(["stream-server", "--addr", "127.0.0.1:0"]);
    let kitex = Background::spawn(cmd);
    let out = call(
        &kitex.addr,
        "StreamService/Echo",
        r#"{"msg":"a","num":1,"items":[1,2]} {"msg":"b","num":2}"#,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        [
            serde_json::json!({"msg":"a","num":1,"items":[1,2],"seq":0}),
            serde_json::json!({"msg":"b","num":2,"items":[],"seq":1})
        ]
    );
    let out = call(
        &kitex.addr,
        "StreamService/Count",
        r#"{"msg":"n","num":3}"#,
        &[],
    );
    assert_eq!(
        lines(&out),
        [
            serde_json::json!({"msg":"n","num":0,"items":[],"seq":0}),
            serde_json::json!({"msg":"n","num":1,"items":[],"seq":1}),
            serde_json::json!({"msg":"n","num":2,"items":[],"seq":2})
        ]
    );
    let out = call(
        &kitex.addr,
        "StreamService/Sum",
        r#"{"msg":"x","num":1} {"msg":"y","num":2}"#,
        &[],
    );
    assert_eq!(
        lines(&out)[0],
        serde_json::json!({"msg":"x,y","num":3,"items":[],"seq":2})
    );
    for method in ["StreamService/Unary", "StreamService/Plain"] {
        let out = call(
            &kitex.addr,
            method,
            r#"{"msg":"u","num":7,"items":[3]}"#,
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{method}: {}", stderr(&out));
        assert_eq!(
            lines(&out),
            [serde_json::json!({"msg":"u","num":7,"items":[3],"seq":0})]
        );
    }
    let out = call(&kitex.addr, "StreamService/Echo", r#"{"msg":"fail"}"#, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("requested stream failure"),
        "{}",
        stderr(&out)
    );
    // --timeout is the call's deadline (grpc-timeout, enforced locally too)
    let started = Instant::now();
    let out = call(
        &kitex.addr,
        "StreamService/Echo",
        r#"{"msg":"sleep:5000"}"#,
        &["--timeout", "300ms"],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("deadline") || stderr(&out).contains("timed out"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn bench_a_bidi_method_over_grpc() {
    let server = Background::anycall(&["serve", "--idl", IDL, "--listen", "127.0.0.1:0", "--echo"]);
    let out = run_in(
        &testdata(""),
        &[
            "bench",
            "--idl",
            IDL,
            &server.addr,
            "StreamService/Echo",
            "--transport",
            "grpc",
            "-d",
            r#"{"msg":"x","num":1}"#,
            "-n",
            "200",
            "-c",
            "4",
            "-o",
            "json",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["messages"], 200, "{doc}");
    assert_eq!(doc["transport"], "grpc");
    // ping-pong methods are not benchmarked over gRPC
    let out = run_in(
        &testdata(""),
        &[
            "bench",
            "--idl",
            IDL,
            &server.addr,
            "StreamService/Unary",
            "--transport",
            "grpc",
            "-d",
            "{}",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
