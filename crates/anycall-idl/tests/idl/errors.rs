//! Error reports for `testdata/idl/errors/*.thrift`, pinned by golden files
//! in `testdata/idl/golden/errors/`.
//!
//! Each case must report every problem in one run: the expected count is
//! asserted separately from the golden, so a parser or linker that stops at
//! the first problem fails even after a careless bless.

use anycall_idl::Loader;

use crate::golden;

/// Files in `errors/` that are only included by another case, never loaded
/// as a main file: `cycle_b.thrift` is the other half of `cycle_a.thrift`.
const INCLUDED_ONLY: &[&str] = &["cycle_b"];

/// Every main file in `errors/` and how many problems it must report.
const CASES: &[(&str, usize)] = &[
    ("bad_values", 8),
    ("cycle_a", 1),
    ("duplicates", 4),
    ("missing_include", 1),
    ("semantic", 4),
    ("syntax", 2),
    ("unknown_names", 4),
];

/// Loads `errors/<name>.thrift` from disk and checks its report against the
/// golden file and the count in [`CASES`].
fn check_case(name: &str) {
    let expected_problems = CASES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, count)| count)
        .unwrap_or_else(|| panic!("errors/{name}.thrift is not in CASES"));
    let path = golden::idl_dir().join(format!("errors/{name}.thrift"));
    let Err(err) = Loader::new().load(path.to_str().expect("utf-8 path")) else {
        panic!("errors/{name}.thrift loaded without errors");
    };
    let report = golden::relative_paths(&err.to_string());
    golden::check(
        &format!("idl/golden/errors/{name}.txt"),
        &format!("{report}\n"),
    );

    let diags = err.diagnostics();
    assert_eq!(
        diags.len(),
        expected_problems,
        "errors/{name}.thrift: expected {expected_problems} problems in one run, got:\n{report}"
    );
    for d in diags {
        let (line, col) = d
            .line_col()
            .unwrap_or_else(|| panic!("errors/{name}.thrift: no position for `{}`", d.message()));
        assert!(line >= 1 && col >= 1, "{}: {line}:{col}", d.message());
        let path = golden::relative_paths(d.path().expect("a positioned problem has a path"));
        let message = golden::relative_paths(d.message());
        assert!(
            report.contains(&format!("{path}:{line}:{col}: {message}")),
            "errors/{name}.thrift: `{}` is not printed at {path}:{line}:{col}:\n{report}",
            d.message()
        );
    }
}

#[test]
fn every_error_file_is_a_case() {
    let mut on_disk: Vec<String> = std::fs::read_dir(golden::idl_dir().join("errors"))
        .expect("read testdata/idl/errors")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "thrift"))
        .map(|p| {
            p.file_stem()
                .expect("file stem")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    let mut known: Vec<String> = CASES
        .iter()
        .map(|(n, _)| *n)
        .chain(INCLUDED_ONLY.iter().copied())
        .map(String::from)
        .collect();
    known.sort();
    assert_eq!(
        on_disk, known,
        "each errors/*.thrift needs an entry in CASES (or INCLUDED_ONLY)"
    );
}

#[test]
fn syntax_errors_are_all_reported() {
    check_case("syntax");
}

#[test]
fn bad_values_are_all_reported() {
    check_case("bad_values");
}

#[test]
fn include_cycle() {
    check_case("cycle_a");
}

#[test]
fn include_cycle_from_the_other_end() {
    // No golden: `cycle_b.thrift` is a helper of `cycle_a.thrift`. Loading it
    // as the main file must still report the cycle, at `cycle_a`'s include.
    let path = golden::idl_dir().join("errors/cycle_b.thrift");
    let err = Loader::new()
        .load(path.to_str().expect("utf-8 path"))
        .expect_err("a cycle is an error from either end");
    // The cycle comes first. (An `unknown type cycle_b.B` follows it today:
    // the include that closes the cycle is not registered.)
    let d = &err.diagnostics()[0];
    assert!(d.message().starts_with("include cycle: "), "{err}");
    assert!(
        d.path()
            .is_some_and(|p| p.ends_with("errors/cycle_a.thrift")),
        "{err}"
    );
    assert_eq!(d.line_col(), Some((1, 9)), "{err}");
}

#[test]
fn duplicates() {
    check_case("duplicates");
}

#[test]
fn missing_include() {
    check_case("missing_include");
}

#[test]
fn semantic_errors() {
    check_case("semantic");
}

#[test]
fn unknown_names() {
    check_case("unknown_names");
}
