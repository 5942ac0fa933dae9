//! Usage and input errors: exit code 2 and a message that names the culprit.

use crate::support::{ingested_kb, log, Test};

#[test]
fn unknown_flag_is_exit_2() {
    for args in [
        &["diagnose", "--no-such-flag"][..],
        &["search", "lock", "--colour"][..],
        &["ingest", "kb", "--out", "x", "--bogus"][..],
    ] {
        Test::new()
            .args(args)
            .status(2)
            .stdout("")
            .stderr_contains("unexpected argument")
            .run();
    }
}

#[test]
fn unknown_subcommand_and_bad_values_are_exit_2() {
    Test::new().arg("frobnicate").status(2).run();
    Test::new().status(2).run();
    Test::new()
        .args(["diagnose", "--format", "yaml", "-"])
        .stdin("")
        .status(2)
        .stderr_contains("yaml")
        .run();
    Test::new()
        .args(["diagnose", "--top", "many", "-"])
        .stdin("")
        .status(2)
        .run();
    // Nothing to show is a mistake, not an empty report.
    Test::new()
        .args(["diagnose", "--top", "0", "-"])
        .stdin("Fatal error: widget store is gone\n")
        .status(2)
        .stderr_contains("at least 1")
        .run();
    Test::new()
        .args(["search", "--limit", "0", "widget"])
        .status(2)
        .stderr_contains("at least 1")
        .run();
    Test::new().args(["ingest", "somewhere"]).status(2).run();
}

#[test]
fn missing_log_file_is_exit_2_with_the_path() {
    let rules = ingested_kb();
    let missing = rules.path().join("logs/deploy-missing.log");
    Test::new()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules.path())
        .arg(&missing)
        .status(2)
        .stdout("")
        .stderr_contains(missing.display().to_string())
        .run();
}

/// Each log is diagnosed on its own (issue 17): a missing one is named and
/// the others still reported; the good one's diagnosis makes the exit 0.
#[test]
fn missing_log_after_a_good_one_is_named_and_the_good_one_reported() {
    let rules = ingested_kb();
    Test::new()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules.path())
        .arg(log("repo-auth-box.log"))
        .arg("nowhere/second.log")
        .status(0)
        .stdout_contains("Diagnosis:")
        .stderr_contains("cannot open log nowhere/second.log")
        .run();
}

#[test]
fn missing_rules_dir_is_exit_2_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-rules-here");
    Test::new()
        .arg("diagnose")
        .arg("--rules")
        .arg(&missing)
        .arg(log("empty.log"))
        .status(2)
        .stderr_contains("no-rules-here")
        .run();
    Test::new()
        .args(["search", "lock", "--rules"])
        .arg(&missing)
        .status(2)
        .stderr_contains("no-rules-here")
        .run();
}

#[test]
fn empty_rules_dir_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    Test::new()
        .arg("diagnose")
        .arg("--rules")
        .arg(dir.path())
        .arg(log("empty.log"))
        .status(2)
        .stderr_contains("no rule files")
        .run();
}

#[test]
fn corrupt_gzip_is_exit_2_naming_the_file() {
    let rules = ingested_kb();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("truncated.log.gz");
    // A gzip header with nothing after it.
    std::fs::write(&gz, [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, 0x01]).unwrap();
    Test::new()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules.path())
        .arg(&gz)
        .status(2)
        .stderr_contains("truncated.log.gz")
        .run();
}
