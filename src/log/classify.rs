//! How one logical line reads to the failure finder: a failure (strong,
//! weak, tolerated, a stack frame), a success, or an ordinary line; and the
//! other things the finder asks of a line (a retry, advice, a bare exit
//! status, a header that announces details, a shell's echo).
//!
//! Most lines of a log have none of the patterns' trigger words: a literal
//! gate rules them out before any pattern runs.

use crate::lazy::lazy;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::prefilter::{Found, Literal, When};
use super::{Level, LogLine};

/// What a line is to the failure finder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signal {
    Ordinary,
    Success,
    /// A strong signal that is itself the failure.
    Strong,
    /// A strong signal that is evidence, not the message: stack frames.
    Trace,
    /// A line that reads like a problem but may have been survived.
    Weak,
    /// A line under a failure header (`Problem 1`, `Errors during ...:`).
    Detail,
    /// A weak signal worded as tolerated (`..., skipping`): ordinary unless
    /// a failure follows at once.
    Tolerated,
}

lazy! {
    /// Unambiguous failure markers: they count even on warning-level lines,
    /// because hosting platforms mark a whole command's stderr as warnings.
    static STRONG: Regex = {
        Regex::new(concat!(
            r"^\[(?:[A-Za-z_][\w\\]*)?(?:Exception|Error)\]",
            r"|^(?:[a-z_]\w*[.\\])*[A-Z][\w\\]*(?:Exception|Error)(?:\(code: \w+\))?: ",
            r"|\bException in thread\b|^panic: |^\*\*\* |\*\*\* \[.*\] Error \d+",
            r"|\bException #\d+|^\d+ exception\(s\)|\bexception '[^']+' with message",
            r"|\bUncaught\b|(?i:\bfatal error\b|\bparse error\b)",
            r"|^In \S+ line \d+:$",
            r"|(?i:\bnon-zero exit|\breturned non-zero|\breturned (?:exit )?(?:code|status):? [1-9])",
            r"|(?i:\bexit(?:ed)?(?: with)? (?:code|status):? [1-9]|\b(?:status|error|exit|return) code:? [1-9])",
            r"|(?i:\bcommand\b.*\bfailed\b)",
            r"|(?i:\bstep failed\b|\berror building project\b|\bbuild failed\b|\bdeploy(?:ment)? failed\b)",
            r"|^Problem \d+$|could not be resolved to an installable set",
            r"|^Killed\b|\bKilled$|(?i:\bout of memory\b|\boom-?kill)",
            // bash reporting a script's command ended by a signal:
            // `deploy.sh: line 14:   812 Killed      php bin/magento ...`
            r"|^\S+: line \d+: +\d+ (?:Killed|Terminated|Aborted|Segmentation fault)\b",
            r"|SQLSTATE\[(?:[^0]|0[^0]|00[^0]|000[^0]|0000[^0])|^ERROR \d+ \(",
            r#"|\{"error":"#,
            r"|(?i:errors during\b|\btotal errors count: [1-9])",
            r"|(?i:\bsegmentation fault\b|\bcore dumped\b|\bno space left on device\b)",
            r"|(?i:\ballowed memory size of \d+ bytes exhausted|\bmaximum execution time of \d+ seconds? exceeded)",
            r"|(?i:\bmaximum function nesting level\b)",
            r"|\bpanicked at\b|^Traceback \(most recent call last\)|^npm ERR!",
            r"|(?i:\bunknown error\b)",
        ))
        .expect("strong failure pattern")
    };
}

lazy! {
    /// A process's exit status and nothing else: a consequence of the failure
    /// before it, written by the shell, a CI runner or a task runner.
    static BARE_EXIT: Regex = {
        Regex::new(concat!(
            r"(?i)^(?:error:?\s+)?(?:the\s+)?(?:(?:process|script|command|job|step|task|build|container|shell)\s+)?",
            r"(?:(?:has\s+)?(?:completed|returned|exited|ended|terminated|finished|failed)(?:\s+with)?:?\s+)?",
            r"(?:an?\s+)?(?:non-?zero\s+)?(?:exit|return)\s+(?:code|status)(?:\s*[:=]?\s*(?P<code>-?\d+))?\s*\.?$",
            r"|(?i)^finished:\s*(?:failure|unstable|aborted)$",
        ))
        .expect("bare exit pattern")
    };
}

/// A shell's echo of the command it runs: `+ ./deploy.sh` (`set -x`, one
/// `+` per level of nesting) or a prompt (`$ bin/console build`).
pub(super) fn is_command_echo(text: &str) -> bool {
    let traced = text.trim_start_matches('+');
    let rest = if traced.len() < text.len() {
        traced.strip_prefix(' ')
    } else {
        text.strip_prefix("$ ")
    };
    rest.is_some_and(|r| r.starts_with(|c: char| !c.is_whitespace()))
}

/// Whether `text` only states an exit status, a consequence of the failure
/// before it. A status of 128 or more means a signal killed the process
/// (137: often for memory), which is news of its own.
pub(super) fn is_bare_exit(text: &str) -> bool {
    let Some(caps) = BARE_EXIT.captures(text) else {
        return false;
    };
    caps.name("code")
        .and_then(|c| c.as_str().parse::<i64>().ok())
        .is_none_or(|code| (0..128).contains(&code))
}

lazy! {
    /// `error:` in the middle of a message: strong unless the line is a warning.
    static ERROR_WORD: Regex = {
        Regex::new(r"(?i)\berror\s?:|\ban error occurred\b").expect("error word pattern")
    };
}

lazy! {
    static WEAK: Regex = {
        Regex::new(concat!(
            r"(?i)\bfail(?:ed|s|ure|ing)?\b|\bcould(?: not|n't)\b|\bcannot\b|\bcan't\b|\bunable to\b",
            r"|\bnot supported\b|\bunsupported\b|\bdenied\b|\brefused\b|\bnot found\b|\bno such file\b",
            r"|\bdoes ?n[o']t exist\b|\binvalid\b|\btimed out\b|\bexhausted\b|\bexceeded\b",
            r"|\bout of range\b|\btoo many\b|\bgone away\b|\babort(?:ed|ing)?\b|\bincompatible\b",
            r"|\bundefined\b|\bnot allowed\b|\bunrecognized\b|\bconflict|\bmissing\b|\bblocked\b",
            r"|\btoo (?:low|high|small|large|old|new|long)\b|\bexpired\b|\bdoes(?: not|n't) match\b",
        ))
        .expect("weak failure pattern")
    };
}

lazy! {
    /// Wording that says a weak problem was tolerated on purpose.
    static TOLERATED: Regex = {
        Regex::new(r"(?i)\bskipping\b|\bignor(?:e|ed|ing)\b|\boptional\b|\bcontinuing\b|\bfalling back\b|\bnot required\b")
            .expect("tolerated pattern")
    };
}

lazy! {
    /// Counts of zero and similar all-clear wording.
    static ALL_CLEAR: Regex = {
        Regex::new(concat!(
            r"(?i)\b(?:0|no|zero) (?:errors?|failures?|failed)\b",
            r"|\b(?:errors?|failures?|failed)\s*[:=]\s*0\b|\bwithout errors?\b",
            r"|\babandoned\b|\bdeprecat",
        ))
        .expect("all-clear pattern")
    };
}

lazy! {
    static SUCCESS: Regex = {
        Regex::new(r"(?i)\bsuccess(?:ful(?:ly)?)?\b|\bsucceeded\b|\bcompleted?\b|\bfinished\b|\bdone\b\.?$|\bpassed\b")
            .expect("success pattern")
    };
}

lazy! {
    static RETRY: Regex = {
        Regex::new(r"(?i)\bre-?try(?:ing)?\b|\bretries\b|\battempt\b|\btrying again\b|\bwill try\b|\bnow trying\b")
            .expect("retry pattern")
    };
}

/// Whether `text` says the run is trying again.
pub(super) fn is_retry(text: &str) -> bool {
    RETRY.is_match(text)
}

lazy! {
    /// Stack frames and trace headers of common runtimes.
    static TRACE: Regex = {
        Regex::new(concat!(
            r"^(?:\d+ )?#\d+ |^PHP +\d+\. |^PHP Stack trace:|^(?:Stack|Exception) trace:",
            r#"|^at \S.*\(\S+:\d+(?::\d+)?\)$|^File ".+", line \d+"#,
        ))
        .expect("trace pattern")
    };
}

lazy! {
    /// Instructions and requirements: how tools phrase a refusal that has no
    /// error word (`... supports 7.0.2 or later. Please read ...`).
    static ADVICE: Regex = {
        Regex::new(concat!(
            r"(?i)\bplease\b|\bmust\b|\brequire[sd]?\b|\bshould\b|\bor (?:later|higher|newer|above)\b",
            r"|\bat least\b|\bnot (?:set|safe|supported|allowed|installed|available|defined|loaded|enabled|valid)\b",
        ))
        .expect("advice pattern")
    };
}

/// Whether `text` reads like an instruction or a requirement.
pub(super) fn is_advice(text: &str) -> bool {
    ADVICE.is_match(text)
}

pub(super) fn is_first_frame(text: &str) -> bool {
    let text = text.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
    text.starts_with("#0 ")
}

/// A failure line that announces details on the following lines.
pub(super) fn opens_detail(text: &str) -> bool {
    text.ends_with(':')
        || (text.starts_with("Problem ") && text[8..].bytes().all(|b| b.is_ascii_digit()))
}

/// Words at least one of which every match of [`STRONG`], [`ERROR_WORD`]
/// and [`WEAK`] contains, compared ASCII case-insensitively; with
/// [`SUCCESS_TRIGGERS`] and [`RETRY_TRIGGERS`], the words of every pattern
/// that classifies a line. Almost no line of a log has any of them, so those
/// lines skip the patterns (and `log::prefilter`, which takes them from
/// [`literals`], leaves most of them unmarked). Keep this in step with the patterns: a word missing here
/// silently turns a failure into an ordinary line (the
/// `gate_agrees_with_the_patterns` test checks the patterns' own examples).
const FAILURE_TRIGGERS: &[&str] = &[
    // STRONG and ERROR_WORD
    "exception",
    "error",
    "panic",
    "***",
    "uncaught",
    " line ",
    "non-zero",
    "returned",
    "exit",
    "status code",
    "return code",
    "problem",
    "killed",
    "out of memory",
    "oomkill",
    "oom-kill",
    "sqlstate",
    "segmentation fault",
    "core dumped",
    "no space left on device",
    "allowed memory size",
    "maximum execution time",
    "maximum function nesting level",
    "traceback",
    "npm err!",
    // WEAK (and STRONG's `installable set`, `command ... failed`)
    "fail",
    "could",
    "cannot",
    "can't",
    "unable to",
    "not supported",
    "unsupported",
    "denied",
    "refused",
    "not found",
    "no such file",
    "exist",
    "invalid",
    "timed out",
    "exhausted",
    "exceeded",
    "out of range",
    "too ",
    "gone away",
    "abort",
    "incompatible",
    "undefined",
    "not allowed",
    "unrecognized",
    "conflict",
    "missing",
    "blocked",
    "expired",
    "does not match",
    "doesn't match",
];

/// Trigger words of [`SUCCESS`]. No match of the failure patterns needs
/// them: a line with only these (and RETRY's) reads as success or ordinary.
const SUCCESS_TRIGGERS: &[&str] = &[
    "success",
    "succeeded",
    "complete",
    "finished",
    "done",
    "passed",
];

/// Trigger words of [`RETRY`].
const RETRY_TRIGGERS: &[&str] = &[
    "retry",
    "re-try",
    "retries",
    "attempt",
    "trying again",
    "will try",
    "now trying",
];

/// Trigger words searched in a stricter form by `log::prefilter`, because
/// successful logs are full of longer words that hold them
/// (`CacheInvalidate`, `exists`, `existence`): the only pattern with
/// `exist` is `does ?n[o']t exist`, and the only one with `invalid` is
/// `\binvalid\b`. A quiet line's text is a piece of its bytes that ends at
/// the line's end or before a space, so a word character after `invalid` in
/// the bytes follows it in the text too. (`stricter_triggers_are_triggers`
/// keeps this list in step.)
const STRICTER: [(&str, Literal); 2] = [
    (
        "exist",
        Literal {
            word: "t exist",
            when: When::Anywhere,
        },
    ),
    (
        "invalid",
        Literal {
            word: "invalid",
            when: When::If(ends_a_word),
        },
    ),
];

/// How the lines [`TRACE`] matches start or end, which the gate does not
/// see: a frame number (`#0`), `Stack trace` (`Exception trace:` and
/// `File "x", line 3` hold trigger words), `PHP` before a frame number,
/// and `)` after a line number at the end (`at f (app.js:12:3)`).
const TRACE_LITERALS: [Literal; 13] = [
    Literal {
        word: "stack trace",
        when: When::Anywhere,
    },
    Literal {
        word: "#0",
        when: When::Anywhere,
    },
    Literal {
        word: "#1",
        when: When::Anywhere,
    },
    Literal {
        word: "#2",
        when: When::Anywhere,
    },
    Literal {
        word: "#3",
        when: When::Anywhere,
    },
    Literal {
        word: "#4",
        when: When::Anywhere,
    },
    Literal {
        word: "#5",
        when: When::Anywhere,
    },
    Literal {
        word: "#6",
        when: When::Anywhere,
    },
    Literal {
        word: "#7",
        when: When::Anywhere,
    },
    Literal {
        word: "#8",
        when: When::Anywhere,
    },
    Literal {
        word: "#9",
        when: When::Anywhere,
    },
    Literal {
        word: "PHP ",
        when: When::If(is_php_frame),
    },
    Literal {
        word: ")",
        when: When::AtEnd(closes_a_frame),
    },
];

/// What the classifier reacts to, for `log::prefilter`: its trigger words
/// (two in a stricter form), the shapes of stack frames, and its success
/// and retry words.
pub(super) fn literals() -> Vec<Literal> {
    let loose = |word: &&&str| STRICTER.iter().all(|(trigger, _)| trigger != *word);
    let marks = |words: &'static [&'static str], when: When| {
        words.iter().map(move |&word| Literal { word, when })
    };
    FAILURE_TRIGGERS
        .iter()
        .filter(loose)
        .map(|&word| Literal {
            word,
            when: When::Anywhere,
        })
        .chain(STRICTER.map(|(_, literal)| literal))
        .chain(TRACE_LITERALS)
        .chain(marks(SUCCESS_TRIGGERS, When::Success))
        .chain(marks(RETRY_TRIGGERS, When::Retry))
        .collect()
}

/// No word character follows.
fn ends_a_word(found: &Found) -> bool {
    !found
        .after()
        .first()
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `PHP` as written, then a frame number (`PHP   3. foo()`).
fn is_php_frame(found: &Found) -> bool {
    let number = found.after().iter().find(|&&b| b != b' ');
    found.word().starts_with(b"PHP") && number.is_some_and(u8::is_ascii_digit)
}

/// `:` and a line number before the bracket.
fn closes_a_frame(found: &Found) -> bool {
    let before = found.before();
    let digits = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    digits > 0 && before.len() > digits && before[before.len() - digits - 1] == b':'
}

lazy! {
    static GATE: AhoCorasick = {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(
                FAILURE_TRIGGERS
                    .iter()
                    .chain(SUCCESS_TRIGGERS)
                    .chain(RETRY_TRIGGERS),
            )
            .expect("trigger words")
    };
}

/// The only characters outside ASCII that Unicode case folding (what the
/// patterns' `(?i)` uses) makes equal to an ASCII letter: `ſ` to `s` and
/// the Kelvin sign to `k` (`only_two_characters_fold_onto_ascii_letters`
/// checks this against the regex engine).
const FOLDS_ONTO_ASCII: [(char, &str); 2] = [('\u{17f}', "s"), ('\u{212a}', "k")];

/// Whether any of the classifying patterns could match `text`. The gate's
/// words are ASCII and compared ASCII case-insensitively, so other text
/// passes it only if it has them once the two characters that fold onto
/// ASCII letters are read as those letters; no other character can stand
/// in a trigger word. (Letting all non-ASCII text through, as before, sent
/// lines such as `├── corepack` through every pattern, on the patterns'
/// slowest engine: their word boundaries are Unicode ones.)
pub(super) fn may_match(text: &str) -> bool {
    if text.is_ascii() || !text.contains(FOLDS_ONTO_ASCII.map(|(c, _)| c)) {
        return GATE.is_match(text);
    }
    let mut folded = text.to_string();
    for (c, ascii) in FOLDS_ONTO_ASCII {
        folded = folded.replace(c, ascii);
    }
    GATE.is_match(&folded)
}

pub(super) fn classify(line: &LogLine, may_match: bool) -> Signal {
    let text = line.text.as_str();
    let success_or_ordinary = || {
        if may_match && SUCCESS.is_match(text) {
            Signal::Success
        } else {
            Signal::Ordinary
        }
    };
    if matches!(line.level, Some(Level::Debug | Level::Info | Level::Notice)) {
        return success_or_ordinary();
    }
    if starts_like_trace(text) && TRACE.is_match(text) {
        return Signal::Trace;
    }
    if line.level >= Some(Level::Error) {
        return Signal::Strong;
    }
    if !may_match {
        return Signal::Ordinary;
    }
    if STRONG.is_match(text) {
        return Signal::Strong;
    }
    if line.level == Some(Level::Warning) {
        return success_or_ordinary();
    }
    if ERROR_WORD.is_match(text) && !ALL_CLEAR.is_match(text) {
        return Signal::Strong;
    }
    if WEAK.is_match(text) && !ALL_CLEAR.is_match(text) {
        if TOLERATED.is_match(text) {
            return Signal::Tolerated;
        }
        return Signal::Weak;
    }
    success_or_ordinary()
}

/// Whether `line` reports something that went well (`... rebuilt
/// successfully`): context that says what the run got past, not what
/// failed.
pub fn reads_as_success(line: &LogLine) -> bool {
    let may_match = may_match(&line.text);
    classify(line, may_match) == Signal::Success
}

/// Whether `line` does to the finder what a quiet line does
/// ([`FailureFinder::push_quiet`]): it reads as an ordinary line, and no
/// retry wording either.
#[cfg(test)]
pub(super) fn reads_ordinary(line: &LogLine) -> bool {
    let may_match = may_match(&line.text);
    classify(line, may_match) == Signal::Ordinary && !(may_match && RETRY.is_match(&line.text))
}

/// Cheap check before the trace pattern: how its anchored alternatives
/// start.
fn starts_like_trace(text: &str) -> bool {
    match text.as_bytes().first() {
        Some(b'#' | b'0'..=b'9') => true,
        Some(b'P') => text.starts_with("PHP "),
        Some(b'S') => text.starts_with("Stack trace:"),
        Some(b'E') => text.starts_with("Exception trace:"),
        Some(b'a') => text.starts_with("at "),
        Some(b'F') => text.starts_with("File \""),
        _ => false,
    }
}

/// Wording from the patterns themselves, one line each, as the classifier
/// meets it: what the gate must let through, and what `log::prefilter`
/// must mark (with lines that are neither, and text outside ASCII).
#[cfg(test)]
pub(super) const EXAMPLES: &[&str] = &[
    "#0 /a.php(1): f()",
    "02 #0 /a.php(313): Client->call('get')",
    "PHP   3. foo() /a.php:1",
    "PHP Stack trace:",
    "Stack trace:",
    "Exception trace:",
    "at foo (bar.js:12:3)",
    "    at Object.<anonymous> (/app/index.js:12)",
    "File \"deploy.py\", line 3, in <module>",
        "[Foo\\BarException] x",
        "[Error] x",
        "Foo\\Bar\\BazError(code: 12): x",
        "Exception in thread \"main\"",
        "panic: boom",
        "*** stop",
        "make: *** [all] Error 2",
        "Exception #3 (x)",
        "2 exception(s):",
        "exception 'X' with message 'y'",
        "PHP Uncaught x",
        "FATAL ERROR here",
        "Parse Error: x",
        "In Foo.php line 12:",
        "NON-ZERO EXIT",
        "it returned non-zero",
        "Returned Exit Code 2",
        "returned status: 1",
        "EXITED WITH STATUS 3",
        "exit code 1",
        "Status Code: 5",
        "return code 2",
        "Command \"x\" FAILED",
        "Step Failed",
        "Error building project",
        "Problem 1",
        "could not be resolved to an installable set",
        "Killed",
        "process Killed",
        "./deploy.sh: line 14:   812 Killed                  php bin/magento setup:static-content:deploy",
        "Out Of Memory",
        "OOMKilled",
        "oom-kill",
        "SQLSTATE[HY000]",
        "ERROR 2006 (HY000)",
        "{\"error\":\"x\"}",
        "Errors during compilation:",
        "total errors count: 3",
        "Segmentation Fault",
        "core dumped",
        "No space left on device",
        "Allowed memory size of 1 bytes exhausted",
        "Maximum execution time of 30 seconds exceeded",
        "Maximum function nesting level",
        "thread panicked at x",
        "Traceback (most recent call last):",
        "npm ERR! code 1",
        "Unknown Error",
        "error : x",
        "An error occurred",
        "Failing now",
        "FAILURE",
        "Couldn't",
        "CANNOT",
        "Can't",
        "Unable to",
        "Not Supported",
        "UNSUPPORTED",
        "Access Denied",
        "Connection Refused",
        "Not Found",
        "No such file",
        "Doesnt exist",
        "does n't exist",
        "Invalid",
        "Timed Out",
        "Exhausted",
        "Exceeded",
        "Out of range",
        "Too Many",
        "Gone Away",
        "Aborting",
        "Incompatible",
        "Undefined",
        "Not Allowed",
        "Unrecognized",
        "Conflicts",
        "Missing",
        "Blocked",
        "Too Old",
        "Expired",
        "Doesn't Match",
        "does not match",
        "skipping missing x",
        "0 errors",
        "Successfully done.",
        "SUCCEEDED",
        "Completed",
        "Finished",
        "Done.",
        "PASSED",
        "Retrying",
        "re-try",
        "Retries",
        "Attempt 2",
        "Trying Again",
        "Will Try",
        "Now Trying",
        "Just an ordinary line",
        "Generating autoload files",
        "\u{251c}\u{2500}\u{2500} corepack@0.30.0",
        "caf\u{e9} FAILED",
        "\u{212a}illed",
        "PHP Fatal error: \u{17f}omething",
        "Out of memory \u{2014} \u{17f}ee above",
        "\u{17f}ucce\u{17f}\u{17f}fully done",
        "Retrie\u{17f}",
        "\u{17f}tatu\u{17f} code 3",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stricter_triggers_are_triggers() {
        for (trigger, literal) in STRICTER {
            assert!(FAILURE_TRIGGERS.contains(&trigger), "{trigger}");
            assert!(literal.word.contains(trigger), "{}", literal.word);
        }
    }

    #[test]
    fn a_sum_or_a_price_is_not_a_command_echo() {
        assert!(!is_command_echo("+1 widget"));
        assert!(!is_command_echo("$5 per widget"));
        assert!(!is_command_echo("+ "));
        assert!(is_command_echo("+ ./build.sh"));
    }

    /// The gate must never hide a line the patterns would catch. Checked on
    /// wording from the patterns themselves and, when present, on every line
    /// of the shared logs and articles (real error messages in bulk).
    #[test]
    fn gate_agrees_with_the_patterns() {
        fn check(text: &str) {
            if may_match(text) {
                // The gate let it through: both calls are the same.
                return;
            }
            for level in [None, Some(Level::Warning), Some(Level::Info)] {
                let line = LogLine {
                    number: 1,
                    text: text.to_string(),
                    level,
                    code: None,
                };
                assert_eq!(
                    classify(&line, may_match(text)),
                    classify(&line, true),
                    "{text}"
                );
            }
            assert!(!RETRY.is_match(text), "{text}");
        }
        for text in EXAMPLES {
            check(text);
        }
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
        if !shared.is_dir() {
            eprintln!(
                "skipping the shared-data part: {} is absent",
                shared.display()
            );
            return;
        }
        for entry in walkdir::WalkDir::new(&shared).into_iter().flatten() {
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            for line in String::from_utf8_lossy(&bytes).lines() {
                check(line.trim());
            }
        }
    }

    #[test]
    fn only_two_characters_fold_onto_ascii_letters() {
        let everything: String = (0x80..=0x10ffff).filter_map(char::from_u32).collect();
        let folding: Vec<char> = Regex::new("(?i)[a-z]")
            .unwrap()
            .find_iter(&everything)
            .flat_map(|m| m.as_str().chars())
            .collect();
        assert_eq!(folding, FOLDS_ONTO_ASCII.map(|(c, _)| c));
        for (c, ascii) in FOLDS_ONTO_ASCII {
            let pattern = format!("(?i)^{ascii}$");
            assert!(Regex::new(&pattern).unwrap().is_match(&c.to_string()));
        }
    }

    #[test]
    fn gate_reads_folding_characters_as_ascii() {
        assert!(!may_match("\u{251c}\u{2500}\u{2500} corepack@0.30.0"));
        assert!(!may_match("caf\u{e9} \u{17f}tarted"));
        assert!(may_match("caf\u{e9} failed"));
        assert!(may_match("\u{212a}illed"));
        assert!(may_match("\u{17f}ucce\u{17f}\u{17f}"));
        assert!(may_match("Retrie\u{17f}"));
    }
}
