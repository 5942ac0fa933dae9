//! From physical lines to normalised logical lines.
//!
//! Each physical line goes through, in order: colour removal, lossy UTF-8,
//! carriage-return handling, splitting of a JSON-escaped log pasted on one
//! line, prefix parsing (platform `W:`/`E:`, container service, timestamp,
//! level, error code), and the box assembler, which joins the padded and
//! terminal-wrapped lines of console exception boxes back into one line.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::BufRead;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::reader::{display_path, PhysicalLines};
use super::{Level, LogError, LogLine};

/// A whitespace-only line at least this wide is the padding row of a console
/// box, not an ordinary blank line.
pub(crate) const MIN_PAD_WIDTH: usize = 8;
/// Without padding to measure the box, a row is only taken as cut at the
/// terminal width when the widest row is at least this wide: no terminal is
/// narrower, and short two-row messages must not be glued together.
const MIN_WRAP_WIDTH: usize = 40;
/// A box paragraph is flushed after this many rows so that a runaway box
/// (a padded table, say) cannot hold memory.
const MAX_BOX_ROWS: usize = 64;
/// Longest text kept for one logical line; the rest is cut at a character
/// boundary. Joined boxes and split pieces obey it too.
pub(crate) const MAX_TEXT_BYTES: usize = 16 * 1024;

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
    /// Lines left of a CI runner's step header (`##[group]Run deploy.sh`,
    /// the script, its shell and environment, `##[endgroup]`): the
    /// runner's echo of the job definition, read as blank. Bounded, so that
    /// a log cut inside a header does not blank the rest.
    step_header_left: usize,
}

/// Most lines a CI runner's step header is taken to hold.
const MAX_STEP_HEADER: usize = 200;

impl Normaliser {
    /// Normalises physical line `number` (without its `\n`), appending the
    /// logical lines it completes to `out`.
    pub(crate) fn push(&mut self, number: usize, bytes: &[u8], out: &mut VecDeque<LogLine>) {
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
                None => self.push_piece(number, text, out),
            }
        }
    }

    fn push_piece(&mut self, number: usize, text: &str, out: &mut VecDeque<LogLine>) {
        let text = strip_visible_escapes(text);
        let prefix = parse_prefix(&text);
        match prefix.annotation {
            Some("group") if prefix.rest.starts_with("Run ") => {
                self.step_header_left = MAX_STEP_HEADER;
            }
            Some("endgroup") => self.step_header_left = 0,
            _ => {}
        }
        if self.step_header_left > 0 || prefix.annotation == Some("endgroup") {
            self.step_header_left = self.step_header_left.saturating_sub(1);
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
        self.boxes.open.is_none() && !self.boxes.armed && self.step_header_left == 0
    }
}

/// The logical line a fresh normaliser makes of one physical line (blank if
/// it makes none). For a line that cannot touch the box assembler's state
/// (see `log::stream`) this is what the line reads as wherever it stands, so
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
/// `log::stream`) normalises to a blank line, judged from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blankness {
    Blank,
    Text,
    /// Only prefixes, perhaps: [`quiet_line`] tells.
    Unsure,
}

/// A line's text is what its prefixes leave; they can leave nothing only
/// when the line ends the way a prefix does: `W:` (platform), `|` (service),
/// `]` (bracketed timestamp or monolog's `[] []`), a digit, `Z` or `C` (bare
/// timestamp). Any other last character survives into the text.
pub(crate) fn blankness(bytes: &[u8]) -> Blankness {
    if is_runner_bookkeeping(bytes) {
        return Blankness::Blank;
    }
    let trimmed = bytes.trim_ascii();
    if trimmed.starts_with(b"##[") {
        return Blankness::Unsure;
    }
    let Some(&last) = trimmed.last() else {
        return Blankness::Blank;
    };
    let unsure = match last {
        // A platform mark alone, perhaps behind other prefixes.
        b':' => trimmed.ends_with(b"W:") || trimmed.ends_with(b"E:"),
        b']' => {
            trimmed.ends_with(b"[] []")
                || memchr::memrchr(b'[', trimmed)
                    .is_some_and(|open| trimmed.get(open + 1).is_some_and(u8::is_ascii_digit))
        }
        b'|' => true,
        // `2024-05-01T10:00:03Z stdout F`: a container runtime's empty line.
        b'F' | b'P' => {
            trimmed.ends_with(b" stdout F")
                || trimmed.ends_with(b" stderr F")
                || trimmed.ends_with(b" stdout P")
                || trimmed.ends_with(b" stderr P")
        }
        b'0'..=b'9' | b'Z' | b'C' => {
            memchr::memchr(b'-', trimmed).is_some() && memchr::memchr(b':', trimmed).is_some()
        }
        _ => false,
    };
    if unsure {
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

// ---------------------------------------------------------------------------
// Physical-line cleaning

/// Colours removed, invalid UTF-8 replaced, carriage returns resolved the way
/// a terminal shows them: the text after the last `\r` overwrote what was
/// before it (progress bars), so the last non-blank segment is kept.
fn clean_physical(bytes: &[u8]) -> Cow<'_, str> {
    if memchr::memchr2(0x1b, b'\r', bytes).is_none() {
        // The common case: nothing to resolve, so no copy.
        return String::from_utf8_lossy(bytes);
    }
    let bytes: Cow<[u8]> = if memchr::memchr(0x1b, bytes).is_some() {
        Cow::Owned(strip_ansi_escapes::strip(bytes))
    } else {
        Cow::Borrowed(bytes)
    };
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_end_matches('\r');
    let text = if text.contains('\r') {
        text.rsplit('\r')
            .find(|segment| !segment.trim().is_empty())
            .unwrap_or("")
    } else {
        text
    };
    // Not truncated here: a JSON-escaped log is a whole log on one line; the
    // logical lines cut from it are truncated one by one.
    Cow::Owned(text.to_string())
}

fn truncate(text: &str) -> &str {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Removes colour codes that lost their escape byte on the way: consoles and
/// issue trackers render ESC as `←` or `?`, leaving `←[0;31m` in the text.
/// Real ESC sequences that survived JSON unescaping (`\u001b[31m`) go too.
fn strip_visible_escapes(text: &str) -> Cow<'_, str> {
    let text: Cow<str> = if text.contains('\x1b') {
        Cow::Owned(String::from_utf8_lossy(&strip_ansi_escapes::strip(text)).into_owned())
    } else {
        Cow::Borrowed(text)
    };
    if !text.contains('[') || !(text.contains('\u{2190}') || text.contains("?[")) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    loop {
        let found = ["\u{2190}[", "?["]
            .iter()
            .filter_map(|marker| rest.find(marker).map(|at| (at, marker.len())))
            .min();
        let Some((at, marker_len)) = found else {
            out.push_str(rest);
            break;
        };
        let params = &rest[at + marker_len..];
        let digits = params
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b';')
            .count();
        let is_colour = digits > 0 && params.as_bytes().get(digits) == Some(&b'm');
        if is_colour {
            out.push_str(&rest[..at]);
            rest = &params[digits + 1..];
        } else {
            out.push_str(&rest[..at + marker_len]);
            rest = params;
        }
    }
    Cow::Owned(out)
}

/// A CI job log's section marker (`section_start:1714557600:build\r\e[0K`
/// followed by the runner's own heading), pipeline step line, or a line the
/// runner prints about itself before and after the job (see
/// [`RUNNER_CHATTER`]): the runner's bookkeeping, not output of the job.
fn is_runner_bookkeeping(bytes: &[u8]) -> bool {
    // Called on many lines of a long log: most are ruled out by their
    // first byte.
    let first = |b: &[u8]| b.first().map_or(0, |&c| c);
    let bytes = match first(bytes) {
        b'[' | b'0'..=b'9' => after_timestamp(bytes),
        _ => bytes,
    };
    if !matches!(
        first(bytes),
        b's' | b'[' | b'S' | b'O' | b'C' | b'F' | b'R' | b'P' | b'G' | b'E' | b'J'
    ) {
        return false;
    }
    let rest = bytes
        .strip_prefix(b"section_start:")
        .or_else(|| bytes.strip_prefix(b"section_end:"));
    rest.is_some_and(|r| r.first().is_some_and(u8::is_ascii_digit))
        // A pipeline's own step lines (`[Pipeline] sh`, `[Pipeline] }`).
        || bytes.starts_with(b"[Pipeline] ")
        || RUNNER_CHATTER.iter().any(|start| bytes.starts_with(start))
        || is_runner_placement(bytes)
}

/// How CI runners open and close a job, word for word (Jenkins, GitLab
/// runner, GitHub Actions). Their words ("user admin", "Git repository",
/// "deploy") are not the job's: read as context they pull in articles about
/// admin users or repositories. Only lines no tool's own output starts
/// with; exit statuses stay, as they confirm the failure.
const RUNNER_CHATTER: &[&[u8]] = &[
    // Jenkins
    b"Started by user ",
    b"Started by timer",
    b"Started by upstream project ",
    b"Started by an SCM change",
    b"Started by GitHub push ",
    b"Started by remote host ",
    b"Obtained Jenkinsfile from ",
    b"Checking out Revision ",
    b"Finished: SUCCESS",
    // GitLab runner
    b"Running with gitlab-runner ",
    b"Preparing the \"",
    b"Preparing environment",
    b"Getting source from Git repository",
    b"Fetching changes with git depth set to ",
    b"Skipping Git submodules setup",
    b"Executing \"step_script\" stage of the job script",
    b"Executing \"after_script\" stage of the job script",
    b"Cleaning up project directory and file based variables",
    b"Cleaning up file based variables",
    b"Job succeeded",
    // GitHub Actions
    b"Current runner version: '",
    b"Post job cleanup.",
    b"Cleaning up orphan processes",
];

/// Where a runner placed the job: `Running on agent-1 in
/// /var/lib/jenkins/workspace/deploy` (Jenkins), `Running on runner-x via
/// host...` (GitLab).
fn is_runner_placement(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"Running on ") else {
        return false;
    };
    let Some(space) = rest.iter().position(|&b| b == b' ') else {
        return false;
    };
    let after = &rest[space..];
    after.starts_with(b" in /") || after.starts_with(b" via ")
}

/// `bytes` after a leading timestamp, as CI runners put before each line:
/// `2024-05-01T10:00:00.1234567Z ` (a downloaded job log),
/// `[2024-05-01T10:00:00.123Z] ` or `10:00:00  ` (a pipeline's timestamper).
fn after_timestamp(bytes: &[u8]) -> &[u8] {
    let open = bytes.first() == Some(&b'[');
    let body = &bytes[usize::from(open)..];
    let len = body
        .iter()
        .take_while(|b| b.is_ascii_digit() || b":.-TZ+".contains(b))
        .count();
    let stamp = &body[..len];
    if len < 8 || !stamp[0].is_ascii_digit() || !stamp.contains(&b':') {
        return bytes;
    }
    let mut rest = &body[len..];
    if open {
        match rest.strip_prefix(b"]") {
            Some(r) => rest = r,
            None => return bytes,
        }
    }
    if rest.first() != Some(&b' ') {
        return bytes;
    }
    rest.trim_ascii_start()
}

// ---------------------------------------------------------------------------
// JSON logs

/// The lines of a JSON log record met among other lines (a whole file of
/// them is decoded as it is read: see `log::record`).
fn json_record(line: &str) -> Option<Vec<Cow<'_, str>>> {
    let text = super::record::record_text(line)?;
    if !text.contains('\n') {
        return Some(vec![text]);
    }
    Some(
        text.split('\n')
            .map(|l| Cow::Owned(l.to_string()))
            .collect(),
    )
}

/// The start of a JSON object up to the opening quote of a string value,
/// after any number of simple members: `{"status":"failed","log":"`.
static JSON_WRAPPER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"^\s*\{(?:\s*"[^"\\]*"\s*:\s*(?:"(?:[^"\\]|\\.)*"|-?[\d.]+|true|false|null)\s*,)*"#,
        r#"\s*"[^"\\]*"\s*:\s*""#,
    ))
    .expect("JSON wrapper pattern")
});

/// If `line` is a log pasted as one JSON string (its newlines written `\n`),
/// returns its unescaped lines. Windows paths and namespaces also contain
/// `\n` (`C:\node`, `Vendor\newsletter`), but there a lower-case letter
/// follows. So it takes two `\n` followed by something else, or two of any
/// kind when the line also has escapes that paths never have (`\"`, `\u`).
fn split_escaped(line: &str) -> Option<Vec<String>> {
    memchr::memmem::find(line.as_bytes(), b"\\n")?;
    let bytes = line.as_bytes();
    let (mut clear_newlines, mut newlines, mut other_escapes) = (0, 0, 0);
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\\' {
            match bytes[i + 1] {
                b'n' => {
                    newlines += 1;
                    if !bytes.get(i + 2).is_some_and(u8::is_ascii_lowercase) {
                        clear_newlines += 1;
                    }
                }
                b'"' | b'u' => other_escapes += 1,
                _ => {}
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    if clear_newlines < 2 && (newlines < 2 || other_escapes == 0) {
        return None;
    }
    // `{"status":"failed","log":"...\n..."}`: only the string is the log.
    let (body, wrapped) = match JSON_WRAPPER.find(line) {
        Some(m) => (&line[m.end()..], true),
        None => (line, false),
    };
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' && wrapped {
            break;
        }
        if c != '\\' {
            current.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => pieces.push(std::mem::take(&mut current)),
            Some('r') => {}
            Some('t') => current.push('\t'),
            Some('"') => current.push('"'),
            Some('\\') => current.push('\\'),
            Some('/') => current.push('/'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                {
                    Some(code) => {
                        for _ in 0..4 {
                            chars.next();
                        }
                        current.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    None => current.push_str("\\u"),
                }
            }
            Some(other) => {
                current.push('\\');
                current.push(other);
            }
            None => current.push('\\'),
        }
    }
    pieces.push(current);
    Some(pieces)
}

// ---------------------------------------------------------------------------
// Prefixes: platform, service, timestamp, level, code

struct Prefix<'a> {
    /// `W:` / `E:` written by a hosting platform in front of a command's
    /// stderr/failure output. Weak: the content's own level wins.
    platform: Option<Level>,
    /// The level the logger itself wrote (`CRITICAL:`, `[ERROR]`).
    structured: Option<Level>,
    code: Option<String>,
    /// The CI runner's workflow command the line carried (`group`, ...).
    annotation: Option<&'a str>,
    /// What follows the prefixes; leading spaces are kept when nothing was
    /// stripped, because box detection needs the indentation.
    rest: &'a str,
}

static TIMESTAMP_BRACKETED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\[(?:\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}| ?[A-Z]{2,5})?|\d{1,2}-[A-Z][a-z]{2}-\d{4} \d{1,2}:\d{2}:\d{2}(?: [A-Z]{2,5})?|\d{1,2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?)\] ?",
    )
    .expect("timestamp pattern")
});

static TIMESTAMP_BARE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}| UTC)?(?:[ \t]|$)",
    )
    .expect("timestamp pattern")
});

/// `[ERROR]`, `[INFO ]:`, `main.CRITICAL:`, `ERROR:`. The word form must be
/// upper case: `Error:` and `Warning:` are part of a message and stay.
static LEVEL_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\[(?P<bracket>[A-Za-z]{3,9}) *\]:?\s*|(?:[a-z][\w-]*\.)?(?P<word>[A-Z]{3,9}):(?:\s+|$))",
    )
        .expect("level pattern")
});

pub(crate) fn level_word(word: &str) -> Option<Level> {
    let level = match word.to_ascii_uppercase().as_str() {
        "DEBUG" | "TRACE" => Level::Debug,
        "INFO" | "SUCCESS" => Level::Info,
        "NOTICE" => Level::Notice,
        "WARNING" | "WARN" => Level::Warning,
        "ERROR" | "ERR" => Level::Error,
        "CRITICAL" | "CRIT" | "ALERT" | "EMERGENCY" | "EMERG" | "FATAL" | "SEVERE" => {
            Level::Critical
        }
        _ => return None,
    };
    Some(level)
}

fn parse_prefix(line: &str) -> Prefix<'_> {
    let mut prefix = Prefix {
        platform: None,
        structured: None,
        code: None,
        annotation: None,
        rest: line,
    };
    let line = line.strip_prefix("remote:").map_or(line, |r| r);
    // Prefixes nest: a CI runner stamps every line (`2024-05-01T10:00:03Z`),
    // a container orchestrator names the service (`web_1  | `), the cloud
    // build marks its stream (`W:`), and the tool may stamp its own line
    // before its level. Each kind is taken once (timestamps twice), in
    // whatever order they come.
    let mut rest = line;
    let mut stripped = false;
    let (mut service, mut stamps) = (false, 0);
    loop {
        let trimmed = rest.trim_start();
        if prefix.platform.is_none() {
            if let Some((level, after)) = strip_platform(trimmed) {
                prefix.platform = Some(level);
                (rest, stripped) = (after, true);
                continue;
            }
        }
        if !service {
            if let Some(after) = strip_service(rest) {
                service = true;
                (rest, stripped) = (after, true);
                continue;
            }
        }
        if prefix.annotation.is_none() {
            if let Some((name, level, after)) = strip_annotation(trimmed) {
                prefix.annotation = Some(name);
                prefix.structured = level;
                (rest, stripped) = (after, true);
                continue;
            }
        }
        if stamps < 2 {
            if let Some(after) = strip_timestamp(trimmed) {
                stamps += 1;
                (rest, stripped) = (after, true);
                if let Some(after) = strip_cri_stream(after) {
                    rest = after;
                }
                continue;
            }
        }
        break;
    }
    if stripped {
        prefix.rest = rest;
    }

    // The stamp's own separator is gone; more space is the line's own
    // indentation (a console box), kept in `rest` unless a level follows.
    let candidate = rest.trim_start();
    if !may_start_with_level(candidate) {
        return prefix;
    }
    let Some(caps) = LEVEL_TOKEN.captures(candidate) else {
        return prefix;
    };
    let word = caps
        .name("bracket")
        .or_else(|| caps.name("word"))
        .map_or("", |m| m.as_str());
    let Some(level) = level_word(word) else {
        return prefix;
    };
    let after_level = &candidate[caps.get(0).map_or(0, |m| m.end())..];
    let (code, message) = strip_code(after_level);
    prefix.structured = Some(level);
    // `ERROR: 137` keeps its level word: the bare number is no message.
    if message.bytes().any(|b| b.is_ascii_alphabetic()) {
        prefix.code = code;
        prefix.rest = message;
    } else {
        prefix.rest = candidate;
    }
    prefix
}

/// The text after a leading timestamp, if `text` starts with one.
fn strip_timestamp(text: &str) -> Option<&str> {
    let text = text.trim_start();
    let found = match text.as_bytes().first()? {
        b'[' => TIMESTAMP_BRACKETED.find(text),
        c if c.is_ascii_digit() => TIMESTAMP_BARE.find(text),
        _ => None,
    };
    found.map(|m| &text[m.end()..])
}

/// Cheap check before [`LEVEL_TOKEN`], which most lines (starting with a
/// word) would otherwise run: an upper-case word needs three capitals at the
/// start; a lower-case channel (`main.`) ends at the first `.` (its
/// characters exclude dots) and three capitals follow it.
fn may_start_with_level(candidate: &str) -> bool {
    let bytes = candidate.as_bytes();
    let capitals = |b: &[u8]| b.len() >= 3 && b[..3].iter().all(u8::is_ascii_uppercase);
    match bytes.first() {
        Some(b'[') => true,
        Some(c) if c.is_ascii_uppercase() => capitals(bytes),
        Some(c) if c.is_ascii_lowercase() => {
            memchr::memchr(b'.', bytes).is_some_and(|dot| capitals(&bytes[dot + 1..]))
        }
        _ => false,
    }
}

fn strip_platform(text: &str) -> Option<(Level, &str)> {
    let level = match text.as_bytes() {
        [b'W', b':', ..] => Level::Warning,
        [b'E', b':', ..] => Level::Error,
        _ => return None,
    };
    let after = &text[2..];
    if after.is_empty() {
        return Some((level, after));
    }
    after.strip_prefix(' ').map(|after| (level, after))
}

/// `web_1  | message` / `db-1  | message`, as written by container
/// orchestration when it interleaves services. The `_1`/`-1` replica suffix
/// keeps ordinary `a | b` text from matching.
fn strip_service(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    let name_len = bytes
        .iter()
        .take(64)
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    let name = &bytes[..name_len];
    let replica = name.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if replica == 0 || replica >= name_len || !matches!(name[name_len - replica - 1], b'_' | b'-') {
        return None;
    }
    let after = &line[name_len..];
    let spaces = after.len() - after.trim_start_matches(' ').len();
    if spaces == 0 {
        return None;
    }
    after[spaces..].strip_prefix("| ").or_else(|| {
        let rest = &after[spaces..];
        (rest == "|").then_some("")
    })
}

/// A CI runner's workflow command (`##[error]message`, `##[group]Run
/// deploy.sh`): its name, its level if it has one, and the message.
fn strip_annotation(text: &str) -> Option<(&str, Option<Level>, &str)> {
    let inner = text.strip_prefix("##[")?;
    let (name, rest) = inner.split_once(']')?;
    let level = match name {
        "error" => Some(Level::Error),
        "warning" => Some(Level::Warning),
        "notice" => Some(Level::Notice),
        "debug" => Some(Level::Debug),
        "group" | "endgroup" | "command" | "section" => None,
        _ => return None,
    };
    Some((name, level, rest))
}

/// `stderr F message` after the timestamp of a container runtime's log
/// (CRI format, as Kubernetes stores it): the stream and whether the line
/// is full (`F`) or a part (`P`).
fn strip_cri_stream(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("stdout ")
        .or_else(|| text.strip_prefix("stderr "))?;
    let rest = rest.strip_prefix('F').or_else(|| rest.strip_prefix('P'))?;
    if rest.is_empty() {
        return Some(rest);
    }
    rest.strip_prefix(' ')
}

/// `[11] message` after a level: the deploy tool's error code.
fn strip_code(text: &str) -> (Option<String>, &str) {
    let Some(inner) = text.strip_prefix('[') else {
        return (None, text);
    };
    let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 6 || inner.as_bytes().get(digits) != Some(&b']') {
        return (None, text);
    }
    let code = inner[..digits].to_string();
    (Some(code), inner[digits + 1..].trim_start())
}

/// The message without PHP's `PHP ` tag, which the CLI's error log puts in
/// front of what the display shows bare (`PHP Fatal error: ...` against
/// `Fatal error: ...`): the same error, so what it is compared by leaves the
/// tag out.
pub fn without_php_tag(text: &str) -> &str {
    match text.strip_prefix("PHP ") {
        Some(rest) if content_level(rest).is_some() => rest,
        _ => text,
    }
}

/// Level from how the message itself starts (PHP, git, npm, yarn, shells).
/// These words stay in the text: articles quote them.
fn content_level(text: &str) -> Option<Level> {
    const PREFIXES: &[(&str, Level)] = &[
        ("PHP Fatal error", Level::Critical),
        ("PHP Parse error", Level::Critical),
        ("PHP Catchable fatal error", Level::Critical),
        ("PHP Recoverable fatal error", Level::Critical),
        ("Fatal error:", Level::Critical),
        ("Parse error:", Level::Critical),
        ("Catchable fatal error:", Level::Critical),
        ("FATAL:", Level::Critical),
        ("PHP Warning:", Level::Warning),
        ("Warning:", Level::Warning),
        ("WARNING:", Level::Warning),
        ("warning:", Level::Warning),
        ("npm WARN", Level::Warning),
        ("Alert:", Level::Warning),
        ("PHP Notice:", Level::Notice),
        ("Notice:", Level::Notice),
        ("PHP Deprecated:", Level::Notice),
        ("Deprecated:", Level::Notice),
        ("npm notice", Level::Notice),
        ("Error:", Level::Error),
        ("error:", Level::Error),
        ("ERROR:", Level::Error),
        ("fatal:", Level::Error),
        ("Fatal:", Level::Error),
        ("npm ERR!", Level::Error),
    ];
    let first = *text.as_bytes().first()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    for (prefix, level) in PREFIXES {
        if text.starts_with(prefix) {
            return Some(*level);
        }
    }
    // yarn / MySQL client: `error Command failed.`, `ERROR 2006 (HY000)`.
    for (word, level) in [
        ("error ", Level::Error),
        ("ERROR ", Level::Error),
        ("warning ", Level::Warning),
    ] {
        if let Some(after) = text.strip_prefix(word) {
            if after.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit()) {
                return Some(level);
            }
        }
    }
    // `TypeError: ...`, `Zend_Db_Statement_Exception(code: 23000): ...`
    let head = text.split_once(": ")?.0;
    let head = head.split_once('(').map_or(head, |(name, _)| name);
    let is_class = !head.contains(' ')
        && first.is_ascii_uppercase()
        && (head.ends_with("Error") || head.ends_with("Exception"));
    is_class.then_some(Level::Error)
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
    let text = strip_empty_context(truncate(raw.trim()));
    let level = structured.or_else(|| content_level(text)).or(platform);
    LogLine {
        number,
        text: text.to_string(),
        level,
        code,
    }
}

// ---------------------------------------------------------------------------
// Console boxes

/// One prefix-parsed piece handed to the box assembler.
struct Piece<'a> {
    number: usize,
    platform: Option<Level>,
    structured: Option<Level>,
    code: Option<String>,
    rest: &'a str,
}

/// Joins console exception boxes back into logical lines.
///
/// A box is a run of rows indented by two spaces and padded with trailing
/// spaces to one common width, usually between whitespace-only padding rows,
/// often under an `[ExceptionClass]` title or after an `In File.php line N:`
/// header. Long messages are hard-cut at the terminal width, even inside a
/// word, so a row whose text fills the box exactly is glued to the next row
/// without a space; other rows are joined with one space. Pasted logs often
/// lose the padding or the indentation; the rules degrade to "indented rows
/// after a title or header", with the widest row taken as the cut width.
#[derive(Default)]
struct BoxAssembler {
    open: Option<OpenBox>,
    /// An `In File.php line N:` header was just seen: the next indented rows
    /// are a box even without padding.
    armed: bool,
}

struct OpenBox {
    platform: Option<Level>,
    /// Opened by padding alone: only rows of the same padded width belong.
    strict: bool,
    /// Widest padded row seen (the box width), 0 when nothing was padded.
    width: usize,
    title: Option<String>,
    rows: Vec<Row>,
    /// Line where the current paragraph starts.
    number: usize,
}

struct Row {
    /// Indentation (up to two spaces) and trailing padding removed; a space
    /// the terminal cut before is kept at the start.
    content: String,
}

fn is_header(trimmed: &str) -> bool {
    // `In AuthHelper.php line 205:`
    let Some(rest) = trimmed.strip_prefix("In ") else {
        return false;
    };
    let Some(rest) = rest.strip_suffix(':') else {
        return false;
    };
    let Some((file, number)) = rest.rsplit_once(" line ") else {
        return false;
    };
    !file.is_empty()
        && !file.contains(' ')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// `[Acme\Downloader\TransportException]` alone on its row.
fn is_title(trimmed: &str) -> bool {
    let Some(inner) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
        return false;
    };
    inner.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && inner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'\\')
        && inner.bytes().any(|b| b.is_ascii_lowercase())
}

fn is_indented(text: &str) -> bool {
    text.starts_with([' ', '\t'])
}

fn is_padded(text: &str) -> bool {
    text.ends_with("  ")
}

fn row_content(rest: &str) -> String {
    let content = rest
        .strip_prefix("  ")
        .or_else(|| rest.strip_prefix(' '))
        .unwrap_or(rest);
    content.trim_end().to_string()
}

impl OpenBox {
    fn new(piece: &Piece, strict: bool) -> Self {
        OpenBox {
            platform: piece.platform,
            strict,
            width: 0,
            title: None,
            rows: Vec::new(),
            number: piece.number,
        }
    }

    fn widen(&mut self, rest: &str) {
        if is_padded(rest) || rest.trim().is_empty() {
            self.width = self.width.max(rest.chars().count());
        }
    }

    fn accepts(&self, rest: &str) -> bool {
        let padded = is_padded(rest);
        let same_width = padded && self.width > 0 && rest.chars().count() == self.width;
        if self.strict {
            same_width
        } else {
            is_indented(rest) || same_width
        }
    }

    fn start_paragraph(&mut self, number: usize) {
        if self.title.is_none() && self.rows.is_empty() {
            self.number = number;
        }
    }

    fn end_paragraph(&mut self, out: &mut VecDeque<LogLine>) {
        if self.title.is_none() && self.rows.is_empty() {
            return;
        }
        let text = join_rows(self.title.take(), &self.rows, self.width);
        self.rows.clear();
        out.push_back(make_line(self.number, &text, self.platform, None, None));
    }
}

/// The rows of one box paragraph as one line (see [`BoxAssembler`]).
fn join_rows(title: Option<String>, rows: &[Row], width: usize) -> String {
    let lengths: Vec<usize> = rows.iter().map(|r| r.content.chars().count()).collect();
    let cut_width = if width >= MIN_PAD_WIDTH + 4 {
        Some(width - 4)
    } else {
        lengths
            .iter()
            .copied()
            .max()
            .filter(|&widest| rows.len() >= 2 && widest >= MIN_WRAP_WIDTH)
    };
    let mut text = title.unwrap_or_default();
    for (i, row) in rows.iter().enumerate() {
        let previous_was_cut = i > 0
            && cut_width == Some(lengths[i - 1])
            && !is_sentence_break(&rows[i - 1].content, &row.content);
        if text.is_empty() {
            text.push_str(row.content.trim_start());
        } else if previous_was_cut && !row.content.starts_with(char::is_whitespace) {
            text.push_str(&row.content);
        } else {
            text.push(' ');
            text.push_str(row.content.trim_start());
        }
        if text.len() > MAX_TEXT_BYTES {
            break;
        }
    }
    text
}

/// A full row ending a sentence, followed by a capital: two message lines
/// that happened to be the widest, not a word cut in two.
fn is_sentence_break(previous: &str, next: &str) -> bool {
    previous.ends_with(['.', '!', '?', ':']) && next.starts_with(|c: char| c.is_uppercase())
}

impl BoxAssembler {
    fn close(&mut self, out: &mut VecDeque<LogLine>) {
        if let Some(mut open) = self.open.take() {
            open.end_paragraph(out);
        }
    }

    fn push(&mut self, piece: Piece, out: &mut VecDeque<LogLine>) {
        if piece.structured.is_some() {
            self.close(out);
            self.armed = false;
            out.push_back(make_line(
                piece.number,
                piece.rest,
                piece.platform,
                piece.structured,
                piece.code,
            ));
            return;
        }
        let rest = piece.rest;
        let trimmed = rest.trim();
        if let Some(open) = self.open.as_mut() {
            if open.platform == piece.platform {
                if trimmed.is_empty() {
                    if rest.len() >= MIN_PAD_WIDTH {
                        // A padding row: ends a paragraph, not the box (a
                        // message with blank lines keeps its box).
                        open.end_paragraph(out);
                        open.widen(rest);
                        return;
                    }
                    self.close(out);
                    out.push_back(make_line(piece.number, "", piece.platform, None, None));
                    return;
                }
                if is_title(trimmed) {
                    open.end_paragraph(out);
                    open.number = piece.number;
                    open.title = Some(trimmed.to_string());
                    open.strict = false;
                    open.widen(rest);
                    return;
                }
                if !is_header(trimmed) && open.accepts(rest) {
                    open.start_paragraph(piece.number);
                    open.rows.push(Row {
                        content: row_content(rest),
                    });
                    open.widen(rest);
                    if open.rows.len() >= MAX_BOX_ROWS {
                        open.end_paragraph(out);
                    }
                    return;
                }
            }
            self.close(out);
        }

        if trimmed.is_empty() {
            if rest.len() >= MIN_PAD_WIDTH {
                let mut open = OpenBox::new(&piece, !self.armed);
                open.widen(rest);
                self.open = Some(open);
            } else {
                out.push_back(make_line(piece.number, "", piece.platform, None, None));
            }
            return;
        }
        if is_header(trimmed) {
            out.push_back(make_line(piece.number, rest, piece.platform, None, None));
            self.armed = true;
            return;
        }
        if is_title(trimmed) {
            let mut open = OpenBox::new(&piece, false);
            open.title = Some(trimmed.to_string());
            open.widen(rest);
            self.open = Some(open);
            self.armed = false;
            return;
        }
        if is_indented(rest) && (is_padded(rest) || self.armed) {
            let mut open = OpenBox::new(&piece, !self.armed);
            open.rows.push(Row {
                content: row_content(rest),
            });
            open.widen(rest);
            self.open = Some(open);
            self.armed = false;
            return;
        }
        self.armed = false;
        out.push_back(make_line(
            piece.number,
            rest,
            piece.platform,
            None,
            piece.code,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Vec<LogLine> {
        lines(input.as_bytes()).map(|l| l.unwrap()).collect()
    }

    fn texts(input: &str) -> Vec<String> {
        parse(input)
            .into_iter()
            .filter(|l| !l.is_blank())
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn php_tag_is_left_out_only_before_a_level() {
        assert_eq!(
            without_php_tag("PHP Fatal error:  boom"),
            "Fatal error:  boom"
        );
        assert_eq!(without_php_tag("PHP Warning: x"), "Warning: x");
        assert_eq!(
            without_php_tag("PHP version 7.4 is required"),
            "PHP version 7.4 is required"
        );
        assert_eq!(without_php_tag("Fatal error: boom"), "Fatal error: boom");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let got: Vec<LogLine> = lines(&b"ok\nbad \xff\xfe byte\n"[..])
            .map(|l| l.unwrap())
            .collect();
        assert_eq!(got[1].text, "bad \u{fffd}\u{fffd} byte");
        assert_eq!(got[1].number, 2);
    }

    #[test]
    fn crlf_and_carriage_return_progress() {
        assert_eq!(texts("one\r\ntwo\r\n"), ["one", "two"]);
        assert_eq!(
            texts("Downloading 10%\rDownloading 100%\r\n"),
            ["Downloading 100%"]
        );
    }

    #[test]
    fn ansi_colours_are_removed() {
        assert_eq!(
            texts("\x1b[31mERROR:\x1b[0m disk \x1b[1mfull\x1b[0m\n"),
            ["disk full"]
        );
    }

    #[test]
    fn colours_that_lost_their_escape_byte_are_removed() {
        assert_eq!(strip_visible_escapes("\u{2190}[0;31mred\u{2190}[0m"), "red");
        assert_eq!(strip_visible_escapes("?[0;31m[x]?[0m"), "[x]");
        // Not colour codes: left alone.
        assert_eq!(
            strip_visible_escapes("why?[1] see ?[x]"),
            "why?[1] see ?[x]"
        );
        let line = &parse("?[0;31m[2018-06-21 05:05:06][ERROR]: Class a/b does not exist?[0m\n")[0];
        assert_eq!(line.text, "Class a/b does not exist");
        assert_eq!(line.level, Some(Level::Error));
    }

    #[test]
    fn timestamps_and_levels_are_stripped_into_fields() {
        let cases = [
            (
                "[2019-01-23 00:00:00] CRITICAL: [11] Command failed",
                "Command failed",
                Some(Level::Critical),
                Some("11"),
            ),
            (
                "[2020-10-28 11:12:45] main.ERROR: Sample error [] []",
                "Sample error",
                Some(Level::Error),
                None,
            ),
            (
                "[2025-02-24T16:46:00.188335+00:00] INFO: Starting",
                "Starting",
                Some(Level::Info),
                None,
            ),
            // A CI runner's stamp before the tool's own.
            (
                "2024-05-01T10:00:03.1234567Z [2024-05-01 10:00:03][ERROR]: Widget map is stale",
                "Widget map is stale",
                Some(Level::Error),
                None,
            ),
            (
                "[2024-05-01T10:00:03Z] [2024-05-01 10:00:03] CRITICAL: [7] Widget step failed",
                "Widget step failed",
                Some(Level::Critical),
                Some("7"),
            ),
            (
                "2020-06-01T10:00:00+00:00 something happened",
                "something happened",
                None,
                None,
            ),
            (
                "[2019-05-08 09:20:32][ERROR]: Incompatibility in data",
                "Incompatibility in data",
                Some(Level::Error),
                None,
            ),
            (
                "[20-Jan-2016 14:33:58 UTC] PHP Fatal error:  Out of memory",
                "PHP Fatal error:  Out of memory",
                Some(Level::Critical),
                None,
            ),
            (
                "[2017-05-02 21:23:04 UTC] Job has started",
                "Job has started",
                None,
                None,
            ),
            (
                " report.CRITICAL: Can't create directory",
                "Can't create directory",
                Some(Level::Critical),
                None,
            ),
            (
                "[SUCCESS]: Backup completed successfully.",
                "Backup completed successfully.",
                Some(Level::Info),
                None,
            ),
            ("ERROR: 137", "ERROR: 137", Some(Level::Error), None),
            (
                "[2021-02-01T03:54:53,577][INFO ][o.e.n.Node] stopping",
                "[o.e.n.Node] stopping",
                Some(Level::Info),
                None,
            ),
        ];
        for (input, text, level, code) in cases {
            let line = &parse(input)[0];
            assert_eq!(line.text, text, "{input}");
            assert_eq!(line.level, level, "{input}");
            assert_eq!(line.code.as_deref(), code, "{input}");
        }
    }

    #[test]
    fn message_level_words_stay_in_the_text() {
        let cases = [
            ("PHP Fatal error:  Allowed memory size", Level::Critical),
            (
                "Fatal error: Maximum function nesting level",
                Level::Critical,
            ),
            ("Warning: strtotime(): It is not safe", Level::Warning),
            (
                "fatal: Could not read from remote repository.",
                Level::Error,
            ),
            ("error Command failed with exit code 1.", Level::Error),
            (
                "ERROR 1045 (28000) at line 17: Access denied for user",
                Level::Error,
            ),
            (
                "TypeError: rawurlencode() expects parameter 1",
                Level::Error,
            ),
            (
                "Alert: Generated static view files were not cleared.",
                Level::Warning,
            ),
        ];
        for (input, level) in cases {
            let line = &parse(input)[0];
            assert_eq!(line.text, input);
            assert_eq!(line.level, Some(level), "{input}");
        }
        assert_eq!(parse("Compilation was started.")[0].level, None);
        assert_eq!(parse("Error during compilation")[0].level, None);
    }

    #[test]
    fn platform_prefixes_are_weaker_than_the_message() {
        let got = parse("     W: Loading package repositories\n      E: Error building project: Step failed\n     W:   Error: patch can't be applied\n");
        assert_eq!(got[0].text, "Loading package repositories");
        assert_eq!(got[0].level, Some(Level::Warning));
        assert_eq!(got[1].text, "Error building project: Step failed");
        assert_eq!(got[1].level, Some(Level::Error));
        assert_eq!(got[2].text, "Error: patch can't be applied");
        assert_eq!(got[2].level, Some(Level::Error));
    }

    #[test]
    fn nested_prefixes_come_off_in_any_order() {
        // A runner's stamp or a service name before the build's stream mark,
        // and the box indentation after it still joins the box's rows.
        for outer in ["", "2024-05-01T10:00:03.1234567Z ", "build_1  | "] {
            let log = format!(
                "{outer}     W:   [Exception]                 \n\
                 {outer}     W:   Widget step failed at row   \n\
                 {outer}     W:   12 of the import.           \n"
            );
            let got = parse(&log);
            assert_eq!(got.len(), 1, "{outer:?}: {got:#?}");
            assert_eq!(
                got[0].text,
                "[Exception] Widget step failed at row 12 of the import."
            );
            assert_eq!(got[0].level, Some(Level::Warning), "{outer:?}");
        }
        let line =
            &parse("2024-05-01T10:00:03Z web_1  | [2024-05-01 10:00:03] ERROR: [3] Widget failed")
                [0];
        assert_eq!(line.text, "Widget failed");
        assert_eq!(line.code.as_deref(), Some("3"));
    }

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
    fn a_step_header_ends_the_box_before_it() {
        let log = "In Widget.php line 3:\n                          \n\
                   \x20 [WidgetException]       \n\
                   \x20 widget store is gone    \n\
                   ##[group]Run next.sh\n##[endgroup]\n\
                   \x20 next step output here   \n";
        let got: Vec<(usize, String)> = parse(log)
            .into_iter()
            .filter(|l| !l.is_blank())
            .map(|l| (l.number, l.text))
            .collect();
        assert_eq!(
            got,
            [
                (1, "In Widget.php line 3:".to_string()),
                (3, "[WidgetException] widget store is gone".to_string()),
                (7, "next step output here".to_string()),
            ]
        );
    }

    #[test]
    fn ci_runner_bookkeeping_reads_as_blank() {
        let log = "2024-05-01T10:00:00Z ##[group]Run ./deploy.sh --stage build\n\
                   2024-05-01T10:00:00Z   ./deploy.sh --stage build\n\
                   2024-05-01T10:00:00Z shell: /usr/bin/bash -e {0}\n\
                   2024-05-01T10:00:00Z ##[endgroup]\n\
                   2024-05-01T10:00:01Z Building widgets\n\
                   2024-05-01T10:00:02Z ##[error]Widget build failed\n\
                   [Pipeline] sh\n\
                   Started by user admin\n\
                   Running on agent-1 in /var/lib/ci/workspace/widgets\n\
                   2024-05-01T10:00:03.1234567Z Post job cleanup.\n\
                   [2024-05-01T10:00:04.123Z] Started by timer\n\
                   10:00:05  Running on agent-1 in /var/lib/ci/workspace/widgets\n\
                   Running on empty\n";
        let got = parse(log);
        let texts: Vec<&str> = got.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "",
                "",
                "",
                "",
                "Building widgets",
                "Widget build failed",
                "",
                "",
                "",
                "",
                "",
                "",
                "Running on empty"
            ]
        );
        assert_eq!(got[5].level, Some(Level::Error));
        // Other groups are the job's own output, and a header cut short
        // does not blank the rest of the log.
        let texts = |log: &str| parse(log).into_iter().map(|l| l.text).collect::<Vec<_>>();
        assert_eq!(
            texts("##[group]Widget list\nwidget-a\n##[endgroup]\n"),
            ["Widget list", "widget-a", ""]
        );
        let cut = format!(
            "##[group]Run ./deploy.sh\n{}Fatal error: widget store is gone\n",
            "  echo step\n".repeat(MAX_STEP_HEADER)
        );
        assert_eq!(
            texts(&cut).last().map(String::as_str),
            Some("Fatal error: widget store is gone")
        );
        // The runner's own lines as a container runtime stores them.
        let docker = "{\"log\":\"Building widgets\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:01Z\"}\n\
                      {\"log\":\"Cleaning up project directory and file based variables\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:02Z\"}\n";
        assert_eq!(texts(docker), ["Building widgets", ""]);
    }

    #[test]
    fn every_runner_chatter_line_reads_as_blank() {
        for start in RUNNER_CHATTER {
            let line = [start, &b" 42"[..]].concat();
            assert!(is_runner_bookkeeping(&line), "{}", line.escape_ascii());
            let stamped = [&b"10:00:00  "[..], &line].concat();
            assert!(
                is_runner_bookkeeping(&stamped),
                "{}",
                stamped.escape_ascii()
            );
        }
        assert!(!is_runner_bookkeeping(b"Starting the widget build"));
    }

    #[test]
    fn container_service_prefix_is_stripped() {
        let line = &parse("search_1  | ERROR: [1] bootstrap checks failed")[0];
        assert_eq!(line.text, "bootstrap checks failed");
        assert_eq!(line.code.as_deref(), Some("1"));
        // A table row is not a service prefix.
        assert_eq!(
            parse("backup.sql     | db |")[0].text,
            "backup.sql     | db |"
        );
    }

    #[test]
    fn json_escaped_log_is_split_into_lines() {
        let input =
            r#"{"log":"step one\nstep two \"quoted\" C:\\temp\n\u001b[31mERROR:\u001b[0m broke"}"#;
        // Lower-case after each `\n` is fine once `\"` shows it is JSON.
        let got = texts(input);
        assert_eq!(got, ["step one", r#"step two "quoted" C:\temp"#, "broke"]);
        let numbers: Vec<usize> = parse(input).iter().map(|l| l.number).collect();
        assert_eq!(numbers, [1, 1, 1]);
        // Without a JSON object around it, the text is split as it is.
        let bare = r"first\nSecond line\nThird line";
        assert_eq!(texts(bare), ["first", "Second line", "Third line"]);
    }

    #[test]
    fn large_json_escaped_log_keeps_all_its_lines() {
        let body: Vec<String> = (0..5000).map(|i| format!("Step {i} done")).collect();
        let input = format!(
            "{{\"log\":\"{}\\nPHP Fatal error: boom\"}}",
            body.join("\\n")
        );
        let got = texts(&input);
        assert_eq!(got.len(), 5001);
        assert_eq!(
            got.last().map(String::as_str),
            Some("PHP Fatal error: boom")
        );
    }

    #[test]
    fn windows_paths_are_not_mistaken_for_escapes() {
        let input = r"C:\www\node\app>php bin\run --config vendor\new\config.xml";
        assert_eq!(texts(input), [input]);
        assert!(split_escaped(r"one \n only").is_none());
    }

    /// A console box row: two spaces, the text, padding to `width`.
    fn row(text: &str, width: usize) -> String {
        format!("  {text:<w$}\n", w = width - 2)
    }

    #[test]
    fn padded_box_with_word_cut_at_the_width_is_one_line() {
        // Width 30: rows hold 26 characters; "authentic|ation" was cut.
        let input = [
            row("", 30),
            row("[Some\\TransportException]", 30),
            row("The URL required authentic", 30),
            row("ation (HTTP 401).", 30),
            row("", 30),
            "\ninstall [--dry-run]\n".to_string(),
        ]
        .concat();
        let got = parse(&input);
        let text: Vec<&str> = got
            .iter()
            .filter(|l| !l.is_blank())
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(
            text,
            [
                "[Some\\TransportException] The URL required authentication (HTTP 401).",
                "install [--dry-run]"
            ]
        );
        assert_eq!(got[0].number, 2);
    }

    #[test]
    fn cut_before_a_space_keeps_the_space() {
        let input = [
            // Width 31 holds 27 characters per row: row one is cut before a
            // space, row three just after one.
            "In Processor.php line 12:\n".to_string(),
            row("", 31),
            row("The command \"run --all\" was", 31),
            row(" not found. Warning: cannot", 31),
            row(" open stream: No such file ", 31),
            row("or directory", 31),
            row("", 31),
        ]
        .concat();
        assert_eq!(
            texts(&input),
            [
                "In Processor.php line 12:",
                "The command \"run --all\" was not found. Warning: cannot open stream: No such file or directory"
            ]
        );
    }

    #[test]
    fn box_that_lost_its_padding_uses_the_widest_row() {
        let input = concat!(
            "In SqlVersionProvider.php line 93:\n",
            "\n",
            "  Current version of the database is not supported. Used: 10.5-X. Su\n",
            "  pported versions: 10.2-10.4\n",
            "\n",
        );
        assert_eq!(
            texts(input),
            [
                "In SqlVersionProvider.php line 93:",
                "Current version of the database is not supported. Used: 10.5-X. Supported versions: 10.2-10.4"
            ]
        );
    }

    #[test]
    fn natural_lines_in_a_box_join_with_a_space() {
        let input = concat!(
            " [Db_Adapter_Exception]\n",
            "  Too many connections\n",
            " \n",
            "  [PDOException]\n",
            "  Too many connections\n",
            "  while connecting\n",
            "\n",
            "config:set path value\n",
        );
        assert_eq!(
            texts(input),
            [
                "[Db_Adapter_Exception] Too many connections",
                "[PDOException] Too many connections while connecting",
                "config:set path value"
            ]
        );
    }

    #[test]
    fn padding_rows_split_paragraphs_inside_one_box() {
        // No title or padding row before: the excerpt starts inside the box.
        let input = [
            row("Error: patch P-1 can't be applied", 40),
            row("Applying patch P-1 (/app/vendor/patc", 40),
            row("hes/P-1.patch) failed.", 40),
            row("", 40),
            row("Patch P-1 can't be applied cleanly", 40),
            row("", 40),
        ]
        .concat();
        assert_eq!(
            texts(&input),
            [
                "Error: patch P-1 can't be applied Applying patch P-1 (/app/vendor/patches/P-1.patch) failed.",
                "Patch P-1 can't be applied cleanly"
            ]
        );
    }

    #[test]
    fn ordinary_indented_output_is_not_a_box() {
        let input = concat!(
            "  - Installing a/b (1.0)\n",
            "    Downloading: 100%         \n",
            "  - Installing c/d (2.0)\n",
            "    at foo (bar.js:1)\n",
            "              \n",
            "    at baz (qux.js:2)\n",
        );
        assert_eq!(
            texts(input),
            [
                "- Installing a/b (1.0)",
                "Downloading: 100%",
                "- Installing c/d (2.0)",
                "at foo (bar.js:1)",
                "at baz (qux.js:2)"
            ]
        );
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
        assert!(got.iter().all(|l| l.text.len() <= MAX_TEXT_BYTES));
    }
}
