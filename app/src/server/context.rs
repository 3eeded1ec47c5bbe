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
/// The user's `session_epoch` when the session began; a different value ends the session.
const EPOCH_KEY: &str = "session_epoch";
/// Unix seconds of the sign-in, for the absolute lifetime.
const SIGNED_IN_AT_KEY: &str = "signed_in_at";
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

/// The signed-in, active user, or `None`. A session ends here, on its very next request, when
/// its user was deactivated or deleted, when their sessions were ended since it began (password
/// change or reset, role change), or when it is older than the absolute lifetime.
pub async fn current_user(state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    // A page's guard checked the session already (see `CheckedUser`).
    if let Some(parts) = use_context::<http::request::Parts>()
        && let Some(CheckedUser(user)) = parts.extensions.get::<CheckedUser>()
    {
        return Ok(Some(user.clone()));
    }
    let session = session().await?;
    match use_context::<RequestUser>() {
        Some(cache) => cache
            .0
            .get_or_try_init(|| user_of_session(state, &session))
            .await
            .cloned(),
        None => user_of_session(state, &session).await,
    }
}

/// The signed-in user a page request's guard found, handed to the page's rendering with the
/// request so it does not read the session's user again.
#[derive(Clone, Debug)]
pub struct CheckedUser(pub CurrentUser);

/// The caller of this request, looked up once however many server functions its page runs
/// while rendering (each would otherwise read the user again). Provided fresh per request.
#[derive(Clone, Default)]
pub struct RequestUser(std::sync::Arc<tokio::sync::OnceCell<Option<CurrentUser>>>);

pub async fn user_of_session(
    state: &AppState,
    session: &Session,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<Uuid>(USER_ID_KEY).await? else {
        return Ok(None);
    };
    let epoch = session.get::<i32>(EPOCH_KEY).await?;
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT_KEY).await?.unwrap_or(0);
    let max_age = i64::from(state.config.session_max_hours) * 3600;
    let fresh = unix_now() - signed_in_at < max_age;
    match repo::find_session_user(&state.pool, user_id).await? {
        Some(found) if fresh && epoch == Some(found.session_epoch) => {
            keep_alive(state, session).await?;
            Ok(Some(found.user))
        }
        _ => {
            session.flush().await?;
            Ok(None)
        }
    }
}

/// Starts a signed-in session: a fresh id (one known before sign-in is worthless after it), the
/// user, their session epoch and the time, for the absolute lifetime.
pub async fn begin_session(session: &Session, user_id: Uuid, epoch: i32) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.insert(USER_ID_KEY, user_id).await?;
    session.insert(EPOCH_KEY, epoch).await?;
    session.insert(SIGNED_IN_AT_KEY, unix_now()).await?;
    Ok(())
}

/// After one's own password change: this session carries the new epoch and stays; every other
/// session of the person ends.
pub async fn keep_this_session(session: &Session, epoch: i32) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.insert(EPOCH_KEY, epoch).await?;
    Ok(())
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The user of a session for the plain routes (downloads, CSV): like server functions, nothing
/// but the password page is open to someone who owes a new password.
pub async fn usable_user_of_session(
    state: &AppState,
    session: &Session,
) -> Result<Option<CurrentUser>, AppError> {
    match user_of_session(state, session).await? {
        Some(user) if user.must_change_password => Err(AppError::PasswordChangeRequired),
        other => Ok(other),
    }
}

/// Sessions expire after inactivity; saving the session pushes its expiry forward. Saving on every
/// request would cost a write each time, so the clock is pushed once per quarter of the window.
async fn keep_alive(state: &AppState, session: &Session) -> Result<(), AppError> {
    let now = unix_now();
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

/// The caller's address: the socket peer, or, behind `trusted_proxies` proxies of ours, the
/// address the outermost of them saw (see [`forwarded_client`]).
pub async fn client_ip(state: &AppState) -> String {
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|ConnectInfo(addr)| addr);
    match use_context::<http::request::Parts>() {
        Some(parts) => client_ip_of(state, &parts.headers, peer),
        None => client_ip_of(state, &http::HeaderMap::new(), peer),
    }
}

/// [`client_ip`] for plain routes, from the request's headers and socket peer.
pub fn client_ip_of(
    state: &AppState,
    headers: &http::HeaderMap,
    peer: Option<SocketAddr>,
) -> String {
    if state.config.trusted_proxies > 0
        && let Some(found) = forwarded_client(headers, state.config.trusted_proxies)
    {
        return found;
    }
    peer.map_or_else(|| "unknown".to_owned(), |addr| addr.ip().to_string())
}

/// The client address in `X-Forwarded-For` behind `proxies` trusted proxies: each proxy appends
/// the address it was reached from, so the client is `proxies` entries from the right. Entries
/// further left were written by the client and prove nothing. Several header lines count as one
/// list; anything that is not an IP address is refused.
pub fn forwarded_client(headers: &http::HeaderMap, proxies: u32) -> Option<String> {
    let mut hops: Vec<&str> = Vec::new();
    for line in headers.get_all("x-forwarded-for") {
        let text = line.to_str().ok()?;
        hops.extend(text.split(',').map(str::trim));
    }
    let index = hops.len().checked_sub(proxies as usize)?;
    let hop = hops.get(index)?;
    hop.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[&str]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for line in lines {
            map.append("x-forwarded-for", line.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_client_is_counted_from_the_right() {
        let spoofed = headers(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(
            forwarded_client(&spoofed, 1).as_deref(),
            Some("203.0.113.7")
        );
        let two = headers(&["6.6.6.6, 203.0.113.7", "10.0.0.2"]);
        assert_eq!(forwarded_client(&two, 2).as_deref(), Some("203.0.113.7"));
    }

    #[test]
    fn too_few_hops_or_garbage_give_nothing() {
        assert_eq!(forwarded_client(&headers(&["203.0.113.7"]), 2), None);
        assert_eq!(forwarded_client(&headers(&[]), 1), None);
        assert_eq!(forwarded_client(&headers(&["1.2.3.4, evil"]), 1), None);
    }
}
