//! Request server functions: each checks who is calling, then hands over to the service.

use super::model::{CsrCheck, RequestDetail, RequestForm, RequestPage};
use super::options::OrderOptions;
use crate::error::AppError;
use leptos::prelude::*;

pub const MY_REQUESTS_PAGE_SIZE: i64 = 50;

/// Stores a new request and answers its id. A plain form post (no JavaScript) is redirected to
/// the request's page; on errors it comes back to the form with every value kept.
#[server(prefix = "/api", endpoint = "requests/submit")]
pub async fn submit_request(form: RequestForm) -> Result<i64, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let user = require_role(&state, Role::Requester).await?;
    let today = time::OffsetDateTime::now_utc().date();
    form.check_lengths()?;
    // DigiCert's lists (cached): a stale id or a missing custom field is the requester's to fix
    // now. Without them (DigiCert unreachable) DigiCert itself refuses such an order later.
    if let Some(product) = form.product_id() {
        match super::options::order_options(
            &state.digicert,
            &state.order_options,
            product,
            form.needs_ev_approver(),
        )
        .await
        {
            Ok(options) => super::service::check_account(&form, &options, today)?,
            Err(err) => tracing::warn!(error = %err, "submitting without DigiCert's lists"),
        }
    }
    // The order as the form builds it; the full check runs once, in `submit_priced`.
    let price = match super::model::to_order(&form) {
        Ok(order) => {
            super::service::estimate_price(&state.digicert, &state.order_options, &order).await
        }
        Err(_) => None,
    };
    let id = super::service::submit_priced(
        &state.pool,
        &user,
        &form,
        state.config.digicert_skip_approval,
        today,
        price.as_ref(),
    )
    .await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect(&format!("/requests/{id}"));
    }
    Ok(id)
}

/// DigiCert's price estimate for the form as it stands: "USD 345.00", or "unknown" when the
/// form is incomplete or DigiCert cannot estimate it.
#[server(prefix = "/api", endpoint = "requests/price")]
pub async fn estimate_price(form: RequestForm) -> Result<String, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    require_role(&state, Role::Requester).await?;
    form.check_lengths()?;
    let today = time::OffsetDateTime::now_utc().date();
    // Only a complete, valid order has a price.
    let price = match super::model::prepare(&form, today) {
        Ok(prepared) => {
            super::service::estimate_price(&state.digicert, &state.order_options, &prepared.order)
                .await
        }
        Err(_) => None,
    };
    Ok(crate::features::digicert::pricing::describe(price.as_ref()))
}

#[server(prefix = "/api", endpoint = "requests/mine")]
pub async fn my_requests(before: Option<i64>) -> Result<RequestPage, AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    super::repo::list_for_requester(&state.pool, user.id, before, MY_REQUESTS_PAGE_SIZE).await
}

#[server(prefix = "/api", endpoint = "requests/detail")]
pub async fn load_request(id: i64) -> Result<RequestDetail, AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let mut detail = super::service::detail_for(&state.pool, &user, id).await?;
    let today = time::OffsetDateTime::now_utc().date();
    detail.can_renew &=
        super::service::renewable(&detail, &user, today, state.config.renew_window_days);
    Ok(detail)
}

/// The form of an earlier request, to start a new one from ("Copy as new request"): whoever may
/// see the request may copy it. Only the form crosses to the browser, so the order form's code
/// carries no decoder for a request's whole page.
#[server(prefix = "/api", endpoint = "requests/copy_form")]
pub async fn copied_form(id: i64) -> Result<RequestForm, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let user = require_role(&state, Role::Requester).await?;
    let detail = super::service::detail_for(&state.pool, &user, id).await?;
    Ok(detail.form)
}

/// The form for renewing an order: its values, with `renewal_of_order_id` set.
#[server(prefix = "/api", endpoint = "requests/renewal_form")]
pub async fn renewal_form(id: i64) -> Result<RequestForm, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    let user = require_role(&state, Role::Requester).await?;
    let today = time::OffsetDateTime::now_utc().date();
    super::service::renewal_form(
        &state.pool,
        &user,
        id,
        today,
        state.config.renew_window_days,
    )
    .await
}

#[server(prefix = "/api", endpoint = "requests/cancel")]
pub async fn cancel_request(id: i64) -> Result<(), AppError> {
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    super::service::cancel(&state.pool, &user, id).await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect(&format!("/requests/{id}"));
    }
    Ok(())
}

/// The full CSR check, signature included, for the form's live preview. The CSR is not stored
/// or logged here; a private key never reaches this point from the browser, and if sent anyway
/// it is refused without being echoed.
#[server(prefix = "/api", endpoint = "requests/check_csr")]
pub async fn check_csr(form: RequestForm) -> Result<Option<CsrCheck>, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    require_role(&state, Role::Requester).await?;
    form.check_lengths()?;
    Ok(CsrCheck::of(&form))
}

/// DigiCert's lists for one form: organizations (with EV approvers for EV), containers, server
/// platforms and private CAs.
#[server(prefix = "/api", endpoint = "requests/options")]
pub async fn load_order_options(
    kind: String,
    product: String,
    type_hint: String,
) -> Result<OrderOptions, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    require_role(&state, Role::Requester).await?;
    let form = RequestForm {
        kind,
        product,
        type_hint,
        ..RequestForm::default()
    };
    let product = form.product_id().ok_or(AppError::NotFound)?;
    super::options::order_options(
        &state.digicert,
        &state.order_options,
        product,
        form.needs_ev_approver(),
    )
    .await
}
