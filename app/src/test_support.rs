//! Helpers shared by the `#[sqlx::test]` tests of several features.

use crate::features::auth::repo::{NewUser, insert_user};
use crate::features::auth::{CurrentUser, Role};
use crate::features::requests::model::{FormKind, RequestForm};
use sqlx::PgPool;
use time::Date;
use time::macros::date;

pub const TODAY: Date = date!(2026 - 11 - 23);
pub const CSR: &str = include_str!("../tests/fixtures/csr/rsa2048.csr");

pub async fn user(pool: &PgPool, email: &str, roles: &[Role]) -> CurrentUser {
    let id = insert_user(
        pool,
        NewUser {
            email,
            display_name: email.split('@').next().unwrap_or(email),
            roles,
            password_hash: "x",
        },
    )
    .await
    .unwrap();
    CurrentUser {
        must_change_password: false,
        id,
        email: email.into(),
        display_name: email.split('@').next().unwrap_or(email).into(),
        roles: roles.to_vec(),
    }
}

/// A valid Basic OV form for www.example.com and example.com.
pub fn basic_ov_form() -> RequestForm {
    let mut form = RequestForm::blank(FormKind::BasicOv);
    form.organization = "1001".into();
    form.common_name = "www.example.com".into();
    form.dns_names = "example.com".into();
    form.csr = CSR.into();
    form
}

pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Checks a state machine in the database against its one declaration in Rust: the table's
/// status check constraint admits exactly `all`, and the trigger's `function(old, new)` allows
/// exactly the pairs `allowed` names (every pair of `all` is tried).
pub async fn assert_machine_matches(
    pool: &PgPool,
    table: &str,
    function: &str,
    all: &[&str],
    allowed: impl Fn(&str, &str) -> bool,
) {
    let definition: String = sqlx::query_scalar(
        "select pg_get_constraintdef(oid) from pg_constraint
          where conrelid = $1::regclass and conname = $2",
    )
    .bind(table)
    .bind(format!("{table}_status_check"))
    .fetch_one(pool)
    .await
    .unwrap();
    let mut admitted: Vec<&str> = definition.split('\'').skip(1).step_by(2).collect();
    let mut declared = all.to_vec();
    admitted.sort_unstable();
    declared.sort_unstable();
    assert_eq!(admitted, declared, "{table}'s status check: {definition}");
    let mut differences = Vec::new();
    for old in all {
        for new in all {
            let allowed_here: bool = sqlx::query_scalar(&format!("select {function}($1, $2)"))
                .bind(old)
                .bind(new)
                .fetch_one(pool)
                .await
                .unwrap();
            if allowed_here != allowed(old, new) {
                differences.push(format!("{old} -> {new}: database {allowed_here}"));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{function} differs: {differences:#?}"
    );
}
