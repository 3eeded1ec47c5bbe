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
        return api_error(
            StatusCode::UNAUTHORIZED,
            "access_denied|invalid_api_key",
            "The API key is missing or not valid.",
        );
    };
    if role == KeyRole::ViewOnly && req.method() != Method::GET {
        return api_error(
            StatusCode::FORBIDDEN,
            "access_denied|missing_permission",
            "This API key may only read.",
        );
    }
    let path = req.uri().path().to_owned();
    if path.contains("/__simulator/") {
        return next.run(req).await;
    }
    inner.counters.lock().expect("counters").requests += 1;
    if !within_rate_limit(&inner, &key) {
        inner.counters.lock().expect("counters").rate_limited += 1;
        return api_error(
            StatusCode::TOO_MANY_REQUESTS,
            "request_limit_exceeded",
            "Service unavailable, please limit request volume",
        );
    }
    let plan = inner.faults.lock().expect("faults").clone();
    let is_create = req.method() == Method::POST && path.contains("/order/certificate/");
    // Every roll happens here, before any await: the thread-local generator is not Send.
    let (throttle, fail, unavailable, hold_back, drop_body) = {
        let mut rng = rand::thread_rng();
        let mut roll = |p: f64| p > 0.0 && rng.gen_bool(p.clamp(0.0, 1.0));
        (
            roll(plan.too_many_requests),
            roll(plan.server_error),
            roll(plan.unavailable),
            roll(plan.timeout),
            is_create && roll(plan.drop_after_create),
        )
    };
    if throttle {
        inner
            .counters
            .lock()
            .expect("counters")
            .injected_too_many_requests += 1;
        return api_error(
            StatusCode::TOO_MANY_REQUESTS,
            "request_limit_exceeded",
            "Service unavailable, please limit request volume",
        );
    }
    if fail {
        inner
            .counters
            .lock()
            .expect("counters")
            .injected_server_error += 1;
        return api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An internal error occurred.",
        );
    }
    if unavailable {
        inner
            .counters
            .lock()
            .expect("counters")
            .injected_unavailable += 1;
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "<html><body>Service Unavailable</body></html>",
        )
            .into_response();
    }
    let response = next.run(req).await;
    if hold_back {
        inner.counters.lock().expect("counters").injected_timeout += 1;
        tokio::time::sleep(inner.slow_answer).await;
    }
    if drop_body && response.status() == StatusCode::CREATED {
        inner
            .counters
            .lock()
            .expect("counters")
            .injected_drop_after_create += 1;
        // Headers go out, then the body fails: the client sees a broken connection.
        let (parts, _) = response.into_parts();
        let broken = futures::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "dropped",
            ))
        });
        return Response::from_parts(parts, Body::from_stream(broken));
    }
    response
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
