//! The integration tests: one binary, so that `cargo test` links the
//! library once for all of them, and helpers are an ordinary module.
//!
//! Each suite is a module; run one with
//! `cargo test --test integration <suite>::`. Suites named `cli_*` and
//! `bundled_rules` run the real `triage` binary; the others call the
//! library. Those measuring against the real data in `../shared` skip
//! when it is absent, unless `CI` is set (see `support::shared`).

mod support;

mod article_bad_input;
mod article_corpus;
mod article_golden;
mod article_seed;
mod bundled_rules;
mod cli_diagnose;
mod cli_errors;
mod cli_ingest;
mod cli_lint;
mod cli_search;
mod cli_seed;
mod cli_show;
mod diagnose_eval;
mod diagnose_robustness;
mod layout;
mod log_eval;
mod log_fixtures;
mod search_eval;
mod search_fixtures;
