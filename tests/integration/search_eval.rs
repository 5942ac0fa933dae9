//! Search quality on the real labelled queries (`../shared/eval/queries.toml`)
//! over rules ingested from the real corpus. Skips when the shared data, or
//! rules from it, are not available.
//!
//! Rules come from the library's ingest; `TRIAGE_SEARCH_RULES=<dir>` points
//! the test at an existing rules directory instead.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use triage::eval::load_queries;
use triage::rulebook::load_dir;
use triage::search::eval::eval_queries;
use triage::search::{Buffer, SearchIndex};
use triage::Rule;

use crate::support::shared::{ingested_corpus, shared};

fn load_rules(dir: &Path) -> Vec<Rule> {
    load_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .into_iter()
        .map(|loaded| loaded.rule)
        .collect()
}

fn corpus_rules(corpus: &Path) -> Vec<Rule> {
    if let Some(dir) = std::env::var_os("TRIAGE_SEARCH_RULES") {
        return load_rules(&PathBuf::from(dir));
    }
    load_rules(ingested_corpus(corpus).path())
}

#[test]
fn labelled_queries_rank_the_right_article_first() {
    let (Some(queries), Some(corpus)) = (shared("eval/queries.toml"), shared("corpus")) else {
        return;
    };
    let rules = corpus_rules(&corpus);
    let cases = load_queries(&queries).expect("queries.toml");

    let started = Instant::now();
    let index = SearchIndex::build(&rules);
    let build = started.elapsed();
    let cached = index.as_bytes().to_vec();
    let size = cached.len();
    let started = Instant::now();
    let loaded = SearchIndex::from_bytes(Arc::new(Buffer::Owned(cached)), 0, size)
        .expect("index reads back");
    let first = loaded.search(&rules, "deploy fails", 10).expect("query");
    let load_and_first_query = started.elapsed();
    assert!(!first.is_empty());
    let started = Instant::now();
    let report = eval_queries(&index, &rules, &cases);
    let per_query = started.elapsed() / report.evaluated.max(1) as u32;

    println!(
        "search eval over {} rules, {} labelled queries: top-1 {:.3}, top-3 {:.3}, MRR@10 {:.3}; build {:?}, query {:?} (mean)",
        rules.len(),
        report.evaluated,
        report.top1,
        report.top3,
        report.mrr10,
        build,
        per_query
    );
    println!(
        "  archived index: {} KiB; load + first query {:?}",
        size / 1024,
        load_and_first_query
    );
    for miss in &report.misses {
        println!(
            "  miss {} (rank {:?}): {:?}\n    expect {:?}\n    got    {:?}",
            miss.id, miss.rank, miss.text, miss.expect, miss.got
        );
    }
    // The figures reached (0.855 / 0.885 over rules from the library
    // ingest), the target being 0.85 / 0.88.
    assert!(report.top1 >= 0.85, "top-1 {:.3} below 0.85", report.top1);
    assert!(
        report.mrr10 >= 0.88,
        "MRR@10 {:.3} below 0.88",
        report.mrr10
    );
}
