//! Meaning beside words: the cosine between a text's vector and each rule's
//! passage vector (`crate::embed`), and its fusion with the word score.
//!
//! Fusion standardises each list over all rules (z-scores) and adds them,
//! with the same weight. Standardising lets each signal speak in
//! proportion to how far its best rules stand out from the rest: a pasted
//! error that one article quotes gives the word score a lead of many
//! standard deviations, which a close paraphrase elsewhere does not
//! overturn, while a description in other words gives a flat word score
//! that meaning decides. Scaling both to `[0, 1]` (min-max) and mixing half
//! and half, the first fusion tried, stretched the cosines' small
//! differences to the whole range: on the labelled queries the word score
//! had been tuned on it ranked the right article first 5 times fewer (of
//! 55), while z-scores lost none and gained as much as min-max on the two
//! other query sets.

use std::collections::HashMap;

use super::{RuleSimilarity, SearchIndex};
use crate::embed::{Embedder, DIM};

/// Weight of meaning's z-score against the words' (which is 1). Equal, as
/// the neutral choice; on the three labelled query sets 0.5 and 0.7 did
/// worse on all three, 1.5 and 2.0 better on the two the word score was not
/// tuned on and worse on the one it was.
pub const SEMANTIC_WEIGHT: f64 = 1.0;
/// Least cosine at which meaning counts as evidence at all. Nonsense queries
/// ("zebra quantum pineapple") come no closer than 0.23 to any article title
/// of the Adobe Commerce corpus; on the labelled queries the closest title
/// is never below 0.25.
pub const SEMANTIC_FLOOR: f64 = 0.3;
/// Least cosine at which a rule none of the query's words match is still a
/// search result. Higher than [`SEMANTIC_FLOOR`] because nothing else
/// vouches for it: made-up words ("zzqxv wqqpk") came within 0.31 of a
/// short bundled title, while the right articles that matched none of a
/// labelled query's words stood at 0.48.
pub const MEANING_ALONE_FLOOR: f64 = 0.4;
/// Tokens of a query that are embedded: a pasted error says what it is in
/// its first lines.
pub const QUERY_TOKENS: usize = 128;

impl SearchIndex {
    /// The cosine of `vector` with every rule's passage vector.
    pub fn cosines(&self, vector: &[f32]) -> Vec<f64> {
        let stored = &self.data().vectors;
        (0..self.rule_count())
            .map(|rule| {
                let row = stored.get(rule * DIM..(rule + 1) * DIM).unwrap_or(&[]);
                row.iter()
                    .zip(vector)
                    .map(|(a, b)| f64::from(a.to_native()) * f64::from(*b))
                    .sum()
            })
            .collect()
    }

    /// How close `text` is in meaning to each rule it is close to at all:
    /// the cosine above [`SEMANTIC_FLOOR`], scaled to `(0, 1]`.
    pub fn semantic_similarity(&self, text: &str, max_tokens: usize) -> Vec<RuleSimilarity> {
        let vector = Embedder::bundled().embed(text, max_tokens);
        self.cosines(&vector)
            .into_iter()
            .enumerate()
            .filter(|&(_, c)| c > SEMANTIC_FLOOR)
            .map(|(rule, c)| RuleSimilarity {
                rule,
                score: (c - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR),
            })
            .collect()
    }

    /// The vectors this index holds, by the digest of their passage: what
    /// a rebuilt index can reuse.
    pub fn known_vectors(&self) -> HashMap<u64, Vec<f32>> {
        let data = self.data();
        data.passages
            .iter()
            .enumerate()
            .filter_map(|(rule, digest)| {
                let row = data.vectors.get(rule * DIM..(rule + 1) * DIM)?;
                Some((
                    digest.to_native(),
                    row.iter().map(|v| v.to_native()).collect(),
                ))
            })
            .collect()
    }
}

/// Word scores and cosines, each standardised over all rules, added.
pub fn fuse(words: &[f64], meaning: &[f64]) -> Vec<f64> {
    let words = standardised(words);
    let meaning = standardised(meaning);
    words
        .iter()
        .zip(&meaning)
        .map(|(w, m)| w + SEMANTIC_WEIGHT * m)
        .collect()
}

/// `(s - mean) / standard deviation`; all zero for a list with no spread.
fn standardised(scores: &[f64]) -> Vec<f64> {
    let n = scores.len().max(1) as f64;
    let mean = scores.iter().sum::<f64>() / n;
    let spread = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
    scores
        .iter()
        .map(|s| {
            if spread > 0.0 {
                (s - mean) / spread
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lead_of_many_deviations_is_not_overturned() {
        // Rule 1 alone matches the words; rule 2 is a little closer in
        // meaning.
        let words = [0.0, 30.0, 0.0, 0.0, 0.0, 0.0];
        let meaning = [0.1, 0.3, 0.35, 0.1, 0.1, 0.1];
        let fused = fuse(&words, &meaning);
        assert!(fused[1] > fused[2], "{fused:?}");
    }

    #[test]
    fn flat_words_leave_meaning_to_decide() {
        let fused = fuse(&[3.0, 3.0, 3.0], &[0.1, 0.3, 0.2]);
        assert!(fused[1] > fused[2] && fused[2] > fused[0], "{fused:?}");
    }
}
