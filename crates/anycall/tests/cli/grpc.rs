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

#[test]
fn serve_watch_swaps_the_proto_for_calls_and_reflection() {
    let dir = std::env::temp_dir().join(format!("anycall-cli-proto-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let proto = dir.join("w.proto");
    let v1 = "syntax = \"proto3\";\npackage w;\nimport \"google/protobuf/empty.proto\";\n\
              service W {\n  rpc A(google.protobuf.Empty) returns (google.protobuf.Empty);\n}\n";
    std::fs::write(&proto, v1).expect("write");
    let server = Background::anycall(&[
        "serve",
        "--idl",
        proto.to_str().expect("utf-8"),
        "--listen",
        "127.0.0.1:0",
        "--watch",
        "--echo",
    ]);
    let out = run(&["list", &server.addr], b"");
    assert_eq!(stdout(&out), "w.W/A\n", "{}", stderr(&out));
    std::fs::write(
        &proto,
        v1.replace(
            "}\n",
            "  rpc B(google.protobuf.Empty) returns (google.protobuf.Empty);\n}\n",
        ),
    )
    .expect("rewrite");
    // Reloads are polled every 250 ms: wait for reflection to show B.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let out = run(&["list", &server.addr], b"");
        if stdout(&out) == "w.W/A\nw.W/B\n" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "reflection still lists {:?} after the .proto changed",
            stdout(&out)
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The new method answers, by reflection and with the new file.
    let out = run(&["call", &server.addr, "w.W/B", "-d", "{}"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{}\n");
    // A broken file keeps the previous pool.
    std::fs::write(&proto, "syntax = \"proto3\";\nmessage {\n").expect("break");
    std::thread::sleep(std::time::Duration::from_millis(600));
    let out = run(&["list", &server.addr], b"");
    assert_eq!(stdout(&out), "w.W/A\nw.W/B\n", "{}", stderr(&out));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// grpcurl, built by `scripts/interop-setup`.
fn grpcurl(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write as _;
    let bin = std::env::var_os("INTEROP_GRPCURL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::support::root().join("interop/target/grpcurl"));
    assert!(
        bin.exists(),
        "grpcurl {} is missing (INTEROP_GRPCURL): run scripts/interop-setup",
        bin.display()
    );
    let mut child = std::process::Command::new(bin)
        .args(["-plaintext", "-max-time", "20"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn grpcurl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait for grpcurl")
}

/// The JSON values of a grpcurl reply stream (pretty-printed, one after
/// another).
fn json_values(text: &str) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<serde_json::Value>()
        .map(|v| v.expect("grpcurl prints JSON"))
        .collect()
}

#[test]
fn grpcurl_lists_describes_and_calls_anycall_serve_by_reflection() {
    let server = serve(&["--echo"]);
    let addr = server.addr.as_str();
    let out = grpcurl(&[addr, "list"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "anycall.interop.v1.Interop\ngrpc.reflection.v1.ServerReflection\n"
    );
    let out = grpcurl(&[addr, "list", SVC], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // grpcurl sorts the methods.
    assert_eq!(
        stdout(&out),
        "anycall.interop.v1.Interop.Chat\nanycall.interop.v1.Interop.Collect\n\
         anycall.interop.v1.Interop.Echo\nanycall.interop.v1.Interop.Ping\n\
         anycall.interop.v1.Interop.Repeat\n"
    );
    let out = grpcurl(&[addr, "describe", "anycall.interop.v1.Item"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "anycall.interop.v1.Item is a message:",
        "map<int32, .anycall.interop.v1.Inner> by_id = 7;",
        "oneof choice {",
        ".google.protobuf.Timestamp at = 20;",
        ".google.protobuf.Any extra = 28;",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
    let out = grpcurl(&[addr, "describe", &format!("{SVC}.Chat")], b"");
    assert!(
        stdout(&out).contains(
            "rpc Chat ( stream .anycall.interop.v1.Item ) returns ( stream .anycall.interop.v1.Item );"
        ),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // Invoke: grpcurl builds the messages from the reflected descriptors only.
    // grpcurl's dynamic messages (jhump/protoreflect) do not apply the
    // FieldMask JSON mapping: they read and write `{"paths": [...]}` rather
    // than the string form, so the item goes without `mask` and the mask is
    // checked on its own.
    let item = std::fs::read_to_string(testdata("grpc/item.json")).expect("item");
    let mut want: serde_json::Value = serde_json::from_str(&item).expect("JSON");
    want.as_object_mut().expect("object").remove("mask");
    let item = want.to_string();
    let echo = format!("{SVC}/Echo");
    let out = grpcurl(&["-d", "@", addr, &echo], item.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_values(&stdout(&out)), [want.clone()]);
    let mask = r#"{"mask": {"paths": ["scalars.f_int32", "nested.inner"]}}"#;
    let out = grpcurl(&["-d", mask, addr, &echo], b"");
    assert_eq!(
        json_values(&stdout(&out)),
        [serde_json::from_str::<serde_json::Value>(mask).expect("JSON")],
        "{}",
        stderr(&out)
    );
    // Bidi (`serve --echo` answers each request); server streaming below.
    let chat = format!("{SVC}/Chat");
    let out = grpcurl(
        &["-d", r#"{"tags":["a"]} {"number":"7"}"#, addr, &chat],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json_values(&stdout(&out)),
        [
            serde_json::json!({"tags": ["a"]}),
            serde_json::json!({"number": "7"})
        ]
    );
    // A mock streams its list; a status from the server: grpcurl shows its
    // code and message.
    let server = serve(&["--mock", "cli/grpc-mock.json"]);
    let repeat = format!("{SVC}/Repeat");
    let out = grpcurl(&["-d", "@", server.addr.as_str(), &repeat], item.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json_values(&stdout(&out)),
        [
            serde_json::json!({"tags": ["one"]}),
            serde_json::json!({"tags": ["two"]})
        ]
    );
    let collect = format!("{SVC}/Collect");
    let out = grpcurl(&["-d", "{}", server.addr.as_str(), &collect], b"");
    assert_eq!(out.status.code(), Some(64 + 5), "{}", stderr(&out));
    assert!(stderr(&out).contains("no such item"), "{}", stderr(&out));
}

/// `interop/target/kitex-peer`, built by `scripts/interop-setup`.
fn kitex_peer() -> std::process::Command {
    let bin = std::env::var_os("INTEROP_KITEX_PEER")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::support::root().join("interop/target/kitex-peer"));
    assert!(
        bin.exists(),
        "the peer {} is missing (INTEROP_KITEX_PEER): run scripts/interop-setup",
        bin.display()
    );
    std::process::Command::new(bin)
}

const KITEX_PROTO: &str = "kitexpb/kitex_interop.proto";

fn kitex_call(addr: &str, method: &str, data: &str, extra: &[&str]) -> std::process::Output {
    let target = format!("anycall.kitexpb.v1.KitexInterop/{method}");
    let mut args = vec![
        "call",
        "--kitex-protobuf",
        "--idl",
        KITEX_PROTO,
        addr,
        target.as_str(),
        "-d",
        data,
    ];
    args.extend_from_slice(extra);
    run(&args, b"")
}

#[test]
fn kitex_protobuf_both_ways_through_the_binary() {
    let item = std::fs::read_to_string(testdata("kitexpb/item.json")).expect("item");
    let want: serde_json::Value = serde_json::from_str(&item).expect("JSON");
    // anycall call --kitex-protobuf -> Kitex's generated protobuf server.
    let mut cmd = kitex_peer();
    cmd.args(["kitexpb-server", "--addr", "127.0.0.1:0"]);
    let kitex = Background::spawn(cmd);
    for transport in ["framed", "ttheader-framed"] {
        let out = kitex_call(&kitex.addr, "Echo", &item, &["--transport", transport]);
        assert_eq!(out.status.code(), Some(0), "{transport}: {}", stderr(&out));
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
        assert_eq!(got, want, "{transport}");
    }
    let out = kitex_call(
        &kitex.addr,
        "Fail",
        r#"{"name": "x"}"#,
        &["--transport", "ttheader-framed"],
    );
    assert_eq!(out.status.code(), Some(64 + 6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("biz error: requested failure: x (type 6)"),
        "{}",
        stderr(&out)
    );
    // Kitex's generated protobuf client -> anycall serve, on the port that
    // also takes Thrift and gRPC.
    let server = Background::anycall(&[
        "serve",
        "--idl",
        KITEX_PROTO,
        "--listen",
        "127.0.0.1:0",
        "--echo",
        "--mock",
        "cli/kitexpb-mock.json",
    ]);
    let out = kitex_peer()
        .args(["kitexpb-client", "--addr", server.addr.as_str()])
        .output()
        .expect("kitex-peer kitexpb-client");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out).lines().count(), 3, "{}", stdout(&out));
    // And anycall's own client, both transports.
    for transport in ["framed", "ttheader-framed"] {
        let out = kitex_call(&server.addr, "Echo", &item, &["--transport", transport]);
        assert_eq!(out.status.code(), Some(0), "{transport}: {}", stderr(&out));
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
        assert_eq!(got, want, "{transport}");
    }
    let out = kitex_call(&server.addr, "Echo", "{}", &["--transport", "buffered"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("framed or ttheader-framed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bench_times_grpc_unary_calls_in_every_mode() {
    let server = serve(&["--echo"]);
    let echo = format!("{SVC}/Echo");
    for mode in ["json", "value", "binary"] {
        let out = run(
            &[
                "bench",
                "--idl",
                PROTO,
                &server.addr,
                &echo,
                "-d",
                "@grpc/item.json",
                "--mode",
                mode,
                "-c",
                "4",
                "-n",
                "40",
                "-o",
                "json",
            ],
            b"",
        );
        assert_eq!(out.status.code(), Some(0), "{mode}: {}", stderr(&out));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(
            (&r["ok"], &r["errors"], &r["transport"], &r["mode"]),
            (
                &serde_json::json!(40),
                &serde_json::json!(0),
                &serde_json::json!("grpc"),
                &serde_json::json!(mode)
            ),
            "{r}"
        );
        assert!(r["p50_us"].as_u64().is_some_and(|p| p > 0), "{r}");
    }
    let chat = format!("{SVC}/Chat");
    let out = run(
        &["bench", "--idl", PROTO, &server.addr, &chat, "-d", "{}"],
        b"",
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "streaming is refused: {}",
        stderr(&out)
    );
}
