//! Certificate-change server functions: each checks who is calling, then hands over to the
//! service.

use super::model::{ChangesPanel, NewCertificateContext, Policies, QueuedChange};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn kind_of(kind: &str) -> Result<super::model::ChangeKind, AppError> {
    use super::model::ChangeKind;
    match ChangeKind::parse(kind) {
        Some(kind @ (ChangeKind::Reissue | ChangeKind::Duplicate)) => Ok(kind),
        _ => Err(AppError::BadRequest("kind is reissue or duplicate".into())),
    }
}

/// The request page's "Reissue, duplicate, revoke" section (requester, approvers, admins).
#[server(prefix = "/api", endpoint = "changes/panel")]
pub async fn load_changes(id: i64) -> Result<ChangesPanel, AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let today = time::OffsetDateTime::now_utc().date();
    super::service::panel(&state.pool, &user, id, today).await
}

/// What the reissue or duplicate form starts from: the current certificate's names.
#[server(prefix = "/api", endpoint = "changes/context")]
pub async fn load_new_certificate_context(
    id: i64,
    kind: String,
) -> Result<NewCertificateContext, AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let today = time::OffsetDateTime::now_utc().date();
    super::service::new_certificate_context(&state.pool, &user, id, kind_of(&kind)?, today).await
}

/// Asks for a reissue or a duplicate with a new CSR; `names` empty keeps the current names.
#[server(prefix = "/api", endpoint = "changes/new_certificate")]
pub async fn ask_new_certificate(
    id: i64,
    kind: String,
    csr: String,
    names: Option<String>,
) -> Result<i64, AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let ip = context::client_ip(&state).await;
    let change = super::service::ask_new_certificate(
        &state.pool,
        &user,
        id,
        kind_of(&kind)?,
        &csr,
        names.as_deref().unwrap_or_default(),
        today,
        &ip,
    )
    .await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect(&format!("/requests/{id}#changes"));
    }
    Ok(change)
}

/// Asks for a revocation: `certificate` is one of the order's certificate ids, or `order` for the
/// whole order.
#[server(prefix = "/api", endpoint = "changes/revoke")]
pub async fn ask_revocation(
    id: i64,
    certificate: String,
    reason: String,
    comment: Option<String>,
) -> Result<i64, AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let ip = context::client_ip(&state).await;
    let target = match certificate.as_str() {
        "order" => None,
        other => Some(other.parse::<i64>().map_err(|_| {
            AppError::BadRequest("certificate is a certificate id or `order`".into())
        })?),
    };
    let change = super::service::ask_revocation(
        &state.pool,
        &user,
        id,
        target,
        &reason,
        comment.as_deref().unwrap_or_default(),
        &ip,
    )
    .await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect(&format!("/requests/{id}#changes"));
    }
    Ok(change)
}

/// An approver approves or rejects a change (`decision` is `approve` or `reject`; a rejection
/// needs `note`). A plain form post returns to the request page, or to the queue when
/// `return_to` is `approvals`.
#[server(prefix = "/api", endpoint = "changes/decide")]
pub async fn decide_change(
    change: i64,
    decision: String,
    note: Option<String>,
    return_to: Option<String>,
) -> Result<(), AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let approver = require_role(&state, Role::Approver).await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::BadRequest(
                "decision must be approve or reject".into(),
            ));
        }
    };
    let ip = context::client_ip(&state).await;
    super::service::decide(
        &state.pool,
        &approver,
        change,
        approve,
        note.as_deref(),
        &ip,
    )
    .await?;
    if context::is_plain_form_post() {
        let back = match return_to.as_deref() {
            Some("approvals") => "/approvals#changes".to_owned(),
            _ => match super::repo::one(&state.pool, change).await? {
                Some(row) => format!("/requests/{}#changes", row.request_id),
                None => "/approvals".to_owned(),
            },
        };
        leptos_axum::redirect(&back);
    }
    Ok(())
}

/// The asker withdraws a change still waiting for approval.
#[server(prefix = "/api", endpoint = "changes/cancel")]
pub async fn cancel_change(change: i64) -> Result<(), AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let ip = context::client_ip(&state).await;
    let request_id = super::service::cancel(&state.pool, &user, change, &ip).await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect(&format!("/requests/{request_id}#changes"));
    }
    Ok(())
}

/// Approvers: reissues, duplicates and revocations waiting for a decision.
#[server(prefix = "/api", endpoint = "changes/queue")]
pub async fn load_change_queue() -> Result<Vec<QueuedChange>, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let approver = require_role(&state, Role::Approver).await?;
    super::service::queue(&state.pool, &approver).await
}

/// Admins: the standing policies.
#[server(prefix = "/api", endpoint = "changes/policies")]
pub async fn load_policies() -> Result<Policies, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    require_role(&state, Role::Admin).await?;
    super::service::policies(&state.pool).await
}

/// Admins switch one standing policy on (`enabled` = `on`) or off.
#[server(prefix = "/api", endpoint = "changes/set_policy")]
pub async fn set_policy(name: String, enabled: String) -> Result<(), AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let admin = require_role(&state, Role::Admin).await?;
    let enabled = match enabled.as_str() {
        "on" | "true" => true,
        "off" | "false" => false,
        _ => return Err(AppError::BadRequest("enabled is on or off".into())),
    };
    let ip = context::client_ip(&state).await;
    super::service::set_policy(&state.pool, &admin, &name, enabled, &ip).await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect("/admin/policies");
    }
    Ok(())
}
