//! A reader that goes away (`triage patterns | head -1`) ends the run with
//! exit code 0 and nothing on standard error, as ripgrep does.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use assert_cmd::assert::OutputAssertExt;
use predicates::prelude::*;

const UNKNOWN_FAILURE: &str = "tests/fixtures/cli/logs/unknown-failure.log";

/// Runs triage on the bundled rules with its standard output closed, so
/// that its first write fails with a broken pipe. `stdin` is fed only after
/// the close: a command reading it cannot have written before.
fn with_stdout_closed(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("triage starts");
    drop(child.stdout.take());
    let mut input = child.stdin.take().expect("stdin is piped");
    input
        .write_all(stdin.as_bytes())
        .expect("triage reads stdin");
    drop(input);
    child.wait_with_output().expect("triage ends")
}

#[test]
fn every_command_that_prints_a_report_exits_0_quietly() {
    for args in [
        &["patterns"][..],
        &["show", "build-step-killed-out-of-memory"],
        &[
            "show",
            "build-step-killed-out-of-memory",
            "--format",
            "json",
        ],
        &["search", "killed", "out", "of", "memory"],
        &["diagnose", "tests/fixtures/cli/logs/killed-137.log"],
    ] {
        with_stdout_closed(args, "")
            .assert()
            .code(0)
            .stderr(predicate::str::is_empty());
    }
}

#[test]
fn a_log_with_no_known_issue_still_exits_0_when_the_reader_is_gone() {
    // Exit code 1 otherwise; read from stdin, so the write surely fails.
    let log = std::fs::read_to_string(UNKNOWN_FAILURE).expect("fixture log");
    for format in ["text", "json", "markdown"] {
        with_stdout_closed(&["diagnose", "--format", format, "-"], &log)
            .assert()
            .code(0)
            .stderr(predicate::str::is_empty());
    }
}
