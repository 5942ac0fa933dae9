//! Labelled cases and queries -> accuracy figures, for knowledge-base
//! maintainers (`triage eval`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::diagnose::{self, Engine, Finding};

#[derive(Debug, Error)]
pub enum EvalError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: no [[case]] or [[query]] entries")]
    Empty { path: PathBuf },
    #[error(transparent)]
    Log(#[from] crate::log::LogError),
}

#[derive(Debug, Deserialize)]
struct LabelFile {
    #[serde(default)]
    case: Vec<Case>,
    #[serde(default)]
    query: Vec<crate::search::eval::QueryCase>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub id: String,
    pub log: String,
    #[serde(default)]
    pub expect: Vec<String>,
    #[serde(default)]
    pub theme: String,
}

/// A labelled item the engine got wrong, with what it said instead.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub id: String,
    pub expected: Vec<String>,
    /// What was ranked, best first, with confidence.
    pub predicted: Vec<String>,
    /// The stage that lost the right article (labelled cases only).
    pub lost: Option<Lost>,
}

/// Where a labelled log's right article was lost.
#[derive(Debug, Clone, Serialize)]
pub enum Lost {
    /// No failure was found in the log, so nothing was compared.
    NoFailure,
    /// The failure was found; the right article had no evidence at all.
    NotACandidate,
    /// Ranked, behind another article.
    Outranked {
        /// The right article's rank among the candidates (1 is first).
        rank: usize,
        by: String,
        /// What the winner had.
        evidence: String,
        /// What the right article had.
        right_evidence: String,
    },
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lost::NoFailure => write!(f, "failure not found"),
            Lost::NotACandidate => write!(f, "right article not among the candidates"),
            Lost::Outranked {
                rank,
                by,
                evidence,
                right_evidence,
            } => write!(
                f,
                "ranked {rank}, outranked by {by} ({evidence}; right article: {right_evidence})"
            ),
        }
    }
}

/// A candidate's evidence in words: what its score is made of.
pub fn evidence_words(c: &crate::matcher::Candidate) -> String {
    let mut parts = Vec::new();
    if c.quote > 0.0 {
        let lines: Vec<String> = c.evidence.iter().map(|e| e.line.to_string()).collect();
        parts.push(format!(
            "quote {:.2}, best line {:.2}, on line {}",
            c.quote,
            c.strongest,
            lines.join(", ")
        ));
    }
    if c.code > 0.0 {
        parts.push(format!("error code {:.2}", c.code));
    }
    if c.similarity > 0.0 {
        parts.push(format!("similar words {:.2}", c.similarity));
    }
    if parts.is_empty() {
        "no evidence".to_string()
    } else {
        parts.join(", ")
    }
}

/// How often the first diagnosis at one confidence level was right.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Band {
    pub right: usize,
    /// Wrong article, or any diagnosis of an unlabelled or control log.
    pub wrong: usize,
}

impl Band {
    pub fn reliability(&self) -> f64 {
        share(self.right, self.right + self.wrong)
    }
}

#[derive(Debug, Default, Serialize)]
pub struct CaseReport {
    pub labelled: usize,
    /// The right article ranks first (diagnoses, then related).
    pub top1: usize,
    /// ... among the first three.
    pub top3: usize,
    /// The first diagnosis (high or medium) is the right article.
    pub diagnosed_right: usize,
    /// A diagnosis was given and the first one is not the right article.
    pub diagnosed_wrong: usize,
    /// Unlabelled and control cases.
    pub unlabelled: usize,
    /// Of those, how many got no high or medium diagnosis.
    pub abstained: usize,
    pub misses: Vec<Miss>,
    /// Unlabelled cases that were confidently diagnosed anyway.
    pub false_alarms: Vec<Miss>,
    /// Labelled cases with nothing ranked at all.
    pub empty: usize,
    pub high: Band,
    pub medium: Band,
}

pub enum Report {
    Cases(CaseReport),
    Queries(crate::search::eval::QueryEvalReport),
}

/// Whether the article `id` meets the expectation `expected`: the same id,
/// or a section of the expected page (`page#fragment`, or a reference
/// table's `file#row`) when the expectation names the page. An expectation
/// that names a section is met by that section only.
pub fn meets(id: &str, expected: &str) -> bool {
    id == expected
        || id
            .strip_prefix(expected)
            .is_some_and(|rest| rest.starts_with('#'))
}

pub fn share(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

fn load(path: &Path) -> Result<LabelFile, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: LabelFile = toml::from_str(&text).map_err(|e| EvalError::Parse {
        path: path.to_path_buf(),
        line: e
            .span()
            .map_or(1, |s| crate::rulebook::store::line_col(&text, s.start).0),
        message: e.message().to_string(),
    })?;
    if file.case.is_empty() && file.query.is_empty() {
        return Err(EvalError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(file)
}

/// The labelled queries of a file in the `queries.toml` format.
pub fn load_queries(path: &Path) -> Result<Vec<crate::search::eval::QueryCase>, EvalError> {
    Ok(load(path)?.query)
}

/// Run the labelled file at `path` (cases or queries) against `engine`.
pub fn run(engine: &Engine, path: &Path) -> Result<Report, EvalError> {
    let file = load(path)?;
    if !file.case.is_empty() {
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(Report::Cases(eval_cases(engine, base, &file.case)?))
    } else {
        Ok(Report::Queries(crate::search::eval::eval_queries(
            &engine.index,
            &engine.rules,
            &file.query,
        )))
    }
}

pub fn eval_cases(engine: &Engine, base: &Path, cases: &[Case]) -> Result<CaseReport, EvalError> {
    let mut report = CaseReport::default();
    for case in cases {
        let reader = crate::log::open(&base.join(&case.log))?;
        let traced = diagnose::diagnose_traced(engine, reader, 3)?;
        let d = &traced.diagnosis;
        // Each finding stands for its article, in whichever edition the
        // label names: the editions are one answer.
        let ranked: Vec<&Finding> = d.diagnoses.iter().chain(&d.related).collect();
        let is_right = |ids: &[&String]| {
            ids.iter()
                .any(|id| case.expect.iter().any(|e| meets(id, e)))
        };
        let right =
            |f: &Finding| is_right(&std::iter::once(&f.id).chain(&f.also).collect::<Vec<_>>());
        let predicted: Vec<String> = d
            .diagnoses
            .iter()
            .map(|f| format!("{} ({:?})", f.id, f.confidence).to_lowercase())
            .chain(d.related.iter().map(|f| format!("{} (related)", f.id)))
            .collect();
        let mut miss = Miss {
            id: case.id.clone(),
            expected: case.expect.clone(),
            predicted,
            lost: None,
        };
        let labelled = !(case.expect.is_empty() || case.theme == "control");
        if let Some(first) = d.diagnoses.first() {
            let band = match first.confidence {
                crate::matcher::Confidence::High => &mut report.high,
                _ => &mut report.medium,
            };
            if labelled && right(first) {
                band.right += 1;
            } else {
                band.wrong += 1;
            }
        }
        if !labelled {
            report.unlabelled += 1;
            if d.diagnoses.is_empty() {
                report.abstained += 1;
            } else {
                report.false_alarms.push(miss);
            }
            continue;
        }
        report.labelled += 1;
        if ranked.is_empty() {
            report.empty += 1;
        }
        let hit1 = ranked.first().is_some_and(|f| right(f));
        let hit3 = ranked.iter().take(3).any(|f| right(f));
        match d.diagnoses.first() {
            Some(f) if right(f) => report.diagnosed_right += 1,
            Some(_) => report.diagnosed_wrong += 1,
            None => {}
        }
        if hit1 {
            report.top1 += 1;
        }
        if hit3 {
            report.top3 += 1;
        }
        if !hit1 {
            miss.lost = Some(lost(&traced, &|ids: &[String]| {
                is_right(&ids.iter().collect::<Vec<_>>())
            }));
            report.misses.push(miss);
        }
    }
    Ok(report)
}

/// The rows the confidence model is fitted on: the first three candidates
/// of each log of `path` in which a failure was found, with whether each
/// is the right article (never, for an unlabelled or control log).
pub fn calibration_rows(
    engine: &Engine,
    path: &Path,
) -> Result<Vec<(crate::matcher::Features, bool)>, EvalError> {
    let file = load(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut rows = Vec::new();
    for case in &file.case {
        let reader = crate::log::open(&base.join(&case.log))?;
        let traced = diagnose::diagnose_traced(engine, reader, 3)?;
        let pasted = match traced.failure {
            Some(crate::log::FailureKind::Recognised) => false,
            Some(crate::log::FailureKind::Pasted) => true,
            _ => continue,
        };
        let labelled = !(case.expect.is_empty() || case.theme == "control");
        let best_similarity = traced
            .candidates
            .iter()
            .map(|c| c.candidate.similarity)
            .fold(0.0, f64::max);
        // All of them, though only those that reproduce a quote may be
        // diagnosed: fitted on those alone (a few dozen, nearly all right),
        // the model ranked wrong answers of the other sets as sure.
        for c in traced.candidates.iter().take(3) {
            let right = labelled
                && c.ids
                    .iter()
                    .any(|id| case.expect.iter().any(|e| meets(id, e)));
            let features = crate::matcher::Features::of(&c.candidate, best_similarity, pasted);
            rows.push((features, right));
        }
    }
    if rows.is_empty() {
        return Err(EvalError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(rows)
}

/// The stage that lost a labelled log's right article.
fn lost(traced: &diagnose::Traced, right: &dyn Fn(&[String]) -> bool) -> Lost {
    if traced.failure.is_none() {
        return Lost::NoFailure;
    }
    let Some(at) = traced.candidates.iter().position(|c| right(&c.ids)) else {
        return Lost::NotACandidate;
    };
    let winner = &traced.candidates[0];
    Lost::Outranked {
        rank: at + 1,
        by: winner.ids[0].clone(),
        evidence: evidence_words(&winner.candidate),
        right_evidence: evidence_words(&traced.candidates[at].candidate),
    }
}

#[cfg(test)]
mod tests {
    use super::meets;

    #[test]
    fn a_page_is_met_by_its_sections_a_section_only_by_itself() {
        assert!(meets("cloning-errors", "cloning-errors"));
        assert!(meets(
            "cloning-errors#repository-not-found",
            "cloning-errors"
        ));
        assert!(meets(
            "cloning-errors#repository-not-found",
            "cloning-errors#repository-not-found"
        ));
        assert!(!meets(
            "cloning-errors",
            "cloning-errors#repository-not-found"
        ));
        assert!(!meets(
            "cloning-errors#https",
            "cloning-errors#repository-not-found"
        ));
        assert!(!meets("cloning-errors-old", "cloning-errors"));
    }
}
