//! The same ranking, used by diagnose: how close a log's failure lines are,
//! in words, to each rule. This is what finds articles that quote no error
//! text (only a description of what goes wrong).

use super::SearchIndex;
use crate::rulebook::Rule;

/// Raw score at which similarity reaches one half. Scores below it are the
/// shared-vocabulary noise every failure has with many articles.
const HALF_SCORE: f64 = 12.0;

/// How close, in words, a text is to one rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleSimilarity {
    /// Index of the rule in the slice the index was built from.
    pub rule: usize,
    /// In `(0, 1)`.
    pub score: f64,
}

impl SearchIndex {
    /// Similarity of `text` to every rule with any, in `(0, 1)`, unsorted.
    pub fn similarity(&self, rules: &[Rule], text: &str) -> Vec<RuleSimilarity> {
        if rules.len() != self.rule_count() {
            return Vec::new();
        }
        let Some((scores, _)) = self.scores(text) else {
            return Vec::new();
        };
        scores
            .into_iter()
            .enumerate()
            .filter(|&(_, s)| s > 0.0)
            .map(|(rule, s)| RuleSimilarity {
                rule,
                score: s / (s + HALF_SCORE),
            })
            .collect()
    }

    /// Rules that are editions of the same article share a group number.
    pub fn edition_group(&self, rule: usize) -> usize {
        self.data()
            .groups
            .get(rule)
            .map_or(rule, |g| g.to_native() as usize)
    }

    /// The other editions of `rule`'s article.
    pub fn other_editions(&self, rule: usize) -> Vec<usize> {
        let group = self.edition_group(rule);
        let groups = &self.data().groups;
        (0..groups.len())
            .filter(|&i| i != rule && groups[i].to_native() as usize == group)
            .collect()
    }
}
