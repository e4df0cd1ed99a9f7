//! gRPC through the real binary: `list`/`describe` of a `.proto` and of a
//! server (reflection), `call` of the four kinds, metadata, exit codes,
//! `serve --echo` and `--mock`.

use crate::support::{Background, run_in, stderr, stdout, testdata};

const PROTO: &str = "grpc/interop.proto";
const SVC: &str = "anycall.interop.v1.Interop";

fn serve(extra: &[&str]) -> Background {
    let mut args = vec!["serve", "--idl", PROTO, "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Background::anycall(&args)
}

fn run(args: &[&str], stdin: &[u8]) -> std::process::Output {
    run_in(&testdata(""), args, stdin)
}

const METHODS: &str = "anycall.interop.v1.Interop/Echo
anycall.interop.v1.Interop/Collect
anycall.interop.v1.Interop/Repeat
anycall.interop.v1.Interop/Chat
anycall.interop.v1.Interop/Ping
";

#[test]
fn list_and_describe_a_proto_file_and_a_server() {
    let out = run(&["list", "--idl", PROTO], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), METHODS);
    let server = serve(&["--echo"]);
    let out = run(&["list", &server.addr], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), METHODS, "by reflection");

    for from in [vec!["--idl", PROTO], vec![server.addr.as_str()]] {
        let mut args = vec!["describe"];
        args.extend(from.iter().copied());
        args.push("anycall.interop.v1.Interop/Chat");
        let out = run(&args, b"");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("rpc Chat(stream anycall.interop.v1.Item) returns (stream anycall.interop.v1.Item);  // bidi streaming"),
            "{text}"
        );
        assert!(
            text.contains("map<int32, anycall.interop.v1.Inner> by_id = 7;  // JSON \"byId\""),
            "{text}"
        );
        assert!(
            text.contains("  oneof choice {\n    string name = 3;"),
            "{text}"
        );
    }
    let out = run(&["describe", "--idl", PROTO, SVC, "-o", "json"], b"");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["methods"][1]["kind"], "client streaming");
    assert_eq!(doc["methods"][2]["server_streaming"], true);
    let out = run(
        &["describe", "--idl", PROTO, "anycall.interop.v1.Itme"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("did you mean `anycall.interop.v1.Item`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn proto_errors_name_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("anycall-cli-proto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bad = dir.join("bad.proto");
    std::fs::write(
        &bad,
        "syntax = \"proto3\";\nmessage A {\n  int32 x = 1\n}\n",
    )
    .expect("write");
    let out = run(&["list", "--idl", bad.to_str().expect("utf-8")], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.proto:4:1: "), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn call_every_kind_with_and_without_the_proto() {
    let server = serve(&["--echo"]);
    let item = std::fs::read_to_string(testdata("grpc/item.json")).expect("item");
    let want: serde_json::Value = serde_json::from_str(&item).expect("JSON");
    for from in [vec!["--idl", PROTO], vec![]] {
        let call = |method: &str, data: &str| {
            let mut args = vec!["call"];
            args.extend(from.iter().copied());
            let target = format!("{SVC}/{method}");
            args.extend([server.addr.as_str(), target.as_str(), "-d", data]);
            run(&args, b"")
        };
        let out = call("Echo", &item);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
        assert_eq!(got, want);
        // Several values: client streaming echoes the last, bidi each.
        let out = call("Collect", r#"{"tags":["a"]} {"tags":["b"]}"#);
        assert_eq!(stdout(&out), "{\"tags\":[\"b\"]}\n", "{}", stderr(&out));
        let out = call("Chat", "{\"tags\":[\"a\"]}\n{\"number\":\"7\"}\n");
        assert_eq!(
            stdout(&out),
            "{\"tags\":[\"a\"]}\n{\"number\":\"7\"}\n",
            "{}",
            stderr(&out)
        );
        let out = call("Echo", r#"{"tags":["a"]} {"tags":["b"]}"#);
        assert_eq!(out.status.code(), Some(2), "unary takes one request");
        let out = call("Echo", r#"{"tags":[1]}"#);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("anycall.interop.v1.Item.tags[0]"),
            "{}",
            stderr(&out)
        );
    }
    // @- streams stdin.
    let target = format!("{SVC}/Chat");
    let out = run(
        &[
            "call",
            server.addr.as_str(),
            target.as_str(),
            "-d",
            "@-",
            "--emit-defaults",
        ],
        b"{\"inner\":{}}",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\"inner\":{\"id\":0,\"label\":\"\"}"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn mock_streams_lists_and_status_codes_exit_64_plus_the_code() {
    let server = serve(&["--mock", "cli/grpc-mock.json"]);
    let repeat = format!("{SVC}/Repeat");
    let out = run(
        &["call", server.addr.as_str(), repeat.as_str(), "-d", "{}"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{\"tags\":[\"one\"]}\n{\"tags\":[\"two\"]}\n");
    let collect = format!("{SVC}/Collect");
    let out = run(
        &[
            "call",
            server.addr.as_str(),
            collect.as_str(),
            "-d",
            "{}",
            "-H",
            "x-trace: t1",
            "-v",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(64 + 5));
    assert!(
        stderr(&out).contains("NOT_FOUND: no such item"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("x-trace: t1"),
        "-v shows metadata: {}",
        stderr(&out)
    );
    // Without --echo or a canned reply: an empty message.
    let echo = format!("{SVC}/Echo");
    let out = run(
        &[
            "call",
            server.addr.as_str(),
            echo.as_str(),
            "-d",
            "{\"tags\":[\"x\"]}",
        ],
        b"",
    );
    assert_eq!(stdout(&out), "{}\n", "{}", stderr(&out));
}
