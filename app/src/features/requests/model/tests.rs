//! Form values → DigiCert order, checked against DigiCert's own sample bodies, and the checks a
//! person sees on each form.

use super::*;
use crate::features::csr;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2026 - 11 - 23);
const CSR: &str = include_str!("../../../../tests/fixtures/csr/rsa2048.csr");
const KEY: &str = include_str!("../../../../tests/fixtures/csr/private-key.pem");

fn on() -> Option<String> {
    Some("on".into())
}

/// Removes JSON pointers from a sample body: the parts of it no certdesk form field produces.
fn without(mut body: Value, pointers: &[&str]) -> Value {
    for pointer in pointers {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = body.pointer_mut(parent).unwrap();
        let removed = match parent {
            Value::Object(o) => o.remove(key),
            Value::Array(a) => Some(a.remove(key.parse().unwrap())),
            _ => None,
        };
        assert!(removed.is_some(), "{pointer} is not in the sample");
    }
    body
}

fn body_of(form: &RequestForm) -> Value {
    to_order(form).expect("the form's values read").body_json()
}

#[test]
fn basic_ov_form_gives_the_docs_sample_body() {
    let form = RequestForm {
        kind: "basic-ov".into(),
        common_name: "example.com".into(),
        dns_names: "sub.example.com\napp.example.com".into(),
        csr: "<csr>".into(),
        signature_hash: "sha256".into(),
        server_platform: "2".into(),
        comments: "Certificate for app server.".into(),
        container: "334455".into(),
        auto_renew: on(),
        organization: "123456".into(),
        order_validity: "years".into(),
        order_years: "2".into(),
        ..RequestForm::default()
    };
    let sample = json!({
        "certificate": {
            "common_name": "example.com",
            "dns_names": ["sub.example.com", "app.example.com"],
            "csr": "<csr>",
            "signature_hash": "sha256",
            "organization_units": ["Shared Services"],
            "server_platform": {"id": 2}
        },
        "comments": "Certificate for app server.",
        "container": {"id": 334455},
        "auto_renew": 1,
        "custom_renewal_message": "Keep this renewed.",
        "organization": {"id": 123456, "contacts": []},
        "validity_years": 2,
        "payment_method": "balance"
    });
    let mut expected = without(
        sample,
        &[
            "/certificate/organization_units",
            "/custom_renewal_message",
            "/organization/contacts",
            "/payment_method",
            "/validity_years",
        ],
    );
    // certdesk sends the current order_validity object instead of the deprecated validity_years.
    expected["order_validity"] = json!({"years": 2});
    assert_eq!(body_of(&form), expected);
}

#[test]
fn ssl_by_type_form_gives_the_docs_sample_body() {
    let form = RequestForm {
        kind: "ssl-by-type".into(),
        product: "ssl".into(),
        type_hint: "ov".into(),
        common_name: "example.com".into(),
        dns_names: "example2.com, example3.com".into(),
        csr: "<csr>".into(),
        signature_hash: "sha256".into(),
        server_platform: "2".into(),
        order_validity: "years".into(),
        order_years: "1".into(),
        container: "11".into(),
        auto_renew: on(),
        additional_emails: "john.smith@digicert.com".into(),
        organization: "112233".into(),
        ..RequestForm::default()
    };
    let sample: Value = serde_json::from_str(
        r#"{
        "certificate": {"common_name": "example.com", "dns_names": ["example2.com", "example3.com"],
            "csr": "<csr>", "signature_hash": "sha256", "server_platform": {"id": 2}},
        "order_validity": {"years": 1}, "container": {"id": 11}, "product": {"type_hint": "ov"},
        "auto_renew": 1, "disable_renewal_notifications": false,
        "additional_emails": ["john.smith@digicert.com"], "disable_ct": false,
        "skip_approval": true, "organization": {"id": 112233}}"#,
    )
    .unwrap();
    // skip_approval is added when the approved order is sent; the two `false`s are defaults.
    let expected = without(
        sample,
        &[
            "/disable_renewal_notifications",
            "/disable_ct",
            "/skip_approval",
        ],
    );
    assert_eq!(body_of(&form), expected);
}

#[test]
fn multi_year_ev_form_gives_the_docs_sample_body() {
    let form = RequestForm {
        kind: "multi-year".into(),
        product: "ssl_ev_basic".into(),
        common_name: "example.com".into(),
        dns_names: "sub.example.com\napp.example.com".into(),
        csr: "<csr>".into(),
        signature_hash: "sha256".into(),
        server_platform: "2".into(),
        cert_end: "2021-12-21".into(),
        comments: "Certificate for app server.".into(),
        container: "334455".into(),
        auto_renew: on(),
        organization: "123456".into(),
        ev_approver: "565622".into(),
        order_validity: "date".into(),
        order_end: "2024-12-21".into(),
        ..RequestForm::default()
    };
    let sample = json!({
        "certificate": {
            "common_name": "example.com",
            "dns_names": ["sub.example.com", "app.example.com"],
            "csr": "<csr>",
            "signature_hash": "sha256",
            "server_platform": {"id": 2},
            "cert_validity": {"custom_expiration_date": "21 DEC 2021"}
        },
        "comments": "Certificate for app server.",
        "container": {"id": 334455},
        "auto_renew": 1,
        "custom_renewal_message": "Keep this renewed.",
        "organization": {
            "id": 123456,
            "contacts": [
                {"contact_type": "ev_approver", "user_id": 565622},
                {"contact_type": "organization_contact", "user_id": 565611},
                {"contact_type": "technical_contact", "first_name": "Jill"}
            ]
        },
        "order_validity": {"custom_expiration_date": "21 DEC 2024"},
        "payment_method": "balance"
    });
    // The organization's own contacts come from DigiCert's records, not from the form.
    let expected = without(
        sample,
        &[
            "/custom_renewal_message",
            "/organization/contacts/2",
            "/organization/contacts/1",
            "/payment_method",
        ],
    );
    assert_eq!(body_of(&form), expected);
}

#[test]
fn document_signing_form_gives_the_docs_sample_body() {
    let form = RequestForm {
        kind: "document-signing".into(),
        product: "document_signing_org_1".into(),
        provisioning_method: "ship_token".into(),
        use_org_as_common_name: on(),
        validity_years: "2".into(),
        comments: "Comments for the the approver.".into(),
        organization: "334455".into(),
        container: "221122".into(),
        ship_name: "Erin Guerra".into(),
        ship_addr1: "360 Taylor Street".into(),
        ship_addr2: "Floor 74".into(),
        ship_city: "Richmond".into(),
        ship_state: "va".into(),
        ship_zip: "69662".into(),
        ship_country: "us".into(),
        ship_method: "standard".into(),
        subject_name: "Rene Pierce".into(),
        subject_job_title: "School Counselor".into(),
        subject_phone: "054-139-0798".into(),
        subject_email: "rene.pierce@yahoo.com".into(),
        ..RequestForm::default()
    };
    let sample = json!({
        "certificate": {"server_platform": {"id": 21}, "signature_hash": "sha256"},
        "cs_provisioning_method": "ship_token",
        "use_org_as_common_name": true,
        "validity_years": 2,
        "comments": "Comments for the the approver.",
        "organization": {"id": 334455},
        "container": {"id": 221122},
        "ship_info": {"name": "Erin Guerra", "addr1": "360 Taylor Street", "addr2": "Floor 74",
            "city": "Richmond", "state": "va", "zip": "69662", "country": "us", "method": "standard"},
        "subject": {"name": "Rene Pierce", "job_title": "School Counselor",
            "phone": "054-139-0798", "email": "rene.pierce@yahoo.com"},
        "csa_agreed_to": 1,
        "skip_approval": true,
        "payment_method": "balance"
    });
    let expected = without(
        sample,
        &[
            "/certificate/server_platform",
            "/csa_agreed_to",
            "/skip_approval",
            "/payment_method",
        ],
    );
    assert_eq!(body_of(&form), expected);
}

/// A complete, valid form of each kind, with the fixture CSR for www.example.com.
pub(crate) fn valid_form(kind: FormKind) -> RequestForm {
    let mut form = RequestForm::blank(kind);
    form.organization = "1001".into();
    form.container = "5".into();
    form.server_platform = "-1".into();
    if kind.is_tls() {
        form.common_name = "www.example.com".into();
        form.dns_names = "example.com".into();
        form.csr = CSR.into();
    } else {
        form.ship_name = "Erin Guerra".into();
        form.ship_addr1 = "360 Taylor Street".into();
        form.ship_city = "Richmond".into();
        form.ship_state = "VA".into();
        form.ship_zip = "69662".into();
        form.subject_name = "Rene Pierce".into();
        form.subject_job_title = "Counsel".into();
        form.subject_phone = "+1 555 0100".into();
        form.subject_email = "rene@example.com".into();
    }
    if kind == FormKind::SecureSiteProEv {
        form.ev_approver = "2001".into();
        form.server_licenses = "1".into();
    }
    form
}

#[test]
fn every_kind_of_form_prepares_a_valid_order() {
    for kind in FormKind::ALL {
        let prepared = prepare(&valid_form(kind), TODAY)
            .unwrap_or_else(|e| panic!("{kind:?}: {:?}", e.fields));
        assert_eq!(prepared.product, kind.products()[0]);
        assert_eq!(prepared.organization_id, Some(1001));
        if kind.is_tls() {
            assert_eq!(prepared.title, "www.example.com");
            let csr = prepared.csr.expect("TLS orders carry their CSR");
            assert_eq!(
                prepared.order.body_json()["certificate"]["csr"],
                csr.pem.unwrap()
            );
        } else {
            assert_eq!(prepared.title, "Rene Pierce");
        }
    }
}

/// A rule about the validation method shows under the method's own field, not above the form.
#[test]
fn email_validation_after_its_end_is_refused_under_the_method_field() {
    let mut form = valid_form(FormKind::BasicOv);
    form.dcv_method = "email".into();
    assert!(prepare(&form, TODAY).is_ok());
    let errors = prepare(&form, date!(2028 - 03 - 15)).unwrap_err();
    let message = errors
        .for_field("dcv_method")
        .expect("an error under dcv_method");
    assert!(message.contains("Email validation ended"), "{message}");
    assert!(errors.for_field("form").is_none(), "{:?}", errors.fields);
}

#[test]
fn ev_and_private_forms_ask_for_their_extra_fields() {
    let mut ev = valid_form(FormKind::SecureSiteProEv);
    ev.ev_approver.clear();
    assert!(
        prepare(&ev, TODAY)
            .unwrap_err()
            .fields
            .contains_key("ev_approver")
    );

    let mut private = valid_form(FormKind::SslByType);
    private.type_hint = "private".into();
    let errors = prepare(&private, TODAY).unwrap_err();
    assert_eq!(errors.fields.keys().collect::<Vec<_>>(), ["ca_cert_id"]);
    private.ca_cert_id = "SIMPRIVATECA01".into();
    assert!(prepare(&private, TODAY).is_ok());

    let mut ev_by_type = valid_form(FormKind::SslByType);
    ev_by_type.type_hint = "ev".into();
    assert!(
        prepare(&ev_by_type, TODAY)
            .unwrap_err()
            .fields
            .contains_key("ev_approver")
    );
    // Grid is one of the types "SSL by type" offers; a type DigiCert does not know is refused.
    ev_by_type.type_hint = "grid".into();
    assert!(prepare(&ev_by_type, TODAY).is_ok());
    ev_by_type.type_hint = "dv".into();
    assert!(
        prepare(&ev_by_type, TODAY)
            .unwrap_err()
            .fields
            .contains_key("type_hint")
    );
}

#[test]
fn field_errors_name_the_form_fields_and_keep_what_was_typed() {
    let mut form = valid_form(FormKind::BasicOv);
    form.common_name = "exa mple.com".into();
    form.dns_names = "10.0.0.1\nok.example.com".into();
    form.order_years = "five".into();
    form.cert_days = "500".into();
    form.additional_emails = "not-an-email".into();
    let errors = prepare(&form, TODAY).unwrap_err();
    let fields: Vec<&str> = errors.fields.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        [
            "additional_emails",
            "cert_days",
            "common_name",
            "dns_names",
            "order_validity"
        ]
    );
    assert!(
        errors
            .for_field("order_validity")
            .unwrap()
            .contains("whole number")
    );
    assert!(
        errors
            .for_field("dns_names")
            .unwrap()
            .contains("IP address")
    );
    assert_eq!(errors.kept["common_name"], "exa mple.com");
    assert_eq!(errors.kept["order_years"], "five");
    assert_eq!(RequestForm::from_fields(&errors.kept), form);
}

#[test]
fn document_signing_needs_a_csr_only_for_email_delivery_and_an_address_for_a_token() {
    let mut form = valid_form(FormKind::DocumentSigning);
    form.provisioning_method = "email".into();
    assert_eq!(
        prepare(&form, TODAY)
            .unwrap_err()
            .fields
            .keys()
            .collect::<Vec<_>>(),
        ["csr"]
    );
    form.csr = CSR.into();
    assert!(prepare(&form, TODAY).is_ok());

    let mut token = valid_form(FormKind::DocumentSigning);
    token.ship_city.clear();
    token.ship_country = "usa".into();
    let errors = prepare(&token, TODAY).unwrap_err();
    assert_eq!(
        errors.fields.keys().collect::<Vec<_>>(),
        ["ship_city", "ship_country"]
    );
    token.provisioning_method = "client_app".into();
    assert!(
        prepare(&token, TODAY).is_ok(),
        "no address needed without a token"
    );
}

#[test]
fn names_that_differ_from_the_csr_are_shown_but_do_not_block() {
    let mut form = valid_form(FormKind::BasicOv);
    form.dns_names = "shop.example.com".into();
    // DigiCert takes the names from the order: the request goes ahead.
    assert!(prepare(&form, TODAY).is_ok());
    let report = csr::inspect(form.csr.as_bytes());
    let difference = name_difference(&form, &report).unwrap();
    let warning = difference.warning().unwrap();
    assert!(
        warning.contains("Only in the CSR: example.com"),
        "{warning}"
    );
    assert!(warning.contains("Fill from CSR"), "{warning}");
    let information = difference.information().unwrap();
    assert!(
        information.contains("Only in the form: shop.example.com"),
        "{information}"
    );
    // Case and order do not matter.
    form.common_name = "EXAMPLE.com".into();
    form.dns_names = "www.example.com".into();
    assert_eq!(name_difference(&form, &report), None);
}

#[test]
fn a_pasted_private_key_is_refused_and_not_kept() {
    let mut form = valid_form(FormKind::BasicOv);
    form.csr = KEY.into();
    let errors = prepare(&form, TODAY).unwrap_err();
    assert!(errors.for_field("csr").unwrap().contains("private key"));
    assert!(!errors.kept.contains_key("csr"));
    let everything = serde_json::to_string(&errors).unwrap();
    assert!(!everything.contains(KEY.lines().nth(1).unwrap()));
}

#[test]
fn international_names_are_ordered_in_punycode() {
    let mut form = valid_form(FormKind::SslByType);
    form.csr.clear();
    form.common_name = "Bücher.example".into();
    form.dns_names = "www.bücher.example".into();
    let order = to_order(&form).unwrap().body_json();
    assert_eq!(order["certificate"]["common_name"], "xn--bcher-kva.example");
    assert_eq!(
        order["certificate"]["dns_names"][0],
        "www.xn--bcher-kva.example"
    );
}

#[test]
fn the_state_machine_allows_only_its_transitions() {
    use RequestStatus::*;
    assert!(PendingApproval.can_become(Approved));
    assert!(PendingApproval.can_become(Cancelled));
    assert!(!Approved.can_become(Cancelled));
    assert!(!Issued.can_become(PendingApproval));
    assert!(!Rejected.can_become(Approved));
    for status in RequestStatus::ALL {
        assert_eq!(RequestStatus::parse(status.as_str()), Some(status));
        assert!(!status.can_become(status), "{status:?} to itself");
    }
}

#[test]
fn an_unchosen_organization_is_asked_for_as_the_picker_the_person_sees() {
    let mut form = valid_form(FormKind::BasicOv);
    form.organization = String::new();
    let errors = prepare(&form, TODAY).unwrap_err();
    assert_eq!(
        errors.for_field("organization").as_deref(),
        Some("Choose an organization.")
    );
}

#[test]
fn the_organization_name_box_is_sent_unchecked_too() {
    let mut form = valid_form(FormKind::DocumentSigning);
    form.use_org_as_common_name = None;
    let order = prepare(&form, TODAY).unwrap().order;
    assert_eq!(order.body_json()["use_org_as_common_name"], false);
    form.use_org_as_common_name = Some("on".into());
    let order = prepare(&form, TODAY).unwrap().order;
    assert_eq!(order.body_json()["use_org_as_common_name"], true);
}

#[test]
fn custom_fields_travel_in_the_order_and_survive_a_failed_submission() {
    let mut form = valid_form(FormKind::BasicOv);
    form.custom.insert("cf_802".into(), " CHG-7 ".into());
    form.custom.insert("cf_801".into(), "CC-1".into());
    form.custom.insert("cf_803".into(), "   ".into());
    let body = body_of(&form);
    assert_eq!(
        body["custom_fields"],
        serde_json::json!([{"metadata_id": 801, "value": "CC-1"}, {"metadata_id": 802, "value": "CHG-7"}])
    );
    // A failed plain-HTML submission puts them back as typed.
    form.common_name = "bad name".into();
    let errors = prepare(&form, TODAY).unwrap_err();
    assert_eq!(errors.kept["cf_802"], " CHG-7 ");
    assert_eq!(RequestForm::from_fields(&errors.kept), form);
    // A name that is no custom field is refused; a flood of them is refused before anything else.
    let mut odd = valid_form(FormKind::BasicOv);
    odd.custom.insert("injected".into(), "x".into());
    assert!(
        prepare(&odd, TODAY)
            .unwrap_err()
            .for_field("injected")
            .is_some()
    );
    let mut flood = valid_form(FormKind::BasicOv);
    for i in 0..40 {
        flood.custom.insert(format!("cf_{i}"), "x".into());
    }
    assert!(flood.check_lengths().is_err());
}

#[test]
fn every_declared_text_field_refuses_one_character_over_its_limit_under_its_own_name() {
    let declared: Vec<(&str, usize)> = RequestForm::default()
        .limits()
        .map(|(name, _, max)| (name, max))
        .collect();
    assert!(declared.len() > 30, "{declared:?}");
    for (name, max) in declared {
        let at_limit = BTreeMap::from([(name.to_owned(), "a".repeat(max))]);
        assert!(
            RequestForm::from_fields(&at_limit).check_lengths().is_ok(),
            "{name}"
        );
        let over = BTreeMap::from([(name.to_owned(), "a".repeat(max + 1))]);
        let errors = RequestForm::from_fields(&over).check_lengths().unwrap_err();
        assert!(errors.for_field(name).is_some(), "{name}: {errors:?}");
        assert!(!errors.kept.contains_key(name), "{name} is not sent back");
    }
}

/// Each declared DigiCert path lands on the field declared with it, and that field is one the
/// form posts (so the message shows under an input, not nowhere).
#[test]
fn every_declared_digicert_path_lands_on_its_own_posted_field() {
    let posted = serde_json::to_value(RequestForm {
        auto_renew: Some("1".into()),
        auto_reissue: Some("1".into()),
        ..RequestForm::default()
    })
    .unwrap();
    assert!(RequestForm::DIGICERT_PATHS.len() >= 30);
    for (path, field) in RequestForm::DIGICERT_PATHS {
        assert_eq!(form_field_of(path), *field, "{path}");
        assert_eq!(form_field_of(&format!("{path}.0")), *field, "{path}.0");
        assert!(posted.get(field).is_some(), "{field} is not a form field");
    }
}

#[test]
fn a_json_path_lands_on_its_field() {
    for (path, field) in [
        ("certificate.dns_names", "dns_names"),
        ("certificate.dns_names.3", "dns_names"),
        ("certificate.cert_validity.days", "cert_days"),
        ("organization.id", "organization"),
        ("organization.contacts.0.email", "ev_approver"),
        ("ship_info", "ship_name"),
        ("ship_info.zip", "ship_zip"),
        ("subject.email", "subject_email"),
        ("custom_expiration_date", "order_validity"),
        ("product", "type_hint"),
        ("auto_reissue", "auto_reissue"),
        ("certificate", "form"),
        ("certificate.common_names", "form"),
        ("organizations", "form"),
        ("", "form"),
    ] {
        assert_eq!(form_field_of(path), field, "{path}");
    }
}

#[test]
fn a_form_read_back_from_its_fields_is_the_form_that_was_typed() {
    let mut form = valid_form(FormKind::DocumentSigning);
    form.auto_renew = Some("on".into());
    form.custom.insert("cf_801".into(), "CC-1".into());
    let fields = form.kept();
    assert_eq!(fields["auto_renew"], "on");
    assert!(
        !fields.contains_key("auto_reissue"),
        "an unticked box posts nothing"
    );
    assert_eq!(fields["cf_801"], "CC-1");
    assert_eq!(RequestForm::from_fields(&fields), form);
    // What the page posts, unknown names included: those are custom fields, as on the server.
    let posted = BTreeMap::from([
        ("common_name".to_owned(), "www.example.com".to_owned()),
        ("cf_802".to_owned(), "CHG-7".to_owned()),
    ]);
    let read = RequestForm::from_fields(&posted);
    assert_eq!(read.common_name, "www.example.com");
    assert_eq!(read.custom["cf_802"], "CHG-7");
    assert_eq!(read.auto_renew, None);
}
