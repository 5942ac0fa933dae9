//! Files -> [`Article`]s: sniff the format, parse front matter and body,
//! recognise sections.

pub mod model;

pub use model::{Article, Block, Document, Format};

// TEMPORARY stub until the article parsers land (replaced on merge).
#[derive(Debug)]
pub enum Loaded {
    Articles(Vec<Article>),
    NotArticle(String),
}
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ArticleError(String);
pub fn load_file(path: &std::path::Path, _root: &std::path::Path) -> Result<Loaded, ArticleError> {
    Err(ArticleError(format!(
        "{}: parsers not built yet",
        path.display()
    )))
}
