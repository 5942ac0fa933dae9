//! HTML body -> [`Block`]s, with `scraper` (html5ever) doing the parsing and
//! entity decoding.

use scraper::{ElementRef, Html, Node};

use super::inline::{clean, clean_code, is_emphasis_tag, InlineBuf};
use super::model::{Block, ListItem};

/// Classes that mark a paragraph or box as a side remark rather than content.
const NOTE_CLASSES: &[&str] = &[
    "note",
    "warning",
    "info",
    "tip",
    "important",
    "caution",
    "alert",
];

pub fn parse(html: &str) -> Vec<Block> {
    let fragment = Html::parse_fragment(html);
    let mut out = Vec::new();
    let mut pending = InlineBuf::default();
    walk_blocks(fragment.root_element(), &mut out, &mut pending);
    flush(&mut out, &mut pending);
    out
}

/// Loose inline content between block elements (text directly in a `<div>`)
/// becomes a paragraph of its own.
fn flush(out: &mut Vec<Block>, pending: &mut InlineBuf) {
    let buf = std::mem::take(pending);
    if !buf.is_blank() {
        push_paragraph(out, buf, false);
    }
}

fn push_paragraph(out: &mut Vec<Block>, buf: InlineBuf, note: bool) {
    let content = buf.finish();
    if content.text.is_empty() {
        return;
    }
    if note {
        out.push(Block::Note { text: content.text });
    } else {
        out.push(Block::Paragraph {
            text: content.text,
            emphasised: content.emphasised,
            code_spans: content.code_spans,
            links: content.links,
        });
    }
}

fn walk_blocks(el: ElementRef, out: &mut Vec<Block>, pending: &mut InlineBuf) {
    for child in el.children() {
        match child.value() {
            Node::Text(text) => pending.push_text(text),
            Node::Element(_) => {
                if let Some(child) = ElementRef::wrap(child) {
                    block_element(child, out, pending);
                }
            }
            _ => {}
        }
    }
}

fn is_note(el: ElementRef) -> bool {
    el.value()
        .classes()
        .any(|c| NOTE_CLASSES.contains(&c.to_ascii_lowercase().as_str()))
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

fn is_container(name: &str) -> bool {
    matches!(
        name,
        "div"
            | "section"
            | "article"
            | "details"
            | "summary"
            | "body"
            | "html"
            | "main"
            | "header"
            | "footer"
            | "aside"
            | "center"
            | "figure"
            | "dl"
            | "dd"
            | "dt"
            | "form"
            | "nav"
    )
}

fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "img" | "iframe" | "video" | "noscript" | "svg" | "head" | "button"
    )
}

fn block_element(el: ElementRef, out: &mut Vec<Block>, pending: &mut InlineBuf) {
    let name = el.value().name();
    if let Some(level) = heading_level(name) {
        flush(out, pending);
        let text = inline_content(el).finish().text;
        if !text.is_empty() {
            out.push(Block::Heading { level, text });
        }
        return;
    }
    match name {
        "p" => {
            flush(out, pending);
            push_paragraph(out, inline_content(el), is_note(el));
        }
        "ul" | "ol" => {
            flush(out, pending);
            out.push(list(el, name == "ol"));
        }
        "pre" => {
            flush(out, pending);
            let mut raw = String::new();
            raw_text(el, &mut raw);
            let text = clean_code(&raw);
            if !text.is_empty() {
                out.push(Block::Code { text });
            }
        }
        "blockquote" => {
            flush(out, pending);
            let mut raw = String::new();
            raw_text(el, &mut raw);
            let text = raw
                .lines()
                .map(clean)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            if !text.is_empty() {
                out.push(if is_note(el) {
                    Block::Note { text }
                } else {
                    Block::Quote { text }
                });
            }
        }
        "table" => {
            flush(out, pending);
            if let Some(table) = table(el) {
                out.push(table);
            }
        }
        "hr" => flush(out, pending),
        _ if is_skipped(name) => {}
        _ if is_container(name) => {
            flush(out, pending);
            if is_note(el) {
                let mut raw = String::new();
                raw_text(el, &mut raw);
                let text = clean(&raw);
                if !text.is_empty() {
                    out.push(Block::Note { text });
                }
            } else {
                walk_blocks(el, out, pending);
                flush(out, pending);
            }
        }
        _ => inline_element(el, pending),
    }
}

fn inline_content(el: ElementRef) -> InlineBuf {
    let mut buf = InlineBuf::default();
    inline_children(el, &mut buf);
    buf
}

fn inline_children(el: ElementRef, buf: &mut InlineBuf) {
    for child in el.children() {
        match child.value() {
            Node::Text(text) => buf.push_text(text),
            Node::Element(_) => {
                if let Some(child) = ElementRef::wrap(child) {
                    inline_element(child, buf);
                }
            }
            _ => {}
        }
    }
}

fn inline_element(el: ElementRef, buf: &mut InlineBuf) {
    let name = el.value().name();
    match name {
        "br" => buf.line_break(),
        "a" => {
            buf.open_link(el.value().attr("href").unwrap_or_default());
            inline_children(el, buf);
            buf.close_link();
        }
        "code" | "kbd" | "samp" | "tt" => {
            let mut raw = String::new();
            raw_text(el, &mut raw);
            buf.push_code(&raw);
        }
        _ if is_skipped(name) => {}
        "em" | "i" => {
            buf.open_italic();
            inline_children(el, buf);
            buf.close_italic();
        }
        _ if is_emphasis_tag(name) => {
            buf.open_emphasis();
            inline_children(el, buf);
            buf.close_emphasis();
        }
        _ => {
            // A block element met inside inline content still separates words.
            let spaced = name == "p" || is_container(name) || heading_level(name).is_some();
            if spaced {
                buf.line_break();
            }
            inline_children(el, buf);
            if spaced {
                buf.line_break();
            }
        }
    }
}

/// Text with line structure: `<br>` and block boundaries become newlines.
fn raw_text(el: ElementRef, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(text) => out.push_str(text),
            Node::Element(e) => {
                let name = e.name();
                if name == "br" {
                    out.push('\n');
                } else if let Some(child) = ElementRef::wrap(child) {
                    if is_skipped(name) {
                        continue;
                    }
                    let block = matches!(name, "p" | "div" | "li" | "tr" | "pre")
                        || heading_level(name).is_some();
                    if block && !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    raw_text(child, out);
                    if block {
                        out.push('\n');
                    }
                }
            }
            _ => {}
        }
    }
}

fn list(el: ElementRef, ordered: bool) -> Block {
    let mut items: Vec<ListItem> = Vec::new();
    for child in el.child_elements() {
        match child.value().name() {
            "li" => items.push(list_item(child)),
            // Malformed nesting (`<ul><ul>`) belongs to the previous item.
            name @ ("ul" | "ol") => {
                let nested = list(child, name == "ol");
                match items.last_mut() {
                    Some(last) => last.children.push(nested),
                    None => items.push(ListItem {
                        text: String::new(),
                        code_spans: Vec::new(),
                        links: Vec::new(),
                        children: vec![nested],
                    }),
                }
            }
            _ => {}
        }
    }
    Block::List { ordered, items }
}

fn list_item(li: ElementRef) -> ListItem {
    let mut buf = InlineBuf::default();
    let mut children = Vec::new();
    item_content(li, &mut buf, &mut children);
    let content = buf.finish();
    ListItem {
        text: content.text,
        code_spans: content.code_spans,
        links: content.links,
        children,
    }
}

fn item_content(el: ElementRef, buf: &mut InlineBuf, children: &mut Vec<Block>) {
    for child in el.children() {
        match child.value() {
            Node::Text(text) => buf.push_text(text),
            Node::Element(e) => {
                let Some(child) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = e.name();
                match name {
                    "ul" | "ol" | "pre" | "blockquote" | "table" => {
                        let mut ignored = InlineBuf::default();
                        block_element(child, children, &mut ignored);
                    }
                    _ if name == "p" || is_container(name) || heading_level(name).is_some() => {
                        buf.line_break();
                        item_content(child, buf, children);
                        buf.line_break();
                    }
                    _ => inline_element(child, buf),
                }
            }
            _ => {}
        }
    }
}

fn table(el: ElementRef) -> Option<Block> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    collect_rows(el, &mut rows);
    rows.retain(|r| r.iter().any(|c| !c.is_empty()));
    if rows.is_empty() {
        return None;
    }
    let header = rows.remove(0);
    Some(Block::Table { header, rows })
}

fn collect_rows(el: ElementRef, rows: &mut Vec<Vec<String>>) {
    for child in el.child_elements() {
        match child.value().name() {
            "tr" => rows.push(
                child
                    .child_elements()
                    .filter(|c| matches!(c.value().name(), "td" | "th"))
                    .map(|c| {
                        let mut buf = InlineBuf::default();
                        let mut nested = Vec::new();
                        item_content(c, &mut buf, &mut nested);
                        buf.finish().text
                    })
                    .collect(),
            ),
            "thead" | "tbody" | "tfoot" => collect_rows(child, rows),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_lists_code() {
        let blocks = parse(
            "<h2>Issue</h2><p><u>Expected result</u>:</p>\
             <ol><li><p>Click <a href=\"http://x\">here</a> &amp; go.</p><ul><li>sub</li></ul></li></ol>\
             <pre><code>line 1\nline 2</code></pre><p class=\"warning\">Careful</p>",
        );
        assert_eq!(
            blocks[0],
            Block::Heading {
                level: 2,
                text: "Issue".into()
            }
        );
        assert!(
            matches!(&blocks[1], Block::Paragraph { emphasised: true, text, .. } if text == "Expected result:")
        );
        let Block::List { ordered, items } = &blocks[2] else {
            panic!("list expected: {blocks:?}")
        };
        assert!(*ordered);
        assert_eq!(items[0].text, "Click here & go.");
        assert_eq!(items[0].links[0].url, "http://x");
        assert_eq!(items[0].children.len(), 1);
        assert_eq!(
            blocks[3],
            Block::Code {
                text: "line 1\nline 2".into()
            }
        );
        assert_eq!(
            blocks[4],
            Block::Note {
                text: "Careful".into()
            }
        );
    }

    #[test]
    fn blockquote_keeps_lines() {
        let blocks = parse("<blockquote>[Exception]<br/> Warning: bad</blockquote>");
        assert_eq!(
            blocks,
            vec![Block::Quote {
                text: "[Exception]\nWarning: bad".into()
            }]
        );
    }
}
