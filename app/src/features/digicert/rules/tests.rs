//! What the rules' tests share: a complete order of each kind, and how to read the findings.

pub(super) use super::*;
pub(super) use crate::features::digicert::payload::*;
pub(super) use time::macros::date;

pub(super) const TODAY: Date = date!(2026 - 11 - 23);
pub(super) const CSR: &str =
    "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----";
/// The payload tests' complete order, with every optional field these rules look at set.
pub(super) fn tls(product: ProductId) -> (ProductId, TlsOrder) {
    let mut body = crate::features::digicert::payload::tests::basic_tls();
    body.certificate.csr = Some(CSR.into());
    body.certificate.server_platform = Some(IdRef { id: -1 });
    body.auto_renew = Some(0);
    body.payment_method = Some(PaymentMethod::Balance);
    body.dcv_method = Some(DcvMethod::DnsTxtToken);
    body.organization = Organization {
        id: Some(1001),
        ..Organization::default()
    };
    body.container = Some(IdRef { id: 5 });
    body.alternative_order_id = Some("cd0123abc".into());
    (product, body)
}

pub(super) fn check(product: ProductId, body: TlsOrder) -> Vec<Violation> {
    check_order(&OrderRequest::Tls { product, body }, TODAY)
}

pub(super) fn fields(v: &[Violation]) -> Vec<&str> {
    v.iter().map(|v| v.field.as_str()).collect()
}

pub(super) fn signing() -> DocumentSigningOrder {
    DocumentSigningOrder {
        certificate: SigningCertificate {
            csr: None,
            server_platform: None,
            signature_hash: SignatureHash::Sha256,
        },
        cs_provisioning_method: Some(ProvisioningMethod::ClientApp),
        use_org_as_common_name: Some(true),
        csa_agreed_to: None,
        validity_years: 1,
        comments: None,
        organization: Organization {
            id: Some(1001),
            ..Organization::default()
        },
        container: None,
        ship_info: None,
        subject: Subject {
            name: "Ada Lovelace".into(),
            job_title: "Engineer".into(),
            phone: "+1 555 0100".into(),
            email: "ada@example.com".into(),
        },
        custom_fields: vec![],
        user_id_assignments: vec![],
        skip_approval: None,
        payment_method: None,
        alternative_order_id: None,
    }
}

pub(super) fn check_signing(body: DocumentSigningOrder) -> Vec<Violation> {
    check_order(
        &OrderRequest::DocumentSigning {
            product: ProductId::DocumentSigningOrg1,
            body,
        },
        TODAY,
    )
}

pub(super) fn ev_approver() -> OrgContact {
    OrgContact {
        contact_type: ContactType::EvApprover,
        user_id: Some(2001),
        first_name: None,
        last_name: None,
        job_title: None,
        telephone: None,
        email: None,
    }
}

pub(super) fn contact() -> OrderContact {
    OrderContact {
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        email: "grace@example.com".into(),
        job_title: None,
        telephone: None,
        telephone_extension: None,
    }
}
