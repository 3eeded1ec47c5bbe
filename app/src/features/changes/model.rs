//! Certificate changes as pages and server functions see them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum ChangeKind {
    /// A new certificate (new key, maybe other names) that replaces the current one.
    Reissue,
    /// Another certificate with the same names and end date, for another key.
    Duplicate,
    /// Revocation of one certificate or of the whole order.
    Revoke,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Reissue => "Reissue",
            ChangeKind::Duplicate => "Duplicate",
            ChangeKind::Revoke => "Revocation",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeKind> {
        match text {
            "reissue" => Some(ChangeKind::Reissue),
            "duplicate" => Some(ChangeKind::Duplicate),
            "revoke" => Some(ChangeKind::Revoke),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Reissue => "reissue",
            ChangeKind::Duplicate => "duplicate",
            ChangeKind::Revoke => "revoke",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum ChangeStatus {
    PendingApproval,
    /// Decided; waiting for the worker to send it.
    Approved,
    /// At DigiCert, not finished there yet (DCV, a revoke request awaiting its administrator).
    Sent,
    Done,
    Rejected,
    Cancelled,
    Failed,
}

impl ChangeStatus {
    pub const ALL: [ChangeStatus; 7] = [
        ChangeStatus::PendingApproval,
        ChangeStatus::Approved,
        ChangeStatus::Sent,
        ChangeStatus::Done,
        ChangeStatus::Rejected,
        ChangeStatus::Cancelled,
        ChangeStatus::Failed,
    ];

    /// The state machine, declared once: the database's `certificate_change_transition_allowed`
    /// and the status check are tested against it.
    pub fn can_become(self, next: ChangeStatus) -> bool {
        use ChangeStatus::*;
        matches!(
            (self, next),
            (PendingApproval, Approved | Rejected | Cancelled)
                | (Approved, Sent | Done | Failed)
                | (Sent, Done | Failed)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::PendingApproval => "pending_approval",
            ChangeStatus::Approved => "approved",
            ChangeStatus::Sent => "sent",
            ChangeStatus::Done => "done",
            ChangeStatus::Rejected => "rejected",
            ChangeStatus::Cancelled => "cancelled",
            ChangeStatus::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChangeStatus::PendingApproval => "Waiting for approval",
            ChangeStatus::Approved => "Approved, being sent",
            ChangeStatus::Sent => "At DigiCert",
            ChangeStatus::Done => "Done",
            ChangeStatus::Rejected => "Rejected",
            ChangeStatus::Cancelled => "Cancelled",
            ChangeStatus::Failed => "Failed",
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            ChangeStatus::PendingApproval | ChangeStatus::Approved | ChangeStatus::Sent
        )
    }
}

/// Revocation reasons live with the certificates they end.
pub use crate::features::certificates::model::RevocationReason;

/// What a new certificate changes against the current one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub kept: Vec<String>,
}

impl NameChanges {
    /// Compares two name lists, ignoring order and case.
    pub fn between(current: &[String], new: &[String]) -> NameChanges {
        let lower = |names: &[String]| -> BTreeSet<String> {
            names.iter().map(|n| n.to_ascii_lowercase()).collect()
        };
        let (current, new) = (lower(current), lower(new));
        NameChanges {
            added: new.difference(&current).cloned().collect(),
            removed: current.difference(&new).cloned().collect(),
            kept: new.intersection(&current).cloned().collect(),
        }
    }

    pub fn same_names(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// One change as the request page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeView {
    pub id: i64,
    pub kind: ChangeKind,
    pub status: ChangeStatus,
    pub requested_by: String,
    pub requested_at: String,
    /// Reissue and duplicate: the names against the current certificate.
    pub names: Option<NameChanges>,
    /// Reissue and duplicate: the new key, and whether it differs from the current one.
    pub key: Option<String>,
    pub new_key: bool,
    /// Revoke: the certificate's serial, or `None` for the whole order.
    pub target_serial: Option<String>,
    pub reason: Option<RevocationReason>,
    pub comment: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    /// The standing policy that approved it, in words.
    pub policy: Option<String>,
    pub error: Option<String>,
    pub can_decide: bool,
    pub can_cancel: bool,
}

impl ChangeView {
    /// "asked by … on …", after the kind and status.
    pub fn asked_line(&self) -> String {
        format!(" · asked by {} on {}", self.requested_by, self.requested_at)
    }

    /// A reissue's or duplicate's key, and whether it is a new one.
    pub fn key_line(&self) -> Option<String> {
        let which = if self.new_key {
            " (a new key)"
        } else {
            " (the current key)"
        };
        self.key.as_ref().map(|key| format!("Key: {key}{which}"))
    }

    /// A revocation's target and reason.
    pub fn revocation_line(&self) -> Option<String> {
        let target = match &self.target_serial {
            Some(serial) => format!("Certificate {serial}"),
            None => "The whole order".into(),
        };
        self.reason
            .map(|reason| format!("{target} — reason: {}", reason.short()))
    }

    /// Who decided, with their note.
    pub fn decided_line(&self) -> Option<String> {
        let note = self
            .decision_note
            .as_ref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        self.decided_by
            .as_ref()
            .map(|by| format!("Decided by {by}{note}"))
    }
}

/// A certificate a revocation may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocableCertificate {
    pub id: i64,
    pub serial: String,
    pub label: String,
}

/// The request page's "Reissue, duplicate, revoke" section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesPanel {
    pub changes: Vec<ChangeView>,
    pub can_reissue: bool,
    pub can_duplicate: bool,
    pub can_revoke: bool,
    /// Why revoking is not possible now, when it is not.
    pub revoke_blocked: Option<String>,
    pub revocable: Vec<RevocableCertificate>,
}

/// What the reissue and duplicate forms start from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCertificateContext {
    pub request_id: i64,
    pub title: String,
    pub order_valid_till: Option<String>,
    /// The current certificate's names, common name first.
    pub current_names: Vec<String>,
    pub current_serial: String,
    pub current_valid_till: String,
    /// A reissue with these names skips human approval (the standing policy is on).
    pub same_names_skip_approval: bool,
}

/// A change waiting in the approvers' queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedChange {
    pub id: i64,
    pub request_id: i64,
    pub title: String,
    pub kind: ChangeKind,
    pub requested_by: String,
    pub requested_at: String,
    /// One line: names added/removed, or the reason and target of a revocation.
    pub summary: String,
    pub can_decide: bool,
}

/// The standing policies an admin switches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policies {
    /// Per TLS product: reissues with the same names skip human approval.
    pub reissue_same_names: Vec<ProductPolicy>,
    pub revoke_key_compromise_at_once: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductPolicy {
    pub product: String,
    pub label: String,
    pub enabled: bool,
}

/// The policy names as stored.
pub fn reissue_policy_name(product: &str) -> String {
    format!("reissue_same_names:{product}")
}
pub const REVOKE_KEY_COMPROMISE_AT_ONCE: &str = "revoke_key_compromise_at_once";

/// Longest comment for a revocation, in characters.
pub const MAX_COMMENT: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_changes_ignore_order_and_case() {
        let current = vec!["www.example.com".to_owned(), "example.com".to_owned()];
        let same = vec!["Example.com".to_owned(), "WWW.example.com".to_owned()];
        assert!(NameChanges::between(&current, &same).same_names());
        let other = vec!["www.example.com".to_owned(), "shop.example.com".to_owned()];
        let changes = NameChanges::between(&current, &other);
        assert_eq!(changes.added, vec!["shop.example.com"]);
        assert_eq!(changes.removed, vec!["example.com"]);
        assert_eq!(changes.kept, vec!["www.example.com"]);
    }

    fn change(kind: ChangeKind) -> ChangeView {
        ChangeView {
            id: 1,
            kind,
            status: ChangeStatus::PendingApproval,
            requested_by: "Ana Lopez".into(),
            requested_at: "2026-11-30 09:00 UTC".into(),
            names: None,
            key: None,
            new_key: false,
            target_serial: None,
            reason: None,
            comment: String::new(),
            decided_by: None,
            decision_note: None,
            policy: None,
            error: None,
            can_decide: false,
            can_cancel: false,
        }
    }

    #[test]
    fn a_change_says_its_key_target_and_decider_in_words() {
        let mut reissue = change(ChangeKind::Reissue);
        assert_eq!(
            reissue.asked_line(),
            " · asked by Ana Lopez on 2026-11-30 09:00 UTC"
        );
        assert_eq!(reissue.key_line(), None);
        reissue.key = Some("RSA 2048 bits".into());
        assert_eq!(
            reissue.key_line().as_deref(),
            Some("Key: RSA 2048 bits (the current key)")
        );
        reissue.new_key = true;
        assert_eq!(
            reissue.key_line().as_deref(),
            Some("Key: RSA 2048 bits (a new key)")
        );
        assert_eq!(reissue.revocation_line(), None);
        assert_eq!(reissue.decided_line(), None);

        let mut revoke = change(ChangeKind::Revoke);
        revoke.reason = Some(RevocationReason::ALL[0]);
        let short = RevocationReason::ALL[0].short();
        assert_eq!(
            revoke.revocation_line(),
            Some(format!("The whole order — reason: {short}"))
        );
        revoke.target_serial = Some("0A01".into());
        assert_eq!(
            revoke.revocation_line(),
            Some(format!("Certificate 0A01 — reason: {short}"))
        );
        revoke.decided_by = Some("Bo Chen".into());
        assert_eq!(revoke.decided_line().as_deref(), Some("Decided by Bo Chen"));
        revoke.decision_note = Some("key leaked".into());
        assert_eq!(
            revoke.decided_line().as_deref(),
            Some("Decided by Bo Chen: key leaked")
        );
    }

    #[test]
    fn reasons_round_trip_through_their_digicert_spelling() {
        for reason in RevocationReason::ALL {
            assert_eq!(RevocationReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(RevocationReason::parse("privilege_withdrawn"), None);
    }
}
