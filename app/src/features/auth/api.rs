//! Sign-in and session server functions. Thin: who is calling, then the service.

use super::model::{CurrentUser, DemoAccounts};
use crate::error::AppError;
use leptos::prelude::*;

/// Signs in and answers the page to go to next (`next`, same-site paths only). A plain form post
/// (no JavaScript) is redirected there; the browser app navigates itself once it has reloaded
/// the signed-in user.
#[server(prefix = "/api", endpoint = "auth/sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    use super::{model::safe_next_path, service};
    use crate::server::{client_ip, context, session};
    use secrecy::SecretString;

    let state = context::state()?;
    let ip = client_ip(&state).await;
    let signed_in = service::authenticate(
        &state.pool,
        &state.config,
        &email,
        SecretString::from(password),
        &ip,
    )
    .await?;
    let session = session().await?;
    context::begin_session(&session, signed_in.user.id, signed_in.session_epoch).await?;
    let user = signed_in.user;
    // After an admin's reset, choosing a new password comes first.
    let next = if user.must_change_password {
        "/account/password".to_owned()
    } else {
        safe_next_path(next.as_deref())
    };
    if context::is_plain_form_post() {
        leptos_axum::redirect(&next);
    }
    Ok(next)
}

#[server(prefix = "/api", endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::audit::{self, AuditEvent};
    use crate::server::{client_ip, context, require_signed_in, session};

    let state = context::state()?;
    let user = require_signed_in(&state).await?;
    session().await?.flush().await?;
    let ip = client_ip(&state).await;
    audit::record(
        &state.pool,
        AuditEvent {
            actor_id: Some(user.id),
            action: "sign_out",
            subject: Some(&user.email),
            client_ip: Some(&ip),
            details: serde_json::json!({}),
        },
    )
    .await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// The signed-in user, or `None` for a visitor.
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn me() -> Result<Option<CurrentUser>, AppError> {
    let state = crate::server::context::state()?;
    crate::server::current_user(&state).await
}

/// The demo accounts for the sign-in banner; `None` outside demo mode, where nothing about them
/// is ever answered.
#[server(prefix = "/api", endpoint = "auth/demo_accounts")]
pub async fn load_demo_accounts() -> Result<Option<DemoAccounts>, AppError> {
    let state = crate::server::context::state()?;
    Ok(super::service::demo_accounts(&state))
}
