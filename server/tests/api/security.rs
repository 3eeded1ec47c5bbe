//! Production safety: what a hostile employee, a careless operator or a crafted link would try.

use crate::helpers::{
    PASSWORD, TestApp, client, demo_password_on, spawn_app, spawn_app_on, spawn_app_with,
};
use crate::requests::tls_form;
use reqwest::{Client, Response};
use serde_json::Value;
use std::time::{Duration, Instant};

async fn text_of(client: &Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// A plain (no-JavaScript) sign-in post, as the browser sends it from the sign-in page.
async fn plain_sign_in(app: &TestApp, client: &Client, email: &str, next: &str) -> Response {
    client
        .post(app.url("/api/auth/sign_in"))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .header("referer", app.url("/sign-in"))
        .form(&[("email", email), ("password", PASSWORD), ("next", next)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn demo_accounts_stop_working_when_the_portal_restarts_with_a_digicert_key() {
    let demo = spawn_app_with(&[("DIGICERT_API_KEY", "")]).await;
    let password = demo_password_on(&text_of(&client(), &demo.url("/sign-in")).await);
    let admin = client();
    let signed_in = demo.sign_in(&admin, "admin@example.com", &password).await;
    assert_eq!(signed_in.status(), 200);
    let clear: i64 = sqlx::query_scalar(
        "select count(*) from (select u::text as row from users u
                                union all select a::text from audit_events a) t
          where t.row like '%' || $1 || '%'",
    )
    .bind(&password)
    .fetch_one(&demo.pool)
    .await
    .unwrap();
    assert_eq!(clear, 0, "the demo password is stored nowhere in clear");

    // The operator sets a DigiCert key and restarts on the same database.
    let production = spawn_app_on(demo.pool.clone(), &[]).await;
    assert_eq!(
        production.me(&admin).await,
        Value::Null,
        "the demo admin's session ended"
    );
    let again = production
        .sign_in(&client(), "admin@example.com", &password)
        .await;
    assert_eq!(again.status(), 422, "demo accounts cannot sign in");
    let options: Value = production
        .call(&client(), "/api/auth/sign_in_options", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(options["demo"], Value::Null);
    assert_eq!(options["local"], true);
    assert!(
        !text_of(&client(), &production.url("/sign-in"))
            .await
            .contains("Demo mode.")
    );
    assert_eq!(
        count(&production, "select count(*) from users where active").await,
        0
    );
    assert_eq!(
        count(
            &production,
            "select count(*) from audit_events where action = 'demo_accounts_disabled'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn next_paths_that_lead_elsewhere_end_at_home() {
    let app = spawn_app().await;
    app.add_user("ada@example.com", &["approver"]).await;
    for hostile in [
        "/%09/evil.example",
        "/\t/evil.example",
        "/\\t/evil.example",
        "//x",
        "/\\x",
        "%2F%2Fevil.example",
        "/%2F%2Fevil.example",
        "/\r\n/evil.example",
        "/%0d%0aLocation:%20https://evil.example",
        "https://evil.example/",
        "/\u{3000}/evil.example",
    ] {
        let res = plain_sign_in(&app, &client(), "ada@example.com", hostile).await;
        assert_eq!(res.status(), 302, "{hostile:?}");
        assert_eq!(res.headers()["location"], "/", "{hostile:?}");
    }
    let fine = plain_sign_in(
        &app,
        &client(),
        "ada@example.com",
        "/approvals?product=ssl_basic",
    )
    .await;
    assert_eq!(fine.headers()["location"], "/approvals?product=ssl_basic");
}

#[tokio::test]
async fn a_huge_common_name_is_a_field_error_in_well_under_a_second() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let huge = "a".repeat(60_000);
    let many = "ü.example ".repeat(5_000);
    let form = tls_form("basic-ov", &[("common_name", &huge), ("dns_names", &many)]);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let started = Instant::now();
    let res = app.call(&ada, "/api/requests/submit", &form).await;
    let elapsed = started.elapsed();
    println!("a 60,000-character common name was refused in {elapsed:?}");
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"]["fields"]["common_name"].is_array(), "{body}");
    assert!(
        body["detail"]["kept"].get("common_name").is_none(),
        "an oversized value is not sent back"
    );
    assert!(elapsed < Duration::from_millis(500), "took {elapsed:?}");
    assert_eq!(count(&app, "select count(*) from requests").await, 0);

    let started = Instant::now();
    let preview = app.call(&ada, "/api/requests/check_csr", &form).await;
    assert_eq!(preview.status(), 422);
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_before_any_handler() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let res = ada
        .post(app.url("/api/requests/check_csr"))
        .header("origin", &app.address)
        .header("accept", "application/json")
        .form(&[("form[csr]", "A".repeat(2 * 1024 * 1024))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn bulk_approval_takes_a_bounded_list() {
    let app = spawn_app().await;
    let vic = app.signed_in(&["approver"]).await;
    let ids: Vec<(String, String)> = (0..101)
        .map(|i| (format!("ids[{i}]"), (i + 1).to_string()))
        .collect();
    let ids: Vec<(&str, &str)> = ids.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = app.call(&vic, "/api/approvals/approve_many", &ids).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"]["fields"]["ids"].is_array(), "{body}");
}

#[tokio::test]
async fn concurrent_wrong_passwords_verify_at_most_five() {
    let app = spawn_app().await;
    app.add_user("victim@example.com", &["requester"]).await;
    let tries = (0..24).map(|_| {
        let app = &app;
        async move {
            app.sign_in(&client(), "victim@example.com", "guess guess guess")
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(tries).await;
    let checked = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    println!("24 concurrent wrong passwords: {checked} checked, {refused} refused");
    assert_eq!((checked, refused), (5, 19), "{statuses:?}");
    assert_eq!(
        count(&app, "select count(*) from sign_in_attempts").await,
        5,
        "only five passwords were ever checked"
    );
    // A caller who keeps trying while refused is audited once per window, not once per try.
    for _ in 0..10 {
        app.sign_in(&client(), "victim@example.com", "guess").await;
    }
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'sign_in_refused'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'sign_in_failed'"
        )
        .await,
        5
    );
}

#[tokio::test]
async fn an_oversized_email_is_refused_before_anything_is_stored() {
    let app = spawn_app().await;
    let email = format!("{}@example.com", "a".repeat(5000));
    let started = Instant::now();
    let res = app.sign_in(&client(), &email, "whatever it is").await;
    assert_eq!(res.status(), 422);
    assert!(started.elapsed() < Duration::from_millis(500));
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"]["fields"]["email"].is_array(), "{body}");
    assert!(body["detail"]["kept"].get("email").is_none());
    assert_eq!(
        count(&app, "select count(*) from sign_in_attempts").await,
        0
    );
    assert_eq!(count(&app, "select count(*) from audit_events").await, 0);
}

async fn change_password(app: &TestApp, client: &Client, current: &str, new: &str) -> Response {
    app.call(
        client,
        "/api/account/change_password",
        &[("current_password", current), ("new_password", new)],
    )
    .await
}

#[tokio::test]
async fn a_password_change_and_an_admin_reset_end_the_other_sessions() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["admin"]).await;
    let id = app.add_user("ada@example.com", &["requester"]).await;
    let (laptop, phone) = (client(), client());
    app.sign_in(&laptop, "ada@example.com", PASSWORD).await;
    app.sign_in(&phone, "ada@example.com", PASSWORD).await;

    let changed = change_password(&app, &laptop, PASSWORD, "a new and long password").await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        app.me(&laptop).await["email"],
        "ada@example.com",
        "this one stays"
    );
    assert_eq!(app.me(&phone).await, Value::Null, "the other one ended");

    let reset = app
        .call(
            &admin,
            "/api/users/reset_password",
            &[("id", &id.to_string())],
        )
        .await;
    assert_eq!(reset.status(), 200);
    assert_eq!(
        app.me(&laptop).await,
        Value::Null,
        "a reset ends every session"
    );
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_and_audited() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    for _ in 0..5 {
        let res = change_password(&app, &ada, "not my password", "a new and long password").await;
        assert_eq!(res.status(), 422);
    }
    let res = change_password(&app, &ada, PASSWORD, "a new and long password").await;
    assert_eq!(
        res.status(),
        429,
        "even the right password waits out the pause"
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'password_change_failed'"
        )
        .await,
        5
    );
}

/// Reading pages writes nothing to the session store: a session is saved when it changes and
/// when its inactivity clock is pushed forward (once per quarter of the idle window).
#[tokio::test]
async fn reading_pages_does_not_write_the_session() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester", "approver"]).await;
    // The first request after sign-in starts the inactivity clock: one write.
    app.page(&ada, "/").await;
    let saved = || async {
        sqlx::query_scalar::<_, Option<String>>(
            "select string_agg(id || ' ' || expiry_date::text, ', ' order by id) \
               from tower_sessions.session",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let before = saved().await;
    for path in ["/", "/requests", "/approvals", "/requests/new/basic-ov"] {
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(app.page(&ada, path).await.contains("certdesk"), "{path}");
    }
    // A saved session would have a later expiry (now + the idle window).
    assert_eq!(saved().await, before);
}

#[tokio::test]
async fn sessions_end_after_their_absolute_lifetime() {
    let app = spawn_app_with(&[("CERTDESK_SESSION_MAX_HOURS", "12")]).await;
    let ada = app.signed_in(&["requester"]).await;
    assert!(app.me(&ada).await.is_object());
    // Thirteen hours after sign-in, however busy the session was.
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("select id, data from tower_sessions.session")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for (id, data) in rows {
        let mut record: tower_sessions::session::Record = rmp_serde::from_slice(&data).unwrap();
        if let Some(at) = record.data.get_mut("signed_in_at") {
            *at = Value::from(at.as_i64().unwrap() - 13 * 3600);
        }
        sqlx::query("update tower_sessions.session set data = $2 where id = $1")
            .bind(id)
            .bind(rmp_serde::to_vec(&record).unwrap())
            .execute(&app.pool)
            .await
            .unwrap();
    }
    assert_eq!(app.me(&ada).await, Value::Null);
}

#[tokio::test]
async fn a_forced_password_change_gates_downloads_and_the_csv() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["admin", "requester"]).await;
    sqlx::query("update users set must_change_password = true")
        .execute(&app.pool)
        .await
        .unwrap();
    for path in [
        "/history.csv",
        "/requests/1/certificate.pem",
        "/requests/1/chain.pem",
        "/history",
    ] {
        let res = admin.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(res.headers()["location"], "/account/password", "{path}");
    }
    let page = admin
        .get(app.url("/account/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

fn header<'a>(res: &'a Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} on {}", res.url()))
        .to_str()
        .unwrap()
}

fn assert_common_headers(res: &Response) {
    assert_eq!(header(res, "x-content-type-options"), "nosniff");
    assert_eq!(header(res, "referrer-policy"), "same-origin");
    assert_eq!(header(res, "cache-control"), "no-store");
    assert!(header(res, "content-security-policy").contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn pages_api_answers_and_downloads_carry_the_security_headers() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["admin"]).await;

    let page = admin.get(app.url("/")).send().await.unwrap();
    assert_common_headers(&page);
    let policy = header(&page, "content-security-policy").to_owned();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the page's policy")
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the policy's nonce"
    );
    assert!(!policy.contains("unsafe-inline"));

    let api = app.call(&admin, "/api/auth/me", &[]).await;
    assert_common_headers(&api);
    assert!(header(&api, "content-security-policy").starts_with("default-src 'none'"));

    let csv = admin.get(app.url("/history.csv")).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    assert_common_headers(&csv);
    assert!(csv.headers().get("strict-transport-security").is_none());

    let behind_tls =
        spawn_app_with(&[("CERTDESK_PUBLIC_URL", "https://certdesk.example.com")]).await;
    let res = client()
        .get(behind_tls.url("/sign-in"))
        .send()
        .await
        .unwrap();
    assert!(header(&res, "strict-transport-security").contains("max-age="));
}

/// Pages rendered while the browser fetches assets (a page's wasm chunks, the next page's
/// styles) keep their own answer's headers: no request may see another request's render.
#[tokio::test]
async fn pages_rendered_among_asset_fetches_keep_their_own_policy() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["admin"]).await;
    let policy_at = |path: &str| {
        let (admin, url) = (admin.clone(), app.url(path));
        async move {
            let res = admin.get(url).send().await.unwrap();
            let policy = header(&res, "content-security-policy").to_owned();
            (res.status(), policy)
        }
    };
    let pages = (0..12).map(|i| policy_at(["/", "/history", "/users"][i % 3]));
    let assets = (0..120).map(|_| policy_at("/pkg/certdesk.css"));
    let (pages, assets) = tokio::join!(
        futures::future::join_all(pages),
        futures::future::join_all(assets)
    );
    for (status, policy) in pages {
        assert_eq!(status, 200);
        assert!(
            policy.contains("script-src 'nonce-"),
            "a page lost its policy: {policy}"
        );
    }
    for (status, policy) in assets {
        assert_eq!(status, 200);
        assert!(
            policy.starts_with("default-src 'none'"),
            "an asset took a page's policy: {policy}"
        );
    }
}

#[tokio::test]
async fn unsafe_requests_without_a_same_origin_proof_are_refused() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let post = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut req = ada
            .post(app.url("/api/requests/cancel"))
            .header("accept", "application/json")
            .form(&[("id", "1")]);
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        if let Some(site) = fetch_site {
            req = req.header("sec-fetch-site", site);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(None, None).await, 403, "neither header");
    assert_eq!(post(Some("https://evil.example"), None).await, 403);
    assert_eq!(post(Some("null"), None).await, 403);
    assert_eq!(post(None, Some("cross-site")).await, 403);
    // Allowed through (the request itself then does not exist).
    assert_eq!(post(Some(&app.address), None).await, 404);
    assert_eq!(post(None, Some("same-origin")).await, 404);
    // Sign-in too.
    let res = client()
        .post(app.url("/api/auth/sign_in"))
        .form(&[("email", "a@example.com"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Behind a proxy, the configured public origin is what counts.
    let proxied = spawn_app_with(&[("CERTDESK_PUBLIC_URL", "https://certdesk.example.com")]).await;
    let status = |origin: &'static str| {
        let url = proxied.url("/api/auth/sign_in");
        async move {
            client()
                .post(url)
                .header("origin", origin)
                .form(&[("email", "a@example.com"), ("password", "x")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("https://certdesk.example.com").await, 422);
    assert_eq!(status("http://certdesk.example.com").await, 403);
}

#[tokio::test]
async fn a_crafted_error_link_cannot_fill_the_order_form() {
    use base64::Engine;
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let planted = serde_json::json!({
        "kind": "invalid",
        "detail": {
            "message": "Check the form.",
            "fields": {},
            "kept": { "common_name": "planted.attacker.example", "csr": "PLANTED CSR" }
        }
    });
    let encoded = base64::engine::general_purpose::URL_SAFE.encode(planted.to_string());
    let page = text_of(
        &ada,
        &app.url(&format!(
            "/requests/new/basic-ov?__path=/api/requests/submit&__err={encoded}"
        )),
    )
    .await;
    assert!(page.contains("Basic OV"), "the form page rendered");
    assert!(!page.contains("planted.attacker.example"));
    assert!(!page.contains("PLANTED CSR"));
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(&[("CERTDESK_HEADER_TIMEOUT_SECONDS", "1")]).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was still open after 5 s");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn one_or_two_characters_do_not_search_the_history() {
    let app = spawn_app().await;
    let admin = app.signed_in(&["admin"]).await;
    let res = app
        .call(&admin, "/api/history/search", &[("filter[q]", "ap")])
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"]["fields"]["q"].is_array(), "{body}");
    let long = "a".repeat(201);
    let res = app
        .call(&admin, "/api/history/search", &[("filter[q]", &long)])
        .await;
    assert_eq!(res.status(), 422);
}
