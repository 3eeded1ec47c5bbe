//! Who is calling: the state, session, signed-in user and client address of the current request.

use super::AppState;
use crate::error::AppError;
use crate::features::auth::{CurrentUser, Role, repo};
use axum::extract::ConnectInfo;
use leptos::prelude::use_context;
use std::net::SocketAddr;
use tower_sessions::Session;
use uuid::Uuid;

pub const USER_ID_KEY: &str = "user_id";
/// Unix seconds of the last time the session's inactivity clock was pushed forward.
const TOUCHED_KEY: &str = "touched_at";

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|err| {
        tracing::error!(?err, "no session layer on this request");
        AppError::Internal
    })
}

/// The signed-in, active user, or `None`. A session whose user was deactivated or deleted is
/// ended here, so deactivation takes effect on the very next request.
pub async fn current_user(state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let session = session().await?;
    user_of_session(state, &session).await
}

pub async fn user_of_session(
    state: &AppState,
    session: &Session,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<Uuid>(USER_ID_KEY).await? else {
        return Ok(None);
    };
    match repo::find_active_user(&state.pool, user_id).await? {
        Some(user) => {
            keep_alive(state, session).await?;
            Ok(Some(user))
        }
        None => {
            session.flush().await?;
            Ok(None)
        }
    }
}

/// Sessions expire after inactivity; saving the session pushes its expiry forward. Saving on every
/// request would cost a write each time, so the clock is pushed once per quarter of the window.
async fn keep_alive(state: &AppState, session: &Session) -> Result<(), AppError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let quarter = i64::from(state.config.session_idle_minutes) * 60 / 4;
    let touched = session.get::<i64>(TOUCHED_KEY).await?.unwrap_or(0);
    if now - touched >= quarter {
        session.insert(TOUCHED_KEY, now).await?;
    }
    Ok(())
}

/// The signed-in user, who must not owe a new password (see [`require_signed_in`]).
pub async fn require_user(state: &AppState) -> Result<CurrentUser, AppError> {
    let user = require_signed_in(state).await?;
    if user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(user)
}

/// The signed-in user, even one who must choose a new password (for that page and sign-out).
pub async fn require_signed_in(state: &AppState) -> Result<CurrentUser, AppError> {
    current_user(state).await?.ok_or(AppError::Unauthorized)
}

pub async fn require_role(state: &AppState, role: Role) -> Result<CurrentUser, AppError> {
    let user = require_user(state).await?;
    if user.has(role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A form posted by the browser itself (JavaScript off), which expects a redirect; the browser
/// app's own calls ask for JSON.
pub fn is_plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// The caller's address: the socket peer, or the first `X-Forwarded-For` hop when configured to
/// trust a proxy.
pub async fn client_ip(state: &AppState) -> String {
    if state.config.trust_forwarded_for
        && let Some(parts) = use_context::<http::request::Parts>()
        && let Some(first) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return first.to_owned();
    }
    leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|_| "unknown".to_owned())
}
