//! Markdown body -> [`Block`]s with `pulldown-cmark`. Raw HTML blocks are
//! handed to the HTML parser so both formats end in the same blocks.

use crate::lazy::lazy;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

use super::html;
use super::inline::{
    clean, clean_code, is_emphasis_tag, is_html_tag_name, strip_extensions, InlineBuf,
};
use super::model::{Block, ListItem, TooDeep, MAX_NESTING};

lazy! {
    /// `>[!NOTE]`-style admonition marker at the start of a blockquote.
    static ADMONITION: Regex = Regex::new(r"^\[![A-Z]+\]\s*").expect("valid regex");
}
lazy! {
    /// `<a name="x">` or `<a id="x">`: an anchor a heading is linked by.
    static NAMED_ANCHOR: Regex = {
        Regex::new(r#"(?i)<a\s[^>]*\b(?:name|id)\s*=\s*["']([^"']+)["']"#).expect("valid regex")
    };
}
lazy! {
    static INLINE_TAG: Regex = {
        Regex::new(r"^<(/?)([A-Za-z][A-Za-z0-9_-]*)(\s[^>]*)?/?>$").expect("valid regex")
    };
}

enum Frame {
    Quote {
        blocks: Vec<Block>,
    },
    List {
        ordered: bool,
        items: Vec<ListItem>,
    },
    Item {
        buf: InlineBuf,
        children: Vec<Block>,
    },
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
        row: Vec<String>,
    },
}

#[derive(Default)]
struct Builder {
    root: Vec<Block>,
    stack: Vec<Frame>,
    /// Open paragraph, heading or table cell.
    inline: Option<InlineBuf>,
    code: Option<String>,
    html: Option<String>,
    image_depth: usize,
    /// Quote and list frames on the stack.
    nested: usize,
    /// Quotes, lists and items opened deeper than [`MAX_NESTING`]: not
    /// framed, their words go to the deepest frame kept.
    suppressed: usize,
    /// An HTML block nested too deep to parse.
    too_deep: Option<TooDeep>,
    /// The anchor of the open heading (`{#id}` or an `<a name>` in it).
    heading_anchor: Option<String>,
    /// An `<a name>` standing alone before a heading.
    pending_anchor: Option<String>,
    in_heading: bool,
}

/// Parses a Markdown body; fails only on an HTML block nested too deep
/// (see [`html::parse`]).
pub fn parse(markdown: &str) -> Result<Vec<Block>, TooDeep> {
    let source = strip_extensions(markdown);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES | Options::ENABLE_STRIKETHROUGH;
    let mut builder = Builder::default();
    for event in Parser::new_ext(&source, options) {
        builder.event(event);
        if let Some(e) = builder.too_deep.take() {
            return Err(e);
        }
    }
    // Unbalanced input cannot happen with pulldown-cmark, but never lose text.
    while !builder.stack.is_empty() {
        builder.close_frame();
    }
    Ok(builder.root)
}

impl Builder {
    fn push_block(&mut self, block: Block) {
        for frame in self.stack.iter_mut().rev() {
            match frame {
                Frame::Quote { blocks } => return blocks.push(block),
                Frame::Item { children, .. } => return children.push(block),
                _ => {}
            }
        }
        self.root.push(block);
    }

    fn inline_target(&mut self) -> &mut InlineBuf {
        if self.inline.is_none() {
            if let Some(Frame::Item { buf, .. }) = self.stack.last_mut() {
                return buf;
            }
        }
        self.inline.get_or_insert_with(InlineBuf::default)
    }

    fn in_item(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Item { .. }))
    }

    fn event(&mut self, event: Event) {
        if let Some(code) = self.code.as_mut() {
            match event {
                Event::Text(text) => code.push_str(&text),
                Event::End(TagEnd::CodeBlock) => {
                    let text = clean_code(&self.code.take().unwrap_or_default());
                    if !text.is_empty() {
                        self.push_block(Block::Code { text });
                    }
                }
                _ => {}
            }
            return;
        }
        if let Some(html) = self.html.as_mut() {
            match event {
                Event::Html(text) | Event::Text(text) => html.push_str(&text),
                Event::End(TagEnd::HtmlBlock) => {
                    let text = self.html.take().unwrap_or_default();
                    self.html_blocks(&text);
                }
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            // Alt text of images is not content.
            Event::Text(_) | Event::Code(_) if self.image_depth > 0 => {}
            Event::Text(text) => self.inline_target().push_text(&text),
            Event::Code(code) => self.inline_target().push_code(&code),
            Event::InlineHtml(tag) => self.inline_html(&tag),
            Event::Html(text) => self.html_blocks(&text),
            Event::SoftBreak | Event::HardBreak => self.inline_target().line_break(),
            _ => {}
        }
    }

    fn html_blocks(&mut self, text: &str) {
        if let Some(caps) = NAMED_ANCHOR.captures(text) {
            self.pending_anchor = Some(caps[1].to_string());
        }
        match html::parse(text) {
            Ok(blocks) => {
                for block in blocks {
                    self.push_block(block);
                }
            }
            Err(e) => self.too_deep = Some(e),
        }
    }

    /// Opens a quote or list frame, unless that would nest too deep.
    fn open_nested(&mut self, frame: Frame) {
        if self.suppressed > 0 || self.nested >= MAX_NESTING {
            self.suppressed += 1;
            if self.in_item() {
                self.inline_target().line_break();
            }
            return;
        }
        self.nested += 1;
        self.stack.push(frame);
    }

    fn inline_html(&mut self, tag: &str) {
        if let Some(caps) = NAMED_ANCHOR.captures(tag) {
            let anchor = caps[1].to_string();
            if self.in_heading {
                self.heading_anchor.get_or_insert(anchor);
            } else {
                self.pending_anchor = Some(anchor);
            }
        }
        let Some(caps) = INLINE_TAG.captures(tag.trim()) else {
            // Comments and other markup-looking text: comments are dropped,
            // anything else is the author's words.
            if !tag.trim_start().starts_with("<!") {
                self.inline_target().push_text(tag);
            }
            return;
        };
        let closing = !caps[1].is_empty();
        let name = &caps[2];
        if !is_html_tag_name(name) {
            // `<install_dir>`-style placeholders are text, not markup.
            self.inline_target().push_text(tag);
            return;
        }
        let buf = self.inline_target();
        if is_emphasis_tag(name) {
            if closing {
                buf.close_emphasis();
            } else {
                buf.open_emphasis();
            }
        } else if name.eq_ignore_ascii_case("br") {
            buf.line_break();
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph => {
                // A paragraph of a list item after its code block or
                // sub-list is a block of the item, so that it stays after
                // them rather than joining the item's first words.
                let after_children = matches!(
                    self.stack.last(),
                    Some(Frame::Item { children, .. }) if !children.is_empty()
                );
                if self.in_item() && !after_children {
                    self.inline_target().line_break();
                } else {
                    self.inline = Some(InlineBuf::default());
                }
            }
            Tag::Heading { id, .. } => {
                self.heading_anchor = id
                    .map(|id| id.trim().to_string())
                    .filter(|id| !id.is_empty())
                    .or(self.pending_anchor.take());
                self.in_heading = true;
                self.inline = Some(InlineBuf::default());
            }
            Tag::TableCell => self.inline = Some(InlineBuf::default()),
            Tag::BlockQuote(_) => self.open_nested(Frame::Quote { blocks: Vec::new() }),
            Tag::CodeBlock(_) => self.code = Some(String::new()),
            Tag::HtmlBlock => self.html = Some(String::new()),
            Tag::List(start) => self.open_nested(Frame::List {
                ordered: start.is_some(),
                items: Vec::new(),
            }),
            Tag::Item if self.suppressed > 0 => {
                self.suppressed += 1;
                self.inline_target().line_break();
            }
            Tag::Item => self.stack.push(Frame::Item {
                buf: InlineBuf::default(),
                children: Vec::new(),
            }),
            Tag::Table(_) => self.stack.push(Frame::Table {
                header: Vec::new(),
                rows: Vec::new(),
                row: Vec::new(),
            }),
            Tag::Strong => self.inline_target().open_emphasis(),
            Tag::Emphasis => self.inline_target().open_italic(),
            Tag::Link { dest_url, .. } => self.inline_target().open_link(&dest_url),
            Tag::Image { .. } => self.image_depth += 1,
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => {
                if let Some(buf) = self.inline.take() {
                    let content = buf.finish();
                    if !content.text.is_empty() {
                        // An anchor before words anchors them, not the
                        // next heading.
                        self.pending_anchor = None;
                        self.push_block(Block::Paragraph {
                            text: content.text,
                            emphasised: content.emphasised,
                            code_spans: content.code_spans,
                            links: content.links,
                        });
                    }
                } else if self.in_item() {
                    self.inline_target().line_break();
                }
            }
            TagEnd::Heading(level) => {
                let text = self
                    .inline
                    .take()
                    .map(|b| b.finish().text)
                    .unwrap_or_default();
                let anchor = self.heading_anchor.take();
                self.in_heading = false;
                if !text.is_empty() {
                    self.push_block(Block::Heading {
                        level: level as u8,
                        text,
                        anchor,
                    });
                }
            }
            TagEnd::TableCell => {
                let text = self
                    .inline
                    .take()
                    .map(|b| b.finish().text)
                    .unwrap_or_default();
                if let Some(Frame::Table { row, .. }) = self.stack.last_mut() {
                    row.push(text);
                }
            }
            TagEnd::TableHead => {
                if let Some(Frame::Table { header, row, .. }) = self.stack.last_mut() {
                    *header = std::mem::take(row);
                }
            }
            TagEnd::TableRow => {
                if let Some(Frame::Table { rows, row, .. }) = self.stack.last_mut() {
                    rows.push(std::mem::take(row));
                }
            }
            TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item if self.suppressed > 0 => {
                self.suppressed -= 1;
                if self.in_item() {
                    self.inline_target().line_break();
                }
            }
            TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item | TagEnd::Table => {
                self.close_frame()
            }
            TagEnd::Strong => self.inline_target().close_emphasis(),
            TagEnd::Emphasis => self.inline_target().close_italic(),
            TagEnd::Link => self.inline_target().close_link(),
            TagEnd::Image => self.image_depth = self.image_depth.saturating_sub(1),
            _ => {}
        }
    }

    fn close_frame(&mut self) {
        let frame = self.stack.pop();
        if matches!(frame, Some(Frame::Quote { .. } | Frame::List { .. })) {
            self.nested -= 1;
        }
        match frame {
            Some(Frame::Quote { blocks }) => {
                if let Some(block) = quote_block(blocks) {
                    self.push_block(block);
                }
            }
            Some(Frame::List { ordered, items }) => self.push_block(Block::List { ordered, items }),
            Some(Frame::Item { buf, children }) => {
                let content = buf.finish();
                let item = ListItem {
                    text: content.text,
                    code_spans: content.code_spans,
                    links: content.links,
                    children,
                };
                if let Some(Frame::List { items, .. }) = self.stack.last_mut() {
                    items.push(item);
                }
            }
            Some(Frame::Table { header, rows, .. }) => {
                self.push_block(Block::Table { header, rows });
            }
            None => {}
        }
    }
}

/// A blockquote is an admonition when it opens with `[!KIND]`, otherwise a
/// quotation whose lines are kept (quoted errors are multi-line).
fn quote_block(blocks: Vec<Block>) -> Option<Block> {
    let mut lines = Vec::new();
    for block in &blocks {
        block_lines(block, &mut lines);
    }
    let joined = lines.join("\n");
    if ADMONITION.is_match(&joined) {
        let text = clean(&ADMONITION.replace(&joined, ""));
        return (!text.is_empty()).then_some(Block::Note { text });
    }
    (!joined.trim().is_empty()).then_some(Block::Quote { text: joined })
}

fn block_lines(block: &Block, lines: &mut Vec<String>) {
    match block {
        Block::Heading { text, .. }
        | Block::Paragraph { text, .. }
        | Block::Quote { text }
        | Block::Note { text }
        | Block::Code { text } => lines.extend(text.lines().map(str::to_string)),
        Block::List { items, .. } => {
            for item in items {
                lines.push(item.text.clone());
                for child in &item.children {
                    block_lines(child, lines);
                }
            }
        }
        Block::Table { header, rows } => {
            lines.push(header.join(" | "));
            lines.extend(rows.iter().map(|r| r.join(" | ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_keep_their_anchors() {
        let blocks = parse(
            "## Key missing {#missing-key}\n\n<a name=\"bad-key\"></a>\n\n## Bad key\n\nText.\n\n## Plain\n",
        )
        .unwrap();
        let anchors: Vec<Option<&str>> = blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { anchor, .. } => Some(anchor.as_deref()),
                _ => None,
            })
            .collect();
        assert_eq!(anchors, [Some("missing-key"), Some("bad-key"), None]);
    }

    #[test]
    fn words_after_code_in_an_item_stay_after_it() {
        let blocks = parse("1. Run it:\n\n   ```\n   go\n   ```\n\n   Then wait.\n").unwrap();
        let Block::List { items, .. } = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert_eq!(items[0].text, "Run it:");
        assert!(matches!(&items[0].children[0], Block::Code { text } if text == "go"));
        assert!(
            matches!(&items[0].children[1], Block::Paragraph { text, .. } if text == "Then wait.")
        );
    }

    #[test]
    fn admonition_becomes_note() {
        let blocks = parse(">[!NOTE]\n>\n>Use [!UICONTROL Save].\n").unwrap();
        assert_eq!(
            blocks,
            vec![Block::Note {
                text: "Use Save.".into()
            }]
        );
    }

    #[test]
    fn underlined_pseudo_heading_and_placeholder() {
        let blocks = parse("<u>Expected result</u>:\n\nGo to <install_dir>/var.\n").unwrap();
        assert!(
            matches!(&blocks[0], Block::Paragraph { emphasised: true, text, .. } if text == "Expected result:")
        );
        assert!(
            matches!(&blocks[1], Block::Paragraph { emphasised: false, text, .. } if text == "Go to <install_dir>/var.")
        );
    }

    #[test]
    fn nested_list_and_code_in_item() {
        let blocks = parse(
            "1. Do **this**:\n   * sub\n\n   ```\n   run it\n   ```\n1. Next ![img](a.png)\n",
        )
        .unwrap();
        let Block::List { ordered, items } = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert!(*ordered);
        assert_eq!(items[0].text, "Do this:");
        assert_eq!(items[0].children.len(), 2);
        assert_eq!(items[1].text, "Next");
    }

    #[test]
    fn table_header_and_rows() {
        let blocks = parse("| Code | Title |\n| - | - |\n| 1 | Failed `x` |\n").unwrap();
        assert_eq!(
            blocks,
            vec![Block::Table {
                header: vec!["Code".into(), "Title".into()],
                rows: vec![vec!["1".into(), "Failed x".into()]],
            }]
        );
    }

    use crate::article::model::list_nesting as nesting;

    #[test]
    fn lists_nested_past_the_bound_keep_their_words() {
        // One line that opens 100,000 lists, and the same as indented lines.
        let one_line = format!("{}deepest\n", "- ".repeat(100_000));
        let blocks = parse(&one_line).unwrap();
        assert_eq!(nesting(&blocks), MAX_NESTING);
        let indented: String = (0..300)
            .map(|i| format!("{}- item {i}\n", "  ".repeat(i)))
            .collect();
        let blocks = parse(&indented).unwrap();
        assert_eq!(nesting(&blocks), MAX_NESTING);
        let mut words = Vec::new();
        block_lines(&blocks[0], &mut words);
        let words = words.join("\n");
        assert!(
            words.contains("item 0") && words.contains("item 299"),
            "{words}"
        );
    }

    #[test]
    fn quotes_nested_past_the_bound_keep_their_words() {
        let blocks = parse(&format!("{}Error: deep inside\n", "> ".repeat(100_000))).unwrap();
        assert_eq!(blocks.len(), 1);
        let Block::Quote { text } = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert_eq!(text, "Error: deep inside");
    }

    #[test]
    fn an_html_block_nested_too_deep_is_an_error() {
        let body = format!("# T\n\n{}x\n", "<div>".repeat(1000));
        assert!(parse(&body).is_err());
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any mix of Markdown's block markers parses without a panic, and
        /// lists nest no deeper than the model keeps (twice, for HTML lists
        /// inside a Markdown item).
        #[test]
        fn any_markdown_parses_within_bounds(
            tokens in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        "- ", "* ", "1. ", "> ", "  ", "    ", "\n", "\n\n", "```\n", "# ",
                        "## Issue\n", "| a | b |\n|---|---|\n", "<div>", "</div>", "<ul><li>",
                        "**", "_", "`", "[x](y)", "![i](j)", ">[!NOTE]", "Error: boom",
                    ]).prop_map(str::to_string),
                    ".{0,8}",
                ],
                0..400,
            ),
        ) {
            let text: String = tokens.concat();
            if let Ok(blocks) = parse(&text) {
                proptest::prop_assert!(nesting(&blocks) <= 2 * MAX_NESTING);
            }
        }
    }
}
