//! Orders hold certificates: the issued certificate is recorded with its serial, names and
//! validity, the request page lists it with its own downloads, and the history finds it by serial.

use crate::helpers::{TestApp, spawn_app};
use crate::requests::{submit, tls_form};
use serde_json::Value;

pub(crate) async fn issued_request(app: &TestApp, requester: &reqwest::Client) -> i64 {
    let approver = app.signed_in(&["approver"]).await;
    let id: i64 = submit(
        app,
        requester,
        &tls_form("basic-ov", &[("order_years", "2")]),
    )
    .await
    .json()
    .await
    .unwrap();
    let res = app
        .call(
            &approver,
            "/api/approvals/decide",
            &[("id", &id.to_string()), ("decision", "approve")],
        )
        .await;
    assert_eq!(res.status(), 200);
    app.wait_for_status(id, "issued").await;
    id
}

#[tokio::test]
async fn an_issued_order_lists_its_certificate_with_serial_term_and_downloads() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let id = issued_request(&app, &ada).await;
    let detail: Value = app
        .call(&ada, "/api/requests/detail", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    // A two-year order: its term runs two years from today (DigiCert's own rule).
    let term = detail["order_valid_till"].as_str().unwrap();
    let expected = (time::OffsetDateTime::now_utc().date() + time::Duration::days(730)).to_string();
    assert_eq!(term, expected);
    let certificates = detail["certificates"].as_array().unwrap();
    assert_eq!(certificates.len(), 1);
    let certificate = &certificates[0];
    assert_eq!(certificate["kind"], "first");
    assert_eq!(certificate["status"], "issued");
    assert_eq!(certificate["common_name"], "www.example.com");
    let serial = certificate["serial"].as_str().unwrap().to_owned();
    assert!(
        serial.len() >= 8
            && serial
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    );
    assert!(certificate["days_left"].as_i64().unwrap() > 190);

    // Its own downloads, the same as the order's current certificate.
    let cid = certificate["id"].as_i64().unwrap();
    let get = |path: String| {
        let app = &app;
        let ada = &ada;
        async move { ada.get(app.url(&path)).send().await.unwrap() }
    };
    let own = get(format!("/requests/{id}/certificates/{cid}/certificate.pem")).await;
    assert_eq!(own.status(), 200);
    let own = own.text().await.unwrap();
    let current = get(format!("/requests/{id}/certificate.pem"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(own, current);
    let chain = get(format!("/requests/{id}/certificates/{cid}/chain.pem")).await;
    assert!(
        chain
            .text()
            .await
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count()
            >= 2
    );
    assert_eq!(
        get(format!("/requests/{id}/certificates/{cid}/key.pem"))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(format!(
            "/requests/{id}/certificates/999999/certificate.pem"
        ))
        .await
        .status(),
        404
    );
    // Someone else's order: 404, as for the request itself.
    let stranger = app.signed_in(&["requester"]).await;
    let res = stranger
        .get(app.url(&format!(
            "/requests/{id}/certificates/{cid}/certificate.pem"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The page shows the term and the certificate.
    let html = get(format!("/requests/{id}")).await.text().await.unwrap();
    assert!(html.contains("Order and certificates") && html.contains(&serial));
    assert!(html.contains(&expected));

    // Admins find the order by the serial (with or without colons), and the CSV carries it.
    let admin = app.signed_in(&["admin"]).await;
    let with_colons: String = serial
        .as_bytes()
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).unwrap().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    for q in [serial.as_str(), with_colons.as_str()] {
        let page: Value = app
            .call(&admin, "/api/history/search", &[("filter[q]", q)])
            .await
            .json()
            .await
            .unwrap();
        let ids: Vec<i64> = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [id], "searching {q}");
    }
    let csv = app.page(&admin, &format!("/history.csv?q={serial}")).await;
    assert!(csv.lines().next().unwrap().ends_with("\"serial\""));
    assert!(csv.contains(&format!("\"{serial}\"")), "{csv}");
}

#[tokio::test]
async fn certificates_kept_on_their_request_move_to_the_order_at_start_up() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let id = issued_request(&app, &ada).await;
    // As an earlier certdesk stored it: on the request, with no certificate row.
    let chain: String =
        sqlx::query_scalar("select chain_pem from certificates where request_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    sqlx::query("delete from certificates where request_id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update requests set chain_pem = $2, certificate_pem = 'x' where id = $1")
        .bind(id)
        .bind(&chain)
        .execute(&app.pool)
        .await
        .unwrap();
    certdesk::startup::prepare_database(&app.pool)
        .await
        .unwrap();
    let (rows, kept): (i64, Option<String>) = sqlx::query_as(
        "select (select count(*) from certificates where request_id = $1),
                (select chain_pem from requests where id = $1)",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((rows, kept), (1, None));
    // Running it again moves nothing twice.
    certdesk::startup::prepare_database(&app.pool)
        .await
        .unwrap();
    let res = ada
        .get(app.url(&format!("/requests/{id}/certificate.pem")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn renew_opens_near_the_end_of_the_term_and_links_both_ways() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let id = issued_request(&app, &ada).await;
    let detail = |client: &reqwest::Client, id: i64| {
        let app = &app;
        let client = client.clone();
        async move {
            app.call(&client, "/api/requests/detail", &[("id", &id.to_string())])
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let renewal_form = |id: i64| {
        let app = &app;
        let ada = &ada;
        async move {
            app.call(
                ada,
                "/api/requests/renewal_form",
                &[("id", &id.to_string())],
            )
            .await
        }
    };
    // Two years to go: too early (the window is 90 days).
    assert_eq!(detail(&ada, id).await["can_renew"], false);
    assert_eq!(renewal_form(id).await.status(), 409);
    sqlx::query("update requests set order_valid_till = current_date + 30 where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(detail(&ada, id).await["can_renew"], true);
    // Approvers see the order but renewing is its requester's.
    let approver = app.signed_in(&["approver"]).await;
    assert_eq!(detail(&approver, id).await["can_renew"], false);
    let html = app.page(&ada, &format!("/requests/{id}")).await;
    assert!(html.contains(&format!("/requests/new/basic-ov?renew={id}")));

    let res = renewal_form(id).await;
    assert_eq!(res.status(), 200);
    let form: Value = res.json().await.unwrap();
    let order_id: i64 = sqlx::query_scalar("select digicert_order_id from requests where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(form["renewal_of_order_id"], order_id.to_string());
    assert_eq!(form["common_name"], "www.example.com");
    assert_eq!(form["cf_801"], "CC-1001");
    assert_eq!(form["csr"], "", "a renewal asks for the new key's CSR");
    // The form page opens filled.
    let page = app
        .page(&ada, &format!("/requests/new/basic-ov?renew={id}"))
        .await;
    assert!(
        page.contains(&format!("value=\"{order_id}\"")),
        "renewal_of_order_id is filled"
    );

    let renewal: i64 = submit(
        &app,
        &ada,
        &tls_form(
            "basic-ov",
            &[("renewal_of_order_id", &order_id.to_string())],
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(detail(&ada, renewal).await["renewal_of"], id);
    assert_eq!(
        detail(&ada, id).await["renewed_by"],
        serde_json::json!([renewal])
    );
    let payload: Value = sqlx::query_scalar("select payload from requests where id = $1")
        .bind(renewal)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(payload["renewal_of_order_id"], order_id);
    // Someone else cannot take the order's values.
    let stranger = app.signed_in(&["requester"]).await;
    let res = app
        .call(
            &stranger,
            "/api/requests/renewal_form",
            &[("id", &id.to_string())],
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_certificates_view_shows_each_persons_own_and_admins_everything_by_urgency() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let id = issued_request(&app, &ada).await;
    // The certificate ends in 20 days while its order runs 300: a reissue is due.
    sqlx::query(
        "update certificates set not_after = now() + interval '20 days' where request_id = $1",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("update requests set order_valid_till = current_date + 300 where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let load = |client: reqwest::Client| {
        let app = &app;
        async move { app.call(&client, "/api/certificates/current", &[]).await }
    };
    let mine: Value = load(ada.clone()).await.json().await.unwrap();
    let rows = mine["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["request_id"], id);
    assert_eq!(rows[0]["next_action"], "reissue");
    assert_eq!(rows[0]["order_days_left"], 300);
    let weeks = mine["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 26);
    let reissues: i64 = weeks.iter().map(|w| w["reissue"].as_i64().unwrap()).sum();
    assert_eq!(reissues, 1);

    let other = app.signed_in(&["requester"]).await;
    let theirs: Value = load(other).await.json().await.unwrap();
    assert_eq!(theirs["rows"], serde_json::json!([]));
    let admin = app.signed_in(&["admin"]).await;
    let all: Value = load(admin.clone()).await.json().await.unwrap();
    assert_eq!(all["rows"].as_array().unwrap().len(), 1);
    let approver = app.signed_in(&["approver"]).await;
    assert_eq!(load(approver).await.status(), 403);

    // Filtered by next action, and as CSV.
    let count = |action: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let res = app
                .call(&admin, "/api/certificates/current", &[("action", action)])
                .await;
            let page: Value = res.json().await.unwrap();
            page["rows"].as_array().map(Vec::len)
        }
    };
    assert_eq!(count("reissue").await, Some(1));
    assert_eq!(count("renew").await, Some(0));
    assert_eq!(count("someday").await, None, "an unknown action is refused");
    let csv = app.page(&ada, "/certificates.csv?action=reissue").await;
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("\"name\",\"serial\""));
    assert!(
        lines[1].starts_with("\"www.example.com\"") && lines[1].contains("\"Reissue\""),
        "{csv}"
    );

    // The page draws the weeks as SVG and lists the certificate, without JavaScript.
    let html = app.page(&admin, "/certificates").await;
    assert!(
        html.contains(r#"id="week-chart""#)
            && html.contains("1 certificate ends in the next 26 weeks")
    );
    assert!(html.contains("next-reissue"));
}

#[tokio::test]
async fn a_certificate_on_a_domain_whose_dcv_lapses_soon_says_so() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    // The seeded account validated example.org 180 days ago: its DCV lapses in 19 days, while a
    // one-year order runs on.
    let form = tls_form(
        "basic-ov",
        &[("common_name", "www.example.org"), ("dns_names", "")],
    );
    let id: i64 = submit(&app, &ada, &form).await.json().await.unwrap();
    let res = app
        .call(
            &approver,
            "/api/approvals/decide",
            &[("id", &id.to_string()), ("decision", "approve")],
        )
        .await;
    assert_eq!(res.status(), 200);
    app.wait_for_status(id, "issued").await;
    let other = issued_request(&app, &ada).await;
    // The workers copy the account's domains at start and hourly.
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from account_domains where name = 'example.org' and dcv_expires_on <= current_date + 19",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 1);
    let page: Value = app
        .call(&ada, "/api/certificates/current", &[("action", "dcv")])
        .await
        .json()
        .await
        .unwrap();
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{page}");
    assert_eq!(rows[0]["request_id"], id);
    assert_eq!(rows[0]["next_action"], "dcv");
    let all: Value = app
        .call(&ada, "/api/certificates/current", &[])
        .await
        .json()
        .await
        .unwrap();
    let of = |request: i64| {
        all["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["request_id"] == request)
            .unwrap()["next_action"]
            .clone()
    };
    assert_eq!(of(id), "dcv");
    // example.com's validation lasts months yet.
    assert_eq!(of(other), "none");
    let res = app
        .call(&ada, "/api/certificates/current", &[("action", "soon")])
        .await;
    assert_eq!(res.status(), 400);
}
