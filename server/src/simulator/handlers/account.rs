//! The account's lists: organizations and their validations, approvers, containers, products,
//! users, product limits, custom order fields.

use super::*;
use crate::simulator::account::product_info;
use app::features::digicert::products::ProductId;
use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use std::collections::HashMap;

pub(super) async fn list_organizations(State(inner): Shared) -> Response {
    let organizations: Vec<_> = inner
        .account
        .organizations
        .iter()
        .map(|o| &o.summary)
        .collect();
    let total = organizations.len();
    Json(json!({ "organizations": organizations, "page": { "total": total, "limit": 1000, "offset": 0 } })).into_response()
}

pub(super) async fn organization_info(State(inner): Shared, Path(id): Path<String>) -> Response {
    match id
        .parse::<i64>()
        .ok()
        .and_then(|id| inner.account.organization(id))
    {
        Some(org) => {
            let mut body = serde_json::to_value(&org.summary).unwrap_or_default();
            body["ev_approvers"] = json!(org.approvers);
            Json(body).into_response()
        }
        None => api_error(
            StatusCode::NOT_FOUND,
            "not_found|organization",
            "The organization does not exist.",
        ),
    }
}

pub(super) async fn organization_validation(
    State(inner): Shared,
    Path(id): Path<String>,
) -> Response {
    match id
        .parse::<i64>()
        .ok()
        .and_then(|id| inner.account.organization(id))
    {
        Some(org) => Json(json!({ "validations": org.validations })).into_response(),
        None => api_error(
            StatusCode::NOT_FOUND,
            "not_found|organization",
            "The organization does not exist.",
        ),
    }
}

pub(super) async fn potential_approvers(
    State(inner): Shared,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = query.get("organization_id") else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "required_param:organization_id",
            "Give organization_id.",
        );
    };
    match id
        .parse::<i64>()
        .ok()
        .and_then(|id| inner.account.organization(id))
    {
        Some(org) => Json(json!({ "users": org.approvers, "contacts": [] })).into_response(),
        None => api_error(
            StatusCode::NOT_FOUND,
            "not_found|organization",
            "The organization does not exist.",
        ),
    }
}

pub(super) async fn list_containers(State(inner): Shared) -> Response {
    Json(json!({ "containers": inner.account.containers })).into_response()
}

pub(super) async fn product(State(inner): Shared, Path(name_id): Path<String>) -> Response {
    match ProductId::parse(&name_id) {
        Some(product) => {
            let mut info = product_info(product);
            if !*inner.multi_year_plans.lock().expect("plans") {
                info.allowed_order_validity_years = vec![1];
            }
            Json(info).into_response()
        }
        None => api_error(
            StatusCode::NOT_FOUND,
            "not_found|product",
            &format!("Product {name_id} does not exist."),
        ),
    }
}

pub(super) async fn list_users(State(inner): Shared) -> Response {
    let total = inner.account.users.len();
    Json(json!({ "users": inner.account.users, "page": { "total": total, "limit": 1000, "offset": 0 } })).into_response()
}

/// Every product with its hashes and lifetimes; Multi-year Plans off narrows orders to a year.
pub(super) async fn product_limits(State(inner): Shared, Path(id): Path<String>) -> Response {
    let Some(container) = id
        .parse::<i64>()
        .ok()
        .filter(|id| inner.account.containers.iter().any(|c| c.id == *id))
    else {
        return api_error(
            StatusCode::NOT_FOUND,
            "not_found|container",
            "The container does not exist in this account.",
        );
    };
    let multi_year = *inner.multi_year_plans.lock().expect("plans");
    let limits: Vec<Value> = ProductId::ALL
        .iter()
        .map(|product| {
            let info = product_info(*product);
            let hashes: Vec<String> = info
                .signature_hash_types
                .map(|h| h.allowed_hash_types.into_iter().map(|h| h.id).collect())
                .unwrap_or_default();
            let order_years: &[&str] = if multi_year { &["1", "2", "3"] } else { &["1"] };
            json!({
                "container_id": container, "role_id": 0,
                "product_name_id": product.name_id(),
                "allowed_hashes": hashes, "allowed_lifetimes": ["1"],
                "allowed_order_lifetimes": order_years,
                "allow_auto_renew": true, "allow_auto_reissue": true,
            })
        })
        .collect();
    Json(json!({ "is_limited": true, "limited_container_ids": [container], "product_limits": limits }))
        .into_response()
}

pub(super) async fn list_custom_fields(State(inner): Shared) -> Response {
    let fields = inner.custom_fields.lock().expect("custom fields").clone();
    Json(json!({ "metadata": fields })).into_response()
}
