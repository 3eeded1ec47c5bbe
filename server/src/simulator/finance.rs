//! `POST finance/order-pricing`: a price list per product and year, plus additional names and
//! wildcards. A private-CA order is not priced (DigiCert answers 0 when it cannot estimate).

use super::Inner;
use super::handlers::api_error;
use app::features::digicert::products::ProductId;
use axum::{
    Json, Router,
    body::Bytes,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Inner>> {
    Router::new().route("/finance/order-pricing", post(order_pricing))
}

#[derive(Deserialize)]
struct Query {
    product_name_id: Option<String>,
    certificate: Option<Names>,
    order_validity: Option<Years>,
    validity_years: Option<u32>,
}

#[derive(Deserialize)]
struct Names {
    #[serde(default)]
    dns_names: Vec<String>,
}

#[derive(Deserialize)]
struct Years {
    years: Option<u32>,
}

/// List price per year of the first name, in US dollars.
fn yearly_price(product: ProductId) -> u32 {
    use app::features::digicert::products::{Family, Validation};
    match (product, product.family(), product.validation()) {
        // `ssl` is priced by its type, which the estimate does not carry: DigiCert answers 0.
        (ProductId::Ssl, ..) => 0,
        (ProductId::SslBasic, ..) => 345,
        (_, Family::DocumentSigning, _) => 449,
        (_, _, Some(Validation::Ev)) => 995,
        (_, _, Some(Validation::Dv)) => 199,
        _ => 595,
    }
}

async fn order_pricing(body: Bytes) -> Response {
    let Ok(query) = serde_json::from_slice::<Query>(&body) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "The request body is not valid JSON.",
        );
    };
    let Some(product) = query.product_name_id.as_deref().and_then(ProductId::parse) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:product_name_id",
            "Unknown product.",
        );
    };
    let Some(names) = query.certificate.map(|c| c.dns_names) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "required_param:certificate.dns_names",
            "certificate.dns_names is required.",
        );
    };
    let years = query
        .order_validity
        .and_then(|v| v.years)
        .or(query.validity_years)
        .unwrap_or(1);
    if !(1..=3).contains(&years) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:order_validity.years",
            "Orders run 1 to 3 years.",
        );
    }
    let base = yearly_price(product) * years;
    // `ssl` is priced by its type; the simulator, like DigiCert for some accounts, cannot.
    let (fqdns, wildcards) = names.iter().skip(1).fold((0u32, 0u32), |(f, w), n| {
        if n.starts_with("*.") {
            (f, w + 1)
        } else {
            (f + 1, w)
        }
    });
    let priced = base > 0;
    let fqdn_total = if priced { fqdns * 80 * years } else { 0 };
    let wildcard_total = if priced { wildcards * 420 * years } else { 0 };
    let total = base + fqdn_total + wildcard_total;
    Json(json!({
        "base_price": base,
        "total_price": total,
        "addons_price": 0,
        "san_package_price": 0,
        "fqdns": { "subtotal": fqdn_total, "units": fqdns },
        "wildcards": { "subtotal": wildcard_total, "units": wildcards },
        "currency": "USD",
        "tax": "0.00",
        "tax_error": false,
    }))
    .into_response()
}
