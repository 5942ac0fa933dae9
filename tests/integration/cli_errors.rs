//! Usage and input errors: exit code 2 and a message that names the culprit.

use predicates::prelude::*;

use crate::support::*;

#[test]
fn unknown_flag_is_exit_2() {
    for args in [
        &["diagnose", "--no-such-flag"][..],
        &["search", "lock", "--colour"][..],
        &["ingest", "kb", "--out", "x", "--bogus"][..],
    ] {
        triage()
            .args(args)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("unexpected argument"));
    }
}

#[test]
fn unknown_subcommand_and_bad_values_are_exit_2() {
    triage().arg("frobnicate").assert().code(2);
    triage().assert().code(2);
    triage()
        .args(["diagnose", "--format", "yaml", "-"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("yaml"));
    triage()
        .args(["diagnose", "--top", "many", "-"])
        .write_stdin("")
        .assert()
        .code(2);
    // Nothing to show is a mistake, not an empty report.
    triage()
        .args(["diagnose", "--top", "0", "-"])
        .write_stdin("Fatal error: widget store is gone\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least 1"));
    triage()
        .args(["search", "--limit", "0", "widget"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least 1"));
    triage().args(["ingest", "somewhere"]).assert().code(2);
}

#[test]
fn missing_log_file_is_exit_2_with_the_path() {
    let rules = ingested_kb();
    let missing = rules.path().join("logs/deploy-missing.log");
    triage()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules.path())
        .arg(&missing)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(missing.display().to_string()));
}

#[test]
fn missing_log_after_a_good_one_is_still_exit_2() {
    let rules = ingested_kb();
    triage()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules.path())
        .arg(log("repo-auth-box.log"))
        .arg("nowhere/second.log")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nowhere/second.log"));
}

#[test]
fn missing_rules_dir_is_exit_2_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-rules-here");
    triage()
        .arg("diagnose")
        .arg("--rules")
        .arg(&missing)
        .arg(log("empty.log"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-rules-here"));
    triage()
        .args(["search", "lock", "--rules"])
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-rules-here"));
}

#[test]
fn empty_rules_dir_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    triage()
        .arg("diagnose")
        .arg("--rules")
        .arg(dir.path())
        .arg(log("empty.log"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule files"));
}

#[test]
fn corrupt_gzip_is_exit_2_naming_the_file() {
    let rules = ingested_kb();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("truncated.log.gz");
    // A gzip header with nothing after it.
    std::fs::write(&gz, [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, 0x01]).unwrap();
    triage()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules.path())
        .arg(&gz)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("truncated.log.gz"));
}
