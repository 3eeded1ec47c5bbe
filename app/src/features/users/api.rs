use crate::error::AppError;
use crate::features::auth::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub active: bool,
    /// Signs in through the company's provider, which sets the roles at every sign-in.
    #[serde(default)]
    pub single_sign_on: bool,
}

/// One page of users ordered by email, and the email to continue after when there are more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    pub next_after: Option<String>,
}

/// A temporary password for an account, shown to the admin once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryPassword {
    pub email: String,
    pub password: String,
}

pub const USERS_PAGE_SIZE: i64 = 50;

/// The checked role boxes of a form.
#[cfg(feature = "ssr")]
fn roles_of(
    requester: Option<String>,
    approver: Option<String>,
    admin: Option<String>,
) -> Vec<Role> {
    [
        (requester, Role::Requester),
        (approver, Role::Approver),
        (admin, Role::Admin),
    ]
    .into_iter()
    .filter_map(|(checked, role)| checked.map(|_| role))
    .collect()
}

#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users(after: Option<String>, q: Option<String>) -> Result<UserPage, AppError> {
    let state = crate::server::context::state()?;
    crate::server::require_role(&state, Role::Admin).await?;
    super::repo::list_users(&state.pool, after.as_deref(), q.as_deref(), USERS_PAGE_SIZE).await
}

/// Creates an account with a temporary password the person replaces at first sign-in.
#[server(prefix = "/api", endpoint = "users/create")]
pub async fn create_account(
    email: String,
    display_name: String,
    requester: Option<String>,
    approver: Option<String>,
    admin: Option<String>,
) -> Result<TemporaryPassword, AppError> {
    let state = crate::server::context::state()?;
    let caller = crate::server::require_role(&state, Role::Admin).await?;
    let roles = roles_of(requester, approver, admin)
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    let (_, password) =
        super::service::create(&state.pool, &caller, &email, &display_name, roles).await?;
    Ok(TemporaryPassword {
        email: crate::features::auth::model::normalize_email(&email),
        password,
    })
}

#[server(prefix = "/api", endpoint = "users/set_active")]
pub async fn set_user_active(id: Uuid, active: bool) -> Result<(), AppError> {
    let state = crate::server::context::state()?;
    let caller = crate::server::require_role(&state, Role::Admin).await?;
    super::service::set_active(&state.pool, &caller, id, active).await?;
    if crate::server::context::is_plain_form_post() {
        leptos_axum::redirect("/users");
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "users/set_roles")]
pub async fn set_user_roles(
    id: Uuid,
    requester: Option<String>,
    approver: Option<String>,
    admin: Option<String>,
) -> Result<(), AppError> {
    let state = crate::server::context::state()?;
    let caller = crate::server::require_role(&state, Role::Admin).await?;
    let roles = roles_of(requester, approver, admin);
    super::service::set_roles(&state.pool, &caller, id, &roles).await?;
    if crate::server::context::is_plain_form_post() {
        leptos_axum::redirect("/users");
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "users/reset_password")]
pub async fn reset_user_password(id: Uuid) -> Result<TemporaryPassword, AppError> {
    let state = crate::server::context::state()?;
    let caller = crate::server::require_role(&state, Role::Admin).await?;
    super::service::reset_password(&state.pool, &caller, id).await
}

/// The signed-in person's new password (the only thing allowed after a reset, with sign-out).
#[server(prefix = "/api", endpoint = "account/change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use secrecy::SecretString;
    let state = crate::server::context::state()?;
    let user = crate::server::require_signed_in(&state).await?;
    let ip = crate::server::client_ip(&state).await;
    let epoch = super::service::change_password(
        &state.pool,
        &state.config,
        &user,
        SecretString::from(current_password),
        SecretString::from(new_password),
        &ip,
    )
    .await?;
    let session = crate::server::session().await?;
    crate::server::context::keep_this_session(&session, epoch).await?;
    if crate::server::context::is_plain_form_post() {
        leptos_axum::redirect("/");
    }
    Ok(())
}
