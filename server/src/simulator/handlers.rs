//! The simulator's HTTP side: authentication, rate limits and faults in one middleware, then one
//! handler per endpoint.

use super::account::{PRIVATE_CA_ID, product_info, server_platforms};
use super::ca::{CsrProblem, Issued};
use super::{Inner, Issuance, KeyRole, SimOrder, Simulator, Stats};
use app::features::digicert::dcv::EMAIL_DCV_ENDS;
use app::features::digicert::payload::{DcvMethod, OrderRequest, ProvisioningMethod};
use app::features::digicert::products::{ProductId, TypeHint};
use app::features::digicert::rules::{self, Violation};
use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{Path, Query, Request, State},
    http::{Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::time::Instant;

type Shared = State<Arc<Inner>>;

pub fn router(sim: Simulator) -> Router {
    let inner = sim.inner.clone();
    let api = Router::new()
        .route("/order/certificate/status-changes", get(status_changes))
        .route(
            "/order/certificate/{id}",
            get(order_info).post(create_order),
        )
        .route("/order/certificate/{id}/status", put(update_order_status))
        .route(
            "/order/alternate/{alternative_id}",
            get(orders_by_alternative_id),
        )
        .route("/request/{id}/status", put(update_request_status))
        .route("/certificate/{id}/download/format/{format}", get(download))
        .route("/certificate/{id}/chain", get(chain))
        .route("/organization", get(list_organizations))
        .route(
            "/organization/potential-approvers",
            get(potential_approvers),
        )
        .route("/organization/{id}", get(organization_info))
        .route(
            "/organization/{id}/validation",
            get(organization_validation),
        )
        .route("/container", get(list_containers))
        .route("/product/{name_id}", get(product))
        .route("/user", get(list_users))
        .route("/account/metadata", get(list_custom_fields))
        .route("/container/{id}/product-limits", get(product_limits))
        .route("/__simulator/multi-year-plans", put(sim_multi_year_plans))
        .route("/__simulator/custom-fields", put(sim_custom_fields))
        .route("/__simulator/stats", get(sim_stats))
        .route("/__simulator/faults", put(sim_faults))
        .route("/__simulator/issuance", put(sim_issuance))
        .route("/__simulator/orders/{id}/issue", post(sim_issue))
        .merge(super::domains::routes())
        .merge(super::finance::routes())
        .merge(super::reissue::routes())
        .merge(super::duplicate::routes())
        .merge(super::revoke::routes())
        .fallback(|| async {
            api_error(
                StatusCode::NOT_FOUND,
                "not_found|route",
                "The requested route does not exist.",
            )
        })
        .layer(middleware::from_fn_with_state(inner.clone(), guard))
        .with_state(inner);
    Router::new().nest("/services/v2", api)
}

/// `{"errors":[{"code","message"}]}` with a status.
pub(super) fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "errors": [{ "code": code, "message": message }] })),
    )
        .into_response()
}

fn violations_error(violations: &[Violation]) -> Response {
    let errors: Vec<Value> = violations
        .iter()
        .map(|v| json!({ "code": v.code, "message": format!("{}: {}", v.field, v.message) }))
        .collect();
    (StatusCode::BAD_REQUEST, Json(json!({ "errors": errors }))).into_response()
}

/// Key check, rate limit and injected faults, in that order, for every request.
async fn guard(State(inner): Shared, req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get("x-dc-devkey")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let Some(role) = inner
        .keys
        .iter()
        .find(|(k, _)| !k.is_empty() && *k == key)
        .map(|(_, r)| *r)
    else {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "access_denied|invalid_api_key",
            "The API key is missing or not valid.",
        );
    };
    if role == KeyRole::ViewOnly && req.method() != Method::GET {
        return api_error(
            StatusCode::FORBIDDEN,
            "access_denied|missing_permission",
            "This API key may only read.",
        );
    }
    let path = req.uri().path().to_owned();
    if path.contains("/__simulator/") {
        return next.run(req).await;
    }
    inner.counters.lock().expect("counters").requests += 1;
    if !within_rate_limit(&inner, &key) {
        inner.counters.lock().expect("counters").rate_limited += 1;
        return api_error(
            StatusCode::TOO_MANY_REQUESTS,
            "request_limit_exceeded",
            "Service unavailable, please limit request volume",
        );
    }
    let plan = inner.faults.lock().expect("faults").clone();
    let is_create = req.method() == Method::POST && path.contains("/order/certificate/");
    // Every roll happens here, before any await: the thread-local generator is not Send.
    let (throttle, fail, unavailable, hold_back, drop_body) = {
        let mut rng = rand::thread_rng();
        let mut roll = |p: f64| p > 0.0 && rng.gen_bool(p.clamp(0.0, 1.0));
        (
            roll(plan.too_many_requests),
            roll(plan.server_error),
            roll(plan.unavailable),
            roll(plan.timeout),
            is_create && roll(plan.drop_after_create),
        )
    };
    if throttle {
        inner
            .counters
            .lock()
            .expect("counters")
            .injected_too_many_requests += 1;
        return api_error(
            StatusCode::TOO_MANY_REQUESTS,
            "request_limit_exceeded",
            "Service unavailable, please limit request volume",
        );
    }
    if fail {
        inner
            .counters
            .lock()
            .expect("counters")
            .injected_server_error += 1;
        return api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An internal error occurred.",
        );
    }
    if unavailable {
        inner
            .counters
            .lock()
            .expect("counters")
            .injected_unavailable += 1;
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "<html><body>Service Unavailable</body></html>",
        )
            .into_response();
    }
    let response = next.run(req).await;
    if hold_back {
        inner.counters.lock().expect("counters").injected_timeout += 1;
        tokio::time::sleep(inner.slow_answer).await;
    }
    if drop_body && response.status() == StatusCode::CREATED {
        inner
            .counters
            .lock()
            .expect("counters")
            .injected_drop_after_create += 1;
        // Headers go out, then the body fails: the client sees a broken connection.
        let (parts, _) = response.into_parts();
        let broken = futures::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "dropped",
            ))
        });
        return Response::from_parts(parts, Body::from_stream(broken));
    }
    response
}

fn within_rate_limit(inner: &Inner, key: &str) -> bool {
    let mut sent = inner.sent.lock().expect("rate limit lock");
    let log = sent.entry(key.to_owned()).or_default();
    let now = Instant::now();
    let longest = inner
        .limits
        .iter()
        .map(|w| w.period)
        .max()
        .unwrap_or_default();
    while log
        .front()
        .is_some_and(|t| now.duration_since(*t) >= longest)
    {
        log.pop_front();
    }
    let over = inner.limits.iter().any(|w| {
        log.iter()
            .rev()
            .take_while(|t| now.duration_since(**t) < w.period)
            .count()
            >= w.max_requests
    });
    // Every request counts against the windows, refused ones included, as at DigiCert.
    log.push_back(now);
    !over
}

pub(super) fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// Issues orders whose time has come and, in DCV mode, looks for the records of orders waiting on
/// DCV as DigiCert's own polling does. Called before every read, so issuance needs no timer.
pub(super) fn advance(inner: &Inner) {
    let now = Instant::now();
    let dcv_mode = *inner.issuance.lock().expect("issuance") == Issuance::Dcv;
    let mut orders = inner.orders.lock().expect("orders");
    let due: Vec<i64> = orders
        .by_id
        .values()
        .filter(|o| o.issued.is_none() && o.issue_at.is_some_and(|at| at <= now))
        .map(|o| o.id)
        .collect();
    for id in due {
        if let Some(order) = orders.by_id.get_mut(&id) {
            issue_now(inner, order);
        }
    }
    if dcv_mode {
        let mut world = inner.dcv.lock().expect("dcv");
        for order in orders.by_id.values_mut() {
            if !matches!(order.status.as_str(), "pending" | "reissue_pending")
                || order.issued.is_some()
                || now.duration_since(order.dcv_polled_at) < inner.own_dcv_check_every
            {
                continue;
            }
            order.dcv_polled_at = now;
            if let Some(dcv) = order.dcv.as_mut() {
                dcv.check(&mut world, today());
                if dcv.complete() {
                    issue_now(inner, order);
                }
            }
        }
    }
}

pub(super) fn issue_now(inner: &Inner, order: &mut SimOrder) {
    let issued = match &order.csr {
        Some(csr) => inner.ca.issue(
            csr,
            &order.common_name,
            &order.dns_names,
            order.organization_name.as_deref(),
            today(),
            order.cert_days,
            order.server_auth,
        ),
        None => inner.ca.issue_with_new_key(
            &order.common_name,
            order.organization_name.as_deref(),
            today(),
            order.cert_days,
        ),
    };
    match issued {
        Ok(issued) => {
            order.issued = Some(issued);
            order.status = "issued".into();
            // A reissue replaces the certificate it was placed from.
            for past in order.past.iter_mut().filter(|p| p.status == "active") {
                past.status = "superseded".into();
            }
        }
        Err(problem) => {
            tracing::warn!(
                ?problem,
                order_id = order.id,
                "simulator could not issue; rejecting"
            );
            order.status = "rejected".into();
        }
    }
    order.issue_at = None;
    order.status_changed = OffsetDateTime::now_utc();
}

async fn create_order(State(inner): Shared, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(product) = ProductId::parse(&id) else {
        return api_error(
            StatusCode::NOT_FOUND,
            "not_found|product",
            &format!("Product {id} does not exist."),
        );
    };
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "bad_request_format",
                "The request body is not valid JSON.",
            );
        }
    };
    let order = match parse_order(product, value) {
        Ok(order) => order,
        Err(response) => return response,
    };
    let today = today();
    let violations = rules::check_order(&order, today);
    if !violations.is_empty() {
        return violations_error(&violations);
    }
    if let Err(response) = check_account(&inner, &order) {
        return response;
    }
    if let Err(response) = check_custom_fields(&inner, &order) {
        return response;
    }
    if let Err(response) = check_limits(&inner, &order, today) {
        return response;
    }
    if let OrderRequest::Tls { body, .. } = &order
        && body.dcv_method == Some(DcvMethod::Email)
        && !super::dcv::method_allowed(DcvMethod::Email, today)
    {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_value:dcv_method",
            "Email domain validation ended on 2028-03-15 (CA/Browser Forum ballot SC-090).",
        );
    }
    let (csr, server_auth) = match &order {
        OrderRequest::Tls { body, .. } => (body.certificate.csr.clone(), true),
        OrderRequest::DocumentSigning { body, .. } => (body.certificate.csr.clone(), false),
    };
    if let Some(csr) = &csr
        && let Err(problem) = super::ca::check_csr(csr)
    {
        return match problem {
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
        };
    }
    let (order_days, cert_days) = rules::planned_days(&order, today);
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
    let certificate_id = id + 500_000;
    let skip_approval = match &order {
        OrderRequest::Tls { body, .. } => body.skip_approval.unwrap_or(false),
        OrderRequest::DocumentSigning { body, .. } => body.skip_approval.unwrap_or(false),
    };
    let (common_name, dns_names, signature_hash, org_id) = match &order {
        OrderRequest::Tls { body, .. } => (
            body.certificate.common_name.trim().to_ascii_lowercase(),
            body.certificate
                .dns_names
                .iter()
                .map(|n| n.trim().to_ascii_lowercase())
                .collect::<Vec<_>>(),
            body.certificate.signature_hash.as_str().to_owned(),
            body.organization.id,
        ),
        OrderRequest::DocumentSigning { body, .. } => {
            let org_name = body
                .organization
                .id
                .and_then(|id| inner.account.organization(id))
                .map(|o| o.summary.name.clone());
            let cn = if body.use_org_as_common_name.unwrap_or(true) {
                org_name.unwrap_or_else(|| body.subject.name.clone())
            } else {
                body.subject.name.clone()
            };
            (cn, Vec::new(), "sha256".to_owned(), body.organization.id)
        }
    };
    let organization_name = org_id
        .and_then(|id| inner.account.organization(id))
        .map(|o| o.summary.name.clone())
        .or_else(|| match &order {
            OrderRequest::Tls { body, .. } => body.organization.name.clone(),
            OrderRequest::DocumentSigning { body, .. } => body.organization.name.clone(),
        });
    let now = OffsetDateTime::now_utc();
    let waiting_for_token = matches!(
        &order,
        OrderRequest::DocumentSigning { body, .. } if body.cs_provisioning_method == Some(ProvisioningMethod::ShipToken)
    );
    let mut sim_order = SimOrder {
        id,
        certificate_id,
        request_id: (!skip_approval).then_some(id + 900_000),
        request_status: (!skip_approval).then(|| "pending".to_owned()),
        alternative_order_id: alternative_id.clone(),
        product,
        status: if skip_approval {
            "pending"
        } else {
            "needs_approval"
        }
        .into(),
        status_changed: now,
        created: now,
        common_name,
        dns_names,
        csr,
        organization_id: org_id,
        organization_name,
        signature_hash,
        cert_days,
        order_valid_till: today + time::Duration::days(i64::from(order_days)),
        issue_at: None,
        issued: None,
        server_auth,
        dcv: None,
        dcv_polled_at: Instant::now(),
        past: Vec::new(),
        revoked: HashMap::new(),
        duplicates: Vec::new(),
        reissues: 0,
        renewed_order_id: None,
    };
    if let OrderRequest::Tls { body, .. } = &order
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
        sim_order.dcv = Some(super::dcv::OrderDcv::new(method, &names, &world, today));
    }
    if skip_approval {
        schedule(&inner, &mut sim_order, issuance, waiting_for_token);
    }
    let response = created_body(&inner, &sim_order);
    if let Some(alt) = alternative_id {
        orders.by_alternative_id.entry(alt).or_default().push(id);
    }
    orders.by_certificate_id.insert(certificate_id, id);
    orders.by_id.insert(id, sim_order);
    drop(orders);
    inner.counters.lock().expect("counters").orders_created += 1;
    (StatusCode::CREATED, Json(response)).into_response()
}

/// Decides when an approved order is issued.
pub(super) fn schedule(
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

fn created_body(inner: &Inner, order: &SimOrder) -> Value {
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
#[allow(clippy::result_large_err)]
fn parse_order(product: ProductId, value: Value) -> Result<OrderRequest, Response> {
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
fn check_account(inner: &Inner, order: &OrderRequest) -> Result<(), Response> {
    let organization = match order {
        OrderRequest::Tls { body, .. } => &body.organization,
        OrderRequest::DocumentSigning { body, .. } => &body.organization,
    };
    if let Some(id) = organization.id {
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
        let ev =
            rules::validation_of(order) == Some(app::features::digicert::products::Validation::Ev);
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
        for (i, contact) in organization.contacts.iter().enumerate() {
            let approver_kind = matches!(
                contact.contact_type,
                app::features::digicert::payload::ContactType::EvApprover
                    | app::features::digicert::payload::ContactType::VerifiedContact
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

/// The account's limits: one-year orders without Multi-year Plans, the product's hashes only.
// The error is the finished answer the handler returns as it is.
#[allow(clippy::result_large_err)]
fn check_limits(inner: &Inner, order: &OrderRequest, today: time::Date) -> Result<(), Response> {
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
fn check_custom_fields(inner: &Inner, order: &OrderRequest) -> Result<(), Response> {
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

fn order_json(order: &SimOrder) -> Value {
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
            json!({ "id": "SIMG2ECC2026CA1", "name": super::ca::INTERMEDIATE_NAME });
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

async fn order_info(State(inner): Shared, Path(id): Path<String>) -> Response {
    advance(&inner);
    let orders = inner.orders.lock().expect("orders");
    match id.parse::<i64>().ok().and_then(|id| orders.by_id.get(&id)) {
        Some(order) => Json(order_json(order)).into_response(),
        None => api_error(
            StatusCode::NOT_FOUND,
            "not_found|order",
            "The order does not exist in this account.",
        ),
    }
}

fn status_entry(order: &SimOrder) -> Value {
    json!({ "order_id": order.id, "certificate_id": order.certificate_id, "status": order.status })
}

async fn orders_by_alternative_id(
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
struct Window {
    minutes: Option<i64>,
    seconds: Option<i64>,
}

async fn status_changes(State(inner): Shared, Query(window): Query<Window>) -> Response {
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
struct StatusChange {
    status: Option<String>,
    note: Option<String>,
}

async fn update_order_status(
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
        return api_error(
            StatusCode::NOT_FOUND,
            "not_found|order",
            "The order does not exist in this account.",
        );
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
struct RequestDecision {
    status: String,
}

async fn update_request_status(
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
        return super::revoke::decide(&mut orders, request_id, &decision.status);
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

/// PEM blocks with `\r\n` line ends, as DigiCert's JSON carries them.
fn crlf(pem: &str) -> String {
    pem.replace("\r\n", "\n").replace('\n', "\r\n")
}

pub(super) fn chain_entries(inner: &Inner, issued: &Issued) -> Vec<Value> {
    [
        (None, issued.leaf_pem.clone()),
        (
            Some(super::ca::INTERMEDIATE_NAME),
            inner.ca.intermediate_pem(),
        ),
        (Some(super::ca::ROOT_NAME), inner.ca.root_pem()),
    ]
    .into_iter()
    .map(|(name, pem)| json!({ "subject_common_name": name, "pem": crlf(&pem) }))
    .collect()
}

/// The issued certificate behind a certificate id, or DigiCert's "not yet".
// The error is the finished answer the handler returns as it is.
#[allow(clippy::result_large_err)]
fn issued_for(inner: &Inner, id: &str) -> Result<(Issued, String), Response> {
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

async fn download(State(inner): Shared, Path((id, format)): Path<(String, String)>) -> Response {
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

async fn chain(State(inner): Shared, Path(id): Path<String>) -> Response {
    match issued_for(&inner, &id) {
        Ok((issued, _)) => {
            Json(json!({ "intermediates": chain_entries(&inner, &issued) })).into_response()
        }
        Err(response) => response,
    }
}

async fn list_organizations(State(inner): Shared) -> Response {
    let organizations: Vec<_> = inner
        .account
        .organizations
        .iter()
        .map(|o| &o.summary)
        .collect();
    let total = organizations.len();
    Json(json!({ "organizations": organizations, "page": { "total": total, "limit": 1000, "offset": 0 } })).into_response()
}

async fn organization_info(State(inner): Shared, Path(id): Path<String>) -> Response {
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

async fn organization_validation(State(inner): Shared, Path(id): Path<String>) -> Response {
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

async fn potential_approvers(
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

async fn list_containers(State(inner): Shared) -> Response {
    Json(json!({ "containers": inner.account.containers })).into_response()
}

async fn product(State(inner): Shared, Path(name_id): Path<String>) -> Response {
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

async fn list_users(State(inner): Shared) -> Response {
    let total = inner.account.users.len();
    Json(json!({ "users": inner.account.users, "page": { "total": total, "limit": 1000, "offset": 0 } })).into_response()
}

pub(super) fn stats(inner: &Inner) -> Stats {
    let orders = inner.orders.lock().expect("orders");
    let per_alt: std::collections::BTreeMap<String, u64> = orders
        .by_alternative_id
        .iter()
        .map(|(alt, ids)| (alt.clone(), ids.len() as u64))
        .collect();
    let duplicated = per_alt
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(alt, _)| alt.clone())
        .collect();
    let reissues_per_order = orders
        .by_id
        .values()
        .filter(|o| o.reissues > 0)
        .map(|o| (o.id, o.reissues))
        .collect();
    Stats {
        counters: inner.counters.lock().expect("counters").clone(),
        orders_per_alternative_id: per_alt,
        duplicated_alternative_ids: duplicated,
        reissues_per_order,
    }
}

/// Every product with its hashes and lifetimes; Multi-year Plans off narrows orders to a year.
async fn product_limits(State(inner): Shared, Path(id): Path<String>) -> Response {
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

async fn sim_multi_year_plans(State(inner): Shared, Json(enabled): Json<bool>) -> Response {
    *inner.multi_year_plans.lock().expect("plans") = enabled;
    StatusCode::NO_CONTENT.into_response()
}

async fn list_custom_fields(State(inner): Shared) -> Response {
    let fields = inner.custom_fields.lock().expect("custom fields").clone();
    Json(json!({ "metadata": fields })).into_response()
}

async fn sim_custom_fields(
    State(inner): Shared,
    Json(fields): Json<Vec<app::features::digicert::account::CustomFieldDefinition>>,
) -> Response {
    *inner.custom_fields.lock().expect("custom fields") = fields;
    StatusCode::NO_CONTENT.into_response()
}

async fn sim_stats(State(inner): Shared) -> Response {
    Json(stats(&inner)).into_response()
}

async fn sim_faults(State(inner): Shared, Json(plan): Json<super::FaultPlan>) -> Response {
    *inner.faults.lock().expect("faults") = plan;
    StatusCode::NO_CONTENT.into_response()
}

async fn sim_issuance(State(inner): Shared, Json(issuance): Json<Issuance>) -> Response {
    *inner.issuance.lock().expect("issuance") = issuance;
    StatusCode::NO_CONTENT.into_response()
}

async fn sim_issue(State(inner): Shared, Path(id): Path<String>) -> Response {
    let mut orders = inner.orders.lock().expect("orders");
    match id
        .parse::<i64>()
        .ok()
        .and_then(|id| orders.by_id.get_mut(&id))
    {
        Some(order) if order.issued.is_none() && order.status != "canceled" => {
            issue_now(&inner, order);
            StatusCode::NO_CONTENT.into_response()
        }
        Some(_) => api_error(
            StatusCode::BAD_REQUEST,
            "invalid_order_status",
            "The order is already issued or canceled.",
        ),
        None => api_error(
            StatusCode::NOT_FOUND,
            "not_found|order",
            "The order does not exist.",
        ),
    }
}
