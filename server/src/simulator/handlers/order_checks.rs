//! What DigiCert checks in a new order before accepting it: the body, the account's
//! organizations and domains, product limits and custom fields.

use super::*;
use crate::simulator::Inner;
use crate::simulator::account::{PRIVATE_CA_ID, product_info};
use app::features::digicert::payload::{ContactType, OrderRequest, OrgContact};
use app::features::digicert::products::{ProductId, TypeHint};
use app::features::digicert::rules::{self};
use axum::{http::StatusCode, response::Response};
use serde_json::Value;

#[allow(clippy::result_large_err)]
pub(super) fn parse_order(product: ProductId, value: Value) -> Result<OrderRequest, Response> {
    let parsed = match product.family() {
        app::features::digicert::products::Family::Tls => {
            serde_path_to_error::deserialize(value).map(|body| OrderRequest::Tls { product, body })
        }
        app::features::digicert::products::Family::DocumentSigning => {
            serde_path_to_error::deserialize(value)
                .map(|body| OrderRequest::DocumentSigning { product, body })
        }
    };
    parsed.map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        let code = match message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            Some(field) if path == "." => format!("required_param:{field}"),
            Some(field) => format!("required_param:{path}.{field}"),
            None => format!("invalid_value:{path}"),
        };
        api_error(StatusCode::BAD_REQUEST, &code, &message)
    })
}

/// Checks against the account: the organization exists and is active, the EV approver is one of
/// its potential approvers, a private CA is one the account has.
// The error is the finished answer the handler returns as it is.
#[allow(clippy::result_large_err)]
pub(super) fn check_account(inner: &Inner, order: &OrderRequest) -> Result<(), Response> {
    let organization = match order {
        OrderRequest::Tls { body, .. } => &body.organization,
        OrderRequest::DocumentSigning { body, .. } => &body.organization,
    };
    if let Some(id) = organization.id {
        check_organization(inner, order, id, &organization.contacts)?;
    }
    let container = match order {
        OrderRequest::Tls { body, .. } => body.container,
        OrderRequest::DocumentSigning { body, .. } => body.container,
    };
    if let Some(container) = container
        && !inner
            .account
            .containers
            .iter()
            .any(|c| c.id == container.id && c.is_active)
    {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:container.id",
            "No active container with this ID exists in the account.",
        ));
    }
    if let OrderRequest::Tls { product, body } = order
        && let Some(platform) = body.certificate.server_platform
        && !product_info(*product)
            .server_platforms
            .iter()
            .any(|p| p.id == platform.id)
    {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:certificate.server_platform.id",
            "The product does not know this server platform.",
        ));
    }
    if let OrderRequest::Tls { body, .. } = order
        && body.product.map(|p| p.type_hint) == Some(TypeHint::Private)
        && body.certificate.ca_cert_id.as_deref() != Some(PRIVATE_CA_ID)
    {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:certificate.ca_cert_id",
            "This issuing CA is not allowed for the account.",
        ));
    }
    Ok(())
}

/// The order's organization exists in the account, is active, is EV-validated for an EV order,
/// and its EV approver contacts are among its potential approvers.
// Like `check_account`, its error is the finished answer.
#[allow(clippy::result_large_err)]
fn check_organization(
    inner: &Inner,
    order: &OrderRequest,
    id: i64,
    contacts: &[OrgContact],
) -> Result<(), Response> {
    let Some(org) = inner.account.organization(id) else {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:organization.id",
            "No organization with this ID exists in the account.",
        ));
    };
    let active = inner
        .organization_active
        .lock()
        .expect("organization lock")
        .get(&id)
        .copied()
        .unwrap_or(org.summary.is_active);
    if !active {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:organization.id",
            "The organization is inactive.",
        ));
    }
    let ev = rules::validation_of(order) == Some(app::features::digicert::products::Validation::Ev);
    if ev
        && !org
            .validations
            .iter()
            .any(|v| v.kind == "ev" && v.status == "active")
    {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "organization_not_ev_validated",
            "The organization has no active EV validation.",
        ));
    }
    for (i, contact) in contacts.iter().enumerate() {
        let approver_kind = matches!(
            contact.contact_type,
            ContactType::EvApprover | ContactType::VerifiedContact
        );
        if approver_kind
            && let Some(user_id) = contact.user_id
            && !org.approvers.iter().any(|a| a.user_id == user_id)
        {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                &format!("invalid_value:organization.contacts.{i}.user_id"),
                "This person cannot be the organization's EV approver.",
            ));
        }
    }
    Ok(())
}

/// The account's limits: one-year orders without Multi-year Plans, the product's hashes only.
// The error is the finished answer the handler returns as it is.
#[allow(clippy::result_large_err)]
pub(super) fn check_limits(
    inner: &Inner,
    order: &OrderRequest,
    today: time::Date,
) -> Result<(), Response> {
    let OrderRequest::Tls { product, body } = order else {
        return Ok(());
    };
    let (order_days, _) = rules::planned_days(order, today);
    if !*inner.multi_year_plans.lock().expect("plans") && order_days > 366 {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:order_validity",
            "Multi-year Plans are not enabled for this account; orders run one year.",
        ));
    }
    let hash = body.certificate.signature_hash.as_str();
    let allowed = product_info(*product)
        .signature_hash_types
        .is_some_and(|h| h.allowed_hash_types.iter().any(|t| t.id == hash));
    if !allowed {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:certificate.signature_hash",
            "The product does not allow this signature hash.",
        ));
    }
    Ok(())
}

/// Custom order fields as the account defines them: known and active ids only, each required
/// field present with a value of its type.
// The error is the finished answer the handler returns as it is.
#[allow(clippy::result_large_err)]
pub(super) fn check_custom_fields(inner: &Inner, order: &OrderRequest) -> Result<(), Response> {
    use app::features::digicert::account::custom_value_problem;
    let given = match order {
        OrderRequest::Tls { body, .. } => &body.custom_fields,
        OrderRequest::DocumentSigning { body, .. } => &body.custom_fields,
    };
    let defined = inner.custom_fields.lock().expect("custom fields");
    for (i, field) in given.iter().enumerate() {
        let Some(definition) = defined
            .iter()
            .find(|d| d.id == field.metadata_id && d.is_active)
        else {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                &format!("invalid_value:custom_fields.{i}.metadata_id"),
                "No active custom order field with this ID exists in the account.",
            ));
        };
        if let Some(problem) = custom_value_problem(definition.data_type.as_deref(), &field.value) {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                &format!("invalid_value:custom_fields.{i}.value"),
                &format!("{}: {problem}", definition.label),
            ));
        }
    }
    for definition in defined.iter().filter(|d| d.is_required && d.is_active) {
        let filled = given
            .iter()
            .any(|f| f.metadata_id == definition.id && !f.value.trim().is_empty());
        if !filled {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                "missing_required_custom_field",
                &format!(
                    "The custom order field \"{}\" is required.",
                    definition.label
                ),
            ));
        }
    }
    Ok(())
}
