//! Mail against a real SMTP server: Debian's `aiosmtpd` (python3-aiosmtpd) started by the tests,
//! writing what it receives into a maildir that the tests read.

use crate::helpers::{PASSWORD, TestApp, client, fresh_database, spawn_app_on};
use crate::requests::{submit, tls_form};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A local SMTP server keeping every message it receives.
struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    async fn start(port: u16) -> SmtpServer {
        let maildir = std::env::temp_dir().join(format!("certdesk-mail-{}", uuid::Uuid::new_v4()));
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd is installed (scripts/setup.sh)");
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "aiosmtpd did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        SmtpServer { child, maildir }
    }

    /// Every message received so far, raw.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect()
    }

    /// Waits until `n` messages arrived (at most 30 s), then a moment more to catch extras.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        let started = Instant::now();
        while self.messages().len() < n {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{} of {n} mails arrived",
                self.messages().len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        self.messages()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn header<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_default()
}

const PUBLIC_URL: &str = "https://certdesk.example.com";

/// A server function called as the browser would from the portal's public address.
async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(endpoint))
        .header("accept", "application/json")
        .header("origin", PUBLIC_URL)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A client signed in to `app` as an existing user.
async fn signed_in_as(app: &TestApp, email: &str) -> reqwest::Client {
    let c = client();
    let res = call(
        app,
        &c,
        "/api/auth/sign_in",
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), 200);
    c
}

async fn person(app: &TestApp, email: &str, roles: &[&str]) -> reqwest::Client {
    app.add_user(email, roles).await;
    signed_in_as(app, email).await
}

async fn submit_request(app: &TestApp, client: &reqwest::Client) -> i64 {
    let form = tls_form("basic-ov", &[]);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = call(app, client, "/api/requests/submit", &fields).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn settings(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("CERTDESK_SMTP_URL", format!("smtp://127.0.0.1:{port}")),
        (
            "CERTDESK_MAIL_FROM",
            "certdesk <certdesk@example.com>".into(),
        ),
        ("CERTDESK_PUBLIC_URL", PUBLIC_URL.into()),
        // The tests speak plain http to the instances.
        ("CERTDESK_COOKIE_SECURE", "false".into()),
    ]
}

async fn apps(port: u16, instances: usize) -> Vec<TestApp> {
    let (pool, _) = fresh_database().await;
    let owned = settings(port);
    let borrowed: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut apps = Vec::new();
    for _ in 0..instances {
        apps.push(spawn_app_on(pool.clone(), &borrowed).await);
    }
    apps
}

#[tokio::test]
async fn each_event_mails_the_right_people_once_with_two_instances_running() {
    let port = free_port();
    let smtp = SmtpServer::start(port).await;
    let apps = apps(port, 2).await;
    let (one, two) = (&apps[0], &apps[1]);
    let ada = person(one, "ada@example.com", &["requester"]).await;
    one.add_user("vic@example.com", &["approver"]).await;
    one.add_user("wes@example.com", &["approver"]).await;
    one.add_user("root@example.com", &["admin"]).await;

    let id = submit_request(one, &ada).await;
    // The decision goes through the other instance; both run workers and mail senders.
    let vic = signed_in_as(two, "vic@example.com").await;
    let res = call(
        two,
        &vic,
        "/api/approvals/decide",
        &[
            ("id", &id.to_string()),
            ("decision", "approve"),
            ("note", "Fine <b>by me</b>"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    one.wait_for_status(id, "issued").await;

    // Read as a mail client would: quoted-printable soft line breaks joined.
    let mails: Vec<String> = smtp
        .wait_for(4)
        .await
        .iter()
        .map(|m| {
            m.replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect();
    assert_eq!(mails.len(), 4, "one mail per event and person, none twice");
    let to = |subject_start: &str| -> Vec<String> {
        let mut to: Vec<String> = mails
            .iter()
            .filter(|m| header(m, "Subject").starts_with(subject_start))
            .map(|m| header(m, "To").to_owned())
            .collect();
        to.sort();
        to
    };
    assert_eq!(
        to("Approval needed"),
        ["vic@example.com", "wes@example.com"]
    );
    assert_eq!(to("Approved"), ["ada@example.com"]);
    assert_eq!(to("Certificate ready"), ["ada@example.com"]);
    for mail in &mails {
        assert_eq!(header(mail, "From"), "certdesk <certdesk@example.com>");
        assert!(
            mail.contains("multipart/alternative"),
            "text and HTML parts"
        );
        assert!(mail.contains("text/html"));
        assert!(
            mail.contains(&format!("https://certdesk.example.com/requests/{id}")),
            "links use CERTDESK_PUBLIC_URL: {mail}"
        );
        assert!(!mail.contains("CERTIFICATE REQUEST"), "no CSR in mail");
        assert!(!mail.contains("{portal}"));
    }
    let decided = mails
        .iter()
        .find(|m| header(m, "Subject").starts_with("Approved"))
        .unwrap();
    assert!(
        decided.contains("Fine &lt;b&gt;by me&lt;/b&gt;"),
        "escaped in HTML"
    );
    let unsent: i64 = sqlx::query_scalar("select count(*) from mail_outbox where sent_at is null")
        .fetch_one(&one.pool)
        .await
        .unwrap();
    assert_eq!(unsent, 0);
}

#[tokio::test]
async fn smtp_down_is_retried_later_and_nothing_is_lost() {
    let port = free_port();
    let apps = apps(port, 1).await;
    let app = &apps[0];
    let ada = person(app, "ada@example.com", &["requester"]).await;
    person(app, "vic@example.com", &["approver"]).await;
    let id = submit_request(app, &ada).await;
    // Nothing listens: the attempt fails and is kept with its reason.
    let started = Instant::now();
    loop {
        let error: Option<String> =
            sqlx::query_scalar("select last_error from mail_outbox where event_key = $1")
                .bind(format!("request:{id}:waiting"))
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if let Some(error) = error {
            assert!(error.starts_with("SMTP"), "{error}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no attempt was made"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The server comes up; the retry (brought forward) delivers the mail.
    let smtp = SmtpServer::start(port).await;
    sqlx::query("update mail_outbox set next_attempt_at = now() where sent_at is null")
        .execute(&app.pool)
        .await
        .unwrap();
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(header(&mails[0], "To"), "vic@example.com");
}

#[tokio::test]
async fn a_person_who_switched_a_kind_off_gets_none_of_it() {
    let port = free_port();
    let smtp = SmtpServer::start(port).await;
    let apps = apps(port, 1).await;
    let app = &apps[0];
    let ada = person(app, "ada@example.com", &["requester"]).await;
    person(app, "vic@example.com", &["approver"]).await;
    let wes = person(app, "wes@example.com", &["approver"]).await;
    let res = call(
        app,
        &wes,
        "/api/mail/set_preference",
        &[("kind", "approval_waiting"), ("enabled", "off")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let prefs: serde_json::Value = call(app, &wes, "/api/mail/preferences", &[])
        .await
        .json()
        .await
        .unwrap();
    let off = prefs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "approval_waiting")
        .unwrap();
    assert_eq!(off["enabled"], false);
    submit_request(app, &ada).await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(header(&mails[0], "To"), "vic@example.com");
}

#[tokio::test]
async fn without_smtp_mail_is_kept_for_the_admins_mail_page() {
    let app = crate::helpers::spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    app.signed_in(&["approver"]).await;
    let admin = app.signed_in(&["admin"]).await;
    submit(&app, &ada, &tls_form("basic-ov", &[])).await;
    let mail: serde_json::Value = app
        .call(&admin, "/api/mail/outbox", &[])
        .await
        .json()
        .await
        .unwrap();
    let first = &mail["mails"][0];
    assert_eq!(mail["older"], serde_json::Value::Null);
    assert_eq!(first["kind"], "approval_waiting");
    assert_eq!(first["state"], "Kept (no SMTP server configured)");
    assert!(first["text_body"].as_str().unwrap().contains("/requests/"));
    assert!(!first["text_body"].as_str().unwrap().contains("{portal}"));
    let page = app.page(&admin, "/admin/mail").await;
    assert!(page.contains("Approval needed"), "{page}");
}

#[tokio::test]
async fn the_mail_page_offers_older_mail_only_when_there_is_some() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.signed_in(&["admin"]).await;
    let outbox = |before: Option<i64>| {
        let before = before.map(|id| id.to_string());
        let (app, admin) = (&app, &admin);
        async move {
            let form: Vec<(&str, &str)> = before.iter().map(|id| ("before", id.as_str())).collect();
            let page: serde_json::Value = app
                .call(admin, "/api/mail/outbox", &form)
                .await
                .json()
                .await
                .unwrap();
            page
        }
    };
    let queue = |count: i64, first: i64| {
        sqlx::query(
            "insert into mail_outbox (kind, to_address, subject, text_body, html_body, event_key)
             select 'issued', 'ada@example.com', 'Mail ' || n, 'Body', '<p>Body</p>', 'paging-' || n
               from generate_series($2::bigint, $2 + $1 - 1) n",
        )
        .bind(count)
        .bind(first)
        .execute(&app.pool)
    };
    // Exactly one page: nothing older to offer.
    queue(50, 1).await.unwrap();
    let page = outbox(None).await;
    assert_eq!(page["mails"].as_array().unwrap().len(), 50);
    assert_eq!(page["older"], serde_json::Value::Null);
    // One more: the first page ends at its 50th mail and the next holds the oldest alone.
    queue(1, 51).await.unwrap();
    let page = outbox(None).await;
    let mails = page["mails"].as_array().unwrap();
    assert_eq!(mails.len(), 50);
    assert_eq!(mails[0]["subject"], "Mail 51");
    let older = page["older"].as_i64().expect("a link to older mail");
    assert_eq!(Some(older), mails[49]["id"].as_i64());
    let rest = outbox(Some(older)).await;
    assert_eq!(rest["mails"].as_array().unwrap().len(), 1);
    assert!(rest["mails"][0]["id"].as_i64().unwrap() < older);
    assert_eq!(rest["older"], serde_json::Value::Null);
    let html = app.page(&admin, "/admin/mail").await;
    assert!(
        html.contains(&format!("/admin/mail?before={older}")),
        "{html}"
    );
}

#[derive(sqlx::FromRow)]
struct Queued {
    kind: String,
    to_address: String,
    text_body: String,
}

async fn queued(app: &TestApp, kind: &str) -> Vec<Queued> {
    sqlx::query_as("select kind, to_address, text_body from mail_outbox where kind = $1")
        .bind(kind)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refusal_mails_the_admins_and_a_dcv_wait_mails_the_requester_what_to_publish() {
    let app = crate::helpers::spawn_app_with(&[("CERTDESK_DCV_CHECK_SECONDS", "0")]).await;
    let ada = app.signed_in(&["requester"]).await;
    let vic = app.signed_in(&["approver"]).await;
    app.add_user("root@example.com", &["admin"]).await;
    let approve = |id: i64| {
        let (app, vic) = (&app, &vic);
        async move {
            let res = app
                .call(
                    vic,
                    "/api/approvals/decide",
                    &[("id", &id.to_string()), ("decision", "approve")],
                )
                .await;
            assert_eq!(res.status(), 200);
        }
    };

    // DigiCert refuses: the organization was deactivated in CertCentral.
    app.sim.simulator.set_organization_active(1001, false);
    let refused: i64 = submit(&app, &ada, &tls_form("basic-ov", &[]))
        .await
        .json()
        .await
        .unwrap();
    approve(refused).await;
    app.wait_for_status(refused, "forward_failed").await;
    let failed = queued(&app, "forward_failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].to_address, "root@example.com");
    assert!(failed[0].text_body.contains(&format!("request {refused}")));
    app.sim.simulator.set_organization_active(1001, true);

    // A name nobody validated: DigiCert waits for DCV and the requester learns what to publish.
    app.sim
        .simulator
        .set_issuance(certdesk::simulator::Issuance::Dcv);
    let waiting: i64 = submit(
        &app,
        &ada,
        &tls_form(
            "basic-ov",
            &[
                ("common_name", "shop.mail-dcv.example.net"),
                ("dns_names", ""),
            ],
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    approve(waiting).await;
    app.wait_for_status(waiting, "forwarded").await;
    let dcv = queued(&app, "dcv_needed").await;
    assert_eq!(dcv.len(), 1);
    assert_eq!(dcv[0].kind, "dcv_needed");
    assert!(
        dcv[0]
            .text_body
            .contains("a TXT record at _dnsauth.shop.mail-dcv.example.net"),
        "{}",
        dcv[0].text_body
    );
}

#[tokio::test]
async fn certificates_ending_and_orders_to_renew_remind_the_requester_and_the_admins_once() {
    let app = crate::helpers::spawn_app().await;
    app.add_user("root@example.com", &["admin"]).await;
    let ada = app.signed_in(&["requester"]).await;
    let id = crate::certificates::issued_request(&app, &ada).await;
    // The certificate ends in five days while the order runs on a year.
    sqlx::query(
        "update certificates set not_after = now() + interval '5 days 1 hour' where request_id = $1",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();
    let reminders = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            app::features::mail::notify::reminders(&pool, 90)
                .await
                .unwrap()
        }
    };
    // Twice, as two instances (or two hours) would: one reminder per threshold and person.
    assert_eq!(reminders(&app).await, 2);
    assert_eq!(reminders(&app).await, 0);
    let expiring = queued(&app, "expiring").await;
    let mut to: Vec<&str> = expiring.iter().map(|m| m.to_address.as_str()).collect();
    to.sort();
    assert_eq!(to.len(), 2);
    assert_eq!(to[1], "root@example.com");
    assert!(
        expiring[0]
            .text_body
            .contains("reissue the certificate within it")
    );
    assert!(
        expiring[0]
            .text_body
            .contains(&format!("{{portal}}/requests/{id}/reissue"))
    );

    // The order ends within the renewal window: a renewal reminder, once.
    sqlx::query("update requests set order_valid_till = current_date + 30 where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    reminders(&app).await;
    reminders(&app).await;
    assert_eq!(queued(&app, "renew_due").await.len(), 2);
}

#[tokio::test]
async fn an_approver_who_chose_the_digest_gets_one_mail_a_day_instead_of_one_per_request() {
    let app = crate::helpers::spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    app.add_user("vic@example.com", &["approver"]).await;
    app.add_user("dee@example.com", &["approver"]).await;
    let dee = client();
    app.sign_in(&dee, "dee@example.com", PASSWORD).await;
    let res = app
        .call(
            &dee,
            "/api/mail/set_preference",
            &[("kind", "approval_digest"), ("enabled", "on")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let first: i64 = submit(&app, &ada, &tls_form("basic-ov", &[]))
        .await
        .json()
        .await
        .unwrap();
    let second: i64 = submit(&app, &ada, &tls_form("basic-ov", &[]))
        .await
        .json()
        .await
        .unwrap();
    let each: Vec<String> = queued(&app, "approval_waiting")
        .await
        .into_iter()
        .map(|m| m.to_address)
        .collect();
    assert_eq!(
        each,
        ["vic@example.com", "vic@example.com"],
        "dee waits for the digest"
    );
    let digests = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            app::features::mail::notify::approval_digests(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(digests(&app).await, 1);
    assert_eq!(digests(&app).await, 0, "one a day");
    let digest = &queued(&app, "approval_digest").await[0];
    assert_eq!(digest.to_address, "dee@example.com");
    assert!(digest.text_body.contains(&format!("Request {first}:")));
    assert!(digest.text_body.contains(&format!("Request {second}:")));
}
