//! Search over invented articles (tests/fixtures/search): the behaviours the
//! CLI relies on, independent of the real corpus.

use std::path::Path;

use triage::search::{QueryError, SearchIndex};
use triage::Rule;

fn fixture_rules() -> Vec<Rule> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/search");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("fixture");
            toml::from_str::<Rule>(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

fn top_ids(rules: &[Rule], index: &SearchIndex, query: &str) -> Vec<String> {
    index
        .search(rules, query, 5)
        .expect("query")
        .iter()
        .map(|h| rules[h.rule].id.clone())
        .collect()
}

#[test]
fn symptom_descriptions_find_their_article() {
    let rules = fixture_rules();
    let index = SearchIndex::build(&rules);
    let cases = [
        (
            "deploy fails after we changed the account owner",
            "deploy-fails-after-owner-change",
        ),
        (
            "cron job not running after crashed once",
            "cron-job-stuck-running",
        ),
        ("sqlstate general error the table is full", "table-is-full"),
    ];
    for (query, expected) in cases {
        assert_eq!(top_ids(&rules, &index, query)[0], expected, "{query}");
    }
}

#[test]
fn editions_are_one_hit_with_the_other_in_also() {
    let rules = fixture_rules();
    let index = SearchIndex::build(&rules);
    let hits = index
        .search(&rules, "checkout page blank after upgrade", 5)
        .unwrap();
    let first = &rules[hits[0].rule].id;
    assert!(first == "500" || first == "checkout-blank-after-upgrade");
    assert_eq!(hits[0].also.len(), 1);
    let other = &rules[hits[0].also[0]].id;
    assert_ne!(other, first);
    assert!(hits[1..].iter().all(|h| h.rule != hits[0].also[0]));
}

#[test]
fn pasted_error_with_installation_values_ranks_its_signature_first() {
    let rules = fixture_rules();
    let index = SearchIndex::build(&rules);
    let query = "[2024-03-01 10:00:00] SQLSTATE[HY000]: General error: 1114 The table '/var/lib/mysql/shop/sales_order' is full";
    let hits = index.search(&rules, query, 3).unwrap();
    assert_eq!(rules[hits[0].rule].id, "table-is-full");
    assert!(hits[0].snippet.contains("is full"), "{}", hits[0].snippet);
    for &(start, end) in &hits[0].highlights {
        assert!(hits[0].snippet.is_char_boundary(start) && hits[0].snippet.is_char_boundary(end));
    }
}

#[test]
fn misspelt_words_are_tolerated() {
    let rules = fixture_rules();
    let index = SearchIndex::build(&rules);
    assert_eq!(
        top_ids(&rules, &index, "deplyoment fials after acount ownr change")[0],
        "deploy-fails-after-owner-change"
    );
}

#[test]
fn stop_words_only_is_an_empty_query() {
    let rules = fixture_rules();
    let index = SearchIndex::build(&rules);
    assert_eq!(
        index.search(&rules, "the of and, to!", 5),
        Err(QueryError::Empty)
    );
}
