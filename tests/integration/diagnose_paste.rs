//! What a person pastes is a failure, and a log with no failure recognised
//! is still compared with the articles by its last lines; only a run that
//! ends in success has nothing to diagnose.

use std::path::Path;

use crate::support::Test;

/// Two small rules, written here, quoting errors with no trigger word.
pub(crate) fn rules(dir: &Path) {
    std::fs::write(
        dir.join("widget-pipeline-mode.toml"),
        r#"id = "widget-pipeline-mode"
title = "Widget cache calls fail: already in pipeline mode"
signatures = ['Widget::pipeline(): Already in pipeline mode']
cause = "Two widget cache clients share one connection."
steps = ["Give each widget cache client its own connection."]
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("gadget-disk-full.toml"),
        r#"id = "gadget-disk-full"
title = "Gadget import stops: the disk is full"
signatures = ['gadget import: no space left on device']
cause = "The gadget import writes temporary files."
steps = ["Free space on the gadget volume."]
"#,
    )
    .unwrap();
}

#[test]
fn a_pasted_line_with_no_trigger_word_is_the_failure() {
    let dir = tempfile::tempdir().unwrap();
    rules(dir.path());
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(dir.path())
        .stdin("Widget::pipeline(): Already in pipeline mode\n")
        .stdout_starts_with("Diagnosis: Widget cache calls fail: already in pipeline mode")
        .stdout_contains("1: Widget::pipeline(): Already in pipeline mode")
        .stdout_lacks("nothing to diagnose")
        .run();
}

#[test]
fn a_long_log_with_no_failure_recognised_is_compared_by_its_tail() {
    let dir = tempfile::tempdir().unwrap();
    rules(dir.path());
    let mut log: String = (1..=40).map(|n| format!("widget step {n}\n")).collect();
    log.push_str("widget cache pipeline stalled\n");
    let out = Test::new()
        .args(["diagnose", "--format", "json", "--rules"])
        .arg(dir.path())
        .stdin(log.clone())
        .status(1)
        .run();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Nothing recognised as failing, nothing diagnosed, the closest shown.
    assert_eq!(json["failure"], serde_json::json!([]));
    assert_eq!(json["diagnoses"], serde_json::json!([]));
    assert_eq!(json["related"][0]["id"], "widget-pipeline-mode");
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(dir.path())
        .stdin(log)
        .status(1)
        .stdout_starts_with("No failure recognised in 41 lines; compared by its last lines")
        .stdout_contains("Possibly related")
        .run();
}

#[test]
fn a_run_that_ends_in_success_has_nothing_to_diagnose() {
    let dir = tempfile::tempdir().unwrap();
    rules(dir.path());
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(dir.path())
        .stdin("Cache cleared successfully.\n")
        .status(1)
        .stdout("No failure found in 1 line: nothing to diagnose.\n")
        .run();
    let mut log: String = (1..=40).map(|n| format!("widget step {n}\n")).collect();
    log.push_str("Widget deploy completed successfully.\n");
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(dir.path())
        .stdin(log)
        .status(1)
        .stdout("No failure found in 41 lines: nothing to diagnose.\n")
        .run();
}
