use serde::{Deserialize, Serialize};
use std::fmt;

/// One entry of DigiCert's `errors[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorItem {
    pub code: String,
    pub message: String,
}

/// Everything that can go wrong talking to DigiCert. Displaying it never shows the API key or
/// request headers: only the status, DigiCert's codes and messages, or the kind of network fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigicertError {
    /// DigiCert answered with an error status.
    Api {
        status: u16,
        errors: Vec<ApiErrorItem>,
    },
    /// No answer within the read timeout; the request may or may not have been processed.
    Timeout,
    /// The connection could not be opened; the request never left.
    Connect(String),
    /// The connection broke after the request was sent, or the answer could not be read.
    Transport(String),
    /// A successful answer that does not have the documented shape.
    Decode(String),
}

impl DigicertError {
    /// Worth retrying later: rate limits, server errors and network faults.
    pub fn is_transient(&self) -> bool {
        match self {
            DigicertError::Api { status, .. } => matches!(status, 408 | 429 | 500..=599),
            DigicertError::Timeout | DigicertError::Connect(_) | DigicertError::Transport(_) => {
                true
            }
            DigicertError::Decode(_) => false,
        }
    }

    /// After this answer to an order POST, an order may exist at DigiCert anyway, so it must be
    /// looked up by its alternative id before any new POST.
    pub fn may_have_created(&self) -> bool {
        match self {
            DigicertError::Api { status, errors } => {
                *status >= 500 || errors.iter().any(|e| e.code.contains("duplicate"))
            }
            DigicertError::Timeout | DigicertError::Transport(_) | DigicertError::Decode(_) => true,
            DigicertError::Connect(_) => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            DigicertError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn codes(&self) -> Vec<&str> {
        match self {
            DigicertError::Api { errors, .. } => errors.iter().map(|e| e.code.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// `check-dcv` found no record yet: the requester's next step, not a failure.
    pub fn is_dcv_not_found(&self) -> bool {
        self.codes()
            .iter()
            .any(|c| matches!(*c, "invalid_dns_txt" | "file_random_value_not_found"))
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Reads an error body tolerantly: `errors` as an array or a single object, `message` or
    /// `description`, or no JSON at all (a proxy's HTML page, say).
    pub fn from_response(status: u16, body: &str) -> DigicertError {
        #[derive(Deserialize)]
        struct Item {
            #[serde(default)]
            code: Option<String>,
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            description: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Errors {
            Many(Vec<Item>),
            One(Item),
        }
        #[derive(Deserialize)]
        struct Body {
            errors: Errors,
        }
        let items = match serde_json::from_str::<Body>(body) {
            Ok(Body {
                errors: Errors::Many(items),
            }) => items,
            Ok(Body {
                errors: Errors::One(item),
            }) => vec![item],
            Err(_) => {
                let excerpt: String = body.chars().filter(|c| !c.is_control()).take(200).collect();
                return DigicertError::Api {
                    status,
                    errors: vec![ApiErrorItem {
                        code: "unreadable_error_body".into(),
                        message: if excerpt.trim().is_empty() {
                            format!("HTTP {status} with no error details")
                        } else {
                            format!("HTTP {status}: {}", excerpt.trim())
                        },
                    }],
                };
            }
        };
        DigicertError::Api {
            status,
            errors: items
                .into_iter()
                .map(|i| ApiErrorItem {
                    code: i.code.unwrap_or_else(|| "unknown".into()),
                    message: i.message.or(i.description).unwrap_or_default(),
                })
                .collect(),
        }
    }
}

impl fmt::Display for DigicertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigicertError::Api { status, errors } => {
                write!(f, "DigiCert answered {status}")?;
                for (i, e) in errors.iter().enumerate() {
                    let sep = if i == 0 { ": " } else { "; " };
                    write!(f, "{sep}{} ({})", e.code, e.message)?;
                }
                Ok(())
            }
            DigicertError::Timeout => write!(f, "DigiCert did not answer in time"),
            DigicertError::Connect(why) => write!(f, "DigiCert could not be reached: {why}"),
            DigicertError::Transport(why) => write!(f, "the connection to DigiCert broke: {why}"),
            DigicertError::Decode(why) => write!(f, "DigiCert's answer could not be read: {why}"),
        }
    }
}

impl std::error::Error for DigicertError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_and_message_is_kept() {
        let err = DigicertError::from_response(
            400,
            r#"{"errors":[{"code":"invalid_value:validity_years","message":"validity_years contains an invalid value."},{"code":"required_param:csr","message":"csr is required"}]}"#,
        );
        assert_eq!(
            err.codes(),
            ["invalid_value:validity_years", "required_param:csr"]
        );
        let text = err.to_string();
        assert!(
            text.contains("400")
                && text.contains("required_param:csr")
                && text.contains("invalid value")
        );
        assert!(!err.is_transient());
    }

    #[test]
    fn single_object_and_description_are_accepted() {
        let err = DigicertError::from_response(
            404,
            r#"{"errors":{"code":"not_found|order","description":"Order not found"}}"#,
        );
        assert_eq!(err.codes(), ["not_found|order"]);
        assert!(err.to_string().contains("Order not found"));
        assert!(err.is_not_found());
    }

    #[test]
    fn non_json_bodies_still_give_a_readable_error() {
        let err = DigicertError::from_response(502, "<html><body>Bad gateway</body></html>");
        assert_eq!(err.codes(), ["unreadable_error_body"]);
        assert!(err.is_transient());
        assert!(err.may_have_created());
        let empty = DigicertError::from_response(503, "");
        assert!(empty.to_string().contains("no error details"));
    }

    #[test]
    fn classification_follows_the_api_notes() {
        let api = |status| DigicertError::Api {
            status,
            errors: vec![],
        };
        for terminal in [400, 401, 403, 404, 409, 422] {
            assert!(!api(terminal).is_transient(), "{terminal}");
        }
        for transient in [408, 429, 500, 502, 503, 504] {
            assert!(api(transient).is_transient(), "{transient}");
        }
        assert!(DigicertError::Timeout.is_transient());
        assert!(DigicertError::Timeout.may_have_created());
        assert!(!DigicertError::Connect("refused".into()).may_have_created());
        assert!(
            !api(429).may_have_created(),
            "a rate-limited request was not processed"
        );
        let duplicate = DigicertError::Api {
            status: 400,
            errors: vec![ApiErrorItem {
                code: "duplicate_alternative_order_id".into(),
                message: String::new(),
            }],
        };
        assert!(duplicate.may_have_created());
    }
}
