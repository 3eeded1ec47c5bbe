//! What the request pages show: a list row, the timeline, the whole request.

use super::*;
use crate::features::csr::CsrReport;
use crate::features::digicert::products::ProductId;
use serde::{Deserialize, Serialize};

/// One row of "My requests".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub id: i64,
    pub product: ProductId,
    pub title: String,
    pub status: RequestStatus,
    pub submitted_at: String,
    pub updated_at: String,
}

/// One line of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEvent {
    pub at: String,
    pub actor: Option<String>,
    pub from_status: Option<RequestStatus>,
    pub to_status: RequestStatus,
    pub note: Option<String>,
}

/// A request page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub summary: RequestSummary,
    pub requester: String,
    pub form: RequestForm,
    pub csr: Option<CsrReport>,
    /// The exact JSON approval sends to DigiCert, pretty-printed.
    pub payload: String,
    pub endpoint: String,
    pub events: Vec<RequestEvent>,
    pub can_cancel: bool,
    /// What DigiCert knows of it, once forwarded.
    pub digicert: Option<DigicertState>,
    /// DigiCert's codes and messages when it refused the order.
    pub forward_error: Option<String>,
    /// An admin may send a refused order again.
    pub can_retry: bool,
    /// An approver other than the requester may decide it here.
    pub can_decide: bool,
    /// DigiCert's estimate at submission, e.g. "USD 345.00", or "unknown".
    pub price: String,
    /// The order's end (`yyyy-mm-dd`) once DigiCert placed it, and its certificates.
    pub order_valid_till: Option<String>,
    /// The request this one renews, and the requests that renew this one.
    pub renewal_of: Option<i64>,
    pub renewed_by: Vec<i64>,
    /// The requester may renew it now (the order ends within the renewal window).
    pub can_renew: bool,
    pub certificates: Vec<crate::features::certificates::model::CertificateSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigicertState {
    pub order_id: i64,
    pub status: Option<String>,
    pub certificate_id: Option<i64>,
    /// Set once the certificate is issued and stored.
    pub expires_at: Option<String>,
}

/// A page of "My requests", newest first; `next` continues after the last row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestPage {
    pub rows: Vec<RequestSummary>,
    pub next: Option<i64>,
}
