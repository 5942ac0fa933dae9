//! Finding the failure in a stream of logical lines.
//!
//! Every line is classified once (`log::classify`: cheap literal-prefiltered
//! patterns), then a small state machine keeps only: a ring buffer of the
//! lines before the current failure, the current failure cluster (its region
//! and its error lines, both capped), and possibly the strong cluster a
//! newer, weaker one is hiding until that one is confirmed. Memory is bounded
//! by those caps.
//!
//! Judgement, in short:
//! - strong signals (error-level lines, exceptions, fatal errors, failed
//!   commands, non-zero exits, dependency-resolution problems, stack traces)
//!   make a failure wherever they are, unless the run retried and then
//!   reported success;
//! - weak signals (`failed`, `cannot`, `not found`, ...) only count when the
//!   log ends within a few lines after them: a run that carried on (or
//!   reported success) was not stopped by them;
//! - warnings never make a failure on their own, nor do zero counts
//!   (`0 errors`), nor info/notice/debug lines;
//! - the last cluster wins: a later failure outweighs an earlier one;
//! - where no failure is recognised, an input of a few lines with no
//!   success in it is the failure (a person pasted it because it failed),
//!   and the last lines of a longer one that does not end in success are
//!   kept as its tail, to be compared with the articles but never to
//!   diagnose from.

use std::collections::VecDeque;

use serde::Serialize;

use super::classify::{
    classify, is_advice, is_bare_exit, is_command_echo, is_first_frame, is_retry, may_match,
    opens_detail, Signal,
};
use super::normalise::quiet_line;
use super::{Level, LogLine};

/// Lines of context kept before the first line of the failure cluster: the
/// window of last lines the stream's driver keeps of a quiet run too.
pub(super) const CONTEXT_BEFORE: usize = 10;
/// Lines of context kept after the last failure line; a failure line within
/// this many lines of the previous one extends the same cluster.
const CONTEXT_AFTER: usize = 10;
/// A weak signal followed by more than this many lines was survived.
const WEAK_TAIL: usize = 3;
/// Lines after a header such as `Errors during compilation:` or `Problem 1`
/// that are taken as the failure's details.
const MAX_DETAIL: usize = 20;
/// Caps on what a failure holds; the latest lines are kept.
const MAX_REGION: usize = 300;
const MAX_ERROR_LINES: usize = 200;
/// An input of at most this many non-blank lines with no failure
/// recognised and no success in it is the failure itself. Every line of it
/// is in the context window.
const PASTE_LINES: usize = CONTEXT_BEFORE;

/// How the failure was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// Failure lines recognised in the log.
    Recognised,
    /// A short input with none recognised: the input is the failure.
    Pasted,
    /// A longer input with none recognised and no success at its end: its
    /// last lines, which may be near the failure or may not.
    Tail,
}

/// The failure found in a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The failure region, in order: context before, the failure cluster,
    /// context after. Blank lines are left out. At most 300 lines (latest).
    pub lines: Vec<LogLine>,
    /// The lines judged as the failure itself (error-level lines, exceptions,
    /// fatal errors, failed commands and their detail lines), in order. At
    /// most 200 (latest). Never empty.
    pub error_lines: Vec<LogLine>,
    /// Number of the last input line seen (the log's length in lines).
    pub total_lines: usize,
    pub kind: FailureKind,
}

/// Streams logical lines in and decides whether, and where, the run failed.
#[derive(Debug, Default)]
pub struct FailureFinder {
    /// The last non-blank lines, each with whether it read like a tolerated
    /// problem (`..., skipping`): if a failure follows right after, they
    /// were part of it.
    recent: VecDeque<(Held, bool)>,
    current: Option<Cluster>,
    /// A strong cluster hidden by a newer weak one that may yet be dismissed.
    shadowed: Option<Cluster>,
    detail_left: usize,
    non_blank: usize,
    last_number: usize,
}

/// A line kept for context. Most lines of a long log only pass through the
/// context window, so a quiet line (one the log stage proved ordinary from
/// its bytes, see `log::prefilter`) is kept raw and normalised only if it ends
/// up in a failure.
#[derive(Debug, Clone)]
enum Held {
    Line(LogLine),
    /// A quiet line known not to be blank.
    Raw {
        number: usize,
        bytes: Vec<u8>,
    },
}

impl Held {
    fn into_line(self) -> LogLine {
        match self {
            Held::Line(line) => line,
            Held::Raw { number, bytes } => quiet_line(number, &bytes),
        }
    }
}

#[derive(Debug)]
struct Cluster {
    region: VecDeque<Held>,
    errors: VecDeque<LogLine>,
    strong: bool,
    /// Non-blank lines since the last failure line.
    since_failure: usize,
    success_after: bool,
    retrying: bool,
    /// The cluster's first failure line, the error line of last resort when
    /// the cluster holds only trace lines (`Stack trace:`, `at ...`).
    first: Option<LogLine>,
}

impl Cluster {
    /// A cluster whose context is `before`; the tolerated problems among its
    /// last few lines become error lines.
    fn start(before: Vec<(Held, bool)>) -> Self {
        let adjacent = before.len().saturating_sub(WEAK_TAIL);
        let errors = before
            .iter()
            .skip(adjacent)
            .filter_map(|(held, tolerated)| match held {
                Held::Line(line) if *tolerated => Some(line.clone()),
                _ => None,
            })
            .collect();
        Cluster {
            region: before.into_iter().map(|(line, _)| line).collect(),
            errors,
            strong: false,
            since_failure: 0,
            success_after: false,
            retrying: false,
            first: None,
        }
    }

    fn add_failure(&mut self, line: &LogLine, signal: Signal) {
        if self.first.is_none() {
            self.first = Some(line.clone());
        }
        push_capped(&mut self.region, Held::Line(line.clone()), MAX_REGION);
        if signal != Signal::Trace || is_first_frame(&line.text) {
            push_capped(&mut self.errors, line.clone(), MAX_ERROR_LINES);
        }
        if matches!(signal, Signal::Strong | Signal::Trace) {
            self.strong = true;
        }
        if is_retry(&line.text) {
            self.retrying = true;
        }
        self.since_failure = 0;
        self.success_after = false;
    }

    /// Whether the run survived this cluster: a weak one followed by more
    /// output or by success, a strong one retried and then successful.
    fn survived(&self) -> bool {
        if self.strong {
            self.success_after && self.retrying
        } else {
            self.success_after || self.since_failure > WEAK_TAIL
        }
    }

    fn into_failure(self, total_lines: usize) -> Failure {
        let mut error_lines: Vec<LogLine> = self.errors.into();
        if error_lines.is_empty() {
            error_lines.extend(self.first);
        }
        Failure {
            lines: self.region.into_iter().map(Held::into_line).collect(),
            error_lines,
            total_lines,
            kind: FailureKind::Recognised,
        }
    }
}

fn push_capped<T>(queue: &mut VecDeque<T>, item: T, cap: usize) {
    if queue.len() == cap {
        queue.pop_front();
    }
    queue.push_back(item);
}

/// Like [`push_capped`] for the context window, which is full most of the
/// time: the line dropped off the front lends its buffers to the new one,
/// so that ordinary lines cost no allocation.
fn remember(window: &mut VecDeque<(Held, bool)>, line: &LogLine, tolerated: bool) {
    let held = match evict(window) {
        Some(Held::Line(mut slot)) => {
            slot.number = line.number;
            slot.text.clone_from(&line.text);
            slot.level = line.level;
            slot.code.clone_from(&line.code);
            Held::Line(slot)
        }
        _ => Held::Line(line.clone()),
    };
    window.push_back((held, tolerated));
}

/// [`remember`] for a quiet line's raw bytes.
fn remember_raw(window: &mut VecDeque<(Held, bool)>, number: usize, raw: &[u8]) {
    let held = match evict(window) {
        Some(Held::Raw { mut bytes, .. }) => {
            bytes.clear();
            bytes.extend_from_slice(raw);
            Held::Raw { number, bytes }
        }
        _ => Held::Raw {
            number,
            bytes: raw.to_vec(),
        },
    };
    window.push_back((held, false));
}

fn evict(window: &mut VecDeque<(Held, bool)>) -> Option<Held> {
    if window.len() < CONTEXT_BEFORE {
        return None;
    }
    window.pop_front().map(|(held, _)| held)
}

impl FailureFinder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, line: &LogLine) {
        self.last_number = self.last_number.max(line.number);
        if line.is_blank() {
            if self.detail_left < MAX_DETAIL {
                self.detail_left = 0;
            }
            return;
        }
        self.non_blank += 1;
        let may_match = may_match(&line.text);
        let mut signal = classify(line, may_match);
        // A line with a level of its own is the log's next record, not more
        // of the message under the header (`... failed: In X.php line 170:`,
        // its indented message, then `NOTICE: Maintenance mode is enabled.`).
        if self.detail_left > 0 && line.level.is_some_and(|level| level < Level::Warning) {
            self.detail_left = 0;
        }
        if self.detail_left > 0 {
            if matches!(signal, Signal::Ordinary | Signal::Weak | Signal::Tolerated) {
                signal = Signal::Detail;
                self.detail_left -= 1;
            } else if signal != Signal::Trace {
                self.detail_left = 0;
            }
        }
        match signal {
            Signal::Ordinary | Signal::Success | Signal::Tolerated => {
                self.ordinary(line, signal, may_match)
            }
            Signal::Strong | Signal::Trace | Signal::Weak | Signal::Detail => {
                let bare_exit = matches!(signal, Signal::Strong | Signal::Weak)
                    && may_match
                    && is_bare_exit(line.text.trim());
                if bare_exit && self.confirms_current() {
                    return;
                }
                let fresh = self.failure(line, signal);
                if bare_exit && fresh {
                    self.last_words_are_the_error();
                }
                if opens_detail(&line.text) {
                    // A weak header gets a few detail lines only, so that it
                    // cannot keep itself alive through a long listing.
                    match signal {
                        Signal::Strong => self.detail_left = MAX_DETAIL,
                        Signal::Weak => self.detail_left = WEAK_TAIL,
                        _ => {}
                    }
                }
            }
        }
    }

    /// Adds a failure line; whether it started a new cluster.
    fn failure(&mut self, line: &LogLine, signal: Signal) -> bool {
        let joins = self
            .current
            .as_ref()
            .is_some_and(|c| c.since_failure <= CONTEXT_AFTER && !c.success_after);
        if !joins {
            let before = self.recent.drain(..).collect();
            let fresh = Cluster::start(before);
            let previous = self.current.replace(fresh);
            self.shadowed = match previous {
                Some(old) if signal == Signal::Weak && old.strong && !old.survived() => Some(old),
                _ => None,
            };
        }
        let cluster = self.current.as_mut().expect("cluster just ensured");
        cluster.add_failure(line, signal);
        if cluster.strong {
            self.shadowed = None;
        }
        !joins
    }

    /// A process ended badly with no failure line before it: its last few
    /// lines, when they read like a refusal (`... supports 7.0.2 or later.
    /// Please read ...`), are the error, as they would be if the log ended
    /// there.
    fn last_words_are_the_error(&mut self) {
        let Some(cluster) = self.current.as_mut() else {
            return;
        };
        let exit = cluster.errors.pop_back();
        let context = cluster.region.len().saturating_sub(1);
        let mut last_words: Vec<LogLine> = cluster
            .region
            .iter()
            .take(context)
            .rev()
            .take(WEAK_TAIL)
            .map(|held| held.clone().into_line())
            // The process's words come after the command that started it.
            .take_while(|line| !is_command_echo(&line.text))
            .collect();
        // A refusal is often one message wrapped over a few lines.
        if !last_words.iter().any(|line| is_advice(&line.text)) {
            last_words.clear();
        }
        // Found, they are the error; the exit status only says it mattered
        // and stays out of the region too, like a confirmation.
        if last_words.is_empty() {
            cluster.errors.extend(exit);
        } else {
            cluster.region.pop_back();
        }
        cluster.errors.extend(last_words.into_iter().rev());
    }

    /// A line that only says a process ended badly (`Process completed
    /// with exit code 1`, what a CI runner or shell writes after the tool's
    /// own error) confirms the failure still open; it is not a failure of its
    /// own, which as the later one would outweigh the error that caused it.
    /// Whether there was such a failure to confirm.
    fn confirms_current(&mut self) -> bool {
        let Some(cluster) = self.current.as_mut() else {
            return false;
        };
        if cluster.success_after || cluster.errors.is_empty() {
            return false;
        }
        cluster.strong = true;
        self.shadowed = None;
        true
    }

    fn ordinary(&mut self, line: &LogLine, signal: Signal, may_match: bool) {
        let success = signal == Signal::Success;
        if let Some(cluster) = self.current.as_mut() {
            cluster.since_failure += 1;
            if cluster.since_failure <= CONTEXT_AFTER {
                push_capped(&mut cluster.region, Held::Line(line.clone()), MAX_REGION);
            }
            cluster.success_after |= success;
            if may_match && is_retry(&line.text) {
                cluster.retrying = true;
            }
            if !cluster.strong && cluster.survived() {
                self.current = self.shadowed.take();
            }
        }
        remember(&mut self.recent, line, signal == Signal::Tolerated);
    }

    /// Whether a quiet line can be handed over raw now ([`Self::push_quiet`]
    /// and [`Self::push_quiet_blank`]): one that reads as an ordinary line,
    /// with no trigger word, no error level and no stack-frame shape. That
    /// holds unless detail lines are expected (they turn ordinary lines into
    /// failure lines) or the input is still short enough to be a paste,
    /// whose lines must be counted exactly (skipped lines are counted
    /// loosely).
    pub(crate) fn takes_quiet(&self) -> bool {
        self.detail_left == 0 && self.non_blank > PASTE_LINES
    }

    /// Whether quiet lines change nothing now but counters and the context
    /// window, so that a run of them can be passed over but for its last
    /// lines ([`Self::skip_quiet`]).
    pub(crate) fn is_settled(&self) -> bool {
        self.takes_quiet()
            && self
                .current
                .as_ref()
                .is_none_or(|c| c.strong && c.since_failure > CONTEXT_AFTER)
    }

    /// Whether a line that would be quiet but for success words (`done`)
    /// or retry words (`retrying`) changes nothing a quiet line does not:
    /// those words only matter to a failure that has not yet seen them.
    pub(crate) fn ignores(&self, success: bool, retry: bool) -> bool {
        self.takes_quiet()
            && self
                .current
                .as_ref()
                .is_none_or(|c| (!success || c.success_after) && (!retry || c.retrying))
    }

    /// A quiet line that normalises to a blank line.
    pub(crate) fn push_quiet_blank(&mut self, number: usize) {
        self.last_number = self.last_number.max(number);
    }

    /// A quiet, non-blank line, as raw bytes or already normalised: what
    /// [`Self::push`] does with an ordinary line, without normalising it.
    pub(crate) fn push_quiet(&mut self, number: usize, raw: &[u8], line: Option<LogLine>) {
        self.last_number = self.last_number.max(number);
        self.non_blank += 1;
        let held = |line: &Option<LogLine>| match line {
            Some(line) => Held::Line(line.clone()),
            None => Held::Raw {
                number,
                bytes: raw.to_vec(),
            },
        };
        if let Some(cluster) = self.current.as_mut() {
            cluster.since_failure += 1;
            if cluster.since_failure <= CONTEXT_AFTER {
                push_capped(&mut cluster.region, held(&line), MAX_REGION);
            }
            if !cluster.strong && cluster.survived() {
                self.current = self.shadowed.take();
            }
        }
        match line {
            Some(line) => remember(&mut self.recent, &line, false),
            None => remember_raw(&mut self.recent, number, raw),
        }
    }

    /// Passes over `lines` quiet lines up to line `last_number` when the
    /// finder [is settled](Self::is_settled): they only count. Counting
    /// blank ones too is harmless: the counts are only compared with bounds
    /// that settling has already passed. The caller pushes the last
    /// non-blank ones with [`Self::push_quiet`] afterwards, for the context.
    pub(crate) fn skip_quiet(&mut self, lines: usize, last_number: usize) {
        self.last_number = self.last_number.max(last_number);
        self.non_blank = self.non_blank.saturating_add(lines);
        if let Some(cluster) = self.current.as_mut() {
            cluster.since_failure = cluster.since_failure.saturating_add(lines);
        }
    }

    /// The failure, or `None` when the run succeeded.
    pub fn finish(self) -> Option<Failure> {
        if let Some(cluster) = self.current {
            if !cluster.survived() {
                return Some(cluster.into_failure(self.last_number));
            }
        }
        // No failure recognised: the last lines, unless they report success.
        let lines: Vec<LogLine> = self
            .recent
            .into_iter()
            .map(|(held, _)| held.into_line())
            .collect();
        // Ends in success: a success line with nothing after it that reads
        // like a problem (`..., done.` then `warning: ... unable to
        // checkout.` did not succeed).
        let signals: Vec<Signal> = lines
            .iter()
            .map(|l| classify(l, may_match(&l.text)))
            .collect();
        let problem = |(l, s): (&LogLine, &Signal)| {
            !matches!(s, Signal::Ordinary | Signal::Success)
                || l.level.is_some_and(|level| level >= Level::Warning)
        };
        let ends_in_success = signals
            .iter()
            .rposition(|s| *s == Signal::Success)
            .is_some_and(|at| !lines[at..].iter().zip(&signals[at..]).any(problem));
        if lines.is_empty() || ends_in_success {
            return None;
        }
        let kind = if self.non_blank <= PASTE_LINES {
            FailureKind::Pasted
        } else {
            FailureKind::Tail
        };
        Some(Failure {
            error_lines: lines.clone(),
            lines,
            total_lines: self.last_number,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(input: &str) -> Option<Failure> {
        let mut finder = FailureFinder::new();
        for line in super::super::lines(input.as_bytes()) {
            finder.push(&line.unwrap());
        }
        finder.finish()
    }

    /// A failure recognised as one, not a paste or a tail.
    fn recognised(input: &str) -> Option<Failure> {
        find(input).filter(|f| f.kind == FailureKind::Recognised)
    }

    fn error_strs(failure: &Failure) -> Vec<&str> {
        failure
            .error_lines
            .iter()
            .map(|l| l.text.as_str())
            .collect()
    }

    fn error_texts(input: &str) -> Vec<String> {
        find(input)
            .expect("a failure")
            .error_lines
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn an_exit_status_confirms_the_failure_before_it() {
        // Far enough after the error to have been a failure of its own.
        let filler = "widget step output\n".repeat(20);
        for exit in [
            "##[error]Process completed with exit code 1.",
            "ERROR: script returned exit code 2",
            "ERROR: Job failed: exit code 1",
            "error Command failed with exit code 1.",
            "Finished: FAILURE",
        ] {
            let input =
                format!("Loading widgets\nFatal error: widget store is gone\n{filler}{exit}\n");
            let failure = find(&input).expect("a failure");
            assert_eq!(
                error_strs(&failure),
                ["Fatal error: widget store is gone"],
                "{exit}"
            );
            assert!(failure.lines.iter().all(|l| l.number <= 12), "{exit}");
        }
        // A process killed by a signal says something of its own.
        let input = format!("Fatal error: widget store is gone\n{filler}##[error]Process completed with exit code 137.\n");
        assert_eq!(
            error_texts(&input),
            ["Process completed with exit code 137."]
        );
        // A run that succeeded after a warning is not failed by a status
        // line of its own.
        let input = "Fatal error: widget store is gone\nRetrying\nWidgets loaded successfully\n##[error]Process completed with exit code 1.\n";
        assert_eq!(error_texts(input), ["Process completed with exit code 1."]);
    }

    #[test]
    fn an_exit_status_alone_points_at_the_last_words() {
        let input = "Checking the runtime\nLoading widgets\nWidgets needs runtime 7.1\nor later. Please upgrade.\nProcess completed with exit code 1.\n";
        let failure = find(input).expect("a failure");
        // The last few lines: the message, wrapped, and a line before it.
        assert_eq!(
            error_strs(&failure),
            [
                "Loading widgets",
                "Widgets needs runtime 7.1",
                "or later. Please upgrade."
            ]
        );
        assert!(failure.lines.iter().all(|l| !l.text.contains("exit code")));
        // With no such words, the status is all there is to show.
        assert_eq!(
            error_texts("Checking the runtime\nProcess completed with exit code 3.\n"),
            ["Process completed with exit code 3."]
        );
    }

    #[test]
    fn details_of_a_header_end_at_the_next_record() {
        let input = "[2024-03-01 10:12:44] ERROR: Widget sync failed: In Sync.php line 170:\n\
                     \x20 The widget store refused the batch\n\
                     [2024-03-01 10:12:45] NOTICE: Maintenance mode is enabled.\n\
                     [2024-03-01 10:12:45] INFO: Trying to stop the widget workers\n";
        assert_eq!(
            error_texts(input),
            [
                "Widget sync failed: In Sync.php line 170:",
                "The widget store refused the batch"
            ]
        );
    }

    #[test]
    fn the_last_words_stop_at_the_command_that_ran() {
        for echo in ["+ ./build.sh", "++ ./build.sh --all", "$ ./build.sh"] {
            let input = format!(
                "Loading widgets\n{echo}\nWidgets needs runtime 7.1 or later. Please upgrade.\n\
                 script returned exit code 1\n"
            );
            assert_eq!(
                error_texts(&input),
                ["Widgets needs runtime 7.1 or later. Please upgrade."],
                "{echo}"
            );
        }
    }

    #[test]
    fn successful_noisy_run_has_no_failure() {
        let log = "\
Loading repositories
Package foo/bar is abandoned, you should avoid using it. Use baz/qux instead.
Deprecated: Function strftime() is deprecated in /app/x.php on line 3
W: Route doesn't map to a domain of the project, using default hostname.
Compilation finished: errors: 0, warnings: 2
Found 0 errors
Alert: Static files were not cleared. Failure to clear them might cause display issues.
Installing data... Failed to initialize global config: could not find the config file
Reading settings
Loading more settings
Writing lock file
Generating autoload files
Cache cleared successfully.
";
        assert_eq!(find(log), None);
    }

    #[test]
    fn error_level_line_is_a_failure() {
        let got = find("[2019-01-23 00:00:00] INFO: start\n[2019-01-23 00:00:01] CRITICAL: [11] Command failed\n").unwrap();
        assert_eq!(got.error_lines.len(), 1);
        assert_eq!(got.error_lines[0].code.as_deref(), Some("11"));
        assert_eq!(got.lines.len(), 2);
        assert_eq!(got.total_lines, 2);
    }

    #[test]
    fn exception_box_after_progress_is_found() {
        let log = "Writing lock file\nGenerating autoload files\n\n  [RuntimeException]  \n  Could not scan for classes  \n\ninstall [--dry-run]\n";
        assert_eq!(
            error_texts(log),
            ["[RuntimeException] Could not scan for classes"]
        );
    }

    #[test]
    fn later_failure_outweighs_an_earlier_one() {
        let mut log = String::from("ERROR: first problem\n");
        for i in 0..30 {
            log.push_str(&format!("step {i} ok\n"));
        }
        log.push_str("PHP Fatal error:  second problem in /x.php on line 3\n");
        assert_eq!(
            error_texts(&log),
            ["PHP Fatal error:  second problem in /x.php on line 3"]
        );
    }

    #[test]
    fn retried_then_successful_is_no_failure() {
        let log = "ERROR: connection lost to db\nRetrying in 5 seconds (attempt 2/5)\nConnected successfully\nDeploy step 2\n";
        assert_eq!(find(log), None);
    }

    #[test]
    fn weak_signal_counts_only_at_the_end() {
        let survived = "Profile not found, using defaults\nstep 1\nstep 2\nstep 3\nstep 4\n";
        assert_eq!(recognised(survived), None);
        let fatal = "step 1\nstep 2\nstep 3\nstep 4\nInstall of foo/bar failed\n";
        assert_eq!(error_texts(fatal), ["Install of foo/bar failed"]);
    }

    #[test]
    fn weak_signal_does_not_hide_an_earlier_strong_failure() {
        let mut log = String::from("Fatal error: boom in /x.php on line 1\n");
        for i in 0..20 {
            log.push_str(&format!("line {i}\n"));
        }
        log.push_str("Could not clean cache, skipping\nmore\nmore\nmore\nmore\n");
        assert_eq!(error_texts(&log), ["Fatal error: boom in /x.php on line 1"]);
    }

    #[test]
    fn detail_lines_under_a_header_are_error_lines() {
        let log = "Your requirements could not be resolved to an installable set of packages.\n\n  Problem 1\n    - a/b 1.0 requires c/d 2.0 -> found c/d[1.0] but it does not match.\n    - Root requires a/b 1.0\n\nUse the option --with-all-dependencies to allow upgrades.\n";
        let errors = error_texts(log);
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[2].starts_with("- a/b 1.0 requires"));
    }

    #[test]
    fn weak_header_carries_a_few_detail_lines() {
        // The exit status after them confirms the failure; it is no error
        // line of its own.
        let log = "build\nMissing required settings:\n  API_URL: where the API lives\nerror Command failed with exit code 1.\n";
        assert_eq!(
            error_texts(log),
            ["Missing required settings:", "API_URL: where the API lives"]
        );
    }

    #[test]
    fn stack_frames_are_context_except_the_first() {
        let log = "Fatal error: Uncaught Exception: boom\nStack trace:\n#0 /a.php(1): f()\n#1 /b.php(2): g()\n";
        let failure = find(log).unwrap();
        assert_eq!(
            error_strs(&failure),
            ["Fatal error: Uncaught Exception: boom", "#0 /a.php(1): f()"]
        );
        assert_eq!(failure.lines.len(), 4);
        // A trace alone is still evidence of a failure.
        assert!(find("02 #0 /a.php(313): Client->call('get')\n02 #1 /b.php(9): x()\n").is_some());
    }

    #[test]
    fn zero_exit_and_warnings_are_not_failures() {
        let log = "build_1 exited with code 0\nWarning: something odd happened\nnpm WARN deprecated a@1\nstep\nstep\nstep\nstep\n";
        assert_eq!(recognised(log), None);
        assert!(find("a\nb\nc\nd\nsearch_1 exited with code 78\n").is_some());
    }

    #[test]
    fn common_tool_failures_are_strong() {
        for line in [
            "make: *** [Makefile:12: build] Error 2",
            "Exception in thread \"main\" java.lang.IllegalStateException: boom",
            "java.lang.IllegalStateException: boom",
            "panic: runtime error: index out of range",
            "Script bin/post-install handling the post-install-cmd event returned with error code 1",
            "write /var/lib/data: no space left on device",
            "##[error]Process completed with exit code 1.",
        ] {
            let log = format!("{line}\nmore output\nmore output\nmore output\nmore output\n");
            assert!(find(&log).is_some(), "{line}");
        }
    }

    #[test]
    fn tolerated_problems_near_the_end_are_not_failures() {
        let log = "build\nbuild\nbuild\nbuild\nOptional cache warmup failed, continuing\nCould not remove /tmp/x, ignoring\n";
        assert_eq!(recognised(log), None);
    }

    #[test]
    fn tolerated_problem_right_before_a_failure_is_part_of_it() {
        let log = "build\nCould not apply patch p1! Skipping.\n\n  [RuntimeException]\n  Cannot apply patch p1\n";
        assert_eq!(
            error_texts(log),
            [
                "Could not apply patch p1! Skipping.",
                "[RuntimeException] Cannot apply patch p1"
            ]
        );
    }

    #[test]
    fn trace_only_cluster_still_has_an_error_line() {
        let log = "a\nb\nc\nd\nStack trace:\n    at foo (bar.js:1:2)\n";
        let failure = find(log).unwrap();
        assert_eq!(failure.error_lines.len(), 1);
        assert_eq!(failure.error_lines[0].text, "Stack trace:");
    }

    #[test]
    fn short_input_is_the_error_itself() {
        let got =
            find("Version 7.0.2 or later is required. Please read the requirements.\n").unwrap();
        assert_eq!(got.error_lines.len(), 1);
        assert_eq!(got.kind, FailureKind::Pasted);
        // No trigger word: pasted, it is still the failure.
        let got = find("Widget::pipeline(): Already in pipeline mode\n").unwrap();
        assert_eq!(
            error_strs(&got),
            ["Widget::pipeline(): Already in pipeline mode"]
        );
        assert_eq!(got.kind, FailureKind::Pasted);
        assert_eq!(find("Cache cleared successfully.\n"), None);
        assert_eq!(
            find("Cloning into 'x'...\nResolving deltas: 100% (4/4), done.\n"),
            None
        );
        assert_eq!(find(""), None);
        assert_eq!(find("\n\n"), None);
    }

    #[test]
    fn a_long_log_with_no_failure_recognised_keeps_its_tail() {
        let mut log: String = (1..=40).map(|n| format!("widget step {n}\n")).collect();
        log.push_str("gadget stopped halfway\n");
        let got = find(&log).unwrap();
        assert_eq!(got.kind, FailureKind::Tail);
        assert_eq!(got.error_lines.len(), CONTEXT_BEFORE);
        assert_eq!(
            got.error_lines.last().unwrap().text,
            "gadget stopped halfway"
        );
        assert_eq!(got.total_lines, 41);
        // One that ends in success succeeded.
        log.push_str("Deployment completed successfully.\n");
        assert_eq!(find(&log), None);
        // Unless a problem follows the success.
        log.push_str("warning: remote widget refers to nothing, unable to check out.\n");
        assert_eq!(find(&log).unwrap().kind, FailureKind::Tail);
    }

    #[test]
    fn a_recognised_failure_is_said_so() {
        let got = find("a\nb\nERROR: widget failed\n").unwrap();
        assert_eq!(got.kind, FailureKind::Recognised);
    }

    #[test]
    fn bounded_memory_on_endless_failures() {
        let mut finder = FailureFinder::new();
        for number in 1..=10_000 {
            finder.push(&LogLine {
                number,
                text: format!("ERROR: failure number {number}"),
                level: Some(Level::Error),
                code: None,
            });
            assert!(finder.recent.len() <= CONTEXT_BEFORE);
        }
        let failure = finder.finish().unwrap();
        assert_eq!(failure.error_lines.len(), MAX_ERROR_LINES);
        assert!(failure.lines.len() <= MAX_REGION);
        assert_eq!(failure.error_lines.last().unwrap().number, 10_000);
        assert_eq!(failure.total_lines, 10_000);
    }
}
