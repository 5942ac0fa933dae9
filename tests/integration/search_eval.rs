//! Search quality on the real labelled queries of every set in
//! `../shared/eval`, each over rules the library ingested from its own
//! knowledge base. Skips when the shared data is absent (fails in CI).
//!
//! The floors are the figures reached, so that a change which loses
//! ground on any set fails here; raise them as the figures rise. The
//! issue's target is 0.85 / 0.88 on every set.

use std::sync::Arc;
use std::time::Instant;

use triage::eval::load_queries;
use triage::knowledge::Knowledge;
use triage::search::eval::eval_queries;
use triage::search::{Buffer, SearchIndex};

use crate::support::shared::{ingested_corpus, shared};

/// Evaluates `queries` over `corpus` and checks the floors.
fn check(queries: &str, corpus: &str, min_top1: f64, min_mrr: f64) {
    let (Some(queries), Some(corpus)) = (shared(queries), shared(corpus)) else {
        return;
    };
    let knowledge = Knowledge::from_dir(ingested_corpus(&corpus)).expect("ingested rules load");
    let (rules, index) = (&knowledge.rules, &knowledge.index);
    let cases = load_queries(&queries).expect("labelled queries");

    // The index as a cache holds it: read back from its bytes.
    let cached = index.as_bytes().to_vec();
    let size = cached.len();
    let started = Instant::now();
    let loaded = SearchIndex::from_bytes(Arc::new(Buffer::Owned(cached)), 0, size)
        .expect("index reads back");
    let first = loaded.search(rules, "deploy fails", 10).expect("query");
    let load_and_first_query = started.elapsed();
    assert!(!first.is_empty());

    let started = Instant::now();
    let report = eval_queries(&loaded, rules, &cases);
    let per_query = started.elapsed() / report.evaluated.max(1) as u32;
    println!(
        "{}: {} rules, {} labelled queries: top-1 {:.3}, top-3 {:.3}, MRR@10 {:.3}; \
         query {per_query:?} (mean); index {} KiB, load + first query {load_and_first_query:?}",
        queries.display(),
        rules.len(),
        report.evaluated,
        report.top1,
        report.top3,
        report.mrr10,
        size / 1024,
    );
    for miss in &report.misses {
        println!(
            "  miss {} (rank {:?}): {:?}\n    expect {:?}\n    got    {:?}",
            miss.id, miss.rank, miss.text, miss.expect, miss.got
        );
    }
    assert!(
        report.top1 >= min_top1,
        "top-1 {:.3} below {min_top1}",
        report.top1
    );
    assert!(
        report.mrr10 >= min_mrr,
        "MRR@10 {:.3} below {min_mrr}",
        report.mrr10
    );
}

#[test]
fn labelled_queries_first_set() {
    check("eval/queries.toml", "corpus", 0.85, 0.87);
}

#[test]
fn labelled_queries_second_set() {
    check("eval/b/queries.toml", "corpus", 0.70, 0.79);
}

#[test]
fn labelled_queries_second_knowledge_base() {
    check(
        "eval/github-docs/queries.toml",
        "eval/github-docs/corpus",
        0.70,
        0.80,
    );
}
