//! Queries for accounts and sign-in attempts.

use super::model::{CurrentUser, Role};
use crate::error::{AppError, ConstraintField};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

/// An active user as every page sees them.
struct UserRow {
    id: Uuid,
    email: String,
    display_name: String,
    roles: Vec<Role>,
    must_change_password: bool,
}

/// An active user and the session epoch a session must carry to still be theirs.
struct SessionUserRow {
    id: Uuid,
    email: String,
    display_name: String,
    roles: Vec<Role>,
    must_change_password: bool,
    session_epoch: i32,
}

pub struct SessionUser {
    pub user: CurrentUser,
    pub session_epoch: i32,
}

impl From<UserRow> for CurrentUser {
    fn from(row: UserRow) -> Self {
        CurrentUser {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            must_change_password: row.must_change_password,
            roles: row.roles,
        }
    }
}

pub async fn find_active_user(pool: &PgPool, id: Uuid) -> Result<Option<CurrentUser>, AppError> {
    let row = sqlx::query_as!(
        UserRow,
        r#"select id, email, display_name, roles as "roles: Vec<Role>", must_change_password
             from users
            where id = $1 and active"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(CurrentUser::from))
}

/// The active user `id` with their session epoch (see `users.session_epoch`).
pub async fn find_session_user(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<SessionUser>, AppError> {
    let row = sqlx::query_as!(
        SessionUserRow,
        r#"select id, email, display_name, roles as "roles: Vec<Role>", must_change_password,
                  session_epoch
             from users
            where id = $1 and active"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| SessionUser {
        user: CurrentUser {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            must_change_password: row.must_change_password,
            roles: row.roles,
        },
        session_epoch: row.session_epoch,
    }))
}

pub struct Credentials {
    pub id: Uuid,
    /// `None` for an account that signs in only through the company's provider.
    pub password_hash: Option<String>,
    pub active: bool,
}

pub async fn find_credentials(pool: &PgPool, email: &str) -> Result<Option<Credentials>, AppError> {
    Ok(sqlx::query_as!(
        Credentials,
        "select id, password_hash, active from users where email = $1",
        email
    )
    .fetch_optional(pool)
    .await?)
}

/// Ends every session of `id` (each remembers the epoch it began with) and answers the new epoch.
pub async fn end_sessions(db: impl PgExecutor<'_>, id: Uuid) -> Result<i32, AppError> {
    Ok(sqlx::query_scalar!(
        "update users set session_epoch = session_epoch + 1 where id = $1 returning session_epoch",
        id
    )
    .fetch_one(db)
    .await?)
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub roles: &'a [Role],
    pub password_hash: &'a str,
}

pub async fn insert_user(db: impl PgExecutor<'_>, user: NewUser<'_>) -> Result<Uuid, AppError> {
    sqlx::query_scalar!(
        "insert into users (email, display_name, roles, password_hash)
         values ($1, $2, $3, $4) returning id",
        user.email,
        user.display_name,
        user.roles as &[Role],
        user.password_hash
    )
    .fetch_one(db)
    .await
    .map_err(|err| {
        AppError::from_constraint(
            err,
            &[ConstraintField {
                constraint: "users_email_unique",
                field: "email",
                message: "A user with this email already exists.",
            }],
        )
    })
}

/// A temporary password: nothing else works until the person chooses their own.
pub async fn require_password_change(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "update users set must_change_password = true where id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn count_users(pool: &PgPool) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar!(r#"select count(*) as "count!" from users"#)
            .fetch_one(pool)
            .await?,
    )
}

/// What a password check is for; each kind is throttled on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum AttemptPurpose {
    SignIn,
    PasswordChange,
}

impl AttemptPurpose {
    /// The audit action of a throttled try.
    pub fn refusal_action(self) -> &'static str {
        match self {
            AttemptPurpose::SignIn => "sign_in_refused",
            AttemptPurpose::PasswordChange => "password_change_refused",
        }
    }
}

/// Failed attempts within the window: for the account (since its last success) and for the
/// client address.
#[derive(Debug, PartialEq, Eq)]
pub struct RecentFailures {
    pub account: i64,
    pub client: i64,
}

/// The answer to "may this password be checked now?".
#[derive(Debug, PartialEq, Eq)]
pub enum Reservation {
    /// Yes: the attempt is already recorded as a failure; [`attempt_succeeded`] turns it round.
    Granted {
        attempt_id: i64,
    },
    Refused(RecentFailures),
}

/// Decides whether one more password check is allowed and, if so, records it as a failure before
/// the check runs. Tries for the same account or address queue on advisory locks (account first,
/// then address, always in that order), so concurrent guesses each see those before them: with a
/// limit of 5, 24 simultaneous wrong passwords get 5 checks and 19 refusals.
pub async fn reserve_attempt(
    pool: &PgPool,
    email: &str,
    client_ip: &str,
    purpose: AttemptPurpose,
    window_minutes: u32,
    limit: u32,
) -> Result<Reservation, AppError> {
    let mut tx = pool.begin().await?;
    lock_attempts(&mut tx, email, client_ip).await?;
    let failures = recent_failures(&mut tx, email, client_ip, purpose, window_minutes).await?;
    let limit = i64::from(limit);
    if failures.account >= limit || failures.client >= limit {
        audit_refusal(
            &mut tx,
            email,
            client_ip,
            purpose,
            window_minutes,
            &failures,
        )
        .await?;
        tx.commit().await?;
        return Ok(Reservation::Refused(failures));
    }
    // clock_timestamp(): a later try must sort after this one even within one transaction time.
    let attempt_id = sqlx::query_scalar!(
        "insert into sign_in_attempts (email, client_ip, succeeded, purpose, at)
         values ($1, $2, false, $3, clock_timestamp()) returning id",
        email,
        client_ip,
        purpose as AttemptPurpose
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Reservation::Granted { attempt_id })
}

/// Queues this try behind the others for the same account, then the same address (always in
/// that order, so two tries never wait on each other); the locks end with the transaction.
async fn lock_attempts(
    db: &mut PgConnection,
    email: &str,
    client_ip: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "select from pg_advisory_xact_lock(hashtextextended('certdesk account ' || $1, 0))",
        email
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        "select from pg_advisory_xact_lock(hashtextextended('certdesk client ' || $1, 0))",
        client_ip
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Failed tries within the window: the account's since its last success, and the address's.
async fn recent_failures(
    db: &mut PgConnection,
    email: &str,
    client_ip: &str,
    purpose: AttemptPurpose,
    window_minutes: u32,
) -> Result<RecentFailures, AppError> {
    Ok(sqlx::query_as!(
        RecentFailures,
        r#"select
           (select count(*) from sign_in_attempts a
             where a.email = $1 and a.purpose = $4 and not a.succeeded
               and a.at > now() - make_interval(mins => $3)
               and a.at > coalesce((select max(s.at) from sign_in_attempts s
                                     where s.email = $1 and s.purpose = $4 and s.succeeded),
                                   '-infinity')) as "account!",
           (select count(*) from sign_in_attempts a
             where a.client_ip = $2 and not a.succeeded
               and a.at > now() - make_interval(mins => $3)) as "client!""#,
        email,
        client_ip,
        window_minutes as i32,
        purpose as AttemptPurpose
    )
    .fetch_one(db)
    .await?)
}

/// An audit row for a refused try, unless one was written within the window.
async fn audit_refusal(
    db: &mut PgConnection,
    email: &str,
    client_ip: &str,
    purpose: AttemptPurpose,
    window_minutes: u32,
    failures: &RecentFailures,
) -> Result<(), AppError> {
    // Under the same locks, so concurrent refusals add one audit row per window, not one each.
    if !audited_recently(
        &mut *db,
        purpose.refusal_action(),
        email,
        client_ip,
        window_minutes,
    )
    .await?
    {
        crate::server::audit::record(
            &mut *db,
            crate::server::audit::AuditEvent {
                actor_id: None,
                action: purpose.refusal_action(),
                subject: Some(email),
                client_ip: Some(client_ip),
                details: serde_json::json!({
                    "account_failures": failures.account,
                    "client_failures": failures.client,
                }),
            },
        )
        .await?;
    }
    Ok(())
}

/// The reserved attempt turned out right: it counts as a success (and resets the account count).
pub async fn attempt_succeeded(pool: &PgPool, attempt_id: i64) -> Result<(), AppError> {
    sqlx::query!(
        "update sign_in_attempts set succeeded = true where id = $1",
        attempt_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether `action` was already audited for `subject` from `client_ip` within the window, so a
/// caller who keeps trying while refused adds one audit row per window, not one per try.
async fn audited_recently(
    db: impl PgExecutor<'_>,
    action: &str,
    subject: &str,
    client_ip: &str,
    window_minutes: u32,
) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from audit_events
                           where subject = $2 and action = $1 and client_ip = $3
                             and at > now() - make_interval(mins => $4)) as "audited!""#,
        action,
        subject,
        client_ip,
        window_minutes as i32
    )
    .fetch_one(db)
    .await?)
}

/// Attempts older than a day no longer matter for throttling.
pub async fn delete_old_sign_in_attempts(pool: &PgPool) -> Result<u64, AppError> {
    let done = sqlx::query!("delete from sign_in_attempts where at < now() - interval '1 day'")
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// The seeded demo accounts' ids.
pub async fn demo_user_ids(pool: &PgPool) -> Result<Vec<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar!("select id from users where demo order by email")
            .fetch_all(pool)
            .await?,
    )
}

/// Gives every demo account a new password (the old one stops working) and ends their sessions.
pub async fn set_demo_password(
    db: impl PgExecutor<'_>,
    password_hash: &str,
) -> Result<u64, AppError> {
    let done = sqlx::query!(
        "update users set password_hash = $1, session_epoch = session_epoch + 1 where demo",
        password_hash
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn mark_demo(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), AppError> {
    sqlx::query!("update users set demo = true where id = $1", id)
        .execute(db)
        .await?;
    Ok(())
}

/// Outside demo mode: deactivates the demo accounts that are still active, ends their sessions
/// and answers their emails.
pub async fn disable_demo_accounts(db: impl PgExecutor<'_>) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!(
        "update users set active = false, session_epoch = session_epoch + 1, updated_at = now()
          where demo and active returning email"
    )
    .fetch_all(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn add(pool: &PgPool, email: &str, roles: &[Role]) -> Uuid {
        insert_user(
            pool,
            NewUser {
                email,
                display_name: "Test User",
                roles,
                password_hash: "$argon2id$fake",
            },
        )
        .await
        .unwrap()
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn inserted_users_are_found_with_their_roles(pool: PgPool) {
        let id = add(&pool, "ada@example.com", &[Role::Admin, Role::Approver]).await;
        let user = find_active_user(&pool, id).await.unwrap().unwrap();
        assert_eq!(user.email, "ada@example.com");
        assert_eq!(user.roles, [Role::Admin, Role::Approver]);
        let creds = find_credentials(&pool, "ada@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(creds.id, id);
        assert!(creds.active);
        assert!(
            find_credentials(&pool, "nobody@example.com")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn duplicate_email_is_a_field_error(pool: PgPool) {
        add(&pool, "ada@example.com", &[Role::Requester]).await;
        let err = insert_user(
            &pool,
            NewUser {
                email: "ada@example.com",
                display_name: "Other",
                roles: &[Role::Requester],
                password_hash: "x",
            },
        )
        .await
        .unwrap_err();
        let form = err.form().expect("a field error");
        assert!(form.for_field("email").unwrap().contains("already exists"));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn database_refuses_mixed_case_email_and_empty_roles(pool: PgPool) {
        let mixed = sqlx::query(
            "insert into users (email, display_name, roles, password_hash)
             values ('Ada@Example.com', 'A', '{requester}', 'x')",
        )
        .execute(&pool)
        .await;
        assert!(mixed.is_err(), "emails are stored lower-case");
        let no_roles = sqlx::query(
            "insert into users (email, display_name, roles, password_hash)
             values ('b@example.com', 'B', '{}', 'x')",
        )
        .execute(&pool)
        .await;
        assert!(no_roles.is_err(), "a user holds at least one role");
        let bad_role = sqlx::query(
            "insert into users (email, display_name, roles, password_hash)
             values ('c@example.com', 'C', '{root}', 'x')",
        )
        .execute(&pool)
        .await;
        assert!(bad_role.is_err(), "only known roles");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn inactive_users_are_not_current_users(pool: PgPool) {
        let id = add(&pool, "gone@example.com", &[Role::Requester]).await;
        sqlx::query("update users set active = false where id = $1")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
        assert!(find_active_user(&pool, id).await.unwrap().is_none());
    }

    async fn reserve(pool: &PgPool, email: &str, ip: &str) -> Reservation {
        reserve_attempt(pool, email, ip, AttemptPurpose::SignIn, 15, 5)
            .await
            .unwrap()
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn failures_count_per_account_since_last_success_and_per_client(pool: PgPool) {
        for _ in 0..3 {
            assert!(matches!(
                reserve(&pool, "a@example.com", "10.0.0.1").await,
                Reservation::Granted { .. }
            ));
        }
        reserve(&pool, "b@example.com", "10.0.0.1").await;
        reserve(&pool, "a@example.com", "10.0.0.9").await;
        // The address has 4 failures, the account 4: one more try each, then refusals.
        assert!(matches!(
            reserve(&pool, "c@example.com", "10.0.0.1").await,
            Reservation::Granted { .. }
        ));
        assert_eq!(
            reserve(&pool, "d@example.com", "10.0.0.1").await,
            Reservation::Refused(RecentFailures {
                account: 0,
                client: 5
            })
        );
        let Reservation::Granted { attempt_id } = reserve(&pool, "a@example.com", "10.0.0.2").await
        else {
            panic!("the account's fifth try is allowed");
        };
        attempt_succeeded(&pool, attempt_id).await.unwrap();
        // A success clears the account's count; the password-change count is separate.
        assert!(matches!(
            reserve(&pool, "a@example.com", "10.0.0.3").await,
            Reservation::Granted { .. }
        ));
        sqlx::query("update sign_in_attempts set at = now() - interval '16 minutes'")
            .execute(&pool)
            .await
            .unwrap();
        assert!(matches!(
            reserve(&pool, "d@example.com", "10.0.0.1").await,
            Reservation::Granted { .. }
        ));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn concurrent_tries_are_counted_one_after_another(pool: PgPool) {
        let tries = (0..24).map(|n| {
            let pool = pool.clone();
            async move { reserve(&pool, "victim@example.com", &format!("10.1.0.{n}")).await }
        });
        let answers = futures::future::join_all(tries).await;
        let granted = answers
            .iter()
            .filter(|a| matches!(a, Reservation::Granted { .. }))
            .count();
        assert_eq!(granted, 5, "{answers:?}");
    }
}
