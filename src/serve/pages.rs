//! The HTML pages, as maud templates: every value spliced in is escaped by
//! maud, and no page has an inline script or style (see `security::CSP`).
//!
//! - `/` and `/search?q=`: a search box; the page's script shows results as
//!   one types (from `/api/search`), and the form works without it.
//! - `/articles/{id}`: one article, or the sections of a multi-problem
//!   page (rules `<page>#<fragment>`).
//! - `/diagnose`: paste or drop a log; the diagnosis laid out as `triage
//!   diagnose` prints it. The script posts the log as it is (a dropped
//!   `.gz` too) and puts the answer's `#diagnosis` in place; without the
//!   script the form posts and the page comes back whole.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, DOCTYPE};

use super::api::{self, ApiError, SearchParams};
use super::confidence::{self, Words};
use super::links::article_path;
use super::state::{self, page_of, Loaded};
use super::steps::{self, Entry, Item, Kind};
use crate::diagnose::{Diagnosis, Finding};
use crate::log::Reading;
use crate::matcher::Confidence;
use crate::rulebook::rule::{article_link, Rule};
use crate::search::Hit;

/// Results a search page shows (the script asks for as many).
const PAGE_RESULTS: usize = 10;

const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/style.css");

pub(super) fn routes() -> Router<Arc<state::State>> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search_page))
        .route("/articles/{id}", get(article_page))
        .route("/diagnose", get(diagnose_form).post(diagnose_page))
        .route("/static/app.js", get(script))
        .route("/static/style.css", get(style))
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        text,
    )
        .into_response()
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nav {
    Search,
    Diagnose,
    None,
}

fn layout(title: &str, nav: Nav, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · triage" }
                link rel="stylesheet" href="/static/style.css";
                script src="/static/app.js" defer {}
            }
            body {
                header {
                    a.brand href="/" { "triage" }
                    nav {
                        a href="/" aria-current=[(nav == Nav::Search).then_some("page")] { "Search articles" }
                        a href="/diagnose" aria-current=[(nav == Nav::Diagnose).then_some("page")] { "Diagnose a log" }
                    }
                }
                main { (main) }
                footer {
                    "triage " (env!("CARGO_PKG_VERSION"))
                    " · JSON API: " code { "/api/search?q=" } ", " code { "POST /api/diagnose" } ", "
                    code { "/api/articles/{id}" }
                }
            }
        }
    }
}

fn page(status: StatusCode, title: &str, nav: Nav, main: Markup) -> Response {
    (status, layout(title, nav, main)).into_response()
}

fn error_page(e: &ApiError) -> Response {
    let title = match e.status() {
        StatusCode::NOT_FOUND => "Not found",
        s if s.is_server_error() => "Something went wrong",
        _ => "Cannot do that",
    };
    let mut response = page(
        e.status(),
        title,
        Nav::None,
        html! {
            h1 { (title) }
            p.error { (e.to_string()) }
            p { a href="/" { "Search the articles" } }
        },
    );
    if matches!(e, ApiError::TooLarge { .. } | ApiError::TimedOut) {
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    response
}

/// Unknown routes: a page for a person, JSON under `/api/`.
pub(super) async fn not_found(uri: Uri) -> Response {
    let e = ApiError::NotFound(format!("nothing at {}", uri.path()));
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        error_page(&e)
    }
}

/// A link to the article's own page, by id.
fn article_href(id: &str) -> String {
    article_path(id)
}

/// An address a page may link to: the web's, not `javascript:` or `data:`
/// (rules come from articles, which could hold anything).
fn is_web_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Where to read an article other than on this server: its link, unless
/// that is its page here (see `links`).
fn elsewhere<'a>(loaded_state: &state::State, id: &str, link: &'a str) -> Option<&'a str> {
    let own = loaded_state
        .public_url
        .as_ref()
        .is_some_and(|p| link == p.article(id));
    (is_web_link(link) && !own).then_some(link)
}

/// `text` with the ids of other articles in it as links to them: articles
/// refer to each other by id ("see composer-invalid-access-keys"). Only a
/// word with a hyphen that is exactly a rule's id counts.
fn prose(text: &str, is_id: &dyn Fn(&str) -> bool) -> Markup {
    let word = |c: char| c.is_alphanumeric() || "-_#".contains(c);
    let mut pieces: Vec<(&str, bool)> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(word) {
        let len = rest[start..]
            .find(|c| !word(c))
            .unwrap_or(rest.len() - start);
        let candidate = rest[start..start + len].trim_end_matches(['-', '#']);
        if candidate.contains('-') && is_id(candidate) {
            pieces.push((&rest[..start], false));
            pieces.push((candidate, true));
            rest = &rest[start + candidate.len()..];
        } else {
            pieces.push((&rest[..start + len], false));
            rest = &rest[start + len..];
        }
    }
    pieces.push((rest, false));
    html! {
        @for (piece, is_link) in pieces {
            @if is_link { a href=(article_href(piece)) { (piece) } } @else { (piece) }
        }
    }
}

// ---------------------------------------------------------------- search

async fn home(State(state): State<Arc<state::State>>) -> Response {
    search_view(&state, "", None)
}

async fn search_page(
    State(state): State<Arc<state::State>>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let q = match params {
        Ok(Query(p)) => p.q.unwrap_or_default(),
        Err(e) => return error_page(&ApiError::BadRequest(e.body_text())),
    };
    if q.trim().is_empty() {
        return search_view(&state, "", None);
    }
    let found = api::search(&state, q.clone(), PAGE_RESULTS).await;
    search_view(&state, &q, Some(found))
}

type Found = Result<(Arc<Loaded>, Vec<Hit>), ApiError>;

fn search_view(state: &state::State, q: &str, found: Option<Found>) -> Response {
    let own_prefix = state
        .public_url
        .as_ref()
        .map(|p| format!("{}/articles/", p.as_str()));
    let title = if q.is_empty() {
        "Search articles".to_string()
    } else {
        format!("{q} – search")
    };
    let main = html! {
        h1 { "Find the article for a symptom" }
        form #search-form role="search" method="get" action="/search" {
            label for="q" { "Describe the symptom or paste the error message" }
            div.row {
                input #q type="search" name="q" value=(q) autocomplete="off" autofocus
                    placeholder="e.g. composer install fails with invalid credentials";
                button type="submit" { "Search" }
            }
        }
        p #search-status role="status" aria-live="polite" {
            @match &found {
                Some(Ok((_, hits))) if hits.is_empty() => { "No article matches." }
                Some(Ok((_, hits))) => { (hits.len()) @if hits.len() == 1 { " result" } @else { " results" } }
                Some(Err(e)) => { (e.to_string()) }
                None => {}
            }
        }
        ol #results data-limit=(PAGE_RESULTS)
            data-strong-score=(confidence::STRONG_SCORE) data-strong-lead=(confidence::STRONG_LEAD)
            data-possible-score=(confidence::POSSIBLE_SCORE) data-possible-share=(confidence::POSSIBLE_SHARE)
            data-own-prefix=[own_prefix.as_deref()] {
            @if let Some(Ok((loaded, hits))) = &found {
                @let scores: Vec<f64> = hits.iter().map(|h| h.score).collect();
                @for (rank, hit) in hits.iter().enumerate() {
                    (result(state, loaded, hit, confidence::words(&scores, rank)))
                }
            }
        }
    };
    let status = match &found {
        Some(Err(e)) => e.status(),
        _ => StatusCode::OK,
    };
    page(status, &title, Nav::Search, main)
}

/// One search result; `app.js` builds the same from the JSON.
fn result(state: &state::State, loaded: &Loaded, hit: &Hit, words: Words) -> Markup {
    let rules = &loaded.engine.rules;
    let rule = &rules[hit.rule];
    let link = article_link(rules, hit.rule, &hit.also);
    html! {
        li.result {
            div.head {
                a.title href=(article_href(&rule.id)) { (rule.title) }
                span class={"badge " (words.class())} { (words.as_str()) }
            }
            @if !hit.snippet.is_empty() { p.snippet { (hit.snippet) } }
            p.meta {
                span.id { (rule.id) }
                @if let Some(url) = elsewhere(state, &rule.id, link) {
                    " · " a href=(url) rel="noopener noreferrer" { "source" }
                }
                @if !hit.also.is_empty() {
                    " · also published as "
                    @for (i, &a) in hit.also.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(article_href(&rules[a].id)) { (rules[a].id) }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- articles

async fn article_page(
    State(state): State<Arc<state::State>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return error_page(&ApiError::NotFound("no such article".into()));
    };
    let loaded = state.current();
    match api::show(&loaded, &id) {
        Ok(rule) => {
            let main = article_view(&state, &loaded, &rule);
            page(StatusCode::OK, &rule.title, Nav::None, main)
        }
        Err(e) if loaded.sections(&id).is_empty() => error_page(&e),
        // A multi-problem page that is no rule itself: its sections.
        Err(_) => {
            let main = html! {
                h1 { (id) }
                (sections_view(&loaded, &id))
            };
            page(StatusCode::OK, &id, Nav::None, main)
        }
    }
}

fn article_view(state: &state::State, loaded: &Loaded, rule: &Rule) -> Markup {
    let is_id = |w: &str| w != rule.id && loaded.rule(w).is_some();
    let symptoms = crate::report::rule::symptoms(rule);
    let at = loaded.rule(&rule.id).unwrap_or(0);
    let editions = loaded.engine.index.other_editions(at);
    let issue = &rule.issue;
    html! {
        article.article {
            @if let Some(page) = page_of(&rule.id) {
                p.crumb { "Section of " a href=(article_href(page)) { (page) } }
            }
            h1 { (rule.title) }
            p.meta {
                span.id { (rule.id) }
                @if !rule.source.is_empty() { " · " span { (rule.source) } }
                @if let Some(url) = elsewhere(state, &rule.id, &rule.link) {
                    " · " a href=(url) rel="noopener noreferrer" { "source article" }
                }
            }
            @if !editions.is_empty() {
                p.meta {
                    "Also published as "
                    @for (i, &e) in editions.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(article_href(&loaded.engine.rules[e].id)) { (loaded.engine.rules[e].id) }
                    }
                }
            }
            @if !rule.products.is_empty() {
                h2 { "Applies to" }
                ul { @for p in &rule.products { li { (p) } } }
            }
            @if !symptoms.is_empty() {
                h2 { "Symptoms" }
                ul.symptoms { @for s in &symptoms { li { code { (s) } } } }
            }
            @if !issue.text.is_empty() {
                h2 { "Issue" }
                p { (prose(&issue.text, &is_id)) }
            }
            @if !issue.steps_to_reproduce.is_empty() {
                h2 { "Steps to reproduce" }
                (steps_view(&issue.steps_to_reproduce, &is_id))
            }
            @if !issue.expected.is_empty() {
                h2 { "Expected result" }
                p { (issue.expected) }
            }
            @if !issue.actual.is_empty() {
                h2 { "Actual result" }
                p { (issue.actual) }
            }
            @if !rule.cause.is_empty() {
                h2 { "Cause" }
                p { (prose(&rule.cause, &is_id)) }
            }
            @if !rule.steps.is_empty() {
                h2 { "Solution" }
                (steps_view(&rule.steps, &is_id))
            }
            @if !rule.related.is_empty() {
                h2 { "Related reading" }
                ul.related {
                    @for l in &rule.related {
                        li {
                            @if is_web_link(&l.url) {
                                a href=(l.url) rel="noopener noreferrer" { (l.text) }
                            } @else {
                                (l.text) " " code { (l.url) }
                            }
                        }
                    }
                }
            }
            @if !loaded.sections(&rule.id).is_empty() {
                (sections_view(loaded, &rule.id))
            }
        }
    }
}

fn sections_view(loaded: &Loaded, page: &str) -> Markup {
    let sections = loaded.sections(page);
    html! {
        section.sections {
            h2 { "Sections of this page" }
            ol {
                @for &s in sections {
                    @let rule = &loaded.engine.rules[s];
                    li { a href=(article_href(&rule.id)) { (rule.title) } " " span.id { (rule.id) } }
                }
            }
        }
    }
}

/// Steps as an outline: numbered as the CLI numbers them, headings
/// between, nested lists kept. The numbers go on across headings, so each
/// list starts where the last one stopped.
fn steps_view(steps: &[String], is_id: &dyn Fn(&str) -> bool) -> Markup {
    let outline = steps::outline(steps);
    // Consecutive steps form one list.
    let mut groups: Vec<Vec<&Entry>> = Vec::new();
    for entry in &outline {
        match (entry, groups.last_mut()) {
            (Entry::Step { .. }, Some(group)) if matches!(group[0], Entry::Step { .. }) => {
                group.push(entry);
            }
            _ => groups.push(vec![entry]),
        }
    }
    html! {
        div.steps {
            @for group in &groups {
                @match group[0] {
                    Entry::Heading(text) => { h3 { (text) } }
                    Entry::Step { number, .. } => {
                        ol start=(number) {
                            @for entry in group {
                                @if let Entry::Step { text, items, .. } = entry {
                                    li { (prose(text, is_id)) (items_view(items, is_id)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn items_view(items: &[Item], is_id: &dyn Fn(&str) -> bool) -> Markup {
    // Runs of one kind: a numbered run is an <ol>, bullets a <ul>, text a
    // block of lines.
    let mut runs: Vec<&[Item]> = Vec::new();
    let mut start = 0;
    for i in 1..=items.len() {
        if i == items.len() || items[i].kind != items[start].kind {
            runs.push(&items[start..i]);
            start = i;
        }
    }
    html! {
        @for run in runs {
            @match run[0].kind {
                Kind::Numbered => { ol { @for item in run { li { (prose(&item.text, is_id)) (items_view(&item.items, is_id)) } } } }
                Kind::Bullet => { ul { @for item in run { li { (prose(&item.text, is_id)) (items_view(&item.items, is_id)) } } } }
                Kind::Text => {
                    @for item in run {
                        div.line { (prose(&item.text, is_id)) }
                        (items_view(&item.items, is_id))
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- diagnose

async fn diagnose_form() -> Response {
    diagnose_view(None, "")
}

async fn diagnose_page(
    State(state): State<Arc<state::State>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let found = if form {
        diagnose_form_post(&state, &headers, body).await
    } else {
        // The script posts the log (text or a dropped file) as it is.
        api::diagnose(&state, &headers, body, 3).await
    };
    match found {
        Ok((loaded, d)) => diagnose_view(Some((&loaded, &d)), ""),
        Err(e) => {
            let mut response = diagnose_view(None, &e.to_string());
            *response.status_mut() = e.status();
            if matches!(e, ApiError::TooLarge { .. } | ApiError::TimedOut) {
                response.headers_mut().insert(
                    header::CONNECTION,
                    header::HeaderValue::from_static("close"),
                );
            }
            response
        }
    }
}

/// The form without the script: `log=...`, url-encoded. Read whole (it
/// must be decoded before it is a log), within the same limit.
async fn diagnose_form_post(
    state: &state::State,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Arc<Loaded>, Diagnosis), ApiError> {
    let limit = state.max_body;
    let bytes = axum::body::to_bytes(body, usize::try_from(limit).unwrap_or(usize::MAX))
        .await
        .map_err(|_| ApiError::TooLarge { limit })?;
    let log = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "log")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let mut plain = headers.clone();
    plain.remove(header::CONTENT_LENGTH);
    plain.remove(header::CONTENT_ENCODING);
    api::diagnose(state, &plain, Body::from(log), 3).await
}

fn diagnose_view(d: Option<(&Loaded, &Diagnosis)>, error: &str) -> Response {
    let main = html! {
        h1 { "Diagnose a failed deploy" }
        form #diagnose-form method="post" action="/diagnose" {
            label for="log-text" { "Paste the log, or drop a log file (plain or .gz) on the box" }
            textarea #log-text name="log" rows="12" spellcheck="false"
                placeholder="./deploy.sh 2>&1 output, a CI job log, kubectl logs ..." {}
            div.row {
                input #log-file type="file" aria-label="Log file";
                button type="submit" { "Diagnose" }
                span #diagnose-status role="status" aria-live="polite" {}
            }
            p.note { "The log is read to answer and then dropped: it is not stored, nor written to the server's log." }
        }
        section #diagnosis {
            @if !error.is_empty() { p.error { (error) } }
            @if let Some((loaded, d)) = d { (diagnosis_view(loaded, d)) }
        }
    };
    page(StatusCode::OK, "Diagnose a log", Nav::Diagnose, main)
}

fn confidence_words(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high confidence",
        Confidence::Medium => "medium confidence",
        Confidence::Low => "low confidence",
    }
}

/// Lines shown as the text report shows them: shortened with `…`.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

/// The diagnosis in the order and words of `triage diagnose`'s text report.
fn diagnosis_view(loaded: &Loaded, d: &Diagnosis) -> Markup {
    let is_id = |w: &str| loaded.rule(w).is_some();
    html! {
        @match d.diagnoses.first() {
            Some(best) => {
                h2.found {
                    "Diagnosis: " a href=(article_href(&best.id)) { (best.title) }
                }
                p.meta {
                    span class={"badge " (finding_class(best.confidence))} { (confidence_words(best.confidence)) }
                    " · id " span.id { (best.id) }
                }
                (finding_view(best, &d.meanings, &is_id))
                @if d.diagnoses.len() > 1 {
                    h3 { "Other candidates" }
                    ul {
                        @for f in &d.diagnoses[1..] {
                            li {
                                a href=(article_href(&f.id)) { (f.title) }
                                " " span.meta { "(" (confidence_words(f.confidence)) ", id " (f.id) ")" }
                            }
                        }
                    }
                }
            }
            None if d.failure.is_empty() && d.related.is_empty() => {
                h2.none { "No failure found in " (lines(d.lines)) ": nothing to diagnose." }
            }
            None if d.failure.is_empty() => {
                h2.none { (crate::report::diagnosis::no_failure_recognised(d.lines)) }
            }
            None => {
                h2.none { "No known issue matched this failure." }
                h3 { "Failure lines" }
                (numbered_lines(d.failure.iter().rev().take(8).rev().map(|e| (e.line, clip(&e.text, 300)))))
                (reads_as(&d.meanings))
            }
        }
        @if !d.related.is_empty() {
            h3 { "Possibly related" }
            ul.related {
                @for f in &d.related {
                    li {
                        a href=(article_href(&f.id)) { (f.title) }
                        " " span.id { (f.id) }
                        @if is_web_link(&f.link) {
                            " · " a href=(f.link) rel="noopener noreferrer" { "source" }
                        }
                    }
                }
            }
        }
    }
}

/// The badge colour of a finding's confidence.
fn finding_class(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "strong",
        Confidence::Medium => "possible",
        Confidence::Low => "weak",
    }
}

fn lines(n: usize) -> String {
    if n == 1 {
        "1 line".into()
    } else {
        format!("{n} lines")
    }
}

fn numbered_lines(lines: impl Iterator<Item = (usize, String)>) -> Markup {
    html! {
        table.lines {
            @for (n, text) in lines {
                tr { td.n { (n) } td { code { (text) } } }
            }
        }
    }
}

fn reads_as(meanings: &[Reading]) -> Markup {
    html! {
        @if !meanings.is_empty() {
            h3 { "Reads as" }
            table.lines {
                @for m in meanings {
                    tr {
                        td.n { (m.line) }
                        td { (m.means) " " span.meta { "(" code { (clip(&m.text, 60)) } ")" } }
                    }
                }
            }
        }
    }
}

fn finding_view(f: &Finding, meanings: &[Reading], is_id: &dyn Fn(&str) -> bool) -> Markup {
    html! {
        @if is_web_link(&f.link) {
            p { a href=(f.link) rel="noopener noreferrer" { (f.link) } }
        }
        @if !f.also.is_empty() {
            p.meta {
                "Also published as "
                @for (i, id) in f.also.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href=(article_href(id)) { (id) }
                }
            }
        }
        @if !f.evidence.is_empty() {
            h3 { "Evidence" }
            (numbered_lines(f.evidence.iter().map(|e| (e.line, clip(&e.text, 300)))))
        }
        (reads_as(meanings))
        @if !f.cause.is_empty() {
            h3 { "Cause" }
            p { (prose(&f.cause, is_id)) }
        }
        @if !f.steps.is_empty() {
            h3 { "Remediation" }
            (steps_view(&f.steps, is_id))
        }
        p { a href=(article_href(&f.id)) { "Full article" } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_become_links() {
        assert!(is_web_link("https://experienceleague.adobe.com/x"));
        assert!(is_web_link("HTTP://example.com"));
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "/etc/passwd",
            "",
        ] {
            assert!(!is_web_link(bad), "{bad}");
        }
    }

    #[test]
    fn ids_in_prose_link_to_their_article() {
        let is_id = |w: &str| ["cron-running", "error-codes#11"].contains(&w);
        let html = prose(
            "Stop cron (see cron-running). Code error-codes#11, not cron-running-x or cron.",
            &is_id,
        )
        .into_string();
        assert_eq!(
            html,
            "Stop cron (see <a href=\"/articles/cron-running\">cron-running</a>). \
             Code <a href=\"/articles/error-codes%2311\">error-codes#11</a>, not cron-running-x or cron."
        );
        assert_eq!(prose("", &is_id).into_string(), "");
        assert_eq!(prose("<b>", &is_id).into_string(), "&lt;b&gt;");
    }

    #[test]
    fn spliced_text_is_escaped() {
        let steps = vec!["Run <script>alert(1)</script> & \"quote\"".to_string()];
        let html = steps_view(&steps, &|_| false).into_string();
        assert!(
            html.contains("Run &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quote&quot;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn steps_keep_their_numbers_and_nesting() {
        let steps = vec![
            "First.".to_string(),
            "If it fails:".to_string(),
            "Second:\n  1. sub one\n    - deeper\n  2. sub two".to_string(),
        ];
        let html = steps_view(&steps, &|_| false).into_string();
        assert_eq!(
            html,
            "<div class=\"steps\"><ol start=\"1\"><li>First.</li></ol><h3>If it fails</h3>\
             <ol start=\"2\"><li>Second:<ol><li>sub one<ul><li>deeper</li></ul></li>\
             <li>sub two</li></ol></li></ol></div>"
        );
    }
}
