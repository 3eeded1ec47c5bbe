//! Queries of certificate changes, their jobs and the standing policies.

use super::model::{ChangeKind, ChangeStatus, RevocationReason};
use crate::error::AppError;
use crate::features::certificates::model::{CertificateKind, CertificateStatus};
use crate::features::digicert::products::ProductId;
use crate::features::requests::model::RequestStatus;
use sqlx::{PgConnection, PgExecutor};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The order a change is asked for, as the checks need it.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: i64,
    pub requester_id: Uuid,
    pub status: RequestStatus,
    pub product: ProductId,
    pub title: String,
    pub digicert_order_id: Option<i64>,
    pub digicert_status: Option<String>,
    pub order_valid_till: Option<Date>,
}

pub async fn order(db: impl PgExecutor<'_>, request_id: i64) -> Result<Option<OrderRow>, AppError> {
    Ok(sqlx::query_as!(
        OrderRow,
        r#"select id, requester_id, status as "status: RequestStatus",
                  product as "product: ProductId", title, digicert_order_id, digicert_status,
                  order_valid_till
             from requests where id = $1"#,
        request_id
    )
    .fetch_optional(db)
    .await?)
}

/// The order's current certificate (not a duplicate).
#[derive(Debug, Clone)]
pub struct CurrentRow {
    pub id: i64,
    pub digicert_certificate_id: Option<i64>,
    pub serial_number: String,
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub not_after: OffsetDateTime,
    pub leaf_pem: String,
}

impl CurrentRow {
    /// Common name first, then the other names.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec![self.common_name.clone()];
        names.extend(
            self.dns_names
                .iter()
                .filter(|n| !n.eq_ignore_ascii_case(&self.common_name))
                .cloned(),
        );
        names
    }
}

pub async fn current_certificate(
    db: impl PgExecutor<'_>,
    request_id: i64,
) -> Result<Option<CurrentRow>, AppError> {
    Ok(sqlx::query_as!(
        CurrentRow,
        "select id, digicert_certificate_id, serial_number, common_name, dns_names, not_after,
                leaf_pem
           from certificates
          where request_id = $1 and status = 'issued' and kind <> 'duplicate'",
        request_id
    )
    .fetch_optional(db)
    .await?)
}

/// A certificate of the order a revocation may target.
#[derive(Debug, Clone)]
pub struct CertificateRow {
    pub id: i64,
    pub kind: CertificateKind,
    pub status: CertificateStatus,
    pub serial_number: String,
    pub digicert_certificate_id: Option<i64>,
    pub not_after: OffsetDateTime,
}

/// The order's certificates that are not revoked or expired, newest first.
pub async fn revocable(
    db: impl PgExecutor<'_>,
    request_id: i64,
) -> Result<Vec<CertificateRow>, AppError> {
    Ok(sqlx::query_as!(
        CertificateRow,
        r#"select id, kind as "kind: CertificateKind", status as "status: CertificateStatus",
                  serial_number, digicert_certificate_id, not_after
             from certificates
            where request_id = $1 and status in ('issued', 'superseded') and not_after > now()
            order by id desc"#,
        request_id
    )
    .fetch_all(db)
    .await?)
}

pub struct NewChange<'a> {
    pub request_id: i64,
    pub kind: ChangeKind,
    pub requested_by: Uuid,
    pub csr_pem: Option<&'a str>,
    pub names: Option<&'a [String]>,
    pub previous_names: Option<&'a [String]>,
    pub new_key: Option<bool>,
    pub replaces_digicert_certificate_id: Option<i64>,
    pub certificate_id: Option<i64>,
    pub reason: Option<RevocationReason>,
    pub comment: &'a str,
    /// Set when a standing policy approves it at once.
    pub policy: Option<&'a str>,
}

/// Stores a change (approved at once when `policy` is set, with its job); a second open change of
/// the same sort answers `None` (the unique indexes).
pub async fn insert(
    db: &mut PgConnection,
    change: &NewChange<'_>,
) -> Result<Option<i64>, AppError> {
    let (common_name, dns_names) = match change.names {
        Some(names) => (names.first().cloned(), Some(names[1..].to_vec())),
        None => (None, None),
    };
    let status = if change.policy.is_some() {
        ChangeStatus::Approved
    } else {
        ChangeStatus::PendingApproval
    };
    let inserted = sqlx::query_scalar!(
        "insert into certificate_changes
             (request_id, kind, status, requested_by, csr_pem, common_name, dns_names,
              previous_names, new_key, replaces_digicert_certificate_id, certificate_id,
              revocation_reason, comment, decided_by_policy, decided_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                 case when $14::text is null then null else now() end)
         returning id",
        change.request_id,
        change.kind as ChangeKind,
        status as ChangeStatus,
        change.requested_by,
        change.csr_pem,
        common_name,
        dns_names.as_deref(),
        change.previous_names,
        change.new_key,
        change.replaces_digicert_certificate_id,
        change.certificate_id,
        change.reason as Option<RevocationReason>,
        change.comment,
        change.policy
    )
    .fetch_one(&mut *db)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if change.policy.is_some() {
        add_job(db, id).await?;
    }
    Ok(Some(id))
}

pub async fn add_job(db: impl PgExecutor<'_>, change_id: i64) -> Result<(), AppError> {
    sqlx::query!("insert into change_jobs (change_id) values ($1)", change_id)
        .execute(db)
        .await?;
    Ok(())
}

/// A change as the page and the decision need it.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub id: i64,
    pub request_id: i64,
    pub kind: ChangeKind,
    pub status: ChangeStatus,
    pub requested_by: Uuid,
    pub requested_by_name: String,
    pub requested_at: OffsetDateTime,
    pub csr_pem: Option<String>,
    pub common_name: Option<String>,
    pub dns_names: Option<Vec<String>>,
    pub previous_names: Option<Vec<String>>,
    pub new_key: Option<bool>,
    pub target_serial: Option<String>,
    pub revocation_reason: Option<RevocationReason>,
    pub comment: String,
    pub decided_by_name: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by_policy: Option<String>,
    pub error: Option<String>,
    pub order_requester: Uuid,
    pub title: String,
}

impl ChangeRow {
    /// The names the new certificate carries, common name first.
    pub fn names(&self) -> Vec<String> {
        self.common_name
            .iter()
            .cloned()
            .chain(self.dns_names.iter().flatten().cloned())
            .collect()
    }
}

/// `query_as!` of a [`ChangeRow`] with the condition and order `$tail` appends (the statement
/// stays one literal, checked at compile time).
macro_rules! select_changes {
    ($tail:literal $(, $arg:expr)*) => {
        sqlx::query_as!(
            ChangeRow,
            r#"select c.id, c.request_id, c.kind as "kind: ChangeKind",
                      c.status as "status: ChangeStatus", c.requested_by,
                      u.display_name as requested_by_name, c.requested_at, c.csr_pem,
                      c.common_name, c.dns_names, c.previous_names, c.new_key,
                      t.serial_number as "target_serial?",
                      c.revocation_reason as "revocation_reason: RevocationReason", c.comment,
                      d.display_name as "decided_by_name?", c.decision_note, c.decided_by_policy,
                      c.error, r.requester_id as order_requester, r.title
                 from certificate_changes c
                 join users u on u.id = c.requested_by
                 join requests r on r.id = c.request_id
                 left join users d on d.id = c.decided_by
                 left join certificates t on t.id = c.certificate_id "# + $tail
            $(, $arg)*
        )
    };
}

pub async fn for_request(
    db: impl PgExecutor<'_>,
    request_id: i64,
) -> Result<Vec<ChangeRow>, AppError> {
    Ok(
        select_changes!("where c.request_id = $1 order by c.id desc", request_id)
            .fetch_all(db)
            .await?,
    )
}

pub async fn one(db: impl PgExecutor<'_>, change_id: i64) -> Result<Option<ChangeRow>, AppError> {
    Ok(select_changes!("where c.id = $1", change_id)
        .fetch_optional(db)
        .await?)
}

/// Changes waiting for a decision, oldest first (the partial index keeps this small).
pub async fn waiting(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<ChangeRow>, AppError> {
    Ok(select_changes!(
        "where c.status = 'pending_approval' order by c.requested_at, c.id limit $1",
        limit
    )
    .fetch_all(db)
    .await?)
}

/// Moves a change from `from` to `to` if it is still in `from`.
pub async fn transition(
    db: impl PgExecutor<'_>,
    change_id: i64,
    from: ChangeStatus,
    to: ChangeStatus,
) -> Result<bool, AppError> {
    Ok(sqlx::query!(
        "update certificate_changes set status = $3 where id = $1 and status = $2",
        change_id,
        from as ChangeStatus,
        to as ChangeStatus
    )
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Records a person's decision on a waiting change; `false` when it was no longer waiting.
pub async fn decide(
    db: impl PgExecutor<'_>,
    change_id: i64,
    approver: Uuid,
    to: ChangeStatus,
    note: Option<&str>,
) -> Result<bool, AppError> {
    Ok(sqlx::query!(
        "update certificate_changes
            set status = $3, decided_by = $2, decided_at = now(), decision_note = $4
          where id = $1 and status = 'pending_approval'",
        change_id,
        approver,
        to as ChangeStatus,
        note
    )
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Whether the order has a reissue or duplicate on its way at DigiCert (or decided and about to
/// be sent): DigiCert refuses revocations meanwhile.
pub async fn new_certificate_in_progress(
    db: impl PgExecutor<'_>,
    request_id: i64,
) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select exists(select 1 from certificate_changes
                          where request_id = $1 and kind = 'reissue'
                            and status in ('approved', 'sent')) as "in_progress!""#,
        request_id
    )
    .fetch_one(db)
    .await?)
}

/// Standing policies that are on.
pub async fn enabled_policies(db: impl PgExecutor<'_>) -> Result<Vec<String>, AppError> {
    Ok(
        sqlx::query_scalar!("select name from standing_policies where enabled order by name")
            .fetch_all(db)
            .await?,
    )
}

pub async fn policy_enabled(db: impl PgExecutor<'_>, name: &str) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select coalesce((select enabled from standing_policies where name = $1), false)
                  as "enabled!""#,
        name
    )
    .fetch_one(db)
    .await?)
}

/// Sets a policy; answers whether it changed.
pub async fn set_policy(
    db: impl PgExecutor<'_>,
    name: &str,
    enabled: bool,
    admin: Uuid,
) -> Result<bool, AppError> {
    Ok(sqlx::query!(
        "insert into standing_policies (name, enabled, updated_by) values ($1, $2, $3)
         on conflict (name) do update set enabled = $2, updated_by = $3, updated_at = now()
          where standing_policies.enabled is distinct from $2",
        name,
        enabled,
        admin
    )
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::auth::Role;
    use crate::test_support::{TODAY, basic_ov_form, user};
    use sqlx::PgPool;

    #[sqlx::test(migrations = "../migrations")]
    async fn the_database_keeps_the_declared_change_states(pool: PgPool) {
        use crate::features::changes::model::ChangeStatus;
        let all = ChangeStatus::ALL.map(ChangeStatus::as_str);
        let status = |text: &str| ChangeStatus::ALL.into_iter().find(|s| s.as_str() == text);
        crate::test_support::assert_machine_matches(
            &pool,
            "certificate_changes",
            "certificate_change_transition_allowed",
            &all,
            |old, new| status(old).unwrap().can_become(status(new).unwrap()),
        )
        .await;
    }

    async fn order(pool: &PgPool) -> (i64, Uuid) {
        let ada = user(pool, "ada@example.com", &[Role::Requester]).await;
        let id =
            crate::features::requests::service::submit(pool, &ada, &basic_ov_form(), true, TODAY)
                .await
                .unwrap();
        (id, ada.id)
    }

    fn reissue<'a>(
        request_id: i64,
        by: Uuid,
        names: &'a [String],
        policy: Option<&'a str>,
    ) -> NewChange<'a> {
        NewChange {
            request_id,
            kind: ChangeKind::Reissue,
            requested_by: by,
            csr_pem: Some("csr"),
            names: Some(names),
            previous_names: Some(names),
            new_key: Some(true),
            replaces_digicert_certificate_id: Some(1),
            certificate_id: None,
            reason: None,
            comment: "",
            policy,
        }
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn an_order_has_one_reissue_in_progress_and_a_policy_approval_brings_its_job(
        pool: PgPool,
    ) {
        let (id, ada) = order(&pool).await;
        let names = vec!["www.example.com".to_owned()];
        let mut db = pool.acquire().await.unwrap();
        let first = insert(&mut db, &reissue(id, ada, &names, None))
            .await
            .unwrap();
        assert!(first.is_some());
        // A second open reissue (or duplicate) of the order is refused by the unique index.
        assert_eq!(
            insert(&mut db, &reissue(id, ada, &names, None))
                .await
                .unwrap(),
            None
        );
        let jobs: i64 = sqlx::query_scalar("select count(*) from change_jobs")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(jobs, 0, "nothing is sent before a decision");
        // Once the first is withdrawn, a policy-approved one goes in with its job at once.
        assert!(
            transition(
                &mut *db,
                first.unwrap(),
                ChangeStatus::PendingApproval,
                ChangeStatus::Cancelled
            )
            .await
            .unwrap()
        );
        let second = insert(
            &mut db,
            &reissue(id, ada, &names, Some("reissue_same_names:ssl_basic")),
        )
        .await
        .unwrap()
        .unwrap();
        let row = one(&pool, second).await.unwrap().unwrap();
        assert_eq!(row.status, ChangeStatus::Approved);
        let job: i64 = sqlx::query_scalar("select change_id from change_jobs")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(job, second);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn the_database_refuses_self_decisions_undecided_approvals_and_backward_states(
        pool: PgPool,
    ) {
        let (id, ada) = order(&pool).await;
        let names = vec!["www.example.com".to_owned()];
        let mut db = pool.acquire().await.unwrap();
        let change = insert(&mut db, &reissue(id, ada, &names, None))
            .await
            .unwrap()
            .unwrap();
        // Nobody decides their own change, whatever code writes the row.
        let own = decide(&mut *db, change, ada, ChangeStatus::Approved, None).await;
        assert!(own.is_err());
        // Approved without anyone (or any policy) deciding: refused.
        let undecided =
            sqlx::query("update certificate_changes set status = 'approved' where id = $1")
                .bind(change)
                .execute(&mut *db)
                .await;
        assert!(undecided.is_err());
        let vic = user(&pool, "vic@example.com", &[Role::Approver]).await;
        assert!(
            decide(
                &mut *db,
                change,
                vic.id,
                ChangeStatus::Rejected,
                Some("No.")
            )
            .await
            .unwrap()
        );
        // Decided once: a second decision finds nothing waiting, and states never go back.
        assert!(
            !decide(&mut *db, change, vic.id, ChangeStatus::Approved, None)
                .await
                .unwrap()
        );
        let back =
            sqlx::query("update certificate_changes set status = 'pending_approval' where id = $1")
                .bind(change)
                .execute(&mut *db)
                .await;
        assert!(
            back.unwrap_err()
                .to_string()
                .contains("cannot go from rejected")
        );
        // A revocation names a reason a subscriber may choose, and no CSR.
        let bad = sqlx::query(
            "insert into certificate_changes (request_id, kind, requested_by, revocation_reason)
             values ($1, 'revoke', $2, 'privilege_withdrawn')",
        )
        .bind(id)
        .bind(ada)
        .execute(&mut *db)
        .await;
        assert!(bad.is_err());
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn policies_are_off_until_an_admin_turns_them_on(pool: PgPool) {
        let root = user(&pool, "root@example.com", &[Role::Admin]).await;
        assert!(
            !policy_enabled(&pool, "revoke_key_compromise_at_once")
                .await
                .unwrap()
        );
        assert!(
            set_policy(&pool, "revoke_key_compromise_at_once", true, root.id)
                .await
                .unwrap()
        );
        assert!(
            !set_policy(&pool, "revoke_key_compromise_at_once", true, root.id)
                .await
                .unwrap(),
            "no change"
        );
        assert!(
            policy_enabled(&pool, "revoke_key_compromise_at_once")
                .await
                .unwrap()
        );
        assert!(
            set_policy(&pool, "anything_else", true, root.id)
                .await
                .is_err()
        );
    }
}
