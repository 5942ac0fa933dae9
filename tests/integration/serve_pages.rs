//! `triage serve`'s pages without a browser: what each one shows, checked
//! against what the CLI prints for the same rules and logs. (The browser
//! test, `serve_browser`, checks the script on top.)

use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;

use crate::support::server::{Serve, Server};
use crate::support::{ingested_kb, json_of, Test};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// Text as maud escapes it.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The top-level steps of the first steps block of `html`, numbered as a
/// browser numbers them: (number, text up to the first nested tag).
fn page_steps(html: &str) -> Vec<(usize, String)> {
    let start = html.find(r#"<div class="steps">"#).expect("a steps block");
    let tag = Regex::new(r#"<(/?)(ol|ul|li|div)(?: start="(\d+)")?[^>]*>"#).unwrap();
    let (mut lists, mut divs, mut number) = (0usize, 0usize, 0usize);
    let mut out = Vec::new();
    for m in tag.captures_iter(&html[start..]) {
        let closing = &m[1] == "/";
        match (&m[2], closing) {
            ("div", false) => divs += 1,
            ("div", true) => {
                divs -= 1;
                if divs == 0 {
                    break;
                }
            }
            ("ol" | "ul", false) => {
                lists += 1;
                if lists == 1 {
                    number = m.get(3).map_or(1, |n| n.as_str().parse().unwrap());
                }
            }
            ("ol" | "ul", true) => lists -= 1,
            ("li", false) if lists == 1 => {
                let after = &html[start + m.get(0).unwrap().end()..];
                out.push((number, after[..after.find('<').unwrap()].to_string()));
                number += 1;
            }
            _ => {}
        }
    }
    out
}

/// The numbered steps of a `triage show` or `triage diagnose` text
/// report: (number, first line).
fn cli_steps(text: &str, section: &str) -> Vec<(usize, String)> {
    let line = Regex::new(r"^ {1,3}(\d+)\. (.*)$").unwrap();
    text.lines()
        .skip_while(|l| *l != section)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter_map(|l| line.captures(l))
        .map(|c| (c[1].parse().unwrap(), c[2].to_string()))
        .collect()
}

#[test]
fn search_works_without_the_script() {
    let server = Serve::new().start();
    let page = server
        .get("/search?q=composer+install+fails+with+invalid+credentials")
        .text();
    let api = server
        .get("/api/search?limit=10&q=composer%20install%20fails%20with%20invalid%20credentials")
        .json();
    let results = api["results"].as_array().unwrap();
    assert_eq!(
        page.matches(r#"<li class="result">"#).count(),
        results.len()
    );
    // In the API's order, each with its confidence in words.
    let titles = Regex::new(r#"<a class="title" href="/articles/([^"]+)">"#).unwrap();
    let ids: Vec<&str> = titles
        .captures_iter(&page)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let api_ids: Vec<&str> = results.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, api_ids);
    assert!(page.contains(
        r#"href="/articles/composer-invalid-access-keys">Composer rejects the repo.magento.com access keys with &quot;Invalid credentials&quot;</a><span class="badge strong">strong match</span>"#
    ), "{page}");
    assert_eq!(page.matches("badge").count(), results.len());
    assert!(page.contains(&format!("{} results", results.len())));
    // The script reads the thresholds from the page.
    assert!(page.contains(r#"data-strong-score="8""#));
    let none = server.get("/search?q=zzqxv+wqqpk").text();
    assert!(none.contains("No article matches."));
    let stop_words = server.get("/search?q=the+of");
    assert_eq!(stop_words.status, 400);
    assert!(stop_words.text().contains("nothing to search for"));
    // The box on the first page.
    let home = server.get("/").text();
    assert!(home.contains(r#"<input id="q" type="search" name="q""#));
}

#[test]
fn an_article_shows_what_triage_show_prints() {
    let server = Serve::new().start();
    for id in [
        "composer-memory-exhausted",
        "build-step-killed-out-of-memory",
        "composer-invalid-access-keys",
    ] {
        let page = server.get(&format!("/articles/{id}")).text();
        let json = json_of(&Test::new().args(["show", id, "--format", "json"]).output());
        let text = String::from_utf8(Test::new().args(["show", id]).output().stdout).unwrap();
        assert!(page.contains(&format!(
            "<h1>{}</h1>",
            esc(json["title"].as_str().unwrap())
        )));
        for s in json["symptoms"].as_array().unwrap() {
            assert!(
                page.contains(&format!(
                    "<li><code>{}</code></li>",
                    esc(s.as_str().unwrap())
                )),
                "{id}: {s}"
            );
        }
        assert!(
            page.contains(&format!(
                "<h2>Cause</h2><p>{}",
                esc(json["cause"].as_str().unwrap())
            )),
            "{id}"
        );
        // Numbered as the CLI numbers them.
        let steps = page_steps(&page[page.find("<h2>Solution</h2>").unwrap()..]);
        let expected: Vec<(usize, String)> = cli_steps(&text, "Solution")
            .into_iter()
            .map(|(n, t)| (n, esc(&t)))
            .collect();
        assert!(!steps.is_empty(), "{id}");
        assert_eq!(steps, expected, "{id}");
        for l in json["related"].as_array().unwrap() {
            assert!(
                page.contains(&format!(
                    r#"<a href="{}" rel="noopener noreferrer">{}</a>"#,
                    esc(l["url"].as_str().unwrap()),
                    esc(l["text"].as_str().unwrap())
                )),
                "{id}: {l}"
            );
        }
    }
    // A heading among the steps, and a step's lines kept.
    let page = server.get("/articles/composer-memory-exhausted").text();
    assert!(page.contains(
        r#"<h3>Run Composer without the PHP memory limit for this call</h3><ol start="1"><li>COMPOSER_MEMORY_LIMIT=-1 composer update<div class="line"># or</div>"#
    ), "{page}");
    // Ids in the text link to their article.
    let page = server.get("/articles/deploy-hook-timeout").text();
    assert!(page.contains(r#"(see <a href="/articles/cron-running-during-deploy-lock-wait">cron-running-during-deploy-lock-wait</a>)"#), "{page}");
}

#[test]
fn a_page_lists_its_sections() {
    let rules = ingested_kb();
    let server = Serve::new().rules(rules.path()).start();
    let page = server.get("/articles/acme-error-codes").text();
    assert!(page.contains("<h2>Sections of this page</h2>"), "{page}");
    for code in ["42", "43", "107"] {
        assert!(
            page.contains(&format!(r#"href="/articles/acme-error-codes%23{code}""#)),
            "{code}: {page}"
        );
    }
    let section = server.get("/articles/acme-error-codes%2342").text();
    assert!(
        section.contains(r#"Section of <a href="/articles/acme-error-codes">acme-error-codes</a>"#),
        "{section}"
    );
}

/// What `triage diagnose --format json` says of `log`.
fn cli_diagnosis(log: &Path) -> (Value, String) {
    let json = json_of(
        &Test::new()
            .arg("diagnose")
            .arg(log)
            .args(["--format", "json"])
            .output(),
    );
    let text = String::from_utf8(Test::new().arg("diagnose").arg(log).output().stdout).unwrap();
    (json, text)
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    text.chars().take(max).chain(['…']).collect()
}

/// The `#diagnosis` section of a page.
fn diagnosis_of(page: &str) -> &str {
    let start = page
        .find(r#"<section id="diagnosis">"#)
        .expect("a diagnosis section");
    &page[start..start + page[start..].find("</section>").unwrap()]
}

fn diagnose_page(server: &Server, log: &Path) -> String {
    let r = server.post(
        "/diagnose",
        &[("Content-Type", "text/plain")],
        &std::fs::read(log).unwrap(),
    );
    assert_eq!(r.status, 200);
    r.text()
}

#[test]
fn the_diagnose_page_shows_what_triage_diagnose_prints() {
    let server = Serve::new().start();
    let form = server.get("/diagnose").text();
    assert!(form.contains(r#"<textarea id="log-text" name="log""#));
    assert!(form.contains(r#"<input id="log-file" type="file""#));
    for name in [
        "ci-job-killed-out-of-memory.log",
        "composer-auth-failure.log",
        "php-memory-exhausted-di-compile.log",
    ] {
        let log = example(name);
        let (json, text) = cli_diagnosis(&log);
        let page = diagnose_page(&server, &log);
        let d = diagnosis_of(&page);
        let best = &json["diagnoses"][0];
        assert!(
            d.contains(&format!(
                r#"Diagnosis: <a href="/articles/{}">{}</a>"#,
                best["id"].as_str().unwrap(),
                esc(best["title"].as_str().unwrap())
            )),
            "{name}: {d}"
        );
        assert!(d.contains(&format!(
            "{} confidence",
            best["confidence"].as_str().unwrap()
        )));
        for e in best["evidence"].as_array().unwrap() {
            let row = format!(
                r#"<td class="n">{}</td><td><code>{}</code></td>"#,
                e["line"],
                esc(&clip(e["text"].as_str().unwrap(), 300))
            );
            assert!(d.contains(&row), "{name}: {row}\n{d}");
        }
        for m in json["meanings"].as_array().unwrap() {
            let row = format!(
                r#"<td class="n">{}</td><td>{} "#,
                m["line"],
                esc(m["means"].as_str().unwrap())
            );
            assert!(d.contains(&row), "{name}: {row}\n{d}");
        }
        assert!(
            d.contains(&format!(
                "<h3>Cause</h3><p>{}",
                esc(best["cause"].as_str().unwrap())
            )),
            "{name}"
        );
        let steps: Vec<(usize, String)> = cli_steps(&text, "Remediation")
            .into_iter()
            .map(|(n, t)| (n, esc(&t)))
            .collect();
        assert_eq!(page_steps(d), steps, "{name}");
        for r in json["related"].as_array().unwrap() {
            assert!(
                d.contains(&format!(
                    r#"<a href="/articles/{}">"#,
                    r["id"].as_str().unwrap()
                )),
                "{name}: {r}"
            );
        }
        // The form without the script gives the same section.
        let form = format!(
            "log={}",
            triage::serve::links::encode_segment(&std::fs::read_to_string(&log).unwrap())
        );
        let posted = server.post(
            "/diagnose",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        );
        assert_eq!(diagnosis_of(&posted.text()), d, "{name}");
    }
    let ok = diagnose_page(&server, &example("successful-deploy.log"));
    let (json, _) = cli_diagnosis(&example("successful-deploy.log"));
    assert!(
        diagnosis_of(&ok).contains(&format!(
            "No failure recognised in {} lines; compared by its last lines",
            json["lines"]
        )),
        "{ok}"
    );
    let unknown = diagnose_page(&server, &crate::support::log("unknown-failure.log"));
    let d = diagnosis_of(&unknown);
    assert!(d.contains("No known issue matched this failure."), "{d}");
    assert!(d.contains("<h3>Failure lines</h3>"), "{d}");
}

#[test]
fn unknown_pages_are_404_pages() {
    let server = Serve::new().start();
    let r = server.get("/no/such/page");
    assert_eq!(r.status, 404);
    assert!(r.text().contains("<h1>Not found</h1>"));
    assert_eq!(server.get("/articles/no-such-article").status, 404);
}
