//! Behaviours that were once wrong, each named after what it checks.

use anycall_idl::{ConstValue, Pool};

fn pool(text: &str) -> Pool {
    Pool::from_source("t.thrift", text).unwrap_or_else(|e| panic!("{e}"))
}

fn ids(pool: &Pool, name: &str) -> Vec<(String, i16)> {
    pool.find_struct(name)
        .unwrap()
        .fields()
        .map(|f| (f.name().to_owned(), f.id()))
        .collect()
}

fn owned(v: &[(&str, i16)]) -> Vec<(String, i16)> {
    v.iter().map(|&(n, id)| (n.to_owned(), id)).collect()
}

#[test]
fn implicit_field_ids_continue_below_explicit_nonpositive_ids() {
    // Once gave `b` the id -1 too and reported a duplicate.
    let p = pool("struct S { -1: i32 a, i32 b, 0: i32 c, i32 d, 5: i32 e, i32 f }");
    assert_eq!(
        ids(&p, "S"),
        owned(&[
            ("a", -1),
            ("b", -2),
            ("c", 0),
            ("d", -3),
            ("e", 5),
            ("f", -4)
        ])
    );
    let p = pool("struct S { i32 a, i32 b, -7: i32 c, i32 d }");
    assert_eq!(
        ids(&p, "S"),
        owned(&[("a", -1), ("b", -2), ("c", -7), ("d", -8)])
    );
}

#[test]
fn implicit_field_id_taken_later_is_a_duplicate() {
    // Apache Thrift rejects this too: `a` is -1 before `-1:` is seen.
    let err = Pool::from_source("t.thrift", "struct S { i32 a, -1: i32 b }").unwrap_err();
    assert!(err.to_string().contains("duplicate field id -1"), "{err}");
}

#[test]
fn running_out_of_implicit_field_ids_is_an_error() {
    // Ids must fit the wire's i16; the counter once overflowed instead
    // (a panic in debug builds, after 32768 fields without ids).
    let err =
        Pool::from_source("t.thrift", "struct S { -32767: i32 a, i32 b, i32 c }").unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    assert_eq!(
        err.diagnostics()[0].message(),
        "no field id left for `c` (ids go below -32768)"
    );
    assert_eq!(err.diagnostics()[0].line_col(), Some((1, 38)));
}

#[test]
fn parameter_defaults_are_resolved() {
    // Once dropped: only struct fields had their defaults evaluated.
    let p = pool(
        r#"
        enum Color { RED = 1, BLUE = 2 }
        service S { void f(1: i32 n = LIMIT, 2: Color c = Color.BLUE, 3: list<i32> l = [LIMIT]) }
        const i32 LIMIT = 5
        "#,
    );
    let f = p.service("S").unwrap().method("f").unwrap();
    let defaults: Vec<Option<&ConstValue>> = f.params().map(|p| p.default_value()).collect();
    assert_eq!(
        defaults,
        [
            Some(&ConstValue::Int(5)),
            Some(&ConstValue::Int(2)),
            Some(&ConstValue::List(vec![ConstValue::Int(5)])),
        ]
    );
}

#[test]
fn bad_parameter_defaults_are_reported() {
    let err = Pool::from_source("t.thrift", r#"service S { void f(1: i32 n = "x") }"#).unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    assert_eq!(
        err.diagnostics()[0].message(),
        "string \"x\" is not a valid i32"
    );
    assert_eq!(err.diagnostics()[0].line_col(), Some((1, 31)));
}

#[test]
fn duplicate_enum_value_then_a_reference_to_it() {
    // Found by fuzzing: the duplicate's name was indexed to a value that was
    // never stored, and `E.A` then indexed past the end (a panic).
    let err = Pool::from_source(
        "t.thrift",
        "enum E { A, A } const E X = E.A struct S { 1: E e = E.A }",
    )
    .unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    assert_eq!(
        err.diagnostics()[0].message(),
        "enum value `A` is defined twice in `E`"
    );
    assert_eq!(err.diagnostics()[0].line_col(), Some((1, 13)));
}
