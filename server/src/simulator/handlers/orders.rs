//! Placing orders and reading them back: create, info, by alternative id, the status-changes
//! feed, and status updates (an administrator's approval or rejection).

use super::order_checks::*;
use super::*;
use crate::simulator::account::server_platforms;
use crate::simulator::ca::CsrProblem;
use crate::simulator::{Inner, Issuance, SimOrder};
use app::features::digicert::dcv::EMAIL_DCV_ENDS;
use app::features::digicert::payload::{DcvMethod, OrderRequest, ProvisioningMethod};
use app::features::digicert::products::{ProductId, TypeHint};
use app::features::digicert::rules::{self};
use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use time::OffsetDateTime;
use tokio::time::Instant;

pub(super) async fn create_order(
    State(inner): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let today = today();
    let order = match checked_order(&inner, &id, &body, today) {
        Ok(order) => order,
        Err(response) => return response,
    };
    let issuance = *inner.issuance.lock().expect("issuance");
    let mut orders = inner.orders.lock().expect("orders");
    let alternative_id = order.alternative_order_id().map(str::to_owned);
    if let Some(alt) = &alternative_id
        && inner.require_unique_alternative_ids
        && orders
            .by_alternative_id
            .get(alt)
            .is_some_and(|ids| !ids.is_empty())
    {
        return api_error(
            StatusCode::BAD_REQUEST,
            "duplicate_alternative_order_id",
            "An order with this alternative order ID already exists.",
        );
    }
    let id = orders.next_id;
    orders.next_id += 1;
    let mut sim_order = new_sim_order(&inner, &order, id, today);
    // Without `skip_approval` the order waits for an administrator's approval first.
    if sim_order.request_id.is_none() {
        schedule(&inner, &mut sim_order, issuance, waits_for_token(&order));
    }
    let response = created_body(&inner, &sim_order);
    if let Some(alt) = alternative_id {
        orders.by_alternative_id.entry(alt).or_default().push(id);
    }
    orders
        .by_certificate_id
        .insert(sim_order.certificate_id, id);
    orders.by_id.insert(id, sim_order);
    drop(orders);
    inner.counters.lock().expect("counters").orders_created += 1;
    (StatusCode::CREATED, Json(response)).into_response()
}

/// The order in `body` for product `id`, once it passes every check DigiCert makes before
/// accepting one; otherwise DigiCert's error answer.
#[allow(clippy::result_large_err)]
fn checked_order(
    inner: &Inner,
    id: &str,
    body: &[u8],
    today: time::Date,
) -> Result<OrderRequest, Response> {
    let Some(product) = ProductId::parse(id) else {
        return Err(api_error(
            StatusCode::NOT_FOUND,
            "not_found|product",
            &format!("Product {id} does not exist."),
        ));
    };
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        api_error(
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "The request body is not valid JSON.",
        )
    })?;
    let order = parse_order(product, value)?;
    let violations = rules::check_order(&order, today);
    if !violations.is_empty() {
        return Err(violations_error(&violations));
    }
    check_account(inner, &order)?;
    check_custom_fields(inner, &order)?;
    check_limits(inner, &order, today)?;
    if let OrderRequest::Tls { body, .. } = &order
        && body.dcv_method == Some(DcvMethod::Email)
        && !crate::simulator::dcv::method_allowed(DcvMethod::Email, today)
    {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:dcv_method",
            "Email domain validation ended on 2028-03-15 (CA/Browser Forum ballot SC-090).",
        ));
    }
    if let Some(csr) = csr_of(&order)
        && let Err(problem) = crate::simulator::ca::check_csr(csr)
    {
        return Err(csr_refused(problem));
    }
    Ok(order)
}

fn csr_of(order: &OrderRequest) -> Option<&String> {
    match order {
        OrderRequest::Tls { body, .. } => body.certificate.csr.as_ref(),
        OrderRequest::DocumentSigning { body, .. } => body.certificate.csr.as_ref(),
    }
}

fn csr_refused(problem: CsrProblem) -> Response {
    match problem {
        CsrProblem::Unparseable => api_error(
            StatusCode::BAD_REQUEST,
            "csr_invalid_cannot_parse",
            "The CSR could not be parsed.",
        ),
        CsrProblem::BadSignature => api_error(
            StatusCode::BAD_REQUEST,
            "csr_invalid_signature",
            "The CSR's signature does not verify.",
        ),
        CsrProblem::WeakKey(why) => api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:certificate.csr",
            &why,
        ),
    }
}

/// A document signing order shipped on a token waits for its pickup once issued.
fn waits_for_token(order: &OrderRequest) -> bool {
    matches!(
        order,
        OrderRequest::DocumentSigning { body, .. } if body.cs_provisioning_method == Some(ProvisioningMethod::ShipToken)
    )
}

/// What the certificate will name, and for which organization.
struct Subject {
    common_name: String,
    dns_names: Vec<String>,
    signature_hash: String,
    organization_id: Option<i64>,
}

fn subject_of(inner: &Inner, order: &OrderRequest) -> Subject {
    match order {
        OrderRequest::Tls { body, .. } => Subject {
            common_name: body.certificate.common_name.trim().to_ascii_lowercase(),
            dns_names: body
                .certificate
                .dns_names
                .iter()
                .map(|n| n.trim().to_ascii_lowercase())
                .collect(),
            signature_hash: body.certificate.signature_hash.as_str().to_owned(),
            organization_id: body.organization.id,
        },
        OrderRequest::DocumentSigning { body, .. } => {
            let org_name = body
                .organization
                .id
                .and_then(|id| inner.account.organization(id))
                .map(|o| o.summary.name.clone());
            let common_name = if body.use_org_as_common_name.unwrap_or(true) {
                org_name.unwrap_or_else(|| body.subject.name.clone())
            } else {
                body.subject.name.clone()
            };
            Subject {
                common_name,
                dns_names: Vec::new(),
                signature_hash: "sha256".to_owned(),
                organization_id: body.organization.id,
            }
        }
    }
}

/// The simulator's record of a newly accepted order `id`, with its DCV when it needs one.
fn new_sim_order(inner: &Inner, order: &OrderRequest, id: i64, today: time::Date) -> SimOrder {
    let skip_approval = match order {
        OrderRequest::Tls { body, .. } => body.skip_approval.unwrap_or(false),
        OrderRequest::DocumentSigning { body, .. } => body.skip_approval.unwrap_or(false),
    };
    let subject = subject_of(inner, order);
    let organization_name = subject
        .organization_id
        .and_then(|id| inner.account.organization(id))
        .map(|o| o.summary.name.clone())
        .or_else(|| match order {
            OrderRequest::Tls { body, .. } => body.organization.name.clone(),
            OrderRequest::DocumentSigning { body, .. } => body.organization.name.clone(),
        });
    let (order_days, cert_days) = rules::planned_days(order, today);
    let now = OffsetDateTime::now_utc();
    let mut sim_order = SimOrder {
        id,
        certificate_id: id + 500_000,
        request_id: (!skip_approval).then_some(id + 900_000),
        request_status: (!skip_approval).then(|| "pending".to_owned()),
        alternative_order_id: order.alternative_order_id().map(str::to_owned),
        product: order.product(),
        status: if skip_approval {
            "pending"
        } else {
            "needs_approval"
        }
        .into(),
        status_changed: now,
        created: now,
        common_name: subject.common_name,
        dns_names: subject.dns_names,
        csr: csr_of(order).cloned(),
        organization_id: subject.organization_id,
        organization_name,
        signature_hash: subject.signature_hash,
        cert_days,
        order_valid_till: today + time::Duration::days(i64::from(order_days)),
        issue_at: None,
        issued: None,
        server_auth: matches!(order, OrderRequest::Tls { .. }),
        dcv: None,
        dcv_polled_at: Instant::now(),
        past: Vec::new(),
        revoked: HashMap::new(),
        duplicates: Vec::new(),
        reissues: 0,
        renewed_order_id: None,
    };
    if let OrderRequest::Tls { body, .. } = order
        && body.product.map(|p| p.type_hint) != Some(TypeHint::Private)
    {
        let method = body.dcv_method.unwrap_or(if today < EMAIL_DCV_ENDS {
            DcvMethod::Email
        } else {
            DcvMethod::DnsTxtToken
        });
        let mut names = vec![sim_order.common_name.clone()];
        names.extend(sim_order.dns_names.iter().cloned());
        let world = inner.dcv.lock().expect("dcv");
        sim_order.dcv = Some(crate::simulator::dcv::OrderDcv::new(
            method, &names, &world, today,
        ));
    }
    sim_order
}

/// Decides when an approved order is issued.
pub(in crate::simulator) fn schedule(
    inner: &Inner,
    order: &mut SimOrder,
    issuance: Issuance,
    waiting_for_token: bool,
) {
    match issuance {
        Issuance::Immediate => issue_now(inner, order),
        Issuance::Dcv => {
            if order.dcv.as_ref().is_none_or(|d| d.complete()) {
                issue_now(inner, order);
            }
        }
        Issuance::AfterSeconds(seconds) => {
            order.issue_at = Some(Instant::now() + std::time::Duration::from_secs(seconds));
        }
        Issuance::Manual => {}
    }
    if waiting_for_token && order.issued.is_none() {
        order.status = "waiting_pickup".into();
    }
}

pub(super) fn created_body(inner: &Inner, order: &SimOrder) -> Value {
    let mut body = json!({ "id": order.id });
    if let Some(request_id) = order.request_id {
        body["requests"] = json!([{ "id": request_id, "status": order.request_status }]);
    } else {
        body["certificate_id"] = json!(order.certificate_id);
    }
    if let Some(dcv) = &order.dcv {
        body["domains"] = json!(dcv.domains_json(300_000 + order.id * 10));
        if dcv.method.is_token() {
            body["dcv_random_value"] = json!(dcv.random_value);
        }
    }
    if let Some(issued) = &order.issued {
        body["certificate_chain"] = json!(chain_entries(inner, issued));
    }
    body
}

/// Parses the body for the product, turning serde's complaint into DigiCert's codes.
// The error is the finished answer the handler returns as it is.
pub(super) fn order_json(order: &SimOrder) -> Value {
    let mut certificate = json!({
        "id": order.certificate_id,
        "common_name": order.common_name,
        "dns_names": std::iter::once(order.common_name.clone()).chain(order.dns_names.iter().cloned()).collect::<Vec<_>>(),
        "date_created": order.created.date().to_string(),
        "signature_hash": order.signature_hash,
        "server_platform": server_platforms().first(),
        "cert_validity": { "days": order.cert_days },
    });
    if let Some(csr) = &order.csr {
        certificate["csr"] = json!(csr);
    }
    if let Some(issued) = &order.issued {
        certificate["serial_number"] = json!(issued.serial_hex);
        certificate["thumbprint"] = json!(issued.thumbprint);
        certificate["valid_from"] = json!(issued.valid_from.to_string());
        certificate["valid_till"] = json!(issued.valid_till.to_string());
        certificate["days_remaining"] = json!((issued.valid_till - today()).whole_days());
        certificate["ca_cert"] =
            json!({ "id": "SIMG2ECC2026CA1", "name": crate::simulator::ca::INTERMEDIATE_NAME });
    }
    json!({
        "id": order.id,
        "status": order.status,
        "certificate": certificate,
        "product": { "name_id": order.product.name_id(), "name": order.product.display_name() },
        "organization": order.organization_id.map(|id| json!({ "id": id, "name": order.organization_name })),
        "alternative_order_id": order.alternative_order_id,
        "date_created": order.created.to_string(),
        "order_valid_till": order.order_valid_till.to_string(),
        "dcv_method": order.dcv.as_ref().map(|d| d.method.as_str()),
        "requests": order.request_id.map(|id| vec![json!({ "id": id, "status": order.request_status, "type": "new_request" })]).unwrap_or_default(),
        "payment_method": "balance",
        "is_renewal": order.renewed_order_id.is_some(),
        "renewed_order_id": order.renewed_order_id,
    })
}

pub(super) async fn order_info(State(inner): Shared, Path(id): Path<String>) -> Response {
    advance(&inner);
    let orders = inner.orders.lock().expect("orders");
    match id.parse::<i64>().ok().and_then(|id| orders.by_id.get(&id)) {
        Some(order) => Json(order_json(order)).into_response(),
        None => order_not_found(),
    }
}

pub(super) fn status_entry(order: &SimOrder) -> Value {
    json!({ "order_id": order.id, "certificate_id": order.certificate_id, "status": order.status })
}

pub(super) async fn orders_by_alternative_id(
    State(inner): Shared,
    Path(alternative_id): Path<String>,
) -> Response {
    advance(&inner);
    let orders = inner.orders.lock().expect("orders");
    let found: Vec<Value> = orders
        .by_alternative_id
        .get(&alternative_id)
        .into_iter()
        .flatten()
        .filter_map(|id| orders.by_id.get(id))
        .map(status_entry)
        .collect();
    if found.is_empty() {
        return api_error(
            StatusCode::NOT_FOUND,
            "not_found|order",
            "No order has this alternative order ID.",
        );
    }
    let total = found.len();
    Json(json!({ "orders": found, "page": { "total": total, "limit": 1000, "offset": 0 } }))
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct Window {
    minutes: Option<i64>,
    seconds: Option<i64>,
}

pub(super) async fn status_changes(State(inner): Shared, Query(window): Query<Window>) -> Response {
    let seconds = match (window.minutes, window.seconds) {
        (Some(m), _) => m.saturating_mul(60),
        (None, Some(s)) => s,
        (None, None) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "required_param:minutes",
                "Give minutes or seconds.",
            );
        }
    };
    if !(1..=604_800).contains(&seconds) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "time_frame_too_long",
            "The time frame must be within 7 days.",
        );
    }
    advance(&inner);
    let since = OffsetDateTime::now_utc() - time::Duration::seconds(seconds);
    let orders = inner.orders.lock().expect("orders");
    let changed: Vec<Value> = orders
        .by_id
        .values()
        .filter(|o| o.status_changed >= since)
        .map(status_entry)
        .collect();
    Json(json!({ "orders": changed })).into_response()
}

#[derive(Deserialize)]
pub(super) struct StatusChange {
    status: Option<String>,
    note: Option<String>,
}

pub(super) async fn update_order_status(
    State(inner): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(change) = serde_json::from_slice::<StatusChange>(&body) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "The request body is not valid JSON.",
        );
    };
    if change
        .status
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
        != Some("canceled")
    {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:status",
            "Only \"canceled\" is supported.",
        );
    }
    if change.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "required_param:note",
            "A note is required to cancel an order.",
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
    if !matches!(
        order.status.as_str(),
        "pending" | "waiting_pickup" | "needs_approval"
    ) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_order_status",
            &format!("An order that is {} cannot be canceled.", order.status),
        );
    }
    order.status = "canceled".into();
    order.issue_at = None;
    order.status_changed = OffsetDateTime::now_utc();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
pub(super) struct RequestDecision {
    status: String,
}

pub(super) async fn update_request_status(
    State(inner): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(decision) = serde_json::from_slice::<RequestDecision>(&body) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "The request body is not valid JSON.",
        );
    };
    let issuance = *inner.issuance.lock().expect("issuance");
    let mut orders = inner.orders.lock().expect("orders");
    let request_id = id.parse::<i64>().unwrap_or(-1);
    if orders.revoke_requests.iter().any(|r| r.id == request_id) {
        return crate::simulator::revoke::decide(&mut orders, request_id, &decision.status);
    }
    let Some(order) = orders
        .by_id
        .values_mut()
        .find(|o| o.request_id == Some(request_id))
    else {
        return api_error(
            StatusCode::NOT_FOUND,
            "not_found|request",
            "The request does not exist.",
        );
    };
    if order.request_status.as_deref() != Some("pending") {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_status",
            "The request was already processed.",
        );
    }
    match decision.status.as_str() {
        "approved" => {
            order.request_status = Some("approved".into());
            order.status = "pending".into();
            order.status_changed = OffsetDateTime::now_utc();
            schedule(&inner, order, issuance, false);
        }
        "rejected" => {
            order.request_status = Some("rejected".into());
            order.status = "rejected".into();
            order.status_changed = OffsetDateTime::now_utc();
        }
        _ => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "invalid_value:status",
                "Use approved or rejected.",
            );
        }
    }
    StatusCode::NO_CONTENT.into_response()
}
