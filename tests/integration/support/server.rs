//! A real `triage serve` on loopback, for the `serve_*` suites: started on
//! port 0 (the port it got is read from its "listening on" line), talked to
//! over HTTP with ureq, stopped when dropped. What it writes on standard
//! error (its log) is kept for the tests to read.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How to start a server.
#[must_use]
pub struct Serve {
    cmd: Command,
}

impl Serve {
    pub fn new() -> Serve {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_triage"));
        cmd.args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove(triage::serve::links::PUBLIC_URL_VAR)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Serve { cmd }
    }

    pub fn rules(mut self, dir: &Path) -> Serve {
        self.cmd.arg("--rules").arg(dir);
        self
    }

    pub fn arg(mut self, arg: &str) -> Serve {
        self.cmd.arg(arg);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Serve {
        self.cmd.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Serve {
        self.cmd.current_dir(dir);
        self
    }

    pub fn start(mut self) -> Server {
        let mut child = self.cmd.spawn().expect("triage serve starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(addr) = line.split("listening on http://").nth(1) {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(addr.trim().to_string());
                        }
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "triage serve did not start; its log:\n{}",
                    log.lock().unwrap()
                );
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Server {
            child,
            addr,
            log,
            agent,
        }
    }
}

pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    log: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = response.expect("an HTTP answer");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .expect("a readable body");
    Reply {
        status,
        headers,
        body,
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> Reply {
        reply(self.agent.get(&self.url(path)).call())
    }

    /// POST `body` with these headers (`Content-Type` among them, if any).
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut request = self.agent.post(&self.url(path));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        reply(request.send(body))
    }

    /// What the server wrote to its log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Sends a signal (`HUP`, `TERM`) to the server.
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{name} failed");
    }

    /// Waits until `done` holds, asking every 50 ms, at most `limit`.
    pub fn wait_for(&self, limit: Duration, mut done: impl FnMut(&Server) -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if done(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The rules generation `/healthz` reports.
    pub fn generation(&self) -> u64 {
        self.get("/healthz").json()["generation"]
            .as_u64()
            .expect("a generation")
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        let status = self.child.wait().expect("the server exits");
        // Let the log reader see the last lines.
        std::thread::sleep(Duration::from_millis(50));
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
