//! The rule type, reading and writing a rules directory, lint, and the
//! embedded default rules.

pub mod rule;

pub use rule::Rule;
