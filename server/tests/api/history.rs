//! The admins' history over HTTP: search, pages and the streamed CSV export.

use crate::helpers::spawn_app;
use crate::requests::{submit, tls_form};
use serde_json::Value;

#[tokio::test]
async fn admins_search_and_export_and_nobody_else_does() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let admin = app.signed_in(&["admin"]).await;
    let comment = "=HYPERLINK(\"http://evil\"), \"quoted\"\nsecond line";
    let id: i64 = submit(&app, &ada, &tls_form("basic-ov", &[("comments", comment)]))
        .await
        .json()
        .await
        .unwrap();
    // A name that needs CSV quoting and neutralising: stored as typed in the title.
    sqlx::query("update requests set title = $2 where id = $1")
        .bind(id)
        .bind("=cmd|' /C calc'!A0, \"x\"")
        .execute(&app.pool)
        .await
        .unwrap();

    let found: Value = app
        .call(
            &admin,
            "/api/history/search",
            &[("filter[q]", "example.com")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["rows"][0]["id"], id, "{found}");

    for (client, expected) in [(&ada, 403), (&approver, 403)] {
        let res = client.get(app.url("/history.csv")).send().await.unwrap();
        assert_eq!(res.status(), expected);
    }
    let res = admin
        .get(app.url("/history.csv?q=example.com&status=pending_approval"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0].ends_with("\"estimated price\",\"serial\""),
        "{}",
        lines[0]
    );
    // ssl_basic for a year, with one additional name, at the simulator's list price; not yet
    // issued, so no serial.
    assert!(lines[1].ends_with("\"USD 425.00\",\"\""), "{}", lines[1]);
    assert!(
        lines[1].contains("\"'=cmd|' /C calc'!A0, \"\"x\"\"\""),
        "the formula is neutralised and the cell quoted: {}",
        lines[1]
    );
    let bad = admin
        .get(app.url("/history.csv?from=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let page = admin
        .get(app.url("/history?q=example"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Export CSV") && page.contains(&format!("/requests/{id}")));
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_action_and_day() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let admin = app.signed_in(&["admin"]).await;
    submit(&app, &ada, &tls_form("basic-ov", &[])).await;
    let search = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let app = &app;
        let admin = &admin;
        async move {
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let res = app.call(admin, "/api/audit/search", &pairs).await;
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let (status, found) = search(&[("action", "request_submitted")]).await;
    assert_eq!(status, 200);
    let rows = found["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{found}");
    assert!(rows[0]["actor"].as_str().unwrap().contains("requester-"));
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let (_, by_actor) = search(&[("actor", "REQUESTER-"), ("from", &today), ("to", &today)]).await;
    let actions: Vec<&str> = by_actor["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"sign_in") && actions.contains(&"request_submitted"),
        "{actions:?}"
    );
    let (_, none) = search(&[("from", "2999-01-01")]).await;
    assert_eq!(none["rows"], serde_json::json!([]));
    let (bad, _) = search(&[("from", "soon")]).await;
    assert_eq!(bad, 422);
}
