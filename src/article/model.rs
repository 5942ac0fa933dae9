//! The article model: what every input format is reduced to before extraction.
//!
//! Parsing happens in two steps so that section recognition is written once:
//! each format parser (`html`, `markdown`) turns its body into a flat list of
//! [`Block`]s, and `sections` walks those blocks to fill an [`Article`].

use serde::Serialize;

/// Deepest nesting of lists and quotes kept in [`Block`]s. Every walk over
/// blocks recurses into nested lists; real articles nest four or five deep,
/// and what lies deeper is kept as the text of the deepest item.
pub const MAX_NESTING: usize = 32;

/// Input nested deeper than its parser follows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} nested more than {limit} deep")]
pub struct TooDeep {
    pub what: &'static str,
    pub limit: usize,
}

/// Which publishing format an input file was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Front matter followed by an HTML body (help-center exports).
    HelpCenter,
    /// Front matter followed by a Markdown body (knowledge bases).
    Markdown,
    /// A Markdown document whose tables list error codes or messages.
    ReferenceTable,
}

/// One structural element of an article body, in document order.
///
/// Inline markup is already flattened to plain text: links keep their text,
/// emphasis and vendor extensions (`[!UICONTROL x]`, `[!DNL x]`) become their
/// words. `underlined` survives because knowledge bases use underlined
/// paragraphs as pseudo-headings ("<u>Expected result</u>:").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Block {
    Heading {
        level: u8,
        text: String,
        /// The publisher's own anchor for the heading (`{#id}`, an `id`
        /// attribute, `<a name="...">`), when the source gives one.
        #[serde(skip_serializing_if = "Option::is_none")]
        anchor: Option<String>,
    },
    Paragraph {
        text: String,
        /// The whole paragraph is underlined or bold (a pseudo-heading candidate).
        emphasised: bool,
        /// Inline `code` spans, kept for symptom detection.
        code_spans: Vec<String>,
        links: Vec<RelatedLink>,
    },
    List {
        ordered: bool,
        items: Vec<ListItem>,
    },
    /// Preformatted text: a code block or `<pre>`. Error messages live here.
    Code {
        text: String,
    },
    /// A blockquote that is not an admonition. Often quotes an error.
    Quote {
        text: String,
    },
    /// `>[!NOTE]`, `>[!TIP]`, `<p class="warning">`: side remarks.
    Note {
        text: String,
    },
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// A list item: its own text plus any nested blocks (sub-lists, code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListItem {
    pub text: String,
    /// Inline `code` spans inside the item text, kept for symptom detection.
    pub code_spans: Vec<String>,
    pub links: Vec<RelatedLink>,
    pub children: Vec<Block>,
}

/// Front matter fields that any of the supported formats may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FrontMatter {
    pub title: Option<String>,
    /// A shorter name of the article, as a menu shows it.
    pub short_title: Option<String>,
    pub link: Option<String>,
    pub description: Option<String>,
    /// `labels` (help center) or `feature` (knowledge base), split on commas.
    pub labels: Vec<String>,
}

/// A parsed input file before sections are recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub format: Format,
    pub front: FrontMatter,
    pub blocks: Vec<Block>,
}

/// A troubleshooting article with its sections recognised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Article {
    /// File stem, or `stem#key` for a reference-table row.
    pub id: String,
    /// Path relative to the ingest root, with `/` separators.
    pub source: String,
    pub title: String,
    pub link: Option<String>,
    pub labels: Vec<String>,
    pub description: Option<String>,
    /// "Affected products and versions" lines.
    pub products: Vec<String>,
    /// Build / deploy / post-deploy ... when the source says so.
    pub stage: Option<String>,
    pub issue: Issue,
    pub cause: String,
    /// Remediation in order; sub-section headings are kept as their own entry
    /// ending in `:` so that "How to disable the access key:" precedes its steps.
    pub steps: Vec<String>,
    pub related: Vec<RelatedLink>,
    /// Error text the article quotes (code blocks, quotes, error-like inline
    /// code in the issue part): the raw material for signatures.
    pub quoted_errors: Vec<String>,
    /// Error codes for reference-table rows (`11` for `[11]`).
    pub error_codes: Vec<String>,
    /// For one problem of a page that covers several (`page#fragment`
    /// ids): the page's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// For a section: the page's title, what the section is part of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_title: Option<String>,
    /// The text no part took (sections without a recognised name, notes,
    /// tables, code outside the issue and steps), one block a line: with
    /// the parts, the whole text, ranked whatever structure was found.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Free text of the issue / problem / symptoms part.
    pub text: String,
    pub steps_to_reproduce: Vec<String>,
    pub expected: String,
    pub actual: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedLink {
    pub text: String,
    pub url: String,
}

/// How deep lists nest in `blocks` (the deepest item's list count),
/// counted without recursion, for the tests of the parsers' bounds.
#[cfg(test)]
pub(crate) fn list_nesting(blocks: &[Block]) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&[Block], usize)> = vec![(blocks, 0)];
    while let Some((blocks, depth)) = stack.pop() {
        for block in blocks {
            if let Block::List { items, .. } = block {
                deepest = deepest.max(depth + 1);
                for item in items {
                    stack.push((&item.children, depth + 1));
                }
            }
        }
    }
    deepest
}
