//! Typo tolerance: a query word the index has never seen is replaced by the
//! closest word it has seen, within one edit for short words and two for
//! long ones. Only unknown words are corrected, so a rare but real word is
//! never bent into a common one.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::text::stem;

/// Every word of the indexed rules, with its stem and how many rules use it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Vocabulary {
    /// Surface word -> (stem, document frequency). Ordered so that a
    /// serialized index is byte-for-byte reproducible.
    words: BTreeMap<String, (String, u32)>,
    stems: HashSet<String>,
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
        let mut words: BTreeMap<String, (String, u32)> = BTreeMap::new();
        for doc in doc_words {
            for word in doc {
                if let Some(entry) = words.get_mut(word.as_str()) {
                    entry.1 += 1;
                } else {
                    words.insert(word.clone(), (stem_of(word), 1));
                }
            }
        }
        let stems = words.values().map(|(s, _)| s.clone()).collect();
        Vocabulary { words, stems }
    }

    pub fn lookup(&self, word: &str) -> Lookup {
        let stemmed = stem(word);
        if self.words.contains_key(word) || self.stems.contains(&stemmed) {
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
        let first = word.chars().next();
        let mut best: Option<(usize, u32, &str, &str)> = None;
        for (candidate, (candidate_stem, frequency)) in &self.words {
            let candidate_length = candidate.chars().count();
            if candidate_length.abs_diff(length) > budget {
                continue;
            }
            // Typos rarely hit the first letter; requiring it keeps the scan
            // cheap and the corrections plausible.
            if candidate.chars().next() != first {
                continue;
            }
            let distance = strsim::osa_distance(word, candidate);
            if distance > budget {
                continue;
            }
            let better = match best {
                None => true,
                Some((d, f, _, _)) => distance < d || (distance == d && *frequency > f),
            };
            if better {
                best = Some((distance, *frequency, candidate, candidate_stem));
            }
        }
        match best {
            Some((distance, _, word, stem)) => Lookup::Corrected {
                stem: stem.to_string(),
                word: word.to_string(),
                distance,
            },
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

    #[test]
    fn known_words_and_stems_pass_through() {
        let v = vocabulary();
        assert_eq!(v.lookup("deployment"), Lookup::Known("deploy".into()));
        assert_eq!(v.lookup("upgrading"), Lookup::Known("upgrad".into()));
    }

    #[test]
    fn typos_are_corrected_within_budget() {
        let v = vocabulary();
        assert!(
            matches!(v.lookup("deplyoment"), Lookup::Corrected { ref word, .. } if word == "deployment")
        );
        assert!(
            matches!(v.lookup("chekout"), Lookup::Corrected { ref word, .. } if word == "checkout")
        );
        assert_eq!(v.lookup("zzzzzz"), Lookup::Unknown);
        assert_eq!(v.lookup("pge"), Lookup::Unknown);
    }
}
