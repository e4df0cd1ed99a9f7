//! Protobuf front end (feature `grpc`): `.proto` files compiled at run time by
//! `protox` into a [`prost_reflect::DescriptorPool`].
//!
//! ```
//! use anycall_idl::proto::ProtoLoader;
//!
//! let pool = ProtoLoader::in_memory()
//!     .file("echo.proto", r#"syntax = "proto3";
//!         import "google/protobuf/timestamp.proto";
//!         package echo.v1;
//!         message Req { string msg = 1; google.protobuf.Timestamp at = 2; }
//!         service Echo { rpc Say(Req) returns (Req); rpc Chat(stream Req) returns (stream Req); }"#)
//!     .load(["echo.proto"])
//!     .unwrap();
//! let say = pool.get_service_by_name("echo.v1.Echo").unwrap().methods().next().unwrap();
//! assert_eq!(say.input().full_name(), "echo.v1.Req");
//! ```
//!
//! Imports are looked for in the in-memory map, then under each include dir in
//! order; the well-known types (`google/protobuf/*.proto`) are built in. A file
//! given by a path outside every include dir is compiled with its own
//! directory as the first include dir, so `--idl dir/api.proto` works alone.
//! Every error names `file:line:col` when protox knows the position.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
pub use prost_reflect::DescriptorPool;
use protox::file::{File, FileResolver, GoogleFileResolver};

use crate::diagnostic::{Diagnostic, IdlError};
use crate::load::MAX_SOURCE_LEN;
use crate::span::{SourceFile, Span};

/// Whether `path` names a protobuf file (by its `.proto` extension).
pub fn is_proto_path(path: impl AsRef<Path>) -> bool {
    path.as_ref()
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("proto"))
}

/// Compiles `.proto` files into a [`DescriptorPool`] holding them and every
/// file they import (so the pool can answer server reflection).
#[derive(Debug, Clone, Default)]
pub struct ProtoLoader {
    include_dirs: Vec<PathBuf>,
    files: HashMap<String, String>,
    disk: bool,
}

impl ProtoLoader {
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

    /// Adds an include dir (import paths are searched in the order given).
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

    /// Adds an in-memory file under its import name (`a/b.proto`).
    pub fn file(mut self, name: impl Into<String>, content: impl Into<String>) -> Self {
        self.files.insert(name.into(), content.into());
        self
    }

    /// Compiles `mains` (import names, or paths on disk) and their imports.
    ///
    /// # Errors
    ///
    /// An [`IdlError`] naming `file:line:col` for syntax and type errors, or
    /// the file that could not be found or read.
    pub fn load<I, S>(&self, mains: I) -> Result<DescriptorPool, IdlError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut include_dirs = self.include_dirs.clone();
        let mut names = Vec::new();
        for main in mains {
            let main = main.as_ref();
            if self.files.contains_key(main) || !self.disk {
                names.push(main.to_owned());
                continue;
            }
            let path = Path::new(main);
            let under = include_dirs
                .iter()
                .find_map(|dir| path.strip_prefix(dir).ok().map(Path::to_path_buf));
            let name = match under {
                Some(rel) => rel,
                None => {
                    let parent = path.parent().unwrap_or(Path::new(""));
                    let parent = if parent.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        parent.to_path_buf()
                    };
                    if !include_dirs.contains(&parent) {
                        include_dirs.insert(0, parent);
                    }
                    PathBuf::from(path.file_name().unwrap_or(path.as_os_str()))
                }
            };
            names.push(name.to_string_lossy().replace('\\', "/"));
        }
        let sources = Rc::new(RefCell::new(HashMap::new()));
        let resolver = Resolver {
            include_dirs,
            files: self.files.clone(),
            disk: self.disk,
            sources: sources.clone(),
            google: GoogleFileResolver::new(),
        };
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        for name in &names {
            if let Err(err) = compiler.open_file(name) {
                return Err(convert_error(&err, &sources.borrow()));
            }
        }
        Ok(compiler.descriptor_pool())
    }
}

struct Resolver {
    include_dirs: Vec<PathBuf>,
    files: HashMap<String, String>,
    disk: bool,
    /// Every source read, by import name and by the path it was read from,
    /// for error snippets.
    sources: Rc<RefCell<HashMap<String, (String, String)>>>,
    google: GoogleFileResolver,
}

impl FileResolver for Resolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if let Some(text) = self.files.get(name) {
            self.sources
                .borrow_mut()
                .insert(name.to_owned(), (name.to_owned(), text.clone()));
            return File::from_source(name, text);
        }
        if self.disk {
            for dir in &self.include_dirs {
                let path = dir.join(name);
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                if !meta.is_file() {
                    continue;
                }
                if meta.len() > MAX_SOURCE_LEN as u64 {
                    return Err(protox::Error::new(format!(
                        "{}: file is larger than {MAX_SOURCE_LEN} bytes",
                        path.display()
                    )));
                }
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    protox::Error::new(format!("{}: reading failed: {e}", path.display()))
                })?;
                let shown = path.to_string_lossy().into_owned();
                self.sources
                    .borrow_mut()
                    .insert(name.to_owned(), (shown, text.clone()));
                return File::from_source(name, &text);
            }
        }
        self.google.open_file(name)
    }
}

/// Turns protox's error into an [`IdlError`] with a located diagnostic when
/// the position is known. protox's `Debug` text carries
/// `name:line:col: message`; its `Display` has no position.
fn convert_error(err: &protox::Error, sources: &HashMap<String, (String, String)>) -> IdlError {
    let text = format!("{err:?}");
    if let Some(file) = err.file()
        && let Some(rest) = text.strip_prefix(file).and_then(|r| r.strip_prefix(':'))
        && let Some((line, col, message)) = split_position(rest)
        && let Some((shown, source)) = sources.get(file)
    {
        let source = Arc::new(SourceFile::new(shown.clone(), source.clone()));
        let offset = offset_of(&source.text, line, col);
        return IdlError::new(vec![Diagnostic::new(
            &source,
            Span::new(offset, offset + 1),
            message,
        )]);
    }
    let message = match err.file() {
        Some(file) if !text.starts_with(file) && !text.contains(&format!("'{file}'")) => {
            format!("{file}: {text}")
        }
        _ => text,
    };
    IdlError::new(vec![Diagnostic::global(message)])
}

/// `"6:3: message"` → `(6, 3, "message")`.
fn split_position(rest: &str) -> Option<(usize, usize, &str)> {
    let (line, rest) = rest.split_once(':')?;
    let (col, message) = rest.split_once(':')?;
    Some((
        line.trim().parse().ok()?,
        col.trim().parse().ok()?,
        message.trim_start(),
    ))
}

/// The byte offset of a 1-based line and column (in characters).
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// Holds the current [`DescriptorPool`] for a set of `.proto` files and swaps
/// it atomically on update, like [`Provider`](crate::Provider) for Thrift:
/// calls in flight keep the snapshot they took, and a failed update keeps the
/// old pool and returns why.
///
/// ```
/// use anycall_idl::proto::{ProtoLoader, ProtoProvider};
///
/// let v1 = ProtoLoader::in_memory().file("a.proto", "syntax = \"proto3\"; message A {}");
/// let provider = ProtoProvider::new(v1, ["a.proto"]).unwrap();
/// let v2 = ProtoLoader::in_memory().file("a.proto", "syntax = \"proto3\"; message A {} message B {}");
/// provider.update(v2, ["a.proto"]).unwrap();
/// assert!(provider.pool().get_message_by_name("B").is_some());
/// let bad = ProtoLoader::in_memory().file("a.proto", "message {");
/// assert!(provider.update(bad, ["a.proto"]).is_err());
/// assert!(provider.pool().get_message_by_name("B").is_some());
/// ```
#[derive(Debug)]
pub struct ProtoProvider {
    current: ArcSwap<DescriptorPool>,
    source: Mutex<(ProtoLoader, Vec<String>)>,
}

impl ProtoProvider {
    /// Compiles `mains` with `loader`.
    ///
    /// # Errors
    ///
    /// As [`ProtoLoader::load`].
    pub fn new<I, S>(loader: ProtoLoader, mains: I) -> Result<Self, IdlError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mains: Vec<String> = mains.into_iter().map(|s| s.as_ref().to_owned()).collect();
        let pool = loader.load(&mains)?;
        Ok(Self {
            current: ArcSwap::from_pointee(pool),
            source: Mutex::new((loader, mains)),
        })
    }

    /// A snapshot of the current pool (a cheap clone).
    pub fn pool(&self) -> DescriptorPool {
        DescriptorPool::clone(&self.current.load())
    }

    /// Compiles new files and swaps them in. On error the current pool stays.
    ///
    /// # Errors
    ///
    /// As [`ProtoLoader::load`].
    pub fn update<I, S>(&self, loader: ProtoLoader, mains: I) -> Result<(), IdlError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mains: Vec<String> = mains.into_iter().map(|s| s.as_ref().to_owned()).collect();
        let pool = loader.load(&mains)?;
        self.current.store(Arc::new(pool));
        *self.source.lock().unwrap_or_else(|e| e.into_inner()) = (loader, mains);
        Ok(())
    }

    /// Compiles the same files again (re-reading them from disk) and swaps
    /// them in. On error the current pool stays.
    ///
    /// # Errors
    ///
    /// As [`ProtoLoader::load`].
    pub fn reload(&self) -> Result<(), IdlError> {
        let (loader, mains) = self
            .source
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let pool = loader.load(&mains)?;
        self.current.store(Arc::new(pool));
        Ok(())
    }
}
