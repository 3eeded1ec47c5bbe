//! The dashboard's queries: the pipeline's numbers and a person's recent activity.

use crate::error::AppError;
use crate::features::requests::model::RequestStatus;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Requests in one status.
pub struct StatusCount {
    pub status: RequestStatus,
    pub requests: i64,
}

/// Counts per status, on the status index.
pub async fn requests_by_status(pool: &PgPool) -> Result<Vec<StatusCount>, AppError> {
    Ok(sqlx::query_as!(
        StatusCount,
        r#"select status as "status: RequestStatus", count(*) as "requests!"
             from requests group by status"#
    )
    .fetch_all(pool)
    .await?)
}

/// The numbers of the overview's second statement.
pub struct Watched {
    pub oldest_seconds: Option<i64>,
    pub issued: i64,
    pub failures: i64,
    pub within_30: i64,
    pub within_60: i64,
    pub within_90: i64,
    pub reissue_due: i64,
    pub renew_due: i64,
    pub changes_waiting: i64,
}

/// The rest of the overview in one pass over the partial indexes' rows.
pub async fn watched(pool: &PgPool, renew_window_days: u32) -> Result<Watched, AppError> {
    Ok(sqlx::query_as!(
        Watched,
        r#"select
            (select extract(epoch from now() - min(submitted_at))::bigint
               from requests where status = 'pending_approval') as "oldest_seconds",
            (select count(*) from requests
              where status = 'issued' and issued_at >= date_trunc('month', now())) as "issued!",
            (select count(*) from requests where status = 'forward_failed') as "failures!",
            (select count(*) from certificates where status = 'issued'
                and not_after >= now() and not_after < now() + interval '30 days') as "within_30!",
            (select count(*) from certificates where status = 'issued'
                and not_after >= now() and not_after < now() + interval '60 days') as "within_60!",
            (select count(*) from certificates where status = 'issued'
                and not_after >= now() and not_after < now() + interval '90 days') as "within_90!",
            -- A current certificate ending within 30 days while its order runs on: reissue it.
            (select count(*) from certificates c join requests r on r.id = c.request_id
              where c.status = 'issued' and c.kind <> 'duplicate'
                and c.not_after < now() + interval '30 days'
                and r.order_valid_till > c.not_after::date) as "reissue_due!",
            -- An order ending within the renewal window: renew it.
            (select count(*) from requests where status = 'issued'
                and order_valid_till <= current_date + $1::int) as "renew_due!",
            (select count(*) from certificate_changes
              where status = 'pending_approval') as "changes_waiting!""#,
        i32::try_from(renew_window_days).unwrap_or(i32::MAX)
    )
    .fetch_one(pool)
    .await?)
}

/// One of a person's own audited actions.
pub struct ActivityRow {
    pub at: OffsetDateTime,
    pub action: String,
    pub client_ip: Option<String>,
}

/// The person's five latest audited actions.
pub async fn recent_activity(pool: &PgPool, user: Uuid) -> Result<Vec<ActivityRow>, AppError> {
    Ok(sqlx::query_as!(
        ActivityRow,
        "select at, action, client_ip from audit_events
          where actor_id = $1 order by at desc limit 5",
        user
    )
    .fetch_all(pool)
    .await?)
}
