//! Sign-in, user creation and demo accounts as plain functions over the database.

use super::model::{
    CurrentUser, DEMO_EMAILS, DemoAccounts, MAX_EMAIL_CHARS, Role, SIGN_IN_FAILED, check_email,
    check_new_password, normalize_email,
};
use super::repo::{self, AttemptPurpose, NewUser, Reservation};
use crate::error::{AppError, FormErrors};
use crate::server::audit::{self, AuditEvent};
use crate::server::password::{hash_password, verify_password};
use crate::server::{AppState, Config};
use rand::{Rng, distributions::Alphanumeric};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::PgPool;

/// Who signed in, and the session epoch their new session must carry.
#[derive(Debug)]
pub struct SignedIn {
    pub user: CurrentUser,
    pub session_epoch: i32,
}

/// Checks an email and password, with throttling and an audit row either way.
pub async fn authenticate(
    pool: &PgPool,
    config: &Config,
    typed_email: &str,
    password: SecretString,
    client_ip: &str,
) -> Result<SignedIn, AppError> {
    let email = sign_in_email(config, typed_email, &password)?;
    let Some(attempt) = reserve(pool, config, &email, client_ip, AttemptPurpose::SignIn).await?
    else {
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-in attempts. Sign-in is paused for up to {} minutes; try again later.",
            config.sign_in_window_minutes
        )));
    };
    let Some(found) = active_holder_of(pool, &email, password).await? else {
        crate::server::metrics::metrics().sign_in_failures.inc();
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
    repo::attempt_succeeded(pool, attempt).await?;
    audit::record(
        pool,
        AuditEvent {
            actor_id: Some(found.user.id),
            action: "sign_in",
            subject: Some(&email),
            client_ip: Some(client_ip),
            // With passwords off, only the break-glass admin gets here: worth a look every time.
            details: json!({ "method": "password", "break_glass": !config.local_sign_in }),
        },
    )
    .await?;
    Ok(SignedIn {
        user: found.user,
        session_epoch: found.session_epoch,
    })
}

/// The email to sign in with, once both fields are filled in, the email is well-formed and
/// passwords may be used for it.
fn sign_in_email(
    config: &Config,
    typed_email: &str,
    password: &SecretString,
) -> Result<String, AppError> {
    if typed_email.trim().is_empty() || password.expose_secret().is_empty() {
        let mut form = FormErrors::new("Enter your email and password.").keep("email", typed_email);
        if typed_email.trim().is_empty() {
            form.add("email", "Enter your email address.");
        }
        if password.expose_secret().is_empty() {
            form.add("password", "Enter your password.");
        }
        return Err(form.into());
    }
    let email = checked_sign_in_email(typed_email)?;
    if !config.password_sign_in_allowed(&email) {
        let provider = config
            .oidc
            .as_ref()
            .map_or("single sign-on", |o| o.display_name.as_str());
        return Err(FormErrors::new(format!(
            "Passwords are turned off here: use \"Sign in with {provider}\"."
        ))
        .keep("email", typed_email)
        .into());
    }
    Ok(email)
}

/// The active account `email` names when `password` is its password. The hash is checked even
/// when nobody has the email, so the answer takes as long either way.
async fn active_holder_of(
    pool: &PgPool,
    email: &str,
    password: SecretString,
) -> Result<Option<repo::SessionUser>, AppError> {
    let credentials = repo::find_credentials(pool, email).await?;
    let (hash, active) = match &credentials {
        Some(c) => (c.password_hash.clone(), c.active),
        None => (None, false),
    };
    let password_ok = verify_password(hash, password).await?;
    match (&credentials, password_ok && active) {
        (Some(c), true) => repo::find_session_user(pool, c.id).await,
        _ => Ok(None),
    }
}

/// The typed email, normalised, once it is short and well-formed enough to look up. Nothing is
/// stored, hashed or queried for anything else.
fn checked_sign_in_email(typed: &str) -> Result<String, AppError> {
    let form = || FormErrors::new("Enter your email and password.");
    if crate::error::longer_than(typed.trim(), MAX_EMAIL_CHARS) {
        return Err(form()
            .field(
                "email",
                format!("An email address has at most {MAX_EMAIL_CHARS} characters."),
            )
            .into());
    }
    let email = normalize_email(typed);
    if let Err(problem) = check_email(&email) {
        return Err(form().keep("email", typed).field("email", problem).into());
    }
    Ok(email)
}

/// Reserves one password check for `email` from `client_ip`, or answers `None` when the caller is
/// throttled (audited once per window, however often they try).
pub async fn reserve(
    pool: &PgPool,
    config: &Config,
    email: &str,
    client_ip: &str,
    purpose: AttemptPurpose,
) -> Result<Option<i64>, AppError> {
    let reservation = repo::reserve_attempt(
        pool,
        email,
        client_ip,
        purpose,
        config.sign_in_window_minutes,
        config.sign_in_max_failures,
    )
    .await?;
    Ok(match reservation {
        Reservation::Granted { attempt_id } => Some(attempt_id),
        Reservation::Refused(_) => None,
    })
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
    create_user_with(pool, input, actor_id, false).await
}

/// [`create_user`]; with `temporary`, the password must be replaced at first sign-in (set in the
/// same transaction as the account itself).
pub async fn create_user_with(
    pool: &PgPool,
    input: NewUserInput,
    actor_id: Option<uuid::Uuid>,
    temporary: bool,
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
    } else if crate::error::longer_than(&display_name, 200) {
        form.add("display_name", "A name has at most 200 characters.");
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
    if let Err(problem) = check_new_password(input.password.expose_secret()) {
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
    if temporary {
        repo::require_password_change(&mut *tx, id).await?;
    }
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

/// In demo mode: seeds the three demo users into an empty database, or gives the demo users of an
/// earlier start a new password. The password exists only in this process's memory (and on the
/// console and sign-in page); the database keeps its argon2 hash. Answers `None` when the
/// database has users but no demo users.
pub async fn ensure_demo_accounts(pool: &PgPool) -> Result<Option<DemoAccounts>, AppError> {
    let emails = DEMO_EMAILS.iter().map(|(e, _, _)| e.to_string()).collect();
    let existing = repo::demo_user_ids(pool).await?;
    if existing.is_empty() && repo::count_users(pool).await? > 0 {
        return Ok(None);
    }
    let password = generate_demo_password();
    let password_hash = hash_password(SecretString::from(password.clone())).await?;
    let mut tx = pool.begin().await?;
    if existing.is_empty() {
        for (email, name, roles) in DEMO_EMAILS {
            let id = repo::insert_user(
                &mut *tx,
                NewUser {
                    email,
                    display_name: name,
                    roles,
                    password_hash: &password_hash,
                },
            )
            .await?;
            repo::mark_demo(&mut *tx, id).await?;
        }
    } else {
        repo::set_demo_password(&mut *tx, &password_hash).await?;
    }
    tx.commit().await?;
    Ok(Some(DemoAccounts { emails, password }))
}

/// Outside demo mode: the demo accounts stop working at once (deactivated, sessions ended), with
/// an audit row. Answers the emails it disabled, for the start-up log.
pub async fn disable_demo_accounts(pool: &PgPool) -> Result<Vec<String>, AppError> {
    let mut tx = pool.begin().await?;
    let disabled = repo::disable_demo_accounts(&mut *tx).await?;
    if !disabled.is_empty() {
        audit::record(
            &mut *tx,
            AuditEvent {
                actor_id: None,
                action: "demo_accounts_disabled",
                subject: None,
                client_ip: None,
                details: json!({ "emails": disabled }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(disabled)
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
        assert_eq!(user.user.id, id);
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
    async fn demo_accounts_seed_once_and_get_a_new_password_each_start(pool: PgPool) {
        let first = ensure_demo_accounts(&pool).await.unwrap().unwrap();
        assert_eq!(first.emails.len(), 3);
        let again = ensure_demo_accounts(&pool).await.unwrap().unwrap();
        assert_ne!(first.password, again.password, "each start rotates it");
        assert_eq!(repo::count_users(&pool).await.unwrap(), 3);
        let config = Config::from_lookup(|_| None).unwrap();
        let sign_in = |password: &str| {
            authenticate(
                &pool,
                &config,
                "admin@example.com",
                SecretString::from(password.to_owned()),
                "127.0.0.1",
            )
        };
        assert!(
            sign_in(&first.password).await.is_err(),
            "the old one is gone"
        );
        assert!(sign_in(&again.password).await.is_ok());
        // Nothing in the database holds the password in clear.
        let dump: String =
            sqlx::query_scalar("select string_agg(t::text, ' ') from (select * from users) t")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert!(!dump.contains(&again.password));
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
    async fn production_disables_demo_accounts_and_audits_it(pool: PgPool) {
        ensure_demo_accounts(&pool).await.unwrap().unwrap();
        let disabled = disable_demo_accounts(&pool).await.unwrap();
        assert_eq!(disabled.len(), 3);
        assert!(disable_demo_accounts(&pool).await.unwrap().is_empty());
        let active: i64 = sqlx::query_scalar("select count(*) from users where active")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(active, 0);
        let audited: i64 = sqlx::query_scalar(
            "select count(*) from audit_events where action = 'demo_accounts_disabled'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(audited, 1);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn no_demo_accounts_beside_real_users(pool: PgPool) {
        add_user(&pool, "real@example.com", "a long password").await;
        assert!(ensure_demo_accounts(&pool).await.unwrap().is_none());
        assert_eq!(repo::count_users(&pool).await.unwrap(), 1);
    }
}
