//! The benchmark's seed: realistic rows the portal reads like its own, and the users it signs
//! in as.

use crate::helpers::fresh_database;
use app::features::approvals::{model::QueueFilter, service as approvals};
use app::features::auth::{CurrentUser, Role};
use app::features::history::{model::HistoryFilter, service as history};
use certdesk::bench::seed::{self, APPROVER};

const CSR: &str = include_str!("../../../app/tests/fixtures/csr/rsa2048.csr");

#[tokio::test]
async fn seeded_history_reads_like_the_portals_own() {
    let (pool, _) = fresh_database().await;
    let seeded = seed::seed(&pool, 1_000, CSR).await.unwrap();
    assert_eq!(seeded.pending, 60);
    let by_status: Vec<(String, i64)> =
        sqlx::query_as("select status, count(*) from requests group by status order by status")
            .fetch_all(&pool)
            .await
            .unwrap();
    let count = |s: &str| {
        by_status
            .iter()
            .find(|(k, _)| k == s)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(by_status.iter().map(|(_, n)| n).sum::<i64>(), 1_000);
    assert_eq!(count("pending_approval"), 60);
    assert!(count("issued") > 800, "{by_status:?}");
    assert!(count("rejected") > 0 && count("cancelled") > 0 && count("forward_failed") > 0);

    // The queue and the search decode every seeded column the way the pages do.
    let approver = CurrentUser {
        id: seeded.approver_id,
        email: APPROVER.into(),
        display_name: "approver".into(),
        roles: vec![Role::Approver],
        must_change_password: false,
    };
    let queue = approvals::queue(&pool, &approver, &QueueFilter::default(), 50)
        .await
        .unwrap();
    assert_eq!(queue.rows.len(), 50);
    assert!(queue.next.is_some());
    assert!(
        queue
            .rows
            .iter()
            .all(|r| !r.own && r.csr.is_some() || r.names.len() == 1)
    );
    let label = seed::host_label(501);
    let found = history::search(
        &pool,
        &HistoryFilter {
            q: label.clone(),
            ..HistoryFilter::default()
        },
        50,
    )
    .await
    .unwrap();
    assert_eq!(found.rows.len(), 1, "{label}");
    assert_eq!(found.rows[0].id, 501);
    assert!(found.rows[0].title.starts_with(&format!("{label}.")));

    // New requests continue after the seeded ids.
    let next: i64 = sqlx::query_scalar("select nextval(pg_get_serial_sequence('requests', 'id'))")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(next, 1_001);
    // The state machine's insert trigger is back on after seeding.
    let refused = sqlx::query(
        "insert into requests (requester_id, form_kind, product, title, form, payload, status)
         select id, 'basic-ov', 'ssl_basic', 'x', '{}', '{}', 'issued' from users limit 1",
    )
    .execute(&pool)
    .await;
    assert!(refused.is_err());
}
