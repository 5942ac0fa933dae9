//! `triage serve`: the search, the articles and diagnose as web pages for
//! support staff, and as a JSON API for other tools, over the same library
//! calls and renderers as the CLI, so both give the same answers.
//!
//! One file per job:
//! - `api`: the JSON routes, and the calls the pages share with them
//!   (search, show, diagnose), each answering what the CLI prints;
//! - `pages`: the HTML pages (maud templates) and the static files;
//! - `steps`: a rule's steps as an outline (headings, numbers, nesting);
//! - `confidence`: a search result's confidence in words, calibrated;
//! - `body`: a request body read as a log, with its limits and gzip;
//! - `security`: response headers (CSP), request timeouts, the access log
//!   that never holds a query or a body;
//! - `state`: the loaded knowledge, swapped whole on reload (SIGHUP, or a
//!   change in the rules directory);
//! - `server`: the listener and connections (socket and header timeouts,
//!   graceful shutdown);
//! - `links`: the public links of the project's own articles (also used by
//!   the CLI).
//!
//! The server keeps nothing between requests but the rules it loaded, so
//! instances behind a load balancer answer alike. A posted log is read as a
//! stream, diagnosed and dropped: it is never stored, and never written to
//! the server's log.
//!
//! # Crates
//! axum on tokio (the most used Rust web stack, kept by the tokio project),
//! served through hyper-util's connection builder rather than `axum::serve`,
//! which sets no header-read timeout; tokio-io-timeout for read and write
//! timeouts on each socket. maud for the pages: templates are Rust code
//! checked at compile time, and every value spliced in is escaped (there is
//! no `PreEscaped` in this module). The script is a few lines of plain
//! JavaScript compiled into the binary: no build chain, nothing from a CDN.

mod api;
mod body;
mod confidence;
pub mod links;
mod pages;
mod security;
mod server;
mod state;
mod steps;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use links::{PublicUrl, PublicUrlError};

/// How `triage serve` runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The rules directory; `None` serves the embedded default.
    pub rules: Option<PathBuf>,
    pub addr: SocketAddr,
    pub public_url: Option<PublicUrl>,
    /// Largest request body, and largest log once decompressed.
    pub max_body: u64,
    pub timeouts: Timeouts,
    /// How often the rules directory is checked for changes (`None`: only
    /// on SIGHUP).
    pub watch: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rules: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            max_body: 32 << 20,
            timeouts: Timeouts::default(),
            watch: Some(Duration::from_secs(2)),
        }
    }
}

/// Limits on how long a client may hold a connection or a request.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// To send a request's headers.
    pub header: Duration,
    /// Between two reads that bring data (an idle keep-alive connection is
    /// closed after it too).
    pub read: Duration,
    /// For a write to make progress (a client that stops reading).
    pub write: Duration,
    /// For a whole request: reading its body and answering. A 32 MiB log is
    /// diagnosed in a few seconds.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header: Duration::from_secs(10),
            read: Duration::from_secs(30),
            write: Duration::from_secs(30),
            request: Duration::from_secs(60),
        }
    }
}

/// `HEADER,READ,WRITE,REQUEST`, in seconds (fractions allowed).
impl std::str::FromStr for Timeouts {
    type Err = String;

    fn from_str(s: &str) -> Result<Timeouts, String> {
        let secs: Vec<Duration> = s
            .split(',')
            .map(|p| {
                p.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| format!("{p:?} is not a number of seconds above 0"))
            })
            .collect::<Result<_, _>>()?;
        match secs[..] {
            [header, read, write, request] => Ok(Timeouts {
                header,
                read,
                write,
                request,
            }),
            _ => Err("give four durations: HEADER,READ,WRITE,REQUEST".into()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Rules(#[from] crate::rulebook::RulebookError),
    #[error(transparent)]
    Compile(#[from] crate::matcher::CompileError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the server: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Loads the rules, listens on `config.addr` and serves until SIGTERM or
/// Ctrl-C. Prints `listening on http://ADDR` on standard error once it
/// accepts connections (the address with the real port when `addr` asked
/// for port 0).
pub fn run(config: Config) -> Result<(), ServeError> {
    security::quiet_panics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("triage-serve")
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(server::serve(config))
}

/// One line on the server's own log (standard error). Never given a query,
/// a body, or anything read from one.
fn log(line: std::fmt::Arguments<'_>) {
    eprintln!("triage serve: {line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_with_a_32_mib_limit() {
        let c = Config::default();
        assert!(c.addr.ip().is_loopback());
        assert_eq!(c.max_body, 32 * 1024 * 1024);
        assert!(c.public_url.is_none());
    }

    #[test]
    fn timeouts_parse_from_four_durations() {
        let t: Timeouts = "1,2.5,3,60".parse().unwrap();
        assert_eq!(t.header, Duration::from_secs(1));
        assert_eq!(t.read, Duration::from_millis(2500));
        assert_eq!(t.request, Duration::from_secs(60));
        for bad in ["1,2,3", "1,2,3,x", "1,2,3,0", "1,2,3,-1", ""] {
            assert!(bad.parse::<Timeouts>().is_err(), "{bad}");
        }
    }
}
