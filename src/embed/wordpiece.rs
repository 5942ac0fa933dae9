//! Text -> token ids, as the model was trained to read them: BERT's
//! uncased WordPiece (clean, split CJK, strip accents, lower-case, split on
//! whitespace and punctuation, then the longest vocabulary pieces).
//!
//! Written here rather than taken from the `tokenizers` crate for start-up
//! time: building its WordPiece model (owned strings, two hash maps of 30k
//! entries) took 13 ms from the vocabulary and 18-35 ms from
//! `tokenizer.json`, against a search budget of 30 ms in all. This one
//! borrows the vocabulary compiled into the binary. It reproduces the
//! `tokenizers` crate's `BertNormalizer`, `BertPreTokenizer` and `WordPiece`
//! step for step, with the same Unicode tables (`unicode_categories`), and
//! `models/minilm-l6-v2/reference.json`, made by that crate, checks it.

use fxhash::FxHashMap;
use unicode_categories::UnicodeCategories;
use unicode_normalization::UnicodeNormalization;

/// Words longer than this (in characters) are one unknown token.
const MAX_WORD_CHARS: usize = 100;

pub struct WordPiece {
    /// Built on each start (30k borrowed keys, about a millisecond with
    /// this hasher; three with the standard one).
    vocab: FxHashMap<&'static str, u32>,
    unknown: u32,
    start: u32,
    end: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("the vocabulary lacks the special token {0}")]
pub struct VocabularyError(&'static str);

impl WordPiece {
    /// `vocab` is `vocab.txt`: one piece per line, the id its line number.
    pub fn new(vocab: &'static str) -> Result<WordPiece, VocabularyError> {
        let mut map = FxHashMap::default();
        map.reserve(32 * 1024);
        for (id, piece) in vocab.lines().enumerate() {
            map.entry(piece).or_insert(id as u32);
        }
        let special = |name: &'static str| map.get(name).copied().ok_or(VocabularyError(name));
        Ok(WordPiece {
            unknown: special("[UNK]")?,
            start: special("[CLS]")?,
            end: special("[SEP]")?,
            vocab: map,
        })
    }

    /// The ids of `text` between `[CLS]` and `[SEP]`, at most `max` in all
    /// (the pieces beyond are dropped, as the model's own truncation does).
    pub fn encode(&self, text: &str, max: usize) -> Vec<u32> {
        let mut ids = vec![self.start];
        let limit = max.max(2) - 1;
        let normalised = normalise(text);
        'words: for word in pre_tokenize(&normalised) {
            for id in self.pieces(word) {
                if ids.len() >= limit {
                    break 'words;
                }
                ids.push(id);
            }
        }
        ids.push(self.end);
        ids
    }

    /// Greedy longest-match-first split of one word into vocabulary pieces;
    /// a word with a part no piece covers is one unknown token.
    fn pieces(&self, word: &str) -> Vec<u32> {
        if word.chars().count() > MAX_WORD_CHARS {
            return vec![self.unknown];
        }
        let mut out = Vec::new();
        let mut start = 0;
        let mut candidate = String::new();
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while start < end {
                candidate.clear();
                if start > 0 {
                    candidate.push_str("##");
                }
                candidate.push_str(&word[start..end]);
                if let Some(&id) = self.vocab.get(candidate.as_str()) {
                    found = Some(id);
                    break;
                }
                end = previous_boundary(word, end);
            }
            match found {
                Some(id) => out.push(id),
                None => return vec![self.unknown],
            }
            start = end;
        }
        out
    }
}

fn previous_boundary(word: &str, end: usize) -> usize {
    word[..end].char_indices().next_back().map_or(0, |(i, _)| i)
}

/// BERT's normaliser: control characters dropped, whitespace made a space,
/// CJK ideographs set apart, accents stripped (NFD, then no nonspacing
/// marks), lower case.
fn normalise(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_whitespace(c) {
            cleaned.push(' ');
        } else if is_chinese(c) {
            cleaned.push(' ');
            cleaned.push(c);
            cleaned.push(' ');
        } else {
            cleaned.push(c);
        }
    }
    cleaned
        .nfd()
        .filter(|c| !c.is_mark_nonspacing())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words split on whitespace, with each punctuation character a word of
/// its own.
fn pre_tokenize(text: &str) -> impl Iterator<Item = &str> {
    text.split(char::is_whitespace).flat_map(|chunk| {
        let mut parts = Vec::new();
        let mut from = 0;
        for (i, c) in chunk.char_indices() {
            if is_punctuation(c) {
                if from < i {
                    parts.push(&chunk[from..i]);
                }
                parts.push(&chunk[i..i + c.len_utf8()]);
                from = i + c.len_utf8();
            }
        }
        if from < chunk.len() {
            parts.push(&chunk[from..]);
        }
        parts
    })
}

fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

/// Unicode's "other" categories (Cc, Cf, Cn, Co), tab and newlines apart.
fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

/// The CJK Unified Ideographs blocks, as BERT defines "Chinese character".
fn is_chinese(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer() -> WordPiece {
        WordPiece::new("[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##aff\n##able\nrun\n##ning\n,\na\n##b\n")
            .unwrap()
    }

    #[test]
    fn longest_pieces_first() {
        let t = tokenizer();
        assert_eq!(t.encode("Unaffable", 16), [2, 4, 5, 6, 3]);
        assert_eq!(t.encode("running, unaffable", 16), [2, 7, 8, 9, 4, 5, 6, 3]);
    }

    #[test]
    fn a_word_no_piece_covers_is_unknown() {
        let t = tokenizer();
        assert_eq!(t.encode("runx", 16), [2, 1, 3]);
        assert_eq!(t.encode(&"a".repeat(101), 16), [2, 1, 3]);
        let longest = format!("a{}", "b".repeat(99));
        assert_eq!(t.encode(&longest, 128).len(), 2 + 100);
    }

    #[test]
    fn truncation_keeps_the_end_token() {
        let t = tokenizer();
        assert_eq!(t.encode("run run run run", 4), [2, 7, 7, 3]);
    }

    #[test]
    fn accents_case_and_controls_are_normalised() {
        assert_eq!(normalise("Ünaffäble\u{7}\tX"), "unaffable x");
        assert_eq!(normalise("部署"), " 部  署 ");
    }

    #[test]
    fn punctuation_stands_alone() {
        let words: Vec<&str> = pre_tokenize("a,b  (c)—d").collect();
        assert_eq!(words, ["a", ",", "b", "(", "c", ")", "—", "d"]);
    }

    #[test]
    fn a_vocabulary_without_special_tokens_is_refused() {
        assert!(WordPiece::new("a\nb\n").is_err());
    }
}
