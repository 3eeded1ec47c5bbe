//! The bare queries behind the approvals page and the history search, timed against the same
//! database without HTTP, sessions or rendering: the baseline the portal's figures divide by.

use super::stats::Latencies;
use app::features::approvals::{model::QueueFilter, service as approvals};
use app::features::auth::CurrentUser;
use app::features::changes::service as changes;
use app::features::history::{model::HistoryFilter, service as history};
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Runs `query` from `clients` tasks at once for `duration`.
async fn hammer<F, Fut>(clients: u32, duration: Duration, query: F) -> anyhow::Result<Latencies>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let query = query.clone();
        tasks.spawn(async move {
            let mut times = Vec::new();
            while start.elapsed() < duration {
                let t = Instant::now();
                query().await?;
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(Latencies::new(all, start.elapsed()))
}

/// The approvals page's queries: the first page of the request queue and the queue of reissues,
/// duplicates and revocations beneath it, as `approver` sees them.
pub async fn approvals_queue(
    pool: &PgPool,
    approver: CurrentUser,
    clients: u32,
    duration: Duration,
) -> anyhow::Result<Latencies> {
    let pool = pool.clone();
    hammer(clients, duration, move || {
        let pool = pool.clone();
        let approver = approver.clone();
        async move {
            approvals::queue(
                &pool,
                &approver,
                &QueueFilter::default(),
                approvals::QUEUE_PAGE_SIZE,
            )
            .await
            .map_err(|e| anyhow::anyhow!("approval queue: {e}"))?;
            changes::queue(&pool, &approver)
                .await
                .map_err(|e| anyhow::anyhow!("change queue: {e}"))?;
            Ok(())
        }
    })
    .await
}

/// The history search's query: the first page for `filter`.
pub async fn history_search(
    pool: &PgPool,
    filter: HistoryFilter,
    clients: u32,
    duration: Duration,
) -> anyhow::Result<Latencies> {
    let pool = pool.clone();
    hammer(clients, duration, move || {
        let pool = pool.clone();
        let filter = filter.clone();
        async move {
            history::search(&pool, &filter, history::HISTORY_PAGE_SIZE)
                .await
                .map_err(|e| anyhow::anyhow!("history search: {e}"))?;
            Ok(())
        }
    })
    .await
}
