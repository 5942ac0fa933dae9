//! Typo tolerance: a query word the index has never seen is replaced by the
//! closest word it has seen, within one edit for short words and two for
//! long ones. Only unknown words are corrected, so a rare but real word is
//! never bent into a common one.

use std::collections::{BTreeMap, HashSet};

use crate::text::stem;

/// Every word of the indexed rules, with its stem and how many rules use it,
/// as sorted arrays: archived with the index (see `super::stored`) and looked
/// up in place by binary search, with nothing to rebuild at start-up.
#[derive(Debug, Clone, Default, rkyv::Archive, rkyv::Serialize)]
pub(crate) struct Vocabulary {
    /// Surface words in byte order, which keeps the words that share a first
    /// letter together (the candidates for a correction).
    words: Vec<String>,
    /// Per word: its position in `stems`.
    word_stems: Vec<u32>,
    /// Per word: in how many rules it occurs.
    frequency: Vec<u32>,
    /// Distinct stems in byte order.
    stems: Vec<String>,
}

/// What a query word became after looking it up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lookup {
    /// The word or its stem is in the index.
    Known(String),
    /// A close word is; carries its stem and the edit distance.
    Corrected {
        stem: String,
        word: String,
        distance: usize,
    },
    Unknown,
}

impl Vocabulary {
    /// `doc_words` yields, per rule, the distinct lower-cased words it uses;
    /// `stem_of` stems a word (a cache while building an index).
    pub fn build<'a>(
        doc_words: impl Iterator<Item = &'a HashSet<String>>,
        mut stem_of: impl FnMut(&str) -> String,
    ) -> Vocabulary {
        let mut counted: BTreeMap<&str, u32> = BTreeMap::new();
        for doc in doc_words {
            for word in doc {
                *counted.entry(word.as_str()).or_default() += 1;
            }
        }
        let word_stems: Vec<String> = counted.keys().map(|w| stem_of(w)).collect();
        let mut stems = word_stems.clone();
        stems.sort_unstable();
        stems.dedup();
        Vocabulary {
            word_stems: word_stems
                .iter()
                .map(|s| stems.binary_search(s).map_or(0, |i| i as u32))
                .collect(),
            frequency: counted.values().copied().collect(),
            words: counted.into_keys().map(str::to_string).collect(),
            stems,
        }
    }
}

impl ArchivedVocabulary {
    pub fn lookup(&self, word: &str) -> Lookup {
        let stemmed = stem(word);
        let known = |list: &[rkyv::string::ArchivedString], key: &str| {
            list.binary_search_by(|w| w.as_str().cmp(key)).is_ok()
        };
        if known(&self.words, word) || known(&self.stems, &stemmed) {
            return Lookup::Known(stemmed);
        }
        let length = word.chars().count();
        // Short words have too many neighbours one edit away ("log" ~ "lock"
        // ~ "load") for a correction to mean anything.
        let budget = match length {
            0..=3 => return Lookup::Unknown,
            4..=7 => 1,
            _ => 2,
        };
        // Typos rarely hit the first letter; requiring it keeps the scan
        // cheap and the corrections plausible. Words sharing it are one run
        // of the sorted list.
        let Some(first) = word.chars().next() else {
            return Lookup::Unknown;
        };
        let mut prefix = [0u8; 4];
        let prefix: &str = first.encode_utf8(&mut prefix);
        let from = self.words.partition_point(|w| w.as_str() < prefix);
        let mut best: Option<(usize, u32, usize)> = None;
        for (at, candidate) in self.words.iter().enumerate().skip(from) {
            let candidate = candidate.as_str();
            if !candidate.starts_with(prefix) {
                break;
            }
            let candidate_length = candidate.chars().count();
            if candidate_length.abs_diff(length) > budget {
                continue;
            }
            let distance = strsim::osa_distance(word, candidate);
            if distance > budget {
                continue;
            }
            let frequency = self.frequency.get(at).map_or(0, |f| f.to_native());
            let better = match best {
                None => true,
                Some((d, f, _)) => distance < d || (distance == d && frequency > f),
            };
            if better {
                best = Some((distance, frequency, at));
            }
        }
        let Some((distance, _, at)) = best else {
            return Lookup::Unknown;
        };
        let stem = self
            .word_stems
            .get(at)
            .and_then(|s| self.stems.get(s.to_native() as usize));
        match stem {
            Some(stem) => Lookup::Corrected {
                stem: stem.to_string(),
                word: self.words[at].to_string(),
                distance,
            },
            // Only a damaged index gets here; the word stays unknown.
            None => Lookup::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        let docs: [HashSet<String>; 2] = [
            ["deployment", "fails", "account", "owner"]
                .map(String::from)
                .into(),
            ["checkout", "page", "blank", "upgrade"]
                .map(String::from)
                .into(),
        ];
        Vocabulary::build(docs.iter(), stem)
    }

    fn lookup(word: &str) -> Lookup {
        let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&vocabulary()).unwrap();
        rkyv::access::<ArchivedVocabulary, rkyv::rancor::Error>(&bytes)
            .unwrap()
            .lookup(word)
    }

    #[test]
    fn known_words_and_stems_pass_through() {
        assert_eq!(lookup("deployment"), Lookup::Known("deploy".into()));
        assert_eq!(lookup("upgrading"), Lookup::Known("upgrad".into()));
    }

    #[test]
    fn typos_are_corrected_within_budget() {
        assert!(
            matches!(lookup("deplyoment"), Lookup::Corrected { ref word, .. } if word == "deployment")
        );
        assert!(
            matches!(lookup("chekout"), Lookup::Corrected { ref word, .. } if word == "checkout")
        );
        assert_eq!(lookup("zzzzzz"), Lookup::Unknown);
        assert_eq!(lookup("pge"), Lookup::Unknown);
    }
}
