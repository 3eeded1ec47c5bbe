//! What admins do to accounts. Every change is audited, and the last active admin can neither be
//! deactivated nor lose the admin role (the admins' rows are locked while that is checked, so two
//! admins demoting each other at once cannot both succeed).

use super::api::TemporaryPassword;
use super::repo;
use crate::error::{AppError, FormErrors};
use crate::features::auth::model::check_new_password;
use crate::features::auth::repo::{AttemptPurpose, attempt_succeeded, end_sessions};
use crate::features::auth::service::{NewUserInput, create_user_with, reserve};
use crate::features::auth::{CurrentUser, Role};
use crate::server::Config;
use crate::server::audit::{self, AuditEvent};
use crate::server::password::{MAX_PASSWORD_BYTES, hash_password, verify_password};
use rand::{Rng, distributions::Alphanumeric};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A one-time password for a new or reset account: 20 letters and digits, shown to the admin
/// once and never stored in clear.
fn temporary_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

/// Creates an account with a temporary password the person must replace at first sign-in.
pub async fn create(
    pool: &PgPool,
    admin: &CurrentUser,
    email: &str,
    display_name: &str,
    roles: Vec<String>,
) -> Result<(Uuid, String), AppError> {
    let password = temporary_password();
    let id = create_user_with(
        pool,
        NewUserInput {
            email: email.into(),
            display_name: display_name.into(),
            roles,
            password: SecretString::from(password.clone()),
        },
        Some(admin.id),
        true,
    )
    .await?;
    Ok((id, password))
}

/// Locks every active admin's row and fails if `id` is the only one.
async fn ensure_another_admin(db: &mut PgConnection, id: Uuid) -> Result<(), AppError> {
    let admins = repo::lock_active_admins(db).await?;
    if admins == [id] {
        return Err(AppError::Conflict(
            "This is the last active admin: make someone else an admin first.".into(),
        ));
    }
    Ok(())
}

async fn record(
    db: &mut PgConnection,
    admin: &CurrentUser,
    action: &str,
    email: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        &mut *db,
        AuditEvent {
            actor_id: Some(admin.id),
            action,
            subject: Some(email),
            client_ip: None,
            details,
        },
    )
    .await
}

/// Deactivates or reactivates an account. A deactivated person's sessions end at once.
pub async fn set_active(
    pool: &PgPool,
    admin: &CurrentUser,
    id: Uuid,
    active: bool,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    if !active {
        ensure_another_admin(&mut tx, id).await?;
    }
    let email = repo::lock_account(&mut tx, id).await?.email;
    repo::set_active(&mut tx, id, active).await?;
    if !active {
        end_sessions(&mut *tx, id).await?;
    }
    let action = if active {
        "user_reactivated"
    } else {
        "user_deactivated"
    };
    record(
        &mut tx,
        admin,
        action,
        &email,
        serde_json::json!({ "user_id": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces an account's roles (at least one).
pub async fn set_roles(
    pool: &PgPool,
    admin: &CurrentUser,
    id: Uuid,
    roles: &[Role],
) -> Result<(), AppError> {
    if roles.is_empty() {
        return Err(AppError::Invalid(
            FormErrors::new("Give the user at least one role.").field("roles", "Choose a role."),
        ));
    }
    let mut tx = pool.begin().await?;
    if !roles.contains(&Role::Admin) {
        ensure_another_admin(&mut tx, id).await?;
    }
    let before = repo::lock_account(&mut tx, id).await?;
    repo::set_roles(&mut tx, id, roles).await?;
    // Whatever the person's pages hold was shown under the old roles: they sign in again.
    end_sessions(&mut *tx, id).await?;
    record(
        &mut tx,
        admin,
        "user_roles_changed",
        &before.email,
        serde_json::json!({ "user_id": id, "from": before.roles, "to": roles }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives the account a new temporary password; the person must choose their own at next sign-in.
pub async fn reset_password(
    pool: &PgPool,
    admin: &CurrentUser,
    id: Uuid,
) -> Result<TemporaryPassword, AppError> {
    let password = temporary_password();
    let hash = hash_password(SecretString::from(password.clone())).await?;
    let mut tx = pool.begin().await?;
    let email = repo::lock_account(&mut tx, id).await?.email;
    repo::set_password(&mut tx, id, &hash, true).await?;
    end_sessions(&mut *tx, id).await?;
    record(
        &mut tx,
        admin,
        "user_password_reset",
        &email,
        serde_json::json!({ "user_id": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(TemporaryPassword { email, password })
}

/// What is wrong with the new password (too long, too weak, the current one again); checked
/// before the current password so the person hears everything at once.
fn new_password_problems(current: &SecretString, new: &SecretString) -> FormErrors {
    let mut form = FormErrors::new("The password was not changed.");
    if new.expose_secret().len() > MAX_PASSWORD_BYTES {
        form.add("new_password", "At most 1024 characters.");
    } else if let Err(problem) = check_new_password(new.expose_secret()) {
        form.add("new_password", problem);
    }
    if new.expose_secret() == current.expose_secret() {
        form.add(
            "new_password",
            "Choose a password different from the current one.",
        );
    }
    form
}

/// The signed-in person replaces their password (required after a reset). Wrong current
/// passwords are throttled like sign-ins and audited; success ends the person's other sessions
/// and answers the new session epoch for this one.
pub async fn change_password(
    pool: &PgPool,
    config: &Config,
    user: &CurrentUser,
    current: SecretString,
    new: SecretString,
    client_ip: &str,
) -> Result<i32, AppError> {
    let mut form = new_password_problems(&current, &new);
    let Some(hash) = repo::password_hash(pool, user.id).await? else {
        // A single sign-on account has no certdesk password to change.
        return Err(FormErrors::new(
            "Your account signs in through the company's provider and has no certdesk password; \
             change your password there.",
        )
        .into());
    };
    let Some(attempt) = reserve(
        pool,
        config,
        &user.email,
        client_ip,
        AttemptPurpose::PasswordChange,
    )
    .await?
    else {
        return Err(AppError::TooManyRequests(format!(
            "Too many wrong passwords. Changing the password is paused for up to {} minutes.",
            config.sign_in_window_minutes
        )));
    };
    if !verify_password(Some(hash), current).await? {
        form.add("current_password", "This is not your current password.");
        audit::record(
            pool,
            AuditEvent {
                actor_id: Some(user.id),
                action: "password_change_failed",
                subject: Some(&user.email),
                client_ip: Some(client_ip),
                details: serde_json::json!({}),
            },
        )
        .await?;
        return Err(AppError::Invalid(form));
    }
    attempt_succeeded(pool, attempt).await?;
    if !form.is_empty() {
        return Err(AppError::Invalid(form));
    }
    let hash = hash_password(new).await?;
    let mut tx = pool.begin().await?;
    repo::set_password(&mut tx, user.id, &hash, false).await?;
    let epoch = end_sessions(&mut *tx, user.id).await?;
    record(
        &mut tx,
        user,
        "password_changed",
        &user.email,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(epoch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::auth::repo::find_active_user;
    use crate::test_support::user;

    #[test]
    fn a_new_password_that_is_the_current_one_or_too_long_is_refused_with_every_reason() {
        let secret = |text: &str| SecretString::from(text.to_owned());
        let current = secret("an old and long passphrase");
        let fine = new_password_problems(&current, &secret("correct horse battery staple 42"));
        assert!(fine.is_empty(), "{fine:?}");
        let same = new_password_problems(&current, &current.clone());
        assert!(
            same.for_field("new_password")
                .is_some_and(|m| m.contains("different from the current one")),
            "{same:?}"
        );
        let long = new_password_problems(&current, &secret(&"x".repeat(MAX_PASSWORD_BYTES + 1)));
        assert_eq!(
            long.for_field("new_password").as_deref(),
            Some("At most 1024 characters.")
        );
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn the_last_active_admin_stays(pool: PgPool) {
        let root = user(&pool, "root@example.com", &[Role::Admin]).await;
        assert!(matches!(
            set_active(&pool, &root, root.id, false).await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            set_roles(&pool, &root, root.id, &[Role::Approver]).await,
            Err(AppError::Conflict(_))
        ));
        let second = user(&pool, "second@example.com", &[Role::Admin]).await;
        set_roles(&pool, &root, second.id, &[Role::Approver])
            .await
            .unwrap();
        assert!(set_active(&pool, &root, root.id, false).await.is_err());
        set_roles(&pool, &root, second.id, &[Role::Admin])
            .await
            .unwrap();
        set_active(&pool, &second, root.id, false).await.unwrap();
        assert!(find_active_user(&pool, root.id).await.unwrap().is_none());
        set_active(&pool, &second, root.id, true).await.unwrap();
        assert!(find_active_user(&pool, root.id).await.unwrap().is_some());
        assert!(matches!(
            set_roles(&pool, &root, second.id, &[]).await,
            Err(AppError::Invalid(_))
        ));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_reset_forces_a_new_password(pool: PgPool) {
        let root = user(&pool, "root@example.com", &[Role::Admin]).await;
        let (id, first) = create(
            &pool,
            &root,
            "new@example.com",
            "New Person",
            vec!["requester".into()],
        )
        .await
        .unwrap();
        assert_eq!(first.len(), 20);
        let person = find_active_user(&pool, id).await.unwrap().unwrap();
        assert!(person.must_change_password);
        let temp = reset_password(&pool, &root, id).await.unwrap().password;
        assert_ne!(temp, first);
        let config = Config::from_lookup(|_| None).unwrap();
        let wrong = change_password(
            &pool,
            &config,
            &person,
            SecretString::from(first),
            SecretString::from("short".to_owned()),
            "10.0.0.1",
        )
        .await
        .unwrap_err();
        let fields = &wrong.form().unwrap().fields;
        assert!(fields.contains_key("current_password") && fields.contains_key("new_password"));
        change_password(
            &pool,
            &config,
            &person,
            SecretString::from(temp),
            SecretString::from("a brand new long password".to_owned()),
            "10.0.0.1",
        )
        .await
        .unwrap();
        assert!(
            !find_active_user(&pool, id)
                .await
                .unwrap()
                .unwrap()
                .must_change_password
        );
    }
}
