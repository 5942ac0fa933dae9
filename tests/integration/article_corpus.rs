//! Every file of the shared corpus loads; sections are found where the
//! article has them; text is clean. Skips when the corpus is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use triage::article::sections::looks_like_error;
use triage::article::{load_file, parse_document, Loaded};
use triage::{Article, Block};

use crate::support::shared::shared;

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn text_fields(a: &Article) -> Vec<(&'static str, &str)> {
    let mut out = vec![("title", a.title.as_str()), ("issue", &a.issue.text)];
    out.push(("expected", &a.issue.expected));
    out.push(("actual", &a.issue.actual));
    out.push(("cause", &a.cause));
    out.extend(a.description.iter().map(|d| ("description", d.as_str())));
    out.extend(a.labels.iter().map(|s| ("labels", s.as_str())));
    out.extend(a.products.iter().map(|s| ("products", s.as_str())));
    out.extend(
        a.issue
            .steps_to_reproduce
            .iter()
            .map(|s| ("repro", s.as_str())),
    );
    out.extend(a.steps.iter().map(|s| ("steps", s.as_str())));
    out.extend(a.quoted_errors.iter().map(|s| ("quoted", s.as_str())));
    out.extend(a.related.iter().map(|l| ("related", l.text.as_str())));
    out
}

fn literal_texts(blocks: &[Block], out: &mut Vec<String>) {
    for block in blocks {
        match block {
            Block::Code { text } => out.push(text.clone()),
            Block::List { items, .. } => {
                for item in items {
                    literal_texts(&item.children, out);
                }
            }
            _ => {}
        }
    }
}

/// `text` without the fenced code blocks a step holds.
fn without_fenced_code(text: &str) -> String {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        match fence {
            Some(f) if trimmed.starts_with(f) => fence = None,
            Some(_) => {}
            None if trimmed.starts_with("```") => fence = Some("```"),
            None if trimmed.starts_with("~~~") => fence = Some("~~~"),
            None => out.push(line),
        }
    }
    out.join("\n")
}

fn is_heading(text: &str, word: &str) -> bool {
    text.trim().to_lowercase().starts_with(word)
}

/// Top-level code blocks between an "Issue" heading and the next heading
/// of another kind, found without the library's own section logic.
fn issue_code_blocks(blocks: &[Block]) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_issue = false;
    for block in blocks {
        match block {
            Block::Heading { text, .. } => {
                in_issue = is_heading(text, "issue") || is_heading(text, "error message");
            }
            Block::Code { text } if in_issue => out.push(text.clone()),
            _ => {}
        }
    }
    out
}

#[test]
fn whole_corpus_loads_cleanly() {
    let Some(root) = shared("corpus") else { return };
    let markup = Regex::new(
        r"(?i)</?(p|u|ins|b|strong|em|i|br|li|ul|ol|td|tr|th|table|a|code|pre|div|span|h[1-6]|img|sup|sub|blockquote)(\s[^>]*)?/?>",
    )
    .unwrap();
    let mut errors = Vec::new();
    let mut not_articles = Vec::new();
    let mut articles_per_folder: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows = 0;
    let mut dirty = Vec::new();
    let mut missing_parts = Vec::new();
    let mut missing_quotes = Vec::new();
    let (mut empty_issue, mut empty_steps, mut with_quotes, mut issue_code, mut code_as_repro) =
        (0, 0, 0, 0, 0);
    let ids: &mut BTreeMap<String, String> = &mut BTreeMap::new();

    for path in files(&root) {
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        let loaded = match load_file(&path, &root) {
            Ok(loaded) => loaded,
            Err(err) => {
                errors.push(err.to_string());
                continue;
            }
        };
        let articles = match loaded {
            Loaded::NotArticle(reason) => {
                not_articles.push(format!("{name}: {reason}"));
                continue;
            }
            Loaded::Articles(articles) => articles,
        };
        let folder = name.split('/').next().unwrap_or_default().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = parse_document(&text, &name).unwrap();
        if articles[0].id.contains('#') {
            rows += articles.len();
        } else {
            // A page split into its problem sections is one article of
            // the folder, and its sections.
            *articles_per_folder.entry(folder).or_default() += 1;
            rows += articles.len() - 1;
        }
        let has_issue_heading = doc
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Heading { text, .. } if is_heading(text, "issue")));
        let has_solution_heading = doc
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Heading { text, .. } if is_heading(text, "solution")));
        let mut code_texts = Vec::new();
        literal_texts(&doc.blocks, &mut code_texts);
        for article in &articles {
            if let Some(other) = ids.insert(article.id.clone(), name.clone()) {
                panic!("duplicate id {} in {name} and {other}", article.id);
            }
            for (field, value) in text_fields(article) {
                // Code is quoted as written, markup included.
                if code_texts.iter().any(|c| c == value) {
                    continue;
                }
                // So is code a step holds, between its fences.
                let value = &without_fenced_code(value);
                if markup.is_match(value)
                    || value.contains("[!UICONTROL")
                    || value.contains("[!DNL")
                    || value.contains("{{$")
                    || value.contains("](")
                {
                    dirty.push(format!("{}: {field}: {value}", article.id));
                }
            }
            empty_issue += usize::from(article.issue.text.is_empty());
            empty_steps += usize::from(article.steps.is_empty());
            with_quotes += usize::from(!article.quoted_errors.is_empty());
        }
        if articles.len() == 1 && !articles[0].id.contains('#') {
            let article = &articles[0];
            if has_issue_heading
                && has_solution_heading
                && (article.issue.text.is_empty() || article.steps.is_empty())
            {
                missing_parts.push(format!(
                    "{name}: issue {} chars, {} steps",
                    article.issue.text.len(),
                    article.steps.len()
                ));
            }
            for code in issue_code_blocks(&doc.blocks) {
                issue_code += 1;
                if article.quoted_errors.contains(&code) {
                    continue;
                }
                if article.issue.steps_to_reproduce.contains(&code) && !looks_like_error(&code) {
                    code_as_repro += 1;
                    continue;
                }
                missing_quotes.push(format!("{name}: {code}"));
            }
        }
    }

    let articles: usize = articles_per_folder.values().sum();
    println!("articles per folder: {articles_per_folder:?} (total {articles})");
    println!("reference-table rows and page sections: {rows}");
    println!("not articles: {not_articles:#?}");
    println!("empty issue text: {empty_issue}, no steps: {empty_steps}, with quoted errors: {with_quotes}");
    println!("code blocks in issue sections: {issue_code} ({code_as_repro} are commands in steps to reproduce)");

    assert!(errors.is_empty(), "errors: {errors:#?}");
    assert_eq!(articles, 626, "{articles_per_folder:?}");
    assert!(rows >= 100, "{rows} reference rows");
    assert!(
        not_articles
            .iter()
            .all(|n| n.contains("LICENSE") || n.contains("README")),
        "{not_articles:#?}"
    );
    assert!(
        missing_parts.is_empty(),
        "issue+solution headings but empty parts: {missing_parts:#?}"
    );
    assert!(
        missing_quotes.is_empty(),
        "issue code not quoted: {missing_quotes:#?}"
    );
    assert!(dirty.is_empty(), "markup left in text: {dirty:#?}");
}
