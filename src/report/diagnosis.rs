//! A diagnosis as text (for a terminal), JSON (the contract other tools
//! read) and Markdown (for a ticket or a CI comment).

use serde::Serialize;

use super::{numbered_steps, styled, DIM, EVIDENCE, GOOD, HEADING, LINK, MATCH};
use crate::diagnose::{Diagnosis, Finding};
use crate::log::Reading;
use crate::matcher::Confidence;

fn confidence_word(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

pub fn json(d: &Diagnosis) -> String {
    serde_json::to_string_pretty(d).expect("diagnosis serialises")
}

/// One log's report among several (`diagnose a.log b.log`): the file's
/// name, then its diagnosis, or the error that kept it from being read.
#[derive(Debug, Serialize)]
pub struct FileReport<'a> {
    pub file: String,
    #[serde(flatten)]
    pub diagnosis: Option<&'a Diagnosis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Several logs' reports: `{"files": [{"file", ...one log's fields}]}`. One
/// log keeps the plain object of [`json`].
pub fn json_files(reports: &[FileReport]) -> String {
    #[derive(Serialize)]
    struct Files<'r, 'd> {
        files: &'r [FileReport<'d>],
    }
    serde_json::to_string_pretty(&Files { files: reports }).expect("diagnoses serialise")
}

/// The line that names a log before its report, among several (as `head`
/// and `tail` name files).
pub fn file_header_text(file: &str) -> String {
    format!("{}\n", styled(HEADING, &format!("==> {file} <==")))
}

pub fn file_header_markdown(file: &str) -> String {
    format!("## {file}\n\n")
}

pub fn text(d: &Diagnosis) -> String {
    let mut out = String::new();
    match d.diagnoses.first() {
        Some(best) => {
            out.push_str(&format!(
                "{} {}  {}\n",
                styled(GOOD, "Diagnosis:"),
                styled(HEADING, &best.title),
                styled(
                    DIM,
                    &format!(
                        "[{} confidence, id {}]",
                        confidence_word(best.confidence),
                        best.id
                    )
                )
            ));
            finding_body(&mut out, best, &d.meanings);
            let others: Vec<&Finding> = d.diagnoses.iter().skip(1).collect();
            if !others.is_empty() {
                out.push_str(&format!("\n{}\n", styled(HEADING, "Other candidates")));
                for f in others {
                    out.push_str(&format!(
                        "  - {} {}\n",
                        f.title,
                        styled(
                            DIM,
                            &format!("[{}, id {}]", confidence_word(f.confidence), f.id)
                        )
                    ));
                }
            }
        }
        None if d.failure.is_empty() && d.related.is_empty() => {
            out.push_str(&format!(
                "{}\n",
                styled(
                    GOOD,
                    &format!(
                        "No failure found in {}: nothing to diagnose.",
                        line_count(d.lines)
                    )
                )
            ));
        }
        None if d.failure.is_empty() => {
            out.push_str(&format!(
                "{}\n",
                styled(MATCH, &no_failure_recognised(d.lines))
            ));
        }
        None => {
            out.push_str(&format!(
                "{}\n\n{}\n",
                styled(MATCH, "No known issue matched this failure."),
                styled(HEADING, "Failure lines")
            ));
            for e in d.failure.iter().rev().take(8).rev() {
                out.push_str(&format!(
                    "  {:>6}: {}\n",
                    e.line,
                    styled(EVIDENCE, &clip(&e.text, FAILURE_LINE_CHARS))
                ));
            }
            reads_as_text(&mut out, &d.meanings);
        }
    }
    if !d.related.is_empty() {
        out.push_str(&format!("\n{}\n", styled(HEADING, "Possibly related")));
        for f in &d.related {
            out.push_str(&format!(
                "  - {} {}",
                f.title,
                styled(DIM, &format!("[id {}]", f.id))
            ));
            if !f.link.is_empty() {
                out.push_str(&format!(" {}", styled(LINK, &f.link)));
            }
            out.push('\n');
        }
    }
    if let Some(best) = d.diagnoses.first().or(d.related.first()) {
        out.push_str(&styled(
            DIM,
            &format!("\nFull article: triage show {}\n", best.id),
        ));
    }
    out
}

fn finding_body(out: &mut String, f: &Finding, meanings: &[Reading]) {
    if !f.link.is_empty() {
        out.push_str(&format!("{}\n", styled(LINK, &f.link)));
    }
    if !f.also.is_empty() {
        out.push_str(&format!(
            "{}\n",
            styled(DIM, &format!("also published as {}", f.also.join(", ")))
        ));
    }
    if !f.evidence.is_empty() {
        out.push_str(&format!("\n{}\n", styled(HEADING, "Evidence")));
        for e in &f.evidence {
            out.push_str(&format!(
                "  {:>6}: {}\n",
                e.line,
                styled(EVIDENCE, &clip(&e.text, 300))
            ));
        }
    }
    reads_as_text(out, meanings);
    if !f.cause.is_empty() {
        out.push_str(&format!("\n{}\n  {}\n", styled(HEADING, "Cause"), f.cause));
    }
    if !f.steps.is_empty() {
        out.push_str(&format!("\n{}\n", styled(HEADING, "Remediation")));
        out.push_str(&numbered_steps(&f.steps, false));
    }
}

/// What terse failure lines mean: the phrase first, the line it was read
/// from after it, shortened (a JSON error body can be a screen long).
fn reads_as_text(out: &mut String, meanings: &[Reading]) {
    if meanings.is_empty() {
        return;
    }
    out.push_str(&format!("\n{}\n", styled(HEADING, "Reads as")));
    for m in meanings {
        out.push_str(&format!(
            "  {:>6}: {}  {}\n",
            m.line,
            m.means,
            styled(DIM, &format!("({})", clip(&m.text, 60)))
        ));
    }
}

/// The list without a blank line after it: each caller knows what follows.
fn reads_as_markdown(out: &mut String, meanings: &[Reading]) {
    out.push_str("**Reads as**\n\n");
    for m in meanings {
        out.push_str(&format!(
            "- line {}: {} (`{}`)\n",
            m.line,
            m.means,
            clip(&m.text, 60).replace('`', "'")
        ));
    }
}

fn line_count(n: usize) -> String {
    if n == 1 {
        "1 line".to_string()
    } else {
        format!("{n} lines")
    }
}

/// Longest failure line a text report shows. Longer than an evidence
/// line (300): the failure lines are all there is to read when no article
/// matched, and the longest real one is 470 characters.
const FAILURE_LINE_CHARS: usize = 1000;

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

pub fn markdown(d: &Diagnosis) -> String {
    let mut out = String::new();
    match d.diagnoses.first() {
        Some(best) => {
            out.push_str(&format!(
                "### Diagnosis: {}\n\n*{} confidence* · `{}`",
                best.title,
                confidence_word(best.confidence),
                best.id
            ));
            if !best.link.is_empty() {
                out.push_str(&format!(" · [article]({})", best.link));
            }
            out.push_str("\n\n");
            if !best.evidence.is_empty() {
                out.push_str("**Evidence**\n\n```\n");
                for e in &best.evidence {
                    out.push_str(&format!("{:>6}: {}\n", e.line, clip(&e.text, 300)));
                }
                out.push_str("```\n\n");
            }
            if !d.meanings.is_empty() {
                reads_as_markdown(&mut out, &d.meanings);
                out.push('\n');
            }
            if !best.cause.is_empty() {
                out.push_str(&format!("**Cause:** {}\n\n", best.cause));
            }
            if !best.steps.is_empty() {
                out.push_str("**Remediation**\n\n");
                out.push_str(&numbered_steps(&best.steps, true));
                out.push('\n');
            }
            for f in d.diagnoses.iter().skip(1) {
                out.push_str(&format!(
                    "- Also possible: {} (`{}`, {})\n",
                    f.title,
                    f.id,
                    confidence_word(f.confidence)
                ));
            }
        }
        None if d.failure.is_empty() && d.related.is_empty() => {
            out.push_str(&format!(
                "### No failure found\n\n{} read; nothing to diagnose.\n",
                line_count(d.lines)
            ));
        }
        None if d.failure.is_empty() => {
            out.push_str(&format!(
                "### No failure recognised\n\n{}\n",
                no_failure_recognised(d.lines)
            ));
        }
        None => {
            out.push_str("### No known issue matched\n\n**Failure lines**\n\n```\n");
            for e in d.failure.iter().rev().take(8).rev() {
                out.push_str(&format!("{:>6}: {}\n", e.line, clip(&e.text, 300)));
            }
            out.push_str("```\n");
            if !d.meanings.is_empty() {
                out.push('\n');
                reads_as_markdown(&mut out, &d.meanings);
            }
        }
    }
    if !d.related.is_empty() {
        out.push_str("\n**Possibly related**\n\n");
        for f in &d.related {
            if f.link.is_empty() {
                out.push_str(&format!("- {} (`{}`)\n", f.title, f.id));
            } else {
                out.push_str(&format!("- [{}]({}) (`{}`)\n", f.title, f.link, f.id));
            }
        }
    }
    out
}

/// The headline of a log in which no failure was recognised but whose last
/// lines were compared with the articles (the related ones follow).
pub fn no_failure_recognised(lines: usize) -> String {
    format!(
        "No failure recognised in {}; compared by its last lines, these articles may be related.",
        line_count(lines)
    )
}
