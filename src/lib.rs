//! triage: a rule-based troubleshooting knowledge engine.
//!
//! The data flows one way, one module per stage:
//!
//! ```text
//! articles --article--> Article --extract--> Rule --rulebook (TOML)--> RuleSet
//! log --log (read, normalise, find failure)--> Failure --matcher--> Diagnosis --report--> text|json|md
//! RuleSet --search--> SearchIndex <-- query
//! ```
//!
//! - `article`: files to [`Article`]s (format sniffing, front matter, HTML,
//!   Markdown, reference tables, section recognition);
//! - `extract`: an article's quoted errors to signature templates, and the
//!   rest of a [`Rule`];
//! - `rulebook`: the rule type, reading and writing a rules directory,
//!   lint, the embedded default; `knowledge` loads rules and their search
//!   index (and caches both beside a rules directory);
//! - `log`: reading a log and finding its failure; `matcher`: the failure
//!   against every rule's signatures, to scored candidates; `diagnose`
//!   drives the two and assembles a diagnosis;
//! - `search`: the index over rules and its queries;
//! - `report`: text, JSON and Markdown renderers;
//! - `serve`: the web pages and JSON API over the same calls and renderers
//!   as the CLI, and the public links of the project's own articles;
//! - `ingest`, `ruletest`, `eval`: the commands that run a whole stage
//!   (ingest a knowledge base, run rules' examples, measure on labelled
//!   files); `main.rs` and `cli.rs` are a thin layer over these.
//!
//! Inside a stage, one file does one job: `log`'s module comment lists the
//! files of the largest stage and the job of each. Stages share only what
//! both sides of a comparison must agree on: `log::prefix` strips the
//! decorations in front of a message from log lines and from the errors
//! articles quote alike, and `text` holds the word analysis search and the
//! matcher share. What is not split: `knowledge` keeps the cache beside the
//! loading it speeds up, because the cache's validity is defined by what was
//! loaded; `diagnose` is one pass over one log, small enough to read whole.

mod lazy;

pub mod article;
pub mod diagnose;
pub mod embed;
pub mod eval;
pub mod extract;
pub mod ingest;
pub mod knowledge;
pub mod log;
pub mod matcher;
pub mod report;
pub mod rulebook;
pub mod ruletest;
pub mod search;
pub mod serve;
pub mod text;

pub use article::model::{Article, Block, Document, Format};
pub use rulebook::rule::Rule;
