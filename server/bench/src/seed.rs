//! Realistic order history for the benchmark: a few hundred employees, ten approvers, three
//! years of requests across the products, most issued, the newest ones waiting for approval.

use app::features::auth::service::{NewUserInput, create_user};
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

/// Who the benchmark signs in as, all with [`PASSWORD`].
pub const ADMIN: &str = "bench-admin@example.com";
pub const APPROVER: &str = "bench-approver@example.com";
pub const REQUESTER: &str = "bench-requester@example.com";
pub const PASSWORD: &str = "bench password, not for production";

/// Employees who own the seeded requests, and approvers who decided them.
const STAFF: i64 = 300;
const APPROVERS: i64 = 10;

pub struct Seeded {
    pub approver_id: Uuid,
    pub requests: i64,
    pub pending: i64,
}

/// Creates the benchmark's users and `requests` requests in an empty, migrated database.
pub async fn seed(pool: &PgPool, requests: i64, csr_pem: &str) -> anyhow::Result<Seeded> {
    let approver_id = seed_users(pool).await?;
    let pending = (requests / 100).max(60).min(requests);
    seed_requests(pool, requests, pending, csr_pem).await?;
    sqlx::query("vacuum analyze").execute(pool).await?;
    Ok(Seeded {
        approver_id,
        requests,
        pending,
    })
}

/// The admin, approver and requester the benchmark signs in as (answering the approver's id),
/// and the company's other staff.
async fn seed_users(pool: &PgPool) -> anyhow::Result<Uuid> {
    let mut ids = Vec::new();
    for (email, roles) in [
        (ADMIN, vec!["admin"]),
        (APPROVER, vec!["approver"]),
        (REQUESTER, vec!["requester"]),
    ] {
        let id = create_user(
            pool,
            NewUserInput {
                email: email.into(),
                display_name: email.split('@').next().unwrap_or(email).replace('-', " "),
                roles: roles.into_iter().map(str::to_owned).collect(),
                password: SecretString::from(PASSWORD.to_owned()),
            },
            None,
        )
        .await
        .map_err(|err| anyhow::anyhow!("creating {email} failed: {err}"))?;
        ids.push(id);
    }
    // Everyone else shares one password hash: nobody signs in as them.
    sqlx::query(
        "insert into users (email, display_name, password_hash, roles)
         select format('%s.%s%s@example.com', first, last, n), format('%s %s', initcap(first), initcap(last)),
                (select password_hash from users where email = $1),
                case when n <= $3 then array['approver', 'requester'] else array['requester'] end
           from generate_series(1, $2) n,
                lateral (select (array['ada','grace','alan','edsger','barbara','ken','linus','radia',
                                        'frances','donald','margaret','john'])[1 + n % 12] first,
                                (array['lovelace','hopper','turing','dijkstra','liskov','thompson',
                                        'torvalds','perlman','allen','knuth','hamilton','backus',
                                        'mccarthy'])[1 + n % 13] last) names",
    )
    .bind(ADMIN)
    .bind(STAFF)
    .bind(APPROVERS)
    .execute(pool)
    .await?;
    Ok(ids[1])
}

/// `requests` requests, the newest `pending` of them waiting for approval and the rest finished,
/// each with its first event, in one transaction.
async fn seed_requests(
    pool: &PgPool,
    requests: i64,
    pending: i64,
    csr_pem: &str,
) -> anyhow::Result<()> {
    // What the forms store about the CSR: its report, without the PEM (kept in its own column).
    let mut csr_summary = app::features::csr::inspect(csr_pem.as_bytes());
    csr_summary.pem = None;
    let csr_summary = serde_json::to_value(&csr_summary)?;
    let mut tx = pool.begin().await?;
    // Finished requests are written as they end up; the state machine's triggers (which only
    // let new rows start pending) are off for the seeding transaction alone.
    sqlx::query("alter table requests disable trigger requests_start")
        .execute(&mut *tx)
        .await?;
    sqlx::query(SEED_REQUESTS)
        .bind(requests)
        .bind(pending)
        .bind(csr_pem)
        .bind(csr_summary)
        .bind(SERVICES)
        .execute(&mut *tx)
        .await?;
    sqlx::query("alter table requests enable trigger requests_start")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into request_events (request_id, at, actor_id, to_status)
         select id, submitted_at, requester_id, 'pending_approval' from requests",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "select setval(pg_get_serial_sequence('requests', 'id'), (select max(id) from requests))",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

const SERVICES: [&str; 20] = [
    "shop", "api", "mail", "vpn", "intranet", "billing", "auth", "cdn", "wiki", "git", "grafana",
    "status", "search", "pay", "docs", "crm", "hr", "erp", "sso", "chat",
];

/// The first label of seeded request `n`'s host name (`billing-25.…`), as the seed SQL makes it.
pub fn host_label(n: i64) -> String {
    format!("{}-{n}", SERVICES[(n % 20) as usize])
}

/// `$1` rows over the last three years, the newest `$2` pending; owners and deciders are distinct
/// people (separation of duties holds in the seed too).
const SEED_REQUESTS: &str = "
with staff as (
    select array_agg(id order by email) ids from users
     where email not like 'bench-%' and not 'approver' = any(roles)
), deciders as (
    select array_agg(id order by email) ids from users
     where 'approver' = any(roles) and email not like 'bench-%'
), rows as (
    select n,
           ($5::text[])[1 + n % 20]
             || '-' || n || '.' ||
           (array['eu','us','apac','corp','lab','prod','stage','edge','int','dmz','ops','dev'])[1 + n % 12]
             || '.example.com' as host,
           1 + n % 20 as mix,
           case when n > $1 - $2 then 'pending_approval'
                when n % 50 = 0 then 'rejected'
                when n % 50 = 1 then 'cancelled'
                when n % 200 = 2 then 'forward_failed'
                when n % 100 = 3 then 'forwarded'
                else 'issued' end as status,
           now() - make_interval(secs => ($1 - n) * (3 * 365 * 86400.0 / greatest($1, 1))) as at
      from generate_series(1, $1) n
)
insert into requests (id, requester_id, form_kind, product, title, dns_names, organization_id,
                      form, csr_pem, csr_summary, payload, status, submitted_at, updated_at,
                      decided_by, decided_at, decision_note, digicert_order_id, digicert_status,
                      certificate_id, issued_at, expires_at, names_text)
select n,
       staff.ids[1 + n % cardinality(staff.ids)],
       k.form_kind, k.product,
       case when k.form_kind = 'document-signing' then 'Signer ' || n else host end,
       case when k.form_kind = 'document-signing' then '{}'::text[]
            else array['www.' || host, 'alt-' || host] end,
       1001 + n % 3,
       jsonb_build_object('kind', k.form_kind, 'common_name', host, 'comments', 'Seeded request'),
       case when k.form_kind = 'document-signing' then null else $3 end,
       case when k.form_kind = 'document-signing' then null else $4::jsonb end,
       jsonb_build_object('certificate', jsonb_build_object('common_name', host,
                          'dns_names', array['www.' || host, 'alt-' || host], 'csr', $3,
                          'signature_hash', 'sha256'),
                          'organization', jsonb_build_object('id', 1001 + n % 3),
                          'order_validity', jsonb_build_object('years', 1),
                          'custom_fields', jsonb_build_array(jsonb_build_object(
                              'metadata_id', 801, 'value', 'CC-' || (1000 + n % 40))),
                          'alternative_order_id', 'certdesk' || n),
       status, at, at + interval '3 hours',
       case when status in ('pending_approval', 'cancelled') then null
            else deciders.ids[1 + n % cardinality(deciders.ids)] end,
       case when status in ('pending_approval', 'cancelled') then null else at + interval '2 hours' end,
       case when status = 'rejected' then 'Use the shared wildcard instead.' end,
       case when status in ('forwarded', 'issued') then 40000000 + n end,
       case when status = 'issued' then 'issued' when status = 'forwarded' then 'pending' end,
       case when status = 'issued' then 50000000 + n end,
       case when status = 'issued' then at + interval '3 hours' end,
       case when status = 'issued' then at + interval '199 days' end,
       lower(case when k.form_kind = 'document-signing' then 'Signer ' || n
                  else host || ' www.' || host || ' alt-' || host end)
  from rows, staff, deciders,
       lateral (select case when mix <= 10 then 'basic-ov'
                            when mix <= 13 then 'secure-site-pro-ev'
                            when mix <= 16 then 'ssl-by-type'
                            when mix <= 19 then 'multi-year'
                            else 'document-signing' end as form_kind,
                       case when mix <= 10 then 'ssl_basic'
                            when mix <= 13 then 'ssl_ev_securesite_pro'
                            when mix <= 16 then 'ssl'
                            when mix <= 19 then 'ssl_securesite_flex'
                            else 'document_signing_org_1' end as product) k
";

#[cfg(test)]
mod tests {
    use super::*;
    use app::features::approvals::{model::QueueFilter, service as approvals};
    use app::features::auth::{CurrentUser, Role};
    use app::features::history::{model::HistoryFilter, service as history};

    const CSR: &str = include_str!("../../../app/tests/fixtures/csr/rsa2048.csr");

    #[sqlx::test(migrations = "../../migrations")]
    async fn seeded_history_reads_like_the_portals_own(pool: PgPool) {
        let seeded = seed(&pool, 1_000, CSR).await.unwrap();
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
        let label = host_label(501);
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
        let next: i64 =
            sqlx::query_scalar("select nextval(pg_get_serial_sequence('requests', 'id'))")
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
}
