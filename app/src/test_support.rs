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
