//! Test helpers shared by the anycall crates (a dev-dependency only, never
//! published):
//!
//! * [`golden`]: compare output with files under `testdata/`, rewritten
//!   with `UPDATE_GOLDEN=1`; hand-annotated `spec_*.hex` fixtures are only
//!   ever read;
//! * [`hex`]: hex text with `#` comments, to and from bytes;
//! * [`echo`]: the echo rule of the interop service (`interop/README.md`);
//! * [`process`]: reading a child process's first line, with a timeout;
//! * [`etcd`]: a real etcd server on loopback ports.
//!
//! ```
//! use anycall_test_support::hex;
//!
//! let bytes = hex::parse("80 01  # version\n00 01");
//! assert_eq!(bytes, [0x80, 0x01, 0x00, 0x01]);
//! assert_eq!(hex::lines(&bytes), "80 01 00 01");
//! ```

pub mod echo;
pub mod etcd;
pub mod golden;
pub mod hex;
pub mod process;

use std::path::{Path, PathBuf};

/// The repository root, from this crate's manifest directory (lexically,
/// without `..`, so that it is a prefix of paths the tools print).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("the crate lives in <root>/crates/<name>")
        .to_path_buf()
}

/// `testdata/<rel>` under the repository root.
pub fn testdata(rel: impl AsRef<Path>) -> PathBuf {
    repo_root().join("testdata").join(rel)
}
