//! From physical lines to normalised logical lines.
//!
//! Each physical line goes through, in order: the CI runner's bookkeeping
//! (`runner`: read as blank), colour removal, lossy UTF-8, carriage-return
//! handling (`clean`), splitting of a JSON record or a JSON-escaped log
//! pasted on one line (`escaped`), prefix parsing (platform `W:`/`E:`,
//! container service, timestamp, level, error code: `log::prefix`, shared
//! with the article stage), and the box assembler (`boxes`), which joins
//! the padded and terminal-wrapped lines of console exception boxes back
//! into one line. This module holds what ties them together: the state of
//! one input, and the logical lines it makes.

mod boxes;
mod clean;
mod escaped;
mod runner;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::BufRead;
use std::path::Path;

use super::prefilter::{Literal, When};
use super::prefix;
use super::reader::{display_path, PhysicalLines, MAX_LINE_BYTES};
use super::{Level, LogError, LogLine};
use boxes::{BoxAssembler, Piece};
use clean::{clean_physical, strip_controls, strip_visible_escapes};
use escaped::{json_record, split_escaped};
use runner::{is_runner_bookkeeping, StepHeader};

/// Longest text kept for one logical line; the rest is cut at a character
/// boundary and marked with [`CUT_MARK`]. Joined boxes and split pieces
/// obey it too.
pub(crate) const MAX_TEXT_BYTES: usize = 16 * 1024;

/// What ends a line cut short, as reports mark the lines they shorten.
pub(crate) const CUT_MARK: char = '…';

/// What the normaliser reacts to, for `log::prefilter` (its prefixes
/// aside: `log::prefix` exports those).
pub(crate) fn literals() -> Vec<Literal> {
    [
        LITERALS,
        clean::LITERALS,
        escaped::LITERALS,
        boxes::LITERALS,
    ]
    .concat()
}

/// Monolog's empty context and extra, dropped from a line's end.
const LITERALS: &[Literal] = &[Literal {
    word: "[] []",
    when: When::Anywhere,
}];

/// Logical lines of a log, read lazily. Memory is bounded by the longest
/// physical line and a few buffered box rows, whatever the log's length.
pub struct Lines<R> {
    physical: PhysicalLines<R>,
    buf: Vec<u8>,
    ready: VecDeque<LogLine>,
    normaliser: Normaliser,
    finished: bool,
}

/// Logical lines of `reader`. Read errors name `<stdin>` unless the lines are
/// [`named`](Lines::named).
pub fn lines<R: BufRead>(reader: R) -> Lines<R> {
    Lines {
        physical: PhysicalLines::new(reader),
        buf: Vec::new(),
        ready: VecDeque::new(),
        normaliser: Normaliser::default(),
        finished: false,
    }
}

impl<R: BufRead> Lines<R> {
    /// Names the input in read errors (`-` shows as `<stdin>`).
    pub fn named(mut self, path: &Path) -> Self {
        self.physical.set_path(display_path(path));
        self
    }

    fn process(&mut self, number: usize) {
        self.normaliser.push(number, &self.buf, &mut self.ready);
    }
}

/// The normalisation state of one input, fed one physical line at a time:
/// everything but the box assembler works on a line alone.
#[derive(Default)]
pub(crate) struct Normaliser {
    boxes: BoxAssembler,
    step_header: StepHeader,
    /// The physical line last pushed.
    last_number: usize,
    /// That line is plain text longer than a piece: its first piece made
    /// the one logical line, cut and marked, and the rest is passed over.
    /// (A JSON-escaped log on one line is read to its end instead.)
    passing_over: bool,
}

impl Normaliser {
    /// Normalises physical line `number` (without its `\n`), appending the
    /// logical lines it completes to `out`.
    pub(crate) fn push(&mut self, number: usize, bytes: &[u8], out: &mut VecDeque<LogLine>) {
        // The pieces of an over-long line share its number.
        if number == self.last_number && self.passing_over {
            return;
        }
        self.last_number = number;
        self.passing_over = false;
        if is_runner_bookkeeping(bytes) {
            self.push_blank(number, out);
            return;
        }
        let cleaned = clean_physical(bytes);
        // A JSON record's text may itself be a JSON-escaped log.
        let records = json_record(&cleaned);
        let texts = records.as_deref().unwrap_or(std::slice::from_ref(&cleaned));
        for text in texts {
            // Runner bookkeeping inside a container record (a runner's own
            // output collected by Docker) reads as blank too, as the stream
            // sees it after decoding the record.
            if records.is_some() && is_runner_bookkeeping(text.as_bytes()) {
                self.push_blank(number, out);
                continue;
            }
            match split_escaped(text) {
                Some(pieces) => {
                    for piece in pieces {
                        self.push_piece(number, &piece, out);
                    }
                }
                None => {
                    self.passing_over = records.is_none() && bytes.len() >= MAX_LINE_BYTES;
                    self.push_piece(number, text, out);
                }
            }
        }
    }

    fn push_piece(&mut self, number: usize, text: &str, out: &mut VecDeque<LogLine>) {
        let text = strip_visible_escapes(text);
        let text = strip_controls(&text);
        let prefix = prefix::parse(&text);
        if self.step_header.blanks(prefix.annotation, prefix.rest) {
            self.push_blank(number, out);
            return;
        }
        self.boxes.push(
            Piece {
                number,
                platform: prefix.platform,
                structured: prefix.structured,
                code: prefix.code,
                rest: prefix.rest,
            },
            out,
        );
    }

    /// A line that reads as blank (runner bookkeeping): like an empty line,
    /// it ends a box open before it.
    fn push_blank(&mut self, number: usize, out: &mut VecDeque<LogLine>) {
        self.boxes.push(
            Piece {
                number,
                platform: None,
                structured: None,
                code: None,
                rest: "",
            },
            out,
        );
    }

    /// Flushes a box still open at the end of the input.
    pub(crate) fn finish(&mut self, out: &mut VecDeque<LogLine>) {
        self.boxes.close(out);
    }

    /// No box is open or expected: the next line reads the same as it would
    /// at the start of an input.
    pub(crate) fn is_idle(&self) -> bool {
        self.boxes.is_idle() && self.step_header.is_idle()
    }
}

/// The logical line a fresh normaliser makes of one physical line (blank if
/// it makes none). For a line that cannot touch the box assembler's state
/// (see `log::prefilter`) this is what the line reads as wherever it stands, so
/// such a line can be kept raw and normalised only if it is ever shown.
pub(crate) fn quiet_line(number: usize, bytes: &[u8]) -> LogLine {
    let mut out = VecDeque::new();
    let mut normaliser = Normaliser::default();
    normaliser.push(number, bytes, &mut out);
    normaliser.finish(&mut out);
    out.into_iter()
        .find(|line| !line.is_blank())
        .unwrap_or_else(|| make_line(number, "", None, None, None))
}

/// Whether a quiet line (printable ASCII, no escapes or box shape: see
/// `log::prefilter`) normalises to a blank line, judged from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blankness {
    Blank,
    Text,
    /// Only prefixes, perhaps: [`quiet_line`] tells.
    Unsure,
}

/// Judged from its bytes: the CI runner's bookkeeping is blank, and so is
/// a line of nothing but prefixes.
pub(crate) fn blankness(bytes: &[u8]) -> Blankness {
    if is_runner_bookkeeping(bytes) {
        return Blankness::Blank;
    }
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        Blankness::Blank
    } else if prefix::may_be_only_prefixes(trimmed) {
        Blankness::Unsure
    } else {
        Blankness::Text
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<LogLine, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Some(Ok(line));
            }
            if self.finished {
                return None;
            }
            match self.physical.read_into(&mut self.buf) {
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
                Ok(None) => {
                    self.normaliser.finish(&mut self.ready);
                    self.finished = true;
                }
                Ok(Some(number)) => self.process(number),
            }
        }
    }
}

fn truncate(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_TEXT_BYTES {
        return Cow::Borrowed(text);
    }
    let mut end = MAX_TEXT_BYTES - CUT_MARK.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}{CUT_MARK}", &text[..end]))
}

/// Drops monolog's empty context and extra (`... [] []`).
fn strip_empty_context(text: &str) -> &str {
    let mut text = text;
    while let Some(before) = text.strip_suffix("[] []") {
        text = before.trim_end();
    }
    text
}

fn make_line(
    number: usize,
    raw: &str,
    platform: Option<Level>,
    structured: Option<Level>,
    code: Option<String>,
) -> LogLine {
    let truncated = truncate(raw.trim());
    let text = strip_empty_context(&truncated);
    let level = structured
        .or_else(|| prefix::content_level(text))
        .or(platform);
    LogLine {
        number,
        text: text.to_string(),
        level,
        code,
    }
}

/// Lines each part of the normaliser reacts to, for `log::prefilter`'s
/// tests.
#[cfg(test)]
pub(crate) fn examples() -> Vec<&'static str> {
    [
        EXAMPLES,
        clean::EXAMPLES,
        escaped::EXAMPLES,
        runner::EXAMPLES,
        boxes::EXAMPLES,
    ]
    .concat()
}

/// Lines whose end the normaliser changes.
#[cfg(test)]
const EXAMPLES: &[&str] = &[
    "value is [] []",
    "[2020-01-01 00:00:00] main.INFO: done [] []",
];

/// Logical lines of `input`, for the tests of this module and the ones
/// below it.
#[cfg(test)]
fn parse(input: &str) -> Vec<LogLine> {
    lines(input.as_bytes()).map(|l| l.unwrap()).collect()
}

/// The non-blank texts of `input`.
#[cfg(test)]
fn texts(input: &str) -> Vec<String> {
    parse(input)
        .into_iter()
        .filter(|l| !l.is_blank())
        .map(|l| l.text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_runtime_and_ci_formats_are_read() {
        // CRI (Kubernetes): timestamp, stream, full/partial tag.
        let line = &parse("2024-05-01T10:00:03.123456789Z stderr F ERROR: [4] Widget failed")[0];
        assert_eq!(line.text, "Widget failed");
        assert_eq!(line.code.as_deref(), Some("4"));
        assert!(parse("2024-05-01T10:00:03.123456789Z stdout F")[0].is_blank());
        // Docker's json-file driver; a record's level reads like a text log's.
        let got = parse(concat!(
            r#"{"log":"Widget failed\n","stream":"stderr","time":"2024-05-01T10:00:03Z"}"#,
            "\n",
            r#"{"level":"error","msg":"cannot reach widget store","ts":1714557603}"#,
            "\n",
            r#"{"MESSAGE":"Widget sync done","PRIORITY":"6"}"#,
            "\n",
            r#"{"widgets":3}"#,
        ));
        let texts: Vec<&str> = got.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Widget failed",
                "cannot reach widget store",
                "Widget sync done",
                r#"{"widgets":3}"#
            ]
        );
        assert_eq!(got[1].level, Some(Level::Error));
        // A CI job's section markers are the runner's, not the job's.
        let got = parse("section_start:1714557600:build\r\x1b[0KRunning the build\nWidget failed\nsection_end:1714557601:build\r\x1b[0K\n");
        let texts: Vec<&str> = got.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["", "Widget failed", ""]);
    }

    #[test]
    fn monolog_empty_context_is_dropped() {
        assert_eq!(
            texts("[2020-01-01 00:00:00] main.INFO: done [] []"),
            ["done"]
        );
        assert_eq!(texts("value is [] [] [] []"), ["value is"]);
    }

    #[test]
    fn very_long_lines_are_bounded() {
        let long = "x".repeat(MAX_TEXT_BYTES * 3);
        let got = parse(&long);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].text.len(), MAX_TEXT_BYTES);
        assert!(got[0].text.ends_with(CUT_MARK));
    }

    #[test]
    fn a_line_longer_than_a_piece_is_one_line_cut_and_numbered() {
        let mut log = b"first\nERROR: ".to_vec();
        log.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES * 5 + 7));
        log.extend(b"\nafter\n");
        let got: Vec<LogLine> = lines(&log[..]).map(|l| l.unwrap()).collect();
        let shown: Vec<(usize, usize, bool)> = got
            .iter()
            .map(|l| (l.number, l.text.len(), l.text.ends_with(CUT_MARK)))
            .collect();
        assert_eq!(
            shown,
            [(1, 5, false), (2, MAX_TEXT_BYTES, true), (3, 5, false)]
        );
        assert_eq!(got[1].level, Some(Level::Error));
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever the bytes: logical lines come in order of their
        /// physical lines, none longer than the bound, none holding a
        /// control character a terminal would not show.
        #[test]
        fn any_bytes_normalise_to_bounded_printable_lines(
            lines_in in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::collection::vec(proptest::num::u8::ANY, 0..60),
                    proptest::sample::select(vec![
                        &b"ERROR: boom"[..], b"\x1b[31mERROR\x1b[0m: red", b"ERR\0OR: nul",
                        b"  [RuntimeException]  ", b"  Could not scan  ", b"In Foo.php line 12:",
                        b"{\"log\":\"x\\n\"}", b"a\\nb\\nERROR: c", b"Downloading 10%\rdone",
                        b"_\x08E_\x08R", b"\xff\xfe bad", b"",
                    ]).prop_map(<[u8]>::to_vec),
                ],
                0..40,
            ),
        ) {
            let input = lines_in.join(&b"\n"[..]);
            let physical = input.split(|&b| b == b'\n').count();
            let mut last = 0;
            for line in lines(&input[..]) {
                let line = line.unwrap();
                proptest::prop_assert!(line.number >= last && line.number <= physical.max(1));
                last = line.number;
                proptest::prop_assert!(line.text.len() <= MAX_TEXT_BYTES);
                proptest::prop_assert!(
                    !line.text.chars().any(|c| c.is_control() && c != '\t' && c != '\r'),
                    "{:?}", line.text
                );
            }
        }
    }
}
