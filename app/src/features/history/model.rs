use crate::features::digicert::products::ProductId;
use crate::features::requests::model::RequestStatus;
use serde::{Deserialize, Serialize};

/// The history page's filters and sort, exactly as its query string carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryFilter {
    /// Part of the common name or an additional name.
    pub q: String,
    /// Part of the requester's name or email.
    pub requester: String,
    /// Part of the approver's name or email.
    pub approver: String,
    pub product: String,
    pub status: String,
    pub organization: String,
    /// Submitted on or after this day (yyyy-mm-dd).
    pub from: String,
    /// Submitted on or before this day (yyyy-mm-dd).
    pub to: String,
    /// `submitted` (default) or `name`.
    pub sort: String,
    /// `desc` (default) or `asc`.
    pub dir: String,
    /// Continue after this row (from [`HistoryPage::next`]).
    pub after: String,
}

impl HistoryFilter {
    /// The query string for this filter (without `after`), for links to the next page and the
    /// CSV export.
    pub fn query_string(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("requester", &self.requester),
            ("approver", &self.approver),
            ("product", &self.product),
            ("status", &self.status),
            ("organization", &self.organization),
            ("from", &self.from),
            ("to", &self.to),
            ("sort", &self.sort),
            ("dir", &self.dir),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", crate::encoding::encode_query_value(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: i64,
    pub product: ProductId,
    pub title: String,
    pub dns_names: Vec<String>,
    pub status: RequestStatus,
    pub requester: String,
    pub approver: Option<String>,
    pub organization_id: Option<i64>,
    pub submitted_at: String,
    pub digicert_order_id: Option<i64>,
    pub expires_at: Option<String>,
    /// DigiCert's estimate at submission, or "unknown".
    pub price: String,
    /// The order's current certificate's serial, once issued.
    pub serial: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub rows: Vec<HistoryRow>,
    /// Cursor of the last row when more follow.
    pub next: Option<String>,
    /// The account's organizations, for the filter (empty if DigiCert is away).
    #[serde(default)]
    pub organizations: Vec<crate::features::requests::options::Choice>,
}
