//! Equivalent terms: abbreviations and their expansions, and words used
//! interchangeably for one thing. The list is domain knowledge and lives in
//! `knowledge/search-vocabulary.toml`, embedded at build time; this module
//! only knows how to apply it, so the engine stays free of any one domain.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::text::terms;

const BUNDLED: &str = include_str!("../../knowledge/search-vocabulary.toml");

#[derive(Debug, Deserialize)]
struct VocabularyFile {
    #[serde(default)]
    equivalent: Vec<Equivalent>,
}

#[derive(Debug, Deserialize)]
struct Equivalent {
    terms: Vec<String>,
}

/// Groups of equivalent phrases, each phrase as its stemmed terms.
#[derive(Debug, Default)]
pub(crate) struct Equivalents {
    groups: Vec<Vec<Vec<String>>>,
}

/// Another way of saying a phrase found in the query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alternative<'a> {
    /// Positions in the query's terms of the phrase that was found.
    pub found: Vec<usize>,
    pub terms: &'a [String],
}

impl Equivalents {
    pub fn parse(text: &str) -> Result<Equivalents, toml::de::Error> {
        let file: VocabularyFile = toml::from_str(text)?;
        let groups = file
            .equivalent
            .into_iter()
            .map(|e| {
                e.terms
                    .iter()
                    .map(|t| terms(t))
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|g| g.len() > 1)
            .collect();
        Ok(Equivalents { groups })
    }

    /// The bundled list. It is checked by a unit test, so a parse error here
    /// can only come from a broken build; search then goes without it.
    pub fn bundled() -> &'static Equivalents {
        static BUNDLED_LIST: OnceLock<Equivalents> = OnceLock::new();
        BUNDLED_LIST.get_or_init(|| Equivalents::parse(BUNDLED).unwrap_or_default())
    }

    /// For each phrase of a group found (contiguously) in `query` (stemmed
    /// terms in order), the other phrases of its group.
    pub fn alternatives<'a>(&'a self, query: &[String]) -> Vec<Alternative<'a>> {
        let mut found = Vec::new();
        for group in &self.groups {
            for (which, phrase) in group.iter().enumerate() {
                let Some(start) = query
                    .windows(phrase.len())
                    .position(|w| w == phrase.as_slice())
                else {
                    continue;
                };
                let positions: Vec<usize> = (start..start + phrase.len()).collect();
                for (other, terms) in group.iter().enumerate() {
                    if other != which {
                        found.push(Alternative {
                            found: positions.clone(),
                            terms,
                        });
                    }
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_parses() {
        let list = Equivalents::parse(BUNDLED).expect("knowledge/search-vocabulary.toml");
        assert!(!list.groups.is_empty());
    }

    #[test]
    fn a_phrase_in_the_query_brings_its_equivalents() {
        let list = Equivalents::parse(
            r#"
            [[equivalent]]
            terms = ["xyz", "extra yield zone"]
            "#,
        )
        .unwrap();
        let query = terms("slow extra yield zones");
        let found = list.alternatives(&query);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].found, vec![1, 2, 3]);
        assert_eq!(found[0].terms, ["xyz"]);
        assert!(list.alternatives(&terms("yield extra zone")).is_empty());
    }
}
