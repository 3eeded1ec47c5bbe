use crate::helpers::{client, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn healthz_reports_a_reachable_database() {
    let app = spawn_app().await;
    let res = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], "reachable");
}

#[tokio::test]
async fn healthz_reports_an_unreachable_database() {
    let app = spawn_app().await;
    app.app_pool.close().await;
    let res = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
}

const TOKEN: &str = "metrics-token-for-tests-0123456789";

/// The `/metrics` exposition as a map of sample name and labels to value.
async fn scrape(app: &crate::helpers::TestApp) -> prometheus_parse::Scrape {
    let res = client()
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("the exposition parses as Prometheus text")
}

fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn metrics_need_the_operators_token_and_count_what_happened() {
    let app = crate::helpers::spawn_app_with(&[("CERTDESK_METRICS_TOKEN", TOKEN)]).await;
    // No token, or the wrong one: nothing is shown.
    let res = client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = client()
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-for-tests-0123456788")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let before = scrape(&app).await;
    let healthz = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
    for _ in 0..3 {
        client().get(app.url("/healthz")).send().await.unwrap();
    }
    let failed = app
        .sign_in(&client(), "nobody@example.com", "wrong password")
        .await;
    assert_eq!(failed.status(), 422);
    // A request waits for approval, another goes to DigiCert.
    let ada = app.signed_in(&["requester"]).await;
    let pending: i64 =
        crate::requests::submit(&app, &ada, &crate::requests::tls_form("basic-ov", &[]))
            .await
            .json()
            .await
            .unwrap();
    crate::certificates::issued_request(&app, &ada).await;

    let after = scrape(&app).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert!(delta("certdesk_http_requests_total", &healthz) >= 3.0);
    assert!(
        value(
            &after,
            "certdesk_http_request_duration_seconds_count",
            &[("route", "/healthz")]
        ) >= 3.0
    );
    assert!(delta("certdesk_sign_in_failures_total", &[]) >= 1.0);
    assert!(
        delta(
            "certdesk_digicert_requests_total",
            &[
                ("endpoint", "order/certificate/ssl_basic"),
                ("status", "201")
            ]
        ) >= 1.0
    );
    assert_eq!(
        value(&after, "certdesk_approval_queue_depth", &[]),
        1.0,
        "request {pending} waits"
    );
    assert!(after.samples.iter().any(|s| s.metric == "certdesk_jobs"));
    assert!(
        after
            .samples
            .iter()
            .any(|s| s.metric == "certdesk_outbox_depth")
    );
    // Server functions are counted by their own path, pages by their route pattern.
    assert!(
        value(
            &after,
            "certdesk_http_requests_total",
            &[("route", "/api/auth/sign_in")]
        ) >= 1.0
    );
}

#[tokio::test]
async fn metrics_do_not_exist_on_the_portal_without_a_token() {
    let app = spawn_app().await;
    let res = client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn every_answer_carries_its_request_id() {
    let app = spawn_app().await;
    let res = client().get(app.url("/healthz")).send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["digicert_budget"], "available");
    // A caller's plain id is kept (a proxy's), anything else replaced.
    let res = client()
        .get(app.url("/sign-in"))
        .header("x-request-id", "lb-7f3a-0001")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "lb-7f3a-0001");
    let res = client()
        .get(app.url("/no-such-page"))
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "<script>");
}
