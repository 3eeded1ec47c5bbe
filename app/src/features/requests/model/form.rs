//! The five order forms and everything a person typed into one.

use crate::error::FormErrors;
use crate::features::csr::{self};
use crate::features::digicert::products::{ProductId, TypeHint, Validation};
use crate::features::requests::names::{MAX_NAME_CHARS, split_names, to_ascii};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// Declares the order form's fields once. A text field: its name (the struct field, the HTML
/// `form[name]` and the key of its errors), the most characters it may hold and, when DigiCert
/// can complain about that place, the paths of its order JSON that land on it
/// (`=> "ship_info.addr1"`). A checkbox: its name and paths. Adding a field is one line here,
/// its input in the view (`text_field!`) and where the order carries it.
macro_rules! request_form {
    (
        text {
            $($(#[$doc:meta])* $name:ident: $limit:expr $(=> $($path:literal),+)?,)*
        }
        checkboxes {
            $($(#[$check_doc:meta])* $check:ident $(=> $($check_path:literal),+)?,)*
        }
    ) => {
        /// Everything a person typed, as the HTML form posts it (`form[common_name]=…`). Strings,
        /// so whatever was typed survives a failed submission unchanged.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct RequestForm {
            $($(#[$doc])* pub $name: String,)*
            $($(#[$check_doc])* pub $check: Option<String>,)*
            /// The account's custom order fields, `cf_<DigiCert field id>` → value
            /// (`form[cf_801]=…`).
            #[serde(flatten)]
            pub custom: BTreeMap<String, String>,
        }

        impl RequestForm {
            /// Every text field with the most characters it may hold.
            pub(super) fn limits(&self) -> impl Iterator<Item = (&'static str, &str, usize)> {
                [$((stringify!($name), self.$name.as_str(), $limit),)*].into_iter()
            }

            /// Field → value, for putting a form back after a failed plain-HTML submission. A
            /// pasted private key is never among them.
            pub fn kept(&self) -> BTreeMap<String, String> {
                let mut kept = self.custom.clone();
                $(kept.insert(stringify!($name).to_owned(), self.$name.clone());)*
                $(if let Some(value) = &self.$check {
                    kept.insert(stringify!($check).to_owned(), value.clone());
                })*
                if csr::contains_private_key(self.csr.as_bytes()) {
                    kept.remove("csr");
                }
                kept
            }

            /// The form holding these field → value pairs (the inverse of
            /// [`RequestForm::kept`]); names that are no declared field are custom fields, as
            /// when the form is posted.
            pub fn from_fields(fields: &BTreeMap<String, String>) -> Self {
                let mut custom = fields.clone();
                RequestForm {
                    $($name: custom.remove(stringify!($name)).unwrap_or_default(),)*
                    $($check: custom.remove(stringify!($check)),)*
                    custom,
                }
            }

            /// DigiCert's JSON paths and the field each lands on (see `form_field_of`).
            pub(super) const DIGICERT_PATHS: &'static [(&'static str, &'static str)] = &[
                $($($(($path, stringify!($name)),)+)?)*
                $($($(($check_path, stringify!($check)),)+)?)*
            ];
        }
    };
}

/// Short choices and numbers.
const SHORT: usize = 100;
/// Names and addresses.
const TEXT: usize = 200;

request_form! {
    text {
        kind: SHORT,
        product: SHORT,
        type_hint: SHORT => "product",
        common_name: MAX_NAME_CHARS => "certificate.common_name",
        /// 250 names of 255 characters.
        dns_names: 64_000 => "certificate.dns_names",
        csr: MAX_CSR_CHARS => "certificate.csr",
        signature_hash: SHORT => "certificate.signature_hash",
        server_platform: SHORT => "certificate.server_platform",
        organization: SHORT => "organization",
        container: SHORT => "container",
        /// `years`, `days` or `date`.
        order_validity: SHORT => "order_validity", "custom_expiration_date",
        order_years: SHORT,
        order_days: SHORT,
        /// `yyyy-mm-dd`, as a date input sends it.
        order_end: SHORT,
        /// Empty (with `cert_end` empty): the longest the dated cap and the order allow.
        cert_days: SHORT => "certificate.cert_validity",
        /// `yyyy-mm-dd`: the first certificate's end date instead of a number of days.
        cert_end: SHORT,
        dcv_method: SHORT => "dcv_method",
        comments: 2000 => "comments",
        additional_emails: 4000 => "additional_emails",
        renewal_of_order_id: SHORT => "renewal_of_order_id",
        ca_cert_id: SHORT => "certificate.ca_cert_id",
        ev_approver: SHORT => "organization.contacts",
        server_licenses: SHORT => "server_licenses",
        provisioning_method: SHORT,
        validity_years: SHORT => "validity_years",
        ship_name: TEXT => "ship_info.name", "ship_info",
        ship_addr1: TEXT => "ship_info.addr1",
        ship_addr2: TEXT => "ship_info.addr2",
        ship_city: TEXT => "ship_info.city",
        ship_state: TEXT => "ship_info.state",
        ship_zip: SHORT => "ship_info.zip",
        ship_country: SHORT => "ship_info.country",
        ship_method: SHORT,
        subject_name: TEXT => "subject.name",
        subject_job_title: TEXT => "subject.job_title",
        subject_phone: SHORT => "subject.phone",
        subject_email: 254 => "subject.email",
    }
    checkboxes {
        auto_renew => "auto_renew",
        auto_reissue => "auto_reissue",
        use_org_as_common_name,
    }
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
