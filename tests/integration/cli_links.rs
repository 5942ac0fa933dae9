//! Where reports send a reader: the project's own articles link to their
//! page on a `triage serve` server when `TRIAGE_PUBLIC_URL` names one, and
//! nowhere otherwise; an article published elsewhere keeps its own link.

use std::path::Path;

use serde_json::Value;

use crate::support::{ingested_kb, json_of, Test};

const VAR: &str = "TRIAGE_PUBLIC_URL";

fn example(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn show_link(public_url: Option<&str>, id: &str) -> Value {
    let mut t = Test::new().args(["show", id, "--format", "json"]);
    if let Some(url) = public_url {
        t = t.env(VAR, url);
    }
    json_of(&t.output())["link"].clone()
}

#[test]
fn the_bundled_articles_link_to_the_server_or_nowhere() {
    assert_eq!(show_link(None, "composer-invalid-access-keys"), "");
    assert_eq!(
        show_link(
            Some("https://kb.example/triage/"),
            "composer-invalid-access-keys"
        ),
        "https://kb.example/triage/articles/composer-invalid-access-keys"
    );
    // An empty variable is no URL.
    assert_eq!(show_link(Some(""), "composer-invalid-access-keys"), "");
}

#[test]
fn search_and_diagnose_give_the_same_links() {
    let url = "http://127.0.0.1:8080";
    let search = Test::new()
        .args(["search", "composer invalid credentials", "--format", "json"])
        .env(VAR, url)
        .output();
    let results = json_of(&search)["results"].as_array().unwrap().clone();
    assert!(!results.is_empty());
    for r in &results {
        assert_eq!(
            r["link"].as_str().unwrap(),
            format!("{url}/articles/{}", r["id"].as_str().unwrap())
        );
    }
    let diagnose = Test::new()
        .arg("diagnose")
        .arg(example("composer-auth-failure.log"))
        .args(["--format", "json"])
        .env(VAR, url)
        .output();
    let d = json_of(&diagnose);
    assert_eq!(
        d["diagnoses"][0]["link"],
        format!("{url}/articles/composer-invalid-access-keys")
    );
    // The text report prints the link on its own line, under the title.
    let link_lines = |public_url: Option<&str>| {
        let mut t = Test::new()
            .arg("diagnose")
            .arg(example("composer-auth-failure.log"));
        if let Some(url) = public_url {
            t = t.env(VAR, url);
        }
        let out = String::from_utf8(t.output().stdout).unwrap();
        out.lines()
            .filter(|l| l.starts_with("http"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(link_lines(None), Vec::<String>::new());
    assert_eq!(
        link_lines(Some(url)),
        [format!("{url}/articles/composer-invalid-access-keys")]
    );
}

#[test]
fn an_article_published_elsewhere_keeps_its_link() {
    let rules = ingested_kb();
    let o = Test::new()
        .args(["show", "disk-full", "--format", "json", "--rules"])
        .arg(rules.path())
        .env(VAR, "https://kb.example")
        .output();
    assert_eq!(
        json_of(&o)["link"],
        "https://support.example.test/hc/articles/5002-no-space-left"
    );
}

#[test]
fn a_bad_public_url_is_a_usage_error() {
    Test::new()
        .args(["show", "composer-invalid-access-keys"])
        .env(VAR, "kb.example/triage")
        .status(2)
        .stderr_contains("must start with http:// or https://")
        .run();
}

#[test]
fn no_placeholder_domain_is_left() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["rules", "knowledge"] {
        for entry in walkdir::WalkDir::new(root.join(dir)) {
            let path = entry.unwrap().into_path();
            if path.is_file() {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(
                    !text.contains("triage.example/kb"),
                    "{} links to the placeholder domain",
                    path.display()
                );
            }
        }
    }
}
