//! Template syntax left in documentation source, taken out before the
//! Markdown is parsed, the way a reader of the published page never sees it.
//!
//! Documentation is kept as templates (Liquid and Jekyll `{% ... %}` and
//! `{{ ... }}`, Hugo shortcodes `{{< ... >}}`, MkDocs `!!! note`, Docusaurus
//! `:::tip`), and triage reads the source, not the rendered site. What a tag
//! stands for cannot be known without the publisher's data files, so:
//! - a block tag (a condition, a per-platform block, `raw`) goes and its
//!   content stays, every branch of it;
//! - an include or a data value goes; inside code, a value becomes a
//!   placeholder in capitals (`{% data variables.product.url %}` in
//!   `ssh -T git@{% ... %}` becomes `PRODUCT-URL`), which signature
//!   extraction turns into a wildcard, as it does the publisher's own
//!   placeholders (`USERNAME`);
//! - a comment goes with its content;
//! - a callout (`{% note %}`, `!!! tip`, `:::warning`) becomes a `> [!NOTE]`
//!   admonition, which the Markdown parser reads as a side remark;
//! - a line that held only tags goes, so that a list around it stays one list.
//!
//! `{{ ... }}` is read as a template value only in a document that uses a
//! template language (`{%`, `{{<` or `{{%` somewhere): elsewhere authors write
//! `{{project-id}}` as a placeholder for the reader to fill in.

use regex::Regex;
use std::borrow::Cow;

use crate::lazy::lazy;

lazy! {
    /// `{% raw %}`, with Liquid's optional `-` trims.
    static RAW_OPEN: Regex = Regex::new(r"\{%-?\s*raw\s*-?%\}").expect("valid regex");
}
lazy! {
    static RAW_CLOSE: Regex = Regex::new(r"\{%-?\s*endraw\s*-?%\}").expect("valid regex");
}

/// Callout tags and the admonition each becomes.
const CALLOUTS: &[(&str, &str)] = &[
    ("note", "NOTE"),
    ("tip", "TIP"),
    ("info", "NOTE"),
    ("important", "IMPORTANT"),
    ("warning", "WARNING"),
    ("caution", "CAUTION"),
    ("danger", "CAUTION"),
];

/// Tags whose content is not text of the page.
const COMMENT_TAGS: &[&str] = &["comment", "capture"];

/// What a tag does to the text around it.
#[derive(Debug, PartialEq, Eq)]
enum Tag<'a> {
    /// Opens a callout of this kind.
    CalloutOpen(&'static str),
    CalloutClose,
    CommentOpen,
    CommentClose,
    RawOpen,
    RawClose,
    /// A value that cannot be resolved (named, for a placeholder in code).
    Value(&'a str),
    /// Anything else: a condition, a platform block, an include.
    Other,
}

fn classify(inner: &str) -> Tag<'_> {
    let inner = inner.trim_matches(|c: char| c == '-' || c.is_whitespace());
    let mut words = inner.split_whitespace();
    let name = words.next().unwrap_or("").trim_start_matches('/');
    let closing = inner.starts_with('/') || name.starts_with("end");
    let base = name.strip_prefix("end").unwrap_or(name);
    if let Some(&(_, kind)) = CALLOUTS.iter().find(|(tag, _)| *tag == base) {
        return if closing {
            Tag::CalloutClose
        } else {
            Tag::CalloutOpen(kind)
        };
    }
    if COMMENT_TAGS.contains(&base) {
        return if closing {
            Tag::CommentClose
        } else {
            Tag::CommentOpen
        };
    }
    if base == "raw" {
        return if closing { Tag::RawClose } else { Tag::RawOpen };
    }
    if name == "data" {
        let path = words.next().unwrap_or("");
        // `data reusables.x` is an include: text of its own, not a value.
        return if path.starts_with("reusables") {
            Tag::Other
        } else {
            Tag::Value(path)
        };
    }
    Tag::Other
}

/// The placeholder a value becomes inside code: its last name, in
/// capitals (`variables.product.product_url` -> `PRODUCT-URL`).
fn placeholder(path: &str) -> String {
    let last = path
        .rsplit(['.', ' '])
        .find(|p| p.chars().any(char::is_alphanumeric))
        .unwrap_or("VALUE");
    let mut out: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '-'
            }
        })
        .collect();
    // One-word placeholders are read as names; two words joined are not
    // mistaken for an acronym or a shouted word.
    if !out.contains('-') {
        out.push_str("-VALUE");
    }
    out
}

/// One piece of a line: text, or a template tag.
enum Piece<'a> {
    Text(&'a str),
    Tag(Tag<'a>),
}

/// Splits a line at its template tags. `values` says whether `{{ ... }}` is
/// template syntax in this document.
fn pieces(line: &str, values: bool) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = next_tag(rest, values) {
        let (open, close) = match &rest[start..start + 2] {
            "{%" => ("{%", "%}"),
            "{#" => ("{#", "#}"),
            _ if rest[start..].starts_with("{{<") => ("{{<", ">}}"),
            _ if rest[start..].starts_with("{{%") => ("{{%", "%}}"),
            _ => ("{{", "}}"),
        };
        let Some(len) = rest[start + open.len()..].find(close) else {
            break;
        };
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let inner = &rest[start + open.len()..start + open.len() + len];
        let tag = match open {
            "{#" => Tag::Other,
            "{{" => Tag::Value(inner.trim()),
            _ => classify(inner),
        };
        out.push(Piece::Tag(tag));
        rest = &rest[start + open.len() + len + close.len()..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

fn next_tag(text: &str, values: bool) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find('{') {
        let at = from + at;
        match text.as_bytes().get(at + 1) {
            Some(b'%' | b'#') => return Some(at),
            Some(b'{') if values => return Some(at),
            _ => from = at + 1,
        }
    }
    None
}

/// A fenced code block's opening or closing fence: its character and length.
fn fence(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start();
    let c = trimmed.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let len = trimmed.chars().take_while(|&x| x == c).count();
    (len >= 3).then_some((c, len))
}

/// An MkDocs (`!!! note "Title"`) or Docusaurus (`:::tip Title`) callout
/// opening, with its admonition kind.
fn callout_opening(line: &str) -> Option<(&'static str, bool)> {
    let trimmed = line.trim();
    let (rest, indented) = if let Some(rest) = trimmed.strip_prefix("!!!") {
        (rest, true)
    } else if let Some(rest) = trimmed.strip_prefix("???") {
        (rest.trim_start_matches('+'), true)
    } else if let Some(rest) = trimmed.strip_prefix(":::") {
        (rest, false)
    } else {
        return None;
    };
    let word = rest
        .trim_start()
        .split(|c: char| !c.is_alphanumeric())
        .next()?
        .to_lowercase();
    CALLOUTS
        .iter()
        .find(|(tag, _)| *tag == word)
        .map(|&(_, kind)| (kind, indented))
}

/// Whether the text uses a template language, so that `{{ ... }}` is one.
fn uses_templates(text: &str) -> bool {
    text.contains("{%") || text.contains("{{<") || text.contains("{{%")
}

/// `source` with its template syntax taken out (see the module comment).
pub fn strip(source: &str) -> Cow<'_, str> {
    let values = uses_templates(source);
    if !values && !source.contains("{#") && !source.contains("!!!") && !source.contains(":::") {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    let mut code: Option<(char, usize)> = None;
    let mut raw = false;
    let mut comment = 0usize;
    // Open callouts: whether each is an indented (MkDocs) one.
    let mut callouts: Vec<bool> = Vec::new();
    for line in source.lines() {
        // An indented callout ends at the first line that is not indented.
        while callouts.last() == Some(&true)
            && !line.trim().is_empty()
            && !line.starts_with("    ")
            && !line.starts_with('\t')
        {
            callouts.pop();
            // A blank line ends the quote, so that a callout next to it
            // stays a callout of its own.
            out.push('\n');
        }
        let quote = "> ".repeat(callouts.len());
        if let Some((c, len)) = fence(line) {
            match code {
                Some((open, open_len)) if open == c && len >= open_len => code = None,
                None => code = Some((c, len)),
                _ => {}
            }
        } else if code.is_none() && !raw && comment == 0 {
            if let Some((kind, indented)) = callout_opening(line) {
                out.push_str(&quote);
                out.push_str(&format!("> [!{kind}]\n"));
                callouts.push(indented);
                continue;
            }
            if line.trim() == ":::" && callouts.last() == Some(&false) {
                callouts.pop();
                out.push('\n');
                continue;
            }
        }
        let in_code = code.is_some();
        let mut text = String::new();
        let mut had_tag = false;
        // A `raw` span may open and close within the line: what it holds is
        // text as written, the rest of the line is template as usual.
        let mut rest = line;
        loop {
            if raw {
                match RAW_CLOSE.find(rest) {
                    Some(end) => {
                        raw = false;
                        had_tag = true;
                        text.push_str(&rest[..end.start()]);
                        rest = &rest[end.end()..];
                        continue;
                    }
                    None => {
                        text.push_str(rest);
                        break;
                    }
                }
            }
            let open = RAW_OPEN.find(rest).filter(|_| comment == 0);
            let head = open.map_or(rest, |m| &rest[..m.start()]);
            for piece in pieces(head, values) {
                match piece {
                    Piece::Text(t) if comment == 0 => text.push_str(t),
                    Piece::Text(_) => {}
                    Piece::Tag(tag) => {
                        had_tag = true;
                        match tag {
                            Tag::CommentOpen => comment += 1,
                            Tag::CommentClose => comment = comment.saturating_sub(1),
                            _ if comment > 0 => {}
                            // Found by `RAW_OPEN` unless written oddly.
                            Tag::RawOpen => raw = true,
                            Tag::RawClose => {}
                            Tag::CalloutOpen(kind) => {
                                if !in_code {
                                    out.push_str(&quote);
                                    out.push_str(&format!("> [!{kind}]\n"));
                                    callouts.push(false);
                                }
                            }
                            Tag::CalloutClose => {
                                if !in_code && callouts.last() == Some(&false) {
                                    callouts.pop();
                                }
                            }
                            Tag::Value(name) if in_code => text.push_str(&placeholder(name)),
                            Tag::Value(_) | Tag::Other => {}
                        }
                    }
                }
            }
            match open {
                Some(m) => {
                    raw = true;
                    had_tag = true;
                    rest = &rest[m.end()..];
                }
                None => break,
            }
        }
        if comment > 0 && !had_tag {
            continue;
        }
        // A line that held only tags goes altogether.
        if had_tag && text.trim().is_empty() {
            continue;
        }
        let quote = "> ".repeat(callouts.len());
        let body = if callouts.last() == Some(&true) {
            text.strip_prefix("    ")
                .or_else(|| text.strip_prefix('\t'))
                .unwrap_or(&text)
        } else {
            text.as_str()
        };
        if !in_code && had_tag {
            out.push_str(&quote);
            out.push_str(&tidy(body));
        } else {
            out.push_str(&quote);
            out.push_str(body);
        }
        out.push('\n');
    }
    Cow::Owned(out)
}

/// Prose a dropped value left ragged: doubled spaces, a space before
/// punctuation, a possessive without its owner ("Allowing 's IP").
fn tidy(text: &str) -> String {
    let indent = text.len() - text.trim_start().len();
    let mut out = String::from(&text[..indent]);
    let mut words: Vec<&str> = text.split_whitespace().collect();
    words.retain(|w| *w != "'s" && *w != "’s");
    let joined = words.join(" ");
    let joined = joined
        .replace(" .", ".")
        .replace(" ,", ",")
        .replace(" :", ":")
        .replace("( ", "(")
        .replace(" )", ")");
    out.push_str(&joined);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_and_platform_blocks_keep_their_content() {
        let src = "{% ifversion fpt %}\nOn the cloud.\n{% else %}\nOn a server.\n{% endif %}\n\
                   1. First.\n{% mac %}\n1. Open Terminal.\n{% endmac %}\n1. Last.\n";
        assert_eq!(
            strip(src),
            "On the cloud.\nOn a server.\n1. First.\n1. Open Terminal.\n1. Last.\n"
        );
    }

    #[test]
    fn values_are_dropped_in_prose_and_placeholders_in_code() {
        let src = "Sign in to {% data variables.product.prodname_dotcom %}'s site.\n\
                   ```\n$ ssh -T git@{% data variables.product.product_url %}\n```\n";
        assert_eq!(
            strip(src),
            "Sign in to site.\n```\n$ ssh -T git@PRODUCT-URL\n```\n"
        );
        assert_eq!(placeholder("site.title"), "TITLE-VALUE");
    }

    #[test]
    fn includes_and_comments_go() {
        let src = "{% data reusables.command_line.open_the_terminal %}\nKeep.\n\
                   {% comment %}\nHidden.\n{% endcomment %}\nAlso {# aside #}kept.\n";
        assert_eq!(strip(src), "Keep.\nAlso kept.\n");
    }

    #[test]
    fn raw_content_is_left_as_written() {
        let src = "{% raw %}\n{{ page.title }} and {% if %}\n{% endraw %}\nafter {{ x }}\n";
        assert_eq!(strip(src), "{{ page.title }} and {% if %}\nafter\n");
    }

    #[test]
    fn raw_within_one_line_keeps_its_content() {
        let src = "Use {% raw %}`{{ site.url }}`{% endraw %} in {{ x }} links.\n";
        assert_eq!(strip(src), "Use `{{ site.url }}` in links.\n");
        let src = "{%- raw -%}{{ a }}{%- endraw -%} and {% raw %}{% b %}\nc\n{% endraw %}\n";
        assert_eq!(strip(src), "{{ a }} and {% b %}\nc\n");
    }

    #[test]
    fn callouts_become_admonitions() {
        assert_eq!(
            strip("{% tip %}\n\n**Tip:** Use SSH.\n\n{% endtip %}\nAfter.\n"),
            "> [!TIP]\n> \n> **Tip:** Use SSH.\n> \nAfter.\n"
        );
        assert_eq!(
            strip("!!! warning \"Careful\"\n    Back up first.\n\nAfter.\n"),
            "> [!WARNING]\n> Back up first.\n> \n\nAfter.\n"
        );
        assert_eq!(
            strip(":::tip Good to know\nUse SSH.\n:::\nAfter.\n"),
            "> [!TIP]\n> Use SSH.\n\nAfter.\n"
        );
    }

    #[test]
    fn hugo_shortcodes_keep_their_content() {
        let src = "{{< highlight go >}}\nfmt.Println()\n{{< /highlight >}}\nSee {{% param x %}}.\n";
        assert_eq!(strip(src), "fmt.Println()\nSee.\n");
    }

    #[test]
    fn without_a_template_language_braces_are_the_author_s() {
        let src = "Run `ssh {{cloud-project-id}}` now.\n";
        assert!(matches!(strip(src), Cow::Borrowed(_)));
    }
}
