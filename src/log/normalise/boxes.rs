//! Console exception boxes joined back into logical lines.

use std::collections::VecDeque;

use super::{make_line, MAX_TEXT_BYTES};
use crate::log::prefilter::{Found, Literal, When};
use crate::log::{Level, LogLine};

/// A whitespace-only line at least this wide is the padding row of a console
/// box, not an ordinary blank line.
const MIN_PAD_WIDTH: usize = 8;
/// Without padding to measure the box, a row is only taken as cut at the
/// terminal width when the widest row is at least this wide: no terminal is
/// narrower, and short two-row messages must not be glued together.
const MIN_WRAP_WIDTH: usize = 40;
/// A box paragraph is flushed after this many rows so that a runaway box
/// (a padded table, say) cannot hold memory.
const MAX_BOX_ROWS: usize = 64;

/// What an idle box assembler reacts to, for `log::prefilter`: padding at
/// a line's end (a padding row, or a padded row that opens a box), a title
/// (`[Some\Exception]`) and a header (`In X.php line 3:`).
pub(super) const LITERALS: &[Literal] = &[
    Literal {
        word: "  ",
        when: When::AtEnd(may_open_a_box),
    },
    Literal {
        word: "]",
        when: When::AtEnd(closes_a_title),
    },
    Literal {
        word: " line ",
        when: When::Anywhere,
    },
];

/// A padding row, or a padded row indented once the prefixes are gone.
/// Most are told by their bytes: indented by the line itself, or by a
/// space too many after `W:` or `|`; the rest, by what the prefix parser
/// leaves of them.
fn may_open_a_box(found: &Found) -> bool {
    let line = found.line();
    let by_bytes = if line.iter().all(|&b| b == b' ') {
        line.len() >= MIN_PAD_WIDTH
    } else {
        line[0] == b' '
            || [&b"W:  "[..], b"E:  ", b"|  "]
                .iter()
                .any(|p| memchr::memmem::find(line, p).is_some())
    };
    by_bytes || std::str::from_utf8(line).map_or(true, opens_a_box)
}

/// Whether an idle assembler opens a box for (or is armed by) the line
/// `text` (printable ASCII: cleaning leaves it as it is).
fn opens_a_box(text: &str) -> bool {
    let prefix = crate::log::prefix::parse(text);
    if prefix.structured.is_some() {
        return false;
    }
    let rest = prefix.rest;
    let trimmed = rest.trim();
    if trimmed.is_empty() {
        return rest.len() >= MIN_PAD_WIDTH;
    }
    is_header(trimmed) || is_title(trimmed) || (is_indented(rest) && is_padded(rest))
}

/// The `]` of a bracket that holds one word, as a title's does.
fn closes_a_title(found: &Found) -> bool {
    let before = found.before();
    let inner = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'\\'))
        .count();
    before.len() > inner && before[before.len() - inner - 1] == b'['
}

/// One prefix-parsed piece handed to the box assembler.
pub(super) struct Piece<'a> {
    pub(super) number: usize,
    pub(super) platform: Option<Level>,
    pub(super) structured: Option<Level>,
    pub(super) code: Option<String>,
    pub(super) rest: &'a str,
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
pub(super) struct BoxAssembler {
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
    /// No box is open, and no header waits for one.
    pub(super) fn is_idle(&self) -> bool {
        self.open.is_none() && !self.armed
    }

    pub(super) fn close(&mut self, out: &mut VecDeque<LogLine>) {
        if let Some(mut open) = self.open.take() {
            open.end_paragraph(out);
        }
    }

    pub(super) fn push(&mut self, piece: Piece, out: &mut VecDeque<LogLine>) {
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

/// Lines an idle assembler acts on.
#[cfg(test)]
pub(super) const EXAMPLES: &[&str] = &[
    "  [Some\\TransportException]  ",
    "[Acme\\Thing]",
    "[Widget]",
    "In Widget.php line 3:",
    "  row of a box  ",
    "          ",
    "W:   padded row  ",
    "  [WidgetException]       ",
];

#[cfg(test)]
mod tests {
    use super::super::{parse, texts};

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
}
