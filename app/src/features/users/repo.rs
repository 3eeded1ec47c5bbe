use super::api::{UserPage, UserSummary};
use crate::error::AppError;
use crate::features::auth::Role;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct UserListRow {
    id: Uuid,
    email: String,
    display_name: String,
    roles: Vec<String>,
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
    let rows: Vec<UserListRow> = sqlx::query_as(
        "select id, email, display_name, roles, active, sso_subject is not null as single_sign_on
           from users
          where ($1::text is null or email > $1)
            and ($3::text is null or email like $3 or lower(display_name) like $3)
          order by email limit $2",
    )
    .bind(after)
    .bind(limit + 1)
    .bind(search)
    .fetch_all(pool)
    .await?;
    let more = rows.len() as i64 > limit;
    let users: Vec<UserSummary> = rows
        .into_iter()
        .take(limit as usize)
        .map(|row| UserSummary {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            // The column's check constraint admits only known roles.
            roles: row
                .roles
                .iter()
                .filter_map(|r| Role::parse(r).ok())
                .collect(),
            active: row.active,
            single_sign_on: row.single_sign_on,
        })
        .collect();
    let next_after = more
        .then(|| users.last().map(|u| u.email.clone()))
        .flatten();
    Ok(UserPage { users, next_after })
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
