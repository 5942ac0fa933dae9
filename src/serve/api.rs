//! The routes, the JSON API, and the three calls pages share with it.
//!
//! Each API route answers, byte for byte, what the CLI prints for the same
//! input: the same library calls, links filled the same way, the same
//! renderer (`report::*::json`), the same trailing newline.
//!
//! | route | answers like |
//! |---|---|
//! | `GET /api/search?q=&limit=` | `triage search --format json --limit N Q` |
//! | `POST /api/diagnose?top=` (body: the log, gzip accepted) | `triage diagnose --format json --top N` |
//! | `GET /api/articles/{id}` | `triage show --format json ID` |
//! | `GET /healthz` | `{"status": "ok", "rules": N, "generation": G}` |
//!
//! A query longer than [`MAX_QUERY`] bytes is refused (400) where the CLI
//! would search it: a search takes time with the query's length.
//!
//! Where the CLI fails, the API answers `{"error": "..."}` with 400 (bad
//! query or log), 404 (unknown id), 408, 413 (body over `--max-body`),
//! 415 (a content encoding other than gzip) or 503 (no turn to diagnose
//! before the request's deadline). A search with no result is the
//! CLI's `{"results": []}` with 200: an answer, not an error.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::body::{self, BodyReader, Fault, Faults};
use super::pages;
use super::security;
use super::state::{self, Loaded};
use crate::diagnose::Diagnosis;
use crate::report;
use crate::rulebook::rule::{article_link, Rule};
use crate::search::{Hit, QueryError};

/// Every route, with the layers every request goes through.
pub(super) fn router(state: Arc<state::State>) -> Router {
    use axum::middleware::{from_fn, from_fn_with_state};
    Router::new()
        .route("/api/search", get(search_route))
        .route("/api/diagnose", post(diagnose_route))
        .route("/api/articles/{id}", get(article_route))
        .route("/healthz", get(health))
        .merge(pages::routes())
        .fallback(pages::not_found)
        .layer(from_fn_with_state(Arc::clone(&state), security::deadline))
        .layer(from_fn(security::headers))
        .layer(from_fn(security::access_log))
        .with_state(state)
}

/// Why a request got no answer, and the status that says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the request body is larger than {limit} bytes (the server's --max-body), sent or decompressed")]
    TooLarge { limit: u64 },
    #[error("the request body did not arrive in time")]
    TimedOut,
    #[error("content encoding {0:?} is not accepted; send the log as it is, or gzip")]
    Encoding(String),
    #[error("the server is too busy to diagnose this log in time; try again")]
    Busy,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TimedOut => StatusCode::REQUEST_TIMEOUT,
            ApiError::Encoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.to_string() });
        let mut response = json_response(format!("{body}\n"));
        *response.status_mut() = self.status();
        if matches!(self, ApiError::TooLarge { .. } | ApiError::TimedOut) {
            // The rest of the body is not read; the connection cannot be
            // reused.
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A count from the query string, as the CLI's `--limit`/`--top` take it:
/// a whole number, at least 1.
fn count(name: &str, value: Option<&str>, default: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(0) => Err(ApiError::BadRequest(format!("{name} must be at least 1"))),
            Ok(n) => Ok(n),
            Err(_) => Err(ApiError::BadRequest(format!(
                "{name} must be a whole number, not {v:?}"
            ))),
        },
    }
}

fn query_error(e: QueryError) -> ApiError {
    match e {
        // Worded as the CLI words it.
        QueryError::Empty => ApiError::BadRequest(format!(
            "{e}; describe the symptom or paste the error message"
        )),
        QueryError::TooLong { .. } => ApiError::BadRequest(e.to_string()),
        QueryError::Stale { .. } | QueryError::Unreadable { .. } => ApiError::Internal,
    }
}

/// The longest query searched, as the CLI's: a pasted error is far
/// shorter, and a log goes to diagnose.
pub(super) const MAX_QUERY: usize = crate::search::MAX_QUERY_BYTES;

/// The search, as `triage search` runs it: the hits and the rules they
/// index (the server's rules have their links filled already).
pub(super) async fn search(
    state: &state::State,
    query: String,
    limit: usize,
) -> Result<(Arc<Loaded>, Vec<Hit>), ApiError> {
    if query.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "the query is empty: describe the symptom or paste the error message".into(),
        ));
    }
    if query.len() > MAX_QUERY {
        return Err(ApiError::BadRequest(format!(
            "the query is longer than {MAX_QUERY} bytes: paste the error lines, or post the whole log to /api/diagnose"
        )));
    }
    let turn = Arc::clone(&state.searches)
        .acquire_owned()
        .await
        .map_err(|_| ApiError::Internal)?;
    // The rules as they are when the turn comes (a reload may have
    // happened while waiting).
    let loaded = state.current();
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let hits = loaded
            .engine
            .index
            .search(&loaded.engine.rules, &query, limit)
            .map_err(query_error)?;
        Ok((loaded, hits))
    })
    .await
    .map_err(|_| ApiError::Internal)?
}

#[derive(Debug, Deserialize)]
pub(super) struct SearchParams {
    pub q: Option<String>,
    pub limit: Option<String>,
}

async fn search_route(
    State(state): State<Arc<state::State>>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = count("limit", params.limit.as_deref(), 5)?;
    let query = params
        .q
        .ok_or_else(|| ApiError::BadRequest("missing q, the query".into()))?;
    let (loaded, hits) = search(&state, query, limit).await?;
    let json = report::search::json(&loaded.engine.rules, &hits);
    Ok(json_response(format!("{json}\n")))
}

/// The rule `id` as `triage show` prints it: with its article's link (its
/// own, or an edition's).
pub(super) fn show(loaded: &Loaded, id: &str) -> Result<Rule, ApiError> {
    let at = loaded.rule(id).ok_or_else(|| {
        ApiError::NotFound(format!("no rule with id {id:?} (try `triage search`)"))
    })?;
    let rules = &loaded.engine.rules;
    let editions = loaded.engine.index.other_editions(at);
    Ok(Rule {
        link: article_link(rules, at, &editions).to_string(),
        ..rules[at].clone()
    })
}

async fn article_route(
    State(state): State<Arc<state::State>>,
    id: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    // An id that does not even decode names no rule either.
    let id = id.map_err(|_| ApiError::NotFound("no such rule".into()))?.0;
    let rule = show(&state.current(), &id)?;
    Ok(json_response(format!("{}\n", report::rule::json(&rule))))
}

/// Diagnoses the log in `body` as `triage diagnose` does its standard
/// input, reading it as it arrives (see `body`).
pub(super) async fn diagnose(
    state: &state::State,
    headers: &HeaderMap,
    body: Body,
    top: usize,
) -> Result<(Arc<Loaded>, Diagnosis), ApiError> {
    let limit = state.max_body;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge { limit });
    }
    let content_gzip = match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
    {
        None => false,
        Some(e) if e == "gzip" || e == "x-gzip" => true,
        Some(e) if e == "identity" => false,
        Some(e) => return Err(ApiError::Encoding(e)),
    };
    let faults = Faults::default();
    let deadline = tokio::time::Instant::now() + state.timeouts.request;
    let mut raw = BodyReader::new(body, limit, deadline, faults.clone());
    // The log, or its first MiB, before taking a turn: a slow upload
    // waits for its bytes without holding one.
    raw.spool().await;
    let turn = match tokio::time::timeout_at(deadline, Arc::clone(&state.diagnoses).acquire_owned())
        .await
    {
        Ok(Ok(turn)) => turn,
        Ok(Err(_)) => return Err(ApiError::Internal),
        Err(_) => return Err(ApiError::Busy),
    };
    let loaded = state.current();
    let reading = faults.clone();
    let result = tokio::task::spawn_blocking(move || {
        // Given back when the work ends, even if the request was dropped.
        let _turn = turn;
        let log = body::log_reader(raw, content_gzip, limit, &reading)
            .map_err(|e| format!("cannot read the log: {e}"))?;
        let log = std::io::BufReader::with_capacity(64 * 1024, log);
        let d = crate::diagnose::diagnose(&loaded.engine, log, top).map_err(|e| match e {
            crate::log::LogError::Read { line, source, .. } => {
                format!("cannot read the log at line {line}: {source}")
            }
            other @ crate::log::LogError::Open { .. } => other.to_string(),
        })?;
        Ok::<_, String>((loaded, d))
    })
    .await
    .map_err(|_| ApiError::Internal)?;
    match (result, faults.get()) {
        (_, Some(Fault::TooLarge)) => Err(ApiError::TooLarge { limit }),
        (_, Some(Fault::TimedOut)) => Err(ApiError::TimedOut),
        (_, Some(Fault::Broken)) => Err(ApiError::BadRequest(
            "the request body could not be read".into(),
        )),
        (Ok(found), None) => Ok(found),
        (Err(message), None) => Err(ApiError::BadRequest(message)),
    }
}

#[derive(Debug, Deserialize)]
struct DiagnoseParams {
    top: Option<String>,
}

async fn diagnose_route(
    State(state): State<Arc<state::State>>,
    params: Result<Query<DiagnoseParams>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let top = count("top", params.top.as_deref(), 3)?;
    let (_, d) = diagnose(&state, &headers, body, top).await?;
    Ok(json_response(format!("{}\n", report::diagnosis::json(&d))))
}

async fn health(State(state): State<Arc<state::State>>) -> Response {
    let loaded = state.current();
    let body = serde_json::json!({
        "status": "ok",
        "rules": loaded.engine.rules.len(),
        "generation": loaded.generation,
    });
    json_response(format!("{body}\n"))
}
