//! The ingest stage end to end: walk the inputs, parse each article, extract
//! its rule, write the rule file. One bad file never stops the batch.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use thiserror::Error;

use crate::article::{self, Loaded};
use crate::extract;
use crate::rulebook::{self, WriteOutcome};

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("invalid --exclude pattern {pattern:?}: {message}")]
    BadExclude { pattern: String, message: String },
    #[error("{0}: no such file or directory")]
    Missing(PathBuf),
    #[error("{path}: cannot create output directory: {source}")]
    OutDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Default, Clone)]
pub struct IngestOptions {
    pub exclude: Vec<String>,
    pub force: bool,
}

/// What happened to each input, for the summary.
#[derive(Debug, Default)]
pub struct IngestReport {
    pub files: usize,
    pub articles: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rule files a person edited, kept as they are.
    pub kept: Vec<PathBuf>,
    /// Inputs that are not articles (README, LICENSE ...), with the reason.
    pub not_articles: Vec<(PathBuf, String)>,
    /// Inputs skipped because of an error, with the message.
    pub errors: Vec<String>,
}

impl IngestReport {
    pub fn rules_written(&self) -> usize {
        self.created + self.updated + self.unchanged
    }
}

fn exclude_set(patterns: &[String]) -> Result<GlobSet, IngestError> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p).map_err(|e| IngestError::BadExclude {
            pattern: p.clone(),
            message: e.to_string(),
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|e| IngestError::BadExclude {
        pattern: patterns.join(", "),
        message: e.to_string(),
    })
}

/// Every file under `inputs`, with the root each is relative to. Sorted, so
/// the same inputs are always processed in the same order.
pub fn collect_inputs(
    inputs: &[PathBuf],
    exclude: &[String],
) -> Result<Vec<(PathBuf, PathBuf)>, IngestError> {
    let excluded = exclude_set(exclude)?;
    let mut out = Vec::new();
    for input in inputs {
        if !input.exists() {
            return Err(IngestError::Missing(input.clone()));
        }
        let root = if input.is_dir() {
            input.clone()
        } else {
            input.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(input)
            .follow_links(true)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(walkdir::DirEntry::into_path)
            .filter(|p| {
                let rel = p.strip_prefix(&root).unwrap_or(p);
                !excluded.is_match(rel)
                    && !excluded.is_match(p)
                    && !rel
                        .components()
                        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (f, root.clone())));
    }
    Ok(out)
}

/// Ingest `inputs` into rule files under `out`. `progress` is called after
/// each file with (done, total).
pub fn ingest(
    inputs: &[PathBuf],
    out: &Path,
    options: &IngestOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<IngestReport, IngestError> {
    let files = collect_inputs(inputs, &options.exclude)?;
    std::fs::create_dir_all(out).map_err(|source| IngestError::OutDir {
        path: out.to_path_buf(),
        source,
    })?;
    let mut report = IngestReport {
        files: files.len(),
        ..IngestReport::default()
    };
    let total = files.len();
    // Two inputs with the same stem would silently overwrite each other's rule.
    let mut seen: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    for (i, (file, root)) in files.iter().enumerate() {
        match article::load_file(file, root) {
            Ok(Loaded::Articles(articles)) => {
                for a in &articles {
                    if let Some(first) = seen.insert(a.id.clone(), file.clone()) {
                        if first != *file {
                            report.errors.push(format!(
                                "{}: duplicate article id {:?} (also from {}); skipped",
                                file.display(),
                                a.id,
                                first.display()
                            ));
                            continue;
                        }
                    }
                    report.articles += 1;
                    let rule = extract::rule_from_article(a);
                    match rulebook::write_rule(out, &rule, options.force) {
                        Ok(WriteOutcome::Created) => report.created += 1,
                        Ok(WriteOutcome::Updated) => report.updated += 1,
                        Ok(WriteOutcome::Unchanged) => report.unchanged += 1,
                        Ok(WriteOutcome::KeptEdited) => report
                            .kept
                            .push(out.join(rulebook::store::file_name(&rule.id))),
                        Err(e) => report.errors.push(e.to_string()),
                    }
                }
            }
            Ok(Loaded::NotArticle(reason)) => report.not_articles.push((file.clone(), reason)),
            Err(e) => report.errors.push(e.to_string()),
        }
        progress(i + 1, total);
    }
    // The search index and its passage vectors are built now rather than by
    // the first command that reads the rules: embedding the passages is the
    // costly part of loading a knowledge base, and the cache keeps it.
    if let Err(e) = crate::knowledge::Catalog::from_dir(out) {
        report.errors.push(format!(
            "{}: the rules were written but do not load together: {e}",
            out.display()
        ));
    }
    Ok(report)
}
