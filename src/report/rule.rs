//! One rule, as `triage show` prints it.

use serde::Serialize;

use super::{numbered_steps, styled, DIM, EVIDENCE, HEADING, LINK};
use crate::rulebook::rule::{Link, Rule};

/// The symptoms a person reads: the error templates, error codes, and for
/// articles that quote no error, what the article says one sees.
pub fn symptoms(rule: &Rule) -> Vec<String> {
    // One symptom per line: a multi-line signature is a quoted block, but a
    // person scans its messages one by one.
    let mut out: Vec<String> = rule
        .signatures
        .iter()
        .flat_map(|s| s.lines())
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    out.extend(rule.error_codes.iter().map(|c| format!("error code [{c}]")));
    if out.is_empty() {
        for text in [&rule.issue.actual, &rule.issue.text] {
            if !text.is_empty() {
                out.push(first_sentence(text));
            }
        }
    }
    out
}

fn first_sentence(text: &str) -> String {
    let end = text
        .char_indices()
        .find(|&(i, c)| c == '.' && text[i + 1..].starts_with(' '))
        .map_or(text.len(), |(i, _)| i + 1);
    text[..end].chars().take(300).collect()
}

/// The JSON contract of `triage show --format json`.
#[derive(Serialize)]
pub struct RuleView<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// The page this rule is one section of (`page#fragment` ids).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub parent: &'a str,
    pub source: &'a str,
    pub link: &'a str,
    pub labels: &'a [String],
    pub products: &'a [String],
    pub stage: &'a str,
    pub symptoms: Vec<String>,
    pub issue: &'a crate::rulebook::rule::Issue,
    pub cause: &'a str,
    pub steps: &'a [String],
    pub related: &'a [Link],
}

pub fn view(rule: &Rule) -> RuleView<'_> {
    RuleView {
        id: &rule.id,
        title: &rule.title,
        parent: &rule.parent,
        source: &rule.source,
        link: &rule.link,
        labels: &rule.labels,
        products: &rule.products,
        stage: &rule.stage,
        symptoms: symptoms(rule),
        issue: &rule.issue,
        cause: &rule.cause,
        steps: &rule.steps,
        related: &rule.related,
    }
}

pub fn json(rule: &Rule) -> String {
    serde_json::to_string_pretty(&view(rule)).expect("rule view serialises")
}

pub fn text(rule: &Rule) -> String {
    let mut out = String::new();
    out.push_str(&format!("{}\n", styled(HEADING, &rule.title)));
    out.push_str(&format!("{}\n", styled(DIM, &format!("id {}", rule.id))));
    if !rule.parent.is_empty() {
        out.push_str(&format!(
            "{}\n",
            styled(DIM, &format!("a section of {}", rule.parent))
        ));
    }
    if !rule.link.is_empty() {
        out.push_str(&format!("{}\n", styled(LINK, &rule.link)));
    }
    if !rule.products.is_empty() {
        out.push_str(&format!("\n{}\n", styled(HEADING, "Applies to")));
        for p in &rule.products {
            out.push_str(&format!("  - {p}\n"));
        }
    }
    let symptoms = symptoms(rule);
    if !symptoms.is_empty() {
        out.push_str(&format!("\n{}\n", styled(HEADING, "Symptoms")));
        for s in &symptoms {
            out.push_str(&format!("  {}\n", styled(EVIDENCE, s)));
        }
    }
    let issue = &rule.issue;
    if !issue.text.is_empty() {
        out.push_str(&format!(
            "\n{}\n  {}\n",
            styled(HEADING, "Issue"),
            issue.text
        ));
    }
    if !issue.steps_to_reproduce.is_empty() {
        out.push_str(&format!("\n{}\n", styled(HEADING, "Steps to reproduce")));
        out.push_str(&numbered_steps(&issue.steps_to_reproduce, false));
    }
    for (label, value) in [
        ("Expected result", &issue.expected),
        ("Actual result", &issue.actual),
    ] {
        if !value.is_empty() {
            out.push_str(&format!("\n{}\n  {value}\n", styled(HEADING, label)));
        }
    }
    if !rule.cause.is_empty() {
        out.push_str(&format!(
            "\n{}\n  {}\n",
            styled(HEADING, "Cause"),
            rule.cause
        ));
    }
    if !rule.steps.is_empty() {
        out.push_str(&format!("\n{}\n", styled(HEADING, "Solution")));
        out.push_str(&numbered_steps(&rule.steps, false));
    }
    if !rule.related.is_empty() {
        out.push_str(&format!("\n{}\n", styled(HEADING, "Related reading")));
        for l in &rule.related {
            out.push_str(&format!(
                "  - {} {}\n",
                l.text,
                styled(LINK, &format!("<{}>", l.url))
            ));
        }
    }
    out
}

pub fn markdown(rule: &Rule) -> String {
    let mut out = format!("## {}\n\n", rule.title);
    out.push_str(&format!("`{}`", rule.id));
    if !rule.parent.is_empty() {
        out.push_str(&format!(" · a section of `{}`", rule.parent));
    }
    if !rule.link.is_empty() {
        out.push_str(&format!(" · <{}>", rule.link));
    }
    out.push_str("\n\n");
    if !rule.products.is_empty() {
        out.push_str("**Applies to:** ");
        out.push_str(&rule.products.join("; "));
        out.push_str("\n\n");
    }
    let symptoms = symptoms(rule);
    if !symptoms.is_empty() {
        out.push_str("**Symptoms**\n\n```\n");
        for s in &symptoms {
            out.push_str(s);
            out.push('\n');
        }
        out.push_str("```\n\n");
    }
    if !rule.issue.text.is_empty() {
        out.push_str(&format!("**Issue:** {}\n\n", rule.issue.text));
    }
    if !rule.cause.is_empty() {
        out.push_str(&format!("**Cause:** {}\n\n", rule.cause));
    }
    if !rule.steps.is_empty() {
        out.push_str("**Solution**\n\n");
        out.push_str(&numbered_steps(&rule.steps, true));
        out.push('\n');
    }
    if !rule.related.is_empty() {
        out.push_str("**Related reading**\n\n");
        for l in &rule.related {
            out.push_str(&format!("- [{}]({})\n", l.text, l.url));
        }
    }
    out
}
