//! The approval queue and decisions.

use crate::features::requests::model::RequestSummary;
use serde::{Deserialize, Serialize};

/// One request waiting for a decision: what an approver reads in the queue. The request page
/// (linked from each card) has the whole form and the exact DigiCert JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingRequest {
    pub summary: RequestSummary,
    pub requester: String,
    pub organization_id: Option<i64>,
    /// The common name (or signer) and every additional name.
    pub names: Vec<String>,
    /// The CSR in one line: subject, key and signature algorithm.
    pub csr: Option<String>,
    pub comments: String,
    /// The approver's own request: shown, but it cannot be decided by them.
    pub own: bool,
    /// DigiCert's estimate at submission, or "unknown".
    pub price: String,
}

/// Pending requests oldest first; `next` continues after the last one (keyset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalQueue {
    pub rows: Vec<PendingRequest>,
    pub next: Option<String>,
    /// The account's organizations, for the filter and the cards (empty if DigiCert is away).
    #[serde(default)]
    pub organizations: Vec<crate::features::requests::options::Choice>,
}

/// Filters of the queue, as the page's query string carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueFilter {
    pub product: String,
    /// Part of the requester's email or name.
    pub requester: String,
    pub organization: String,
    /// Cursor from [`ApprovalQueue::next`].
    pub after: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn parse(text: &str) -> Option<Decision> {
        match text {
            "approve" => Some(Decision::Approve),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
}

/// What a bulk approval did, request by request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub approved: Vec<i64>,
    /// Requests left alone, with the reason (decided meanwhile, one's own, …).
    pub skipped: Vec<(i64, String)>,
}
