//! Running the binary and comparing against golden files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
