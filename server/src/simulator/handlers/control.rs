//! `/__simulator/*`: what the tests and the demo use to steer the simulator (not DigiCert's API).

use super::*;
use crate::simulator::{Inner, Issuance, Stats};
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};

pub(in crate::simulator) fn stats(inner: &Inner) -> Stats {
    let orders = inner.orders.lock().expect("orders");
    let per_alt: std::collections::BTreeMap<String, u64> = orders
        .by_alternative_id
        .iter()
        .map(|(alt, ids)| (alt.clone(), ids.len() as u64))
        .collect();
    let duplicated = per_alt
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(alt, _)| alt.clone())
        .collect();
    let reissues_per_order = orders
        .by_id
        .values()
        .filter(|o| o.reissues > 0)
        .map(|o| (o.id, o.reissues))
        .collect();
    Stats {
        counters: inner.counters.lock().expect("counters").clone(),
        orders_per_alternative_id: per_alt,
        duplicated_alternative_ids: duplicated,
        reissues_per_order,
    }
}

pub(super) async fn sim_multi_year_plans(
    State(inner): Shared,
    Json(enabled): Json<bool>,
) -> Response {
    *inner.multi_year_plans.lock().expect("plans") = enabled;
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn sim_custom_fields(
    State(inner): Shared,
    Json(fields): Json<Vec<app::features::digicert::account::CustomFieldDefinition>>,
) -> Response {
    *inner.custom_fields.lock().expect("custom fields") = fields;
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn sim_stats(State(inner): Shared) -> Response {
    Json(stats(&inner)).into_response()
}

pub(super) async fn sim_faults(
    State(inner): Shared,
    Json(plan): Json<crate::simulator::FaultPlan>,
) -> Response {
    *inner.faults.lock().expect("faults") = plan;
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn sim_issuance(State(inner): Shared, Json(issuance): Json<Issuance>) -> Response {
    *inner.issuance.lock().expect("issuance") = issuance;
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn sim_issue(State(inner): Shared, Path(id): Path<String>) -> Response {
    let mut orders = inner.orders.lock().expect("orders");
    match id
        .parse::<i64>()
        .ok()
        .and_then(|id| orders.by_id.get_mut(&id))
    {
        Some(order) if order.issued.is_none() && order.status != "canceled" => {
            issue_now(&inner, order);
            StatusCode::NO_CONTENT.into_response()
        }
        Some(_) => api_error(
            StatusCode::BAD_REQUEST,
            "invalid_order_status",
            "The order is already issued or canceled.",
        ),
        None => api_error(
            StatusCode::NOT_FOUND,
            "not_found|order",
            "The order does not exist.",
        ),
    }
}
