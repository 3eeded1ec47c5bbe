//! The DigiCert simulator: the CertCentral Services API paths under `/services/v2`, with
//! validation (the same rules certdesk applies), DigiCert's error bodies, per-key rate limits,
//! real X.509 issuance from a test CA, and injectable faults. Runs alone
//! (`certdesk digicert-sim`) or inside the portal in demo mode.
//!
//! Besides DigiCert's own paths it serves `/services/v2/__simulator/…` for tests: counts,
//! fault plans, issuance mode and manual issuance. These are not part of DigiCert's API.

mod account;
mod auto_renew;
pub mod ca;
pub mod cli;
pub mod dcv;
mod domains;
mod duplicate;
mod finance;
mod handlers;
mod reissue;
pub(crate) mod revoke;

use app::server::digicert::{SendLog, Window};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// What a key may do: everything, or only read (DigiCert's "View Only" role 102).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    Full,
    ViewOnly,
}

/// When orders placed with `skip_approval` are issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issuance {
    /// In the order's own answer, with `certificate_chain` (domains and organization validated).
    Immediate,
    /// This many seconds after the order is placed (validation taking time).
    AfterSeconds(u64),
    /// Only when a test calls `POST __simulator/orders/{id}/issue`.
    Manual,
    /// As DigiCert: at once when every name is on a domain the account has validated, otherwise
    /// once the order's DCV is found in the simulated DNS or web (demo mode's default).
    Dcv,
}

impl Issuance {
    /// `dcv`, `immediate`, `manual`, or a number of seconds.
    pub fn parse(text: &str) -> Result<Issuance, String> {
        match text.trim() {
            "dcv" => Ok(Issuance::Dcv),
            "immediate" => Ok(Issuance::Immediate),
            "manual" => Ok(Issuance::Manual),
            seconds => seconds
                .parse::<u64>()
                .map(Issuance::AfterSeconds)
                .map_err(|_| {
                    format!("\"{text}\" is not dcv, immediate, manual or a number of seconds")
                }),
        }
    }
}

/// Probabilities (0–1) of each injected fault, drawn per request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    /// 500 before the request is processed.
    pub server_error: f64,
    /// 503 before the request is processed.
    pub unavailable: f64,
    /// 429 before the request is processed (on top of the real rate limit).
    pub too_many_requests: f64,
    /// The request is processed, then the answer is held back longer than clients wait.
    pub timeout: f64,
    /// An order is created, then the connection breaks before the answer's body arrives.
    pub drop_after_create: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub requests: u64,
    pub orders_created: u64,
    pub rate_limited: u64,
    pub injected_server_error: u64,
    pub injected_unavailable: u64,
    pub injected_too_many_requests: u64,
    pub injected_timeout: u64,
    pub injected_drop_after_create: u64,
    pub reissues_created: u64,
    pub duplicates_created: u64,
}

/// Answer of `GET __simulator/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub counters: Counters,
    /// Orders per alternative order id.
    pub orders_per_alternative_id: BTreeMap<String, u64>,
    /// Alternative ids that carry more than one order.
    pub duplicated_alternative_ids: Vec<String>,
    /// Reissues placed per order id.
    pub reissues_per_order: BTreeMap<i64, u64>,
}

pub struct SimSettings {
    pub api_keys: Vec<(String, KeyRole)>,
    /// Rolling windows per key; DigiCert's are 100 per 5 s and 1000 per 5 min.
    pub limits: Vec<Window>,
    pub issuance: Issuance,
    /// The account option "Require unique alternative order IDs".
    pub require_unique_alternative_ids: bool,
    pub faults: FaultPlan,
    /// How long an injected timeout holds the answer.
    pub slow_answer: Duration,
    /// How often DigiCert looks for a pending order's DCV records on its own (`check-dcv` looks
    /// at once).
    pub own_dcv_check_every: Duration,
}

impl SimSettings {
    pub fn new(api_key: impl Into<String>) -> Self {
        SimSettings {
            api_keys: vec![(api_key.into(), KeyRole::Full)],
            limits: vec![
                Window {
                    max_requests: 100,
                    period: Duration::from_secs(5),
                },
                Window {
                    max_requests: 1000,
                    period: Duration::from_secs(300),
                },
            ],
            issuance: Issuance::Immediate,
            require_unique_alternative_ids: true,
            faults: FaultPlan::default(),
            slow_answer: Duration::from_secs(60),
            own_dcv_check_every: Duration::from_secs(60),
        }
    }
}

/// One order held by the simulator.
pub(crate) struct SimOrder {
    pub id: i64,
    pub certificate_id: i64,
    pub request_id: Option<i64>,
    pub request_status: Option<String>,
    pub alternative_order_id: Option<String>,
    pub product: app::features::digicert::products::ProductId,
    pub status: String,
    pub status_changed: time::OffsetDateTime,
    pub created: time::OffsetDateTime,
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub csr: Option<String>,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    pub signature_hash: String,
    pub cert_days: u32,
    pub order_valid_till: time::Date,
    pub issue_at: Option<Instant>,
    pub issued: Option<ca::Issued>,
    pub server_auth: bool,
    /// Domain validation, for public TLS orders.
    pub dcv: Option<dcv::OrderDcv>,
    /// When DigiCert's own polling last looked for this order's records.
    pub dcv_polled_at: Instant,
    /// Certificates the order held before its current one (reissues replace them).
    pub past: Vec<PastCertificate>,
    /// Revoked certificates of the order, with the reason.
    pub revoked: HashMap<i64, String>,
    /// Duplicates: same names and end, other keys.
    pub duplicates: Vec<PastCertificate>,
    /// Reissues placed on this order.
    pub reissues: u64,
    /// The order this one renews, when DigiCert placed it itself (`auto_renew`).
    pub renewed_order_id: Option<i64>,
}

/// A revocation that waits for an account admin's approval (`PUT request/{id}/status`).
#[derive(Clone)]
pub(crate) struct RevokeRequest {
    pub id: i64,
    pub order_id: i64,
    /// `None`: the whole order.
    pub certificate_id: Option<i64>,
    pub reason: String,
    pub comments: String,
    pub status: String,
    pub date: time::OffsetDateTime,
}

/// A certificate an order held before a reissue: `active` until the reissue is issued, then
/// `superseded`.
#[derive(Clone)]
pub(crate) struct PastCertificate {
    pub certificate_id: i64,
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub csr: Option<String>,
    pub issued: Option<ca::Issued>,
    pub status: String,
    pub created: time::OffsetDateTime,
}

#[derive(Default)]
pub(crate) struct Orders {
    pub next_id: i64,
    pub by_id: BTreeMap<i64, SimOrder>,
    pub by_alternative_id: HashMap<String, Vec<i64>>,
    pub by_certificate_id: HashMap<i64, i64>,
    /// Reissues placed so far (their certificate ids count from 2,000,001).
    pub reissued: i64,
    /// Revoke requests waiting for approval, and decided ones.
    pub revoke_requests: Vec<RevokeRequest>,
}

impl Orders {
    /// The order a path names (`{id}`), when the simulator holds it.
    pub fn known(&self, id: &str) -> Option<i64> {
        id.parse::<i64>()
            .ok()
            .filter(|id| self.by_id.contains_key(id))
    }
}

pub(crate) struct Inner {
    pub keys: Vec<(String, KeyRole)>,
    pub limits: Vec<Window>,
    pub require_unique_alternative_ids: bool,
    pub slow_answer: Duration,
    pub own_dcv_check_every: Duration,
    pub faults: Mutex<FaultPlan>,
    pub issuance: Mutex<Issuance>,
    pub sent: Mutex<HashMap<String, SendLog>>,
    pub orders: Mutex<Orders>,
    pub counters: Mutex<Counters>,
    pub ca: ca::TestCa,
    pub account: account::Account,
    /// Organizations switched active or inactive at run time (an account admin's fix).
    pub organization_active: Mutex<HashMap<i64, bool>>,
    /// The account's validated domains and the simulated DNS and web. Locked after `orders`.
    pub dcv: Mutex<dcv::DcvWorld>,
    /// The account option "Multi-year Plans": off, orders run one year.
    pub multi_year_plans: Mutex<bool>,
    /// The account option that makes every revocation wait for an account admin, whatever
    /// `skip_approval` says.
    pub revocations_need_approval: Mutex<bool>,
    /// The account's custom order fields (an account admin may change them at any time).
    pub custom_fields: Mutex<Vec<app::features::digicert::account::CustomFieldDefinition>>,
}

/// A running simulator's shared state; cheap to clone.
#[derive(Clone)]
pub struct Simulator {
    pub(crate) inner: Arc<Inner>,
}

impl Simulator {
    pub fn new(settings: SimSettings) -> anyhow::Result<Simulator> {
        Ok(Simulator {
            inner: Arc::new(Inner {
                keys: settings.api_keys,
                limits: settings.limits,
                require_unique_alternative_ids: settings.require_unique_alternative_ids,
                slow_answer: settings.slow_answer,
                own_dcv_check_every: settings.own_dcv_check_every,
                faults: Mutex::new(settings.faults),
                issuance: Mutex::new(settings.issuance),
                sent: Mutex::new(HashMap::new()),
                orders: Mutex::new(Orders {
                    next_id: 100_001,
                    ..Orders::default()
                }),
                counters: Mutex::new(Counters::default()),
                ca: ca::TestCa::new().map_err(|e| anyhow::anyhow!("creating the test CA: {e}"))?,
                account: account::Account::seeded(),
                organization_active: Mutex::new(HashMap::new()),
                dcv: Mutex::new(dcv::DcvWorld::seeded(
                    time::OffsetDateTime::now_utc().date(),
                )),
                custom_fields: Mutex::new(account::custom_fields()),
                multi_year_plans: Mutex::new(true),
                revocations_need_approval: Mutex::new(false),
            }),
        })
    }

    /// The API under `/services/v2`.
    pub fn router(&self) -> axum::Router {
        handlers::router(self.clone())
    }

    pub fn stats(&self) -> Stats {
        handlers::stats(&self.inner)
    }

    pub fn set_faults(&self, plan: FaultPlan) {
        *self.inner.faults.lock().expect("faults lock") = plan;
    }

    /// Activates or deactivates an organization of the seeded account, as DigiCert's account
    /// admins do (a fix that lets a refused order through on retry).
    pub fn set_organization_active(&self, id: i64, active: bool) {
        self.inner
            .organization_active
            .lock()
            .expect("organization lock")
            .insert(id, active);
    }

    /// Makes every revocation wait for an account admin's approval (or not).
    pub fn set_revocations_need_approval(&self, required: bool) {
        *self
            .inner
            .revocations_need_approval
            .lock()
            .expect("revocation lock") = required;
    }

    /// Approves or rejects a pending revoke request, as an account admin in CertCentral would.
    pub fn decide_revoke_request(&self, request_id: i64, approve: bool) -> bool {
        let mut orders = self.inner.orders.lock().expect("orders");
        if !orders.revoke_requests.iter().any(|r| r.id == request_id) {
            return false;
        }
        let status = if approve { "approved" } else { "rejected" };
        revoke::decide(&mut orders, request_id, status)
            .status()
            .is_success()
    }

    /// DigiCert's `auto_renew` near the end of `order_id`'s term: a successor order for the same
    /// names, organization and CSR, placed by DigiCert (no alternative order id), which shows up
    /// in the status-changes feed. Answers the new order's id.
    pub fn auto_renew(&self, order_id: i64) -> Option<i64> {
        auto_renew::renew(&self.inner, order_id)
    }

    /// Turns the account's Multi-year Plans on or off.
    pub fn set_multi_year_plans(&self, enabled: bool) {
        *self.inner.multi_year_plans.lock().expect("plans lock") = enabled;
    }

    /// Replaces the account's custom order fields, as an account admin would.
    pub fn set_custom_fields(
        &self,
        fields: Vec<app::features::digicert::account::CustomFieldDefinition>,
    ) {
        *self.inner.custom_fields.lock().expect("custom fields lock") = fields;
    }

    /// The seeded custom order fields ("Cost center" required, "Ticket" optional).
    pub fn seeded_custom_fields() -> Vec<app::features::digicert::account::CustomFieldDefinition> {
        account::custom_fields()
    }

    /// Puts a record into the simulated DNS or web.
    pub fn publish(&self, record: &dcv::Record) {
        self.inner
            .dcv
            .lock()
            .expect("dcv lock")
            .records
            .publish(record);
    }

    /// The per-domain switch: the account has validated `name` (and its subdomains) today.
    pub fn validate_domain(&self, name: &str) {
        let today = time::OffsetDateTime::now_utc().date();
        self.inner.dcv.lock().expect("dcv lock").validate(
            name,
            app::features::digicert::payload::DcvMethod::DnsTxtToken,
            today,
        );
    }

    pub fn set_issuance(&self, issuance: Issuance) {
        *self.inner.issuance.lock().expect("issuance lock") = issuance;
    }

    /// Serves the simulator on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// The simulator inside the portal (demo mode): a loopback port of its own and a random key.
pub struct EmbeddedSimulator {
    pub target: crate::startup::DigicertTarget,
    pub simulator: Simulator,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl EmbeddedSimulator {
    /// `CERTDESK_SIMULATOR_LISTEN` (default a free loopback port) and `CERTDESK_SIMULATOR_ISSUE`
    /// (default `dcv`: unvalidated domains wait for DCV, as at DigiCert) shape it.
    pub async fn start(config: &app::server::Config) -> anyhow::Result<EmbeddedSimulator> {
        let mut settings = SimSettings::new(random_key());
        settings.issuance = config
            .simulator_issuance
            .as_deref()
            .map(Issuance::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("CERTDESK_SIMULATOR_ISSUE: {e}"))?
            .unwrap_or(Issuance::Dcv);
        let key = settings.api_keys[0].0.clone();
        let listener = tokio::net::TcpListener::bind(config.simulator_listen)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot start the DigiCert simulator on {}: {e}",
                    config.simulator_listen
                )
            })?;
        let addr = listener.local_addr()?;
        let simulator = Simulator::new(settings)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(simulator.clone().serve(listener, async {
            let _ = stopped.await;
        }));
        Ok(EmbeddedSimulator {
            target: crate::startup::DigicertTarget {
                base_url: format!("http://{addr}/services/v2"),
                api_key: secrecy::SecretString::from(key),
            },
            simulator,
            stop,
            task,
        })
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn random_key() -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::thread_rng().r#gen();
    hex::encode(bytes)
}
