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
    action: Option<String>,
    after: Option<String>,
) -> Result<CertificatesPage, AppError> {
    use super::model::NextAction;
    use super::repo::{CurrentQuery, current, parse_cursor, weeks};
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let scope = super::repo::Scope::of(&user)?;
    let q = q.unwrap_or_default();
    crate::server::search::check_search_lengths(&[("q", &q)])?;
    let action = match action.as_deref().unwrap_or("") {
        "" => None,
        other => Some(
            NextAction::parse(other)
                .ok_or_else(|| AppError::BadRequest("action is renew, reissue or dcv".into()))?,
        ),
    };
    let query = CurrentQuery {
        scope,
        names: crate::server::search::contains_pattern(&q),
        action,
        after: after.as_deref().and_then(parse_cursor),
        limit: CERTIFICATES_PAGE_SIZE,
        renew_window_days: state.config.renew_window_days,
    };
    let (rows, next) = current(&state.pool, &query).await?;
    Ok(CertificatesPage {
        next,
        rows,
        weeks: weeks(&state.pool, scope).await?,
    })
}
