//! A bounded load test of `triage serve` on loopback: 2,000 searches (the
//! labelled queries of `../shared/eval`, in turn) and 200 diagnoses (the
//! real logs of `../shared/eval/logs`, in turn), mixed, from 32 clients at
//! once, against a server over the ingested shared corpus.
//!
//! ```sh
//! cargo bench --bench load                       # the defaults above
//! cargo bench --bench load -- --searches 500 --diagnoses 50 --concurrency 8
//! ```
//!
//! It reports latency (p50, p90, p99, max) per kind, the error count (any
//! answer but 200, or no answer), and the server's resident memory: at
//! rest before the run, its peak in the first and in the second half of
//! the requests (sampled every 5 ms from /proc), and the high-water mark.
//! Flat memory means the second half's peak is no higher than the first's.
//!
//! The measured run comes after `--warmup N` passes of the same mix
//! (default 3; each is reported too, `--warmup 0` measures a cold server):
//! a fresh server's memory grows while the regex engines' caches of the
//! threads that diagnose fill with what the logs exercise, and levels off
//! (benches/README.md has a longer trace); the warm-up separates that from
//! growth under steady load, which would be a leak.
//! It never fails a build: it reports. (No timed assertion lives in the
//! tests; this is where speed and memory are looked at.)

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Options {
    searches: usize,
    diagnoses: usize,
    concurrency: usize,
    /// Passes of the same mix before the measured run.
    warmup: usize,
}

fn options() -> Options {
    let mut o = Options {
        searches: 2000,
        diagnoses: 200,
        concurrency: 32,
        warmup: 3,
    };
    let args: Vec<String> = std::env::args().collect();

    for pair in args.windows(2) {
        let value = || pair[1].parse().expect("a number");
        match pair[0].as_str() {
            "--searches" => o.searches = value(),
            "--diagnoses" => o.diagnoses = value(),
            "--concurrency" => o.concurrency = value(),
            "--warmup" => o.warmup = value(),
            _ => {}
        }
    }
    o
}

#[derive(Clone)]
enum Job {
    Search(String),
    Diagnose(Arc<Vec<u8>>),
}

fn queries(eval: &Path) -> Vec<String> {
    ["queries.toml", "b/queries.toml"]
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(eval.join(f)).expect("a query file");
            let file: toml::Value = toml::from_str(&text).expect("TOML");
            file["query"]
                .as_array()
                .expect("queries")
                .iter()
                .map(|q| q["text"].as_str().expect("a text").to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn logs(eval: &Path) -> Vec<Arc<Vec<u8>>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(eval.join("logs"))
        .expect("the eval logs")
        .map(|e| e.expect("an entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| Arc::new(std::fs::read(p).expect("a log")))
        .collect()
}

/// Searches and diagnoses interleaved evenly, in a fixed order.
fn jobs(o: &Options, queries: &[String], logs: &[Arc<Vec<u8>>]) -> Vec<Job> {
    let total = o.searches + o.diagnoses;
    let mut out = Vec::with_capacity(total);
    let (mut s, mut d) = (0, 0);
    for i in 0..total {
        // Diagnoses spread through the run: the d-th at i ≈ d * total / diagnoses.
        let due = o.diagnoses > 0 && d < o.diagnoses && i * o.diagnoses >= d * total;
        if due || s == o.searches {
            out.push(Job::Diagnose(Arc::clone(&logs[d % logs.len()])));
            d += 1;
        } else {
            out.push(Job::Search(queries[s % queries.len()].clone()));
            s += 1;
        }
    }
    out
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[at]
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn main() {
    let o = options();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared");
    let (corpus, eval) = (shared.join("corpus"), shared.join("eval"));
    if !corpus.is_dir() || !eval.join("logs").is_dir() {
        println!("../shared (corpus and eval logs) is absent: nothing to measure");
        return;
    }
    let triage = env!("CARGO_BIN_EXE_triage");
    let rules = tempfile::tempdir().expect("a temp dir");
    let ingest = Command::new(triage)
        .arg("ingest")
        .arg(&corpus)
        .arg("--out")
        .arg(rules.path())
        .stderr(Stdio::null())
        .output()
        .expect("ingest runs");
    println!("rules: {}", String::from_utf8_lossy(&ingest.stdout).trim());

    let mut server = Command::new(triage)
        .args(["serve", "--addr", "127.0.0.1:0", "--rules"])
        .arg(rules.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("triage serve starts");
    let pid = server.id();
    let mut lines = BufReader::new(server.stderr.take().expect("stderr")).lines();
    let addr = loop {
        let line = lines.next().expect("the server's log").expect("a line");
        if let Some(a) = line.split("listening on http://").nth(1) {
            break a.trim().to_string();
        }
    };
    // Its access log is read and dropped, so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    std::thread::sleep(Duration::from_millis(300));
    let rest = rss_kib(pid, "VmRSS:").unwrap_or(0);

    let queries = queries(&eval);
    let logs = logs(&eval);
    let jobs = Arc::new(jobs(&o, &queries, &logs));
    for pass in 1..=o.warmup {
        let warm = run(&addr, pid, &jobs, o.concurrency);
        println!(
            "warm-up pass {pass} (the same mix): {:.1} s, {} errors; server RSS peak {:.1} MiB in its first half, {:.1} MiB in its second",
            warm.wall.as_secs_f64(),
            warm.results.iter().filter(|r| !r.2).count(),
            mib(warm.peak(true)),
            mib(warm.peak(false)),
        );
    }
    let measured = run(&addr, pid, &jobs, o.concurrency);
    let hwm = rss_kib(pid, "VmHWM:").unwrap_or(0);
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = server.wait();
    report(&o, &measured, rest, hwm);
}

/// What one pass of the jobs gave.
struct Measured {
    /// (kind, milliseconds, answered 200).
    results: Vec<(&'static str, f64, bool)>,
    /// (requests finished when sampled, server RSS in KiB).
    samples: Vec<(usize, u64)>,
    wall: Duration,
}

impl Measured {
    /// The RSS peak in each tenth of the run, in MiB.
    fn tenths(&self) -> Vec<String> {
        let total = self.results.len().max(1);
        (0..10)
            .map(|t| {
                let peak = self
                    .samples
                    .iter()
                    .filter(|(n, _)| n * 10 / total == t)
                    .map(|s| s.1)
                    .max()
                    .unwrap_or(0);
                format!("{:.0}", mib(peak))
            })
            .collect()
    }

    /// The RSS peak while the first (or the second) half of the requests ran.
    fn peak(&self, first: bool) -> u64 {
        let half = self.results.len() / 2;
        self.samples
            .iter()
            .filter(|(n, _)| (*n < half) == first)
            .map(|s| s.1)
            .max()
            .unwrap_or(0)
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn run(addr: &str, pid: u32, jobs: &Arc<Vec<Job>>, concurrency: usize) -> Measured {
    let total = jobs.len();
    let next = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));

    // Resident memory, with how many requests had finished when sampled.
    let sampler = {
        let (finished, done) = (Arc::clone(&finished), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = rss_kib(pid, "VmRSS:") {
                    samples.push((finished.load(Ordering::Relaxed), rss));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            samples
        })
    };

    let results = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (jobs, next, finished, results) = (
                Arc::clone(jobs),
                Arc::clone(&next),
                Arc::clone(&finished),
                Arc::clone(&results),
            );
            let base = format!("http://{addr}");
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(60)))
                    .build()
                    .into();
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let t = Instant::now();
                    let (kind, answer) = match job {
                        Job::Search(q) => (
                            "search",
                            agent
                                .get(&format!("{base}/api/search?limit=10&q={}", encode(q)))
                                .call(),
                        ),
                        Job::Diagnose(log) => (
                            "diagnose",
                            agent
                                .post(&format!("{base}/api/diagnose"))
                                .send(log.as_slice()),
                        ),
                    };
                    let ok = match answer {
                        Ok(mut r) => {
                            let status = r.status().as_u16();
                            let body = r.body_mut().with_config().limit(1 << 26).read_to_vec();
                            // 200 for every search (the CLI's empty
                            // results are an answer too) and diagnose.
                            status == 200 && body.is_ok()
                        }
                        Err(_) => false,
                    };
                    mine.push((kind, t.elapsed().as_secs_f64() * 1000.0, ok));
                    finished.fetch_add(1, Ordering::Relaxed);
                }
                results.lock().expect("results").extend(mine);
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a client thread");
    }
    let wall = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let samples = sampler.join().expect("the sampler");
    let results = std::mem::take(&mut *results.lock().expect("results"));
    Measured {
        results,
        samples,
        wall,
    }
}

fn report(o: &Options, m: &Measured, rest: u64, hwm: u64) {
    let results = &m.results;
    let total = results.len();
    let wall = m.wall;
    println!(
        "\n{total} requests ({} searches, {} diagnoses) from {} clients in {:.1} s: {:.0} requests/s\n",
        o.searches,
        o.diagnoses,
        o.concurrency,
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64()
    );
    println!("| kind | requests | errors | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|");
    for kind in ["search", "diagnose", "all"] {
        let mut ms: Vec<f64> = results
            .iter()
            .filter(|r| kind == "all" || r.0 == kind)
            .map(|r| r.1)
            .collect();
        ms.sort_by(f64::total_cmp);
        let errors = results
            .iter()
            .filter(|r| (kind == "all" || r.0 == kind) && !r.2)
            .count();
        println!(
            "| {kind} | {} | {errors} | {:.1} | {:.1} | {:.1} | {:.1} |",
            ms.len(),
            percentile(&ms, 50.0),
            percentile(&ms, 90.0),
            percentile(&ms, 99.0),
            ms.last().copied().unwrap_or(0.0)
        );
    }
    println!(
        "\nserver RSS: {:.1} MiB at rest; peak {:.1} MiB in the first half, {:.1} MiB in the second; high-water mark {:.1} MiB ({} samples)",
        mib(rest),
        mib(m.peak(true)),
        mib(m.peak(false)),
        mib(hwm),
        m.samples.len()
    );
    println!(
        "peak RSS by tenth of the run (MiB): {}",
        m.tenths().join(", ")
    );
}
