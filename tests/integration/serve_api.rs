//! `triage serve`'s JSON API over HTTP on loopback, against the CLI: each
//! route must answer byte for byte what the matching command prints, on the
//! embedded rules, on a rules directory, and on the shared corpus.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::support::server::{Serve, Server};
use crate::support::shared::shared;
use crate::support::{ingested_kb, Test};

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    logs.sort();
    logs
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// What the CLI prints for `args` (with `--rules` and the public URL as
/// the server has them).
fn cli(args: &[&str], rules: Option<&Path>, public_url: Option<&str>) -> Vec<u8> {
    let mut t = Test::new().args(args);
    if let Some(dir) = rules {
        t = t.arg("--rules").arg(dir);
    }
    if let Some(url) = public_url {
        t = t.env(triage::serve::links::PUBLIC_URL_VAR, url);
    }
    t.output().stdout
}

fn encode(text: &str) -> String {
    triage::serve::links::encode_segment(text)
}

fn assert_same(what: &str, cli: &[u8], api: &[u8]) {
    assert!(
        cli == api,
        "{what}: the API differs from the CLI\n--- CLI\n{}\n--- API\n{}",
        String::from_utf8_lossy(cli),
        String::from_utf8_lossy(api)
    );
}

/// Every route against the CLI, for these queries, ids and logs.
fn compare(
    server: &Server,
    rules: Option<&Path>,
    public_url: Option<&str>,
    queries: &[&str],
    ids: &[String],
    logs: &[PathBuf],
) {
    for q in queries {
        for limit in ["1", "5", "10"] {
            let api = server.get(&format!("/api/search?limit={limit}&q={}", encode(q)));
            assert_eq!(api.header("content-type"), Some("application/json"));
            let cli = cli(
                &["search", q, "--format", "json", "--limit", limit],
                rules,
                public_url,
            );
            assert_same(&format!("search {q:?} --limit {limit}"), &cli, &api.body);
        }
    }
    for id in ids {
        let api = server.get(&format!("/api/articles/{}", encode(id)));
        assert_eq!(api.status, 200, "{id}");
        let cli = cli(&["show", id, "--format", "json"], rules, public_url);
        assert_same(&format!("show {id}"), &cli, &api.body);
    }
    let tmp = tempfile::tempdir().unwrap();
    for log in logs {
        let bytes = std::fs::read(log).unwrap();
        let name = log.display().to_string();
        for top in ["1", "3"] {
            let cli = cli(
                &["diagnose", &name, "--format", "json", "--top", top],
                rules,
                public_url,
            );
            let api = server.post(&format!("/api/diagnose?top={top}"), &[], &bytes);
            assert_eq!(api.status, 200, "{name}: {}", api.text());
            assert_same(&format!("diagnose {name} --top {top}"), &cli, &api.body);
        }
        // Gzipped: a .gz file as the CLI reads it, the same bytes posted,
        // and the plain log sent with Content-Encoding: gzip.
        let gz_path = tmp.path().join("log.gz");
        std::fs::write(&gz_path, gzip(&bytes)).unwrap();
        let cli = cli(
            &[
                "diagnose",
                &gz_path.display().to_string(),
                "--format",
                "json",
            ],
            rules,
            public_url,
        );
        let file = server.post("/api/diagnose", &[], &gzip(&bytes));
        assert_same(&format!("diagnose {name}.gz"), &cli, &file.body);
        let encoded = server.post(
            "/api/diagnose",
            &[("Content-Encoding", "gzip")],
            &gzip(&bytes),
        );
        assert_same(
            &format!("diagnose {name}, gzip encoded"),
            &cli,
            &encoded.body,
        );
    }
}

const QUERIES: [&str; 7] = [
    "composer install fails with invalid credentials",
    "site stuck in maintenance mode after deploy",
    "Allowed memory size of 134217728 bytes exhausted",
    "elasticsearch",
    "no space left on device during static content deploy",
    // Nothing matches: the CLI prints {"results": []} (and exits 1).
    "zzqxv wqqpk",
    "<script>alert(1)</script> \"quoted\" & more",
];

#[test]
fn the_api_answers_what_the_cli_prints_on_the_embedded_rules() {
    let server = Serve::new().start();
    let ids: Vec<String> = server
        .get("/api/search?limit=100&q=composer%20deploy%20build%20error")
        .json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() > 10, "{ids:?}");
    compare(&server, None, None, &QUERIES, &ids, &examples());
}

#[test]
fn with_a_public_url_too() {
    let url = "https://support.example.com/triage";
    let server = Serve::new().arg("--public-url").arg(url).start();
    let ids = vec!["composer-invalid-access-keys".to_string()];
    compare(
        &server,
        None,
        Some(url),
        &QUERIES[..2],
        &ids,
        &examples()[..2],
    );
    let v = server
        .get("/api/articles/composer-invalid-access-keys")
        .json();
    assert_eq!(
        v["link"],
        "https://support.example.com/triage/articles/composer-invalid-access-keys"
    );
}

#[test]
fn on_a_rules_directory_with_sections() {
    let rules = ingested_kb();
    let server = Serve::new().rules(rules.path()).start();
    let ids: Vec<String> = ["acme-error-codes#42", "disk-full", "migration-lock"]
        .map(String::from)
        .to_vec();
    let logs: Vec<PathBuf> = [
        "disk-full.log",
        "error-code.log",
        "repo-auth-box.log",
        "unknown-failure.log",
        "empty.log",
    ]
    .iter()
    .map(|n| crate::support::log(n))
    .collect();
    compare(
        &server,
        Some(rules.path()),
        None,
        &["no space left", "migration lock", "acme error 42"],
        &ids,
        &logs,
    );
}

#[test]
fn on_the_shared_corpus() {
    let (Some(corpus), Some(eval)) = (shared("corpus"), shared("eval")) else {
        return;
    };
    let rules = crate::support::shared::ingested_corpus(&corpus);
    let server = Serve::new().rules(rules).start();
    let queries: toml::Value =
        toml::from_str(&std::fs::read_to_string(eval.join("queries.toml")).unwrap()).unwrap();
    let texts: Vec<String> = queries["query"]
        .as_array()
        .unwrap()
        .iter()
        .step_by(3)
        .map(|q| q["text"].as_str().unwrap().to_string())
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut ids: Vec<String> = std::fs::read_dir(rules)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let rule: toml::Value = toml::from_str(&text).unwrap();
            rule["id"].as_str().unwrap().to_string()
        })
        .collect();
    ids.sort();
    let ids: Vec<String> = ids.into_iter().step_by(40).collect();
    assert!(ids.iter().any(|id| id.contains('#')) || ids.len() > 5);
    let mut logs: Vec<PathBuf> = std::fs::read_dir(eval.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    logs.sort();
    let logs: Vec<PathBuf> = logs.into_iter().step_by(6).collect();
    compare(&server, Some(rules), None, &texts, &ids, &logs);
    // A table row, its id holding '#'.
    let row = server.get("/api/articles/error-codes%2311");
    assert_eq!(row.status, 200);
    assert_eq!(row.json()["id"], "error-codes#11");
}

#[test]
fn errors_are_json_with_the_right_status() {
    let server = Serve::new().start();
    let cases = [
        ("/api/search", 400, "missing q"),
        ("/api/search?q=", 400, "empty"),
        ("/api/search?q=the%20of%20and", 400, "nothing to search for"),
        ("/api/search?q=php&limit=0", 400, "at least 1"),
        ("/api/search?q=php&limit=many", 400, "whole number"),
        ("/api/articles/no-such-article", 404, "no rule with id"),
        ("/api/nothing-here", 404, "nothing at"),
    ];
    for (path, status, message) in cases {
        let r = server.get(path);
        assert_eq!(r.status, status, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
        let error = r.json()["error"].as_str().unwrap().to_string();
        assert!(error.contains(message), "{path}: {error}");
    }
    let long = "composer%20".repeat(1000);
    let r = server.get(&format!("/api/search?q={long}"));
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("longer than 8192 bytes"));
    let r = server.post("/api/diagnose?top=0", &[], b"x\n");
    assert_eq!(r.status, 400);
    let r = server.post("/api/diagnose", &[("Content-Encoding", "br")], b"x\n");
    assert_eq!(r.status, 415);
    let r = server.post("/api/diagnose", &[], &[0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(r.status, 400, "a broken gzip body: {}", r.text());
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("cannot read the log"));
    // A successful run is an answer: nothing to diagnose.
    let r = server.post("/api/diagnose", &[], b"all good\ndone\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["diagnoses"].as_array().unwrap().len(), 0);
    let health = server.get("/healthz").json();
    assert_eq!(health["status"], "ok");
    assert!(health["rules"].as_u64().unwrap() > 10);
}

#[test]
fn many_diagnoses_at_once_each_get_their_answer() {
    // More than the server diagnoses at once: the rest wait their turn.
    let server = std::sync::Arc::new(Serve::new().start());
    let logs = examples();
    let expected: Vec<Vec<u8>> = logs
        .iter()
        .map(|l| {
            cli(
                &["diagnose", &l.display().to_string(), "--format", "json"],
                None,
                None,
            )
        })
        .collect();
    let threads: Vec<_> = (0..24)
        .map(|i| {
            let server = std::sync::Arc::clone(&server);
            let (log, expected) = (
                logs[i % logs.len()].clone(),
                expected[i % logs.len()].clone(),
            );
            std::thread::spawn(move || {
                let r = server.post("/api/diagnose", &[], &std::fs::read(&log).unwrap());
                assert_eq!(r.status, 200);
                assert_same(&log.display().to_string(), &expected, &r.body);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn many_searches_at_once_each_get_their_answer() {
    // More than the server searches at once: the rest wait their turn, and
    // each gets the answer the CLI gives.
    let server = std::sync::Arc::new(Serve::new().start());
    let queries = [
        "redis connection refused",
        "composer memory exhausted",
        "Permission denied (publickey)",
        "site is slow after deploy",
    ];
    let expected: Vec<Vec<u8>> = queries
        .iter()
        .map(|q| cli(&["search", q, "--format", "json"], None, None))
        .collect();
    let threads: Vec<_> = (0..24)
        .map(|i| {
            let server = std::sync::Arc::clone(&server);
            let (q, expected) = (
                queries[i % queries.len()],
                expected[i % queries.len()].clone(),
            );
            std::thread::spawn(move || {
                let r = server.get(&format!("/api/search?q={}", encode(q)));
                assert_eq!(r.status, 200);
                assert_same(&format!("search {q:?}"), &expected, &r.body);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
