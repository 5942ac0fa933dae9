//! Which lines of a chunk could be more than ordinary: the *marked* lines
//! (see `log::stream`). The whole chunk is searched at once, for words and
//! byte classes, never line by line. Like any prefilter it may report false
//! positives (a marked line that turns out ordinary costs time only), but it
//! must never report a false negative.
//!
//! A line is left unmarked only if it provably reads as an ordinary line on
//! its own, whatever stands around it (given an idle normaliser, which the
//! driver checks). This module knows only what concerns lines as bytes:
//! - printable ASCII only: no colour codes, carriage returns, tabs or other
//!   control bytes, no invalid UTF-8, so that a line's bytes are its text
//!   (and the finder's gate, exact only on ASCII, agrees);
//! - a line longer than the text kept of it, the rest of an over-long line,
//!   and an unterminated last line are marked.
//!
//! The words come from the stages, each of which exports the [`Literal`]s
//! it reacts to, derived from its own patterns and tables:
//! - `classify::literals`: the finder's trigger words (two of them, `exist`
//!   and `invalid`, only in the forms the patterns use), stack-frame shapes,
//!   and success and retry words, which mark a line softly: it too is quiet
//!   when the finder has no use for those words;
//! - `prefix::literals`: the words that make a line error-level (level
//!   words, the platform `E:`, a message's own first words) and CI workflow
//!   commands (`##[`: a step header changes how the lines after it read);
//! - `normalise::literals`: JSON records and JSON-escaped newlines,
//!   visible colour codes, monolog's `[] []`, and what the box assembler
//!   acts on (padding, a title, a header).
//!
//! This module only combines them into one automaton (a word that must end
//! its line is searched with the line end after it, and looked for again
//! before a run of trailing spaces). The test
//! `no_line_a_stage_reacts_to_is_left_unmarked` runs every stage's own
//! examples through it.

use crate::lazy::lazy;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa, Anchored, MatchKind, PatternID};

use super::normalise::MAX_TEXT_BYTES;
use super::{classify, normalise, prefix};

/// Chunks searched per block of the byte-class check.
const BLOCK_BYTES: usize = 4096;

/// Why a line is marked.
pub(super) const HARD: u8 = 1;
pub(super) const SUCCESS_WORD: u8 = 2;
pub(super) const RETRY_WORD: u8 = 4;

/// A word a stage reacts to, searched ASCII case-insensitively, and where it
/// must stand for that.
#[derive(Clone, Copy)]
pub(crate) struct Literal {
    pub(crate) word: &'static str,
    pub(crate) when: When,
}

/// Where a [`Literal`] must stand for its stage to react to the line.
#[derive(Clone, Copy)]
pub(crate) enum When {
    /// Anywhere.
    Anywhere,
    /// Anywhere, as a success word: the line is marked softly.
    Success,
    /// Anywhere, as a retry word: the line is marked softly.
    Retry,
    /// Where the test holds of the match: a cheap look at the bytes around
    /// it that holds for every line the stage reacts to.
    If(Confirm),
    /// As the last word of the line, trailing spaces aside, where the test
    /// holds.
    AtEnd(Confirm),
}

/// The test of [`When::If`] and [`When::AtEnd`].
pub(crate) type Confirm = fn(&Found) -> bool;

/// A match of a [`Literal`] in a chunk, as its [`Confirm`] sees it.
pub(crate) struct Found<'a> {
    data: &'a [u8],
    start: usize,
    end: usize,
}

impl<'a> Found<'a> {
    /// The word as written.
    pub(crate) fn word(&self) -> &'a [u8] {
        &self.data[self.start..self.end]
    }

    /// The line before the word.
    pub(crate) fn before(&self) -> &'a [u8] {
        &self.data[line_start(self.data, self.start)..self.start]
    }

    /// The line after the word.
    pub(crate) fn after(&self) -> &'a [u8] {
        let rest = &self.data[self.end..];
        &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())]
    }

    /// The whole line.
    pub(crate) fn line(&self) -> &'a [u8] {
        let start = line_start(self.data, self.start);
        &self.data[start..self.end + self.after().len()]
    }
}

/// What a match of a searched pattern does to its line.
#[derive(Clone, Copy)]
enum Hit {
    /// The line is marked.
    Mark(u8),
    /// The line is marked hard if the test holds of the first `len` bytes
    /// of the match (the literal's word, without the line end after it).
    Check { confirm: Confirm, len: usize },
    /// Two spaces or more end the line: it is marked hard if a word of
    /// [`Searcher::at_end`] ends it but for them, and its test holds.
    Padded,
}

struct Searcher {
    /// Reports every word ending at each position (standard semantics,
    /// overlapping), so that lanes can be searched independently.
    dfa: dfa::DFA,
    /// The state every lane starts in.
    start: StateID,
    hits: Vec<Hit>,
    /// The words of [`When::AtEnd`] literals, with their tests: searched
    /// with the line end after them, or with one space and the line end,
    /// and looked for before any longer run of spaces at the end.
    at_end: Vec<(&'static str, Confirm)>,
}

/// Every literal of every stage.
fn literals() -> Vec<Literal> {
    let mut all = classify::literals();
    all.extend(prefix::literals());
    all.extend(normalise::literals());
    all
}

lazy! {
    static SEARCHER: Searcher = {
        let mut patterns: Vec<String> = vec!["  \n".into()];
        let mut hits = vec![Hit::Padded];
        let mut at_end = Vec::new();
        for Literal { word, when } in literals() {
            let mut add = |pattern: String, hit: Hit| {
                patterns.push(pattern);
                hits.push(hit);
            };
            match when {
                When::Anywhere => add(word.into(), Hit::Mark(HARD)),
                When::Success => add(word.into(), Hit::Mark(SUCCESS_WORD)),
                When::Retry => add(word.into(), Hit::Mark(RETRY_WORD)),
                When::If(confirm) => add(
                    word.into(),
                    Hit::Check {
                        confirm,
                        len: word.len(),
                    },
                ),
                When::AtEnd(confirm) => {
                    at_end.push((word, confirm));
                    for end in ["\n", " \n"] {
                        let hit = Hit::Check {
                            confirm,
                            len: word.len(),
                        };
                        add(format!("{word}{end}"), hit);
                    }
                }
            }
        }
        // A DFA: no prefilter helps with this many words (some of them, like
        // `e:` and `)\n`, are on every few lines), and it is the fastest
        // automaton to run over every byte.
        let dfa = dfa::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&patterns)
            .expect("log search words");
        let start = dfa
            .start_state(Anchored::No)
            .expect("the DFA is built for unanchored searches");
        Searcher {
            dfa,
            start,
            hits,
            at_end,
        }
    };
}

/// A marked line of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mark {
    /// Byte offset of the line in the chunk.
    pub(super) start: usize,
    /// 0-based line of the chunk.
    pub(super) index: usize,
    pub(super) flags: u8,
}

/// What the search found in a chunk.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Scanned {
    /// Lines in the chunk (an unterminated last line included).
    pub(super) lines: usize,
    pub(super) marks: Vec<Mark>,
}

/// Searches a chunk of whole lines (the last one may lack its `\n` at the end
/// of the input); `continues` says the first line is the rest of an
/// over-long line, read as its own piece.
pub(super) fn scan(data: &[u8], continues: bool) -> Scanned {
    let mut starts = search_words(data);
    starts.extend(odd_byte_lines(data).into_iter().map(|start| (start, HARD)));
    // Beyond MAX_TEXT_BYTES the text is cut, so its end is not the line's.
    starts.extend(long_lines(data).into_iter().map(|start| (start, HARD)));
    if continues && !data.is_empty() {
        starts.push((0, HARD));
    }
    // An unterminated last line was not searched for its end.
    let unterminated = data.last().is_some_and(|&b| b != b'\n');
    if unterminated {
        starts.push((line_start(data, data.len()), HARD));
    }
    starts.sort_unstable_by_key(|&(start, _)| start);
    // Lines are counted between marks, not walked one by one: most lines
    // are not marked, and counting line ends is vectorised.
    let count_lines = |from: usize, to: usize| memchr::memchr_iter(b'\n', &data[from..to]).count();
    let mut scanned = Scanned::default();
    let (mut counted_to, mut index) = (0, 0);
    for (start, flags) in starts {
        match scanned.marks.last_mut() {
            Some(last) if last.start == start => last.flags |= flags,
            _ => {
                index += count_lines(counted_to, start);
                counted_to = start;
                scanned.marks.push(Mark {
                    start,
                    index,
                    flags,
                });
            }
        }
    }
    scanned.lines = index + count_lines(counted_to, data.len()) + usize::from(unterminated);
    scanned
}

/// Starts of the lines longer than [`MAX_TEXT_BYTES`], in order. Such a
/// line holds a whole aligned block of half that size without a line end,
/// so only the blocks need a look (one `memchr` each, which finds a line
/// end within a few bytes in ordinary text).
fn long_lines(data: &[u8]) -> Vec<usize> {
    const BLOCK: usize = MAX_TEXT_BYTES / 2;
    let mut found = Vec::new();
    for (n, block) in data.chunks_exact(BLOCK).enumerate() {
        if memchr::memchr(b'\n', block).is_some() {
            continue;
        }
        let start = line_start(data, n * BLOCK);
        if found.last() == Some(&start) {
            continue;
        }
        let end = next_line(data, n * BLOCK);
        // `end` is past the line end, if there is one.
        let len = end - start - usize::from(data.get(end - 1) == Some(&b'\n'));
        if len > MAX_TEXT_BYTES {
            found.push(start);
        }
    }
    found
}

fn line_start(data: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &data[..at]).map_or(0, |i| i + 1)
}

fn next_line(data: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i + 1)
}

/// Lanes of a chunk searched side by side. One DFA search is bound by the
/// latency of its table look-ups, one after the other; several independent
/// searches interleaved keep the core busy (nearly twice the throughput here).
const LANES: usize = 6;

/// Ends and words of the matches in `data`, in order of their ends (all
/// matches: overlapping ones too).
// The loops index by position and by lane on purpose: one step reads one
// byte of every lane, which per-lane iterators cannot express.
#[allow(clippy::needless_range_loop)]
fn find_words(data: &[u8]) -> Vec<(usize, PatternID)> {
    let dfa = &SEARCHER.dfa;
    // Lanes start at line starts, where the search is in its start state
    // anyway: no word has a line end but as its last byte.
    let mut bounds = [data.len(); LANES + 1];
    bounds[0] = 0;
    for k in 1..LANES {
        bounds[k] = next_line(data, (data.len() * k / LANES).max(bounds[k - 1]));
    }
    let lanes: [&[u8]; LANES] = std::array::from_fn(|k| &data[bounds[k]..bounds[k + 1]]);
    let mut found: [Vec<(usize, PatternID)>; LANES] = Default::default();
    let mut state = [SEARCHER.start; LANES];
    let record = |found: &mut Vec<(usize, PatternID)>, sid, end| {
        for i in 0..dfa.match_len(sid) {
            found.push((end, dfa.match_pattern(sid, i)));
        }
    };
    let common = lanes.iter().map(|lane| lane.len()).min().unwrap_or(0);
    for i in 0..common {
        for k in 0..LANES {
            state[k] = dfa.next_state(Anchored::No, state[k], lanes[k][i]);
        }
        // Matches are rare: one test for all lanes (no short cut, so that
        // it compiles to straight-line code).
        if state
            .iter()
            .fold(false, |any, &sid| any | dfa.is_match(sid))
        {
            for k in 0..LANES {
                if dfa.is_match(state[k]) {
                    record(&mut found[k], state[k], bounds[k] + i + 1);
                }
            }
        }
    }
    for k in 0..LANES {
        for (i, &byte) in lanes[k].iter().enumerate().skip(common) {
            state[k] = dfa.next_state(Anchored::No, state[k], byte);
            if dfa.is_match(state[k]) {
                record(&mut found[k], state[k], bounds[k] + i + 1);
            }
        }
    }
    found.concat()
}

/// Starts of the lines with search words, in order, with their flags (a
/// line may appear more than once).
fn search_words(data: &[u8]) -> Vec<(usize, u8)> {
    let searcher = &*SEARCHER;
    let mut found: Vec<(usize, u8)> = Vec::new();
    // The end of the last line marked hard: nothing more to learn there.
    let mut hard_until = 0;
    for (e, pattern) in find_words(data) {
        let s = e - searcher.dfa.pattern_len(pattern);
        if s < hard_until {
            continue;
        }
        let flags = match searcher.hits[pattern.as_usize()] {
            Hit::Mark(flags) => flags,
            Hit::Check { confirm, len } => {
                let found = Found {
                    data,
                    start: s,
                    end: s + len,
                };
                if confirm(&found) {
                    HARD
                } else {
                    0
                }
            }
            Hit::Padded if ends_in_a_word(searcher, data, s) => HARD,
            Hit::Padded => 0,
        };
        if flags != 0 {
            let start = line_start(data, s);
            match found.last_mut() {
                Some(last) if last.0 == start => last.1 |= flags,
                _ => found.push((start, flags)),
            }
            if flags & HARD != 0 {
                hard_until = next_line(data, s);
            }
        }
    }
    found
}

/// Whether a word of [`Searcher::at_end`] ends the line whose padding
/// (two spaces and the line end) starts at `s`, but for the padding, and
/// its test holds.
fn ends_in_a_word(searcher: &Searcher, data: &[u8], s: usize) -> bool {
    let begin = line_start(data, s);
    let end = s - data[begin..s]
        .iter()
        .rev()
        .take_while(|&&b| b == b' ')
        .count();
    let text = &data[begin..end];
    searcher.at_end.iter().any(|&(word, confirm)| {
        let word = word.as_bytes();
        text.len() >= word.len()
            && text[text.len() - word.len()..].eq_ignore_ascii_case(word)
            && confirm(&Found {
                data,
                start: end - word.len(),
                end,
            })
    })
}

/// Starts of the lines with a byte outside printable ASCII (but `\n`), in
/// order. Checked a block at a time: the check vectorises, and most blocks
/// have none.
fn odd_byte_lines(data: &[u8]) -> Vec<usize> {
    // DEL (0x7f) is a control too: the normaliser drops it.
    let odd = |b: u8| !(0x20..0x7f).contains(&b) && b != b'\n';
    let mut found = Vec::new();
    for (n, block) in data.chunks(BLOCK_BYTES).enumerate() {
        if !block.iter().fold(false, |any, &b| any | odd(b)) {
            continue;
        }
        let base = n * BLOCK_BYTES;
        let mut i = 0;
        while i < block.len() {
            if odd(block[i]) {
                let start = line_start(data, base + i);
                if found.last() != Some(&start) {
                    found.push(start);
                }
                // The rest of the line needs no more looking at.
                i = next_line(data, base + i) - base;
            } else {
                i += 1;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::path::Path;

    use super::*;
    use crate::log::samples::delivered_formats;
    use normalise::{blankness, quiet_line, Blankness, Normaliser};

    fn marked(line: &str) -> u8 {
        let data = format!("{line}\nnext\n");
        scan(data.as_bytes(), false)
            .marks
            .iter()
            .find(|m| m.index == 0)
            .map_or(0, |m| m.flags)
    }

    #[test]
    fn search_marks_what_could_matter() {
        for line in [
            "Install failed",
            "E: Error building project",
            "remote: E: x",
            "  E: x",
            "[ERR] x",
            "main.CRIT: x",
            "FATAL: x",
            "PHP   3. foo() /a.php:1",
            "#0 /a.php(1): f()",
            "at foo (bar.js:12:3)",
            "  [Some\\TransportException]",
            "[Acme\\Thing]",
            "In Foo.php line 3:",
            "  row of a box  ",
            "W:   padded  ",
            "          ",
            "tab\there",
            "caf\u{e9}",
            "colour \u{1b}[31mred",
            "?[0;31mred",
            r#"{"log":"a\nb"}"#,
            "x [] []",
            "Invalid",
            "token is invalid.",
            "invalid-token",
            "Doesnt exist",
            "does n't exist",
            "Class a/b does not exist",
        ] {
            assert_eq!(marked(line) & HARD, HARD, "{line:?}");
        }
        for line in [
            "CODE: x",
            "php bin/magento setup:upgrade",
            "stderr output",
            "[Progress: 4 / 438]",
            "Now using node v16.1.0 (npm v7.2.0)",
            "     ",
            "table row  ",
            "     W: Package foo/bar is deprecated.",
            "Module 'Acme_Store':",
            // Longer words that hold a stricter trigger.
            "Module 'Acme_CacheInvalidate':",
            "INFO: Checking if db exists and has tables",
            "Checking existence of encryption key",
            "cache_invalid_x",
        ] {
            assert_eq!(marked(line), 0, "{line:?}");
        }
        assert_eq!(marked("Cache cleared successfully"), SUCCESS_WORD);
        assert_eq!(marked("Retrying"), RETRY_WORD);
        assert_eq!(marked("done, but failed") & HARD, HARD);
    }

    /// What `scan` found walking every line (before it counted lines
    /// between marks instead).
    fn scan_every_line(data: &[u8], continues: bool) -> Scanned {
        let words = search_words(data);
        let odd = odd_byte_lines(data);
        let unterminated = data.last().is_some_and(|&b| b != b'\n');
        let ends = memchr::memchr_iter(b'\n', data).chain(unterminated.then_some(data.len()));
        let mut start = 0;
        let mut scanned = Scanned::default();
        for (index, end) in ends.enumerate() {
            let mut flags = words
                .iter()
                .filter(|w| w.0 == start)
                .fold(0, |flags, w| flags | w.1);
            if odd.contains(&start)
                || end - start > MAX_TEXT_BYTES
                || end == data.len()
                || (index == 0 && continues)
            {
                flags |= HARD;
            }
            if flags != 0 {
                scanned.marks.push(Mark {
                    start,
                    index,
                    flags,
                });
            }
            start = end + 1;
            scanned.lines = index + 1;
        }
        scanned
    }

    #[test]
    fn scan_counts_and_marks_every_line() {
        let mut inputs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"x".to_vec(),
            b"a\nerror\n\nb".to_vec(),
            b"ok\nfailed\n".to_vec(),
        ];
        for len in [
            MAX_TEXT_BYTES - 1,
            MAX_TEXT_BYTES,
            MAX_TEXT_BYTES + 1,
            MAX_TEXT_BYTES * 3,
        ] {
            for lead in [0, 1, 100, MAX_TEXT_BYTES / 2 - 1] {
                let mut input = vec![b'a'; lead];
                input.push(b'\n');
                input.extend(std::iter::repeat_n(b'x', len));
                inputs.push(input.clone());
                input.extend(b"\nnext\n");
                inputs.push(input);
            }
        }
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        for entry in std::fs::read_dir(examples).into_iter().flatten().flatten() {
            inputs.push(std::fs::read(entry.path()).unwrap_or_default());
        }
        for data in &inputs {
            for continues in [false, true] {
                assert_eq!(
                    scan(data, continues),
                    scan_every_line(data, continues),
                    "{} bytes, continues {continues}",
                    data.len()
                );
            }
        }
    }

    /// The lanes find what one overlapping search of the whole input finds,
    /// whatever the input's length and line ends.
    #[test]
    fn lanes_find_every_word() {
        let overlapping = |data: &[u8]| {
            let mut state = aho_corasick::automaton::OverlappingState::start();
            let mut found = Vec::new();
            let input = aho_corasick::Input::new(data);
            while SEARCHER
                .dfa
                .try_find_overlapping(&input, &mut state)
                .is_ok()
            {
                let Some(m) = state.get_match() else { break };
                found.push((m.end(), m.pattern()));
            }
            found.sort();
            found
        };
        let mut inputs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"error".to_vec(),
            b"no line ends here, but an error and a fail\\n".to_vec(),
            b"a\nb\nERR\n\n\nfailed  \n x)\n".to_vec(),
        ];
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        for entry in std::fs::read_dir(example).into_iter().flatten().flatten() {
            inputs.push(std::fs::read(entry.path()).unwrap_or_default());
        }
        for data in &inputs {
            for cut in [0, 1, 7, data.len() / 2, data.len()] {
                let data = &data[..cut.min(data.len())];
                let mut got = find_words(data);
                got.sort();
                assert_eq!(got, overlapping(data), "{}", String::from_utf8_lossy(data));
            }
        }
    }

    /// The claim the fast path rests on: an unmarked line, normalised on
    /// its own, is one ordinary line that leaves no box open, and
    /// `blankness` is right about it.
    #[test]
    fn unmarked_lines_are_quiet() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut data = Vec::new();
        for dir in [root.join("examples"), root.join("../shared")] {
            for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
                if entry.file_type().is_file() {
                    data.extend(std::fs::read(entry.path()).unwrap_or_default());
                    data.push(b'\n');
                }
            }
        }
        let examples = root.join("examples");
        for entry in std::fs::read_dir(&examples).unwrap().flatten() {
            let log = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for (_, text) in delivered_formats(&log) {
                data.extend(text.as_bytes());
                data.push(b'\n');
            }
        }
        assert!(assert_unmarked_lines_are_quiet(&data) > 0);
    }

    /// What a stage reacts to, the prefilter marks: every line of every
    /// stage's own examples, alone and behind the prefixes CI runners and
    /// container runtimes put before a line, with and without trailing
    /// spaces, is marked or reads as an ordinary line on its own.
    #[test]
    fn no_line_a_stage_reacts_to_is_left_unmarked() {
        let examples = [classify::EXAMPLES, prefix::EXAMPLES, &normalise::examples()].concat();
        let outers = [
            "",
            "2024-05-01T10:00:03Z ",
            "[2024-05-01T10:00:03.123Z] ",
            "[2024-05-01 10:00:03]",
            "web_1  | ",
            "2024-05-01T10:00:03.123456789Z stderr F ",
            "remote: ",
            "     W: ",
        ];
        let mut data = Vec::new();
        for example in &examples {
            for outer in outers {
                for end in ["", " ", "   "] {
                    data.extend(format!("{outer}{example}{end}\n").as_bytes());
                }
            }
        }
        assert_unmarked_lines_are_quiet(&data);
    }

    /// Checks every unmarked line of `data` (whole lines): normalised on its
    /// own, it is one ordinary line that leaves the normaliser idle, and
    /// `blankness` is right about it. Returns how many lines it checked.
    fn assert_unmarked_lines_are_quiet(data: &[u8]) -> usize {
        let scanned = scan(data, false);
        let mut marks = scanned.marks.iter().peekable();
        let mut start = 0;
        let mut checked = 0;
        for (index, end) in memchr::memchr_iter(b'\n', data).enumerate() {
            let line = &data[start..end];
            start = end + 1;
            if marks.next_if(|m| m.index == index).is_some() {
                continue;
            }
            let mut normaliser = Normaliser::default();
            let mut out = VecDeque::new();
            normaliser.push(1, line, &mut out);
            let shown = String::from_utf8_lossy(line);
            assert!(normaliser.is_idle(), "{shown}");
            assert_eq!(out.len(), 1, "{shown}");
            let logical = &out[0];
            assert!(classify::reads_ordinary(logical), "{shown}");
            match blankness(line) {
                Blankness::Blank => assert!(logical.is_blank(), "{shown}"),
                Blankness::Text => assert!(!logical.is_blank(), "{shown}"),
                Blankness::Unsure => {}
            }
            assert_eq!(quiet_line(1, line).text, logical.text, "{shown}");
            checked += 1;
        }
        checked
    }
}
