//! The snippet of a hit: a short window of the rule's text around the
//! passage where most query terms meet, with the matched words marked.

use std::collections::HashMap;

use crate::rulebook::Rule;
use crate::text::stem;

use super::analysis::word_spans;

/// About one terminal line and a half.
pub(crate) const SNIPPET_BYTES: usize = 160;
const ELLIPSIS: &str = "…";

/// The texts a snippet may come from, most telling first: on a tie the
/// earlier one wins, so an error message beats a remediation step.
fn passages(rule: &Rule) -> Vec<&str> {
    let mut texts: Vec<&str> = Vec::new();
    texts.extend(rule.signatures.iter().flat_map(|s| s.lines()));
    texts.push(&rule.issue.text);
    texts.push(&rule.issue.actual);
    texts.push(&rule.description);
    texts.push(&rule.cause);
    texts.extend(rule.issue.steps_to_reproduce.iter().map(String::as_str));
    texts.extend(rule.steps.iter().map(String::as_str));
    texts.push(&rule.title);
    texts.retain(|t| !t.trim().is_empty());
    texts
}

/// The query's stems with their importance, and which words of the rules'
/// texts stem to one of them. Each distinct word is stemmed once per
/// search: passages repeat their words, and stemming was most of the cost
/// of the snippets.
pub(crate) struct QueryStems<'w> {
    weights: &'w HashMap<String, f64>,
    words: HashMap<String, Option<&'w str>>,
}

impl<'w> QueryStems<'w> {
    pub fn new(weights: &'w HashMap<String, f64>) -> QueryStems<'w> {
        QueryStems {
            weights,
            words: HashMap::new(),
        }
    }

    /// The query stem `word` (as it stands in a text) stems to, if any.
    fn of(&mut self, word: &str) -> Option<&'w str> {
        let lower = word.to_lowercase();
        if let Some(&known) = self.words.get(&lower) {
            return known;
        }
        let weights = self.weights;
        let found = weights
            .get_key_value(&stem(&lower))
            .map(|(k, _)| k.as_str());
        self.words.insert(lower, found);
        found
    }

    fn weight(&self, stemmed: &str) -> f64 {
        self.weights.get(stemmed).copied().unwrap_or(0.0)
    }
}

/// The snippet and the byte ranges, inside it, of words whose stem is one of
/// the query's.
pub(crate) fn snippet(rule: &Rule, stems: &mut QueryStems) -> (String, Vec<(usize, usize)>) {
    let texts: Vec<String> = passages(rule)
        .into_iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    // (score, passage, anchor)
    let mut best: Option<(f64, usize, usize)> = None;
    for (at, text) in texts.iter().enumerate() {
        let matches: Vec<(usize, usize, &str)> = word_spans(text)
            .into_iter()
            .filter_map(|(s, e)| stems.of(&text[s..e]).map(|stemmed| (s, e, stemmed)))
            .collect();
        for (first, &(start, _, _)) in matches.iter().enumerate() {
            let mut seen: Vec<&str> = Vec::new();
            let mut score = 0.0;
            for &(_, end, stemmed) in &matches[first..] {
                if end > start + SNIPPET_BYTES {
                    break;
                }
                if !seen.contains(&stemmed) {
                    seen.push(stemmed);
                    score += stems.weight(stemmed);
                }
            }
            if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                best = Some((score, at, start));
            }
        }
        if best.is_none() {
            // Nothing matched anywhere yet: remember the most telling passage
            // so a hit found through a corrected word still shows something.
            best = Some((0.0, at, 0));
        }
    }
    let Some((_, at, anchor)) = best else {
        return (rule.title.clone(), Vec::new());
    };
    cut(&texts[at], anchor, stems)
}

/// The window of `text` that shows the match at `anchor` with a little of
/// what leads up to it, cut at word boundaries.
fn cut(text: &str, anchor: usize, stems: &mut QueryStems) -> (String, Vec<(usize, usize)>) {
    // Start a little before the match; when the text ends early, start
    // earlier so the window is still full.
    let lead = (SNIPPET_BYTES / 6).max(SNIPPET_BYTES.saturating_sub(text.len() - anchor));
    let start = match anchor.saturating_sub(lead) {
        0 => 0,
        from => {
            // Begin at a word: the first space after `from`, but never past the match.
            let from = ceil_char_boundary(text, from);
            text[from..anchor]
                .find(' ')
                .map_or(from, |space| from + space + 1)
        }
    };
    let mut end = floor_char_boundary(text, (start + SNIPPET_BYTES).min(text.len()));
    if end < text.len() {
        if let Some(space) = text[start..end]
            .rfind(' ')
            .filter(|&s| s > SNIPPET_BYTES / 2)
        {
            end = start + space;
        }
    }
    let mut snippet = String::new();
    if start > 0 {
        snippet.push_str(ELLIPSIS);
    }
    let offset = snippet.len();
    snippet.push_str(text[start..end].trim_end());
    if end < text.len() {
        snippet.push_str(ELLIPSIS);
    }
    let body = &snippet[offset..];
    let highlights = word_spans(body)
        .into_iter()
        .filter(|&(s, e)| stems.of(&body[s..e]).is_some())
        .map(|(s, e)| (s + offset, e + offset))
        .collect();
    (snippet, highlights)
}

fn ceil_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_centres_on_matches_and_marks_them() {
        let rule = Rule {
            id: "x".into(),
            title: "Title".into(),
            cause: format!(
                "{} The checkout page stays blank because the static content was not deployed. {}",
                "Filler words here. ".repeat(20),
                "More filler after. ".repeat(20)
            ),
            ..Rule::default()
        };
        let weights: HashMap<String, f64> = [("checkout", 2.0), ("blank", 1.0), ("static", 1.0)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        let (snippet, highlights) = snippet(&rule, &mut QueryStems::new(&weights));
        assert!(
            snippet.len() <= SNIPPET_BYTES + 2 * ELLIPSIS.len(),
            "{snippet}"
        );
        assert!(snippet.starts_with(ELLIPSIS) && snippet.ends_with(ELLIPSIS));
        let marked: Vec<&str> = highlights.iter().map(|&(s, e)| &snippet[s..e]).collect();
        assert_eq!(marked, vec!["checkout", "blank", "static"]);
    }

    #[test]
    fn short_text_is_whole_and_unicode_safe() {
        let rule = Rule {
            id: "x".into(),
            title: "Ünïcode – déploiement échoue".into(),
            ..Rule::default()
        };
        let weights: HashMap<String, f64> = [("échou".to_string(), 1.0)].into();
        let (snippet, _) = snippet(&rule, &mut QueryStems::new(&weights));
        assert_eq!(snippet, "Ünïcode – déploiement échoue");
    }
}
