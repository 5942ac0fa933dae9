//! Text analysis shared by extraction, matching and search: one tokenizer,
//! one stemmer, one stop-word list, so that a word means the same thing in a
//! rule's keywords, a log line and a query.

use std::collections::HashSet;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

fn stop_words() -> &'static HashSet<String> {
    static STOP: OnceLock<HashSet<String>> = OnceLock::new();
    STOP.get_or_init(|| {
        stop_words::lookup("en")
            .unwrap_or_default()
            .iter()
            .map(|w| w.to_string())
            .collect()
    })
}

/// Whether a lower-cased word carries no meaning for matching.
pub fn is_stop_word(word: &str) -> bool {
    stop_words().contains(word)
}

/// Lower-cased words of `text`: runs of letters and digits. Underscores and
/// inner dots/dashes split words, so `vm.max_map_count` yields `vm`, `max`,
/// `map`, `count`, which is how people type them in a query.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
}

/// The stem of a lower-cased word.
pub fn stem(word: &str) -> String {
    stemmer().stem(word).into_owned()
}

/// Stemmed, stop-word-free terms of `text`, in order, for indexing and
/// similarity. Pure numbers are dropped: they are versions and sizes that
/// differ between installations.
pub fn terms(text: &str) -> Vec<String> {
    words(text)
        .filter(|w| w.len() > 1 && !is_stop_word(w) && !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| stem(&w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_stemmed_and_stop_words_dropped() {
        assert_eq!(
            terms("The deployment failed after changing 2 access keys"),
            vec!["deploy", "fail", "chang", "access", "key"]
        );
    }

    #[test]
    fn identifiers_split_into_words() {
        let w: Vec<String> = words("vm.max_map_count [65530]").collect();
        assert_eq!(w, vec!["vm", "max", "map", "count", "65530"]);
    }
}
