use crate::helpers::{PASSWORD, client, session_cookie, spawn_app, spawn_app_with};
use serde_json::Value;

#[tokio::test]
async fn sign_in_starts_a_session_for_the_user() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["approver"]).await;
    let client = client();
    let res = app.sign_in(&client, "ADA@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let me = app.me(&client).await;
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["roles"], serde_json::json!(["approver"]));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["requester"]).await;
    let client = client();
    let wrong = app
        .sign_in(&client, "ada@example.com", "not the password")
        .await;
    let wrong_status = wrong.status();
    let wrong_body: Value = wrong.json().await.unwrap();
    let unknown = app
        .sign_in(&client, "eve@example.com", "not the password")
        .await;
    assert_eq!(wrong_status, 422);
    assert_eq!(unknown.status(), 422);
    let unknown_body: Value = unknown.json().await.unwrap();
    assert_eq!(
        wrong_body["detail"]["message"],
        "Email or password is incorrect."
    );
    assert_eq!(
        unknown_body["detail"]["message"],
        wrong_body["detail"]["message"]
    );
    assert_eq!(app.me(&client).await, Value::Null);
}

#[tokio::test]
async fn empty_fields_are_field_errors() {
    let app = spawn_app().await;
    let res = app.sign_in(&client(), "", "").await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"]["fields"]["email"].is_array());
    assert!(body["detail"]["fields"]["password"].is_array());
}

#[tokio::test]
async fn five_failures_for_one_account_pause_its_sign_in() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["requester"]).await;
    let client = client();
    for _ in 0..5 {
        let res = app.sign_in(&client, "ada@example.com", "guess").await;
        assert_eq!(res.status(), 422);
    }
    let refused = app.sign_in(&client, "ada@example.com", PASSWORD).await;
    assert_eq!(
        refused.status(),
        429,
        "the right password is refused while paused"
    );
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Too many failed sign-in attempts")
    );
    let refusals: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action = 'sign_in_refused'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(refusals, 1);
}

#[tokio::test]
async fn five_failures_from_one_address_pause_it_for_every_account() {
    let app = spawn_app().await;
    app.add_user("victim@example.com", &["requester"]).await;
    let client = client();
    for i in 0..5 {
        app.sign_in(&client, &format!("guess{i}@example.com"), "guess")
            .await;
    }
    let res = app.sign_in(&client, "victim@example.com", PASSWORD).await;
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn failures_expire_after_the_window() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["requester"]).await;
    let client = client();
    for _ in 0..5 {
        app.sign_in(&client, "ada@example.com", "guess").await;
    }
    sqlx::query("update sign_in_attempts set at = at - interval '16 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app.sign_in(&client, "ada@example.com", PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn sign_ins_and_failures_are_audited() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["requester"]).await;
    let client = client();
    app.sign_in(&client, "ada@example.com", "guess").await;
    app.sign_in(&client, "ada@example.com", PASSWORD).await;
    app.call(&client, "/api/auth/sign_out", &[]).await;
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "select action, subject, client_ip from audit_events where action like 'sign%' order by id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(actions, ["sign_in_failed", "sign_in", "sign_out"]);
    assert!(
        rows.iter()
            .all(|r| r.1.as_deref() == Some("ada@example.com"))
    );
    assert!(rows.iter().all(|r| r.2.as_deref() == Some("127.0.0.1")));
}

#[tokio::test]
async fn sign_out_destroys_the_session() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["requester"]).await;
    let client = client();
    let res = app.sign_in(&client, "ada@example.com", PASSWORD).await;
    let cookie = session_cookie(&res).unwrap();
    let cookie_pair = cookie.split(';').next().unwrap().to_owned();
    let out = app.call(&client, "/api/auth/sign_out", &[]).await;
    assert_eq!(out.status(), 200);
    assert_eq!(app.me(&client).await, Value::Null);
    // Replaying the old cookie does not bring the session back.
    let replay: Value = reqwest::Client::new()
        .post(app.url("/api/auth/me"))
        .header("origin", &app.address)
        .header("cookie", cookie_pair)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(replay, Value::Null);
    let rows: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "the session row is deleted");
}

#[tokio::test]
async fn session_cookie_is_http_only_and_lax_without_secure_on_loopback_http() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["requester"]).await;
    let res = app.sign_in(&client(), "ada@example.com", PASSWORD).await;
    let cookie = session_cookie(&res).expect("sign-in sets the session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn session_cookie_is_secure_when_configured() {
    let app = spawn_app_with(&[("CERTDESK_COOKIE_SECURE", "true")]).await;
    app.add_user("ada@example.com", &["requester"]).await;
    let res = app.sign_in(&client(), "ada@example.com", PASSWORD).await;
    let cookie = session_cookie(&res).unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn sign_in_replaces_the_session_id() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["requester"]).await;
    app.add_user("bob@example.com", &["approver"]).await;
    let client = client();
    let first = session_cookie(&app.sign_in(&client, "ada@example.com", PASSWORD).await).unwrap();
    let second = session_cookie(&app.sign_in(&client, "bob@example.com", PASSWORD).await).unwrap();
    let id = |c: &str| c.split(';').next().unwrap().to_owned();
    assert_ne!(id(&first), id(&second), "a new session id at each sign-in");
    assert_eq!(app.me(&client).await["email"], "bob@example.com");
    let old: Value = reqwest::Client::new()
        .post(app.url("/api/auth/me"))
        .header("origin", &app.address)
        .header("cookie", id(&first))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(old, Value::Null, "the id from before is worthless");
}

#[tokio::test]
async fn deactivated_users_cannot_sign_in_and_lose_their_session() {
    let app = spawn_app().await;
    let id = app.add_user("ada@example.com", &["requester"]).await;
    let client = client();
    app.sign_in(&client, "ada@example.com", PASSWORD).await;
    sqlx::query("update users set active = false where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.me(&client).await, Value::Null);
    let res = app.sign_in(&client, "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn expired_sessions_are_refused_and_cleaned_up() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["requester"]).await;
    let client = client();
    app.sign_in(&client, "ada@example.com", PASSWORD).await;
    sqlx::query("update tower_sessions.session set expiry_date = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.me(&client).await, Value::Null);
    let store = tower_sessions_sqlx_store::PostgresStore::new(app.pool.clone());
    tower_sessions::ExpiredDeletion::delete_expired(&store)
        .await
        .unwrap();
    let rows: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn plain_form_sign_in_redirects_to_next_page() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["approver"]).await;
    let res = client()
        .post(app.url("/api/auth/sign_in"))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .header("referer", app.url("/sign-in?next=/approvals"))
        .form(&[
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("next", "/approvals"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/approvals");
}

#[tokio::test]
async fn plain_form_failure_comes_back_to_the_form_with_message_and_email() {
    let app = spawn_app().await;
    let client = client();
    let res = client
        .post(app.url("/api/auth/sign_in"))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .header("referer", app.url("/sign-in"))
        .form(&[
            ("email", "Eve@Example.com"),
            ("password", "nope"),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("/sign-in"), "{location}");
    assert!(
        !location.contains("Eve"),
        "nothing typed travels in the address"
    );
    let page = client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Email or password is incorrect."));
    assert!(
        page.contains(r#"value="Eve@Example.com""#),
        "the typed email is kept"
    );
}

#[tokio::test]
async fn open_redirects_are_refused() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["approver"]).await;
    let res = client()
        .post(app.url("/api/auth/sign_in"))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .form(&[
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = spawn_app().await;
    let res = client()
        .post(app.url("/api/auth/sign_in"))
        .header("origin", "https://evil.example")
        .form(&[("email", "a@example.com"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn demo_mode_shows_working_demo_accounts() {
    let app = spawn_app_with(&[("DIGICERT_API_KEY", "")]).await;
    let page = client()
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Demo mode."));
    let password = crate::helpers::demo_password_on(&page);
    for (email, role) in [
        ("requester@example.com", "requester"),
        ("approver@example.com", "approver"),
        ("admin@example.com", "admin"),
    ] {
        let client = client();
        assert_eq!(app.sign_in(&client, email, &password).await.status(), 200);
        let me = app.me(&client).await;
        assert!(me["roles"].as_array().unwrap().iter().any(|r| r == role));
    }
}

#[tokio::test]
async fn no_demo_accounts_outside_demo_mode() {
    let app = spawn_app().await;
    let page = client()
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Demo mode."));
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
}
