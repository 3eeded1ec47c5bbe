//! Keeps certdesk under DigiCert's per-key limits with rolling windows (100 per 5 s and 1000
//! per 5 min by default), so the server never has to answer 429. In production the windows are
//! kept in PostgreSQL ([`RateLimiter::shared`]), so any number of server processes together stay
//! under one key's budget; the in-process form serves tools and tests with a client of their own.

use sqlx::PgPool;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub max_requests: usize,
    pub period: Duration,
}

const NETWORK_SLACK: Duration = Duration::from_secs(1);

/// Send times, oldest first, judged against rolling windows: the limiter's in-process budget and
/// the simulator's per-key limits are both one of these.
#[derive(Debug, Default)]
pub struct SendLog(VecDeque<Instant>);

impl SendLog {
    /// Forgets sends no window remembers any more.
    fn forget_old(&mut self, windows: &[Window], now: Instant) {
        let longest = windows.iter().map(|w| w.period).max().unwrap_or_default();
        while self
            .0
            .front()
            .is_some_and(|t| now.duration_since(*t) >= longest)
        {
            self.0.pop_front();
        }
    }

    /// When one more send fits every window: `now` when it fits already, otherwise the moment
    /// the fullest window lets its oldest blocking send go.
    pub fn ready_at(&mut self, windows: &[Window], now: Instant) -> Instant {
        self.forget_old(windows, now);
        windows
            .iter()
            .filter(|w| self.in_window(w, now) >= w.max_requests)
            .map(|w| self.0[self.0.len() - w.max_requests] + w.period)
            .fold(now, Instant::max)
    }

    fn in_window(&self, window: &Window, now: Instant) -> usize {
        self.0
            .iter()
            .rev()
            .take_while(|t| now.duration_since(**t) < window.period)
            .count()
    }

    /// Whether a send now would exceed a window; records nothing.
    pub fn is_full(&self, windows: &[Window], now: Instant) -> bool {
        windows
            .iter()
            .any(|w| self.in_window(w, now) >= w.max_requests)
    }

    pub fn record(&mut self, at: Instant) {
        self.0.push_back(at);
    }
}

pub struct RateLimiter {
    windows: Vec<Window>,
    budget: Budget,
}

enum Budget {
    /// Send times of this process's most recent requests.
    Local(Mutex<SendLog>),
    /// Send times of the whole deployment's requests, in `digicert_rate_budget`.
    Shared(PgPool),
}

/// DigiCert's documented limits, each window held one second longer than DigiCert's: the
/// windows roll on arrival times, and a request may arrive later than one sent after it.
pub fn digicert_windows() -> Vec<Window> {
    vec![
        Window {
            max_requests: 100,
            period: Duration::from_secs(5) + NETWORK_SLACK,
        },
        Window {
            max_requests: 1000,
            period: Duration::from_secs(300) + NETWORK_SLACK,
        },
    ]
}

/// How long a window is still full, as PostgreSQL computes it from the shared send times.
struct WindowWait {
    wait_seconds: Option<f64>,
}

impl RateLimiter {
    /// A budget for this process alone.
    pub fn new(windows: Vec<Window>) -> Self {
        RateLimiter {
            windows,
            budget: Budget::Local(Mutex::new(SendLog::default())),
        }
    }

    /// DigiCert's limits for this process alone.
    pub fn digicert_default() -> Self {
        RateLimiter::new(digicert_windows())
    }

    /// One budget for every process that shares `pool`'s database.
    pub fn shared(pool: PgPool, windows: Vec<Window>) -> Self {
        RateLimiter {
            windows,
            budget: Budget::Shared(pool),
        }
    }

    /// Waits until one more request fits every window, then records it. A wait is counted in
    /// the metrics (`certdesk_digicert_rate_limit_waits_total` and its seconds).
    pub async fn acquire(&self) {
        let started = Instant::now();
        match &self.budget {
            Budget::Local(sent) => self.acquire_local(sent).await,
            Budget::Shared(pool) => self.acquire_shared(pool).await,
        }
        let waited = started.elapsed();
        if waited >= Duration::from_millis(1) {
            let m = crate::server::metrics::metrics();
            m.rate_limit_waits.inc();
            m.rate_limit_wait_seconds.inc_by(waited.as_secs_f64());
        }
    }

    /// Whether a request now would have to wait (for `/healthz`); records nothing.
    pub async fn exhausted(&self) -> Result<bool, sqlx::Error> {
        match &self.budget {
            Budget::Local(sent) => Ok(sent
                .lock()
                .expect("rate limiter lock")
                .is_full(&self.windows, Instant::now())),
            Budget::Shared(pool) => {
                let limits: Vec<i64> = self.windows.iter().map(|w| w.max_requests as i64).collect();
                let periods: Vec<f64> = self
                    .windows
                    .iter()
                    .map(|w| w.period.as_secs_f64())
                    .collect();
                sqlx::query_scalar!(
                    r#"select coalesce(bool_or((select count(*) from digicert_rate_budget b
                                               where b.sent_at > clock_timestamp()
                                                     - make_interval(secs => w.period))
                                              >= w.max_requests), false) as "busy!"
                       from unnest($1::bigint[], $2::float8[]) as w(max_requests, period)"#,
                    &limits,
                    &periods
                )
                .fetch_one(pool)
                .await
            }
        }
    }

    async fn acquire_shared(&self, pool: &PgPool) {
        loop {
            match self.try_shared(pool).await {
                Ok(None) => return,
                Ok(Some(wait)) => tokio::time::sleep(wait).await,
                Err(err) => {
                    // Without the database nothing else works either; try again shortly rather
                    // than spend the budget blind.
                    tracing::warn!(%err, "the shared DigiCert rate budget cannot be read");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Records a request and answers `None` when every window has room; otherwise answers how
    /// long until the fullest one frees a place. One transaction, serialised on an advisory lock
    /// so two processes cannot both take the last place; `clock_timestamp()` gives every process
    /// the same clock.
    async fn try_shared(&self, pool: &PgPool) -> Result<Option<Duration>, sqlx::Error> {
        let limits: Vec<i64> = self.windows.iter().map(|w| w.max_requests as i64).collect();
        let periods: Vec<f64> = self
            .windows
            .iter()
            .map(|w| w.period.as_secs_f64())
            .collect();
        let longest = periods.iter().copied().fold(0.0, f64::max);
        let mut tx = pool.begin().await?;
        sqlx::query!(
            "select pg_advisory_xact_lock(hashtextextended('certdesk digicert budget', 0))"
        )
        .execute(&mut *tx)
        .await?;
        // For each window: the request that must leave it before another may enter, if full.
        let waits = sqlx::query_as!(
            WindowWait,
            r#"select extract(epoch from (
                        select b.sent_at from digicert_rate_budget b
                         where b.sent_at > clock_timestamp() - make_interval(secs => w.period)
                         order by b.sent_at desc offset w.max_requests - 1 limit 1)
                      + make_interval(secs => w.period) - clock_timestamp())::float8 as wait_seconds
               from unnest($1::bigint[], $2::float8[]) as w(max_requests, period)"#,
            &limits,
            &periods
        )
        .fetch_all(&mut *tx)
        .await?;
        let wait = waits
            .iter()
            .filter_map(|w| w.wait_seconds)
            .fold(0.0, f64::max);
        if wait > 0.0 {
            tx.rollback().await?;
            return Ok(Some(Duration::from_secs_f64(wait.min(longest))));
        }
        sqlx::query!("insert into digicert_rate_budget default values")
            .execute(&mut *tx)
            .await?;
        sqlx::query!(
            "delete from digicert_rate_budget
              where sent_at < clock_timestamp() - make_interval(secs => $1)",
            longest + 60.0
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(None)
    }

    async fn acquire_local(&self, sent: &Mutex<SendLog>) {
        loop {
            let wait = {
                let mut sent = sent.lock().expect("rate limiter lock");
                let now = Instant::now();
                let ready_at = sent.ready_at(&self.windows, now);
                if ready_at <= now {
                    sent.record(now);
                    return;
                }
                ready_at - now
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_window_frees_a_place_when_its_oldest_send_leaves() {
        let windows = [Window {
            max_requests: 2,
            period: Duration::from_secs(10),
        }];
        let start = Instant::now();
        let second = Duration::from_secs(1);
        let mut log = SendLog::default();
        assert_eq!(log.ready_at(&windows, start), start);
        log.record(start);
        log.record(start + second);
        assert!(log.is_full(&windows, start + 2 * second));
        assert_eq!(
            log.ready_at(&windows, start + 2 * second),
            start + 10 * second
        );
        assert!(!log.is_full(&windows, start + 10 * second));
        assert_eq!(
            log.ready_at(&windows, start + 10 * second),
            start + 10 * second
        );
    }

    #[tokio::test(start_paused = true)]
    async fn never_exceeds_any_window() {
        let limiter = RateLimiter::new(vec![
            Window {
                max_requests: 5,
                period: Duration::from_secs(1),
            },
            Window {
                max_requests: 12,
                period: Duration::from_secs(10),
            },
        ]);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..30 {
            limiter.acquire().await;
            times.push(Instant::now() - start);
        }
        for (i, t) in times.iter().enumerate() {
            let in_1s = times[..=i]
                .iter()
                .filter(|u| *t - **u < Duration::from_secs(1))
                .count();
            let in_10s = times[..=i]
                .iter()
                .filter(|u| *t - **u < Duration::from_secs(10))
                .count();
            assert!(in_1s <= 5, "{in_1s} in one second at {t:?}");
            assert!(in_10s <= 12, "{in_10s} in ten seconds at {t:?}");
        }
        // The first five go at once; the sixth waits for the one-second window.
        assert_eq!(times[4], Duration::ZERO);
        assert_eq!(times[5], Duration::from_secs(1));
        // 30 requests at 12 per 10 s need at least 20 s.
        assert!(times[29] >= Duration::from_secs(20));
    }

    /// Two limiters over one database, as two server processes: together they stay within the
    /// windows, so neither can spend the other's share.
    #[sqlx::test(migrations = "../migrations")]
    async fn processes_sharing_a_database_share_one_budget(pool: PgPool) {
        let windows = vec![Window {
            max_requests: 10,
            period: Duration::from_secs(1),
        }];
        let a = RateLimiter::shared(pool.clone(), windows.clone());
        let b = RateLimiter::shared(pool.clone(), windows);
        let started = std::time::Instant::now();
        futures::future::join_all((0..30).map(|n| {
            let limiter = if n % 2 == 0 { &a } else { &b };
            limiter.acquire()
        }))
        .await;
        let elapsed = started.elapsed();
        // Judged on the budget's own clock: no second holds more than ten sends.
        let busiest: i64 = sqlx::query_scalar(
            "select max((select count(*) from digicert_rate_budget o
                          where o.sent_at > b.sent_at - interval '1 second'
                            and o.sent_at <= b.sent_at))
               from digicert_rate_budget b",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(busiest, 10);
        // 30 requests at 10 per second need two full windows.
        assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    }

    /// A caller that gives up while its place is being taken (a `try_join!` whose sibling
    /// failed, a deadline) leaves no connection inside an open transaction for the next user.
    #[sqlx::test(migrations = "../migrations")]
    async fn a_caller_that_gives_up_leaves_no_open_transaction_behind(pool: PgPool) {
        let limiter = RateLimiter::shared(
            pool.clone(),
            vec![Window {
                max_requests: 1000,
                period: Duration::from_secs(60),
            }],
        );
        for step in 0..200u64 {
            let give_up_after = Duration::from_micros(step * 20);
            let _ = tokio::time::timeout(give_up_after, limiter.acquire()).await;
        }
        // Give the pool a moment to take back what the callers dropped.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let stuck: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity
              where datname = current_database() and state like 'idle in transaction%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(stuck, 0, "pooled connections left inside a transaction");
    }
}
