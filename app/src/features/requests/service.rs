//! What the request server functions do, as plain functions the tests call directly.

use super::model::{RequestDetail, RequestForm, RequestStatus, prepare};
use super::repo::{self, NewRequest};
use crate::error::{AppError, FormErrors};
use crate::features::auth::{CurrentUser, Role};
use crate::features::digicert::pricing::Price;
use sqlx::PgPool;
use time::Date;

/// `alternative_order_id` of a request: letters and digits, unique per request, so a retried
/// placement finds the order an earlier attempt created.
pub fn alternative_order_id(request_id: i64) -> String {
    format!("certdesk{request_id}")
}

/// The form against the account's lists; when something is wrong, every problem of the form (its
/// own rules too) comes back at once, with what was typed.
pub fn check_account(
    form: &RequestForm,
    options: &super::options::OrderOptions,
    today: Date,
) -> Result<(), AppError> {
    let mut account = FormErrors::new("Some fields need your attention.");
    super::account_check::check_against_account(form, options, &mut account);
    if account.is_empty() {
        // The form's own rules run once, at submission.
        return Ok(());
    }
    // Something is wrong: show the form's own problems with the account's, all at once.
    let mut errors = prepare(form, today).err().unwrap_or(account.clone());
    for (field, problems) in account.fields {
        let known = errors.fields.entry(field).or_default();
        for problem in problems {
            if !known.contains(&problem) {
                known.push(problem);
            }
        }
    }
    errors.kept = form.kept();
    Err(AppError::Invalid(errors))
}

/// Checks the form again with the shared rules and stores the request, its first timeline entry
/// and an audit row in one transaction. Nothing is written when anything is wrong.
pub async fn submit(
    pool: &PgPool,
    requester: &CurrentUser,
    form: &RequestForm,
    skip_approval: bool,
    today: Date,
) -> Result<i64, AppError> {
    submit_priced(pool, requester, form, skip_approval, today, None).await
}

/// [`submit`] with DigiCert's price estimate stored beside the request.
pub async fn submit_priced(
    pool: &PgPool,
    requester: &CurrentUser,
    form: &RequestForm,
    skip_approval: bool,
    today: Date,
    price: Option<&Price>,
) -> Result<i64, AppError> {
    let prepared = prepare(form, today).map_err(AppError::Invalid)?;
    let mut tx = pool.begin().await?;
    let id = repo::next_request_id(&mut tx).await?;
    let mut order = prepared.order.clone();
    order.set_alternative_order_id(alternative_order_id(id));
    if skip_approval {
        order.set_skip_approval(true);
    }
    repo::insert_request(
        &mut tx,
        id,
        NewRequest {
            requester_id: requester.id,
            form_kind: &form.kind,
            product: prepared.product,
            title: &prepared.title,
            dns_names: &prepared.dns_names,
            organization_id: prepared.organization_id,
            form,
            csr: prepared.csr.as_ref(),
            payload: order.body_json(),
            price,
        },
    )
    .await?;
    // A renewal names the order it renews; keep the link to that order's request both ways.
    if let Ok(order_id) = form.renewal_of_order_id.trim().parse::<i64>() {
        repo::link_renewal(&mut tx, id, order_id).await?;
    }
    crate::features::mail::notify::request_waiting(&mut tx, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Approvers and admins see every request; everyone else only their own. Others get 404, so
/// request ids reveal nothing.
pub async fn detail_for(
    pool: &PgPool,
    viewer: &CurrentUser,
    id: i64,
) -> Result<RequestDetail, AppError> {
    let (requester_id, mut detail) = repo::detail(pool, id).await?.ok_or(AppError::NotFound)?;
    let sees_all = viewer.has(Role::Approver) || viewer.has(Role::Admin);
    let owner = requester_id == viewer.id;
    if !owner && !sees_all {
        return Err(AppError::NotFound);
    }
    detail.can_cancel &= owner;
    detail.can_retry &= viewer.has(Role::Admin);
    detail.can_decide &= viewer.has(Role::Approver) && !owner;
    detail.can_renew &= owner;
    Ok(detail)
}

/// Whether `viewer` may renew the order now: their own, issued, ending within `window_days`.
pub fn renewable(
    detail: &RequestDetail,
    viewer: &CurrentUser,
    today: Date,
    window_days: u32,
) -> bool {
    let ends = detail.order_valid_till.as_deref().and_then(|d| {
        Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
    });
    viewer.has(Role::Requester)
        && detail.summary.status == RequestStatus::Issued
        && detail.digicert.is_some()
        && ends.is_some_and(|end| (end - today).whole_days() <= i64::from(window_days))
}

/// The form of a renewal: the order's own values (names, organization, product, custom fields)
/// with `renewal_of_order_id` set and the CSR left for the new key.
pub async fn renewal_form(
    pool: &PgPool,
    viewer: &CurrentUser,
    id: i64,
    today: Date,
    window_days: u32,
) -> Result<RequestForm, AppError> {
    let detail = detail_for(pool, viewer, id).await?;
    if !(detail.can_renew && renewable(&detail, viewer, today, window_days)) {
        return Err(AppError::Conflict(format!(
            "Only an issued order can be renewed, from {window_days} days before it ends{}.",
            detail
                .order_valid_till
                .as_deref()
                .map(|d| format!(" (this one runs until {d})"))
                .unwrap_or_default()
        )));
    }
    let mut form = detail.form;
    form.csr.clear();
    form.renewal_of_order_id = detail
        .digicert
        .map(|d| d.order_id.to_string())
        .unwrap_or_default();
    form.comments = format!("Renewal of request {id}.");
    Ok(form)
}

/// Cancels one's own request while it waits for approval.
pub async fn cancel(pool: &PgPool, requester: &CurrentUser, id: i64) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let Some((owner, status)) = repo::status_for_update(&mut tx, id).await? else {
        return Err(AppError::NotFound);
    };
    if owner != requester.id {
        return Err(AppError::NotFound);
    }
    if status != RequestStatus::PendingApproval {
        return Err(AppError::Conflict(format!(
            "This request is {} and can no longer be cancelled.",
            status.label().to_lowercase()
        )));
    }
    repo::transition(
        &mut tx,
        id,
        RequestStatus::PendingApproval,
        RequestStatus::Cancelled,
        Some(requester.id),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The order's current leaf (or its whole chain), or those of one of its certificates, and a file
/// name, for whoever may see the request.
pub async fn certificate_for(
    pool: &PgPool,
    viewer: &CurrentUser,
    id: i64,
    certificate_id: Option<i64>,
    chain: bool,
) -> Result<(String, String), AppError> {
    detail_for(pool, viewer, id).await?;
    let files = crate::features::certificates::repo::files(pool, id, certificate_id)
        .await?
        .ok_or_else(|| match certificate_id {
            Some(_) => AppError::NotFound,
            None => AppError::Conflict("The certificate has not been issued yet.".into()),
        })?;
    let pem = if chain {
        files.chain_pem
    } else {
        files.leaf_pem
    };
    let stem = files.common_name.replace(
        |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
        "_",
    );
    let name = if chain {
        format!("{stem}-chain.pem")
    } else {
        format!("{stem}.pem")
    };
    Ok((name, pem))
}

/// DigiCert's estimate for the form's order; `None` when the form is not complete yet, DigiCert
/// cannot estimate (it answers 0) or does not answer within a few seconds.
/// Estimates are cached like DigiCert's lists; a failed call is not (asked again next time).
pub async fn estimate_price(
    client: &crate::server::digicert::DigicertClient,
    cache: &super::options::OptionsCache,
    order: &crate::features::digicert::payload::OrderRequest,
) -> Option<Price> {
    let key = crate::features::digicert::pricing::price_key(order);
    if let Some(known) = cache.cached_price(&key).await {
        return known;
    }
    match tokio::time::timeout(
        std::time::Duration::from_secs(5),
        client.order_pricing(order),
    )
    .await
    {
        Ok(Ok(answer)) => {
            let price = Price::from_answer(&answer);
            cache.store_price(key, price.clone()).await;
            price
        }
        Ok(Err(err)) => {
            tracing::info!(error = %err, "DigiCert gave no price estimate");
            None
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{TODAY, basic_ov_form as form, count, user};

    #[sqlx::test(migrations = "../migrations")]
    async fn submit_stores_request_payload_timeline_and_audit(pool: PgPool) {
        let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
        let id = submit(&pool, &ada, &form(), true, TODAY).await.unwrap();
        let detail = detail_for(&pool, &ada, id).await.unwrap();
        assert_eq!(detail.summary.status, RequestStatus::PendingApproval);
        assert_eq!(detail.summary.title, "www.example.com");
        let payload: serde_json::Value = serde_json::from_str(&detail.payload).unwrap();
        assert_eq!(payload["alternative_order_id"], format!("certdesk{id}"));
        assert_eq!(payload["skip_approval"], true);
        assert!(
            payload["certificate"]["csr"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN")
        );
        assert_eq!(
            detail.form.csr,
            payload["certificate"]["csr"].as_str().unwrap()
        );
        assert_eq!(detail.events.len(), 1);
        assert!(detail.can_cancel);
        assert_eq!(count(&pool, "audit_events").await, 1);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_bad_form_writes_nothing(pool: PgPool) {
        let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
        let mut bad = form();
        bad.common_name = "not a name".into();
        let err = submit(&pool, &ada, &bad, true, TODAY).await.unwrap_err();
        assert!(err.form().unwrap().fields.contains_key("common_name"));
        for table in ["requests", "request_events", "audit_events"] {
            assert_eq!(count(&pool, table).await, 0, "{table}");
        }
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn only_the_owner_cancels_and_only_while_pending(pool: PgPool) {
        let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
        let bob = user(&pool, "bob@example.com", &[Role::Requester]).await;
        let id = submit(&pool, &ada, &form(), true, TODAY).await.unwrap();
        assert_eq!(cancel(&pool, &bob, id).await, Err(AppError::NotFound));
        assert_eq!(
            detail_for(&pool, &bob, id).await.unwrap_err(),
            AppError::NotFound
        );
        cancel(&pool, &ada, id).await.unwrap();
        assert!(matches!(
            cancel(&pool, &ada, id).await,
            Err(AppError::Conflict(_))
        ));
        let detail = detail_for(&pool, &ada, id).await.unwrap();
        assert_eq!(detail.summary.status, RequestStatus::Cancelled);
        assert_eq!(detail.events.len(), 2);
        assert!(!detail.can_cancel);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn the_database_keeps_the_declared_request_states(pool: PgPool) {
        let all = RequestStatus::ALL.map(RequestStatus::as_str);
        crate::test_support::assert_machine_matches(
            &pool,
            "requests",
            "request_transition_allowed",
            &all,
            |old, new| {
                let status = |text| RequestStatus::parse(text).unwrap();
                status(old).can_become(status(new))
            },
        )
        .await;
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn the_database_refuses_illegal_transitions(pool: PgPool) {
        let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
        let id = submit(&pool, &ada, &form(), true, TODAY).await.unwrap();
        for status in ["issued", "forwarding", "pending_approval_x"] {
            let refused = sqlx::query("update requests set status = $2 where id = $1")
                .bind(id)
                .bind(status)
                .execute(&pool)
                .await;
            assert!(refused.is_err(), "{status} was allowed");
        }
        let vic = user(&pool, "vic@example.com", &[Role::Approver]).await;
        sqlx::query("update requests set status = 'approved', decided_by = $2 where id = $1")
            .bind(id)
            .bind(vic.id)
            .execute(&pool)
            .await
            .unwrap();
        let back = sqlx::query("update requests set status = 'pending_approval' where id = $1")
            .bind(id)
            .execute(&pool)
            .await;
        assert!(back.is_err());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn my_requests_pages_newest_first(pool: PgPool) {
        let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
        let bob = user(&pool, "bob@example.com", &[Role::Requester]).await;
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(submit(&pool, &ada, &form(), true, TODAY).await.unwrap());
        }
        submit(&pool, &bob, &form(), true, TODAY).await.unwrap();
        let first = repo::list_for_requester(&pool, ada.id, None, 2)
            .await
            .unwrap();
        assert_eq!(
            first.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            [ids[4], ids[3]]
        );
        let second = repo::list_for_requester(&pool, ada.id, first.next, 2)
            .await
            .unwrap();
        assert_eq!(
            second.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            [ids[2], ids[1]]
        );
        let last = repo::list_for_requester(&pool, ada.id, second.next, 2)
            .await
            .unwrap();
        assert_eq!(last.rows.iter().map(|r| r.id).collect::<Vec<_>>(), [ids[0]]);
        assert_eq!(last.next, None);
        let exact = repo::list_for_requester(&pool, bob.id, None, 1)
            .await
            .unwrap();
        assert_eq!((exact.rows.len(), exact.next), (1, None));
    }
}
