//! Requests in PostgreSQL. Every status change goes through a guarded update (`where status = …`)
//! and the database's transition trigger, and writes its timeline row in the same transaction.

use super::model::{
    DigicertState, RequestDetail, RequestEvent, RequestForm, RequestPage, RequestStatus,
    RequestSummary,
};
use crate::error::AppError;
use crate::features::csr::CsrReport;
use crate::features::digicert::pricing::{Price, describe as describe_price};
use crate::features::digicert::products::ProductId;
use crate::server::format_time;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

pub struct NewRequest<'a> {
    pub requester_id: Uuid,
    pub form_kind: &'a str,
    pub product: ProductId,
    pub title: &'a str,
    pub dns_names: &'a [String],
    pub organization_id: Option<i64>,
    pub form: &'a RequestForm,
    pub csr: Option<&'a CsrReport>,
    pub payload: serde_json::Value,
    /// DigiCert's estimate when it gave one.
    pub price: Option<&'a Price>,
}

/// Reserves the next request id, so the DigiCert payload can carry an `alternative_order_id`
/// derived from it before the row is written.
pub async fn next_request_id(db: &mut PgConnection) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar!(r#"select nextval(pg_get_serial_sequence('requests', 'id')) as "id!""#)
            .fetch_one(db)
            .await?,
    )
}

pub async fn insert_request(
    db: &mut PgConnection,
    id: i64,
    new: NewRequest<'_>,
) -> Result<(), AppError> {
    // The stored form never holds the CSR twice: it lives in csr_pem.
    let mut form = new.form.clone();
    form.csr.clear();
    let csr_summary = new.csr.map(|report| {
        let mut summary = report.clone();
        summary.pem = None;
        summary
    });
    sqlx::query!(
        "insert into requests (id, requester_id, form_kind, product, title, dns_names,
                               organization_id, form, csr_pem, csr_summary, payload, names_text,
                               price_cents, price_currency)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                 lower($5 || ' ' || array_to_string($6::text[], ' ')), $12, $13)",
        id,
        new.requester_id,
        new.form_kind,
        new.product as ProductId,
        new.title,
        new.dns_names,
        new.organization_id,
        sqlx::types::Json(&form) as _,
        new.csr.and_then(|r| r.pem.as_deref()),
        csr_summary.map(sqlx::types::Json) as _,
        &new.payload,
        new.price.map(|p| p.cents),
        new.price.map(|p| p.currency.as_str())
    )
    .execute(&mut *db)
    .await?;
    add_event(
        db,
        id,
        Some(new.requester_id),
        None,
        RequestStatus::PendingApproval,
        None,
    )
    .await
}

/// The audit action for arriving in `status`.
pub fn audit_action(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::PendingApproval => "request_submitted",
        RequestStatus::Cancelled => "request_cancelled",
        RequestStatus::Approved => "request_approved",
        RequestStatus::Rejected => "request_rejected",
        RequestStatus::Forwarding => "request_forwarding",
        RequestStatus::Forwarded => "request_forwarded",
        RequestStatus::ForwardFailed => "request_forward_failed",
        RequestStatus::Issued => "request_issued",
    }
}

/// Records a status change twice, in the caller's transaction: on the request's timeline and in
/// the audit log (actor `None` is certdesk itself, e.g. the forwarding worker).
pub async fn add_event(
    db: &mut PgConnection,
    request_id: i64,
    actor_id: Option<Uuid>,
    from: Option<RequestStatus>,
    to: RequestStatus,
    note: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into request_events (request_id, actor_id, from_status, to_status, note)
         values ($1, $2, $3, $4, $5)",
        request_id,
        actor_id,
        from as Option<RequestStatus>,
        to as RequestStatus,
        note
    )
    .execute(&mut *db)
    .await?;
    crate::server::audit::record(
        &mut *db,
        crate::server::audit::AuditEvent {
            actor_id,
            action: audit_action(to),
            subject: Some(&format!("request {request_id}")),
            client_ip: None,
            details: serde_json::json!({
                "from": from.map(RequestStatus::as_str),
                "to": to.as_str(),
                "note": note,
            }),
        },
    )
    .await
}

/// Moves a request from `from` to `to` if it is still in `from`; `false` when it was not.
pub async fn transition(
    db: &mut PgConnection,
    request_id: i64,
    from: RequestStatus,
    to: RequestStatus,
    actor_id: Option<Uuid>,
    note: Option<&str>,
) -> Result<bool, AppError> {
    debug_assert!(from.can_become(to));
    let moved = sqlx::query!(
        "update requests set status = $3, updated_at = now() where id = $1 and status = $2",
        request_id,
        from as RequestStatus,
        to as RequestStatus
    )
    .execute(&mut *db)
    .await?
    .rows_affected()
        == 1;
    if moved {
        add_event(db, request_id, actor_id, Some(from), to, note).await?;
    }
    Ok(moved)
}

/// A request as lists show it.
struct SummaryRow {
    id: i64,
    product: ProductId,
    title: String,
    status: RequestStatus,
    submitted_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl From<SummaryRow> for RequestSummary {
    fn from(row: SummaryRow) -> Self {
        RequestSummary {
            id: row.id,
            product: row.product,
            title: row.title,
            status: row.status,
            submitted_at: format_time(row.submitted_at),
            updated_at: format_time(row.updated_at),
        }
    }
}

/// One requester's requests, newest first, `limit` at a time after id `before` (keyset).
pub async fn list_for_requester(
    pool: &PgPool,
    requester_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<RequestPage, AppError> {
    let rows = sqlx::query_as!(
        SummaryRow,
        r#"select id, product as "product: ProductId", title, status as "status: RequestStatus",
                  submitted_at, updated_at
             from requests
            where requester_id = $1 and ($2::bigint is null or id < $2)
            order by id desc limit $3"#,
        requester_id,
        before,
        limit + 1
    )
    .fetch_all(pool)
    .await?;
    let (rows, more) = crate::server::search::one_page(rows, limit);
    let rows: Vec<RequestSummary> = rows.into_iter().map(RequestSummary::from).collect();
    let next = more.then(|| rows.last().map(|r| r.id)).flatten();
    Ok(RequestPage { rows, next })
}

/// A request row with its requester and DigiCert's side, for the request page.
struct DetailRow {
    id: i64,
    requester_id: Uuid,
    product: ProductId,
    title: String,
    status: RequestStatus,
    submitted_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    requester: String,
    form: sqlx::types::Json<RequestForm>,
    csr_pem: Option<String>,
    csr_summary: Option<sqlx::types::Json<CsrReport>>,
    payload: serde_json::Value,
    digicert_order_id: Option<i64>,
    digicert_status: Option<String>,
    certificate_id: Option<i64>,
    expires_at: Option<OffsetDateTime>,
    forward_error: Option<serde_json::Value>,
    price_cents: Option<i64>,
    price_currency: Option<String>,
    order_valid_till: Option<time::Date>,
    renewal_of_request_id: Option<i64>,
}

/// A stored estimate, if DigiCert gave one.
pub fn stored_price(cents: Option<i64>, currency: Option<String>) -> Option<Price> {
    Some(Price {
        cents: cents?,
        currency: currency?,
    })
}

/// `code: message; …` of a stored refusal.
fn describe_refusal(details: &serde_json::Value) -> String {
    let status = details["status"]
        .as_u64()
        .map(|s| format!("HTTP {s}: "))
        .unwrap_or_default();
    let errors: Vec<String> = details["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let code = e["code"].as_str().unwrap_or_default();
            let message = e["message"].as_str().unwrap_or_default();
            if code.is_empty() {
                message.to_owned()
            } else {
                format!("{code}: {message}")
            }
        })
        .collect();
    format!("{status}{}", errors.join("; "))
}

/// One step of a request's timeline; `actor` is `None` for certdesk itself.
struct EventRow {
    at: OffsetDateTime,
    actor: Option<String>,
    from_status: Option<RequestStatus>,
    to_status: RequestStatus,
    note: Option<String>,
}

/// A request with its timeline, its renewals, its certificates and its requester's id: four
/// queries, whatever the timeline's length.
pub async fn detail(pool: &PgPool, id: i64) -> Result<Option<(Uuid, RequestDetail)>, AppError> {
    let row = sqlx::query_as!(
        DetailRow,
        r#"select r.id, r.requester_id, r.product as "product: ProductId", r.title,
                  r.status as "status: RequestStatus", r.submitted_at, r.updated_at,
                  u.display_name || ' <' || u.email || '>' as "requester!",
                  r.form as "form: sqlx::types::Json<RequestForm>", r.csr_pem,
                  r.csr_summary as "csr_summary: sqlx::types::Json<CsrReport>", r.payload,
                  r.digicert_order_id, r.digicert_status, r.certificate_id, r.expires_at,
                  r.forward_error, r.price_cents, r.price_currency, r.order_valid_till,
                  r.renewal_of_request_id
             from requests r join users u on u.id = r.requester_id
            where r.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let related = Related {
        events: timeline(pool, row.id).await?,
        renewed_by: sqlx::query_scalar!(
            "select id from requests where renewal_of_request_id = $1 order by id",
            row.id
        )
        .fetch_all(pool)
        .await?,
        certificates: crate::features::certificates::repo::for_request(
            pool,
            row.id,
            OffsetDateTime::now_utc(),
        )
        .await?,
    };
    Ok(Some((row.requester_id, row.into_detail(related))))
}

/// A request's timeline, oldest step first.
async fn timeline(pool: &PgPool, request_id: i64) -> Result<Vec<RequestEvent>, AppError> {
    let events = sqlx::query_as!(
        EventRow,
        r#"select e.at, u.display_name as "actor?",
                  e.from_status as "from_status: RequestStatus",
                  e.to_status as "to_status: RequestStatus", e.note
             from request_events e left join users u on u.id = e.actor_id
            where e.request_id = $1 order by e.id"#,
        request_id
    )
    .fetch_all(pool)
    .await?;
    Ok(events
        .into_iter()
        .map(|event| RequestEvent {
            at: format_time(event.at),
            actor: event.actor,
            from_status: event.from_status,
            to_status: event.to_status,
            note: event.note,
        })
        .collect())
}

/// What the request page shows beside the request's own row.
struct Related {
    events: Vec<RequestEvent>,
    renewed_by: Vec<i64>,
    certificates: Vec<crate::features::certificates::model::CertificateSummary>,
}

impl DetailRow {
    /// The request page's data: the row, what it may do next, and `related`.
    fn into_detail(self, related: Related) -> RequestDetail {
        let row = self;
        let summary = RequestSummary::from(SummaryRow {
            id: row.id,
            product: row.product,
            title: row.title,
            status: row.status,
            submitted_at: row.submitted_at,
            updated_at: row.updated_at,
        });
        let mut form = row.form.0;
        form.csr = row.csr_pem.unwrap_or_default();
        let product = summary.product;
        RequestDetail {
            can_cancel: summary.status == RequestStatus::PendingApproval,
            digicert: row.digicert_order_id.map(|order_id| DigicertState {
                order_id,
                status: row.digicert_status,
                certificate_id: row.certificate_id,
                expires_at: row.expires_at.map(format_time),
            }),
            forward_error: row.forward_error.as_ref().map(describe_refusal),
            can_retry: summary.status == RequestStatus::ForwardFailed,
            can_decide: summary.status == RequestStatus::PendingApproval,
            endpoint: format!("POST order/certificate/{}", product.name_id()),
            price: describe_price(stored_price(row.price_cents, row.price_currency).as_ref()),
            order_valid_till: row.order_valid_till.map(|d| d.to_string()),
            renewal_of: row.renewal_of_request_id,
            renewed_by: related.renewed_by,
            // Narrowed by the service, which knows who looks and the renewal window.
            can_renew: summary.status == RequestStatus::Issued,
            certificates: related.certificates,
            payload: serde_json::to_string_pretty(&row.payload).unwrap_or_default(),
            summary,
            requester: row.requester,
            form,
            csr: row.csr_summary.map(|c| c.0),
            events: related.events,
        }
    }
}

/// Links renewal `id` to the request whose DigiCert order it renews, when certdesk placed it.
pub async fn link_renewal(db: &mut PgConnection, id: i64, order_id: i64) -> Result<(), AppError> {
    sqlx::query!(
        "update requests set renewal_of_request_id =
                (select id from requests where digicert_order_id = $2 and id <> $1
                  order by id limit 1)
          where id = $1",
        id,
        order_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Current status, locked for the rest of the transaction.
pub async fn status_for_update(
    db: &mut PgConnection,
    id: i64,
) -> Result<Option<(Uuid, RequestStatus)>, AppError> {
    let row = sqlx::query!(
        r#"select requester_id, status as "status: RequestStatus"
             from requests where id = $1 for update"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| (row.requester_id, row.status)))
}
