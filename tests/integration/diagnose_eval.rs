//! Accuracy of diagnose on the labelled real logs of `../shared/eval`, with
//! rules ingested from `../shared/corpus` by the library (skips when the
//! shared data is absent). Pins the figures reached so that a change that
//! buys speed or simplicity with accuracy shows up here.

use triage::eval::{self, share, Report};

use crate::support::shared::{corpus_engine, shared};

#[test]
fn labelled_logs_get_their_article_and_others_none() {
    let (Some(cases), Some(corpus)) = (shared("eval/cases.toml"), shared("corpus")) else {
        return;
    };
    let engine = corpus_engine(&corpus);
    let Report::Cases(r) = eval::run(&engine, &cases).unwrap() else {
        panic!("cases.toml holds cases");
    };
    let (top1, top3, abstain) = (
        share(r.top1, r.labelled),
        share(r.top3, r.labelled),
        share(r.abstained, r.unlabelled),
    );
    println!(
        "labelled {}: top-1 {top1:.3}, top-3 {top3:.3}; unlabelled {}: abstained {abstain:.3}",
        r.labelled, r.unlabelled
    );
    for m in &r.misses {
        println!(
            "  miss {}: expected {:?}, got {:?}",
            m.id, m.expected, m.predicted
        );
    }
    // What the general pipeline reaches today (0.868 / 0.943 / 0.906); the
    // issue's targets are 0.80 / 0.90 / 0.90. Raise as matching improves;
    // top-1 and top-3 are pinned at today's figures (46 and 50 of 53).
    assert!(top1 >= 0.86, "top-1 {top1:.3}");
    assert!(top3 >= 0.94, "top-3 {top3:.3}");
    assert!(abstain >= 0.90, "abstention {abstain:.3}");
    // Confident answers are mostly right ones.
    assert!(
        r.diagnosed_wrong * 4 <= r.diagnosed_right,
        "{} right, {} wrong diagnoses",
        r.diagnosed_right,
        r.diagnosed_wrong
    );
}
