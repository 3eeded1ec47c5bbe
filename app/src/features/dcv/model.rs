//! What the request page and the Domains page show about domain validation.

use crate::features::digicert::dcv::DcvRecord;
use crate::features::digicert::payload::DcvMethod;
use crate::features::requests::options::Choice;
use serde::{Deserialize, Serialize};

/// One name of an order and, while DigiCert still waits for it, what to publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcvName {
    pub dns_name: String,
    pub validated: bool,
    /// Absent once validated, and for email validation (DigiCert writes to the contacts).
    pub record: Option<DcvRecord>,
}

/// The DCV section of a request page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcvPanel {
    pub request_id: i64,
    pub method: DcvMethod,
    pub random_value: Option<String>,
    /// When the random value stops working, e.g. "2026-12-30".
    pub value_expires: Option<String>,
    pub names: Vec<DcvName>,
    /// The last check (a person's or the worker's) and what DigiCert said.
    pub checked_at: Option<String>,
    pub check_note: Option<String>,
    /// The order still waits at DigiCert: checks and method changes make sense.
    pub waiting: bool,
    /// The methods the person may switch to, with their words.
    pub methods: Vec<Choice>,
    /// Demo mode: the simulator's DNS and web can be written from the page.
    pub demo: bool,
}

impl DcvPanel {
    pub fn pending_names(&self) -> usize {
        self.names.iter().filter(|n| !n.validated).count()
    }
}

/// What "Check now" found, for the message under the button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub message: String,
    pub validated: Vec<String>,
    pub pending: Vec<String>,
    /// DigiCert issued the certificate; the worker collects it.
    pub issued: bool,
}

/// One row of the Domains page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRow {
    pub name: String,
    pub organization: String,
    /// "OV active", "EV pending", …
    pub validations: Vec<String>,
    pub dcv_method: String,
    /// The day DCV lapses, e.g. "2027-06-17".
    pub dcv_expires: Option<String>,
    /// Days until then (negative once lapsed).
    pub days_left: Option<i64>,
}

/// Record, type and value as a person copies them into a DNS console or a file.
pub fn describe(record: &DcvRecord) -> Vec<(&'static str, String)> {
    match record {
        DcvRecord::Txt { name, value } => vec![
            ("Type", "TXT".into()),
            ("Name", name.clone()),
            ("Value", value.clone()),
        ],
        DcvRecord::Cname { name, target } => vec![
            ("Type", "CNAME".into()),
            ("Name", name.clone()),
            ("Points to", target.clone()),
        ],
        DcvRecord::File { url, content } => {
            vec![("File URL", url.clone()), ("File content", content.clone())]
        }
        DcvRecord::Email => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_described_field_by_field() {
        let txt = DcvRecord::for_name(DcvMethod::DnsTxtToken, "shop.example.net", "v1");
        assert_eq!(
            describe(&txt),
            vec![
                ("Type", "TXT".to_owned()),
                ("Name", "_dnsauth.shop.example.net".to_owned()),
                ("Value", "v1".to_owned())
            ]
        );
        let file = DcvRecord::for_name(DcvMethod::HttpToken, "shop.example.net", "v1");
        assert_eq!(describe(&file)[0].0, "File URL");
        assert!(describe(&DcvRecord::Email).is_empty());
    }
}
