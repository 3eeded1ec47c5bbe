//! DCV for people (the request page's panel, "Check now", method changes, the demo's publish
//! button, the Domains page) and for the forwarding worker (what placement returned, following a
//! pending order).

use super::model::{CheckOutcome, DcvName, DcvPanel, DomainRow};
use super::repo::{self, DcvRow, PlacedDcv};
use crate::error::{AppError, FormErrors};
use crate::features::auth::{CurrentUser, Role};
use crate::features::digicert::dcv::{AccountDomain, DcvRecord, NameValidation};
use crate::features::digicert::payload::{DcvMethod, OrderCreated};
use crate::features::requests::model::RequestStatus;
use crate::features::requests::options::Choice;
use crate::server::audit::{self, AuditEvent};
use crate::server::digicert::{DigicertClient, DigicertError};
use crate::server::format_time;
use sqlx::{PgPool, Postgres, Transaction};
use std::time::Duration;
use time::{Date, OffsetDateTime};

/// The longest the Domains page waits for DigiCert.
const DOMAINS_DEADLINE: Duration = Duration::from_secs(20);

/// The request, if `viewer` may see it: its requester, approvers and admins.
async fn visible(pool: &PgPool, viewer: &CurrentUser, id: i64) -> Result<DcvRow, AppError> {
    let row = repo::load(pool, id).await?.ok_or(AppError::NotFound)?;
    let sees_all = viewer.has(Role::Approver) || viewer.has(Role::Admin);
    if row.requester_id != viewer.id && !sees_all {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// The order at DigiCert that still waits, or why nothing can be done.
fn waiting_order(row: &DcvRow) -> Result<(i64, DcvMethod), AppError> {
    match (row.status, row.digicert_order_id, row.dcv_method) {
        (RequestStatus::Forwarded, Some(order_id), Some(method)) => Ok((order_id, method)),
        (RequestStatus::Issued, Some(order_id), Some(method)) if row.reissue_pending => {
            Ok((order_id, method))
        }
        _ => Err(AppError::Conflict(
            "This order no longer waits on domain validation.".into(),
        )),
    }
}

fn unreachable(err: DigicertError) -> AppError {
    tracing::warn!(error = %err, "DigiCert DCV call failed");
    AppError::Unavailable("DigiCert cannot be reached right now. Try again in a minute.".into())
}

/// `2026-12-30T23:59:59+00:00` or `2026-12-30` (end of that day, UTC).
pub fn parse_expiry(text: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(at) = OffsetDateTime::parse(text.trim(), &Rfc3339) {
        return Some(at);
    }
    let date = Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(date.with_hms(23, 59, 59).ok()?.assume_utc())
}

/// The panel of a request page; `None` when the order has no DCV (not yet placed, document
/// signing, a private CA).
pub async fn panel(
    pool: &PgPool,
    viewer: &CurrentUser,
    id: i64,
    demo: bool,
    today: Date,
) -> Result<Option<DcvPanel>, AppError> {
    let row = visible(pool, viewer, id).await?;
    let Some(method) = row.dcv_method else {
        return Ok(None);
    };
    let names = repo::names(pool, id)
        .await?
        .into_iter()
        .map(|n| DcvName {
            record: match (&row.dcv_random_value, n.validated) {
                (Some(value), false) => Some(DcvRecord::for_name(method, &n.dns_name, value))
                    .filter(|r| *r != DcvRecord::Email),
                _ => None,
            },
            dns_name: n.dns_name,
            validated: n.validated,
        })
        .collect();
    Ok(Some(DcvPanel {
        request_id: id,
        method,
        random_value: row.dcv_random_value,
        value_expires: row.dcv_value_expires_at.map(|at| at.date().to_string()),
        names,
        checked_at: row.dcv_checked_at.map(format_time),
        check_note: row.dcv_check_note,
        waiting: row.status == RequestStatus::Forwarded || row.reissue_pending,
        methods: DcvMethod::offered_on(today)
            .map(|m| Choice {
                id: m.as_str().into(),
                label: m.label().into(),
            })
            .collect(),
        demo,
    }))
}

/// Asks DigiCert to look for the records now and keeps what it says.
pub async fn check_now(
    pool: &PgPool,
    client: &DigicertClient,
    viewer: &CurrentUser,
    id: i64,
    min_interval_seconds: u32,
) -> Result<CheckOutcome, AppError> {
    let row = visible(pool, viewer, id).await?;
    let (order_id, method) = waiting_order(&row)?;
    if !method.is_token() {
        return Err(AppError::Conflict(
            "This order is validated by email: DigiCert waits for a domain contact to approve \
             the email it sent. Choose a DNS or file method to validate on your own."
                .into(),
        ));
    }
    // One check per interval and order, claimed atomically: clicks (or several people) cannot
    // spend DigiCert's rate budget.
    if !repo::claim_check(pool, id, min_interval_seconds).await? {
        return Err(AppError::TooManyRequests(format!(
            "DigiCert was asked about this order a moment ago; check again in {min_interval_seconds} seconds."
        )));
    }
    check_order(pool, client, id, order_id).await
}

/// One `check-dcv` and its result stored; shared by people and the worker.
async fn check_order(
    pool: &PgPool,
    client: &DigicertClient,
    id: i64,
    order_id: i64,
) -> Result<CheckOutcome, AppError> {
    match client.check_dcv(order_id).await {
        Ok(check) => {
            let issued = check.order_status.as_deref() == Some("issued");
            let outcome = outcome_of(&check.dns_name_validations, issued);
            repo::store_check(pool, id, &check.dns_name_validations, &outcome.message).await?;
            if issued {
                repo::hurry_tracking(pool, id).await?;
            }
            Ok(outcome)
        }
        Err(err) if err.is_dcv_not_found() => {
            let pending: Vec<String> = repo::names(pool, id)
                .await?
                .into_iter()
                .filter(|n| !n.validated)
                .map(|n| n.dns_name)
                .collect();
            let detail = match &err {
                DigicertError::Api { errors, .. } => errors
                    .first()
                    .map(|e| e.message.clone())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let message = format!(
                "DigiCert did not find the record yet for {}. {detail} DNS changes can take a few minutes to be seen.",
                pending.join(", ")
            );
            repo::store_check(pool, id, &[], &message).await?;
            Ok(CheckOutcome {
                message,
                validated: Vec::new(),
                pending,
                issued: false,
            })
        }
        Err(err) if err.codes().contains(&"expired_random_value") => {
            renew_value(pool, client, id, order_id).await?;
            Err(AppError::Conflict(
                "The random value had expired. DigiCert gave a new one: publish it and check again."
                    .into(),
            ))
        }
        Err(err) if !err.is_transient() => Err(AppError::Conflict(format!(
            "DigiCert could not check the order: {err}"
        ))),
        Err(err) => Err(unreachable(err)),
    }
}

fn outcome_of(validations: &[NameValidation], issued: bool) -> CheckOutcome {
    let (validated, pending): (Vec<_>, Vec<_>) = validations
        .iter()
        .partition(|v| matches!(v.status.as_str(), "approved" | "valid" | "complete"));
    let validated: Vec<String> = validated.into_iter().map(|v| v.dns_name.clone()).collect();
    let pending: Vec<String> = pending.into_iter().map(|v| v.dns_name.clone()).collect();
    let message = if issued {
        "DigiCert validated every name and issued the certificate; it appears here in a moment."
            .to_owned()
    } else if pending.is_empty() {
        "Every name is validated; DigiCert is finishing the order.".to_owned()
    } else {
        format!(
            "Validated: {}. Still waiting for: {}.",
            if validated.is_empty() {
                "none".to_owned()
            } else {
                validated.join(", ")
            },
            pending.join(", ")
        )
    };
    CheckOutcome {
        message,
        validated,
        pending,
        issued,
    }
}

async fn renew_value(
    pool: &PgPool,
    client: &DigicertClient,
    id: i64,
    order_id: i64,
) -> Result<(), AppError> {
    let value = client
        .dcv_random_value(order_id)
        .await
        .map_err(unreachable)?;
    let row = repo::load(pool, id).await?.ok_or(AppError::NotFound)?;
    let method = row.dcv_method.unwrap_or(DcvMethod::DnsTxtToken);
    repo::store_value(
        pool,
        id,
        method,
        value.dcv_random_value.as_deref(),
        value.expiration_date.as_deref().and_then(parse_expiry),
    )
    .await
}

/// Switches the order to another method; DigiCert answers with a new random value.
pub async fn change_method(
    pool: &PgPool,
    client: &DigicertClient,
    viewer: &CurrentUser,
    id: i64,
    method: &str,
    today: Date,
    client_ip: &str,
) -> Result<(), AppError> {
    let Some(method) =
        DcvMethod::parse(method).filter(|m| DcvMethod::offered_on(today).any(|o| o == *m))
    else {
        return Err(AppError::Invalid(
            FormErrors::new("Choose a validation method from the list.")
                .field("dcv_method", "Choose one of the methods listed."),
        ));
    };
    let row = visible(pool, viewer, id).await?;
    let (order_id, previous) = waiting_order(&row)?;
    let value = match client.change_dcv_method(order_id, method).await {
        Ok(value) => value,
        Err(err) if !err.is_transient() => {
            return Err(AppError::Conflict(format!(
                "DigiCert did not change the method: {err}"
            )));
        }
        Err(err) => return Err(unreachable(err)),
    };
    let mut tx = pool.begin().await?;
    repo::store_value(
        &mut *tx,
        id,
        method,
        value.dcv_random_value.as_deref(),
        value.expiration_date.as_deref().and_then(parse_expiry),
    )
    .await?;
    audit::record(
        &mut *tx,
        AuditEvent {
            actor_id: Some(viewer.id),
            action: "dcv_method_changed",
            subject: Some(&id.to_string()),
            client_ip: Some(client_ip),
            details: serde_json::json!({
                "request_id": id, "order_id": order_id,
                "from": previous.as_str(), "to": method.as_str(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Demo mode only: writes each waiting name's record into the simulator's DNS or web.
pub async fn publish_in_demo(
    pool: &PgPool,
    client: &DigicertClient,
    viewer: &CurrentUser,
    id: i64,
    demo: bool,
    client_ip: &str,
) -> Result<usize, AppError> {
    if !demo {
        return Err(AppError::NotFound);
    }
    let row = visible(pool, viewer, id).await?;
    let (_, method) = waiting_order(&row)?;
    let Some(value) = row
        .dcv_random_value
        .as_deref()
        .filter(|_| method.is_token())
    else {
        return Err(AppError::Conflict(
            "Email validation has nothing to publish; choose a DNS or file method first.".into(),
        ));
    };
    let waiting: Vec<String> = repo::names(pool, id)
        .await?
        .into_iter()
        .filter(|n| !n.validated)
        .map(|n| n.dns_name)
        .collect();
    for name in &waiting {
        client
            .publish_in_simulator(&DcvRecord::for_name(method, name, value))
            .await
            .map_err(unreachable)?;
    }
    audit::record(
        pool,
        AuditEvent {
            actor_id: Some(viewer.id),
            action: "dcv_record_published_demo",
            subject: Some(&id.to_string()),
            client_ip: Some(client_ip),
            details: serde_json::json!({ "request_id": id, "names": waiting }),
        },
    )
    .await?;
    Ok(waiting.len())
}

/// Every domain DigiCert knows for the account, the soonest DCV lapse first.
pub async fn domains(client: &DigicertClient, today: Date) -> Result<Vec<DomainRow>, AppError> {
    let domains = match tokio::time::timeout(DOMAINS_DEADLINE, client.domains()).await {
        Ok(Ok(domains)) => domains,
        Ok(Err(err)) => return Err(unreachable(err)),
        Err(_) => return Err(unreachable(DigicertError::Timeout)),
    };
    let mut rows: Vec<DomainRow> = domains.iter().map(|d| domain_row(d, today)).collect();
    rows.sort_by(|a, b| {
        (a.dcv_expires.is_none(), &a.dcv_expires, &a.name).cmp(&(
            b.dcv_expires.is_none(),
            &b.dcv_expires,
            &b.name,
        ))
    });
    Ok(rows)
}

/// Copies the account's domains and their DCV lapse days into the database (the Certificates
/// view's "DCV lapsing"); answers how many there are.
pub async fn refresh_account_domains(
    pool: &PgPool,
    client: &DigicertClient,
) -> Result<usize, AppError> {
    let domains = client.domains().await.map_err(unreachable)?;
    let rows: Vec<(String, Option<Date>)> = domains
        .iter()
        .map(|d| (d.name.to_ascii_lowercase(), dcv_expiry(d)))
        .collect();
    super::repo::store_account_domains(pool, &rows).await?;
    Ok(rows.len())
}

fn dcv_expiry(domain: &AccountDomain) -> Option<Date> {
    domain
        .dcv_expiration
        .as_ref()
        .and_then(|e| e.ov.as_deref().or(e.ev.as_deref()))
        .and_then(parse_expiry)
        .map(|at| at.date())
}

fn domain_row(domain: &AccountDomain, today: Date) -> DomainRow {
    let expires = dcv_expiry(domain);
    DomainRow {
        name: domain.name.clone(),
        organization: domain
            .organization
            .as_ref()
            .and_then(|o| o.name.clone())
            .unwrap_or_default(),
        validations: domain
            .validations
            .iter()
            .map(|v| {
                format!(
                    "{} {}",
                    v.kind.to_uppercase(),
                    v.status.as_deref().unwrap_or("unknown")
                )
            })
            .collect(),
        dcv_method: domain
            .dcv_method
            .as_deref()
            .and_then(DcvMethod::parse)
            .map(|m| m.label().to_owned())
            .unwrap_or_default(),
        dcv_expires: expires.map(|d| d.to_string()),
        days_left: expires.map(|d| (d - today).whole_days()),
    }
}

/// After placement: the method the order was sent with and what DigiCert answered about its
/// names. An order issued at once has every name validated.
pub async fn record_placement(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    method: Option<DcvMethod>,
    created: &OrderCreated,
) -> Result<(), AppError> {
    if created.domains.is_empty() && created.dcv_random_value.is_none() {
        return Ok(());
    }
    let issued = !created.certificate_chain.is_empty();
    let names: Vec<(String, bool)> = created
        .domains
        .iter()
        .map(|d| {
            let valid = d
                .dcv_token
                .as_ref()
                .and_then(|t| t.status.as_deref())
                .is_some_and(|s| matches!(s, "valid" | "approved" | "complete"));
            (d.name.to_ascii_lowercase(), issued || valid)
        })
        .collect();
    let expires = created
        .domains
        .iter()
        .find_map(|d| d.dcv_token.as_ref()?.expiration_date.as_deref())
        .and_then(parse_expiry);
    repo::store_placed(
        tx,
        id,
        &PlacedDcv {
            method: method.unwrap_or(DcvMethod::Email),
            random_value: created.dcv_random_value.as_deref(),
            value_expires: expires,
            names: &names,
        },
    )
    .await
}

/// The worker's turn on an order still pending at DigiCert: ask for the random value when
/// placement did not bring it (an order found again after a crash), and check token methods, as
/// DigiCert advises, so the order moves on without anyone clicking. Answers whether DigiCert
/// issued the certificate on that check.
pub async fn follow_pending(
    pool: &PgPool,
    client: &DigicertClient,
    id: i64,
    order_id: i64,
) -> Result<bool, AppError> {
    let Some(row) = repo::load(pool, id).await? else {
        return Ok(false);
    };
    let Some(method) = row.dcv_method else {
        return Ok(false);
    };
    if row.dcv_random_value.is_none() && method.is_token() {
        renew_value(pool, client, id, order_id).await?;
    }
    let waiting = repo::names(pool, id).await?.iter().any(|n| !n.validated);
    if method.is_token() && waiting {
        return Ok(check_order(pool, client, id, order_id).await?.issued);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn expiries_read_with_or_without_a_time() {
        assert_eq!(
            parse_expiry("2026-12-30T23:59:59+00:00").unwrap().date(),
            date!(2026 - 12 - 30)
        );
        assert_eq!(
            parse_expiry("2026-12-30").unwrap().date(),
            date!(2026 - 12 - 30)
        );
        assert!(parse_expiry("soon").is_none());
    }

    #[test]
    fn a_check_lists_what_is_validated_and_what_waits() {
        let v = |n: &str, s: &str| NameValidation {
            dns_name: n.into(),
            status: s.into(),
        };
        let partial = outcome_of(
            &[
                v("a.example.net", "approved"),
                v("b.example.net", "pending"),
            ],
            false,
        );
        assert_eq!(partial.validated, ["a.example.net"]);
        assert_eq!(partial.pending, ["b.example.net"]);
        assert!(partial.message.contains("Still waiting for: b.example.net"));
        let done = outcome_of(&[v("a.example.net", "approved")], true);
        assert!(done.issued && done.message.contains("issued"));
    }

    #[test]
    fn domains_sort_by_the_soonest_lapse_first() {
        let today = date!(2026 - 11 - 30);
        let domain = |name: &str, expires: Option<&str>| AccountDomain {
            id: 1,
            name: name.into(),
            is_active: Some(true),
            organization: None,
            validations: vec![],
            dcv_method: Some("dns-txt-token".into()),
            dcv_expiration: expires.map(|e| crate::features::digicert::dcv::DcvExpiration {
                ov: Some(e.into()),
                ev: None,
            }),
        };
        let row = domain_row(
            &domain("example.org", Some("2026-12-19T23:59:59+00:00")),
            today,
        );
        assert_eq!(row.days_left, Some(19));
        assert_eq!(row.dcv_method, "DNS TXT record");
        assert_eq!(domain_row(&domain("x", None), today).days_left, None);
    }
}
