//! The Certificates view's server function.

use super::model::CertificatesPage;
use crate::error::AppError;
use leptos::prelude::*;

pub const CERTIFICATES_PAGE_SIZE: i64 = 100;

/// Current certificates, the soonest to end first: a requester's own, or everyone's for admins.
/// `q` is part of a name; `after` continues from a previous page.
#[server(prefix = "/api", endpoint = "certificates/current")]
pub async fn load_certificates(
    q: Option<String>,
    after: Option<String>,
) -> Result<CertificatesPage, AppError> {
    use super::repo::{Scope, current, weeks};
    use crate::features::auth::Role;
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let scope = if user.has(Role::Admin) {
        Scope::Everyone
    } else if user.has(Role::Requester) {
        Scope::Requester(user.id)
    } else {
        return Err(AppError::Forbidden);
    };
    let q = q.unwrap_or_default();
    crate::server::search::check_search_lengths(&[("q", &q)])?;
    let names = crate::server::search::contains_pattern(&q);
    let after = after.as_deref().and_then(parse_cursor);
    let (rows, next) = current(
        &state.pool,
        scope,
        names.as_deref(),
        after,
        CERTIFICATES_PAGE_SIZE,
        state.config.renew_window_days,
    )
    .await?;
    Ok(CertificatesPage {
        next,
        rows,
        weeks: weeks(&state.pool, scope).await?,
    })
}

/// `<end as unix seconds>~<certificate id>`, as the previous page left it.
#[cfg(feature = "ssr")]
fn parse_cursor(text: &str) -> Option<(time::OffsetDateTime, i64)> {
    let (at, id) = text.split_once('~')?;
    let at = time::OffsetDateTime::from_unix_timestamp(at.parse().ok()?).ok()?;
    Some((at, id.parse().ok()?))
}
