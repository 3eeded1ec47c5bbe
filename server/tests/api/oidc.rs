//! Single sign-on against a real OpenID provider: the npm `oidc-provider` package (installed in
//! end2end/ by scripts/setup.sh), started by the tests with `end2end/oidc/provider.mjs`.

use crate::helpers::{PASSWORD, TestApp, client, fresh_database, spawn_app_on};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

const CLIENT_SECRET: &str = "certdesk-test-client-secret";

/// A running provider; dropping it stops the process.
struct TestProvider {
    child: Child,
    issuer: String,
    port: u16,
    users: PathBuf,
}

impl TestProvider {
    async fn start(users: Value) -> TestProvider {
        let path =
            std::env::temp_dir().join(format!("certdesk-oidc-{}.json", uuid::Uuid::new_v4()));
        std::fs::write(&path, users.to_string()).unwrap();
        let (child, issuer) = launch(0, &path).await;
        let port = Url::parse(&issuer).unwrap().port().unwrap();
        TestProvider {
            child,
            issuer,
            port,
            users: path,
        }
    }

    /// Who may sign in and with which groups, from the next sign-in on.
    fn set_users(&self, users: Value) {
        std::fs::write(&self.users, users.to_string()).unwrap();
    }

    /// Stops and starts the provider on the same address: it signs with a new key from then on.
    async fn restart(&mut self) {
        self.child.kill().await.unwrap();
        let (child, issuer) = launch(self.port, &self.users).await;
        assert_eq!(issuer, self.issuer);
        self.child = child;
    }

    async fn tamper(&self, mode: &str) {
        let res = Client::new()
            .post(format!("{}/_test/tamper?mode={mode}", self.issuer))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
    }

    /// certdesk's settings for this provider.
    fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CERTDESK_PUBLIC_URL", "{address}".into()),
            ("CERTDESK_OIDC_ISSUER", self.issuer.clone()),
            ("CERTDESK_OIDC_CLIENT_ID", "certdesk".into()),
            ("CERTDESK_OIDC_CLIENT_SECRET", CLIENT_SECRET.into()),
            ("CERTDESK_OIDC_NAME", "Example SSO".into()),
            ("CERTDESK_OIDC_SCOPES", "email profile groups".into()),
            (
                "CERTDESK_OIDC_ROLE_MAP",
                "pki-approvers=approver,pki-admins=admin".into(),
            ),
        ]
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_file(&self.users);
    }
}

async fn launch(port: u16, users: &PathBuf) -> (Child, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/oidc/provider.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_USERS", users)
        .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs end2end/oidc/provider.mjs (npm ci in end2end/ installs oidc-provider)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            // A restart may find the port still held for a moment by the old process.
            match lines.next_line().await.unwrap() {
                Some(line) if line.starts_with("ready ") => return line[6..].to_owned(),
                Some(_) => continue,
                None => panic!("the OpenID provider exited before it was ready"),
            }
        }
    })
    .await
    .expect("the OpenID provider did not start within 20 s");
    // Keep reading: a closed pipe would end the provider at its next line of output.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, ready)
}

async fn spawn_with_provider(provider: &TestProvider, extra: &[(&str, &str)]) -> TestApp {
    let (pool, _) = fresh_database().await;
    let settings = provider.settings();
    let mut all: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    spawn_app_on(pool, &all).await
}

fn user(email: &str, name: &str, groups: &[&str]) -> Value {
    json!({ "email": email, "email_verified": true, "name": name, "groups": groups })
}

fn location(res: &reqwest::Response, base: &str) -> Url {
    let text = res.headers()["location"].to_str().unwrap();
    Url::parse(base).unwrap().join(text).unwrap()
}

/// certdesk's redirect to the provider.
async fn authorization_url(app: &TestApp, browser: &Client) -> Url {
    let res = browser
        .get(app.url("/auth/oidc/start?next=/requests"))
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_redirection(),
        "start answered {}",
        res.status()
    );
    location(&res, &app.address)
}

/// Goes through the provider's sign-in page as `login` and answers the address the provider sends
/// the browser back to (certdesk's callback), without visiting it.
async fn through_provider(app: &TestApp, browser: &Client, auth_url: Url, login: &str) -> Url {
    let mut url = auth_url;
    let mut form: Option<Vec<(&str, &str)>> = None;
    for _ in 0..10 {
        let req = match form.take() {
            Some(fields) => browser.post(url.clone()).form(&fields),
            None => browser.get(url.clone()),
        };
        let res = req.send().await.unwrap();
        if res.status().is_redirection() {
            let next = location(&res, url.as_str());
            if next.as_str().starts_with(&app.address) {
                return next;
            }
            url = next;
        } else {
            assert_eq!(res.status(), 200, "provider page {url}");
            let page = res.text().await.unwrap();
            assert!(
                page.contains("name=\"login\""),
                "not the provider's sign-in page: {page}"
            );
            form = Some(vec![
                ("prompt", "login"),
                ("login", login),
                ("password", "any"),
            ]);
        }
    }
    panic!("the provider never sent the browser back");
}

/// The whole sign-in; answers where certdesk sent the browser at the end.
async fn sso_sign_in(app: &TestApp, browser: &Client, login: &str) -> String {
    let auth_url = authorization_url(app, browser).await;
    let back = through_provider(app, browser, auth_url, login).await;
    let res = browser.get(back).send().await.unwrap();
    assert!(
        res.status().is_redirection(),
        "callback answered {}",
        res.status()
    );
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn roles_of(app: &TestApp, email: &str) -> Vec<String> {
    sqlx::query_scalar("select roles from users where email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn audit_actions(app: &TestApp, like: &str) -> Vec<(String, Value)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        action: String,
        details: Value,
    }
    sqlx::query_as::<_, Row>(
        "select action, details from audit_events where action like $1 order by id",
    )
    .bind(like)
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.action, r.details))
    .collect()
}

#[tokio::test]
async fn first_sign_in_creates_the_account_and_later_ones_follow_the_providers_groups() {
    let provider = TestProvider::start(json!({
        "dana": user("Dana@Example.com", "Dana Doe", &["pki-approvers", "staff"]),
    }))
    .await;
    let app = spawn_with_provider(&provider, &[]).await;
    let first = client();
    assert_eq!(sso_sign_in(&app, &first, "dana").await, "/requests");
    let me = app.me(&first).await;
    assert_eq!(me["email"], "dana@example.com");
    assert_eq!(me["display_name"], "Dana Doe");
    assert_eq!(me["roles"], json!(["requester", "approver"]));
    let no_password: Option<String> =
        sqlx::query_scalar("select password_hash from users where email = 'dana@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(no_password, None, "a just-in-time account has no password");

    // The provider takes the group away and renames her: the next sign-in follows, and her
    // other session, which still carries the approver role, ends.
    provider.set_users(json!({ "dana": user("dana@example.com", "Dana D.", &["staff"]) }));
    let second = client();
    sso_sign_in(&app, &second, "dana").await;
    assert_eq!(roles_of(&app, "dana@example.com").await, ["requester"]);
    assert_eq!(app.me(&second).await["display_name"], "Dana D.");
    assert_eq!(
        app.me(&first).await,
        Value::Null,
        "the session with the old roles ended"
    );

    // The account has no password: a password sign-in fails like any wrong one, and changing
    // "its password" says where the password lives.
    let guess = app.sign_in(&client(), "dana@example.com", PASSWORD).await;
    assert_eq!(guess.status(), 422);
    let change = app
        .call(
            &second,
            "/api/account/change_password",
            &[
                ("current_password", "x"),
                ("new_password", "a much longer new password"),
            ],
        )
        .await;
    assert_eq!(change.status(), 422);
    assert!(change.text().await.unwrap().contains("company's provider"));

    let actions: Vec<String> = audit_actions(&app, "%")
        .await
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(
        actions,
        [
            "sso_account_created",
            "sign_in",
            "roles_changed_by_provider",
            "sign_in",
            "sign_in_failed"
        ]
    );
}

#[tokio::test]
async fn an_account_an_admin_made_is_linked_by_its_verified_email() {
    let provider = TestProvider::start(json!({
        "erin-at-idp": user("erin@example.com", "Erin", &["pki-admins"]),
        "mallory": { "email": "frank@example.com", "email_verified": false, "name": "Not Frank" },
    }))
    .await;
    let app = spawn_with_provider(&provider, &[]).await;
    let erin = app.add_user("erin@example.com", &["requester"]).await;
    let frank = app.add_user("frank@example.com", &["admin"]).await;
    let browser = client();
    sso_sign_in(&app, &browser, "erin-at-idp").await;
    assert_eq!(app.me(&browser).await["id"], erin.to_string());
    assert_eq!(
        roles_of(&app, "erin@example.com").await,
        ["requester", "admin"]
    );

    // An unverified email never takes over an account.
    let other = client();
    assert_eq!(
        sso_sign_in(&app, &other, "mallory").await,
        "/sign-in?sso_error=conflict"
    );
    assert_eq!(app.me(&other).await, Value::Null);
    assert_eq!(roles_of(&app, "frank@example.com").await, ["admin"]);
    let linked: Option<String> = sqlx::query_scalar("select sso_subject from users where id = $1")
        .bind(frank)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(linked, None);

    let refused_for: Option<String> =
        sqlx::query_scalar("select subject from audit_events where action = 'sso_sign_in_failed'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(refused_for.as_deref(), Some("frank@example.com"));

    // Erin, now an admin through her group, sees which accounts the provider manages.
    let listed: Value = app
        .call(&browser, "/api/users/list", &[])
        .await
        .json()
        .await
        .unwrap();
    let sso_of = |email: &str| {
        listed["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .map(|u| u["single_sign_on"].clone())
    };
    assert_eq!(sso_of("erin@example.com"), Some(json!(true)));
    assert_eq!(sso_of("frank@example.com"), Some(json!(false)));
}

#[tokio::test]
async fn tampered_answers_are_refused_with_a_message_and_an_audit_row() {
    let provider =
        TestProvider::start(json!({ "dana": user("dana@example.com", "Dana", &[]) })).await;
    let app = spawn_with_provider(&provider, &[]).await;
    let browser = client();

    // Someone else's state (or none of ours).
    let auth_url = authorization_url(&app, &browser).await;
    let back = through_provider(&app, &browser, auth_url, "dana").await;
    let forged = with_param(&back, "state", "forged-state");
    assert_eq!(callback(&browser, forged).await, "/sign-in?sso_error=state");
    // The true answer after that: the pending sign-in was used up by the first answer.
    assert_eq!(callback(&browser, back).await, "/sign-in?sso_error=state");

    // A nonce changed on the way to the provider comes back in the ID token and does not match.
    let auth_url = authorization_url(&app, &browser).await;
    let auth_url = with_param(&auth_url, "nonce", "someone-elses-nonce");
    let back = through_provider(&app, &browser, auth_url, "dana").await;
    assert_eq!(callback(&browser, back).await, "/sign-in?sso_error=token");

    // A code the provider never issued (or one already used).
    let auth_url = authorization_url(&app, &browser).await;
    let back = through_provider(&app, &browser, auth_url, "dana").await;
    let bad_code = with_param(&back, "code", "not-a-code");
    assert_eq!(
        callback(&browser, bad_code).await,
        "/sign-in?sso_error=expired"
    );

    // An ID token whose signature is broken.
    provider.tamper("signature").await;
    let auth_url = authorization_url(&app, &browser).await;
    let back = through_provider(&app, &browser, auth_url, "dana").await;
    assert_eq!(callback(&browser, back).await, "/sign-in?sso_error=token");
    provider.tamper("none").await;

    // Cancelled at the provider (by someone not yet signed in there).
    let newcomer = client();
    let auth_url = authorization_url(&app, &newcomer).await;
    let back = cancel_at_provider(&app, &newcomer, auth_url).await;
    assert_eq!(callback(&newcomer, back).await, "/sign-in?sso_error=denied");

    assert_eq!(app.me(&browser).await, Value::Null, "nobody got signed in");
    let refusals = audit_actions(&app, "sso_sign_in_failed").await;
    let reasons: Vec<&str> = refusals
        .iter()
        .map(|(_, d)| d["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["state", "state", "token", "expired", "token", "denied"]
    );
    let detail = |i: usize| refusals[i].1["detail"].as_str().unwrap().to_owned();
    assert!(detail(2).contains("nonce"), "{}", detail(2));
    assert!(detail(4).contains("Signature"), "{}", detail(4));
    let page = app.page(&browser, "/sign-in?sso_error=token").await;
    assert!(page.contains("could not be verified"), "{page}");
    let page = app.page(&browser, "/sign-in?sso_error=%3Cscript%3E").await;
    assert!(
        !page.contains("&lt;script") && !page.contains("<script>alert"),
        "{page}"
    );

    // And after all that, an honest sign-in still works.
    assert_eq!(sso_sign_in(&app, &browser, "dana").await, "/requests");
}

fn with_param(url: &Url, name: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut changed = url.clone();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

async fn callback(browser: &Client, url: Url) -> String {
    let res = browser.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Opens the provider's sign-in page and follows its "cancel" link.
async fn cancel_at_provider(app: &TestApp, browser: &Client, auth_url: Url) -> Url {
    let res = browser.get(auth_url.clone()).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the provider's answer to {auth_url}"
    );
    let interaction = location(&res, auth_url.as_str());
    let abort = interaction
        .join(&format!("{}/abort", interaction.path()))
        .unwrap();
    let mut url = abort;
    for _ in 0..5 {
        let res = browser.get(url.clone()).send().await.unwrap();
        let next = location(&res, url.as_str());
        if next.as_str().starts_with(&app.address) {
            return next;
        }
        url = next;
    }
    panic!("the provider never sent the browser back");
}

#[tokio::test]
async fn a_deactivated_account_stays_out() {
    let provider =
        TestProvider::start(json!({ "dana": user("dana@example.com", "Dana", &[]) })).await;
    let app = spawn_with_provider(&provider, &[]).await;
    sso_sign_in(&app, &client(), "dana").await;
    sqlx::query("update users set active = false where email = 'dana@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    let browser = client();
    assert_eq!(
        sso_sign_in(&app, &browser, "dana").await,
        "/sign-in?sso_error=deactivated"
    );
    assert_eq!(app.me(&browser).await, Value::Null);
}

#[tokio::test]
async fn with_local_sign_in_off_only_the_break_glass_admin_uses_a_password() {
    let provider = TestProvider::start(json!({
        "root-at-idp": user("root@example.com", "Root", &["pki-admins"]),
    }))
    .await;
    let app = spawn_with_provider(
        &provider,
        &[
            ("CERTDESK_LOCAL_SIGN_IN", "false"),
            ("CERTDESK_BREAK_GLASS_ADMIN", "root@example.com"),
        ],
    )
    .await;
    app.add_user("root@example.com", &["admin"]).await;
    app.add_user("bob@example.com", &["requester"]).await;
    let bob = client();
    let refused = app.sign_in(&bob, "bob@example.com", PASSWORD).await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(body.contains("Sign in with Example SSO"), "{body}");
    assert_eq!(app.me(&bob).await, Value::Null);

    let root = client();
    assert_eq!(
        app.sign_in(&root, "root@example.com", PASSWORD)
            .await
            .status(),
        200
    );
    let audited = audit_actions(&app, "sign_in").await;
    assert_eq!(audited[0].1["break_glass"], true);

    // Nor can the provider's "root@example.com" take the break-glass account over.
    let taken = client();
    assert_eq!(
        sso_sign_in(&app, &taken, "root-at-idp").await,
        "/sign-in?sso_error=conflict"
    );

    let page = app.page(&client(), "/sign-in").await;
    assert!(page.contains("Sign in with Example SSO"), "{page}");
    assert!(page.contains("break-glass administrator"), "{page}");
}

#[tokio::test]
async fn a_provider_that_rotates_its_key_is_read_again() {
    let mut provider =
        TestProvider::start(json!({ "dana": user("dana@example.com", "Dana", &[]) })).await;
    let app = spawn_with_provider(&provider, &[]).await;
    assert_eq!(sso_sign_in(&app, &client(), "dana").await, "/requests");
    provider.restart().await;
    let browser = client();
    assert_eq!(sso_sign_in(&app, &browser, "dana").await, "/requests");
    assert_eq!(app.me(&browser).await["email"], "dana@example.com");
}

#[tokio::test]
async fn sign_out_ends_the_session_here_and_at_the_provider() {
    let provider =
        TestProvider::start(json!({ "dana": user("dana@example.com", "Dana", &[]) })).await;
    let app = spawn_with_provider(&provider, &[]).await;
    let browser = client();
    sso_sign_in(&app, &browser, "dana").await;
    let out = browser
        .post(app.url("/api/auth/sign_out"))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(out.status().is_redirection(), "{}", out.status());
    let to = location(&out, &app.address);
    assert!(
        to.as_str()
            .starts_with(&format!("{}/session/end", provider.issuer)),
        "{to}"
    );
    let params: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert!(params.contains_key("id_token_hint"));
    assert_eq!(params["post_logout_redirect_uri"], app.url("/sign-in"));
    assert_eq!(app.me(&browser).await, Value::Null);
    let confirm = browser.get(to).send().await.unwrap();
    assert_eq!(
        confirm.status(),
        200,
        "the provider asks to confirm its own sign-out"
    );
}

#[tokio::test]
async fn without_a_provider_the_routes_do_not_exist_and_the_page_offers_passwords() {
    let app = crate::helpers::spawn_app().await;
    let res = client()
        .get(app.url("/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = client()
        .get(app.url("/auth/oidc/callback?code=x&state=y"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let page = app.page(&client(), "/sign-in").await;
    assert!(!page.contains("Sign in with"), "{page}");
    assert!(page.contains("type=\"password\""));
}
