//! The default knowledge compiled into the binary from the project's own
//! `rules/` (see `build.rs`, which also lints them).

use std::collections::HashMap;
use std::path::Path;

use super::store::{parse_rule, LoadedRule, RulebookError};

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The embedded rules, parsed. They were linted at build time, so an error
/// here means the binary itself is broken.
pub fn load() -> Result<Vec<LoadedRule>, RulebookError> {
    EMBEDDED_RULES
        .iter()
        .map(|(name, text)| {
            Ok(LoadedRule {
                rule: parse_rule(text, Path::new(name))?,
                origin: (*name).to_string(),
            })
        })
        .collect()
}

/// The bundled rules' passage vectors, computed by `build.rs` with the
/// bundled model, by the digest of the passage each was computed from.
pub fn vectors() -> HashMap<u64, Vec<f32>> {
    let dim = crate::embed::DIM;
    EMBEDDED_VECTORS
        .chunks_exact(8 + 4 * dim)
        .map(|entry| {
            let (digest, vector) = entry.split_at(8);
            let digest = u64::from_le_bytes(digest.try_into().expect("8 bytes"));
            let vector = vector
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (digest, vector)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{rule_passage, Embedder, PASSAGE_TOKENS};

    /// What the build computed is what the engine computes: same model,
    /// same passages, every bundled rule covered.
    #[test]
    fn build_time_vectors_are_the_engine_s() {
        let known = vectors();
        let rules = load().unwrap();
        assert_eq!(known.len(), rules.len());
        for loaded in &rules {
            let passage = rule_passage(&loaded.rule);
            let built = &known[&crate::embed::digest(&passage)];
            let now = Embedder::bundled().embed(&passage, PASSAGE_TOKENS);
            let cosine = crate::embed::cosine(built, &now);
            assert!(cosine > 0.99999, "{}: {cosine}", loaded.rule.id);
        }
    }
}
