//! The default knowledge compiled into the binary from the project's own
//! `rules/` (see `build.rs`, which also lints them).

use std::path::Path;

use super::store::{parse_rule, LoadedRule, RulebookError};

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The embedded rules, parsed. They were linted at build time, so an error
/// here means the binary itself is broken.
pub fn load() -> Result<Vec<LoadedRule>, RulebookError> {
    EMBEDDED_RULES
        .iter()
        .map(|(name, text)| {
            Ok(LoadedRule {
                rule: parse_rule(text, Path::new(name))?,
                origin: (*name).to_string(),
            })
        })
        .collect()
}
