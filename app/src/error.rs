//! One error type for everything a server function can answer with.
//!
//! It travels to the browser as JSON, so it carries only what a person may read: internal causes
//! are logged on the server and leave as [`AppError::Internal`].

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use std::collections::BTreeMap;

/// Field-level problems with a submitted form, plus the harmless values the person typed so a page
/// rendered without JavaScript can put them back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormErrors {
    /// A sentence for the top of the form.
    pub message: String,
    /// Field name → what is wrong with it.
    pub fields: BTreeMap<String, Vec<String>>,
    /// Field name → the value the person typed (never passwords or keys).
    pub kept: BTreeMap<String, String>,
}

impl FormErrors {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }

    pub fn field(mut self, name: &str, problem: impl Into<String>) -> Self {
        self.add(name, problem);
        self
    }

    pub fn add(&mut self, name: &str, problem: impl Into<String>) {
        self.fields
            .entry(name.to_owned())
            .or_default()
            .push(problem.into());
    }

    /// Adds "At most `max` characters." to `name` when `value` is longer. Bytes are looked at
    /// first, so a flood is refused without counting its characters.
    pub fn limit_length(&mut self, name: &str, value: &str, max: usize) {
        if longer_than(value, max) {
            self.add(name, format!("At most {max} characters."));
        }
    }

    pub fn keep(mut self, name: &str, value: impl Into<String>) -> Self {
        self.kept.insert(name.to_owned(), value.into());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn for_field(&self, name: &str) -> Option<String> {
        self.fields.get(name).map(|problems| problems.join(" "))
    }
}

/// Whether `text` has more than `max` characters; a UTF-8 character is at most four bytes, so the
/// byte length answers first whenever it can.
pub fn longer_than(text: &str, max: usize) -> bool {
    text.len() > max && (text.len() > max.saturating_mul(4) || text.chars().count() > max)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// An admin reset this person's password: they choose a new one before anything else.
    #[error("Choose a new password first.")]
    PasswordChangeRequired,
    #[error("That page or record does not exist.")]
    NotFound,
    #[error("{}", .0.message)]
    Invalid(FormErrors),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// The request itself was malformed (missing or unreadable arguments).
    #[error("The request could not be read: {0}")]
    BadRequest(String),
    /// A dependency (database, DigiCert) is unreachable.
    #[error("{0}")]
    Unavailable(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    /// The HTTP status a server function answers with for this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden | AppError::PasswordChangeRequired => 403,
            AppError::NotFound => 404,
            AppError::Invalid(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::BadRequest(_) => 400,
            AppError::Unavailable(_) => 503,
            AppError::Internal => 500,
        }
    }

    /// Field errors, when this error is about a form.
    pub fn form(&self) -> Option<&FormErrors> {
        match self {
            AppError::Invalid(form) => Some(form),
            _ => None,
        }
    }
}

impl From<FormErrors> for AppError {
    fn from(form: FormErrors) -> Self {
        AppError::Invalid(form)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg)
            | ServerFnErrorErr::MissingArg(msg)
            | ServerFnErrorErr::UnsupportedRequestMethod(msg) => AppError::BadRequest(msg),
            ServerFnErrorErr::Request(msg) => {
                AppError::Unavailable(format!("The portal could not be reached: {msg}"))
            }
            ServerFnErrorErr::Registration(_)
            | ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::Serialization(_)
            | ServerFnErrorErr::Response(_) => AppError::Internal,
        }
    }
}

/// A database constraint that guards what a person typed: its violation is that field's error,
/// not a server failure.
#[cfg(feature = "ssr")]
pub struct ConstraintField {
    pub constraint: &'static str,
    pub field: &'static str,
    pub message: &'static str,
}

#[cfg(feature = "ssr")]
impl AppError {
    /// `err` as a field error when it violates one of `fields`' constraints; otherwise as any
    /// other database failure.
    pub fn from_constraint(err: sqlx::Error, fields: &[ConstraintField]) -> AppError {
        let violated = match &err {
            sqlx::Error::Database(db) => db.constraint(),
            _ => None,
        };
        match fields.iter().find(|f| Some(f.constraint) == violated) {
            Some(f) => FormErrors::new("Check the highlighted fields.")
                .field(f.field, f.message)
                .into(),
            None => AppError::from(err),
        }
    }
}

/// Database failures are logged in full here and leave as a generic message.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::error!(%err, "database unreachable");
                AppError::Unavailable(
                    "The database is unreachable. Please try again shortly.".into(),
                )
            }
            err => {
                tracing::error!(%err, "database error");
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        tracing::error!(%err, "session store error");
        AppError::Internal
    }
}

/// A plain-text answer with the error's status, for routes that are not server functions
/// (page guard, downloads, CSV, single sign-on).
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let status = http::StatusCode::from_u16(self.status_code())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        (status, self.to_string()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_the_kind_of_error() {
        assert_eq!(AppError::Unauthorized.status_code(), 401);
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::Invalid(FormErrors::new("x")).status_code(), 422);
        assert_eq!(AppError::TooManyRequests("x".into()).status_code(), 429);
        assert_eq!(AppError::BadRequest("x".into()).status_code(), 400);
    }

    #[test]
    fn errors_round_trip_through_json() {
        let err = AppError::Invalid(
            FormErrors::new("Check the form.")
                .field("email", "Enter an email.")
                .keep("email", "a@b"),
        );
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }

    #[test]
    fn argument_problems_are_bad_requests_not_internal() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::MissingArg("email".into()));
        assert_eq!(err.status_code(), 400);
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(!longer_than("üüü", 3));
        assert!(longer_than("üüüü", 3));
        assert!(longer_than(&"a".repeat(13), 3));
        let mut form = FormErrors::new("x");
        form.limit_length("q", "abcd", 3);
        form.limit_length("r", "abc", 3);
        assert_eq!(
            form.for_field("q").as_deref(),
            Some("At most 3 characters.")
        );
        assert!(form.for_field("r").is_none());
    }

    #[test]
    fn field_messages_join_per_field() {
        let form = FormErrors::new("x").field("a", "one.").field("a", "two.");
        assert_eq!(form.for_field("a").as_deref(), Some("one. two."));
        assert_eq!(form.for_field("b"), None);
    }
}
