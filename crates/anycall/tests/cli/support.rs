//! Running the binary and comparing against golden files.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use anycall_test_support::process::{START_TIMEOUT, first_line};

/// The repository root.
pub(crate) fn root() -> PathBuf {
    anycall_test_support::repo_root()
}

/// `testdata/<rel>`.
pub(crate) fn testdata(rel: &str) -> PathBuf {
    anycall_test_support::testdata(rel)
}

/// Runs `anycall` with `args` in `dir`, with `stdin` as input.
pub(crate) fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_anycall"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn anycall");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait for anycall")
}

/// Runs `anycall` in `testdata/idl`.
pub(crate) fn run(args: &[&str]) -> Output {
    run_in(&testdata("idl"), args, b"")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compares `actual` with the golden file `testdata/<rel>`, or rewrites it
/// when `UPDATE_GOLDEN=1`.
pub(crate) fn golden(rel: &str, actual: &str) {
    anycall_test_support::golden::text(&testdata(rel), actual);
}

/// A server in the background (`anycall serve`/`proxy` or a peer), killed
/// on drop; `addr` is the first `127.0.0.1:PORT` of its first line.
pub(crate) struct Background {
    child: Child,
    pub(crate) addr: String,
}

impl Background {
    /// Starts `cmd` with piped stdout (peers exit when their stdin closes,
    /// so it is piped too) and waits for its address line.
    pub(crate) fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        let line = first_line(&mut child, "the server", START_TIMEOUT);
        let addr = line
            .split_whitespace()
            .find(|w| w.starts_with("127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Self { child, addr }
    }

    /// `anycall <args>` run in `testdata/`.
    pub(crate) fn anycall(args: &[&str]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_anycall"));
        cmd.args(args).current_dir(testdata(""));
        Self::spawn(cmd)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
