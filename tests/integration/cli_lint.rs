//! `triage lint` on hand-written rule directories.

use crate::support::Test;

const DISK: &str = r#"id = "disk-full"
title = "Build fails: the disk is full"
signatures = ["write <*>: no space left on device"]
steps = ["Free space on the build volume."]

[examples]
match = ["Error: write /srv/cache/layer.tar: no space left on device"]
no_match = ["Build finished: 0 errors"]
"#;

const AUTH: &str = r#"id = "repo-auth"
title = "Package repository refuses the token"
signatures = ["The <*> URL required authentication (HTTP <*>)."]
steps = ["Renew the repository token."]

[examples]
# Wrong on purpose: this excerpt is the disk-full error.
match = ["Error: write /var/tmp/pkg.zip: no space left on device"]
no_match = ["Build finished: 0 errors"]
"#;

#[test]
fn example_diagnosed_as_another_rule_is_a_contradiction() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("disk-full.toml"), DISK).unwrap();
    std::fs::write(dir.path().join("repo-auth.toml"), AUTH).unwrap();
    Test::new()
        .args(["lint", "--strict", "--rules"])
        .arg(dir.path())
        .status(1)
        .stderr_contains("repo-auth.toml:8:")
        .stderr_contains("diagnosed as disk-full")
        .run();
}

#[test]
fn bad_regex_and_duplicate_id_are_reported_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), DISK).unwrap();
    let copy = DISK.replace(
        "signatures = [",
        "patterns = [\"(unclosed\"]\nsignatures = [",
    );
    std::fs::write(dir.path().join("b.toml"), copy).unwrap();
    Test::new()
        .args(["lint", "--rules"])
        .arg(dir.path())
        .status(1)
        .stderr_contains("b.toml:1: duplicate id")
        .stderr_contains("b.toml:3: patterns: regex does not compile")
        .run();
}

#[test]
fn clean_rules_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("disk-full.toml"), DISK).unwrap();
    Test::new()
        .args(["lint", "--strict", "--rules"])
        .arg(dir.path())
        .stdout_contains("1 rules, no problems")
        .run();
}
