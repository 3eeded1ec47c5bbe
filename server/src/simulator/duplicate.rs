//! Duplicates (`POST order/certificate/{id}/duplicate`) and their list (`GET …/duplicate`). A
//! duplicate carries exactly the order's current names and ends with the current certificate,
//! for another key; it is issued at once (the order's validation is reused) and the current
//! certificate stays valid beside it.

use super::handlers::{api_error, chain_entries, order_not_found, today};
use super::reissue::{ReissueBody, csr_refusal, entry, parse_body};
use super::{Inner, PastCertificate, SimOrder, ca};
use app::features::digicert::lifecycle::same_csr;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

type Shared = State<Arc<Inner>>;

pub fn routes() -> Router<Arc<Inner>> {
    Router::new().route(
        "/order/certificate/{id}/duplicate",
        post(duplicate).get(list_duplicates),
    )
}

fn name_set(common_name: &str, dns_names: &[String]) -> BTreeSet<String> {
    std::iter::once(common_name)
        .chain(dns_names.iter().map(String::as_str))
        .map(|n| n.trim().to_ascii_lowercase())
        .collect()
}

/// The order's current certificate, when the order may have this duplicate: a TLS order,
/// issued, the same names, another key. Otherwise DigiCert's refusal.
#[allow(clippy::result_large_err)]
fn duplicable(order: &SimOrder, body: &ReissueBody) -> Result<ca::Issued, Response> {
    if !order.server_auth {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_product",
            "Only TLS certificates can be duplicated.",
        ));
    }
    let Some(current) = order.issued.clone().filter(|_| order.status == "issued") else {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_order_status",
            &format!("An order that is {} cannot be duplicated.", order.status),
        ));
    };
    if name_set(&body.certificate.common_name, &body.certificate.dns_names)
        != name_set(&order.common_name, &order.dns_names)
    {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:certificate.dns_names",
            "A duplicate must carry exactly the names of the original certificate.",
        ));
    }
    if order
        .csr
        .as_deref()
        .is_some_and(|csr| same_csr(csr, &body.certificate.csr))
    {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:certificate.csr",
            "A duplicate needs a CSR for another key than the original's.",
        ));
    }
    Ok(current)
}

async fn duplicate(State(inner): Shared, Path(id): Path<String>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    if let Err(refusal) = csr_refusal(&body.certificate.csr) {
        return refusal;
    }
    let today = today();
    let mut orders = inner.orders.lock().expect("orders");
    let Some(order_id) = orders.known(&id) else {
        return order_not_found();
    };
    let certificate_id = 3_000_001 + orders.by_certificate_id.len() as i64;
    let order = orders.by_id.get_mut(&order_id).expect("present");
    let current = match duplicable(order, &body) {
        Ok(current) => current,
        Err(refusal) => return refusal,
    };
    // Counted like the CA does: `days` from today's start ends on `valid_till`.
    let days = u32::try_from((current.valid_till - today).whole_days().max(0) + 1).unwrap_or(1);
    let issued = match inner.ca.issue(
        &body.certificate.csr,
        &order.common_name,
        &order.dns_names,
        order.organization_name.as_deref(),
        today,
        days,
        true,
    ) {
        Ok(issued) => issued,
        Err(_) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "invalid_value:certificate.csr",
                "The CSR cannot be signed.",
            );
        }
    };
    let chain = chain_entries(&inner, &issued);
    order.duplicates.push(PastCertificate {
        certificate_id,
        common_name: order.common_name.clone(),
        dns_names: order.dns_names.clone(),
        csr: Some(body.certificate.csr),
        issued: Some(issued),
        status: "issued".into(),
        created: OffsetDateTime::now_utc(),
    });
    orders.by_certificate_id.insert(certificate_id, order_id);
    inner.counters.lock().expect("counters").duplicates_created += 1;
    (
        StatusCode::CREATED,
        Json(
            json!({ "id": order_id, "certificate_id": certificate_id, "certificate_chain": chain }),
        ),
    )
        .into_response()
}

async fn list_duplicates(State(inner): Shared, Path(id): Path<String>) -> Response {
    let orders = inner.orders.lock().expect("orders");
    let Some(order) = id.parse::<i64>().ok().and_then(|id| orders.by_id.get(&id)) else {
        return order_not_found();
    };
    let certificates: Vec<_> = order
        .duplicates
        .iter()
        .map(|d| {
            let status = if order.revoked.contains_key(&d.certificate_id) {
                "revoked"
            } else {
                d.status.as_str()
            };
            entry(
                d.certificate_id,
                d.created,
                &d.common_name,
                &d.dns_names,
                d.csr.as_ref(),
                d.issued.as_ref(),
                status,
            )
        })
        .collect();
    Json(json!({ "certificates": certificates })).into_response()
}
