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
//! Inside a stage, one file does one job: `log`'s module comment lists the
//! files of the largest stage and the job of each.

mod lazy;

pub mod article;
pub mod diagnose;
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
pub mod text;

pub use article::model::{Article, Block, Document, Format};
pub use rulebook::rule::Rule;
