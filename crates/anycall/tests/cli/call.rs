//! `call`, `serve` and `proxy` through the real binary: every exit code,
//! stdin input, raw forwarding.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::{run_in, stderr, stdout, testdata};

/// A background `anycall` server, killed on drop.
struct Background {
    child: Child,
    addr: String,
}

impl Background {
    /// Starts `anycall <args>` and waits for its "... on ADDR ..." line.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
            .args(args)
            .current_dir(testdata(""))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn anycall");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the first line");
        let addr = line
            .split_whitespace()
            .find(|w| w.starts_with("127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Self { child, addr }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Background {
    let mut args = vec![
        "serve",
        "--idl",
        "codec/all_types.thrift",
        "--listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    Background::start(&args)
}

fn call(args: &[&str], stdin: &[u8]) -> std::process::Output {
    run_in(&testdata(""), args, stdin)
}

#[test]
fn call_succeeds_in_every_transport_and_protocol() {
    let server = serve(&["--echo"]);
    for transport in ["framed", "buffered", "ttheader", "ttheader-framed"] {
        for protocol in ["binary", "compact"] {
            let out = call(
                &[
                    "call",
                    "--idl",
                    "codec/all_types.thrift",
                    &server.addr,
                    "Codec/Echo",
                    "--transport",
                    transport,
                    "--protocol",
                    protocol,
                    "-o",
                    "json",
                    "-d",
                    r#"{"items":{"k":{"id":5}}}"#,
                ],
                b"",
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "{transport}/{protocol}: {}",
                stderr(&out)
            );
            assert_eq!(
                stdout(&out).trim(),
                r#"{"msg":"","n":3}"#,
                "{transport}/{protocol}"
            );
        }
    }
}

#[test]
fn echo_copies_request_fields_and_stdin_is_read() {
    let server = serve(&["--echo"]);
    let out = call(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            &server.addr,
            "Codec/Add",
            "-d",
            "@-",
            "-o",
            "json",
        ],
        br#"{"a": 7, "b": 9}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "7");
}

#[test]
fn mock_replies_and_declared_exception_exit_3() {
    let server = serve(&["--mock", "cli/mock.json"]);
    let base = ["call", "--idl", "codec/all_types.thrift", &server.addr];
    let out = call(
        &[&base[..], &["Codec/Add", "-d", r#"{"a":1,"b":2}"#]].concat(),
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "42");
    let out = call(
        &[&base[..], &["Codec/Echo", "-d", "{}", "-o", "json"]].concat(),
        b"",
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        r#"{"exception":"oops","value":{"code":7,"why":"mocked"}}"#
    );
    // Unmapped methods get values built from the IDL.
    let out = call(&[&base[..], &["Codec/Ping", "-d", "{}"]].concat(), b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "null");
}

#[test]
fn application_exception_exits_64_plus_its_type() {
    let server = serve(&[]);
    let out = call(
        &[
            "call",
            "--idl",
            "cli/client_only.thrift",
            &server.addr,
            "Codec/Missing",
            "-d",
            "{}",
        ],
        b"",
    );
    // UNKNOWN_METHOD is type 1.
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("TApplicationException"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn connect_refused_exits_1_and_usage_exits_2() {
    // Port 1 on loopback: nothing listens there.
    let out = call(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            "127.0.0.1:1",
            "Codec/Ping",
            "-d",
            "{}",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("127.0.0.1:1"), "{}", stderr(&out));
    let out = call(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            "NoSlash",
            "-d",
            "{}",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = call(&["call", "127.0.0.1:1", "Codec/Ping", "-d", "{}"], b"");
    assert_eq!(out.status.code(), Some(2), "missing --idl is a usage error");
    let out = call(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            "Codec/Ping",
            "--timeout",
            "5h",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_arguments_fail_locally_with_the_field_path() {
    let out = call(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            "127.0.0.1:1",
            "Codec/Add",
            "-d",
            r#"{"a":"x","b":1}"#,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Add_args.a"), "{}", stderr(&out));
}

#[test]
fn proxy_forwards_raw_messages_and_keeps_seq_ids() {
    let server = serve(&["--echo"]);
    let proxy = Background::start(&[
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &server.addr,
    ]);
    // A CALL for Add(3, 4) with seq id 42, built offline.
    let enc = call(
        &[
            "encode",
            "--idl",
            "codec/all_types.thrift",
            "Codec/Add",
            "-d",
            r#"{"a":3,"b":4}"#,
            "--seq-id",
            "42",
        ],
        b"",
    );
    assert_eq!(enc.status.code(), Some(0), "{}", stderr(&enc));
    let dir = std::env::temp_dir().join(format!("anycall-raw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let msg = dir.join("add.bin");
    std::fs::write(&msg, &enc.stdout).unwrap();
    let at = format!("@{}", msg.display());
    let out = call(&["call", &proxy.addr, "--raw", "-d", &at], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dec = call(
        &[
            "decode",
            "--idl",
            "codec/all_types.thrift",
            "Codec/Add",
            "-o",
            "json",
        ],
        &out.stdout,
    );
    assert_eq!(dec.status.code(), Some(0), "{}", stderr(&dec));
    assert_eq!(
        stdout(&dec).trim(),
        r#"{"method":"Add","type":"reply","seq_id":42,"body":{"success":3}}"#
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn completions_are_printed() {
    let out = call(&["completions", "bash"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("anycall"));
}
