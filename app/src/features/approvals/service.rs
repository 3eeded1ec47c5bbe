//! Deciding requests. A decision locks the request row, so of two approvers deciding at the same
//! moment exactly one is recorded and the other is told who decided first. Approval writes the
//! decision, its timeline entry, an audit row and the forwarding job in one transaction.

use super::model::{ApprovalQueue, BulkOutcome, Decision, PendingRequest, QueueFilter};
use crate::error::{AppError, FormErrors};
use crate::features::auth::CurrentUser;
use crate::features::csr::CsrReport;
use crate::features::digicert::products::ProductId;
use crate::features::requests::model::{RequestStatus, RequestSummary};
use crate::features::requests::repo;
use crate::server::format_time;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Cards per queue page: each carries two decision forms, so 25 is a screenful of reading and
/// keeps the page light (about half the HTML of 50).
pub const QUEUE_PAGE_SIZE: i64 = 25;

/// Most requests one bulk approval takes (a queue page holds 25).
pub const MAX_BULK_APPROVALS: usize = 100;

/// Records one decision. `note` is the optional approval comment or the required reason.
pub async fn decide(
    pool: &PgPool,
    approver: &CurrentUser,
    id: i64,
    decision: Decision,
    note: Option<&str>,
) -> Result<(), AppError> {
    let note = checked_note(decision, note)?;
    let mut tx = pool.begin().await?;
    let Some((requester_id, status)) = repo::status_for_update(&mut tx, id).await? else {
        return Err(AppError::NotFound);
    };
    if requester_id == approver.id {
        return Err(AppError::Forbidden);
    }
    if status != RequestStatus::PendingApproval {
        return Err(already_decided(&mut tx, id, status).await?);
    }
    let to = match decision {
        Decision::Approve => RequestStatus::Approved,
        Decision::Reject => RequestStatus::Rejected,
    };
    sqlx::query!(
        "update requests set status = $2, decided_by = $3, decided_at = now(), decision_note = $4,
                updated_at = now()
          where id = $1 and status = 'pending_approval'",
        id,
        to as RequestStatus,
        approver.id,
        note
    )
    .execute(&mut *tx)
    .await?;
    repo::add_event(
        &mut tx,
        id,
        Some(approver.id),
        Some(RequestStatus::PendingApproval),
        to,
        note,
    )
    .await?;
    if decision == Decision::Approve {
        sqlx::query!("insert into forward_jobs (request_id) values ($1)", id)
            .execute(&mut *tx)
            .await?;
    }
    crate::features::mail::notify::request_decided(
        &mut tx,
        id,
        decision == Decision::Approve,
        note,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The decision's note, trimmed (`None` when blank): a rejection needs one, and none may run
/// past 2000 characters.
fn checked_note(decision: Decision, note: Option<&str>) -> Result<Option<&str>, AppError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if decision == Decision::Reject && note.is_none() {
        return Err(AppError::Invalid(
            FormErrors::new("Say why the request is rejected.")
                .field("note", "A reason is required; the requester will see it."),
        ));
    }
    if note.is_some_and(|n| n.chars().count() > 2000) {
        return Err(AppError::Invalid(
            FormErrors::new("The note is too long.").field("note", "At most 2000 characters."),
        ));
    }
    Ok(note)
}

/// The conflict for a request that is no longer pending, naming who decided it and when.
async fn already_decided(
    tx: &mut sqlx::PgConnection,
    id: i64,
    status: RequestStatus,
) -> Result<AppError, AppError> {
    // A fresh statement: it sees the decision that was committed while this one waited.
    let decider = sqlx::query!(
        r#"select u.display_name as "decided_by?", r.decided_at
                 from requests r left join users u on u.id = r.decided_by where r.id = $1"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let who = match decider.map(|d| (d.decided_by, d.decided_at)) {
        Some((Some(name), Some(at))) => format!(" by {name} at {}", format_time(at)),
        _ => String::new(),
    };
    Ok(AppError::Conflict(format!(
        "Request {id} was already decided{who}: it is {}.",
        status.label().to_lowercase()
    )))
}

/// Approves several requests with one comment; each is decided on its own, so one that was
/// decided meanwhile (or is the approver's own) is skipped with the reason.
pub async fn approve_many(
    pool: &PgPool,
    approver: &CurrentUser,
    ids: &[i64],
    comment: Option<&str>,
) -> Result<BulkOutcome, AppError> {
    if ids.is_empty() {
        return Err(AppError::Invalid(
            FormErrors::new("Select the requests to approve.").field("ids", "Nothing selected."),
        ));
    }
    if ids.len() > MAX_BULK_APPROVALS {
        return Err(AppError::Invalid(
            FormErrors::new("Too many requests at once.").field(
                "ids",
                format!("Approve at most {MAX_BULK_APPROVALS} requests at a time."),
            ),
        ));
    }
    let mut outcome = BulkOutcome::default();
    for &id in ids {
        match decide(pool, approver, id, Decision::Approve, comment).await {
            Ok(()) => outcome.approved.push(id),
            Err(AppError::Forbidden) => outcome
                .skipped
                .push((id, "Your own request: another approver decides it.".into())),
            Err(AppError::Conflict(why)) => outcome.skipped.push((id, why)),
            Err(AppError::NotFound) => outcome.skipped.push((id, "No such request.".into())),
            Err(other) => return Err(other),
        }
    }
    Ok(outcome)
}

/// One pending request as the queue reads it.
#[derive(sqlx::FromRow)]
struct QueueRow {
    id: i64,
    product: ProductId,
    title: String,
    status: RequestStatus,
    submitted_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    requester_id: Uuid,
    requester: String,
    organization_id: Option<i64>,
    names: Vec<String>,
    csr_summary: Option<sqlx::types::Json<CsrReport>>,
    comments: String,
    price_cents: Option<i64>,
    price_currency: Option<String>,
}

/// The CSR as the queue shows it: subject, key, signature algorithm.
fn csr_line(csr: &CsrReport) -> String {
    format!(
        "{} · {} · {}",
        csr.subject_line(),
        csr.key.as_ref().map(|k| k.describe()).unwrap_or_default(),
        csr.signature_algorithm.clone().unwrap_or_default()
    )
}

/// Cursor text for a row: its submission time (microseconds) and id.
fn cursor(at: OffsetDateTime, id: i64) -> String {
    format!("{}-{id}", at.unix_timestamp_nanos() / 1000)
}

fn parse_cursor(text: &str) -> Option<(OffsetDateTime, i64)> {
    let (micros, id) = text.split_once('-')?;
    let micros: i128 = micros.parse().ok()?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(micros * 1000).ok()?;
    Some((at, id.parse().ok()?))
}

/// Pending requests, oldest first, filtered; one query per page (requester names joined in).
pub async fn queue(
    pool: &PgPool,
    viewer: &CurrentUser,
    filter: &QueueFilter,
    limit: i64,
) -> Result<ApprovalQueue, AppError> {
    crate::server::search::check_search_lengths(&[
        ("product", &filter.product),
        ("requester", &filter.requester),
        ("organization", &filter.organization),
        ("after", &filter.after),
    ])?;
    let rows: Vec<QueueRow> = queue_statement(filter, limit)
        .build_query_as()
        .fetch_all(pool)
        .await?;
    let (rows, more) = crate::server::search::one_page(rows, limit);
    let next = crate::server::search::continues_after(&rows, more)
        .map(|row| cursor(row.submitted_at, row.id));
    Ok(ApprovalQueue {
        rows: rows
            .into_iter()
            .map(|row| row.pending_request(viewer))
            .collect(),
        next,
        organizations: Vec::new(),
    })
}

/// The queue's statement for `filter`, one row more than `limit` to tell whether a page follows.
/// Only the filters in use are written into it (every value still bound): "$n is null or …"
/// catch-alls leave PostgreSQL's cached generic plan guessing.
fn queue_statement(
    filter: &QueueFilter,
    limit: i64,
) -> sqlx::QueryBuilder<'static, sqlx::Postgres> {
    let mut query = sqlx::QueryBuilder::new(
        "select r.id, r.product, r.title, r.status, r.submitted_at, r.updated_at, r.requester_id,
                u.display_name || ' <' || u.email || '>' as requester, r.organization_id,
                array_prepend(r.title, r.dns_names) as names, r.csr_summary,
                coalesce(r.form->>'comments', '') as comments, r.price_cents, r.price_currency
           from requests r join users u on u.id = r.requester_id
          where r.status = 'pending_approval'",
    );
    if let Some((at, id)) = parse_cursor(&filter.after) {
        query.push(" and (r.submitted_at, r.id) > (");
        query.push_bind(at).push(", ").push_bind(id).push(")");
    }
    if let Some(product) = Some(filter.product.trim()).filter(|p| !p.is_empty()) {
        query
            .push(" and r.product = ")
            .push_bind(product.to_owned());
    }
    if let Some(pattern) = crate::server::search::contains_pattern(&filter.requester) {
        query
            .push(" and (u.email ilike ")
            .push_bind(pattern.clone());
        query
            .push(" or u.display_name ilike ")
            .push_bind(pattern)
            .push(")");
    }
    if let Ok(organization) = filter.organization.trim().parse::<i64>() {
        query
            .push(" and r.organization_id = ")
            .push_bind(organization);
    }
    query
        .push(" order by r.submitted_at, r.id limit ")
        .push_bind(limit + 1);
    query
}

impl QueueRow {
    /// The card's data as `viewer` sees it (their own requests are marked).
    fn pending_request(self, viewer: &CurrentUser) -> PendingRequest {
        PendingRequest {
            summary: RequestSummary {
                id: self.id,
                product: self.product,
                title: self.title,
                status: self.status,
                submitted_at: format_time(self.submitted_at),
                updated_at: format_time(self.updated_at),
            },
            requester: self.requester,
            organization_id: self.organization_id,
            names: self.names,
            csr: self.csr_summary.map(|c| csr_line(&c.0)),
            comments: self.comments,
            own: self.requester_id == viewer.id,
            price: crate::features::digicert::pricing::describe(
                repo::stored_price(self.price_cents, self.price_currency).as_ref(),
            ),
        }
    }
}

#[cfg(test)]
mod tests;

/// The labels of custom order fields the account requires now that the request's stored order
/// lacks (the field may have become required after submission). An unknown request lacks none.
pub async fn missing_custom_fields(
    pool: &PgPool,
    id: i64,
    account: &[crate::features::requests::options::CustomFieldChoice],
) -> Result<Vec<String>, AppError> {
    use crate::features::digicert::payload::CustomField;
    let stored = sqlx::query_scalar!(
        r#"select coalesce(payload->'custom_fields', '[]'::jsonb)
                  as "custom_fields!: sqlx::types::Json<Vec<CustomField>>"
             from requests where id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    let Some(sqlx::types::Json(given)) = stored else {
        return Ok(Vec::new());
    };
    Ok(account
        .iter()
        .filter(|f| f.required)
        .filter(|f| {
            !given
                .iter()
                .any(|g| g.metadata_id == f.id && !g.value.trim().is_empty())
        })
        .map(|f| f.label.clone())
        .collect())
}

/// Why a request cannot be approved as it stands, in the approver's words.
pub fn missing_fields_message(labels: &[String]) -> String {
    let quoted: Vec<String> = labels.iter().map(|l| format!("\"{l}\"")).collect();
    format!(
        "DigiCert now requires the custom order field {}, which this request does not have. \
         Reject it with a note so the requester submits it again with the field \
         (\"Copy as new request\" keeps everything else).",
        quoted.join(" and ")
    )
}
