//! Exactly-once forwarding under faults and crashes: workers against the simulator over loopback,
//! sharing one database as separate server processes would.

use crate::helpers::{SIM_KEY, TestSim, fresh_database, spawn_simulator};
use app::features::approvals::model::Decision;
use app::features::approvals::service::decide;
use app::features::auth::repo::{NewUser, insert_user};
use app::features::auth::{CurrentUser, Role};
use app::features::forwarding::worker::{Worker, WorkerSettings};
use app::features::requests::model::{FormKind, RequestForm};
use app::features::requests::service::submit;
use app::server::digicert::{ClientSettings, DigicertClient, RateLimiter, RetryPolicy, Window};
use certdesk::simulator::{FaultPlan, SimSettings};
use secrecy::SecretString;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CSR: &str = include_str!("../../../app/tests/fixtures/csr/rsa2048.csr");

pub(crate) async fn person(pool: &PgPool, email: &str, role: Role) -> CurrentUser {
    let id = insert_user(
        pool,
        NewUser {
            email,
            display_name: email,
            roles: &[role],
            password_hash: "x",
        },
    )
    .await
    .unwrap();
    CurrentUser {
        must_change_password: false,
        id,
        email: email.into(),
        display_name: email.into(),
        roles: vec![role],
    }
}

/// `n` approved requests, each with its forwarding job.
async fn approved_requests(pool: &PgPool, n: usize) -> Vec<i64> {
    let ada = person(pool, "ada@example.com", Role::Requester).await;
    let vic = person(pool, "vic@example.com", Role::Approver).await;
    let mut form = RequestForm::blank(FormKind::BasicOv);
    form.organization = "1001".into();
    form.common_name = "www.example.com".into();
    form.dns_names = "example.com".into();
    form.csr = CSR.into();
    form.custom.insert("cf_801".into(), "CC-1001".into());
    let today = time::OffsetDateTime::now_utc().date();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let id = submit(pool, &ada, &form, true, today).await.unwrap();
        decide(pool, &vic, id, Decision::Approve, None)
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

/// A worker with its own client, as another server process would have, tuned for tests.
fn worker(pool: &PgPool, sim: &TestSim, name: &str, read_timeout: Duration) -> Worker {
    worker_with(
        pool,
        sim,
        name,
        read_timeout,
        RateLimiter::digicert_default(),
    )
}

fn worker_with(
    pool: &PgPool,
    sim: &TestSim,
    name: &str,
    read_timeout: Duration,
    limiter: RateLimiter,
) -> Worker {
    let client = DigicertClient::new(ClientSettings {
        base_url: sim.base_url.clone(),
        api_key: SecretString::from(sim.key.clone()),
        connect_timeout: Duration::from_secs(2),
        read_timeout,
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(80),
        },
        limiter,
    })
    .unwrap();
    let mut settings = WorkerSettings::new(name);
    settings.lease = Duration::from_secs(3);
    settings.idle = Duration::from_millis(20);
    settings.feed_every = Duration::from_millis(50);
    settings.recheck_every = Duration::from_millis(50);
    settings.batch = 16;
    Worker::new(pool.clone(), Arc::new(client), settings)
}

async fn count_status(pool: &PgPool, status: &str) -> i64 {
    sqlx::query_scalar("select count(*) from requests where status = $1")
        .bind(status)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Retries come back after 2, 4, 8 … s; tests pull them forward so they finish quickly.
async fn hurry_retries(pool: &PgPool) {
    sqlx::query("update forward_jobs set next_attempt_at = now() where next_attempt_at > now()")
        .execute(pool)
        .await
        .unwrap();
}

/// One rolling window of `max_requests` per 5 s: room enough that rate limits are not what a
/// fault test is about (the benchmark drains at DigiCert's real limits).
fn roomy(max_requests: usize) -> Vec<Window> {
    vec![Window {
        max_requests,
        period: Duration::from_secs(5),
    }]
}

/// A simulator that answers slowly when it holds an answer back, within `roomy(max_requests)`.
async fn fault_test_simulator(max_requests: usize) -> TestSim {
    let mut settings = SimSettings::new(SIM_KEY);
    settings.slow_answer = Duration::from_millis(400);
    settings.limits = roomy(max_requests);
    spawn_simulator(settings).await
}

/// Every fault the simulator injects, often.
fn heavy_faults() -> FaultPlan {
    FaultPlan {
        server_error: 0.08,
        unavailable: 0.04,
        too_many_requests: 0.06,
        timeout: 0.05,
        drop_after_create: 0.10,
    }
}

/// Two workers with clients of their own, as two server processes, running until stopped.
struct Crew {
    stop: tokio::sync::watch::Sender<bool>,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl Crew {
    fn start(pool: &PgPool, sim: &TestSim, max_requests: usize) -> Crew {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let handles = ["worker-a", "worker-b"]
            .into_iter()
            .map(|name| {
                let w = worker_with(
                    pool,
                    sim,
                    name,
                    Duration::from_millis(200),
                    RateLimiter::new(roomy(max_requests)),
                );
                let mut stopped = stopped.clone();
                tokio::spawn(w.run(async move {
                    let _ = stopped.changed().await;
                }))
            })
            .collect();
        Crew { stop, handles }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        for handle in self.handles {
            handle.await.unwrap();
        }
    }
}

#[tokio::test]
async fn three_hundred_approvals_through_faults_and_two_workers_make_one_order_each() {
    let (pool, _) = fresh_database().await;
    // Rate limits are not what this test is about (the benchmark drains at DigiCert's limits):
    // 300 orders and their tracking take well over DigiCert's 1000 requests per 5 minutes.
    let sim = fault_test_simulator(2000).await;
    let ids = approved_requests(&pool, 300).await;
    sim.simulator.set_faults(heavy_faults());
    let started = Instant::now();
    let crew = Crew::start(&pool, &sim, 2000);
    while count_status(&pool, "issued").await < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "not drained: {} issued",
            count_status(&pool, "issued").await
        );
        hurry_retries(&pool).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = started.elapsed();
    crew.stop().await;
    let stats = sim.simulator.stats();
    let c = &stats.counters;
    println!(
        "forwarding under faults: {} approvals, 2 workers; injected 500 ×{}, 503 ×{}, 429 ×{}, \
         held answers ×{}, dropped after create ×{}; orders at the simulator {}, duplicates {}, \
         lost {}, drained in {:.1} s",
        ids.len(),
        c.injected_server_error,
        c.injected_unavailable,
        c.injected_too_many_requests,
        c.injected_timeout,
        c.injected_drop_after_create,
        c.orders_created,
        stats.duplicated_alternative_ids.len(),
        300 - stats.orders_per_alternative_id.len(),
        drained.as_secs_f64()
    );
    assert_eq!(c.orders_created, 300, "one order per request");
    assert!(stats.duplicated_alternative_ids.is_empty());
    assert_eq!(stats.orders_per_alternative_id.len(), 300, "none lost");
    assert!(
        c.injected_server_error + c.injected_timeout + c.injected_drop_after_create > 0,
        "faults were injected"
    );
    let jobs: i64 = sqlx::query_scalar("select count(*) from forward_jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, 0);
}

#[tokio::test]
async fn a_worker_killed_after_its_post_left_is_finished_by_a_fresh_one_without_a_second_order() {
    let (pool, _) = fresh_database().await;
    let mut settings = SimSettings::new(SIM_KEY);
    settings.slow_answer = Duration::from_secs(30);
    let sim = spawn_simulator(settings).await;
    let ids = approved_requests(&pool, 1).await;
    let id = ids[0];
    // The order is created, and its answer held back: the worker waits for it…
    sim.simulator.set_faults(FaultPlan {
        timeout: 1.0,
        ..FaultPlan::default()
    });
    let doomed = worker(&pool, &sim, "doomed", Duration::from_secs(60));
    let running = tokio::spawn(async move { doomed.tick().await });
    let started = Instant::now();
    while sim.simulator.stats().counters.orders_created == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the POST never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // …and dies before the answer is stored.
    running.abort();
    let _ = running.await;
    sim.simulator.set_faults(FaultPlan::default());
    let (status, posted): (String, bool) = sqlx::query_as(
        "select r.status, j.posted from requests r join forward_jobs j on j.request_id = r.id
          where r.id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), posted), ("forwarding", true));

    // A fresh worker cannot take the job until the dead one's lease runs out, then finishes it.
    let fresh = worker(&pool, &sim, "fresh", Duration::from_secs(5));
    assert_eq!(fresh.tick().await.unwrap(), 0, "the lease still holds");
    let resumed = Instant::now();
    while count_status(&pool, "issued").await < 1 {
        assert!(
            resumed.elapsed() < Duration::from_secs(20),
            "never finished"
        );
        fresh.tick().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stats = sim.simulator.stats();
    println!(
        "kill test: 1 approval, worker killed after its POST; orders at the simulator {}, \
         duplicates {}, finished {:.1} s after the kill",
        stats.counters.orders_created,
        stats.duplicated_alternative_ids.len(),
        resumed.elapsed().as_secs_f64()
    );
    assert_eq!(stats.counters.orders_created, 1, "no second order");
    let note: String = sqlx::query_scalar(
        "select note from request_events where request_id = $1 and to_status = 'forwarded'",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(note.starts_with("DigiCert order "), "{note}");
}

#[tokio::test]
async fn an_order_issued_later_is_found_through_the_status_changes_feed() {
    let (pool, _) = fresh_database().await;
    let mut settings = SimSettings::new(SIM_KEY);
    settings.issuance = certdesk::simulator::Issuance::Manual;
    let sim = spawn_simulator(settings).await;
    let ids = approved_requests(&pool, 1).await;
    let client = DigicertClient::new(ClientSettings::new(
        sim.base_url.clone(),
        SecretString::from(sim.key.clone()),
    ))
    .unwrap();
    let mut settings = WorkerSettings::new("feed");
    settings.feed_every = Duration::from_millis(100);
    // Without the feed this order would not be looked at again for an hour.
    settings.recheck_every = Duration::from_secs(3600);
    let w = Worker::new(pool.clone(), Arc::new(client), settings);
    w.tick().await.unwrap(); // placed
    w.tick().await.unwrap(); // first look: still pending
    assert_eq!(count_status(&pool, "forwarded").await, 1);
    let order_id: i64 = sqlx::query_scalar("select digicert_order_id from requests where id = $1")
        .bind(ids[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    let issued = reqwest::Client::new()
        .post(format!(
            "{}/__simulator/orders/{order_id}/issue",
            sim.base_url
        ))
        .header("x-dc-devkey", &sim.key)
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 204);
    let started = Instant::now();
    while count_status(&pool, "issued").await < 1 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the feed never led to the order"
        );
        tokio::time::sleep(Duration::from_millis(120)).await;
        w.tick().await.unwrap();
    }
}

/// Two `certdesk serve` processes, two workers each, over one database and one DigiCert key,
/// against a simulator enforcing DigiCert's real limits (100 per 5 s, 1,000 per 5 min): the
/// shared budget keeps them together under the limits, so DigiCert never answers 429.
#[tokio::test]
async fn two_server_processes_drain_300_approvals_within_digicerts_limits() {
    use certdesk_bench::processes::{ServerSettings, start_server};
    let (pool, url) = fresh_database().await;
    let sim = spawn_simulator(SimSettings::new(SIM_KEY)).await;
    let ids = approved_requests(&pool, 300).await;
    let logs = std::env::temp_dir().join(format!("certdesk-drain-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&logs).unwrap();
    let site = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"));
    let started = Instant::now();
    let mut servers = Vec::new();
    for n in 0..2 {
        let log = logs.join(format!("server-{n}.log"));
        let (server, _) = start_server(&ServerSettings {
            certdesk: std::path::Path::new(env!("CARGO_BIN_EXE_certdesk")),
            database_url: &url,
            digicert_url: &sim.base_url,
            digicert_key: SIM_KEY,
            workers: 2,
            site_root: &site,
            log: &log,
        })
        .await
        .unwrap();
        servers.push(server);
    }
    while count_status(&pool, "issued").await < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "not drained: {} issued; logs in {}",
            count_status(&pool, "issued").await,
            logs.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = started.elapsed();
    drop(servers);
    let stats = sim.simulator.stats();
    let c = &stats.counters;
    println!(
        "two server processes, 2 workers each: {} approvals drained in {:.1} s; {} DigiCert \
         requests, {} answers of 429, {} orders, {} duplicates",
        ids.len(),
        drained.as_secs_f64(),
        c.requests,
        c.rate_limited,
        c.orders_created,
        stats.duplicated_alternative_ids.len()
    );
    assert_eq!(c.rate_limited, 0, "DigiCert's limits were exceeded");
    assert_eq!(c.orders_created, 300);
    assert!(stats.duplicated_alternative_ids.is_empty());
    let _ = std::fs::remove_dir_all(&logs);
}

/// `n` issued orders (placed without faults), and their requester.
async fn issued_orders(pool: &PgPool, sim: &TestSim, n: usize) -> (Vec<i64>, CurrentUser) {
    let ids = approved_requests(pool, n).await;
    let w = worker(pool, sim, "placer", Duration::from_secs(5));
    let started = Instant::now();
    while count_status(pool, "issued").await < n as i64 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "orders not issued"
        );
        w.tick().await.unwrap();
    }
    let requester_id: uuid::Uuid =
        sqlx::query_scalar("select requester_id from requests where id = $1")
            .bind(ids[0])
            .fetch_one(pool)
            .await
            .unwrap();
    let ada = CurrentUser {
        must_change_password: false,
        id: requester_id,
        email: "ada@example.com".into(),
        display_name: "ada@example.com".into(),
        roles: vec![Role::Requester],
    };
    (ids, ada)
}

/// A same-name reissue of each order with a fresh key, approved at once by the standing policy.
async fn reissues(pool: &PgPool, ids: &[i64], ada: &CurrentUser) -> Vec<i64> {
    use app::features::changes::model::ChangeKind;
    use app::features::changes::service::{ask_new_certificate, set_policy};
    let admin = person(pool, "root@example.com", Role::Admin).await;
    set_policy(
        pool,
        &admin,
        "reissue_same_names:ssl_basic",
        true,
        "127.0.0.1",
    )
    .await
    .unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    let mut changes = Vec::with_capacity(ids.len());
    for id in ids {
        let csr = crate::changes::csr_for(&["www.example.com", "example.com"]);
        let change = ask_new_certificate(
            pool,
            ada,
            *id,
            ChangeKind::Reissue,
            &csr,
            "",
            today,
            "127.0.0.1",
        )
        .await
        .unwrap();
        changes.push(change);
    }
    changes
}

async fn count_changes(pool: &PgPool, status: &str) -> i64 {
    sqlx::query_scalar("select count(*) from certificate_changes where status = $1")
        .bind(status)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn three_hundred_reissues_through_faults_and_two_workers_make_one_new_certificate_each() {
    let (pool, _) = fresh_database().await;
    let sim = fault_test_simulator(4000).await;
    let (ids, ada) = issued_orders(&pool, &sim, 300).await;
    let changes = reissues(&pool, &ids, &ada).await;
    sim.simulator.set_faults(heavy_faults());
    let before = sim.simulator.stats().counters;
    let started = Instant::now();
    let crew = Crew::start(&pool, &sim, 4000);
    while count_changes(&pool, "done").await < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "not drained: {} done, {} failed",
            count_changes(&pool, "done").await,
            count_changes(&pool, "failed").await
        );
        sqlx::query("update change_jobs set next_attempt_at = now() where next_attempt_at > now()")
            .execute(&pool)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = started.elapsed();
    crew.stop().await;
    let stats = sim.simulator.stats();
    let c = &stats.counters;
    let per_order: Vec<u64> = stats.reissues_per_order.values().copied().collect();
    println!(
        "reissues under faults: {} reissues, 2 workers; injected 500 ×{}, 503 ×{}, 429 ×{}, \
         held answers ×{}, dropped after create ×{}; reissues at the simulator {}, orders \
         reissued twice {}, lost {}, drained in {:.1} s",
        changes.len(),
        c.injected_server_error - before.injected_server_error,
        c.injected_unavailable - before.injected_unavailable,
        c.injected_too_many_requests - before.injected_too_many_requests,
        c.injected_timeout - before.injected_timeout,
        c.injected_drop_after_create - before.injected_drop_after_create,
        c.reissues_created,
        per_order.iter().filter(|n| **n > 1).count(),
        300 - per_order.len(),
        drained.as_secs_f64()
    );
    assert_eq!(c.reissues_created, 300, "one reissue per order");
    assert_eq!(per_order.len(), 300, "none lost");
    assert!(per_order.iter().all(|n| *n == 1));
    assert!(
        c.injected_timeout + c.injected_drop_after_create
            > before.injected_timeout + before.injected_drop_after_create,
        "faults were injected"
    );
    // Each order: its first certificate superseded, exactly one new current certificate.
    let shapes: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select request_id, count(*) filter (where kind = 'reissue' and status = 'issued'),
                count(*) filter (where kind = 'first' and status = 'superseded')
           from certificates group by request_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(shapes.len(), 300);
    assert!(
        shapes.iter().all(|(_, new, old)| (*new, *old) == (1, 1)),
        "{shapes:?}"
    );
    let jobs: i64 = sqlx::query_scalar("select count(*) from change_jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, 0);
}

#[tokio::test]
async fn a_worker_killed_after_its_reissue_left_is_finished_by_a_fresh_one_without_a_second() {
    let (pool, _) = fresh_database().await;
    let mut settings = SimSettings::new(SIM_KEY);
    settings.slow_answer = Duration::from_secs(30);
    let sim = spawn_simulator(settings).await;
    let (ids, ada) = issued_orders(&pool, &sim, 1).await;
    let change = reissues(&pool, &ids, &ada).await[0];
    // The reissue is placed, and its answer held back: the worker waits for it…
    sim.simulator.set_faults(FaultPlan {
        timeout: 1.0,
        ..FaultPlan::default()
    });
    let doomed = worker(&pool, &sim, "doomed", Duration::from_secs(60));
    let running = tokio::spawn(async move { doomed.tick().await });
    let started = Instant::now();
    while sim.simulator.stats().counters.reissues_created == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the POST never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // …and dies before the answer is stored.
    running.abort();
    let _ = running.await;
    sim.simulator.set_faults(FaultPlan::default());
    let (status, posted): (String, bool) = sqlx::query_as(
        "select c.status, j.posted from certificate_changes c
           join change_jobs j on j.change_id = c.id where c.id = $1",
    )
    .bind(change)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), posted), ("approved", true));

    // A fresh worker waits out the dead one's lease, recognises the reissue and collects it.
    let fresh = worker(&pool, &sim, "fresh", Duration::from_secs(5));
    assert_eq!(fresh.tick().await.unwrap(), 0, "the lease still holds");
    let resumed = Instant::now();
    while count_changes(&pool, "done").await < 1 {
        assert!(
            resumed.elapsed() < Duration::from_secs(20),
            "never finished"
        );
        fresh.tick().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stats = sim.simulator.stats();
    println!(
        "reissue kill test: worker killed after its POST; reissues at the simulator {}, \
         finished {:.1} s after the kill",
        stats.counters.reissues_created,
        resumed.elapsed().as_secs_f64()
    );
    assert_eq!(stats.counters.reissues_created, 1, "no second reissue");
    let current: i64 = sqlx::query_scalar(
        "select count(*) from certificates where request_id = $1 and status = 'issued'",
    )
    .bind(ids[0])
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(current, 1);
}

#[tokio::test]
async fn an_order_digicert_renews_itself_is_found_in_the_feed_and_attached_to_its_predecessor() {
    let (pool, _) = fresh_database().await;
    let sim = spawn_simulator(SimSettings::new(SIM_KEY)).await;
    let (ids, _) = issued_orders(&pool, &sim, 1).await;
    let order_id: i64 = sqlx::query_scalar("select digicert_order_id from requests where id = $1")
        .bind(ids[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    let successor = sim.simulator.auto_renew(order_id).unwrap();
    // Two workers read the feed; the successor becomes one request, not two.
    let a = worker(&pool, &sim, "feed-a", Duration::from_secs(5));
    let b = worker(&pool, &sim, "feed-b", Duration::from_secs(5));
    let started = Instant::now();
    let renewal = loop {
        a.tick().await.unwrap();
        b.tick().await.unwrap();
        let found: Option<(i64, String)> = sqlx::query_as(
            "select id, status from requests where origin = 'auto_renewal' and status = 'issued'",
        )
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some((id, _)) = found {
            break id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the renewal was never attached"
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
    };
    let (renews, digicert_order, requester_same, certificates): (i64, i64, bool, i64) =
        sqlx::query_as(
            "select r.renewal_of_request_id, r.digicert_order_id,
                    r.requester_id = p.requester_id,
                    (select count(*) from certificates c where c.request_id = r.id)
               from requests r join requests p on p.id = r.renewal_of_request_id
              where r.id = $1",
        )
        .bind(renewal)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((renews, digicert_order), (ids[0], successor));
    assert!(requester_same);
    assert_eq!(
        certificates, 1,
        "its certificate was collected and recorded"
    );
    let attached: i64 =
        sqlx::query_scalar("select count(*) from requests where origin = 'auto_renewal'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(attached, 1);
    let note: String = sqlx::query_scalar(
        "select note from request_events where request_id = $1 order by id limit 1",
    )
    .bind(renewal)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(note.contains("auto-renew"), "{note}");
}
