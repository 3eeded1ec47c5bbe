//! Mail server functions: the admins' Mail page and everyone's mail switches.

use super::model::{OutboxPage, Preference};
use crate::error::AppError;
use leptos::prelude::*;

pub const MAIL_PAGE_SIZE: i64 = 50;

/// Admins: the newest mails of the outbox with their state; `before` continues a page.
#[server(prefix = "/api", endpoint = "mail/outbox")]
pub async fn load_mail(before: Option<i64>) -> Result<OutboxPage, AppError> {
    use crate::features::auth::Role;
    use crate::server::search::{continues_after, one_page};
    use crate::server::{context, require_role};

    let state = context::state()?;
    require_role(&state, Role::Admin).await?;
    let smtp = state.config.smtp_url.is_some();
    let portal = state.config.portal_url();
    let rows = super::repo::recent(&state.pool, before, MAIL_PAGE_SIZE + 1).await?;
    let (rows, more) = one_page(rows, MAIL_PAGE_SIZE);
    let older = continues_after(&rows, more).map(|m| m.id);
    Ok(OutboxPage {
        mails: rows
            .into_iter()
            .map(|m| m.into_view(smtp, &portal))
            .collect(),
        older,
    })
}

/// The signed-in person's mail switches.
#[server(prefix = "/api", endpoint = "mail/preferences")]
pub async fn load_preferences() -> Result<Vec<Preference>, AppError> {
    use super::model::MailKind;
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let choices = super::repo::choices(&state.pool, user.id).await?;
    Ok(MailKind::ALL
        .into_iter()
        .map(|kind| Preference {
            kind,
            label: kind.label().to_owned(),
            enabled: choices
                .iter()
                .find(|c| c.kind == kind)
                .map_or(kind.on_by_default(), |c| c.enabled),
        })
        .collect())
}

/// Switches one kind of mail on (`enabled` = `on`) or off for the signed-in person.
#[server(prefix = "/api", endpoint = "mail/set_preference")]
pub async fn set_mail_preference(kind: String, enabled: String) -> Result<(), AppError> {
    use super::model::MailKind;
    use crate::server::{context, require_user};

    let state = context::state()?;
    let user = require_user(&state).await?;
    let kind = MailKind::parse(&kind)
        .ok_or_else(|| AppError::BadRequest("kind is not a kind of mail certdesk sends".into()))?;
    let enabled = match enabled.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(AppError::BadRequest("enabled is on or off".into())),
    };
    super::repo::set_preference(&state.pool, user.id, kind, enabled).await?;
    if context::is_plain_form_post() {
        leptos_axum::redirect("/account");
    }
    Ok(())
}
