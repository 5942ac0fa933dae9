//! Article -> Rule: derive signatures from the error text an article quotes,
//! pick keywords, and carry over what diagnose and search need.

pub mod signature;

use crate::article::model::Article;
use crate::rulebook::rule::{Issue, Link, Rule};

/// Most signatures kept per rule: articles that quote long logs would
/// otherwise carry dozens of near-identical lines.
const MAX_SIGNATURES: usize = 16;
const MAX_KEYWORDS: usize = 12;

/// Build the rule for one article.
pub fn rule_from_article(article: &Article) -> Rule {
    let mut signatures: Vec<String> = Vec::new();
    for block in &article.quoted_errors {
        for t in signature::templates_of_block(block) {
            if signatures.len() < MAX_SIGNATURES && !signatures.contains(&t) {
                signatures.push(t);
            }
        }
    }
    Rule {
        id: article.id.clone(),
        title: article.title.clone(),
        source: article.source.clone(),
        link: article.link.clone().unwrap_or_default(),
        labels: article.labels.clone(),
        products: article.products.clone(),
        stage: article.stage.clone().unwrap_or_default(),
        description: article.description.clone().unwrap_or_default(),
        signatures,
        error_codes: article.error_codes.clone(),
        keywords: keywords(article),
        issue: Issue {
            text: article.issue.text.clone(),
            steps_to_reproduce: article.issue.steps_to_reproduce.clone(),
            expected: article.issue.expected.clone(),
            actual: article.issue.actual.clone(),
        },
        cause: article.cause.clone(),
        steps: article.steps.clone(),
        related: article
            .related
            .iter()
            .map(|l| Link {
                text: l.text.clone(),
                url: l.url.clone(),
            })
            .collect(),
        ..Rule::default()
    }
}

/// Distinctive words of the title, then of the labels: what a person would
/// type for this article. Plain words (not stems) so people can read them.
fn keywords(article: &Article) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let sources =
        std::iter::once(article.title.as_str()).chain(article.labels.iter().map(String::as_str));
    for text in sources {
        for w in crate::text::words(text) {
            if w.len() > 2
                && !crate::text::is_stop_word(&w)
                && !w.chars().all(|c| c.is_ascii_digit())
                && !out.contains(&w)
                && out.len() < MAX_KEYWORDS
            {
                out.push(w);
            }
        }
    }
    out
}
