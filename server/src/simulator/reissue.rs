//! Reissue within an order (`POST order/certificate/{id}/reissue`) and the list of an order's
//! certificates (`GET order/certificate/{id}/reissue`). A reissue takes a new CSR and names; its
//! certificate lasts the dated cap or the order's remaining time, whichever is shorter; until it
//! is issued the order is `reissue_pending` (DCV applies to new names as for an order), and then
//! the certificate it replaces is `superseded`. Approval of reissues is not modelled: every
//! reissue is handled as placed with `skip_approval`, as certdesk places them.

use super::ca::CsrProblem;
use super::handlers::{api_error, chain_entries, order_not_found, schedule, today};
use super::{Inner, PastCertificate, SimOrder};
use app::features::digicert::rules::max_public_cert_days;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use time::{Date, OffsetDateTime};

type Shared = State<Arc<Inner>>;

pub fn routes() -> Router<Arc<Inner>> {
    Router::new().route(
        "/order/certificate/{id}/reissue",
        post(reissue).get(list_reissues),
    )
}

#[derive(Deserialize)]
pub(super) struct ReissueBody {
    pub certificate: ReissueCertificate,
}

#[derive(Deserialize)]
pub(super) struct ReissueCertificate {
    pub common_name: String,
    #[serde(default)]
    pub dns_names: Vec<String>,
    pub csr: String,
}

/// DigiCert's answer to a CSR it will not sign.
#[allow(clippy::result_large_err)]
pub(super) fn csr_refusal(csr: &str) -> Result<(), Response> {
    let Err(problem) = super::ca::check_csr(csr) else {
        return Ok(());
    };
    let (code, message) = match problem {
        CsrProblem::Unparseable => (
            "csr_invalid_cannot_parse",
            "The CSR could not be parsed.".to_owned(),
        ),
        CsrProblem::BadSignature => (
            "csr_invalid_signature",
            "The CSR's signature does not verify.".to_owned(),
        ),
        CsrProblem::WeakKey(why) => ("invalid_value:certificate.csr", why),
    };
    Err(api_error(StatusCode::BAD_REQUEST, code, &message))
}

/// The body of a reissue or duplicate, or DigiCert's complaint about it.
#[allow(clippy::result_large_err)]
pub(super) fn parse_body(body: &[u8]) -> Result<ReissueBody, Response> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body)).map_err(
        |err: serde_path_to_error::Error<serde_json::Error>| {
            let code = if err.inner().to_string().starts_with("missing field") {
                "required_param:certificate"
            } else {
                "invalid_value:certificate"
            };
            api_error(StatusCode::BAD_REQUEST, code, &err.to_string())
        },
    )
}

/// DigiCert's answer when `order` cannot be reissued today: a reissue is already pending, the
/// order is not issued, or its term has ended.
fn reissue_refusal(order: &SimOrder, today: Date) -> Option<Response> {
    match order.status.as_str() {
        "issued" => {}
        "reissue_pending" => {
            return Some(api_error(
                StatusCode::BAD_REQUEST,
                "reissue_pending",
                "A reissue of this order is already pending.",
            ));
        }
        other => {
            return Some(api_error(
                StatusCode::BAD_REQUEST,
                "invalid_order_status",
                &format!("An order that is {other} cannot be reissued."),
            ));
        }
    }
    (order.order_valid_till < today).then(|| {
        api_error(
            StatusCode::BAD_REQUEST,
            "order_expired",
            "The order has ended; place a new order or renew it.",
        )
    })
}

async fn reissue(State(inner): Shared, Path(id): Path<String>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    if let Err(refusal) = csr_refusal(&body.certificate.csr) {
        return refusal;
    }
    let issuance = *inner.issuance.lock().expect("issuance");
    let today = today();
    let mut orders = inner.orders.lock().expect("orders");
    let Some(order_id) = orders.known(&id) else {
        return order_not_found();
    };
    orders.reissued += 1;
    let certificate_id = 2_000_000 + orders.reissued;
    let order = orders.by_id.get_mut(&order_id).expect("present");
    if let Some(refused) = reissue_refusal(order, today) {
        return refused;
    }
    let names: Vec<String> = body
        .certificate
        .dns_names
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    order.past.push(PastCertificate {
        certificate_id: order.certificate_id,
        common_name: order.common_name.clone(),
        dns_names: order.dns_names.clone(),
        csr: order.csr.clone(),
        issued: order.issued.take(),
        status: "active".into(),
        created: order.status_changed,
    });
    order.reissues += 1;
    inner.counters.lock().expect("counters").reissues_created += 1;
    order.certificate_id = certificate_id;
    order.common_name = body.certificate.common_name.trim().to_ascii_lowercase();
    order.dns_names = names;
    order.csr = Some(body.certificate.csr);
    let remaining = (order.order_valid_till - today).whole_days().max(1);
    order.cert_days = max_public_cert_days(today).min(u32::try_from(remaining).unwrap_or(u32::MAX));
    order.status = "reissue_pending".into();
    order.status_changed = OffsetDateTime::now_utc();
    if let Some(dcv) = &order.dcv {
        let mut all = vec![order.common_name.clone()];
        all.extend(order.dns_names.iter().cloned());
        let world = inner.dcv.lock().expect("dcv");
        order.dcv = Some(super::dcv::OrderDcv::new(dcv.method, &all, &world, today));
    }
    schedule(&inner, order, issuance, false);
    let mut answer = json!({ "id": order_id, "certificate_id": certificate_id });
    if let Some(issued) = &order.issued {
        answer["certificate_chain"] = json!(chain_entries(&inner, issued));
    }
    orders.by_certificate_id.insert(certificate_id, order_id);
    (StatusCode::CREATED, Json(answer)).into_response()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn entry(
    id: i64,
    created: OffsetDateTime,
    common_name: &str,
    dns_names: &[String],
    csr: Option<&String>,
    issued: Option<&super::ca::Issued>,
    status: &str,
) -> Value {
    let mut names = vec![common_name.to_owned()];
    names.extend(dns_names.iter().cloned());
    let mut value = json!({
        "id": id, "common_name": common_name, "dns_names": names, "status": status, "csr": csr,
        "date_created": created.date().to_string(),
    });
    if let Some(issued) = issued {
        value["serial_number"] = json!(issued.serial_hex);
        value["thumbprint"] = json!(issued.thumbprint);
        value["valid_till"] = json!(issued.valid_till.to_string());
        value["date_issued"] = json!(issued.valid_from.to_string());
    }
    value
}

/// The order's certificates: the current one (issued or pending) and those it replaced.
async fn list_reissues(State(inner): Shared, Path(id): Path<String>) -> Response {
    super::handlers::advance(&inner);
    let orders = inner.orders.lock().expect("orders");
    let Some(order) = id.parse::<i64>().ok().and_then(|id| orders.by_id.get(&id)) else {
        return order_not_found();
    };
    let current_status = if order.revoked.contains_key(&order.certificate_id) {
        "revoked"
    } else if order.issued.is_some() {
        "issued"
    } else {
        "pending"
    };
    let mut certificates = vec![entry(
        order.certificate_id,
        order.status_changed,
        &order.common_name,
        &order.dns_names,
        order.csr.as_ref(),
        order.issued.as_ref(),
        current_status,
    )];
    certificates.extend(order.past.iter().rev().map(|p| {
        entry(
            p.certificate_id,
            p.created,
            &p.common_name,
            &p.dns_names,
            p.csr.as_ref(),
            p.issued.as_ref(),
            &p.status,
        )
    }));
    Json(json!({ "certificates": certificates })).into_response()
}
