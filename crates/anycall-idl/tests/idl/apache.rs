//! What Apache Thrift's compiler accepts, on `testdata/idl/regress/` and
//! small in-memory cases: dotted include names, C++ reference fields,
//! braced uuids, Apache's enum value lookups, include search order and
//! `extends` name clashes (issue 11).

use anycall_idl::{ConstValue, Loader, Pool, TypeKind};

use crate::golden;

fn regress() -> Pool {
    let main = golden::idl_dir().join("regress/gateway.thrift");
    Loader::new()
        .load(main.to_str().expect("utf-8 path"))
        .unwrap_or_else(|e| panic!("the regression corpus must load:\n{e}"))
}

fn memory(files: &[(&str, &str)]) -> Result<Pool, String> {
    Loader::in_memory()
        .files(files.iter().copied())
        .load(files[0].0)
        .map_err(|e| golden::relative_paths(&e.to_string()))
}

fn konst(pool: &Pool, name: &str) -> ConstValue {
    pool.find_const(name)
        .unwrap_or_else(|| panic!("no const `{name}`"))
        .value()
        .clone()
}

#[test]
fn dotted_include_names_are_scopes() {
    let pool = regress();
    let modules: Vec<&str> = pool.files().map(|f| f.module()).collect();
    assert_eq!(modules, ["gateway", "base", "base.types", "tree"]);
    let req = pool.find_struct("Request").unwrap();
    let f = req.field_by_name("req").unwrap();
    assert_eq!(f.ty().display(), "base.types.Req");
    assert_eq!(f.ty().as_struct().unwrap().file().module(), "base.types");
    assert_eq!(
        req.field_by_name("info").unwrap().ty().display(),
        "base.Info"
    );
    assert!(pool.find_struct("base.types.Resp").is_some());
}

#[test]
fn the_longest_include_scope_wins() {
    let pool = memory(&[
        (
            "main.thrift",
            r#"include "a.thrift"
               include "a.b.thrift"
               struct M { 1: a.b.X long, 2: a.X short }"#,
        ),
        ("a.thrift", "struct X { 1: i32 in_a }"),
        ("a.b.thrift", "struct X { 1: string in_a_b }"),
    ])
    .unwrap();
    let m = pool.find_struct("M").unwrap();
    let field_of = |name: &str| {
        let s = m.field_by_name(name).unwrap().ty().as_struct().unwrap();
        s.field(0).unwrap().name().to_owned()
    };
    assert_eq!(field_of("long"), "in_a_b");
    assert_eq!(field_of("short"), "in_a");
}

#[test]
fn an_unknown_dotted_scope_names_the_first_segment() {
    let err = memory(&[
        (
            "main.thrift",
            "include \"a.b.thrift\"\nstruct M { 1: a.c.X x }",
        ),
        ("a.b.thrift", "struct X {}"),
    ])
    .unwrap_err();
    assert!(
        err.starts_with("main.thrift:2:15: unknown type `a.c.X`: `a` is not an included file"),
        "{err}"
    );
}

#[test]
fn cpp_reference_fields_are_plain_fields() {
    let pool = regress();
    let node = pool.find_struct("tree.Node").unwrap();
    let next = node.field_by_name("next").unwrap();
    assert!(next.is_optional());
    assert_eq!(next.ty().as_struct().unwrap().id(), node.id());
    let trunk = pool.find_struct("tree.Trunk").unwrap();
    let grove = trunk
        .field_by_name("grove")
        .unwrap()
        .ty()
        .as_struct()
        .unwrap();
    let TypeKind::List(t) = grove.field_by_name("trunks").unwrap().ty().kind() else {
        panic!("trunks is a list");
    };
    assert_eq!(t.as_struct().unwrap().id(), trunk.id(), "mutual recursion");
}

#[test]
fn a_misplaced_reference_marker_is_a_syntax_error() {
    let err = memory(&[("main.thrift", "struct N {\n  1: & N next\n}")]).unwrap_err();
    assert!(err.starts_with("main.thrift:2:6: "), "{err}");
}

#[test]
fn uuid_constants_may_be_braced() {
    let pool = regress();
    assert_eq!(
        konst(&pool, "TENANT"),
        ConstValue::String("00112233-4455-6677-8899-AABBCCDDEEFF".into())
    );
    let err = memory(&[("main.thrift", "const uuid U = '{0011}'")]).unwrap_err();
    assert!(
        err.starts_with("main.thrift:1:16: \"{0011}\" is not a uuid"),
        "{err}"
    );
}

#[test]
fn enum_values_through_typedefs_modules_and_last_segments() {
    let pool = regress();
    assert_eq!(
        konst(&pool, "FAVOURITE"),
        ConstValue::Int(2),
        "Colour.GREEN"
    );
    assert_eq!(
        konst(&pool, "FALLBACK"),
        ConstValue::Int(3),
        "base.types.BLUE"
    );
    assert_eq!(
        konst(&pool, "RED_CODE"),
        ConstValue::Int(1),
        "i32 = Colour.RED"
    );
    let req = pool.find_struct("Request").unwrap();
    let default = |n: &str| req.field_by_name(n).unwrap().default_value().cloned();
    assert_eq!(default("colour"), Some(ConstValue::Int(1)));
    assert_eq!(
        default("shade"),
        Some(ConstValue::Int(3)),
        "Shade.BLUE read as Color.BLUE"
    );
    assert_eq!(
        default("shades"),
        Some(ConstValue::List(vec![ConstValue::Int(1)]))
    );

    // Only the last-segment lookup warns.
    let warnings: Vec<String> = pool
        .warnings()
        .iter()
        .map(|w| golden::relative_paths(&w.to_string()))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].starts_with(
            "regress/gateway.thrift:25:33: warning: `Shade` is not the enum `Color`; \
         `Shade.BLUE` is read as `Color.BLUE`"
        ),
        "{}",
        warnings[0]
    );
    assert!(pool.warnings()[0].is_warning());
}

#[test]
fn a_value_of_another_enum_warns_when_the_expected_enum_has_it() {
    let pool = memory(&[(
        "main.thrift",
        "enum A { X = 1, Y = 2 }\nenum B { Y = 7 }\nconst B b = A.Y",
    )])
    .unwrap();
    assert_eq!(konst(&pool, "b"), ConstValue::Int(7));
    assert_eq!(pool.warnings().len(), 1);
    assert_eq!(pool.warnings()[0].line_col(), Some((3, 13)));
    // Neither enum has the name: an error, as in Apache.
    let err = memory(&[(
        "main.thrift",
        "enum A { X = 1 }\nenum B { Y = 7 }\nconst B b = A.Z",
    )])
    .unwrap_err();
    assert!(
        err.starts_with("main.thrift:3:13: enum `A` has no value `Z`"),
        "{err}"
    );
    // A value the expected enum lacks stays an error.
    let err = memory(&[(
        "main.thrift",
        "enum A { X = 1 }\nenum B { Y = 7 }\nconst B b = A.X",
    )])
    .unwrap_err();
    assert!(err.contains("is a value of enum `A`, not `B`"), "{err}");
}

#[test]
fn includes_search_the_file_dir_then_include_dirs_then_memory() {
    // `lonely.thrift` is not next to main.thrift. (The CLI test
    // `includes_ignore_the_working_directory` runs from the directory that
    // holds it, which changes nothing.)
    let dir = golden::idl_dir().join("cwd");
    let main = dir.join("a/main.thrift");
    let err = Loader::new()
        .load(main.to_str().unwrap())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    let err = golden::relative_paths(&err);
    assert!(
        err.starts_with("cwd/a/main.thrift:2:9: cannot find included file \"lonely.thrift\""),
        "{err}"
    );
    assert!(
        err.contains("searched lonely.thrift (in-memory files only)"),
        "{err}"
    );
    // An include dir finds it.
    let pool = Loader::new()
        .include_dir(dir.join("b"))
        .load(main.to_str().unwrap())
        .unwrap();
    assert!(pool.find_struct("lonely.Alone").is_some());
    // So does the literal key of the in-memory map.
    let pool = Loader::new()
        .file("lonely.thrift", "struct Alone {}")
        .load(main.to_str().unwrap())
        .unwrap();
    assert!(pool.find_struct("lonely.Alone").is_some());
}

#[test]
fn a_method_name_inherited_through_extends_cannot_be_reused() {
    let err = memory(&[
        (
            "main.thrift",
            "include \"base.thrift\"\nservice S extends base.B {\n  void Ping(1: i32 x)\n}",
        ),
        (
            "base.thrift",
            "service A { void Ping() }\nservice B extends A {}",
        ),
    ])
    .unwrap_err();
    assert!(
        err.starts_with(
            "main.thrift:3:8: method `Ping` of `S` is already defined in the service it extends"
        ),
        "{err}"
    );
    assert!(
        err.contains("inherited from `A`, declared at base.thrift:1:18"),
        "{err}"
    );
}
