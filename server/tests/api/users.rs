//! User administration over HTTP: creation with a temporary password, the forced password change,
//! deactivation ending sessions at once, roles, and the last-admin rule.

use crate::helpers::{client, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn a_new_account_signs_in_with_its_temporary_password_and_must_replace_it() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["admin"]).await;
    let created = app
        .call(
            &admin,
            "/api/users/create",
            &[
                ("email", "Grace@Example.com"),
                ("display_name", "Grace Hopper"),
                ("requester", "on"),
            ],
        )
        .await;
    assert_eq!(created.status(), 200);
    let temp: Value = created.json().await.unwrap();
    assert_eq!(temp["email"], "grace@example.com");
    let password = temp["password"].as_str().unwrap().to_owned();

    let grace = client();
    let signed_in = app.sign_in(&grace, "grace@example.com", &password).await;
    assert_eq!(signed_in.status(), 200);
    assert_eq!(
        signed_in.json::<Value>().await.unwrap(),
        "/account/password"
    );
    assert_eq!(app.me(&grace).await["must_change_password"], true);
    let blocked = app.call(&grace, "/api/requests/mine", &[]).await;
    assert_eq!(
        blocked.status(),
        403,
        "nothing else until the password is changed"
    );
    let changed = app
        .call(
            &grace,
            "/api/account/change_password",
            &[
                ("current_password", &password),
                ("new_password", "graces own long password"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        app.call(&grace, "/api/requests/mine", &[]).await.status(),
        200
    );
    // The temporary password is gone.
    let again = client();
    assert_eq!(
        app.sign_in(&again, "grace@example.com", &password)
            .await
            .status(),
        422
    );

    let duplicate = app
        .call(
            &admin,
            "/api/users/create",
            &[
                ("email", "grace@example.com"),
                ("display_name", "G"),
                ("approver", "on"),
            ],
        )
        .await;
    assert_eq!(duplicate.status(), 422);
}

async fn user_id(app: &crate::helpers::TestApp, email_prefix: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("select id from users where email like $1")
        .bind(format!("{email_prefix}%"))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    id.to_string()
}

#[tokio::test]
async fn deactivation_ends_sessions_at_once_and_roles_change() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["admin"]).await;
    let person = app.signed_in(&["requester"]).await;
    let id = user_id(&app, "requester-").await;
    assert_eq!(
        app.call(&person, "/api/requests/mine", &[]).await.status(),
        200
    );
    let off = app
        .call(
            &admin,
            "/api/users/set_active",
            &[("id", &id), ("active", "false")],
        )
        .await;
    assert_eq!(off.status(), 200);
    assert_eq!(
        app.call(&person, "/api/requests/mine", &[]).await.status(),
        401
    );
    app.call(
        &admin,
        "/api/users/set_active",
        &[("id", &id), ("active", "true")],
    )
    .await;
    let roles = app
        .call(
            &admin,
            "/api/users/set_roles",
            &[("id", &id), ("approver", "on")],
        )
        .await;
    assert_eq!(roles.status(), 200);
    let stored: Vec<String> = sqlx::query_scalar("select roles from users where id = $1::uuid")
        .bind(&id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, ["approver"]);
    let none = app
        .call(&admin, "/api/users/set_roles", &[("id", &id)])
        .await;
    assert_eq!(none.status(), 422);
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_removed_or_demoted() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["admin"]).await;
    let id = user_id(&app, "admin-").await;
    let off = app
        .call(
            &admin,
            "/api/users/set_active",
            &[("id", &id), ("active", "false")],
        )
        .await;
    assert_eq!(off.status(), 409);
    let demoted = app
        .call(
            &admin,
            "/api/users/set_roles",
            &[("id", &id), ("approver", "on")],
        )
        .await;
    assert_eq!(demoted.status(), 409);
    let body: Value = demoted.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("last active admin")
    );
    let reset = app
        .call(&admin, "/api/users/reset_password", &[("id", &id)])
        .await;
    assert_eq!(
        reset.status(),
        200,
        "an admin may reset even their own password"
    );
}

/// A search longer than a page: the link to the next page keeps the search, and an email with
/// a `+` (where the page ended) comes through intact.
#[tokio::test]
async fn the_next_page_of_a_user_search_is_the_same_search() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["admin"]).await;
    // One more than a page (50) of matches, and someone who does not match.
    for n in 0..51 {
        app.add_user(&format!("pager+{n:02}@example.com"), &["requester"])
            .await;
    }
    app.add_user("someone-else@example.com", &["requester"])
        .await;

    let first = app.page(&admin, "/users?q=pager").await;
    assert!(first.contains("pager+00@example.com"));
    assert!(!first.contains("pager+50@example.com"));
    let href = first
        .split("href=\"")
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .find(|href| href.starts_with("/users?"))
        .expect("a link to the next page")
        .replace("&amp;", "&");
    assert_eq!(href, "/users?q=pager&after=pager%2B49%40example.com");

    let second = app.page(&admin, &href).await;
    assert!(second.contains("pager+50@example.com"), "{second}");
    assert!(!second.contains("pager+49@example.com"));
    assert!(!second.contains("someone-else@example.com"));
}
