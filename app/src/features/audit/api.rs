use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    /// "Name <email>", or none for certdesk itself (the forwarding worker).
    pub actor: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub client_ip: Option<String>,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// Continue with rows older than this id.
    pub before: Option<i64>,
}

pub const AUDIT_PAGE_SIZE: i64 = 100;

/// Audit events newest first, filtered by actor (part of the name or email), action and days
/// (`yyyy-mm-dd`); keyset-paged on the id.
#[server(prefix = "/api", endpoint = "audit/search")]
pub async fn search_audit(
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    use crate::error::FormErrors;
    use crate::features::auth::Role;
    use crate::features::digicert::dates::IsoDate;
    use crate::server::{context, require_role};

    let state = context::state()?;
    require_role(&state, Role::Admin).await?;
    let mut errors = FormErrors::new("Some filters cannot be used.");
    let mut day = |field: &str, text: Option<String>| {
        let text = text.filter(|t| !t.trim().is_empty())?;
        match IsoDate::parse(&text) {
            Ok(IsoDate(d)) => Some(d),
            Err(message) => {
                errors.add(field, message);
                None
            }
        }
    };
    let (from, to) = (day("from", from), day("to", to));
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    crate::server::search::check_search_lengths(&[
        ("actor", actor.as_deref().unwrap_or_default()),
        ("action", action.as_deref().unwrap_or_default()),
    ])?;
    let actor = actor
        .as_deref()
        .and_then(crate::server::search::contains_pattern);
    let action = action
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty());
    type Row = (
        i64,
        time::OffsetDateTime,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        serde_json::Value,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "select a.id, a.at, u.display_name || ' <' || u.email || '>', a.action, a.subject,
                a.client_ip, a.details
           from audit_events a left join users u on u.id = a.actor_id
          where ($1::text is null or lower(u.email) like $1 or lower(u.display_name) like $1)
            and ($2::text is null or a.action = $2)
            and ($3::date is null or a.at >= $3::date)
            and ($4::date is null or a.at < $4::date + 1)
            and ($5::bigint is null or a.id < $5)
          order by a.id desc limit $6",
    )
    .bind(actor)
    .bind(action)
    .bind(from)
    .bind(to)
    .bind(before)
    .bind(AUDIT_PAGE_SIZE + 1)
    .fetch_all(&state.pool)
    .await?;
    let more = rows.len() as i64 > AUDIT_PAGE_SIZE;
    let rows: Vec<AuditRow> = rows
        .into_iter()
        .take(AUDIT_PAGE_SIZE as usize)
        .map(
            |(id, at, actor, action, subject, client_ip, details)| AuditRow {
                id,
                at: crate::features::requests::repo::format_time(at),
                actor,
                action,
                subject,
                client_ip,
                details: details.to_string(),
            },
        )
        .collect();
    let before = more.then(|| rows.last().map(|r| r.id)).flatten();
    Ok(AuditPage { rows, before })
}
