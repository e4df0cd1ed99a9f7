//! `call`, `serve` and `proxy` through the real binary: every exit code,
//! stdin input, one request per line on a terminal, raw forwarding.

use std::process::{Command, Stdio};

use crate::support::{Background, run_in, stderr, stdout, testdata};

fn serve(extra: &[&str]) -> Background {
    let mut args = vec![
        "serve",
        "--idl",
        "codec/all_types.thrift",
        "--listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    Background::anycall(&args)
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
fn mock_biz_status_exits_4_with_code_message_and_extra() {
    let server = serve(&["--mock", "cli/mock-biz.json"]);
    let base = ["call", "--idl", "codec/all_types.thrift", &server.addr];
    let out = call(
        &[
            &base[..],
            &["Codec/Ping", "-d", "{}", "--transport", "ttheader"],
        ]
        .concat(),
        b"",
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(
            r#"business status error: code 404, message "no such thing", extra {"id":"7"}"#
        ),
        "{}",
        stderr(&out)
    );
    // Framed has no header for it: an INTERNAL_ERROR (64 + 6) names it.
    let out = call(&[&base[..], &["Codec/Ping", "-d", "{}"]].concat(), b"");
    assert_eq!(out.status.code(), Some(70), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("biz status 404: no such thing"),
        "{}",
        stderr(&out)
    );
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
    // Without --idl the server is asked by gRPC reflection: unreachable, exit 1.
    let out = call(&["call", "127.0.0.1:1", "Codec/Ping", "-d", "{}"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("reflection on 127.0.0.1:1"),
        "{}",
        stderr(&out)
    );
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
    let proxy = Background::anycall(&[
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

/// Runs `anycall <args>` on a pseudo-terminal (Python's `pty`, echo off),
/// types `input` into it, and returns what the terminal showed (stdout and
/// stderr together) and the exit code.
fn on_terminal(args: &[&str], input: &[u8]) -> (String, Option<i32>) {
    const HARNESS: &str = r#"
import os, pty, sys, termios
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
attrs = termios.tcgetattr(fd)
attrs[3] &= ~termios.ECHO
termios.tcsetattr(fd, termios.TCSANOW, attrs)
os.write(fd, sys.stdin.buffer.read())
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    use std::io::Write as _;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(HARNESS)
        .arg(env!("CARGO_BIN_EXE_anycall"))
        .args(args)
        .current_dir(testdata(""))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for python3");
    (
        String::from_utf8_lossy(&out.stdout).replace('\r', ""),
        out.status.code(),
    )
}

#[test]
fn on_a_terminal_call_takes_one_request_per_line_until_ctrl_d() {
    let server = serve(&["--echo"]);
    // Ctrl-D (0x04) at the start of a line is end of input on a terminal.
    let (shown, code) = on_terminal(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            &server.addr,
            "Codec/Add",
            "-o",
            "json",
        ],
        b"{\"a\": 11, \"b\": 2}\n\n{\"a\": \"x\"}\n{\"a\": 23, \"b\": 5}\n\x04",
    );
    let lines: Vec<&str> = shown.lines().map(str::trim).collect();
    assert!(
        lines[0].contains("one JSON request per line"),
        "no prompt first: {shown}"
    );
    // The bad line is reported and the session goes on; the empty line is skipped.
    let replies: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.parse::<i64>().is_ok())
        .collect();
    assert_eq!(replies, ["11", "23"], "{shown}");
    let error = lines
        .iter()
        .position(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line: {shown}"));
    let first = lines.iter().position(|l| *l == "11").expect("first reply");
    let second = lines.iter().position(|l| *l == "23").expect("second reply");
    assert!(first < error && error < second, "{shown}");
    assert!(lines[error].contains("Add_args.a: expected i32"), "{shown}");
    // Every line ran, but one failed: the session exits with that line's
    // code although the last request succeeded.
    assert_eq!(code, Some(1), "{shown}");
}

#[test]
fn verbose_oneway_says_sent_and_an_empty_data_sends_empty_args() {
    let server = serve(&["--echo"]);
    let fire = call(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            &server.addr,
            "Codec/Fire",
            "-v",
            "-d",
            r#"{"event": "e"}"#,
        ],
        b"",
    );
    assert_eq!(fire.status.code(), Some(0), "{}", stderr(&fire));
    assert!(
        stderr(&fire).contains("< sent in") && stderr(&fire).contains("(oneway: no reply)"),
        "{}",
        stderr(&fire)
    );
    // `-d ''` for a method without parameters: an empty args struct.
    let ping = call(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            &server.addr,
            "Codec/Ping",
            "-d",
            "",
        ],
        b"",
    );
    assert_eq!(ping.status.code(), Some(0), "{}", stderr(&ping));
}

#[test]
fn theader_and_multiplexed_calls_reach_anycall_serve() {
    let server = serve(&["--echo"]);
    for (transport, extra) in [
        ("theader", None),
        ("theader", Some("--multiplexed")),
        ("framed", Some("--multiplexed")),
    ] {
        for protocol in ["binary", "compact"] {
            let mut args = vec![
                "call",
                "--idl",
                "codec/all_types.thrift",
                &server.addr,
                "Codec/Add",
                "--transport",
                transport,
                "--protocol",
                protocol,
                "-d",
                r#"{"a": 40, "b": 2}"#,
            ];
            args.extend(extra);
            let out = call(&args, b"");
            assert_eq!(
                out.status.code(),
                Some(0),
                "{transport} {extra:?} {protocol}: {}",
                stderr(&out)
            );
            assert_eq!(
                stdout(&out).trim(),
                "40",
                "{transport} {extra:?} {protocol}"
            );
        }
    }
}

#[test]
fn unknown_names_get_a_did_you_mean() {
    let out = call(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            "127.0.0.1:1",
            "Codec/Ehco",
            "-d",
            "{}",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("service `Codec` has no method `Ehco` (did you mean `Echo`?)"),
        "{}",
        stderr(&out)
    );
    let out = call(
        &[
            "call",
            "--idl",
            "codec/all_types.thrift",
            "127.0.0.1:1",
            "Codec/Add",
            "-d",
            r#"{"a": 1, "bb": 2}"#,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(r#"unknown field "bb" in Add_args (did you mean "b"?)"#),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_closed_stdout_ends_list_quietly() {
    // `anycall list ... | head -c 0`: the reader is gone before anything is
    // written, so the first write fails with a broken pipe.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_anycall"))
        .args(["list", "--idl", "codec/all_types.thrift"])
        .current_dir(testdata(""))
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("anycall runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "nothing on stderr, no panic");
}
