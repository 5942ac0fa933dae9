//! Accuracy of diagnose on the labelled real logs of `../shared/eval`, each
//! set with its own knowledge base ingested by the library (skips when the
//! shared data is absent). Pins the figures reached so that a change that
//! buys speed or simplicity with accuracy shows up here.

use std::path::Path;

use triage::eval::{self, share, CaseReport, Report};

use crate::support::shared::{corpus_engine, shared};

/// Floors of one set: top-1, top-3, abstention, confident right answers.
struct Floors {
    top1: f64,
    top3: f64,
    abstain: f64,
    diagnosed_right: usize,
}

fn check(cases: &Path, corpus: &Path, floors: &Floors) -> CaseReport {
    let engine = corpus_engine(corpus);
    let Report::Cases(r) = eval::run(&engine, cases).unwrap() else {
        panic!("{} holds cases", cases.display());
    };
    let (top1, top3, abstain) = (
        share(r.top1, r.labelled),
        share(r.top3, r.labelled),
        share(r.abstained, r.unlabelled),
    );
    let name = cases.display();
    println!(
        "{name}: labelled {}: top-1 {top1:.3}, top-3 {top3:.3}, diagnosed {} right {} wrong; unlabelled {}: abstained {abstain:.3}; empty {}",
        r.labelled, r.diagnosed_right, r.diagnosed_wrong, r.unlabelled, r.empty
    );
    for m in &r.misses {
        println!(
            "  miss {}: {:?}",
            m.id,
            m.lost.as_ref().map(ToString::to_string)
        );
    }
    assert!(top1 >= floors.top1, "{name}: top-1 {top1:.3}");
    assert!(top3 >= floors.top3, "{name}: top-3 {top3:.3}");
    assert!(abstain >= floors.abstain, "{name}: abstention {abstain:.3}");
    assert!(
        r.diagnosed_right >= floors.diagnosed_right,
        "{name}: {} right diagnoses",
        r.diagnosed_right
    );
    // Confident answers are right ones: at most 5% wrong.
    assert!(
        r.diagnosed_wrong * 20 <= r.diagnosed_right + r.diagnosed_wrong,
        "{name}: {} right, {} wrong diagnoses",
        r.diagnosed_right,
        r.diagnosed_wrong
    );
    r
}

// Floors at today's figures: `.` 0.868 / 0.943 / 0.938 with 19 right
// diagnoses, `b/` 0.717 / 0.906 / 0.960 with 11. The confidence model was
// fitted on these two sets; `github-docs` checks it.
#[test]
fn labelled_logs_get_their_article_and_others_none() {
    let (Some(eval), Some(corpus)) = (shared("eval"), shared("corpus")) else {
        return;
    };
    let a = check(
        &eval.join("cases.toml"),
        &corpus,
        &Floors {
            top1: 0.86,
            top3: 0.94,
            abstain: 0.90,
            diagnosed_right: 19,
        },
    );
    let b = check(
        &eval.join("b/cases.toml"),
        &corpus,
        &Floors {
            top1: 0.71,
            top3: 0.90,
            abstain: 0.90,
            diagnosed_right: 11,
        },
    );
    // Every labelled log gets an answer.
    assert_eq!((a.empty, b.empty), (0, 0));
}

#[test]
fn a_second_knowledge_base_is_diagnosed_too() {
    let Some(github) = shared("eval/github-docs") else {
        return;
    };
    check(
        &github.join("cases.toml"),
        &github.join("corpus"),
        &Floors {
            top1: 0.76,
            top3: 0.94,
            abstain: 0.90,
            diagnosed_right: 11,
        },
    );
}
