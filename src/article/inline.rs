//! Inline text shared by the HTML and Markdown parsers: one accumulator that
//! both feed, so that cleaning, links, code spans and "is this paragraph all
//! underlined" are decided the same way for every format.

use crate::lazy::lazy;

use regex::Regex;

use super::model::RelatedLink;

lazy! {
    /// Publishing-system extensions of the form `[!WORD text]`: only the text is
    /// content. Admonition markers (`[!NOTE]`) have no text and are left alone.
    static EXTENSION: Regex = Regex::new(r"\[![A-Z]+\s+([^\[\]]*)\]").expect("valid regex");
}
lazy! {
    /// Build-time includes (`{{$include /path.md}}`) carry no words of their own.
    static INCLUDE: Regex = Regex::new(r"\{\{\$[^}]*\}\}").expect("valid regex");
}

lazy! {
    /// Markdown link syntax that the parser did not turn into a link (inside
    /// a code span, or with an unbalanced URL): the words are the content.
    static LEFTOVER_LINK: Regex = {
        Regex::new(r"!?\[([^\[\]]*)\]\(([^()\s]|\([^()\s]*\))*\)").expect("valid regex")
    };
}

/// Removes publishing-system syntax that is not content.
pub fn strip_extensions(text: &str) -> String {
    let text = INCLUDE.replace_all(text, "");
    EXTENSION.replace_all(&text, "$1").into_owned()
}

/// One line of prose: whitespace collapsed, extensions removed.
/// Zero-width characters pasted from editors split words invisibly.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
    )
}

pub fn clean(text: &str) -> String {
    let text: String = text.chars().filter(|&c| !is_invisible(c)).collect();
    let text = strip_extensions(&text);
    let text = LEFTOVER_LINK.replace_all(&text, "$1");
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    // Space before closing punctuation is an artefact of dropped markup
    // ("<u>Expected result</u> :"), not of the author.
    // One pass each: spaces are single, so no removal makes a new match.
    if out.contains(" :") {
        out = out.replace(" :", ":");
    }
    if out.contains(" ,") {
        out = out.replace(" ,", ",");
    }
    out
}

/// Preformatted text keeps its lines; only trailing spaces and surrounding
/// blank lines go.
pub fn clean_code(text: &str) -> String {
    let text: String = text
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| if c == '\u{a0}' { ' ' } else { c })
        .collect();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let start = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |i| i + 1);
    let body = lines[start..end].join("\n");
    strip_extensions(&body)
}

/// HTML element names, so that `<install_dir>`-style placeholders written
/// inline in Markdown are kept as text while real tags are dropped.
pub fn is_html_tag_name(name: &str) -> bool {
    const TAGS: &[&str] = &[
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "iframe",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "s",
        "samp",
        "section",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "u",
        "ul",
        "var",
        "video",
    ];
    TAGS.contains(&name.to_ascii_lowercase().as_str())
}

/// Elements whose whole content, when it is the whole paragraph, makes the
/// paragraph a pseudo-heading.
pub fn is_emphasis_tag(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "u" | "ins" | "b" | "strong"
    )
}

/// Accumulates the inline content of one paragraph, heading, list item or
/// table cell.
#[derive(Debug, Default)]
pub struct InlineBuf {
    text: String,
    /// Characters written while inside underline/bold, to decide `emphasised`.
    emphasised_chars: usize,
    plain_chars: usize,
    emphasis_depth: usize,
    pub code_spans: Vec<String>,
    pub links: Vec<RelatedLink>,
    link_start: Vec<(usize, String)>,
    italic_start: Vec<usize>,
}

impl InlineBuf {
    pub fn push_text(&mut self, text: &str) {
        for c in text.chars() {
            // Punctuation around an underlined label ("<u>Cause</u>:") does
            // not make it less of a heading.
            if c.is_alphanumeric() {
                if self.emphasis_depth > 0 {
                    self.emphasised_chars += 1;
                } else {
                    self.plain_chars += 1;
                }
            }
        }
        self.text.push_str(text);
    }

    pub fn push_code(&mut self, code: &str) {
        let code_clean = clean(code);
        if !code_clean.is_empty() {
            self.code_spans.push(code_clean.clone());
        }
        self.push_text(code);
    }

    pub fn line_break(&mut self) {
        self.text.push(' ');
    }

    pub fn open_emphasis(&mut self) {
        self.emphasis_depth += 1;
    }

    pub fn close_emphasis(&mut self) {
        self.emphasis_depth = self.emphasis_depth.saturating_sub(1);
    }

    /// Italics are where many articles quote the error they are about
    /// ("fails with error message: *current version ... is not supported*"),
    /// so an italic span is offered for symptom detection like inline code.
    pub fn open_italic(&mut self) {
        self.italic_start.push(self.text.len());
    }

    pub fn close_italic(&mut self) {
        if let Some(start) = self.italic_start.pop() {
            let span = clean(self.text.get(start..).unwrap_or_default());
            if span.chars().count() >= 12 && !self.code_spans.contains(&span) {
                self.code_spans.push(span);
            }
        }
    }

    pub fn open_link(&mut self, url: &str) {
        self.link_start.push((self.text.len(), url.to_string()));
    }

    pub fn close_link(&mut self) {
        if let Some((start, url)) = self.link_start.pop() {
            let text = clean(self.text.get(start..).unwrap_or_default());
            let url = url.trim().to_string();
            if !url.is_empty() && !url.starts_with('#') && !text.is_empty() {
                self.links.push(RelatedLink { text, url });
            }
        }
    }

    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// The cleaned text and whether it was entirely underlined or bold.
    pub fn finish(self) -> InlineContent {
        let emphasised = self.emphasised_chars > 0 && self.plain_chars == 0;
        InlineContent {
            text: clean(&self.text),
            emphasised,
            code_spans: self.code_spans,
            links: self.links,
        }
    }
}

pub struct InlineContent {
    pub text: String,
    pub emphasised: bool,
    pub code_spans: Vec<String>,
    pub links: Vec<RelatedLink>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_collapses_and_strips_extensions() {
        assert_eq!(
            clean("Go to  [!UICONTROL Stores] >\n [!DNL Config] {{$include /x.md}} now"),
            "Go to Stores > Config now"
        );
        assert_eq!(clean("[!NOTE]"), "[!NOTE]");
        assert_eq!(
            clean("edit your [hosts](https://x/H_(file)) now"),
            "edit your hosts now"
        );
    }

    #[test]
    fn clean_code_keeps_lines() {
        assert_eq!(clean_code("\n  a  \n b\n\n"), "  a\n b");
    }

    #[test]
    fn underlined_label_with_colon_is_emphasised() {
        let mut buf = InlineBuf::default();
        buf.open_emphasis();
        buf.push_text("Expected result");
        buf.close_emphasis();
        buf.push_text(":");
        let done = buf.finish();
        assert!(done.emphasised);
        assert_eq!(done.text, "Expected result:");
    }

    #[test]
    fn partly_underlined_is_not_emphasised() {
        let mut buf = InlineBuf::default();
        buf.push_text("mail ");
        buf.open_emphasis();
        buf.push_text("a@b");
        buf.close_emphasis();
        assert!(!buf.finish().emphasised);
    }
}
