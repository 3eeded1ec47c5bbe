//! Forwarding's server function: an admin sends a refused order again.

use crate::error::AppError;
use leptos::prelude::*;

/// Sends a refused order again once its cause is fixed (admins).
#[server(prefix = "/api", endpoint = "forwarding/retry")]
pub async fn retry_forwarding(id: i64) -> Result<(), AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let admin = require_role(&state, Role::Admin).await?;
    super::worker::retry_forwarding(&state.pool, &admin, id).await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect(&format!("/requests/{id}"));
    }
    Ok(())
}
