//! Sends the outbox over SMTP (`lettre`): claims due mails under a lease (`FOR UPDATE SKIP
//! LOCKED`, so several instances never send one mail twice), sends each with a Message-ID of its
//! own, marks it sent, and on failure leaves it for a retry after 30 s, 1, 2, 4 … minutes (at most
//! an hour). Without an SMTP server (demo mode) mails stay in the outbox for the Mail page.

use super::compose::PORTAL;
use super::repo::{self, Outgoing};
use crate::error::AppError;
use crate::server::metrics::metrics;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

pub struct MailSettings {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Completes the bodies' `{portal}/…` links.
    portal_url: String,
}

impl MailSettings {
    /// `CERTDESK_SMTP_URL` (`smtp://user:pass@host:587?tls=required`, `smtps://host`, or plain
    /// `smtp://host:25` inside a trusted network) and `CERTDESK_MAIL_FROM`. The URL holds the
    /// password: it is never logged, and errors do not repeat it.
    pub fn new(smtp_url: &SecretString, from: &str, portal_url: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.expose_secret())
            .map_err(|_| {
                "CERTDESK_SMTP_URL is not an SMTP URL such as smtp://user:password@mail.example.com:587?tls=required"
                    .to_owned()
            })?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| format!("CERTDESK_MAIL_FROM={from:?} is not an address such as certdesk <certdesk@example.com>"))?;
        Ok(MailSettings {
            transport,
            from,
            portal_url: portal_url.trim_end_matches('/').to_owned(),
        })
    }
}

/// The body as the recipient reads it: links completed.
pub fn render(body: &str, portal_url: &str) -> String {
    body.replace(PORTAL, portal_url.trim_end_matches('/'))
}

#[derive(Clone)]
pub struct MailSender {
    pool: PgPool,
    settings: Arc<MailSettings>,
    owner: String,
    pub lease: Duration,
    pub idle: Duration,
}

/// 30 s, 1, 2, 4 … minutes after each failed attempt, at most an hour.
fn backoff(attempts: i32) -> Duration {
    Duration::from_secs((30u64 << attempts.clamp(1, 8).saturating_sub(1)).min(3600))
}

impl MailSender {
    pub fn new(pool: PgPool, settings: Arc<MailSettings>, owner: impl Into<String>) -> Self {
        MailSender {
            pool,
            settings,
            owner: owner.into(),
            lease: Duration::from_secs(60),
            idle: Duration::from_secs(2),
        }
    }

    /// Sends until `shutdown` resolves.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let sent = tokio::select! {
                _ = &mut shutdown => return,
                sent = self.tick() => sent,
            };
            match sent {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "mail sender: tick failed"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(self.idle) => {}
            }
        }
    }

    /// Claims due mails and sends them; answers how many were claimed.
    pub async fn tick(&self) -> Result<usize, AppError> {
        let mails = repo::claim(&self.pool, &self.owner, self.lease, 20).await?;
        for mail in &mails {
            self.send(mail).await?;
        }
        Ok(mails.len())
    }

    async fn send(&self, mail: &Outgoing) -> Result<(), AppError> {
        let message = match self.message(mail) {
            Ok(message) => message,
            Err(why) => {
                // Not deliverable as written: look again in a day (an admin may fix the address).
                return repo::mark_failed(
                    &self.pool,
                    mail.id,
                    &self.owner,
                    Duration::from_secs(86_400),
                    &why,
                )
                .await;
            }
        };
        match self.settings.transport.send(message).await {
            Ok(_) => {
                metrics().mails_sent.inc();
                repo::mark_sent(&self.pool, mail.id, &self.owner).await
            }
            Err(err) => {
                metrics().mails_failed.inc();
                // The server's words, without the URL (it may hold the password).
                let why = format!("SMTP: {err}");
                tracing::warn!(mail_id = mail.id, error = %why, "mail not sent; will retry");
                repo::mark_failed(
                    &self.pool,
                    mail.id,
                    &self.owner,
                    backoff(mail.attempts),
                    &why,
                )
                .await
            }
        }
    }

    fn message(&self, mail: &Outgoing) -> Result<Message, String> {
        let to = mail
            .to_address
            .parse::<Mailbox>()
            .map_err(|e| format!("the address is not usable: {e}"))?;
        let portal = &self.settings.portal_url;
        Message::builder()
            .from(self.settings.from.clone())
            .to(to)
            .subject(&mail.subject)
            // Stable per mail: a receiving system can tell a repeat from a new mail.
            .message_id(Some(format!(
                "<certdesk-mail-{}@{}>",
                mail.id,
                self.settings.from.email.domain()
            )))
            .multipart(MultiPart::alternative_plain_html(
                render(&mail.text_body, portal),
                render(&mail.html_body, portal),
            ))
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(4), Duration::from_secs(240));
        assert_eq!(backoff(50), Duration::from_secs(3600));
    }

    #[test]
    fn links_are_completed_with_the_public_url() {
        assert_eq!(
            render("Open: {portal}/requests/7", "https://certdesk.example.com/"),
            "Open: https://certdesk.example.com/requests/7"
        );
    }

    #[test]
    fn a_bad_smtp_url_is_named_without_repeating_it() {
        let err = MailSettings::new(
            &SecretString::from("ftp://u:hunter2@x"),
            "a@b.c",
            "http://x",
        )
        .err()
        .unwrap();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
