//! HTML body -> [`Block`]s, with `scraper` (html5ever) doing the parsing and
//! entity decoding.

use std::collections::HashMap;

use scraper::{ElementRef, Html, Node};

use super::inline::{clean, clean_code, is_emphasis_tag, InlineBuf};
use super::model::{Block, ListItem, TooDeep, MAX_NESTING};

/// Deepest element nesting parsed. html5ever checks the open elements on
/// every start tag, so its time grows with the square of the depth; the
/// help-center corpus nests at most 20 deep, and browsers stop at 512.
pub const MAX_ELEMENT_DEPTH: usize = 512;

/// Elements that never hold content (no end tag) or whose end tag is
/// implied by what follows: neither makes the tree deeper.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
    "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "rtc", "html", "head", "body",
];

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

/// Parses an HTML body, or says it nests deeper than [`MAX_ELEMENT_DEPTH`]
/// (a tree of that shape is no article, and html5ever would take minutes).
pub fn parse(html: &str) -> Result<Vec<Block>, TooDeep> {
    if nesting_depth(html) > MAX_ELEMENT_DEPTH {
        return Err(TooDeep {
            what: "HTML elements",
            limit: MAX_ELEMENT_DEPTH,
        });
    }
    let fragment = Html::parse_fragment(html);
    let mut out = Vec::new();
    let mut pending = InlineBuf::default();
    walk_blocks(
        fragment.root_element(),
        &mut out,
        &mut pending,
        Depth::default(),
    );
    flush(&mut out, &mut pending);
    Ok(out)
}

/// How deep the elements of `html` nest, judged from its tags alone in one
/// pass: an end tag closes the latest open element of its name (and those
/// opened after it), as the tree builder does; an end tag with no open
/// element of its name is ignored.
pub fn nesting_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let mut open: Vec<String> = Vec::new();
    // Open elements of each name, so that a stray end tag costs no scan.
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut deepest = 0;
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &bytes[at..]) {
        let start = at + i + 1;
        if bytes[start..].starts_with(b"!--") {
            at = memchr::memmem::find(&bytes[start..], b"-->")
                .map_or(bytes.len(), |e| start + e + 3);
            continue;
        }
        let closing = bytes.get(start) == Some(&b'/');
        let name_start = start + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            at = start;
            continue;
        }
        let name_end = name_start + name_len;
        let end = memchr::memchr(b'>', &bytes[name_end..]).map_or(bytes.len(), |e| name_end + e);
        at = (end + 1).min(bytes.len());
        let name = html[name_start..name_end].to_ascii_lowercase();
        if NOT_NESTING.contains(&name.as_str()) {
            continue;
        }
        if closing {
            if counts.get(&name).is_some_and(|&n| n > 0) {
                while let Some(top) = open.pop() {
                    if let Some(n) = counts.get_mut(&top) {
                        *n -= 1;
                    }
                    if top == name {
                        break;
                    }
                }
            }
            continue;
        }
        if end > name_end && bytes[end - 1] == b'/' {
            continue;
        }
        if matches!(name.as_str(), "script" | "style" | "textarea" | "title") {
            // Raw text up to the end tag: no elements inside.
            at = end_tag(bytes, at, name.as_bytes()).unwrap_or(bytes.len());
            continue;
        }
        *counts.entry(name.clone()).or_insert(0) += 1;
        open.push(name);
        deepest = deepest.max(open.len());
    }
    deepest
}

/// Where the end tag `</name` of a raw-text element starts, from `from` on.
fn end_tag(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memchr::memchr(b'<', &bytes[at..]) {
        let start = at + i;
        let tag = &bytes[start + 1..];
        if tag.first() == Some(&b'/')
            && tag.len() > name.len()
            && tag[1..=name.len()].eq_ignore_ascii_case(name)
        {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// How deep the walk is: every walk below is recursive, so each call is one
/// level deeper, and what lies beyond the bounds is read as flat text.
#[derive(Debug, Clone, Copy, Default)]
struct Depth {
    /// Elements entered.
    elements: usize,
    /// Lists entered (nested list blocks, bounded by [`MAX_NESTING`]).
    lists: usize,
}

impl Depth {
    fn deeper(self) -> Option<Depth> {
        (self.elements < MAX_ELEMENT_DEPTH).then_some(Depth {
            elements: self.elements + 1,
            ..self
        })
    }
}

/// The words of `el` and all it holds, without structure, in one iterative
/// pass: for what is nested deeper than the walks follow.
fn flat_text(el: ElementRef, buf: &mut InlineBuf) {
    for node in el.descendants() {
        match node.value() {
            Node::Text(text) => {
                let skipped = node
                    .parent()
                    .and_then(|p| p.value().as_element().map(|e| is_skipped(e.name())))
                    .unwrap_or(false);
                if !skipped {
                    buf.push_text(text);
                }
            }
            Node::Element(e) if matches!(e.name(), "br" | "li" | "p" | "div" | "tr") => {
                buf.line_break()
            }
            _ => {}
        }
    }
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

fn walk_blocks(el: ElementRef, out: &mut Vec<Block>, pending: &mut InlineBuf, depth: Depth) {
    let Some(depth) = depth.deeper() else {
        return flat_text(el, pending);
    };
    for child in el.children() {
        match child.value() {
            Node::Text(text) => pending.push_text(text),
            Node::Element(_) => {
                if let Some(child) = ElementRef::wrap(child) {
                    block_element(child, out, pending, depth);
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

/// The anchor a browser links a heading by: its `id`, or that of an
/// `<a name>` / `<a id>` inside it.
fn heading_anchor(el: ElementRef) -> Option<String> {
    let own = el.value().attr("id");
    let inner = || {
        el.descendants()
            .filter_map(ElementRef::wrap)
            .filter(|e| e.value().name() == "a")
            .find_map(|a| a.value().attr("name").or(a.value().attr("id")))
    };
    own.or_else(inner)
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
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

fn block_element(el: ElementRef, out: &mut Vec<Block>, pending: &mut InlineBuf, depth: Depth) {
    let name = el.value().name();
    if let Some(level) = heading_level(name) {
        flush(out, pending);
        let text = inline_content(el, depth).finish().text;
        if !text.is_empty() {
            out.push(Block::Heading {
                level,
                text,
                anchor: heading_anchor(el),
            });
        }
        return;
    }
    match name {
        "p" => {
            flush(out, pending);
            push_paragraph(out, inline_content(el, depth), is_note(el));
        }
        "ul" | "ol" => {
            flush(out, pending);
            out.push(list(el, name == "ol", depth));
        }
        "pre" => {
            flush(out, pending);
            let mut raw = String::new();
            raw_text(el, &mut raw, depth);
            let text = clean_code(&raw);
            if !text.is_empty() {
                out.push(Block::Code { text });
            }
        }
        "blockquote" => {
            flush(out, pending);
            let mut raw = String::new();
            raw_text(el, &mut raw, depth);
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
            if let Some(table) = table(el, depth) {
                out.push(table);
            }
        }
        "hr" => flush(out, pending),
        _ if is_skipped(name) => {}
        _ if is_container(name) => {
            flush(out, pending);
            if is_note(el) {
                let mut raw = String::new();
                raw_text(el, &mut raw, depth);
                let text = clean(&raw);
                if !text.is_empty() {
                    out.push(Block::Note { text });
                }
            } else {
                walk_blocks(el, out, pending, depth);
                flush(out, pending);
            }
        }
        _ => inline_element(el, pending, depth),
    }
}

fn inline_content(el: ElementRef, depth: Depth) -> InlineBuf {
    let mut buf = InlineBuf::default();
    inline_children(el, &mut buf, depth);
    buf
}

fn inline_children(el: ElementRef, buf: &mut InlineBuf, depth: Depth) {
    let Some(depth) = depth.deeper() else {
        return flat_text(el, buf);
    };
    for child in el.children() {
        match child.value() {
            Node::Text(text) => buf.push_text(text),
            Node::Element(_) => {
                if let Some(child) = ElementRef::wrap(child) {
                    inline_element(child, buf, depth);
                }
            }
            _ => {}
        }
    }
}

fn inline_element(el: ElementRef, buf: &mut InlineBuf, depth: Depth) {
    let name = el.value().name();
    match name {
        "br" => buf.line_break(),
        "a" => {
            buf.open_link(el.value().attr("href").unwrap_or_default());
            inline_children(el, buf, depth);
            buf.close_link();
        }
        "code" | "kbd" | "samp" | "tt" => {
            let mut raw = String::new();
            raw_text(el, &mut raw, depth);
            buf.push_code(&raw);
        }
        _ if is_skipped(name) => {}
        "em" | "i" => {
            buf.open_italic();
            inline_children(el, buf, depth);
            buf.close_italic();
        }
        _ if is_emphasis_tag(name) => {
            buf.open_emphasis();
            inline_children(el, buf, depth);
            buf.close_emphasis();
        }
        _ => {
            // A block element met inside inline content still separates words.
            let spaced = name == "p" || is_container(name) || heading_level(name).is_some();
            if spaced {
                buf.line_break();
            }
            inline_children(el, buf, depth);
            if spaced {
                buf.line_break();
            }
        }
    }
}

/// Text with line structure: `<br>` and block boundaries become newlines.
fn raw_text(el: ElementRef, out: &mut String, depth: Depth) {
    let Some(depth) = depth.deeper() else {
        out.extend(el.text());
        return;
    };
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
                    raw_text(child, out, depth);
                    if block {
                        out.push('\n');
                    }
                }
            }
            _ => {}
        }
    }
}

fn list(el: ElementRef, ordered: bool, depth: Depth) -> Block {
    let depth = Depth {
        lists: depth.lists + 1,
        ..depth
    };
    let mut items: Vec<ListItem> = Vec::new();
    for child in el.child_elements() {
        match child.value().name() {
            "li" => items.push(list_item(child, depth)),
            // Malformed nesting (`<ul><ul>`) belongs to the previous item.
            name @ ("ul" | "ol") if depth.lists < MAX_NESTING => {
                let nested = list(child, name == "ol", depth);
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
            "ul" | "ol" => {
                // Lists nested deeper than the model keeps: their words go
                // to the previous item.
                let mut buf = InlineBuf::default();
                flat_text(child, &mut buf);
                let text = buf.finish().text;
                match items.last_mut() {
                    _ if text.is_empty() => {}
                    Some(last) => {
                        last.text.push('\n');
                        last.text.push_str(&text);
                    }
                    None => items.push(ListItem {
                        text,
                        code_spans: Vec::new(),
                        links: Vec::new(),
                        children: Vec::new(),
                    }),
                }
            }
            _ => {}
        }
    }
    Block::List { ordered, items }
}

fn list_item(li: ElementRef, depth: Depth) -> ListItem {
    let mut buf = InlineBuf::default();
    let mut children = Vec::new();
    item_content(li, &mut buf, &mut children, depth);
    let content = buf.finish();
    ListItem {
        text: content.text,
        code_spans: content.code_spans,
        links: content.links,
        children,
    }
}

fn item_content(el: ElementRef, buf: &mut InlineBuf, children: &mut Vec<Block>, depth: Depth) {
    let Some(depth) = depth.deeper() else {
        return flat_text(el, buf);
    };
    for child in el.children() {
        match child.value() {
            Node::Text(text) => buf.push_text(text),
            Node::Element(e) => {
                let Some(child) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = e.name();
                match name {
                    // Lists nested deeper than the model keeps: words only.
                    "ul" | "ol" if depth.lists >= MAX_NESTING => {
                        buf.line_break();
                        flat_text(child, buf);
                        buf.line_break();
                    }
                    "ul" | "ol" | "pre" | "blockquote" | "table" => {
                        let mut ignored = InlineBuf::default();
                        block_element(child, children, &mut ignored, depth);
                    }
                    _ if name == "p" || is_container(name) || heading_level(name).is_some() => {
                        buf.line_break();
                        item_content(child, buf, children, depth);
                        buf.line_break();
                    }
                    _ => inline_element(child, buf, depth),
                }
            }
            _ => {}
        }
    }
}

fn table(el: ElementRef, depth: Depth) -> Option<Block> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    collect_rows(el, &mut rows, depth);
    rows.retain(|r| r.iter().any(|c| !c.is_empty()));
    if rows.is_empty() {
        return None;
    }
    let header = rows.remove(0);
    Some(Block::Table { header, rows })
}

fn collect_rows(el: ElementRef, rows: &mut Vec<Vec<String>>, depth: Depth) {
    let Some(depth) = depth.deeper() else {
        return;
    };
    for child in el.child_elements() {
        match child.value().name() {
            "tr" => rows.push(
                child
                    .child_elements()
                    .filter(|c| matches!(c.value().name(), "td" | "th"))
                    .map(|c| {
                        let mut buf = InlineBuf::default();
                        let mut nested = Vec::new();
                        item_content(c, &mut buf, &mut nested, depth);
                        buf.finish().text
                    })
                    .collect(),
            ),
            "thead" | "tbody" | "tfoot" => collect_rows(child, rows, depth),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_keep_their_anchors() {
        let blocks =
            parse("<h2 id=\"missing-key\">Key missing</h2><h2><a name=\"bad-key\"></a>Bad key</h2><h2>Plain</h2>")
                .unwrap();
        let anchors: Vec<Option<&str>> = blocks
            .iter()
            .map(|b| match b {
                Block::Heading { anchor, .. } => anchor.as_deref(),
                _ => panic!("{b:?}"),
            })
            .collect();
        assert_eq!(anchors, [Some("missing-key"), Some("bad-key"), None]);
    }

    #[test]
    fn headings_paragraphs_lists_code() {
        let blocks = parse(
            "<h2>Issue</h2><p><u>Expected result</u>:</p>\
             <ol><li><p>Click <a href=\"http://x\">here</a> &amp; go.</p><ul><li>sub</li></ul></li></ol>\
             <pre><code>line 1\nline 2</code></pre><p class=\"warning\">Careful</p>",
        )
        .unwrap();
        assert_eq!(
            blocks[0],
            Block::Heading {
                level: 2,
                text: "Issue".into(),
                anchor: None,
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
        let blocks = parse("<blockquote>[Exception]<br/> Warning: bad</blockquote>").unwrap();
        assert_eq!(
            blocks,
            vec![Block::Quote {
                text: "[Exception]\nWarning: bad".into()
            }]
        );
    }

    #[test]
    fn nesting_depth_follows_the_tree_builder() {
        assert_eq!(nesting_depth("<p>a<p>b<br>c<img src=x>"), 0);
        assert_eq!(nesting_depth("<div><span>x</span></div><div>y</div>"), 2);
        // A stray end tag closes nothing; a misnested one closes what is
        // inside it.
        assert_eq!(nesting_depth("<div></p><div></p><div>"), 3);
        assert_eq!(nesting_depth("<div><span><b></div><div>"), 3);
        assert_eq!(
            nesting_depth("<!-- <div><div> --><script><div><div></script><div>"),
            1
        );
        assert_eq!(nesting_depth("<div/><DIV>x</Div>"), 1);
        assert_eq!(nesting_depth("a < b and <3 <"), 0);
    }

    #[test]
    fn html_nested_too_deep_is_refused_in_one_pass() {
        let n = 100_000;
        let html = format!("<p>x</p>{}deep{}", "<div>".repeat(n), "</div>".repeat(n));
        assert_eq!(
            parse(&html),
            Err(TooDeep {
                what: "HTML elements",
                limit: MAX_ELEMENT_DEPTH
            })
        );
        let html = format!(
            "{}deep{}",
            "<div>".repeat(MAX_ELEMENT_DEPTH),
            "</div>".repeat(MAX_ELEMENT_DEPTH)
        );
        assert_eq!(
            parse(&html).unwrap(),
            [Block::Paragraph {
                text: "deep".into(),
                emphasised: false,
                code_spans: Vec::new(),
                links: Vec::new()
            }]
        );
    }

    use crate::article::model::list_nesting as list_depth;

    #[test]
    fn lists_deeper_than_the_model_keeps_become_item_text() {
        let n = 200;
        let html = format!(
            "{}innermost{}",
            "<ul><li>step".repeat(n),
            "</li></ul>".repeat(n)
        );
        let blocks = parse(&html).unwrap();
        assert_eq!(list_depth(&blocks), MAX_NESTING);
        let mut deepest = &blocks[0];
        while let Block::List { items, .. } = deepest {
            match items[0].children.first() {
                Some(child) => deepest = child,
                None => {
                    assert!(items[0].text.ends_with("innermost"), "{}", items[0].text);
                    return;
                }
            }
        }
        panic!("no innermost item");
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any tag soup parses, or is refused as too deep, without a panic,
        /// and the blocks nest no deeper than the model keeps.
        #[test]
        fn any_tag_soup_parses_within_bounds(
            tokens in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        "<div>", "</div>", "<ul>", "</ul>", "<ol>", "<li>", "</li>", "<p>",
                        "</p>", "<pre>", "</pre>", "<b>", "</b>", "<table>", "<tr>", "<td>",
                        "</table>", "<br>", "<h2>", "</h2>", "<blockquote>", "<code>",
                        "</code>", "<a href=x>", "</a>", "<!--", "-->", "<script>",
                        "</script>", "&amp;", "<", ">", "Error: x", " ", "\n",
                    ]).prop_map(str::to_string),
                    ".{0,8}",
                ],
                0..300,
            ),
        ) {
            let html: String = tokens.concat();
            if let Ok(blocks) = parse(&html) {
                proptest::prop_assert!(list_depth(&blocks) <= MAX_NESTING);
            }
        }

        /// The same shapes, nested past every bound, in one pass.
        #[test]
        fn deep_nesting_of_any_element_is_bounded(
            open in proptest::sample::select(vec!["<div>", "<ul><li>", "<b>", "<blockquote>", "<table><tr><td>", "<span>"]),
            depth in 0usize..3000,
        ) {
            let html = format!("{}text", open.repeat(depth));
            match parse(&html) {
                Ok(blocks) => proptest::prop_assert!(list_depth(&blocks) <= MAX_NESTING),
                Err(e) => proptest::prop_assert_eq!(e.limit, MAX_ELEMENT_DEPTH),
            }
        }
    }
}
