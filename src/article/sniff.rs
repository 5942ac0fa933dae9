//! Decides from the content, never the file name, whether a body is HTML or
//! Markdown: exports are named `.txt` whatever they hold.

use super::inline::is_html_tag_name;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Html,
    Markdown,
}

pub fn sniff(body: &str) -> BodyKind {
    let mut html_lines = 0usize;
    let mut markdown_lines = 0usize;
    for line in body.lines().map(str::trim_start).filter(|l| !l.is_empty()) {
        if starts_with_html_tag(line) {
            html_lines += 1;
        } else if is_markdown_line(line) {
            markdown_lines += 1;
        }
    }
    // Markdown pages embed HTML tables that can outnumber their Markdown
    // lines; an HTML export opens with markup, a Markdown page with text or
    // a `#` title.
    let opens_with_markup = body
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty())
        .is_some_and(starts_with_html_tag);
    if opens_with_markup && html_lines > markdown_lines {
        BodyKind::Html
    } else {
        BodyKind::Markdown
    }
}

fn starts_with_html_tag(line: &str) -> bool {
    if line.starts_with("<!--") {
        return true;
    }
    let Some(rest) = line.strip_prefix('<') else {
        return false;
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    !name.is_empty() && is_html_tag_name(&name)
}

fn is_markdown_line(line: &str) -> bool {
    let ordered = {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && line[digits..].starts_with(". ")
    };
    line.starts_with('#')
        || line.starts_with("* ")
        || line.starts_with("- ")
        || line.starts_with('>')
        || line.starts_with("```")
        || line.starts_with('|')
        || ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_body() {
        assert_eq!(
            sniff("<p>Intro</p>\n<h2>Issue</h2>\n<ul>\n<li>x</li>\n</ul>\n"),
            BodyKind::Html
        );
    }

    #[test]
    fn markdown_with_some_html() {
        assert_eq!(
            sniff("# Title\n\nText\n\n## Issue\n\n<u>Steps</u>:\n\n1. one\n1. two\n<table>\n"),
            BodyKind::Markdown
        );
    }

    #[test]
    fn markdown_with_many_html_table_lines() {
        assert_eq!(
            sniff("# Title\n\nText\n<table>\n<tr>\n<td>a</td>\n</tr>\n</table>\n"),
            BodyKind::Markdown
        );
    }

    #[test]
    fn placeholder_is_not_html() {
        assert_eq!(sniff("<install_dir>/bin\n"), BodyKind::Markdown);
    }
}
