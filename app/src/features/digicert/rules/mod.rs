//! What an order must satisfy before it is stored or sent, per product. One source of truth: the
//! order forms, the server and the simulator all call [`check_order`]. Every broken rule names the
//! field (a dotted path into the JSON body) and carries a DigiCert-style error code.

use super::dates::{DayMonthYear, IsoDate};
use super::payload::{
    ContactType, DocumentSigningOrder, OrderContact, OrderRequest, OrgContact, Organization,
    ProvisioningMethod, SignatureHash, TlsOrder, Validity,
};
use super::products::{ProductId, TypeHint, Validation};
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

mod contacts;
mod document_signing;
mod names;
mod tls;
mod validity;

use contacts::*;
use document_signing::check_document_signing;
use names::check_names;
pub use names::{MAX_NAMES, check_dns_name};
use tls::check_tls;
use validity::*;
pub use validity::{MAX_ORDER_DAYS, MAX_ORDER_YEARS, PUBLIC_TLS_MAX_DAYS, max_public_cert_days};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Dotted path of the offending field, e.g. `certificate.common_name`.
    pub field: String,
    /// `required_param:<field>`, `invalid_value:<field>`, or a documented DigiCert code.
    pub code: String,
    pub message: String,
}

/// The validation level an order asks for: the product's own, or the type hint's on `ssl`.
pub fn validation_of(order: &OrderRequest) -> Option<Validation> {
    match order {
        OrderRequest::Tls { product, body } => product
            .validation()
            .or_else(|| body.product.map(|p| p.type_hint.validation())),
        OrderRequest::DocumentSigning { product, .. } => product.validation(),
    }
}

#[derive(Default)]
struct Findings(Vec<Violation>);

impl Findings {
    fn required(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            code: format!("required_param:{field}"),
            message: message.into(),
        });
    }

    fn invalid(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            code: format!("invalid_value:{field}"),
            message: message.into(),
        });
    }

    fn coded(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
    }

    fn text(&mut self, field: &str, value: &str, label: &str, max: usize) {
        if value.trim().is_empty() {
            self.required(field, format!("Enter the {label}."));
        } else if value.chars().count() > max {
            self.invalid(
                field,
                format!("The {label} is longer than {max} characters."),
            );
        }
    }

    fn optional_text(&mut self, field: &str, value: Option<&str>, label: &str, max: usize) {
        if let Some(v) = value
            && v.chars().count() > max
        {
            self.invalid(
                field,
                format!("The {label} is longer than {max} characters."),
            );
        }
    }

    fn email(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.required(field, "Enter an email address.");
        } else if crate::features::auth::model::check_email(value.trim()).is_err() {
            self.invalid(field, format!("\"{value}\" is not an email address."));
        }
    }
}

/// Checks an order as of `today`. An empty answer means the order may be sent.
pub fn check_order(order: &OrderRequest, today: Date) -> Vec<Violation> {
    let mut f = Findings::default();
    match order {
        OrderRequest::Tls { product, body } => check_tls(&mut f, *product, body, today),
        OrderRequest::DocumentSigning { product, body } => {
            check_document_signing(&mut f, *product, body)
        }
    }
    f.0
}

/// Days an order runs and days its first certificate lasts, as DigiCert works them out for an
/// order that passed [`check_order`]: `cert_validity` when given, else the shorter of the order
/// and the dated maximum for public certificates.
pub fn planned_days(order: &OrderRequest, today: Date) -> (u32, u32) {
    let mut scratch = Findings::default();
    match order {
        OrderRequest::Tls { body, .. } => {
            let order_days = check_order_validity(&mut scratch, body, today).unwrap_or(365);
            let public = !matches!(validation_of(order), Some(Validation::Private));
            let cap = if public {
                max_public_cert_days(today)
            } else {
                MAX_ORDER_DAYS
            };
            let limit = today + Duration::days(i64::from(cap));
            let cert_days = body
                .certificate
                .cert_validity
                .as_ref()
                .and_then(|v| validity_days(&mut scratch, "", v, today, limit, 1, cap))
                .unwrap_or(order_days.min(cap));
            (order_days, cert_days.min(order_days))
        }
        OrderRequest::DocumentSigning { body, .. } => {
            let days = body.validity_years.clamp(1, MAX_ORDER_YEARS) * 365;
            (days, days)
        }
    }
}

/// A PEM CSR at a glance; the CSR checks proper parse the structure and signature.
fn looks_like_csr(text: &str) -> bool {
    let text = text.trim();
    (text.starts_with("-----BEGIN CERTIFICATE REQUEST-----")
        && text.ends_with("-----END CERTIFICATE REQUEST-----"))
        || (text.starts_with("-----BEGIN NEW CERTIFICATE REQUEST-----")
            && text.ends_with("-----END NEW CERTIFICATE REQUEST-----"))
}

fn check_common_tail(
    f: &mut Findings,
    container: Option<i64>,
    custom_fields: &[super::payload::CustomField],
    alternative_order_id: Option<&str>,
) {
    if container.is_some_and(|id| id <= 0) {
        f.invalid("container.id", "Choose a container from the list.");
    }
    for (i, field) in custom_fields.iter().enumerate() {
        if field.metadata_id <= 0 {
            f.invalid(
                &format!("custom_fields.{i}.metadata_id"),
                "Unknown custom field.",
            );
        }
        if field.value.trim().is_empty() {
            f.required(&format!("custom_fields.{i}.value"), "Enter a value.");
        }
    }
    if let Some(id) = alternative_order_id
        && (id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        f.invalid("alternative_order_id", "Up to 64 letters and digits.");
    }
}

#[cfg(test)]
mod tests;
