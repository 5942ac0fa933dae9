//! The `triage` binary: parse the command line, call the library, turn
//! results and errors into output and exit codes (0 found / ok, 1 nothing
//! found or a check failed, 2 usage or input error, like grep).

mod cli;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anstream::{eprint, eprintln, print, println};
use clap::Parser;

use cli::{Cli, Command, OutputFormat};
use triage::rulebook::{self, LoadedRule};

/// An error already worded for the user, with its exit code.
struct Failure {
    message: String,
    code: u8,
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            message: e.to_string(),
            code: 2,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("triage: {}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}

fn load_rules(dir: Option<&Path>) -> Result<Vec<LoadedRule>, Failure> {
    Ok(match dir {
        Some(d) => rulebook::load_dir(d)?,
        None => rulebook::embedded::load()?,
    })
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Ingest {
            paths,
            out,
            exclude,
            force,
        } => ingest(&paths, &out, exclude, force),
        Command::Show { id, rules, format } => {
            let rules = load_rules(rules.as_deref())?;
            let Some(found) = rules.iter().find(|r| r.rule.id == id) else {
                return Err(Failure {
                    message: format!("no rule with id {id:?} (try `triage search`)"),
                    code: 1,
                });
            };
            let rule = &found.rule;
            match format {
                OutputFormat::Text => print!("{}", triage::report::rule::text(rule)),
                OutputFormat::Json => println!("{}", triage::report::rule::json(rule)),
                OutputFormat::Markdown => print!("{}", triage::report::rule::markdown(rule)),
            }
            Ok(0)
        }
        Command::Lint { rules, strict } => lint(rules.as_deref(), strict),
        _ => Err(Failure {
            message: "this command is not available yet".into(),
            code: 2,
        }),
    }
}

fn ingest(
    paths: &[std::path::PathBuf],
    out: &Path,
    exclude: Vec<String>,
    force: bool,
) -> Result<u8, Failure> {
    let options = triage::ingest::IngestOptions { exclude, force };
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
    println!(
        "ingested {} articles from {} files into {}: {} new, {} updated, {} unchanged, {} kept (edited), {} skipped (not articles), {} errors",
        report.articles,
        report.files,
        out.display(),
        report.created,
        report.updated,
        report.unchanged,
        report.kept.len(),
        report.not_articles.len(),
        report.errors.len()
    );
    Ok(if report.errors.is_empty() { 0 } else { 1 })
}

fn lint(dir: Option<&Path>, strict: bool) -> Result<u8, Failure> {
    let (files, strict) = match dir {
        Some(d) => {
            let mut files = Vec::new();
            for path in rulebook::store::rule_files(d)? {
                let text = std::fs::read_to_string(&path)?;
                files.push((path.display().to_string(), text));
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
    let mut problems = 0;
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
    if problems == 0 {
        println!("{} rules, no problems", parsed.len());
        Ok(0)
    } else {
        println!("{} rules, {problems} problems", parsed.len());
        Ok(1)
    }
}
