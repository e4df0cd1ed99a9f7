//! `anycall dapr`: the socket folder from the environment, a stale socket
//! at start, and SIGTERM/SIGINT removing the socket.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anycall_test_support::process::{START_TIMEOUT, first_line};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anycall-cli-dapr-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `anycall dapr ARGS` with exactly the socket-folder variables in
/// `env`; returns the child and the socket path it printed.
fn start(args: &[&str], env: &[(&str, &Path)]) -> (Child, PathBuf) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anycall"));
    cmd.arg("dapr").args(args);
    for var in anycall::dapr::SOCKET_FOLDER_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn anycall dapr");
    let line = first_line(&mut child, "anycall dapr", START_TIMEOUT);
    let path = PathBuf::from(line.strip_prefix("listening ").expect("listening line"));
    (child, path)
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits (bounded) for the child to exit; returns whether it exited 0.
fn wait_exit(child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("anycall dapr did not exit within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn socket_folder_variables_in_order_and_sigterm_removes_the_socket() {
    let (a, b, c) = (temp_dir("a"), temp_dir("b"), temp_dir("c"));
    // All three set: daprd's own variable wins.
    let (mut child, path) = start(
        &[],
        &[
            ("DAPR_COMPONENTS_SOCKETS_FOLDER", &a),
            ("DAPR_COMPONENT_SOCKETS_FOLDER", &b),
            ("DAPR_COMPONENT_SOCKET_FOLDER", &c),
        ],
    );
    assert_eq!(path, a.join("kitex.sock"));
    assert!(path.exists());
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child), "exit 0 after SIGTERM");
    assert!(!path.exists(), "socket removed after SIGTERM");

    // The injector's spelling, then the Go SDK's fallback.
    let (mut child, path) = start(
        &["--name", "thrift"],
        &[
            ("DAPR_COMPONENT_SOCKETS_FOLDER", &b),
            ("DAPR_COMPONENT_SOCKET_FOLDER", &c),
        ],
    );
    assert_eq!(path, b.join("thrift.sock"));
    signal(&child, "-INT");
    assert!(wait_exit(&mut child), "exit 0 after SIGINT");
    assert!(!path.exists());

    let (mut child, path) = start(&[], &[("DAPR_COMPONENT_SOCKET_FOLDER", &c)]);
    assert_eq!(path, c.join("kitex.sock"));
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child));

    // --socket-folder beats the environment; the folder is created.
    let nested = a.join("made/here");
    let (mut child, path) = start(
        &["--socket-folder", nested.to_str().unwrap()],
        &[("DAPR_COMPONENTS_SOCKETS_FOLDER", &b)],
    );
    assert_eq!(path, nested.join("kitex.sock"));
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child));
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn stale_socket_at_start_is_replaced() {
    let dir = temp_dir("stale");
    let stale = dir.join("kitex.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());
    let (mut child, path) = start(&[], &[("DAPR_COMPONENTS_SOCKETS_FOLDER", &dir)]);
    assert_eq!(path, stale);
    // The new socket accepts connections.
    std::os::unix::net::UnixStream::connect(&path).expect("listening");
    signal(&child, "-TERM");
    assert!(wait_exit(&mut child));
    assert!(!path.exists());
    let _ = std::fs::remove_dir_all(dir);
}
