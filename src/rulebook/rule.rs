//! The rule: one article's knowledge in the form diagnose and search use.
//!
//! This file is also compiled by `build.rs` (via `#[path]`) to lint the
//! embedded rules at build time, so it depends only on serde and regex.

use serde::{Deserialize, Serialize};

/// One rule file (`rules/<id>.toml`). Field order here is the order in the
/// TOML file, chosen for a person reading it top to bottom.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// For one problem of a page covering several (`page#fragment`): the
    /// page's id. The link then points at the section.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parent: String,
    /// Path of the article relative to the ingest root.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub link: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    /// The stage of the run where the failure shows: build, deploy, install ...
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stage: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Error templates: literal text with `<*>` where an installation-specific
    /// value (number, path, hash, name, version) stood. A signature may span
    /// several lines (one quoted block); each line is matched on its own and
    /// the share of the block found in a log weighs the evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<String>,
    /// Hand-written regular expressions, for what templates cannot express.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<String>,
    /// Error codes the tool prints as `[code]` after the level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
    /// Regexes of which at least one must occur in the log for the rule to fire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<String>,
    /// Regexes that veto the rule when they occur in the failure region.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Issue::is_empty")]
    pub issue: Issue,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cause: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Link>,
    /// The article's whole text, one block a line: ranked at a low weight,
    /// so that what the structure missed still counts.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    #[serde(default, skip_serializing_if = "Examples::is_empty")]
    pub examples: Examples,
    /// Digest of the generated content; a file whose content no longer
    /// matches it was edited by a person and is not overwritten.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub generated: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issue {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps_to_reproduce: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub expected: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub actual: String,
}

/// Where to read the article of `rule`: its own link, else the link of one
/// of its other `editions` (a knowledge-base edition often carries none,
/// while the help-center edition of the same article does).
pub fn article_link<'r>(rules: &'r [Rule], rule: usize, editions: &[usize]) -> &'r str {
    std::iter::once(rule)
        .chain(editions.iter().copied())
        .filter_map(|r| rules.get(r))
        .map(|r| r.link.as_str())
        .find(|link| !link.is_empty())
        .unwrap_or("")
}

impl Issue {
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
            && self.steps_to_reproduce.is_empty()
            && self.expected.is_empty()
            && self.actual.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub text: String,
    pub url: String,
}

/// Log excerpts that must, and must not, make this rule fire (Sigma-style).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub must_match: Vec<String>,
    #[serde(default, rename = "no_match", skip_serializing_if = "Vec::is_empty")]
    pub must_not_match: Vec<String>,
}

impl Examples {
    pub fn is_empty(&self) -> bool {
        self.must_match.is_empty() && self.must_not_match.is_empty()
    }
}

/// The wildcard that stands for a variable part inside a signature template.
pub const WILDCARD: &str = "<*>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edition_without_a_link_borrows_its_twin_s() {
        let rule = |id: &str, link: &str| Rule {
            id: id.to_string(),
            link: link.to_string(),
            ..Rule::default()
        };
        let rules = [
            rule("widget-kb", ""),
            rule("1234", "https://help.example/1234"),
            rule("gadget-kb", ""),
        ];
        assert_eq!(article_link(&rules, 0, &[1]), "https://help.example/1234");
        assert_eq!(article_link(&rules, 1, &[0]), "https://help.example/1234");
        assert_eq!(article_link(&rules, 2, &[]), "");
    }
}
