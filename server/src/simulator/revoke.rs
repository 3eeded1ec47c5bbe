//! Revocation: one certificate (`PUT certificate/{id or serial}/revoke`) or a whole order with its
//! reissues (`PUT order/certificate/{id}/revoke`). With `skip_approval` it happens at once (204);
//! otherwise a pending revoke request is answered, which `PUT request/{id}/status` approves or
//! rejects. A certificate whose order has a reissue pending cannot be revoked. Reasons are those
//! the Baseline Requirements let subscribers choose.

use super::handlers::{api_error, order_not_found};
use super::{Inner, Orders, RevokeRequest, SimOrder};
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
use time::OffsetDateTime;

type Shared = State<Arc<Inner>>;

pub fn routes() -> Router<Arc<Inner>> {
    Router::new()
        .route("/certificate/{id}/revoke", put(revoke_certificate))
        .route("/order/certificate/{id}/revoke", put(revoke_order))
        .route("/request", get(list_requests))
        .route("/request/{id}", get(request_info))
}

/// `filters[status]` and `filters[type]` of `GET request`.
#[derive(Deserialize, Default)]
struct RequestFilters {
    #[serde(default, rename = "filters[status]")]
    status: Option<String>,
    #[serde(default, rename = "filters[type]")]
    kind: Option<String>,
}

fn request_json(request: &RevokeRequest) -> serde_json::Value {
    let mut value = json!({
        "id": request.id, "date": request.date.to_string(), "type": "revoke",
        "status": request.status, "comments": request.comments,
        "order": { "id": request.order_id },
    });
    if let Some(certificate) = request.certificate_id {
        value["certificate"] = json!({ "id": certificate });
    }
    value
}

/// The account's requests; the simulator lists its revoke requests.
async fn list_requests(State(inner): Shared, Query(filters): Query<RequestFilters>) -> Response {
    let orders = inner.orders.lock().expect("orders");
    let requests: Vec<_> = orders
        .revoke_requests
        .iter()
        .filter(|r| filters.status.as_deref().is_none_or(|s| s == r.status))
        .filter(|_| filters.kind.as_deref().is_none_or(|k| k == "revoke"))
        .map(request_json)
        .collect();
    Json(json!({ "requests": requests })).into_response()
}

async fn request_info(State(inner): Shared, Path(id): Path<String>) -> Response {
    let orders = inner.orders.lock().expect("orders");
    let found = id
        .parse::<i64>()
        .ok()
        .and_then(|id| orders.revoke_requests.iter().find(|r| r.id == id));
    match found {
        Some(request) => Json(request_json(request)).into_response(),
        None => api_error(
            StatusCode::NOT_FOUND,
            "not_found|request",
            "The request does not exist.",
        ),
    }
}

#[derive(Deserialize, Default)]
struct RevokeBody {
    #[serde(default)]
    revocation_reason: Option<String>,
    #[serde(default)]
    comments: Option<String>,
    #[serde(default)]
    skip_approval: Option<bool>,
}

/// The reason in DigiCert's spelling, from either `key_compromise` or `keyCompromise`.
fn reason(text: Option<&str>) -> Option<&'static str> {
    let squashed: String = text
        .unwrap_or("unspecified")
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    match squashed.as_str() {
        "unspecified" => Some("unspecified"),
        "keycompromise" => Some("key_compromise"),
        "affiliationchanged" => Some("affiliation_changed"),
        "superseded" => Some("superseded"),
        "cessationofoperation" => Some("cessation_of_operation"),
        _ => None,
    }
}

/// What a revocation targets.
#[derive(Clone, Copy)]
enum Target {
    Certificate(i64),
    Order,
}

impl Target {
    /// The certificate a revoke request names; `None` for the whole order.
    fn certificate_id(self) -> Option<i64> {
        match self {
            Target::Certificate(id) => Some(id),
            Target::Order => None,
        }
    }
}

fn revoke_now(order: &mut SimOrder, target: Target, why: &str) {
    let ids: Vec<i64> = match target {
        Target::Certificate(id) => vec![id],
        Target::Order => std::iter::once(order.certificate_id)
            .chain(order.past.iter().map(|p| p.certificate_id))
            .chain(order.duplicates.iter().map(|d| d.certificate_id))
            .collect(),
    };
    for id in ids {
        order.revoked.entry(id).or_insert_with(|| why.to_owned());
        if let Some(past) = order
            .past
            .iter_mut()
            .chain(order.duplicates.iter_mut())
            .find(|p| p.certificate_id == id)
        {
            past.status = "revoked".into();
        }
    }
    if matches!(target, Target::Order) {
        order.status = "revoked".into();
    }
    order.status_changed = OffsetDateTime::now_utc();
}

fn place(
    orders: &mut Orders,
    order_id: i64,
    target: Target,
    body: RevokeBody,
    needs_approval: bool,
) -> Response {
    let Some(why) = reason(body.revocation_reason.as_deref()) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:revocation_reason",
            "Use unspecified, key_compromise, affiliation_changed, superseded or cessation_of_operation.",
        );
    };
    if let Some(refused) = refusal(orders, order_id, target) {
        return refused;
    }
    if body.skip_approval.unwrap_or(false) && !needs_approval {
        let order = orders.by_id.get_mut(&order_id).expect("present");
        revoke_now(order, target, why);
        return StatusCode::NO_CONTENT.into_response();
    }
    let id = 800_000 + orders.revoke_requests.len() as i64 + 1;
    let request = RevokeRequest {
        id,
        order_id,
        certificate_id: target.certificate_id(),
        reason: why.into(),
        comments: body.comments.unwrap_or_default(),
        status: "pending".into(),
        date: OffsetDateTime::now_utc(),
    };
    let answer = json!({
        "id": request.id, "date": request.date.to_string(), "type": "revoke",
        "status": "pending", "comments": request.comments,
    });
    orders.revoke_requests.push(request);
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// DigiCert's answer when `target` cannot be revoked now: a reissue is pending, a revoke request
/// for it already waits, it is revoked already, or the order has nothing issued.
fn refusal(orders: &Orders, order_id: i64, target: Target) -> Option<Response> {
    let order = orders.by_id.get(&order_id).expect("present");
    if order.status == "reissue_pending" {
        return Some(api_error(
            StatusCode::BAD_REQUEST,
            "reissue_pending",
            "A certificate whose order has a reissue pending cannot be revoked.",
        ));
    }
    let pending = orders.revoke_requests.iter().any(|r| {
        r.status == "pending"
            && r.order_id == order_id
            && r.certificate_id == target.certificate_id()
    });
    if pending {
        return Some(api_error(
            StatusCode::BAD_REQUEST,
            "revoke_request_pending",
            "A revoke request for this certificate already waits for approval.",
        ));
    }
    let already = match target {
        Target::Certificate(id) => order.revoked.contains_key(&id),
        Target::Order => order.status == "revoked",
    };
    if already {
        return Some(api_error(
            StatusCode::BAD_REQUEST,
            "already_revoked",
            "This certificate is already revoked.",
        ));
    }
    if !matches!(order.status.as_str(), "issued" | "revoked") {
        return Some(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_order_status",
            &format!("An order that is {} has nothing to revoke.", order.status),
        ));
    }
    None
}

/// An empty body is all defaults; anything else must be JSON.
fn body_of(bytes: &Bytes) -> Option<RevokeBody> {
    if bytes.is_empty() {
        return Some(RevokeBody::default());
    }
    serde_json::from_slice(bytes).ok()
}

fn unreadable() -> Response {
    api_error(
        StatusCode::BAD_REQUEST,
        "bad_request_format",
        "The request body is not valid JSON.",
    )
}

async fn revoke_certificate(
    State(inner): Shared,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let Some(body) = body_of(&bytes) else {
        return unreadable();
    };
    super::handlers::advance(&inner);
    let mut orders = inner.orders.lock().expect("orders");
    // The certificate's id, or its serial number.
    let found = match id
        .parse::<i64>()
        .ok()
        .and_then(|c| orders.by_certificate_id.get(&c).map(|o| (c, *o)))
    {
        Some(found) => Some(found),
        None => orders.by_id.values().find_map(|o| {
            let serial = id.to_ascii_uppercase();
            std::iter::once((o.certificate_id, o.issued.as_ref()))
                .chain(
                    o.past
                        .iter()
                        .chain(o.duplicates.iter())
                        .map(|p| (p.certificate_id, p.issued.as_ref())),
                )
                .find(|(_, issued)| {
                    issued.is_some_and(|i| i.serial_hex.eq_ignore_ascii_case(&serial))
                })
                .map(|(c, _)| (c, o.id))
        }),
    };
    let Some((certificate_id, order_id)) = found else {
        return api_error(
            StatusCode::NOT_FOUND,
            "not_found|certificate",
            "No certificate has this ID or serial number.",
        );
    };
    let needs_approval = *inner.revocations_need_approval.lock().expect("revocations");
    place(
        &mut orders,
        order_id,
        Target::Certificate(certificate_id),
        body,
        needs_approval,
    )
}

async fn revoke_order(State(inner): Shared, Path(id): Path<String>, bytes: Bytes) -> Response {
    let Some(body) = body_of(&bytes) else {
        return unreadable();
    };
    super::handlers::advance(&inner);
    let mut orders = inner.orders.lock().expect("orders");
    let Some(order_id) = orders.known(&id) else {
        return order_not_found();
    };
    let needs_approval = *inner.revocations_need_approval.lock().expect("revocations");
    place(&mut orders, order_id, Target::Order, body, needs_approval)
}

/// `PUT request/{id}/status` for a revoke request.
pub(super) fn decide(orders: &mut Orders, request_id: i64, status: &str) -> Response {
    let request = orders
        .revoke_requests
        .iter_mut()
        .find(|r| r.id == request_id)
        .expect("present");
    if request.status != "pending" {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_status",
            "The request was already processed.",
        );
    }
    match status {
        "approved" => {
            request.status = "approved".into();
            let (order_id, target, why) = (
                request.order_id,
                request
                    .certificate_id
                    .map_or(Target::Order, Target::Certificate),
                request.reason.clone(),
            );
            if let Some(order) = orders.by_id.get_mut(&order_id) {
                revoke_now(order, target, &why);
            }
        }
        "rejected" => request.status = "rejected".into(),
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
