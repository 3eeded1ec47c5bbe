//! Organizations, their contacts and the order's contacts.

use super::*;

pub(super) fn check_organization(f: &mut Findings, org: &Organization) {
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

pub(super) fn check_org_contact(f: &mut Findings, field: &str, c: &OrgContact) {
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

pub(super) fn check_order_contact(f: &mut Findings, field: &str, c: &OrderContact) {
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

pub(super) fn check_country(f: &mut Findings, field: &str, country: &str) {
    if country.trim().is_empty() {
        f.required(field, "Enter the two-letter country code.");
    } else if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
        f.invalid(field, "Use the two-letter country code, such as us or de.");
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;

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
}
