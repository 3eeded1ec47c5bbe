//! Account types shared by the browser and the server.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// What a person may do in certdesk. A user holds one or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Requester,
    Approver,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Requester, Role::Approver, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!("unknown role \"{text}\"; use one of requester, approver, admin")
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in person, as every page and server function sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Set by an admin's password reset: nothing else works until a new password is chosen.
    #[serde(default)]
    pub must_change_password: bool,
}

impl CurrentUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The navigation entries this person may use, in display order.
    pub fn navigation(&self) -> Vec<NavItem> {
        NavItem::ALL
            .into_iter()
            .filter(|item| self.has(item.role()))
            .collect()
    }
}

/// One entry of the main navigation and the role it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavItem {
    NewRequest,
    MyRequests,
    Approvals,
    History,
    Users,
    AuditLog,
}

impl NavItem {
    pub const ALL: [NavItem; 6] = [
        NavItem::NewRequest,
        NavItem::MyRequests,
        NavItem::Approvals,
        NavItem::History,
        NavItem::Users,
        NavItem::AuditLog,
    ];

    pub fn role(self) -> Role {
        match self {
            NavItem::NewRequest | NavItem::MyRequests => Role::Requester,
            NavItem::Approvals => Role::Approver,
            NavItem::History | NavItem::Users | NavItem::AuditLog => Role::Admin,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NavItem::NewRequest => "New request",
            NavItem::MyRequests => "My requests",
            NavItem::Approvals => "Approvals",
            NavItem::History => "History",
            NavItem::Users => "Users",
            NavItem::AuditLog => "Audit log",
        }
    }

    pub fn href(self) -> &'static str {
        match self {
            NavItem::NewRequest => "/requests/new",
            NavItem::MyRequests => "/requests",
            NavItem::Approvals => "/approvals",
            NavItem::History => "/history",
            NavItem::Users => "/users",
            NavItem::AuditLog => "/audit",
        }
    }
}

/// The one message for every failed sign-in, so nobody learns which accounts exist.
pub const SIGN_IN_FAILED: &str = "Email or password is incorrect.";

/// Shortest password certdesk accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Emails compare case-insensitively; certdesk stores and looks them up trimmed and lower-cased.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A plausible email address: one `@`, something on both sides, a dot in the domain, no spaces.
pub fn check_email(email: &str) -> Result<(), String> {
    let Some((local, domain)) = email.split_once('@') else {
        return Err("Enter an email address such as name@example.com.".into());
    };
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && email.len() <= 254;
    if plausible {
        Ok(())
    } else {
        Err("Enter an email address such as name@example.com.".into())
    }
}

pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "The password is too weak: use at least {MIN_PASSWORD_CHARS} characters."
        ));
    }
    Ok(())
}

/// Only same-site paths are followed after sign-in, never another host.
pub fn safe_next_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/api/")
                && !path.starts_with("/sign-in") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Sign-in details shown on the sign-in page in demo mode only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoAccounts {
    pub emails: Vec<String>,
    pub password: String,
}

pub const DEMO_EMAILS: [(&str, &str, &[Role]); 3] = [
    (
        "requester@example.com",
        "Riley Requester",
        &[Role::Requester],
    ),
    ("approver@example.com", "Avery Approver", &[Role::Approver]),
    (
        "admin@example.com",
        "Ada Admin",
        &[Role::Admin, Role::Approver],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[Role]) -> CurrentUser {
        CurrentUser {
            must_change_password: false,
            id: Uuid::nil(),
            email: "a@example.com".into(),
            display_name: "A".into(),
            roles: roles.to_vec(),
        }
    }

    #[test]
    fn roles_parse_case_insensitively_and_reject_unknown_ones() {
        assert_eq!(Role::parse("Approver"), Ok(Role::Approver));
        assert_eq!(Role::parse(" admin "), Ok(Role::Admin));
        assert!(Role::parse("root").unwrap_err().contains("unknown role"));
    }

    #[test]
    fn navigation_follows_roles() {
        let labels = |roles: &[Role]| {
            user(roles)
                .navigation()
                .into_iter()
                .map(NavItem::label)
                .collect::<Vec<_>>()
        };
        assert_eq!(labels(&[Role::Requester]), ["New request", "My requests"]);
        assert_eq!(labels(&[Role::Approver]), ["Approvals"]);
        assert_eq!(
            labels(&[Role::Admin, Role::Approver]),
            ["Approvals", "History", "Users", "Audit log"]
        );
    }

    #[test]
    fn has_checks_membership() {
        let u = user(&[Role::Approver]);
        assert!(u.has(Role::Approver));
        assert!(!u.has(Role::Admin));
    }

    #[test]
    fn emails_normalise_and_validate() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
        assert!(check_email("ada@example.com").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@@b.com",
        ] {
            assert!(check_email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("elevenchars").is_err());
        assert!(check_new_password("twelve chars").is_ok());
    }

    #[test]
    fn next_path_never_leaves_the_site() {
        assert_eq!(safe_next_path(Some("/approvals")), "/approvals");
        assert_eq!(safe_next_path(Some("//evil.example")), "/");
        assert_eq!(safe_next_path(Some("https://evil.example")), "/");
        assert_eq!(safe_next_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_next_path(Some("/api/auth/sign_out")), "/");
        assert_eq!(safe_next_path(None), "/");
    }
}
