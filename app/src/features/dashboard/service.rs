use super::api::Overview;
use super::repo;
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
pub async fn overview(pool: &PgPool, renew_window_days: u32) -> Result<Overview, AppError> {
    let counts = repo::requests_by_status(pool).await?;
    let mut by_status: Vec<(String, i64)> = RequestStatus::ALL
        .into_iter()
        .filter_map(|s| {
            counts
                .iter()
                .find(|count| count.status == s)
                .map(|count| (s.label().to_owned(), count.requests))
        })
        .collect();
    by_status.retain(|(_, n)| *n > 0);
    let watched = repo::watched(pool, renew_window_days).await?;
    let waiting_on_dcv = crate::features::dcv::repo::waiting_count(pool, None).await?;
    Ok(Overview {
        waiting_on_dcv,
        by_status,
        oldest_pending: watched.oldest_seconds.map(describe_age),
        issued_this_month: watched.issued,
        forward_failures: watched.failures,
        expiring: [watched.within_30, watched.within_60, watched.within_90],
        reissue_due: watched.reissue_due,
        renew_due: watched.renew_due,
        changes_waiting: watched.changes_waiting,
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
            "update requests set issued_at = now(), expires_at = now() + interval '45 days',
                    order_valid_till = current_date + 300 where id = 2",
        )
        .execute(&pool)
        .await
        .unwrap();
        // Request 2's order holds a certificate ending in 45 days, the order in 300.
        let now = time::OffsetDateTime::now_utc();
        let certificate = crate::features::certificates::issued::IssuedCertificate {
            leaf_pem: String::new(),
            chain_pem: String::new(),
            not_before: now,
            not_after: now + time::Duration::days(45),
            serial: "0C01".into(),
            common_name: "www.example.com".into(),
            dns_names: vec![],
        };
        let mut db = pool.acquire().await.unwrap();
        crate::features::certificates::repo::insert(
            &mut db,
            2,
            crate::features::certificates::model::CertificateKind::First,
            None,
            &certificate,
        )
        .await
        .unwrap();
        let o = overview(&pool, 90).await.unwrap();
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
        assert_eq!((o.reissue_due, o.renew_due), (0, 0));
        // Ten days left on the certificate, twenty on the order: reissue and renew are both due.
        sqlx::query("update certificates set not_after = now() + interval '10 days'")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("update requests set order_valid_till = current_date + 20 where id = 2")
            .execute(&pool)
            .await
            .unwrap();
        let o = overview(&pool, 90).await.unwrap();
        assert_eq!(o.expiring, [1, 1, 1]);
        assert_eq!((o.reissue_due, o.renew_due), (1, 1));
        // A shorter renewal window leaves it out.
        assert_eq!(overview(&pool, 10).await.unwrap().renew_due, 0);
    }
}
