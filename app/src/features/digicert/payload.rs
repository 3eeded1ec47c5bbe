//! Request and response bodies of the order endpoints, field for field as documented.
//! Unset optional fields are left out of the JSON entirely.

use super::dates::{DayMonthYear, IsoDate};
use super::products::{ProductId, TypeHint};
use serde::{Deserialize, Serialize};

/// `{"id": …}`: a reference to a container, server platform and the like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRef {
    pub id: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureHash {
    #[default]
    Sha256,
    Sha384,
    Sha512,
}

impl SignatureHash {
    pub const ALL: [SignatureHash; 3] = [
        SignatureHash::Sha256,
        SignatureHash::Sha384,
        SignatureHash::Sha512,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureHash::Sha256 => "sha256",
            SignatureHash::Sha384 => "sha384",
            SignatureHash::Sha512 => "sha512",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(type_name = "text"))]
pub enum DcvMethod {
    #[serde(rename = "email")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "email"))]
    Email,
    #[serde(rename = "dns-txt-token")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "dns-txt-token"))]
    DnsTxtToken,
    #[serde(rename = "dns-cname-token")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "dns-cname-token"))]
    DnsCnameToken,
    #[serde(rename = "http-token")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "http-token"))]
    HttpToken,
}

impl DcvMethod {
    pub const ALL: [DcvMethod; 4] = [
        DcvMethod::Email,
        DcvMethod::DnsTxtToken,
        DcvMethod::DnsCnameToken,
        DcvMethod::HttpToken,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DcvMethod::Email => "email",
            DcvMethod::DnsTxtToken => "dns-txt-token",
            DcvMethod::DnsCnameToken => "dns-cname-token",
            DcvMethod::HttpToken => "http-token",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DcvScope {
    BaseDomain,
    Fqdn,
}

/// certdesk never handles card numbers, so `card` is not representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethod {
    Balance,
    Profile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactType {
    OrganizationContact,
    TechnicalContact,
    EvApprover,
    VerifiedContact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisioningMethod {
    ShipToken,
    ClientApp,
    Email,
}

impl ProvisioningMethod {
    pub const ALL: [ProvisioningMethod; 3] = [
        ProvisioningMethod::ShipToken,
        ProvisioningMethod::ClientApp,
        ProvisioningMethod::Email,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProvisioningMethod::ShipToken => "ship_token",
            ProvisioningMethod::ClientApp => "client_app",
            ProvisioningMethod::Email => "email",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShippingMethod {
    Standard,
    Expedited,
}

/// `order_validity` and `certificate.cert_validity`: one of years, days or an end date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub years: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_expiration_date: Option<DayMonthYear>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsCertificate {
    pub common_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csr: Option<String>,
    pub signature_hash: SignatureHash,
    /// Deprecated and ignored for public TLS; kept so a request can say what it sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organization_units: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_platform: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_option: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_validity: Option<Validity>,
}

/// A contact of the organization on the order: an existing user by id, or a new person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgContact {
    pub contact_type: ContactType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The order's organization: an existing one by `id`, or the details of a new one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_duplicate_org_check: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<OrgContact>,
}

/// `organization_contact` / `technical_contact` at the top level of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderContact {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone_extension: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    pub metadata_id: i64,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductHint {
    pub type_hint: TypeHint,
}

/// Body of `POST order/certificate/{ssl_basic | ssl | ssl_ev_securesite_pro | multi-year product}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsOrder {
    pub certificate: TlsCertificate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_validity: Option<Validity>,
    /// Deprecated top-level validity; `order_validity` overrides them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_years: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_expiration_date: Option<IsoDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductHint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_reissue: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_renewal_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_renewal_notifications: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_licenses: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_of_order_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_thumbprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_cr_discount: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dcv_method: Option<DcvMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_dcv_scope: Option<DcvScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_approval: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_ct: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_contact: Option<OrderContact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technical_contact: Option<OrderContact>,
    pub organization: Organization,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomField>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_id_assignments: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_guest_access: Option<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningCertificate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_platform: Option<IdRef>,
    pub signature_hash: SignatureHash,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipInfo {
    pub name: String,
    pub addr1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr2: Option<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
    pub method: ShippingMethod,
}

/// The person a document signing certificate is issued to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub job_title: String,
    pub phone: String,
    pub email: String,
}

/// Body of `POST order/certificate/document_signing_org_{1,2}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSigningOrder {
    pub certificate: SigningCertificate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cs_provisioning_method: Option<ProvisioningMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_org_as_common_name: Option<bool>,
    /// 1 when the Certificate Services Agreement was accepted; in DigiCert's sample body,
    /// missing from its parameter table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csa_agreed_to: Option<u8>,
    pub validity_years: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    pub organization: Organization,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<IdRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_info: Option<ShipInfo>,
    pub subject: Subject,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomField>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_id_assignments: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_approval: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative_order_id: Option<String>,
}

/// An order for one product: where it is posted and what is posted.
// Built once per request and moved, never stored in bulk: boxing would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum OrderRequest {
    Tls {
        product: ProductId,
        body: TlsOrder,
    },
    DocumentSigning {
        product: ProductId,
        body: DocumentSigningOrder,
    },
}

impl OrderRequest {
    pub fn product(&self) -> ProductId {
        match self {
            OrderRequest::Tls { product, .. } | OrderRequest::DocumentSigning { product, .. } => {
                *product
            }
        }
    }

    /// Path below the API base, e.g. `order/certificate/ssl_basic`.
    pub fn path(&self) -> String {
        format!("order/certificate/{}", self.product().name_id())
    }

    /// The exact JSON body DigiCert receives.
    pub fn body_json(&self) -> serde_json::Value {
        match self {
            OrderRequest::Tls { body, .. } => serde_json::to_value(body),
            OrderRequest::DocumentSigning { body, .. } => serde_json::to_value(body),
        }
        .expect("order bodies always serialise")
    }

    pub fn alternative_order_id(&self) -> Option<&str> {
        match self {
            OrderRequest::Tls { body, .. } => body.alternative_order_id.as_deref(),
            OrderRequest::DocumentSigning { body, .. } => body.alternative_order_id.as_deref(),
        }
    }

    pub fn set_alternative_order_id(&mut self, id: String) {
        match self {
            OrderRequest::Tls { body, .. } => body.alternative_order_id = Some(id),
            OrderRequest::DocumentSigning { body, .. } => body.alternative_order_id = Some(id),
        }
    }

    pub fn set_skip_approval(&mut self, skip: bool) {
        match self {
            OrderRequest::Tls { body, .. } => body.skip_approval = Some(skip),
            OrderRequest::DocumentSigning { body, .. } => body.skip_approval = Some(skip),
        }
    }

    /// The DCV method a TLS order asks for; document signing has none.
    pub fn dcv_method(&self) -> Option<DcvMethod> {
        match self {
            OrderRequest::Tls { body, .. } => body.dcv_method,
            OrderRequest::DocumentSigning { .. } => None,
        }
    }

    /// Parses a posted body for `product` (the simulator's side).
    pub fn from_body(
        product: ProductId,
        body: serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        Ok(match product.family() {
            super::products::Family::Tls => OrderRequest::Tls {
                product,
                body: serde_json::from_value(body)?,
            },
            super::products::Family::DocumentSigning => OrderRequest::DocumentSigning {
                product,
                body: serde_json::from_value(body)?,
            },
        })
    }
}

// ---- responses ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRef {
    pub id: i64,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcvToken {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub expiration_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_token_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDomain {
    pub id: i64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dcv_token: Option<DcvToken>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCertificate {
    #[serde(default)]
    pub subject_common_name: Option<String>,
    pub pem: String,
}

/// The 201 answer to an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    pub id: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<RequestRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<OrderDomain>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate_chain: Vec<ChainCertificate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dcv_random_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<IdRef>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    pub(crate) fn basic_tls() -> TlsOrder {
        TlsOrder {
            certificate: TlsCertificate {
                common_name: "example.com".into(),
                dns_names: vec!["www.example.com".into()],
                csr: Some("-----BEGIN CERTIFICATE REQUEST-----".into()),
                signature_hash: SignatureHash::Sha256,
                organization_units: vec![],
                server_platform: Some(IdRef { id: 45 }),
                profile_option: None,
                ca_cert_id: None,
                cert_validity: Some(Validity {
                    days: Some(199),
                    ..Validity::default()
                }),
            },
            order_validity: Some(Validity {
                years: Some(1),
                ..Validity::default()
            }),
            validity_years: None,
            validity_days: None,
            custom_expiration_date: None,
            comments: None,
            product: None,
            auto_renew: None,
            auto_reissue: None,
            custom_renewal_message: None,
            disable_renewal_notifications: None,
            additional_emails: vec![],
            locale: None,
            server_licenses: None,
            renewal_of_order_id: None,
            renewed_thumbprint: None,
            apply_cr_discount: None,
            serial_number: None,
            payment_method: None,
            vat_number: None,
            dcv_method: None,
            certificate_dcv_scope: None,
            skip_approval: None,
            disable_ct: None,
            organization_contact: None,
            technical_contact: None,
            organization: Organization {
                id: Some(123456),
                ..Organization::default()
            },
            container: None,
            custom_fields: vec![],
            user_id_assignments: vec![],
            alternative_order_id: None,
            enable_guest_access: None,
        }
    }

    #[test]
    fn unset_optionals_are_omitted() {
        let order = OrderRequest::Tls {
            product: ProductId::SslBasic,
            body: basic_tls(),
        };
        assert_eq!(order.path(), "order/certificate/ssl_basic");
        assert_eq!(
            order.body_json(),
            json!({
                "certificate": {
                    "common_name": "example.com",
                    "dns_names": ["www.example.com"],
                    "csr": "-----BEGIN CERTIFICATE REQUEST-----",
                    "signature_hash": "sha256",
                    "server_platform": {"id": 45},
                    "cert_validity": {"days": 199}
                },
                "order_validity": {"years": 1},
                "organization": {"id": 123456}
            })
        );
    }

    #[test]
    fn dates_use_each_documented_format() {
        let mut body = basic_tls();
        body.order_validity = Some(Validity {
            custom_expiration_date: Some(DayMonthYear(date!(2027 - 06 - 09))),
            ..Validity::default()
        });
        body.custom_expiration_date = Some(IsoDate(date!(2027 - 06 - 09)));
        body.dcv_method = Some(DcvMethod::DnsTxtToken);
        body.product = Some(ProductHint {
            type_hint: TypeHint::Private,
        });
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json["order_validity"]["custom_expiration_date"],
            "09 JUN 2027"
        );
        assert_eq!(json["custom_expiration_date"], "2027-06-09");
        assert_eq!(json["dcv_method"], "dns-txt-token");
        assert_eq!(json["product"]["type_hint"], "private");
    }

    #[test]
    fn ev_contacts_and_document_signing_serialise_as_documented() {
        let mut body = basic_tls();
        body.organization.contacts.push(OrgContact {
            contact_type: ContactType::EvApprover,
            user_id: Some(565611),
            first_name: None,
            last_name: None,
            job_title: None,
            telephone: None,
            email: None,
        });
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json["organization"]["contacts"],
            json!([{"contact_type": "ev_approver", "user_id": 565611}])
        );

        let signing = DocumentSigningOrder {
            certificate: SigningCertificate {
                csr: None,
                server_platform: Some(IdRef { id: 21 }),
                signature_hash: SignatureHash::Sha256,
            },
            cs_provisioning_method: Some(ProvisioningMethod::ShipToken),
            use_org_as_common_name: Some(true),
            csa_agreed_to: None,
            validity_years: 2,
            comments: None,
            organization: Organization {
                id: Some(1),
                ..Organization::default()
            },
            container: None,
            ship_info: Some(ShipInfo {
                name: "Ada".into(),
                addr1: "1 Main St".into(),
                addr2: None,
                city: "Lehi".into(),
                state: "UT".into(),
                zip: "84043".into(),
                country: "us".into(),
                method: ShippingMethod::Expedited,
            }),
            subject: Subject {
                name: "Ada Lovelace".into(),
                job_title: "Engineer".into(),
                phone: "555".into(),
                email: "ada@example.com".into(),
            },
            custom_fields: vec![],
            user_id_assignments: vec![],
            skip_approval: Some(true),
            payment_method: Some(PaymentMethod::Balance),
            alternative_order_id: Some("cd1".into()),
        };
        let json = serde_json::to_value(&signing).unwrap();
        assert_eq!(json["cs_provisioning_method"], "ship_token");
        assert_eq!(json["ship_info"]["method"], "expedited");
        assert_eq!(json["skip_approval"], true);
        assert!(json["certificate"].get("csr").is_none());
        let back: DocumentSigningOrder = serde_json::from_value(json).unwrap();
        assert_eq!(back, signing);
    }

    #[test]
    fn card_payment_cannot_be_expressed() {
        assert!(serde_json::from_value::<PaymentMethod>(json!("card")).is_err());
    }

    #[test]
    fn a_created_order_reads_with_or_without_optional_parts() {
        let minimal: OrderCreated = serde_json::from_value(json!({"id": 5})).unwrap();
        assert_eq!(minimal.id, 5);
        let full: OrderCreated = serde_json::from_value(json!({
            "id": 5, "requests": [{"id": 9, "status": "pending"}],
            "domains": [{"id": 1, "name": "example.com", "dcv_token": {"token": "t", "status": "pending", "expiration_date": "2026-12-01T00:00:00+00:00"}}],
            "certificate_id": 7, "dcv_random_value": "r", "unknown_field": true
        }))
        .unwrap();
        assert_eq!(full.requests[0].id, 9);
        assert_eq!(full.certificate_id, Some(7));
    }
}
