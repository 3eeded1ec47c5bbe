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
}

/// One page of users ordered by email, and the email to continue after when there are more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    pub next_after: Option<String>,
}

pub const USERS_PAGE_SIZE: i64 = 50;

#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users(after: Option<String>) -> Result<UserPage, AppError> {
    let state = crate::server::context::state()?;
    crate::server::require_role(&state, Role::Admin).await?;
    super::repo::list_users(&state.pool, after.as_deref(), USERS_PAGE_SIZE).await
}
