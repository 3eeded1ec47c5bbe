//! Configuration from environment variables, read once at start-up.

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
    /// `CERTDESK_DATA_DIR`: the private PostgreSQL cluster and other local state.
    pub data_dir: PathBuf,
    /// `CERTDESK_SESSION_IDLE_MINUTES`: a session ends after this long without a request.
    pub session_idle_minutes: u32,
    /// `CERTDESK_COOKIE_SECURE`: `auto` marks cookies Secure unless the portal listens on loopback.
    pub cookie_secure: bool,
    /// `CERTDESK_TRUST_FORWARDED_FOR`: take the client address from `X-Forwarded-For` (behind a proxy).
    pub trust_forwarded_for: bool,
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
    /// `CERTDESK_LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `CERTDESK_SIMULATOR_LISTEN`: where the demo-mode simulator listens (default: a free
    /// loopback port).
    pub simulator_listen: SocketAddr,
    /// `CERTDESK_SIMULATOR_ISSUE`: `immediate`, `manual` or seconds until issuance (demo mode).
    pub simulator_issuance: Option<String>,
    /// `LEPTOS_SITE_ROOT`: where the compiled wasm, JavaScript and CSS are served from.
    pub site_root: String,
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
        let listen_text = get("CERTDESK_LISTEN").unwrap_or_else(|| "127.0.0.1:3000".into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            format!("CERTDESK_LISTEN={listen_text:?} is not an address such as 127.0.0.1:3000")
        })?;
        let cookie_secure = match get("CERTDESK_COOKIE_SECURE").as_deref() {
            None | Some("auto") => !listen.ip().is_loopback(),
            Some(other) => parse_bool("CERTDESK_COOKIE_SECURE", other)?,
        };
        let log_format = match get("CERTDESK_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(format!(
                    "CERTDESK_LOG_FORMAT={other:?} is not one of text, json"
                ));
            }
        };
        let digicert_base_url = get("DIGICERT_BASE_URL").unwrap_or_else(|| DIGICERT_US.into());
        if !digicert_base_url.starts_with("https://") && !digicert_base_url.starts_with("http://") {
            return Err(format!(
                "DIGICERT_BASE_URL={digicert_base_url:?} must start with https://"
            ));
        }
        let simulator_text =
            get("CERTDESK_SIMULATOR_LISTEN").unwrap_or_else(|| "127.0.0.1:0".into());
        let simulator_listen: SocketAddr = simulator_text.parse().map_err(|_| {
            format!("CERTDESK_SIMULATOR_LISTEN={simulator_text:?} is not an address such as 127.0.0.1:8443")
        })?;
        Ok(Config {
            simulator_listen,
            simulator_issuance: get("CERTDESK_SIMULATOR_ISSUE"),
            listen,
            database_url: get("DATABASE_URL").map(SecretString::from),
            data_dir: PathBuf::from(get("CERTDESK_DATA_DIR").unwrap_or_else(|| ".data".into())),
            session_idle_minutes: parse_number(&get, "CERTDESK_SESSION_IDLE_MINUTES", 60, 1)?,
            cookie_secure,
            trust_forwarded_for: match get("CERTDESK_TRUST_FORWARDED_FOR") {
                Some(v) => parse_bool("CERTDESK_TRUST_FORWARDED_FOR", &v)?,
                None => false,
            },
            sign_in_max_failures: parse_number(&get, "CERTDESK_SIGN_IN_MAX_FAILURES", 5, 1)?,
            sign_in_window_minutes: parse_number(&get, "CERTDESK_SIGN_IN_WINDOW_MINUTES", 15, 1)?,
            digicert_api_key: get("DIGICERT_API_KEY").map(SecretString::from),
            digicert_base_url: digicert_base_url.trim_end_matches('/').to_owned(),
            digicert_skip_approval: match get("DIGICERT_SKIP_APPROVAL") {
                Some(v) => parse_bool("DIGICERT_SKIP_APPROVAL", &v)?,
                None => true,
            },
            workers: parse_number(&get, "CERTDESK_WORKERS", 1, 0)?,
            log_format,
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
        })
    }

    /// Without a DigiCert API key certdesk runs on its simulator and seeds demo users.
    pub fn demo_mode(&self) -> bool {
        self.digicert_api_key.is_none()
    }
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
            config(&[("CERTDESK_LISTEN", "0.0.0.0:8080")])
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
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn blank_values_count_as_unset() {
        let c = config(&[("DIGICERT_API_KEY", "  "), ("CERTDESK_LOG_FORMAT", "json")]).unwrap();
        assert!(c.demo_mode());
        assert_eq!(c.log_format, LogFormat::Json);
    }
}
