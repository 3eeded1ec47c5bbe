//! The simulator's DCV and domain endpoints (`check-dcv`, `dcv-method`, `dcv-random-value`,
//! `GET domain`, `GET domain/{id}`) and the test-only control paths that publish records in the
//! simulated DNS and web or validate a domain outright.

use super::dcv::{Record, Records, method_allowed};
use super::handlers::{advance, api_error, issue_now, order_not_found, today};
use super::{Inner, Issuance};
use app::features::digicert::payload::DcvMethod;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, put},
};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

type Shared = State<Arc<Inner>>;

pub fn routes() -> Router<Arc<Inner>> {
    Router::new()
        .route("/order/certificate/{id}/check-dcv", put(check_dcv))
        .route("/order/certificate/{id}/dcv-method", put(change_method))
        .route(
            "/order/certificate/{id}/dcv-random-value",
            put(random_value),
        )
        .route("/domain", get(list_domains))
        .route("/domain/{id}", get(domain_info))
        .route(
            "/__simulator/records",
            put(publish_record).delete(remove_record),
        )
        .route(
            "/__simulator/domains/{name}/validated",
            put(validate_domain),
        )
}

fn no_dcv() -> Response {
    api_error(
        StatusCode::BAD_REQUEST,
        "invalid_order_status",
        "This order has no domain validation.",
    )
}

/// Looks for the order's records now; issues it when nothing is left to prove (in DCV mode).
async fn check_dcv(State(inner): Shared, Path(id): Path<String>) -> Response {
    advance(&inner);
    let dcv_mode = *inner.issuance.lock().expect("issuance") == Issuance::Dcv;
    let mut orders = inner.orders.lock().expect("orders");
    let Some(order) = id
        .parse::<i64>()
        .ok()
        .and_then(|id| orders.by_id.get_mut(&id))
    else {
        return order_not_found();
    };
    let Some(dcv) = order.dcv.as_mut() else {
        return no_dcv();
    };
    if !dcv.complete() {
        if !dcv.method.is_token() {
            return api_error(
                StatusCode::BAD_REQUEST,
                "invalid_dns_method",
                "This order is validated by email; its names cannot be checked on request.",
            );
        }
        if today() > dcv.value_expires {
            return api_error(
                StatusCode::BAD_REQUEST,
                "expired_random_value",
                "The order's random value has expired; ask for a new one.",
            );
        }
        let passed = dcv.check(&mut inner.dcv.lock().expect("dcv"), today());
        if passed == 0 {
            let (code, message) = match dcv.method {
                DcvMethod::HttpToken => (
                    "file_random_value_not_found",
                    "The file with the random value was not found.",
                ),
                DcvMethod::DnsCnameToken => (
                    "invalid_dns_txt",
                    "No CNAME record for the random value was found.",
                ),
                _ => (
                    "invalid_dns_txt",
                    "No TXT record with the random value was found.",
                ),
            };
            return api_error(StatusCode::BAD_REQUEST, code, message);
        }
    }
    let complete = dcv.complete();
    let validations = dcv.name_validations();
    let waiting = matches!(order.status.as_str(), "pending" | "reissue_pending");
    if complete && dcv_mode && waiting && order.issued.is_none() {
        issue_now(&inner, order);
    }
    let mut body = json!({
        "order_status": order.status,
        "dcv_status": if complete { "valid" } else { "pending" },
        "dns_name_validations": validations,
    });
    if order.issued.is_some() {
        body["certificate_id"] = json!(order.certificate_id);
    }
    Json(body).into_response()
}

#[derive(Deserialize)]
struct MethodChange {
    dcv_method: String,
}

async fn change_method(State(inner): Shared, Path(id): Path<String>, body: Bytes) -> Response {
    let Ok(change) = serde_json::from_slice::<MethodChange>(&body) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "required_param:dcv_method",
            "Give dcv_method.",
        );
    };
    let Some(method) = DcvMethod::parse(&change.dcv_method) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:dcv_method",
            "Unknown DCV method.",
        );
    };
    if !method_allowed(method, today()) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:dcv_method",
            "Email domain validation ended on 2028-03-15 (CA/Browser Forum ballot SC-090).",
        );
    }
    advance(&inner);
    let mut orders = inner.orders.lock().expect("orders");
    let Some(order) = id
        .parse::<i64>()
        .ok()
        .and_then(|id| orders.by_id.get_mut(&id))
    else {
        return order_not_found();
    };
    if !matches!(order.status.as_str(), "pending" | "needs_approval") {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_order_status",
            &format!(
                "The DCV method of an order that is {} cannot change.",
                order.status
            ),
        );
    }
    let Some(dcv) = order.dcv.as_mut() else {
        return no_dcv();
    };
    dcv.change_method(method, today());
    Json(dcv.value_json()).into_response()
}

/// The order's random value: the current one while valid, else a new one.
async fn random_value(State(inner): Shared, Path(id): Path<String>) -> Response {
    advance(&inner);
    let mut orders = inner.orders.lock().expect("orders");
    let Some(order) = id
        .parse::<i64>()
        .ok()
        .and_then(|id| orders.by_id.get_mut(&id))
    else {
        return order_not_found();
    };
    let Some(dcv) = order.dcv.as_mut() else {
        return no_dcv();
    };
    dcv.renew_value_if_expired(today());
    let mut body = json!({
        "dcv_random_value": dcv.random_value,
        "expiration_date": format!("{}T23:59:59+00:00", dcv.value_expires),
    });
    body["dcv_method"] = json!(dcv.method.as_str());
    Json(body).into_response()
}

#[derive(Deserialize)]
struct DomainQuery {
    #[serde(rename = "filters[search]")]
    search: Option<String>,
}

async fn list_domains(State(inner): Shared, Query(query): Query<DomainQuery>) -> Response {
    let world = inner.dcv.lock().expect("dcv");
    let search = query.search.unwrap_or_default().to_ascii_lowercase();
    let domains: Vec<_> = world
        .domains
        .iter()
        .filter(|d| d.name.contains(&search))
        .map(|d| d.json())
        .collect();
    let total = domains.len();
    Json(json!({ "domains": domains, "page": { "total": total, "limit": 1000, "offset": 0 } }))
        .into_response()
}

async fn domain_info(State(inner): Shared, Path(id): Path<String>) -> Response {
    let world = inner.dcv.lock().expect("dcv");
    match id.parse::<i64>().ok().and_then(|id| world.domain(id)) {
        Some(domain) => Json(domain.json()).into_response(),
        None => api_error(
            StatusCode::NOT_FOUND,
            "not_found|domain",
            "The domain does not exist in this account.",
        ),
    }
}

/// Parses a control record and applies `change` to the simulated DNS and web.
fn change_records(inner: &Inner, body: &Bytes, change: fn(&mut Records, &Record)) -> Response {
    match serde_json::from_slice::<Record>(body) {
        Ok(record) => {
            change(&mut inner.dcv.lock().expect("dcv").records, &record);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => api_error(
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            &format!("A record is {{\"type\":\"txt|cname|http\", …}}: {e}"),
        ),
    }
}

async fn publish_record(State(inner): Shared, body: Bytes) -> Response {
    change_records(&inner, &body, Records::publish)
}

async fn remove_record(State(inner): Shared, body: Bytes) -> Response {
    change_records(&inner, &body, Records::remove)
}

async fn validate_domain(State(inner): Shared, Path(name): Path<String>) -> Response {
    inner
        .dcv
        .lock()
        .expect("dcv")
        .validate(&name, DcvMethod::DnsTxtToken, today());
    StatusCode::NO_CONTENT.into_response()
}
