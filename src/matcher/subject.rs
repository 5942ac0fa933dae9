//! What each article is about, read from its title, and how much of that
//! subject a failure mentions.
//!
//! Several articles often quote the same generic error ("Allowed memory size
//! ... exhausted", Composer's "Your requirements could not be resolved"):
//! a catalogue of PHP fatal errors, and the troubleshooting page of one
//! product that happens to list it. The quote matches both alike; what tells
//! them apart is whether the log also speaks of the article's subject (PHP
//! fatal errors, component dependencies) or of something else entirely (a
//! product the log never names).

use std::collections::{HashMap, HashSet};

use crate::rulebook::rule::Rule;
use crate::text::terms;

/// Title terms of every rule, each weighted by how rare it is among the
/// rules, so that "error" or "fails" in a title counts for next to nothing
/// and a product or component name for most.
#[derive(Debug, Default)]
pub struct Subjects {
    per_rule: Vec<Vec<(String, f64)>>,
}

/// The terms of every rule's title, sorted and without repeats: computed
/// once at start-up for [`Subjects`] and the compiler's identity lines.
pub fn title_terms(rules: &[Rule]) -> Vec<Vec<String>> {
    rules
        .iter()
        .map(|rule| {
            let mut own = terms(&rule.title);
            own.sort_unstable();
            own.dedup();
            own
        })
        .collect()
}

impl Subjects {
    pub fn new(rules: &[Rule]) -> Subjects {
        Subjects::from_titles(rules, title_terms(rules))
    }

    /// [`Subjects::new`] with the [`title_terms`] of `rules` at hand.
    pub fn from_titles(rules: &[Rule], titles: Vec<Vec<String>>) -> Subjects {
        // Rarity over titles and descriptions: a term every description
        // uses is not what sets an article apart.
        let mut df: HashMap<String, usize> = HashMap::new();
        for (rule, title) in rules.iter().zip(&titles) {
            let seen: HashSet<String> = title
                .iter()
                .cloned()
                .chain(terms(&rule.description))
                .collect();
            for t in seen {
                *df.entry(t).or_default() += 1;
            }
        }
        let n = rules.len().max(1) as f64;
        let per_rule = titles
            .into_iter()
            .map(|own| {
                own.into_iter()
                    .map(|t| {
                        let idf = (n / df.get(&t).copied().unwrap_or(1) as f64).ln();
                        (t, idf.max(0.0))
                    })
                    .collect()
            })
            .collect();
        Subjects { per_rule }
    }

    /// Share of `rule`'s title (by rarity) that occurs among `words`, in
    /// `[0, 1]`; 0 for a rule whose title has no telling term.
    pub fn coverage(&self, rule: usize, words: &HashSet<String>) -> f64 {
        let Some(title) = self.per_rule.get(rule) else {
            return 0.0;
        };
        let total: f64 = title.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let found: f64 = title
            .iter()
            .filter(|(t, _)| words.contains(t))
            .map(|(_, w)| w)
            .sum();
        found / total
    }
}

/// The terms of a failure's lines, as [`Subjects::coverage`] compares them.
pub fn failure_terms<'a>(lines: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
    lines.into_iter().flat_map(terms).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, title: &str) -> Rule {
        Rule {
            id: id.to_string(),
            title: title.to_string(),
            ..Rule::default()
        }
    }

    #[test]
    fn a_log_naming_the_subject_covers_the_title() {
        let rules = vec![
            rule("a", "Troubleshoot the Acme Payments installation"),
            rule("b", "PHP fatal errors: causes and fixes"),
            rule("c", "Deployment fails"),
            rule("d", "Deployment fails with a timeout"),
        ];
        let subjects = Subjects::new(&rules);
        let words = failure_terms(["PHP Fatal error: Allowed memory size exhausted"]);
        assert_eq!(subjects.coverage(0, &words), 0.0);
        let php = subjects.coverage(1, &words);
        assert!(php > 0.4 && php < 1.0, "{php}");
        let words = failure_terms(["Troubleshoot the acme payments installation"]);
        assert!((subjects.coverage(0, &words) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn rare_title_words_weigh_more_than_common_ones() {
        let rules = vec![
            rule("a", "Deployment fails: timeout"),
            rule("b", "Deployment fails: disk"),
            rule("c", "Deployment fails: keys"),
        ];
        let subjects = Subjects::new(&rules);
        let common = subjects.coverage(0, &failure_terms(["deployment fails"]));
        let rare = subjects.coverage(0, &failure_terms(["timeout"]));
        assert!(rare > common, "{rare} <= {common}");
    }

    #[test]
    fn unknown_rule_or_empty_title_covers_nothing() {
        let subjects = Subjects::new(&[rule("a", "")]);
        let words = failure_terms(["anything"]);
        assert_eq!(subjects.coverage(0, &words), 0.0);
        assert_eq!(subjects.coverage(7, &words), 0.0);
    }
}
