//! Every request passes here first: the API key, DigiCert's rate limits, then injected faults.

use super::*;
use crate::simulator::{Inner, KeyRole};
use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use rand::Rng;
use tokio::time::Instant;

/// Key check, rate limit and injected faults, in that order, for every request.
pub(super) async fn guard(State(inner): Shared, req: Request, next: Next) -> Response {
    let key = match authorize(&inner, &req) {
        Ok(key) => key,
        Err(refused) => return refused.into_response(),
    };
    let path = req.uri().path().to_owned();
    if path.contains("/__simulator/") {
        return next.run(req).await;
    }
    inner.counters.lock().expect("counters").requests += 1;
    if !within_rate_limit(&inner, &key) {
        inner.counters.lock().expect("counters").rate_limited += 1;
        return too_many_requests();
    }
    let is_create = req.method() == Method::POST && path.contains("/order/certificate/");
    let faults = Faults::roll(&inner, is_create);
    if let Some(refused) = faults.refusal(&inner) {
        return refused;
    }
    let response = next.run(req).await;
    if faults.hold_back {
        inner.counters.lock().expect("counters").injected_timeout += 1;
        tokio::time::sleep(inner.slow_answer).await;
    }
    if faults.drop_body && response.status() == StatusCode::CREATED {
        inner
            .counters
            .lock()
            .expect("counters")
            .injected_drop_after_create += 1;
        return without_body(response);
    }
    response
}

/// Why a request's API key was refused.
enum KeyRefused {
    Unknown,
    ReadOnly,
}

impl IntoResponse for KeyRefused {
    fn into_response(self) -> Response {
        match self {
            KeyRefused::Unknown => api_error(
                StatusCode::UNAUTHORIZED,
                "access_denied|invalid_api_key",
                "The API key is missing or not valid.",
            ),
            KeyRefused::ReadOnly => api_error(
                StatusCode::FORBIDDEN,
                "access_denied|missing_permission",
                "This API key may only read.",
            ),
        }
    }
}

/// The request's API key, if it is one of the account's and its role allows the method.
fn authorize(inner: &Inner, req: &Request) -> Result<String, KeyRefused> {
    let key = req
        .headers()
        .get("x-dc-devkey")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let Some(role) = inner
        .keys
        .iter()
        .find(|(k, _)| !k.is_empty() && *k == key)
        .map(|(_, r)| *r)
    else {
        return Err(KeyRefused::Unknown);
    };
    if role == KeyRole::ViewOnly && req.method() != Method::GET {
        return Err(KeyRefused::ReadOnly);
    }
    Ok(key)
}

/// The faults the plan injects into one request.
struct Faults {
    throttle: bool,
    fail: bool,
    unavailable: bool,
    hold_back: bool,
    drop_body: bool,
}

impl Faults {
    /// Every roll happens here, before any await: the thread-local generator is not Send.
    fn roll(inner: &Inner, is_create: bool) -> Faults {
        let plan = inner.faults.lock().expect("faults").clone();
        let mut rng = rand::thread_rng();
        let mut roll = |p: f64| p > 0.0 && rng.gen_bool(p.clamp(0.0, 1.0));
        Faults {
            throttle: roll(plan.too_many_requests),
            fail: roll(plan.server_error),
            unavailable: roll(plan.unavailable),
            hold_back: roll(plan.timeout),
            drop_body: is_create && roll(plan.drop_after_create),
        }
    }

    /// The answer given instead of handling the request, if a fault refuses it.
    fn refusal(&self, inner: &Inner) -> Option<Response> {
        let mut counters = inner.counters.lock().expect("counters");
        if self.throttle {
            counters.injected_too_many_requests += 1;
            return Some(too_many_requests());
        }
        if self.fail {
            counters.injected_server_error += 1;
            return Some(api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "An internal error occurred.",
            ));
        }
        if self.unavailable {
            counters.injected_unavailable += 1;
            return Some(
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "<html><body>Service Unavailable</body></html>",
                )
                    .into_response(),
            );
        }
        None
    }
}

/// DigiCert's answer over its rate limit, whether the limit was reached or a fault injected it.
fn too_many_requests() -> Response {
    api_error(
        StatusCode::TOO_MANY_REQUESTS,
        "request_limit_exceeded",
        "Service unavailable, please limit request volume",
    )
}

/// Headers go out, then the body fails: the client sees a broken connection.
fn without_body(response: Response) -> Response {
    let (parts, _) = response.into_parts();
    let broken = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "dropped",
        ))
    });
    Response::from_parts(parts, Body::from_stream(broken))
}

pub(super) fn within_rate_limit(inner: &Inner, key: &str) -> bool {
    let mut sent = inner.sent.lock().expect("rate limit lock");
    let log = sent.entry(key.to_owned()).or_default();
    let now = Instant::now();
    let over = log.ready_at(&inner.limits, now) > now;
    // Every request counts against the windows, refused ones included, as at DigiCert.
    log.record(now);
    !over
}
