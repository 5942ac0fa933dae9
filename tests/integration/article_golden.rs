//! Golden tests: each fixture's articles, as pretty JSON, must equal the
//! stored golden file. `UPDATE_GOLDEN=1 cargo test --test integration
//! article_golden` rewrites the golden files after an intended change.

use std::path::Path;

use triage::article::{load_file, Loaded};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/articles");
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/articles");

fn check(file: &str) {
    let root = Path::new(FIXTURES);
    let articles = match load_file(&root.join(file), root).expect("fixture loads") {
        Loaded::Articles(articles) => articles,
        Loaded::NotArticle(reason) => panic!("{file}: not an article: {reason}"),
    };
    let actual = serde_json::to_string_pretty(&articles).unwrap() + "\n";
    let stem = Path::new(file).file_stem().unwrap().to_string_lossy();
    let golden = Path::new(GOLDEN).join(format!("{stem}.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(GOLDEN).unwrap();
        std::fs::write(&golden, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_else(|err| {
        panic!(
            "{}: {err}; run with UPDATE_GOLDEN=1 to create it",
            golden.display()
        )
    });
    assert!(
        expected == actual,
        "{file} differs from {}; run with UPDATE_GOLDEN=1 if intended.\n--- actual ---\n{actual}",
        golden.display()
    );
}

#[test]
fn helpcenter_export() {
    check("helpcenter-export.txt");
}

#[test]
fn kb_article() {
    check("kb-article.md");
}

#[test]
fn error_table() {
    check("error-table.md");
}

#[test]
fn problem_cause_solution() {
    check("problem-cause-solution.txt");
}
