//! Accounts of people who sign in through the provider: made on their first sign-in (just in
//! time), their name, email and roles following the provider's claims at every later one.

use super::provider::{ProviderIdentity, Refusal};
use super::repo::{self, NewSsoUser, SsoAccount};
use crate::error::AppError;
use crate::features::auth::model::{SsoFailure, check_email, normalize_email};
use crate::features::auth::repo::{end_sessions, find_session_user};
use crate::features::auth::service::SignedIn;
use crate::server::audit::{self, AuditEvent};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

/// Signs `identity` in: finds their account by issuer and subject, else links the account with
/// their (verified) email, else creates one. A deactivated account stays out; the break-glass
/// admin's account is never taken over by a provider identity. The outer error is certdesk's own
/// trouble; the inner one is the person's refusal (audited by the caller, like every refusal).
pub async fn sign_in_with_provider(
    pool: &PgPool,
    identity: &ProviderIdentity,
    break_glass_admin: Option<&str>,
    client_ip: &str,
) -> Result<Result<SignedIn, Refusal>, AppError> {
    let mut tx = pool.begin().await?;
    let outcome = match account_for(&mut tx, identity, break_glass_admin, client_ip).await? {
        Ok(account) => sign_in_account(&mut tx, account, identity, client_ip).await?,
        Err(refusal) => Err(refusal),
    };
    match outcome {
        Ok(signed_in) => {
            tx.commit().await?;
            Ok(Ok(signed_in))
        }
        Err(refusal) => {
            // Nothing of the attempt is kept.
            tx.rollback().await?;
            Ok(Err(refusal))
        }
    }
}

/// Audits a refused single sign-on, naming the email the provider gave when there was one.
pub async fn record_refusal(
    pool: &PgPool,
    refusal: &Refusal,
    client_ip: &str,
) -> Result<(), AppError> {
    crate::server::metrics::metrics().sign_in_failures.inc();
    audit::record(
        pool,
        AuditEvent {
            actor_id: None,
            action: "sso_sign_in_failed",
            subject: refusal.subject.as_deref(),
            client_ip: Some(client_ip),
            details: json!({ "reason": refusal.failure.code(), "detail": refusal.detail }),
        },
    )
    .await
}

async fn account_for(
    tx: &mut PgConnection,
    identity: &ProviderIdentity,
    break_glass_admin: Option<&str>,
    client_ip: &str,
) -> Result<Result<SsoAccount, Refusal>, AppError> {
    if let Some(account) = repo::lock_by_identity(tx, &identity.issuer, &identity.subject).await? {
        return Ok(Ok(account));
    }
    let Some(email) = usable_email(identity) else {
        return Ok(Err(Refusal::new(
            SsoFailure::NoEmail,
            "no usable email claim",
        )));
    };
    if let Some(existing) = repo::lock_by_email(tx, &email).await? {
        let refused = if existing.sso_subject.is_some() {
            Some("the email's account belongs to another provider identity")
        } else if break_glass_admin == Some(email.as_str()) {
            Some("the break-glass admin's account signs in with its password only")
        } else if identity.email_verified == Some(false) {
            Some("the provider marks the email unverified")
        } else {
            None
        };
        if let Some(detail) = refused {
            return Ok(Err(Refusal::new(SsoFailure::Conflict, detail)));
        }
        repo::link_identity(tx, existing.id, &identity.issuer, &identity.subject).await?;
        record(
            tx,
            Some(&existing),
            "sso_account_linked",
            &email,
            client_ip,
            json!({}),
        )
        .await?;
        return Ok(Ok(existing));
    }
    let created = repo::insert_sso_user(
        tx,
        NewSsoUser {
            email: &email,
            display_name: &display_name(identity, &email),
            roles: &identity.roles,
            issuer: &identity.issuer,
            subject: &identity.subject,
        },
    )
    .await?;
    let Some(created) = created else {
        return Ok(Err(Refusal::new(
            SsoFailure::Conflict,
            "the email was taken meanwhile",
        )));
    };
    let roles = json!({ "roles": identity.roles });
    record(
        tx,
        Some(&created),
        "sso_account_created",
        &email,
        client_ip,
        roles,
    )
    .await?;
    Ok(Ok(created))
}

/// Brings the account up to the provider's word and signs it in. Changed roles end the person's
/// other sessions, which still carry the old ones.
async fn sign_in_account(
    tx: &mut PgConnection,
    account: SsoAccount,
    identity: &ProviderIdentity,
    client_ip: &str,
) -> Result<Result<SignedIn, Refusal>, AppError> {
    if !account.active {
        return Ok(Err(Refusal::new(
            SsoFailure::Deactivated,
            "the account is deactivated",
        )));
    }
    let email = usable_email(identity).unwrap_or_else(|| account.email.clone());
    let name = display_name(identity, &account.display_name);
    if !repo::update_from_provider(tx, account.id, &email, &name, &identity.roles).await? {
        return Ok(Err(Refusal::new(
            SsoFailure::Conflict,
            "the provider's new email belongs to another account",
        )));
    }
    // Sorted as `roles_for` sorts.
    let mut before = account.roles.clone();
    before.sort();
    if before != identity.roles {
        end_sessions(&mut *tx, account.id).await?;
        let change = json!({ "before": before, "after": identity.roles });
        record(
            tx,
            Some(&account),
            "roles_changed_by_provider",
            &email,
            client_ip,
            change,
        )
        .await?;
    }
    let Some(found) = find_session_user(&mut *tx, account.id).await? else {
        return Err(AppError::Internal);
    };
    record(
        tx,
        Some(&account),
        "sign_in",
        &email,
        client_ip,
        json!({ "method": "sso" }),
    )
    .await?;
    Ok(Ok(SignedIn {
        user: found.user,
        session_epoch: found.session_epoch,
    }))
}

fn usable_email(identity: &ProviderIdentity) -> Option<String> {
    let email = normalize_email(identity.email.as_deref()?);
    check_email(&email).ok().map(|()| email)
}

/// The provider's name for the person, else what certdesk already had (or the email).
fn display_name(identity: &ProviderIdentity, fallback: &str) -> String {
    identity
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect())
        .unwrap_or_else(|| fallback.to_owned())
}

async fn record(
    tx: &mut PgConnection,
    account: Option<&SsoAccount>,
    action: &str,
    email: &str,
    client_ip: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        &mut *tx,
        AuditEvent {
            actor_id: account.map(|a| a.id),
            action,
            subject: Some(email),
            client_ip: Some(client_ip),
            details,
        },
    )
    .await
}
