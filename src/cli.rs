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
        /// Report format: text for a terminal, json for tools, markdown for a ticket.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// How many candidates to show (at least 1).
        #[arg(long, default_value_t = 3, value_parser = at_least_one)]
        top: usize,
    },
    /// Find articles by symptom, in plain words or a pasted error.
    Search {
        /// The symptom in plain words, or the error message pasted (words are joined).
        #[arg(required = true)]
        query: Vec<String>,
        /// Rules directory (default: the rules built into triage).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// How many results to show (at least 1).
        #[arg(long, default_value_t = 5, value_parser = at_least_one)]
        limit: usize,
        /// Output format: text for a terminal, json for tools.
        #[arg(long, value_enum, default_value_t = SearchFormat::Text)]
        format: SearchFormat,
    },
    /// Print one rule as a person reads an article.
    Show {
        /// The rule's id, as diagnose and search print it.
        id: String,
        /// Rules directory (default: the rules built into triage).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Output format: text for a terminal, json for tools, markdown for a ticket.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Measure accuracy on a labelled case file (logs) or query file.
    Eval {
        /// TOML files of labelled logs (`[[case]]`) or queries (`[[query]]`),
        /// each reported on its own.
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Rules directory (default: the rules built into triage).
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
        /// Refit the confidence model on the labelled logs of the FILES and
        /// write it to OUT (`-`: standard output), e.g.
        /// `knowledge/confidence.toml`.
        #[arg(long, value_name = "OUT")]
        calibrate: Option<PathBuf>,
        /// Judge confidence with this model instead of the built-in one
        /// (to check a refitted model on a set it was not fitted on).
        #[arg(long, value_name = "MODEL")]
        confidence_model: Option<PathBuf>,
    },
    /// Run every rule's examples through the matcher.
    Test {
        /// Rules directory (default: the rules built into triage).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Check rule files for errors.
    Lint {
        /// Rules directory (default: the rules built into triage).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Also require symptoms, steps and examples (as for bundled rules).
        #[arg(long)]
        strict: bool,
    },
    /// Serve the search, the articles and diagnose as web pages and a JSON API.
    Serve {
        /// Rules directory (default: the rules built into triage). Reloaded
        /// on SIGHUP and when a rule file changes.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Address to listen on; another interface than loopback only when told.
        #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// The server's address as browsers reach it: articles without a link
        /// of their own link to their page under it (the other commands read
        /// TRIAGE_PUBLIC_URL only).
        #[arg(long, value_name = "URL", env = "TRIAGE_PUBLIC_URL")]
        public_url: Option<String>,
        /// Largest request body accepted (a log, also once decompressed); 413 beyond.
        #[arg(long, value_name = "BYTES", default_value_t = 32 << 20)]
        max_body: u64,
        /// Seconds allowed to send headers, between reads, for a write, for
        /// a whole request: HEADER,READ,WRITE,REQUEST. Hidden: the defaults
        /// suit a service; the tests shorten them.
        #[arg(long, hide = true, value_name = "H,R,W,REQ")]
        timeouts: Option<triage::serve::Timeouts>,
    },
    /// Print the regular expressions the matcher compiles, one per line (for `rg -f`).
    Patterns {
        /// Rules directory (default: the rules built into triage).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(long_about = "Print a shell completion script to standard output.\n\n\
                      bash: triage completions bash > ~/.local/share/bash-completion/completions/triage\n\
                      zsh:  triage completions zsh > ~/.zfunc/_triage  (with ~/.zfunc in $fpath)\n\
                      fish: triage completions fish > ~/.config/fish/completions/triage.fish")]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every argument and option of every command says what it is for.
    #[test]
    fn every_argument_has_help() {
        let mut missing = Vec::new();
        let mut commands = vec![Cli::command()];
        while let Some(command) = commands.pop() {
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{} {}", command.get_name(), arg.get_id()));
                }
            }
            if command.get_about().is_none() && command.get_name() != "help" {
                missing.push(format!("{} (the command)", command.get_name()));
            }
            commands.extend(command.get_subcommands().cloned());
        }
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
