use super::model::{HistoryFilter, HistoryPage};
use crate::error::AppError;
use leptos::prelude::*;

/// One page of the order history (admins).
#[server(prefix = "/api", endpoint = "history/search")]
pub async fn search_history(filter: Option<HistoryFilter>) -> Result<HistoryPage, AppError> {
    use crate::features::auth::Role;
    use crate::server::{context, require_role};

    let state = context::state()?;
    require_role(&state, Role::Admin).await?;
    let mut page = super::service::search(
        &state.pool,
        &filter.unwrap_or_default(),
        super::service::HISTORY_PAGE_SIZE,
    )
    .await?;
    page.organizations = crate::features::requests::options::organization_names(
        &state.digicert,
        &state.order_options,
    )
    .await;
    Ok(page)
}
