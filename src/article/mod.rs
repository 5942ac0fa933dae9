//! Files -> [`Article`]s: sniff the format, parse front matter and body,
//! recognise sections.

pub mod model;

pub use model::{Article, Block, Document, Format};
