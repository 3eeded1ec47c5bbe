//! Numbers for operators, in the Prometheus text format (`GET /metrics`): HTTP requests by route
//! and status with latency, DigiCert calls by endpoint and status with latency, rate-limiter
//! waits, sign-in failures, and — read from the database at each scrape — the approval queue,
//! forwarding jobs by state and the outbox depth. One registry per process; every instance of a
//! deployment is scraped on its own, the database-backed gauges agree between them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The route's pattern (`/requests/{id}`), never the raw path.
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DigicertLabels {
    /// The path with ids replaced: `order/certificate/{id}/reissue`.
    pub endpoint: String,
    /// The HTTP status, or `timeout`, `connect`, `transport`.
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabels {
    pub endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    /// `place`, `track`, or `change` for reissues, duplicates and revocations.
    pub kind: String,
    /// `due`, `leased` or `waiting`.
    pub state: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    // 1 ms … 32 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_seconds: HistogramFamily<RouteLabels>,
    pub digicert_requests: Family<DigicertLabels, Counter>,
    pub digicert_seconds: HistogramFamily<EndpointLabels>,
    pub rate_limit_waits: Counter,
    pub rate_limit_wait_seconds: Counter<f64, AtomicU64>,
    pub sign_in_failures: Counter,
    pub mails_sent: Counter,
    pub mails_failed: Counter,
    pub approval_queue: Gauge,
    pub changes_waiting: Gauge,
    pub jobs: Family<JobLabels, Gauge>,
    pub outbox_depth: Gauge,
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("certdesk");
        let metrics = Metrics {
            http_requests: Family::default(),
            http_seconds: HistogramFamily::new_with_constructor(latency),
            digicert_requests: Family::default(),
            digicert_seconds: HistogramFamily::new_with_constructor(latency),
            rate_limit_waits: Counter::default(),
            rate_limit_wait_seconds: Counter::default(),
            sign_in_failures: Counter::default(),
            mails_sent: Counter::default(),
            mails_failed: Counter::default(),
            approval_queue: Gauge::default(),
            changes_waiting: Gauge::default(),
            jobs: Family::default(),
            outbox_depth: Gauge::default(),
            registry: Registry::default(),
        };
        metrics.register_traffic(&mut registry);
        metrics.register_work(&mut registry);
        Metrics {
            registry,
            ..metrics
        }
    }

    /// What certdesk answers and what it asks DigiCert: requests, their time, the rate budget's
    /// waits and failed sign-ins.
    fn register_traffic(&self, registry: &mut Registry) {
        let metrics = self;
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            metrics.http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            metrics.http_seconds.clone(),
        );
        registry.register(
            "digicert_requests",
            "Calls to DigiCert's Services API by endpoint and status",
            metrics.digicert_requests.clone(),
        );
        registry.register(
            "digicert_request_duration_seconds",
            "Time DigiCert took to answer, by endpoint",
            metrics.digicert_seconds.clone(),
        );
        registry.register(
            "digicert_rate_limit_waits",
            "Times a DigiCert call waited for room in the rate budget",
            metrics.rate_limit_waits.clone(),
        );
        registry.register(
            "digicert_rate_limit_wait_seconds",
            "Seconds DigiCert calls spent waiting for the rate budget",
            metrics.rate_limit_wait_seconds.clone(),
        );
        registry.register(
            "sign_in_failures",
            "Failed sign-ins (wrong password, unknown or locked account)",
            metrics.sign_in_failures.clone(),
        );
    }

    /// What waits for people and for the outboxes: mails, the approval queues and jobs.
    fn register_work(&self, registry: &mut Registry) {
        let metrics = self;
        registry.register(
            "mails_sent",
            "Mails handed to the SMTP server",
            metrics.mails_sent.clone(),
        );
        registry.register(
            "mails_failed",
            "Attempts to send a mail that failed (it is retried)",
            metrics.mails_failed.clone(),
        );
        registry.register(
            "approval_queue_depth",
            "Requests waiting for an approver",
            metrics.approval_queue.clone(),
        );
        registry.register(
            "changes_waiting",
            "Reissues, duplicates and revocations waiting for an approver",
            metrics.changes_waiting.clone(),
        );
        registry.register(
            "jobs",
            "Outbox jobs for DigiCert by kind and state",
            metrics.jobs.clone(),
        );
        registry.register(
            "outbox_depth",
            "Everything still to be sent to DigiCert or a mail server",
            metrics.outbox_depth.clone(),
        );
    }

    /// The Prometheus text exposition of everything registered.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

/// This process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// A DigiCert path as a label: query dropped, numeric segments (ids) and serial numbers replaced
/// by `{id}`, so the label set stays small.
pub fn endpoint_label(path: &str) -> String {
    let path = path
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_start_matches('/');
    path.split('/')
        .map(|segment| {
            let id_like = !segment.is_empty()
                && (segment.bytes().all(|b| b.is_ascii_digit())
                    || (segment.len() >= 16 && segment.bytes().all(|b| b.is_ascii_hexdigit())));
            if id_like { "{id}" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/")
}

struct Depths {
    approval_queue: i64,
    mail_waiting: i64,
    changes_waiting: i64,
    place_due: i64,
    place_leased: i64,
    place_waiting: i64,
    track_due: i64,
    track_leased: i64,
    track_waiting: i64,
    change_due: i64,
    change_leased: i64,
    change_waiting: i64,
}

/// Reads the queue and outbox gauges from the database (one statement on small tables and
/// partial indexes), then encodes everything.
pub async fn scrape(pool: &sqlx::PgPool) -> Result<String, crate::error::AppError> {
    let d = sqlx::query_as!(
        Depths,
        r#"select
            (select count(*) from requests where status = 'pending_approval') as "approval_queue!",
            (select count(*) from mail_outbox where sent_at is null) as "mail_waiting!",
            (select count(*) from certificate_changes where status = 'pending_approval') as "changes_waiting!",
            count(*) filter (where kind = 'place' and state = 'due') as "place_due!",
            count(*) filter (where kind = 'place' and state = 'leased') as "place_leased!",
            count(*) filter (where kind = 'place' and state = 'waiting') as "place_waiting!",
            count(*) filter (where kind = 'track' and state = 'due') as "track_due!",
            count(*) filter (where kind = 'track' and state = 'leased') as "track_leased!",
            count(*) filter (where kind = 'track' and state = 'waiting') as "track_waiting!",
            count(*) filter (where kind = 'change' and state = 'due') as "change_due!",
            count(*) filter (where kind = 'change' and state = 'leased') as "change_leased!",
            count(*) filter (where kind = 'change' and state = 'waiting') as "change_waiting!"
           from (
             select kind, case when lease_until > now() then 'leased'
                               when next_attempt_at <= now() then 'due' else 'waiting' end as state
               from forward_jobs
             union all
             select 'change', case when lease_until > now() then 'leased'
                                   when next_attempt_at <= now() then 'due' else 'waiting' end
               from change_jobs
           ) jobs"#
    )
    .fetch_one(pool)
    .await?;
    let m = metrics();
    m.approval_queue.set(d.approval_queue);
    m.changes_waiting.set(d.changes_waiting);
    let mut outbox = d.mail_waiting;
    for (kind, state, n) in [
        ("place", "due", d.place_due),
        ("place", "leased", d.place_leased),
        ("place", "waiting", d.place_waiting),
        ("track", "due", d.track_due),
        ("track", "leased", d.track_leased),
        ("track", "waiting", d.track_waiting),
        ("change", "due", d.change_due),
        ("change", "leased", d.change_leased),
        ("change", "waiting", d.change_waiting),
    ] {
        m.jobs
            .get_or_create(&JobLabels {
                kind: kind.into(),
                state: state.into(),
            })
            .set(n);
        // Tracking an order sends nothing; placing it and changes do.
        if kind != "track" {
            outbox += n;
        }
    }
    m.outbox_depth.set(outbox);
    Ok(m.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_lose_their_ids() {
        assert_eq!(
            endpoint_label("order/certificate/100001/reissue"),
            "order/certificate/{id}/reissue"
        );
        assert_eq!(
            endpoint_label("/certificate/0A1B2C3D4E5F60718293/revoke"),
            "certificate/{id}/revoke"
        );
        assert_eq!(
            endpoint_label("order/certificate/status-changes?minutes=2"),
            "order/certificate/status-changes"
        );
        assert_eq!(
            endpoint_label("order/certificate/ssl_basic"),
            "order/certificate/ssl_basic"
        );
    }

    #[test]
    fn the_exposition_names_every_family_with_its_help() {
        let m = metrics();
        m.sign_in_failures.inc();
        m.http_requests
            .get_or_create(&HttpLabels {
                route: "/healthz".into(),
                method: "GET".into(),
                status: 200,
            })
            .inc();
        let text = m.encode();
        assert!(
            text.contains("# HELP certdesk_sign_in_failures Failed sign-ins"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE certdesk_http_requests counter"),
            "{text}"
        );
        assert!(
            text.contains(
                r#"certdesk_http_requests_total{route="/healthz",method="GET",status="200"}"#
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
