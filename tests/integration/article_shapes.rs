//! A knowledge base read for its shapes rather than its heading words:
//! over the second real knowledge base in `../shared` (skipped with a
//! message when absent, a failure in CI), every article yields a symptom or
//! its words, every article titled with an error message quotes it, and
//! every page with several problem sections yields an article per section.

use std::path::{Path, PathBuf};

use triage::article::model::Block;
use triage::article::split::is_problem_section;
use triage::article::{load_file, parse_document, shapes, Loaded};
use triage::Article;

use crate::support::shared::shared;

fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    out.sort();
    out
}

/// How many headings at each level (2 to 6) state a problem.
fn problem_headings(blocks: &[Block]) -> [usize; 7] {
    let mut counts = [0; 7];
    for block in blocks {
        if let Block::Heading { level, text, .. } = block {
            if (2..=6).contains(level) && is_problem_section(text) {
                counts[*level as usize] += 1;
            }
        }
    }
    counts
}

#[test]
fn every_article_of_the_second_knowledge_base_yields_a_symptom() {
    let Some(root) = shared("eval/github-docs/corpus") else {
        return;
    };
    let mut failures = Vec::new();
    let mut split_pages = 0;
    for path in markdown_files(&root) {
        let name = path.display().to_string();
        let articles: Vec<Article> = match load_file(&path, &root) {
            Ok(Loaded::Articles(articles)) => articles,
            Ok(Loaded::NotArticle(_)) => continue,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = parse_document(&text, &name).unwrap();
        for article in &articles {
            // Something to match: a quoted error, or words saying what
            // goes wrong.
            if article.quoted_errors.is_empty() && article.issue.text.trim().is_empty() {
                failures.push(format!("{name}: {} yields no symptom", article.id));
            }
            // A title that is an error message is quoted as one.
            if let Some(message) = shapes::error_message(&article.title) {
                if !article.quoted_errors.iter().any(|q| q.contains(&message)) {
                    failures.push(format!(
                        "{name}: {} is titled with the error {message:?} but does not quote it",
                        article.id
                    ));
                }
            }
        }
        let counts = problem_headings(&doc.blocks);
        if let Some(level) = (2..=6).find(|&l| counts[l] >= 2) {
            split_pages += 1;
            let sections: Vec<&Article> = articles
                .iter()
                .filter(|a| a.parent.is_some() && a.id.contains('#'))
                .collect();
            if sections.len() != counts[level] {
                failures.push(format!(
                    "{name}: {} problem headings at level {level}, {} section articles",
                    counts[level],
                    sections.len()
                ));
            }
            for section in sections {
                if section.body.trim().is_empty()
                    && section.steps.is_empty()
                    && section.issue.text.trim().is_empty()
                    && section.quoted_errors.is_empty()
                {
                    failures.push(format!("{name}: section {} is empty", section.id));
                }
            }
        }
    }
    assert!(split_pages >= 1, "no page covering several problems found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
