//! Running the binary and comparing against golden files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `testdata/<rel>`.
pub(crate) fn testdata(rel: &str) -> PathBuf {
    root().join("testdata").join(rel)
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
    let path = testdata(rel);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e} (bless with UPDATE_GOLDEN=1)", path.display()));
    assert!(
        expected == actual,
        "output differs from {} (bless with UPDATE_GOLDEN=1)\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}
