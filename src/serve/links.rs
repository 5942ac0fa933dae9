//! Where an article can be read: the project's own articles have their page
//! on a `triage serve` server, at the base URL its operator chose.
//!
//! A rule marks "my article is the server's page" by having no `link`, and
//! no other edition with one: the bundled articles were written for this
//! project and exist nowhere else. When a public URL is set (`triage serve
//! --public-url`, or `TRIAGE_PUBLIC_URL` for the other commands), such a
//! rule's link becomes `<public-url>/articles/<id>`; when none is set it
//! stays empty, rather than pointing at an address nobody serves.
//!
//! Links are filled into the loaded rules before anything is reported, so
//! the renderers and the JSON contracts stay as they are, and the CLI and
//! the server give the same `link` for the same rules and URL.

use crate::knowledge::Knowledge;
use crate::rulebook::rule::{article_link, Rule};
use crate::search::Hit;

/// The environment variable the CLI reads the public URL from.
pub const PUBLIC_URL_VAR: &str = "TRIAGE_PUBLIC_URL";

/// The base URL a `triage serve` is reached at, as users' browsers see it
/// (behind a proxy, the proxy's address): `http(s)://host[:port][/path]`,
/// without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicUrlError {
    #[error("public URL {0:?} must start with http:// or https://")]
    Scheme(String),
    #[error("public URL {0:?} has no host")]
    NoHost(String),
    #[error("public URL {0:?} must be a base address, without query, fragment, spaces or quotes")]
    Invalid(String),
}

impl PublicUrl {
    pub fn parse(text: &str) -> Result<PublicUrl, PublicUrlError> {
        let url = text.trim().trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| PublicUrlError::Scheme(text.to_string()))?;
        // Each of these would change what a link appended to the base means,
        // or could not appear in a URL unescaped.
        if rest
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "?#\"'<>\\`".contains(c))
        {
            return Err(PublicUrlError::Invalid(text.to_string()));
        }
        if rest.split('/').next().is_none_or(str::is_empty) {
            return Err(PublicUrlError::NoHost(text.to_string()));
        }
        Ok(PublicUrl(url.to_string()))
    }

    /// [`PUBLIC_URL_VAR`], when set and not empty.
    pub fn from_env() -> Result<Option<PublicUrl>, PublicUrlError> {
        match std::env::var(PUBLIC_URL_VAR) {
            Ok(v) if !v.trim().is_empty() => PublicUrl::parse(&v).map(Some),
            _ => Ok(None),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address of the page of article `id` on the server.
    pub fn article(&self, id: &str) -> String {
        format!("{}{}", self.0, article_path(id))
    }
}

/// The server path of article `id`, the id percent-encoded: ids hold `#`
/// (`error-codes#11`, a table row or a page's section), which would
/// otherwise start a fragment.
pub fn article_path(id: &str) -> String {
    format!("/articles/{}", encode_segment(id))
}

/// `text` as one URL path segment: every byte but the unreserved ones
/// (RFC 3986) percent-encoded, so no `/`, `?`, `#` or `%` keeps a meaning.
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Fills the link of every rule whose article has none (neither the rule
/// nor another edition of it) with its page under `base`. Decided for all
/// rules first, then applied, so that filling one edition does not change
/// the decision for its twin: each gets its own page, as `article_link`
/// would pick.
pub fn fill_knowledge(k: &mut Knowledge, base: &PublicUrl) {
    let linkless: Vec<usize> = (0..k.rules.len())
        .filter(|&r| article_link(&k.rules, r, &k.index.other_editions(r)).is_empty())
        .collect();
    for r in linkless {
        k.rules[r].link = base.article(&k.rules[r].id);
    }
}

/// The same for search results, whose rules are decoded one by one (see
/// `Catalog::shown`): `rules` and `hits` as the search reports take them.
pub fn fill_hits(rules: &mut [Rule], hits: &[Hit], base: &PublicUrl) {
    for h in hits {
        if article_link(rules, h.rule, &h.also).is_empty() {
            if let Some(rule) = rules.get_mut(h.rule) {
                rule.link = base.article(&rule.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rulebook::LoadedRule;

    #[test]
    fn public_urls_are_base_addresses() {
        let url = PublicUrl::parse("https://help.example.com/triage/").unwrap();
        assert_eq!(url.as_str(), "https://help.example.com/triage");
        assert_eq!(
            url.article("error-codes#11"),
            "https://help.example.com/triage/articles/error-codes%2311"
        );
        assert!(PublicUrl::parse("http://127.0.0.1:8080").is_ok());
        for bad in ["help.example.com", "ftp://x", "https://", "https:///x"] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
        for bad in [
            "https://x/?a=1",
            "https://x/#top",
            "https://x/a b",
            "https://x/\"><",
        ] {
            assert!(
                matches!(PublicUrl::parse(bad), Err(PublicUrlError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn ids_are_one_path_segment() {
        assert_eq!(encode_segment("disk-full_v2.1~x"), "disk-full_v2.1~x");
        assert_eq!(encode_segment("a#b/c?d%e f"), "a%23b%2Fc%3Fd%25e%20f");
        assert_eq!(encode_segment("é"), "%C3%A9");
        assert_eq!(article_path("../etc"), "/articles/..%2Fetc");
    }

    fn loaded(id: &str, title: &str, link: &str) -> LoadedRule {
        LoadedRule {
            rule: Rule {
                id: id.into(),
                title: title.into(),
                link: link.into(),
                ..Rule::default()
            },
            origin: format!("{id}.toml"),
        }
    }

    #[test]
    fn only_articles_without_any_link_get_their_page() {
        let mut k = Knowledge::from_loaded(vec![
            // Two editions of one article, one published elsewhere.
            loaded("widget-kb", "Widget frobnication fails on upgrade", ""),
            loaded(
                "1234",
                "Widget frobnication fails on upgrade",
                "https://help.example/1234",
            ),
            // Two editions, neither published.
            loaded("gadget-kb", "Gadget calibration drifts after restart", ""),
            loaded("gadget-hc", "Gadget calibration drifts after restart", ""),
            loaded("sprocket", "Sprocket teeth wear out", ""),
        ]);
        assert_eq!(k.index.other_editions(0), vec![1], "the fixture folds");
        assert_eq!(k.index.other_editions(2), vec![3], "the fixture folds");
        let base = PublicUrl::parse("https://kb.example").unwrap();
        fill_knowledge(&mut k, &base);
        let links: Vec<&str> = k.rules.iter().map(|r| r.link.as_str()).collect();
        assert_eq!(
            links,
            [
                "",
                "https://help.example/1234",
                "https://kb.example/articles/gadget-kb",
                "https://kb.example/articles/gadget-hc",
                "https://kb.example/articles/sprocket",
            ]
        );
        assert_eq!(
            article_link(&k.rules, 0, &k.index.other_editions(0)),
            "https://help.example/1234"
        );
    }

    #[test]
    fn search_hits_get_the_links_the_knowledge_would() {
        let rules = vec![
            loaded("gadget-kb", "Gadget calibration drifts after restart", ""),
            loaded("gadget-hc", "Gadget calibration drifts after restart", ""),
            loaded("sprocket", "Sprocket teeth wear out", "https://x.example/s"),
        ];
        let base = PublicUrl::parse("https://kb.example").unwrap();
        let mut k = Knowledge::from_loaded(rules);
        let hits = k.index.search(&k.rules, "gadget calibration", 5).unwrap();
        let mut shown = k.rules.clone();
        fill_hits(&mut shown, &hits, &base);
        fill_knowledge(&mut k, &base);
        for h in &hits {
            assert_eq!(
                article_link(&shown, h.rule, &h.also),
                article_link(&k.rules, h.rule, &h.also)
            );
        }
        assert!(!hits.is_empty());
    }
}
