//! Reissue, duplicate and revocation of an issued order, end to end over HTTP: asked for,
//! decided (by an approver or a standing policy), sent to the simulator by the worker and
//! recorded with the certificate's new state.

use crate::certificates::issued_request;
use crate::helpers::{TestApp, spawn_app};
use serde_json::Value;
use std::time::Duration;

/// A CSR for a fresh key naming `names` (the first is the common name).
pub(crate) fn csr_for(names: &[&str]) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    params.serialize_request(&key).unwrap().pem().unwrap()
}

pub(crate) async fn ask_reissue(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    csr: &str,
    names: &str,
) -> reqwest::Response {
    app.call(
        client,
        "/api/changes/new_certificate",
        &[
            ("id", &id.to_string()),
            ("kind", "reissue"),
            ("csr", csr),
            ("names", names),
        ],
    )
    .await
}

async fn change_status(app: &TestApp, change: i64) -> String {
    sqlx::query_scalar("select status from certificate_changes where id = $1")
        .bind(change)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Waits for the worker to bring change `change` to `status` (at most 30 s).
pub(crate) async fn wait_for_change(app: &TestApp, change: i64, status: &str) {
    let started = std::time::Instant::now();
    loop {
        let now = change_status(app, change).await;
        if now == status {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "change {change} stayed {now}, never {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn certificates_of(app: &TestApp, client: &reqwest::Client, id: i64) -> Vec<Value> {
    let detail: Value = app
        .call(client, "/api/requests/detail", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    detail["certificates"].as_array().unwrap().clone()
}

async fn decide(app: &TestApp, client: &reqwest::Client, change: i64, decision: &str) -> u16 {
    let note = if decision == "reject" { "Not now." } else { "" };
    app.call(
        client,
        "/api/changes/decide",
        &[
            ("change", &change.to_string()),
            ("decision", decision),
            ("note", note),
        ],
    )
    .await
    .status()
    .as_u16()
}

async fn set_policy(app: &TestApp, admin: &reqwest::Client, name: &str, enabled: &str) {
    let res = app
        .call(
            admin,
            "/api/changes/set_policy",
            &[("name", name), ("enabled", enabled)],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn a_reissue_with_a_new_key_is_approved_issued_and_supersedes_the_old_certificate() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let id = issued_request(&app, &ada).await;
    let before = certificates_of(&app, &ada, id).await;
    let old_serial = before[0]["serial"].as_str().unwrap().to_owned();

    // Adding a name: the form's diff, then the approver's.
    let csr = csr_for(&["www.example.com", "example.com", "api.example.com"]);
    let res = ask_reissue(
        &app,
        &ada,
        id,
        &csr,
        "www.example.com\nexample.com\napi.example.com",
    )
    .await;
    assert_eq!(res.status(), 200);
    let change: i64 = res.json().await.unwrap();
    let panel: Value = app
        .call(&ada, "/api/changes/panel", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    let shown = &panel["changes"][0];
    assert_eq!(shown["status"], "pending_approval");
    assert_eq!(
        shown["names"]["added"],
        serde_json::json!(["api.example.com"])
    );
    assert_eq!(shown["names"]["removed"], serde_json::json!([]));
    assert_eq!(shown["new_key"], true);
    assert_eq!(panel["can_reissue"], false, "one reissue at a time");
    // Nothing goes to DigiCert before a decision.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.sim.simulator.stats().counters.reissues_created, 0);

    // The approvers' queue says what changes and that it costs nothing.
    let vic = app.signed_in(&["approver"]).await;
    let dashboard: Value = app
        .call(&vic, "/api/dashboard/summary", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dashboard["overview"]["changes_waiting"], 1);
    let queue: Value = app
        .call(&vic, "/api/changes/queue", &[])
        .await
        .json()
        .await
        .unwrap();
    let summary = queue[0]["summary"].as_str().unwrap();
    assert!(summary.contains("new key"), "{summary}");
    assert!(summary.contains("adds api.example.com"), "{summary}");
    assert!(summary.contains("included in the order"), "{summary}");
    assert_eq!(decide(&app, &vic, change, "approve").await, 200);
    wait_for_change(&app, change, "done").await;

    let after = certificates_of(&app, &ada, id).await;
    assert_eq!(after.len(), 2);
    assert_eq!(after[0]["kind"], "reissue");
    assert_eq!(after[0]["status"], "issued");
    assert!(
        after[0]["dns_names"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "api.example.com")
    );
    assert_eq!(after[1]["serial"], old_serial.as_str());
    assert_eq!(after[1]["status"], "superseded");
    // The order's download is now the new certificate, for the new key.
    let pem = ada
        .get(app.url(&format!("/requests/{id}/certificate.pem")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let issued = app::features::certificates::issued::check_issued(&pem, Some(&csr), &[]);
    assert!(issued.is_ok(), "{issued:?}");
    assert_eq!(app.sim.simulator.stats().counters.reissues_created, 1);
    // The reissue lasts no longer than the dated cap.
    assert!(after[0]["days_left"].as_i64().unwrap() <= 199);
}

#[tokio::test]
async fn separation_of_duties_and_ownership_hold_for_changes() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let id = issued_request(&app, &ada).await;
    // Another requester sees nothing of the order.
    let eve = app.signed_in(&["requester"]).await;
    let csr = csr_for(&["www.example.com", "example.com"]);
    assert_eq!(ask_reissue(&app, &eve, id, &csr, "").await.status(), 404);
    let res = app
        .call(&eve, "/api/changes/panel", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 404);

    // An approver may reissue anyone's order, but not approve their own reissue.
    let vic = app.signed_in(&["approver"]).await;
    let res = ask_reissue(&app, &vic, id, &csr, "").await;
    assert_eq!(res.status(), 200);
    let change: i64 = res.json().await.unwrap();
    assert_eq!(decide(&app, &vic, change, "approve").await, 403);
    // A requester cannot decide at all; another approver can.
    assert_eq!(decide(&app, &ada, change, "approve").await, 403);
    let wes = app.signed_in(&["approver"]).await;
    // A rejection needs a reason.
    let res = app
        .call(
            &wes,
            "/api/changes/decide",
            &[("change", &change.to_string()), ("decision", "reject")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(decide(&app, &wes, change, "reject").await, 200);
    assert_eq!(change_status(&app, change).await, "rejected");
    assert_eq!(
        decide(&app, &wes, change, "approve").await,
        409,
        "decided already"
    );
}

#[tokio::test]
async fn the_standing_reissue_policy_skips_approval_only_for_the_same_names() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let admin = app.signed_in(&["admin"]).await;
    let id = issued_request(&app, &ada).await;

    // Off: even a same-name reissue waits for an approver.
    let res = ask_reissue(&app, &ada, id, &csr_for(&["www.example.com"]), "").await;
    let first: i64 = res.json().await.unwrap();
    assert_eq!(change_status(&app, first).await, "pending_approval");
    let res = app
        .call(
            &ada,
            "/api/changes/cancel",
            &[("change", &first.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);

    set_policy(&app, &admin, "reissue_same_names:ssl_basic", "on").await;
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'standing_policy_changed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // On: the same names go at once…
    let res = ask_reissue(&app, &ada, id, &csr_for(&["www.example.com"]), "").await;
    let second: i64 = res.json().await.unwrap();
    wait_for_change(&app, second, "done").await;
    // …other names still need an approver.
    let res = ask_reissue(
        &app,
        &ada,
        id,
        &csr_for(&["www.example.com"]),
        "www.example.com shop.example.com",
    )
    .await;
    let third: i64 = res.json().await.unwrap();
    assert_eq!(change_status(&app, third).await, "pending_approval");

    // Only admins switch policies, and only known ones.
    let res = app
        .call(
            &ada,
            "/api/changes/set_policy",
            &[("name", "revoke_key_compromise_at_once"), ("enabled", "on")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .call(
            &admin,
            "/api/changes/set_policy",
            &[
                ("name", "reissue_same_names:document_signing_org_1"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_reissue_form_with_mistakes_says_where_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let id = issued_request(&app, &ada).await;
    let res = ask_reissue(&app, &ada, id, "not a csr", "www.example.com bad_name!").await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields = &body["detail"]["fields"];
    assert!(fields["csr"].is_array(), "{body}");
    assert!(
        fields["names"][0].as_str().unwrap().contains("bad_name!"),
        "{body}"
    );
    assert_eq!(body["detail"]["kept"]["names"], "www.example.com bad_name!");
    // A private key pasted by mistake is neither kept nor echoed.
    let key = include_str!("../../../app/tests/fixtures/csr/private-key.pem");
    let res = ask_reissue(&app, &ada, id, key, "").await;
    let body = res.text().await.unwrap();
    assert!(!body.contains("PRIVATE KEY-----\n"), "{body}");
    assert!(!body.contains(key.lines().nth(1).unwrap()));
    let stored: i64 = sqlx::query_scalar("select count(*) from certificate_changes")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_duplicate_keeps_the_names_and_end_for_another_key() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let vic = app.signed_in(&["approver"]).await;
    let id = issued_request(&app, &ada).await;
    let ask = |csr: String, names: &'static str| {
        let (app, ada) = (&app, &ada);
        async move {
            app.call(
                ada,
                "/api/changes/new_certificate",
                &[
                    ("id", &id.to_string()),
                    ("kind", "duplicate"),
                    ("csr", &csr),
                    ("names", names),
                ],
            )
            .await
        }
    };
    // Other names are a reissue, not a duplicate.
    let res = ask(
        csr_for(&["www.example.com"]),
        "www.example.com shop.example.com",
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = ask(csr_for(&["www.example.com"]), "").await;
    assert_eq!(res.status(), 200);
    let change: i64 = res.json().await.unwrap();
    assert_eq!(decide(&app, &vic, change, "approve").await, 200);
    wait_for_change(&app, change, "done").await;
    let certificates = certificates_of(&app, &ada, id).await;
    assert_eq!(certificates.len(), 2);
    let (duplicate, first) = (&certificates[0], &certificates[1]);
    assert_eq!(duplicate["kind"], "duplicate");
    assert_eq!(duplicate["status"], "issued");
    assert_eq!(first["status"], "issued", "the original stays current");
    assert_eq!(duplicate["valid_till"], first["valid_till"]);
    assert_eq!(app.sim.simulator.stats().counters.duplicates_created, 1);
}

async fn ask_revoke(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    certificate: &str,
    reason: &str,
) -> reqwest::Response {
    app.call(
        client,
        "/api/changes/revoke",
        &[
            ("id", &id.to_string()),
            ("certificate", certificate),
            ("reason", reason),
            ("comment", "Server retired."),
        ],
    )
    .await
}

#[tokio::test]
async fn each_subscriber_reason_revokes_after_an_approvers_decision() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let vic = app.signed_in(&["approver"]).await;
    for reason in [
        "unspecified",
        "key_compromise",
        "affiliation_changed",
        "superseded",
        "cessation_of_operation",
    ] {
        let id = issued_request(&app, &ada).await;
        let certificate = certificates_of(&app, &ada, id).await[0]["id"]
            .as_i64()
            .unwrap();
        let res = ask_revoke(&app, &ada, id, &certificate.to_string(), reason).await;
        assert_eq!(res.status(), 200, "{reason}");
        let change: i64 = res.json().await.unwrap();
        assert_eq!(change_status(&app, change).await, "pending_approval");
        assert_eq!(decide(&app, &vic, change, "approve").await, 200);
        wait_for_change(&app, change, "done").await;
        let (status, stored_reason, at): (String, String, Option<time::OffsetDateTime>) =
            sqlx::query_as(
                "select status, revocation_reason, revoked_at from certificates where id = $1",
            )
            .bind(certificate)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(
            (status.as_str(), stored_reason.as_str()),
            ("revoked", reason)
        );
        assert!(at.is_some());
    }
    // privilegeWithdrawn is the CA's reason, not a subscriber's.
    let id = issued_request(&app, &ada).await;
    let res = ask_revoke(&app, &ada, id, "order", "privilege_withdrawn").await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn key_compromise_goes_at_once_when_the_admins_say_so_and_a_pending_request_is_followed() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let admin = app.signed_in(&["admin"]).await;
    set_policy(&app, &admin, "revoke_key_compromise_at_once", "on").await;
    let id = issued_request(&app, &ada).await;
    let res = ask_revoke(&app, &ada, id, "order", "key_compromise").await;
    let change: i64 = res.json().await.unwrap();
    wait_for_change(&app, change, "done").await;
    let live: i64 = sqlx::query_scalar(
        "select count(*) from certificates where request_id = $1 and status <> 'revoked'",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(live, 0);
    // A revoked order is not reissued.
    let res = ask_reissue(&app, &ada, id, &csr_for(&["www.example.com"]), "").await;
    assert_eq!(res.status(), 409);

    // An account whose revocations wait for its CertCentral admin: followed until approved.
    app.sim.simulator.set_revocations_need_approval(true);
    let id = issued_request(&app, &ada).await;
    let res = ask_revoke(&app, &ada, id, "order", "key_compromise").await;
    let change: i64 = res.json().await.unwrap();
    wait_for_change(&app, change, "sent").await;
    let request_id: i64 =
        sqlx::query_scalar("select digicert_request_id from certificate_changes where id = $1")
            .bind(change)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(app.sim.simulator.decide_revoke_request(request_id, true));
    // The tracking job looks again after the recheck interval; bring it forward.
    sqlx::query("update change_jobs set next_attempt_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    wait_for_change(&app, change, "done").await;
}

#[tokio::test]
async fn a_revocation_waits_while_a_reissue_is_under_way() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let vic = app.signed_in(&["approver"]).await;
    let id = issued_request(&app, &ada).await;
    // The reissue waits at DigiCert (its new name needs DCV).
    app.sim
        .simulator
        .set_issuance(certdesk::simulator::Issuance::Manual);
    let res = ask_reissue(&app, &ada, id, &csr_for(&["www.example.com"]), "").await;
    let change: i64 = res.json().await.unwrap();
    assert_eq!(decide(&app, &vic, change, "approve").await, 200);
    wait_for_change(&app, change, "sent").await;
    let res = ask_revoke(&app, &ada, id, "order", "superseded").await;
    assert_eq!(res.status(), 409);
    let message: Value = res.json().await.unwrap();
    assert!(
        message["detail"].as_str().unwrap().contains("reissue"),
        "{message}"
    );
    let panel: Value = app
        .call(&ada, "/api/changes/panel", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(panel["can_revoke"], false);
    assert!(panel["revoke_blocked"].as_str().is_some());
}
