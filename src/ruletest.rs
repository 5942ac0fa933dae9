//! `triage test`: every rule's examples through the real pipeline (Sigma
//! style). A must-match example has to make its rule the top diagnosis; a
//! must-not-match example must not make it a diagnosis at all.

use crate::diagnose::{self, Engine};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule_id: String,
    /// Index of the rule in the engine.
    pub rule: usize,
    pub origin: String,
    pub kind: &'static str,
    pub example: String,
    pub message: String,
    /// For a must-match example won by another rule: that rule's id.
    pub diagnosed_as: Option<String>,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first = self
            .example
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        write!(
            f,
            "{}: rule {} {} example ({:?}...): {}",
            self.origin, self.rule_id, self.kind, first, self.message
        )
    }
}

#[derive(Debug, Default)]
pub struct TestReport {
    pub examples: usize,
    pub failures: Vec<ExampleFailure>,
}

pub fn run(engine: &Engine) -> TestReport {
    let mut report = TestReport::default();
    for (i, rule) in engine.rules.iter().enumerate() {
        let failure = |kind, example: &str, message: String, diagnosed_as| ExampleFailure {
            rule_id: rule.id.clone(),
            rule: i,
            origin: engine.origins[i].clone(),
            kind,
            example: example.to_string(),
            message,
            diagnosed_as,
        };
        for example in &rule.examples.must_match {
            report.examples += 1;
            let d = match diagnose::diagnose(engine, example.as_bytes(), 3) {
                Ok(d) => d,
                Err(e) => {
                    report
                        .failures
                        .push(failure("match", example, e.to_string(), None));
                    continue;
                }
            };
            match d.diagnoses.first() {
                Some(top) if top.id == rule.id => {}
                Some(top) => report.failures.push(failure(
                    "match",
                    example,
                    format!("diagnosed as {} instead", top.id),
                    Some(top.id.clone()),
                )),
                None => report.failures.push(failure(
                    "match",
                    example,
                    if d.failure.is_empty() {
                        "no failure found in the example".into()
                    } else {
                        "no rule reached medium confidence".into()
                    },
                    None,
                )),
            }
        }
        for example in &rule.examples.must_not_match {
            report.examples += 1;
            if let Ok(d) = diagnose::diagnose(engine, example.as_bytes(), 10) {
                if d.diagnoses.iter().any(|f| f.id == rule.id) {
                    report.failures.push(failure(
                        "no_match",
                        example,
                        "the rule fired".into(),
                        None,
                    ));
                }
            }
        }
    }
    report
}

/// Must-match examples that the real matcher gives to another rule: the two
/// rules contradict each other (`triage lint`). `texts` are the rule files'
/// texts, in the engine's rule order, to point at the example's line.
pub fn contradictions(engine: &Engine, texts: &[String]) -> Vec<crate::rulebook::lint::Problem> {
    run(engine)
        .failures
        .into_iter()
        .filter_map(|f| {
            let winner = f.diagnosed_as?;
            let first = f.example.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let line = texts
                .get(f.rule)
                .and_then(|t| {
                    t.lines()
                        .position(|l| !first.is_empty() && l.contains(first.trim()))
                })
                .map_or(1, |n| n + 1);
            Some(crate::rulebook::lint::Problem {
                file: f.origin,
                line,
                message: format!(
                    "match example of {} is diagnosed as {winner} instead: the two rules' symptoms overlap",
                    f.rule_id
                ),
            })
        })
        .collect()
}
