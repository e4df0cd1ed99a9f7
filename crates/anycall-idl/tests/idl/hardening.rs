//! Inputs shaped to exhaust the loader: long chains, odd files, long lines,
//! includes that leave the main file's directory.

use std::fmt::Write as _;
use std::path::PathBuf;

use anycall_idl::{Loader, MAX_QUOTE, Pool};

/// `typedef T1 T0`, `typedef T2 T1`, ..., `typedef i32 T{n-1}`: resolving
/// `T0` first walks the whole chain.
fn typedef_chain(n: usize, last: &str) -> String {
    let mut s = String::with_capacity(n * 24);
    for i in 0..n - 1 {
        writeln!(s, "typedef T{} T{i}", i + 1).unwrap();
    }
    writeln!(s, "typedef {last} T{}", n - 1).unwrap();
    s
}

#[test]
fn a_200000_long_typedef_chain_loads() {
    let mut idl = typedef_chain(200_000, "i32");
    idl.push_str("struct S { 1: T0 x }\n");
    let pool = Pool::from_source("chain.thrift", &idl).unwrap();
    let s = pool.find_struct("S").unwrap();
    let f = s.field_by_id(1).unwrap();
    assert!(matches!(f.ty().kind(), anycall_idl::TypeKind::I32));
}

#[test]
fn a_long_typedef_cycle_is_one_error() {
    let idl = typedef_chain(50_000, "T0");
    let err = Pool::from_source("cycle.thrift", &idl).unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    let d = &err.diagnostics()[0];
    assert!(d.message().contains("cycle of typedefs"), "{err}");
    assert!(d.line_col().is_some());
}

#[test]
fn thousands_of_errors_print_only_the_first_ones() {
    let fields: String = (0..5_000).map(|_| "1: i32 a, ").collect();
    let err = Pool::from_source("dup.thrift", &format!("struct A {{ {fields} }}")).unwrap_err();
    assert!(err.diagnostics().len() > 1000);
    let text = err.to_string();
    assert!(
        text.ends_with(&format!("{} errors", err.diagnostics().len())),
        "{text}"
    );
    assert!(text.contains("errors not shown"), "{text}");
    assert!(text.len() < 200 * 1024, "{} bytes", text.len());
}

fn include_chain(n: usize, cycle: bool) -> Loader {
    let mut l = Loader::in_memory();
    for i in 0..n {
        let next = if i + 1 < n {
            format!("include \"f{}.thrift\"\n", i + 1)
        } else if cycle {
            "include \"f0.thrift\"\n".to_owned()
        } else {
            String::new()
        };
        l = l.file(format!("f{i}.thrift"), format!("{next}struct S{i} {{}}\n"));
    }
    l
}

#[test]
fn a_20000_file_include_chain_loads() {
    let pool = include_chain(20_000, false).load("f0.thrift").unwrap();
    assert_eq!(pool.files().count(), 20_000);
}

#[test]
fn a_20000_file_include_cycle_is_one_error() {
    let err = include_chain(20_000, true).load("f0.thrift").unwrap_err();
    assert_eq!(err.diagnostics().len(), 1);
    let d = &err.diagnostics()[0];
    assert_eq!(d.path(), Some("f19999.thrift"));
    assert_eq!(d.line_col(), Some((1, 9)));
    assert!(
        d.message()
            .starts_with("include cycle: f0.thrift -> f1.thrift")
    );
}

/// `S0 extends S1`, ..., `S{n-1}`, each with one method; the deepest
/// service is declared first.
fn extends_chain(n: usize) -> String {
    let mut s = String::with_capacity(n * 40);
    for i in 0..n {
        let ext = if i + 1 < n {
            format!(" extends S{}", i + 1)
        } else {
            String::new()
        };
        writeln!(s, "service S{i}{ext} {{ void m{i}() }}").unwrap();
    }
    s
}

#[test]
fn a_6000_service_extends_chain_loads() {
    let pool = Pool::from_source("ext.thrift", &extends_chain(6000)).unwrap();
    let s0 = pool.service("S0").unwrap();
    assert_eq!(s0.methods().count(), 6000);
    // Inherited first: the root's method leads.
    assert_eq!(s0.methods().next().unwrap().name(), "m5999");
    assert_eq!(s0.method("m5999").unwrap().service().name(), "S5999");
    assert_eq!(s0.own_methods().count(), 1);
    assert!(s0.method("nope").is_none());
}

#[test]
fn an_extends_cycle_is_one_error() {
    let mut idl = extends_chain(6000);
    idl.push_str("service Top extends S0 {}\n");
    let idl = idl.replace("service S5999 {", "service S5999 extends S0 {");
    let err = Pool::from_source("ext.thrift", &idl).unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    assert!(
        err.diagnostics()[0]
            .message()
            .contains("cycle of `extends`")
    );
}

#[test]
fn an_inherited_name_deep_in_a_chain_is_still_caught() {
    let idl = extends_chain(50).replace("void m0()", "void m42()");
    let err = Pool::from_source("ext.thrift", &idl).unwrap_err();
    assert!(
        err.to_string()
            .contains("method `m42` of `S0` is already defined in the service it extends"),
        "{err}"
    );
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anycall-idl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_directory_is_not_an_idl_file() {
    let dir = temp_dir("dir");
    std::fs::create_dir(dir.join("sub.thrift")).unwrap();
    std::fs::write(dir.join("main.thrift"), "include \"sub.thrift\"\n").unwrap();
    let err = Pool::from_file(
        &dir.join("sub.thrift").to_string_lossy(),
        Vec::<PathBuf>::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("it is a directory, not a regular file"),
        "{err}"
    );
    let err = Pool::from_file(
        &dir.join("main.thrift").to_string_lossy(),
        Vec::<PathBuf>::new(),
    )
    .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.line_col(), Some((1, 9)), "{err}");
    assert!(
        d.message()
            .contains("it is a directory, not a regular file"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_fifo_or_device_is_not_an_idl_file() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("p.thrift");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(ok.success());
    // Opening a FIFO with no writer would block: the loader must not.
    let err = Pool::from_file(&fifo.to_string_lossy(), Vec::<PathBuf>::new()).unwrap_err();
    assert!(
        err.to_string().contains("it is a FIFO, not a regular file"),
        "{err}"
    );
    std::fs::write(dir.join("main.thrift"), "include \"/dev/null\"\n").unwrap();
    let err = Pool::from_file(
        &dir.join("main.thrift").to_string_lossy(),
        Vec::<PathBuf>::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("it is a character device, not a regular file"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_parse_error_on_a_long_line_quotes_only_a_window_of_it() {
    let fields: String = (1..20_000).map(|i| format!("{i}: i32 a{i}, ")).collect();
    let line = format!("struct A {{ {fields} 1: i32 }}");
    let err = Loader::in_memory()
        .file("main.thrift", "include \"big.thrift\"\n")
        .file(
            "big.thrift",
            format!("struct Ok {{}}\n{line}\nstruct B {{}}\n"),
        )
        .load("main.thrift")
        .unwrap_err();
    let text = err.to_string();
    let d = &err.diagnostics()[0];
    assert_eq!(d.path(), Some("big.thrift"));
    assert_eq!(d.line_col().unwrap().0, 2);
    assert!(
        text.len() < 4 * MAX_QUOTE + 200,
        "{} bytes quoted",
        text.len()
    );
    assert!(!text.contains("struct Ok"), "{text}");
    assert!(!text.contains("struct B"), "{text}");
    // The caret still sits under the offending token.
    let lines: Vec<&str> = text.lines().collect();
    let quoted = lines[2].split_once(" | ").unwrap().1;
    let caret = lines[3].split_once(" | ").unwrap().1;
    let at = caret.find('^').unwrap();
    assert_eq!(&quoted[at..at + 1], "}", "{text}");
    assert!(quoted.starts_with("..."), "{text}");
}

#[test]
fn confined_includes_stay_under_the_main_directory() {
    let l = Loader::in_memory()
        .file(
            "idl/main.thrift",
            "include \"../secret.thrift\"\ninclude \"sub/ok.thrift\"\n",
        )
        .file("idl/sub/ok.thrift", "struct Ok {}")
        .file("secret.thrift", "struct Secret {}");
    assert!(l.clone().load("idl/main.thrift").is_ok());
    let err = l
        .confine_includes(true)
        .load("idl/main.thrift")
        .unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    let d = &err.diagnostics()[0];
    assert_eq!(d.line_col(), Some((1, 9)));
    assert!(d.message().contains("includes are confined"), "{err}");
}

#[cfg(unix)]
#[test]
fn confined_includes_follow_symbolic_links() {
    let dir = temp_dir("confine");
    std::fs::create_dir(dir.join("idl")).unwrap();
    std::fs::write(dir.join("outside.thrift"), "struct X {}").unwrap();
    std::os::unix::fs::symlink(dir.join("outside.thrift"), dir.join("idl/link.thrift")).unwrap();
    std::fs::write(dir.join("idl/main.thrift"), "include \"link.thrift\"\n").unwrap();
    let main = dir.join("idl/main.thrift").to_string_lossy().into_owned();
    assert!(Loader::new().load(&main).is_ok());
    let err = Loader::new()
        .confine_includes(true)
        .load(&main)
        .unwrap_err();
    assert!(err.to_string().contains("includes are confined"), "{err}");
    // Include dirs given by the caller are trusted.
    let ok = Loader::new()
        .confine_includes(true)
        .include_dir(&dir)
        .load(&main);
    assert!(ok.is_ok(), "{}", ok.unwrap_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
