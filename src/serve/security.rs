//! What every response carries and every request is held to: security
//! headers, a deadline, and an access log line that names no query and no
//! body. (The body limit and the socket timeouts are in `body` and
//! `server`, where the reading happens.)

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state;

/// Only this server's own script, styles and API; no inline script or
/// style, no plugins, no framing, forms posting only here. Every page is
/// built so that this holds (the browser test loads each page under it).
pub(super) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// The headers every response gets.
pub(super) async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // A diagnosis quotes the log: no cache, shared or private, may keep it.
    // Everything else is cheap to compute again and may change on reload.
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Ends a request that takes longer than the server's request timeout with
/// 408 (a slow client) — the work of a handler is bounded by the body
/// limit, so it is the client that keeps a request open this long.
pub(super) async fn deadline(
    State(state): State<Arc<state::State>>,
    request: Request,
    next: Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    match tokio::time::timeout(state.timeouts.request, next.run(request)).await {
        Ok(response) => response,
        // The API's errors are JSON.
        Err(_) if api => super::api::ApiError::TimedOut.into_response(),
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            [(header::CONNECTION, "close")],
            "request timed out\n",
        )
            .into_response(),
    }
}

/// One line per request on the server's log: method, path, status and
/// time. Not the query string (a search may be a pasted error, with a
/// host name or a key in it) and never a body.
pub(super) async fn access_log(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let path: String = request.uri().path().chars().take(200).collect();
    let response = next.run(request).await;
    super::log(format_args!(
        "{method} {path} {} {:.1}ms",
        response.status().as_u16(),
        start.elapsed().as_secs_f64() * 1000.0
    ));
    response
}

/// A panic's message can quote the data being worked on (a string sliced
/// at the wrong place is printed whole), and that data can be a posted
/// log: the server's panics say only where they happened.
pub(super) fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        super::log(format_args!("internal error{place} (the request failed)"));
    }));
}
