//! Kinds of mail, and mail as pages show it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum MailKind {
    /// A request waits for a decision → its possible approvers.
    ApprovalWaiting,
    /// Approved or rejected → the requester.
    Decided,
    /// The certificate is ready → the requester.
    Issued,
    /// DigiCert waits for proof of control of a domain → the requester.
    DcvNeeded,
    /// DigiCert refused an order → the admins.
    ForwardFailed,
    /// A certificate ends in 30, 14, 7 or 1 days → its requester and the admins.
    Expiring,
    /// An order enters its renewal window → its requester and the admins.
    RenewDue,
    /// An approver's choice: one mail a day listing what waits, instead of one per request.
    ApprovalDigest,
}

impl MailKind {
    pub const ALL: [MailKind; 8] = [
        MailKind::ApprovalWaiting,
        MailKind::Decided,
        MailKind::Issued,
        MailKind::DcvNeeded,
        MailKind::ForwardFailed,
        MailKind::Expiring,
        MailKind::RenewDue,
        MailKind::ApprovalDigest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::ApprovalWaiting => "approval_waiting",
            MailKind::Decided => "decided",
            MailKind::Issued => "issued",
            MailKind::DcvNeeded => "dcv_needed",
            MailKind::ForwardFailed => "forward_failed",
            MailKind::Expiring => "expiring",
            MailKind::RenewDue => "renew_due",
            MailKind::ApprovalDigest => "approval_digest",
        }
    }

    pub fn parse(text: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// What the Account page calls it.
    pub fn label(self) -> &'static str {
        match self {
            MailKind::ApprovalWaiting => "A request waits for my approval",
            MailKind::Decided => "My request was approved or rejected",
            MailKind::Issued => "My certificate is ready",
            MailKind::DcvNeeded => "My order waits for domain validation",
            MailKind::ForwardFailed => "DigiCert refused an order (admins)",
            MailKind::Expiring => "A certificate ends in 30, 14, 7 or 1 days (reissue or renew)",
            MailKind::RenewDue => "An order nears its end and should be renewed",
            MailKind::ApprovalDigest => {
                "Approvers: one mail a day listing what waits, instead of one per request"
            }
        }
    }

    /// Whether a person gets this kind unless they switch it off (the digest is chosen).
    pub fn on_by_default(self) -> bool {
        self != MailKind::ApprovalDigest
    }
}

/// One mail of the outbox, for the admins' Mail page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailView {
    pub id: i64,
    pub kind: MailKind,
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub created_at: String,
    /// "Sent 2026-11-30 12:00 UTC", "Kept (no SMTP server configured)", "Waiting: retry …".
    pub state: String,
}

/// A page of the outbox, newest first; `older` is the id the next page starts before, when
/// older mail follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxPage {
    pub mails: Vec<MailView>,
    pub older: Option<i64>,
}

/// A person's mail switches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preference {
    pub kind: MailKind,
    pub label: String,
    pub enabled: bool,
}
