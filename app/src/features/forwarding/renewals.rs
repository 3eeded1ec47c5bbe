//! Orders DigiCert renews itself (`auto_renew`): they appear in the status-changes feed as
//! orders certdesk did not place. Each one whose order info names a renewed order certdesk knows
//! becomes a request of its own (`origin = 'auto_renewal'`), linked to the order it renews and
//! followed by the worker until its certificate is issued, instead of being lost.

use crate::error::AppError;
use crate::features::digicert::account::OrderInfo;
use crate::features::requests::model::RequestStatus;
use crate::features::requests::repo;
use crate::server::digicert::DigicertClient;
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::Mutex;

/// Looks at the feed's orders that no request holds; answers how many renewals were attached.
/// `not_renewals` remembers the orders already found to be something else (placed in
/// CertCentral by hand, say), so they are asked about once per process.
pub async fn discover(
    pool: &PgPool,
    client: &DigicertClient,
    order_ids: &[i64],
    not_renewals: &Mutex<HashSet<i64>>,
) -> Result<usize, AppError> {
    let unknown: Vec<i64> = sqlx::query_scalar!(
        r#"select o as "order_id!" from unnest($1::bigint[]) o
          where not exists (select 1 from requests r where r.digicert_order_id = o)"#,
        order_ids
    )
    .fetch_all(pool)
    .await?;
    let mut attached = 0;
    for order_id in unknown {
        if not_renewals
            .lock()
            .expect("renewals lock")
            .contains(&order_id)
        {
            continue;
        }
        let info = match client.order_info(order_id).await {
            Ok(info) => info,
            Err(err) => {
                tracing::info!(order_id, error = %err, "an order in the feed could not be read; asked again next time");
                continue;
            }
        };
        let predecessor = match info.renewed_order_id {
            Some(renewed) => predecessor_of(pool, renewed).await?,
            None => None,
        };
        match predecessor {
            Some(predecessor) => {
                if attach(pool, predecessor, &info).await? {
                    attached += 1;
                }
            }
            None => {
                not_renewals.lock().expect("renewals lock").insert(order_id);
            }
        }
    }
    Ok(attached)
}

async fn predecessor_of(pool: &PgPool, renewed_order_id: i64) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        "select id from requests where digicert_order_id = $1 order by id limit 1",
        renewed_order_id
    )
    .fetch_optional(pool)
    .await?)
}

/// The successor becomes a forwarded request of the predecessor's requester, with the same
/// values, and a tracking job; `false` when another worker attached it first.
async fn attach(pool: &PgPool, predecessor: i64, info: &OrderInfo) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar!(
        "insert into requests (requester_id, form_kind, product, title, dns_names, organization_id,
                               form, csr_pem, csr_summary, payload, names_text, status, origin,
                               digicert_order_id, digicert_status, renewal_of_request_id,
                               order_valid_till)
         select requester_id, form_kind, product, title, dns_names, organization_id, form,
                csr_pem, csr_summary, payload, names_text, 'forwarded', 'auto_renewal', $2, $3,
                id, $4
           from requests where id = $1
         returning id",
        predecessor,
        info.id,
        &info.status,
        info.order_valid_till
            .as_deref()
            .and_then(super::worker::order_end),
    )
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let note = format!(
        "DigiCert renewed the order of request {predecessor} itself (auto-renew) as order {}.",
        info.id
    );
    repo::add_event(
        &mut tx,
        id,
        None,
        None,
        RequestStatus::Forwarded,
        Some(&note),
    )
    .await?;
    sqlx::query!(
        "insert into forward_jobs (request_id, kind) values ($1, 'track')",
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        request_id = id,
        predecessor,
        order_id = info.id,
        "auto-renewed order attached"
    );
    Ok(true)
}
