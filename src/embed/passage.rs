//! What of an article is embedded: its title, cut at [`PASSAGE_TOKENS`].
//!
//! Measured on the three labelled query sets (top-1 / MRR@10, fused with
//! the word search): the title alone 0.855/0.877, 0.70/0.792 and
//! 0.471/0.649; the title with the description or issue, 32 tokens in all,
//! 0.818/0.860, 0.70/0.795 and 0.471/0.637; 64 tokens did no better. What
//! an article is about is said in its title; its first sentences add
//! context that pulls a query's meaning towards articles which share it.
//! Titles are also the cheapest: embedding costs in proportion to tokens,
//! and the 749-article corpus must ingest within 5 s.
//!
//! Also compiled by `build.rs` (via `#[path]`), to embed the bundled rules.

/// Tokens of a passage that are embedded (with the two markers).
pub const PASSAGE_TOKENS: usize = 32;

/// The passage of an article with this title.
pub fn passage(title: &str) -> String {
    title.trim().to_string()
}

/// A digest of the passage's text, to reuse a vector computed before for
/// the same text (a cache rebuilt after one rule changed re-embeds only
/// that rule).
pub fn digest(passage: &str) -> u64 {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    passage.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_the_passage() {
        assert_eq!(passage("  Deploy fails \n"), "Deploy fails");
    }

    #[test]
    fn digests_tell_texts_apart_and_are_stable() {
        assert_eq!(digest(""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(digest("a"), digest("b"));
        assert_eq!(digest("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
