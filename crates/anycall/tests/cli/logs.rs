//! A server whose stderr nobody reads keeps serving: logs go through a
//! lossy writer thread, never on the call's path.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use anycall_test_support::process::{START_TIMEOUT, first_line};

use super::support::{run_in, stderr, testdata};

#[test]
fn serve_with_an_unread_stderr_still_answers_10000_calls() {
    let enc = run_in(
        &testdata(""),
        &[
            "encode",
            "--idl",
            "codec/all_types.thrift",
            "Codec/Add",
            "-d",
            r#"{"a":3,"b":4}"#,
        ],
        b"",
    );
    assert_eq!(enc.status.code(), Some(0), "{}", stderr(&enc));
    let mut frame = (enc.stdout.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&enc.stdout);

    // Debug logs: one line per call, so an unread pipe (64 KiB) fills
    // within a few hundred calls.
    let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
        .args([
            "serve",
            "--idl",
            "codec/all_types.thrift",
            "--listen",
            "127.0.0.1:0",
            "--echo",
        ])
        .env("ANYCALL_LOG", "debug")
        .current_dir(testdata(""))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn anycall");
    let _unread = child.stderr.take();
    let line = first_line(&mut child, "anycall serve", START_TIMEOUT);
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut len = [0u8; 4];
    let mut reply = Vec::new();
    for i in 0..10_000 {
        conn.write_all(&frame).unwrap();
        conn.read_exact(&mut len)
            .unwrap_or_else(|e| panic!("no reply to call {i}: {e}"));
        reply.resize(u32::from_be_bytes(len) as usize, 0);
        conn.read_exact(&mut reply).unwrap();
        assert_eq!(
            &reply[..4],
            &[0x80, 0x01, 0x00, 0x02],
            "call {i}: not a reply"
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
