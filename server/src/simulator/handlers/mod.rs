//! The simulator's HTTP side: authentication, rate limits and faults in one middleware, then one
//! handler per endpoint, in a module per part of the API.

mod account;
mod certificates;
mod control;
mod guard;
mod issuance;
mod order_checks;
mod orders;

use account::*;
use certificates::*;
use control::*;
use guard::*;
use orders::*;

pub(super) use certificates::chain_entries;
pub(super) use control::stats;
pub(super) use issuance::{advance, issue_now, today};
pub(super) use orders::schedule;

use super::{Inner, Simulator};
use app::features::digicert::rules::Violation;
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    middleware::{self},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use serde_json::{Value, json};
use std::sync::Arc;

type Shared = State<Arc<Inner>>;

pub fn router(sim: Simulator) -> Router {
    let inner = sim.inner.clone();
    let api = Router::new()
        .route("/order/certificate/status-changes", get(status_changes))
        .route(
            "/order/certificate/{id}",
            get(order_info).post(create_order),
        )
        .route("/order/certificate/{id}/status", put(update_order_status))
        .route(
            "/order/alternate/{alternative_id}",
            get(orders_by_alternative_id),
        )
        .route("/request/{id}/status", put(update_request_status))
        .route("/certificate/{id}/download/format/{format}", get(download))
        .route("/certificate/{id}/chain", get(chain))
        .route("/organization", get(list_organizations))
        .route(
            "/organization/potential-approvers",
            get(potential_approvers),
        )
        .route("/organization/{id}", get(organization_info))
        .route(
            "/organization/{id}/validation",
            get(organization_validation),
        )
        .route("/container", get(list_containers))
        .route("/product/{name_id}", get(product))
        .route("/user", get(list_users))
        .route("/account/metadata", get(list_custom_fields))
        .route("/container/{id}/product-limits", get(product_limits))
        .route("/__simulator/multi-year-plans", put(sim_multi_year_plans))
        .route("/__simulator/custom-fields", put(sim_custom_fields))
        .route("/__simulator/stats", get(sim_stats))
        .route("/__simulator/faults", put(sim_faults))
        .route("/__simulator/issuance", put(sim_issuance))
        .route("/__simulator/orders/{id}/issue", post(sim_issue))
        .merge(super::domains::routes())
        .merge(super::finance::routes())
        .merge(super::reissue::routes())
        .merge(super::duplicate::routes())
        .merge(super::revoke::routes())
        .fallback(|| async {
            api_error(
                StatusCode::NOT_FOUND,
                "not_found|route",
                "The requested route does not exist.",
            )
        })
        .layer(middleware::from_fn_with_state(inner.clone(), guard))
        .with_state(inner);
    Router::new().nest("/services/v2", api)
}

/// `{"errors":[{"code","message"}]}` with a status.
pub(super) fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "errors": [{ "code": code, "message": message }] })),
    )
        .into_response()
}

/// DigiCert's answer for an order id this account does not hold.
pub(super) fn order_not_found() -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "not_found|order",
        "The order does not exist in this account.",
    )
}

fn violations_error(violations: &[Violation]) -> Response {
    let errors: Vec<Value> = violations
        .iter()
        .map(|v| json!({ "code": v.code, "message": format!("{}: {}", v.field, v.message) }))
        .collect();
    (StatusCode::BAD_REQUEST, Json(json!({ "errors": errors }))).into_response()
}
