//! Streaming Thrift methods (`streaming.mode`) through the real binary:
//! `describe`, `call --transport ttheader-streaming` (several `-d` values,
//! one JSON line per reply), `serve --echo` and `--mock`, and the Kitex
//! peer's streaming server.

use std::process::Command;

use crate::support::{Background, root, run_in, stderr, stdout, testdata};

const IDL: &str = "interop/streaming.thrift";

fn call(addr: &str, method: &str, data: &str) -> std::process::Output {
    run_in(
        &testdata(""),
        &[
            "call",
            "--idl",
            IDL,
            addr,
            method,
            "--transport",
            "ttheader-streaming",
            "-o",
            "json",
            "-d",
            data,
        ],
        b"",
    )
}

fn lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

#[test]
fn describe_shows_the_streaming_kind() {
    let out = run_in(
        &testdata(""),
        &["describe", "--idl", IDL, "StreamService"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "StreamResp Echo(1: StreamReq req) (streaming.mode = \"bidirectional\")  // bidirectional streaming"
        ),
        "{text}"
    );
    assert!(text.contains("// unary (ping-pong)"), "{text}");
    let out = run_in(
        &testdata(""),
        &["describe", "--idl", IDL, "StreamService", "-o", "json"],
        b"",
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let kinds: Vec<_> = doc["services"][0]["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["streaming"].clone())
        .collect();
    assert_eq!(
        kinds,
        [
            serde_json::json!("bidirectional"),
            serde_json::json!("client"),
            serde_json::json!("server"),
            serde_json::json!("unary"),
            serde_json::Value::Null
        ]
    );
}

#[test]
fn serve_echo_answers_every_kind() {
    let server = Background::anycall(&["serve", "--idl", IDL, "--listen", "127.0.0.1:0", "--echo"]);
    let out = call(
        &server.addr,
        "StreamService/Echo",
        r#"{"msg":"a","num":1} {"msg":"b"}"#,
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
    );
    assert_eq!(lines(&out)[0]["msg"], "last", "{}", stderr(&out));
    let out = call(
        &server.addr,
        "StreamService/Count",
        r#"{"msg":"one","num":4}"#,
    );
    assert_eq!(lines(&out).len(), 1, "echo answers the one request once");
}

#[test]
fn serve_mock_sends_lists_and_error_trailers() {
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
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = lines(&out);
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0]["msg"].clone(), got[1]["seq"].clone()),
        ("m1".into(), 2.into())
    );
    let out = call(&server.addr, "StreamService/Sum", r#"{"msg":"q"}"#);
    assert_eq!(lines(&out)[0]["num"], 9);
    let out = call(&server.addr, "StreamService/Echo", r#"{"msg":"q"}"#);
    assert_eq!(out.status.code(), Some(64 + 6), "{}", stderr(&out));
    assert!(stderr(&out).contains("mocked failure"), "{}", stderr(&out));
}

#[test]
fn call_the_kitex_streaming_server() {
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
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        lines(&out),
        [
            serde_json::json!({"msg":"a","num":1,"items":[1,2],"seq":0}),
            serde_json::json!({"msg":"b","num":2,"items":[],"seq":1})
        ]
    );
    let out = call(&kitex.addr, "StreamService/Count", r#"{"msg":"n","num":3}"#);
    assert_eq!(lines(&out).len(), 3, "{}", stderr(&out));
    let out = call(
        &kitex.addr,
        "StreamService/Sum",
        r#"{"msg":"x","num":1} {"msg":"y","num":2}"#,
    );
    assert_eq!(
        lines(&out)[0],
        serde_json::json!({"msg":"x,y","num":3,"items":[],"seq":2})
    );
    let out = call(&kitex.addr, "StreamService/Echo", r#"{"msg":"fail"}"#);
    assert_eq!(out.status.code(), Some(64 + 6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("requested stream failure"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bench_a_bidi_method() {
    let server = Background::anycall(&["serve", "--idl", IDL, "--listen", "127.0.0.1:0", "--echo"]);
    for mode in ["json", "value", "binary"] {
        let out = run_in(
            &testdata(""),
            &[
                "bench",
                "--idl",
                IDL,
                &server.addr,
                "StreamService/Echo",
                "-d",
                r#"{"msg":"x","num":1}"#,
                "-n",
                "200",
                "-c",
                "4",
                "-o",
                "json",
                "--mode",
                mode,
            ],
            b"",
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(doc["messages"], 200, "{doc}");
        assert_eq!(doc["streams"], 4);
        assert!(doc["latency_us"]["p50"].as_u64().unwrap() > 0);
    }
    let out = run_in(
        &testdata(""),
        &[
            "bench",
            "--idl",
            IDL,
            &server.addr,
            "StreamService/Sum",
            "-d",
            "{}",
        ],
        b"",
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "only bidi methods: {}",
        stderr(&out)
    );
}
