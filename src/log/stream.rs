//! The fast way through a log: search the buffer, not the lines.
//!
//! Almost every line of a long log is ordinary, and an ordinary line changes
//! nothing in the failure finder but a counter and the window of context
//! lines. So the input is read in large chunks cut at line ends
//! (`log::chunks`), and each chunk is searched as a whole (on worker
//! threads: `log::pool`) for the lines that could be more than ordinary: the
//! *marked* lines (`log::prefilter`). Only those, and the lines after a
//! failure line while the finder still watches them, go through the
//! normaliser and the finder. The other lines are *quiet*: counted, and the
//! last few of a run kept raw for context (normalised only if a failure
//! shows them). This module drives the normaliser and the finder through
//! each chunk.
//!
//! Lines whose only trigger words are success or retry words are marked
//! softly: they too are quiet when the finder has no use for those words.
//! Behaviour is the same as normalising every line (the tests compare the
//! two on every log at hand).

use std::collections::VecDeque;
use std::io::BufRead;
use std::path::Path;

use super::chunks::{Chunk, ChunkReader};
use super::failure::{FailureFinder, CONTEXT_BEFORE};
use super::normalise::{blankness, quiet_line, Blankness, Normaliser};
use super::prefilter::{scan, Scanned, HARD, RETRY_WORD, SUCCESS_WORD};
use super::reader::display_path;
use super::{pool, LogError, LogLine};

/// Bytes read at a time; a chunk is cut at the last line end within it.
const CHUNK_BYTES: usize = 1 << 20;

/// A line at the end of a quiet run, kept for the finder's context.
enum Tail {
    Raw {
        number: usize,
        start: usize,
        end: usize,
    },
    Line(LogLine),
}

struct Driver<'f> {
    finder: &'f mut FailureFinder,
    normaliser: Normaliser,
    ready: VecDeque<LogLine>,
    /// Added to this input's line numbers (the lines of earlier inputs).
    offset: usize,
    /// Physical lines started so far.
    number: usize,
    /// Number of the last logical line handed on (before `offset`).
    last: usize,
    tail: Vec<Tail>,
}

impl Driver<'_> {
    fn chunk(&mut self, chunk: &Chunk, scanned: &Scanned) {
        let data = &chunk.data[..];
        if chunk.piece {
            if !chunk.continues {
                self.number += 1;
            }
            self.full(data);
            return;
        }
        let marks = &scanned.marks;
        let (mut pos, mut index, mut m) = (0, 0, 0);
        while index < scanned.lines {
            let next = marks.get(m).map_or(scanned.lines, |k| k.index);
            if index < next && self.normaliser.is_idle() && self.finder.is_settled() {
                // Quiet from here: the run goes on through the softly marked
                // lines the finder would ignore.
                while let Some(k) = marks.get(m) {
                    let soft = k.flags & HARD == 0
                        && self
                            .finder
                            .ignores(k.flags & SUCCESS_WORD != 0, k.flags & RETRY_WORD != 0);
                    if !soft {
                        break;
                    }
                    m += 1;
                }
                let (end, end_index) = marks
                    .get(m)
                    .map_or((data.len(), scanned.lines), |k| (k.start, k.index));
                self.skip(data, pos, end, end_index - index);
                (pos, index) = (end, end_index);
                continue;
            }
            let quiet = if index < next {
                true
            } else {
                let k = marks[m];
                m += 1;
                k.flags & HARD == 0
                    && self
                        .finder
                        .ignores(k.flags & SUCCESS_WORD != 0, k.flags & RETRY_WORD != 0)
            };
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
            if !(index == 0 && chunk.continues) {
                self.number += 1;
            }
            let line = &data[pos..end];
            if quiet && self.normaliser.is_idle() && self.finder.takes_quiet() {
                self.quiet(line);
            } else {
                self.full(line);
            }
            pos = end + 1;
            index += 1;
        }
    }

    /// The current line, through the normaliser and the finder.
    fn full(&mut self, line: &[u8]) {
        self.normaliser.push(self.number, line, &mut self.ready);
        self.flush();
    }

    fn flush(&mut self) {
        while let Some(mut line) = self.ready.pop_front() {
            self.last = line.number;
            line.number += self.offset;
            self.finder.push(&line);
        }
    }

    /// The current line, quiet: the finder gets it raw.
    fn quiet(&mut self, line: &[u8]) {
        self.last = self.number;
        let number = self.number + self.offset;
        match blankness(line) {
            Blankness::Blank => self.finder.push_quiet_blank(number),
            Blankness::Text => self.finder.push_quiet(number, line, None),
            Blankness::Unsure => {
                let normalised = quiet_line(number, line);
                if normalised.is_blank() {
                    self.finder.push_quiet_blank(number);
                } else {
                    self.finder.push_quiet(number, line, Some(normalised));
                }
            }
        }
    }

    /// The `count` quiet lines in `data[start..end]`, the finder settled:
    /// only the last non-blank ones matter, as context.
    fn skip(&mut self, data: &[u8], start: usize, end: usize, count: usize) {
        if count == 0 {
            return;
        }
        let first = self.number + 1;
        self.number += count;
        self.last = self.number;
        self.tail.clear();
        let mut number = self.number;
        // `end` is just past the last line's `\n`.
        let mut line_end = end - 1;
        while self.tail.len() < CONTEXT_BEFORE && number >= first {
            let line_start =
                memchr::memrchr(b'\n', &data[start..line_end]).map_or(start, |i| start + i + 1);
            let line = &data[line_start..line_end];
            let global = number + self.offset;
            match blankness(line) {
                Blankness::Blank => {}
                Blankness::Text => self.tail.push(Tail::Raw {
                    number: global,
                    start: line_start,
                    end: line_end,
                }),
                Blankness::Unsure => {
                    let normalised = quiet_line(global, line);
                    if !normalised.is_blank() {
                        self.tail.push(Tail::Line(normalised));
                    }
                }
            }
            if line_start == start {
                break;
            }
            line_end = line_start - 1;
            number -= 1;
        }
        // Settled, the finder only counts quiet lines (counting the tail's
        // twice does no harm) and remembers the last ones.
        self.finder.skip_quiet(count, self.number + self.offset);
        for tail in self.tail.drain(..).rev() {
            match tail {
                Tail::Raw { number, start, end } => {
                    self.finder.push_quiet(number, &data[start..end], None)
                }
                Tail::Line(line) => {
                    let number = line.number;
                    self.finder.push_quiet(number, &[], Some(line))
                }
            }
        }
    }

    fn finish(&mut self) {
        self.normaliser.finish(&mut self.ready);
        self.flush();
    }
}

/// Reads one input through `finder`, its line numbers shifted by `offset`;
/// returns the number of its last line (what the next input's numbers are
/// shifted by). `path` names the input in read errors.
pub fn feed<R: BufRead>(
    reader: R,
    path: &Path,
    finder: &mut FailureFinder,
    offset: usize,
) -> Result<usize, LogError> {
    feed_chunked(reader, path, finder, offset, CHUNK_BYTES)
}

fn feed_chunked<R: BufRead>(
    reader: R,
    path: &Path,
    finder: &mut FailureFinder,
    offset: usize,
    chunk_bytes: usize,
) -> Result<usize, LogError> {
    let mut chunks = ChunkReader::new(reader, chunk_bytes);
    let mut driver = Driver {
        finder,
        normaliser: Normaliser::default(),
        ready: VecDeque::new(),
        offset,
        number: 0,
        last: 0,
        tail: Vec::new(),
    };
    let read_error = |driver: &Driver, chunks: &ChunkReader<R>, source| LogError::Read {
        path: display_path(path),
        line: driver.number + usize::from(!chunks.in_piece()),
        source,
    };
    let first = match chunks.next(Vec::new()) {
        Ok(first) => first,
        Err(e) => return Err(read_error(&driver, &chunks, e)),
    };
    let Some(mut first) = first else {
        return Ok(0);
    };
    // A container runtime's log, one JSON record per line: each chunk is
    // decoded into the lines it records on the worker that searches it, so
    // decoding does not hold up the reading thread.
    let records = !first.piece && super::record::starts_with_record(&first.data);
    // `spare` is the worker's buffer: the raw chunk's becomes the next one.
    let search = move |chunk: &mut Chunk, spare: &mut Vec<u8>| {
        if records && !chunk.piece {
            super::record::decode_chunk_into(&chunk.data, chunk.continues, spare);
            std::mem::swap(&mut chunk.data, spare);
        }
        if chunk.piece {
            Scanned::default()
        } else {
            scan(&chunk.data, chunk.continues)
        }
    };
    if chunks.is_done() {
        // The whole input in one chunk: no threads for a small log.
        let scanned = search(&mut first, &mut Vec::new());
        driver.chunk(&first, &scanned);
        driver.finish();
        return Ok(driver.last);
    }
    let outcome = pool::search_in_order(first, &mut chunks, &search, |chunk, scanned| {
        driver.chunk(chunk, scanned)
    });
    if let Err(e) = outcome {
        return Err(read_error(&driver, &chunks, e));
    }
    driver.finish();
    Ok(driver.last)
}

#[cfg(test)]
mod tests {
    use super::super::reader::MAX_LINE_BYTES;
    use super::super::samples::delivered_formats;
    use super::*;
    use crate::log::{lines, Failure};

    /// The old way: every line normalised and pushed.
    fn line_by_line(input: &[u8]) -> (Option<Failure>, usize) {
        let mut finder = FailureFinder::new();
        let mut last = 0;
        for line in lines(input) {
            let line = line.unwrap();
            last = line.number;
            finder.push(&line);
        }
        (finder.finish(), last)
    }

    fn chunked(input: &[u8], chunk_bytes: usize) -> (Option<Failure>, usize) {
        let mut finder = FailureFinder::new();
        let last = feed_chunked(input, Path::new("-"), &mut finder, 0, chunk_bytes).unwrap();
        (finder.finish(), last)
    }

    fn assert_same(input: &[u8], what: &str) {
        let expected = line_by_line(input);
        for chunk_bytes in [CHUNK_BYTES, 4096, 61, 1] {
            assert_eq!(
                chunked(input, chunk_bytes),
                expected,
                "{what}, chunks of {chunk_bytes}"
            );
        }
    }

    #[test]
    fn over_long_line_reads_the_same() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        input.extend(b"\nlast\n");
        assert_same(&input, "over-long line");
    }

    #[test]
    fn line_numbers_and_context_survive_chunk_boundaries() {
        let mut log = String::new();
        for i in 0..400 {
            log.push_str(&format!("step {i} of the build\n"));
            if i % 7 == 0 {
                log.push('\n');
            }
            if i % 50 == 0 {
                log.push_str("Cache cleared successfully\r\n");
            }
        }
        log.push_str("Warning: something odd\nstep\n");
        log.push_str("PHP Fatal error:  Allowed memory size of 1 bytes exhausted\n");
        log.push_str("step after\nmore");
        assert_same(log.as_bytes(), "crafted log");
        let (failure, last) = chunked(log.as_bytes(), 61);
        let failure = failure.unwrap();
        assert_eq!(failure.lines.len(), 13);
        assert_eq!(last, failure.total_lines);
    }

    #[test]
    fn same_failure_as_line_by_line() {
        for input in [
            &b""[..],
            b"\n\n\n",
            b"one line, no newline",
            b"ERROR: x\r\n",
            b"  [RuntimeException]  \n  Could not scan  \n\n",
        ] {
            assert_same(input, &String::from_utf8_lossy(input));
        }
    }

    /// Every log at hand, alone and all run together (long, so that the
    /// quiet paths are taken), read both ways.
    #[test]
    fn same_failure_as_line_by_line_on_real_logs() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut logs: Vec<std::path::PathBuf> = Vec::new();
        for dir in [root.join("examples"), root.join("../shared/eval/logs")] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                eprintln!("skipping {}: absent", dir.display());
                continue;
            };
            logs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
        logs.sort();
        let mut all = Vec::new();
        for path in &logs {
            let bytes = std::fs::read(path).unwrap();
            assert_same(&bytes, &path.display().to_string());
            all.extend_from_slice(&bytes);
            if !all.ends_with(b"\n") {
                all.push(b'\n');
            }
        }
        let expected = line_by_line(&all);
        for chunk_bytes in [CHUNK_BYTES, 4096, 333] {
            assert_eq!(
                chunked(&all, chunk_bytes),
                expected,
                "all logs, {chunk_bytes}"
            );
        }
    }

    #[test]
    fn an_over_long_record_passes_through_and_the_next_is_decoded() {
        let long = format!("{{\"log\":\"{}\"}}", "x".repeat(MAX_LINE_BYTES + 10));
        let input = format!(
            "{}\n{long}\n{}\n",
            r#"{"log":"Loading widgets\n"}"#, r#"{"log":"Fatal error: widget store is gone\n"}"#
        );
        assert_same(input.as_bytes(), "records with an over-long one");
        let (failure, _) = chunked(input.as_bytes(), CHUNK_BYTES);
        let texts: Vec<String> = failure
            .expect("a failure")
            .error_lines
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert_eq!(texts, ["Fatal error: widget store is gone"]);
    }

    #[test]
    fn same_failure_as_line_by_line_in_container_and_ci_formats() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut checked = 0;
        for entry in std::fs::read_dir(&examples).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "log") {
                continue;
            }
            let log = std::fs::read_to_string(&path).unwrap();
            for (format, text) in delivered_formats(&log) {
                assert_same(text.as_bytes(), &format!("{} as {format}", path.display()));
                checked += 1;
            }
        }
        assert!(checked >= 3);
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// The stream reads any log as the line-by-line path does, in
        /// chunks of any size: the failure, its lines and their numbers.
        #[test]
        fn stream_equals_line_by_line_on_any_log(
            lines_in in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => proptest::sample::select(vec![
                        "step 1 of the build", "Cache cleared successfully", "",
                        "Warning: something odd", "ERROR: boom", "PHP Fatal error:  out of memory",
                        "  [RuntimeException]  ", "  Could not scan for classes  ", "In Foo.php line 12:",
                        "Killed", "exit code 137", "\x1b[31mERROR:\x1b[0m disk full", "ERR\0OR: nul",
                        "{\"log\":\"Fatal error: gone\\n\"}", "retrying in 5 seconds", "0 errors",
                        "Downloading 10%\rDownloading 100%", "section_start:1:x\r\x1b[0KRun",
                        "2024-05-01T10:00:03Z stderr F ERROR: [4] Widget failed", "\tat Foo.bar()",
                    ]).prop_map(str::to_string),
                    1 => ".{0,30}",
                ],
                0..120,
            ),
            chunk_bytes in proptest::sample::select(vec![1usize, 7, 61, 4096, CHUNK_BYTES]),
        ) {
            let input = lines_in.join("\n");
            proptest::prop_assert_eq!(
                chunked(input.as_bytes(), chunk_bytes),
                line_by_line(input.as_bytes())
            );
        }
    }
}
