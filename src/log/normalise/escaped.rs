//! Lines inside a line: a JSON log record met among other lines, and a
//! whole log pasted as one JSON-escaped string.

use crate::lazy::lazy;
use std::borrow::Cow;

use regex::Regex;

use crate::log::prefilter::{Found, Literal, When};

/// What splitting reacts to, for `log::prefilter`: a JSON-escaped newline,
/// and a JSON record, whose text and level are not its bytes.
pub(super) const LITERALS: &[Literal] = &[
    Literal {
        word: "\\n",
        when: When::Anywhere,
    },
    Literal {
        word: "}",
        when: When::AtEnd(closes_a_record),
    },
];

/// The `}` of a line that starts with `{`, as a JSON record does.
fn closes_a_record(found: &Found) -> bool {
    found.line().trim_ascii_start().starts_with(b"{")
}

/// The lines of a JSON log record met among other lines (a whole file of
/// them is decoded as it is read: see `log::record`).
pub(super) fn json_record(line: &str) -> Option<Vec<Cow<'_, str>>> {
    let text = crate::log::record::record_text(line)?;
    if !text.contains('\n') {
        return Some(vec![text]);
    }
    Some(
        text.split('\n')
            .map(|l| Cow::Owned(l.to_string()))
            .collect(),
    )
}

lazy! {
    /// The start of a JSON object up to the opening quote of a string value,
    /// after any number of simple members: `{"status":"failed","log":"`.
    static JSON_WRAPPER: Regex = {
        Regex::new(concat!(
            r#"^\s*\{(?:\s*"[^"\\]*"\s*:\s*(?:"(?:[^"\\]|\\.)*"|-?[\d.]+|true|false|null)\s*,)*"#,
            r#"\s*"[^"\\]*"\s*:\s*""#,
        ))
        .expect("JSON wrapper pattern")
    };
}

/// If `line` is a log pasted as one JSON string (its newlines written `\n`),
/// returns its unescaped lines. Windows paths and namespaces also contain
/// `\n` (`C:\node`, `Vendor\newsletter`), but there a lower-case letter
/// follows. So it takes two `\n` followed by something else, or two of any
/// kind when the line also has escapes that paths never have (`\"`, `\u`).
pub(super) fn split_escaped(line: &str) -> Option<Vec<String>> {
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

/// Lines that hold other lines.
#[cfg(test)]
pub(super) const EXAMPLES: &[&str] = &[
    r"first\nSecond line\nThird line",
    r#"{"log":"step one\nstep two"}"#,
    r#"{"level":"fatal","msg":"widget store gone"}"#,
    r#"{"level":"critical","message":"widget store gone"}"#,
    r#"{"severity":"ERR","msg":"widget store gone"}"#,
    r#"  {"msg":"widget store gone","level":"emerg"}"#,
    r#"{"log":""}"#,
    r#"{"MESSAGE":"","PRIORITY":"3"}"#,
];

#[cfg(test)]
mod tests {
    use super::super::{parse, texts};
    use super::*;

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
}
