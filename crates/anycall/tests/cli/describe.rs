//! `describe` and `list`: golden outputs and exit codes.

use crate::support::{golden, run, stderr, stdout};

#[test]
fn describe_json_matches_golden() {
    let o = run(&[
        "describe",
        "--idl",
        "corpus/main.thrift",
        "--output",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid json");
    assert!(v["services"].is_array() && v["types"].is_array());
    golden("idl/golden/describe/corpus.json", &out);
}

#[test]
fn describe_text_matches_golden() {
    let o = run(&["describe", "--idl", "corpus/main.thrift"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    golden("idl/golden/describe/corpus.txt", &stdout(&o));
}

#[test]
fn describe_one_method_of_a_service() {
    let o = run(&[
        "describe",
        "--idl",
        "corpus/main.thrift",
        "LifeService/ListItems",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let methods = v["services"][0]["methods"].as_array().expect("methods");
    assert_eq!(methods.len(), 1);
    let m = &methods[0];
    assert_eq!(m["name"], "ListItems");
    assert_eq!(m["returns"], "Page");
    assert_eq!(m["params"][1]["name"], "query");
    assert_eq!(m["throws"][1]["type"], "common.CommonError");
}

#[test]
fn describe_a_type_from_an_include() {
    let o = run(&[
        "describe",
        "--idl",
        "corpus/main.thrift",
        "item.Item",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let t = &v["types"][0];
    assert_eq!(t["name"], "item.Item");
    assert_eq!(t["kind"], "struct");
    assert_eq!(t["fields"][0]["type"], "item.ItemId");
    assert_eq!(t["fields"][0]["requiredness"], "required");
    assert_eq!(t["fields"][1]["default"], "untitled");
}

#[test]
fn describe_unknown_target_fails_with_1() {
    let o = run(&["describe", "--idl", "corpus/main.thrift", "NoSuchThing"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("NoSuchThing"), "stderr: {}", stderr(&o));
}

#[test]
fn list_prints_every_method() {
    let o = run(&["list", "--idl", "corpus/main.thrift"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    golden("idl/golden/describe/corpus.list", &stdout(&o));
    assert!(stdout(&o).lines().any(|l| l == "AdminService/Inspect"));
    assert!(stdout(&o).lines().any(|l| l == "common.BaseService/Ping"));
}

#[test]
fn idl_errors_exit_1_with_located_report() {
    let o = run(&["describe", "--idl", "errors/syntax.thrift"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("errors/syntax.thrift:3:"), "stderr: {err}");
    assert!(err.contains('^'), "stderr: {err}");
}

#[test]
fn missing_idl_file_exits_1() {
    let o = run(&["list", "--idl", "no/such/file.thrift"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no/such/file.thrift"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["describe"]).status.code(), Some(2));
    assert_eq!(
        run(&["describe", "--idl", "x", "--output", "yaml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["no-such-verb"]).status.code(), Some(2));
}

#[test]
fn include_dirs_are_searched_in_order() {
    // item.thrift includes "../shared/common.thrift"; loading it directly
    // works through its own directory, and `-I` finds a bare include name.
    let o = run(&["list", "--idl", "corpus/item/item.thrift"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let o = run(&[
        "describe",
        "--idl",
        "errors/missing_include.thrift",
        "-I",
        "corpus",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("searched errors/nope/missing.thrift"),
        "stderr: {err}"
    );
    assert!(
        err.contains("searched corpus/nope/missing.thrift"),
        "stderr: {err}"
    );
}

#[test]
fn demo_runs_and_exits_0() {
    let o = run(&["demo"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert!(stdout(&o).contains("demo finished"));
}

#[test]
fn describe_regress_json_matches_golden() {
    // testdata/idl/regress: the constructs of issue 11, item 1, and the
    // Apache test IDL shapes.
    let o = run(&[
        "describe",
        "--idl",
        "regress/gateway.thrift",
        "--output",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    golden("idl/golden/describe/regress.json", &stdout(&o));
    // The last-segment enum lookup is accepted with a warning on stderr.
    let err = stderr(&o);
    assert!(
        err.starts_with("regress/gateway.thrift:25:33: warning: `Shade` is not the enum `Color`"),
        "stderr: {err}"
    );
}

#[test]
fn describe_regress_text_matches_golden() {
    let o = run(&["describe", "--idl", "regress/gateway.thrift"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    golden("idl/golden/describe/regress.txt", &stdout(&o));
}

#[test]
fn includes_ignore_the_working_directory() {
    // cwd/a/main.thrift includes "lonely.thrift", which exists only in
    // cwd/b: running from cwd/b must not find it, as with Apache's compiler.
    let b = crate::support::testdata("idl/cwd/b");
    let o = crate::support::run_in(&b, &["describe", "--idl", "../a/main.thrift"], b"");
    assert_eq!(o.status.code(), Some(1), "stdout: {}", stdout(&o));
    assert!(
        stderr(&o).contains("../a/main.thrift:2:9: cannot find included file \"lonely.thrift\""),
        "stderr: {}",
        stderr(&o)
    );
    // With the directory as an include dir it is found.
    let o = crate::support::run_in(
        &b,
        &[
            "describe",
            "--idl",
            "../a/main.thrift",
            "-I",
            ".",
            "lonely.Alone",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
}
