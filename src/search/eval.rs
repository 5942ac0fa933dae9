//! Measures search on labelled queries (`eval/queries.toml`): top-1, top-3
//! and mean reciprocal rank over the first ten hits.

use serde::Deserialize;

use crate::rulebook::Rule;

use super::SearchIndex;

/// One labelled query.
#[derive(Debug, Clone, Deserialize)]
pub struct QueryCase {
    pub id: String,
    pub text: String,
    /// Article ids any of which, ranked first, is right; empty when nothing
    /// in the corpus answers the query.
    pub expect: Vec<String>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub confidence: String,
    #[serde(default)]
    pub why: String,
}

/// A labelled query whose right article was not ranked first.
#[derive(Debug, Clone)]
pub struct QueryMiss {
    pub id: String,
    pub text: String,
    pub expect: Vec<String>,
    /// The ids of the first three hits (the shown edition of each).
    pub got: Vec<String>,
    /// 1-based rank of the first right hit within the first ten, if any.
    pub rank: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct QueryEvalReport {
    /// Queries with a non-empty `expect`, over which the figures are taken.
    pub evaluated: usize,
    pub top1: f64,
    pub top3: f64,
    pub mrr10: f64,
    pub misses: Vec<QueryMiss>,
}

/// Runs every labelled query with a non-empty `expect`. A hit is right when
/// its rule or one of its folded editions is expected.
pub fn eval_queries(index: &SearchIndex, rules: &[Rule], cases: &[QueryCase]) -> QueryEvalReport {
    let mut report = QueryEvalReport::default();
    let (mut top1, mut top3, mut reciprocal) = (0usize, 0usize, 0.0f64);
    for case in cases.iter().filter(|c| !c.expect.is_empty()) {
        report.evaluated += 1;
        let hits = index.search(rules, &case.text, 10).unwrap_or_default();
        let right = |rule: usize| {
            case.expect
                .iter()
                .any(|e| crate::eval::meets(&rules[rule].id, e))
        };
        let rank = hits
            .iter()
            .position(|h| right(h.rule) || h.also.iter().any(|&a| right(a)))
            .map(|p| p + 1);
        match rank {
            Some(1) => top1 += 1,
            _ => report.misses.push(QueryMiss {
                id: case.id.clone(),
                text: case.text.clone(),
                expect: case.expect.clone(),
                got: hits
                    .iter()
                    .take(3)
                    .map(|h| rules[h.rule].id.clone())
                    .collect(),
                rank,
            }),
        }
        if rank.is_some_and(|r| r <= 3) {
            top3 += 1;
        }
        reciprocal += rank.map_or(0.0, |r| 1.0 / r as f64);
    }
    if report.evaluated > 0 {
        let n = report.evaluated as f64;
        report.top1 = top1 as f64 / n;
        report.top3 = top3 as f64 / n;
        report.mrr10 = reciprocal / n;
    }
    report
}
