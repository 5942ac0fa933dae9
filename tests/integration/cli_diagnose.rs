//! `triage diagnose` on the fixture logs, read from files, standard input
//! and gzip, in every output format.

use std::io::Write;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::{ingested_kb, json_of, log, stdout_of, Test};

fn diagnose(rules: &Path, args: &[&str], files: &[&Path]) -> Output {
    Test::new()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules)
        .args(args)
        .args(files)
        .output()
}

fn diagnose_json(rules: &Path, files: &[&Path]) -> (Option<i32>, Value) {
    let o = diagnose(rules, &["--format", "json"], files);
    (o.status.code(), json_of(&o))
}

fn best_id(v: &Value) -> &str {
    v["diagnoses"][0]["id"].as_str().unwrap_or_else(|| {
        panic!("no diagnosis in {v:#}");
    })
}

/// The text of line `n` (1-based) of a fixture log.
fn input_line(path: &Path, n: u64) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .nth(n as usize - 1)
        .unwrap_or_else(|| panic!("{} has no line {n}", path.display()))
        .to_string()
}

fn gzip(plain: &Path, into: &Path) {
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(into).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&std::fs::read(plain).unwrap()).unwrap();
    enc.finish().unwrap();
}

#[test]
fn wrapped_exception_box_is_diagnosed() {
    let rules = ingested_kb();
    let path = log("repo-auth-box.log");
    let (code, v) = diagnose_json(rules.path(), &[&path]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(best_id(&v), "private-repo-auth");
    assert_eq!(v["diagnoses"][0]["confidence"], "high");
    let evidence = v["diagnoses"][0]["evidence"].as_array().unwrap();
    let auth = evidence
        .iter()
        .find(|e| {
            e["text"]
                .as_str()
                .unwrap()
                .contains("URL required authentication (HTTP 401)")
        })
        .unwrap_or_else(|| panic!("the message cut at the box edge is not rejoined: {v:#}"));
    // The box's first content line or the message's first line; never the
    // padding, nor a line after the box.
    let n = auth["line"].as_u64().unwrap();
    assert!((7..=8).contains(&n), "evidence line {n}");
    assert!(!input_line(&path, n).trim().is_empty());
}

#[test]
fn json_escaped_log_on_one_line_is_diagnosed() {
    let rules = ingested_kb();
    let path = log("json-escaped.log");
    let (code, v) = diagnose_json(rules.path(), &[&path]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(best_id(&v), "migration-lock");
    let e = &v["diagnoses"][0]["evidence"][0];
    assert_eq!(e["line"], 2, "the escaped log is line 2 of the input");
    let text = e["text"].as_str().unwrap();
    assert!(text.contains("MigrationLockError"), "{text}");
    assert!(!text.contains("\\n"), "escapes should be undone: {text}");
}

#[test]
fn ansi_coloured_timestamped_lines_are_diagnosed() {
    let rules = ingested_kb();
    let path = log("ansi-timestamps.log");
    let (code, v) = diagnose_json(rules.path(), &[&path]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(best_id(&v), "asset-compile-timeout");
    let e = &v["diagnoses"][0]["evidence"][0];
    assert_eq!(e["line"], 4);
    assert!(input_line(&path, 4).contains("timed out after 600 seconds"));
    let text = e["text"].as_str().unwrap();
    assert!(!text.contains('\u{1b}'), "ANSI escapes left in {text:?}");
    assert!(
        text.contains("static asset compilation timed out"),
        "{text}"
    );
}

#[test]
fn error_code_matches_the_reference_table_row() {
    let rules = ingested_kb();
    let path = log("error-code.log");
    let (code, v) = diagnose_json(rules.path(), &[&path]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(best_id(&v), "acme-error-codes#42");
    assert_eq!(v["diagnoses"][0]["evidence"][0]["line"], 3);
    assert!(v["diagnoses"][0]["steps"][0]
        .as_str()
        .unwrap()
        .contains("SEARCH_HOST"));
}

#[test]
fn gzip_log_is_read_transparently() {
    let rules = ingested_kb();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("deploy.log.gz");
    gzip(&log("repo-auth-box.log"), &gz);
    let (code, v) = diagnose_json(rules.path(), &[&gz]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(best_id(&v), "private-repo-auth");
    let (_, plain) = diagnose_json(rules.path(), &[&log("repo-auth-box.log")]);
    assert_eq!(v["diagnoses"], plain["diagnoses"]);
}

#[test]
fn container_and_ci_logs_read_like_the_plain_one() {
    let rules = ingested_kb();
    let dir = tempfile::tempdir().unwrap();
    let plain_path = log("repo-auth-box.log");
    let plain = std::fs::read_to_string(&plain_path).unwrap();
    let each = |f: &dyn Fn(&str) -> String| plain.lines().map(f).collect::<Vec<_>>().join("\n");
    let docker = each(&|l| {
        serde_json::json!({"log": format!("{l}\n"), "stream": "stderr", "time": "2024-05-01T10:00:00Z"})
            .to_string()
    });
    let forms = [
        ("docker.log", docker.clone()),
        (
            "cri.log",
            each(&|l| format!("2024-05-01T10:00:00.123456789Z stderr F {l}")),
        ),
    ];
    let (_, expected) = diagnose_json(rules.path(), &[&plain_path]);
    assert!(!expected["diagnoses"].as_array().unwrap().is_empty());
    for (name, text) in forms {
        let path = dir.path().join(name);
        std::fs::write(&path, &text).unwrap();
        let (code, v) = diagnose_json(rules.path(), &[&path]);
        assert_eq!(code, Some(0), "{name}: {v:#}");
        assert_eq!(v["diagnoses"], expected["diagnoses"], "{name}");
        assert_eq!(v["failure"], expected["failure"], "{name}");
    }
    // A Docker log gzipped, and on standard input.
    let gz = dir.path().join("docker.log.gz");
    let docker_path = dir.path().join("docker.log");
    gzip(&docker_path, &gz);
    let (_, v) = diagnose_json(rules.path(), &[&gz]);
    assert_eq!(v["failure"], expected["failure"]);
    let o = Test::new()
        .args(["diagnose", "--format", "json", "--rules"])
        .arg(rules.path())
        .stdin(docker)
        .output();
    assert_eq!(json_of(&o)["failure"], expected["failure"]);
}

#[test]
fn pipeline_wrapped_log_reads_like_the_plain_one() {
    let rules = ingested_kb();
    let dir = tempfile::tempdir().unwrap();
    let plain_path = log("repo-auth-box.log");
    let plain = std::fs::read_to_string(&plain_path).unwrap();
    let preamble = [
        "Started by user admin",
        "[Pipeline] Start of Pipeline",
        "Running on agent-1 in /var/lib/jenkins/workspace/shop",
        "[Pipeline] sh",
        "+ ./deploy.sh",
    ];
    let wrapped = format!(
        "{}\n{}\n[Pipeline] }}\nERROR: script returned exit code 1\nFinished: FAILURE\n",
        preamble.join("\n"),
        plain.trim_end()
    );
    let path = dir.path().join("pipeline.log");
    std::fs::write(&path, wrapped).unwrap();
    let (_, expected) = diagnose_json(rules.path(), &[&plain_path]);
    let (code, v) = diagnose_json(rules.path(), &[&path]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(best_id(&v), best_id(&expected));
    // The same failure lines, moved down by the preamble: none of the
    // runner's own lines is taken for the failure.
    let lines = |v: &Value| -> Vec<(u64, String)> {
        v["failure"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["line"].as_u64().unwrap(),
                    l["text"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let shifted: Vec<(u64, String)> = lines(&expected)
        .into_iter()
        .map(|(n, t)| (n + preamble.len() as u64, t))
        .collect();
    assert_eq!(lines(&v), shifted);

    // A refusal without an error word, then only the pipeline's exit
    // status: the refusal is the failure, not the runner's lines or the
    // shell's echo before it.
    let refusal = format!(
        "{}\nWidget runtime 8.1 or later is required. Please upgrade.\n\
         ERROR: script returned exit code 1\nFinished: FAILURE\n",
        preamble.join("\n")
    );
    std::fs::write(&path, refusal).unwrap();
    let (_, v) = diagnose_json(rules.path(), &[&path]);
    assert_eq!(
        lines(&v),
        [(
            6,
            "Widget runtime 8.1 or later is required. Please upgrade.".to_string()
        )]
    );
}

#[test]
fn gzip_without_gz_extension_is_detected() {
    let rules = ingested_kb();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("deploy.log");
    gzip(&log("json-escaped.log"), &gz);
    let (code, v) = diagnose_json(rules.path(), &[&gz]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(best_id(&v), "migration-lock");
}

#[test]
fn standard_input_with_dash_and_without_argument() {
    let rules = ingested_kb();
    let path = log("repo-auth-box.log");
    let expected = stdout_of(&diagnose(rules.path(), &[], &[&path]));
    assert!(expected.contains("private-repo-auth"), "{expected}");
    for args in [&["-"][..], &[][..]] {
        Test::new()
            .arg("diagnose")
            .arg("--rules")
            .arg(rules.path())
            .args(args)
            .stdin_file(&path)
            .status(0)
            .stdout(expected.clone())
            .run();
    }
}

#[test]
fn gzip_on_standard_input() {
    let rules = ingested_kb();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("deploy.log.gz");
    gzip(&log("ansi-timestamps.log"), &gz);
    Test::new()
        .args(["diagnose", "--format", "json", "--rules"])
        .arg(rules.path())
        .stdin_file(&gz)
        .status(0)
        .stdout_contains("\"asset-compile-timeout\"")
        .run();
}

#[test]
fn json_contract() {
    let rules = ingested_kb();
    let (_, v) = diagnose_json(rules.path(), &[&log("repo-auth-box.log")]);
    for key in ["diagnoses", "related", "failure", "meanings"] {
        assert!(v[key].is_array(), "{key} is not an array in {v:#}");
    }
    let findings = v["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["related"].as_array().unwrap());
    for f in findings {
        for key in [
            "id",
            "title",
            "source",
            "link",
            "confidence",
            "score",
            "evidence",
            "cause",
            "steps",
            "also",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f:#}");
        }
        assert!(f["also"].is_array());
        assert!(f["score"].is_number());
        assert!(["high", "medium", "low"].contains(&f["confidence"].as_str().unwrap()));
        assert!(f["steps"].is_array());
        for e in f["evidence"].as_array().unwrap() {
            assert!(e["line"].is_u64() && e["text"].is_string(), "{e}");
        }
    }
    let failure = v["failure"].as_array().unwrap();
    assert!(!failure.is_empty());
    for e in failure {
        assert!(e["line"].is_u64() && e["text"].is_string(), "{e}");
    }
    assert!(
        failure
            .iter()
            .any(|e| e["text"].as_str().unwrap().contains("exit code 1")),
        "{failure:?}"
    );
}

#[test]
fn markdown_format() {
    let rules = ingested_kb();
    let o = diagnose(
        rules.path(),
        &["--format", "markdown"],
        &[&log("repo-auth-box.log")],
    );
    assert_eq!(o.status.code(), Some(0));
    let md = stdout_of(&o);
    assert!(
        md.starts_with(
            "### Diagnosis: acme-deploy: package repository asks for credentials during build"
        ),
        "{md}"
    );
    assert!(md.contains("`private-repo-auth`"), "{md}");
    assert!(
        md.contains(
            "[article](https://support.example.test/hc/articles/5001-package-repository-credentials)"
        ),
        "{md}"
    );
    assert!(md.contains("**Evidence**\n\n```\n"), "{md}");
    assert!(
        md.contains("**Cause:** The project has no access token"),
        "{md}"
    );
    assert!(md.contains("**Remediation**"), "{md}");
    assert!(
        md.contains("1. Create an access token in the package repository settings."),
        "{md}"
    );
    assert_eq!(md.matches("```").count() % 2, 0, "unbalanced fences:\n{md}");
    assert!(!md.contains('\u{1b}'));
}

#[test]
fn two_logs_are_diagnosed_one_by_one_and_named() {
    let rules = ingested_kb();
    let box_log = log("repo-auth-box.log");
    let json_log = log("json-escaped.log");
    let (_, alone) = diagnose_json(rules.path(), &[&json_log]);
    let (code, v) = diagnose_json(rules.path(), &[&box_log, &json_log]);
    assert_eq!(code, Some(0));
    let files = v["files"].as_array().expect("a files array");
    let names: Vec<&str> = files.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [box_log.to_str().unwrap(), json_log.to_str().unwrap()]
    );
    assert_eq!(files[0]["diagnoses"][0]["id"], "private-repo-auth");
    // Each log is its own run: the second's report is what it is alone,
    // line numbers included, plus its name.
    let mut second = files[1].clone();
    second.as_object_mut().unwrap().remove("file");
    assert_eq!(second, alone);
    assert_eq!(files[1]["diagnoses"][0]["id"], "migration-lock");

    let o = diagnose(
        rules.path(),
        &["--format", "json", "--top", "1"],
        &[&box_log, &json_log],
    );
    let v = json_of(&o);
    for file in v["files"].as_array().unwrap() {
        assert_eq!(file["diagnoses"].as_array().unwrap().len(), 1, "{v:#}");
    }
}

#[test]
fn several_logs_in_text_and_markdown_have_a_header_each() {
    let rules = ingested_kb();
    let box_log = log("repo-auth-box.log");
    let json_log = log("json-escaped.log");
    let alone = stdout_of(&diagnose(rules.path(), &[], &[&json_log]));
    let text = stdout_of(&diagnose(rules.path(), &[], &[&box_log, &json_log]));
    let second = format!("\n==> {} <==\n", json_log.display());
    assert!(
        text.starts_with(&format!("==> {} <==\nDiagnosis:", box_log.display())),
        "{text}"
    );
    assert!(text.ends_with(&format!("{second}{alone}")), "{text}");
    let md = stdout_of(&diagnose(
        rules.path(),
        &["--format", "markdown"],
        &[&box_log, &json_log],
    ));
    assert!(
        md.starts_with(&format!("## {}\n\n### Diagnosis:", box_log.display())),
        "{md}"
    );
    assert!(
        md.contains(&format!("\n## {}\n\n### Diagnosis:", json_log.display())),
        "{md}"
    );
}

#[test]
fn several_logs_exit_0_when_any_is_diagnosed_and_name_the_unreadable() {
    let rules = ingested_kb();
    let missing = rules.path().join("missing.log");
    let clean = rules.path().join("clean.log");
    std::fs::write(&clean, "all good\n").unwrap();
    let o = Test::new()
        .args(["diagnose", "--format", "json", "--rules"])
        .arg(rules.path())
        .arg(&missing)
        .arg(log("repo-auth-box.log"))
        .stderr_contains(format!("cannot open log {}", missing.display()))
        .run();
    let v = json_of(&o);
    assert!(v["files"][0]["error"]
        .as_str()
        .unwrap()
        .contains("missing.log"));
    assert!(v["files"][0].get("diagnoses").is_none());
    // Nothing diagnosed: 1, or 2 when a log could not be read.
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(rules.path())
        .arg(&clean)
        .arg(&clean)
        .status(1)
        .run();
    Test::new()
        .args(["diagnose", "--rules"])
        .arg(rules.path())
        .arg(&clean)
        .arg(&missing)
        .status(2)
        .run();
}

#[test]
fn text_report_has_cause_remediation_and_show_hint() {
    let rules = ingested_kb();
    let o = diagnose(rules.path(), &[], &[&log("json-escaped.log")]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout_of(&o);
    assert!(
        text.starts_with("Diagnosis: Database migration blocked by a stale lock"),
        "{text}"
    );
    assert!(text.contains("id migration-lock"), "{text}");
    assert!(text.contains("\nEvidence\n"), "{text}");
    assert!(
        text.contains("      2: MigrationLockError: could not acquire migration lock"),
        "{text}"
    );
    assert!(
        text.contains("\nCause\n  An earlier deploy crashed"),
        "{text}"
    );
    assert!(text.contains("\nRemediation\n   1. Check that no other deploy is running."));
    assert!(text.contains("triage show migration-lock"), "{text}");
}

#[test]
fn no_ansi_escapes_when_piped_or_with_no_color() {
    let rules = ingested_kb();
    for no_color in [false, true] {
        let mut test = Test::new();
        if no_color {
            test = test.env("NO_COLOR", "1");
        }
        test.arg("diagnose")
            .arg("--rules")
            .arg(rules.path())
            .arg(log("ansi-timestamps.log"))
            .status(0)
            .stdout_lacks("\u{1b}")
            .run();
    }
}

#[test]
fn successful_noisy_log_gives_no_diagnosis() {
    let rules = ingested_kb();
    let path = log("success-noisy.log");
    let o = diagnose(rules.path(), &[], &[&path]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout_of(&o));
    let text = stdout_of(&o);
    assert!(text.starts_with("No failure found in 11 lines"), "{text}");
    assert!(!text.contains("Diagnosis:"), "{text}");
    let (code, v) = diagnose_json(rules.path(), &[&path]);
    assert_eq!(code, Some(1));
    assert_eq!(v["diagnoses"], Value::Array(vec![]));
    assert_eq!(v["failure"], Value::Array(vec![]));
}

#[test]
fn unknown_failure_says_so_and_shows_failure_lines() {
    let rules = ingested_kb();
    let path = log("unknown-failure.log");
    let o = diagnose(rules.path(), &[], &[&path]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout_of(&o);
    assert!(
        text.starts_with("No known issue matched this failure."),
        "{text}"
    );
    assert!(text.contains("\nFailure lines\n"), "{text}");
    assert!(
        text.contains("      3: KeyRingCorrupted: checksum mismatch in keyring slot 7"),
        "{text}"
    );
    let (code, v) = diagnose_json(rules.path(), &[&path]);
    assert_eq!(code, Some(1));
    assert_eq!(v["diagnoses"], Value::Array(vec![]));
    assert_eq!(v["failure"][0]["line"], 3);

    let o = diagnose(rules.path(), &["--format", "markdown"], &[&path]);
    assert!(stdout_of(&o).starts_with("### No known issue matched"));
}

#[test]
fn a_terse_failure_is_explained_in_every_format() {
    let rules = ingested_kb();
    let path = log("killed-137.log");
    let (code, v) = diagnose_json(rules.path(), &[&path]);
    // The fixture knowledge base has no article on memory: the reading is
    // still worth showing.
    assert_eq!(code, Some(1), "{v:#}");
    let meanings = v["meanings"].as_array().expect("meanings array");
    assert_eq!(meanings.len(), 1, "{v:#}");
    assert_eq!(meanings[0]["line"], 6);
    assert_eq!(meanings[0]["text"], "Job failed: exit code 137");
    assert_eq!(meanings[0]["means"], "killed: out of memory (SIGKILL)");

    let text = stdout_of(&diagnose(rules.path(), &[], &[&path]));
    assert!(
        text.contains(
            "\nReads as\n       6: killed: out of memory (SIGKILL)  (Job failed: exit code 137)\n"
        ),
        "{text}"
    );
    let md = stdout_of(&diagnose(rules.path(), &["--format", "markdown"], &[&path]));
    assert!(
        md.contains("**Reads as**\n\n- line 6: killed: out of memory (SIGKILL) (`Job failed: exit code 137`)\n"),
        "{md}"
    );

    // A log whose lines need no reading has none, and says nothing of it.
    let (_, v) = diagnose_json(rules.path(), &[&log("unknown-failure.log")]);
    assert_eq!(v["meanings"], Value::Array(vec![]));
    let text = stdout_of(&diagnose(rules.path(), &[], &[&log("unknown-failure.log")]));
    assert!(!text.contains("Reads as"), "{text}");
}

#[test]
fn empty_log_gives_no_diagnosis() {
    let rules = ingested_kb();
    Test::new()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules.path())
        .arg(log("empty.log"))
        .status(1)
        .stdout_starts_with("No failure found in 0 lines")
        .run();
    Test::new()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules.path())
        .stdin("")
        .status(1)
        .stdout_contains("No failure found")
        .run();
}

#[test]
fn verbatim_quoted_error_without_error_word_is_diagnosed() {
    let rules = ingested_kb();
    let (code, v) = diagnose_json(rules.path(), &[&log("disk-full.log")]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(best_id(&v), "disk-full");
    assert_eq!(v["diagnoses"][0]["evidence"][0]["line"], 4);
}

#[test]
fn two_editions_of_one_article_are_one_finding_with_also() {
    let rules = ingested_kb();
    // A second edition: the same article published in another collection
    // under another id.
    let original = std::fs::read_to_string(rules.path().join("disk-full.toml")).unwrap();
    let edition = original
        .replace("id = \"disk-full\"", "id = \"disk-full-kb\"")
        .replace("source = \"helpcenter/", "source = \"guides/");
    assert_ne!(edition, original);
    std::fs::write(rules.path().join("disk-full-kb.toml"), edition).unwrap();

    let (code, v) = diagnose_json(rules.path(), &[&log("disk-full.log")]);
    assert_eq!(code, Some(0), "{v:#}");
    let findings: Vec<&Value> = v["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["related"].as_array().unwrap())
        .collect();
    let ids: Vec<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    let shown = ids.iter().filter(|id| id.starts_with("disk-full")).count();
    assert_eq!(shown, 1, "{ids:?}");
    let best = &v["diagnoses"][0];
    let other = if best["id"] == "disk-full" {
        "disk-full-kb"
    } else {
        "disk-full"
    };
    assert_eq!(best["also"], serde_json::json!([other]), "{best:#}");
    let text = diagnose(rules.path(), &[], &[&log("disk-full.log")]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains(&format!("also published as {other}")),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
}
