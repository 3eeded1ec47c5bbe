//! Account types shared by the browser and the server.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// What a person may do in certdesk. A user holds one or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "ssr",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "lowercase")
)]
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
            .filter(|item| item.roles().iter().any(|r| self.has(*r)))
            .collect()
    }
}

/// One entry of the main navigation and the role it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavItem {
    NewRequest,
    MyRequests,
    Certificates,
    Approvals,
    History,
    Domains,
    Users,
    Policies,
    Mail,
    AuditLog,
    Account,
}

impl NavItem {
    pub const ALL: [NavItem; 11] = [
        NavItem::NewRequest,
        NavItem::MyRequests,
        NavItem::Certificates,
        NavItem::Approvals,
        NavItem::History,
        NavItem::Domains,
        NavItem::Users,
        NavItem::Policies,
        NavItem::Mail,
        NavItem::AuditLog,
        NavItem::Account,
    ];

    /// The roles that see the entry (any one of them).
    pub fn roles(self) -> &'static [Role] {
        match self {
            NavItem::NewRequest | NavItem::MyRequests => &[Role::Requester],
            // Requesters see their own certificates, admins everyone's.
            NavItem::Certificates => &[Role::Requester, Role::Admin],
            NavItem::Approvals => &[Role::Approver],
            NavItem::History
            | NavItem::Domains
            | NavItem::Users
            | NavItem::Policies
            | NavItem::Mail
            | NavItem::AuditLog => &[Role::Admin],
            NavItem::Account => &[Role::Requester, Role::Approver, Role::Admin],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NavItem::NewRequest => "New request",
            NavItem::MyRequests => "My requests",
            NavItem::Certificates => "Certificates",
            NavItem::Approvals => "Approvals",
            NavItem::History => "History",
            NavItem::Domains => "Domains",
            NavItem::Users => "Users",
            NavItem::Policies => "Policies",
            NavItem::Mail => "Mail",
            NavItem::Account => "Account",
            NavItem::AuditLog => "Audit log",
        }
    }

    pub fn href(self) -> &'static str {
        match self {
            NavItem::NewRequest => "/requests/new",
            NavItem::MyRequests => "/requests",
            NavItem::Certificates => "/certificates",
            NavItem::Approvals => "/approvals",
            NavItem::History => "/history",
            NavItem::Domains => "/domains",
            NavItem::Users => "/users",
            NavItem::Policies => "/admin/policies",
            NavItem::Mail => "/admin/mail",
            NavItem::Account => "/account",
            NavItem::AuditLog => "/audit",
        }
    }
}

/// The one message for every failed sign-in, so nobody learns which accounts exist.
pub const SIGN_IN_FAILED: &str = "Email or password is incorrect.";

/// Shortest password certdesk accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// RFC 5321's limit on a forward path; longer input is refused before any other work.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Emails compare case-insensitively; certdesk stores and looks them up trimmed and lower-cased.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A plausible email address: one `@`, something on both sides, a dot in the domain, no spaces.
pub fn check_email(email: &str) -> Result<(), String> {
    if email.len() > MAX_EMAIL_CHARS {
        return Err(format!(
            "An email address has at most {MAX_EMAIL_CHARS} characters."
        ));
    }
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

/// Longest `next=` path followed after sign-in.
const MAX_NEXT_PATH: usize = 2048;

/// Only same-site paths are followed after sign-in, never another host. A path qualifies when it
/// starts with one `/`, holds only printable ASCII without backslashes (browsers read `\` as `/`
/// and drop tabs and line breaks, which turns `/\t/evil.example` into `//evil.example`), has no
/// encoded slash or backslash, and its decoded form does not start with `//` either. Anything
/// else, including the sign-in page and server functions, leads to `/`.
pub fn safe_next_path(next: Option<&str>) -> String {
    match next {
        Some(path) if is_same_site_path(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

fn is_same_site_path(path: &str) -> bool {
    let printable = path
        .bytes()
        .all(|b| (0x21..0x7f).contains(&b) && b != b'\\');
    if !printable || path.len() > MAX_NEXT_PATH {
        return false;
    }
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2f")
        || lower.contains("%5c")
        || lower.contains("%09")
        || lower.contains("%0a")
        || lower.contains("%0d")
    {
        return false;
    }
    let decoded: String = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned();
    let route = decoded.split(['?', '#']).next().unwrap_or("");
    path.starts_with('/')
        && !path.starts_with("//")
        && !decoded.starts_with("//")
        && !route.starts_with("/api/")
        && route != "/sign-in"
        && !route.starts_with("/sign-in/")
}

/// How the sign-in page offers signing in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    /// The demo accounts and their password, in demo mode only.
    pub demo: Option<DemoAccounts>,
    /// The provider's name for "Sign in with …", when single sign-on is set up.
    pub provider: Option<String>,
    /// Passwords for everyone; when false only the break-glass admin uses one.
    pub local: bool,
}

/// Why a single sign-on attempt ended back on the sign-in page. Only the code travels in the
/// address (`?sso_error=`), so nothing the provider said is ever echoed to the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoFailure {
    Denied,
    ProviderError,
    State,
    Expired,
    Token,
    Unavailable,
    NoEmail,
    Deactivated,
    Conflict,
}

impl SsoFailure {
    const ALL: [SsoFailure; 9] = [
        SsoFailure::Denied,
        SsoFailure::ProviderError,
        SsoFailure::State,
        SsoFailure::Expired,
        SsoFailure::Token,
        SsoFailure::Unavailable,
        SsoFailure::NoEmail,
        SsoFailure::Deactivated,
        SsoFailure::Conflict,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SsoFailure::Denied => "denied",
            SsoFailure::ProviderError => "provider",
            SsoFailure::State => "state",
            SsoFailure::Expired => "expired",
            SsoFailure::Token => "token",
            SsoFailure::Unavailable => "unavailable",
            SsoFailure::NoEmail => "no_email",
            SsoFailure::Deactivated => "deactivated",
            SsoFailure::Conflict => "conflict",
        }
    }

    pub fn from_code(code: &str) -> Option<SsoFailure> {
        SsoFailure::ALL.into_iter().find(|f| f.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            SsoFailure::Denied => "Single sign-on was cancelled or refused at the provider.",
            SsoFailure::ProviderError => {
                "The sign-in provider answered with an error. Try again; if it persists, tell the IT team."
            }
            SsoFailure::State => {
                "That sign-in did not start here or was already used. Start again with the button below."
            }
            SsoFailure::Expired => "That sign-in took too long or was already used. Start again.",
            SsoFailure::Token => {
                "The sign-in provider's answer could not be verified, so it was refused. The attempt was logged."
            }
            SsoFailure::Unavailable => {
                "The sign-in provider cannot be reached right now. Try again in a few minutes."
            }
            SsoFailure::NoEmail => {
                "The sign-in provider did not say your email address, which certdesk needs. Tell the IT team."
            }
            SsoFailure::Deactivated => {
                "Your certdesk account is deactivated. Ask a certdesk admin if you need it again."
            }
            SsoFailure::Conflict => {
                "Your email address belongs to another certdesk account. Ask a certdesk admin to sort it out."
            }
        }
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
mod sso_failure_tests {
    use super::SsoFailure;

    #[test]
    fn every_failure_code_reads_back_and_unknown_codes_are_ignored() {
        for failure in SsoFailure::ALL {
            assert_eq!(SsoFailure::from_code(failure.code()), Some(failure));
            assert!(failure.message().ends_with('.'));
        }
        assert_eq!(SsoFailure::from_code("<script>"), None);
    }
}

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
        assert_eq!(
            labels(&[Role::Requester]),
            ["New request", "My requests", "Certificates", "Account"]
        );
        assert_eq!(labels(&[Role::Approver]), ["Approvals", "Account"]);
        assert_eq!(
            labels(&[Role::Admin, Role::Approver]),
            [
                "Certificates",
                "Approvals",
                "History",
                "Domains",
                "Users",
                "Policies",
                "Mail",
                "Audit log",
                "Account"
            ]
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
        assert_eq!(
            safe_next_path(Some("/requests?mine=1#top")),
            "/requests?mine=1#top"
        );
    }

    #[test]
    fn next_path_refuses_what_a_browser_would_send_elsewhere() {
        for hostile in [
            "/%09/evil.example",
            "/\t/evil.example",
            "/\\t/evil.example",
            "//x",
            "/\\x",
            "\\\\evil.example",
            "%2F%2Fevil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5C/evil.example",
            "/\r\n/evil.example",
            "/%0d%0aSet-Cookie:x=1",
            "/ /evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "",
            "/sign-in?next=//evil.example",
            "/\u{ff0f}/evil.example",
        ] {
            assert_eq!(safe_next_path(Some(hostile)), "/", "{hostile:?}");
        }
        let long = format!("/{}", "a".repeat(5000));
        assert_eq!(safe_next_path(Some(&long)), "/");
    }
}
