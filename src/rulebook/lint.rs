//! Checks on rules that need nothing but the rules themselves.
//!
//! Also compiled by `build.rs` (via `#[path]`), so that a bundled rule that
//! does not lint fails the build: keep this file free of other crate modules.

use std::collections::HashMap;

use super::rule::{Rule, WILDCARD};

/// One problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Line (1-based) of the first line of `text` that contains `needle`, or 1.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

/// Line (1-based) of a rule file where the string `value` is written: as
/// it is (a literal string), or escaped as in a basic string (`"\\d"` for
/// `\d`); 1 when neither is found.
pub fn line_of_value(text: &str, value: &str) -> usize {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    text.lines()
        .position(|l| l.contains(value) || l.contains(&escaped))
        .map_or(1, |i| i + 1)
}

/// Lint rules given as (file name, file text, parsed rule). `strict` also
/// demands what a curated knowledge base must have: symptoms, steps and
/// examples both ways.
pub fn lint(rules: &[(String, String, Rule)], strict: bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (file, text, rule) in rules {
        let mut problem = |needle: &str, message: String| {
            problems.push(Problem {
                file: file.clone(),
                line: line_of_value(text, needle),
                message,
            })
        };
        if rule.id.trim().is_empty() {
            problem("id", "rule has an empty id".into());
        }
        if let Some(other) = seen.insert(rule.id.as_str(), file.as_str()) {
            problem(
                "id",
                format!("duplicate id {:?} (also in {other})", rule.id),
            );
        }
        if rule.title.trim().is_empty() {
            problem("title", "rule has an empty title".into());
        }
        for (key, list) in [
            ("patterns", &rule.patterns),
            ("require", &rule.require),
            ("exclude", &rule.exclude),
        ] {
            for pattern in list {
                if let Err(e) = regex::Regex::new(pattern) {
                    let first = e.to_string().lines().last().unwrap_or("").to_string();
                    problem(pattern, format!("{key}: regex does not compile: {first}"));
                }
            }
        }
        for sig in rule.signatures.iter().flat_map(|s| s.lines()) {
            let literal: usize = sig
                .split(WILDCARD)
                .flat_map(str::chars)
                .filter(|c| c.is_alphabetic())
                .count();
            if literal < 6 {
                problem(
                    sig,
                    format!("signature {sig:?} has too little literal text to be specific"),
                );
            }
        }
        if strict {
            if rule.signatures.is_empty() && rule.patterns.is_empty() && rule.error_codes.is_empty()
            {
                problem(
                    "id",
                    "rule has no symptoms (signatures, patterns or error_codes)".into(),
                );
            }
            if rule.steps.is_empty() {
                problem("id", "rule has no remediation steps".into());
            }
            if rule.examples.must_match.is_empty() {
                problem(
                    "id",
                    "rule has no must-match example ([examples] match)".into(),
                );
            }
            if rule.examples.must_not_match.is_empty() {
                problem(
                    "id",
                    "rule has no must-not-match example ([examples] no_match)".into(),
                );
            }
        }
    }
    problems
}

/// Notes, not problems, naming each rule that gives diagnose nothing to
/// match: no quoted error, no pattern, no error code. Such a rule is found
/// by its words only, as a "possibly related" article, never a diagnosis.
pub fn unmatchable_notes(rules: &[(String, String, Rule)]) -> Vec<Problem> {
    let mut notes = Vec::new();
    for (file, text, rule) in rules {
        if !(rule.signatures.is_empty() && rule.patterns.is_empty() && rule.error_codes.is_empty())
        {
            continue;
        }
        let words = !(rule.issue.is_empty() && rule.cause.is_empty() && rule.body.is_empty());
        let reason = if words {
            "quotes no error message (no error-message title or heading, no code block \
             showing error output, no quoted message in its text) and lists no error code: \
             found by its words only, never diagnosed with confidence"
        } else {
            "has no error message, no error code and no text: nothing to match"
        };
        notes.push(Problem {
            file: file.clone(),
            line: line_of(text, "id ="),
            message: format!("note: {}: {reason}", rule.id),
        });
    }
    notes
}

/// Warnings about signature lines that start with a prefix the log stage
/// strips from every log line before matching (`E: `, a timestamp, a
/// level): as written, such a line matches no log line that has the
/// prefix. `stripped` is the log stage's own prefix parser
/// (`log::prefix::stripped`), passed in because this file must stay free
/// of other crate modules. Warnings, not problems: the rule still loads
/// and may match by its other lines.
pub fn prefix_warnings(
    rules: &[(String, String, Rule)],
    stripped: &dyn Fn(&str) -> Option<&str>,
) -> Vec<Problem> {
    let mut warnings = Vec::new();
    for (file, text, rule) in rules {
        for sig in rule.signatures.iter().flat_map(|s| s.lines()) {
            if let Some(prefix) = stripped(sig.trim()) {
                warnings.push(Problem {
                    file: file.clone(),
                    line: line_of(text, sig),
                    message: format!(
                        "warning: signature {sig:?} starts with {prefix:?}, which the log \
                         stage strips from log lines before matching"
                    ),
                });
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_with(signatures: &[&str]) -> Vec<(String, String, Rule)> {
        let rule = Rule {
            id: "widget".into(),
            title: "Widget store".into(),
            signatures: signatures.iter().map(|s| s.to_string()).collect(),
            ..Rule::default()
        };
        let text = format!("id = \"widget\"\nsignatures = {signatures:?}\n");
        vec![("widget.toml".to_string(), text, rule)]
    }

    #[test]
    fn a_signature_with_a_prefix_the_log_stage_strips_is_warned_about() {
        let rules = rule_with(&[
            "E: Error building project: Step failed",
            "The widget store is gone\n[SUCCESS]: Widget store rebuilt",
            "Widget store <*> is gone",
        ]);
        let warnings = prefix_warnings(&rules, &crate::log::prefix::stripped);
        let messages: Vec<&str> = warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "warning: signature \"E: Error building project: Step failed\" starts with \
                 \"E: \", which the log stage strips from log lines before matching",
                "warning: signature \"[SUCCESS]: Widget store rebuilt\" starts with \
                 \"[SUCCESS]: \", which the log stage strips from log lines before matching",
            ]
        );
        assert!(warnings
            .iter()
            .all(|w| w.file == "widget.toml" && w.line == 2));
        // Only a warning: lint itself finds nothing wrong with the rule.
        assert!(lint(&rules, false).is_empty());
    }
}
