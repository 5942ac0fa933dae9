//! The log stage of `triage diagnose`: read a failed deploy log (a file,
//! standard input or gzip), turn its physical lines into normalised logical
//! lines, and find the failure in them.
//!
//! ```text
//! open(path) -> BufRead --stream::feed--> FailureFinder --finish()--> Option<Failure>
//!
//! feed: chunks --prefilter (on the pool's workers)--> marked lines --normalise--> LogLine --classify--> finder
//!                                                     quiet lines: counted, the last few kept raw --> finder
//! ```
//!
//! One job per file:
//! - `reader`: opening the input (a file, standard input, gzip, UTF-16 or
//!   UTF-32 by its byte order mark) and cutting it into bounded physical
//!   lines;
//! - `record`: JSON log records (Docker, journald, JSON loggers);
//! - `chunks`: reading the input in large chunks cut at line ends;
//! - `prefilter`: which lines of a chunk could be more than ordinary;
//! - `pool`: the worker threads that search the chunks;
//! - `stream`: the driver, [`feed`];
//! - `normalise`: physical lines to logical lines ([`lines`] reads a whole
//!   input that way, line by line: what `feed` must equal);
//! - `prefix`: the decorations in front of a message, also stripped from
//!   the error text articles quote;
//! - `classify`: how one logical line reads to the finder;
//! - `failure`: the finder's state machine;
//! - `meaning`: what a terse failure line means.
//!
//! Everything streams: memory depends on the configured bounds (longest
//! physical line, context sizes, error-line cap), never on the log's length.

mod chunks;
mod classify;
mod failure;
pub mod meaning;
mod normalise;
mod pool;
mod prefilter;
pub mod prefix;
mod reader;
mod record;
#[cfg(test)]
mod samples;
mod stream;

use std::path::PathBuf;

use serde::Serialize;

pub use classify::reads_as_success;
pub use failure::{Failure, FailureFinder, FailureKind};
pub use meaning::{Meanings, Reading};
pub use normalise::{lines, Lines};
pub use prefix::without_php_tag;
pub use reader::open;
pub use stream::feed;

/// Why a log could not be read. Each variant names the file (`<stdin>` for
/// standard input) so the message stands on its own.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot open log {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read log {} at line {line}: {source}", path.display())]
    Read {
        path: PathBuf,
        /// 1-based physical line being read when the error happened.
        line: usize,
        #[source]
        source: std::io::Error,
    },
}

/// Severity of a log line, lowest first so that `Ord` compares severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
}

/// One logical line: a physical line with its noise removed, or several
/// physical lines joined back together (a wrapped exception box), or one
/// piece of a JSON-escaped log that was pasted on a single line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// 1-based line in the original input where this logical line starts.
    pub number: usize,
    /// The normalised text: no colours, timestamps, structural level
    /// prefixes, padding or trailing empty context; otherwise as logged.
    pub text: String,
    pub level: Option<Level>,
    /// The deploy tool's error code printed after the level:
    /// `ERROR: [11] ...` gives `"11"`.
    pub code: Option<String>,
}

impl LogLine {
    pub fn is_blank(&self) -> bool {
        self.text.is_empty()
    }
}

/// Reads the whole input the way diagnose does ([`feed`]) and returns its
/// failure, if any. `path` names the input in read errors.
pub fn find_failure<R: std::io::BufRead>(
    reader: R,
    path: &std::path::Path,
) -> Result<Option<Failure>, LogError> {
    let mut finder = FailureFinder::new();
    feed(reader, path, &mut finder, 0)?;
    Ok(finder.finish())
}
