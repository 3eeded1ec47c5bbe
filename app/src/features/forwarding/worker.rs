//! The forwarding worker: places approved orders at DigiCert exactly once and follows them until
//! the certificate is issued.
//!
//! Jobs live in `forward_jobs` (written in the approval's transaction). Any number of workers, in
//! any number of server processes, claim due jobs with `FOR UPDATE SKIP LOCKED` and a lease. Before
//! a POST leaves, the job is marked `posted`; whoever runs the job next (this worker after a
//! transient error, or another one after this process died and the lease ran out) therefore asks
//! DigiCert for the order by its `alternative_order_id` before posting again.

use crate::error::AppError;
use crate::features::certificates::issued::{IssuedCertificate, check_issued};
use crate::features::certificates::model::CertificateKind;
use crate::features::certificates::repo as certificates;
use crate::features::dcv::{repo as dcv_repo, service as dcv};
use crate::features::digicert::account::{OrderProgress, order_progress};
use crate::features::digicert::payload::OrderRequest;
use crate::features::digicert::products::ProductId;
use crate::features::digicert::rules::planned_days;
use crate::features::mail::notify as mail;
use crate::features::requests::model::RequestStatus;
use crate::features::requests::repo;
use crate::server::digicert::{DigicertClient, DigicertError, Placement};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Names this worker in leases (host, process, task).
    pub owner: String,
    /// How long a claimed job stays this worker's before others may take it over.
    pub lease: Duration,
    /// Sleep when nothing is due.
    pub idle: Duration,
    /// Jobs claimed at once, worked concurrently.
    pub batch: i64,
    /// How often DigiCert's status-changes feed is read; orders it names are looked at at once.
    pub feed_every: Duration,
    /// The longest an order at DigiCert goes unlooked-at, feed or not (a safety net).
    pub recheck_every: Duration,
    /// How often one worker of the deployment copies the account's domains and their DCV
    /// expiry from DigiCert.
    pub domains_every: Duration,
    /// How often one worker of the deployment writes expiry and renewal reminders.
    pub reminders_every: Duration,
    /// `CERTDESK_RENEW_WINDOW_DAYS`, for renewal reminders.
    pub renew_window_days: u32,
}

impl WorkerSettings {
    pub fn new(owner: impl Into<String>) -> Self {
        WorkerSettings {
            owner: owner.into(),
            lease: Duration::from_secs(120),
            idle: Duration::from_millis(500),
            batch: 8,
            feed_every: Duration::from_secs(30),
            recheck_every: Duration::from_secs(600),
            domains_every: Duration::from_secs(3600),
            reminders_every: Duration::from_secs(3600),
            renew_window_days: 90,
        }
    }
}

#[derive(Clone)]
pub struct Worker {
    pool: PgPool,
    client: Arc<DigicertClient>,
    settings: WorkerSettings,
    /// When the status-changes feed was last read.
    feed_read: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// Orders in the feed found not to be renewals of certdesk's orders.
    not_renewals: Arc<std::sync::Mutex<std::collections::HashSet<i64>>>,
}

/// What DigiCert said about an issued order, handed from the look-up to the delivery.
struct Delivery<'a> {
    certificate_id: i64,
    digicert_status: &'a str,
    order_valid_till: Option<time::Date>,
}

/// `2027-12-01` or `2027-12-01T…`: the day an order ends.
pub(super) fn order_end(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text.get(..10)?,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

#[derive(Debug, Clone)]
pub struct Job {
    pub request_id: i64,
    pub kind: String,
    pub attempts: i32,
    pub posted: bool,
}

/// What happened to one job in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Placed,
    Issued,
    Waiting,
    Retrying,
    Failed,
    /// The lease was lost to another worker; nothing was written.
    Abandoned,
}

impl Worker {
    pub fn new(pool: PgPool, client: Arc<DigicertClient>, settings: WorkerSettings) -> Self {
        Worker {
            pool,
            client,
            settings,
            feed_read: Arc::default(),
            not_renewals: Arc::default(),
        }
    }

    /// Works jobs until `shutdown` resolves; a job in hand when it does is left to its lease.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let worked = tokio::select! {
                _ = &mut shutdown => return,
                worked = self.tick() => worked,
            };
            match worked {
                Ok(0) => {}
                Ok(_) => continue,
                Err(err) => tracing::warn!(error = %err, "forwarding worker: tick failed"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(self.settings.idle) => {}
            }
        }
    }

    /// Claims due jobs and works them; answers how many were claimed.
    pub async fn tick(&self) -> Result<usize, AppError> {
        let jobs = self.claim().await?;
        let count = jobs.len();
        let mut running = tokio::task::JoinSet::new();
        for job in jobs {
            let worker = self.clone();
            running.spawn(async move {
                let id = job.request_id;
                if let Err(err) = worker.work(job).await {
                    tracing::warn!(request_id = id, error = %err, "forwarding job failed; its lease will expire");
                }
            });
        }
        while running.join_next().await.is_some() {}
        let changes = crate::features::changes::worker::ChangeRunner {
            pool: self.pool.clone(),
            client: self.client.clone(),
            owner: self.settings.owner.clone(),
            lease: self.settings.lease,
            recheck_every: self.settings.recheck_every,
            batch: self.settings.batch,
        }
        .tick()
        .await?;
        // After the jobs, so a slow feed never holds back an order or a change; what it makes
        // due is claimed on the next turn.
        self.read_feed_when_due().await?;
        self.refresh_domains_when_due().await?;
        self.write_reminders_when_due().await?;
        Ok(count + changes)
    }

    /// Reads `status-changes` once per `feed_every` and makes the tracking jobs of the orders it
    /// names due now: one request finds what changed, instead of one per order at DigiCert. The
    /// feed also brings orders DigiCert placed itself (`auto_renew`), which are attached to the
    /// orders they renew.
    async fn read_feed_when_due(&self) -> Result<(), AppError> {
        {
            let mut last = self.feed_read.lock().expect("feed lock");
            if last.is_some_and(|at| at.elapsed() < self.settings.feed_every) {
                return Ok(());
            }
            *last = Some(std::time::Instant::now());
        }
        // Minutes, rounded up, plus one so that nothing falls between two reads.
        let minutes = (self.settings.feed_every.as_secs() / 60 + 2) as u32;
        let changed = match self.client.status_changes(minutes).await {
            Ok(changed) => changed,
            Err(err) => {
                tracing::warn!(error = %err, "status-changes feed unavailable; orders are rechecked later");
                return Ok(());
            }
        };
        let order_ids: Vec<i64> = changed.iter().map(|e| e.order_id).collect();
        if !order_ids.is_empty() {
            sqlx::query!(
                "update forward_jobs j set next_attempt_at = now()
                   from requests r
                  where r.id = j.request_id and j.kind = 'track' and j.next_attempt_at > now()
                    and r.digicert_order_id = any($1)",
                &order_ids
            )
            .execute(&self.pool)
            .await?;
            super::renewals::discover(&self.pool, &self.client, &order_ids, &self.not_renewals)
                .await?;
        }
        Ok(())
    }

    /// Once per `domains_every` across the deployment: the account's domains and DCV expiry.
    async fn refresh_domains_when_due(&self) -> Result<(), AppError> {
        if !dcv_repo::claim_periodic(&self.pool, "account_domains", self.settings.domains_every)
            .await?
        {
            return Ok(());
        }
        if let Err(err) = dcv::refresh_account_domains(&self.pool, &self.client).await {
            tracing::info!(error = %err, "the account's domains could not be read; asked again later");
        }
        Ok(())
    }

    /// Once per `reminders_every` across the deployment: expiry and renewal reminders.
    async fn write_reminders_when_due(&self) -> Result<(), AppError> {
        if dcv_repo::claim_periodic(&self.pool, "mail_reminders", self.settings.reminders_every)
            .await?
        {
            mail::reminders(&self.pool, self.settings.renew_window_days).await?;
        }
        if dcv_repo::claim_periodic(&self.pool, "approval_digest", Duration::from_secs(86_400))
            .await?
        {
            mail::approval_digests(&self.pool).await?;
        }
        Ok(())
    }

    async fn claim(&self) -> Result<Vec<Job>, AppError> {
        Ok(sqlx::query_as!(
            Job,
            "with due as (
                 select request_id from forward_jobs
                  where next_attempt_at <= now() and (lease_until is null or lease_until < now())
                  order by next_attempt_at
                  limit $2
                  for update skip locked)
             update forward_jobs j
                set lease_owner = $1, lease_until = now() + make_interval(secs => $3),
                    attempts = j.attempts + 1
               from due where j.request_id = due.request_id
             returning j.request_id, j.kind, j.attempts, j.posted",
            &self.settings.owner,
            self.settings.batch,
            self.settings.lease.as_secs_f64()
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Works one claimed job.
    pub async fn work(&self, job: Job) -> Result<Step, AppError> {
        if job.kind == "track" {
            self.track(&job).await
        } else {
            self.place(&job).await
        }
    }

    async fn place(&self, job: &Job) -> Result<Step, AppError> {
        let id = job.request_id;
        let row = sqlx::query!(
            r#"select status as "status: RequestStatus", product as "product: ProductId", payload
                 from requests where id = $1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return self.finish(id).await.map(|_| Step::Failed);
        };
        if row.status == RequestStatus::Approved {
            let mut tx = self.pool.begin().await?;
            repo::transition(
                &mut tx,
                id,
                RequestStatus::Approved,
                RequestStatus::Forwarding,
                None,
                Some("Sending the order to DigiCert."),
            )
            .await?;
            tx.commit().await?;
        } else if row.status != RequestStatus::Forwarding {
            // Decided otherwise meanwhile (or already done): nothing to send.
            return self.finish(id).await.map(|_| Step::Abandoned);
        }
        let order = OrderRequest::from_body(row.product, row.payload).map_err(|e| {
            tracing::error!(request_id = id, error = %e, "stored payload does not parse");
            AppError::Internal
        })?;

        // From here a POST may leave: whoever runs this job next must look before posting.
        if !self.mark_posted(job).await? {
            return Ok(Step::Abandoned);
        }
        match self.client.place_order(&order, job.posted).await {
            Ok(placement) => self.placed(job, &placement, Some(&order)).await,
            Err(err) if err.is_transient() => self.retry_later(job, &err).await,
            Err(err) => self.failed(job, &err).await,
        }
    }

    async fn mark_posted(&self, job: &Job) -> Result<bool, AppError> {
        Ok(sqlx::query!(
            "update forward_jobs set posted = true
              where request_id = $1 and lease_owner = $2 and lease_until > now()",
            job.request_id,
            &self.settings.owner
        )
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    async fn placed(
        &self,
        job: &Job,
        placement: &Placement,
        order: Option<&OrderRequest>,
    ) -> Result<Step, AppError> {
        let id = job.request_id;
        let (request_id, digicert_status) = placement.request_and_status();
        // Issued at once: the answer carries the chain, so no order lookup or download spends
        // the key's rate budget.
        let issued_at_once = placement.issued_at_once();
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "update requests set digicert_order_id = $2, digicert_request_id = $3,
                    digicert_status = $4, certificate_id = $5, forward_error = null
              where id = $1",
            id,
            placement.order_id(),
            request_id,
            &digicert_status,
            placement.certificate_id()
        )
        .execute(&mut *tx)
        .await?;
        if let (Placement::Created(created), Some(order)) = (placement, order) {
            dcv::record_placement(&mut tx, id, order.dcv_method(), created).await?;
            // Not issued at once: tell the requester what DigiCert waits for.
            if issued_at_once.is_none() {
                mail::dcv_needed(&mut tx, id).await?;
            }
        }
        let note = format!("DigiCert order {}.", placement.order_id());
        repo::transition(
            &mut tx,
            id,
            RequestStatus::Forwarding,
            RequestStatus::Forwarded,
            None,
            Some(&note),
        )
        .await?;
        // Follow the order from now on (this worker keeps the job when it delivers at once).
        let owned = self
            .track_from_now(&mut tx, id, issued_at_once.is_some())
            .await?;
        if !owned {
            return Ok(Step::Abandoned);
        }
        tx.commit().await?;
        tracing::info!(
            request_id = id,
            order_id = placement.order_id(),
            "order placed at DigiCert"
        );
        if let Some((certificate_id, bundle)) = issued_at_once {
            return self
                .deliver_at_once(job, order, certificate_id, &bundle)
                .await;
        }
        Ok(Step::Placed)
    }

    /// Turns the job into following the placed order, at once; `keep_lease` keeps it with this
    /// worker. False when another worker holds the job now.
    async fn track_from_now(
        &self,
        db: &mut sqlx::PgConnection,
        id: i64,
        keep_lease: bool,
    ) -> Result<bool, AppError> {
        Ok(sqlx::query!(
            "update forward_jobs set kind = 'track', attempts = 0, next_attempt_at = now(),
                    lease_owner = case when $3 then lease_owner end,
                    lease_until = case when $3 then lease_until end, last_error = null
              where request_id = $1 and lease_owner = $2",
            id,
            &self.settings.owner,
            keep_lease
        )
        .execute(db)
        .await?
        .rows_affected()
            == 1)
    }

    /// Hands over the certificate of an order DigiCert issued as it was placed; the job, now
    /// tracking the order, stays with this worker.
    async fn deliver_at_once(
        &self,
        job: &Job,
        order: Option<&OrderRequest>,
        certificate_id: i64,
        bundle: &str,
    ) -> Result<Step, AppError> {
        let tracking = Job {
            kind: "track".into(),
            attempts: 0,
            ..job.clone()
        };
        // DigiCert's own rule for the order's end: today plus the planned order length.
        let today = time::OffsetDateTime::now_utc().date();
        let order_valid_till =
            order.map(|o| today + time::Duration::days(i64::from(planned_days(o, today).0)));
        let delivery = Delivery {
            certificate_id,
            digicert_status: "issued",
            order_valid_till,
        };
        self.deliver(&tracking, &delivery, bundle).await
    }

    async fn retry_later(&self, job: &Job, err: &DigicertError) -> Result<Step, AppError> {
        tracing::warn!(request_id = job.request_id, error = %err, "DigiCert unavailable; will retry");
        self.wait(job, Some(err)).await
    }

    async fn failed(&self, job: &Job, err: &DigicertError) -> Result<Step, AppError> {
        let id = job.request_id;
        let errors: Vec<serde_json::Value> = match err {
            DigicertError::Api { errors, .. } => errors
                .iter()
                .map(|e| serde_json::json!({ "code": e.code, "message": e.message }))
                .collect(),
            other => vec![serde_json::json!({ "code": "", "message": other.to_string() })],
        };
        let details = serde_json::json!({ "status": err.status(), "errors": errors });
        let mut tx = self.pool.begin().await?;
        let released = sqlx::query!(
            "delete from forward_jobs where request_id = $1 and lease_owner = $2",
            id,
            &self.settings.owner
        )
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !released {
            return Ok(Step::Abandoned);
        }
        sqlx::query!(
            "update requests set forward_error = $2 where id = $1",
            id,
            &details
        )
        .execute(&mut *tx)
        .await?;
        let note = format!("DigiCert refused the order: {err}");
        repo::transition(
            &mut tx,
            id,
            RequestStatus::Forwarding,
            RequestStatus::ForwardFailed,
            None,
            Some(&note),
        )
        .await?;
        mail::forward_failed(&mut tx, id, &err.to_string()).await?;
        tx.commit().await?;
        tracing::warn!(request_id = id, error = %err, "DigiCert refused the order");
        Ok(Step::Failed)
    }

    async fn track(&self, job: &Job) -> Result<Step, AppError> {
        let id = job.request_id;
        let row = sqlx::query!(
            r#"select digicert_order_id, status as "status: RequestStatus"
                 from requests where id = $1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(order_id) = row
            .filter(|row| row.status == RequestStatus::Forwarded)
            .and_then(|row| row.digicert_order_id)
        else {
            return self.finish(id).await.map(|_| Step::Abandoned);
        };
        let info = match self.client.order_info(order_id).await {
            Ok(info) => info,
            // Asked again later, with backoff, whatever went wrong: the order exists either way.
            Err(err) => return self.wait(job, Some(&err)).await,
        };
        match order_progress(&info.status) {
            OrderProgress::Pending => self.still_pending(job, order_id, &info.status).await,
            OrderProgress::Failed => self.ended_at_digicert(id, &info.status).await,
            OrderProgress::Issued => {
                let Some(certificate_id) = info.certificate.id else {
                    return self.wait(job, None).await;
                };
                let pem = match self.client.download_pem_all(certificate_id).await {
                    Ok(pem) => pem,
                    Err(err) => return self.wait(job, Some(&err)).await,
                };
                let delivery = Delivery {
                    certificate_id,
                    digicert_status: &info.status,
                    order_valid_till: info.order_valid_till.as_deref().and_then(order_end),
                };
                self.deliver(job, &delivery, &pem).await
            }
        }
    }

    /// The order waits at DigiCert (for DCV, mostly): its status is noted, DigiCert is asked to
    /// check DCV, and the order is looked at again later.
    async fn still_pending(
        &self,
        job: &Job,
        order_id: i64,
        digicert_status: &str,
    ) -> Result<Step, AppError> {
        let id = job.request_id;
        sqlx::query!(
            "update requests set digicert_status = $2 where id = $1",
            id,
            digicert_status
        )
        .execute(&self.pool)
        .await?;
        // DigiCert advises asking for the DCV check while an order is pending; a failure
        // here is only a missed nudge, the order is looked at again either way.
        match dcv::follow_pending(&self.pool, &self.client, id, order_id).await {
            // Issued on that check: collect it on the next turn, not after the recheck.
            Ok(true) => self.wait_for(job, Duration::ZERO, None).await,
            Ok(false) => self.wait(job, None).await,
            Err(err) => {
                tracing::info!(request_id = id, error = %err, "DCV check of a pending order failed");
                self.wait(job, None).await
            }
        }
    }

    /// DigiCert rejected or cancelled the order: the request says so and is no longer followed.
    async fn ended_at_digicert(&self, id: i64, digicert_status: &str) -> Result<Step, AppError> {
        let to = if matches!(digicert_status, "canceled" | "cancelled") {
            RequestStatus::Cancelled
        } else {
            RequestStatus::Rejected
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "update requests set digicert_status = $2 where id = $1",
            id,
            digicert_status
        )
        .execute(&mut *tx)
        .await?;
        let note = format!("DigiCert marked the order {digicert_status}.");
        repo::transition(&mut tx, id, RequestStatus::Forwarded, to, None, Some(&note)).await?;
        sqlx::query!("delete from forward_jobs where request_id = $1", id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Step::Failed)
    }

    /// Checks the issued bundle against the request and hands it to the requester; a bundle that
    /// does not match is kept back and asked for again later.
    async fn deliver(
        &self,
        job: &Job,
        delivery: &Delivery<'_>,
        pem_all: &str,
    ) -> Result<Step, AppError> {
        let id = job.request_id;
        let csr_pem: Option<String> =
            sqlx::query_scalar!("select csr_pem from requests where id = $1", id)
                .fetch_one(&self.pool)
                .await?;
        // Document signing certificates name a person, not domains.
        let names = sqlx::query_scalar!(
            r#"select unnest(array_prepend(title, dns_names)) as "name!" from requests
                where id = $1 and product not like 'document_signing%'"#,
            id
        )
        .fetch_all(&self.pool)
        .await?;
        match check_issued(pem_all, csr_pem.as_deref(), &names) {
            Ok(issued) => self.issued(id, delivery, issued).await,
            Err(problem) => {
                // Not what was asked for: keep it out of the requester's hands.
                tracing::error!(request_id = id, %problem, "issued certificate does not match the request");
                self.wait(
                    job,
                    Some(&DigicertError::Decode(format!(
                        "issued certificate does not match: {problem}"
                    ))),
                )
                .await
            }
        }
    }

    async fn issued(
        &self,
        id: i64,
        delivery: &Delivery<'_>,
        issued: IssuedCertificate,
    ) -> Result<Step, AppError> {
        let certificate_id = delivery.certificate_id;
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "update requests set certificate_id = $2, issued_at = now(), expires_at = $3,
                    digicert_status = $4, order_valid_till = coalesce($5, order_valid_till)
              where id = $1",
            id,
            certificate_id,
            issued.not_after,
            delivery.digicert_status,
            delivery.order_valid_till
        )
        .execute(&mut *tx)
        .await?;
        certificates::insert(
            &mut tx,
            id,
            CertificateKind::First,
            Some(certificate_id),
            &issued,
        )
        .await?;
        mail::certificate_issued(&mut tx, id, &issued.serial, issued.not_after.date()).await?;
        dcv_repo::all_validated(&mut *tx, id).await?;
        repo::transition(
            &mut tx,
            id,
            RequestStatus::Forwarded,
            RequestStatus::Issued,
            None,
            Some("The certificate is ready to download."),
        )
        .await?;
        sqlx::query!("delete from forward_jobs where request_id = $1", id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(request_id = id, certificate_id, "certificate issued");
        Ok(Step::Issued)
    }

    /// Releases the job until later: after the recheck interval (the feed may bring it forward),
    /// or after 2, 4, 8 … seconds (at most five minutes) when `err` says DigiCert failed.
    async fn wait(&self, job: &Job, err: Option<&DigicertError>) -> Result<Step, AppError> {
        let delay = match err {
            None => self.settings.recheck_every,
            Some(_) => Duration::from_secs_f64((2f64.powi(job.attempts.clamp(1, 8))).min(300.0)),
        };
        self.wait_for(job, delay, err).await
    }

    /// Releases the job until `delay` from now.
    async fn wait_for(
        &self,
        job: &Job,
        delay: Duration,
        err: Option<&DigicertError>,
    ) -> Result<Step, AppError> {
        let delay = delay.as_secs_f64();
        sqlx::query!(
            "update forward_jobs set next_attempt_at = now() + make_interval(secs => $3),
                    lease_owner = null, lease_until = null, last_error = $4,
                    attempts = case when $4::text is null then 0 else attempts end
              where request_id = $1 and lease_owner = $2",
            job.request_id,
            &self.settings.owner,
            delay,
            err.map(|e| e.to_string())
        )
        .execute(&self.pool)
        .await?;
        Ok(if err.is_some() {
            Step::Retrying
        } else {
            Step::Waiting
        })
    }

    async fn finish(&self, id: i64) -> Result<(), AppError> {
        sqlx::query!("delete from forward_jobs where request_id = $1", id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// An admin's retry of a request DigiCert refused: back to forwarding with a fresh job, in one
/// transaction with its timeline entry and audit row.
pub async fn retry_forwarding(
    pool: &PgPool,
    admin: &crate::features::auth::CurrentUser,
    id: i64,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let moved = repo::transition(
        &mut tx,
        id,
        RequestStatus::ForwardFailed,
        RequestStatus::Forwarding,
        Some(admin.id),
        Some("Retry requested."),
    )
    .await?;
    if !moved {
        return match repo::status_for_update(&mut tx, id).await? {
            None => Err(AppError::NotFound),
            Some((_, status)) => Err(AppError::Conflict(format!(
                "Only a request DigiCert refused can be retried; this one is {}.",
                status.label().to_lowercase()
            ))),
        };
    }
    sqlx::query!("insert into forward_jobs (request_id) values ($1)", id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
