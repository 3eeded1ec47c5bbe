//! Queries for accounts that sign in through the provider.

use crate::error::AppError;
use crate::features::auth::Role;
use sqlx::PgConnection;
use uuid::Uuid;

/// An account as single sign-on looks at it, locked for the rest of the transaction.
#[derive(Debug)]
pub struct SsoAccount {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub active: bool,
    pub sso_subject: Option<String>,
}

pub async fn lock_by_identity(
    db: &mut PgConnection,
    issuer: &str,
    subject: &str,
) -> Result<Option<SsoAccount>, AppError> {
    Ok(sqlx::query_as!(
        SsoAccount,
        r#"select id, email, display_name, roles as "roles: Vec<Role>", active, sso_subject
             from users
            where sso_issuer = $1 and sso_subject = $2
              for update"#,
        issuer,
        subject
    )
    .fetch_optional(db)
    .await?)
}

pub async fn lock_by_email(
    db: &mut PgConnection,
    email: &str,
) -> Result<Option<SsoAccount>, AppError> {
    Ok(sqlx::query_as!(
        SsoAccount,
        r#"select id, email, display_name, roles as "roles: Vec<Role>", active, sso_subject
             from users
            where email = $1
              for update"#,
        email
    )
    .fetch_optional(db)
    .await?)
}

pub async fn link_identity(
    db: &mut PgConnection,
    id: Uuid,
    issuer: &str,
    subject: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "update users set sso_issuer = $2, sso_subject = $3, updated_at = now() where id = $1",
        id,
        issuer,
        subject
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct NewSsoUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub roles: &'a [Role],
    pub issuer: &'a str,
    pub subject: &'a str,
}

/// A new account without a password; `None` when its email was taken meanwhile.
pub async fn insert_sso_user(
    db: &mut PgConnection,
    user: NewSsoUser<'_>,
) -> Result<Option<SsoAccount>, AppError> {
    Ok(sqlx::query_as!(
        SsoAccount,
        r#"insert into users (email, display_name, roles, sso_issuer, sso_subject)
           values ($1, $2, $3, $4, $5)
           on conflict (email) do nothing
           returning id, email, display_name, roles as "roles: Vec<Role>", active, sso_subject"#,
        user.email,
        user.display_name,
        user.roles as &[Role],
        user.issuer,
        user.subject
    )
    .fetch_optional(db)
    .await?)
}

/// Name, email and roles as the provider says them now. `false` when the new email belongs to
/// another account.
pub async fn update_from_provider(
    db: &mut PgConnection,
    id: Uuid,
    email: &str,
    display_name: &str,
    roles: &[Role],
) -> Result<bool, AppError> {
    let updated = sqlx::query!(
        "update users set email = $2, display_name = $3, roles = $4, updated_at = now()
          where id = $1
            and not exists (select 1 from users other where other.email = $2 and other.id <> $1)",
        id,
        email,
        display_name,
        roles as &[Role]
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}
