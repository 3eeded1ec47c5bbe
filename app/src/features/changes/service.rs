//! What the certificate-change server functions do, as plain functions the tests call directly.
//!
//! Who may do what: the order's requester and approvers see its changes (others get 404); the
//! requester or an approver asks for a reissue or duplicate; the requester, an approver or an
//! admin asks for a revocation; an approver who neither asked for the change nor owns the order
//! decides it (403 otherwise); standing policies let same-name reissues and keyCompromise
//! revocations skip the human decision.

use super::model::{
    ChangeKind, ChangeStatus, ChangeView, ChangesPanel, MAX_COMMENT, NameChanges,
    NewCertificateContext, Policies, ProductPolicy, QueuedChange, REVOKE_KEY_COMPROMISE_AT_ONCE,
    RevocableCertificate, RevocationReason, reissue_policy_name,
};
use super::repo::{self, ChangeRow, NewChange, OrderRow};
use crate::error::{AppError, FormErrors};
use crate::features::auth::{CurrentUser, Role};
use crate::features::csr;
use crate::features::digicert::products::{Family, ProductId};
use crate::features::digicert::rules::check_dns_name;
use crate::features::requests::model::RequestStatus;
use crate::features::requests::names::{split_names, to_ascii};
use crate::server::audit::{self, AuditEvent};
use crate::server::format_time;
use sqlx::{PgConnection, PgPool};
use time::Date;

/// At most this many names on a reissued certificate, the common name included.
const MAX_NAMES: usize = 250;
/// The longest names field read, in characters.
const MAX_NAMES_TEXT: usize = 64 * 1024;

fn may_see(order: &OrderRow, viewer: &CurrentUser) -> bool {
    order.requester_id == viewer.id || viewer.has(Role::Approver) || viewer.has(Role::Admin)
}

/// The order, when `viewer` may see it (404 otherwise, so ids reveal nothing).
async fn visible_order(
    pool: &PgPool,
    viewer: &CurrentUser,
    request_id: i64,
) -> Result<OrderRow, AppError> {
    repo::order(pool, request_id)
        .await?
        .filter(|o| may_see(o, viewer))
        .ok_or(AppError::NotFound)
}

/// Why a new certificate cannot be asked for on this order now, if it cannot.
fn new_certificate_refusal(order: &OrderRow, kind: ChangeKind, today: Date) -> Option<String> {
    if order.status != RequestStatus::Issued || order.digicert_order_id.is_none() {
        return Some("Only an issued order can be reissued or duplicated.".into());
    }
    if order.digicert_status.as_deref() == Some("revoked") {
        return Some("The order is revoked; place a new order instead.".into());
    }
    if order.product.family() != Family::Tls {
        return Some(format!(
            "A document signing certificate cannot be {} here: its validity is not cut short, \
             and DigiCert reissues it through its support.",
            if kind == ChangeKind::Duplicate {
                "duplicated"
            } else {
                "reissued"
            }
        ));
    }
    match order.order_valid_till {
        Some(end) if end >= today => None,
        Some(end) => Some(format!(
            "The order ended on {end}; renew it to get a new certificate."
        )),
        None => Some("DigiCert has not told certdesk when this order ends yet.".into()),
    }
}

fn may_ask_new_certificate(order: &OrderRow, viewer: &CurrentUser) -> bool {
    order.requester_id == viewer.id || viewer.has(Role::Approver)
}

/// The request page's section: the order's changes and what the viewer may ask for.
pub async fn panel(
    pool: &PgPool,
    viewer: &CurrentUser,
    request_id: i64,
    today: Date,
) -> Result<ChangesPanel, AppError> {
    let order = visible_order(pool, viewer, request_id).await?;
    let rows = repo::for_request(pool, request_id).await?;
    let changes = rows.iter().map(|row| view_of(row, viewer)).collect();
    let may_ask = may_ask_new_certificate(&order, viewer);
    // DigiCert keeps one reissue or duplicate of an order in progress at a time.
    let new_open = rows
        .iter()
        .any(|r| r.kind != ChangeKind::Revoke && r.status.is_open());
    let can_reissue = may_ask
        && !new_open
        && new_certificate_refusal(&order, ChangeKind::Reissue, today).is_none();
    let revocable = if order.status == RequestStatus::Issued {
        repo::revocable(pool, request_id).await?
    } else {
        Vec::new()
    };
    let revoke_blocked = revoke_refusal(pool, &order).await?;
    Ok(ChangesPanel {
        changes,
        can_reissue,
        can_duplicate: can_reissue,
        can_revoke: !revocable.is_empty() && revoke_blocked.is_none(),
        revoke_blocked: (!revocable.is_empty()).then_some(revoke_blocked).flatten(),
        revocable: revocable
            .into_iter()
            .map(|c| RevocableCertificate {
                id: c.id,
                label: format!(
                    "{} {} (until {})",
                    c.kind.label(),
                    c.serial_number,
                    c.not_after.date()
                ),
                serial: c.serial_number,
            })
            .collect(),
    })
}

fn view_of(row: &ChangeRow, viewer: &CurrentUser) -> ChangeView {
    let names = (row.kind != ChangeKind::Revoke).then(|| {
        NameChanges::between(
            row.previous_names.as_deref().unwrap_or_default(),
            &row.names(),
        )
    });
    let key = row
        .csr_pem
        .as_deref()
        .and_then(|pem| csr::inspect(pem.as_bytes()).key)
        .map(|k| k.describe());
    ChangeView {
        id: row.id,
        kind: row.kind,
        status: row.status,
        requested_by: row.requested_by_name.clone(),
        requested_at: format_time(row.requested_at),
        names,
        key,
        new_key: row.new_key.unwrap_or(false),
        target_serial: row.target_serial.clone(),
        reason: row.revocation_reason,
        comment: row.comment.clone(),
        decided_by: row.decided_by_name.clone(),
        decision_note: row.decision_note.clone(),
        policy: row.decided_by_policy.as_deref().map(policy_words),
        error: row.error.clone(),
        can_decide: row.status == ChangeStatus::PendingApproval && may_decide(row, viewer),
        can_cancel: row.status == ChangeStatus::PendingApproval && row.requested_by == viewer.id,
    }
}

fn may_decide(row: &ChangeRow, viewer: &CurrentUser) -> bool {
    viewer.has(Role::Approver) && row.requested_by != viewer.id && row.order_requester != viewer.id
}

fn policy_words(name: &str) -> String {
    if name == REVOKE_KEY_COMPROMISE_AT_ONCE {
        "Approved by the standing policy: keyCompromise revocations go at once.".into()
    } else {
        "Approved by the standing policy: reissues that keep the names need no approver.".into()
    }
}

/// What the reissue and duplicate forms start from.
pub async fn new_certificate_context(
    pool: &PgPool,
    viewer: &CurrentUser,
    request_id: i64,
    kind: ChangeKind,
    today: Date,
) -> Result<NewCertificateContext, AppError> {
    let order = visible_order(pool, viewer, request_id).await?;
    if !may_ask_new_certificate(&order, viewer) {
        return Err(AppError::Forbidden);
    }
    if let Some(why) = new_certificate_refusal(&order, kind, today) {
        return Err(AppError::Conflict(why));
    }
    let current = repo::current_certificate(pool, request_id)
        .await?
        .ok_or_else(|| AppError::Conflict("The order has no current certificate.".into()))?;
    let policy = repo::policy_enabled(pool, &reissue_policy_name(order.product.name_id())).await?;
    Ok(NewCertificateContext {
        request_id,
        title: order.title,
        order_valid_till: order.order_valid_till.map(|d| d.to_string()),
        current_names: current.names(),
        current_serial: current.serial_number,
        current_valid_till: current.not_after.date().to_string(),
        same_names_skip_approval: policy && kind == ChangeKind::Reissue,
    })
}

/// The CSR and names of a reissue or duplicate form, checked; field errors keep what was typed
/// (the CSR too, unless it held a private key).
fn check_new_certificate(
    kind: ChangeKind,
    csr_text: &str,
    names_text: &str,
    current: &[String],
) -> Result<(String, Vec<String>), FormErrors> {
    let mut errors = FormErrors::new("Some fields need your attention.");
    let report = csr::inspect(csr_text.as_bytes());
    if csr_text.trim().is_empty() {
        errors.add(
            "csr",
            "Paste the certificate signing request for the new key.",
        );
    } else if !report.ok {
        for problem in &report.errors {
            errors.add("csr", problem.clone());
        }
    }
    // 250 names of at most 253 characters fit well within this; more is refused unread.
    if crate::error::longer_than(names_text, MAX_NAMES_TEXT) {
        return Err(errors
            .field(
                "names",
                format!("At most {MAX_NAMES} names per certificate."),
            )
            .keep(
                "csr",
                if report.private_key_refused {
                    ""
                } else {
                    csr_text
                },
            ));
    }
    let names = checked_names(kind, names_text, current, &mut errors);
    if !errors.is_empty() {
        errors = errors.keep("names", names_text);
        if !report.private_key_refused {
            errors = errors.keep("csr", csr_text);
        }
        return Err(errors);
    }
    Ok((report.pem.unwrap_or_else(|| csr_text.to_owned()), names))
}

/// The new certificate's names, in ASCII and without repeats: those typed, or the current ones
/// when none are. Their problems go into `errors`.
fn checked_names(
    kind: ChangeKind,
    names_text: &str,
    current: &[String],
    errors: &mut FormErrors,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let typed = if names_text.trim().is_empty() {
        current.to_vec()
    } else {
        split_names(names_text)
    };
    for name in typed.iter().map(|n| to_ascii(n)) {
        if let Err(problem) = check_dns_name(&name, true) {
            errors.add("names", problem);
        } else if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.len() > MAX_NAMES {
        errors.add(
            "names",
            format!("At most {MAX_NAMES} names per certificate."),
        );
    }
    if kind == ChangeKind::Duplicate && !NameChanges::between(current, &names).same_names() {
        errors.add(
            "names",
            "A duplicate carries exactly the names of the current certificate; reissue to change them.",
        );
    }
    if errors.is_empty() && names.is_empty() {
        errors.add("names", "Name at least one domain.");
    }
    names
}

/// Whether the CSR carries the same public key as the certificate.
fn same_key(csr_pem: &str, leaf_pem: &str) -> bool {
    use x509_parser::prelude::*;
    let Ok((_, csr_block)) = parse_x509_pem(csr_pem.as_bytes()) else {
        return false;
    };
    let Ok((_, leaf_block)) = parse_x509_pem(leaf_pem.as_bytes()) else {
        return false;
    };
    let (Ok((_, csr)), Ok((_, leaf))) = (
        X509CertificationRequest::from_der(&csr_block.contents),
        X509Certificate::from_der(&leaf_block.contents),
    ) else {
        return false;
    };
    csr.certification_request_info.subject_pki.raw == leaf.public_key().raw
}

/// Asks for a reissue or duplicate. A reissue that keeps the names goes without an approver when
/// the product's standing policy says so. Answers the change's id.
#[allow(clippy::too_many_arguments)]
pub async fn ask_new_certificate(
    pool: &PgPool,
    viewer: &CurrentUser,
    request_id: i64,
    kind: ChangeKind,
    csr_text: &str,
    names_text: &str,
    today: Date,
    client_ip: &str,
) -> Result<i64, AppError> {
    debug_assert!(kind != ChangeKind::Revoke);
    let context = new_certificate_context(pool, viewer, request_id, kind, today).await?;
    let (csr_pem, names) =
        check_new_certificate(kind, csr_text, names_text, &context.current_names)?;
    let mut tx = pool.begin().await?;
    let current = repo::current_certificate(&mut *tx, request_id)
        .await?
        .ok_or_else(|| AppError::Conflict("The order has no current certificate.".into()))?;
    let new_key = !same_key(&csr_pem, &current.leaf_pem);
    if kind == ChangeKind::Duplicate && !new_key {
        return Err(duplicate_of_the_same_key(csr_text, names_text));
    }
    let previous = current.names();
    let changes = NameChanges::between(&previous, &names);
    let policy = standing_policy(&mut tx, request_id, kind, changes.same_names()).await?;
    let policy = policy.as_deref();
    let change = NewChange {
        request_id,
        kind,
        requested_by: viewer.id,
        csr_pem: Some(&csr_pem),
        names: Some(&names),
        previous_names: Some(&previous),
        new_key: Some(new_key),
        replaces_digicert_certificate_id: current.digicert_certificate_id,
        certificate_id: None,
        reason: None,
        comment: "",
        policy,
    };
    let id = repo::insert(&mut tx, &change).await?.ok_or_else(|| {
        AppError::Conflict(
            "A reissue or duplicate of this order is already under way; wait for it to finish \
             or cancel it first."
                .into(),
        )
    })?;
    audit::record(
        &mut *tx,
        AuditEvent {
            actor_id: Some(viewer.id),
            action: "certificate_change_requested",
            subject: Some(&format!("request:{request_id}")),
            client_ip: Some(client_ip),
            details: serde_json::json!({
                "change": id, "kind": kind.as_str(), "added": changes.added,
                "removed": changes.removed, "new_key": new_key, "policy": policy,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A duplicate asked for with the current certificate's key, what the person typed kept.
fn duplicate_of_the_same_key(csr_text: &str, names_text: &str) -> AppError {
    FormErrors::new("A duplicate needs another key.")
        .field(
            "csr",
            "This CSR carries the current certificate's key; a duplicate is for another key.",
        )
        .keep("names", names_text)
        .keep("csr", csr_text)
        .into()
}

/// The product's standing policy when it lets this change go without an approver: only a
/// reissue that keeps the names, and only while the policy is turned on.
async fn standing_policy(
    db: &mut PgConnection,
    request_id: i64,
    kind: ChangeKind,
    same_names: bool,
) -> Result<Option<String>, AppError> {
    let order = repo::order(&mut *db, request_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = reissue_policy_name(order.product.name_id());
    let applies =
        kind == ChangeKind::Reissue && same_names && repo::policy_enabled(&mut *db, &name).await?;
    Ok(applies.then_some(name))
}

/// Why the order cannot be revoked now, if it cannot (DigiCert refuses while a reissue is
/// pending, so certdesk says so before asking).
async fn revoke_refusal(pool: &PgPool, order: &OrderRow) -> Result<Option<String>, AppError> {
    if order.status != RequestStatus::Issued {
        return Ok(Some(
            "Only an issued order has certificates to revoke.".into(),
        ));
    }
    if order.digicert_status.as_deref() == Some("reissue_pending")
        || repo::new_certificate_in_progress(pool, order.id).await?
    {
        return Ok(Some(
            "A reissue of this order is under way at DigiCert, and DigiCert does not revoke a \
             certificate while its reissue is pending. Revoke once the reissue is issued (or \
             cancelled)."
                .into(),
        ));
    }
    Ok(None)
}

/// The revocation's reason, once the form holds one of the listed reasons, a comment of allowed
/// length and (when one is named) a certificate of this order.
fn checked_revocation(
    revocable: &[repo::CertificateRow],
    certificate_id: Option<i64>,
    reason: &str,
    comment: &str,
) -> Result<RevocationReason, AppError> {
    let mut errors = FormErrors::new("Some fields need your attention.");
    let reason = RevocationReason::parse(reason);
    if reason.is_none() {
        errors.add("reason", "Choose one of the reasons listed.");
    }
    errors.limit_length("comment", comment, MAX_COMMENT);
    if let Some(id) = certificate_id
        && !revocable.iter().any(|c| c.id == id)
    {
        errors.add(
            "certificate",
            "That certificate is not one of this order's current or superseded certificates.",
        );
    }
    match reason {
        Some(reason) if errors.is_empty() => Ok(reason),
        _ => Err(errors.keep("comment", comment).into()),
    }
}

/// Asks for a revocation of one certificate (`certificate_id`) or the whole order (`None`).
/// keyCompromise goes at once when the admins' standing policy says so.
#[allow(clippy::too_many_arguments)]
pub async fn ask_revocation(
    pool: &PgPool,
    viewer: &CurrentUser,
    request_id: i64,
    certificate_id: Option<i64>,
    reason: &str,
    comment: &str,
    client_ip: &str,
) -> Result<i64, AppError> {
    let order = visible_order(pool, viewer, request_id).await?;
    let revocable = repo::revocable(pool, request_id).await?;
    let reason = checked_revocation(&revocable, certificate_id, reason, comment)?;
    if let Some(why) = revoke_refusal(pool, &order).await? {
        return Err(AppError::Conflict(why));
    }
    if revocable.is_empty() {
        return Err(AppError::Conflict(
            "This order has no certificate left to revoke.".into(),
        ));
    }
    let mut tx = pool.begin().await?;
    let policy = (reason == RevocationReason::KeyCompromise
        && repo::policy_enabled(&mut *tx, REVOKE_KEY_COMPROMISE_AT_ONCE).await?)
        .then_some(REVOKE_KEY_COMPROMISE_AT_ONCE);
    let change = NewChange {
        request_id,
        kind: ChangeKind::Revoke,
        requested_by: viewer.id,
        csr_pem: None,
        names: None,
        previous_names: None,
        new_key: None,
        replaces_digicert_certificate_id: None,
        certificate_id,
        reason: Some(reason),
        comment: comment.trim(),
        policy,
    };
    let id = repo::insert(&mut tx, &change).await?.ok_or_else(|| {
        AppError::Conflict("A revocation of this certificate is already under way.".into())
    })?;
    audit::record(
        &mut *tx,
        AuditEvent {
            actor_id: Some(viewer.id),
            action: "certificate_change_requested",
            subject: Some(&format!("request:{request_id}")),
            client_ip: Some(client_ip),
            details: serde_json::json!({
                "change": id, "kind": "revoke", "certificate": certificate_id,
                "reason": reason.as_str(), "policy": policy,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// An approver's decision. Separation of duties: nobody decides a change they asked for or one on
/// their own order (403); a rejection needs a reason.
pub async fn decide(
    pool: &PgPool,
    approver: &CurrentUser,
    change_id: i64,
    approve: bool,
    note: Option<&str>,
    client_ip: &str,
) -> Result<(), AppError> {
    if !approver.has(Role::Approver) {
        return Err(AppError::Forbidden);
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !approve && note.is_none() {
        return Err(FormErrors::new("Say why the change is rejected.")
            .field(
                "note",
                "A rejection needs a reason the requester can act on.",
            )
            .into());
    }
    if let Some(note) = note
        && crate::error::longer_than(note, MAX_COMMENT)
    {
        return Err(FormErrors::new("The note is too long.")
            .field("note", format!("At most {MAX_COMMENT} characters."))
            .into());
    }
    let mut tx = pool.begin().await?;
    let row = repo::one(&mut *tx, change_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_decide(&row, approver) {
        return Err(AppError::Forbidden);
    }
    let to = if approve {
        ChangeStatus::Approved
    } else {
        ChangeStatus::Rejected
    };
    if !repo::decide(&mut *tx, change_id, approver.id, to, note).await? {
        return Err(AppError::Conflict(format!(
            "This change is {} already.",
            row.status.label().to_lowercase()
        )));
    }
    if approve {
        repo::add_job(&mut *tx, change_id).await?;
    }
    audit::record(
        &mut *tx,
        AuditEvent {
            actor_id: Some(approver.id),
            action: if approve {
                "certificate_change_approved"
            } else {
                "certificate_change_rejected"
            },
            subject: Some(&format!("request:{}", row.request_id)),
            client_ip: Some(client_ip),
            details: serde_json::json!({ "change": change_id, "kind": row.kind.as_str(), "note": note }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The asker withdraws a change that still waits for its approver.
pub async fn cancel(
    pool: &PgPool,
    viewer: &CurrentUser,
    change_id: i64,
    client_ip: &str,
) -> Result<i64, AppError> {
    let mut tx = pool.begin().await?;
    let row = repo::one(&mut *tx, change_id).await?;
    let Some(row) = row.filter(|r| r.requested_by == viewer.id) else {
        return Err(AppError::NotFound);
    };
    if !repo::transition(
        &mut *tx,
        change_id,
        ChangeStatus::PendingApproval,
        ChangeStatus::Cancelled,
    )
    .await?
    {
        return Err(AppError::Conflict(format!(
            "This change is {} and can no longer be cancelled.",
            row.status.label().to_lowercase()
        )));
    }
    audit::record(
        &mut *tx,
        AuditEvent {
            actor_id: Some(viewer.id),
            action: "certificate_change_cancelled",
            subject: Some(&format!("request:{}", row.request_id)),
            client_ip: Some(client_ip),
            details: serde_json::json!({ "change": change_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.request_id)
}

/// Changes waiting for approvers, oldest first.
pub async fn queue(pool: &PgPool, approver: &CurrentUser) -> Result<Vec<QueuedChange>, AppError> {
    let rows = repo::waiting(pool, 200).await?;
    Ok(rows
        .iter()
        .map(|row| QueuedChange {
            id: row.id,
            request_id: row.request_id,
            title: row.title.clone(),
            kind: row.kind,
            requested_by: row.requested_by_name.clone(),
            requested_at: format_time(row.requested_at),
            summary: summary_of(row),
            can_decide: may_decide(row, approver),
        })
        .collect())
}

fn summary_of(row: &ChangeRow) -> String {
    match row.kind {
        ChangeKind::Revoke => format!(
            "{} — {}",
            row.target_serial
                .as_deref()
                .map(|s| format!("certificate {s}"))
                .unwrap_or_else(|| "the whole order".into()),
            row.revocation_reason.map(|r| r.short()).unwrap_or_default()
        ),
        _ => {
            let changes = NameChanges::between(
                row.previous_names.as_deref().unwrap_or_default(),
                &row.names(),
            );
            let mut parts = Vec::new();
            if row.new_key == Some(true) {
                parts.push("new key".to_owned());
            }
            if !changes.added.is_empty() {
                parts.push(format!("adds {}", changes.added.join(", ")));
            }
            if !changes.removed.is_empty() {
                parts.push(format!("removes {}", changes.removed.join(", ")));
            }
            if changes.same_names() {
                parts.push("same names".into());
            }
            parts.push("included in the order".into());
            parts.join("; ")
        }
    }
}

/// The standing policies, every TLS product listed.
pub async fn policies(pool: &PgPool) -> Result<Policies, AppError> {
    let enabled = repo::enabled_policies(pool).await?;
    Ok(Policies {
        reissue_same_names: ProductId::ALL
            .into_iter()
            .filter(|p| p.family() == Family::Tls)
            .map(|p| ProductPolicy {
                product: p.name_id().to_owned(),
                label: p.display_name().to_owned(),
                enabled: enabled.contains(&reissue_policy_name(p.name_id())),
            })
            .collect(),
        revoke_key_compromise_at_once: enabled.iter().any(|n| n == REVOKE_KEY_COMPROMISE_AT_ONCE),
    })
}

/// An admin switches one policy: `reissue_same_names:<product>` or
/// `revoke_key_compromise_at_once`.
pub async fn set_policy(
    pool: &PgPool,
    admin: &CurrentUser,
    name: &str,
    enabled: bool,
    client_ip: &str,
) -> Result<(), AppError> {
    if !admin.has(Role::Admin) {
        return Err(AppError::Forbidden);
    }
    let known = name == REVOKE_KEY_COMPROMISE_AT_ONCE
        || name
            .strip_prefix("reissue_same_names:")
            .and_then(ProductId::parse)
            .is_some_and(|p| p.family() == Family::Tls);
    if !known {
        return Err(AppError::BadRequest(
            "name is reissue_same_names:<TLS product> or revoke_key_compromise_at_once".into(),
        ));
    }
    let mut tx = pool.begin().await?;
    if repo::set_policy(&mut *tx, name, enabled, admin.id).await? {
        audit::record(
            &mut *tx,
            AuditEvent {
                actor_id: Some(admin.id),
                action: "standing_policy_changed",
                subject: Some(name),
                client_ip: Some(client_ip),
                details: serde_json::json!({ "enabled": enabled }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSR: &str = include_str!("../../../tests/fixtures/csr/rsa2048.csr");

    fn current() -> Vec<String> {
        vec!["www.example.com".into(), "example.com".into()]
    }

    #[test]
    fn a_revocation_needs_a_listed_reason_a_short_comment_and_a_certificate_of_the_order() {
        use crate::features::certificates::model::{CertificateKind, CertificateStatus};
        let revocable = [repo::CertificateRow {
            id: 7,
            kind: CertificateKind::First,
            status: CertificateStatus::Issued,
            serial_number: "0A01".into(),
            digicert_certificate_id: Some(1),
            not_after: time::OffsetDateTime::UNIX_EPOCH,
        }];
        let reason = RevocationReason::KeyCompromise;
        assert_eq!(
            checked_revocation(&revocable, Some(7), reason.as_str(), "leaked").ok(),
            Some(reason)
        );
        assert_eq!(
            checked_revocation(&revocable, None, reason.as_str(), "").ok(),
            Some(reason)
        );
        let refused = |certificate, reason: &str, comment: &str| match checked_revocation(
            &revocable,
            certificate,
            reason,
            comment,
        ) {
            Err(AppError::Invalid(form)) => form,
            other => panic!("expected a form error, got {other:?}"),
        };
        let form = refused(Some(8), "privilege_withdrawn", "kept");
        assert!(form.for_field("reason").is_some());
        assert!(form.for_field("certificate").is_some());
        assert_eq!(form.kept.get("comment").map(String::as_str), Some("kept"));
        let long = "x".repeat(MAX_COMMENT + 1);
        assert!(
            refused(None, reason.as_str(), &long)
                .for_field("comment")
                .is_some()
        );
    }

    #[test]
    fn empty_names_keep_the_current_ones_and_typed_ones_are_checked() {
        let (_, names) = check_new_certificate(ChangeKind::Reissue, CSR, "", &current()).unwrap();
        assert_eq!(names, current());
        let (_, names) = check_new_certificate(
            ChangeKind::Reissue,
            CSR,
            "WWW.Example.com, shop.example.com www.example.com",
            &current(),
        )
        .unwrap();
        assert_eq!(names, ["www.example.com", "shop.example.com"]);
        let refused = check_new_certificate(
            ChangeKind::Reissue,
            CSR,
            "www.example.com 10.0.0.1",
            &current(),
        )
        .unwrap_err();
        assert!(refused.for_field("names").unwrap().contains("IP address"));
        assert_eq!(refused.kept["csr"], CSR);
    }

    #[test]
    fn a_duplicate_keeps_the_names_and_floods_are_refused_unread() {
        let refused =
            check_new_certificate(ChangeKind::Duplicate, CSR, "www.example.com", &current())
                .unwrap_err();
        assert!(
            refused
                .for_field("names")
                .unwrap()
                .contains("exactly the names")
        );
        let flood = "a.example.com ".repeat(10_000);
        let refused =
            check_new_certificate(ChangeKind::Reissue, CSR, &flood, &current()).unwrap_err();
        assert!(refused.for_field("names").unwrap().contains("At most 250"));
        let missing = check_new_certificate(ChangeKind::Reissue, "", "", &current()).unwrap_err();
        assert!(missing.for_field("csr").is_some());
    }
}
