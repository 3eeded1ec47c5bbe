//! Request ids, HTTP metrics and the operators' endpoints (`/metrics`, `/healthz`).
//!
//! Every request gets an id (the caller's `X-Request-Id` when it is a plain token, else a new
//! one); it is answered in the `X-Request-Id` header and carried by the request's log span, so
//! every log line of the request names it. `/metrics` answers on the portal's address only with
//! `Authorization: Bearer <CERTDESK_METRICS_TOKEN>`, or without a token on the separate address
//! `CERTDESK_METRICS_LISTEN` (keep that one inside the monitoring network).

use app::server::AppState;
use app::server::metrics::{HttpLabels, RouteLabels, metrics, scrape};
use axum::{
    Json, Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use secrecy::ExposeSecret;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub const REQUEST_ID: &str = "x-request-id";

/// The request's id, for its log span.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The matched route's pattern, filled in once routing has happened.
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<String>>);

/// A caller's id is kept when it is a short plain token; anything else is replaced.
fn usable_id(value: Option<&HeaderValue>) -> Option<String> {
    let text = value?.to_str().ok()?;
    let plain = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain.then(|| text.to_owned())
}

/// Outermost layer: the request id in and out, and the request counted and timed by route.
pub async fn observe(mut req: Request, next: Next) -> Response {
    let id = usable_id(req.headers().get(REQUEST_ID))
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let slot = RouteSlot::default();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(slot.clone());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let mut response = next.run(req).await;
    let route = slot
        .0
        .get()
        .cloned()
        .unwrap_or_else(|| "unmatched".to_owned());
    let m = metrics();
    m.http_requests
        .get_or_create(&HttpLabels {
            route: route.clone(),
            method,
            status: response.status().as_u16(),
        })
        .inc();
    m.http_seconds
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Inside the router: notes which route matched, for [`observe`].
pub async fn remember_route(req: Request, next: Next) -> Response {
    if let (Some(path), Some(slot)) = (
        req.extensions().get::<MatchedPath>(),
        req.extensions().get::<RouteSlot>(),
    ) {
        let _ = slot.0.set(path.as_str().to_owned());
    }
    next.run(req).await
}

/// The request's id for its span (a fresh one when [`observe`] did not run).
pub fn request_id_of(req: &Request) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    use subtle_compare::equal;
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| equal(given.trim().as_bytes(), token.as_bytes()))
}

/// Compares secrets in time that does not depend on where they differ.
mod subtle_compare {
    pub fn equal(a: &[u8], b: &[u8]) -> bool {
        use sha2::{Digest, Sha256};
        // Equal-length digests, compared without an early exit.
        let (a, b) = (Sha256::digest(a), Sha256::digest(b));
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

async fn exposition(state: &AppState) -> Response {
    match scrape(&state.pool).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(%err, "metrics could not read the database");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `GET /metrics` on the portal's address: only with the operators' token; 404 without one
/// configured, so the endpoint does not exist unless someone asked for it.
pub async fn metrics_with_token(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !bearer_matches(&headers, token.expose_secret()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    exposition(&state).await
}

/// The separate metrics address: `/metrics` without a token, and nothing else.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(state): State<AppState>| async move { exposition(&state).await }),
        )
        .with_state(state)
}

/// `GET /healthz`: the database (503 when unreachable) and whether DigiCert's rate budget is
/// exhausted right now (reported, not a failure: every instance shares the budget).
pub async fn healthz(State(state): State<AppState>) -> Response {
    let probe = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_scalar!("select 1 as alive").fetch_one(&state.pool),
    )
    .await;
    if !matches!(probe, Ok(Ok(_))) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "degraded", "database": "unreachable" })),
        )
            .into_response();
    }
    let budget =
        match tokio::time::timeout(Duration::from_secs(2), state.digicert.budget_exhausted()).await
        {
            Ok(Ok(true)) => "exhausted",
            Ok(Ok(false)) => "available",
            _ => "unknown",
        };
    Json(serde_json::json!({
        "status": "ok",
        "database": "reachable",
        "digicert_budget": budget,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_ids_are_kept() {
        let v = |s: &str| HeaderValue::from_str(s).ok();
        assert_eq!(
            usable_id(v("abc-123_x.y").as_ref()),
            Some("abc-123_x.y".into())
        );
        assert_eq!(usable_id(v("has space").as_ref()), None);
        assert_eq!(usable_id(v(&"a".repeat(65)).as_ref()), None);
        assert_eq!(usable_id(None), None);
    }

    #[test]
    fn tokens_compare_whole() {
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(bearer_matches(&headers("Bearer s3cret"), "s3cret"));
        assert!(!bearer_matches(&headers("Bearer s3cre"), "s3cret"));
        assert!(!bearer_matches(&headers("Basic s3cret"), "s3cret"));
        assert!(!bearer_matches(&HeaderMap::new(), "s3cret"));
    }
}
