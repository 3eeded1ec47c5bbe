//! Reading the audit log (rows are written by `server::audit`).

use crate::error::AppError;
use sqlx::PgPool;
use time::{Date, OffsetDateTime};

/// What the admin filters by; `None` leaves a filter out of the statement.
pub struct AuditFilter {
    /// A `like` pattern on the actor's email or name.
    pub actor_pattern: Option<String>,
    pub action: Option<String>,
    pub from: Option<Date>,
    /// Inclusive: events of this whole day.
    pub to: Option<Date>,
    /// Only events older than this id (keyset).
    pub before: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub struct AuditEventRow {
    pub id: i64,
    pub at: OffsetDateTime,
    /// "Name <email>", or none for certdesk itself.
    pub actor: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub client_ip: Option<String>,
    pub details: serde_json::Value,
}

/// Audit events newest first, at most `limit`.
pub async fn search(
    pool: &PgPool,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEventRow>, AppError> {
    let mut query = sqlx::QueryBuilder::new(
        "select a.id, a.at, u.display_name || ' <' || u.email || '>' as actor, a.action,
                a.subject, a.client_ip, a.details
           from audit_events a left join users u on u.id = a.actor_id
          where true",
    );
    if let Some(pattern) = &filter.actor_pattern {
        query.push(" and (lower(u.email) like ").push_bind(pattern);
        query
            .push(" or lower(u.display_name) like ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(action) = &filter.action {
        query.push(" and a.action = ").push_bind(action);
    }
    if let Some(from) = filter.from {
        query.push(" and a.at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" and a.at < ").push_bind(to).push(" + 1");
    }
    if let Some(before) = filter.before {
        query.push(" and a.id < ").push_bind(before);
    }
    query.push(" order by a.id desc limit ").push_bind(limit);
    Ok(query.build_query_as().fetch_all(pool).await?)
}
