//! From a form to a DigiCert order: [`prepare`] is the one check the browser runs as a person
//! types and the server runs again before anything is stored.

use super::*;
use crate::error::FormErrors;
use crate::features::csr::{self, CsrReport};
use crate::features::digicert::dates::{DayMonthYear, IsoDate};
use crate::features::digicert::payload::{
    ContactType, CustomField, DcvMethod, DocumentSigningOrder, IdRef, OrderRequest, OrgContact,
    Organization, ProductHint, ProvisioningMethod, ShipInfo, ShippingMethod, SignatureHash,
    SigningCertificate, Subject, TlsCertificate, TlsOrder, Validity,
};
use crate::features::digicert::products::ProductId;
use crate::features::digicert::rules::{self, Violation};
use crate::features::requests::names::split_names;
use time::Date;

/// A checked request, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub product: ProductId,
    pub order: OrderRequest,
    pub csr: Option<CsrReport>,
    /// What lists show: the common name, or the signer's name for document signing.
    pub title: String,
    pub dns_names: Vec<String>,
    pub organization_id: Option<i64>,
}

fn text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn number<T: std::str::FromStr>(
    errors: &mut FormErrors,
    field: &str,
    value: &str,
    label: &str,
) -> Option<T> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(field, format!("{label} must be a whole number."));
            None
        }
    }
}

/// Where a rule's JSON path shows up on the form: the field declared with the longest path that
/// is the path itself or a parent of it (`organization.contacts.0` is the EV approver's, not the
/// organization's); "form" when none is.
pub fn form_field_of(path: &str) -> &'static str {
    RequestForm::DIGICERT_PATHS
        .iter()
        .filter(|(prefix, _)| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, field)| *field)
        .unwrap_or("form")
}

/// The form's values as a DigiCert order, before any rule is checked. Errors are values that
/// cannot be read at all (a word where a number belongs).
pub fn to_order(form: &RequestForm) -> Result<OrderRequest, FormErrors> {
    let mut errors = FormErrors::new("Some fields need your attention.");
    let order = build_order(form, &mut errors);
    match order {
        Some(order) if errors.is_empty() => Ok(order),
        _ => {
            errors.kept = form.kept();
            Err(errors)
        }
    }
}

fn build_order(form: &RequestForm, errors: &mut FormErrors) -> Option<OrderRequest> {
    let Some(kind) = form.form_kind() else {
        errors.add("form", "Choose a product to order.");
        return None;
    };
    let Some(product) = form.product_id() else {
        errors.add("product", "Choose one of the products listed.");
        return None;
    };
    let custom_fields = custom_fields(form, errors);
    Some(if kind.is_tls() {
        let mut body = tls_order(form, kind, errors);
        body.custom_fields = custom_fields;
        OrderRequest::Tls { product, body }
    } else {
        let mut body = signing_order(form, errors);
        body.custom_fields = custom_fields;
        OrderRequest::DocumentSigning { product, body }
    })
}

/// The filled custom order fields, by id; whether the account knows and requires them is
/// checked against DigiCert's list (`account_check`).
fn custom_fields(form: &RequestForm, errors: &mut FormErrors) -> Vec<CustomField> {
    let mut fields = Vec::new();
    for (name, value) in &form.custom {
        let Some(id) = name
            .strip_prefix("cf_")
            .and_then(|id| id.parse::<i64>().ok())
        else {
            errors.add(
                name,
                "This field is not one of the account's custom fields.",
            );
            continue;
        };
        if !value.trim().is_empty() {
            fields.push(CustomField {
                metadata_id: id,
                value: value.trim().to_owned(),
            });
        }
    }
    fields.sort_by_key(|f| f.metadata_id);
    fields
}

/// Checks the form as of `today` and builds the DigiCert order. Runs in the browser (without the
/// CSR's signature check) and on the server (with it).
pub fn prepare(form: &RequestForm, today: Date) -> Result<Prepared, FormErrors> {
    // Sizes first: nothing below parses, converts or compares a value longer than it may be.
    form.check_lengths()?;
    let mut errors = FormErrors::new("Some fields need your attention.");
    // Every form picks its organization from DigiCert's list; the rules' "enter the organization
    // name" speaks of fields this portal does not show.
    if form.organization.trim().is_empty() {
        errors.add("organization", "Choose an organization.");
    }
    let Some(mut order) = build_order(form, &mut errors) else {
        errors.kept = form.kept();
        return Err(errors);
    };
    let product = order.product();
    let kind = form.form_kind().expect("build_order checked the kind");
    for Violation { field, message, .. } in rules::check_order(&order, today) {
        let target = form_field_of(&field);
        // A number that did not parse already has its message; the rule's would repeat it.
        if errors.fields.contains_key(target) && target != "dns_names" {
            continue;
        }
        errors.add(target, message);
    }

    let csr = check_csr(form, &mut errors);
    if !errors.is_empty() {
        errors.kept = form.kept();
        return Err(errors);
    }
    // What is stored and sent is the CSR re-encoded as PEM (an uploaded DER file included).
    let pem = csr.as_ref().and_then(|report| report.pem.clone());
    match &mut order {
        OrderRequest::Tls { body, .. } => body.certificate.csr = pem,
        OrderRequest::DocumentSigning { body, .. } => body.certificate.csr = pem,
    }
    let (common_name, dns_names) = form.ascii_names();
    let title = if kind.is_tls() {
        common_name
    } else {
        form.subject_name.trim().to_owned()
    };
    let organization_id = form.organization.trim().parse().ok();
    Ok(Prepared {
        product,
        order,
        csr,
        title,
        dns_names,
        organization_id,
    })
}

fn tls_order(form: &RequestForm, kind: FormKind, errors: &mut FormErrors) -> TlsOrder {
    let (common_name, dns_names) = form.ascii_names();
    // Read in the form's order, so its errors are listed top to bottom.
    let signature_hash = signature_hash(form, errors);
    let order_validity = order_validity(form, errors);
    let cert_validity = cert_validity(form, errors);
    let organization = tls_organization(form, errors);
    let dcv_method = dcv_method(form, errors);
    let flag = |value: &Option<String>| value.as_ref().map(|_| 1u8);
    TlsOrder {
        certificate: TlsCertificate {
            common_name,
            dns_names,
            csr: text(&form.csr),
            signature_hash,
            server_platform: number(
                errors,
                "server_platform",
                &form.server_platform,
                "The server platform",
            )
            .map(|id| IdRef { id }),
            ca_cert_id: if form.is_private() {
                text(&form.ca_cert_id)
            } else {
                None
            },
            cert_validity,
            ..TlsCertificate::default()
        },
        order_validity,
        comments: text(&form.comments),
        product: (kind == FormKind::SslByType)
            .then(|| form.type_hint().map(|type_hint| ProductHint { type_hint }))
            .flatten(),
        auto_renew: flag(&form.auto_renew),
        auto_reissue: flag(&form.auto_reissue),
        additional_emails: split_names(&form.additional_emails),
        server_licenses: if form.needs_ev_approver() {
            number(
                errors,
                "server_licenses",
                &form.server_licenses,
                "Server licenses",
            )
        } else {
            None
        },
        renewal_of_order_id: number(
            errors,
            "renewal_of_order_id",
            &form.renewal_of_order_id,
            "The order id",
        ),
        dcv_method,
        organization,
        container: number(errors, "container", &form.container, "The container")
            .map(|id| IdRef { id }),
        ..TlsOrder::default()
    }
}

fn signature_hash(form: &RequestForm, errors: &mut FormErrors) -> SignatureHash {
    match form.signature_hash.as_str() {
        "" | "sha256" => SignatureHash::Sha256,
        "sha384" => SignatureHash::Sha384,
        "sha512" => SignatureHash::Sha512,
        _ => {
            errors.add("signature_hash", "Choose SHA-256, SHA-384 or SHA-512.");
            SignatureHash::Sha256
        }
    }
}

/// The order's term: years (the default), days or an end date.
fn order_validity(form: &RequestForm, errors: &mut FormErrors) -> Option<Validity> {
    match form.order_validity.as_str() {
        "days" => number(errors, "order_validity", &form.order_days, "Days").map(|days| Validity {
            days: Some(days),
            ..Validity::default()
        }),
        "date" => ends_on(errors, "order_validity", &form.order_end, "order"),
        _ => number(errors, "order_validity", &form.order_years, "Years").map(|years| Validity {
            years: Some(years),
            ..Validity::default()
        }),
    }
}

/// The first certificate's life: an end date when one is picked, else a number of days (none:
/// the longest allowed).
fn cert_validity(form: &RequestForm, errors: &mut FormErrors) -> Option<Validity> {
    if form.cert_end.trim().is_empty() {
        number(errors, "cert_days", &form.cert_days, "Certificate days").map(|days| Validity {
            days: Some(days),
            ..Validity::default()
        })
    } else {
        ends_on(errors, "cert_days", &form.cert_end, "certificate")
    }
}

/// A validity ending on the `yyyy-mm-dd` date of `field`.
fn ends_on(errors: &mut FormErrors, field: &str, date: &str, what: &str) -> Option<Validity> {
    match IsoDate::parse(date) {
        Ok(IsoDate(end)) => Some(Validity {
            custom_expiration_date: Some(DayMonthYear(end)),
            ..Validity::default()
        }),
        Err(_) => {
            errors.add(field, format!("Pick the date the {what} ends."));
            None
        }
    }
}

/// The organization, with its EV approver as a contact when the product needs one.
fn tls_organization(form: &RequestForm, errors: &mut FormErrors) -> Organization {
    let mut organization = Organization {
        id: number(
            errors,
            "organization",
            &form.organization,
            "The organization",
        ),
        ..Organization::default()
    };
    if form.needs_ev_approver()
        && let Some(user_id) =
            number::<i64>(errors, "ev_approver", &form.ev_approver, "The EV approver")
    {
        organization.contacts.push(OrgContact {
            contact_type: ContactType::EvApprover,
            user_id: Some(user_id),
            first_name: None,
            last_name: None,
            job_title: None,
            telephone: None,
            email: None,
        });
    }
    organization
}

fn dcv_method(form: &RequestForm, errors: &mut FormErrors) -> Option<DcvMethod> {
    match form.dcv_method.as_str() {
        "" => None,
        other => {
            let method = DcvMethod::ALL.into_iter().find(|m| m.as_str() == other);
            if method.is_none() {
                errors.add("dcv_method", "Choose a validation method from the list.");
            }
            method
        }
    }
}

fn signing_order(form: &RequestForm, errors: &mut FormErrors) -> DocumentSigningOrder {
    let method = match form.provisioning_method.as_str() {
        "ship_token" => Some(ProvisioningMethod::ShipToken),
        "client_app" => Some(ProvisioningMethod::ClientApp),
        "email" => Some(ProvisioningMethod::Email),
        _ => {
            errors.add(
                "provisioning_method",
                "Choose how the certificate is delivered.",
            );
            None
        }
    };
    let ship_info = (method == Some(ProvisioningMethod::ShipToken)).then(|| ShipInfo {
        name: form.ship_name.trim().into(),
        addr1: form.ship_addr1.trim().into(),
        addr2: text(&form.ship_addr2),
        city: form.ship_city.trim().into(),
        state: form.ship_state.trim().into(),
        zip: form.ship_zip.trim().into(),
        country: form.ship_country.trim().to_lowercase(),
        method: if form.ship_method == "expedited" {
            ShippingMethod::Expedited
        } else {
            ShippingMethod::Standard
        },
    });
    DocumentSigningOrder {
        certificate: SigningCertificate {
            csr: text(&form.csr),
            server_platform: None,
            signature_hash: SignatureHash::Sha256,
        },
        cs_provisioning_method: method,
        // Sent either way: left out, DigiCert would apply its own default.
        use_org_as_common_name: Some(form.use_org_as_common_name.is_some()),
        validity_years: number(
            errors,
            "validity_years",
            &form.validity_years,
            "Validity years",
        )
        .unwrap_or(0),
        comments: text(&form.comments),
        organization: Organization {
            id: number(
                errors,
                "organization",
                &form.organization,
                "The organization",
            ),
            ..Organization::default()
        },
        container: number(errors, "container", &form.container, "The container")
            .map(|id| IdRef { id }),
        ship_info,
        subject: Subject {
            name: form.subject_name.trim().into(),
            job_title: form.subject_job_title.trim().into(),
            phone: form.subject_phone.trim().into(),
            email: form.subject_email.trim().into(),
        },
        ..DocumentSigningOrder::default()
    }
}

/// The CSR's own checks. Names that differ from the form's do not block: DigiCert takes the
/// certificate's names from the order, not from the CSR (the form shows what differs, see
/// [`NameDifference`]).
fn check_csr(form: &RequestForm, errors: &mut FormErrors) -> Option<CsrReport> {
    if form.csr.trim().is_empty() {
        return None;
    }
    let report = csr::inspect(form.csr.as_bytes());
    if !report.ok {
        // The rules' "not a PEM CSR" says less than the inspection does.
        errors.fields.remove("csr");
        for problem in &report.errors {
            errors.add("csr", problem.clone());
        }
        return None;
    }
    Some(report)
}
