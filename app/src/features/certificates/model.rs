//! A certificate as pages show it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum CertificateKind {
    First,
    Reissue,
    Duplicate,
}

impl CertificateKind {
    pub fn label(self) -> &'static str {
        match self {
            CertificateKind::First => "First certificate",
            CertificateKind::Reissue => "Reissue",
            CertificateKind::Duplicate => "Duplicate",
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
pub enum CertificateStatus {
    Issued,
    Superseded,
    Revoked,
    Expired,
}

impl CertificateStatus {
    pub const ALL: [CertificateStatus; 4] = [
        CertificateStatus::Issued,
        CertificateStatus::Superseded,
        CertificateStatus::Revoked,
        CertificateStatus::Expired,
    ];

    /// The state machine, declared once: the database's `certificate_transition_allowed` and the
    /// status check are tested against it.
    pub fn can_become(self, next: CertificateStatus) -> bool {
        use CertificateStatus::*;
        matches!(
            (self, next),
            (Issued, Superseded | Revoked | Expired) | (Superseded, Revoked | Expired)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Issued => "issued",
            CertificateStatus::Superseded => "superseded",
            CertificateStatus::Revoked => "revoked",
            CertificateStatus::Expired => "expired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CertificateStatus::Issued => "Current",
            CertificateStatus::Superseded => "Superseded",
            CertificateStatus::Revoked => "Revoked",
            CertificateStatus::Expired => "Expired",
        }
    }
}

/// One certificate of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSummary {
    pub id: i64,
    pub kind: CertificateKind,
    pub serial: String,
    pub common_name: String,
    pub dns_names: Vec<String>,
    /// `yyyy-mm-dd`.
    pub valid_from: String,
    pub valid_till: String,
    /// Days until it expires (negative afterwards).
    pub days_left: i64,
    pub status: CertificateStatus,
    /// When and why it was revoked: `2026-11-30, keyCompromise`.
    #[serde(default)]
    pub revoked: Option<String>,
}

impl CertificateSummary {
    /// The common name first, then the other names, once each: "example.com, www.example.com".
    pub fn names_line(&self) -> String {
        std::iter::once(self.common_name.as_str())
            .chain(
                self.dns_names
                    .iter()
                    .map(String::as_str)
                    .filter(|n| *n != self.common_name),
            )
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "2026-06-01 to 2026-12-17 (17 days left)"; the days only while it is current.
    pub fn validity_line(&self) -> String {
        let left = match self.status {
            CertificateStatus::Issued if self.days_left >= 0 => {
                format!(" ({} days left)", self.days_left)
            }
            _ => String::new(),
        };
        format!("{} to {}{left}", self.valid_from, self.valid_till)
    }

    /// Its state, with when and why for a revoked one: "Revoked (2026-11-30, keyCompromise)".
    pub fn state_line(&self) -> String {
        match &self.revoked {
            Some(when) => format!("{} ({when})", self.status.label()),
            None => self.status.label().to_owned(),
        }
    }
}

/// What a current certificate needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextAction {
    /// The order ends within the renewal window: renew it.
    Renew,
    /// The certificate ends within 30 days while its order runs on: reissue within the order.
    Reissue,
    /// The DCV of one of its domains lapses within 30 days while the order runs on: the next
    /// reissue needs the domain validated again.
    Dcv,
    /// Nothing yet.
    None,
}

/// Days before a certificate's end when its reissue is due.
pub const REISSUE_DUE_DAYS: i64 = 30;

impl NextAction {
    /// The most urgent of renew, reissue and DCV; `dcv_days_left` is the soonest DCV lapse of the
    /// certificate's domains.
    pub fn of(
        certificate_days_left: i64,
        order_days_left: Option<i64>,
        renew_window_days: u32,
        dcv_days_left: Option<i64>,
    ) -> Self {
        match order_days_left {
            Some(order) if order <= i64::from(renew_window_days) => NextAction::Renew,
            Some(order)
                if certificate_days_left <= REISSUE_DUE_DAYS && order > certificate_days_left =>
            {
                NextAction::Reissue
            }
            Some(order)
                if dcv_days_left.is_some_and(|dcv| dcv <= REISSUE_DUE_DAYS && order > dcv) =>
            {
                NextAction::Dcv
            }
            _ => NextAction::None,
        }
    }

    /// The filter value of the Certificates view.
    pub fn parse(text: &str) -> Option<NextAction> {
        match text {
            "renew" => Some(NextAction::Renew),
            "reissue" => Some(NextAction::Reissue),
            "dcv" => Some(NextAction::Dcv),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NextAction::Renew => "renew",
            NextAction::Reissue => "reissue",
            NextAction::Dcv => "dcv",
            NextAction::None => "none",
        }
    }

    /// Where the person does it, for the certificate of request `request_id`.
    pub fn page(self, request_id: i64) -> Option<String> {
        match self {
            NextAction::Reissue => Some(format!("/requests/{request_id}/reissue")),
            NextAction::Renew => Some(format!("/requests/{request_id}#renew")),
            NextAction::Dcv => Some(format!("/requests/{request_id}#dcv")),
            NextAction::None => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NextAction::Renew => "Renew the order",
            NextAction::Reissue => "Reissue",
            NextAction::Dcv => "Validate the domain again (DCV lapsing)",
            NextAction::None => "—",
        }
    }
}

/// One current certificate in the Certificates view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentCertificate {
    pub request_id: i64,
    pub certificate_id: i64,
    pub serial: String,
    pub common_name: String,
    pub requester: String,
    pub valid_till: String,
    pub days_left: i64,
    pub order_valid_till: Option<String>,
    pub order_days_left: Option<i64>,
    pub next_action: NextAction,
}

/// Certificates ending in one week, by what their end calls for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekBar {
    /// The Monday, `yyyy-mm-dd`.
    pub week: String,
    /// Their order runs on: a reissue replaces them.
    pub reissue: i64,
    /// Their order ends with them (or first): the order needs renewing.
    pub renew: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificatesPage {
    pub rows: Vec<CurrentCertificate>,
    /// Cursor after the last row when more follow.
    pub next: Option<String>,
    /// The next 26 weeks.
    pub weeks: Vec<WeekBar>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(
        status: CertificateStatus,
        days_left: i64,
        revoked: Option<&str>,
    ) -> CertificateSummary {
        CertificateSummary {
            id: 1,
            kind: CertificateKind::First,
            serial: "0A01".into(),
            common_name: "example.com".into(),
            dns_names: vec!["example.com".into(), "www.example.com".into()],
            valid_from: "2026-06-01".into(),
            valid_till: "2026-12-17".into(),
            days_left,
            status,
            revoked: revoked.map(str::to_owned),
        }
    }

    #[test]
    fn a_certificate_line_names_it_once_each_and_counts_days_only_while_current() {
        let current = summary(CertificateStatus::Issued, 17, None);
        assert_eq!(current.names_line(), "example.com, www.example.com");
        assert_eq!(
            current.validity_line(),
            "2026-06-01 to 2026-12-17 (17 days left)"
        );
        assert_eq!(current.state_line(), "Current");
        let ended = summary(CertificateStatus::Issued, -1, None);
        assert_eq!(ended.validity_line(), "2026-06-01 to 2026-12-17");
        let revoked = summary(
            CertificateStatus::Revoked,
            17,
            Some("2026-11-30, keyCompromise"),
        );
        assert_eq!(revoked.validity_line(), "2026-06-01 to 2026-12-17");
        assert_eq!(revoked.state_line(), "Revoked (2026-11-30, keyCompromise)");
    }

    #[test]
    fn the_next_action_follows_the_order_and_the_certificate() {
        assert_eq!(NextAction::of(100, Some(300), 90, None), NextAction::None);
        assert_eq!(NextAction::of(20, Some(300), 90, None), NextAction::Reissue);
        assert_eq!(NextAction::of(20, Some(60), 90, None), NextAction::Renew);
        // The order ends with the certificate: nothing to reissue into.
        assert_eq!(NextAction::of(20, Some(20), 10, None), NextAction::None);
        assert_eq!(NextAction::of(20, None, 90, None), NextAction::None);
        // A domain's DCV lapses soon while the order runs on: validate it again first.
        assert_eq!(
            NextAction::of(100, Some(300), 90, Some(19)),
            NextAction::Dcv
        );
        assert_eq!(
            NextAction::of(100, Some(300), 90, Some(60)),
            NextAction::None
        );
        // A certificate due for reissue says so first; DCV comes with the reissue.
        assert_eq!(
            NextAction::of(20, Some(300), 90, Some(10)),
            NextAction::Reissue
        );
        for action in [NextAction::Renew, NextAction::Reissue, NextAction::Dcv] {
            assert_eq!(NextAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(
            NextAction::Reissue.page(7).as_deref(),
            Some("/requests/7/reissue")
        );
        assert_eq!(
            NextAction::Renew.page(7).as_deref(),
            Some("/requests/7#renew")
        );
        assert_eq!(NextAction::Dcv.page(7).as_deref(), Some("/requests/7#dcv"));
        assert_eq!(NextAction::None.page(7), None);
    }
}

/// The reasons the Baseline Requirements (§7.2.2) let a subscriber choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
}

impl RevocationReason {
    pub const ALL: [RevocationReason; 5] = [
        RevocationReason::Unspecified,
        RevocationReason::KeyCompromise,
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
    ];

    /// DigiCert's spelling, also certdesk's form value and column value.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "unspecified",
            RevocationReason::KeyCompromise => "key_compromise",
            RevocationReason::AffiliationChanged => "affiliation_changed",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CessationOfOperation => "cessation_of_operation",
        }
    }

    pub fn parse(text: &str) -> Option<RevocationReason> {
        RevocationReason::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "Unspecified",
            RevocationReason::KeyCompromise => "Key compromise: the private key leaked or may have",
            RevocationReason::AffiliationChanged => {
                "Affiliation changed: a name or the organization no longer applies"
            }
            RevocationReason::Superseded => "Superseded: replaced by another certificate",
            RevocationReason::CessationOfOperation => {
                "Cessation of operation: the service or domain is retired"
            }
        }
    }

    /// The short name a certificate's row shows.
    pub fn short(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "unspecified",
            RevocationReason::KeyCompromise => "keyCompromise",
            RevocationReason::AffiliationChanged => "affiliationChanged",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CessationOfOperation => "cessationOfOperation",
        }
    }
}
