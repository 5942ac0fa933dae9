//! Which lines of a chunk could be more than ordinary: the *marked* lines
//! (see `log::stream`). The whole chunk is searched at once, for words
//! and byte classes, never line by line. Like any prefilter it may mark a
//! line that turns out ordinary (that costs time only), but it must never
//! leave unmarked a line that is not.
//!
//! A line is left unmarked only if it provably reads as an ordinary line on
//! its own, whatever stands around it (given an idle box assembler, which
//! the driver checks):
//! - printable ASCII only: no colour codes, carriage returns, tabs or other
//!   control bytes, no invalid UTF-8 (and the finder's gate is exact only on
//!   ASCII);
//! - none of the finder's trigger words (the classifying patterns cannot
//!   match; two of them, `exist` and `invalid`, only in the forms the
//!   patterns use), nor a level word that makes an error-level line (`err`,
//!   `crit`, `alert`, `emerg`, `fatal`, `severe`), nor a platform `E:`
//!   prefix;
//! - nothing a stack frame starts or ends with (`#0`, `PHP  1.`, `Stack
//!   trace`, `...:12)` at the end);
//! - no JSON-escaped newline (`\n`), no visible colour code (`?[`), no
//!   monolog `[] []` at the end, no CI workflow command (`##[`: a step
//!   header changes how the lines after it read);
//! - nothing the box assembler acts on: a padded end (two spaces), a title
//!   (`[Some\Exception]`) or a header (`In X.php line 3:`, a trigger).
//!
//! Lines whose only trigger words are success or retry words are marked
//! softly: they too are quiet when the finder has no use for those words.

use std::sync::LazyLock;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa, Anchored, MatchKind, PatternID};

use super::classify::{FAILURE_TRIGGERS, RETRY_TRIGGERS, SUCCESS_TRIGGERS};
use super::normalise::{MAX_TEXT_BYTES, MIN_PAD_WIDTH};

/// Chunks searched per block of the byte-class check.
const BLOCK_BYTES: usize = 4096;

/// Why a line is marked.
pub(super) const HARD: u8 = 1;
pub(super) const SUCCESS_WORD: u8 = 2;
pub(super) const RETRY_WORD: u8 = 4;

#[derive(Clone, Copy)]
enum Hit {
    /// The line is marked.
    Mark(u8),
    /// `e:`: a platform `E:` prefix if it is the line's first word.
    Platform,
    /// `php `: a PHP stack frame if `PHP` and a frame number follow.
    PhpFrame,
    /// `]` at the end: a box title if the bracket holds one word.
    Title,
    /// `)` at the end: a stack frame if `:` and a line number precede.
    FrameEnd,
    /// Two spaces at the end: a box row if the text is indented, or box
    /// padding if the line is blank and wide.
    Padded,
    /// A level word (`err`, `crit`, ...): an error level if it stands in
    /// brackets or before a colon.
    Level,
    /// A trigger word only ever matched as a whole word: a failure word
    /// unless a word character follows.
    WordEnd,
}

/// Trigger words searched in a stricter form, because successful logs are
/// full of longer words that hold them (`CacheInvalidate`, `exists`,
/// `existence`): the only pattern with `exist` is `does ?n[o']t exist`,
/// and the only one with `invalid` is `\binvalid\b`. A quiet line's text is
/// a piece of its bytes that ends at the line's end or before a space, so a
/// word character after `invalid` in the bytes follows it in the text too.
/// (`stricter_triggers_are_triggers` keeps this list in step.)
const STRICTER: [(&str, &str, Hit); 2] = [
    ("exist", "t exist", Hit::Mark(HARD)),
    ("invalid", "invalid", Hit::WordEnd),
];

struct Searcher {
    /// Reports every word ending at each position (standard semantics,
    /// overlapping), so that lanes can be searched independently.
    dfa: dfa::DFA,
    /// The state every lane starts in.
    start: StateID,
    hits: Vec<Hit>,
}

static SEARCHER: LazyLock<Searcher> = LazyLock::new(|| {
    let extra_hard = [
        "stack trace",
        "##[",
        "?[",
        "\\n",
        "[] []",
        "#0",
        "#1",
        "#2",
        "#3",
        "#4",
        "#5",
        "#6",
        "#7",
        "#8",
        "#9",
    ];
    let checks = [
        ("err", Hit::Level),
        ("crit", Hit::Level),
        ("alert", Hit::Level),
        ("emerg", Hit::Level),
        ("fatal", Hit::Level),
        ("severe", Hit::Level),
        ("  \n", Hit::Padded),
        ("e:", Hit::Platform),
        ("php ", Hit::PhpFrame),
        ("]\n", Hit::Title),
        ("] \n", Hit::Title),
        (")\n", Hit::FrameEnd),
        (") \n", Hit::FrameEnd),
    ];
    let mut patterns: Vec<&str> = Vec::new();
    let mut hits = Vec::new();
    let mut add = |words: &[&'static str], hit: Hit| {
        patterns.extend_from_slice(words);
        hits.extend(std::iter::repeat_n(hit, words.len()));
    };
    let loose = |word: &&str| STRICTER.iter().all(|(trigger, ..)| trigger != word);
    let failure_words: Vec<&'static str> = FAILURE_TRIGGERS.iter().copied().filter(loose).collect();
    add(&failure_words, Hit::Mark(HARD));
    for (_, word, hit) in STRICTER {
        add(&[word], hit);
    }
    add(&extra_hard, Hit::Mark(HARD));
    add(SUCCESS_TRIGGERS, Hit::Mark(SUCCESS_WORD));
    add(RETRY_TRIGGERS, Hit::Mark(RETRY_WORD));
    for (word, hit) in checks {
        add(&[word], hit);
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
    Searcher { dfa, start, hits }
});

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
            check if confirms(check, data, s, e) => HARD,
            _ => 0,
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

/// Whether the match of a check word at `data[s..e]` makes its line hard.
fn confirms(hit: Hit, data: &[u8], s: usize, e: usize) -> bool {
    // Length of the run of `pred` bytes just before `s`.
    let run_before = |pred: fn(&u8) -> bool| data[..s].iter().rev().take_while(|b| pred(b)).count();
    match hit {
        Hit::Mark(_) => true,
        Hit::Platform => {
            let before = &data[line_start(data, s)..s];
            let before = before.strip_prefix(b"remote:").unwrap_or(before);
            before.iter().all(u8::is_ascii_whitespace) && &data[s..e] == b"E:"
        }
        Hit::PhpFrame => {
            let digits = data[e..].iter().find(|&&b| b != b' ');
            &data[s..s + 3] == b"PHP" && digits.is_some_and(u8::is_ascii_digit)
        }
        Hit::Title => {
            let inner = run_before(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'\\'));
            s > inner && data[s - inner - 1] == b'['
        }
        Hit::FrameEnd => {
            let digits = run_before(u8::is_ascii_digit);
            digits > 0 && s > digits && data[s - digits - 1] == b':'
        }
        Hit::Padded => {
            let line = &data[line_start(data, s)..s + 2];
            if line.iter().all(|&b| b == b' ') {
                line.len() >= MIN_PAD_WIDTH
            } else {
                // Indented once the prefixes are gone: by the line itself,
                // or by a space too many after `W:` or `|`.
                line[0] == b' '
                    || [&b"W:  "[..], b"E:  ", b"|  "]
                        .iter()
                        .any(|p| memchr::memmem::find(line, p).is_some())
            }
        }
        Hit::Level => {
            let bracketed = s > 0 && data[s - 1] == b'[';
            let word_end = e + data[e..]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .count();
            let after = data[word_end..].iter().find(|&&b| b != b' ');
            bracketed || matches!(after, Some(b':' | b']'))
        }
        Hit::WordEnd => !data
            .get(e)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_'),
    }
}

/// Starts of the lines with a byte outside printable ASCII (but `\n`), in
/// order. Checked a block at a time: the check vectorises, and most blocks
/// have none.
fn odd_byte_lines(data: &[u8]) -> Vec<usize> {
    let odd = |b: u8| !(0x20..0x80).contains(&b) && b != b'\n';
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

    use super::super::normalise::{blankness, quiet_line, Blankness, Normaliser};
    use super::super::samples::delivered_formats;
    use super::*;

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

    #[test]
    fn stricter_triggers_are_triggers() {
        for (trigger, word, _) in STRICTER {
            assert!(FAILURE_TRIGGERS.contains(&trigger), "{trigger}");
            assert!(word.contains(trigger), "{word}");
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
        let scanned = scan(&data, false);
        let mut marks = scanned.marks.iter().peekable();
        let mut start = 0;
        let mut checked = 0;
        for (index, end) in memchr::memchr_iter(b'\n', &data).enumerate() {
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
            assert!(super::super::classify::reads_ordinary(logical), "{shown}");
            match blankness(line) {
                Blankness::Blank => assert!(logical.is_blank(), "{shown}"),
                Blankness::Text => assert!(!logical.is_blank(), "{shown}"),
                Blankness::Unsure => {}
            }
            assert_eq!(quiet_line(1, line).text, logical.text, "{shown}");
            checked += 1;
        }
        assert!(checked > 0);
    }
}
