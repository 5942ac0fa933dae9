//! Bad input is reported with the file and line, never a panic; non-articles
//! are skipped with a reason.

use std::path::Path;

use triage::article::{load_file, parse_str, ArticleError, Loaded};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn invalid_utf8_reports_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bad.txt",
        b"---\ntitle: ok\n---\n<p>fine</p>\n<p>caf\xe9 broken</p>\n",
    );
    let err = load_file(&path, dir.path()).unwrap_err();
    assert!(matches!(err, ArticleError::Utf8 { line: 5, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("bad.txt:5"), "{message}");
}

#[test]
fn broken_front_matter_reports_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "broken.md",
        b"---\ntitle: fine\nlabels:\n  - one\n - two\n---\n# Body\n\n## Issue\n\nText.\n",
    );
    let err = load_file(&path, dir.path()).unwrap_err();
    let ArticleError::FrontMatter { line, .. } = &err else {
        panic!("front matter error expected: {err:?}")
    };
    assert!((4..=5).contains(line), "line {line}: {err}");
    assert!(err.to_string().contains("broken.md:"), "{err}");
}

#[test]
fn unclosed_front_matter_is_an_error() {
    let err = parse_str("---\ntitle: x\n<p>body</p>\n", "x", "x.txt").unwrap_err();
    assert!(
        matches!(err, ArticleError::FrontMatter { line: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn html_with_front_matter_but_empty_body_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "empty.txt",
        b"---\ntitle: Nothing here\nlabels: a,b\n---\n\n<p> </p>\n<div></div>\n",
    );
    let err = load_file(&path, dir.path()).unwrap_err();
    assert!(matches!(err, ArticleError::NoSections { .. }), "{err:?}");
    assert!(err.to_string().contains("empty.txt"), "{err}");
}

#[test]
fn readme_is_not_an_article() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "README.md",
        b"# Sample data\n\nThese folders hold test data.\n\n| folder | what |\n| - | - |\n| a | articles |\n\n## Licence\n\nSee LICENSE.\n",
    );
    let loaded = load_file(&path, dir.path()).unwrap();
    assert!(matches!(loaded, Loaded::NotArticle(_)), "{loaded:?}");
}

#[test]
fn unreadable_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_file(&dir.path().join("missing.md"), dir.path()).unwrap_err();
    assert!(matches!(err, ArticleError::Read { .. }));
    assert!(err.to_string().contains("missing.md"));
}
