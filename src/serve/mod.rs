//! `triage serve`, and the public links of the project's own articles (see
//! `links`), which the CLI gives too.

pub mod links;

pub use links::{PublicUrl, PublicUrlError};
