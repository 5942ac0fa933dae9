//! The `triage` binary: parse the command line, call the library, turn
//! results and errors into output and exit codes (0 found / ok, 1 nothing
//! found or a check failed, 2 usage or input error, like grep; see
//! [`CliError::code`]).

mod cli;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anstream::{eprint, eprintln};
use clap::Parser;

use cli::{Cli, Command, OutputFormat};
use triage::rulebook::{self, LoadedRule, RulebookError};

/// Why a command did not succeed, worded for the user by its `Display`.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Rules(#[from] RulebookError),
    #[error(transparent)]
    Compile(#[from] triage::matcher::CompileError),
    #[error(transparent)]
    Log(#[from] triage::log::LogError),
    #[error(transparent)]
    Eval(#[from] triage::eval::EvalError),
    #[error(transparent)]
    Ingest(#[from] triage::ingest::IngestError),
    #[error("{0}; describe the symptom or paste the error message")]
    Query(triage::search::QueryError),
    /// Writing to standard output failed.
    #[error(transparent)]
    Output(std::io::Error),
    #[error(transparent)]
    PublicUrl(#[from] triage::serve::PublicUrlError),
    #[error(transparent)]
    Serve(#[from] triage::serve::ServeError),
    #[error(transparent)]
    Model(#[from] triage::matcher::confidence::ModelError),
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("no rule with id {0:?} (try `triage search`)")]
    NoRule(String),
    #[error("no article matches {0:?}")]
    NoMatch(String),
    /// `eval` figures under their `--min-*` thresholds.
    #[error("{}", .0.join("; "))]
    BelowThreshold(Vec<String>),
}

impl CliError {
    /// The exit code: 1 when the answer is no (nothing found, a check
    /// failed), 2 when the command could not run on its input. Library
    /// errors do not know they end a process; this is the one place that
    /// decides.
    fn code(&self) -> u8 {
        match self {
            CliError::NoRule(_) | CliError::NoMatch(_) | CliError::BelowThreshold(_) => 1,
            CliError::Rules(_)
            | CliError::Compile(_)
            | CliError::Log(_)
            | CliError::Eval(_)
            | CliError::Ingest(_)
            | CliError::Query(_)
            | CliError::Output(_)
            | CliError::PublicUrl(_)
            | CliError::Serve(_)
            | CliError::Model(_)
            | CliError::Write { .. } => 2,
        }
    }

    /// The reader of our output went away (`triage patterns | head -1`):
    /// nothing is wrong, there is just no one left to tell.
    fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// `print!` to standard output, returning a failed write (as
/// [`CliError::Output`]) where `anstream::print!` ignores a broken pipe and
/// panics on anything else.
macro_rules! out {
    ($($arg:tt)*) => {
        std::io::Write::write_fmt(&mut anstream::stdout(), format_args!($($arg)*))
            .map_err(CliError::Output)
    };
}

/// [`out!`] with a newline.
macro_rules! outln {
    ($($arg:tt)*) => {
        out!("{}\n", format_args!($($arg)*))
    };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("triage: {e}");
            ExitCode::from(e.code())
        }
    }
}

fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Ingest {
            paths,
            out,
            exclude,
            force,
            max_article_bytes,
        } => ingest(
            &paths,
            &out,
            triage::ingest::IngestOptions {
                exclude,
                force,
                max_article_bytes,
            },
        ),
        Command::Show { id, rules, format } => {
            let mut knowledge = triage::knowledge::Knowledge::load(rules.as_deref())?;
            if let Some(base) = triage::serve::PublicUrl::from_env()? {
                triage::serve::links::fill_knowledge(&mut knowledge, &base);
            }
            let Some(at) = knowledge.rules.iter().position(|r| r.id == id) else {
                return Err(CliError::NoRule(id));
            };
            // Its own link, or its other edition's (as diagnose and search).
            let editions = knowledge.index.other_editions(at);
            let link = rulebook::rule::article_link(&knowledge.rules, at, &editions);
            let rule = &rulebook::rule::Rule {
                link: link.to_string(),
                ..knowledge.rules[at].clone()
            };
            match format {
                OutputFormat::Text => out!("{}", triage::report::rule::text(rule))?,
                OutputFormat::Json => outln!("{}", triage::report::rule::json(rule))?,
                OutputFormat::Markdown => out!("{}", triage::report::rule::markdown(rule))?,
            }
            Ok(0)
        }
        Command::Lint { rules, strict } => lint(rules.as_deref(), strict),
        Command::Diagnose {
            files,
            rules,
            format,
            top,
        } => {
            let engine = linked_engine(rules.as_deref())?;
            diagnose(&engine, &files, format, top.max(1))
        }
        Command::Search {
            query,
            rules,
            limit,
            format,
        } => search(&query.join(" "), rules.as_deref(), limit, format),
        Command::Eval {
            files,
            rules,
            min_top1,
            min_top3,
            min_abstain,
            min_mrr,
            calibrate,
            confidence_model,
        } => {
            let mut engine = engine(rules.as_deref())?;
            if let Some(path) = confidence_model {
                engine = engine.with_confidence(triage::matcher::ConfidenceModel::load(&path)?);
            }
            if let Some(out) = calibrate {
                return refit(&engine, &files, &out);
            }
            let thresholds = Thresholds {
                top1: min_top1,
                top3: min_top3,
                abstain: min_abstain,
                mrr: min_mrr,
            };
            let mut failed = Vec::new();
            for (i, file) in files.iter().enumerate() {
                if files.len() > 1 {
                    let gap = if i == 0 { "" } else { "\n" };
                    outln!("{gap}== {}", file.display())?;
                }
                match eval(&engine, file, &thresholds) {
                    Err(CliError::BelowThreshold(below)) => failed.extend(
                        below
                            .into_iter()
                            .map(|b| format!("{}: {b}", file.display())),
                    ),
                    other => {
                        other?;
                    }
                }
            }
            if failed.is_empty() {
                Ok(0)
            } else {
                Err(CliError::BelowThreshold(failed))
            }
        }
        Command::Test { rules } => {
            let engine = engine(rules.as_deref())?;
            let report = triage::ruletest::run(&engine);
            for f in &report.failures {
                eprintln!("FAIL {f}");
            }
            outln!(
                "{} rules, {} examples: {} passed, {} failed",
                engine.rules.len(),
                report.examples,
                report.examples - report.failures.len(),
                report.failures.len()
            )?;
            Ok(if report.failures.is_empty() { 0 } else { 1 })
        }
        Command::Serve {
            rules,
            addr,
            public_url,
            max_body,
            timeouts,
        } => {
            let public_url = match public_url.as_deref().map(str::trim) {
                Some(url) if !url.is_empty() => Some(triage::serve::PublicUrl::parse(url)?),
                _ => None,
            };
            triage::serve::run(triage::serve::Config {
                rules,
                addr,
                public_url,
                max_body,
                timeouts: timeouts.unwrap_or_default(),
                ..triage::serve::Config::default()
            })?;
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "triage",
                &mut script,
            );
            std::io::Write::write_all(&mut std::io::stdout(), &script).map_err(CliError::Output)?;
            Ok(0)
        }
        Command::Patterns { rules } => {
            let engine = engine(rules.as_deref())?;
            let mut out = String::new();
            for p in engine.matcher.patterns() {
                out.push_str(p);
                out.push('\n');
            }
            // Plain `std` output, as ever: regex sources are not styled.
            std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes())
                .map_err(CliError::Output)?;
            Ok(0)
        }
    }
}

/// One report per log, as grep names the files it reads: one log (or
/// standard input) prints its report alone, as ever; several print a header
/// naming each before its report (JSON: a `files` array). Exit 0 when any
/// log was diagnosed; else 2 when a log could not be read, else 1.
fn diagnose(
    engine: &triage::diagnose::Engine,
    files: &[std::path::PathBuf],
    format: OutputFormat,
    top: usize,
) -> Result<u8, CliError> {
    use triage::report::diagnosis as report;
    if files.len() <= 1 {
        let path = files.first().map_or(Path::new("-"), |p| p.as_path());
        let d = triage::diagnose::diagnose_file(engine, path, top)?;
        match format {
            OutputFormat::Text => out!("{}", report::text(&d))?,
            OutputFormat::Json => outln!("{}", report::json(&d))?,
            OutputFormat::Markdown => out!("{}", report::markdown(&d))?,
        }
        return Ok(if d.found() { 0 } else { 1 });
    }
    let (mut found, mut failed) = (false, false);
    let mut done = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let name = if path == Path::new("-") {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        let result = triage::diagnose::diagnose_file(engine, path, top);
        match &result {
            Ok(d) => {
                found |= d.found();
                // Text and Markdown go out as each log is read.
                let separator = if i == 0 { "" } else { "\n" };
                match format {
                    OutputFormat::Text => out!(
                        "{separator}{}{}",
                        report::file_header_text(&name),
                        report::text(d)
                    )?,
                    OutputFormat::Markdown => out!(
                        "{separator}{}{}",
                        report::file_header_markdown(&name),
                        report::markdown(d)
                    )?,
                    OutputFormat::Json => {}
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("triage: {e}");
            }
        }
        done.push((name, result));
    }
    if format == OutputFormat::Json {
        let reports: Vec<report::FileReport> = done
            .iter()
            .map(|(name, result)| report::FileReport {
                file: name.clone(),
                diagnosis: result.as_ref().ok(),
                error: result.as_ref().err().map(ToString::to_string),
            })
            .collect();
        outln!("{}", report::json_files(&reports))?;
    }
    Ok(match (found, failed) {
        (true, _) => 0,
        (false, true) => 2,
        (false, false) => 1,
    })
}

fn engine(dir: Option<&Path>) -> Result<triage::diagnose::Engine, CliError> {
    Ok(triage::diagnose::Engine::from_knowledge(
        triage::knowledge::Knowledge::load(dir)?,
    )?)
}

/// [`engine`] with the links of articles that have none pointing to their
/// page on the server `TRIAGE_PUBLIC_URL` names (see `triage::serve::links`).
fn linked_engine(dir: Option<&Path>) -> Result<triage::diagnose::Engine, CliError> {
    let mut knowledge = triage::knowledge::Knowledge::load(dir)?;
    if let Some(base) = triage::serve::PublicUrl::from_env()? {
        triage::serve::links::fill_knowledge(&mut knowledge, &base);
    }
    Ok(triage::diagnose::Engine::from_knowledge(knowledge)?)
}

struct Thresholds {
    top1: Option<f64>,
    top3: Option<f64>,
    abstain: Option<f64>,
    mrr: Option<f64>,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn below(name: &str, value: f64, min: Option<f64>, failed: &mut Vec<String>) {
    if let Some(m) = min {
        if value < m {
            failed.push(format!("{name} {} is below {}", pct(value), pct(m)));
        }
    }
}

/// `eval --calibrate`: fit the confidence model on the labelled logs of
/// `files` (the bands are kept) and write it.
fn refit(
    engine: &triage::diagnose::Engine,
    files: &[std::path::PathBuf],
    out: &Path,
) -> Result<u8, CliError> {
    let base = engine.confidence.clone();
    let mut rows = Vec::new();
    for file in files {
        rows.extend(triage::eval::calibration_rows(engine, file)?);
    }
    let right = rows.iter().filter(|(_, r)| *r).count();
    let mut model = triage::matcher::ConfidenceModel::fit(&rows, base.high, base.medium);
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    model.fitted_on = format!(
        "{}: {} candidates (the first three of each log with a failure), {} right",
        names.join(", "),
        rows.len(),
        right
    );
    let text = model.to_toml();
    if out == Path::new("-") {
        out!("{text}")?;
    } else {
        std::fs::write(out, &text).map_err(|source| CliError::Write {
            path: out.to_path_buf(),
            source,
        })?;
        eprintln!(
            "triage: wrote {} ({} candidates, {right} right); check it on another set with `triage eval --confidence-model {}`",
            out.display(),
            rows.len(),
            out.display()
        );
    }
    Ok(0)
}

fn print_miss(id: &str, expected: &[String], got: &[String]) -> Result<(), CliError> {
    let got = if got.is_empty() {
        "nothing".to_string()
    } else {
        got.join(", ")
    };
    outln!("miss {id}: expected {} got {got}", expected.join(" | "))
}

fn eval(engine: &triage::diagnose::Engine, file: &Path, t: &Thresholds) -> Result<u8, CliError> {
    use triage::eval::{share, Report};
    let mut failed = Vec::new();
    match triage::eval::run(engine, file)? {
        Report::Cases(r) => {
            for m in &r.misses {
                print_miss(&m.id, &m.expected, &m.predicted)?;
                if let Some(lost) = &m.lost {
                    outln!("  lost: {lost}")?;
                }
            }
            for m in &r.false_alarms {
                outln!("false alarm {}: diagnosed {}", m.id, m.predicted.join(", "))?;
            }
            let (top1, top3, abstain) = (
                share(r.top1, r.labelled),
                share(r.top3, r.labelled),
                share(r.abstained, r.unlabelled),
            );
            outln!(
                "labelled cases: {}  top-1: {} ({})  top-3: {} ({})  diagnosed: {} right, {} wrong\nunlabelled/control cases: {}  no diagnosis: {} ({})",
                r.labelled, pct(top1), r.top1, pct(top3), r.top3, r.diagnosed_right, r.diagnosed_wrong, r.unlabelled, pct(abstain), r.abstained
            )?;
            outln!(
                "empty answers: {}  high confidence: {} of {} right ({})  medium: {} of {} right ({})",
                r.empty,
                r.high.right,
                r.high.right + r.high.wrong,
                pct(r.high.reliability()),
                r.medium.right,
                r.medium.right + r.medium.wrong,
                pct(r.medium.reliability()),
            )?;
            below("top-1", top1, t.top1, &mut failed);
            below("top-3", top3, t.top3, &mut failed);
            below("abstention", abstain, t.abstain, &mut failed);
        }
        Report::Queries(r) => {
            for m in &r.misses {
                print_miss(&m.id, &m.expect, &m.got)?;
            }
            let (top1, top3) = (r.top1, r.top3);
            outln!(
                "labelled queries: {}  top-1: {} ({})  top-3: {} ({})  MRR@10: {:.3}",
                r.evaluated,
                pct(top1),
                (top1 * r.evaluated as f64).round(),
                pct(top3),
                (top3 * r.evaluated as f64).round(),
                r.mrr10
            )?;
            below("top-1", top1, t.top1, &mut failed);
            below("top-3", top3, t.top3, &mut failed);
            below("MRR", r.mrr10, t.mrr, &mut failed);
        }
    }
    if failed.is_empty() {
        Ok(0)
    } else {
        Err(CliError::BelowThreshold(failed))
    }
}

fn search(
    query: &str,
    dir: Option<&Path>,
    limit: usize,
    format: cli::SearchFormat,
) -> Result<u8, CliError> {
    use triage::knowledge::Catalog;
    // Search needs no matcher, and only the rules it shows.
    let catalog = Catalog::load(dir)?;
    let found = match (find(&catalog, query, limit), dir) {
        // A cached rule that does not decode: read the rule files instead.
        (Err(triage::search::QueryError::Unreadable { .. }), Some(d)) => {
            find(&Catalog::rebuild(d)?, query, limit)
        }
        (found, _) => found,
    };
    let (mut rules, hits) = found.map_err(CliError::Query)?;
    if let Some(base) = triage::serve::PublicUrl::from_env()? {
        triage::serve::links::fill_hits(&mut rules, &hits, &base);
    }
    if hits.is_empty() {
        if format == cli::SearchFormat::Json {
            outln!("{}", triage::report::search::json(&rules, &hits))?;
        }
        // Not the whole of a long paste: its start says which query it was.
        let shown = match query.char_indices().nth(200) {
            Some((end, _)) => format!("{}…", &query[..end]),
            None => query.to_string(),
        };
        return Err(CliError::NoMatch(shown));
    }
    match format {
        cli::SearchFormat::Text => out!("{}", triage::report::search::text(&rules, &hits))?,
        cli::SearchFormat::Json => outln!("{}", triage::report::search::json(&rules, &hits))?,
    }
    Ok(0)
}

/// The hits for `query` and the rules they name (see `Catalog::shown`).
fn find(
    catalog: &triage::knowledge::Catalog,
    query: &str,
    limit: usize,
) -> Result<(Vec<triage::Rule>, Vec<triage::search::Hit>), triage::search::QueryError> {
    let hits = catalog.index().search(catalog, query, limit.max(1))?;
    catalog.shown(&hits)
}

fn ingest(
    paths: &[std::path::PathBuf],
    out: &Path,
    options: triage::ingest::IngestOptions,
) -> Result<u8, CliError> {
    let show_progress = std::io::stderr().is_terminal();
    let report = triage::ingest::ingest(paths, out, &options, |done, total| {
        if show_progress && (done % 25 == 0 || done == total) {
            eprint!("\r\x1b[2Kingesting {done}/{total} files");
            if done == total {
                eprint!("\r\x1b[2K");
            }
        }
    })?;
    for e in &report.errors {
        eprintln!("error: {e}");
    }
    for (path, size) in &report.too_large {
        eprintln!(
            "warning: skipped {}: {size} bytes is over the article size limit of {} bytes (--max-article-bytes)",
            path.display(),
            options.max_article_bytes
        );
    }
    for (path, reason) in &report.not_articles {
        eprintln!(
            "note: skipped {} (not an article: {reason})",
            path.display()
        );
    }
    for path in &report.kept {
        eprintln!(
            "note: kept {} (edited by hand; --force overwrites)",
            path.display()
        );
    }
    // Only a run that met one says how many were too large, so the summary
    // of every other run reads as it always has.
    let too_large = match report.too_large.len() {
        0 => String::new(),
        n => format!(", {n} skipped (too large)"),
    };
    outln!(
        "ingested {} articles from {} files into {}: {} new, {} updated, {} unchanged, {} kept (edited), {} skipped (not articles), {} errors{too_large}",
        report.articles,
        report.files,
        out.display(),
        report.created,
        report.updated,
        report.unchanged,
        report.kept.len(),
        report.not_articles.len(),
        report.errors.len()
    )?;
    let read = &report.read;
    outln!(
        "read: {} articles, {} quote an error, {} have steps, {} pages split into {} sections, {} with nothing to match (found by their words only; `triage lint` names them)",
        report.articles,
        read.quoting_errors,
        read.with_steps,
        read.split_pages.len(),
        read.sections,
        read.nothing_to_match
    )?;
    Ok(if report.errors.is_empty() && report.too_large.is_empty() {
        0
    } else {
        1
    })
}

fn lint(dir: Option<&Path>, strict: bool) -> Result<u8, CliError> {
    let mut too_large = Vec::new();
    let (files, strict) = match dir {
        Some(d) => {
            let mut files = Vec::new();
            for path in rulebook::store::rule_files(d)? {
                match rulebook::store::read_rule_file(&path) {
                    Ok(text) => files.push((path.display().to_string(), text)),
                    // Reported as a problem, like a file that does not parse.
                    Err(e @ RulebookError::TooLarge { .. }) => too_large.push(e),
                    Err(e) => return Err(e.into()),
                }
            }
            (files, strict)
        }
        None => (
            rulebook::embedded::EMBEDDED_RULES
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
            true,
        ),
    };
    let mut parsed = Vec::new();
    let mut problems = too_large.len();
    for e in &too_large {
        eprintln!("{e}");
    }
    for (name, text) in files {
        match rulebook::store::parse_rule(&text, Path::new(&name)) {
            Ok(rule) => parsed.push((name, text, rule)),
            Err(e) => {
                problems += 1;
                eprintln!("{e}");
            }
        }
    }
    for p in rulebook::lint::lint(&parsed, strict) {
        problems += 1;
        eprintln!("{p}");
    }
    for w in rulebook::lint::prefix_warnings(&parsed, &triage::log::prefix::stripped) {
        eprintln!("{w}");
    }
    if !strict {
        // Strict lint counts these as problems already.
        for note in rulebook::lint::unmatchable_notes(&parsed) {
            eprintln!("{note}");
        }
    }
    if problems == 0 {
        // Only rules that load can be run: examples against the real matcher.
        let texts: Vec<String> = parsed.iter().map(|(_, t, _)| t.clone()).collect();
        let loaded = parsed
            .iter()
            .map(|(name, _, rule)| LoadedRule {
                rule: rule.clone(),
                origin: name.clone(),
            })
            .collect();
        let engine = triage::diagnose::Engine::new(loaded)?;
        for p in triage::ruletest::contradictions(&engine, &texts) {
            problems += 1;
            eprintln!("{p}");
        }
    }
    if problems == 0 {
        outln!("{} rules, no problems", parsed.len())?;
        Ok(0)
    } else {
        outln!("{} rules, {problems} problems", parsed.len())?;
        Ok(1)
    }
}
