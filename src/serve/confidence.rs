//! How sure a search result is, in words, for the people reading the page.
//!
//! A search score is lexical and semantic evidence fused as standard
//! scores (`search::semantic::fuse`), with no scale of its own, so the words
//! come from where the right article stood among the first five results of
//! the labelled queries of `../shared/eval`. The thresholds were chosen on
//! `queries.toml` and confirmed on the two sets they were not chosen on
//! (measured when this was written):
//!
//! | words | rule | `queries` | `b/queries` | `github-docs` |
//! |---|---|---|---|---|
//! | strong match | first, score ≥ 8, at least 2.5 × the second's | 22 of 23 | 16 of 17 | 3 of 3 |
//! | possible match | score ≥ 3 and ≥ 0.6 × the first's | 30 of 94 | 28 of 104 | 7 of 21 |
//! | weak match | the rest | 3 of 183 | 4 of 179 | 5 of 76 |
//!
//! The integration suite `serve_confidence` checks these shares on the
//! eval sets, so a change of the search's scores that breaks the words
//! fails a test rather than misleading a reader. The page's script gets the
//! same thresholds from the page (`data-*` attributes), not from a copy.

/// The thresholds; see the module comment.
pub(super) const STRONG_SCORE: f64 = 8.0;
pub(super) const STRONG_LEAD: f64 = 2.5;
pub(super) const POSSIBLE_SCORE: f64 = 3.0;
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
        let scores = [20.0, 7.0, 4.0];
        assert_eq!(words(&scores, 0), Words::Strong);
        assert_eq!(words(&scores, 1), Words::Weak);
        assert_eq!(words(&[20.0, 15.0], 1), Words::Possible);
        assert_eq!(words(&[20.0, 15.0], 0), Words::Possible);
        assert_eq!(words(&[8.5], 0), Words::Strong);
        assert_eq!(words(&[7.5], 0), Words::Possible);
        assert_eq!(words(&[2.5], 0), Words::Weak);
        assert_eq!(words(&[2.5], 3), Words::Weak);
    }
}
