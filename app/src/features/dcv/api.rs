//! DCV server functions: each checks who is calling, then hands over to the service.

use super::model::{CheckOutcome, DcvPanel, DomainRow};
use crate::error::AppError;
use leptos::prelude::*;

/// The DCV section of a request page (requester, approvers, admins); `None` when the order has
/// no domain validation.
#[server(prefix = "/api", endpoint = "dcv/panel")]
pub async fn load_dcv(id: i64) -> Result<Option<DcvPanel>, AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let today = time::OffsetDateTime::now_utc().date();
    super::service::panel(&state.pool, &user, id, state.config.demo_mode(), today).await
}

/// "Check now": DigiCert looks for the records at once.
#[server(prefix = "/api", endpoint = "dcv/check")]
pub async fn check_dcv(id: i64) -> Result<CheckOutcome, AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let outcome = super::service::check_now(
        &state.pool,
        &state.digicert,
        &user,
        id,
        state.config.dcv_check_seconds,
    )
    .await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect(&format!("/requests/{id}#dcv"));
    }
    Ok(outcome)
}

/// Another DCV method for the order, and with it a new random value.
#[server(prefix = "/api", endpoint = "dcv/method")]
pub async fn change_dcv_method(id: i64, dcv_method: String) -> Result<(), AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let ip = context::client_ip(&state).await;
    super::service::change_method(
        &state.pool,
        &state.digicert,
        &user,
        id,
        &dcv_method,
        today,
        &ip,
    )
    .await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect(&format!("/requests/{id}#dcv"));
    }
    Ok(())
}

/// Demo mode only: publishes the records in the simulator's DNS or web.
#[server(prefix = "/api", endpoint = "dcv/publish_demo")]
pub async fn publish_dcv_demo(id: i64) -> Result<usize, AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let ip = context::client_ip(&state).await;
    let demo = state.config.demo_mode();
    let published =
        super::service::publish_in_demo(&state.pool, &state.digicert, &user, id, demo, &ip).await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect(&format!("/requests/{id}#dcv"));
    }
    Ok(published)
}

/// Admins: every domain of the DigiCert account with its validations and DCV expiry.
#[server(prefix = "/api", endpoint = "dcv/domains")]
pub async fn load_domains() -> Result<Vec<DomainRow>, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    require_role(&state, Role::Admin).await?;
    let today = time::OffsetDateTime::now_utc().date();
    super::service::domains(&state.digicert, today).await
}
