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
    let rows = super::repo::search(
        &state.pool,
        &super::repo::AuditFilter {
            actor_pattern: actor,
            action,
            from,
            to,
            before,
        },
        AUDIT_PAGE_SIZE + 1,
    )
    .await?;
    let (rows, more) = crate::server::search::one_page(rows, AUDIT_PAGE_SIZE);
    let rows: Vec<AuditRow> = rows
        .into_iter()
        .map(|row| AuditRow {
            id: row.id,
            at: crate::server::format_time(row.at),
            actor: row.actor,
            action: row.action,
            subject: row.subject,
            client_ip: row.client_ip,
            details: row.details.to_string(),
        })
        .collect();
    let before = crate::server::search::continues_after(&rows, more).map(|r| r.id);
    Ok(AuditPage { rows, before })
}
