use super::*;
use crate::features::auth::Role;
use crate::features::requests::service::submit;
use crate::test_support::{TODAY, basic_ov_form, count, user};

async fn pending(pool: &PgPool, requester: &CurrentUser) -> i64 {
    submit(pool, requester, &basic_ov_form(), true, TODAY)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn approval_records_decision_timeline_audit_and_job(pool: PgPool) {
    let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
    let vic = user(&pool, "vic@example.com", &[Role::Approver]).await;
    let id = pending(&pool, &ada).await;
    decide(&pool, &vic, id, Decision::Approve, Some("ok"))
        .await
        .unwrap();
    let (status, decided_by): (String, Uuid) =
        sqlx::query_as("select status, decided_by from requests where id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), decided_by), ("approved", vic.id));
    assert_eq!(count(&pool, "forward_jobs").await, 1);
    assert_eq!(count(&pool, "request_events").await, 2);
    let actions: Vec<String> = sqlx::query_scalar("select action from audit_events order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(actions, ["request_submitted", "request_approved"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn nobody_decides_their_own_request_not_even_in_sql(pool: PgPool) {
    let both = user(
        &pool,
        "both@example.com",
        &[Role::Requester, Role::Approver],
    )
    .await;
    let id = pending(&pool, &both).await;
    assert_eq!(
        decide(&pool, &both, id, Decision::Approve, None).await,
        Err(AppError::Forbidden)
    );
    let direct = sqlx::query(
        "update requests set status = 'approved', decided_by = requester_id where id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await;
    assert!(direct.is_err(), "the database refuses a self-decision");
    let undecided = sqlx::query("update requests set status = 'approved' where id = $1")
        .bind(id)
        .execute(&pool)
        .await;
    assert!(
        undecided.is_err(),
        "an approval without a decider is refused"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rejection_needs_a_reason_and_a_second_decision_names_the_first(pool: PgPool) {
    let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
    let vic = user(&pool, "vic@example.com", &[Role::Approver]).await;
    let wes = user(&pool, "wes@example.com", &[Role::Approver]).await;
    let id = pending(&pool, &ada).await;
    let err = decide(&pool, &vic, id, Decision::Reject, Some("  "))
        .await
        .unwrap_err();
    assert!(err.form().unwrap().fields.contains_key("note"));
    decide(
        &pool,
        &vic,
        id,
        Decision::Reject,
        Some("Use the wildcard we have."),
    )
    .await
    .unwrap();
    let AppError::Conflict(message) = decide(&pool, &wes, id, Decision::Approve, None)
        .await
        .unwrap_err()
    else {
        panic!("expected a conflict");
    };
    assert!(message.contains("already decided by vic"), "{message}");
    assert!(message.contains("rejected"), "{message}");
    assert_eq!(count(&pool, "forward_jobs").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn bulk_approval_skips_own_and_decided_requests(pool: PgPool) {
    let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
    let vic = user(&pool, "vic@example.com", &[Role::Approver, Role::Requester]).await;
    let wes = user(&pool, "wes@example.com", &[Role::Approver]).await;
    let a = pending(&pool, &ada).await;
    let b = pending(&pool, &ada).await;
    let own = pending(&pool, &vic).await;
    decide(&pool, &wes, b, Decision::Approve, None)
        .await
        .unwrap();
    let outcome = approve_many(&pool, &vic, &[a, b, own, 999_999], Some("batch"))
        .await
        .unwrap();
    assert_eq!(outcome.approved, [a]);
    let skipped: Vec<i64> = outcome.skipped.iter().map(|(id, _)| *id).collect();
    assert_eq!(skipped, [b, own, 999_999]);
}

fn ids(queue: &ApprovalQueue) -> Vec<i64> {
    queue.rows.iter().map(|r| r.summary.id).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_queue_is_oldest_first_filtered_and_paged(pool: PgPool) {
    let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
    let bob = user(&pool, "bob@example.com", &[Role::Requester]).await;
    let vic = user(&pool, "vic@example.com", &[Role::Approver]).await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(pending(&pool, if i % 2 == 0 { &ada } else { &bob }).await);
    }
    let after = |after: String| QueueFilter {
        after,
        ..QueueFilter::default()
    };
    let first = queue(&pool, &vic, &after(String::new()), 2).await.unwrap();
    assert_eq!(ids(&first), [made[0], made[1]]);
    let second = queue(&pool, &vic, &after(first.next.clone().unwrap()), 2)
        .await
        .unwrap();
    assert_eq!(ids(&second), [made[2], made[3]]);
    let last = queue(&pool, &vic, &after(second.next.clone().unwrap()), 2)
        .await
        .unwrap();
    assert_eq!(ids(&last), [made[4]]);
    assert_eq!(last.next, None);
    let exact = queue(&pool, &vic, &after(String::new()), 5).await.unwrap();
    assert_eq!((exact.rows.len(), exact.next), (5, None));

    let bobs = QueueFilter {
        requester: "BOB@".into(),
        ..QueueFilter::default()
    };
    assert_eq!(
        ids(&queue(&pool, &vic, &bobs, 10).await.unwrap()),
        [made[1], made[3]]
    );
    let other_product = QueueFilter {
        product: "ssl_ev_basic".into(),
        ..QueueFilter::default()
    };
    assert!(
        queue(&pool, &vic, &other_product, 10)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    let org = QueueFilter {
        organization: "1001".into(),
        ..QueueFilter::default()
    };
    assert_eq!(queue(&pool, &vic, &org, 10).await.unwrap().rows.len(), 5);
    decide(&pool, &vic, made[0], Decision::Approve, None)
        .await
        .unwrap();
    assert_eq!(
        queue(&pool, &vic, &after(String::new()), 10)
            .await
            .unwrap()
            .rows
            .len(),
        4
    );
}
