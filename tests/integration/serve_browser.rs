//! The pages in a real browser: Debian's Chromium, headless, driven through
//! chromedriver (`.ci/run` installs both when they are absent). It types a
//! symptom and sees results appear, opens an article, pastes a log and
//! picks a gzipped one and sees the diagnosis, checks that a query holding
//! a script is shown as text, and that no page breaks its
//! Content-Security-Policy.
//!
//! It takes a screenshot of the three pages; `UPDATE_SCREENSHOTS=1` keeps
//! them in `docs/screenshots/` (the README shows them), otherwise they go
//! to the target directory. Without Chromium it skips, saying so; in CI
//! (`CI` set) it fails instead.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::server::Serve;
use crate::support::shared::needed;
use crate::support::webdriver::{on_path, Browser};

const WAIT: Duration = Duration::from_secs(20);

fn save(name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is no PNG");
    assert!(
        png.len() > 10_000,
        "{name}: a {} byte screenshot is blank",
        png.len()
    );
    let dir = if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
    };
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// Console entries that say the page broke its policy or its script failed.
fn assert_quiet_console(browser: &Browser, page: &str) {
    let bad: Vec<String> = browser
        .console()
        .into_iter()
        .filter(|m| {
            m.contains("Content Security Policy") || m.contains("Uncaught") || m.contains("Refused")
        })
        .collect();
    assert!(bad.is_empty(), "{page}: {bad:#?}");
}

fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

#[test]
fn support_staff_use_the_pages_in_a_browser() {
    let chromium = on_path("chromium").or_else(|| on_path("chromium-browser"));
    let chromedriver = on_path("chromedriver");
    if !needed(
        "Chromium or ChromeDriver",
        chromium.is_some() && chromedriver.is_some(),
    ) {
        return;
    }
    let server = Serve::new().start();
    let base = format!("http://{}", server.addr);
    let browser = Browser::start(&chromium.unwrap(), &chromedriver.unwrap());

    // Search as one types: results come without the page reloading.
    browser.go(&format!("{base}/"));
    browser.eval("window.stayed = true;");
    let query = "composer install fails with invalid credentials";
    browser.type_into("#q", query);
    assert!(
        browser.wait_until(
            WAIT,
            "return document.querySelectorAll('#results li.result').length > 0"
        ),
        "no results appeared"
    );
    assert_eq!(
        browser.eval("return window.stayed === true"),
        true,
        "the page reloaded"
    );
    assert!(
        browser
            .url()
            .ends_with("/search?q=composer%20install%20fails%20with%20invalid%20credentials"),
        "{}",
        browser.url()
    );
    // The script's results are the server's: titles, order, words.
    let shown = browser.eval(
        "return [...document.querySelectorAll('#results li.result')].map(li => \
         li.querySelector('a.title').getAttribute('href') + ' ' + li.querySelector('.badge').textContent)",
    );
    let page = server
        .get(&format!("/search?q={}", query.replace(' ', "+")))
        .text();
    let expected: Vec<String> = regex::Regex::new(
        r#"<a class="title" href="([^"]+)">[^<]*</a><span class="badge \w+">([^<]+)</span>"#,
    )
    .unwrap()
    .captures_iter(&page)
    .map(|c| format!("{} {}", &c[1], &c[2]))
    .collect();
    assert_eq!(shown, serde_json::json!(expected));
    assert_eq!(browser.text("#results li.result .badge"), "strong match");
    assert_quiet_console(&browser, "/");
    save("search.png", &browser.screenshot());

    // A script in the query is text, in the box, the results and the title.
    let hostile = "<script>alert(1)</script>";
    browser.clear("#q");
    browser.eval("document.getElementById('search-status').textContent = '';");
    browser.type_into("#q", hostile);
    assert!(browser.wait_until(
        WAIT,
        "return document.getElementById('search-status').textContent.length > 0"
    ));
    assert!(!browser.alert_open(), "an alert opened");
    assert_eq!(
        browser.eval("return document.querySelectorAll('script').length"),
        1
    );
    browser.go(&format!(
        "{base}/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    ));
    assert!(!browser.alert_open(), "an alert opened");
    assert_eq!(
        browser.eval("return document.getElementById('q').value"),
        hostile
    );
    assert_eq!(
        browser.eval("return document.querySelectorAll('script').length"),
        1
    );
    assert!(browser
        .eval("return document.title")
        .as_str()
        .unwrap()
        .starts_with(hostile));
    assert_quiet_console(&browser, "/search?q=<script>");

    // Open an article from the results.
    browser.go(&format!("{base}/"));
    browser.type_into("#q", query);
    assert!(browser.wait_until(
        WAIT,
        "return document.querySelectorAll('#results a.title').length > 0"
    ));
    browser.click("#results a.title");
    assert!(browser.wait_until(WAIT, "return location.pathname.startsWith('/articles/')"));
    assert!(browser
        .url()
        .ends_with("/articles/composer-invalid-access-keys"));
    assert!(browser
        .text("h1")
        .starts_with("Composer rejects the repo.magento.com access keys"));
    let headings =
        browser.eval("return [...document.querySelectorAll('h2')].map(h => h.textContent)");
    for h in ["Symptoms", "Cause", "Solution", "Related reading"] {
        assert!(
            headings.as_array().unwrap().iter().any(|x| x == h),
            "{h}: {headings}"
        );
    }
    let solution = "return [...document.querySelectorAll('h2')]\
                    .find(h => h.textContent === 'Solution')\
                    .nextElementSibling.querySelectorAll(':scope > ol > li').length";
    assert_eq!(browser.eval(solution), 5);
    assert_quiet_console(&browser, "/articles/composer-invalid-access-keys");
    // Tall enough to show the solution.
    browser.resize(1200, 1850);
    save("article.png", &browser.screenshot());
    browser.resize(1200, 1300);

    // Paste a log: the diagnosis replaces the empty section, no reload.
    browser.go(&format!("{base}/diagnose"));
    browser.eval("window.stayed = true;");
    let log_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/composer-auth-failure.log");
    let log = std::fs::read_to_string(&log_path).unwrap();
    // As a paste: the text lands in the box at once, with an input event.
    browser.eval(&format!(
        "const t = document.getElementById('log-text'); t.focus(); t.value = {}; \
         t.dispatchEvent(new Event('input', {{bubbles: true}}));",
        js_string(&log)
    ));
    browser.click("#diagnose-form button[type=submit]");
    assert!(
        browser.wait_until(
            WAIT,
            "return document.querySelector('#diagnosis h2') !== null"
        ),
        "no diagnosis appeared"
    );
    assert_eq!(
        browser.eval("return window.stayed === true"),
        true,
        "the page reloaded"
    );
    let diagnosis = browser.text("#diagnosis");
    let evidence = browser.eval(
        "return [...document.querySelectorAll('#diagnosis table.lines tr')].map(tr => tr.innerText)",
    );
    assert!(
        evidence.as_array().unwrap().iter().any(|row| {
            let row = row.as_str().unwrap();
            row.starts_with("32")
                && row.contains("Invalid credentials (HTTP 401) for 'https://repo.magento.com/")
        }),
        "{evidence}"
    );
    // The confidence the CLI gives the same log, in the same words.
    let cli = crate::support::Test::new()
        .args(["diagnose", "--format", "json"])
        .arg(&log_path)
        .output()
        .stdout;
    let cli: serde_json::Value = serde_json::from_slice(&cli).unwrap();
    let confidence = format!(
        "{} confidence",
        cli["diagnoses"][0]["confidence"].as_str().unwrap()
    );
    for expected in [
        "Diagnosis: Composer rejects the repo.magento.com access keys",
        confidence.as_str(),
        "Evidence",
        "Reads as",
        "authentication failed: credentials missing or invalid (HTTP 401)",
        "Cause",
        "Remediation",
        "Possibly related",
    ] {
        assert!(
            diagnosis.contains(expected),
            "{expected:?} not in:\n{diagnosis}"
        );
    }
    assert_quiet_console(&browser, "/diagnose");
    save("diagnose.png", &browser.screenshot());

    // A picked file, gzipped, goes as it is.
    let tmp = tempfile::tempdir().unwrap();
    let gz = tmp.path().join("ci-job.log.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci-job-killed-out-of-memory.log"),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    browser.type_into("#log-file", &gz.display().to_string());
    browser.click("#diagnose-form button[type=submit]");
    assert!(
        browser.wait_until(
            WAIT,
            "return document.querySelector('#diagnosis').textContent.includes('exit code 137')"
        ),
        "the gzipped log was not diagnosed: {}",
        browser.text("#diagnosis")
    );
    assert!(browser
        .text("#diagnosis")
        .contains("killed: out of memory (SIGKILL)"));
    assert!(!browser.alert_open());
}
