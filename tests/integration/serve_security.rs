//! What `triage serve` refuses and keeps to itself: body limits (413),
//! slow clients (timeouts), ids that name no rule (404, no path
//! traversal), text from rules and requests escaped under a strict
//! Content-Security-Policy, a posted log never stored or logged, loopback
//! unless told.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::server::{Serve, Server};
use crate::support::{ingested_kb, Test};

/// Sends `request` as it is on a fresh connection and reads the answer
/// until the server closes it or `wait` passes.
fn raw(server: &Server, request: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(response: &str) -> Option<u16> {
    response.split(' ').nth(1).and_then(|s| s.parse().ok())
}

#[test]
fn bodies_over_the_limit_are_refused_with_413() {
    let server = Serve::new().arg("--max-body").arg("1000").start();
    let ok = server.post("/api/diagnose", &[], &[b'a'; 1000]);
    assert_eq!(ok.status, 200, "{}", ok.text());
    let over = server.post("/api/diagnose", &[], &[b'a'; 1001]);
    assert_eq!(over.status, 413);
    assert!(over.json()["error"]
        .as_str()
        .unwrap()
        .contains("1000 bytes"));
    // Small on the wire, too large once decompressed.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&[b'a'; 5000]).unwrap();
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 1000);
    assert_eq!(server.post("/api/diagnose", &[], &bomb).status, 413);
    assert_eq!(
        server
            .post("/api/diagnose", &[("Content-Encoding", "gzip")], &bomb)
            .status,
        413
    );
    // Chunked, so no length is declared: counted as it arrives.
    let mut chunked =
        b"POST /api/diagnose HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..11 {
        chunked.extend_from_slice(b"64\r\n");
        chunked.extend_from_slice(&[b'b'; 100]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(
        status_of(&raw(&server, &chunked, Duration::from_secs(10))),
        Some(413)
    );
    // The page's form too.
    let form = server.post(
        "/diagnose",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("log={}", "c".repeat(2000)).as_bytes(),
    );
    assert_eq!(form.status, 413);
    assert!(form.text().contains("larger than 1000 bytes"));
}

#[test]
fn the_default_limit_is_32_mib() {
    let server = Serve::new().start();
    // Refused on its declared length, before a byte of it is sent.
    let head = format!(
        "POST /api/diagnose HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        (32 << 20) + 1
    );
    let answer = raw(&server, head.as_bytes(), Duration::from_secs(10));
    assert_eq!(status_of(&answer), Some(413), "{answer}");
    // Exactly 32 MiB is read, and diagnosed.
    let line = b"[2024-05-01 10:00:00] main.INFO: cache flushed\n";
    let mut log: Vec<u8> = line.iter().copied().cycle().take((32 << 20) - 40).collect();
    log.extend_from_slice(b"\nERROR: No space left on device\n");
    log.resize(32 << 20, b'\n');
    let r = server.post("/api/diagnose", &[], &log);
    assert_eq!(
        r.status,
        200,
        "{}",
        String::from_utf8_lossy(&r.body[..200.min(r.body.len())])
    );
    assert!(r.json()["lines"].as_u64().unwrap() > 600_000);
}

#[test]
fn slow_clients_are_cut_off() {
    let server = Serve::new().arg("--timeouts").arg("1,1,1,2").start();
    // Headers that never end.
    let start = Instant::now();
    let answer = raw(
        &server,
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        Duration::from_secs(15),
    );
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "the connection stayed open {:?}: {answer:?}",
        start.elapsed()
    );
    // A body that stops coming.
    let start = Instant::now();
    let answer = raw(
        &server,
        b"POST /api/diagnose HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nERROR: half a log",
        Duration::from_secs(15),
    );
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    if let Some(status) = status_of(&answer) {
        assert!([400, 408].contains(&status), "{answer}");
    }
    // The server still answers.
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn unknown_ids_are_404_and_ids_are_never_paths() {
    let rules = ingested_kb();
    let server = Serve::new().rules(rules.path()).start();
    for path in [
        "/articles/no-such-article",
        "/articles/..%2F..%2FCargo.toml",
        "/articles/..%2Fdisk-full.toml",
        "/articles/disk-full.toml",
        "/articles/%2e%2e",
        "/articles/%ZZ",
        "/articles/%C0%AE%C0%AE",
        "/static/..%2F..%2FCargo.toml",
        "/static/../../Cargo.toml",
        "/../../etc/passwd",
        "/rules/disk-full.toml",
    ] {
        let page = server.get(path);
        assert_eq!(page.status, 404, "{path}");
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let api_path = path.replacen("/articles/", "/api/articles/", 1);
        let api = server.get(&api_path);
        assert_eq!(api.status, 404, "{api_path}");
        assert!(!api.text().contains("[package]"));
    }
    // The ids that exist, '#' and all.
    assert_eq!(server.get("/articles/disk-full").status, 200);
    assert_eq!(server.get("/articles/acme-error-codes%2342").status, 200);
    assert_eq!(
        server.get("/api/articles/acme-error-codes%2342").status,
        200
    );
    // A page of sections that is no rule itself: a page, but no article.
    assert_eq!(server.get("/articles/acme-error-codes").status, 200);
    assert_eq!(server.get("/api/articles/acme-error-codes").status, 404);
}

/// A rule whose every text is hostile.
fn hostile_rules() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let x = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    let rule = triage::Rule {
        id: "hostile".into(),
        title: format!("Widget frobnication fails {x}"),
        link: "javascript:alert(3)".into(),
        signatures: vec![format!("Widget error {x} <*>")],
        cause: format!("The cause {x}"),
        steps: vec![format!("Step {x}"), format!("Then:\n  1. nested {x}")],
        related: vec![triage::rulebook::rule::Link {
            text: format!("Read {x}"),
            url: "javascript:alert(4)".into(),
        }],
        issue: triage::rulebook::rule::Issue {
            text: format!("Widget frobnication fails {x}"),
            ..Default::default()
        },
        ..triage::Rule::default()
    };
    triage::rulebook::write_rule(dir.path(), &rule, true).unwrap();
    dir
}

/// Every tag in `html` is one the templates write, with no event handler,
/// no inline style and no `javascript:` address; scripts only by address.
/// (Text cannot open a tag: its `<` is escaped.)
pub(crate) fn assert_inert(what: &str, html: &str) {
    const TAGS: [&str; 33] = [
        "!DOCTYPE", "html", "head", "meta", "title", "link", "script", "body", "header", "nav",
        "main", "footer", "h1", "h2", "h3", "form", "label", "div", "input", "button", "p", "ol",
        "ul", "li", "span", "code", "article", "section", "table", "tr", "td", "textarea", "a",
    ];
    let quoted = regex::Regex::new(r#""[^"]*""#).unwrap();
    let handler = regex::Regex::new(r"(?i)\s(on\w+|style)\s*=").unwrap();
    for tag in html.split('<').skip(1) {
        let inside = &tag[..tag
            .find('>')
            .unwrap_or_else(|| panic!("{what}: unclosed <{tag}"))];
        let name = inside
            .trim_start_matches('/')
            .split([' ', '>'])
            .next()
            .unwrap();
        assert!(TAGS.contains(&name), "{what}: a <{name}> tag: <{inside}>");
        let bare = quoted.replace_all(inside, "\"\"");
        assert!(!handler.is_match(&bare), "{what}: <{inside}>");
        assert!(
            !inside.to_ascii_lowercase().contains("javascript:"),
            "{what}: <{inside}>"
        );
        if inside.starts_with("script") {
            assert_eq!(inside, r#"script src="/static/app.js" defer"#, "{what}");
        }
    }
}

#[test]
fn every_text_is_escaped() {
    let rules = hostile_rules();
    let server = Serve::new().rules(rules.path()).start();
    let q = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%20widget%20frobnication";
    for path in [
        "/",
        &format!("/search?q={q}"),
        "/articles/hostile",
        "/diagnose",
    ] {
        let page = server.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert_inert(path, &page.text());
    }
    let search = server.get(&format!("/search?q={q}")).text();
    assert!(
        search.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{search}"
    );
    assert!(
        search.contains("/articles/hostile"),
        "the rule is found: {search}"
    );
    let article = server.get("/articles/hostile").text();
    assert!(article.contains("The cause &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;'&amp;"));
    // The related link is not a web address: shown, not linked.
    assert!(article.contains("javascript:alert(4)</code>"), "{article}");
    // A posted log quoting the error comes back as text.
    let d = server.post(
        "/diagnose",
        &[("Content-Type", "text/plain")],
        b"starting\nWidget error <script>alert(1)</script><img src=x onerror=alert(2)>\"'& 42\nERROR: failed\n",
    );
    assert_eq!(d.status, 200);
    assert_inert("diagnosis", &d.text());
    assert!(d.text().contains("Diagnosis:"), "{}", d.text());
    // JSON is served as JSON, never as a page.
    let api = server.get(&format!("/api/search?q={q}"));
    assert_eq!(api.header("content-type"), Some("application/json"));
}

#[test]
fn every_response_carries_the_security_headers() {
    let server = Serve::new().start();
    for (path, status) in [
        ("/", 200),
        ("/search?q=php", 200),
        ("/articles/composer-invalid-access-keys", 200),
        ("/articles/nope", 404),
        ("/diagnose", 200),
        ("/static/app.js", 200),
        ("/static/style.css", 200),
        ("/api/search?q=php", 200),
        ("/api/articles/nope", 404),
        ("/healthz", 200),
    ] {
        let r = server.get(path);
        assert_eq!(r.status, status, "{path}");
        let csp = r.header("content-security-policy").unwrap_or_default();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
    }
    let diagnosis = server.post("/api/diagnose", &[], b"ERROR: boom\n");
    assert_eq!(diagnosis.header("cache-control"), Some("no-store"));
    let js = server.get("/static/app.js");
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(js.text().contains("textContent"));
}

#[test]
fn a_posted_log_is_neither_stored_nor_logged() {
    let home = tempfile::tempdir().unwrap();
    let rules = ingested_kb();
    let server = Serve::new()
        .rules(rules.path())
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("TMPDIR", home.path())
        .start();
    let marker = "c0ffee-SECRET-4f1d";
    let log =
        format!("step 1\ntoken={marker}\nERROR: No space left on device while writing {marker}\n");
    assert_eq!(
        server.post("/api/diagnose", &[], log.as_bytes()).status,
        200
    );
    let form = format!("log={}", triage::serve::links::encode_segment(&log));
    let page = server.post(
        "/diagnose",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains(marker),
        "the answer quotes the evidence"
    );
    assert_eq!(server.post("/diagnose", &[], log.as_bytes()).status, 200);
    // Nor a search for it (a pasted error may hold a secret too).
    assert_eq!(
        server.get(&format!("/api/search?q=disk%20{marker}")).status,
        200
    );
    let _ = server.post("/api/diagnose?top=0", &[], log.as_bytes());
    let server_log = server.log();
    assert!(
        server_log.contains("POST /api/diagnose 200"),
        "{server_log}"
    );
    assert!(!server_log.contains(marker), "{server_log}");
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    for dir in [home.path(), rules.path()] {
        for entry in walkdir::WalkDir::new(dir) {
            let path = entry.unwrap().into_path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                let found = bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
                assert!(!found, "{} holds the log", path.display());
            }
        }
    }
}

#[test]
fn it_listens_on_loopback_unless_told() {
    Test::new()
        .args(["serve", "--help"])
        .stdout_contains("[default: 127.0.0.1:8080]")
        .stdout_contains("TRIAGE_PUBLIC_URL")
        .stdout_contains("--max-body")
        .run();
    let server = Serve::new().start();
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    Test::new()
        .args(["serve", "--addr", "127.0.0.1:0", "--public-url", "ftp://x"])
        .status(2)
        .stderr_contains("must start with http:// or https://")
        .run();
}

#[test]
fn a_client_that_stops_reading_is_cut_off() {
    // Only the write timeout is short.
    let server = Serve::new().arg("--timeouts").arg("10,30,1,60").start();
    let page = server.get("/").body.len();
    // Pipelined requests for far more answer than socket buffers hold
    // (tens of megabytes), none of it read.
    let requests = (64 << 20) / page.max(1) + 1;
    let mut s = TcpStream::connect(&server.addr).unwrap();
    let mut writer = s.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        for _ in 0..requests {
            if writer.write_all(request).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_secs(4));
    // By now the server has given up on the connection: what it wrote
    // before is there to read, then the end.
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let ended = s.read_to_end(&mut got).is_ok();
    let answers = String::from_utf8_lossy(&got)
        .matches("HTTP/1.1 200")
        .count();
    assert!(
        ended || start.elapsed() < Duration::from_secs(20),
        "the connection stayed open"
    );
    assert!(answers < requests, "{answers} of {requests} answered");
    sender.join().unwrap();
    assert_eq!(server.get("/healthz").status, 200);
}
