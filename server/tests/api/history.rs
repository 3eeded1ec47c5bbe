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
