//! Answers of the non-order endpoints: organizations, approvers, containers, products, users,
//! order look-ups and certificates. Unknown fields are ignored; DigiCert is not consistent about
//! which ones it returns.

use super::payload::{ChainCertificate, RequestRef};
use serde::{Deserialize, Deserializer, Serialize};

/// DigiCert sends some ids as strings (`"user_id": "123456"`); accept both.
fn id_from_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(i64),
        Text(String),
    }
    match Either::deserialize(d)? {
        Either::Number(n) => Ok(n),
        Either::Text(t) => t.trim().parse().map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerRef {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationSummary {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub assumed_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default = "yes")]
    pub is_active: bool,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub address2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub zip: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub telephone: Option<String>,
    #[serde(default)]
    pub container: Option<ContainerRef>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationList {
    pub organizations: Vec<OrganizationSummary>,
    #[serde(default)]
    pub page: Option<Page>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedUser {
    #[serde(deserialize_with = "id_from_string_or_number")]
    pub id: i64,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationValidation {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub validated_until: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified_users: Vec<VerifiedUser>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationList {
    pub validations: Vec<OrganizationValidation>,
}

/// A person who may be named EV approver (verified contact) for an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PotentialApprover {
    #[serde(alias = "id", deserialize_with = "id_from_string_or_number")]
    pub user_id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub telephone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl PotentialApprover {
    pub fn full_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            format!(
                "{} {}",
                self.first_name.as_deref().unwrap_or(""),
                self.last_name.as_deref().unwrap_or("")
            )
            .trim()
            .to_owned()
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PotentialApprovers {
    #[serde(default)]
    pub users: Vec<PotentialApprover>,
    #[serde(default)]
    pub contacts: Vec<PotentialApprover>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub public_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub parent_id: Option<i64>,
    #[serde(default = "yes")]
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerList {
    pub containers: Vec<Container>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerPlatform {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub install_url: Option<String>,
    #[serde(default)]
    pub csr_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaCert {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashType {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashTypes {
    pub allowed_hash_types: Vec<HashType>,
    #[serde(default)]
    pub default_hash_type_id: Option<String>,
}

/// `GET product/{name_id}`: what the account may order and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductInfo {
    pub name_id: String,
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub validation_type: Option<String>,
    #[serde(default)]
    pub allowed_validity_years: Vec<u32>,
    #[serde(default)]
    pub allowed_order_validity_years: Vec<u32>,
    #[serde(default)]
    pub signature_hash_types: Option<HashTypes>,
    #[serde(default)]
    pub allowed_ca_certs: Vec<CaCert>,
    #[serde(default)]
    pub server_platforms: Vec<ServerPlatform>,
    #[serde(default)]
    pub csr_required: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigicertUser {
    pub id: i64,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub telephone: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<DigicertUser>,
    #[serde(default)]
    pub page: Option<Page>,
}

/// One order in `order/alternate/{id}` and `status-changes` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatusEntry {
    pub order_id: i64,
    #[serde(default)]
    pub certificate_id: Option<i64>,
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatusList {
    #[serde(default)]
    pub orders: Vec<OrderStatusEntry>,
    #[serde(default)]
    pub page: Option<Page>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRef {
    pub name_id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCertificate {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub thumbprint: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub common_name: Option<String>,
    #[serde(default)]
    pub dns_names: Vec<String>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_till: Option<String>,
    #[serde(default)]
    pub days_remaining: Option<i64>,
    #[serde(default)]
    pub signature_hash: Option<String>,
    #[serde(default)]
    pub key_size: Option<i64>,
}

/// `GET order/certificate/{order_id}` (the parts certdesk reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    pub id: i64,
    pub status: String,
    #[serde(default)]
    pub certificate: OrderCertificate,
    #[serde(default)]
    pub product: Option<ProductRef>,
    #[serde(default)]
    pub alternative_order_id: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub order_valid_till: Option<String>,
    /// The order this one renews, when DigiCert placed it itself (`auto_renew`).
    #[serde(default)]
    pub renewed_order_id: Option<i64>,
    #[serde(default)]
    pub organization: Option<ContainerRef>,
    #[serde(default)]
    pub requests: Vec<RequestRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainAnswer {
    pub intermediates: Vec<ChainCertificate>,
}

/// What an order status means for a request: still moving, issued, or ended without a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderProgress {
    Pending,
    Issued,
    Failed,
}

/// Maps DigiCert's order statuses; `needs_approval` is pending, unknown statuses count as pending
/// so that a new status never fails an order by mistake.
pub fn order_progress(status: &str) -> OrderProgress {
    match status {
        "issued" => OrderProgress::Issued,
        "rejected" | "denied" | "canceled" | "cancelled" | "revoked" | "expired" => {
            OrderProgress::Failed
        }
        _ => OrderProgress::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn approver_ids_may_be_strings() {
        let list: PotentialApprovers = serde_json::from_value(json!({
            "users": [{"user_id": "123456", "first_name": "Jill", "last_name": "Valentine", "job_title": "CFO", "email": "jill@example.com"}],
            "contacts": [{"id": 7, "name": "Chris Redfield"}]
        }))
        .unwrap();
        assert_eq!(list.users[0].user_id, 123456);
        assert_eq!(list.users[0].full_name(), "Jill Valentine");
        assert_eq!(list.contacts[0].user_id, 7);
        assert_eq!(list.contacts[0].full_name(), "Chris Redfield");
    }

    #[test]
    fn order_info_reads_a_pending_order_without_serial() {
        let info: OrderInfo = serde_json::from_value(json!({
            "id": 1, "status": "needs_approval", "certificate": {"id": 2, "common_name": "example.com", "dns_names": ["example.com"]},
            "product": {"name_id": "ssl_basic", "name": "Basic OV"}, "surprise": [1, 2]
        }))
        .unwrap();
        assert_eq!(info.certificate.id, Some(2));
        assert_eq!(info.certificate.serial_number, None);
        assert_eq!(order_progress(&info.status), OrderProgress::Pending);
    }

    #[test]
    fn statuses_map_to_progress() {
        assert_eq!(order_progress("issued"), OrderProgress::Issued);
        for failed in ["rejected", "denied", "canceled", "revoked", "expired"] {
            assert_eq!(order_progress(failed), OrderProgress::Failed);
        }
        for pending in [
            "pending",
            "processing",
            "waiting_pickup",
            "approved",
            "reissue_pending",
            "new_status",
        ] {
            assert_eq!(order_progress(pending), OrderProgress::Pending);
        }
    }
}

/// One custom order field of the account (`GET account/metadata`). The path and keys are modelled
/// on CertCentral's "custom order fields" page; see the README's list of assumed shapes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldDefinition {
    pub id: i64,
    pub label: String,
    #[serde(default)]
    pub is_required: bool,
    #[serde(default = "active_by_default")]
    pub is_active: bool,
    /// `text`, `int`, `email_address`, `email_list`, …
    #[serde(default)]
    pub data_type: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

fn active_by_default() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldList {
    #[serde(default)]
    pub metadata: Vec<CustomFieldDefinition>,
}

/// Whether `value` fits a custom field's data type; the message says what is expected.
pub fn custom_value_problem(data_type: Option<&str>, value: &str) -> Option<&'static str> {
    let value = value.trim();
    let email = |v: &str| {
        v.split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
    };
    match data_type.unwrap_or("text") {
        "int" | "integer" | "number" if value.parse::<i64>().is_err() => {
            Some("Enter a whole number.")
        }
        "email_address" if !email(value) => Some("Enter an email address."),
        "email_list" if !value.split([',', ';']).map(str::trim).all(email) => {
            Some("Enter email addresses separated by commas.")
        }
        _ => None,
    }
}

#[cfg(test)]
mod custom_field_tests {
    use super::*;

    #[test]
    fn values_are_checked_by_data_type() {
        assert_eq!(custom_value_problem(Some("int"), "12"), None);
        assert!(custom_value_problem(Some("int"), "twelve").is_some());
        assert!(custom_value_problem(Some("email_address"), "ops@").is_some());
        assert_eq!(
            custom_value_problem(Some("email_address"), "ops@example.com"),
            None
        );
        assert_eq!(
            custom_value_problem(Some("email_list"), "a@example.com, b@example.com"),
            None
        );
        assert_eq!(custom_value_problem(None, "anything"), None);
        let list: CustomFieldList = serde_json::from_str(
            r#"{"metadata":[{"id":7,"label":"Cost center","is_required":true,"is_active":true,"data_type":"text"}]}"#,
        )
        .unwrap();
        assert!(list.metadata[0].is_required);
    }
}

/// One entry of `GET container/{id}/product-limits` (the arrays hold strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLimit {
    pub product_name_id: String,
    #[serde(default)]
    pub role_id: Option<i64>,
    #[serde(default)]
    pub allowed_hashes: Vec<String>,
    #[serde(default)]
    pub allowed_lifetimes: Vec<String>,
    #[serde(default)]
    pub allowed_order_lifetimes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLimits {
    #[serde(default)]
    pub is_limited: bool,
    #[serde(default)]
    pub product_limits: Vec<ProductLimit>,
}

/// Years an order may run: the product's list, narrowed by the account's limit when it has one.
pub fn allowed_order_years(info: &ProductInfo, limit: Option<&ProductLimit>) -> Vec<u32> {
    let mut years = if info.allowed_order_validity_years.is_empty() {
        vec![1, 2, 3]
    } else {
        info.allowed_order_validity_years.clone()
    };
    if let Some(limit) = limit.filter(|l| !l.allowed_order_lifetimes.is_empty()) {
        let allowed: Vec<u32> = limit
            .allowed_order_lifetimes
            .iter()
            .filter_map(|y| y.trim().parse().ok())
            .collect();
        years.retain(|y| allowed.contains(y));
    }
    years.sort_unstable();
    years.dedup();
    years
}

/// Signature hashes the product allows, narrowed by the account's limit when it has one.
pub fn allowed_hashes(info: &ProductInfo, limit: Option<&ProductLimit>) -> Vec<HashType> {
    let mut hashes = info
        .signature_hash_types
        .as_ref()
        .map(|h| h.allowed_hash_types.clone())
        .unwrap_or_default();
    if let Some(limit) = limit.filter(|l| !l.allowed_hashes.is_empty()) {
        hashes.retain(|h| {
            limit
                .allowed_hashes
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&h.id))
        });
    }
    hashes
}
