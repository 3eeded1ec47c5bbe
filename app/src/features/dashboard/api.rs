use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub at: String,
    pub action: String,
    pub client_ip: Option<String>,
}

/// The numbers approvers and admins watch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// (status label, count) for every status that has requests.
    pub by_status: Vec<(String, i64)>,
    /// How long the oldest pending request has waited, e.g. "3 h" (none when nothing waits).
    pub oldest_pending: Option<String>,
    pub issued_this_month: i64,
    pub forward_failures: i64,
    /// Issued certificates expiring within 30, 60 and 90 days.
    pub expiring: [i64; 3],
    /// Orders at DigiCert waiting for a requester to prove control of a domain.
    pub waiting_on_dcv: i64,
    /// Current certificates ending within 30 days while their order runs on.
    pub reissue_due: i64,
    /// Orders ending within the renewal window.
    pub renew_due: i64,
    /// Reissues, duplicates and revocations waiting for an approver.
    #[serde(default)]
    pub changes_waiting: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardSummary {
    pub recent_activity: Vec<Activity>,
    /// For approvers and admins.
    pub overview: Option<Overview>,
    /// The caller's own orders waiting on domain validation.
    pub mine_waiting_on_dcv: i64,
}

#[server(prefix = "/api", endpoint = "dashboard/summary")]
pub async fn load_dashboard() -> Result<DashboardSummary, AppError> {
    use crate::features::auth::Role;
    let state = crate::server::context::state()?;
    let user = crate::server::require_user(&state).await?;
    let rows = super::repo::recent_activity(&state.pool, user.id).await?;
    let overview = if user.has(Role::Approver) || user.has(Role::Admin) {
        Some(super::service::overview(&state.pool, state.config.renew_window_days).await?)
    } else {
        None
    };
    let mine_waiting_on_dcv =
        crate::features::dcv::repo::waiting_count(&state.pool, Some(user.id)).await?;
    Ok(DashboardSummary {
        mine_waiting_on_dcv,
        recent_activity: rows
            .into_iter()
            .map(|row| Activity {
                at: crate::server::format_time(row.at),
                action: row.action.replace('_', " "),
                client_ip: row.client_ip,
            })
            .collect(),
        overview,
    })
}
