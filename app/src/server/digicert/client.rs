use super::error::DigicertError;
use super::ratelimit::RateLimiter;
use crate::encoding::encode_component as encode;
use crate::features::digicert::account::{
    ChainAnswer, ContainerList, CustomFieldDefinition, CustomFieldList, OrderInfo,
    OrderStatusEntry, OrderStatusList, OrganizationList, OrganizationSummary, PotentialApprovers,
    ProductInfo, ProductLimits, UserList, ValidationList,
};
use crate::features::digicert::dcv::{
    AccountDomain, DcvCheck, DcvRandomValue, DcvRecord, DomainList,
};
use crate::features::digicert::lifecycle::{
    AccountRequest, AccountRequestList, NewCertificateBody, OrderCertificateEntry,
    OrderCertificateList, Revocation, RevokeBody,
};
use crate::features::digicert::payload::{DcvMethod, OrderCreated, OrderRequest};
use crate::features::digicert::pricing::{PriceAnswer, pricing_query};
use rand::Rng;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Backoff for transient failures: full jitter between zero and `base × 2^attempt`, capped.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let millis = ceiling.as_millis() as u64;
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }
}

pub struct ClientSettings {
    /// `https://www.digicert.com/services/v2`, the EU instance, or the simulator.
    pub base_url: String,
    pub api_key: SecretString,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub retry: RetryPolicy,
    pub limiter: RateLimiter,
}

impl ClientSettings {
    pub fn new(base_url: impl Into<String>, api_key: SecretString) -> Self {
        ClientSettings {
            base_url: base_url.into(),
            api_key,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(45),
            retry: RetryPolicy::default(),
            limiter: RateLimiter::digicert_default(),
        }
    }
}

/// How an order came to exist at DigiCert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Our POST was answered: the order is new.
    Created(OrderCreated),
    /// An earlier attempt had already placed it; found by its alternative order id.
    Adopted(OrderStatusEntry),
}

impl Placement {
    pub fn order_id(&self) -> i64 {
        match self {
            Placement::Created(created) => created.id,
            Placement::Adopted(entry) => entry.order_id,
        }
    }

    pub fn certificate_id(&self) -> Option<i64> {
        match self {
            Placement::Created(created) => created.certificate_id,
            Placement::Adopted(entry) => entry.certificate_id,
        }
    }

    /// DigiCert's request for a new order (its first), and the order's status as DigiCert gave it.
    pub fn request_and_status(&self) -> (Option<i64>, String) {
        match self {
            Placement::Created(created) => {
                let first = created.requests.first();
                let status = first.and_then(|r| r.status.clone());
                (
                    first.map(|r| r.id),
                    status.unwrap_or_else(|| "pending".into()),
                )
            }
            Placement::Adopted(entry) => (None, entry.status.clone()),
        }
    }

    /// A new order issued at once (domains and organization already validated): its
    /// certificate, and the chain as one PEM bundle.
    pub fn issued_at_once(&self) -> Option<(i64, String)> {
        let Placement::Created(created) = self else {
            return None;
        };
        if created.certificate_chain.is_empty() {
            return None;
        }
        let bundle = created
            .certificate_chain
            .iter()
            .map(|c| format!("{}\n", c.pem.trim_end()))
            .collect();
        created.certificate_id.map(|id| (id, bundle))
    }
}

/// https, or plain http to a loopback address (the simulator on this machine).
pub fn check_base_url(base_url: &str) -> Result<(), DigicertError> {
    let refuse = || {
        DigicertError::Connect(format!(
            "the DigiCert base URL {base_url:?} must be https (plain http only to a loopback simulator)"
        ))
    };
    let url = reqwest::Url::parse(base_url).map_err(|_| refuse())?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(refuse()),
    }
}

/// The CertCentral Services API client. The key is sent only in the `X-DC-DEVKEY` header and
/// appears in no error, log line or `Debug` output.
pub struct DigicertClient {
    http: reqwest::Client,
    base_url: String,
    api_key: SecretString,
    retry: RetryPolicy,
    limiter: RateLimiter,
}

impl std::fmt::Debug for DigicertClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigicertClient")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl DigicertClient {
    pub fn new(settings: ClientSettings) -> Result<Self, DigicertError> {
        check_base_url(&settings.base_url)?;
        // A redirect could carry the key header to another host: none is followed. Plain http is
        // allowed only to a loopback simulator (checked above); real DigiCert is https.
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("certdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DigicertError::Connect(e.to_string()))?;
        Ok(DigicertClient {
            http,
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            api_key: settings.api_key,
            retry: settings.retry,
            limiter: settings.limiter,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether a call now would wait for the rate budget.
    pub async fn budget_exhausted(&self) -> Result<bool, sqlx::Error> {
        self.limiter.exhausted().await
    }

    /// One HTTP exchange, rate limited; answers the status and body text.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(StatusCode, String), DigicertError> {
        self.limiter.acquire().await;
        let url = format!("{}/{}", self.base_url, path.trim_start_matches('/'));
        let mut key = reqwest::header::HeaderValue::from_str(self.api_key.expose_secret())
            .map_err(|_| {
                DigicertError::Connect("the DigiCert API key is not a valid header".into())
            })?;
        // Sensitive: left out of any Debug output and HTTP/2 header compression tables.
        key.set_sensitive(true);
        let mut request = self
            .http
            .request(method, url)
            .header("X-DC-DEVKEY", key)
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = std::time::Instant::now();
        let answer = async {
            let response = request.send().await.map_err(network_error)?;
            let status = response.status();
            let text = response.text().await.map_err(network_error)?;
            Ok::<_, DigicertError>((status, text))
        }
        .await;
        record_call(path, started.elapsed(), &answer);
        let (status, text) = answer?;
        if status.is_success() {
            Ok((status, text))
        } else {
            Err(DigicertError::from_response(status.as_u16(), &text))
        }
    }

    /// A GET decoded as `T`, retried with backoff while the failure is transient.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, DigicertError> {
        let text = self.get_text(path).await?;
        serde_json::from_str(&text).map_err(|e| DigicertError::Decode(e.to_string()))
    }

    async fn get_text(&self, path: &str) -> Result<String, DigicertError> {
        let mut attempt = 0;
        loop {
            match self.send(Method::GET, path, None).await {
                Ok((_, text)) => return Ok(text),
                Err(err) if err.is_transient() && attempt + 1 < self.retry.max_attempts => {
                    tracing::warn!(%err, path, attempt, "DigiCert read failed; retrying");
                    tokio::time::sleep(self.retry.delay(attempt)).await;
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Places an order exactly once. The order must carry an `alternative_order_id`. After an
    /// answer that leaves it unknown whether DigiCert created the order (a timeout, a 5xx, a
    /// broken connection, a duplicate-id refusal), the order is looked up by that id before any
    /// new POST. `may_exist` says an earlier attempt (say, before a restart) may have placed it.
    pub async fn place_order(
        &self,
        order: &OrderRequest,
        may_exist: bool,
    ) -> Result<Placement, DigicertError> {
        let alternative_id = order
            .alternative_order_id()
            .ok_or_else(|| DigicertError::Decode("an order needs an alternative_order_id".into()))?
            .to_owned();
        let body = order.body_json();
        let mut uncertain = may_exist;
        let mut last_error = None;
        for attempt in 0..self.retry.max_attempts {
            if attempt > 0 {
                tokio::time::sleep(self.retry.delay(attempt - 1)).await;
            }
            if uncertain {
                match self.orders_by_alternative_id(&alternative_id).await {
                    Ok(found) => {
                        if let Some(existing) = found.into_iter().next() {
                            tracing::info!(
                                order_id = existing.order_id,
                                "found the order placed by an earlier attempt"
                            );
                            return Ok(Placement::Adopted(existing));
                        }
                        uncertain = false;
                    }
                    Err(err) if err.is_transient() => {
                        last_error = Some(err);
                        continue;
                    }
                    Err(err) => return Err(err),
                }
            }
            match self.send(Method::POST, &order.path(), Some(&body)).await {
                Ok((_, text)) => {
                    return match serde_json::from_str::<OrderCreated>(&text) {
                        Ok(created) => Ok(Placement::Created(created)),
                        Err(e) => {
                            // Accepted, but unreadable: look it up rather than POST again.
                            uncertain = true;
                            last_error = Some(DigicertError::Decode(e.to_string()));
                            continue;
                        }
                    };
                }
                Err(err) if err.may_have_created() => {
                    tracing::warn!(%err, attempt, "order placement answer lost; will look it up");
                    uncertain = true;
                    last_error = Some(err);
                }
                Err(err) if err.is_transient() => {
                    tracing::warn!(%err, attempt, "order placement refused for now; will retry");
                    last_error = Some(err);
                }
                Err(err) => return Err(err),
            }
        }
        Err(last_error.unwrap_or(DigicertError::Timeout))
    }

    /// `GET order/alternate/{id}`; a 404 means no such order.
    pub async fn orders_by_alternative_id(
        &self,
        alternative_id: &str,
    ) -> Result<Vec<OrderStatusEntry>, DigicertError> {
        match self
            .get::<OrderStatusList>(&format!("order/alternate/{}", encode(alternative_id)))
            .await
        {
            Ok(list) => Ok(list.orders),
            Err(err) if err.is_not_found() => Ok(Vec::new()),
            Err(err) => Err(err),
        }
    }

    pub async fn order_info(&self, order_id: i64) -> Result<OrderInfo, DigicertError> {
        self.get(&format!("order/certificate/{order_id}")).await
    }

    /// Orders whose status changed in the last `minutes` (at most a week).
    pub async fn status_changes(
        &self,
        minutes: u32,
    ) -> Result<Vec<OrderStatusEntry>, DigicertError> {
        let list: OrderStatusList = self
            .get(&format!(
                "order/certificate/status-changes?minutes={}",
                minutes.min(10080)
            ))
            .await?;
        Ok(list.orders)
    }

    /// `PUT order/certificate/{id}/status`, e.g. to cancel with a note.
    pub async fn update_order_status(
        &self,
        order_id: i64,
        status: &str,
        note: &str,
    ) -> Result<(), DigicertError> {
        let body = serde_json::json!({ "status": status, "note": note });
        self.send(
            Method::PUT,
            &format!("order/certificate/{order_id}/status"),
            Some(&body),
        )
        .await
        .map(|_| ())
    }

    /// The leaf, intermediates and root as one PEM bundle.
    pub async fn download_pem_all(&self, certificate_id: i64) -> Result<String, DigicertError> {
        self.get_text(&format!(
            "certificate/{certificate_id}/download/format/pem_all"
        ))
        .await
    }

    pub async fn certificate_chain(
        &self,
        certificate_id: i64,
    ) -> Result<ChainAnswer, DigicertError> {
        self.get(&format!("certificate/{certificate_id}/chain"))
            .await
    }

    pub async fn organizations(&self) -> Result<Vec<OrganizationSummary>, DigicertError> {
        Ok(self
            .get::<OrganizationList>("organization")
            .await?
            .organizations)
    }

    pub async fn organization(
        &self,
        organization_id: i64,
    ) -> Result<OrganizationSummary, DigicertError> {
        self.get(&format!("organization/{organization_id}")).await
    }

    pub async fn organization_validations(
        &self,
        organization_id: i64,
    ) -> Result<ValidationList, DigicertError> {
        self.get(&format!("organization/{organization_id}/validation"))
            .await
    }

    /// People who may be named EV approver for the organization.
    pub async fn potential_approvers(
        &self,
        organization_id: i64,
    ) -> Result<PotentialApprovers, DigicertError> {
        self.get(&format!(
            "organization/potential-approvers?organization_id={organization_id}"
        ))
        .await
    }

    pub async fn containers(&self) -> Result<ContainerList, DigicertError> {
        self.get("container").await
    }

    pub async fn product_info(&self, name_id: &str) -> Result<ProductInfo, DigicertError> {
        self.get(&format!("product/{}", encode(name_id))).await
    }

    pub async fn users(&self) -> Result<UserList, DigicertError> {
        self.get("user").await
    }

    /// A PUT decoded as `T` (an empty answer decodes as `{}`); not retried, as every PUT here is
    /// asked for by a person or a worker that asks again anyway.
    async fn put<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, DigicertError> {
        let (_, text) = self.send(Method::PUT, path, Some(body)).await?;
        let text = if text.trim().is_empty() { "{}" } else { &text };
        serde_json::from_str(text).map_err(|e| DigicertError::Decode(e.to_string()))
    }

    /// `PUT order/certificate/{id}/check-dcv`: DigiCert looks for the order's DCV records now.
    /// Nothing found yet is an error for which [`DigicertError::is_dcv_not_found`] holds.
    pub async fn check_dcv(&self, order_id: i64) -> Result<DcvCheck, DigicertError> {
        self.put(
            &format!("order/certificate/{order_id}/check-dcv"),
            &serde_json::json!({}),
        )
        .await
    }

    /// `PUT order/certificate/{id}/dcv-method`: a new method and with it a new random value.
    pub async fn change_dcv_method(
        &self,
        order_id: i64,
        method: DcvMethod,
    ) -> Result<DcvRandomValue, DigicertError> {
        self.put(
            &format!("order/certificate/{order_id}/dcv-method"),
            &serde_json::json!({ "dcv_method": method.as_str() }),
        )
        .await
    }

    /// `PUT order/certificate/{id}/dcv-random-value`: the order's value (a new one once expired).
    pub async fn dcv_random_value(&self, order_id: i64) -> Result<DcvRandomValue, DigicertError> {
        self.put(
            &format!("order/certificate/{order_id}/dcv-random-value"),
            &serde_json::json!({}),
        )
        .await
    }

    /// `POST finance/order-pricing`: DigiCert's estimate for `order` (0 when it cannot tell).
    pub async fn order_pricing(&self, order: &OrderRequest) -> Result<PriceAnswer, DigicertError> {
        let (_, text) = self
            .send(
                Method::POST,
                "finance/order-pricing",
                Some(&pricing_query(order)),
            )
            .await?;
        serde_json::from_str(&text).map_err(|e| DigicertError::Decode(e.to_string()))
    }

    /// What the account's users may order under `container_id` (hashes, lifetimes).
    pub async fn product_limits(&self, container_id: i64) -> Result<ProductLimits, DigicertError> {
        self.get(&format!("container/{container_id}/product-limits"))
            .await
    }

    /// The account's custom order fields.
    pub async fn custom_fields(&self) -> Result<Vec<CustomFieldDefinition>, DigicertError> {
        Ok(self
            .get::<CustomFieldList>("account/metadata")
            .await?
            .metadata)
    }

    /// Every domain of the account with its validations and DCV expiry.
    pub async fn domains(&self) -> Result<Vec<AccountDomain>, DigicertError> {
        Ok(self
            .get::<DomainList>("domain?include_dcv_expiration_time=true&include_validation=true")
            .await?
            .domains)
    }

    /// `POST order/certificate/{id}/reissue` or `…/duplicate`, sent once: there is no
    /// idempotency key, so the caller recognises an earlier attempt from the lists below before
    /// it calls this again.
    pub async fn new_certificate(
        &self,
        order_id: i64,
        duplicate: bool,
        body: &NewCertificateBody,
    ) -> Result<OrderCreated, DigicertError> {
        let what = if duplicate { "duplicate" } else { "reissue" };
        let body = serde_json::to_value(body).map_err(|e| DigicertError::Decode(e.to_string()))?;
        let (_, text) = self
            .send(
                Method::POST,
                &format!("order/certificate/{order_id}/{what}"),
                Some(&body),
            )
            .await?;
        serde_json::from_str(&text).map_err(|e| DigicertError::Decode(e.to_string()))
    }

    /// The order's certificates: `GET order/certificate/{id}/reissue` (current first, then those
    /// it replaced) or `…/duplicate`.
    pub async fn order_certificates(
        &self,
        order_id: i64,
        duplicates: bool,
    ) -> Result<Vec<OrderCertificateEntry>, DigicertError> {
        let what = if duplicates { "duplicate" } else { "reissue" };
        Ok(self
            .get::<OrderCertificateList>(&format!("order/certificate/{order_id}/{what}"))
            .await?
            .certificates)
    }

    /// `PUT certificate/{id or serial}/revoke`, or `PUT order/certificate/{id}/revoke` for the
    /// whole order when `certificate` is `None`.
    pub async fn revoke(
        &self,
        order_id: i64,
        certificate: Option<&str>,
        body: &RevokeBody,
    ) -> Result<Revocation, DigicertError> {
        let path = match certificate {
            Some(id) => format!("certificate/{}/revoke", encode(id)),
            None => format!("order/certificate/{order_id}/revoke"),
        };
        let body = serde_json::to_value(body).map_err(|e| DigicertError::Decode(e.to_string()))?;
        let (status, text) = self.send(Method::PUT, &path, Some(&body)).await?;
        if status == StatusCode::NO_CONTENT || text.trim().is_empty() {
            return Ok(Revocation::Revoked);
        }
        let request: AccountRequest =
            serde_json::from_str(&text).map_err(|e| DigicertError::Decode(e.to_string()))?;
        Ok(Revocation::Pending(request.id))
    }

    /// Revoke requests still waiting for an account administrator.
    pub async fn pending_revoke_requests(&self) -> Result<Vec<AccountRequest>, DigicertError> {
        Ok(self
            .get::<AccountRequestList>("request?filters[status]=pending&filters[type]=revoke")
            .await?
            .requests)
    }

    /// `GET request/{id}`: a revoke request's status (`pending`, `approved`, `rejected`).
    pub async fn account_request(&self, request_id: i64) -> Result<AccountRequest, DigicertError> {
        self.get(&format!("request/{request_id}")).await
    }

    /// Demo mode only: writes a record into the embedded simulator's DNS or web (its
    /// `__simulator/records` control path, which DigiCert does not have).
    pub async fn publish_in_simulator(&self, record: &DcvRecord) -> Result<(), DigicertError> {
        let body = match record {
            DcvRecord::Txt { name, value } => {
                serde_json::json!({ "type": "txt", "name": name, "value": value })
            }
            DcvRecord::Cname { name, target } => {
                serde_json::json!({ "type": "cname", "name": name, "target": target })
            }
            DcvRecord::File { url, content } => {
                serde_json::json!({ "type": "http", "url": url, "content": content })
            }
            DcvRecord::Email => return Ok(()),
        };
        self.send(Method::PUT, "__simulator/records", Some(&body))
            .await
            .map(|_| ())
    }
}

/// One DigiCert call in the metrics: its endpoint (ids replaced), status and time.
fn record_call(path: &str, took: Duration, answer: &Result<(StatusCode, String), DigicertError>) {
    use crate::server::metrics::{DigicertLabels, EndpointLabels, endpoint_label, metrics};
    let endpoint = endpoint_label(path);
    let status = match answer {
        Ok((status, _)) => status.as_u16().to_string(),
        Err(DigicertError::Timeout) => "timeout".into(),
        Err(DigicertError::Connect(_)) => "connect".into(),
        Err(_) => "transport".into(),
    };
    let m = metrics();
    m.digicert_requests
        .get_or_create(&DigicertLabels {
            endpoint: endpoint.clone(),
            status,
        })
        .inc();
    m.digicert_seconds
        .get_or_create(&EndpointLabels { endpoint })
        .observe(took.as_secs_f64());
}

/// Classifies a reqwest failure without its URL or headers.
fn network_error(err: reqwest::Error) -> DigicertError {
    if err.is_timeout() {
        DigicertError::Timeout
    } else if err.is_connect() {
        DigicertError::Connect(root_cause(&err))
    } else {
        DigicertError::Transport(root_cause(&err))
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(answer: serde_json::Value) -> Placement {
        Placement::Created(serde_json::from_value(answer).unwrap())
    }

    #[test]
    fn a_new_order_gives_its_first_request_and_status_an_adopted_one_its_status() {
        let new =
            created(serde_json::json!({"id": 7, "requests": [{"id": 70, "status": "approved"}]}));
        assert_eq!(new.request_and_status(), (Some(70), "approved".to_owned()));
        let bare = created(serde_json::json!({"id": 7}));
        assert_eq!(bare.request_and_status(), (None, "pending".to_owned()));
        let adopted = Placement::Adopted(
            serde_json::from_value(
                serde_json::json!({"order_id": 7, "status": "issued", "certificate_id": 9}),
            )
            .unwrap(),
        );
        assert_eq!(adopted.request_and_status(), (None, "issued".to_owned()));
        assert_eq!(adopted.issued_at_once(), None);
    }

    #[test]
    fn an_order_issued_at_once_brings_its_chain_as_one_bundle() {
        let issued = created(serde_json::json!({
            "id": 7,
            "certificate_id": 9,
            "certificate_chain": [
                {"subject_common_name": "example.com", "pem": "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n"},
                {"pem": "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----"}
            ]
        }));
        let (id, bundle) = issued.issued_at_once().unwrap();
        assert_eq!(id, 9);
        assert_eq!(bundle.matches("-----END CERTIFICATE-----\n").count(), 2);
        assert!(bundle.starts_with("-----BEGIN CERTIFICATE-----\nA"));
        // Waiting for validation: a certificate id may come, the chain does not.
        let waiting = created(serde_json::json!({"id": 7, "certificate_id": 9}));
        assert_eq!(waiting.issued_at_once(), None);
    }

    #[test]
    fn backoff_stays_under_its_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for attempt in 0..20 {
            let d = policy.delay(attempt);
            assert!(d <= Duration::from_secs(1), "{d:?}");
            assert!(d <= Duration::from_millis(100) * 2u32.pow(attempt.min(10)));
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        let client = DigicertClient::new(ClientSettings::new(
            "http://127.0.0.1:9/services/v2",
            SecretString::from("super-secret-key".to_owned()),
        ))
        .unwrap();
        assert!(!format!("{client:?}").contains("super-secret-key"));
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode("cd0123"), "cd0123");
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
    }
}
