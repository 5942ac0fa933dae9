//! Article -> Rule: derive signatures from the error text an article quotes,
//! pick keywords, and carry over what diagnose and search need.

pub mod signature;

use crate::article::model::Article;
use crate::lazy::lazy;
use crate::rulebook::rule::{Issue, Link, Rule};

/// Most signatures (quoted blocks) kept per rule, and lines per signature:
/// articles that quote long logs would otherwise carry dozens of
/// near-identical lines.
const MAX_SIGNATURES: usize = 12;
const MAX_SIGNATURE_LINES: usize = 8;
const MAX_KEYWORDS: usize = 12;

/// Build the rule for one article.
pub fn rule_from_article(article: &Article) -> Rule {
    let mut signatures: Vec<String> = Vec::new();
    let described = described_errors(article);
    // One signature per quoted block, a template per line: the matcher
    // weighs how much of a block a log reproduces, so a generic header line
    // ("Your requirements could not be resolved") alone counts for less than
    // the header with the article's own detail lines.
    let mut seen_lines: Vec<String> = Vec::new();
    for block in article.quoted_errors.iter().chain(&described) {
        let lines: Vec<String> = signature::templates_of_block(block, &article.title)
            .into_iter()
            .filter(|t| !seen_lines.contains(t))
            .take(MAX_SIGNATURE_LINES)
            .collect();
        if lines.is_empty() || signatures.len() >= MAX_SIGNATURES {
            continue;
        }
        seen_lines.extend(lines.iter().cloned());
        signatures.push(lines.join("\n"));
    }
    Rule {
        id: article.id.clone(),
        title: article.title.clone(),
        parent: article.parent.clone().unwrap_or_default(),
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
        body: article.body.clone(),
        ..Rule::default()
    }
}

/// Error messages an article quotes inside its prose rather than in a code
/// block: a quoted phrase in the title ("The 'X' error on deployment") or a
/// quoted, error-like sentence in the issue text. Many articles quote their
/// error only this way, and without it they could only be found by
/// similarity.
fn described_errors(article: &Article) -> Vec<String> {
    lazy! {
        static QUOTED: regex::Regex = {
            // Inside single quotes, an apostrophe (`isn't`) and a quoted word
            // (`'There are no commands defined in the 'cache' namespace'`) do
            // not end the phrase.
            regex::Regex::new(concat!(
                r#"(?:^|[\s(:])(?:'((?:[^']|'[^'\s]{1,40}'\s|'\w)+)'"#,
                r#"|"([^"]+)"|‘((?:[^’]|’\w)+)’|“([^”]+)”)"#,
            ))
            .expect("static quoted-phrase regex")
        };
    }
    let description = article.description.as_deref().unwrap_or("");
    let texts = [
        article.title.as_str(),
        description,
        article.issue.text.as_str(),
        article.issue.actual.as_str(),
    ];
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        for caps in QUOTED.captures_iter(text) {
            let Some(quoted) = (1..=4).find_map(|i| caps.get(i)) else {
                continue;
            };
            let whole = caps.get(0).expect("match");
            let around = |from: usize, to: usize| {
                text.get(from..to)
                    .map(str::to_lowercase)
                    .unwrap_or_default()
            };
            // `"Area code is not set" error`: the article says it is one,
            // error word or not.
            let called_error = around(whole.end(), (whole.end() + 12).min(text.len()))
                .trim_start()
                .starts_with("error")
                || around(whole.start().saturating_sub(14), whole.start())
                    .trim_end()
                    .ends_with("error");
            let quoted = quoted.as_str().trim();
            if !(12..=300).contains(&quoted.chars().count()) {
                continue;
            }
            if quoted.split_whitespace().count() >= 3
                && (called_error || crate::article::sections::looks_like_error(quoted))
                && !out.iter().any(|o| o == quoted)
            {
                out.push(quoted.to_string());
            }
        }
    }
    out
}

/// Distinctive words of the title, then of the labels: what a person would
/// type for this article. Plain words (not stems) so people can read them.
fn keywords(article: &Article) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // A section is also named by its page: "Issue - Order missing" is
    // about what the page's title says.
    let sources = std::iter::once(article.title.as_str())
        .chain(article.parent_title.as_deref())
        .chain(article.labels.iter().map(String::as_str));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn described(title: &str) -> Vec<String> {
        let article = Article {
            title: title.to_string(),
            ..Article::default()
        };
        described_errors(&article)
    }

    #[test]
    fn a_quote_the_title_calls_an_error_is_one() {
        assert_eq!(
            described(r#"Checkout stops with "Widget cache is stale" error"#),
            ["Widget cache is stale"]
        );
        assert_eq!(
            described(r#"Checkout stops with error "Widget cache is stale""#),
            ["Widget cache is stale"]
        );
        assert_eq!(
            described(r#"Banner says "Could not load widget cache" on start"#),
            ["Could not load widget cache"]
        );
    }

    #[test]
    fn a_quoted_word_or_an_apostrophe_does_not_end_a_quote() {
        assert_eq!(
            described(
                "Deploy fails: 'There are no widgets defined in the 'gadget' namespace' error"
            ),
            ["There are no widgets defined in the 'gadget' namespace"]
        );
        assert_eq!(
            described(
                "Install stops with 'The default widget isn't defined. Set the widget.' error"
            ),
            ["The default widget isn't defined. Set the widget."]
        );
        assert_eq!(
            described("Install stops with ‘The default widget isn’t defined’ error"),
            ["The default widget isn’t defined"]
        );
        // Two quotes side by side stay two.
        assert!(
            described("Error 'widget store gone' or 'gadget store gone'")
                .iter()
                .all(|q| !q.contains(" or "))
        );
    }

    #[test]
    fn a_quoted_value_the_title_names_stays_in_the_signature() {
        let article = Article {
            title: "Deploy fails: 'There are no widgets defined in the 'gadget' namespace' error"
                .to_string(),
            ..Article::default()
        };
        assert_eq!(
            rule_from_article(&article).signatures,
            ["There are no widgets defined in the 'gadget' namespace"]
        );
    }

    #[test]
    fn other_quotes_in_a_title_are_not_errors() {
        assert!(described(r#"Banner says "Widget cache is stale" on start"#).is_empty());
        // Too short to be a message.
        assert!(described(r#"The "widget-cache-stale" error"#).is_empty());
    }
}
