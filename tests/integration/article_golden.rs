//! Golden tests: each fixture's articles, as pretty JSON, must equal the
//! stored golden file. `UPDATE_GOLDEN=1 cargo test --test integration
//! article_golden` rewrites the golden files after an intended change.

use std::path::Path;

use triage::article::{load_file, Loaded};

use crate::support::assert_golden;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/articles");

fn check(file: &str) {
    let root = Path::new(FIXTURES);
    let articles = match load_file(&root.join(file), root).expect("fixture loads") {
        Loaded::Articles(articles) => articles,
        Loaded::NotArticle(reason) => panic!("{file}: not an article: {reason}"),
    };
    let actual = serde_json::to_string_pretty(&articles).unwrap() + "\n";
    let stem = Path::new(file).file_stem().unwrap().to_string_lossy();
    assert_golden(&format!("articles/{stem}.json"), &actual);
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

#[test]
fn liquid_templating() {
    check("liquid.md");
}

#[test]
fn admonitions() {
    check("admonitions.md");
}

#[test]
fn error_titled_article() {
    check("error-titled.md");
}

#[test]
fn page_covering_several_problems() {
    check("several-problems.md");
}
