//! Golden files under `testdata/`, rewritten with `UPDATE_GOLDEN=1`.

use std::path::{Path, PathBuf};

/// The repository root (lexically, without `..`, so that it is a prefix of
/// the paths the loader prints).
pub(crate) fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .expect("the crate lives in <root>/crates/<name>")
        .to_path_buf()
}

/// `testdata/idl`, the directory IDL paths in goldens are relative to.
pub(crate) fn idl_dir() -> PathBuf {
    root().join("testdata/idl")
}

/// Rewrites paths under `testdata/idl/` in `text` as relative ones
/// (`/…/testdata/idl/errors/x.thrift` → `errors/x.thrift`), so goldens do
/// not depend on where the repository is checked out.
pub(crate) fn relative_paths(text: &str) -> String {
    let prefix = format!("{}/", idl_dir().display());
    text.replace(&prefix, "")
}

/// Compares `actual` with `testdata/<rel>`, or writes it there when
/// `UPDATE_GOLDEN=1`.
pub(crate) fn check(rel: &str, actual: &str) {
    let path = root().join("testdata").join(rel);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("golden files live in a directory"))
            .expect("create golden directory");
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {}: {e}\n(create it with UPDATE_GOLDEN=1)\n--- actual\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "output differs from golden file {} (bless with UPDATE_GOLDEN=1)\n\
             --- expected\n+++ actual\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// A line diff: ` ` common, `-` only in `a`, `+` only in `b`.
pub(crate) fn diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.split('\n').collect();
    let b: Vec<&str> = b.split('\n').collect();
    // Longest common subsequence table, from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!(" {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+{}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("-{}\n", a[i]));
            i += 1;
        }
    }
    out
}

#[test]
fn diff_marks_changed_lines() {
    assert_eq!(diff("a\nb\nc", "a\nx\nc"), " a\n+x\n-b\n c\n");
    assert_eq!(diff("a", "a\nb"), " a\n+b\n");
}
