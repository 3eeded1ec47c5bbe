//! The simulated CertCentral account: organizations, approvers, containers, users, products.

use app::features::digicert::account::{
    CaCert, Container, CustomFieldDefinition, DigicertUser, HashType, HashTypes,
    OrganizationSummary, OrganizationValidation, PotentialApprover, ProductInfo, ServerPlatform,
    VerifiedUser,
};
use app::features::digicert::products::{Family, ProductId, Validation};

pub struct SimOrganization {
    pub summary: OrganizationSummary,
    pub validations: Vec<OrganizationValidation>,
    pub approvers: Vec<PotentialApprover>,
}

pub struct Account {
    pub organizations: Vec<SimOrganization>,
    pub containers: Vec<Container>,
    pub users: Vec<DigicertUser>,
}

pub const PRIVATE_CA_ID: &str = "SIMPRIVATECA01";

fn approver(id: i64, first: &str, last: &str, title: &str, email: &str) -> PotentialApprover {
    PotentialApprover {
        user_id: id,
        name: Some(format!("{first} {last}")),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        job_title: Some(title.into()),
        telephone: Some("+1 801 555 0100".into()),
        email: Some(email.into()),
    }
}

fn validation(
    kind: &str,
    status: &str,
    approvers: &[&PotentialApprover],
) -> OrganizationValidation {
    OrganizationValidation {
        kind: kind.into(),
        name: Some(kind.to_uppercase()),
        description: Some(format!("{} validation", kind.to_uppercase())),
        date_created: Some("2026-01-05T10:00:00+00:00".into()),
        validated_until: Some("2027-02-04T23:59:59+00:00".into()),
        status: status.into(),
        verified_users: approvers
            .iter()
            .map(|a| VerifiedUser {
                id: a.user_id,
                first_name: a.first_name.clone(),
                last_name: a.last_name.clone(),
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn organization(
    id: i64,
    name: &str,
    city: &str,
    state: &str,
    country: &str,
    active: bool,
    container: i64,
) -> OrganizationSummary {
    OrganizationSummary {
        id,
        name: name.into(),
        status: Some(if active { "active" } else { "inactive" }.into()),
        assumed_name: None,
        display_name: Some(format!("{name} ({city})")),
        is_active: active,
        address: Some("2801 N Thanksgiving Way".into()),
        address2: None,
        city: Some(city.into()),
        state: Some(state.into()),
        zip: Some("84043".into()),
        country: Some(country.into()),
        telephone: Some("+1 801 555 0100".into()),
        container: Some(app::features::digicert::account::ContainerRef {
            id: container,
            name: None,
        }),
    }
}

impl Account {
    pub fn seeded() -> Account {
        let jill = approver(
            2001,
            "Jill",
            "Valentine",
            "Chief Financial Officer",
            "jill.valentine@example.com",
        );
        let chris = approver(
            2002,
            "Chris",
            "Redfield",
            "Chief Technology Officer",
            "chris.redfield@example.com",
        );
        let ada = approver(
            2003,
            "Ada",
            "Wong",
            "Managing Director",
            "ada.wong@example.de",
        );
        let organizations = vec![
            SimOrganization {
                summary: organization(1001, "Example Corp", "Lehi", "Utah", "us", true, 5),
                validations: vec![
                    validation("ov", "active", &[]),
                    validation("ev", "active", &[&jill]),
                ],
                approvers: vec![jill.clone(), chris.clone()],
            },
            SimOrganization {
                summary: organization(1002, "Example Labs GmbH", "Berlin", "Berlin", "de", true, 6),
                validations: vec![
                    validation("ov", "active", &[]),
                    validation("ev", "pending", &[]),
                ],
                approvers: vec![ada.clone()],
            },
            SimOrganization {
                summary: organization(
                    1003,
                    "Retired Holdings LLC",
                    "Provo",
                    "Utah",
                    "us",
                    false,
                    5,
                ),
                validations: vec![validation("ov", "expired", &[])],
                approvers: vec![],
            },
        ];
        let users = [&jill, &chris, &ada]
            .into_iter()
            .map(digicert_user)
            .collect();
        Account {
            organizations,
            containers: seeded_containers(),
            users,
        }
    }

    pub fn organization(&self, id: i64) -> Option<&SimOrganization> {
        self.organizations.iter().find(|o| o.summary.id == id)
    }
}

/// The demo account's custom order fields: a required "Cost center" and an optional "Ticket".
pub fn custom_fields() -> Vec<CustomFieldDefinition> {
    let field = |id, label: &str, required, description: &str| CustomFieldDefinition {
        id,
        label: label.into(),
        is_required: required,
        is_active: true,
        data_type: Some("text".into()),
        description: Some(description.into()),
    };
    vec![
        field(
            801,
            "Cost center",
            true,
            "The cost center the certificate is billed to.",
        ),
        field(
            802,
            "Ticket",
            false,
            "A change or service ticket, if there is one.",
        ),
    ]
}

pub fn server_platforms() -> Vec<ServerPlatform> {
    [
        (-1, "OTHER"),
        (2, "Apache"),
        (45, "nginx"),
        (40, "Microsoft IIS 7"),
        (67, "Microsoft IIS 8"),
    ]
    .into_iter()
    .map(|(id, name)| ServerPlatform {
        id,
        name: name.into(),
        install_url: None,
        csr_url: None,
    })
    .collect()
}

pub fn product_info(product: ProductId) -> ProductInfo {
    let signing = product.family() == Family::DocumentSigning;
    // Document signing, and the DV brands, sign with SHA-256 only.
    let sha256_only = signing
        || matches!(
            product,
            ProductId::SslDvRapidssl
                | ProductId::WildcardDvRapidssl
                | ProductId::SslDvGeotrustFlex
                | ProductId::SslDvThawte
        );
    let hashes: &[&str] = if sha256_only {
        &["sha256"]
    } else {
        &["sha256", "sha384", "sha512"]
    };
    let validation = product.validation().map(|v| match v {
        Validation::Dv => "dv",
        Validation::Ov => "ov",
        Validation::Ev => "ev",
        Validation::Private => "private",
        Validation::Grid => "grid",
    });
    ProductInfo {
        name_id: product.name_id().into(),
        name: product.display_name().into(),
        kind: Some(
            if signing {
                "document_signing"
            } else {
                "ssl_certificate"
            }
            .into(),
        ),
        validation_type: validation.map(Into::into),
        allowed_validity_years: vec![1],
        allowed_order_validity_years: vec![1, 2, 3],
        signature_hash_types: Some(HashTypes {
            allowed_hash_types: hashes
                .iter()
                .map(|h| HashType {
                    id: (*h).into(),
                    name: format!("SHA-{}", &h[3..]),
                })
                .collect(),
            default_hash_type_id: Some("sha256".into()),
        }),
        allowed_ca_certs: if product == ProductId::Ssl {
            vec![CaCert {
                id: PRIVATE_CA_ID.into(),
                name: "certdesk Simulated Private CA".into(),
            }]
        } else {
            Vec::new()
        },
        server_platforms: server_platforms(),
        csr_required: Some(!signing),
    }
}

/// The account's two divisions, the second under the first.
fn seeded_containers() -> Vec<Container> {
    vec![
        Container {
            id: 5,
            name: "Example Corp".into(),
            public_id: Some("c5-example".into()),
            description: Some("Top-level division".into()),
            parent_id: None,
            is_active: true,
        },
        Container {
            id: 6,
            name: "Example Labs".into(),
            public_id: Some("c6-labs".into()),
            description: Some("Research division".into()),
            parent_id: Some(5),
            is_active: true,
        },
    ]
}

/// The account user behind an approver.
fn digicert_user(a: &PotentialApprover) -> DigicertUser {
    DigicertUser {
        id: a.user_id,
        username: a.email.clone(),
        first_name: a.first_name.clone(),
        last_name: a.last_name.clone(),
        email: a.email.clone(),
        job_title: a.job_title.clone(),
        telephone: a.telephone.clone(),
        status: Some("active".into()),
    }
}
