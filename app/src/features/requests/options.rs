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
}

/// What one order form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderOptions {
    pub organizations: Vec<OrganizationChoice>,
    pub containers: Vec<Choice>,
    pub server_platforms: Vec<Choice>,
    pub private_cas: Vec<Choice>,
    /// The longest public TLS certificate DigiCert issues today, and today's date (yyyy-mm-dd).
    pub max_cert_days: u32,
    pub today: String,
}

#[cfg(feature = "ssr")]
pub use server::{OptionsCache, order_options};

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::error::AppError;
    use crate::features::digicert::dates::IsoDate;
    use crate::features::digicert::products::ProductId;
    use crate::features::digicert::rules::max_public_cert_days;
    use crate::server::digicert::{DigicertClient, DigicertError};
    use std::collections::HashMap;
    use std::time::{Duration, Instant};
    use tokio::sync::Mutex;

    /// DigiCert's lists change rarely; five minutes keeps the forms fast and the rate limit free.
    const FRESH_FOR: Duration = Duration::from_secs(300);
    /// The longest a form waits for DigiCert's lists. Without it, a DigiCert that stops answering
    /// holds the page for the client's read timeout times its retries, once per list.
    const LISTS_DEADLINE: Duration = Duration::from_secs(20);

    #[derive(Default)]
    pub struct OptionsCache {
        entries: Mutex<HashMap<(ProductId, bool), (Instant, OrderOptions)>>,
    }

    fn unreachable(err: DigicertError) -> AppError {
        tracing::warn!(error = %err, "DigiCert lists for the order form are unavailable");
        AppError::Unavailable(
            "DigiCert cannot be reached right now, so the organizations and other lists cannot \
             be shown. Try again in a minute."
                .into(),
        )
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
            && at.elapsed() < FRESH_FOR
        {
            return Ok(options.clone());
        }
        let options = match tokio::time::timeout(LISTS_DEADLINE, fetch(client, product, ev)).await {
            Ok(fetched) => fetched?,
            Err(_) => return Err(unreachable(DigicertError::Timeout)),
        };
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
        let (organizations, containers, info) = tokio::try_join!(
            client.organizations(),
            client.containers(),
            client.product_info(product.name_id()),
        )
        .map_err(unreachable)?;
        let active: Vec<_> = organizations.into_iter().filter(|o| o.is_active).collect();
        // Each organization's EV approvers at once, not one after another.
        let approvers = if ev {
            futures::future::try_join_all(
                active.iter().map(|org| client.potential_approvers(org.id)),
            )
            .await
            .map_err(unreachable)?
        } else {
            Vec::new()
        };
        let mut approvers = approvers.into_iter();
        let mut choices = Vec::new();
        for org in active {
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
            });
        }
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
            max_cert_days: max_public_cert_days(today),
            today: IsoDate(today).to_string(),
        })
    }
}
