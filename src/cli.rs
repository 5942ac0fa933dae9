//! Command-line definitions (clap derive). No logic here: `main.rs` maps each
//! command onto the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "triage",
    version,
    about = "Diagnose failed deploy logs from a troubleshooting knowledge base",
    long_about = "triage turns support articles into rules, finds the failure in a deploy log, \
                  and prints the article that fixes it: cause, evidence and remediation steps.\n\n\
                  Example: ./deploy.sh 2>&1 | triage diagnose"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SearchFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Turn support articles (files or directories) into rule files.
    Ingest {
        /// Article files or directories (searched recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Directory to write one rule file per article into.
        #[arg(long, short)]
        out: PathBuf,
        /// Leave out paths matching this glob (relative to the input root); repeatable.
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
        /// Overwrite rule files that were edited by hand.
        #[arg(long)]
        force: bool,
        /// Skip (with a warning) article files larger than this many bytes.
        #[arg(long, value_name = "BYTES", default_value_t = triage::ingest::MAX_ARTICLE_BYTES)]
        max_article_bytes: u64,
    },
    /// Find the failure in a deploy log and print the remediation.
    Diagnose {
        /// Log files (plain or gzip); `-` or nothing reads standard input.
        files: Vec<PathBuf>,
        /// Rules directory (default: the rules built into triage).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// How many candidates to show (at least 1).
        #[arg(long, default_value_t = 3, value_parser = at_least_one)]
        top: usize,
    },
    /// Find articles by symptom, in plain words or a pasted error.
    Search {
        #[arg(required = true)]
        query: Vec<String>,
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// How many results to show (at least 1).
        #[arg(long, default_value_t = 5, value_parser = at_least_one)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = SearchFormat::Text)]
        format: SearchFormat,
    },
    /// Print one rule as a person reads an article.
    Show {
        id: String,
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Measure accuracy on a labelled case file (logs) or query file.
    Eval {
        file: PathBuf,
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Fail (exit 1) when top-1 accuracy is below this share (0-1).
        #[arg(long)]
        min_top1: Option<f64>,
        /// Fail when top-3 accuracy is below this share.
        #[arg(long)]
        min_top3: Option<f64>,
        /// Fail when the share of unlabelled/control cases left undiagnosed is below this.
        #[arg(long)]
        min_abstain: Option<f64>,
        /// Fail when mean reciprocal rank (queries) is below this.
        #[arg(long)]
        min_mrr: Option<f64>,
    },
    /// Run every rule's examples through the matcher.
    Test {
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Check rule files for errors.
    Lint {
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Also require symptoms, steps and examples (as for bundled rules).
        #[arg(long)]
        strict: bool,
    },
    /// Print the regular expressions the matcher compiles, one per line (for `rg -f`).
    Patterns {
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
}

/// A count of results to show: zero would print a report with nothing in it
/// (or "no known issue matched" for a log that has a diagnosis).
fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
