//! Approval server functions.

use super::model::{ApprovalQueue, BulkOutcome};
use crate::error::AppError;
use leptos::prelude::*;

/// Pending requests, oldest first, filtered by product, requester (part of the email or name)
/// and organization; `after` continues from a previous page.
#[server(prefix = "/api", endpoint = "approvals/queue")]
pub async fn load_approval_queue(
    product: Option<String>,
    requester: Option<String>,
    organization: Option<String>,
    after: Option<String>,
) -> Result<ApprovalQueue, AppError> {
    use super::model::QueueFilter;
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let approver = require_role(&state, Role::Approver).await?;
    let filter = QueueFilter {
        product: product.unwrap_or_default(),
        requester: requester.unwrap_or_default(),
        organization: organization.unwrap_or_default(),
        after: after.unwrap_or_default(),
    };
    let mut queue = super::service::queue(
        &state.pool,
        &approver,
        &filter,
        super::service::QUEUE_PAGE_SIZE,
    )
    .await?;
    queue.organizations = crate::features::requests::options::organization_names(
        &state.digicert,
        &state.order_options,
    )
    .await;
    Ok(queue)
}

/// Approves or rejects one request. `decision` is `approve` or `reject`; a rejection needs `note`.
/// A plain form post returns to the queue, or to the request's page when `return_to` is `request`.
#[server(prefix = "/api", endpoint = "approvals/decide")]
pub async fn decide_request(
    id: i64,
    decision: String,
    note: Option<String>,
    return_to: Option<String>,
) -> Result<(), AppError> {
    use super::model::Decision;
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let approver = require_role(&state, Role::Approver).await?;
    let decision = Decision::parse(&decision)
        .ok_or_else(|| AppError::BadRequest("decision must be approve or reject".into()))?;
    if decision == Decision::Approve
        && let Some(account) = account_custom_fields(&state).await
    {
        let missing = super::service::missing_custom_fields(&state.pool, id, &account).await?;
        if !missing.is_empty() {
            return Err(AppError::Conflict(super::service::missing_fields_message(
                &missing,
            )));
        }
    }
    super::service::decide(&state.pool, &approver, id, decision, note.as_deref()).await?;
    if context::is_plain_form_post() {
        if return_to.as_deref() == Some("request") {
            leptos_axum::redirect(&format!("/requests/{id}"));
        } else {
            leptos_axum::redirect("/approvals");
        }
    }
    Ok(())
}

/// Approves the selected requests (`ids[0]=…&ids[1]=…`) with one comment.
#[server(prefix = "/api", endpoint = "approvals/approve_many")]
pub async fn approve_many(ids: Vec<i64>, comment: Option<String>) -> Result<BulkOutcome, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let approver = require_role(&state, Role::Approver).await?;
    let mut held_back = Vec::new();
    let mut ready = Vec::new();
    let account = account_custom_fields(&state).await.unwrap_or_default();
    for &id in ids.iter().take(super::service::MAX_BULK_APPROVALS + 1) {
        let missing = super::service::missing_custom_fields(&state.pool, id, &account).await?;
        if missing.is_empty() {
            ready.push(id);
        } else {
            held_back.push((id, super::service::missing_fields_message(&missing)));
        }
    }
    if ids.len() > super::service::MAX_BULK_APPROVALS {
        ready = ids;
    }
    let mut outcome = if ready.is_empty() && !held_back.is_empty() {
        super::model::BulkOutcome::default()
    } else {
        super::service::approve_many(&state.pool, &approver, &ready, comment.as_deref()).await?
    };
    outcome.skipped.extend(held_back);
    if context::is_plain_form_post() {
        leptos_axum::redirect("/approvals");
    }
    Ok(outcome)
}

/// The account's custom order fields (cached like the forms' lists); `None` when DigiCert cannot
/// be asked, so a decision never waits on it (DigiCert itself refuses a lacking order later).
#[cfg(feature = "ssr")]
async fn account_custom_fields(
    state: &crate::server::AppState,
) -> Option<Vec<crate::features::requests::options::CustomFieldChoice>> {
    match state.order_options.custom_fields(&state.digicert).await {
        Ok(fields) => Some(fields),
        Err(err) => {
            tracing::warn!(error = %err, "deciding without DigiCert's custom field list");
            None
        }
    }
}
