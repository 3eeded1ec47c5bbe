//! The events that mail someone, each written in the caller's transaction (the outbox), so a
//! mail exists exactly when its event does.

use super::compose;
use super::repo::{Recipients, enqueue};
use crate::error::AppError;
use crate::features::digicert::dcv::DcvRecord;
use crate::features::digicert::payload::DcvMethod;
use crate::features::digicert::products::ProductId;
use sqlx::PgConnection;
use uuid::Uuid;

struct About {
    title: String,
    product: ProductId,
    requester_id: Uuid,
    requester: String,
}

async fn about(db: &mut PgConnection, id: i64) -> Result<About, AppError> {
    Ok(sqlx::query_as!(
        About,
        r#"select r.title, r.product as "product: ProductId", r.requester_id,
                  u.display_name as requester
             from requests r join users u on u.id = r.requester_id where r.id = $1"#,
        id
    )
    .fetch_one(&mut *db)
    .await?)
}

/// A request waits for a decision: every approver but its requester.
pub async fn request_waiting(db: &mut PgConnection, id: i64) -> Result<(), AppError> {
    let a = about(db, id).await?;
    let mail = compose::approval_waiting(id, &a.title, a.product.display_name(), &a.requester);
    let to = Recipients::Role {
        role: "approver",
        except: Some(a.requester_id),
    };
    enqueue(db, to, &mail, &format!("request:{id}:waiting")).await?;
    Ok(())
}

/// Approved or rejected: the requester, with the approver's words.
pub async fn request_decided(
    db: &mut PgConnection,
    id: i64,
    approved: bool,
    note: Option<&str>,
) -> Result<(), AppError> {
    let a = about(db, id).await?;
    let mail = compose::decided(id, &a.title, approved, note);
    enqueue(
        db,
        Recipients::User(a.requester_id),
        &mail,
        &format!("request:{id}:decided"),
    )
    .await?;
    Ok(())
}

/// The certificate is ready: the requester.
pub async fn certificate_issued(
    db: &mut PgConnection,
    id: i64,
    serial: &str,
    valid_till: time::Date,
) -> Result<(), AppError> {
    let a = about(db, id).await?;
    let mail = compose::issued(id, &a.title, &valid_till.to_string());
    let key = format!("request:{id}:issued:{serial}");
    enqueue(db, Recipients::User(a.requester_id), &mail, &key).await?;
    Ok(())
}

struct DcvState {
    dcv_method: Option<DcvMethod>,
    dcv_random_value: Option<String>,
}

/// DigiCert waits for DCV: the requester, with the record to publish when there is one.
pub async fn dcv_needed(db: &mut PgConnection, id: i64) -> Result<(), AppError> {
    let names: Vec<String> = sqlx::query_scalar!(
        "select dns_name from request_dcv_names where request_id = $1 and not validated
          order by dns_name",
        id
    )
    .fetch_all(&mut *db)
    .await?;
    if names.is_empty() {
        return Ok(());
    }
    let state = sqlx::query_as!(
        DcvState,
        r#"select dcv_method as "dcv_method: DcvMethod", dcv_random_value
             from requests where id = $1"#,
        id
    )
    .fetch_one(&mut *db)
    .await?;
    let record = match (state.dcv_method, state.dcv_random_value) {
        (Some(method), Some(value)) => match DcvRecord::for_name(method, &names[0], &value) {
            DcvRecord::Txt { name, value } => {
                Some(format!("a TXT record at {name} with the value {value}"))
            }
            DcvRecord::Cname { name, target } => {
                Some(format!("a CNAME record {name} pointing to {target}"))
            }
            DcvRecord::File { url, content } => Some(format!("a file at {url} holding {content}")),
            DcvRecord::Email => None,
        },
        _ => None,
    };
    let a = about(db, id).await?;
    let mail = compose::dcv_needed(id, &a.title, &names, record.as_deref());
    enqueue(
        db,
        Recipients::User(a.requester_id),
        &mail,
        &format!("request:{id}:dcv"),
    )
    .await?;
    Ok(())
}

/// DigiCert refused an order: every admin.
pub async fn forward_failed(db: &mut PgConnection, id: i64, error: &str) -> Result<(), AppError> {
    let a = about(db, id).await?;
    // Each refusal is its own event (an order may be retried and refused again).
    let refusals: i64 = sqlx::query_scalar!(
        r#"select count(*) as "count!" from request_events
            where request_id = $1 and to_status = 'forward_failed'"#,
        id
    )
    .fetch_one(&mut *db)
    .await?;
    let mail = compose::forward_failed(id, &a.title, error);
    let to = Recipients::Role {
        role: "admin",
        except: None,
    };
    enqueue(db, to, &mail, &format!("request:{id}:failed:{refusals}")).await?;
    Ok(())
}

struct Ending {
    certificate_id: i64,
    request_id: i64,
    title: String,
    serial_number: String,
    not_after: time::OffsetDateTime,
    order_valid_till: Option<time::Date>,
    requester_id: Uuid,
}

struct Renewable {
    id: i64,
    title: String,
    order_valid_till: time::Date,
    requester_id: Uuid,
}

/// The reminder days before a certificate's end.
pub const REMINDER_DAYS: [i64; 4] = [1, 7, 14, 30];

/// The reminder a certificate with `days_left` is due for: the smallest threshold it is within.
pub fn reminder_for(days_left: i64) -> Option<i64> {
    REMINDER_DAYS.into_iter().find(|d| days_left <= *d)
}

/// Reminders for certificates ending within 30 days (each threshold once) and orders within the
/// renewal window that nobody renewed yet (once): to the requester and the admins. Idempotent,
/// so any instance may run it any number of times; answers how many mails were written.
pub async fn reminders(pool: &sqlx::PgPool, renew_window_days: u32) -> Result<u64, AppError> {
    let now = time::OffsetDateTime::now_utc();
    let ending = sqlx::query_as!(
        Ending,
        "select c.id as certificate_id, c.request_id, r.title, c.serial_number, c.not_after,
                r.order_valid_till, r.requester_id
           from certificates c join requests r on r.id = c.request_id
          where c.status = 'issued' and c.kind <> 'duplicate'
            and c.not_after > now() and c.not_after <= now() + interval '30 days'"
    )
    .fetch_all(pool)
    .await?;
    let mut written = 0;
    for c in ending {
        let days = (c.not_after - now).whole_days().max(0);
        let Some(threshold) = reminder_for(days) else {
            continue;
        };
        let runs_on = c
            .order_valid_till
            .is_some_and(|end| end > c.not_after.date());
        let mail = compose::expiring(
            c.request_id,
            &c.title,
            &c.serial_number,
            &c.not_after.date().to_string(),
            days,
            runs_on,
        );
        let key = format!("certificate:{}:ends-in:{threshold}", c.certificate_id);
        written += remind(pool, c.requester_id, &mail, &key).await?;
    }
    let renewable = sqlx::query_as!(
        Renewable,
        r#"select r.id, r.title, r.order_valid_till as "order_valid_till!", r.requester_id
             from requests r
            where r.status = 'issued' and r.order_valid_till <= current_date + $1::int
              and r.order_valid_till >= current_date
              and not exists (select 1 from requests n where n.renewal_of_request_id = r.id)"#,
        i32::try_from(renew_window_days).unwrap_or(i32::MAX)
    )
    .fetch_all(pool)
    .await?;
    for r in renewable {
        let mail = compose::renew_due(r.id, &r.title, &r.order_valid_till.to_string());
        written += remind(
            pool,
            r.requester_id,
            &mail,
            &format!("request:{}:renew", r.id),
        )
        .await?;
    }
    Ok(written)
}

/// One reminder to the requester and the admins, in one transaction.
async fn remind(
    pool: &sqlx::PgPool,
    requester: Uuid,
    mail: &compose::Composed,
    key: &str,
) -> Result<u64, AppError> {
    let mut tx = pool.begin().await?;
    let mut n = enqueue(&mut tx, Recipients::User(requester), mail, key).await?;
    n += enqueue(
        &mut tx,
        Recipients::Role {
            role: "admin",
            except: Some(requester),
        },
        mail,
        key,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

struct Waiting {
    id: i64,
    title: String,
    requester: String,
}

/// Once a day: each approver who chose the digest gets one mail listing the requests waiting for
/// them (not their own), when there are any. Idempotent per day.
pub async fn approval_digests(pool: &sqlx::PgPool) -> Result<u64, AppError> {
    let readers = sqlx::query_scalar!(
        "select u.id from users u join mail_preferences d on d.user_id = u.id
          where u.active and 'approver' = any(u.roles)
            and d.kind = 'approval_digest' and d.enabled
            and not exists (select 1 from mail_preferences p where p.user_id = u.id
                             and p.kind = 'approval_waiting' and not p.enabled)"
    )
    .fetch_all(pool)
    .await?;
    let day = time::OffsetDateTime::now_utc().date();
    let mut written = 0;
    for reader in readers {
        let waiting = sqlx::query_as!(
            Waiting,
            "select r.id, r.title, u.display_name as requester
               from requests r join users u on u.id = r.requester_id
              where r.status = 'pending_approval' and r.requester_id <> $1
              order by r.submitted_at, r.id limit 200",
            reader
        )
        .fetch_all(pool)
        .await?;
        if waiting.is_empty() {
            continue;
        }
        let list: Vec<(i64, String, String)> = waiting
            .into_iter()
            .map(|w| (w.id, w.title, w.requester))
            .collect();
        let mail = compose::approval_digest(&list);
        let mut tx = pool.begin().await?;
        written += enqueue(
            &mut tx,
            Recipients::User(reader),
            &mail,
            &format!("digest:{day}"),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_threshold_is_reached_once() {
        assert_eq!(reminder_for(45), None);
        assert_eq!(reminder_for(30), Some(30));
        assert_eq!(reminder_for(20), Some(30));
        assert_eq!(reminder_for(14), Some(14));
        assert_eq!(reminder_for(5), Some(7));
        assert_eq!(reminder_for(0), Some(1));
    }
}
