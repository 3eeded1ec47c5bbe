//! Forms true to the DigiCert account: its custom order fields, organizations and their
//! validations, containers and EV approvers are checked at submission (a stale id is the
//! requester's field error) and custom fields again at approval.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::requests::{submit, tls_form};
use serde_json::Value;

async fn count_requests(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from requests")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The field errors of a refused submission.
async fn field_errors(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    body["detail"]["fields"].clone()
}

#[tokio::test]
async fn a_required_custom_field_left_empty_is_a_field_error_and_nothing_is_stored() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let res = submit(&app, &ada, &tls_form("basic-ov", &[("cf_801", "")])).await;
    let fields = field_errors(res).await;
    let message = fields["cf_801"][0].as_str().unwrap();
    assert!(message.contains("Cost center"), "{message}");
    assert_eq!(count_requests(&app).await, 0);

    // Filled, plus the optional ticket: both travel in custom_fields[].
    let res = submit(&app, &ada, &tls_form("basic-ov", &[("cf_802", "CHG-7")])).await;
    assert_eq!(res.status(), 200);
    let payload: Value = sqlx::query_scalar("select payload from requests")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        payload["custom_fields"],
        serde_json::json!([
            { "metadata_id": 801, "value": "CC-1001" },
            { "metadata_id": 802, "value": "CHG-7" }
        ])
    );
    // The form shows the account's fields with their labels.
    let page = app.page(&ada, "/requests/new/basic-ov").await;
    assert!(page.contains(r#"name="form[cf_801]""#) && page.contains("Cost center"));
    assert!(page.contains("Ticket (optional)"));
}

#[tokio::test]
async fn stale_ids_and_an_organization_without_ev_are_field_errors_at_submission() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let res = submit(
        &app,
        &ada,
        &tls_form(
            "basic-ov",
            &[
                ("organization", "1003"),
                ("container", "77"),
                ("cf_999", "x"),
            ],
        ),
    )
    .await;
    let fields = field_errors(res).await;
    for name in ["organization", "container", "cf_999"] {
        assert!(fields[name].is_array(), "{name}: {fields}");
    }
    // Example Labs' EV validation is pending: no EV certificate for it, and Jill is not its
    // approver anyway.
    let res = submit(
        &app,
        &ada,
        &tls_form(
            "secure-site-pro-ev",
            &[("organization", "1002"), ("ev_approver", "2001")],
        ),
    )
    .await;
    let fields = field_errors(res).await;
    assert!(
        fields["organization"][0]
            .as_str()
            .unwrap()
            .contains("no active EV validation"),
        "{fields}"
    );
    assert!(fields["ev_approver"].is_array(), "{fields}");
    assert_eq!(count_requests(&app).await, 0);
    // The EV form marks each organization's validation.
    let page = app.page(&ada, "/requests/new/secure-site-pro-ev").await;
    assert!(page.contains("OV active · EV active"), "Example Corp");
    assert!(page.contains("OV active · EV not active"), "Example Labs");
}

#[tokio::test]
async fn a_field_made_required_after_submission_is_caught_at_approval() {
    // Lists are asked for every time here, so the account's change is seen at once.
    let app = spawn_app_with(&[("CERTDESK_DIGICERT_LISTS_SECONDS", "0")]).await;
    let ada = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let res = submit(&app, &ada, &tls_form("basic-ov", &[])).await;
    let id: i64 = res.json().await.unwrap();
    let mut fields = certdesk::simulator::Simulator::seeded_custom_fields();
    fields[1].is_required = true;
    app.sim.simulator.set_custom_fields(fields);

    let res = app
        .call(
            &approver,
            "/api/approvals/decide",
            &[("id", &id.to_string()), ("decision", "approve")],
        )
        .await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert!(body.to_string().contains("\\\"Ticket\\\""), "{body}");
    let status: String = sqlx::query_scalar("select status from requests where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "pending_approval");
    // Bulk approval holds it back with the same reason.
    let res = app
        .call(
            &approver,
            "/api/approvals/approve_many",
            &[("ids[0]", &id.to_string())],
        )
        .await;
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(outcome["approved"], serde_json::json!([]));
    assert!(
        outcome["skipped"][0][1]
            .as_str()
            .unwrap()
            .contains("Ticket")
    );
    // Rejecting still works, so the requester hears of it.
    let res = app
        .call(
            &approver,
            "/api/approvals/decide",
            &[
                ("id", &id.to_string()),
                ("decision", "reject"),
                ("note", "Please add the ticket."),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.sim.simulator.stats().counters.orders_created, 0);
}

#[tokio::test]
async fn prices_are_estimated_stored_and_shown_and_zero_is_unknown() {
    let app = spawn_app().await;
    let ada = app.signed_in(&["requester"]).await;
    let approver = app.signed_in(&["approver"]).await;
    let price = |fields: crate::requests::Fields| {
        let app = &app;
        let ada = &ada;
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let res = app.call(ada, "/api/requests/price", &pairs).await;
            assert_eq!(res.status(), 200);
            res.json::<String>().await.unwrap()
        }
    };
    // ssl_basic: 345 a year plus 80 per further name.
    assert_eq!(price(tls_form("basic-ov", &[])).await, "USD 425.00");
    assert_eq!(
        price(tls_form(
            "basic-ov",
            &[("order_years", "2"), ("dns_names", "")]
        ))
        .await,
        "USD 690.00"
    );
    // DigiCert answers 0 for the generic `ssl` product: unknown, never free.
    let by_type = tls_form(
        "ssl-by-type",
        &[
            ("product", "ssl"),
            ("type_hint", "private"),
            ("ca_cert_id", "SIMPRIVATECA01"),
        ],
    );
    assert_eq!(price(by_type.clone()).await, "unknown");
    // An incomplete form has no price yet.
    assert_eq!(
        price(tls_form("basic-ov", &[("common_name", "")])).await,
        "unknown"
    );

    let priced: i64 = submit(&app, &ada, &tls_form("basic-ov", &[]))
        .await
        .json()
        .await
        .unwrap();
    let unpriced: i64 = submit(&app, &ada, &by_type).await.json().await.unwrap();
    let stored: (Option<i64>, Option<String>) =
        sqlx::query_as("select price_cents, price_currency from requests where id = $1")
            .bind(priced)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, (Some(42_500), Some("USD".into())));
    let detail = |id: i64| {
        let app = &app;
        let ada = &ada;
        async move {
            app.call(ada, "/api/requests/detail", &[("id", &id.to_string())])
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(detail(priced).await["price"], "USD 425.00");
    assert_eq!(detail(unpriced).await["price"], "unknown");
    let queue: Value = app
        .call(&approver, "/api/approvals/queue", &[])
        .await
        .json()
        .await
        .unwrap();
    let prices: Vec<&str> = queue["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["price"].as_str().unwrap())
        .collect();
    assert_eq!(prices, ["USD 425.00", "unknown"]);
}

#[tokio::test]
async fn plan_lengths_and_hashes_follow_the_product_and_the_account() {
    let app = spawn_app_with(&[("CERTDESK_DIGICERT_LISTS_SECONDS", "0")]).await;
    let ada = app.signed_in(&["requester"]).await;
    // With Multi-year Plans (the seeded account) a three-year order is fine.
    let res = submit(&app, &ada, &tls_form("basic-ov", &[("order_years", "3")])).await;
    assert_eq!(res.status(), 200);
    // An account admin turns Multi-year Plans off: one year only, in the form and at submission.
    app.sim.simulator.set_multi_year_plans(false);
    let res = submit(&app, &ada, &tls_form("basic-ov", &[("order_years", "2")])).await;
    let fields = field_errors(res).await;
    assert!(
        fields["order_validity"][0]
            .as_str()
            .unwrap()
            .contains("one year at a time"),
        "{fields}"
    );
    let page = app.page(&ada, "/requests/new/basic-ov").await;
    assert!(page.contains("orders one year at a time"));
    let years = page
        .split(r#"id="f-order_years""#)
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .unwrap();
    assert!(
        years.contains(r#"value="1""#) && !years.contains(r#"value="2""#),
        "{years}"
    );
    // RapidSSL signs with SHA-256 only.
    let res = submit(
        &app,
        &ada,
        &tls_form(
            "multi-year",
            &[("product", "ssl_dv_rapidssl"), ("signature_hash", "sha384")],
        ),
    )
    .await;
    let fields = field_errors(res).await;
    assert!(
        fields["signature_hash"][0]
            .as_str()
            .unwrap()
            .contains("SHA-256"),
        "{fields}"
    );
    // Grid is orderable on SSL by type.
    let res = submit(
        &app,
        &ada,
        &tls_form("ssl-by-type", &[("product", "ssl"), ("type_hint", "grid")]),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}
