//! Cargo.toml sets `autotests = false`, so Cargo builds this one binary only:
//! a suite dropped in as `tests/foo.rs`, or a file here without its `mod`
//! line, would never run, silently. This test finds such files.

use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/integration");

/// The module name of `file` and the file that must declare it.
fn declared_by(file: &Path) -> (String, PathBuf) {
    let name_of = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
    let (name, dir) = if name_of(file) == "mod" {
        let dir = file.parent().unwrap();
        (name_of(dir), dir.parent().unwrap())
    } else {
        (name_of(file), file.parent().unwrap())
    };
    let owner = if dir == Path::new(ROOT) {
        dir.join("main.rs")
    } else if dir.join("mod.rs").exists() {
        dir.join("mod.rs")
    } else {
        dir.with_extension("rs")
    };
    (name, owner)
}

fn declares(owner: &Path, name: &str) -> bool {
    let text = std::fs::read_to_string(owner).unwrap_or_default();
    text.lines().any(|line| {
        let line = line.trim();
        let line = ["pub(crate) ", "pub "]
            .iter()
            .find_map(|p| line.strip_prefix(p))
            .unwrap_or(line);
        line == format!("mod {name};")
    })
}

#[test]
fn every_test_source_is_part_of_the_integration_binary() {
    let tests = Path::new(ROOT).parent().unwrap();
    let mut stray: Vec<String> = std::fs::read_dir(tests)
        .expect("tests/ is readable")
        .map(|e| e.expect("tests/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| format!("{} (move it into tests/integration/)", p.display()))
        .collect();
    for entry in walkdir::WalkDir::new(ROOT) {
        let path = entry.expect("tests/integration/ entry").into_path();
        if path.extension().is_none_or(|x| x != "rs") || path == Path::new(ROOT).join("main.rs") {
            continue;
        }
        let (name, owner) = declared_by(&path);
        if !declares(&owner, &name) {
            stray.push(format!(
                "{} (no `mod {name};` in {})",
                path.display(),
                owner.display()
            ));
        }
    }
    assert!(stray.is_empty(), "not compiled into any test: {stray:#?}");
}
