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
    #[error("{path}: cannot write into the output directory: {source}")]
    OutDirUnwritable {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The default of `--max-article-bytes`: the largest real article is 22 KB.
pub const MAX_ARTICLE_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub exclude: Vec<String>,
    pub force: bool,
    /// Larger files are skipped unread, with a warning.
    pub max_article_bytes: u64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            exclude: Vec::new(),
            force: false,
            max_article_bytes: MAX_ARTICLE_BYTES,
        }
    }
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
    /// Inputs over `max_article_bytes`, skipped unread, with their size.
    pub too_large: Vec<(PathBuf, u64)>,
    /// What the articles turned out to hold.
    pub read: ReadSummary,
}

impl IngestReport {
    pub fn rules_written(&self) -> usize {
        self.created + self.updated + self.unchanged
    }
}

/// What ingest found in the articles, for the maintainer.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadSummary {
    /// With a quoted error message (a signature) or an error code.
    pub quoting_errors: usize,
    pub with_steps: usize,
    /// Pages split into problem sections (not reference tables).
    pub split_pages: std::collections::BTreeSet<String>,
    pub sections: usize,
    /// Nothing diagnose can match: no signature, no error code.
    pub nothing_to_match: usize,
}

impl ReadSummary {
    fn add(&mut self, rule: &rulebook::Rule) {
        let quotes = !rule.signatures.is_empty() || !rule.error_codes.is_empty();
        if quotes {
            self.quoting_errors += 1;
        } else {
            self.nothing_to_match += 1;
        }
        if !rule.steps.is_empty() {
            self.with_steps += 1;
        }
        // Table rows have a parent too, but are codes, not sections.
        if !rule.parent.is_empty() && rule.error_codes.is_empty() {
            self.split_pages.insert(rule.parent.clone());
            self.sections += 1;
        }
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

/// The files under `inputs` and the directories that could not be read.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Each file with the root it is relative to. Sorted, so the same
    /// inputs are always processed in the same order.
    pub files: Vec<(PathBuf, PathBuf)>,
    /// What could not be listed, worded like an unreadable file's error.
    pub errors: Vec<String>,
}

/// Every file under `inputs`, with the root each is relative to.
pub fn collect_inputs(inputs: &[PathBuf], exclude: &[String]) -> Result<Inputs, IngestError> {
    let excluded = exclude_set(exclude)?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
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
            .filter_map(|entry| {
                entry
                    .map_err(|e| {
                        let path = e.path().unwrap_or(input).display().to_string();
                        // Worded as for a file that cannot be read.
                        errors.push(match e.io_error() {
                            Some(io) => format!("{path}: cannot read: {io}"),
                            None => format!("{path}: {e}"),
                        });
                    })
                    .ok()
            })
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
    Ok(Inputs { files: out, errors })
}

/// Fails when `dir` takes no new file, so that a read-only directory is one
/// error up front rather than one per article under a summary.
fn check_writable(dir: &Path) -> Result<(), IngestError> {
    let probe = dir.join(format!(".triage-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|source| IngestError::OutDirUnwritable {
            path: dir.to_path_buf(),
            source,
        })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// What the panic said, for the file it happened on.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Ingest `inputs` into rule files under `out`. `progress` is called after
/// each file with (done, total).
pub fn ingest(
    inputs: &[PathBuf],
    out: &Path,
    options: &IngestOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<IngestReport, IngestError> {
    let Inputs { files, errors } = collect_inputs(inputs, &options.exclude)?;
    std::fs::create_dir_all(out).map_err(|source| IngestError::OutDir {
        path: out.to_path_buf(),
        source,
    })?;
    check_writable(out)?;
    let mut report = IngestReport {
        files: files.len(),
        errors,
        ..IngestReport::default()
    };
    let total = files.len();
    // Two inputs with the same id, or ids that share a file name, would
    // silently overwrite each other's rule: by file name, the first input.
    let mut seen: std::collections::HashMap<String, (String, PathBuf)> =
        std::collections::HashMap::new();
    for (i, (file, root)) in files.iter().enumerate() {
        let size = std::fs::metadata(file).map_or(0, |m| m.len());
        if size > options.max_article_bytes {
            report.too_large.push((file.clone(), size));
            progress(i + 1, total);
            continue;
        }
        // A bug met on one odd file is that file's error; the others are
        // still written.
        let loaded = std::panic::catch_unwind(|| {
            article::load_file(file, root)
                .map(|loaded| match loaded {
                    Loaded::Articles(articles) => Ok(articles
                        .into_iter()
                        .map(|a| {
                            let rule = extract::rule_from_article(&a);
                            (a.id, rule)
                        })
                        .collect::<Vec<_>>()),
                    Loaded::NotArticle(reason) => Err(reason),
                })
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|payload| {
            Err(format!(
                "{}: internal error, please report it: {}",
                file.display(),
                panic_message(payload.as_ref())
            ))
        });
        match loaded {
            Ok(Ok(rules)) => {
                for (id, rule) in rules {
                    let name = rulebook::store::file_name(&id);
                    if let Some((first_id, first)) = seen.get(&name) {
                        if first != file || *first_id != id {
                            report.errors.push(if *first_id == id {
                                format!(
                                    "{}: duplicate article id {:?} (also from {}); skipped",
                                    file.display(),
                                    id,
                                    first.display()
                                )
                            } else {
                                format!(
                                    "{}: article id {id:?} and {first_id:?} (from {}) both map to rule file {name}; skipped",
                                    file.display(),
                                    first.display()
                                )
                            });
                            continue;
                        }
                    }
                    seen.insert(name, (id.clone(), file.clone()));
                    report.articles += 1;
                    report.read.add(&rule);
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
            Ok(Err(reason)) => report.not_articles.push((file.clone(), reason)),
            Err(e) => report.errors.push(e),
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
