//! Peer processes of the interop tests: finding the programs that
//! `scripts/interop-setup` builds, starting a peer server and waiting for its
//! `listening HOST:PORT` line, running a peer client to its end and checking
//! its JSON lines (interop/README.md gives the contract).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::common::{repo_root, script};

pub(crate) const SETUP_HINT: &str = "run scripts/interop-setup to build the interop peers";

pub(crate) fn peer_path(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| repo_root().join(default), PathBuf::from);
    assert!(
        path.exists(),
        "interop peer {} not found ({var}); {SETUP_HINT}",
        path.display()
    );
    path
}

pub(crate) fn volo_peer() -> Command {
    Command::new(peer_path(
        "INTEROP_VOLO_PEER",
        "interop/target/release/volo-peer",
    ))
}

pub(crate) fn kitex_peer() -> Command {
    Command::new(peer_path("INTEROP_KITEX_PEER", "interop/target/kitex-peer"))
}

pub(crate) fn python_peer() -> Command {
    let python = peer_path("INTEROP_PYTHON", "interop/.venv/bin/python");
    let script = peer_path("INTEROP_PYTHON_PEER", "interop/python/peer.py");
    let mut cmd = Command::new(python);
    cmd.arg(script);
    cmd
}

/// A peer server process, killed when dropped.
pub(crate) struct PeerServer {
    pub(crate) addr: String,
    _child: Child,
}

/// Starts `cmd server ...` and waits for its `listening HOST:PORT` line.
pub(crate) async fn start_server(cmd: Command, args: &[&str]) -> PeerServer {
    start_peer(cmd, "server", args).await
}

/// Starts `cmd SUBCOMMAND ...` and waits for its `listening HOST:PORT` line.
pub(crate) async fn start_peer(mut cmd: Command, subcommand: &str, args: &[&str]) -> PeerServer {
    cmd.arg(subcommand).args(args);
    let peer = anycall_test_support::process::start_listening(cmd, SETUP_HINT).await;
    PeerServer {
        addr: peer.addr,
        _child: peer.child,
    }
}

/// The `case` names of the interop script, in order.
pub(crate) fn script_cases() -> Vec<String> {
    script()["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["case"].as_str().expect("case").to_owned())
        .collect()
}

/// Runs `cmd SUBCOMMAND ...` to completion; asserts exit 0 and that every
/// JSON line says `"ok": true`. Returns the lines.
pub(crate) async fn run_peer_client(
    mut cmd: Command,
    subcommand: &str,
    args: &[&str],
    cell: &str,
) -> Vec<serde_json::Value> {
    cmd.arg(subcommand)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{cell}: peer client did not finish in 120 s"))
        .unwrap_or_else(|e| panic!("{cell}: spawn peer client: {e}; {SETUP_HINT}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut lines = Vec::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{cell}: bad line {line:?}: {e}"));
        assert_eq!(v["ok"], true, "{cell}: {line}\n{stderr}");
        lines.push(v);
    }
    assert!(
        out.status.success(),
        "{cell}: peer client failed\n{stdout}\n{stderr}"
    );
    lines
}

/// The `case` of each line.
pub(crate) fn cases_of(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .map(|v| v["case"].as_str().unwrap_or("(no case)").to_owned())
        .collect()
}

/// Runs `cmd client ...` to completion; asserts exit 0, one JSON line per
/// case of the script, in script order, and that every line says
/// `"ok": true`. Returns the number of calls.
pub(crate) async fn run_client(cmd: Command, args: &[&str], cell: &str) -> usize {
    let lines = run_peer_client(cmd, "client", args, cell).await;
    let cases = cases_of(&lines);
    assert_eq!(
        cases,
        script_cases(),
        "{cell}: the client's lines are not the script's cases\n{lines:?}"
    );
    cases.len()
}
