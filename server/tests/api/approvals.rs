//! Approvals over HTTP, and the in-process worker taking approved requests to issued certificates.

use crate::helpers::{TestApp, spawn_app};
use crate::requests::{submit, tls_form};
use serde_json::Value;
use x509_parser::prelude::*;

async fn pending_request(
    app: &TestApp,
    requester: &reqwest::Client,
    extra: &[(&str, &str)],
) -> i64 {
    let res = submit(app, requester, &tls_form("basic-ov", extra)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn decide(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    decision: &str,
    note: &str,
) -> reqwest::Response {
    app.call(
        client,
        "/api/approvals/decide",
        &[
            ("id", &id.to_string()),
            ("decision", decision),
            ("note", note),
        ],
    )
    .await
}

#[tokio::test]
async fn approvers_decide_and_nobody_else_does() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let admin = app.signed_in(&["admin"]).await;
    let id = pending_request(&app, &ada, &[]).await;
    assert_eq!(decide(&app, &ada, id, "approve", "").await.status(), 403);
    assert_eq!(decide(&app, &admin, id, "approve", "").await.status(), 403);
    let no_reason = decide(&app, &approver, id, "reject", " ").await;
    assert_eq!(no_reason.status(), 422);
    let body: Value = no_reason.json().await.unwrap();
    assert!(body["detail"]["fields"]["note"].is_array(), "{body}");
    assert_eq!(app.status_of(id).await, "pending_approval");

    let rejected = decide(&app, &approver, id, "reject", "Use the existing wildcard.").await;
    assert_eq!(rejected.status(), 200);
    let shown: Value = app
        .call(&ada, "/api/requests/detail", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["summary"]["status"], "rejected");
    let last = shown["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["note"], "Use the existing wildcard.",
        "the requester sees why"
    );

    let other = pending_request(&app, &ada, &[]).await;
    assert_eq!(
        decide(&app, &approver, other, "approve", "").await.status(),
        200
    );
}

#[tokio::test]
async fn deciding_ones_own_request_is_forbidden() {
    let app = spawn_app().await;
    let both = app.signed_in(&["requester", "approver"]).await;
    let id = pending_request(&app, &both, &[]).await;
    assert_eq!(decide(&app, &both, id, "approve", "").await.status(), 403);
    assert_eq!(decide(&app, &both, id, "reject", "no").await.status(), 403);
    let queue: Value = app
        .call(&both, "/api/approvals/queue", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue["rows"][0]["own"], true, "shown, marked as one's own");
}

#[tokio::test]
async fn twenty_concurrent_decisions_record_exactly_one() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let id = pending_request(&app, &ada, &[]).await;
    let mut approvers = Vec::new();
    for _ in 0..20 {
        approvers.push(app.signed_in(&["approver"]).await);
    }
    let calls = approvers.iter().enumerate().map(|(i, client)| {
        let decision = if i % 2 == 0 { "approve" } else { "reject" };
        decide(&app, client, id, decision, "race")
    });
    let answers = futures::future::join_all(calls).await;
    let mut ok = 0;
    for res in answers {
        match res.status().as_u16() {
            200 => ok += 1,
            409 => {
                let body: Value = res.json().await.unwrap();
                let message = body["detail"].as_str().unwrap_or_default();
                assert!(message.contains("already decided by"), "{body}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 1, "exactly one decision wins");
    let decisions: i64 = sqlx::query_scalar(
        "select count(*) from request_events where request_id = $1 and from_status = 'pending_approval'",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(decisions, 1);
}

#[tokio::test]
async fn bulk_approval_takes_several_ids_with_one_comment() {
    let app = spawn_app_without_workers().await;
    let ada = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let a = pending_request(&app, &ada, &[]).await;
    let b = pending_request(&app, &ada, &[]).await;
    let res = app
        .call(
            &approver,
            "/api/approvals/approve_many",
            &[
                ("ids[0]", &a.to_string()),
                ("ids[1]", &b.to_string()),
                ("comment", "Quarterly renewals"),
            ],
        )
        .await;
    let status = res.status();
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["approved"], serde_json::json!([a, b]));
    assert_eq!(app.status_of(a).await, "approved");
    let jobs: i64 = sqlx::query_scalar("select count(*) from forward_jobs")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(jobs, 2, "each approval queued its forwarding job");
}

async fn spawn_app_without_workers() -> TestApp {
    crate::helpers::spawn_app_with(&[("CERTDESK_WORKERS", "0")]).await
}

fn spki_of_csr(pem: &str) -> Vec<u8> {
    let (_, block) = parse_x509_pem(pem.as_bytes()).unwrap();
    let (_, csr) = X509CertificationRequest::from_der(&block.contents).unwrap();
    csr.certification_request_info.subject_pki.raw.to_vec()
}

#[tokio::test]
async fn an_approved_request_is_issued_and_both_downloads_work() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let id = pending_request(&app, &ada, &[]).await;
    let before = app.sim.simulator.stats().counters.requests;
    assert_eq!(
        decide(&app, &approver, id, "approve", "fine")
            .await
            .status(),
        200
    );
    app.wait_for_status(id, "issued").await;
    // Issued at once: the order's own answer carried the chain, so the worker spent one request
    // on it (two if its first read of the status-changes feed fell in between), not an order
    // lookup and a download as well.
    let spent = app.sim.simulator.stats().counters.requests - before;
    assert!(spent <= 2, "{spent} DigiCert requests for one order");

    let leaf = ada
        .get(app.url(&format!("/requests/{id}/certificate.pem")))
        .send()
        .await
        .unwrap();
    assert_eq!(leaf.status(), 200);
    assert!(
        leaf.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("www.example.com.pem")
    );
    let leaf = leaf.text().await.unwrap();
    let (_, block) = parse_x509_pem(leaf.as_bytes()).unwrap();
    let (_, cert) = X509Certificate::from_der(&block.contents).unwrap();
    let csr = include_str!("../../../app/tests/fixtures/csr/rsa2048.csr");
    assert_eq!(
        cert.public_key().raw,
        spki_of_csr(csr).as_slice(),
        "the leaf carries the CSR's key"
    );
    assert_eq!(leaf.matches("BEGIN CERTIFICATE").count(), 1);

    let chain = ada
        .get(app.url(&format!("/requests/{id}/chain.pem")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(chain.matches("BEGIN CERTIFICATE").count() >= 2, "{chain}");
    let in_chain: Vec<Vec<u8>> = x509_parser::pem::Pem::iter_from_buffer(chain.as_bytes())
        .map(|p| p.unwrap().contents)
        .collect();
    assert!(
        in_chain.contains(&block.contents),
        "the chain holds the leaf"
    );

    let stranger = app.signed_in(&["requester"]).await;
    let refused = stranger
        .get(app.url(&format!("/requests/{id}/certificate.pem")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);

    let events: Vec<String> = sqlx::query_scalar(
        "select to_status from request_events where request_id = $1 order by id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        [
            "pending_approval",
            "approved",
            "forwarding",
            "forwarded",
            "issued"
        ]
    );
    // Every state change is in the audit log too, with its actor (none: the worker).
    let audited: Vec<(String, bool)> = sqlx::query_as(
        "select action, actor_id is not null from audit_events
          where subject = $1 order by id",
    )
    .bind(format!("request {id}"))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            ("request_submitted".to_owned(), true),
            ("request_approved".to_owned(), true),
            ("request_forwarding".to_owned(), false),
            ("request_forwarded".to_owned(), false),
            ("request_issued".to_owned(), false),
        ]
    );
    let stats = app.sim.simulator.stats();
    assert_eq!(stats.counters.orders_created, 1);
}

#[tokio::test]
async fn a_refused_order_fails_with_digicerts_codes_and_an_admin_retry_succeeds() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let admin = app.signed_in(&["admin"]).await;
    // Submitted while Example Corp is active; then the account's administrator deactivates it,
    // so DigiCert's answer to the order is a final 400.
    let id = pending_request(&app, &ada, &[]).await;
    app.sim.simulator.set_organization_active(1001, false);
    assert_eq!(
        decide(&app, &approver, id, "approve", "").await.status(),
        200
    );
    app.wait_for_status(id, "forward_failed").await;
    let shown: Value = app
        .call(&ada, "/api/requests/detail", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    let error = shown["forward_error"].as_str().unwrap();
    assert!(error.contains("HTTP 400"), "{error}");
    assert!(error.contains("invalid_value:organization.id"), "{error}");
    assert_eq!(shown["can_retry"], false, "only admins retry");

    let retry = |client| {
        let app = &app;
        async move {
            app.call(client, "/api/forwarding/retry", &[("id", &id.to_string())])
                .await
                .status()
        }
    };
    assert_eq!(retry(&ada).await, 403);
    assert_eq!(retry(&approver).await, 403);
    // The account's administrator reactivates the organization; then the retry goes through.
    app.sim.simulator.set_organization_active(1001, true);
    assert_eq!(retry(&admin).await, 200);
    app.wait_for_status(id, "issued").await;
    assert_eq!(retry(&admin).await, 409, "nothing to retry any more");
    assert_eq!(app.sim.simulator.stats().counters.orders_created, 1);
}
