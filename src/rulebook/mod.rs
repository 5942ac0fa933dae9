//! The rule type, reading and writing a rules directory, lint, and the
//! embedded default rules.

pub mod embedded;
pub mod lint;
pub mod rule;
pub mod store;

pub use rule::Rule;
pub use store::{load_dir, write_rule, LoadedRule, RulebookError, WriteOutcome};
