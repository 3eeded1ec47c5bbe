//! Sign-in and session server functions. Thin: who is calling, then the service.

use super::model::{CurrentUser, SignInOptions};
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
    let session = session().await?;
    let id_token: Option<String> = session.get(super::sso::routes::ID_TOKEN_KEY).await?;
    session.flush().await?;
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
    // Signed in through the provider: sign out there too, when it offers an end-session endpoint.
    let provider_sign_out = match (&state.sso, id_token) {
        (Some(sso), Some(id_token)) => sso.end_session_url(&id_token).await,
        _ => None,
    };
    leptos_axum::redirect(provider_sign_out.as_deref().unwrap_or("/sign-in"));
    Ok(())
}

/// The signed-in user, or `None` for a visitor.
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn me() -> Result<Option<CurrentUser>, AppError> {
    let state = crate::server::context::state()?;
    crate::server::current_user(&state).await
}

/// How the sign-in page offers signing in: the provider's button, passwords, and the demo
/// accounts' banner (in demo mode only; nothing about them is answered otherwise).
#[server(prefix = "/api", endpoint = "auth/sign_in_options")]
pub async fn load_sign_in_options() -> Result<SignInOptions, AppError> {
    let state = crate::server::context::state()?;
    Ok(SignInOptions {
        demo: super::service::demo_accounts(&state),
        provider: state.config.oidc.as_ref().map(|o| o.display_name.clone()),
        local: state.config.local_sign_in,
    })
}
