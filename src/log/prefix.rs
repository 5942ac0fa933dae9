//! What the start of a line says: the decorations that loggers, runners
//! and platforms put in front of a message (platform `W:`/`E:`, container
//! service, CI workflow command, timestamp, level, error code), and the
//! level a message's own first words give it.
//!
//! The log stage strips the decorations from every line
//! (`log::normalise`); the article stage strips the same ones from the
//! error text an article quotes (`extract::signature`), so that a
//! signature reads like the log line it is to match.

use crate::lazy::lazy;

use regex::Regex;

use super::prefilter::{Found, Literal, When};
use super::Level;

pub(crate) struct Prefix<'a> {
    /// `W:` / `E:` written by a hosting platform in front of a command's
    /// stderr/failure output. Weak: the content's own level wins.
    pub(crate) platform: Option<Level>,
    /// The level the logger itself wrote (`CRITICAL:`, `[ERROR]`).
    pub(crate) structured: Option<Level>,
    pub(crate) code: Option<String>,
    /// The CI runner's workflow command the line carried (`group`, ...).
    pub(crate) annotation: Option<&'a str>,
    /// What follows the prefixes; leading spaces are kept when nothing was
    /// stripped, because box detection needs the indentation.
    pub(crate) rest: &'a str,
}

lazy! {
    /// The last alternative of both timestamp patterns is the placeholder
    /// articles write for one (`[YYYY-MM-DD HH:MM:SS]`): quotes lose it as log
    /// lines lose a real one.
    static TIMESTAMP_BRACKETED: Regex = {
        Regex::new(
            r"^\[(?:\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}| ?[A-Z]{2,5})?|\d{1,2}-[A-Z][a-z]{2}-\d{4} \d{1,2}:\d{2}:\d{2}(?: [A-Z]{2,5})?|\d{1,2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?|[YXD]{2,4}-[MX]{2}-[DX]{2}[T ][HMS:X]+)\] ?",
        )
        .expect("timestamp pattern")
    };
}

lazy! {
    static TIMESTAMP_BARE: Regex = {
        Regex::new(
            r"^(?:\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}| UTC)?|[YXD]{2,4}-[MX]{2}-[DX]{2}[T ][HMS:X]+)(?:[ \t]|$)",
        )
        .expect("timestamp pattern")
    };
}

lazy! {
    /// `[ERROR]`, `[INFO ]:`, `main.CRITICAL:`, `ERROR:`. The word form must be
    /// upper case: `Error:` and `Warning:` are part of a message and stay.
    static LEVEL_TOKEN: Regex = {
        Regex::new(
            r"^(?:\[(?P<bracket>[A-Za-z]{3,9}) *\]:?\s*|(?:[a-z][\w-]*\.)?(?P<word>[A-Z]{3,9}):(?:\s+|$))",
        )
            .expect("level pattern")
    };
}

/// The words a logger writes its level as, compared ignoring ASCII case.
const LEVEL_WORDS: &[(&str, Level)] = &[
    ("DEBUG", Level::Debug),
    ("TRACE", Level::Debug),
    ("INFO", Level::Info),
    ("SUCCESS", Level::Info),
    ("NOTICE", Level::Notice),
    ("WARNING", Level::Warning),
    ("WARN", Level::Warning),
    ("ERROR", Level::Error),
    ("ERR", Level::Error),
    ("CRITICAL", Level::Critical),
    ("CRIT", Level::Critical),
    ("ALERT", Level::Critical),
    ("EMERGENCY", Level::Critical),
    ("EMERG", Level::Critical),
    ("FATAL", Level::Critical),
    ("SEVERE", Level::Critical),
];

pub(crate) fn level_word(word: &str) -> Option<Level> {
    LEVEL_WORDS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(word))
        .map(|&(_, level)| level)
}

/// The message of `line` (a log line, or a line of error text an article
/// quotes): what is left once the decorations in front of it are gone.
pub fn strip(line: &str) -> &str {
    parse(line).rest.trim_start()
}

/// The decorations [`strip`] takes off the start of `line` (leading
/// whitespace aside), if any.
pub fn stripped(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let prefix = &line[..line.len() - strip(line).len()];
    (!prefix.is_empty()).then_some(prefix)
}

/// Strips the decorations off the start of `line`.
pub(crate) fn parse(line: &str) -> Prefix<'_> {
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
        c if c.is_ascii_digit() || matches!(c, b'Y' | b'X' | b'D') => TIMESTAMP_BARE.find(text),
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

/// How a message itself starts when it gives its level (PHP, git, npm,
/// shells).
const CONTENT_LEVELS: &[(&str, Level)] = &[
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

/// A word that gives a message its level when a capital or a digit follows
/// (yarn, the MySQL client: `error Command failed.`, `ERROR 2006 (HY000)`).
const WORD_LEVELS: &[(&str, Level)] = &[
    ("error ", Level::Error),
    ("ERROR ", Level::Error),
    ("warning ", Level::Warning),
];

/// How the name of an error class ends (`TypeError: ...`,
/// `Zend_Db_Statement_Exception(code: 23000): ...`): such a message is an
/// error.
const CLASS_ENDINGS: [&str; 2] = ["Error", "Exception"];

/// Level from how the message itself starts (PHP, git, npm, yarn, shells).
/// These words stay in the text: articles quote them.
pub(crate) fn content_level(text: &str) -> Option<Level> {
    let first = *text.as_bytes().first()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    for (prefix, level) in CONTENT_LEVELS {
        if text.starts_with(prefix) {
            return Some(*level);
        }
    }
    for (word, level) in WORD_LEVELS {
        if let Some(after) = text.strip_prefix(word) {
            if after.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit()) {
                return Some(*level);
            }
        }
    }
    let head = text.split_once(": ")?.0;
    let head = head.split_once('(').map_or(head, |(name, _)| name);
    let is_class = !head.contains(' ')
        && first.is_ascii_uppercase()
        && CLASS_ENDINGS.iter().any(|ending| head.ends_with(ending));
    is_class.then_some(Level::Error)
}

/// `-MM-` or the like: the month of a placeholder timestamp.
fn has_placeholder_date(text: &[u8]) -> bool {
    text.windows(4).any(|w| {
        w[0] == b'-' && matches!(w[1], b'M' | b'X') && matches!(w[2], b'M' | b'X') && w[3] == b'-'
    })
}

/// What the prefix parser reacts to, for `log::prefilter`: the words that
/// can make a line error-level (a level word in brackets or before a colon,
/// the platform `E:`, a message's own first words) and CI workflow commands
/// (`##[`), whose step header changes how the lines after it read. Other
/// prefixes only change the text, which a quiet line keeps until it is
/// shown.
pub(crate) fn literals() -> Vec<Literal> {
    let anywhere = |word| Literal {
        word,
        when: When::Anywhere,
    };
    let error_level = |&&(_, level): &&(&str, Level)| level >= Level::Error;
    let level_words = LEVEL_WORDS
        .iter()
        .filter(error_level)
        .map(|&(word, _)| Literal {
            word,
            when: When::If(is_level_token),
        });
    let message_starts = CONTENT_LEVELS
        .iter()
        .chain(WORD_LEVELS)
        .filter(error_level)
        .map(|&(word, _)| anywhere(word));
    level_words
        .chain(message_starts)
        .chain(CLASS_ENDINGS.map(anywhere))
        .chain([
            Literal {
                word: "E:",
                when: When::If(is_platform_mark),
            },
            anywhere("##["),
        ])
        .collect()
}

/// A level word in brackets or before a colon (`[ERR]`, `main.CRIT:`), as
/// [`LEVEL_TOKEN`] takes it.
fn is_level_token(found: &Found) -> bool {
    let bracketed = found.before().last() == Some(&b'[');
    let after = found.after();
    let word_end = after.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let next = after[word_end..].iter().find(|&&b| b != b' ');
    bracketed || matches!(next, Some(b':' | b']'))
}

/// `E:` as written, at the start of a word: first on its line, or behind
/// the other prefixes, which nest in any order (a runner's timestamp, a
/// service's name, `remote:`).
fn is_platform_mark(found: &Found) -> bool {
    found.word() == b"E:" && !found.before().last().is_some_and(u8::is_ascii_alphanumeric)
}

/// Whether a line (trimmed, not empty, printable ASCII) may be nothing but
/// prefixes. A line's text is what its prefixes leave; they can leave
/// nothing only when the line ends the way a prefix does: `W:` (platform),
/// `|` (service), `]` (bracketed timestamp or monolog's `[] []`), a digit,
/// `Z` or `C` (bare timestamp), or how a placeholder timestamp ends (`S`,
/// `M`, `H`, `X`, `:`). Any other last character survives into the text.
pub(crate) fn may_be_only_prefixes(trimmed: &[u8]) -> bool {
    if trimmed.starts_with(b"##[") {
        return true;
    }
    let Some(&last) = trimmed.last() else {
        return false;
    };
    match last {
        // A platform mark alone, perhaps behind other prefixes.
        b':' => {
            trimmed.ends_with(b"W:") || trimmed.ends_with(b"E:") || has_placeholder_date(trimmed)
        }
        b']' => {
            trimmed.ends_with(b"[] []")
                || memchr::memrchr(b'[', trimmed).is_some_and(|open| {
                    trimmed.get(open + 1).is_some_and(u8::is_ascii_digit)
                        || has_placeholder_date(&trimmed[open..])
                })
        }
        b'S' | b'M' | b'H' | b'X' => has_placeholder_date(trimmed),
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
    }
}

/// Lines with prefixes, as the parser meets them: what `log::prefilter`
/// must mark when they make a line error-level or start a step header.
#[cfg(test)]
pub(crate) const EXAMPLES: &[&str] = &[
    "[2019-01-23 00:00:00] CRITICAL: [11] Command failed",
    "[2020-10-28 11:12:45] main.ERROR: Sample error [] []",
    "2024-05-01T10:00:03.1234567Z [2024-05-01 10:00:03][ERROR]: Widget map is stale",
    "[2019-05-08 09:20:32][ERROR]: Incompatibility in data",
    "[20-Jan-2016 14:33:58 UTC] PHP Fatal error:  Out of memory",
    " report.CRITICAL: Can't create directory",
    "[2025-02-24T16:46:00.188335+00:00] INFO: Starting",
    "[2021-02-01T03:54:53,577][INFO ][o.e.n.Node] stopping",
    "ERROR: 137",
    "[ERR] widget store gone",
    "[Crit ] widget store gone",
    "main.ALERT: widget store gone",
    "app.EMERGENCY: widget store gone",
    "EMERG: widget store gone",
    "FATAL: widget store gone",
    "[SEVERE] widget store gone",
    "E: widget store gone",
    "E:",
    "W:",
    "remote: E: widget store gone",
    "     E: widget store gone",
    "2024-05-01T10:00:03Z E: widget store gone",
    "web_1  | E: widget store gone",
    "[2024-05-01 10:00:03]E: widget store gone",
    "##[error]widget store gone",
    "##[group]Run deploy.sh",
    "##[endgroup]",
    "Fatal: widget store gone",
    "fatal: not a git repository",
    "npm ERR! widget store gone",
    "TypeError: widget store gone",
    "Zend_Db_Statement_Exception(code: 23000): widget store gone",
    "error Command failed with exit code 1.",
    "ERROR 2006 (HY000) at line 118",
    "Parse error: widget store gone",
    "Catchable fatal error: widget store gone",
    "2024-05-01T10:00:03.123456789Z stderr F ERROR: [4] Widget failed",
    "2024-05-01T10:00:03.123456789Z stdout F",
    "search_1  | ERROR: [1] bootstrap checks failed",
    "web_1  |",
    "[2024-05-01 10:00:00]",
    "2024-05-01 10:00:00",
    "[YYYY-MM-DD HH:MM:SS] CRITICAL: Fix configuration with given suggestions",
    "[YYYY-MM-DD HH:MM:SS]",
    "YYYY-MM-DD HH:MM:SS",
    "YYYY-MM-DD HH:MM:SS ERROR: widget store gone",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::LogLine;

    fn parse(input: &str) -> Vec<LogLine> {
        crate::log::lines(input.as_bytes())
            .map(|l| l.unwrap())
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
    fn strip_leaves_the_message_and_stripped_names_what_went() {
        for (line, message, prefix) in [
            (
                "E: Error building project",
                "Error building project",
                Some("E: "),
            ),
            ("  plain text", "plain text", None),
            (
                "[2019-01-23 00:00:00] CRITICAL: [11] Command failed",
                "Command failed",
                Some("[2019-01-23 00:00:00] CRITICAL: [11] "),
            ),
            (
                "[YYYY-MM-DD HH:MM:SS] CRITICAL: Fix configuration",
                "Fix configuration",
                Some("[YYYY-MM-DD HH:MM:SS] CRITICAL: "),
            ),
            ("web_1  |   indented", "indented", Some("web_1  |   ")),
            ("ERROR: 137", "ERROR: 137", None),
            ("[0] integration2", "[0] integration2", None),
        ] {
            assert_eq!(strip(line), message, "{line}");
            assert_eq!(stripped(line), prefix, "{line}");
        }
        // A placeholder timestamp is a prefix, and may be all there is.
        assert!(super::parse("YYYY-MM-DD HH:MM:SS").rest.is_empty());
        assert!(may_be_only_prefixes(b"[YYYY-MM-DD HH:MM:SS]"));
        assert!(may_be_only_prefixes(b"YYYY-MM-DD HH:MM:SS"));
        assert!(!may_be_only_prefixes(b"[Done]"));
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
}
