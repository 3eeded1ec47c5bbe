//! Shapes of DigiCert's reissue, duplicate and revoke endpoints (LIFECYCLE-NOTES §3–4).

use super::payload::IdRef;
use serde::{Deserialize, Serialize};

/// The body of `POST order/certificate/{id}/reissue` and `…/duplicate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCertificateBody {
    pub certificate: NewCertificate,
    /// certdesk's approvers decided already; DigiCert's own approval step is skipped.
    pub skip_approval: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCertificate {
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub csr: String,
    pub signature_hash: String,
}

/// One entry of `GET order/certificate/{id}/reissue` or `…/duplicate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCertificateEntry {
    pub id: i64,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub csr: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub common_name: Option<String>,
    #[serde(default)]
    pub valid_till: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCertificateList {
    #[serde(default)]
    pub certificates: Vec<OrderCertificateEntry>,
}

/// The body of `PUT certificate/{id}/revoke` and `PUT order/certificate/{id}/revoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeBody {
    pub revocation_reason: String,
    pub comments: String,
    pub skip_approval: bool,
}

/// A request at DigiCert (`GET request`, `GET request/{id}`, the 201 answer of a revoke).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRequest {
    pub id: i64,
    #[serde(default)]
    pub status: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub order: Option<IdRef>,
    #[serde(default)]
    pub certificate: Option<IdRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRequestList {
    #[serde(default)]
    pub requests: Vec<AccountRequest>,
}

/// What DigiCert did with a revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Revoked at once (204).
    Revoked,
    /// A revoke request waits for an account administrator.
    Pending(i64),
}

/// The same CSR, whatever line breaks and spacing carry it.
pub fn same_csr(a: &str, b: &str) -> bool {
    let squash = |s: &str| -> String {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
    };
    squash(a) == squash(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrs_compare_by_their_base64_alone() {
        let a =
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\nBBBB\n-----END CERTIFICATE REQUEST-----\n";
        let b = "-----BEGIN CERTIFICATE REQUEST-----\r\n  AAAABBBB\r\n-----END CERTIFICATE REQUEST-----";
        assert!(same_csr(a, b));
        assert!(!same_csr(a, &a.replace("BBBB", "BBBC")));
    }

    #[test]
    fn a_pending_revoke_request_reads_with_its_type() {
        let request: AccountRequest = serde_json::from_str(
            r#"{"id":800001,"status":"pending","type":"revoke","order":{"id":5},"comments":"x"}"#,
        )
        .unwrap();
        assert_eq!((request.id, request.kind.as_str()), (800001, "revoke"));
        assert_eq!(request.order.map(|o| o.id), Some(5));
    }
}
