//! Certificate rows: written when DigiCert issues, read for the request page and downloads.

use super::issued::{IssuedCertificate, check_issued};
use super::model::RevocationReason;
use super::model::{
    CertificateKind, CertificateStatus, CertificateSummary, CurrentCertificate, NextAction, WeekBar,
};
use crate::error::AppError;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

#[derive(Debug, Clone)]
struct SummaryRow {
    id: i64,
    kind: CertificateKind,
    serial_number: String,
    common_name: String,
    dns_names: Vec<String>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    status: CertificateStatus,
    revoked_at: Option<OffsetDateTime>,
    revocation_reason: Option<RevocationReason>,
}

/// The PEMs of one certificate and the name its files are called after.
#[derive(Debug, Clone)]
pub struct CertificateFiles {
    pub common_name: String,
    pub leaf_pem: String,
    pub chain_pem: String,
}

/// Records a certificate DigiCert issued for the order of `request_id`.
pub async fn insert(
    db: &mut PgConnection,
    request_id: i64,
    kind: CertificateKind,
    digicert_certificate_id: Option<i64>,
    issued: &IssuedCertificate,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        "insert into certificates (request_id, kind, digicert_certificate_id, serial_number,
                                   common_name, dns_names, not_before, not_after, leaf_pem, chain_pem)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         returning id",
        request_id,
        kind as CertificateKind,
        digicert_certificate_id,
        &issued.serial,
        &issued.common_name,
        &issued.dns_names,
        issued.not_before,
        issued.not_after,
        &issued.leaf_pem,
        &issued.chain_pem
    )
    .fetch_one(db)
    .await?)
}

/// The order's certificates, newest first.
pub async fn for_request(
    pool: &PgPool,
    request_id: i64,
    now: OffsetDateTime,
) -> Result<Vec<CertificateSummary>, AppError> {
    let rows = sqlx::query_as!(
        SummaryRow,
        r#"select id, kind as "kind: CertificateKind", serial_number, common_name, dns_names,
                  not_before, not_after, status as "status: CertificateStatus", revoked_at,
                  revocation_reason as "revocation_reason: RevocationReason"
             from certificates where request_id = $1 order by id desc"#,
        request_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CertificateSummary {
            id: r.id,
            kind: r.kind,
            serial: r.serial_number,
            common_name: r.common_name,
            dns_names: r.dns_names,
            valid_from: r.not_before.date().to_string(),
            valid_till: r.not_after.date().to_string(),
            days_left: (r.not_after - now).whole_days(),
            status: r.status,
            revoked: r.revoked_at.map(|at| match r.revocation_reason {
                Some(reason) => format!("{}, {}", at.date(), reason.short()),
                None => at.date().to_string(),
            }),
        })
        .collect())
}

/// The order's current certificate (not a duplicate), or a given one of its certificates.
pub async fn files(
    pool: &PgPool,
    request_id: i64,
    certificate_id: Option<i64>,
) -> Result<Option<CertificateFiles>, AppError> {
    Ok(sqlx::query_as!(
        CertificateFiles,
        "select common_name, leaf_pem, chain_pem from certificates
          where request_id = $1
            and case when $2::bigint is null then status = 'issued' and kind <> 'duplicate'
                     else id = $2 end
          order by id desc limit 1",
        request_id,
        certificate_id
    )
    .fetch_optional(pool)
    .await?)
}

struct Unmoved {
    id: i64,
    certificate_id: Option<i64>,
    chain_pem: String,
}

/// Certificates stored on their request before orders held certificates become the order's
/// first certificate; answers how many were moved. Runs at start-up; does nothing the second time.
pub async fn move_stored_certificates(pool: &PgPool) -> Result<usize, AppError> {
    let unmoved = sqlx::query_as!(
        Unmoved,
        r#"select r.id, r.certificate_id, r.chain_pem as "chain_pem!" from requests r
            where r.chain_pem is not null
              and not exists (select 1 from certificates c where c.request_id = r.id)"#
    )
    .fetch_all(pool)
    .await?;
    let mut moved = 0;
    for row in unmoved {
        match check_issued(&row.chain_pem, None, &[]) {
            Ok(issued) => {
                let mut tx = pool.begin().await?;
                insert(
                    &mut tx,
                    row.id,
                    CertificateKind::First,
                    row.certificate_id,
                    &issued,
                )
                .await?;
                sqlx::query!(
                    "update requests set certificate_pem = null, chain_pem = null where id = $1",
                    row.id
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                moved += 1;
            }
            Err(problem) => {
                tracing::warn!(request_id = row.id, %problem, "a stored certificate cannot be read; left on its request");
            }
        }
    }
    Ok(moved)
}

/// Who the Certificates view is for: one requester's own, or everyone's (admins).
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Requester(uuid::Uuid),
    Everyone,
}

impl Scope {
    /// Admins see everyone's certificates, requesters their own; nobody else has the view.
    pub fn of(user: &crate::features::auth::CurrentUser) -> Result<Scope, AppError> {
        use crate::features::auth::Role;
        if user.has(Role::Admin) {
            Ok(Scope::Everyone)
        } else if user.has(Role::Requester) {
            Ok(Scope::Requester(user.id))
        } else {
            Err(AppError::Forbidden)
        }
    }

    fn owner(self) -> Option<uuid::Uuid> {
        match self {
            Scope::Requester(id) => Some(id),
            Scope::Everyone => None,
        }
    }
}

struct CurrentRow {
    request_id: i64,
    certificate_id: i64,
    serial_number: String,
    common_name: String,
    requester: String,
    not_after: OffsetDateTime,
    order_valid_till: Option<time::Date>,
    dcv_expires_on: Option<time::Date>,
}

/// What the Certificates view asks for.
#[derive(Debug, Clone)]
pub struct CurrentQuery {
    pub scope: Scope,
    /// A `like` pattern on the order's names.
    pub names: Option<String>,
    /// Only certificates whose next action is this (renew or reissue).
    pub action: Option<NextAction>,
    pub after: Option<(OffsetDateTime, i64)>,
    pub limit: i64,
    pub renew_window_days: u32,
}

/// `<end as unix seconds>~<certificate id>`, as a previous page left it.
pub fn parse_cursor(text: &str) -> Option<(OffsetDateTime, i64)> {
    let (at, id) = text.split_once('~')?;
    let at = OffsetDateTime::from_unix_timestamp(at.parse().ok()?).ok()?;
    Some((at, id.parse().ok()?))
}

/// Current certificates, the soonest to end first (keyset on end and id); answers the page and
/// the cursor after it when more follow.
pub async fn current(
    pool: &PgPool,
    query: &CurrentQuery,
) -> Result<(Vec<CurrentCertificate>, Option<String>), AppError> {
    let (scope, after, limit, renew_window_days) = (
        query.scope,
        query.after,
        query.limit,
        query.renew_window_days,
    );
    let action = query.action.map(NextAction::as_str);
    // The soonest DCV lapse of the certificate's domains (a name is on a domain when it is the
    // domain or ends with "." and the domain).
    let rows = sqlx::query_as!(
        CurrentRow,
        r#"select c.request_id, c.id as certificate_id, c.serial_number, c.common_name,
                u.display_name || ' <' || u.email || '>' as "requester!", c.not_after,
                r.order_valid_till, dcv.dcv_expires_on
           from certificates c
           join requests r on r.id = c.request_id
           join users u on u.id = r.requester_id
           left join lateral (
               select min(d.dcv_expires_on) as dcv_expires_on
                 from account_domains d
                 join unnest(array_prepend(c.common_name, c.dns_names)) n(name)
                   on n.name = d.name or right(n.name, length(d.name) + 1) = '.' || d.name
           ) dcv on true
          where c.status = 'issued' and c.not_after >= now()
            and ($1::uuid is null or r.requester_id = $1)
            and ($2::text is null or r.names_text like $2)
            and ($3::timestamptz is null or (c.not_after, c.id) > ($3, $4))
            and case $6::text
                  when 'renew' then coalesce(r.order_valid_till <= current_date + $7::int, false)
                  when 'reissue' then not coalesce(r.order_valid_till <= current_date + $7::int, false)
                       and c.not_after < now() + interval '30 days'
                       and coalesce(r.order_valid_till > c.not_after::date, false)
                  when 'dcv' then not coalesce(r.order_valid_till <= current_date + $7::int, false)
                       and not (c.not_after < now() + interval '30 days'
                                and coalesce(r.order_valid_till > c.not_after::date, false))
                       and dcv.dcv_expires_on <= current_date + 30
                       and coalesce(r.order_valid_till > dcv.dcv_expires_on, false)
                  else true end
          order by c.not_after, c.id
          limit $5"#,
        scope.owner(),
        query.names.as_deref(),
        after.map(|(at, _)| at),
        after.map(|(_, id)| id).unwrap_or(0),
        limit + 1,
        action,
        i32::try_from(renew_window_days).unwrap_or(i32::MAX)
    )
    .fetch_all(pool)
    .await?;
    let (rows, more) = crate::server::search::one_page(rows, limit);
    let next = crate::server::search::continues_after(&rows, more)
        .map(|r| format!("{}~{}", r.not_after.unix_timestamp(), r.certificate_id));
    let now = OffsetDateTime::now_utc();
    Ok((
        rows.into_iter()
            .map(|r| r.current_certificate(now, renew_window_days))
            .collect(),
        next,
    ))
}

impl CurrentRow {
    /// The line of the Certificates page: days left of the certificate and its order, and what
    /// to do next.
    fn current_certificate(
        self,
        now: OffsetDateTime,
        renew_window_days: u32,
    ) -> CurrentCertificate {
        let days_left = (self.not_after - now).whole_days();
        let order_days_left = self.order_valid_till.map(|d| (d - now.date()).whole_days());
        let dcv_days_left = self.dcv_expires_on.map(|d| (d - now.date()).whole_days());
        CurrentCertificate {
            request_id: self.request_id,
            certificate_id: self.certificate_id,
            serial: self.serial_number,
            common_name: self.common_name,
            requester: self.requester,
            valid_till: self.not_after.date().to_string(),
            days_left,
            order_valid_till: self.order_valid_till.map(|d| d.to_string()),
            order_days_left,
            next_action: NextAction::of(
                days_left,
                order_days_left,
                renew_window_days,
                dcv_days_left,
            ),
        }
    }
}

pub const CSV_HEADER: [&str; 8] = [
    "name",
    "serial",
    "requester",
    "ends",
    "days left",
    "order runs until",
    "next action",
    "request",
];

/// Every certificate of `query` as CSV lines, header first, read a page at a time (memory stays
/// flat however many there are).
pub fn csv_stream(
    pool: PgPool,
    mut query: CurrentQuery,
) -> impl futures::Stream<Item = Result<String, AppError>> {
    use crate::csv::line;
    query.limit = 500;
    let header = futures::stream::once(async { Ok(line(&CSV_HEADER)) });
    let pages = futures::stream::try_unfold(Some(query), move |next| {
        let pool = pool.clone();
        async move {
            let Some(query) = next else {
                return Ok(None);
            };
            let (rows, cursor) = current(&pool, &query).await?;
            let chunk: String = rows
                .into_iter()
                .map(|c| {
                    line(&[
                        c.common_name,
                        c.serial,
                        c.requester,
                        c.valid_till,
                        c.days_left.to_string(),
                        c.order_valid_till.unwrap_or_default(),
                        c.next_action.label().to_owned(),
                        c.request_id.to_string(),
                    ])
                })
                .collect();
            let following = cursor
                .as_deref()
                .and_then(parse_cursor)
                .map(|after| CurrentQuery {
                    after: Some(after),
                    ..query
                });
            Ok(Some((chunk, following)))
        }
    });
    futures::StreamExt::chain(header, pages)
}

struct WeekRow {
    week: time::Date,
    reissue: i64,
    renew: i64,
}

/// Current certificates ending in each of the next 26 weeks, split by what their end calls for.
pub async fn weeks(pool: &PgPool, scope: Scope) -> Result<Vec<WeekBar>, AppError> {
    let rows = sqlx::query_as!(
        WeekRow,
        r#"select date_trunc('week', c.not_after)::date as "week!",
                count(*) filter (where r.order_valid_till > c.not_after::date) as "reissue!",
                count(*) filter (where r.order_valid_till is null
                                    or r.order_valid_till <= c.not_after::date) as "renew!"
           from certificates c join requests r on r.id = c.request_id
          where c.status = 'issued' and c.not_after >= now()
            and c.not_after < date_trunc('week', now()) + interval '26 weeks'
            and ($1::uuid is null or r.requester_id = $1)
          group by 1 order by 1"#,
        scope.owner()
    )
    .fetch_all(pool)
    .await?;
    let monday = {
        let today = OffsetDateTime::now_utc().date();
        today - time::Duration::days(i64::from(today.weekday().number_days_from_monday()))
    };
    Ok((0..26)
        .map(|n| {
            let week = monday + time::Duration::weeks(n);
            let found = rows.iter().find(|r| r.week == week);
            WeekBar {
                week: week.to_string(),
                reissue: found.map_or(0, |r| r.reissue),
                renew: found.map_or(0, |r| r.renew),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::auth::Role;
    use crate::test_support::{TODAY, basic_ov_form, user};

    #[sqlx::test(migrations = "../migrations")]
    async fn the_database_keeps_the_declared_certificate_states(pool: PgPool) {
        use crate::features::certificates::model::CertificateStatus;
        let all = CertificateStatus::ALL.map(CertificateStatus::as_str);
        let status = |text: &str| {
            CertificateStatus::ALL
                .into_iter()
                .find(|s| s.as_str() == text)
        };
        crate::test_support::assert_machine_matches(
            &pool,
            "certificates",
            "certificate_transition_allowed",
            &all,
            |old, new| status(old).unwrap().can_become(status(new).unwrap()),
        )
        .await;
    }

    fn issued(serial: &str) -> IssuedCertificate {
        let now = OffsetDateTime::now_utc();
        IssuedCertificate {
            leaf_pem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".into(),
            chain_pem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".into(),
            not_before: now,
            not_after: now + time::Duration::days(199),
            serial: serial.into(),
            common_name: "www.example.com".into(),
            dns_names: vec!["www.example.com".into(), "example.com".into()],
        }
    }

    async fn order(pool: &PgPool, valid_till: &str) -> i64 {
        let email = format!("ada-{valid_till}@example.com");
        let ada = user(pool, &email, &[Role::Requester]).await;
        let id =
            crate::features::requests::service::submit(pool, &ada, &basic_ov_form(), true, TODAY)
                .await
                .unwrap();
        sqlx::query("update requests set order_valid_till = $2::date where id = $1")
            .bind(id)
            .bind(valid_till)
            .execute(pool)
            .await
            .unwrap();
        id
    }

    async fn count(pool: &PgPool, id: i64) -> i64 {
        sqlx::query_scalar("select count(*) from certificates where request_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap()
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn an_order_has_one_current_certificate_and_duplicates_beside_it(pool: PgPool) {
        let id = order(&pool, "2099-01-01").await;
        let mut db = pool.acquire().await.unwrap();
        insert(
            &mut db,
            id,
            CertificateKind::First,
            Some(1),
            &issued("0A01"),
        )
        .await
        .unwrap();
        // A second current certificate for the order is refused by the database.
        let second = insert(
            &mut db,
            id,
            CertificateKind::Reissue,
            Some(2),
            &issued("0A02"),
        )
        .await;
        assert!(second.is_err());
        assert_eq!(count(&pool, id).await, 1);
        // A duplicate lives beside the current one.
        insert(
            &mut db,
            id,
            CertificateKind::Duplicate,
            Some(3),
            &issued("0A03"),
        )
        .await
        .unwrap();
        // Superseding the first lets the reissue in.
        sqlx::query("update certificates set status = 'superseded' where serial_number = '0A01'")
            .execute(&mut *db)
            .await
            .unwrap();
        insert(
            &mut db,
            id,
            CertificateKind::Reissue,
            Some(4),
            &issued("0A04"),
        )
        .await
        .unwrap();
        let listed = for_request(&pool, id, OffsetDateTime::now_utc())
            .await
            .unwrap();
        let serials: Vec<(&str, CertificateStatus)> = listed
            .iter()
            .map(|c| (c.serial.as_str(), c.status))
            .collect();
        assert_eq!(
            serials,
            [
                ("0A04", CertificateStatus::Issued),
                ("0A03", CertificateStatus::Issued),
                ("0A01", CertificateStatus::Superseded)
            ]
        );
        // The current files are the reissue's, not the duplicate's.
        let current = files(&pool, id, None).await.unwrap().unwrap();
        assert_eq!(current.common_name, "www.example.com");
        let serial_of_current: String = sqlx::query_scalar(
            "select serial_number from certificates where request_id = $1 and status = 'issued' and kind <> 'duplicate'",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(serial_of_current, "0A04");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn an_ended_order_takes_no_reissue_and_states_only_move_forward(pool: PgPool) {
        let id = order(&pool, "2020-01-01").await;
        let mut db = pool.acquire().await.unwrap();
        insert(
            &mut db,
            id,
            CertificateKind::First,
            Some(1),
            &issued("0B01"),
        )
        .await
        .unwrap();
        sqlx::query("update certificates set status = 'superseded'")
            .execute(&mut *db)
            .await
            .unwrap();
        let reissue = insert(
            &mut db,
            id,
            CertificateKind::Reissue,
            Some(2),
            &issued("0B02"),
        )
        .await;
        assert!(reissue.is_err());
        assert_eq!(count(&pool, id).await, 1);
        let refused: Result<_, sqlx::Error> = sqlx::query(
            "insert into certificates (request_id, kind, serial_number, common_name, not_before,
                                       not_after, leaf_pem, chain_pem)
             values ($1, 'duplicate', '0B03', 'x', now(), now() + interval '1 day', '', '')",
        )
        .bind(id)
        .execute(&mut *db)
        .await;
        assert!(refused.unwrap_err().to_string().contains("has ended"));
        // Superseded never becomes current again; revoked needs its time.
        for bad in [
            "update certificates set status = 'issued'",
            "update certificates set status = 'revoked'",
        ] {
            assert!(sqlx::query(bad).execute(&mut *db).await.is_err(), "{bad}");
        }
        sqlx::query("update certificates set status = 'revoked', revoked_at = now(), revocation_reason = 'superseded'")
            .execute(&mut *db)
            .await
            .unwrap();
        // A serial is unique across orders, and must be hexadecimal.
        let other = order(&pool, "2099-02-01").await;
        assert!(
            insert(
                &mut db,
                other,
                CertificateKind::First,
                None,
                &issued("0B01")
            )
            .await
            .is_err()
        );
        assert!(
            insert(
                &mut db,
                other,
                CertificateKind::First,
                None,
                &issued("not-hex")
            )
            .await
            .is_err()
        );
    }
}
