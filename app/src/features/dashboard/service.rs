use super::api::Overview;
use crate::error::AppError;
use crate::features::requests::model::RequestStatus;
use sqlx::PgPool;

/// "3 d 4 h", "2 h 5 min", "7 min".
pub fn describe_age(seconds: i64) -> String {
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, _) => format!("{hours} h {minutes} min"),
        _ => format!("{days} d {hours} h"),
    }
}

/// Two statements: counts per status (on the status index), and the rest in one pass over the
/// partial indexes' rows.
pub async fn overview(pool: &PgPool) -> Result<Overview, AppError> {
    let counts: Vec<(String, i64)> =
        sqlx::query_as("select status, count(*) from requests group by status")
            .fetch_all(pool)
            .await?;
    let mut by_status: Vec<(String, i64)> = RequestStatus::ALL
        .into_iter()
        .filter_map(|s| {
            counts
                .iter()
                .find(|(name, _)| name == s.as_str())
                .map(|(_, n)| (s.label().to_owned(), *n))
        })
        .collect();
    by_status.retain(|(_, n)| *n > 0);
    let (oldest, issued, failures, e30, e60, e90): (Option<i64>, i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "select
                (select extract(epoch from now() - min(submitted_at))::bigint
                   from requests where status = 'pending_approval'),
                (select count(*) from requests
                  where status = 'issued' and issued_at >= date_trunc('month', now())),
                (select count(*) from requests where status = 'forward_failed'),
                (select count(*) from requests where status = 'issued'
                    and expires_at >= now() and expires_at < now() + interval '30 days'),
                (select count(*) from requests where status = 'issued'
                    and expires_at >= now() and expires_at < now() + interval '60 days'),
                (select count(*) from requests where status = 'issued'
                    and expires_at >= now() and expires_at < now() + interval '90 days')",
        )
        .fetch_one(pool)
        .await?;
    let waiting_on_dcv = crate::features::dcv::repo::waiting_count(pool, None).await?;
    Ok(Overview {
        waiting_on_dcv,
        by_status,
        oldest_pending: oldest.map(describe_age),
        issued_this_month: issued,
        forward_failures: failures,
        expiring: [e30, e60, e90],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(describe_age(59), "0 min");
        assert_eq!(describe_age(7 * 60), "7 min");
        assert_eq!(describe_age(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(describe_age(3 * 86_400 + 4 * 3600), "3 d 4 h");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn counts_what_admins_watch(pool: PgPool) {
        use crate::features::auth::Role;
        use crate::test_support::{TODAY, basic_ov_form, user};
        let ada = user(&pool, "ada@example.com", &[Role::Requester]).await;
        let vic = user(&pool, "vic@example.com", &[Role::Approver]).await;
        for _ in 0..3 {
            crate::features::requests::service::submit(&pool, &ada, &basic_ov_form(), true, TODAY)
                .await
                .unwrap();
        }
        sqlx::query("update requests set submitted_at = now() - interval '2 hours' where id = 1")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("update requests set status = 'approved', decided_by = $1 where id in (2, 3)")
            .bind(vic.id)
            .execute(&pool)
            .await
            .unwrap();
        for (id, to) in [
            (2, "forwarding"),
            (2, "forwarded"),
            (2, "issued"),
            (3, "forwarding"),
            (3, "forward_failed"),
        ] {
            sqlx::query("update requests set status = $2 where id = $1")
                .bind(id)
                .bind(to)
                .execute(&pool)
                .await
                .unwrap();
        }
        sqlx::query(
            "update requests set issued_at = now(), expires_at = now() + interval '45 days' where id = 2",
        )
        .execute(&pool)
        .await
        .unwrap();
        let o = overview(&pool).await.unwrap();
        assert_eq!(
            o.by_status,
            [
                ("Pending approval".to_owned(), 1),
                ("DigiCert refused".to_owned(), 1),
                ("Issued".to_owned(), 1)
            ]
        );
        assert!(o.oldest_pending.unwrap().starts_with("2 h"));
        assert_eq!((o.issued_this_month, o.forward_failures), (1, 1));
        assert_eq!(o.expiring, [0, 1, 1]);
    }
}
