//! `triage ingest` end to end on the fixture knowledge base.

use std::fs;
use std::path::Path;

use crate::support::{
    file_names, ingested_kb, kb_dir, log, stderr_of, stdout_of, Test, KB_RULE_FILES,
};

fn ingest_into(out: &Path) -> std::process::Output {
    Test::new()
        .arg("ingest")
        .arg(kb_dir())
        .arg("--out")
        .arg(out)
        .output()
}

#[test]
fn summary_counts_articles_files_and_skips() {
    let out = tempfile::tempdir().unwrap();
    let o = ingest_into(out.path());
    assert!(o.status.success(), "stderr: {}", stderr_of(&o));
    let stdout = stdout_of(&o);
    assert!(
        stdout.contains("ingested 7 articles from 6 files into"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "7 new, 0 updated, 0 unchanged, 0 kept (edited), 1 skipped (not articles), 0 errors"
        ),
        "{stdout}"
    );
}

#[test]
fn readme_is_skipped_with_a_note() {
    let out = tempfile::tempdir().unwrap();
    let o = ingest_into(out.path());
    let stderr = stderr_of(&o);
    let note = stderr
        .lines()
        .find(|l| l.contains("README.md"))
        .unwrap_or_else(|| panic!("no note about README.md in stderr:\n{stderr}"));
    assert!(note.starts_with("note: skipped"), "{note}");
    assert!(note.contains("not an article"), "{note}");
    assert!(!out.path().join("README.toml").exists());
}

#[test]
fn writes_one_rule_file_per_article_and_table_row() {
    let out = tempfile::tempdir().unwrap();
    ingest_into(out.path());
    assert_eq!(file_names(out.path()), KB_RULE_FILES);
    // The index, with its passage vectors, is built by ingest, not by the
    // first search.
    assert!(out.path().join(".triage-cache").is_file());
    for name in KB_RULE_FILES {
        let text = fs::read_to_string(out.path().join(name)).unwrap();
        let rule: toml::Table = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("{name} is not valid TOML: {e}\n{text}"));
        let expected_id = name.trim_end_matches(".toml").replace('@', "#");
        assert_eq!(rule["id"].as_str(), Some(expected_id.as_str()), "{name}");
        assert!(
            !rule["title"].as_str().unwrap_or("").is_empty(),
            "{name} has no title"
        );
    }
}

#[test]
fn table_rows_become_stem_hash_code_rules() {
    let out = tempfile::tempdir().unwrap();
    ingest_into(out.path());
    let text = fs::read_to_string(out.path().join("acme-error-codes@42.toml")).unwrap();
    let rule: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(rule["id"].as_str(), Some("acme-error-codes#42"));
    assert_eq!(
        rule["title"].as_str(),
        Some("Cannot connect to the search service")
    );
    assert_eq!(rule["stage"].as_str(), Some("deploy"));
    let codes: Vec<&str> = rule["error_codes"]
        .as_array()
        .expect("error_codes")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(codes, ["42"]);
    let steps = rule["steps"].as_array().expect("steps");
    assert!(steps[0].as_str().unwrap().contains("SEARCH_HOST"));
}

#[test]
fn articles_keep_cause_steps_and_link() {
    let out = tempfile::tempdir().unwrap();
    ingest_into(out.path());
    let text = fs::read_to_string(out.path().join("private-repo-auth.toml")).unwrap();
    let rule: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        rule["link"].as_str(),
        Some("https://support.example.test/hc/articles/5001-package-repository-credentials")
    );
    assert!(rule["cause"].as_str().unwrap().contains("no access token"));
    assert_eq!(rule["steps"].as_array().unwrap().len(), 3);
    let md = fs::read_to_string(out.path().join("migration-lock.toml")).unwrap();
    let rule: toml::Table = toml::from_str(&md).unwrap();
    assert!(rule["cause"].as_str().unwrap().contains("lock row"));
    assert_eq!(rule["steps"].as_array().unwrap().len(), 3);
}

#[test]
fn ingest_is_deterministic() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ingest_into(a.path());
    ingest_into(b.path());
    assert_eq!(file_names(a.path()), file_names(b.path()));
    for name in file_names(a.path()) {
        let x = fs::read(a.path().join(&name)).unwrap();
        let y = fs::read(b.path().join(&name)).unwrap();
        assert!(x == y, "{name} differs between two ingests");
    }
}

#[test]
fn reingest_reports_unchanged() {
    let out = tempfile::tempdir().unwrap();
    ingest_into(out.path());
    let o = ingest_into(out.path());
    assert!(o.status.success());
    assert!(
        stdout_of(&o).contains("0 new, 0 updated, 7 unchanged, 0 kept (edited)"),
        "{}",
        stdout_of(&o)
    );
}

#[test]
fn edited_rule_is_kept_on_reingest_and_force_overwrites() {
    let out = tempfile::tempdir().unwrap();
    ingest_into(out.path());
    let path = out.path().join("private-repo-auth.toml");
    let original = fs::read_to_string(&path).unwrap();
    let edited = original.replace(
        "so the non-interactive build cannot sign in.",
        "so the build cannot sign in. Checked by the on-call team.",
    );
    assert_ne!(edited, original, "the edit must change the file");
    fs::write(&path, &edited).unwrap();

    let o = ingest_into(out.path());
    assert!(o.status.success(), "stderr: {}", stderr_of(&o));
    assert_eq!(fs::read_to_string(&path).unwrap(), edited);
    let stderr = stderr_of(&o);
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("kept") && l.contains("private-repo-auth.toml")),
        "stderr does not say the edited file was kept:\n{stderr}"
    );
    assert!(
        stdout_of(&o).contains("1 kept (edited)"),
        "{}",
        stdout_of(&o)
    );

    let o = Test::new()
        .arg("ingest")
        .arg(kb_dir())
        .arg("--out")
        .arg(out.path())
        .arg("--force")
        .run();
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
    assert!(
        stdout_of(&o).contains("0 kept (edited)"),
        "{}",
        stdout_of(&o)
    );
}

#[test]
fn exclude_leaves_out_matching_paths() {
    let out = tempfile::tempdir().unwrap();
    Test::new()
        .arg("ingest")
        .arg(kb_dir())
        .arg("--out")
        .arg(out.path())
        .args(["--exclude", "guides/**"])
        .stdout_contains("ingested 2 articles from 3 files")
        .run();
    assert_eq!(
        file_names(out.path()),
        ["disk-full.toml", "private-repo-auth.toml"]
    );

    let out = tempfile::tempdir().unwrap();
    Test::new()
        .arg("ingest")
        .arg(kb_dir())
        .arg("--out")
        .arg(out.path())
        .args(["--exclude", "*.html", "--exclude", "**/acme-error-codes.md"])
        .run();
    assert_eq!(
        file_names(out.path()),
        ["asset-compile-timeout.toml", "migration-lock.toml"]
    );
}

#[test]
fn bad_files_are_reported_and_the_rest_is_ingested() {
    let kb = tempfile::tempdir().unwrap();
    fs::copy(
        kb_dir().join("guides/migration-lock.md"),
        kb.path().join("migration-lock.md"),
    )
    .unwrap();
    fs::write(
        kb.path().join("broken-front.md"),
        "---\ntitle: Broken\n  labels: a: b\nlink: https://x.test\n---\n## Issue\n\nSomething.\n",
    )
    .unwrap();
    fs::write(
        kb.path().join("latin1.md"),
        b"---\ntitle: Latin-1 text\n---\n## Issue\n\nThe caf\xe9 page fails.\n".as_slice(),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = Test::new()
        .arg("ingest")
        .arg(kb.path())
        .arg("--out")
        .arg(out.path())
        .output();
    assert!(!o.status.success(), "a skipped file must fail the run");
    let stderr = stderr_of(&o);
    assert!(
        stderr.contains("broken-front.md:3:") && stderr.contains("front matter"),
        "front matter error should name file and line 3:\n{stderr}"
    );
    assert!(
        stderr.contains("latin1.md:6:") && stderr.contains("UTF-8"),
        "UTF-8 error should name file and line 6:\n{stderr}"
    );
    assert!(stdout_of(&o).contains("2 errors"), "{}", stdout_of(&o));
    assert_eq!(file_names(out.path()), ["migration-lock.toml"]);
}

#[test]
fn missing_input_path_is_a_usage_error() {
    let out = tempfile::tempdir().unwrap();
    let missing = out.path().join("no-such-kb");
    Test::new()
        .arg("ingest")
        .arg(&missing)
        .arg("--out")
        .arg(out.path().join("rules"))
        .status(2)
        .stderr_contains("no-such-kb")
        .run();
}

#[test]
fn broken_rule_file_fails_diagnose_with_file_and_line() {
    let rules = ingested_kb();
    fs::write(
        rules.path().join("hand-made.toml"),
        "id = \"hand-made\"\ntitle = \"Hand made\"\nsteps = [\"one\",\n",
    )
    .unwrap();
    // The error names the file and line, and there is no diagnosis from a
    // broken rulebook.
    Test::new()
        .arg("diagnose")
        .arg("--rules")
        .arg(rules.path())
        .arg(log("unknown-failure.log"))
        .status(2)
        .stderr_contains("hand-made.toml:3:")
        .stdout("")
        .run();
}

#[test]
fn generated_rules_pass_lint_and_a_broken_one_is_named() {
    let rules = ingested_kb();
    Test::new()
        .args(["lint", "--rules"])
        .arg(rules.path())
        .status(0)
        .stdout_contains("7 rules, no problems")
        .run();
    fs::write(rules.path().join("oops.toml"), "id = \"oops\"\ntitle = \n").unwrap();
    Test::new()
        .args(["lint", "--rules"])
        .arg(rules.path())
        .status(1)
        .stderr_contains("oops.toml:2:")
        .run();
}

#[test]
fn summary_says_what_was_read() {
    let out = tempfile::tempdir().unwrap();
    let o = Test::new()
        .arg("ingest")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles"))
        .arg("--out")
        .arg(out.path())
        .output();
    assert!(o.status.success(), "stderr: {}", stderr_of(&o));
    let stdout = stdout_of(&o);
    let read = stdout
        .lines()
        .find(|l| l.starts_with("read: "))
        .unwrap_or_else(|| panic!("no summary of what was read:\n{stdout}"));
    assert!(read.contains(" articles, "), "{read}");
    assert!(read.contains(" quote an error, "), "{read}");
    assert!(read.contains(" have steps, "), "{read}");
    assert!(read.contains("1 pages split into 3 sections"), "{read}");
    assert!(read.contains(" with nothing to match"), "{read}");
    // The sections are rules of their own, their page their parent.
    let section =
        fs::read_to_string(out.path().join("several-problems@file-missing.toml")).unwrap();
    assert!(
        section.contains("id = \"several-problems#file-missing\""),
        "{section}"
    );
    assert!(
        section.contains("parent = \"several-problems\""),
        "{section}"
    );
    // Lint names the rules with nothing to match, as notes.
    let lint = Test::new()
        .arg("lint")
        .arg("--rules")
        .arg(out.path())
        .output();
    let stderr = stderr_of(&lint);
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("note: several-problems: quotes no error message")),
        "{stderr}"
    );
    assert!(lint.status.success(), "{stderr}");
}
