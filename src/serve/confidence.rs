//! How sure a search result is, in words, for the people reading the page.
//!
//! A search score is a sum of BM25 and phrase evidence with no scale of its
//! own, so the words come from where the right article stood on the
//! labelled queries of `../shared/eval` (140 queries over two knowledge
//! bases, the first five results of each, measured when this was written):
//!
//! | words | rule | right |
//! |---|---|---|
//! | strong match | first, score ≥ 30, at least twice the second's | 47 of 48 |
//! | possible match | score ≥ 10 and ≥ 0.6 × the first's | 47 of 134 |
//! | weak match | the rest | 20 of 518 |
//!
//! The integration suite `serve_confidence` checks these shares on the
//! eval sets, so a change of the search's scores that breaks the words
//! fails a test rather than misleading a reader. The page's script gets the
//! same thresholds from the page (`data-*` attributes), not from a copy.

/// The thresholds; see the module comment.
pub(super) const STRONG_SCORE: f64 = 30.0;
pub(super) const STRONG_LEAD: f64 = 2.0;
pub(super) const POSSIBLE_SCORE: f64 = 10.0;
pub(super) const POSSIBLE_SHARE: f64 = 0.6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Words {
    Strong,
    Possible,
    Weak,
}

impl Words {
    pub fn as_str(self) -> &'static str {
        match self {
            Words::Strong => "strong match",
            Words::Possible => "possible match",
            Words::Weak => "weak match",
        }
    }

    /// A CSS class for the badge.
    pub fn class(self) -> &'static str {
        match self {
            Words::Strong => "strong",
            Words::Possible => "possible",
            Words::Weak => "weak",
        }
    }
}

/// The words for the result at `rank` among `scores` (best first, as
/// shown).
pub(super) fn words(scores: &[f64], rank: usize) -> Words {
    let Some(&score) = scores.get(rank) else {
        return Words::Weak;
    };
    let first = scores[0];
    let second = scores.get(1).copied().unwrap_or(0.0);
    if rank == 0 && score >= STRONG_SCORE && score >= STRONG_LEAD * second {
        Words::Strong
    } else if score >= POSSIBLE_SCORE && score >= POSSIBLE_SHARE * first {
        Words::Possible
    } else {
        Words::Weak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_first_is_strong_and_its_followers_are_not() {
        let scores = [80.0, 35.0, 12.0];
        assert_eq!(words(&scores, 0), Words::Strong);
        assert_eq!(words(&scores, 1), Words::Weak);
        assert_eq!(words(&[80.0, 50.0], 1), Words::Possible);
        assert_eq!(words(&[80.0, 50.0], 0), Words::Possible);
        assert_eq!(words(&[31.0], 0), Words::Strong);
        assert_eq!(words(&[29.0], 0), Words::Possible);
        assert_eq!(words(&[9.0], 0), Words::Weak);
        assert_eq!(words(&[9.0], 3), Words::Weak);
    }
}
