//! The mail outbox and people's mail switches.

use super::compose::Composed;
use super::model::MailKind;
use crate::error::AppError;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// Who a mail goes to.
pub enum Recipients {
    /// One person (the requester).
    User(Uuid),
    /// Every active holder of the role, except `except` (nobody approves their own request).
    Role {
        role: &'static str,
        except: Option<Uuid>,
    },
}

/// Writes `mail` for `recipients` in the caller's transaction, leaving out those who switched
/// the kind off; `event_key` makes a repeated event (a retried job) write nothing new.
pub async fn enqueue(
    db: &mut PgConnection,
    recipients: Recipients,
    mail: &Composed,
    event_key: &str,
) -> Result<u64, AppError> {
    let (user, role, except) = match recipients {
        Recipients::User(id) => (Some(id), None, None),
        Recipients::Role { role, except } => (None, Some(role), except),
    };
    Ok(sqlx::query!(
        "insert into mail_outbox (kind, recipient_id, to_address, subject, text_body, html_body, event_key)
         select $1, u.id, u.email, $2, $3, $4, $5
           from users u
          where u.active
            and ($6::uuid is null or u.id = $6)
            and ($7::text is null or $7 = any(u.roles))
            and ($8::uuid is null or u.id <> $8)
            and not exists (select 1 from mail_preferences p
                             where p.user_id = u.id and p.kind = $1 and not p.enabled)
            -- Approvers who chose the daily digest get waiting requests there instead.
            and not ($1 = 'approval_waiting' and exists (
                     select 1 from mail_preferences d
                      where d.user_id = u.id and d.kind = 'approval_digest' and d.enabled))
         on conflict (event_key, to_address) do nothing",
        mail.kind as MailKind,
        &mail.subject,
        &mail.text,
        &mail.html,
        event_key,
        user,
        role,
        except
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// A mail claimed for sending.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i32,
}

/// Claims up to `limit` unsent mails that are due, for `lease`; other senders skip them.
pub async fn claim(
    pool: &PgPool,
    owner: &str,
    lease: std::time::Duration,
    limit: i64,
) -> Result<Vec<Outgoing>, AppError> {
    Ok(sqlx::query_as!(
        Outgoing,
        "with due as (
             select id from mail_outbox
              where sent_at is null and next_attempt_at <= now()
                and (lease_until is null or lease_until < now())
              order by next_attempt_at
              limit $3
              for update skip locked)
         update mail_outbox m
            set lease_owner = $1, lease_until = now() + make_interval(secs => $2),
                attempts = m.attempts + 1
           from due where m.id = due.id
         returning m.id, m.to_address, m.subject, m.text_body, m.html_body, m.attempts",
        owner,
        lease.as_secs_f64(),
        limit
    )
    .fetch_all(pool)
    .await?)
}

pub async fn mark_sent(pool: &PgPool, id: i64, owner: &str) -> Result<(), AppError> {
    sqlx::query!(
        "update mail_outbox set sent_at = now(), lease_owner = null, lease_until = null,
                last_error = null
          where id = $1 and lease_owner = $2",
        id,
        owner
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Releases a mail that failed until `retry_in` from now.
pub async fn mark_failed(
    pool: &PgPool,
    id: i64,
    owner: &str,
    retry_in: std::time::Duration,
    error: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "update mail_outbox set next_attempt_at = now() + make_interval(secs => $3),
                lease_owner = null, lease_until = null, last_error = $4
          where id = $1 and lease_owner = $2",
        id,
        owner,
        retry_in.as_secs_f64(),
        error
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct StoredMail {
    pub id: i64,
    pub kind: MailKind,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub created_at: OffsetDateTime,
    pub next_attempt_at: OffsetDateTime,
    pub attempts: i32,
    pub sent_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

impl StoredMail {
    /// The mail as the admins' Mail page shows it: the portal's address filled in and its
    /// state in words (with `smtp` false nothing is sent, so it is kept).
    pub fn into_view(self, smtp: bool, portal: &str) -> super::model::MailView {
        use crate::server::format_time;
        let state = match (self.sent_at, smtp) {
            (Some(at), _) => format!("Sent {}", format_time(at)),
            (None, false) => "Kept (no SMTP server configured)".into(),
            (None, true) => match self.last_error {
                Some(error) => format!(
                    "Not sent yet ({} attempts; next {}): {error}",
                    self.attempts,
                    format_time(self.next_attempt_at)
                ),
                None => "Waiting to be sent".into(),
            },
        };
        super::model::MailView {
            id: self.id,
            kind: self.kind,
            to: self.to_address,
            subject: self.subject,
            text_body: super::sender::render(&self.text_body, portal),
            created_at: format_time(self.created_at),
            state,
        }
    }
}

/// The newest mails, `limit` at a time before id `before` (keyset).
pub async fn recent(
    pool: &PgPool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<StoredMail>, AppError> {
    Ok(sqlx::query_as!(
        StoredMail,
        r#"select id, kind as "kind: MailKind", to_address, subject, text_body, created_at,
                  next_attempt_at, attempts, sent_at, last_error
             from mail_outbox
            where ($1::bigint is null or id < $1)
            order by id desc limit $2"#,
        before,
        limit
    )
    .fetch_all(pool)
    .await?)
}

/// A person's explicit choice for one kind of mail.
#[derive(Debug, Clone)]
pub struct Choice {
    pub kind: MailKind,
    pub enabled: bool,
}

/// This person's explicit choices (kinds without one follow [`MailKind::on_by_default`]).
pub async fn choices(pool: &PgPool, user: Uuid) -> Result<Vec<Choice>, AppError> {
    Ok(sqlx::query_as!(
        Choice,
        r#"select kind as "kind: MailKind", enabled from mail_preferences where user_id = $1"#,
        user
    )
    .fetch_all(pool)
    .await?)
}

pub async fn set_preference(
    pool: &PgPool,
    user: Uuid,
    kind: MailKind,
    enabled: bool,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into mail_preferences (user_id, kind, enabled) values ($1, $2, $3)
         on conflict (user_id, kind) do update set enabled = $3",
        user,
        kind as MailKind,
        enabled
    )
    .execute(pool)
    .await?;
    Ok(())
}
