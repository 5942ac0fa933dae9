//! Query and field analysis that search needs beyond `crate::text`: words
//! with their byte ranges (for snippets and highlights) and phrase tokens in
//! which installation-specific values are left out, so that a pasted error
//! line matches the signature it came from.

use std::collections::{HashMap, HashSet};

use bm25::TokenEmbedder;

use crate::rulebook::rule::WILDCARD;
use crate::text::{is_stop_word, stem, words};

/// The id of a stemmed term: the same hash the BM25 embedder gives it, so
/// that phrase tokens and BM25 postings speak of one term by one number.
pub(crate) fn term_id(stemmed: &str) -> u32 {
    <u32 as TokenEmbedder>::embed(stemmed)
}

/// Separates two texts inside one phrase field (two signatures, title and
/// description): no phrase may run across it.
pub(crate) const BREAK: u32 = u32::MAX;

/// One token of a phrase sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhraseToken {
    pub id: u32,
    /// Whether the word carries meaning; stop words keep the order of a
    /// phrase but do not make it longer.
    pub content: bool,
}

/// Byte ranges of the words of `text`, split exactly as `crate::text::words`
/// splits, so that a highlighted range is a word the index knows.
pub(crate) fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                spans.push((s, at));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// Whether a whitespace-separated chunk of text stands for a value that
/// differs between installations: a number, version, size, hash, path, URL,
/// e-mail address, a single quoted name, or the template wildcard.
fn is_variable(chunk: &str) -> bool {
    if chunk.contains(WILDCARD) || chunk.contains('@') {
        return true;
    }
    if chunk.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    let separators = chunk.matches(['/', '\\']).count();
    if separators >= 2 || chunk.contains("://") {
        return true;
    }
    let trimmed = chunk.trim_end_matches([',', '.', ';', ':', ')', ']', '!', '?']);
    let quoted = |q: char| trimmed.len() >= 2 && trimmed.starts_with(q) && trimmed.ends_with(q);
    quoted('\'') || quoted('"') || quoted('`')
}

/// The phrase tokens of `text`: stemmed words in order, with variable values
/// dropped on both sides of a comparison, so the literal words around them
/// line up.
pub(crate) fn phrase_tokens(text: &str) -> Vec<PhraseToken> {
    let mut tokens = Vec::new();
    for chunk in text.split_whitespace() {
        if is_variable(chunk) {
            continue;
        }
        for word in words(chunk) {
            tokens.push(PhraseToken {
                id: term_id(&stem(&word)),
                content: word.chars().count() > 1 && !is_stop_word(&word),
            });
        }
    }
    tokens
}

/// Stems and term ids of the words seen while building an index, each
/// computed once: the same few thousand words recur across hundreds of
/// rules, and stemming is most of the cost of analysis.
#[derive(Default)]
pub(crate) struct StemCache {
    known: HashMap<String, (String, u32)>,
}

impl StemCache {
    /// The stem and term id of a lower-cased word.
    pub fn get(&mut self, word: &str) -> &(String, u32) {
        if !self.known.contains_key(word) {
            let stemmed = stem(word);
            let id = term_id(&stemmed);
            self.known.insert(word.to_string(), (stemmed, id));
        }
        &self.known[word]
    }

    /// Appends the terms of `text` to `out`, space-separated, as
    /// `crate::text::terms` finds them; adds each word to `seen`.
    pub fn append_terms(&mut self, text: &str, out: &mut String, seen: &mut HashSet<String>) {
        // Split and lower-case as `crate::text::words` does, into one
        // reused buffer rather than a new string per word.
        let mut word = String::new();
        for piece in text.split(|c: char| !c.is_alphanumeric()) {
            if piece.is_empty() {
                continue;
            }
            word.clear();
            if piece.chars().any(char::is_uppercase) {
                word.extend(piece.chars().flat_map(char::to_lowercase));
            } else {
                word.push_str(piece);
            }
            if word.len() > 1 && !is_stop_word(&word) && !word.chars().all(|c| c.is_ascii_digit()) {
                out.push(' ');
                out.push_str(&self.get(&word).0);
            }
            if !seen.contains(word.as_str()) {
                seen.insert(word.clone());
            }
        }
    }

    /// `phrase_tokens`, with cached stems.
    pub fn phrase_tokens(&mut self, text: &str, tokens: &mut Vec<PhraseToken>) {
        for chunk in text.split_whitespace() {
            if is_variable(chunk) {
                continue;
            }
            for word in words(chunk) {
                let content = word.chars().count() > 1 && !is_stop_word(&word);
                tokens.push(PhraseToken {
                    id: self.get(&word).1,
                    content,
                });
            }
        }
    }
}

/// The number of content words in the longest run of `query` that occurs
/// contiguously in `field`. Only the query's tokens say which words carry
/// meaning, so the field is term ids alone (as the index stores them).
pub(crate) fn longest_common_run<T: Copy + Into<u32>>(query: &[PhraseToken], field: &[T]) -> usize {
    if query.is_empty() || field.is_empty() {
        return 0;
    }
    // Longest-common-substring table, one row at a time; a cell holds the
    // content words of the common run ending at (query[i], field[j]). A run
    // through stop words only stays at 0, which is right: "to the" is no
    // evidence.
    let mut previous = vec![0usize; field.len() + 1];
    let mut current = vec![0usize; field.len() + 1];
    let mut longest = 0;
    for q in query {
        for (j, &f) in field.iter().enumerate() {
            let f: u32 = f.into();
            current[j + 1] = if q.id == f && f != BREAK {
                previous[j] + usize::from(q.content)
            } else {
                0
            };
            longest = longest.max(current[j + 1]);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    longest
}

/// `text` followed by the parts of its camel-case identifiers, so that
/// `getQty` or `SetAnalyticsOnCartRemove` in a pasted error also match
/// "qty" or "cart remove" in an article (and the other way round). The whole
/// identifier is kept: people paste it as it is.
pub(crate) fn with_identifier_parts(text: &str) -> String {
    let mut parts = String::new();
    for (start, end) in word_spans(text) {
        let word = &text[start..end];
        let mut from = 0;
        let mut previous_lower = false;
        for (at, c) in word.char_indices() {
            if previous_lower && c.is_uppercase() {
                parts.push(' ');
                parts.push_str(&word[from..at]);
                from = at;
            }
            previous_lower = c.is_lowercase();
        }
        if from > 0 {
            parts.push(' ');
            parts.push_str(&word[from..]);
        }
    }
    if parts.is_empty() {
        text.to_string()
    } else {
        format!("{text}\n{parts}")
    }
}

/// Pairs of adjacent content words (stop words skipped, never across a
/// `BREAK`), as one number each: the proximity evidence behind "inline
/// script" or "no alive nodes" that bag-of-words scoring cannot see.
pub(crate) fn content_bigrams(tokens: &[PhraseToken]) -> Vec<u64> {
    let mut pairs = Vec::new();
    let mut previous: Option<u32> = None;
    for token in tokens {
        if token.id == BREAK {
            previous = None;
        } else if token.content {
            if let Some(p) = previous {
                pairs.push((u64::from(p) << 32) | u64::from(token.id));
            }
            previous = Some(token.id);
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_follow_the_shared_tokenizer() {
        let text = "Key X: vm.max_map_count — fails";
        let spans: Vec<&str> = word_spans(text).iter().map(|&(s, e)| &text[s..e]).collect();
        let expected: Vec<String> = words(text).collect();
        assert_eq!(
            spans.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>(),
            expected
        );
    }

    #[test]
    fn identifiers_add_their_parts() {
        assert_eq!(
            with_identifier_parts("Call to getQty() in SetOnCartRemove.php"),
            "Call to getQty() in SetOnCartRemove.php\n get Qty Set On Cart Remove"
        );
        assert_eq!(with_identifier_parts("plain words"), "plain words");
    }

    #[test]
    fn variable_values_are_left_out_of_phrases() {
        let template = phrase_tokens("Failed to open stream: <*> in file <*> line <*>");
        let pasted = phrase_tokens(
            "failed to open stream: /var/www/html/app/x.php in file 'Foo.php' line 205",
        );
        assert_eq!(template, pasted);
    }

    #[test]
    fn cached_analysis_agrees_with_the_shared_one() {
        let text = "Failed to open stream: /var/www/x.php in 'Foo.php' while deploying";
        let mut cache = StemCache::default();
        let mut tokens = Vec::new();
        cache.phrase_tokens(text, &mut tokens);
        assert_eq!(tokens, phrase_tokens(text));
        let (mut out, mut seen) = (String::new(), HashSet::new());
        cache.append_terms(text, &mut out, &mut seen);
        assert_eq!(out.trim_start(), crate::text::terms(text).join(" "));
        assert!(seen.contains("deploying"));
    }

    fn ids(tokens: &[PhraseToken]) -> Vec<u32> {
        tokens.iter().map(|t| t.id).collect()
    }

    #[test]
    fn run_counts_content_words_only() {
        let query = phrase_tokens("checkout page is blank after the upgrade");
        let field = phrase_tokens("The checkout page is blank after an upgrade to the new version");
        // "checkout page is blank after" matches; "the" vs "an" breaks the run.
        assert_eq!(longest_common_run(&query, &ids(&field)), 3);
    }

    #[test]
    fn breaks_stop_runs() {
        let mut field = phrase_tokens("cache flush");
        field.push(PhraseToken {
            id: BREAK,
            content: false,
        });
        field.extend(phrase_tokens("failed deploy"));
        let query = phrase_tokens("cache flush failed deploy");
        assert_eq!(longest_common_run(&query, &ids(&field)), 2);
    }
}
