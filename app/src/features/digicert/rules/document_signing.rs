//! The rules of document signing orders: subject, provisioning and token shipping.

use super::*;
use crate::features::digicert::payload::{ShipInfo, Subject};

pub(super) fn check_document_signing(
    f: &mut Findings,
    product: ProductId,
    body: &DocumentSigningOrder,
) {
    if product.family() != crate::features::digicert::products::Family::DocumentSigning {
        f.invalid(
            "product",
            format!("{product} is not a document signing product."),
        );
        return;
    }
    if body.certificate.signature_hash != SignatureHash::Sha256 {
        f.invalid(
            "certificate.signature_hash",
            "Document signing certificates are signed with SHA-256 only.",
        );
    }
    let method = body.cs_provisioning_method;
    check_signing_csr(f, method, body.certificate.csr.as_deref());
    if !(1..=MAX_ORDER_YEARS).contains(&body.validity_years) {
        f.invalid("validity_years", "Choose 1, 2 or 3 years.");
    }
    check_ship_info(f, body.ship_info.as_ref(), method);
    check_subject(f, &body.subject);
    check_organization(f, &body.organization);
    f.optional_text("comments", body.comments.as_deref(), "comment", 2000);
    check_common_tail(
        f,
        body.container.map(|c| c.id),
        &body.custom_fields,
        body.alternative_order_id.as_deref(),
    );
}

/// A CSR is needed when the certificate goes by email to the person's own HSM; one that is given
/// must look like a PEM request.
fn check_signing_csr(f: &mut Findings, method: Option<ProvisioningMethod>, csr: Option<&str>) {
    let csr = csr.map(str::trim).filter(|c| !c.is_empty());
    match (method, csr) {
        (Some(ProvisioningMethod::Email), None) => f.required(
            "certificate.csr",
            "A CSR is required when the certificate is delivered by email for your own HSM.",
        ),
        (_, Some(csr)) if !looks_like_csr(csr) => f.coded(
            "certificate.csr",
            "csr_invalid_cannot_parse",
            "This is not a PEM certificate signing request.",
        ),
        _ => {}
    }
}

/// A shipped token needs an address; an address that is given is checked field by field.
fn check_ship_info(f: &mut Findings, ship: Option<&ShipInfo>, method: Option<ProvisioningMethod>) {
    match (ship, method) {
        (None, Some(ProvisioningMethod::ShipToken)) => {
            f.required("ship_info", "Enter the address the token is shipped to.")
        }
        (Some(ship), _) => {
            f.text("ship_info.name", &ship.name, "recipient's name", 128);
            f.text("ship_info.addr1", &ship.addr1, "street address", 128);
            f.optional_text(
                "ship_info.addr2",
                ship.addr2.as_deref(),
                "second address line",
                128,
            );
            f.text("ship_info.city", &ship.city, "city", 128);
            f.text("ship_info.state", &ship.state, "state or province", 128);
            f.text("ship_info.zip", &ship.zip, "postal code", 32);
            check_country(f, "ship_info.country", &ship.country);
        }
        (None, _) => {}
    }
}

/// The person the certificate names.
fn check_subject(f: &mut Findings, subject: &Subject) {
    f.text("subject.name", &subject.name, "subject's full name", 128);
    f.text(
        "subject.job_title",
        &subject.job_title,
        "subject's job title",
        128,
    );
    f.text(
        "subject.phone",
        &subject.phone,
        "subject's phone number",
        32,
    );
    f.email("subject.email", &subject.email);
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;

    #[test]
    fn document_signing_rules() {
        assert_eq!(check_signing(signing()), vec![]);

        let mut email = signing();
        email.cs_provisioning_method = Some(ProvisioningMethod::Email);
        assert_eq!(
            check_signing(email)[0].code,
            "required_param:certificate.csr"
        );

        let mut token = signing();
        token.cs_provisioning_method = Some(ProvisioningMethod::ShipToken);
        assert_eq!(
            check_signing(token.clone())[0].code,
            "required_param:ship_info"
        );
        token.ship_info = Some(ShipInfo {
            name: "".into(),
            addr1: "1 Main".into(),
            addr2: None,
            city: "Lehi".into(),
            state: "UT".into(),
            zip: "84043".into(),
            country: "us".into(),
            method: ShippingMethod::Standard,
        });
        assert_eq!(fields(&check_signing(token)), ["ship_info.name"]);

        let mut hash = signing();
        hash.certificate.signature_hash = SignatureHash::Sha384;
        hash.validity_years = 4;
        hash.subject.email = "x".into();
        assert_eq!(
            fields(&check_signing(hash)),
            [
                "certificate.signature_hash",
                "validity_years",
                "subject.email"
            ]
        );
    }

    // ---- every product: a valid order, then each rule broken once ----

    type SigningBreak = (&'static str, &'static str, fn(&mut DocumentSigningOrder));

    fn ship_info() -> ShipInfo {
        ShipInfo {
            name: "Erin Guerra".into(),
            addr1: "360 Taylor Street".into(),
            addr2: Some("Floor 74".into()),
            city: "Richmond".into(),
            state: "va".into(),
            zip: "69662".into(),
            country: "us".into(),
            method: ShippingMethod::Expedited,
        }
    }

    const SIGNING_BREAKS: &[SigningBreak] = &[
        ("SHA-384", "certificate.signature_hash", |b| {
            b.certificate.signature_hash = SignatureHash::Sha384
        }),
        ("email delivery without CSR", "certificate.csr", |b| {
            b.cs_provisioning_method = Some(ProvisioningMethod::Email);
            b.certificate.csr = None;
        }),
        ("not a CSR", "certificate.csr", |b| {
            b.certificate.csr = Some("MIIB".into())
        }),
        ("zero years", "validity_years", |b| b.validity_years = 0),
        ("four years", "validity_years", |b| b.validity_years = 4),
        ("token without address", "ship_info", |b| {
            b.cs_provisioning_method = Some(ProvisioningMethod::ShipToken);
            b.ship_info = None;
        }),
        ("no recipient", "ship_info.name", |b| {
            b.ship_info.as_mut().unwrap().name.clear()
        }),
        ("no street", "ship_info.addr1", |b| {
            b.ship_info.as_mut().unwrap().addr1.clear()
        }),
        ("long second line", "ship_info.addr2", |b| {
            b.ship_info.as_mut().unwrap().addr2 = Some("a".repeat(129))
        }),
        ("no city", "ship_info.city", |b| {
            b.ship_info.as_mut().unwrap().city.clear()
        }),
        ("no state", "ship_info.state", |b| {
            b.ship_info.as_mut().unwrap().state.clear()
        }),
        ("no postal code", "ship_info.zip", |b| {
            b.ship_info.as_mut().unwrap().zip.clear()
        }),
        ("three-letter country", "ship_info.country", |b| {
            b.ship_info.as_mut().unwrap().country = "usa".into()
        }),
        ("no subject name", "subject.name", |b| {
            b.subject.name.clear()
        }),
        ("no job title", "subject.job_title", |b| {
            b.subject.job_title.clear()
        }),
        ("no phone", "subject.phone", |b| b.subject.phone.clear()),
        ("bad subject email", "subject.email", |b| {
            b.subject.email = "rene@".into()
        }),
        ("unknown organization", "organization.id", |b| {
            b.organization.id = Some(-3)
        }),
        ("long comment", "comments", |b| {
            b.comments = Some("c".repeat(2001))
        }),
        ("unknown container", "container.id", |b| {
            b.container = Some(IdRef { id: -1 })
        }),
        ("alternative id too long", "alternative_order_id", |b| {
            b.alternative_order_id = Some("a".repeat(65))
        }),
    ];

    #[test]
    fn every_document_signing_product_passes_then_fails_each_rule_alone() {
        for product in [
            ProductId::DocumentSigningOrg1,
            ProductId::DocumentSigningOrg2,
        ] {
            let mut valid = signing();
            valid.cs_provisioning_method = Some(ProvisioningMethod::ShipToken);
            valid.ship_info = Some(ship_info());
            valid.container = Some(IdRef { id: 5 });
            let run = |body: DocumentSigningOrder| {
                check_order(&OrderRequest::DocumentSigning { product, body }, TODAY)
            };
            assert_eq!(run(valid.clone()), vec![], "{product} is valid");
            for (what, field, apply) in SIGNING_BREAKS {
                let mut body = valid.clone();
                apply(&mut body);
                let found = run(body);
                assert_eq!(fields(&found), [*field], "{product}, {what}: {found:?}");
            }
            let mut on_tls = valid.clone();
            on_tls.validity_years = 1;
            let wrong = check_order(
                &OrderRequest::DocumentSigning {
                    product: ProductId::SslBasic,
                    body: on_tls,
                },
                TODAY,
            );
            assert_eq!(fields(&wrong), ["product"]);
        }
    }
}
