//! `triage eval` on labelled logs the test writes: the figures, and for
//! each miss the stage that lost it.

use crate::support::Test;

/// A rules directory and a labelled file of five logs, under `dir`.
fn labelled(dir: &std::path::Path) {
    let rules = dir.join("rules");
    std::fs::create_dir(&rules).unwrap();
    crate::diagnose_paste::rules(&rules);
    let logs = dir.join("logs");
    std::fs::create_dir(&logs).unwrap();
    let write = |name: &str, text: &str| std::fs::write(logs.join(name), text).unwrap();
    write(
        "right.log",
        "Widget::pipeline(): Already in pipeline mode\n",
    );
    // Labelled with the other article, which has no evidence at all.
    write(
        "wrong-label.log",
        "Widget::pipeline(): Already in pipeline mode\n",
    );
    // Both articles have evidence; the gadget one wins.
    write(
        "outranked.log",
        "widget cache ready\nERROR: gadget import: no space left on device\n",
    );
    write("succeeded.log", "Widget deploy completed successfully.\n");
    write("control.log", "Gadget import finished successfully.\n");
    std::fs::write(
        dir.join("cases.toml"),
        r#"[[case]]
id = "right"
log = "logs/right.log"
expect = ["widget-pipeline-mode"]

[[case]]
id = "wrong-label"
log = "logs/wrong-label.log"
expect = ["gadget-disk-full"]

[[case]]
id = "outranked"
log = "logs/outranked.log"
expect = ["widget-pipeline-mode"]

[[case]]
id = "succeeded"
log = "logs/succeeded.log"
expect = ["widget-pipeline-mode"]

[[case]]
id = "control"
log = "logs/control.log"
expect = []
theme = "control"
"#,
    )
    .unwrap();
}

#[test]
fn each_miss_names_the_stage_that_lost_it() {
    let dir = tempfile::tempdir().unwrap();
    labelled(dir.path());
    let rules = dir.path().join("rules");
    let out = Test::new()
        .args(["eval", "--rules"])
        .arg(&rules)
        .arg(dir.path().join("cases.toml"))
        .run();
    let text = String::from_utf8(out.stdout).unwrap();
    let lost = |id: &str| {
        let at = text
            .find(&format!("miss {id}:"))
            .unwrap_or_else(|| panic!("{id} not a miss: {text}"));
        text[at..].lines().nth(1).unwrap().to_string()
    };
    assert_eq!(
        lost("wrong-label"),
        "  lost: right article not among the candidates"
    );
    assert!(
        lost("outranked").starts_with("  lost: ranked 2, outranked by gadget-disk-full (quote "),
        "{text}"
    );
    assert_eq!(lost("succeeded"), "  lost: failure not found");
    assert!(!text.contains("miss right:"), "{text}");
    assert!(
        text.contains(
            "labelled cases: 4  top-1: 25.0% (1)  top-3: 50.0% (2)  diagnosed: 1 right, 2 wrong"
        ),
        "{text}"
    );
    assert!(text.contains("no diagnosis: 100.0% (1)"), "{text}");
    // The successful run got nothing ranked; of the three confident
    // answers, one was right.
    assert!(
        text.contains("empty answers: 1  high confidence: 1 of 3 right (33.3%)"),
        "{text}"
    );
}

#[test]
fn the_confidence_model_is_refitted_and_checked_from_files() {
    let dir = tempfile::tempdir().unwrap();
    labelled(dir.path());
    let model = dir.path().join("confidence.toml");
    Test::new()
        .args(["eval", "--rules"])
        .arg(dir.path().join("rules"))
        .arg("--calibrate")
        .arg(&model)
        .arg(dir.path().join("cases.toml"))
        .stderr_contains("confidence.toml (")
        .run();
    let text = std::fs::read_to_string(&model).unwrap();
    let fitted = triage::matcher::ConfidenceModel::parse(&text, "fitted").unwrap();
    assert!(fitted.fitted_on.contains("cases.toml"), "{text}");
    // The bands are the built-in model's; the weights are fitted.
    let bundled = triage::matcher::ConfidenceModel::bundled();
    assert_eq!((fitted.high, fitted.medium), (bundled.high, bundled.medium));
    assert_ne!(fitted.weights, bundled.weights);
    // And it is used when named.
    Test::new()
        .args(["eval", "--rules"])
        .arg(dir.path().join("rules"))
        .arg("--confidence-model")
        .arg(&model)
        .arg(dir.path().join("cases.toml"))
        .stdout_contains("labelled cases: 4")
        .run();
    // A broken one is named with its line.
    std::fs::write(&model, "high = 0.9\nmedium = [\n").unwrap();
    Test::new()
        .args(["eval", "--confidence-model"])
        .arg(&model)
        .arg(dir.path().join("cases.toml"))
        .status(2)
        .stderr_contains("confidence.toml:2: ")
        .run();
}
