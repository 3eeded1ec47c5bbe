//! Domain control validation (DCV): the answers of DigiCert's DCV and domain endpoints, and the
//! rules about methods, record names and dates that the portal and the simulator share.

use super::payload::DcvMethod;
use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// CA/Browser Forum ballot SC-090: no email DCV on or after this day.
pub const EMAIL_DCV_ENDS: Date = match Date::from_calendar_date(2028, Month::March, 15) {
    Ok(date) => date,
    Err(_) => panic!("a valid date"),
};

/// Where DigiCert's `dns-cname-token` CNAME must point.
pub const CNAME_TARGET: &str = "dcv.digicert.com";

/// The file an `http-token` validation is read from, under the host.
pub const HTTP_TOKEN_PATH: &str = "/.well-known/pki-validation/fileauth.txt";

impl DcvMethod {
    /// The methods DigiCert still accepts on `today`.
    pub fn offered_on(today: Date) -> impl Iterator<Item = DcvMethod> {
        DcvMethod::ALL
            .into_iter()
            .filter(move |m| *m != DcvMethod::Email || today < EMAIL_DCV_ENDS)
    }

    /// In words, for people.
    pub fn label(self) -> &'static str {
        match self {
            DcvMethod::DnsTxtToken => "DNS TXT record",
            DcvMethod::DnsCnameToken => "DNS CNAME record",
            DcvMethod::HttpToken => "File on the web server",
            DcvMethod::Email => "Email to the domain's contacts",
        }
    }

    pub fn parse(text: &str) -> Option<DcvMethod> {
        DcvMethod::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// Token methods are checked on request (`check-dcv`); email waits for a person's click.
    pub fn is_token(self) -> bool {
        self != DcvMethod::Email
    }
}

/// How long DigiCert may reuse a domain validation for certificates issued on `day`
/// (one day shorter than the Baseline Requirements allow, as DigiCert applies them).
pub fn dcv_reuse_days(day: Date) -> i64 {
    let from = |y, m, d| Date::from_calendar_date(y, m, d).expect("a valid date");
    if day >= from(2029, Month::March, 15) {
        10
    } else if day >= from(2027, Month::March, 15) {
        100
    } else if day >= from(2026, Month::February, 24) {
        199
    } else {
        397
    }
}

/// The DNS name a wildcard or host name is validated as (`*.shop.example` → `shop.example`).
pub fn validation_name(dns_name: &str) -> &str {
    dns_name.strip_prefix("*.").unwrap_or(dns_name)
}

/// What to publish so that `method` proves control of `dns_name` with `random_value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DcvRecord {
    Txt { name: String, value: String },
    Cname { name: String, target: String },
    File { url: String, content: String },
    Email,
}

impl DcvRecord {
    pub fn for_name(method: DcvMethod, dns_name: &str, random_value: &str) -> DcvRecord {
        let name = validation_name(dns_name);
        match method {
            DcvMethod::DnsTxtToken => DcvRecord::Txt {
                name: format!("_dnsauth.{name}"),
                value: random_value.to_owned(),
            },
            DcvMethod::DnsCnameToken => DcvRecord::Cname {
                name: format!("{random_value}.{name}"),
                target: CNAME_TARGET.to_owned(),
            },
            DcvMethod::HttpToken => DcvRecord::File {
                url: format!("http://{name}{HTTP_TOKEN_PATH}"),
                content: random_value.to_owned(),
            },
            DcvMethod::Email => DcvRecord::Email,
        }
    }
}

/// One name's state in `check-dcv`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameValidation {
    pub dns_name: String,
    pub status: String,
}

/// `PUT order/certificate/{id}/check-dcv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcvCheck {
    #[serde(default)]
    pub order_status: Option<String>,
    #[serde(default)]
    pub certificate_id: Option<i64>,
    #[serde(default)]
    pub dcv_status: Option<String>,
    #[serde(default)]
    pub dns_name_validations: Vec<NameValidation>,
}

/// `PUT order/certificate/{id}/dcv-method` and `dcv-random-value`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcvRandomValue {
    #[serde(default)]
    pub dcv_random_value: Option<String>,
    #[serde(default)]
    pub expiration_date: Option<String>,
}

/// One validation of a domain (`ov`, `ev`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainValidation {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub validated_until: Option<String>,
}

/// `dcv_expiration` with `include_dcv_expiration_time=true`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcvExpiration {
    #[serde(default)]
    pub ov: Option<String>,
    #[serde(default)]
    pub ev: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainOrganization {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
}

/// One domain of `GET domain` / `GET domain/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDomain {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    pub organization: Option<DomainOrganization>,
    #[serde(default)]
    pub validations: Vec<DomainValidation>,
    #[serde(default)]
    pub dcv_method: Option<String>,
    #[serde(default)]
    pub dcv_expiration: Option<DcvExpiration>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainList {
    #[serde(default)]
    pub domains: Vec<AccountDomain>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn email_is_offered_only_until_the_ballot_ends_it() {
        let before: Vec<_> = DcvMethod::offered_on(date!(2028 - 03 - 14)).collect();
        let after: Vec<_> = DcvMethod::offered_on(date!(2028 - 03 - 15)).collect();
        assert!(before.contains(&DcvMethod::Email));
        assert!(!after.contains(&DcvMethod::Email));
        assert_eq!(after.len(), 3);
    }

    #[test]
    fn reuse_periods_follow_the_dated_schedule() {
        assert_eq!(dcv_reuse_days(date!(2026 - 02 - 23)), 397);
        assert_eq!(dcv_reuse_days(date!(2026 - 11 - 30)), 199);
        assert_eq!(dcv_reuse_days(date!(2027 - 03 - 15)), 100);
        assert_eq!(dcv_reuse_days(date!(2029 - 03 - 15)), 10);
    }

    #[test]
    fn each_method_names_its_record() {
        let r = "0123abcd";
        assert_eq!(
            DcvRecord::for_name(DcvMethod::DnsTxtToken, "*.shop.example.net", r),
            DcvRecord::Txt {
                name: "_dnsauth.shop.example.net".into(),
                value: r.into()
            }
        );
        assert_eq!(
            DcvRecord::for_name(DcvMethod::DnsCnameToken, "shop.example.net", r),
            DcvRecord::Cname {
                name: "0123abcd.shop.example.net".into(),
                target: CNAME_TARGET.into()
            }
        );
        assert_eq!(
            DcvRecord::for_name(DcvMethod::HttpToken, "shop.example.net", r),
            DcvRecord::File {
                url: "http://shop.example.net/.well-known/pki-validation/fileauth.txt".into(),
                content: r.into()
            }
        );
        assert_eq!(
            DcvRecord::for_name(DcvMethod::Email, "shop.example.net", r),
            DcvRecord::Email
        );
    }

    #[test]
    fn check_answers_decode_with_and_without_names() {
        let full: DcvCheck = serde_json::from_str(
            r#"{"order_status":"issued","certificate_id":249043544,"dcv_status":"valid","dns_name_validations":[{"dns_name":"example.com","status":"approved"}]}"#,
        )
        .unwrap();
        assert_eq!(full.dns_name_validations[0].status, "approved");
        let bare: DcvCheck = serde_json::from_str("{}").unwrap();
        assert!(bare.dns_name_validations.is_empty());
    }
}
