//! Reference tables (one row per error code or message) -> one [`Article`]
//! per row. Columns are recognised by their header words, so any table of
//! codes/messages with titles and suggested actions qualifies.

use crate::lazy::lazy;

use regex::Regex;

use super::model::{Article, Block, Document, Issue};

lazy! {
    static KEY_CODE: Regex = word(r"codes?|id");
}
lazy! {
    static KEY_MESSAGE: Regex = {
        Regex::new(r"(?i)^\s*(errors?|error messages?|messages?)\s*$").expect("valid regex")
    };
}
lazy! {
    static TITLE: Regex = word(r"title|messages?|summary|errors?|description|name");
}
lazy! {
    static ACTION: Regex = {
        word(
            r"actions?|solutions?|resolutions?|fix(es)?|remed(y|iation)|recommendations?|suggestions?|what to do",
        )
    };
}
lazy! {
    static STEP: Regex = word(r"steps?");
}
lazy! {
    static STAGE: Regex = word(r"stages?|phases?");
}
lazy! {
    static CAUSE: Regex = word(r"causes?|reasons?|description|explanation|details");
}
lazy! {
    /// "Build stage", "Post-deploy phase" -> the stage name.
    static STAGE_HEADING: Regex = Regex::new(r"(?i)^(.+?)\s+(stage|phase)$").expect("valid regex");
}
lazy! {
    /// Log-level words that name a group of codes ("Critical Errors").
    static SEVERITY_HEADING: Regex = {
        Regex::new(r"(?i)^(critical|fatal|error|warning|notice|info|debug|alert|emergency)s?\b")
            .expect("valid regex")
    };
}

fn word(alternatives: &str) -> Regex {
    Regex::new(&format!(r"(?i)\b({alternatives})\b")).expect("valid regex")
}

/// Which column holds what, decided from the header row.
#[derive(Debug, PartialEq, Eq)]
struct Columns {
    key: usize,
    key_is_code: bool,
    title: Option<usize>,
    action: Option<usize>,
    step: Option<usize>,
    stage: Option<usize>,
    cause: Option<usize>,
}

fn columns(header: &[String]) -> Option<Columns> {
    let find = |re: &Regex, taken: &[usize]| {
        header
            .iter()
            .enumerate()
            .find(|(i, h)| !taken.contains(i) && re.is_match(h))
            .map(|(i, _)| i)
    };
    let (key, key_is_code) = match find(&KEY_CODE, &[]) {
        Some(i) => (i, true),
        None => (find(&KEY_MESSAGE, &[])?, false),
    };
    let mut taken = vec![key];
    // A column that says "title" wins over one that merely says "message".
    let title = find(&word("title"), &taken).or_else(|| find(&TITLE, &taken));
    taken.extend(title);
    let action = find(&ACTION, &taken);
    taken.extend(action);
    let step = find(&STEP, &taken);
    taken.extend(step);
    let stage = find(&STAGE, &taken);
    taken.extend(stage);
    let cause = find(&CAUSE, &taken);
    if title.is_none() && action.is_none() {
        return None;
    }
    Some(Columns {
        key,
        key_is_code,
        title,
        action,
        step,
        stage,
        cause,
    })
}

/// True when the document holds at least one reference table.
pub fn has_reference_table(doc: &Document) -> bool {
    doc.blocks
        .iter()
        .any(|b| matches!(b, Block::Table { header, .. } if columns(header).is_some()))
}

/// Splits an action paragraph into steps at sentence ends.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        let ends = matches!(c, '.' | '!' | '?')
            && chars.get(i + 1).is_some_and(|n| n.is_whitespace())
            && chars[i + 1..]
                .iter()
                .find(|n| !n.is_whitespace())
                .is_some_and(|n| n.is_uppercase());
        if ends {
            let s = current.trim().to_string();
            if !s.is_empty() {
                out.push(s);
            }
            current.clear();
        }
    }
    let s = current.trim().to_string();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

fn cell(row: &[String], col: Option<usize>) -> String {
    col.and_then(|i| row.get(i))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn slug(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// One article per row of every reference table in the document.
pub fn rows(doc: &Document, stem: &str, source: &str) -> Vec<Article> {
    let mut headings: Vec<(u8, String)> = Vec::new();
    let mut out: Vec<Article> = Vec::new();
    for block in &doc.blocks {
        match block {
            Block::Heading { level, text, .. } => {
                headings.retain(|(l, _)| l < level);
                headings.push((*level, text.clone()));
            }
            Block::Table { header, rows } => {
                let Some(cols) = columns(header) else {
                    continue;
                };
                let stage = headings
                    .iter()
                    .rev()
                    .find_map(|(_, h)| STAGE_HEADING.captures(h.trim()).map(|c| slug(&c[1])));
                let severity = headings.iter().rev().find_map(|(_, h)| {
                    SEVERITY_HEADING
                        .captures(h.trim())
                        .map(|c| c[1].to_lowercase())
                });
                for row in rows {
                    if let Some(article) =
                        row_article(doc, &cols, row, stem, source, &stage, &severity)
                    {
                        out.push(article);
                    }
                }
            }
            _ => {}
        }
    }
    make_ids_unique(&mut out);
    out
}

fn row_article(
    doc: &Document,
    cols: &Columns,
    row: &[String],
    stem: &str,
    source: &str,
    stage: &Option<String>,
    severity: &Option<String>,
) -> Option<Article> {
    let raw_key = cell(row, Some(cols.key));
    let key = raw_key
        .trim_matches(|c: char| c == '[' || c == ']' || c.is_whitespace())
        .to_string();
    if key.is_empty() {
        return None;
    }
    let title = cell(row, cols.title);
    let action = cell(row, cols.action);
    let step = cell(row, cols.step);
    let cause = cell(row, cols.cause);
    let message = if title.is_empty() && !cols.key_is_code {
        key.clone()
    } else {
        title.clone()
    };
    let mut labels = doc.front.labels.clone();
    for label in [severity.clone(), (!step.is_empty()).then_some(step)]
        .into_iter()
        .flatten()
    {
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    let stage = stage.clone().or_else(|| {
        let s = cell(row, cols.stage);
        (!s.is_empty()).then(|| slug(&s))
    });
    let id_key: String = key
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    Some(Article {
        id: format!("{stem}#{id_key}"),
        source: source.to_string(),
        title: if message.is_empty() {
            key.clone()
        } else {
            message.clone()
        },
        link: doc.front.link.clone(),
        labels,
        description: doc.front.description.clone(),
        products: Vec::new(),
        stage,
        issue: Issue {
            text: message.clone(),
            ..Issue::default()
        },
        cause,
        steps: sentences(&action),
        related: Vec::new(),
        quoted_errors: if message.is_empty() {
            Vec::new()
        } else {
            vec![message]
        },
        error_codes: if cols.key_is_code {
            vec![key]
        } else {
            Vec::new()
        },
        parent: Some(stem.to_string()),
        parent_title: None,
        body: String::new(),
    })
}

/// The same key listed twice (in two tables) must not collide downstream.
fn make_ids_unique(articles: &mut [Article]) {
    let mut seen: Vec<String> = Vec::new();
    for article in articles.iter_mut() {
        let base = article.id.clone();
        let mut n = 1;
        while seen.contains(&article.id) {
            n += 1;
            article.id = format!("{base}-{n}");
        }
        seen.push(article.id.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recognises_columns_by_header_words() {
        let cols = columns(&h(&[
            "Error code",
            "Build step",
            "Error description (Title)",
            "Suggested action",
        ]))
        .unwrap();
        assert_eq!(cols.key, 0);
        assert!(cols.key_is_code);
        assert_eq!(cols.title, Some(2));
        assert_eq!(cols.action, Some(3));
        assert_eq!(cols.step, Some(1));
        assert!(columns(&h(&["folder", "what", "format"])).is_none());
        assert!(columns(&h(&["Issue type", "Best practices"])).is_none());
        let by_message = columns(&h(&["Message", "Solution"])).unwrap();
        assert!(!by_message.key_is_code);
    }

    #[test]
    fn splits_sentences() {
        assert_eq!(
            sentences("Run `x` locally. Then, push the file.lock file. Also check."),
            [
                "Run `x` locally.",
                "Then, push the file.lock file.",
                "Also check."
            ]
        );
    }
}
