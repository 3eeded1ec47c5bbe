use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub at: String,
    pub action: String,
    pub client_ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardSummary {
    pub recent_activity: Vec<Activity>,
}

#[server(prefix = "/api", endpoint = "dashboard/summary")]
pub async fn load_dashboard() -> Result<DashboardSummary, AppError> {
    let state = crate::server::context::state()?;
    let user = crate::server::require_user(&state).await?;
    let rows: Vec<(time::OffsetDateTime, String, Option<String>)> = sqlx::query_as(
        "select at, action, client_ip from audit_events
          where actor_id = $1 order by at desc limit 5",
    )
    .bind(user.id)
    .fetch_all(&state.pool)
    .await?;
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    Ok(DashboardSummary {
        recent_activity: rows
            .into_iter()
            .map(|(at, action, client_ip)| Activity {
                at: at.format(&format).unwrap_or_default(),
                action: action.replace('_', " "),
                client_ip,
            })
            .collect(),
    })
}
