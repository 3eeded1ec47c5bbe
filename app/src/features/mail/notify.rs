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

#[derive(sqlx::FromRow)]
struct About {
    title: String,
    product: String,
    requester_id: Uuid,
    requester: String,
}

async fn about(db: &mut PgConnection, id: i64) -> Result<About, AppError> {
    Ok(sqlx::query_as(
        "select r.title, r.product, r.requester_id, u.display_name as requester
           from requests r join users u on u.id = r.requester_id where r.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *db)
    .await?)
}

/// A request waits for a decision: every approver but its requester.
pub async fn request_waiting(db: &mut PgConnection, id: i64) -> Result<(), AppError> {
    let a = about(db, id).await?;
    let product = ProductId::parse(&a.product)
        .map(ProductId::display_name)
        .unwrap_or("certificate");
    let mail = compose::approval_waiting(id, &a.title, product, &a.requester);
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

#[derive(sqlx::FromRow)]
struct DcvState {
    dcv_method: Option<DcvMethod>,
    dcv_random_value: Option<String>,
}

/// DigiCert waits for DCV: the requester, with the record to publish when there is one.
pub async fn dcv_needed(db: &mut PgConnection, id: i64) -> Result<(), AppError> {
    let names: Vec<String> = sqlx::query_scalar(
        "select dns_name from request_dcv_names where request_id = $1 and not validated
          order by dns_name",
    )
    .bind(id)
    .fetch_all(&mut *db)
    .await?;
    if names.is_empty() {
        return Ok(());
    }
    let state: DcvState =
        sqlx::query_as("select dcv_method, dcv_random_value from requests where id = $1")
            .bind(id)
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
    let refusals: i64 = sqlx::query_scalar(
        "select count(*) from request_events where request_id = $1 and to_status = 'forward_failed'",
    )
    .bind(id)
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
