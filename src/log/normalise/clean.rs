//! Physical-line cleaning: colours, invalid UTF-8, carriage returns, and
//! colour codes that lost their escape byte.

use std::borrow::Cow;

use crate::log::prefilter::{Literal, When};

/// What cleaning reacts to in a line of printable ASCII, for
/// `log::prefilter`: a colour code that lost its escape byte (`?[`; the
/// `←[` form and all the rest are bytes outside printable ASCII).
pub(super) const LITERALS: &[Literal] = &[Literal {
    word: "?[",
    when: When::Anywhere,
}];

/// Colours removed, invalid UTF-8 replaced, carriage returns resolved the way
/// a terminal shows them: the text after the last `\r` overwrote what was
/// before it (progress bars), so the last non-blank segment is kept.
pub(super) fn clean_physical(bytes: &[u8]) -> Cow<'_, str> {
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

/// Removes colour codes that lost their escape byte on the way: consoles and
/// issue trackers render ESC as `←` or `?`, leaving `←[0;31m` in the text.
/// Real ESC sequences that survived JSON unescaping (`\u001b[31m`) go too.
pub(super) fn strip_visible_escapes(text: &str) -> Cow<'_, str> {
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

/// Whether `c` is a control character a terminal does not print: all but
/// the tab, and the carriage return and escape, which cleaning resolves
/// before this.
fn is_unprinted(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\r' | '\x1b')
}

/// The text as a terminal shows it: control characters (NUL, bell, form
/// feed, DEL, the C1 range ...) take no room and are dropped, and a
/// backspace moves back over the character before it, which what follows
/// overwrites (`_\x08a`, the overstrike of formatted manual pages, is `a`).
/// A NUL inside `ERR\0OR` showed as `ERROR` but did not match it.
pub(super) fn strip_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unprinted) {
        return Cow::Borrowed(text);
    }
    let mut shown: Vec<char> = Vec::with_capacity(text.len());
    let mut cursor: usize = 0;
    for c in text.chars() {
        if c == '\x08' {
            cursor = cursor.saturating_sub(1);
        } else if !is_unprinted(c) {
            if cursor < shown.len() {
                shown[cursor] = c;
            } else {
                shown.push(c);
            }
            cursor += 1;
        }
    }
    Cow::Owned(shown.into_iter().collect())
}

/// Lines that cleaning changes.
#[cfg(test)]
pub(super) const EXAMPLES: &[&str] = &[
    "?[0;31mred?[0m",
    "\u{2190}[0;31mred",
    "\x1b[31mERROR:\x1b[0m disk full",
    "Downloading 10%\rDownloading 100%",
    "tab\there",
    "ERR\0OR: disk full",
    "ERR\x7fOR: disk full",
    "bell\x07 and form feed\x0c",
    "_\x08E_\x08R_\x08R_\x08O_\x08R: overstruck",
];

#[cfg(test)]
mod tests {
    use super::super::{lines, parse, texts};
    use super::*;
    use crate::log::{Level, LogLine};

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
    fn control_characters_are_read_as_a_terminal_shows_them() {
        assert_eq!(texts("ERR\0OR: disk\0 full\n"), ["disk full"]);
        assert_eq!(parse("ERR\0OR: disk full\n")[0].level, Some(Level::Error));
        assert_eq!(
            texts("bell\x07 and feed\x0c and del\x7f\n"),
            ["bell and feed and del"]
        );
        assert_eq!(texts("\u{85}next line\u{9b}\n"), ["next line"]);
        assert_eq!(
            texts("_\x08F_\x08a_\x08t_\x08a_\x08l error: x\n"),
            ["Fatal error: x"]
        );
        assert_eq!(texts("typo\x08\x08\x08\x08Fatal\n"), ["Fatal"]);
        assert_eq!(texts("tab\tkept\n"), ["tab\tkept"]);
        // Escaped in a JSON record, decoded, then removed.
        assert_eq!(
            texts("{\"log\":\"ERR\\u0000OR: disk full\\n\"}\n"),
            ["disk full"]
        );
    }
}
