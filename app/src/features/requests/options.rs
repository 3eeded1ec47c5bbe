//! The pickers of the order forms, filled from DigiCert (the simulator in demo mode): the
//! organizations with their EV approvers, containers, server platforms and private CAs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvApprover {
    pub id: i64,
    pub name: String,
    pub job_title: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationChoice {
    pub id: i64,
    pub name: String,
    /// Filled for EV products only.
    pub ev_approvers: Vec<EvApprover>,
    /// Whether DigiCert's OV and EV validations of the organization are active.
    pub ov_active: bool,
    pub ev_active: bool,
}

impl OrganizationChoice {
    /// "OV active · EV pending" style words for the picker.
    pub fn validation_words(&self) -> String {
        let word = |active| if active { "active" } else { "not active" };
        format!("OV {} · EV {}", word(self.ov_active), word(self.ev_active))
    }
}

/// One of the account's custom order fields, as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldChoice {
    pub id: i64,
    pub label: String,
    pub required: bool,
    /// `text`, `int`, `email_address`, `email_list`.
    pub data_type: String,
    pub description: String,
}

impl CustomFieldChoice {
    /// The form field's name, `cf_<id>`.
    pub fn name(&self) -> String {
        super::model::custom_field_name(self.id)
    }
}

/// What one order form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderOptions {
    pub organizations: Vec<OrganizationChoice>,
    pub containers: Vec<Choice>,
    pub server_platforms: Vec<Choice>,
    pub private_cas: Vec<Choice>,
    /// The account's active custom order fields.
    pub custom_fields: Vec<CustomFieldChoice>,
    /// Years an order may run (2 and 3 only with Multi-year Plans), and the signature hashes,
    /// from the product and the account's limits.
    pub order_years: Vec<u32>,
    pub hashes: Vec<Choice>,
    /// The longest public TLS certificate DigiCert issues today, and today's date (yyyy-mm-dd).
    pub max_cert_days: u32,
    pub today: String,
}

#[cfg(feature = "ssr")]
pub use server::{OptionsCache, order_options, organization_names};

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::error::AppError;
    use crate::features::digicert::account::{
        ContainerList, OrganizationSummary, ProductLimits, ValidationList, allowed_hashes,
        allowed_order_years,
    };
    use crate::features::digicert::dates::IsoDate;
    use crate::features::digicert::pricing::Price;
    use crate::features::digicert::products::ProductId;
    use crate::features::digicert::rules::max_public_cert_days;
    use crate::server::digicert::{DigicertClient, DigicertError};
    use std::collections::HashMap;
    use std::time::{Duration, Instant};
    use tokio::sync::Mutex;

    /// The longest a form waits for DigiCert's lists. Without it, a DigiCert that stops answering
    /// holds the page for the client's read timeout times its retries, once per list.
    const LISTS_DEADLINE: Duration = Duration::from_secs(20);

    /// After DigiCert failed to give a list, pages say so at once for this long (or `fresh_for`
    /// when shorter) instead of each waiting up to [`LISTS_DEADLINE`] for the same answer.
    const RETRY_LISTS_AFTER: Duration = Duration::from_secs(30);

    /// DigiCert's lists change rarely: reused for `fresh_for` (`CERTDESK_DIGICERT_LISTS_SECONDS`,
    /// five minutes by default) keeps the forms fast and the rate limit free.
    pub struct OptionsCache {
        fresh_for: Duration,
        entries: Mutex<HashMap<(ProductId, bool), (Instant, OrderOptions)>>,
        /// When a product's lists last failed.
        failed: Mutex<HashMap<(ProductId, bool), Instant>>,
        custom_fields: Mutex<Option<(Instant, Vec<CustomFieldChoice>)>>,
        custom_fields_failed: Mutex<Option<Instant>>,
        /// Price estimates by [`price_key`](crate::features::digicert::pricing::price_key).
        prices: Mutex<HashMap<String, (Instant, Option<Price>)>>,
    }

    /// Most estimates kept; the map starts over when full (they are cheap to ask again).
    const MAX_PRICES: usize = 1000;

    impl Default for OptionsCache {
        fn default() -> Self {
            OptionsCache::new(Duration::from_secs(300))
        }
    }

    impl OptionsCache {
        pub fn new(fresh_for: Duration) -> Self {
            OptionsCache {
                fresh_for,
                entries: Mutex::default(),
                failed: Mutex::default(),
                custom_fields: Mutex::default(),
                custom_fields_failed: Mutex::default(),
                prices: Mutex::default(),
            }
        }

        /// A fresh estimate for `key`: `Some(None)` means DigiCert could not estimate it.
        /// Whether a failure at `at` is recent enough to answer the next ask without DigiCert.
        fn still_failing(&self, at: Option<Instant>) -> bool {
            at.is_some_and(|at| at.elapsed() < RETRY_LISTS_AFTER.min(self.fresh_for))
        }

        pub async fn cached_price(&self, key: &str) -> Option<Option<Price>> {
            self.prices
                .lock()
                .await
                .get(key)
                .filter(|(at, _)| at.elapsed() < self.fresh_for)
                .map(|(_, price)| price.clone())
        }

        pub async fn store_price(&self, key: String, price: Option<Price>) {
            let mut prices = self.prices.lock().await;
            if prices.len() >= MAX_PRICES {
                prices.clear();
            }
            prices.insert(key, (Instant::now(), price));
        }

        /// The account's active custom order fields, from the cache when fresh.
        pub async fn custom_fields(
            &self,
            client: &DigicertClient,
        ) -> Result<Vec<CustomFieldChoice>, AppError> {
            if let Some((at, fields)) = self.custom_fields.lock().await.as_ref()
                && at.elapsed() < self.fresh_for
            {
                return Ok(fields.clone());
            }
            if self.still_failing(*self.custom_fields_failed.lock().await) {
                return Err(lists_unavailable());
            }
            let fetched = match tokio::time::timeout(LISTS_DEADLINE, client.custom_fields()).await {
                Ok(fetched) => fetched.map(custom_field_choices).map_err(unreachable),
                Err(_) => Err(unreachable(DigicertError::Timeout)),
            };
            *self.custom_fields_failed.lock().await = fetched.is_err().then(Instant::now);
            let fields = fetched?;
            *self.custom_fields.lock().await = Some((Instant::now(), fields.clone()));
            Ok(fields)
        }
    }

    fn custom_field_choices(
        definitions: Vec<crate::features::digicert::account::CustomFieldDefinition>,
    ) -> Vec<CustomFieldChoice> {
        definitions
            .into_iter()
            .filter(|d| d.is_active)
            .map(|d| CustomFieldChoice {
                id: d.id,
                label: d.label,
                required: d.is_required,
                data_type: d.data_type.unwrap_or_else(|| "text".into()),
                description: d.description.unwrap_or_default(),
            })
            .collect()
    }

    fn unreachable(err: DigicertError) -> AppError {
        tracing::warn!(error = %err, "DigiCert lists for the order form are unavailable");
        lists_unavailable()
    }

    fn lists_unavailable() -> AppError {
        AppError::Unavailable(
            "DigiCert cannot be reached right now, so the organizations and other lists cannot \
             be shown. Try again in a minute."
                .into(),
        )
    }

    /// The account's active organizations by name (filters pick by name, not id); empty when
    /// DigiCert cannot be reached, so a filter page still works.
    pub async fn organization_names(client: &DigicertClient, cache: &OptionsCache) -> Vec<Choice> {
        match order_options(client, cache, ProductId::SslBasic, false).await {
            Ok(options) => options
                .organizations
                .into_iter()
                .map(|o| Choice {
                    id: o.id.to_string(),
                    label: o.name,
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The lists for `product` (with EV approvers when `ev`), from the cache when fresh.
    pub async fn order_options(
        client: &DigicertClient,
        cache: &OptionsCache,
        product: ProductId,
        ev: bool,
    ) -> Result<OrderOptions, AppError> {
        let key = (product, ev);
        if let Some((at, options)) = cache.entries.lock().await.get(&key)
            && at.elapsed() < cache.fresh_for
        {
            return Ok(options.clone());
        }
        if cache.still_failing(cache.failed.lock().await.get(&key).copied()) {
            return Err(lists_unavailable());
        }
        let fetched = match tokio::time::timeout(LISTS_DEADLINE, fetch(client, product, ev)).await {
            Ok(fetched) => fetched,
            Err(_) => Err(unreachable(DigicertError::Timeout)),
        };
        let options = match fetched {
            Ok(options) => {
                cache.failed.lock().await.remove(&key);
                options
            }
            Err(err) => {
                cache.failed.lock().await.insert(key, Instant::now());
                return Err(err);
            }
        };
        *cache.custom_fields.lock().await = Some((Instant::now(), options.custom_fields.clone()));
        cache
            .entries
            .lock()
            .await
            .insert(key, (Instant::now(), options.clone()));
        Ok(options)
    }

    async fn fetch(
        client: &DigicertClient,
        product: ProductId,
        ev: bool,
    ) -> Result<OrderOptions, AppError> {
        let (organizations, containers, info, custom_fields) = tokio::try_join!(
            client.organizations(),
            client.containers(),
            client.product_info(product.name_id()),
            client.custom_fields(),
        )
        .map_err(unreachable)?;
        let active: Vec<_> = organizations.into_iter().filter(|o| o.is_active).collect();
        let limits = account_limits(client, &containers).await?;
        let limit = limits
            .product_limits
            .iter()
            .find(|l| l.product_name_id == product.name_id() && l.role_id.unwrap_or(0) == 0);
        let order_years = allowed_order_years(&info, limit);
        let hashes = allowed_hashes(&info, limit)
            .into_iter()
            .map(|h| Choice {
                id: h.id,
                label: h.name,
            })
            .collect();
        let choices = organization_choices(client, active, ev).await?;
        let today = time::OffsetDateTime::now_utc().date();
        Ok(OrderOptions {
            organizations: choices,
            containers: containers
                .containers
                .into_iter()
                .filter(|c| c.is_active)
                .map(|c| Choice {
                    id: c.id.to_string(),
                    label: c.name,
                })
                .collect(),
            server_platforms: info
                .server_platforms
                .into_iter()
                .map(|p| Choice {
                    id: p.id.to_string(),
                    label: p.name,
                })
                .collect(),
            private_cas: info
                .allowed_ca_certs
                .into_iter()
                .map(|c| Choice {
                    id: c.id,
                    label: c.name,
                })
                .collect(),
            custom_fields: custom_field_choices(custom_fields),
            order_years,
            hashes,
            max_cert_days: max_public_cert_days(today),
            today: IsoDate(today).to_string(),
        })
    }

    /// The account's limits, as its top container holds them.
    async fn account_limits(
        client: &DigicertClient,
        containers: &ContainerList,
    ) -> Result<ProductLimits, AppError> {
        let top = containers
            .containers
            .iter()
            .find(|c| c.parent_id.is_none())
            .or(containers.containers.first())
            .map(|c| c.id);
        match top {
            Some(id) => client.product_limits(id).await.map_err(unreachable),
            None => Ok(Default::default()),
        }
    }

    /// The active organizations with their OV/EV validation status and, for EV forms, their EV
    /// approvers; each kind asked for all organizations at once, not one after another.
    async fn organization_choices(
        client: &DigicertClient,
        active: Vec<OrganizationSummary>,
        ev: bool,
    ) -> Result<Vec<OrganizationChoice>, AppError> {
        let validations = futures::future::try_join_all(
            active
                .iter()
                .map(|org| client.organization_validations(org.id)),
        )
        .await
        .map_err(unreachable)?;
        let approvers = if ev {
            futures::future::try_join_all(
                active.iter().map(|org| client.potential_approvers(org.id)),
            )
            .await
            .map_err(unreachable)?
        } else {
            Vec::new()
        };
        let is_active = |list: &ValidationList, kind: &str| {
            list.validations
                .iter()
                .any(|v| v.kind == kind && v.status == "active")
        };
        let mut approvers = approvers.into_iter();
        let mut validations = validations.into_iter();
        let mut choices = Vec::new();
        for org in active {
            let validation = validations.next().unwrap_or_default();
            let ev_approvers = match approvers.next() {
                Some(found) => found
                    .users
                    .into_iter()
                    .chain(found.contacts)
                    .map(|a| EvApprover {
                        id: a.user_id,
                        name: a.full_name(),
                        job_title: a.job_title.clone().unwrap_or_default(),
                        email: a.email.clone().unwrap_or_default(),
                    })
                    .collect(),
                None => Vec::new(),
            };
            choices.push(OrganizationChoice {
                id: org.id,
                name: org.display_name.clone().unwrap_or(org.name),
                ev_approvers,
                ov_active: is_active(&validation, "ov"),
                ev_active: is_active(&validation, "ev"),
            });
        }
        Ok(choices)
    }
}
