//! Golden files: output compared with a file under `testdata/`, or written
//! there when `UPDATE_GOLDEN=1` ("blessing").
//!
//! Hex fixtures are rewritten only when their bytes changed, keeping their
//! leading `#` comment block. Fixtures named `spec_*.hex` are hand-annotated
//! from the specification: they are only ever read, and a difference is a
//! failure even when blessing.

use std::path::Path;

use crate::hex;

/// Whether this run rewrites golden files (`UPDATE_GOLDEN=1`).
pub fn blessing() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// Compares `actual` with the text file at `path`, or writes it there when
/// blessing. A difference panics with a line diff.
pub fn text(path: &Path, actual: &str) {
    if blessing() {
        std::fs::create_dir_all(path.parent().expect("golden files live in a directory"))
            .expect("create golden directory");
        std::fs::write(path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {}: {e}\n(create it with UPDATE_GOLDEN=1)\n--- actual\n{actual}",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "output differs from golden file {} (bless with UPDATE_GOLDEN=1)\n\
             --- expected\n+++ actual\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// The bytes of the hex fixture at `path`.
pub fn load_hex(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read fixture {}: {e}{}",
            path.display(),
            if is_spec(path) {
                " (spec fixtures are written by hand)"
            } else {
                " (create it with UPDATE_GOLDEN=1)"
            }
        )
    });
    hex::parse(&text)
}

/// Compares `actual` with the hex fixture at `path`. When blessing, a
/// fixture whose bytes differ (or that does not exist) is rewritten: its
/// leading `#` comment block is kept, or `comment` becomes one (each line
/// starts with `#` if it does not already). Fixtures named `spec_*.hex`
/// are never rewritten (see [`spec_hex`]).
pub fn hex(path: &Path, comment: &str, actual: &[u8]) {
    hex_fixture(path, comment, actual, blessing());
}

fn hex_fixture(path: &Path, comment: &str, actual: &[u8], bless: bool) {
    if is_spec(path) {
        return spec_hex(path, actual);
    }
    if bless {
        let existing = std::fs::read_to_string(path).ok();
        if existing.as_deref().map(hex::parse).as_deref() == Some(actual) {
            return;
        }
        let mut header: String = existing
            .as_deref()
            .unwrap_or("")
            .lines()
            .take_while(|line| line.starts_with('#'))
            .map(|line| format!("{line}\n"))
            .collect();
        if header.is_empty() {
            header = comment
                .lines()
                .map(|line| {
                    if line.starts_with('#') {
                        format!("{line}\n")
                    } else {
                        format!("# {line}\n")
                    }
                })
                .collect();
        }
        std::fs::create_dir_all(path.parent().expect("fixtures live in a directory"))
            .expect("create fixture directory");
        std::fs::write(path, format!("{header}{}\n", hex::lines(actual))).expect("write fixture");
        return;
    }
    let expected = load_hex(path);
    assert_eq!(
        hex::lines(actual),
        hex::lines(&expected),
        "bytes differ from {} (bless with UPDATE_GOLDEN=1 if the change is intended)",
        path.display()
    );
}

/// Compares `actual` with a hand-annotated spec fixture. Never writes, even
/// when blessing: a difference means the code or the fixture is wrong, and
/// the fixture is edited by hand.
pub fn spec_hex(path: &Path, actual: &[u8]) {
    let expected = load_hex(path);
    assert_eq!(
        hex::lines(actual),
        hex::lines(&expected),
        "bytes differ from the spec fixture {} (written by hand from the \
         specification; UPDATE_GOLDEN does not rewrite it)",
        path.display()
    );
}

fn is_spec(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("spec_"))
}

/// A line diff: ` ` common, `-` only in `a`, `+` only in `b`.
pub fn diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.split('\n').collect();
    let b: Vec<&str> = b.split('\n').collect();
    // Longest common subsequence table, from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!(" {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+{}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("-{}\n", a[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_changed_lines() {
        assert_eq!(diff("a\nb\nc", "a\nx\nc"), " a\n+x\n-b\n c\n");
        assert_eq!(diff("a", "a\nb"), " a\n+b\n");
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("anycall-golden-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn hex_fixtures_are_compared_or_blessed() {
        let path = scratch("plain.hex");
        std::fs::write(&path, "# a comment\n0a  0b # inline\n").unwrap();
        hex_fixture(&path, "unused", &[0x0a, 0x0b], false);
        let differs = std::panic::catch_unwind(|| hex_fixture(&path, "unused", &[0x0a], false));
        assert!(differs.is_err());
        // Blessing the same bytes leaves the file alone.
        hex_fixture(&path, "unused", &[0x0a, 0x0b], true);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# a comment\n0a  0b # inline\n"
        );
        // Other bytes rewrite it under its comment block.
        hex_fixture(&path, "unused", &[0x0c], true);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# a comment\n0c\n");
        let new = scratch("new.hex");
        let _ = std::fs::remove_file(&new);
        hex_fixture(&new, "first line\n# second", &[1], true);
        assert_eq!(
            std::fs::read_to_string(&new).unwrap(),
            "# first line\n# second\n01\n"
        );
    }

    #[test]
    fn spec_fixtures_are_never_rewritten() {
        let path = scratch("spec_x.hex");
        std::fs::write(&path, "0a # hand-annotated\n").unwrap();
        for bless in [false, true] {
            hex_fixture(&path, "unused", &[0x0a], bless);
            let differs = std::panic::catch_unwind(|| hex_fixture(&path, "", &[0x0b], bless));
            assert!(differs.is_err(), "bless {bless}");
        }
        assert!(std::panic::catch_unwind(|| spec_hex(&path, &[0x0b])).is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "0a # hand-annotated\n"
        );
    }
}
