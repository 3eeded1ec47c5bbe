//! Sign-in, user creation and demo accounts as plain functions over the database.

use super::model::{
    CurrentUser, DEMO_EMAILS, DemoAccounts, Role, SIGN_IN_FAILED, check_email, check_new_password,
    normalize_email,
};
use super::repo::{self, NewUser};
use crate::error::{AppError, FormErrors};
use crate::server::audit::{self, AuditEvent};
use crate::server::password::{hash_password, verify_password};
use crate::server::{AppState, Config};
use rand::{Rng, distributions::Alphanumeric};
use secrecy::SecretString;
use serde_json::json;
use sqlx::PgPool;

/// Checks an email and password, with throttling and an audit row either way.
pub async fn authenticate(
    pool: &PgPool,
    config: &Config,
    typed_email: &str,
    password: SecretString,
    client_ip: &str,
) -> Result<CurrentUser, AppError> {
    let email = normalize_email(typed_email);
    let mut form = FormErrors::new("Enter your email and password.").keep("email", typed_email);
    if email.is_empty() {
        form.add("email", "Enter your email address.");
    }
    if secrecy::ExposeSecret::expose_secret(&password).is_empty() {
        form.add("password", "Enter your password.");
    }
    if !form.is_empty() {
        return Err(form.into());
    }

    let failures =
        repo::recent_failures(pool, &email, client_ip, config.sign_in_window_minutes).await?;
    let limit = i64::from(config.sign_in_max_failures);
    if failures.account >= limit || failures.client >= limit {
        audit::record(
            pool,
            AuditEvent {
                actor_id: None,
                action: "sign_in_refused",
                subject: Some(&email),
                client_ip: Some(client_ip),
                details: json!({ "account_failures": failures.account, "client_failures": failures.client }),
            },
        )
        .await?;
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-in attempts. Sign-in is paused for up to {} minutes; try again later.",
            config.sign_in_window_minutes
        )));
    }

    let credentials = repo::find_credentials(pool, &email).await?;
    let (hash, active) = match &credentials {
        Some(c) => (Some(c.password_hash.clone()), c.active),
        None => (None, false),
    };
    let password_ok = verify_password(hash, password).await;
    let user = match (&credentials, password_ok && active) {
        (Some(c), true) => repo::find_active_user(pool, c.id).await?,
        _ => None,
    };
    let Some(user) = user else {
        repo::record_sign_in_attempt(pool, &email, client_ip, false).await?;
        audit::record(
            pool,
            AuditEvent {
                actor_id: None,
                action: "sign_in_failed",
                subject: Some(&email),
                client_ip: Some(client_ip),
                details: json!({}),
            },
        )
        .await?;
        return Err(FormErrors::new(SIGN_IN_FAILED)
            .keep("email", typed_email)
            .into());
    };
    repo::record_sign_in_attempt(pool, &email, client_ip, true).await?;
    audit::record(
        pool,
        AuditEvent {
            actor_id: Some(user.id),
            action: "sign_in",
            subject: Some(&email),
            client_ip: Some(client_ip),
            details: json!({}),
        },
    )
    .await?;
    Ok(user)
}

/// A user to create, as typed on the command line or in the admin form.
pub struct NewUserInput {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub password: SecretString,
}

/// Validates every field, then hashes and stores. All problems come back at once.
pub async fn create_user(
    pool: &PgPool,
    input: NewUserInput,
    actor_id: Option<uuid::Uuid>,
) -> Result<uuid::Uuid, AppError> {
    let email = normalize_email(&input.email);
    let display_name = input.display_name.trim().to_owned();
    let mut form = FormErrors::new("Check the highlighted fields.")
        .keep("email", &input.email)
        .keep("display_name", &input.display_name);
    if let Err(problem) = check_email(&email) {
        form.add("email", problem);
    }
    if display_name.is_empty() {
        form.add("display_name", "Enter the person's name.");
    }
    let mut roles = Vec::new();
    for text in &input.roles {
        match Role::parse(text) {
            Ok(role) if !roles.contains(&role) => roles.push(role),
            Ok(_) => {}
            Err(problem) => form.add("roles", problem),
        }
    }
    if input.roles.is_empty() {
        form.add("roles", "Give the user at least one role.");
    }
    if let Err(problem) = check_new_password(secrecy::ExposeSecret::expose_secret(&input.password))
    {
        form.add("password", problem);
    }
    if !form.is_empty() {
        return Err(form.into());
    }
    let password_hash = hash_password(input.password).await?;
    let mut tx = pool.begin().await?;
    let id = repo::insert_user(
        &mut *tx,
        NewUser {
            email: &email,
            display_name: &display_name,
            roles: &roles,
            password_hash: &password_hash,
        },
    )
    .await?;
    let role_names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    audit::record(
        &mut *tx,
        AuditEvent {
            actor_id,
            action: "user_created",
            subject: Some(&email),
            client_ip: None,
            details: json!({ "user_id": id, "roles": role_names }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// In demo mode: seeds the three demo users into an empty database, or finds the password of an
/// earlier seeding. Answers `None` when the database has users that were not seeded here.
pub async fn ensure_demo_accounts(pool: &PgPool) -> Result<Option<DemoAccounts>, AppError> {
    let emails = DEMO_EMAILS.iter().map(|(e, _, _)| e.to_string()).collect();
    if let Some(password) = repo::demo_password(pool).await? {
        return Ok(Some(DemoAccounts { emails, password }));
    }
    if repo::count_users(pool).await? > 0 {
        return Ok(None);
    }
    let password = generate_demo_password();
    let password_hash = hash_password(SecretString::from(password.clone())).await?;
    let mut tx = pool.begin().await?;
    for (email, name, roles) in DEMO_EMAILS {
        repo::insert_user(
            &mut *tx,
            NewUser {
                email,
                display_name: name,
                roles,
                password_hash: &password_hash,
            },
        )
        .await?;
    }
    repo::save_demo_password(&mut *tx, &password).await?;
    tx.commit().await?;
    Ok(Some(DemoAccounts { emails, password }))
}

/// Four groups of four letters and digits: easy to read off a banner, about 95 bits.
fn generate_demo_password() -> String {
    let raw: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    raw.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect::<Vec<_>>()
        .join("-")
}

/// Lets every server function find the demo accounts without another query.
pub fn demo_accounts(state: &AppState) -> Option<DemoAccounts> {
    state.demo.as_deref().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_config() -> Config {
        Config::from_lookup(|_| None).unwrap()
    }

    async fn add_user(pool: &PgPool, email: &str, password: &str) -> uuid::Uuid {
        create_user(
            pool,
            NewUserInput {
                email: email.into(),
                display_name: "Test".into(),
                roles: vec!["requester".into()],
                password: SecretString::from(password.to_owned()),
            },
            None,
        )
        .await
        .unwrap()
    }

    #[test]
    fn demo_passwords_are_long_and_differ() {
        let a = generate_demo_password();
        assert_eq!(a.len(), 19);
        assert_eq!(a.matches('-').count(), 3);
        assert_ne!(a, generate_demo_password());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn create_user_reports_every_problem_at_once(pool: PgPool) {
        let err = create_user(
            &pool,
            NewUserInput {
                email: "not-an-email".into(),
                display_name: " ".into(),
                roles: vec!["root".into()],
                password: SecretString::from("short".to_owned()),
            },
            None,
        )
        .await
        .unwrap_err();
        let form = err.form().unwrap();
        for field in ["email", "display_name", "roles", "password"] {
            assert!(form.for_field(field).is_some(), "{field} has no message");
        }
        assert_eq!(repo::count_users(&pool).await.unwrap(), 0);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn sign_in_accepts_any_case_and_audits(pool: PgPool) {
        let id = add_user(&pool, "ada@example.com", "a long password").await;
        let user = authenticate(
            &pool,
            &test_config(),
            " Ada@Example.com ",
            SecretString::from("a long password".to_owned()),
            "127.0.0.1",
        )
        .await
        .unwrap();
        assert_eq!(user.id, id);
        let actions: Vec<String> =
            sqlx::query_scalar("select action from audit_events order by id")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(actions, ["user_created", "sign_in"]);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn wrong_password_and_unknown_email_fail_alike(pool: PgPool) {
        add_user(&pool, "ada@example.com", "a long password").await;
        let config = test_config();
        let wrong = authenticate(
            &pool,
            &config,
            "ada@example.com",
            SecretString::from("nope".to_owned()),
            "10.0.0.1",
        )
        .await
        .unwrap_err();
        let unknown = authenticate(
            &pool,
            &config,
            "eve@example.com",
            SecretString::from("nope".to_owned()),
            "10.0.0.2",
        )
        .await
        .unwrap_err();
        assert_eq!(wrong.to_string(), SIGN_IN_FAILED);
        assert_eq!(unknown.to_string(), SIGN_IN_FAILED);
        assert_eq!(wrong.status_code(), unknown.status_code());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn demo_accounts_seed_once_and_only_into_an_empty_database(pool: PgPool) {
        let first = ensure_demo_accounts(&pool).await.unwrap().unwrap();
        assert_eq!(first.emails.len(), 3);
        let again = ensure_demo_accounts(&pool).await.unwrap().unwrap();
        assert_eq!(first.password, again.password);
        assert_eq!(repo::count_users(&pool).await.unwrap(), 3);
        let admin = repo::find_credentials(&pool, "admin@example.com")
            .await
            .unwrap()
            .unwrap();
        let admin = repo::find_active_user(&pool, admin.id)
            .await
            .unwrap()
            .unwrap();
        assert!(admin.has(Role::Admin) && admin.has(Role::Approver));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn no_demo_accounts_beside_real_users(pool: PgPool) {
        add_user(&pool, "real@example.com", "a long password").await;
        assert!(ensure_demo_accounts(&pool).await.unwrap().is_none());
        assert_eq!(repo::count_users(&pool).await.unwrap(), 1);
    }
}
