//! `triage test`: every rule's examples through the real pipeline (Sigma
//! style). A must-match example has to make its rule the top diagnosis; a
//! must-not-match example must not make it a diagnosis at all.

use crate::diagnose::{self, Engine};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule_id: String,
    pub origin: String,
    pub kind: &'static str,
    pub example: String,
    pub message: String,
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
        let origin = &engine.origins[i];
        for example in &rule.examples.must_match {
            report.examples += 1;
            let d = match diagnose::diagnose(engine, example.as_bytes(), 3) {
                Ok(d) => d,
                Err(e) => {
                    report
                        .failures
                        .push(failure(rule, origin, "match", example, e.to_string()));
                    continue;
                }
            };
            match d.diagnoses.first() {
                Some(top) if top.id == rule.id => {}
                Some(top) => report.failures.push(failure(
                    rule,
                    origin,
                    "match",
                    example,
                    format!("diagnosed as {} instead", top.id),
                )),
                None => report.failures.push(failure(
                    rule,
                    origin,
                    "match",
                    example,
                    if d.failure.is_empty() {
                        "no failure found in the example".into()
                    } else {
                        "no rule reached medium confidence".into()
                    },
                )),
            }
        }
        for example in &rule.examples.must_not_match {
            report.examples += 1;
            if let Ok(d) = diagnose::diagnose(engine, example.as_bytes(), 10) {
                if d.diagnoses.iter().any(|f| f.id == rule.id) {
                    report.failures.push(failure(
                        rule,
                        origin,
                        "no_match",
                        example,
                        "the rule fired".into(),
                    ));
                }
            }
        }
    }
    report
}

fn failure(
    rule: &crate::rulebook::Rule,
    origin: &str,
    kind: &'static str,
    example: &str,
    message: String,
) -> ExampleFailure {
    ExampleFailure {
        rule_id: rule.id.clone(),
        origin: origin.to_string(),
        kind,
        example: example.to_string(),
        message,
    }
}

/// Must-match examples that the real matcher gives to another rule: the two
/// rules contradict each other (`triage lint`). `texts` are the rule files'
/// texts, in the engine's rule order, to point at the example's line.
pub fn contradictions(engine: &Engine, texts: &[String]) -> Vec<crate::rulebook::lint::Problem> {
    let mut out = Vec::new();
    for (i, rule) in engine.rules.iter().enumerate() {
        for example in &rule.examples.must_match {
            let Ok(d) = diagnose::diagnose(engine, example.as_bytes(), 3) else {
                continue;
            };
            let Some(top) = d.diagnoses.first() else {
                continue;
            };
            if top.id == rule.id {
                continue;
            }
            let first = example.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let line = texts
                .get(i)
                .and_then(|t| {
                    t.lines()
                        .position(|l| !first.is_empty() && l.contains(first.trim()))
                })
                .map_or(1, |n| n + 1);
            out.push(crate::rulebook::lint::Problem {
                file: engine.origins[i].clone(),
                line,
                message: format!(
                    "match example of {} is diagnosed as {} instead: the two rules' symptoms overlap",
                    rule.id, top.id
                ),
            });
        }
    }
    out
}
