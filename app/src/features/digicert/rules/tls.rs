//! The rules of TLS orders (`ssl_basic`, EV, `ssl` with a type hint, Multi-year Plans).

use super::*;
use crate::features::digicert::payload::TlsCertificate;

pub(super) fn check_tls(f: &mut Findings, product: ProductId, body: &TlsOrder, today: Date) {
    if product.family() != crate::features::digicert::products::Family::Tls {
        f.invalid("product", format!("{product} is not a TLS product."));
        return;
    }
    if body.dcv_method == Some(crate::features::digicert::payload::DcvMethod::Email)
        && today >= crate::features::digicert::dcv::EMAIL_DCV_ENDS
    {
        f.invalid(
            "dcv_method",
            "Email validation ended on 2028-03-15; choose a DNS or file method.",
        );
    }
    let type_hint = body.product.map(|p| p.type_hint);
    check_type_hint(f, product, type_hint);
    let validation = product
        .validation()
        .or_else(|| type_hint.map(TypeHint::validation));
    let public = !matches!(validation, Some(Validation::Private));

    check_certificate(f, &body.certificate, type_hint, public);
    let order_days = check_order_validity(f, body, today);
    if let Some(cert_validity) = &body.certificate.cert_validity {
        check_cert_validity(f, cert_validity, order_days, public, today);
    }
    if validation == Some(Validation::Ev) {
        check_ev_approver(f, &body.organization);
    }
    check_organization(f, &body.organization);
    for (field, contact) in [
        ("organization_contact", &body.organization_contact),
        ("technical_contact", &body.technical_contact),
    ] {
        if let Some(contact) = contact {
            check_order_contact(f, field, contact);
        }
    }
    for (i, email) in body.additional_emails.iter().enumerate() {
        f.email(&format!("additional_emails.{i}"), email);
    }
    check_order_settings(f, body);
    check_common_tail(
        f,
        body.container.map(|c| c.id),
        &body.custom_fields,
        body.alternative_order_id.as_deref(),
    );
}

/// The generic `ssl` product needs a type hint; every other product refuses one.
fn check_type_hint(f: &mut Findings, product: ProductId, type_hint: Option<TypeHint>) {
    match (product, type_hint) {
        (ProductId::Ssl, None) => f.coded(
            "product.type_hint",
            "ambiguous_product",
            "Choose the certificate type (ov, ev, grid or private).",
        ),
        (ProductId::Ssl, Some(_)) | (_, None) => {}
        (_, Some(_)) => f.invalid(
            "product.type_hint",
            "A type hint is only used with the generic ssl product.",
        ),
    }
}

/// The certificate's names, CSR, platform and, for a private certificate, its issuing CA.
fn check_certificate(
    f: &mut Findings,
    cert: &TlsCertificate,
    type_hint: Option<TypeHint>,
    public: bool,
) {
    check_names(f, &cert.common_name, &cert.dns_names, public);
    match cert.csr.as_deref().map(str::trim) {
        None | Some("") => f.required("certificate.csr", "Paste or upload the CSR."),
        Some(csr) if !looks_like_csr(csr) => f.coded(
            "certificate.csr",
            "csr_invalid_cannot_parse",
            "This is not a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----).",
        ),
        Some(_) => {}
    }
    if let Some(platform) = cert.server_platform
        && platform.id < -1
    {
        f.invalid(
            "certificate.server_platform.id",
            "Choose a server platform from the list.",
        );
    }
    if type_hint == Some(TypeHint::Private)
        && cert
            .ca_cert_id
            .as_deref()
            .is_none_or(|id| id.trim().is_empty())
    {
        f.required(
            "certificate.ca_cert_id",
            "Choose the issuing CA for a private certificate.",
        );
    }
    f.optional_text(
        "certificate.profile_option",
        cert.profile_option.as_deref(),
        "profile option",
        100,
    );
}

/// EV orders name the organization's EV approver (or a verified contact) among its contacts.
fn check_ev_approver(f: &mut Findings, organization: &Organization) {
    let has_approver = organization.contacts.iter().any(|c| {
        matches!(
            c.contact_type,
            ContactType::EvApprover | ContactType::VerifiedContact
        )
    });
    if !has_approver {
        f.required(
            "organization.contacts",
            "Choose the organization's EV approver: EV orders need one.",
        );
    }
}

/// The order's switches, licenses, renewal, locale and free texts.
fn check_order_settings(f: &mut Findings, body: &TlsOrder) {
    for (field, value) in [
        ("auto_renew", body.auto_renew),
        ("auto_reissue", body.auto_reissue),
        ("enable_guest_access", body.enable_guest_access),
    ] {
        if value.is_some_and(|v| v > 1) {
            f.invalid(field, "Use 0 (off) or 1 (on).");
        }
    }
    if body.server_licenses == Some(0) {
        f.invalid("server_licenses", "Ask for at least one server license.");
    }
    if body.renewal_of_order_id.is_some_and(|id| id <= 0) {
        f.invalid(
            "renewal_of_order_id",
            "Give the DigiCert order id being renewed.",
        );
    }
    if let Some(thumbprint) = &body.renewed_thumbprint
        && (thumbprint.len() != 40 || !thumbprint.chars().all(|c| c.is_ascii_hexdigit()))
    {
        f.invalid(
            "renewed_thumbprint",
            "A thumbprint is 40 hexadecimal characters (SHA-1).",
        );
    }
    if let Some(locale) = &body.locale {
        let ok = (2..=5).contains(&locale.len())
            && locale
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '_' || c == '-');
        if !ok {
            f.invalid("locale", "Use a locale code such as en or pt_BR.");
        }
    }
    f.optional_text("comments", body.comments.as_deref(), "comment", 2000);
    f.optional_text(
        "custom_renewal_message",
        body.custom_renewal_message.as_deref(),
        "renewal message",
        2000,
    );
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;

    #[test]
    fn a_complete_basic_ov_order_passes() {
        let (p, body) = tls(ProductId::SslBasic);
        assert_eq!(check(p, body), vec![]);
    }

    #[test]
    fn ev_needs_an_ev_approver() {
        let (p, body) = tls(ProductId::SslEvSecuresitePro);
        let v = check(p, body.clone());
        assert_eq!(v[0].code, "required_param:organization.contacts");
        let mut with = body;
        with.organization.contacts.push(OrgContact {
            contact_type: ContactType::EvApprover,
            user_id: Some(77),
            first_name: None,
            last_name: None,
            job_title: None,
            telephone: None,
            email: None,
        });
        assert_eq!(check(p, with), vec![]);
        let (p, mut hinted) = tls(ProductId::Ssl);
        hinted.product = Some(ProductHint {
            type_hint: TypeHint::Ev,
        });
        assert_eq!(fields(&check(p, hinted)), ["organization.contacts"]);
    }

    #[test]
    fn ssl_needs_a_type_hint_and_private_needs_a_ca() {
        let (p, body) = tls(ProductId::Ssl);
        assert_eq!(check(p, body.clone())[0].code, "ambiguous_product");
        let mut private = body;
        private.product = Some(ProductHint {
            type_hint: TypeHint::Private,
        });
        assert_eq!(
            fields(&check(p, private.clone())),
            ["certificate.ca_cert_id"]
        );
        private.certificate.ca_cert_id = Some("3EE6E4F6856DF7FC".into());
        private.certificate.cert_validity = Some(Validity {
            days: Some(365),
            ..Validity::default()
        });
        assert_eq!(
            check(p, private),
            vec![],
            "private certificates are not held to 199 days"
        );
        let (p, mut basic) = tls(ProductId::SslBasic);
        basic.product = Some(ProductHint {
            type_hint: TypeHint::Ov,
        });
        assert_eq!(fields(&check(p, basic)), ["product.type_hint"]);
    }

    #[test]
    fn csr_is_required_for_tls() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.certificate.csr = None;
        assert_eq!(
            check(p, body.clone())[0].code,
            "required_param:certificate.csr"
        );
        body.certificate.csr = Some("hello".into());
        assert_eq!(check(p, body)[0].code, "csr_invalid_cannot_parse");
    }

    #[test]
    fn small_fields_are_checked() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.auto_renew = Some(2);
        body.additional_emails = vec!["ok@example.com".into(), "nope".into()];
        body.alternative_order_id = Some("has-dash".into());
        body.renewed_thumbprint = Some("abc".into());
        body.locale = Some("english!".into());
        let v = check(p, body);
        assert_eq!(
            fields(&v),
            [
                "additional_emails.1",
                "auto_renew",
                "renewed_thumbprint",
                "locale",
                "alternative_order_id"
            ]
        );
    }

    type TlsBreak = (&'static str, &'static str, fn(&mut TlsOrder));

    type BoxedBreak = (&'static str, &'static str, Box<dyn Fn(&mut TlsOrder)>);

    /// Every TLS product made valid: `ssl` once per type hint, EV with its approver, private
    /// with its issuing CA.
    fn valid_tls_orders() -> Vec<(String, ProductId, TlsOrder)> {
        let mut out = Vec::new();
        for product in ProductId::ALL {
            if product.family() != crate::features::digicert::products::Family::Tls {
                continue;
            }
            let hints: Vec<Option<TypeHint>> = if product == ProductId::Ssl {
                TypeHint::ALL.iter().copied().map(Some).collect()
            } else {
                vec![None]
            };
            for hint in hints {
                let (_, mut body) = tls(product);
                body.product = hint.map(|type_hint| ProductHint { type_hint });
                let order = OrderRequest::Tls {
                    product,
                    body: body.clone(),
                };
                match validation_of(&order) {
                    Some(Validation::Ev) => body.organization.contacts.push(ev_approver()),
                    Some(Validation::Private) => {
                        body.certificate.ca_cert_id = Some("SIMPRIVATECA01".into())
                    }
                    _ => {}
                }
                let label = match hint {
                    Some(h) => format!("{product} ({})", h.as_str()),
                    None => product.to_string(),
                };
                out.push((label, product, body));
            }
        }
        out
    }

    fn days(n: u32) -> Option<Validity> {
        Some(Validity {
            days: Some(n),
            ..Validity::default()
        })
    }

    const TLS_BREAKS: &[TlsBreak] = &[
        ("empty common name", "certificate.common_name", |b| {
            b.certificate.common_name = " ".into()
        }),
        ("common name with a space", "certificate.common_name", |b| {
            b.certificate.common_name = "exa mple.com".into()
        }),
        ("wildcard not leftmost", "certificate.dns_names.1", |b| {
            b.certificate.dns_names.push("app.*.example.com".into())
        }),
        ("duplicate name", "certificate.dns_names.1", |b| {
            b.certificate.dns_names.push("WWW.example.com".into())
        }),
        ("251 names", "certificate.dns_names", |b| {
            b.certificate.dns_names = (0..250).map(|i| format!("h{i}.example.com")).collect()
        }),
        ("no CSR", "certificate.csr", |b| b.certificate.csr = None),
        ("not a CSR", "certificate.csr", |b| {
            b.certificate.csr = Some("-----BEGIN PRIVATE KEY-----".into())
        }),
        (
            "unknown server platform",
            "certificate.server_platform.id",
            |b| b.certificate.server_platform = Some(IdRef { id: -7 }),
        ),
        ("long profile option", "certificate.profile_option", |b| {
            b.certificate.profile_option = Some("p".repeat(101))
        }),
        ("no order validity", "order_validity", |b| {
            b.order_validity = None
        }),
        ("four-year order", "order_validity.years", |b| {
            b.order_validity = Some(Validity {
                years: Some(4),
                ..Validity::default()
            })
        }),
        ("zero-day order", "order_validity.days", |b| {
            b.order_validity = days(0)
        }),
        (
            "order ending in the past",
            "order_validity.custom_expiration_date",
            |b| {
                b.order_validity = Some(Validity {
                    custom_expiration_date: Some(DayMonthYear(date!(2026 - 01 - 01))),
                    ..Validity::default()
                })
            },
        ),
        ("deprecated six-year validity", "validity_years", |b| {
            b.order_validity = None;
            b.validity_years = Some(6);
        }),
        (
            "deprecated end date too late",
            "custom_expiration_date",
            |b| {
                b.order_validity = None;
                b.custom_expiration_date = Some(IsoDate(date!(2030 - 01 - 01)));
            },
        ),
        (
            "certificate outlasting the order",
            "certificate.cert_validity",
            |b| {
                b.order_validity = days(30);
                b.certificate.cert_validity = days(60);
            },
        ),
        (
            "two-year certificate",
            "certificate.cert_validity.years",
            |b| {
                b.certificate.cert_validity = Some(Validity {
                    years: Some(2),
                    ..Validity::default()
                })
            },
        ),
        (
            "empty certificate validity",
            "certificate.cert_validity",
            |b| b.certificate.cert_validity = Some(Validity::default()),
        ),
        ("unknown organization", "organization.id", |b| {
            b.organization.id = Some(0)
        }),
        (
            "contact chosen badly",
            "organization.contacts.0.user_id",
            |b| {
                b.organization.contacts.insert(
                    0,
                    OrgContact {
                        contact_type: ContactType::TechnicalContact,
                        user_id: Some(-1),
                        ..ev_approver()
                    },
                )
            },
        ),
        ("order contact email", "organization_contact.email", |b| {
            b.organization_contact = Some(OrderContact {
                email: "grace@".into(),
                ..contact()
            })
        }),
        (
            "technical contact name",
            "technical_contact.first_name",
            |b| {
                b.technical_contact = Some(OrderContact {
                    first_name: "".into(),
                    ..contact()
                })
            },
        ),
        ("notification email", "additional_emails.0", |b| {
            b.additional_emails = vec!["team at example.com".into()]
        }),
        ("auto renew 2", "auto_renew", |b| b.auto_renew = Some(2)),
        ("auto reissue 3", "auto_reissue", |b| {
            b.auto_reissue = Some(3)
        }),
        ("guest access 9", "enable_guest_access", |b| {
            b.enable_guest_access = Some(9)
        }),
        ("zero server licenses", "server_licenses", |b| {
            b.server_licenses = Some(0)
        }),
        ("renewal of order 0", "renewal_of_order_id", |b| {
            b.renewal_of_order_id = Some(0)
        }),
        ("short thumbprint", "renewed_thumbprint", |b| {
            b.renewed_thumbprint = Some("abc".into())
        }),
        ("odd locale", "locale", |b| {
            b.locale = Some("klingon".into())
        }),
        ("long comment", "comments", |b| {
            b.comments = Some("c".repeat(2001))
        }),
        ("long renewal message", "custom_renewal_message", |b| {
            b.custom_renewal_message = Some("m".repeat(2001))
        }),
        ("unknown container", "container.id", |b| {
            b.container = Some(IdRef { id: 0 })
        }),
        ("unknown custom field", "custom_fields.0.metadata_id", |b| {
            b.custom_fields = vec![CustomField {
                metadata_id: 0,
                value: "x".into(),
            }]
        }),
        ("empty custom field", "custom_fields.0.value", |b| {
            b.custom_fields = vec![CustomField {
                metadata_id: 12,
                value: " ".into(),
            }]
        }),
        ("alternative id with dashes", "alternative_order_id", |b| {
            b.alternative_order_id = Some("not-alnum".into())
        }),
    ];

    #[test]
    fn every_tls_product_passes_then_fails_each_rule_alone() {
        let orders = valid_tls_orders();
        assert_eq!(
            orders.len(),
            14 + 4,
            "14 Multi-year products and 4 type hints"
        );
        for (label, product, valid) in orders {
            assert_eq!(check(product, valid.clone()), vec![], "{label} is valid");
            let public = !matches!(
                validation_of(&OrderRequest::Tls {
                    product,
                    body: valid.clone()
                }),
                Some(Validation::Private)
            );
            let mut breaks: Vec<BoxedBreak> = TLS_BREAKS
                .iter()
                .map(|(what, field, f)| (*what, *field, Box::new(*f) as Box<dyn Fn(&mut TlsOrder)>))
                .collect();
            if public {
                breaks.push((
                    "IP address",
                    "certificate.dns_names.1",
                    Box::new(|b| b.certificate.dns_names.push("192.0.2.1".into())),
                ));
                breaks.push((
                    "200-day certificate",
                    "certificate.cert_validity.days",
                    Box::new(|b| b.certificate.cert_validity = days(200)),
                ));
            } else {
                breaks.push((
                    "no issuing CA",
                    "certificate.ca_cert_id",
                    Box::new(|b| b.certificate.ca_cert_id = None),
                ));
            }
            match product {
                ProductId::Ssl => breaks.push((
                    "no type hint",
                    "product.type_hint",
                    Box::new(|b| {
                        b.product = None;
                        b.certificate.ca_cert_id = None;
                        b.organization.contacts.clear();
                    }),
                )),
                _ => breaks.push((
                    "type hint on a named product",
                    "product.type_hint",
                    Box::new(|b| {
                        b.product = Some(ProductHint {
                            type_hint: TypeHint::Ov,
                        })
                    }),
                )),
            }
            if valid
                .organization
                .contacts
                .iter()
                .any(|c| c.contact_type == ContactType::EvApprover)
            {
                breaks.push((
                    "EV without approver",
                    "organization.contacts",
                    Box::new(|b| b.organization.contacts.clear()),
                ));
            }
            for (what, field, apply) in breaks {
                let mut body = valid.clone();
                apply(&mut body);
                let found = check(product, body);
                assert_eq!(fields(&found), [field], "{label}, {what}: {found:?}");
                assert!(
                    !found[0].message.is_empty() && !found[0].code.is_empty(),
                    "{label}, {what}: {found:?}"
                );
            }
        }
    }
}
