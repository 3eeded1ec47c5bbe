//! Configuration from environment variables, read once at start-up.

use crate::features::auth::sso::OidcSettings;
use secrecy::SecretString;
use std::{net::SocketAddr, path::PathBuf};

pub const DIGICERT_US: &str = "https://www.digicert.com/services/v2";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `CERTDESK_LISTEN`: where the portal listens.
    pub listen: SocketAddr,
    /// `DATABASE_URL`: unset means "start the private cluster under the data directory".
    pub database_url: Option<SecretString>,
    /// `CERTDESK_MIGRATION_DATABASE_URL`: the schema owner, for migrations and grants; the
    /// portal itself then connects with `DATABASE_URL`, a role that owns nothing.
    pub migration_database_url: Option<SecretString>,
    /// `CERTDESK_DATA_DIR`: the private PostgreSQL cluster and other local state.
    pub data_dir: PathBuf,
    /// `CERTDESK_SESSION_IDLE_MINUTES`: a session ends after this long without a request.
    pub session_idle_minutes: u32,
    /// `CERTDESK_COOKIE_SECURE`: `auto` marks cookies Secure unless the portal listens on loopback.
    pub cookie_secure: bool,
    /// `CERTDESK_SESSION_MAX_HOURS`: a session ends this long after sign-in, however busy.
    pub session_max_hours: u32,
    /// `CERTDESK_TRUST_FORWARDED_FOR`: how many proxies of ours stand in front of the portal; the
    /// client address is taken that many hops from the right of `X-Forwarded-For` (0: the socket).
    pub trusted_proxies: u32,
    /// `CERTDESK_PUBLIC_URL`: the address people use, e.g. `https://certdesk.example.com`. Origin
    /// checks compare against it and an https address makes the session cookie `Secure`.
    pub public_origin: Option<String>,
    /// `CERTDESK_DEMO_ALLOW_PUBLIC`: let demo mode listen on a non-loopback address.
    pub demo_allow_public: bool,
    /// `CERTDESK_REQUEST_TIMEOUT_SECONDS`: longest a request may take to produce its answer.
    pub request_timeout_seconds: u32,
    /// `CERTDESK_HEADER_TIMEOUT_SECONDS`: a connection must send its request headers this fast.
    pub header_timeout_seconds: u32,
    /// `CERTDESK_SIGN_IN_MAX_FAILURES` failures within `CERTDESK_SIGN_IN_WINDOW_MINUTES` lock sign-in.
    pub sign_in_max_failures: u32,
    pub sign_in_window_minutes: u32,
    /// `DIGICERT_API_KEY`: unset means demo mode with the built-in simulator.
    pub digicert_api_key: Option<SecretString>,
    /// `DIGICERT_BASE_URL`: the US or EU CertCentral Services API.
    pub digicert_base_url: String,
    /// `DIGICERT_SKIP_APPROVAL`: send approved orders with `skip_approval: true`, so DigiCert does
    /// not ask for a second approval (certdesk's approvers already decided). Default true.
    pub digicert_skip_approval: bool,
    /// `CERTDESK_WORKERS`: forwarding workers in this process (0: none; other processes may run them).
    pub workers: u32,
    /// `CERTDESK_RENEW_WINDOW_DAYS`: how long before an order's end "Renew" is offered.
    pub renew_window_days: u32,
    /// `CERTDESK_DCV_CHECK_SECONDS`: the least time between two "Check now" of one order, so
    /// clicks cannot spend DigiCert's rate budget.
    pub dcv_check_seconds: u32,
    /// `CERTDESK_DIGICERT_LISTS_SECONDS`: how long DigiCert's lists (organizations, custom fields,
    /// products…) are reused before they are asked for again (0: every time).
    pub digicert_lists_seconds: u32,
    /// `CERTDESK_LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `CERTDESK_SIMULATOR_LISTEN`: where the demo-mode simulator listens (default: a free
    /// loopback port).
    pub simulator_listen: SocketAddr,
    /// `CERTDESK_SIMULATOR_ISSUE`: `immediate`, `manual` or seconds until issuance (demo mode).
    pub simulator_issuance: Option<String>,
    /// `LEPTOS_SITE_ROOT`: where the compiled wasm, JavaScript and CSS are served from.
    pub site_root: String,
    /// `CERTDESK_METRICS_TOKEN`: `/metrics` on the portal's address answers only with
    /// `Authorization: Bearer <token>` (unset: it does not exist there).
    pub metrics_token: Option<SecretString>,
    /// `CERTDESK_METRICS_LISTEN`: a separate address serving `/metrics` without a token.
    pub metrics_listen: Option<SocketAddr>,
    /// `CERTDESK_SMTP_URL`: where mail is sent (it may hold a password). Unset: mail is kept in
    /// the outbox for the admins' Mail page.
    pub smtp_url: Option<SecretString>,
    /// `CERTDESK_MAIL_FROM`: the sender of certdesk's mail.
    pub mail_from: String,
    /// Single sign-on with the company's OpenID provider (`CERTDESK_OIDC_ISSUER` and friends).
    pub oidc: Option<OidcSettings>,
    /// `CERTDESK_LOCAL_SIGN_IN`: email and password sign-in for everyone (default true). Turned
    /// off, only the break-glass admin signs in with a password; everyone else uses the provider.
    pub local_sign_in: bool,
    /// `CERTDESK_BREAK_GLASS_ADMIN`: the email of the one local account that still signs in with a
    /// password when local sign-in is off (for the day the provider is down).
    pub break_glass_admin: Option<String>,
}

/// Why local sign-in cannot be turned off without single sign-on.
const NOBODY_COULD_SIGN_IN: &str = "CERTDESK_LOCAL_SIGN_IN=false needs single sign-on: set \
                                    CERTDESK_OIDC_ISSUER, or nobody could sign in";

/// Secure cookies by default wherever the portal is reached over https, or (without a public
/// URL) when it listens beyond loopback.
fn cookie_secure(
    setting: Option<&str>,
    public_origin: Option<&str>,
    listen: SocketAddr,
) -> Result<bool, String> {
    match setting {
        None | Some("auto") => Ok(match public_origin {
            Some(origin) => origin.starts_with("https://"),
            None => !listen.ip().is_loopback(),
        }),
        Some(other) => parse_bool("CERTDESK_COOKIE_SECURE", other),
    }
}

/// Demo mode shows its accounts' password on the sign-in page: loopback only, unless forced.
fn check_demo_listen(listen: SocketAddr, demo_allow_public: bool) -> Result<(), String> {
    if listen.ip().is_loopback() || demo_allow_public {
        return Ok(());
    }
    Err(format!(
        "demo mode (no DIGICERT_API_KEY) listens only on loopback, not on {listen}: its \
         accounts' password is shown on the sign-in page. Set DIGICERT_API_KEY, listen \
         on 127.0.0.1, or force it with CERTDESK_DEMO_ALLOW_PUBLIC=true"
    ))
}

fn log_format(setting: Option<&str>) -> Result<LogFormat, String> {
    match setting {
        None | Some("text") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        Some(other) => Err(format!(
            "CERTDESK_LOG_FORMAT={other:?} is not one of text, json"
        )),
    }
}

impl Config {
    /// The address links in mail lead to: `CERTDESK_PUBLIC_URL`, else the listening address.
    pub fn portal_url(&self) -> String {
        self.public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

impl Config {
    pub fn from_env() -> Result<Config, String> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every setting through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Exposure {
            listen,
            public_origin,
            cookie_secure,
        } = Exposure::from_lookup(&get)?;
        let digicert_api_key = get("DIGICERT_API_KEY").map(SecretString::from);
        let demo_allow_public = parse_flag(&get, "CERTDESK_DEMO_ALLOW_PUBLIC", false)?;
        if digicert_api_key.is_none() {
            check_demo_listen(listen, demo_allow_public)?;
        }
        let log_format = log_format(get("CERTDESK_LOG_FORMAT").as_deref())?;
        let digicert_base_url = get("DIGICERT_BASE_URL").unwrap_or_else(|| DIGICERT_US.into());
        check_digicert_base_url(&digicert_base_url)?;
        let simulator_listen = socket_address(
            "CERTDESK_SIMULATOR_LISTEN",
            get("CERTDESK_SIMULATOR_LISTEN")
                .as_deref()
                .unwrap_or("127.0.0.1:0"),
            "127.0.0.1:8443",
        )?;
        let SignInSettings {
            oidc,
            local_sign_in,
            break_glass_admin,
        } = SignInSettings::from_lookup(&get, public_origin.as_deref())?;
        Ok(Config {
            oidc,
            local_sign_in,
            break_glass_admin,
            simulator_listen,
            simulator_issuance: get("CERTDESK_SIMULATOR_ISSUE"),
            listen,
            database_url: get("DATABASE_URL").map(SecretString::from),
            migration_database_url: get("CERTDESK_MIGRATION_DATABASE_URL").map(SecretString::from),
            data_dir: PathBuf::from(get("CERTDESK_DATA_DIR").unwrap_or_else(|| ".data".into())),
            session_idle_minutes: parse_number(&get, "CERTDESK_SESSION_IDLE_MINUTES", 60, 1)?,
            cookie_secure,
            session_max_hours: parse_number(&get, "CERTDESK_SESSION_MAX_HOURS", 12, 1)?,
            trusted_proxies: get("CERTDESK_TRUST_FORWARDED_FOR")
                .map(|text| trusted_proxies(&text))
                .transpose()?
                .unwrap_or(0),
            public_origin,
            demo_allow_public,
            request_timeout_seconds: parse_number(&get, "CERTDESK_REQUEST_TIMEOUT_SECONDS", 30, 1)?,
            header_timeout_seconds: parse_number(&get, "CERTDESK_HEADER_TIMEOUT_SECONDS", 10, 1)?,
            sign_in_max_failures: parse_number(&get, "CERTDESK_SIGN_IN_MAX_FAILURES", 5, 1)?,
            sign_in_window_minutes: parse_number(&get, "CERTDESK_SIGN_IN_WINDOW_MINUTES", 15, 1)?,
            digicert_api_key,
            digicert_base_url: digicert_base_url.trim_end_matches('/').to_owned(),
            digicert_skip_approval: parse_flag(&get, "DIGICERT_SKIP_APPROVAL", true)?,
            workers: parse_number(&get, "CERTDESK_WORKERS", 1, 0)?,
            digicert_lists_seconds: parse_number(&get, "CERTDESK_DIGICERT_LISTS_SECONDS", 300, 0)?,
            renew_window_days: parse_number(&get, "CERTDESK_RENEW_WINDOW_DAYS", 90, 1)?,
            dcv_check_seconds: parse_number(&get, "CERTDESK_DCV_CHECK_SECONDS", 10, 0)?,
            log_format,
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            metrics_token: get("CERTDESK_METRICS_TOKEN")
                .map(metrics_token)
                .transpose()?,
            metrics_listen: get("CERTDESK_METRICS_LISTEN")
                .map(|text| socket_address("CERTDESK_METRICS_LISTEN", &text, "127.0.0.1:9300"))
                .transpose()?,
            smtp_url: get("CERTDESK_SMTP_URL")
                .map(|text| check_smtp_url(&text).map(|()| SecretString::from(text)))
                .transpose()?,
            mail_from: get("CERTDESK_MAIL_FROM")
                .unwrap_or_else(|| "certdesk <certdesk@localhost>".into()),
        })
    }

    /// Whether `email` (normalised) may sign in with a password.
    pub fn password_sign_in_allowed(&self, email: &str) -> bool {
        self.local_sign_in || self.break_glass_admin.as_deref() == Some(email)
    }

    /// Without a DigiCert API key certdesk runs on its simulator and seeds demo users.
    pub fn demo_mode(&self) -> bool {
        self.digicert_api_key.is_none()
    }
}

/// `scheme://host[:port]` of `CERTDESK_PUBLIC_URL`, lower-cased, without a path.
fn public_origin(text: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "CERTDESK_PUBLIC_URL={text:?} is not an address such as https://certdesk.example.com"
        )
    };
    let url = url::Url::parse(text).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
}

/// https only, so the key never crosses a network in clear; plain http only to a loopback
/// address (the simulator on this machine). The client checks the same when it is built.
fn check_digicert_base_url(text: &str) -> Result<(), String> {
    crate::server::digicert::check_base_url(text)
        .map_err(|_| format!("DIGICERT_BASE_URL={text:?} must start with https:// (plain http only to a loopback simulator)"))
}

/// `smtp://` or `smtps://` with a host; the message never repeats the URL (it may hold a
/// password).
fn check_smtp_url(text: &str) -> Result<(), String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "smtp" | "smtps") && url.host_str().is_some() => Ok(()),
        _ => Err(
            "CERTDESK_SMTP_URL is not an SMTP URL such as smtp://user:password@mail.example.com:587?tls=required"
                .into(),
        ),
    }
}

/// Where the portal listens, the address people use, and whether its cookies are `Secure`:
/// read together because each depends on the ones before.
struct Exposure {
    listen: SocketAddr,
    public_origin: Option<String>,
    cookie_secure: bool,
}

impl Exposure {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Exposure, String> {
        let listen = socket_address(
            "CERTDESK_LISTEN",
            get("CERTDESK_LISTEN")
                .as_deref()
                .unwrap_or("127.0.0.1:3000"),
            "127.0.0.1:3000",
        )?;
        let public_origin = get("CERTDESK_PUBLIC_URL")
            .map(|text| public_origin(&text))
            .transpose()?;
        let cookie_secure = cookie_secure(
            get("CERTDESK_COOKIE_SECURE").as_deref(),
            public_origin.as_deref(),
            listen,
        )?;
        Ok(Exposure {
            listen,
            public_origin,
            cookie_secure,
        })
    }
}

/// How people sign in: single sign-on, passwords, or passwords for one break-glass admin only.
/// Refused when nobody could sign in at all.
struct SignInSettings {
    oidc: Option<OidcSettings>,
    local_sign_in: bool,
    break_glass_admin: Option<String>,
}

impl SignInSettings {
    fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        public_origin: Option<&str>,
    ) -> Result<SignInSettings, String> {
        let oidc = OidcSettings::from_lookup(get, public_origin)?;
        let local_sign_in = parse_flag(get, "CERTDESK_LOCAL_SIGN_IN", true)?;
        if !local_sign_in && oidc.is_none() {
            return Err(NOBODY_COULD_SIGN_IN.into());
        }
        let break_glass_admin = get("CERTDESK_BREAK_GLASS_ADMIN")
            .map(|text| break_glass_admin(&text))
            .transpose()?;
        Ok(SignInSettings {
            oidc,
            local_sign_in,
            break_glass_admin,
        })
    }
}

/// The socket address `name` holds; the error shows an `example`.
fn socket_address(name: &str, text: &str, example: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| format!("{name}={text:?} is not an address such as {example}"))
}

/// `name` as true or false, `default` when unset.
fn parse_flag(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: bool,
) -> Result<bool, String> {
    get(name).map_or(Ok(default), |value| parse_bool(name, &value))
}

/// The one admin who may still sign in with a password when single sign-on is the rule.
fn break_glass_admin(text: &str) -> Result<String, String> {
    let email = crate::features::auth::model::normalize_email(text);
    crate::features::auth::model::check_email(&email)
        .map(|()| email)
        .map_err(|_| format!("CERTDESK_BREAK_GLASS_ADMIN={text:?} is not an email address"))
}

/// How many proxies in front of certdesk append to `X-Forwarded-For`: a number up to 10, or
/// true (one) or false (none).
fn trusted_proxies(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if n <= 10 => Ok(n),
        _ => parse_bool("CERTDESK_TRUST_FORWARDED_FOR", text)
            .map(u32::from)
            .map_err(|_| {
                format!(
                    "CERTDESK_TRUST_FORWARDED_FOR={text:?} is not a number of proxies (0-10) nor \
                     true or false"
                )
            }),
    }
}

fn metrics_token(token: String) -> Result<SecretString, String> {
    if token.len() < 16 {
        return Err(
            "CERTDESK_METRICS_TOKEN is too short: use at least 16 random characters".into(),
        );
    }
    Ok(SecretString::from(token))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("{name}={value:?} is not true or false")),
    }
}

fn parse_number(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u32,
    min: u32,
) -> Result<u32, String> {
    match get(name) {
        None => Ok(default),
        Some(text) => match text.parse::<u32>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(format!(
                "{name}={text:?} is not a whole number of at least {min}"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_describe_a_local_demo() {
        let c = config(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert!(c.database_url.is_none());
        assert!(c.demo_mode());
        assert!(
            !c.cookie_secure,
            "loopback http must not get Secure cookies"
        );
        assert_eq!(c.session_idle_minutes, 60);
        assert_eq!((c.sign_in_max_failures, c.sign_in_window_minutes), (5, 15));
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.digicert_base_url, DIGICERT_US);
    }

    #[test]
    fn public_listen_address_gets_secure_cookies() {
        assert!(
            config(&[
                ("CERTDESK_LISTEN", "0.0.0.0:8080"),
                ("DIGICERT_API_KEY", "k")
            ])
            .unwrap()
            .cookie_secure
        );
        let forced = config(&[("CERTDESK_COOKIE_SECURE", "true")]).unwrap();
        assert!(forced.cookie_secure);
    }

    #[test]
    fn api_key_ends_demo_mode_and_stays_secret() {
        let c = config(&[
            ("DIGICERT_API_KEY", "k-123"),
            ("DATABASE_URL", "postgres://x"),
        ])
        .unwrap();
        assert!(!c.demo_mode());
        assert_eq!(
            c.digicert_api_key.as_ref().unwrap().expose_secret(),
            "k-123"
        );
        let printed = format!("{c:?}");
        assert!(
            !printed.contains("k-123"),
            "the key leaked into Debug: {printed}"
        );
        assert!(!printed.contains("postgres://x"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("CERTDESK_LISTEN", "localhost"),
            ("CERTDESK_SESSION_IDLE_MINUTES", "0"),
            ("CERTDESK_SESSION_IDLE_MINUTES", "soon"),
            ("CERTDESK_COOKIE_SECURE", "maybe"),
            ("CERTDESK_LOG_FORMAT", "xml"),
            ("DIGICERT_BASE_URL", "ftp://x"),
            (
                "DIGICERT_BASE_URL",
                "http://digicert.example.com/services/v2",
            ),
            ("CERTDESK_PUBLIC_URL", "certdesk.example.com"),
            ("CERTDESK_TRUST_FORWARDED_FOR", "many"),
            ("CERTDESK_SESSION_MAX_HOURS", "0"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn demo_mode_stays_on_loopback_unless_forced() {
        let err = config(&[("CERTDESK_LISTEN", "0.0.0.0:3000")]).unwrap_err();
        assert!(err.contains("CERTDESK_DEMO_ALLOW_PUBLIC"), "{err}");
        assert!(
            config(&[
                ("CERTDESK_LISTEN", "0.0.0.0:3000"),
                ("CERTDESK_DEMO_ALLOW_PUBLIC", "true")
            ])
            .is_ok()
        );
        assert!(
            config(&[
                ("CERTDESK_LISTEN", "0.0.0.0:3000"),
                ("DIGICERT_API_KEY", "k")
            ])
            .is_ok()
        );
    }

    #[test]
    fn an_https_public_url_makes_cookies_secure_even_on_loopback() {
        let c = config(&[(
            "CERTDESK_PUBLIC_URL",
            "https://Certdesk.Example.com/portal/",
        )])
        .unwrap();
        assert!(c.cookie_secure);
        assert_eq!(
            c.public_origin.as_deref(),
            Some("https://certdesk.example.com")
        );
        assert_eq!(c.session_max_hours, 12);
    }

    #[test]
    fn forwarded_for_takes_a_number_of_proxies() {
        assert_eq!(config(&[]).unwrap().trusted_proxies, 0);
        let n = |v: &str| {
            config(&[("CERTDESK_TRUST_FORWARDED_FOR", v)])
                .unwrap()
                .trusted_proxies
        };
        assert_eq!((n("true"), n("false"), n("2")), (1, 0, 2));
    }

    #[test]
    fn digicert_base_url_is_https_or_a_loopback_simulator() {
        for ok in [
            "https://www.digicert.com/services/v2",
            "http://127.0.0.1:8443/services/v2",
            "http://localhost:1/services/v2",
            "http://[::1]:1/services/v2",
        ] {
            assert!(check_digicert_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/services/v2",
            "http://127.0.0.1.evil.example/x",
            "file:///etc",
        ] {
            assert!(check_digicert_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_sign_in_goes_off_only_with_a_provider_and_keeps_the_break_glass_admin() {
        let err = config(&[("CERTDESK_LOCAL_SIGN_IN", "false")]).unwrap_err();
        assert!(err.contains("CERTDESK_OIDC_ISSUER"), "{err}");
        let c = config(&[
            ("CERTDESK_LOCAL_SIGN_IN", "false"),
            ("CERTDESK_PUBLIC_URL", "https://certdesk.example.com"),
            ("CERTDESK_OIDC_ISSUER", "https://login.example.com"),
            ("CERTDESK_OIDC_CLIENT_ID", "certdesk"),
            ("CERTDESK_OIDC_CLIENT_SECRET", "secret"),
            ("CERTDESK_BREAK_GLASS_ADMIN", " Root@Example.com "),
        ])
        .unwrap();
        assert!(c.password_sign_in_allowed("root@example.com"));
        assert!(!c.password_sign_in_allowed("someone@example.com"));
        assert!(
            config(&[])
                .unwrap()
                .password_sign_in_allowed("someone@example.com")
        );
        let err = config(&[("CERTDESK_BREAK_GLASS_ADMIN", "root")]).unwrap_err();
        assert!(err.contains("CERTDESK_BREAK_GLASS_ADMIN"), "{err}");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let c = config(&[("DIGICERT_API_KEY", "  "), ("CERTDESK_LOG_FORMAT", "json")]).unwrap();
        assert!(c.demo_mode());
        assert_eq!(c.log_format, LogFormat::Json);
    }
}
