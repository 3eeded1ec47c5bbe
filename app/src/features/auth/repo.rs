//! Queries for accounts and sign-in attempts.

use super::model::{CurrentUser, Role};
use crate::error::{AppError, FormErrors};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    display_name: String,
    roles: Vec<String>,
    must_change_password: bool,
}

impl From<UserRow> for CurrentUser {
    fn from(row: UserRow) -> Self {
        CurrentUser {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            must_change_password: row.must_change_password,
            // The column's check constraint admits only known roles.
            roles: row
                .roles
                .iter()
                .filter_map(|r| Role::parse(r).ok())
                .collect(),
        }
    }
}

pub async fn find_active_user(pool: &PgPool, id: Uuid) -> Result<Option<CurrentUser>, AppError> {
    let row = sqlx::query_as::<_, UserRow>(
        "select id, email, display_name, roles, must_change_password from users
          where id = $1 and active",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(CurrentUser::from))
}

pub struct Credentials {
    pub id: Uuid,
    pub password_hash: String,
    pub active: bool,
}

pub async fn find_credentials(pool: &PgPool, email: &str) -> Result<Option<Credentials>, AppError> {
    let row: Option<(Uuid, String, bool)> =
        sqlx::query_as("select id, password_hash, active from users where email = $1")
            .bind(email)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(id, password_hash, active)| Credentials {
        id,
        password_hash,
        active,
    }))
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub roles: &'a [Role],
    pub password_hash: &'a str,
}

pub async fn insert_user(db: impl PgExecutor<'_>, user: NewUser<'_>) -> Result<Uuid, AppError> {
    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
    sqlx::query_scalar(
        "insert into users (email, display_name, roles, password_hash)
         values ($1, $2, $3, $4) returning id",
    )
    .bind(user.email)
    .bind(user.display_name)
    .bind(&roles)
    .bind(user.password_hash)
    .fetch_one(db)
    .await
    .map_err(|err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("users_email_unique") => {
            FormErrors::new("Check the highlighted fields.")
                .field("email", "A user with this email already exists.")
                .into()
        }
        _ => AppError::from(err),
    })
}

pub async fn count_users(pool: &PgPool) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("select count(*) from users")
        .fetch_one(pool)
        .await?)
}

pub async fn record_sign_in_attempt(
    pool: &PgPool,
    email: &str,
    client_ip: &str,
    succeeded: bool,
) -> Result<(), AppError> {
    sqlx::query("insert into sign_in_attempts (email, client_ip, succeeded) values ($1, $2, $3)")
        .bind(email)
        .bind(client_ip)
        .bind(succeeded)
        .execute(pool)
        .await?;
    Ok(())
}

/// Failed sign-ins within the window: for the account (since its last success) and for the
/// client address.
#[derive(Debug, PartialEq, Eq)]
pub struct RecentFailures {
    pub account: i64,
    pub client: i64,
}

pub async fn recent_failures(
    pool: &PgPool,
    email: &str,
    client_ip: &str,
    window_minutes: u32,
) -> Result<RecentFailures, AppError> {
    let (account, client): (i64, i64) = sqlx::query_as(
        "select
           (select count(*) from sign_in_attempts a
             where a.email = $1 and not a.succeeded
               and a.at > now() - make_interval(mins => $3)
               and a.at > coalesce((select max(s.at) from sign_in_attempts s
                                     where s.email = $1 and s.succeeded), '-infinity')),
           (select count(*) from sign_in_attempts a
             where a.client_ip = $2 and not a.succeeded
               and a.at > now() - make_interval(mins => $3))",
    )
    .bind(email)
    .bind(client_ip)
    .bind(window_minutes as i32)
    .fetch_one(pool)
    .await?;
    Ok(RecentFailures { account, client })
}

/// Attempts older than a day no longer matter for throttling.
pub async fn delete_old_sign_in_attempts(pool: &PgPool) -> Result<u64, AppError> {
    let done = sqlx::query("delete from sign_in_attempts where at < now() - interval '1 day'")
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

pub async fn demo_password(pool: &PgPool) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("select password from demo_settings where singleton")
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn save_demo_password(db: impl PgExecutor<'_>, password: &str) -> Result<(), AppError> {
    sqlx::query("insert into demo_settings (password) values ($1)")
        .bind(password)
        .execute(db)
        .await?;
    Ok(())
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

    #[sqlx::test(migrations = "../migrations")]
    async fn failures_count_per_account_since_last_success_and_per_client(pool: PgPool) {
        for _ in 0..3 {
            record_sign_in_attempt(&pool, "a@example.com", "10.0.0.1", false)
                .await
                .unwrap();
        }
        record_sign_in_attempt(&pool, "b@example.com", "10.0.0.1", false)
            .await
            .unwrap();
        let counts = recent_failures(&pool, "a@example.com", "10.0.0.1", 15)
            .await
            .unwrap();
        assert_eq!(
            counts,
            RecentFailures {
                account: 3,
                client: 4
            }
        );

        record_sign_in_attempt(&pool, "a@example.com", "10.0.0.2", true)
            .await
            .unwrap();
        let counts = recent_failures(&pool, "a@example.com", "10.0.0.2", 15)
            .await
            .unwrap();
        assert_eq!(
            counts,
            RecentFailures {
                account: 0,
                client: 0
            }
        );

        sqlx::query("update sign_in_attempts set at = now() - interval '16 minutes'")
            .execute(&pool)
            .await
            .unwrap();
        let counts = recent_failures(&pool, "b@example.com", "10.0.0.1", 15)
            .await
            .unwrap();
        assert_eq!(
            counts,
            RecentFailures {
                account: 0,
                client: 0
            }
        );
    }
}
