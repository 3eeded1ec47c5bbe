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
