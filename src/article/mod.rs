//! Files -> [`Article`]s: sniff the format, parse front matter and body,
//! recognise sections.
//!
//! ```text
//! bytes --utf8--> text --frontmatter--> FrontMatter + body
//! body --sniff--> html | markdown --> Vec<Block> --sections--> Article
//!                                               \--table-----> Article per row
//! ```

pub mod frontmatter;
pub mod html;
mod inline;
pub mod markdown;
pub mod model;
pub mod sections;
pub mod shapes;
pub mod sniff;
pub mod split;
pub mod table;
pub mod template;

use std::io;
use std::path::{Path, PathBuf};

pub use model::{Article, Block, Document, Format};

/// What one input file turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    Articles(Vec<Article>),
    /// A file that is not a troubleshooting article (licence, index page),
    /// with the reason it was skipped.
    NotArticle(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}:{line}: not valid UTF-8", path.display())]
    Utf8 { path: PathBuf, line: usize },
    #[error("{}:{line}: broken front matter: {message}", path.display())]
    FrontMatter {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: has front matter but no text and no recognisable sections", path.display())]
    NoSections { path: PathBuf },
    #[error("{}: {source}: not parsed", path.display())]
    TooDeep {
        path: PathBuf,
        #[source]
        source: model::TooDeep,
    },
}

/// Reads one file. `root` is the ingest root: `Article::source` is the path
/// relative to it with `/` separators, and ids are the file stem.
pub fn load_file(path: &Path, root: &Path) -> Result<Loaded, ArticleError> {
    let bytes = std::fs::read(path).map_err(|source| ArticleError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|err| ArticleError::Utf8 {
        path: path.to_path_buf(),
        line: 1 + bytes[..err.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
    })?;
    let relative = path.strip_prefix(root).unwrap_or(path);
    let source = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.clone());
    parse_str(text, &id, &source).map_err(|err| err.with_path(path))
}

impl ArticleError {
    /// `parse_str` only knows the source name; `load_file` knows the real path.
    fn with_path(self, real: &Path) -> Self {
        let path = real.to_path_buf();
        match self {
            ArticleError::Read { source, .. } => ArticleError::Read { path, source },
            ArticleError::Utf8 { line, .. } => ArticleError::Utf8 { path, line },
            ArticleError::FrontMatter { line, message, .. } => ArticleError::FrontMatter {
                path,
                line,
                message,
            },
            ArticleError::NoSections { .. } => ArticleError::NoSections { path },
            ArticleError::TooDeep { source, .. } => ArticleError::TooDeep { path, source },
        }
    }
}

/// Parses front matter and body into blocks, without recognising sections.
pub fn parse_document(text: &str, source: &str) -> Result<Document, ArticleError> {
    parse_document_front(text, source).map(|(doc, _)| doc)
}

/// The document and whether the file had front matter at all.
fn parse_document_front(text: &str, source_name: &str) -> Result<(Document, bool), ArticleError> {
    let split = frontmatter::split(text).map_err(|err| ArticleError::FrontMatter {
        path: PathBuf::from(source_name),
        line: err.line,
        message: err.message,
    })?;
    let (format, blocks) = match sniff::sniff(&split.body) {
        sniff::BodyKind::Html => (Format::HelpCenter, html::parse(&split.body)),
        sniff::BodyKind::Markdown => (
            Format::Markdown,
            markdown::parse(&template::strip(&split.body)),
        ),
    };
    let blocks = blocks.map_err(|source| ArticleError::TooDeep {
        path: PathBuf::from(source_name),
        source,
    })?;
    let mut doc = Document {
        format,
        front: split.front.clone().unwrap_or_default(),
        blocks,
    };
    if format == Format::Markdown && table::has_reference_table(&doc) {
        doc.format = Format::ReferenceTable;
    }
    Ok((doc, split.front.is_some()))
}

/// Parses text already in memory; `id` is the article id (file stem) and
/// `source` the name used in `Article::source` and in errors.
pub fn parse_str(text: &str, id: &str, source: &str) -> Result<Loaded, ArticleError> {
    // A knowledge folder holds data beside its articles (a vocabulary, a
    // list of log meanings, rule files): their `#` comments read like
    // Markdown headings, and one whose comments happened to say "Issue" or
    // "Cause" would become an article. No article is a valid TOML table.
    if is_toml_data(text) {
        return Ok(Loaded::NotArticle("a TOML data file".into()));
    }
    let (doc, has_front) = parse_document_front(text, source)?;
    if doc.format != Format::ReferenceTable {
        if let Some(articles) =
            split::split(&doc.blocks).and_then(|split| split_articles(&doc, &split, id, source))
        {
            return Ok(Loaded::Articles(articles));
        }
    }
    let sectioned = sections::recognise(&doc, id, source);
    if !sectioned.troubleshooting {
        let rows = table::rows(&doc, id, source);
        if !rows.is_empty() {
            return Ok(Loaded::Articles(rows));
        }
        if !has_front {
            return Ok(Loaded::NotArticle(
                "no front matter, no troubleshooting sections and no error table".into(),
            ));
        }
        if !sectioned.has_text {
            return Err(ArticleError::NoSections {
                path: PathBuf::from(source),
            });
        }
    }
    let mut article = sectioned.article;
    if doc.format == Format::ReferenceTable {
        // A troubleshooting article that also lists codes keeps them.
        article.error_codes = table::rows(&doc, id, source)
            .into_iter()
            .flat_map(|a| a.error_codes)
            .collect();
    }
    Ok(Loaded::Articles(vec![article]))
}

/// A page covering several problems: the page without them, then one
/// article per problem section, `<id>#<fragment>`, the page its parent.
/// `None` when two sections quote the same error: a page whose sections
/// repeat one message describes one problem seen several ways (where it
/// shows, what else breaks), and is read as one article.
fn split_articles(
    doc: &Document,
    split: &split::Split,
    id: &str,
    source: &str,
) -> Option<Vec<Article>> {
    let page_doc = Document {
        format: doc.format,
        front: doc.front.clone(),
        blocks: split.page.clone(),
    };
    let page = sections::recognise(&page_doc, id, source).article;
    let page_title = page.title.clone();
    let mut out = vec![page];
    for section in &split.sections {
        let section_doc = split::section_document(doc, section);
        let section_id = format!("{id}#{}", section.fragment);
        let mut article = sections::recognise(&section_doc, &section_id, source).article;
        // The heading states the problem, when nothing under it does (an
        // include that cannot be resolved).
        if article.issue.text.trim().is_empty() {
            article.issue.text = section.title.clone();
        }
        article.parent = Some(id.to_string());
        article.parent_title = Some(page_title.clone());
        out.push(article);
    }
    let mut quoted = std::collections::HashSet::new();
    for section in &out[1..] {
        let own: std::collections::HashSet<String> = section
            .quoted_errors
            .iter()
            .map(|q| {
                q.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase()
            })
            .collect();
        if own.iter().any(|q| !quoted.insert(q.clone())) {
            return None;
        }
    }
    Some(out)
}

fn is_toml_data(text: &str) -> bool {
    !text.trim_start().starts_with("---")
        && toml::from_str::<toml::Table>(text).is_ok_and(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_data_beside_articles_is_not_an_article() {
        let data = "# Things the widget prints\n#\n# Issue: what it means\n\n\
                    [[entry]]\nmeans = \"widget hot\"\npattern = '''E_HOT'''\n";
        let loaded = parse_str(data, "meanings", "meanings.toml").unwrap();
        assert_eq!(loaded, Loaded::NotArticle("a TOML data file".into()));
        // A Markdown article is not a TOML table, even one without front
        // matter whose first lines read as TOML comments.
        let article =
            "# Widget overheats\n\n## Issue\n\n```\nE_HOT\n```\n\n## Solution\n\n1. Cool it.\n";
        assert!(matches!(
            parse_str(article, "widget-hot", "widget-hot.md").unwrap(),
            Loaded::Articles(_)
        ));
    }

    #[test]
    fn readme_is_not_an_article() {
        let loaded = parse_str(
            "# Project\n\nSome words.\n\n| a | b |\n|-|-|\n| 1 | 2 |\n",
            "README",
            "README.md",
        )
        .unwrap();
        assert!(matches!(loaded, Loaded::NotArticle(_)));
    }

    #[test]
    fn front_matter_and_empty_body_is_an_error() {
        let err = parse_str("---\ntitle: x\n---\n<p> </p>\n", "x", "x.txt").unwrap_err();
        assert!(matches!(err, ArticleError::NoSections { .. }));
        assert!(err.to_string().contains("x.txt"));
    }

    #[test]
    fn paragraphs_only_become_issue_text() {
        let Loaded::Articles(articles) = parse_str(
            "---\ntitle: T\n---\n<p>Something breaks.</p>\n",
            "a",
            "a.txt",
        )
        .unwrap() else {
            panic!("article expected")
        };
        assert_eq!(articles[0].issue.text, "Something breaks.");
        assert_eq!(
            articles[0].description.as_deref(),
            Some("Something breaks.")
        );
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// The whole way from text to rule, on any mix of what articles
        /// hold (front matter, headings, lists, code, tables, HTML): a
        /// result or an error, never a panic.
        #[test]
        fn any_article_text_becomes_articles_rules_or_an_error(
            front in proptest::option::of("[a-z]{1,8}: [A-Za-z ,]{0,20}"),
            tokens in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        "## Issue\n", "## Cause\n", "## Solution\n", "Problem: ", "- ", "1. ",
                        "  ", "> ", "```\n", "Error: widget exploded\n", "\n\n",
                        "| Code | Message |\n|---|---|\n| 11 | Failed x |\n", "<p>", "</p>",
                        "<h2>Cause</h2>", "<ol><li>", "</li></ol>", "<pre>", "</pre>", "[x](y)",
                        "`code`", "**", "Steps to reproduce:\n", "Expected result:\n",
                    ]).prop_map(str::to_string),
                    ".{0,10}",
                ],
                0..120,
            ),
        ) {
            let body: String = tokens.concat();
            let text = match front {
                Some(field) => format!("---\n{field}\n---\n{body}"),
                None => body,
            };
            if let Ok(Loaded::Articles(articles)) = parse_str(&text, "a", "a.md") {
                for article in &articles {
                    let rule = crate::extract::rule_from_article(article);
                    proptest::prop_assert!(!rule.id.is_empty());
                }
            }
        }
    }
}
