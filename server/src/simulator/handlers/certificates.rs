//! Downloading an issued certificate and its chain.

use super::*;
use crate::simulator::Inner;
use crate::simulator::ca::Issued;
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

/// PEM blocks with `\r\n` line ends, as DigiCert's JSON carries them.
pub(super) fn crlf(pem: &str) -> String {
    pem.replace("\r\n", "\n").replace('\n', "\r\n")
}

pub(in crate::simulator) fn chain_entries(inner: &Inner, issued: &Issued) -> Vec<Value> {
    [
        (None, issued.leaf_pem.clone()),
        (
            Some(crate::simulator::ca::INTERMEDIATE_NAME),
            inner.ca.intermediate_pem(),
        ),
        (Some(crate::simulator::ca::ROOT_NAME), inner.ca.root_pem()),
    ]
    .into_iter()
    .map(|(name, pem)| json!({ "subject_common_name": name, "pem": crlf(&pem) }))
    .collect()
}

/// The issued certificate behind a certificate id, or DigiCert's "not yet".
// The error is the finished answer the handler returns as it is.
#[allow(clippy::result_large_err)]
pub(super) fn issued_for(inner: &Inner, id: &str) -> Result<(Issued, String), Response> {
    advance(inner);
    let orders = inner.orders.lock().expect("orders");
    let certificate = id.parse::<i64>().ok();
    let order = certificate
        .and_then(|cert| orders.by_certificate_id.get(&cert))
        .and_then(|order| orders.by_id.get(order));
    let found = order.and_then(|o| {
        if Some(o.certificate_id) == certificate {
            o.issued.clone().map(|i| (i, o.common_name.clone()))
        } else {
            // A certificate the order held before a reissue, or a duplicate.
            o.past
                .iter()
                .chain(o.duplicates.iter())
                .find(|p| Some(p.certificate_id) == certificate)
                .and_then(|p| p.issued.clone().map(|i| (i, p.common_name.clone())))
        }
    });
    match found {
        Some(found) => Ok(found),
        None => Err(api_error(
            StatusCode::NOT_FOUND,
            "not_found|certificate",
            "No issued certificate has this ID.",
        )),
    }
}

pub(super) async fn download(
    State(inner): Shared,
    Path((id, format)): Path<(String, String)>,
) -> Response {
    let (issued, _) = match issued_for(&inner, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let parts: Vec<String> = match format.as_str() {
        "pem_all" => vec![
            issued.leaf_pem,
            inner.ca.intermediate_pem(),
            inner.ca.root_pem(),
        ],
        "pem_noroot" => vec![issued.leaf_pem, inner.ca.intermediate_pem()],
        "pem_nointermediate" => vec![issued.leaf_pem],
        _ => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "invalid_value:format_type",
                "The simulator serves pem_all, pem_noroot and pem_nointermediate.",
            );
        }
    };
    (
        [("content-type", "application/x-pem-file")],
        crlf(&parts.concat()),
    )
        .into_response()
}

pub(super) async fn chain(State(inner): Shared, Path(id): Path<String>) -> Response {
    match issued_for(&inner, &id) {
        Ok((issued, _)) => {
            Json(json!({ "intermediates": chain_entries(&inner, &issued) })).into_response()
        }
        Err(response) => response,
    }
}
