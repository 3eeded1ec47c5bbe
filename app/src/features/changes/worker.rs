//! Sends approved certificate changes to DigiCert exactly once and follows them to the end.
//!
//! Jobs live in `change_jobs`, written in the transaction that approves the change, and are
//! claimed under a lease like order jobs (`FOR UPDATE SKIP LOCKED`). DigiCert has no idempotency
//! key for reissues, duplicates or revocations, so before anything leaves the job is marked
//! `posted`, and whoever runs a posted job next first recognises an earlier attempt:
//!
//! - **reissue**: `GET order/certificate/{id}/reissue` lists the order's current certificate
//!   first. If it is no longer the one the reissue replaces and carries our CSR, the reissue was
//!   placed: adopt it. If it is still the replaced one, nothing was placed: send. Anything else
//!   (another reissue placed outside certdesk) fails the change rather than risk a second one.
//! - **duplicate**: `GET order/certificate/{id}/duplicate`: an entry with our CSR is ours.
//! - **revoke**: `GET request?filters[status]=pending&filters[type]=revoke`: a pending request
//!   for our order and certificate is ours; a certificate DigiCert already calls revoked
//!   (`already_revoked`) is done.

use super::model::{ChangeKind, ChangeStatus, RevocationReason};
use crate::error::AppError;
use crate::features::certificates::issued::{IssuedCertificate, check_issued};
use crate::features::certificates::model::CertificateKind;
use crate::features::certificates::repo as certificates;
use crate::features::dcv::{repo as dcv_repo, service as dcv};
use crate::features::digicert::lifecycle::{
    NewCertificate, NewCertificateBody, Revocation, RevokeBody, same_csr,
};
use crate::server::digicert::{DigicertClient, DigicertError};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// What one worker needs to run change jobs: the same pool, client and lease as its order jobs.
#[derive(Clone)]
pub struct ChangeRunner {
    pub pool: PgPool,
    pub client: Arc<DigicertClient>,
    pub owner: String,
    pub lease: Duration,
    pub recheck_every: Duration,
    pub batch: i64,
}

#[derive(Debug, Clone)]
pub struct ChangeJob {
    pub change_id: i64,
    pub phase: String,
    pub attempts: i32,
    pub posted: bool,
}

/// The change as the worker needs it.
#[derive(Debug, Clone)]
struct Work {
    id: i64,
    request_id: i64,
    kind: ChangeKind,
    status: ChangeStatus,
    csr_pem: Option<String>,
    common_name: Option<String>,
    dns_names: Option<Vec<String>>,
    replaces_digicert_certificate_id: Option<i64>,
    certificate_id: Option<i64>,
    /// The target certificate's DigiCert id, or its serial when the id is unknown.
    target: Option<String>,
    revocation_reason: Option<RevocationReason>,
    comment: String,
    digicert_certificate_id: Option<i64>,
    digicert_request_id: Option<i64>,
    order_id: Option<i64>,
    signature_hash: String,
}

impl Work {
    fn names(&self) -> Vec<String> {
        self.common_name
            .iter()
            .cloned()
            .chain(self.dns_names.iter().flatten().cloned())
            .collect()
    }
}

/// What happened to one change job in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeStep {
    Sent,
    Done,
    Waiting,
    Retrying,
    Failed,
    Abandoned,
}

impl ChangeRunner {
    /// Claims due change jobs and works them concurrently; answers how many were claimed.
    pub async fn tick(&self) -> Result<usize, AppError> {
        let jobs = self.claim().await?;
        let count = jobs.len();
        let mut running = tokio::task::JoinSet::new();
        for job in jobs {
            let runner = self.clone();
            running.spawn(async move {
                if let Err(err) = runner.work(&job).await {
                    tracing::warn!(change_id = job.change_id, error = %err, "change job failed; its lease will expire");
                }
            });
        }
        while running.join_next().await.is_some() {}
        Ok(count)
    }

    async fn claim(&self) -> Result<Vec<ChangeJob>, AppError> {
        Ok(sqlx::query_as!(
            ChangeJob,
            "with due as (
                 select change_id from change_jobs
                  where next_attempt_at <= now() and (lease_until is null or lease_until < now())
                  order by next_attempt_at
                  limit $2
                  for update skip locked)
             update change_jobs j
                set lease_owner = $1, lease_until = now() + make_interval(secs => $3),
                    attempts = j.attempts + 1
               from due where j.change_id = due.change_id
             returning j.change_id, j.phase, j.attempts, j.posted",
            &self.owner,
            self.batch,
            self.lease.as_secs_f64()
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn load(&self, change_id: i64) -> Result<Option<Work>, AppError> {
        Ok(sqlx::query_as!(
            Work,
            r#"select c.id, c.request_id, c.kind as "kind: ChangeKind",
                      c.status as "status: ChangeStatus", c.csr_pem, c.common_name, c.dns_names,
                      c.replaces_digicert_certificate_id, c.certificate_id,
                      coalesce(t.digicert_certificate_id::text, t.serial_number) as target,
                      c.revocation_reason as "revocation_reason: RevocationReason", c.comment,
                      c.digicert_certificate_id, c.digicert_request_id,
                      r.digicert_order_id as order_id,
                      coalesce(r.payload #>> '{certificate,signature_hash}', 'sha256')
                        as "signature_hash!"
                 from certificate_changes c
                 join requests r on r.id = c.request_id
                 left join certificates t on t.id = c.certificate_id
                where c.id = $1"#,
            change_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Works one claimed job.
    pub async fn work(&self, job: &ChangeJob) -> Result<ChangeStep, AppError> {
        let Some(work) = self.load(job.change_id).await? else {
            return self
                .finish_job(job.change_id)
                .await
                .map(|_| ChangeStep::Abandoned);
        };
        let Some(order_id) = work.order_id else {
            return self
                .failed(job, &work, "the order has no DigiCert order id")
                .await;
        };
        match (work.status, job.phase.as_str()) {
            (ChangeStatus::Approved, _) => match work.kind {
                ChangeKind::Revoke => self.send_revocation(job, &work, order_id).await,
                _ => self.send_new_certificate(job, &work, order_id).await,
            },
            (ChangeStatus::Sent, _) => match work.kind {
                ChangeKind::Revoke => self.track_revocation(job, &work).await,
                _ => self.track_new_certificate(job, &work, order_id).await,
            },
            // Finished (or withdrawn) meanwhile: nothing to send.
            _ => self
                .finish_job(work.id)
                .await
                .map(|_| ChangeStep::Abandoned),
        }
    }

    async fn mark_posted(&self, job: &ChangeJob) -> Result<bool, AppError> {
        Ok(sqlx::query!(
            "update change_jobs set posted = true
              where change_id = $1 and lease_owner = $2 and lease_until > now()",
            job.change_id,
            &self.owner
        )
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// An earlier attempt's reissue or duplicate at DigiCert: `Ok(Some(id))` ours, `Ok(None)`
    /// none, `Err(why)` something certdesk did not place.
    async fn placed_before(
        &self,
        work: &Work,
        order_id: i64,
    ) -> Result<Result<Option<i64>, String>, DigicertError> {
        let csr = work.csr_pem.as_deref().unwrap_or_default();
        let duplicate = work.kind == ChangeKind::Duplicate;
        let listed = self.client.order_certificates(order_id, duplicate).await?;
        if duplicate {
            return Ok(Ok(listed
                .iter()
                .find(|e| e.csr.as_deref().is_some_and(|c| same_csr(c, csr)))
                .map(|e| e.id)));
        }
        let Some(current) = listed.first() else {
            return Ok(Ok(None));
        };
        if Some(current.id) == work.replaces_digicert_certificate_id {
            return Ok(Ok(None));
        }
        if current.csr.as_deref().is_some_and(|c| same_csr(c, csr)) {
            return Ok(Ok(Some(current.id)));
        }
        Ok(Err(format!(
            "DigiCert's order now holds certificate {} that certdesk did not ask for (another \
             reissue was placed in CertCentral); certdesk did not send a second one.",
            current.id
        )))
    }

    async fn send_new_certificate(
        &self,
        job: &ChangeJob,
        work: &Work,
        order_id: i64,
    ) -> Result<ChangeStep, AppError> {
        if job.posted {
            match self.placed_before(work, order_id).await {
                Ok(Ok(Some(certificate_id))) => {
                    tracing::info!(
                        change_id = work.id,
                        certificate_id,
                        "found the change an earlier attempt placed"
                    );
                    return self.sent(job, work, certificate_id, None).await;
                }
                Ok(Ok(None)) => {}
                Ok(Err(why)) => return self.failed(job, work, &why).await,
                Err(err) => return self.wait(job, Some(&err)).await,
            }
        }
        let names = work.names();
        let body = NewCertificateBody {
            certificate: NewCertificate {
                common_name: names.first().cloned().unwrap_or_default(),
                dns_names: names.clone(),
                csr: work.csr_pem.clone().unwrap_or_default(),
                signature_hash: work.signature_hash.clone(),
            },
            skip_approval: true,
        };
        if !self.mark_posted(job).await? {
            return Ok(ChangeStep::Abandoned);
        }
        let duplicate = work.kind == ChangeKind::Duplicate;
        match self
            .client
            .new_certificate(order_id, duplicate, &body)
            .await
        {
            Ok(created) => {
                let Some(certificate_id) = created.certificate_id else {
                    // Accepted without the id: recognise it from the list next time.
                    return self.wait_for(job, Duration::ZERO, None).await;
                };
                let bundle: Option<String> = (!created.certificate_chain.is_empty()).then(|| {
                    created
                        .certificate_chain
                        .iter()
                        .map(|c| format!("{}\n", c.pem.trim_end()))
                        .collect()
                });
                self.sent(job, work, certificate_id, bundle).await
            }
            Err(err) if err.is_transient() || err.may_have_created() => {
                self.wait(job, Some(&err)).await
            }
            Err(err) => {
                self.failed(job, work, &format!("DigiCert refused it: {err}"))
                    .await
            }
        }
    }

    /// The change is at DigiCert as `certificate_id`; collect it now when its chain came along.
    async fn sent(
        &self,
        job: &ChangeJob,
        work: &Work,
        certificate_id: i64,
        bundle: Option<String>,
    ) -> Result<ChangeStep, AppError> {
        let mut tx = self.pool.begin().await?;
        // Released, unless this worker collects the certificate at once.
        if !self
            .begin_tracking(&mut tx, work.id, bundle.is_some(), Duration::ZERO)
            .await?
        {
            return Ok(ChangeStep::Abandoned);
        }
        sqlx::query!(
            "update certificate_changes set status = 'sent', digicert_certificate_id = $2
              where id = $1 and status = 'approved'",
            work.id,
            certificate_id
        )
        .execute(&mut *tx)
        .await?;
        if bundle.is_none() && work.kind == ChangeKind::Reissue {
            dcv_repo::reissue_waiting(&mut tx, work.request_id, &work.names()).await?;
        }
        tx.commit().await?;
        let work = Work {
            status: ChangeStatus::Sent,
            digicert_certificate_id: Some(certificate_id),
            ..work.clone()
        };
        match bundle {
            Some(bundle) => self.deliver(job, &work, &bundle).await,
            None => Ok(ChangeStep::Sent),
        }
    }

    async fn track_new_certificate(
        &self,
        job: &ChangeJob,
        work: &Work,
        order_id: i64,
    ) -> Result<ChangeStep, AppError> {
        let Some(certificate_id) = work.digicert_certificate_id else {
            return self
                .failed(job, work, "DigiCert did not name the new certificate")
                .await;
        };
        let duplicate = work.kind == ChangeKind::Duplicate;
        let listed = match self.client.order_certificates(order_id, duplicate).await {
            Ok(listed) => listed,
            Err(err) => return self.wait(job, Some(&err)).await,
        };
        let status = listed
            .iter()
            .find(|e| e.id == certificate_id)
            .map(|e| e.status.as_str());
        match status {
            Some("issued" | "active") => {
                let pem = match self.client.download_pem_all(certificate_id).await {
                    Ok(pem) => pem,
                    Err(err) => return self.wait(job, Some(&err)).await,
                };
                self.deliver(job, work, &pem).await
            }
            Some("rejected" | "canceled" | "cancelled" | "revoked") => {
                let why = format!(
                    "DigiCert marked the new certificate {}.",
                    status.unwrap_or_default()
                );
                self.failed(job, work, &why).await
            }
            _ => {
                // Pending (new names may wait for DCV): DigiCert advises asking it to look; the
                // request page's DCV section shows what it said.
                match dcv::follow_pending(&self.pool, &self.client, work.request_id, order_id).await
                {
                    Ok(true) => self.wait_for(job, Duration::ZERO, None).await,
                    Ok(false) => self.wait(job, None).await,
                    Err(err) => {
                        tracing::info!(change_id = work.id, error = %err, "DCV check of a pending reissue failed");
                        self.wait(job, None).await
                    }
                }
            }
        }
    }

    /// Checks the new certificate against the CSR and names, then records it (a reissue
    /// supersedes the current certificate) and finishes the change, in one transaction.
    async fn deliver(
        &self,
        job: &ChangeJob,
        work: &Work,
        pem_all: &str,
    ) -> Result<ChangeStep, AppError> {
        let issued = match check_issued(pem_all, work.csr_pem.as_deref(), &work.names()) {
            Ok(issued) => issued,
            Err(problem) => {
                tracing::error!(change_id = work.id, %problem, "new certificate does not match the change");
                let err =
                    DigicertError::Decode(format!("issued certificate does not match: {problem}"));
                return self.wait(job, Some(&err)).await;
            }
        };
        self.record_certificate(job, work, &issued).await
    }

    async fn record_certificate(
        &self,
        job: &ChangeJob,
        work: &Work,
        issued: &IssuedCertificate,
    ) -> Result<ChangeStep, AppError> {
        let mut tx = self.pool.begin().await?;
        if !self.release_job(&mut tx, job).await? {
            return Ok(ChangeStep::Abandoned);
        }
        let kind = if work.kind == ChangeKind::Duplicate {
            CertificateKind::Duplicate
        } else {
            // The current certificate steps aside first: an order has one current certificate.
            sqlx::query!(
                "update certificates set status = 'superseded'
                  where request_id = $1 and status = 'issued' and kind <> 'duplicate'",
                work.request_id
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "update requests set certificate_id = $2, expires_at = $3, digicert_status = 'issued'
                  where id = $1",
                work.request_id,
                work.digicert_certificate_id,
                issued.not_after
            )
            .execute(&mut *tx)
            .await?;
            dcv_repo::all_validated(&mut *tx, work.request_id).await?;
            CertificateKind::Reissue
        };
        let certificate = certificates::insert(
            &mut tx,
            work.request_id,
            kind,
            work.digicert_certificate_id,
            issued,
        )
        .await?;
        sqlx::query!(
            "update certificate_changes
                set status = 'done', result_certificate_id = $2, finished_at = now(), error = null
              where id = $1",
            work.id,
            certificate
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(
            change_id = work.id,
            request_id = work.request_id,
            "new certificate recorded"
        );
        Ok(ChangeStep::Done)
    }

    async fn send_revocation(
        &self,
        job: &ChangeJob,
        work: &Work,
        order_id: i64,
    ) -> Result<ChangeStep, AppError> {
        if job.posted {
            match self.pending_revocation(work, order_id).await {
                Ok(Some(request_id)) => return self.revocation_pending(work, request_id).await,
                Ok(None) => {}
                Err(err) => return self.wait(job, Some(&err)).await,
            }
        }
        let body = RevokeBody {
            revocation_reason: work
                .revocation_reason
                .unwrap_or(RevocationReason::Unspecified)
                .as_str()
                .to_owned(),
            comments: work.comment.clone(),
            skip_approval: true,
        };
        if !self.mark_posted(job).await? {
            return Ok(ChangeStep::Abandoned);
        }
        match self
            .client
            .revoke(order_id, work.target.as_deref(), &body)
            .await
        {
            Ok(Revocation::Revoked) => self.revoked(job, work).await,
            Ok(Revocation::Pending(request_id)) => self.revocation_pending(work, request_id).await,
            // An earlier attempt got through and was approved meanwhile.
            Err(err) if err.codes().contains(&"already_revoked") => self.revoked(job, work).await,
            Err(err) if err.is_transient() || err.may_have_created() => {
                self.wait(job, Some(&err)).await
            }
            Err(err) => {
                self.failed(job, work, &format!("DigiCert refused it: {err}"))
                    .await
            }
        }
    }

    /// A pending revoke request an earlier attempt left at DigiCert for this target.
    async fn pending_revocation(
        &self,
        work: &Work,
        order_id: i64,
    ) -> Result<Option<i64>, DigicertError> {
        let target: Option<i64> = work.target.as_deref().and_then(|t| t.parse().ok());
        Ok(self
            .client
            .pending_revoke_requests()
            .await?
            .into_iter()
            .find(|r| {
                r.order.map(|o| o.id) == Some(order_id) && r.certificate.map(|c| c.id) == target
            })
            .map(|r| r.id))
    }

    async fn revocation_pending(
        &self,
        work: &Work,
        request_id: i64,
    ) -> Result<ChangeStep, AppError> {
        let mut tx = self.pool.begin().await?;
        // DigiCert's administrator decides in their own time: look again after the recheck.
        if !self
            .begin_tracking(&mut tx, work.id, false, self.recheck_every)
            .await?
        {
            return Ok(ChangeStep::Abandoned);
        }
        sqlx::query!(
            "update certificate_changes set status = 'sent', digicert_request_id = $2
              where id = $1 and status = 'approved'",
            work.id,
            request_id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ChangeStep::Sent)
    }

    async fn track_revocation(&self, job: &ChangeJob, work: &Work) -> Result<ChangeStep, AppError> {
        let Some(request_id) = work.digicert_request_id else {
            return self
                .failed(job, work, "DigiCert did not name the revoke request")
                .await;
        };
        match self.client.account_request(request_id).await {
            Ok(request) => match request.status.as_str() {
                "approved" => self.revoked(job, work).await,
                "rejected" => {
                    self.failed(
                        job,
                        work,
                        "DigiCert's account administrator rejected the revocation.",
                    )
                    .await
                }
                _ => self.wait(job, None).await,
            },
            Err(err) => self.wait(job, Some(&err)).await,
        }
    }

    /// Marks the target (or every live certificate of the order) revoked and finishes the change.
    async fn revoked(&self, job: &ChangeJob, work: &Work) -> Result<ChangeStep, AppError> {
        let mut tx = self.pool.begin().await?;
        if !self.release_job(&mut tx, job).await? {
            return Ok(ChangeStep::Abandoned);
        }
        sqlx::query!(
            "update certificates
                set status = 'revoked', revoked_at = now(), revocation_reason = $3
              where request_id = $1 and status in ('issued', 'superseded')
                and ($2::bigint is null or id = $2)",
            work.request_id,
            work.certificate_id,
            work.revocation_reason as Option<RevocationReason>
        )
        .execute(&mut *tx)
        .await?;
        if work.certificate_id.is_none() {
            sqlx::query!(
                "update requests set digicert_status = 'revoked' where id = $1",
                work.request_id
            )
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query!(
            "update certificate_changes set status = 'done', finished_at = now(), error = null
              where id = $1",
            work.id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(
            change_id = work.id,
            request_id = work.request_id,
            "revoked at DigiCert"
        );
        Ok(ChangeStep::Done)
    }

    async fn failed(
        &self,
        job: &ChangeJob,
        work: &Work,
        why: &str,
    ) -> Result<ChangeStep, AppError> {
        let mut tx = self.pool.begin().await?;
        if !self.release_job(&mut tx, job).await? {
            return Ok(ChangeStep::Abandoned);
        }
        sqlx::query!(
            "update certificate_changes set status = 'failed', error = $2, finished_at = now()
              where id = $1 and status in ('approved', 'sent')",
            work.id,
            why
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::warn!(change_id = work.id, %why, "certificate change failed");
        Ok(ChangeStep::Failed)
    }

    /// Moves a job this worker still holds to its tracking phase, due after `delay`; the lease
    /// is kept when `keep_lease` (this worker goes on with it at once), else released. `false`
    /// when the lease was lost.
    async fn begin_tracking(
        &self,
        tx: &mut sqlx::PgConnection,
        change_id: i64,
        keep_lease: bool,
        delay: Duration,
    ) -> Result<bool, AppError> {
        Ok(sqlx::query!(
            "update change_jobs set phase = 'track', attempts = 0, last_error = null,
                    next_attempt_at = now() + make_interval(secs => $4),
                    lease_owner = case when $3 then lease_owner end,
                    lease_until = case when $3 then lease_until end
              where change_id = $1 and lease_owner = $2",
            change_id,
            &self.owner,
            keep_lease,
            delay.as_secs_f64()
        )
        .execute(tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Deletes the job if this worker still holds it.
    async fn release_job(
        &self,
        tx: &mut sqlx::PgConnection,
        job: &ChangeJob,
    ) -> Result<bool, AppError> {
        Ok(sqlx::query!(
            "delete from change_jobs where change_id = $1 and lease_owner = $2",
            job.change_id,
            &self.owner
        )
        .execute(tx)
        .await?
        .rows_affected()
            == 1)
    }

    async fn finish_job(&self, change_id: i64) -> Result<(), AppError> {
        sqlx::query!("delete from change_jobs where change_id = $1", change_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Releases the job until the recheck interval, or 2, 4, 8 … s (at most five minutes) after
    /// a DigiCert failure.
    async fn wait(
        &self,
        job: &ChangeJob,
        err: Option<&DigicertError>,
    ) -> Result<ChangeStep, AppError> {
        let delay = match err {
            None => self.recheck_every,
            Some(_) => Duration::from_secs_f64(2f64.powi(job.attempts.clamp(1, 8)).min(300.0)),
        };
        self.wait_for(job, delay, err).await
    }

    async fn wait_for(
        &self,
        job: &ChangeJob,
        delay: Duration,
        err: Option<&DigicertError>,
    ) -> Result<ChangeStep, AppError> {
        sqlx::query!(
            "update change_jobs set next_attempt_at = now() + make_interval(secs => $3),
                    lease_owner = null, lease_until = null, last_error = $4,
                    attempts = case when $4::text is null then 0 else attempts end
              where change_id = $1 and lease_owner = $2",
            job.change_id,
            &self.owner,
            delay.as_secs_f64(),
            err.map(|e| e.to_string())
        )
        .execute(&self.pool)
        .await?;
        Ok(if err.is_some() {
            ChangeStep::Retrying
        } else {
            ChangeStep::Waiting
        })
    }
}
