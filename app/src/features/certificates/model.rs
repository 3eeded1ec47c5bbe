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
}
