//! Logs stored one JSON record per line: Docker's json-file driver
//! (`{"log":"...\n","stream":"stderr","time":"..."}`), journald's JSON export
//! (`MESSAGE`), and JSON loggers (`msg`/`message` with a `level`).
//!
//! A record is read as the text line it records. A whole file of records is
//! decoded chunk by chunk on the stream's worker threads
//! ([`decode_chunk_into`]) before the failure finder sees it, so that it
//! reads as an ordinary log and keeps its fast path; the normaliser decodes
//! a record wherever else it meets one (line by line, or among other text).

use std::borrow::Cow;

use serde::Deserialize;

use super::Level;

/// The fields a record may keep its text and its level in, by priority.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    log: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow)]
    msg: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "MESSAGE")]
    journal_message: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    level: Option<Cow<'a, str>>,
    #[serde(borrow)]
    severity: Option<Cow<'a, str>>,
    #[serde(borrow)]
    levelname: Option<Cow<'a, str>>,
    #[serde(borrow)]
    level_name: Option<Cow<'a, str>>,
}

/// The text `line` records, if it is a JSON record with a text field. A
/// record's level of warning or above is written before the text the way a
/// text log writes it (`ERROR: ...`), so that one prefix parser reads both.
/// The text keeps any line breaks inside it, but not the one it ends with.
pub(crate) fn record_text(line: &str) -> Option<Cow<'_, str>> {
    let trimmed = line.trim();
    if !(trimmed.starts_with('{') && trimmed.ends_with('}')) {
        return None;
    }
    // Fields of other types (a numeric `level`) make it no record we read.
    let record: Record = serde_json::from_str(trimmed).ok()?;
    let level = [
        &record.level,
        &record.severity,
        &record.levelname,
        &record.level_name,
    ]
    .into_iter()
    .find_map(|l| l.as_deref())
    .and_then(super::prefix::level_word);
    let text = [
        record.log,
        record.message,
        record.msg,
        record.journal_message,
        record.text,
    ]
    .into_iter()
    .flatten()
    .next()?;
    let text = match text {
        Cow::Borrowed(t) => Cow::Borrowed(trim_line_end(t)),
        Cow::Owned(t) => Cow::Owned(trim_line_end(&t).to_string()),
    };
    match level {
        Some(level) if level >= Level::Warning && !text.trim().is_empty() => {
            Some(Cow::Owned(format!("{}: {text}", level_name(level))))
        }
        _ => Some(text),
    }
}

fn trim_line_end(text: &str) -> &str {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.strip_suffix('\r').unwrap_or(text)
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "DEBUG",
        Level::Info => "INFO",
        Level::Notice => "NOTICE",
        Level::Warning => "WARNING",
        Level::Error => "ERROR",
        Level::Critical => "CRITICAL",
    }
}

/// Whether the first line in `head` (the start of a log) is a record.
pub(crate) fn starts_with_record(head: &[u8]) -> bool {
    let Some(end) = memchr::memchr(b'\n', head) else {
        return false;
    };
    std::str::from_utf8(&head[..end])
        .ok()
        .and_then(record_text)
        .is_some()
}

/// Appends the text `body` (one line, without its `\n`) records, or `body`
/// itself when it is no record. A record of several lines stays one
/// physical line, for the normaliser to split: line numbers must stay the
/// file's.
fn decode_line(body: &[u8], out: &mut Vec<u8>) {
    match std::str::from_utf8(body).ok().and_then(record_text) {
        Some(text) if !text.contains('\n') => out.extend_from_slice(text.as_bytes()),
        _ => out.extend_from_slice(body),
    }
}

/// A chunk of whole lines of a log of records, decoded: the same lines, one
/// for one. When the chunk `continues` a line too long for one chunk (no
/// record a runtime writes), its first line passes through as it is.
#[cfg(test)]
fn decode_chunk(data: &[u8], continues: bool) -> Vec<u8> {
    let mut out = Vec::new();
    decode_chunk_into(data, continues, &mut out);
    out
}

/// [`decode_chunk`] into `out` (cleared first), so that a worker reuses one
/// buffer for all its chunks.
pub(crate) fn decode_chunk_into(data: &[u8], continues: bool, out: &mut Vec<u8>) {
    out.clear();
    let mut lines = data.split_inclusive(|&b| b == b'\n');
    if continues {
        out.extend_from_slice(lines.next().unwrap_or_default());
    }
    for line in lines {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        decode_line(body, out);
        if body.len() < line.len() {
            out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(input: &str) -> String {
        String::from_utf8(decode_chunk(input.as_bytes(), false)).unwrap()
    }

    #[test]
    fn records_read_as_their_text() {
        assert_eq!(
            record_text(r#"{"log":"Widget failed\n","stream":"stderr"}"#).as_deref(),
            Some("Widget failed")
        );
        assert_eq!(
            record_text(r#"{"level":"error","msg":"no widget store","ts":1.5}"#).as_deref(),
            Some("ERROR: no widget store")
        );
        assert_eq!(
            record_text(r#"{"MESSAGE":"Widget sync done","PRIORITY":"6"}"#).as_deref(),
            Some("Widget sync done")
        );
        assert_eq!(record_text(r#"{"widgets":3}"#), None);
        assert_eq!(record_text("Widget failed"), None);
        assert_eq!(record_text(r#"{"log": 3}"#), None);
    }

    #[test]
    fn a_file_of_records_reads_as_a_log() {
        let input = concat!(
            r#"{"log":"Loading widgets\n","stream":"stdout"}"#,
            "\n",
            "not a record\n",
            r#"{"log":"  [WidgetException]  \n","stream":"stderr"}"#,
            "\n",
            r#"{"log":"two\nlines\n"}"#,
            "\n",
            r#"{"log":"no newline at the end","stream":"stderr"}"#,
        );
        assert_eq!(
            decoded(input),
            "Loading widgets\nnot a record\n  [WidgetException]  \n{\"log\":\"two\\nlines\\n\"}\nno newline at the end"
        );
        assert!(starts_with_record(input.as_bytes()));
        assert!(!starts_with_record(b"not a record\n"));
    }

    #[test]
    fn a_chunk_decodes_line_for_line() {
        let chunk = concat!(
            r#"{"log":"Loading widgets\n","stream":"stdout"}"#,
            "\nnot a record\n",
            r#"{"log":"no newline at the end"}"#,
        );
        assert_eq!(
            decode_chunk(chunk.as_bytes(), false),
            b"Loading widgets\nnot a record\nno newline at the end"
        );
        // The tail of a line too long to decode stays as it is.
        let tail = format!(
            "{}\n{}\n",
            r#"x","stream":"stderr"}"#, r#"{"log":"after\n"}"#
        );
        assert_eq!(
            decode_chunk(tail.as_bytes(), true),
            format!("{}\nafter\n", r#"x","stream":"stderr"}"#).as_bytes()
        );
    }
}
