//! The integration tests: one binary, so that `cargo test` links the
//! library once for all of them, and the helpers are an ordinary module
//! (`support`).
//!
//! Each suite is a module; run one with
//! `cargo test --test integration <suite>::`. The `cli_*` suites and
//! `bundled_rules` run the real `triage` binary through `support::Test`;
//! the `serve_*` suites start it as a server on loopback
//! (`support::server`), `serve_browser` with Chromium in front
//! (`support::webdriver`); the others call the library. Those measuring against the real data in
//! `../shared` skip when it is absent, and fail instead when `CI` is set
//! (`support::shared`). Fixtures and golden files live in `tests/fixtures`
//! and `tests/golden`; `UPDATE_GOLDEN=1` rewrites the golden files.
//! Cargo.toml's `autotests = false` builds nothing else from `tests/`:
//! `layout` checks that no test file is left out.

mod support;

mod article_bad_input;
mod article_corpus;
mod article_golden;
mod article_seed;
mod article_shapes;
mod bundled_rules;
mod cli_broken_pipe;
mod cli_diagnose;
mod cli_errors;
mod cli_eval;
mod cli_hostile;
mod cli_ingest;
mod cli_links;
mod cli_lint;
mod cli_search;
mod cli_seed;
mod cli_show;
mod diagnose_eval;
mod diagnose_paste;
mod diagnose_robustness;
mod layout;
mod log_eval;
mod log_fixtures;
mod search_eval;
mod search_fixtures;
mod serve_api;
mod serve_browser;
mod serve_confidence;
mod serve_pages;
mod serve_reload;
mod serve_security;
