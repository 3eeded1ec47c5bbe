use super::*;
use crate::features::approvals::model::Decision;
use crate::features::approvals::service::decide;
use crate::features::auth::Role;
use crate::features::requests::service::submit;
use crate::test_support::{TODAY, basic_ov_form, user};
use futures::TryStreamExt;

/// Requests for shop0.example.com … shopN by ada, and one for intranet.corp.example by bob,
/// approved by vic.
async fn seed(pool: &PgPool, n: usize) -> Vec<i64> {
    let ada = user(pool, "ada@example.com", &[Role::Requester]).await;
    let bob = user(pool, "bob@example.com", &[Role::Requester]).await;
    let vic = user(pool, "vic@example.com", &[Role::Approver]).await;
    let mut ids = Vec::new();
    for i in 0..n {
        let mut form = basic_ov_form();
        form.csr.clear();
        form.common_name = format!("shop{i}.example.com");
        form.dns_names = format!("api{i}.example.com");
        // Stored without a CSR: the history does not look at it.
        let id = insert_without_checks(pool, &ada, &form).await;
        ids.push(id);
    }
    let mut form = basic_ov_form();
    form.csr.clear();
    form.common_name = "intranet.corp.example".into();
    form.dns_names = "wiki.corp.example".into();
    let bobs = insert_without_checks(pool, &bob, &form).await;
    decide(pool, &vic, bobs, Decision::Approve, None)
        .await
        .unwrap();
    ids.push(bobs);
    ids
}

async fn insert_without_checks(
    pool: &PgPool,
    requester: &crate::features::auth::CurrentUser,
    form: &crate::features::requests::model::RequestForm,
) -> i64 {
    let mut form = form.clone();
    form.csr = crate::test_support::CSR.into();
    // The fixture CSR names www.example.com: the form must match it to pass the checks.
    let (title, dns) = (form.common_name.clone(), form.dns_names.clone());
    form.common_name = "www.example.com".into();
    form.dns_names = "example.com".into();
    let id = submit(pool, requester, &form, true, TODAY).await.unwrap();
    sqlx::query(
        "update requests set title = $2, dns_names = $3,
                names_text = lower($2 || ' ' || $4) where id = $1",
    )
    .bind(id)
    .bind(&title)
    .bind(vec![dns.clone()])
    .bind(&dns)
    .execute(pool)
    .await
    .unwrap();
    id
}

fn ids(page: &HistoryPage) -> Vec<i64> {
    page.rows.iter().map(|r| r.id).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn searches_names_people_product_status_and_dates(pool: PgPool) {
    let made = seed(&pool, 3).await;
    let find = |f: HistoryFilter| {
        let pool = pool.clone();
        async move { ids(&search(&pool, &f, 50).await.unwrap()) }
    };
    let by = |q: &str| HistoryFilter {
        q: q.into(),
        ..HistoryFilter::default()
    };
    assert_eq!(find(by("SHOP1")).await, [made[1]], "common name, any case");
    assert_eq!(find(by("api2.")).await, [made[2]], "an additional name");
    assert_eq!(find(by("wiki")).await, [made[3]]);
    assert_eq!(
        find(by("%%%")).await,
        Vec::<i64>::new(),
        "wildcards are literal"
    );
    // One or two characters cannot use the trigram index: a field error, not a table scan.
    let short = search(&pool, &by("ap"), 50).await.unwrap_err();
    assert!(short.form().unwrap().for_field("q").is_some());
    let requester = HistoryFilter {
        requester: "bob@".into(),
        ..HistoryFilter::default()
    };
    assert_eq!(find(requester).await, [made[3]]);
    let approver = HistoryFilter {
        approver: "vic".into(),
        ..HistoryFilter::default()
    };
    assert_eq!(find(approver).await, [made[3]]);
    let status = HistoryFilter {
        status: "approved".into(),
        ..HistoryFilter::default()
    };
    assert_eq!(find(status).await, [made[3]]);
    let product = HistoryFilter {
        product: "ssl_basic".into(),
        organization: "1001".into(),
        from: "2000-01-01".into(),
        to: time::OffsetDateTime::now_utc().date().to_string(),
        ..HistoryFilter::default()
    };
    assert_eq!(find(product).await.len(), 4);
    let later = HistoryFilter {
        from: "2999-01-01".into(),
        ..HistoryFilter::default()
    };
    assert!(find(later).await.is_empty());
    let bad = HistoryFilter {
        status: "lost".into(),
        from: "yesterday".into(),
        ..HistoryFilter::default()
    };
    let err = search(&pool, &bad, 50).await.unwrap_err();
    let fields = &err.form().unwrap().fields;
    assert!(fields.contains_key("status") && fields.contains_key("from"));
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_end_exactly_where_they_should(pool: PgPool) {
    // Empty.
    let empty = search(&pool, &HistoryFilter::default(), 2).await.unwrap();
    assert!(empty.rows.is_empty() && empty.next.is_none());
    let made = seed(&pool, 3).await; // four requests
    // Exactly one page.
    let exact = search(&pool, &HistoryFilter::default(), 4).await.unwrap();
    assert_eq!(exact.rows.len(), 4);
    assert_eq!(exact.next, None);
    // Newest first, two per page, last page short.
    let first = search(&pool, &HistoryFilter::default(), 3).await.unwrap();
    assert_eq!(ids(&first), [made[3], made[2], made[1]]);
    let after = HistoryFilter {
        after: first.next.clone().unwrap(),
        ..HistoryFilter::default()
    };
    let last = search(&pool, &after, 3).await.unwrap();
    assert_eq!(ids(&last), [made[0]]);
    assert_eq!(last.next, None);
    // By name, ascending, across pages.
    let by_name = |after: String| HistoryFilter {
        sort: "name".into(),
        dir: "asc".into(),
        after,
        ..HistoryFilter::default()
    };
    let one = search(&pool, &by_name(String::new()), 2).await.unwrap();
    let titles: Vec<&str> = one.rows.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["intranet.corp.example", "shop0.example.com"]);
    let two = search(&pool, &by_name(one.next.clone().unwrap()), 2)
        .await
        .unwrap();
    let titles: Vec<&str> = two.rows.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["shop1.example.com", "shop2.example.com"]);
    assert!(
        search(
            &pool,
            &HistoryFilter {
                after: "zz".into(),
                ..HistoryFilter::default()
            },
            2
        )
        .await
        .is_err(),
        "a broken cursor is a field error"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_csv_export_holds_the_whole_filter(pool: PgPool) {
    seed(&pool, 3).await;
    let filter = HistoryFilter {
        q: "shop".into(),
        after: "00".into(),
        ..HistoryFilter::default()
    };
    // A cursor in the link does not cut the export short (a broken one is refused).
    assert!(csv_stream(pool.clone(), &filter).is_err());
    let filter = HistoryFilter {
        q: "shop".into(),
        ..HistoryFilter::default()
    };
    let text: String = csv_stream(pool.clone(), &filter)
        .unwrap()
        .try_collect::<Vec<String>>()
        .await
        .unwrap()
        .concat();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("\"id\",\"product\",\"common name\""));
    assert!(lines[1].contains("shop2.example.com"));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_audit_log_cannot_be_changed(pool: PgPool) {
    seed(&pool, 1).await;
    for statement in [
        "update audit_events set action = 'nothing'",
        "delete from audit_events",
        "truncate audit_events",
    ] {
        let refused = sqlx::query(statement).execute(&pool).await;
        assert!(refused.is_err(), "{statement} was allowed");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_label_start_reads_the_label_index_and_text_inside_a_label_the_trigrams(pool: PgPool) {
    let made = seed(&pool, 12).await;
    let found = |q: &'static str| {
        let pool = pool.clone();
        async move {
            let filter = HistoryFilter {
                q: q.into(),
                dir: "asc".into(),
                ..HistoryFilter::default()
            };
            ids(&search(&pool, &filter, 50).await.unwrap())
        }
    };
    let label_start = |q: &str| {
        let query = parse(&HistoryFilter {
            q: q.into(),
            ..HistoryFilter::default()
        })
        .unwrap();
        assert!(matches!(query.names, Some(NameMatch::LabelStart { .. })));
        let wider = query.widened().unwrap();
        assert_eq!(wider.names, Some(NameMatch::Anywhere(format!("%{q}%"))));
        assert!(wider.widened().is_none(), "widened once");
        statement(&query, None).into_sql()
    };
    assert!(label_start("shop1").contains("request_name_labels"));
    // Both ways find the same requests.
    let shop1s = vec![made[1], made[10], made[11]];
    assert_eq!(found("shop1").await, shop1s);
    assert_eq!(found("hop1").await, shop1s);
    assert_eq!(found("corp.example").await, [made[12]]);
    assert_eq!(found("api11.example.com").await, [made[11]]);
    // The labels follow the names when they change (the seed rewrites them after submitting).
    let labels: Vec<String> = sqlx::query_scalar(
        "select suffix from request_name_labels where request_id = $1 order by suffix",
    )
    .bind(made[12])
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        labels,
        [
            "corp.example",
            "example",
            "intranet.corp.example",
            "wiki.corp.example"
        ]
    );
}

#[test]
fn the_label_range_holds_exactly_the_strings_that_start_with_the_text() {
    let NameMatch::LabelStart { from, to } = NameMatch::label_start("shop.ex") else {
        unreachable!()
    };
    for inside in ["shop.ex", "shop.example.com", "shop.ex\u{7f}"] {
        assert!(from.as_str() <= inside && inside < to.as_str(), "{inside}");
    }
    for outside in ["shop.e", "shop.ey", "shoq", "shop-ex"] {
        assert!(
            !(from.as_str() <= outside && outside < to.as_str()),
            "{outside}"
        );
    }
}
