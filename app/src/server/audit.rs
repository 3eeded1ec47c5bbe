//! The audit trail: one row per security-relevant event, never updated.

use crate::error::AppError;
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

pub struct AuditEvent<'a> {
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub subject: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    pub details: Value,
}

pub async fn record(db: impl PgExecutor<'_>, event: AuditEvent<'_>) -> Result<(), AppError> {
    sqlx::query!(
        "insert into audit_events (actor_id, action, subject, client_ip, details)
         values ($1, $2, $3, $4, $5)",
        event.actor_id,
        event.action,
        event.subject,
        event.client_ip,
        event.details
    )
    .execute(db)
    .await?;
    Ok(())
}
