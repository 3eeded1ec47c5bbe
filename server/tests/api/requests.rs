//! Request forms over HTTP: every product submitted, field errors with nothing stored, who sees
//! and cancels what, and the plain-HTML (no JavaScript) round trip.

use crate::helpers::{TestApp, client, spawn_app};
use serde_json::Value;

const CSR: &str = include_str!("../../../app/tests/fixtures/csr/rsa2048.csr");
const KEY: &str = include_str!("../../../app/tests/fixtures/csr/private-key.pem");

pub(crate) type Fields = Vec<(String, String)>;

pub(crate) fn tls_form(kind: &str, extra: &[(&str, &str)]) -> Fields {
    let mut fields: Fields = [
        ("kind", kind),
        ("common_name", "www.example.com"),
        ("dns_names", "example.com"),
        ("csr", CSR),
        ("signature_hash", "sha256"),
        ("server_platform", "-1"),
        ("organization", "1001"),
        ("container", "5"),
        ("order_validity", "years"),
        ("order_years", "1"),
        ("dcv_method", "dns-txt-token"),
        ("comments", "For the shop front end."),
        ("cf_801", "CC-1001"),
    ]
    .iter()
    .map(|(k, v)| (format!("form[{k}]"), v.to_string()))
    .collect();
    set(&mut fields, extra);
    fields
}

fn signing_form(extra: &[(&str, &str)]) -> Fields {
    let mut fields: Fields = [
        ("kind", "document-signing"),
        ("product", "document_signing_org_2"),
        ("provisioning_method", "ship_token"),
        ("validity_years", "2"),
        ("organization", "1001"),
        ("ship_name", "Erin Guerra"),
        ("ship_addr1", "360 Taylor Street"),
        ("ship_city", "Richmond"),
        ("ship_state", "VA"),
        ("ship_zip", "69662"),
        ("ship_country", "us"),
        ("ship_method", "expedited"),
        ("subject_name", "Rene Pierce"),
        ("subject_job_title", "Counsel"),
        ("subject_phone", "+1 555 0100"),
        ("subject_email", "rene@example.com"),
        ("cf_801", "CC-1001"),
    ]
    .iter()
    .map(|(k, v)| (format!("form[{k}]"), v.to_string()))
    .collect();
    set(&mut fields, extra);
    fields
}

fn set(fields: &mut Fields, extra: &[(&str, &str)]) {
    for (k, v) in extra {
        let name = format!("form[{k}]");
        fields.retain(|(n, _)| *n != name);
        fields.push((name, v.to_string()));
    }
}

pub(crate) async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &Fields,
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.call(client, "/api/requests/submit", &pairs).await
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn detail(app: &TestApp, client: &reqwest::Client, id: i64) -> reqwest::Response {
    app.call(client, "/api/requests/detail", &[("id", &id.to_string())])
        .await
}

#[tokio::test]
async fn a_requester_submits_each_product() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let cases: Vec<(Fields, &str, Option<&str>)> = vec![
        (tls_form("basic-ov", &[]), "ssl_basic", None),
        (
            tls_form(
                "secure-site-pro-ev",
                &[("ev_approver", "2001"), ("server_licenses", "2")],
            ),
            "ssl_ev_securesite_pro",
            None,
        ),
        (
            tls_form("ssl-by-type", &[("product", "ssl"), ("type_hint", "ov")]),
            "ssl",
            Some("ov"),
        ),
        (
            tls_form(
                "ssl-by-type",
                &[
                    ("product", "ssl"),
                    ("type_hint", "ev"),
                    ("ev_approver", "2002"),
                ],
            ),
            "ssl",
            Some("ev"),
        ),
        (
            tls_form(
                "ssl-by-type",
                &[
                    ("product", "ssl"),
                    ("type_hint", "private"),
                    ("ca_cert_id", "SIMPRIVATECA01"),
                    ("cert_days", "365"),
                ],
            ),
            "ssl",
            Some("private"),
        ),
        (
            tls_form(
                "multi-year",
                &[
                    ("product", "ssl_securesite_pro"),
                    ("order_years", "3"),
                    ("auto_reissue", "on"),
                ],
            ),
            "ssl_securesite_pro",
            None,
        ),
        (signing_form(&[]), "document_signing_org_2", None),
    ];
    for (fields, product, hint) in cases {
        let res = submit(&app, &ada, &fields).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "{product} {hint:?}: {body}");
        let id = body.as_i64().unwrap();
        let shown: Value = detail(&app, &ada, id).await.json().await.unwrap();
        assert_eq!(shown["summary"]["product"], product);
        assert_eq!(shown["summary"]["status"], "pending_approval");
        let payload: Value = serde_json::from_str(shown["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["alternative_order_id"], format!("certdesk{id}"));
        assert_eq!(
            payload["product"]["type_hint"].as_str(),
            hint,
            "{product}: {payload}"
        );
        assert_eq!(
            shown["endpoint"],
            format!("POST order/certificate/{product}")
        );
    }
    assert_eq!(count(&app, "requests").await, 7);
}

#[tokio::test]
async fn field_errors_come_back_per_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let fields = tls_form(
        "basic-ov",
        &[
            ("common_name", "bad name"),
            ("order_years", "4"),
            ("organization", ""),
            ("additional_emails", "nope"),
        ],
    );
    let res = submit(&app, &ada, &fields).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let errors = &body["detail"]["fields"];
    for field in [
        "common_name",
        "order_validity",
        "organization",
        "additional_emails",
    ] {
        assert!(errors[field].is_array(), "{field} missing in {body}");
    }
    // The CSR names other domains than "bad name": DigiCert goes by the order, so that is no error.
    assert!(errors.get("csr").is_none(), "{body}");
    assert_eq!(body["detail"]["kept"]["common_name"], "bad name");
    for table in ["requests", "request_events"] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn a_private_key_is_refused_not_stored_and_not_echoed() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let res = submit(&app, &ada, &tls_form("basic-ov", &[("csr", KEY)])).await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(text.contains("private key"), "{text}");
    let key_line = KEY.lines().nth(1).unwrap();
    assert!(!text.contains(key_line), "the key came back: {text}");
    assert_eq!(count(&app, "requests").await, 0);
    let check = app
        .call(&ada, "/api/requests/check_csr", &[("form[csr]", KEY)])
        .await;
    let text = check.text().await.unwrap();
    assert!(!text.contains(key_line));
    assert!(text.contains("\"private_key_refused\":true"), "{text}");
}

#[tokio::test]
async fn others_cannot_see_or_cancel_a_request_but_approvers_can_see_it() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let bob = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let id: i64 = submit(&app, &ada, &tls_form("basic-ov", &[]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail(&app, &bob, id).await.status(), 404);
    assert_eq!(detail(&app, &approver, id).await.status(), 200);
    let cancel = |client| {
        let app = &app;
        async move {
            app.call(client, "/api/requests/cancel", &[("id", &id.to_string())])
                .await
                .status()
        }
    };
    assert_eq!(cancel(&bob).await, 404);
    assert_eq!(cancel(&approver).await, 404);
    assert_eq!(cancel(&ada).await, 200);
    assert_eq!(
        cancel(&ada).await,
        409,
        "only a pending request can be cancelled"
    );
    let shown: Value = detail(&app, &ada, id).await.json().await.unwrap();
    assert_eq!(shown["summary"]["status"], "cancelled");
    assert_eq!(shown["events"].as_array().unwrap().len(), 2);
    let mine: Value = app
        .call(&bob, "/api/requests/mine", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["rows"], serde_json::json!([]));
}

#[tokio::test]
async fn without_javascript_a_submission_redirects_to_the_request_or_back_to_the_form() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let form_page = app.url("/requests/new/basic-ov");
    let post = |fields: Fields| {
        let app = &app;
        let ada = &ada;
        let form_page = form_page.clone();
        async move {
            ada.post(app.url("/api/requests/submit"))
                .header("origin", &app.address)
                .header("accept", "text/html")
                .header("referer", form_page)
                .form(&fields)
                .send()
                .await
                .unwrap()
        }
    };
    let ok = post(tls_form("basic-ov", &[])).await;
    assert!(ok.status().is_redirection(), "{}", ok.status());
    let location = ok.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/requests/"), "{location}");

    let bad = post(tls_form("basic-ov", &[("common_name", "bad name")])).await;
    assert!(bad.status().is_redirection());
    let back = bad.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(&form_page), "{back}");
    // What was typed travels in the session, never in the address (logs, history, referrers).
    assert!(!back.contains("__err") && !back.contains("bad"), "{back}");
    // The form page rendered from that address shows the message and the typed value.
    let page = ada.get(&back).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("bad name"), "the typed value is kept");
    assert!(
        page.contains("not a valid domain name"),
        "the field's message is shown"
    );
}

/// The lists of the Secure Site Pro EV form, as the browser app asks for them.
async fn ev_form_lists(app: &TestApp, client: &reqwest::Client) -> reqwest::Response {
    app.call(
        client,
        "/api/requests/options",
        &[
            ("kind", "secure-site-pro-ev"),
            ("product", ""),
            ("type_hint", ""),
        ],
    )
    .await
}

#[tokio::test]
async fn the_form_lists_come_from_digicert() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let options: Value = ev_form_lists(&app, &ada).await.json().await.unwrap();
    let orgs = options["organizations"].as_array().unwrap();
    assert!(orgs.iter().any(|o| o["id"] == 1001), "{options}");
    let approvers: Vec<&Value> = orgs
        .iter()
        .flat_map(|o| o["ev_approvers"].as_array().unwrap())
        .collect();
    assert!(!approvers.is_empty(), "EV forms list approvers: {options}");
    assert!(
        approvers
            .iter()
            .all(|a| a["email"].as_str().unwrap().contains('@'))
    );
    assert!(!options["server_platforms"].as_array().unwrap().is_empty());
    assert_eq!(options["max_cert_days"], 199);
    let page = ada
        .get(app.url("/requests/new/secure-site-pro-ev"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("EV approver"));
    assert!(page.contains(approvers[0]["email"].as_str().unwrap()));
}

#[tokio::test]
async fn request_pages_render_for_the_owner() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let id: i64 = submit(&app, &ada, &tls_form("basic-ov", &[]))
        .await
        .json()
        .await
        .unwrap();
    let page = ada
        .get(app.url(&format!("/requests/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Pending approval"));
    assert!(html.contains("alternative_order_id"));
    let list = ada
        .get(app.url("/requests"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("www.example.com"));
    let stranger = client();
    let redirected = stranger
        .get(app.url(&format!("/requests/{id}")))
        .send()
        .await
        .unwrap();
    assert!(redirected.status().is_redirection());
}

/// "Copy as new request": the owner's form opens filled from the earlier request (its CSR too);
/// another requester gets nothing of it, on the page or from the server function.
#[tokio::test]
async fn a_request_is_copied_into_a_new_form_only_by_those_who_may_see_it() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let fields = tls_form("basic-ov", &[("comments", "Copied from the shop's order.")]);
    let id: i64 = submit(&app, &ada, &fields).await.json().await.unwrap();
    let copy = |client| {
        let app = &app;
        async move {
            app.call(
                client,
                "/api/requests/copy_form",
                &[("id", &id.to_string())],
            )
            .await
        }
    };
    let res = copy(&ada).await;
    assert_eq!(res.status(), 200);
    let form: Value = res.json().await.unwrap();
    assert_eq!(form["common_name"], "www.example.com");
    assert_eq!(form["comments"], "Copied from the shop's order.");
    assert_eq!(form["cf_801"], "CC-1001");
    let page = app
        .page(&ada, &format!("/requests/new/basic-ov?copy={id}"))
        .await;
    assert!(
        page.contains("Copied from the shop"),
        "the comments are filled: {}",
        &page[page.find("<main").unwrap_or(0)..]
    );
    assert!(
        page.contains("value=\"www.example.com\""),
        "the common name is filled"
    );

    let bob = app.signed_in(&["requester"]).await;
    assert_eq!(copy(&bob).await.status(), 404);
    let page = app
        .page(&bob, &format!("/requests/new/basic-ov?copy={id}"))
        .await;
    assert!(
        !page.contains("value=\"www.example.com\""),
        "a stranger's form starts empty"
    );
    assert!(!page.contains("Copied from the shop"));
    assert!(
        page.contains("The form starts empty: "),
        "and says why: {page}"
    );
}

/// A DigiCert that stops answering cannot hold a form for minutes (its client's read timeout
/// times its retries, once per list): the lists give up after 20 s with a plain 503.
#[tokio::test]
async fn the_form_lists_give_up_on_a_silent_digicert() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    app.sim
        .simulator
        .set_faults(certdesk::simulator::FaultPlan {
            timeout: 1.0,
            ..Default::default()
        });
    let started = std::time::Instant::now();
    let res = ev_form_lists(&app, &ada).await;
    let waited = started.elapsed();
    assert_eq!(res.status(), 503);
    assert!(
        waited < std::time::Duration::from_secs(25),
        "waited {waited:?}"
    );
    let body: Value = res.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("DigiCert cannot be reached")
    );
    // The next page to want the lists hears it at once rather than waiting the 20 s again.
    let started = std::time::Instant::now();
    let again = ev_form_lists(&app, &ada).await;
    assert_eq!(again.status(), 503);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
}
