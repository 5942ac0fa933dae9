//! A request body read as a log: a blocking reader over the body's frames,
//! for the diagnose stage (which streams, so memory does not grow with the
//! log), with the limits the server sets.
//!
//! - At most `max_body` bytes are read off the wire, and at most
//!   `max_body` bytes of log come out of decompression: a small gzip body
//!   cannot unpack into an unbounded one.
//! - A body sent with `Content-Encoding: gzip` is decoded; so is a body
//!   that is itself a gzip file, recognised by its magic bytes as the CLI
//!   does for a file or standard input, so that posting the bytes of a
//!   `.log.gz` gives what `triage diagnose file.log.gz` gives.
//! - Waiting for the body ends at the request's deadline.
//! - The first [`SPOOL`] bytes are read before the diagnose takes its turn
//!   (see `State::diagnoses`), without a thread: most logs are smaller, so
//!   a slow upload waits for its bytes without holding a turn.
//!
//! The readers report through `io::Error`, which the diagnose stage wraps;
//! what really happened is also noted in a [`Fault`] the handler reads to
//! choose the status (413, 408, 400).

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use flate2::read::MultiGzDecoder;
use http_body_util::BodyExt;
use tokio::runtime::Handle;
use tokio::time::Instant;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Why reading a body stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// More than the limit, on the wire or decompressed.
    TooLarge,
    /// The request's deadline passed while waiting for the body.
    TimedOut,
    /// The connection failed or the client went away.
    Broken,
}

/// Where the readers note a [`Fault`]; shared with the handler.
#[derive(Debug, Clone, Default)]
pub(super) struct Faults(Arc<Mutex<Option<Fault>>>);

impl Faults {
    fn note(&self, fault: Fault) -> io::Error {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(fault);
        io::Error::other(format!("{fault:?}"))
    }

    pub fn get(&self) -> Option<Fault> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Bytes of a body read into memory before a diagnose takes its turn.
pub(super) const SPOOL: usize = 1 << 20;

/// The body's bytes as a blocking [`Read`]: for a blocking thread only
/// (it waits on the runtime through `handle`), after [`spool`](Self::spool)
/// on the runtime.
pub(super) struct BodyReader {
    body: Body,
    pending: VecDeque<Bytes>,
    /// The body has no more frames.
    ended: bool,
    /// Why reading stopped, once it did.
    failed: Option<Fault>,
    handle: Handle,
    deadline: Instant,
    limit: u64,
    received: u64,
    faults: Faults,
}

impl BodyReader {
    pub fn new(body: Body, limit: u64, deadline: Instant, faults: Faults) -> BodyReader {
        BodyReader {
            body,
            pending: VecDeque::new(),
            ended: false,
            failed: None,
            handle: Handle::current(),
            deadline,
            limit,
            received: 0,
            faults,
        }
    }
}

impl BodyReader {
    /// Reads frames until `SPOOL` bytes are held or the body ends, on the
    /// runtime. A fault is kept for the first read to report.
    pub async fn spool(&mut self) {
        let mut held: usize = self.pending.iter().map(Bytes::len).sum();
        while held < SPOOL && !self.ended && self.failed.is_none() {
            let next = tokio::time::timeout_at(self.deadline, self.body.frame()).await;
            held += self.take(next);
        }
    }

    /// Handles one wait for a frame; the bytes it added.
    fn take<E>(
        &mut self,
        next: Result<Option<Result<hyper::body::Frame<Bytes>, E>>, tokio::time::error::Elapsed>,
    ) -> usize {
        let fault = match next {
            Err(_) => Fault::TimedOut,
            Ok(None) => {
                self.ended = true;
                return 0;
            }
            Ok(Some(Err(_))) => Fault::Broken,
            Ok(Some(Ok(frame))) => {
                // Trailers carry no log.
                let Ok(data) = frame.into_data() else {
                    return 0;
                };
                self.received += data.len() as u64;
                if self.received <= self.limit {
                    let n = data.len();
                    self.pending.push_back(data);
                    return n;
                }
                Fault::TooLarge
            }
        };
        self.failed = Some(fault);
        self.faults.note(fault);
        0
    }
}

impl Read for BodyReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(front) = self.pending.front_mut() {
                let n = out.len().min(front.len());
                out[..n].copy_from_slice(&front[..n]);
                *front = front.slice(n..);
                if front.is_empty() {
                    self.pending.pop_front();
                }
                return Ok(n);
            }
            if let Some(fault) = self.failed {
                return Err(self.faults.note(fault));
            }
            if self.ended {
                return Ok(0);
            }
            let next = self
                .handle
                .block_on(tokio::time::timeout_at(self.deadline, self.body.frame()));
            self.take(next);
        }
    }
}

/// At most `limit` bytes of `inner`; reading more is a [`Fault::TooLarge`].
struct Limited<R> {
    inner: R,
    left: u64,
    faults: Faults,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => Err(self.faults.note(Fault::TooLarge)),
        }
    }
}

type Log = Box<dyn Read + Send>;

/// The log in `raw`: decoded when the request said `Content-Encoding:
/// gzip`, then decoded (again) when it starts with gzip's magic bytes, and
/// limited to `limit` bytes.
pub(super) fn log_reader(
    raw: impl Read + Send + 'static,
    content_gzip: bool,
    limit: u64,
    faults: &Faults,
) -> io::Result<Log> {
    let mut log: Log = Box::new(raw);
    if content_gzip {
        log = Box::new(MultiGzDecoder::new(log));
    }
    let log = sniff_gzip(log)?;
    Ok(Box::new(Limited {
        inner: log,
        left: limit,
        faults: faults.clone(),
    }))
}

/// Reads the first two bytes to see whether `r` is gzip, and hands them on
/// in front of the rest.
fn sniff_gzip(mut r: Log) -> io::Result<Log> {
    let mut head = [0u8; 2];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let whole = io::Cursor::new(head[..n].to_vec()).chain(r);
    if head[..n] == GZIP_MAGIC {
        Ok(Box::new(MultiGzDecoder::new(whole)))
    } else {
        Ok(Box::new(whole))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read(raw: Vec<u8>, content_gzip: bool, limit: u64) -> (io::Result<Vec<u8>>, Option<Fault>) {
        let faults = Faults::default();
        let result =
            log_reader(io::Cursor::new(raw), content_gzip, limit, &faults).and_then(|mut r| {
                let mut out = Vec::new();
                r.read_to_end(&mut out).map(|_| out)
            });
        (result, faults.get())
    }

    #[test]
    fn plain_and_gzip_bodies_read_as_the_same_log() {
        let log = b"line one\nERROR: it broke\n".to_vec();
        assert_eq!(read(log.clone(), false, 1000).0.unwrap(), log);
        assert_eq!(read(gzip(&log), false, 1000).0.unwrap(), log);
        assert_eq!(read(gzip(&log), true, 1000).0.unwrap(), log);
        // A .log.gz sent with Content-Encoding: gzip: two layers.
        assert_eq!(read(gzip(&gzip(&log)), true, 1000).0.unwrap(), log);
        // Rotated logs joined with cat.
        let mut joined = gzip(b"first\n");
        joined.extend(gzip(b"second\n"));
        assert_eq!(read(joined, false, 1000).0.unwrap(), b"first\nsecond\n");
        assert_eq!(read(Vec::new(), false, 1000).0.unwrap(), b"");
        assert_eq!(read(vec![0x1f], false, 1000).0.unwrap(), [0x1f]);
    }

    #[test]
    fn the_limit_holds_for_the_decompressed_log() {
        let log = vec![b'a'; 10_000];
        let (result, fault) = read(gzip(&log), false, 9_999);
        assert!(result.is_err());
        assert_eq!(fault, Some(Fault::TooLarge));
        let (result, fault) = read(gzip(&log), false, 10_000);
        assert_eq!(result.unwrap().len(), 10_000);
        assert_eq!(fault, None);
    }

    #[test]
    fn broken_gzip_is_an_error_but_no_fault_of_the_body() {
        let mut bad = gzip(b"some text that compresses\n");
        let at = bad.len() / 2;
        bad[at] ^= 0xff;
        let (result, fault) = read(bad, false, 1000);
        assert!(result.is_err());
        assert_eq!(fault, None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn the_body_reader_counts_what_crosses_the_wire() {
        let faults = Faults::default();
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        let body = Body::from(vec![b'x'; 100]);
        let mut r = BodyReader::new(body, 99, deadline, faults.clone());
        let got = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            r.read_to_end(&mut out).map(|_| out.len())
        })
        .await
        .unwrap();
        assert!(got.is_err());
        assert_eq!(faults.get(), Some(Fault::TooLarge));

        // Spooled first, on the runtime: the same bytes, the same limit.
        let faults = Faults::default();
        let mut r = BodyReader::new(Body::from(vec![b'x'; 100]), 99, deadline, faults.clone());
        r.spool().await;
        assert_eq!(faults.get(), Some(Fault::TooLarge));
        let got = tokio::task::spawn_blocking(move || r.read_to_end(&mut Vec::new()))
            .await
            .unwrap();
        assert!(got.is_err());

        let faults = Faults::default();
        let mut r = BodyReader::new(Body::from(vec![b'x'; 100]), 100, deadline, faults.clone());
        r.spool().await;
        let got = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            r.read_to_end(&mut out).map(|_| out.len())
        })
        .await
        .unwrap();
        assert_eq!(got.unwrap(), 100);
        assert_eq!(faults.get(), None);
    }
}
