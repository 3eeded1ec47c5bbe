//! The mails' words: a subject, a text part and an HTML part per event. Bodies name only what
//! the recipient may see on the request page; never a CSR, a key or DigiCert's internals. Links
//! are written as `{portal}/…` and completed when the mail is sent.

use super::model::MailKind;

pub const PORTAL: &str = "{portal}";

pub struct Composed {
    pub kind: MailKind,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A short mail: a greeting-free first line, the facts, one link to act on.
fn compose(
    kind: MailKind,
    subject: String,
    lines: &[String],
    link: &str,
    action: &str,
) -> Composed {
    let url = format!("{PORTAL}{link}");
    let mut text = lines.join("\n\n");
    text.push_str(&format!("\n\n{action}: {url}\n\n— certdesk\n"));
    let paragraphs: String = lines
        .iter()
        .map(|l| format!("<p>{}</p>", escape(l)))
        .collect();
    let html = format!(
        "<!doctype html><html><body>{paragraphs}<p><a href=\"{url}\">{}</a></p><p>— certdesk</p></body></html>",
        escape(action)
    );
    Composed {
        kind,
        subject,
        text,
        html,
    }
}

pub fn approval_waiting(id: i64, title: &str, product: &str, requester: &str) -> Composed {
    compose(
        MailKind::ApprovalWaiting,
        format!("Approval needed: request {id} for {title}"),
        &[format!(
            "{requester} asks for a {product} certificate for {title} (request {id}). It waits for an approver's decision."
        )],
        &format!("/requests/{id}"),
        "Review and decide",
    )
}

pub fn decided(id: i64, title: &str, approved: bool, note: Option<&str>) -> Composed {
    let (subject, first) = if approved {
        (
            format!("Approved: request {id} for {title}"),
            format!("Your request {id} for {title} was approved and is being ordered at DigiCert."),
        )
    } else {
        (
            format!("Rejected: request {id} for {title}"),
            format!("Your request {id} for {title} was rejected."),
        )
    };
    let mut lines = vec![first];
    if let Some(note) = note {
        lines.push(format!("The approver wrote: {note}"));
    }
    compose(
        MailKind::Decided,
        subject,
        &lines,
        &format!("/requests/{id}"),
        "Open the request",
    )
}

pub fn issued(id: i64, title: &str, valid_till: &str) -> Composed {
    compose(
        MailKind::Issued,
        format!("Certificate ready: {title}"),
        &[format!(
            "The certificate for {title} (request {id}) is issued and valid until {valid_till}. Download it with its chain from the request page."
        )],
        &format!("/requests/{id}"),
        "Download the certificate",
    )
}

pub fn dcv_needed(id: i64, title: &str, names: &[String], record: Option<&str>) -> Composed {
    let mut lines = vec![format!(
        "DigiCert waits for proof that you control {} before it issues the certificate for {title} (request {id}).",
        names.join(", ")
    )];
    if let Some(record) = record {
        lines.push(format!("Publish: {record}"));
    }
    lines.push("Then press \"Check now\" on the request page.".into());
    compose(
        MailKind::DcvNeeded,
        format!("Action needed: prove control of {}", names.join(", ")),
        &lines,
        &format!("/requests/{id}#dcv"),
        "See what to publish",
    )
}

pub fn forward_failed(id: i64, title: &str, error: &str) -> Composed {
    compose(
        MailKind::ForwardFailed,
        format!("DigiCert refused request {id} for {title}"),
        &[
            format!("DigiCert refused the order of request {id} for {title}."),
            format!("DigiCert said: {error}"),
            "Fix the cause (in CertCentral or with the requester), then retry it from the request page.".into(),
        ],
        &format!("/requests/{id}"),
        "Open the request",
    )
}

/// A certificate ends soon: reissue within the order when it runs on, else renew.
pub fn expiring(
    id: i64,
    title: &str,
    serial: &str,
    valid_till: &str,
    days: i64,
    order_runs_on: bool,
) -> Composed {
    let (next, link, action) = if order_runs_on {
        (
            "The order runs on: reissue the certificate within it, at no charge.".to_owned(),
            format!("/requests/{id}/reissue"),
            "Reissue now",
        )
    } else {
        (
            "The order ends with it: renew the order.".to_owned(),
            format!("/requests/{id}"),
            "Renew",
        )
    };
    compose(
        MailKind::Expiring,
        format!(
            "{title}: certificate ends in {days} day{}",
            if days == 1 { "" } else { "s" }
        ),
        &[
            format!("The certificate {serial} for {title} (request {id}) ends on {valid_till}."),
            next,
        ],
        &link,
        action,
    )
}

/// An order enters its renewal window.
pub fn renew_due(id: i64, title: &str, order_valid_till: &str) -> Composed {
    compose(
        MailKind::RenewDue,
        format!("Renew the order for {title}"),
        &[format!(
            "The DigiCert order for {title} (request {id}) ends on {order_valid_till}. Renew it so the next certificate is ready in time."
        )],
        &format!("/requests/{id}"),
        "Renew",
    )
}

/// One approver's day: every request waiting for them.
pub fn approval_digest(waiting: &[(i64, String, String)]) -> Composed {
    let plural = if waiting.len() == 1 { "" } else { "s" };
    let mut lines = vec![format!(
        "{} request{plural} wait{} for your decision:",
        waiting.len(),
        if waiting.len() == 1 { "s" } else { "" }
    )];
    lines.extend(
        waiting
            .iter()
            .map(|(id, title, requester)| format!("Request {id}: {title}, asked by {requester}")),
    );
    compose(
        MailKind::ApprovalDigest,
        format!("{} request{plural} waiting for approval", waiting.len()),
        &lines,
        "/approvals",
        "Open the approval queue",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_parts_escape_what_people_typed() {
        let mail = decided(
            7,
            "www.example.com",
            false,
            Some("<script>alert(1)</script>"),
        );
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(!mail.html.contains("<script>"));
        assert!(
            mail.text
                .contains("The approver wrote: <script>alert(1)</script>")
        );
        assert!(mail.text.contains("{portal}/requests/7"));
        assert_eq!(mail.subject, "Rejected: request 7 for www.example.com");
    }
}
