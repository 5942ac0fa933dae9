//! A headless Chromium driven through chromedriver, for the browser test.
//!
//! WebDriver is JSON over HTTP; the test needs a dozen of its commands, so
//! they are written here over ureq (already the tests' HTTP client) rather
//! than pulling in fantoccini or thirtyfour, whose async HTTP stacks and
//! URL, cookie and WebDriver-types crates would be most of a test build.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The W3C key for an element reference in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `name` on the `PATH`, if it is there.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A chromedriver process and one browser session in it.
pub struct Browser {
    driver: Child,
    base: String,
    agent: ureq::Agent,
    /// Chromium's profile, fresh for each run.
    _profile: tempfile::TempDir,
}

impl Browser {
    pub fn start(chromium: &Path, chromedriver: &Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            agent,
            _profile: profile,
        };
        let start = Instant::now();
        let status = format!("{}/status", browser.base);
        let ready = |agent: &ureq::Agent| {
            agent
                .get(&status)
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|v| v["value"]["ready"] == true)
        };
        while !ready(&browser.agent) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "chromedriver is not ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Flags as the machine's notes give them: without the networking
        // ones Chromium keeps trying (and failing) to reach Google.
        let args = [
            "--headless".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--window-size=1200,1300".to_string(),
            format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let session = browser.call(
            "POST",
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium, "args": args},
                "goog:loggingPrefs": {"browser": "ALL"},
            }}})),
        );
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_string();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    /// One WebDriver command; its `value`. An error answer fails the test.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let value = self.try_call(method, path, body);
        if let Some(error) = value.get("error") {
            panic!("WebDriver {method} {path}: {error}: {}", value["message"]);
        }
        value
    }

    /// One WebDriver command; its `value`, an error's too.
    fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or(json!({})).to_string().as_bytes()),
        };
        let mut response = response.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .expect("a WebDriver answer");
        let answer: Value = serde_json::from_str(&text).expect("WebDriver answers JSON");
        answer["value"].clone()
    }

    pub fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn find(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        found[ELEMENT].as_str().expect("an element").to_string()
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn clear(&self, css: &str) {
        let element = self.find(css);
        self.call("POST", &format!("/element/{element}/clear"), None);
    }

    pub fn click(&self, css: &str) {
        let element = self.find(css);
        self.call("POST", &format!("/element/{element}/click"), None);
    }

    pub fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.call("GET", &format!("/element/{element}/text"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Runs `script` (a function body; `arguments` as WebDriver passes
    /// them) in the page and returns what it returns.
    pub fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Asks `script` every 100 ms until it returns true; false after
    /// `limit`.
    pub fn wait_until(&self, limit: Duration, script: &str) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.eval(script) == true {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Whether a JavaScript dialog (an `alert`) is open.
    pub fn alert_open(&self) -> bool {
        self.try_call("GET", "/alert/text", None)
            .get("error")
            .is_none()
    }

    /// The browser console's entries so far (and clears them).
    pub fn console(&self) -> Vec<String> {
        let entries = self.try_call("POST", "/se/log", Some(json!({"type": "browser"})));
        entries
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["message"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets the window's outer size.
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        let encoded = self.call("GET", "/screenshot", None);
        base64_decode(encoded.as_str().expect("base64 PNG"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.try_call("DELETE", "", None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, &d) in chunk.iter().enumerate() {
            n |= u32::from(d) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

mod tests {
    #[test]
    fn base64_decodes() {
        assert_eq!(super::base64_decode("aGVsbG8="), b"hello");
        assert_eq!(super::base64_decode("aGVsbG8h"), b"hello!");
        assert_eq!(super::base64_decode("aGk="), b"hi");
    }
}
