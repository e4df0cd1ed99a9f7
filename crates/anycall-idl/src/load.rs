//! Finding and reading IDL files: disk, include dirs and in-memory maps.
//!
//! An `include "x"` written in file `F` is looked for, in order:
//!
//! 1. relative to the directory of `F` (or `x` itself when absolute);
//! 2. under each include dir, in the order they were given;
//! 3. as the literal key `x` of the in-memory map (never on disk, so the
//!    result does not depend on the process's working directory).
//!
//! The candidates of 1 and 2 are looked up in the in-memory map first, then
//! on disk. Paths are normalised lexically (`a/./b/../c` → `a/c`), so map keys
//! may be relative (`base/base.thrift`) or absolute (`/idl/base/base.thrift`),
//! as with Kitex's two content providers.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Diagnostic, IdlError};
use crate::link;
use crate::pool::{Pool, PoolOptions};

/// Largest IDL file accepted, in bytes (64 MiB).
pub const MAX_SOURCE_LEN: usize = 64 << 20;

/// Loads an IDL and everything it includes into a [`Pool`].
///
/// ```
/// use anycall_idl::Loader;
///
/// let pool = Loader::new()
///     .file("idl/main.thrift", r#"include "base/base.thrift"
///         service S { base.Resp get(1: base.Req req) }"#)
///     .file("idl/base/base.thrift", "struct Req {} struct Resp {}")
///     .load("idl/main.thrift")
///     .unwrap();
/// assert_eq!(pool.files().count(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Loader {
    include_dirs: Vec<PathBuf>,
    files: HashMap<String, String>,
    options: PoolOptions,
    disk: bool,
    confine: bool,
}

impl Loader {
    /// A loader that reads from disk, with no include dirs and no in-memory files.
    pub fn new() -> Self {
        Self {
            disk: true,
            ..Self::default()
        }
    }

    /// A loader that reads only its in-memory map, never the disk.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// Adds an include dir, searched after the including file's directory.
    pub fn include_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.include_dirs.push(dir.into());
        self
    }

    /// Adds include dirs, in order.
    pub fn include_dirs<I, P>(mut self, dirs: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        self.include_dirs.extend(dirs.into_iter().map(Into::into));
        self
    }

    /// Adds an in-memory file. Its key may be relative or absolute.
    pub fn file(mut self, path: impl AsRef<str>, content: impl Into<String>) -> Self {
        self.files.insert(normalize(path.as_ref()), content.into());
        self
    }

    /// Adds in-memory files.
    pub fn files<I, K, V>(mut self, files: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        for (k, v) in files {
            self = self.file(k, v);
        }
        self
    }

    /// Forbids includes outside the main file's directory tree and the
    /// include dirs (for IDL from untrusted sources): an include whose
    /// path (after `..` is folded and, on disk, symbolic links are
    /// followed) leaves them is an error at the `include` line. Off by
    /// default.
    pub fn confine_includes(mut self, confine: bool) -> Self {
        self.confine = confine;
        self
    }

    /// Whether [`Loader::confine_includes`] is on.
    pub(crate) fn confined(&self) -> bool {
        self.confine
    }

    /// Whether `path` lies under the directory of `main` or an include dir.
    pub(crate) fn inside(&self, main: &str, path: &str) -> bool {
        let main_dir = Path::new(main)
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf();
        let roots = std::iter::once(main_dir).chain(
            self.include_dirs
                .iter()
                .map(|d| PathBuf::from(normalize(&d.to_string_lossy()))),
        );
        let on_disk = self.disk && !self.files.contains_key(path) && Path::new(path).exists();
        let real = if on_disk {
            std::fs::canonicalize(path).ok()
        } else {
            None
        };
        for root in roots {
            let lexical = if root.as_os_str().is_empty() {
                Path::new(path).is_relative()
                    && !matches!(
                        Path::new(path).components().next(),
                        Some(Component::ParentDir)
                    )
            } else {
                Path::new(path).starts_with(&root)
            };
            if !lexical {
                continue;
            }
            match &real {
                None => return true,
                Some(real) => {
                    let root = if root.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        root
                    };
                    if std::fs::canonicalize(&root).is_ok_and(|r| real.starts_with(r)) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Options for the pool (default: [`PoolOptions::default`]).
    pub fn options(mut self, options: PoolOptions) -> Self {
        self.options = options;
        self
    }

    /// Loads `main` and its includes, links them, and returns the pool or
    /// every problem found.
    pub fn load(&self, main: impl AsRef<str>) -> Result<Pool, IdlError> {
        link::link(self, main.as_ref(), self.options.clone())
    }

    /// Reads a file by normalised path: the in-memory map, then the disk
    /// when `disk` (and the loader reads the disk). `Ok(None)` when it exists
    /// in neither.
    pub(crate) fn read(&self, path: &str, disk: bool) -> Result<Option<String>, Diagnostic> {
        if let Some(text) = self.files.get(path) {
            return check_len(path, text.len()).map(|()| Some(text.clone()));
        }
        if !self.disk || !disk {
            return Ok(None);
        }
        let p = Path::new(path);
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => {
                check_len(path, m.len() as usize)?;
                std::fs::read_to_string(p)
                    .map(Some)
                    .map_err(|e| Diagnostic::global(format!("cannot read {path}: {e}")))
            }
            Ok(m) => Err(Diagnostic::global(format!(
                "cannot read {path}: it is {}, not a regular file",
                kind_of(&m.file_type())
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Diagnostic::global(format!("cannot read {path}: {e}"))),
        }
    }

    /// Candidate paths for `include` written in the file at `from`, in
    /// search order, each with whether it may be read from disk (the last,
    /// literal one may not).
    pub(crate) fn candidates(&self, from: &str, include: &str) -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = Vec::with_capacity(self.include_dirs.len() + 2);
        let mut push = |p: String, disk: bool| {
            if !out.iter().any(|(q, _)| *q == p) {
                out.push((p, disk));
            }
        };
        if Path::new(include).is_absolute() {
            push(normalize(include), true);
        } else {
            let dir = Path::new(from).parent().unwrap_or(Path::new(""));
            push(normalize(&dir.join(include).to_string_lossy()), true);
            for d in &self.include_dirs {
                push(normalize(&d.join(include).to_string_lossy()), true);
            }
            push(normalize(include), false);
        }
        out
    }
}

/// What a file that is not a regular file is, for messages.
fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

fn check_len(path: &str, len: usize) -> Result<(), Diagnostic> {
    if len > MAX_SOURCE_LEN {
        return Err(Diagnostic::global(format!(
            "{path} is {len} bytes, larger than the limit of {MAX_SOURCE_LEN} bytes"
        )));
    }
    Ok(())
}

/// Lexical normalisation: drops `.`, folds `dir/..`, keeps leading `..`.
pub(crate) fn normalize(path: &str) -> String {
    let mut parts: Vec<Component<'_>> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(c),
            },
            _ => parts.push(c),
        }
    }
    let p: PathBuf = parts.iter().collect();
    p.to_string_lossy().into_owned()
}

/// Loads a single in-memory source (used by `Pool::from_source`).
pub(crate) fn load_source(path: &str, text: &str) -> Result<Pool, IdlError> {
    Loader::in_memory().file(path, text).load(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(normalize("a/./b/../c.thrift"), "a/c.thrift");
        assert_eq!(normalize("../b/b.thrift"), "../b/b.thrift");
        assert_eq!(normalize("a/../../b"), "../b");
        assert_eq!(normalize("/idl/../x"), "/x");
    }

    #[test]
    fn candidates_follow_search_order() {
        let l = Loader::new().include_dir("inc1").include_dir("inc2");
        let own = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
            v.iter().map(|&(p, d)| (p.to_owned(), d)).collect()
        };
        assert_eq!(
            l.candidates("idl/a/main.thrift", "../b/b.thrift"),
            own(&[
                ("idl/b/b.thrift", true),
                ("b/b.thrift", true),
                ("../b/b.thrift", false)
            ])
        );
        // The literal key is the directory-relative path here, so it may
        // come from disk: relative to the including file, not by chance.
        assert_eq!(
            l.candidates("main.thrift", "x.thrift"),
            own(&[
                ("x.thrift", true),
                ("inc1/x.thrift", true),
                ("inc2/x.thrift", true)
            ])
        );
    }
}
