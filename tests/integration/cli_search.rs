//! `triage search` over the fixture knowledge base.

use std::path::Path;

use crate::support::{ingested_kb, json_of, Test};

fn search_json(rules: &Path, query: &[&str], extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let o = Test::new()
        .arg("search")
        .args(query)
        .args(["--format", "json", "--rules"])
        .arg(rules)
        .args(extra)
        .output();
    (o.status.code(), json_of(&o))
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn finds_an_article_by_plain_words() {
    let rules = ingested_kb();
    let (code, v) = search_json(rules.path(), &["migration", "stale", "lock"], &[]);
    assert_eq!(code, Some(0));
    assert_eq!(ids(&v)[0], "migration-lock", "{v:#}");
    let (_, v) = search_json(rules.path(), &["package repository credentials"], &[]);
    assert_eq!(ids(&v)[0], "private-repo-auth", "{v:#}");
}

#[test]
fn finds_an_article_by_a_pasted_error_with_other_numbers_and_paths() {
    let rules = ingested_kb();
    let (code, v) = search_json(
        rules.path(),
        &[r#"could not acquire migration lock "schema_billing" held by process 31337"#],
        &[],
    );
    assert_eq!(code, Some(0));
    assert_eq!(ids(&v)[0], "migration-lock", "{v:#}");
    let (_, v) = search_json(
        rules.path(),
        &["write /var/lib/acme/tmp/blob-77.tar: no space left on device"],
        &[],
    );
    assert_eq!(ids(&v)[0], "disk-full", "{v:#}");
    let (_, v) = search_json(
        rules.path(),
        &["The 'https://pkgs.other.test/p2/list.json' URL required authentication (HTTP 403)."],
        &[],
    );
    assert_eq!(ids(&v)[0], "private-repo-auth", "{v:#}");
}

#[test]
fn json_contract() {
    let rules = ingested_kb();
    let (_, v) = search_json(rules.path(), &["deploy", "error"], &[]);
    let results = v["results"].as_array().expect("results array");
    assert!(!results.is_empty());
    for r in results {
        for key in ["id", "title", "source", "link", "score", "snippet"] {
            assert!(r.get(key).is_some(), "result lacks {key}: {r:#}");
        }
        assert!(r["score"].is_number() && r["snippet"].is_string());
    }
    let scores: Vec<f64> = results
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "not best first: {scores:?}"
    );
}

#[test]
fn limit_caps_the_results() {
    let rules = ingested_kb();
    let (_, v) = search_json(rules.path(), &["deploy"], &["--limit", "2"]);
    let n = v["results"].as_array().unwrap().len();
    assert!((1..=2).contains(&n), "{v:#}");
}

#[test]
fn text_output_lists_title_id_and_show_hint() {
    let rules = ingested_kb();
    Test::new()
        .args(["search", "no space left on device", "--rules"])
        .arg(rules.path())
        .status(0)
        .stdout_starts_with(" 1. Build stops with no space left on device  [disk-full]")
        .stdout_contains("triage show disk-full")
        .stdout_lacks("\u{1b}")
        .run();
}

#[test]
fn empty_or_stop_word_query_is_exit_2() {
    let rules = ingested_kb();
    for query in [
        &[""][..],
        &["the of and"][..],
        &["the", "of", "and"][..],
        &["  ...  "][..],
    ] {
        Test::new()
            .arg("search")
            .args(query)
            .arg("--rules")
            .arg(rules.path())
            .status(2)
            .stdout("")
            .stderr_contains("empty")
            .run();
    }
}

#[test]
fn no_match_is_exit_1() {
    let rules = ingested_kb();
    Test::new()
        .args(["search", "zebra quantum pineapple", "--rules"])
        .arg(rules.path())
        .status(1)
        .stdout("")
        .stderr_contains("no article matches")
        .run();
    let (code, v) = search_json(rules.path(), &["zebra quantum pineapple"], &[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["results"], serde_json::json!([]));
}
