//! `triage show`: one rule as text, JSON and Markdown, against golden files
//! (`UPDATE_GOLDEN=1 cargo test --test integration cli_show` regenerates
//! them).

use crate::support::{assert_golden, ingested_kb, json_of, stdout_of, Test};

fn show(rules: &std::path::Path, id: &str, format: &str) -> std::process::Output {
    Test::new()
        .env("NO_COLOR", "1")
        .args(["show", id, "--format", format, "--rules"])
        .arg(rules)
        .run()
}

#[test]
fn helpcenter_article_as_json_matches_golden() {
    let rules = ingested_kb();
    let o = show(rules.path(), "private-repo-auth", "json");
    assert_golden("cli/show-private-repo-auth.json", &stdout_of(&o));
}

#[test]
fn helpcenter_article_as_text_matches_golden() {
    let rules = ingested_kb();
    let o = show(rules.path(), "private-repo-auth", "text");
    assert_golden("cli/show-private-repo-auth.txt", &stdout_of(&o));
}

#[test]
fn helpcenter_article_as_markdown_matches_golden() {
    let rules = ingested_kb();
    let o = show(rules.path(), "private-repo-auth", "markdown");
    assert_golden("cli/show-private-repo-auth.md", &stdout_of(&o));
}

#[test]
fn markdown_article_and_table_row_match_golden() {
    let rules = ingested_kb();
    let o = show(rules.path(), "migration-lock", "text");
    assert_golden("cli/show-migration-lock.txt", &stdout_of(&o));
    let o = show(rules.path(), "acme-error-codes#42", "json");
    assert_golden("cli/show-acme-error-codes@42.json", &stdout_of(&o));
}

#[test]
fn json_has_the_contract_keys() {
    let rules = ingested_kb();
    let v = json_of(&show(rules.path(), "private-repo-auth", "json"));
    for key in [
        "id", "title", "link", "labels", "products", "symptoms", "cause", "steps",
    ] {
        assert!(v.get(key).is_some(), "missing key {key:?} in {v:#}");
    }
    assert_eq!(v["id"], "private-repo-auth");
    assert!(v["labels"].is_array() && v["products"].is_array());
    let symptoms = v["symptoms"].as_array().expect("symptoms array");
    assert!(
        symptoms.iter().any(|s| s
            .as_str()
            .unwrap_or("")
            .contains("URL required authentication")),
        "{symptoms:?}"
    );
    assert_eq!(v["steps"].as_array().map(Vec::len), Some(3));
}

#[test]
fn text_output_has_no_ansi_escapes_when_piped() {
    let rules = ingested_kb();
    Test::new()
        .args(["show", "migration-lock", "--rules"])
        .arg(rules.path())
        .stdout_lacks("\u{1b}")
        .run();
}

#[test]
fn an_edition_without_a_link_shows_its_twin_s() {
    let rules = ingested_kb();
    // The same article in a collection that publishes no link.
    let original = std::fs::read_to_string(rules.path().join("disk-full.toml")).unwrap();
    let link_line = original
        .lines()
        .find(|l| l.starts_with("link = "))
        .expect("a link")
        .to_string();
    let edition = original
        .replace("id = \"disk-full\"", "id = \"disk-full-kb\"")
        .replace("source = \"helpcenter/", "source = \"guides/")
        .replace(&format!("{link_line}\n"), "");
    assert!(!edition.contains("link = "));
    std::fs::write(rules.path().join("disk-full-kb.toml"), edition).unwrap();
    let o = show(rules.path(), "disk-full-kb", "json");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["link"],
        "https://support.example.test/hc/articles/5002-no-space-left"
    );
}

#[test]
fn unknown_id_exits_1_with_a_message() {
    let rules = ingested_kb();
    Test::new()
        .args(["show", "no-such-article", "--rules"])
        .arg(rules.path())
        .status(1)
        .stdout("")
        .stderr_contains("no-such-article")
        .run();
}
