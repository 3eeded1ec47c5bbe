//! What an order must satisfy before it is stored or sent, per product. One source of truth: the
//! order forms, the server and the simulator all call [`check_order`]. Every broken rule names the
//! field (a dotted path into the JSON body) and carries a DigiCert-style error code.

use super::dates::{DayMonthYear, IsoDate};
use super::payload::{
    ContactType, DocumentSigningOrder, OrderContact, OrderRequest, OrgContact, Organization,
    ProvisioningMethod, SignatureHash, TlsOrder, Validity,
};
use super::products::{ProductId, TypeHint, Validation};
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Dotted path of the offending field, e.g. `certificate.common_name`.
    pub field: String,
    /// `required_param:<field>`, `invalid_value:<field>`, or a documented DigiCert code.
    pub code: String,
    pub message: String,
}

/// Longest public TLS certificate DigiCert issues, by issue date. DigiCert runs one day under the
/// CA/Browser Forum limit and moved to 199 days on 2026-02-24. The 2027 and 2029 steps follow the
/// Forum's schedule with the same one-day margin; DigiCert has not published its exact dates.
pub const PUBLIC_TLS_MAX_DAYS: &[(Date, u32)] = &[
    (time::macros::date!(2029 - 03 - 15), 46),
    (time::macros::date!(2027 - 03 - 15), 99),
    (time::macros::date!(2026 - 02 - 24), 199),
    (time::macros::date!(2000 - 01 - 01), 397),
];

/// Orders (Multi-year Plans included) run at most three years since 4–6-year plans ended.
pub const MAX_ORDER_YEARS: u32 = 3;
pub const MAX_ORDER_DAYS: u32 = 1095;
/// Most names one certificate may carry (common name plus additional names).
pub const MAX_NAMES: usize = 250;

pub fn max_public_cert_days(on: Date) -> u32 {
    PUBLIC_TLS_MAX_DAYS
        .iter()
        .find(|(from, _)| on >= *from)
        .map(|(_, days)| *days)
        .unwrap_or(397)
}

/// The validation level an order asks for: the product's own, or the type hint's on `ssl`.
pub fn validation_of(order: &OrderRequest) -> Option<Validation> {
    match order {
        OrderRequest::Tls { product, body } => product
            .validation()
            .or_else(|| body.product.map(|p| p.type_hint.validation())),
        OrderRequest::DocumentSigning { product, .. } => product.validation(),
    }
}

#[derive(Default)]
struct Findings(Vec<Violation>);

impl Findings {
    fn required(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            code: format!("required_param:{field}"),
            message: message.into(),
        });
    }

    fn invalid(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            code: format!("invalid_value:{field}"),
            message: message.into(),
        });
    }

    fn coded(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
    }

    fn text(&mut self, field: &str, value: &str, label: &str, max: usize) {
        if value.trim().is_empty() {
            self.required(field, format!("Enter the {label}."));
        } else if value.chars().count() > max {
            self.invalid(
                field,
                format!("The {label} is longer than {max} characters."),
            );
        }
    }

    fn optional_text(&mut self, field: &str, value: Option<&str>, label: &str, max: usize) {
        if let Some(v) = value
            && v.chars().count() > max
        {
            self.invalid(
                field,
                format!("The {label} is longer than {max} characters."),
            );
        }
    }

    fn email(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.required(field, "Enter an email address.");
        } else if crate::features::auth::model::check_email(value.trim()).is_err() {
            self.invalid(field, format!("\"{value}\" is not an email address."));
        }
    }
}

/// Checks an order as of `today`. An empty answer means the order may be sent.
pub fn check_order(order: &OrderRequest, today: Date) -> Vec<Violation> {
    let mut f = Findings::default();
    match order {
        OrderRequest::Tls { product, body } => check_tls(&mut f, *product, body, today),
        OrderRequest::DocumentSigning { product, body } => {
            check_document_signing(&mut f, *product, body)
        }
    }
    f.0
}

/// Days an order runs and days its first certificate lasts, as DigiCert works them out for an
/// order that passed [`check_order`]: `cert_validity` when given, else the shorter of the order
/// and the dated maximum for public certificates.
pub fn planned_days(order: &OrderRequest, today: Date) -> (u32, u32) {
    let mut scratch = Findings::default();
    match order {
        OrderRequest::Tls { body, .. } => {
            let order_days = check_order_validity(&mut scratch, body, today).unwrap_or(365);
            let public = !matches!(validation_of(order), Some(Validation::Private));
            let cap = if public {
                max_public_cert_days(today)
            } else {
                MAX_ORDER_DAYS
            };
            let limit = today + Duration::days(i64::from(cap));
            let cert_days = body
                .certificate
                .cert_validity
                .as_ref()
                .and_then(|v| validity_days(&mut scratch, "", v, today, limit, 1, cap))
                .unwrap_or(order_days.min(cap));
            (order_days, cert_days.min(order_days))
        }
        OrderRequest::DocumentSigning { body, .. } => {
            let days = body.validity_years.clamp(1, MAX_ORDER_YEARS) * 365;
            (days, days)
        }
    }
}

fn check_tls(f: &mut Findings, product: ProductId, body: &TlsOrder, today: Date) {
    if product.family() != super::products::Family::Tls {
        f.invalid("product", format!("{product} is not a TLS product."));
        return;
    }
    if body.dcv_method == Some(super::payload::DcvMethod::Email)
        && today >= super::dcv::EMAIL_DCV_ENDS
    {
        f.invalid(
            "dcv_method",
            "Email validation ended on 2028-03-15; choose a DNS or file method.",
        );
    }
    let type_hint = body.product.map(|p| p.type_hint);
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
    let validation = product
        .validation()
        .or_else(|| type_hint.map(TypeHint::validation));
    let public = !matches!(validation, Some(Validation::Private));

    let cert = &body.certificate;
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

    let order_days = check_order_validity(f, body, today);
    if let Some(cert_validity) = &cert.cert_validity {
        check_cert_validity(f, cert_validity, order_days, public, today);
    }

    if validation == Some(Validation::Ev) {
        let has_approver = body.organization.contacts.iter().any(|c| {
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
    check_common_tail(
        f,
        body.container.map(|c| c.id),
        &body.custom_fields,
        body.alternative_order_id.as_deref(),
    );
}

fn check_document_signing(f: &mut Findings, product: ProductId, body: &DocumentSigningOrder) {
    if product.family() != super::products::Family::DocumentSigning {
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
    let csr = body
        .certificate
        .csr
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
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
    if !(1..=MAX_ORDER_YEARS).contains(&body.validity_years) {
        f.invalid("validity_years", "Choose 1, 2 or 3 years.");
    }
    match (&body.ship_info, method) {
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
    let subject = &body.subject;
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
    check_organization(f, &body.organization);
    f.optional_text("comments", body.comments.as_deref(), "comment", 2000);
    check_common_tail(
        f,
        body.container.map(|c| c.id),
        &body.custom_fields,
        body.alternative_order_id.as_deref(),
    );
}

fn check_common_tail(
    f: &mut Findings,
    container: Option<i64>,
    custom_fields: &[super::payload::CustomField],
    alternative_order_id: Option<&str>,
) {
    if container.is_some_and(|id| id <= 0) {
        f.invalid("container.id", "Choose a container from the list.");
    }
    for (i, field) in custom_fields.iter().enumerate() {
        if field.metadata_id <= 0 {
            f.invalid(
                &format!("custom_fields.{i}.metadata_id"),
                "Unknown custom field.",
            );
        }
        if field.value.trim().is_empty() {
            f.required(&format!("custom_fields.{i}.value"), "Enter a value.");
        }
    }
    if let Some(id) = alternative_order_id
        && (id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        f.invalid("alternative_order_id", "Up to 64 letters and digits.");
    }
}

/// Works out the order's length in days (`None` when it is missing or broken).
fn check_order_validity(f: &mut Findings, body: &TlsOrder, today: Date) -> Option<u32> {
    let limit = add_years(today, MAX_ORDER_YEARS);
    if let Some(v) = &body.order_validity {
        return validity_days(
            f,
            "order_validity",
            v,
            today,
            limit,
            MAX_ORDER_YEARS,
            MAX_ORDER_DAYS,
        );
    }
    // The deprecated top-level fields; the most specific one wins.
    if let Some(IsoDate(end)) = body.custom_expiration_date {
        return end_date_days(f, "custom_expiration_date", end, today, limit);
    }
    if let Some(days) = body.validity_days {
        return day_count(f, "validity_days", days, MAX_ORDER_DAYS);
    }
    if let Some(years) = body.validity_years {
        return year_count(f, "validity_years", years, MAX_ORDER_YEARS);
    }
    f.required(
        "order_validity",
        "Choose how long the order runs (1 to 3 years).",
    );
    None
}

fn check_cert_validity(
    f: &mut Findings,
    v: &Validity,
    order_days: Option<u32>,
    public: bool,
    today: Date,
) {
    let cap = if public {
        max_public_cert_days(today)
    } else {
        MAX_ORDER_DAYS
    };
    let limit = today + Duration::days(i64::from(cap));
    let Some(days) = validity_days(f, "certificate.cert_validity", v, today, limit, 1, cap) else {
        return;
    };
    if days > cap {
        f.invalid(
            "certificate.cert_validity",
            format!("Certificates issued today last at most {cap} days."),
        );
    } else if order_days.is_some_and(|order| days > order) {
        f.coded(
            "certificate.cert_validity",
            "cert_validity_exceeds_order_validity",
            "The certificate cannot outlast the order.",
        );
    }
}

/// Length in days of a `Validity`: end date, else days, else years (DigiCert's precedence).
fn validity_days(
    f: &mut Findings,
    field: &str,
    v: &Validity,
    today: Date,
    latest_end: Date,
    max_years: u32,
    max_days: u32,
) -> Option<u32> {
    if let Some(DayMonthYear(end)) = v.custom_expiration_date {
        return end_date_days(
            f,
            &format!("{field}.custom_expiration_date"),
            end,
            today,
            latest_end,
        );
    }
    if let Some(days) = v.days {
        return day_count(f, &format!("{field}.days"), days, max_days);
    }
    if let Some(years) = v.years {
        return year_count(f, &format!("{field}.years"), years, max_years);
    }
    f.required(field, "Give years, days or an end date.");
    None
}

fn end_date_days(
    f: &mut Findings,
    field: &str,
    end: Date,
    today: Date,
    latest: Date,
) -> Option<u32> {
    if end <= today {
        f.invalid(field, "The end date must be in the future.");
        return None;
    }
    if end > latest {
        f.invalid(
            field,
            format!("The end date must be on or before {}.", IsoDate(latest)),
        );
        return None;
    }
    Some((end - today).whole_days() as u32)
}

fn day_count(f: &mut Findings, field: &str, days: u32, max: u32) -> Option<u32> {
    if days == 0 || days > max {
        f.invalid(field, format!("Choose between 1 and {max} days."));
        return None;
    }
    Some(days)
}

fn year_count(f: &mut Findings, field: &str, years: u32, max: u32) -> Option<u32> {
    if years == 0 || years > max {
        let allowed = if max == 1 {
            "The only allowed value is 1 year.".to_owned()
        } else {
            format!("Choose between 1 and {max} years.")
        };
        f.invalid(field, allowed);
        return None;
    }
    Some(years * 365)
}

fn add_years(date: Date, years: u32) -> Date {
    let target = date.year() + years as i32;
    date.replace_year(target).unwrap_or_else(|_| {
        date.replace_day(28)
            .and_then(|d| d.replace_year(target))
            .unwrap_or(date)
    })
}

fn check_organization(f: &mut Findings, org: &Organization) {
    match org.id {
        Some(id) if id <= 0 => {
            f.invalid("organization.id", "Choose an organization from the list.")
        }
        Some(_) => {}
        None => {
            f.text(
                "organization.name",
                org.name.as_deref().unwrap_or(""),
                "organization name",
                255,
            );
            f.text(
                "organization.address",
                org.address.as_deref().unwrap_or(""),
                "organization address",
                255,
            );
            f.text(
                "organization.city",
                org.city.as_deref().unwrap_or(""),
                "organization city",
                128,
            );
            f.text(
                "organization.zip",
                org.zip.as_deref().unwrap_or(""),
                "organization postal code",
                32,
            );
            f.text(
                "organization.telephone",
                org.telephone.as_deref().unwrap_or(""),
                "organization telephone",
                32,
            );
            check_country(
                f,
                "organization.country",
                org.country.as_deref().unwrap_or(""),
            );
        }
    }
    for (i, contact) in org.contacts.iter().enumerate() {
        check_org_contact(f, &format!("organization.contacts.{i}"), contact);
    }
}

fn check_org_contact(f: &mut Findings, field: &str, c: &OrgContact) {
    match c.user_id {
        Some(id) if id <= 0 => f.invalid(
            &format!("{field}.user_id"),
            "Choose a person from the list.",
        ),
        Some(_) => {}
        None => {
            f.text(
                &format!("{field}.first_name"),
                c.first_name.as_deref().unwrap_or(""),
                "first name",
                128,
            );
            f.text(
                &format!("{field}.last_name"),
                c.last_name.as_deref().unwrap_or(""),
                "last name",
                128,
            );
            f.text(
                &format!("{field}.job_title"),
                c.job_title.as_deref().unwrap_or(""),
                "job title",
                128,
            );
            f.text(
                &format!("{field}.telephone"),
                c.telephone.as_deref().unwrap_or(""),
                "telephone",
                32,
            );
            f.email(&format!("{field}.email"), c.email.as_deref().unwrap_or(""));
        }
    }
}

fn check_order_contact(f: &mut Findings, field: &str, c: &OrderContact) {
    f.text(
        &format!("{field}.first_name"),
        &c.first_name,
        "first name",
        128,
    );
    f.text(
        &format!("{field}.last_name"),
        &c.last_name,
        "last name",
        128,
    );
    f.email(&format!("{field}.email"), &c.email);
    f.optional_text(
        &format!("{field}.job_title"),
        c.job_title.as_deref(),
        "job title",
        128,
    );
    f.optional_text(
        &format!("{field}.telephone"),
        c.telephone.as_deref(),
        "telephone",
        32,
    );
}

fn check_country(f: &mut Findings, field: &str, country: &str) {
    if country.trim().is_empty() {
        f.required(field, "Enter the two-letter country code.");
    } else if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
        f.invalid(field, "Use the two-letter country code, such as us or de.");
    }
}

/// A PEM CSR at a glance; the CSR checks proper parse the structure and signature.
fn looks_like_csr(text: &str) -> bool {
    let text = text.trim();
    (text.starts_with("-----BEGIN CERTIFICATE REQUEST-----")
        && text.ends_with("-----END CERTIFICATE REQUEST-----"))
        || (text.starts_with("-----BEGIN NEW CERTIFICATE REQUEST-----")
            && text.ends_with("-----END NEW CERTIFICATE REQUEST-----"))
}

/// Common name and additional names: valid DNS names, no duplicates, at most 250 in all,
/// no IP addresses on public certificates.
fn check_names(f: &mut Findings, common_name: &str, dns_names: &[String], public: bool) {
    if common_name.trim().is_empty() {
        f.required("certificate.common_name", "Enter the domain to secure.");
    } else if let Err(problem) = check_dns_name(common_name, public) {
        f.invalid("certificate.common_name", problem);
    }
    let mut seen = std::collections::HashSet::new();
    seen.insert(common_name.trim().to_ascii_lowercase());
    for (i, name) in dns_names.iter().enumerate() {
        let field = format!("certificate.dns_names.{i}");
        if let Err(problem) = check_dns_name(name, public) {
            f.invalid(&field, problem);
        } else if !seen.insert(name.trim().to_ascii_lowercase()) {
            f.invalid(&field, format!("{name} is listed twice."));
        }
    }
    if dns_names.len() + 1 > MAX_NAMES {
        f.invalid(
            "certificate.dns_names",
            format!("At most {MAX_NAMES} names per certificate, the common name included."),
        );
    }
}

/// An ASCII DNS name (international names arrive here already in punycode).
pub fn check_dns_name(name: &str, public: bool) -> Result<(), String> {
    let name = name.trim();
    if name.parse::<std::net::IpAddr>().is_ok() {
        return if public {
            Err(format!(
                "{name} is an IP address; public certificates name domains only."
            ))
        } else {
            Ok(())
        };
    }
    let bad = |why: &str| Err(format!("{name} is not a valid domain name: {why}."));
    if name.len() > 253 {
        return bad("longer than 253 characters");
    }
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    if labels.len() < 2 {
        return bad("it needs at least two labels, like example.com");
    }
    for (i, label) in labels.iter().enumerate() {
        if *label == "*" {
            if i != 0 {
                return bad("a wildcard may only be the whole leftmost label");
            }
            continue;
        }
        if label.contains('*') {
            return bad("a wildcard may only be the whole leftmost label");
        }
        if label.is_empty() || label.len() > 63 {
            return bad("each label has 1 to 63 characters");
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return bad("only letters, digits and hyphens are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return bad("a label cannot start or end with a hyphen");
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return bad("the top-level domain cannot be numeric");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::digicert::payload::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);
    const CSR: &str =
        "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----";

    /// The payload tests' complete order, with every optional field these rules look at set.
    fn tls(product: ProductId) -> (ProductId, TlsOrder) {
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

    fn check(product: ProductId, body: TlsOrder) -> Vec<Violation> {
        check_order(&OrderRequest::Tls { product, body }, TODAY)
    }

    fn fields(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.field.as_str()).collect()
    }

    fn signing() -> DocumentSigningOrder {
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

    fn check_signing(body: DocumentSigningOrder) -> Vec<Violation> {
        check_order(
            &OrderRequest::DocumentSigning {
                product: ProductId::DocumentSigningOrg1,
                body,
            },
            TODAY,
        )
    }

    #[test]
    fn planned_days_follow_the_cap_and_the_order() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.certificate.cert_validity = None;
        body.order_validity = Some(Validity {
            years: Some(2),
            ..Validity::default()
        });
        let order = OrderRequest::Tls {
            product: p,
            body: body.clone(),
        };
        assert_eq!(planned_days(&order, TODAY), (730, 199));
        body.order_validity = Some(Validity {
            days: Some(90),
            ..Validity::default()
        });
        let order = OrderRequest::Tls { product: p, body };
        assert_eq!(planned_days(&order, TODAY), (90, 90));
    }

    #[test]
    fn a_complete_basic_ov_order_passes() {
        let (p, body) = tls(ProductId::SslBasic);
        assert_eq!(check(p, body), vec![]);
    }

    #[test]
    fn the_dated_cap_is_199_days_now_and_397_before() {
        assert_eq!(max_public_cert_days(TODAY), 199);
        assert_eq!(max_public_cert_days(date!(2026 - 02 - 23)), 397);
        assert_eq!(max_public_cert_days(date!(2026 - 02 - 24)), 199);
        assert_eq!(max_public_cert_days(date!(2027 - 03 - 15)), 99);
    }

    #[test]
    fn certificate_validity_is_capped_and_never_above_order_validity() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.certificate.cert_validity = Some(Validity {
            days: Some(200),
            ..Validity::default()
        });
        let v = check(p, body.clone());
        assert_eq!(fields(&v), ["certificate.cert_validity.days"]);

        body.certificate.cert_validity = Some(Validity {
            days: Some(150),
            ..Validity::default()
        });
        body.order_validity = Some(Validity {
            days: Some(100),
            ..Validity::default()
        });
        let v = check(p, body.clone());
        assert_eq!(v[0].code, "cert_validity_exceeds_order_validity");

        body.certificate.cert_validity = Some(Validity {
            years: Some(1),
            ..Validity::default()
        });
        body.order_validity = Some(Validity {
            years: Some(2),
            ..Validity::default()
        });
        let v = check(p, body);
        assert_eq!(
            fields(&v),
            ["certificate.cert_validity"],
            "1 year is above 199 days"
        );
    }

    #[test]
    fn order_validity_is_one_to_three_years() {
        for (validity, ok) in [
            (
                Validity {
                    years: Some(3),
                    ..Validity::default()
                },
                true,
            ),
            (
                Validity {
                    years: Some(4),
                    ..Validity::default()
                },
                false,
            ),
            (
                Validity {
                    years: Some(6),
                    ..Validity::default()
                },
                false,
            ),
            (
                Validity {
                    days: Some(1095),
                    ..Validity::default()
                },
                true,
            ),
            (
                Validity {
                    days: Some(2190),
                    ..Validity::default()
                },
                false,
            ),
            (
                Validity {
                    custom_expiration_date: Some(DayMonthYear(date!(2029 - 11 - 23))),
                    ..Validity::default()
                },
                true,
            ),
            (
                Validity {
                    custom_expiration_date: Some(DayMonthYear(date!(2029 - 11 - 24))),
                    ..Validity::default()
                },
                false,
            ),
            (
                Validity {
                    custom_expiration_date: Some(DayMonthYear(date!(2026 - 11 - 01))),
                    ..Validity::default()
                },
                false,
            ),
        ] {
            let (p, mut body) = tls(ProductId::SslSecuresitePro);
            body.order_validity = Some(validity.clone());
            let v = check(p, body);
            assert_eq!(v.is_empty(), ok, "{validity:?}: {v:?}");
            if !ok {
                assert!(
                    v[0].code.starts_with("invalid_value:order_validity"),
                    "{v:?}"
                );
            }
        }
    }

    #[test]
    fn missing_order_validity_is_required_but_deprecated_fields_count() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.order_validity = None;
        assert_eq!(
            check(p, body.clone())[0].code,
            "required_param:order_validity"
        );
        body.validity_years = Some(2);
        assert_eq!(check(p, body.clone()), vec![]);
        body.validity_years = Some(6);
        assert_eq!(check(p, body)[0].code, "invalid_value:validity_years");
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
    fn names_are_checked_and_deduplicated() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.certificate.common_name = "".into();
        body.certificate.dns_names = vec![
            "www.example.com".into(),
            "WWW.example.com".into(),
            "a.*.example.com".into(),
            "10.0.0.1".into(),
            "-bad.example.com".into(),
        ];
        let v = check(p, body);
        assert_eq!(
            fields(&v),
            [
                "certificate.common_name",
                "certificate.dns_names.1",
                "certificate.dns_names.2",
                "certificate.dns_names.3",
                "certificate.dns_names.4"
            ]
        );
        assert!(check_dns_name("*.example.com", true).is_ok());
        assert!(check_dns_name("10.0.0.1", false).is_ok());
        assert!(check_dns_name("localhost", true).is_err());
    }

    #[test]
    fn at_most_250_names() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.certificate.dns_names = (0..250).map(|i| format!("h{i}.example.com")).collect();
        assert_eq!(fields(&check(p, body)), ["certificate.dns_names"]);
    }

    #[test]
    fn new_organizations_and_contacts_need_their_details() {
        let (p, mut body) = tls(ProductId::SslBasic);
        body.organization = Organization {
            name: Some("Example Inc".into()),
            country: Some("usa".into()),
            contacts: vec![OrgContact {
                contact_type: ContactType::TechnicalContact,
                user_id: None,
                first_name: Some("Jill".into()),
                last_name: None,
                job_title: Some("Admin".into()),
                telephone: Some("555".into()),
                email: Some("not-an-email".into()),
            }],
            ..Organization::default()
        };
        let v = check(p, body);
        assert_eq!(
            fields(&v),
            [
                "organization.address",
                "organization.city",
                "organization.zip",
                "organization.telephone",
                "organization.country",
                "organization.contacts.0.last_name",
                "organization.contacts.0.email"
            ]
        );
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

    type TlsBreak = (&'static str, &'static str, fn(&mut TlsOrder));
    type BoxedBreak = (&'static str, &'static str, Box<dyn Fn(&mut TlsOrder)>);

    fn ev_approver() -> OrgContact {
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

    fn contact() -> OrderContact {
        OrderContact {
            first_name: "Grace".into(),
            last_name: "Hopper".into(),
            email: "grace@example.com".into(),
            job_title: None,
            telephone: None,
            telephone_extension: None,
        }
    }

    /// Every TLS product made valid: `ssl` once per type hint, EV with its approver, private
    /// with its issuing CA.
    fn valid_tls_orders() -> Vec<(String, ProductId, TlsOrder)> {
        let mut out = Vec::new();
        for product in ProductId::ALL {
            if product.family() != super::super::products::Family::Tls {
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
