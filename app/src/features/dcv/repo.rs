//! DCV rows: the order's method and random value on `requests`, each name in `request_dcv_names`.

use crate::error::AppError;
use crate::features::digicert::dcv::NameValidation;
use crate::features::digicert::payload::DcvMethod;
use crate::features::requests::model::RequestStatus;
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

/// A request as DCV needs it.
#[derive(Debug, Clone)]
pub struct DcvRow {
    pub requester_id: Uuid,
    pub status: RequestStatus,
    pub digicert_order_id: Option<i64>,
    pub dcv_method: Option<DcvMethod>,
    pub dcv_random_value: Option<String>,
    pub dcv_value_expires_at: Option<OffsetDateTime>,
    pub dcv_checked_at: Option<OffsetDateTime>,
    pub dcv_check_note: Option<String>,
    /// A reissue of the issued order waits at DigiCert (its new names may need DCV).
    pub reissue_pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRow {
    pub dns_name: String,
    pub validated: bool,
}

pub async fn load(pool: &PgPool, id: i64) -> Result<Option<DcvRow>, AppError> {
    Ok(sqlx::query_as!(
        DcvRow,
        r#"select requester_id, status as "status: RequestStatus", digicert_order_id,
                  dcv_method as "dcv_method: DcvMethod", dcv_random_value, dcv_value_expires_at,
                  dcv_checked_at, dcv_check_note,
                  exists(select 1 from certificate_changes c
                          where c.request_id = requests.id and c.kind = 'reissue'
                            and c.status = 'sent') as "reissue_pending!"
             from requests where id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?)
}

pub async fn names(pool: &PgPool, id: i64) -> Result<Vec<NameRow>, AppError> {
    Ok(sqlx::query_as!(
        NameRow,
        "select dns_name, validated from request_dcv_names where request_id = $1
          order by dns_name",
        id
    )
    .fetch_all(pool)
    .await?)
}

/// DigiCert's DCV state as placement (or a later look-up) returned it.
pub struct PlacedDcv<'a> {
    pub method: DcvMethod,
    pub random_value: Option<&'a str>,
    pub value_expires: Option<OffsetDateTime>,
    /// Each name and whether it is already validated.
    pub names: &'a [(String, bool)],
}

pub async fn store_placed(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    dcv: &PlacedDcv<'_>,
) -> Result<(), AppError> {
    sqlx::query!(
        "update requests set dcv_method = $2, dcv_random_value = $3, dcv_value_expires_at = $4
          where id = $1",
        id,
        dcv.method as DcvMethod,
        dcv.random_value,
        dcv.value_expires
    )
    .execute(&mut **tx)
    .await?;
    let (names, validated): (Vec<String>, Vec<bool>) = dcv.names.iter().cloned().unzip();
    sqlx::query!(
        "insert into request_dcv_names (request_id, dns_name, validated)
         select $1, n, v from unnest($2::text[], $3::boolean[]) as t(n, v)
         on conflict (request_id, dns_name) do update set validated = excluded.validated",
        id,
        &names,
        &validated
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A new method or random value (the names keep their state: validated stays validated).
pub async fn store_value(
    db: impl PgExecutor<'_>,
    id: i64,
    method: DcvMethod,
    random_value: Option<&str>,
    value_expires: Option<OffsetDateTime>,
) -> Result<(), AppError> {
    sqlx::query!(
        "update requests set dcv_method = $2, dcv_random_value = $3, dcv_value_expires_at = $4
          where id = $1",
        id,
        method as DcvMethod,
        random_value,
        value_expires
    )
    .execute(db)
    .await?;
    Ok(())
}

/// What a check found: per-name states (when DigiCert named them) and the note shown.
pub async fn store_check(
    pool: &PgPool,
    id: i64,
    validations: &[NameValidation],
    note: &str,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "update requests set dcv_checked_at = now(), dcv_check_note = $2 where id = $1",
        id,
        note
    )
    .execute(&mut *tx)
    .await?;
    let approved: Vec<String> = validations
        .iter()
        .filter(|v| matches!(v.status.as_str(), "approved" | "valid" | "complete"))
        .map(|v| v.dns_name.to_ascii_lowercase())
        .collect();
    sqlx::query!(
        "update request_dcv_names set validated = true
          where request_id = $1 and dns_name = any($2)",
        id,
        &approved
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes the order's turn for a check: false when one ran less than `seconds` ago.
pub async fn claim_check(pool: &PgPool, id: i64, seconds: u32) -> Result<bool, AppError> {
    Ok(sqlx::query!(
        "update requests set dcv_checked_at = now()
          where id = $1
            and (dcv_checked_at is null
                 or dcv_checked_at <= now() - make_interval(secs => $2::double precision))",
        id,
        f64::from(seconds)
    )
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}

/// Every name counts as validated once the certificate is issued.
pub async fn all_validated(db: impl PgExecutor<'_>, id: i64) -> Result<(), AppError> {
    sqlx::query!(
        "update request_dcv_names set validated = true where request_id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Orders at DigiCert that still wait on DCV: all of them, or one requester's.
pub async fn waiting_count(pool: &PgPool, requester: Option<Uuid>) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "count!" from requests r
          where r.status = 'forwarded' and ($1::uuid is null or r.requester_id = $1)
            and exists (select 1 from request_dcv_names n
                         where n.request_id = r.id and not n.validated)"#,
        requester
    )
    .fetch_one(pool)
    .await?)
}

/// Makes the order's tracking job due now, so the worker collects an issued certificate at once.
pub async fn hurry_tracking(pool: &PgPool, id: i64) -> Result<(), AppError> {
    sqlx::query!(
        "update forward_jobs set next_attempt_at = now()
          where request_id = $1 and kind = 'track' and next_attempt_at > now()",
        id
    )
    .execute(pool)
    .await?;
    // A reissue waiting at DigiCert is collected the same way.
    sqlx::query!(
        "update change_jobs j set next_attempt_at = now()
           from certificate_changes c
          where c.id = j.change_id and c.request_id = $1 and j.phase = 'track'
            and j.next_attempt_at > now()",
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A reissue placed at DigiCert that waits there: its names join the order's DCV list (new ones
/// unvalidated) and the stored random value is dropped, as DigiCert gives the reissue its own.
pub async fn reissue_waiting(
    db: &mut sqlx::PgConnection,
    id: i64,
    names: &[String],
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into request_dcv_names (request_id, dns_name)
         select $1, n from unnest($2::text[]) n
         on conflict (request_id, dns_name) do nothing",
        id,
        names
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        "update requests set dcv_random_value = null, dcv_value_expires_at = null
          where id = $1 and dcv_method is not null",
        id
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Replaces the stored copy of the account's domains and their DCV lapse days.
pub async fn store_account_domains(
    pool: &PgPool,
    domains: &[(String, Option<time::Date>)],
) -> Result<(), AppError> {
    let names: Vec<String> = domains.iter().map(|(n, _)| n.clone()).collect();
    let expiries: Vec<Option<time::Date>> = domains.iter().map(|(_, e)| *e).collect();
    let mut tx = pool.begin().await?;
    sqlx::query!("delete from account_domains where name <> all($1)", &names)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "insert into account_domains (name, dcv_expires_on)
         select * from unnest($1::text[], $2::date[])
         on conflict (name) do update set dcv_expires_on = excluded.dcv_expires_on,
                                          refreshed_at = now()",
        &names,
        &expiries as &[Option<time::Date>]
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes the next run of the periodic task `name` for this instance: true at most once per
/// `every` across all instances.
pub async fn claim_periodic(
    pool: &PgPool,
    name: &str,
    every: std::time::Duration,
) -> Result<bool, AppError> {
    Ok(sqlx::query!(
        "insert into periodic_tasks (name, next_run_at)
         values ($1, now() + make_interval(secs => $2))
         on conflict (name) do update set next_run_at = now() + make_interval(secs => $2)
          where periodic_tasks.next_run_at <= now()",
        name,
        every.as_secs_f64()
    )
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}
