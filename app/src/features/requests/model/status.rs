//! Where a request is in its life.

use serde::{Deserialize, Serialize};
/// Where a request is in its life. Transitions are listed in [`RequestStatus::can_become`] and
/// enforced again by the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum RequestStatus {
    PendingApproval,
    Cancelled,
    Approved,
    Rejected,
    Forwarding,
    Forwarded,
    ForwardFailed,
    Issued,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 8] = [
        RequestStatus::PendingApproval,
        RequestStatus::Cancelled,
        RequestStatus::Approved,
        RequestStatus::Rejected,
        RequestStatus::Forwarding,
        RequestStatus::Forwarded,
        RequestStatus::ForwardFailed,
        RequestStatus::Issued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::PendingApproval => "pending_approval",
            RequestStatus::Cancelled => "cancelled",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Forwarding => "forwarding",
            RequestStatus::Forwarded => "forwarded",
            RequestStatus::ForwardFailed => "forward_failed",
            RequestStatus::Issued => "issued",
        }
    }

    pub fn parse(text: &str) -> Option<RequestStatus> {
        RequestStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::PendingApproval => "Pending approval",
            RequestStatus::Cancelled => "Cancelled",
            RequestStatus::Approved => "Approved",
            RequestStatus::Rejected => "Rejected",
            RequestStatus::Forwarding => "Sending to DigiCert",
            RequestStatus::Forwarded => "At DigiCert",
            RequestStatus::ForwardFailed => "DigiCert refused",
            RequestStatus::Issued => "Issued",
        }
    }

    /// The state machine, declared once: which statuses may follow this one. The database's
    /// `request_transition_allowed` (its trigger) and the status check are tested against it.
    pub fn can_become(self, next: RequestStatus) -> bool {
        use RequestStatus::*;
        matches!(
            (self, next),
            (PendingApproval, Cancelled | Approved | Rejected)
                | (Approved, Forwarding)
                | (Forwarding, Forwarded | ForwardFailed | Issued)
                | (ForwardFailed, Forwarding)
                | (Forwarded, Issued | Rejected | Cancelled)
        )
    }
}
