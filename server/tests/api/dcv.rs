//! Domain control validation end to end: an order for a domain the account has not validated
//! waits at the simulator until its record is really published; "Check now" says so before and
//! issues after; a new method brings a new value; the worker finishes orders nobody clicks on.

use crate::helpers::{SIM_KEY, TestApp, fresh_database, spawn_app, spawn_simulator};
use crate::requests::{submit, tls_form};
use certdesk::simulator::dcv::Record;
use certdesk::simulator::{Issuance, SimSettings};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A requester's Basic OV request for `name` (alone), approved by an approver; answers its id once
/// the worker has placed it at DigiCert.
async fn placed_order(
    app: &TestApp,
    requester: &reqwest::Client,
    approver: &reqwest::Client,
    name: &str,
    method: &str,
) -> i64 {
    let res = submit(
        app,
        requester,
        &tls_form(
            "basic-ov",
            &[
                ("common_name", name),
                ("dns_names", ""),
                ("dcv_method", method),
            ],
        ),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id: i64 = res.json().await.unwrap();
    let decided = app
        .call(
            approver,
            "/api/approvals/decide",
            &[("id", &id.to_string()), ("decision", "approve")],
        )
        .await;
    assert_eq!(decided.status(), 200);
    app.wait_for_status(id, "forwarded").await;
    id
}

async fn panel(app: &TestApp, client: &reqwest::Client, id: i64) -> Value {
    let res = app
        .call(client, "/api/dcv/panel", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn check(app: &TestApp, client: &reqwest::Client, id: i64) -> reqwest::Response {
    app.call(client, "/api/dcv/check", &[("id", &id.to_string())])
        .await
}

/// An app whose "Check now" may be pressed at once again (the throttle has its own test).
async fn dcv_app() -> TestApp {
    let app = crate::helpers::spawn_app_with(&[("CERTDESK_DCV_CHECK_SECONDS", "0")]).await;
    app.sim.simulator.set_issuance(Issuance::Dcv);
    app
}

#[tokio::test]
async fn an_order_for_an_unvalidated_domain_waits_until_its_txt_record_is_published() {
    let app = dcv_app().await;
    let requester = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let id = placed_order(
        &app,
        &requester,
        &approver,
        "shop.dcv-one.example.net",
        "dns-txt-token",
    )
    .await;

    let shown = panel(&app, &requester, id).await;
    assert_eq!(shown["method"], "dns-txt-token");
    assert_eq!(shown["waiting"], true);
    let name = &shown["names"][0];
    assert_eq!(name["dns_name"], "shop.dcv-one.example.net");
    assert_eq!(name["validated"], false);
    let record = &name["record"]["Txt"];
    assert_eq!(record["name"], "_dnsauth.shop.dcv-one.example.net");
    let value = record["value"].as_str().unwrap().to_owned();
    assert_eq!(shown["random_value"], value.as_str());
    assert!(shown["value_expires"].is_string());
    // Approvers see the same section.
    assert_eq!(panel(&app, &approver, id).await["names"], shown["names"]);

    // Before the record exists: an honest "not yet", and the order keeps waiting.
    let res = check(&app, &requester, id).await;
    assert_eq!(res.status(), 200);
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(outcome["issued"], false);
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("did not find the record yet for shop.dcv-one.example.net"),
        "{outcome}"
    );
    assert_eq!(app.status_of(id).await, "forwarded");
    let waiting: Value = app
        .call(&requester, "/api/dashboard/summary", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(waiting["mine_waiting_on_dcv"], 1);

    // A record with another value proves nothing.
    app.sim.simulator.publish(&Record::Txt {
        name: "_dnsauth.shop.dcv-one.example.net".into(),
        value: "someone-elses-value".into(),
    });
    let outcome: Value = check(&app, &requester, id).await.json().await.unwrap();
    assert_eq!(outcome["issued"], false);

    // The requester publishes the value: the check passes, DigiCert issues, the worker delivers.
    app.sim.simulator.publish(&Record::Txt {
        name: "_dnsauth.shop.dcv-one.example.net".into(),
        value: value.clone(),
    });
    let res = check(&app, &requester, id).await;
    assert_eq!(res.status(), 200);
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(outcome["issued"], true, "{outcome}");
    assert_eq!(outcome["validated"], json!(["shop.dcv-one.example.net"]));
    app.wait_for_status(id, "issued").await;
    let pem = requester
        .get(app.url(&format!("/requests/{id}/certificate.pem")))
        .send()
        .await
        .unwrap();
    assert_eq!(pem.status(), 200);
    assert!(pem.text().await.unwrap().contains("BEGIN CERTIFICATE"));
    let after = panel(&app, &requester, id).await;
    assert_eq!(after["names"][0]["validated"], true);
    assert_eq!(after["waiting"], false);
    assert!(after["names"][0]["record"].is_null());
    // Nothing left to check.
    assert_eq!(check(&app, &requester, id).await.status(), 409);
}

#[tokio::test]
async fn names_on_validated_domains_need_nothing_and_issue_at_once() {
    let app = dcv_app().await;
    let requester = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let res = submit(&app, &requester, &tls_form("basic-ov", &[])).await;
    let id: i64 = res.json().await.unwrap();
    app.call(
        &approver,
        "/api/approvals/decide",
        &[("id", &id.to_string()), ("decision", "approve")],
    )
    .await;
    app.wait_for_status(id, "issued").await;
    let shown = panel(&app, &requester, id).await;
    let names: Vec<(&str, bool)> = shown["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["dns_name"].as_str().unwrap(),
                n["validated"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [("example.com", true), ("www.example.com", true)]);
}

#[tokio::test]
async fn a_changed_method_brings_a_new_value_and_its_own_record() {
    let app = dcv_app().await;
    let requester = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let id = placed_order(
        &app,
        &requester,
        &approver,
        "dcv-two.example.net",
        "dns-txt-token",
    )
    .await;
    let before = panel(&app, &requester, id).await;
    let old_value = before["random_value"].as_str().unwrap().to_owned();

    let refused = app
        .call(
            &requester,
            "/api/dcv/method",
            &[("id", &id.to_string()), ("dcv_method", "carrier-pigeon")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert!(body.to_string().contains("dcv_method"), "{body}");

    let res = app
        .call(
            &requester,
            "/api/dcv/method",
            &[("id", &id.to_string()), ("dcv_method", "http-token")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let after = panel(&app, &requester, id).await;
    assert_eq!(after["method"], "http-token");
    let new_value = after["random_value"].as_str().unwrap().to_owned();
    assert_ne!(new_value, old_value);
    let file = &after["names"][0]["record"]["File"];
    assert_eq!(
        file["url"],
        "http://dcv-two.example.net/.well-known/pki-validation/fileauth.txt"
    );
    assert_eq!(file["content"], new_value.as_str());
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'dcv_method_changed' and subject = $1",
    )
    .bind(id.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // The old TXT record no longer counts; the file with the new value does.
    app.sim.simulator.publish(&Record::Txt {
        name: "_dnsauth.dcv-two.example.net".into(),
        value: old_value,
    });
    let outcome: Value = check(&app, &requester, id).await.json().await.unwrap();
    assert_eq!(outcome["issued"], false);
    app.sim.simulator.publish(&Record::Http {
        url: "http://dcv-two.example.net/.well-known/pki-validation/fileauth.txt".into(),
        content: new_value,
    });
    let outcome: Value = check(&app, &requester, id).await.json().await.unwrap();
    assert_eq!(outcome["issued"], true, "{outcome}");
    app.wait_for_status(id, "issued").await;
}

#[tokio::test]
async fn only_the_requester_approvers_and_admins_reach_an_orders_dcv() {
    let app = dcv_app().await;
    let requester = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let stranger = app.signed_in(&["requester"]).await;
    let admin = app.signed_in(&["admin"]).await;
    let id = placed_order(
        &app,
        &requester,
        &approver,
        "dcv-three.example.net",
        "dns-txt-token",
    )
    .await;
    let id_text = id.to_string();
    for endpoint in ["/api/dcv/panel", "/api/dcv/check"] {
        let res = app.call(&stranger, endpoint, &[("id", &id_text)]).await;
        assert_eq!(res.status(), 404, "{endpoint}");
    }
    let res = app
        .call(
            &stranger,
            "/api/dcv/method",
            &[("id", &id_text), ("dcv_method", "http-token")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(panel(&app, &admin, id).await["waiting"], true);
    // Not demo mode: there is no publish button, whoever asks.
    let res = app
        .call(&requester, "/api/dcv/publish_demo", &[("id", &id_text)])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(panel(&app, &requester, id).await["demo"], false);
}

#[tokio::test]
async fn admins_see_the_accounts_domains_soonest_lapse_first() {
    let app = dcv_app().await;
    let admin = app.signed_in(&["admin"]).await;
    app.sim.simulator.validate_domain("fresh.example.net");
    let res = app.call(&admin, "/api/dcv/domains", &[]).await;
    assert_eq!(res.status(), 200);
    let rows: Vec<Value> = res.json().await.unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    // example.org was validated 180 days ago and lapses first; a domain validated today last.
    assert_eq!(names, ["example.org", "example.com", "fresh.example.net"]);
    assert_eq!(rows[0]["days_left"], 19);
    assert_eq!(rows[0]["organization"], "Example Corp");
    assert_eq!(rows[0]["validations"], json!(["OV active"]));
    let page = admin.get(app.url("/domains")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("fresh.example.net") && html.contains("DNS TXT record"));
}

#[tokio::test]
async fn the_request_page_shows_the_record_and_the_approver_decides_there() {
    let app = dcv_app().await;
    let requester = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let res = submit(
        &app,
        &requester,
        &tls_form(
            "basic-ov",
            &[("common_name", "dcv-four.example.net"), ("dns_names", "")],
        ),
    )
    .await;
    let id: i64 = res.json().await.unwrap();
    // The approver's view of a pending request carries the decision forms; the requester's not.
    let html = app.page(&approver, &format!("/requests/{id}")).await;
    assert!(html.contains("Your decision") && html.contains(r#"value="request""#));
    let own = app.page(&requester, &format!("/requests/{id}")).await;
    assert!(!own.contains("Your decision"));
    // A plain form post from the request page comes back to it.
    let res = approver
        .post(app.url("/api/approvals/decide"))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .form(&[
            ("id", id.to_string().as_str()),
            ("decision", "approve"),
            ("return_to", "request"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("/requests/{id}")
    );
    app.wait_for_status(id, "forwarded").await;
    let html = app.page(&requester, &format!("/requests/{id}")).await;
    assert!(html.contains("Domain validation"), "no DCV section");
    assert!(html.contains("_dnsauth.dcv-four.example.net"));
    assert!(html.contains("Check now"));
    assert!(!html.contains("Publish record (demo)"));
}

/// No one clicks: the worker's own follow-up (`check-dcv` on each look at a pending order) finds
/// the record and delivers the certificate.
#[tokio::test]
async fn the_worker_finishes_an_order_once_its_record_appears() {
    use app::features::approvals::model::Decision;
    use app::features::approvals::service::decide;
    use app::features::auth::Role;
    use app::features::forwarding::worker::{Worker, WorkerSettings};
    use app::features::requests::model::{FormKind, RequestForm};
    use app::server::digicert::{ClientSettings, DigicertClient};
    use secrecy::SecretString;
    use std::sync::Arc;

    let (pool, _) = fresh_database().await;
    let mut settings = SimSettings::new(SIM_KEY);
    settings.issuance = Issuance::Dcv;
    let sim = spawn_simulator(settings).await;
    let digicert = DigicertClient::new(ClientSettings::new(
        sim.base_url.clone(),
        SecretString::from(SIM_KEY.to_owned()),
    ))
    .unwrap();
    let mut worker_settings = WorkerSettings::new("dcv-worker");
    worker_settings.feed_every = Duration::from_millis(200);
    // The worker's own follow-up (check-dcv) comes round quickly here; DigiCert's own polling
    // (a minute in the simulator) would be slower.
    worker_settings.recheck_every = Duration::from_millis(300);
    let worker = Worker::new(pool.clone(), Arc::new(digicert), worker_settings);

    let ada = crate::forwarding::person(&pool, "ada@example.com", Role::Requester).await;
    let vic = crate::forwarding::person(&pool, "vic@example.com", Role::Approver).await;
    let mut form = RequestForm::blank(FormKind::BasicOv);
    form.organization = "1001".into();
    form.common_name = "dcv-five.example.net".into();
    form.csr = include_str!("../../../app/tests/fixtures/csr/rsa2048.csr").into();
    form.custom.insert("cf_801".into(), "CC-1001".into());
    let today = time::OffsetDateTime::now_utc().date();
    let id = app::features::requests::service::submit(&pool, &ada, &form, true, today)
        .await
        .unwrap();
    decide(&pool, &vic, id, Decision::Approve, None)
        .await
        .unwrap();
    let status = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, String>("select status from requests where id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    worker.tick().await.unwrap();
    worker.tick().await.unwrap();
    assert_eq!(status(pool.clone()).await, "forwarded");
    let value: String = sqlx::query_scalar("select dcv_random_value from requests where id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    // The worker's first look already asked DigiCert to check, and said what it found.
    let note: Option<String> =
        sqlx::query_scalar("select dcv_check_note from requests where id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        note.unwrap_or_default()
            .contains("did not find the record yet")
    );
    sim.simulator.publish(&Record::Txt {
        name: "dcv-five.example.net".into(),
        value,
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while status(pool.clone()).await != "issued" {
        assert!(
            Instant::now() < deadline,
            "the worker did not finish the order"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        worker.tick().await.unwrap();
    }
}

/// The simulator's DCV and domain endpoints over HTTP, and what they refuse (DigiCert-shaped).
#[tokio::test]
async fn the_simulators_dcv_endpoints_answer_and_refuse_like_digicert() {
    use app::features::requests::model::{FormKind, RequestForm, to_order};

    let mut settings = SimSettings::new(SIM_KEY);
    settings.issuance = Issuance::Dcv;
    let sim = spawn_simulator(settings).await;
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = http
            .request(method, format!("{}/{path}", sim.base_url))
            .header("X-DC-DEVKEY", SIM_KEY);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            (
                status,
                serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
            )
        }
    };
    let code = |body: &Value| body["errors"][0]["code"].as_str().unwrap_or("").to_owned();
    let order_body = |name: &str, method: &str, product: FormKind, org: &str| {
        let mut form = RequestForm::blank(product);
        form.organization = org.into();
        form.common_name = name.into();
        form.dcv_method = method.into();
        form.csr = include_str!("../../../app/tests/fixtures/csr/rsa2048.csr").into();
        form.custom.insert("cf_801".into(), "CC-1001".into());
        if product == FormKind::SecureSiteProEv {
            form.ev_approver = "2001".into();
        }
        let mut order = to_order(&form).unwrap();
        order.set_alternative_order_id(name.replace('.', ""));
        order.set_skip_approval(true);
        (order.path(), order.body_json())
    };

    let (path, body) = order_body(
        "sim.example.net",
        "dns-cname-token",
        FormKind::BasicOv,
        "1001",
    );
    let (status, created) = call(reqwest::Method::POST, &path, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let order = created["id"].as_i64().unwrap();
    let token = &created["domains"][0]["dcv_token"];
    assert_eq!(token["status"], "pending");
    assert_eq!(token["verification_value"], "dcv.digicert.com");
    assert!(created["certificate_chain"].is_null());
    let value = created["dcv_random_value"].as_str().unwrap().to_owned();

    let (status, body) = call(
        reqwest::Method::PUT,
        &format!("order/certificate/{order}/check-dcv"),
        None,
    )
    .await;
    assert_eq!((status, code(&body)), (400, "invalid_dns_txt".into()));
    let (status, body) = call(reqwest::Method::PUT, "order/certificate/1/check-dcv", None).await;
    assert_eq!((status, code(&body)), (404, "not_found|order".into()));

    // dcv-random-value keeps the value while it is valid.
    let (status, body) = call(
        reqwest::Method::PUT,
        &format!("order/certificate/{order}/dcv-random-value"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["dcv_random_value"], value.as_str());
    // An unknown method is refused; email is still allowed in 2026 and has no value to publish.
    let (status, body) = call(
        reqwest::Method::PUT,
        &format!("order/certificate/{order}/dcv-method"),
        Some(json!({ "dcv_method": "fax" })),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (400, "invalid_value:dcv_method".into())
    );
    let (status, body) = call(
        reqwest::Method::PUT,
        &format!("order/certificate/{order}/dcv-method"),
        Some(json!({ "dcv_method": "email" })),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.get("dcv_random_value").is_none());
    let (status, body) = call(
        reqwest::Method::PUT,
        &format!("order/certificate/{order}/check-dcv"),
        None,
    )
    .await;
    assert_eq!((status, code(&body)), (400, "invalid_dns_method".into()));
    // Back to CNAME: a new value, and the CNAME to it issues the order.
    let (_, body) = call(
        reqwest::Method::PUT,
        &format!("order/certificate/{order}/dcv-method"),
        Some(json!({ "dcv_method": "dns-cname-token" })),
    )
    .await;
    let value = body["dcv_random_value"].as_str().unwrap().to_owned();
    let (status, _) = call(
        reqwest::Method::PUT,
        "__simulator/records",
        Some(json!({ "type": "cname", "name": format!("{value}.sim.example.net"), "target": "dcv.digicert.com" })),
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = call(
        reqwest::Method::PUT,
        &format!("order/certificate/{order}/check-dcv"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order_status"], "issued");
    assert_eq!(body["dcv_status"], "valid");
    assert_eq!(body["dns_name_validations"][0]["status"], "approved");
    assert!(body["certificate_id"].is_i64());
    // Changing the method of an issued order is refused.
    let (status, body) = call(
        reqwest::Method::PUT,
        &format!("order/certificate/{order}/dcv-method"),
        Some(json!({ "dcv_method": "http-token" })),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "invalid_order_status".into()));

    // The domain is the account's now, with a DCV expiry 199 days out.
    let (status, body) = call(
        reqwest::Method::GET,
        "domain?include_dcv_expiration_time=true",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let domains = body["domains"].as_array().unwrap();
    let added = domains
        .iter()
        .find(|d| d["name"] == "sim.example.net")
        .unwrap();
    let expected = (time::OffsetDateTime::now_utc().date() + time::Duration::days(199)).to_string();
    assert!(
        added["dcv_expiration"]["ov"]
            .as_str()
            .unwrap()
            .starts_with(&expected)
    );
    let (status, info) = call(
        reqwest::Method::GET,
        &format!("domain/{}", added["id"]),
        None,
    )
    .await;
    assert_eq!((status, &info["name"]), (200, &json!("sim.example.net")));
    let (status, body) = call(reqwest::Method::GET, "domain/42", None).await;
    assert_eq!((status, code(&body)), (404, "not_found|domain".into()));

    // EV for an organization whose EV validation is still pending.
    let (path, body) = order_body(
        "ev.example.com",
        "dns-txt-token",
        FormKind::SecureSiteProEv,
        "1002",
    );
    let (status, body) = call(reqwest::Method::POST, &path, Some(body)).await;
    assert_eq!(
        (status, code(&body)),
        (400, "organization_not_ev_validated".into())
    );
    // EV for Example Corp with another organization's approver (Ada Wong is Example Labs').
    let (path, mut body) = order_body(
        "ev.example.com",
        "dns-txt-token",
        FormKind::SecureSiteProEv,
        "1001",
    );
    body["organization"]["contacts"][0]["user_id"] = json!(2003);
    let (status, body) = call(reqwest::Method::POST, &path, Some(body)).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        code(&body).starts_with("invalid_value:organization.contacts."),
        "{body}"
    );
    // A malformed control record.
    let (status, body) = call(
        reqwest::Method::PUT,
        "__simulator/records",
        Some(json!({ "type": "mx" })),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "bad_request_format".into()));
}

/// DigiCert also looks on its own (every `own_dcv_check_every`): a read of the order after that
/// finds it issued, without `check-dcv`.
#[tokio::test]
async fn the_simulator_polls_on_its_own_as_digicert_does() {
    use app::features::requests::model::{FormKind, RequestForm, to_order};

    let mut settings = SimSettings::new(SIM_KEY);
    settings.issuance = Issuance::Dcv;
    settings.own_dcv_check_every = Duration::ZERO;
    let sim = spawn_simulator(settings).await;
    let http = reqwest::Client::new();
    let mut form = RequestForm::blank(FormKind::BasicOv);
    form.organization = "1001".into();
    form.common_name = "own.example.net".into();
    form.csr = include_str!("../../../app/tests/fixtures/csr/rsa2048.csr").into();
    form.custom.insert("cf_801".into(), "CC-1001".into());
    let mut order = to_order(&form).unwrap();
    order.set_alternative_order_id("ownpolling".into());
    order.set_skip_approval(true);
    let created: Value = http
        .post(format!("{}/{}", sim.base_url, order.path()))
        .header("X-DC-DEVKEY", SIM_KEY)
        .json(&order.body_json())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let status = || async {
        let info: Value = http
            .get(format!("{}/order/certificate/{id}", sim.base_url))
            .header("X-DC-DEVKEY", SIM_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        info["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status().await, "pending");
    sim.simulator.publish(&Record::Txt {
        name: "_dnsauth.own.example.net".into(),
        value: created["dcv_random_value"].as_str().unwrap().into(),
    });
    assert_eq!(status().await, "issued");
}

#[tokio::test]
async fn check_now_is_throttled_per_order() {
    let app = spawn_app().await;
    app.sim.simulator.set_issuance(Issuance::Dcv);
    let requester = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let id = placed_order(
        &app,
        &requester,
        &approver,
        "dcv-six.example.net",
        "dns-txt-token",
    )
    .await;
    // The worker's own first look checks too; once it has, let the interval start afresh.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let note: Option<String> =
            sqlx::query_scalar("select dcv_check_note from requests where id = $1")
                .bind(id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if note.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the worker never checked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sqlx::query("update requests set dcv_checked_at = null where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let before = app.sim.simulator.stats().counters.requests;
    assert_eq!(check(&app, &requester, id).await.status(), 200);
    let again = check(&app, &approver, id).await;
    assert_eq!(again.status(), 429);
    assert!(again.text().await.unwrap().contains("a moment ago"));
    // Only the first reached DigiCert.
    assert_eq!(app.sim.simulator.stats().counters.requests - before, 1);
}

#[tokio::test]
async fn a_reissue_adding_an_unvalidated_name_waits_for_its_dcv_and_then_replaces_the_certificate()
{
    let app = dcv_app().await;
    let requester = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    // An order on the account's validated domain issues at once…
    let id = crate::certificates::issued_request(&app, &requester).await;
    // …a reissue adding a name on a domain nobody validated waits at DigiCert.
    let csr = crate::changes::csr_for(&["www.example.com", "api.dcv-reissue.example.net"]);
    let res = crate::changes::ask_reissue(
        &app,
        &requester,
        id,
        &csr,
        "www.example.com example.com api.dcv-reissue.example.net",
    )
    .await;
    let change: i64 = res.json().await.unwrap();
    let res = app
        .call(
            &approver,
            "/api/changes/decide",
            &[("change", &change.to_string()), ("decision", "approve")],
        )
        .await;
    assert_eq!(res.status(), 200);
    crate::changes::wait_for_change(&app, change, "sent").await;

    // The request page's DCV section shows the new name and, once the worker has asked DigiCert
    // for the reissue's random value (its next look), the record to publish.
    let started = std::time::Instant::now();
    let (shown, name) = loop {
        let shown = panel(&app, &requester, id).await;
        let name = shown["names"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["dns_name"] == "api.dcv-reissue.example.net")
            .cloned();
        if let Some(name) = name.filter(|n| n["record"].is_object()) {
            break (shown, name);
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "{shown}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(shown["waiting"], true, "{shown}");
    assert_eq!(name["validated"], false);
    let value = name["record"]["Txt"]["value"].as_str().unwrap().to_owned();
    let outcome: Value = check(&app, &requester, id).await.json().await.unwrap();
    assert_eq!(outcome["issued"], false, "{outcome}");

    app.sim.simulator.publish(&Record::Txt {
        name: "_dnsauth.api.dcv-reissue.example.net".into(),
        value,
    });
    let outcome: Value = check(&app, &requester, id).await.json().await.unwrap();
    assert_eq!(outcome["issued"], true, "{outcome}");
    crate::changes::wait_for_change(&app, change, "done").await;
    let current: Vec<String> = sqlx::query_scalar(
        "select unnest(dns_names) from certificates where request_id = $1 and status = 'issued'",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        current.contains(&"api.dcv-reissue.example.net".to_owned()),
        "{current:?}"
    );
    assert_eq!(panel(&app, &requester, id).await["waiting"], false);
}
