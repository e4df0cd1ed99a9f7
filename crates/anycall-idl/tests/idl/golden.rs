//! Golden files under `testdata/`, rewritten with `UPDATE_GOLDEN=1`.

use std::path::PathBuf;

/// The repository root (lexically, without `..`, so that it is a prefix of
/// the paths the loader prints).
pub(crate) fn root() -> PathBuf {
    anycall_test_support::repo_root()
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
    anycall_test_support::golden::text(&root().join("testdata").join(rel), actual);
}
