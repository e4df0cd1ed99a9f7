//! `.proto` files: imports, well-known types, errors with positions, hot swap.

use anycall_idl::proto::{ProtoLoader, ProtoProvider, is_proto_path};
use anycall_test_support::testdata;

#[test]
fn the_interop_proto_compiles_with_its_imports() {
    let path = testdata("grpc/interop.proto");
    let pool = ProtoLoader::new()
        .load([path.to_str().expect("utf-8")])
        .expect("compiles");
    let svc = pool
        .get_service_by_name("anycall.interop.v1.Interop")
        .expect("service");
    let kinds: Vec<(String, bool, bool)> = svc
        .methods()
        .map(|m| {
            (
                m.name().to_owned(),
                m.is_client_streaming(),
                m.is_server_streaming(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("Echo".to_owned(), false, false),
            ("Collect".to_owned(), true, false),
            ("Repeat".to_owned(), false, true),
            ("Chat".to_owned(), true, true),
            ("Ping".to_owned(), false, false),
        ]
    );
    // Imports are in the pool, for reflection.
    assert!(
        pool.get_file_by_name("google/protobuf/timestamp.proto")
            .is_some()
    );
    assert!(is_proto_path(&path));
    assert!(!is_proto_path("a.thrift"));
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let err = ProtoLoader::in_memory()
        .file(
            "bad.proto",
            "syntax = \"proto3\";\nmessage A {\n  int32 x = 1\n  int32 y = 2;\n}\n",
        )
        .load(["bad.proto"])
        .expect_err("missing semicolon");
    let text = err.to_string();
    assert!(text.starts_with("bad.proto:4:3: "), "{text}");
    assert!(text.contains("int32 y = 2;"), "the snippet: {text}");
    let d = &err.diagnostics()[0];
    assert_eq!(d.path(), Some("bad.proto"));
    assert_eq!(d.line_col(), Some((4, 3)));
}

#[test]
fn type_errors_and_missing_imports_name_the_file() {
    let err = ProtoLoader::in_memory()
        .file(
            "a.proto",
            "syntax = \"proto3\";\nmessage A {\n  Nope x = 1;\n}\n",
        )
        .load(["a.proto"])
        .expect_err("unknown type");
    let text = err.to_string();
    assert!(text.starts_with("a.proto:3:3: "), "{text}");
    assert!(text.contains("Nope"), "{text}");
    let err = ProtoLoader::in_memory()
        .file(
            "b.proto",
            "syntax = \"proto3\";\nimport \"missing.proto\";\n",
        )
        .load(["b.proto"])
        .expect_err("missing import");
    let text = err.to_string();
    assert!(text.contains("missing.proto"), "{text}");
    assert!(text.starts_with("b.proto:2:"), "{text}");
}

#[test]
fn a_file_outside_the_include_dirs_uses_its_own_directory() {
    let dir = std::env::temp_dir().join(format!("anycall-proto-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("dep")).expect("temp dir");
    std::fs::write(
        dir.join("dep/d.proto"),
        "syntax = \"proto3\"; package d; message D {}",
    )
    .expect("write");
    std::fs::write(
        dir.join("main.proto"),
        "syntax = \"proto3\"; import \"dep/d.proto\"; message M { d.D d = 1; }",
    )
    .expect("write");
    let pool = ProtoLoader::new()
        .load([dir.join("main.proto").to_str().expect("utf-8")])
        .expect("compiles");
    assert!(pool.get_message_by_name("d.D").is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn provider_keeps_the_old_pool_when_an_update_fails() {
    let v1 = ProtoLoader::in_memory().file("a.proto", "syntax = \"proto3\"; message A {}");
    let provider = ProtoProvider::new(v1, ["a.proto"]).expect("loads");
    let before = provider.pool();
    let bad = ProtoLoader::in_memory().file("a.proto", "syntax = \"proto3\"; message {");
    let err = provider.update(bad, ["a.proto"]).expect_err("bad update");
    assert!(err.to_string().starts_with("a.proto:1:"), "{err}");
    assert!(provider.pool().get_message_by_name("A").is_some());
    let v2 = ProtoLoader::in_memory().file("a.proto", "syntax = \"proto3\"; message B {}");
    provider.update(v2, ["a.proto"]).expect("good update");
    assert!(provider.pool().get_message_by_name("B").is_some());
    assert!(
        before.get_message_by_name("B").is_none(),
        "a snapshot never changes"
    );
}
