use super::api::{UserPage, UserSummary};
use crate::error::AppError;
use crate::features::auth::Role;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

struct UserListRow {
    id: Uuid,
    email: String,
    display_name: String,
    roles: Vec<Role>,
    active: bool,
    single_sign_on: bool,
}

/// Keyset pagination on the unique email index: no OFFSET scans however many users there are.
pub async fn list_users(
    pool: &PgPool,
    after: Option<&str>,
    search: Option<&str>,
    limit: i64,
) -> Result<UserPage, AppError> {
    crate::server::search::check_search_lengths(&[
        ("q", search.unwrap_or_default()),
        ("after", after.unwrap_or_default()),
    ])?;
    let search = search.and_then(crate::server::search::contains_pattern);
    let rows = sqlx::query_as!(
        UserListRow,
        r#"select id, email, display_name, roles as "roles: Vec<Role>", active,
                  sso_subject is not null as "single_sign_on!"
             from users
            where ($1::text is null or email > $1)
              and ($3::text is null or email like $3 or lower(display_name) like $3)
            order by email limit $2"#,
        after,
        limit + 1,
        search
    )
    .fetch_all(pool)
    .await?;
    let (rows, more) = crate::server::search::one_page(rows, limit);
    let users: Vec<UserSummary> = rows
        .into_iter()
        .map(|row| UserSummary {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            roles: row.roles,
            active: row.active,
            single_sign_on: row.single_sign_on,
        })
        .collect();
    let next_after = crate::server::search::continues_after(&users, more).map(|u| u.email.clone());
    Ok(UserPage { users, next_after })
}

/// An account as an admin's change finds it, its row locked for the rest of the transaction.
pub struct LockedAccount {
    pub email: String,
    pub roles: Vec<Role>,
}

pub async fn lock_account(db: &mut PgConnection, id: Uuid) -> Result<LockedAccount, AppError> {
    sqlx::query_as!(
        LockedAccount,
        r#"select email, roles as "roles: Vec<Role>" from users where id = $1 for update"#,
        id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound)
}

/// The active admins' ids, their rows locked, so two admins demoting each other wait in turn.
pub async fn lock_active_admins(db: &mut PgConnection) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        "select id from users where active and 'admin' = any(roles) order by id for update"
    )
    .fetch_all(db)
    .await?)
}

pub async fn set_active(db: &mut PgConnection, id: Uuid, active: bool) -> Result<(), AppError> {
    sqlx::query!(
        "update users set active = $2, updated_at = now() where id = $1",
        id,
        active
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_roles(db: &mut PgConnection, id: Uuid, roles: &[Role]) -> Result<(), AppError> {
    sqlx::query!(
        "update users set roles = $2, updated_at = now() where id = $1",
        id,
        roles as &[Role]
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A new password hash; `must_change` when an admin set it and the person must choose their own.
pub async fn set_password(
    db: &mut PgConnection,
    id: Uuid,
    hash: &str,
    must_change: bool,
) -> Result<(), AppError> {
    sqlx::query!(
        "update users set password_hash = $2, must_change_password = $3, updated_at = now()
          where id = $1",
        id,
        hash,
        must_change
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The account's password hash; `None` for an unknown account or one that signs in only
/// through the company's provider.
pub async fn password_hash(pool: &PgPool, id: Uuid) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar!("select password_hash from users where id = $1", id)
            .fetch_optional(pool)
            .await?
            .flatten(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::auth::repo::{NewUser, insert_user};

    async fn seed(pool: &PgPool, n: usize) {
        for i in 0..n {
            insert_user(
                pool,
                NewUser {
                    email: &format!("user{i:02}@example.com"),
                    display_name: "U",
                    roles: &[Role::Requester],
                    password_hash: "x",
                },
            )
            .await
            .unwrap();
        }
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn pages_walk_every_user_once(pool: PgPool) {
        seed(&pool, 7).await;
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = list_users(&pool, after.as_deref(), None, 3).await.unwrap();
            seen.extend(page.users.iter().map(|u| u.email.clone()));
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 7);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn an_exact_page_has_no_next(pool: PgPool) {
        seed(&pool, 3).await;
        let page = list_users(&pool, None, None, 3).await.unwrap();
        assert_eq!(page.users.len(), 3);
        assert_eq!(page.next_after, None);
        let found = list_users(&pool, None, Some(" USER01"), 50).await.unwrap();
        assert_eq!(found.users.len(), 1, "search ignores case and spaces");
        let none = list_users(&pool, None, Some("%"), 50).await.unwrap();
        assert!(none.users.is_empty(), "wildcards are literal");
        let empty = list_users(&pool, Some("zzz"), None, 3).await.unwrap();
        assert!(empty.users.is_empty());
    }
}
