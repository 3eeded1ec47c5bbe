//! What every request passes through before and after the portal sees it: the origin check for
//! unsafe methods, the sign-in and password-change gates for pages, form errors of no-JavaScript
//! posts carried in the session instead of the URL, and the security headers of every answer.

use app::encoding::encode_query_value;
use app::server::AppState;
use app::server::context::{USER_ID_KEY, user_of_session};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;
use uuid::Uuid;

/// The form error of a failed no-JavaScript post, kept for the page it returns to.
const FLASH_KEY: &str = "form_error";
/// The query parameters Leptos uses to carry a server function's error back to a page.
const ERROR_PARAMS: [&str; 2] = ["__err", "__path"];

/// Refuses cross-site unsafe requests, sends visitors to sign-in and people who owe a new password
/// to the password page, and hands a flashed form error to the page that shows it.
pub async fn guard_requests(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !same_origin(req.headers(), state.config.public_origin.as_deref()) {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    let path = req.uri().path().to_owned();
    if req.method() == Method::GET && is_page(&path) {
        let wanted = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_owned();
        let user = match user_of_session(&state, &session).await {
            Ok(user) => user,
            Err(err) => return plain_error(&err),
        };
        let Some(user) = user else {
            let location = if wanted == "/" {
                "/sign-in".to_owned()
            } else {
                format!(
                    "/sign-in?next={}",
                    encode_query_value(&without_error_params(&wanted))
                )
            };
            return Redirect::to(&location).into_response();
        };
        if user.must_change_password && path != "/account/password" {
            return Redirect::to("/account/password").into_response();
        }
        req.extensions_mut()
            .insert(app::server::context::CheckedUser(user));
        if let Err(err) = restore_flashed_error(&session, &mut req).await {
            return plain_error(&err);
        }
    } else if req.method() == Method::GET && path == "/sign-in" {
        let signed_in = matches!(session.get::<Uuid>(USER_ID_KEY).await, Ok(Some(_)));
        if !signed_in && let Err(err) = restore_flashed_error(&session, &mut req).await {
            return plain_error(&err);
        }
    }
    let response = next.run(req).await;
    if unsafe_method && path.starts_with("/api/") {
        return flash_form_error(&session, response).await;
    }
    response
}

/// An [`AppError`](app::error::AppError) as a plain-text answer with its status, for the routes
/// that are not server functions (pages' guard, downloads, CSV).
pub fn plain_error(err: &app::error::AppError) -> Response {
    err.clone().into_response()
}

/// Pages need a signed-in person; the sign-in page, assets, health and the API do not (server
/// functions check their callers themselves, `/metrics` its operators' token).
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path == "/healthz"
        || path == "/metrics"
        || path == "/sign-in"
        || path.starts_with("/auth/oidc/")
        || path == "/favicon.ico")
}

/// An unsafe request must prove it comes from a page of this portal: an `Origin` equal to the
/// configured public origin (or, without one, naming this `Host`), or, without `Origin`,
/// `Sec-Fetch-Site: same-origin`. A request with neither is refused.
pub fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    match text(header::ORIGIN) {
        Some("null") => false,
        Some(origin) => match public_origin {
            Some(expected) => origin.trim_end_matches('/').eq_ignore_ascii_case(expected),
            None => {
                let host = text(header::HOST).unwrap_or("");
                let origin_host = origin
                    .strip_prefix("http://")
                    .or_else(|| origin.strip_prefix("https://"));
                !host.is_empty() && origin_host.is_some_and(|h| h.eq_ignore_ascii_case(host))
            }
        },
        None => headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"same-origin"),
    }
}

/// A failed no-JavaScript post comes back as a redirect whose URL carries the error, and with it
/// everything the person typed (CSR, addresses, comments). The error moves into the session and
/// the redirect goes to the clean address; the page takes it from the session once.
async fn flash_form_error(session: &Session, response: Response) -> Response {
    let Some(location) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .filter(|l| l.contains("__err="))
        .map(str::to_owned)
    else {
        return response;
    };
    let base = url::Url::parse("http://certdesk.invalid/").expect("a valid base");
    let Ok(target) = base.join(&location) else {
        return response;
    };
    let find = |name: &str| {
        target
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let (Some(err), Some(fn_path)) = (find("__err"), find("__path")) else {
        return response;
    };
    if let Err(err) = session.insert(FLASH_KEY, (fn_path, err)).await {
        tracing::error!(%err, "cannot keep a form error in the session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let clean = without_error_params(&location);
    let (mut parts, body) = response.into_parts();
    match HeaderValue::from_str(&clean) {
        Ok(value) => {
            parts.headers.insert(header::LOCATION, value);
        }
        Err(_) => {
            parts
                .headers
                .insert(header::LOCATION, HeaderValue::from_static("/"));
        }
    }
    Response::from_parts(parts, body)
}

/// Drops any error parameters a URL brought along (a crafted link cannot fill a form), then
/// puts back the one this session flashed, where Leptos looks for it.
async fn restore_flashed_error(
    session: &Session,
    req: &mut Request,
) -> Result<(), app::error::AppError> {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_owned();
    let mut cleaned = without_error_params(&path_and_query);
    // Removing marks the session changed (a write at the end of the request) even when nothing
    // was there, so a page view looks first and removes only a flashed error.
    let flashed = session.get::<(String, String)>(FLASH_KEY).await?;
    if let Some((fn_path, err)) = flashed {
        session.remove_value(FLASH_KEY).await?;
        let separator = if cleaned.contains('?') { '&' } else { '?' };
        cleaned = format!(
            "{cleaned}{separator}__path={}&__err={}",
            encode_query_value(&fn_path),
            encode_query_value(&err)
        );
    }
    if cleaned != path_and_query
        && let Ok(uri) = cleaned.parse::<Uri>()
    {
        *req.uri_mut() = uri;
    }
    Ok(())
}

/// `path?query` without the `__err`/`__path` parameters, other parameters kept in order.
fn without_error_params(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            !pair.is_empty() && !ERROR_PARAMS.contains(&name)
        })
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// The policy of answers that are not pages (server functions, downloads, CSV, assets): nothing
/// may run, load or frame them.
const LOCKED_DOWN_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Security headers on every answer. Pages bring their own Content-Security-Policy with the
/// nonce of their inline scripts (see `app::security`); everything else gets a closed one.
/// Nothing but the built assets may be cached; HSTS whenever the cookie is `Secure`.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/pkg/") || req.uri().path() == "/favicon.ico";
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Same-origin referrers only: the no-JavaScript forms return to the page they came from.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(LOCKED_DOWN_POLICY),
        );
    }
    if !is_asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.cookie_secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_need_sign_in_but_assets_and_api_do_not() {
        assert!(is_page("/"));
        assert!(is_page("/approvals"));
        assert!(is_page("/no-such-page"));
        for open in [
            "/sign-in",
            "/healthz",
            "/metrics",
            "/favicon.ico",
            "/pkg/certdesk.js",
            "/api/auth/me",
        ] {
            assert!(!is_page(open), "{open}");
        }
    }

    #[test]
    fn next_parameter_is_encoded() {
        assert_eq!(
            encode_query_value("/users?after=a@b.c"),
            "/users%3Fafter%3Da%40b.c"
        );
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn unsafe_requests_prove_their_origin() {
        let host = ("host", "127.0.0.1:3000");
        assert!(same_origin(
            &headers(&[host, ("origin", "http://127.0.0.1:3000")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host, ("origin", "https://evil.example")]),
            None
        ));
        assert!(!same_origin(&headers(&[host, ("origin", "null")]), None));
        // Neither header: refused.
        assert!(!same_origin(&headers(&[host]), None));
        assert!(same_origin(
            &headers(&[host, ("sec-fetch-site", "same-origin")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[host, ("sec-fetch-site", "cross-site")]),
            None
        ));
        // Behind a proxy the Host may be anything; the public origin decides.
        let public = Some("https://certdesk.example.com");
        assert!(same_origin(
            &headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "https://certdesk.example.com")
            ]),
            public
        ));
        assert!(!same_origin(
            &headers(&[
                ("host", "certdesk.example.com"),
                ("origin", "http://certdesk.example.com")
            ]),
            public
        ));
    }

    #[test]
    fn error_parameters_are_dropped_and_others_kept() {
        assert_eq!(
            without_error_params("/requests/new/basic-ov?product=x&__path=/api/a&__err=e30"),
            "/requests/new/basic-ov?product=x"
        );
        assert_eq!(without_error_params("/sign-in?__err=e30"), "/sign-in");
        assert_eq!(without_error_params("/requests"), "/requests");
    }
}
