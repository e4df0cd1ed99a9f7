//! Arbitrary text through the IDL loader: parse, resolve includes, link,
//! walk the pool, render errors. Nothing may panic.
//!
//! The input is loaded twice:
//!
//! 1. as a single main file;
//! 2. split at the first NUL byte into `a.thrift` (main) and `b.thrift`,
//!    with `include "b.thrift"` prepended to `a.thrift`, so include
//!    resolution, cross-file names and cycles (when `b` includes `a.thrift`)
//!    are exercised.
//!
//! Files live in an in-memory map: an include of `/dev/zero` must not read
//! the disk.
#![no_main]

use anycall_idl::{Loader, NamedType, Pool};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check(
        Loader::in_memory().file("a.thrift", text.as_ref()),
        "a.thrift",
    );

    let (a, b) = match data.iter().position(|&c| c == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let main = format!("include \"b.thrift\"\n{}", String::from_utf8_lossy(a));
    let loader = Loader::in_memory()
        .file("a.thrift", main)
        .file("b.thrift", String::from_utf8_lossy(b));
    check(loader, "a.thrift");
});

fn check(loader: Loader, main: &str) {
    match loader.load(main) {
        Ok(pool) => walk(&pool),
        Err(e) => {
            let rendered = e.to_string();
            assert!(!rendered.is_empty());
            for d in e.diagnostics() {
                let _ = (d.line_col(), d.path(), d.notes());
            }
        }
    }
}

/// Touches every descriptor, as `describe` and the codecs would.
fn walk(pool: &Pool) {
    let _ = pool.default_service();
    for file in pool.files() {
        let _ = (file.path(), file.module(), file.namespace("go"));
        for c in file.consts() {
            let _ = (c.full_name(), c.ty().display(), c.value());
        }
        for t in file.types() {
            match t {
                NamedType::Struct(s) => {
                    let _ = s.full_name();
                    for f in s.fields() {
                        let _ = (f.ty().display(), f.default_value(), f.json_name());
                        assert_eq!(s.field_by_id(f.id()).map(|x| x.index()), Some(f.index()));
                    }
                }
                NamedType::Enum(e) => {
                    for (name, value) in e.values() {
                        assert_eq!(e.value(name), Some(value));
                    }
                }
                NamedType::Typedef(td) => {
                    let _ = (td.full_name(), td.target().display());
                }
            }
        }
        for s in file.services() {
            for m in s.methods() {
                let _ = m.returns().map(|t| t.display());
                for f in m.args().fields().chain(m.result().fields()) {
                    let _ = f.ty().display();
                }
            }
        }
    }
}
