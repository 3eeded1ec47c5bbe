//! Certificate requests: the five order forms, their values, and how they become a DigiCert
//! order. [`prepare`] is the one check the browser runs as a person types and the server runs
//! again before anything is stored.

use super::names::{MAX_NAME_CHARS, split_names, to_ascii};
use crate::error::FormErrors;
use crate::features::csr::{self, CsrReport};
use crate::features::digicert::dates::{DayMonthYear, IsoDate};
use crate::features::digicert::payload::{
    ContactType, CustomField, DcvMethod, DocumentSigningOrder, IdRef, OrderRequest, OrgContact,
    Organization, ProductHint, ProvisioningMethod, ShipInfo, ShippingMethod, SignatureHash,
    SigningCertificate, Subject, TlsCertificate, TlsOrder, Validity,
};
use crate::features::digicert::products::{ProductId, TypeHint, Validation};
use crate::features::digicert::rules::{self, Violation};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Date;

/// Longest CSR text accepted: a CSR naming 250 domains fits comfortably.
pub const MAX_CSR_CHARS: usize = 64 * 1024;

/// The five order forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormKind {
    BasicOv,
    SecureSiteProEv,
    SslByType,
    MultiYear,
    DocumentSigning,
}

impl FormKind {
    pub const ALL: [FormKind; 5] = [
        FormKind::BasicOv,
        FormKind::SecureSiteProEv,
        FormKind::SslByType,
        FormKind::MultiYear,
        FormKind::DocumentSigning,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            FormKind::BasicOv => "basic-ov",
            FormKind::SecureSiteProEv => "secure-site-pro-ev",
            FormKind::SslByType => "ssl-by-type",
            FormKind::MultiYear => "multi-year",
            FormKind::DocumentSigning => "document-signing",
        }
    }

    pub fn parse(slug: &str) -> Option<FormKind> {
        FormKind::ALL.into_iter().find(|k| k.slug() == slug)
    }

    pub fn title(self) -> &'static str {
        match self {
            FormKind::BasicOv => "Basic OV",
            FormKind::SecureSiteProEv => "Secure Site Pro EV",
            FormKind::SslByType => "SSL by type",
            FormKind::MultiYear => "Multi-year Plan",
            FormKind::DocumentSigning => "Document signing",
        }
    }

    pub fn blurb(self) -> &'static str {
        match self {
            FormKind::BasicOv => "Organization-validated TLS certificate for a web server.",
            FormKind::SecureSiteProEv => {
                "Extended validation TLS; needs your organization's EV approver."
            }
            FormKind::SslByType => "Generic SSL order: organization-validated, EV or private CA.",
            FormKind::MultiYear => "Any of the 14 TLS products on a 1- to 3-year plan.",
            FormKind::DocumentSigning => {
                "Sign PDFs and Office documents; a token shipped to you or a CSR."
            }
        }
    }

    /// Products the form offers; the first is the default.
    pub fn products(self) -> Vec<ProductId> {
        match self {
            FormKind::BasicOv => vec![ProductId::SslBasic],
            FormKind::SecureSiteProEv => vec![ProductId::SslEvSecuresitePro],
            FormKind::SslByType => vec![ProductId::Ssl],
            FormKind::MultiYear => ProductId::MULTI_YEAR.to_vec(),
            FormKind::DocumentSigning => {
                vec![
                    ProductId::DocumentSigningOrg1,
                    ProductId::DocumentSigningOrg2,
                ]
            }
        }
    }

    /// Type hints offered on "SSL by type".
    pub const TYPE_HINTS: [TypeHint; 4] = [
        TypeHint::Ov,
        TypeHint::Ev,
        TypeHint::Grid,
        TypeHint::Private,
    ];

    pub fn is_tls(self) -> bool {
        self != FormKind::DocumentSigning
    }
}

/// Everything a person typed, as the HTML form posts it (`form[common_name]=…`). Strings, so
/// whatever was typed survives a failed submission unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    pub kind: String,
    pub product: String,
    pub type_hint: String,
    pub common_name: String,
    pub dns_names: String,
    pub csr: String,
    pub signature_hash: String,
    pub server_platform: String,
    pub organization: String,
    pub container: String,
    /// `years`, `days` or `date`.
    pub order_validity: String,
    pub order_years: String,
    pub order_days: String,
    /// `yyyy-mm-dd`, as a date input sends it.
    pub order_end: String,
    /// Empty (with `cert_end` empty): the longest the dated cap and the order allow.
    pub cert_days: String,
    /// `yyyy-mm-dd`: the first certificate's end date instead of a number of days.
    pub cert_end: String,
    pub auto_renew: Option<String>,
    pub auto_reissue: Option<String>,
    pub dcv_method: String,
    pub comments: String,
    pub additional_emails: String,
    pub renewal_of_order_id: String,
    pub ca_cert_id: String,
    pub ev_approver: String,
    pub server_licenses: String,
    pub provisioning_method: String,
    pub use_org_as_common_name: Option<String>,
    pub validity_years: String,
    pub ship_name: String,
    pub ship_addr1: String,
    pub ship_addr2: String,
    pub ship_city: String,
    pub ship_state: String,
    pub ship_zip: String,
    pub ship_country: String,
    pub ship_method: String,
    pub subject_name: String,
    pub subject_job_title: String,
    pub subject_phone: String,
    pub subject_email: String,
    /// The account's custom order fields, `cf_<DigiCert field id>` → value (`form[cf_801]=…`).
    #[serde(flatten)]
    pub custom: BTreeMap<String, String>,
}

/// The form name of a custom order field.
pub fn custom_field_name(id: i64) -> String {
    format!("cf_{id}")
}

/// Most custom order fields a form may carry, and the longest value of one.
const MAX_CUSTOM_FIELDS: usize = 30;
const MAX_CUSTOM_CHARS: usize = 500;

impl RequestForm {
    /// A blank form for `kind` with the usual defaults filled in.
    pub fn blank(kind: FormKind) -> Self {
        RequestForm {
            kind: kind.slug().into(),
            product: kind.products()[0].name_id().into(),
            type_hint: if kind == FormKind::SslByType {
                "ov".into()
            } else {
                String::new()
            },
            signature_hash: "sha256".into(),
            order_validity: "years".into(),
            order_years: "1".into(),
            dcv_method: "dns-txt-token".into(),
            provisioning_method: "ship_token".into(),
            validity_years: "1".into(),
            ship_method: "standard".into(),
            ship_country: "us".into(),
            ..RequestForm::default()
        }
    }

    /// Field → value, for putting a form back after a failed plain-HTML submission. A pasted
    /// private key is never among them.
    pub fn kept(&self) -> BTreeMap<String, String> {
        let mut kept = BTreeMap::new();
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(self) {
            for (name, value) in map {
                if let serde_json::Value::String(text) = value {
                    kept.insert(name, text);
                }
            }
        }
        if csr::contains_private_key(self.csr.as_bytes()) {
            kept.remove("csr");
        }
        kept
    }

    /// Every field with the most characters it may hold. A CSR with 250 names fits in 64 KiB;
    /// the names box holds 250 names of 255 characters.
    fn limits(&self) -> Vec<(&'static str, &str, usize)> {
        const SHORT: usize = 100;
        const TEXT: usize = 200;
        vec![
            ("kind", &self.kind, SHORT),
            ("product", &self.product, SHORT),
            ("type_hint", &self.type_hint, SHORT),
            ("common_name", &self.common_name, MAX_NAME_CHARS),
            ("dns_names", &self.dns_names, 64_000),
            ("csr", &self.csr, MAX_CSR_CHARS),
            ("signature_hash", &self.signature_hash, SHORT),
            ("server_platform", &self.server_platform, SHORT),
            ("organization", &self.organization, SHORT),
            ("container", &self.container, SHORT),
            ("order_validity", &self.order_validity, SHORT),
            ("order_years", &self.order_years, SHORT),
            ("order_days", &self.order_days, SHORT),
            ("order_end", &self.order_end, SHORT),
            ("cert_days", &self.cert_days, SHORT),
            ("cert_end", &self.cert_end, SHORT),
            ("dcv_method", &self.dcv_method, SHORT),
            ("comments", &self.comments, 2000),
            ("additional_emails", &self.additional_emails, 4000),
            ("renewal_of_order_id", &self.renewal_of_order_id, SHORT),
            ("ca_cert_id", &self.ca_cert_id, SHORT),
            ("ev_approver", &self.ev_approver, SHORT),
            ("server_licenses", &self.server_licenses, SHORT),
            ("provisioning_method", &self.provisioning_method, SHORT),
            ("validity_years", &self.validity_years, SHORT),
            ("ship_name", &self.ship_name, TEXT),
            ("ship_addr1", &self.ship_addr1, TEXT),
            ("ship_addr2", &self.ship_addr2, TEXT),
            ("ship_city", &self.ship_city, TEXT),
            ("ship_state", &self.ship_state, TEXT),
            ("ship_zip", &self.ship_zip, SHORT),
            ("ship_country", &self.ship_country, SHORT),
            ("ship_method", &self.ship_method, SHORT),
            ("subject_name", &self.subject_name, TEXT),
            ("subject_job_title", &self.subject_job_title, TEXT),
            ("subject_phone", &self.subject_phone, SHORT),
            ("subject_email", &self.subject_email, 254),
        ]
    }

    /// Refuses every field longer than its limit, before any other check looks at it. The
    /// oversized values are not kept (nobody needs 2 MB sent back); the others are.
    pub fn check_lengths(&self) -> Result<(), FormErrors> {
        let mut errors = FormErrors::new("Some fields are too long.");
        for (name, value, max) in self.limits() {
            errors.limit_length(name, value, max);
        }
        if self.custom.len() > MAX_CUSTOM_FIELDS {
            errors.add(
                "form",
                "The form carries more custom fields than any account has.",
            );
        }
        for (name, value) in self.custom.iter().take(MAX_CUSTOM_FIELDS) {
            errors.limit_length(name, name, 24);
            errors.limit_length(name, value, MAX_CUSTOM_CHARS);
        }
        if errors.is_empty() {
            return Ok(());
        }
        errors.kept = self.kept();
        errors
            .kept
            .retain(|name, _| !errors.fields.contains_key(name));
        Err(errors)
    }

    /// The inverse of [`RequestForm::kept`].
    pub fn from_kept(kept: &BTreeMap<String, String>) -> Self {
        let map: serde_json::Map<String, serde_json::Value> = kept
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::from_value(serde_json::Value::Object(map)).unwrap_or_default()
    }

    pub fn form_kind(&self) -> Option<FormKind> {
        FormKind::parse(&self.kind)
    }

    /// The DigiCert product this form orders, if the choice is valid for the form.
    pub fn product_id(&self) -> Option<ProductId> {
        let kind = self.form_kind()?;
        let product = ProductId::parse(&self.product).unwrap_or(kind.products()[0]);
        kind.products().contains(&product).then_some(product)
    }

    pub fn type_hint(&self) -> Option<TypeHint> {
        TypeHint::parse(&self.type_hint).filter(|h| FormKind::TYPE_HINTS.contains(h))
    }

    /// The validation level the person is ordering (decides which fields show).
    pub fn validation(&self) -> Option<Validation> {
        let product = self.product_id()?;
        product
            .validation()
            .or_else(|| self.type_hint().map(TypeHint::validation))
    }

    pub fn needs_ev_approver(&self) -> bool {
        self.validation() == Some(Validation::Ev)
    }

    pub fn is_private(&self) -> bool {
        self.validation() == Some(Validation::Private)
    }

    /// Common name and additional names as DigiCert will get them (punycode, lower case).
    pub fn ascii_names(&self) -> (String, Vec<String>) {
        let common_name = if self.common_name.trim().is_empty() {
            String::new()
        } else {
            to_ascii(&self.common_name)
        };
        let dns_names = split_names(&self.dns_names)
            .iter()
            .map(|n| to_ascii(n))
            .collect();
        (common_name, dns_names)
    }
}

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

/// Where a rule's JSON path shows up on the form.
pub fn form_field_of(path: &str) -> &'static str {
    const MAP: &[(&str, &str)] = &[
        ("certificate.common_name", "common_name"),
        ("certificate.dns_names", "dns_names"),
        ("certificate.csr", "csr"),
        ("certificate.signature_hash", "signature_hash"),
        ("certificate.server_platform", "server_platform"),
        ("certificate.ca_cert_id", "ca_cert_id"),
        ("certificate.cert_validity", "cert_days"),
        ("order_validity", "order_validity"),
        ("validity_years", "validity_years"),
        ("custom_expiration_date", "order_validity"),
        ("organization.contacts", "ev_approver"),
        ("organization", "organization"),
        ("container", "container"),
        ("product", "type_hint"),
        ("additional_emails", "additional_emails"),
        ("comments", "comments"),
        ("renewal_of_order_id", "renewal_of_order_id"),
        ("server_licenses", "server_licenses"),
        ("auto_renew", "auto_renew"),
        ("auto_reissue", "auto_reissue"),
        ("ship_info.name", "ship_name"),
        ("ship_info.addr1", "ship_addr1"),
        ("ship_info.addr2", "ship_addr2"),
        ("ship_info.city", "ship_city"),
        ("ship_info.state", "ship_state"),
        ("ship_info.zip", "ship_zip"),
        ("ship_info.country", "ship_country"),
        ("ship_info", "ship_name"),
        ("subject.name", "subject_name"),
        ("subject.job_title", "subject_job_title"),
        ("subject.phone", "subject_phone"),
        ("subject.email", "subject_email"),
    ];
    MAP.iter()
        .find(|(prefix, _)| {
            path == *prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
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
    let signature_hash = match form.signature_hash.as_str() {
        "" | "sha256" => SignatureHash::Sha256,
        "sha384" => SignatureHash::Sha384,
        "sha512" => SignatureHash::Sha512,
        _ => {
            errors.add("signature_hash", "Choose SHA-256, SHA-384 or SHA-512.");
            SignatureHash::Sha256
        }
    };
    let order_validity = match form.order_validity.as_str() {
        "days" => number(errors, "order_validity", &form.order_days, "Days").map(|days| Validity {
            days: Some(days),
            ..Validity::default()
        }),
        "date" => match IsoDate::parse(&form.order_end) {
            Ok(IsoDate(end)) => Some(Validity {
                custom_expiration_date: Some(DayMonthYear(end)),
                ..Validity::default()
            }),
            Err(_) => {
                errors.add("order_validity", "Pick the date the order ends.");
                None
            }
        },
        _ => number(errors, "order_validity", &form.order_years, "Years").map(|years| Validity {
            years: Some(years),
            ..Validity::default()
        }),
    };
    let cert_validity = if form.cert_end.trim().is_empty() {
        number(errors, "cert_days", &form.cert_days, "Certificate days").map(|days| Validity {
            days: Some(days),
            ..Validity::default()
        })
    } else {
        match IsoDate::parse(&form.cert_end) {
            Ok(IsoDate(end)) => Some(Validity {
                custom_expiration_date: Some(DayMonthYear(end)),
                ..Validity::default()
            }),
            Err(_) => {
                errors.add("cert_days", "Pick the date the certificate ends.");
                None
            }
        }
    };
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
    let dcv_method = match form.dcv_method.as_str() {
        "" => None,
        other => {
            let method = DcvMethod::ALL.into_iter().find(|m| m.as_str() == other);
            if method.is_none() {
                errors.add("dcv_method", "Choose a validation method from the list.");
            }
            method
        }
    };
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

/// Names in the CSR but not on the form, and on the form but not in the CSR. DigiCert takes the
/// certificate's names from the order, so neither blocks a request: names only on the form are
/// information (the certificate will carry them), names only in the CSR a warning (it will not).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameDifference {
    pub only_in_csr: Vec<String>,
    pub only_in_form: Vec<String>,
}

impl NameDifference {
    /// The warning: names the person may have meant to order.
    pub fn warning(&self) -> Option<String> {
        (!self.only_in_csr.is_empty()).then(|| {
            format!(
                "Only in the CSR: {}. The certificate names what the order names, so these will \
                 not be in it; use \"Fill from CSR\" to add them.",
                self.only_in_csr.join(", ")
            )
        })
    }

    /// The information: names DigiCert adds although the CSR lacks them.
    pub fn information(&self) -> Option<String> {
        (!self.only_in_form.is_empty()).then(|| {
            format!(
                "Only in the form: {}. DigiCert takes the names from the order, so the \
                 certificate will name these too.",
                self.only_in_form.join(", ")
            )
        })
    }
}

/// `None` when the CSR names nothing or exactly the form's names (in any order or case). Linear
/// in the number of names: each side is looked up in a hash set of the other.
pub fn name_difference(form: &RequestForm, report: &CsrReport) -> Option<NameDifference> {
    use std::collections::HashSet;
    let in_csr = distinct(report.names().iter().map(|n| to_ascii(n)));
    if in_csr.is_empty() {
        return None;
    }
    let (common_name, dns_names) = form.ascii_names();
    let in_form = distinct(std::iter::once(common_name).chain(dns_names));
    let csr_set: HashSet<&String> = in_csr.iter().collect();
    let form_set: HashSet<&String> = in_form.iter().collect();
    let difference = NameDifference {
        only_in_csr: in_csr
            .iter()
            .filter(|n| !form_set.contains(n))
            .cloned()
            .collect(),
        only_in_form: in_form
            .iter()
            .filter(|n| !csr_set.contains(n))
            .cloned()
            .collect(),
    };
    (!difference.only_in_csr.is_empty() || !difference.only_in_form.is_empty())
        .then_some(difference)
}

/// The non-empty names in first-seen order, each once.
fn distinct(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .filter(|name| !name.is_empty() && seen.insert(name.clone()))
        .collect()
}

/// The CSR preview: what the CSR says, and how its names differ from the form's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsrCheck {
    pub report: CsrReport,
    pub difference: Option<NameDifference>,
}

impl CsrCheck {
    /// Checks the form's CSR (nothing when the box is empty). The report never carries the CSR
    /// itself back, and a private key leaves nothing of itself in it.
    pub fn of(form: &RequestForm) -> Option<CsrCheck> {
        if form.csr.trim().is_empty() {
            return None;
        }
        let mut report = csr::inspect(form.csr.as_bytes());
        report.pem = None;
        let tls = form.form_kind().is_none_or(FormKind::is_tls);
        let difference = if report.ok && tls {
            name_difference(form, &report)
        } else {
            None
        };
        Some(CsrCheck { report, difference })
    }
}

/// Where a request is in its life. Transitions are listed in [`RequestStatus::can_become`] and
/// enforced again by the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum RequestStatus {
    PendingApproval,
    Cancelled,
    Approved,
    Rejected,
    Forwarding,
    Forwarded,
    ForwardFailed,
    Issued,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 8] = [
        RequestStatus::PendingApproval,
        RequestStatus::Cancelled,
        RequestStatus::Approved,
        RequestStatus::Rejected,
        RequestStatus::Forwarding,
        RequestStatus::Forwarded,
        RequestStatus::ForwardFailed,
        RequestStatus::Issued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::PendingApproval => "pending_approval",
            RequestStatus::Cancelled => "cancelled",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Forwarding => "forwarding",
            RequestStatus::Forwarded => "forwarded",
            RequestStatus::ForwardFailed => "forward_failed",
            RequestStatus::Issued => "issued",
        }
    }

    pub fn parse(text: &str) -> Option<RequestStatus> {
        RequestStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::PendingApproval => "Pending approval",
            RequestStatus::Cancelled => "Cancelled",
            RequestStatus::Approved => "Approved",
            RequestStatus::Rejected => "Rejected",
            RequestStatus::Forwarding => "Sending to DigiCert",
            RequestStatus::Forwarded => "At DigiCert",
            RequestStatus::ForwardFailed => "DigiCert refused",
            RequestStatus::Issued => "Issued",
        }
    }

    /// The state machine, declared once: which statuses may follow this one. The database's
    /// `request_transition_allowed` (its trigger) and the status check are tested against it.
    pub fn can_become(self, next: RequestStatus) -> bool {
        use RequestStatus::*;
        matches!(
            (self, next),
            (PendingApproval, Cancelled | Approved | Rejected)
                | (Approved, Forwarding)
                | (Forwarding, Forwarded | ForwardFailed | Issued)
                | (ForwardFailed, Forwarding)
                | (Forwarded, Issued | Rejected | Cancelled)
        )
    }
}

/// One row of "My requests".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub id: i64,
    pub product: ProductId,
    pub title: String,
    pub status: RequestStatus,
    pub submitted_at: String,
    pub updated_at: String,
}

/// One line of a request's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEvent {
    pub at: String,
    pub actor: Option<String>,
    pub from_status: Option<RequestStatus>,
    pub to_status: RequestStatus,
    pub note: Option<String>,
}

/// A request page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub summary: RequestSummary,
    pub requester: String,
    pub form: RequestForm,
    pub csr: Option<CsrReport>,
    /// The exact JSON approval sends to DigiCert, pretty-printed.
    pub payload: String,
    pub endpoint: String,
    pub events: Vec<RequestEvent>,
    pub can_cancel: bool,
    /// What DigiCert knows of it, once forwarded.
    pub digicert: Option<DigicertState>,
    /// DigiCert's codes and messages when it refused the order.
    pub forward_error: Option<String>,
    /// An admin may send a refused order again.
    pub can_retry: bool,
    /// An approver other than the requester may decide it here.
    pub can_decide: bool,
    /// DigiCert's estimate at submission, e.g. "USD 345.00", or "unknown".
    pub price: String,
    /// The order's end (`yyyy-mm-dd`) once DigiCert placed it, and its certificates.
    pub order_valid_till: Option<String>,
    /// The request this one renews, and the requests that renew this one.
    pub renewal_of: Option<i64>,
    pub renewed_by: Vec<i64>,
    /// The requester may renew it now (the order ends within the renewal window).
    pub can_renew: bool,
    pub certificates: Vec<crate::features::certificates::model::CertificateSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigicertState {
    pub order_id: i64,
    pub status: Option<String>,
    pub certificate_id: Option<i64>,
    /// Set once the certificate is issued and stored.
    pub expires_at: Option<String>,
}

/// A page of "My requests", newest first; `next` continues after the last row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestPage {
    pub rows: Vec<RequestSummary>,
    pub next: Option<i64>,
}

#[cfg(test)]
mod tests;
