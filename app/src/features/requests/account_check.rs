//! A form checked against the DigiCert account's own lists: the chosen organization, container,
//! server platform and EV approver still exist, the organization's validation allows the product,
//! and the custom order fields are the account's, filled where required, of the right type. The
//! browser runs it as the person types; the server again at submission, so a stale id is a field
//! error for the requester instead of a failure after approval.

use super::model::{RequestForm, custom_field_name, to_order};
use super::options::OrderOptions;
use crate::error::FormErrors;
use crate::features::digicert::account::custom_value_problem;
use crate::features::digicert::dates::IsoDate;
use crate::features::digicert::products::Validation;
use crate::features::digicert::rules;

pub fn check_against_account(form: &RequestForm, options: &OrderOptions, errors: &mut FormErrors) {
    check_organization(form, options, errors);
    let listed = |list: &[super::options::Choice], id: &str| list.iter().any(|c| c.id == id.trim());
    let container = form.container.trim();
    if !container.is_empty() && !listed(&options.containers, container) {
        errors.add(
            "container",
            "This container is no longer in the DigiCert account; choose one from the list.",
        );
    }
    let platform = form.server_platform.trim();
    let tls = form.form_kind().is_some_and(|k| k.is_tls());
    if tls && !platform.is_empty() && !listed(&options.server_platforms, platform) {
        errors.add("server_platform", "Choose a server platform from the list.");
    }
    check_custom_fields(form, options, errors);
    if tls {
        check_plan(form, options, errors);
    }
}

/// The hash is one the product allows; the order runs no longer than the account's plans allow
/// (one year without Multi-year Plans).
fn check_plan(form: &RequestForm, options: &OrderOptions, errors: &mut FormErrors) {
    let hash = form.signature_hash.trim();
    if !hash.is_empty()
        && !options.hashes.is_empty()
        && !options.hashes.iter().any(|h| h.id == hash)
    {
        let allowed: Vec<&str> = options.hashes.iter().map(|h| h.label.as_str()).collect();
        errors.add(
            "signature_hash",
            format!("This product allows only {}.", allowed.join(", ")),
        );
    }
    let (Some(&max_years), Ok(today)) = (
        options.order_years.iter().max(),
        IsoDate::parse(&options.today),
    ) else {
        return;
    };
    let Ok(order) = to_order(form) else {
        return;
    };
    let (order_days, _) = rules::planned_days(&order, today.0);
    if order_days > max_years * 365 + 1 {
        errors.add(
            "order_validity",
            if max_years == 1 {
                "This account orders one year at a time (Multi-year Plans are not enabled)."
                    .to_owned()
            } else {
                format!("This account's orders run at most {max_years} years.")
            },
        );
    }
}

fn check_organization(form: &RequestForm, options: &OrderOptions, errors: &mut FormErrors) {
    let chosen = form.organization.trim();
    if chosen.is_empty() {
        return;
    }
    let Some(org) = options
        .organizations
        .iter()
        .find(|o| o.id.to_string() == chosen)
    else {
        errors.add(
            "organization",
            "This organization is no longer active in the DigiCert account; choose another.",
        );
        return;
    };
    let tls = form.form_kind().is_some_and(|k| k.is_tls());
    match form.validation() {
        Some(Validation::Ev) if !org.ev_active => errors.add(
            "organization",
            "This organization has no active EV validation, so it cannot order EV certificates; choose one marked \"EV active\".",
        ),
        Some(Validation::Ov | Validation::Ev) if tls && !org.ov_active => errors.add(
            "organization",
            "This organization's OV validation is not active; choose one marked \"OV active\".",
        ),
        _ => {}
    }
    let approver = form.ev_approver.trim();
    if form.needs_ev_approver()
        && !approver.is_empty()
        && !org
            .ev_approvers
            .iter()
            .any(|a| a.id.to_string() == approver)
    {
        errors.add(
            "ev_approver",
            "This person is not an EV approver of the chosen organization; choose one from the list.",
        );
    }
}

fn check_custom_fields(form: &RequestForm, options: &OrderOptions, errors: &mut FormErrors) {
    for (name, value) in &form.custom {
        if value.trim().is_empty() {
            continue;
        }
        match options.custom_fields.iter().find(|f| f.name() == *name) {
            None => errors.add(
                name,
                "The DigiCert account no longer has this field; clear it.",
            ),
            Some(field) => {
                if let Some(problem) = custom_value_problem(Some(&field.data_type), value) {
                    errors.add(name, problem);
                }
            }
        }
    }
    for field in options.custom_fields.iter().filter(|f| f.required) {
        let filled = form
            .custom
            .get(&custom_field_name(field.id))
            .is_some_and(|v| !v.trim().is_empty());
        if !filled {
            errors.add(
                &field.name(),
                format!(
                    "Enter the {}: the DigiCert account requires it.",
                    field.label
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::requests::model::FormKind;
    use crate::features::requests::options::{
        Choice, CustomFieldChoice, EvApprover, OrganizationChoice,
    };

    fn options() -> OrderOptions {
        OrderOptions {
            organizations: vec![
                OrganizationChoice {
                    id: 1001,
                    name: "Example Corp".into(),
                    ev_approvers: vec![EvApprover {
                        id: 2001,
                        name: "Jill Valentine".into(),
                        job_title: "CFO".into(),
                        email: "jill@example.com".into(),
                    }],
                    ov_active: true,
                    ev_active: true,
                },
                OrganizationChoice {
                    id: 1002,
                    name: "Example Labs".into(),
                    ev_approvers: vec![],
                    ov_active: true,
                    ev_active: false,
                },
            ],
            containers: vec![Choice {
                id: "5".into(),
                label: "Example Corp".into(),
            }],
            server_platforms: vec![Choice {
                id: "-1".into(),
                label: "OTHER".into(),
            }],
            private_cas: vec![],
            custom_fields: vec![
                CustomFieldChoice {
                    id: 801,
                    label: "Cost center".into(),
                    required: true,
                    data_type: "text".into(),
                    description: String::new(),
                },
                CustomFieldChoice {
                    id: 803,
                    label: "Budget".into(),
                    required: false,
                    data_type: "int".into(),
                    description: String::new(),
                },
            ],
            order_years: vec![1],
            hashes: vec![Choice {
                id: "sha256".into(),
                label: "SHA-256".into(),
            }],
            max_cert_days: 199,
            today: "2026-11-30".into(),
        }
    }

    fn errors_for(form: &RequestForm) -> FormErrors {
        let mut errors = FormErrors::new("x");
        check_against_account(form, &options(), &mut errors);
        errors
    }

    fn form(kind: FormKind) -> RequestForm {
        let mut form = RequestForm::blank(kind);
        form.organization = "1001".into();
        form.container = "5".into();
        form.server_platform = "-1".into();
        form.custom.insert("cf_801".into(), "CC-42".into());
        form
    }

    #[test]
    fn a_form_that_matches_the_account_passes() {
        assert!(errors_for(&form(FormKind::BasicOv)).is_empty());
    }

    #[test]
    fn stale_ids_are_field_errors() {
        let mut stale = form(FormKind::BasicOv);
        stale.organization = "1003".into();
        stale.container = "99".into();
        stale.server_platform = "31".into();
        let errors = errors_for(&stale);
        for field in ["organization", "container", "server_platform"] {
            assert!(errors.for_field(field).is_some(), "{field}");
        }
    }

    #[test]
    fn custom_fields_are_required_typed_and_known() {
        let mut missing = form(FormKind::BasicOv);
        missing.custom.clear();
        assert!(
            errors_for(&missing)
                .for_field("cf_801")
                .unwrap()
                .contains("Cost center")
        );
        let mut typed = form(FormKind::BasicOv);
        typed.custom.insert("cf_803".into(), "lots".into());
        typed.custom.insert("cf_999".into(), "x".into());
        let errors = errors_for(&typed);
        assert!(errors.for_field("cf_803").is_some());
        assert!(errors.for_field("cf_999").is_some());
    }

    #[test]
    fn plans_and_hashes_follow_the_account() {
        let mut long = form(FormKind::BasicOv);
        long.order_years = "2".into();
        long.signature_hash = "sha384".into();
        let errors = errors_for(&long);
        assert!(
            errors
                .for_field("order_validity")
                .unwrap()
                .contains("one year at a time")
        );
        assert!(
            errors
                .for_field("signature_hash")
                .unwrap()
                .contains("SHA-256")
        );
    }

    #[test]
    fn ev_needs_an_ev_validated_organization_and_its_own_approver() {
        let mut ev = form(FormKind::SecureSiteProEv);
        ev.ev_approver = "2001".into();
        assert!(errors_for(&ev).is_empty());
        ev.organization = "1002".into();
        let errors = errors_for(&ev);
        assert!(errors.for_field("organization").unwrap().contains("EV"));
        assert!(errors.for_field("ev_approver").is_some());
    }
}
