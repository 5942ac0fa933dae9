//! The fast way through a log: search the buffer, not the lines.
//!
//! Almost every line of a long log is ordinary, and an ordinary line changes
//! nothing in the failure finder but a counter and the window of context
//! lines. So the input is read in large chunks cut at line ends, and each
//! chunk is searched as a whole (on worker threads) for the lines that could
//! be more than ordinary: the *marked* lines. Only those, and the lines
//! after a failure line while the finder still watches them, go through the
//! normaliser and the finder. The other lines are *quiet*: counted, and the
//! last few of a run kept raw for context (normalised only if a failure
//! shows them).
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
//! Behaviour is the same as normalising every line (the tests compare the
//! two on every log at hand).

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::path::Path;
use std::sync::{mpsc, LazyLock, Mutex};

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa, Anchored, MatchKind, PatternID};

use super::classify::{FAILURE_TRIGGERS, RETRY_TRIGGERS, SUCCESS_TRIGGERS};
use super::failure::FailureFinder;
use super::normalise::{
    blankness, quiet_line, Blankness, Normaliser, MAX_TEXT_BYTES, MIN_PAD_WIDTH,
};
use super::reader::{display_path, MAX_LINE_BYTES};
use super::{LogError, LogLine};

/// Bytes read at a time; a chunk is cut at the last line end within it.
const CHUNK_BYTES: usize = 1 << 20;
/// Lines of context the finder keeps before a failure (its window).
const CONTEXT_LINES: usize = 10;
/// Chunks searched per block of the byte-class check.
const BLOCK_BYTES: usize = 4096;

/// Why a line is marked.
const HARD: u8 = 1;
const SUCCESS_WORD: u8 = 2;
const RETRY_WORD: u8 = 4;

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
struct Mark {
    /// Byte offset of the line in the chunk.
    start: usize,
    /// 0-based line of the chunk.
    index: usize,
    flags: u8,
}

/// What the search found in a chunk.
#[derive(Debug, Default, PartialEq, Eq)]
struct Scanned {
    /// Lines in the chunk (an unterminated last line included).
    lines: usize,
    marks: Vec<Mark>,
}

/// Searches a chunk of whole lines (the last one may lack its `\n` at the end
/// of the input); `continues` says the first line is the rest of an
/// over-long line, read as its own piece.
fn scan(data: &[u8], continues: bool) -> Scanned {
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

// ---------------------------------------------------------------------------
// Reading chunks

/// One chunk of input: whole lines, or one piece of an over-long line.
struct Chunk {
    data: Vec<u8>,
    /// A piece of [`MAX_LINE_BYTES`] of a line that goes on.
    piece: bool,
    /// The first line goes on from the previous chunk's piece (same number).
    continues: bool,
}

/// Cuts a reader into chunks of whole lines. A line longer than
/// [`MAX_LINE_BYTES`] is handed on in pieces of that size, as
/// [`super::reader::PhysicalLines`] does, so memory stays bounded.
struct ChunkReader<R> {
    reader: R,
    /// The start of a line read past the end of the last chunk.
    carry: Vec<u8>,
    target: usize,
    eof: bool,
    /// The last chunk was a piece: the next one continues its line.
    in_piece: bool,
}

impl<R: BufRead> ChunkReader<R> {
    fn new(reader: R, target: usize) -> Self {
        ChunkReader {
            reader,
            carry: Vec::new(),
            target: target.clamp(1, MAX_LINE_BYTES),
            eof: false,
            in_piece: false,
        }
    }

    /// Reads into `data` until it holds `upto` bytes or the input ends.
    fn fill(&mut self, data: &mut Vec<u8>, upto: usize) -> io::Result<()> {
        if self.eof || data.len() >= upto {
            return Ok(());
        }
        let want = upto - data.len();
        let got = (&mut self.reader).take(want as u64).read_to_end(data)?;
        if got < want {
            self.eof = true;
        }
        Ok(())
    }

    /// The next chunk, in `data` (cleared first), or `None` at the end.
    fn next(&mut self, mut data: Vec<u8>) -> io::Result<Option<Chunk>> {
        data.clear();
        data.append(&mut self.carry);
        self.fill(&mut data, self.target)?;
        // Some line must end within the chunk, unless the line is too long
        // for one: then its first MAX_LINE_BYTES are a piece.
        let limit = MAX_LINE_BYTES + 1;
        let mut searched = 0;
        while memchr::memchr(b'\n', &data[searched..]).is_none() && !self.eof && data.len() < limit
        {
            searched = data.len();
            let upto = limit.min(data.len() + self.target);
            self.fill(&mut data, upto)?;
        }
        if data.is_empty() {
            return Ok(None);
        }
        let continues = self.in_piece;
        let cut = match memchr::memrchr(b'\n', &data) {
            Some(i) => Some(i + 1),
            None if data.len() <= MAX_LINE_BYTES => None,
            None => Some(MAX_LINE_BYTES),
        };
        let mut piece = false;
        if let Some(cut) = cut {
            self.carry.extend_from_slice(&data[cut..]);
            data.truncate(cut);
            piece = data.last() != Some(&b'\n');
        }
        self.in_piece = piece;
        Ok(Some(Chunk {
            data,
            piece,
            continues,
        }))
    }
}

// ---------------------------------------------------------------------------
// Driving the normaliser and the finder

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
        while self.tail.len() < CONTEXT_LINES && number >= first {
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

/// A chunk to search, and where to send it back with what was found.
type Job = (Chunk, mpsc::SyncSender<(Chunk, Scanned)>);

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
        line: driver.number + usize::from(!chunks.in_piece),
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
    let decode = move |chunk: &mut Chunk, spare: &mut Vec<u8>| {
        if records && !chunk.piece {
            super::record::decode_chunk_into(&chunk.data, chunk.continues, spare);
            std::mem::swap(&mut chunk.data, spare);
        }
    };
    if chunks.eof && chunks.carry.is_empty() {
        // The whole input in one chunk: no threads for a small log.
        decode(&mut first, &mut Vec::new());
        let scanned = scan(&first.data, first.continues);
        driver.chunk(&first, &scanned);
        driver.finish();
        return Ok(driver.last);
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    let in_flight = workers + 2;
    let (work, queue) = mpsc::sync_channel::<Job>(in_flight);
    let queue = Mutex::new(queue);
    let outcome: io::Result<()> = std::thread::scope(|scope| {
        for _ in 0..workers {
            let queue = &queue;
            let decode = &decode;
            scope.spawn(move || {
                let mut spare = Vec::new();
                loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    let Ok((mut chunk, reply)) = job else {
                        return;
                    };
                    decode(&mut chunk, &mut spare);
                    let scanned = if chunk.piece {
                        Scanned::default()
                    } else {
                        scan(&chunk.data, chunk.continues)
                    };
                    if reply.send((chunk, scanned)).is_err() {
                        return;
                    }
                }
            });
        }
        let mut pending = VecDeque::new();
        let mut spare = Vec::new();
        let mut next = Some(first);
        let mut failed = None;
        loop {
            while pending.len() < in_flight {
                let Some(chunk) = next.take() else {
                    break;
                };
                let (reply, answer) = mpsc::sync_channel(1);
                if work.send((chunk, reply)).is_err() {
                    break;
                }
                pending.push_back(answer);
                if failed.is_none() {
                    match chunks.next(spare.pop().unwrap_or_default()) {
                        Ok(chunk) => next = chunk,
                        Err(e) => failed = Some(e),
                    }
                }
            }
            let Some(answer) = pending.pop_front() else {
                break;
            };
            // A worker that panicked drops its reply; the scope's join then
            // reports the panic.
            let Ok((chunk, scanned)) = answer.recv() else {
                break;
            };
            driver.chunk(&chunk, &scanned);
            spare.push(chunk.data);
        }
        drop(work);
        failed.map_or(Ok(()), Err)
    });
    if let Err(e) = outcome {
        return Err(read_error(&driver, &chunks, e));
    }
    driver.finish();
    Ok(driver.last)
}

#[cfg(test)]
mod tests {
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

    fn chunks(input: &[u8], target: usize) -> Vec<(Vec<u8>, bool, bool)> {
        let mut reader = ChunkReader::new(input, target);
        let mut out = Vec::new();
        while let Some(chunk) = reader.next(Vec::new()).unwrap() {
            out.push((chunk.data, chunk.piece, chunk.continues));
        }
        out
    }

    fn marked(line: &str) -> u8 {
        let data = format!("{line}\nnext\n");
        scan(data.as_bytes(), false)
            .marks
            .iter()
            .find(|m| m.index == 0)
            .map_or(0, |m| m.flags)
    }

    #[test]
    fn chunks_end_at_line_ends() {
        let input = b"aaa\nbbbb\n\ncc\r\ndd";
        for target in 1..=input.len() + 1 {
            let got = chunks(input, target);
            assert_eq!(got.concat_data(), input, "target {target}");
            let (last, rest) = got.split_last().unwrap();
            assert!(rest.iter().all(|c| c.0.ends_with(b"\n") && !c.1 && !c.2));
            // No trailing newline: the last line ends the last chunk.
            assert!(last.0.ends_with(b"dd") && !last.1);
        }
    }

    trait ConcatData {
        fn concat_data(&self) -> Vec<u8>;
    }
    impl ConcatData for Vec<(Vec<u8>, bool, bool)> {
        fn concat_data(&self) -> Vec<u8> {
            self.iter().flat_map(|c| c.0.clone()).collect()
        }
    }

    #[test]
    fn over_long_line_is_read_in_pieces() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        input.extend(b"\nlast\n");
        let got = chunks(&input, 4096);
        assert_eq!(got.concat_data(), input);
        let pieces: Vec<(usize, bool, bool)> = got.iter().map(|c| (c.0.len(), c.1, c.2)).collect();
        assert!(
            pieces.contains(&(MAX_LINE_BYTES, true, false)),
            "{pieces:?}"
        );
        assert!(pieces.contains(&(16, false, true)), "{pieces:?}");
        assert_same(&input, "over-long line");
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

    /// The example logs as container runtimes and CI runners store them.
    fn delivered_formats(log: &str) -> Vec<(&'static str, String)> {
        let each = |f: &dyn Fn(&str) -> String| log.lines().map(f).collect::<Vec<_>>().join("\n");
        vec![
            (
                "cri",
                each(&|l| format!("2024-05-01T10:00:03.123456789Z stderr F {l}")),
            ),
            (
                "docker json-file",
                each(&|l| {
                    serde_json::json!({"log": format!("{l}\n"), "stream": "stderr"}).to_string()
                }),
            ),
            (
                "ci sections",
                format!(
                    "section_start:1714557600:script\r\x1b[0KRunning the job\n{log}\n\
                     section_end:1714557601:script\r\x1b[0K\n"
                ),
            ),
            (
                "ci step with workflow commands",
                format!(
                    "2024-05-01T10:00:00Z ##[group]Run ./deploy.sh\n\
                     2024-05-01T10:00:00Z   ./deploy.sh\n\
                     2024-05-01T10:00:00Z ##[endgroup]\n{}\n\
                     2024-05-01T10:00:02Z ##[error]Process completed with exit code 1.\n",
                    each(&|l| format!("2024-05-01T10:00:01Z {l}"))
                ),
            ),
            (
                "pipeline",
                format!(
                    "Started by user admin\nRunning on agent-1 in /var/lib/ci/workspace/deploy\n\
                     [Pipeline] sh\n+ ./deploy.sh\n{log}\n[Pipeline] }}\n\
                     ERROR: script returned exit code 1\nFinished: FAILURE\n"
                ),
            ),
            (
                "timestamped pipeline",
                format!(
                    "[2024-05-01T10:00:00.123Z] Started by user admin\n\
                     10:00:01  Running on agent-1 in /var/lib/ci/workspace/deploy\n{}\n\
                     10:00:02  Finished: FAILURE\n",
                    each(&|l| format!("10:00:01  {l}"))
                ),
            ),
        ]
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
