//! The log stage against the real, labelled deploy logs in `../shared/eval`.
//! Skips (with a message) when that folder is absent.
//!
//! Run with `--nocapture` to see the per-case table.

use std::path::{Path, PathBuf};

use triage::log::{self, Failure};

use crate::support::shared::shared;

struct Case {
    id: String,
    log: PathBuf,
    theme: String,
    expects_articles: bool,
    /// Fragments the labeller quoted from the log ('...' in `why`).
    quoted: Vec<String>,
}

fn cases(eval: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(eval.join("cases.toml")).expect("read cases.toml");
    let table: toml::Table = text.parse().expect("parse cases.toml");
    let cases = table["case"].as_array().expect("[[case]] array");
    cases
        .iter()
        .map(|case| {
            let field = |name: &str| case.get(name).and_then(|v| v.as_str()).unwrap_or("");
            Case {
                id: field("id").to_string(),
                log: eval.join(field("log")),
                theme: field("theme").to_string(),
                expects_articles: case
                    .get("expect")
                    .and_then(|v| v.as_array())
                    .is_some_and(|a| !a.is_empty()),
                quoted: quoted_fragments(field("why")),
            }
        })
        .collect()
}

/// Single-quoted fragments of at least four words: the labeller quoting the
/// log. Shorter ones are names (`'generated'`), not evidence; fragments that
/// start with a possessive `s ` are prose between two apostrophes.
fn quoted_fragments(why: &str) -> Vec<String> {
    why.split('\'')
        .skip(1)
        .step_by(2)
        .filter(|s| s.split_whitespace().count() >= 4 && !s.starts_with("s "))
        .map(|s| s.trim().to_string())
        .collect()
}

/// Whether every piece of a quoted fragment (the labeller elides with `...`)
/// appears in the error lines.
fn fragment_found(fragment: &str, errors: &str) -> bool {
    fragment
        .split("...")
        .map(|piece| squash(piece.trim_matches(|c: char| c == '/' || c.is_whitespace())))
        .filter(|piece| piece.len() >= 8)
        .all(|piece| errors.contains(&piece))
}

/// The failure found in a log, unless it is only the log's tail: what the
/// finder recognised, or a short log taken whole as a paste.
fn diagnose(path: &Path) -> Option<Failure> {
    let reader = log::open(path).expect("open log");
    log::find_failure(reader, path)
        .expect("read log")
        .filter(|f| f.kind != log::FailureKind::Tail)
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn eval_logs() {
    let Some(cases_toml) = shared("eval/cases.toml") else {
        return;
    };
    let cases = cases(cases_toml.parent().expect("eval/"));
    let (mut control, mut control_ok, mut control_misses) = (0, 0, Vec::new());
    let (mut labelled, mut labelled_ok, mut labelled_misses) = (0, 0, Vec::new());
    let (mut other, mut other_ok) = (0, 0);
    let (mut quoted_cases, mut quoted_found) = (0, 0);

    for case in &cases {
        let failure = diagnose(&case.log);
        let verdict = match &failure {
            None => "no failure".to_string(),
            Some(f) => format!("{} error line(s) of {}", f.error_lines.len(), f.total_lines),
        };
        println!("{:<8} {:<70} {}", case.theme, case.id, verdict);
        if let Some(f) = &failure {
            for line in f.error_lines.iter().take(3) {
                println!(
                    "           {:>4}: {}",
                    line.number,
                    truncate(&line.text, 150)
                );
            }
            if !case.quoted.is_empty() {
                quoted_cases += 1;
                let errors: Vec<String> = f.error_lines.iter().map(|l| squash(&l.text)).collect();
                let errors = errors.join(" ");
                let hit = case.quoted.iter().any(|q| fragment_found(q, &errors));
                if hit {
                    quoted_found += 1;
                } else {
                    println!(
                        "           (no error line contains a quoted fragment: {:?})",
                        case.quoted
                    );
                }
            }
        }
        if case.theme == "control" {
            control += 1;
            if failure.is_none() {
                control_ok += 1;
            } else {
                control_misses.push(case.id.clone());
            }
        } else if case.expects_articles {
            labelled += 1;
            if failure.as_ref().is_some_and(|f| !f.error_lines.is_empty()) {
                labelled_ok += 1;
            } else {
                labelled_misses.push(case.id.clone());
            }
        } else {
            other += 1;
            other_ok += usize::from(failure.is_some());
        }
    }

    println!();
    println!("control logs without a failure: {control_ok}/{control}; misses: {control_misses:?}");
    println!(
        "labelled logs with a failure:   {labelled_ok}/{labelled}; misses: {labelled_misses:?}"
    );
    println!("other failing logs found:       {other_ok}/{other}");
    println!("quoted fragment in error lines: {quoted_found}/{quoted_cases}");

    let (tails, tails_flagged, failing_tails, failing_tails_found) = tail_excerpts(&cases);
    println!(
        "control tails without a failure: {}/{tails}",
        tails - tails_flagged
    );
    println!("failing tails (>= 5 lines) found: {failing_tails_found}/{failing_tails}");

    assert!(control > 0 && labelled > 0, "no cases read");
    assert!(
        tails_flagged * 20 <= tails,
        "more than 5% of control-log tails judged as failures"
    );
    assert!(
        control_misses.len() <= 1,
        "control logs judged as failures: {control_misses:?}"
    );
    assert!(
        labelled_ok * 100 >= labelled * 95,
        "labelled logs without a failure: {labelled_misses:?}"
    );
}

/// Reports usually hold only the last lines of a log. Cuts every log to its
/// last 1, 2, 3, 5, 8, 12, 20 and 40 lines: control tails must stay clean,
/// failing tails of five lines or more should still show the failure.
/// Returns (control tails, flagged, failing tails, found).
fn tail_excerpts(cases: &[Case]) -> (usize, usize, usize, usize) {
    let (mut tails, mut flagged, mut failing, mut found) = (0, 0, 0, 0);
    for case in cases {
        let bytes = std::fs::read(&case.log).expect("read log");
        let physical: Vec<&[u8]> = bytes.trim_ascii_end().split(|&b| b == b'\n').collect();
        for n in [1, 2, 3, 5, 8, 12, 20, 40] {
            if n >= physical.len() {
                continue;
            }
            let tail = physical[physical.len() - n..].join(&b'\n');
            // Recognised as a failure: a tail this short is otherwise a paste.
            let failure = log::find_failure(&tail[..], Path::new("-"))
                .expect("in memory")
                .filter(|f| f.kind == log::FailureKind::Recognised);
            if case.theme == "control" {
                tails += 1;
                if failure.is_some() {
                    flagged += 1;
                    println!(
                        "control tail judged a failure: {} (last {n} lines)",
                        case.id
                    );
                }
            } else if n >= 5 {
                failing += 1;
                found += usize::from(failure.is_some());
            }
        }
    }
    (tails, flagged, failing, found)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The failure finder's vocabulary was written from PHP and Composer
/// output; on git and ssh output (`github-docs`, written from none of it)
/// every failing log still has its failure found, and no successful one.
#[test]
fn git_and_ssh_failures_are_found_too() {
    for set in ["eval/github-docs"] {
        let Some(eval) = shared(set) else {
            return;
        };
        let (mut missed, mut flagged, mut failing) = (Vec::new(), Vec::new(), 0);
        for case in cases(&eval) {
            let failure = diagnose(&case.log);
            if case.theme == "control" {
                if failure.is_some() {
                    flagged.push(case.id);
                }
            } else {
                failing += 1;
                if failure.is_none() {
                    missed.push(case.id);
                }
            }
        }
        println!("{set}: {failing} failing logs, missed {missed:?}; controls flagged {flagged:?}");
        assert!(missed.is_empty(), "{set}: no failure found in {missed:?}");
        assert!(
            flagged.is_empty(),
            "{set}: controls judged as failures: {flagged:?}"
        );
    }
}
