//! Single sign-on settings from the environment, and how a provider's groups become roles.

use crate::features::auth::Role;
use secrecy::SecretString;

/// How certdesk meets the company's OpenID provider (`CERTDESK_OIDC_*`).
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// `CERTDESK_OIDC_ISSUER`: the issuer, exactly as its discovery document names it.
    pub issuer: String,
    /// The issuer's scheme, host and port, which pages let forms lead to (its sign-out).
    pub issuer_origin: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// `CERTDESK_OIDC_NAME`: shown on the button, "Sign in with …".
    pub display_name: String,
    /// `<CERTDESK_PUBLIC_URL>/auth/oidc/callback`.
    pub redirect_url: String,
    /// `<CERTDESK_PUBLIC_URL>/sign-in`, where the provider sends people back after signing out.
    pub post_logout_url: String,
    /// `CERTDESK_OIDC_SCOPES`: asked for besides `openid` (default `email profile`).
    pub scopes: Vec<String>,
    /// `CERTDESK_OIDC_ROLES_CLAIM`: the ID token claim listing someone's groups (default `groups`).
    pub roles_claim: String,
    /// `CERTDESK_OIDC_ROLE_MAP`: group → role, e.g. `pki-approvers=approver,pki-admins=admin`.
    pub role_map: Vec<(String, Role)>,
}

impl OidcSettings {
    /// The settings when `CERTDESK_OIDC_ISSUER` is set; `public_origin` is `CERTDESK_PUBLIC_URL`.
    pub fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        public_origin: Option<&str>,
    ) -> Result<Option<OidcSettings>, String> {
        let Some(issuer) = get("CERTDESK_OIDC_ISSUER") else {
            for name in ["CERTDESK_OIDC_CLIENT_ID", "CERTDESK_OIDC_CLIENT_SECRET"] {
                if get(name).is_some() {
                    return Err(format!("{name} is set but CERTDESK_OIDC_ISSUER is not"));
                }
            }
            return Ok(None);
        };
        let issuer_origin = check_issuer(&issuer)?;
        let required = |name: &str| {
            get(name).ok_or_else(|| format!("{name} is required with CERTDESK_OIDC_ISSUER"))
        };
        let client_id = required("CERTDESK_OIDC_CLIENT_ID")?;
        let client_secret = SecretString::from(required("CERTDESK_OIDC_CLIENT_SECRET")?);
        let origin = public_origin.ok_or(
            "CERTDESK_PUBLIC_URL is required with CERTDESK_OIDC_ISSUER: the provider sends \
             people back to <CERTDESK_PUBLIC_URL>/auth/oidc/callback",
        )?;
        let scopes = get("CERTDESK_OIDC_SCOPES")
            .unwrap_or_else(|| "email profile".into())
            .split([' ', ','])
            .filter(|s| !s.is_empty() && *s != "openid")
            .map(str::to_owned)
            .collect();
        Ok(Some(OidcSettings {
            issuer,
            issuer_origin,
            client_id,
            client_secret,
            display_name: get("CERTDESK_OIDC_NAME").unwrap_or_else(|| "single sign-on".into()),
            redirect_url: format!("{origin}/auth/oidc/callback"),
            post_logout_url: format!("{origin}/sign-in"),
            scopes,
            roles_claim: get("CERTDESK_OIDC_ROLES_CLAIM").unwrap_or_else(|| "groups".into()),
            role_map: parse_role_map(get("CERTDESK_OIDC_ROLE_MAP").as_deref().unwrap_or(""))?,
        }))
    }

    /// The roles of someone whose roles claim holds `claim`: requester for everyone, and each
    /// role whose group they are in. A claim of another shape grants nothing more.
    pub fn roles_for(&self, claim: Option<&serde_json::Value>) -> Vec<Role> {
        let groups: Vec<&str> = match claim {
            Some(serde_json::Value::Array(items)) => {
                items.iter().filter_map(|item| item.as_str()).collect()
            }
            Some(serde_json::Value::String(one)) => one.split([' ', ',']).collect(),
            _ => Vec::new(),
        };
        let mut roles = vec![Role::Requester];
        for (group, role) in &self.role_map {
            if groups.contains(&group.as_str()) && !roles.contains(role) {
                roles.push(*role);
            }
        }
        roles.sort();
        roles
    }
}

/// https, or plain http to a provider on this machine (tests, a local Keycloak). Answers the
/// issuer's origin.
fn check_issuer(text: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "CERTDESK_OIDC_ISSUER={text:?} must be an https address such as \
             https://login.example.com/realms/staff (plain http only on loopback)"
        )
    };
    let url = url::Url::parse(text).map_err(|_| bad())?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url.origin().ascii_serialization()),
        "http" if loopback => Ok(url.origin().ascii_serialization()),
        _ => Err(bad()),
    }
}

/// `group=role` pairs separated by commas; a group may be mapped to several roles.
fn parse_role_map(text: &str) -> Result<Vec<(String, Role)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (group, role) = pair.rsplit_once('=').ok_or_else(|| {
                format!(
                    "CERTDESK_OIDC_ROLE_MAP: {pair:?} is not group=role, as in pki-admins=admin"
                )
            })?;
            let role = Role::parse(role).map_err(|e| format!("CERTDESK_OIDC_ROLE_MAP: {e}"))?;
            if group.trim().is_empty() {
                return Err(format!("CERTDESK_OIDC_ROLE_MAP: {pair:?} names no group"));
            }
            Ok((group.trim().to_owned(), role))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Option<OidcSettings>, String> {
        let env: HashMap<&str, &str> = pairs.iter().copied().collect();
        OidcSettings::from_lookup(
            &|k| env.get(k).map(|v| v.to_string()),
            Some("https://certdesk.example.com"),
        )
    }

    const BASE: [(&str, &str); 3] = [
        (
            "CERTDESK_OIDC_ISSUER",
            "https://login.example.com/realms/staff",
        ),
        ("CERTDESK_OIDC_CLIENT_ID", "certdesk"),
        ("CERTDESK_OIDC_CLIENT_SECRET", "s3cret-value"),
    ];

    #[test]
    fn groups_map_to_roles_and_everyone_requests() {
        let mut pairs = BASE.to_vec();
        pairs.push((
            "CERTDESK_OIDC_ROLE_MAP",
            "pki-approvers=approver, pki-admins=admin,pki-admins=approver",
        ));
        let s = settings(&pairs).unwrap().unwrap();
        assert_eq!(
            s.redirect_url,
            "https://certdesk.example.com/auth/oidc/callback"
        );
        assert_eq!(s.roles_claim, "groups");
        assert_eq!(s.roles_for(None), vec![Role::Requester]);
        assert_eq!(
            s.roles_for(Some(&json!(["pki-approvers", "staff"]))),
            vec![Role::Requester, Role::Approver]
        );
        assert_eq!(
            s.roles_for(Some(&json!(["pki-admins"]))),
            vec![Role::Requester, Role::Approver, Role::Admin]
        );
        assert_eq!(
            s.roles_for(Some(&json!("pki-admins"))),
            vec![Role::Requester, Role::Approver, Role::Admin]
        );
        assert_eq!(
            s.roles_for(Some(&json!({"pki-admins": true}))),
            vec![Role::Requester]
        );
        assert_eq!(
            s.roles_for(Some(&json!(["PKI-ADMINS"]))),
            vec![Role::Requester]
        );
    }

    #[test]
    fn bad_settings_name_the_variable_and_never_the_secret() {
        let mut no_secret = BASE.to_vec();
        no_secret.pop();
        let err = settings(&no_secret).unwrap_err();
        assert!(err.contains("CERTDESK_OIDC_CLIENT_SECRET"), "{err}");
        let mut bad_map = BASE.to_vec();
        bad_map.push(("CERTDESK_OIDC_ROLE_MAP", "pki-admins=root"));
        let err = settings(&bad_map).unwrap_err();
        assert!(
            err.contains("CERTDESK_OIDC_ROLE_MAP") && !err.contains("s3cret"),
            "{err}"
        );
        let mut plain = BASE.to_vec();
        plain[0] = ("CERTDESK_OIDC_ISSUER", "http://login.example.com");
        assert!(
            settings(&plain)
                .unwrap_err()
                .contains("CERTDESK_OIDC_ISSUER")
        );
        plain[0] = ("CERTDESK_OIDC_ISSUER", "http://127.0.0.1:8080");
        assert!(settings(&plain).is_ok());
        let orphan = settings(&[("CERTDESK_OIDC_CLIENT_ID", "x")]).unwrap_err();
        assert!(orphan.contains("CERTDESK_OIDC_ISSUER"), "{orphan}");
        let printed = format!("{:?}", settings(&BASE).unwrap().unwrap());
        assert!(!printed.contains("s3cret-value"), "{printed}");
    }

    #[test]
    fn the_public_url_is_needed_for_the_redirect() {
        let env: HashMap<&str, &str> = BASE.iter().copied().collect();
        let err =
            OidcSettings::from_lookup(&|k| env.get(k).map(|v| v.to_string()), None).unwrap_err();
        assert!(err.contains("CERTDESK_PUBLIC_URL"), "{err}");
    }
}
