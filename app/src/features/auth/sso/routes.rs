//! The two plain routes of single sign-on. Thin: session and redirects here, the work in
//! [`super::provider`] and [`super::accounts`].

use super::accounts::{record_refusal, sign_in_with_provider};
use super::provider::{PENDING_MAX_SECONDS, PendingSignIn, Refusal};
use crate::error::AppError;
use crate::features::auth::model::{SsoFailure, safe_next_path};
use crate::server::AppState;
use crate::server::context::{begin_session, client_ip_of};
use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::HeaderMap;
use serde::Deserialize;
use std::net::SocketAddr;
use tower_sessions::Session;

/// The sign-in on its way through the provider.
const PENDING_KEY: &str = "sso_pending";
/// The ID token of a single sign-on session, the hint for the provider's end-session endpoint.
pub const ID_TOKEN_KEY: &str = "sso_id_token";

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /auth/oidc/start?next=/path`: off to the provider.
pub async fn start(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Session,
    Query(query): Query<StartQuery>,
) -> Response {
    let Some(sso) = state.sso.clone() else {
        return AppError::NotFound.into_response();
    };
    let next = safe_next_path(query.next.as_deref());
    let begun = match sso.begin(next, unix_now()).await {
        Ok(begun) => begun,
        Err(refusal) => return refused(&state, &headers, peer, refusal).await,
    };
    let (url, pending) = begun;
    match session.insert(PENDING_KEY, pending).await {
        Ok(()) => Redirect::to(&url).into_response(),
        Err(err) => {
            tracing::error!(%err, "cannot keep the pending sign-in in the session");
            AppError::Internal.into_response()
        }
    }
}

/// What the provider sends back: a code and our state, or an error and our state.
#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/oidc/callback`: checks, signs in, and goes on to the page asked for.
pub async fn callback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    match finish(&state, &session, &headers, peer, query).await {
        Ok(Ok(next)) => Redirect::to(&next).into_response(),
        Ok(Err(refusal)) => refused(&state, &headers, peer, refusal).await,
        Err(err) => err.into_response(),
    }
}

async fn finish(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    peer: SocketAddr,
    query: CallbackQuery,
) -> Result<Result<String, Refusal>, AppError> {
    let Some(sso) = state.sso.clone() else {
        return Err(AppError::NotFound);
    };
    // Single use: whatever happens next, this sign-in cannot be answered twice.
    let pending: Option<PendingSignIn> = session.remove(PENDING_KEY).await?;
    let pending = match checked(pending, &query) {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Some(code) = query.code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return Ok(Err(Refusal::new(
            SsoFailure::ProviderError,
            "no code in the answer",
        )));
    };
    let next = pending.next.clone();
    let identity = match sso.finish(pending, code).await {
        Ok(identity) => identity,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let ip = client_ip_of(state, headers, Some(peer));
    let break_glass = state.config.break_glass_admin.as_deref();
    let signed_in = match sign_in_with_provider(&state.pool, &identity, break_glass, &ip).await? {
        Ok(signed_in) => signed_in,
        Err(refusal) => return Ok(Err(refusal.about(identity.email.as_deref()))),
    };
    begin_session(session, signed_in.user.id, signed_in.session_epoch).await?;
    session.insert(ID_TOKEN_KEY, identity.id_token).await?;
    Ok(Ok(next))
}

/// The pending sign-in, if the answer belongs to it: our state, in time, and no provider error.
fn checked(
    pending: Option<PendingSignIn>,
    query: &CallbackQuery,
) -> Result<PendingSignIn, Refusal> {
    let Some(pending) = pending else {
        return Err(Refusal::new(
            SsoFailure::State,
            "no sign-in was started in this session",
        ));
    };
    if query.state.as_deref() != Some(pending.state.as_str()) {
        return Err(Refusal::new(SsoFailure::State, "the state does not match"));
    }
    if let Some(error) = &query.error {
        let failure = if error == "access_denied" {
            SsoFailure::Denied
        } else {
            SsoFailure::ProviderError
        };
        return Err(Refusal::new(
            failure,
            format!("provider error: {}", printable(error)),
        ));
    }
    if unix_now() - pending.started_at > PENDING_MAX_SECONDS {
        return Err(Refusal::new(
            SsoFailure::Expired,
            "the sign-in took too long",
        ));
    }
    Ok(pending)
}

/// Audits the refusal and sends the person to the sign-in page with it.
async fn refused(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    refusal: Refusal,
) -> Response {
    let ip = client_ip_of(state, headers, Some(peer));
    if let Err(err) = record_refusal(&state.pool, &refusal, &ip).await {
        return err.into_response();
    }
    tracing::info!(reason = refusal.failure.code(), detail = %refusal.detail, "single sign-on refused");
    Redirect::to(&format!("/sign-in?sso_error={}", refusal.failure.code())).into_response()
}

/// A provider's error code for the audit log: short, and only the characters codes use.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(started_at: i64) -> PendingSignIn {
        serde_json::from_value(serde_json::json!({
            "state": "s-1", "nonce": "n", "pkce_verifier": "v", "next": "/", "started_at": started_at
        }))
        .unwrap()
    }

    fn answer(state: Option<&str>, error: Option<&str>) -> CallbackQuery {
        CallbackQuery {
            code: Some("c".into()),
            state: state.map(str::to_owned),
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn an_answer_must_carry_our_state_in_time_and_no_error() {
        let now = unix_now();
        let failure =
            |p: Option<PendingSignIn>, q: CallbackQuery| checked(p, &q).unwrap_err().failure;
        assert_eq!(failure(None, answer(Some("s-1"), None)), SsoFailure::State);
        assert_eq!(
            failure(Some(pending(now)), answer(Some("s-2"), None)),
            SsoFailure::State
        );
        assert_eq!(
            failure(Some(pending(now)), answer(None, None)),
            SsoFailure::State
        );
        assert_eq!(
            failure(
                Some(pending(now)),
                answer(Some("s-1"), Some("access_denied"))
            ),
            SsoFailure::Denied
        );
        assert_eq!(
            failure(
                Some(pending(now)),
                answer(Some("s-1"), Some("login_required"))
            ),
            SsoFailure::ProviderError
        );
        assert_eq!(
            failure(
                Some(pending(now - PENDING_MAX_SECONDS - 1)),
                answer(Some("s-1"), None)
            ),
            SsoFailure::Expired
        );
        assert!(checked(Some(pending(now)), &answer(Some("s-1"), None)).is_ok());
        assert_eq!(printable("<b>bad</b>\n"), "bbadb");
    }
}
