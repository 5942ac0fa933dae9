//! Search results as text (rank, title, id, snippet, link) and JSON.

use serde::Serialize;

use super::{styled, DIM, HEADING, LINK, MATCH};
use crate::rulebook::rule::{article_link, Rule};
use crate::search::Hit;

/// One result in the JSON contract of `triage search --format json`.
#[derive(Serialize)]
struct ResultView<'a> {
    id: &'a str,
    title: &'a str,
    source: &'a str,
    link: &'a str,
    score: f64,
    snippet: &'a str,
    /// Other editions of the same article, folded into this result.
    also: Vec<&'a str>,
}

#[derive(Serialize)]
struct Results<'a> {
    results: Vec<ResultView<'a>>,
}

pub fn json(rules: &[Rule], hits: &[Hit]) -> String {
    let results = hits
        .iter()
        .map(|h| {
            let r = &rules[h.rule];
            ResultView {
                id: &r.id,
                title: &r.title,
                source: &r.source,
                link: article_link(rules, h.rule, &h.also),
                score: (h.score * 1000.0).round() / 1000.0,
                snippet: &h.snippet,
                also: h.also.iter().map(|&a| rules[a].id.as_str()).collect(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&Results { results }).expect("search results serialise")
}

/// The snippet with its query-term matches styled.
fn highlighted(hit: &Hit) -> String {
    let mut out = String::new();
    let mut at = 0;
    let s = &hit.snippet;
    for &(start, end) in &hit.highlights {
        if start < at || end > s.len() || !s.is_char_boundary(start) || !s.is_char_boundary(end) {
            continue;
        }
        out.push_str(&s[at..start]);
        out.push_str(&styled(MATCH, &s[start..end]));
        at = end;
    }
    out.push_str(&s[at..]);
    out
}

pub fn text(rules: &[Rule], hits: &[Hit]) -> String {
    let mut out = String::new();
    for (i, h) in hits.iter().enumerate() {
        let r = &rules[h.rule];
        out.push_str(&format!(
            "{:>2}. {}  {}\n",
            i + 1,
            styled(HEADING, &r.title),
            styled(DIM, &format!("[{}]", r.id))
        ));
        if !h.snippet.is_empty() {
            out.push_str(&format!("    {}\n", highlighted(h)));
        }
        let link = article_link(rules, h.rule, &h.also);
        if !link.is_empty() {
            out.push_str(&format!("    {}\n", styled(LINK, link)));
        }
        if !h.also.is_empty() {
            let also: Vec<&str> = h.also.iter().map(|&a| rules[a].id.as_str()).collect();
            out.push_str(&format!(
                "    {}\n",
                styled(DIM, &format!("also published as {}", also.join(", ")))
            ));
        }
    }
    if let Some(first) = hits.first() {
        out.push_str(&styled(
            DIM,
            &format!("\nRead one: triage show {}\n", rules[first.rule].id),
        ));
    }
    out
}
