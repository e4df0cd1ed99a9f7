//! In-memory IDL maps (relative and absolute keys, Kitex's literal-key
//! fallback) and [`Provider`] updates.

use std::sync::Arc;

use anycall_idl::{Loader, Pool, Provider};

fn paths(pool: &Pool) -> Vec<&str> {
    pool.files().map(|f| f.path()).collect()
}

#[test]
fn relative_keys() {
    let pool = Loader::in_memory()
        .file(
            "idl/main.thrift",
            r#"include "base/base.thrift"
               service S { base.Resp get(1: base.Req req) }"#,
        )
        .file(
            "idl/base/base.thrift",
            "struct Req { 1: i64 id } struct Resp {}",
        )
        .load("idl/main.thrift")
        .unwrap();
    assert_eq!(paths(&pool), ["idl/main.thrift", "idl/base/base.thrift"]);
    let get = pool.service("S").unwrap().method("get").unwrap();
    let req = get.args().field_by_id(1).unwrap().ty().as_struct().unwrap();
    assert_eq!(req.full_name(), "base.Req");
    assert_eq!(req.file().path(), "idl/base/base.thrift");
    assert_eq!(get.returns().unwrap().display(), "base.Resp");
}

#[test]
fn absolute_keys_with_parent_dir_include() {
    let pool = Loader::in_memory()
        .file(
            "/idl/a/a.thrift",
            r#"include "../b/b.thrift"
               struct A { 1: b.B b }"#,
        )
        .file("/idl/b/b.thrift", "struct B { 1: string s }")
        .load("/idl/a/a.thrift")
        .unwrap();
    assert_eq!(paths(&pool), ["/idl/a/a.thrift", "/idl/b/b.thrift"]);
    let a = pool.find_struct("A").unwrap();
    assert_eq!(a.field_by_name("b").unwrap().ty().display(), "b.B");
}

#[test]
fn unnormalised_keys_are_found() {
    // Keys are normalised when added, so `./` and `x/..` do not matter.
    let pool = Loader::in_memory()
        .file(
            "./idl/x/../main.thrift",
            r#"include "./dep.thrift" struct M { 1: dep.D d }"#,
        )
        .file("idl/./dep.thrift", "struct D {}")
        .load("idl/main.thrift")
        .unwrap();
    assert_eq!(paths(&pool), ["idl/main.thrift", "idl/dep.thrift"]);
}

#[test]
fn literal_include_string_is_a_key() {
    // Kitex looks an include up as written when it is not found next to the
    // including file: `common/base.thrift` is not under `idl/`.
    let pool = Loader::in_memory()
        .file(
            "idl/svc/main.thrift",
            r#"include "common/base.thrift"
               service S { void ping(1: base.Base b) }"#,
        )
        .file("common/base.thrift", "struct Base { 1: string caller }")
        .load("idl/svc/main.thrift")
        .unwrap();
    assert_eq!(paths(&pool), ["idl/svc/main.thrift", "common/base.thrift"]);
}

#[test]
fn next_to_the_including_file_wins_over_the_literal_key() {
    let pool = Loader::in_memory()
        .file(
            "idl/main.thrift",
            r#"include "dep.thrift" struct M { 1: dep.D d }"#,
        )
        .file("idl/dep.thrift", "struct D { 1: i32 near }")
        .file("dep.thrift", "struct D { 1: i32 far }")
        .load("idl/main.thrift")
        .unwrap();
    let d = pool.find_struct("dep.D").unwrap();
    assert_eq!(d.field_by_id(1).unwrap().name(), "near");
}

#[test]
fn in_memory_loader_never_reads_the_disk() {
    let on_disk = crate::golden::idl_dir().join("corpus/main.thrift");
    let err = Loader::in_memory()
        .load(on_disk.to_str().unwrap())
        .expect_err("the in-memory loader has no such key");
    assert!(err.to_string().starts_with("cannot find IDL file"), "{err}");
}

fn version(n: u32) -> Loader {
    // Version n has methods m1..=mn, each returning a struct with n fields.
    let fields: String = (1..=n).map(|i| format!("{i}: i32 f{i}, ")).collect();
    let methods: String = (1..=n).map(|i| format!("R m{i}(1: i64 id) ")).collect();
    Loader::in_memory().file(
        "svc.thrift",
        format!("struct R {{ {fields} }} service S {{ {methods} }}"),
    )
}

/// Checks that a snapshot is one whole version and returns which.
fn check_snapshot(pool: &Pool) -> u32 {
    let s = pool.service("S").unwrap();
    let n = s.methods().count() as u32;
    for m in s.methods() {
        let r = m.returns().unwrap().as_struct().unwrap();
        assert_eq!(r.len() as u32, n, "a snapshot mixes two versions");
        assert_eq!(m.args().field_by_id(1).unwrap().name(), "id");
    }
    n
}

#[test]
fn update_swaps_while_old_snapshots_stay_valid() {
    let provider = Provider::new(version(1), "svc.thrift").unwrap();
    let old = provider.pool();
    let old_method = old.service("S").unwrap().method("m1").unwrap();

    provider.update(version(2), "svc.thrift").unwrap();
    let new = provider.pool();

    // The old snapshot and descriptors borrowed from it still work.
    assert_eq!(check_snapshot(&old), 1);
    assert!(old.service("S").unwrap().method("m2").is_none());
    assert_eq!(old_method.returns().unwrap().as_struct().unwrap().len(), 1);
    assert_eq!(check_snapshot(&new), 2);
    assert_eq!(check_snapshot(&provider.pool()), 2);
}

#[test]
fn failed_update_keeps_the_old_pool_and_returns_the_error() {
    let provider = Provider::new(version(2), "svc.thrift").unwrap();
    let broken = Loader::in_memory().file("svc.thrift", "struct R { 1: Missing m } service S {}");
    let err = provider.update(broken, "svc.thrift").unwrap_err();
    assert!(err.to_string().contains("unknown type `Missing`"), "{err}");
    assert_eq!(check_snapshot(&provider.pool()), 2);

    let err = provider
        .update(Loader::in_memory(), "svc.thrift")
        .unwrap_err();
    assert!(err.to_string().contains("cannot find IDL file"), "{err}");
    assert_eq!(check_snapshot(&provider.pool()), 2);

    // A later good update still goes through.
    provider.update(version(3), "svc.thrift").unwrap();
    assert_eq!(check_snapshot(&provider.pool()), 3);
}

#[test]
fn readers_see_whole_versions_during_updates() {
    const LAST: u32 = 20;
    let provider = Arc::new(Provider::new(version(1), "svc.thrift").unwrap());
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let provider = provider.clone();
            std::thread::spawn(move || {
                // Read until the last version shows up; every snapshot on the
                // way must be one whole version, never older than the one before.
                let mut last = 0;
                while last < LAST {
                    let v = check_snapshot(&provider.pool());
                    assert!(v >= last, "versions go backwards: {last} then {v}");
                    last = v;
                }
            })
        })
        .collect();
    for n in 2..=LAST {
        provider.update(version(n), "svc.thrift").unwrap();
    }
    for r in readers {
        r.join().unwrap();
    }
}

#[test]
fn reload_rereads_the_disk() {
    let dir = std::env::temp_dir().join(format!("anycall-idl-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let main = dir.join("svc.thrift");
    let main = main.to_str().unwrap();
    std::fs::write(main, "service S { void a() }").unwrap();

    let provider = Provider::new(Loader::new(), main).unwrap();
    assert!(provider.pool().service("S").unwrap().method("b").is_none());

    std::fs::write(main, "service S { void a() void b() }").unwrap();
    provider.reload().unwrap();
    assert!(provider.pool().service("S").unwrap().method("b").is_some());

    std::fs::write(main, "service S { void a() void c(1: Nope n) }").unwrap();
    let err = provider.reload().unwrap_err();
    assert!(err.to_string().contains("unknown type `Nope`"), "{err}");
    assert!(provider.pool().service("S").unwrap().method("b").is_some());

    std::fs::remove_dir_all(&dir).unwrap();
}
